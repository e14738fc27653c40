"""Reading YAML and JSON documents safely, keeping the line of every value.

YAML is read with PyYAML's safe loader, narrowed further: duplicate keys and
explicit tags (``!!python/object``, ``!custom``) are errors, and only ``true``
and ``false`` are booleans (so the country code ``NO`` stays a string). JSON is
read with the standard library, duplicate keys rejected. Every value's line is
known from its path, so that validation errors can point at the line; the map of lines is
worked out only when one is asked for.

A document is refused, at its line, when it goes beyond what any answers file or policy needs:

- ``MAX_FILE_BYTES`` (32 MB) for a file read whole, unless its reader gives another limit: a bigger file
  is refused before it is read (split it into several files). A YAML answers file is read a flow at a
  time (``stream_yaml``), in a memory that does not grow with its flows, and may be larger
  (``engine.answers.MAX_STREAMED_BYTES``);
- ``MAX_DEPTH`` (64 levels of nesting);
- ``MAX_DIGITS`` (100 digits in a number): refused before any conversion, as is a number that
  overflows to infinity (``1e400``);
- ``MAX_EXPANSION``: aliases may share a value, not multiply a document.

An explicit scalar tag must fit its value: ``!!int "42"`` and ``!!str 0120`` are fine, ``!!int high`` is
not a whole number and is refused at its line.
"""

from __future__ import annotations

import contextlib
import gc
import json
import math
import os
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .errors import Problem, excerpt

PathKey = tuple[str | int, ...]

_STANDARD_TAGS = frozenset(
    f"tag:yaml.org,2002:{name}"
    for name in ("str", "int", "float", "bool", "null", "seq", "map")
)


# Answers nest four levels deep and rules about ten; deeper is a mistake or an attack, refused
# by the loader itself whatever limit the installed PyYAML applies (its own differs by version).
MAX_DEPTH = 64
_TOO_DEEP = f"nested too deeply (more than {MAX_DEPTH} levels)"

_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when PyYAML was built with it


class _Loader(_Base):  # type: ignore[valid-type, misc]
    """The safe loader with YAML 1.2 booleans, no timestamps, and duplicate keys refused."""


# The YAML 1.2 core schema: only true/false are booleans (the country code NO stays
# text), no timestamps, and only plain decimal numbers: 0120 and 1:30 stay text
# (YAML 1.1 reads them as 80 and 90), to be read as numbers where a field wants one.
_REPLACED = {"tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:int",
             "tag:yaml.org,2002:float"}
_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in _REPLACED]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^[-+]?(?:0|[1-9][0-9]*)$"), list("-+0123456789")
)
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^(?:[-+]?[0-9]+\.[0-9]*(?:[eE][-+]?[0-9]+)?|[-+]?\.[0-9]+(?:[eE][-+]?[0-9]+)?"
               r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"),
    list("-+0123456789."),
)


# A number of more digits than any answer or parameter needs is a mistake or an attack: refused
# before any conversion (Python refuses integers of more than 4,300 digits with an internal error).
MAX_DIGITS = 100

