"""Writing files atomically: a reader never sees half a file, and an interrupted write loses nothing."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .errors import Problem, UserError


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder, then rename it."""
    folder = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise UserError(f"cannot write {path}", (Problem(str(path), None, "", exc.strerror or str(exc)),)) from exc
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise UserError(f"cannot write {path}", (Problem(str(path), None, "", exc.strerror or str(exc)),)) from exc
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
