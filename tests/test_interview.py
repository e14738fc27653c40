"""The questionnaire's logic through a scripted console: no terminal, the real bank and policy."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from engine.answers import load_answers
from engine.interview.conversation import Interview, restore, slugify
from engine.load import parse_yaml
from engine.policy.loading import Policy
from engine.interview.questions import Bank, could_matter, load_questions, plain, to_yaml
from engine.recommend import recommend
from engine.typography import typeset

ARBITRE = Path(sys.executable).parent / "arbitre"

RULES = Path(__file__).resolve().parent.parent / "rules"

ORGANISATION = {"org.name": "Acme", "org.country": "FR", "org.currency": "EUR", "org.loaded_hourly_cost": "32",
                "org.annual_turnover_pct": "35", "org.absenteeism_pct": "8", "org.opening_hours_per_week": "50",
                "org.contract_months": "", "org.temp_staff_available": "yes", "org.opportunity_cost_per_hour": ""}
ORDERS = {"name": "Order taking", "id": "", "channel": "phone", "activity": "order taking",
          "monthly_volume": "12,000", "aht_seconds": "4:00", "vendor_quote": "2.10 per contact"}


@pytest.fixture(scope="session")
def bank() -> Bank:
    return load_questions(RULES)


class Scripted:
    """Answers each question from a script keyed by field (``org.`` before an organisation's field;
    a list is used up one answer at a time); Enter for every other question; ``after`` answers the
    other prompts (another flow? the review) in order."""

    def __init__(self, script: dict[str, Any], after: list[str] | None = None) -> None:
        self.script = {k: list(v) if isinstance(v, list) else [v] for k, v in script.items()}
        self.after = list(after or [])
        self.interview: Interview | None = None
        self.asked: list[str] = []
        self.said: list[str] = []
        self.prompts: list[str] = []

    def say(self, text: str = "") -> None:
        self.said.append(text)

    def ask(self, prompt: str) -> str:
        assert self.interview is not None
        self.prompts.append(prompt)
        question = self.interview.current
        if prompt.startswith(">") and question is not None:
            key = f"org.{question.field}" if question in self.interview.bank.organisation else question.field
            self.asked.append(key)
            answers = self.script.get(key)
            if answers:
                return str(answers.pop(0) if len(answers) > 1 else answers[0])
            return ""
        if not self.after:
            raise EOFError
        return self.after.pop(0)


def interview(bank: Bank, policy: Policy, console: Scripted, lang: str = "en",
              data: dict[str, Any] | None = None, all_questions: bool = False,
              saves: list[dict[str, Any]] | None = None) -> Interview:
    def save(answers: dict[str, Any]) -> None:
        if saves is not None:
            saves.append(to_yaml(answers, bank, lang))  # type: ignore[arg-type]

    run = Interview(bank, policy, lang, console, save, data, all_questions)  # type: ignore[arg-type]
    console.interview = run
    return run


def test_a_whole_questionnaire_gives_the_answers_typed(bank: Bank, policy: Policy, tmp_path: Path) -> None:
    console = Scripted({**ORGANISATION, **ORDERS}, after=["no", ""])
    data = interview(bank, policy, console).run()
    path = tmp_path / "answers.yaml"
    path.write_text(to_yaml(data, bank, "en"), encoding="utf-8")
    answers = load_answers(path)
    flow = answers.flows[0]
    assert (flow.id, flow.channel.value, flow.activity.value) == ("order-taking", "phone", "order_taking")
    assert (flow.monthly_volume, flow.aht_seconds) == (12000, 240)
    assert flow.vendor_quote is not None and flow.vendor_quote.per_contact == 2.1
    assert answers.organisation.annual_turnover_pct == 35
    # The activity's suggestion was offered and taken with Enter wherever the question was asked.
    taken = [field for field in bank.file.suggestions[flow.activity] if field in console.asked]
    assert taken
    for field in taken:
        assert plain(getattr(flow, field)) == bank.suggestion("order_taking", field), field


@pytest.mark.parametrize("field, typed, message", [
    ("monthly_volume", "-5", "Expected a number of at least 0."),
    ("monthly_volume", "lots", "lots is not a number."),
    ("monthly_volume", "12.5", "12.5 is not a whole number."),
    ("channel", "fax", "fax is not one of the choices"),
    ("aht_seconds", "0", "Expected a number of at least 1."),
    ("aht_seconds", "ten minutes", "ten minutes is not a duration"),
    ("monthly_volume", "12 000 €", "12 000 €: this question asks for a number (contacts a month), not an amount"),
    ("vendor_quote", "2.10 per email", "2.10 per email: “email” is not a contact of this flow (phone); type the "
                                       "price per contact, per call, per hour"),
])
def test_an_invalid_answer_is_asked_again_with_what_is_expected(bank: Bank, policy: Policy, field: str,
                                                               typed: str, message: str) -> None:
    script = {**ORGANISATION, **ORDERS}
    script[field] = [typed, script[field]]
    console = Scripted(script, after=["no", ""])
    data = interview(bank, policy, console).run()
    assert console.asked.count(field) == 2
    assert any(message in line and "Type ? for help." in line for line in console.said), console.said[-40:]
    assert data["flows"][0]["monthly_volume"] == 12000


def test_help_and_back(bank: Bank, policy: Policy) -> None:
    script = {**ORGANISATION, **ORDERS, "aht_seconds": ["?", "back", "300"], "monthly_volume": ["9000", "8000"]}
    console = Scripted(script, after=["no", ""])
    data = interview(bank, policy, console).run()
    help_text = next(q for q in bank.flows if q.field == "aht_seconds").text("help", "en")
    assert help_text in console.said
    # back from the handling time re-asked the volume; the second answer replaced the first
    assert console.asked[console.asked.index("aht_seconds"):][:3] == ["aht_seconds", "aht_seconds", "monthly_volume"]
    assert data["flows"][0]["monthly_volume"] == 8000 and data["flows"][0]["aht_seconds"] == 300


def test_back_at_the_first_question_goes_nowhere(bank: Bank, policy: Policy) -> None:
    console = Scripted({**ORGANISATION, "org.name": ["back", "Acme"], **ORDERS}, after=["no", ""])
    interview(bank, policy, console).run()
    assert "  " + bank.message("nothing_before", "en") in console.said


def test_back_crosses_into_the_previous_section(bank: Bank, policy: Policy) -> None:
    """'back' at a flow's first question returns to the organisation's last one, then goes on."""
    last = f"org.{bank.organisation[-1].field}"
    assert last == "org.opportunity_cost_per_hour"
    script = {**ORGANISATION, last: ["", "12"], **ORDERS, "channel": ["back", "phone"]}
    console = Scripted(script, after=["no", ""])
    data = interview(bank, policy, console).run()
    before = len(bank.organisation) - 1
    assert console.asked[before:before + 4] == [last, "channel", last, "channel"]
    assert data["organisation"]["opportunity_cost_per_hour"] == 12
    assert any(line == "== Your organisation ==" for line in console.said[-200:])


def test_back_after_resuming_returns_to_the_last_answer_of_the_draft(bank: Bank, policy: Policy) -> None:
    draft = {"organisation": {"name": "Acme"}, "flows": [{"name": "Orders", "id": "orders", "channel": "phone"}]}
    console = Scripted({"org.country": ["back", "FR"], "org.name": "Acme Retail", **ORDERS}, after=["no", ""])
    data = interview(bank, policy, console, data=draft).run()
    assert console.asked[:3] == ["org.country", "org.name", "org.country"]
    assert data["organisation"]["name"] == "Acme Retail"
    assert data["flows"][0]["id"] == "orders"  # answers after it are kept and not asked again
    assert "id" not in console.asked and "channel" not in console.asked


def test_every_answer_is_saved_at_once(bank: Bank, policy: Policy) -> None:
    saves: list[dict[str, Any]] = []
    console = Scripted({**ORGANISATION, **ORDERS}, after=[])  # the input ends at "add another flow?"
    with pytest.raises(EOFError):
        interview(bank, policy, console, saves=saves).run()
    last = parse_yaml(saves[-1], "draft").data  # type: ignore[arg-type]
    assert last["flows"][0]["monthly_volume"] == 12000 and last["organisation"]["name"] == "Acme"
    assert len(saves) == len(console.asked)  # one save per accepted answer


def test_resume_continues_at_the_first_unanswered_question(bank: Bank, policy: Policy) -> None:
    saves: list[dict[str, Any]] = []
    first = Scripted({**ORGANISATION, **ORDERS}, after=[])
    run = interview(bank, policy, first, saves=saves)

    def stop(prompt: str) -> str:
        if run.current is not None and run.current.field == "monthly_volume":
            raise KeyboardInterrupt
        return Scripted.ask(first, prompt)

    first.ask = stop  # type: ignore[method-assign]
    with pytest.raises(KeyboardInterrupt):
        run.run()
    data, problems = restore(parse_yaml(saves[-1], "draft.yaml"), bank)  # type: ignore[arg-type]
    assert not problems
    second = Scripted({**ORDERS}, after=["no", ""])
    resumed = interview(bank, policy, second, data=data).run()
    assert second.asked[0] == "monthly_volume"
    assert not {"name", "id", "channel", "activity", *ORGANISATION} & set(second.asked)
    assert resumed["flows"][0]["id"] == "order-taking" and resumed["organisation"]["name"] == "Acme"


def test_a_draft_with_bad_values_keeps_the_good_ones(bank: Bank) -> None:
    doc = parse_yaml("organisation:\n  name: Acme\n  country: France\nflows:\n  - id: a\n    monthly_volume: -3\n"
                     "    channel: phone\n    colour: blue\n", "draft.yaml")
    data, problems = restore(doc, bank)
    assert data == {"organisation": {"name": "Acme"}, "flows": [{"id": "a", "channel": "phone"}]}
    assert [(p.line, p.path) for p in problems] == [(3, "organisation.country"), (6, "flows[0].monthly_volume"),
                                                    (8, "flows[0].colour")]
    assert "two-letter code (ISO 3166-1)" in problems[0].message  # a file holds the code; asked again, a name will do


@pytest.mark.parametrize("lang, asked_again, left_out, id_remade", [
    pytest.param("en", "the question will be asked again.", "colour: not a question of the questionnaire; it is left "
                 "out, and the answers are saved without it.", "The flow id a is already used by another flow; this "
                 "flow gets an id made from its name, which the review can change.", id="en"),
    pytest.param("fr", "la question sera reposée.", "colour: cette réponse ne correspond à aucune question ; elle "
                 "est ignorée", "L'identifiant a est déjà utilisé par un autre flux ; ce flux reçoit un identifiant "
                 "tiré de son nom", id="fr"),
])
def test_a_resumed_file_says_what_becomes_of_each_answer_left_out(bank: Bank, lang: str, asked_again: str,
                                                                  left_out: str, id_remade: str) -> None:
    """A refused value is asked again, an unknown field is not saved, a repeated id is made from the name."""
    doc = parse_yaml("flows:\n  - id: a\n    monthly_volume: -3\n    colour: blue\n  - id: a\n", "draft.yaml")
    data, problems = restore(doc, bank, lang)  # type: ignore[arg-type]
    assert data["flows"] == [{"id": "a"}, {}]
    said = [str(p) for p in problems]
    assert said[0].startswith("draft.yaml:3: flows[0].monthly_volume: ") and said[0].endswith(asked_again)
    assert said[1].startswith(f"draft.yaml:4: flows[0].{left_out}")
    assert said[2].startswith(f"draft.yaml:5: flows[1].id: {id_remade}")


@pytest.mark.parametrize("flows", [
    pytest.param("[{name: A}, {name: B}]", id="two-flows-without-id"),
    pytest.param("[{id: null, name: A}, {id: null, name: B}]", id="two-null-ids"),
    pytest.param("[null, 3]", id="flows-that-are-not-mappings"),
])
def test_flows_without_an_id_are_not_taken_for_a_repeated_id(bank: Bank, flows: str) -> None:
    """A flow with no id is not a repeat of another flow with none: its id is asked, not made again."""
    data, problems = restore(parse_yaml(f"flows: {flows}\n", "draft.yaml"), bank)
    assert len(data["flows"]) == 2
    assert not [p for p in problems if "already used" in p.message]


@pytest.mark.parametrize("left", ["org.opportunity_cost_per_hour", "vendor_quote"])
def test_enter_on_a_default_of_none_is_kept_in_the_draft_and_not_asked_again(bank: Bank, policy: Policy,
                                                                             left: str) -> None:
    """Enter on a question whose default is none is written as null in the draft: the draft resumed
    goes on from the next question, and the review says the answer was left at its default."""
    saves: list[dict[str, Any]] = []
    first = Scripted({**ORGANISATION, **ORDERS, left: ""}, after=[])
    run = interview(bank, policy, first, saves=saves)

    def stop(prompt: str) -> str:
        if first.asked[-1:] == [left]:  # the prompt after the answer left at none
            raise KeyboardInterrupt
        return Scripted.ask(first, prompt)

    first.ask = stop  # type: ignore[method-assign]
    with pytest.raises(KeyboardInterrupt):
        run.run()
    field = left.removeprefix("org.")
    assert f"  {field}: null\n" in str(saves[-1])
    data, problems = restore(parse_yaml(saves[-1], "draft.yaml"), bank)  # type: ignore[arg-type]
    assert not problems
    second = Scripted({**ORDERS, left: "12"}, after=["no", ""])
    resumed = interview(bank, policy, second, data=data).run()
    assert left not in second.asked
    assert field not in resumed["organisation"] and field not in resumed["flows"][0]
    label = next(q for q in (*bank.organisation, *bank.flows) if q.field == field).text("label", "en")
    defaults = [line for line in second.said if line.startswith("  Left at their defaults")]
    assert any(f". {label}: " in line for line in defaults), defaults


def test_an_organisation_answer_left_empty_is_not_asked_again_on_resuming(bank: Bank, policy: Policy) -> None:
    """An answers file keeps no trace of a question without a default answered with Enter; before
    the file's last answer, it was passed and is not asked again."""
    draft = {"organisation": {"name": "Acme", "temp_staff_available": False},
             "flows": [{"name": "Orders", "id": "orders", "channel": "phone"}]}
    console = Scripted({**ORDERS}, after=["no", ""])
    data = interview(bank, policy, console, data=draft).run()
    assert "org.contract_months" not in console.asked and "org.opportunity_cost_per_hour" not in console.asked
    assert "org.country" in console.asked  # a question with a default leaves a trace: it was never reached
    assert "contract_months" not in data["organisation"] and data["organisation"]["temp_staff_available"] is False


