"""Shared fixtures: the bundled policy, loaded once, and paths of the repository; the command line
run in this process."""

from __future__ import annotations

import gc
import os
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import GC_YOUNGEST, main
from engine.policy.loading import Policy, load_policy

# The tests run the commands in this process: its cyclic collector is set as the installed command sets
# its own (cli.entry), which the tests' many policies, documents and flows also run faster with.
gc.set_threshold(GC_YOUNGEST, *gc.get_threshold()[1:])

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "rules"
EXAMPLES = ROOT / "examples"


def arbitre_in_process(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """``arbitre ARGS`` run through click's runner in this process (from ``cwd`` if given), with
    what a subprocess run gives back: for tests that read what a command prints, without an
    interpreter start-up each time."""
    argv = [str(arg) for arg in args]
    before = Path.cwd()
    os.chdir(cwd or before)
    try:
        result = CliRunner().invoke(main, argv, prog_name="arbitre", catch_exceptions=False)
    finally:
        os.chdir(before)
        gc.unfreeze()  # a command freezes what it loaded for its run: here, the test process's heap
    return subprocess.CompletedProcess(["arbitre", *argv], result.exit_code, result.stdout, result.stderr)


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
