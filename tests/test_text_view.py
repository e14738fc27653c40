"""The text output reads as one screen per flow: a summary table first, each rule once, the deciding
reason in words, assumptions once per file; ``--detail full`` keeps everything."""

from __future__ import annotations

import functools
import re
from pathlib import Path

import pytest

from engine.analysis.audit import AuditRecord, new_record, why_not
from engine.answers import load_answers
from engine.models import Decision
from engine.policy.loading import Policy
from engine.recommend import recommend
from explanations.render import (LANGS, Document, clip, document, first_sentence, render_document, render_why_not,
                                  summary_table, view_of)

ROOT = Path(__file__).parent.parent
ANSWERS = [ROOT / "tests" / "golden" / "answers.yaml", *sorted((ROOT / "examples").glob("*.yaml"))]
SEPARATOR = "=" * 78 + "\n"
VOTE_LINE = re.compile(r"^ {2,}[+−][\d.,]+ +(\S+) ")


@functools.lru_cache(maxsize=None)
def _document(answers: Path, policy: Policy) -> Document:
    """The recommendation of an answers file in both languages, tipping points included (as
    ``arbitre recommend`` prints it), made once for the module."""
    return document(recommend(load_answers(answers), policy), policy, LANGS, tipping=True)


def _flows(text: str) -> list[str]:
    """The flow sections of a text output (the assumptions block after the last one left out)."""
    return text.split(SEPARATOR)[1:-1]


def _section(flow: str, heading: str) -> str:
    """The text under a heading of a flow section, on one line."""
    lines = flow.splitlines()
    start = lines.index(f"  {heading}") + 1
    end = next((i for i in range(start, len(lines)) if re.match(r"  \S", lines[i])), len(lines))
    return re.sub(r"[ \n]+", " ", "\n".join(lines[start:end])).strip()


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("answers", ANSWERS, ids=[p.stem for p in ANSWERS])
def test_one_screen_per_flow(policy: Policy, answers: Path, lang: str) -> None:
    """Every example reads in about 25 lines a flow (32 at most on average), after a summary table
    with a row per flow, in 78 columns."""
    doc = _document(answers, policy)
    text = render_document(doc, "text", lang)  # type: ignore[arg-type]
    flows = _flows(text)
    assert len(flows) == len(doc.flows)
    assert sum(len(f.splitlines()) for f in flows) / len(flows) <= 32
    head = text.split(SEPARATOR)[0].splitlines()
    table = summary_table([view_of(e, lang, doc.cost_model) for e in doc.flows], lang)  # type: ignore[arg-type]
    assert head[-len(table) - 1:-1] == table and len(table) == len(doc.flows) + 1
    assert max(len(line) for line in text.splitlines()) <= 78


@pytest.mark.parametrize("answers", ANSWERS, ids=[p.stem for p in ANSWERS])
def test_each_rule_once_per_flow(policy: Policy, answers: Path) -> None:
    """A rule's votes share one line: no rule is listed twice among the reasons of a flow."""
    for flow in _flows(render_document(_document(answers, policy), "text", "en")):
        rules = [m[1] for m in map(VOTE_LINE.match, flow.splitlines()) if m]
        assert len(rules) == len(set(rules)), flow


def test_other_votes_of_a_reason_on_its_line(policy: Policy) -> None:
    """ECO-01's share for hybrid is said on its line under Why, not again for another option."""
    orders = _flows(render_document(_document(ANSWERS[0], policy), "text", "en"))[0]
    assert "(also +2.6 hybrid)" in re.sub(r"[ \n]+", " ", orders)
    assert "Against this decision" not in orders


def test_summary_table(policy: Policy) -> None:
    """The table gives the monthly saving of the decided option, all-in, and none for a kept flow."""
    text = render_document(_document(ANSWERS[0], policy), "text", "en")
    assert "Flow              Decision       Split  Confidence  Saving a month\n" in text
    assert "Order taking      outsource      -      medium          EUR\u00a023,286\n" in text
    assert "Key-account care  keep in-house  -      high                     -\n" in text


def test_summary_table_cuts_a_long_name(policy: Policy) -> None:
    """A flow name too long for the table is cut with an ellipsis, the table staying in 78 columns."""
    doc = _document(ANSWERS[0], policy)
    views = [{**view_of(e, "fr", doc.cost_model), "name": "Réclamations " * 10} for e in doc.flows]
    table = summary_table(views, "fr")
    assert all(len(line) <= 78 for line in table)
    assert table[1].startswith("Réclamations Réclamatio…  externaliser")


