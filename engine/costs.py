"""The cost model: every option a flow could take, costed on the same work.

Pure functions of a flow's resolved answers and the policy's cost assumptions
(``rules/parameters.yaml``, each with its source; ``docs/domain.md`` says how each
option is costed). The options:

- ``keep_internal``: the whole flow in-house as it would have to be staffed: a
  permanent team sized for the base month, the peaks worked in overtime up to a cap
  and then by temporary staff (or, without them, at the service level the team can
  reach), hours beyond the opening hours at the night-and-weekend premium, and the
  hidden costs of turnover and absence;
- ``outsource``: the provider for the whole flow, priced in the quote's own form on
  the work this flow needs, plus governance, a transition and the in-house exit;
- ``overflow``: the permanent team without overtime or temporary staff, the provider
  taking every contact above the base month;
- ``after_hours``: the in-house team for its opening hours, the provider for the rest;
- ``tier1``: the routine share of contacts to the provider, the rest in-house.

Each option has a monthly run cost, a one-off cost, an all-in cost per contact (the
one-off spread over the contract term), a saving against ``keep_internal``, a payback
in months and a total over the term.
"""

from __future__ import annotations

from dataclasses import dataclass

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from . import erlang
from .models import DEDICATED_FORMS, Flow, FlowInputs, VendorQuote
from .staffing import (WEEKS_PER_MONTH, agent_seconds, base_level, flow_assumptions, is_real_time, on_queue_hours,
                       paid_hours_per_fte, queue, year_shape)

OPTIONS = ("keep_internal", "outsource", "overflow", "after_hours", "tier1")

# The metrics only the splits' costing gives: a caller that needs none of them can skip it (the share
# of contacts each split hands over is known without it).
SPLIT_METRICS = frozenset({"saving_overflow_pct", "saving_after_hours_pct", "saving_tier1_pct"})

# Answers of a flow the cost model never reads: a variant that changes only these costs the same.
COSTLESS_FIELDS = frozenset({
    "id", "name", "volume_predictability", "repetitiveness", "scripting", "complexity", "data_sensitivity",
    "regulated_data", "brand_criticality", "customer_value", "unique_know_how", "skill_gap",
    "customers_expect_local", "provider_certifications", "languages", "abandonment_pct",
})


# The tables of the cost model (by country, by activity): what each value must be.
WeeklyHours = dict[str, Annotated[float, Field(gt=0, le=168)]]
Share = dict[str, Annotated[float, Field(ge=0, le=100)]]
NonNegative = dict[str, Annotated[float, Field(ge=0, le=1_000)]]
# Hours of work for one person or one event (training, replacing a leaver): up to five years' worth.
TaskHours = Annotated[float, Field(ge=0, le=10_000)]
# A premium as a share of the hourly cost: up to ten times it.
Premium = Annotated[float, Field(ge=0, le=10)]
# A span of the project in weeks or months: up to ten years.
Weeks = Annotated[float, Field(ge=0, le=520)]


