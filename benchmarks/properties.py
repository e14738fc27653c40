"""The monotonicity properties of the policy, each on 2,000 generated flows.

Runs every property of ``tests/test_policy_properties.py`` (the same hypothesis tests ``make test``
runs on a few examples each, with ``ARBITRE_PROPERTY_EXAMPLES`` set here) one property a process
across the machine's cores, and prints a table: the property, the examples run (until the first
failure, for a property that fails), whether it holds, and its CPU seconds; then each failure as its
minimal pair of flows. Exit 1 when a property fails or ran fewer examples than asked.
See docs/policy-guide.md, "Monotonicity properties".

Run with ``make bench`` or ``python benchmarks/properties.py [EXAMPLES] [--only NAME ...]``; results
in ``benchmarks/results/properties.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import multiprocessing
import os
import resource
import sys
import time
import traceback
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results" / "properties.json"
DEFAULT_EXAMPLES = 2000
MODULE = "test_policy_properties"


@dataclass
class Outcome:
    """What running one property found."""

    name: str
    examples: int = 0            # examples that passed, plus the first that failed
    failed: bool = False
    report: str = ""             # the minimal pair (or the error) of a failure
    cpu_seconds: float = 0.0


def _import_properties(examples: int) -> ModuleType:
    """The test module, with ``examples`` a property (it reads the variable when imported)."""
    os.environ["ARBITRE_PROPERTY_EXAMPLES"] = str(examples)
    for path in (ROOT / "tests", ROOT):
        if str(path) not in sys.path:
            sys.path.insert(0, str(path))
    import importlib

    return importlib.import_module(MODULE)


def property_names(module: ModuleType) -> list[str]:
    """The hypothesis tests of the module, in the order they are written."""
    return [name for name, obj in vars(module).items() if name.startswith("test_") and hasattr(obj, "hypothesis")]


_worker: dict[str, Any] = {}


def _start_worker(examples: int) -> None:
    """In each worker process: import the properties and load the policy once."""
    from engine.policy.loading import load_policy

    module = _import_properties(examples)
    _worker["module"] = module
    _worker["rules"] = module.Rules(load_policy(ROOT / "rules"))


def _failure_text(exc: BaseException) -> str:
    """A property's own report (pytest.fail's message), or the traceback of anything else."""
    parts = getattr(exc, "exceptions", None)
    if parts:
        return "\n\n".join(_failure_text(part) for part in parts)
    if type(exc).__name__ == "Failed":  # pytest.fail: the message is the minimal pair
        return str(getattr(exc, "msg", exc))
    return "".join(traceback.format_exception(exc)).rstrip()


def run_property(name: str) -> Outcome:
    """Run one property's hypothesis test, counting the examples it checks."""
    from hypothesis.errors import UnsatisfiedAssumption

    test = getattr(_worker["module"], name)
    outcome = Outcome(name)
    passed = 0
    inner = test.hypothesis.inner_test

    def counted(*args: Any, **kwargs: Any) -> None:
        nonlocal passed
        try:
            inner(*args, **kwargs)
        except UnsatisfiedAssumption:
            raise
        except BaseException:
            if not outcome.failed:
                outcome.failed, outcome.examples = True, passed + 1
            raise
        passed += 1

    # Hypothesis reads the inner test through this handle when it runs (reassignable by design).
    test.hypothesis.inner_test = counted
    start = time.process_time()
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # hypothesis's own "Falsifying example" lines
            test(rules=_worker["rules"])
    except BaseException as exc:  # pytest.fail raises an OutcomeException, not an Exception
        outcome.failed = True
        outcome.report = _failure_text(exc)
        if not outcome.examples:
            outcome.examples = passed
    finally:
        test.hypothesis.inner_test = inner
    outcome.cpu_seconds = time.process_time() - start
    if not outcome.failed:
        outcome.examples = passed
    return outcome


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("examples", nargs="?", type=int, default=DEFAULT_EXAMPLES,
                        help=f"examples a property (default {DEFAULT_EXAMPLES})")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="run only these properties")
    args = parser.parse_args(argv)
    if args.examples < 1:
        parser.error(f"examples: {args.examples} is not a number of examples (expected at least 1)")

    names = property_names(_import_properties(args.examples))
    if args.only:
        unknown = sorted(set(args.only) - set(names))
        if unknown:
            parser.error(f"no such property: {', '.join(unknown)} (expected one of {', '.join(names)})")
        names = [name for name in names if name in args.only]

    processes = min(len(names), os.cpu_count() or 1)
    wall = time.perf_counter()
    # Fresh processes (spawn), not forks: durable_rules keeps module-level state.
    with ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("spawn"),
                             initializer=_start_worker, initargs=(args.examples,)) as pool:
        outcomes = list(pool.map(run_property, names))
    wall = time.perf_counter() - wall
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime

    width = max(len(name) for name in names)
    print(f"Monotonicity properties (tests/test_policy_properties.py), {args.examples:,} examples each:")
    print(f"  {'property':{width}}  {'examples':>8}  {'failures':>8}  {'CPU s':>6}")
    for o in outcomes:
        short = not o.failed and o.examples < args.examples
        note = f"  only {o.examples:,} of {args.examples:,}" if short else ""
        print(f"  {o.name:{width}}  {o.examples:>8,}  {int(o.failed):>8}  {o.cpu_seconds:>6.1f}{note}")
    failed = [o for o in outcomes if o.failed]
    short = [o for o in outcomes if not o.failed and o.examples < args.examples]
    print(f"{len(outcomes)} properties: {len(outcomes) - len(failed)} hold, {len(failed)} fail; "
          f"{sum(o.examples for o in outcomes):,} examples; CPU {cpu:.1f} s in all "
          f"({sum(o.cpu_seconds for o in outcomes):.1f} s in the properties), wall {wall:.1f} s "
          f"on {processes} processes")
    for o in failed:
        print(f"\n=== {o.name}: failed at example {o.examples:,}; its minimal pair:\n{o.report}")

    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"examples": args.examples, "cpu_seconds": cpu, "wall_seconds": wall,
                                   "properties": [asdict(o) for o in outcomes]}, indent=2) + "\n",
                       encoding="utf-8")
    return 1 if failed or short else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