def test_the_review_changes_any_answer(bank: Bank, policy: Policy) -> None:
    console = Scripted({**ORGANISATION, **ORDERS}, after=["no", "99999", "1", ""])
    console.script["org.name"] = ["Acme", "Acme Retail"]  # the second is typed at the review
    data = interview(bank, policy, console).run()
    assert data["organisation"]["name"] == "Acme Retail"
    assert any("99999 is not one of the choices" in line for line in console.said)


def test_french_answers(bank: Bank, policy: Policy) -> None:
    script = {**ORGANISATION, **ORDERS, "monthly_volume": "12 000", "aht_seconds": "4 min 30",
              "vendor_quote": "2,10 par contact", "channel": "téléphone", "activity": "prise de commande"}
    console = Scripted(script, after=["non", ""])
    data = interview(bank, policy, console, lang="fr").run()
    flow = data["flows"][0]
    assert (flow["monthly_volume"], flow["aht_seconds"], flow["vendor_quote"]) == (12000, 270, {"per_contact": 2.1})
    assert flow["activity"] == "order_taking"
    assert "== Flux 1 ==" in console.said and bank.message("review_title", "fr") in " ".join(console.said)


# --- the skip logic -------------------------------------------------------------------------------


def question(bank: Bank, field: str):  # type: ignore[no-untyped-def]
    return next(q for q in bank.flows if q.field == field)


