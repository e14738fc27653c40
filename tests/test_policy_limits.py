"""The limits a policy stays within: what the inference engine can register and run, and what a
policy's texts may cost to render. Beyond a limit, a policy error names the rule and the limit."""

from __future__ import annotations

import math

import pytest

from explanations.render import dump_json


class TestJson:
    @pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan])
    def test_a_non_finite_number_is_never_printed(self, value: float) -> None:
        """JSON output refuses a number JSON cannot hold rather than print Infinity or NaN."""
        with pytest.raises(ValueError):
            dump_json({"policy": {}, "flows": [{"scores": {"outsource": value}}]})
