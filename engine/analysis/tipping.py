"""Tipping points: the nearest answers at which a flow's decision would change.

Only the policy's levers (``levers.yaml``: the answers a person can act on) are
tried. For each numeric lever (monthly volume, handling time, peak ratio, loaded
hourly cost, the quote, turnover, absence, hours needed) the engine is run again
at values stepping away from the answer, in each direction, within the lever's
plausible range; once the decision (or the hybrid split) changes, bisection
narrows the step to the boundary. For each answer about the work, every other
allowed value is tried once; for the provider, each certification or agreement
it lacks, added one at a time, and a provider based in the customers' country.
The single changes that would flip the decision are listed. What a flow is (its
channel, its activity) is never a lever.

Each point says: the value at which the new decision starts (``value``), the
last value still giving today's decision (``unchanged_at``), its unit and the
decision it becomes. Every other answer stays as it is.

When the option with the highest score is vetoed, the decision stands by the
veto alone (``held_by_veto``); the lever that lifts it (a certification or
agreement first, then the nearest number) is marked with the rules it lifts.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from enum import Enum
from typing import Any, Literal

from ..costs import FlowCosts
from ..models import INHERITS, Certification, Decision, FlowInputs, Level, Split
from ..policy.levers import NumericLever
from ..policy.loading import Policy
from .context import FlowContext, with_answers

Outcome = tuple[Decision, tuple[Split, ...]]
Direction = Literal["below", "above"]

# The unit of each numeric lever's value (a quote's is the form it was quoted in).
UNITS: dict[str, str] = {
    "monthly_volume": "contacts_a_month", "aht_seconds": "seconds", "peak_ratio": "times_the_average_month",
    "loaded_hourly_cost": "per_paid_hour", "annual_turnover_pct": "pct_a_year", "absenteeism_pct": "pct_of_paid_hours",
    "coverage_hours_needed": "hours_a_week",
}
INTEGER = frozenset({"monthly_volume"})


def _relative(value: float, fraction: float = 0.005, floor: float = 0.01) -> float:
    return max(abs(value) * fraction, floor)


# Steps away from the answer, as fractions of the distance to the end of the range, for the facts
# the cost model derives from an answer (whose thresholds are not the answer's own); the answer's own
# thresholds are bracketed where they lie. Between the nearest change found and the last probe with
# today's outcome, bisection narrows to the precision of ``_precision``.
_STEPS = (0.05, 0.15, 0.3, 0.5, 0.75, 1.0)
_BISECTIONS = 24

# The allowed values of each answer about the work a policy may count as a lever.
QUALITATIVE: dict[str, tuple[Any, ...]] = {
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
    unit: str = ""
    lifts: tuple[str, ...] = ()  # the vetoing rules this change lifts (the decision becomes the vetoed leader)


@dataclass(frozen=True)
class Flip:
    """Another value of an answer (or certifications added, or a local provider) that would change
    the decision. For ``provider_certifications`` the value is the certification or agreement added,
    or a tuple of them when only several together lift a veto."""

    field: str
    current: Any
    value: Any
    decision: Decision
    split: tuple[Split, ...]
    lifts: tuple[str, ...] = ()


@dataclass(frozen=True)
class TippingPoints:
    points: tuple[TippingPoint, ...]
    flips: tuple[Flip, ...]
    evaluations: int


@dataclass(frozen=True)
class Hold:
    """An option with the highest score that a veto rules out: the decision stands by the veto alone."""

    option: str
    rules: tuple[str, ...]
    score: float


def held_by_veto(scores: Mapping[str, float], vetoes: Mapping[str, Sequence[str]], decision: str) -> Hold | None:
    """The vetoed option that outscores the decision (the highest, when several do), or None. Plain
    values, so that a flow entry of an audit record answers the same as a fresh verdict."""
    own = scores[decision]
    leading = [option for option in vetoes if option != decision and scores[option] > own]
    if not leading:
        return None
    order = [d.value for d in Decision]
    option = max(leading, key=lambda o: (scores[o], -order.index(o)))
    return Hold(option, tuple(vetoes[option]), scores[option])


def current_value(inputs: FlowInputs, name: str) -> float | None:
    """The answer (resolved with the organisation's figures) a numeric input starts from."""
    if name == "vendor_quote":
        quote = inputs.flow.vendor_quote
        return None if quote is None else quote.amount
    value = getattr(inputs, name) if name in INHERITS else getattr(inputs.flow, name)
    return None if value is None else float(value)


def unit_of(inputs: FlowInputs, name: str) -> str:
    """A numeric lever's unit: the quote's form for the quote."""
    if name == "vendor_quote":
        quote = inputs.flow.vendor_quote
        return "" if quote is None else quote.form
    return UNITS.get(name, "")


def with_value(inputs: FlowInputs, name: str, value: Any) -> FlowInputs:
    """The flow's inputs with one answer changed (already within the model's bounds)."""
    return with_answers(inputs, {name: value})


class _Evaluator:
    """Evaluates variants of one flow on its evaluation context, remembering outcomes."""

    def __init__(self, inputs: FlowInputs, policy: Policy, costs: FlowCosts | None = None) -> None:
        self.context = FlowContext(inputs, policy, costs)
        self.seen: dict[tuple[str, Any], tuple[Outcome, tuple[Any, ...]]] = {}

    @property
    def count(self) -> int:
        """The times the rule engine ran (a variant whose facts it cannot tell from another's reuses its run)."""
        return self.context.engine_runs

    def thresholds(self, name: str) -> tuple[float, ...]:
        """The values the policy's conditions compare this answer with (none for the quote)."""
        return self.context.thresholds(name)

    def __call__(self, name: str, value: Any) -> Outcome:
        return self.evaluate(name, value)[0]

    def edges(self, name: str) -> tuple[float, ...]:
        """The edges of the bands that grade votes by this answer."""
        return self.context.edges(name)

    def seen_with(self, seen: tuple[Any, ...], name: str, value: Any) -> tuple[Any, ...]:
        """What the policy would see with an answer at ``value``, where it differs from ``seen`` only in
        that answer as a fact."""
        return self.context.seen_with(seen, name, value)

    def evaluate(self, name: str, value: Any) -> tuple[Outcome, tuple[Any, ...]]:
        """The outcome with one answer changed, and what the policy could tell of its facts."""
        key = (name, value)
        found = self.seen.get(key)
        if found is None:
            found = self.context.outcome({name: value})
            self.seen[key] = found
        return found


# The answers model's own bounds (a quote and a cost must be above 0, a handling time too).
_FLOORS = {"aht_seconds": 1.0, "peak_ratio": 1.0, "loaded_hourly_cost": 0.01, "vendor_quote": 0.0001}
_CEILINGS = {"peak_ratio": 50.0, "loaded_hourly_cost": 1_000_000.0, "vendor_quote": 1_000_000.0,
             "annual_turnover_pct": 300.0, "absenteeism_pct": 99.9, "coverage_hours_needed": 168.0,
             "monthly_volume": 100_000_000.0}


@dataclass(frozen=True)
class _Range:
    """A numeric lever's plausible range around one flow's answer."""

    name: str
    integer: bool
    low: float
    high: float

    def bounded(self, value: float) -> float:
        """Keep within the range (and so within the answers model's own bounds)."""
        return min(max(value, self.low), self.high)


def plausible_range(inputs: FlowInputs, policy: Policy, name: str, lever: NumericLever,
                    current: float) -> tuple[float, float]:
    """The lowest and highest values of a numeric lever tried for a flow: the lever's range, within the
    answers model's bounds; a volume never below the policy's share of the flow's own, nor below 1."""
    low, high = lever.bounds(current)
    low = max(low, _FLOORS.get(name, 0.0))
    high = min(high, _CEILINGS.get(name, math.inf))
    if name == "monthly_volume":
        # Rounded first: 1 % of 14,000 is 140, not the 141 a float a hair above it would give.
        low = float(math.ceil(round(max(low, policy.levers.volume_floor.share * current, 1.0), 6)))
        high = float(math.floor(round(high, 6)))
    return low, high


def _probe(span: _Range, current: float, end: float, fraction: float) -> float:
    value = span.bounded(current + (end - current) * fraction)
    return float(round(value)) if span.integer else value


def _precision(span: _Range, current: float) -> float:
    """How near a tipping point is sought: one contact for a volume, else 0.5 % of the answer (at
    least 0.01)."""
    return 1.0 if span.integer else _relative(current)


def _probes(evaluate: _Evaluator, span: _Range, current: float, end: float) -> list[float]:
    """The values tried from ``current`` towards ``end``, nearest first: steps along the range, and
    on each side of every threshold the policy compares the answer itself with (in a condition, or
    as the edge of a band grading a vote)."""
    step = _precision(span, current) / 2
    values = {_probe(span, current, end, fraction) for fraction in _STEPS}
    for threshold in (*evaluate.thresholds(span.name), *evaluate.edges(span.name)):
        for value in (threshold - step, threshold, threshold + step):
            if min(current, end) <= value <= max(current, end):
                values.add(float(round(value)) if span.integer else value)
    values.discard(current)
    return sorted(values, key=lambda value: abs(value - current))


def _value(span: _Range, value: float) -> Any:
    return int(value) if span.integer else value


def _first_change(evaluate: _Evaluator, span: _Range, current: float, end: float,
                  base: Outcome) -> tuple[float, float, Outcome] | None:
    """Walking from ``current`` towards ``end``: the first value tried with another outcome, the last
    one before it with the same, and the other outcome. Where two values tried in turn keep the
    outcome but not what the policy sees (a condition or a graded vote's band), the change between
    them is sought too: a decision can change and change back between two values tried."""
    same = current
    _outcome, seen = evaluate.evaluate(span.name, _value(span, current))
    for probe in _probes(evaluate, span, current, end):
        outcome, now = evaluate.evaluate(span.name, _value(span, probe))
        if outcome == base and _hidden(evaluate, span, same, probe, seen, now):
            found = _between(evaluate, span, same, probe, seen, base, _precision(span, current))
            if found is not None:
                return found
        if outcome != base:
            return probe, same, outcome
        same, seen = probe, now
    return None


def _hidden(evaluate: _Evaluator, span: _Range, same: float, other: float, seen: tuple[Any, ...],
            now: tuple[Any, ...]) -> bool:
    """Whether the policy may see, between two values with today's outcome, something it sees at
    neither (where another outcome could hide). Not when it sees the same at both; nor when the
    answer itself, as a fact, is all it tells apart and it sees between them what it sees at one of
    them: the answer's own thresholds are then the values already tried."""
    if now == seen:
        return False
    if len(now) != len(seen) or any(a[0] != span.name for a, b in zip(seen, now) if a != b):
        return True
    middle = _midpoint(span, same, other)
    if middle is None:
        return False
    inside = evaluate.seen_with(seen, span.name, _value(span, middle))
    if inside not in (seen, now):
        return True
    thresholds = (*evaluate.thresholds(span.name), *evaluate.edges(span.name))
    return any(min(same, other) < t < max(same, other) for t in thresholds)


def _between(evaluate: _Evaluator, span: _Range, same: float, other: float, seen: tuple[Any, ...],
             base: Outcome, tolerance: float) -> tuple[float, float, Outcome] | None:
    """Between two values with today's outcome that the policy tells apart: narrow to where it first
    sees a change, and the outcome there if another (the value, the last with today's, it)."""
    while abs(other - same) > tolerance:
        middle = _midpoint(span, same, other)
        if middle is None:
            break
        outcome, now = evaluate.evaluate(span.name, _value(span, middle))
        if outcome != base:
            return middle, same, outcome
        if now == seen:
            same = middle
        else:
            other = middle
    return None


def _midpoint(span: _Range, same: float, changed: float) -> float | None:
    """Halfway from ``same`` to ``changed`` (a whole number towards ``changed`` for a volume), or None
    when no value lies between."""
    middle = (same + changed) / 2
    if span.integer:
        middle = float(math.floor(middle) if changed < same else math.ceil(middle))
        if middle in (same, changed):
            return None
    return middle


def _search(evaluate: _Evaluator, span: _Range, current: float, end: float,
            base: Outcome) -> tuple[float, float, Outcome] | None:
    """From ``current`` towards ``end``: the nearest value with another outcome, the last with the same."""
    if end == current:
        return None
    found = _first_change(evaluate, span, current, end, base)
    if found is None:
        return None
    changed, same, new = found
    tolerance = _precision(span, current)
    seen = evaluate.evaluate(span.name, _value(span, same))[1]
    for _ in range(_BISECTIONS):
        if abs(changed - same) <= tolerance:
            break
        middle = _midpoint(span, same, changed)
        if middle is None:
            break
        outcome, now = evaluate.evaluate(span.name, _value(span, middle))
        hidden = outcome == base and _hidden(evaluate, span, same, middle, seen, now)
        nearer = _between(evaluate, span, same, middle, seen, base, tolerance) if hidden else None
        if nearer is not None:
            changed, same, new = nearer
            seen = evaluate.evaluate(span.name, _value(span, same))[1]
        elif outcome == base:
            same, seen = middle, now
        else:
            changed, new = middle, outcome
    return changed, same, new


def _numeric_points(evaluate: _Evaluator, inputs: FlowInputs, policy: Policy, base: Outcome) -> list[TippingPoint]:
    points: list[TippingPoint] = []
    for name, lever in policy.levers.numeric_levers().items():
        if name == "peak_ratio" and inputs.flow.monthly_profile is not None:
            continue  # the profile sets the peaks: the ratio alone is not an answer to change
        current = current_value(inputs, name)
        if current is None:
            continue
        low, high = plausible_range(inputs, policy, name, lever, current)
        span = _Range(name, name in INTEGER, low, high)
        directions: tuple[tuple[Direction, float], ...] = (("below", low), ("above", high))
        for direction, end in directions:
            if (end >= current) if direction == "below" else (end <= current):
                continue  # the answer already lies beyond this end of the range
            found = _search(evaluate, span, current, end, base)
            if found is not None:
                changed, same, (decision, split) = found
                points.append(TippingPoint(name, direction, current, changed, same, decision, split,
                                           unit_of(inputs, name)))
    return points


def _answer_flips(evaluate: _Evaluator, inputs: FlowInputs, policy: Policy, base: Outcome) -> list[Flip]:
    flips: list[Flip] = []
    for name in policy.levers.answer_levers():
        current = getattr(inputs.flow, name)
        for value in QUALITATIVE[name]:
            if value == current:
                continue
            decision, split = evaluate(name, value)
            if (decision, split) != base:
                flips.append(Flip(name, _plain(current), _plain(value), decision, split))
    return flips


def _provider_flips(evaluate: _Evaluator, inputs: FlowInputs, policy: Policy, base: Outcome,
                    hold: Hold | None) -> list[Flip]:
    flips: list[Flip] = []
    levers = policy.levers.provider_levers()
    flow = inputs.flow
    if "provider_certifications" in levers:
        have = tuple(flow.provider_certifications)
        current = [c.value for c in have]
        missing = [c for c in Certification if c not in have]
        for cert in missing:
            decision, split = evaluate("provider_certifications", (*have, cert))
            if (decision, split) != base:
                flips.append(Flip("provider_certifications", current, cert.value, decision, split))
        if hold is not None and len(missing) > 1 and not any(f.decision.value == hold.option for f in flips):
            # No one certification lifts the veto: the fewest that do together, if any.
            needed = list(missing)
            if evaluate("provider_certifications", (*have, *needed))[0].value == hold.option:
                for cert in missing:
                    fewer = [c for c in needed if c is not cert]
                    if evaluate("provider_certifications", (*have, *fewer))[0].value == hold.option:
                        needed = fewer
                decision, split = evaluate("provider_certifications", (*have, *needed))
                flips.append(Flip("provider_certifications", current, tuple(c.value for c in needed), decision,
                                  split))
    local = inputs.organisation.country
    if "provider_country" in levers and flow.provider_country is not None and flow.provider_country != local:
        decision, split = evaluate("provider_country", local)
        if (decision, split) != base:
            flips.append(Flip("provider_country", flow.provider_country, local, decision, split))
    return flips


def _nearness(point: TippingPoint) -> float:
    return abs(point.value - point.current) / max(abs(point.current), 1e-9)


def _mark_lever(points: list[TippingPoint], flips: list[Flip],
                hold: Hold) -> tuple[list[TippingPoint], list[Flip]]:
    """Mark the change that lifts the veto: a certification or agreement first (the fewest added),
    then the nearest number, then the provider's country, then an answer about the work."""
    def lifts(decision: Decision) -> bool:
        return decision.value == hold.option

    certs = [f for f in flips if f.field == "provider_certifications" and lifts(f.decision)]
    numbers = sorted((p for p in points if lifts(p.decision)), key=_nearness)
    country = [f for f in flips if f.field == "provider_country" and lifts(f.decision)]
    answers = [f for f in flips if f.field not in ("provider_certifications", "provider_country")
               and lifts(f.decision)]
    if certs:
        chosen: TippingPoint | Flip = min(certs, key=lambda f: 1 if isinstance(f.value, str) else len(f.value))
    elif numbers:
        chosen = numbers[0]
    elif country or answers:
        chosen = (country or answers)[0]
    else:
        return points, flips
    if isinstance(chosen, TippingPoint):
        points = [_with_lifts(p, hold) if p is chosen else p for p in points]
    else:
        flips = [_with_lifts(f, hold) if f is chosen else f for f in flips]
    return points, flips


def _with_lifts(item: Any, hold: Hold) -> Any:
    return replace(item, lifts=hold.rules)


def tipping_points(inputs: FlowInputs, policy: Policy, base: Outcome, costs: FlowCosts | None = None,
                   hold: Hold | None = None) -> TippingPoints:
    """The tipping points of one flow whose decision today is ``base`` (and whose ``costs``, when the
    caller has them, need not be computed again). With ``hold`` (``held_by_veto`` of its verdict), the
    change that lifts the veto is marked with the rules it lifts."""
    evaluate = _Evaluator(inputs, policy, costs)
    points = _numeric_points(evaluate, inputs, policy, base)
    flips = _answer_flips(evaluate, inputs, policy, base) + _provider_flips(evaluate, inputs, policy, base, hold)
    if hold is not None:
        points, flips = _mark_lever(points, flips, hold)
    return TippingPoints(tuple(points), tuple(flips), evaluate.count)


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, Enum) else value
