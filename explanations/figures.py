"""How figures are written in each language: numbers, percentages, amounts, dates and the names of
countries and languages, from Babel's locale data, and the spaces French typography puts before
``: ; ? !`` and ``%``.

Every figure an explanation, a report or a brief shows is written here, so that "32,00 € de l'heure"
and "USD 32.00 per hour" come from one place. English writes an amount with its ISO code in front
(``USD 1.69``: unambiguous whichever dollar or pound is meant), French with the locale's own sign
after it (``1,69 €``, ``1,69 $US``). An amount below 1,000 (a price per contact or per hour) keeps
its cents; a larger one (a month's cost, a one-off) is whole, where cents would only be noise.
"""

from __future__ import annotations

import copy
import datetime
import decimal
import functools
from typing import Any, Literal

from babel import Locale
from babel.numbers import NumberPattern, format_currency, format_decimal, format_percent, get_currency_precision
from babel.numbers import get_currency_symbol, get_decimal_symbol, get_group_symbol, parse_pattern

from engine.typography import NARROW as NARROW, typeset as typeset

Lang = Literal["en", "fr"]
NO_BREAK = "\u00a0"  # no-break space: keeps an amount with its currency sign
MISSING = "-"  # a figure that is not known
WHOLE_FROM = 1000  # amounts from this size on are shown without cents

# Dates in the English of the rest of the text (1 December 2026), not Babel's American default.
_DATE_LOCALES = {"en": "en_GB", "fr": "fr"}
# English: the ISO code before the amount; French: the locale's pattern (its sign after).
_ENGLISH_AMOUNT = "¤¤" + NO_BREAK + "#,##0.00"


@functools.lru_cache(maxsize=None)
def locale(lang: Lang) -> Locale:
    """Babel's locale for a language, loaded once."""
    return Locale.parse(lang)


@functools.lru_cache(maxsize=None)
def _pattern(lang: Lang, kind: str, digits: int) -> NumberPattern:
    """The language's pattern for a kind of figure (decimal, percent, currency), with exactly
    ``digits`` decimals."""
    loc = locale(lang)
    if kind == "currency":
        source = parse_pattern(_ENGLISH_AMOUNT) if lang == "en" else loc.currency_formats["standard"]
    else:
        source = loc.percent_formats[None] if kind == "percent" else loc.decimal_formats[None]
    pattern = copy.copy(source)
    pattern.frac_prec = (digits, digits)
    return pattern


def _rounded(value: Any, digits: int) -> decimal.Decimal:
    """A value rounded as it reads (52.1, not 52.099999...; 2.55 to 2.6, half up as taught), to
    ``digits`` decimals; one that rounds to zero is zero (never "-0")."""
    exact = decimal.Decimal(repr(float(value)))
    rounded = exact.quantize(decimal.Decimal(1).scaleb(-digits), rounding=decimal.ROUND_HALF_UP)
    return rounded if rounded else decimal.Decimal(0).scaleb(-digits)


def number(value: Any, digits: int = 0, lang: Lang = "en") -> str:
    """A number with ``digits`` decimals and the language's separators: 12,000.5 or 12 000,5."""
    if value is None:
        return MISSING
    return _number(float(value), digits, lang)


# Figures repeat from flow to flow (thresholds, weights, volumes): each is typeset once.
@functools.lru_cache(maxsize=8192)
def _number(value: float, digits: int, lang: Lang) -> str:
    return format_decimal(_rounded(value, digits), _pattern(lang, "decimal", digits), locale=locale(lang))


def percent(value: Any, digits: int = 0, lang: Lang = "en") -> str:
    """A value already in percent (52.1) as the language writes it: 52.1% or 52,1 %."""
    if value is None:
        return MISSING
    rounded = _rounded(value, digits)
    shape = _shape(lang, "percent", digits, None)
    text = _written(rounded, shape) if shape is not None else format_percent(
        rounded.scaleb(-2), _pattern(lang, "percent", digits), locale=locale(lang))
    return typeset(text, lang)