@pytest.mark.parametrize("lang,label", [("en", "Cost model: "), ("fr", "Modèle de coûts\u202f: ")])
def test_assumptions_once_per_file(policy: Policy, lang: str, label: str) -> None:
    """The cost model is stated once for the file by default, and for every flow with --detail full;
    a flow whose defaults differ from most states its own, in the flow."""
    doc = _document(ANSWERS[0], policy)
    assert render_document(doc, "text", lang).count(label) == 1  # type: ignore[arg-type]
    assert render_document(doc, "text", lang, "full").count(label) == len(doc.flows)  # type: ignore[arg-type]
    flows = _flows(render_document(doc, "text", "en"))
    assert [("Defaults used for unanswered fields: " in f) for f in flows] == [True, True, True]


@pytest.mark.parametrize("lang,flow,reason", [
    ("en", 0, "Outsource gains most from CLS-12 (Massive, repetitive and scripted: +2 outsource, 0 hybrid) "
              "and from ECO-01 (The economic equation: +3 outsource, +2.6 hybrid); no rule alone changes the decision."),
    ("fr", 0, "L'écart vient surtout de CLS-12 (Massif, répétitif et scénarisé\u202f: +2 externaliser, 0 hybride) "
              "et d'ECO-01 (L'équation économique\u202f: +3 externaliser, +2,6 hybride)\u202f; aucune règle ne "
              "change seule la décision."),
    ("en", 2, "The decision turns on ECO-01 (The economic equation), without which it would be hybrid."),
    ("fr", 2, "La décision tient à ECO-01 (L'équation économique), sans laquelle la décision serait "
              "«\u00a0hybride\u00a0»."),
])
def test_balance_states_the_deciding_reason(policy: Policy, lang: str, flow: int, reason: str) -> None:
    """What tipped the balance names the rule without which the decision would change, or the rules
    that put it ahead and what the runner-up got from them."""
    section = _flows(render_document(_document(ANSWERS[0], policy), "text", lang))[flow]  # type: ignore[arg-type]
    heading = "What tipped the balance" if lang == "en" else "Ce qui a fait pencher la balance"
    assert _section(section, heading) == reason


@pytest.mark.parametrize("fmt, lang, shown", [
    ("text", "en", "−4 KNW-01  against outsourcing: The in-house team holds know-how"),
    ("text", "fr", "−4 KNW-01  contre l'externalisation\u202f: L'équipe interne détient"),
    ("markdown", "en", "**−4** `KNW-01` against outsourcing: The in-house team holds know-how"),
    ("markdown", "fr", "**−4** `KNW-01` contre l'externalisation\u202f: L'équipe interne détient"),
])
def test_a_vote_taking_from_an_option_reads_as_one_against_it(policy: Policy, fmt: str, lang: str,
                                                               shown: str) -> None:
    """A reason to keep a flow in-house that takes from outsourcing is shown as a vote against
    outsourcing, never under the bare name of the option it takes from."""
    text = render_document(_document(ANSWERS[0], policy), fmt, lang)  # type: ignore[arg-type]
    assert shown in text
    assert "KNW-01  outsource:" not in text and "KNW-01  externaliser\u202f:" not in text


def test_balance_of_a_vetoed_flow_names_the_veto(policy: Policy) -> None:
    """A decision held by a veto says so once, in the balance, and the veto's text is shown once."""
    health = ROOT / "examples" / "health-insurer.yaml"
    claims = _flows(render_document(_document(health, policy), "text", "en"))[1]
    assert "Ruled out: outsource, hybrid (ruled out by RSK-07)" in claims
    assert claims.count("Special-category data of EU residents would go to a country without an") == 1
    assert claims.count("only because of the veto of RSK-07") == 1


def test_full_detail_keeps_everything(policy: Policy) -> None:
    """--detail full shows every fired rule's source and every finding's whole text."""
    doc = _document(ANSWERS[0], policy)
    full = render_document(doc, "text", "en", "full")
    for entry in doc.flows:
        for firing in entry["firings"]:
            assert f"{firing['file']}:{firing['line']} - " in full
            if not firing["votes"] and not firing["veto"]:
                assert " ".join(firing["text"]["en"].split()) in " ".join(full.split())


