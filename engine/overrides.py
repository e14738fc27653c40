"""A person's override of a flow's decision: the checks ``arbitre recommend --override FLOW=DECISION
--reason TEXT`` and the workspace's override form share. Each front end words the problems its own way
(the CLI in its option syntax, the form beside its fields, in the page's language)."""

from __future__ import annotations

from collections.abc import Collection
from enum import Enum

from .models import Decision

DECISIONS = tuple(d.value for d in Decision)


class OverrideProblem(Enum):
    """What can be wrong with an override, in the order the checks find it."""

    NO_REASON = "no_reason"  # the reason is missing or blank: an override always says why
    NOT_A_DECISION = "not_a_decision"  # the decision is not one of DECISIONS
    UNKNOWN_FLOW = "unknown_flow"  # no flow with this id in the answers


def reason_missing(reason: str) -> bool:
    """Whether an override's reason says nothing (empty or blank)."""
    return not reason.strip()


def override_problems(flow_id: str, decision: str, reason: str, known: Collection[str]) -> tuple[OverrideProblem, ...]:
    """Everything wrong with overriding ``flow_id`` (one of ``known``) to ``decision`` because of
    ``reason``, in order: the reason, the decision, the flow. Empty when the override holds."""
    found = []
    if reason_missing(reason):
        found.append(OverrideProblem.NO_REASON)
    if decision not in DECISIONS:
        found.append(OverrideProblem.NOT_A_DECISION)
    if flow_id not in known:
        found.append(OverrideProblem.UNKNOWN_FLOW)
    return tuple(found)
