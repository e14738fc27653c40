"""Arbitre's benchmarks: speed and memory of the pipeline, where the time goes, whole-process timings.

Run with ``make bench`` (or ``.venv/bin/python benchmarks/run.py``). Prints a
short report and writes it as JSON to ``benchmarks/results/latest.json``. Not
part of the test suite and asserts nothing about time: targets are printed
next to the figures, never enforced.

Every in-process measurement runs in its own child Python process, so that
memory figures start from the same place and a crash inside a C extension is
reported as a crash instead of ending the run. If a child dies from a signal,
it is run once more with ``MALLOC_PERTURB_=255`` (glibc then hands out zeroed
memory), which works around durable_rules reading uninitialised heap memory;
figures obtained that way are marked in the report.

Sections:
  a. the whole pipeline in one process (validate a parsed document, costs,
     engine, decision, JSON result via ``explanations.render.recommendation_json``) at
     1,000 and 10,000 flows, each stage timed, so the same run also gives the
     pipeline without rendering; memory in batch (ru_maxrss growth: the batch
     keeps every result, so it grows with the flows) and streamed flow by flow
     (RSS, live objects, tracemalloc after 1,000 and 10,000 flows: flat when
     nothing accumulates); the speed of reading YAML, which the CLI also pays.
  b. rule firings per flow.
  c. a cProfile of the pipeline on 2,000 flows, by area, and the top functions.
  d. whole-process timings of the installed ``arbitre`` command (median of 7),
     with peak RSS from GNU time.

``--quick`` is a smoke run (smaller sizes, 3 runs) for checking the script itself.
About 2.5 minutes on a quiet 2-core machine; longer when other processes compete.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import signal
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

RESULTS = HERE / "results" / "latest.json"
ARBITRE = ROOT / ".venv" / "bin" / "arbitre"
EXAMPLE = ROOT / "examples" / "acme-retail.yaml"
SEED = 20240601
TARGET_FLOWS_PER_SECOND = 2500
TARGET_EXAMPLE_SECONDS = 0.5
WORKAROUND_ENV = {"MALLOC_PERTURB_": "255"}


# --------------------------------------------------------------------------- helpers used by the children


def _rss_bytes() -> int:
    """Current resident set size of this process (Linux), 0 where unknown."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _maxrss_bytes() -> int:
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


def _document(n: int) -> Any:
    """A generated answers document with ``n`` flows, as the project's parser would return it."""
    from engine.load import Document

    return Document(f"generated-{n}.yaml", generate_answers(n, SEED), {})


def _policy() -> Any:
    from engine.policy.loading import load_policy

    return load_policy(ROOT / "rules")


def _warm_up(policy: Any) -> None:
    """Compile and register the policy, compile the templates: paid once per process, not per flow."""
    from engine.answers import validate_answers
    from engine.recommend import recommend
    from explanations.render import recommendation_json

    from engine.load import Document

    warm = Document("warm-up.yaml", generate_answers(100, SEED + 1), {})
    recommendation_json(recommend(validate_answers(warm), policy), policy)


# --------------------------------------------------------------------------- children (one process each)


