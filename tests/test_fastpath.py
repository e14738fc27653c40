"""The fast path checked against the plain one: a flow's evaluation context, changed one answer at a
time, gives what the whole pipeline gives on the changed flow (decision, split, scores, the rules
fired with the facts they matched, derived facts and conditions), over generated flows; and each
tipping point found on it holds on the whole pipeline."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from benchmarks.generate import generate_answers
from engine.analysis.context import FlowContext, _side, with_answers
from engine.analysis.tipping import QUALITATIVE, current_value, held_by_veto, plausible_range, tipping_points
from engine.answers import load_answers, validate_answers
from engine.load import Document
from engine.models import Certification, FlowInputs, VendorQuote, resolve
from engine.policy.loading import Policy
from engine.costs import FlowCosts, flow_costs, metric_values
from engine.decide import decide, pivots
from engine.decide import outcome as decide_outcome
from engine.facts import NUMBER_FACTS, engine_fields, snapshot, snapshot_with
from engine.recommend import FlowResult, evaluate_flow
from tests.conftest import EXAMPLES

FLOWS = 50
CHANGES = 6


def generated_flows() -> list[FlowInputs]:
    """Fifty realistic flows from the benchmarks' generator, always the same."""
    answers = validate_answers(Document("generated", generate_answers(FLOWS, seed=15), {}))
    return list(resolve(answers))


def random_change(rng: random.Random, inputs: FlowInputs, policy: Policy) -> tuple[str, Any]:
    """One answer a person could change, with another value: a number within its plausible range,
    another level or truth value, or a certification added."""
    numeric = [(name, lever) for name, lever in policy.levers.numeric_levers().items()
               if current_value(inputs, name) is not None]
    kind = rng.choice(("number", "number", "answer", "certification"))
    if kind == "number":
        name, lever = rng.choice(numeric)
        current = current_value(inputs, name)
        assert current is not None
        low, high = plausible_range(inputs, policy, name, lever, current)
        value = rng.uniform(low, high)
        return name, round(value) if name == "monthly_volume" else value
    if kind == "answer":
        name = rng.choice(sorted(QUALITATIVE))
        return name, rng.choice([v for v in QUALITATIVE[name] if v != getattr(inputs.flow, name)])
    have = tuple(inputs.flow.provider_certifications)
    return "provider_certifications", (*have, rng.choice(list(Certification)))


def essentials(result: FlowResult) -> dict[str, Any]:
    """What a recommendation says of a flow, from the decision to the facts each rule matched."""
    verdict = result.verdict
    return {"decision": verdict.decision, "split": verdict.split, "scores": verdict.scores,
            "votes": verdict.votes, "vetoes": verdict.vetoes, "conditions": verdict.conditions,
            "confidence": verdict.confidence, "firings": result.firings, "derived": result.derived}


class TestFlowContext:
    def test_changed_answers_give_the_plain_result(self, policy: Policy) -> None:
        """Every single-answer change evaluated on the context equals the whole pipeline on the changed flow."""
        rng = random.Random(15)
        for inputs in generated_flows():
            context = FlowContext(inputs, policy)
            assert essentials(context.evaluate({})) == essentials(evaluate_flow(inputs, policy))
            for _ in range(CHANGES):
                name, value = random_change(rng, inputs, policy)
                plain = evaluate_flow(with_answers(inputs, {name: value}), policy)
                assert essentials(context.evaluate({name: value})) == essentials(plain), (inputs.flow.id, name, value)

    def test_the_engine_runs_only_for_facts_it_can_tell_apart(self, policy: Policy) -> None:
        """A change no condition can see (the same answer again) reuses the firings: one engine run for both."""
        inputs = generated_flows()[0]
        context = FlowContext(inputs, policy)
        first = context.evaluate({})
        again = context.evaluate({"complexity": inputs.flow.complexity})
        assert (context.evaluations, context.engine_runs) == (2, 1)
        assert essentials(again) == essentials(first)

    @pytest.mark.parametrize("name", ["loaded_hourly_cost", "complexity"])
    def test_a_cost_answer_costs_again(self, policy: Policy, name: str) -> None:
        """The cost model runs again for an answer it reads, and not for one it does not."""
        inputs = generated_flows()[1]
        context = FlowContext(inputs, policy)
        value = 2 * inputs.loaded_hourly_cost if name == "loaded_hourly_cost" else QUALITATIVE[name][0]
        changed = context.evaluate({name: value})
        assert (changed.costs is context.costs) == (name == "complexity")


