"""The Markdown output reads like the text output: a summary table first, each rule once, the deciding
reason said once, assumptions once per file; ``--detail full`` keeps everything."""

from __future__ import annotations

import functools
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main
from engine.answers import load_answers
from engine.policy.loading import Policy
from engine.recommend import recommend
from explanations.render import LANGS, Document, document, labels, render_document

ROOT = Path(__file__).parent.parent
ANSWERS = [ROOT / "tests" / "golden" / "answers.yaml", *sorted((ROOT / "examples").glob("*.yaml"))]
VOTE = re.compile(r"^- \*\*[+−][\d.,]+(?: [^*]+)?\*\* `([^`]+)`", re.M)


@functools.lru_cache(maxsize=None)
def _document(answers: Path, policy: Policy) -> Document:
    """The recommendation of an answers file in both languages, tipping points included (as
    ``arbitre recommend`` prints it), made once for the module."""
    return document(recommend(load_answers(answers), policy), policy, LANGS, tipping=True)


def _flows(markdown: str) -> list[str]:
    """The flow sections of a Markdown output (the file's assumptions after the last one left out)."""
    return re.split(r"^## ", markdown, flags=re.M)[1:len(re.findall(r"^## .+ \(`", markdown, re.M)) + 1]


def test_summary_table_has_split_confidence_and_monthly_saving() -> None:
    """The table at the top gives, for each flow, the decision, the split, the confidence and the
    saving a month of the option that stands; a kept flow saves nothing."""
    result = CliRunner().invoke(main, ["recommend", str(ROOT / "examples" / "us-retail-holiday-overflow.yaml"),
                                       "--format", "markdown"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    start = lines.index("| Flow | Decision | Split | Confidence | Saving a month |")
    assert lines[start + 1] == "|---|---|---|---|---:|"
    rows = {cells[0]: cells[1:] for cells in ([c.strip() for c in line.strip("|").split("|")]
                                             for line in lines[start + 2:start + 5])}
    assert rows["Customer care by phone"][:3] == ["hybrid", "overflow", "low"]
    assert rows["Customer care by phone"][3].startswith("USD\u00a0")
    assert rows["Elite loyalty members line"] == ["keep in-house", "-", "low", "-"]


@pytest.mark.parametrize("detail", ["normal", "full"])
@pytest.mark.parametrize("answers", ANSWERS, ids=[p.stem for p in ANSWERS])
def test_each_rule_once_per_flow(policy: Policy, answers: Path, detail: str) -> None:
    """A rule that votes for several options is listed once in a flow, with its other votes beside it."""
    doc = _document(answers, policy)
    for flow in _flows(render_document(doc, "markdown", "en", detail)):  # type: ignore[arg-type]
        rules = VOTE.findall(flow)
        assert len(rules) == len(set(rules)), flow.splitlines()[0]


def test_other_votes_said_beside_the_rule(policy: Policy) -> None:
    """ECO-01 votes for outsourcing and, less, for a split: one line says both."""
    orders = _flows(render_document(_document(ANSWERS[0], policy), "markdown", "en"))[0]
    assert len(re.findall(r"`ECO-01`.*\(also \+2\.6 hybrid\)$", orders, re.M)) == 1
    assert "### Against this decision" not in orders


@pytest.mark.parametrize("lang,label", [("en", "Cost model: "), ("fr", "Modèle de coûts\u202f: ")])
@pytest.mark.parametrize("answers", ANSWERS, ids=[p.stem for p in ANSWERS])
def test_assumptions_once_per_file(policy: Policy, answers: Path, lang: str, label: str) -> None:
    """The cost model the flows share is stated once, after the flows, and under every flow with
    --detail full."""
    doc = _document(answers, policy)
    markdown = render_document(doc, "markdown", lang)  # type: ignore[arg-type]
    own = sum(label in flow for flow in _flows(markdown))
    assert markdown.count(label) == 1 + own and own < len(doc.flows)
    assert markdown.split("\n## ")[-1].startswith(("Assumptions\n", "Hypothèses\n"))
    full = render_document(doc, "markdown", lang, "full")  # type: ignore[arg-type]
    assert full.count(label) == len(doc.flows)


def test_a_flows_own_defaults_in_one_line(policy: Policy) -> None:
    """A flow whose defaults differ from the others' says them in one line of its own section."""
    flows = _flows(render_document(_document(ANSWERS[0], policy), "markdown", "en"))
    for flow in flows:
        lines = [line for line in flow.splitlines() if line.startswith("Defaults used for unanswered fields: ")]
        assert len(lines) == 1, flow.splitlines()[0]
        assert "### Assumptions" not in flow


@pytest.mark.parametrize("lang", LANGS)
def test_pivots_said_once(policy: Policy, lang: str) -> None:
    """The rule without which the decision would change is named in the balance, not again under
    "What would change it" (kept with --detail full)."""
    doc = _document(ANSWERS[0], policy)
    complaints = _flows(render_document(doc, "markdown", lang))[2]  # type: ignore[arg-type]
    assert complaints.count("ECO-01 (") == 1
    change = f"### {labels(lang)['change']}"  # type: ignore[arg-type]
    assert change not in complaints
    full = _flows(render_document(doc, "markdown", lang, "full"))[2]  # type: ignore[arg-type]
    assert change in full


@pytest.mark.parametrize("answers", ANSWERS, ids=[p.stem for p in ANSWERS])
def test_full_detail_keeps_every_fired_rule(policy: Policy, answers: Path) -> None:
    """With --detail full, every rule that fired for a flow is shown with its file and line."""
    doc = _document(answers, policy)
    flows = _flows(render_document(doc, "markdown", "en", "full"))
    for entry, flow in zip(doc.flows, flows):
        for firing in entry["firings"]:
            assert f"`{firing['rule']}`" in flow, (entry["id"], firing["rule"])
            assert f"`{firing['file']}:{firing['line']}`" in flow, (entry["id"], firing["rule"])
