"""Rendering a recommendation as text, Markdown or JSON, in English or French.

Templates live beside this module (``en/``, ``fr/``) and run in Jinja2's
sandbox with undefined variables as errors; each rule's own short explanation
is a template too, rendered over the flow's facts and the policy's parameters.
The per-flow view is built here once and shared by every format.
"""

from __future__ import annotations

import functools
import math
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Literal, Sequence

from jinja2 import FileSystemLoader, meta, StrictUndefined, Template, TemplateError, select_autoescape
from jinja2.sandbox import SandboxedEnvironment

from engine.costs import OPTIONS
from engine.analysis.tipping import UNITS, held_by_veto
from engine.decide import Vote, pivots
from engine.errors import PolicyError, Problem, printable
from engine.load import read_document
from engine.models import Decision
from engine.policy.loading import Policy
from engine.policy.rules import NO_OPERAND
from engine.recommend import FlowResult, Recommendation
from engine.typography import elided
from explanations.figures import NARROW, Lang, country, currency_sign, language, money, number, percent, typeset
from explanations.sandbox import ExplanationEnvironment, PolicyTextEnvironment, render_text

if TYPE_CHECKING:  # sampled decisions are rendered only when asked for: their module is imported then
    from engine.analysis.uncertainty import Robustness

Format = Literal["text", "markdown", "json"]
LANGS: tuple[Lang, ...] = ("en", "fr")
HERE = Path(__file__).parent


@functools.lru_cache(maxsize=4)
def labels(lang: Lang) -> dict[str, Any]:
    """The fixed words of the explanations in one language, set with its typography."""
    data = _typeset_all(read_document(HERE / lang / "labels.yaml").data, lang)
    assert isinstance(data, dict)
    return data


def _typeset_all(value: Any, lang: Lang) -> Any:
    """Every string of the labels set with the language's typography."""
    if isinstance(value, str):
        return typeset(value, lang)
    if isinstance(value, dict):
        return {key: _typeset_all(item, lang) for key, item in value.items()}
    if isinstance(value, list):
        return [_typeset_all(item, lang) for item in value]
    return value


_BREAKS = re.compile(r"[ \t\n]+")  # not str.split(): it breaks at no-break spaces too
_GLUED = re.compile(r" (?=[:;%!?](?:[\s,.)]|$))")  # French puts a space before these: never break there


def glued(text: str) -> str:
    """The spaces French puts before ':', ';', '%', '!' and '?' made narrow no-break (never a line there)."""
    return _GLUED.sub(NARROW, text)


def wrap(text: Any, width: int = 78, indent: str = "", first: str | None = None) -> str:
    """Fill ``text`` into lines of at most ``width`` columns, breaking at spaces only (a no-break
    space keeps an amount with its currency); a word longer than a line stands on its own."""
    head = indent if first is None else first
    words = _BREAKS.split(glued(str(text)).strip(" \t\n"))
    joined = " ".join(words)
    if len(head) + len(joined) <= width:
        return (head + joined).rstrip()
    lines: list[str] = []
    line = [head]
    size = len(head)
    start = size
    for word in words:
        if size > start and size + 1 + len(word) > width:
            lines.append("".join(line))
            line, size, start = [indent], len(indent), len(indent)
        if size > start:
            line.append(" ")
            size += 1
        line.append(word)
        size += len(word)
    lines.append("".join(line))
    return "\n".join(lines).rstrip()


def value_label(value: Any, lang: Lang) -> str:
    """An allowed value (or a list of them) in words of the language: ``order_taking`` -> 'order taking'."""
    if isinstance(value, (list, tuple)):
        return ", ".join(value_label(v, lang) for v in value)
    return str(labels(lang)["values"].get(str(value), str(value).replace("_", " ")))


_SENTENCE = re.compile(r"(.+?[.!?])\s+(?=[A-Z\u00c0-\u00dd\u00ab])", re.S)


def first_sentence(text: Any) -> str:
    """A text's first sentence: what a one-line summary of a rule's explanation shows."""
    found = _SENTENCE.match(str(text).strip())
    return found[1] if found else str(text).strip()


def clip(line: Any, width: int = 78) -> str:
    """A line cut to ``width`` columns at a space, with an ellipsis when it was longer (its
    indentation kept): a summary that stays on one line of the terminal."""
    body = str(line).lstrip(" ")
    indent = str(line)[:len(str(line)) - len(body)]
    text = indent + glued(re.sub(r"\s*\n\s*|\t", " ", body.strip()))
    if len(text) <= width:
        return text
    cut = text.rfind(" ", len(indent) + 1, width)
    return text[:cut if cut > 0 else width - 1].rstrip(" ,;:\u00a0") + "\u2026"


_MARKDOWN = re.compile(r"([\\`*_\[\]<>|#])")


def markdown_text(value: Any) -> str:
    """Text the user wrote (a name), shown as itself in Markdown: its markup characters escaped."""
    return _MARKDOWN.sub(r"\\\1", str(value))


