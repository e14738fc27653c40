"""The answers vocabulary (see docs/domain.md), as pydantic models.

Field names and allowed values are a contract shared by the questionnaire,
answers files, rules and explanations: add fields, never rename or remove them.
Models are frozen values; ``extra='forbid'`` rejects unknown fields.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from enum import Enum
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel, BeforeValidator, ConfigDict, Field, GetCoreSchemaHandler, StringConstraints, ValidationInfo,
    field_validator, model_validator,
)
from pydantic_core import CoreSchema, core_schema

from .errors import InvalidAnswer
from .problems import invalid, phrase


class Channel(str, Enum):
    phone = "phone"
    email = "email"
    chat = "chat"
    social = "social"
    letter = "letter"
    other = "other"


REAL_TIME_CHANNELS = frozenset({Channel.phone, Channel.chat})


class Activity(str, Enum):
    information = "information"
    order_taking = "order_taking"
    support_level1 = "support_level1"
    support_level2 = "support_level2"
    complaints = "complaints"
    sales = "sales"
    retention = "retention"
    collections = "collections"
    customer_success = "customer_success"
    key_accounts = "key_accounts"
    back_office = "back_office"
    other = "other"


class Level(str, Enum):
    low = "low"
    medium = "medium"
    high = "high"


class RegulatedData(str, Enum):
    payment_card = "payment_card"
    health = "health"
    financial = "financial"
    special_category = "special_category"


class Certification(str, Enum):
    pci_dss = "pci_dss"
    hipaa_baa = "hipaa_baa"
    iso27001 = "iso27001"
    hds = "hds"
    scc = "scc"


class Decision(str, Enum):
    outsource = "outsource"
    hybrid = "hybrid"
    keep_internal = "keep_internal"


class Split(str, Enum):
    overflow = "overflow"
    after_hours = "after_hours"
    tier1 = "tier1"


def _not_bool(value: object) -> object:
    if isinstance(value, bool):
        raise invalid("bool_not_number", found=str(value).lower())
    return value


class TooLittle(InvalidAnswer):
    """A positive answer below the least that means anything (see ``NoneOrAtLeast``)."""

    def __init__(self, said: InvalidAnswer, minimum: float) -> None:
        super().__init__(str(said), said.key, said.arguments)
        self.minimum = minimum


@dataclass(frozen=True)
class NoneOrAtLeast:
    """A range with a gap: 0 (none), or at least ``minimum`` ``unit``. A sliver of an hour or of an
    FTE means nothing in a contact centre, and dividing by one makes figures without bound."""

    minimum: float
    unit: str  # its key in the catalogue of problems (engine/problems.yaml)

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return core_schema.no_info_after_validator_function(self._check, handler(source))

    def _check(self, value: float) -> float:
        if 0 < value < self.minimum:
            raise TooLittle(invalid("too_little", value=float(value), unit=phrase(self.unit),
                                    minimum=float(self.minimum)), self.minimum)
        return value


Number = BeforeValidator(_not_bool)
CountryCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
CurrencyCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]
LanguageCode = Annotated[str, StringConstraints(pattern=r"^[a-z]{2}$")]
# A price or an hour's cost: from a hundredth of a cent (below any real price) to a million.
Money = Annotated[float, Field(ge=0.0001, le=1_000_000), Number]
OneOff = Annotated[float, Field(ge=0, lt=1_000_000_000), Number]
ContractMonths = Annotated[int, Field(ge=1, le=120), Number]
# Hours a week: none, or from one hour to the whole week (168).
WeeklyHours = Annotated[float, Field(ge=0, le=168), Number, NoneOrAtLeast(1, "unit.hours_a_week")]
Percent = Annotated[float, Field(ge=0, le=100), Number]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# A week's contacts per hour of the day, in % of the week: 24 hours of each of the 7 days.
DayProfile = Annotated[tuple[Percent, ...], Field(min_length=24, max_length=24)]
# A profile's 168 shares may each be rounded: their sum may miss 100 by this much.
WEEK_ROUNDING = 1.0


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=False)


QuoteForm = Literal["per_contact", "per_hour", "per_minute", "per_fte_month"]
QUOTE_FORMS: tuple[QuoteForm, ...] = ("per_contact", "per_hour", "per_minute", "per_fte_month")
# Forms that buy a dedicated team (seats); the others buy handled work, shared agents allowed.
DEDICATED_FORMS = frozenset({"per_hour", "per_fte_month"})


class VendorQuote(_Model):
    """A provider's price for the flow: exactly one of the four forms."""

    per_contact: Money | None = None
    per_hour: Money | None = None
    per_minute: Money | None = None
    per_fte_month: Annotated[float, Field(ge=0.0001, le=10_000_000), Number] | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> VendorQuote:
        given = [name for name in QUOTE_FORMS if getattr(self, name) is not None]
        if len(given) != 1:
            if not given:
                raise invalid("quote.no_form", forms=", ".join(QUOTE_FORMS))
            raise invalid("quote.one_form", forms=", ".join(QUOTE_FORMS), found=", ".join(given))
        return self

    @functools.cached_property
    def form(self) -> QuoteForm:
        return next(name for name in QUOTE_FORMS if getattr(self, name) is not None)

    @functools.cached_property
    def amount(self) -> float:
        value = getattr(self, self.form)
        assert value is not None
        return float(value)


