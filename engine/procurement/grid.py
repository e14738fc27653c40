"""The pricing grid: the XLSX workbook a tender sends providers, and the reading of the one they return.

A grid holds an instructions sheet, a bidder sheet (one answer per field of ``BIDDER_FIELDS``), a
pricing sheet (one row per lot and site, the columns of ``GRID_COLUMNS``) and a hidden sheet of what the
tender fixed: its currency and its lots. The bidder and pricing sheets carry a hidden key row, so that a
grid is read by key whatever the language of its headings, the names of its sheets or the place a
provider moved a column to.

Reading trusts nothing in the file: it is refused unless it is an XLSX workbook of reasonable size;
formulas are never evaluated (the value a spreadsheet program saved with a formula is read, and a
formula saved without one is a missing cell); every cell is checked, and every problem is reported at
once with its sheet and cell: ``bid.xlsx: Pricing!M7: column per_contact: found '0.62 €/min', ...``.
"""

from __future__ import annotations

import datetime
import io
import math
import re
import unicodedata
import zipfile
import zlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from ..errors import Problem, UserError, excerpt
from ..files import write_atomic_bytes
from ..problems import error
from ..models import QUOTE_FORMS, Certification, Organisation
from .pricing import BIDDER_FIELDS, GRID_COLUMNS, LOT_COLUMNS, PRICE_COLUMNS, Bid, Lot, PriceLine

# The hidden sheet of what the tender fixed, and the format its first row names.
TENDER_SHEET = "arbitre"
FORMAT = "arbitre pricing grid 1"
# The bidder sheet's key row: the hidden first column holds each row's field, the third its answer.
BIDDER_COLUMNS = ("field", "label", "value", "note")
KEY_ROW, HEADING_ROW, FIRST_ROW = 1, 2, 3

# A returned grid is a few hundred kilobytes; a much bigger file, or one that unpacks to much more, is
# refused before it is parsed (a zip bomb unpacks kilobytes into gigabytes).
MAX_GRID_BYTES = 16 * 2**20
MAX_UNPACKED_BYTES = 128 * 2**20
MAX_ROWS = 20_000
MAX_SHEETS = 32

# ----------------------------------------------------------------------------------------------------
# Writing

_GIVEN = PatternFill("solid", fgColor="D9D9D9")  # grey: the tender's, read-only
_TO_FILL = PatternFill("solid", fgColor="FFF2CC")  # yellow: the provider's
_FORMATS = {"monthly_contacts": "#,##0", "busiest_month_contacts": "#,##0", "aht_seconds": "#,##0",
            "hours_per_week": "0", "indicative_fte": "0.0", "per_hour": "#,##0.00", "per_fte_month": "#,##0.00",
            "per_minute": "#,##0.000", "per_contact": "#,##0.00", "transition_cost": "#,##0",
            "minimum_monthly": "#,##0"}
_WIDTHS = {"lot": 26, "scope": 20, "flows": 22, "channel": 10, "languages": 10, "site": 22, "site_country": 12,
           "certifications": 22, "notes": 30}
# The certifications as a provider names them in the grid; each name reads back as its code.
_CERTIFICATION_NAMES = ("PCI DSS", "HIPAA BAA", "ISO 27001", "HDS", "SCC")


def write_grid(lots: Sequence[Lot], organisation: Organisation, words: Mapping[str, Any], path: Path) -> None:
    """Write the blank pricing grid of ``lots`` to ``path`` (atomically), amounts in the organisation's
    currency; ``words`` are the language's grid labels (``tender.grid``) with its ``values`` (channels)."""
    buffer = io.BytesIO()
    grid_workbook(lots, organisation.currency, words).save(buffer)
    write_atomic_bytes(path, buffer.getvalue())


def grid_workbook(lots: Sequence[Lot], currency: str, words: Mapping[str, Any]) -> Workbook:
    """The blank pricing grid of ``lots`` as a workbook."""
    book = Workbook()
    instructions = book.active
    assert isinstance(instructions, Worksheet)
    instructions.title = words["sheets"]["instructions"]
    bidder = book.create_sheet(words["sheets"]["bidder"])
    pricing = book.create_sheet(words["sheets"]["pricing"])
    lot_list = _write_tender(book.create_sheet(TENDER_SHEET), lots, currency)
    _write_instructions(instructions, words, currency)
    _write_bidder(bidder, words, currency)
    _write_pricing(pricing, lots, words, currency, lot_list)
    return book


