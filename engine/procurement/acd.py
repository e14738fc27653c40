"""Reading a telephony (ACD) or workforce-management export into the traffic of each flow.

An export is a table with one row per queue and interval (or per queue and day): CSV (``,``, ``;`` or
tab, UTF-8 with or without a byte-order mark, a decimal comma with ``;``), the same gzipped
(``.csv.gz``), or the first sheet of an ``.xlsx`` workbook (or the one a mapping file names). Its
columns are recognised by their usual headers in English and French, whatever their case and
accents; a mapping file names other headers and groups queues into flows. Without one, each queue
is a flow, its id made from the queue's name.

Rows are streamed: only the sums of each flow are kept (per calendar month, per hour of the week, the
hours of each week with traffic), never the rows, so that a year of quarter-hours for fifty queues
(1.75 million rows) is read in constant memory. Every impossible value is a located ``Problem``
(``file:ROW: column NAME: found 'x', expected ...``), all reported together.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import itertools
import math
import re
import unicodedata
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..errors import MAX_LISTED, Arg, ExportError, Phrase, Problem, excerpt
from ..load import DocumentError, read_document
from ..models import Channel, Slug
from ..policy.loading import validate_document
from ..problems import error, os_reason, phrase, problem

Column = Literal["datetime", "date", "interval", "queue", "offered", "handled", "abandoned", "aht", "asa"]

# The headers each column goes by, folded (lower case, no accents, words separated by one space).
HEADERS: dict[Column, tuple[str, ...]] = {
    "datetime": ("datetime", "date time", "timestamp", "interval start datetime", "start datetime", "date heure",
                 "horodatage", "date et heure"),
    "date": ("date", "day", "jour", "date jour", "report date"),
    "interval": ("interval", "interval start", "start time", "time", "half hour", "quarter hour", "intervalle",
                 "tranche", "tranche horaire", "heure", "debut intervalle", "heure debut"),
    "queue": ("queue", "queue name", "skill", "skill name", "split", "split skill", "file", "file d attente",
              "competence", "groupe"),
    "offered": ("offered", "offers", "offerts", "presentes", "recus"),
    "handled": ("handled", "answered", "traites", "repondus", "decroches"),
    "abandoned": ("abandoned", "abandons", "abandonnes", "perdus"),
    "aht": ("aht", "average handling time", "average handle time", "avg handle time", "handle time", "dmt",
            "duree moyenne de traitement", "tmt", "temps moyen de traitement"),
    "asa": ("asa", "average speed of answer", "avg speed of answer", "speed of answer", "dma", "tma",
            "delai moyen de reponse", "temps moyen d attente", "delai moyen d attente"),
}
# The nouns a count's header may name before or after it: "Calls offered", "Offered calls", "Appels offerts".
COUNTED = frozenset({"calls", "call", "contacts", "appels", "chats", "interactions"})
NEEDED: tuple[Column, ...] = ("queue", "offered", "handled", "aht")
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y", "%Y/%m/%d", "%d-%m-%Y")
TOTAL_WORDS = ("total", "totals", "total general", "sum", "somme")
MAX_AHT = 86_400  # a day: no contact is handled longer
# The interval lengths of telephony and workforce exports, in minutes: each divides the hour.
LENGTHS = (5, 10, 15, 20, 30, 60)

# A workbook's sheets are streamed row by row; its other parts (the shared texts, the styles) are read
# whole, so a file whose other parts unpack to more is refused before it is parsed (a zip bomb unpacks
# kilobytes into gigabytes). A year of quarter-hours for fifty queues shares a few thousand texts: a few
# hundred kilobytes.
WORKSHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
MAX_WHOLE_PARTS_BYTES = 32 * 2**20

# The most contacts one interval can hold: a flow's monthly volume is at most as many (engine.models.Flow).
MAX_COUNT = 100_000_000


class FlowQueues(BaseModel):
    """The queues a flow groups, on one channel."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    queues: Annotated[tuple[Annotated[str, Field(min_length=1)], ...], Field(min_length=1)]
    channel: Channel = Channel.phone
    name: Annotated[str, Field(min_length=1, max_length=200)] | None = None


