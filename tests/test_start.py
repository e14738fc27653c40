"""What a command does as it starts, before its work: the engine imported out of the cyclic collector's way."""

from __future__ import annotations

import gc

import cli


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
