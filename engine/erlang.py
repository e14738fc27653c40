"""Erlang C: agents needed on a queue of real-time contacts (phone, chat).

Traffic ``A`` in erlangs is arrivals per hour times handling time in hours.
The probability that a contact waits with ``N`` agents comes from the Erlang B
recursion, which stays stable for large queues; the service level is the share
answered within the target time.
"""

from __future__ import annotations

import functools
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
    """Erlang C: the chance that a contact has to wait, with ``agents`` > ``traffic``. Beyond
    ``LARGE_TRAFFIC`` the recursion would take a step per agent (millions), and the Halfin-Whitt
    limit is within a few percent of it: with ``beta`` the spare agents in units of the traffic's
    square root, ``1 / (1 + beta * Phi(beta) / phi(beta))``."""
    if agents <= traffic:
        return 1.0
    if traffic > LARGE_TRAFFIC:
        beta = (agents - traffic) / math.sqrt(traffic)
        density = math.exp(-beta * beta / 2) / math.sqrt(2 * math.pi)
        return density / (density + beta * (1 + math.erf(beta / math.sqrt(2))) / 2)
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


@functools.lru_cache(maxsize=8192)
def staff(contacts_per_hour: float, aht_seconds: float, target_level: float, target_seconds: float,
          max_occupancy: float = 1.0) -> Staffing:
    """The fewest agents that reach the service level target without passing ``max_occupancy``.
    Cached, like ``fractional_agents``: the variants of a flow that change no queue (its costs, its
    quote) ask for the same staffing again."""
    traffic = contacts_per_hour * aht_seconds / 3600
    if traffic <= 0:
        return Staffing(0, 0.0, 1.0, 0.0, 0.0)
    if traffic > LARGE_TRAFFIC:
        # The recursion costs one step per agent. At this size the occupancy cap or
        # square-root staffing with a safety of 3 (waiting probability about 0.15 %)
        # decides, and nearly every contact is answered at once.
        agents = max(math.ceil(traffic / max_occupancy - 1e-9), math.ceil(traffic + 3 * math.sqrt(traffic)))
        return Staffing(agents, traffic, service_level(agents, traffic, aht_seconds, target_seconds),
                        traffic / agents, probability_of_waiting(agents, traffic))
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


@functools.lru_cache(maxsize=8192)
def fractional_agents(traffic: float, aht_seconds: float, target_level: float, target_seconds: float,
                      max_occupancy: float = 1.0) -> float:
    """The agents needed as a real number, so that staffing (and so cost) moves smoothly with traffic:
    between the last whole number of agents below the target and the first that reaches it, the
    share of contacts not answered in time falls about exponentially with each agent, so its
    logarithm is interpolated (from every contact waiting at ``traffic`` agents when the first
    whole number above the traffic already reaches the target). Cached: tipping points and the
    options of one flow ask for the same queues again and again."""
    if traffic <= 0:
        return 0.0
    if traffic > LARGE_TRAFFIC:
        return float(staff(traffic * 3600 / aht_seconds, aht_seconds, target_level, target_seconds,
                           max_occupancy).agents)
    agents = max(1, math.floor(traffic) + 1)
    erlang_b = 1.0
    for k in range(1, agents + 1):
        erlang_b = traffic * erlang_b / (k + traffic * erlang_b)
    below_agents, below = traffic, 0.0  # at the traffic itself every contact waits
    while True:
        wait = agents * erlang_b / (agents - traffic * (1 - erlang_b))
        level = 1 - wait * math.exp(-(agents - traffic) * target_seconds / aht_seconds)
        if level >= target_level:
            break
        below_agents, below = float(agents), level
        agents += 1
        erlang_b = traffic * erlang_b / (agents + traffic * erlang_b)
    if level < 1:
        share = (math.log(1 - target_level) - math.log(1 - below)) / (math.log(1 - level) - math.log(1 - below))
        needed = below_agents + (agents - below_agents) * share
    else:
        needed = float(agents)
    return max(needed, traffic / max_occupancy)