_WHOLE = re.compile(r"[-+]?[0-9]+")
_DECIMAL = re.compile(r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")
_INFINITY_OR_NAN = re.compile(r"[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)")
_BOOLEAN = re.compile(r"true|True|TRUE|false|False|FALSE")
_NULL = re.compile(r"|~|null|Null|NULL")


def number_problem(text: str) -> str | None:
    """What is wrong with a number as written (too many digits, overflowing to infinity), if anything."""
    if len(text) <= MAX_DIGITS and "e" not in text and "E" not in text:  # finite, and short: at once
        return None
    digits = sum(c.isdigit() for c in text)
    if digits > MAX_DIGITS:
        return (f"the number {excerpt(text)} has {digits:,} digits, more than the {MAX_DIGITS} a number may "
                "have; write it shorter (or in quotes, as text)")
    if _DECIMAL.fullmatch(text) and not _WHOLE.fullmatch(text) and math.isinf(float(text)):
        return f"the number {excerpt(text)} is not a finite number (it is too large for a number)"
    return None


# What each scalar tag accepts, and what it means, for a tag written explicitly (``!!int high``):
# the implicit resolvers above only give these tags to values of the right form.
_SCALAR_FORMS = {
    "tag:yaml.org,2002:int": (_WHOLE, "not a whole number"),
    "tag:yaml.org,2002:float": (_DECIMAL, "not a number"),
    "tag:yaml.org,2002:bool": (_BOOLEAN, "not true or false"),
    "tag:yaml.org,2002:null": (_NULL, "not null (write null or ~, or nothing)"),
}
_NODE_KINDS: dict[str, tuple[type[Node], str]] = {
    "tag:yaml.org,2002:map": (MappingNode, "a mapping"), "tag:yaml.org,2002:seq": (SequenceNode, "a list"),
}


def _tag_problem(node: Node) -> str | None:
    """What is wrong with a node's value for its tag (``!!int high``, ``!!map [1]``), if anything."""
    kind, what = _NODE_KINDS.get(node.tag, (ScalarNode, "a single value"))
    if not isinstance(node, kind):
        return f"the tag {_shown_tag(node.tag)} needs {what}, and the value here is not one"
    if not isinstance(node, ScalarNode) or node.tag not in _SCALAR_FORMS:
        return None
    form, wrong = _SCALAR_FORMS[node.tag]
    text = str(node.value)
    if node.tag == "tag:yaml.org,2002:float" and _INFINITY_OR_NAN.fullmatch(text):
        return None
    if not form.fullmatch(text):
        return f"the tag {_shown_tag(node.tag)} on {excerpt(text)}: {wrong}"
    return number_problem(text) if node.tag in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float") else None


def _construct_scalar(loader: _Loader, node: ScalarNode) -> Any:
    return _scalar(str(loader.construct_scalar(node)), node.tag)


for _name in ("str", "int", "float", "bool", "null"):
    _Loader.add_constructor(f"tag:yaml.org,2002:{_name}", _construct_scalar)
del _name


def _construct_mapping(loader: _Loader, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, (str, int, float, bool)) and key is not None:
            raise ConstructorError(None, None, "a mapping key must be a plain value", key_node.start_mark)
        if key in seen:
            raise ConstructorError(
                None, None,
                f"duplicate key {excerpt(key)} (first defined on line {seen[key]})",
                key_node.start_mark,
            )
        seen[key] = key_node.start_mark.line + 1
    return loader.construct_mapping(node, deep=deep)  # type: ignore[no-any-return]


_Loader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)


# The paths of at most this many levels (``rules[3]``) have their lines noted as a document is parsed:
# a policy names where each rule starts, and its deeper lines are for the problems to report.
NEAR_LEVELS = 2


def _near_lines(root: Node) -> dict[PathKey, int]:
    """The lines of the paths of at most ``NEAR_LEVELS`` levels of a document without aliases, as
    ``_walk`` notes them (a block mapping or list at the line of its key)."""
    lines: dict[PathKey, int] = {}

    def note(node: Node, path: PathKey) -> None:
        lines[path] = node.start_mark.line + 1
        if len(path) == NEAR_LEVELS:
            return
        if isinstance(node, MappingNode):
            for key_node, value_node in node.value:
                key = key_node.value if isinstance(key_node, ScalarNode) else "?"
                note(value_node, (*path, key))
                if isinstance(value_node, (MappingNode, SequenceNode)):
                    lines[(*path, key)] = key_node.start_mark.line + 1
        elif isinstance(node, SequenceNode):
            for index, item in enumerate(node.value):
                note(item, (*path, index))

    note(root, ())
    return lines


class LineMap(Mapping[PathKey, int]):
    """The line where each path of a document starts, worked out from its text the first time a
    line is asked for: only a document with a problem to report pays for it."""

    def __init__(self, text: str, near: dict[PathKey, int] | None = None) -> None:
        self._text: str | None = text
        self._lines: dict[PathKey, int] = {}
        self._near = near  # every path of at most NEAR_LEVELS, when known without the text

    def _built(self) -> dict[PathKey, int]:
        if self._text is not None:
            self._lines, self._text = _lines_of(self._text), None
        return self._lines

    def __getitem__(self, path: PathKey) -> int:
        if self._near is not None and len(path) <= NEAR_LEVELS:  # a policy's rules, by their index
            return self._near[path]
        return self._built()[path]

    def __iter__(self) -> Iterator[PathKey]:
        return iter(self._built())

    def __len__(self) -> int:
        return len(self._built())


