"""The pricing grid: written in the tender's language with the lots given and locked, filled by a
provider, and read back into a bid by key; every fault of a returned grid reported at its sheet and
cell, all at once, with exit code 2."""

from __future__ import annotations

import datetime
import re
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from engine.errors import UserError
from engine.models import Organisation
from engine.procurement import grid
from engine.procurement.grid import read_grid
from engine.procurement.pricing import BIDDER_FIELDS, GRID_COLUMNS, LOT_COLUMNS, PRICE_COLUMNS, Lot
from explanations.tender import write_pricing_grid

LOTS = (
    Lot(id="orders", scope="outsource", flows=("orders",), channel="phone", monthly_contacts=12_000.4,
        busiest_month_contacts=18_000, aht_seconds=240, hours_per_week=60, languages=("fr",), indicative_fte=14.26),
    Lot(id="returns.overflow", scope="overflow", flows=("returns",), channel="email", monthly_contacts=1_000,
        busiest_month_contacts=3_000, aht_seconds=300, hours_per_week=50),
)
ORGANISATION = Organisation(currency="EUR")
EXAMPLE_BIDS = Path(__file__).resolve().parent.parent / "examples" / "bids"


def blank(tmp_path: Path, lang: str = "en") -> Path:
    path = tmp_path / f"grid-{lang}.xlsx"
    write_pricing_grid(LOTS, ORGANISATION, lang, path)  # type: ignore[arg-type]
    return path


def column(key: str) -> str:
    """The letter of a pricing column as the grid is written (tests find cells by key, as the reader does)."""
    return get_column_letter(GRID_COLUMNS.index(key) + 1)


def bidder_cell(key: str) -> str:
    return f"C{grid.FIRST_ROW + BIDDER_FIELDS.index(key)}"


def fill(path: Path, rows: dict[int, dict[str, Any]], bidder: dict[str, Any] | None = None) -> Path:
    """The grid at ``path`` filled as a provider would: pricing rows by number, then bidder answers."""
    book = load_workbook(path)
    pricing, answers = book.worksheets[2], book.worksheets[1]
    for row, cells in rows.items():
        for key, value in cells.items():
            pricing[f"{column(key)}{row}"] = value
    for key, value in {"bidder": "Nearshore SA", "contract_months": 36, **(bidder or {})}.items():
        answers[bidder_cell(key)] = value
    book.save(path)
    return path


LISBON = {"site": "Lisbon", "site_country": "PT"}


def problems(path: Path) -> list[str]:
    """The located problems reading ``path`` reports, as printed; exit code 2."""
    with pytest.raises(UserError) as caught:
        read_grid(path)
    assert caught.value.exit_code == 2
    return [str(problem) for problem in caught.value.problems]


