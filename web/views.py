"""What the result pages show, as plain data: pure functions from answers text, the policy and the
overrides to dataclasses the templates read. Nothing here knows the web server.

A version's recommendation is kept as its audit record, exactly the JSON ``arbitre recommend FILE
--audit`` writes for the same answers (``audit_record``); the pages are views of that record, as
``arbitre explain`` renders one (``portfolio``, ``flow_page``, ``why_not_page``): a page never runs
the policy again. A person's overrides are written into the record as ``--override FLOW=OPTION
--reason TEXT`` writes them (``with_overrides``). ``compare`` and ``whatif`` run the pipeline on two
sets of answers and say which decisions move, with the answers that changed and the rules that
fired differently (``arbitre rules diff`` for answers instead of policies).
"""

from __future__ import annotations

import datetime
import json
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, Protocol, TypeVar

import yaml

from engine.analysis.audit import AuditRecord, why_not, with_digest
from engine.analysis.uncertainty import of_flows
from engine.answers import MAX_FLOWS, Estimated, validate_estimates
from engine.errors import AnswersError, Problem, UserError
from engine.interview.questions import (
    RANGE_KINDS, Bank, Refusal, Section, check, check_range, model_default, parse,
)
from engine.interview.questions import Question as BankQuestion
from engine.load import MAX_FILE_BYTES, Document, DocumentError, parse_yaml
from engine.ranges import Estimate
from engine.models import Decision
from engine.overrides import OverrideProblem, override_problems
from engine.policy.loading import Policy
from engine.problems import error, phrase, problem
from engine.recommend import FlowResult, recommend
from explanations.figures import money, number, percent
from explanations.render import (
    document, failure, field_label, in_language, json_text, labels, monthly_saving, score_list, signed_weight,
    value_label, view_of,
)
from explanations.report import COST_LAYOUTS, COST_FLOWS_MAX, MAP_FRAMES, cost_chart, largest_flows, map_key, \
    portfolio_map, robustness_bars, summary

Lang = Literal["en", "fr"]
ANSWERS_NAME = "answers.yaml"  # the name a version's answers carry: in messages, downloads and records
OPTIONS = tuple(d.value for d in Decision)


# durable_rules keeps its sessions in one process-wide host: the web server's threads run the pipeline one
# at a time (a page reads a stored record and runs nothing; what runs is a new version, what-if, compare).
PIPELINE = threading.Lock()


class OverrideLike(Protocol):
    """A person's decision for a flow, as the store keeps it (``web.store.Override``)."""

    @property
    def flow_id(self) -> str: ...
    @property
    def option(self) -> str: ...
    @property
    def reason(self) -> str: ...
    @property
    def author(self) -> str: ...
    @property
    def created(self) -> str: ...


OverrideT = TypeVar("OverrideT", bound=OverrideLike)


# -- answers and the audit record -------------------------------------------------------------------------------

def read_answers(text: str, source: str = ANSWERS_NAME) -> Estimated:
    """Answers text parsed with the project's safe loader and validated, as ``arbitre recommend`` reads a
    file: ``AnswersError`` with every problem located (``answers.yaml:14: flows[2].channel: ...``)."""
    return validate_estimates(_parsed(text, source))


