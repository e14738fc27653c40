"""Policy cases as data: every case of ``rules/tests/*.yaml`` through the real pipeline.

Each case file is a YAML list of cases (the format is documented at the top of
every file and in ``engine.policy.cases``). The cases run through ``engine.policy.cases``,
exactly as ``arbitre rules test`` runs them. A last test checks that every rule
of the policy fires in at least one checked flow.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from engine.policy.cases import Case, coverage, describe, read_cases, run_case
from engine.policy.loading import Policy

ROOT = Path(__file__).resolve().parent.parent
CASES_DIR = ROOT / "rules" / "tests"
CASES = read_cases([CASES_DIR], shown_from=ROOT)


def _slug(text: str, limit: int = 60) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    if len(slug) > limit:
        slug = slug[:limit].rsplit("-", 1)[0]
    return slug or "case"


def _ids(cases: list[Case]) -> list[str]:
    """Test ids from the notes; notes that slug alike are told apart by the first flow they check."""
    slugs = [_slug(case.note) for case in cases]
    out = []
    for case, slug in zip(cases, slugs):
        if slugs.count(slug) > 1:
            want = case.raw.get("want") if isinstance(case.raw, dict) else None
            if isinstance(want, dict) and want:
                slug = f"{slug}-{_slug(str(next(iter(want))), 30)}"
        out.append(slug)
    seen: dict[str, int] = {}
    for index, slug in enumerate(out):
        seen[slug] = seen.get(slug, 0) + 1
        if seen[slug] > 1:
            out[index] = f"{slug}-{seen[slug]}"
    return out


def test_there_are_enough_cases() -> None:
    assert len(CASES) >= 25


@pytest.mark.parametrize("index", range(len(CASES)), ids=_ids(CASES))
def test_policy_case(index: int, policy: Policy) -> None:
    """The default policy concludes, for each flow of the case, what the case wants."""
    outcome = run_case(CASES[index], policy)
    case = outcome.case
    if outcome.problems:
        pytest.fail(f"{case.where}: the case itself is malformed:\n  " + "\n  ".join(outcome.problems), pytrace=False)
    if outcome.invalid is not None:
        pytest.fail(f"{case.where}: the answers of the case are invalid:\n{outcome.invalid}", pytrace=False)
    if outcome.failures:
        lines = [f"  {f.flow_id}: " + "; ".join(f.wrong) + ("\n    " + describe(f.flow).replace("\n", "\n    ")
                                                         if f.flow is not None else "")
                 for f in outcome.failures]
        pytest.fail(f"{case.where}: {case.note}\n" + "\n".join(lines), pytrace=False)


def test_every_rule_fires_in_some_case(policy: Policy) -> None:
    """Every rule of the policy fires in at least one flow that a case checks."""
    _, never = coverage([run_case(case, policy) for case in CASES], policy)
    if never:
        pytest.fail(f"rules never fired by a flow a case checks in rules/tests/*.yaml: {', '.join(never)}",
                    pytrace=False)
