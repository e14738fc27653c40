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
import tempfile
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from functools import lru_cache
from pathlib import Path
from types import NoneType, UnionType
from typing import Annotated, Any, Literal, Protocol, Union, get_args, get_origin

import yaml

from engine.analysis.audit import AuditRecord, check_record_size, new_record, why_not, with_digest
from engine.analysis.uncertainty import of_flows
from engine.answers import MAX_FLOWS, Estimated, validate_estimates
from engine.errors import AnswersError, Problem, UserError
from engine.load import MAX_FILE_BYTES, DocumentError, parse_yaml
from engine.models import Decision, Flow, Organisation
from engine.policy.loading import Policy
from engine.recommend import FlowResult, recommend
from explanations.figures import money, number, percent
from explanations.render import (
    LANGS, _failure, document, field_label, in_language, json_text, labels, monthly_saving, value_label, view_of,
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


# -- answers and the audit record -------------------------------------------------------------------------------

def read_answers(text: str, source: str = ANSWERS_NAME) -> Estimated:
    """Answers text parsed with the project's safe loader and validated, as ``arbitre recommend`` reads a
    file: ``AnswersError`` with every problem located (``answers.yaml:14: flows[2].channel: ...``)."""
    if len(text.encode("utf-8")) > MAX_FILE_BYTES:
        raise AnswersError(f"cannot read the answers in {source}", (Problem(
            source, None, "", f"is larger than {MAX_FILE_BYTES // 2**20} MB, the most Arbitre reads in one "
                              "answers file; split it into smaller files"),))
    try:
        doc = parse_yaml(text.removeprefix("\ufeff"), source, MAX_FLOWS, "answers file")
    except DocumentError as exc:
        raise AnswersError(f"cannot read the answers in {source}", (exc.problem,)) from exc
    return validate_estimates(doc)


def override_error(flow_id: str, option: str, reason: str, known: Sequence[str]) -> str | None:
    """What is wrong with an override, in the words ``arbitre recommend --override`` uses; None when
    nothing is."""
    pair = f"{flow_id}={option}"
    if not reason.strip():
        return "an override needs a reason: add --reason TEXT (it is kept beside the override)"
    if option not in OPTIONS:
        return f"--override {pair!r}: expected FLOW_ID=DECISION, the decision one of {', '.join(OPTIONS)}"
    if flow_id not in known:
        return f"--override {pair!r}: no flow with the id {flow_id!r}; the flows are: {', '.join(known)}"
    return None


def chosen_overrides(overrides: Sequence[OverrideLike], known: Sequence[str]) -> dict[str, dict[str, str]]:
    """The overrides in the form the pipeline takes them (``--override`` with ``--reason``): the latest of
    each flow wins. ``UserError`` for one the CLI would refuse."""
    out: dict[str, dict[str, str]] = {}
    for override in overrides:
        problem = override_error(override.flow_id, override.option, override.reason, known)
        if problem is not None:
            raise UserError(problem)
        out[override.flow_id] = {"decision": override.option, "reason": override.reason.strip()}
    return out


def audit_record(answers_yaml: str, policy: Policy, overrides: Sequence[OverrideLike] = ()) -> str:
    """The audit record of the answers, with the overrides: the JSON text ``arbitre recommend
    answers.yaml --audit RECORD [--override FLOW=OPTION --reason TEXT]...`` writes (its id and time
    aside), so that ``arbitre explain --verify`` accepts it."""
    estimated = read_answers(answers_yaml)
    answers = estimated.answers
    chosen = chosen_overrides(overrides, [f.id for f in answers.flows])
    with PIPELINE:
        robustness = of_flows(answers, estimated.ranges, policy) if estimated.ranges else None
        doc = document(recommend(answers, policy), policy, LANGS, findings_text=True, tipping=True,
                       overrides=chosen, robustness=robustness)
    flows = list(doc.flows)
    with tempfile.TemporaryDirectory(prefix="arbitre-") as folder:
        source = Path(folder) / ANSWERS_NAME  # the record digests the file's bytes, as the CLI reads them
        source.write_bytes(answers_yaml.encode("utf-8"))
        data = new_record(policy=policy, source=source, answers=answers.model_dump(mode="json"),
                          organisation=doc.organisation, flows=flows,
                          ranges=None if robustness is None else estimated.ranges)
    data["source"]["file"] = ANSWERS_NAME  # where it came from for its reader, not a temporary folder
    text = json_text(with_digest(data), indent=1) + "\n"
    check_record_size(text, len(flows))
    return text


def with_overrides(record_json: str, overrides: Sequence[OverrideLike]) -> str:
    """A version's record with a person's overrides written in, as ``--override`` writes them (the
    latest of each flow wins); the record's digest made again. Nothing else of a record depends on them."""
    data = json.loads(record_json)
    chosen = chosen_overrides(overrides, [f["id"] for f in data["flows"]])
    for entry in data["flows"]:
        entry["override"] = chosen.get(entry["id"])
    return json_text(with_digest(data), indent=1) + "\n"


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
    scores: list[tuple[str, str]]
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
        weight="" if r["weight"] is None else number(r["weight"], 1, lang), fired=r["fired"],
        failed="" if r["failed"] is None else _failure(r["failed"], data.get("fact_words", {}), lang))
        for r in data["rules"])
    return WhyNot(flow_id=flow_id, name=data["name"], option=option, option_label=words["decisions"][option],
                  decision_label=words["decisions"][data["decision"]], is_decision=option == data["decision"],
                  scores=[(words["decisions"][o], number(s, 1, lang)) for o, s in data["scores"].items()],
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
    fired_before_only: tuple[str, ...]
    fired_after_only: tuple[str, ...]


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
                            fired_before_only=tuple(r for r in fired_old if r not in fired_new),
                            fired_after_only=tuple(r for r in fired_new if r not in fired_old))
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

