"""The question bank of the guided questionnaire, and what it takes to ask one question.

The bank (``rules/questions.yaml``) holds, per answer field, the prompt and help
in English and French, the kind of answer, the allowed values with their labels,
when to ask it and the values the skip logic tries. Loading checks it against the
answers model: every field has exactly one question, every question names a real
field, the kinds and allowed values agree, every text exists in both languages.

Typed text becomes a value here (``parse``), and the value is checked by the
same model that validates answers files (``check``). Both raise ``Refusal``, a
message key of the bank with its arguments, so the questionnaire can say what is
expected in the user's language. ``could_matter`` is the skip logic: whether an
optional answer could change a flow's decision, found by evaluating the policy
with each allowed or plausible value.
"""

from __future__ import annotations

import difflib
import functools
import re
import string
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Callable, Literal, Sequence, get_args

from babel import Locale
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..analysis.context import FlowContext
from ..answers import shown_bound
from ..costs import COSTLESS_FIELDS, FlowCosts, flow_costs
from ..decide import SHARE_OF, decide
from ..errors import PolicyError, Problem
from ..facts import snapshot
from ..load import Document, DocumentError, PathKey, dotted, read_document
from ..models import QUOTE_FORMS, WEEKDAYS, Activity, Channel, Flow, FlowInputs, Organisation, TooLittle, VendorQuote
from ..policy.loading import Policy, comparisons, validate_document
from ..ranges import Estimate
from ..policy.rules import Condition, Graded, Texts, holds
from ..problems import error
from ..problems import shown as catalogue_shown

Lang = Literal["en", "fr"]
LANGS: tuple[Lang, ...] = ("en", "fr")
Kind = Literal["text", "slug", "country", "currency", "choice", "choices", "yes_no", "integer", "number",
               "seconds", "quote", "languages", "numbers", "week"]
Section = Literal["organisation", "flows"]

# Every message the questionnaire says, with the placeholders it may use.
MESSAGES: dict[str, frozenset[str]] = {
    name: frozenset(args.split()) for name, args in {
        "intro": "", "section_organisation": "", "section_flow": "number", "add_flow": "",
        "progress_organisation": "number total", "progress_flow_start": "flow number",
        "progress_flow": "flow number total",
        "required": "", "help_hint": "", "no_help": "", "not_number": "value", "not_whole": "value",
        "at_least": "bound", "none_or_at_least": "bound", "more_than": "bound", "at_most": "bound", "less_than": "bound",
        "not_choice": "value", "not_yes_no": "value", "bad_duration": "value", "bad_quote": "value", "wrong_contact": "value noun channel fits",
        "bad_slug": "value", "bad_country": "value", "bad_currency": "value", "bad_text": "value",
        "bad_language": "value", "wrong_unit": "value unit", "wrong_currency": "value currency", "not_money": "value unit", "numbers_count": "expected count", "all_zero": "", "week_total": "",
        "range_not_here": "value", "range_order": "value", "bad_range": "value",
        "range_value": "low high likely", "range_help": "",
        "repeated": "value", "duplicate_id": "value", "quote_form": "value", "nothing_before": "",
        "suggested": "activity", "inherited": "", "policy_default": "", "skipped": "count", "asked_count": "asked", "review_title": "",
        "colon": "", "list_sep": "", "review_prompt": "", "review_defaults": "", "review_derived": "", "review_problem": "number label where message",
        "chat_only": "value channel", "peak_disagrees": "value", "review_flow": "number name", "saved": "path",
        "draft_saved": "path command", "resumed": "path count", "dropped": "message then", "asked_again": "",
        "left_out": "", "id_remade": "", "rewritten": "path",
        "exists": "path", "unknown_field": "", "answers_header": "recommend change", "draft_header": "command", "none_value": "", "unset_value": "", "yes_value": "", "no_value": "",
    }.items()
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# Flow fields the questionnaire makes from other answers instead of asking (ask: derived): the
# id from the name. They are shown, and can be changed, in the review.
DERIVED = frozenset({"id"})


class Choice(_Strict):
    """One allowed value of a choice question, with its label in both languages."""

    value: str
    en: Annotated[str, Field(min_length=1)]
    fr: Annotated[str, Field(min_length=1)]

    def label(self, lang: Lang) -> str:
        return self.en if lang == "en" else self.fr

    def short(self, lang: Lang) -> str:
        """The label without its explanation: 'medium' for 'medium: roughly forecast, with surprises'."""
        return re.split(r"\s*:\s", self.label(lang), maxsplit=1)[0]


class Question(_Strict):
    """How to ask for one field."""

    field: str
    kind: Kind
    prompt: Texts
    help: Texts
    label: Texts | None = None
    unit: Texts | None = None
    choices: tuple[Choice, ...] = ()
    default: Any = None
    ask: Literal["required", "always", "if_it_matters", "derived"] = "if_it_matters"
    when: Condition | None = None
    probe: tuple[float | str | tuple[float, ...], ...] = ()

    def text(self, what: Literal["prompt", "help", "label", "unit"], lang: Lang) -> str:
        texts = getattr(self, what)
        if texts is None:
            return self.text("prompt", lang).rstrip(" ?") if what == "label" else ""
        return str(getattr(texts, lang))

    def choice(self, value: str) -> Choice | None:
        return next((c for c in self.choices if c.value == value), None)


class Words(_Strict):
    """The words a user may type, in one language."""

    yes: tuple[str, ...]
    no: tuple[str, ...]
    none: tuple[str, ...]
    back: tuple[str, ...]
    per_contact: tuple[str, ...]
    per_hour: tuple[str, ...]
    per_minute: tuple[str, ...]
    per_fte_month: tuple[str, ...]
    per_month: tuple[str, ...]
    per_year: tuple[str, ...]
    # What a contact is called, on any channel ('any': contact, ticket) and on each one (phone: call):
    # 'per call' is 'per contact' on a phone flow. The first word of each is the one shown.
    contacts: dict[Literal["any"] | Channel, tuple[str, ...]]
    review: tuple[str, ...]  # shows the review again


class BankFile(_Strict):
    messages: dict[str, Texts]
    words: dict[Lang, Words]
    suggestions: dict[Activity, dict[str, bool | str]] = {}
    organisation: Annotated[tuple[Question, ...], Field(min_length=1)]
    flows: Annotated[tuple[Question, ...], Field(min_length=1)]


@dataclass(frozen=True)
class Bank:
    """A checked question bank."""

    source: str
    file: BankFile

    @property
    def organisation(self) -> tuple[Question, ...]:
        return self.file.organisation

    @property
    def flows(self) -> tuple[Question, ...]:
        return self.file.flows

    def message(self, key: str, lang: Lang, **args: Any) -> str:
        """The bank's message ``key`` in ``lang``; a figure worked out (a float) written as the catalogue
        of problems writes it, with the language's decimal mark."""
        figures = {name: catalogue_shown(arg, lang) if isinstance(arg, float) else arg for name, arg in args.items()}
        return str(getattr(self.file.messages[key], lang)).format(**figures)

    @functools.cached_property
    def words(self) -> dict[str, frozenset[str]]:
        """Every word of both languages, by meaning, in lower case."""
        out: dict[str, set[str]] = {}
        for words in self.file.words.values():
            for meaning in Words.model_fields:
                found = getattr(words, meaning)
                if isinstance(found, dict):
                    found = [word for some in found.values() for word in some]
                out.setdefault(meaning, set()).update(w.lower() for w in found)
        return {meaning: frozenset(found) for meaning, found in out.items()}

    @functools.cached_property
    def contact_nouns(self) -> re.Pattern[str]:
        """The names of a contact in both languages, as whole words of a folded phrase."""
        nouns = sorted({_folded(noun) for noun in self.words["contacts"]}, key=len, reverse=True)
        return re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, nouns)) + r")(?!\w)")

    def contacts_of(self, channel: str) -> frozenset[str]:
        """The names of a contact that fit a flow of ``channel``, folded, in both languages: those of
        any channel and the channel's own."""
        keys = {"any", *(c for c in Channel if c.value == channel)}
        return frozenset(_folded(noun) for words in self.file.words.values()
                         for key, nouns in words.contacts.items() if key in keys for noun in nouns)

    def per_contact(self, channel: str, lang: Lang) -> str:
        """How a price per contact is written on a flow of ``channel`` in ``lang``: 'per contact, per
        call'."""
        words = self.file.words[lang]
        neutral = words.per_contact[0]
        own = [nouns[0] for key, nouns in words.contacts.items() if key != "any" and key.value == channel and nouns]
        return ", ".join([neutral, *(neutral.replace("contact", noun) for noun in own)])

    def choice_label(self, field: str, value: Any, lang: Lang) -> str:
        """A flow choice's label without its parenthesis: 'level-1 support (common questions)' ->
        'level-1 support'; the value itself when it is no choice of the question."""
        question = next(q for q in self.flows if q.field == field)
        choice = question.choice(str(value))
        return re.sub(r"\s*\(.*?\)", "", choice.label(lang)) if choice else str(value)

    def refusal_text(self, question: Question, refusal: Refusal, value: Any, lang: Lang) -> str:
        """Why an answer was refused, in ``lang``: what was typed, what is expected."""
        args = {"value": value, "unit": question.text("unit", lang), **refusal.args_}
        if "channel" in args:
            args["fits"] = self.per_contact(str(args["channel"]), lang)
            args["channel"] = self.choice_label("channel", args["channel"], lang)
        return self.message(refusal.key, lang, **args)

    def suggestion(self, activity: str | None, field: str) -> Any:
        """The answer the bank suggests for ``field`` given the flow's activity, or None."""
        if activity is None:
            return None
        try:
            value = self.file.suggestions.get(Activity(activity), {}).get(field)
        except ValueError:
            return None
        return value.value if isinstance(value, Enum) else value