@functools.lru_cache(maxsize=4)
def environment(lang: Lang) -> SandboxedEnvironment:
    """The sandboxed Jinja2 environment for one language."""
    env = ExplanationEnvironment(
        loader=FileSystemLoader([str(HERE / lang), str(HERE / "common")]),
        undefined=StrictUndefined,
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    # No globals (range, dict, lipsum...): templates need none.
    env.globals.clear()
    _add_filters(env, lang)
    return env


@functools.lru_cache(maxsize=4)
def text_environment(lang: Lang) -> PolicyTextEnvironment:
    """The bounded sandbox where a policy's texts render, with the filters of the templates."""
    env = PolicyTextEnvironment(undefined=StrictUndefined, autoescape=False, trim_blocks=True, lstrip_blocks=True,
                                keep_trailing_newline=True)
    _add_filters(env, lang)
    env.guard_filters()
    return env


def _add_filters(env: SandboxedEnvironment, lang: Lang) -> None:
    """Arbitre's filters, in one language."""
    env.filters["num"] = lambda v, d=0: number(v, d, lang)
    env.filters["money"] = lambda v, c: money(v, c, lang)
    env.filters["pct"] = lambda v, d=0: percent(v, d, lang)
    env.filters["label"] = lambda v: value_label(v, lang)
    env.filters["country"] = lambda v: country(v, lang)
    env.filters["language"] = lambda v: language(v, lang)
    env.filters["wrap"] = wrap
    env.filters["weight"] = lambda v: score(v, lang)
    env.filters["signed"] = lambda v: signed_weight(v, lang)
    env.filters["md"] = markdown_text
    env.filters["sentence"] = first_sentence
    env.filters["clip"] = clip


class RuleTexts:
    """Each rule's explanation and attached-condition texts, compiled once per policy and language.

    A text depends only on the facts it names, so it is rendered with those alone, and a
    rendering is kept for the next flow with the same values (most texts name none or only
    allowed values, so a batch renders each of them a few times only).
    """

    def __init__(self, policy: Policy, lang: Lang) -> None:
        self.policy = policy
        self.lang = lang
        self._env = text_environment(lang)
        self._templates: dict[tuple[str, str], tuple[Template, tuple[str, ...]]] = {}
        self._params = {name: p.value for name, p in policy.parameters.items()}
        self._rendered: dict[tuple[Any, ...], str] = {}

    def _template(self, rule_id: str, key: str) -> tuple[Template, tuple[str, ...]]:
        """The rule's text as a template and the names it reads, compiled on first use."""
        found = self._templates.get((rule_id, key))
        if found is None:
            placed = self.policy.rule(rule_id)
            rule = placed.rule
            texts = rule.explain if key == "explain" else rule.then.condition
            assert texts is not None
            source = getattr(texts, self.lang)
            try:
                tree = self._env.parse(source)  # parsed once: the names it reads, then its template
                names = tuple(sorted(meta.find_undeclared_variables(tree) - {"param"}))
                found = (self._env.text_template(tree), names)
            except TemplateError as exc:
                raise PolicyError(f"{placed.file}:{placed.line}: rule {rule_id}: its {self.lang} text is not a "
                                  f"valid template: {exc}") from exc
            self._templates[(rule_id, key)] = found
        return found

    def render(self, rule_id: str, key: str, facts: dict[str, Any]) -> str:
        """A rule's explanation (``key='explain'``) or condition text over a flow's facts."""
        template, names = self._template(rule_id, key)
        context = {name: facts[name] for name in names if name in facts}
        cache_key = (rule_id, key, *((n, tuple(v) if isinstance(v, list) else v) for n, v in context.items()))
        text = self._rendered.get(cache_key)
        if text is not None:
            return text
        try:
            text = typeset(render_text(template, {**context, "param": self._params}).strip(), self.lang)
        except (TemplateError, ArithmeticError, TypeError, ValueError, LookupError) as exc:
            placed = self.policy.rule(rule_id)
            raise PolicyError(f"{placed.file}:{placed.line}: rule {rule_id}: its {self.lang} text "
                              f"cannot be rendered: {exc}") from exc
        if len(self._rendered) >= _RENDERED_MAX:
            self._rendered.clear()
        self._rendered[cache_key] = text
        return text


_RENDERED_MAX = 4_096  # renderings kept; a bound keeps memory flat in long batches


@functools.lru_cache(maxsize=8)
def rule_texts(policy: Policy, lang: Lang) -> RuleTexts:
    return RuleTexts(policy, lang)


def score(value: float, lang: Lang) -> str:
    """A score or a weight, to one decimal when it has one; below zero with a true minus sign, as
    every vote's weight is written."""
    shown = number(abs(value), 0 if float(value).is_integer() else 1, lang)
    return "\u2212" + shown if value < 0 and shown.strip("0,.") else shown


def score_list(scores: dict[str, float], lang: Lang) -> str:
    """Each option with its score, in the order given: 'outsource 5.1, hybrid 2.6'; French separates
    them with a semicolon, the decimal comma being theirs."""
    words = labels(lang)
    return str(words["scores_sep"]).join(f"{words['decisions'][o]} {score(s, lang)}" for o, s in scores.items())


def signed_weight(value: float, lang: Lang) -> str:
    """A vote's weight with its sign: +3 for an option, −2 against it."""
    return ("+" if value >= 0 else "−") + score(abs(value), lang)


def _points(value: float, lang: Lang) -> str:
    """'point' or 'points': English makes only 1 singular, French every value below 2."""
    singular = abs(value) < 2 if lang == "fr" else abs(value) == 1
    return str(labels(lang)["points"]["one" if singular else "many"])


def flow_entry(result: FlowResult, policy: Policy, langs: tuple[Lang, ...] = LANGS, findings_text: bool = True,
               tipping: bool = False) -> dict[str, Any]:
    """One flow's recommendation as plain data: what an audit record keeps of it, and all an
    explanation shows (rule texts rendered in ``langs``), so that an explanation can be rendered
    again from the record alone, with no policy. The texts of findings (rules that only derive
    facts) are left out when not shown (``findings_text=False``: JSON)."""
    verdict = result.verdict
    facts = {**result.facts, **result.derived}
    votes_of: dict[str, list[Vote]] = {}
    for vote in verdict.votes:
        votes_of.setdefault(vote.rule_id, []).append(vote)
    firings = []
    fixed = _fixed_parts(policy)
    texts = [(lang, rule_texts(policy, lang)) for lang in langs]
    for order, firing in enumerate(result.firings, 1):
        rule_id = firing.rule_id
        head, derive, tail = fixed[rule_id]
        votes = votes_of.get(rule_id, [])
        shown = findings_text or bool(votes) or bool(tail["veto"])  # a finding's text only where shown
        firings.append({
            "order": order, **head, "title": dict(head["title"]), "rationale": dict(head["rationale"]),
            "matched": firing.matched, "derive": list(derive),
            "votes": [{"option": v.option.value, "weight": v.weight} for v in votes],
            **tail, "veto": list(tail["veto"]), "split": list(tail["split"]),
            "text": {lang: rendered.render(rule_id, "explain", facts) if shown else "" for lang, rendered in texts},
        })
    quote = result.inputs.flow.vendor_quote
    metrics = result.costs.model_dump()  # one dump for the metrics and the options
    options = metrics.pop("options")
    entry: dict[str, Any] = {
        "id": result.id,
        "name": result.name,
        "channel": result.inputs.flow.channel.value,
        "activity": result.inputs.flow.activity.value,
        "monthly_volume": result.inputs.flow.monthly_volume,
        "currency": result.inputs.organisation.currency,
        "decision": verdict.decision.value,
        "split": [s.value for s in verdict.split],
        "scores": {o.value: verdict.scores[o] for o in Decision},
        "confidence": verdict.confidence,
        "margin": verdict.margin,
        "runner_up": verdict.runner_up.value if verdict.runner_up is not None else None,
        "all_vetoed": verdict.all_vetoed,
        "vetoes": {o.value: list(r) for o, r in verdict.vetoes.items()},
        "firings": firings,
        "conditions": [{"id": c.id, "rule": c.rule_id, "audience": c.audience,
                        "text": {lang: rule_texts(policy, lang).render(c.rule_id, "condition", facts) for lang in langs}}
                       for c in verdict.conditions],
        "pivots": [{"rule": rid, "title": policy.rule(rid).rule.title.both(), "decision": new.value}
                   for rid, new in pivots(verdict, result.firings, policy, result.facts)],
        "metrics": metrics,
        "costs": costs_entry(result, options),
        "quote": None if quote is None else {"form": quote.form, "amount": quote.amount},
        "facts": result.facts,
        "derived_facts": sorted(name for name, value in result.derived.items() if value),
        "defaults_used": list(result.inputs.defaults_used),
        "tipping_points": None,
        "override": None,
    }
    if tipping:
        entry["tipping_points"] = tipping_entry(result, policy)
    return entry


_Fixed = tuple[dict[str, Any], tuple[str, ...], dict[str, Any]]


@functools.lru_cache(maxsize=8)
def _fixed_parts(policy: Policy) -> dict[str, _Fixed]:
    """What a firing's entry says of its rule, whichever flow it fires on, in the entry's order: from
    its id to its rationale, its derived facts, then its veto, split and condition."""
    out: dict[str, _Fixed] = {}
    for placed in policy.rules:
        rule = placed.rule
        head = {"rule": rule.id, "title": rule.title.both(), "file": policy.file_name(placed.file),
                "line": placed.line, "stratum": placed.stratum, "rationale": rule.rationale.both()}
        tail = {"veto": [o.value for o in rule.then.veto], "split": [s.value for s in rule.then.split],
                "condition": rule.then.condition.id if rule.then.condition is not None else None}
        out[rule.id] = (head, tuple(rule.then.derive), tail)
    return out


def costs_entry(result: FlowResult, options: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """Every option the flow could take, costed on the same basis: the ``costs`` object of the JSON
    output and of the audit record, unrounded like the metrics (every figure shown is rounded once,
    from these). ``options``: the options as ``model_dump`` gives them, when already dumped."""
    if options is None:
        options = {name: option.model_dump() for name, option in result.costs.options.items()}
    return {"currency": result.inputs.organisation.currency, "term_months": int(result.costs.contract_months),
            "options": options}


def tipping_entry(result: FlowResult, policy: Policy) -> dict[str, Any]:
    """The flow's tipping points as plain data; the one that lifts a veto holding the decision names
    the rules it lifts (``lifts``)."""
    from engine.analysis.tipping import tipping_points

    verdict = result.verdict
    hold = held_by_veto({o.value: s for o, s in verdict.scores.items()},
                        {o.value: r for o, r in verdict.vetoes.items()}, verdict.decision.value)
    found = tipping_points(result.inputs, policy, (verdict.decision, verdict.split), result.costs, hold)
    return {
        "points": [{"field": p.field, "direction": p.direction, "current": p.current, "value": p.value,
                    "unchanged_at": p.unchanged_at, "unit": p.unit, "decision": p.decision.value,
                    "split": [s.value for s in p.split], "lifts": list(p.lifts)}
                   for p in found.points],
        "flips": [{"field": f.field, "current": f.current,
                   "value": list(f.value) if isinstance(f.value, tuple) else f.value, "decision": f.decision.value,
                   "split": [s.value for s in f.split], "lifts": list(f.lifts)} for f in found.flips],
    }


def field_label(name: str, lang: Lang) -> str:
    """An answer's name in words ('organisation.country' -> "the organisation's country"); the name
    itself for a field the labels do not know (a newer record)."""
    field = name.removeprefix("organisation.")
    return str(labels(lang)["fields"].get(field, name))


def in_language(text: str | dict[str, str], lang: Lang) -> str:
    """A rule's title or rationale in ``lang``: records keep both languages (plain English text in
    records written before rules had a French title)."""
    return text if isinstance(text, str) else text.get(lang) or next(iter(text.values()), "")


def _decision_words(decision: str, split: list[str], words: dict[str, Any]) -> str:
    text = str(words["decisions"][decision])
    return f"{text} ({', '.join(words['splits'][s] for s in split)})" if split else text


def roundest(near: float, far: float) -> float:
    """The roundest number between two values, both included, the nearest to ``near`` of those as
    round: 5,000 between 4,999 and 5,000, 57.1 between 57.05 and 57.33. A tipping point is shown at it
    (``near`` its last value with today's decision): the boundary lies between the two sides, and is
    known no closer."""
    low, high = min(near, far), max(near, far)
    if low <= 0 <= high:
        return 0.0
    if high < 0:
        return near
    exponent = math.floor(math.log10(high)) + 1
    while exponent >= -4:
        for step in (10.0 ** exponent, 5 * 10.0 ** (exponent - 1)):
            first, last = math.ceil(low / step - 1e-9), math.floor(high / step + 1e-9)
            if first <= last:
                return round(min(max(round(near / step), first), last) * step, 6)
        exponent -= 1
    return near


def _digits(value: float) -> int:
    """The decimals a rounded value needs, two at most."""
    return next((d for d in (0, 1) if abs(round(value, d) - value) < 1e-9), 2)


_MONEY_LEVERS = frozenset({"loaded_hourly_cost", "vendor_quote"})


def _tip_value(point: dict[str, Any], entry: dict[str, Any], lang: Lang) -> str:
    """A tipping point's value as shown, rounded, with its unit: 'EUR 57.10 per productive hour'."""
    field = point["field"]
    value = roundest(point["unchanged_at"], point["value"])
    unit = point.get("unit")
    if not unit:  # a record written before units: the quote's form, or the field's own unit
        unit = (entry.get("quote") or {}).get("form", "") if field == "vendor_quote" else UNITS.get(field, "")
    if field in _MONEY_LEVERS:
        shown = money(value, entry["currency"], lang)
    else:
        shown = (percent if unit.startswith("pct_") else number)(
            value, 0 if field == "monthly_volume" else _digits(value), lang)
    return f"{shown} {labels(lang)['units'][unit]}" if unit else shown


def _flip_sentence(flip: dict[str, Any], lang: Lang) -> str:
    words = labels(lang)
    decision = _decision_words(flip["decision"], flip["split"], words)
    if flip["field"] == "provider_certifications":
        added = flip["value"] if isinstance(flip["value"], (list, tuple)) else [flip["value"]]
        conditions = str(words["and"]).join(str(words["certification_levers"][c]) for c in added)
        return str(words["tip_provider"]).format(decision=decision, conditions=conditions)
    if flip["field"] == "provider_country":
        return str(words["tip_local_provider"]).format(decision=decision, country=country(flip["value"], lang))
    field = words["fields"][flip["field"]]
    if isinstance(flip["value"], bool):
        key = "tip_flag_on" if flip["value"] else "tip_flag_off"
        return str(words[key]).format(decision=decision, field=field)
    values = flip["value"] if isinstance(flip["value"], list) else [flip["value"]]
    shown = str(words["or"]).join(value_label(v, lang) for v in values)
    return str(words["tip_flip"]).format(decision=decision, field=field, value=shown)


def _flips_once(flips: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The flips of an answer that lead to the same decision said once, their values together ('if
    the brand criticality were low or medium', not one sentence for each); a provider's
    certifications and country stay one sentence each (each is a lever of its own)."""
    out: list[dict[str, Any]] = []
    together = ("field", "decision", "split", "lifts")
    for flip in flips:
        last = out[-1] if out else None
        alone = not isinstance(flip["value"], str) or flip["field"] in ("provider_certifications", "provider_country")
        if not alone and last is not None and last.get("grouped") and all(last.get(k) == flip.get(k) for k in together):
            last["value"] = [*last["value"], flip["value"]]
        else:
            out.append(flip if alone else {**flip, "value": [flip["value"]], "grouped": True})
    return out


def tipping_sentences(entry: dict[str, Any], lang: Lang) -> list[str]:
    """The tipping points of a flow in words: 'would become hybrid if the monthly volume rose above
    5,000 contacts a month'. When a veto holds the decision, the change that lifts it comes first
    (or a sentence saying that no single lever does)."""
    lifting, others = tipping_split(entry, lang)
    return lifting + others


def tipping_split(entry: dict[str, Any], lang: Lang) -> tuple[list[str], list[str]]:
    """The tipping sentences that lift the veto holding the decision (or the one saying that no
    single lever does), and the others."""
    tips = entry.get("tipping_points")
    if tips is None:
        return [], []
    words = labels(lang)
    lifting: list[str] = []
    out: list[str] = []
    for point in tips["points"]:
        key = "tip_below" if point["direction"] == "below" else "tip_above"
        sentence = str(words[key]).format(decision=_decision_words(point["decision"], point["split"], words),
                                          field=words["fields"][point["field"]], value=_tip_value(point, entry, lang))
        _place(sentence, point, words, lifting, out)
    for flip in _flips_once(tips["flips"]):
        _place(_flip_sentence(flip, lang), flip, words, lifting, out)
    hold = held_by_veto(entry["scores"], entry["vetoes"], entry["decision"])
    if hold is not None and not lifting:
        lifting.append(str(words["tip_no_lever"]).format(rules=", ".join(hold.rules),
                                                         option=words["decisions"][hold.option]))
    return lifting, out


def _place(sentence: str, tip: dict[str, Any], words: dict[str, Any], lifting: list[str], out: list[str]) -> None:
    """A tipping point's sentence, first when it lifts a veto (saying which)."""
    if tip.get("lifts"):
        lifting.append(f"{sentence} {str(words['tip_lifts']).format(rules=', '.join(tip['lifts']))}")
    else:
        out.append(sentence)


def held_sentence(entry: dict[str, Any], lang: Lang) -> str | None:
    """'Keep in-house only because of the veto of RSK-02 on outsource, the option with the highest
    score (9 against 5).', or None when the decision leads on its own."""
    hold = held_by_veto(entry["scores"], entry["vetoes"], entry["decision"])
    if hold is None:
        return None
    words = labels(lang)
    decision = _decision_words(entry["decision"], entry["split"], words)
    return str(words["held_by_veto"]).format(
        decision=decision[:1].upper() + decision[1:],
        rules=", ".join(hold.rules), option=words["decisions"][hold.option],
        leader=score(hold.score, lang), score=score(entry["scores"][entry["decision"]], lang))


def _by_rule(votes: list[dict[str, Any]], others: list[dict[str, Any]], lang: Lang) -> list[dict[str, Any]]:
    """Each rule of ``votes`` once, by its first (strongest) vote there, with its other votes, in
    ``votes`` or ``others``, said compactly (``also``: 'also +2.5 hybrid')."""
    words = labels(lang)
    firsts: dict[str, dict[str, Any]] = {}
    also: dict[str, list[str]] = {}
    for vote in votes:
        firsts.setdefault(vote["rule"], vote)
    for vote in votes + others:
        if vote["rule"] in firsts and vote is not firsts[vote["rule"]]:
            also.setdefault(vote["rule"], []).append(f"{signed_weight(vote['weight'], lang)} {words['decisions'][vote['option']]}")
    return [{**vote, "also": f"{words['also']} {', '.join(also[rule])}" if rule in also else ""}
            for rule, vote in firsts.items()]


def _behind(firings: list[dict[str, Any]], deciding: list[str]) -> list[str]:
    """The findings the deciding rules rest on: the rules that derived a fact they read, directly
    or through other findings (the deciding rules themselves left out: they are named already)."""
    needed: set[str] = set()
    behind: set[str] = set()
    for firing in sorted(firings, key=lambda f: -f["stratum"]):  # a fact is read in a later stratum
        if firing["rule"] in deciding or needed & set(firing["derive"]):
            needed.update(firing["matched"])
            if firing["rule"] not in deciding and not firing["votes"] and not firing["veto"]:
                behind.add(firing["rule"])
    return [f["rule"] for f in firings if f["rule"] in behind]


def _forced_by(entry: dict[str, Any]) -> str:
    """The rules that vetoed every option but the decision ('RSK-07'), or '' when the scores chose:
    a decision a veto imposes has no margin to be sure of."""
    others = [o.value for o in Decision if o.value != entry["decision"]]
    if entry["decision"] in entry["vetoes"] or not all(o in entry["vetoes"] for o in others):
        return ""
    return ", ".join(dict.fromkeys(rule for o in others for rule in entry["vetoes"][o]))


def _vetoes_once(vetoes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The vetoes with each rule once: the options the same rules rule out, together."""
    grouped: dict[tuple[str, ...], dict[str, Any]] = {}
    for veto in vetoes:
        key = tuple(veto["rules"])
        if key in grouped:
            grouped[key]["option_labels"].append(veto["option_label"])
        else:
            grouped[key] = {**veto, "option_labels": [veto["option_label"]]}
    return list(grouped.values())


def _rule_votes(firing: dict[str, Any], options: Sequence[str], lang: Lang) -> str:
    """What a fired rule gave two options, in short: '+3 outsource, 0 hybrid'."""
    words = labels(lang)
    given = dict.fromkeys(options, 0.0)
    for vote in firing["votes"]:
        if vote["option"] in given:
            given[vote["option"]] += vote["weight"]
    return ", ".join(f"{signed_weight(w, lang) if w else score(w, lang)} {words['decisions'][o]}"
                     for o, w in given.items())


def _ahead(entry: dict[str, Any]) -> list[dict[str, Any]]:
    """The two fired rules that put the decision furthest ahead of the runner-up, by the difference
    of their votes for the one and the other; none on a tie or with no runner-up."""
    decision, runner = entry["decision"], entry["runner_up"]
    if runner is None or entry["margin"] == 0:
        return []

    def gap(firing: dict[str, Any]) -> float:
        return float(sum(v["weight"] * ((v["option"] == decision) - (v["option"] == runner)) for v in firing["votes"]))

    return sorted((f for f in entry["firings"] if gap(f) > 0), key=lambda f: -gap(f))[:2]


def balance_sentence(entry: dict[str, Any], lang: Lang) -> str:
    """What tipped the balance, in words: the veto that holds the decision, the rules without which
    the decision would change, or when none alone does, the rules that put it furthest ahead of the
    runner-up and what each gave the runner-up (a tie or a lone option says so first; the margin is
    shown beside the decision)."""
    words = labels(lang)
    decision, runner, scores = entry["decision"], entry["runner_up"], entry["scores"]
    winner = str(words["decisions"][decision]).capitalize()
    hold = held_by_veto(scores, entry["vetoes"], decision)
    lead = ""
    if hold is not None:
        lead = f"{held_sentence(entry, lang)} "
    elif runner is None:
        lead = words["tipped_only"].format(winner=winner) + " "
    elif entry["margin"] == 0:
        lead = words["tipped_tie"].format(winner=winner, runner=words["decisions"][runner],
                                          score=score(scores[decision], lang),
                                          points=_points(scores[decision], lang)) + " "
    pivots = [p for p in entry["pivots"] if hold is None or p["rule"] not in hold.rules]
    if pivots:
        items = [words["balance_pivot"].format(rule=p["rule"], title=in_language(p["title"], lang),
                                               decision=words["decisions"][p["decision"]]) for p in pivots]
        return lead + str(words["balance_pivots"]).format(items=str(words["list_sep"]).join(items))
    if hold is not None:
        return lead.rstrip()
    ahead = _ahead(entry)
    if not ahead:
        return lead + str(words["no_change"])
    items = [words["balance_part"].format(rule=f["rule"], title=in_language(f["title"], lang),
                                          votes=_rule_votes(f, (decision, runner), lang)) for f in ahead]
    items = [elided(str(words["balance_of"]), item, lang) for item in items]
    return lead + str(words["balance_parts"]).format(winner=winner, items=str(words["and"]).join(items))


def robustness_view(entry: dict[str, Any], lang: Lang) -> dict[str, str] | None:
    """A flow's robustness in words: its label, the share each option wins ('outsource in 87 % of cases,
    hybrid (overflow at peaks) in 13 %'), and the answers it hangs on; None when it was not sampled."""
    found = entry.get("robustness")
    if found is None:
        return None
    from engine.analysis.uncertainty import label as robustness_label

    words = labels(lang)["robustness"]
    split = ", ".join(labels(lang)["splits"][s] for s in entry["split"]) if entry["decision"] == "hybrid" else ""

    def option(name: str) -> str:
        return f"{words['options'][name]} ({split})" if name == "hybrid" and split else str(words["options"][name])

    shares = sorted(((share, name) for name, share in found["shares"].items() if share > 0), key=lambda p: -p[0])
    said = ", ".join(words["share"].format(option=option(name), share=percent(share * 100, 0, lang))
                     for share, name in shares)
    # A quote's range is on its amount, in the form it was quoted in (vendor_quote.per_contact): the price.
    drivers = [words["driver"].format(field=field_label(d["field"].split(".per_")[0], lang),
                                      value=number(d["changes_at"], 0 if abs(d["changes_at"]) >= 100 else 2, lang))
               for d in found["drivers"]]
    return {"label": str(words["labels"][robustness_label(found["shares"], entry["decision"])]), "shares": said,
            "sentence": words["sentence"].format(samples=number(found["samples"], 0, lang), seed=found["seed"],
                                                 shares=said),
            "drivers": words["drivers"].format(drivers=", ".join(drivers)) if drivers else str(words["none"])}


def final_decision(entry: dict[str, Any]) -> str:
    """The decision that stands for a flow entry: a person's override, else the engine's."""
    return str((entry.get("override") or {}).get("decision", entry["decision"]))


def overrider(override: dict[str, Any], lang: Lang) -> str:
    """Who overrode a flow and when, as a record keeps it (both optional: the CLI writes neither), in
    words after the override's reason: ' (by Zoé, 2026-12-01)'; '' when the record says neither."""
    words = labels(lang)
    said = [str(words["override_author"]).format(author=override["author"])] if override.get("author") else []
    if override.get("at"):
        said.append(str(words["override_at"]).format(day=str(override["at"])[:10]))
    return f" ({', '.join(said)})" if said else ""


def view_of(entry: dict[str, Any], lang: Lang, cost_model: dict[str, Any]) -> dict[str, Any]:
    """Everything a template shows about one flow, from its entry (``flow_entry`` or an audit record)."""
    words = labels(lang)
    view = short_view(entry, lang)
    decision, reasons, against, findings = entry["decision"], view["reasons"], view["against"], view["findings"]
    scores = entry["scores"]
    why = _by_rule(reasons, against, lang)
    shown = {r["rule"] for r in why}
    behind = _behind(entry["firings"], [p["rule"] for p in entry["pivots"]])
    quote = entry["quote"]
    override = entry.get("override")
    return {
        **view,
        "channel": value_label(entry["channel"], lang),
        "activity": entry["activity"],
        "monthly_volume": entry["monthly_volume"],
        "currency": entry["currency"],
        "currency_sign": currency_sign(entry["currency"], lang),
        "scores": [{"option": o.value, "label": words["decisions"][o.value], "score": scores[o.value]}
                   for o in Decision],
        "score_text": score_list({o.value: scores[o.value] for o in Decision}, lang),
        "all_vetoed": entry["all_vetoed"],
        "why": why,
        "others": _by_rule([r for r in against if r["rule"] not in shown], [], lang),
        "key_findings": [f for f in findings if f["rule"] in behind],
        "vetoes_once": _vetoes_once(view["vetoes"]),
        "balance": balance_sentence(entry, lang),
        "override": None if override is None else {
            "decision": override["decision"], "label": words["decisions"][override["decision"]],
            "reason": override["reason"],
            "author": override.get("author"), "at": override.get("at"),
            "text": words["override_text"].format(
                final=words["decisions"][override["decision"]].capitalize(),
                engine=_decision_words(decision, entry["split"], words), reason=override["reason"])
            + overrider(override, lang)},
        "final_decision": final_decision(entry),
        "costs": entry["metrics"],
        "options": [{"option": name, "label": words["option_names"][name], **option}
                    for name, option in costed_options(entry).items()],
        "brief_fte": _brief_fte(entry, lang),
        "decision_saving_monthly": monthly_saving(entry),
        "term_months": (entry.get("costs") or {}).get("term_months"),
        "quote": None if quote is None else {**quote, "label": words[quote["form"]]},
        "defaults_used": [field_label(name, lang) for name in entry["defaults_used"]],
        "cost_assumptions": _cost_assumptions(_assumed(cost_model, entry["metrics"]), lang),
    }


def short_view(entry: dict[str, Any], lang: Lang) -> dict[str, Any]:
    """What the one-paragraph explanation and the JSON output show of a flow: its decision, the rules
    for and against it, vetoes, conditions and what would change it (``view_of`` adds the rest)."""
    words = labels(lang)
    decision = entry["decision"]
    reasons: list[dict[str, Any]] = []
    against: list[dict[str, Any]] = []
    findings: list[dict[str, Any]] = []
    text_of: dict[str, str] = {}
    for firing in entry["firings"]:
        text = firing["text"].get(lang, "")
        text_of[firing["rule"]] = text
        item = {"rule": firing["rule"], "title": in_language(firing["title"], lang), "text": text,
                "matched": firing["matched"], "file": firing["file"], "line": firing["line"],
                "rationale": in_language(firing["rationale"], lang)}
        # A rule is a reason for the decision when it votes for it, or, voting nothing on it, only
        # takes from other options (expert work counting against outsourcing is a reason to keep);
        # a vote against the decision never is, whatever it takes from another option.
        given: dict[str, float] = {}
        for vote in firing["votes"]:
            given[vote["option"]] = given.get(vote["option"], 0.0) + vote["weight"]
        on_decision = given.get(decision)
        supports = on_decision > 0 if on_decision is not None else max(given.values(), default=0.0) < 0
        for vote in firing["votes"]:
            # a vote taking from an option is said as one against it, never as the option's name alone
            label = words["decisions_against" if vote["weight"] < 0 else "decisions"][vote["option"]]
            voted = {**item, "option": vote["option"], "weight": vote["weight"], "option_label": label,
                     "shown": text if vote["option"] == decision else f"{label}{words['colon']}{text}"}
            # the reason is the rule's vote for the decision; its smaller vote for another option is not
            # (a risk that votes only against the others is a reason by those votes)
            reason = supports and (vote["option"] == decision or decision not in given)
            (reasons if reason else against).append(voted)
        if not firing["votes"] and not firing["veto"]:
            findings.append(item)
    reasons.sort(key=lambda r: (r["option"] != decision, -abs(r["weight"])))  # a rule's vote for the decision first
    against.sort(key=lambda r: (r["option"] != decision, -abs(r["weight"])))  # against the decision first
    source_of = {f["rule"]: {"file": f["file"], "line": f["line"], "rationale": in_language(f["rationale"], lang)}
                 for f in entry["firings"]}
    vetoes = [{"option": o, "option_label": words["decisions"][o], "rules": list(r),
               "texts": [text_of.get(rid, "") for rid in r], "sources": [source_of.get(rid, {"file": "?", "line": "?", "rationale": ""}) for rid in r]}
              for o, r in entry["vetoes"].items()]
    return {
        "id": entry["id"],
        "name": entry["name"],
        "decision": decision,
        "decision_label": words["decisions"][decision],
        "split": entry["split"],
        "split_labels": [words["splits"][s] for s in entry["split"]],
        "confidence": entry["confidence"],
        "confidence_label": words["confidence"][entry["confidence"]],
        "forced_by": _forced_by(entry),
        "margin": entry["margin"],
        "reasons": reasons,
        "against": against,
        "findings": findings,
        "vetoes": vetoes,
        "conditions": [{"id": c["id"], "rule": c["rule"], "text": c["text"].get(lang, "")} for c in entry["conditions"]],
        "changes": [words["without_rule"].format(rule=p["rule"], title=in_language(p["title"], lang),
                                                 decision=words["decisions"][p["decision"]])
                    for p in entry["pivots"]],
        "tipping": tipping_sentences(entry, lang) if entry.get("tipping_points") is not None else None,
        "held": held_sentence(entry, lang),
        "robustness": robustness_view(entry, lang),
    }


def costed_options(entry: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The flow's costed options, in the order of ``OPTIONS``."""
    options = (entry.get("costs") or {}).get("options") or {}
    return {name: options[name] for name in OPTIONS if name in options}


def recommended_options(entry: dict[str, Any]) -> list[str]:
    """The options the decision that stands takes: outsource, keep in-house, or a hybrid's splits
    (those the engine proposed; a person's hybrid says no split)."""
    decision = final_decision(entry)
    if decision != "hybrid":
        return [decision]
    return list(entry["split"]) if decision == entry["decision"] else []


def _brief_fte(entry: dict[str, Any], lang: Lang) -> str | None:
    """The provider's FTE at the busiest month that the brief gives for the flow: the whole flow's, or
    each split's, named; None when the brief asks nothing costed of a provider."""
    options, words = costed_options(entry), labels(lang)
    asked = [name for name in recommended_options(entry) if name != "keep_internal" and name in options]
    return words["list_sep"].join(number(options[name]["provider_fte"], 1, lang) + "\u00a0" + words["fte"]
                                  + ("" if name == "outsource" else f" ({words['option_names'][name]})")
                                  for name in asked) or None


def standing_option(entry: dict[str, Any]) -> str | None:
    """The costed option that stands for a flow: outsource or keep in-house, or for a hybrid the split
    with the best saving among those proposed; None when it has no cost (no quote, no split)."""
    options = costed_options(entry)
    priced = [name for name in recommended_options(entry) if name in options]
    if not priced:
        return None
    return max(priced, key=lambda name: -math.inf if options[name]["saving_pct"] is None
               else float(options[name]["saving_pct"]))


def monthly_saving(entry: dict[str, Any]) -> float | None:
    """What the option that stands saves a month against keeping the flow in-house, all-in (its
    one-off costs spread over the contract); none for a flow kept in-house or an option not costed."""
    standing = standing_option(entry)
    options = costed_options(entry)
    if standing is None or standing == "keep_internal" or "keep_internal" not in options:
        return None
    term = (entry.get("costs") or {}).get("term_months") or 1
    option = options[standing]
    return float(options["keep_internal"]["monthly"]) - float(option["monthly"]) - float(option["one_off"]) / term


def _assumed(cost_model: dict[str, Any], metrics: dict[str, Any]) -> tuple[float, ...]:
    """The figures the cost-assumptions sentence shows: the paid hours are the flow's country's."""
    fte = metrics.get("fte_needed") or 0.0
    paid = metrics["paid_hours"] / fte if fte else cost_model["paid_hours_per_fte_month"]
    return (cost_model["service_level_target"], cost_model["service_level_seconds"], cost_model["max_occupancy"],
            cost_model["shrinkage"], paid, cost_model["replacement_cost_hours"])


@functools.lru_cache(maxsize=16)
def _cost_assumptions(figures: tuple[float, ...], lang: Lang) -> str:
    """The policy's main cost assumptions in one sentence."""
    level, seconds, occupancy, shrinkage, paid, replacement = figures
    return str(labels(lang)["cost_assumptions_text"]).format(
        sl=percent(level * 100, 0, lang), sec=number(seconds, 0, lang), occ=percent(occupancy * 100, 0, lang),
        shr=percent(shrinkage * 100, 0, lang), paid=number(paid, 1, lang), repl=number(replacement, 0, lang))


Detail = Literal["normal", "full"]


@dataclass(frozen=True)
class Document:
    """What a whole explanation shows, whether from a fresh recommendation or from an audit record."""

    organisation: str
    policy: dict[str, str]
    cost_model: dict[str, Any]
    flows: Sequence[dict[str, Any]] | Iterator[dict[str, Any]]  # flow entries (JSON reads them once)


def document(rec: Recommendation, policy: Policy, langs: tuple[Lang, ...], findings_text: bool = True,
             tipping: bool = False, overrides: dict[str, dict[str, str]] | None = None,
             lazy: bool = False, robustness: Callable[[FlowResult], Robustness] | None = None) -> Document:
    """A recommendation as plain data, ready to render or to keep in an audit record. ``lazy``: the
    flow entries are made one by one as they are read, once (JSON output: a large file never holds
    every entry at once). ``robustness``: each flow's decision under its ranged answers, worked out
    as its entry is made."""
    def entries() -> Iterator[dict[str, Any]]:
        for result in rec.flows:
            entry = flow_entry(result, policy, langs, findings_text, tipping)
            if overrides and result.id in overrides:
                entry["override"] = overrides[result.id]
            if robustness is not None:
                entry["robustness"] = robustness(result).as_json()
            yield entry

    return Document(organisation=rec.answers.organisation.name,
                    policy={"name": rec.policy_name, "version": rec.policy_version, "digest": rec.policy_digest},
                    cost_model=policy.costs.model_dump(), flows=entries() if lazy else list(entries()))


def render_flow_summary(view: dict[str, Any], lang: Lang) -> str:
    """One flow's explanation in one paragraph: decision, vetoes, the strongest reasons, conditions and
    what would change it (the ``explanation`` field of the JSON output; the text format has it all)."""
    return printable(str(_short_template(lang).render(flow=view, L=labels(lang))).strip())


@functools.lru_cache(maxsize=4)
def _short_template(lang: Lang) -> Template:
    """The one-paragraph template, loaded once: it renders for every flow of a JSON output, and the
    environment would look at its file's time on disk each time."""
    return environment(lang).get_template("flow.short.j2")


def render(rec: Recommendation, policy: Policy, fmt: Format = "text", lang: Lang = "en",
           tipping: bool = False, detail: Detail = "normal",
           overrides: dict[str, dict[str, str]] | None = None) -> str:
    """The whole recommendation in one format and language."""
    doc = document(rec, policy, (lang,), findings_text=fmt != "json", tipping=tipping, overrides=overrides,
                   lazy=fmt == "json")
    return render_document(doc, fmt, lang, detail)


def render_document(doc: Document, fmt: Format = "text", lang: Lang = "en", detail: Detail = "normal") -> str:
    """An explanation of a ``Document`` in one format and language; text and Markdown, read on a terminal,
    show the control characters of names and answers as escapes (``\\x1b``) rather than obey them."""
    if fmt == "json":
        return dump_json(to_json(doc, lang))
    views = [view_of(entry, lang, doc.cost_model) for entry in doc.flows]
    shared = shared_assumptions(views)
    summary = summary_rows(views, lang)
    context = {
        "L": labels(lang),
        "organisation": doc.organisation,
        "policy": doc.policy,
        "detail": detail,
        "flows": [{**view, "own_assumptions": own_assumptions(view, shared, lang)} for view in views],
        "assumptions": shared,
        "summary": summary,
        "table": aligned(summary),
    }
    name = "recommendation.txt.j2" if fmt == "text" else "recommendation.md.j2"
    return printable(str(environment(lang).get_template(name).render(context)))


def summary_rows(views: list[dict[str, Any]], lang: Lang) -> list[list[str]]:
    """The summary of the flows as a table's cells, its heading first, then one row a flow: name,
    decision, split, confidence and the saving a month of the option that stands (all-in)."""
    words = labels(lang)
    heads = words["summary_table"]
    rows = [[heads["flow"], heads["decision"], heads["split"], heads["confidence"], heads["saving"]]]
    for view in views:
        engine = view["final_decision"] == view["decision"]
        split = [words["option_names"][s] for s in view["split"]] if engine else []
        saving = view["decision_saving_monthly"]
        confidence = labels(lang)["forced_short"] if view["forced_by"] else view["confidence_label"]
        if view["robustness"] is not None:
            confidence = f"{confidence}, {view['robustness']['label']}"
        rows.append([view["name"], words["decisions"][view["final_decision"]], ", ".join(split) or "-",
                     confidence, "-" if saving is None else money(saving, view["currency"], lang)])
    return rows


def summary_table(views: list[dict[str, Any]], lang: Lang, width: int = 78) -> list[str]:
    """The summary of the flows in ``width`` columns, one a line."""
    return aligned(summary_rows(views, lang), width)


def aligned(rows: list[list[str]], width: int = 78) -> list[str]:
    """The summary's rows in columns of ``width`` in all: the figures right-aligned, a name too long
    for the room the other columns leave cut, with an ellipsis."""
    sizes = [max(len(row[i]) for row in rows) for i in range(1, 5)]
    room = max(width - sum(sizes) - 2 * 4, 8)
    name_size = min(max(len(row[0]) for row in rows), room)
    lines = []
    for name, decision, split, confidence, saving in rows:
        name = name if len(name) <= name_size else name[:name_size - 1].rstrip() + "\u2026"
        lines.append(f"{name:<{name_size}}  {decision:<{sizes[0]}}  {split:<{sizes[1]}}  "
                     f"{confidence:<{sizes[2]}}  {saving:>{sizes[3]}}".rstrip())
    return lines


def shared_assumptions(views: list[dict[str, Any]]) -> dict[str, Any]:
    """The assumptions stated once for the whole file: the cost model most flows share, and the
    defaults used for unanswered fields when most flows used the same (``None``: each flow says)."""
    costs = [view["cost_assumptions"] for view in views]
    defaults = [view["defaults_used"] for view in views]
    common = max(defaults, key=defaults.count) if defaults else []
    return {"cost": max(costs, key=costs.count) if costs else None,
            "defaults": common if 2 * defaults.count(common) > len(defaults) else None}


def own_assumptions(view: dict[str, Any], shared: dict[str, Any], lang: Lang) -> list[str]:
    """What a flow assumed beyond the assumptions stated once for the file: its own defaults, its own
    cost model (its country's paid hours)."""
    words = labels(lang)
    own = []
    if view["defaults_used"] != shared["defaults"] and (shared["defaults"] or view["defaults_used"]):
        used = ", ".join(view["defaults_used"]) or words["none"]
        own.append(f"{words['defaults_used']}{words['colon']}{used}")
    if view["cost_assumptions"] != shared["cost"]:
        own.append(f"{words['cost_assumptions']}{words['colon']}{view['cost_assumptions']}")
    return own


_CONTROLS = re.compile("[\x7f-\x9f]")


def json_text(value: Any, indent: int | None = None) -> str:
    """JSON as Arbitre prints it: UTF-8 text, numbers that JSON allows (never NaN or Infinity), and no
    character a terminal would act on (json escapes C0 controls; DEL and C1 are escaped here too)."""
    text = json.dumps(value, ensure_ascii=False, allow_nan=False, indent=indent)
    if text.isascii() and "\x7f" not in text:
        return text
    return _CONTROLS.sub(lambda found: f"\\u{ord(found.group()):04x}", text)


def dump_json(document: dict[str, Any]) -> str:
    """The JSON document with one flow a line: readable, diffable flow by flow, and written by the
    C encoder (``indent`` would switch json to its pure-Python encoder, several times slower)."""
    head = {key: value for key, value in document.items() if key != "flows"}
    return json_document(head, (json_text(flow) for flow in document["flows"]))


def json_document(head: dict[str, Any], flows_json: Iterable[str]) -> str:
    """``dump_json`` of a document given its head and each flow already as JSON text."""
    lines = [f"  {json_text(key)}: {json_text(value)}" for key, value in head.items()]
    flows = ",\n".join(f"    {flow}" for flow in flows_json)
    lines.append(f'  "flows": [\n{flows}\n  ]' if flows else '  "flows": []')
    return "{\n" + ",\n".join(lines) + "\n}\n"


def to_json(doc: Document, lang: Lang = "en") -> dict[str, Any]:
    """The recommendation as the JSON contract of docs/domain.md, plus metrics and assumptions."""
    # Each flow repeats the cost model's figures; its tables (by country, by activity) come once, above.
    scalars = {name: value for name, value in doc.cost_model.items() if not isinstance(value, dict)}
    flows = []
    currency: str | None = None  # one answers file, one organisation: every amount is in its currency
    for entry in doc.flows:
        currency = entry["currency"]
        view = short_view(entry, lang)
        item = {
            "id": entry["id"],
            "name": entry["name"],
            "decision": entry["decision"],
            "split": entry["split"],
            "scores": entry["scores"],
            "confidence": entry["confidence"],
            "margin": entry["margin"],
            "fired_rules": [f["rule"] for f in entry["firings"]],
            "vetoes": entry["vetoes"],
            "reasons": [{"rule": r["rule"], "option": r["option"], "weight": r["weight"], "text": r["shown"]}
                        for r in view["reasons"] + view["against"]],
            "conditions": [{"id": c["id"], "rule": c["rule"], "text": c["text"]} for c in view["conditions"]],
            "metrics": entry["metrics"],
            "costs": entry.get("costs"),
            "derived_facts": entry["derived_facts"],
            "assumptions": {"defaults_used": entry["defaults_used"], "cost_model": scalars},
            "explanation": render_flow_summary(view, lang),
        }
        if entry.get("tipping_points") is not None:
            item["tipping_points"] = {**entry["tipping_points"], "text": view["tipping"] or []}
        if entry.get("override") is not None:
            item["override"] = entry["override"]
        if entry.get("robustness") is not None:
            item["robustness"] = entry["robustness"]
        flows.append(item)
    return {"policy": doc.policy, "organisation": doc.organisation, "currency": currency,
            "cost_model": doc.cost_model, "flows": flows}


def recommendation_json(rec: Recommendation, policy: Policy, lang: Lang = "en", tipping: bool = False) -> dict[str, Any]:
    """``to_json`` of a fresh recommendation (texts in one language, findings' texts left out)."""
    return to_json(document(rec, policy, (lang,), findings_text=False, tipping=tipping, lazy=True), lang)


def _operand(value: Any, lang: Lang) -> str:
    if value is None:
        return str(labels(lang)["unknown"])
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return number(value, 0 if float(value).is_integer() else 2, lang)
    if isinstance(value, list):
        return "[" + ", ".join(_operand(v, lang) for v in value) + "]"
    return str(value)


def _raw_failure(failed: dict[str, Any], lang: Lang) -> str:
    """A failed comparison as the policy writes it: 'monthly_volume ge 5,000 (parameter
    massive_volume_min); actual: 300'."""
    words = labels(lang)
    operand = "" if failed["op"] in NO_OPERAND else " " + _operand(failed["threshold"], lang)
    param = f" ({words['parameter']} {failed['param']})" if failed.get("param") else ""
    text = f"{failed['fact']} {failed['op']}{operand}{param}"
    if failed.get("negated"):
        text = f"{words['negated']} ({text})"
    text += f"{words['semicolon']}{words['actual']}{words['colon']}{_operand(failed['actual'], lang)}"
    if failed.get("alternatives"):
        text += f" ({words['alternatives'].format(n=failed['alternatives'])})"
    return text


# The comparison that holds when one does not (a failed condition is explained by what holds).
OPPOSITE = {"eq": "ne", "ne": "eq", "lt": "ge", "le": "gt", "gt": "le", "ge": "lt", "in": "not_in",
            "not_in": "in", "contains": "lacks", "lacks": "contains", "empty": "not_empty",
            "not_empty": "empty", "known": "unknown", "unknown": "known"}


def _value_words(fact: str, value: Any, lang: Lang, compared: bool = True) -> str:
    """A value in words: a share with its percent sign, an allowed value by its label, and a level a
    fact is compared to as a level ('de niveau élevé': French agrees the bare word with the fact)."""
    if isinstance(value, (list, tuple)):
        return ", ".join(_value_words(fact, v, lang, compared) for v in value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        digits = 0 if float(value).is_integer() else 2
        return percent(value, digits, lang) if fact.endswith("_pct") else number(value, digits, lang)
    if value is None:
        return str(labels(lang)["unknown"])
    levels = labels(lang)["levels"] if compared else {}
    return str(levels.get(str(value), value_label(value, lang)))


def failure(failed: dict[str, Any], fact_words: dict[str, Any], lang: Lang) -> str:
    """Why a rule's condition did not hold, in words: what holds instead, with the value found ('the
    monthly volume is below 5,000 (actual: 300)', 'the flow needs no unique in-house know-how')."""
    words = labels(lang)
    fact, actual = failed["fact"], failed["actual"]
    op = failed["op"] if failed.get("negated") else OPPOSITE[failed["op"]]
    if actual is None and failed["op"] not in ("known", "unknown"):
        op = "unknown"  # a comparison on a value not known is false, whatever it compares
        if "unknown" in words["flags"].get(fact, {}):
            return _capital(str(words["flags"][fact]["unknown"]))
    elif isinstance(actual, bool) and op in ("eq", "ne") and isinstance(failed["threshold"], bool):
        holds = (failed["threshold"] if op == "eq" else not failed["threshold"])
        return _flag(fact, holds, fact_words, lang)
    label = str(words["fields"].get(fact, fact))
    text = str(words["said"][op]).format(fact=label, value=_value_words(fact, failed["threshold"], lang))
    if op not in NO_OPERAND and op != "unknown":
        text += f" ({words['actual']}{words['colon']}{_value_words(fact, actual, lang, compared=False)})"
    if failed.get("alternatives"):
        text += f" ({words['alternatives'].format(n=failed['alternatives'])})"
    return _capital(text)


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _flag(fact: str, holds: bool, fact_words: dict[str, Any], lang: Lang) -> str:
    """A true-or-false fact as a sentence: the answer's (labels) or the derived fact's (the policy's)."""
    words = labels(lang)
    said = words["flags"].get(fact) or {key: text[lang] for key, text in fact_words.get(fact, {}).items()}
    if holds and "is" in said:
        text = str(said["is"])
    elif not holds and "not" in said:
        text = str(said["not"])
    elif "is" in said:
        text = str(words["fact_not"]).format(fact=said["is"])
    else:
        text = str(words["said"]["eq"]).format(fact=words["fields"].get(fact, fact),
                                               value=words["flag_yes" if holds else "flag_no"])
    return _capital(text)


def render_why_not(data: dict[str, Any], lang: Lang = "en", detail: Detail = "normal") -> str:
    """``engine.analysis.audit.why_not`` as text: each failed condition in words, and as the policy
    writes it too with ``detail='full'``."""
    words = labels(lang)
    option = _decision_words(data["option"], [], words)
    lines = [wrap(words["why_not_title"].format(option=option, name=data["name"], id=data["flow"]))]
    scores = score_list(data["scores"], lang)
    lines.append(wrap(words["decided"].format(decision=_decision_words(data["decision"], data["split"], words),
                                              scores=scores), indent="  ", first="  "))
    if data.get("override"):
        override = data["override"]
        lines.append(wrap(f"{words['override']}{words['colon']}{words['decisions'][override['decision']]}"
                          f" - {override['reason']}{overrider(override, lang)}", indent="    ", first="  "))
    if data["option"] == data["decision"]:
        lines.append(wrap(words["is_decision"].format(option=option.capitalize()), indent="  ", first="  "))
    for veto in data["vetoes"]:
        text = veto["text"].get(lang, "")
        lines.append(wrap(f"{words['vetoed_by'].format(rule=veto['rule'])}{words['colon']}{text}",
                          indent="    ", first="  "))
    if data["needs_split"]:
        lines.append(wrap(words["needs_split"], indent="  ", first="  "))
    lines.append("")
    if not data["rules"]:
        lines.append(wrap(words["no_supporting"].format(option=option), indent="  ", first="  "))
    else:
        lines.append(f"  {words['supporting'].format(option=option)}")
        for rule in data["rules"]:
            gives = signed_weight(rule["weight"], lang) if rule["weight"] is not None else ""
            if rule.get("against_others") and rule["weight"] is not None:  # its weight lands on the other options
                gives = words["against_others"].format(weight=signed_weight(-abs(float(rule["weight"])), lang))
            if rule["split"]:
                gives = (gives + " " if gives else "") + ", ".join(words["splits"][s] for s in rule["split"])
            where = f"{rule['file']}:{rule['line']}" + (f"{words['semicolon']}{gives}" if gives else "")
            head = f"{rule['rule']} {in_language(rule['title'], lang)} ({where})"
            if rule["fired"]:
                lines.append(wrap(f"{head}{words['colon']}{words['fired']}", indent="      ", first="    "))
            else:
                lines.append(wrap(f"{head}{words['colon']}{words['did_not_fire']}", indent="      ", first="    "))
                if rule["failed"] is not None:
                    said = failure(rule["failed"], data.get("fact_words", {}), lang)
                    lines.append(wrap(said, indent="        ", first="      "))
                    if detail == "full":
                        lines.append(wrap(_raw_failure(rule["failed"], lang), indent="        ", first="      "))
    return printable("\n".join(lines) + "\n")


def render_verify(data: dict[str, Any], lang: Lang = "en") -> str:
    """``engine.analysis.audit.verify`` as text."""
    return printable("\n".join(_verify_lines(data, lang)) + "\n")


def _verify_lines(data: dict[str, Any], lang: Lang) -> list[str]:
    """The lines of ``render_verify``: the same decisions, or each decision that changed."""
    words = labels(lang)
    now, then = data["policy_now"], data["policy_then"]
    lines = []
    if not data["changed"]:
        key = "verify_same_one" if data["flows"] == 1 else "verify_same"
        lines.append(wrap(words[key].format(n=data["flows"], root=now["root"], name=now["name"],
                                            version=now["version"])))
        if now["digest"] != then["digest"]:
            lines.append(wrap(words["verify_policy_changed"].format(then=then["digest"][:19], now=now["digest"][:19])))
        return lines
    key = "verify_changed_one" if len(data["changed"]) == 1 else "verify_changed"
    lines.append(wrap(words[key].format(count=len(data["changed"]), n=data["flows"], root=now["root"],
                                        name=now["name"], version=now["version"])))
    for flow in data["changed"]:
        old = _decision_words(flow["recorded"]["decision"], flow["recorded"]["split"], words)
        new = _decision_words(flow["now"]["decision"], flow["now"]["split"], words)
        lines.append(wrap(words["verify_flow"].format(id=flow["flow"], old=old, new=new), indent="      ", first="  - "))
        for key in ("fired_then_only", "fired_now_only"):
            if flow[key]:
                lines.append(wrap(f"{words[key]}{words['colon']}{', '.join(flow[key])}", indent="      ", first="    "))
    return lines


def _sample(kind: str, values: tuple[str, ...]) -> Any:
    return {"number": 1234.5, "bool": True, "enum": values[0] if values else "x",
            "list": [values[0]] if values else [], "text": "FR"}[kind]


def check_texts(policy: Policy) -> list[Problem]:
    """Every rule text (explanation and attached condition, English and French) that does not
    render over a flow's facts: a name that is not a fact, a filter that does not exist, a syntax
    error. Rendered with every fact known, in Jinja2's sandbox with undefined names as errors."""
    from engine.policy.lint import known_when_fired

    facts = {name: _sample(t.kind, t.values) for name, t in policy.facts.items()}
    optional = frozenset(name for name, t in policy.facts.items() if t.optional)
    problems = []
    for lang in LANGS:
        texts = RuleTexts(policy, lang)
        for placed in policy.rules:
            # A fact that may be unknown is left out unless the rule's condition makes it known:
            # the text must then guard it ({% if savings_pct is defined %}).
            sure = known_when_fired(policy, placed.rule.id, optional)
            known = {name: value for name, value in facts.items() if name not in optional or name in sure}
            keys = ["explain"] + (["condition"] if placed.rule.then.condition is not None else [])
            for key in keys:
                try:
                    texts.render(placed.rule.id, key, known)
                except PolicyError as exc:
                    message = exc.message.split(": ", 2)[-1] if exc.message.count(": ") >= 2 else exc.message
                    message = message.strip().splitlines()[0]
                    unknown = re.search(r"'(\w+)' is undefined", message)
                    if unknown and unknown[1] in optional:
                        message += (f" when the rule fires: {unknown[1]} can be unknown and the rule's condition "
                                    f"does not require it; guard it with {{% if {unknown[1]} is defined %}}")
                    where = "explain" if key == "explain" else "then.condition"
                    problems.append(Problem(placed.file, placed.line, f"rules[{placed.rule.id}].{where}.{lang}",
                                            message))
    return problems
