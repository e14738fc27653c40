"""The audit record: a recommendation kept so that it can be explained and checked months later.

A record holds what the recommendation was made from and how: the tool and
engine versions, the policy (name, version, digest over its files, and its
rules, parameters and cost model as they were), the complete validated answers,
and per flow the cost metrics, every fired rule in firing order with the facts
it matched and what it concluded (its explanation already rendered in English
and French), vetoes, scores, decision, split, conditions, tipping points and a
person's override. An explanation renders from the record alone.

``digest`` is the SHA-256 of the record's canonical JSON without the digest and
the signature: it shows an accidental or careless edit, not a deliberate one
(anyone can compute it again). ``signature``, when a key is given, is an
HMAC-SHA256 of the same JSON: only someone holding the key can make one that
matches. A record is checked against the schema before any use; the schema is
``AuditRecord`` (exported as JSON Schema in ``docs/audit-record.schema.json``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import os
import stat
import uuid
from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args

from pydantic import (
    AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator,
)

from ..answers import MAX_WHOLE_FLOWS as MAX_FLOWS
from ..costs import Metrics, OptionCost
from ..errors import Arg, Problem, UserError
from ..load import Document, DocumentError, PathKey, dotted, read_document
from ..models import Answers, CurrencyCode, Decision, QuoteForm, Split
from ..problems import error, os_reason, problem
from ..policy.levers import AnswerLevers, NumericLevers, ProviderLevers
from ..policy.rules import Condition, RuleId, Then
from ..ranges import Estimate, RangeTable
from ..procurement.pricing import Bid, PriceLine
from ..recommend import FlowResult
from .tipping import UNITS

FORMAT = "arbitre-audit-record"
FORMAT_VERSION = 1
Lang = Literal["en", "fr"]
Digest = Annotated[str, StringConstraints(pattern=r"^sha256:[0-9a-f]{64}$")]


# A record holds every flow's facts, votes and figures (about 25 KB a flow): 32 MB, as for an answers
# file, keeps some thirteen hundred flows, and ``explain`` reads back whatever ``recommend`` writes.
MAX_RECORD_BYTES = 32 * 2**20
MIN_KEY_BYTES = 16
MAX_KEY_BYTES = 4096
Signature = Annotated[str, StringConstraints(pattern=r"^hmac-sha256:[0-9a-f]{64}$")]


class RecordError(UserError):
    """An audit record that cannot be read, does not follow the schema, or was changed."""


class KeyFileError(UserError):
    """A key file that cannot sign or check records: absent, too short, or readable by others."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Tool(_Model):
    name: str
    version: str


def _among(names: Iterable[str], what: str) -> Callable[[str], str]:
    """A check that text is one of ``names``."""
    allowed = tuple(names)

    def check(value: str) -> str:
        if value not in allowed:
            raise ValueError(f"{value[:40]!r} is not {what}: one of {', '.join(allowed)}")
        return value

    return check


def _enum(names: Iterable[str]) -> Any:
    return Field(json_schema_extra={"enum": list(names)})


Text = Annotated[str, StringConstraints(min_length=1)]
# A rule's title or rationale: in each language, or plain English text in records written before
# rules had a French title.
Wordings = Annotated[Union[Text, dict[Lang, Text]], Field(description="the text in each language (plain "
                                                             "English text in older records)")]
_NUMERIC_LEVERS = tuple(NumericLevers.model_fields)
_FLIP_FIELDS = (*AnswerLevers.model_fields, *ProviderLevers.model_fields)
_UNITS = ("", *UNITS.values(), *get_args(QuoteForm))
NumericLever = Annotated[str, AfterValidator(_among(_NUMERIC_LEVERS, "a numeric lever")), _enum(_NUMERIC_LEVERS)]
FlipField = Annotated[str, AfterValidator(_among(_FLIP_FIELDS, "a lever")), _enum(_FLIP_FIELDS)]
Unit = Annotated[str, AfterValidator(_among(_UNITS, "a unit")), _enum(_UNITS)]


