"""Audit records and what is done with them, through the real policy in rules/ and the real engine.

``arbitre recommend --audit`` and ``arbitre explain`` run in this process through click's runner
where a test reads what they print, and as the installed entry point in a subprocess for a few
runs of each (exit codes, standard error); the record's content, why-not, verify and the tipping
points are checked against direct evaluations of the engine.
"""

from __future__ import annotations

import json
import platform
import re
import shutil
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path
from typing import Any, Callable

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter

from conftest import arbitre_in_process

from engine.answers import load_answers
from engine.analysis.audit import AuditRecord, RecordError, load_record, why_not, with_digest
from engine.models import Decision, Flow, FlowInputs, Organisation, resolve
from engine.policy.loading import Policy, load_policy
from engine.problems import phrase, say
from engine.recommend import FlowResult, evaluate_flow
from engine.policy.rules import Comparison, Condition, first_failure, holds
from engine.analysis.tipping import QUALITATIVE, current_value, tipping_points, with_value

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "rules"
EXAMPLES = ROOT / "examples"
ACME = EXAMPLES / "acme-retail.yaml"
EXAMPLE_FILES = sorted(EXAMPLES.glob("*.yaml"))
FIXTURES = Path(__file__).parent / "audit"
MINIMAL = FIXTURES / "minimal.yaml"
WHY_NOT = FIXTURES / "why-not.yaml"
ARBITRE = Path(sys.executable).parent / "arbitre"
PARAMETERS = yaml.safe_load((RULES / "parameters.yaml").read_text(encoding="utf-8"))["parameters"]

Run = subprocess.CompletedProcess


# --- helpers -------------------------------------------------------------------------------------

def arbitre(*args: str | Path, cwd: Path | None = None) -> Run[str]:
    """Run the installed entry point and capture what it prints."""
    return subprocess.run([str(ARBITRE), *map(str, args)], capture_output=True, text=True, timeout=120, cwd=cwd)


def arbitre_many(commands: dict[Any, tuple[str | Path, ...]]) -> dict[Any, Run[str]]:
    """Several runs of the command line in this process, by name."""
    return {key: arbitre_in_process(*args) for key, args in commands.items()}


def ok(run: Run[str]) -> Run[str]:
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr
    return run


def flat(text: str) -> str:
    """Text with its line wrapping undone, to look for a sentence the wrapper may have cut."""
    return re.sub(r"[ \t\n]+", " ", text).strip()  # not str.split(): it would break at no-break spaces


def outcome_of(result: FlowResult) -> tuple[str, list[str]]:
    return result.verdict.decision.value, [s.value for s in result.verdict.split]


def inputs_of(answers_file: Path) -> dict[str, FlowInputs]:
    return {inputs.flow.id: inputs for inputs in resolve(load_answers(answers_file))}


def copy_policy(where: Path) -> Path:
    target = where / "policy-copy"
    shutil.copytree(RULES, target, ignore=shutil.ignore_patterns("__pycache__"))
    return target


def set_parameter(policy_dir: Path, name: str, value: float) -> None:
    """Change one parameter's value in a policy copy's parameters.yaml, as a person would."""
    path = policy_dir / "parameters.yaml"
    text = path.read_text(encoding="utf-8")
    changed, count = re.subn(rf"(?m)^(  {name}:\n    value: )\S+$", rf"\g<1>{value}", text)
    assert count == 1, f"parameter {name} not found"
    path.write_text(changed, encoding="utf-8")


def params_of(policy: Policy) -> dict[str, Any]:
    return {name: [band.model_dump() for band in p.value] if p.is_bands else p.value  # type: ignore[union-attr]
            for name, p in policy.parameters.items()}


def comparisons(cond: Any) -> list[Comparison]:
    if isinstance(cond, Comparison):
        return [cond]
    subs = getattr(cond, "all", None) or getattr(cond, "any", None) or [getattr(cond, "not_", None)]
    return [c for sub in subs if sub is not None for c in comparisons(sub)]


# --- records made once for the module --------------------------------------------------------------

ONE_FLOW = "after-sales"
# Recommendations with --audit on the acme example: both languages, both text formats, on every flow
# and on one, with and without --detail full (name: language, format, --flow, --detail).
CASES: dict[str, tuple[str, str, str | None, str]] = {
    "en-text": ("en", "text", None, "normal"),
    "fr-text-full": ("fr", "text", None, "full"),
    "en-markdown-full": ("en", "markdown", None, "full"),
    "fr-markdown": ("fr", "markdown", None, "normal"),
    "en-text-flow-full": ("en", "text", ONE_FLOW, "full"),
    "fr-markdown-flow": ("fr", "markdown", ONE_FLOW, "normal"),
}