@dataclass(frozen=True)
class Question:
    """One answer in the what-if form: a number (a range written as in an answers file is kept) or a
    choice among allowed values."""

    name: str  # the form field: org.<field> or flow.<index>.<field>
    label: str
    kind: Literal["number", "choice"]
    value: str
    choices: tuple[tuple[str, str], ...] = ()  # value, words


@dataclass(frozen=True)
class QuestionGroup:
    title: str
    flow_id: str | None
    questions: tuple[Question, ...]


def _kind(annotation: Any) -> tuple[str, tuple[str, ...]] | None:
    """('number', ()) or ('choice', values) for a field the form shows; None for text, lists, mappings."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _kind(get_args(annotation)[0])
    if origin in (Union, UnionType):
        kinds = [a for a in get_args(annotation) if a is not NoneType]
        return _kind(kinds[0]) if len(kinds) == 1 else None
    if annotation is bool:
        return "choice", ("true", "false")
    if annotation in (int, float):
        return "number", ()
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return "choice", tuple(str(m.value) for m in annotation)
    return None


_FIXED = frozenset({"id", "channel", "activity", "name"})  # what a flow is, not an answer to try


def _written(value: Any) -> str:
    """An answer as the form shows it: as written in the answers (a range as a flow mapping or 'a ± b')."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, width=10_000).strip()
    return str(value)


def _form_value(model: type[Organisation] | type[Flow], written: Mapping[str, Any], name: str) -> str:
    """What the form shows for an answer: as written, else the model's default (empty when none)."""
    info = model.model_fields.get(name)
    shown = written.get(name, None if info is None else info.default)
    return _written(shown.value if isinstance(shown, Enum) else shown)


def _questions(model: type[Organisation] | type[Flow], written: Mapping[str, Any], prefix: str,
               lang: Lang) -> tuple[Question, ...]:
    out = []
    for name, info in model.model_fields.items():
        kind = None if name in _FIXED else _kind(info.annotation)
        if kind is None:
            continue
        value = _form_value(model, written, name)
        flags = {"true": str(labels(lang)["flag_yes"]), "false": str(labels(lang)["flag_no"])}
        out.append(Question(name=f"{prefix}{name}", label=field_label(name, lang), kind=kind[0],  # type: ignore[arg-type]
                            value=value, choices=tuple((v, flags.get(v) or value_label(v, lang)) for v in kind[1])))
    return tuple(out)


def whatif_questions(answers_yaml: str, lang: Lang) -> tuple[QuestionGroup, ...]:
    """The numeric and choice answers of the organisation and of each flow, pre-filled as written."""
    data = read_answers(answers_yaml)  # a valid answers file: its document is a mapping of lists
    doc = parse_yaml(answers_yaml.removeprefix("\ufeff"), ANSWERS_NAME, MAX_FLOWS, "answers file").data
    groups = [QuestionGroup(title=data.answers.organisation.name, flow_id=None,
                            questions=_questions(Organisation, doc.get("organisation") or {}, "org.", lang))]
    for index, (flow, written) in enumerate(zip(data.answers.flows, doc["flows"])):
        groups.append(QuestionGroup(title=flow.name or flow.id, flow_id=flow.id,
                                    questions=_questions(Flow, written, f"flow.{index}.", lang)))
    return tuple(groups)


def apply_whatif(answers_yaml: str, form: Mapping[str, str]) -> str:
    """The answers with the form's values in place of those it changed (each read as a YAML value, so
    that a range is written as in an answers file); the answers unchanged, text and comments, when the
    form changes nothing. The result is validated by whoever uses it."""
    doc = parse_yaml(answers_yaml.removeprefix("\ufeff"), ANSWERS_NAME, MAX_FLOWS, "answers file")
    data = doc.data
    if not isinstance(data, dict):
        return answers_yaml
    changed = False
    for name, typed in form.items():
        parts = name.split(".")
        model: type[Organisation] | type[Flow]
        if parts[0] == "org" and len(parts) == 2:
            model, target, key = Organisation, data.setdefault("organisation", {}), parts[1]
        elif parts[0] == "flow" and len(parts) == 3 and parts[1].isdigit() \
                and int(parts[1]) < len(data.get("flows") or []):
            model, target, key = Flow, data["flows"][int(parts[1])], parts[2]
        else:
            continue
        if not isinstance(target, dict) or key not in model.model_fields:
            continue
        if typed.strip() == _form_value(model, target, key).strip():
            continue
        changed = True
        if not typed.strip():
            target.pop(key, None)
            continue
        try:
            target[key] = parse_yaml(typed, "form", None, "answer").data
        except DocumentError:
            target[key] = typed  # left for validation to report, located in the answers
    if not changed:
        return answers_yaml
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
