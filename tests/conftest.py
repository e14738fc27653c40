"""Shared fixtures: the bundled policy, loaded once, and paths of the repository."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.policy import Policy, load_policy

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "rules"
EXAMPLES = ROOT / "examples"


@pytest.fixture(scope="session")
def policy() -> Policy:
    """The default policy in rules/, through the real loader."""
    return load_policy(RULES)