def child_pipeline(n: int) -> dict[str, Any]:
    """Validate, recommend and render ``n`` flows in one batch, as the CLI does, timing each stage.

    "Without rendering" is the same run stopped before ``to_json``: validation and recommendation
    time, and the memory high-water mark reached by then.
    """
    from engine.answers import validate_answers
    from engine.recommend import recommend
    from explanations.render import recommendation_json

    policy = _policy()
    _warm_up(policy)
    doc = _document(n)
    gc.collect()
    gc.freeze()  # as the CLI does once its inputs are loaded (cli.py, recommend)
    rss_before, maxrss_before = _rss_bytes(), _maxrss_bytes()
    start = time.perf_counter()
    answers = validate_answers(doc)
    validated = time.perf_counter()
    rec = recommend(answers, policy)
    recommended = time.perf_counter()
    maxrss_recommended = _maxrss_bytes()
    out = recommendation_json(rec, policy)
    end = time.perf_counter()
    maxrss_after, rss_after = _maxrss_bytes(), _rss_bytes()
    assert len(out["flows"]) == n
    whole, bare = end - start, recommended - start
    firings = [len(flow.firings) for flow in rec.flows]
    decisions: dict[str, int] = {}
    for flow in rec.flows:
        decisions[flow.verdict.decision.value] = decisions.get(flow.verdict.decision.value, 0) + 1
    ordered = sorted(firings)
    result: dict[str, Any] = {
        "flows": n,
        "whole": {"seconds": whole, "flows_per_second": n / whole,
                  "maxrss_growth_bytes": maxrss_after - maxrss_before, "rss_growth_bytes": rss_after - rss_before},
        "without_render": {"seconds": bare, "flows_per_second": n / bare,
                           "maxrss_growth_bytes": maxrss_recommended - maxrss_before},
        "stages_seconds": {"validate": validated - start, "recommend": recommended - validated,
                           "render_to_json": end - recommended},
        "maxrss_bytes": maxrss_after,
        "firings": {"flows": len(firings), "mean": statistics.fmean(firings), "max": max(firings),
                    "min": min(firings), "median": statistics.median(firings),
                    "p90": ordered[int(0.9 * (len(ordered) - 1))], "total": sum(firings)},
        "decisions": decisions,
    }
    if n <= 1000:
        # YAML reading is outside the pipeline above but the CLI pays it: measure it on the same flows.
        from engine.load import parse_yaml

        text = to_yaml(doc.data)
        start = time.perf_counter()
        parse_yaml(text, "generated.yaml")
        parse = time.perf_counter() - start
        result["yaml_parse"] = {"flows": n, "bytes": len(text.encode()), "seconds": parse,
                                "flows_per_second": n / parse}
    return result


def child_stream(n: int, checkpoints: list[int]) -> dict[str, Any]:
    """The whole pipeline flow by flow, results dropped: memory must not grow with the number of flows.

    RSS (which includes durable_rules' C allocations) and the number of live Python objects are
    sampled at each checkpoint; tracemalloc is on only for the first checkpoint's window, because it
    slows the pipeline about sevenfold.
    """
    import tracemalloc

    from engine.answers import validate_answers
    from engine.models import resolve
    from engine.recommend import Recommendation, evaluate_flow
    from explanations.render import recommendation_json

    policy = _policy()
    _warm_up(policy)
    answers = validate_answers(_document(n))
    inputs = resolve(answers)
    gc.collect()
    rss_start, objects_start = _rss_bytes(), len(gc.get_objects())
    tracemalloc.start()
    traced_start, _ = tracemalloc.get_traced_memory()
    traced: dict[str, int] = {}
    points = []
    start = time.perf_counter()
    for index, flow_inputs in enumerate(inputs, 1):
        result = evaluate_flow(flow_inputs, policy)
        rec = Recommendation(policy_name=policy.name, policy_version=policy.version,
                             policy_digest=policy.digest, answers=answers, flows=(result,))
        recommendation_json(rec, policy)
        if index in checkpoints:
            gc.collect()
            if tracemalloc.is_tracing():
                current, peak = tracemalloc.get_traced_memory()
                tracemalloc.stop()
                traced = {"flows": index, "current_growth_bytes": current - traced_start,
                          "peak_growth_bytes": peak - traced_start}
            points.append({"flows": index, "seconds": time.perf_counter() - start,
                           "rss_growth_bytes": _rss_bytes() - rss_start,
                           "live_objects_growth": len(gc.get_objects()) - objects_start})
    return {"flows": n, "checkpoints": points, "tracemalloc_first_window": traced,
            "note": "growth since the first flow; the first window ran under tracemalloc"}


# Areas of the code, by where a function is defined. Library code that is used everywhere
# (pydantic, the standard library, builtins, engine.policy.loading's lookups) is "shared": its time is
# charged to the area of the code that called it, through the profile's call graph.
AREAS = (
    ("durable_rules", ("/durable/", "durable_rules_engine", "/engine/run.py")),
    ("cost model", ("/engine/costs.py", "/engine/erlang.py")),
    ("validation", ("/engine/answers.py", "/engine/load.py", "/engine/models.py")),
    ("decision", ("/engine/decide.py",)),
    ("rendering", ("/explanations/", "/jinja2/", "/markupsafe/")),
    ("facts & orchestration", ("/engine/facts.py", "/engine/recommend.py")),
    ("benchmark harness", ("/benchmarks/",)),
)


