"""arbitre import acd: a telephony export in, an answers file out that loads and recommends; every
impossible value reported at its row and column, exit 2."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import importlib.util
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import yaml
from click.testing import CliRunner, Result

from cli import main
from engine.answers import load_answers
from engine.errors import ExportError
from engine.costs import flow_costs
from engine.models import Answers, resolve
from engine.policy.loading import Policy
from engine.procurement import acd
from engine.procurement.acd import read_export
from engine.procurement.volumes import measure

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "acd" / "acme-acd-2025.csv.gz"
MAPPING = ROOT / "examples" / "acd" / "acme-mapping.yaml"
ACME = ROOT / "examples" / "acme-retail.yaml"
HEADER = ["Date", "Interval", "Queue", "Offered", "Handled", "Abandoned", "AHT", "ASA"]


def import_acd(*args: str) -> Result:
    return CliRunner().invoke(main, ["import", "acd", *args])


def year_rows(queues: tuple[str, ...] = ("Q_A",), year: int = 2025) -> list[list[Any]]:
    """Two half-hours a weekday for a whole year per queue, offered 10 (December 20), handled 9, AHT 300."""
    rows: list[list[Any]] = []
    day = dt.date(year, 1, 1)
    while day.year == year:
        if day.weekday() < 5:
            offered = 20 if day.month == 12 else 10
            for interval in ("09:00", "09:30"):
                rows += [[day.isoformat(), interval, queue, offered, offered - 1, 1, 300, 20] for queue in queues]
        day += dt.timedelta(days=1)
    return rows


def write_csv(path: Path, rows: list[list[Any]], header: list[str] = HEADER, delimiter: str = ",") -> Path:
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "wt", encoding="utf-8", newline="") as handle:  # type: ignore[operator]
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_xlsx(path: Path, rows: list[list[Any]], header: list[str] = HEADER, sheet: str = "Export") -> Path:
    book = openpyxl.Workbook()
    page = book.active
    assert page is not None
    page.title = sheet
    page.append(header)
    for row in rows:
        page.append(row)
    book.save(path)
    return path


class TestTheAcmeExample:
    def test_reproduces_acme_volumes_and_handling_times(self, tmp_path: Path) -> None:
        """The committed export, through its mapping, gives acme's monthly volumes, handling times, peak
        ratios and hours, and an answers file that loads."""
        out = tmp_path / "answers.yaml"
        result = import_acd(str(EXAMPLE), "--mapping", str(MAPPING), "--out", str(out))
        assert result.exit_code == 0, result.output
        imported = {f.id: f for f in load_answers(out).flows}
        acme = {f.id: f for f in load_answers(ACME).flows}
        assert set(imported) == {"order-taking", "after-sales", "support-chat"}
        for flow_id, flow in imported.items():
            expected = acme[flow_id]
            assert flow.channel == expected.channel
            assert abs(flow.monthly_volume - expected.monthly_volume) <= 1
            assert abs(flow.aht_seconds - expected.aht_seconds) <= 1
            assert flow.busiest_over_average == pytest.approx(expected.peak_ratio, abs=0.01)
            assert flow.coverage_hours_needed == expected.coverage_hours_needed
            assert flow.intraday_peak_factor is not None and flow.intraday_peak_factor > 1.2
            assert flow.weekly_profile is not None and not any(flow.weekly_profile["sun"])
        december, january = 11, 0
        after_sales = imported["after-sales"].monthly_profile
        assert after_sales is not None and max(after_sales) == after_sales[january]
        orders = imported["order-taking"].monthly_profile
        assert orders is not None and max(orders) == orders[december]

    def test_the_answers_recommend_as_written(self, tmp_path: Path) -> None:
        """The answers file needs nothing more to be recommended on."""
        out = tmp_path / "answers.yaml"
        assert import_acd(str(EXAMPLE), "--out", str(out), "--lang", "fr").exit_code == 0
        result = CliRunner().invoke(main, ["recommend", str(out), "--no-tipping-points"])
        assert result.exit_code == 0, result.output
        text = out.read_text(encoding="utf-8")
        assert "# contacts présentés, moyenne de 12 mois" in text and "--resume" in text

    def test_the_generator_writes_the_committed_file(self, tmp_path: Path) -> None:
        """The example export is exactly what its seeded generator writes."""
        spec = importlib.util.spec_from_file_location("acd_generate", ROOT / "examples" / "acd" / "generate.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        module.write(tmp_path / "export.csv.gz")
        assert (tmp_path / "export.csv.gz").read_bytes() == EXAMPLE.read_bytes()
        assert EXAMPLE.stat().st_size < 1_000_000


class TestFormats:
    def test_csv_xlsx_and_gzip_give_the_same_measures(self, tmp_path: Path) -> None:
        """One export as CSV (comma), CSV (semicolon, decimal comma), tab-separated gzip with a byte-order mark,
        and an .xlsx sheet: the same figures for every flow."""
        rows = year_rows(("Q_A", "Q_B"))
        semicolon = [[*row[:6], str(row[6]) + ",0", row[7]] for row in rows]
        paths = [write_csv(tmp_path / "a.csv", rows), write_csv(tmp_path / "b.csv", semicolon, delimiter=";"),
                 write_xlsx(tmp_path / "d.xlsx", rows)]
        bom = tmp_path / "c.csv.gz"
        with gzip.open(bom, "wt", encoding="utf-8-sig", newline="") as handle:
            csv.writer(handle, delimiter="\t").writerows([HEADER, *rows])
        paths.append(bom)
        found = [measure(read_export(path))[1] for path in paths]
        assert all(measured == found[0] for measured in found)
        first = found[0][0]
        offered = sum(r[3] for r in rows if r[2] == "Q_A")
        assert (first.monthly_volume, first.aht_seconds, first.coverage_hours) == (round(offered / 12), 300, 5)

    def test_french_headers_and_durations(self, tmp_path: Path) -> None:
        """French headers are recognised whatever their case and accents; a handling time in mm:ss or hh:mm:ss."""
        rows = [[f"{dt.date.fromisoformat(r[0]):%d/%m/%Y}", r[1], r[2], r[3], r[4], r[5], "00:05:00", r[7]]
                for r in year_rows()]
        path = write_csv(tmp_path / "fr.csv", rows, ["DATE", "Intervalle", "File", "OFFERTS", "traites",
                                                     "Abandonnés", "DMT", "ASA"], ";")
        (measured,) = measure(read_export(path))[1]
        assert measured.aht_seconds == 300 and measured.abandonment_pct == pytest.approx(100 * len(
            rows) / sum(r[3] for r in rows), abs=0.05)


    @pytest.mark.parametrize("header", [
        pytest.param(["Date", "Interval", "Queue", "Offered calls", "Handled calls", "Abandoned calls", "AHT", "ASA"],
                     id="noun-after"),
        pytest.param(["Date", "Interval", "Queue", "Calls offered", "Calls handled", "Calls abandoned", "AHT", "ASA"],
                     id="noun-before"),
        pytest.param(["Date", "Intervalle", "File", "Appels offerts", "Appels traités", "Appels abandonnés", "DMT",
                      "ASA"], id="french"),
    ])
    def test_counts_named_with_their_noun(self, tmp_path: Path, header: list[str]) -> None:
        """A count's header may name the contacts before or after it, in English or French."""
        rows = year_rows()
        (measured,) = measure(read_export(write_csv(tmp_path / "x.csv", rows, header)))[1]
        assert measured.abandonment_pct == pytest.approx(100 * sum(r[5] for r in rows) / sum(r[3] for r in rows),
                                                         abs=0.05)