def _parsed(text: str, source: str = ANSWERS_NAME) -> Document:
    """Answers text parsed with the project's safe loader, not yet validated; ``AnswersError`` when it
    is too large or not YAML."""
    if len(text.encode("utf-8")) > MAX_FILE_BYTES:
        raise error(AnswersError, "answers.unreadable", problem(
            source, None, "", "file.too_big", most=MAX_FILE_BYTES // 2**20, what=phrase("what.answers_file")),
            source=source)
    try:
        return parse_yaml(text.removeprefix("\ufeff"), source, MAX_FLOWS, "what.answers_file")
    except DocumentError as exc:
        raise error(AnswersError, "answers.unreadable", exc.problem, source=source) from exc


# The override form's words for each problem ``engine.overrides`` finds, and the field it is said beside.
OVERRIDE_WORDS = {OverrideProblem.NO_REASON: ("reason", "override_no_reason"),
                  OverrideProblem.NOT_A_DECISION: ("option", "override_no_decision"),
                  OverrideProblem.UNKNOWN_FLOW: ("option", "override_no_flow")}


def override_errors(flow_id: str, option: str, reason: str, known: Sequence[str], lang: Lang) -> dict[str, str]:
    """What is wrong with an override typed in the form, by the form's field it is said beside, in
    ``lang``; empty when nothing is. The checks are the CLI's ``--override`` ones (``engine.overrides``)."""
    from .i18n import t

    out: dict[str, str] = {}
    for problem in override_problems(flow_id, option, reason, known):
        where, key = OVERRIDE_WORDS[problem]
        out.setdefault(where, t(key, lang, flow=flow_id))
    return out


def override_entry(override: OverrideLike) -> dict[str, str]:
    """An override as a record keeps it: the decision and the reason, who made it (when said) and when."""
    entry = {"decision": override.option, "reason": override.reason.strip()}
    if override.author.strip():
        entry["author"] = override.author.strip()
    if override.created:
        entry["at"] = override.created
    return entry


def chosen_overrides(overrides: Sequence[OverrideLike], known: Sequence[str]) -> dict[str, dict[str, str]]:
    """The overrides in the form the pipeline takes them (``--override`` with ``--reason``), with who made
    each and when: the latest of each flow wins. ``UserError`` for one the checks refuse (a store
    holds none: the form and a restored backup check them)."""
    out: dict[str, dict[str, str]] = {}
    for override in overrides:
        problems = override_problems(override.flow_id, override.option, override.reason, known)
        if problems:
            raise UserError(f"the override of the flow {override.flow_id!r} to {override.option!r} cannot be "
                            f"applied: {', '.join(p.value.replace('_', ' ') for p in problems)}")
        out[override.flow_id] = override_entry(override)
    return out


def audit_record(answers_yaml: str, policy: Policy, overrides: Sequence[OverrideLike] = ()) -> str:
    """The audit record of the answers, with the overrides: the JSON text ``arbitre recommend
    answers.yaml --audit RECORD [--override FLOW=OPTION --reason TEXT]...`` writes (its id and time
    aside), so that ``arbitre explain --verify`` accepts it."""
    from explanations.record import audit_record_text

    estimated = read_answers(answers_yaml)
    answers = estimated.answers
    chosen = chosen_overrides(overrides, [f.id for f in answers.flows])
    with PIPELINE:
        robustness = of_flows(answers, estimated.ranges, policy) if estimated.ranges else None
        # the record digests the answers' bytes, as the CLI digests the file it reads
        text, _ = audit_record_text(recommend(answers, policy), policy, source=Path(ANSWERS_NAME),
                                    source_bytes=answers_yaml.encode("utf-8"), answers=answers.model_dump(mode="json"),
                                    overrides=chosen, robustness=robustness,
                                    ranges=None if robustness is None else estimated.ranges)
    return text


def with_overrides(record_json: str, overrides: Sequence[OverrideLike]) -> str:
    """A version's record with a person's overrides written in, as ``--override`` writes them (the
    latest of each flow wins), with who made each and when; the record's digest made again. Nothing
    else of a record depends on them. ``UserError`` for an override the checks refuse."""
    data = json.loads(record_json)
    chosen = chosen_overrides(overrides, [f["id"] for f in data["flows"]])
    for entry in data["flows"]:
        entry["override"] = chosen.get(entry["id"])
    return json_text(with_digest(data), indent=1) + "\n"


def carried(record_json: str, overrides: Sequence[OverrideT]) -> tuple[str, list[OverrideT]]:
    """The overrides of an earlier version carried into a new version's record: those of the flows the
    record still has, written in (``with_overrides``); the record and the overrides kept."""
    known = set(flow_ids(record_json))
    kept = [o for o in overrides if o.flow_id in known]
    return (with_overrides(record_json, kept) if kept else record_json), kept


@lru_cache(maxsize=8)
def _record_data(record_json: str) -> dict[str, Any]:
    """A record's JSON, read once for the pages of one version (records are immutable texts)."""
    data: dict[str, Any] = json.loads(record_json)
    return data


@lru_cache(maxsize=8)
def _record(record_json: str) -> AuditRecord:
    return AuditRecord.model_validate_json(record_json)


# -- the portfolio page -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class FlowRow:
    """One flow in the portfolio's table."""

    id: str
    name: str
    decision: str  # the decision that stands (a person's override, else the engine's)
    decision_label: str
    engine_label: str  # the engine's, when overridden ('' otherwise)
    split: str
    confidence: str
    confidence_label: str
    saving: str | None  # a month, the option that stands against keeping in-house
    robustness: str | None


@dataclass(frozen=True)
class Portfolio:
    """The portfolio page: the report's summary, map and cost charts, and a row per flow."""

    organisation: str
    policy: dict[str, str]
    rows: tuple[FlowRow, ...]
    summary: dict[str, Any]
    maps: list[dict[str, Any]]
    key: list[dict[str, Any]]
    costs: list[dict[str, Any]]
    costs_rest: str | None
    robustness: dict[str, Any] | None
    words: dict[str, Any] = field(repr=False)

    def drawn(self, lang: Lang) -> tuple[list[str], list[str]]:
        """The maps and the cost charts as SVG, drawn by the report's own macros
        (``explanations/common/charts.html``): markup, safe to place in a page as it is."""
        from explanations.render import environment

        charts = environment(lang).get_template("charts.html").module
        words = self.words
        return ([charts.map_svg(m, words, words["report"]) for m in self.maps],  # type: ignore[attr-defined]
                [charts.cost_svg(c, words, words["report"]) for c in self.costs])  # type: ignore[attr-defined]


def map_thresholds(record: Mapping[str, Any]) -> dict[str, float]:
    """The volume thresholds the map draws, from the recorded policy's parameters (as
    ``explanations.report.map_thresholds`` takes them from a loaded policy)."""
    parameters = record["policy"]["parameters"]
    return {name: float(parameters[name]) for name in ("small_volume_max", "massive_volume_min") if name in parameters}


def portfolio(record_json: str, lang: Lang) -> Portfolio:
    """The portfolio of a recorded recommendation, in ``lang``."""
    data = _record_data(record_json)
    words = labels(lang)
    entries: list[dict[str, Any]] = data["flows"]
    rows = []
    for entry in entries:
        override = entry.get("override")
        final = override["decision"] if override else entry["decision"]
        saving = monthly_saving(entry)
        rows.append(FlowRow(
            id=entry["id"], name=entry["name"], decision=final, decision_label=words["decisions"][final],
            engine_label=words["decisions"][entry["decision"]] if override else "",
            split=", ".join(words["splits"][s] for s in entry["split"]) if final == entry["decision"] else "",
            confidence=entry["confidence"], confidence_label=words["confidence"][entry["confidence"]],
            saving=None if saving is None else money(saving, entry["currency"], lang, whole=True),
            robustness=None if entry.get("robustness") is None else
            ", ".join(f"{words['decisions'][o]} {percent(100 * s, 0, lang)}"
                      for o, s in entry["robustness"]["shares"].items() if s > 0)))
    charted = largest_flows(entries, COST_FLOWS_MAX)
    maps = [portfolio_map(entries, map_thresholds(data), lang, frame) for frame in MAP_FRAMES]
    return Portfolio(
        organisation=data["organisation"],
        policy={"name": data["policy"]["name"], "version": data["policy"]["version"]},
        rows=tuple(rows), summary=summary(entries, lang), maps=maps, key=map_key(maps, entries),
        costs=[cost_chart(charted, lang, layout) for layout in COST_LAYOUTS],
        costs_rest=str(words["report"]["largest_only"]).format(shown=len(charted), n=len(entries))
        if len(charted) < len(entries) else None,
        robustness=robustness_bars(entries, lang), words=words)


# -- a flow's page ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class OptionRow:
    """One costed option of a flow."""

    option: str
    label: str
    monthly: str
    one_off: str
    per_contact: str
    saving: str
    payback: str
    recommended: bool


@dataclass(frozen=True)
class FlowPage:
    """A flow's page: its decision and why, each option's cost, the conditions, and what would change it.
    ``view`` is what the report's card shows of the flow (``explanations.render.view_of``)."""

    id: str
    name: str
    decision: str
    decision_label: str
    confidence_label: str
    view: dict[str, Any]
    options: tuple[OptionRow, ...]
    tipping: list[str] | None  # None when the record holds no tipping points for the flow
    words: dict[str, Any] = field(repr=False)


def flow_ids(record_json: str) -> list[str]:
    return [entry["id"] for entry in _record_data(record_json)["flows"]]


def flow_page(record_json: str, flow_id: str, lang: Lang) -> FlowPage | None:
    """The page of one flow of a recorded recommendation; None when the record has no such flow."""
    data = _record_data(record_json)
    entry = next((e for e in data["flows"] if e["id"] == flow_id), None)
    if entry is None:
        return None
    view = view_of(entry, lang, data["policy"]["cost_model"])
    words = labels(lang)
    currency, final = entry["currency"], view["final_decision"]
    chosen = set(entry["split"]) if final == "hybrid" and final == entry["decision"] else {final}
    options = tuple(OptionRow(
        option=o["option"], label=str(o["label"]), monthly=money(o["monthly"], currency, lang, whole=True),
        one_off=money(o["one_off"], currency, lang, whole=True),
        per_contact="" if o["per_contact"] is None else money(o["per_contact"], currency, lang),
        saving="" if o["saving_pct"] is None else percent(o["saving_pct"], 0, lang),
        payback="" if o["payback_months"] is None else f"{number(o['payback_months'], 1, lang)} "
                                                        f"{words['months_short']}",
        recommended=o["option"] in chosen) for o in view["options"])
    return FlowPage(id=entry["id"], name=entry["name"], decision=final, decision_label=words["decisions"][final],
                    confidence_label=view["confidence_label"], view=view, options=options,
                    tipping=view["tipping"], words=words)


@dataclass(frozen=True)
class WhyNotRule:
    rule: str
    title: str
    where: str
    weight: str
    fired: bool
    failed: str  # the first condition that failed, in words ('' when it fired)


@dataclass(frozen=True)
class WhyNot:
    """Why an option was not the decision for a flow (``arbitre explain --why-not``)."""

    flow_id: str
    name: str
    option: str
    option_label: str
    decision_label: str
    is_decision: bool
    scores: str
    vetoes: list[tuple[str, str]]
    needs_split: bool
    rules: tuple[WhyNotRule, ...]


def why_not_page(record_json: str, flow_id: str, option: str, lang: Lang) -> WhyNot | None:
    """Why ``option`` was not the flow's decision, from the record alone; None for an unknown flow or option."""
    if option not in OPTIONS or flow_id not in flow_ids(record_json):
        return None
    data = why_not(_record(record_json), flow_id, Decision(option))
    words = labels(lang)
    rules = tuple(WhyNotRule(
        rule=r["rule"], title=in_language(r["title"], lang), where=f"{r['file']}:{r['line']}",
        weight="" if r["weight"] is None else signed_weight(r["weight"], lang), fired=r["fired"],
        failed="" if r["failed"] is None else failure(r["failed"], data.get("fact_words", {}), lang))
        for r in data["rules"])
    return WhyNot(flow_id=flow_id, name=data["name"], option=option, option_label=words["decisions"][option],
                  decision_label=words["decisions"][data["decision"]], is_decision=option == data["decision"],
                  scores=score_list(data["scores"], lang),
                  vetoes=[(v["rule"], v["text"].get(lang, "")) for v in data["vetoes"]],
                  needs_split=data["needs_split"], rules=rules)


def has_tipping(record_json: str, flow_id: str) -> bool:
    """Whether the record holds the flow's tipping points (records ``recommend --audit`` writes do)."""
    entry = next((e for e in _record_data(record_json)["flows"] if e["id"] == flow_id), None)
    return entry is not None and entry.get("tipping_points") is not None


def tipping_entry_for(answers_yaml: str, flow_id: str, policy: Policy) -> dict[str, Any]:
    """A flow's tipping points worked out from its answers (what a record keeps under ``tipping_points``)."""
    from explanations.render import tipping_entry

    answers = read_answers(answers_yaml).answers
    with PIPELINE:
        result = recommend(answers, policy, only=flow_id)
        return tipping_entry(result.flows[0], policy)


def tipping_sentences_for(record_json: str, flow_id: str, found: dict[str, Any] | None, lang: Lang) -> list[str]:
    """The flow's tipping points in words: those ``found`` (worked out apart), else the record's."""
    from explanations.render import tipping_sentences

    entry = next(e for e in _record_data(record_json)["flows"] if e["id"] == flow_id)
    if found is not None:
        entry = {**entry, "tipping_points": found}
    return tipping_sentences(entry, lang)


@dataclass(frozen=True)
class Recommended:
    """A recommendation as the web keeps and shows it: its audit record, the portfolio, each flow's page."""

    record: str
    portfolio: Portfolio
    flows: tuple[FlowPage, ...]


def recommendation(answers_yaml: str, policy: Policy, overrides: Sequence[OverrideLike] = (),
                   lang: Lang = "en") -> Recommended:
    """The answers' audit record (as ``audit_record``) and the pages made from it, in ``lang``."""
    record = audit_record(answers_yaml, policy, overrides)
    pages = tuple(page for page in (flow_page(record, flow_id, lang) for flow_id in flow_ids(record))
                  if page is not None)
    return Recommended(record=record, portfolio=portfolio(record, lang), flows=pages)


# -- downloads --------------------------------------------------------------------------------------------------

def report_html(record_json: str, lang: Lang) -> str:
    """The HTML report of a recorded recommendation: the page ``arbitre report answers.yaml`` writes
    (with the same overrides), rendered from the record as ``arbitre explain`` renders one."""
    from explanations.render import Document
    from explanations.report import render_report

    data = _record_data(record_json)
    doc = Document(organisation=data["organisation"],
                   policy={key: data["policy"][key] for key in ("name", "version", "digest")},
                   cost_model=data["policy"]["cost_model"], flows=data["flows"])
    return render_report(doc, map_thresholds(data), lang, ANSWERS_NAME)


def brief_markdown(answers_yaml: str, policy: Policy, overrides: Sequence[OverrideLike], lang: Lang,
                   day: datetime.date) -> str:
    """The provider brief ``arbitre brief answers.yaml [--override ...]`` prints on ``day``."""
    from explanations.brief import render_brief

    answers = read_answers(answers_yaml).answers
    chosen = chosen_overrides(overrides, [f.id for f in answers.flows])
    with PIPELINE:
        result = recommend(answers, policy)
        doc = document(result, policy, (lang,), tipping=False, overrides=chosen)
        return render_brief(result, doc, lang, ANSWERS_NAME, day)


# -- compare and what-if ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class AnswerChange:
    field: str
    label: str
    before: str
    after: str


@dataclass(frozen=True)
class FlowChange:
    """A flow in both versions whose decision moved, or whose answers changed."""

    id: str
    name: str
    before: str
    after: str
    moved: bool
    answers: tuple[AnswerChange, ...]
    fired_before_only: tuple[tuple[str, str], ...]  # rule id, title
    fired_after_only: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Comparison:
    """Two sets of answers through one policy, flow by flow."""

    added: tuple[tuple[str, str, str], ...]  # id, name, decision (words)
    removed: tuple[tuple[str, str, str], ...]
    changed: tuple[FlowChange, ...]  # decisions that moved
    same_decision: tuple[FlowChange, ...]  # answers changed, decision not
    organisation: tuple[AnswerChange, ...]
    flows: int

    @property
    def moved(self) -> int:
        return len(self.changed) + len(self.added) + len(self.removed)


def _shown(value: Any, lang: Lang) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return str(labels(lang)["flag_yes" if value else "flag_no"])
    if isinstance(value, (int, float)):
        return number(value, 0 if float(value).is_integer() else 2, lang)
    if isinstance(value, (list, tuple)):
        return value_label(list(value), lang) if value else "—"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_shown(v, lang)}" for k, v in value.items())
    return value_label(value, lang)


