"""Policy cases as data: every case of ``rules/tests/*.yaml`` through the real pipeline.

Each case file is a YAML list of cases (the format is documented at the top of
every file). A case quotes the sentence or figure of docs/domain.md it checks in
``note``, gives answers (inline ``answers:`` or ``file:`` naming an answers file
relative to the repository root) and, per flow id, what the default policy must
conclude: ``decision``, optionally ``split``, ``fired`` and ``not_fired``.

The answers go through ``engine.answers.validate_answers`` and
``engine.recommend.recommend`` exactly as the command line runs them. A last test
checks that every rule of the policy fires in at least one checked flow.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from engine.answers import load_answers, validate_answers
from engine.errors import AnswersError
from engine.load import Document, DocumentError, parse_yaml
from engine.models import Answers
from engine.policy import Policy
from engine.recommend import FlowResult, Recommendation, recommend

ROOT = Path(__file__).resolve().parent.parent
CASES_DIR = ROOT / "rules" / "tests"

CASE_KEYS = {"note", "answers", "file", "want"}
WANT_KEYS = {"decision", "split", "fired", "not_fired"}
DECISIONS = {"outsource", "hybrid", "keep_internal"}
SPLITS = {"overflow", "after_hours", "tier1"}


@dataclass(frozen=True)
class Case:
    """One policy case, or the reason its file could not be read as cases."""

    source: str
    line: int | None
    note: str
    raw: Any = None
    lines: dict[tuple[Any, ...], int] = field(default_factory=dict, repr=False)
    broken: str | None = None

    @property
    def where(self) -> str:
        return f"{self.source}:{self.line}" if self.line else self.source


def _slug(text: str, limit: int = 60) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    if len(slug) > limit:
        slug = slug[:limit].rsplit("-", 1)[0]
    return slug or "case"


def _read_cases() -> list[Case]:
    """Every case of every file, in file order; a file that is not a list of cases gives one broken case."""
    cases: list[Case] = []
    for path in sorted(CASES_DIR.glob("*.yaml")):
        source = str(path.relative_to(ROOT))
        try:
            doc = parse_yaml(path.read_text(encoding="utf-8"), source)
        except DocumentError as exc:
            cases.append(Case(source, None, path.stem, broken=str(exc.problem)))
            continue
        if not isinstance(doc.data, list) or not doc.data:
            cases.append(Case(source, 1, path.stem, broken="expected a non-empty list of cases"))
            continue
        for index, raw in enumerate(doc.data):
            line = doc.line_of((index,))
            note = raw.get("note") if isinstance(raw, dict) else None
            lines = {key[1:]: value for key, value in doc.lines.items() if key[:1] == (index,)}
            cases.append(Case(source, line, note if isinstance(note, str) else f"{path.stem} case {index + 1}",
                              raw=raw, lines=lines))
    return cases


CASES = _read_cases()


def _ids(cases: list[Case]) -> list[str]:
    """Test ids from the notes; notes that slug alike are told apart by the first flow they check."""
    slugs = [_slug(case.note) for case in cases]
    out = []
    for case, slug in zip(cases, slugs):
        if slugs.count(slug) > 1:
            want = case.raw.get("want") if isinstance(case.raw, dict) else None
            if isinstance(want, dict) and want:
                slug = f"{slug}-{_slug(str(next(iter(want))), 30)}"
        out.append(slug)
    seen: dict[str, int] = {}
    for index, slug in enumerate(out):
        seen[slug] = seen.get(slug, 0) + 1
        if seen[slug] > 1:
            out[index] = f"{slug}-{seen[slug]}"
    return out


def _check_shape(case: Case, policy: Policy) -> list[str]:
    """What is wrong with the case itself (not with the policy), so that a typo cannot pass silently."""
    raw = case.raw
    if case.broken:
        return [case.broken]
    if not isinstance(raw, dict):
        return ["a case must be a mapping with note, answers (or file) and want"]
    problems = [f"unknown key {key!r} (expected {', '.join(sorted(CASE_KEYS))})" for key in raw if key not in CASE_KEYS]
    if not isinstance(raw.get("note"), str) or not raw["note"].strip():
        problems.append("note: quote the sentence or figure of docs/domain.md the case checks")
    if ("answers" in raw) == ("file" in raw):
        problems.append("give exactly one of answers: (inline) or file: (an answers file)")
    want = raw.get("want")
    if not isinstance(want, dict) or not want:
        return problems + ["want: a mapping of flow id to what the policy must conclude"]
    rule_ids = {placed.rule.id for placed in policy.rules}
    for flow_id, expected in want.items():
        if not isinstance(expected, dict):
            problems.append(f"want.{flow_id}: expected a mapping with decision (and split, fired, not_fired)")
            continue
        problems += [f"want.{flow_id}: unknown key {key!r}" for key in expected if key not in WANT_KEYS]
        if expected.get("decision") not in DECISIONS:
            problems.append(f"want.{flow_id}.decision: {expected.get('decision')!r} is not one of {sorted(DECISIONS)}")
        split = expected.get("split", [])
        if not isinstance(split, list) or not set(split) <= SPLITS:
            problems.append(f"want.{flow_id}.split: {split!r} is not a list of {sorted(SPLITS)}")
        for key in ("fired", "not_fired"):
            ids = expected.get(key, [])
            if not isinstance(ids, list):
                problems.append(f"want.{flow_id}.{key}: expected a list of rule ids")
                continue
            problems += [f"want.{flow_id}.{key}: {rule!r} is not a rule of the policy" for rule in ids
                         if rule not in rule_ids]
    return problems


def _answers(case: Case) -> Answers:
    """The case's answers, validated like an answers file (inline answers keep their lines for errors)."""
    raw = case.raw
    if "file" in raw:
        return load_answers(ROOT / raw["file"])
    lines = {key[1:]: value for key, value in case.lines.items() if key[:1] == ("answers",)}
    return validate_answers(Document(source=case.source, data=raw["answers"], lines=lines))


