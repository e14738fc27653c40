"""Figures as each language writes them: numbers, percentages, amounts, dates, names of countries and
languages, and French spacing.

Exact strings are Arbitre's output; where the locale data chooses between two no-break spaces (a
French thousands separator, the space between an amount and its sign), the test accepts either
but never a breaking space. Before ``%`` French takes the narrow no-break space, whatever Babel's
pattern says: that one is Arbitre's rule.
"""

from __future__ import annotations

import datetime
import re

import pytest

from explanations.figures import country, currency_sign, date, language, money, number, percent, typeset

NARROW = "\u202f"
SPACE = "[\u00a0\u202f]"  # a no-break space, either width


class TestNumber:
    @pytest.mark.parametrize("value, digits, lang, expected", [
        pytest.param(12000, 0, "en", "12,000", id="en-thousands"),
        pytest.param(1234567.25, 2, "en", "1,234,567.25", id="en-decimals"),
        pytest.param(2.675, 2, "en", "2.68", id="en-rounds-half-up-as-it-reads"),
        pytest.param(2.665, 2, "en", "2.67", id="en-half-up-not-to-even"),
        pytest.param(52.1, 1, "en", "52.1", id="en-no-float-noise"),
        pytest.param(-0.4, 0, "en", "0", id="no-negative-zero"),
        pytest.param(None, 0, "en", "-", id="unknown"),
        pytest.param(None, 1, "fr", "-", id="unknown-fr"),
    ])
    def test_exact(self, value: float | None, digits: int, lang: str, expected: str) -> None:
        """A number has exactly the decimals asked, the language's separators, and no float noise."""
        assert number(value, digits, lang) == expected  # type: ignore[arg-type]

    @pytest.mark.parametrize("value, digits, pattern", [
        pytest.param(12000, 0, rf"12{SPACE}000", id="thousands"),
        pytest.param(1234567.25, 2, rf"1{SPACE}234{SPACE}567,25", id="decimal-comma"),
        pytest.param(1.456, 2, r"1,46", id="rounded"),
    ])
    def test_french(self, value: float, digits: int, pattern: str) -> None:
        """French groups thousands with a no-break space (no line there) and marks decimals with a comma."""
        assert re.fullmatch(pattern, number(value, digits, "fr"))


class TestPercent:
    @pytest.mark.parametrize("value, digits, expected", [
        pytest.param(52.1, 1, "52.1%", id="one-decimal"),
        pytest.param(7, 0, "7%", id="whole"),
        pytest.param(-3.25, 1, "-3.3%", id="negative-half-up"),
        pytest.param(1250, 0, "1,250%", id="grouped"),
    ])
    def test_english(self, value: float, digits: int, expected: str) -> None:
        """English glues the sign to a value already in percent: 52.1 is 52.1%, not 5,210%."""
        assert percent(value, digits, "en") == expected

    @pytest.mark.parametrize("value, digits, figure", [
        pytest.param(52.1, 1, "52,1", id="one-decimal"),
        pytest.param(7, 0, "7", id="whole"),
    ])
    def test_french_narrow_space(self, value: float, digits: int, figure: str) -> None:
        """French puts a narrow no-break space between the figure and the sign."""
        assert percent(value, digits, "fr") == figure + NARROW + "%"

    def test_unknown(self) -> None:
        """An unknown percentage reads as a dash in either language."""
        assert percent(None, 1, "en") == percent(None, 1, "fr") == "-"


class TestMoney:
    @pytest.mark.parametrize("value, currency, expected", [
        pytest.param(1.9, "EUR", "EUR\u00a01.90", id="cents-kept"),
        pytest.param(1.69, "USD", "USD\u00a01.69", id="iso-code-not-dollar-sign"),
        pytest.param(999.994, "EUR", "EUR\u00a0999.99", id="just-below-a-thousand"),
        pytest.param(184781.4, "EUR", "EUR\u00a0184,781", id="whole-above-a-thousand"),
        pytest.param(250, "JPY", "JPY\u00a0250", id="currency-without-cents"),
        pytest.param(None, "EUR", "-", id="unknown"),
    ])
    def test_english(self, value: float | None, currency: str, expected: str) -> None:
        """English writes the ISO code, a no-break space, then the amount: cents below 1,000 only."""
        assert money(value, currency, "en") == expected

    @pytest.mark.parametrize("value, currency, pattern", [
        pytest.param(32, "EUR", rf"32,00{SPACE}€", id="hourly-cost-with-cents"),
        pytest.param(1.9, "EUR", rf"1,90{SPACE}€", id="never-one-decimal"),
        pytest.param(1.69, "USD", rf"1,69{SPACE}\$US", id="dollar-named"),
        pytest.param(184781.4, "EUR", rf"184{SPACE}781{SPACE}€", id="whole-above-a-thousand"),
    ])
    def test_french(self, value: float, currency: str, pattern: str) -> None:
        """French writes the amount, a no-break space, then the locale's sign: 32,00 €."""
        assert re.fullmatch(pattern, money(value, currency, "fr"))

    def test_whole_drops_cents_of_a_small_total(self) -> None:
        """A total shown beside other totals is whole at any size."""
        assert money(812.34, "EUR", "en", whole=True) == "EUR\u00a0812"

    @pytest.mark.parametrize("currency, lang, expected", [
        pytest.param("EUR", "en", "EUR", id="en-code"), pytest.param("EUR", "fr", "€", id="fr-euro"),
        pytest.param("USD", "fr", "$US", id="fr-dollar"),
    ])
    def test_currency_sign(self, currency: str, lang: str, expected: str) -> None:
        """A figure shown without its currency names it the way the amounts do."""
        assert currency_sign(currency, lang) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize("lang, day, expected", [
    ("en", datetime.date(2025, 3, 14), "14 March 2025"),
    ("en", datetime.date(2026, 12, 1), "1 December 2026"),
    ("fr", datetime.date(2025, 3, 14), "14 mars 2025"),
    ("fr", datetime.date(2026, 12, 1), "1er décembre 2026"),
])
def test_date_in_full(lang: str, day: datetime.date, expected: str) -> None:
    """A date reads in words, in the language's order: day first in British English too, and the first
    of a month as French writes it (1er)."""
    assert date(day, lang) == expected  # type: ignore[arg-type]