def _answer_changes(before: dict[str, Any], after: dict[str, Any], prefix: str, lang: Lang) -> tuple[AnswerChange, ...]:
    return tuple(AnswerChange(field=f"{prefix}{name}", label=field_label(name, lang),
                              before=_shown(before.get(name), lang), after=_shown(after.get(name), lang))
                 for name in dict.fromkeys([*before, *after]) if before.get(name) != after.get(name))


def _decision(result: FlowResult, lang: Lang) -> str:
    words = labels(lang)
    verdict = result.verdict
    text = str(words["decisions"][verdict.decision.value])
    return f"{text} ({', '.join(words['splits'][s.value] for s in verdict.split)})" if verdict.split else text


def compare(answers_a: str, answers_b: str, policy: Policy, lang: Lang = "en") -> Comparison:
    """What changes from answers ``a`` to answers ``b`` under one policy: flows added and removed, the
    flows whose decision moved with the answers that changed and the rules fired in one only, and the
    flows whose answers changed but not their decision. ``AnswersError`` (located in ``answers.yaml``)
    when either does not validate."""
    first, second = read_answers(answers_a).answers, read_answers(answers_b).answers
    with PIPELINE:
        before = {f.id: f for f in recommend(first, policy).flows}
        after = {f.id: f for f in recommend(second, policy).flows}
    flows_a = {f.id: f.model_dump(mode="json") for f in first.flows}
    flows_b = {f.id: f.model_dump(mode="json") for f in second.flows}
    organisation = _answer_changes(first.organisation.model_dump(mode="json"),
                                   second.organisation.model_dump(mode="json"), "organisation.", lang)
    titles = {placed.rule.id: placed.rule.title.text(lang) for placed in policy.rules}
    moved, same = [], []
    for flow_id, now in after.items():
        was = before.get(flow_id)
        if was is None:
            continue
        answers = _answer_changes(flows_a[flow_id], flows_b[flow_id], "", lang)
        old = (was.verdict.decision, was.verdict.split)
        new = (now.verdict.decision, now.verdict.split)
        fired_old = [f.rule_id for f in was.firings]
        fired_new = [f.rule_id for f in now.firings]
        change = FlowChange(id=flow_id, name=now.name, before=_decision(was, lang), after=_decision(now, lang),
                            moved=old != new, answers=answers,
                            fired_before_only=tuple((r, titles.get(r, "")) for r in fired_old if r not in fired_new),
                            fired_after_only=tuple((r, titles.get(r, "")) for r in fired_new if r not in fired_old))
        if old != new:
            moved.append(change)
        elif answers or organisation:
            same.append(change)
    return Comparison(
        added=tuple((i, r.name, _decision(r, lang)) for i, r in after.items() if i not in before),
        removed=tuple((i, r.name, _decision(r, lang)) for i, r in before.items() if i not in after),
        changed=tuple(moved), same_decision=tuple(same), organisation=organisation, flows=len(after))


