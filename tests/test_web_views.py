"""The result pages' data (web/views.py): the audit record the CLI writes, and views of it."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from engine.errors import AnswersError, UserError
from engine.policy.loading import Policy
from conftest import EXAMPLES, RULES, arbitre_in_process
from engine.interview.questions import Bank, load_questions
from web import views

ARBITRE = Path(sys.executable).parent / "arbitre"
ACME = (EXAMPLES / "acme-retail.yaml").read_text(encoding="utf-8")
# what differs between two records of the same answers: when and which run made them
VARYING = ("record_id", "created_at", "digest")


@dataclass(frozen=True)
class Chosen:
    """An override as the store keeps it."""

    flow_id: str
    option: str
    reason: str
    author: str = ""
    created: str = ""


def comparable(record_json: str) -> dict[str, object]:
    data = json.loads(record_json)
    return {key: value for key, value in data.items() if key not in VARYING}


def cli_record(tmp_path: Path, text: str, *args: str) -> str:
    """The record ``arbitre recommend answers.yaml --audit`` writes for ``text``."""
    (tmp_path / "answers.yaml").write_text(text, encoding="utf-8")
    run = arbitre_in_process("recommend", "answers.yaml", "--audit", "cli.json", "--format", "json", *args,
                             cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    return (tmp_path / "cli.json").read_text(encoding="utf-8")


def ranged(text: str) -> str:
    """The answers with the first flow's volume given as a range."""
    return text.replace("monthly_volume: 14000", "monthly_volume: {low: 9000, likely: 14000, high: 18000}", 1)


@pytest.fixture(scope="module")
def acme_record(policy: Policy) -> str:
    return views.audit_record(ACME, policy)