class TestWrite:
    @pytest.mark.parametrize(("lang", "sheets", "heading"), [
        ("en", ["Instructions", "Bidder", "Pricing"], "Per contact (EUR)"),
        ("fr", ["Mode d'emploi", "Soumissionnaire", "Grille"], "Par contact (EUR)"),
    ])
    def test_sheets_and_headings_in_the_tenders_language(self, tmp_path: Path, lang: str, sheets: list[str],
                                                         heading: str) -> None:
        """The visible sheets and the headings are in the chosen language; the tender's sheet is hidden."""
        book = load_workbook(blank(tmp_path, lang))
        assert [sheet.title for sheet in book.worksheets if sheet.sheet_state == "visible"] == sheets
        assert book[grid.TENDER_SHEET].sheet_state == "veryHidden"
        pricing = book[sheets[2]]
        assert pricing[f"{column('per_contact')}{grid.HEADING_ROW}"].value == heading

    def test_key_rows_are_hidden_and_hold_the_keys(self, tmp_path: Path) -> None:
        """Row 1 of the pricing sheet holds the column keys, hidden; the bidder sheet's first column its fields."""
        book = load_workbook(blank(tmp_path))
        pricing, bidder = book["Pricing"], book["Bidder"]
        assert tuple(cell.value for cell in pricing[grid.KEY_ROW]) == GRID_COLUMNS
        assert pricing.row_dimensions[grid.KEY_ROW].hidden and bidder.column_dimensions["A"].hidden
        fields = [bidder[f"A{grid.FIRST_ROW + index}"].value for index in range(len(BIDDER_FIELDS))]
        assert fields == list(BIDDER_FIELDS)

    def test_one_row_per_lot_its_columns_given_and_locked(self, tmp_path: Path) -> None:
        """Each lot's own columns are filled and locked; its price columns are empty and open."""
        pricing = load_workbook(blank(tmp_path))["Pricing"]
        row = grid.FIRST_ROW
        assert pricing[f"{column('lot')}{row}"].value == "orders"
        assert pricing[f"{column('monthly_contacts')}{row}"].value == 12_000
        assert pricing[f"{column('indicative_fte')}{row}"].value == 14.3
        assert pricing[f"{column('scope')}{row + 1}"].value == "overflow at peaks"
        assert pricing.protection.sheet
        assert all(pricing[f"{column(key)}{row}"].protection.locked for key in LOT_COLUMNS)
        assert not any(pricing[f"{column(key)}{row}"].protection.locked for key in PRICE_COLUMNS)
        assert all(pricing[f"{column(key)}{row}"].value is None for key in PRICE_COLUMNS)

    def test_free_rows_let_a_provider_choose_a_lot(self, tmp_path: Path) -> None:
        """Below the lots, the lot cell is open with a drop-down of the grid's lots."""
        pricing = load_workbook(blank(tmp_path))["Pricing"]
        free = f"{column('lot')}{grid.FIRST_ROW + len(LOTS)}"
        assert not pricing[free].protection.locked
        lists = [v for v in pricing.data_validations.dataValidation if v.type == "list" and free in v.sqref]
        assert lists and grid.TENDER_SHEET in lists[0].formula1

    def test_country_validated_and_certifications_take_a_list(self, tmp_path: Path) -> None:
        """The site country takes two letters; the certifications cell takes several names separated by
        commas (no single-choice list to reject them) and its help names the known ones."""
        pricing = load_workbook(blank(tmp_path))["Pricing"]
        checks = pricing.data_validations.dataValidation
        country = next(v for v in checks if f"{column('site_country')}{grid.FIRST_ROW}" in v.sqref)
        certifications = next(v for v in checks if f"{column('certifications')}{grid.FIRST_ROW}" in v.sqref)
        assert (country.type, country.operator, country.formula1) == ("textLength", "equal", "2")
        assert certifications.type is None and "ISO 27001" in certifications.prompt and "commas" in certifications.prompt

    def test_currency_is_the_organisations(self, tmp_path: Path) -> None:
        """The bidder sheet's currency is filled with the tender's and locked."""
        write_pricing_grid(LOTS, Organisation(currency="USD"), "en", tmp_path / "usd.xlsx")
        answer = load_workbook(tmp_path / "usd.xlsx")["Bidder"][bidder_cell("currency")]
        assert answer.value == "USD" and answer.protection.locked


