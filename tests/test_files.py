"""Writing output files: atomic, through links and devices, with the usual permissions."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from engine.errors import UserError
from engine.files import write_atomic


class TestWriteAtomic:
    def test_new_file_gets_the_umask_permissions(self, tmp_path: Path) -> None:
        """A new file is readable by others as the umask allows, not private to its owner."""
        umask = os.umask(0o022)
        try:
            write_atomic(tmp_path / "out.txt", "hello\n")
        finally:
            os.umask(umask)
        assert (tmp_path / "out.txt").read_text() == "hello\n"
        assert stat.S_IMODE((tmp_path / "out.txt").stat().st_mode) == 0o644

    def test_replaced_file_keeps_its_permissions(self, tmp_path: Path) -> None:
        """Rewriting a file keeps the mode it had."""
        out = tmp_path / "out.txt"
        out.write_text("old")
        out.chmod(0o640)
        write_atomic(out, "new")
        assert out.read_text() == "new" and stat.S_IMODE(out.stat().st_mode) == 0o640

    def test_link_is_followed(self, tmp_path: Path) -> None:
        """Writing to a link replaces its target and leaves the link in place."""
        (tmp_path / "target.txt").write_text("old")
        (tmp_path / "link.txt").symlink_to("target.txt")
        write_atomic(tmp_path / "link.txt", "new")
        assert (tmp_path / "link.txt").is_symlink()
        assert (tmp_path / "target.txt").read_text() == "new"

    def test_device_is_written_to_not_replaced(self) -> None:
        """A character device such as /dev/null is written through and stays a device."""
        if not os.access("/dev/null", os.W_OK):
            pytest.skip("/dev/null is not writable here")
        write_atomic(Path("/dev/null"), "discarded")
        assert stat.S_ISCHR(os.stat("/dev/null").st_mode)

    def test_nothing_left_behind(self, tmp_path: Path) -> None:
        """Only the written file remains in its folder."""
        write_atomic(tmp_path / "out.txt", "x")
        assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]

    def test_directory_is_a_user_error(self, tmp_path: Path) -> None:
        """A folder given as the output is refused with exit code 2."""
        with pytest.raises(UserError) as info:
            write_atomic(tmp_path, "x")
        assert info.value.exit_code == 2
        assert "is a directory" in info.value.report()
