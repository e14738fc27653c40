"""The README's tour from real volumes to the bids: every command it shows runs as written, on the bundled
examples, and writes what the text says."""

from __future__ import annotations

import glob
import re
import shlex
import shutil
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, arbitre_in_process

README = EXAMPLES.parent / "README.md"
COMMANDS = ("import", "tender", "bids")


def tour_lines() -> list[str]:
    """The README's shell lines that run the tender commands, as written (comments dropped)."""
    blocks = re.findall(r"```sh\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    lines = [line.split("  #")[0].strip() for block in blocks for line in block.splitlines()]
    return [line for line in lines if line.startswith(".venv/bin/arbitre ") and line.split()[1] in COMMANDS]


def test_the_tour_shows_the_three_commands() -> None:
    assert {line.split()[1] for line in tour_lines()} == set(COMMANDS)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding a copy of the examples, where the tour's commands write their files."""
    work = tmp_path_factory.mktemp("tour")
    shutil.copytree(EXAMPLES, work / "examples")
    return work


@pytest.mark.parametrize("line", tour_lines())
def test_each_command_runs_as_written(workdir: Path, line: str) -> None:
    argv = []
    for word in shlex.split(line)[1:]:
        matches = sorted(glob.glob(word, root_dir=workdir)) if "*" in word else [word]
        assert matches, f"{word} matches no file"
        argv += matches
    run = arbitre_in_process(*argv, cwd=workdir)
    assert run.returncode == 0, run.stderr
    for option in ("--out", "--report", "--audit"):
        if option in argv:
            assert (workdir / argv[argv.index(option) + 1]).exists()
