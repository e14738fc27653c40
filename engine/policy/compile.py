"""Compiling a checked policy into durable_rules ruleset definitions, one per stratum.

Each rule becomes one durable_rules rule over a single fact (the flow's
snapshot, with the derived facts of earlier strata filled in). Parameters are
replaced by their values; list facts are tested through their flattened
fields; ``not`` is pushed down to the comparisons. A comparison on an unknown
value is false, and its negation true: ``not (x > 5)`` becomes ``x unknown or x <= 5``.
``in`` and ``not_in`` test one boolean field computed before the run from a set
(``membership_sets``): a list of a thousand values is one lookup, not a
disjunction of a thousand tests that durable_rules would take minutes over.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from ..facts import flatten_key, plain_number
from .loading import Policy, comparisons
from .rules import AllOf, AnyOf, Comparison, Condition, NotOf

Expr = dict[str, Any]

_NEGATED = {"eq": "ne", "ne": "eq", "lt": "ge", "ge": "lt", "le": "gt", "gt": "le",
            "in": "not_in", "not_in": "in", "contains": "lacks", "lacks": "contains",
            "empty": "not_empty", "not_empty": "empty", "known": "unknown", "unknown": "known"}
_ORDER = {"lt": "$lt", "le": "$lte", "gt": "$gt", "ge": "$gte"}


def _join(op: str, parts: list[Expr]) -> Expr:
    return parts[0] if len(parts) == 1 else {op: parts}


def _comparison(fact: str, op: str, operand: Any) -> Expr:
    if op == "eq":
        return {fact: operand}
    if op == "ne":
        return {"$neq": {fact: operand}}
    if op in _ORDER:
        return {_ORDER[op]: {fact: operand}}
    if op == "in":
        return {membership_key(fact, operand): True}
    if op == "not_in":
        return {membership_key(fact, operand): False}
    if op == "contains":
        return {flatten_key(fact, operand): True}
    if op == "lacks":
        return {flatten_key(fact, operand): False}
    if op == "empty":
        return {flatten_key(fact, "count"): 0}
    if op == "not_empty":
        return {"$gt": {flatten_key(fact, "count"): 0}}
    if op == "known":
        return {"$ex": {fact: 1}}
    if op == "unknown":
        return {"$nex": {fact: 1}}
    raise ValueError(f"unknown operator {op!r}")  # pragma: no cover - the checker refuses it


def membership_key(fact: str, values: list[Any]) -> str:
    """The engine field that says whether ``fact`` is one of ``values``: ``channel__in__3f2a...``."""
    digest = hashlib.sha256(json.dumps(sorted(map(repr, values))).encode()).hexdigest()[:16]
    return f"{fact}__in__{digest}"


def membership_sets(policy: Policy) -> dict[str, frozenset[Any]]:
    """Every ``in`` and ``not_in`` list of the policy's rules as a set, by its engine field."""
    sets: dict[str, frozenset[Any]] = {}
    for placed in policy.rules:
        for cmp, _ in comparisons(placed.rule.when):
            if cmp.op in ("in", "not_in"):
                operand = policy.param(cmp.param) if cmp.param is not None else cmp.value
                assert isinstance(operand, list)  # the checker refuses anything else for in and not_in
                values = [plain_number(v) for v in operand]
                sets[membership_key(cmp.fact, values)] = frozenset(values)
    return sets


def condition_expr(cond: Condition, policy: Policy, negate: bool = False) -> Expr:
    """A condition as a durable_rules expression on the fact ``m``."""
    if isinstance(cond, Comparison):
        operand = policy.param(cond.param) if cond.param is not None else cond.value
        operand = [plain_number(v) for v in operand] if isinstance(operand, list) else plain_number(operand)
        if not negate:
            return _comparison(cond.fact, cond.op, operand)
        negated = _comparison(cond.fact, _NEGATED[cond.op], operand)
        if policy.facts[cond.fact].optional and cond.op not in ("known", "unknown"):
            return {"$or": [_comparison(cond.fact, "unknown", None), negated]}
        return negated
    if isinstance(cond, NotOf):
        return condition_expr(cond.not_, policy, not negate)
    if isinstance(cond, AllOf):
        parts = [condition_expr(c, policy, negate) for c in cond.all]
        return _join("$or" if negate else "$and", parts)
    assert isinstance(cond, AnyOf)
    parts = [condition_expr(c, policy, negate) for c in cond.any]
    return _join("$and" if negate else "$or", parts)


# durable_rules also matches rules against a session's own state document, and
# rewrites that state after every action: a rule that only tests for a missing
# field (``unknown``, or ``not`` over an optional fact) matches the state and
# fires forever. Every rule therefore requires this mark, which only the flow's
# fact carries (fact names start with a letter, so it cannot clash with one).
FLOW_MARK = "_flow"


def fields_of(expr: Expr) -> set[str]:
    """The fact fields a durable_rules expression tests."""
    found: set[str] = set()
    for key, value in expr.items():
        if key in ("$and", "$or"):
            for part in value:
                found |= fields_of(part)
        elif key.startswith("$"):
            found |= set(value)
        else:
            found.add(key)
    return found


def compile_policy(policy: Policy) -> list[tuple[dict[str, Expr], frozenset[str]]]:
    """Per stratum, the durable_rules ruleset definition keyed by rule id (actions not attached)
    and the fields its rules test: only those are sent to the engine."""
    out = []
    for stratum in policy.strata:
        definition: dict[str, Expr] = {}
        fields: set[str] = set()
        for placed in stratum:
            expr = condition_expr(placed.rule.when, policy)
            fields |= fields_of(expr)
            definition[placed.rule.id] = {"all": [{"m": {"$and": [{FLOW_MARK: True}, expr]}}]}
        out.append((definition, frozenset(fields)))
    return out