class Scores(_Model):
    """Every option's score."""

    outsource: float
    hybrid: float
    keep_internal: float


class RuleRecord(_Model):
    """A rule of the policy as it was: enough to say, later, why it did not fire."""

    id: RuleId
    title: Wordings
    rationale: Wordings
    file: str
    line: int
    stratum: int
    when: Condition
    then: Then


class CostModelRecord(_Model):
    """The cost model's assumptions: the figures an explanation states are required, every other kept."""

    model_config = ConfigDict(extra="allow", frozen=True)
    __pydantic_extra__: dict[str, float | dict[str, float]]

    service_level_target: float
    service_level_seconds: float
    max_occupancy: float
    shrinkage: float
    paid_hours_per_fte_month: float
    replacement_cost_hours: float


class MetricsRecord(Metrics):
    """The cost model's results for the flow, as the rules read them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @model_validator(mode="after")
    def _busy_hour_together(self) -> MetricsRecord:
        """A flow sized for its busiest hour has its agents, contacts and service level, or none of them."""
        given = [self.agents_busy_hour is not None, self.busy_hour_contacts is not None,
                 self.service_level is not None]
        if any(given) and not all(given):
            raise ValueError("agents_busy_hour, busy_hour_contacts and service_level go together: all given "
                             "(a flow sized for its busiest hour) or all null")
        return self


class PolicyRecord(_Model):
    name: str
    version: str
    digest: Digest = Field(description="sha256 over every policy file, in the order policy.yaml lists them")
    root: str = Field(description="the policy directory the recommendation used")
    decision: dict[str, Any] = Field(description="tie-break order and confidence bands")
    cost_model: CostModelRecord
    parameters: dict[str, float | list[str] | list[dict[str, float | None]] | dict[str, float] | dict[str, list[str]]]
    derived_facts: list[str]
    derived_fact_words: dict[str, dict[Literal["is", "not"], dict[Lang, str]]] = Field(
        default_factory=dict, description="what each derived fact means when it holds (is) and when it does not "
        "(not), in each language; absent in older records")
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
    title: Wordings
    file: str
    line: int
    stratum: int
    rationale: Wordings
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
    title: Wordings
    decision: Decision


class TippingPointRecord(_Model):
    field: NumericLever
    direction: Literal["below", "above"]
    current: float
    value: float = Field(description="the first value found with the other decision")
    unchanged_at: float = Field(description="the last value found with today's decision")
    unit: Unit = Field(default="", description="the unit of the values: contacts_a_month, seconds, "
                      "times_the_average_month, per_paid_hour, pct_a_year, pct_of_paid_hours, hours_a_week, or "
                      "the quote's form (per_contact, per_minute, per_hour, per_fte_month); absent in older records")
    decision: Decision
    split: list[Split]
    lifts: list[str] = Field(default_factory=list, description="the rules whose veto this change lifts, when a "
                             "veto holds the decision and this is the lever named for it")


class FlipRecord(_Model):
    field: FlipField = Field(description="an answer about the work, provider_certifications (the value: the "
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
    author: str | None = Field(default=None, description="who overrode the flow (absent when not said, as the "
                               "CLI writes it)")
    at: str | None = Field(default=None, description="when the flow was overridden, ISO 8601 (absent when not said)")


class Quote(_Model):
    form: Literal["per_contact", "per_hour", "per_minute", "per_fte_month"]
    amount: float


class CostsRecord(_Model):
    """Every option the flow could take, costed on the same basis."""

    currency: str
    term_months: int
    options: dict[Literal["keep_internal", "outsource", "overflow", "after_hours", "tier1"], OptionCost]


class DriverRecord(_Model):
    field: str
    changes_at: float


class RobustnessRecord(_Model):
    """A flow's decision sampled within its ranged answers: enough (seed, samples) to draw it again."""

    samples: Annotated[int, Field(ge=1)]
    seed: Annotated[int, Field(ge=0)]
    shares: dict[Decision, float]
    drivers: list[DriverRecord]


