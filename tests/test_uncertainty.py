"""Answers given as ranges, and how sure each decision is under them.

A numeric answer may be a range (``{low, likely, high}`` or ``240 ± 15 %``): the model validates the
likely value and the range is kept beside it; a range written wrong is a located error (exit 2).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from engine.answers import load_estimates
from engine.analysis import uncertainty
from engine.models import Decision, FlowInputs, VendorQuote, resolve
from engine.policy.loading import Policy
from engine.ranges import Estimate
from engine.recommend import evaluate_flow
from tests.conftest import EXAMPLES, arbitre_in_process


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
    pytest.param("    monthly_volume: {low: 8000, high: .nan}\n    aht_seconds: 200\n",
                 "flows[0].monthly_volume.high: nan is not a finite number", id="bound-not-finite"),
    pytest.param("    monthly_volume: 9000\n    aht_seconds: " + "9" * 400 + " ± 1\n",
                 "flows[0].aht_seconds: '9999", id="spread-beyond-any-number"),
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


def _acme(tmp_path: Path, changes: dict[str, dict[str, Any]]) -> Path:
    """The bundled Acme Retail answers with some flows' answers changed (ranges among them), and only
    those flows kept."""
    data = yaml.safe_load((EXAMPLES / "acme-retail.yaml").read_text(encoding="utf-8"))
    data["flows"] = [{**flow, **changes[flow["id"]]} for flow in data["flows"] if flow["id"] in changes]
    path = tmp_path / "ranged.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _robustness(path: Path, *args: str) -> dict[str, dict[str, Any]]:
    done = arbitre_in_process("recommend", path, "--format", "json", *args)
    assert done.returncode == 0, done.stderr
    return {flow["id"]: flow.get("robustness") for flow in json.loads(done.stdout)["flows"]}


def _threshold(policy: Policy, path: Path, flow_id: str, field: str, low: float, high: float) -> float:
    """Where the decision changes along ``field`` between ``low`` and ``high``, by plain bisection on
    the whole pipeline (one change within the range)."""
    inputs = next(i for i in resolve(load_estimates(path).answers) if i.flow.id == flow_id)

    def decision(value: float) -> Decision:
        return evaluate_flow(inputs.model_copy(update={"flow": inputs.flow.model_copy(update={field: value})}),
                             policy).verdict.decision

    at_low = decision(low)
    assert decision(high) is not at_low
    for _ in range(40):
        middle = (low + high) / 2
        low, high = (middle, high) if decision(middle) is at_low else (low, middle)
    return (low + high) / 2


def _below(value: float, low: float, likely: float, high: float) -> float:
    """The triangular distribution's probability of a value below ``value``."""
    if value <= likely:
        return (value - low) ** 2 / ((high - low) * (likely - low))
    return 1 - (high - value) ** 2 / ((high - low) * (high - likely))


class TestRobustness:
    def test_a_flow_far_from_every_threshold_is_robust_at_100_percent(self, tmp_path: Path) -> None:
        """Order taking stays outsourced in every sample of a wide volume range and a quote ± 30 %."""
        path = _acme(tmp_path, {"order-taking": {"monthly_volume": {"low": 8000, "likely": 14000, "high": 20000},
                                                 "vendor_quote": {"per_contact": "2.2 ± 30 %"}}})
        found = _robustness(path, "--samples", "40")["order-taking"]
        assert found == {"samples": 40, "seed": 1, "shares": {"outsource": 1.0, "hybrid": 0.0, "keep_internal": 0.0},
                         "drivers": []}

    def test_a_range_across_a_threshold_shares_the_samples_as_the_distribution_does(
            self, tmp_path: Path, policy: Policy) -> None:
        """The complaints' handling time ranges across the time at which the decision turns: the share on each
        side is the triangular distribution's share on that side, within the Latin hypercube's error, and the
        handling time is the driver, changing where the decision does."""
        low, likely, high = 500.0, 660.0, 750.0
        path = _acme(tmp_path, {"complaints-email": {"aht_seconds": {"low": low, "likely": likely, "high": high}}})
        threshold = _threshold(policy, path, "complaints-email", "aht_seconds", low, high)
        samples = 200
        found = _robustness(path, "--samples", str(samples))["complaints-email"]
        expected = _below(threshold, low, likely, high)
        # one stratum of the hypercube straddles the threshold: at most 1/n off, plus rounding of the shares
        assert abs(found["shares"]["keep_internal"] - expected) <= 1 / samples + 1e-4
        assert abs(found["shares"]["hybrid"] - (1 - expected)) <= 1 / samples + 1e-4
        assert [d["field"] for d in found["drivers"]] == ["aht_seconds"]
        assert abs(found["drivers"][0]["changes_at"] - threshold) <= (high - low) / samples * 4

    def test_the_same_seed_gives_the_same_result_and_another_seed_other_draws(self, tmp_path: Path) -> None:
        """The draws come from the seed alone."""
        path = _acme(tmp_path, {"complaints-email": {"aht_seconds": "660 ± 15 %", "monthly_volume": "2600 ± 40 %"}})
        first = _robustness(path, "--samples", "30", "--seed", "7")
        assert _robustness(path, "--samples", "30", "--seed", "7") == first
        assert first["complaints-email"]["seed"] == 7
        other = _robustness(path, "--samples", "30", "--seed", "8")["complaints-email"]
        assert other["seed"] == 8 and other["shares"] != first["complaints-email"]["shares"]

    def test_robustness_is_on_only_when_the_answers_hold_ranges_or_it_is_asked(self) -> None:
        """The bundled example has no ranges: no robustness unless --uncertainty, and then every sample agrees."""
        assert set(_robustness(EXAMPLES / "acme-retail.yaml").values()) == {None}
        asked = _robustness(EXAMPLES / "acme-retail.yaml", "--uncertainty", "--samples", "5")
        assert all(r is not None and max(r["shares"].values()) == 1.0 and r["samples"] == 5 for r in asked.values())


