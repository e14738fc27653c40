"""Shared fixtures: the bundled policy, loaded once, and paths of the repository."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.policy.loading import Policy, load_policy

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "rules"
EXAMPLES = ROOT / "examples"


@pytest.fixture(scope="session")
def policy() -> Policy:
    """The default policy in rules/, through the real loader."""
    return load_policy(RULES)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true",
                     help="rewrite the golden explanation files instead of comparing with them")


@pytest.fixture(scope="session")
def update_golden(request: pytest.FixtureRequest) -> bool:
    """Whether golden files are rewritten (only on an explicit --update-golden)."""
    return bool(request.config.getoption("--update-golden"))
