"""``arbitre ask`` in a real pseudo-terminal: the installed entry point, driven with pexpect.

The questions a flow gets depend on the answers (optional ones are skipped when they could not
change the decision), so the tests never count lines: a small driver waits for each prompt,
recognises the question by a fragment of its text and answers it, taking the default (Enter)
for any question it was not told about.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Union

import pytest

from conftest import arbitre_in_process
from engine.answers import load_answers

pexpect = pytest.importorskip("pexpect")
pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="pexpect needs a POSIX pseudo-terminal")

ARBITRE = Path(sys.executable).parent / "arbitre"
ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 20  # seconds per expected prompt: a hang fails instead of blocking
ENV = {**os.environ, "TERM": "dumb", "COLUMNS": "250", "LINES": "50"}
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
INTERRUPT = "<Ctrl-C>"  # an answer that sends Ctrl-C instead of a line

# What the questionnaire prints, in both languages.
PROGRESS = re.compile(r"^.* · question \d+.*\n")  # the line above a question that says where it stands
PROMPT = r"\r\n> "  # a question's input line; its default in [brackets] follows
ADD_FLOW = r"(?:Add another flow|Ajouter un autre flux)[ \u202f]?\? \[[^\]]*\] "
REVIEW = (r"(?:Number of an answer to change, r to see the answers again, or Enter to finish"
          r"|Numéro de la réponse à modifier, r pour revoir les réponses, ou Entrée pour terminer)[ \u202f]?: ")

Answer = Union[str, list[str]]  # a list answers the successive times the question is asked

ORGANISATION_EN: dict[str, Answer] = {
    "organisation's name": "Acme Retail",
    "which country is your organisation": "FR",
    "which currency": "EUR",
    "one hour of an in-house agent cost": "32",
    "share of your agents leave": "35",
    "What share of paid hours": "7",
    "hours a week does your in-house team": "50",
}
FLOW_EN: dict[str, Answer] = {
    "What do you call this flow": "Order taking",
    "On which channel": "phone",
    "What kind of contact": "order taking",
    "contacts does this flow receive": "12000",
    "How long does one contact take": "4:00",
    "price has a provider quoted": "2.10 per contact",
}

ORGANISATION_FR: dict[str, Answer] = {
    "nom de votre organisation": "Acme Détail",
    "quel pays votre organisation": "FR",
    "quelle devise": "EUR",
    "une heure de conseiller interne": "32,50",
    "part de vos conseillers": "35",
    "Quelle part des heures payées": "7",
    "votre équipe interne répond": "50",
}
FLOW_FR: dict[str, Answer] = {
    "Comment appelez-vous ce flux": "Prise de commande",
    "Par quel canal": "téléphone",
    "De quel type de contacts": "prise de commande",
    "contacts ce flux reçoit-il": "12 000",
    "Combien de temps faut-il": "4:00",
    "prix un prestataire a-t-il proposé": "2,10 par contact",
}


@dataclass
class Session:
    """What one run of ``arbitre ask`` showed and how it ended."""

    status: int | None
    transcript: str  # everything the terminal showed, \r\n made \n, styles removed
    asked: list[str] = field(default_factory=list)  # each question's text, in the order asked

    def recommendation(self, saved_line: str) -> str:
        """What was printed after the 'Answers saved' line and its blank line."""
        _, found, after = self.transcript.partition(saved_line + "\n\n")
        assert found, f"{saved_line!r} not shown:\n{self.transcript}"
        return after

    def count(self, fragment: str) -> int:
        return sum(fragment in question for question in self.asked)


def clean(text: str) -> str:
    return ANSI.sub("", text.replace("\r\n", "\n"))


def ask(cwd: Path, answers: dict[str, Answer], *args: str, add_flow: tuple[str, ...] = ("",),
        review: tuple[str, ...] = ("",), columns: int = 250) -> Session:
    """Run ``arbitre ask ARGS`` in a pseudo-terminal in ``cwd`` and answer every question.

    A question containing a key of ``answers`` (case counts) gets that answer: the next one of
    a list each time it is asked again, Ctrl-C for ``INTERRUPT``; any other question gets Enter.
    The 'another flow' and review prompts take ``add_flow`` and ``review`` in turn, then Enter.
    """
    child = pexpect.spawn(str(ARBITRE), ["ask", *args], cwd=str(cwd), env={**ENV, "COLUMNS": str(columns)},
                          encoding="utf-8", timeout=TIMEOUT, dimensions=(50, columns))
    log = io.StringIO()
    child.logfile_read = log
    child.delaybeforesend = None  # each send waits for its prompt: no need to wait more
    pending = {key: list(value) if isinstance(value, list) else value for key, value in answers.items()}
    add_flow_left, review_left = list(add_flow), list(review)
    asked: list[str] = []
    question = ""
    try:
        for _ in range(300):  # a questionnaire that loops fails rather than runs forever
            which = child.expect([PROMPT, ADD_FLOW, REVIEW, pexpect.EOF])
            if which == 3:
                break
            if which == 1:
                child.sendline(add_flow_left.pop(0) if add_flow_left else "")
                continue
            if which == 2:
                child.sendline(review_left.pop(0) if review_left else "")
                continue
            before = clean(child.before)
            if "\n\n" in before:  # a new question (a re-asked one follows its message directly)
                question = PROGRESS.sub("", before.rsplit("\n\n", 1)[1]).split("\n", 1)[0].strip()
                asked.append(question)
            key = next((k for k in pending if k in question), None)
            reply = pending.get(key, "") if key else ""
            if isinstance(reply, list):
                assert reply, f"{question!r} asked more often than expected:\n{clean(log.getvalue())}"
                reply = reply.pop(0)
            if reply == INTERRUPT:
                child.sendintr()
                child.expect(pexpect.EOF)
                break
            child.sendline(reply)
        else:
            pytest.fail(f"the questionnaire does not end:\n{clean(log.getvalue())}")
    except pexpect.TIMEOUT:
        pytest.fail(f"no prompt within {TIMEOUT} s:\n{clean(log.getvalue())}")
    finally:
        child.close()
    return Session(child.exitstatus, clean(log.getvalue()), asked)


def recommend(cwd: Path, *args: str) -> str:
    """What ``arbitre recommend ARGS`` prints, run in this process from ``cwd``."""
    run = arbitre_in_process("recommend", *args, cwd=cwd)
    assert run.returncode == 0, run.stderr
    return run.stdout


class TestHappyPath:
    def test_english(self, tmp_path: Path) -> None:
        """One flow answered in English: the answers file is written, the draft removed, and the
        recommendation printed is the one ``arbitre recommend`` gives for that file."""
        run = ask(tmp_path, {**ORGANISATION_EN, **FLOW_EN})
        assert run.status == 0, run.transcript
        assert run.count("organisation") and run.count("call this flow") == 1
        assert "\nYour organisation · question 1 of 10\n" in run.transcript
        assert "\nFlow 1 · question 1\nOn which channel" in run.transcript
        answers = load_answers(tmp_path / "answers.yaml")
        org, (flow,) = answers.organisation, answers.flows
        assert (org.name, org.country, org.currency) == ("Acme Retail", "FR", "EUR")
        assert (org.loaded_hourly_cost, org.annual_turnover_pct, org.absenteeism_pct) == (32, 35, 7)
        assert org.opening_hours_per_week == 50
        assert (flow.name, flow.id, flow.channel, flow.activity) == ("Order taking", "order-taking", "phone",
                                                                       "order_taking")
        assert (flow.monthly_volume, flow.aht_seconds) == (12000, 240)
        assert flow.vendor_quote is not None and flow.vendor_quote.per_contact == pytest.approx(2.10)
        assert sorted(p.name for p in tmp_path.iterdir()) == ["answers.yaml"]  # no draft left
        printed = run.recommendation("Answers saved to answers.yaml.")
        assert printed.startswith("Arbitre recommendation - Acme Retail")
        assert "Order taking (order-taking) - phone, 12,000 contacts/month" in printed
        assert re.search(r"Decision: (OUTSOURCE|HYBRID|KEEP IN-HOUSE)", printed)
        assert printed == recommend(tmp_path, "answers.yaml")

    def test_french(self, tmp_path: Path) -> None:
        """The same in French: French questions, French number formats, a French recommendation."""
        run = ask(tmp_path, {**ORGANISATION_FR, **FLOW_FR}, "--lang", "fr")
        assert run.status == 0, run.transcript
        assert "Votre organisation" in run.transcript and "Flux 1" in run.transcript
        assert run.count("nom de votre organisation") == 1 and run.count("appelez-vous ce flux") == 1
        assert not run.count("What do you call")
        answers = load_answers(tmp_path / "answers.yaml")
        org, (flow,) = answers.organisation, answers.flows
        assert (org.name, org.loaded_hourly_cost) == ("Acme Détail", 32.5)
        assert (flow.name, flow.id, flow.channel, flow.activity) == ("Prise de commande", "prise-de-commande",
                                                                       "phone", "order_taking")
        assert (flow.monthly_volume, flow.aht_seconds) == (12000, 240)
        assert flow.vendor_quote is not None and flow.vendor_quote.per_contact == pytest.approx(2.10)
        assert sorted(p.name for p in tmp_path.iterdir()) == ["answers.yaml"]
        printed = run.recommendation("Réponses enregistrées dans answers.yaml.")
        assert printed.startswith("Recommandation Arbitre")
        assert re.search(r"Décision\s?: (EXTERNALISER|HYBRIDE|GARDER EN INTERNE)", printed), printed
        assert printed == recommend(tmp_path, "answers.yaml", "--lang", "fr")


def test_invalid_answers_are_asked_again(tmp_path: Path) -> None:
    """A refused answer shows why and the hint, then the same question again; ? shows the help."""
    run = ask(tmp_path, {**ORGANISATION_EN, **FLOW_EN,
                         "On which channel": ["fax", "phone"],
                         "contacts does this flow receive": ["?", "-5", "lots", "12000"]})
    assert run.status == 0, run.transcript
    assert run.count("On which channel") == 1 and run.count("contacts does this flow receive") == 1
    hint = "Type ? for help.\n> "  # the message, then the same prompt again
    assert f"> fax\n  fax is not one of the choices: type a number from the list or a value's name. {hint}" \
        in run.transcript
    assert "> ?\nCalls, emails, chats or letters handled in a typical month" in run.transcript
    assert f"> -5\n  Expected a number of at least 0. {hint}" in run.transcript
    assert f"> lots\n  lots is not a number. {hint}" in run.transcript
    flow = load_answers(tmp_path / "answers.yaml").flows[0]
    assert (flow.channel, flow.monthly_volume) == ("phone", 12000)


def test_a_range_typed_is_saved_shown_again_and_the_recommendation_says_how_sure(tmp_path: Path) -> None:
    """A volume typed as a range is written as one; 'back' shows it as the answer in brackets, Enter
    keeps it; the recommendation printed at the end gives the decision's robustness."""
    run = ask(tmp_path, {**ORGANISATION_EN, **FLOW_EN,
                         "contacts does this flow receive": ["8000 to 15000", ""],
                         "How long does one contact take": ["back", "4:00"]})
    assert run.status == 0, run.transcript
    assert "> [8,000 to 15,000 contacts a month (likely 11,500)] \n" in run.transcript
    assert "monthly_volume: {low: 8000, likely: 11500, high: 15000}\n" in (tmp_path / "answers.yaml").read_text()
    assert "How sure:" in run.recommendation("Answers saved to answers.yaml.")