@dataclass(frozen=True)
class Document:
    """A parsed document: its data and the line where each path starts."""

    source: str
    data: Any
    lines: Mapping[PathKey, int] = field(default_factory=dict)

    def line_of(self, path: PathKey) -> int | None:
        """The line of ``path`` or of its nearest ancestor that has one."""
        for end in range(len(path), -1, -1):
            line = self.lines.get(tuple(path[:end]))
            if line is not None:
                return line
        return None


class DocumentError(Exception):
    """A document cannot be parsed; carries the located problem."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


def _not_valid(source: str, line: int | None, detail: str, form: str = "YAML") -> DocumentError:
    """The text of ``source`` is not valid YAML (or JSON): the parser's ``detail``, framed by the catalogue."""
    return DocumentError(_file_problem(source, line, "file.not_json" if form == "JSON" else "file.not_yaml",
                                       detail=detail))


def _shown_tag(tag: str) -> str:
    """A tag as the user wrote it: ``!!python/object`` rather than ``tag:yaml.org,2002:python/object``."""
    return "!!" + tag[len("tag:yaml.org,2002:"):] if tag.startswith("tag:yaml.org,2002:") else tag


def _walk(node: Node, path: PathKey, lines: dict[PathKey, int], source: str,
          done: set[int] | None = None, active: frozenset[int] = frozenset()) -> None:
    # An alias is the very node of its anchor: walk each node once, or "billion laughs"
    # aliases make the walk (and the line map) exponential; an alias inside its own anchor is refused.
    done = set() if done is None else done
    if len(active) >= MAX_DEPTH:
        raise _not_valid(source, node.start_mark.line + 1, _TOO_DEEP)
    if id(node) in active:
        raise DocumentError(Problem(
            source, node.start_mark.line + 1, _dotted(path),
            "the anchor that starts here is used inside itself: answers and rules cannot be recursive",
        ))
    if node.tag not in _STANDARD_TAGS:
        raise DocumentError(Problem(
            source, node.start_mark.line + 1, _dotted(path),
            f"the tag {_shown_tag(node.tag)!r} is not allowed: answers and rules are plain data",
        ))
    wrong = _tag_problem(node)
    if wrong is not None:
        raise DocumentError(Problem(source, node.start_mark.line + 1, _dotted(path), wrong))
    lines[path] = node.start_mark.line + 1
    if id(node) in done:
        return
    done.add(id(node))
    inside = active | {id(node)}
    if isinstance(node, MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, ScalarNode) else "?"
            _walk(key_node, (*path, f"{key}\x00key"), {}, source, done, inside)
            _walk(value_node, (*path, key), lines, source, done, inside)
            if isinstance(value_node, (MappingNode, SequenceNode)):
                lines[(*path, key)] = key_node.start_mark.line + 1  # a block starts on the line after its key
    elif isinstance(node, SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, (*path, index), lines, source, done, inside)


def _plain(node: Node, done: set[int], active: set[int]) -> bool:
    """Whether a node and every node below it are plain data within ``MAX_DEPTH``: what ``_walk``
    checks, without the paths, for every document read; ``_walk`` then says where a problem is."""
    if len(active) >= MAX_DEPTH or id(node) in active or node.tag not in _STANDARD_TAGS \
            or _tag_problem(node) is not None:
        return False
    if id(node) in done:
        return True
    done.add(id(node))
    if isinstance(node, ScalarNode):
        return True
    active.add(id(node))
    try:
        if isinstance(node, MappingNode):
            return all(_plain(key, done, active) and _plain(value, done, active) for key, value in node.value)
        return all(_plain(item, done, active) for item in node.value)
    finally:
        active.discard(id(node))


def _check_nodes(root: Node, source: str) -> int:
    """Refuse, at its line, a value that is not plain data or nests too deeply; the number of
    distinct values written."""
    done: set[int] = set()
    if not _plain(root, done, set()):
        _walk(root, (), {}, source)  # raises the located problem
    return len(done)


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic garbage collector held off while a document is built (or modules are imported): a
    parse makes hundreds of thousands of objects and no cycle, and each collection would scan them all
    again."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


