"""Every error Arbitre raises, named for the condition, each carrying its exit code.

User errors (a bad answers file, a bad policy) exit with 2; internal errors with 1.
A ``Problem`` is one located complaint; an error may carry many, so that every
problem of a file is reported at once (the first ``MAX_LISTED`` are listed, then how many more).

Messages quote user values through ``excerpt`` (one line, a few dozen characters, escapes shown
as ``\\x1b``) and are printed through ``printable``, so that no file's contents and no terminal
escape sequence reach the user's terminal through an error.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

MAX_LISTED = 50

# C0 controls but tab and newline, DEL and C1 controls: a terminal acts on them (clears the
# screen, sets the title, moves the cursor) instead of showing them.
_CONTROLS = {code: f"\\x{code:02x}" for code in (*range(0x20), *range(0x7F, 0xA0)) if chr(code) not in "\t\n"}


def printable(text: str) -> str:
    """``text`` with every control character a terminal would act on written as an escape (``\\x1b``)."""
    return text.translate(_CONTROLS)


def excerpt(value: Any, limit: int = 40) -> str:
    """A value as a message quotes it: its ``repr`` on one line, escapes shown, at most about ``limit``
    characters (longer text is cut and ends with ``...``). ``null``, ``true`` and ``false`` are shown as
    YAML and JSON write them."""
    if value is None or isinstance(value, bool):
        return {None: "null", True: "true", False: "false"}[value]
    if isinstance(value, str):
        shown = repr(value[:limit])
        return shown[:-1] + "..." + shown[-1] if len(value) > limit else shown
    shown = repr(value)
    return shown if len(shown) <= limit else shown[:limit] + "..."


@dataclass(frozen=True)
class Problem:
    """One located problem: where it is, what was found, what was expected."""

    file: str
    line: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return printable(f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}")


class ArbitreError(Exception):
    """Base of every error the tool reports to its user."""

    exit_code = 1

    def __init__(self, message: str, problems: tuple[Problem, ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.problems = problems

    def report(self) -> str:
        """The message followed by one line per problem, the first ``MAX_LISTED`` of them."""
        lines = [printable(self.message), *(f"  {p}" for p in self.problems[:MAX_LISTED])]
        more = len(self.problems) - MAX_LISTED
        if more > 0:
            lines.append(f"  ... and {more:,} more problem{'s' if more > 1 else ''}")
        return "\n".join(lines)


class UserError(ArbitreError):
    """Something the user wrote or typed is wrong; exit code 2."""

    exit_code = 2


class AnswersError(UserError):
    """An answers file cannot be read or does not match the vocabulary."""


class PolicyError(UserError):
    """A policy directory (rule files, parameters, facts) is invalid."""


class ExportError(UserError):
    """A telephony export (or its mapping file) cannot be read or holds impossible values."""


class EngineError(ArbitreError):
    """The inference engine failed while evaluating a valid policy on valid answers."""


class StoreError(UserError):
    """The workspace database (``arbitre serve``'s SQLite file) or a workspace backup cannot be used:
    not a database, damaged, written by a newer Arbitre, locked too long, or a backup that is not one."""


class UnknownAssessmentError(StoreError):
    """An assessment id that the workspace does not hold."""
