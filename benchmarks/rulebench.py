"""Arbitre's whole pipeline beside raw durable_rules, measured in the same run.

The reference is the rulebench harness (``../shared/bench/rulebench``, or ``$RULEBENCH``): one rule set of
30 rules in the shape of Arbitre's, on raw durable_rules, with a fresh session per case. Its ``run.sh``
keeps its own virtual environment; when that cannot be set up (no network), raw durable_rules is measured
with its ``eng_durable.py`` through this project's own environment instead, and the report says so.

Beside it, ``arbitre recommend FILE --format json`` (validate, costs, engine, decision, explanations,
JSON) on a generated 5,000-flow file:

- in one process: flows per CPU-second of the whole process (reading, start-up and writing included);
- with ``--jobs 2``: flows per second of elapsed time, since the two cores work at once (meaningful on a
  quiet machine only: the load average is printed beside it), and flows per CPU-second of all its processes.

Each is printed as a ratio to raw durable_rules' cases per CPU-second in the same run, with its target
(1.2x in one process, 2x with two jobs). Machines here are shared: compare ratios, never absolute times
from different runs. Last, the start-up a person waits for: the bundled example, JSON with tipping
points, as whole processes (median of ``--startup-runs``, target 0.35 s elapsed). Asserts nothing;
results in ``benchmarks/results/rulebench.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.generate import generate_answers, to_yaml  # noqa: E402

RESULTS = HERE / "results" / "rulebench.json"
RULEBENCH = Path(os.environ.get("RULEBENCH", ROOT.parent / "shared" / "bench" / "rulebench"))
TARGETS = {"one process": 1.2, "--jobs 2": 2.0}
# The processes measured run as an installed Arbitre does: from compiled bytecode (an environment that
# forbids writing it, as some sandboxes do, would make every run compile the project again).
ENV = {**{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}, "PYTHONPATH": str(ROOT)}

# Raw durable_rules through this project's environment: the harness's own encoding and cases.
_OWN_DURABLE = """
import sys, time
sys.path.insert(0, sys.argv[1])
import eng_durable, spec
evaluate, _ = eng_durable.make_evaluator(*eng_durable.build(1))
for case in spec.gen_cases(200, seed=99):
    evaluate(case)
cases = spec.gen_cases(2000, seed=1234)
start = time.process_time()
for case in cases:
    evaluate(case)
print(len(cases) / (time.process_time() - start))
"""


def durable_reference(repeats: int) -> dict[str, Any]:
    """Raw durable_rules' median cases per CPU-second: the harness's own run, else its engine here."""
    try:
        done = subprocess.run([str(RULEBENCH / "run.sh"), str(repeats)], capture_output=True, text=True,
                              timeout=900, check=True)
        found = re.search(r"median durable\s+([\d,]+) cases per CPU-second", done.stdout)
        if found:
            return {"cases_per_cpu_second": float(found[1].replace(",", "")), "how": "rulebench run.sh"}
    except (OSError, subprocess.SubprocessError):
        pass
    rates = [float(subprocess.run([sys.executable, "-c", _OWN_DURABLE, str(RULEBENCH)], capture_output=True,
                                  text=True, timeout=300, check=True).stdout) for _ in range(repeats)]
    return {"cases_per_cpu_second": statistics.median(rates),
            "how": "eng_durable.py through Arbitre's environment (run.sh could not set up its own)"}


def whole_process(answers: Path, out: Path, flows: int, jobs: int) -> dict[str, Any]:
    """One ``arbitre recommend --format json`` process: its CPU time (children included) and elapsed time."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "cli", "recommend", str(answers), "--format", "json", "--out", str(out),
                    "--jobs", str(jobs)], cwd=ROOT, check=True, capture_output=True, env=ENV)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"jobs": jobs, "cpu_seconds": cpu, "elapsed_seconds": elapsed, "flows_per_cpu_second": flows / cpu,
            "flows_per_second": flows / elapsed}


BUNDLED = ROOT / "examples" / "acme-retail.yaml"
STARTUP_TARGET = 0.35  # seconds, whole process, with tipping points


def bundled_example(runs: int) -> dict[str, Any]:
    """``arbitre recommend`` on the bundled example, JSON with tipping points: the median of ``runs`` whole
    processes, elapsed and CPU seconds (start-up included: what a person waits for)."""
    walls, cpus = [], []
    subprocess.run([sys.executable, "-m", "cli", "--version"], cwd=ROOT, check=True, capture_output=True, env=ENV)
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "cli", "recommend", str(BUNDLED), "--format", "json",
                        "--tipping-points"], cwd=ROOT, check=True, capture_output=True, env=ENV)
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime))
    return {"runs": runs, "elapsed_seconds": statistics.median(walls), "cpu_seconds": statistics.median(cpus)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flows", type=int, default=5000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--startup-runs", type=int, default=10,
                        help="whole processes on the bundled example (0: not measured)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="arbitre-rulebench-") as tmp:
        answers, out = Path(tmp) / "answers.yaml", Path(tmp) / "out.json"
        answers.write_text(to_yaml(generate_answers(args.flows, seed=20240601)), encoding="utf-8")
        reference = durable_reference(args.repeats)
        one = [whole_process(answers, out, args.flows, 1) for _ in range(args.repeats)]
        two = [whole_process(answers, out, args.flows, 2) for _ in range(args.repeats)]
    durable = reference["cases_per_cpu_second"]
    rows = {
        "one process": statistics.median(r["flows_per_cpu_second"] for r in one),
        "--jobs 2": statistics.median(r["flows_per_second"] for r in two),
    }
    print(f"raw durable_rules ({reference['how']}): {durable:,.0f} cases per CPU-second")
    print(f"arbitre recommend, {args.flows:,} flows, JSON with explanations, whole process "
          f"(median of {args.repeats}):")
    for label, rate in rows.items():
        unit = "flows per CPU-second" if label == "one process" else "flows per second (2 cores)"
        print(f"  {label:<12} {rate:>8,.0f} {unit}: {rate / durable:.2f}x raw durable_rules "
              f"(target {TARGETS[label]}x)")
    two_cpu = statistics.median(r["flows_per_cpu_second"] for r in two)
    print(f"  --jobs 2     {two_cpu:>8,.0f} flows per CPU-second of all its processes: {two_cpu / durable:.2f}x; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    startup = bundled_example(args.startup_runs) if args.startup_runs > 0 else None
    if startup is not None:
        print(f"bundled example ({BUNDLED.name}, JSON with tipping points), whole process (median of "
              f"{startup['runs']}): {startup['elapsed_seconds']:.3f} s elapsed, {startup['cpu_seconds']:.3f} CPU-s "
              f"(target {STARTUP_TARGET} s)")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({"reference": reference, "flows": args.flows, "one_process": one,
                                   "jobs_2": two, "ratios": {k: v / durable for k, v in rows.items()},
                                   "bundled_example": startup},
                                  indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
