"""Rendering a recommendation as text, Markdown or JSON, in English or French.

Templates live beside this module (``en/``, ``fr/``) and run in Jinja2's
sandbox with undefined variables as errors; each rule's own short explanation
is a template too, rendered over the flow's facts and the policy's parameters.
The per-flow view is built here once and shared by every format.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import Any, Literal

from jinja2 import FileSystemLoader, meta, StrictUndefined, Template, TemplateError, select_autoescape
from jinja2.sandbox import SandboxedEnvironment

from engine.decide import Vote, pivots
from engine.errors import PolicyError
from engine.load import read_document
from engine.models import Decision
from engine.policy import Policy
from engine.recommend import FlowResult, Recommendation

Lang = Literal["en", "fr"]
Format = Literal["text", "markdown", "json"]
LANGS: tuple[Lang, ...] = ("en", "fr")
HERE = Path(__file__).parent


def number(value: Any, digits: int = 0, lang: Lang = "en") -> str:
    """A number with thousands separators, the way each language writes it."""
    if value is None:
        return "-"
    text = f"{float(value):,.{digits}f}"
    if lang == "fr":
        text = text.replace(",", "\u202f").replace(".", ",")
    return text


def money(value: Any, currency: str, lang: Lang = "en") -> str:
    """An amount with its currency code."""
    if value is None:
        return "-"
    amount = number(value, 2, lang)
    return f"{currency}\u00a0{amount}" if lang == "en" else f"{amount}\u00a0{currency}"


@functools.lru_cache(maxsize=4)
def labels(lang: Lang) -> dict[str, Any]:
    """The fixed words of the explanations in one language."""
    data = read_document(HERE / lang / "labels.yaml").data
    assert isinstance(data, dict)
    return data


_BREAKS = re.compile(r"[ \t\n]+")  # not str.split(): it breaks at no-break spaces too
_GLUED = re.compile(r" (?=[:;%!?](?:[\s,.)]|$))")  # French puts a space before these: never break there


def wrap(text: Any, width: int = 78, indent: str = "", first: str | None = None) -> str:
    """Fill ``text`` into lines of at most ``width`` columns, breaking at spaces only (a no-break
    space keeps an amount with its currency); a word longer than a line stands on its own."""
    head = indent if first is None else first
    words = _BREAKS.split(_GLUED.sub("\u00a0", str(text)).strip(" \t\n"))
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


@functools.lru_cache(maxsize=4)
def environment(lang: Lang) -> SandboxedEnvironment:
    """The sandboxed Jinja2 environment for one language."""
    env = SandboxedEnvironment(
        loader=FileSystemLoader([str(HERE / lang), str(HERE / "common")]),
        undefined=StrictUndefined,
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    # No globals (range, dict, lipsum...): texts need none, and a policy's text cannot loop a billion times.
    env.globals.clear()
    env.filters["num"] = lambda v, d=0: number(v, d, lang)
    env.filters["money"] = lambda v, c: money(v, c, lang)
    env.filters["label"] = lambda v: value_label(v, lang)
    env.filters["wrap"] = wrap
    env.filters["weight"] = lambda v: number(v, 0 if float(v).is_integer() else 1, lang)
    return env


class RuleTexts:
    """Each rule's explanation and attached-condition texts, compiled once per policy and language.

    A text depends only on the facts it names, so it is rendered with those alone, and a
    rendering is kept for the next flow with the same values (most texts name none or only
    allowed values, so a batch renders each of them a few times only).
    """

    def __init__(self, policy: Policy, lang: Lang) -> None:
        self.policy = policy
        self.lang = lang
        self._env = environment(lang)
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
                names = tuple(sorted(meta.find_undeclared_variables(self._env.parse(source)) - {"param"}))
                found = (self._env.from_string(source), names)
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
            text = str(template.render({**context, "param": self._params})).strip()
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


def _score(value: float, lang: Lang) -> str:
    return number(value, 0 if float(value).is_integer() else 1, lang)


def _points(value: float, lang: Lang) -> str:
    """'point' or 'points': English makes only 1 singular, French every value below 2."""
    singular = abs(value) < 2 if lang == "fr" else abs(value) == 1
    return str(labels(lang)["points"]["one" if singular else "many"])


def flow_view(result: FlowResult, policy: Policy, lang: Lang, findings_text: bool = True) -> dict[str, Any]:
    """Everything a template shows about one flow, computed once (the texts of the findings, rules
    that only derive facts, only where they are shown: not in JSON)."""
    texts = rule_texts(policy, lang)
    words = labels(lang)
    verdict = result.verdict
    facts = {**result.facts, **result.derived}
    decision = verdict.decision
    reasons: list[dict[str, Any]] = []
    against: list[dict[str, Any]] = []
    findings: list[dict[str, Any]] = []
    votes_of: dict[str, list[Vote]] = {}
    for vote in verdict.votes:
        votes_of.setdefault(vote.rule_id, []).append(vote)
    for firing in result.firings:
        rule = policy.rule(firing.rule_id).rule
        votes = votes_of.get(rule.id, [])
        finding = not votes and not rule.then.veto
        text = texts.render(rule.id, "explain", facts) if findings_text or not finding else ""
        entry = {"rule": rule.id, "title": rule.title, "text": text, "matched": firing.matched}
        for vote in votes:
            item = {**entry, "option": vote.option.value, "weight": vote.weight,
                    "option_label": words["decisions"][vote.option.value]}
            (reasons if vote.option is decision else against).append(item)
        if finding:
            findings.append(entry)
    reasons.sort(key=lambda r: -r["weight"])
    against.sort(key=lambda r: -r["weight"])
    vetoes = [{"option": o.value, "option_label": words["decisions"][o.value], "rules": list(r),
               "texts": [texts.render(rid, "explain", facts) for rid in r]}
              for o, r in verdict.vetoes.items()]
    conditions = [{"id": c.id, "rule": c.rule_id, "text": texts.render(c.rule_id, "condition", facts)}
                  for c in verdict.conditions]
    changes = [words["without_rule"].format(rule=rid, title=policy.rule(rid).rule.title,
                                            decision=words["decisions"][new.value])
               for rid, new in pivots(verdict, result.firings, policy)]
    if verdict.runner_up is not None and verdict.margin == 0:
        balance = words["tipped_tie"].format(
            winner=words["decisions"][decision.value].capitalize(),
            runner=words["decisions"][verdict.runner_up.value], score=number(verdict.scores[decision], 0, lang),
            points=_points(verdict.scores[decision], lang))
    elif verdict.runner_up is not None:
        balance = words["tipped_winner"].format(
            winner=words["decisions"][decision.value].capitalize(),
            runner=words["decisions"][verdict.runner_up.value], margin=number(verdict.margin, 0, lang),
            points=_points(verdict.margin, lang))
    else:
        balance = words["tipped_only"].format(winner=words["decisions"][decision.value].capitalize())
    costs = result.costs
    quote = result.inputs.flow.vendor_quote
    a = policy.costs
    return {
        "id": result.id,
        "name": result.name,
        "channel": value_label(result.inputs.flow.channel.value, lang),
        "activity": result.inputs.flow.activity.value,
        "monthly_volume": result.inputs.flow.monthly_volume,
        "currency": result.inputs.organisation.currency,
        "decision": decision.value,
        "decision_label": words["decisions"][decision.value],
        "split": [s.value for s in verdict.split],
        "split_labels": [words["splits"][s.value] for s in verdict.split],
        "scores": [{"option": o.value, "label": words["decisions"][o.value], "score": verdict.scores[o]}
                   for o in Decision],
        "score_text": ", ".join(f"{words['decisions'][o.value]} {_score(verdict.scores[o], lang)}" for o in Decision),
        "confidence": verdict.confidence,
        "confidence_label": words["confidence"][verdict.confidence],
        "margin": verdict.margin,
        "all_vetoed": verdict.all_vetoed,
        "reasons": reasons,
        "against": against,
        "findings": findings,
        "vetoes": vetoes,
        "conditions": conditions,
        "balance": balance,
        "changes": changes,
        "costs": costs.model_dump(),
        "quote": None if quote is None else {"form": quote.form, "amount": quote.amount,
                                             "label": words[quote.form]},
        "defaults_used": list(result.inputs.defaults_used),
        "cost_assumptions": _cost_assumptions(policy, lang),
        "overhead_pct": a.provider_overhead * 100,
    }


@functools.lru_cache(maxsize=16)
def _cost_assumptions(policy: Policy, lang: Lang) -> str:
    """The policy's main cost assumptions in one sentence."""
    a = policy.costs
    return str(labels(lang)["cost_assumptions_text"]).format(
        sl=number(a.service_level_target * 100, 0, lang), sec=number(a.service_level_seconds, 0, lang),
        occ=number(a.max_occupancy * 100, 0, lang), shr=number(a.shrinkage * 100, 0, lang),
        paid=number(a.paid_hours_per_fte_month, 1, lang), repl=number(a.replacement_cost_hours, 0, lang))