TINY = {"id": "t", "channel": "email", "monthly_volume": 40, "aht_seconds": 300}
MASSIVE = {"id": "m", "channel": "phone", "activity": "order_taking", "monthly_volume": 50000, "aht_seconds": 240,
           "repetitiveness": "high", "scripting": "high", "complexity": "low"}


def decisions(policy: Policy, flow: dict[str, Any], field: str, values: list[Any]) -> set[str]:
    out = set()
    for value in values:
        answers = load_answers_from({"flows": [{**flow, field: value}]})
        out.add(recommend(answers, policy).flows[0].verdict.decision.value)
    return out


def load_answers_from(data: dict[str, Any]):  # type: ignore[no-untyped-def]
    from engine.models import Answers

    return Answers.model_validate(data)


def test_an_answer_that_cannot_change_the_decision_is_not_asked(bank: Bank, policy: Policy) -> None:
    # 40 e-mails a month stay in-house whatever their peak: the peak ratio is not asked...
    assert decisions(policy, TINY, "peak_ratio", [1.0, 1.5, 3.0, 10.0]) == {"keep_internal"}
    assert not could_matter(question(bank, "peak_ratio"), TINY, {}, policy)
    # ...but the price of a provider changes a massive, scripted flow's decision: it is asked.
    assert len(decisions(policy, MASSIVE, "vendor_quote", [{"per_contact": 0.5}, {"per_contact": 20}])) > 1
    assert could_matter(question(bank, "vendor_quote"), MASSIVE, {}, policy)


