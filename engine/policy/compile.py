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

from ..errors import Problem
from ..facts import flatten_key, plain_number
from .loading import PlacedRule, Policy, comparisons
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


# What durable_rules 2.0.28 can register and run, found by registering and running generated
# rulesets; each limit keeps a margin below the engine's. The engine shares one node per distinct
# comparison among the rules of a ruleset (a network of tests), and it fails at:
MAX_RULES = 1_000      # rules in one ruleset (its table holds 4,096)
MAX_BRANCHES = 400     # comparisons below one node (512 never finish registering)
MAX_ABSENT = 100       # 'any' groups and tests of an unknown value below one node (128: error 107)
MAX_SAME = 200         # rules with one same condition (256: error 108)
MAX_GROUPS = 12        # all/any groups in one condition, after 'not' is pushed down (15: error 113)
MAX_PENDING = 48       # tests that can hold at once in one pass (65: error 303 on a flow that meets them)
MAX_FIELDS = 250       # fields a flow's fact carries, besides engine.run's two (255 in all: error 302)


class _Node:
    """One test of the engine's network: the tests below it, and the rules that end at it."""

    def __init__(self, rule_id: str) -> None:
        self.rule_id = rule_id  # the first rule through it, to name
        self.branches: dict[tuple[str, str, str], _Node] = {}
        self.absent: list[_Node] = []  # 'any' joins, and tests of an absent field, shared by key
        self.absent_keys: dict[str, _Node] = {}
        self.rules: list[str] = []


class _Network:
    """The network durable_rules builds for one ruleset, node for node, in the order it creates them."""

    def __init__(self) -> None:
        self.nodes: list[_Node] = []
        self.root = self._new("")

    def _new(self, rule_id: str) -> _Node:
        node = _Node(rule_id)
        self.nodes.append(node)
        return node

    def add(self, parent: _Node, expr: Expr, rule_id: str) -> _Node:
        """The node where ``expr`` ends, below ``parent``, shared with the rules added before."""
        key, value = next(iter(expr.items()))
        if key == "$and":
            for part in value:
                parent = self.add(parent, part, rule_id)
            return parent
        if key == "$or":
            ends = [self.add(parent, part, rule_id) for part in value]
            join = self._new(rule_id)
            for end in ends:
                end.absent.append(join)
            return join
        if key == "$nex":
            field = next(iter(value))
            if field not in parent.absent_keys:
                parent.absent_keys[field] = self._new(rule_id)
                parent.absent.append(parent.absent_keys[field])
            return parent.absent_keys[field]
        op, (field, operand) = (key, next(iter(value.items()))) if key.startswith("$") else ("$eq", (key, value))
        branch = (op, field, repr(operand))
        if branch not in parent.branches:
            parent.branches[branch] = self._new(rule_id)
        return parent.branches[branch]

    def pending(self) -> dict[int, int]:
        """For each node (by ``id``), how many tests can wait at once while a fact goes through what
        is below it, at worst: each node puts every test below it that holds on the engine's stack
        (of one field's values compared for equality, one at most) and goes on with the last."""
        out: dict[int, int] = {}
        for node in reversed(self.nodes):  # every node comes after those above it
            below = [*node.branches.values(), *node.absent]
            if not below:
                out[id(node)] = 1
                continue
            compared = {field for op, field, _ in node.branches if op == "$eq"}
            together = len(node.absent) + len(compared) + sum(op != "$eq" for op, _, _ in node.branches)
            out[id(node)] = together - 1 + max(out[id(child)] for child in below)
        return out


def _groups(expr: Expr) -> int:
    """How many all/any groups an expression holds."""
    key, value = next(iter(expr.items()))
    return 1 + sum(_groups(part) for part in value) if key in ("$and", "$or") else 0


def _names(rule_ids: list[str]) -> str:
    shown = ", ".join(rule_ids[:3])
    return shown if len(rule_ids) <= 3 else f"{shown} and {len(rule_ids) - 3} more"


def _network(conditions: list[tuple[str, Expr]]) -> _Network:
    """The network of a ruleset of these rules (and the catch-all rule of ``engine.run``)."""
    network = _Network()
    network.add(network.root, {FLOW_MARK: True}, "").rules.append("")
    for rule_id, expr in conditions:
        network.add(network.root, expr, rule_id).rules.append(rule_id)
    return network


def _first_too_many(conditions: list[tuple[str, Expr]]) -> tuple[int, int]:
    """The first rule with which more tests than the engine's stack holds can wait at once, and how
    many (there is one): adding a rule never lowers that number, so a bisection over the rules finds it."""
    def pending(count: int) -> int:
        network = _network(conditions[:count])
        return network.pending()[id(network.root)]

    low, high = 0, len(conditions)  # pending(low) fits, pending(high) does not
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if pending(middle) <= MAX_PENDING else (low, middle)
    return high - 1, pending(high)


def limits(policy: Policy) -> list[Problem]:
    """Every way the policy exceeds what the inference engine can register or run, each at the rule
    that goes beyond the limit, naming it."""
    problems: list[Problem] = []

    def report(placed: PlacedRule, message: str) -> None:
        problems.append(Problem(placed.file, placed.line, f"rules[{placed.rule.id}].when", message))

    for index, ((definition, fields), stratum) in enumerate(zip(compile_policy(policy), policy.strata)):
        by_id = {placed.rule.id: placed for placed in stratum}
        conditions = [(rule_id, rule["all"][0]["m"]) for rule_id, rule in definition.items()]
        for rule_id, expr in conditions:
            groups = _groups(expr) - 1  # the mark every rule requires is one group of its own
            if groups > MAX_GROUPS:
                placed = by_id[rule_id]
                report(placed, f"{groups} all/any groups (counting those a 'not' over a fact that may be "
                               f"unknown adds), at most {MAX_GROUPS}: the inference engine cannot register more "
                               "in one rule; write it as several rules")
        if len(stratum) > MAX_RULES:
            report(stratum[MAX_RULES], f"stratum {index} has {len(stratum)} rules, at most {MAX_RULES} in one "
                                       "pass of the inference engine")
        if len(fields) > MAX_FIELDS:
            report(stratum[0], f"stratum {index} tests {len(fields)} fields of a flow, at most {MAX_FIELDS} in "
                               "one pass of the inference engine: test fewer facts, or fewer values of list facts "
                               "('contains')")
        network = _network(conditions)
        for node in network.nodes:
            for ids, limit, what in (
                    ([child.rule_id for child in node.branches.values()], MAX_BRANCHES,
                     "distinct comparisons follow the same tests"),
                    ([child.rule_id for child in node.absent], MAX_ABSENT,
                     "'any' groups or tests of an unknown value follow the same tests"),
                    (node.rules, MAX_SAME, "rules have the same condition")):
                if len(ids) > limit:
                    report(by_id[ids[limit]], f"with this rule, {len(ids)} {what} in stratum {index} "
                                              f"({_names([r for r in dict.fromkeys(ids) if r])}), at most {limit}: the "
                                              "inference engine cannot register more")
        if network.pending()[id(network.root)] > MAX_PENDING:
            at, count = _first_too_many(conditions)
            report(by_id[conditions[at][0]], (
                f"with this rule, up to {count} comparisons of stratum {index} can hold at once for a flow, at "
                f"most {MAX_PENDING}: the inference engine stops on a flow that meets more; compare one fact "
                "with 'in' and a list of values, or with 'eq' (only one value can hold), or write fewer rules"))
    return problems
