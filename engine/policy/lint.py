"""Checks of a loaded policy beyond what loading refuses: what the inference engine cannot run, and
what is legal but surely a mistake.

Loading (``engine.policy.loading.load_policy``) already refuses schema errors, unknown
facts and parameters, operators that do not fit, values outside a field's
allowed set, duplicate ids and cycles. Here: the engine's limits (``compile.limits``, which
running the policy refuses too), derived facts that nothing
produces or nothing reads, parameters nothing uses, conditions that can never be
true (contradictory ranges or values within one ``all``), and rules subsumed by
another rule with the same conclusion. Each problem has its file and line.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

from ..costs import CostAssumptions
from ..errors import Problem
from ..facts import KNOWN_WITH
from ..load import Document, DocumentError, PathKey, dotted, read_document
from .compile import limits
from .loading import ENGINE_PARAMETERS, PlacedRule, Policy, comparisons
from .rules import AllOf, Comparison, Condition, NotOf

_NEGATED = {"eq": "ne", "ne": "eq", "lt": "ge", "le": "gt", "gt": "le", "ge": "lt", "in": "not_in",
            "not_in": "in", "contains": "lacks", "lacks": "contains", "empty": "not_empty",
            "not_empty": "empty", "known": "unknown", "unknown": "known"}


def _doc(path: Path, cache: dict[str, Document | None]) -> Document | None:
    key = str(path)
    if key not in cache:
        try:
            cache[key] = read_document(path, what="what.policy_file")
        except DocumentError:
            cache[key] = None
    return cache[key]


def _line(doc: Document | None, path: PathKey, fallback: int | None) -> int | None:
    found = doc.line_of(path) if doc is not None else None
    return found if found is not None else fallback


def _rule_path(placed: PlacedRule, doc: Document | None) -> PathKey:
    """The rule's path in its file: ``rules[i]``."""
    if doc is not None and isinstance(doc.data, dict) and isinstance(doc.data.get("rules"), list):
        for index, raw in enumerate(doc.data["rules"]):
            if isinstance(raw, dict) and raw.get("id") == placed.rule.id:
                return ("rules", index)
    return ("rules",)


def _literals(cond: Condition, optional: frozenset[str] = frozenset(),
              negate: bool = False) -> list[tuple[str, str, Any, Any]]:
    """The comparisons a condition requires all at once: (fact, op, value, param), through nested
    ``all`` and ``not`` of a single comparison. ``any`` and ``not`` of more are left out (they
    require no single comparison), and so is a negated comparison on a fact that may be unknown:
    ``not (provider_country eq FR)`` holds when the country is unknown, ``provider_country ne FR``
    does not."""
    if isinstance(cond, Comparison):
        if negate and cond.fact in optional and cond.op not in ("known", "unknown"):
            return []
        op = _NEGATED[cond.op] if negate else cond.op
        return [(cond.fact, op, cond.value, cond.param)]
    if isinstance(cond, AllOf) and not negate:
        return [lit for sub in cond.all for lit in _literals(sub, optional)]
    if isinstance(cond, NotOf) and isinstance(cond.not_, Comparison):
        return _literals(cond.not_, optional, not negate)
    if isinstance(cond, NotOf) and isinstance(cond.not_, NotOf):
        return _literals(cond.not_.not_, optional, negate)
    return []


def known_when_fired(policy: Policy, rule_id: str, optional: frozenset[str],
                     _seen: frozenset[str] = frozenset()) -> set[str]:
    """The facts that may be unknown but are surely known whenever the rule fires: those its
    condition compares, not negated, in its top-level conjunction (a comparison on an unknown value
    is false), and, for a derived fact it requires true, those known whenever any rule deriving it
    fires."""
    literals = _literals(policy.rule(rule_id).rule.when, optional)
    sure = {fact for fact, op, _, _ in literals if op != "unknown" and fact in optional}
    for fact, op, value, _ in literals:
        if fact in policy.derived and op == "eq" and value is True:
            producers = [p.rule.id for p in policy.rules if fact in p.rule.then.derive and p.rule.id not in _seen]
            if producers:
                sure |= set.intersection(*(known_when_fired(policy, rid, optional, _seen | {rule_id})
                                           for rid in producers))
    for fact in list(sure):
        sure |= KNOWN_WITH.get(fact, frozenset())
    return sure


