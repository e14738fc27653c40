"""French typography in every output a French reader gets: a narrow no-break space before
``: ; ? !`` and ``%``, never a plain space (a line could break there) nor none.

A mark glued between two characters where the next is a letter, a digit or a slash is not French
punctuation (``https://``, ``12:30``, ``economics.yaml:14``, ``sha256:…``) and is left alone; so are
Markdown's table rules (``|---:|``) and the page's style sheet and attributes.
"""

from __future__ import annotations

import datetime
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Iterator

import pytest

from engine.answers import load_answers
from engine.policy.loading import Policy
from engine.recommend import recommend
from engine.typography import elided
from explanations.brief import render_brief
from explanations.render import document, render_document, to_json, wrap
from explanations.report import map_thresholds, render_report

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
TIPPING = "acme-retail.yaml"
NARROW = "\u202f"
# A mark of French punctuation: not glued between two characters where the next one is a letter,
# a digit or a slash.
MARK = re.compile(r"[:;?!%](?![\w/])|(?<=\s)[:;?!%]")
TABLE_RULE = re.compile(r"^\|[-:| ]+\|$", re.M)


class _Text(HTMLParser):
    """The text a reader sees on a page: element contents outside the style sheet."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._style = False

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        self._style = tag in ("style", "script")

    def handle_endtag(self, tag: str) -> None:
        self._style = False

    def handle_data(self, data: str) -> None:
        if not self._style:
            self.parts.append(data)


def page_text(page: str) -> str:
    parser = _Text()
    parser.feed(page)
    return "\n".join(parser.parts)


def json_texts(value: Any, key: str = "") -> Iterator[str]:
    """Every sentence of a JSON output: the ``text`` and ``explanation`` fields, at any depth."""
    if isinstance(value, dict):
        for name, item in value.items():
            yield from json_texts(item, name)
    elif isinstance(value, list):
        for item in value:
            yield from json_texts(item, key)
    elif isinstance(value, str) and key in ("text", "explanation"):
        yield value


def outputs(example: Path, policy: Policy) -> dict[str, str]:
    """Each French output of an example, as the text a reader reads, from one recommendation; the
    tipping points (what takes time) of the example that has the most kinds of them."""
    rec = recommend(load_answers(example), policy)
    doc = document(rec, policy, ("fr",), tipping=example.name == TIPPING)
    thresholds = map_thresholds(policy)
    return {
        "text": render_document(doc, "text", "fr"),
        "markdown": TABLE_RULE.sub("", render_document(doc, "markdown", "fr")),
        "json": "\n".join(json_texts(to_json(doc, "fr"))),
        "report": page_text(render_report(doc, thresholds, "fr", example.name)),
        "brief": TABLE_RULE.sub("", render_brief(rec, doc, "fr", example.name, datetime.date(2025, 3, 14))),
    }


def badly_spaced(text: str) -> list[str]:
    """Each mark of French punctuation without a narrow no-break space before it, in context."""
    return [repr(text[max(0, m.start() - 25):m.end() + 10]) for m in MARK.finditer(text)
            if text[m.start() - 1:m.start()] != NARROW]


@pytest.fixture(scope="module")
def french(policy: Policy) -> dict[tuple[str, str], str]:
    return {(example.stem, fmt): text for example in EXAMPLES for fmt, text in outputs(example, policy).items()}


@pytest.mark.parametrize("fmt", ["text", "markdown", "json", "report", "brief"])
def test_french_punctuation_has_a_narrow_no_break_space(french: dict[tuple[str, str], str], fmt: str) -> None:
    """In every example's French output of this format, ': ; ? !' and '%' follow a narrow no-break space."""
    for example in EXAMPLES:
        text = french[example.stem, fmt]
        assert text.strip(), (example.stem, fmt)
        bad = badly_spaced(text)
        assert not bad, f"{example.name} ({fmt}): {len(bad)} marks without a narrow no-break space: {bad[:5]}"


