"""Every error Arbitre raises, named for the condition, each carrying its exit code.

User errors (a bad answers file, a bad policy) exit with 2; internal errors with 1.
A ``Problem`` is one located complaint; an error may carry many, so that every
problem of a file is reported at once (the first ``MAX_LISTED`` are listed, then how many more).

Messages quote user values through ``excerpt`` (one line, a few dozen characters, escapes shown
as ``\\x1b``) and are printed through ``printable``, so that no file's contents and no terminal
escape sequence reach the user's terminal through an error.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Union

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


# A message's argument: text shown as it is (a value through ``excerpt``, a number as the file wrote
# it), a count (grouped as each language groups digits), a figure worked out (written with each
# language's decimal mark), or a phrase of its own.
Arg = Union[str, int, float, "Phrase"]
Args = tuple[tuple[str, Arg], ...]


@dataclass(frozen=True)
class Phrase:
    """A message by its key in the catalogue of problems (``engine/problems.yaml``) and its arguments,
    so that it can be worded in each language the catalogue has (``engine.problems.text``)."""

    key: str
    args: Args = ()


@dataclass(frozen=True)
class Problem:
    """One located problem: where it is, what was found, what was expected.

    ``message`` is the English text (audit records, logs and tests read it); ``key`` and ``args``, when
    the problem has them, name it in the catalogue of problems, which words it in other languages."""

    file: str
    line: int | None
    path: str
    message: str
    key: str = field(default="", compare=False)
    args: Args = field(default=(), compare=False)

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return printable(f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}")


class ArbitreError(Exception):
    """Base of every error the tool reports to its user."""

    exit_code = 1

    def __init__(self, message: str, problems: tuple[Problem, ...] = (), *, key: str = "",
                 arguments: Args = ()) -> None:
        super().__init__(message)
        self.message = message
        self.problems = problems
        # ``message`` by its key in the catalogue of problems (``args`` is the exception's own)
        self.key = key
        self.arguments = arguments

    def report(self, lang: str = "en") -> str:
        """The message followed by one line per problem, the first ``MAX_LISTED`` of them, in ``lang``
        where the catalogue of problems words them (else in English)."""
        from .problems import report  # the catalogue is read from a file: only when an error is reported

        return report(self, lang)


class InvalidAnswer(ValueError):
    """A model validator's complaint about an answer, raised inside pydantic's validation (which
    reports it as a ``value_error`` whose ``ctx['error']`` is this exception): its English text, and
    its key and arguments in the catalogue of problems, so that it can be worded in other languages."""

    def __init__(self, message: str, key: str, arguments: Args) -> None:
        super().__init__(message)
        self.key = key
        self.arguments = arguments


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