# Aliases may share a value, not inflate a document: a few dozen aliases of aliases ("billion
# laughs") expand a file of a few hundred bytes into billions of values, which every later step
# (validation, error messages, digests) would walk. A document may expand to at most this many values
# beyond ten times the values written in it.
MAX_EXPANSION = 100_000


def _check_expansion(root: Node, written: int, source: str) -> None:
    """Refuse a document whose aliases expand it far beyond what is written, at the smallest value
    that expands too far."""
    limit = 10 * written + MAX_EXPANSION
    sizes: dict[int, int] = {}

    def size(node: Node) -> int:
        known = sizes.get(id(node))
        if known is not None:
            return known
        total = 1
        if isinstance(node, MappingNode):
            total += sum(size(k) + size(v) for k, v in node.value)
        elif isinstance(node, SequenceNode):
            total += sum(size(item) for item in node.value)
        if total > limit:
            raise DocumentError(Problem(
                source, node.start_mark.line + 1, "",
                f"aliases expand the value that starts here to more than {limit:,} values, from "
                f"{written:,} written: an alias may share a value, not multiply it"))
        sizes[id(node)] = total
        return total

    size(root)


# A key longer than this is cut where a path names it: a path says where, it does not quote a file.
_LONGEST_KEY = 40


def _dotted(path: PathKey) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            part = part.replace("\x00key", "")
            part = part if len(part) <= _LONGEST_KEY else part[:_LONGEST_KEY] + "..."
            out += f".{part}" if out else part
    return out


def dotted(path: PathKey) -> str:
    """``('flows', 2, 'channel')`` as ``flows[2].channel``."""
    return _dotted(path)


def _too_many(source: str, line: int | None, key: Any, count: int, limit: int, what: str) -> DocumentError:
    from .problems import phrase, problem  # the catalogue is read by this module

    return DocumentError(problem(source, line, str(key), "file.too_many", count=count, most=limit, what=phrase(what)))


def _check_items(root: Node, source: str, max_items: int | None, what: str) -> None:
    """Refuse a list under the root mapping (an answers file's flows, a record's) longer than
    ``max_items``, before a value of the document is walked or built."""
    if max_items is None or not isinstance(root, MappingNode):
        return
    for key_node, value_node in root.value:
        if isinstance(value_node, SequenceNode) and len(value_node.value) > max_items:
            raise _too_many(source, key_node.start_mark.line + 1, key_node.value, len(value_node.value),
                            max_items, what)


class _NotPlain(Exception):
    """A node the quick build leaves to the checks that say where and why (``_check_nodes``...)."""


_BOOLEANS = {"true": True, "false": False}


def _float(text: str) -> float:
    """A float as ``_construct_float`` reads it."""
    text = text.lower()
    if text.endswith(".inf"):
        return float("-inf") if text.startswith("-") else float("inf")
    return float("nan") if text == ".nan" else float(text)


def _scalar(text: str, tag: str) -> Any:
    """The value of a scalar written ``text`` of a standard ``tag`` that its form fits (as resolved, or
    as ``_tag_problem`` checks it): the one way every reader here builds a scalar; ``_NotPlain`` for a
    number ``number_problem`` refuses, or another tag."""
    if tag == "tag:yaml.org,2002:str":
        return text
    if tag == "tag:yaml.org,2002:int" or tag == "tag:yaml.org,2002:float":
        if number_problem(text) is not None:
            raise _NotPlain
        return int(text, 10) if tag == "tag:yaml.org,2002:int" else _float(text)
    if tag == "tag:yaml.org,2002:bool":
        return _BOOLEANS[text.lower()]
    if tag == "tag:yaml.org,2002:null":
        return None
    raise _NotPlain