def _contradiction(literals: list[tuple[str, str, Any, Any]], params: dict[str, Any]) -> str | None:
    """Why these comparisons cannot all hold, or None."""
    by_fact: dict[str, list[tuple[str, Any, str]]] = {}
    for fact, op, value, param in literals:
        operand = params.get(param) if param is not None else value
        if op in ("known", "unknown", "empty", "not_empty"):
            shown = op
        else:
            shown = f"{op} {param} ({operand})" if param is not None else f"{op} {json.dumps(operand)}"
        by_fact.setdefault(fact, []).append((op, operand, shown))
    for fact, items in by_fact.items():
        low, low_strict, high, high_strict = -math.inf, False, math.inf, False
        equal: list[tuple[Any, str]] = []
        allowed: set[Any] | None = None
        excluded: set[Any] = set()
        known = unknown = False
        for op, operand, shown in items:
            if op in ("ge", "gt") and isinstance(operand, (int, float)) and not isinstance(operand, bool):
                if operand > low or (operand == low and op == "gt"):
                    low, low_strict = operand, op == "gt"
            elif op in ("le", "lt") and isinstance(operand, (int, float)) and not isinstance(operand, bool):
                if operand < high or (operand == high and op == "lt"):
                    high, high_strict = operand, op == "lt"
            elif op == "eq":
                equal.append((operand, shown))
            elif op == "ne":
                excluded.add(json.dumps(operand))
            elif op == "in" and isinstance(operand, list):
                values = {json.dumps(v) for v in operand}
                allowed = values if allowed is None else allowed & values
            elif op == "not_in" and isinstance(operand, list):
                excluded |= {json.dumps(v) for v in operand}
            elif op == "known":
                known = True
            elif op == "unknown":
                unknown = True
        described = " and ".join(f"{fact} {shown}" for _, _, shown in items)
        if low > high or (low == high and (low_strict or high_strict)):
            return f"{described}: no value is in that range"
        if known and unknown:
            return f"{described}: a value cannot be both known and unknown"
        if unknown and len(items) > 1:
            return f"{described}: a comparison on an unknown value is false"
        values = {json.dumps(v) for v, _ in equal}
        if len(values) > 1:
            return f"{described}: one value cannot equal two"
        for value in values:
            number = json.loads(value)
            if value in excluded or (allowed is not None and value not in allowed):
                return f"{described}: the value is excluded by another comparison"
            if isinstance(number, (int, float)) and not isinstance(number, bool) and not (
                    (low < number or (low == number and not low_strict))
                    and (number < high or (number == high and not high_strict))):
                return f"{described}: the value is outside the range"
        if allowed is not None and not (allowed - excluded):
            return f"{described}: no value is left in the allowed set"
    return None


