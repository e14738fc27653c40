"""Erlang C: the staffing of real-time queues, checked against docs/domain.md's reference point."""

from __future__ import annotations

import math
import os
import subprocess
import sys
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine import erlang
from conftest import ROOT

# docs/domain.md: 1,000 calls an hour, 4-minute handling, 80 % answered in 20 s.
CALLS, AHT, TARGET, SECONDS = 1000, 240, 0.80, 20


class TestReferencePoint:
    """The figures docs/domain.md gives for 1,000 calls an hour at 240 s, 80/20."""

    def test_agents(self) -> None:
        """74 agents on queue reach the target."""
        assert erlang.staff(CALLS, AHT, TARGET, SECONDS).agents == 74

    def test_traffic(self) -> None:
        """The traffic is 1,000 x 240 / 3,600 = 66.7 erlangs."""
        assert erlang.staff(CALLS, AHT, TARGET, SECONDS).traffic == pytest.approx(1000 * 240 / 3600)

    def test_service_level(self) -> None:
        """The service level with 74 agents is 0.846."""
        assert erlang.staff(CALLS, AHT, TARGET, SECONDS).service_level == pytest.approx(0.846, abs=5e-4)

    def test_occupancy(self) -> None:
        """The occupancy with 74 agents is 0.90."""
        assert erlang.staff(CALLS, AHT, TARGET, SECONDS).occupancy == pytest.approx(0.90, abs=5e-3)

    def test_probability_of_waiting(self) -> None:
        """The probability of waiting with 74 agents is 0.283."""
        assert erlang.staff(CALLS, AHT, TARGET, SECONDS).probability_of_waiting == pytest.approx(0.283, abs=5e-4)

    def test_one_agent_fewer_misses_the_target(self) -> None:
        """73 agents do not reach 80 % in 20 s, so 74 is the fewest."""
        traffic = CALLS * AHT / 3600
        assert erlang.service_level(73, traffic, AHT, SECONDS) < TARGET <= erlang.service_level(74, traffic, AHT, SECONDS)

    def test_capped_at_85_percent_occupancy(self) -> None:
        """Capping occupancy at 85 % takes 79 agents."""
        capped = erlang.staff(CALLS, AHT, TARGET, SECONDS, max_occupancy=0.85)
        assert capped.agents == 79
        assert capped.occupancy <= 0.85

    def test_capped_figures_are_recomputed(self) -> None:
        """With the cap the service level and waiting probability are those of 79 agents, not of 74."""
        capped = erlang.staff(CALLS, AHT, TARGET, SECONDS, max_occupancy=0.85)
        traffic = CALLS * AHT / 3600
        assert capped.service_level == pytest.approx(erlang.service_level(79, traffic, AHT, SECONDS))
        assert capped.probability_of_waiting == pytest.approx(erlang.probability_of_waiting(79, traffic))
        assert capped.service_level > 0.846


class TestSmallQueues:
    """Small queues are inefficient: the same target costs far more idle time."""

    def test_twenty_calls_an_hour(self) -> None:
        """At 20 calls an hour the same target gives about 44 % occupancy."""
        small = erlang.staff(20, AHT, TARGET, SECONDS)
        assert small.occupancy == pytest.approx(0.44, abs=0.01)
        assert small.service_level >= TARGET

    def test_smaller_queue_lower_occupancy(self) -> None:
        """Occupancy falls as the queue shrinks, at the same target."""
        occupancies = [erlang.staff(calls, AHT, TARGET, SECONDS).occupancy for calls in (1000, 200, 50, 20)]
        assert occupancies == sorted(occupancies, reverse=True)

    def test_a_single_contact_needs_an_agent(self) -> None:
        """A trickle of traffic still needs one agent."""
        assert erlang.staff(0.5, AHT, TARGET, SECONDS).agents == 1


class TestMonotonicity:
    """More work never needs fewer agents."""

    @given(calls=st.floats(min_value=0.1, max_value=5000), extra=st.floats(min_value=0, max_value=2000))
    def test_more_traffic_never_fewer_agents(self, calls: float, extra: float) -> None:
        """Adding calls an hour never lowers the agents needed."""
        assert erlang.staff(calls + extra, AHT, TARGET, SECONDS).agents >= erlang.staff(calls, AHT, TARGET, SECONDS).agents

    @given(calls=st.floats(min_value=0.1, max_value=5000), extra=st.floats(min_value=0, max_value=2000))
    def test_more_traffic_never_fewer_agents_when_capped(self, calls: float, extra: float) -> None:
        """With the occupancy cap too, adding calls never lowers the agents needed."""
        low = erlang.staff(calls, AHT, TARGET, SECONDS, 0.85).agents
        assert erlang.staff(calls + extra, AHT, TARGET, SECONDS, 0.85).agents >= low

    @pytest.mark.parametrize("max_occupancy", [1.0, 0.85])
    def test_across_the_large_queue_shortcut(self, max_occupancy: float) -> None:
        """Crossing the traffic above which staffing takes a shortcut never lowers the agents needed."""
        agents = [erlang.staff(erlang.LARGE_TRAFFIC * 3600 / AHT + delta, AHT, TARGET, SECONDS, max_occupancy).agents
                  for delta in (-200, -1, 0, 1, 200)]
        assert agents == sorted(agents)

    def test_longer_handling_never_fewer_agents(self) -> None:
        """Longer handling at the same volume never lowers the agents needed."""
        agents = [erlang.staff(300, aht, TARGET, SECONDS).agents for aht in (60, 120, 240, 480, 900)]
        assert agents == sorted(agents)

    def test_stricter_target_never_fewer_agents(self) -> None:
        """A higher service-level target never lowers the agents needed."""
        agents = [erlang.staff(CALLS, AHT, level, SECONDS).agents for level in (0.5, 0.7, 0.8, 0.9, 0.95)]
        assert agents == sorted(agents)

    @given(traffic=st.floats(min_value=0.1, max_value=500))
    def test_results_are_probabilities(self, traffic: float) -> None:
        """Service level, occupancy and waiting probability stay between 0 and 1, and the target is met."""
        staffing = erlang.staff(traffic * 3600 / AHT, AHT, TARGET, SECONDS, 0.85)
        assert 0 <= staffing.probability_of_waiting <= 1
        assert TARGET <= staffing.service_level <= 1
        assert 0 < staffing.occupancy <= 0.85 + 1e-9
        assert staffing.agents > staffing.traffic


