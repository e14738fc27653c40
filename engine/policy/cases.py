"""Policy cases: what the business expects the policy to conclude, written as YAML.

A case file is a YAML list of cases. A case quotes what it checks in ``note``,
gives answers (inline ``answers:``, or ``file:`` naming an answers file relative
to the case file's folder or to the policy's parent folder) and, per flow id,
what the policy must conclude: ``decision``, optionally ``split``, ``fired`` and
``not_fired``. ``arbitre rules test`` and the test suite run them the same way:
through ``engine.answers.validate_answers`` and ``engine.recommend.recommend``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..answers import load_answers, validate_answers
from ..errors import AnswersError, excerpt
from ..load import Document, DocumentError, PathKey, read_document
from ..models import Answers, Decision, Split
from .loading import Policy
from ..recommend import FlowResult, Recommendation, recommend

CASE_KEYS = {"note", "answers", "file", "want"}
WANT_KEYS = {"decision", "split", "fired", "not_fired"}
DECISIONS = {d.value for d in Decision}
SPLITS = {s.value for s in Split}


@dataclass(frozen=True)
class Case:
    """One policy case, or the reason its file could not be read as cases."""

    source: str
    line: int | None
    note: str
    path: Path
    raw: Any = None
    lines: dict[PathKey, int] = field(default_factory=dict, repr=False)
    broken: str | None = None

    @property
    def where(self) -> str:
        return f"{self.source}:{self.line}" if self.line else self.source


@dataclass(frozen=True)
class FlowFailure:
    """A flow whose conclusion is not what the case wants."""

    flow_id: str
    wrong: list[str]
    flow: FlowResult | None


@dataclass(frozen=True)
class CaseResult:
    case: Case
    problems: list[str]  # the case itself is malformed
    invalid: str | None  # its answers are invalid
    failures: list[FlowFailure]
    result: Recommendation | None

    @property
    def passed(self) -> bool:
        return not (self.problems or self.invalid or self.failures)


def case_files(paths: list[Path]) -> list[Path]:
    """The YAML files named, or found in the folders named, in order."""
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            out += sorted([*path.glob("*.yaml"), *path.glob("*.yml")])
        else:
            out.append(path)
    return out


def read_cases(paths: list[Path], shown_from: Path | None = None) -> list[Case]:
    """Every case of every file, in file order; a file that is not a list of cases gives one broken case."""
    cases: list[Case] = []
    for path in case_files(paths):
        try:
            source = str(path.resolve().relative_to(shown_from.resolve())) if shown_from else str(path)
        except ValueError:
            source = str(path)
        try:
            doc = read_document(path, what="what.cases_file")
        except DocumentError as exc:
            cases.append(Case(source, exc.problem.line, path.stem, path, broken=exc.problem.message))
            continue
        if not isinstance(doc.data, list) or not doc.data:
            cases.append(Case(source, 1, path.stem, path, broken="expected a non-empty list of cases"))
            continue
        for index, raw in enumerate(doc.data):
            line = doc.line_of((index,))
            note = raw.get("note") if isinstance(raw, dict) else None
            lines = {key[1:]: value for key, value in doc.lines.items() if key[:1] == (index,)}
            cases.append(Case(source, line, note if isinstance(note, str) else f"{path.stem} case {index + 1}",
                              path, raw=raw, lines=lines))
    return cases


def answers_shape(case: Case) -> list[str]:
    """What is wrong with the case as a holder of answers (all ``rules diff`` needs of it)."""
    raw = case.raw
    if case.broken:
        return [case.broken]
    if not isinstance(raw, dict):
        return ["a case must be a mapping with note, answers (or file) and want"]
    problems = [f"unknown key {excerpt(key)} (expected {', '.join(sorted(CASE_KEYS))})"
                for key in raw if key not in CASE_KEYS]
    if not isinstance(raw.get("note"), str) or not raw["note"].strip():
        problems.append("note: say what the case checks (quote the sentence or figure of the source)")
    if ("answers" in raw) == ("file" in raw):
        problems.append("give exactly one of answers: (inline) or file: (an answers file)")
    return problems


def check_shape(case: Case, policy: Policy) -> list[str]:
    """What is wrong with the case itself (not with the policy), so that a typo cannot pass silently."""
    problems = answers_shape(case)
    if case.broken or not isinstance(case.raw, dict):
        return problems
    want = case.raw.get("want")
    if not isinstance(want, dict) or not want:
        return problems + ["want: a mapping of flow id to what the policy must conclude"]
    rule_ids = {placed.rule.id for placed in policy.rules}
    for flow_id, expected in want.items():
        if not isinstance(expected, dict):
            problems.append(f"want.{flow_id}: expected a mapping with decision (and split, fired, not_fired)")
            continue
        problems += [f"want.{flow_id}: unknown key {excerpt(key)}" for key in expected if key not in WANT_KEYS]
        if not isinstance(expected.get("decision"), str) or expected["decision"] not in DECISIONS:
            problems.append(f"want.{flow_id}.decision: {excerpt(expected.get('decision'))} "
                            f"is not one of {sorted(DECISIONS)}")
        split = expected.get("split", [])
        if not isinstance(split, list) or not all(isinstance(s, str) and s in SPLITS for s in split):
            problems.append(f"want.{flow_id}.split: {excerpt(split)} is not a list of {sorted(SPLITS)}")
        for key in ("fired", "not_fired"):
            ids = expected.get(key, [])
            if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
                problems.append(f"want.{flow_id}.{key}: expected a list of rule ids")
                continue
            problems += [f"want.{flow_id}.{key}: {excerpt(rule)} is not a rule of the policy" for rule in ids
                         if rule not in rule_ids]
    return problems


def case_answers(case: Case, policy: Policy) -> Answers:
    """The case's answers, validated like an answers file (inline answers keep their lines for errors)."""
    raw = case.raw
    if "file" in raw:
        name = Path(str(raw["file"]))
        candidates = [case.path.parent / name, policy.root.resolve().parent / name, name]
        found = next((c for c in candidates if c.is_file()), candidates[0])
        return load_answers(found)
    lines = {key[1:]: value for key, value in case.lines.items() if key[:1] == ("answers",)}
    return validate_answers(Document(source=case.source, data=raw["answers"], lines=lines))