class RangeRecord(_Model):
    """An answer given as a range: where it is in the answers, and its low, likely and high values."""

    path: list[str | int]
    low: float
    likely: float
    high: float


class FlowRecord(_Model):
    id: str
    name: str
    channel: str
    activity: str
    monthly_volume: Annotated[int, Field(gt=0)]
    currency: str
    decision: Decision = Field(description="the engine's decision (a person's override is kept apart)")
    split: list[Split]
    scores: Scores
    confidence: Literal["high", "medium", "low"]
    margin: float
    runner_up: Decision | None
    all_vetoed: bool
    vetoes: dict[Decision, list[str]]
    firings: list[FiringRecord]
    conditions: list[ConditionRecord]
    pivots: list[Pivot]
    metrics: MetricsRecord
    costs: CostsRecord | None = Field(default=None, description="each option's cost (absent in records "
                                                                  "written before options were costed)")
    quote: Quote | None
    facts: dict[str, Any] = Field(description="the answers (organisation values resolved) and cost metrics "
                                              "the rules read; unknown values are absent")
    derived_facts: list[str] = Field(description="the derived facts that were true")
    defaults_used: list[str]
    tipping_points: TippingRecord | None
    override: Override | None
    robustness: RobustnessRecord | None = Field(default=None, description="the decision sampled within the "
                                                "ranged answers (absent when not sampled, and in older records)")


class BidRecord(_Model):
    """A bid as read (its bidder's fields and every price line), so that the award can be checked again."""

    bidder: str = Field(min_length=1)
    source: str
    currency: CurrencyCode
    contract_months: int | None = Field(ge=1, le=120)
    minimum_fte: float | None = Field(ge=0, le=100_000)
    valid_until: str | None = None
    price_revision: str | None = None
    lines: list[PriceLine] | None = Field(default=None, description="the bid's price lines as read (absent in "
                                          "older records: their award cannot be checked again)")
    refused: bool = Field(description="refused whole (a currency other than the organisation's)")

    def as_bid(self) -> Bid | None:
        """The bid as it was read, or None when the record does not hold its lines."""
        if self.lines is None:
            return None
        return Bid(**self.model_dump(exclude={"refused", "lines"}), lines=tuple(self.lines))


class SetAsideRecord(_Model):
    """A bid, a line or one price not used, and why (``unknown_band``: used, but unchecked)."""

    bidder: str
    reason: Literal["currency", "unknown_lot", "unknown_bundle", "implausible_price", "unknown_band", "no_option", "invalid_line"]
    where: str
    lot: str | None
    site: str
    form: QuoteForm | None
    amount: float | None
    hourly: float | None = Field(description="the price of a productive hour it works out to")
    band: list[float] | None = Field(description="the plausible band of a productive hour: low, high")
    value: str


class PricedRecord(_Model):
    form: QuoteForm
    amount: float
    hourly: float
    allin_monthly: float
    term_months: int
    cost: OptionCost


class OfferRecord(PricedRecord):
    """One bid's line for one flow, costed at its cheapest all-in form, with the policy's verdict."""

    bidder: str
    site: str
    site_country: str
    lot: str
    option: Literal["outsource", "overflow", "after_hours", "tier1"]
    others: list[PricedRecord]
    decision: Decision = Field(description="the policy's decision for the flow under this bid")
    split: list[Split]
    chosen: bool = Field(description="the policy's decision under this bid is this offer's option (a split "
                         "line: hybrid with that split)")
    eligible: bool = Field(description="chosen and not vetoed: the offer can be awarded")
    rules_against: list[str] = Field(description="the rules whose votes weigh against this offer's option, "
                                     "heaviest first")
    vetoes: list[str]
    conditions: list[ConditionRecord]