def _options(lang: str, fmt: str, flow: str | None, detail: str) -> tuple[str, ...]:
    return ("--lang", lang, "--format", fmt, "--detail", detail, *(("--flow", flow) if flow else ()))


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The recommendations of CASES with their records, and of the answers fixtures, then the
    explanations of those records, and the JSON outputs: the runs of each step at once."""
    tmp = tmp_path_factory.mktemp("audit-runs")
    records = {name: tmp / f"{name}.json" for name in [*CASES, "why-not", "minimal"]}
    first: dict[Any, tuple[str | Path, ...]] = {
        name: ("recommend", ACME, *_options(*case), "--audit", records[name]) for name, case in CASES.items()}
    first["why-not"] = ("recommend", WHY_NOT, "--audit", records["why-not"])
    first["minimal"] = ("recommend", MINIMAL, "--audit", records["minimal"])
    for lang in ("en", "fr"):
        first["json", lang] = ("recommend", ACME, "--format", "json", "--tipping-points", "--lang", lang)
    recommended = arbitre_many(first)
    for run in recommended.values():
        ok(run)
    second: dict[Any, tuple[str | Path, ...]] = {
        name: ("explain", records[name], *_options(lang, fmt, None, detail))
        for name, (lang, fmt, _flow, detail) in CASES.items()}
    # a record of every flow, explained for one flow only
    second["en-text-flow-full", "filtered"] = ("explain", records["en-text"], *_options(*CASES["en-text-flow-full"]))
    second["fr-markdown-flow", "filtered"] = ("explain", records["fr-markdown"], *_options(*CASES["fr-markdown-flow"]))
    for lang in ("en", "fr"):
        second["json", lang] = ("explain", records["en-text"], "--format", "json", "--lang", lang)
    explained = arbitre_many(second)
    records["acme"] = records["en-text"]
    return {"tmp": tmp, "records": records, "recommended": recommended, "explained": explained}


# --- 1. round trip ---------------------------------------------------------------------------------

class TestRoundTrip:
    @pytest.mark.parametrize("case", list(CASES))
    def test_explain_prints_what_recommend_printed(self, runs: dict[str, Any], case: str) -> None:
        """explain RECORD prints exactly what the recommend run that wrote it printed."""
        lang, fmt, flow, detail = CASES[case]
        recommended, explained = runs["recommended"][case], ok(runs["explained"][case])
        assert explained.stdout == recommended.stdout
        assert say(phrase("wrote.record", path=str(runs["records"][case])), lang) in recommended.stderr
        # the options took effect
        assert recommended.stdout.startswith("# " if fmt == "markdown" else "Arbitre recommendation -"
                                             if lang == "en" else "Recommandation Arbitre")
        assert ("order-taking" in recommended.stdout) == (flow is None)
        assert bool(re.search(r"\b(classify|economics|hybrid|in_house)\.yaml:\d+", recommended.stdout)) \
            == (detail == "full")

    @pytest.mark.parametrize("case", ["en-text-flow-full", "fr-markdown-flow"])
    def test_a_record_of_every_flow_explained_for_one(self, runs: dict[str, Any], case: str) -> None:
        assert ok(runs["explained"][case, "filtered"]).stdout == runs["recommended"][case].stdout

    @pytest.mark.parametrize("lang", ["en", "fr"])
    def test_json_equals_recommend_with_tipping_points(self, runs: dict[str, Any], lang: str) -> None:
        """explain --format json gives the JSON of recommend --format json --tipping-points."""
        explained = json.loads(ok(runs["explained"]["json", lang]).stdout)
        recommended = json.loads(runs["recommended"]["json", lang].stdout)
        assert explained == recommended
        assert all("tipping_points" in flow for flow in explained["flows"])

    def test_explain_needs_no_policy(self, tmp_path: Path) -> None:
        """A record made with a policy copy explains, and verifies, after the copy is deleted."""
        copy = copy_policy(tmp_path)
        record = tmp_path / "record.json"
        made = ok(arbitre("recommend", ACME, "--policy", copy, "--audit", record, "--detail", "full"))
        shutil.rmtree(copy)
        assert not copy.exists()
        explained, why, verified = arbitre_many({
            "explain": ("explain", record, "--detail", "full"),
            "why-not": ("explain", record, "--flow", "order-taking", "--why-not", "keep_internal"),
            "verify": ("explain", record, "--verify")}).values()
        assert ok(explained).stdout == made.stdout
        assert "policy-copy/classify.yaml" not in made.stdout and "classify.yaml:4" in made.stdout
        assert ok(why).stdout.startswith("Why not keep in-house for Order taking by phone (order-taking)?")
        # the deleted copy was the bundled policy: the same decisions, the same files
        assert ok(verified).stdout.startswith("Same decisions") and "files changed" not in verified.stdout


# --- 2. the record ---------------------------------------------------------------------------------

def read_json(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


class TestRecord:
    def test_validates_and_names_tool_engine_and_policy(self, runs: dict[str, Any], policy: Policy) -> None:
        data = read_json(runs["records"]["acme"])
        record = AuditRecord.model_validate(data)
        assert record.tool.name == "arbitre" and record.tool.version == version("arbitre")
        assert record.engine.name == "durable_rules" and record.engine.version == version("durable-rules")
        assert record.python == platform.python_version()
        assert (record.policy.name, record.policy.version, record.policy.digest) == (
            policy.name, policy.version, policy.digest)
        assert Path(record.policy.root).resolve() == RULES.resolve()
        assert record.policy.parameters == params_of(policy)
        assert [r.id for r in record.policy.rules] == [p.rule.id for p in policy.rules]
        assert record.source.file == str(ACME)
        assert [f.id for f in record.flows] == [i.flow.id for i in resolve(load_answers(ACME))]
        assert load_record(runs["records"]["acme"]) == record

    @pytest.mark.parametrize("which", ["minimal", "acme"])
    def test_answers_are_complete(self, runs: dict[str, Any], which: Any) -> None:
        """Every field of the organisation and of each flow is in the record, defaults included."""
        data = read_json(runs["records"][which])
        answers = load_answers(MINIMAL if which == "minimal" else ACME)
        assert data["answers"] == answers.model_dump(mode="json")
        assert set(data["answers"]["organisation"]) == set(Organisation.model_fields)
        for flow in data["answers"]["flows"]:
            assert set(flow) == set(Flow.model_fields)

    def test_defaults_used_are_the_fields_left_out(self, runs: dict[str, Any]) -> None:
        data = read_json(runs["records"]["minimal"])
        flows = {f["id"]: f for f in data["flows"]}
        levels = ["volume_predictability", "data_sensitivity", "brand_criticality", "customer_value"]
        common = [*levels, "regulated_data", "unique_know_how", "skill_gap", "coverage_hours_needed",
                  "customers_expect_local", "provider_certifications", "organisation.absenteeism_pct",
                  "organisation.country", "organisation.currency", "organisation.opening_hours_per_week"]
        assert set(flows["bare"]["defaults_used"]) == {
            *common, "activity", "peak_ratio", "repetitiveness", "scripting", "complexity",
            "organisation.annual_turnover_pct"}
        # 'some' answers its activity, peaks, work and turnover; the organisation gives the hourly cost
        assert set(flows["some"]["defaults_used"]) == set(common)
        raw = yaml.safe_load(MINIMAL.read_text(encoding="utf-8"))
        for given in raw["flows"]:
            listed = flows[given["id"]]["defaults_used"]
            assert not set(given) & set(listed)
            assert not {f"organisation.{key}" for key in raw["organisation"]} & set(listed)
        # every field the acme file answers is answered: no default is listed
        acme = read_json(runs["records"]["acme"])
        assert {f["id"]: f["defaults_used"] for f in acme["flows"]} == {f["id"]: [] for f in acme["flows"]}

    @pytest.mark.parametrize("which", ["minimal", "why-not", "acme"])
    def test_firings_in_order_with_matched_facts(self, runs: dict[str, Any], policy: Policy, which: Any) -> None:
        """Per flow: every rule that fired, in firing order, with the facts it matched as they are in
        the flow's facts; the record's facts are the engine's."""
        data = read_json(runs["records"][which])
        inputs = inputs_of(Path(data["source"]["file"]) if Path(data["source"]["file"]).is_absolute()
                           else ROOT / data["source"]["file"])
        derived_names = set(data["policy"]["derived_facts"])
        for flow in data["flows"]:
            result = evaluate_flow(inputs[flow["id"]], policy)
            assert [f["rule"] for f in flow["firings"]] == [f.rule_id for f in result.firings]
            assert [f["order"] for f in flow["firings"]] == list(range(1, len(flow["firings"]) + 1))
            assert flow["facts"] == json.loads(json.dumps(result.facts))
            assert flow["derived_facts"] == sorted(n for n, v in result.derived.items() if v)
            assert (flow["decision"], flow["split"]) == outcome_of(result)
            for firing in flow["firings"]:
                placed = policy.rule(firing["rule"])
                assert (firing["file"], firing["line"], firing["stratum"], firing["title"]) == (
                    Path(placed.file).name, placed.line, placed.stratum, placed.rule.title.both())
                assert set(firing["matched"]) == set(placed.reads)
                assert firing["matched"], firing["rule"]
                for name, value in firing["matched"].items():
                    if name in derived_names:
                        assert value == (name in flow["derived_facts"]), (firing["rule"], name)
                    else:
                        assert value == flow["facts"].get(name), (firing["rule"], name)

    def test_written_atomically_with_a_new_id_each_time(self, tmp_path: Path) -> None:
        folder = tmp_path / "records"
        folder.mkdir()
        first, second = folder / "first.json", folder / "second.json"
        made = arbitre_many({1: ("recommend", MINIMAL, "--audit", first), 2: ("recommend", MINIMAL, "--audit", second)})
        for run in made.values():
            ok(run)
        assert sorted(p.name for p in folder.iterdir()) == ["first.json", "second.json"]
        one, two = read_json(first), read_json(second)
        assert re.fullmatch(r"[0-9a-f]{32}", one["record_id"]) and one["record_id"] != two["record_id"]
        assert one["flows"] == two["flows"]
        # written again over an existing record: still no temporary file left
        ok(arbitre("recommend", MINIMAL, "--audit", first))
        assert sorted(p.name for p in folder.iterdir()) == ["first.json", "second.json"]
        assert read_json(first)["record_id"] not in (one["record_id"], two["record_id"])

    def test_record_into_a_missing_folder_is_a_user_error(self, tmp_path: Path) -> None:
        run = arbitre("recommend", MINIMAL, "--audit", tmp_path / "no" / "record.json")
        assert run.returncode == 2 and "cannot write" in run.stderr and "Traceback" not in run.stderr