# ---------------------------------------------------------------------------------------------
# Values: the model's own validation of one field


MODELS: dict[Section, type[BaseModel]] = {"organisation": Organisation, "flows": Flow}


# The smallest valid flow: a field is checked by validating it in a flow (or an organisation) that
# is otherwise valid, so that the model's own validators (no value listed twice...) run on it. A
# chat flow, the one channel that takes every answer: a concurrency is refused on the others.
_MINIMAL: dict[Section, dict[str, Any]] = {
    "organisation": {}, "flows": {"id": "x", "channel": "chat", "monthly_volume": 0, "aht_seconds": 1},
}


class Refusal(Exception):
    """An answer that cannot be taken: a message key of the bank and its arguments."""

    def __init__(self, key: str, **args: Any) -> None:
        super().__init__(key)
        self.key = key
        self.args_ = args


_BOUNDS = {"greater_than_equal": ("at_least", "ge"), "greater_than": ("more_than", "gt"),
           "less_than_equal": ("at_most", "le"), "less_than": ("less_than", "lt")}
# The meanings of ``Words`` that are units, which a question's unit may belong to.
UNIT_MEANINGS: tuple[str, ...] = (*QUOTE_FORMS, "per_month", "per_year")
_PATTERNS = {"slug": "bad_slug", "country": "bad_country", "currency": "bad_currency", "languages": "bad_language"}


def model_default(section: Section, name: str) -> Any:
    """The model's default for a field, as an answers file would write it (None when required)."""
    info = MODELS[section].model_fields[name]
    if info.is_required():
        return None
    return plain(info.default)


