"""Every numeric answer, walked to the ends of its range through ``arbitre recommend``.

The fields come from the answers models themselves (``model_fields`` and the constraints in their
annotations), so a new numeric field is walked without touching this file. Each field is tried at
its bounds, just inside and just outside them, at the smallest positive number and at nan and
infinity, on a phone, a chat and an email flow with a quote: the run either succeeds with nothing
but finite numbers in its output, or refuses the answer (exit 2) naming the field; it never fails
inside (exit 1).
"""

from __future__ import annotations

import json
import math
import re
import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import annotated_types
import pytest
import yaml
from click.testing import CliRunner
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from cli import main
from engine.costs import CostAssumptions, flow_costs
from engine.models import Answers, Flow, NoneOrAtLeast, Organisation, resolve
from engine.policy.loading import Policy

# Without temporary staff, peaks beyond the team's overtime are served at a lower service level:
# the longest path through the cost model.
BASE_ORGANISATION = {"temp_staff_available": False}
# Flows every value is tried on: each channel family (queued in real time, chat, deferred), with a quote.
BASE_FLOWS: tuple[dict[str, Any], ...] = (
    {"id": "phone", "channel": "phone", "monthly_volume": 14000, "aht_seconds": 270, "peak_ratio": 1.3,
     "coverage_hours_needed": 70, "current_fte": 13, "vendor_quote": {"per_contact": 2.2}},
    {"id": "chat", "channel": "chat", "monthly_volume": 9500, "aht_seconds": 420,
     "vendor_quote": {"per_fte_month": 3460}},
    {"id": "email", "channel": "email", "monthly_volume": 4000, "aht_seconds": 600,
     "monthly_profile": [300, 300, 350, 320, 330, 300, 250, 200, 350, 400, 450, 450],
     "vendor_quote": {"per_hour": 21}},
)
# Answers that only some channels may carry, and answers that replace another.
CHANNELS_OF = {"concurrency": frozenset({"chat"})}
REPLACES = {"peak_ratio": "monthly_profile", "monthly_profile": "peak_ratio"}


@dataclass(frozen=True)
class Bounds:
    """A numeric field's range, as its annotation declares it."""

    integer: bool
    low: float | None = None
    low_open: bool = False
    high: float | None = None
    high_open: bool = False
    gap: float | None = None  # 0, or at least this
    months: bool = False  # a tuple of one number a month

    def _step(self, value: float, towards: float) -> float:
        return value + (1 if towards > value else -1) if self.integer else math.nextafter(value, towards)

    def inside(self) -> list[float]:
        """The ends of the range, and the smallest number above the lower end that it allows."""
        assert self.low is not None and self.high is not None
        values = [] if self.low_open else [self.low]
        values.append(self.gap if self.gap is not None else self._step(self.low, math.inf))
        values.append(self._step(self.high, -math.inf) if self.high_open else self.high)
        return values

    def outside(self) -> list[float]:
        """Just below and just above the range, inside its gap, and, for decimals, nan and infinity."""
        assert self.low is not None and self.high is not None
        values = [self.low if self.low_open else self._step(self.low, -math.inf),
                  self.high if self.high_open else self._step(self.high, math.inf)]
        if self.gap is not None:
            values += [math.nextafter(0, 1), math.nextafter(self.gap, 0)]
        return values if self.integer else [*values, math.nan, math.inf]