def outcome(inputs: FlowInputs, policy: Policy, name: str, value: Any) -> tuple[Any, ...]:
    """The decision and split of the whole pipeline on the flow with one answer changed."""
    verdict = evaluate_flow(with_answers(inputs, {name: value}), policy).verdict
    return verdict.decision, verdict.split


class TestTippingPoints:
    def test_every_point_and_flip_holds_on_the_plain_pipeline(self, policy: Policy) -> None:
        """At a point's value the whole pipeline gives the point's decision, at the last value before
        it today's, the two within the search's precision (one contact, else 0.5 % of the answer); a
        flip's value gives the flip's decision."""
        for inputs in generated_flows()[:12]:
            verdict = evaluate_flow(inputs, policy).verdict
            base = (verdict.decision, verdict.split)
            hold = held_by_veto({o.value: s for o, s in verdict.scores.items()},
                                {o.value: r for o, r in verdict.vetoes.items()}, verdict.decision.value)
            found = tipping_points(inputs, policy, base, hold=hold)
            for point in found.points:
                integer = point.field == "monthly_volume"
                value, unchanged = (int(point.value), int(point.unchanged_at)) if integer else (point.value,
                                                                                                 point.unchanged_at)
                assert outcome(inputs, policy, point.field, value) == (point.decision, point.split), point
                assert outcome(inputs, policy, point.field, unchanged) == base, point
                assert abs(point.value - point.unchanged_at) <= (1 if integer else max(0.005 * point.current, 0.01))
            for flip in found.flips:
                if flip.field in QUALITATIVE:
                    value = type(getattr(inputs.flow, flip.field))(flip.value)
                    assert outcome(inputs, policy, flip.field, value) == (flip.decision, flip.split), flip

    def test_a_point_within_a_narrow_band(self, policy: Policy) -> None:
        """A decision that changes and changes back between two values tried is still found: the
        search looks between them once the policy sees a difference."""
        inputs = next(i for i in generated_flows() if i.flow.id == "order-taking-other-50")
        verdict = evaluate_flow(inputs, policy).verdict
        points = tipping_points(inputs, policy, (verdict.decision, verdict.split)).points
        below = next(p for p in points if (p.field, p.direction) == ("peak_ratio", "below"))
        assert 1.79 < below.value < below.unchanged_at <= 1.81


ORGANISATION_CHANGES = {"loaded_hourly_cost": (15.0, 60.0), "annual_turnover_pct": (0.0, 80.0),
                        "absenteeism_pct": (0.0, 20.0), "opening_hours_per_week": (35.0, 90.0)}


def test_changed_organisation_answers_give_the_plain_result(policy: Policy) -> None:
    """An organisation's answer changed on the context (``organisation.<field>``) equals the whole
    pipeline on the flow whose organisation has that answer (a flow's own answer still prevailing)."""
    rng = random.Random(16)
    for inputs in generated_flows()[:20]:
        context = FlowContext(inputs, policy)
        for field, (low, high) in ORGANISATION_CHANGES.items():
            value = rng.uniform(low, high)
            organisation = inputs.organisation.model_copy(update={field: value})
            plain = evaluate_flow(inputs.model_copy(update={"organisation": organisation}), policy)
            changed = context.evaluate({f"organisation.{field}": value})
            assert essentials(changed) == essentials(plain), (inputs.flow.id, field, value)
            assert changed.inputs.organisation == organisation


class TestPivots:
    def test_pivots_are_the_decisions_without_each_rule(self, policy: Policy) -> None:
        """The pivots, worked out from each firing's votes once, are exactly the rules whose firing left
        out alone changes the whole decision, with the decision ``decide`` gives without it."""
        rng = random.Random(17)
        found = 0
        for inputs in generated_flows():
            for flow in (inputs, with_answers(inputs, dict([random_change(rng, inputs, policy)]))):
                result = evaluate_flow(flow, policy)
                plain = [(f.rule_id, decide(result.firings, policy, result.facts, without=f.rule_id).decision)
                         for f in result.firings]
                want = [(rule, other) for rule, other in plain if other is not result.verdict.decision]
                assert pivots(result.verdict, result.firings, policy, result.facts) == want, flow.flow.id
                found += len(want)
        assert found  # the flows have pivots to compare


def plain_seen(context: FlowContext, facts: dict[str, Any]) -> tuple[Any, ...]:
    """What the policy sees of some facts, worked out the long way: the engine's fields
    (``engine_fields``), each on its side of the numbers it is compared with, then the band of each
    graded fact."""
    tests = context._tests
    fields = engine_fields(facts, tests.fields, tests.sets)
    seen = tuple((field, _side(value, tests.thresholds.get(field))) for field, value in fields.items())
    return (*seen, *((fact, _side(facts.get(fact), edges)) for fact, edges in tests.edges.items()))