# --- 3. verify -------------------------------------------------------------------------------------

class TestVerify:
    def test_a_changed_parameter_that_changes_a_decision(self, runs: dict[str, Any], policy: Policy,
                                                         tmp_path: Path) -> None:
        """A tier-1 split from 35 % of routine contacts instead of 20 % takes acme's after-sales flow (30 %
        routine) out of the tier-1 split, and changes no other flow: --verify exits 3 and says so."""
        copy = copy_policy(tmp_path)
        set_parameter(copy, "tier1_share_min", 35)
        changed = load_policy(copy)
        then_results = {fid: evaluate_flow(i, policy) for fid, i in inputs_of(ACME).items()}
        now_results = {fid: evaluate_flow(i, changed) for fid, i in inputs_of(ACME).items()}
        flipped = [fid for fid in then_results if outcome_of(then_results[fid]) != outcome_of(now_results[fid])]
        assert flipped == ["after-sales"]
        fired_then = [f.rule_id for f in then_results["after-sales"].firings]
        fired_now = [f.rule_id for f in now_results["after-sales"].firings]
        then_only = [r for r in fired_then if r not in fired_now]
        now_only = [r for r in fired_now if r not in fired_then]
        assert then_only == ["CLS-13", "HYB-03"] and now_only == []

        record = runs["records"]["acme"]
        as_json, as_text = arbitre_many({"json": ("explain", record, "--verify", "--policy", copy, "--format", "json"),
                                         "text": ("explain", record, "--verify", "--policy", copy)}).values()
        assert as_json.returncode == 3, as_json.stderr
        data = json.loads(as_json.stdout)
        assert data["changed"] == [{
            "flow": "after-sales", "name": "After-sales service by phone",
            "recorded": {"decision": "hybrid", "split": ["tier1"]},
            "now": {"decision": "keep_internal", "split": []},
            "fired_then_only": then_only, "fired_now_only": now_only}]
        assert outcome_of(now_results["after-sales"]) == ("keep_internal", [])
        assert outcome_of(then_results["after-sales"]) == ("hybrid", ["tier1"])
        assert data["policy_now"]["digest"] == changed.digest != data["policy_then"]["digest"] == policy.digest

        assert as_text.returncode == 3, as_text.stderr
        text = flat(as_text.stdout)
        assert "1 of 6 flows is decided differently now" in text
        assert "after-sales: recorded hybrid (tier 1 only), now keep in-house" in text
        assert f"fired then, not now: {', '.join(then_only)}" in text
        assert "fired now, not then" not in text
        assert "Traceback" not in as_text.stderr

    def test_only_the_flow_asked(self, runs: dict[str, Any], tmp_path: Path) -> None:
        copy = copy_policy(tmp_path)
        set_parameter(copy, "tier1_share_min", 35)
        record = runs["records"]["acme"]
        other, same = arbitre_many({
            "other": ("explain", record, "--verify", "--policy", copy, "--flow", "order-taking"),
            "same": ("explain", record, "--verify", "--policy", copy, "--flow", "after-sales")}).values()
        assert other.returncode == 0 and other.stdout.startswith("Same decision: the flow is decided as recorded")
        assert same.returncode == 3 and "after-sales" in same.stdout

    def test_a_policy_changed_only_in_a_comment(self, runs: dict[str, Any], policy: Policy, tmp_path: Path) -> None:
        """Another digest, the same decisions: exit 0, and the change of files is mentioned."""
        copy = copy_policy(tmp_path)
        with (copy / "hybrid.yaml").open("a", encoding="utf-8") as handle:
            handle.write("# A comment added after the record was written.\n")
        now = load_policy(copy)
        assert now.digest != policy.digest
        record = runs["records"]["acme"]
        as_text, as_json, unchanged = arbitre_many({
            "text": ("explain", record, "--verify", "--policy", copy),
            "json": ("explain", record, "--verify", "--policy", copy, "--format", "json"),
            "unchanged": ("explain", record, "--verify")}).values()
        assert as_text.returncode == 0, as_text.stderr
        text = flat(as_text.stdout)
        assert text.startswith("Same decisions: the 6 flows are decided as recorded")
        assert f"The policy's files changed since the record ({policy.digest[:19]} then, {now.digest[:19]} now)" in text
        assert as_json.returncode == 0
        data = json.loads(as_json.stdout)
        assert data["changed"] == [] and data["policy_now"]["digest"] == now.digest
        assert unchanged.returncode == 0 and "files changed" not in unchanged.stdout


# --- 4. tampering ----------------------------------------------------------------------------------

def _set(path: tuple[Any, ...], change: Callable[[Any], Any]) -> Callable[[dict[str, Any]], None]:
    def edit(data: dict[str, Any]) -> None:
        node = data
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = change(node[path[-1]])
    return edit