def _own_area(func: tuple[str, int, str]) -> str | None:
    filename, _, name = func
    if filename == "~":  # a builtin: classify by the module named in its repr
        if "durable_rules_engine" in name:
            return "durable_rules"
        if "jinja2" in name or "markupsafe" in name:
            return "rendering"
        return None
    path = filename.replace("\\", "/")
    for area, markers in AREAS:
        if any(marker in path for marker in markers):
            return area
    return None


def summarise_profile(stats: Any, top: int = 15) -> dict[str, Any]:
    """Self time by area (shared code charged to its callers' areas), and the top functions by tottime."""
    raw = stats.stats  # {func: (cc, nc, tt, ct, callers)}
    memo: dict[Any, dict[str, float]] = {}

    def shares(func: Any, visiting: frozenset[Any]) -> dict[str, float]:
        """Fractions of ``func``'s self time per area."""
        if func in memo:
            return memo[func]
        own = _own_area(func)
        if own is not None:
            return {own: 1.0}
        callers = raw.get(func, (0, 0, 0.0, 0.0, {}))[4]
        if not callers or func in visiting:
            return {"other": 1.0}
        weights: dict[str, float] = {}
        total = 0.0
        for caller, edge in callers.items():
            weight = edge[2] or edge[3] or 1e-12  # the callee's self time under this caller
            total += weight
            for area, part in shares(caller, visiting | {func}).items():
                weights[area] = weights.get(area, 0.0) + weight * part
        result = {area: value / total for area, value in weights.items()} if total else {"other": 1.0}
        if not visiting:
            memo[func] = result
        return result

    areas: dict[str, float] = {}
    pydantic_total = 0.0
    total = 0.0
    for func, (_, _, tt, _, _) in raw.items():
        total += tt
        if "pydantic" in func[0] or "pydantic_core" in func[2]:
            pydantic_total += tt
        for area, part in shares(func, frozenset()).items():
            areas[area] = areas.get(area, 0.0) + tt * part
    by_area = {area: {"seconds": seconds, "percent": 100 * seconds / total if total else 0.0}
               for area, seconds in sorted(areas.items(), key=lambda item: -item[1])}
    top_funcs = []
    for func, (cc, nc, tt, ct, _) in sorted(raw.items(), key=lambda item: -item[1][2])[:top]:
        filename, line, name = func
        where = name if filename == "~" else f"{_short(filename)}:{line}({name})"
        top_funcs.append({"function": where, "calls": nc, "tottime": tt, "cumtime": ct,
                          "percent": 100 * tt / total if total else 0.0})
    entry_points = {}
    for func, (cc, nc, tt, ct, _) in raw.items():
        for label, (suffix, name) in _ENTRY_POINTS.items():
            if func[0].replace("\\", "/").endswith(suffix) and func[2] == name:
                entry_points[label] = {"calls": nc, "cumtime": ct}
    return {"total_seconds": total, "by_area": by_area, "pydantic_seconds_across_areas": pydantic_total,
            "entry_points_cumulative": entry_points, "top_by_tottime": top_funcs}


_ENTRY_POINTS = {
    "engine.answers.validate_answers": ("engine/answers.py", "validate_answers"),
    "engine.models.resolve": ("engine/models.py", "resolve"),
    "engine.costs.flow_costs": ("engine/costs.py", "flow_costs"),
    "engine.facts.snapshot": ("engine/facts.py", "snapshot"),
    "engine.run.Engine.evaluate": ("engine/run.py", "evaluate"),
    "engine.decide.decide": ("engine/decide.py", "decide"),
    "explanations.render.to_json": ("explanations/render.py", "to_json"),
    "explanations.render.flow_entry": ("explanations/render.py", "flow_entry"),
    "explanations.render.view_of": ("explanations/render.py", "view_of"),
    "explanations.render.render_flow_summary": ("explanations/render.py", "render_flow_summary"),
}


def _short(filename: str) -> str:
    path = filename.replace("\\", "/")
    for marker in ("/site-packages/", "/lib/python3"):
        if marker in path:
            return path.split(marker, 1)[1]
    try:
        return str(Path(filename).resolve().relative_to(ROOT))
    except ValueError:
        return path


