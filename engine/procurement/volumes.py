"""The answers an export measures for each flow, and how each is derived.

The year measured is the last twelve whole calendar months the export covers: a month counts as
whole when the export starts within its first ``EDGE_DAYS`` days and ends within its last ones (a
contact centre is closed on New Year's Day and some weekends); months before, partial ones at the
edges, are left out and said so. Fewer than twelve whole months is an error, never a profile
made up: the cost model reads the shape of a whole year. A month of the twelve without a single row
for a flow is a gap in the export, also an error.

- ``monthly_volume``: offered contacts (abandoned included), the mean of the twelve months;
- ``aht_seconds``: the handled-weighted mean handling time of the twelve months;
- ``monthly_profile``: offered contacts in each calendar month, January to December;
- ``coverage_hours_needed``: the hours of the week with offered contacts on at least
  ``COVERED_SHARE`` of the weeks with traffic (an hour answered now and then is not an opening hour);
- ``intraday_peak_factor``: the busiest hour of the week (its offered contacts over the year) over
  the average hour of those covered, the measure the cost model sizes the busiest hour with;
- ``abandonment_pct``: abandoned over offered contacts, when the export counts them;
- ``weekly_profile``: each hour's share of a week's offered contacts, in % to two decimals, adding
  up to exactly 100.

A daily export has no hours: the last three are not measured from it.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

from ..errors import ExportError, Problem
from ..problems import error, phrase, problem
from ..models import WEEKDAYS, Channel
from .acd import Export, FlowTraffic, week_of

EDGE_DAYS = 3
COVERED_SHARE = 0.5
MONTHS_A_YEAR = 12

Month = tuple[int, int]


@dataclass(frozen=True)
class Year:
    """The twelve months measured, and the months of the export left out of them."""

    months: tuple[Month, ...]
    left_out: tuple[Month, ...]

    @property
    def first_day(self) -> dt.date:
        return dt.date(*self.months[0], 1)

    @property
    def last_day(self) -> dt.date:
        year, month = self.months[-1]
        return dt.date(year, month, calendar.monthrange(year, month)[1])


@dataclass(frozen=True)
class Measured:
    """What the export says of one flow over the year measured."""

    flow_id: str
    name: str | None
    channel: Channel
    queues: tuple[str, ...]
    offered: int
    monthly_volume: int
    aht_seconds: int
    monthly_profile: tuple[int, ...]  # January to December
    busiest_month: int  # 1 to 12
    weeks: int  # weeks with traffic
    coverage_hours: int | None
    busiest_hour: int | None  # hour of the week, Monday 0:00 first
    intraday_peak_factor: float | None
    abandonment_pct: float | None
    asa_seconds: int | None
    weekly_profile: dict[str, tuple[float, ...]] | None

    @property
    def peak_ratio(self) -> float:
        return max(self.monthly_profile) / (sum(self.monthly_profile) / MONTHS_A_YEAR)


def _months(first: dt.date, last: dt.date) -> list[Month]:
    """Every calendar month from the one of ``first`` to the one of ``last``."""
    out, year, month = [], first.year, first.month
    while (year, month) <= (last.year, last.month):
        out.append((year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def measured_year(export: Export) -> Year:
    """The last twelve whole months of the export; ``ExportError`` when it has fewer."""
    spanned = _months(export.first, export.last)

    def whole(month: Month) -> bool:
        days = calendar.monthrange(*month)[1]
        return (export.first <= dt.date(*month, EDGE_DAYS)
                and export.last >= dt.date(*month, days - EDGE_DAYS + 1))

    full = [m for m in spanned if whole(m)]
    if len(full) < MONTHS_A_YEAR:
        raise error(ExportError, "acd.short_year", problem(
            export.source, None, "", "acd.months_one" if len(full) == 1 else "acd.months",
            first=export.first.isoformat(), last=export.last.isoformat(), count=len(full)), source=export.source)
    months = tuple(full[-MONTHS_A_YEAR:])
    return Year(months, tuple(m for m in spanned if m not in months))


def _shares(totals: list[float]) -> dict[str, tuple[float, ...]]:
    """Each hour's share of the week in %, to two decimals, the roundings spread so that the shares
    add up to exactly 100 (largest remainders first)."""
    whole = sum(totals)
    exact = [10_000 * t / whole for t in totals]
    units = [int(e) for e in exact]
    for index in sorted(range(len(exact)), key=lambda i: units[i] - exact[i])[:10_000 - sum(units)]:
        units[index] += 1
    return {day: tuple(u / 100 for u in units[24 * d:24 * d + 24]) for d, day in enumerate(WEEKDAYS)}


def _hours(flow: FlowTraffic, year: Year) -> tuple[list[float], int, int]:
    """Offered contacts per hour of the week over the year, the weeks with traffic, and the hours
    with offered contacts on at least ``COVERED_SHARE`` of those weeks."""
    totals = [0.0] * 168
    for month in year.months:
        for slot, offered in enumerate(flow.hours.get(month, ())):
            totals[slot] += offered
    first, last = week_of(year.first_day.toordinal()), week_of(year.last_day.toordinal())
    masks = [mask for week, mask in flow.weeks.items() if first <= week <= last and mask]
    counts = [sum(mask >> slot & 1 for mask in masks) for slot in range(168)]
    covered = sum(1 for count in counts if masks and count >= COVERED_SHARE * len(masks))
    return totals, len(masks), covered


def _flow(flow: FlowTraffic, year: Year, export: Export) -> Measured:
    sums = [flow.months[m] for m in year.months]
    offered, handled, handling, abandoned, answering = (sum(s[i] for s in sums) for i in range(5))
    by_month = {month[1]: int(s[0]) for month, s in zip(year.months, sums)}
    profile = tuple(by_month[m] for m in range(1, MONTHS_A_YEAR + 1))
    hourly = export.interval_minutes is not None
    totals, weeks, covered = _hours(flow, year) if hourly else ([0.0] * 168, 0, 0)
    busiest = max(range(168), key=lambda slot: totals[slot]) if any(totals) else None
    factor = None
    if busiest is not None and covered:
        factor = round(min(168.0, max(1.0, totals[busiest] / (sum(totals) / covered))), 2)
    return Measured(
        flow_id=flow.flow_id, name=flow.name, channel=flow.channel, queues=tuple(flow.queues),
        offered=int(offered), monthly_volume=round(offered / MONTHS_A_YEAR), aht_seconds=round(handling / handled),
        monthly_profile=profile, busiest_month=1 + profile.index(max(profile)), weeks=weeks,
        coverage_hours=covered if hourly else None, busiest_hour=busiest, intraday_peak_factor=factor,
        abandonment_pct=round(100 * abandoned / offered, 1) if export.has_abandoned else None,
        asa_seconds=round(answering / handled) if export.has_asa else None,
        weekly_profile=_shares(totals) if busiest is not None else None,
    )


def _flow_problems(flow: FlowTraffic, year: Year, source: str) -> list[Problem]:
    """A flow's gaps (a month without a row), or a year without a contact offered or handled."""
    where = phrase("acd.flow", flow=flow.flow_id, queues=", ".join(flow.queues))
    gaps = [m for m in year.months if m not in flow.months or not flow.months[m][5]]
    if gaps:
        named = ", ".join(dt.date(*m, 1).strftime("%Y-%m") for m in gaps)
        return [problem(source, None, "", "acd.gap", flow=where, months=named)]
    offered = sum(flow.months[m][0] for m in year.months)
    handled = sum(flow.months[m][1] for m in year.months)
    if not offered or not handled:
        return [problem(source, None, "", "acd.none_offered" if not offered else "acd.none_handled", flow=where)]
    return []


def measure(export: Export) -> tuple[Year, tuple[Measured, ...]]:
    """The year measured and each flow's answers; ``ExportError`` for fewer than twelve whole
    months, a gap, or a flow without traffic."""
    year = measured_year(export)
    problems = [p for flow in export.flows.values() for p in _flow_problems(flow, year, export.source)]
    if problems:
        raise error(ExportError, "acd.gaps", *problems, source=export.source)
    return year, tuple(_flow(flow, year, export) for flow in export.flows.values())