class TestZeroTraffic:
    """No contacts need no agents."""

    @pytest.mark.parametrize("calls,aht", [
        pytest.param(0, AHT, id="no-calls"),
        pytest.param(0.0, AHT, id="no-calls-float"),
        pytest.param(-5, AHT, id="negative-calls"),
    ])
    def test_no_agents(self, calls: float, aht: float) -> None:
        """Zero traffic gives zero agents, a met target, no occupancy and no waiting."""
        assert erlang.staff(calls, aht, TARGET, SECONDS) == erlang.Staffing(0, 0.0, 1.0, 0.0, 0.0)

    def test_saturated_queue_always_waits(self) -> None:
        """With no more agents than erlangs every contact waits and none is answered in time."""
        assert erlang.probability_of_waiting(10, 10.0) == 1.0
        assert erlang.service_level(10, 10.0, AHT, SECONDS) == 0.0


class TestLargeTraffic:
    """Large queues stay finite, accurate and fast (the Erlang B recursion, no factorials)."""

    @pytest.mark.parametrize("calls", [
        pytest.param(10_000, id="10k-an-hour"),
        pytest.param(100_000, id="100k-an-hour"),
        pytest.param(1_000_000, id="1m-an-hour"),
    ])
    def test_finite_and_near_traffic(self, calls: int) -> None:
        """A huge queue gets a finite number of agents just above its traffic, at a very high occupancy."""
        staffing = erlang.staff(calls, AHT, TARGET, SECONDS)
        assert staffing.traffic < staffing.agents < staffing.traffic * 1.05
        assert staffing.service_level >= TARGET
        assert 0.95 < staffing.occupancy < 1

    def test_fast(self) -> None:
        """A million calls an hour (66,667 erlangs) is staffed in well under a second."""
        start = time.perf_counter()
        erlang.staff(1_000_000, AHT, TARGET, SECONDS, 0.85)
        assert time.perf_counter() - start < 1.0


class TestBeyondTheRecursion:
    """Past ``LARGE_TRAFFIC`` erlangs the waiting probability has a closed form, not a step per agent."""

    @staticmethod
    def recursion(agents: int, traffic: float) -> float:
        """Erlang C through the Erlang B recursion, the reference below the shortcut."""
        erlang_b = 1.0
        for k in range(1, agents + 1):
            erlang_b = traffic * erlang_b / (k + traffic * erlang_b)
        return agents * erlang_b / (agents - traffic * (1 - erlang_b))

    @pytest.mark.parametrize("spare", [0.1, 0.5, 1, 2, 3])
    def test_close_to_the_recursion(self, spare: float) -> None:
        """Just past the shortcut, with ``spare`` square roots of the traffic in extra agents, the closed
        form is within 10 % of the recursion."""
        traffic = erlang.LARGE_TRAFFIC + 1
        agents = math.ceil(traffic + spare * math.sqrt(traffic))
        assert erlang.probability_of_waiting(agents, traffic) == pytest.approx(self.recursion(agents, traffic), rel=0.1)

    def test_a_billion_erlangs(self) -> None:
        """A queue of a billion erlangs with agents to spare is answered at once (was a loop of a step per
        agent: minutes for a flow whose team falls short of its busiest month)."""
        code = ("from engine import erlang; "
                "print(erlang.probability_of_waiting(1_000_100_000, 1e9), erlang.service_level(1_000_100_000, 1e9, 240, 20))")
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30, check=True,
                              cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
        waiting, level = map(float, done.stdout.split())
        assert 0 <= waiting < 0.01 and 0.99 < level <= 1


class TestFractionalAgents:
    """Agents as a real number, so that staffing and cost move smoothly with traffic."""

    def test_between_the_whole_numbers_around_the_target(self) -> None:
        """At the reference point (66.7 erlangs, 80/20) the target lies between 73 and 74 agents."""
        agents = erlang.fractional_agents(1000 * 240 / 3600, 240, 0.80, 20)
        assert 73 < agents <= 74
        assert erlang.service_level(73, 1000 * 240 / 3600, 240, 20) < 0.80

    def test_occupancy_cap(self) -> None:
        """The occupancy cap still applies: at 85 % the reference point needs 66.7 / 0.85 agents."""
        assert erlang.fractional_agents(1000 * 240 / 3600, 240, 0.80, 20, 0.85) == pytest.approx(66.667 / 0.85, rel=1e-3)

    def test_agents_per_erlang_never_rise_with_traffic(self) -> None:
        """Economies of scale without steps: agents per erlang fall as traffic grows."""
        ratios = [erlang.fractional_agents(t / 10, 240, 0.80, 20) / (t / 10) for t in range(1, 3000)]
        assert all(later <= earlier * (1 + 1e-12) for earlier, later in zip(ratios, ratios[1:]))