class Mapping(BaseModel):
    """A mapping file: the headers of the export's columns, its sheet and date format, its flows."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    columns: dict[Column, Annotated[str, Field(min_length=1)]] = {}
    sheet: str | None = None
    date_format: str | None = None
    channel: Channel = Channel.phone
    flows: dict[Slug, FlowQueues] = {}

    @model_validator(mode="after")
    def _one_flow_a_queue(self) -> Mapping:
        seen: dict[str, str] = {}
        for flow_id, flow in self.flows.items():
            for queue in flow.queues:
                if queue in seen:
                    raise ValueError(f"the queue {queue!r} is in two flows, {seen[queue]} and {flow_id}")
                seen[queue] = flow_id
        return self


def read_mapping(path: Path) -> Mapping:
    """Read and check a mapping file (YAML, the safe loader of the answers); ``ExportError`` if wrong."""
    try:
        doc = read_document(path, what="what.mapping_file")
    except DocumentError as exc:
        raise error(ExportError, "acd.mapping_unreadable", exc.problem, path=str(path)) from None
    problems: list[Problem] = []
    mapping = validate_document(Mapping, doc, problems)
    if mapping is None:
        raise error(ExportError, "acd.mapping_invalid", *problems, path=str(path))
    return mapping


@dataclass
class FlowTraffic:
    """What the rows of one flow add up to. Per month (year, month): offered, handled, handling
    seconds (handled × AHT), abandoned, answer seconds (handled × ASA), rows; per month, offered
    contacts in each of the 168 hours of the week (Monday 0:00 first); per week (``week_of``), the
    hours of the week with offered contacts, as bits."""

    flow_id: str
    name: str | None
    channel: Channel
    queues: list[str] = field(default_factory=list)
    months: dict[tuple[int, int], list[float]] = field(default_factory=dict)
    hours: dict[tuple[int, int], list[float]] = field(default_factory=dict)
    weeks: dict[int, int] = field(default_factory=dict)


@dataclass
class Export:
    """An export read: each flow's traffic, the dates it spans and what was read and left out."""

    source: str
    flows: dict[str, FlowTraffic]
    first: dt.date
    last: dt.date
    interval_minutes: int | None  # None for a daily export
    rows_read: int
    skipped: Counter[str]  # rows left out, by why: blank, total (a total row), unmapped (a queue in no flow)
    unmapped: tuple[str, ...]  # the queues the mapping file's flows leave out
    ignored_columns: tuple[str, ...]
    has_abandoned: bool
    has_asa: bool


def folded(text: str) -> str:
    """A header as compared: lower case, accents dropped, anything but letters and digits a single space."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", plain).split())


def week_of(ordinal: int) -> int:
    """The week of a date given as days since 0001-01-01 (a Monday): weeks run Monday to Sunday."""
    return (ordinal - 1) // 7


def queue_slug(queue: str) -> str:
    """A flow id made from a queue's name: ``Q_ORDERS`` gives ``q-orders``."""
    slug = re.sub(r"[^a-z0-9]+", "-", folded(queue).replace(" ", "-")).strip("-")[:64].rstrip("-")
    return slug or "queue"


# -------------------------------------------------------------------------------------------------
# Tables: a header, then numbered rows


@dataclass
class _Table:
    header: list[str]
    rows: Iterator[tuple[int, Sequence[Any]]]
    decimal_comma: bool
    close: Callable[[], None]


def _csv_table(path: Path, source: str) -> _Table | None:
    """A CSV export (gzipped when its name ends in .gz), its delimiter the one its header uses most."""
    handle = (gzip.open(path, "rt", encoding="utf-8-sig", newline="") if path.name.lower().endswith(".gz")
              else path.open("r", encoding="utf-8-sig", newline=""))
    try:
        first = handle.readline()
    except BaseException:
        handle.close()
        raise
    if not first.strip():
        handle.close()
        return None
    delimiter = max((";", "\t", ","), key=first.count)
    reader = csv.reader(itertools.chain([first], handle), delimiter=delimiter)
    header = next(reader)
    rows = ((reader.line_num, cells) for cells in reader)
    return _Table(header, rows, delimiter == ";", handle.close)