TAMPERINGS = {
    "decision": _set(("flows", 0, "decision"), lambda d: "keep_internal" if d != "keep_internal" else "outsource"),
    "override": _set(("flows", 0, "override"), lambda _: {"decision": "hybrid", "reason": "added later"}),
    "rule text": _set(("flows", 0, "firings", 0, "text", "en"), lambda t: t + " Really."),
    "rule condition": _set(("policy", "rules", 0, "when"), lambda w: {**w, "op": "gt"}),
    "score": _set(("flows", 0, "scores", "outsource"), lambda s: s + 1),
    "fact": _set(("flows", 0, "facts", "monthly_volume"), lambda v: v + 1),
    "parameter": _set(("policy", "parameters", "massive_volume_min"), lambda v: v + 5),
    "answer": _set(("answers", "flows", 0, "aht_seconds"), lambda v: v * 2),
    "tipping point": _set(("flows", 1, "tipping_points", "points", 0, "value"), lambda v: v * 1.5),
}


def tampered_copy(original: dict[str, Any], name: str, folder: Path) -> Path:
    data = json.loads(json.dumps(original))
    TAMPERINGS[name](data)
    assert data != original
    path = folder / f"{name.replace(' ', '-')}.json"
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


class TestTampering:
    @pytest.mark.parametrize("name", list(TAMPERINGS))
    def test_a_changed_value_is_detected(self, runs: dict[str, Any], tmp_path: Path, name: str) -> None:
        path = tampered_copy(read_json(runs["records"]["acme"]), name, tmp_path)
        with pytest.raises(RecordError, match="was changed after it was written"):
            load_record(path)

    def test_the_command_refuses_a_changed_record(self, runs: dict[str, Any], tmp_path: Path) -> None:
        """explain, explain --verify and explain --why-not: exit 2, the message, no traceback."""
        original = read_json(runs["records"]["acme"])
        paths = {name: tampered_copy(original, name, tmp_path) for name in ("decision", "rule text", "fact")}
        done = arbitre_many({
            **{name: ("explain", path) for name, path in paths.items()},
            "verify": ("explain", paths["fact"], "--verify"),
            "why-not": ("explain", paths["decision"], "--flow", "order-taking", "--why-not", "hybrid"),
        })
        for name, run in done.items():
            assert run.returncode == 2, (name, run.stderr)
            assert f"was changed after it was written: its content no longer matches its digest" in run.stderr
            assert run.stdout == "" and "Traceback" not in run.stderr, name

    def test_reformatting_is_not_tampering(self, runs: dict[str, Any], tmp_path: Path) -> None:
        """The digest is over the content: the same record written with other spacing and key order loads."""
        data = read_json(runs["records"]["acme"])
        path = tmp_path / "compact.json"
        path.write_text(json.dumps(dict(reversed(list(data.items()))), separators=(",", ":")), encoding="utf-8")
        assert load_record(path).record_id == data["record_id"]

    @pytest.mark.parametrize(("edit", "where"), [
        (lambda d: d["flows"][0]["firings"][0].pop("matched"), "flows[0].firings[0].matched"),
        (lambda d: d.pop("policy"), "policy"),
        (lambda d: d["flows"][1].pop("decision"), "flows[1].decision"),
    ], ids=["matched", "policy", "decision"])
    def test_a_missing_field_breaks_the_schema(self, runs: dict[str, Any], tmp_path: Path,
                                              edit: Callable[[dict[str, Any]], None], where: str) -> None:
        data = read_json(runs["records"]["acme"])
        edit(data)
        path = tmp_path / "record.json"
        path.write_text(json.dumps(data, indent=1), encoding="utf-8")
        with pytest.raises(RecordError, match="does not follow its schema") as raised:
            load_record(path)
        assert f"{where}: is required" in raised.value.report()
        if where == "flows[0].firings[0].matched":  # and through the command
            run = arbitre("explain", path)
            assert run.returncode == 2
            assert f"the audit record {path} does not follow its schema (was it edited?)" in run.stderr
            assert f"{where}: is required" in run.stderr
            assert "Traceback" not in run.stderr and run.stdout == ""

    @pytest.mark.parametrize(("content", "message"), [
        ("{not json", "cannot read the audit record"),
        ("", "cannot read the audit record"),
        ("Arbitre recommendation - Acme Retail\n", "cannot read the audit record"),
        ('{"flows": []}', "is not an Arbitre audit record"),
        ("[1, 2]", "is not an Arbitre audit record"),
    ], ids=["broken", "empty", "text", "other-json", "list"])
    def test_not_a_record(self, tmp_path: Path, content: str, message: str) -> None:
        path = tmp_path / "record.json"
        path.write_text(content, encoding="utf-8")
        with pytest.raises(RecordError, match=message):
            load_record(path)

    def test_the_command_on_what_is_not_a_record(self, tmp_path: Path) -> None:
        broken, answers, absent = tmp_path / "broken.json", tmp_path / "answers.json", tmp_path / "absent.json"
        broken.write_text("{not json", encoding="utf-8")
        answers.write_text(json.dumps(load_answers(MINIMAL).model_dump(mode="json")), encoding="utf-8")
        done = arbitre_many({"broken": ("explain", broken), "answers": ("explain", answers),
                             "absent": ("explain", absent)})
        assert "cannot read the audit record" in done["broken"].stderr and "not valid JSON" in done["broken"].stderr
        assert "is not an Arbitre audit record" in done["answers"].stderr
        assert "no such audit record" in done["absent"].stderr
        for run in done.values():
            assert run.returncode == 2 and run.stdout == "" and "Traceback" not in run.stderr


# --- 5. why not ------------------------------------------------------------------------------------

def supporters(policy: Policy, option: Decision) -> list[str]:
    """The rules that vote for the option (the economic vote for outsourcing and hybrid, the risks of
    handing contacts over for keeping), and for hybrid the rules that propose a split, in policy order."""
    return [p.rule.id for p in policy.rules
            if option in p.rule.then.vote or (option is Decision.hybrid and p.rule.then.split)
            or (option is not Decision.keep_internal and p.rule.then.vote_by_saving is not None)
            or (option is Decision.keep_internal and p.rule.then.against is not None)]


def expected_weight(rule: Any, option: Decision, recorded: Any) -> Any:
    """The weight why-not shows for a supporting rule: a number or a weight parameter's value; for a
    graded vote or the economic vote, the weight it was given when it fired (None when it did not)."""
    if option is Decision.keep_internal and rule.then.against is not None:
        weight = rule.then.against.weight
    else:
        weight = rule.then.vote.get(option)
    if isinstance(weight, str):
        return PARAMETERS[weight]["value"]
    if isinstance(weight, (int, float)):
        return weight
    given = [v.weight for v in recorded.votes if v.option == option] if recorded is not None else []
    return sum(given) if given else None


@pytest.fixture(scope="module")
def why_not_record(runs: dict[str, Any]) -> Any:
    return load_record(runs["records"]["why-not"])


