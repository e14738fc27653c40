"""Tipping points: the nearest answers at which a flow's decision would change.

For each numeric input (monthly volume, handling time, peak ratio, loaded hourly
cost, the quote, turnover, hours needed) the engine is run again at values
stepping away from the answer, in each direction, within a plausible range;
once the decision (or the hybrid split) changes, bisection narrows the step to
the boundary. For each qualitative answer (the channel aside: another channel
is another flow), every other allowed value is tried once: the single changes
that would flip the decision are listed.

Each point says: the value at which the new decision starts (``value``), the
last value still giving today's decision (``unchanged_at``) and the decision
it becomes. Every other answer stays as it is.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum
from typing import Any, Callable, Literal

from ..costs import COSTLESS_FIELDS, SPLIT_METRICS, FlowCosts, flow_costs
from ..models import INHERITS, Activity, Decision, FlowInputs, Level, Split, VendorQuote
from ..policy.loading import Policy
from ..recommend import evaluate_flow
from ..run import engine_for

Outcome = tuple[Decision, tuple[Split, ...]]
Direction = Literal["below", "above"]


@dataclass(frozen=True)
class Numeric:
    """A numeric input: how to read and set it, its plausible range around the answer, its precision."""

    name: str
    integer: bool
    low: Callable[[float], float]
    high: Callable[[float], float]


def _relative(value: float, fraction: float = 0.005, floor: float = 0.01) -> float:
    return max(abs(value) * fraction, floor)


NUMERIC: tuple[Numeric, ...] = (
    Numeric("monthly_volume", True, lambda v: 0, lambda v: max(v * 10, 10_000)),
    Numeric("aht_seconds", False, lambda v: max(v / 10, 5), lambda v: min(v * 10, 86_400)),
    Numeric("peak_ratio", False, lambda v: 1.0, lambda v: max(v * 3, 6.0)),
    Numeric("loaded_hourly_cost", False, lambda v: v / 4, lambda v: v * 4),
    Numeric("vendor_quote", False, lambda v: v / 10, lambda v: v * 10),
    Numeric("annual_turnover_pct", False, lambda v: 0, lambda v: max(v * 3, 100)),
    Numeric("coverage_hours_needed", False, lambda v: 0, lambda v: 168),
)
# Steps away from the answer, as fractions of the distance to the end of the range; once a change
# is found, the stretch from the answer to it is walked again in finer steps, since a decision can
# change and change back along the range (a band narrower than a fine step can still be missed).
_STEPS = (0.02, 0.05, 0.1, 0.2, 0.3, 0.45, 0.6, 0.75, 0.9, 1.0)
_REFINE = 12
_BISECTIONS = 24

QUALITATIVE: dict[str, tuple[Any, ...]] = {
    "activity": tuple(Activity),
    **{name: tuple(Level) for name in ("volume_predictability", "repetitiveness", "scripting", "complexity",
                                        "data_sensitivity", "brand_criticality", "customer_value")},
    **{name: (False, True) for name in ("unique_know_how", "skill_gap", "customers_expect_local")},
}


@dataclass(frozen=True)
class TippingPoint:
    """A numeric answer's value at which the decision changes."""

    field: str
    direction: Direction
    current: float
    value: float
    unchanged_at: float
    decision: Decision
    split: tuple[Split, ...]


@dataclass(frozen=True)
class Flip:
    """A qualitative answer whose other value would change the decision."""

    field: str
    current: Any
    value: Any
    decision: Decision
    split: tuple[Split, ...]


@dataclass(frozen=True)
class TippingPoints:
    points: tuple[TippingPoint, ...]
    flips: tuple[Flip, ...]
    evaluations: int


def current_value(inputs: FlowInputs, name: str) -> float | None:
    """The answer (resolved with the organisation's figures) a numeric input starts from."""
    if name == "vendor_quote":
        quote = inputs.flow.vendor_quote
        return None if quote is None else quote.amount
    value = getattr(inputs, name) if name in INHERITS else getattr(inputs.flow, name)
    return None if value is None else float(value)


def with_value(inputs: FlowInputs, name: str, value: Any) -> FlowInputs:
    """The flow's inputs with one answer changed (already within the model's bounds)."""
    if name == "vendor_quote":
        quote = inputs.flow.vendor_quote
        assert quote is not None
        update: dict[str, Any] = {"vendor_quote": VendorQuote.model_validate({quote.form: value})}
    else:
        update = {name: value}
    return inputs.model_copy(update={"flow": inputs.flow.model_copy(update=update)})