def _xlsx_table(path: Path, source: str, sheet: str | None) -> _Table | None:
    """An export's sheet: the one named, else the first, read without formulas (their values only)."""
    import openpyxl

    with zipfile.ZipFile(path) as archive:
        sheets = _worksheet_parts(archive)
        whole = sum(info.file_size for info in archive.infolist() if info.filename not in sheets)
    if whole > MAX_WHOLE_PARTS_BYTES:
        raise error(ExportError, "acd.cannot_import", problem(
            source, None, "", "acd.too_big_parts", most=MAX_WHOLE_PARTS_BYTES // 2**20), source=source)
    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    if sheet is not None and sheet not in book.sheetnames:
        names = ", ".join(repr(name) for name in book.sheetnames)
        book.close()
        raise error(ExportError, "acd.cannot_import", problem(
            source, None, "sheet", "acd.no_sheet", sheet=excerpt(sheet), names=names), source=source)
    cells = (book[sheet] if sheet is not None else book.worksheets[0]).iter_rows(values_only=True)
    header = next(cells, None)
    if header is None or not any(v not in (None, "") for v in header):
        book.close()
        return None
    return _Table(["" if v is None else str(v) for v in header], enumerate(cells, start=2), False, book.close)


def _worksheet_parts(archive: zipfile.ZipFile) -> frozenset[str]:
    """The parts of a workbook that are worksheets (read row by row); every other part (the shared texts
    above all, which openpyxl finds by their declared type wherever they are stored) is read whole."""
    from xml.etree import ElementTree

    try:
        info = archive.getinfo("[Content_Types].xml")
    except KeyError:
        return frozenset()
    if info.file_size > MAX_WHOLE_PARTS_BYTES:
        return frozenset()  # counted whole, and refused
    declared = {node.get("PartName", "").lstrip("/"): node.get("ContentType")
                for node in ElementTree.fromstring(archive.read(info)) if node.tag.endswith("Override")}
    # A sheet is a part declared as one, or one in the sheets' folder declared as nothing else.
    return frozenset(name for name in archive.namelist() if declared.get(name) == WORKSHEET_TYPE
                     or name not in declared and name.startswith("xl/worksheets/"))


def _open(path: Path, source: str, sheet: str | None) -> _Table | None:
    """The table of an export, or None when it is empty; ``ExportError`` when it cannot be read."""
    def fail(key: str, **args: Arg) -> ExportError:
        return error(ExportError, "acd.cannot_import", problem(source, None, "", key, **args), source=source)

    try:
        if path.suffix.lower() in (".xlsx", ".xlsm"):
            return _xlsx_table(path, source, sheet)
        return _csv_table(path, source)
    except FileNotFoundError:
        raise fail("acd.missing") from None
    except IsADirectoryError:
        raise fail("acd.directory") from None
    except UnicodeDecodeError:
        raise fail("acd.not_utf8") from None
    except (gzip.BadGzipFile, EOFError, zlib.error):
        raise fail("acd.not_gzip") from None
    except (zipfile.BadZipFile, KeyError, ValueError, SyntaxError) as exc:
        raise fail("acd.not_xlsx", detail=excerpt(str(exc), 80)) from None
    except OSError as exc:
        raise fail("file.unreadable", reason=os_reason(exc)) from None


# -------------------------------------------------------------------------------------------------
# Columns


def _known(header: str) -> Column | None:
    """The column a header names, if Arbitre knows it: a count may be named with its noun before or
    after it ("Offered calls", "Calls offered")."""
    text = folded(header)
    words = text.split()
    bare = " ".join(word for word in words if word not in COUNTED) if len(words) > 1 else text
    for column, names in HEADERS.items():
        if text in names or bare in names:
            return column
    return None


def _columns(header: list[str], mapping: Mapping, source: str) -> tuple[dict[Column, int], list[str]]:
    """Where each known column is, and the headers not recognised; ``ExportError`` when a needed
    column is missing or recognised twice, or a header the mapping names is not there."""
    problems: list[Problem] = []
    found: dict[Column, int] = {}
    by_header = {folded(text): index for index, text in enumerate(header)}
    for column, text in mapping.columns.items():
        if folded(text) in by_header:
            found[column] = by_header[folded(text)]
        else:
            problems.append(problem(source, 1, "", "acd.column_not_in_header", header=text, column=column,
                                    found=", ".join(header)))
    taken = set(found.values())
    for index, text in enumerate(header):
        if index in taken:
            continue
        known = _known(text)
        if known is None or known in mapping.columns:
            continue
        if known in found:
            problems.append(problem(source, 1, "", "acd.column_twice", header=text, column=known,
                                    first=repr(header[found[known]])))
        else:
            found[known] = index
    needed: list[Column] = list(NEEDED) if "datetime" in found else [*NEEDED, "date"]
    for column in needed:
        if column not in found:
            usual = ", ".join(HEADERS[column][:4])
            problems.append(problem(source, 1, "", "acd.column_missing", column=column, usual=usual,
                                    found=", ".join(header) or phrase("acd.no_header")))
    if problems:
        raise error(ExportError, "acd.columns", *problems, source=source)
    ignored = [text for index, text in enumerate(header) if index not in set(found.values()) and text.strip()]
    return found, ignored


# -------------------------------------------------------------------------------------------------
# Cells


class _Bad(ValueError):
    """A cell that is not what its column holds: ``expected`` (an ``acd.expect.*`` phrase of the
    catalogue) says what would be."""

    def __init__(self, key: str, **args: Arg) -> None:
        super().__init__(key)
        self.expected = phrase(key, **args)


_TIME = re.compile(r"(\d{1,2})[:hH](\d{2})(?::(\d{2}))?")


def _minute(value: Any) -> int:
    """The minute of the day an interval starts: ``08:30``, ``8h30``, ``08:30:00``, ``08:30-09:00``."""
    if isinstance(value, dt.datetime):
        return value.hour * 60 + value.minute
    if isinstance(value, dt.time):
        return value.hour * 60 + value.minute
    found = _TIME.match(str(value).strip())
    if found is None or int(found[1]) > 23 or int(found[2]) > 59:
        raise _Bad("acd.expect.time")
    return int(found[1]) * 60 + int(found[2])


class _Cells:
    """Turning cells into values, with what parsed before remembered (a year has 365 dates and a
    day 96 quarter-hours, read 1.75 million times)."""

    def __init__(self, date_format: str | None, decimal_comma: bool, today: dt.date) -> None:
        self.formats = (date_format,) if date_format else DATE_FORMATS
        self.decimal_comma = decimal_comma
        self.today = today.toordinal()
        self._dates: dict[Any, int] = {}
        self._minutes: dict[Any, int] = {}

    def day(self, value: Any) -> int:
        """The date of a cell, as days since 0001-01-01; a date after today is refused."""
        known = self._dates.get(value)
        if known is None:
            known = self._dates[value] = self._parse_day(value)
        if known > self.today:
            raise _Bad("acd.expect.not_future", today=dt.date.fromordinal(self.today).isoformat())
        return known

    def _parse_day(self, value: Any) -> int:
        if isinstance(value, (dt.date, dt.datetime)):
            return value.toordinal()
        text = str(value).strip()
        for form in self.formats:
            try:
                return dt.datetime.strptime(text, form).toordinal()
            except ValueError:
                continue
        raise _Bad("acd.expect.date")

    def minute(self, value: Any) -> int:
        known = self._minutes.get(value)
        if known is None:
            known = self._minutes[value] = _minute(value)
        return known

    def moment(self, value: Any) -> tuple[int, int]:
        """A date and time in one cell: ``2025-01-06 08:30`` or ``2025-01-06T08:30:00``."""
        if isinstance(value, dt.datetime):
            return self.day(value), _minute(value)
        text = str(value).strip()
        day, sep, time = text.replace("T", " ", 1).partition(" ")
        if not sep:
            raise _Bad("acd.expect.datetime")
        return self.day(day), self.minute(time.strip())

    def number(self, value: Any) -> float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        text = str(value).strip().replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
        if self.decimal_comma:
            text = text.replace(",", ".")
        try:
            number = float(text)
        except ValueError:
            raise _Bad("acd.expect.number") from None
        if number != number or number in (float("inf"), float("-inf")):
            raise _Bad("acd.expect.finite")
        return number

    def count(self, value: Any) -> int:
        """A number of contacts in one interval: whole, from 0 to ``MAX_COUNT`` (a flow's monthly volume
        cannot be larger)."""
        if type(value) is str and value.isascii() and value.isdigit() and len(value) <= len(str(MAX_COUNT)):
            number = float(value)
        else:
            try:
                number = self.number(value)
            except _Bad:
                raise _Bad("acd.expect.count", most=MAX_COUNT) from None
        if not 0 <= number <= MAX_COUNT or not number.is_integer():
            raise _Bad("acd.expect.count", most=MAX_COUNT)
        return int(number)

    def seconds(self, value: Any) -> float:
        """A duration: seconds (``271``, ``271.5``), ``mm:ss`` or ``hh:mm:ss``, or a spreadsheet's time."""
        if type(value) is str and value.isascii() and value.isdigit():
            seconds = float(value)
        elif isinstance(value, dt.timedelta):
            seconds = value.total_seconds()
        elif isinstance(value, dt.time):
            seconds = value.hour * 3600 + value.minute * 60 + value.second + value.microsecond / 1e6
        elif isinstance(value, str) and ":" in value:
            parts = value.strip().split(":")
            if len(parts) not in (2, 3) or not all(p.isascii() and p.isdigit() for p in parts):
                raise _Bad("acd.expect.duration")
            seconds = float(sum(int(p) * 60 ** i for i, p in enumerate(reversed(parts))))
        else:
            try:
                seconds = self.number(value)
            except _Bad:
                raise _Bad("acd.expect.duration") from None
        if not 0 <= seconds <= MAX_AHT:
            raise _Bad("acd.expect.duration_range", most=MAX_AHT)
        return seconds


# -------------------------------------------------------------------------------------------------
# Rows


def _shown(day: int, minute: int | None) -> str:
    """An interval as a message shows it: ``2025-03-04 08:30``, or the day alone."""
    return dt.date.fromordinal(day).isoformat() + ("" if minute is None else f" {minute // 60:02d}:{minute % 60:02d}")


@dataclass(frozen=True)
class _Day:
    """What the aggregation needs of a date: its month, its weekday (Monday 0) and its week."""

    month: tuple[int, int]
    weekday: int
    week: int


class _Reader:
    """The state of one pass over an export's rows: each flow's sums, the intervals seen per queue
    and day (a duplicate is an error), the interval length, and the problems found."""

    def __init__(self, source: str, mapping: Mapping, columns: dict[Column, int], header: list[str],
                 cells: _Cells) -> None:
        self.source, self.mapping, self.columns, self.header, self.cells = source, mapping, columns, header, cells
        self.flows: dict[str, FlowTraffic] = {}
        self.flow_of: dict[str, FlowTraffic | None] = {}
        self.seen: dict[tuple[str, int], bytearray] = {}
        self.interval: int | None = None  # minutes
        self.days: dict[int, _Day] = {}
        self.problems: list[Problem] = []
        self.problem_count = 0
        self.rows_read = 0
        self.skipped: Counter[str] = Counter()
        # The figures of a row, each at its place (an absent abandoned or asa column reads as 0).
        self.figures = [(place, column, columns[column], parse, column in ("abandoned", "asa"))
                        for place, (column, parse) in enumerate((
                            ("offered", cells.count), ("handled", cells.count), ("aht", cells.seconds),
                            ("abandoned", cells.count), ("asa", cells.seconds))) if column in columns]
        self.when: Column = "interval" if "interval" in columns else "datetime" if "datetime" in columns else "date"

    def refuse(self, row: int, column: Column, value: Any, expected: Phrase) -> None:
        """Count a row's wrong value, and list it among the first ``MAX_LISTED``."""
        self.problem_count += 1
        if len(self.problems) < MAX_LISTED:
            name = self.header[self.columns[column]] if column in self.columns else column
            shown = excerpt(value if not isinstance(value, (dt.date, dt.time)) else str(value))
            self.problems.append(problem(self.source, row, "", "acd.row", name=name, value=shown, expected=expected))

    def flow(self, queue: str) -> FlowTraffic | None:
        """The flow a queue belongs to: the mapping's, or one of its own; None for a queue the
        mapping's flows leave out."""
        if queue in self.flow_of:
            return self.flow_of[queue]
        found: FlowTraffic | None = None
        if self.mapping.flows:
            flow_id = next((fid for fid, f in self.mapping.flows.items() if queue in f.queues), None)
            if flow_id is not None:
                spec = self.mapping.flows[flow_id]
                found = self.flows.setdefault(flow_id, FlowTraffic(flow_id, spec.name, spec.channel))
        else:
            flow_id = queue_slug(queue)
            while flow_id in self.flows:
                flow_id = f"{flow_id[:60]}-{len(self.flows) + 1}"
            found = self.flows[flow_id] = FlowTraffic(flow_id, queue, self.mapping.channel)
        if found is not None:
            found.queues.append(queue)
        self.flow_of[queue] = found
        return found

    def day_of(self, ordinal: int) -> _Day:
        known = self.days.get(ordinal)
        if known is None:
            date = dt.date.fromordinal(ordinal)
            known = self.days[ordinal] = _Day((date.year, date.month), date.weekday(), week_of(ordinal))
        return known

    def read(self, number: int, cells: Sequence[Any]) -> None:
        """Check one row and add it to its flow's sums; a row with a problem adds nothing."""
        columns = self.columns
        if len(cells) < len(self.header):
            cells = [*cells, *[None] * (len(self.header) - len(cells))]
        if not any(cells):
            self.skipped["blank"] += 1
            return
        when = cells[columns["datetime"] if "datetime" in columns else columns["date"]]
        if isinstance(when, str) and when[:1].isalpha() and folded(when) in TOTAL_WORDS:  # dates start with a digit
            self.skipped["total"] += 1
            return
        self.rows_read += 1
        before = self.problem_count
        moment = self._moment(number, cells)
        queue = "" if cells[columns["queue"]] is None else str(cells[columns["queue"]]).strip()
        if not queue:
            self.refuse(number, "queue", cells[columns["queue"]], phrase("acd.expect.queue"))
        figures = self._figures(number, cells)
        if self.problem_count > before or moment is None or figures is None:
            return
        flow = self.flow(queue)
        if flow is None:
            self.skipped["unmapped"] += 1
            return
        if not self._new_interval(number, queue, moment):
            return
        self._add(flow, moment, figures)

    def _moment(self, number: int, cells: Sequence[Any]) -> tuple[int, int | None] | None:
        """The day of a row and the minute its interval starts (None in a daily export)."""
        columns = self.columns
        try:
            if "datetime" in columns:
                return self.cells.moment(cells[columns["datetime"]])
            day = self.cells.day(cells[columns["date"]])
        except _Bad as bad:
            self.refuse(number, "datetime" if "datetime" in columns else "date",
                         cells[columns["datetime" if "datetime" in columns else "date"]], bad.expected)
            return None
        if "interval" not in columns:
            return day, None
        try:
            return day, self.cells.minute(cells[columns["interval"]])
        except _Bad as bad:
            self.refuse(number, "interval", cells[columns["interval"]], bad.expected)
            return None

    def _figures(self, number: int, cells: Sequence[Any]) -> tuple[int, int, float, int, float] | None:
        """Offered, handled, AHT, abandoned and ASA of a row, each checked, and checked together."""
        columns = self.columns
        values: list[float] = [0.0] * 5  # offered, handled, aht, abandoned, asa
        wrong = False
        for place, column, index, parse, optional in self.figures:
            raw = cells[index]
            if optional and (raw is None or raw == ""):
                continue
            try:
                values[place] = parse(raw)
            except _Bad as bad:
                self.refuse(number, column, raw, bad.expected)
                wrong = True
        if wrong:
            return None
        offered, handled, aht, abandoned, asa = int(values[0]), int(values[1]), values[2], int(values[3]), values[4]
        within = "acd.expect.within_offered_one" if offered == 1 else "acd.expect.within_offered"
        if handled > offered:
            self.refuse(number, "handled", cells[columns["handled"]], phrase(within, offered=offered))
        if abandoned > offered:
            self.refuse(number, "abandoned", cells[columns["abandoned"]], phrase(within, offered=offered))
        if aht == 0 and handled > 0:
            self.refuse(number, "aht", cells[columns["aht"]], phrase(
                "acd.expect.handling_time_one" if handled == 1 else "acd.expect.handling_time", handled=handled))
        if handled > offered or abandoned > offered or (aht == 0 and handled > 0):
            return None
        return offered, handled, aht, abandoned, asa

    def _new_interval(self, number: int, queue: str, moment: tuple[int, int | None]) -> bool:
        """Whether a row's interval is new for its queue and fits the export's interval length.

        The length is the greatest common divisor of the hour and of the minutes of the day the rows
        start at: an export leaves out the intervals without traffic, so rows may lie several intervals
        apart (a half-hour export read 08:00, 09:00, 09:30 is of 30 minutes; one row at 09:15 among
        half-hours makes it of 15), and rows only whole hours apart are hourly rows (not of 2 or 9
        hours). A row that would make it other than one of ``LENGTHS`` (a typing slip, 09:01 among
        half-hours, or rows at :07 and :37) is refused at its own row, whatever the rows around it: the
        length only ever shrinks, and none of the lengths below it would be one."""
        day, minute = moment
        at = 0 if minute is None else minute
        seen = self.seen.get((queue, day))
        if seen is None:
            seen = self.seen[(queue, day)] = bytearray(180)
        if seen[at >> 3] >> (at & 7) & 1:
            self.refuse(number, self.when, _shown(day, minute), phrase("acd.expect.once", queue=queue))
            return False
        if minute is not None:
            length = math.gcd(self.interval or 60, at)
            if length not in LENGTHS:
                self.refuse(number, self.when, _shown(day, minute), phrase(
                    "acd.expect.interval", lengths=", ".join(map(str, LENGTHS[:-1])), last=LENGTHS[-1],
                    length=length))
                return False
            self.interval = length
        seen[at >> 3] |= 1 << (at & 7)
        return True

    def _add(self, flow: FlowTraffic, moment: tuple[int, int | None],
             figures: tuple[int, int, float, int, float]) -> None:
        day, minute = moment
        offered, handled, aht, abandoned, asa = figures
        info = self.day_of(day)
        month = flow.months.get(info.month)
        if month is None:
            month = flow.months[info.month] = [0.0] * 6
            flow.hours[info.month] = [0.0] * 168
        month[0] += offered
        month[1] += handled
        month[2] += handled * aht
        month[3] += abandoned
        month[4] += handled * asa
        month[5] += 1
        if minute is not None and offered:
            slot = info.weekday * 24 + minute // 60
            flow.hours[info.month][slot] += offered
            flow.weeks[info.week] = flow.weeks.get(info.week, 0) | 1 << slot


def read_export(path: Path, mapping: Mapping | None = None, today: dt.date | None = None) -> Export:
    """Read an export into each flow's traffic; ``ExportError`` with every problem found (up to
    ``MAX_LISTED`` listed, all counted)."""
    mapping = mapping or Mapping()
    source = str(path)
    table = _open(path, source, mapping.sheet)
    if table is None:
        raise error(ExportError, "acd.cannot_import", problem(source, 1, "", "acd.empty"), source=source)
    try:
        columns, ignored = _columns(table.header, mapping, source)
        reader = _Reader(source, mapping, columns, table.header, _Cells(mapping.date_format, table.decimal_comma,
                                                                         today or dt.date.today()))
        for number, cells in table.rows:
            reader.read(number, cells)
    except UnicodeDecodeError:
        raise error(ExportError, "acd.cannot_import", problem(source, None, "", "acd.not_utf8"),
                    source=source) from None
    except (gzip.BadGzipFile, EOFError, zipfile.BadZipFile, zlib.error, csv.Error, SyntaxError) as exc:
        raise error(ExportError, "acd.cannot_import", problem(source, None, "", "acd.damaged",
                                                              detail=excerpt(str(exc), 80)), source=source) from None
    finally:
        table.close()
    if reader.problem_count:
        listed = min(reader.problem_count, MAX_LISTED)
        many = reader.problem_count > listed
        key = "acd.row_problems_listed" if many else "acd.row_problems" if listed > 1 else "acd.row_problem"
        raise error(ExportError, key, *reader.problems, source=source, count=reader.problem_count,
                    **({"listed": listed} if many else {}))
    if not reader.days:
        skipped = reader.skipped
        found = (problem(source, 2, "", "acd.no_traffic_skipped", blank=skipped["blank"], total=skipped["total"],
                         unmapped=skipped["unmapped"]) if skipped else problem(source, 2, "", "acd.no_traffic"))
        raise error(ExportError, "acd.cannot_import", found, source=source)
    flows = {fid: reader.flows[fid] for fid in mapping.flows if fid in reader.flows} if mapping.flows else reader.flows
    return Export(source, flows, dt.date.fromordinal(min(reader.days)), dt.date.fromordinal(max(reader.days)),
                  reader.interval, reader.rows_read, reader.skipped,
                  tuple(q for q, flow in reader.flow_of.items() if flow is None), tuple(ignored), "abandoned" in columns, "asa" in columns)