class CostAssumptions(BaseModel):
    """The policy parameters the cost model reads, by name."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    # Staffing
    service_level_target: float = Field(gt=0, lt=1)
    service_level_seconds: float = Field(ge=1, le=86_400)
    max_occupancy: float = Field(ge=0.1, le=1)  # agents busy at least a tenth of their time
    deferred_occupancy: float = Field(ge=0.1, le=1)
    intraday_peak_factor: float = Field(ge=1, le=168)  # the busiest hour holds at most a whole week
    versatile_team_erlangs: float = Field(ge=0, le=10_000)
    shrinkage: float = Field(ge=0, lt=1)
    paid_hours_per_fte_month: float = Field(ge=1, le=744)  # at most every hour of a month
    weekly_hours_by_country: WeeklyHours
    chat_concurrency: float = Field(ge=1, le=4)
    concurrency_capacity: dict[str, Annotated[float, Field(ge=0.1, le=100)]]
    # In-house: hidden costs and peaks
    replacement_cost_hours: TaskHours
    overtime_premium: Premium
    overtime_premium_by_country: NonNegative
    overtime_cap: float = Field(ge=0, le=10)
    temp_staff_premium: Premium
    temp_training_hours: TaskHours
    peak_months_per_year: float = Field(ge=0, le=12)
    base_month_percentile: float = Field(ge=0, le=100)
    unsocial_hours_premium: Premium
    after_hours_intensity: float = Field(gt=0, le=1)
    # Provider and contract
    min_dedicated_fte: float = Field(ge=0, le=100_000)
    contract_months: int = Field(ge=1, le=120)
    governance_fte_ratio: float = Field(ge=0, le=10)
    governance_min_hours: float = Field(ge=0, le=100_000)
    transition_weeks: Weeks
    transition_lead_fte: float = Field(ge=0, le=100_000)
    transition_hours_per_fte: TaskHours
    provider_training_hours: TaskHours
    parallel_run_weeks: Weeks
    exit_cost_months: float = Field(ge=0, le=120)
    exit_cost_months_by_country: NonNegative
    redeployment_share: float = Field(ge=0, le=1)
    routine_share_by_activity: Share

    @field_validator("concurrency_capacity")
    @classmethod
    def _by_conversations(cls, table: dict[str, float]) -> dict[str, float]:
        """Keys are numbers of conversations at once, from 1 (one conversation: a capacity of 1)."""
        try:
            counts = [float(key) for key in table]
        except ValueError:
            raise ValueError(f"the keys must be numbers of conversations at once, like \"2\" (found "
                             f"{', '.join(map(repr, table))})") from None
        if not counts or min(counts) != 1 or any(c < 1 for c in counts):
            raise ValueError("the table must start at 1 conversation at once and give no count below 1")
        return table


class OptionCost(BaseModel):
    """What one option costs: a month's run, the one-off, all-in per contact, against keeping in-house
    (also the shape of an option in the JSON output and the audit record)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    monthly: float = Field(description="run cost a month: in-house part, provider's bill and governance")
    one_off: float = Field(description="transition and in-house exit, once")
    per_contact: float | None = Field(description="all-in, the one-off spread over the contract term")
    saving_pct: float | None = Field(description="against keeping the whole flow in-house as it would have "
                                                 "to be staffed")
    payback_months: float | None = Field(description="months of run saving that pay back the one-off; none "
                                                     "without a saving")
    term_total: float
    inhouse_monthly: float
    provider_monthly: float
    governance_monthly: float
    transition_cost: float
    exit_cost: float
    provider_share_pct: float
    inhouse_fte: float
    provider_fte: float
    saving_vs_peak_team_pct: float | None = Field(default=None, description="overflow only: against an in-house "
                                                  "team expanded to serve the busiest month")


class Metrics(BaseModel):
    """The staffing and costs of a flow in-house, with the provider's price and the splits' savings:
    the metrics the rules read."""

    model_config = ConfigDict(frozen=True)

    sizing: str
    workload_hours: float
    busy_hour_contacts: float | None
    agents_busy_hour: int | None
    service_level: float | None
    peak_service_level: float | None
    occupancy: float
    on_queue_hours: float
    paid_hours: float
    fte_needed: float
    fte_model: float
    fte_gap_pct: float | None
    base_cost: float
    turnover_cost: float
    absence_cost: float
    overtime_cost: float
    temp_cost: float
    hidden_cost: float
    hidden_cost_pct: float
    opportunity_cost: float
    inhouse_cost_monthly: float
    inhouse_cost_per_contact: float | None
    provider_cost_per_contact: float | None
    provider_cost_monthly: float | None
    savings_pct: float | None
    payback_months: float | None
    one_off_cost: float | None
    contract_months: float
    saving_overflow_pct: float | None
    saving_after_hours_pct: float | None
    saving_tier1_pct: float | None
    overflow_share_pct: float | None
    after_hours_share_pct: float | None
    tier1_share_pct: float | None
    overflow_pct: float
    coverage_gap_hours: float


class FlowCosts(Metrics):
    """The metrics of a flow and every option it could take, costed on the same basis."""

    options: dict[str, OptionCost]


# Cost fields that are not facts a rule can name (the options are read through their own metrics).
NOT_FACTS = frozenset({"sizing", "options"})


# ---------------------------------------------------------------------------------------------
# In-house


