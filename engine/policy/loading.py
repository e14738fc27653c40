"""Loading a policy directory and checking it against the vocabulary.

A policy is ``policy.yaml`` (name, version, files), ``parameters.yaml``,
``facts.yaml`` (derived facts) and rule files. Loading reports every problem of
every file at once, each as ``file:line: path: message``: schema errors, unknown
facts or parameters (with the closest known name), operators that do not fit a
fact's type, values outside a fact's allowed set, duplicate rule ids, cycles
among derived facts. A loaded policy is sorted into strata: every derived fact
a rule reads is complete before that rule runs, so negation is sound.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, TypeVar

from pydantic import BaseModel, ValidationError

from ..answers import problems_from_errors
from ..costs import CostAssumptions
from ..errors import PolicyError, Problem, excerpt
from ..facts import ANSWER_FACTS, METRIC_FACTS, RESERVED_NAMES, FactType, fact_types
from ..load import Document, DocumentError, PathKey, dotted, read_document
from ..problems import error, problem
from .levers import Levers, read_levers
from .rules import (MAX_WEIGHT, NO_OPERAND, AllOf, AnyOf, Comparison, Condition, DerivedFact, FactFile, Graded, NotOf,
                    Parameter, ParameterFile, PolicyManifest, Rule, RuleFile)

M = TypeVar("M", bound=BaseModel)
_TAGS = frozenset({"fact", "all", "any", "not"})
_UNION_BRANCHES = frozenset({"float", "list[str]", "str", "int", "bool", "number-value", "list-of-names",
                             "list-of-bands", "table-value", "table-of-lists", "weight-number",
                             "weight-name", "weight-graded"})


@dataclass(frozen=True)
class PlacedRule:
    """A rule with where it was written and the stratum it runs in."""

    rule: Rule
    file: str
    line: int
    stratum: int
    reads: tuple[str, ...]


@dataclass(frozen=True, eq=False)
class Policy:
    """A checked policy, ready to compile."""

    name: str
    version: str
    digest: str
    root: Path
    manifest: PolicyManifest
    parameters: dict[str, Parameter]
    derived: dict[str, DerivedFact]
    rules: tuple[PlacedRule, ...]
    costs: CostAssumptions
    facts: dict[str, FactType] = field(repr=False)
    levers: Levers = field(default_factory=Levers, repr=False)

    @property
    def strata(self) -> tuple[tuple[PlacedRule, ...], ...]:
        """Rules grouped by stratum, in order."""
        depth = max((r.stratum for r in self.rules), default=0)
        return tuple(tuple(r for r in self.rules if r.stratum == s) for s in range(depth + 1))

    def param(self, name: str) -> Any:
        return self.parameters[name].value

    @functools.cached_property
    def languages_by_country(self) -> dict[str, list[str]] | None:
        """The languages each provider country commonly serves (parameter ``languages_by_country``)."""
        found = self.parameters.get("languages_by_country")
        return found.value if found is not None and isinstance(found.value, dict) else None  # type: ignore[return-value]

    @functools.cached_property
    def _by_id(self) -> dict[str, PlacedRule]:
        return {placed.rule.id: placed for placed in self.rules}

    def rule(self, rule_id: str) -> PlacedRule:
        """The rule with this id."""
        return self._by_id[rule_id]

    @functools.cached_property
    def _file_names(self) -> dict[str, str]:
        root = self.root.resolve()
        names: dict[str, str] = {}
        for placed in self.rules:
            if placed.file not in names:
                try:
                    names[placed.file] = str(Path(placed.file).resolve().relative_to(root))
                except ValueError:
                    names[placed.file] = placed.file
        return names

    def file_name(self, file: str) -> str:
        """A rule file's path as the policy names it (``economics.yaml``), not where it lies here."""
        return self._file_names.get(file, file)


def _clean_loc(loc: tuple[Any, ...]) -> PathKey:
    """Drop the union tags pydantic puts in a condition's location."""
    out: list[Any] = []
    skip_next_tag = False
    for part in loc:
        if skip_next_tag and part in _TAGS:
            skip_next_tag = False
            continue
        skip_next_tag = part in ("when", "not") or (isinstance(part, int) and out[-1:] in (["all"], ["any"]))
        out.append(part)
    return tuple(out)


