"""From the rules that fired to a decision per flow.

Vetoes first (a vetoed option cannot win), then the sum of votes, then the
policy's tie-break order. Hybrid needs a split: without one proposed, it
cannot win and the next option does. The margin over the runner-up gives the
confidence.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from .models import Decision, Split
from .policy.loading import Policy
from .run import Firing

Confidence = Literal["high", "medium", "low"]
OPTIONS: tuple[Decision, ...] = tuple(Decision)
SPLITS: tuple[Split, ...] = tuple(Split)


@dataclass(frozen=True)
class Vote:
    """A weight a rule gave an option."""

    rule_id: str
    option: Decision
    weight: float


@dataclass(frozen=True)
class Attached:
    """A condition the decision comes with, and the rule that attached it."""

    id: str
    rule_id: str
    applies_to: tuple[Decision, ...]
    en: str
    fr: str
    audience: str = "provider"


@dataclass(frozen=True)
class Verdict:
    """The decision for one flow and how it was reached."""

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


def _rank(scores: dict[Decision, float], vetoed: Iterable[Decision], has_split: bool,
          order: Sequence[Decision]) -> tuple[list[Decision], bool]:
    """The eligible options, best first, and whether every option was vetoed."""
    out = set(vetoed)
    eligible = [o for o in OPTIONS if o not in out and (o is not Decision.hybrid or has_split)]
    if not eligible:
        return [Decision.keep_internal], True
    return sorted(eligible, key=lambda o: (-scores[o], order.index(o))), False


def decide(firings: Sequence[Firing], policy: Policy) -> Verdict:
    """Aggregate the firings of one flow into a verdict."""
    votes: list[Vote] = []
    vetoes: dict[Decision, list[str]] = {}
    splits: dict[Split, list[str]] = {}
    conditions: list[Attached] = []
    for firing in firings:
        then = policy.rule(firing.rule_id).rule.then
        for option, weight in then.vote.items():
            votes.append(Vote(firing.rule_id, option, weight_of(weight, policy)))
        for option in then.veto:
            vetoes.setdefault(option, []).append(firing.rule_id)
        for split in then.split:
            splits.setdefault(split, []).append(firing.rule_id)
        if then.condition is not None:
            c = then.condition
            conditions.append(Attached(c.id, firing.rule_id, c.applies_to, c.en, c.fr, c.audience))

    scores = dict.fromkeys(OPTIONS, 0.0)
    for vote in votes:
        scores[vote.option] += vote.weight
    ranked, all_vetoed = _rank(scores, vetoes, bool(splits), policy.manifest.decision.tie_break)
    decision = ranked[0]
    runner_up = ranked[1] if len(ranked) > 1 else None
    margin = scores[decision] - scores[runner_up] if runner_up is not None else scores[decision]
    bands = policy.manifest.decision.confidence_margin
    confidence: Confidence = "high" if margin >= bands.high else "medium" if margin >= bands.medium else "low"
    return Verdict(
        decision=decision,
        split=tuple(s for s in SPLITS if s in splits) if decision is Decision.hybrid else (),
        scores=scores,
        votes=tuple(votes),
        vetoes={o: tuple(r) for o, r in vetoes.items()},
        proposed_splits={s: tuple(r) for s, r in splits.items()},
        conditions=tuple(c for c in conditions if decision in c.applies_to),
        runner_up=runner_up,
        margin=margin,
        confidence=confidence,
        all_vetoed=all_vetoed,
    )


def pivots(verdict: Verdict, firings: Sequence[Firing], policy: Policy) -> list[tuple[str, Decision]]:
    """The fired rules whose absence alone would change the decision, with the decision it would
    become, in firing order."""
    order = policy.manifest.decision.tie_break
    # Only these can change the winner when taken away: a vote for it, a veto, or a split it needs.
    # A vote for another option only lowers that option.
    deciding = {vote.rule_id for vote in verdict.votes if vote.option is verdict.decision}
    deciding |= {rule_id for rules in verdict.vetoes.values() for rule_id in rules}
    if verdict.decision is Decision.hybrid:
        deciding |= {rule_id for rules in verdict.proposed_splits.values() for rule_id in rules}
    out = []
    for rule_id in (f.rule_id for f in firings if f.rule_id in deciding):
        scores = dict(verdict.scores)
        for vote in verdict.votes:
            if vote.rule_id == rule_id:
                scores[vote.option] -= vote.weight
        vetoed = [o for o, rules in verdict.vetoes.items() if set(rules) - {rule_id}]
        has_split = any(set(rules) - {rule_id} for rules in verdict.proposed_splits.values())
        other = _rank(scores, vetoed, has_split, order)[0][0]
        if other is not verdict.decision:
            out.append((rule_id, other))
    return out