@dataclass(frozen=True)
class _InHouse:
    """An in-house team for a part of the flow, a month on average."""

    on_queue: float          # permanent team's logged-in hours
    paid_hours: float
    fte: float
    base: float
    turnover: float
    absence: float
    overtime: float
    temps: float
    opportunity: float
    peak_service_level: float | None

    @property
    def hidden(self) -> float:
        return self.turnover + self.absence + self.overtime + self.temps

    @property
    def total(self) -> float:
        return self.base + self.hidden + self.opportunity


@dataclass(frozen=True)
class _Part:
    """The share of contacts one side handles and the weekly hours it covers (open and beyond)."""

    share: float
    open_hours: float
    gap_hours: float


def _windows(inputs: FlowInputs) -> tuple[float, float]:
    """Hours a week inside and beyond the in-house opening hours (real-time channels only: a backlog
    is worked in office hours whatever the hours promised)."""
    coverage = inputs.coverage_hours_needed
    if not is_real_time(inputs.flow):
        return coverage, 0.0
    opening = inputs.organisation.opening_hours_per_week
    return min(coverage, opening), max(0.0, coverage - opening)


def _gap_share(open_hours: float, gap_hours: float, a: CostAssumptions, flow: Flow | None = None) -> float:
    """The share of contacts that arrive beyond the opening hours: measured from the flow's arrivals by
    hour of the week when it has them (the opening hours taken as its busiest hours, the rest beyond),
    else with the policy's intensity (evenings and nights are quieter)."""
    if open_hours <= 0 or gap_hours <= 0:
        return 1.0 if gap_hours > 0 else 0.0
    if flow is not None and flow.weekly_profile is not None:
        hours = sorted((share for day in flow.weekly_profile.values() for share in day), reverse=True)
        total = sum(hours)
        whole, part = divmod(open_hours, 1)
        inside = sum(hours[:int(whole)]) + (part * hours[int(whole)] if int(whole) < len(hours) else 0.0)
        return max(0.0, 1 - inside / total) if total > 0 else 0.0
    weighted = gap_hours * a.after_hours_intensity
    return weighted / (open_hours + weighted)