def whatif(base: str, scratch: str, policy: Policy, lang: Lang = "en") -> Comparison:
    """The decisions that move from the saved answers ``base`` to the edited copy ``scratch``."""
    return compare(base, scratch, policy, lang)


# -- the what-if form -------------------------------------------------------------------------------------------
# Each answer is typed as in the questionnaire and read with its parser in the assessment's language
# (``engine.interview``): '20 000', '33,5', '8000-15000' or '240 ± 15 %' as the questionnaire takes them,
# a refusal worded by the question bank beside its field. Only the fields the form shows are read.

FORM_KINDS = frozenset({"integer", "number", "seconds", "choice", "yes_no"})  # what the form shows
_FIXED = frozenset({"id", "channel", "activity", "name"})  # what a flow is, not an answer to try


@dataclass(frozen=True)
class Question:
    """One answer in the what-if form: a number typed as in the questionnaire (a range too), or a choice."""

    name: str  # the form field: org.<field> or flow.<index>.<field>
    label: str  # the review's label of the question
    kind: Literal["number", "choice"]
    value: str  # as the form shows it: a number in the language's writing, a range 'likely (low - high)'
    unit: str = ""
    choices: tuple[tuple[str, str], ...] = ()  # value, words


@dataclass(frozen=True)
class QuestionGroup:
    title: str
    flow_id: str | None
    questions: tuple[Question, ...]