def _protect(sheet: Worksheet) -> None:
    """Lock the sheet's locked cells (no password: a guard against slips, not a secret), leaving the
    provider free to resize, insert, delete and sort rows."""
    sheet.protection.sheet = True
    for allowed in ("formatColumns", "formatRows", "insertRows", "deleteRows", "sort", "autoFilter"):
        setattr(sheet.protection, allowed, False)


def _write_tender(sheet: Worksheet, lots: Sequence[Lot], currency: str) -> str | None:
    """What the tender fixed, in the hidden sheet; the range of its lot ids, for the lot drop-down."""
    sheet.append(("format", FORMAT))
    sheet.append(("currency", currency))
    for lot in lots:
        sheet.append(("lot", lot.id))
    sheet.sheet_state = "veryHidden"
    _protect(sheet)
    return f"{quote_sheetname(TENDER_SHEET)}!$B$3:$B${2 + len(lots)}" if lots else None


def _write_instructions(sheet: Worksheet, words: Mapping[str, Any], currency: str) -> None:
    sheet.append((words["instructions_title"],))
    sheet["A1"].font = Font(bold=True, size=14)
    for paragraph in words["instructions"]:
        sheet.append((str(paragraph).format(currency=currency, bidder=words["sheets"]["bidder"],
                                            pricing=words["sheets"]["pricing"]),))
        sheet.cell(sheet.max_row, 1).alignment = Alignment(wrap_text=True, vertical="top")
    sheet.column_dimensions["A"].width = 110
    _protect(sheet)


_Check = Literal["whole", "decimal", "list", "textLength"] | None
_Operator = Literal["between", "equal", "greaterThan", "greaterThanOrEqual"]


def _validation(words: Mapping[str, Any], name: str, kind: _Check,
                style: Literal["stop", "warning", "information"] = "stop", operator: _Operator | None = None,
                formula1: str | None = None, formula2: str | None = None) -> DataValidation:
    """A data validation with its prompt in the grid's language."""
    texts = words["validation"]
    return DataValidation(type=kind, errorStyle=style, operator=operator, formula1=formula1, formula2=formula2,
                          allow_blank=True, showInputMessage=True, showErrorMessage=True,
                          promptTitle=texts[f"{name}_title"], prompt=texts[name], errorTitle=texts[f"{name}_title"],
                          error=texts[name])


def _write_bidder(sheet: Worksheet, words: Mapping[str, Any], currency: str) -> None:
    """One row per bidder field: the key (hidden), the question, the answer to fill, a note."""
    sheet.append(BIDDER_COLUMNS)
    headings = words["bidder_headings"]
    sheet.append(("", headings["label"], headings["value"], headings["note"]))
    for name in BIDDER_FIELDS:
        sheet.append((name, words["bidder"][name], currency if name == "currency" else None,
                      words["bidder_notes"][name]))
        answer = sheet.cell(sheet.max_row, 3)
        answer.fill = _GIVEN if name == "currency" else _TO_FILL
        answer.protection = Protection(locked=name == "currency")
        sheet.cell(sheet.max_row, 4).alignment = Alignment(wrap_text=True, vertical="top")
        if name == "valid_until":
            answer.number_format = "yyyy-mm-dd"
    row_of = {name: FIRST_ROW + index for index, name in enumerate(BIDDER_FIELDS)}
    for name, check in (
            ("contract_months",
             _validation(words, "months", "whole", operator="between", formula1="1", formula2="120")),
            ("minimum_fte", _validation(words, "fte", "decimal", operator="greaterThanOrEqual", formula1="0"))):
        check.add(f"C{row_of[name]}")
        sheet.add_data_validation(check)
    for cell in sheet[HEADING_ROW]:
        cell.font = Font(bold=True)
    sheet.row_dimensions[KEY_ROW].hidden = True
    sheet.column_dimensions["A"].hidden = True
    for column, width in (("B", 40), ("C", 30), ("D", 70)):
        sheet.column_dimensions[column].width = width
    _protect(sheet)


