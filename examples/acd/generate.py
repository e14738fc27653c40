"""Write the telephony export of the Acme Retail example: a year (2025) of half-hour intervals for
three queues, in the French export format of a contact-centre platform (``;``, dd/mm/yyyy, DMT as
mm:ss).

The queues carry three flows of examples/acme-retail.yaml with their monthly volumes and handling
times: orders by phone (14,000 calls a month, 4:30, December 1.3 times an average month), after-sales
by phone (6,800 calls, 8:00, January 1.5 times and June 1.3 times the average) and level-1 support by
chat (9,500 sessions, 7:00, December 1.3 times). Traffic comes only in the opening hours (phone:
Monday to Friday 9:00-19:00 and Saturday 9:00-14:00; chat: every day but Sunday until 21:00), is
highest on Monday mornings, and stops on public holidays. Seeded and standard library only: the same
file every run.

    python examples/acd/generate.py [OUT]      (default: examples/acd/acme-acd-2025.csv.gz)
"""

from __future__ import annotations

import datetime as dt
import gzip
import io
import random
import sys
from pathlib import Path

SEED = 2025
YEAR = 2025
HOLIDAYS = {dt.date(YEAR, m, d) for m, d in ((1, 1), (4, 21), (5, 1), (5, 8), (5, 29), (6, 9), (7, 14), (8, 15),
                                              (11, 1), (11, 11), (12, 25))}
# Calls per hour relative to an average hour of the day, for each opening hour.
PHONE_HOURS = {9: 1.1, 10: 1.35, 11: 1.3, 12: 0.9, 13: 0.8, 14: 1.05, 15: 1.05, 16: 1.0, 17: 0.9, 18: 0.7}
CHAT_HOURS = {9: 0.7, 10: 0.9, 11: 1.0, 12: 1.1, 13: 1.1, 14: 1.0, 15: 1.0, 16: 1.0, 17: 1.0, 18: 1.1, 19: 1.2,
              20: 1.1}
DAYS = (1.3, 1.05, 1.0, 0.95, 0.9, 0.75, 0.0)  # Monday to Sunday
MONDAY_MORNING = 1.25  # Monday before noon: the weekend's orders and breakdowns


def _year_shape(peaks: dict[int, float], rest: list[float]) -> list[float]:
    """Twelve monthly levels averaging 1: the ``peaks`` (month: level) as given, the other months in
    the proportions of ``rest``."""
    others = [m for m in range(1, 13) if m not in peaks]
    scale = (12 - sum(peaks.values())) / sum(rest[m - 1] for m in others)
    return [peaks.get(m, rest[m - 1] * scale) for m in range(1, 13)]


FLOWS = (
    # queue, monthly volume, AHT seconds, monthly levels, hours of the day, Saturday's closing hour, abandon rate
    ("Q_ORDERS", 14000, 270, _year_shape({12: 1.3}, [1.0, 0.9, 0.95, 0.95, 1.0, 0.95, 0.85, 0.8, 0.95, 1.0, 1.15, 1]),
     PHONE_HOURS, 14, 0.05),
    ("Q_AFTER_SALES", 6800, 480, _year_shape({1: 1.5, 6: 1.3}, [1, 1, 0.9, 0.95, 1.05, 1, 0.9, 0.8, 0.9, 0.9, 0.95, 1.1]),
     PHONE_HOURS, 14, 0.06),
    ("CHAT_SUPPORT", 9500, 420, _year_shape({12: 1.3}, [1.0, 0.9, 0.95, 0.95, 1.0, 0.95, 0.85, 0.8, 0.95, 1.0, 1.15, 1]),
     CHAT_HOURS, 21, 0.03),
)


def _whole(amounts: list[float], total: int) -> list[int]:
    """``amounts`` as whole numbers adding up to ``total`` (largest remainders first)."""
    scaled = [a * total / sum(amounts) for a in amounts]
    out = [int(s) for s in scaled]
    for index in sorted(range(len(scaled)), key=lambda i: out[i] - scaled[i])[:total - sum(out)]:
        out[index] += 1
    return out


def _slots(month: int, hours: dict[int, float], saturday_close: int) -> list[tuple[dt.date, int, float]]:
    """The open half-hours of a month (date, minute of the day) with their relative traffic."""
    out = []
    day = dt.date(YEAR, month, 1)
    while day.month == month:
        level = DAYS[day.weekday()]
        if level and day not in HOLIDAYS:
            for hour, weight in hours.items():
                if day.weekday() == 5 and hour >= saturday_close:
                    continue
                boost = MONDAY_MORNING if day.weekday() == 0 and hour < 12 else 1.0
                out += [(day, hour * 60 + half, level * weight * boost) for half in (0, 30)]
        day += dt.timedelta(days=1)
    return out


def _rows(rng: random.Random) -> list[tuple[dt.date, int, str, int, int, int, int, int]]:
    """Every row of the export: date, minute, queue, offered, handled, abandoned, AHT and ASA seconds."""
    rows = []
    for queue, volume, aht, levels, hours, saturday_close, abandon in FLOWS:
        flow_rows = []
        for month, offered_month in enumerate(_whole(levels, volume * 12), start=1):
            slots = _slots(month, hours, saturday_close)
            counts = _whole([w * rng.uniform(0.85, 1.15) for _, _, w in slots], offered_month)
            for (day, minute, _), offered in zip(slots, counts):
                abandoned = min(offered, round(offered * abandon * levels[month - 1] * rng.uniform(0.5, 1.5)))
                flow_rows.append([day, minute, queue, offered, offered - abandoned, abandoned,
                                  round(aht * rng.uniform(0.85, 1.15)), round(rng.uniform(10, 60))])
        _exact_aht(flow_rows, aht)
        rows += flow_rows
    rows.sort(key=lambda r: (r[0], r[1], r[2]))
    return [tuple(r) for r in rows]  # type: ignore[misc]


def _exact_aht(rows: list[list], aht: int) -> None:  # type: ignore[type-arg]
    """Nudge the rows' handling times by a second each until the handled-weighted mean is ``aht``."""
    missing = aht * sum(r[4] for r in rows) - sum(r[4] * r[6] for r in rows)
    for row in sorted(rows, key=lambda r: -r[4]):
        if abs(missing) < max(row[4], 1):
            continue
        step = 1 if missing > 0 else -1
        row[6] += step
        missing -= step * row[4]


def write(path: Path) -> None:
    text = io.StringIO()
    text.write("Date;Intervalle;File;Offerts;Traités;Abandonnés;DMT;ASA\n")
    for day, minute, queue, offered, handled, abandoned, aht, asa in _rows(random.Random(SEED)):
        text.write(f"{day:%d/%m/%Y};{minute // 60:02d}:{minute % 60:02d};{queue};{offered};{handled};{abandoned};"
                   f"{aht // 60}:{aht % 60:02d};{asa}\n")
    with path.open("wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as packed:
        packed.write(text.getvalue().encode("utf-8"))


if __name__ == "__main__":
    write(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_name("acme-acd-2025.csv.gz"))