def _context(rec: Recommendation, policy: Policy, lang: Lang) -> dict[str, Any]:
    return {
        "L": labels(lang),
        "organisation": rec.answers.organisation.name,
        "policy": {"name": rec.policy_name, "version": rec.policy_version, "digest": rec.policy_digest},
        "flows": [flow_view(flow, policy, lang) for flow in rec.flows],
    }


def render_flow_summary(view: dict[str, Any], lang: Lang) -> str:
    """One flow's explanation in one paragraph: decision, vetoes, the strongest reasons, conditions and
    what would change it (the ``explanation`` field of the JSON output; the text format has it all)."""
    return str(environment(lang).get_template("flow.short.j2").render(flow=view, L=labels(lang))).strip()


def render(rec: Recommendation, policy: Policy, fmt: Format = "text", lang: Lang = "en") -> str:
    """The whole recommendation in one format and language."""
    if fmt == "json":
        return dump_json(to_json(rec, policy, lang))
    context = _context(rec, policy, lang)
    name = "recommendation.txt.j2" if fmt == "text" else "recommendation.md.j2"
    return str(environment(lang).get_template(name).render(context))


def dump_json(document: dict[str, Any]) -> str:
    """The JSON document with one flow a line: readable, diffable flow by flow, and written by the
    C encoder (``indent`` would switch json to its pure-Python encoder, several times slower)."""
    head = {key: value for key, value in document.items() if key != "flows"}
    lines = [f"  {json.dumps(key, ensure_ascii=False)}: {json.dumps(value, ensure_ascii=False)}"
             for key, value in head.items()]
    flows = ",\n".join(f"    {json.dumps(flow, ensure_ascii=False)}" for flow in document["flows"])
    lines.append(f'  "flows": [\n{flows}\n  ]' if flows else '  "flows": []')
    return "{\n" + ",\n".join(lines) + "\n}\n"


