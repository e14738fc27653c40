"""Erlang C: agents needed on a queue of real-time contacts (phone, chat).

Traffic ``A`` in erlangs is arrivals per hour times handling time in hours.
The probability that a contact waits with ``N`` agents comes from the Erlang B
recursion, which stays stable for large queues; the service level is the share
answered within the target time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


LARGE_TRAFFIC = 10_000.0  # erlangs


@dataclass(frozen=True)
class Staffing:
    """Agents on queue for one interval and what they achieve."""

    agents: int
    traffic: float
    service_level: float
    occupancy: float
    probability_of_waiting: float


def probability_of_waiting(agents: int, traffic: float) -> float:
    """Erlang C: the chance that a contact has to wait, with ``agents`` > ``traffic``."""
    if agents <= traffic:
        return 1.0
    erlang_b = 1.0
    for k in range(1, agents + 1):
        erlang_b = traffic * erlang_b / (k + traffic * erlang_b)
    return agents * erlang_b / (agents - traffic * (1 - erlang_b))


def service_level(agents: int, traffic: float, aht_seconds: float, target_seconds: float) -> float:
    """Share of contacts answered within ``target_seconds``."""
    if agents <= traffic:
        return 0.0
    wait = probability_of_waiting(agents, traffic)
    return 1 - wait * math.exp(-(agents - traffic) * target_seconds / aht_seconds)


def staff(contacts_per_hour: float, aht_seconds: float, target_level: float, target_seconds: float,
          max_occupancy: float = 1.0) -> Staffing:
    """The fewest agents that reach the service level target without passing ``max_occupancy``."""
    traffic = contacts_per_hour * aht_seconds / 3600
    if traffic <= 0:
        return Staffing(0, 0.0, 1.0, 0.0, 0.0)
    if traffic > LARGE_TRAFFIC:
        # The recursion costs one step per agent. At this size the occupancy cap or
        # square-root staffing with a safety of 3 (waiting probability below 0.1 %)
        # decides, and every contact is answered at once.
        agents = max(math.ceil(traffic / max_occupancy - 1e-9), math.ceil(traffic + 3 * math.sqrt(traffic)))
        return Staffing(agents, traffic, 1.0, traffic / agents, 0.0)
    agents = max(1, math.floor(traffic) + 1)
    erlang_b = 1.0
    for k in range(1, agents + 1):
        erlang_b = traffic * erlang_b / (k + traffic * erlang_b)
    while True:
        wait = agents * erlang_b / (agents - traffic * (1 - erlang_b))
        level = 1 - wait * math.exp(-(agents - traffic) * target_seconds / aht_seconds)
        if level >= target_level:
            break
        agents += 1
        erlang_b = traffic * erlang_b / (agents + traffic * erlang_b)
    capped = max(agents, math.ceil(traffic / max_occupancy - 1e-9))
    if capped != agents:
        agents = capped
        wait = probability_of_waiting(agents, traffic)
        level = service_level(agents, traffic, aht_seconds, target_seconds)
    return Staffing(agents, traffic, level, traffic / agents, wait)


def fractional_agents(traffic: float, aht_seconds: float, target_level: float, target_seconds: float,
                      max_occupancy: float = 1.0) -> float:
    """The agents needed as a real number: the service level interpolated between the whole numbers of
    agents around the target, so that staffing (and so cost) moves smoothly with traffic."""
    if traffic <= 0:
        return 0.0
    whole = staff(traffic * 3600 / aht_seconds, aht_seconds, target_level, target_seconds)
    agents = float(whole.agents)
    if traffic <= LARGE_TRAFFIC and whole.agents - 1 > traffic:
        below = service_level(whole.agents - 1, traffic, aht_seconds, target_seconds)
        above = whole.service_level
        if above > below:
            # The share not answered in time falls about exponentially with each agent: interpolate
            # its logarithm, which keeps agents per erlang falling as traffic grows.
            agents = whole.agents - 1 + (math.log(1 - target_level) - math.log(1 - below)) / (
                math.log(1 - above) - math.log(1 - below)) if above < 1 else float(whole.agents)
    elif traffic <= LARGE_TRAFFIC:
        # Between the traffic itself (every contact waits) and the first whole number that reaches
        # the target: interpolate from a level of 0 at the traffic.
        start, above = traffic, whole.service_level
        share = math.log(1 - target_level) / math.log(1 - above) if 0 < above < 1 else 1.0
        agents = start + (whole.agents - start) * share
    return max(agents, traffic / max_occupancy)
