"""From the rules that fired to a decision per flow.

Vetoes first (a vetoed option cannot win), then the sum of votes, then the
policy's tie-break order. Hybrid needs a split: without one proposed, it
cannot win and the next option does. Each split proposed is a variant of
hybrid scored on its own: the votes of the rules that proposed it, and the
saving of outsourcing and the risks of handing contacts over, both counted for
the share of contacts the split hands over. The best variant stands for hybrid.
The margin over the runner-up gives the confidence.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from .models import Decision, Split
from .policy.loading import Policy
from .policy.rules import Graded, band_weight
from .run import Firing

Confidence = Literal["high", "medium", "low"]
OPTIONS: tuple[Decision, ...] = tuple(Decision)
SPLITS: tuple[Split, ...] = tuple(Split)
# The share of contacts each split hands over (cost metrics).
SHARE_OF = {Split.overflow: "overflow_share_pct", Split.after_hours: "after_hours_share_pct",
            Split.tier1: "tier1_share_pct"}


@dataclass(frozen=True)
class Vote:
    """A weight a rule gave an option."""

    rule_id: str
    option: Decision
    weight: float
    # For hybrid: the split this vote is about (None: every split).
    split: Split | None = None


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
class _Effect:
    """What one firing gives the decision: its votes, vetoes, splits proposed and condition."""

    rule_id: str
    votes: tuple[Vote, ...]
    veto: tuple[Decision, ...]
    split: tuple[Split, ...]
    condition: Attached | None


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
    # Each firing's effect and the facts they were worked out on: what ``pivots`` starts from.
    effects: tuple[_Effect, ...] = field(default=(), compare=False, repr=False)
    on_facts: Mapping[str, Any] | None = field(default=None, compare=False, repr=False)


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


def _exposure(split: Split, facts: Mapping[str, Any]) -> float:
    """The share of contacts a split hands over (all of them when the cost model could not say)."""
    share = facts.get(SHARE_OF[split])
    return 1.0 if share is None else min(1.0, max(0.0, float(share) / 100))


def _votes(rid: str, policy: Policy, facts: Mapping[str, Any]) -> list[Vote]:
    """The votes a firing of rule ``rid`` gives: plain, graded, by each option's saving, and risks by exposure."""
    then = policy.rule(rid).rule.then
    out: list[Vote] = []
    for option, weight in then.vote.items():
        if isinstance(weight, Graded):
            value = facts.get(weight.by)
            w = band_weight(policy.param(weight.bands), None if value is None else float(value))
        else:
            w = weight_of(weight, policy)
        if w == 0:
            continue
        if option is Decision.hybrid and then.split:
            out.extend(Vote(rid, option, w, split) for split in then.split)
        else:
            out.append(Vote(rid, option, w))
    if then.vote_by_saving is not None:
        # The saving of outsourcing, graded once: in full for outsourcing, and for each split in
        # proportion to the contacts it hands over (the saving is earned on the contacts that leave).
        # A cheaper quote can then never favour a split over outsourcing the whole flow.
        saving = facts.get("savings_pct")
        w = band_weight(policy.param(then.vote_by_saving), None if saving is None else float(saving))
        if w:
            out.append(Vote(rid, Decision.outsource, w))
            for split in SPLITS:
                exposure = _exposure(split, facts)
                if exposure > 0:
                    out.append(Vote(rid, Decision.hybrid, w * exposure, split))
    if then.against is not None:
        w = weight_of(then.against.weight, policy)
        out.append(Vote(rid, Decision.outsource, -w))
        for split in SPLITS:
            exposure = (0.0 if split in then.against.spare else
                        _exposure(split, facts) if then.against.by_share else 1.0)
            if exposure > 0:
                out.append(Vote(rid, Decision.hybrid, -w * exposure, split))
    return out


def _effect(rid: str, policy: Policy, facts: Mapping[str, Any]) -> _Effect:
    then = policy.rule(rid).rule.then
    c = then.condition
    return _Effect(rid, tuple(_votes(rid, policy, facts)), tuple(then.veto), tuple(then.split),
                   None if c is None else Attached(c.id, rid, c.applies_to, c.en, c.fr, c.audience))