class TestOneLine:
    """The one-line summaries of rules for other options, findings and conditions."""

    def test_first_sentence(self) -> None:
        """A sentence ends at a stop before a capital, not at a decimal point."""
        assert first_sentence("It costs EUR 2.72 a contact. An overflow saves 1 %.") == \
            "It costs EUR 2.72 a contact."

    def test_clip_keeps_indentation_and_width(self) -> None:
        """A long line is cut at a space, within the width, with an ellipsis; a short one is kept."""
        line = clip("     +3 ECO-01  outsource: " + "word " * 30, 78)
        assert line.startswith("     +3 ECO-01  outsource: word") and line.endswith("word\u2026")
        assert len(line) <= 78
        assert clip("    short line", 78) == "    short line"


@pytest.mark.parametrize("answers", ANSWERS, ids=[p.stem for p in ANSWERS])
def test_why_lists_only_reasons_for_the_decision(policy: Policy, answers: Path) -> None:
    """Under Why, a rule votes for the decision, or votes nothing on it and only takes from other
    options; a rule that votes against the decision is never there. A hybrid decision that ECO-01
    scores for is explained by it (acme's complaints: +1.2 hybrid, also +3 outsource)."""
    doc = _document(answers, policy)
    for entry in doc.flows:
        view = view_of(entry, "en", doc.cost_model)
        decision = view["decision"]
        for reason in view["why"]:
            on_decision = [v["weight"] for v in view["reasons"] + view["against"]
                           if v["rule"] == reason["rule"] and v["option"] == decision]
            if on_decision:
                assert reason["option"] == decision and sum(on_decision) > 0, (entry["id"], reason["rule"])
            else:
                assert reason["weight"] < 0, (entry["id"], reason["rule"])
    if answers.stem == "acme-retail":
        complaints = view_of(next(e for e in doc.flows if e["id"] == "complaints-email"), "en", doc.cost_model)
        assert complaints["decision"] == "hybrid"
        assert "ECO-01" in [r["rule"] for r in complaints["why"]]
        assert "BRD-01" in [r["rule"] for r in complaints["others"]]


@pytest.mark.parametrize("lang, said", [("en", "imposed by a veto on every other option (RSK-07)"),
                                        ("fr", "imposée par un veto sur toute autre option (RSK-07)")])
def test_a_decision_a_veto_imposes_has_no_margin(policy: Policy, lang: str, said: str) -> None:
    """The health insurer's claims line stays in-house because RSK-07 rules out outsourcing and every
    split: the text says so where the confidence would be, and the summary table says 'veto'."""
    text = render_document(_document(ROOT / "examples" / "health-insurer.yaml", policy), "text", lang)  # type: ignore[arg-type]
    claims = next(f for f in _flows(text) if f.startswith("Claims and reimbursements by phone"))
    header = re.sub(r"[ \n]+", " ", claims.split("Scores")[0])
    assert said in header and "(0" not in header
    row = next(line for line in text.splitlines() if line.startswith("Claims and reimburse"))
    assert row.split()[-2:] == ["veto", "-"]


@pytest.mark.parametrize("lang, said", [("en", "if the brand criticality were low or medium."),
                                        ("fr", "si l'exposition de la marque était faible ou moyenne.")])
def test_flips_to_the_same_decision_are_said_once(policy: Policy, lang: str, said: str) -> None:
    """Two values of one answer that both lead to the same decision make one tipping point."""
    text = render_document(_document(ROOT / "examples" / "health-insurer.yaml", policy), "text", lang,  # type: ignore[arg-type]
                           detail="full")
    flat = re.sub(r"[ \n]+", " ", text)
    assert said in flat
    assert "were low." not in flat and "était faible." not in flat


@pytest.mark.parametrize("lang, said", [("en", "(in_house.yaml:35; −3 on outsourcing and the splits)"),
                                        ("fr", "(in_house.yaml:35\u202f; −3 sur l'externalisation et les partages)")])
def test_why_not_keep_says_where_a_risk_weighs(policy: Policy, lang: str, said: str) -> None:
    """A rule that supports keeping in-house by weighing against the other options (CPX-01, expert
    work) says so in why-not: its weight is not a score keeping in-house received."""
    example = ROOT / "examples" / "acme-retail.yaml"
    answers = load_answers(example)
    doc = _document(example, policy)
    record = AuditRecord.model_validate(new_record(policy=policy, source=example, answers=answers.model_dump(mode="json"),
                                                   organisation=doc.organisation, flows=doc.flows))
    data = why_not(record, "complaints-email", Decision.keep_internal)
    expert = next(r for r in data["rules"] if r["rule"] == "CPX-01")
    assert expert["against_others"] and expert["fired"]
    assert said in re.sub(r"[ \n]+", " ", render_why_not(data, lang))  # type: ignore[arg-type]
