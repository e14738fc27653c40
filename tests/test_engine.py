"""The durable_rules hazards, through real rule files on the real engine.

durable_rules keeps process-wide rulesets, session state and timer threads, matches
an ``$or`` once per branch, swallows exceptions raised in actions, matches rules
against its own session state, and can crash when deleting some states. Each test
writes a small policy to a temporary directory (or uses the bundled one) and
checks that the engine (``engine.run``) keeps those hazards away from the user.
"""

from __future__ import annotations

import json

import shutil
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any, Callable, TypeVar

import pytest

from engine import run
from engine.costs import flow_costs
from engine.errors import EngineError, PolicyError
from engine.facts import snapshot
from engine.models import Answers, Decision, resolve
from engine.policy.loading import MAX_COMPARISONS, Policy, load_policy
from engine.recommend import evaluate_flow
from engine.run import Engine, Firing, engine_for

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "rules"
T = TypeVar("T")


def rule(rule_id: str, when: str, then: str) -> str:
    """One rule of a rule file, as YAML."""
    return (f"  - id: {rule_id}\n    title: {rule_id}\n    rationale: tests\n"
            f"    when: {when}\n    then: {then}\n    explain: {{en: x, fr: x}}\n")


def write_policy(root: Path, *rules: str, derived: tuple[str, ...] = ("big", "busy")) -> Policy:
    """A policy directory of the given rules (and derived facts), loaded by the real loader."""
    root.mkdir(parents=True)
    shutil.copy(RULES / "parameters.yaml", root / "parameters.yaml")
    facts = "".join(f"  {name}: {{en: {name}, fr: {name}}}\n" for name in derived)
    (root / "facts.yaml").write_text("derived_facts:\n" + facts, encoding="utf-8")
    (root / "policy.yaml").write_text(f"name: {root.name}\nversion: 0.1.0\nrule_files: [rules.yaml]\n",
                                      encoding="utf-8")
    (root / "rules.yaml").write_text("rules:\n" + "".join(rules), encoding="utf-8")
    return load_policy(root)


def facts(policy: Policy, **flow: Any) -> dict[str, Any]:
    """A flow's facts through the real pipeline: 500 phone contacts a month at 240 s unless told otherwise."""
    fields = {"id": "flow", "channel": "phone", "monthly_volume": 500, "aht_seconds": 240, **flow}
    inputs = resolve(Answers.model_validate({"flows": [fields]}))[0]
    return snapshot(inputs, flow_costs(inputs, policy.costs))