class _Build:
    """A document's values built from its nodes in one walk that also checks them as ``_check_nodes``
    does and counts what ``_check_expansion`` counts; any doubt (a tag, a repeated key, a recursive
    anchor, too deep) is ``_NotPlain``, and the document is then built the careful way."""

    def __init__(self) -> None:
        self.values: dict[int, Any] = {}  # by node: an alias is the very value of its anchor
        self.sizes: dict[int, int] = {}
        self.active: set[int] = set()
        self.shared = False  # whether a node is met twice: an alias

    def value(self, node: Node) -> Any:
        if len(self.active) >= MAX_DEPTH:
            raise _NotPlain
        known = self.values.get(id(node), self)
        if known is not self:
            self.shared = True
            return known
        if id(node) in self.active or node.tag not in _STANDARD_TAGS:
            raise _NotPlain
        if isinstance(node, ScalarNode):
            if node.tag != "tag:yaml.org,2002:str" and _tag_problem(node) is not None:
                raise _NotPlain
            value = _scalar(node.value, node.tag)
            self.values[id(node)] = value
            self.sizes[id(node)] = 1
            return value
        if _tag_problem(node) is not None:
            raise _NotPlain
        self.active.add(id(node))
        size = 1
        if isinstance(node, MappingNode):
            out: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, ScalarNode):
                    raise _NotPlain
                key = self.value(key_node)
                if key in out:
                    raise _NotPlain
                out[key] = self.value(value_node)
                size += self.sizes[id(key_node)] + self.sizes[id(value_node)]
            value = out
        else:
            items = []
            for item in node.value:
                items.append(self.value(item))
                size += self.sizes[id(item)]
            value = items
        self.active.discard(id(node))
        self.values[id(node)] = value
        self.sizes[id(node)] = size
        return value


def _quickly_built(root: Node) -> tuple[Any, bool]:
    """The values of a document of plain data within its limits, built in one walk, and whether it
    has aliases; ``_NotPlain`` else."""
    build = _Build()
    data = build.value(root)
    if build.sizes[id(root)] > 10 * len(build.values) + MAX_EXPANSION:
        raise _NotPlain
    return data, build.shared


def parse_yaml(text: str, source: str, max_items: int | None = None, what: str = "what.file") -> Document:
    """Parse one YAML document safely, keeping lines; raise ``DocumentError``. A list under the root
    mapping may hold at most ``max_items`` entries."""
    try:
        loader = _Loader(text)
    except UnicodeError as exc:  # libyaml re-encodes the text: lone surrogates cannot be
        raise _not_valid(source, None, "the text is not valid Unicode") from exc
    try:
        with collector_paused():
            node = loader.get_single_node()
            if node is None:
                return Document(source, None, {})
            _check_items(node, source, max_items, what)
            near: dict[PathKey, int] | None = None
            try:
                data, shared = _quickly_built(node)
                if not shared:  # an alias leaves lines below it to the walk of the whole document
                    near = _near_lines(node)
            except _NotPlain:  # the careful way, which says where a problem is
                _check_expansion(node, _check_nodes(node, source), source)
                data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        detail = exc.problem or str(exc)
        if "nesting depth" in detail:  # PyYAML's own limit, worded by its version
            raise _not_valid(source, line, _TOO_DEEP) from exc
        if exc.context and "duplicate" not in detail:
            start = exc.context_mark
            if start is not None and mark is not None and start.line != mark.line:
                detail = f"{exc.context} (started on line {start.line + 1}), {detail}"
            else:
                detail = f"{exc.context}, {detail}"
        raise _not_valid(source, line, detail) from exc
    except yaml.reader.ReaderError as exc:
        line = text[:exc.position].count("\n") + 1 if isinstance(exc.position, int) else None
        character = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "?")
        raise _not_valid(source, line, f"the character U+{character:04X} is not allowed ({exc.reason})") from exc
    except yaml.YAMLError as exc:
        raise _not_valid(source, None, str(exc)) from exc
    except RecursionError as exc:
        raise _not_valid(source, None, _TOO_DEEP) from exc
    finally:
        loader.dispose()
    return Document(source, data, LineMap(text, near))


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate key {excerpt(key)}")
        out[key] = value
    return out


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


class _NumberError(ValueError):
    """A JSON number refused as written (too many digits, or infinite)."""

    def __init__(self, text: str, problem: str) -> None:
        super().__init__(problem)
        self.text = text