def _lot_values(lot: Lot, words: Mapping[str, Any]) -> dict[str, Any]:
    """What the grid shows of a lot: the work, in the grid's language; never a cost of the company."""
    return {"lot": lot.id, "scope": words["scopes"][lot.scope], "flows": ", ".join(lot.flows),
            "channel": ", ".join(words["values"].get(channel, channel) for channel in lot.channels),
            "monthly_contacts": round(lot.monthly_contacts),
            "busiest_month_contacts": round(lot.busiest_month_contacts),
            "aht_seconds": round(lot.aht_seconds), "hours_per_week": round(lot.hours_per_week, 1),
            "languages": ", ".join(lot.languages),
            "indicative_fte": None if lot.indicative_fte is None else round(lot.indicative_fte, 1)}


def _write_pricing(sheet: Worksheet, lots: Sequence[Lot], words: Mapping[str, Any], currency: str,
                   lot_list: str | None) -> None:
    """One row per lot, the lot's columns given and locked, the price columns to fill; then free rows
    where a provider offers a lot again from another site."""
    sheet.append(GRID_COLUMNS)
    sheet.append(tuple(str(words["columns"][key]).format(currency=currency) for key in GRID_COLUMNS))
    for lot in lots:
        values = _lot_values(lot, words)
        sheet.append(tuple(values.get(key) for key in GRID_COLUMNS))
    last = FIRST_ROW + 2 * len(lots) + 9  # as many free rows as two more sites for each lot, and ten
    for row in range(FIRST_ROW, last + 1):
        for index, key in enumerate(GRID_COLUMNS, 1):
            cell = sheet.cell(row, index)
            given = key in LOT_COLUMNS and not (key == "lot" and row >= FIRST_ROW + len(lots))
            cell.fill = _GIVEN if given else _TO_FILL
            cell.protection = Protection(locked=given)
            cell.number_format = _FORMATS.get(key, "General")
    letter = {key: get_column_letter(index) for index, key in enumerate(GRID_COLUMNS, 1)}

    def column(key: str, first: int = FIRST_ROW) -> str:
        return f"{letter[key]}{first}:{letter[key]}{last}"

    checks = [(_validation(words, "country", "textLength", operator="equal", formula1="2"), column("site_country")),
              # Help only: a list validation would take one name, and a site often holds several.
              (_validation(words, "certifications", None), column("certifications"))]
    checks += [(_validation(words, "price", "decimal", "warning", operator="greaterThan", formula1="0"), column(form))
               for form in QUOTE_FORMS]
    if lot_list is not None and len(lots) < last - FIRST_ROW + 1:
        checks.append((_validation(words, "lot", "list", formula1=lot_list), column("lot", FIRST_ROW + len(lots))))
    for check, cells in checks:
        check.add(cells)
        sheet.add_data_validation(check)
    for cell in sheet[HEADING_ROW]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.row_dimensions[KEY_ROW].hidden = True
    sheet.row_dimensions[HEADING_ROW].height = 48
    for key, width in letter.items():
        sheet.column_dimensions[width].width = _WIDTHS.get(key, 14)
    sheet.freeze_panes = f"B{FIRST_ROW}"
    _protect(sheet)


# ----------------------------------------------------------------------------------------------------
# Reading


class _Bad(ValueError):
    """A cell's value does not fit its column; the message says what was expected."""


@dataclass
class _Reading:
    """A grid being read: its file, what its tender fixed, and the problems found so far."""

    source: str
    currency: str = ""
    lots: tuple[str, ...] = ()
    problems: list[Problem] = field(default_factory=list)

    def fault(self, where: str, message: str) -> None:
        self.problems.append(Problem(self.source, None, where, message))

    def cell(self, sheet: str, row: int, index: int, name: str, value: Any, exc: _Bad) -> None:
        """A cell's value that does not fit its column or field."""
        what = "column" if name in GRID_COLUMNS else "field"
        found = "missing" if _blank(value) else f"found {excerpt(value)}"
        self.fault(f"{sheet}!{get_column_letter(index + 1)}{row}", f"{what} {name}: {found}, expected {exc}")


