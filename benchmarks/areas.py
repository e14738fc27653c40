"""Where a benchmark's time goes: the share of one profiled call spent under each named function."""

from __future__ import annotations

import cProfile
import pstats
from collections.abc import Callable, Mapping
from typing import Any


def shares_by_function(call: Callable[[], Any], areas: Mapping[str, tuple[str, str]]) -> dict[str, float]:
    """Run ``call`` once under the profiler; for each area, named by the function doing its work (module
    path ending and function name), the share of the total time spent in it, callees included; the rest
    as ``other``."""
    profile = cProfile.Profile()
    profile.runcall(call)
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]  # the table pstats keeps, undeclared
    total = sum(tt for _cc, _nc, tt, _ct, _callers in stats.values())
    shares = {area: sum(ct for (file, _line, func), (_cc, _nc, _tt, ct, _c) in stats.items()
                        if func == name and file.endswith(module)) / total
              for area, (module, name) in areas.items()}
    shares["other"] = max(0.0, 1.0 - sum(shares.values()))
    return shares
