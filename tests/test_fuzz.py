"""A short fuzzing run in ``make test``: a few dozen hostile inputs a loader, the same on every run.

Each loader's cases (``tests/fuzzing.py``: answers files, a policy copy, a sealed audit record,
policy cases) run through the command line in-process, and each must end as designed: a documented
exit code, no traceback or internal error, no secret shown. ``make fuzz`` runs thousands.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import fuzzing

EXAMPLES_A_LOADER = 12


@pytest.mark.parametrize("loader", fuzzing.LOADERS)
def test_hostile_input_ends_as_designed(loader: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Whatever a mutated input holds, the command exits 0 or with a user error, and shows no secret."""
    folder = tmp_path_factory.mktemp(f"fuzz-{loader}") / "case"

    # A seed is not worth shrinking (a smaller one is another input): report the first failure as found.
    @settings(max_examples=EXAMPLES_A_LOADER, derandomize=True, deadline=None, database=None,
              phases=[Phase.generate], suppress_health_check=[HealthCheck.too_slow])
    @given(seed=st.integers(min_value=0, max_value=2**31))
    def hostile(seed: int) -> None:
        case = fuzzing.case_for(loader, seed)
        outcome = fuzzing.run_case(case, folder)
        assert outcome.failure is None, fuzzing.describe(case, outcome)

    hostile()


def test_cases_are_reproducible() -> None:
    """A loader and a seed give the same input on every run (a saved failure can be found again)."""
    for loader in fuzzing.LOADERS:
        first, again = fuzzing.case_for(loader, 7), fuzzing.case_for(loader, 7)
        assert (first.command, first.files) == (again.command, again.files)


def test_a_user_error_is_not_a_failure(tmp_path: Path) -> None:
    """A file the command rejects with exit 2 is a success for the harness, not a false alarm."""
    case = fuzzing.Case("answers", 0, ["recommend", "{dir}/answers.yaml"], {"answers.yaml": b"flows: 3\n"},
                        "answers.yaml", "flows is a number")
    outcome = fuzzing.run_case(case, tmp_path / "case")
    assert (outcome.exit_code, outcome.failure) == (2, None)


def test_an_echoed_secret_is_caught(tmp_path: Path) -> None:
    """The harness flags the secret marker whenever a command shows it (here a case's note that
    quotes it, which ``rules test`` prints)."""
    text = (f"- note: {fuzzing.MARKER}\n  file: examples/acme-retail.yaml\n"
            "  want: {order-taking: {decision: outsource}}\n")
    case = fuzzing.Case("cases", 0, ["rules", "test", "{dir}/cases.yaml"], {"cases.yaml": text.encode()},
                        "cases.yaml", "a note quoting the marker")
    outcome = fuzzing.run_case(case, tmp_path / "case")
    assert outcome.failure == "secret"