def _reads_facts(then: Any) -> bool:
    """Whether a rule's votes depend on the flow's facts (a graded vote, a saving, a risk by share)."""
    return (any(isinstance(weight, Graded) for weight in then.vote.values()) or then.vote_by_saving is not None
            or then.against is not None and then.against.by_share)


@functools.lru_cache(maxsize=16)
def _fixed_effects(policy: Policy) -> dict[str, _Effect]:
    """The effect of each rule whose votes read no fact: the same whichever flow it fires on."""
    return {placed.rule.id: _effect(placed.rule.id, policy, {})
            for placed in policy.rules if not _reads_facts(placed.rule.then)}


def _effects(firings: Sequence[Firing], policy: Policy, facts: Mapping[str, Any]) -> list[_Effect]:
    """Each firing's effect on the decision, in firing order."""
    fixed = _fixed_effects(policy)
    return [fixed.get(firing.rule_id) or _effect(firing.rule_id, policy, facts) for firing in firings]


def _chosen(votes: Sequence[Vote], proposed: Iterable[Split]) -> Split | None:
    """Hybrid's best variant: the split proposed whose votes sum highest (the first in order on a tie)."""
    def variant(split: Split) -> float:
        return sum(v.weight for v in votes if v.option is Decision.hybrid and v.split in (None, split))

    ordered = [s for s in SPLITS if s in proposed]
    return max(ordered, key=lambda s: (variant(s), -SPLITS.index(s))) if ordered else None


def decide(firings: Sequence[Firing], policy: Policy, facts: Mapping[str, Any] | None = None,
           without: str | None = None) -> Verdict:
    """Aggregate the firings of one flow (on its ``facts``: savings and shares of contacts) into a
    verdict; ``without`` leaves one rule's firing out (what would the decision be without it)."""
    facts = {} if facts is None else facts
    return _verdict(_effects([f for f in firings if f.rule_id != without], policy, facts), policy, facts)


def outcome(rule_ids: Sequence[str], policy: Policy, facts: Mapping[str, Any]) -> tuple[Decision, tuple[Split, ...]]:
    """The decision and split ``decide`` gives for firings of the rules ``rule_ids`` (in firing order)
    on ``facts``, with nothing else of the verdict: the same votes summed in the same order, so the
    same scores to the last bit."""
    return tally(rule_ids, policy).outcome(policy, facts)


@dataclass(frozen=True)
class Tally:
    """What the rules fired on a flow (in firing order) give the decision whatever the flow's facts:
    in order, the votes of the rules whose votes read no fact and, in their place, the ids of those
    whose votes do; the options vetoed and the splits proposed."""

    votes: tuple[tuple[Vote, ...] | str, ...]
    vetoed: frozenset[Decision]
    proposed: frozenset[Split]

    def outcome(self, policy: Policy, facts: Mapping[str, Any]) -> tuple[Decision, tuple[Split, ...]]:
        """``outcome`` of these rules on ``facts``."""
        votes: list[Vote] = []
        for part in self.votes:
            votes.extend(_votes(part, policy, facts) if isinstance(part, str) else part)
        chosen = _chosen(votes, self.proposed)
        scores = dict.fromkeys(OPTIONS, 0.0)
        for vote in votes:
            if vote.option is not Decision.hybrid or vote.split is None or vote.split is chosen:
                scores[vote.option] += vote.weight
        decision = _rank(scores, self.vetoed, bool(self.proposed), policy.manifest.decision.tie_break)[0][0]
        return decision, (chosen,) if decision is Decision.hybrid and chosen is not None else ()


def tally(rule_ids: Sequence[str], policy: Policy) -> Tally:
    """The ``Tally`` of firings of the rules ``rule_ids``, in firing order: worked out once, it gives
    the outcome on any facts on which these rules fire."""
    fixed = _fixed_effects(policy)
    parts: list[tuple[Vote, ...] | str] = []
    vetoed: set[Decision] = set()
    proposed: set[Split] = set()
    for rid in rule_ids:
        then = policy.rule(rid).rule.then
        vetoed.update(then.veto)
        proposed.update(then.split)
        effect = fixed.get(rid)
        if effect is None:
            parts.append(rid)
        elif parts and not isinstance(parts[-1], str):
            parts[-1] = (*parts[-1], *effect.votes)
        else:
            parts.append(effect.votes)
    return Tally(tuple(parts), frozenset(vetoed), frozenset(proposed))


