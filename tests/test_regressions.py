"""Every input a fuzzing run saved (``tests/regressions/<loader>/``) is replayed through the command line.

Each once ended in an internal error, a hang, too much memory or a secret shown; each must now end
as designed. Inputs are run in-process like the fuzzer runs them; one saved as a hang runs in a
subprocess under a generous timeout.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import fuzzing

ARBITRE = Path(sys.executable).parent / "arbitre"
SAVED = [pytest.param(loader, entry, id=f"{loader}/{entry['file']}")
         for loader in fuzzing.LOADERS for entry in fuzzing.saved(loader)]


@pytest.mark.parametrize(("loader", "entry"), SAVED)
def test_saved_failure_now_ends_as_designed(loader: str, entry: dict[str, Any], tmp_path: Path) -> None:
    """A saved failing input exits as its command documents, with no traceback and no secret shown."""
    case = fuzzing.replay_case(loader, entry)
    folder = tmp_path / "case"
    if entry["failure"] != "hang":
        outcome = fuzzing.run_case(case, folder)
        assert outcome.failure is None, fuzzing.describe(case, outcome)
        return
    fuzzing.prepare(case, folder)
    env = {name: value for name, value in os.environ.items() if name != "ARBITRE_DEBUG"}
    run = subprocess.run([str(ARBITRE), *case.argv(folder)], capture_output=True, text=True, timeout=30,
                         env=env, cwd=folder)
    output = run.stdout + run.stderr
    assert run.returncode in fuzzing.allowed_exits(case.command), output[-2000:]
    assert "Traceback" not in output and "internal error" not in output
    assert fuzzing.MARKER not in output


def test_every_saved_input_has_its_line() -> None:
    """Each file under tests/regressions/ is named by its loader's index, and each line names a file."""
    for loader in fuzzing.LOADERS:
        folder = fuzzing.REGRESSIONS / loader
        on_disk = {p.name for p in folder.iterdir() if p.name != "index.jsonl"} if folder.exists() else set()
        assert on_disk == {entry["file"] for entry in fuzzing.saved(loader)}