def plain(value: Any) -> Any:
    """A model value as an answers file writes it: enums as their values, tuples as lists."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (tuple, list)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, BaseModel):
        return {k: plain(v) for k, v in value.model_dump(exclude_none=True).items()}
    return value


def check(question: Question, section: Section, value: Any) -> Any:
    """``value`` validated by the answers model for this field, in its plain form; or ``Refusal``."""
    try:
        model = MODELS[section].model_validate({**_MINIMAL[section], question.field: value})
    except ValidationError as exc:
        errors = [e for e in exc.errors() if e["type"] != "none_required"] or exc.errors()
        raise refusal_of(question, errors[0], value) from None
    return plain(getattr(model, question.field))


def refusal_of(question: Question, error: Any, value: Any) -> Refusal:
    """The refusal that says in the bank's words what the answers model's ``error`` on ``value`` means."""
    kind, ctx = error["type"], error.get("ctx") or {}
    shown = show(question, value, "en") if not isinstance(value, str) else value
    if kind in _BOUNDS:
        key, bound = _BOUNDS[kind]
        return Refusal(key, bound=shown_bound(ctx[bound]))
    if isinstance(ctx.get("error"), TooLittle):
        return Refusal("none_or_at_least", bound=shown_bound(ctx["error"].minimum))
    if kind == "string_pattern_mismatch":
        return Refusal(_PATTERNS.get(question.kind, "bad_text"), value=error.get("input", shown))
    if kind in ("string_too_short", "string_too_long"):
        return Refusal("bad_text", value=shown)
    if kind in ("too_short", "too_long") and question.kind == "numbers":
        expected = ctx.get("min_length") if kind == "too_short" else ctx.get("max_length")
        return Refusal("numbers_count", expected=expected, count=ctx.get("actual_length"))
    if kind == "value_error" and question.kind == "numbers" and "every" in str(ctx.get("error", "")):
        return Refusal("all_zero")
    if kind == "value_error" and question.kind == "week":
        return Refusal("week_total")
    if kind in ("int_from_float", "int_parsing"):
        return Refusal("not_whole", value=shown)
    if kind == "value_error" and "twice" in str(ctx.get("error", "")):
        repeated = str(ctx.get("error")).split("'")[1] if "'" in str(ctx.get("error")) else shown
        return Refusal("repeated", value=repeated)
    if kind in ("enum", "literal_error"):
        return Refusal("not_choice", value=shown)
    if question.kind == "quote":
        return Refusal("quote_form", value=shown)
    return Refusal("not_number", value=shown)


# ---------------------------------------------------------------------------------------------
# Typed text -> value


_SPACES = re.compile(r"[\s\u00a0\u202f_']+")
_EN_GROUPED = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")
_PLAIN = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)$")


_CURRENCY = re.compile(r"^(?:[€$£]|eur|usd|gbp)|(?:[€$£]|eur|usd|gbp)$", re.IGNORECASE)


def parse_number(text: str) -> float:
    """A number as people type it: ``12000``, ``12 000``, ``12,000``, ``3.5``, ``3,5``, ``35 %``,
    ``34,50 €``, ``$38``."""
    t = _CURRENCY.sub("", _SPACES.sub("", text.strip()).rstrip("%"))
    if _EN_GROUPED.match(t):
        t = t.replace(",", "")
    elif t.count(",") == 1 and "." not in t:
        t = t.replace(",", ".")  # a decimal comma
    if not _PLAIN.match(t):
        raise Refusal("not_number", value=text.strip())
    return float(t)


_DURATION = re.compile(r"^(?:(?P<m>\d+(?:[.,]\d+)?)\s*(?:minutes?|mins?|mn|m)\s*)?"
                       r"(?:(?P<s>\d+(?:[.,]\d+)?)\s*(?:secondes?|seconds?|secs?|s)?)?$")


def parse_seconds(text: str) -> float:
    """A duration in seconds: ``240``, ``4:00``, ``4 min``, ``4 min 30``, ``4m30s``, ``90 s``."""
    t = text.strip().lower()
    if re.fullmatch(r"\d+:\d{1,2}(:\d{1,2})?", t):
        total = 0
        for part in t.split(":"):
            total = total * 60 + int(part)
        if t.count(":") == 1 and int(t.split(":")[1]) >= 60:
            raise Refusal("bad_duration", value=text.strip())
        return float(total)
    match = _DURATION.match(t)
    if not t or not match:
        raise Refusal("bad_duration", value=text.strip())
    minutes = float(match["m"].replace(",", ".")) if match["m"] else 0.0
    seconds = float(match["s"].replace(",", ".")) if match["s"] else 0.0
    return minutes * 60 + seconds


def _normal(text: str) -> str:
    return " ".join(text.strip().lower().replace("_", " ").split())


def _folded(text: str) -> str:
    """A name as typed or as written, compared without case, accents or hyphens (``États-Unis``)."""
    bare = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return " ".join(re.sub(r"[-’'.]", " ", bare).casefold().split())


@functools.lru_cache(maxsize=2)
def _codes_by_name(kind: Literal["country", "languages"]) -> dict[str, str]:
    """Country or language names in English and French, folded, to their ISO codes (Babel's CLDR
    names: ``France``, ``Maroc``, ``United States``; ``français``, ``Spanish``)."""
    codes: dict[str, str] = {}
    for lang in ("en", "fr"):
        locale = Locale(lang)
        names = locale.territories if kind == "country" else locale.languages
        for code, name in names.items():
            if len(code) == 2 and code.isalpha():
                codes.setdefault(_folded(name), code.upper() if kind == "country" else code.lower())
    return codes


def parse_country(text: str) -> str:
    """A country by its code (``fr``, ``MA``) or its name in English or French (``France``, ``Maroc``);
    anything else as typed, for the model to refuse."""
    t = text.strip()
    return _codes_by_name("country").get(_folded(t), t.upper())


def parse_languages(text: str) -> list[str]:
    """Languages by code (``fr, en``) or by name in English or French (``français, Spanish``)."""
    names = _codes_by_name("languages")
    codes = []
    for part in (p for p in re.split(r"[,;/]|\s+(?:and|et)\s+", text) if p.strip()):
        code = names.get(_folded(part))
        if code is not None:
            codes.append(code)
        else:  # several codes or names separated by spaces only
            codes += [names.get(_folded(word), word.lower()) for word in part.split()]
    return codes


# The answers that are amounts of money, typed with or without a currency; any other number typed
# with one is refused (12 000 € is not a number of contacts).
_MONEY_FIELDS = frozenset({"loaded_hourly_cost", "opportunity_cost_per_hour", "transition_cost", "minimum_monthly",
                           "exit_cost"})


# Ratios to an average, that people also give as a percentage of it: "+150 %" is an increase
# of 150 %, 2.5 times the average; "150 %" is 1.5 times the average.
_RATIOS = frozenset({"peak_ratio"})


def _ratio(question: Question, amount: Amount) -> float:
    """The number typed, as a ratio when the question asks for one and a percentage was typed."""
    if question.field not in _RATIOS or not amount.percent:
        return amount.value
    return 1 + amount.value / 100 if amount.increase else amount.value / 100


def _one_choice(question: Question, text: str) -> str:
    t = _normal(text)
    if t.isdigit() and 1 <= int(t) <= len(question.choices):
        return question.choices[int(t) - 1].value
    names: dict[str, str] = {}
    for choice in question.choices:
        for name in (choice.value, choice.en, choice.fr):
            names.setdefault(_normal(name), choice.value)
    if t in names:
        return names[t]
    starts = {value for name, value in names.items() if t and name.startswith(t)}
    if len(starts) == 1:
        return starts.pop()
    raise Refusal("not_choice", value=text.strip())


def parse(question: Question, text: str, bank: Bank, currency: str | None = None, channel: str | None = None) -> Any:
    """The value typed for ``question`` (not yet checked by the model), or ``Refusal``. An amount
    typed with a currency other than ``currency`` (the organisation's) is refused, and so is a price
    per a kind of contact other than the ``channel``'s. A numeric answer may be typed as a range
    (``parse_range``): an ``Estimate`` then; a range typed for a choice or a yes/no is refused."""
    try:
        return _parse_one(question, text, bank, currency, channel)
    except Refusal:
        if question.kind in RANGE_KINDS:
            estimate = parse_range(question, text, bank, currency, channel)
            if estimate is not None:
                return estimate
        elif question.kind in _ONE_ANSWER and _is_range_of(question, text, bank):
            raise Refusal("range_not_here", value=text.strip()) from None
        raise


def _parse_one(question: Question, text: str, bank: Bank, currency: str | None = None,
               channel: str | None = None) -> Any:
    """The single value typed for ``question``, as ``parse`` takes it."""
    t = text.strip()
    kind = question.kind
    if kind == "text":
        return t
    if kind == "slug":
        return re.sub(r"\s+", "-", t.lower())
    if kind == "country":
        return parse_country(t)
    if kind == "currency":
        return t.upper()
    if kind == "languages":
        if _normal(t) in bank.words["none"]:
            return []
        return parse_languages(t)
    if kind == "choice":
        return _one_choice(question, t)
    if kind == "choices":
        if _normal(t) in bank.words["none"]:
            return []
        parts = [p for p in re.split(r"[,;]", t) if p.strip()]
        if len(parts) == 1 and all(w.isdigit() for w in t.split()):
            parts = t.split()
        return [_one_choice(question, part) for part in parts]
    if kind == "yes_no":
        if _normal(t) in bank.words["yes"]:
            return True
        if _normal(t) in bank.words["no"]:
            return False
        raise Refusal("not_yes_no", value=t)
    if kind == "seconds":
        return parse_seconds(t)
    if kind == "quote":
        return parse_quote(t, bank, currency, channel)
    if kind == "numbers":
        return parse_numbers(t, bank)
    if kind == "week":
        return parse_week(t, bank)
    value = _ratio(question, parse_amount(question, t, bank, currency))
    if kind == "integer":
        if not value.is_integer():
            raise Refusal("not_whole", value=t)
        return int(value)
    return value


# ---------------------------------------------------------------------------------------------
# Ranges typed: a numeric answer known only between two values


RANGE_KINDS = frozenset({"integer", "number", "seconds"})
_ONE_ANSWER = frozenset({"choice", "choices", "yes_no"})
# 8000-15000, 8 000 à 15 000, entre 8 000 et 15 000, from 30 € to 34 €: the first separator after
# the low value, so that a unit with a word of its own ('conversations à la fois') is kept whole.
_TO = re.compile(r"^(?:(?:entre|between|from|de)\s+)?(?P<low>.+?)(?:\s*[-–—]\s*|\s+(?:to|à|and|et)\s+)"
                 r"(?P<high>.+)$", re.IGNORECASE)
# 240 ± 15 %, 240 +/- 30: the likely value, then a spread either way, in % of it or in its unit.
_PLUS_MINUS = re.compile(r"^(?P<likely>.+?)\s*(?:±|\+/-|\+-)\s*(?P<spread>[+-]?[0-9][0-9\s\u00a0\u202f.,':]*?)\s*"
                         r"(?P<percent>%?)\s*(?P<unit>\D*)$")
# 11000 (8000-15000): the likely value, then the range in brackets; the unit may follow.
_LIKELY_FIRST = re.compile(r"^(?P<likely>[^()]+?)\s*\((?P<range>[^()]+)\)\s*(?P<unit>\D*)$")
_STARTS_NUMERIC = re.compile(r"^(?:[€$£]\s*)?[+-]?[0-9]")


def parse_range(question: Question, text: str, bank: Bank, currency: str | None = None,
                channel: str | None = None) -> Estimate | None:
    """A range typed for a numeric question, each value read as a single answer is (``12 000 à
    15 000 appels par mois``, ``30 € to 34 €``, ``240 ± 15 %``, ``11000 (8000-15000)``); the likely
    value is the middle unless given. None when ``text`` is not a range; ``Refusal`` when it is one
    whose values cannot be read."""
    def one(part: str) -> Any:
        return _parse_one(question, part, bank, currency, channel)

    t = " ".join(text.split())
    first = _LIKELY_FIRST.match(t)
    if first is not None:
        bounds = _bounds(first["range"], first["unit"])
        if bounds is not None:
            return Estimate(one(bounds[0]), one(f"{first['likely']} {first['unit']}"), one(bounds[1]))
    spread = _PLUS_MINUS.match(t)
    if spread is not None:
        likely = one(f"{spread['likely']} {spread['unit']}")
        if spread["percent"]:
            width = likely * parse_number(spread["spread"]) / 100
        else:
            width = one(f"{spread['spread']} {spread['unit']}")
        if width < 0:
            raise Refusal("bad_range", value=text.strip())
        if question.kind == "integer":
            return Estimate(round(likely - width), likely, round(likely + width))
        return Estimate(likely - width, likely, likely + width)
    bounds = _bounds(t)
    if bounds is None:
        return None
    low, high = one(bounds[0]), one(bounds[1])
    middle = (low + high) / 2
    return Estimate(low, round(middle) if question.kind == "integer" else middle, high)


def _bounds(text: str, unit: str = "") -> tuple[str, str] | None:
    """The two values of a range typed ``low to high`` (the ``unit`` after the high one), or None."""
    found = _TO.match(text.strip())
    if found is None or not all(_STARTS_NUMERIC.match(found[side]) for side in ("low", "high")):
        return None
    return found["low"], f"{found['high']} {unit}".strip()


def _is_range_of(question: Question, text: str, bank: Bank) -> bool:
    """Whether ``text`` gives two answers to ``question`` as a range: ``medium to high``, ``1-3``."""
    found = _TO.match(" ".join(text.split())) or _PLUS_MINUS.match(" ".join(text.split()))
    if found is None:
        return False
    try:
        for side in found.groups()[:2]:
            _parse_one(question, side, bank)
    except Refusal:
        return False
    return True


def check_range(question: Question, section: Section, estimate: Estimate) -> dict[str, Any]:
    """A range's values each validated as the single answer is (the same refusals), in order: the
    range as an answers file writes it, ``{low, likely, high}``; or ``Refusal``."""
    checked = {name: check(question, section, getattr(estimate, name)) for name in ("low", "likely", "high")}
    if not checked["low"] <= checked["likely"] <= checked["high"]:
        raise Refusal("range_order")
    return checked


def is_range(question: Question, value: Any) -> bool:
    """Whether ``value`` is a range written for ``question``: ``{low, likely, high}`` of a number."""
    return question.kind in RANGE_KINDS and isinstance(value, dict) and set(value) == {"low", "likely", "high"}


def parse_numbers(text: str, bank: Bank) -> list[float] | None:
    """Numbers separated by semicolons, or by spaces when no semicolon is typed: ``12 000; 11 500``
    or ``12000 11500`` (grouping digits with spaces then needs semicolons); None for none."""
    if _normal(text) in bank.words["none"]:
        return None
    parts = text.split(";") if ";" in text else text.split()
    return [parse_number(part) for part in parts if part.strip()]


def parse_week(text: str, bank: Bank) -> dict[str, list[float]] | None:
    """A week's profile typed as 168 shares, Monday 0:00-1:00 first (``parse_numbers``), as the
    answers file writes it: the 24 hours of each day under the day's name; None for none."""
    shares = parse_numbers(text, bank)
    if shares is None:
        return None
    if len(shares) != 24 * len(WEEKDAYS):
        raise Refusal("numbers_count", expected=24 * len(WEEKDAYS), count=len(shares))
    return {day: shares[24 * index:24 * index + 24] for index, day in enumerate(WEEKDAYS)}


# An amount as typed: a currency before or after the number, a percent sign, then a unit phrase.
_MONEY = r"[€$£]|euros?|dollars?|[a-z]{3}(?![a-z])"
_AMOUNT = re.compile(rf"^(?P<before>{_MONEY})?\s*(?P<number>[+-]?[0-9.,][0-9\s\u00a0\u202f.,']*?)\s*"
                     rf"(?P<percent>%)?\s*(?P<after>{_MONEY})?\s*(?P<unit>\D*)$", re.IGNORECASE)
_MONEY_WORDS = {"euro": "€", "euros": "€", "dollar": "$", "dollars": "$"}


@dataclass(frozen=True)
class Amount:
    """A number as typed, with what came around it."""

    value: float
    percent: bool  # typed with %
    increase: bool  # typed with a + sign
    unit: str  # the words after it, folded ("" when none)


def _currency_matches(typed: str, currency: str) -> bool:
    """Whether a currency typed (a symbol, a word or an ISO code) can be ``currency``: ``$`` is any
    dollar (USD, CAD...), ``€`` the euro, ``£`` the pound."""
    from babel.numbers import get_currency_symbol

    typed = _MONEY_WORDS.get(typed.lower(), typed)
    if len(typed) == 3:
        return typed.upper() == currency.upper()
    return any(typed in get_currency_symbol(currency.upper(), lang) for lang in LANGS)


def _split_amount(text: str, currency: str | None) -> tuple[Amount, str] | None:
    """The amount typed and its currency if any; None when ``text`` does not start with one. A
    currency that cannot be the organisation's is refused."""
    from babel.numbers import list_currencies

    match = _AMOUNT.match(text.strip())
    if not match:
        return None

    def is_money(typed: str | None) -> bool:
        return bool(typed) and (len(typed or "") != 3 or typed.lower() in _MONEY_WORDS  # type: ignore[union-attr]
                                or typed.upper() in list_currencies())  # type: ignore[union-attr]

    if match["before"] and not is_money(match["before"]):
        return None
    after, unit = match["after"], match["unit"]
    if after and not is_money(after):  # a word of the unit: 'per contact'
        after, unit = None, f"{after} {unit}"
    money = [m for m in (match["before"], after) if m]
    if len(money) > 1:
        return None
    value = parse_number(match["number"])
    if money and currency and not _currency_matches(money[0], currency):
        raise Refusal("wrong_currency", value=text.strip(), currency=currency.upper())
    amount = Amount(value, bool(match["percent"]), match["number"].lstrip().startswith("+"), _folded(unit))
    return amount, money[0] if money else ""


def _unit_key(phrase: str, bank: Bank) -> str:
    """A unit phrase compared without case, accents, %, × or the kind of contact: 'appels par
    mois' and 'contacts par mois' are the same unit, and so are 'per call' and 'per contact'."""
    return bank.contact_nouns.sub("contact", _folded(phrase.replace("%", " ").replace("×", " ")))


def units_of(question: Question, bank: Bank) -> frozenset[str]:
    """The unit phrases an answer to ``question`` may carry, in either language: its own unit, the
    same without its noun ('par mois' for 'contacts par mois'), and every word of the same meaning
    ('/h' and 'an hour' for 'per hour')."""
    if question.unit is None:
        return frozenset()
    own = {_unit_key(getattr(question.unit, lang), bank) for lang in LANGS}
    counted = any(key.startswith("contact ") for key in own)
    own |= {key.removeprefix("contact ") for key in own}
    for meaning in UNIT_MEANINGS:
        words = {_unit_key(word, bank) for word in bank.words[meaning]}
        if own & words:
            own |= words | ({f"contact {word}" for word in words} if counted else set())
    return frozenset(own - {""})


def parse_amount(question: Question, text: str, bank: Bank, currency: str | None = None) -> Amount:
    """A number with what people type around it: ``34,50 €``, ``$38``, ``+150 %``, ``32 € de
    l'heure``, ``12 000 appels par mois``. A unit phrase must be the question's own, in either
    language; any other is refused, saying which unit the question asks for."""
    split = _split_amount(text, currency if question.field in _MONEY_FIELDS else None)
    if split is None:
        raise Refusal("not_number", value=text.strip())
    amount, money = split
    if money and question.field not in _MONEY_FIELDS:
        raise Refusal("not_money", value=text.strip())
    if amount.unit and _unit_key(amount.unit, bank) not in units_of(question, bank):
        if not question.unit:
            raise Refusal("not_number", value=text.strip())
        raise Refusal("wrong_unit", value=text.strip())  # the unit is the question's, in its language
    return amount


def parse_quote(text: str, bank: Bank, currency: str | None = None,
                channel: str | None = None) -> dict[str, float] | None:
    """A provider's price: ``2.10 per contact``, ``1,90 € par appel``, ``$28/h``, ``0,60 par minute``,
    ``4200 per FTE a month``; None for no quote. A price per call is refused on an email flow: a
    contact is named for the ``channel`` when one is given, or neutrally (per contact)."""
    t = _normal(text)
    if t in bank.words["none"]:
        return None
    try:
        split = _split_amount(t, currency)
    except Refusal as refusal:
        if refusal.key == "wrong_currency":
            raise
        split = None
    if split is None:
        raise Refusal("bad_quote", value=text.strip())
    if channel is not None:
        alien = [n for n in bank.contact_nouns.findall(_folded(split[0].unit)) if n not in bank.contacts_of(channel)]
        if alien:
            raise Refusal("wrong_contact", value=text.strip(), noun=alien[0], channel=channel)
    unit = _unit_key(split[0].unit, bank).replace(" ", "")
    for form in QUOTE_FORMS:
        if unit in {_unit_key(word, bank).replace(" ", "") for word in bank.words[form]}:
            return {form: split[0].value}
    raise Refusal("bad_quote", value=text.strip())


# ---------------------------------------------------------------------------------------------
# Value -> text


def _grouped(value: float, lang: Lang, cents: bool = False) -> str:
    """A number grouped by thousands, to two decimals at most (``cents``: two, when it has any)."""
    text = f"{int(value):,}" if float(value).is_integer() else f"{value:,.2f}" if cents \
        else f"{value:,.2f}".rstrip("0").rstrip(".")
    if lang == "fr":
        text = text.replace(",", "\u202f").replace(".", ",")
    return text


def _amount(value: float, currency: str, lang: Lang) -> str:
    """An amount of money as the explanations write it: 'EUR 34.50' in English, '34,50 €' in French
    (cents only when it has some)."""
    from babel.numbers import get_currency_symbol

    text = _grouped(value, lang, cents=True)
    if lang == "fr":
        return f"{text}\u00a0{get_currency_symbol(currency.upper(), lang)}"
    return f"{currency.upper()}\u00a0{text}"


def show(question: Question, value: Any, lang: Lang, bank: Bank | None = None, short: bool = False,
         currency: str | None = None) -> str:
    """A value as the questionnaire shows it: labels for choices (``short``: without their
    explanation, for the review), yes/no, grouped numbers, names of countries and languages, and an
    amount of money with ``currency`` (the organisation's) when known: 34,50 € de l'heure."""
    def word(key: str, fallback: str) -> str:
        return bank.message(key, lang) if bank is not None else fallback

    if value is None:
        return word("unset_value", "none")
    if value == []:
        return word("none_value", "none")
    kind = question.kind
    if kind == "choice":
        choice = question.choice(str(value))
        return (choice.short(lang) if short else choice.label(lang)) if choice else str(value)
    if kind == "choices":
        return ", ".join(show(question.model_copy(update={"kind": "choice"}), v, lang, bank, short) for v in value)
    if kind == "languages" and isinstance(value, list):
        return ", ".join(Locale(lang).languages.get(str(code), str(code)) for code in value)
    if kind == "country":
        return str(Locale(lang).territories.get(str(value), value))
    if kind == "numbers" and isinstance(value, (list, tuple)):
        return "; ".join(_grouped(v, lang) for v in value)
    if kind == "week" and isinstance(value, dict):
        return "; ".join(f"{day} {_grouped(sum(hours), lang)} %" for day, hours in value.items())
    if kind == "yes_no" and isinstance(value, bool):
        return word("yes_value", "yes") if value else word("no_value", "no")
    if kind == "seconds" and isinstance(value, (int, float)):
        minutes, seconds = divmod(int(round(value)), 60)
        return f"{_grouped(value, lang)} s ({minutes}:{seconds:02d})"
    if kind == "quote" and isinstance(value, dict) and value:
        form, amount = next(iter(value.items()))
        unit = next(iter(getattr(bank.file.words[lang], form)), form) if bank else form
        return f"{_grouped(amount, lang)} {unit}"
    if kind in ("integer", "number") and isinstance(value, (int, float)) and not isinstance(value, bool):
        unit = question.text("unit", lang)
        amount = _amount(value, currency, lang) if currency and question.field in _MONEY_FIELDS else _grouped(value, lang)
        return f"{amount} {unit}".strip()
    return str(value)


def show_range(question: Question, ranged: dict[str, Any], lang: Lang, bank: Bank) -> str:
    """A range as the questionnaire shows it: '8 000 to 15 000 contacts a month (likely 11 500)'."""
    def bare(value: float) -> str:
        return f"{_grouped(value, lang)} s" if question.kind == "seconds" else _grouped(value, lang)

    unit = "" if question.kind == "seconds" else question.text("unit", lang)
    return bank.message("range_value", lang, low=bare(ranged["low"]), high=f"{bare(ranged['high'])} {unit}".strip(),
                        likely=bare(ranged["likely"]))


# ---------------------------------------------------------------------------------------------
# The skip logic


def flow_model(flow: dict[str, Any], organisation: dict[str, Any]) -> FlowInputs | None:
    """The flow's answers so far as the policy sees them; None while a required answer is missing."""
    try:
        return FlowInputs(flow=Flow.model_validate(flow), organisation=Organisation.model_validate(organisation),
                          defaults_used=())
    except ValidationError:
        return None


Outcome = tuple[str, tuple[str, ...]] | None


def _frozen(value: Any) -> Any:
    """An answer as a key: equal for equal answers of the same types (``1``, ``1.0`` and ``True``
    differ, as they do in the answers file)."""
    kind = type(value)
    if kind is str or value is None:
        return value
    if kind is dict:
        return ("{", tuple(sorted((str(k), _frozen(v)) for k, v in value.items())))
    if kind is list or kind is tuple:
        return ("[", tuple(map(_frozen, value)))
    return (kind, value)


def _flow_key(flow: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(sorted([(name, _frozen(value)) for name, value in flow.items()]))


class _Organisation:
    """What the skip logic keeps for the flows of one organisation: the outcome of every flow it
    evaluated, the costs of every flow by the answers the cost model reads, and the rule engine's
    firings by what it can tell of the facts."""

    def __init__(self, organisation: dict[str, Any]) -> None:
        try:
            self.model: Organisation | None = Organisation.model_validate(organisation)
        except ValidationError:
            self.model = None
        self.outcomes: dict[tuple[Any, ...], Outcome] = {}
        self.costs: dict[tuple[Any, ...], FlowCosts] = {}
        self.quote_bases: dict[tuple[Any, ...], tuple[bool, float | None]] = {}
        self.context: FlowContext | None = None  # the FlowContext whose view of the facts keys the firings, once a flow is complete
        self.firings: dict[tuple[Any, ...], tuple[Any, ...]] = {}
        self.verdicts: dict[tuple[Any, ...], Outcome] = {}


class SkipMemo:
    """What the skip logic has found out, kept for the next question: the skip logic evaluates the
    policy on a flow with one or two answers tried at each of their candidate values, again and
    again for each optional question. Each flow tried is evaluated once (its outcome is kept by
    its exact answers and the organisation's), and the steps of an evaluation are reused from
    flows that differ only where they cannot tell: the costs of flows that differ only in answers
    the cost model does not read, the rule engine's firings on facts it cannot tell apart
    (``FlowContext.seen_by_engine``), the decision on the same firings with the same facts the
    decision weighs (savings, grades, shares of contacts). Keys are whole answers, so an answer
    changed needs no invalidation: the flows it changes are simply other keys.

    ``plain`` evaluates every flow through the whole pipeline, keeping nothing: the reference the
    kept outcomes are checked against."""

    LIMIT = 20_000  # outcomes kept per organisation before they are forgotten (some 2 kB each)
    ORGANISATIONS = 4  # organisations kept

    def __init__(self, policy: Policy, plain: bool = False) -> None:
        import threading

        self.policy, self.plain = policy, plain
        self._organisations: dict[str, _Organisation] = {}
        self._lock = threading.RLock()
        self.evaluations = 0  # flows evaluated (not found among those kept)
        self.engine_runs = 0

    def _of(self, organisation: dict[str, Any]) -> _Organisation:
        import json

        key = json.dumps(organisation, sort_keys=True, default=str)
        found = self._organisations.pop(key, None)
        if found is None:
            found = _Organisation(organisation)
            if len(self._organisations) >= self.ORGANISATIONS:
                self._organisations.pop(next(iter(self._organisations)))
        self._organisations[key] = found  # the latest used last
        return found

    def outcome(self, flow: dict[str, Any], organisation: dict[str, Any]) -> Outcome:
        """The decision and split of ``flow``; None while the flow is incomplete or invalid."""
        return self.outcomes(organisation)(flow)

    def outcomes(self, organisation: dict[str, Any]) -> Callable[[dict[str, Any]], Outcome]:
        """The outcome of a flow of ``organisation``, as a function of the flow (for many flows of one
        organisation, which is then looked up once)."""
        if self.plain:
            return functools.partial(_plain_outcome, organisation=organisation, policy=self.policy)
        with self._lock:
            org = self._of(organisation)

        def outcome(flow: dict[str, Any]) -> Outcome:
            with self._lock:
                return self._outcome(flow, org)
        return outcome

    def _outcome(self, flow: dict[str, Any], org: _Organisation) -> Outcome:
        key = _flow_key(flow)
        if key in org.outcomes:
            return org.outcomes[key]
        if len(org.outcomes) >= self.LIMIT:
            org.outcomes.clear()  # every table of the memo is emptied together: a server's memo stays bounded
            org.costs.clear()
            org.quote_bases.clear()
            org.firings.clear()
            org.verdicts.clear()
        found = self._evaluate(flow, key, org)
        org.outcomes[key] = found
        return found

    def _evaluate(self, flow: dict[str, Any], key: tuple[Any, ...], org: _Organisation) -> Outcome:
        if org.model is None:
            return None
        try:
            inputs = FlowInputs(flow=Flow.model_validate(flow), organisation=org.model, defaults_used=())
        except ValidationError:
            return None
        self.evaluations += 1
        policy = self.policy
        if org.context is None:
            org.context = FlowContext(inputs, policy)
        context = org.context
        cost_key = tuple(item for item in key if item[0] not in COSTLESS_FIELDS)
        costs = org.costs.get(cost_key)
        if costs is None:
            costs = org.costs[cost_key] = flow_costs(inputs, policy.costs, context.splits)
        facts = snapshot(inputs, costs, policy.languages_by_country)
        seen = context.seen_by_engine(facts)
        firings = org.firings.get(seen)
        if firings is None:
            self.engine_runs += 1
            fired, _derived = context.engine.evaluate(facts)
            firings = org.firings[seen] = tuple(fired)
        weighed = (tuple(f.rule_id for f in firings),
                   tuple(facts.get(name) for name in _weighed(policy)))
        if weighed not in org.verdicts:
            verdict = decide(firings, policy, facts)
            org.verdicts[weighed] = verdict.decision.value, tuple(s.value for s in verdict.split)
        return org.verdicts[weighed]

    def quote_base(self, flow: dict[str, Any], organisation: dict[str, Any]) -> tuple[bool, float | None]:
        """Whether the flow without its quote is complete, and its in-house cost per contact (the
        amount a provider's quote is tried against)."""
        without = {k: v for k, v in flow.items() if k != "vendor_quote"}
        if self.plain:
            return _quote_base(without, organisation, self.policy)
        with self._lock:
            org = self._of(organisation)
            key = _flow_key(without)
            if key not in org.quote_bases:
                org.quote_bases[key] = _quote_base(without, organisation, self.policy)
            return org.quote_bases[key]


@functools.lru_cache(maxsize=4)
def memo_for(policy: Policy) -> SkipMemo:
    """The skip logic's memo for ``policy``, shared by the conversations of this process (a web
    questionnaire makes a conversation per answer): what one found out, the next one reuses."""
    return SkipMemo(policy)


@functools.lru_cache(maxsize=16)
def _weighed(policy: Policy) -> tuple[str, ...]:
    """The facts the decision weighs beside which rules fired: those graded votes are graded by,
    the saving and the shares of contacts each split hands over."""
    graded = {weight.by for placed in policy.rules for weight in placed.rule.then.vote.values()
              if isinstance(weight, Graded)}
    return tuple(sorted(graded | {"savings_pct"})) + tuple(SHARE_OF.values())


def _quote_base(flow: dict[str, Any], organisation: dict[str, Any], policy: Policy) -> tuple[bool, float | None]:
    inputs = flow_model(flow, organisation)
    if inputs is None:
        return (False, None)
    return (True, flow_costs(inputs, policy.costs).inhouse_cost_per_contact)


def _plain_outcome(flow: dict[str, Any], organisation: dict[str, Any], policy: Policy) -> Outcome:
    """The decision and split of a flow through the whole pipeline; None while the flow is incomplete."""
    from ..recommend import evaluate_flow

    inputs = flow_model(flow, organisation)
    if inputs is None:
        return None
    verdict = evaluate_flow(inputs, policy).verdict
    return verdict.decision.value, tuple(s.value for s in verdict.split)


def candidates(question: Question, flow: dict[str, Any], organisation: dict[str, Any],
               policy: Policy, memo: SkipMemo | None = None) -> list[Any]:
    """The values the skip logic tries for ``question``: every allowed value, or the bank's probes."""
    kind = question.kind
    if kind == "choice":
        return [c.value for c in question.choices]
    if kind == "choices":
        return [[]] + [[c.value] for c in question.choices]
    if kind == "yes_no":
        return [False, True]
    if kind == "quote":
        complete, per_contact = (memo or SkipMemo(policy, plain=True)).quote_base(flow, organisation)
        if not complete:
            return []
        if not per_contact:
            return [None]
        return [None] + [{"per_contact": round(per_contact * float(f), 4)} for f in question.probe
                         if isinstance(f, (int, float))]
    if kind == "country":
        return [None, organisation.get("country", model_default("organisation", "country")), *question.probe]
    return [plain(value) for value in question.probe]


def _varies(question: Question, base: dict[str, Any], values: list[Any],
            outcome: Callable[[dict[str, Any]], Outcome]) -> bool:
    seen = {outcome(base)}
    for value in values:
        trial = base if value is None else {**base, question.field: value}
        seen.add(outcome(trial))
        if len(seen - {None}) > 1:
            return True
    return False


def could_matter(question: Question, flow: dict[str, Any], organisation: dict[str, Any], policy: Policy,
                 partners: Sequence[Question] = (), memo: SkipMemo | None = None) -> bool:
    """Whether some value of this optional answer would change the flow's decision or split: with
    every other answer as it is (unanswered ones at their defaults), or with one of ``partners``
    (questions not answered yet) at one of its own plausible values. Pairs matter: a provider's
    quote may decide a flow only once its work is known to be repetitive, and the other way round.
    ``memo`` keeps the flows evaluated for the next call (a conversation keeps one for all its
    questions); the answer is the same with or without it."""
    memo = SkipMemo(policy) if memo is None else memo
    outcome = memo.outcomes(organisation)
    base = {k: v for k, v in flow.items() if k != question.field}
    values = candidates(question, flow, organisation, policy, memo)
    if _varies(question, base, values, outcome):
        return True
    for partner in partners:
        if partner.field == question.field or partner.field in flow:
            continue
        for other in candidates(partner, base, organisation, policy, memo):
            if other is None:
                continue
            paired = {**base, partner.field: other}
            if _varies(question, paired, candidates(question, paired, organisation, policy, memo), outcome):
                return True
    return False


def applies(question: Question, flow: dict[str, Any]) -> bool:
    """Whether the question's ``when`` holds of the flow's answers so far (defaults filled in)."""
    if question.when is None:
        return True
    return holds(question.when, {**_FLOW_DEFAULTS, **flow})


_FLOW_DEFAULTS = {name: model_default("flows", name) for name in Flow.model_fields}


# ---------------------------------------------------------------------------------------------
# Writing answers as YAML, each answer under its question


# Values written without quotes: names like order_taking or low, that no YAML reader takes for
# anything else (YAML 1.1 readers take yes, no, on, off, y and n for booleans).
_BARE = re.compile(r"^[a-z][a-z0-9_]*$")
_YAML_WORDS = frozenset({"true", "false", "yes", "no", "on", "off", "y", "n", "null"})


def _scalar(value: Any) -> str:
    import json

    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        text = format(Decimal(repr(value)), "f")
        return text.rstrip("0").rstrip(".") if "." in text else text
    if isinstance(value, list):
        return "[" + ", ".join(_scalar(v) for v in value) + "]"
    if isinstance(value, str) and _BARE.match(value) and value not in _YAML_WORDS:
        return value
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_scalar(v)}" for k, v in value.items()) + "}"
    return json.dumps(str(value), ensure_ascii=False)


