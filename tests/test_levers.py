"""Levers: ``rules/levers.yaml`` loaded and checked, tipping points sought among the levers alone and
within their plausible ranges, with units, and the lever that lifts a veto holding a decision.

Policy problems are found in a copy of ``rules/`` with ``levers.yaml`` edited, each expected at the
line of the edited text. The veto tests add a rule file of their own to a copy of ``rules/`` (a veto
and a strong vote for outsourcing), so that they hold whichever default rule vetoes what today.
"""

from __future__ import annotations

import itertools
import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import arbitre_in_process
from engine.analysis.tipping import (QUALITATIVE, UNITS, TippingPoints, held_by_veto, plausible_range,
                                     tipping_points, with_value)
from engine.answers import load_answers
from engine.errors import PolicyError, Problem
from engine.models import QUOTE_FORMS, FlowInputs, resolve
from engine.policy.levers import ANSWER_LEVERS, NUMERIC_LEVERS, Levers
from engine.policy.loading import Policy, load_policy
from engine.recommend import evaluate_flow, recommend
from explanations.render import labels, render, roundest
from test_rules_cli import copy_policy

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "rules"
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml")) + [ROOT / "tests" / "golden" / "answers.yaml"]


def line_of(path: Path, needle: str) -> int:
    """The first line of a file holding ``needle``."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(i + 1 for i, line in enumerate(lines) if needle in line)


def problems_of(root: Path) -> tuple[Problem, ...]:
    """The problems loading reports (it must fail, as a user error)."""
    with pytest.raises(PolicyError) as info:
        load_policy(root)
    assert info.value.exit_code == 2
    return info.value.problems


def flows_of(path: Path) -> tuple[FlowInputs, ...]:
    return resolve(load_answers(path))


def outcome(inputs: FlowInputs, policy: Policy) -> tuple[Any, Any]:
    verdict = evaluate_flow(inputs, policy).verdict
    return verdict.decision, verdict.split


_FOUND: dict[tuple[str, str, str], TippingPoints] = {}


def points_of(path: Path, inputs: FlowInputs, policy: Policy) -> TippingPoints:
    """The tipping points of an example's flow under ``policy``, worked out once per test session
    (several tests read the same examples' points)."""
    key = (policy.digest, str(path), inputs.flow.id)
    if key not in _FOUND:
        _FOUND[key] = tipping_points(inputs, policy, outcome(inputs, policy))
    return _FOUND[key]


def arbitre(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """The command, run from the repository root in this process (what it prints and its exit code)."""
    return arbitre_in_process(*args, cwd=ROOT)


# --- 1. levers.yaml: loading and its problems ------------------------------------------------------

# One edit of levers.yaml each: the text replaced, its replacement, the text on the line expected,
# the field path and the message.
BAD_LEVERS = [
    pytest.param("  coverage_hours_needed:\n    min_factor: 0.5\n    max: 168",
                 "  coverage_hours_needed:\n    min: 200\n    max: 168", "min: 200",
                 "numeric.coverage_hours_needed.min", "200 is above max (168): expected min at most max",
                 id="min-above-max"),
    pytest.param("  monthly_volume:\n    min_factor: 0.2", "  monthly_volume:\n    min_factor: 0", "min_factor: 0",
                 "numeric.monthly_volume.min_factor", "0 is out of range: expected a number more than 0",
                 id="zero-factor"),
    pytest.param("  aht_seconds:\n    min_factor: 0.5\n    max_factor: 2",
                 "  aht_seconds:\n    min_factor: 0.5\n    max_factor: -2", "max_factor: -2",
                 "numeric.aht_seconds.max_factor", "-2 is out of range: expected a number more than 0",
                 id="negative-factor"),
    pytest.param("  monthly_volume:\n", "  monthly_volumes:\n", "monthly_volumes:",
                 "numeric.monthly_volumes", "unknown lever 'monthly_volumes'; did you mean 'monthly_volume'?",
                 id="unknown-lever"),
    pytest.param("answers:\n", "answers:\n  channel: {source: a channel}\n", "channel:",
                 "answers.channel", "'channel' is not a lever: it says what the flow is (another channel is "
                 "another flow), not something a person can act on; remove it", id="channel-is-no-lever"),
    pytest.param("answers:\n", "answers:\n  activity: {source: an activity}\n", "activity:",
                 "answers.activity", "'activity' is not a lever: it says what the flow is (another activity is "
                 "another flow), not something a person can act on; remove it", id="activity-is-no-lever"),
    pytest.param("numeric:\n", "numeric:\n  complexity: {source: misplaced}\n", "complexity: {source: misplaced}",
                 "numeric.complexity", "'complexity' is a lever of answers, not of numeric: move it there",
                 id="lever-in-the-wrong-group"),
    pytest.param("  monthly_volume:\n    min_factor: 0.2", "  monthly_volume:\n    min_facter: 0.2", "min_facter",
                 "numeric.monthly_volume.min_facter", "unknown field 'min_facter'; did you mean 'min_factor'?",
                 id="unknown-field"),
    pytest.param("  monthly_volume:\n    min_factor: 0.2", "  monthly_volume:\n    min_factor: 1.5",
                 "min_factor: 1.5", "numeric.monthly_volume.min_factor",
                 "1.5 is above 1: expected a factor from above 0 to 1, so that the range starts at or below the answer",
                 id="range-leaves-the-answer-out"),
    pytest.param("  monthly_volume:\n    min_factor: 0.2\n    max_factor: 5\n",
                 "  monthly_volume:\n    min_factor: 0.2\n", "monthly_volume:", "numeric.monthly_volume",
                 "no upper bound: expected max_factor (a multiple of the answer, like 5) or max", id="no-upper-bound"),
    pytest.param("  share: 0.01", "  share: 1.5", "share: 1.5", "volume_floor.share",
                 "1.5 is out of range: expected a number less than 1", id="floor-above-the-volume"),
]


class TestLoading:
    def test_the_bundled_levers(self, policy: Policy) -> None:
        """The default policy's levers: every numeric lever with a range, every answer about the work, the
        provider's certifications and country, and the 1 % volume floor."""
        levers = policy.levers
        assert set(levers.numeric_levers()) == set(NUMERIC_LEVERS)
        assert levers.answer_levers() == ANSWER_LEVERS
        assert levers.provider_levers() == ("provider_certifications", "provider_country")
        assert levers.volume_floor.share == 0.01
        assert levers.numeric_levers()["monthly_volume"].bounds(1000) == (200, 5000)
        assert levers.numeric_levers()["coverage_hours_needed"].bounds(150)[1] == 168

    def test_channel_and_activity_are_not_levers(self) -> None:
        """What a flow is can never be a lever: the vocabulary has no place for them."""
        for name in ("channel", "activity"):
            assert name not in NUMERIC_LEVERS + ANSWER_LEVERS and name not in QUALITATIVE

    @pytest.mark.parametrize(("old", "new", "needle", "path", "message"), BAD_LEVERS)
    def test_bad_levers(self, tmp_path: Path, old: str, new: str, needle: str, path: str, message: str) -> None:
        """A bad entry of levers.yaml is reported at its file and line, with its path, the value found and
        what is expected."""
        root = copy_policy(tmp_path / "rules", [("levers.yaml", old, new)])
        line = line_of(root / "levers.yaml", needle)
        assert f"{root / 'levers.yaml'}:{line}: {path}: {message}" in [str(p) for p in problems_of(root)]

    def test_every_problem_at_once(self, tmp_path: Path) -> None:
        """Problems of several levers are reported together, a range problem beside a schema problem."""
        root = copy_policy(tmp_path / "rules", [
            ("levers.yaml", "  coverage_hours_needed:\n    min_factor: 0.5\n    max: 168",
             "  coverage_hours_needed:\n    min: 200\n    max: 168"),
            ("levers.yaml", "  monthly_volume:\n    min_factor: 0.2", "  monthly_volume:\n    min_factor: -1"),
            ("levers.yaml", "  skill_gap:", "  skill_gaps:"),
        ])
        paths = {p.path for p in problems_of(root)}
        assert paths == {"numeric.coverage_hours_needed.min", "numeric.monthly_volume.min_factor", "answers.skill_gaps"}

    def test_a_declared_file_must_exist(self, tmp_path: Path) -> None:
        """policy.yaml naming a levers file that is not there is an error at that name."""
        root = copy_policy(tmp_path / "rules", [("policy.yaml", "levers: levers.yaml", "levers: nope.yaml")])
        assert [str(p) for p in problems_of(root)] == [f"{root / 'nope.yaml'}: no such policy file"]

    def test_without_the_file_no_levers(self, tmp_path: Path) -> None:
        """A policy that neither has levers.yaml nor names it has no levers, so no tipping points."""
        root = copy_policy(tmp_path / "rules", [("policy.yaml", "levers: levers.yaml\n", "")])
        (root / "levers.yaml").unlink()
        policy = load_policy(root)
        assert policy.levers == Levers()
        inputs = flows_of(EXAMPLES[0])[0]
        found = tipping_points(inputs, policy, outcome(inputs, policy))
        assert (found.points, found.flips, found.evaluations) == ((), (), 0)

    def test_the_digest_covers_the_levers(self, tmp_path: Path, policy: Policy) -> None:
        """An edit of levers.yaml changes the policy's digest."""
        root = copy_policy(tmp_path / "rules", [("levers.yaml", "max_factor: 5", "max_factor: 4")])
        assert load_policy(root).digest != policy.digest

    def test_rules_check_names_file_and_line(self, tmp_path: Path) -> None:
        """`arbitre rules check` names the file, the line and what is expected, and exits 1; `recommend`
        with that policy exits 2 with the same line."""
        root = copy_policy(tmp_path / "rules", [("levers.yaml", "  coverage_hours_needed:\n    min_factor: 0.5\n",
                                                 "  coverage_hours_needed:\n    min: 200\n")])
        expected = (f"{root / 'levers.yaml'}:{line_of(root / 'levers.yaml', 'min: 200')}: "
                    "numeric.coverage_hours_needed.min: 200 is above max (168): expected min at most max")
        check = arbitre("rules", "check", "--policy", root)
        assert check.returncode == 1, check.stderr
        assert expected in check.stdout
        run = arbitre("recommend", EXAMPLES[0], "--policy", root)
        assert run.returncode == 2
        assert expected in run.stderr

    def test_rules_check_knows_the_file(self) -> None:
        """The bundled policy's levers.yaml is listed in policy.yaml: rules check does not call it unread."""
        run = arbitre("rules", "check")
        assert "levers.yaml: this file is not listed" not in run.stdout


# --- 2. plausible ranges ---------------------------------------------------------------------------

def _every_flow() -> list[Any]:
    return [pytest.param(path, inputs.flow.id, id=f"{path.stem}-{inputs.flow.id}")
            for path in EXAMPLES for inputs in flows_of(path)]


def _flow(path: Path, flow_id: str) -> FlowInputs:
    return next(inputs for inputs in flows_of(path) if inputs.flow.id == flow_id)


class TestRanges:
    @pytest.mark.parametrize(("path", "flow_id"), _every_flow())
    def test_no_point_outside_the_plausible_range(self, policy: Policy, path: Path, flow_id: str) -> None:
        """Every tipping point of every example lies within its lever's range (a volume never below 1 % of
        the flow's own nor below 1), and no flip is about the channel or the activity."""
        inputs = _flow(path, flow_id)
        found = points_of(path, inputs, policy)
        levers = policy.levers.numeric_levers()
        for point in found.points:
            low, high = plausible_range(inputs, policy, point.field, levers[point.field], point.current)
            lever = levers[point.field]
            assert low <= point.value <= high and low <= point.unchanged_at <= high, point
            if lever.min_factor is not None:
                assert point.value >= lever.min_factor * point.current - 1e-9, point
            if lever.max_factor is not None:
                assert point.value <= lever.max_factor * point.current + 1e-9, point
            if point.field == "monthly_volume":
                assert point.value >= max(0.01 * point.current, 1), point
        assert not {f.field for f in found.flips} & {"channel", "activity"}

    def test_the_volume_floor(self, tmp_path: Path) -> None:
        """With a factor that would allow a thousandth of the volume, the 1 % floor holds: no volume is
        tried below it."""
        root = copy_policy(tmp_path / "rules", [("levers.yaml", "  monthly_volume:\n    min_factor: 0.2",
                                                 "  monthly_volume:\n    min_factor: 0.001")])
        policy = load_policy(root)
        lever = policy.levers.numeric_levers()["monthly_volume"]
        for inputs in flows_of(EXAMPLES[0]):
            volume = inputs.flow.monthly_volume
            low, _ = plausible_range(inputs, policy, "monthly_volume", lever, volume)
            assert low == max(-(-volume // 100), 1)
            for point in tipping_points(inputs, policy, outcome(inputs, policy)).points:
                if point.field == "monthly_volume":
                    assert point.value >= max(volume / 100, 1)

    def test_a_lever_left_out_is_not_tried(self, tmp_path: Path, policy: Policy) -> None:
        """Without `complexity` among the answers, the same flips as the default policy's, less those on
        the complexity."""
        root = copy_policy(tmp_path / "rules", [("levers.yaml", "  complexity: {source:", "  # complexity: {source:")])
        fewer = load_policy(root)
        for path in EXAMPLES[:2]:
            for inputs in flows_of(path):
                base = outcome(inputs, policy)
                every = points_of(path, inputs, policy).flips
                assert tipping_points(inputs, fewer, base).flips == tuple(f for f in every if f.field != "complexity")

    def test_the_profile_sets_the_peaks(self, policy: Policy) -> None:
        """A flow that answers a monthly profile has no tipping point on its peak ratio: the profile wins."""
        for path in EXAMPLES:
            for inputs in flows_of(path):
                profile = tuple([1000.0] * 10 + [1500.0, 2500.0])
                with_profile = with_value(inputs, "monthly_profile", profile)
                found = tipping_points(with_profile, policy, outcome(with_profile, policy))
                assert all(p.field != "peak_ratio" for p in found.points)


# --- 3. units and display --------------------------------------------------------------------------

class TestUnits:
    @pytest.mark.parametrize(("unchanged_at", "value", "shown"), [
        (4999, 5000, 5000), (5000, 4999, 5000), (57.05, 57.33, 57.1), (1968, 1967, 1968), (4590, 4591, 4590),
        (1.395, 1.402, 1.4), (0.3412, 0.3429, 0.342), (299.2, 300.4, 300), (3, 0, 0),
    ])
    def test_roundest(self, unchanged_at: float, value: float, shown: float) -> None:
        """A point is shown at the roundest value between its two sides (5,000 rather than 4,999), the
        nearest to its unchanged side of those as round."""
        assert roundest(unchanged_at, value) == pytest.approx(shown)

    def test_every_point_has_its_unit(self, policy: Policy) -> None:
        """Each numeric point carries its unit; the quote's is the form it was quoted in."""
        seen = set()
        for path in EXAMPLES:
            for inputs in flows_of(path):
                for point in points_of(path, inputs, policy).points:
                    quote = inputs.flow.vendor_quote
                    expected = quote.form if point.field == "vendor_quote" and quote else UNITS[point.field]
                    assert point.unit == expected
                    seen.add(point.unit)
        assert seen & set(QUOTE_FORMS) and len(seen) >= 3, seen

    @pytest.mark.parametrize("lang", ["en", "fr"])
    def test_units_in_every_format(self, policy: Policy, lang: str) -> None:
        """Text and Markdown say each point's unit in words; JSON keeps the number and gains `unit`."""
        answers = load_answers(EXAMPLES[0])
        rec = recommend(answers, policy)
        words = labels(lang)  # type: ignore[arg-type]
        data = json.loads(render(rec, policy, "json", lang, tipping=True))  # type: ignore[arg-type]
        points = [p for flow in data["flows"] for p in flow["tipping_points"]["points"]]
        assert points and all(isinstance(p["value"], float | int) and p["unit"] for p in points)
        for fmt in ("text", "markdown"):  # every point: the text shows the first two unless in full
            text = render(rec, policy, fmt, lang, tipping=True, detail="full")  # type: ignore[arg-type]
            shown = " ".join(text.split())
            for point in points:
                assert words["units"][point["unit"]] in shown.replace("\u00a0", " ")

    def test_a_record_without_units(self) -> None:
        """A tipping point kept before units existed is shown with its field's unit."""
        from explanations.render import tipping_sentences

        entry = {"currency": "EUR", "quote": {"form": "per_hour", "amount": 20.0}, "decision": "outsource",
                 "scores": {"outsource": 3, "hybrid": 0, "keep_internal": 1}, "vetoes": {},
                 "tipping_points": {"flips": [], "points": [
                     {"field": "vendor_quote", "direction": "above", "current": 20.0, "value": 25.02,
                      "unchanged_at": 24.98, "decision": "keep_internal", "split": []},
                     {"field": "monthly_volume", "direction": "below", "current": 900, "value": 299,
                      "unchanged_at": 300, "decision": "keep_internal", "split": []}]}}
        assert tipping_sentences(entry, "en") == [
            "The decision would be keep in-house if the provider's price rose above EUR\u00a025.00 per productive hour.",
            "The decision would be keep in-house if the monthly volume fell below 300 contacts a month."]


# --- 4. the lever that lifts a veto ----------------------------------------------------------------

ANSWERS = """\
organisation: {name: Lever test, country: FR, currency: EUR}
flows:
  - id: cards
    name: Card payments by phone
    channel: phone
    activity: order_taking
    monthly_volume: 8000
    aht_seconds: 240
    repetitiveness: high
    scripting: high
    complexity: low
    data_sensitivity: low
    regulated_data: [payment_card]
    vendor_quote: {per_contact: 2.5}
"""

LEAD = """\
  - id: TST-02
    title: Outsourcing leads (test)
    rationale: tests
    when: {fact: monthly_volume, op: ge, value: 0}
    then: {vote: {outsource: 100}}
    explain: {en: "Test vote for outsourcing.", fr: "Vote de test pour externaliser."}
"""


def _veto(rule_id: str, when: str) -> str:
    return (f"  - id: {rule_id}\n    title: Veto {rule_id} (test)\n    rationale: tests\n    when: {when}\n"
            f"    then: {{veto: [outsource]}}\n"
            f"    explain: {{en: \"Vetoed by {rule_id}.\", fr: \"Exclu par {rule_id}.\"}}\n")


CARDS_WITHOUT_PCI = _veto("TST-01", "{all: [{fact: regulated_data, op: contains, value: payment_card}, "
                                    "{fact: provider_certifications, op: lacks, value: pci_dss}]}")
CARDS_WITHOUT_ISO = _veto("TST-04", "{all: [{fact: regulated_data, op: contains, value: payment_card}, "
                                    "{fact: provider_certifications, op: lacks, value: iso27001}]}")
SMALL_VOLUME = _veto("TST-05", "{fact: monthly_volume, op: lt, value: 9000}")
PHONE = _veto("TST-03", "{fact: channel, op: eq, value: phone}")


def vetoing_policy(root: Path, *rules: str) -> Path:
    """A copy of rules/ with one rule file more: a strong vote for outsourcing and the given vetoes."""
    copy_policy(root)
    manifest = yaml.safe_load((root / "policy.yaml").read_text(encoding="utf-8"))
    manifest["rule_files"].append("levers_test.yaml")
    (root / "policy.yaml").write_text(yaml.safe_dump(manifest, sort_keys=False), encoding="utf-8")
    (root / "levers_test.yaml").write_text("rules:\n" + LEAD + "".join(rules), encoding="utf-8")
    return root


@pytest.fixture
def answers_file(tmp_path: Path) -> Path:
    path = tmp_path / "cards.yaml"
    path.write_text(ANSWERS, encoding="utf-8")
    return path


# The held sentence names the vetoing rules: the test's own, and any default rule that vetoes the same.
HELD = re.compile(r"only because of the veto of [A-Z0-9, -]*TST-01[A-Z0-9, -]* on outsource")


def tipping_text(text: str, title: str) -> list[str]:
    """The bullet sentences of the tipping-points section of a text explanation, unwrapped."""
    lines = text.split(f"\n  {title}", 1)[1].splitlines()[1:]
    section = "\n".join(itertools.takewhile(lambda line: line.startswith("    "), lines))
    return [" ".join(item.split()) for item in section.split("    - ")[1:]]


class TestVetoLever:
    def test_held_by_veto(self) -> None:
        """A vetoed option that outscores the decision holds it; one that trails it, or a tie, does not."""
        hold = held_by_veto({"outsource": 9, "hybrid": 3, "keep_internal": 5}, {"outsource": ["R-01"]}, "keep_internal")
        assert hold is not None and (hold.option, hold.rules, hold.score) == ("outsource", ("R-01",), 9)
        assert held_by_veto({"outsource": 2, "hybrid": 3, "keep_internal": 5}, {"outsource": ["R-01"]},
                            "keep_internal") is None
        assert held_by_veto({"outsource": 5, "hybrid": 3, "keep_internal": 5}, {"outsource": ["R-01"]},
                            "keep_internal") is None

    @pytest.mark.parametrize(("lang", "held", "lever", "lifts"), [
        ("en", "only because of the veto of", "The decision would be outsource if the provider showed a PCI DSS attestation",
         "This lifts the veto of"),
        ("fr", "uniquement à cause du veto de",
         "La décision serait « externaliser » si le prestataire présentait une attestation PCI DSS",
         "Cela lève le veto de"),
    ])
    def test_a_certification_lifts_it(self, tmp_path: Path, answers_file: Path, lang: str, held: str, lever: str,
                                      lifts: str) -> None:
        """Card data without a PCI DSS attestation vetoes the leading option: the explanation says the flow
        stays by the veto, and its first tipping point is the attestation, which lifts it."""
        policy = load_policy(vetoing_policy(tmp_path / "rules", CARDS_WITHOUT_PCI))
        rec = recommend(load_answers(answers_file), policy)
        assert rec.flows[0].verdict.decision.value != "outsource"
        text = render(rec, policy, "text", lang, tipping=True)  # type: ignore[arg-type]
        flat = " ".join(text.split()).replace("\u00a0", " ")
        assert held in flat and "TST-01" in flat.split(held, 1)[1][:60]  # the rules named just after
        first = tipping_text(text, str(labels(lang)["tipping"]))[0].replace("\u00a0", " ")  # type: ignore[arg-type]
        assert first.startswith(lever) and lifts in first and "TST-01" in first

    def test_every_format_names_it(self, tmp_path: Path, answers_file: Path) -> None:
        """Markdown, the report and JSON say it too."""
        root = vetoing_policy(tmp_path / "rules", CARDS_WITHOUT_PCI)
        runs = {fmt: arbitre_in_process("recommend", answers_file, "--policy", root, "--format", fmt,
                                        "--tipping-points") for fmt in ("markdown", "json")}
        runs["report"] = arbitre_in_process("report", answers_file, "--policy", root, "--out", tmp_path / "report.html")
        for run in runs.values():
            assert run.returncode == 0, run.stderr
        markdown = runs["markdown"].stdout
        assert HELD.search(markdown)
        assert markdown.split("### Tipping points\n\n- ", 1)[1].startswith(
            "The decision would be outsource if the provider showed a PCI DSS attestation.")
        report = (tmp_path / "report.html").read_text(encoding="utf-8")
        assert HELD.search(report)
        # on the card, under the veto it lifts
        assert re.search(r'<li>outsource: [^<]*<code>[^<]*TST-01[^<]*</code><div class="lever"><b>To lift it</b>: '
                         r'The decision would be outsource if the provider showed a PCI DSS attestation\.', report)
        flow = json.loads(runs["json"].stdout)["flows"][0]
        assert HELD.search(flow["explanation"])
        lever = next(f for f in flow["tipping_points"]["flips"] if f["lifts"])
        assert lever["field"] == "provider_certifications" and lever["value"] == "pci_dss"
        assert "TST-01" in lever["lifts"]
        assert flow["tipping_points"]["text"][0].startswith("The decision would be outsource if the provider showed")

    def test_the_record_keeps_it(self, tmp_path: Path, answers_file: Path) -> None:
        """The audit record keeps the lever and the units, and `explain` renders both from the record alone."""
        root = vetoing_policy(tmp_path / "rules", CARDS_WITHOUT_PCI)
        run = arbitre("recommend", answers_file, "--policy", root, "--audit", tmp_path / "record.json")
        assert run.returncode == 0, run.stderr
        record = json.loads((tmp_path / "record.json").read_text(encoding="utf-8"))
        assert any(f["lifts"] for f in record["flows"][0]["tipping_points"]["flips"])
        assert all(p["unit"] for p in record["flows"][0]["tipping_points"]["points"])
        (tmp_path / "rules").rename(tmp_path / "gone")  # the record alone
        explained = arbitre("explain", tmp_path / "record.json")
        assert explained.returncode == 0, explained.stderr
        assert HELD.search(" ".join(explained.stdout.split()))
        assert tipping_text(explained.stdout, "Tipping points")[0].startswith(
            "The decision would be outsource if the provider showed a PCI DSS attestation.")

    def test_two_certifications_together(self, tmp_path: Path, answers_file: Path) -> None:
        """When no one certification lifts the veto, the fewest that do together are named."""
        policy = load_policy(vetoing_policy(tmp_path / "rules", CARDS_WITHOUT_PCI, CARDS_WITHOUT_ISO))
        rec = recommend(load_answers(answers_file), policy)
        first = tipping_text(render(rec, policy, "text", "en", tipping=True), "Tipping points")[0]
        assert first.startswith("The decision would be outsource if the provider showed a PCI DSS attestation and the "
                                "provider were ISO 27001 certified.")
        assert "TST-01" in first and "TST-04" in first

    def test_a_number_lifts_it(self, tmp_path: Path, answers_file: Path) -> None:
        """A veto on a small volume is lifted by the volume: the nearest number comes first, with its unit."""
        policy = load_policy(vetoing_policy(tmp_path / "rules", SMALL_VOLUME))
        answers = load_answers(answers_file)
        answers = answers.model_copy(update={"flows": (answers.flows[0].model_copy(update={"regulated_data": ()}),)})
        rec = recommend(answers, policy)
        first = tipping_text(render(rec, policy, "text", "en", tipping=True), "Tipping points")[0]
        assert first == ("The decision would be outsource if the monthly volume rose above 9,000 contacts a month. "
                         "This lifts the veto of TST-05.")

    def test_nothing_lifts_it(self, tmp_path: Path, answers_file: Path) -> None:
        """A veto on what the flow is (its channel) has no lever: the first tipping point says so."""
        policy = load_policy(vetoing_policy(tmp_path / "rules", PHONE))
        answers = load_answers(answers_file)
        answers = answers.model_copy(update={"flows": (answers.flows[0].model_copy(update={"regulated_data": ()}),)})
        rec = recommend(answers, policy)
        for lang, expected, option in (
                ("en", "No single lever within its plausible range lifts the veto of ", " on outsource."),
                ("fr", "Aucun levier seul, dans sa plage plausible, ne lève le veto de ", " sur « externaliser »")):
            text = render(rec, policy, "text", lang, tipping=True)  # type: ignore[arg-type]
            first = tipping_text(text, str(labels(lang)["tipping"]))[0].replace("\u00a0", " ")  # type: ignore[arg-type]
            assert first.startswith(expected) and "TST-03" in first and option.replace("\u00a0", " ") in first