def test_an_answer_that_matters_only_with_another_unknown_one_is_asked(bank: Bank, policy: Policy) -> None:
    """Without a quote, the in-house hourly cost cannot change anything; with one it can. While the
    quote is still unknown, the hourly cost is screened with the quote's plausible values too."""
    orders = {"id": "o", "channel": "phone", "activity": "order_taking", "monthly_volume": 12000, "aht_seconds": 240}
    cost, quote = question(bank, "loaded_hourly_cost"), question(bank, "vendor_quote")
    assert not could_matter(cost, orders, {}, policy)
    assert could_matter(cost, orders, {}, policy, partners=[quote])
    assert not could_matter(cost, orders, {}, policy, partners=[question(bank, "current_fte")])


def test_the_interview_skips_and_counts(bank: Bank, policy: Policy) -> None:
    tiny = {"name": "Letters", "id": "", "channel": "email", "activity": "something else", "monthly_volume": "40",
            "aht_seconds": "300"}
    console = Scripted({**ORGANISATION, **tiny}, after=["no", ""])
    skipping = interview(bank, policy, console)
    skipping.run()
    everything = Scripted({**ORGANISATION, **tiny}, after=["no", ""])
    interview(bank, policy, everything, all_questions=True).run()
    asked, skipped = skipping.tallies[0].asked, skipping.tallies[0].skipped
    assert "repetitiveness" in skipped and "repetitiveness" not in asked and "repetitiveness" in everything.asked
    assert len(everything.asked) > len(console.asked)
    assert bank.message("skipped", "en", count=len(skipped)) in console.said
    # a question that does not apply is asked in neither mode: no regulated data without sensitive data
    assert "provider_country" not in everything.asked  # only once a quote is known


def test_a_skipped_question_is_asked_once_a_later_answer_makes_it_matter(bank: Bank, policy: Policy) -> None:
    """Screened before the quote is known, a question is looked at again with every answer in."""
    console = Scripted({**ORGANISATION, **ORDERS, "vendor_quote": "0.5 per contact"}, after=["no", ""])
    run = interview(bank, policy, console)
    run.run()
    flow = run.data["flows"][0]
    for field in run.tallies[0].skipped:
        assert not could_matter(question(bank, field), flow, run.data["organisation"], policy), field


def test_a_chat_flow_with_a_monthly_profile(bank: Bank, policy: Policy) -> None:
    """Chat asks how many conversations an agent holds at once, a phone flow does not; a monthly
    profile gives the peak, so the peak ratio is not asked after it."""
    profile = "900; 900; 1000; 1000; 1000; 1100; 1500; 1500; 1000; 1000; 1000; 1100"
    script = {**ORGANISATION, **ORDERS, "channel": ["chat", "phone"], "concurrency": "1.5",
              "monthly_profile": [profile, "none"],
              "name": ["Orders by chat", "Orders by phone"], "id": ["orders-chat", "orders-phone"]}
    console = Scripted(script, after=["yes", "no", ""])
    data = interview(bank, policy, console, all_questions=True).run()
    chat, phone = data["flows"]
    assert chat["concurrency"] == 1.5 and "concurrency" not in phone
    assert console.asked.count("concurrency") == 1
    assert chat["monthly_profile"][6] == 1500 and "peak_ratio" not in chat
    assert console.asked.count("peak_ratio") == 1 and "monthly_profile" not in phone  # the phone flow: none
    assert load_answers_from(data).flows[0].busiest_over_average == pytest.approx(1500 / (13000 / 12))


def test_slugs() -> None:
    assert slugify("Prise de commande (été)") == "prise-de-commande-ete"
    assert slugify("  --  ") == ""


# --- the command without a terminal ----------------------------------------------------------------


def run_ask(tmp_path: Path, lines: list[str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(ARBITRE), "ask", *args], input="\n".join(lines) + "\n", capture_output=True,
                          text=True, cwd=tmp_path, timeout=60)


def test_piped_answers_write_the_file_and_print_the_recommendation(tmp_path: Path) -> None:
    lines = [*ORGANISATION.values(), "phone", "order taking", "", "", "12000", "4:00"] + [""] * 40
    run = run_ask(tmp_path, lines)
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "answers.yaml").exists() and not (tmp_path / "answers.draft.yaml").exists()
    again = subprocess.run([str(ARBITRE), "recommend", "answers.yaml"], capture_output=True, text=True, cwd=tmp_path)
    assert run.stdout == again.stdout
    flow = load_answers(tmp_path / "answers.yaml").flows[0]
    assert (flow.name, flow.id) == ("Order taking (phone)", "order-taking-phone")  # suggested, taken with Enter
    assert "How many contacts does this flow receive in an average month?" in run.stderr
    assert "How many contacts" not in run.stdout  # the questions go to standard error


def test_input_that_ends_early_leaves_a_draft_and_says_how_to_go_on(tmp_path: Path) -> None:
    run = run_ask(tmp_path, [*ORGANISATION.values(), "phone", "order taking", "Order taking"], "--lang", "fr")
    assert run.returncode == 2
    assert "arbitre ask --resume answers.draft.yaml --save answers.yaml --lang fr" in run.stderr
    draft = (tmp_path / "answers.draft.yaml").read_text(encoding="utf-8")
    assert 'name: "Order taking"' in draft and "# Comment appelez-vous ce flux ?" in draft
    resumed = run_ask(tmp_path, ["", "12000", "4:00"] + [""] * 40,
                      "--resume", "answers.draft.yaml", "--lang", "fr")
    assert resumed.returncode == 0, resumed.stderr
    assert load_answers(tmp_path / "answers.yaml").flows[0].name == "Order taking"


