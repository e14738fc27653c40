"""How the HTML report grows with the portfolio: 250, 500, 1,000 and 2,000 generated flows.

For each size, the time to lay out and render the page from the flows' recommendations (the map's
label placement, the cost chart, the summary and the cards; the recommendations themselves are made
once beforehand, without tipping points, which ``benchmarks/tipping.py`` measures) and the page's
weight. Each size's time is compared with the size before: doubling the flows should about double the
time (a ratio near 2), not quadruple it.

Then the whole ``arbitre report`` on a generated 1,000-flow file (reading, recommending with tipping
points, rendering), in CPU seconds of the process. Target: under 5 s.

Run with ``make bench`` or directly; results in ``benchmarks/results/report_scale.json``.
"""

from __future__ import annotations

import json
import resource
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

from benchmarks.generate import generate_answers, write_yaml  # noqa: E402
from engine.answers import load_answers  # noqa: E402
from engine.policy.loading import load_policy  # noqa: E402
from engine.recommend import recommend  # noqa: E402
from explanations.render import Document, Lang, document  # noqa: E402
from explanations.report import map_thresholds, render_report  # noqa: E402

ARBITRE = Path(sys.executable).parent / "arbitre"
RESULTS = HERE / "results" / "report_scale.json"
SIZES = (250, 500, 1000, 2000)
WHOLE_FLOWS = 1000
TARGET_CPU_SECONDS = 5.0


def portfolio_document(flows: int, lang: Lang) -> tuple[Document, dict[str, float]]:
    """A generated portfolio's recommendation as the report reads it, with the policy's thresholds."""
    policy = load_policy(ROOT / "rules")
    with tempfile.TemporaryDirectory(prefix="arbitre-report-") as tmp:
        answers = load_answers(write_yaml(generate_answers(flows, seed=flows), Path(tmp) / "answers.yaml"))
    doc = document(recommend(answers, policy), policy, (lang,))
    return doc, map_thresholds(policy)


def whole_report_cpu(flows: int) -> float:
    """The CPU seconds of one ``arbitre report`` process on a generated file of ``flows`` flows."""
    with tempfile.TemporaryDirectory(prefix="arbitre-report-") as tmp:
        answers = write_yaml(generate_answers(flows, seed=flows), Path(tmp) / "answers.yaml")
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run([str(ARBITRE), "report", str(answers), "--out", str(Path(tmp) / "report.html")],
                       check=True, capture_output=True)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> int:
    results: list[dict[str, Any]] = []
    for flows in SIZES:
        doc, thresholds = portfolio_document(flows, "en")
        times, page = [], ""
        for _ in range(3):
            start = time.perf_counter()
            page = render_report(doc, thresholds, "en", "generated.yaml")
            times.append(time.perf_counter() - start)
        seconds = min(times)
        ratio = seconds / results[-1]["seconds"] if results else None
        results.append({"flows": flows, "seconds": round(seconds, 4), "bytes": len(page.encode("utf-8")),
                        "ratio_to_previous": None if ratio is None else round(ratio, 2)})
        print(f"{flows:>5} flows: {seconds:.3f} s, {len(page.encode('utf-8')) / 1e6:.2f} MB"
              + ("" if ratio is None else f", x{ratio:.2f} for twice the flows"))
    cpu = whole_report_cpu(WHOLE_FLOWS)
    print(f"arbitre report, {WHOLE_FLOWS:,} flows (tipping points included): {cpu:.1f} s CPU "
          f"(target: under {TARGET_CPU_SECONDS:g} s)")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({"render": results, "whole_report": {
        "flows": WHOLE_FLOWS, "cpu_seconds": round(cpu, 2), "target_cpu_seconds": TARGET_CPU_SECONDS}},
        indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