@dataclass(frozen=True)
class WhatIfForm:
    """The what-if form applied: the copy's new text (the old one when nothing changed or a field was
    refused), and the refusals by field, in the page's language."""

    answers: str
    errors: dict[str, str]


def _typed_number(value: float, lang: Lang) -> str:
    return number(value, 0 if float(value).is_integer() else 2, lang)


def _form_text(question: BankQuestion, value: Any, lang: Lang) -> str:
    """An answer as the form shows it, so that the questionnaire's parser reads it back as it is."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict) and {"low", "high"} <= set(value):
        low, high = _typed_number(value["low"], lang), _typed_number(value["high"], lang)
        likely = value.get("likely", (value["low"] + value["high"]) / 2)
        return f"{_typed_number(likely, lang)} ({low} - {high})"
    if isinstance(value, (int, float)):
        return _typed_number(value, lang)
    return str(value.value if isinstance(value, Enum) else value)


def _form_questions(bank: Bank, section: Section) -> tuple[BankQuestion, ...]:
    asked = bank.organisation if section == "organisation" else bank.flows
    return tuple(q for q in asked if q.kind in FORM_KINDS and q.field not in _FIXED and q.ask != "derived")


def _shown_value(section: Section, written: Mapping[str, Any], name: str) -> Any:
    """An answer as written, else the model's default (None when it has none)."""
    return written[name] if name in written else model_default(section, name)


