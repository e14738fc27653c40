"""How sure each decision is: 1,000 samples per flow of the bundled examples with their estimates as ranges.

Every bundled example is read with its estimates given as ranges (each flow's volume ± 20 %, handling
time ± 15 % and quote ± 10 %, the organisation's hourly cost ± 10 %: every sample changes answers the
cost model reads, the costliest case) and each flow's robustness is sampled as ``recommend`` does.
Reports the CPU seconds per flow for 1,000 samples (best of 3; target under 0.5 s), the rule engine's
runs per flow, where the time goes, and, in the same run, the CPU per flow of the plain pipeline on
every sampled flow (the ratio is the saving of the evaluation context). Run with ``make bench`` or
directly.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from benchmarks.areas import shares_by_function  # noqa: E402

RESULTS = HERE / "results" / "uncertainty.json"
SAMPLES = 1000
RUNS = 3
TARGET_CPU_SECONDS = 0.5
SPREADS = {"monthly_volume": 20, "aht_seconds": 15}
QUOTE_SPREAD = 10
HOURLY_COST_SPREAD = 10
# Where the sampling's time goes: the function that does each area's work, by module and name.
AREAS = {"costs": ("engine/costs.py", "flow_costs"), "facts": ("engine/facts.py", "snapshot"),
         "engine or its firings reused": ("engine/analysis/context.py", "_run"),
         "decide": ("engine/decide.py", "decide")}


def with_ranges(path: Path, into: Path) -> Path:
    """A copy of a bundled example with its estimates written as ranges."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    organisation = data.setdefault("organisation", {})
    organisation["loaded_hourly_cost"] = f"{organisation.get('loaded_hourly_cost', 32)} ± {HOURLY_COST_SPREAD} %"
    for flow in data["flows"]:
        for field, spread in SPREADS.items():
            flow[field] = f"{flow[field]} ± {spread} %"
        for form, amount in (flow.get("vendor_quote") or {}).items():
            flow["vendor_quote"] = {form: f"{amount} ± {QUOTE_SPREAD} %"}
    out = into / path.name
    out.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return out


def ranged_flows(into: Path, policy: Any) -> list[tuple[Any, dict[str, Any]]]:
    """Every flow of the bundled examples, recommended at its likely values, with its estimates."""
    from engine.analysis.uncertainty import flow_estimates
    from engine.answers import load_estimates
    from engine.recommend import recommend

    flows = []
    for path in sorted((ROOT / "examples").glob("*.yaml")):
        estimated = load_estimates(with_ranges(path, into))
        for position, result in enumerate(recommend(estimated.answers, policy).flows):
            flows.append((result, flow_estimates(estimated.ranges, position)))
    return flows


def sample_all(flows: list[tuple[Any, dict[str, Any]]], policy: Any) -> list[Any]:
    """Each flow's robustness, as ``recommend`` samples it."""
    from engine.analysis.uncertainty import robustness

    return [robustness(result.inputs, policy, estimates, result.verdict.decision, result.costs, SAMPLES)
            for result, estimates in flows]


def plain_all(flows: list[tuple[Any, dict[str, Any]]], policy: Any) -> None:
    """The same samples through the plain pipeline, each sampled flow costed, run and decided whole."""
    from engine.analysis.context import with_answers
    from engine.analysis.uncertainty import DEFAULT_SEED, changes, latin_hypercube
    from engine.recommend import evaluate_flow

    for result, estimates in flows:
        for draw in latin_hypercube(estimates, SAMPLES, DEFAULT_SEED):
            evaluate_flow(with_answers(result.inputs, changes(draw)), policy)


def cpu(function: Any, *args: Any, runs: int = RUNS) -> float:
    """The least CPU seconds of ``runs`` calls."""
    times = []
    for _ in range(runs):
        start = time.process_time()
        function(*args)
        times.append(time.process_time() - start)
    return min(times)


def engine_runs(flows: list[tuple[Any, dict[str, Any]]], policy: Any) -> list[int]:
    """The times the rule engine ran for each flow's samples (the others reused its firings)."""
    from engine.analysis.context import FlowContext
    from engine.analysis.uncertainty import DEFAULT_SEED, changes, latin_hypercube

    counts = []
    for result, estimates in flows:
        context = FlowContext(result.inputs, policy, result.costs)
        for draw in latin_hypercube(estimates, SAMPLES, DEFAULT_SEED):
            context.evaluate(changes(draw))
        counts.append(context.engine_runs)
    return counts


def areas(flows: list[tuple[Any, dict[str, Any]]], policy: Any) -> dict[str, float]:
    """The share of the sampling's time spent in each area, from one profiled run."""
    return shares_by_function(lambda: sample_all(flows, policy), AREAS)


def main() -> int:
    from engine.policy.loading import load_policy

    policy = load_policy(ROOT / "rules")
    with tempfile.TemporaryDirectory(prefix="arbitre-uncertainty-") as tmp:
        flows = ranged_flows(Path(tmp), policy)
    count = len(flows)
    context_cpu = cpu(sample_all, flows, policy)
    plain_cpu = cpu(plain_all, flows, policy, runs=1)
    runs = engine_runs(flows, policy)
    results = {"flows": count, "samples": SAMPLES, "target_cpu_seconds_per_flow": TARGET_CPU_SECONDS,
               "cpu_seconds_per_flow": context_cpu / count, "plain_cpu_seconds_per_flow": plain_cpu / count,
               "engine_runs_per_flow_mean": statistics.fmean(runs), "engine_runs_per_flow_max": max(runs),
               "areas": areas(flows, policy)}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    shares = ", ".join(f"{area} {share:.0%}" for area, share in results["areas"].items())
    print(f"Uncertainty, {SAMPLES} samples a flow, {count} flows of the bundled examples with ranges "
          f"(target: under {TARGET_CPU_SECONDS:g} s of CPU a flow):")
    print(f"  on the evaluation context  {results['cpu_seconds_per_flow']:.3f} s CPU a flow (best of {RUNS}); "
          f"rule engine runs a flow: {results['engine_runs_per_flow_mean']:.1f} (max {max(runs)})")
    print(f"  plain pipeline, same run   {results['plain_cpu_seconds_per_flow']:.3f} s CPU a flow "
          f"({plain_cpu / context_cpu:.2f}x the context's)")
    print(f"  time in {shares}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
