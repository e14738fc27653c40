"""One flow's evaluation kept at hand, so that changing a few answers re-runs only what they touch.

Tipping points and sampling under uncertain answers evaluate the same flow again and again with
one or a few answers changed. A ``FlowContext`` is built once from a flow's inputs and the policy;
``evaluate(changes)`` then runs the pipeline of ``recommend.evaluate_flow`` on the changed flow,
skipping what the change cannot alter:

- the cost model runs only when a changed answer is one it reads (``COSTLESS_FIELDS``), and costs
  the splits only when a rule reads a split's saving;
- the facts are taken again from the changed answers (a flat mapping, cheap), and for a changed
  number in ``outcome`` only that answer's fact and the metrics;
- the rule engine runs only when the facts it tests fall on another side of some threshold of the
  policy's conditions than in an evaluation already made: which rules fire and what they derive
  depend on nothing else, so the firings are reused, each recording the facts it matched from the
  new snapshot;
- the decision is taken again (it weighs savings and shares of contacts, which move continuously).

The result is the same ``FlowResult`` the plain pipeline gives for the changed flow (without the
splits' savings when no rule reads them).

``outcome(changes)`` gives only the decision and split, and what the policy sees, for a search that
reads nothing else (tipping points): the cost model's figures without its models, what the engine
sees told again only for the facts a numeric change can move, no matched facts, the decision summed
from the rules fired (their votes that read no fact tallied once), and a decision reused for a
variant whose firings, graded bands and shares of contacts (all the votes read) are those of one
already decided.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..costs import COSTLESS_FIELDS, SPLIT_METRICS, FlowCosts, flow_costs, metric_values
from ..decide import SHARE_OF, Tally, decide, tally
from ..facts import METRIC_FACTS, NUMBER_FACTS, fact_of, plain_number, snapshot, snapshot_with
from ..models import Decision, FlowInputs, Split, VendorQuote
from ..policy.compile import compile_policy, membership_sets
from ..policy.loading import Policy
from ..recommend import FlowResult
from ..policy.rules import Graded
from ..run import Engine, Firing, engine_for

# The durable_rules operators that compare a field with a value, and those that only ask whether it is known.
_COMPARING = ("$lt", "$lte", "$gt", "$gte", "$neq")
_PRESENCE = ("$ex", "$nex")
_ORGANISATION = "organisation."
# The facts a vote reads as they are, not by band: the share of contacts each split hands over.
_SHARES = tuple(SHARE_OF.values())


def with_answers(inputs: FlowInputs, changes: Mapping[str, Any]) -> FlowInputs:
    """The flow's inputs with some answers changed (values already within the model's bounds). A
    number for ``vendor_quote`` is the amount in the form the flow's quote is given in; a name
    ``organisation.<field>`` changes the organisation's answer (a flow's own answer still prevails)."""
    update = {name: value for name, value in changes.items() if not name.startswith(_ORGANISATION)}
    quote = update.get("vendor_quote")
    if quote is not None and not isinstance(quote, VendorQuote):
        form = inputs.flow.vendor_quote
        assert form is not None, "a quote's amount changes only on a flow that has a quote"
        update["vendor_quote"] = VendorQuote.model_validate({form.form: quote})
    changed: dict[str, Any] = {"flow": inputs.flow.model_copy(update=update)}
    organisation = {name.removeprefix(_ORGANISATION): value for name, value in changes.items()
                    if name.startswith(_ORGANISATION)}
    if organisation:
        changed["organisation"] = inputs.organisation.model_copy(update=organisation)
    return inputs.model_copy(update=changed)


# Each engine field as what telling its side takes: (field, fact, list item, thresholds, membership set).
Plan = tuple[tuple[str, str, str, tuple[float, ...] | None, frozenset[Any] | None], ...]


@dataclass(frozen=True)
class _Tests:
    """What the policy's conditions compare each engine field with: the numbers a numeric field is
    compared with (only its side of each matters), or None where the value itself matters; and the
    edges of the bands that grade votes, by the fact graded. The fields come in order, so that what
    the engine sees of a flow is listed in one order without sorting it each time."""

    fields: tuple[str, ...]
    sets: dict[str, frozenset[Any]]
    thresholds: dict[str, tuple[float, ...] | None]
    edges: dict[str, tuple[float, ...]]
    plan: Plan = ()


def _operands(expr: dict[str, Any], into: dict[str, list[Any]]) -> None:
    """Collect, by field, the values a compiled condition compares each field with."""
    for key, value in expr.items():
        if key in ("$and", "$or"):
            for part in value:
                _operands(part, into)
        elif key in _COMPARING:
            for field, operand in value.items():
                into.setdefault(field, []).append(operand)
        elif key in _PRESENCE:
            for field in value:
                into.setdefault(field, [])
        else:
            into.setdefault(key, []).append(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


_tests: dict[tuple[str, str], _Tests] = {}


def _tests_of(policy: Policy, engine: Engine) -> _Tests:
    """The policy's tests, gathered once per process per policy (like its engine)."""
    key = (policy.digest, str(policy.root))
    found = _tests.get(key)
    if found is None:
        operands: dict[str, list[Any]] = {}
        for definition, _fields in compile_policy(policy):
            for rule in definition.values():
                for condition in rule["all"]:
                    _operands(condition["m"], operands)
        thresholds = {field: tuple(sorted(set(values))) if all(map(_is_number, values)) else None
                      for field, values in operands.items()}
        fields, sets = tuple(sorted(engine.tested)), membership_sets(policy)
        plan = tuple((field, fact, item, thresholds.get(field), sets.get(field))
                     for field in fields for fact, _, item in (field.partition("__"),))
        found = _Tests(fields, sets, thresholds, _band_edges(policy), plan)
        _tests[key] = found
    return found


