"""The whole pipeline for one answers file: resolve, cost, infer, decide.

answers -> flow inputs -> cost metrics -> facts -> firings (durable_rules) -> verdict.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


from .costs import FlowCosts, flow_costs
from .decide import Verdict, decide
from .facts import snapshot
from .models import Answers, FlowInputs, resolve
from .policy.loading import Policy
from .run import Firing, engine_for


@dataclass(frozen=True)
class FlowResult:
    """Everything known about one flow's recommendation (values already validated upstream)."""

    inputs: FlowInputs
    costs: FlowCosts
    facts: dict[str, Any]
    derived: dict[str, bool]
    firings: tuple[Firing, ...]
    verdict: Verdict

    @property
    def id(self) -> str:
        return self.inputs.flow.id

    @property
    def name(self) -> str:
        return self.inputs.flow.name or self.inputs.flow.id


@dataclass(frozen=True)
class Recommendation:
    """The recommendation for every flow of one answers file, under one policy."""

    policy_name: str
    policy_version: str
    policy_digest: str
    answers: Answers
    flows: tuple[FlowResult, ...]


def evaluate_flow(inputs: FlowInputs, policy: Policy, costs: FlowCosts | None = None) -> FlowResult:
    """Cost one flow (unless ``costs`` are given: those of a variant that differs only in answers
    the cost model does not read), run the policy on it and decide."""
    if costs is None:
        costs = flow_costs(inputs, policy.costs)
    facts = snapshot(inputs, costs, policy.languages_by_country)
    firings, derived = engine_for(policy).evaluate(facts)
    return FlowResult(inputs=inputs, costs=costs, facts=facts, derived=derived,
                      firings=tuple(firings), verdict=decide(firings, policy, facts))


def recommend(answers: Answers, policy: Policy, only: str | None = None) -> Recommendation:
    """Evaluate every flow (or only the flow with id ``only``)."""
    flows = tuple(evaluate_flow(inputs, policy) for inputs in resolve(answers)
                  if only is None or inputs.flow.id == only)
    return Recommendation(policy_name=policy.name, policy_version=policy.version,
                          policy_digest=policy.digest, answers=answers, flows=flows)