def _comment(text: str) -> str:
    return " ".join(text.split())


def to_yaml(data: dict[str, Any], bank: Bank, lang: Lang, header: str = "") -> str:
    """An answers document as YAML that a person can read and edit: every answer under its question,
    as a comment in ``lang``. Fields the bank does not know are kept, after the known ones."""
    out = [f"# {line}".rstrip() for line in header.splitlines()]
    organisation = data.get("organisation") or {}
    if organisation:
        out.append("organisation:")
        out += _fields(organisation, bank.organisation, lang, "  ", "  ")
    out.append("flows:" if data.get("flows") else "flows: []")
    for flow in data.get("flows") or []:
        lines = _fields(flow, bank.flows, lang, "  - ", "    ")
        out += lines or ["  - {}"]
    return "\n".join(out) + "\n"


def _fields(values: dict[str, Any], questions: tuple[Question, ...], lang: Lang, first: str,
            indent: str) -> list[str]:
    lines: list[str] = []
    known = {q.field: q for q in questions}
    order = [q.field for q in questions if q.field in values] + [k for k in values if k not in known]
    for name in order:
        question = known.get(name)
        if question is not None:
            lines.append(f"{first if not lines else indent}# {_comment(question.text('prompt', lang))}")
        lines.append(f"{first if not lines else indent}{name}: {_scalar(values[name])}")
    return lines


