"""Malformed answers files, run through ``arbitre recommend`` in this process, and one through the
installed ``arbitre`` entry point in a subprocess, which must say the same.

Every file in ``tests/malformed/`` must exit with code 2 and say where the problem is
(``file:LINE:``), which field (``flows[0].channel``), the value it found, and never show a
traceback. A few messages are pinned word for word.
"""

from __future__ import annotations

import functools
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import arbitre_in_process

ROOT = Path(__file__).resolve().parent.parent
MALFORMED = Path("tests") / "malformed"
ARBITRE = Path(sys.executable).parent / "arbitre"


@functools.lru_cache(maxsize=None)
def recommend(name: str) -> subprocess.CompletedProcess[str]:
    """Run ``arbitre recommend tests/malformed/NAME`` from the repository root (once a file: its
    located problem and its exact wording are checked on the same run)."""
    return arbitre_in_process("recommend", MALFORMED / name, cwd=ROOT)


# name, line, field path ("" when the problem is the whole document), value shown (None when there is none)
CASES = [
    pytest.param("syntax-error.yaml", 7, "", None, id="syntax-error"),
    pytest.param("duplicate-key.yaml", 8, "", "'channel'", id="duplicate-key"),
    pytest.param("wrong-type.yaml", 4, "flows[0].monthly_volume", "'lots'", id="wrong-type"),
    pytest.param("boolean-volume.yaml", 4, "flows[0].monthly_volume", "'yes'", id="yaml-1.1-boolean-is-text"),
    pytest.param("negative-volume.yaml", 4, "flows[0].monthly_volume", "-5", id="negative-volume"),
    pytest.param("peak-ratio-below-one.yaml", 6, "flows[0].peak_ratio", "0.5", id="peak-ratio-below-one"),
    pytest.param("nan-handling-time.yaml", 5, "flows[0].aht_seconds", "nan", id="nan-handling-time"),
    pytest.param("unknown-channel.yaml", 7, "flows[1].channel", "'fax'", id="unknown-enum-value"),
    pytest.param("unknown-field-typo.yaml", 6, "flows[0].repetitivness", "'repetitivness'", id="unknown-field-typo"),
    pytest.param("number-key.yaml", 6, "flows[0]", "2024", id="number-as-key"),
    pytest.param("duplicate-flow-id.yaml", 6, "flows[1].id", "'orders'", id="duplicate-flow-id"),
    pytest.param("empty.yaml", 1, "", None, id="empty-file"),
    pytest.param("list-at-root.yaml", 1, "", None, id="list-at-root"),
    pytest.param("python-tag.yaml", 2, "organisation.name", "!!python/object/apply:os.system", id="python-tag"),
    pytest.param("custom-tag.yaml", 4, "flows[0].monthly_volume", "!volume", id="custom-tag"),
    pytest.param("missing-required.yaml", 4, "flows[0].monthly_volume", None, id="missing-required-field"),
    pytest.param("no-flows.yaml", 3, "flows", None, id="empty-flow-list"),
    pytest.param("vendor-quote-two-forms.yaml", 6, "flows[0].vendor_quote", "per_contact, per_hour",
                 id="vendor-quote-two-forms"),
    pytest.param("bad-country.yaml", 3, "organisation.country", "'France'", id="bad-country-code"),
    pytest.param("many-problems.yaml", 13, "flows[1].regulated_data", "'health'", id="many-problems"),
    pytest.param("duplicate-key.json", 8, "", "'channel'", id="json-duplicate-key"),
    pytest.param("trailing-comma.json", 8, "", None, id="json-syntax-error"),
    pytest.param("latin1.yaml", 2, "", None, id="not-utf8"),
    pytest.param("multi-document.yaml", 6, "", None, id="multi-document"),
    pytest.param("recursive-alias.yaml", 2, "flows[0].vendor_quote", None, id="recursive-alias"),
    pytest.param("billion-laughs.yaml", 11, "", None, id="billion-laughs"),
    pytest.param("tag-on-wrong-value.yaml", 6, "flows[0].monthly_volume", "'high'", id="int-tag-on-text"),
    pytest.param("number-of-4401-digits.yaml", 4, "flows[0].monthly_volume", "4,401 digits",
                 id="number-beyond-python-int-limit"),
    pytest.param("infinite-number.json", 7, "", "'1e400' is not a finite number", id="json-number-overflows"),
]