class TestRead:
    def test_filled_grid_reads_back_as_a_bid(self, tmp_path: Path) -> None:
        """Every answer and every priced row comes back; a lot left empty is not priced."""
        free = grid.FIRST_ROW + len(LOTS)
        path = fill(blank(tmp_path), {
            grid.FIRST_ROW: {**LISBON, "per_contact": 2.1, "per_minute": "0,55 €/min", "transition_cost": 20_000,
                             "certifications": "ISO 27001, pci-dss", "notes": "bilingual team"},
            free: {"lot": "orders", "site": "Rabat", "site_country": "ma", "per_hour": "EUR 18.50 per hour",
                   "minimum_monthly": "15 000 €/month"},
        }, {"minimum_fte": 20, "valid_until": datetime.datetime(2025, 6, 30), "price_revision": "Syntec index"})
        bid = read_grid(path)
        assert (bid.bidder, bid.currency, bid.contract_months, bid.minimum_fte) == ("Nearshore SA", "EUR", 36, 20)
        assert (bid.valid_until, bid.price_revision) == ("2025-06-30", "Syntec index")
        lisbon, rabat = bid.lines
        assert (lisbon.lot, lisbon.site, lisbon.site_country) == ("orders", "Lisbon", "PT")
        assert lisbon.prices == {"per_contact": 2.1, "per_minute": 0.55}
        assert lisbon.transition_cost == 20_000 and [c.value for c in lisbon.certifications] == ["iso27001", "pci_dss"]
        assert (rabat.site_country, rabat.prices, rabat.minimum_monthly) == ("MA", {"per_hour": 18.5}, 15_000)
        assert rabat.where == f"Pricing!{free}:{free}"

    def test_read_by_key_whatever_the_sheet_names_and_column_order(self, tmp_path: Path) -> None:
        """A French grid with its sheets renamed and a column moved reads the same."""
        path = fill(blank(tmp_path, "fr"), {grid.FIRST_ROW: {**LISBON, "per_contact": "2,10"}})
        book = load_workbook(path)
        book["Grille"].title = "Prix"
        book["Soumissionnaire"].title = "Nous"
        book["Prix"].insert_cols(1)
        book.save(path)
        assert read_grid(path).lines[0].prices == {"per_contact": 2.1}

    @pytest.mark.parametrize(("written", "read"), [
        pytest.param(2.1, 2.1, id="number"),
        pytest.param("2.10", 2.1, id="text"),
        pytest.param("2,10", 2.1, id="decimal-comma"),
        pytest.param("2,10 €", 2.1, id="sign-after"),
        pytest.param("€2.10", 2.1, id="sign-before"),
        pytest.param("2.10 EUR/contact", 2.1, id="code-and-unit"),
        pytest.param("2,10 € par contact", 2.1, id="french-unit"),
        pytest.param("1 234,50", 1234.5, id="grouped-french"),
        pytest.param("1,234.50", 1234.5, id="grouped-english"),
    ])
    def test_a_price_may_carry_its_own_currency_and_unit(self, tmp_path: Path, written: Any, read: float) -> None:
        """A plain number, or one with the tender's currency and the column's own unit."""
        path = fill(blank(tmp_path), {grid.FIRST_ROW: {**LISBON, "per_contact": written}})
        assert read_grid(path).lines[0].prices == {"per_contact": read}

    def test_formula_with_a_saved_value_is_read_as_that_value(self, tmp_path: Path) -> None:
        """The value a spreadsheet program saved with a formula is read; the formula is not evaluated."""
        path = fill(blank(tmp_path), {grid.FIRST_ROW: {**LISBON, "per_contact": "=1+1"}})
        _with_saved_value(path, "1+1", "2.5")  # a value the formula does not give: only the saved one is read
        assert read_grid(path).lines[0].prices == {"per_contact": 2.5}


def _with_saved_value(path: Path, formula: str, value: str) -> None:
    """Give ``formula`` in the pricing sheet the value a spreadsheet program saves with it."""
    with zipfile.ZipFile(path) as archive:
        parts = {info.filename: archive.read(info.filename) for info in archive.infolist()}
    name = "xl/worksheets/sheet3.xml"
    parts[name] = parts[name].replace(f"<f>{formula}</f><v />".encode(), f"<f>{formula}</f><v>{value}</v>".encode())
    with zipfile.ZipFile(path, "w") as archive:
        for part, data in parts.items():
            archive.writestr(part, data)


ROW = grid.FIRST_ROW
FREE = grid.FIRST_ROW + len(LOTS)


def at(key: str, row: int = ROW) -> str:
    return f"Pricing!{column(key)}{row}"


