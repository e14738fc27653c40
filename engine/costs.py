"""The cost model: staffing, in-house cost with hidden costs, provider cost, savings.

Pure functions of a flow's resolved answers and the policy's cost assumptions
(``rules/parameters.yaml``, each with its source). Real-time channels are sized
with Erlang C at the busiest hour; deferred channels from workload and occupancy.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from . import erlang
from .models import REAL_TIME_CHANNELS, FlowInputs

WEEKS_PER_MONTH = 52 / 12


class CostAssumptions(BaseModel):
    """The policy parameters the cost model reads, by name."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    service_level_target: float = Field(gt=0, lt=1)
    service_level_seconds: float = Field(gt=0)
    max_occupancy: float = Field(gt=0, le=1)
    deferred_occupancy: float = Field(gt=0, le=1)
    intraday_peak_factor: float = Field(ge=1)
    min_agents_on_duty: float = Field(ge=0)
    shrinkage: float = Field(ge=0, lt=1)
    paid_hours_per_fte_month: float = Field(gt=0)
    replacement_cost_hours: float = Field(ge=0)
    overtime_premium: float = Field(ge=0)
    peak_months_per_year: float = Field(ge=0, le=12)
    provider_overhead: float = Field(ge=0)


class FlowCosts(BaseModel):
    """What a flow costs in-house and with the provider, per month, and the staffing behind it."""

    model_config = ConfigDict(frozen=True)

    sizing: str
    workload_hours: float
    busy_hour_contacts: float | None
    agents_busy_hour: int | None
    service_level: float | None
    occupancy: float
    on_queue_hours: float
    paid_hours: float
    fte_needed: float
    base_cost: float
    turnover_cost: float
    absence_cost: float
    overtime_cost: float
    hidden_cost: float
    hidden_cost_pct: float
    inhouse_cost_monthly: float
    inhouse_cost_per_contact: float | None
    provider_cost_per_contact: float | None
    provider_cost_monthly: float | None
    savings_pct: float | None
    overflow_pct: float
    coverage_gap_hours: float


def _on_queue(inputs: FlowInputs, a: CostAssumptions) -> tuple[str, float | None, int | None, float | None, float, float]:
    """Sizing method, busy-hour contacts, agents, service level, occupancy and on-queue hours a month."""
    flow = inputs.flow
    workload = flow.monthly_volume * flow.aht_seconds / 3600
    coverage = inputs.coverage_hours_needed
    if flow.channel in REAL_TIME_CHANNELS and coverage > 0 and flow.monthly_volume > 0:
        hourly = flow.monthly_volume / (coverage * WEEKS_PER_MONTH)
        busy = hourly * a.intraday_peak_factor
        staffing = erlang.staff(busy, flow.aht_seconds, a.service_level_target, a.service_level_seconds,
                                a.max_occupancy)
        floor = coverage * WEEKS_PER_MONTH * a.min_agents_on_duty
        hours = max(workload / staffing.occupancy, floor)
        return "erlang_c", busy, staffing.agents, staffing.service_level, workload / hours, hours
    hours = workload / a.deferred_occupancy
    return "workload", None, None, None, a.deferred_occupancy if hours else 0.0, hours


def flow_costs(inputs: FlowInputs, a: CostAssumptions) -> FlowCosts:
    """Cost a flow in-house (with hidden costs) and, if quoted, with the provider."""
    flow = inputs.flow
    sizing, busy, agents, level, occupancy, on_queue = _on_queue(inputs, a)
    paid = on_queue / (1 - a.shrinkage)
    rate = inputs.loaded_hourly_cost
    fte = paid / a.paid_hours_per_fte_month
    base = paid * rate
    turnover = fte * inputs.annual_turnover_pct / 100 * a.replacement_cost_hours * rate / 12
    absent = inputs.absenteeism_pct / 100
    absence = base * absent / (1 - absent)
    overtime = (a.peak_months_per_year / 12) * (flow.peak_ratio - 1) * base * a.overtime_premium
    hidden = turnover + absence + overtime
    total = base + hidden
    volume = flow.monthly_volume
    inhouse_per_contact = total / volume if volume else None

    provider_per_contact = None
    quote = flow.vendor_quote
    if quote is not None and volume:
        if quote.form == "per_contact":
            raw = quote.amount
        elif quote.form == "per_minute":
            raw = quote.amount * flow.aht_seconds / 60
        else:
            # A productive hour is an hour logged in at the provider's occupancy: a provider pools
            # its agents, so the in-house team's small-queue idle time is not billed.
            pooled = a.max_occupancy if sizing == "erlang_c" else a.deferred_occupancy
            raw = quote.amount * flow.aht_seconds / 3600 / pooled
        provider_per_contact = raw * (1 + a.provider_overhead)
    provider_monthly = provider_per_contact * volume if provider_per_contact is not None else None
    savings = (1 - provider_per_contact / inhouse_per_contact
               if provider_per_contact is not None and inhouse_per_contact else None)
    return FlowCosts(
        sizing=sizing,
        workload_hours=volume * flow.aht_seconds / 3600,
        busy_hour_contacts=busy,
        agents_busy_hour=agents,
        service_level=level,
        occupancy=occupancy,
        on_queue_hours=on_queue,
        paid_hours=paid,
        fte_needed=fte,
        base_cost=base,
        turnover_cost=turnover,
        absence_cost=absence,
        overtime_cost=overtime,
        hidden_cost=hidden,
        hidden_cost_pct=100 * hidden / total if total else 0.0,
        inhouse_cost_monthly=total,
        inhouse_cost_per_contact=inhouse_per_contact,
        provider_cost_per_contact=provider_per_contact,
        provider_cost_monthly=provider_monthly,
        savings_pct=None if savings is None else savings * 100,
        overflow_pct=100 * (flow.peak_ratio - 1) / flow.peak_ratio,
        coverage_gap_hours=max(0.0, inputs.coverage_hours_needed - inputs.organisation.opening_hours_per_week),
    )