def _plain_variant(inputs: FlowInputs, draw: dict[str, float]) -> FlowInputs:
    """The flow with a sample's answers in place, built field by field without the evaluation context."""
    flow: dict[str, Any] = {}
    organisation: dict[str, Any] = {}
    for name, value in draw.items():
        number = int(value) if name == "monthly_volume" else value
        owner, _, field = name.rpartition(".")
        if owner == "organisation":
            organisation[field] = number
        elif owner == "vendor_quote":
            flow["vendor_quote"] = VendorQuote.model_validate({field: number})
        else:
            flow[field] = number
    return inputs.model_copy(update={"flow": inputs.flow.model_copy(update=flow),
                                     "organisation": inputs.organisation.model_copy(update=organisation)})


def test_sampling_on_the_context_gives_the_robustness_of_the_whole_pipeline(tmp_path: Path, policy: Policy) -> None:
    """Each sample evaluated on the flow's context decides as the whole pipeline on the sampled flow
    does: the same shares and drivers for the same seed, with ranges on the volume, the handling time,
    the quote and the organisation's hourly cost."""
    path = _acme(tmp_path, {
        "complaints-email": {"aht_seconds": {"low": 500, "likely": 660, "high": 750}, "monthly_volume": "2600 ± 30 %"},
        "order-taking": {"monthly_volume": "14000 ± 40 %", "vendor_quote": {"per_contact": "2.2 ± 60 %"}},
        "support-chat": {"aht_seconds": "420 ± 50 %"}})
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["organisation"]["loaded_hourly_cost"] = "33.5 ± 40 %"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    estimated = load_estimates(path)
    assert ("organisation", "loaded_hourly_cost") in estimated.ranges
    sampled = uncertainty.of_flows(estimated.answers, estimated.ranges, policy, samples=150, seed=3)
    mixed = []
    for position, inputs in enumerate(resolve(estimated.answers)):
        result = evaluate_flow(inputs, policy)
        estimates = uncertainty.flow_estimates(estimated.ranges, position)
        draws = uncertainty.latin_hypercube(estimates, 150, 3)
        decisions = [evaluate_flow(_plain_variant(inputs, draw), policy).verdict.decision for draw in draws]
        found = sampled(result)
        assert found.shares == {o.value: round(decisions.count(o) / 150, 4) for o in Decision}, inputs.flow.id
        assert found.drivers == uncertainty.drivers(draws, decisions, result.verdict.decision), inputs.flow.id
        if len(set(decisions)) > 1:
            mixed.append(inputs.flow.id)
    assert "complaints-email" in mixed