class _Model:
    """The cost model for one flow: its inputs, assumptions and the figures every option shares."""

    def __init__(self, inputs: FlowInputs, a: CostAssumptions) -> None:
        self.inputs, self.a = inputs, a
        self.flow = inputs.flow
        self.volume = float(inputs.flow.monthly_volume)
        self.seconds = agent_seconds(inputs.flow, a)
        self.real_time = is_real_time(inputs.flow)
        self.shape = year_shape(inputs.flow, a)
        self.base = base_level(inputs.flow, self.shape, a)
        self.rate = inputs.loaded_hourly_cost
        self.country = inputs.organisation.country
        self.paid_per_fte = paid_hours_per_fte(self.country, a)
        self.open_hours, self.gap_hours = _windows(inputs)
        self.term = inputs.contract_months or a.contract_months
        self._hours: dict[tuple[float, float, float, float], tuple[float, float]] = {}

    def hours(self, volume: float, part: _Part) -> tuple[float, float]:
        """Logged-in hours a month inside and beyond the opening hours for ``volume`` contacts."""
        key = (volume, part.share, part.open_hours, part.gap_hours)
        known = self._hours.get(key)
        if known is None:
            a = self.a
            gap = _gap_share(part.open_hours, part.gap_hours, a, self.flow)
            inside = on_queue_hours(volume * (1 - gap), self.seconds, self.real_time, part.open_hours, a)
            beyond = on_queue_hours(volume * gap, self.seconds, self.real_time, part.gap_hours, a)
            known = self._hours[key] = (inside, beyond)
        return known

    def inhouse(self, part: _Part, peaks: bool = True, headcount: float | None = None,
                level: float | None = None) -> _InHouse:
        """The in-house team for ``part``. Without ``peaks`` (overflow), a permanent team sized for the
        base month and nothing above it. With them, the team as it would have to be staffed to serve
        every month: the ``headcount`` the company pays when it is given, else the cheaper of a
        permanent team sized for the busiest month (overtime as its buffer) and a team sized for the
        base month with temporary staff for the peaks. Beyond a given headcount and its overtime,
        peaks take temporary staff, or without them are served at a lower service level."""
        needed, uplift, base_hours = self._needs(part, self.base if level is None else level)
        temps = self.inputs.organisation.temp_staff_available
        if not peaks:
            if headcount is not None:  # never more than the team paid today
                base_hours = min(base_hours, self.logged_hours(headcount))
            return self._team(base_hours, [], uplift, temps=False, part=part)
        if headcount is not None:
            return self._team(self.logged_hours(headcount), needed, uplift, temps=temps, part=part)
        plans = [self._peak_team(needed, base_hours, uplift, part)]
        if temps and len(self.shape) > 1:  # with no peak both plans are the same team
            plans.append(self._team(base_hours, needed, uplift, temps=True, part=part))
        return min(plans, key=lambda plan: plan.total)

    def _needs(self, part: _Part, level: float) -> tuple[list[tuple[float, float, float]], float, float]:
        """What ``part`` asks of an in-house team: per month (months a year, logged-in hours,
        contacts), the pay uplift of hours beyond the opening hours (night-and-weekend premium) and
        the logged-in hours of a month at ``level``."""
        volume = self.volume * part.share
        needed = [(m.months, sum(self.hours(volume * m.level, part)), volume * m.level) for m in self.shape]
        inside, beyond = self.hours(volume, part)
        uplift = (inside + beyond * (1 + self.a.unsocial_hours_premium)) / (inside + beyond) if inside + beyond else 1.0
        return needed, uplift, sum(self.hours(volume * level, part))

    def logged_hours(self, fte: float) -> float:
        """The logged-in hours a month of ``fte`` in-house full-time agents."""
        return fte * self.paid_per_fte * (1 - self.a.shrinkage)

    def _peak_team(self, needed: list[tuple[float, float, float]], base_hours: float, uplift: float,
                   part: _Part) -> _InHouse:
        """A permanent team sized for the busiest month, overtime as its buffer (overtime is the peak's
        buffer, not a way of running every month short-staffed)."""
        busiest = max(hours for _, hours, _ in needed)
        return self._team(max(base_hours, busiest / (1 + self.a.overtime_cap)), needed, uplift, temps=False,
                          part=part)

    def peak_team(self, part: _Part) -> _InHouse:
        """The in-house team expanded to serve the busiest month itself (seed B's "expanding the
        in-house team")."""
        needed, uplift, base_hours = self._needs(part, self.base)
        return self._peak_team(needed, base_hours, uplift, part)

    def _team(self, team: float, needed: list[tuple[float, float, float]], uplift: float, temps: bool,
              part: _Part) -> _InHouse:
        """A permanent team of ``team`` logged-in hours a month, and what the months ``needed`` (months
        a year, hours, contacts) ask beyond it: overtime up to the cap, then temporary staff or a
        shortfall (and the service level it leaves)."""
        a, inputs = self.a, self.inputs
        paid = team / (1 - a.shrinkage)
        fte = paid / self.paid_per_fte
        base = paid * self.rate * uplift
        premium = a.overtime_premium_by_country.get(self.country, a.overtime_premium)
        overtime = temp_cost = 0.0
        temp_fte: list[float] = []
        peak_level: float | None = None
        for months, hours, contacts in needed:
            extra = max(0.0, hours - team)
            worked = min(extra, a.overtime_cap * team)
            overtime += months / 12 * worked * self.rate * uplift * (1 + premium)
            rest = extra - worked
            if temps:
                temp_cost += months / 12 * rest / (1 - a.shrinkage) * self.rate * uplift * (1 + a.temp_staff_premium)
                temp_fte.append(rest / (1 - a.shrinkage) / self.paid_per_fte)
            elif rest > 1e-9 * hours:
                level = self._level_reached(contacts, part, (team + worked) / hours)
                peak_level = level if peak_level is None else min(peak_level, level)
        # Temporary staff are trained each time the year's peak brings them in.
        hires = sum(max(0.0, now - before) for before, now in zip([temp_fte[-1], *temp_fte], temp_fte)) \
            if temp_fte else 0.0
        temp_cost += hires * a.temp_training_hours * self.rate / 12
        turnover = fte * inputs.annual_turnover_pct / 100 * a.replacement_cost_hours * self.rate / 12
        absent = inputs.absenteeism_pct / 100
        absence = base * absent / (1 - absent)
        opportunity = paid * (inputs.organisation.opportunity_cost_per_hour or 0.0)
        return _InHouse(team, paid, fte, base, turnover, absence, overtime, temp_cost, opportunity, peak_level)

    def _level_reached(self, contacts: float, part: _Part, staffed: float) -> float:
        """The service level reached at the busy hour of a month of ``contacts`` by a team with
        ``staffed`` of the hours it needs (for a backlog: the share of the work done in the month)."""
        hours = part.open_hours + part.gap_hours
        if not self.real_time or hours <= 0:
            return min(1.0, staffed)
        need = queue(contacts, self.seconds, True, hours, self.a)
        busy = need.busy_hour_contacts or 0.0
        agents = int((need.agents_busy_hour or 1) * staffed)
        return erlang.service_level(agents, busy * self.seconds / 3600, self.seconds, self.a.service_level_seconds)

    # -----------------------------------------------------------------------------------------
    # Provider

    def provider_hourly(self, quote: VendorQuote) -> float:
        """The provider's price of one productive (logged-in) hour, whatever the quote's form."""
        a = self.a
        if quote.form == "per_hour":
            return quote.amount
        if quote.form == "per_fte_month":
            return quote.amount / self.provider_productive_per_fte()
        per_contact = quote.amount if quote.form == "per_contact" else quote.amount * self.flow.aht_seconds / 60
        return per_contact * 3600 / self.seconds * a.max_occupancy

    def provider_productive_per_fte(self) -> float:
        """The productive hours a month of one provider FTE (the provider's country's full-time week)."""
        return paid_hours_per_fte(self.flow.provider_country or self.country, self.a) * (1 - self.a.shrinkage)

    def provider(self, quote: VendorQuote, months: list[tuple[float, float]],
                 weekly_hours: float) -> tuple[float, float, float]:
        """The provider's bill a month on average, its FTE at the busiest month and on average, for
        ``months`` given as (months a year, contacts in such a month), answered over ``weekly_hours``
        a week. A minimum monthly billing holds in every month of the contract, quiet ones too."""
        a = self.a
        hourly = self.provider_hourly(quote)
        per_fte = self.provider_productive_per_fte()
        dedicated = quote.form in DEDICATED_FORMS
        needs = [on_queue_hours(volume, self.seconds, self.real_time, weekly_hours, a, pooled=not dedicated)
                 if volume > 0 else 0.0 for _, volume in months]
        # A dedicated team keeps its minimum of seats in quiet months. A flow that needs fewer seats
        # than that on average is served by shared or seasonal agents; above it, the floor phases in
        # from nothing at an average of min_dedicated_fte to the whole minimum at twice that, so that
        # the bill never jumps when a flow grows past the minimum.
        mean_fte = sum(share / 12 * hours for (share, _), hours in zip(months, needs)) / per_fte
        floor_fte = min(a.min_dedicated_fte, max(0.0, mean_fte - a.min_dedicated_fte)) if dedicated else 0.0
        minimum = self.flow.minimum_monthly or 0.0
        bill = fte = average = 0.0
        for (share, volume), hours in zip(months, needs):
            if volume <= 0:
                bill += share / 12 * minimum
                continue
            if not dedicated:
                unit = quote.amount if quote.form == "per_contact" else quote.amount * self.flow.aht_seconds / 60
                amount = unit * volume
            else:
                # An hour's price buys the hours this flow needs, staffed as in-house would staff them:
                # its pooling with other clients' work is only in per-contact and per-minute prices.
                amount = max(hours, floor_fte * per_fte) * hourly
            bill += share / 12 * max(amount, minimum)
            fte = max(fte, hours / per_fte)
            average += share / 12 * hours / per_fte
        return bill, fte, average

    def governance(self, provider_fte: float) -> float:
        """In-house vendor management and quality staff for a provider team of ``provider_fte``."""
        hours = max(self.a.governance_min_hours, self.a.governance_fte_ratio * provider_fte * self.paid_per_fte)
        return hours * self.rate

    def transition(self, quote: VendorQuote, provider_fte: float, provider_monthly: float, parallel: bool,
                   share: float = 1.0) -> float:
        """The one-off cost of moving work to the provider: the answer (for the whole flow, so in
        proportion to the ``share`` of contacts a split moves), else the in-house project lead and
        experts' time, the provider's agents' initial training, and a parallel run."""
        if self.flow.transition_cost is not None:
            return self.flow.transition_cost * share
        a = self.a
        lead = a.transition_weeks * a.transition_lead_fte * self.paid_per_fte / WEEKS_PER_MONTH * self.rate
        experts = a.transition_hours_per_fte * provider_fte * self.rate
        training = a.provider_training_hours * provider_fte * self.provider_hourly(quote)
        run = a.parallel_run_weeks / WEEKS_PER_MONTH * provider_monthly if parallel else 0.0
        return lead + experts + training + run

    def exit(self, released_fte: float, team_fte: float) -> float:
        """The one-off cost of the in-house FTE no longer needed out of a team of ``team_fte``: the
        answer (for the whole team, so in proportion), else severance or redeployment for those not
        absorbed by redeployment and natural attrition."""
        if released_fte <= 0:
            return 0.0
        if self.flow.exit_cost is not None:
            return self.flow.exit_cost * min(1.0, released_fte / team_fte) if team_fte else self.flow.exit_cost
        a = self.a
        months = a.exit_cost_months_by_country.get(self.country, a.exit_cost_months)
        return released_fte * (1 - a.redeployment_share) * months * self.paid_per_fte * self.rate