def validate_document(model: type[M], doc: Document, problems: list[Problem]) -> M | None:
    """``doc`` as a ``model``, or None with its problems (union branches and tags left out of paths)."""
    if not isinstance(doc.data, dict):
        problems.append(Problem(doc.source, doc.line_of(()), "", "expected a mapping"))
        return None
    try:
        return model.model_validate(doc.data)
    except ValidationError as exc:
        errors, seen = [], set()
        for error in exc.errors():
            loc = tuple(part for part in _clean_loc(error["loc"]) if part not in _UNION_BRANCHES)
            if loc not in seen:  # a union reports once per branch: the first says enough
                seen.add(loc)
                errors.append(dict(error, loc=loc))
        problems.extend(problems_from_errors(errors, doc, model))
        return None


def _parameters(doc: Document, problems: list[Problem]) -> dict[str, Parameter] | None:
    """The parameters file, each parameter checked on its own: one bad entry is reported without
    hiding the others from the rules that use them."""
    data = doc.data
    if not (isinstance(data, dict) and isinstance(data.get("parameters"), dict)):
        return None if validate_document(ParameterFile, doc, problems) is None else {}
    good: dict[str, Parameter] = {}
    for name, raw in data["parameters"].items():
        entry = Document(doc.source, {"parameters": {name: raw}}, doc.lines)
        checked = validate_document(ParameterFile, entry, problems)
        if checked is not None:
            good.update(checked.parameters)
    extra = {key: value for key, value in data.items() if key != "parameters"}
    if extra:
        validate_document(ParameterFile, Document(doc.source, {**extra, "parameters": {}}, doc.lines), problems)
    return good


def _read(path: Path, problems: list[Problem]) -> Document | None:
    try:
        return read_document(path, what="what.policy_file")
    except DocumentError as exc:
        problems.append(exc.problem)
        return None


def _suggest(name: str, known: Any) -> str:
    import difflib  # only a misspelt name needs it

    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return f"; did you mean {excerpt(close[0])}?" if close else ""


# durable_rules takes minutes over a condition of 500 comparisons and is quick at 300: a rule
# stays well below, and a long list of values is one 'in' comparison (compiled to one lookup).
MAX_COMPARISONS = 200


def comparisons(cond: Condition, path: PathKey = ()) -> Iterator[tuple[Comparison, PathKey]]:
    """Every comparison in a condition, with its path."""
    if isinstance(cond, Comparison):
        yield cond, path
    elif isinstance(cond, AllOf):
        for i, sub in enumerate(cond.all):
            yield from comparisons(sub, (*path, "all", i))
    elif isinstance(cond, AnyOf):
        for i, sub in enumerate(cond.any):
            yield from comparisons(sub, (*path, "any", i))
    elif isinstance(cond, NotOf):
        yield from comparisons(cond.not_, (*path, "not"))


_NUMERIC = {"lt", "le", "gt", "ge"}
_ALLOWED_OPS: dict[str, set[str]] = {
    "number": {"eq", "ne", "lt", "le", "gt", "ge"},
    "bool": {"eq", "ne"},
    "enum": {"eq", "ne", "in", "not_in"},
    "text": {"eq", "ne", "in", "not_in"},
    "list": {"contains", "lacks", "empty", "not_empty"},
}


def _check_comparison(cmp: Comparison, ftype: FactType, params: dict[str, Parameter] | None) -> str | None:
    """Why a comparison does not fit its fact's type, or None."""
    allowed = set(_ALLOWED_OPS[ftype.kind])
    if ftype.optional:
        allowed |= {"known", "unknown"}
    if cmp.op not in allowed:
        return (f"the operator {excerpt(cmp.op)} does not apply to {excerpt(cmp.fact)} ({ftype.kind}); "
                f"use one of {', '.join(sorted(allowed))}")
    if cmp.op in NO_OPERAND:
        return None
    operand: Any
    if cmp.param is not None:
        if params is None:  # the parameters file could not be read: reported there, not at every use
            return None
        if cmp.param not in params:
            return f"unknown parameter {excerpt(cmp.param)}{_suggest(cmp.param, params)}"
        operand = params[cmp.param].value
        if isinstance(operand, dict):
            return (f"the parameter {excerpt(cmp.param)} is a table (by country or activity), "
                    "not a value to compare with")
    else:
        operand = cmp.value
    many = cmp.op in ("in", "not_in")
    if many != isinstance(operand, list):
        return (f"the operator {excerpt(cmp.op)} needs {'a list' if many else 'a single value'}, "
                f"found {excerpt(operand)}")
    for item in operand if isinstance(operand, list) else [operand]:
        if ftype.kind == "number" and (isinstance(item, bool) or not isinstance(item, (int, float))):
            return f"{excerpt(item)} is not a number, and {excerpt(cmp.fact)} is a number"
        if ftype.kind == "bool" and not isinstance(item, bool):
            return f"{excerpt(item)} is not true or false, and {excerpt(cmp.fact)} is true or false"
        if ftype.kind in ("enum", "list") and item not in ftype.values:
            return f"{excerpt(item)} is not one of {', '.join(ftype.values)} (the values of {excerpt(cmp.fact)})"
        if ftype.kind == "text" and not isinstance(item, str):
            return f"{excerpt(item)} is not text, and {excerpt(cmp.fact)} is text"
    return None


