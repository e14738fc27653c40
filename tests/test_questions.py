"""The question bank: consistency with the answers model, typed text to values, the YAML it writes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from benchmarks.generate import generate_answers

from engine.answers import load_answers
from engine.errors import PolicyError
from engine.models import Flow, Organisation
from engine.interview.questions import (Bank, Refusal, SkipMemo, applies, check, could_matter, load_questions, parse,
                                       parse_number, parse_seconds, show, to_yaml)
from engine.policy.loading import Policy, load_policy

RULES = Path(__file__).resolve().parent.parent / "rules"


@pytest.fixture(scope="session")
def bank() -> Bank:
    return load_questions(RULES)


def question(bank: Bank, field: str):  # type: ignore[no-untyped-def]
    return next(q for q in bank.flows if q.field == field)


def test_every_field_has_one_question_in_both_languages(bank: Bank) -> None:
    assert [q.field for q in bank.organisation] == list(dict.fromkeys(q.field for q in bank.organisation))
    assert {q.field for q in bank.organisation} == set(Organisation.model_fields)
    assert {q.field for q in bank.flows} == set(Flow.model_fields)
    for q in (*bank.organisation, *bank.flows):
        for lang in ("en", "fr"):
            assert q.text("prompt", lang).strip() and q.text("help", lang).strip(), q.field
            for choice in q.choices:
                assert choice.label(lang).strip()
    # The required answers of a flow are required questions, or made from other answers (the id from
    # the name), and nothing else is.
    required = {name for name, info in Flow.model_fields.items() if info.is_required()}
    assert {q.field for q in bank.flows if q.ask in ("required", "derived")} == required
    assert {q.field for q in bank.flows if q.ask == "derived"} == {"id"}


def _copy_with(tmp_path: Path, edit) -> Path:  # type: ignore[no-untyped-def]
    root = tmp_path / "rules"
    shutil.copytree(RULES, root)
    data = yaml.safe_load((root / "questions.yaml").read_text(encoding="utf-8"))
    edit(data)
    (root / "questions.yaml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return root


@pytest.mark.parametrize("edit, expected", [
    (lambda d: d["flows"].pop(), "has no question"),
    (lambda d: d["flows"].append(dict(d["flows"][0], field="monthly_volumes")),
     "'monthly_volumes' is not a field of flows; did you mean 'monthly_volume'?"),
    (lambda d: d["flows"][2]["prompt"].pop("fr"), "flows[2].prompt.fr"),
    (lambda d: d["flows"][0]["choices"].pop(), "the choices must list each of"),
    (lambda d: d["organisation"][0].update(kind="integer"), "does not fit 'name'"),
    (lambda d: d["messages"]["saved"].update(fr="Enregistré dans {chemin}."), "unknown placeholder {chemin}"),
    (lambda d: d["messages"].pop("review_title"), "the message 'review_title' is missing"),
    (lambda d: d["suggestions"].update(order_taking={"complexity": "extreme"}), "is not an answer to 'complexity'"),
    (lambda d: next(q for q in d["flows"] if q["field"] == "regulated_data").update(
        when={"fact": "data_sensitivty", "op": "ne", "value": "low"}), "did you mean 'data_sensitivity'?"),
])
def test_a_broken_bank_is_reported_with_file_and_line(tmp_path: Path, edit, expected: str) -> None:  # type: ignore[no-untyped-def]
    root = _copy_with(tmp_path, edit)
    with pytest.raises(PolicyError) as caught:
        load_questions(root)
    report = caught.value.report()
    assert expected in report
    assert "questions.yaml:" in report
    assert report.startswith(f"the question bank {root / 'questions.yaml'} has 1 problem\n")
    assert caught.value.report("fr").startswith(f"les questions de {root / 'questions.yaml'} ont 1 problème\n")


@pytest.mark.parametrize("text, value", [
    ("12000", 12000), ("12 000", 12000), ("12,000", 12000), ("12\u202f000", 12000), ("3.5", 3.5), ("3,5", 3.5),
    ("35 %", 35), ("-5", -5), (".5", 0.5), ("34,50 €", 34.5), ("$38", 38), ("€ 1 200", 1200), ("28 EUR", 28),
])
def test_numbers_as_people_type_them(text: str, value: float) -> None:
    assert parse_number(text) == value


@pytest.mark.parametrize("text", ["", "abc", "1.2.3", "12,00,0", "3,5,6", "1e5", "twelve"])
def test_what_is_not_a_number(text: str) -> None:
    with pytest.raises(Refusal) as caught:
        parse_number(text)
    assert caught.value.key == "not_number"


@pytest.mark.parametrize("text, seconds", [
    ("240", 240), ("4:00", 240), ("4:30", 270), ("1:02:03", 3723), ("4 min", 240), ("4 min 30", 270),
    ("4m30s", 270), ("90 s", 90), ("2,5 min", 150),
])
def test_durations(text: str, seconds: float) -> None:
    assert parse_seconds(text) == seconds


@pytest.mark.parametrize("text", ["four minutes", "4:75", "", "-3"])
def test_what_is_not_a_duration(text: str) -> None:
    with pytest.raises(Refusal):
        parse_seconds(text)


@pytest.mark.parametrize("text, code", [
    ("France", "FR"), ("Maroc", "MA"), ("United States", "US"), ("États-Unis", "US"), ("etats unis", "US"),
    ("Morocco", "MA"), ("fr", "FR"), ("ES", "ES"),
])
def test_countries_by_code_or_by_name_in_either_language(bank: Bank, text: str, code: str) -> None:
    country = next(q for q in bank.organisation if q.field == "country")
    assert check(country, "organisation", parse(country, text, bank)) == code


def test_an_unknown_country_is_refused_as_typed(bank: Bank) -> None:
    country = next(q for q in bank.organisation if q.field == "country")
    with pytest.raises(Refusal):
        check(country, "organisation", parse(country, "Narnia", bank))


@pytest.mark.parametrize("text, codes", [
    ("français", ["fr"]), ("Spanish", ["es"]), ("fr, en", ["fr", "en"]), ("français et anglais", ["fr", "en"]),
    ("English and Arabic", ["en", "ar"]), ("fr en", ["fr", "en"]),
])
def test_languages_by_code_or_by_name(bank: Bank, text: str, codes: list[str]) -> None:
    languages = question(bank, "languages")
    assert parse(languages, text, bank) == codes


@pytest.mark.parametrize("text, ratio", [("+150 %", 2.5), ("+80%", 1.8), ("1,8", 1.8), ("150 %", 1.5),
                                         ("2,5 × le mois moyen", 2.5)])
def test_a_peak_given_as_an_increase(bank: Bank, text: str, ratio: float) -> None:
    """"+150 %" at the peak is an increase, 2.5 times the average; "150 %" is 150 % of the average;
    a plain number stays the ratio typed."""
    assert parse(question(bank, "peak_ratio"), text, bank) == pytest.approx(ratio)


def test_choices_by_number_value_label_or_prefix(bank: Bank) -> None:
    channel, activity = question(bank, "channel"), question(bank, "activity")
    first = channel.choices[0].value
    assert parse(channel, "1", bank) == first
    assert parse(channel, "EMAIL", bank) == "email"
    assert parse(activity, "order taking", bank) == "order_taking"
    assert parse(activity, activity.choice("complaints").fr, bank) == "complaints"  # type: ignore[union-attr]
    for text in ("fax", "0", str(len(channel.choices) + 1)):
        with pytest.raises(Refusal) as caught:
            parse(channel, text, bank)
        assert caught.value.key == "not_choice"


def test_lists_yes_no_and_quotes(bank: Bank) -> None:
    regulated = question(bank, "regulated_data")
    assert parse(regulated, "health, financial", bank) == ["health", "financial"]
    assert parse(regulated, "none", bank) == [] == parse(regulated, "aucun", bank)
    with pytest.raises(Refusal) as caught:
        check(regulated, "flows", parse(regulated, "health, health", bank))
    assert caught.value.key == "repeated"
    yes_no = question(bank, "skill_gap")
    assert parse(yes_no, "oui", bank) is True and parse(yes_no, "n", bank) is False
    quote = question(bank, "vendor_quote")
    assert parse(quote, "2.10 per contact", bank) == {"per_contact": 2.1}
    assert parse(quote, "28 /h", bank) == {"per_hour": 28}
    assert parse(quote, "0,60 par minute", bank) == {"per_minute": 0.6}
    assert parse(quote, "none", bank) is None
    for text in ("2.10", "cheap", "2.10 per week"):
        with pytest.raises(Refusal) as caught:
            parse(quote, text, bank)
        assert caught.value.key == "bad_quote"


def test_quotes_per_fte_a_month_in_both_languages(bank: Bank) -> None:
    """The historic form of tenders, the price of a dedicated full-time agent a month, parses in
    English and French and is shown with the first unit word of the language."""
    quote = question(bank, "vendor_quote")
    for text in ("4200 per FTE a month", "4,200 per fte per month", "4200/fte", "4200 per seat",
                 "€4200 per agent a month", "4 200 par ETP par mois", "4200 par poste", "4 200 € /etp", "4200 par conseiller par mois"):
        assert check(quote, "flows", parse(quote, text, bank)) == {"per_fte_month": 4200}, text
    assert parse(quote, "2 300 par ETP par mois", bank) == {"per_fte_month": 2300}
    assert show(quote, {"per_fte_month": 4200}, "en", bank) == "4,200 per FTE a month"
    assert show(quote, {"per_fte_month": 4200}, "fr", bank) == "4\u202f200 par ETP par mois"
    with pytest.raises(Refusal) as caught:
        parse(quote, "4200 per fortnight", bank)
    assert "4200 per FTE a month" in bank.message(caught.value.key, "en", value="4200 per fortnight")


@pytest.mark.parametrize("field, text, currency, value", [
    pytest.param("vendor_quote", "1,90 € par appel", "EUR", {"per_contact": 1.9}, id="quote-per-call-fr"),
    pytest.param("vendor_quote", "$1.90 per call", "USD", {"per_contact": 1.9}, id="quote-per-call-en"),
    pytest.param("vendor_quote", "1.90 EUR per email", "EUR", {"per_contact": 1.9}, id="quote-per-email"),
    pytest.param("vendor_quote", "28 $/h", "CAD", {"per_hour": 28}, id="quote-any-dollar"),
    pytest.param("loaded_hourly_cost", "32 € de l'heure", "EUR", 32, id="hourly-cost-fr"),
    pytest.param("loaded_hourly_cost", "38 USD an hour", "USD", 38, id="hourly-cost-en"),
    pytest.param("loaded_hourly_cost", "32/h", None, 32, id="hourly-cost-short"),
    pytest.param("monthly_volume", "12 000 appels par mois", None, 12000, id="volume-calls-fr"),
    pytest.param("monthly_volume", "12,000 calls a month", None, 12000, id="volume-calls-en"),
    pytest.param("monthly_volume", "12 000 par mois", None, 12000, id="volume-without-noun"),
    pytest.param("annual_turnover_pct", "35 % par an", None, 35, id="percent-a-year"),
    pytest.param("opening_hours_per_week", "50 hours a week", None, 50, id="hours-a-week-en"),
])
def test_amounts_with_the_questions_unit_in_either_language(bank: Bank, field: str, text: str,
                                                           currency: str | None, value: object) -> None:
    """An amount followed by the question's own unit, in English or French words, is the amount."""
    asked = next(q for q in (*bank.flows, *bank.organisation) if q.field == field)
    assert parse(asked, text, bank, currency) == value