def test_an_existing_answers_file_is_never_overwritten(tmp_path: Path) -> None:
    (tmp_path / "answers.yaml").write_text("mine\n", encoding="utf-8")
    run = run_ask(tmp_path, ["Acme"])
    assert run.returncode == 2 and "answers.yaml already exists" in run.stderr
    assert (tmp_path / "answers.yaml").read_text(encoding="utf-8") == "mine\n"


def test_back_at_add_another_flow_asks_the_last_question_again(bank: Bank, policy: Policy) -> None:
    console = Scripted({**ORGANISATION, **ORDERS}, after=["back", "no", ""])
    run = interview(bank, policy, console)
    data = run.run()
    last = max(run.history)
    assert console.asked.count(bank.flows[last[1]].field) == 2
    assert data["flows"][0]["monthly_volume"] == 12000


def test_the_organisations_figure_confirmed_for_a_flow_is_kept(bank: Bank, policy: Policy) -> None:
    console = Scripted({**ORGANISATION, **ORDERS}, after=["no", ""])
    data = interview(bank, policy, console, all_questions=True).run()
    flow = data["flows"][0]
    assert flow["coverage_hours_needed"] == 50  # the organisation's opening hours, taken with Enter
    assert flow["loaded_hourly_cost"] == 32


def test_the_way_to_go_on_names_the_command_as_it_was_run(tmp_path: Path) -> None:
    """Run by a path under the current folder, the command to resume is that path, on a line of its own."""
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "arbitre").symlink_to(ARBITRE)
    run = subprocess.run(["bin/arbitre", "ask"], input="Acme\n", capture_output=True, text=True, cwd=tmp_path,
                         timeout=60)
    assert run.returncode == 2
    assert "To go on, run:\n    bin/arbitre ask --resume answers.draft.yaml --save answers.yaml --lang en\n" \
        in run.stderr


# --- where the questionnaire stands ----------------------------------------------------------------


def progress_lines(console: Scripted) -> list[str]:
    return [line for line in console.said if " · question " in line]


def test_each_question_says_where_it_stands(bank: Bank, policy: Policy) -> None:
    """Organisation questions count to their number; a flow's count, once its required answers are
    in, adds the questions expected to come."""
    console = Scripted({**ORGANISATION, **ORDERS}, after=["no", ""])
    run = interview(bank, policy, console)
    run.run()
    lines = progress_lines(console)
    total = len(bank.organisation)
    assert lines[:total] == [f"Your organisation · question {n} of {total}" for n in range(1, total + 1)]
    flow = lines[total:]
    assert flow[0] == "Flow 1 · question 1"
    assert flow[-1].startswith(f"Flow 1 · question {len(flow)} of about ")
    assert len(flow) == len(run.tallies[0].asked)  # as many as the count at the end of the flow says
    last_total = int(flow[-1].rsplit(" ", 1)[1])
    assert last_total >= len(flow) and any(line.endswith(f"of about {last_total}") for line in flow)


def test_the_progress_line_is_in_french(bank: Bank, policy: Policy) -> None:
    script = {**ORGANISATION, **ORDERS, "channel": "téléphone", "activity": "prise de commande"}
    console = Scripted(script, after=["non", ""])
    interview(bank, policy, console, lang="fr").run()
    lines = progress_lines(console)
    assert lines[0] == f"Votre organisation · question 1 sur {len(bank.organisation)}"
    assert "Flux 1 · question 1" in lines and any(" sur environ " in line for line in lines)


def test_after_resuming_the_counts_include_the_answers_of_the_draft(bank: Bank, policy: Policy) -> None:
    """The draft's answers were asked before: the question number and the flow's count go on from them."""
    draft = {"organisation": {"name": "Acme"},
             "flows": [{"name": "Orders", "id": "orders", "channel": "phone", "activity": "order_taking",
                        "monthly_volume": 12000}]}
    console = Scripted({**ORGANISATION, **ORDERS}, after=["no", ""])
    run = interview(bank, policy, console, data=draft)
    run.run()
    first_of_flow = next(line for line in progress_lines(console) if line.startswith("Flow 1"))
    assert first_of_flow == "Flow 1 · question 5"  # after the 4 answers kept (the id was not asked)
    asked = len([key for key in console.asked if not key.startswith("org.")]) + 4
    assert bank.message("asked_count", "en", asked=asked) in console.said


# --- the flow's id and the review --------------------------------------------------------------------


def test_the_flow_id_is_made_from_the_name_and_unique_in_the_file(bank: Bank, policy: Policy) -> None:
    """No question asks for an id: each flow gets its name's, with -2 when another flow has it."""
    console = Scripted({**ORGANISATION, **ORDERS}, after=["yes", "no", ""])
    data = interview(bank, policy, console).run()
    assert [flow["id"] for flow in data["flows"]] == ["order-taking", "order-taking-2"]
    assert "id" not in console.asked
    assert load_answers_from(data).flows[1].id == "order-taking-2"


COMPLETE = {"organisation": {"name": "Acme", "country": "FR", "currency": "EUR"},
            "flows": [{"channel": "phone", "name": "Orders", "id": "orders", "monthly_volume": 9000, "aht_seconds": 200},
                      {"channel": "email", "name": "Returns", "id": "legacy-7", "monthly_volume": 900,
                       "aht_seconds": 300}]}


def reviewed(bank: Bank, policy: Policy, script: dict[str, Any], numbers: list[tuple[int, str]],
             lang: str = "en") -> tuple[Interview, Scripted]:
    """The review of ``COMPLETE`` alone, changing the answers to the questions named in ``numbers``
    (flow number, field: 0 for the organisation) with ``script``, then Enter."""
    console = Scripted(script)
    run = interview(bank, policy, console, lang=lang, data=COMPLETE)
    entries = run.entries()
    console.after = [str(next(i for i, e in enumerate(entries, 1) if (e.number, e.question.field) == wanted))
                     for wanted in numbers] + [""]
    run.review()
    return run, console


