"""Every output speaks one language: no English word from the policy or the labels in French output,
and no French one in English output.

Every example is rendered in both languages through every output (text and Markdown, normal and
full detail, the JSON's text fields, the HTML report, the provider brief, and why not each option
for each flow), in-process and once. The words looked for come from the real data: the names of
answers and facts (with their underscores), the rule titles of the other language, and the labels of
the other language that are not words of this one. The names the user wrote (organisation, flows)
are taken out first: they are shown as written.
"""

from __future__ import annotations

import datetime
import functools
import html
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from engine.analysis.audit import AuditRecord, new_record, why_not
from engine.answers import load_answers
from engine.facts import fact_types
from engine.models import Decision, Flow, Organisation
from engine.policy.loading import Policy, load_policy
from engine.procurement.bids import Comparison, compare
from engine.procurement.bundles import Commitment, commitments, propose_bundles
from engine.procurement.pricing import Bid, PriceLine
from engine.recommend import recommend
from explanations.bids import bids_data, render_bids, render_bids_why_not, why_not_data
from explanations.brief import render_brief
from explanations.render import LANGS, Lang, document, labels, render_document, render_why_not, to_json
from explanations.report import map_thresholds, render_report

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
OTHER: dict[Lang, Lang] = {"en": "fr", "fr": "en"}


@functools.cache
def policy() -> Policy:
    return load_policy(ROOT / "rules")


def _leaves(value: Any) -> Iterator[str]:
    """Every text in a nest of dicts and lists."""
    if isinstance(value, dict):
        for item in value.values():
            yield from _leaves(item)
    elif isinstance(value, list):
        for item in value:
            yield from _leaves(item)
    elif isinstance(value, str):
        yield value


def _paired(en: Any, fr: Any) -> Iterator[tuple[str, str]]:
    """The labels of both languages side by side, key by key."""
    if isinstance(en, dict) and isinstance(fr, dict):
        for key in en.keys() & fr.keys():
            yield from _paired(en[key], fr[key])
    elif isinstance(en, str) and isinstance(fr, str):
        yield en, fr


def _words(text: str) -> set[str]:
    return set(re.findall(r"[^\W\d_]+(?:['’-][^\W\d_]+)*", text.lower()))


def _phrases(text: str) -> Iterator[str]:
    """The fixed parts of a label (around its {placeholders}) worth looking for: two words or more."""
    for part in re.split(r"\{[^}]*\}|[:;,.()«»!?\u00a0]", text):
        part = " ".join(part.split())
        if len(part.split()) >= 2:
            yield part


@functools.cache
def foreign(lang: Lang) -> re.Pattern[str]:
    """What must not show in ``lang``: the names with underscores, the other language's rule titles,
    and the other language's labels (their fixed phrases, and single words that are not also words of
    ``lang``)."""
    other = OTHER[lang]
    names = {name for name in [*fact_types(policy().derived), *Flow.model_fields, *Organisation.model_fields]
             if "_" in name}
    own: set[str] = set()
    for text in _leaves(labels(lang)):
        own |= _words(text)
    for placed in policy().rules:
        own |= _words(placed.rule.title.text(lang)) | _words(placed.rule.rationale.text(lang))
    found: set[str] = set()
    for placed in policy().rules:
        title = placed.rule.title
        if title.text(other) != title.text(lang):
            found.add(title.text(other))
    pairs = _paired(labels("en"), labels("fr"))
    for text in {en if lang == "fr" else fr for en, fr in pairs if en != fr}:
        found |= set(_phrases(text))
        if "{" not in text and len(text.split()) == 1 and text.lower() not in own and len(text) > 3:
            found.add(text)
    found -= {phrase for phrase in found if _words(phrase) <= own}  # shared by both languages
    alternatives = [re.escape(name) for name in sorted(names)] + [
        f"(?i:{re.escape(phrase)})" for phrase in sorted(found, key=len, reverse=True)]
    return re.compile(rf"(?<![\w-])(?:{'|'.join(alternatives)})(?![\w-])")


def _visible(page: str) -> str:
    """The text of an HTML page a reader sees: no style, script, tags or attributes."""
    page = re.sub(r"(?s)<(style|script)\b.*?</\1>", " ", page)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


BIDDER = "Atlas"
BID_NAMES = (BIDDER, "Rabat", "atlas.xlsx", "zz9", "Borealis", "borealis.xlsx")