def read_grid(path: Path) -> Bid:
    """The bid in a provider's returned grid; a ``UserError`` (exit 2) listing every problem, each at its
    sheet and cell, when the grid cannot be read or a cell does not fit."""
    reading = _Reading(str(path))
    book = _open(path, reading.source)
    try:
        answers, lines = _read_book(book, reading)
    except (zipfile.BadZipFile, zlib.error, KeyError, ValueError, TypeError, IndexError, EOFError, OSError,
            SyntaxError) as exc:  # the parts of a damaged workbook are parsed as its rows are read
        raise _not_a_grid(reading.source, "cannot be read as an XLSX workbook (it is damaged)") from exc
    finally:
        book.close()
    if reading.problems:
        raise error(UserError, "bids.unreadable", *reading.problems, path=reading.source)
    return Bid(source=reading.source, lines=tuple(lines), **answers)


def _not_a_grid(source: str, message: str) -> UserError:
    return error(UserError, "bids.unreadable", Problem(source, None, "", message), path=source)


def _open(path: Path, source: str) -> Workbook:
    """The workbook at ``path``, read-only and values only, once its size and kind are checked."""
    if "\0" in source:  # no system call takes it
        raise _not_a_grid(source, "a file name cannot hold a null character")
    try:
        with path.open("rb") as handle:
            size = path.stat().st_size
            start = handle.read(4)
    except FileNotFoundError as exc:
        raise _not_a_grid(source, "no such file") from exc
    except IsADirectoryError as exc:
        raise _not_a_grid(source, "is a directory, expected a pricing grid (.xlsx)") from exc
    except OSError as exc:
        raise _not_a_grid(source, f"cannot be read: {exc.strerror}") from exc
    if size > MAX_GRID_BYTES:
        raise _not_a_grid(source, f"is larger than {MAX_GRID_BYTES // 2**20} MB, far more than a pricing grid; "
                                  "send the grid of the tender, filled in")
    if start != b"PK\x03\x04":
        kind = "it looks like text (a CSV file renamed?)" if _looks_like_text(path) else "it is not a zip archive"
        raise _not_a_grid(source, f"is not an XLSX workbook: {kind}; save it from a spreadsheet program as .xlsx")
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            unpacked = sum(info.file_size for info in archive.infolist())
        if "xl/workbook.xml" not in names:
            raise _not_a_grid(source, "is a zip archive but not an XLSX workbook; save it from a spreadsheet "
                                      "program as .xlsx")
        if unpacked > MAX_UNPACKED_BYTES:
            raise _not_a_grid(source, f"unpacks to more than {MAX_UNPACKED_BYTES // 2**20} MB, far more than a "
                                      "pricing grid; send the grid of the tender, filled in")
        return load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, zlib.error, InvalidFileException, KeyError, ValueError, TypeError, OSError,
            SyntaxError) as exc:
        raise _not_a_grid(source, "cannot be read as an XLSX workbook (it is damaged)") from exc


def _looks_like_text(path: Path) -> bool:
    with path.open("rb") as handle:
        start = handle.read(4096)
    try:
        start.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return b"\0" not in start


def _first_row(sheet: Any) -> tuple[Any, ...]:
    for row in sheet.iter_rows(min_row=KEY_ROW, max_row=KEY_ROW, values_only=True):
        return tuple(row)
    return ()


def _read_book(book: Workbook, reading: _Reading) -> tuple[dict[str, Any], list[PriceLine]]:
    """The bidder's answers and the price lines of a workbook, its problems noted in ``reading``."""
    _read_tender(book, reading)
    bidder = pricing = None
    for name in book.sheetnames[:MAX_SHEETS]:
        keys = {str(value).strip() for value in _first_row(book[name]) if value is not None}
        if name != TENDER_SHEET and "lot" in keys and pricing is None:
            pricing = name
        elif name != TENDER_SHEET and {"field", "value"} <= keys and bidder is None:
            bidder = name
    if bidder is None:
        reading.fault("", "no bidder sheet: no sheet has the bidder sheet's hidden key row (field, label, value, "
                          "note); fill in the grid sent with the tender")
    if pricing is None:
        reading.fault("", "no pricing sheet: no sheet has the pricing sheet's hidden key row (lot, scope, ..., "
                          "notes); fill in the grid sent with the tender")
    answers = _read_bidder(book[bidder], bidder, reading) if bidder else {}
    lines = _read_pricing(book[pricing], pricing, reading) if pricing else []
    if pricing and not lines and not any(problem.path.startswith(pricing) for problem in reading.problems):
        reading.fault(pricing, "no lot is priced: fill in the site, its country and a price of at least one lot")
    return answers, lines