class TestWhyNot:
    @pytest.mark.parametrize("option", list(Decision), ids=[d.value for d in Decision])
    @pytest.mark.parametrize("flow_id", ["dear-email", "churn-orders", "local-peaks", "plain-peaks", "expert-mixed"])
    def test_each_supporting_rule_fired_or_failed_on_a_false_comparison(
            self, why_not_record: Any, policy: Policy, flow_id: str, option: Decision) -> None:
        """The rules listed are those that would support the option; the fired ones are marked so; for
        each other, the failed comparison names a fact with its real value and is really false."""
        data = why_not(why_not_record, flow_id, option)
        result = evaluate_flow(inputs_of(WHY_NOT)[flow_id], policy)
        facts = {**result.facts, **result.derived}
        params = params_of(policy)
        fired = {f.rule_id for f in result.firings}
        assert (data["decision"], data["split"]) == outcome_of(result)
        assert [r["rule"] for r in data["rules"]] == supporters(policy, option)
        record_flow = next(f for f in why_not_record.flows if f.id == flow_id)
        texts = {f.rule: f.text for f in record_flow.firings}
        assert data["vetoes"] == [{"rule": rid, "text": texts[rid]} for rid in result.verdict.vetoes.get(option, ())]
        assert data["needs_split"] == (option is Decision.hybrid and not result.verdict.proposed_splits)
        for item in data["rules"]:
            placed = policy.rule(item["rule"])
            rule = placed.rule
            recorded = next((f for f in record_flow.firings if f.rule == item["rule"]), None)
            assert item["weight"] == expected_weight(rule, option, recorded)
            assert item["split"] == ([s.value for s in rule.then.split] if option is Decision.hybrid else [])
            assert (item["file"], item["line"]) == (Path(placed.file).name, placed.line)
            assert item["fired"] == (item["rule"] in fired)
            assert holds(rule.when, facts, params) == item["fired"]
            failed = item["failed"]
            if item["fired"]:
                assert failed is None
                continue
            assert failed is not None, item["rule"]
            assert failed["fact"] in {c.fact for c in comparisons(rule.when)}
            assert failed["actual"] == facts.get(failed["fact"])
            if failed["param"] is not None:
                assert failed["threshold"] == PARAMETERS[failed["param"]]["value"]
            else:
                assert failed["threshold"] == failed["value"]
            reported = Comparison.model_validate(
                {"fact": failed["fact"], "op": failed["op"],
                 **({"param": failed["param"]} if failed["param"] is not None else {"value": failed["value"]})})
            assert reported in comparisons(rule.when)
            # the comparison is false (or, under a 'not', true): either way the rule cannot hold
            assert holds(reported, facts, params) == failed["negated"]

    def test_failures_and_the_economic_vote(self, why_not_record: Any, policy: Policy) -> None:
        """dear-email: the provider is dearer, so the economic vote (ECO-01) fired against outsourcing
        with the weight of its band, and ECO-07 vetoes it; the other supporters name what failed."""
        data = why_not(why_not_record, "dear-email", Decision.outsource)
        by_id = {r["rule"]: r for r in data["rules"]}
        saving = evaluate_flow(inputs_of(WHY_NOT)["dear-email"], policy).facts["savings_pct"]
        assert saving < 0 and by_id["ECO-01"]["fired"] and by_id["ECO-01"]["weight"] == -3
        assert by_id["ECO-06"]["failed"]["actual"] == "other"
        assert by_id["ECO-06"]["failed"]["value"] == ["information", "order_taking", "support_level1"]
        assert by_id["SKL-01"]["failed"] == {"fact": "skill_gap", "op": "eq", "value": True, "param": None,
                                             "threshold": True, "actual": False, "negated": False}
        assert [v["rule"] for v in data["vetoes"]] == ["ECO-07"]
        assert data["vetoes"][0]["text"]["en"].startswith("The provider costs")
        # an industrial flow with a real saving: CLS-12 and ECO-01 fired, with the weights they were given
        fired = why_not(why_not_record, "churn-orders", Decision.outsource)
        assert {r["rule"]: (r["fired"], r["weight"]) for r in fired["rules"]} == {
            "CLS-12": (True, 2), "ECO-01": (True, 3), "ECO-06": (True, 0.1), "SKL-01": (False, 4), "HYB-02": (False, None)}

    def test_negation_and_alternatives(self, why_not_record: Any) -> None:
        local = {r["rule"]: r for r in why_not(why_not_record, "local-peaks", Decision.keep_internal)["rules"]}
        assert local["BRD-02"]["failed"]["fact"] == "provider_is_local"
        assert local["BRD-02"]["failed"]["actual"] is True
        assert local["BRD-01"]["fired"] and local["BRD-01"]["weight"] == 2
        mixed = {r["rule"]: r for r in why_not(why_not_record, "expert-mixed", Decision.keep_internal)["rules"]}
        assert mixed["CPX-01"]["fired"] and mixed["CPX-01"]["weight"] == 3
        assert mixed["KNW-01"]["failed"]["fact"] == "unique_know_how"
        # plain-peaks: a provider 8.6 % dearer; the overflow stays on the table (HYB-06) without the
        # vote the peaks would give it (HYB-01 fails on its 'not' of a dearer provider)
        peaks = {r["rule"]: r for r in why_not(why_not_record, "plain-peaks", Decision.hybrid)["rules"]}
        assert peaks["HYB-06"]["fired"] and peaks["HYB-06"]["split"] == ["overflow"]
        assert not peaks["HYB-01"]["fired"] and peaks["HYB-01"]["failed"]["negated"] is True
        assert peaks["HYB-01"]["failed"]["fact"] == "provider_dearer"
        assert peaks["HYB-03"]["weight"] is None and peaks["HYB-03"]["split"] == ["tier1"]

    def test_command(self, runs: dict[str, Any]) -> None:
        record = runs["records"]["why-not"]
        text, full, as_json, fr, no_flow, both, unknown = arbitre_many({
            "text": ("explain", record, "--flow", "dear-email", "--why-not", "outsource"),
            "full": ("explain", record, "--flow", "dear-email", "--why-not", "outsource", "--detail", "full"),
            "json": ("explain", record, "--flow", "dear-email", "--why-not", "outsource", "--format", "json"),
            "fr": ("explain", record, "--flow", "dear-email", "--why-not", "outsource", "--lang", "fr"),
            "no-flow": ("explain", record, "--why-not", "outsource"),
            "both": ("explain", record, "--flow", "dear-email", "--why-not", "outsource", "--verify"),
            "unknown": ("explain", record, "--flow", "nope", "--why-not", "outsource"),
        }).values()
        shown = flat(ok(text).stdout)
        assert shown.startswith("Why not outsource for dear-email (dear-email)?")
        skl01 = next(n for n, line in enumerate((RULES / "economics.yaml").read_text(encoding="utf-8").splitlines(), 1)
                     if line.strip() == "- id: SKL-01")
        assert f"SKL-01 Skill missing in-house (economics.yaml:{skl01}; +4): did not fire" in shown
        assert "did not fire, because: No skill the flow needs is missing in-house" in shown
        assert "skill_gap eq" not in shown
        assert "No skill the flow needs is missing in-house skill_gap eq true; actual: false" in flat(ok(full).stdout)
        assert "ECO-01 The economic equation (economics.yaml:3; \u22123): fired" in shown
        assert "ECO-06 Typical outsourced activity" in shown
        assert json.loads(ok(as_json).stdout) == why_not(load_record(record), "dear-email", Decision.outsource)
        french = flat(ok(fr).stdout)
        assert "SKL-01 Compétence manquante en interne (economics.yaml:" in french
        assert "Aucune compétence nécessaire au flux ne manque en interne" in french
        assert "skill_gap" not in french
        assert no_flow.returncode == 2 and "--why-not outsource needs --flow ID" in no_flow.stderr
        assert "dear-email, churn-orders" in no_flow.stderr and no_flow.stdout == ""
        assert both.returncode == 2 and "give one of them" in both.stderr
        assert unknown.returncode == 2 and "no flow with that id in the record" in unknown.stderr
        for run in (no_flow, both, unknown):
            assert "Traceback" not in run.stderr

    def test_record_with_english_titles_only(self, runs: dict[str, Any], tmp_path: Path) -> None:
        """A record written before rules had French titles (plain English titles and rationales, no
        derived facts' words) still explains in French: the titles as recorded, the rest in French."""
        data = json.loads(Path(runs["records"]["why-not"]).read_text(encoding="utf-8"))
        del data["policy"]["derived_fact_words"]
        for rule in data["policy"]["rules"]:
            rule["title"], rule["rationale"] = rule["title"]["en"], rule["rationale"]["en"]
        for flow in data["flows"]:
            for item in flow["firings"] + flow["pivots"]:
                item["title"] = item["title"]["en"]
            for firing in flow["firings"]:
                firing["rationale"] = firing["rationale"]["en"]
        old = tmp_path / "old.json"
        old.write_text(json.dumps(with_digest(data)), encoding="utf-8")
        full, why = arbitre_many({
            "full": ("explain", old, "--lang", "fr", "--detail", "full"),
            "why": ("explain", old, "--flow", "dear-email", "--why-not", "outsource", "--lang", "fr")}).values()
        assert "Décision" in ok(full).stdout and "White paper" in full.stdout
        shown = flat(ok(why).stdout)
        assert "SKL-01 Skill missing in-house (economics.yaml:" in shown
        assert "Aucune compétence nécessaire au flux ne manque en interne" in shown

    @pytest.mark.parametrize(("lang", "expected"), [("en", "Ruled out by ECO-07: The provider costs"),
                                                    ("fr", "Exclu par ECO-07\u202f: Le prestataire coûte")])
    def test_veto_line_names_the_rule(self, runs: dict[str, Any], lang: str, expected: str) -> None:
        run = ok(arbitre("explain", runs["records"]["why-not"], "--flow", "dear-email", "--why-not", "outsource",
                         "--lang", lang))
        assert "{rule}" not in run.stdout
        assert expected in flat(run.stdout)