@pytest.mark.parametrize("field, text, currency, key, message", [
    pytest.param("loaded_hourly_cost", "32 € par mois", "EUR", "wrong_unit",
                 "32 € par mois: the unit of this question is “per hour”; type the number alone, or followed "
                 "by that unit.", id="hourly-cost-per-month"),
    pytest.param("monthly_volume", "12000 per hour", None, "wrong_unit",
                 "12000 per hour: the unit of this question is “contacts a month”;", id="volume-per-hour"),
    pytest.param("loaded_hourly_cost", "$38", "EUR", "wrong_currency",
                 "$38: your amounts are in EUR, the organisation's currency;", id="dollars-for-euros"),
    pytest.param("vendor_quote", "$1.90 per call", "EUR", "wrong_currency",
                 "$1.90 per call: your amounts are in EUR", id="quote-dollars-for-euros"),
    pytest.param("vendor_quote", "1.90 per week", "EUR", "bad_quote",
                 "1.90 per week is not a price", id="quote-per-week"),
])
def test_a_contradicting_unit_or_currency_is_refused(bank: Bank, field: str, text: str, currency: str | None,
                                                     key: str, message: str) -> None:
    """A unit or a currency that is not the question's is refused, saying which one is expected."""
    asked = next(q for q in (*bank.flows, *bank.organisation) if q.field == field)
    with pytest.raises(Refusal) as caught:
        parse(asked, text, bank, currency)
    assert caught.value.key == key
    said = bank.message(key, "en", **{"value": text, "unit": asked.text("unit", "en"), **caught.value.args_})
    assert said.startswith(message)