class TestOutcome:
    def test_the_outcome_is_the_plain_decision_and_what_the_policy_sees(self, policy: Policy) -> None:
        """``FlowContext.outcome`` (lean costs, no matched facts, no verdict, outcomes reused by what
        the votes read) gives the decision and split of the whole pipeline on the changed flow, and
        what the policy sees of its facts worked out the long way, change after change."""
        rng = random.Random(18)
        for inputs in generated_flows():
            context = FlowContext(inputs, policy)
            for _ in range(2 * CHANGES):
                name, value = random_change(rng, inputs, policy)
                plain = evaluate_flow(with_answers(inputs, {name: value}), policy)
                got, seen = context.outcome({name: value})
                assert got == (plain.verdict.decision, plain.verdict.split), (inputs.flow.id, name, value)
                assert seen == plain_seen(context, plain.facts), (inputs.flow.id, name, value)

    def test_metric_values_are_the_flow_costs(self, policy: Policy) -> None:
        """The metrics without the model are the model's, value for value and type for type (a whole
        number held as a float where the model holds a float), with or without the splits."""
        rng = random.Random(19)
        for inputs in generated_flows():
            flow = with_answers(inputs, dict([random_change(rng, inputs, policy)]))
            for splits in (True, False):
                values = metric_values(flow, policy.costs, splits)
                model = flow_costs(flow, policy.costs, splits)
                assert FlowCosts(**values) == model
                assert [(k, type(v)) for k, v in values.items()] == [(k, type(v)) for k, v in vars(model).items()]
                assert snapshot(flow, values, policy.languages_by_country) == snapshot(
                    flow, model, policy.languages_by_country)

    def test_a_number_changed_gives_the_snapshot_of_the_changed_flow(self, policy: Policy) -> None:
        """The facts of a flow with numeric answers changed, worked out from its snapshot before the
        change (``snapshot_with``), are the changed flow's snapshot, value for value, type for type and in the same order."""
        rng = random.Random(21)
        for inputs in generated_flows():
            before = snapshot(inputs, flow_costs(inputs, policy.costs), policy.languages_by_country)
            changes = [random_change(rng, inputs, policy) for _ in range(CHANGES)]
            if inputs.flow.vendor_quote is None:  # a quote given: metrics that had no value get one
                changes.append(("vendor_quote", VendorQuote(per_contact=1.5)))
            for name, value in changes:
                if name not in NUMBER_FACTS:
                    continue
                flow = with_answers(inputs, {name: value})
                values = metric_values(flow, policy.costs)
                got = snapshot_with(before, flow, values, (name,))
                want = snapshot(flow, values, policy.languages_by_country)
                assert list(got.items()) == list(want.items()), (inputs.flow.id, name, value)  # in order too
                assert [type(v) for v in got.values()] == [type(v) for v in want.values()], (inputs.flow.id, name)

    def test_decide_outcome_is_the_verdicts_decision(self, policy: Policy) -> None:
        """``decide.outcome`` from the rules fired is ``decide``'s decision and split."""
        rng = random.Random(20)
        for inputs in generated_flows():
            result = evaluate_flow(with_answers(inputs, dict([random_change(rng, inputs, policy)])), policy)
            verdict = result.verdict
            rules = [f.rule_id for f in result.firings]
            assert decide_outcome(rules, policy, result.facts) == (verdict.decision, verdict.split)


def plain_outcome(self: FlowContext, changes: Any) -> tuple[Any, tuple[Any, ...]]:
    """The outcome through the context's whole evaluation (``evaluate``, checked against the whole
    pipeline above) and what the policy sees worked out the long way."""
    result = self.evaluate(changes)
    return (result.verdict.decision, result.verdict.split), plain_seen(self, result.facts)