def _read_tender(book: Workbook, reading: _Reading) -> None:
    """The currency and the lots the tender fixed, from its hidden sheet."""
    if TENDER_SHEET not in book.sheetnames:
        raise _not_a_grid(reading.source, f"is not a pricing grid of a tender: its hidden sheet {TENDER_SHEET!r} "
                                          "is missing; fill in the grid sent with the tender")
    rows = [(row[0], row[1]) for row in book[TENDER_SHEET].iter_rows(min_col=1, max_col=2, values_only=True)]
    if not rows or rows[0] != ("format", FORMAT):
        raise _not_a_grid(reading.source, f"is not a pricing grid of a tender: its hidden sheet {TENDER_SHEET!r} "
                                          f"does not start with the format {FORMAT!r}")
    reading.currency = next((str(value) for key, value in rows if key == "currency"), "")
    reading.lots = tuple(str(value) for key, value in rows if key == "lot")


def _columns(first: tuple[Any, ...]) -> dict[str, int]:
    """Each key of a key row and its column's index (the first, if a key is repeated)."""
    out: dict[str, int] = {}
    for index, value in enumerate(first):
        if isinstance(value, str):
            out.setdefault(value.strip(), index)
    return out


def _rows(sheet: Any, name: str, reading: _Reading) -> Iterator[tuple[int, tuple[Any, ...]]]:
    """The rows under a sheet's headings with their number, at most ``MAX_ROWS`` of them."""
    for number, row in enumerate(sheet.iter_rows(min_row=FIRST_ROW, values_only=True), FIRST_ROW):
        if number - FIRST_ROW >= MAX_ROWS:
            reading.fault(f"{name}!{number}:{number}", f"more than {MAX_ROWS:,} rows, far more than a pricing grid "
                                                       "has; the rows from here on are not read")
            return
        yield number, tuple(row)


def _blank(value: Any) -> bool:
    return value is None or isinstance(value, str) and not value.strip()


def _read_bidder(sheet: Any, name: str, reading: _Reading) -> dict[str, Any]:
    """The bidder's answers, each checked; a field missing or wrong is noted at its cell."""
    columns = _columns(_first_row(sheet))
    key_at, value_at = columns["field"], columns["value"]
    found: dict[str, tuple[int, Any]] = {}
    for number, row in _rows(sheet, name, reading):
        key = row[key_at] if key_at < len(row) else None
        if isinstance(key, str) and key.strip() in BIDDER_FIELDS:
            found.setdefault(key.strip(), (number, row[value_at] if value_at < len(row) else None))
    answers: dict[str, Any] = {}
    for key in BIDDER_FIELDS:
        if key not in found:
            if key in ("bidder", "currency"):
                reading.fault(name, f"no row for field {key}: the hidden first column names each row's field; "
                                    "fill in the grid sent with the tender")
            continue
        number, value = found[key]
        try:
            answers[key] = _BIDDER_READERS[key](value, reading)
        except _Bad as exc:
            reading.cell(name, number, value_at, key, value, exc)
    return answers


def _required_text(value: Any, reading: _Reading) -> str:
    text = _text(value, reading)
    if not text:
        raise _Bad("the bidder's name")
    return text


def _tender_currency(value: Any, reading: _Reading) -> str:
    if not isinstance(value, str) or value.strip().upper() != reading.currency:
        raise _Bad(f"{reading.currency}, the tender's currency: bids are compared in it and no amount is "
                   "converted; convert your prices before bidding")
    return reading.currency


def _contract_months(value: Any, reading: _Reading) -> int | None:
    if _blank(value):
        return None
    months = _amount(value, "contract_months", None)
    if months != int(months) or not 1 <= months <= 120:
        raise _Bad(_expected("contract_months", None))
    return int(months)