class Choice(_Model):
    """An offer named without ambiguity: a bidder may offer one site for the whole flow and a split."""

    bidder: str
    site: str
    lot: str
    option: Literal["outsource", "overflow", "after_hours", "tier1"]
    allin_monthly: float


class FlowBidsRecord(_Model):
    id: str
    name: str
    decision: Decision = Field(description="the recommendation on the answers as given")
    split: list[Split]
    keep: OptionCost
    term_months: int
    offers: list[OfferRecord] = Field(description="cheapest all-in first")
    winner: Choice | None = Field(description="the award: the cheapest eligible offer, when it costs less "
                                  "all-in than keeping in-house")
    next_choice: Choice | None = Field(description="the next eligible offer cheaper than keeping (absent: "
                                       "keeping in-house)")
    margin_monthly: float | None = Field(description="the winner's all-in cost a month below the next choice")
    kept_because: Literal["no_offer", "none_eligible", "keep_cheaper"] | None = Field(
        description="why no offer is awarded: none, none the policy chooses, or the eligible ones cost more")
    not_priced: list[str]


class TermRecord(_Model):
    bidder: str
    bid_months: int
    answers_months: int


class BundlePriceRecord(_Model):
    bidder: str
    site: str
    site_country: str
    form: QuoteForm
    amount: float
    indicative: bool = Field(description="the bidder's cheapest hourly price among the flows, not a price "
                             "for the bundle")
    cost: OptionCost
    alone_total: float
    term_months: int | None = Field(default=None, description="the bid's contract term the price is costed "
                                    "over (the answers' when the bid gives none)")
    keep_total: float | None = Field(default=None, description="keeping the bundle's flows in-house over that term")
    allin_monthly: float | None = Field(default=None, description="the bundle's cost a month at this price, "
                                        "one-offs spread over the term; the lowest is the best price")


class BundleRecord(_Model):
    lot: dict[str, Any]
    fte: float
    keep_total: float
    term_months: int
    saving: float | None = Field(description="what the best price saves over its term against keeping")
    prices: list[BundlePriceRecord]
    set_aside: list[SetAsideRecord] = Field(default=[], description="the bundle's own prices not used, and why")


class ToReach(_Model):
    flow: str
    fte: float
    extra_monthly: float


class CommitmentRecord(_Model):
    bidder: str
    minimum_fte: float
    won_fte: float
    won: list[str]
    reached: bool
    reachable: bool
    to_reach: list[ToReach]
    exact: bool = Field(default=True, description="to_reach is the cheapest set, every set weighed (false: "
                        "flows added cheapest first, too many to weigh every set)")


class BidsRecord(_Model):
    """Providers' bids compared with the recommendation: checked, ranked per flow, bundles, commitments."""

    currency: str
    bids: list[BidRecord]
    set_aside: list[SetAsideRecord]
    terms: list[TermRecord]
    flows: list[FlowBidsRecord]
    min_dedicated_fte: float
    bundles: list[BundleRecord]
    commitments: list[CommitmentRecord]


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
    answers: Answers = Field(description="the validated answers, every field with its value")
    flows: list[FlowRecord]
    ranges: list[RangeRecord] | None = Field(default=None, description="the answers given as ranges, whose "
                                             "likely values are in answers (absent when no flow was sampled)")
    bids: BidsRecord | None = Field(default=None, description="providers' bids compared (absent when none "
                                    "were given, and in older records)")
    digest: Digest = Field(description="sha256 of this record's canonical JSON without this field and "
                                       "the signature")
    signature: Signature | None = Field(default=None, description="HMAC-SHA256, with a key the user holds, of "
                                        "the same canonical JSON the digest covers; absent when not signed")