def test_back_changes_the_previous_answer(tmp_path: Path) -> None:
    """'back' returns to the previous question, showing the answer given; the new one replaces it."""
    run = ask(tmp_path, {**ORGANISATION_EN, **FLOW_EN,
                         "contacts does this flow receive": ["12000", "15000"],
                         "How long does one contact take": ["back", "4:00"]})
    assert run.status == 0, run.transcript
    assert run.count("contacts does this flow receive") == 2
    volume, aht = ("How many contacts does this flow receive in an average month?",
                   "How long does one contact take to handle, on average?")
    start = run.asked.index(volume)
    assert run.asked[start:start + 4] == [volume, aht, volume, aht]
    assert "> [12,000 contacts a month] 15000" in run.transcript
    flow = load_answers(tmp_path / "answers.yaml").flows[0]
    assert (flow.monthly_volume, flow.aht_seconds) == (15000, 240)


def test_interrupt_then_resume(tmp_path: Path) -> None:
    """Ctrl-C keeps every answer in the draft and says how to go on; --resume continues at the
    first unanswered question and the final file holds the answers of both runs."""
    first = ask(tmp_path, {**ORGANISATION_EN, **FLOW_EN, "How long does one contact take": INTERRUPT})
    assert first.status == 130, first.transcript
    assert ("Your answers so far are saved in answers.draft.yaml. To go on, run:\n"
            f"    {ARBITRE} ask --resume answers.draft.yaml --save answers.yaml --lang en\n") in first.transcript
    assert sorted(p.name for p in tmp_path.iterdir()) == ["answers.draft.yaml"]
    draft = (tmp_path / "answers.draft.yaml").read_text(encoding="utf-8")
    for typed in ('name: "Acme Retail"', 'country: "FR"', 'currency: "EUR"', "loaded_hourly_cost: 32",
                  "annual_turnover_pct: 35", "absenteeism_pct: 7", "opening_hours_per_week: 50",
                  'name: "Order taking"', 'id: "order-taking"', "channel: phone", "activity: order_taking",
                  "monthly_volume: 12000", "contract_months: null", "opportunity_cost_per_hour: null"):
        assert typed in draft, typed  # Enter on a default of none is in the draft as null
    assert "aht_seconds" not in draft

    # Answered again, the questions before the interrupt would be refused: they must not come.
    before: dict[str, Answer] = {key: [] for key in [*ORGANISATION_EN, *list(FLOW_EN)[:4]]}
    second = ask(tmp_path, {**FLOW_EN, **before}, "--resume", "answers.draft.yaml", "--save", "answers.yaml")
    assert second.status == 0, second.transcript
    assert "Resuming from answers.draft.yaml: 15 answers kept." in second.transcript  # three of them by Enter
    assert second.asked[0] == first.asked[-1] == "How long does one contact take to handle, on average?"
    assert set(first.asked[:-1]).isdisjoint(second.asked)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["answers.yaml"]
    answers = load_answers(tmp_path / "answers.yaml")
    org, (flow,) = answers.organisation, answers.flows
    assert (org.name, org.annual_turnover_pct, org.opening_hours_per_week) == ("Acme Retail", 35, 50)
    assert (flow.name, flow.channel, flow.monthly_volume, flow.aht_seconds) == ("Order taking", "phone", 12000, 240)
    assert flow.vendor_quote is not None and flow.vendor_quote.per_contact == pytest.approx(2.10)
    assert second.recommendation("Answers saved to answers.yaml.") == recommend(tmp_path, "answers.yaml")