# ---------------------------------------------------------------------------------------------
# Options


def _option(model: _Model, keep: float, *, inhouse: float, inhouse_fte: float, provider: float = 0.0,
            governance: float = 0.0, transition: float = 0.0, exit_cost: float = 0.0, share: float = 0.0,
            provider_fte: float = 0.0) -> dict[str, Any]:
    """An option's figures (the fields of ``OptionCost``) from its monthly parts and one-offs, against
    ``keep`` a month in-house."""
    monthly = inhouse + provider + governance
    one_off = transition + exit_cost
    allin = monthly + one_off / model.term
    saved = keep - monthly
    return dict(
        monthly=monthly, one_off=one_off,
        per_contact=allin / model.volume if model.volume else None,
        saving_pct=100 * (1 - allin / keep) if keep else None,
        payback_months=(one_off / saved if one_off else 0.0) if saved > 0 else None,
        term_total=monthly * model.term + one_off,
        inhouse_monthly=inhouse, provider_monthly=provider, governance_monthly=governance,
        transition_cost=transition, exit_cost=exit_cost, provider_share_pct=100 * share,
        inhouse_fte=inhouse_fte, provider_fte=provider_fte,
    )


def provider_hourly(inputs: FlowInputs, a: CostAssumptions, quote: VendorQuote) -> float:
    """The provider's price of one productive hour of this flow, whatever the quote's form: what prices
    in different forms are compared on (a FTE-month over the provider country's productive hours, a
    contact or a minute over the handling time at the occupancy cap)."""
    return _Model(inputs, a).provider_hourly(quote)


