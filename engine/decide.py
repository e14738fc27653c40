"""From the rules that fired to a decision per flow.

Vetoes first (a vetoed option cannot win), then the sum of votes, then the
policy's tie-break order. Hybrid needs a split: without one proposed, it
cannot win and the next option does. The margin over the runner-up gives the
confidence.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from .models import Decision, Split
from .policy import Policy
from .run import Firing

Confidence = Literal["high", "medium", "low"]


class Vote(BaseModel):
    """A weight a rule gave an option."""

    model_config = ConfigDict(frozen=True)

    rule_id: str
    option: Decision
    weight: float


class Attached(BaseModel):
    """A condition the decision comes with, and the rule that attached it."""

    model_config = ConfigDict(frozen=True)

    id: str
    rule_id: str
    applies_to: tuple[Decision, ...]
    en: str
    fr: str


class Verdict(BaseModel):
    """The decision for one flow and how it was reached."""

    model_config = ConfigDict(frozen=True)

    decision: Decision
    split: tuple[Split, ...]
    scores: dict[Decision, float]
    votes: tuple[Vote, ...]
    vetoes: dict[Decision, tuple[str, ...]]
    proposed_splits: dict[Split, tuple[str, ...]]
    conditions: tuple[Attached, ...]
    runner_up: Decision | None
    margin: float
    confidence: Confidence
    all_vetoed: bool


def weight_of(value: float | str, policy: Policy) -> float:
    """A vote's weight: a number, or the value of the parameter it names."""
    return float(policy.param(value)) if isinstance(value, str) else float(value)


def decide(firings: list[Firing], policy: Policy) -> Verdict:
    """Aggregate the firings of one flow into a verdict."""
    votes: list[Vote] = []
    vetoes: dict[Decision, list[str]] = {}
    splits: dict[Split, list[str]] = {}
    conditions: list[Attached] = []
    for firing in firings:
        then = policy.rule(firing.rule_id).rule.then
        for option, weight in then.vote.items():
            votes.append(Vote(rule_id=firing.rule_id, option=option, weight=weight_of(weight, policy)))
        for option in then.veto:
            vetoes.setdefault(option, []).append(firing.rule_id)
        for split in then.split:
            splits.setdefault(split, []).append(firing.rule_id)
        if then.condition is not None:
            c = then.condition
            conditions.append(Attached(id=c.id, rule_id=firing.rule_id, applies_to=c.applies_to, en=c.en, fr=c.fr))

    scores = {option: 0.0 for option in Decision}
    for vote in votes:
        scores[vote.option] += vote.weight
    order = policy.manifest.decision.tie_break
    rank = {option: index for index, option in enumerate(order)}
    eligible = [o for o in Decision if o not in vetoes and (o is not Decision.hybrid or splits)]
    all_vetoed = not eligible
    if all_vetoed:
        eligible = [Decision.keep_internal]
    ranked = sorted(eligible, key=lambda o: (-scores[o], rank[o]))
    decision = ranked[0]
    runner_up = ranked[1] if len(ranked) > 1 else None
    margin = scores[decision] - scores[runner_up] if runner_up is not None else scores[decision]
    bands = policy.manifest.decision.confidence_margin
    confidence: Confidence = "high" if margin >= bands.high else "medium" if margin >= bands.medium else "low"
    kept = tuple(c for c in conditions if decision in c.applies_to)
    return Verdict(
        decision=decision,
        split=tuple(s for s in Split if s in splits) if decision is Decision.hybrid else (),
        scores=scores,
        votes=tuple(votes),
        vetoes={o: tuple(r) for o, r in vetoes.items()},
        proposed_splits={s: tuple(r) for s, r in splits.items()},
        conditions=kept,
        runner_up=runner_up,
        margin=margin,
        confidence=confidence,
        all_vetoed=all_vetoed,
    )



def pivots(firings: list[Firing], policy: Policy) -> list[tuple[str, Decision]]:
    """The fired rules whose absence alone would change the decision, with the decision it would become."""
    decision = decide(firings, policy).decision
    out = []
    for index, firing in enumerate(firings):
        then = policy.rule(firing.rule_id).rule.then
        if not (then.vote or then.veto or then.split):
            continue
        other = decide(firings[:index] + firings[index + 1:], policy).decision
        if other is not decision:
            out.append((firing.rule_id, other))
    return out