class TestMapping:
    def test_queues_grouped_into_flows_with_other_headers(self, tmp_path: Path) -> None:
        """A mapping file names other headers and groups two queues into one chat flow; a queue in no
        flow is left out and said so."""
        header = ["Day", "Slot", "Skill group", "In", "Done", "Lost", "Talk", "Wait"]
        export = write_csv(tmp_path / "x.csv", year_rows(("CHAT_1", "CHAT_2", "OTHER")), header)
        mapping = tmp_path / "mapping.yaml"
        mapping.write_text(yaml.safe_dump({
            "columns": {"date": "Day", "interval": "Slot", "queue": "Skill group", "offered": "In",
                        "handled": "Done", "abandoned": "Lost", "aht": "Talk", "asa": "Wait"},
            "flows": {"support-chat": {"queues": ["CHAT_1", "CHAT_2"], "channel": "chat", "name": "Support"}}}))
        out = tmp_path / "answers.yaml"
        result = import_acd(str(export), "--mapping", str(mapping), "--out", str(out))
        assert result.exit_code == 0, result.output
        (flow,) = load_answers(out).flows
        assert (flow.id, flow.channel.value, flow.name) == ("support-chat", "chat", "Support")
        single = measure(read_export(write_csv(tmp_path / "one.csv", year_rows(), HEADER)))[1][0]
        assert flow.monthly_volume == round(2 * single.offered / 12)
        assert "queues in no flow of the mapping file (OTHER)" in result.output

    def test_a_bad_mapping_file_is_located(self, tmp_path: Path) -> None:
        """A queue in two flows, or a header the export lacks, is refused with its place."""
        export = write_csv(tmp_path / "x.csv", year_rows())
        mapping = tmp_path / "mapping.yaml"
        mapping.write_text("flows:\n  a: {queues: [Q_A]}\n  b: {queues: [Q_A]}\n")
        result = import_acd(str(export), "--mapping", str(mapping), "--out", str(tmp_path / "o.yaml"))
        assert result.exit_code == 2 and "the queue 'Q_A' is in two flows" in result.output
        mapping.write_text("columns: {offered: Presented}\n")
        result = import_acd(str(export), "--mapping", str(mapping), "--out", str(tmp_path / "o.yaml"))
        assert result.exit_code == 2 and "x.csv:1: column Presented: named in the mapping file" in result.output