def child_profile(n: int) -> dict[str, Any]:
    """cProfile of the whole pipeline on ``n`` flows, summarised by area."""
    import cProfile
    import pstats

    from engine.answers import validate_answers
    from engine.recommend import recommend
    from explanations.render import recommendation_json

    policy = _policy()
    _warm_up(policy)
    doc = _document(n)
    profiler = cProfile.Profile()
    start = time.perf_counter()
    profiler.enable()
    recommendation_json(recommend(validate_answers(doc), policy), policy)
    profiler.disable()
    wall = time.perf_counter() - start
    summary = summarise_profile(pstats.Stats(profiler))
    summary.update({"flows": n, "wall_seconds_with_profiler": wall})
    return summary


CHILDREN = {
    "pipeline": lambda args: child_pipeline(args.flows),
    "stream": lambda args: child_stream(args.flows, [int(c) for c in args.checkpoints.split(",")]),
    "profile": lambda args: child_profile(args.flows),
}


# --------------------------------------------------------------------------- the parent: orchestration


def _signal_name(code: int) -> str:
    try:
        return signal.Signals(-code).name
    except ValueError:
        return f"signal {-code}"


def run_child(name: str, *args: str, timeout: float = 300) -> dict[str, Any]:
    """Run one child measurement; on a crash, report it and retry once with the malloc workaround."""
    command = [sys.executable, str(Path(__file__).resolve()), "--child", name, *args]
    attempts = []
    for env_extra in ({}, WORKAROUND_ENV):
        env = {**os.environ, **env_extra}
        proc = subprocess.run(command, capture_output=True, text=True, env=env, timeout=timeout, cwd=ROOT)
        if proc.returncode == 0:
            data = json.loads(proc.stdout.strip().splitlines()[-1])
            if env_extra:
                data["workaround"] = env_extra
            if attempts:
                data["crashes"] = attempts
            return data
        attempts.append({"env": env_extra, "returncode": proc.returncode,
                         "signal": _signal_name(proc.returncode) if proc.returncode < 0 else None,
                         "stderr_tail": proc.stderr.strip().splitlines()[-3:]})
        if proc.returncode > 0:
            break  # a Python error, not a crash: the workaround would not help
    return {"failed": True, "crashes": attempts}


TIME = Path("/usr/bin/time")


def _time_command(command: list[str], env: dict[str, str] | None = None) -> tuple[float, int, int]:
    """Wall seconds, exit status (negative for a signal) and peak RSS in bytes of one run.

    The peak comes from GNU time when it is there: the rusage of a child started straight from this
    (large) process keeps this process's high-water mark across exec, so it would read too high.
    """
    environ = {**os.environ, **(env or {})}
    with tempfile.NamedTemporaryFile("r", suffix=".time") as report_file:
        wrapped = [str(TIME), "-f", "%M", "-o", report_file.name, *command] if TIME.exists() else command
        start = time.perf_counter()
        proc = subprocess.Popen(wrapped, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT,
                                env=environ)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = code = os.waitstatus_to_exitcode(status)
        peak = usage.ru_maxrss if sys.platform == "darwin" else usage.ru_maxrss * 1024
        if wrapped is not command:
            lines = [line.strip() for line in report_file.read().splitlines() if line.strip()]
            for line in lines:
                if line.startswith("Command terminated by signal"):
                    code = -int(line.rsplit(" ", 1)[1])
            if lines and lines[-1].isdigit():
                peak = int(lines[-1]) * 1024
    return seconds, code, peak