def money(value: Any, currency: str, lang: Lang = "en", whole: bool = False) -> str:
    """An amount with its currency: to the cent (the currency's minor unit) below 1,000, whole above;
    ``whole``: whole at any size (a total beside other totals)."""
    if value is None:
        return MISSING
    digits = 0 if whole or abs(value) >= WHOLE_FROM else get_currency_precision(currency)
    rounded = _rounded(value, digits)
    shape = _shape(lang, "currency", digits, currency)
    if shape is not None:
        return _written(rounded, shape)
    return format_currency(rounded, currency, _pattern(lang, "currency", digits), locale=locale(lang),
                           currency_digits=False)


# A figure's pattern as Babel applies it, worked out once: the texts before and after the digits (positive,
# negative) and the separators. Babel's ``NumberPattern.apply`` rebuilds all of it for every figure.
_Shape = tuple[str, str, str, str, dict[int, str]]


@functools.lru_cache(maxsize=256)
def _shape(lang: Lang, kind: str, digits: int, currency: str | None) -> _Shape | None:
    """What Babel's pattern for a kind of figure writes around the digits, and its separators; None for
    a pattern this shortcut does not cover exactly (then Babel writes the figure itself)."""
    pattern = _pattern(lang, kind, digits)
    plain = (pattern.grouping == (3, 3) and pattern.int_prec[0] == 1 and not pattern.exp_prec
             and "@" not in pattern.pattern and pattern.frac_prec == (digits, digits) and pattern.number_pattern != ""
             and pattern.scale == (2 if kind == "percent" else 0))
    texts = [*pattern.prefix, *pattern.suffix]
    if not plain or any("'" in text or "\u00a4\u00a4\u00a4" in text for text in texts):
        return None
    if currency is not None:
        sign = get_currency_symbol(currency, locale(lang))
        texts = [text.replace("\u00a4\u00a4", currency.upper()).replace("\u00a4", sign) for text in texts]
    loc = locale(lang)
    separators = str.maketrans({",": get_group_symbol(loc), ".": get_decimal_symbol(loc)})
    return texts[0], texts[1], texts[2], texts[3], separators


def _written(rounded: decimal.Decimal, shape: _Shape) -> str:
    """A figure already rounded to its decimals, as Babel writes it with the pattern of ``shape``."""
    before, before_negative, after, after_negative, separators = shape
    digits = f"{abs(rounded):,f}".translate(separators)
    return before_negative + digits + after_negative if rounded.is_signed() else before + digits + after


def currency_sign(currency: str, lang: Lang) -> str:
    """How a currency is named beside a figure shown without it (a table's heading): the ISO code in
    English, the locale's sign in French (€, $US)."""
    return currency if lang == "en" else str(get_currency_symbol(currency, locale=locale(lang)))


def date(value: datetime.date, lang: Lang) -> str:
    """A day as the language writes it in full: 14 March 2025 (British order, as the English text is
    British), 14 mars 2025, and the first of a month 1er décembre 2026."""
    from babel.dates import format_date  # only a brief writes a date: the others start without it

    text = str(format_date(value, format="long", locale=_DATE_LOCALES[lang]))
    if lang == "fr" and value.day == 1:
        return "1er" + text.removeprefix("1")
    return text


def country(code: Any, lang: Lang) -> str:
    """A country's name in the language from its ISO code (``MA``: Morocco, Maroc); a code Babel does
    not know as it is."""
    return str(locale(lang).territories.get(str(code).upper(), code))


def language(codes: Any, lang: Lang) -> str:
    """Languages' names in the language from their ISO codes (``tr``: Turkish, turc), given one code, a
    list of them or a text of codes separated by commas (``"tr, ca"``), named in that order; a code
    Babel does not know as it is."""
    if isinstance(codes, str):
        codes = [code.strip() for code in codes.split(",") if code.strip()]
    names = locale(lang).languages
    return ", ".join(str(names.get(str(code).lower(), code)) for code in codes)