def test_first_failure_under_a_double_negation() -> None:
    """not(not(x eq 1)) fails for x = 2 because x eq 1 is false: the report must say so."""
    cond = TypeAdapter(Condition).validate_python({"not": {"not": {"fact": "x", "op": "eq", "value": 1}}})
    facts = {"x": 2}
    assert not holds(cond, facts)
    failed = first_failure(cond, facts)
    assert failed is not None and failed["fact"] == "x"
    reported = Comparison(fact="x", op="eq", value=1)
    assert holds(reported, facts) == failed["negated"]  # x eq 1 is false: it must not be 'negated'


# --- 6. tipping points -----------------------------------------------------------------------------

def _enum_value(field: str, plain: Any) -> Any:
    """A qualitative answer as the model holds it (the tipping points keep its plain value)."""
    return next(v for v in QUALITATIVE[field] if getattr(v, "value", v) == plain)


def _at(inputs: FlowInputs, field: str, value: Any, policy: Policy) -> tuple[str, list[str]]:
    if field == "monthly_volume":
        assert float(value).is_integer()
        value = int(value)
    return outcome_of(evaluate_flow(with_value(inputs, field, value), policy))


def check_tipping_points(inputs: FlowInputs, policy: Policy) -> int:
    """Every tipping point of a flow, checked by evaluating the flow on both sides of it; every
    other qualitative value, checked to leave the decision as it is. The points checked."""
    base = evaluate_flow(inputs, policy)
    today = outcome_of(base)
    found = tipping_points(inputs, policy, (base.verdict.decision, base.verdict.split))
    for point in found.points:
        label = f"{inputs.flow.id} {point.field} {point.direction}"
        assert point.current == current_value(inputs, point.field), label
        assert _at(inputs, point.field, point.unchanged_at, policy) == today, label
        assert _at(inputs, point.field, point.value, policy) == (point.decision.value,
                                                                 [s.value for s in point.split]), label
        assert (point.decision.value, [s.value for s in point.split]) != today, label
        if point.direction == "below":
            assert point.value < point.unchanged_at <= point.current, label
        else:
            assert point.current <= point.unchanged_at < point.value, label
        tolerance = max(0.01 * abs(point.current), 1.0 if point.field == "monthly_volume" else 0.01)
        assert abs(point.value - point.unchanged_at) <= tolerance, label
    flips = {(f.field, f.value): f for f in found.flips}
    for field, values in QUALITATIVE.items():
        current = getattr(inputs.flow, field)
        for value in values:
            if value == current:
                continue
            plain = getattr(value, "value", value)
            outcome = _at(inputs, field, _enum_value(field, plain), policy)
            flip = flips.get((field, plain))
            if flip is None:
                assert outcome == today, f"{inputs.flow.id}: {field}={plain} changes the decision, not listed"
            else:
                assert flip.current == getattr(current, "value", current)
                assert outcome == (flip.decision.value, [s.value for s in flip.split]) != today
    return len(found.points) + len(found.flips)