@functools.cache
def bids_compared(example: Path) -> tuple[Comparison, list[Commitment], dict[str, Any]]:
    """Bids for every flow of the example (a price each, one implausible price, a lot it lacks, a
    minimum commitment out of reach) and one refused for its currency, compared."""
    answers = load_answers(example)
    lines = tuple(PriceLine(lot=f.id, site="Rabat", site_country="MA", prices={"per_hour": 18, "per_contact": 0.01})
                  for f in answers.flows)
    offers = (Bid(bidder=BIDDER, source="atlas.xlsx", currency=answers.organisation.currency, minimum_fte=1000,
                  contract_months=24, lines=(*lines, PriceLine(lot="zz9", site_country="MA", prices={"per_hour": 18}))),
              Bid(bidder="Borealis", source="borealis.xlsx", currency="CHF", lines=lines))
    compared = compare(answers, policy(), offers)
    committed = commitments(compared, policy())
    return compared, committed, bids_data(compared, propose_bundles(compared, policy()), committed, policy(), LANGS)


@functools.cache
def outputs(example: Path) -> dict[tuple[Lang, str], str]:
    """Every output of an example in both languages, the names the user wrote taken out."""
    answers = load_answers(example)
    result = recommend(answers, policy())
    doc = document(result, policy(), LANGS, tipping=True)
    record = AuditRecord.model_validate(new_record(
        policy=policy(), source=example, answers=answers.model_dump(mode="json"),
        organisation=doc.organisation, flows=doc.flows))
    thresholds = map_thresholds(policy())
    shown: dict[tuple[Lang, str], str] = {}
    for lang in LANGS:
        for fmt in ("text", "markdown"):
            for detail in ("normal", "full"):
                shown[lang, f"{fmt}-{detail}"] = render_document(doc, fmt, lang, detail)  # type: ignore[arg-type]
        data = to_json(doc, lang)
        shown[lang, "json"] = "\n".join(
            text for flow in data["flows"] for text in [
                flow["explanation"], *(r["text"] for r in flow["reasons"]), *(c["text"] for c in flow["conditions"]),
                *(flow.get("tipping_points") or {}).get("text", [])])
        shown[lang, "report"] = _visible(render_report(doc, thresholds, lang, example.name))
        lang_doc = document(result, policy(), (lang,), tipping=False)
        shown[lang, "brief"] = render_brief(result, lang_doc, lang, example.name, datetime.date(2025, 1, 31))
        shown[lang, "why-not"] = "\n".join(
            render_why_not(why_not(record, flow.id, option), lang) for flow in record.flows for option in Decision)
        compared, committed, data = bids_compared(example)
        for fmt in ("text", "markdown"):
            shown[lang, f"bids-{fmt}"] = render_bids(data, doc.organisation, fmt, lang)  # type: ignore[arg-type]
        shown[lang, "bids-why-not"] = render_bids_why_not(why_not_data(compared, committed, BIDDER), "text", lang)
        shown[lang, "bids-report"] = _visible(render_report(doc, thresholds, lang, example.name, bids=data))
    files = [Path(placed.file).name for placed in policy().rules]
    names = sorted({answers.organisation.name, *(f.name or f.id for f in answers.flows), *(f.id for f in answers.flows),
                    *files, *BID_NAMES}, key=len, reverse=True)
    for key, text in shown.items():
        flat = " ".join(text.split())
        for name in names:
            flat = flat.replace(" ".join(name.split()), " ")
            if "\u2026" in flat:  # a name clipped to fit a table column
                flat = re.sub("|".join(re.escape(name[:k]) + "\u2026" for k in range(1, len(name))), " ", flat)
        shown[key] = flat
    return shown


OUTPUTS = ["text-normal", "text-full", "markdown-normal", "markdown-full", "json", "report", "brief", "why-not",
           "bids-text", "bids-markdown", "bids-why-not", "bids-report"]


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("example", EXAMPLES, ids=lambda path: path.stem)
def test_one_language_per_output(example: Path, lang: Lang) -> None:
    """No output of the example in ``lang`` shows a word of the other language from the policy or labels."""
    stray = []
    for output in OUTPUTS:
        text = outputs(example)[lang, output]
        for found in foreign(lang).finditer(text):
            start = max(found.start() - 40, 0)
            stray.append(f"{output}: {found.group()!r} in ...{text[start:found.end() + 40]}...")
    assert not stray, f"{len(stray)} words of the other language:\n" + "\n".join(stray[:40])


def test_the_word_lists_are_real() -> None:
    """The lists hold what they must (a test of an empty list would pass on anything)."""
    french, english = foreign("fr"), foreign("en")
    assert french.search("unique_know_how") and french.search("Unique know-how") and french.search("keep in-house")
    assert english.search("Savoir-faire unique") and english.search("garder en interne")
    assert not french.search("Synthèse des flux") and not english.search("Summary of the flows")