# ---------------------------------------------------------------------------------------------
# Loading and checking the bank


def _atoms(annotation: Any) -> set[Any]:
    """The plain types an annotation can hold, through Optional and Annotated; ``tuple`` stands
    for a tuple of enum values, ``"numbers"`` for a tuple of numbers."""
    origin = getattr(annotation, "__origin__", None)
    if origin is dict:
        return {dict}
    if origin is tuple:
        return {"numbers"} if _atoms(get_args(annotation)[0]) & {int, float} else {tuple}
    args = get_args(annotation)
    if not args:
        return {annotation}
    if hasattr(annotation, "__metadata__"):  # Annotated[x, ...]: only x is a type
        return _atoms(args[0])
    return {atom for arg in args for atom in _atoms(arg)}


def _expected_kinds(section: Section, name: str) -> set[str]:
    """The kinds of question that can fill a field, from its annotation."""
    atoms = _atoms(MODELS[section].model_fields[name].annotation)
    if name == "id":
        return {"slug"}
    if name in ("country", "provider_country"):
        return {"country"}
    if name == "currency":
        return {"currency"}
    if name == "languages":
        return {"languages"}
    if VendorQuote in atoms:
        return {"quote"}
    if dict in atoms:
        return {"week"}
    if "numbers" in atoms:
        return {"numbers"}
    if tuple in atoms:
        return {"choices"}
    if any(isinstance(a, type) and issubclass(a, Enum) for a in atoms):
        return {"choice"}
    if bool in atoms:
        return {"yes_no"}
    if int in atoms:
        return {"integer"}
    if float in atoms:
        return {"number", "seconds"}
    if str in atoms:
        return {"text"}
    return set()