# The whole of stderr, pinned: the wording is part of the interface.
EXACT = [
    pytest.param(
        "unknown-channel.yaml",
        "error: tests/malformed/unknown-channel.yaml: 1 problem in the answers\n"
        "  tests/malformed/unknown-channel.yaml:7: flows[1].channel: 'fax' is not one of phone, email, chat, "
        "social, letter, other\n",
        id="unknown-enum-value",
    ),
    pytest.param(
        "unknown-field-typo.yaml",
        "error: tests/malformed/unknown-field-typo.yaml: 1 problem in the answers\n"
        "  tests/malformed/unknown-field-typo.yaml:6: flows[0].repetitivness: unknown field 'repetitivness'; "
        "did you mean 'repetitiveness'?\n",
        id="unknown-field-typo",
    ),
    pytest.param(
        "duplicate-key.yaml",
        "error: cannot read the answers in tests/malformed/duplicate-key.yaml\n"
        "  tests/malformed/duplicate-key.yaml:8: not valid YAML: duplicate key 'channel' (first defined on line 5)\n",
        id="duplicate-key",
    ),
    pytest.param(
        "duplicate-flow-id.yaml",
        "error: tests/malformed/duplicate-flow-id.yaml: 1 problem in the answers\n"
        "  tests/malformed/duplicate-flow-id.yaml:6: flows[1].id: 'orders' is already the id of flows[0] on line 2; "
        "ids must be unique\n",
        id="duplicate-flow-id",
    ),
    pytest.param(
        "python-tag.yaml",
        "error: cannot read the answers in tests/malformed/python-tag.yaml\n"
        "  tests/malformed/python-tag.yaml:2: organisation.name: the tag '!!python/object/apply:os.system' "
        "is not allowed: answers and rules are plain data\n",
        id="python-tag",
    ),
    pytest.param(
        "negative-volume.yaml",
        "error: tests/malformed/negative-volume.yaml: 1 problem in the answers\n"
        "  tests/malformed/negative-volume.yaml:4: flows[0].monthly_volume: -5 is out of range: "
        "expected a number at least 0\n",
        id="negative-volume",
    ),
    pytest.param(
        "duplicate-key.json",
        "error: cannot read the answers in tests/malformed/duplicate-key.json\n"
        "  tests/malformed/duplicate-key.json:8: not valid JSON: duplicate key 'channel' (first defined on line 5)\n",
        id="json-duplicate-key",
    ),
    pytest.param(
        "latin1.yaml",
        "error: cannot read the answers in tests/malformed/latin1.yaml\n"
        "  tests/malformed/latin1.yaml:2: is not UTF-8 text (byte 26); save it as UTF-8\n",
        id="not-utf8",
    ),
    pytest.param(
        "tag-on-wrong-value.yaml",
        "error: cannot read the answers in tests/malformed/tag-on-wrong-value.yaml\n"
        "  tests/malformed/tag-on-wrong-value.yaml:6: flows[0].monthly_volume: the tag !!int on 'high': "
        "not a whole number\n",
        id="int-tag-on-text",
    ),
    pytest.param(
        "many-problems.yaml",
        "error: tests/malformed/many-problems.yaml: 6 problems in the answers\n"
        "  tests/malformed/many-problems.yaml:2: organisation.currency: 'euro' is not an ISO 4217 code "
        "in capitals (like EUR)\n"
        "  tests/malformed/many-problems.yaml:3: organisation.absenteeism_pct: 120 is out of range: "
        "expected a number less than 100\n"
        "  tests/malformed/many-problems.yaml:5: flows[0].id: 'Orders' is not a slug of lower-case letters, "
        "digits, '-' or '_' (like order-taking)\n"
        "  tests/malformed/many-problems.yaml:8: flows[0].aht_seconds: 0 is out of range: "
        "expected a number at least 1\n"
        "  tests/malformed/many-problems.yaml:11: flows[1].monthly_volume: expected a number, found true\n"
        "  tests/malformed/many-problems.yaml:13: flows[1].regulated_data: 'health' is not a list; "
        "write [] or a list like [a, b]\n",
        id="every-problem-at-once",
    ),
]


class TestMalformedFiles:
    @pytest.mark.parametrize(("name", "line", "path", "value"), CASES)
    def test_reported_with_file_line_field_and_value(
        self, name: str, line: int, path: str, value: str | None,
    ) -> None:
        """A malformed file exits 2 and names the file, the line, the field and the value, without a traceback."""
        run = recommend(name)
        where = f"{MALFORMED / name}:{line}:"
        assert run.returncode == 2, run.stderr
        assert run.stdout == ""
        assert "Traceback" not in run.stderr + run.stdout
        assert run.stderr.startswith("error: ")
        assert where in run.stderr
        if path:
            assert f"{where} {path}: " in run.stderr
        if value is not None:
            assert value in run.stderr

    @pytest.mark.parametrize(("name", "stderr"), EXACT)
    def test_exact_message(self, name: str, stderr: str) -> None:
        """The message for these files is pinned word for word."""
        run = recommend(name)
        assert run.returncode == 2
        assert run.stderr == stderr

    def test_the_installed_command_says_the_same(self) -> None:
        """The entry point in a subprocess exits 2 with the message of the in-process run, and no traceback."""
        name = "unknown-channel.yaml"
        run = subprocess.run([str(ARBITRE), "recommend", str(MALFORMED / name)],
                             capture_output=True, text=True, timeout=60, cwd=ROOT)
        assert (run.returncode, run.stdout) == (2, "")
        assert run.stderr == recommend(name).stderr

    def test_every_file_has_a_case(self) -> None:
        """Each file in tests/malformed/ is in the table, and the table has no stale entry."""
        on_disk = {p.name for p in (ROOT / MALFORMED).iterdir()}
        in_table = {case.values[0] for case in CASES}
        assert on_disk == in_table
        assert len(on_disk) >= 14