def run_case(case: Case, policy: Policy) -> CaseResult:
    """The policy on one case, and how far it concludes what the case wants."""
    problems = check_shape(case, policy)
    if problems:
        return CaseResult(case, problems, None, [], None)
    try:
        result = recommend(case_answers(case, policy), policy)
    except AnswersError as exc:
        return CaseResult(case, [], exc.report(), [], None)
    flows = {flow.id: flow for flow in result.flows}
    failures = []
    for flow_id, expected in case.raw["want"].items():
        flow = flows.get(flow_id)
        if flow is None:
            failures.append(FlowFailure(str(flow_id), [f"no such flow in the answers (flows: {', '.join(flows)})"],
                                        None))
            continue
        fired = {f.rule_id for f in flow.firings}
        wrong = []
        if flow.verdict.decision.value != expected["decision"]:
            wrong.append(f"decision {flow.verdict.decision.value}, wanted {expected['decision']}")
        if "split" in expected and sorted(s.value for s in flow.verdict.split) != sorted(expected["split"]):
            wrong.append(f"split {[s.value for s in flow.verdict.split]}, wanted {expected['split']}")
        missing = [rule for rule in expected.get("fired", []) if rule not in fired]
        if missing:
            wrong.append(f"did not fire {', '.join(missing)}")
        unwanted = [rule for rule in expected.get("not_fired", []) if rule in fired]
        if unwanted:
            wrong.append(f"fired {', '.join(unwanted)}, which must not fire")
        if wrong:
            failures.append(FlowFailure(str(flow_id), wrong, flow))
    return CaseResult(case, [], None, failures, result)


def describe(flow: FlowResult) -> str:
    """A flow's outcome in a few lines, for a failed case."""
    verdict, costs = flow.verdict, flow.costs
    scores = ", ".join(f"{option.value} {score:g}" for option, score in verdict.scores.items())
    vetoes = "; ".join(f"{option.value} by {', '.join(rules)}" for option, rules in verdict.vetoes.items())
    saving = "no quote" if costs.savings_pct is None else f"{costs.savings_pct:.1f} %"
    return (f"{flow.id}: {verdict.decision.value} {[s.value for s in verdict.split]} "
            f"(confidence {verdict.confidence}, margin {verdict.margin:g})\n"
            f"  scores: {scores}\n"
            f"  vetoes: {vetoes or 'none'}; proposed splits: {[s.value for s in verdict.proposed_splits]}\n"
            f"  fired: {' '.join(f.rule_id for f in flow.firings)}\n"
            f"  saving {saving}, {costs.fte_needed:.1f} FTE, hidden costs {costs.hidden_cost_pct:.1f} %")


def coverage(results: list[CaseResult], policy: Policy) -> tuple[list[str], list[str]]:
    """The rules fired on a flow some case checks, and those never fired, in policy order."""
    fired: set[str] = set()
    for outcome in results:
        if outcome.result is None:
            continue
        wanted = {str(k) for k in outcome.case.raw["want"]}
        fired.update(f.rule_id for flow in outcome.result.flows if flow.id in wanted for f in flow.firings)
    ids = [placed.rule.id for placed in policy.rules]
    return [r for r in ids if r in fired], [r for r in ids if r not in fired]