# Each fault of a returned grid: the cells filled, where the problem is reported and what it says.
BAD_CELLS = [
    pytest.param({ROW: {"site": "Lisbon", "per_contact": 2.1}}, at("site_country"),
                 "column site_country: missing, expected the site's country as a two-letter ISO code",
                 id="missing-country"),
    pytest.param({ROW: {**LISBON, "per_contact": "cheap"}}, at("per_contact"),
                 "column per_contact: found 'cheap', expected a price per contact", id="text-for-a-number"),
    pytest.param({ROW: {**LISBON, "per_contact": "0.62 €/min"}}, at("per_contact"),
                 "its unit is that of column per_minute", id="unit-of-another-column"),
    pytest.param({ROW: {**LISBON, "per_hour": "20 USD"}}, at("per_hour"),
                 "found '20 USD', expected an amount in EUR, the tender's currency", id="other-currency"),
    pytest.param({ROW: {"site_country": "Portugal", "per_contact": 2.1}}, at("site_country"),
                 "found 'Portugal', expected the site's country as a two-letter ISO code", id="bad-country"),
    pytest.param({ROW: {**LISBON, "per_contact": 2.1, "certifications": "ISO 27001, SOC 2"}}, at("certifications"),
                 "found 'ISO 27001, SOC 2', expected certifications among PCI DSS", id="unknown-certification"),
    pytest.param({ROW: {**LISBON, "per_contact": 0}}, at("per_contact"),
                 "found 0, expected a price per contact above 0", id="zero-price"),
    pytest.param({ROW: {**LISBON, "per_hour": -18.5}}, at("per_hour"),
                 "found -18.5, expected a price per productive hour above 0", id="negative-price"),
    pytest.param({ROW: {**LISBON, "per_hour": 18.5, "transition_cost": -1}}, at("transition_cost"),
                 "found -1, expected a one-off amount of 0 or more", id="negative-one-off"),
    pytest.param({FREE: {"lot": "parcels", **LISBON, "per_contact": 2.1}}, at("lot", FREE),
                 "column lot: found 'parcels', expected a lot of this grid (orders, returns.overflow)",
                 id="unknown-lot"),
    pytest.param({FREE: {**LISBON, "per_contact": 2.1}}, at("lot", FREE),
                 "column lot: missing, expected the lot this row prices", id="row-without-a-lot"),
    pytest.param({ROW: {**LISBON, "transition_cost": 5000}}, at("per_hour"),
                 "no price on this row: give at least one of per_contact, per_hour, per_minute, per_fte_month",
                 id="no-price"),
    pytest.param({ROW: {**LISBON, "per_contact": "=2*1"}}, at("per_hour"), "no price on this row",
                 id="formula-without-a-saved-value"),
    pytest.param({ROW: {**LISBON, "per_contact": 2.1}, FREE: {"lot": "orders", "site": "LISBON",
                                                             "site_country": "PT", "per_hour": 19}},
                 at("lot", FREE), "lot orders is priced twice for the site 'LISBON' in PT: also on row 3",
                 id="priced-twice-for-a-site"),
    pytest.param({ROW: {**LISBON, "per_fte_month": "3,900"}}, at("per_fte_month"),
                 "'3,900' may be read as a thousand and more or as a small price", id="ambiguous-separator"),
    pytest.param({ROW: {**LISBON, "per_contact": True}}, at("per_contact"),
                 "found true, expected a price per contact", id="boolean"),
]


@pytest.mark.parametrize(("cells", "where", "message"), BAD_CELLS)
def test_each_fault_is_located(tmp_path: Path, cells: dict[int, dict[str, Any]], where: str, message: str) -> None:
    """A cell that does not fit is reported at its sheet and cell, with what was found and expected."""
    path = fill(blank(tmp_path), cells)
    assert any(problem.startswith(f"{path}: {where}: ") and message in problem for problem in problems(path)), \
        problems(path)


BAD_ANSWERS = [
    pytest.param({"currency": "USD"}, "currency", "field currency: found 'USD', expected EUR, the tender's currency",
                 id="other-currency"),
    pytest.param({"bidder": None}, "bidder", "field bidder: missing, expected the bidder's name", id="no-name"),
    pytest.param({"contract_months": "forever"}, "contract_months", "field contract_months: found 'forever', "
                 "expected a whole number of months from 1 to 120", id="months-in-words"),
    pytest.param({"contract_months": 240}, "contract_months", "field contract_months: found 240, "
                 "expected a whole number of months",
                 id="months-too-many"),
    pytest.param({"minimum_fte": -3}, "minimum_fte", "field minimum_fte: found -3, "
                 "expected a number of full-time equivalents",
                 id="negative-fte"),
]


@pytest.mark.parametrize(("answers", "key", "message"), BAD_ANSWERS)
def test_each_bidder_fault_is_located(tmp_path: Path, answers: dict[str, Any], key: str, message: str) -> None:
    """A bidder answer that does not fit is reported at its cell of the bidder sheet."""
    book = load_workbook(fill(blank(tmp_path), {ROW: {**LISBON, "per_contact": 2.1}}, answers))
    if "currency" in answers:  # the provider unlocked the sheet to change it
        book["Bidder"][bidder_cell("currency")] = answers["currency"]
        book.save(tmp_path / "grid-en.xlsx")
    found = problems(tmp_path / "grid-en.xlsx")
    assert any(f": Bidder!{bidder_cell(key)}: {message}" in problem for problem in found), found


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    """Faults in several rows and sheets all come in one error, in the order of the grid."""
    path = fill(blank(tmp_path), {ROW: {**LISBON, "per_contact": "x"}, ROW + 1: {**LISBON, "per_minute": -1}},
                {"bidder": ""})
    found = problems(path)
    assert [re.sub(r"^.*?: (\S+): .*$", r"\1", problem) for problem in found] == [
        f"Bidder!{bidder_cell('bidder')}", at("per_contact"), at("per_minute", ROW + 1)]


