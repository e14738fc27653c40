"""How sure a flow's decision is when some of its answers are ranges.

The ranged answers (``engine.ranges``) are sampled together by Latin hypercube: each answer's range is
cut into as many strata of equal probability as there are samples, each stratum drawn once, the strata
of different answers paired at random. Within its range an answer follows a triangular distribution on
(low, likely, high): the most likely value most often, the ends rarely, as an estimate is usually meant.
Every sample is evaluated as the flow with the sampled answers changed, on the flow's evaluation
context (``context.FlowContext``): the cost model runs again only when a sampled answer is one it
reads, the rule engine only when the facts cross a threshold of the policy's conditions, and each
sample's result is the whole pipeline's. The draws come from ``random.Random(seed)`` alone, so the
same seed gives the same result.

A flow's robustness is the share of samples in which each option wins, and the drivers: the answers
that move the decision most, each with the value at which it changes. A driver is found from the
samples themselves: the one cut of an answer's sampled values that best separates the samples keeping
today's decision from the others; the answers are ranked by how many samples their cut explains.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..costs import FlowCosts
from ..models import Answers, Decision, FlowInputs
from ..policy.loading import Policy
from ..ranges import Estimate, RangeTable, is_integer
from ..recommend import FlowResult
from .context import FlowContext

DEFAULT_SAMPLES = 1000
DEFAULT_SEED = 1
# The labels of a decision by the share of samples that keep it. Basis: 95 % is the usual confidence
# of a decision taken under uncertainty (one chance in twenty of another outcome); 75 %, three cases in
# four, is where a board still calls an outcome likely. Below it the estimates decide, not the policy.
ROBUST = 0.95
LIKELY = 0.75
# An answer counts as a driver when cutting the samples at one of its values accounts for at least this
# share of the samples whose decision differs from today's: a cut through an answer with no effect
# explains far less by chance at a few hundred samples.
MIN_EXPLAINED = 0.25


@dataclass(frozen=True)
class Driver:
    """An answer that moves the decision, and the value at which it changes (from the samples)."""

    field: str
    changes_at: float
    explained: float  # the share of all samples its cut classes right beyond what today's decision does


@dataclass(frozen=True)
class Robustness:
    """A flow's decision under its ranged answers."""

    samples: int
    seed: int
    shares: dict[str, float]
    drivers: tuple[Driver, ...]

    def as_json(self) -> dict[str, Any]:
        """The JSON contract: samples, seed, shares by option, drivers with the value where each changes."""
        return {"samples": self.samples, "seed": self.seed, "shares": self.shares,
                "drivers": [{"field": d.field, "changes_at": d.changes_at} for d in self.drivers]}


def label(shares: Mapping[str, float], decision: str) -> str:
    """``robust``, ``likely`` or ``uncertain``: how often the samples keep the decision."""
    kept = shares.get(decision, 0.0)
    return "robust" if kept >= ROBUST else "likely" if kept >= LIKELY else "uncertain"


def flow_estimates(ranges: RangeTable, index: int) -> dict[str, Estimate]:
    """The ranges a flow (the ``index``-th of its file) depends on, by the name a driver is given:
    its own answers (``monthly_volume``, ``vendor_quote.per_contact``) and the organisation's
    (``organisation.loaded_hourly_cost``)."""
    out = {}
    for path, estimate in ranges.items():
        if path[0] == "organisation":
            out[f"organisation.{path[1]}"] = estimate
        elif path[1] == index:
            out[".".join(str(part) for part in path[2:])] = estimate
    return out


def _integer(name: str) -> bool:
    return is_integer(tuple(name.split("."))) if "." in name else is_integer(("flows", 0, name))


def _triangular(u: float, estimate: Estimate) -> float:
    """The value at cumulative probability ``u`` of the triangular distribution on the estimate."""
    low, likely, high = estimate.low, estimate.likely, estimate.high
    if high == low:
        return low
    cut = (likely - low) / (high - low)
    if u < cut:
        return low + math.sqrt(u * (high - low) * (likely - low))
    return high - math.sqrt((1 - u) * (high - low) * (high - likely))