def time_command(label: str, command: list[str], runs: int = 7, target: float | None = None) -> dict[str, Any]:
    """Median of ``runs`` whole-process runs; crashes are counted, and retried with the workaround."""
    seconds, codes, peaks = [], [], []
    for _ in range(runs):
        wall, code, peak = _time_command(command)
        seconds.append(wall)
        codes.append(code)
        peaks.append(peak)
    result: dict[str, Any] = {"label": label, "command": " ".join(_display(part) for part in command),
                              "runs": runs, "returncodes": codes}
    ok = [s for s, c in zip(seconds, codes) if c == 0]
    crashed = [c for c in codes if c < 0]
    if crashed:
        result["crashed_runs"] = len(crashed)
        result["crash_signals"] = sorted({_signal_name(c) for c in crashed})
    if not ok and crashed:
        # Every run crashed: measure with the workaround so there is still a figure, marked as such.
        seconds, codes, peaks = [], [], []
        for _ in range(runs):
            wall, code, peak = _time_command(command, WORKAROUND_ENV)
            seconds.append(wall)
            codes.append(code)
            peaks.append(peak)
        result["workaround"] = WORKAROUND_ENV
        result["workaround_returncodes"] = codes
        ok = [s for s, c in zip(seconds, codes) if c == 0]
    good_peaks = [p for p, c in zip(peaks, codes) if c == 0]
    if ok:
        result.update({"median_seconds": statistics.median(ok), "min_seconds": min(ok), "max_seconds": max(ok),
                       "peak_rss_bytes": max(good_peaks)})
    if target is not None:
        result["target_seconds"] = target
    return result


def _loadavg() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def _display(part: str) -> str:
    try:
        return str(Path(part).relative_to(ROOT))
    except ValueError:
        return part


def _mb(value: float) -> str:
    return f"{value / 1_048_576:,.1f} MB"


def _kb(value: float) -> str:
    return f"{value / 1024:,.1f} KB"


