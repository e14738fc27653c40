"""Loading an answers file: parse safely, validate once, report every problem with its line."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from .errors import AnswersError, Problem
from .load import Document, DocumentError, PathKey, dotted, read_document
from .models import Answers, Flow, Organisation, VendorQuote

_EXPECTATIONS = {
    "id": "a slug of lower-case letters, digits, '-' or '_' (like order-taking)",
    "country": "an ISO 3166-1 alpha-2 code in capitals (like FR)",
    "provider_country": "an ISO 3166-1 alpha-2 code in capitals (like MA)",
    "currency": "an ISO 4217 code in capitals (like EUR)",
}

_SUBMODELS: dict[tuple[type[BaseModel], str], type[BaseModel]] = {
    (Answers, "organisation"): Organisation,
    (Answers, "flows"): Flow,
    (Flow, "vendor_quote"): VendorQuote,
}


def _model_at(loc: tuple[Any, ...]) -> type[BaseModel]:
    """The model class that owns the last element of ``loc``."""
    model: type[BaseModel] = Answers
    for part in loc[:-1]:
        if isinstance(part, str):
            model = _SUBMODELS.get((model, part), model)
    return model


def _number(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _describe(error: Any, field: str) -> str:
    """One pydantic error as a sentence that shows the value and what was expected."""
    kind, value, ctx = error["type"], error.get("input"), error.get("ctx") or {}
    shown = repr(value) if not isinstance(value, (dict, list)) else ("a mapping" if isinstance(value, dict) else "a list")
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        known = list(_model_at(error["loc"]).model_fields)
        close = difflib.get_close_matches(str(field), known, n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]!r}?" if close else f"; known fields: {', '.join(known)}"
        return f"unknown field {field!r}{hint}"
    if kind == "enum":
        expected = ctx.get("expected", "").replace("'", "").replace(" or ", ", ")
        return f"{shown} is not one of {expected}"
    bounds = {"greater_than_equal": ("at least", "ge"), "greater_than": ("more than", "gt"),
              "less_than_equal": ("at most", "le"), "less_than": ("less than", "lt")}
    if kind in bounds:
        words, key = bounds[kind]
        return f"{shown} is out of range: expected a number {words} {_number(ctx[key])}"
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return f"{shown} is not a whole number"
    if kind in ("float_parsing", "float_type"):
        return f"{shown} is not a number"
    if kind in ("bool_parsing", "bool_type"):
        return f"{shown} is not true or false"
    if kind == "string_pattern_mismatch":
        return f"{shown} is not {_EXPECTATIONS.get(str(field), 'in the expected form')}"
    if kind in ("string_type",):
        return f"{shown} is not text"
    if kind in ("string_too_short",):
        return "must not be empty"
    if kind in ("string_too_long",):
        return f"is too long (at most {ctx.get('max_length')} characters)"
    if kind in ("tuple_type", "list_type"):
        return f"{shown} is not a list; write [] or a list like [a, b]"
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return f"{shown} is not a mapping of field: value"
    if kind == "too_short":
        return "must not be empty"
    if kind == "value_error":
        message = str(ctx.get("error", error["msg"]))
        return message
    return f"{shown}: {error['msg']}"


def problems_from_errors(errors: list[Any], doc: Document) -> list[Problem]:
    """Map pydantic errors (``ValidationError.errors()``) back to the document's lines."""
    problems = []
    for error in errors:
        loc: PathKey = tuple(error["loc"])
        if error["type"] == "too_short" and any(
            len(other["loc"]) > len(loc) and tuple(other["loc"][:len(loc)]) == loc for other in errors
        ):
            continue  # pydantic adds this when the items themselves failed
        field = loc[-1] if loc else ""
        line = doc.line_of(loc)
        if error["type"] == "extra_forbidden":
            line = doc.lines.get(loc, line)
        problems.append(Problem(doc.source, line, dotted(loc), _describe(error, str(field))))
    problems.sort(key=lambda p: (p.line or 0, p.path))
    return problems


def validate_answers(doc: Document) -> Answers:
    """Validate a parsed document against the vocabulary; raise ``AnswersError`` with every problem."""
    if doc.data is None:
        raise AnswersError(f"{doc.source} is empty",
                           (Problem(doc.source, 1, "", "the file is empty; expected organisation: and flows:"),))
    if not isinstance(doc.data, dict):
        kind = "a list" if isinstance(doc.data, list) else f"a single value ({doc.data!r})"
        raise AnswersError(f"{doc.source} is not an answers file", (Problem(
            doc.source, doc.line_of(()), "", f"the document is {kind}; expected a mapping with organisation: and flows:",
        ),))
    try:
        return Answers.model_validate(doc.data)
    except ValidationError as exc:
        problems = problems_from_errors(exc.errors(), doc)
        count = len(problems)
        raise AnswersError(
            f"{doc.source}: {count} problem{'s' if count > 1 else ''} in the answers",
            tuple(problems),
        ) from exc


def load_answers(path: Path) -> Answers:
    """Read and validate an answers file (YAML, or JSON by its suffix)."""
    try:
        doc = read_document(path, what="answers file")
    except DocumentError as exc:
        raise AnswersError(f"cannot read the answers in {path}", (exc.problem,)) from exc
    return validate_answers(doc)
