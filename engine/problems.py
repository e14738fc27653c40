"""The problems of an answers file in each language: one catalogue (``problems.yaml``), a key for each
message and its text in English and in French, with the same ``{placeholders}`` in both.

A problem is made by its key (``problem``, ``phrase``, ``invalid``): its English ``message`` is the
catalogue's English text, as audit records, logs and tests read it, and ``text`` words it in another
language. A policy error's headline has a key, as have the problems of reading its files (a YAML
syntax); a problem without a key (most of a policy's own: a rule's fault, told in the words of the
rule language) is shown in English in every language. French text is typeset as everything else a
person reads in French (a narrow no-break space before ``: ; ? ! %``); values quoted from the file are
shown as they are.
"""

from __future__ import annotations

import errno
import functools
import string
from pathlib import Path
from typing import Any, TypeVar

from .errors import MAX_LISTED, Arg, ArbitreError, InvalidAnswer, Phrase, Problem, printable
from .load import parse_yaml
from .typography import NARROW, typeset

CATALOGUE = Path(__file__).with_name("problems.yaml")
LANGS = ("en", "fr")

Catalogue = dict[str, dict[str, str]]


@functools.lru_cache(maxsize=256)
def placeholders(template: str) -> frozenset[str]:
    """The names a catalogue text fills in (``{value}``), its escaped braces (``{{``) aside."""
    return frozenset(name for _, name, _, _ in string.Formatter().parse(template) if name is not None)


@functools.cache
def catalogue() -> Catalogue:
    """The catalogue of problems, each text typeset for its language, read once (safe YAML)."""
    # parsed, not read through read_document: its problems are worded by this very catalogue
    data: Any = parse_yaml(CATALOGUE.read_text(encoding="utf-8"), str(CATALOGUE)).data
    return {str(key): {lang: typeset(str(texts[lang]), lang) for lang in LANGS} for key, texts in data.items()}


def catalogue_problems(entries: Catalogue | None = None) -> list[str]:
    """What is wrong with the catalogue: a key without the text of every language, or whose texts do
    not fill in the same names."""
    found = []
    for key, texts in (catalogue() if entries is None else entries).items():
        missing = [lang for lang in LANGS if not texts.get(lang)]
        if missing:
            found.append(f"{key}: no text in {', '.join(missing)}")
            continue
        english = placeholders(texts["en"])
        for lang in LANGS[1:]:
            if placeholders(texts[lang]) != english:
                found.append(f"{key}: {lang} fills in {sorted(placeholders(texts[lang]))}, en {sorted(english)}")
    return found


def shown(value: Arg, lang: str) -> str:
    """An argument as a message in ``lang`` shows it: a count grouped by thousands, a figure worked out
    (a float) with the language's decimal mark (0.01, 0,01), a phrase worded."""
    if isinstance(value, Phrase):
        return say(value, lang)
    if isinstance(value, int) and not isinstance(value, bool):
        grouped = f"{value:,}"
        return grouped.replace(",", NARROW) if lang == "fr" else grouped
    if isinstance(value, float):
        written = f"{value:g}"
        return written.replace(".", ",") if lang == "fr" else written
    return str(value)


def say(phrase: Phrase, lang: str = "en") -> str:
    """A phrase worded in ``lang`` (English when the catalogue has no such language)."""
    texts = catalogue()[phrase.key]
    template = texts.get(lang, texts["en"])
    return template.format_map({name: shown(value, lang) for name, value in phrase.args})


def phrase(key: str, /, **args: Arg) -> Phrase:
    """The message ``key`` of the catalogue with ``args`` (checked against the catalogue at once)."""
    made = Phrase(key, tuple(args.items()))
    if key not in catalogue() or set(args) != placeholders(catalogue()[key]["en"]):
        raise KeyError(f"{key} with {sorted(args)} is not a message of {CATALOGUE.name}")
    return made


# The operating system's reasons the catalogue words in every language (the English as the system
# says it); another is shown as the system says it.
OS_REASONS = {errno.ENOENT: "os.enoent", errno.EACCES: "os.eacces", errno.ENOSPC: "os.enospc",
              errno.EROFS: "os.erofs", errno.EISDIR: "os.eisdir", errno.ENOTDIR: "os.enotdir"}


def os_reason(exc: OSError) -> Phrase:
    """Why the operating system refused to read or write a file, as a phrase of the catalogue."""
    key = OS_REASONS.get(exc.errno or 0)
    return phrase(key) if key else phrase("os.other", reason=exc.strerror or str(exc))


def problem(file: str, line: int | None, path: str, key: str, /, **args: Arg) -> Problem:
    """A located problem worded by the catalogue: its ``message`` is the English text."""
    return located(file, line, path, phrase(key, **args))


def located(file: str, line: int | None, path: str, said: Phrase) -> Problem:
    """A phrase as the problem at ``file``, ``line``, ``path``."""
    return Problem(file, line, path, say(said), said.key, said.args)


E = TypeVar("E", bound=ArbitreError)


def error(kind: type[E], key: str, /, *problems: Problem, **args: Arg) -> E:
    """An error of ``kind`` whose headline is the catalogue's ``key`` (its English text the error's
    message), with its ``problems``."""
    said = phrase(key, **args)
    return kind(say(said), problems, key=said.key, arguments=said.args)


def invalid(key: str, /, **args: Arg) -> InvalidAnswer:
    """A model validator's complaint worded by the catalogue (raise it inside validation)."""
    said = phrase(key, **args)
    return InvalidAnswer(say(said), said.key, said.args)


def text(item: Problem | ArbitreError | Phrase, lang: str) -> str:
    """A problem's message, an error's headline or a phrase in ``lang``: the catalogue's text when it
    has a key, else the English message."""
    if isinstance(item, Phrase):
        return say(item, lang)
    if not item.key or lang == "en":
        return item.message
    return say(Phrase(item.key, item.arguments if isinstance(item, ArbitreError) else item.args), lang)


def line(found: Problem, lang: str) -> str:
    """A problem as one line in ``lang``: where it is (``file:line: path:``, the same in every language,
    as editors read it), then its message; escapes shown."""
    if lang == "en":
        return str(found)
    where = found.file if found.line is None else f"{found.file}:{found.line}"
    said = text(found, lang)
    return printable(f"{where}: {found.path}: {said}" if found.path else f"{where}: {said}")


def report(error: ArbitreError, lang: str = "en") -> str:
    """An error's headline followed by one line per problem, the first ``MAX_LISTED`` of them, in ``lang``."""
    lines = [printable(text(error, lang)), *(f"  {line(p, lang)}" for p in error.problems[:MAX_LISTED])]
    more = len(error.problems) - MAX_LISTED
    if more > 0:
        lines.append(f"  {say(phrase('more_problems' if more > 1 else 'more_problem', more=more), lang)}")
    return "\n".join(lines)
