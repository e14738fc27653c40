"""What a command does as it starts, before its work: the settings of the installed command, the engine
imported out of the cyclic collector's way, a file cut in as few parts as the jobs allow."""

from __future__ import annotations

import gc
import os

import pytest

import cli
from benchmarks.generate import generate_answers
from engine.answers import PART_FLOWS
from engine.load import collector_paused
from engine.models import Answers


class TestEntry:
    def test_pydantic_looks_for_no_plugin(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """The installed command turns pydantic's plugin search off with pydantic's own switch."""
        monkeypatch.setenv("PYDANTIC_DISABLE_PLUGINS", "")  # recorded, so that the value set is undone after
        monkeypatch.delenv("PYDANTIC_DISABLE_PLUGINS")
        monkeypatch.setattr("sys.argv", ["arbitre", "--version"])
        with pytest.raises(SystemExit):
            cli.entry()
        assert os.environ["PYDANTIC_DISABLE_PLUGINS"] == "__all__"

    def test_a_choice_of_plugins_made_by_the_user_is_kept(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Plugins the user names to be turned off stay the ones turned off."""
        monkeypatch.setenv("PYDANTIC_DISABLE_PLUGINS", "some-plugin")
        monkeypatch.setattr("sys.argv", ["arbitre", "--version"])
        with pytest.raises(SystemExit):
            cli.entry()
        assert os.environ["PYDANTIC_DISABLE_PLUGINS"] == "some-plugin"


class TestCollectorPaused:
    def test_no_collection_inside_and_the_collector_on_again_after(self) -> None:
        """Inside, the cyclic collector is off; after, it runs again."""
        with collector_paused():
            assert not gc.isenabled()
        assert gc.isenabled()

    def test_a_collector_turned_off_stays_off(self) -> None:
        """Pausing does not turn on a collector that was off."""
        gc.disable()
        try:
            with collector_paused():
                pass
            assert not gc.isenabled()
        finally:
            gc.enable()


class TestParts:
    @pytest.mark.parametrize("flows, jobs, sizes", [
        pytest.param(6, 1, [6], id="one-process-one-part"),
        pytest.param(PART_FLOWS + 1, 1, [PART_FLOWS, 1], id="one-process-parts-of-at-most-PART_FLOWS"),
        pytest.param(6, 2, [1] * 6, id="two-jobs-four-parts-each-at-most"),
        pytest.param(40, 2, [5] * 8, id="two-jobs-eight-parts"),
    ])
    def test_a_file_is_cut_in_as_few_parts_as_the_jobs_allow(self, flows: int, jobs: int, sizes: list[int]) -> None:
        """In one process a file is one part up to PART_FLOWS flows; over several, four parts for each job."""
        answers = Answers.model_validate(generate_answers(flows))
        parts = cli._parts_of(answers, jobs)
        assert [len(part.flows) for part in parts] == sizes
        assert [flow for part in parts for flow in part.flows] == list(answers.flows)