def report(results: dict[str, Any]) -> str:
    lines = [f"Arbitre benchmarks - {results['when']} - Python {results['python']} on {results['machine']}, "
             f"load average {results['load_average_at_start']} at start, {results['load_average_at_end']} at end "
             f"(other processes skew the figures)", ""]
    lines.append(f"a. Whole pipeline in one process (validate parsed document -> costs -> engine -> decision -> "
                 f"to_json), target >= {TARGET_FLOWS_PER_SECOND:,} flows/s")
    sizes = results["sizes"]
    rows = []
    for kind, title in (("whole", "whole pipeline"), ("without_render", "without render")):
        for size in ("small", "large"):
            item = results["a"][f"pipeline_{size}"]
            label = f"{title} {sizes[size]:>7,} flows"
            if item.get("failed"):
                rows.append(f"   {label}: FAILED {item['crashes']}")
                continue
            part = item[kind]
            mark = ""
            if kind == "whole":
                met = part["flows_per_second"] >= TARGET_FLOWS_PER_SECOND
                mark = "  (target met)" if met else "  (BELOW target)"
            rows.append(f"   {label}: {part['flows_per_second']:6,.0f} flows/s {part['seconds']:6.2f} s   "
                        f"ru_maxrss +{_mb(part['maxrss_growth_bytes'])} "
                        f"({_kb(part['maxrss_growth_bytes'] / item['flows'])}/flow){mark}{_flag(item)}")
    lines.extend(rows)
    for size in ("small", "large"):
        item = results["a"][f"pipeline_{size}"]
        if not item.get("failed"):
            stages = item["stages_seconds"]
            share = 100 * stages["render_to_json"] / item["whole"]["seconds"]
            lines.append(f"   stages at {sizes[size]:,} flows: validate {stages['validate']:.2f} s, recommend "
                         f"{stages['recommend']:.2f} s, to_json {stages['render_to_json']:.2f} s "
                         f"(rendering = {share:.0f} % of the whole)")
    parse = results["a"]["pipeline_small"].get("yaml_parse")
    if parse:
        lines.append(f"   YAML reading (engine.load.parse_yaml, not in the figures above): "
                     f"{parse['flows_per_second']:,.0f} flows/s ({parse['seconds']:.2f} s for {parse['flows']:,} flows, "
                     f"{_kb(parse['bytes'])})")
    stream = results["a"]["stream"]
    if stream.get("failed"):
        lines.append(f"   streamed memory: FAILED {stream['crashes']}")
    else:
        lines.append("   memory streamed flow by flow (whole pipeline, results dropped; flat = no accumulation):")
        traced = stream["tracemalloc_first_window"]
        for point in stream["checkpoints"]:
            extra = ""
            if traced.get("flows") == point["flows"]:
                extra = (f", tracemalloc current +{_kb(traced['current_growth_bytes'])} "
                         f"(peak +{_kb(traced['peak_growth_bytes'])})")
            lines.append(f"     after {point['flows']:>6,} flows: RSS +{_mb(point['rss_growth_bytes'])}, "
                         f"live Python objects {point['live_objects_growth']:+,}{extra}{_flag(stream)}")
    lines.append("")
    firings = results["b"]
    if firings:
        lines.append(f"b. Rule firings per flow ({firings['flows']:,} flows): mean {firings['mean']:.2f}, "
                     f"max {firings['max']}, min {firings['min']}, median {firings['median']:g}, p90 {firings['p90']}; "
                     f"decisions {results['a']['pipeline_large'].get('decisions')}")
        lines.append("   (firings counted once per rule per flow; every stratum runs on every flow)")
        lines.append("")
    prof = results["c"]
    if prof.get("failed"):
        lines.append(f"c. Profile: FAILED {prof['crashes']}")
    else:
        lines.append(f"c. Where the time goes: cProfile of the whole pipeline on {prof['flows']:,} flows "
                     f"({prof['total_seconds']:.2f} s profiled; shared code charged to its caller's area){_flag(prof)}")
        for area, item in prof["by_area"].items():
            lines.append(f"   {area:<24} {item['seconds']:7.3f} s  {item['percent']:5.1f} %")
        lines.append(f"   (pydantic, all areas together: {prof['pydantic_seconds_across_areas']:.3f} s)")
        lines.append("   cumulative time of the entry points:")
        for label, item in prof["entry_points_cumulative"].items():
            lines.append(f"     {label:<40} {item['cumtime']:7.3f} s  ({item['calls']:,} calls)")
        lines.append("   top 15 functions by tottime:")
        for item in prof["top_by_tottime"]:
            lines.append(f"     {item['tottime']:7.3f} s {item['percent']:5.1f} %  {item['calls']:>9,}  {item['function']}")
    lines.append("")
    lines.append(f"d. Whole-process timings (median of {results['d'][0]['runs'] if results['d'] else 0} runs)")
    for item in results["d"]:
        text = f"   {item['label']:<44}"
        if "median_seconds" in item:
            text += (f" {item['median_seconds']:6.3f} s (min {item['min_seconds']:.3f}, max {item['max_seconds']:.3f})"
                     f"  peak RSS {_mb(item['peak_rss_bytes'])}")
        if "flows_per_second" in item:
            text += f"  {item['flows_per_second']:,.0f} flows/s incl. start-up and YAML"
        if "target_seconds" in item and "median_seconds" in item:
            met = item["median_seconds"] < item["target_seconds"]
            text += f"  target < {item['target_seconds']} s: {'met' if met else 'NOT met'}"
        if "median_seconds" not in item:
            text += f" FAILED: exit codes {item['returncodes']}"
        if item.get("crashed_runs"):
            text += (f"\n     !! {item['crashed_runs']}/{item['runs']} runs CRASHED ({', '.join(item['crash_signals'])})")
            if item.get("workaround") and "median_seconds" in item:
                text += f"; figures above measured with {item['workaround']} (zeroed malloc)"
            elif item.get("workaround"):
                text += f"; with {item['workaround']} too: exit codes {item['workaround_returncodes']}"
        lines.append(text)
    crashes = _all_crashes(results)
    if crashes:
        lines.append("")
        lines.append("!! Crashes seen: " + "; ".join(crashes))
        lines.append("   A known cause: durable_rules 2.0.28 frees two pointers it never initialised")
        lines.append("   (stateNode.context.messages / stateFact, left unset by createStateNode) when delete_state")
        lines.append("   ends a session in which no action ran; whether that aborts depends on the heap's earlier")
        lines.append("   contents. Running under MALLOC_PERTURB_=170 makes such a crash deterministic.")
    lines.append("")
    lines.append(f"total benchmark time {results['benchmark_seconds']:.0f} s; JSON in {_display(str(RESULTS))}")
    return "\n".join(lines)


def _flag(item: dict[str, Any]) -> str:
    return "  [measured with MALLOC_PERTURB_=255 after a crash]" if item.get("workaround") else ""