@pytest.mark.parametrize("existing", ["answers.yaml", "answers.draft.yaml"])
def test_refuses_to_overwrite(tmp_path: Path, existing: str) -> None:
    """An answers file (or its draft) already there: exit 2 with a message, before any question."""
    path = tmp_path / existing
    path.write_text("organisation: {name: Kept}\n", encoding="utf-8")
    run = ask(tmp_path, {})
    assert run.status == 2, run.transcript
    assert (f"error: {existing} already exists: resume it with --resume {existing}, "
            "or choose another file with --save.") in run.transcript
    assert run.asked == []
    assert path.read_text(encoding="utf-8") == "organisation: {name: Kept}\n"
    assert [p.name for p in tmp_path.iterdir()] == [existing]


def test_text_is_wrapped_to_the_terminal_at_spaces(tmp_path: Path) -> None:
    """In a narrow terminal every line of help and message fits, and no word is cut."""
    help_text = "Calls, emails, chats or letters handled in a typical month"
    run = ask(tmp_path, {**ORGANISATION_EN, **FLOW_EN, "contacts does this flow receive": ["?", "12000"],
                         "How long does one contact take": INTERRUPT}, columns=50)
    assert run.status == 130, run.transcript
    shown = run.transcript.split("\n")
    assert all(len(line) <= 50 for line in shown if not line.startswith(("    ", "> "))), run.transcript
    assert help_text in " ".join(run.transcript.split())
    words = set(" ".join(shown).split())
    assert {"customer-contact", "organisation,", "previous"} <= words  # whole words, never cut