TWELVE = [12000.0, 11500.0, 13000.0, 12500.0, 12000.0, 14000.0, 18000.0, 19000.0, 13000.0, 12000.0, 12500.0, 15000.0]


@pytest.mark.parametrize("text, value", [
    pytest.param("12000; 11500; 13000; 12500; 12000; 14000; 18000; 19000; 13000; 12000; 12500; 15000", TWELVE,
                 id="semicolons"),
    pytest.param("12 000; 11 500; 13 000; 12 500; 12 000; 14 000; 18 000; 19 000; 13 000; 12 000; 12 500; 15 000",
                 TWELVE, id="semicolons-grouped-digits"),
    pytest.param("12000;11500;13000;12500;12000;14000;18000;19000;13000;12000;12500;15000;", TWELVE,
                 id="semicolons-no-spaces-trailing"),
    pytest.param("12000 11500 13000 12500 12000 14000 18000 19000 13000 12000 12500 15000", TWELVE, id="spaces"),
    pytest.param("12,000 11,500 13,000 12,500 12,000 14,000 18,000 19,000 13,000 12,000 12,500 15,000", TWELVE,
                 id="spaces-comma-grouped"),
    pytest.param("0 0 0 0 0 0 0 0 0 0 0 1,5", [0.0] * 11 + [1.5], id="decimal-comma-and-quiet-months"),
    pytest.param("none", None, id="none"),
    pytest.param("aucun", None, id="aucun"),
])
def test_a_monthly_profile_is_twelve_numbers(bank: Bank, text: str, value: list[float] | None) -> None:
    profile = question(bank, "monthly_profile")
    parsed = parse(profile, text, bank)
    assert (parsed if parsed is None else check(profile, "flows", parsed)) == value


