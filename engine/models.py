"""The answers vocabulary (see docs/domain.md), as pydantic models.

Field names and allowed values are a contract shared by the questionnaire,
answers files, rules and explanations: add fields, never rename or remove them.
Models are frozen values; ``extra='forbid'`` rejects unknown fields.
"""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Literal

from pydantic import (
    BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, field_validator, model_validator,
)


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
        raise ValueError(f"expected a number, found {str(value).lower()}")
    return value


Number = BeforeValidator(_not_bool)
CountryCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
CurrencyCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]
LanguageCode = Annotated[str, StringConstraints(pattern=r"^[a-z]{2}$")]
Money = Annotated[float, Number, Field(gt=0, le=1_000_000)]
WeeklyHours = Annotated[float, Number, Field(ge=0, le=168)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=False)


class VendorQuote(_Model):
    """A provider's price for the flow: exactly one of the three forms."""

    per_contact: Money | None = None
    per_hour: Money | None = None
    per_minute: Money | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> VendorQuote:
        given = [name for name in ("per_contact", "per_hour", "per_minute") if getattr(self, name) is not None]
        if len(given) != 1:
            found = ", ".join(given) if given else "none"
            raise ValueError(f"give exactly one of per_contact, per_hour, per_minute (found: {found})")
        return self

    @property
    def form(self) -> Literal["per_contact", "per_hour", "per_minute"]:
        if self.per_contact is not None:
            return "per_contact"
        return "per_hour" if self.per_hour is not None else "per_minute"

    @property
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
    annual_turnover_pct: Annotated[float, Number, Field(ge=0, le=300)] = 33.0
    absenteeism_pct: Annotated[float, Number, Field(ge=0, lt=100)] = 8.0
    opening_hours_per_week: WeeklyHours = 50.0


class Flow(_Model):
    """One kind of contact on one channel."""

    id: Slug
    channel: Channel
    monthly_volume: Annotated[int, Number, Field(ge=0, le=100_000_000)]
    aht_seconds: Annotated[float, Number, Field(gt=0, le=86_400)]
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None
    activity: Activity = Activity.other
    peak_ratio: Annotated[float, Number, Field(ge=1, le=50)] = 1.0
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
    current_fte: Annotated[float, Number, Field(ge=0, le=100_000)] | None = None
    vendor_quote: VendorQuote | None = None
    provider_country: CountryCode | None = None
    provider_certifications: tuple[Certification, ...] = ()
    loaded_hourly_cost: Money | None = None
    annual_turnover_pct: Annotated[float, Number, Field(ge=0, le=300)] | None = None
    absenteeism_pct: Annotated[float, Number, Field(ge=0, lt=100)] | None = None
    languages: tuple[LanguageCode, ...] = ()

    @field_validator("regulated_data", "provider_certifications", "languages")
    @classmethod
    def _no_repeats(cls, values: tuple[Enum | str, ...]) -> tuple[Enum | str, ...]:
        seen: set[Enum | str] = set()
        for value in values:
            if value in seen:
                raise ValueError(f"lists {value.value if isinstance(value, Enum) else value!r} twice")
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
                raise ValueError(f"flow id {flow.id!r} is used twice; ids must be unique")
            seen.add(flow.id)
        return self


# Fields a flow inherits from the organisation when it does not set them.
INHERITED = ("loaded_hourly_cost", "annual_turnover_pct", "absenteeism_pct")
# A flow's answers that, left unset, take an organisation's figure: the inherited ones, and the
# hours to cover, which default to the opening hours.
INHERITS = {**{name: name for name in INHERITED}, "coverage_hours_needed": "opening_hours_per_week"}


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
                 and name not in INHERITED and name not in ("name", "current_fte", "vendor_quote",
                                                            "provider_country", "languages")]
        inherited = [f"organisation.{name}" for name in INHERITED if getattr(flow, name) is None
                     and f"organisation.{name}" in org_defaults]
        # Every flow depends on these: the country for data-transfer rules, the currency for costs,
        # the opening hours for the hours a flow needs beyond them.
        inherited += [name for name in ("organisation.country", "organisation.currency",
                                        "organisation.opening_hours_per_week") if name in org_defaults]
        out.append(FlowInputs(flow=flow, organisation=answers.organisation,
                              defaults_used=tuple(unset + inherited)))
    return tuple(out)