def _verdict(effects: Sequence[_Effect], policy: Policy, facts: Mapping[str, Any]) -> Verdict:
    """The verdict the effects of a flow's firings add up to."""
    votes: list[Vote] = []
    vetoes: dict[Decision, list[str]] = {}
    splits: dict[Split, list[str]] = {}
    conditions: list[Attached] = []
    for effect in effects:
        votes.extend(effect.votes)
        for option in effect.veto:
            vetoes.setdefault(option, []).append(effect.rule_id)
        for split in effect.split:
            splits.setdefault(split, []).append(effect.rule_id)
        if effect.condition is not None:
            conditions.append(effect.condition)

    chosen = _chosen(votes, splits)
    votes = [v for v in votes if v.option is not Decision.hybrid or v.split is None or v.split is chosen]
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
        split=(chosen,) if decision is Decision.hybrid and chosen is not None else (),
        scores=scores,
        votes=tuple(votes),
        vetoes={o: tuple(r) for o, r in vetoes.items()},
        proposed_splits={s: tuple(r) for s, r in splits.items()},
        conditions=tuple(c for c in conditions if decision in c.applies_to),
        runner_up=runner_up,
        margin=margin,
        confidence=confidence,
        all_vetoed=all_vetoed,
        effects=tuple(effects),
        on_facts=facts,
    )


def _decision_without(effects: Sequence[_Effect], left_out: int, order: Sequence[Decision]) -> Decision:
    """The decision of ``_verdict`` with the effect at ``left_out`` taken away: the same sums, added
    in the same order (so the same floating-point scores), in one pass and with nothing else built."""
    vetoed: set[Decision] = set()
    proposed: set[Split] = set()
    for index, effect in enumerate(effects):
        if index != left_out:
            vetoed.update(effect.veto)
            proposed.update(effect.split)
    # Each proposed split's variant, summed as ``_chosen`` sums it (from 0, in vote order).
    variants: dict[Split, float] = dict.fromkeys(proposed, 0)
    scores = dict.fromkeys(OPTIONS, 0.0)
    for index, effect in enumerate(effects):
        if index == left_out:
            continue
        for vote in effect.votes:
            if vote.option is Decision.hybrid:
                if vote.split is None:
                    for split in variants:
                        variants[split] += vote.weight
                elif vote.split in variants:
                    variants[vote.split] += vote.weight
            else:
                scores[vote.option] += vote.weight
    chosen = max((s for s in SPLITS if s in variants), key=lambda s: (variants[s], -SPLITS.index(s)), default=None)
    for index, effect in enumerate(effects):
        if index == left_out:
            continue
        for vote in effect.votes:
            if vote.option is Decision.hybrid and (vote.split is None or vote.split is chosen):
                scores[Decision.hybrid] += vote.weight
    return _rank(scores, vetoed, bool(proposed), order)[0][0]


def pivots(verdict: Verdict, firings: Sequence[Firing], policy: Policy,
           facts: Mapping[str, Any] | None = None) -> list[tuple[str, Decision]]:
    """The fired rules whose absence alone would change the decision, with the decision it would
    become, in firing order. Each firing's votes are worked out once; leaving one out only adds up
    the others again."""
    if (verdict.on_facts is not None and verdict.on_facts is facts
            and [e.rule_id for e in verdict.effects] == [f.rule_id for f in firings]):
        effects: Sequence[_Effect] = verdict.effects  # worked out by ``decide`` on these firings and facts
    else:
        effects = _effects(firings, policy, {} if facts is None else facts)
    order = policy.manifest.decision.tie_break
    out = []
    for index, effect in enumerate(effects):
        if not (effect.votes or effect.veto or effect.split):
            continue  # a finding or a condition changes no score
        other = _decision_without(effects, index, order)
        if other is not verdict.decision:
            out.append((effect.rule_id, other))
    return out
