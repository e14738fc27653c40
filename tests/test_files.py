"""Writing output files: atomic, through links and devices, with the usual permissions, and no
temporary file left behind by a killed run."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
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

    def test_write_protected_file_is_refused(self, tmp_path: Path) -> None:
        """A file made read-only (mode 444) is left as it is, exit code 2, even for root."""
        out = tmp_path / "out.txt"
        out.write_text("kept")
        out.chmod(0o444)
        with pytest.raises(UserError) as info:
            write_atomic(out, "new")
        assert info.value.exit_code == 2
        assert f"{out}: is write-protected (mode 444)" in info.value.report()
        assert out.read_text() == "kept"
        assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]

    def test_write_protected_target_of_a_link_is_refused(self, tmp_path: Path) -> None:
        """A link to a read-only file does not get the file replaced."""
        (tmp_path / "target.txt").write_text("kept")
        (tmp_path / "target.txt").chmod(0o444)
        (tmp_path / "link.txt").symlink_to("target.txt")
        with pytest.raises(UserError) as info:
            write_atomic(tmp_path / "link.txt", "new")
        assert "is write-protected" in info.value.report()
        assert (tmp_path / "target.txt").read_text() == "kept"


def _finished_process_id() -> int:
    """The id of a process that has ended."""
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                           text=True, check=True)
    return int(child.stdout)


class TestStaleTemporaries:
    def test_a_killed_runs_temporary_file_is_removed_on_the_next_write(self, tmp_path: Path) -> None:
        """A temporary file left by a process that no longer runs goes when the same file is written again."""
        stale = tmp_path / f".out.txt.{_finished_process_id()}.abcd1234.tmp"
        stale.write_text("")
        write_atomic(tmp_path / "out.txt", "x")
        assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]

    def test_a_running_writers_temporary_file_is_kept(self, tmp_path: Path) -> None:
        """A temporary file of a process that still runs (this one) is not touched."""
        live = tmp_path / f".out.txt.{os.getpid()}.abcd1234.tmp"
        live.write_text("in progress")
        write_atomic(tmp_path / "out.txt", "x")
        assert sorted(p.name for p in tmp_path.iterdir()) == sorted([live.name, "out.txt"])

    @pytest.mark.parametrize("name", [
        pytest.param(".other.txt.{pid}.abcd1234.tmp", id="another-target"),
        pytest.param(".out.txt.notapid.tmp", id="no-process-id"),
        pytest.param("out.txt.{pid}.abcd1234.tmp", id="not-hidden"),
        pytest.param(".out.txt.{pid}.abcd1234.tmp.keep", id="another-suffix"),
    ])
    def test_files_not_named_as_its_temporaries_are_kept(self, tmp_path: Path, name: str) -> None:
        """Only the temporary files named for the file being written are candidates for removal."""
        other = tmp_path / name.format(pid=_finished_process_id())
        other.write_text("mine")
        write_atomic(tmp_path / "out.txt", "x")
        assert other.read_text() == "mine"

    def test_a_process_id_too_large_for_any_process_is_stale(self, tmp_path: Path) -> None:
        """A number no process id can be is not mistaken for a running writer, nor an error."""
        stale = tmp_path / f".out.txt.{10**30}.abcd1234.tmp"
        stale.write_text("")
        write_atomic(tmp_path / "out.txt", "x")
        assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]