def _all_crashes(results: dict[str, Any]) -> list[str]:
    found = []
    for key, item in results["a"].items():
        for crash in item.get("crashes", []):
            found.append(f"in-process {key}: {crash.get('signal') or crash.get('returncode')}")
    for crash in results["c"].get("crashes", []):
        found.append(f"profile: {crash.get('signal') or crash.get('returncode')}")
    for item in results["d"]:
        if item.get("crashed_runs"):
            found.append(f"'{item['command']}': {item['crashed_runs']}/{item['runs']} runs")
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description="Arbitre's speed and memory benchmarks.")
    parser.add_argument("--child", choices=sorted(CHILDREN), help=argparse.SUPPRESS)
    parser.add_argument("--flows", type=int, default=1000, help=argparse.SUPPRESS)
    parser.add_argument("--checkpoints", default="1000,10000", help=argparse.SUPPRESS)
    parser.add_argument("--runs", type=int, default=7, help="whole-process runs per command (median)")
    parser.add_argument("--quick", action="store_true",
                        help="a smoke run: 3 whole-process runs, 200/2,000 flows instead of 1,000/10,000, 1,000-flow file")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(CHILDREN[args.child](args)))
        return 0

    begin = time.perf_counter()
    results: dict[str, Any] = {
        "when": time.strftime("%Y-%m-%d %H:%M:%S"),
        "python": platform.python_version(),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
        "seed": SEED,
        "load_average_at_start": _loadavg(),
        "targets": {"pipeline_flows_per_second": TARGET_FLOWS_PER_SECOND,
                    "example_seconds": TARGET_EXAMPLE_SECONDS},
    }

    def step(message: str) -> None:
        print(f"[{time.perf_counter() - begin:6.1f} s] {message}", file=sys.stderr, flush=True)

    sizes = ({"small": 200, "large": 2000, "profile": 500, "cli": 1000} if args.quick
             else {"small": 1000, "large": 10000, "profile": 2000, "cli": 5000})
    runs = 3 if args.quick else args.runs
    results["sizes"] = sizes
    a: dict[str, Any] = {}
    for size in ("small", "large"):
        n = str(sizes[size])
        step(f"a. whole pipeline, {sizes[size]:,} flows")
        a[f"pipeline_{size}"] = run_child("pipeline", "--flows", n)
    step(f"a. memory, streamed flow by flow, {sizes['large']:,} flows")
    a["stream"] = run_child("stream", "--flows", str(sizes["large"]),
                            "--checkpoints", f"{sizes['small']},{sizes['large']}")
    results["a"] = a
    results["b"] = a["pipeline_large"].get("firings", {})
    step(f"c. cProfile, {sizes['profile']:,} flows")
    results["c"] = run_child("profile", "--flows", str(sizes["profile"]))

    d = []
    with tempfile.TemporaryDirectory(prefix="arbitre-bench-") as tmp:
        # written by a child process, so that this one stays small while it starts the timed commands
        cli_flows = sizes["cli"]
        big = Path(tmp) / f"flows-{cli_flows}.yaml"
        subprocess.run([sys.executable, str(HERE / "generate.py"), str(cli_flows), str(big), "--seed", str(SEED)],
                       check=True, capture_output=True)
        out = Path(tmp) / "out.json"
        step("d. arbitre recommend examples/acme-retail.yaml")
        d.append(time_command("arbitre recommend examples/acme-retail.yaml",
                              [str(ARBITRE), "recommend", str(EXAMPLE)], runs, TARGET_EXAMPLE_SECONDS))
        step("d. arbitre --help")
        d.append(time_command("arbitre --help", [str(ARBITRE), "--help"], runs))
        step(f"d. arbitre recommend, {cli_flows:,} flows, --format json --out")
        item = time_command(f"arbitre recommend {cli_flows:,} flows --format json",
                            [str(ARBITRE), "recommend", str(big), "--format", "json", "--out", str(out)], runs)
        item["flows"] = cli_flows
        item["input_bytes"] = big.stat().st_size
        if "median_seconds" in item:
            item["flows_per_second"] = cli_flows / item["median_seconds"]
        d.append(item)
    results["d"] = d
    results["benchmark_seconds"] = time.perf_counter() - begin
    results["load_average_at_end"] = _loadavg()

    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(report(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
