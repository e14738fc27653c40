"""Writing files atomically: a reader never sees half a file, and an interrupted write loses nothing."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path
from typing import Iterator, TextIO

from .errors import Problem, UserError


def _fail(path: Path, exc: OSError) -> UserError:
    return UserError(f"cannot write {path}", (Problem(str(path), None, "", exc.strerror or str(exc)),))


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder, then rename it.

    A link is followed and its target replaced; a device or a pipe (``/dev/stdout``) is written
    to directly, since it cannot be replaced. A new file gets the usual permissions (the umask's),
    a replaced file keeps its own.
    """
    with open_atomic(path) as handle:
        handle.write(text)


@contextlib.contextmanager
def open_atomic(path: Path) -> Iterator[TextIO]:
    """A text handle whose content replaces ``path`` only when the block ends without an error
    (``write_atomic`` for output written piece by piece: nothing is kept in memory)."""
    if not str(path):
        raise UserError("cannot write to an empty path", (Problem("", None, "--out", "give a file name"),))
    try:
        info = path.stat()  # through a link: what the link names
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise _fail(path, exc) from exc
    if info is not None and not stat.S_ISREG(info.st_mode):
        if stat.S_ISDIR(info.st_mode):
            raise UserError(f"cannot write {path}", (Problem(str(path), None, "", "is a directory"),))
        # a device or a pipe (/dev/stdout): written to as it is, through the link if there is one
        try:
            with open(path, "w", encoding="utf-8", newline="\n") as direct:
                yield direct
        except OSError as exc:
            raise _fail(path, exc) from exc
        return
    target = path.resolve() if path.is_symlink() else path  # a link's target is replaced, not the link
    if info is not None:
        mode = stat.S_IMODE(info.st_mode)
    else:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    folder = target.parent
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise _fail(path, exc) from exc
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise _fail(path, exc) from exc
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
