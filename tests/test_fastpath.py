"""The fast path checked against the plain one: a flow's evaluation context, changed one answer at a
time, gives what the whole pipeline gives on the changed flow (decision, split, scores, the rules
fired with the facts they matched, derived facts and conditions), over generated flows."""

from __future__ import annotations

import random
from typing import Any

import pytest

from benchmarks.generate import generate_answers
from engine.analysis.context import FlowContext, with_answers
from engine.analysis.tipping import QUALITATIVE, current_value, plausible_range
from engine.answers import validate_answers
from engine.load import Document
from engine.models import Certification, FlowInputs, resolve
from engine.policy.loading import Policy
from engine.recommend import FlowResult, evaluate_flow

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