@pytest.mark.parametrize("text, message", [
    pytest.param("12000 11500 13000 12500 12000 14000 18000 19000 13000 12000 12500",
                 "Expected 12 numbers separated by semicolons (or by spaces), found 11.", id="eleven-values"),
    pytest.param("1;2;3;4;5;6;7;8;9;10;11;12;13",
                 "Expected 12 numbers separated by semicolons (or by spaces), found 13.", id="thirteen-values"),
    pytest.param("12 000 11 500 13 000 12 500 12 000 14 000 18 000 19 000 13 000 12 000 12 500 15 000",
                 "Expected 12 numbers separated by semicolons (or by spaces), found 24.",
                 id="grouped-digits-without-semicolons"),
    pytest.param("100; 100; -5; 100; 100; 100; 100; 100; 100; 100; 100; 100", "Expected a number of at least 0.",
                 id="negative-month"),
    pytest.param("100; 100; lots; 100; 100; 100; 100; 100; 100; 100; 100; 100", "lots is not a number.",
                 id="not-a-number"),
    pytest.param("0 0 0 0 0 0 0 0 0 0 0 0", "Every number is 0: give the contacts of each month.", id="all-zero"),
])
def test_what_is_not_a_monthly_profile(bank: Bank, text: str, message: str) -> None:
    profile = question(bank, "monthly_profile")
    with pytest.raises(Refusal) as caught:
        check(profile, "flows", parse(profile, text, bank))
    assert bank.message(caught.value.key, "en", **{"value": text, **caught.value.args_}) == message


def test_a_monthly_profile_is_shown_with_semicolons(bank: Bank) -> None:
    profile = question(bank, "monthly_profile")
    assert show(profile, [12000, 11500.5] + [100] * 10, "en", bank).startswith("12,000; 11,500.5; 100; 100")
    assert show(profile, [12000, 11500.5] + [100] * 10, "fr", bank).startswith("12\u202f000; 11\u202f500,5; 100")


@pytest.mark.parametrize("field, value, key", [
    ("monthly_volume", -5, "at_least"), ("aht_seconds", 0, "at_least"), ("coverage_hours_needed", 0.5, "none_or_at_least"), ("peak_ratio", 0.5, "at_least"),
    ("peak_ratio", 51, "at_most"), ("id", "Order Taking!", "bad_slug"), ("provider_country", "FRA", "bad_country"),
    ("vendor_quote", {"per_contact": -1}, "at_least"), ("vendor_quote", {"per_contact": 1, "per_hour": 20}, "quote_form"),
    ("regulated_data", ["health", "health"], "repeated"), ("channel", "fax", "not_choice"),
])
def test_the_model_refuses_what_an_answers_file_could_not_hold(bank: Bank, field: str, value: object, key: str) -> None:
    with pytest.raises(Refusal) as caught:
        check(question(bank, field), "flows", value)
    assert caught.value.key == key