def latin_hypercube(estimates: Mapping[str, Estimate], samples: int, seed: int) -> list[dict[str, float]]:
    """``samples`` joint draws of the estimated answers (in the order of their names), whole numbers
    where the answer takes them."""
    rng = random.Random(seed)
    columns: dict[str, list[float]] = {}
    for name in sorted(estimates):
        strata = list(range(samples))
        rng.shuffle(strata)
        values = [_triangular((stratum + rng.random()) / samples, estimates[name]) for stratum in strata]
        columns[name] = [float(round(v)) for v in values] if _integer(name) else values
    return [{name: column[i] for name, column in columns.items()} for i in range(samples)]


def changes(draw: Mapping[str, float]) -> dict[str, float]:
    """A sample as the answers it changes, named as ``FlowContext.evaluate`` takes them: whole numbers
    where the answer takes them, a quote's amount as ``vendor_quote`` (the range is on the quote's form)."""
    out: dict[str, float] = {}
    for name, value in draw.items():
        answer = "vendor_quote" if name.startswith("vendor_quote.") else name
        out[answer] = int(value) if _integer(name) else value
    return out


def _cut(pairs: list[tuple[float, bool]]) -> tuple[int, float]:
    """The cut of sorted (value, kept) pairs that classes the most samples right, taking each side as
    keeping or not, whichever it mostly does: how many it classes right, and the value it falls at."""
    total_kept = sum(kept for _, kept in pairs)
    best, at = max(total_kept, len(pairs) - total_kept), math.nan
    below = 0
    for i in range(1, len(pairs)):
        below += pairs[i - 1][1]
        if pairs[i][0] == pairs[i - 1][0]:
            continue
        above = total_kept - below
        right = max(below, i - below) + max(above, len(pairs) - i - above)
        if right > best:
            best, at = right, (pairs[i - 1][0] + pairs[i][0]) / 2
    return best - max(total_kept, len(pairs) - total_kept), at


def _shown(value: float, integer: bool) -> float:
    """A cut's value as reported: a whole number, or four significant digits (the samples resolve no finer)."""
    return float(round(value)) if integer else float(f"{value:.4g}")


def drivers(draws: list[dict[str, float]], decisions: list[Decision], today: Decision) -> tuple[Driver, ...]:
    """The answers whose sampled values best separate the samples keeping ``today``'s decision from the
    others, most explaining first; none when every sample keeps it (or none does)."""
    kept = [decision is today for decision in decisions]
    differing = min(sum(kept), len(kept) - sum(kept))
    if differing == 0:
        return ()
    found = []
    for name in sorted(draws[0]):
        gained, at = _cut(sorted(zip((draw[name] for draw in draws), kept)))
        if gained >= MIN_EXPLAINED * differing:
            found.append(Driver(name, _shown(at, _integer(name)), gained / len(draws)))
    return tuple(sorted(found, key=lambda d: (-d.explained, d.field)))


def robustness(inputs: FlowInputs, policy: Policy, estimates: Mapping[str, Estimate], today: Decision,
               costs: FlowCosts, samples: int = DEFAULT_SAMPLES, seed: int = DEFAULT_SEED) -> Robustness:
    """A flow's decision (``today``, at the likely values, whose ``costs`` are given) under its ranged answers."""
    if not estimates:  # nothing uncertain: every sample is today's flow
        return Robustness(samples, seed, {option.value: float(option is today) for option in Decision}, ())
    draws = latin_hypercube(estimates, samples, seed)
    context = FlowContext(inputs, policy, costs)
    decisions = [context.evaluate(changes(draw)).verdict.decision for draw in draws]
    shares = {option.value: round(decisions.count(option) / samples, 4) for option in Decision}
    return Robustness(samples, seed, shares, drivers(draws, decisions, today))


def of_flows(answers: Answers, ranges: RangeTable, policy: Policy, samples: int = DEFAULT_SAMPLES,
             seed: int = DEFAULT_SEED) -> Callable[[FlowResult], Robustness]:
    """The robustness of each flow of an answers file, as its result is ready."""
    index = {flow.id: position for position, flow in enumerate(answers.flows)}

    def of(result: FlowResult) -> Robustness:
        return robustness(result.inputs, policy, flow_estimates(ranges, index[result.id]), result.verdict.decision,
                          result.costs, samples, seed)
    return of