class TestRobustnessInWords:
    @pytest.mark.parametrize(("lang", "words"), [
        pytest.param("en", ["How sure: uncertain", "(40 samples, seed 1): hybrid (tier 1 only) in",
                            "It hangs most on the handling time (the decision changes at"], id="en"),
        pytest.param("fr", ["Sûreté\u202f: incertaine", "(40 tirages, graine 1)\u202f: hybride (niveau 1 seulement) dans",
                            "Elle dépend surtout de la durée de traitement (la décision change à"], id="fr"),
    ])
    def test_text_says_the_shares_the_drivers_and_the_label(self, tmp_path: Path, lang: str, words: list[str]) -> None:
        """The flow says how often each option wins and on what it hangs; the summary gives the label."""
        path = _acme(tmp_path, {"complaints-email": {"aht_seconds": {"low": 500, "likely": 660, "high": 750}}})
        done = arbitre_in_process("recommend", path, "--samples", "40", "--lang", lang, "--no-tipping-points")
        assert done.returncode == 0, done.stderr
        text = re.sub(r"[ \n]+", " ", done.stdout)  # unwrapped; the narrow spaces of French kept
        for expected in words:
            assert expected in text
        summary = next(line for line in done.stdout.splitlines() if line.startswith("Complaints by email"))
        assert ("low, uncertain" if lang == "en" else "faible, incertaine") in summary


def test_the_audit_record_keeps_the_ranges_and_verify_draws_the_same_samples_again(tmp_path: Path,
                                                                                  policy: Policy) -> None:
    """The record holds the ranges, the seed and the samples; explain --verify finds the same robustness,
    and a record whose seed were another would not match."""
    from engine.analysis import audit

    path = _acme(tmp_path, {"complaints-email": {"aht_seconds": {"low": 500, "likely": 660, "high": 750}}})
    record_file = tmp_path / "record.json"
    done = arbitre_in_process("recommend", path, "--samples", "30", "--seed", "5", "--audit", record_file,
                              "--format", "json")
    assert done.returncode == 0, done.stderr
    verified = arbitre_in_process("explain", record_file, "--verify", "--format", "json")
    assert verified.returncode == 0 and json.loads(verified.stdout)["changed"] == []
    record = audit.load_record(record_file)
    assert [r.path for r in record.ranges or ()] == [["flows", 0, "aht_seconds"]]
    sampled = record.flows[0].robustness
    assert sampled is not None and (sampled.samples, sampled.seed) == (30, 5)
    other = record.model_copy(update={"flows": [record.flows[0].model_copy(
        update={"robustness": sampled.model_copy(update={"seed": 6})})]})
    changed = audit.verify(other, policy)["changed"]
    assert [c["flow"] for c in changed] == ["complaints-email"] and changed[0]["robustness"]["now"]["seed"] == 6


class TestReport:
    def test_a_report_of_ranged_answers_has_a_bar_per_flow_with_its_shares(self, tmp_path: Path) -> None:
        """``arbitre report`` samples a file with ranges as recommend does: a bar per flow, its parts as
        wide as each option's share, the shares and the label in words."""
        path = _acme(tmp_path, {"complaints-email": {"aht_seconds": {"low": 500, "likely": 660, "high": 750}},
                                "order-taking": {"monthly_volume": "14000 ± 30 %"}})
        out = tmp_path / "report.html"
        done = arbitre_in_process("report", path, "--out", out, "--samples", "40")
        assert done.returncode == 0, done.stderr
        page = out.read_text(encoding="utf-8")
        section = page[page.index('<section id="robustness">'):]
        section = section[:section.index("</section>")]
        shares = _robustness(path, "--samples", "40")["complaints-email"]["shares"]
        row = section[section.index('data-flow="complaints-email"'):]
        assert "Complaints by email</b> · <span class=\"robustness-label\">uncertain</span>" in row
        for option in ("hybrid", "keep_internal"):
            assert f'data-option="{option}" style="width:{round(100 * shares[option], 2)}%"' in row
        assert 'data-flow="order-taking"' in section and "outsource in 100% of cases" in section
        assert "the share of the 40 samples" in section

    def test_a_report_without_ranges_has_no_bars_unless_asked(self, tmp_path: Path) -> None:
        """Plain answers: no robustness section; --no-uncertainty leaves it out of a ranged file's report too."""
        out = tmp_path / "report.html"
        assert arbitre_in_process("report", EXAMPLES / "acme-retail.yaml", "--out", out).returncode == 0
        assert 'id="robustness"' not in out.read_text(encoding="utf-8")
        path = _acme(tmp_path, {"order-taking": {"monthly_volume": "14000 ± 30 %"}})
        assert arbitre_in_process("report", path, "--out", out, "--no-uncertainty").returncode == 0
        assert 'id="robustness"' not in out.read_text(encoding="utf-8")