def routine_share(inputs: FlowInputs, a: CostAssumptions) -> float:
    """The share of contacts routine enough for a provider's tier 1 (answered, or by activity)."""
    pct = inputs.flow.routine_share_pct
    if pct is None:
        pct = a.routine_share_by_activity.get(inputs.flow.activity.value, 0.0)
    return pct / 100


def _moved(model: _Model, keep_team: _InHouse, quote: VendorQuote, team: _InHouse | None,
           months: list[tuple[float, float]], weekly_hours: float, share: float,
           seasonal: bool = False) -> dict[str, Any]:
    """An option that moves ``months`` of contacts (months a year, contacts in such a month) to the
    provider and keeps ``team`` in-house (none: the whole flow leaves)."""
    a = model.a
    bill, peak_fte, average_fte = model.provider(quote, months, weekly_hours)
    if seasonal:
        # Seasonal agents are trained again every year: part of the run, not of the one-off.
        bill += a.provider_training_hours * peak_fte * model.provider_hourly(quote) / 12
        transition = model.transition(quote, 0.0, 0.0, False, share)
    else:
        transition = model.transition(quote, peak_fte, bill, True, share)
    inhouse, inhouse_fte = (team.total, team.fte) if team is not None else (0.0, 0.0)
    return _option(model, keep_team.total, inhouse=inhouse, inhouse_fte=inhouse_fte, provider=bill,
                   governance=model.governance(average_fte), transition=transition,
                   exit_cost=model.exit(keep_team.fte - inhouse_fte, keep_team.fte), share=share, provider_fte=peak_fte)