def _band_edges(policy: Policy) -> dict[str, tuple[float, ...]]:
    """The edges of the bands of every graded vote and vote by saving, by the fact they grade."""
    graded: dict[str, set[float]] = {}
    for placed in policy.rules:
        then = placed.rule.then
        pairs = [(weight.by, weight.bands) for weight in then.vote.values() if isinstance(weight, Graded)]
        if then.vote_by_saving is not None:
            pairs.append(("savings_pct", then.vote_by_saving))
        for fact, bands in pairs:
            for band in policy.param(bands):
                graded.setdefault(fact, set()).update(e for e in (band.min, band.max) if e is not None)
    return {fact: tuple(sorted(edges)) for fact, edges in graded.items()}


def _side(value: Any, thresholds: tuple[float, ...] | None) -> Any:
    """What the engine can tell of a field's value: the value itself, or for a number compared only
    with numbers (in order), how many lie below it and whether it equals the next."""
    if thresholds is None or not _is_number(value):
        return value
    below = bisect.bisect_left(thresholds, value)
    return below, below < len(thresholds) and thresholds[below] == value


# What ``_entry`` gives for a field the engine is not shown.
_NOT_SEEN = object()


def _entry(value: Any, item: str, thresholds: tuple[float, ...] | None, members: frozenset[Any] | None) -> Any:
    """What the engine can tell of one field of a fact at ``value`` (not None): the item of a list, a
    membership, the number on its side of the thresholds, or the value itself; ``_NOT_SEEN`` for an
    item of a fact that is not a list and no membership."""
    if isinstance(value, list):
        value = len(value) if item == "count" else item in value
    elif not item:
        if isinstance(value, float):
            value = plain_number(value)
    elif members is not None:
        value = plain_number(value) in members
    else:
        return _NOT_SEEN
    return _side(value, thresholds)