def to_json(rec: Recommendation, policy: Policy, lang: Lang = "en") -> dict[str, Any]:
    """The recommendation as the JSON contract of docs/domain.md, plus metrics and assumptions."""
    flows = []
    for result in rec.flows:
        view = flow_view(result, policy, lang, findings_text=False)
        verdict = result.verdict
        flows.append({
            "id": result.id,
            "name": result.name,
            "decision": verdict.decision.value,
            "split": [s.value for s in verdict.split],
            "scores": {o.value: verdict.scores[o] for o in Decision},
            "confidence": verdict.confidence,
            "margin": verdict.margin,
            "fired_rules": [f.rule_id for f in result.firings],
            "vetoes": {o.value: list(r) for o, r in verdict.vetoes.items()},
            "reasons": [{"rule": r["rule"], "option": r["option"], "weight": r["weight"], "text": r["text"]}
                        for r in view["reasons"] + view["against"]],
            "conditions": [{"id": c["id"], "rule": c["rule"], "text": c["text"]} for c in view["conditions"]],
            "metrics": view["costs"],
            "derived_facts": sorted(name for name, value in result.derived.items() if value),
            "assumptions": {"defaults_used": list(result.inputs.defaults_used),
                            "cost_model": {name: p for name, p in policy.costs.model_dump().items()}},
            "explanation": render_flow_summary(view, lang),
        })
    return {
        "policy": {"name": rec.policy_name, "version": rec.policy_version, "digest": rec.policy_digest},
        "organisation": rec.answers.organisation.name,
        "flows": flows,
    }