def test_a_changed_name_changes_an_id_made_from_it_but_not_a_chosen_one(bank: Bank, policy: Policy) -> None:
    """An answers file's own ids are kept; an id made from a name follows the name."""
    run, _ = reviewed(bank, policy, {"name": ["Phone orders", "Returned goods"]}, [(1, "name"), (2, "name")])
    assert [(f["name"], f["id"]) for f in run.data["flows"]] == [("Phone orders", "phone-orders"),
                                                                ("Returned goods", "legacy-7")]


def test_the_id_is_changed_in_the_review_and_checked(bank: Bank, policy: Policy) -> None:
    """The id is listed with the answers; a bad or taken one is refused, a good one kept."""
    run, console = reviewed(bank, policy, {"id": ["Order Taking!", "legacy-7", "phone-orders"]}, [(1, "id")])
    assert run.data["flows"][0]["id"] == "phone-orders"
    said = "\n".join(console.said)
    assert "is not an id" in said and "The flow id legacy-7 is already used by another flow." in said
    assert console.said[-1].endswith(". Id: phone-orders")


def test_the_review_lists_the_answers_then_the_defaults_once(bank: Bank, policy: Policy) -> None:
    """Answers given are listed one a line with their labels; questions never asked are not among
    them but after, as left at their defaults; a change shows the changed line, not the whole list."""
    run, console = reviewed(bank, policy, {"org.name": "Acme Retail"}, [(0, "name")])
    said = "\n".join(console.said)
    assert said.count("== Review your answers ==") == 1
    assert "\n  1. Name: Acme\n" in said and console.said[-1] == "  1. Name: Acme Retail"
    flow_lines = said.split("Flow 1: Orders\n", 1)[1].split("Flow 2:", 1)[0].splitlines()
    answered, (defaults,) = flow_lines[:-1], flow_lines[-1:]
    assert [line.split(". ", 1)[1].split(":")[0] for line in answered] == [
        "Channel", "Name", "Id", "Monthly volume", "Handling time"]
    assert defaults.startswith("  Left at their defaults (not asked, or Enter): ") and "Predictability: medium" in defaults
    assert "volume_predictability" not in said and "repetitiveness" not in said  # labels, not field names


def test_the_review_is_shown_again_on_request_in_either_language(bank: Bank, policy: Policy) -> None:
    for lang, word, title in (("en", "r", "Review your answers"), ("fr", "relire", "Relisez vos réponses")):
        console = Scripted({}, after=[word, ""])
        interview(bank, policy, console, lang=lang, data=COMPLETE).review()
        assert console.said.count(f"== {title} ==") == 2, lang


@pytest.mark.parametrize("lang, organisation, predictability", [
    pytest.param("en", "Contract length: 36 months (the policy's default);", "Predictability: medium;", id="en"),
    pytest.param("fr", "Durée du contrat : 36 mois (valeur par défaut de la politique) ;", "Prévisibilité : moyenne ;",
                 id="fr"),
])
def test_the_review_says_what_stands_for_a_figure_nobody_gave(bank: Bank, policy: Policy, lang: str,
                                                              organisation: str, predictability: str) -> None:
    """A contract length nobody gave shows the policy's term, not 'none'; choices show their short
    label, the explanation being the question's."""
    console = Scripted({}, after=[""])
    interview(bank, policy, console, lang=lang, data=COMPLETE).review()
    said = "\n".join(console.said)
    assert typeset(organisation, lang) in said and typeset(predictability, lang) in said
    assert "none (" not in said and "néant (" not in said


def test_enter_on_a_length_nobody_gave_leaves_it_to_the_policy(bank: Bank, policy: Policy) -> None:
    """The contract length offers the policy's term and, taken with Enter, leaves the answer unset."""
    console = Scripted({**ORGANISATION, **ORDERS}, after=["no", ""])
    data = interview(bank, policy, console, all_questions=True).run()
    assert "contract_months" not in data["organisation"] and "contract_months" not in data["flows"][0]
    assert any(line.startswith("> [36 months — the policy's default]") for line in console.prompts)


@pytest.mark.parametrize("lang, said", [
    pytest.param("en", "  ! {}. Chats at once (Flow 1: Orders): 3 conversations at once is for chat only: on the phone "
                 "channel an agent handles one contact at a time; type 1, or change the channel.", id="en"),
    pytest.param("fr", "  ! {}. Chats simultanés (Flux 1 : Orders) : 3 conversations à la fois ne vaut que pour le chat "
                 ": sur le canal téléphone, un conseiller traite un contact à la fois ; tapez 1, ou changez de canal.",
                 id="fr"),
])
def test_a_problem_at_the_review_is_said_with_the_questions_label(bank: Bank, policy: Policy, lang: str,
                                                                   said: str) -> None:
    """What the answers model refuses is shown under the answer's number and label, with its value and
    what to do, in the questionnaire's language; typing 1 at that number settles it."""
    data = {"organisation": COMPLETE["organisation"], "flows": [{**COMPLETE["flows"][0], "concurrency": 3}]}
    console = Scripted({"concurrency": "1"})
    run = interview(bank, policy, console, lang=lang, data=data)
    number = next(i for i, e in enumerate(run.entries(), 1) if e.question.field == "concurrency")
    console.after = [str(number), ""]
    run.review()
    assert typeset(said.format(number), lang) in console.said
    assert "concurrency" not in "\n".join(console.said) and run.problems(run.entries()) == []