def _json_number(convert: Callable[[str], Any]) -> Callable[[str], Any]:
    """A JSON number hook that refuses, before converting it, a number ``number_problem`` refuses."""
    def parse(text: str) -> Any:
        problem = number_problem(text)
        if problem is not None:
            raise _NumberError(text, problem)
        return convert(text)
    return parse


_JSON_STRING = re.compile(r'"(?:[^"\\\n]|\\.)*"')


def _json_line_of(text: str, token: str) -> int | None:
    """The line of the first number written ``token`` in a JSON text, strings aside."""
    blanked = _JSON_STRING.sub(lambda m: " " * len(m[0]), text)
    found = re.search(rf"(?<![\w.+-]){re.escape(token)}(?![\w.])", blanked)
    return blanked[:found.start()].count("\n") + 1 if found else None


def _lines_of(text: str) -> dict[PathKey, int]:
    """The line of every path of a text already parsed (YAML, or JSON read as the YAML it also is);
    empty if it cannot be read as YAML."""
    try:
        loader = _Loader(text)
    except UnicodeError:
        return {}
    try:
        node = loader.get_single_node()
        lines: dict[PathKey, int] = {}
        if node is not None:
            _walk(node, (), lines, "")
        return lines
    except (yaml.YAMLError, DocumentError, RecursionError, UnicodeError):
        return {}
    finally:
        loader.dispose()


def _duplicate_key(text: str) -> Problem | None:
    """The first repeated key of a JSON text, located through the YAML reader."""
    try:
        parse_yaml(text, "")
    except DocumentError as exc:
        if "duplicate key" in exc.problem.message:
            return exc.problem
    return None


def parse_json(text: str, source: str, max_items: int | None = None, what: str = "what.file") -> Document:
    """Parse a JSON document, refusing duplicate keys and NaN; raise ``DocumentError``. A list under
    the root object may hold at most ``max_items`` entries."""
    try:
        with collector_paused():
            data = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_reject_constant,
                              parse_int=_json_number(int), parse_float=_json_number(float))
    except _NumberError as exc:
        raise DocumentError(Problem(source, _json_line_of(text, exc.text), "", str(exc))) from exc
    except json.JSONDecodeError as exc:
        raise _not_valid(source, exc.lineno, exc.msg, "JSON") from exc
    except RecursionError as exc:
        raise _not_valid(source, None, "nested too deeply", "JSON") from exc
    except ValueError as exc:
        located = _duplicate_key(text) if str(exc).startswith("duplicate key") else None
        if located is not None:
            detail = str(dict(located.args).get("detail", located.message))  # the parser's words, not the frame
            raise _not_valid(source, located.line, detail, "JSON") from exc
        raise _not_valid(source, None, str(exc), "JSON") from exc
    if max_items is not None and isinstance(data, dict):
        for key, value in data.items():
            if isinstance(value, list) and len(value) > max_items:
                raise _too_many(source, None, key, len(value), max_items, what)
    return Document(source, data, LineMap(text))


# The largest file read whole, unless its reader says otherwise: twenty thousand flows of every field
# with comments fit in 32 MB, and a file read whole takes some fifteen times its size in memory while
# parsed; a bigger file is refused before it is read, however it comes (a file, a pipe, a device).
MAX_FILE_BYTES = 32 * 2**20


def _file_problem(source: str, line: int | None, key: str, /, **args: Any) -> Problem:
    """A problem reading a file, worded by the catalogue of problems (``what`` is the key of the kind of
    file, as ``read_document`` is given it)."""
    from .problems import phrase, problem  # the catalogue is read by this module

    if "what" in args:
        args["what"] = phrase(args["what"])
    return problem(source, line, "", key, **args)


# A file is read this many bytes at a time, up to its limit.
READ_PIECE = 2**20


