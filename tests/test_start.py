"""What a command does as it starts, before its work: the settings of the installed command, the engine
imported out of the cyclic collector's way, a file cut in as few parts as the jobs allow."""

from __future__ import annotations

import gc
import os

import pytest

import cli
from benchmarks.generate import generate_answers
from engine.answers import PART_FLOWS
from engine.models import Answers


class TestEntry:
    def test_pydantic_looks_for_no_plugin(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """The installed command turns pydantic's plugin search off with pydantic's own switch."""
        monkeypatch.delenv("PYDANTIC_DISABLE_PLUGINS", raising=False)
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


class TestLoading:
    def test_what_is_loaded_is_frozen_and_the_collector_on_again(self) -> None:
        """Inside, no collection; after, what was made is out of the collector's sight and it runs again."""
        try:
            with cli._loading():
                assert not gc.isenabled()
                loaded = [[index] for index in range(1_000)]
            assert gc.isenabled()
            assert gc.get_freeze_count() >= len(loaded)
        finally:
            gc.unfreeze()

    def test_a_collector_turned_off_stays_off(self) -> None:
        """Loading does not turn on a collector that was off."""
        gc.disable()
        try:
            with cli._loading():
                pass
            assert not gc.isenabled()
        finally:
            gc.enable()
            gc.unfreeze()


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
