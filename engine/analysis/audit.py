"""The audit record: a recommendation kept so that it can be explained and checked months later.

A record holds what the recommendation was made from and how: the tool and
engine versions, the policy (name, version, digest over its files, and its
rules, parameters and cost model as they were), the complete validated answers,
and per flow the cost metrics, every fired rule in firing order with the facts
it matched and what it concluded (its explanation already rendered in English
and French), vetoes, scores, decision, split, conditions, tipping points and a
person's override. An explanation renders from the record alone.

The record seals itself: ``digest`` is the SHA-256 of the record's canonical
JSON without the digest, so an edit by hand is detected. The schema is
``AuditRecord`` (exported as JSON Schema in ``docs/audit-record.schema.json``).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from ..costs import OptionCost
from ..errors import Problem, UserError
from ..models import Decision, Split

FORMAT = "arbitre-audit-record"
FORMAT_VERSION = 1
Lang = Literal["en", "fr"]
Digest = Annotated[str, StringConstraints(pattern=r"^sha256:[0-9a-f]{64}$")]


class RecordError(UserError):
    """An audit record that cannot be read, does not follow the schema, or was changed."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Tool(_Model):
    name: str
    version: str


class RuleRecord(_Model):
    """A rule of the policy as it was: enough to say, later, why it did not fire."""

    id: str
    title: str
    rationale: str
    file: str
    line: int
    stratum: int
    when: dict[str, Any]
    then: dict[str, Any]


class PolicyRecord(_Model):
    name: str
    version: str
    digest: Digest = Field(description="sha256 over every policy file, in the order policy.yaml lists them")
    root: str = Field(description="the policy directory the recommendation used")
    decision: dict[str, Any] = Field(description="tie-break order and confidence bands")
    cost_model: dict[str, float | dict[str, float]]
    parameters: dict[str, float | list[str] | list[dict[str, float | None]] | dict[str, float] | dict[str, list[str]]]
    derived_facts: list[str]
    rules: list[RuleRecord]


class Source(_Model):
    file: str
    sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]


class Vote(_Model):
    option: Decision
    weight: float


class FiringRecord(_Model):
    """One rule that fired, in firing order, with the facts it matched and what it concluded."""

    order: int
    rule: str
    title: str
    file: str
    line: int
    stratum: int
    rationale: str
    matched: dict[str, Any]
    derive: list[str]
    votes: list[Vote]
    veto: list[Decision]
    split: list[Split]
    condition: str | None
    text: dict[Lang, str] = Field(description="the rule's explanation, rendered over the flow's facts")


class ConditionRecord(_Model):
    id: str
    rule: str
    audience: Literal["provider", "company"] = Field(default="provider", description="who must act on it: "
                                                     "the provider (it goes into the brief) or the company only")
    text: dict[Lang, str]


class Pivot(_Model):
    rule: str
    title: str
    decision: Decision


class TippingPointRecord(_Model):
    field: str
    direction: Literal["below", "above"]
    current: float
    value: float = Field(description="the first value found with the other decision")
    unchanged_at: float = Field(description="the last value found with today's decision")
    unit: str = Field(default="", description="the unit of the values: contacts_a_month, seconds, "
                      "times_the_average_month, per_paid_hour, pct_a_year, pct_of_paid_hours, hours_a_week, or "
                      "the quote's form (per_contact, per_minute, per_hour, per_fte_month); absent in older records")
    decision: Decision
    split: list[Split]
    lifts: list[str] = Field(default_factory=list, description="the rules whose veto this change lifts, when a "
                             "veto holds the decision and this is the lever named for it")


class FlipRecord(_Model):
    field: str = Field(description="an answer about the work, provider_certifications (the value: the "
                       "certification or agreement added, or a list of them when only several together lift a "
                       "veto) or provider_country (the value: the customers' country)")
    current: Any
    value: Any
    decision: Decision
    split: list[Split]
    lifts: list[str] = Field(default_factory=list, description="the rules whose veto this change lifts, when a "
                             "veto holds the decision and this is the lever named for it")


class TippingRecord(_Model):
    points: list[TippingPointRecord]
    flips: list[FlipRecord]


class Override(_Model):
    """A person's decision in place of the engine's, with the reason given."""

    decision: Decision
    reason: Annotated[str, StringConstraints(min_length=1, strip_whitespace=True)]


class Quote(_Model):
    form: Literal["per_contact", "per_hour", "per_minute", "per_fte_month"]
    amount: float


class CostsRecord(_Model):
    """Every option the flow could take, costed on the same basis."""

    currency: str
    term_months: int
    options: dict[Literal["keep_internal", "outsource", "overflow", "after_hours", "tier1"], OptionCost]