def _minimum_fte(value: Any, reading: _Reading) -> float | None:
    if _blank(value):
        return None
    fte = _amount(value, "minimum_fte", None)
    if not 0 <= fte <= 100_000:
        raise _Bad(_expected("minimum_fte", None))
    return fte


def _day(value: Any, reading: _Reading) -> str | None:
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise _Bad("a date, such as 2025-06-30")
    return _text(value, reading) or None


def _optional_text(value: Any, reading: _Reading) -> str | None:
    return _text(value, reading) or None


MAX_TEXT = 2_000


def _text(value: Any, reading: _Reading) -> str:
    """A cell as text: a number as written (``12``, not ``12.0``), a date as a day."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, float):
        text = f"{value:g}"
    else:
        text = str(value).strip()
    if len(text) > MAX_TEXT:
        raise _Bad(f"a text of at most {MAX_TEXT:,} characters")
    return text


_BIDDER_READERS = {"bidder": _required_text, "currency": _tender_currency, "contract_months": _contract_months,
                   "minimum_fte": _minimum_fte, "valid_until": _day, "price_revision": _optional_text}

# What each number of the grid is, an example and its unit.
_NUMBERS = {
    "per_hour": ("a price per productive hour", "24.50", "/h"),
    "per_fte_month": ("a price per FTE a month", "3900", "/FTE"),
    "per_minute": ("a price per handled minute", "0.55", "/min"),
    "per_contact": ("a price per contact", "2.10", "/contact"),
    "transition_cost": ("a one-off amount", "25000", ""),
    "minimum_monthly": ("an amount billed a month", "15000", "/month"),
    "contract_months": ("a whole number of months from 1 to 120", "36", ""),
    "minimum_fte": ("a number of full-time equivalents", "20", ""),
}


def _expected(key: str, currency: str | None) -> str:
    """What a number of the grid should be: 'a price per contact: a number such as 2.10, or 2.10 EUR/contact'."""
    what, example, unit = _NUMBERS[key]
    if currency is None or not unit:
        return f"{what}: a number such as {example}"
    return f"{what}: a number such as {example}, or {example} {currency}{unit}"

# The units a number may carry, by column, as written once accents, case, spaces and the words 'per',
# 'a', 'de'... are set aside: '€/min', 'EUR per minute', '€ la minute' all read 'min' or 'minute'.
_UNITS: dict[str, frozenset[str]] = {
    "per_hour": frozenset({"h", "hr", "hour", "heure", "productivehour", "heureproductive"}),
    "per_fte_month": frozenset({"fte", "ftemonth", "monthfte", "etp", "etpmois", "moisetp"}),
    "per_minute": frozenset({"min", "mn", "minute", "handledminute", "minutetraitee"}),
    "per_contact": frozenset({"contact", "call", "appel", "handledcontact", "contacttraite"}),
    "transition_cost": frozenset(),
    "minimum_monthly": frozenset({"month", "mo", "mois"}),
    "contract_months": frozenset({"month", "mo", "mois"}),
    "minimum_fte": frozenset({"fte", "etp"}),
}
_UNIT_WORDS = frozenset({"h", "hr", "hour", "heure", "productive", "fte", "month", "etp", "mois", "mo", "min",
                         "mn", "minute", "handled", "traitee", "contact", "call", "appel", "traite"})
_FILLERS = frozenset({"per", "par", "a", "an", "de", "du", "l", "la", "le", "each", "the", "by", "pour", "and",
                      "et"})
# A currency sign, and the ISO codes it may stand for.
_SIGNS = {"€": {"EUR"}, "£": {"GBP"}, "US$": {"USD"}, "$US": {"USD"}, "¥": {"JPY", "CNY"}, "₹": {"INR"},
          "$": {"USD", "CAD", "AUD", "NZD", "SGD", "HKD", "MXN"}}
_CURRENCY = r"US\$|\$US|[€£$¥₹]|(?!FTE|ETP)[A-Z]{3}(?![A-Za-z])"
_AMOUNT = re.compile(rf"(?P<before>{_CURRENCY})?\s*(?P<number>[-+]?\d(?:[\d\s'\u00a0\u202f.,]*\d)?)\s*"
                     rf"(?P<after>{_CURRENCY})?\s*(?P<unit>[^\d]*)")


def _unit(text: str) -> str:
    """A unit as compared: no accents, no case, no spaces, none of 'per', 'a', 'de'..., no plural."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    words = [word for word in re.split(r"[^a-z]+", plain) if word and word not in _FILLERS]
    return "".join(word[:-1] if word.endswith("s") and word[:-1] in _UNIT_WORDS else word for word in words)


