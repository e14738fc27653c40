"""How the memory of ``arbitre recommend`` grows with one file's flows: 10,000, 50,000 and 100,000
generated flows, JSON output written to a file; each file written twice, its organisation first, and its
flows first (as PyYAML's ``safe_dump`` sorts the keys).

A YAML file this large is read a flow at a time and its JSON written a part of the flows at a time
(``engine.answers.answers_parts``), whichever order its entries come in, so the peak memory should stay
about the same whatever the flows.
For each size, the peak resident memory of one ``arbitre recommend`` process (its ``ru_maxrss``, read
with ``resource.getrusage(RUSAGE_CHILDREN)`` by a fresh measuring process, since that figure is the
largest of all the children a process has waited for) and its CPU seconds.
Targets: the 100,000-flow file under 600 MB, and no size more than 10 % above the 10,000-flow one.

Run with ``make bench`` or directly (``--sizes 10000 20000`` for others, ``--orders flows-first`` for one
order); results in ``benchmarks/results/memory.json``. The three sizes in both orders take some twelve CPU
minutes.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.generate import generate_answers, write_yaml  # noqa: E402

RESULTS = HERE / "results" / "memory.json"
SIZES = (10_000, 50_000, 100_000)
ORDERS = ("organisation-first", "flows-first")
TARGET_MB = 600
FLATNESS = 0.10


def measure(answers: Path, out: Path) -> dict[str, float]:
    """Run ``arbitre recommend`` once, as this process's only child: its peak memory and CPU seconds."""
    command = [sys.executable, "-c", "import cli; cli.entry()", "recommend", str(answers), "--format", "json",
               "--out", str(out)]
    run = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    if run.returncode != 0:
        raise SystemExit(f"arbitre recommend failed ({run.returncode}): {run.stderr}")
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"peak_mb": round(usage.ru_maxrss / 1024, 1), "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 1)}


def one_size(flows: int, folder: Path, order: str = ORDERS[0]) -> dict[str, Any]:
    """The peak memory of a run on a generated file of ``flows`` flows, its entries in ``order``,
    measured by a fresh process."""
    document = generate_answers(flows, seed=flows)
    if order == "flows-first":
        document = {"flows": document.pop("flows"), **document}
    answers = write_yaml(document, folder / f"answers-{flows}.yaml")
    run = subprocess.run([sys.executable, __file__, "--measure", str(answers), str(folder / "out.json")],
                         capture_output=True, text=True)
    if run.returncode != 0:
        raise SystemExit(run.stderr)
    figures = json.loads(run.stdout)
    answers.unlink()
    return {"flows": flows, "order": order, "file_mb": round(figures.pop("file_bytes") / 2**20, 1), **figures}


def flatness(results: list[dict[str, Any]]) -> dict[str, Any]:
    """How the peak memory of runs on files of one order grows from the first size to the last, printed
    against the targets."""
    first, largest = results[0], results[-1]
    smallest = first["peak_mb"]
    growth = max(r["peak_mb"] for r in results) / smallest - 1
    # flatness: from the first size to the last, the peak's growth and what each 1,000 more flows cost
    flat = largest["peak_mb"] / smallest - 1
    per_thousand = (largest["peak_mb"] - smallest) / max(1, largest["flows"] - first["flows"]) * 1000
    met = growth <= FLATNESS and largest["peak_mb"] < TARGET_MB
    order = first["order"]
    print(f"{order}: peak at {largest['flows']:,} flows: {largest['peak_mb']:.0f} MB (target: under {TARGET_MB} MB); "
          f"at most {growth:+.0%} over {first['flows']:,} flows (target: within {FLATNESS:.0%})")
    print(f"{order}: flatness {first['flows']:,} -> {largest['flows']:,} flows: {flat:+.1%} "
          f"({per_thousand:+.2f} MB per 1,000 flows; target: within {FLATNESS:.0%}) {'met' if met else 'NOT met'}")
    return {"growth": round(growth, 3), "flatness": round(flat, 3), "mb_per_1000_flows": round(per_thousand, 3),
            "met": met}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--orders", nargs="+", choices=ORDERS, default=list(ORDERS))
    parser.add_argument("--measure", nargs=2, metavar=("ANSWERS", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:
        answers, out = (Path(arg) for arg in args.measure)
        print(json.dumps({**measure(answers, out), "file_bytes": answers.stat().st_size}))
        return 0
    results = []
    with tempfile.TemporaryDirectory(prefix="arbitre-memory-") as tmp:
        for order in args.orders:
            for flows in args.sizes:
                result = one_size(flows, Path(tmp), order)
                results.append(result)
                print(f"{order:>18}: {flows:>7,} flows ({result['file_mb']:.0f} MB of YAML): peak "
                      f"{result['peak_mb']:.0f} MB, {result['cpu_seconds']:.0f} s CPU")
    summary = {order: flatness([r for r in results if r["order"] == order]) for order in args.orders}
    met = all(figures["met"] for figures in summary.values())
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({"sizes": results, "orders": summary, "target_mb": TARGET_MB,
                                   "target_growth": FLATNESS, "met": met}, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