def _group(bank: Bank, section: Section, written: Mapping[str, Any], prefix: str, lang: Lang) -> tuple[Question, ...]:
    yes, no = str(labels(lang)["flag_yes"]), str(labels(lang)["flag_no"])
    out = []
    for q in _form_questions(bank, section):
        value = _form_text(q, _shown_value(section, written, q.field), lang)
        if q.kind == "yes_no":
            choices: tuple[tuple[str, str], ...] = (("true", yes), ("false", no))
        else:
            choices = tuple((c.value, c.short(lang)) for c in q.choices)
        out.append(Question(name=f"{prefix}{q.field}", label=q.text("label", lang),
                            kind="number" if q.kind in RANGE_KINDS else "choice", value=value,
                            unit="" if q.kind == "seconds" else q.text("unit", lang), choices=choices))
    return tuple(out)


def _document(answers_yaml: str) -> dict[str, Any]:
    """The answers as written (ranges as ranges), once they are checked to be valid answers."""
    doc = _parsed(answers_yaml)
    validate_estimates(doc)  # a valid answers file: its document is a mapping of lists (left as it is)
    data: dict[str, Any] = doc.data
    return data


def whatif_questions(answers_yaml: str, bank: Bank, lang: Lang) -> tuple[QuestionGroup, ...]:
    """The numeric and choice answers of the organisation and of each flow, labelled as the
    questionnaire's review labels them, pre-filled as the questionnaire reads them back."""
    doc = _document(answers_yaml)
    organisation = doc.get("organisation") or {}
    groups = [QuestionGroup(title=str(organisation.get("name") or ""), flow_id=None,
                            questions=_group(bank, "organisation", organisation, "org.", lang))]
    for index, written in enumerate(doc["flows"]):
        groups.append(QuestionGroup(title=str(written.get("name") or written["id"]), flow_id=str(written["id"]),
                                    questions=_group(bank, "flows", written, f"flow.{index}.", lang)))
    return tuple(groups)