def within(seconds: float, work: Callable[[], T]) -> T:
    """Run ``work``, failing (instead of hanging the suite) if it does not finish in time."""
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["result"] = work()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test's thread
            outcome["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        pytest.fail(f"the evaluation did not finish in {seconds} s: a rule keeps firing")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]  # type: ignore[no-any-return]


def fire(policy: Policy, **flow: Any) -> list[str]:
    """The ids of the rules that fire on a flow, in order."""
    firings, _derived = within(20, lambda: engine_for(policy).evaluate(facts(policy, **flow)))
    return [firing.rule_id for firing in firings]


class Sessions:
    """A spy on durable_rules' core: the (ruleset handle, session) of every assertion, and the
    state seen just after it."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.real = run._core
        self.seen: list[tuple[Any, str]] = []
        self.states: list[Any] = []
        spy = self

        class Core:
            def __getattr__(self, name: str) -> Any:
                return getattr(spy.real, name)

            def assert_fact(self, handle: Any, text: str) -> Any:
                sid = json.loads(text)["sid"]
                spy.seen.append((handle, sid))
                result = spy.real.assert_fact(handle, text)
                spy.states.append(json.loads(spy.real.get_state(handle, sid)))
                return result

        monkeypatch.setattr(run, "_core", Core())

    def assert_all_deleted(self) -> None:
        assert self.seen
        for handle, sid in self.seen:
            with pytest.raises(Exception, match="Could not get state"):
                self.real.get_state(handle, sid)


NEGATION = (
    # Written before the rule it depends on: strata, not file order, decide when it runs.
    rule("NEG-02", "{not: {fact: big, op: eq, value: true}}", "{vote: {keep_internal: 1}}"),
    rule("NEG-01", "{fact: monthly_volume, op: ge, value: 1000}", "{derive: [big]}"),
    rule("NEG-03", "{not: {all: [{fact: channel, op: eq, value: phone}, {fact: big, op: eq, value: true}]}}",
         "{vote: {hybrid: 1}}"),
)


@pytest.fixture(scope="module")
def negation(tmp_path_factory: pytest.TempPathFactory) -> Policy:
    return write_policy(tmp_path_factory.mktemp("engine") / "negation", *NEGATION)


class TestNegation:
    """``not`` over a derived fact is read only once every rule deriving it has run."""

    def test_strata(self, negation: Policy) -> None:
        """The rule negating a derived fact is in a higher stratum than the rule deriving it."""
        assert negation.rule("NEG-01").stratum == 0
        assert negation.rule("NEG-02").stratum == 1

    def test_not_fired_when_derived(self, negation: Policy) -> None:
        """When the deriving rule fired, the negation does not."""
        assert "NEG-02" not in fire(negation, monthly_volume=5000)
        assert "NEG-01" in fire(negation, monthly_volume=5000)

    def test_fired_when_not_derived(self, negation: Policy) -> None:
        """When the deriving rule did not fire, the negation does."""
        assert fire(negation, monthly_volume=500)[0] == "NEG-02"
        assert "NEG-01" not in fire(negation, monthly_volume=500)

    def test_derived_facts_returned(self, negation: Policy) -> None:
        """The evaluation returns every derived fact, false unless derived."""
        _firings, derived = engine_for(negation).evaluate(facts(negation, monthly_volume=5000))
        assert derived == {"big": True, "busy": False}
        _firings, derived = engine_for(negation).evaluate(facts(negation, monthly_volume=5))
        assert derived == {"big": False, "busy": False}

    def test_matched_facts(self, negation: Policy) -> None:
        """A firing records the facts its rule read, derived ones included."""
        firings, _derived = engine_for(negation).evaluate(facts(negation, monthly_volume=500))
        assert firings[0] == Firing("NEG-02", 1, {"big": False})

    @pytest.mark.parametrize("flow,fires", [
        pytest.param({"channel": "phone", "monthly_volume": 5000}, False, id="phone-big"),
        pytest.param({"channel": "phone", "monthly_volume": 500}, True, id="phone-small"),
        pytest.param({"channel": "email", "monthly_volume": 5000}, True, id="email-big"),
    ])
    def test_not_of_all(self, negation: Policy, flow: dict[str, Any], fires: bool) -> None:
        """``not all`` holds when any part fails (De Morgan, pushed down by the compiler)."""
        assert ("NEG-03" in fire(negation, **flow)) is fires


@pytest.fixture(scope="module")
def branches(tmp_path_factory: pytest.TempPathFactory) -> Policy:
    return write_policy(
        tmp_path_factory.mktemp("engine") / "branches",
        rule("ANY-01", "{any: [{fact: channel, op: eq, value: phone}, {fact: monthly_volume, op: ge, value: 100}]}",
             "{vote: {outsource: 1}}"),
        rule("ANY-02", "{fact: channel, op: in, value: [phone, chat, email]}", "{vote: {outsource: 1}}"),
        rule("ANY-03", "{any: [{fact: monthly_volume, op: ge, value: 1}, {fact: monthly_volume, op: ge, value: 2},"
                       " {fact: monthly_volume, op: ge, value: 3}]}", "{derive: [big]}"),
        rule("ANY-04", "{fact: big, op: eq, value: true}", "{vote: {keep_internal: 1}}"),
    )


class TestAnyMatchesOnce:
    """durable_rules matches an ``$or`` once per true branch; a rule is still recorded once."""

    def test_both_branches(self, branches: Policy) -> None:
        """A rule whose two ``any`` branches both hold fires once."""
        assert fire(branches, channel="phone", monthly_volume=500).count("ANY-01") == 1

    def test_one_branch(self, branches: Policy) -> None:
        """A rule with one true branch fires once."""
        assert fire(branches, channel="email", monthly_volume=500).count("ANY-01") == 1
        assert fire(branches, channel="phone", monthly_volume=5).count("ANY-01") == 1

    def test_no_branch(self, branches: Policy) -> None:
        """A rule with no true branch does not fire."""
        assert "ANY-01" not in fire(branches, channel="email", monthly_volume=5)

    def test_three_branches_derive_once(self, branches: Policy) -> None:
        """Three true branches fire once, and the rule reading their conclusion fires once."""
        ids = fire(branches, channel="letter", monthly_volume=50)
        assert ids == ["ANY-03", "ANY-04"]

    def test_decision_counts_one_vote(self, branches: Policy) -> None:
        """The double match does not double the vote."""
        inputs = resolve(Answers.model_validate(
            {"flows": [{"id": "f", "channel": "phone", "monthly_volume": 500, "aht_seconds": 240}]}))[0]
        result = evaluate_flow(inputs, branches)
        assert result.verdict.scores[Decision.outsource] == 2  # ANY-01 and ANY-02, once each


@pytest.fixture(scope="module")
def unknowns(tmp_path_factory: pytest.TempPathFactory) -> Policy:
    return write_policy(
        tmp_path_factory.mktemp("engine") / "unknowns",
        rule("UNK-01", "{not: {fact: provider_country, op: eq, value: MA}}", "{vote: {outsource: 1}}"),
        rule("UNK-02", "{fact: provider_country, op: unknown}", "{vote: {outsource: 1}}"),
        rule("UNK-03", "{fact: provider_country, op: known}", "{vote: {outsource: 1}}"),
        rule("UNK-04", "{fact: provider_country, op: eq, value: MA}", "{vote: {outsource: 1}}"),
        rule("UNK-05", "{not: {fact: savings_pct, op: ge, value: 15}}", "{vote: {keep_internal: 1}}"),
        rule("UNK-06", "{fact: savings_pct, op: lt, value: 15}", "{vote: {keep_internal: 1}}"),
        rule("UNK-07", "{not: {fact: provider_is_local, op: eq, value: true}}", "{vote: {keep_internal: 1}}"),
    )


class TestUnknownValues:
    """A comparison on an unknown value is false and its negation true, and nothing fires forever."""

    @pytest.mark.parametrize("flow,fired", [
        pytest.param({}, {"UNK-01", "UNK-02", "UNK-05", "UNK-07"}, id="no-provider-no-quote"),
        pytest.param({"provider_country": "MA"}, {"UNK-03", "UNK-04", "UNK-05", "UNK-07"}, id="provider-MA"),
        pytest.param({"provider_country": "PT"}, {"UNK-01", "UNK-03", "UNK-05", "UNK-07"}, id="provider-PT"),
        pytest.param({"provider_country": "FR"}, {"UNK-01", "UNK-03", "UNK-05"}, id="provider-local"),
        pytest.param({"vendor_quote": {"per_contact": 50}}, {"UNK-01", "UNK-02", "UNK-05", "UNK-06", "UNK-07"},
                     id="dear-quote"),
        pytest.param({"vendor_quote": {"per_contact": 0.1}}, {"UNK-01", "UNK-02", "UNK-07"}, id="cheap-quote"),
    ])
    def test_rules_fired(self, unknowns: Policy, flow: dict[str, Any], fired: set[str]) -> None:
        """Each rule fires exactly when its condition holds, unknown values included."""
        ids = fire(unknowns, **flow)
        assert set(ids) == fired
        assert len(ids) == len(fired)

    def test_not_over_unknown_optional_fact(self, unknowns: Policy) -> None:
        """``not (provider_country = MA)`` holds when the provider's country is unknown."""
        assert "UNK-01" in fire(unknowns)

    def test_unknown_alone(self, unknowns: Policy) -> None:
        """A rule testing only that a value is unknown fires once and ends (it matches the flow, not the session)."""
        assert fire(unknowns).count("UNK-02") == 1

    def test_matched_unknown_recorded_as_none(self, unknowns: Policy) -> None:
        """An unknown value a rule read is recorded as None."""
        firings, _derived = engine_for(unknowns).evaluate(facts(unknowns))
        assert next(f for f in firings if f.rule_id == "UNK-01").matched == {"provider_country": None}

    def test_default_policy_local_agents(self, policy: Policy) -> None:
        """In the bundled policy, customers expecting local agents count against a provider abroad, and
        are a condition on a provider not chosen yet (an unknown country is no failure)."""
        def fired(**flow: Any) -> list[str]:
            inputs = resolve(Answers.model_validate({"flows": [
                {"id": "f", "channel": "phone", "monthly_volume": 2000, "aht_seconds": 240,
                 "customers_expect_local": True, **flow}]}))[0]
            return [f.rule_id for f in within(20, lambda: evaluate_flow(inputs, policy)).firings]

        unknown, abroad, local = fired(), fired(provider_country="MA"), fired(provider_country="FR")
        assert "BRD-03" in unknown and "BRD-02" not in unknown
        assert "BRD-02" in abroad and "BRD-03" not in abroad
        assert "BRD-02" not in local and "BRD-03" not in local


class TestActionErrors:
    """An exception inside a rule's action is raised, not swallowed by durable_rules."""

    def test_raised_as_engine_error(self, negation: Policy, monkeypatch: pytest.MonkeyPatch) -> None:
        """A failure while recording a firing surfaces as EngineError, chained to its cause."""
        def broken(*args: Any) -> Firing:
            raise RuntimeError("cannot record the firing")

        monkeypatch.setattr(run, "Firing", broken)
        with pytest.raises(EngineError, match="a rule action failed") as info:
            engine_for(negation).evaluate(facts(negation, monthly_volume=5000))
        assert isinstance(info.value.__cause__, RuntimeError)
        assert str(info.value.__cause__) == "cannot record the firing"
        assert info.value.exit_code == 1

    def test_cleaned_up_after_failure(self, negation: Policy, monkeypatch: pytest.MonkeyPatch) -> None:
        """A failed evaluation leaves no working memory and no session state behind."""
        sessions = Sessions(monkeypatch)
        monkeypatch.setattr(run, "Firing", lambda *args: 1 / 0)
        with pytest.raises(EngineError):
            engine_for(negation).evaluate(facts(negation, monthly_volume=5000))
        sessions.assert_all_deleted()

    def test_usable_after_failure(self, negation: Policy, monkeypatch: pytest.MonkeyPatch) -> None:
        """Once the cause is gone the same engine evaluates normally."""
        monkeypatch.setattr(run, "Firing", lambda *args: 1 / 0)
        with pytest.raises(EngineError):
            engine_for(negation).evaluate(facts(negation, monthly_volume=5000))
        monkeypatch.undo()
        assert fire(negation, monthly_volume=5000) == ["NEG-01"]


class TestRegistration:
    """Ruleset names are process-wide in durable_rules: each policy is registered once."""

    def test_same_policy_twice(self, policy: Policy) -> None:
        """Evaluating the same policy twice reuses one engine and gives the same answer."""
        engine = engine_for(policy)
        host = run._shared_host()
        before = set(host._ruleset_directory)
        first = engine.evaluate(facts(policy))
        assert engine_for(policy) is engine
        assert engine.evaluate(facts(policy)) == first
        assert set(host._ruleset_directory) == before

    def test_same_directory_loaded_again(self, policy: Policy) -> None:
        """Loading the same directory again finds the engine already registered."""
        engine = engine_for(policy)
        again = load_policy(policy.root)
        assert again is not policy
        assert engine_for(again) is engine

    def test_rulesets_named_once(self, policy: Policy) -> None:
        """Each stratum of the policy is one registered ruleset with a name of its own."""
        names = [name for name, _handle, _fields in engine_for(policy)._strata]
        assert len(names) == len(policy.strata) == len(set(names))
        assert set(names) <= set(run._shared_host()._ruleset_directory)

    def test_other_directory_same_rules(self, policy: Policy, tmp_path: Path) -> None:
        """A copy of the policy in another directory gets its own engine and the same answers."""
        shutil.copytree(RULES, tmp_path / "copy", ignore=shutil.ignore_patterns("tests"))
        copy = load_policy(tmp_path / "copy")
        assert copy.digest == policy.digest
        engine = engine_for(copy)
        assert engine is not engine_for(policy)
        assert {n for n, _h, _f in engine._strata}.isdisjoint({n for n, _h, _f in engine_for(policy)._strata})
        flow = {"monthly_volume": 12000, "peak_ratio": 1.8, "vendor_quote": {"per_contact": 2.1}}
        assert engine.evaluate(facts(copy, **flow)) == engine_for(policy).evaluate(facts(policy, **flow))

    def test_alternating_directories(self, policy: Policy, tmp_path: Path) -> None:
        """Switching back and forth between two copies registers each copy once."""
        shutil.copytree(RULES, tmp_path / "copy", ignore=shutil.ignore_patterns("tests"))
        copy = load_policy(tmp_path / "copy")
        engines = (engine_for(policy), engine_for(copy))
        host = run._shared_host()
        before = len(host._ruleset_directory)
        for _ in range(3):
            assert (engine_for(policy), engine_for(copy)) == engines
        assert len(host._ruleset_directory) == before

    def test_two_engines_for_one_policy(self, negation: Policy) -> None:
        """Even a second engine built for the same policy registers under new names and works."""
        second = Engine(negation)
        assert {n for n, _h, _f in second._strata}.isdisjoint({n for n, _h, _f in engine_for(negation)._strata})
        firings, _derived = second.evaluate(facts(negation, monthly_volume=5000))
        assert [f.rule_id for f in firings] == ["NEG-01"]


class TestSessions:
    """Each evaluation has its own session, deleted afterwards: memory stays flat."""

    def test_state_deleted(self, negation: Policy, monkeypatch: pytest.MonkeyPatch) -> None:
        """After an evaluation the session's state no longer exists in any stratum's ruleset."""
        sessions = Sessions(monkeypatch)
        engine_for(negation).evaluate(facts(negation, monthly_volume=5000))
        assert {handle for handle, _sid in sessions.seen} == {h for _n, h, _f in engine_for(negation)._strata}
        assert len({sid for _name, sid in sessions.seen}) == 1
        assert all(state["sid"] == sessions.seen[0][1] for state in sessions.states)  # it existed meanwhile
        sessions.assert_all_deleted()

    def test_new_session_each_time(self, negation: Policy, monkeypatch: pytest.MonkeyPatch) -> None:
        """Two evaluations of the same facts use two sessions and give the same firings."""
        sessions = Sessions(monkeypatch)
        engine = engine_for(negation)
        first = engine.evaluate(facts(negation))
        assert engine.evaluate(facts(negation)) == first
        assert len({sid for _name, sid in sessions.seen}) == 2

    def test_stratum_matching_nothing(self, tmp_path: Path) -> None:
        """A flow no rule matches is evaluated and its state deleted without crashing the process.

        durable_rules 2.0.28 frees memory twice when it deletes the state of a fact
        nothing matched; the crash kills the interpreter, so this runs in a fresh one.
        """
        quiet = write_policy(tmp_path / "quiet",
                             rule("QUI-01", "{fact: monthly_volume, op: ge, value: 1000}", "{derive: [big]}"),
                             rule("QUI-02", "{fact: big, op: eq, value: true}", "{vote: {outsource: 1}}"))
        script = textwrap.dedent("""\
            import sys
            from pathlib import Path
            from engine.models import Answers, resolve
            from engine.policy.loading import load_policy
            from engine.recommend import evaluate_flow
            policy = load_policy(Path(sys.argv[1]))
            flow = {"id": "f", "channel": "email", "monthly_volume": 10, "aht_seconds": 60}
            inputs = resolve(Answers.model_validate({"flows": [flow]}))[0]
            for _ in range(5):
                assert evaluate_flow(inputs, policy).firings == ()
            print("done")
            """)
        done = subprocess.run([sys.executable, "-c", script, str(quiet.root)], cwd=ROOT, capture_output=True,
                              text=True, timeout=120)
        assert (done.returncode, done.stdout.strip()) == (0, "done"), done.stderr

    def test_thousand_evaluations(self, negation: Policy, monkeypatch: pytest.MonkeyPatch) -> None:
        """A thousand evaluations in a row give the right answers and leave no state behind."""
        sessions = Sessions(monkeypatch)
        engine = engine_for(negation)
        small, big = facts(negation, monthly_volume=500), facts(negation, monthly_volume=5000)

        def batch() -> list[list[str]]:
            return [[f.rule_id for f in engine.evaluate(big if i % 2 else small)[0]] for i in range(1000)]

        results = within(120, batch)
        assert results[0] == ["NEG-02", "NEG-03"] and results[1] == ["NEG-01"]
        assert all(r == results[i % 2] for i, r in enumerate(results))
        assert len({sid for _name, sid in sessions.seen}) == 1000
        sessions.assert_all_deleted()


class TestTimers:
    """durable_rules' polling timers never start: nothing here is asynchronous."""

    def test_no_timer_threads(self, negation: Policy) -> None:
        """After evaluations no timer thread is alive, and none restarts."""
        for volume in (5, 5000):
            engine_for(negation).evaluate(facts(negation, monthly_volume=volume))
        host = run._shared_host()
        assert not hasattr(host, "_d_timer") and not hasattr(host, "_t_timer")
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline:  # a running dispatch loop would re-arm a timer within 0.5 s
            assert [t for t in threading.enumerate() if isinstance(t, threading.Timer) and t.is_alive()] == []
            time.sleep(0.05)

    def test_one_host(self, negation: Policy, policy: Policy) -> None:
        """Every engine shares the one host of the process."""
        names = {n for engine in (engine_for(negation), engine_for(policy)) for n, _h, _f in engine._strata}
        assert names <= set(run._shared_host()._ruleset_directory)


# Every two-letter code but PT and FR: 674 values, as a list of countries would be.
LONG = [a + b for a in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" for b in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" if a + b not in ("PT", "FR")]


@pytest.fixture(scope="module")
def long_lists(tmp_path_factory: pytest.TempPathFactory) -> Policy:
    values = ", ".join(f"'{code}'" for code in LONG)  # quoted: NO, ON, YES... stay text
    countries = ", ".join(f"'{code}'" for code in [*LONG, "FR"])
    return write_policy(
        tmp_path_factory.mktemp("engine") / "long",
        rule("LST-01", f"{{fact: provider_country, op: in, value: [{values}]}}", "{vote: {outsource: 1}}"),
        rule("LST-02", f"{{fact: provider_country, op: not_in, value: [{values}]}}", "{vote: {outsource: 1}}"),
        rule("LST-03", f"{{not: {{fact: provider_country, op: in, value: [{values}]}}}}", "{vote: {outsource: 1}}"),
        rule("LST-04", f"{{fact: country, op: in, value: [{countries}]}}", "{vote: {outsource: 1}}"),
    )


class TestLongLists:
    """A list of hundreds of values is one lookup: the run is quick and each value counts."""

    @pytest.mark.parametrize("flow,fired", [
        pytest.param({"provider_country": "MA"}, {"LST-01", "LST-04"}, id="in-the-list"),
        pytest.param({"provider_country": "NO"}, {"LST-01", "LST-04"}, id="a-code-yaml-1.1-reads-as-false"),
        pytest.param({"provider_country": "ZZ"}, {"LST-01", "LST-04"}, id="last-of-the-list"),
        pytest.param({"provider_country": "PT"}, {"LST-02", "LST-03", "LST-04"}, id="not-in-the-list"),
        pytest.param({}, {"LST-03", "LST-04"}, id="unknown-country"),
    ])
    def test_membership(self, long_lists: Policy, flow: dict[str, Any], fired: set[str]) -> None:
        assert set(fire(long_lists, **flow)) == fired

    def test_too_many_comparisons_are_refused_at_load(self, tmp_path: Path) -> None:
        """A condition of more comparisons than the engine evaluates in reasonable time is refused,
        with its file, line and the limit; the same test as one 'in' list loads."""
        parts = ", ".join(f"{{fact: monthly_volume, op: eq, value: {i}}}" for i in range(MAX_COMPARISONS + 1))
        with pytest.raises(PolicyError) as info:
            write_policy(tmp_path / "many", rule("ANY-01", f"{{any: [{parts}]}}", "{vote: {outsource: 1}}"))
        (problem,) = info.value.problems
        assert problem.file.endswith("rules.yaml") and problem.line == 5 and problem.path == "rules[0].when"
        assert f"{MAX_COMPARISONS + 1} comparisons in one condition, at most {MAX_COMPARISONS}" in problem.message