def canonical(data: dict[str, Any]) -> bytes:
    """The record's canonical JSON (keys sorted, no spaces), without its digest and signature."""
    body = {key: value for key, value in data.items() if key not in ("digest", "signature")}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def with_digest(data: dict[str, Any], key: bytes | None = None) -> dict[str, Any]:
    """The record with its digest, and its signature when a ``key`` is given."""
    body = canonical(data)
    done = {**data, "digest": "sha256:" + hashlib.sha256(body).hexdigest()}
    if key is not None:
        done["signature"] = "hmac-sha256:" + hmac.new(key, body, hashlib.sha256).hexdigest()
    return done


def read_key(path: Path) -> bytes:
    """The signing key held in ``path``: its bytes, at least ``MIN_KEY_BYTES`` of them, in a regular
    file no other user can read (a key others can read signs nothing). ``KeyFileError`` otherwise."""
    def refuse(key: str, **args: Arg) -> KeyFileError:
        return error(KeyFileError, "key.unusable", problem(str(path), None, "", key, **args), path=str(path))

    try:
        status = path.stat()
        if not stat.S_ISREG(status.st_mode):
            raise refuse("key.not_regular")
        if os.name == "posix" and status.st_mode & 0o077:
            raise refuse("key.readable", mode=f"{stat.S_IMODE(status.st_mode):o}", path=str(path))
        with path.open("rb") as handle:
            key = handle.read(MAX_KEY_BYTES + 1)
    except FileNotFoundError:
        raise refuse("key.missing") from None
    except OSError as exc:
        raise refuse("file.unreadable", reason=os_reason(exc)) from None
    if len(key) < MIN_KEY_BYTES:
        raise refuse("key.too_short", size=str(len(key)), least=str(MIN_KEY_BYTES))
    if len(key) > MAX_KEY_BYTES:
        raise refuse("key.too_long", most=str(MAX_KEY_BYTES))
    return key