@pytest.mark.parametrize("text, bad", [
    pytest.param("Prestataire : pas de devis", 1, id="plain-space"),
    pytest.param("Prestataire\u00a0: pas de devis", 1, id="wide-no-break-space"),
    pytest.param("Décision: externaliser (17%)", 2, id="no-space"),
    pytest.param(f"Décision{NARROW}: https://x.org 12:30 a.yaml:3 (17{NARROW}%)", 0, id="right"),
])
def test_the_check_sees_what_it_should(text: str, bad: int) -> None:
    """The check above fails on a plain, a wide or no space, and passes URLs, times and file:line."""
    assert len(badly_spaced(text)) == bad


@pytest.mark.parametrize("fmt", ["text", "markdown", "json", "report", "brief"])
def test_french_has_one_word_per_concept(french: dict[tuple[str, str], str], fmt: str) -> None:
    """French output calls an agent a 'conseiller' and scripting 'scénarisation' (docs/glossary.md)."""
    for example in EXAMPLES:
        text = french[example.stem, fmt]
        stray = re.findall(r"\bagents?\b|\bscript(?:é|és|ée|ées)\b", text)
        assert not stray, f"{example.name} ({fmt}): {stray}"


@pytest.mark.parametrize("start", range(60, 78))
def test_wrapping_never_parts_a_mark_from_its_word(start: int) -> None:
    """Wherever the line ends, a wrapped French line never starts with ': ; ? !' or '%'."""
    text = "x" * start + f" Décision{NARROW}: garder{NARROW}; 52,1{NARROW}% de moins{NARROW}?"
    lines = wrap(text, 78).splitlines()
    assert all(len(line) <= 78 or " " not in line for line in lines)
    assert not any(line.lstrip()[:1] in (":", ";", "%", "?", NARROW) for line in lines), lines


@pytest.fixture(scope="module")
def french_bids(policy: Policy) -> dict[str, str]:
    """Each French output of `arbitre bids` for acme against the example's returned grids."""
    from engine.procurement.bids import compare, read_bid
    from engine.procurement.bundles import commitments, propose_bundles
    from explanations.bids import bids_data, render_bids, render_bids_why_not, why_not_data

    example = ROOT / "examples" / TIPPING
    rec = recommend(load_answers(example), policy)
    doc = document(rec, policy, ("fr",))
    grids = tuple(read_bid(path) for path in sorted((ROOT / "examples" / "bids").glob("*.xlsx")))
    compared = compare(rec.answers, policy, grids, rec.flows)
    committed = commitments(compared, policy)
    data = bids_data(compared, propose_bundles(compared, policy), committed, policy, ("fr",))
    return {
        "bids-text": render_bids(data, doc.organisation, "text", "fr"),
        "bids-markdown": render_bids(data, doc.organisation, "markdown", "fr"),
        "bids-why-not": "\n".join(render_bids_why_not(why_not_data(compared, committed, bidder), "text", "fr")
                                  for bidder in ("Atlântico Contact", "Atlas & Tejo Services")),
        "bids-report": page_text(render_report(doc, map_thresholds(policy), "fr", example.name, bids=data)),
    }


@pytest.mark.parametrize("fmt", ["bids-text", "bids-markdown", "bids-why-not", "bids-report"])
def test_french_bids_have_a_narrow_no_break_space(french_bids: dict[str, str], fmt: str) -> None:
    """The comparison of bids, why a bid lost and the report's bids section, in French, follow the same
    typography as the recommendation."""
    text = french_bids[fmt]
    assert "Attribution" in text or fmt == "bids-why-not"
    bad = badly_spaced(text)
    assert not bad, f"{fmt}: {len(bad)} marks without a narrow no-break space: {bad[:5]}"


@pytest.mark.parametrize("word, name, lang, expected", [
    pytest.param("de", "ECO-01", "fr", "d'ECO-01", id="vowel"),
    pytest.param("de", "HYB-02", "fr", "d'HYB-02", id="mute-h"),
    pytest.param("de", "Éole", "fr", "d'Éole", id="accented-vowel"),
    pytest.param("de", "CLS-12", "fr", "de CLS-12", id="consonant"),
    pytest.param("que", "Atlas", "fr", "qu'Atlas", id="que"),
    pytest.param("from", "ECO-01", "en", "from ECO-01", id="english-never-elided"),
])
def test_elision(word: str, name: str, lang: str, expected: str) -> None:
    """French elides 'de' and 'que' before a vowel or a mute h; English never elides."""
    assert elided(word, name, lang) == expected