def _with(row: int, column: str, value: Any) -> list[list[Any]]:
    """A valid year with one cell changed (``row`` counts the header as row 1)."""
    rows = year_rows()
    rows[row - 2][HEADER.index(column)] = value
    return rows


def _duplicate() -> list[list[Any]]:
    rows = year_rows()
    rows[2] = list(rows[1])
    return rows


def _short_row() -> list[list[Any]]:
    rows = year_rows()
    rows[3] = rows[3][:4]
    return rows


FAULTS = [
    pytest.param(_with(5, "Offered", -3), 5, "Offered", id="negative-count"),
    pytest.param(_with(6, "Handled", 11), 6, "Handled", id="handled-above-offered"),
    pytest.param(_with(7, "Abandoned", 12), 7, "Abandoned", id="abandoned-above-offered"),
    pytest.param(_with(8, "AHT", 0), 8, "AHT", id="no-handling-time-for-handled-contacts"),
    pytest.param(_with(9, "Date", "2025-02-30"), 9, "Date", id="date-that-does-not-parse"),
    pytest.param(_with(10, "Date", "2031-01-06"), 10, "Date", id="future-date"),
    pytest.param(_duplicate(), 4, "Interval", id="duplicate-interval"),
    pytest.param(_with(11, "Offered", "twelve"), 11, "Offered", id="text-in-a-number-column"),
    pytest.param(_with(12, "Handled", "4.5"), 12, "Handled", id="fractional-count"),
    pytest.param(_with(13, "Interval", "25:00"), 13, "Interval", id="time-that-does-not-parse"),
    pytest.param(_with(14, "AHT", "4:7x"), 14, "AHT", id="duration-that-does-not-parse"),
    pytest.param(_with(15, "Queue", " "), 15, "Queue", id="no-queue-name"),
    pytest.param(_with(16, "AHT", 90_000), 16, "AHT", id="handling-time-beyond-a-day"),
    pytest.param(_short_row(), 5, "Handled", id="row-cut-short"),
    pytest.param(_with(17, "Offered", "9" * 400), 17, "Offered", id="count-beyond-any-volume"),
    pytest.param(_with(18, "Offered", "²"), 18, "Offered", id="superscript-digit"),
    pytest.param(_with(19, "AHT", "1:²"), 19, "AHT", id="superscript-digit-in-a-duration"),
]