def _amount(value: Any, key: str, currency: str | None) -> float:
    """A cell's number: a number, or a text of one with the column's unit and, where ``currency`` is
    given (an amount), a currency sign or code that must be it."""
    expected = _expected(key, currency)
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise _Bad(expected)
    if isinstance(value, str):
        value = _amount_text(value.strip(), key, currency, expected)
    if not math.isfinite(value):
        raise _Bad(expected)
    return float(value)


def _amount_text(text: str, key: str, currency: str | None, expected: str) -> float:
    """The number a text writes ('0,62 €/contact'), its currency and unit checked against the column."""
    found = _AMOUNT.fullmatch(text) if len(text) <= 100 else None
    if found is None:
        raise _Bad(expected)
    signs = [sign for sign in (found["before"], found["after"]) if sign]
    if signs and currency is None or len(signs) > 1:
        raise _Bad(expected)
    if signs and currency not in _SIGNS.get(signs[0], {signs[0]}):
        raise _Bad(f"an amount in {currency}, the tender's currency: bids are compared in it and no amount is "
                   "converted; convert your prices before bidding")
    unit = _unit(found["unit"])
    if unit and unit not in _UNITS[key]:
        owner = next((other for other in QUOTE_FORMS if other != key and unit in _UNITS[other]), None)
        if owner is not None:
            raise _Bad(f"{expected}; its unit is that of column {owner}: put each price in the column of its form")
        raise _Bad(expected)
    return _number(found["number"], expected)


def _number(text: str, expected: str) -> float:
    """A number as a person writes it: 1234.5, 1,234.5, 1 234,5, 0,62; '1,234' alone is ambiguous."""
    digits = re.sub(r"[\s'\u00a0\u202f]", "", text)
    if "," in digits and "." in digits:
        point = max(digits.rfind(","), digits.rfind("."))
        digits = digits[:point].replace(",", "").replace(".", "") + "." + digits[point + 1:]
    elif digits.count(",") > 1 or digits.count(".") > 1:
        separator = "," if "," in digits else "."
        if not re.fullmatch(rf"[-+]?\d{{1,3}}(?:{re.escape(separator)}\d{{3}})+", digits):
            raise _Bad(expected)
        digits = digits.replace(separator, "")
    elif "," in digits or "." in digits:
        whole, _, part = digits.replace(",", ".").partition(".")
        if len(part) == 3 and whole.lstrip("+-") not in ("", "0"):
            raise _Bad(f"{expected}; '{text}' may be read as a thousand and more or as a small price: write "
                       "it without a thousands separator")
        digits = f"{whole}.{part}"
    if not re.fullmatch(r"[-+]?\d+(?:\.\d+)?", digits):
        raise _Bad(expected)
    return float(digits)


_CERTIFICATIONS = {certification.value.replace("_", ""): certification for certification in Certification}
_CERTIFICATIONS |= {"pci": Certification.pci_dss, "hipaa": Certification.hipaa_baa}


def _certifications(value: Any) -> tuple[Certification, ...]:
    """The certifications a cell lists ('ISO 27001, PCI DSS'), each once."""
    if _blank(value):
        return ()
    names = [name for name in re.split(r"[,;/+\n]|\s+(?:and|et)\s+", str(value)) if name.strip()]
    out: list[Certification] = []
    for name in names:
        key = re.sub(r"[^a-z0-9]", "", name.lower())
        certification = _CERTIFICATIONS.get("iso27001" if key.startswith("iso27001") else key)  # ISO 27001:2022
        if certification is None:
            raise _Bad("certifications among " + ", ".join(_CERTIFICATION_NAMES) + ", separated by commas")
        out.append(certification)
    return tuple(dict.fromkeys(out))


