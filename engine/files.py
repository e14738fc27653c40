"""Writing files atomically: a reader never sees half a file, and an interrupted write loses nothing."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import stat
import threading
from pathlib import Path
from typing import IO, Any, Callable, Iterator, TypeVar

from .errors import UserError
from .problems import error, located, os_reason, problem


def _fail(path: Path, exc: OSError) -> UserError:
    return error(UserError, "write.cannot", located(str(path), None, "", os_reason(exc)), path=str(path))


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder, then rename it.

    A link is followed and its target replaced; a device or a pipe (``/dev/stdout``) is written
    to directly, since it cannot be replaced. A new file gets the usual permissions (the umask's),
    a replaced file keeps its own; a write-protected file is refused, as ``cp`` refuses it.
    """
    with open_atomic(path) as handle:
        handle.write(text)


def write_atomic_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` as ``write_atomic`` writes text (a spreadsheet, an archive)."""
    with open_atomic(path, binary=True) as handle:
        handle.write(data)


def _write_protected(path: Path, mode: int) -> bool:
    """Whether a file may not be replaced: no write permission bit is set (the owner protected it,
    which counts even for root, who may write anything), or this user may not write it."""
    return not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) or not os.access(path, os.W_OK)


def _alive(pid: int) -> bool:
    """Whether a process with this id runs (one of another user counts)."""
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError):  # none has it, or none can
        return False
    except PermissionError:
        pass
    return True


def _remove_stale_temporaries(target: Path) -> None:
    """Remove the temporary files a killed run left beside ``target`` (``kill -9`` cannot be caught):
    those named for ``target`` whose process no longer runs. A live writer's file is left alone."""
    pattern = re.compile(re.escape(f".{target.name}.") + r"(\d+)\.[a-z0-9_]+\.tmp")
    with contextlib.suppress(OSError):
        for entry in os.scandir(target.parent):
            found = pattern.fullmatch(entry.name)
            if found and entry.is_file(follow_symlinks=False) and not _alive(int(found.group(1))):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)


class Output:
    """A file being written: a failed write is reported as an error naming the file, so that it is
    not mistaken for a failure of anything else done while the file is open."""

    def __init__(self, handle: IO[Any], path: Path) -> None:
        self._handle = handle
        self._path = path

    def write(self, data: str | bytes) -> None:
        try:
            self._handle.write(data)
        except OSError as exc:
            raise _fail(self._path, exc) from exc


def _open(file: Path | int, binary: bool) -> IO[Any]:
    """A file (a path, or a descriptor) opened for writing: text in UTF-8 with ``\\n`` line ends, or bytes."""
    return open(file, "wb") if binary else open(file, "w", encoding="utf-8", newline="\n")


@contextlib.contextmanager
def open_atomic(path: Path, binary: bool = False) -> Iterator[Output]:
    """An output whose content replaces ``path`` only when the block ends without an error
    (``write_atomic`` for output written piece by piece: nothing is kept in memory); text in UTF-8
    with ``\n`` line ends, or bytes as they are when ``binary``.

    An error raised in the block leaves ``path`` as it was and is raised as it is; only a failure
    to write the file itself is reported as ``cannot write PATH``.
    """
    if not str(path):
        raise error(UserError, "write.empty_path", problem("", None, "--out", "write.give_name"))
    try:
        info = path.stat()  # through a link: what the link names
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise _fail(path, exc) from exc
    if info is not None and not stat.S_ISREG(info.st_mode):
        if stat.S_ISDIR(info.st_mode):
            raise error(UserError, "write.cannot", problem(str(path), None, "", "write.directory"), path=str(path))
        # a device or a pipe (/dev/stdout): written to as it is, through the link if there is one
        with _opened(path, lambda: _open(path, binary)) as direct:
            yield Output(direct, path)
            _finish(path, direct.close)
        return
    if info is not None and _write_protected(path, info.st_mode):
        raise error(UserError, "write.cannot", problem(str(path), None, "", "write.protected",
                                                       mode=f"{stat.S_IMODE(info.st_mode):o}"), path=str(path))
    target = path.resolve() if path.is_symlink() else path  # a link's target is replaced, not the link
    _remove_stale_temporaries(target)
    # named for the target and this process, so that a later run knows a killed run's file
    import tempfile  # a command that writes no file starts without it

    held = _hold_ending_signals()
    try:
        fd, tmp = _finish(path, lambda: tempfile.mkstemp(prefix=f".{target.name}.{os.getpid()}.", suffix=".tmp",
                                                         dir=target.parent))
    except BaseException:
        _release(held)
        raise
    try:
        _release(held)  # a signal that came meanwhile ends the command here, with the clean-up in place
        with _opened(path, lambda: _open(fd, binary)) as handle:
            yield Output(handle, path)
            _finish(path, lambda: _commit(handle, tmp, target, _mode(info)))
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# The signals that end a command through its clean-up (Ctrl-C, kill, a closed terminal).
_ENDING = frozenset({signal.SIGINT, signal.SIGTERM, signal.SIGHUP})


def _hold_ending_signals() -> set[int | signal.Signals] | None:
    """Hold the ending signals while a temporary file is created, so that none arrives between its
    creation and the clean-up that removes it; the mask to restore (None off the main thread)."""
    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.pthread_sigmask(signal.SIG_BLOCK, _ENDING)


def _release(held: set[int | signal.Signals] | None) -> None:
    if held is not None:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


T = TypeVar("T")


def _finish(path: Path, step: Callable[[], T]) -> T:
    """One step of writing ``path``, an OSError reported as ``cannot write PATH``."""
    try:
        return step()
    except OSError as exc:
        raise _fail(path, exc) from exc


@contextlib.contextmanager
def _opened(path: Path, opener: Callable[[], IO[Any]]) -> Iterator[IO[Any]]:
    """A handle on ``path``, closed at the end; when the block failed, its own error is the one raised
    (closing may fail too, on a full disk, and would hide it)."""
    handle = _finish(path, opener)
    try:
        yield handle
    finally:
        with contextlib.suppress(OSError):
            handle.close()


def _mode(info: os.stat_result | None) -> int:
    """The permissions of the file written: those of the file replaced, or the umask's for a new one."""
    if info is not None:
        return stat.S_IMODE(info.st_mode)
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _commit(handle: IO[Any], tmp: str, target: Path, mode: int) -> None:
    """Put the written temporary file in the target's place, its content on the disk first."""
    handle.flush()
    os.fsync(handle.fileno())
    handle.close()
    os.chmod(tmp, mode)
    os.replace(tmp, target)
