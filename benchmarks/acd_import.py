"""Importing a large telephony export: a year of quarter-hour intervals for 50 queues (1,752,000 rows).

The export is generated into a temporary folder (seeded: the same rows every run), then
``arbitre import acd`` runs on it in a child process, whose CPU seconds and peak memory (its maximum
resident set size) are read from ``resource.getrusage`` once it ends. Targets: under 30 s and under
500 MB: the rows are streamed, never held.

Run with ``make bench`` or directly; results in ``benchmarks/results/acd_import.json``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results" / "acd_import.json"
QUEUES = 50
INTERVAL_MINUTES = 15
YEAR = 2025
TARGET_SECONDS = 30
TARGET_MB = 500


def write_export(path: Path, seed: int = 14) -> int:
    """A year of quarter-hours for ``QUEUES`` queues, every interval of every day; the rows written."""
    rng = random.Random(seed)
    queues = [(f"Q{index:02d}", rng.uniform(0.5, 20), rng.randint(120, 900)) for index in range(QUEUES)]
    rows = 0
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("Date,Interval,Queue,Offered,Handled,Abandoned,AHT,ASA\n")
        day = dt.date(YEAR, 1, 1)
        while day.year == YEAR:
            date = day.isoformat()
            for minute in range(0, 24 * 60, INTERVAL_MINUTES):
                busy = 0.2 if minute < 8 * 60 or minute >= 20 * 60 else 1.0
                interval = f"{minute // 60:02d}:{minute % 60:02d}"
                for name, level, aht in queues:
                    offered = int(level * busy * rng.uniform(0.5, 1.5))
                    abandoned = offered // 20
                    out.write(f"{date},{interval},{name},{offered},{offered - abandoned},{abandoned},"
                              f"{aht + rng.randint(-30, 30)},{rng.randint(5, 60)}\n")
                    rows += 1
            day += dt.timedelta(days=1)
    return rows


def run_import(export: Path, answers: Path) -> dict[str, float]:
    """``arbitre import acd`` in a child process: its wall time, CPU seconds and peak memory."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([sys.executable, str(ROOT / "cli.py"), "import", "acd", str(export), "--out", str(answers)],
                   check=True, stdout=subprocess.DEVNULL, env={**os.environ, "PYTHONPATH": str(ROOT)})
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return {"wall_seconds": round(wall, 2), "cpu_seconds": round(cpu, 2), "peak_mb": round(after.ru_maxrss / 1024, 1)}


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="arbitre-acd-") as tmp:
        export = Path(tmp) / "export.csv"
        rows = write_export(export)
        size = export.stat().st_size
        measured = run_import(export, Path(tmp) / "answers.yaml")
    result = {"rows": rows, "queues": QUEUES, "export_mb": round(size / 2**20, 1), **measured,
              "target_seconds": TARGET_SECONDS, "target_mb": TARGET_MB}
    print(f"{rows:,} rows ({size / 2**20:.0f} MB, {QUEUES} queues): {measured['wall_seconds']:.1f} s wall, "
          f"{measured['cpu_seconds']:.1f} s CPU, {measured['peak_mb']:.0f} MB peak "
          f"(targets: {TARGET_SECONDS} s, {TARGET_MB} MB)")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    within = measured["wall_seconds"] < TARGET_SECONDS and measured["peak_mb"] < TARGET_MB
    return 0 if within else 1


if __name__ == "__main__":
    sys.exit(main())