_results: dict[int, Recommendation] = {}


def _run(index: int, policy: Policy) -> Recommendation:
    """The recommendation for case ``index``, computed once per session."""
    if index not in _results:
        _results[index] = recommend(_answers(CASES[index]), policy)
    return _results[index]


def _describe(flow: FlowResult) -> str:
    verdict, costs = flow.verdict, flow.costs
    scores = ", ".join(f"{option.value} {score:g}" for option, score in verdict.scores.items())
    vetoes = "; ".join(f"{option.value} by {', '.join(rules)}" for option, rules in verdict.vetoes.items())
    saving = "no quote" if costs.savings_pct is None else f"{costs.savings_pct:.1f} %"
    return (f"  {flow.id}: {verdict.decision.value} {[s.value for s in verdict.split]} "
            f"(confidence {verdict.confidence}, margin {verdict.margin:g})\n"
            f"    scores: {scores}\n"
            f"    vetoes: {vetoes or 'none'}; proposed splits: {[s.value for s in verdict.proposed_splits]}\n"
            f"    fired: {' '.join(f.rule_id for f in flow.firings)}\n"
            f"    saving {saving}, {costs.fte_needed:.1f} FTE, hidden costs {costs.hidden_cost_pct:.1f} %")


@pytest.mark.parametrize("index", range(len(CASES)), ids=_ids(CASES))
def test_policy_case(index: int, policy: Policy) -> None:
    """The default policy concludes, for each flow of the case, what the case wants."""
    case = CASES[index]
    problems = _check_shape(case, policy)
    if problems:
        pytest.fail(f"{case.where}: the case itself is malformed:\n  " + "\n  ".join(problems), pytrace=False)
    try:
        result = _run(index, policy)
    except AnswersError as exc:
        invalid = exc.report()
    else:
        invalid = None
    if invalid is not None:
        pytest.fail(f"{case.where}: the answers of the case are invalid:\n{invalid}", pytrace=False)
    flows = {flow.id: flow for flow in result.flows}
    failures = []
    for flow_id, expected in case.raw["want"].items():
        flow = flows.get(flow_id)
        if flow is None:
            failures.append(f"  {flow_id}: no such flow in the answers (flows: {', '.join(flows)})")
            continue
        fired = {f.rule_id for f in flow.firings}
        wrong = []
        if flow.verdict.decision.value != expected["decision"]:
            wrong.append(f"decision {flow.verdict.decision.value}, wanted {expected['decision']}")
        if "split" in expected and sorted(s.value for s in flow.verdict.split) != sorted(expected["split"]):
            wrong.append(f"split {[s.value for s in flow.verdict.split]}, wanted {expected['split']}")
        missing = [rule for rule in expected.get("fired", []) if rule not in fired]
        if missing:
            wrong.append(f"did not fire {missing}")
        unwanted = [rule for rule in expected.get("not_fired", []) if rule in fired]
        if unwanted:
            wrong.append(f"fired {unwanted}, which must not fire")
        if wrong:
            failures.append(f"  {flow_id}: " + "; ".join(wrong) + "\n" + _describe(flow))
    if failures:
        pytest.fail(f"{case.where}: {case.note}\n" + "\n".join(failures), pytrace=False)


def test_every_rule_fires_in_some_case(policy: Policy) -> None:
    """Every rule of the policy fires in at least one flow that a case checks."""
    fired: set[str] = set()
    for index, case in enumerate(CASES):
        if _check_shape(case, policy):
            continue  # reported by its own test
        try:
            result = _run(index, policy)
        except AnswersError:
            continue  # reported by its own test
        wanted = set(case.raw["want"])
        fired.update(f.rule_id for flow in result.flows if flow.id in wanted for f in flow.firings)
    never = [placed.rule.id for placed in policy.rules if placed.rule.id not in fired]
    if never:
        pytest.fail(f"rules never fired by a flow a case checks in rules/tests/*.yaml: {', '.join(never)}",
                    pytrace=False)