class FlowRecord(_Model):
    id: str
    name: str
    channel: str
    activity: str
    monthly_volume: int
    currency: str
    decision: Decision = Field(description="the engine's decision (a person's override is kept apart)")
    split: list[Split]
    scores: dict[Decision, float]
    confidence: Literal["high", "medium", "low"]
    margin: float
    runner_up: Decision | None
    all_vetoed: bool
    vetoes: dict[Decision, list[str]]
    firings: list[FiringRecord]
    conditions: list[ConditionRecord]
    pivots: list[Pivot]
    metrics: dict[str, float | int | str | None]
    costs: CostsRecord | None = Field(default=None, description="each option's cost (absent in records "
                                                                  "written before options were costed)")
    quote: Quote | None
    facts: dict[str, Any] = Field(description="the answers (organisation values resolved) and cost metrics "
                                              "the rules read; unknown values are absent")
    derived_facts: list[str] = Field(description="the derived facts that were true")
    defaults_used: list[str]
    tipping_points: TippingRecord | None
    override: Override | None


class AuditRecord(_Model):
    """Everything needed to explain a recommendation again, and to check it was not changed."""

    format: Literal["arbitre-audit-record"]
    format_version: Literal[1]
    record_id: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")]
    created_at: Annotated[str, StringConstraints(pattern=r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")]
    tool: Tool
    engine: Tool
    python: str
    policy: PolicyRecord
    source: Source
    organisation: str
    answers: dict[str, Any] = Field(description="the validated answers, every field with its value")
    flows: list[FlowRecord]
    digest: Digest = Field(description="sha256 of this record's canonical JSON without this field")


def canonical(data: dict[str, Any]) -> bytes:
    """The record's canonical JSON (keys sorted, no spaces), without its digest."""
    body = {key: value for key, value in data.items() if key != "digest"}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def seal(data: dict[str, Any]) -> dict[str, Any]:
    """The record with its digest."""
    return {**data, "digest": "sha256:" + hashlib.sha256(canonical(data)).hexdigest()}


def _version(package: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:
        return "unknown"


def new_record(*, policy: Any, source: Path, answers: dict[str, Any], organisation: str,
               flows: list[dict[str, Any]]) -> dict[str, Any]:
    """A sealed record of a recommendation (``flows`` are the explanations' flow entries)."""
    import platform

    rules = [{"id": placed.rule.id, "title": placed.rule.title, "rationale": placed.rule.rationale,
              "file": policy.file_name(placed.file), "line": placed.line, "stratum": placed.stratum,
              "when": placed.rule.model_dump(mode="json", by_alias=True, exclude_defaults=True)["when"],
              "then": placed.rule.then.model_dump(mode="json", exclude_defaults=True)}
             for placed in policy.rules]
    data = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "record_id": uuid.uuid4().hex,
        "created_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "tool": {"name": "arbitre", "version": _version("arbitre")},
        "engine": {"name": "durable_rules", "version": _version("durable-rules")},
        "python": platform.python_version(),
        "policy": {
            "name": policy.name, "version": policy.version, "digest": policy.digest, "root": str(policy.root),
            "decision": policy.manifest.decision.model_dump(mode="json"),
            "cost_model": policy.costs.model_dump(),
            "parameters": {name: [band.model_dump() for band in p.value] if p.is_bands else p.value
                           for name, p in policy.parameters.items()},
            "derived_facts": sorted(policy.derived),
            "rules": rules,
        },
        "source": {"file": str(source), "sha256": hashlib.sha256(source.read_bytes()).hexdigest()},
        "organisation": organisation,
        "answers": answers,
        "flows": flows,
    }
    sealed = seal(data)
    AuditRecord.model_validate(sealed)  # what is written follows the schema
    return sealed


def load_record(path: Path) -> AuditRecord:
    """Read a record, check it against the schema and its own digest; ``RecordError`` otherwise."""
    from ..load import DocumentError, read_document

    try:
        doc = read_document(path, what="audit record")
    except DocumentError as exc:
        raise RecordError(f"cannot read the audit record {path}", (exc.problem,)) from None
    data = doc.data
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise RecordError(f"{path} is not an Arbitre audit record",
                          (Problem(str(path), doc.line_of(()), "format", f"expected {FORMAT!r}"),))
    try:
        record = AuditRecord.model_validate(data)
    except ValidationError as exc:
        from ..answers import problems_from_errors

        problems = problems_from_errors(exc.errors(), doc, AuditRecord)
        raise RecordError(f"the audit record {path} does not follow its schema (was it edited?)",
                          tuple(problems)) from None
    actual = "sha256:" + hashlib.sha256(canonical(data)).hexdigest()
    if actual != record.digest:
        raise RecordError(
            f"the audit record {path} was changed after it was written: its content no longer matches "
            f"its digest", (Problem(str(path), doc.line_of(("digest",)), "digest",
                                    f"recorded {record.digest[:19]}..., content gives {actual[:19]}..."),))
    return record


def schema() -> dict[str, Any]:
    """The record's JSON Schema."""
    out = AuditRecord.model_json_schema()
    out["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return out


def why_not(record: AuditRecord, flow_id: str, option: Decision) -> dict[str, Any]:
    """Why ``option`` was not the decision for a flow: the rules of the recorded policy that would
    have supported it, each fired or with the first condition that failed, and the vetoes on it."""
    from ..policy.rules import Rule, first_failure

    flow = next(f for f in record.flows if f.id == flow_id)
    facts = dict(flow.facts)
    facts.update({name: name in flow.derived_facts for name in record.policy.derived_facts})
    params = dict(record.policy.parameters)
    fired = {f.rule: f for f in flow.firings}
    supporting = []
    for stored in record.policy.rules:
        rule = Rule.model_validate({"id": stored.id, "title": stored.title, "rationale": stored.rationale,
                                    "when": stored.when, "then": stored.then, "explain": {"en": "-", "fr": "-"}})
        votes = {o: w for o, w in rule.then.vote.items() if o is option}
        splits = list(rule.then.split) if option is Decision.hybrid else []
        by_saving = rule.then.vote_by_saving is not None and option is not Decision.keep_internal
        # A risk of handing contacts over counts against every other option: it supports keeping.
        by_risk = rule.then.against is not None and option is Decision.keep_internal
        if not votes and not splits and not by_saving and not by_risk:
            continue
        weight: Any = next(iter(votes.values()), None)
        if by_risk and rule.then.against is not None:
            weight = rule.then.against.weight
        elif weight is None or not isinstance(weight, (int, float, str)):
            # A graded vote weighs what the flow's facts gave it: the weight recorded when it fired.
            given = [v.weight for v in fired[stored.id].votes if v.option == option.value] if stored.id in fired else []
            weight = sum(given) if given else None
        item: dict[str, Any] = {
            "rule": stored.id, "title": stored.title, "file": stored.file, "line": stored.line,
            "weight": params.get(weight) if isinstance(weight, str) else weight,
            "split": [s.value for s in splits], "fired": stored.id in fired, "failed": None,
        }
        if stored.id not in fired:
            item["failed"] = first_failure(rule.when, facts, params)
        supporting.append(item)
    return {
        "flow": flow.id, "name": flow.name, "option": option.value, "decision": flow.decision.value,
        "split": [s.value for s in flow.split],
        "scores": {o.value: s for o, s in flow.scores.items()},
        "vetoes": [{"rule": rid, "text": fired[rid].text if rid in fired else {}}
                   for rid in flow.vetoes.get(option, [])],
        "needs_split": option is Decision.hybrid and not any(f.split for f in flow.firings),
        "override": flow.override.model_dump(mode="json") if flow.override is not None else None,
        "rules": supporting,
    }


def verify(record: AuditRecord, policy: Any) -> dict[str, Any]:
    """The recorded answers evaluated again with ``policy``: per flow, the recorded and the current
    decision and the rules that fired only then or only now."""
    from ..models import Answers
    from ..recommend import recommend

    result = recommend(Answers.model_validate(record.answers), policy)
    now = {flow.id: flow for flow in result.flows}
    changed = []
    for then in record.flows:
        current = now.get(then.id)
        if current is None:
            continue
        old = (then.decision.value, [s.value for s in then.split])
        new = (current.verdict.decision.value, [s.value for s in current.verdict.split])
        if old != new:
            fired_then = [f.rule for f in then.firings]
            fired_now = [f.rule_id for f in current.firings]
            changed.append({"flow": then.id, "name": then.name, "recorded": {"decision": old[0], "split": old[1]},
                            "now": {"decision": new[0], "split": new[1]},
                            "fired_then_only": [r for r in fired_then if r not in fired_now],
                            "fired_now_only": [r for r in fired_now if r not in fired_then]})
    return {"flows": len(record.flows), "changed": changed,
            "policy_then": {"name": record.policy.name, "version": record.policy.version,
                            "digest": record.policy.digest},
            "policy_now": {"name": policy.name, "version": policy.version, "digest": policy.digest,
                           "root": str(policy.root)}}