def test_shown_values_use_labels_and_the_language(bank: Bank) -> None:
    assert show(question(bank, "monthly_volume"), 12000, "en", bank).startswith("12,000")
    assert show(question(bank, "monthly_volume"), 12000, "fr", bank).startswith("12\u202f000")
    assert show(question(bank, "aht_seconds"), 270, "en", bank) == "270 s (4:30)"
    assert show(question(bank, "unique_know_how"), True, "fr", bank) == bank.message("yes_value", "fr")


def test_written_answers_read_back_the_same_and_carry_the_questions(bank: Bank, tmp_path: Path) -> None:
    data = {
        "organisation": {"name": "L'Atelier \"Nord\"", "country": "NO", "loaded_hourly_cost": 31.5},
        "flows": [
            {"name": "Commandes: été", "id": "orders", "channel": "phone", "monthly_volume": 12000,
             "aht_seconds": 270.0, "peak_ratio": 1.8, "regulated_data": ["payment_card", "health"],
             "unique_know_how": False, "vendor_quote": {"per_minute": 0.0001}},
            {"id": "mail", "channel": "email", "monthly_volume": 0, "aht_seconds": 600},
        ],
    }
    for lang in ("en", "fr"):
        path = tmp_path / f"answers.{lang}.yaml"
        path.write_text(to_yaml(data, bank, lang, "Header line"), encoding="utf-8")  # type: ignore[arg-type]
        answers = load_answers(path)
        assert answers.organisation.country == "NO"
        assert answers.organisation.name == "L'Atelier \"Nord\""
        assert answers.flows[0].vendor_quote is not None and answers.flows[0].vendor_quote.per_minute == 0.0001
        assert [f.id for f in answers.flows] == ["orders", "mail"]
        assert answers.flows[0].model_dump(exclude_unset=True, mode="json") == data["flows"][0]  # type: ignore[index]
        text = path.read_text(encoding="utf-8")
        assert f"# {question(bank, 'monthly_volume').text('prompt', lang)}" in text  # type: ignore[arg-type]
        assert text.startswith("# Header line\n")


@pytest.mark.parametrize("field, text", [
    pytest.param("monthly_volume", "12 000 €", id="euros-for-a-volume"),
    pytest.param("monthly_volume", "$12,000", id="dollars-for-a-volume"),
    pytest.param("annual_turnover_pct", "35 EUR", id="code-for-a-percentage"),
    pytest.param("opening_hours_per_week", "50 €", id="euros-for-hours"),
])
def test_a_currency_on_a_number_that_is_not_money_is_refused(bank: Bank, field: str, text: str) -> None:
    """A currency typed on a count, a share or hours is refused, saying what the question expects."""
    asked = next(q for q in (*bank.flows, *bank.organisation) if q.field == field)
    with pytest.raises(Refusal) as caught:
        parse(asked, text, bank, "EUR")
    assert caught.value.key == "not_money"
    unit = asked.text("unit", "en")
    assert bank.message("not_money", "en", value=text, unit=unit) == (
        f"{text}: this question asks for a number ({unit}), not an amount of money; type the number alone.")


@pytest.mark.parametrize("text, channel, value", [
    pytest.param("1.90 per contact", "email", {"per_contact": 1.9}, id="neutral-on-email"),
    pytest.param("1,90 € par contact", "phone", {"per_contact": 1.9}, id="neutral-fr"),
    pytest.param("1.90 per ticket", "other", {"per_contact": 1.9}, id="ticket-on-another-channel"),
    pytest.param("$1.90 per call", "phone", {"per_contact": 1.9}, id="call-on-phone"),
    pytest.param("1,90 € par appel", "phone", {"per_contact": 1.9}, id="appel-on-phone"),
    pytest.param("1.90 per e-mail", "email", {"per_contact": 1.9}, id="email-on-email"),
    pytest.param("1,90 par courriel", "email", {"per_contact": 1.9}, id="courriel-on-email"),
    pytest.param("2 per chat", "chat", {"per_contact": 2}, id="chat-on-chat"),
    pytest.param("3 par lettre", "letter", {"per_contact": 3}, id="lettre-on-letter"),
])
def test_a_price_per_contact_names_the_flows_contacts(bank: Bank, text: str, channel: str, value: object) -> None:
    """A price per contact is accepted with a neutral word, or with the word of the flow's channel."""
    assert parse(question(bank, "vendor_quote"), text, bank, None, channel) == value