def test_tipping_points_are_those_of_the_plain_evaluation(policy: Policy, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every flow's tipping points, flips and engine runs searched on the lean outcome are those
    searched on the context's whole evaluation, value for value: on generated flows and on the
    bundled examples' flows."""
    flows = generated_flows()[:25] + [inputs for path in sorted(EXAMPLES.glob("*.yaml"))
                                      for inputs in resolve(load_answers(path))]

    def search() -> list[Any]:
        found = []
        for inputs in flows:
            verdict = evaluate_flow(inputs, policy).verdict
            hold = held_by_veto({o.value: s for o, s in verdict.scores.items()},
                                {o.value: r for o, r in verdict.vetoes.items()}, verdict.decision.value)
            found.append(tipping_points(inputs, policy, (verdict.decision, verdict.split), hold=hold))
        return found

    fast = search()
    monkeypatch.setattr(FlowContext, "outcome", plain_outcome)
    assert search() == fast
    assert any(found.points for found in fast) and any(found.flips for found in fast)


class TestExplanationEnvironment:
    """Arbitre's own templates read a dict's item at once (``flow.name``); the same text as Jinja2's
    sandbox, which first looks for an attribute, whatever the template reads."""

    SOURCES = [
        pytest.param("{{ flow.name }} {{ flow.scores.hybrid }}", id="items-of-nested-dicts"),
        pytest.param("{{ flow['name'] }}", id="subscript"),
        pytest.param("{{ flow.items is defined }} {{ flow.get('name') }}", id="dict-method-names"),
        pytest.param("{% for k, v in flow.items() %}{{ k }}={{ v }};{% endfor %}", id="a-key-named-like-a-method"),
        pytest.param("{{ flow.missing is defined }} {{ flow.__class__ is defined }}", id="missing-and-dunder"),
        pytest.param("{{ words.upper() }} {{ flow.tags.count('a') }} {{ named.name }}", id="not-a-dict"),
        pytest.param("{{ flow.__class__.__mro__ }}", id="unsafe-attribute"),
    ]

    @pytest.mark.parametrize("source", SOURCES)
    def test_the_same_text_as_jinjas_sandbox(self, source: str) -> None:
        """Rendered in both environments, a template gives the same text, or the same error."""
        from collections import OrderedDict

        from jinja2 import StrictUndefined
        from jinja2.sandbox import SandboxedEnvironment

        from explanations.sandbox import ExplanationEnvironment

        flow = {"name": "Support", "scores": {"hybrid": 2.5}, "items": "a key", "tags": ["a", "b"]}
        context = {"flow": flow, "words": "word", "named": OrderedDict(name="ordered")}
        outcomes = []
        for env in (SandboxedEnvironment(undefined=StrictUndefined), ExplanationEnvironment(undefined=StrictUndefined)):
            try:
                outcomes.append(env.from_string(source).render(context))
            except Exception as exc:  # noqa: BLE001 - the error itself is compared
                outcomes.append(f"{type(exc).__name__}: {exc}")
        assert outcomes[0] == outcomes[1]


def test_an_entrys_metrics_and_costs_are_the_models_dumps(policy: Policy) -> None:
    """A flow entry's metrics and costs, taken from one dump of the flow's costs, are the metrics' own
    dump and each option's, key for key and in the same order."""
    from explanations.render import flow_entry

    for inputs in generated_flows():
        result = evaluate_flow(inputs, policy)
        entry = flow_entry(result, policy, ("en",), findings_text=False)
        metrics = result.costs.model_dump(exclude={"options"})
        options = {name: option.model_dump() for name, option in result.costs.options.items()}
        assert list(entry["metrics"].items()) == list(metrics.items())
        assert [(name, list(o.items())) for name, o in entry["costs"]["options"].items()] == \
            [(name, list(o.items())) for name, o in options.items()]


class TestStreamedReading:
    """A streamed answers file (read once, event by event, its flows kept as JSON lines for the parts)
    gives the answers of the same file read whole, whatever its plain values are written like."""

    def test_the_parts_are_the_whole_files_answers(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        import engine.answers
        from benchmarks.generate import to_yaml

        text = to_yaml(generate_answers(120, seed=11)).replace("  skill_gap: false\n", "  skill_gap: FALSE\n", 7)
        text = text.replace("  coverage_hours_needed: 50\n", "  coverage_hours_needed: !!int '50'\n", 3)
        text = text.replace("  current_fte: ", "  current_fte: !!float ", 5).replace("  name: '", "  name: !!str '", 4)
        path = tmp_path / "answers.yaml"
        path.write_text(text, encoding="utf-8")
        monkeypatch.setattr(engine.answers, "STREAM_FROM_BYTES", 0)
        monkeypatch.setattr(engine.answers, "SPOOL_BYTES", 4_096)
        parts = engine.answers.answers_parts(path, 37)
        assert not isinstance(parts, engine.answers.Estimated)
        streamed = list(parts)
        monkeypatch.setattr(engine.answers, "STREAM_FROM_BYTES", 2**62)
        whole = engine.answers.load_estimates(path).answers
        assert [len(part.flows) for part in streamed] == [37, 37, 37, 9]
        assert tuple(flow for part in streamed for flow in part.flows) == whole.flows
        assert {part.organisation for part in streamed} == {whole.organisation}