class Organisation(_Model):
    """The company; its cost and staffing figures are defaults for every flow."""

    name: Annotated[str, StringConstraints(min_length=1, max_length=200)] = "Organisation"
    country: CountryCode = "FR"
    currency: CurrencyCode = "EUR"
    loaded_hourly_cost: Money = 32.0
    annual_turnover_pct: Annotated[float, Field(ge=0, le=300), Number] = 33.0
    absenteeism_pct: Annotated[float, Field(ge=0, lt=100), Number] = 8.0
    opening_hours_per_week: WeeklyHours = 50.0
    contract_months: ContractMonths | None = None
    temp_staff_available: bool = True
    opportunity_cost_per_hour: Annotated[float, Field(ge=0, le=1_000_000), Number] | None = None


class Flow(_Model):
    """One kind of contact on one channel."""

    id: Slug
    channel: Channel
    monthly_volume: Annotated[int, Field(ge=0, le=100_000_000), Number]
    # From a second (no contact is handled faster) to a day.
    aht_seconds: Annotated[float, Field(ge=1, le=86_400), Number]
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None
    activity: Activity = Activity.other
    peak_ratio: Annotated[float, Field(ge=1, le=50), Number] = 1.0
    volume_predictability: Level = Level.medium
    repetitiveness: Level = Level.medium
    scripting: Level = Level.medium
    complexity: Level = Level.medium
    data_sensitivity: Level = Level.medium
    regulated_data: tuple[RegulatedData, ...] = ()
    brand_criticality: Level = Level.medium
    customer_value: Level = Level.medium
    unique_know_how: bool = False
    skill_gap: bool = False
    coverage_hours_needed: WeeklyHours | None = None
    customers_expect_local: bool = False
    # None, or from a hundredth of an FTE (a few hours a month).
    current_fte: Annotated[float, Field(ge=0, le=100_000), Number, NoneOrAtLeast(0.01, "unit.fte")] | None = None
    vendor_quote: VendorQuote | None = None
    provider_country: CountryCode | None = None
    provider_certifications: tuple[Certification, ...] = ()
    loaded_hourly_cost: Money | None = None
    annual_turnover_pct: Annotated[float, Field(ge=0, le=300), Number] | None = None
    absenteeism_pct: Annotated[float, Field(ge=0, lt=100), Number] | None = None
    languages: tuple[LanguageCode, ...] = ()
    monthly_profile: Annotated[tuple[Annotated[float, Field(ge=0, le=100_000_000), Number], ...],
                               Field(min_length=12, max_length=12)] | None = None
    routine_share_pct: Annotated[float, Field(ge=0, le=100), Number] | None = None
    concurrency: Annotated[float, Field(ge=1, le=4), Number] | None = None
    contract_months: ContractMonths | None = None
    transition_cost: OneOff | None = None
    minimum_monthly: OneOff | None = None
    exit_cost: OneOff | None = None
    # Measured in a telephony export (arbitre import acd): the busiest hour over the average open hour,
    # the share of offered contacts abandoned today, and the share of a week's contacts in each hour.
    intraday_peak_factor: Annotated[float, Field(ge=1, le=168), Number] | None = None
    abandonment_pct: Percent | None = None
    weekly_profile: dict[Weekday, DayProfile] | None = None

    @field_validator("weekly_profile")
    @classmethod
    def _whole_week(cls, week: dict[str, tuple[float, ...]] | None) -> dict[str, tuple[float, ...]] | None:
        if week is None:
            return None
        missing = [day for day in WEEKDAYS if day not in week]
        if missing:
            raise invalid("week.days", missing=", ".join(missing))
        total = sum(sum(hours) for hours in week.values())
        if abs(total - 100) > WEEK_ROUNDING:
            raise invalid("week.total", total=float(total), rounding=float(WEEK_ROUNDING))
        return {day: week[day] for day in WEEKDAYS}

    @field_validator("monthly_profile")
    @classmethod
    def _some_volume(cls, values: tuple[float, ...] | None) -> tuple[float, ...] | None:
        if values is not None and not any(values):
            raise invalid("months.all_zero")
        return values

    @field_validator("concurrency")
    @classmethod
    def _chat_only(cls, value: float | None, info: ValidationInfo) -> float | None:
        channel = info.data.get("channel")
        if value not in (None, 1) and isinstance(channel, Channel) and channel is not Channel.chat:
            raise invalid("concurrency.chat_only", value=float(value), channel=channel.value)
        return value

    @model_validator(mode="after")
    def _coherent(self) -> Flow:
        if self.monthly_profile is not None and "peak_ratio" in self.model_fields_set:
            mean = sum(self.monthly_profile) / 12
            implied = max(self.monthly_profile) / mean
            if abs(implied - self.peak_ratio) > 0.05 * implied:
                raise invalid("peak_ratio.disagrees", peak=float(self.peak_ratio), implied=round(implied, 2))
        return self

    @property
    def busiest_over_average(self) -> float:
        """The peak ratio, from the monthly profile when there is one."""
        if self.monthly_profile is not None and "peak_ratio" not in self.model_fields_set:
            return max(self.monthly_profile) / (sum(self.monthly_profile) / 12)
        return self.peak_ratio

    @field_validator("regulated_data", "provider_certifications", "languages")
    @classmethod
    def _no_repeats(cls, values: tuple[Enum | str, ...]) -> tuple[Enum | str, ...]:
        seen: set[Enum | str] = set()
        for value in values:
            if value in seen:
                raise invalid("listed_twice", value=repr(value.value if isinstance(value, Enum) else value))
            seen.add(value)
        return values