@pytest.mark.parametrize("rows, row, column", FAULTS)
def test_an_impossible_value_is_reported_at_its_row_and_column(rows: list[list[Any]], row: int, column: str,
                                                               tmp_path: Path) -> None:
    """Each fault is named with the file, its row and its column, exit 2, nothing written, no traceback."""
    export = write_csv(tmp_path / "export.csv", rows)
    out = tmp_path / "answers.yaml"
    result = import_acd(str(export), "--out", str(out))
    assert result.exit_code == 2, result.output
    assert f"{export}:{row}: column {column}: found " in result.output
    assert "Traceback" not in result.output and not out.exists()


FILE_FAULTS = [
    pytest.param("export.csv", "", "export.csv:1: the file is empty", id="empty-file"),
    pytest.param("export.csv", ",".join(HEADER) + "\n", "export.csv:2: no row of traffic", id="header-only"),
    pytest.param("export.csv", "When,Queue,Offered,Handled,AHT\n", "export.csv:1: column date: missing",
                 id="missing-column"),
    pytest.param("export.csv.gz", "Date,Queue\n", "is not a gzip file", id="not-gzipped"),
    pytest.param("export.xlsx", "Date,Queue\n", "is not an Excel workbook", id="not-a-workbook"),
]


@pytest.mark.parametrize("name, text, expected", FILE_FAULTS)
def test_an_unreadable_export_is_reported(name: str, text: str, expected: str, tmp_path: Path) -> None:
    export = tmp_path / name
    export.write_text(text, encoding="utf-8")
    result = import_acd(str(export), "--out", str(tmp_path / "answers.yaml"))
    assert result.exit_code == 2 and expected in result.output and "Traceback" not in result.output


def test_a_workbook_whose_shared_texts_unpack_too_far_is_refused(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """The shared texts of a workbook are read whole: when they unpack to more than the limit (a zip
    bomb), the export is refused before it is parsed, with a message; its sheet's size does not count."""
    export = write_xlsx(tmp_path / "export.xlsx", year_rows())
    with zipfile.ZipFile(export) as archive:
        parts = {info.filename: info.file_size for info in archive.infolist()}
    sheets = sum(size for name, size in parts.items() if name.startswith("xl/worksheets/"))
    others = sum(parts.values()) - sheets
    assert sheets > others  # the limit below lies between the two
    monkeypatch.setattr(acd, "MAX_WHOLE_PARTS_BYTES", others + 1)
    assert import_acd(str(export), "--out", str(tmp_path / "ok.yaml")).exit_code == 0
    monkeypatch.setattr(acd, "MAX_WHOLE_PARTS_BYTES", others - 1)
    result = import_acd(str(export), "--out", str(tmp_path / "answers.yaml"))
    assert result.exit_code == 2 and "unpack to more than" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "answers.yaml").exists()


