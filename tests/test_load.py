"""Reading documents (engine.load) and validating answers (engine.answers), good inputs and bad."""

from __future__ import annotations

import contextlib
import gc
import json
import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from typing import Any

import pytest

import engine.load
from engine.answers import MAX_WHOLE_FLOWS, known_fields, load_answers, validate_answers
from engine.errors import AnswersError, Problem
from engine.load import Document, DocumentError, dotted, parse_json, parse_yaml, read_document
from engine.models import Answers, Channel, Level, resolve

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def yaml_doc(text: str) -> Document:
    """Parse dedented YAML text as the file ``a.yaml``."""
    return parse_yaml(textwrap.dedent(text), "a.yaml")


def answers(text: str) -> Answers:
    """Validate dedented YAML text as an answers file."""
    return validate_answers(yaml_doc(text))


def problems(text: str) -> list[str]:
    """Every problem reported for dedented YAML answers, as printed."""
    with pytest.raises(AnswersError) as info:
        answers(text)
    return [str(p) for p in info.value.problems]


FLOW = """\
    - id: orders
      channel: phone
      monthly_volume: 1200
      aht_seconds: 240
"""


class TestParseYaml:
    @pytest.mark.parametrize(("text", "data"), [
        pytest.param("country: NO\n", {"country": "NO"}, id="country-no-stays-text"),
        pytest.param("a: yes\nb: on\nc: off\nd: y\n", {"a": "yes", "b": "on", "c": "off", "d": "y"},
                     id="yaml-1.1-booleans-stay-text"),
        pytest.param("a: true\nb: False\nc: TRUE\n", {"a": True, "b": False, "c": True}, id="yaml-1.2-booleans"),
        pytest.param("a: 0120\nb: '08'\n", {"a": "0120", "b": "08"}, id="leading-zero-is-not-octal"),
        pytest.param("a: 1:30\n", {"a": "1:30"}, id="sexagesimal-stays-text"),
        pytest.param("a: 0x10\n", {"a": "0x10"}, id="hexadecimal-stays-text"),
        pytest.param("a: 1.5e3\nb: -2.5\nc: .5\nd: 1e3\n", {"a": 1500.0, "b": -2.5, "c": 0.5, "d": "1e3"},
                     id="floats-need-a-point"),
        pytest.param("day: 2024-01-31\n", {"day": "2024-01-31"}, id="no-timestamps"),
        pytest.param("a: 12\nb: 2.5\nc: ~\nd: null\n", {"a": 12, "b": 2.5, "c": None, "d": None}, id="numbers-and-null"),
        pytest.param("q: &q {per_hour: 18}\nr: *q\n", {"q": {"per_hour": 18}, "r": {"per_hour": 18}}, id="aliases"),
        pytest.param("", None, id="empty"),
        pytest.param("# only a comment\n", None, id="only-a-comment"),
        pytest.param("a: !!str 0120\nb: !!int \"42\"\nc: !!float 3\nd: !!float -.inf\n",
                     {"a": "0120", "b": 42, "c": 3.0, "d": float("-inf")}, id="tags-that-fit-their-value"),
        pytest.param("a: !!bool true\nb: !!null\nc: !!null ~\nd: !!int -007\n",
                     {"a": True, "b": None, "c": None, "d": -7}, id="more-tags-that-fit"),
        pytest.param("a: " + "9" * 100 + "\n", {"a": int("9" * 100)}, id="a-number-of-100-digits"),
    ])
    def test_values(self, text: str, data: Any) -> None:
        """Plain data is read with YAML 1.2 booleans and no timestamps."""
        assert parse_yaml(text, "a.yaml").data == data

    def test_line_map(self) -> None:
        """Every path maps to its line; a block collection to the line of its key."""
        doc = yaml_doc("""\
            organisation:
              name: Acme
            flows:
              - id: orders
                channel: phone
                regulated_data:
                  - health
            """)
        assert doc.lines[()] == 1
        assert doc.lines[("organisation",)] == 1
        assert doc.lines[("organisation", "name")] == 2
        assert doc.lines[("flows",)] == 3
        assert doc.lines[("flows", 0)] == 4
        assert doc.lines[("flows", 0, "channel")] == 5
        assert doc.lines[("flows", 0, "regulated_data")] == 6
        assert doc.lines[("flows", 0, "regulated_data", 0)] == 7

    def test_line_of_falls_back_to_the_nearest_ancestor(self) -> None:
        """A path with no line of its own (a missing field) takes its parent's."""
        doc = yaml_doc("flows:\n  - id: orders\n")
        assert doc.line_of(("flows", 0, "monthly_volume")) == 2
        assert doc.line_of(("nowhere",)) == 1

    def test_billion_laughs_is_quick(self) -> None:
        """Aliases of aliases are walked once, not expanded (10**9 paths would never finish), and the
        document is refused at the first value that expands too far (l4: over 100,000 values)."""
        levels = ["&l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
        levels += [f"&l{i} [" + ", ".join([f"*l{i - 1}"] * 10) + "]" for i in range(1, 9)]
        with pytest.raises(DocumentError) as info:
            parse_yaml("laughs:\n" + "".join(f"  - {level}\n" for level in levels), "a.yaml")
        assert info.value.problem.line == 6

    @pytest.mark.parametrize(("text", "line", "message"), [
        pytest.param("a: 1\nb: 2\na: 3\n", 3, "not valid YAML: duplicate key 'a' (first defined on line 1)",
                     id="duplicate-key-names-first-line"),
        pytest.param("flows:\n  - id: a\n    id: b\n", 3, "duplicate key 'id' (first defined on line 2)",
                     id="nested-duplicate-key"),
        pytest.param("a: !!python/object/apply:os.system [ls]\n", 1,
                     "the tag '!!python/object/apply:os.system' is not allowed", id="python-tag"),
        pytest.param("a: !!python/name:os.system ''\n", 1, "the tag '!!python/name:os.system' is not allowed",
                     id="python-name-tag"),
        pytest.param("a:\n  b: !secret x\n", 2, "the tag '!secret' is not allowed", id="custom-tag"),
        pytest.param("a: !!binary aGk=\n", 1, "the tag '!!binary' is not allowed", id="binary-tag"),
        pytest.param("a: !!set {x, y}\n", 1, "the tag '!!set' is not allowed", id="set-tag"),
        pytest.param("b: &b {x: 1}\nc:\n  <<: *b\n", 3, "the tag '!!merge' is not allowed", id="merge-key"),
        pytest.param("a: [1, 2\nb: 3\n", 2, "while parsing a flow sequence (started on line 1)", id="syntax-error"),
        pytest.param("a: 1\n---\nb: 2\n", 2, "expected a single document", id="two-documents"),
        pytest.param("a: &a [*a]\n", 1, "used inside itself", id="recursive-alias"),
        pytest.param("a: 1\nb: \x07\n", 2, "the character U+0007 is not allowed", id="control-character"),
        pytest.param("a: '\ud800'\n", None, "the text is not valid Unicode", id="lone-surrogate"),
        pytest.param("? [a]\n: 1\n", 1, "a mapping key must be a plain value", id="list-as-key"),
        pytest.param("a: " + "[" * 65 + "]" * 65, 1, "nested too deeply (more than 64 levels)", id="nested-65"),
        pytest.param("a:\n" + "".join("  " * i + "-\n" for i in range(70)), 65, "nested too deeply",
                     id="nested-block-70"),
        pytest.param("a: 1\nb: !!int high\n", 2, "the tag !!int on 'high': not a whole number", id="int-tag-on-text"),
        pytest.param("country: !!int CO\n", 1, "the tag !!int on 'CO': not a whole number", id="int-tag-on-a-code"),
        pytest.param("a: !!int ''\n", 1, "the tag !!int on '': not a whole number", id="int-tag-on-nothing"),
        pytest.param("a: !!float true\n", 1, "the tag !!float on 'true': not a number", id="float-tag-on-boolean"),
        pytest.param("a: !!bool maybe\n", 1, "the tag !!bool on 'maybe': not true or false", id="bool-tag-on-text"),
        pytest.param("a: !!null x\n", 1, "the tag !!null on 'x': not null", id="null-tag-on-text"),
        pytest.param("a: !!int [1]\n", 1, "the tag !!int needs a single value", id="int-tag-on-a-list"),
        pytest.param("a: !!map x\n", 1, "the tag !!map needs a mapping", id="map-tag-on-text"),
        pytest.param("a:\n  b: " + "9" * 4401 + "\n", 2, "has 4,401 digits, more than the 100 a number may have",
                     id="number-of-4401-digits"),
        pytest.param("a: -" + "1" * 101 + ".5\n", 1, "has 102 digits", id="float-of-102-digits"),
        pytest.param("a: 1.0e400\n", 1, "the number '1.0e400' is not a finite number", id="float-overflows"),
    ])
    def test_refused(self, text: str, line: int | None, message: str) -> None:
        """Anything but one document of plain data is refused, with its line."""
        with pytest.raises(DocumentError) as info:
            parse_yaml(text, "a.yaml")
        assert info.value.problem.file == "a.yaml"
        assert info.value.problem.line == line
        assert message in info.value.problem.message

    @pytest.mark.parametrize("depth", [1000, 5000, 100_000])
    def test_refused_very_deep(self, depth: int) -> None:
        """Nesting far beyond the limit is refused with the same message, whichever of the loader's
        check or PyYAML's own stops it first (the line it reports is PyYAML's to choose)."""
        with pytest.raises(DocumentError) as info:
            parse_yaml("a: " + "[" * depth + "]" * depth, "a.yaml")
        assert info.value.problem.message == "not valid YAML: nested too deeply (more than 64 levels)"

    def test_accepted_at_the_limit(self) -> None:
        """Sixty-four levels are still plain data."""
        assert parse_yaml("a: " + "[" * 63 + "]" * 63, "a.yaml").data is not None


class TestCollectorDuringParse:
    """The cyclic collector is held off while a document is built, and back as it was afterwards."""

    @pytest.mark.parametrize("text,parse,bad", [("a: 1\n", parse_yaml, False), ("a: [1\n", parse_yaml, True),
                                                ('{"a": 1}', parse_json, False), ('{"a": ', parse_json, True)])
    def test_the_collector_is_on_again_after_a_parse_good_or_bad(self, text: str, parse: Any, bad: bool) -> None:
        assert gc.isenabled()
        with pytest.raises(DocumentError) if bad else contextlib.nullcontext():
            parse(text, "a.yaml")
        assert gc.isenabled()

    def test_a_collector_already_off_stays_off(self) -> None:
        gc.disable()
        try:
            parse_yaml("a: 1\n", "a.yaml")
            assert not gc.isenabled()
        finally:
            gc.enable()

    def test_lines_of_a_valid_document_are_found_when_asked(self) -> None:
        """The map of lines is worked out on demand, from the text, with the same lines."""
        doc = parse_json('{\n "flows": [\n  {"id": "a"}\n ]\n}', "a.json")
        assert doc.line_of(("flows", 0, "id")) == 3
        assert dict(doc.lines)[("flows",)] == 2


class TestParseJson:
    def test_data_and_lines(self) -> None:
        """JSON is read with the standard library and gets a line map like YAML."""
        doc = parse_json('{\n  "flows": [\n    {"id": "a",\n     "channel": "fax"}\n  ]\n}\n', "a.json")
        assert doc.data == {"flows": [{"id": "a", "channel": "fax"}]}
        assert doc.lines[("flows", 0, "channel")] == 4

    def test_no_yaml_in_json(self) -> None:
        """A .json file keeps JSON's meaning: a string that looks like a YAML value stays a string."""
        assert parse_json('{"country": "NO", "at": "2024-01-01"}', "a.json").data == {"country": "NO",
                                                                                        "at": "2024-01-01"}

    @pytest.mark.parametrize(("text", "line", "message"), [
        pytest.param('{"a": 1,\n "a": 2}', 2, "not valid JSON: duplicate key 'a' (first defined on line 1)",
                     id="duplicate-key"),
        pytest.param('{"f": [{"id": "x",\n\n "id": "y"}]}', 3, "duplicate key 'id'", id="nested-duplicate-key"),
        pytest.param('{"a": NaN}', None, "not valid JSON: NaN is not a number JSON allows", id="nan"),
        pytest.param('{"a": Infinity}', None, "Infinity is not a number JSON allows", id="infinity"),
        pytest.param('{"a": -Infinity}', None, "-Infinity is not a number JSON allows", id="minus-infinity"),
        pytest.param('{"a": 1,\n}', 2, "not valid JSON: Expecting property name", id="trailing-comma"),
        pytest.param("{'a': 1}", 1, "not valid JSON", id="single-quotes"),
        pytest.param("[" * 100_000 + "]" * 100_000, None, "not valid JSON: nested too deeply", id="nested-too-deeply"),
        pytest.param('{"a":\n ' + "9" * 4401 + "}", 2, "has 4,401 digits, more than the 100 a number may have",
                     id="number-of-4401-digits"),
        pytest.param('{"a": "1e400",\n "b": [1E400]}', 2, "the number '1E400' is not a finite number",
                     id="number-overflows-not-the-text"),
    ])
    def test_refused(self, text: str, line: int | None, message: str) -> None:
        """Invalid JSON, repeated keys and NaN are refused."""
        with pytest.raises(DocumentError) as info:
            parse_json(text, "a.json")
        assert info.value.problem.line == line
        assert message in info.value.problem.message


class TestReadDocument:
    @pytest.mark.parametrize(("name", "content", "data"), [
        pytest.param("a.yaml", b"a: 1\n", {"a": 1}, id="yaml"),
        pytest.param("a.yml", b"a: 1\n", {"a": 1}, id="yml"),
        pytest.param("a.JSON", b'{"a": 1}', {"a": 1}, id="json-by-suffix"),
        pytest.param("a.yaml", b"\xef\xbb\xbfa: 1\n", {"a": 1}, id="utf8-bom"),
        pytest.param("a.yaml", "name: Société\n".encode(), {"name": "Société"}, id="utf8-accents"),
    ])
    def test_read(self, tmp_path: Path, name: str, content: bytes, data: Any) -> None:
        """A YAML or JSON file is chosen by its suffix and read as UTF-8."""
        path = tmp_path / name
        path.write_bytes(content)
        assert read_document(path).data == data

    def test_json_suffix_means_json(self, tmp_path: Path) -> None:
        """A .json file is parsed as JSON, so YAML-only syntax is an error."""
        path = tmp_path / "a.json"
        path.write_text("a: 1\n", encoding="utf-8")
        with pytest.raises(DocumentError, match="not valid JSON"):
            read_document(path)

    @pytest.mark.parametrize(("name", "content", "line", "message"), [
        pytest.param("missing.yaml", None, None, "no such answers file", id="missing"),
        pytest.param("latin1.yaml", b"a: 1\nname: Soci\xe9t\xe9\n", 2, "is not UTF-8 text (byte 15); save it as UTF-8",
                     id="not-utf8"),
    ])
    def test_refused(self, tmp_path: Path, name: str, content: bytes | None, line: int | None, message: str) -> None:
        """A missing or non-UTF-8 file is a located problem."""
        path = tmp_path / name
        if content is not None:
            path.write_bytes(content)
        with pytest.raises(DocumentError) as info:
            read_document(path, what="what.answers_file")
        assert info.value.problem == Problem(str(path), line, "", message)

    def test_directory(self, tmp_path: Path) -> None:
        """A directory given for a file says so."""
        with pytest.raises(DocumentError, match="is a directory, expected a file"):
            read_document(tmp_path)

    def test_too_big_a_file_is_refused_before_it_is_read(self, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
        """A file larger than the limit is refused with the limit and what to do; one at the limit is read."""
        monkeypatch.setattr(engine.load, "MAX_FILE_BYTES", 2**20)
        path = tmp_path / "a.yaml"
        path.write_bytes(b"a: 1\n" + b"#" * (2**20 - 5))
        assert read_document(path).data == {"a": 1}
        path.write_bytes(b"a: 1\n" + b"#" * (2**20 - 4))
        with pytest.raises(DocumentError) as info:
            read_document(path, what="what.answers_file")
        assert info.value.problem == Problem(
            str(path), None, "", "is larger than 1 MB, the most Arbitre reads in one answers file; "
            "split it into smaller files")

    def test_a_small_file_is_read_under_a_high_limit_without_setting_the_limit_aside(self, tmp_path: Path) -> None:
        """Read with a limit of 512 MB, a small file needs no more memory than its size: a process whose
        address space is capped 256 MB above what it holds reads it."""
        path = tmp_path / "a.yaml"
        path.write_text("a: 1\n", encoding="utf-8")
        script = textwrap.dedent(f"""
            import resource
            from pathlib import Path
            from engine.load import read_document
            with open("/proc/self/statm") as statm:
                held = int(statm.read().split()[0]) * resource.getpagesize()
            resource.setrlimit(resource.RLIMIT_AS, (held + 2**28, held + 2**28))
            print(read_document(Path({str(path)!r}), max_bytes=2**29).data)
        """)
        run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
                             cwd=Path(__file__).resolve().parent.parent)
        assert run.returncode == 0, run.stderr
        assert run.stdout == "{'a': 1}\n"

    def test_too_big_a_pipe_is_refused(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """A pipe, whose size is not known beforehand, is read no further than the limit."""
        monkeypatch.setattr(engine.load, "MAX_FILE_BYTES", 2**20)
        pipe = tmp_path / "pipe.yaml"
        os.mkfifo(pipe)
        writer = threading.Thread(target=pipe.write_bytes, args=(b"#" * (2**20 + 1),))
        writer.start()
        with pytest.raises(DocumentError, match="is larger than 1 MB"):
            read_document(pipe)
        writer.join(timeout=30)


class TestDotted:
    @pytest.mark.parametrize(("path", "text"), [
        pytest.param((), "", id="root"),
        pytest.param(("flows",), "flows", id="field"),
        pytest.param(("flows", 2, "channel"), "flows[2].channel", id="index-then-field"),
        pytest.param(("flows", 0, "regulated_data", 1), "flows[0].regulated_data[1]", id="nested-index"),
    ])
    def test_dotted(self, path: tuple[str | int, ...], text: str) -> None:
        """A path is written the way the user reads it."""
        assert dotted(path) == text


class TestValidateAnswers:
    def test_minimal_file(self) -> None:
        """Only id, channel, monthly_volume and aht_seconds are required; the rest has its default."""
        result = answers("flows:\n" + FLOW)
        flow = result.flows[0]
        assert (flow.id, flow.channel, flow.monthly_volume, flow.aht_seconds) == ("orders", Channel.phone, 1200, 240)
        assert flow.peak_ratio == 1.0 and flow.complexity is Level.medium and flow.regulated_data == ()
        assert flow.vendor_quote is None and flow.unique_know_how is False
        assert result.organisation.country == "FR" and result.organisation.loaded_hourly_cost == 32.0

    def test_the_example_file(self) -> None:
        """The bundled example loads whole."""
        result = load_answers(EXAMPLES / "acme-retail.yaml")
        assert result.organisation.name == "Acme Retail"
        assert result.flows[0].vendor_quote is not None and result.flows[0].vendor_quote.form == "per_contact"

    @pytest.mark.parametrize(("extra", "field", "value"), [
        pytest.param("country: NO", "country", "NO", id="country-no"),
        pytest.param("name: yes", "name", "yes", id="yes-is-a-name"),
        pytest.param("loaded_hourly_cost: 40", "loaded_hourly_cost", 40.0, id="int-as-float"),
        pytest.param("absenteeism_pct: 0", "absenteeism_pct", 0.0, id="zero-absence"),
        pytest.param("opening_hours_per_week: 168", "opening_hours_per_week", 168.0, id="round-the-clock"),
    ])
    def test_organisation_values(self, extra: str, field: str, value: Any) -> None:
        """Organisation values are read as written."""
        result = answers(f"organisation:\n  {extra}\nflows:\n" + FLOW)
        assert getattr(result.organisation, field) == value

    @pytest.mark.parametrize(("extra", "field", "value"), [
        pytest.param("peak_ratio: 1", "peak_ratio", 1.0, id="no-peak"),
        pytest.param("monthly_volume: 0", "monthly_volume", 0, id="zero-volume"),
        pytest.param("regulated_data: [payment_card, health]", "regulated_data", ("payment_card", "health"),
                     id="regulated-data"),
        pytest.param("provider_country: 'NO'", "provider_country", "NO", id="quoted-country"),
        pytest.param("vendor_quote: {per_minute: 0.9}", "vendor_quote.per_minute", 0.9, id="quote-per-minute"),
        pytest.param("unique_know_how: true", "unique_know_how", True, id="true"),
    ])
    def test_flow_values(self, extra: str, field: str, value: Any) -> None:
        """Flow values are read as written; enums compare with their text."""
        text = "flows:\n" + FLOW.replace("      aht_seconds: 240\n", "      aht_seconds: 240\n      " + extra + "\n")
        text = text.replace("      monthly_volume: 1200\n", "", 1) if extra.startswith("monthly_volume") else text
        result: Any = answers(text).flows[0]
        for part in field.split("."):
            result = getattr(result, part)
        assert result == value

    @pytest.mark.parametrize(("text", "want"), [
        pytest.param("flows:\n  - id: a\n    channel: phone\n    monthly_volume: true\n    aht_seconds: 1\n",
                     ["a.yaml:4: flows[0].monthly_volume: expected a number, found true"], id="bool-is-not-a-number"),
        pytest.param("organisation:\n  loaded_hourly_cost: false\nflows:\n" + FLOW,
                     ["a.yaml:2: organisation.loaded_hourly_cost: expected a number, found false"],
                     id="bool-is-not-money"),
        pytest.param("flows:\n  - id: a\n    channel: phone\n    monthly_volume: 1.5\n    aht_seconds: 1\n",
                     ["a.yaml:4: flows[0].monthly_volume: 1.5 is not a whole number"], id="fractional-volume"),
        pytest.param("flows:\n  - id: a\n    channel: phone\n    monthly_volume: 1\n    aht_seconds: .inf\n",
                     ["a.yaml:5: flows[0].aht_seconds: inf is out of range: expected a number at most 86400"],
                     id="infinite-handling-time"),
        pytest.param("flows:\n" + FLOW + "      peak_ratio: 0.9\n",
                     ["a.yaml:6: flows[0].peak_ratio: 0.9 is out of range: expected a number at least 1"],
                     id="peak-ratio-below-one"),
        pytest.param("flows:\n" + FLOW + "      channel_: phone\n",
                     ["a.yaml:6: flows[0].channel_: unknown field 'channel_'; did you mean 'channel'?"],
                     id="did-you-mean"),
        pytest.param("organisation:\n  zzz: 1\nflows:\n" + FLOW,
                     ["a.yaml:2: organisation.zzz: unknown field 'zzz'; known fields: name, country, currency, "
                      "loaded_hourly_cost, annual_turnover_pct, absenteeism_pct, opening_hours_per_week, "
                      "contract_months, temp_staff_available, opportunity_cost_per_hour"],
                     id="unknown-field-lists-the-known"),
        pytest.param("flows:\n" + FLOW + "      vendor_quote: {}\n",
                     ["a.yaml:6: flows[0].vendor_quote: give exactly one of per_contact, per_hour, per_minute, "
                      "per_fte_month "
                      "(found: none)"], id="empty-vendor-quote"),
        pytest.param("flows:\n" + FLOW + "      vendor_quote: {per_contact: 2, per_minute: 1}\n",
                     ["a.yaml:6: flows[0].vendor_quote: give exactly one of per_contact, per_hour, per_minute, "
                      "per_fte_month "
                      "(found: per_contact, per_minute)"], id="vendor-quote-two-forms"),
        pytest.param("flows:\n" + FLOW + "      regulated_data: [health, health]\n",
                     ["a.yaml:6: flows[0].regulated_data: lists 'health' twice"], id="value-listed-twice"),
        pytest.param("flows:\n" + FLOW + "      provider_certifications: [pci]\n",
                     ["a.yaml:6: flows[0].provider_certifications[0]: 'pci' is not one of pci_dss, hipaa_baa, "
                      "iso27001, hds, scc"], id="unknown-certification"),
        pytest.param("flows:\n" + FLOW + "      1: x\n",
                     ["a.yaml:6: flows[0]: the key 1 is not a field name; field names are words like monthly_volume"],
                     id="number-as-key"),
        pytest.param("flows:\n" + FLOW + FLOW,
                     ["a.yaml:6: flows[1].id: 'orders' is already the id of flows[0] on line 2; ids must be unique"],
                     id="duplicate-id"),
        pytest.param("organisation:\n  name: ''\nflows: []\n",
                     ["a.yaml:2: organisation.name: must not be empty", "a.yaml:3: flows: must not be empty"],
                     id="empty-values"),
        pytest.param("organisation: Acme\n",
                     ["a.yaml:1: flows: is required", "a.yaml:1: organisation: 'Acme' is not a mapping of field: value"],
                     id="organisation-not-a-mapping"),
    ])
    def test_refused(self, text: str, want: list[str]) -> None:
        """Each wrong answer is reported at its line and path, showing the value and what was expected."""
        assert problems(text) == want

    def test_every_problem_at_once(self) -> None:
        """All the problems of a file come together, duplicate ids included, in line order."""
        text = """\
            organisation:
              country: fr
            flows:
              - id: orders
                channel: fax
                monthly_volume: -1
                aht_seconds: 240
              - id: orders
                channel: email
                aht_seconds: 0
            """
        with pytest.raises(AnswersError) as info:
            answers(text)
        assert info.value.message == "a.yaml: 6 problems in the answers"
        assert [str(p) for p in info.value.problems] == [
            "a.yaml:2: organisation.country: 'fr' is not an ISO 3166-1 alpha-2 code in capitals (like FR)",
            "a.yaml:5: flows[0].channel: 'fax' is not one of phone, email, chat, social, letter, other",
            "a.yaml:6: flows[0].monthly_volume: -1 is out of range: expected a number at least 0",
            "a.yaml:8: flows[1].id: 'orders' is already the id of flows[0] on line 4; ids must be unique",
            "a.yaml:8: flows[1].monthly_volume: is required",
            "a.yaml:10: flows[1].aht_seconds: 0 is out of range: expected a number at least 1",
        ]

    @pytest.mark.parametrize(("data", "message"), [
        pytest.param(None, "the file is empty; expected organisation: and flows:", id="empty"),
        pytest.param([1, 2], "the document is a list; expected a mapping with organisation: and flows:", id="list"),
        pytest.param("API_KEY=secret DB=x", "the document is text; expected a mapping with organisation: and flows:",
                     id="text-is-not-quoted"),
        pytest.param(12, "the document is a single number; expected a mapping with organisation: and flows:",
                     id="number"),
        pytest.param(True, "the document is a single true or false; expected a mapping with organisation: and flows:",
                     id="boolean"),
    ])
    def test_not_a_mapping(self, data: Any, message: str) -> None:
        """A document that is not a mapping gets one clear problem."""
        with pytest.raises(AnswersError) as info:
            validate_answers(Document("a.yaml", data, {(): 1}))
        assert [p.message for p in info.value.problems] == [message]

    @pytest.mark.parametrize("suffix", [".yaml", ".json"])
    def test_too_many_flows(self, tmp_path: Path, suffix: str, monkeypatch: pytest.MonkeyPatch) -> None:
        """An answers file of more flows than the limit is refused at its flows as soon as it is parsed,
        saying what to do: a YAML file, read a flow at a time, may hold ``MAX_FLOWS`` (here made 2,000 to
        keep the test short), a JSON file, read whole, ``MAX_WHOLE_FLOWS``."""
        monkeypatch.setattr(engine.answers, "MAX_FLOWS", 2_000)
        limit = 2_000 if suffix == ".yaml" else MAX_WHOLE_FLOWS
        flows = [{"id": "a"}] * (limit + 1)
        path = tmp_path / f"a{suffix}"
        path.write_text(json.dumps({"organisation": {"name": "x"}, "flows": flows}, indent=0), encoding="utf-8")
        with pytest.raises(AnswersError) as info:
            load_answers(path)
        line = ":5" if suffix == ".yaml" else ""  # JSON's lines are not mapped for a refused document
        assert [str(p) for p in info.value.problems] == [
            f"{path}{line}: flows: {limit + 1:,} entries, more than the {limit:,} one answers file may hold; "
            "split them into several files"]

    def test_many_bad_flows_are_reported_in_one_pass(self) -> None:
        """Three thousand flows each with a number for a key and an unknown field are each reported at
        their line, in a time proportional to the flows, and the report lists the first 50 problems."""
        count = 3000
        data = {"flows": [{"id": f"f{i}", "channel": "phone", "monthly_volume": 1, "aht_seconds": 1, 1: 2,
                           "colour": "red"} for i in range(count)]}
        lines: dict[tuple[str | int, ...], int] = {(): 1, ("flows",): 1}
        for i in range(count):
            for key in ("id", "channel", "monthly_volume", "aht_seconds", "1", "colour"):
                lines[("flows", i, key)] = 2 + i
            lines[("flows", i)] = 2 + i
        with pytest.raises(AnswersError) as info:
            validate_answers(Document("a.yaml", data, lines))
        assert info.value.message == "a.yaml: 6,000 problems in the answers"
        known = ', '.join(known_fields(Answers, ('flows', 0, 'colour')))
        assert [str(p) for p in info.value.problems[1:2]] == [
            f"a.yaml:2: flows[0].colour: unknown field 'colour'; known fields: {known}"]
        # the same list of known fields is given once, and pointed at
        assert [str(p) for p in info.value.problems[-2:]] == [
            "a.yaml:3001: flows[2999]: the key 1 is not a field name; field names are words like monthly_volume",
            "a.yaml:3001: flows[2999].colour: unknown field 'colour'; known fields as on line 2",
        ]
        report = info.value.report().splitlines()
        assert len(report) == 1 + 50 + 1
        assert report[-1] == "  ... and 5,950 more problems"

    def test_answers_errors_exit_with_2(self) -> None:
        """A bad answers file is a user error."""
        assert AnswersError("x").exit_code == 2

    def test_load_answers_wraps_unreadable_files(self, tmp_path: Path) -> None:
        """An unreadable file is an AnswersError that names it."""
        with pytest.raises(AnswersError) as info:
            load_answers(tmp_path / "nope.yaml")
        assert info.value.report() == (f"cannot read the answers in {tmp_path / 'nope.yaml'}\n"
                                       f"  {tmp_path / 'nope.yaml'}: no such answers file")


class TestResolve:
    def test_flows_inherit_organisation_values(self) -> None:
        """A flow without its own cost, turnover, absence or coverage takes the organisation's."""
        result = answers("""\
            organisation:
              loaded_hourly_cost: 40
              annual_turnover_pct: 20
              absenteeism_pct: 5
              opening_hours_per_week: 60
            flows:
              - id: orders
                channel: phone
                monthly_volume: 1200
                aht_seconds: 240
            """)
        inputs = resolve(result)[0]
        assert (inputs.loaded_hourly_cost, inputs.annual_turnover_pct, inputs.absenteeism_pct,
                inputs.coverage_hours_needed) == (40.0, 20.0, 5.0, 60.0)
        org_defaults = [name for name in inputs.defaults_used if name.startswith("organisation.")]
        assert org_defaults == ["organisation.country", "organisation.currency"]

    def test_flow_values_override(self) -> None:
        """A flow's own values win over the organisation's, even zero."""
        result = answers("""\
            organisation:
              loaded_hourly_cost: 40
              absenteeism_pct: 5
            flows:
              - id: orders
                channel: phone
                monthly_volume: 1200
                aht_seconds: 240
                loaded_hourly_cost: 25
                absenteeism_pct: 0
                annual_turnover_pct: 0
                coverage_hours_needed: 0
            """)
        inputs = resolve(result)[0]
        assert (inputs.loaded_hourly_cost, inputs.annual_turnover_pct, inputs.absenteeism_pct,
                inputs.coverage_hours_needed) == (25.0, 0.0, 0.0, 0.0)

    def test_defaults_used_are_recorded(self) -> None:
        """Every field left to its default is listed, organisation defaults under ``organisation.``."""
        result = answers("""\
            organisation:
              loaded_hourly_cost: 40
            flows:
              - id: orders
                channel: phone
                monthly_volume: 1200
                aht_seconds: 240
                peak_ratio: 1.5
                absenteeism_pct: 3
            """)
        used = resolve(result)[0].defaults_used
        assert "peak_ratio" not in used and "activity" in used and "complexity" in used
        assert "coverage_hours_needed" in used
        assert "organisation.annual_turnover_pct" in used
        assert "organisation.opening_hours_per_week" in used
        assert "organisation.loaded_hourly_cost" not in used  # set in the file
        assert "organisation.absenteeism_pct" not in used  # the flow sets its own
        for optional in ("name", "current_fte", "vendor_quote", "provider_country", "id", "channel"):
            assert optional not in used

    def test_one_input_per_flow_in_order(self) -> None:
        """resolve gives one FlowInputs per flow, in file order."""
        result = answers("flows:\n" + FLOW + FLOW.replace("orders", "complaints"))
        assert [inputs.flow.id for inputs in resolve(result)] == ["orders", "complaints"]


def _laughs(levels: int, width: int = 9) -> str:
    """Aliases of aliases: each level refers ``width`` times to the one before ("billion laughs")."""
    lines = ["a0: &a0 [" + ", ".join(["x"] * width) + "]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


class TestAliasExpansion:
    """An alias may share a value, not multiply a document into billions of values."""

    def test_a_document_of_aliases_of_aliases_is_refused_at_its_line(self) -> None:
        text = _laughs(10) + "flows:\n  - {id: f, channel: *a9, monthly_volume: 10, aht_seconds: 10}\n"
        assert len(text) < 1000
        with pytest.raises(DocumentError) as info:
            parse_yaml(text, "a.yaml")
        problem = info.value.problem
        assert problem.line == 6  # a5 (9 ** 6 values): the smallest value that expands too far
        assert "aliases expand the value that starts here to more than" in problem.message
        assert "an alias may share a value, not multiply it" in problem.message

    def test_the_answers_file_is_a_user_error(self, tmp_path: Path) -> None:
        path = tmp_path / "bomb.yaml"
        path.write_text(_laughs(10) + "flows: []\n", encoding="utf-8")
        with pytest.raises(AnswersError) as info:
            load_answers(path)
        assert any("aliases expand" in p.message for p in info.value.problems)

    def test_aliases_that_share_values_are_fine(self) -> None:
        """A few levels of sharing, as people write them, stay well under the limit."""
        doc = parse_yaml(_laughs(3) + "flows: []\n", "a.yaml")
        assert len(doc.data["a2"]) == 9 and len(doc.data["a2"][0]) == 9


class TestNearLines:
    """The lines of the first two levels, noted as a document is parsed, are those of the whole map."""

    @pytest.mark.parametrize("path", [
        *sorted((Path(__file__).parent.parent / "rules").glob("*.yaml")),
        Path(__file__).parent.parent / "examples" / "acme-retail.yaml",
    ], ids=lambda path: path.name)
    def test_the_same_lines_as_the_whole_map(self, path: Path) -> None:
        doc = read_document(path)
        whole = engine.load._lines_of(path.read_text(encoding="utf-8"))
        near = {p: line for p, line in whole.items() if len(p) <= engine.load.NEAR_LEVELS}
        assert near and {p: doc.lines[p] for p in near} == near
        assert doc.line_of(("nowhere", 0)) == whole[()]

    def test_keys_blocks_and_lists_at_their_lines(self) -> None:
        text = "a:\n  b:\n    - 1\n  c: 2\n  \"1\": x\n  1: y\nd: [3,\n  4]\n"
        doc = parse_yaml(text, "t.yaml")
        whole = engine.load._lines_of(text)
        assert {p: doc.lines[p] for p in whole if len(p) <= 2} == {p: n for p, n in whole.items() if len(p) <= 2}
        assert doc.lines[("a", "b")] == 2 and doc.lines[("d", 1)] == 8

    def test_a_document_with_aliases_is_left_to_the_whole_map(self) -> None:
        text = "a:\n  deep:\n    x: &x {b: 1}\nc: *x\n"
        doc = parse_yaml(text, "t.yaml")
        assert ("c", "b") not in doc.lines and doc.lines[("a", "deep", "x", "b")] == 3