class TestNames:
    @pytest.mark.parametrize("code, lang, expected", [
        pytest.param("MA", "en", "Morocco", id="en-morocco"),
        pytest.param("MA", "fr", "Maroc", id="fr-maroc"),
        pytest.param("US", "en", "United States", id="en-united-states"),
        pytest.param("US", "fr", "États-Unis", id="fr-etats-unis"),
        pytest.param("fr", "fr", "France", id="lower-case-code"),
        pytest.param("QQ", "en", "QQ", id="unknown-code-as-it-is"),
    ])
    def test_country(self, code: str, lang: str, expected: str) -> None:
        """A country is named in the language from its ISO code; a code with no name stays."""
        assert country(code, lang) == expected  # type: ignore[arg-type]

    @pytest.mark.parametrize("codes, lang, expected", [
        pytest.param("tr", "en", "Turkish", id="one-code"),
        pytest.param("tr", "fr", "turc", id="one-code-fr"),
        pytest.param(["es", "fr"], "fr", "espagnol, français", id="list"),
        pytest.param("tr, ca", "en", "Turkish, Catalan", id="text-of-codes"),
        pytest.param("qq", "en", "qq", id="unknown-code-as-it-is"),
    ])
    def test_language(self, codes: str | list[str], lang: str, expected: str) -> None:
        """Languages are named in the language, in the order given."""
        assert language(codes, lang) == expected  # type: ignore[arg-type]


class TestTypeset:
    @pytest.mark.parametrize("text, expected", [
        pytest.param("Prestataire : pas de devis", f"Prestataire{NARROW}: pas de devis", id="colon"),
        pytest.param("élevée ; moyenne", f"élevée{NARROW}; moyenne", id="semicolon"),
        pytest.param("Pourquoi pas ?", f"Pourquoi pas{NARROW}?", id="question"),
        pytest.param("Attention !", f"Attention{NARROW}!", id="exclamation"),
        pytest.param("30 % des contacts", f"30{NARROW}% des contacts", id="percent"),
        pytest.param("Décision\u00a0: garder", f"Décision{NARROW}: garder", id="wide-no-break-made-narrow"),
    ])
    def test_french_spaces(self, text: str, expected: str) -> None:
        """French gets a narrow no-break space before : ; ? ! and %."""
        assert typeset(text, "fr") == expected

    @pytest.mark.parametrize("text", [
        pytest.param("https://example.org:8080/x?y=1", id="url"),
        pytest.param("ouvert de 8:30 à 18:00", id="times"),
        pytest.param("rules/economics.yaml:14", id="file-line"),
        pytest.param("sha256:61b8ec610813", id="digest"),
    ])
    def test_what_is_not_punctuation_stays(self, text: str) -> None:
        """A colon or question mark glued to what precedes it is not French punctuation: unchanged."""
        assert typeset(text, "fr") == text

    def test_english_is_untouched(self) -> None:
        """English keeps its own spacing."""
        assert typeset("Provider : no quote", "en") == "Provider : no quote"


class TestAsBabelWrites:
    """Amounts and percentages are written from each pattern's parts worked out once: exactly what
    Babel's own formatting writes, figure for figure."""

    VALUES = [0.0, 0.004, -0.004, 0.005, 0.5, -0.5, 1.0, 9.995, 999.994, 999.995, -999.995, 1000.0, 1234.5,
              -1234.5, 99999.5, 123456789.125, -987654321.0, 1e15, -2.5e14]

    @staticmethod
    def values() -> list[float]:
        import random

        rng = random.Random(18)
        drawn = [rng.uniform(-1, 1) * 10 ** rng.uniform(-3, 12) for _ in range(400)]
        return TestAsBabelWrites.VALUES + drawn + [round(v, 2) for v in drawn]

    @pytest.mark.parametrize("lang", ["en", "fr"])
    @pytest.mark.parametrize("currency", ["EUR", "USD", "GBP", "JPY", "CHF", "MAD", "XYZ"])
    def test_money(self, lang: str, currency: str) -> None:
        """Every amount, whole or to its currency's minor unit, as ``format_currency`` writes it."""
        from babel.numbers import format_currency, get_currency_precision

        from explanations.figures import WHOLE_FROM, _pattern, _rounded, locale

        for value in self.values():
            for whole in (False, True):
                digits = 0 if whole or abs(value) >= WHOLE_FROM else get_currency_precision(currency)
                babel = format_currency(_rounded(value, digits), currency, _pattern(lang, "currency", digits),
                                        locale=locale(lang), currency_digits=False)
                assert money(value, currency, lang, whole) == babel, (value, whole)

    @pytest.mark.parametrize("lang", ["en", "fr"])
    @pytest.mark.parametrize("digits", [0, 1, 2])
    def test_percent(self, lang: str, digits: int) -> None:
        """Every percentage as ``format_percent`` writes it (then set with the language's typography)."""
        from babel.numbers import format_percent

        from explanations.figures import _pattern, _rounded, locale

        for value in self.values():
            babel = format_percent(_rounded(value, digits).scaleb(-2), _pattern(lang, "percent", digits),
                                   locale=locale(lang))
            assert percent(value, digits, lang) == typeset(babel, lang), value