class TestTippingPoints:
    @pytest.mark.parametrize("example", EXAMPLE_FILES, ids=[p.stem for p in EXAMPLE_FILES])
    def test_every_point_of_every_example(self, policy: Policy, example: Path) -> None:
        checked = sum(check_tipping_points(inputs, policy) for inputs in resolve(load_answers(example)))
        assert checked > 0

    def test_the_record_keeps_the_points(self, runs: dict[str, Any], policy: Policy) -> None:
        """The points in the record are those the engine finds."""
        data = read_json(runs["records"]["acme"])
        inputs = inputs_of(ACME)
        for flow in data["flows"]:
            result = evaluate_flow(inputs[flow["id"]], policy)
            found = tipping_points(result.inputs, policy, (result.verdict.decision, result.verdict.split))
            kept = flow["tipping_points"]
            assert [(p["field"], p["direction"], p["value"], p["unchanged_at"], p["decision"], p["split"])
                    for p in kept["points"]] == [
                (p.field, p.direction, p.value, p.unchanged_at, p.decision.value, [s.value for s in p.split])
                for p in found.points]
            assert [(f["field"], f["value"], f["decision"]) for f in kept["flips"]] == [
                (f.field, getattr(f.value, "value", f.value), f.decision.value) for f in found.flips]

    @settings(max_examples=60, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow])
    @given(example=st.sampled_from(EXAMPLE_FILES), index=st.integers(0, 20),
           volume=st.integers(50, 200_000), aht=st.floats(30, 1_800), peak=st.floats(1.0, 3.0),
           turnover=st.floats(0, 120))
    def test_points_of_varied_flows(self, policy: Policy, example: Path, index: int, volume: int, aht: float,
                                    peak: float, turnover: float) -> None:
        """The same checks on example flows with other volumes, handling times, peaks and turnover."""
        flows = resolve(load_answers(example))
        inputs = flows[index % len(flows)]
        flow = inputs.flow.model_copy(update={"monthly_volume": volume, "aht_seconds": aht, "peak_ratio": peak,
                                              "annual_turnover_pct": turnover})
        check_tipping_points(inputs.model_copy(update={"flow": Flow.model_validate(flow.model_dump())}), policy)

    def test_points_are_the_nearest(self, policy: Policy) -> None:
        """Between today's answer and the last value with today's decision, nothing changes it (sampled),
        apart from the case of the next test."""
        for example in EXAMPLE_FILES:
            for inputs in resolve(load_answers(example)):
                base = evaluate_flow(inputs, policy)
                today = outcome_of(base)
                for point in tipping_points(inputs, policy, (base.verdict.decision, base.verdict.split)).points:
                    if (inputs.flow.id, point.field) == ("assistance-abroad", "coverage_hours_needed"):
                        continue
                    for k in range(1, 20):
                        value = point.current + (point.unchanged_at - point.current) * k / 20
                        value = round(value) if point.field == "monthly_volume" else value
                        assert _at(inputs, point.field, value, policy) == today, (inputs.flow.id, point.field, value)

    def test_the_nearest_point_on_a_decision_that_changes_back(self, tmp_path: Path) -> None:
        """With a rule that pushes an overflow only between 800 and 1,200 contacts a month, the health
        insurer's assistance line at 300 contacts is kept in-house, becomes a hybrid with more volume,
        and is kept in-house again with more still: the point reported is the first change, not one
        past the stretch where the decision changed and changed back."""
        copy = copy_policy(tmp_path)
        with (copy / "hybrid.yaml").open("a", encoding="utf-8") as handle:
            handle.write(
                "\n  - id: TST-01\n    title: A middle band of volume\n    rationale: A test of tipping points.\n"
                "    when:\n      all:\n        - {fact: monthly_volume, op: ge, value: 800}\n"
                "        - {fact: monthly_volume, op: lt, value: 1200}\n"
                "    then: {split: [overflow], vote: {hybrid: 100}}\n"
                "    explain: {en: In the middle band., fr: Dans la bande du milieu.}\n")
        banded = load_policy(copy)
        inputs = with_value(inputs_of(EXAMPLES / "health-insurer.yaml")["assistance-abroad"], "monthly_volume", 300)
        base = evaluate_flow(inputs, banded)
        assert outcome_of(base) == ("keep_internal", [])
        assert _at(inputs, "monthly_volume", 1000, banded) == ("hybrid", ["overflow"])
        assert _at(inputs, "monthly_volume", 1400, banded) == ("keep_internal", [])  # the levers' range ends at 5x
        points = tipping_points(inputs, banded, (base.verdict.decision, base.verdict.split)).points
        above = next(p for p in points if (p.field, p.direction) == ("monthly_volume", "above"))
        assert 800 <= above.value <= 1000, f"reported {above.value} ({above.unchanged_at} unchanged)"
        assert _at(inputs, "monthly_volume", above.unchanged_at, banded) == ("keep_internal", [])


# --- 7. override -----------------------------------------------------------------------------------

class TestOverride:
    def test_bad_overrides_are_user_errors(self) -> None:
        runs = arbitre_many({
            "no-reason": ("recommend", ACME, "--override", "order-taking=keep_internal"),
            "blank-reason": ("recommend", ACME, "--override", "order-taking=keep_internal", "--reason", "  "),
            "unknown-flow": ("recommend", ACME, "--override", "nope=keep_internal", "--reason", "x"),
            "bad-decision": ("recommend", ACME, "--override", "order-taking=maybe", "--reason", "x"),
            "no-decision": ("recommend", ACME, "--override", "order-taking", "--reason", "x"),
            "reason-alone": ("recommend", ACME, "--reason", "x"),
        })
        for name, run in runs.items():
            assert run.returncode == 2, (name, run.stderr)
            assert run.stdout == "" and "Traceback" not in run.stderr, name
        assert "an override needs a reason: add --reason TEXT" in runs["no-reason"].stderr
        assert "an override needs a reason" in runs["blank-reason"].stderr
        assert "no flow with the id 'nope'" in runs["unknown-flow"].stderr
        assert "order-taking, support-chat" in runs["unknown-flow"].stderr
        for name in ("bad-decision", "no-decision"):
            assert "expected FLOW_ID=DECISION, the decision one of outsource, hybrid, keep_internal" \
                in runs[name].stderr
        assert "--reason is given without --override" in runs["reason-alone"].stderr

    def test_both_decisions_and_the_reason_are_shown_and_kept(self, tmp_path: Path) -> None:
        record = tmp_path / "record.json"
        reason = "Works council agreement until 2026"
        made = arbitre_many({
            "text": ("recommend", ACME, "--override", "order-taking=keep_internal", "--reason", reason,
                     "--audit", record),
            "fr": ("recommend", ACME, "--override", "order-taking=keep_internal", "--reason", reason,
                   "--lang", "fr", "--format", "markdown"),
            "json": ("recommend", ACME, "--override", "order-taking=keep_internal", "--reason", reason,
                     "--format", "json"),
        })
        text = flat(ok(made["text"]).stdout)
        section = text[text.index("(order-taking)"):text.index("(support-chat)")]
        assert "Decision: OUTSOURCE" in section
        assert (f"Overridden by a person: Keep in-house, decided by a person instead of the engine's outsource. "
                f"Reason: {reason}") in section
        assert text.count("Overridden by a person") == 1
        fr = flat(ok(made["fr"]).stdout)
        assert "**Décision\u202f: EXTERNALISER**" in fr and reason in fr and "Garder en interne" in fr
        flows = {f["id"]: f for f in json.loads(ok(made["json"]).stdout)["flows"]}
        assert flows["order-taking"]["decision"] == "outsource"
        assert flows["order-taking"]["override"] == {"decision": "keep_internal", "reason": reason}
        assert "override" not in flows["support-chat"]

        data = read_json(record)
        kept = {f["id"]: f for f in data["flows"]}
        assert kept["order-taking"]["decision"] == "outsource"
        assert kept["order-taking"]["override"] == {"decision": "keep_internal", "reason": reason}
        assert all(f["override"] is None for fid, f in kept.items() if fid != "order-taking")
        again = ok(arbitre("explain", record))
        assert again.stdout == made["text"].stdout
        why = json.loads(ok(arbitre("explain", record, "--flow", "order-taking", "--why-not", "keep_internal",
                                    "--format", "json")).stdout)
        assert why["decision"] == "outsource" and why["override"] == {"decision": "keep_internal", "reason": reason}

    def test_one_reason_each(self, tmp_path: Path) -> None:
        record = tmp_path / "record.json"
        ok(arbitre("recommend", ACME, "--override", "order-taking=keep_internal", "--override",
                   "social-care=hybrid", "--reason", "first", "--reason", "second", "--audit", record))
        kept = {f["id"]: f["override"] for f in read_json(record)["flows"]}
        assert kept["order-taking"] == {"decision": "keep_internal", "reason": "first"}
        assert kept["social-care"] == {"decision": "hybrid", "reason": "second"}

    def test_an_override_of_a_flow_not_recommended_is_refused(self, tmp_path: Path) -> None:
        run = arbitre("recommend", ACME, "--flow", "order-taking", "--override", "support-chat=keep_internal",
                      "--reason", "x", "--audit", tmp_path / "record.json")
        assert run.returncode == 2


