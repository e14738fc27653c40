"""Running a compiled policy on durable_rules: the one module that imports it.

Each stratum is a ruleset registered once per process on a shared ``Host``
(ruleset names are process-global). An evaluation asserts the flow's facts into
each stratum in turn under its own session id, runs the generated action of
every rule that fired (it records the rule with the facts it matched and
asserts its derived facts), feeds those facts to the next stratum, and deletes
the session's state. An error inside an action is raised as ``EngineError``
where it happens (durable_rules' own dispatcher would swallow it).
"""

from __future__ import annotations

import itertools
import json
import threading
from dataclasses import dataclass
from typing import Any, Callable

import durable_rules_engine as _core
from durable import engine as durable

from .policy.compile import FLOW_MARK, compile_policy, limits, membership_sets
from .errors import EngineError, PolicyError
from .facts import engine_fields
from .policy.loading import PlacedRule, Policy


@dataclass(frozen=True)
class Firing:
    """One rule that fired: which, in which stratum, and the facts it matched."""

    rule_id: str
    stratum: int
    matched: dict[str, Any]


class _Evaluation:
    """The working memory of one evaluation: firings and derived facts so far."""

    def __init__(self, facts: dict[str, Any], derived: dict[str, bool]) -> None:
        self.facts = facts
        self.derived = derived
        self.firings: list[Firing] = []
        self.fired: set[str] = set()


_host: durable.Host | None = None
_host_lock = threading.Lock()
_registered: dict[tuple[str, str], "Engine"] = {}
_names = itertools.count()


class _Host(durable.Host):  # type: ignore[misc]
    """A durable_rules host without its two polling timer threads: every evaluation here is
    synchronous (actions run inside ``assert_fact``), so nothing is left for them to do."""

    def _run(self) -> None:
        """Start no timers."""


def _shared_host() -> durable.Host:
    """The process's durable_rules host (ruleset names are process-wide)."""
    global _host
    with _host_lock:
        if _host is None:
            _host = _Host()
        return _host


# durable_rules 2.0.28 can crash the process (segmentation fault) when it deletes
# the state of a session whose fact no rule matched. Every stratum therefore
# carries this rule, which matches every flow and does nothing: each assertion is
# handled, and deleting its state is safe. Rule ids cannot start with "_".
_CATCH_ALL = "_arbitre_any_flow"


def _ignore(c: Any) -> None:
    """What durable_rules' own dispatcher would run: nothing, since ``Engine`` runs the actions."""


class Engine:
    """A policy compiled and registered on durable_rules, ready to evaluate flows.

    Rulesets are registered on the shared ``Host``; evaluation drives the engine's
    synchronous core directly (assert, then take and complete each action in turn),
    so that an action's error is raised where it happens and no state is rewritten
    between actions.
    """

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self._sessions = itertools.count()
        self._strata: list[tuple[str, Any, frozenset[str]]] = []
        self._actions: dict[str, Callable[[_Evaluation], None]] = {}
        beyond = limits(policy)
        if beyond:
            raise PolicyError(f"the policy in {policy.root} is more than the inference engine can run", tuple(beyond))
        host = _shared_host()
        serial = next(_names)
        definitions = {}
        names = []
        for index, ((definition, fields), rules) in enumerate(zip(compile_policy(policy), policy.strata)):
            name = f"arbitre_{policy.name}_{serial}_s{index}"
            for placed in rules:
                definition[placed.rule.id]["run"] = _ignore
                self._actions[placed.rule.id] = self._action(placed)
            definition[_CATCH_ALL] = {"all": [{"m": {FLOW_MARK: True}}], "run": _ignore}
            definitions[name] = definition
            names.append((name, fields))
        if definitions:
            host.register_rulesets(definitions)
        for name, fields in names:
            self._strata.append((name, host.get_ruleset(name)._handle, fields))  # noqa: SLF001 - see class doc
        self._fields = frozenset().union(*(fields for _name, fields in names))
        self._sets = membership_sets(policy)

    @property
    def tested(self) -> frozenset[str]:
        """The facts the rules' conditions test (list facts as one field per value tested)."""
        return self._fields

    @staticmethod
    def _action(placed: PlacedRule) -> Callable[[_Evaluation], None]:
        """The action generated for one rule: record it with the facts it matched, then assert
        its derived facts into the evaluation's working memory."""
        rule = placed.rule

        def action(evaluation: _Evaluation) -> None:
            if rule.id in evaluation.fired:
                return  # an 'any' condition can match twice: record a rule once
            evaluation.fired.add(rule.id)
            known = evaluation.facts
            matched = {name: known.get(name, evaluation.derived.get(name)) for name in placed.reads}
            evaluation.firings.append(Firing(rule.id, placed.stratum, matched))
            for name in rule.then.derive:
                evaluation.derived[name] = True

        return action

    def _run_stratum(self, name: str, handle: Any, message: dict[str, Any], evaluation: _Evaluation) -> None:
        """Assert the flow's fact into one stratum and run every action it activates, in order."""
        sid = message["sid"]
        try:
            result = _core.assert_fact(handle, json.dumps(message))
        except Exception as exc:
            raise EngineError(f"the rule engine refused the facts on stratum {name}: {exc}") from exc
        state = result[1]
        try:
            started = _core.start_action_for_state(handle, state)
            pending = started[1] if started else None
            while pending:
                # An action's message is {"RULE-ID": {"m": {...}}}, one rule at a time; rule ids
                # hold no quote, so the id is read without decoding the whole fact again.
                rule_id = pending[2:pending.index('"', 2)]
                if rule_id != _CATCH_ALL:
                    self._actions[rule_id](evaluation)
                pending = _core.complete_and_start_action(handle, state)
        except Exception as exc:
            _abandon(handle, state)
            raise EngineError(f"a rule action failed on stratum {name}: {exc!r}") from exc
        finally:
            _core.delete_state(handle, sid)

    def evaluate(self, facts: dict[str, Any]) -> tuple[list[Firing], dict[str, bool]]:
        """Run every stratum on one flow's facts; the firings in order and the derived facts."""
        sid = f"e{next(self._sessions)}"
        evaluation = _Evaluation(facts, dict.fromkeys(self.policy.derived, False))
        base = engine_fields(facts, self._fields, self._sets)
        for name, handle, fields in self._strata:
            known = {**base, **evaluation.derived}
            message = {field: known[field] for field in fields if field in known}
            message["sid"] = sid
            message[FLOW_MARK] = True
            self._run_stratum(name, handle, message, evaluation)
        return evaluation.firings, evaluation.derived


def _abandon(handle: Any, state: Any) -> None:
    """Release an action that failed half-way, so the session can be deleted."""
    try:
        _core.abandon_action(handle, state)
    except Exception:  # noqa: BLE001 - nothing more to release
        pass


def engine_for(policy: Policy) -> Engine:
    """The engine for a policy, compiled and registered once per process per policy digest and directory."""
    key = (policy.digest, str(policy.root))
    engine = _registered.get(key)
    if engine is None:
        engine = Engine(policy)
        _registered[key] = engine
    return engine
