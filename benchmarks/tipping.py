"""Tipping points for every flow of a 20-flow answers file: the whole process, and per flow.

Times ``arbitre recommend FILE --tipping-points --format json`` and ``arbitre recommend FILE
--audit RECORD`` (which computes them too) on a generated 20-flow file, median of 5 runs each;
then, in process, for the 20 flows and for the bundled examples: the engine evaluations per flow,
the CPU seconds of the search, and where that time goes (the changed answers, the cost model, the
facts, what the policy sees of them, the rule engine, the decision). Targets: at most 30 engine
evaluations a flow on average, the 20 flows under 0.5 s of CPU. Run with ``make bench`` or directly.
"""

from __future__ import annotations

import json
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

from benchmarks.areas import shares_by_function  # noqa: E402
from benchmarks.generate import generate_answers, to_yaml  # noqa: E402

ARBITRE = Path(sys.executable).parent / "arbitre"
RESULTS = HERE / "results" / "tipping.json"
FLOWS = 20
RUNS = 5
TARGET_SECONDS = 3.0
TARGET_EVALUATIONS = 30
TARGET_CPU_SECONDS = 0.5
# Where the search's time goes: the function that does each area's work on the lean path the search
# takes (``FlowContext.outcome``), by module and name; "other" is the search itself and the outcome's
# bookkeeping.
AREAS = {"variants": ("engine/analysis/context.py", "with_answers"), "costs": ("engine/costs.py", "metric_values"),
         "facts": ("engine/facts.py", "snapshot_with"), "facts (other answers)": ("engine/facts.py", "snapshot"),
         "seen": ("engine/analysis/context.py", "seen_by_engine"), "engine": ("engine/run.py", "evaluate"),
         "decide": ("engine/decide.py", "outcome")}


def whole(command: list[str]) -> float:
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def search_all(flows: list[Any], policy: Any) -> list[int]:
    """Search every flow's tipping points as the recommendation does (with the veto that holds its
    decision); the engine evaluations each took."""
    from engine.analysis.tipping import held_by_veto, tipping_points

    counts = []
    for flow in flows:
        verdict = flow.verdict
        hold = held_by_veto({o.value: s for o, s in verdict.scores.items()},
                            {o.value: r for o, r in verdict.vetoes.items()}, verdict.decision.value)
        found = tipping_points(flow.inputs, policy, (verdict.decision, verdict.split), flow.costs, hold)
        counts.append(found.evaluations)
    return counts


def areas(flows: list[Any], policy: Any) -> dict[str, float]:
    """The share of the search's time spent in each area, from one profiled run."""
    return shares_by_function(lambda: search_all(flows, policy), AREAS)


def in_process(name: str, flows: list[Any], policy: Any) -> dict[str, Any]:
    """Evaluations per flow, CPU seconds (best of 3) and the profile by area for one set of flows."""
    cpu = []
    for _ in range(3):
        start = time.process_time()
        counts = search_all(flows, policy)
        cpu.append(time.process_time() - start)
    return {"set": name, "flows": len(flows), "evaluations_per_flow_mean": statistics.fmean(counts),
            "evaluations_per_flow_max": max(counts), "cpu_seconds": min(cpu),
            "cpu_ms_per_evaluation": 1000 * min(cpu) / max(1, sum(counts)), "areas": areas(flows, policy)}


def flow_sets(data: dict[str, Any], policy: Any) -> list[tuple[str, list[Any]]]:
    """The generated 20 flows and the flows of the bundled examples, recommended without tipping points."""
    from engine.answers import load_answers, validate_answers
    from engine.load import Document
    from engine.recommend import recommend

    generated = recommend(validate_answers(Document("generated", data, {})), policy).flows
    examples = [flow for path in sorted((ROOT / "examples").glob("*.yaml"))
                for flow in recommend(load_answers(path), policy).flows]
    return [(f"generated {FLOWS}", list(generated)), ("bundled examples", examples)]


def main() -> int:
    from engine.policy.loading import load_policy

    results: dict[str, Any] = {"flows": FLOWS, "runs": RUNS, "target_seconds": TARGET_SECONDS,
                               "target_evaluations_per_flow": TARGET_EVALUATIONS,
                               "target_cpu_seconds": TARGET_CPU_SECONDS}
    data = generate_answers(FLOWS, seed=20)
    with tempfile.TemporaryDirectory(prefix="arbitre-tipping-") as tmp:
        path = Path(tmp) / "flows-20.yaml"
        path.write_text(to_yaml(data), encoding="utf-8")
        results["json_with_tipping_points_seconds"] = whole(
            [str(ARBITRE), "recommend", str(path), "--tipping-points", "--format", "json"])
        results["json_without_seconds"] = whole(
            [str(ARBITRE), "recommend", str(path), "--no-tipping-points", "--format", "json"])
        results["audit_record_seconds"] = whole(
            [str(ARBITRE), "recommend", str(path), "--audit", str(Path(tmp) / "record.json")])

    policy = load_policy(ROOT / "rules")
    results["in_process"] = [in_process(name, flows, policy) for name, flows in flow_sets(data, policy)]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"Tipping points, {FLOWS} flows (median of {RUNS} runs; target: whole process under {TARGET_SECONDS:g} s):")
    print(f"  recommend --tipping-points --format json   {results['json_with_tipping_points_seconds']:.2f} s "
          f"(without: {results['json_without_seconds']:.2f} s)")
    print(f"  recommend --audit (text and record)         {results['audit_record_seconds']:.2f} s")
    print(f"In process (targets: at most {TARGET_EVALUATIONS} engine evaluations a flow on average, "
          f"{FLOWS} flows under {TARGET_CPU_SECONDS:g} s of CPU):")
    for s in results["in_process"]:
        shares = ", ".join(f"{area} {share:.0%}" for area, share in s["areas"].items())
        print(f"  {s['set']} ({s['flows']} flows): {s['evaluations_per_flow_mean']:.1f} engine evaluations a flow "
              f"(max {s['evaluations_per_flow_max']}), {s['cpu_seconds']:.2f} s CPU, "
              f"{s['cpu_ms_per_evaluation']:.2f} ms an evaluation; time in {shares}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
