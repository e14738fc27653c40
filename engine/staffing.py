"""Staffing: the logged-in hours a queue of contacts needs, month by month.

The same functions size the in-house team and the provider's, so that both are
costed on the same work. Real-time channels (phone, chat) are sized with Erlang C
at the busiest hour, with fractional agents so that costs move smoothly with volume;
a flow too small to keep a team busy is worked by versatile agents, who reach the
occupancy of a small team (seed A: versatility). Deferred channels are sized from
workload at the deferred occupancy. Chat agents handle several conversations at
once: the handling time per agent is divided by the capacity of that concurrency.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from . import erlang
from .models import REAL_TIME_CHANNELS, Channel, Flow

if TYPE_CHECKING:
    from .costs import CostAssumptions

WEEKS_PER_MONTH = 52 / 12


@dataclass(frozen=True)
class Queue:
    """The logged-in hours a month one queue needs, and its busiest hour."""

    on_queue_hours: float
    busy_hour_contacts: float | None = None
    agents_busy_hour: int | None = None
    service_level: float | None = None


def agent_seconds(flow: Flow, a: CostAssumptions) -> float:
    """Seconds of one agent's time per contact: the handling time, divided by the capacity of chat
    concurrency (two conversations at once do not take half the time each)."""
    if flow.channel is not Channel.chat:
        return flow.aht_seconds
    concurrency = a.chat_concurrency if flow.concurrency is None else flow.concurrency
    return flow.aht_seconds / capacity(concurrency, a)


def capacity(concurrency: float, a: CostAssumptions) -> float:
    """Conversations' worth of work one agent does at ``concurrency``, interpolated between the
    documented factors (1 at one conversation)."""
    points = sorted((float(k), v) for k, v in a.concurrency_capacity.items())
    if concurrency <= points[0][0]:
        return points[0][1]
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        if concurrency <= x1:
            return y0 + (y1 - y0) * (concurrency - x0) / (x1 - x0)
    return points[-1][1]


def on_queue_hours(volume: float, seconds: float, real_time: bool, weekly_hours: float, a: CostAssumptions,
                   pooled: bool = False) -> float:
    """Logged-in hours a month for ``volume`` contacts of ``seconds`` each, answered over
    ``weekly_hours`` a week. ``pooled``: shared agents of a large pool, at the occupancy cap."""
    workload = volume * seconds / 3600
    if workload <= 0:
        return 0.0
    if not real_time or weekly_hours <= 0:
        return workload / a.deferred_occupancy
    if pooled:
        return workload / a.max_occupancy
    traffic = volume / (weekly_hours * WEEKS_PER_MONTH) * a.intraday_peak_factor * seconds / 3600
    # Versatile agents: a queue smaller than a small team shares its agents with other work and
    # reaches that team's occupancy rather than its own.
    reference = max(traffic, a.versatile_team_erlangs)
    agents = erlang.fractional_agents(reference, seconds, a.service_level_target, a.service_level_seconds,
                                      a.max_occupancy)
    return workload * agents / reference


def queue(volume: float, seconds: float, real_time: bool, weekly_hours: float, a: CostAssumptions) -> Queue:
    """``on_queue_hours``, with the whole agents and service level of the busiest hour of a real-time queue."""
    hours = on_queue_hours(volume, seconds, real_time, weekly_hours, a)
    if hours <= 0 or not real_time or weekly_hours <= 0:
        return Queue(hours)
    busy = volume / (weekly_hours * WEEKS_PER_MONTH) * a.intraday_peak_factor
    staffing = erlang.staff(busy, seconds, a.service_level_target, a.service_level_seconds, a.max_occupancy)
    return Queue(hours, busy, staffing.agents, staffing.service_level)


def flow_assumptions(flow: Flow, a: CostAssumptions) -> CostAssumptions:
    """The policy's assumptions with the flow's own measures in their place: its busiest hour over its
    average open hour (measured in a telephony export) instead of the policy's typical one."""
    if flow.intraday_peak_factor is None:
        return a
    return a.model_copy(update={"intraday_peak_factor": flow.intraday_peak_factor})


def is_real_time(flow: Flow) -> bool:
    return flow.channel in REAL_TIME_CHANNELS


@dataclass(frozen=True)
class Month:
    """A share of the year (in months) and its volume as a multiple of the average month."""

    months: float
    level: float


def year_shape(flow: Flow, a: CostAssumptions) -> tuple[Month, ...]:
    """The months of a year as multiples of the average month: the twelve answered volumes, or the
    peak ratio held for the policy's peak months and the rest of the year below average."""
    if flow.monthly_profile is not None:
        mean = sum(flow.monthly_profile) / 12
        return tuple(Month(1.0, v / mean) for v in flow.monthly_profile)
    peak = flow.busiest_over_average
    if peak <= 1 or a.peak_months_per_year <= 0:
        return (Month(12.0, 1.0),)
    months = min(a.peak_months_per_year, 12 / peak)
    rest = 12 - months
    return (Month(months, peak), Month(rest, (12 - months * peak) / rest)) if rest > 0 else (Month(12.0, 1.0),)


def base_level(flow: Flow, shape: tuple[Month, ...], a: CostAssumptions) -> float:
    """The month the permanent team is sized for: the average, or a percentile of the answered profile."""
    if flow.monthly_profile is None or a.base_month_percentile <= 0:
        return 1.0
    levels = sorted(m.level for m in shape)
    rank = a.base_month_percentile / 100 * (len(levels) - 1)
    low = int(rank)
    high = min(low + 1, len(levels) - 1)
    return levels[low] + (levels[high] - levels[low]) * (rank - low)


def paid_hours_per_fte(country: str | None, a: CostAssumptions) -> float:
    """Paid hours a month of one full-time employee in ``country`` (its usual full-time week)."""
    weekly = a.weekly_hours_by_country.get(country or "")
    return weekly * WEEKS_PER_MONTH if weekly is not None else a.paid_hours_per_fte_month
