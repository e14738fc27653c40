"""The workspace's own words (buttons, headings, error pages) in English and French.

The questionnaire's questions and the explanations have their own texts (``rules/questions.yaml``,
``explanations/``); this module holds only the pages' chrome. Every key of ``messages.yaml`` has a text
in each language of ``LANGS`` (a test checks it), with ``{name}`` fields filled by ``t``.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any, Literal, cast

from engine.load import parse_yaml
from engine.typography import typeset

Lang = Literal["en", "fr"]
LANGS: tuple[Lang, ...] = ("en", "fr")
MESSAGES = Path(__file__).resolve().parent / "messages.yaml"


@functools.cache
def messages() -> dict[str, dict[str, str]]:
    """Every UI string, by key then language, read once from ``messages.yaml`` (safe loader, no duplicate
    keys) and set with its language's typography (French spaces before ``: ; ? !``)."""
    data = cast(dict[str, dict[str, str]], parse_yaml(MESSAGES.read_text(encoding="utf-8"), str(MESSAGES)).data)
    # set with each language's typography once, before any field is filled in (a user's text is not touched)
    return {key: {lang: typeset(text, lang) for lang, text in texts.items()} for key, texts in data.items()}


def language(value: str | None, default: Lang = "en") -> Lang:
    """``value`` if it is one of ``LANGS``, else ``default``."""
    return "fr" if value == "fr" else "en" if value == "en" else default


def t(key: str, lang: str, **fields: Any) -> str:
    """The text of ``key`` in ``lang`` (English for a language without one), its ``{fields}`` filled in.

    An unknown key is a bug in a template, so it raises ``KeyError`` (shown as a 500 page, found by the tests).
    """
    texts = messages()[key]
    text = texts.get(lang) or texts["en"]
    return text.format_map(fields) if fields else text


def accepted(header: str | None) -> Lang:
    """The first language of ``LANGS`` an ``Accept-Language`` header asks for, by weight; English if none."""
    ranked: list[tuple[float, int, Lang]] = []
    for index, part in enumerate((header or "").split(",")):
        tag, _, params = part.strip().partition(";")
        weight = 1.0
        if params.strip().startswith("q="):
            try:
                weight = float(params.strip()[2:])
            except ValueError:
                continue
        primary = tag.strip().lower().split("-")[0]
        if primary in LANGS and weight > 0:
            ranked.append((-weight, index, language(primary)))
    return min(ranked)[2] if ranked else "en"
