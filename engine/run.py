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

from .compile import compile_policy
from .errors import EngineError
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

    def __init__(self) -> None:
        self.firings: list[Firing] = []
        self.fired: set[str] = set()
        self.derived: dict[str, bool] = {}
        self.errors: list[BaseException] = []


_host: durable.Host | None = None
_host_lock = threading.Lock()
_registered: dict[str, "Engine"] = {}
_names = itertools.count()


def _shared_host() -> durable.Host:
    """The process's durable_rules host, with its polling timers stopped: nothing here is asynchronous."""
    global _host
    with _host_lock:
        if _host is None:
            _host = durable.Host()
            for timer in (_host._d_timer, _host._t_timer):  # noqa: SLF001 - see docstring
                timer.cancel()
        return _host


class Engine:
    """A policy compiled and registered on durable_rules, ready to evaluate flows."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self._sessions = itertools.count()
        self._live: dict[str, _Evaluation] = {}
        self._strata: list[tuple[str, tuple[PlacedRule, ...]]] = []
        host = _shared_host()
        serial = next(_names)
        definitions = {}
        for index, (definition, rules) in enumerate(zip(compile_policy(policy), policy.strata)):
            name = f"arbitre_{policy.name}_{serial}_s{index}"
            for placed in rules:
                definition[placed.rule.id]["run"] = self._action(placed)
            definitions[name] = definition
            self._strata.append((name, rules))
        if definitions:
            host.register_rulesets(definitions)
        self._host = host

    def _action(self, placed: PlacedRule) -> Callable[[Any], None]:
        rule = placed.rule

        def action(c: Any) -> None:
            fact = c.m._d  # noqa: SLF001 - the matched fact as a plain dict
            evaluation = self._live.get(fact.get("sid"))
            if evaluation is None or rule.id in evaluation.fired:
                return  # an 'any' condition can match twice: record a rule once
            try:
                evaluation.fired.add(rule.id)
                matched = {name: _value(fact, name, self.policy) for name in placed.reads}
                evaluation.firings.append(Firing(rule.id, placed.stratum, matched))
                for name in rule.then.derive:
                    evaluation.derived[name] = True
            except BaseException as exc:  # noqa: BLE001 - re-raised after the assert returns
                evaluation.errors.append(exc)

        return action

    def evaluate(self, facts: dict[str, Any]) -> tuple[list[Firing], dict[str, bool]]:
        """Run every stratum on one flow's facts; the firings in order and the derived facts."""
        sid = f"e{next(self._sessions)}"
        evaluation = _Evaluation()
        evaluation.derived = {name: False for name in self.policy.derived}
        self._live[sid] = evaluation
        base = engine_fields(facts)
        try:
            for name, _rules in self._strata:
                message = {**base, **evaluation.derived, "sid": sid}
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


def _value(fact: dict[str, Any], name: str, policy: Policy) -> Any:
    kind = policy.facts[name].kind
    if kind == "list":
        return [item for item in policy.facts[name].values if fact.get(f"{name}__{item}")]
    return fact.get(name)


def engine_for(policy: Policy) -> Engine:
    """The engine for a policy, compiled and registered once per process per policy digest."""
    engine = _registered.get(policy.digest)
    if engine is None or engine.policy.root != policy.root:
        engine = Engine(policy)
        _registered[policy.digest] = engine
    return engine


def engine_version() -> str:
    """The version of durable_rules in use."""
    try:
        return metadata.version("durable_rules")
    except metadata.PackageNotFoundError:  # pragma: no cover - installed without metadata
        return "unknown"
