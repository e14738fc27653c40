"""Loading an answers file: parse safely, validate once, report every problem with its line.

A YAML answers file of ``STREAM_FROM_BYTES`` or more is read a flow at a time (``engine.load.stream_yaml``):
its flows are validated in parts of ``PART_FLOWS``, and ``answers_parts`` hands them on part by part, so
that a file of a hundred thousand flows is recommended in the memory of a few hundred. The file is parsed
once: the flows read are kept as JSON lines (``SPOOL_BYTES`` in memory, the rest in a temporary file) and
every flow is validated (as it is read when the organisation comes first, from those lines once the file
is read when the flows come first), and the parts are then made from those lines. A file that has a
problem, or that is not plain data (aliases, tags), is read whole, as any smaller file is, and each
problem is reported at its line. An answers file holds at most ``MAX_FLOWS`` flows (200,000) in
``MAX_STREAMED_BYTES`` (512 MB) when it is YAML, at most ``MAX_WHOLE_FLOWS`` (20,000) in 32 MB when it
is JSON, which is read whole: the limits bound the time of a run (200,000 flows take minutes) and, for a
file read whole, its memory. Validation takes time in proportion to the flows, however many of them
are wrong.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import json
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, get_args

from pydantic import BaseModel, ValidationError

from .errors import AnswersError, Arg, InvalidAnswer, Phrase, Problem, excerpt
from .load import Document, DocumentError, PathKey, Unstreamable, dotted, read_document, stream_yaml
from .models import Answers, Flow, Organisation
from .problems import error, located, os_reason, phrase, problem, say
from .ranges import RangeTable, take_ranges

# What a text of a given form is (its message in the catalogue of problems), said by the field's name...
_EXPECTATIONS = {
    "country": "pattern.country",
    "provider_country": "pattern.provider_country",
    "currency": "pattern.currency",
}

# ... else by the form.
_FORMS = {
    r"^[a-z0-9][a-z0-9_-]{0,63}$": "pattern.slug",
    r"^[a-z]{2}$": "pattern.language",
    r"^[a-z][a-z0-9_]*$": "pattern.name",
    r"^[A-Z][A-Z0-9]*-[0-9]{2,3}$": "pattern.rule_id",
    r"^\d+\.\d+\.\d+$": "pattern.version",
    r"^[A-Za-z0-9_][A-Za-z0-9_.-]*\.ya?ml$": "pattern.yaml_file",
}

# A file read whole (JSON, an audit record) is held whole in memory, some 30 KB a flow while parsed:
# 20,000 flows at most. A YAML file is read a flow at a time, and its memory does not grow with its
# flows: the limits then bound the time of a run (some 2 ms a flow for JSON output) and, for a file with
# a problem to locate, which is read whole, its memory.
MAX_WHOLE_FLOWS = 20_000
MAX_FLOWS = 200_000
MAX_STREAMED_BYTES = 512 * 2**20
# A YAML file from this size on (some 1,000 flows) is read a flow at a time, in parts of PART_FLOWS.
STREAM_FROM_BYTES = 2**19
PART_FLOWS = 250


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    """The pydantic models an annotation holds (``list[Flow]``, ``Flow | None``, a union of models...)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [model for arg in get_args(annotation) for model in _models_in(arg)]