# Parameters the engine reads itself, beside the cost model's and those rules name (the plausible band
# of a provider's hour checks the prices of bids).
ENGINE_PARAMETERS = frozenset({"languages_by_country", "provider_hourly_min", "provider_hourly_max"})

# The facts a vote by saving reads: the saving of outsourcing and the share of contacts each split hands over.
SAVING_FACTS = ("savings_pct", "overflow_share_pct", "after_hours_share_pct", "tier1_share_pct")


def _check_weight(name: str, params: dict[str, Parameter], written: frozenset[str] | None) -> str | None:
    """Why the parameter ``name`` cannot be a vote's weight, or None (also when the parameters file,
    or this parameter in it, could not be read: reported there)."""
    value = params.get(name)
    if written is None or (value is None and name in written):
        return None
    if value is None:
        return f"unknown parameter {excerpt(name)}{_suggest(name, params)}"
    if isinstance(value.value, (list, dict)):
        kind = "a list of bands" if value.is_bands else "a list" if isinstance(value.value, list) else "a table"
        return f"the parameter {excerpt(name)} is {kind}, a weight must be a number"
    if value.value <= 0:
        return (f"the weight {excerpt(name)} is {value.value:g}; a weight must be above 0 "
                "(vote for the other option instead)")
    if value.value > MAX_WEIGHT:
        return f"the weight {name!r} is {value.value:g}; a weight is at most {MAX_WEIGHT:g}"
    return None


def _check_bands(name: str, params: dict[str, Parameter], written: frozenset[str] | None) -> str | None:
    """Why the parameter ``name`` cannot grade a vote, or None (as ``_check_weight``)."""
    value = params.get(name)
    if written is None or (value is None and name in written):
        return None
    if value is None:
        return f"unknown parameter {excerpt(name)}{_suggest(name, params)}"
    if not value.is_bands:
        return (f"the parameter {excerpt(name)} is not a list of bands; a graded vote needs bands like "
                "[{max: 0, weight: -3}, {min: 15, max: 25, weight: 2}, {min: 25, weight: 3}]")
    return None


# Each stratum is one more pass of the inference engine every time a flow is evaluated (and tipping
# points evaluate each flow a hundred times): the bundled policy needs 3, and 20 keeps a recommendation
# within a few times today's time while leaving room for chains of findings.
MAX_STRATA = 20


def _strata(placed: list[tuple[Rule, str, int, tuple[str, ...]]], derived: set[str],
            problems: list[Problem]) -> list[int]:
    """The stratum of each rule: one more than the highest stratum of the rules deriving the facts
    it reads. A depth-first walk with a stack of its own: a chain of derived facts as long as the
    policy is never deep in Python's own stack."""
    producers: dict[str, list[int]] = {}
    for index, (rule, *_rest) in enumerate(placed):
        for name in rule.then.derive:
            producers.setdefault(name, []).append(index)
    inputs = [[p for name in reads if name in derived for p in producers.get(name, [])]
              for *_rest, reads in placed]
    level: dict[int, int] = {}
    reported: set[frozenset[int]] = set()
    for start in range(len(placed)):
        cycle = _walk(start, inputs, level)
        if cycle is not None:
            if frozenset(cycle) not in reported:  # once per cycle, at a rule that is in it
                reported.add(frozenset(cycle))
                rule, source, line, _ = placed[cycle[0]]
                problems.append(Problem(source, line, f"rules[{rule.id}]", "derived facts form a cycle: "
                                        + " -> ".join(placed[i][0].id for i in cycle)))
            level[start] = 0
    out = [level[index] for index in range(len(placed))]
    deepest = max(range(len(placed)), key=out.__getitem__, default=None)
    if deepest is not None and out[deepest] >= MAX_STRATA:
        rule, source, line, _ = placed[deepest]
        problems.append(Problem(source, line, f"rules[{rule.id}]", (
            f"this rule reads a chain of {out[deepest]} rules deriving facts one from another, so the policy "
            f"would run in {out[deepest] + 1} strata; it runs in at most {MAX_STRATA} (each one a pass of the "
            "inference engine over every flow): derive the facts from answers and metrics, not each from "
            "the one before")))
    return out


