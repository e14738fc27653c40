"""Estimates: a numeric answer given as a range rather than one figure.

Any numeric answer of the organisation or of a flow (a quote's amount too) may be written

- ``monthly_volume: {low: 8000, likely: 11000, high: 15000}`` (``likely`` left out: the middle), or
- ``aht_seconds: 240 ± 15 %`` (also ``+/-``), or ``aht_seconds: 240 ± 30`` (a spread in the answer's unit).

A range is taken out of the document before the model sees it: the model validates the likely value,
as if it alone had been answered, and the range is kept beside the answers in a table from the field's
path to its ``Estimate``. Each bound must itself be a valid answer (``check_bounds``).
"""

from __future__ import annotations

import math

import re
from dataclasses import dataclass
from types import NoneType, UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from .errors import Arg, Problem, excerpt
from .load import Document, PathKey, dotted
from .models import Flow, Organisation, VendorQuote
from .problems import problem


@dataclass(frozen=True)
class Estimate:
    """An answer known within a range: the least, the most likely and the most it may be."""

    low: float
    likely: float
    high: float


RangeTable = dict[PathKey, Estimate]

_KEYS = ("low", "likely", "high")
_NUMBER = r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)"
_SPREAD = re.compile(rf"\s*({_NUMBER})\s*(?:±|\+/-|\+-)\s*({_NUMBER})\s*(%?)\s*")
_RANGE_SIGNS = ("±", "+/-")
# Free text may hold anything, a plus-minus sign too.
_FREE_TEXT = frozenset({"name"})


def _number_kind(annotation: Any) -> type | None:
    """``int`` or ``float`` when a field's annotation is one number (possibly optional), else None (a
    list, a mapping, text, a choice)."""
    if annotation in (int, float):
        return annotation  # type: ignore[no-any-return]
    origin = get_origin(annotation)
    if origin is Annotated:
        return _number_kind(get_args(annotation)[0])
    if origin in (Union, UnionType):
        kinds = [arg for arg in get_args(annotation) if arg is not NoneType]
        return _number_kind(kinds[0]) if len(kinds) == 1 else None
    return None


def _numbers(model: type[BaseModel]) -> dict[str, bool]:
    """The numeric fields of a model, each with whether it takes whole numbers only."""
    kinds = {name: _number_kind(field.annotation) for name, field in model.model_fields.items()}
    return {name: kind is int for name, kind in kinds.items() if kind is not None}


NUMERIC: dict[type[BaseModel], dict[str, bool]] = {model: _numbers(model) for model in (Organisation, Flow, VendorQuote)}


def is_integer(path: PathKey) -> bool:
    """Whether the answer at ``path`` (as in a ``RangeTable``) takes whole numbers only."""
    owner: dict[str, type[BaseModel]] = {"organisation": Organisation, "vendor_quote": VendorQuote}
    return NUMERIC[owner.get(str(path[-2]), Flow)].get(str(path[-1]), False)