class _SeenFrom:
    """What the engine can tell of a variant's facts: each field of ``engine_fields`` with its side
    (``_side``) of the thresholds it is compared with, in the plan's order. Worked out once for the
    base flow; for a variant, only the fields of facts whose value is not the base flow's (same type,
    equal) are told again, looked for among the facts the caller says may have changed."""

    def __init__(self, base: Mapping[str, Any], plan: Plan) -> None:
        self.base, self.plan = dict(base), plan
        self.facts = tuple(dict.fromkeys(fact for _, fact, _, _, _ in plan))
        # The facts the cost model gives: those a numeric answer changed may move besides its own.
        self.metrics = tuple(fact for fact in self.facts if fact in METRIC_FACTS)
        self.at: dict[str, list[int]] = {}
        for at, (_, fact, _, _, _) in enumerate(plan):
            self.at.setdefault(fact, []).append(at)
        # None for a field the engine is not shown (so that ``filter`` leaves it out).
        self.entries: list[Any] = [self._told(at, base.get(fact)) for at, (_, fact, _, _, _) in enumerate(plan)]
        self.seen = tuple(filter(None, self.entries))

    def _told(self, at: int, value: Any) -> tuple[str, Any] | None:
        """The plan's ``at``-th field and what the engine tells of it for its fact at ``value``, or
        None."""
        field, _, item, thresholds, members = self.plan[at]
        if value is None:
            return None
        told = _entry(value, item, thresholds, members)
        return None if told is _NOT_SEEN else (field, told)

    def __call__(self, facts: Mapping[str, Any], among: tuple[str, ...] | None = None) -> tuple[Any, ...]:
        """What the engine can tell of ``facts``, which differ from the base flow's at most in the
        facts ``among`` (any, without it)."""
        base, get = self.base, facts.get
        changed: list[int] = []
        for fact in self.facts if among is None else among:
            value, was = get(fact), base.get(fact)
            if value is not was and (type(value) is not type(was) or value != was):
                changed.extend(self.at.get(fact, ()))
        if not changed:
            return self.seen
        entries = list(self.entries)
        for at in changed:
            entries[at] = self._told(at, get(self.plan[at][1]))
        return tuple(filter(None, entries))