def _read_field(bank: Bank, question: BankQuestion, section: Section, typed: str, currency: str | None,
                channel: str | None) -> Any:
    """The answer typed in a field, parsed and checked as the questionnaire takes it (``Refusal``)."""
    if question.kind == "yes_no" and typed in ("true", "false"):
        return typed == "true"
    if question.kind == "choice" and question.choice(typed) is not None:
        return typed
    value = parse(question, typed, bank, currency, channel)
    if isinstance(value, Estimate):
        return check_range(question, section, value)
    return check(question, section, value)


def apply_whatif(answers_yaml: str, form: Mapping[str, str], bank: Bank, lang: Lang) -> WhatIfForm:
    """The answers with the form's values in place of those it changed, each read with the
    questionnaire's parser in ``lang``; only the fields the form shows are read (others are ignored).
    Unchanged text, comments included, when the form changes nothing. A refused field is in
    ``errors`` (the answers then unchanged); the whole copy is validated by whoever uses it."""
    doc = _document(answers_yaml)
    organisation = doc.setdefault("organisation", {})
    currency = organisation.get("currency") or model_default("organisation", "currency")
    places: list[tuple[str, Section, dict[str, Any], str | None]] = [("org.", "organisation", organisation, None)]
    places += [(f"flow.{index}.", "flows", flow, str(flow.get("channel"))) for index, flow in enumerate(doc["flows"])]
    changed, errors = False, {}
    for prefix, section, target, channel in places:
        for question in _form_questions(bank, section):
            name = prefix + question.field
            typed = form.get(name)
            if typed is None:
                continue
            typed = typed.strip()
            before = _shown_value(section, target, question.field)
            if typed == _form_text(question, before, lang).strip():
                continue
            if not typed:
                changed = changed or question.field in target
                target.pop(question.field, None)
                continue
            try:
                value = _read_field(bank, question, section, typed, currency, channel)
            except Refusal as refusal:
                errors[name] = bank.refusal_text(question, refusal, typed, lang)
                continue
            if value != before:
                target[question.field] = value
                changed = True
    if errors or not changed:
        return WhatIfForm(answers_yaml, errors)
    return WhatIfForm(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100), errors)


def field_of(problem: Problem) -> str | None:
    """The what-if field a validation problem of the copy is about ('flows[2].concurrency' is
    'flow.2.concurrency'), or None when it is about no single field the form names that way."""
    found = re.fullmatch(r"flows\[(\d+)\]\.([a-z_0-9]+)|organisation\.([a-z_0-9]+)", problem.path or "")
    if found is None:
        return None
    return f"flow.{found[1]}.{found[2]}" if found[1] is not None else f"org.{found[3]}"
