"""Completeness of the explanations: every rule speaks both languages, every label exists."""

from __future__ import annotations

import re

import pytest

from engine.costs import flow_costs
from engine.facts import snapshot
from engine.models import Answers, resolve
from engine.policy.loading import Policy
from explanations.figures import money
from explanations.render import LANGS, RuleTexts, labels

FULL = Answers.model_validate({
    "organisation": {"name": "Every fact known", "country": "FR"},
    "flows": [{
        "id": "all", "channel": "phone", "monthly_volume": 9000, "aht_seconds": 300, "peak_ratio": 1.5,
        "regulated_data": ["payment_card"], "vendor_quote": {"per_contact": 2.5}, "provider_country": "MA",
        "current_fte": 10, "languages": ["fr", "nl"], "coverage_hours_needed": 84,
    }],
})


def full_facts(policy: Policy) -> dict[str, object]:
    """The facts of a flow where every optional value is known, every derived fact true."""
    inputs = resolve(FULL)[0]
    facts = snapshot(inputs, flow_costs(inputs, policy.costs), policy.languages_by_country)
    return {**facts, **{name: True for name in policy.derived}}


@pytest.mark.parametrize("lang", LANGS)
def test_every_rule_text_renders(policy: Policy, lang: str) -> None:
    """Each rule's explanation and condition render in both languages with no undefined name."""
    texts = RuleTexts(policy, lang)  # type: ignore[arg-type]
    facts = full_facts(policy)
    for placed in policy.rules:
        assert texts.render(placed.rule.id, "explain", facts)
        if placed.rule.then.condition is not None:
            assert texts.render(placed.rule.id, "condition", facts)


def test_labels_have_the_same_keys_in_every_language() -> None:
    """A label added in one language is added in the other."""
    assert set(labels("en")) == set(labels("fr"))
    for key, value in labels("en").items():
        if isinstance(value, dict):
            assert set(value) == set(labels("fr")[key]), key


def test_money_keeps_amount_and_currency_together() -> None:
    """An amount and its currency are joined by a no-break space, in each language's order."""
    assert money(2.1, "EUR", "en") == "EUR\u00a02.10"
    assert money(2.1, "EUR", "fr")[:-1] in ("2,10\u00a0", "2,10\u202f") and money(2.1, "EUR", "fr")[-1] == "€"


@pytest.mark.parametrize("rule, key, given, lang, named, code", [
    pytest.param("CLS-11", "explain", {"provider_country": "MA"}, "fr", "Maroc", "MA", id="transfer-fr"),
    pytest.param("CLS-11", "explain", {"provider_country": "MA"}, "en", "Morocco", "MA", id="transfer-en"),
    pytest.param("RSK-05", "condition", {"provider_country": "MA"}, "fr", "(Maroc)", "MA", id="condition-fr"),
    pytest.param("BRD-03", "condition", {"country": "US"}, "fr", "(États-Unis)", "US", id="local-agents-fr"),
    pytest.param("BRD-03", "condition", {"country": "US"}, "en", "(United States)", "US", id="local-agents-en"),
    pytest.param("RSK-08", "condition", {"country": "US"}, "en", "(United States)", "US", id="health-law-en"),
    pytest.param("LNG-01", "explain", {"unserved_language_list": "tr"}, "fr", "langues du flux\u202f: turc.", "tr",
                 id="languages-fr"),
])
def test_rule_texts_name_countries_and_languages(policy: Policy, rule: str, key: str, given: dict[str, str],
                                                 lang: str, named: str, code: str) -> None:
    """A rule text names a country or a language in the reader's language, never by its ISO code."""
    text = RuleTexts(policy, lang).render(rule, key, {**full_facts(policy), **given})  # type: ignore[arg-type]
    assert named in text
    assert not re.search(rf"\b{code}\b", text)
