"""Tipping points for every flow of a 20-flow answers file: the whole process, and per flow.

Times ``arbitre recommend FILE --tipping-points --format json`` and ``arbitre recommend FILE
--audit RECORD`` (which computes them too) on a generated 20-flow file, median of 5 runs each;
then, in process, the time and the number of engine evaluations per flow. Target: the whole
process under 3 s on a 2-core machine. Run with ``make bench`` or directly.
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

from benchmarks.generate import generate_answers, to_yaml  # noqa: E402

ARBITRE = Path(sys.executable).parent / "arbitre"
RESULTS = HERE / "results" / "tipping.json"
FLOWS = 20
RUNS = 5
TARGET_SECONDS = 3.0


def whole(command: list[str]) -> float:
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    from engine.answers import validate_answers
    from engine.load import Document
    from engine.policy.loading import load_policy
    from engine.recommend import recommend
    from engine.analysis.tipping import tipping_points

    results: dict[str, Any] = {"flows": FLOWS, "runs": RUNS, "target_seconds": TARGET_SECONDS}
    with tempfile.TemporaryDirectory(prefix="arbitre-tipping-") as tmp:
        path = Path(tmp) / "flows-20.yaml"
        data = generate_answers(FLOWS, seed=20)
        path.write_text(to_yaml(data), encoding="utf-8")
        results["json_with_tipping_points_seconds"] = whole(
            [str(ARBITRE), "recommend", str(path), "--tipping-points", "--format", "json"])
        results["json_without_seconds"] = whole(
            [str(ARBITRE), "recommend", str(path), "--no-tipping-points", "--format", "json"])
        results["audit_record_seconds"] = whole(
            [str(ARBITRE), "recommend", str(path), "--audit", str(Path(tmp) / "record.json")])

    policy = load_policy(ROOT / "rules")
    rec = recommend(validate_answers(Document("generated", data, {})), policy)
    per_flow, evaluations, points = [], [], 0
    for flow in rec.flows:
        start = time.perf_counter()
        found = tipping_points(flow.inputs, policy, (flow.verdict.decision, flow.verdict.split))
        per_flow.append(time.perf_counter() - start)
        evaluations.append(found.evaluations)
        points += len(found.points) + len(found.flips)
    results["in_process"] = {
        "seconds_per_flow_median": statistics.median(per_flow), "seconds_per_flow_max": max(per_flow),
        "evaluations_per_flow_mean": statistics.fmean(evaluations),
        "milliseconds_per_evaluation": 1000 * sum(per_flow) / sum(evaluations),
        "points_and_flips_found": points,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    s = results["in_process"]
    print(f"Tipping points, {FLOWS} flows (median of {RUNS} runs; target: whole process under {TARGET_SECONDS:g} s):")
    print(f"  recommend --tipping-points --format json   {results['json_with_tipping_points_seconds']:.2f} s "
          f"(without: {results['json_without_seconds']:.2f} s)")
    print(f"  recommend --audit (text and record)         {results['audit_record_seconds']:.2f} s")
    print(f"  per flow {s['seconds_per_flow_median'] * 1000:.0f} ms median, {s['seconds_per_flow_max'] * 1000:.0f} ms max; "
          f"{s['evaluations_per_flow_mean']:.0f} engine evaluations a flow at "
          f"{s['milliseconds_per_evaluation']:.2f} ms; {s['points_and_flips_found']} points and flips found")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