def known_fields(root: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """The field names allowed where the last element of ``loc`` stands, from ``root`` down."""
    models = [root]
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        inner = [m for model in models if part in model.model_fields
                 for m in _models_in(model.model_fields[part].annotation)]
        if inner:
            models = inner
    fields: dict[str, None] = {}
    for model in models:
        fields.update(dict.fromkeys(field.alias or name for name, field in model.model_fields.items()))
    return list(fields)


def shown_bound(value: Any) -> Arg:
    """A field's bound as its message shows it: a decimal one as a figure (each language's decimal mark),
    a whole one as written in the model."""
    return value if isinstance(value, float) else str(value)


@functools.lru_cache(maxsize=1024)
def _field_hint(root: type[BaseModel], within: tuple[str, ...], field: str) -> tuple[str | None, str]:
    """The known field an unknown one is closest to (quoted), or None; and all of them; worked out once
    for each misspelling, however many flows repeat it."""
    known = known_fields(root, (*within, field))
    import difflib  # only a misspelt name needs it

    close = difflib.get_close_matches(field, known, n=1, cutoff=0.6)
    return (repr(close[0]) if close else None), ", ".join(known)


_BOUNDS = {"greater_than_equal": ("at_least", "ge"), "greater_than": ("more_than", "gt"),
           "less_than_equal": ("at_most", "le"), "less_than": ("less_than", "lt")}
_KINDS = {**dict.fromkeys(("int_parsing", "int_type", "int_from_float"), "not_whole"),
          **dict.fromkeys(("float_parsing", "float_type"), "not_number"),
          **dict.fromkeys(("bool_parsing", "bool_type"), "not_bool"),
          "string_type": "not_text", "finite_number": "not_finite",
          **dict.fromkeys(("tuple_type", "list_type"), "not_list"),
          **dict.fromkeys(("model_type", "dict_type", "model_attributes_type"), "not_mapping")}


def _describe(error: Any, field: str, root: type[BaseModel] = Answers) -> Phrase:
    """One pydantic error as a sentence (a phrase of the catalogue of problems) that shows the value
    and what was expected."""
    kind, value, ctx = error["type"], error.get("input"), error.get("ctx") or {}
    shown: str | Phrase = (phrase("kind.mapping") if isinstance(value, dict) else phrase("kind.list")) \
        if isinstance(value, (dict, list)) else excerpt(value)
    if kind == "missing":
        return phrase("required")
    if kind == "extra_forbidden":
        within = tuple(part for part in error["loc"][:-1] if not isinstance(part, int))
        close, known = _field_hint(root, within, field)
        if close is not None:
            return phrase("unknown_field.close", field=excerpt(field), close=close)
        return phrase("unknown_field.known", field=excerpt(field), known=known)
    if kind in ("enum", "literal_error"):
        expected = ctx.get("expected", "").replace("'", "").replace(" or ", ", ")
        return phrase("not_one_of", value=shown, expected=expected)
    if kind in _BOUNDS and isinstance(value, float) and value != value:  # NaN: outside every bound
        return phrase("not_finite", value=shown)
    if kind in _BOUNDS:
        key, bound = _BOUNDS[kind]
        return phrase(key, value=shown, bound=shown_bound(ctx[bound]))
    if kind in _KINDS:
        return phrase(_KINDS[kind], value=shown)
    if kind == "string_pattern_mismatch":
        pattern = str(ctx.get("pattern", ""))
        expected = _EXPECTATIONS.get(str(field)) or _FORMS.get(pattern)
        return phrase(expected, value=shown) if expected else phrase("pattern", value=shown, pattern=excerpt(pattern))
    if kind in ("string_too_short",):
        return phrase("empty")
    if kind in ("string_too_long",):
        return phrase("too_long", most=str(ctx.get("max_length")))
    if kind in ("too_short", "too_long") and ctx.get("min_length") == ctx.get("max_length") or \
            kind == "too_short" and ctx.get("min_length", 1) > 1:
        return phrase("count", actual=str(ctx.get("actual_length")), expected=str(ctx.get("min_length")))
    if kind == "too_short":
        return phrase("empty")
    if kind == "too_long":
        return phrase("count.at_most", actual=str(ctx.get("actual_length")), most=str(ctx.get("max_length")))
    if kind == "value_error":
        complaint = ctx.get("error")
        if isinstance(complaint, InvalidAnswer):
            return Phrase(complaint.key, complaint.arguments)
        return phrase("as_is", text=str(error["msg"] if complaint is None else complaint))
    # pydantic's own English words, for a kind no answer has had yet
    return phrase("as_is", text=f"{say(shown) if isinstance(shown, Phrase) else shown}: {error['msg']}")


def _spelled(key: Any) -> str:
    """A key that is not text, as YAML spells it."""
    if key is None:
        return "null"
    return str(key).lower() if isinstance(key, bool) else str(key)


KeyLines = dict[tuple[PathKey, str], int]


def _key_lines(doc: Document) -> KeyLines:
    """The line of every mapping key, by its mapping and its spelling in lower case (an empty key or
    ``~`` spelled null): one pass over the document, however many keys are wrong."""
    lines: KeyLines = {}
    for path, line in doc.lines.items():
        if path and isinstance(path[-1], str):
            lines.setdefault((path[:-1], (path[-1].lower() or "null").replace("~", "null")), line)
    return lines


def _key_problem(error: Any, doc: Document, key_lines: KeyLines) -> Problem:
    """A mapping key that is a number, a boolean or null instead of a field name."""
    parent: PathKey = tuple(error["loc"][:-1])
    key = error.get("input")
    line = key_lines.get((parent, _spelled(key).lower()), doc.line_of(parent))
    return problem(doc.source, line, dotted(parent), "key_not_field", key=_spelled(key))


def _duplicate_ids(doc: Document) -> list[Problem]:
    """Every flow whose id an earlier flow already uses, located at its ``id``."""
    flows = doc.data.get("flows") if isinstance(doc.data, dict) else None
    if not isinstance(flows, list):
        return []
    first: dict[str, int] = {}
    problems = []
    for index, flow in enumerate(flows):
        flow_id = flow.get("id") if isinstance(flow, dict) else None
        if not isinstance(flow_id, str):
            continue
        if flow_id in first:
            earlier = first[flow_id]
            where = doc.line_of(("flows", earlier, "id"))
            said = phrase("duplicate_id", id=excerpt(flow_id), earlier=f"flows[{earlier}]") if where is None else \
                phrase("duplicate_id.line", id=excerpt(flow_id), earlier=f"flows[{earlier}]", line=str(where))
            problems.append(located(doc.source, doc.line_of(("flows", index, "id")), f"flows[{index}].id", said))
        else:
            first[flow_id] = index
    return problems


def problems_from_errors(errors: list[Any], doc: Document, root: type[BaseModel] = Answers) -> list[Problem]:
    """Map pydantic errors (``ValidationError.errors()``) of a ``root`` model back to the document's lines."""
    problems = []
    # pydantic adds a too_short error to a list whose items themselves failed: the items are reported
    failed_within = {tuple(e["loc"][:end]) for e in errors for end in range(len(e["loc"]))}
    key_lines = _key_lines(doc) if any(e["type"] == "invalid_key" for e in errors) else {}
    for error in errors:
        loc: PathKey = tuple(error["loc"])
        if error["type"] == "too_short" and loc in failed_within:
            continue
        if error["type"] == "invalid_key":
            problems.append(_key_problem(error, doc, key_lines))
            continue
        field = loc[-1] if loc else ""
        line = doc.line_of(loc)
        if error["type"] == "extra_forbidden":
            line = doc.lines.get(loc, line)
        problems.append(located(doc.source, line, dotted(loc), _describe(error, str(field), root)))
    problems.sort(key=lambda p: (p.line or 0, p.path))
    return _known_fields_listed_once(problems)


def _known_fields_listed_once(problems: list[Problem]) -> list[Problem]:
    """The same list of known fields given once, at its first unknown field; later ones point there."""
    first: dict[str, int | None] = {}
    out = []
    for found in problems:
        args = dict(found.args)
        known = str(args.get("known"))
        if found.key == "unknown_field.known" and known in first:
            found = located(found.file, found.line, found.path, phrase(
                "unknown_field.known_above", field=args["field"], line=str(first[known])))
        elif found.key == "unknown_field.known":
            first[known] = found.line
        out.append(found)
    return out


def _kind_of(value: Any) -> Phrase:
    """What a document that is a single value holds, without quoting it (it may be any file at all)."""
    if isinstance(value, bool):
        return phrase("kind.bool")
    return phrase("kind.number") if isinstance(value, (int, float)) else phrase("kind.text")


@dataclasses.dataclass(frozen=True)
class Estimated:
    """Validated answers (each range's likely value in place of the range) and their ranges."""

    answers: Answers
    ranges: RangeTable


def validate_answers(doc: Document) -> Answers:
    """Validate a parsed document against the vocabulary; raise ``AnswersError`` with every problem."""
    return validate_estimates(doc).answers


def validate_estimates(doc: Document) -> Estimated:
    """Validate a parsed document whose numeric answers may be ranges: the answers at their likely
    values, and the ranges; raise ``AnswersError`` with every problem, the ranges' too."""
    if doc.data is None:
        raise _error("answers.empty", doc.source, (problem(doc.source, 1, "", "file.empty"),))
    if not isinstance(doc.data, dict):
        kind = phrase("kind.list") if isinstance(doc.data, list) else _kind_of(doc.data)
        raise _error("answers.not_answers", doc.source,
                     (problem(doc.source, doc.line_of(()), "", "file.not_mapping", kind=kind),))
    doc, ranges, problems = take_ranges(doc)
    # Repeated ids are found here, located at each repeat, so that they are reported with every
    # other problem (the model's own check only runs once the flows are otherwise valid).
    repeated = _duplicate_ids(doc)
    try:
        answers = Answers.model_validate(doc.data)
    except ValidationError as exc:
        errors = [e for e in exc.errors() if not (repeated and e["loc"] == ())]
        # A range written wrong is reported as such, not again as the answer the model found in its place.
        ranged = {p.path for p in problems}
        found = [p for p in problems_from_errors(errors, doc) if p.path not in ranged]
        raise _many(doc, [*found, *problems, *repeated]) from exc
    problems += repeated + _bound_problems(doc, ranges)
    if problems:
        raise _many(doc, problems)
    return Estimated(answers, ranges)


def _bound_problems(doc: Document, ranges: RangeTable) -> list[Problem]:
    """Each range bound that is not itself a valid answer, located at its range."""
    problems = []
    for path, estimate in ranges.items():
        for key, bound in (("range.low", estimate.low), ("range.high", estimate.high)):
            error = _bound_error(doc.data, path, bound)
            if error is not None:
                problems.append(problem(doc.source, doc.line_of(path), dotted(path), key,
                                        problem=_describe(error, str(path[-1]))))
    return problems


def _bound_error(data: dict[str, Any], path: PathKey, bound: float) -> Any:
    """The model's complaint about the answer at ``path`` (of a ``RangeTable``) set to ``bound``, if any."""
    value: Any = int(bound) if bound.is_integer() else bound
    if path[0] == "organisation":
        model: type[BaseModel] = Organisation
        values = {**data["organisation"], str(path[1]): value}
    else:
        model, values = Flow, dict(data["flows"][int(path[1])])
        if path[2] == "vendor_quote":
            values["vendor_quote"] = {str(path[3]): value}
        else:
            values[str(path[2])] = value
    try:
        model.model_validate(values)
    except ValidationError as exc:
        field = tuple(path[-2:]) if path[-2] == "vendor_quote" else (path[-1],)
        return next((e for e in exc.errors() if tuple(e["loc"][:len(field)]) == field or e["loc"] == ()), None)
    return None


def _many(doc: Document, problems: list[Problem]) -> AnswersError:
    problems = sorted(problems, key=lambda p: (p.line or 0, p.path))
    count = len(problems)
    return _error("answers.problems" if count > 1 else "answers.problem", doc.source, tuple(problems), count=count)


def _error(key: str, source: str, problems: tuple[Problem, ...], **args: int) -> AnswersError:
    """An ``AnswersError`` whose headline is the catalogue's ``key`` about the file ``source``."""
    return error(AnswersError, key, *problems, source=source, **args)


def load_answers(path: Path) -> Answers:
    """Read and validate an answers file (YAML, or JSON by its suffix)."""
    return load_estimates(path).answers


def load_estimates(path: Path) -> Estimated:
    """Read and validate an answers file whose numeric answers may be ranges."""
    if streamed(path):
        with contextlib.suppress(Unstreamable), _spool(path) as spool, spool:
            parts = [part.answers for part, _ in _checked_parts(path, spool, keep=False)]
            flows = tuple(flow for part in parts for flow in part.flows)
            return Estimated(parts[0].model_copy(update={"flows": flows}), {})
    return _whole(path)


def _whole(path: Path) -> Estimated:
    """An answers file read whole, each problem reported at its line."""
    yaml_file = path.suffix.lower() != ".json"
    try:
        doc = read_document(path, what="what.answers_file", max_items=MAX_FLOWS if yaml_file else MAX_WHOLE_FLOWS,
                            max_bytes=MAX_STREAMED_BYTES if yaml_file else None)
    except DocumentError as exc:
        raise _error("answers.unreadable", str(path), (exc.problem,)) from exc
    return validate_estimates(doc)


def streamed(path: Path) -> bool:
    """Whether the answers file at ``path`` is read a flow at a time: a regular YAML file of at least
    ``STREAM_FROM_BYTES``."""
    if path.suffix.lower() == ".json":
        return False
    try:
        status = path.stat()
    except (OSError, ValueError):
        return False
    return stat.S_ISREG(status.st_mode) and status.st_size >= STREAM_FROM_BYTES


# The entries of an answers file besides its flows (the organisation): its head. The flows read once
# the head is whole are validated as they are read; flows written before it (PyYAML's ``safe_dump`` sorts
# ``flows`` before ``organisation``) are kept as read and validated once the file is read.
_HEAD = frozenset(Answers.model_fields) - {"flows"}
_compact = json.JSONEncoder(separators=(",", ":")).encode  # one encoder for every flow


def _parts(path: Path, size: int, spool: IO[str], keep: bool) -> Iterator[tuple[Estimated, dict[str, Any]]]:
    """The flows of a streamed answers file validated ``size`` at a time, each part with the file's
    head (the data it was validated with); with ``keep``, every flow written to ``spool`` as a line of
    JSON as it is read. Flows read before the head is whole are kept in ``spool`` whatever ``keep``
    says, and validated from it once the file is read. ``Unstreamable`` as soon as anything is not as
    a streamed file must be (a problem, a range, too many flows, an entry after the flows when the head
    was whole before them)."""
    head: dict[str, Any] = {}
    chunk: list[Any] = []
    count = 0
    deferred: bool | None = None  # decided at the first flow
    for name, index, value in stream_yaml(path, "flows"):
        if index is None:
            if deferred is False:  # the head was whole: this entry repeats it or is unknown
                raise Unstreamable
            head[name] = value
            continue
        if deferred is None:
            deferred = not _HEAD <= head.keys()
        count += 1
        if count > MAX_FLOWS:
            raise Unstreamable
        if keep or deferred:
            _keep(spool, _compact(value) + "\n")
        if deferred:
            continue
        chunk.append(value)
        if len(chunk) == size:
            yield _part(path, head, chunk), head
            chunk = []
    if deferred is None:
        raise Unstreamable
    if deferred:
        yield from ((_part(path, head, flows), head) for flows in _read_back(spool, size))
    elif chunk:
        yield _part(path, head, chunk), head


def _read_back(spool: IO[str], size: int) -> Iterator[list[Any]]:
    """The flows written to ``spool``, from its start, ``size`` at a time."""
    spool.seek(0)
    chunk: list[Any] = []
    for line in spool:
        chunk.append(json.loads(line))
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _part(path: Path, head: dict[str, Any], flows: list[Any]) -> Estimated:
    try:
        part = validate_estimates(Document(str(path), {**head, "flows": flows}, {}))
    except AnswersError as exc:
        raise Unstreamable from exc
    if part.ranges:  # sampled: the whole file at once
        raise Unstreamable
    return part


def _checked_parts(path: Path, spool: IO[str], keep: bool) -> Iterator[tuple[Estimated, dict[str, Any]]]:
    """The parts of a streamed file (as ``_parts``), each id checked against the ids before it."""
    ids: set[str] = set()
    for part, head in _parts(path, PART_FLOWS, spool, keep):
        for flow in part.answers.flows:
            if flow.id in ids:
                raise Unstreamable
            ids.add(flow.id)
        yield part, head


# The flows of a streamed file are kept for the run as JSON lines (plain data, one flow a line) in memory
# up to this size and in an anonymous temporary file beyond it: the file is parsed once, and the memory
# does not grow with its flows.
SPOOL_BYTES = 8 * 2**20


class _NoRoom(Exception):
    """The temporary folder refused the flows kept aside, for the operating system's ``reason``."""

    def __init__(self, reason: OSError) -> None:
        super().__init__(reason)
        self.reason = reason


def _keep(spool: IO[str], line: str) -> None:
    try:
        spool.write(line)
    except OSError as exc:  # the spool rolled over to a temporary file that could not be written
        raise _NoRoom(exc) from exc


@contextlib.contextmanager
def _spool(path: Path) -> Iterator[IO[str]]:
    """A place for the flows of the streamed file at ``path`` (``SPOOL_BYTES`` in memory, the rest in an
    anonymous temporary file), closed if anything goes wrong while it is filled; a temporary folder
    without room is an ``AnswersError``."""
    import tempfile  # only a streamed file needs it

    spool: IO[str] = tempfile.SpooledTemporaryFile(SPOOL_BYTES, mode="w+", encoding="utf-8")  # noqa: SIM115
    try:
        yield spool
    except _NoRoom as exc:  # the temporary folder is full, or cannot be written
        spool.close()
        raise error(AnswersError, "answers.no_room", problem(
            str(path), None, "", "answers.no_room_why", folder=tempfile.gettempdir(), reason=os_reason(exc.reason)),
            path=str(path)) from exc.reason
    except BaseException:
        spool.close()
        raise


def _spooled(path: Path) -> tuple[dict[str, Any], IO[str]]:
    """Validate a streamed file's every flow, keeping only their ids: the file's head, and its flows as
    read, one a line; ``Unstreamable`` as ``_checked_parts``."""
    head: dict[str, Any] = {}
    with _spool(path) as spool:
        for _, head in _checked_parts(path, spool, keep=True):
            pass  # each part validated; its flows are in the spool
    return head, spool


def answers_parts(path: Path, size: int = PART_FLOWS) -> Iterator[Answers] | Estimated:
    """The validated answers of a streamed file, ``size`` flows at a time, each part with the
    organisation, when every flow is valid and no answer is a range; else the file read whole
    (``load_estimates``), or its problems raised. Every flow is validated before the first part is
    given: a problem is reported before anything is done."""
    if not streamed(path):
        return _whole(path)
    try:
        head, spool = _spooled(path)
    except Unstreamable:
        return _whole(path)
    return _parts_again(head, spool, size)


def _parts_again(head: dict[str, Any], spool: IO[str], size: int) -> Iterator[Answers]:
    """The parts of a streamed file from its head and its flows as they were read and validated: the
    same data, validated again by the model into the same answers. Every part was found valid, with
    no range and no problem, so ``validate_estimates`` would leave the data as it is and find nothing
    more."""
    with spool:
        for flows in _read_back(spool, size):
            yield Answers.model_validate({**head, "flows": flows})


# A file found in a folder is peeked at up to this size; a bigger one is taken as answers, so that
# reading it reports what it holds (or that it is too big) instead of a long peek.
PEEK_BYTES = 4 * 2**20


def looks_like_answers(path: Path) -> bool:
    """Whether a YAML or JSON file found in a folder is an answers file rather than another file kept
    beside them (an import mapping, a bid, a policy file): its top level names an ``organisation`` or
    gives a list of ``flows``. Read as parser events (never built, never run), only as far as needed.
    When in doubt, it is: a file that cannot be peeked at, is not a mapping, or is large is taken as
    answers, so that reading it reports what is wrong."""
    import yaml

    try:
        if path.stat().st_size > PEEK_BYTES:
            return True
        with path.open("rb") as handle:
            depth, expect_key, flows_value = 0, True, False
            for event in yaml.parse(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
                if flows_value:
                    if isinstance(event, (yaml.SequenceStartEvent, yaml.AliasEvent)):
                        return True
                    flows_value = False
                if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                    if depth == 0 and not isinstance(event, yaml.MappingStartEvent):
                        return True
                    depth += 1
                elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                    depth -= 1
                    if depth == 0:
                        return False  # the whole top level read: no organisation, no list of flows
                    if depth == 1:
                        expect_key = not expect_key  # a collection at the top level ended
                elif depth == 1 and isinstance(event, (yaml.ScalarEvent, yaml.AliasEvent)):
                    if expect_key and isinstance(event, yaml.ScalarEvent):
                        if event.value == "organisation":
                            return True
                        flows_value = event.value == "flows"
                    expect_key = not expect_key
            return True  # empty, or a single value: reading it says what is wrong
    except (yaml.YAMLError, OSError, UnicodeDecodeError):
        return True
