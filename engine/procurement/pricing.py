"""The pricing grid's vocabulary, shared by the tender pack that writes it and the bids that come back.

A *lot* is what a provider is asked to price: a whole flow, one split of a flow (its overflow, its hours
beyond the opening hours, its routine tier 1) or a bundle of small flows priced together. It carries the
work only (contacts, handling time, hours, languages): never a cost of the company.

A *bid* is one provider's returned grid: for each lot it prices, one line per site it proposes (a
provider may offer the same lot onshore, nearshore and offshore), in any of the four pricing forms.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..models import Certification, CountryCode, CurrencyCode, QuoteForm, VendorQuote

Scope = Literal["outsource", "overflow", "after_hours", "tier1", "bundle"]
SCOPES: tuple[Scope, ...] = ("outsource", "overflow", "after_hours", "tier1", "bundle")

# The grid's columns, by key, in order. The key row of every sheet holds these keys, so that a grid is
# read by key whatever the language of its headings and wherever a provider moved a column.
# Given by the tender (read-only for the provider):
LOT_COLUMNS = ("lot", "scope", "flows", "channel", "monthly_contacts", "busiest_month_contacts",
               "aht_seconds", "hours_per_week", "languages", "indicative_fte")
# Filled by the provider, one row per lot and site:
PRICE_COLUMNS = ("site", "site_country", "per_hour", "per_fte_month", "per_minute", "per_contact",
                 "transition_cost", "minimum_monthly", "certifications", "notes")
GRID_COLUMNS = LOT_COLUMNS + PRICE_COLUMNS
# The bidder's sheet: one value per key.
BIDDER_FIELDS = ("bidder", "currency", "contract_months", "minimum_fte", "valid_until", "price_revision")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Lot(_Model):
    """What the tender asks providers to price, and what they size it from."""

    id: str = Field(description="the flow's id, 'FLOW.SPLIT' for a split, 'bundle-N' for a bundle")
    scope: Scope
    flows: tuple[str, ...] = Field(min_length=1, description="the flows it covers (several for a bundle)")
    channel: str = Field(description="the channel; a bundle of written flows, theirs separated by ', '")
    monthly_contacts: float = Field(ge=0, description="contacts a month the provider handles, on average")
    busiest_month_contacts: float = Field(ge=0)
    aht_seconds: float = Field(gt=0)
    hours_per_week: float = Field(ge=0, le=168, description="hours a week the provider answers")
    languages: tuple[str, ...] = ()
    indicative_fte: float | None = Field(default=None, ge=0, description="the provider's team, as sized by the "
                                         "cost model for the busiest month")

    @property
    def channels(self) -> tuple[str, ...]:
        """The channels the lot's contacts come in by."""
        return tuple(self.channel.split(", "))


Money = Annotated[float, Field(ge=0.0001, le=10_000_000)]


class PriceLine(_Model):
    """One lot priced at one site: at least one pricing form, the one-offs and what the site holds."""

    lot: str
    site: str = ""
    site_country: CountryCode
    prices: dict[QuoteForm, Money] = Field(min_length=1)
    transition_cost: float | None = Field(default=None, ge=0, lt=1_000_000_000)
    minimum_monthly: float | None = Field(default=None, ge=0, lt=1_000_000_000)
    certifications: tuple[Certification, ...] = ()
    where: str = Field(default="", description="the sheet and row it was read from, for messages")

    def quotes(self) -> tuple[VendorQuote, ...]:
        """Each pricing form given, as the quote the cost model reads."""
        return tuple(VendorQuote.model_validate({form: amount}) for form, amount in self.prices.items())


class Bid(_Model):
    """One provider's returned grid."""

    bidder: str = Field(min_length=1)
    source: str = Field(description="the file it was read from")
    currency: CurrencyCode
    contract_months: int | None = Field(default=None, ge=1, le=120)
    minimum_fte: float | None = Field(default=None, ge=0, le=100_000,
                                      description="the least FTE, over every lot awarded, "
                                      "the provider commits to staff")
    valid_until: str | None = None
    price_revision: str | None = None
    lines: tuple[PriceLine, ...]
