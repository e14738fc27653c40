"""An answers file from a telephony export's measures, each value commented with how it was derived,
and the summary ``arbitre import acd`` prints, in English or French."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from babel.dates import format_date, get_day_names

from engine.procurement.acd import Export
from engine.procurement.volumes import Measured, Year
from explanations.figures import Lang, locale, number, percent
from explanations.render import labels, wrap

WIDTH = 110  # comments are wrapped to this many columns
VALUE_COLUMN = 30  # where a comment after a value starts


def _words(lang: Lang) -> dict[str, Any]:
    found = labels(lang)["acd_import"]
    assert isinstance(found, dict)
    return found


def _month(month: tuple[int, int], lang: Lang) -> str:
    return str(format_date(dt.date(*month, 1), "MMM y", locale=locale(lang)))


def _span(year: Year, lang: Lang) -> str:
    return f"{_month(year.months[0], lang)} – {_month(year.months[-1], lang)}"


def _clock(seconds: int) -> str:
    minutes, rest = divmod(seconds, 60)
    return f"{minutes}:{rest:02d}"


def _hour(slot: int, lang: Lang) -> str:
    day = get_day_names("wide", locale=locale(lang))[slot // 24]
    return f"{day} {slot % 24}:00-{slot % 24 + 1}:00"


def _one_line(text: str) -> str:
    """A name from the export as a comment may show it: on one line."""
    return " ".join(text.split())


def _valued(key: str, value: Any, comment: str) -> str:
    """``key: value`` in a flow, its comment after it."""
    line = f"    {key}: {value}"
    return f"{line.ljust(VALUE_COLUMN)}  # {comment}"


def _flow(m: Measured, year: Year, lang: Lang) -> list[str]:
    words, months = _words(lang), _span(year, lang)
    ratio = number(m.peak_ratio, 2, lang)
    busiest = str(format_date(dt.date(2000, m.busiest_month, 1), "MMMM", locale=locale(lang)))
    name = m.name or m.flow_id
    lines = [wrap(words["flow"].format(name=_one_line(name), queues=", ".join(_one_line(q) for q in m.queues),
                                       offered=number(m.offered, 0, lang)), WIDTH, "  # "),
             f"  - id: {m.flow_id}", f"    name: {json.dumps(name, ensure_ascii=False)}",
             f"    channel: {m.channel.value}",
             _valued("monthly_volume", m.monthly_volume, words["monthly_volume"].format(months=months)),
             _valued("aht_seconds", m.aht_seconds, words["aht_seconds"].format(clock=_clock(m.aht_seconds))),
             wrap(words["monthly_profile"].format(months=months, month=busiest, ratio=ratio), WIDTH, "    # "),
             f"    monthly_profile: [{', '.join(str(v) for v in m.monthly_profile)}]"]
    if m.coverage_hours is not None:
        lines.append(_valued("coverage_hours_needed", m.coverage_hours,
                             words["coverage_hours_needed"].format(weeks=m.weeks)))
    if m.intraday_peak_factor is not None and m.busiest_hour is not None:
        lines.append(_valued("intraday_peak_factor", m.intraday_peak_factor, words["intraday_peak_factor"].format(
            hour=_hour(m.busiest_hour, lang), hours=m.coverage_hours)))
    if m.abandonment_pct is not None:
        said = words["abandonment_pct"] + ("" if m.asa_seconds is None else
                                           f"; {words['asa'].format(seconds=m.asa_seconds)}")
        lines.append(_valued("abandonment_pct", m.abandonment_pct, said))
    if m.weekly_profile is not None:
        lines += [f"    # {words['weekly_profile']}", "    weekly_profile:"]
        lines += [f"      {day}: [{', '.join(f'{share:g}' for share in shares)}]"
                  for day, shares in m.weekly_profile.items()]
    else:
        lines.append(f"    # {words['daily']}")
    return lines


def answers_text(export: Export, year: Year, measured: tuple[Measured, ...], lang: Lang, ask: str,
                 recommend: str) -> str:
    """The answers file: a header saying where the figures come from and what to give next, then
    each flow with what the export measures, every value commented with how it was derived."""
    words = _words(lang)
    header = [words["header"].format(source=export.source, months=_span(year, lang)), words["header_defaults"],
              words["header_next"].format(ask=ask, recommend=recommend)]
    lines = [wrap(text, WIDTH, "# ") for text in header]
    lines.append("flows:")
    for m in measured:
        lines += _flow(m, year, lang)
    return "\n".join(lines) + "\n"


def import_summary(export: Export, year: Year, measured: tuple[Measured, ...], out: str, lang: Lang, ask: str,
                   recommend: str) -> str:
    """What was read, left out and written, one flow a line, and what to do next."""
    words = _words(lang)
    interval = (words["interval"].format(minutes=export.interval_minutes) if export.interval_minutes
                else words["daily_rows"])
    lines = [words["read"].format(source=export.source, rows=number(export.rows_read, 0, lang), interval=interval,
                                  first=export.first.isoformat(), last=export.last.isoformat()),
             words["year"].format(months=_span(year, lang))]
    if year.left_out:
        lines.append(words["left_out"].format(months=", ".join(_month(m, lang) for m in year.left_out)))
    if export.skipped:
        reasons = [f"{number(count, 0, lang)} {words['skip'][why].format(queues=', '.join(export.unmapped))}"
                   for why, count in sorted(export.skipped.items())]
        lines.append(words["skipped"].format(reasons="; ".join(reasons)))
    if export.ignored_columns:
        lines.append(words["ignored"].format(columns=", ".join(_one_line(c) for c in export.ignored_columns)))
    lines.append(words["written"].format(count=len(measured), out=out))
    for m in measured:
        line = words["flow_line"].format(id=m.flow_id, queues=", ".join(m.queues),
                                         volume=number(m.monthly_volume, 0, lang), clock=_clock(m.aht_seconds),
                                         ratio=number(m.peak_ratio, 2, lang))
        if m.coverage_hours is not None and m.intraday_peak_factor is not None:
            line += words["flow_hours"].format(hours=m.coverage_hours, factor=number(m.intraday_peak_factor, 2, lang))
        if m.abandonment_pct is not None:
            line += words["flow_abandon"].format(pct=percent(m.abandonment_pct, 1, lang))
        lines.append(f"  {line}")
    lines.append(words["next"].format(ask=ask, recommend=recommend))
    return "\n".join(lines) + "\n"