def _walk(start: int, inputs: list[list[int]], level: dict[int, int]) -> tuple[int, ...] | None:
    """Set the level of ``start`` and of every rule it depends on (in ``level``); the first cycle met
    instead, as the rules around it (the first repeated at the end)."""
    if start in level:
        return None
    path, below = [start], [0]  # the rules being walked, and the highest level under each so far
    walking = {start}
    pending = [iter(inputs[start])]
    while pending:
        producer = next(pending[-1], None)
        if producer is None:
            pending.pop()
            done, depth = path.pop(), below.pop()
            walking.discard(done)
            level[done] = depth
            if below:
                below[-1] = max(below[-1], depth + 1)
        elif producer in level:
            below[-1] = max(below[-1], level[producer] + 1)
        elif producer in walking:
            return (*path[path.index(producer):], producer)
        else:
            path.append(producer)
            walking.add(producer)
            below.append(0)
            pending.append(iter(inputs[producer]))
    return None


def load_policy(root: Path) -> Policy:
    """Read, validate and check a policy directory; raise ``PolicyError`` with every problem."""
    problems: list[Problem] = []
    if not root.is_dir():
        raise error(PolicyError, "policy.cannot_load", problem(str(root), None, "", "policy.not_directory"),
                    root=str(root))
    manifest_doc = _read(root / "policy.yaml", problems)
    manifest = validate_document(PolicyManifest, manifest_doc, problems) if manifest_doc else None
    if manifest is None:
        raise error(PolicyError, "policy.cannot_load", *problems, root=str(root))

    digest = hashlib.sha256()
    files = ["policy.yaml", manifest.parameters, manifest.derived_facts, *manifest.rule_files,
             manifest.questions, manifest.levers]
    for name in files:
        digest.update(name.encode() + b"\0")
        try:
            digest.update((root / name).read_bytes() + b"\0")
        except OSError:
            pass  # reported below when the file is read

    param_doc = _read(root / manifest.parameters, problems)
    checked_params = _parameters(param_doc, problems) if param_doc else None
    params = checked_params if checked_params is not None else {}
    fact_doc = _read(root / manifest.derived_facts, problems)
    fact_file = validate_document(FactFile, fact_doc, problems) if fact_doc else None
    derived = dict(fact_file.derived_facts) if fact_file else {}
    for name in list(derived):
        clash = ("the name of an answer" if name in ANSWER_FACTS else
                 "the name of a cost metric" if name in METRIC_FACTS else
                 "reserved by the engine" if name in RESERVED_NAMES or "__" in name else None)
        if clash and fact_doc is not None:
            fact_path: PathKey = ("derived_facts", name)
            problems.append(Problem(fact_doc.source, fact_doc.line_of(fact_path), dotted(fact_path),
                                    f"{excerpt(name)} is {clash}; a derived fact needs a name of its own"))
            del derived[name]
    types = fact_types(derived)

    costs: CostAssumptions | None = None
    if checked_params is not None and param_doc is not None:
        numeric = {k: p.value for k, p in params.items()  # numbers and tables of numbers
                   if not isinstance(p.value, list) and not (isinstance(p.value, dict) and any(
                       isinstance(v, list) for v in p.value.values()))}
        try:
            costs = CostAssumptions.model_validate(numeric)
        except ValidationError as exc:
            written = param_doc.data.get("parameters", {}) if isinstance(param_doc.data, dict) else {}
            for fault in exc.errors():
                name = str(fault["loc"][0])
                if fault["type"] == "missing" and isinstance(written, dict) and name in written:
                    continue  # written but invalid: already reported at its value
                if fault["type"] == "missing":
                    detail = "is missing"
                elif fault["type"] == "value_error":
                    detail = "is wrong: " + (str(fault["ctx"]["error"]) if "ctx" in fault else fault["msg"])
                else:
                    detail = f"{fault['msg'].lower()} (found {excerpt(fault.get('input'))})"
                # A table's entry (weekly_hours_by_country.FR) is named with its key, at its own line.
                keys = tuple(str(k) for k in fault["loc"][1:])
                path: PathKey = ("parameters", name, "value", *keys)
                where = ".".join(["parameters", name, *keys])
                problems.append(Problem(param_doc.source, param_doc.line_of(path), where,
                                        f"the cost model's parameter {detail}"))

    raw = param_doc.data.get("parameters") if param_doc is not None and isinstance(param_doc.data, dict) else None
    written = frozenset(raw) if checked_params is not None and isinstance(raw, dict) else None
    placed: list[tuple[Rule, str, int, tuple[str, ...]]] = []
    seen_ids: dict[str, str] = {}
    for name in manifest.rule_files:
        doc = _read(root / name, problems)
        if doc is None:
            continue
        rule_file = validate_document(RuleFile, doc, problems)
        if rule_file is None:
            continue
        for index, rule in enumerate(rule_file.rules):
            base: PathKey = ("rules", index)
            line = doc.line_of(base) or 1
            where = f"{doc.source}:{line}"
            if rule.id in seen_ids:
                problems.append(Problem(doc.source, line, f"rules[{index}].id",
                                        f"duplicate rule id {excerpt(rule.id)} (first defined at {seen_ids[rule.id]})"))
            seen_ids.setdefault(rule.id, where)
            reads: list[str] = []
            count = sum(1 for _ in comparisons(rule.when))
            if count > MAX_COMPARISONS:
                path = (*base, "when")
                problems.append(Problem(doc.source, doc.line_of(path), dotted(path), (
                    f"{count} comparisons in one condition, at most {MAX_COMPARISONS}: the inference engine "
                    "cannot evaluate more in reasonable time; to test a fact against many values, write one "
                    "comparison with 'in' and the list of values (a list of any length is one lookup)")))
            for cmp, path in comparisons(rule.when, (*base, "when")):
                ftype = types.get(cmp.fact)
                if ftype is None:
                    problems.append(Problem(doc.source, doc.line_of((*path, "fact")), dotted((*path, "fact")),
                                            f"unknown fact {excerpt(cmp.fact)}{_suggest(cmp.fact, types)}"))
                    continue
                reads.append(cmp.fact)
                why = _check_comparison(cmp, ftype, params if checked_params is not None else None)
                if why:
                    problems.append(Problem(doc.source, doc.line_of(path), dotted(path), why))
            for i, fact in enumerate(rule.then.derive):
                if fact not in derived:
                    path = (*base, "then", "derive", i)
                    problems.append(Problem(doc.source, doc.line_of(path), dotted(path),
                                            f"{excerpt(fact)} is not a declared derived fact{_suggest(fact, derived)}"
                                            f" (declare it in {manifest.derived_facts})"))
            then_path: PathKey = (*base, "then")
            for option, weight in rule.then.vote.items():
                path = (*then_path, "vote", option.value)
                if isinstance(weight, Graded):
                    ftype = types.get(weight.by)
                    if ftype is None or ftype.kind != "number":
                        what = "unknown fact" if ftype is None else f"{excerpt(weight.by)} is not a number; the fact"
                        problems.append(Problem(doc.source, doc.line_of((*path, "by")), dotted((*path, "by")),
                                                f"{what} {excerpt(weight.by)}: a graded vote needs a numeric fact"
                                                f"{_suggest(weight.by, types) if ftype is None else ''}"))
                    else:
                        reads.append(weight.by)
                    why = _check_bands(weight.bands, params, written)
                    if why:
                        problems.append(Problem(doc.source, doc.line_of((*path, "bands")), dotted((*path, "bands")),
                                                why))
                elif isinstance(weight, str):
                    why = _check_weight(weight, params, written)
                    if why:
                        problems.append(Problem(doc.source, doc.line_of(path), dotted(path), why))
            if rule.then.vote_by_saving is not None:
                path = (*then_path, "vote_by_saving")
                why = _check_bands(rule.then.vote_by_saving, params, written)
                if why:
                    problems.append(Problem(doc.source, doc.line_of(path), dotted(path), why))
                reads.extend(SAVING_FACTS)
            against = rule.then.against
            if against is not None and isinstance(against.weight, str):
                path = (*then_path, "against", "weight")
                why = _check_weight(against.weight, params, written)
                if why:
                    problems.append(Problem(doc.source, doc.line_of(path), dotted(path), why))
            placed.append((rule, doc.source, line, tuple(dict.fromkeys(reads))))

    levers = read_levers(root, manifest.levers, "levers" in manifest.model_fields_set, problems)
    levels = _strata(placed, set(derived), problems)
    if problems or costs is None:
        count = len(problems)
        raise error(PolicyError, "policy.problem" if count == 1 else "policy.problems", *problems, root=str(root),
                    count=count)
    rules = tuple(PlacedRule(rule, source, line, level, reads)
                  for (rule, source, line, reads), level in zip(placed, levels))
    return Policy(
        name=manifest.name, version=manifest.version, digest="sha256:" + digest.hexdigest(),
        root=root, manifest=manifest, parameters=params, derived=derived, rules=rules,
        costs=costs, facts=types, levers=levers,
    )