def _bounds(annotation: Any, metadata: list[Any]) -> Bounds | type[BaseModel] | None:
    """The range of a numeric annotation, the model of a nested one, or None for anything else."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        base, *extra = typing.get_args(annotation)
        return _bounds(base, [*metadata, *extra])
    if origin in (typing.Union, types.UnionType):
        (only,) = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        return _bounds(only, metadata)
    if origin is tuple:
        item = _bounds(typing.get_args(annotation)[0], [])
        return Bounds(**{**vars(item), "months": True}) if isinstance(item, Bounds) else None
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if annotation not in (int, float):
        return None
    found: dict[str, Any] = {"integer": annotation is int}
    for item in metadata:
        for constraint in (item.metadata if isinstance(item, FieldInfo) else [item]):
            if isinstance(constraint, NoneOrAtLeast):
                found["gap"] = constraint.minimum
            elif isinstance(constraint, (annotated_types.Ge, annotated_types.Gt)):
                found.update(low=float(getattr(constraint, "ge", getattr(constraint, "gt", 0))),
                             low_open=isinstance(constraint, annotated_types.Gt))
            elif isinstance(constraint, (annotated_types.Le, annotated_types.Lt)):
                found.update(high=float(getattr(constraint, "le", getattr(constraint, "lt", 0))),
                             high_open=isinstance(constraint, annotated_types.Lt))
    return Bounds(**found)


def numeric_fields(model: type[BaseModel], prefix: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Bounds]]:
    """Each numeric field of ``model`` and of the models nested in it, by path, with its range."""
    for name, info in model.model_fields.items():
        found = _bounds(info.annotation, list(info.metadata))
        if isinstance(found, Bounds):
            yield (*prefix, name), found
        elif found is not None:
            yield from numeric_fields(found, (*prefix, name))


FIELDS = {".".join(("organisation", *path)): bounds for path, bounds in numeric_fields(Organisation)}
FIELDS |= {".".join(("flows", *path)): bounds for path, bounds in numeric_fields(Flow)}


def _number(value: float, integer: bool) -> float | int:
    return int(value) if integer and math.isfinite(value) else value


def _answers(field: str, value: float, bounds: Bounds) -> dict[str, Any]:
    """The base answers with ``field`` set to ``value`` (a whole month's profile: that month, the others 1)."""
    number = _number(value, bounds.integer)
    given: Any = (number, *[1] * 11) if bounds.months else number
    scope, *path = field.split(".")
    if scope == "organisation":
        return {"organisation": {**BASE_ORGANISATION, path[0]: given}, "flows": list(BASE_FLOWS)}
    flows = []
    for flow in BASE_FLOWS:
        if flow["channel"] in CHANNELS_OF.get(path[0], {flow["channel"]}):
            flow = {key: item for key, item in flow.items() if key != REPLACES.get(path[0])}
            flow[path[0]] = {path[1]: given} if len(path) > 1 else given
        flows.append(flow)
    return {"organisation": BASE_ORGANISATION, "flows": flows}


def _finite(value: Any) -> Iterator[str]:
    """Paths to every number in a JSON document that is not finite."""
    if isinstance(value, float) and not math.isfinite(value):
        yield repr(value)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from (f"{key}.{path}" for path in _finite(item))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from (f"[{index}].{path}" for path in _finite(item))


def _recommend(tmp_path: Path, documents: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``arbitre recommend --format jsonl`` on one file per document: a result or an error for each."""
    paths = []
    for index, document in enumerate(documents):
        path = tmp_path / f"answers-{index}.yaml"
        path.write_text(yaml.safe_dump(document), encoding="utf-8")
        paths.append(str(path))
    result = CliRunner().invoke(main, ["recommend", *paths, "--format", "jsonl", "--no-tipping-points"])
    assert result.exit_code in (0, 2), result.output
    return [json.loads(line) for line in result.stdout.splitlines()]


def _named(error: str, field: str) -> bool:
    """Whether an error message points at ``field`` (in a flow: at any flow's)."""
    scope, _, rest = field.partition(".")
    where = re.escape(field) if scope == "organisation" else r"flows\[\d+\]\." + re.escape(rest)
    return re.search(rf": {where}(\[\d+\])?: ", error) is not None


def test_every_field_has_a_range() -> None:
    """Every numeric answer has a lower and an upper bound: nothing a cost is computed from is unbounded."""
    unbounded = [name for name, bounds in FIELDS.items() if bounds.low is None or bounds.high is None]
    assert not unbounded


@pytest.mark.parametrize("field", sorted(FIELDS))
def test_field_walked_to_its_bounds(field: str, tmp_path: Path) -> None:
    """Inside its range an answer gives finite figures; outside, a refusal naming it; never an internal error."""
    bounds = FIELDS[field]
    inside, outside = bounds.inside(), bounds.outside()
    results = _recommend(tmp_path, [_answers(field, v, bounds) for v in [*inside, *outside]])
    for value, result in zip(inside, results):
        assert "error" not in result, (value, result)
        assert not list(_finite(result)), (value, list(_finite(result)))
    for value, result in zip(outside, results[len(inside):]):
        assert "error" in result and _named(result["error"], field), (value, result)


def _corner(end: int) -> dict[str, Any]:
    """The base answers with every numeric answer at the same end of its walk (``Bounds.inside``)."""
    organisation = {**BASE_ORGANISATION}
    flows = []
    for flow in BASE_FLOWS:
        flow = {**flow, "vendor_quote": {**flow["vendor_quote"]}}
        for field, bounds in FIELDS.items():
            scope, *path = field.split(".")
            value = _number(bounds.inside()[end], bounds.integer)
            given: Any = (value, *[1] * 11) if bounds.months else value
            if scope == "organisation":
                organisation[path[0]] = given
            elif len(path) > 1:
                if path[1] in flow[path[0]]:
                    flow[path[0]][path[1]] = given
            elif flow["channel"] in CHANNELS_OF.get(path[0], {flow["channel"]}) and REPLACES.get(path[0]) not in flow:
                flow[path[0]] = given
        flows.append(flow)
    return {"organisation": organisation, "flows": flows}


EXTREMES = [
    pytest.param(_corner(-1), id="every-answer-at-its-highest"),
    pytest.param(_corner(1), id="every-answer-at-its-smallest-positive"),
    pytest.param({"organisation": {"opening_hours_per_week": 1, "temp_staff_available": False}, "flows": [
        {"id": "phone", "channel": "phone", "monthly_volume": 100_000_000, "aht_seconds": 86_400, "peak_ratio": 50,
         "coverage_hours_needed": 1, "current_fte": 100_000, "vendor_quote": {"per_hour": 1_000_000}},
        {"id": "chat", "channel": "chat", "monthly_volume": 100_000_000, "aht_seconds": 86_400, "concurrency": 4,
         "monthly_profile": [100_000_000] + [0] * 11, "vendor_quote": {"per_minute": 1_000_000}}]},
        id="the-busiest-hour-of-all"),
    pytest.param({"organisation": {"loaded_hourly_cost": 0.0001}, "flows": [
        {"id": "phone", "channel": "phone", "monthly_volume": 1, "aht_seconds": 1, "contract_months": 1,
         "vendor_quote": {"per_fte_month": 10_000_000}, "minimum_monthly": 999_999_999,
         "transition_cost": 999_999_999, "exit_cost": 999_999_999}]},
        id="cheapest-in-house-dearest-provider"),
    pytest.param({"organisation": {"loaded_hourly_cost": 1_000_000, "annual_turnover_pct": 300,
                                   "absenteeism_pct": 99.99, "opportunity_cost_per_hour": 1_000_000}, "flows": [
        {"id": "phone", "channel": "phone", "monthly_volume": 100_000_000, "aht_seconds": 86_400,
         "coverage_hours_needed": 168, "vendor_quote": {"per_contact": 0.0001}},
        {"id": "email", "channel": "email", "monthly_volume": 100_000_000, "aht_seconds": 86_400, "current_fte": 0.01,
         "vendor_quote": {"per_hour": 0.0001}}]},
        id="dearest-in-house-cheapest-provider"),
]


@pytest.mark.parametrize("answers", EXTREMES)
def test_extremes_together(answers: dict[str, Any], tmp_path: Path) -> None:
    """Answers at the ends of their ranges all at once, multiplying and dividing each other, still give
    finite figures."""
    (result,) = _recommend(tmp_path, [answers])
    assert "error" not in result, result["error"]
    assert not list(_finite(result))


# The policy's cost assumptions that are single numbers (the tables share their entries' bounds).
ASSUMPTIONS = {name: bounds for (name,), bounds in numeric_fields(CostAssumptions)}


def test_every_cost_assumption_has_a_range() -> None:
    """Every number of the policy's cost model has a lower and an upper bound."""
    assert not [name for name, bounds in ASSUMPTIONS.items() if bounds.low is None or bounds.high is None]


@pytest.mark.parametrize("name", sorted(ASSUMPTIONS))
def test_cost_assumption_walked_to_its_bounds(name: str, policy: Policy) -> None:
    """A policy's cost assumption at either end of its range, or at its smallest positive value, costs
    every base flow in finite figures."""
    bounds = ASSUMPTIONS[name]
    flows = resolve(Answers.model_validate({"organisation": BASE_ORGANISATION, "flows": BASE_FLOWS}))
    for value in bounds.inside():
        assumptions = CostAssumptions.model_validate({**policy.costs.model_dump(), name: _number(value, bounds.integer)})
        for inputs in flows:
            costs = flow_costs(inputs, assumptions)
            assert not list(_finite(costs.model_dump(mode="python"))), (value, inputs.flow.id)