def lint(policy: Policy) -> list[Problem]:
    """Every problem this module finds in ``policy``, in file order."""
    problems: list[Problem] = []
    cache: dict[str, Document | None] = {}
    root = policy.root
    params = {name: p.value for name, p in policy.parameters.items()}
    optional = frozenset(name for name, t in policy.facts.items() if t.optional)

    produced: dict[str, list[str]] = {}
    read: set[str] = set()
    used_params: set[str] = set(CostAssumptions.model_fields) | ENGINE_PARAMETERS
    for placed in policy.rules:
        for name in placed.rule.then.derive:
            produced.setdefault(name, []).append(placed.rule.id)
        read.update(placed.reads)
        for cmp, _ in comparisons(placed.rule.when):
            if cmp.param is not None:
                used_params.add(cmp.param)
        then = placed.rule.then
        used_params.update(w if isinstance(w, str) else w.bands for w in then.vote.values() if not isinstance(w, float))
        if then.vote_by_saving is not None:
            used_params.add(then.vote_by_saving)
        if then.against is not None and isinstance(then.against.weight, str):
            used_params.add(then.against.weight)
        texts = [placed.rule.explain.en, placed.rule.explain.fr]
        if placed.rule.then.condition is not None:
            texts += [placed.rule.then.condition.en, placed.rule.then.condition.fr]
        for text in texts:  # a parameter shown in a text: {{ param.name }} or {{ param['name'] }}
            used_params.update(re.findall(r"param\s*(?:\.\s*|\[\s*['\"])([a-z][a-z0-9_]*)", text))

    facts_doc = _doc(root / policy.manifest.derived_facts, cache)
    facts_file = str(root / policy.manifest.derived_facts)
    for name in policy.derived:
        path: PathKey = ("derived_facts", name)
        if name not in produced:
            problems.append(Problem(facts_file, _line(facts_doc, path, None), dotted(path),
                                    f"no rule derives {name!r}: it is always false"))
        elif name not in read:
            problems.append(Problem(facts_file, _line(facts_doc, path, None), dotted(path),
                                    f"no rule reads {name!r} (derived by {', '.join(produced[name])})"))

    param_doc = _doc(root / policy.manifest.parameters, cache)
    param_file = str(root / policy.manifest.parameters)
    for name in policy.parameters:
        if name not in used_params:
            path = ("parameters", name)
            problems.append(Problem(param_file, _line(param_doc, path, None), dotted(path),
                                    f"no rule uses the parameter {name!r}, and the cost model does not either"))

    for placed in policy.rules:
        doc = _doc(Path(placed.file), cache)
        base = _rule_path(placed, doc)
        problems += _untranslated(placed, doc, base)
        why = _contradiction(_literals(placed.rule.when, optional), params)
        if why:
            path = (*base, "when")
            problems.append(Problem(placed.file, _line(doc, path, placed.line), f"rules[{placed.rule.id}].when",
                                    f"this condition can never be true: {why}"))

    # Rules with the same conclusion, and the top-level comparisons each requires, computed once.
    shapes = []
    for placed in policy.rules:
        cond = placed.rule.when
        parts = cond.all if isinstance(cond, AllOf) else [cond]
        shapes.append((json.dumps(placed.rule.then.model_dump(mode="json"), sort_keys=True),
                       frozenset(json.dumps(p.model_dump(mode="json", by_alias=True), sort_keys=True) for p in parts)))
    for index, placed in enumerate(policy.rules):
        conclusion, mine = shapes[index]
        for other_index, other in enumerate(policy.rules):
            other_conclusion, theirs = shapes[other_index]
            if other_index == index or other_conclusion != conclusion or not theirs <= mine:
                continue
            if theirs == mine and other_index > index:
                continue  # the same condition twice: reported once, on the later rule
            problems.append(Problem(
                placed.file, placed.line, f"rules[{placed.rule.id}]",
                f"subsumed by {other.rule.id} ({Path(other.file).name}:{other.line}): whenever it fires, "
                f"{other.rule.id} fires too with the same conclusion, so it only counts the same votes twice"))
            break
    return limits(policy) + problems + _unlisted(policy)


_LANGUAGE_NAMES = {"en": "English", "fr": "French"}


def _untranslated(placed: PlacedRule, doc: Document | None, base: PathKey) -> list[Problem]:
    """A rule's title or rationale missing a language (a plain string is the English alone): the
    explanations in that language would show the other one's."""
    problems = []
    for key in ("title", "rationale"):
        wording = getattr(placed.rule, key)
        for lang in wording.missing():
            problems.append(Problem(
                placed.file, _line(doc, (*base, key), placed.line), f"rules[{placed.rule.id}].{key}.{lang}",
                f"the {key} has no {_LANGUAGE_NAMES[lang]} text, so the {_LANGUAGE_NAMES[lang]} explanations show "
                f"it in the other language: write {key}: {{en: ..., fr: ...}}"))
    return problems


def _unlisted(policy: Policy) -> list[Problem]:
    """YAML files in the policy folder that policy.yaml does not list: an author who adds a rule file
    and forgets the manifest would otherwise see no effect and no warning."""
    manifest = policy.manifest
    listed = {(policy.root / name).resolve() for name in ("policy.yaml", manifest.parameters, manifest.derived_facts,
                                                           *manifest.rule_files, manifest.questions,
                                                           manifest.levers)}
    try:
        found = sorted(p for p in policy.root.iterdir() if p.is_file() and p.suffix.lower() in (".yaml", ".yml"))
    except OSError:
        return []
    return [Problem(str(path), None, "", "this file is not listed in policy.yaml (rule_files, parameters, "
                    "derived_facts, questions or levers), so nothing in it is read: add it to rule_files, or move "
                    "it out of the policy folder") for path in found if path.resolve() not in listed]