# --- 8. --detail full ------------------------------------------------------------------------------

RULE_ID = r"[A-Z][A-Z0-9]*-[0-9]{2,3}"
TEXT_HEAD = re.compile(rf"^ +(?:[+\u2212]\S+ +)?({RULE_ID}) ")
TEXT_WHERE = re.compile(r"^ +([a-z_]+\.yaml):(\d+) - ")
VETO_LINE = re.compile(r"\((?:ruled out by|exclu par) ([^)]*)\)")
MD_PAIR = re.compile(rf"`({RULE_ID})`[^\n]*\n  <br>`([a-z_]+\.yaml):(\d+)`")


def flow_sections(output: str, fmt: str) -> list[str]:
    """The explanation of each flow, in order (the header before them left out)."""
    if fmt == "markdown":
        return re.split(r"(?m)^## ", output)[1:]
    return re.split(r"(?m)^=+$", output)[1:]


def shown_locations(section: str, fmt: str) -> list[tuple[str, str, int]]:
    """(rule, file, line) for every fired rule the explanation places in its file."""
    if fmt == "markdown":
        return [(rule, file, int(line)) for rule, file, line in MD_PAIR.findall(section)]
    out, head = [], None
    vetoing: list[str] = []  # the rules of a "ruled out by A, B" line, placed in that order below it
    for line in section.splitlines():
        where = TEXT_WHERE.match(line)
        if where is not None:
            if head is None and vetoing:
                head = vetoing.pop(0)
            assert head is not None, line
            out.append((head, where[1], int(where[2])))
            head = None
            continue
        ruled = VETO_LINE.search(line)
        if ruled is not None:
            vetoing = re.findall(RULE_ID, ruled[1])
            continue
        found = TEXT_HEAD.match(line)
        if found is not None:
            head = found[1]
    return out


def rule_starts(file: Path) -> dict[str, int]:
    """The line where each rule of a rule file starts, read from the YAML text itself."""
    text = file.read_text(encoding="utf-8")
    return {m[1]: text.count("\n", 0, m.start()) + 1
            for m in re.finditer(rf"(?m)^[ \t]*- id: ({RULE_ID})[ \t]*$", text)}


# (answers, format) -> the run of recommend --detail full; acme's are in the module's runs
DETAILED = [(EXAMPLES / "health-insurer.yaml", "text"), (EXAMPLES / "health-insurer.yaml", "markdown"),
            (EXAMPLES / "telecom-operator.yaml", "text"), (EXAMPLES / "us-retail-holiday-overflow.yaml", "text"),
            (WHY_NOT, "text")]


@pytest.fixture(scope="module")
def detailed(runs: dict[str, Any]) -> dict[tuple[str, str], Run[str]]:
    done = arbitre_many({(answers.stem, fmt): ("recommend", answers, "--detail", "full", "--format", fmt)
                         for answers, fmt in DETAILED})
    done[ACME.stem, "text"] = runs["recommended"]["fr-text-full"]
    done[ACME.stem, "markdown"] = runs["recommended"]["en-markdown-full"]
    return done


class TestDetailFull:
    @pytest.mark.parametrize(("answers", "fmt"), [(ACME, "text"), (ACME, "markdown"), *DETAILED],
                             ids=lambda v: v.stem if isinstance(v, Path) else v)
    def test_every_file_line_is_where_the_rule_starts(self, detailed: dict[tuple[str, str], Run[str]],
                                                      policy: Policy, answers: Path, fmt: str) -> None:
        lines_of = {f.name: f.read_text(encoding="utf-8").splitlines() for f in RULES.glob("*.yaml")}
        sections = flow_sections(ok(detailed[answers.stem, fmt]).stdout, fmt)
        flows = resolve(load_answers(answers))
        assert len(sections) == len(flows)
        for inputs, section in zip(flows, sections):
            assert inputs.flow.id in section.strip().splitlines()[0]
            shown = shown_locations(section, fmt)
            for rule, file, line in shown:
                assert file in lines_of, file
                assert 1 <= line <= len(lines_of[file])
                assert re.fullmatch(rf"[ \t]*- id: {rule}[ \t]*", lines_of[file][line - 1]), (rule, file, line)
                assert rule_starts(RULES / file)[rule] == line
                placed = policy.rule(rule)
                assert (Path(placed.file).name, placed.line) == (file, line)
            # every fired rule that voted or found something is placed (the veto-only ones: the next test)
            fired = [f.rule_id for f in evaluate_flow(inputs, policy).firings]
            placed_ones = fired  # every fired rule: a reason, a finding or a veto
            assert {rule for rule, _, _ in shown} == set(placed_ones), inputs.flow.id  # a rule voting twice shows twice

    def test_vetoing_rules_are_placed_too(self, detailed: dict[tuple[str, str], Run[str]]) -> None:
        section = flow_sections(ok(detailed[WHY_NOT.stem, "text"]).stdout, "text")[0]
        assert "dear-email" in section and "ECO-07" in section
        assert "ECO-07" in {rule for rule, _, _ in shown_locations(section, "text")}