def _overflow_level(model: _Model, whole: _Part) -> float:
    """The month level the permanent team of an overflow keeps: the base month, or what the headcount
    paid today can handle when it is smaller."""
    level = model.base
    if model.flow.current_fte is not None:
        needed = sum(model.hours(model.volume * model.base, whole))
        paid = model.logged_hours(model.flow.current_fte)
        level = model.base * min(1.0, paid / needed) if needed else model.base
    return level


def _split_shares(model: _Model) -> dict[str, float]:
    """The share of contacts each possible split hands over, quote or not."""
    out: dict[str, float] = {}
    if not model.volume:
        return out
    level = _overflow_level(model, _Part(1.0, model.open_hours, model.gap_hours))
    moved = sum(m.months * max(0.0, m.level - level) for m in model.shape) / 12
    if moved > 1e-9:
        out["overflow"] = moved
    if model.gap_hours > 0 and model.open_hours > 0:
        out["after_hours"] = _gap_share(model.open_hours, model.gap_hours, model.a, model.flow)
    share = routine_share(model.inputs, model.a)
    if 0 < share < 1:
        out["tier1"] = share
    return out


def _options(model: _Model, keep_team: _InHouse, shares: dict[str, float] | None) -> dict[str, dict[str, Any]]:
    """Every option a quote makes possible (the fields of each ``OptionCost``); the splits (those in
    ``shares``) unless ``shares`` is None."""
    keep = keep_team.total
    whole = _Part(1.0, model.open_hours, model.gap_hours)
    out = {"keep_internal": _option(model, keep, inhouse=keep, inhouse_fte=keep_team.fte)}
    quote = model.flow.vendor_quote
    if quote is None or not model.volume:
        return out
    coverage = model.open_hours + model.gap_hours
    # Outsource: the provider answers every hour needed; the in-house team leaves.
    out["outsource"] = _moved(model, keep_team, quote, None,
                              [(m.months, model.volume * m.level) for m in model.shape], coverage, 1.0)
    if shares is None:
        return out
    # Overflow: the permanent team keeps the base month, or what the headcount paid today can
    # handle when it is smaller; the provider takes every contact above it.
    if "overflow" in shares:
        level = _overflow_level(model, whole)
        above = [(m.months, model.volume * max(0.0, m.level - level)) for m in model.shape]
        team = model.inhouse(whole, peaks=False, headcount=model.flow.current_fte, level=level)
        option = _moved(model, keep_team, quote, team, above, coverage, shares["overflow"], seasonal=True)
        expanded = model.peak_team(whole).total
        out["overflow"] = {**option, "saving_vs_peak_team_pct": 100 * (
            1 - (option["monthly"] + option["one_off"] / model.term) / expanded) if expanded else None}
    # After hours: the in-house team keeps its opening hours, the provider answers beyond them.
    if "after_hours" in shares:
        gap = shares["after_hours"]
        out["after_hours"] = _moved(model, keep_team, quote, model.inhouse(_Part(1 - gap, model.open_hours, 0.0)),
                                    [(m.months, model.volume * m.level * gap) for m in model.shape],
                                    model.gap_hours, gap)
    # Tier 1: the routine share to the provider over every hour, the experts keep the rest.
    if "tier1" in shares:
        share = shares["tier1"]
        out["tier1"] = _moved(model, keep_team, quote, model.inhouse(_Part(1 - share, model.open_hours, model.gap_hours)),
                              [(m.months, model.volume * m.level * share) for m in model.shape], coverage, share)
    return out


