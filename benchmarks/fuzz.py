"""The long fuzzing run: thousands of hostile inputs a loader, spread over the machine's cores.

The cases are those of ``tests/fuzzing.py`` (read its docstring for what is mutated and how a
case is judged): seeds ``SEED`` to ``SEED + CASES - 1`` for each loader, so a run is reproducible
and ``--seed`` starts another. Worker processes (fresh, not forked: durable_rules keeps
module-level state) run cases in-process; each caps its address space at ``--memory-mb`` beyond
what it holds once started (``RLIMIT_AS``: an allocation past it raises ``MemoryError``, counted
under memory), and the parent kills a worker whose case runs past ``--timeout`` seconds, counts a
hang and starts another. Workers are replaced every 500 cases, so that what one case leaves behind
does not weigh on the next thousands.

Prints a table per loader (cases, exit 0, exit 2, other exits a command documents, internal errors,
hangs, memory, echoed secret) and each distinct failure once. A failing input is saved under
``tests/regressions/<loader>/`` (``--no-save`` to keep none), once for each kind of failure (the
exception's type and the project function it came from), with a line in that folder's
``index.jsonl``: the command, what failed, the seed; ``tests/test_regressions.py`` replays them.
Exit 1 when anything failed. Ctrl-C stops the run and prints the figures of the cases run so far.

Run with ``make fuzz`` or ``python benchmarks/fuzz.py [--cases N] [--seed S] [--loaders NAME ...]``.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import signal
import sys
import tempfile
import time
from collections import Counter
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for _path in (ROOT / "tests", ROOT):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

import fuzzing  # noqa: E402

DEFAULT_CASES = 10_000
CASES_A_WORKER = 500
STARTUP_SECONDS = 300
COLUMNS = ["cases", "exit 0", "exit 2", "exit 1/3", "internal", "hangs", "memory", "secret"]


def _worker(conn: Connection, folder: str, memory_mb: int) -> None:
    """Run the cases the parent sends, one at a time, and send back what each did."""
    import resource

    os.environ.pop("ARBITRE_DEBUG", None)
    fuzzing.base_record()  # before the cap: made once, through the command line
    with open("/proc/self/statm") as statm:
        held = int(statm.read().split()[0]) * resource.getpagesize()
    cap = held + memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    case_folder = Path(folder) / "case"
    conn.send("ready")
    while True:
        try:
            task = conn.recv()
        except EOFError:
            return
        if task is None:
            return
        loader, seed = task
        try:
            outcome = fuzzing.run_case(fuzzing.case_for(loader, seed), case_folder)
            conn.send((loader, seed, outcome.exit_code, outcome.failure, outcome.kind, outcome.where,
                       outcome.detail))
        except MemoryError:
            conn.send((loader, seed, 1, "memory", "MemoryError@harness", "", "out of memory outside the command"))


class Pool:
    """Worker processes, each running one case at a time under the parent's deadline."""

    def __init__(self, size: int, timeout: float, memory_mb: int, folder: Path) -> None:
        self.context = multiprocessing.get_context("spawn")
        self.timeout, self.memory_mb, self.folder = timeout, memory_mb, folder
        self.slots: list[dict[str, Any]] = [self._start(index) for index in range(size)]

    def _start(self, index: int) -> dict[str, Any]:
        parent, child = self.context.Pipe()
        process = self.context.Process(target=_worker, args=(child, str(self.folder / f"worker{index}"),
                                                              self.memory_mb), daemon=True)
        process.start()
        child.close()
        # the clock of a case starts once the worker is ready, not while it imports and starts up
        if not parent.poll(STARTUP_SECONDS) or parent.recv() != "ready":
            raise RuntimeError(f"a fuzzing worker did not start within {STARTUP_SECONDS} s")
        return {"index": index, "process": process, "conn": parent, "task": None, "since": 0.0, "done": 0}

    def _restart(self, slot: dict[str, Any]) -> None:
        slot["process"].kill()
        slot["process"].join()
        slot["conn"].close()
        self.slots[slot["index"]] = self._start(slot["index"])

    def run(self, tasks: list[tuple[str, int]], report: Any) -> None:
        """Run every task, calling ``report(loader, seed, exit_code, failure, kind, where, detail)``."""
        pending = list(reversed(tasks))
        while pending or any(s["task"] for s in self.slots):
            for slot in list(self.slots):
                if slot["task"] is None and pending:
                    slot["task"], slot["since"] = pending.pop(), time.monotonic()
                    slot["conn"].send(slot["task"])
            busy = [s for s in self.slots if s["task"]]
            first_deadline = min(s["since"] for s in busy) + self.timeout
            ready = wait([s["conn"] for s in busy], timeout=max(0.0, first_deadline - time.monotonic()))
            for slot in busy:
                if slot["conn"] in ready:
                    try:
                        reply = slot["conn"].recv()
                    except (EOFError, OSError):
                        code = slot["process"].exitcode
                        report(*slot["task"], None, "internal", f"WorkerDied({code})@worker", "",
                               f"the worker process ended with {code}")
                        slot["task"] = None
                        self._restart(slot)
                        continue
                    report(*reply)
                    slot["task"], slot["done"] = None, slot["done"] + 1
                    if slot["done"] >= CASES_A_WORKER:
                        slot["conn"].send(None)
                        self._restart(slot)
                elif time.monotonic() - slot["since"] > self.timeout:
                    report(*slot["task"], None, "hang", "", "", f"still running after {self.timeout:g} s")
                    slot["task"] = None
                    self._restart(slot)

    def close(self) -> None:
        for slot in self.slots:
            slot["process"].kill()
            slot["process"].join()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=DEFAULT_CASES, help=f"cases a loader (default {DEFAULT_CASES:,})")
    parser.add_argument("--seed", type=int, default=0, help="the first seed (default 0)")
    parser.add_argument("--loaders", nargs="+", choices=fuzzing.LOADERS, default=list(fuzzing.LOADERS))
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="processes (default: the cores)")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds a case may run (default 10)")
    parser.add_argument("--memory-mb", type=int, default=500, help="memory a case may take, in MB (default 500)")
    parser.add_argument("--no-save", action="store_true", help="save no failing input under tests/regressions/")
    args = parser.parse_args(argv)
    if args.cases < 1 or args.workers < 1:
        parser.error("--cases and --workers must be at least 1")

    # Ctrl-C (SIGINT) ends the run with the figures so far, also when it was started in the background.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    counts = {loader: Counter() for loader in args.loaders}
    failures: dict[tuple[str, str], dict[str, Any]] = {}
    saved = 0
    tasks = [(loader, seed) for seed in range(args.seed, args.seed + args.cases) for loader in args.loaders]
    wall = time.perf_counter()
    progress = {"done": 0}

    def report(loader: str, seed: int, exit_code: int | None, failure: str | None, kind: str, where: str,
               detail: str) -> None:
        nonlocal saved
        count = counts[loader]
        count["cases"] += 1
        if failure is None:
            count["exit 0" if exit_code == 0 else "exit 2" if exit_code == 2 else "exit 1/3"] += 1
        else:
            count[{"internal": "internal", "hang": "hangs", "memory": "memory", "secret": "secret"}[failure]] += 1
            case = fuzzing.case_for(loader, seed)
            kind = kind or f"Hang@{' '.join(case.command[:2 if case.command[0] == 'rules' else 1])}"
            key = (loader, kind)
            if key not in failures:
                failures[key] = {"seed": seed, "failure": failure, "where": where, "detail": detail, "count": 0,
                                 "summary": case.summary, "command": " ".join(case.command)}
                if not args.no_save and fuzzing.save(case, failure, kind, detail):
                    saved += 1
            failures[key]["count"] += 1
        progress["done"] += 1
        if progress["done"] % 500 == 0:
            rate = progress["done"] / (time.perf_counter() - wall)
            print(f"  {progress['done']:,} of {len(tasks):,} cases, {rate:.1f} a second, "
                  f"{len(failures)} distinct failures", file=sys.stderr, flush=True)

    with tempfile.TemporaryDirectory(prefix="arbitre-fuzz-") as folder:
        pool = Pool(min(args.workers, len(tasks)), args.timeout, args.memory_mb, Path(folder))
        try:
            pool.run(tasks, report)
        except KeyboardInterrupt:
            print("interrupted: the figures are those of the cases run so far", file=sys.stderr)
        finally:
            pool.close()
    wall = time.perf_counter() - wall

    print(f"Fuzzing, seeds {args.seed} to {args.seed + args.cases - 1}, {args.workers} workers, "
          f"{wall:.0f} s ({progress['done'] / wall:.1f} cases a second):")
    print(f"  {'loader':8}" + "".join(f"  {c:>8}" for c in COLUMNS))
    for loader, count in counts.items():
        print(f"  {loader:8}" + "".join(f"  {count[c]:>8,}" for c in COLUMNS))
    if failures:
        print(f"\n{len(failures)} distinct failures ({saved} newly saved under tests/regressions/):")
    for (loader, kind), info in sorted(failures.items()):
        print(f"- {loader}: {kind} x{info['count']} ({info['failure']}), seed {info['seed']}: {info['where']}\n"
              f"    arbitre {info['command']}\n    input: {info['summary'][:200]}\n    {info['detail'][:200]}")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