def _version(package: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:
        return "unknown"


def new_record(*, policy: Any, source: Path, answers: dict[str, Any], organisation: str,
               flows: list[dict[str, Any]], key: bytes | None = None,
               bids: dict[str, Any] | None = None, ranges: RangeTable | None = None,
               source_bytes: bytes | None = None) -> dict[str, Any]:
    """The record of a recommendation with its digest, signed when a ``key`` is given (``flows`` are the
    explanations' flow entries; ``bids`` the comparison of providers' bids, when some were given;
    ``ranges`` the answers given as ranges, when the flows were sampled within them). The answers'
    digest is of the file ``source``, or of ``source_bytes`` (answers held elsewhere, named ``source``)."""
    import platform

    rules = [{"id": placed.rule.id, "title": placed.rule.title.both(), "rationale": placed.rule.rationale.both(),
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
            "derived_fact_words": {name: fact.words() for name, fact in sorted(policy.derived.items())},
            "rules": rules,
        },
        "source": {"file": str(source), "sha256": hashlib.sha256(
            source.read_bytes() if source_bytes is None else source_bytes).hexdigest()},
        "organisation": organisation,
        "answers": answers,
        "flows": flows,
        **({"ranges": [{"path": list(path), "low": e.low, "likely": e.likely, "high": e.high}
                       for path, e in ranges.items()]} if ranges is not None else {}),
        **({"bids": bids} if bids is not None else {}),
    }
    record = with_digest(data, key)
    AuditRecord.model_validate(record)  # what is written follows the schema
    return record


def _not_json(value: Any, path: PathKey = ()) -> tuple[PathKey, str] | None:
    """Where a record holds what its canonical JSON cannot (a number out of range, a lone surrogate,
    a key that is not text), and what; None when it holds none."""
    if isinstance(value, float) and not math.isfinite(value):
        return path, f"{value} is not a finite number"
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            return path, f"holds {value[exc.start]!r}, a lone surrogate, not Unicode text"
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                return path, f"has the key {str(key)[:40]!r}; keys are text"
            found = _not_json(key, path) or _not_json(item, (*path, key))
            if found:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _not_json(item, (*path, index))
            if found:
                return found
    return None


def check_record_size(text: str, flows: int) -> None:
    """Refuse to write a record ``explain`` could not read back (``MAX_RECORD_BYTES``)."""
    size = len(text.encode("utf-8"))
    if size > MAX_RECORD_BYTES:
        raise UserError(f"the audit record of {flows:,} flows would take {size / 2**20:,.0f} MB, more than the "
                        f"{MAX_RECORD_BYTES // 2**20} MB a record may hold: record the flows in several files "
                        "(split the answers file, or use --flow)")


def _refuse_unfit(data: Any, doc: Document, path: Path) -> None:
    """Refuse a value JSON cannot carry (a number that is not finite, a lone surrogate), at its path."""
    unfit = _not_json(data)
    if unfit is not None:
        where, what = unfit
        raise error(RecordError, "record.unfit", Problem(str(path), doc.line_of(where), dotted(where), what),
                    path=str(path))


def load_record(path: Path, key: bytes | None = None) -> AuditRecord:
    """Read a record and check it, before any use: against the schema, against its own digest, and
    against its signature when a ``key`` is given. ``RecordError`` otherwise."""
    try:
        doc = read_document(path, what="what.audit_record", max_bytes=MAX_RECORD_BYTES, max_items=MAX_FLOWS)
    except DocumentError as exc:
        raise error(RecordError, "record.unreadable", exc.problem, path=str(path)) from None
    data = doc.data
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise error(RecordError, "record.not_record",
                    problem(str(path), doc.line_of(()), "format", "record.format", format=repr(FORMAT)), path=str(path))
    _refuse_unfit(data, doc, path)
    try:
        record = AuditRecord.model_validate(data)
    except ValidationError as exc:
        from ..answers import problems_from_errors

        problems = problems_from_errors(exc.errors(), doc, AuditRecord)
        raise error(RecordError, "record.schema", *problems, path=str(path)) from None
    _refuse_unfit(record.model_dump(by_alias=True), doc, path)  # text read as a number: "1e400", "nan"
    body = canonical(data)
    actual = "sha256:" + hashlib.sha256(body).hexdigest()
    if actual != record.digest:
        raise error(RecordError, "record.changed", problem(str(path), doc.line_of(("digest",)), "digest", "record.digest",
                                                           recorded=record.digest[:19], actual=actual[:19]),
                    path=str(path))
    if key is not None:
        _check_signature(record, body, key, path, doc.line_of(("signature",)))
    return record


def _check_signature(record: AuditRecord, body: bytes, key: bytes, path: Path, line: int | None) -> None:
    """Refuse a record that is not signed, or whose signature the key does not give."""
    if record.signature is None:
        raise error(RecordError, "record.unsigned", problem(str(path), None, "signature", "record.no_signature"),
                    path=str(path))
    expected = "hmac-sha256:" + hmac.new(key, body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, record.signature):
        raise error(RecordError, "record.bad_signature",
                    problem(str(path), line, "signature", "record.signature_differs"), path=str(path))


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
            "against_others": by_risk,
        }
        if stored.id not in fired:
            item["failed"] = first_failure(rule.when, facts, params)
        supporting.append(item)
    return {
        "flow": flow.id, "name": flow.name, "option": option.value, "decision": flow.decision.value,
        "split": [s.value for s in flow.split],
        "scores": flow.scores.model_dump(),
        "vetoes": [{"rule": rid, "text": fired[rid].text if rid in fired else {}}
                   for rid in flow.vetoes.get(option, [])],
        "needs_split": option is Decision.hybrid and not any(f.split for f in flow.firings),
        "override": flow.override.model_dump(mode="json", exclude_none=True) if flow.override is not None else None,
        "rules": supporting,
        # what the derived facts that failed mean, so that the failures can be said in words
        "fact_words": {name: words for name, words in record.policy.derived_fact_words.items()
                       if any((item["failed"] or {}).get("fact") == name for item in supporting)},
    }