def _read_bytes(path: Path, what: str, limit: int) -> bytes:
    """The bytes of a file of at most ``limit`` bytes, found too big before it is read in full."""
    def too_big() -> DocumentError:
        return DocumentError(_file_problem(str(path), None, "file.too_big", what=what, most=limit // 2**20))

    pieces: list[bytes] = []
    total = 0
    with path.open("rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        if size > limit:
            raise too_big()
        # a file's size and a byte more at once (its end seen); what its size does not tell (a pipe, a file
        # still growing) a piece at a time: ``read(limit + 1)`` would set ``limit`` bytes aside first
        want = size + 1 if size else READ_PIECE
        while total <= limit:
            piece = handle.read(min(want, limit + 1 - total))
            if not piece:
                break
            pieces.append(piece)
            total, want = total + len(piece), READ_PIECE
    if total > limit:
        raise too_big()
    return b"".join(pieces)  # one piece is returned as it is, not copied


def read_document(path: Path, *, what: str = "what.file", max_bytes: int | None = None,
                  max_items: int | None = None) -> Document:
    """Read a YAML or JSON file (by its suffix) of at most ``max_bytes`` (``MAX_FILE_BYTES`` unless
    given) into a ``Document``, a list under its root holding at most ``max_items`` entries. ``what``
    is the key of the kind of file in the catalogue of problems (``what.answers_file``), which words
    the file's problems in every language."""
    source = str(path)
    if "\0" in source:  # no system call takes it
        raise DocumentError(_file_problem(source, None, "file.null_name", what=what))
    try:
        raw = _read_bytes(path, what, MAX_FILE_BYTES if max_bytes is None else max_bytes)
    except FileNotFoundError as exc:
        raise DocumentError(_file_problem(source, None, "file.missing", what=what)) from exc
    except IsADirectoryError as exc:
        raise DocumentError(_file_problem(source, None, "file.directory", what=what)) from exc
    except OSError as exc:
        from .problems import os_reason

        raise DocumentError(_file_problem(source, None, "file.unreadable", reason=os_reason(exc))) from exc
    return parse_bytes(raw, source, json=path.suffix.lower() == ".json", what=what, max_items=max_items)


def parse_bytes(raw: bytes, source: str, *, json: bool, what: str = "what.file",
                max_items: int | None = None) -> Document:
    """The bytes of a YAML (or, ``json``, JSON) file named ``source``, as UTF-8 text (a byte-order mark
    allowed), parsed into a ``Document``; ``DocumentError`` at the line of the first fault."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise DocumentError(_file_problem(source, line, "file.not_utf8", at=exc.start)) from exc
    return (parse_json if json else parse_yaml)(text, source, max_items, what)


# --- Reading a large YAML file one entry of its list at a time -------------------------------------
#
# A file of a hundred thousand flows read whole is a tree of millions of nodes, each with its marks:
# gigabytes. Read event by event (libyaml's parser when PyYAML has it), each entry of the list under the
# root mapping is built, checked and handed on before the next is read, and nothing else is kept. Only
# plain data is read so: an alias or an anchor, a tag other than the standard ones, a repeated key, a
# number ``number_problem`` refuses, nesting beyond ``MAX_DEPTH`` or any fault of the YAML itself ends the
# stream with ``Unstreamable``, and the file is then read whole (``read_document``), which accepts what
# it may and reports a problem at its line, exactly as for any file: the lines are worked out only then.

from yaml.events import (  # noqa: E402  (kept with the streaming reader they serve)
    AliasEvent,
    DocumentEndEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
    StreamStartEvent,
)


class Unstreamable(Exception):
    """A document that cannot be read entry by entry: it is to be read whole, which says why at its line."""


_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"


# The values of the plain scalars kept while a file is streamed: the words that repeat from entry to entry
# (medium, false, chat) are resolved and built once, but each entry also brings texts of its own (an id, a
# name, figures), so the table is emptied when it holds this many, or it would grow with the file.
_VALUES_KEPT = 2048

_UNSEEN = object()


class _Events:
    """Plain values built straight from the parser's events, without a tree of nodes."""

    def __init__(self, loader: Any) -> None:
        self.loader = loader
        self.next: Callable[[], Any] = loader.get_event  # the parser's own, called once an event
        # a plain scalar's value, by its text and how it was written (values are never changed: shared)
        self.values: dict[tuple[str, Any], Any] = {}

    def _collection(self, event: Any, standard: str) -> None:
        if event.anchor is not None or event.tag not in (None, "!", standard):
            raise Unstreamable

    def value(self, event: Any, depth: int) -> Any:
        """The value that starts with ``event``, at ``depth`` levels below the root."""
        if depth >= MAX_DEPTH:
            raise Unstreamable
        kind = type(event)
        if kind is ScalarEvent:
            return self.scalar(event)
        next_event, scalar, value = self.next, self.scalar, self.value
        if kind is MappingStartEvent:
            self._collection(event, _MAP)
            out: dict[Any, Any] = {}
            event = next_event()
            while type(event) is ScalarEvent:
                key = scalar(event)
                # Keys are field names: any other key (a number, null, a repeat) is for the careful
                # reading of the whole file to report; and a value of text keys is plain JSON too.
                if type(key) is not str or key in out:
                    raise Unstreamable
                event = next_event()
                out[key] = scalar(event) if type(event) is ScalarEvent else value(event, depth + 1)
                event = next_event()
            if type(event) is not MappingEndEvent:
                raise Unstreamable
            return out
        if kind is SequenceStartEvent:
            self._collection(event, _SEQ)
            items = []
            event = next_event()
            while type(event) is not SequenceEndEvent:
                items.append(scalar(event) if type(event) is ScalarEvent else value(event, depth + 1))
                event = next_event()
            return items
        raise Unstreamable  # an alias

    def scalar(self, event: Any) -> Any:
        if event.anchor is not None:
            raise Unstreamable
        tag = event.tag
        if tag is None or tag == "!":
            key = (event.value, event.implicit)
            known = self.values.get(key, _UNSEEN)
            if known is _UNSEEN:
                if len(self.values) >= _VALUES_KEPT:
                    self.values.clear()
                known = self.values[key] = _built(event.value, self.loader.resolve(ScalarNode, *key))
            return known
        if tag not in _STANDARD_TAGS or _tag_problem(ScalarNode(tag, event.value)) is not None:
            raise Unstreamable
        return _built(event.value, tag)


def _built(text: str, tag: str) -> Any:
    """The value of a scalar as ``_scalar`` builds it; ``Unstreamable`` for one that the reading of
    the whole file is to judge."""
    try:
        return _scalar(text, tag)
    except _NotPlain:
        raise Unstreamable from None


def stream_yaml(path: Path, key: str) -> Iterator[tuple[str, int | None, Any]]:
    """The entries of the YAML file at ``path``, a mapping, in order: ``(name, None, value)`` for each,
    except the list under ``key``, given an item at a time as ``(key, index, item)``. Raise
    ``Unstreamable`` (perhaps after some entries) when the file is not plain data to read so; the
    file is then to be read whole by ``read_document``, which accepts it or says where it is wrong."""
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise Unstreamable from exc
    with handle:
        if handle.read(2) in (b"\xff\xfe", b"\xfe\xff"):  # UTF-16: refused, at its place, when read whole
            raise Unstreamable
        handle.seek(0)
        loader = _Loader(handle)
        try:
            yield from _entries(_Events(loader), key)
        except (yaml.YAMLError, UnicodeError, RecursionError, ValueError, KeyError) as exc:
            raise Unstreamable from exc
        finally:
            loader.dispose()


def _entries(events: _Events, key: str) -> Iterator[tuple[str, int | None, Any]]:
    if type(events.next()) is not StreamStartEvent or type(events.next()) is not DocumentStartEvent:
        raise Unstreamable
    root = events.next()
    if type(root) is not MappingStartEvent:
        raise Unstreamable
    events._collection(root, _MAP)
    seen: set[Any] = set()
    event = events.next()
    while type(event) is not MappingEndEvent:
        if type(event) is not ScalarEvent:
            raise Unstreamable
        name = events.scalar(event)
        if not isinstance(name, str) or name in seen:
            raise Unstreamable
        seen.add(name)
        event = events.next()
        if name == key and type(event) is SequenceStartEvent:
            events._collection(event, _SEQ)
            index = 0
            event = events.next()
            while type(event) is not SequenceEndEvent:
                yield name, index, events.value(event, 2)
                index += 1
                event = events.next()
        else:
            yield name, None, events.value(event, 1)
        event = events.next()
    if type(events.next()) is not DocumentEndEvent or type(events.next()) is not StreamEndEvent:
        raise Unstreamable