class TestNaturalAnswers:
    def test_french_names_amounts_and_percentages(self, tmp_path: Path) -> None:
        """Answered as a French director speaks: the country and the language by name, amounts with a
        euro sign and a unit, a peak as an increase. No id is asked: two flows of the same name get
        prise-de-commande and prise-de-commande-2. The review is shown again on 'relire', and the
        answers file speaks French."""
        natural: dict[str, Answer] = {
            "quel pays votre organisation": "France", "quelle devise": "",  # the euro, from the country
            "une heure de conseiller interne": "34,50 €", "Dans quelles langues": "français",
            "contacts ce flux reçoit-il": "12 000 appels par mois", "le mois le plus chargé": "+150 %",
            "prix un prestataire a-t-il proposé": "1,90 € par appel"}
        run = ask(tmp_path, {**ORGANISATION_FR, **FLOW_FR, **natural}, "--lang", "fr", "--all-questions",
                  add_flow=("oui",), review=("relire",))
        assert run.status == 0, run.transcript
        assert not run.count("identifiant")
        assert run.transcript.count("\nRelisez vos réponses\n") == 2
        answers = load_answers(tmp_path / "answers.yaml")
        org, flows = answers.organisation, answers.flows
        assert (org.country, org.currency, org.loaded_hourly_cost) == ("FR", "EUR", 34.5)
        assert [flow.id for flow in flows] == ["prise-de-commande", "prise-de-commande-2"]
        flow = flows[0]
        assert (flow.languages, flow.monthly_volume, flow.peak_ratio) == (("fr",), 12000, 2.5)
        assert flow.vendor_quote is not None and flow.vendor_quote.per_contact == pytest.approx(1.9)
        written = (tmp_path / "answers.yaml").read_text(encoding="utf-8")
        assert written.startswith("# Réponses pour Arbitre, écrites par arbitre ask.\n")
        assert "# Dans quel pays votre organisation est-elle établie ?\n" in written
        assert "Answers for" not in written and "What is your" not in written

    def test_english_names_and_dollars(self, tmp_path: Path) -> None:
        """Answered in English with names and a dollar sign; the review lists the answers given,
        then, apart, the questions left at their defaults, and is shown once."""
        natural: dict[str, Answer] = {
            "which country is your organisation": "United States", "which currency": "",
            "one hour of an in-house agent cost": "$38", "In which languages": "Spanish"}
        run = ask(tmp_path, {**ORGANISATION_EN, **FLOW_EN, **natural})
        assert run.status == 0, run.transcript
        assert "> [USD] \n" in run.transcript  # the currency offered is the country's
        assert not run.count("identifier")
        answers = load_answers(tmp_path / "answers.yaml")
        org, (flow,) = answers.organisation, answers.flows
        assert (org.country, org.currency, org.loaded_hourly_cost, flow.languages) == ("US", "USD", 38, ("es",))
        review = run.transcript.split("\nReview your answers\n", 1)[1]
        assert "Review your answers" not in review  # shown once
        given, defaults = review.split("Flow 1: Order taking\n", 1)[1].split("Left at their defaults (not asked, or Enter):", 1)
        assert "Id: order-taking (from the name)" in given and "Predictability" not in given
        assert "Predictability: medium" in " ".join(defaults.split())


def test_the_answers_file_names_the_policy_it_was_asked_with(tmp_path: Path) -> None:
    """Asked with a policy of one's own, the commands the answers file gives to recommend and to
    change it name that policy, as the draft's command does: they decide as the run just did."""
    policy = tmp_path / "policy"
    shutil.copytree(ROOT / "rules", policy)
    run = ask(tmp_path, {**ORGANISATION_EN, **FLOW_EN}, "--policy", str(policy))
    assert run.status == 0, run.transcript
    header = [line for line in (tmp_path / "answers.yaml").read_text(encoding="utf-8").splitlines()
              if line.startswith("# Recommend:") or line.startswith("# Change:")]
    assert len(header) == 2 and all(f"--policy {policy}" in line for line in header), header