def test_shared_texts_stored_among_the_sheets_still_count(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Shared texts are found by their declared type, wherever the workbook stores them: put in the
    sheets' folder, they are still counted (and refused when they unpack too far)."""
    base = write_xlsx(tmp_path / "base.xlsx", year_rows())
    hidden = tmp_path / "hidden.xlsx"
    kind = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
    with zipfile.ZipFile(base) as source, zipfile.ZipFile(hidden, "w", zipfile.ZIP_DEFLATED) as forged:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "[Content_Types].xml":
                data = data.replace(b"</Types>", f'<Override PartName="/xl/worksheets/texts.xml" ContentType="{kind}"/>'
                                    "</Types>".encode())
            forged.writestr(info.filename, data)
        forged.writestr("xl/worksheets/texts.xml", b"<sst><si><t>" + b"a" * 200_000 + b"</t></si></sst>")
    monkeypatch.setattr(acd, "MAX_WHOLE_PARTS_BYTES", 100_000)
    assert import_acd(str(base), "--out", str(tmp_path / "ok.yaml")).exit_code == 0
    result = import_acd(str(hidden), "--out", str(tmp_path / "answers.yaml"))
    assert result.exit_code == 2 and "unpack to more than" in result.output


class TestTheIntervalLength:
    """The length is the greatest common divisor of the gaps between a queue's intervals on a day,
    whatever the order the gaps come in: an export leaves out the intervals without traffic."""

    def test_a_first_gap_over_an_interval_left_out_does_not_set_the_length(self, tmp_path: Path) -> None:
        """A half-hour export whose first day has no row at 09:30 (09:00, then 10:00) is of 30 minutes."""
        rows = year_rows()
        rows[1][1] = "10:00"
        export = read_export(write_csv(tmp_path / "x.csv", rows))
        assert export.interval_minutes == 30 and export.rows_read == len(rows)

    def test_one_quarter_hour_among_half_hours_makes_a_quarter_hour_export(self, tmp_path: Path) -> None:
        """A row at 09:15 among half-hours is read, and the export said to be of 15-minute intervals."""
        rows = year_rows()
        rows.insert(3, [rows[2][0], "09:15", "Q_A", 5, 5, 0, 300, 20])
        export = read_export(write_csv(tmp_path / "x.csv", rows))
        assert export.interval_minutes == 15 and export.rows_read == len(rows)
        assert export.flows["q-a"].months[(2025, 1)][0] == 10 * 2 * 23 + 5  # 23 weekdays in January 2025
        result = import_acd(str(tmp_path / "x.csv"), "--out", str(tmp_path / "answers.yaml"))
        assert result.exit_code == 0, result.output
        assert "15-minute intervals" in result.output

    def test_a_sparse_half_hour_export_is_of_30_minutes(self, tmp_path: Path) -> None:
        """Rows 90 minutes apart (08:00, 09:30) and never closer: the gaps are whole half-hours, not of 90
        minutes (no export has them)."""
        rows = [[r[0], "08:00" if r[1] == "09:00" else "09:30", *r[2:]] for r in year_rows()]
        export = read_export(write_csv(tmp_path / "x.csv", rows))
        assert export.interval_minutes == 30 and export.rows_read == len(rows)

    def test_rows_only_whole_hours_apart_are_hourly(self, tmp_path: Path) -> None:
        """Rows at 08:00 and 17:00 only: an hourly export whose other hours had no traffic, not one of
        9-hour intervals."""
        rows = [[r[0], "08:00" if r[1] == "09:00" else "17:00", *r[2:]] for r in year_rows()]
        export = read_export(write_csv(tmp_path / "x.csv", rows))
        assert export.interval_minutes == 60

    def test_a_row_one_minute_off_is_refused_at_its_row(self, tmp_path: Path) -> None:
        """09:01 among half-hours would make intervals of 1 minute: the row is refused, with its time and
        the lengths expected; exit 2, nothing written."""
        rows = year_rows()
        rows.insert(2, [rows[1][0], "09:01", "Q_A", 5, 5, 0, 300, 20])
        export = write_csv(tmp_path / "x.csv", rows)
        out = tmp_path / "answers.yaml"
        result = import_acd(str(export), "--out", str(out))
        assert result.exit_code == 2 and not out.exists()
        assert (f"{export}:4: column Interval: found '2025-01-01 09:01', expected intervals of 5, 10, 15, 20, 30 "
                "or 60 minutes from the hour; a row at this time would make them of 1 min") in result.output
        assert "1 problem in its rows" in result.output  # the rows after it are read as before
        french = import_acd(str(export), "--out", str(out), "--lang", "fr")
        assert (f"{export}:4: colonne Interval\u202f: trouvé '2025-01-01 09:01', attendu des intervalles de 5, 10, "
                "15, 20, 30 ou 60 minutes depuis l'heure pile\u202f; une ligne à cette heure les ferait de 1 min") \
            in french.output

    def test_a_first_row_of_the_day_one_minute_off_is_refused_alone(self, tmp_path: Path) -> None:
        """09:01 as the first row of a day: that row is refused, the half-hours after it are read."""
        rows = year_rows()
        rows.insert(0, [rows[0][0], "09:01", "Q_A", 5, 5, 0, 300, 20])
        with pytest.raises(ExportError) as refused:
            read_export(write_csv(tmp_path / "x.csv", rows))
        assert [p.line for p in refused.value.problems] == [2]

    def test_rows_off_the_hour_are_refused_even_at_whole_intervals(self, tmp_path: Path) -> None:
        """Rows at :07 and :37 are 30 minutes apart, but no export starts its intervals there."""
        rows = [[r[0], "09:07" if r[1] == "09:00" else "09:37", *r[2:]] for r in year_rows()]
        with pytest.raises(ExportError) as refused:
            read_export(write_csv(tmp_path / "x.csv", rows))
        assert refused.value.problems
        assert refused.value.problems[0].line == 2  # the first row, refused at its own time

    def test_a_row_whose_gap_divides_no_hour_is_refused(self, tmp_path: Path) -> None:
        """A row at 09:07 after one at 09:30 leaves intervals of 1 minute: refused; one at 09:40 after it,
        among half-hours, leaves 10: read as a 10-minute export."""
        rows = year_rows()
        rows.insert(2, [rows[1][0], "09:07", "Q_A", 5, 5, 0, 300, 20])
        with pytest.raises(ExportError) as refused:
            read_export(write_csv(tmp_path / "x.csv", rows))
        assert [p.line for p in refused.value.problems] == [4]
        rows[2][1] = "09:40"
        assert read_export(write_csv(tmp_path / "y.csv", rows)).interval_minutes == 10


class TestTheYear:
    def test_fewer_than_twelve_whole_months_is_an_error(self, tmp_path: Path) -> None:
        """A partial year gives no made-up profile: the months found are said."""
        rows = [r for r in year_rows() if r[0] >= "2025-03-01"]
        result = import_acd(str(write_csv(tmp_path / "x.csv", rows)), "--out", str(tmp_path / "o.yaml"))
        assert result.exit_code == 2 and "10 whole months, expected 12" in result.output

    def test_a_month_without_rows_is_a_gap(self, tmp_path: Path) -> None:
        rows = [r for r in year_rows(("Q_A", "Q_B")) if not (r[2] == "Q_B" and r[0].startswith("2025-05"))]
        result = import_acd(str(write_csv(tmp_path / "x.csv", rows)), "--out", str(tmp_path / "o.yaml"))
        assert result.exit_code == 2 and "flow q-b (queues Q_B): no row in 2025-05: a gap" in result.output

    def test_months_beyond_the_last_twelve_are_left_out_and_said(self, tmp_path: Path) -> None:
        rows = [r for r in year_rows(year=2024) if r[0] >= "2024-11-01"] + year_rows()
        result = import_acd(str(write_csv(tmp_path / "x.csv", rows)), "--out", str(tmp_path / "o.yaml"))
        assert result.exit_code == 0 and "Months left out: Nov 2024, Dec 2024" in result.output


def test_an_existing_answers_file_is_replaced_only_with_force(tmp_path: Path) -> None:
    export = write_csv(tmp_path / "x.csv", year_rows())
    out = tmp_path / "answers.yaml"
    out.write_text("kept\n")
    result = import_acd(str(export), "--out", str(out))
    assert result.exit_code == 2 and "--force" in result.output and out.read_text() == "kept\n"
    assert import_acd(str(export), "--out", str(out), "--force").exit_code == 0
    assert load_answers(out).flows[0].id == "q-a"


class TestMeasuredFields:
    def test_the_cost_model_sizes_the_busiest_hour_with_the_flows_factor(self, policy: Policy) -> None:
        """A flow's own intraday_peak_factor replaces the policy's: more contacts in the busiest hour."""
        def busiest_hour(**extra: Any) -> float | None:
            flow = {"id": "f", "channel": "phone", "monthly_volume": 20000, "aht_seconds": 300, **extra}
            return flow_costs(resolve(Answers.model_validate({"flows": [flow]}))[0], policy.costs).busy_hour_contacts

        default, own = busiest_hour(), busiest_hour(intraday_peak_factor=3.0)
        assert default is not None and own is not None
        assert own == pytest.approx(default * 3.0 / policy.costs.intraday_peak_factor)
        assert busiest_hour(intraday_peak_factor=policy.costs.intraday_peak_factor) == default

    def test_the_after_hours_share_is_measured_from_the_weekly_profile(self, policy: Policy) -> None:
        """With arrivals by hour of the week, the after-hours split's share is the contacts of the hours
        beyond the opening hours (the quietest ones), not the policy's intensity."""
        days = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
        # 50 busy hours at 1.8 % of the week each, 10 quiet ones at 1 %: 10 % of contacts beyond 50 hours.
        week = {day: [0.0] * 24 for day in days}
        for day in days[:5]:
            week[day][8:18] = [1.8] * 10
        week["sat"][8:18] = [1.0] * 10

        def after_hours_share(**extra: Any) -> float | None:
            flow = {"id": "f", "channel": "phone", "monthly_volume": 20000, "aht_seconds": 300,
                    "coverage_hours_needed": 60, **extra}
            org = {"opening_hours_per_week": 50}
            inputs = resolve(Answers.model_validate({"organisation": org, "flows": [flow]}))[0]
            return flow_costs(inputs, policy.costs).after_hours_share_pct

        measured = after_hours_share(weekly_profile=week)
        assert measured == pytest.approx(10.0, abs=0.01)
        intensity = policy.costs.after_hours_intensity
        assert after_hours_share() == pytest.approx(100 * 10 * intensity / (50 + 10 * intensity), abs=0.01)

    @pytest.mark.parametrize("week, expected", [
        pytest.param({"mon": [100] + [0] * 23}, "missing: tue", id="missing-days"),
        pytest.param({day: [1] * 24 for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
                     "add up to 168 %", id="not-100"),
        pytest.param({day: [0] * 23 for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
                     "weekly_profile.mon", id="23-hours"),
    ])
    def test_a_weekly_profile_is_checked(self, week: dict[str, list[float]], expected: str, tmp_path: Path) -> None:
        answers = tmp_path / "answers.yaml"
        answers.write_text(yaml.safe_dump({"flows": [{"id": "f", "channel": "phone", "monthly_volume": 100,
                                                      "aht_seconds": 60, "weekly_profile": week}]}))
        result = CliRunner().invoke(main, ["recommend", str(answers)])
        assert result.exit_code == 2 and expected in result.output and "weekly_profile" in result.output


def test_a_sheet_the_workbook_lacks_is_named_with_those_it_has(tmp_path: Path) -> None:
    export = write_xlsx(tmp_path / "export.xlsx", year_rows())
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text("sheet: Calls\n")
    result = import_acd(str(export), "--mapping", str(mapping), "--out", str(tmp_path / "o.yaml"))
    assert result.exit_code == 2
    assert "export.xlsx: sheet: found no sheet 'Calls', expected one of 'Export'" in result.output
    mapping.write_text("sheet: Export\n")
    assert import_acd(str(export), "--mapping", str(mapping), "--out", str(tmp_path / "o.yaml")).exit_code == 0