def verify(record: AuditRecord, policy: Any) -> dict[str, Any]:
    """The recorded answers evaluated again with ``policy``: per flow, the recorded and the current
    decision and the rules that fired only then or only now."""
    from ..recommend import recommend

    result = recommend(record.answers, policy)
    now = {flow.id: flow for flow in result.flows}
    changed = []
    ranges: RangeTable = {tuple(r.path): Estimate(r.low, r.likely, r.high) for r in record.ranges or ()}
    for then in record.flows:
        current = now.get(then.id)
        if current is None:
            continue
        old = (then.decision.value, [s.value for s in then.split])
        new = (current.verdict.decision.value, [s.value for s in current.verdict.split])
        robustness = _robustness_again(then, current, record, policy, ranges)
        if old != new or robustness is not None:
            fired_then = [f.rule for f in then.firings]
            fired_now = [f.rule_id for f in current.firings]
            changed.append({"flow": then.id, "name": then.name, "recorded": {"decision": old[0], "split": old[1]},
                            "now": {"decision": new[0], "split": new[1]},
                            "fired_then_only": [r for r in fired_then if r not in fired_now],
                            "fired_now_only": [r for r in fired_now if r not in fired_then],
                            **({"robustness": robustness} if robustness is not None else {})})
    return {"flows": len(record.flows), "changed": changed, **_awards_again(record, policy, result.flows),
            "policy_then": {"name": record.policy.name, "version": record.policy.version,
                            "digest": record.policy.digest},
            "policy_now": {"name": policy.name, "version": policy.version, "digest": policy.digest,
                           "root": str(policy.root)}}



def _awards_again(record: AuditRecord, policy: Any, flows: tuple[FlowResult, ...]) -> dict[str, Any]:
    """The award of each flow under the recorded bids, compared again with ``policy``: the flows whose
    winner (bidder, site, option) or all-in cost (beyond rounding) changed. Nothing for a record
    without bids; ``awards_checked`` false for an older one whose bids hold no price lines."""
    if record.bids is None:
        return {}
    bids = [b.as_bid() for b in record.bids.bids]
    if any(b is None for b in bids):
        return {"awards_checked": False, "awards_changed": []}
    from ..procurement.bids import compare

    comparison = compare(record.answers, policy, tuple(b for b in bids if b is not None), flows)
    now = {r.baseline.id: r.winner for r in comparison.flows}
    changed = []
    for then in record.bids.flows:
        if then.id not in now:
            continue
        winner = now[then.id]
        current = None if winner is None else {"bidder": winner.bidder, "site": winner.site, "lot": winner.lot,
                                               "option": winner.option, "allin_monthly": winner.best.allin_monthly}
        recorded = None if then.winner is None else then.winner.model_dump()
        if not _same_award(recorded, current):
            changed.append({"flow": then.id, "name": then.name, "recorded": recorded, "now": current})
    return {"awards_checked": True, "awards_changed": changed}


def _same_award(then: dict[str, Any] | None, now: dict[str, Any] | None) -> bool:
    """The same winner at the same all-in cost a month, to the currency unit shown."""
    if then is None or now is None:
        return then is now
    who = ("bidder", "site", "lot", "option")
    return [then[k] for k in who] == [now[k] for k in who] and round(then["allin_monthly"]) == round(now["allin_monthly"])


def _robustness_again(then: FlowRecord, current: FlowResult, record: AuditRecord, policy: Any,
                      ranges: RangeTable) -> dict[str, Any] | None:
    """The recorded and the current robustness of a sampled flow, drawn again with its seed and samples
    within the recorded ranges, when they differ; else None."""
    from .uncertainty import of_flows

    if then.robustness is None:
        return None
    recorded = then.robustness.model_dump(mode="json")
    now = of_flows(record.answers, ranges, policy, then.robustness.samples, then.robustness.seed)(current).as_json()
    return None if now == recorded else {"recorded": recorded, "now": now}