class _Evaluator:
    """Runs the policy on variants of one flow, remembering outcomes."""

    def __init__(self, inputs: FlowInputs, policy: Policy, costs: FlowCosts | None = None) -> None:
        self.inputs, self.policy = inputs, policy
        self.costs = flow_costs(inputs, policy.costs) if costs is None else costs
        # Only the decision matters here: the splits are costed only when a rule's condition reads them.
        self.splits = not SPLIT_METRICS.isdisjoint(engine_for(policy).tested)
        self.seen: dict[tuple[str, Any], Outcome] = {}
        self.count = 0

    def __call__(self, name: str, value: Any) -> Outcome:
        key = (name, value)
        found = self.seen.get(key)
        if found is None:
            variant = with_value(self.inputs, name, value)
            costs = self.costs if name in COSTLESS_FIELDS else flow_costs(variant, self.policy.costs, self.splits)
            verdict = evaluate_flow(variant, self.policy, costs).verdict
            found = (verdict.decision, verdict.split)
            self.seen[key] = found
            self.count += 1
        return found


# The answers model's own bounds (a quote and a cost must be above 0, a handling time too).
_FLOORS = {"aht_seconds": 1.0, "peak_ratio": 1.0, "loaded_hourly_cost": 0.01, "vendor_quote": 0.0001}
_CEILINGS = {"peak_ratio": 50.0, "loaded_hourly_cost": 1_000_000.0, "vendor_quote": 1_000_000.0,
             "annual_turnover_pct": 300.0, "coverage_hours_needed": 168.0, "monthly_volume": 100_000_000.0}


def _bounded(numeric: Numeric, value: float) -> float:
    """Keep within the answers model's own bounds."""
    return min(max(value, _FLOORS.get(numeric.name, 0.0)), _CEILINGS.get(numeric.name, math.inf))


def _probe(numeric: Numeric, current: float, end: float, fraction: float) -> float:
    value = _bounded(numeric, current + (end - current) * fraction)
    return float(round(value)) if numeric.integer else value


def _first_change(evaluate: _Evaluator, numeric: Numeric, current: float, end: float, base: Outcome,
                  fractions: Any) -> tuple[float, float, Outcome] | None:
    """Walking from ``current`` towards ``end``: the first value with another outcome, the last one
    before it with the same, and the other outcome."""
    same = current
    for fraction in fractions:
        probe = _probe(numeric, current, end, fraction)
        if probe == same:
            continue
        outcome = evaluate(numeric.name, int(probe) if numeric.integer else probe)
        if outcome != base:
            return probe, same, outcome
        same = probe
    return None


def _search(evaluate: _Evaluator, numeric: Numeric, current: float, end: float,
            base: Outcome) -> tuple[float, float, Outcome] | None:
    """From ``current`` towards ``end``: the nearest value with another outcome, the last with the same."""
    if end == current:
        return None
    found = _first_change(evaluate, numeric, current, end, base, _STEPS)
    if found is None:
        return None
    nearer = _first_change(evaluate, numeric, current, found[0], base,
                           (k / _REFINE for k in range(1, _REFINE)))
    changed, same, new = nearer if nearer is not None else found
    tolerance = 1.0 if numeric.integer else _relative(current)
    for _ in range(_BISECTIONS):
        if abs(changed - same) <= tolerance:
            break
        middle = (same + changed) / 2
        if numeric.integer:
            middle = float(math.floor(middle) if changed < same else math.ceil(middle))
            if middle in (same, changed):
                break
        outcome = evaluate(numeric.name, int(middle) if numeric.integer else middle)
        if outcome == base:
            same = middle
        else:
            changed, new = middle, outcome
    return changed, same, new


def tipping_points(inputs: FlowInputs, policy: Policy, base: Outcome,
                   costs: FlowCosts | None = None) -> TippingPoints:
    """The tipping points of one flow whose decision today is ``base`` (and whose ``costs``, when the
    caller has them, need not be computed again)."""
    evaluate = _Evaluator(inputs, policy, costs)
    points: list[TippingPoint] = []
    for numeric in NUMERIC:
        current = current_value(inputs, numeric.name)
        if current is None:
            continue
        for direction, end in (("below", numeric.low(current)), ("above", numeric.high(current))):
            found = _search(evaluate, numeric, current, _bounded(numeric, end), base)
            if found is not None:
                changed, same, (decision, split) = found
                points.append(TippingPoint(numeric.name, direction, current, changed, same,  # type: ignore[arg-type]
                                           decision, split))
    flips: list[Flip] = []
    for name, values in QUALITATIVE.items():
        current = getattr(inputs.flow, name)
        for value in values:
            if value == current:
                continue
            decision, split = evaluate(name, value)
            if (decision, split) != base:
                flips.append(Flip(name, _plain(current), _plain(value), decision, split))
    return TippingPoints(tuple(points), tuple(flips), evaluate.count)


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, Enum) else value