class _Reader:
    """Takes the ranges out of one answers document, noting each one and each problem."""

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.ranges: RangeTable = {}
        self.problems: list[Problem] = []

    def problem(self, path: PathKey, key: str, /, **args: Arg) -> None:
        """Note the problem ``key`` of the catalogue of problems at ``path``."""
        self.problems.append(problem(self.doc.source, self.doc.line_of(path), dotted(path), key, **args))

    def mapping(self, data: dict[Any, Any], path: PathKey, model: type[BaseModel]) -> dict[Any, Any]:
        """The mapping with every range replaced by its likely value (the same object when it has none)."""
        numeric = NUMERIC[model]
        out = data
        for key, value in data.items():
            likely = value
            if key in numeric:
                likely = self.answer(value, (*path, key), numeric[key])
            elif key == "vendor_quote" and isinstance(value, dict):
                likely = self.mapping(value, (*path, key), VendorQuote)
            elif self.looks_ranged(key, value):
                if isinstance(value, str):
                    self.problem((*path, key), "range.text_not_numeric", value=excerpt(value), field=str(key))
                else:
                    self.problem((*path, key), "range.mapping_not_numeric", field=str(key))
            if likely is not value:
                out = dict(out) if out is data else out
                out[key] = likely
        return out

    @staticmethod
    def looks_ranged(key: Any, value: Any) -> bool:
        if isinstance(value, dict):
            return bool(value) and set(value) <= set(_KEYS)
        return isinstance(value, str) and key not in _FREE_TEXT and any(sign in value for sign in _RANGE_SIGNS)

    def answer(self, value: Any, path: PathKey, integer: bool) -> Any:
        """A numeric answer's likely value, its range noted; the value itself when it is not a range."""
        if isinstance(value, dict):
            estimate = self.from_mapping(value, path, integer)
        elif isinstance(value, str) and any(sign in value for sign in _RANGE_SIGNS):
            estimate = self.from_spread(value, path, integer)
        else:
            return value
        if estimate is None:
            return None
        if estimate.low > estimate.high:
            self.problem(path, "range.low_above_high", low=float(estimate.low), high=float(estimate.high))
        elif not estimate.low <= estimate.likely <= estimate.high:
            self.problem(path, "range.likely_outside", likely=float(estimate.likely), low=float(estimate.low),
                         high=float(estimate.high))
        else:
            self.ranges[path] = estimate
        likely = estimate.likely
        return int(likely) if integer and float(likely).is_integer() else likely

    def from_mapping(self, value: dict[Any, Any], path: PathKey, integer: bool) -> Estimate | None:
        unknown = [key for key in value if key not in _KEYS]
        if unknown:
            self.problem(path, "range.unknown_key", key=excerpt(unknown[0]))
            return None
        missing = [key for key in ("low", "high") if key not in value]
        if missing:
            self.problem(path, "range.missing", missing=", ".join(missing))
            return None
        bounds = {key: value[key] for key in _KEYS if key in value}
        for key, bound in bounds.items():
            if isinstance(bound, bool) or not isinstance(bound, (int, float)) or not math.isfinite(bound):
                self.problem((*path, key), "not_finite", value=excerpt(bound))
                return None
        middle = (bounds["low"] + bounds["high"]) / 2
        likely = bounds.get("likely", round(middle) if integer else middle)
        return Estimate(float(bounds["low"]), float(likely), float(bounds["high"]))

    def from_spread(self, value: str, path: PathKey, integer: bool) -> Estimate | None:
        found = _SPREAD.fullmatch(value)
        if found is None:
            self.problem(path, "range.not_spread", value=excerpt(value))
            return None
        likely, spread = float(found[1]), float(found[2])
        if not (math.isfinite(likely) and math.isfinite(spread)):
            self.problem(path, "range.not_finite", value=excerpt(value))
            return None
        if spread < 0:
            self.problem(path, "range.negative_spread", value=excerpt(value), spread=float(spread))
            return None
        width = likely * spread / 100 if found[3] else spread
        low, high = likely - width, likely + width
        if integer:
            low, high = float(round(low)), float(round(high))
        return Estimate(low, likely, high)


def take_ranges(doc: Document) -> tuple[Document, RangeTable, list[Problem]]:
    """The document with every range replaced by its likely value, the table of ranges, and the problems
    of ranges written wrong. A document without ranges is returned as it is."""
    data = doc.data
    if not isinstance(data, dict):
        return doc, {}, []
    reader = _Reader(doc)
    out = data
    organisation = data.get("organisation")
    if isinstance(organisation, dict):
        likely = reader.mapping(organisation, ("organisation",), Organisation)
        if likely is not organisation:
            out = {**out, "organisation": likely}
    flows = data.get("flows")
    if isinstance(flows, list):
        likely_flows = [reader.mapping(flow, ("flows", index), Flow) if isinstance(flow, dict) else flow
                        for index, flow in enumerate(flows)]
        if any(new is not old for new, old in zip(likely_flows, flows)):
            out = {**out, "flows": likely_flows}
    if out is data:
        return doc, reader.ranges, reader.problems
    return Document(doc.source, out, doc.lines), reader.ranges, reader.problems