@pytest.mark.parametrize("text, channel", [
    pytest.param("1.90 per call", "email", id="call-on-email"),
    pytest.param("1,90 € par appel", "chat", id="appel-on-chat"),
    pytest.param("1.90 per email", "phone", id="email-on-phone"),
    pytest.param("1.90 per call", "other", id="call-on-another-channel"),
])
def test_a_price_per_another_channels_contact_is_refused(bank: Bank, text: str, channel: str) -> None:
    """A price per call on an email flow is refused, naming the word typed."""
    with pytest.raises(Refusal) as caught:
        parse(question(bank, "vendor_quote"), text, bank, None, channel)
    assert caught.value.key == "wrong_contact"
    assert caught.value.args_["channel"] == channel



# --- the skip logic's memo --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_policy(RULES)


def _screenings(bank: Bank, flow: dict[str, object]):  # type: ignore[no-untyped-def]
    """The screenings a questionnaire makes of one flow, in its order: each optional question with
    the answers before it and the optional ones after it as partners, then at the end of the flow
    each optional question with every other answer known and the others as partners."""
    optional = [q for q in bank.flows if q.ask == "if_it_matters"]
    known = {q.field: flow[q.field] for q in bank.flows if q.ask != "if_it_matters" and q.field in flow}
    for index, q in enumerate(optional):
        if applies(q, known):
            yield q, dict(known), [p for p in optional[index + 1:] if p.field not in known]
        if q.field in flow:
            known[q.field] = flow[q.field]
    left = [q for q in optional if q.field not in flow]
    for q in left:
        yield q, dict(known), left


def test_the_memo_changes_no_skip_decision(bank: Bank, policy: Policy) -> None:
    """The skip logic with one memo kept over several flows and two organisations decides as the
    plain skip logic, which evaluates every flow it tries through the whole pipeline: the same
    questions asked, the same skipped. The flows are generated (a seed per organisation), their
    optional answers left out one in two so that the end of each flow has partners to screen."""
    memo = SkipMemo(policy)
    decided: list[bool] = []
    for seed, flows in ((3, 2), (11, 1)):
        data = generate_answers(flows, seed=seed)
        for number, flow in enumerate(data["flows"]):
            flow = {k: v for i, (k, v) in enumerate(flow.items())
                    if next(q for q in bank.flows if q.field == k).ask != "if_it_matters" or (i + number) % 2}
            for q, known, partners in _screenings(bank, flow):
                kept = could_matter(q, known, data["organisation"], policy, partners, memo)
                plain = could_matter(q, known, data["organisation"], policy, partners, SkipMemo(policy, plain=True))
                assert kept == plain, (seed, number, q.field)
                decided.append(kept)
    # Both answers occur: the comparison is not of questions that never matter.
    assert True in decided and False in decided
    assert memo.evaluations > 0 and memo.engine_runs < memo.evaluations


def test_the_memo_stays_bounded(policy: Policy, monkeypatch: pytest.MonkeyPatch) -> None:
    """A memo that reaches its limit forgets every table together (the outcomes, the costs, the engine's
    firings and the decisions), so a long-running server's memo does not grow with the flows it tried."""
    monkeypatch.setattr(SkipMemo, "LIMIT", 10)
    memo = SkipMemo(policy)
    data = generate_answers(1, seed=5)
    flow = data["flows"][0]
    for volume in range(1_000, 1_000 + 60 * 97, 97):
        memo.outcome({**flow, "monthly_volume": volume}, data["organisation"])
    (org,) = memo._organisations.values()
    assert all(len(table) <= SkipMemo.LIMIT for table in (org.outcomes, org.costs, org.firings, org.verdicts))


@pytest.mark.parametrize("lang, said", [("en", "at least 0.01"), ("fr", "supérieur ou égal à 0,01")])
def test_a_decimal_bound_is_written_in_the_language(bank: Bank, lang: str, said: str) -> None:
    """A refusal's bound is a figure written with the language's decimal mark, as the answers' problems write it."""
    fte = question(bank, "current_fte")
    with pytest.raises(Refusal) as caught:
        check(fte, "flows", 0.001)
    assert said in bank.refusal_text(fte, caught.value, "0.001", lang)
