"""How many questions the questionnaire asks per flow, with and without the skip logic,
and whether skipping changed any decision.

Every flow of the bundled examples (and of a generated portfolio) is answered
through the real interview by a console that types the flow's own values (the
default where the file leaves a field out). A question skipped keeps its default,
so a flow whose decision differs from the file's own is one the skip logic got wrong. Counts the flow questions asked
with the skip logic and with ``--all-questions``, and the time the skip logic
takes between two questions. Run with ``make bench`` or directly.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.generate import generate_answers  # noqa: E402
from engine.interview.conversation import Interview  # noqa: E402
from engine.load import read_document  # noqa: E402
from engine.models import Answers  # noqa: E402
from engine.recommend import recommend  # noqa: E402
from engine.policy.loading import load_policy  # noqa: E402
from engine.interview.questions import Bank, Question, load_questions, memo_for, model_default  # noqa: E402

RESULTS = HERE / "results" / "questions.json"


def typed(question: Question, value: Any, bank: Bank) -> str:
    """What a person would type for ``value``."""
    if value is None:
        return ""
    if question.kind == "yes_no":
        return "yes" if value else "no"
    if question.kind in ("choices", "languages"):
        return ", ".join(value) if value else "none"
    if question.kind == "quote":
        form, amount = next(iter(value.items()))
        return f"{amount} {bank.file.words['en'].model_dump()[form][0]}"
    return str(value)


class Replay:
    """Types the answers of one answers mapping, question by question, and times the gaps."""

    def __init__(self, data: dict[str, Any], bank: Bank) -> None:
        self.data, self.bank = data, bank
        self.interview: Interview | None = None
        self.flow = 0
        self.added = 1
        self.gaps: list[float] = []
        self.last = time.perf_counter()

    def say(self, text: str = "") -> None:
        pass

    def ask(self, prompt: str) -> str:
        now = time.perf_counter()
        self.gaps.append(now - self.last)
        assert self.interview is not None
        question = self.interview.current
        self.last = now
        if not prompt.startswith(">") or question is None:
            if self.added < len(self.data["flows"]) and not prompt.startswith(self.bank.message("review_prompt", "en")):
                self.added += 1
                return "yes"
            return "" if prompt.startswith(self.bank.message("review_prompt", "en")) else "no"
        if question in self.bank.organisation:
            source, section = self.data.get("organisation", {}), "organisation"
        else:
            source, section = self.data["flows"][len(self.interview.data["flows"]) - 1], "flows"
        # a field the file leaves out is typed as its default, not taken from the activity's suggestion
        return typed(question, source.get(question.field, model_default(section, question.field)), self.bank)


def decisions(data: dict[str, Any], policy: Any) -> list[tuple[str, tuple[str, ...]]]:
    result = recommend(Answers.model_validate(data), policy)
    return [(f.verdict.decision.value, tuple(s.value for s in f.verdict.split)) for f in result.flows]


def count(data: dict[str, Any], bank: Bank, policy: Any, all_questions: bool) -> tuple[list[int], list[float], int]:
    """Questions asked per flow, the gaps between questions, and how many flows end with another
    decision than the file's own answers give."""
    console = Replay(data, bank)
    interview = Interview(bank, policy, "en", console, lambda _: None, None, all_questions)
    console.interview = interview
    interview.run()
    differ = sum(a != b for a, b in zip(decisions(interview.data, policy), decisions(data, policy)))
    return [len(t.asked) for t in interview.tallies.values()], console.gaps, differ


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * pct / 100))]


def main() -> int:
    policy = load_policy(ROOT / "rules")
    memo = memo_for(policy)
    bank = load_questions(ROOT / "rules")
    sources = {path.name: read_document(path).data for path in sorted((ROOT / "examples").glob("*.yaml"))}
    sources["generated (40 flows)"] = generate_answers(40, seed=7)
    results: dict[str, Any] = {"total_flow_questions": len(bank.flows), "files": {}}
    skipping_all: list[int] = []
    every_all: list[int] = []
    gaps_all: list[float] = []
    differ_all = 0
    for name, data in sources.items():
        skipping, gaps, differ = count(data, bank, policy, all_questions=False)
        every, _, differ_every = count(data, bank, policy, all_questions=True)
        results["files"][name] = {"flows": len(skipping), "asked_with_skip_logic": skipping,
                                  "asked_with_all_questions": every, "other_decision_with_skip_logic": differ,
                                  "other_decision_with_all_questions": differ_every}
        differ_all += differ
        skipping_all += skipping
        every_all += every
        gaps_all += gaps
    results["summary"] = {
        "flows": len(skipping_all),
        "median_with_skip_logic": statistics.median(skipping_all),
        "mean_with_skip_logic": statistics.fmean(skipping_all),
        "median_with_all_questions": statistics.median(every_all),
        "mean_with_all_questions": statistics.fmean(every_all),
        "seconds_between_questions_median": statistics.median(gaps_all),
        "seconds_between_questions_p95": _percentile(gaps_all, 95),
        "seconds_between_questions_max": max(gaps_all),
        "flows_with_another_decision_than_the_file": differ_all,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    s = results["summary"]
    print(f"Questions per flow ({len(bank.flows)} in the bank, {s['flows']} flows answered):")
    for name, item in results["files"].items():
        print(f"  {name:<34} skip logic {item['asked_with_skip_logic']}  all {item['asked_with_all_questions']}")
    print(f"  median {s['median_with_skip_logic']:g} with the skip logic (mean {s['mean_with_skip_logic']:.1f}), "
          f"{s['median_with_all_questions']:g} with --all-questions (mean {s['mean_with_all_questions']:.1f})")
    print(f"  flows whose decision differs from the file's own, because skipped answers took their defaults: "
          f"{s['flows_with_another_decision_than_the_file']} of {s['flows']}")
    print(f"  time between two questions: median {s['seconds_between_questions_median'] * 1000:.1f} ms, "
          f"95th percentile {s['seconds_between_questions_p95'] * 1000:.0f} ms, "
          f"max {s['seconds_between_questions_max'] * 1000:.0f} ms (target: max under 200 ms on a quiet machine)")
    print(f"  flows evaluated by the skip logic: {memo.evaluations}, rule engine runs: {memo.engine_runs}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