def test_an_answer_that_no_longer_applies_is_dropped(bank: Bank, policy: Policy) -> None:
    """A chat flow changed to phone in the review loses its concurrency: the question is for chats."""
    data = {"organisation": COMPLETE["organisation"],
            "flows": [{**COMPLETE["flows"][0], "channel": "chat", "concurrency": 3}]}
    console = Scripted({"channel": "phone"})
    run = interview(bank, policy, console, data=data)
    console.after = [str(next(i for i, e in enumerate(run.entries(), 1) if e.question.field == "channel")), ""]
    run.review()
    assert "concurrency" not in run.data["flows"][0] and run.problems(run.entries()) == []


# --- ranges ---------------------------------------------------------------------------------------


VOLUME = {"low": 8000, "likely": 11500, "high": 15000}


@pytest.mark.parametrize("lang, field, typed, want", [
    pytest.param("en", "monthly_volume", "8000-15000", VOLUME, id="dash"),
    pytest.param("en", "monthly_volume", "8,000 to 15,000", VOLUME, id="to"),
    pytest.param("en", "monthly_volume", "between 8000 and 15000 contacts a month", VOLUME, id="between-unit"),
    pytest.param("en", "monthly_volume", "11000 (8000-15000)", {**VOLUME, "likely": 11000}, id="likely-first"),
    pytest.param("en", "aht_seconds", "240 ± 15 %", {"low": 204, "likely": 240, "high": 276}, id="plus-minus-pct"),
    pytest.param("en", "aht_seconds", "240 +/- 15%", {"low": 204, "likely": 240, "high": 276}, id="ascii-pct"),
    pytest.param("en", "aht_seconds", "240 ± 30", {"low": 210, "likely": 240, "high": 270}, id="spread-in-unit"),
    pytest.param("en", "aht_seconds", "4:00-5:00", {"low": 240, "likely": 270, "high": 300}, id="durations"),
    pytest.param("en", "org.loaded_hourly_cost", "€30 to €34", {"low": 30, "likely": 32, "high": 34}, id="money"),
    pytest.param("fr", "monthly_volume", "8 000 à 15 000", VOLUME, id="fr-a"),
    pytest.param("fr", "monthly_volume", "entre 8 000 et 15 000", VOLUME, id="fr-entre"),
    pytest.param("fr", "monthly_volume", "12 000 à 15 000 appels par mois", {"low": 12000, "likely": 13500,
                                                                            "high": 15000}, id="fr-unit"),
    pytest.param("fr", "monthly_volume", "11 000 (8 000 à 15 000)", {**VOLUME, "likely": 11000}, id="fr-likely-first"),
    pytest.param("fr", "org.loaded_hourly_cost", "30 € à 34 €", {"low": 30, "likely": 32, "high": 34}, id="fr-money"),
    pytest.param("fr", "org.loaded_hourly_cost", "30,50 à 34,50 € de l'heure", {"low": 30.5, "likely": 32.5,
                                                                               "high": 34.5}, id="fr-decimal-unit"),
])
def test_a_numeric_answer_may_be_typed_as_a_range(bank: Bank, policy: Policy, lang: str, field: str, typed: str,
                                                  want: dict[str, float]) -> None:
    """The range is what the answers hold; its likely value is the answer the interview goes on with."""
    number, name = (0, field[4:]) if field.startswith("org.") else (1, field)
    run, console = reviewed(bank, policy, {field: typed}, [(number, name)], lang)
    values = run.data["organisation"] if number == 0 else run.data["flows"][0]
    written = run.written()
    assert (written["organisation"] if number == 0 else written["flows"][0])[name] == want
    assert values[name] == want["likely"]
    assert console.asked.count(field) == 1


@pytest.mark.parametrize("field, typed, message", [
    pytest.param("monthly_volume", "15000-8000", "15000-8000: a range goes from the lowest value to the highest",
                 id="high-first"),
    pytest.param("monthly_volume", "9000 (10000-15000)", "a range goes from the lowest value to the highest",
                 id="likely-outside"),
    pytest.param("monthly_volume", "-5 to 10", "Expected a number of at least 0.", id="bound-below-minimum"),
    pytest.param("monthly_volume", "8000.5-9000", "8000.5 is not a whole number.", id="bound-not-whole"),
    pytest.param("monthly_volume", "8000 to 15000 €", "15000 €: this question asks for a number (contacts a month), "
                 "not an amount", id="bound-with-currency"),
    pytest.param("aht_seconds", "240 ± 0:0:0:5", "is not a duration", id="bad-spread"),
    pytest.param("channel", "phone to email", "phone to email: this question takes a single answer, not a range.",
                 id="choice"),
    pytest.param("channel", "1-3", "1-3: this question takes a single answer, not a range.", id="choice-numbers"),
])
def test_a_range_that_cannot_be_taken_is_asked_again_with_what_is_expected(bank: Bank, policy: Policy, field: str,
                                                                           typed: str, message: str) -> None:
    script = {**ORGANISATION, **ORDERS}
    script[field] = [typed, script[field]]
    console = Scripted(script, after=["no", ""])
    interview(bank, policy, console).run()
    assert console.asked.count(field) == 2
    assert any(message in line and "Type ? for help." in line for line in console.said), console.said[-40:]


def test_a_range_on_a_yes_no_question_is_refused(bank: Bank, policy: Policy) -> None:
    console = Scripted({**ORGANISATION, "org.temp_staff_available": ["yes to no", "yes"], **ORDERS},
                       after=["no", ""])
    data = interview(bank, policy, console).run()
    assert data["organisation"]["temp_staff_available"] is True
    assert any("yes to no: this question takes a single answer, not a range." in line for line in console.said)