class TestFile:
    def test_renamed_csv(self, tmp_path: Path) -> None:
        """A CSV renamed .xlsx is named as such, not parsed."""
        path = tmp_path / "bid.xlsx"
        path.write_text("lot;site;per_contact\norders;Lisbon;0.62\n")
        assert problems(path) == [f"{path}: is not an XLSX workbook: it looks like text (a CSV file renamed?); "
                                  "save it from a spreadsheet program as .xlsx"]

    def test_zip_that_is_not_a_workbook(self, tmp_path: Path) -> None:
        path = tmp_path / "bid.xlsx"
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("readme.txt", "hello")
        assert "is a zip archive but not an XLSX workbook" in problems(path)[0]

    def test_damaged_workbook(self, tmp_path: Path) -> None:
        """A workbook cut short is refused as damaged."""
        path = blank(tmp_path)
        path.write_bytes(path.read_bytes()[:3000])
        assert problems(path) == [f"{path}: cannot be read as an XLSX workbook (it is damaged)"]

    def test_too_large(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """A file beyond the size limit is refused before it is parsed."""
        monkeypatch.setattr(grid, "MAX_GRID_BYTES", 1024)
        assert "is larger than 0 MB, far more than a pricing grid" in problems(blank(tmp_path))[0]

    def test_unpacks_too_large(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """A workbook that unpacks beyond the limit (a zip bomb) is refused before it is parsed."""
        monkeypatch.setattr(grid, "MAX_UNPACKED_BYTES", 10_000)
        assert "unpacks to more than" in problems(blank(tmp_path))[0]

    def test_missing_file_and_directory(self, tmp_path: Path) -> None:
        assert problems(tmp_path / "none.xlsx") == [f"{tmp_path / 'none.xlsx'}: no such file"]
        assert "is a directory" in problems(tmp_path)[0]

    def test_workbook_of_another_origin(self, tmp_path: Path) -> None:
        """A workbook without the tender's hidden sheet is not a grid of a tender."""
        path = blank(tmp_path)
        book = load_workbook(path)
        del book[grid.TENDER_SHEET]
        book.save(path)
        assert "is not a pricing grid of a tender: its hidden sheet 'arbitre' is missing" in problems(path)[0]

    def test_missing_sheet(self, tmp_path: Path) -> None:
        """A grid without its pricing sheet says so."""
        path = fill(blank(tmp_path), {})
        book = load_workbook(path)
        del book["Pricing"]
        book.save(path)
        assert problems(path) == [f"{path}: no pricing sheet: no sheet has the pricing sheet's hidden key row "
                                  "(lot, scope, ..., notes); fill in the grid sent with the tender"]

    def test_key_row_without_a_column(self, tmp_path: Path) -> None:
        """A key row that lost a column's key names the column."""
        path = fill(blank(tmp_path), {})
        book = load_workbook(path)
        book["Pricing"][f"{column('per_minute')}{grid.KEY_ROW}"] = None
        book.save(path)
        assert problems(path) == [f"{path}: Pricing!1:1: the hidden key row has no column per_minute; fill in the "
                                  "grid sent with the tender"]


class TestExampleBids:
    @pytest.mark.parametrize(("name", "bidder", "sites"), [
        ("atlantico-nearshore", "Atlântico Contact", {("Lisbon", "PT")}),
        ("atlas-tejo-multisite", "Atlas & Tejo Services", {("Casablanca", "MA"), ("Porto", "PT")}),
    ])
    def test_example_grids_read_as_bids(self, name: str, bidder: str, sites: set[tuple[str, str]]) -> None:
        """The bundled example grids are valid bids of the acme tender."""
        bid = read_grid(EXAMPLE_BIDS / f"{name}.xlsx")
        assert bid.bidder == bidder and bid.currency == "EUR"
        assert {(line.site, line.site_country) for line in bid.lines} == sites

    def test_example_grids_are_what_the_script_makes(self, tmp_path: Path) -> None:
        """The script remakes the example grids cell for cell, from today's blank grid."""
        sys.path.insert(0, str(EXAMPLE_BIDS))
        try:
            import make_bids
        finally:
            sys.path.remove(str(EXAMPLE_BIDS))
        make_bids.make(tmp_path)
        for made in sorted(tmp_path.glob("*.xlsx")):
            assert _values(made) == _values(EXAMPLE_BIDS / made.name)


def _values(path: Path) -> list[list[tuple[Any, ...]]]:
    book = load_workbook(path)
    return [list(sheet.iter_rows(values_only=True)) for sheet in book.worksheets]