class TestAuditRecord:
    def test_same_record_as_the_cli(self, tmp_path: Path, policy: Policy, acme_record: str) -> None:
        """The record of a version is the one `arbitre recommend answers.yaml --audit` writes, its id and time aside."""
        assert comparable(acme_record) == comparable(cli_record(tmp_path, ACME))

    def test_same_record_with_overrides(self, tmp_path: Path, policy: Policy) -> None:
        """Overrides go into the record as --override FLOW=OPTION --reason TEXT puts them, one reason each."""
        chosen = [Chosen("order-taking", "keep_internal", "  The union agreement  "),
                  Chosen("support-chat", "outsource", "Board decision")]
        made = views.audit_record(ACME, policy, chosen)
        by_cli = cli_record(tmp_path, ACME, "--override", "order-taking=keep_internal", "--reason",
                            "  The union agreement  ", "--override", "support-chat=outsource", "--reason",
                            "Board decision")
        assert comparable(made) == comparable(by_cli)
        assert json.loads(made)["flows"][0]["override"] == {"decision": "keep_internal",
                                                           "reason": "The union agreement"}

    def test_the_record_says_who_overrode_and_when(self, tmp_path: Path, policy: Policy, acme_record: str) -> None:
        """An override made in the workspace keeps its author and time in the record (review finding 5),
        fields the schema allows and the CLI leaves out; `arbitre explain` shows them."""
        made = views.with_overrides(acme_record, [Chosen("order-taking", "keep_internal", "Union", "Zoé",
                                                         "2026-12-01T09:30:00+00:00")])
        assert json.loads(made)["flows"][0]["override"] == {
            "decision": "keep_internal", "reason": "Union", "author": "Zoé", "at": "2026-12-01T09:30:00+00:00"}
        record = tmp_path / "audit.json"
        record.write_text(made, encoding="utf-8")
        shown = arbitre_in_process("explain", str(record), "--flow", "order-taking", "--lang", "fr")
        assert shown.returncode == 0, shown.stderr
        assert "(par Zoé, le 2026-12-01)" in " ".join(shown.stdout.split())
        assert arbitre_in_process("explain", str(record), "--verify").returncode == 0

    def test_overrides_written_into_a_stored_record(self, policy: Policy, acme_record: str) -> None:
        """Writing overrides into a version's record gives the record made with them; the latest of a flow wins."""
        chosen = [Chosen("order-taking", "hybrid", "first thought"), Chosen("order-taking", "keep_internal", "Later")]
        assert comparable(views.with_overrides(acme_record, chosen)) == \
            comparable(views.audit_record(ACME, policy, chosen[1:]))

    def test_ranged_answers_are_sampled_as_the_cli_samples_them(self, tmp_path: Path, policy: Policy) -> None:
        """Answers with a range: the record holds each flow's robustness and the ranges, as the CLI's does."""
        made = views.audit_record(ranged(ACME), policy)
        assert comparable(made) == comparable(cli_record(tmp_path, ranged(ACME)))
        data = json.loads(made)
        assert data["ranges"] and data["flows"][0]["robustness"]["samples"] == 1000

    def test_explain_verify_accepts_the_record(self, tmp_path: Path, policy: Policy) -> None:
        """`arbitre explain --verify` (the installed command) accepts a record with overrides: exit 0."""
        record = tmp_path / "audit.json"
        record.write_text(views.with_overrides(views.audit_record(ACME, policy),
                                               [Chosen("order-taking", "keep_internal", "Union")]), encoding="utf-8")
        run = subprocess.run([str(ARBITRE), "explain", str(record), "--verify"], capture_output=True, text=True,
                             timeout=120)
        assert run.returncode == 0, run.stdout + run.stderr
        assert "Same decisions" in run.stdout

    def test_bad_answers_are_located_in_answers_yaml(self, tmp_path: Path, policy: Policy) -> None:
        """Invalid answers: every problem, worded and located as `arbitre recommend answers.yaml` words them."""
        bad = ACME.replace("channel: phone", "channel: fax", 1).replace("aht_seconds: 270", "aht_seconds: -3", 1)
        with pytest.raises(AnswersError) as caught:
            views.audit_record(bad, policy)
        (tmp_path / "answers.yaml").write_text(bad, encoding="utf-8")
        run = arbitre_in_process("recommend", "answers.yaml", cwd=tmp_path)
        assert run.returncode == 2
        assert f"error: {caught.value.report()}" in run.stderr
        assert "answers.yaml:21: flows[0].channel: 'fax' is not one of" in caught.value.report()

    def test_broken_yaml_is_located(self) -> None:
        """Text that is not YAML is an AnswersError with its line, never an exception of the parser."""
        with pytest.raises(AnswersError, match="answers.yaml"):
            views.read_answers("organisation: [\nflows: 3\n")

    def test_answers_too_large_are_said_in_both_languages(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Answers beyond the size limit: the command line's words, from the catalogue, in English and French."""
        monkeypatch.setattr(views, "MAX_FILE_BYTES", 2**20)
        with pytest.raises(AnswersError) as caught:
            views.read_answers("#" * (2**20 + 1))
        assert caught.value.report() == ("cannot read the answers in answers.yaml\n  answers.yaml: is larger than 1 MB, "
                                         "the most Arbitre reads in one answers file; split it into smaller files")
        assert caught.value.report("fr") == ("impossible de lire les réponses de answers.yaml\n  answers.yaml: "
                                             "dépasse 1 Mo, le maximum qu'Arbitre lit dans un fichier de réponses\u202f; "
                                             "découpez-le en fichiers plus petits")


class TestOverrideMessages:
    @pytest.mark.parametrize(("flow", "option", "reason", "args", "cli_words"), [
        pytest.param("order-taking", "outsource", "  ", ["--override", "order-taking=outsource", "--reason", "  "],
                     "an override needs a reason: add --reason TEXT (it is kept beside the override)", id="no-reason"),
        pytest.param("order-taking", "maybe", "why", ["--override", "order-taking=maybe", "--reason", "why"],
                     "--override 'order-taking=maybe': expected FLOW_ID=DECISION, the decision one of outsource, "
                     "hybrid, keep_internal", id="unknown-option"),
        pytest.param("nowhere", "outsource", "why", ["--override", "nowhere=outsource", "--reason", "why"],
                     "--override 'nowhere=outsource': no flow with the id 'nowhere'; the flows are: order-taking, "
                     "support-chat, complaints-email, key-accounts, after-sales, social-care", id="unknown-flow"),
    ])
    def test_the_cli_keeps_its_words_and_the_web_refuses_the_same(
            self, tmp_path: Path, policy: Policy, flow: str, option: str, reason: str, args: list[str],
            cli_words: str) -> None:
        """One set of checks (engine.overrides): the CLI says a refusal in its option syntax, as it always
        has; the form refuses the same override, in its own words."""
        known = [f.id for f in views.read_answers(ACME).answers.flows]
        (tmp_path / "answers.yaml").write_text(ACME, encoding="utf-8")
        run = arbitre_in_process("recommend", "answers.yaml", *args, cwd=tmp_path)
        assert run.returncode == 2
        assert run.stderr.strip() == f"error: {cli_words}"
        assert views.override_errors(flow, option, reason, known, "en")
        with pytest.raises(UserError, match="override"):
            views.audit_record(ACME, policy, [Chosen(flow, option, reason)])

    def test_the_form_words_each_problem_beside_its_field_in_both_languages(self) -> None:
        """No CLI syntax on the page (review finding 7): the reason's problem beside the reason, the
        decision's beside the decision, in English or French."""
        known = ["order-taking"]
        english = views.override_errors("order-taking", "", " ", known, "en")
        assert english == {"reason": "Give a reason: it is kept beside your decision in the audit record.",
                           "option": "Choose a decision in the list."}
        french = views.override_errors("order-taking", "maybe", "", known, "fr")
        assert french["reason"].startswith("Donnez une raison") and french["option"].startswith("Choisissez")
        assert not any("--" in text for text in (*english.values(), *french.values()))
        assert views.override_errors("order-taking", "hybrid", "union", known, "fr") == {}


class TestPages:
    def test_recommendation_record_and_pages(self, policy: Policy) -> None:
        """One call gives the record and every page made from it, in the language asked."""
        made = views.recommendation(ACME, policy, [Chosen("key-accounts", "hybrid", "Pilot")], "fr")
        assert [f.id for f in made.flows] == [row.id for row in made.portfolio.rows]
        assert made.portfolio.rows[3].decision_label == "hybride"
        assert json.loads(made.record)["flows"][3]["override"]["reason"] == "Pilot"

    def test_portfolio_rows_and_charts(self, acme_record: str) -> None:
        """The portfolio: a row per flow with its decision and saving, the report's map and cost charts."""
        page = views.portfolio(acme_record, "en")
        assert [row.id for row in page.rows] == [f.id for f in views.read_answers(ACME).answers.flows]
        order = page.rows[0]
        assert (order.decision, order.confidence) == ("outsource", "medium")
        assert order.saving is not None and order.saving.startswith("EUR")
        assert len(page.maps) == 2 and page.maps[0]["points"]
        assert page.costs[0]["rows"]
        assert page.summary["flows"] == 6

    def test_an_override_is_the_decision_that_stands(self, acme_record: str) -> None:
        """An overridden flow shows the person's decision, with the engine's beside it."""
        record = views.with_overrides(acme_record, [Chosen("order-taking", "keep_internal", "Union")])
        row = views.portfolio(record, "fr").rows[0]
        assert (row.decision, row.decision_label, row.engine_label) == ("keep_internal", "garder en interne",
                                                                         "externaliser")

    def test_flow_page(self, acme_record: str) -> None:
        """A flow's page: decision, reasons with weights, each option's cost, tipping points from the record."""
        page = views.flow_page(acme_record, "order-taking", "en")
        assert page is not None
        assert page.decision == "outsource"
        assert page.view["why"] and all("weight" in reason for reason in page.view["why"])
        assert [o.option for o in page.options][:2] == ["keep_internal", "outsource"]
        assert [o.option for o in page.options if o.recommended] == ["outsource"]
        assert page.tipping  # the record holds them
        assert views.flow_page(acme_record, "no-such-flow", "en") is None

    def test_why_not_follows_explain(self, tmp_path: Path, acme_record: str) -> None:
        """Why not an option: the rules `arbitre explain --why-not` lists, fired or with what they lacked."""
        (tmp_path / "audit.json").write_text(acme_record, encoding="utf-8")
        run = arbitre_in_process("explain", "audit.json", "--flow", "order-taking", "--why-not", "keep_internal",
                                 "--format", "json", cwd=tmp_path)
        expected = json.loads(run.stdout)
        page = views.why_not_page(acme_record, "order-taking", "keep_internal", "en")
        assert page is not None and not page.is_decision
        assert [(r.rule, r.fired) for r in page.rules] == [(r["rule"], r["fired"]) for r in expected["rules"]]
        assert all(r.failed for r in page.rules if not r.fired)
        assert views.why_not_page(acme_record, "order-taking", "maybe", "en") is None
        assert views.why_not_page(acme_record, "nowhere", "outsource", "en") is None


class TestCompare:
    def test_a_decision_that_moves_with_its_answers_and_rules(self, policy: Policy) -> None:
        """Complex work moves a flow's decision (its tipping point): the answer and the rules fired in one only
        are listed."""
        complex_ = ACME.replace("complexity: low", "complexity: high", 1)
        found = views.compare(ACME, complex_, policy)
        assert [c.id for c in found.changed] == ["order-taking"]
        change = found.changed[0]
        assert [(a.field, a.before, a.after) for a in change.answers] == [("complexity", "low", "high")]
        assert change.fired_before_only or change.fired_after_only
        assert change.before != change.after

    def test_flows_added_and_removed(self, policy: Policy) -> None:
        """A flow only in one version is listed as added or removed."""
        answers = views.read_answers(ACME).answers
        first = answers.flows[0].id
        without = ACME.replace(f"id: {first}", "id: renamed-flow", 1)
        found = views.compare(ACME, without, policy)
        assert [a[0] for a in found.added] == ["renamed-flow"]
        assert [r[0] for r in found.removed] == [first]

    def test_same_answers_nothing_moves(self, policy: Policy) -> None:
        found = views.compare(ACME, ACME, policy)
        assert found.moved == 0 and not found.same_decision and found.flows == 6


@pytest.fixture(scope="module")
def bank() -> Bank:
    return load_questions(RULES, "questions.yaml")


class TestWhatIf:
    def test_questions_labelled_and_prefilled_as_the_questionnaire_reads_them(self, bank: Bank) -> None:
        """The form holds each flow's numbers and choices under the review's labels, written as the
        questionnaire reads them back (a range as 'likely (low - high)', French digits in French)."""
        groups = views.whatif_questions(ranged(ACME), bank, "fr")
        assert groups[0].flow_id is None  # the organisation
        first = {q.name: q for q in groups[1].questions}
        assert first["flow.0.monthly_volume"].label == "Volume mensuel"
        assert first["flow.0.monthly_volume"].value == "14\u202f000 (9\u202f000 - 18\u202f000)"
        assert first["flow.0.repetitiveness"].kind == "choice" and first["flow.0.repetitiveness"].value == "high"
        assert first["flow.0.aht_seconds"].value == "270"
        assert "flow.0.id" not in first and "flow.0.channel" not in first

    @pytest.mark.parametrize("lang", ["en", "fr"])
    def test_an_unchanged_form_keeps_the_text(self, bank: Bank, lang: views.Lang) -> None:
        """Applying the form as it was filled changes nothing, comments included."""
        form = {q.name: q.value for g in views.whatif_questions(ranged(ACME), bank, lang) for q in g.questions}
        assert views.apply_whatif(ranged(ACME), form, bank, lang) == views.WhatIfForm(ranged(ACME), {})

    @pytest.mark.parametrize(("typed", "value"), [
        pytest.param("20 000", 20000, id="grouped"),
        pytest.param("8000-15000", {"low": 8000, "likely": 11500, "high": 15000}, id="range"),
        pytest.param("12 000 à 15 000", {"low": 12000, "likely": 13500, "high": 15000}, id="french-range"),
    ])
    def test_the_questionnaires_formats_in_french(self, bank: Bank, typed: str, value: object) -> None:
        """What the questionnaire takes, the what-if takes (review finding 8: these were refused)."""
        applied = views.apply_whatif(ACME, {"flow.0.monthly_volume": typed}, bank, "fr")
        assert applied.errors == {}
        assert views.read_answers(applied.answers).answers.flows[0].monthly_volume == \
            (value if isinstance(value, int) else value["likely"])

    def test_a_french_decimal_comma(self, bank: Bank) -> None:
        applied = views.apply_whatif(ACME, {"flow.0.routine_share_pct": "33,5"}, bank, "fr")
        assert applied.errors == {} and views.read_answers(applied.answers).answers.flows[0].routine_share_pct == 33.5

    def test_a_changed_answer_moves_the_decision(self, policy: Policy, bank: Bank) -> None:
        """Complex work chosen in the form: the scratch copy is valid and the decision moves."""
        scratch = views.apply_whatif(ACME, {"flow.0.complexity": "high"}, bank, "en").answers
        views.read_answers(scratch)
        moved = views.whatif(ACME, scratch, policy)
        assert [c.id for c in moved.changed] == ["order-taking"]

    def test_a_refused_value_is_said_beside_its_field_in_the_questionnaires_words(self, bank: Bank) -> None:
        """A value the questionnaire refuses is refused here in its words, by field; the copy unchanged."""
        applied = views.apply_whatif(ACME, {"flow.0.aht_seconds": "fast", "flow.0.monthly_volume": "2,5"}, bank, "fr")
        assert applied.answers == ACME
        assert set(applied.errors) == {"flow.0.aht_seconds", "flow.0.monthly_volume"}
        assert "answers.yaml" not in " ".join(applied.errors.values())
        assert "fast" in applied.errors["flow.0.aht_seconds"]

    def test_only_the_fields_the_form_shows_are_read(self, bank: Bank) -> None:
        """A posted field the form does not show (a flow's id, its channel) changes nothing."""
        applied = views.apply_whatif(ACME, {"flow.0.id": "renamed", "flow.0.channel": "email", "org.name": "X"},
                                     bank, "en")
        assert applied == views.WhatIfForm(ACME, {})


class TestDownloads:
    def test_report_is_the_cli_report(self, tmp_path: Path, policy: Policy) -> None:
        """The report of a version (with an override) is the page `arbitre report answers.yaml` writes."""
        chosen = [Chosen("order-taking", "keep_internal", "Union")]
        record = views.audit_record(ACME, policy, chosen)
        (tmp_path / "answers.yaml").write_text(ACME, encoding="utf-8")
        run = arbitre_in_process("report", "answers.yaml", "--lang", "fr", "--out", "report.html", "--override",
                                 "order-taking=keep_internal", "--reason", "Union", cwd=tmp_path)
        assert run.returncode == 0, run.stderr
        assert views.report_html(record, "fr") == (tmp_path / "report.html").read_text(encoding="utf-8")

    def test_brief_is_the_cli_brief(self, tmp_path: Path, policy: Policy) -> None:
        """The provider brief of a version is what `arbitre brief answers.yaml` prints today."""
        import datetime

        (tmp_path / "answers.yaml").write_text(ACME, encoding="utf-8")
        run = arbitre_in_process("brief", "answers.yaml", "--override", "order-taking=keep_internal", "--reason",
                                 "Union", cwd=tmp_path)
        made = views.brief_markdown(ACME, policy, [Chosen("order-taking", "keep_internal", "Union")], "en",
                                    datetime.date.today())
        assert made == run.stdout