class Answers(_Model):
    """A whole answers file: the organisation and its flows."""

    organisation: Organisation = Organisation()
    flows: Annotated[tuple[Flow, ...], Field(min_length=1)]

    @model_validator(mode="after")
    def _unique_ids(self) -> Answers:
        seen: set[str] = set()
        for flow in self.flows:
            if flow.id in seen:
                raise invalid("flow_id.twice", id=repr(flow.id))
            seen.add(flow.id)
        return self


# Fields a flow inherits from the organisation when it does not set them.
INHERITED = ("loaded_hourly_cost", "annual_turnover_pct", "absenteeism_pct")
# Flow answers with no default to report when left out: their absence is itself the answer
# (no quote, no headcount given), or the cost model derives them (a profile, a transition cost).
OPTIONAL_ANSWERS = ("name", "current_fte", "vendor_quote", "provider_country", "languages", "monthly_profile",
                    "routine_share_pct", "concurrency", "transition_cost", "minimum_monthly", "exit_cost",
                    "intraday_peak_factor", "abandonment_pct", "weekly_profile")
# A flow's answers that, left unset, take an organisation's figure: the inherited ones, and the
# hours to cover, which default to the opening hours.
INHERITS = {**{name: name for name in INHERITED}, "coverage_hours_needed": "opening_hours_per_week",
            "contract_months": "contract_months"}


class FlowInputs(_Model):
    """A flow's answers with organisation values resolved: what the policy sees."""

    flow: Flow
    organisation: Organisation
    defaults_used: tuple[str, ...]

    @property
    def loaded_hourly_cost(self) -> float:
        return self.flow.loaded_hourly_cost or self.organisation.loaded_hourly_cost

    @property
    def annual_turnover_pct(self) -> float:
        value = self.flow.annual_turnover_pct
        return self.organisation.annual_turnover_pct if value is None else value

    @property
    def absenteeism_pct(self) -> float:
        value = self.flow.absenteeism_pct
        return self.organisation.absenteeism_pct if value is None else value

    @property
    def contract_months(self) -> int | None:
        """The contract length answered for the flow or the organisation; None for the policy's default."""
        return self.flow.contract_months or self.organisation.contract_months

    @property
    def coverage_hours_needed(self) -> float:
        value = self.flow.coverage_hours_needed
        return self.organisation.opening_hours_per_week if value is None else value


def resolve(answers: Answers) -> tuple[FlowInputs, ...]:
    """Each flow with its inherited values and the list of fields left to their defaults."""
    org_defaults = [f"organisation.{name}" for name in Organisation.model_fields
                    if name not in answers.organisation.model_fields_set]
    out = []
    for flow in answers.flows:
        unset = [name for name in Flow.model_fields if name not in flow.model_fields_set
                 and name not in INHERITED and name not in OPTIONAL_ANSWERS and name != "contract_months"]
        if "monthly_profile" in flow.model_fields_set and "peak_ratio" in unset:
            unset.remove("peak_ratio")  # derived from the profile
        inherited = [f"organisation.{name}" for name in INHERITED if getattr(flow, name) is None
                     and f"organisation.{name}" in org_defaults]
        # Every flow depends on these: the country for data-transfer rules, the currency for costs,
        # the opening hours for the hours a flow needs beyond them.
        inherited += [name for name in ("organisation.country", "organisation.currency",
                                        "organisation.opening_hours_per_week") if name in org_defaults]
        if flow.vendor_quote is not None and flow.contract_months is None and answers.organisation.contract_months is None:
            inherited.append("contract_months")  # the policy's term spreads the one-off costs
        # Figures the cost model takes from the policy when they are not answered.
        if flow.vendor_quote is not None and flow.routine_share_pct is None:
            inherited.append("routine_share_pct")  # the tier-1 split's share, by activity
        if flow.channel is Channel.chat and flow.concurrency is None:
            inherited.append("concurrency")  # chats an agent handles at once
        out.append(FlowInputs(flow=flow, organisation=answers.organisation,
                              defaults_used=tuple(unset + inherited)))
    return tuple(out)
