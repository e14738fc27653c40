"""Checks on the cost model against the figures of its sources (docs/domain.md), on a generated portfolio.

1. The all-in saving of flows quoted by an offshore provider (MA, TN, MG, MU, PH, IN): the
   sources say headline offshore savings of 30-50 % shrink to 18-28 % all-in; the median should
   fall within 15-35 %.
2. Like for like: a flow quoted per productive hour at the in-house cost of an hour on queue (the
   in-house cost a month over the hours its agents are on queue) shows no saving at equal
   occupancy (flows with no peak, answered within the opening hours).
3. The US case study (examples/us-retail-holiday-overflow.yaml): the overflow split should save
   15-35 % (seed B: 25 % against expanding the in-house team), shown against both in-house
   baselines: the team as it is paid with overtime and temporary staff at peaks, and a team
   expanded to serve the busiest month.

Run with ``make bench`` or ``python benchmarks/economics.py [N]``; results in
``benchmarks/results/economics.json``.
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.generate import OFFSHORE, generate_answers  # noqa: E402
from engine.answers import load_answers  # noqa: E402
from engine.costs import flow_costs  # noqa: E402
from engine.models import Answers, VendorQuote, resolve  # noqa: E402
from engine.policy.loading import load_policy  # noqa: E402

RESULTS = HERE / "results" / "economics.json"


def main(argv: list[str]) -> int:
    n = int(argv[0]) if argv else 1500
    policy = load_policy(ROOT / "rules")
    answers = Answers.model_validate(generate_answers(n))
    offshore: list[float] = []
    dearer = dearer_saving = 0
    for inputs in resolve(answers):
        costs = flow_costs(inputs, policy.costs)
        if costs.savings_pct is None:
            continue
        if inputs.flow.provider_country in OFFSHORE:
            offshore.append(costs.savings_pct)
        flat = costs.overtime_cost == 0 and costs.temp_cost == 0 and costs.coverage_gap_hours == 0
        if flat and costs.on_queue_hours and inputs.flow.current_fte is None:
            # The same flow quoted at exactly the in-house cost of an hour on queue.
            hour = costs.inhouse_cost_monthly / costs.on_queue_hours
            same = inputs.model_copy(update={"flow": inputs.flow.model_copy(
                update={"vendor_quote": VendorQuote(per_hour=hour)})})
            dearer += 1
            dearer_saving += (flow_costs(same, policy.costs).savings_pct or 0.0) > 0
    deciles = statistics.quantiles(offshore, n=10)
    case = load_answers(ROOT / "examples" / "us-retail-holiday-overflow.yaml")
    care = next(i for i in resolve(case) if i.flow.id == "customer-care-phone")
    overflow = flow_costs(care, policy.costs).options["overflow"]
    results = {
        "flows": n,
        "offshore_quoted": len(offshore),
        "offshore_saving_pct": {"p10": deciles[0], "median": statistics.median(offshore), "p90": deciles[8]},
        "offshore_median_within_15_35": 15 <= statistics.median(offshore) <= 35,
        "provider_hour_at_or_above_inhouse_hour": dearer,
        "of_which_showing_a_saving": dearer_saving,
        "us_case_overflow_saving_pct": overflow.saving_pct,
        "us_case_overflow_saving_vs_peak_team_pct": overflow.saving_vs_peak_team_pct,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    s = results["offshore_saving_pct"]
    print(f"Economics on {n} generated flows:")
    print(f"  offshore all-in saving ({len(offshore)} flows): p10 {s['p10']:.1f} %, median {s['median']:.1f} %, "
          f"p90 {s['p90']:.1f} % (sources: 18-28 % all-in; check 15-35 %)")
    print(f"  flows without peaks re-quoted at the in-house cost of an hour on queue: {dearer}, "
          f"{dearer_saving} showing a saving (should be 0)")
    print(f"  US case study, overflow split: {overflow.saving_pct:.1f} % saved against the team paid today with "
          f"overtime and temporary staff, {overflow.saving_vs_peak_team_pct:.1f} % against a team expanded for "
          "the busiest month (seed B: 25 % against expanding the in-house team; check 15-35 %)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
