"""Running a compiled policy on durable_rules: the one module that imports it.

Each stratum is a ruleset registered once per process on a shared ``Host``
(ruleset names are process-global). An evaluation asserts the flow's facts into
each stratum in turn under its own session id, collects the rules that fired
with the facts they matched, applies their derived facts before the next
stratum, and deletes the session's state. Errors raised inside actions are
collected and raised as ``EngineError`` (durable_rules would swallow them).
"""

from __future__ import annotations

import itertools
from importlib import metadata
import threading
from dataclasses import dataclass
from typing import Any, Callable

from durable import engine as durable

from .compile import FLOW_MARK, compile_policy
from .errors import EngineError, PolicyError
from .facts import engine_fields
from .policy import PlacedRule, Policy


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
        self.errors: list[BaseException] = []


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
# durable_rules refuses a fact of more than about 255 fields (error 302); two are ours.
MAX_FIELDS = 250


def _ignore(c: Any) -> None:
    """The catch-all rule's action: nothing."""


class Engine:
    """A policy compiled and registered on durable_rules, ready to evaluate flows."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self._sessions = itertools.count()
        self._live: dict[str, _Evaluation] = {}
        self._strata: list[tuple[str, frozenset[str]]] = []
        host = _shared_host()
        serial = next(_names)
        definitions = {}
        for index, ((definition, fields), rules) in enumerate(zip(compile_policy(policy), policy.strata)):
            if len(fields) > MAX_FIELDS:
                raise PolicyError(f"the policy in {policy.root}: stratum {index} tests {len(fields)} fields; "
                                  f"durable_rules takes at most {MAX_FIELDS} in one fact: split the rules that "
                                  "test the most facts, or test fewer list values")
            name = f"arbitre_{policy.name}_{serial}_s{index}"
            for placed in rules:
                definition[placed.rule.id]["run"] = self._action(placed)
            definition[_CATCH_ALL] = {"all": [{"m": {FLOW_MARK: True}}], "run": _ignore}
            definitions[name] = definition
            self._strata.append((name, fields))
        if definitions:
            host.register_rulesets(definitions)
        self._host = host

    def _action(self, placed: PlacedRule) -> Callable[[Any], None]:
        rule = placed.rule

        def action(c: Any) -> None:
            evaluation = self._live.get(c.m._d.get("sid"))  # noqa: SLF001 - the matched fact as a plain dict
            if evaluation is None or rule.id in evaluation.fired:
                return  # an 'any' condition can match twice: record a rule once
            try:
                evaluation.fired.add(rule.id)
                known = evaluation.facts
                matched = {name: known.get(name, evaluation.derived.get(name)) for name in placed.reads}
                evaluation.firings.append(Firing(rule.id, placed.stratum, matched))
                for name in rule.then.derive:
                    evaluation.derived[name] = True
            except BaseException as exc:  # noqa: BLE001 - re-raised after the assert returns
                evaluation.errors.append(exc)

        return action

    def evaluate(self, facts: dict[str, Any]) -> tuple[list[Firing], dict[str, bool]]:
        """Run every stratum on one flow's facts; the firings in order and the derived facts."""
        sid = f"e{next(self._sessions)}"
        evaluation = _Evaluation(facts, dict.fromkeys(self.policy.derived, False))
        self._live[sid] = evaluation
        base = engine_fields(facts)
        try:
            for name, fields in self._strata:
                known = {**base, **evaluation.derived}
                message = {field: known[field] for field in fields if field in known}
                message["sid"] = sid
                message[FLOW_MARK] = True
                try:
                    self._host.assert_fact(name, message)
                except durable.MessageNotHandledException:
                    pass  # no rule of this stratum matched
                except Exception as exc:
                    raise EngineError(f"the rule engine failed on stratum {name}: {exc}") from exc
                finally:
                    try:
                        self._host.delete_state(name, sid)
                    except Exception:  # noqa: BLE001 - a state that was never created
                        pass
                if evaluation.errors:
                    raise EngineError(f"a rule action failed: {evaluation.errors[0]!r}") from evaluation.errors[0]
        finally:
            del self._live[sid]
        return evaluation.firings, evaluation.derived


def engine_for(policy: Policy) -> Engine:
    """The engine for a policy, compiled and registered once per process per policy digest and directory."""
    key = (policy.digest, str(policy.root))
    engine = _registered.get(key)
    if engine is None:
        engine = Engine(policy)
        _registered[key] = engine
    return engine


def engine_version() -> str:
    """The version of durable_rules in use."""
    try:
        return metadata.version("durable_rules")
    except metadata.PackageNotFoundError:  # pragma: no cover - installed without metadata
        return "unknown"