def flow_costs(inputs: FlowInputs, a: CostAssumptions, splits: bool = True) -> FlowCosts:
    """Cost a flow in-house as it would have to be staffed, and every option a quote makes possible
    (without ``splits``, only keeping and outsourcing: for a caller that reads no split metric)."""
    fields = _costed(inputs, a, splits)
    fields["options"] = {name: OptionCost(**option) for name, option in fields["options"].items()}
    return FlowCosts(**fields)


# The metrics held as floats (a whole number the cost model gives is one, as the model validates it).
_FLOAT_METRICS = frozenset(name for name, info in Metrics.model_fields.items()
                           if info.annotation in (float, float | None))


def metric_values(inputs: FlowInputs, a: CostAssumptions, splits: bool = True) -> dict[str, Any]:
    """The metrics of ``flow_costs`` by name, as ``FlowCosts`` holds them, and the options' fields,
    without building (and checking) the models: for evaluating many variants of a flow, where only
    the facts they give are read."""
    values = _costed(inputs, a, splits)
    for name in _FLOAT_METRICS:
        value = values[name]
        if type(value) is int:
            values[name] = float(value)
    return values


def _costed(inputs: FlowInputs, a: CostAssumptions, splits: bool) -> dict[str, Any]:
    """The fields of ``FlowCosts`` for a flow, by name (each option's as a mapping)."""
    flow = inputs.flow
    a = flow_assumptions(flow, a)
    model = _Model(inputs, a)
    whole = _Part(1.0, model.open_hours, model.gap_hours)
    team = model.inhouse(whole, headcount=flow.current_fte)
    modelled = model.inhouse(whole) if flow.current_fte is not None else team
    volume = model.volume
    coverage = model.open_hours + model.gap_hours
    average = queue(volume, model.seconds, model.real_time, coverage, a)
    sizing = "erlang_c" if model.real_time and coverage > 0 and volume > 0 else "workload"
    workload = volume * model.seconds / 3600
    shares = _split_shares(model)
    options = _options(model, team, shares if splits else None)
    out = options.get("outsource")

    def saving(name: str) -> float | None:
        option = options.get(name)
        return None if option is None else option["saving_pct"]

    def share(name: str) -> float | None:
        return 100 * shares[name] if name in shares else None

    current = flow.current_fte
    return dict(
        sizing=sizing,
        workload_hours=workload,
        busy_hour_contacts=average.busy_hour_contacts if sizing == "erlang_c" else None,
        agents_busy_hour=average.agents_busy_hour if sizing == "erlang_c" else None,
        service_level=average.service_level if sizing == "erlang_c" else None,
        peak_service_level=team.peak_service_level,
        occupancy=min(1.0, workload / team.on_queue) if team.on_queue else 0.0,
        on_queue_hours=team.on_queue,
        paid_hours=team.paid_hours,
        fte_needed=team.fte,
        fte_model=modelled.fte,
        fte_gap_pct=100 * abs(current - modelled.fte) / modelled.fte if current is not None and modelled.fte else None,
        base_cost=team.base,
        turnover_cost=team.turnover,
        absence_cost=team.absence,
        overtime_cost=team.overtime,
        temp_cost=team.temps,
        hidden_cost=team.hidden,
        hidden_cost_pct=100 * team.hidden / team.total if team.total else 0.0,
        opportunity_cost=team.opportunity,
        inhouse_cost_monthly=team.total,
        inhouse_cost_per_contact=team.total / volume if volume else None,
        provider_cost_per_contact=None if out is None else out["per_contact"],
        provider_cost_monthly=None if out is None else out["monthly"] + out["one_off"] / model.term,
        savings_pct=None if out is None else out["saving_pct"],
        payback_months=None if out is None else out["payback_months"],
        one_off_cost=None if out is None else out["one_off"],
        contract_months=float(model.term),
        saving_overflow_pct=saving("overflow"),
        saving_after_hours_pct=saving("after_hours"),
        saving_tier1_pct=saving("tier1"),
        overflow_share_pct=share("overflow"),
        after_hours_share_pct=share("after_hours"),
        tier1_share_pct=share("tier1"),
        overflow_pct=100 * (flow.busiest_over_average - 1) / flow.busiest_over_average,
        coverage_gap_hours=max(0.0, inputs.coverage_hours_needed - inputs.organisation.opening_hours_per_week),
        options=options,
    )
