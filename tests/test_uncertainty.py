"""Answers given as ranges, and how sure each decision is under them.

A numeric answer may be a range (``{low, likely, high}`` or ``240 ± 15 %``): the model validates the
likely value and the range is kept beside it; a range written wrong is a located error (exit 2).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.answers import load_estimates
from engine.ranges import Estimate
from tests.conftest import arbitre_in_process


def _answers(tmp_path: Path, flow: str, organisation: str = "") -> Path:
    path = tmp_path / "answers.yaml"
    path.write_text(f"organisation:\n  name: Acme\n{organisation}flows:\n  - id: orders\n    channel: phone\n"
                    f"{flow}", encoding="utf-8")
    return path


class TestRanges:
    def test_every_form_is_read_as_its_likely_value_and_kept(self, tmp_path: Path) -> None:
        """A mapping, a relative and an absolute spread, on a flow, its quote and the organisation."""
        path = _answers(tmp_path, "    monthly_volume: {low: 8000, likely: 11000, high: 15000}\n"
                                  "    aht_seconds: 240 ± 15 %\n    peak_ratio: 1.5 +/- 0.25\n"
                                  "    vendor_quote: {per_contact: {low: 2, high: 3}}\n",
                        "  loaded_hourly_cost: 30 ± 10 %\n")
        estimated = load_estimates(path)
        flow = estimated.answers.flows[0]
        assert (flow.monthly_volume, flow.aht_seconds, flow.peak_ratio) == (11000, 240, 1.5)
        assert flow.vendor_quote is not None and flow.vendor_quote.per_contact == 2.5
        assert estimated.answers.organisation.loaded_hourly_cost == 30
        assert estimated.ranges == {
            ("organisation", "loaded_hourly_cost"): Estimate(27, 30, 33),
            ("flows", 0, "monthly_volume"): Estimate(8000, 11000, 15000),
            ("flows", 0, "aht_seconds"): Estimate(204, 240, 276),
            ("flows", 0, "peak_ratio"): Estimate(1.25, 1.5, 1.75),
            ("flows", 0, "vendor_quote", "per_contact"): Estimate(2, 2.5, 3),
        }

    def test_a_file_without_ranges_has_none(self, tmp_path: Path) -> None:
        """Plain answers give an empty table (and a name may hold a plus-minus sign)."""
        path = _answers(tmp_path, "    name: 'Orders ± returns'\n    monthly_volume: 9000\n    aht_seconds: 200\n")
        assert load_estimates(path).ranges == {}


BAD_RANGES = [
    pytest.param("    monthly_volume: {low: 18000, likely: 11000, high: 15000}\n    aht_seconds: 200\n",
                 "flows[0].monthly_volume: low 18000 is above high 15000; expected low <= likely <= high",
                 id="low-above-high"),
    pytest.param("    monthly_volume: {low: 8000, likely: 20000, high: 15000}\n    aht_seconds: 200\n",
                 "flows[0].monthly_volume: likely 20000 is outside 8000 to 15000; expected low <= likely <= high",
                 id="likely-outside"),
    pytest.param("    monthly_volume: 9000\n    aht_seconds: 240 ± -15 %\n",
                 "flows[0].aht_seconds: '240 ± -15 %': the spread -15 is negative; expected 0 or more",
                 id="negative-spread"),
    pytest.param("    monthly_volume: 9000\n    aht_seconds: 200\n    scripting: {low: low, high: high}\n",
                 "flows[0].scripting: a range (low, likely, high): ranges are for numeric answers; "
                 "scripting takes one value", id="range-on-a-choice"),
    pytest.param("    monthly_volume: 9000\n    aht_seconds: 200\n    skill_gap: 1 ± 1\n",
                 "flows[0].skill_gap: '1 ± 1' is a range: ranges are for numeric answers; skill_gap takes one value",
                 id="spread-on-a-flag"),
    pytest.param("    monthly_volume: 9000\n    aht_seconds: {low: 100, hi: 300}\n",
                 "flows[0].aht_seconds: unknown key 'hi' in a range; expected low, likely (optional) and high",
                 id="unknown-key"),
    pytest.param("    monthly_volume: 9000\n    aht_seconds: {low: 100}\n",
                 "flows[0].aht_seconds: a range needs low and high (missing: high)", id="no-high"),
    pytest.param("    monthly_volume: 9000\n    aht_seconds: 240 ± lots\n",
                 "flows[0].aht_seconds: '240 ± lots' is not a range; expected a number, a spread and an optional %",
                 id="spread-not-a-number"),
    pytest.param("    monthly_volume: 9000\n    aht_seconds: 200\n    peak_ratio: {low: 0.5, high: 2}\n",
                 "flows[0].peak_ratio: low 0.5 is out of range: expected a number at least 1", id="bound-below-field"),
    pytest.param("    monthly_volume: {low: 8000.5, high: 9000}\n    aht_seconds: 200\n",
                 "flows[0].monthly_volume: low 8000.5 is not a whole number", id="bound-not-whole"),
    pytest.param("    monthly_volume: 9000\n    aht_seconds: 200\n    vendor_quote: {per_contact: 2 ± 3}\n",
                 "flows[0].vendor_quote.per_contact: low -1 is out of range: expected a number at least 0.0001",
                 id="quote-bound-below-zero"),
]


@pytest.mark.parametrize(("flow", "message"), BAD_RANGES)
def test_a_bad_range_is_reported_at_its_line(tmp_path: Path, flow: str, message: str) -> None:
    """The file, the line of the range, the field and what was expected; exit 2, no traceback."""
    path = _answers(tmp_path, flow)
    line = next(n for n, text in enumerate(path.read_text().splitlines(), 1) if message.split(":")[0].split(".")[-1]
                .split("[")[0] in text)
    done = arbitre_in_process("recommend", path, "--format", "json")
    assert done.returncode == 2
    assert f"{path}:{line}: {message}" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_bad_organisation_range_is_reported(tmp_path: Path) -> None:
    """A range among the organisation's figures is checked as a flow's is."""
    path = _answers(tmp_path, "    monthly_volume: 9000\n    aht_seconds: 200\n",
                    "  absenteeism_pct: {low: 5, high: 120}\n")
    done = arbitre_in_process("recommend", path)
    assert done.returncode == 2
    assert f"{path}:3: organisation.absenteeism_pct: high 120 is out of range: expected a number less than 100" \
        in done.stderr