class FlowContext:
    """One flow under one policy, ready to be evaluated again with some answers changed.

    ``evaluations`` counts the changed flows evaluated, ``engine_runs`` the times the rule engine
    had to run for them (the others reused the firings of facts it could not tell apart)."""

    def __init__(self, inputs: FlowInputs, policy: Policy, costs: FlowCosts | None = None) -> None:
        self.inputs, self.policy = inputs, policy
        self.engine = engine_for(policy)
        self._tests = _tests_of(policy, self.engine)
        read = self.engine.tested.union(*(placed.reads for placed in policy.rules))
        self.splits = not SPLIT_METRICS.isdisjoint(read)
        self.costs = flow_costs(inputs, policy.costs, self.splits) if costs is None else costs
        self._last: tuple[dict[str, Any], tuple[Any, ...]] | None = None
        self._facts = snapshot(inputs, self.costs, policy.languages_by_country)
        self._seen = _SeenFrom(self._facts, self._tests.plan)
        self._firings: dict[tuple[Any, ...], tuple[tuple[tuple[str, int], ...], dict[str, bool]]] = {}
        self._rule_ids: dict[tuple[Any, ...], tuple[str, ...]] = {}
        self._tallies: dict[tuple[Any, ...], Tally] = {}
        self._outcomes: dict[tuple[Any, ...], tuple[Decision, tuple[Split, ...]]] = {}
        self.evaluations = 0
        self.engine_runs = 0

    def thresholds(self, fact: str) -> tuple[float, ...]:
        """The numbers the policy's conditions compare a numeric fact with, in order (none for a
        fact no condition compares with a number)."""
        return self._tests.thresholds.get(fact) or ()

    def edges(self, fact: str) -> tuple[float, ...]:
        """The edges of the bands that grade votes by a fact, in order (none for a fact no vote grades)."""
        return self._tests.edges.get(fact, ())

    def evaluate(self, changes: Mapping[str, Any]) -> FlowResult:
        """The flow's result with ``changes`` (answer name to new value) applied, every other answer
        as it is."""
        self.evaluations += 1
        inputs = with_answers(self.inputs, changes) if changes else self.inputs
        costless = COSTLESS_FIELDS.issuperset(changes)
        costs = self.costs if costless else flow_costs(inputs, self.policy.costs, self.splits)
        facts = snapshot(inputs, costs, self.policy.languages_by_country)
        firings, derived = self._run(facts)
        return FlowResult(inputs=inputs, costs=costs, facts=facts, derived=derived, firings=firings,
                          verdict=decide(firings, self.policy, facts))

    def outcome(self, changes: Mapping[str, Any]) -> tuple[tuple[Decision, tuple[Split, ...]], tuple[Any, ...]]:
        """The decision and split of ``evaluate(changes)``, and what the policy sees of the changed
        flow's facts (``seen_by_policy``), without the rest of the result: the firings' matched facts
        and the verdict's votes, vetoes and conditions are not gathered."""
        self.evaluations += 1
        inputs = with_answers(self.inputs, changes) if changes else self.inputs
        costless = COSTLESS_FIELDS.issuperset(changes)
        costs = self.costs if costless else metric_values(inputs, self.policy.costs, self.splits)
        among: tuple[str, ...] | None = None
        if changes and NUMBER_FACTS.keys() >= changes.keys():  # numbers: their own facts and the metrics
            facts = snapshot_with(self._facts, inputs, costs, changes)
            among = (*self._seen.metrics, *map(fact_of, changes))
        else:
            facts = snapshot(inputs, costs, self.policy.languages_by_country)
        key = self.seen_by_engine(facts, among)
        seen = self.seen_by_policy(facts)
        # The votes read, besides which rules fired, only the bands of graded facts (which ``seen``
        # tells) and the shares of contacts the splits hand over: the same decision for the same both.
        votes_read = (seen, *(facts.get(name) for name in _SHARES))
        found = self._outcomes.get(votes_read)
        if found is None:
            tallied = self._tallies.get(key)
            if tallied is None:
                if key not in self._rule_ids:
                    self._run(facts)
                tallied = self._tallies[key] = tally(self._rule_ids[key], self.policy)
            found = tallied.outcome(self.policy, facts)
            if all(value == value for value in (facts.get(fact) for fact in self._tests.edges)):  # no NaN
                self._outcomes[votes_read] = found
        return found, seen

    def seen_by_engine(self, facts: dict[str, Any], among: tuple[str, ...] | None = None) -> tuple[Any, ...]:
        """What the rule engine can tell of a flow's facts: equal for two flows on which the same
        rules fire. ``among``: the facts in which they may differ from the flow's own (any, without
        it). The last facts' answer is kept: a caller asks again about the facts just evaluated."""
        if self._last is not None and self._last[0] is facts:
            return self._last[1]
        seen = self._seen(facts, among)
        self._last = (facts, seen)
        return seen

    def seen_by_policy(self, facts: dict[str, Any]) -> tuple[Any, ...]:
        """What the policy's conditions and graded votes can tell of a flow's facts: equal for two
        flows on which the same rules fire with the same grades."""
        edges = self._tests.edges
        return (*self.seen_by_engine(facts), *((fact, _side(facts.get(fact), edges[fact])) for fact in edges))

    def seen_with(self, seen: tuple[Any, ...], fact: str, value: Any) -> tuple[Any, ...]:
        """What the policy would see (``seen_by_policy``) were a fact it sees in ``seen`` at ``value``,
        every other fact as it is: the sides of the thresholds and band edges it is compared with."""
        tests, graded = self._tests, len(seen) - len(self._tests.edges)
        return tuple((name, _side(value, tests.thresholds.get(name) if at < graded else tests.edges[name]))
                     if name == fact else (name, side) for at, (name, side) in enumerate(seen))

    def _run(self, facts: dict[str, Any]) -> tuple[tuple[Firing, ...], dict[str, bool]]:
        """The engine's firings on ``facts``, reused when it has seen facts it cannot tell from these."""
        key = self.seen_by_engine(facts)
        known = self._firings.get(key)
        if known is None:
            self.engine_runs += 1
            fired, derived = self.engine.evaluate(facts)
            self._firings[key] = (tuple((f.rule_id, f.stratum) for f in fired), dict(derived))
            self._rule_ids[key] = tuple(f.rule_id for f in fired)
            return tuple(fired), derived
        rules, derived = known
        return tuple(Firing(rule_id, stratum, self._matched(rule_id, facts, derived))
                     for rule_id, stratum in rules), dict(derived)

    def _matched(self, rule_id: str, facts: dict[str, Any], derived: dict[str, bool]) -> dict[str, Any]:
        """The facts a rule records as matched, as its action in the engine records them."""
        return {name: facts.get(name, derived.get(name)) for name in self.policy.rule(rule_id).reads}

