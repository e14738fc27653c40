"""A consultant's portfolio through the command, and the HTML report on a 50-flow file.

1. Generated portfolios of 20-flow answers files, 1,000 flows (50 files) and 10,000 flows (500
   files), through ``arbitre recommend FOLDER --format jsonl --out FILE``: flows per second and
   the process's peak memory (GNU time). Results are written as each file is done, so the peak
   should not grow with the portfolio: compare the two sizes.
2. The same 10,000 flows as one answers file (``--format jsonl``): one line for the file.
3. ``arbitre report`` on a 50-flow file: the whole process, median of 5 runs.

Run with ``make bench`` or directly; results in ``benchmarks/results/portfolio.json``.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.generate import generate_answers, to_yaml  # noqa: E402
from benchmarks.run import ARBITRE, _time_command  # noqa: E402

RESULTS = HERE / "results" / "portfolio.json"
FLOWS_PER_FILE = 20


def portfolio(folder: Path, flows: int) -> Path:
    folder.mkdir(parents=True)
    for index in range(flows // FLOWS_PER_FILE):
        data = generate_answers(FLOWS_PER_FILE, seed=1000 + index)
        (folder / f"client-{index:04d}.yaml").write_text(to_yaml(data), encoding="utf-8")
    return folder


def measure(command: list[str], runs: int) -> dict[str, Any]:
    times, peaks = [], []
    for _ in range(runs):
        seconds, code, peak = _time_command(command)
        if code != 0:
            return {"error": f"exit status {code}"}
        times.append(seconds)
        peaks.append(peak)
    return {"median_seconds": statistics.median(times), "peak_rss_mb": max(peaks) / 2**20, "runs": runs}


def main() -> int:
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="arbitre-portfolio-") as tmp:
        base = Path(tmp)
        for flows, runs in ((1000, 3), (10000, 1)):
            folder = portfolio(base / f"p{flows}", flows)
            item = measure([str(ARBITRE), "recommend", str(folder), "--format", "jsonl",
                            "--out", str(base / f"p{flows}.jsonl")], runs)
            if "median_seconds" in item:
                item["flows_per_second"] = flows / item["median_seconds"]
                item["lines"] = sum(1 for _ in (base / f"p{flows}.jsonl").open(encoding="utf-8"))
            results[f"portfolio_{flows}"] = item
        single = base / "one-file-10000.yaml"
        single.write_text(to_yaml(generate_answers(10000, seed=7)), encoding="utf-8")
        item = measure([str(ARBITRE), "recommend", str(single), "--format", "jsonl", "--out",
                        str(base / "one.jsonl")], 1)
        if "median_seconds" in item:
            item["flows_per_second"] = 10000 / item["median_seconds"]
        results["one_file_10000"] = item
        fifty = base / "fifty.yaml"
        fifty.write_text(to_yaml(generate_answers(50, seed=50)), encoding="utf-8")
        results["report_50"] = measure([str(ARBITRE), "report", str(fifty), "--out", str(base / "r.html")], 5)
        results["report_50"]["html_bytes"] = (base / "r.html").stat().st_size
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print("Portfolio through recommend --format jsonl (20-flow files):")
    for key in ("portfolio_1000", "portfolio_10000", "one_file_10000"):
        item = results[key]
        if "error" in item:
            print(f"  {key}: {item['error']}")
            continue
        print(f"  {key:<16} {item['median_seconds']:6.1f} s  {item['flows_per_second']:6.0f} flows/s  "
              f"peak RSS {item['peak_rss_mb']:.0f} MB")
    report = results["report_50"]
    if "median_seconds" in report:
        print(f"report on a 50-flow file: {report['median_seconds']:.2f} s (median of {report['runs']}), "
              f"peak RSS {report['peak_rss_mb']:.0f} MB, {report['html_bytes'] / 1024:.0f} KB of HTML")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