def _read_pricing(sheet: Any, name: str, reading: _Reading) -> list[PriceLine]:
    """The price lines of the pricing sheet, every row checked; a row without any of the provider's
    cells is a lot not priced."""
    columns = _columns(_first_row(sheet))
    missing = [key for key in ("lot", *PRICE_COLUMNS) if key not in columns]
    if missing:
        reading.fault(f"{name}!{KEY_ROW}:{KEY_ROW}", f"the hidden key row has no column {', '.join(missing)}; "
                                                     "fill in the grid sent with the tender")
        return []
    lines: list[PriceLine] = []
    seen: dict[tuple[str, str, str], int] = {}
    for number, row in _rows(sheet, name, reading):
        cells = {key: row[index] if index < len(row) else None for key, index in columns.items()}
        if all(_blank(cells[key]) for key in PRICE_COLUMNS):
            continue
        before = len(reading.problems)
        line = _read_line(cells, columns, name, number, reading)
        if line is None or len(reading.problems) > before:
            continue
        site = (line.lot, line.site.casefold(), line.site_country)
        if site in seen:
            reading.fault(f"{name}!{get_column_letter(columns['lot'] + 1)}{number}",
                          f"lot {line.lot} is priced twice for the site {line.site or '(no name)'!r} in "
                          f"{line.site_country}: also on row {seen[site]}; price each lot once per site")
            continue
        seen[site] = number
        lines.append(line)
    return lines


def _read_line(cells: dict[str, Any], columns: dict[str, int], sheet: str, number: int,
               reading: _Reading) -> PriceLine | None:
    """One row's price line, or None with its problems noted in ``reading``."""
    def check(key: str, read: Any) -> Any:
        try:
            return read(cells[key])
        except _Bad as exc:
            reading.cell(sheet, number, columns[key], key, cells[key], exc)
            return None

    lot = check("lot", lambda value: _lot(value, reading))
    site = check("site", lambda value: _text(value, reading))
    country = check("site_country", _country)
    prices = {form: check(form, lambda value, form=form: _price(value, form, reading.currency))
              for form in QUOTE_FORMS if not _blank(cells[form])}
    one_offs = {key: check(key, lambda value, key=key: _one_off(value, key, reading.currency))
                for key in ("transition_cost", "minimum_monthly")}
    certifications = check("certifications", _certifications)
    if not prices:
        form = min(QUOTE_FORMS, key=lambda key: columns[key])
        reading.fault(f"{sheet}!{get_column_letter(columns[form] + 1)}{number}",
                      f"no price on this row: give at least one of {', '.join(QUOTE_FORMS)}")
    if None in (lot, site, country, certifications) or None in prices.values() or not prices:
        return None
    return PriceLine(lot=lot, site=site, site_country=country, prices=prices, certifications=certifications,
                     where=f"{sheet}!{number}:{number}", **one_offs)


def _lot(value: Any, reading: _Reading) -> str:
    lot = "" if value is None else str(value).strip()
    if lot not in reading.lots:
        shown = ", ".join(reading.lots[:5]) + (", ..." if len(reading.lots) > 5 else "")
        raise _Bad(f"a lot of this grid ({shown})" if lot else f"the lot this row prices, one of {shown}")
    return lot


def _country(value: Any) -> str:
    code = value.strip().upper() if isinstance(value, str) else ""
    if not re.fullmatch(r"[A-Z]{2}", code):
        raise _Bad("the site's country as a two-letter ISO code, such as PT, MA or FR")
    return code


def _price(value: Any, form: str, currency: str) -> float:
    price = _amount(value, form, currency)
    if not 0 < price <= 10_000_000:
        raise _Bad(f"{_NUMBERS[form][0]} above 0 (and at most 10,000,000)")
    return price


def _one_off(value: Any, key: str, currency: str) -> float | None:
    if _blank(value):
        return None
    amount = _amount(value, key, currency)
    if not 0 <= amount < 1_000_000_000:
        raise _Bad(f"{_NUMBERS[key][0]} of 0 or more (and below 1,000,000,000)")
    return amount