@pytest.mark.parametrize("lang, shown", [
    pytest.param("en", "Monthly volume: 8,000 to 15,000 contacts a month (likely 11,500)", id="en"),
    pytest.param("fr", "Volume mensuel\u202f: 8\u202f000 à 15\u202f000 contacts par mois (probable 11\u202f500)", id="fr"),
])
def test_a_range_is_saved_resumed_and_shown_in_the_review(bank: Bank, policy: Policy, tmp_path: Path, lang: str,
                                                          shown: str) -> None:
    """The draft keeps the range as {low, likely, high} under its question; resuming restores it, the
    review shows it, Enter on its question keeps it, and the file reads back with the same range."""
    from engine.answers import load_estimates
    from engine.ranges import Estimate

    saves: list[dict[str, Any]] = []
    first = Scripted({**ORGANISATION, **ORDERS, "monthly_volume": "8000-15000"}, after=[])
    with pytest.raises(EOFError):
        interview(bank, policy, first, lang=lang, saves=saves).run()
    draft = str(saves[-1])
    prompt = next(q.text("prompt", lang) for q in bank.flows if q.field == "monthly_volume")
    assert f"    # {prompt}\n    monthly_volume: {{low: 8000, likely: 11500, high: 15000}}\n" in draft
    data, problems = restore(parse_yaml(draft, "draft.yaml"), bank, lang)  # type: ignore[arg-type]
    assert not problems and data["flows"][0]["monthly_volume"] == VOLUME
    second = Scripted({}, after=["non" if lang == "fr" else "no"])
    run = interview(bank, policy, second, lang=lang, data=data)
    entries = run.entries()
    number = next(i for i, e in enumerate(entries, 1) if (e.number, e.question.field) == (1, "monthly_volume"))
    second.after += [str(number), ""]  # the range's question again, Enter
    written = run.run()
    assert f"  {number}. {shown}" in second.said
    assert any(prompt.startswith("> [8") and "15" in prompt for prompt in second.prompts)
    assert written["flows"][0]["monthly_volume"] == VOLUME
    path = tmp_path / "answers.yaml"
    path.write_text(to_yaml(written, bank, lang), encoding="utf-8")  # type: ignore[arg-type]
    estimated = load_estimates(path)
    assert estimated.ranges == {("flows", 0, "monthly_volume"): Estimate(8000, 11500, 15000)}
    assert estimated.answers.flows[0].monthly_volume == 11500


def test_a_single_answer_in_place_of_a_range_drops_the_range(bank: Bank, policy: Policy) -> None:
    data = {**COMPLETE, "flows": [{**COMPLETE["flows"][0], "monthly_volume": VOLUME}, COMPLETE["flows"][1]]}
    console = Scripted({"monthly_volume": "12000"})
    run = interview(bank, policy, console, data=data)
    entries = run.entries()
    console.after = [str(next(i for i, e in enumerate(entries, 1) if (e.number, e.question.field) == (1, "monthly_volume"))), ""]
    run.review()
    assert run.written()["flows"][0]["monthly_volume"] == 12000


def test_a_resumed_file_keeps_its_ranges_and_asks_again_for_a_wrong_one(bank: Bank) -> None:
    doc = parse_yaml("organisation:\n  loaded_hourly_cost: 32 ± 10 %\nflows:\n  - id: a\n"
                     "    monthly_volume: {low: 9000, high: 5000}\n    aht_seconds: {low: -4, high: 300}\n"
                     "    channel: {low: 1, high: 2}\n", "draft.yaml")
    data, problems = restore(doc, bank)
    assert data == {"organisation": {"loaded_hourly_cost": {"low": 28.8, "likely": 32, "high": 35.2}},
                    "flows": [{"id": "a"}]}
    said = [str(p) for p in problems]
    assert said[0].startswith("draft.yaml:5: flows[0].monthly_volume: {'low': 9000, 'high': 5000} is not a range")
    assert said[1].startswith("draft.yaml:6: flows[0].aht_seconds: Expected a number of at least 1")
    assert said[2].startswith("draft.yaml:7: flows[0].channel: {'low': 1, 'high': 2}: this question takes a single")
    assert all(line.endswith("the question will be asked again.") for line in said)


@pytest.mark.parametrize("lang, field, mentions", [
    pytest.param("en", "monthly_volume", True, id="en-number"),
    pytest.param("fr", "aht_seconds", True, id="fr-duration"),
    pytest.param("en", "channel", False, id="choice"),
])
def test_the_help_of_a_numeric_question_mentions_ranges_once(bank: Bank, policy: Policy, lang: str, field: str,
                                                            mentions: bool) -> None:
    script = {**ORGANISATION, **ORDERS}
    script[field] = ["?", script[field]]
    console = Scripted(script, after=["no" if lang == "en" else "non", ""])
    interview(bank, policy, console, lang=lang).run()
    help_text = typeset(bank.message("range_help", lang), lang)  # type: ignore[arg-type]
    assert console.said.count(help_text) == (1 if mentions else 0)


@pytest.mark.parametrize("lang, cost, languages", [
    pytest.param("en", "Loaded hourly cost: EUR\u00a034.50 per hour\n", "Languages: none\n", id="en"),
    pytest.param("fr", "Coût horaire complet : 34,50\u00a0€ de l'heure\n", "Langues : aucune\n", id="fr"),
])
def test_the_review_shows_an_amount_with_the_organisations_currency(bank: Bank, policy: Policy, lang: str,
                                                                   cost: str, languages: str) -> None:
    """An hourly cost reads back with its cents and the organisation's currency, and an empty list
    of languages as none (French: aucune, not néant)."""
    data = {"organisation": {**COMPLETE["organisation"], "loaded_hourly_cost": 34.5},
            "flows": [{**COMPLETE["flows"][0], "languages": []}]}
    console = Scripted({}, after=[""])
    interview(bank, policy, console, lang=lang, data=data).review()
    said = "\n".join(console.said)
    assert typeset(cost, lang) in said and typeset(languages, lang) in said