def _enum_values(section: Section, name: str) -> list[str]:
    annotation = MODELS[section].model_fields[name].annotation
    stack, found = [annotation], []
    while stack:
        arg = stack.pop()
        if isinstance(arg, type) and issubclass(arg, Enum):
            found += [str(m.value) for m in arg]
        stack += list(get_args(arg))
    return found


def _check_question(q: Question, section: Section, path: PathKey, doc: Document, bank: Bank,
                    problems: list[Problem]) -> None:
    def problem(sub: PathKey, message: str) -> None:
        problems.append(Problem(doc.source, doc.line_of((*path, *sub)), dotted((*path, *sub)), message))

    model = MODELS[section]
    if q.field not in model.model_fields:
        close = difflib.get_close_matches(q.field, list(model.model_fields), n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        problem(("field",), f"{q.field!r} is not a field of {section}{hint}")
        return
    kinds = _expected_kinds(section, q.field)
    if q.kind not in kinds:
        problem(("kind",), f"{q.kind!r} does not fit {q.field!r}; use {' or '.join(sorted(kinds))}")
    if q.kind in ("choice", "choices"):
        values, given = _enum_values(section, q.field), [c.value for c in q.choices]
        missing = [v for v in values if v not in given]
        extra = [v for v in given if v not in values]
        if missing or extra or len(given) != len(set(given)):
            problem(("choices",), f"the choices must list each of {', '.join(values)} once"
                    + (f" (missing: {', '.join(missing)})" if missing else "")
                    + (f" (not allowed: {', '.join(extra)})" if extra else ""))
    elif q.choices:
        problem(("choices",), f"only choice questions have choices, and {q.field!r} is {q.kind!r}")
    if q.probe and q.kind not in ("integer", "number", "seconds", "quote", "country", "numbers"):
        problem(("probe",), f"probe values are for numbers, quotes and countries, not {q.kind!r}")
    for index, value in enumerate(q.probe):
        try:
            if q.kind == "quote":
                if not isinstance(value, (int, float)) or value <= 0:
                    raise Refusal("more_than", bound=0)
            else:
                check(q, section, value)
        except Refusal as refusal:
            problem(("probe", index), f"{value!r} cannot be an answer: "
                    + bank.message(refusal.key, "en", **{"value": value, "bound": "", **refusal.args_}))
    if "default" in q.model_fields_set:
        try:
            check(q, section, q.default)
        except Refusal as refusal:
            problem(("default",), f"{q.default!r} cannot be an answer: "
                    + bank.message(refusal.key, "en", **{"value": q.default, "bound": "", **refusal.args_}))
    required = model.model_fields[q.field].is_required()
    if section == "organisation" and ("ask" in q.model_fields_set or q.when is not None):
        problem(("ask",), "organisation questions are always asked: 'ask' and 'when' are for flows")
    elif q.ask == "derived" and q.field not in DERIVED:
        problem(("ask",), f"the questionnaire cannot derive {q.field!r}; only {', '.join(sorted(DERIVED))} can be")
    elif required and q.ask not in ("required", "derived"):
        problem(("ask",), f"{q.field!r} has no default, so its question must say ask: required")
    elif q.ask == "required" and not required:
        problem(("ask",), f"{q.field!r} has a default; 'required' is for fields without one (use always)")
    if q.when is not None:
        for cmp, sub in comparisons(q.when, ("when",)):
            if cmp.fact not in Flow.model_fields:
                close = difflib.get_close_matches(cmp.fact, list(Flow.model_fields), n=1, cutoff=0.6)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                problem((*sub, "fact"), f"{cmp.fact!r} is not a field of a flow{hint}")
            elif cmp.param is not None:
                problem(sub, "a question's condition compares with values, not parameters")


def _bank_problems(source: str, problems: list[Problem]) -> PolicyError:
    count = len(problems)
    return error(PolicyError, "policy.questions_problem" if count == 1 else "policy.questions_problems", *problems,
                 source=source, count=count)


def load_questions(root: Path, name: str = "questions.yaml") -> Bank:
    """Read and check the question bank of the policy in ``root``; ``PolicyError`` lists every problem."""
    try:
        doc = read_document(root / name, what="what.question_bank")
    except DocumentError as exc:
        raise error(PolicyError, "policy.questions_unreadable", exc.problem, root=str(root)) from None
    problems: list[Problem] = []
    bank_file = validate_document(BankFile, doc, problems)
    if bank_file is None:
        raise _bank_problems(doc.source, problems)
    bank = Bank(doc.source, bank_file)

    for key, allowed in MESSAGES.items():
        texts = bank_file.messages.get(key)
        if texts is None:
            problems.append(Problem(doc.source, doc.line_of(("messages",)), "messages", f"the message {key!r} is missing"))
            continue
        for lang in LANGS:
            used = {f for _, f, _, _ in string.Formatter().parse(getattr(texts, lang)) if f is not None}
            if used - allowed:
                path: PathKey = ("messages", key, lang)
                problems.append(Problem(doc.source, doc.line_of(path), dotted(path),
                                        f"unknown placeholder {{{sorted(used - allowed)[0]}}}; this message may use "
                                        + (", ".join(f"{{{a}}}" for a in sorted(allowed)) or "none")))
    for key in bank_file.messages:
        if key not in MESSAGES:
            problems.append(Problem(doc.source, doc.line_of(("messages", key)), f"messages.{key}",
                                    "not a message of the questionnaire"))

    sections: tuple[tuple[Section, tuple[Question, ...]], ...] = (
        ("organisation", bank_file.organisation), ("flows", bank_file.flows))
    for section, questions in sections:
        seen: dict[str, int] = {}
        for index, question in enumerate(questions):
            path = (section, index)
            if question.field in seen:
                problems.append(Problem(doc.source, doc.line_of((*path, "field")), dotted((*path, "field")),
                                        f"{question.field!r} already has a question ({section}[{seen[question.field]}])"))
            seen.setdefault(question.field, index)
            _check_question(question, section, path, doc, bank, problems)
        for name in MODELS[section].model_fields:
            if name not in seen:
                problems.append(Problem(doc.source, doc.line_of((section,)), section,
                                        f"the field {name!r} has no question"))

    flow_questions = {q.field: q for q in bank_file.flows}
    for activity, answers in bank_file.suggestions.items():
        for name, value in answers.items():
            path = ("suggestions", activity.value, name)
            asked = flow_questions.get(name)
            if asked is None or asked.kind not in ("choice", "yes_no"):
                problems.append(Problem(doc.source, doc.line_of(path), dotted(path),
                                        f"{name!r} is not a choice or yes/no question of a flow"))
                continue
            try:
                check(asked, "flows", plain(value))
            except Refusal:
                problems.append(Problem(doc.source, doc.line_of(path), dotted(path),
                                        f"{plain(value)!r} is not an answer to {name!r}"))
    if problems:
        raise _bank_problems(doc.source, problems)
    return bank
