"""Portfolio effects a provider cares about: small flows bundled, and each bidder's minimum commitment.

A flow whose work needs fewer agents than the policy's ``min_dedicated_fte`` is too small for a
dedicated team. Small flows on the same channel, in the same languages, are proposed as one bundle
when together they reach that minimum (the smallest team providers want). The
bundle is costed with the real cost model as one pooled flow: its contacts summed month by month (the
busiest months assumed to coincide, the prudent case), its handling time the contacts' average,
answered over the longest hours of its flows. Pooling is what the model supports: a real-time queue
needs fewer agents for the pooled contacts than for each alone (Erlang C), and a dedicated team's seat
minimum is reached once; prices per contact or per minute bill the same contacts, pooled or not. The
in-house exit is each flow's own (the teams released are theirs).

The minimum commitment: the provider FTE a bidder would staff on the flows it wins, against the least
it commits to staff; below it, the cheapest set of the flows it could take next that reaches it.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..costs import OptionCost, flow_costs, provider_hourly
from ..models import Flow, FlowInputs, VendorQuote
from ..policy.loading import Policy
from ..recommend import FlowResult
from ..staffing import year_shape
from .bids import Comparison, FlowRanking, Offer, _band
from .pricing import Bid, Lot, PriceLine


@dataclass(frozen=True)
class BundlePrice:
    """A bundle priced by one bidder: on its own line for the bundle, or, when it priced none, at the
    cheapest plausible hourly price it gave for the bundle's flows (indicative)."""

    bidder: str
    site: str
    site_country: str
    quote: VendorQuote
    indicative: bool
    cost: OptionCost
    alone_total: float


@dataclass(frozen=True)
class Bundle:
    """Small flows proposed together, with what keeping them costs and the best price for the bundle."""

    lot: Lot
    fte: float
    keep_total: float
    term_months: int
    prices: tuple[BundlePrice, ...]

    @property
    def best(self) -> BundlePrice | None:
        return min(self.prices, key=lambda p: p.cost.term_total, default=None)

    @property
    def saving(self) -> float | None:
        """What the best price saves over the term against keeping the flows in-house."""
        best = self.best
        return None if best is None else self.keep_total - best.cost.term_total


@dataclass(frozen=True)
class Commitment:
    """A bidder's minimum commitment against the provider FTE of the flows it wins."""

    bidder: str
    minimum_fte: float
    won_fte: float
    won: tuple[str, ...]
    to_reach: tuple[tuple[str, float, float], ...]  # (flow, provider FTE, extra all-in a month)
    exact: bool = True  # to_reach is the cheapest set (every set weighed), not flows added cheapest first

    @property
    def reached(self) -> bool:
        return self.won_fte >= self.minimum_fte

    @property
    def reachable(self) -> bool:
        return self.won_fte + sum(fte for _, fte, _ in self.to_reach) >= self.minimum_fte


def is_small(result: FlowResult, policy: Policy) -> bool:
    """Whether a flow's work needs fewer agents than a dedicated team's minimum."""
    return result.inputs.flow.monthly_volume > 0 and result.costs.fte_needed < policy.costs.min_dedicated_fte


def _months(flow: Flow, policy: Policy) -> list[float]:
    """A flow's contacts in each of the twelve months (the busiest months first when only a peak ratio
    is known: the bundle then assumes its flows peak together)."""
    if flow.monthly_profile is not None:
        return list(flow.monthly_profile)
    out: list[float] = []
    for month in year_shape(flow, policy.costs):
        out += [flow.monthly_volume * month.level] * round(month.months)
    return (out + [float(flow.monthly_volume)] * 12)[:12]


def pooled_flow(lot_id: str, members: list[FlowResult], policy: Policy) -> FlowInputs:
    """The bundle as one flow the cost model can cost: the members' contacts month by month, their
    average handling time, the longest hours, the in-house cost of an hour weighted by workload."""
    flows = [m.inputs.flow for m in members]
    months = [sum(column) for column in zip(*(_months(f, policy) for f in flows))]
    volume = sum(f.monthly_volume for f in flows)
    work = [f.monthly_volume * f.aht_seconds for f in flows]
    rate = sum(w * m.inputs.loaded_hourly_cost for w, m in zip(work, members)) / sum(work)
    first = flows[0]
    flow = Flow(id=lot_id, channel=first.channel, languages=first.languages, monthly_volume=volume,
                aht_seconds=sum(work) / volume, monthly_profile=tuple(months),
                coverage_hours_needed=max(m.inputs.coverage_hours_needed for m in members),
                loaded_hourly_cost=rate, concurrency=first.concurrency,
                contract_months=members[0].inputs.contract_months)
    return FlowInputs(flow=flow, organisation=members[0].inputs.organisation, defaults_used=())


def _groups(smalls: list[FlowResult]) -> list[list[FlowResult]]:
    """Small flows that can share a team: the same channel and the same languages."""
    groups: dict[tuple[str, tuple[str, ...]], list[FlowResult]] = {}
    for result in smalls:
        flow = result.inputs.flow
        groups.setdefault((flow.channel.value, tuple(sorted(flow.languages))), []).append(result)
    return [members for members in groups.values() if len(members) > 1]


def _quotes_for(bid: Bid, lot_id: str, members: list[FlowResult], comparison: Comparison) -> tuple[PriceLine, VendorQuote, bool] | None:
    """The bidder's price for the bundle: its own line for the lot, else its cheapest plausible hourly
    price among the lines of the bundle's flows, as a price per hour (indicative)."""
    own = [line for line in bid.lines if line.lot == lot_id]
    if own:
        line = own[0]
        return line, min(line.quotes(), key=lambda q: q.amount if q.form == "per_hour" else float("inf")), False
    ids = {m.id for m in members}
    offers = [o for r in comparison.flows if r.baseline.id in ids for o in r.offers if o.bidder == bid.bidder]
    if not offers:
        return None
    cheapest = min(offers, key=lambda o: o.best.hourly)
    line = next(line for line in bid.lines if line.lot == cheapest.lot and line.site == cheapest.site)
    return line, VendorQuote(per_hour=round(cheapest.best.hourly, 2)), True


def _price(bid: Bid, lot_id: str, pooled: FlowInputs, members: list[FlowResult], comparison: Comparison,
           policy: Policy) -> BundlePrice | None:
    """The bundle under one bidder's price: the pooled flow outsourced, each member's own exit."""
    found = _quotes_for(bid, lot_id, members, comparison)
    if found is None:
        return None
    line, quote, indicative = found
    update = {"vendor_quote": quote, "provider_country": line.site_country,
              "provider_certifications": line.certifications, "transition_cost": line.transition_cost,
              "minimum_monthly": line.minimum_monthly}
    flow = pooled.flow.model_copy(update=update)
    variant = FlowInputs(flow=flow, organisation=pooled.organisation, defaults_used=())
    band = _band(policy, comparison.currency)
    if band is not None and not band[0] <= provider_hourly(variant, policy.costs, quote) <= band[1]:
        return None
    option = flow_costs(variant, policy.costs, splits=False).options["outsource"]
    alone = [flow_costs(FlowInputs(flow=m.inputs.flow.model_copy(update={**update, "transition_cost": None}),
                                   organisation=m.inputs.organisation, defaults_used=()), policy.costs,
                        splits=False).options["outsource"] for m in members]
    exits = sum(o.exit_cost for o in alone)
    option = option.model_copy(update={"exit_cost": exits, "one_off": option.transition_cost + exits,
                                       "term_total": option.term_total - option.exit_cost + exits})
    return BundlePrice(bidder=bid.bidder, site=line.site, site_country=line.site_country, quote=quote,
                       indicative=indicative, cost=option, alone_total=sum(o.term_total for o in alone))


def propose_bundles(comparison: Comparison, policy: Policy) -> list[Bundle]:
    """Small flows that together reach a dedicated team's minimum (the policy's ``min_dedicated_fte``),
    one bundle per channel and languages, each costed against keeping its flows."""
    least = policy.costs.min_dedicated_fte
    smalls = [r for r in comparison.baseline if is_small(r, policy)]
    out: list[Bundle] = []
    for members in _groups(smalls):
        fte = sum(m.costs.fte_needed for m in members)
        if fte < least:
            continue
        lot_id = f"bundle-{len(out) + 1}"
        pooled = pooled_flow(lot_id, members, policy)
        lot = Lot(id=lot_id, scope="bundle", flows=tuple(m.id for m in members), channel=pooled.flow.channel.value,
                  monthly_contacts=pooled.flow.monthly_volume,
                  busiest_month_contacts=max(pooled.flow.monthly_profile or (0.0,)), aht_seconds=pooled.flow.aht_seconds, hours_per_week=pooled.coverage_hours_needed,
                  languages=pooled.flow.languages, indicative_fte=fte)
        term = pooled.contract_months or policy.costs.contract_months
        prices = [p for bid in comparison.bids if bid.bidder not in comparison.refused
                  for p in [_price(bid, lot_id, pooled, members, comparison, policy)] if p is not None]
        out.append(Bundle(lot=lot, fte=fte, term_months=term, prices=tuple(prices),
                          keep_total=sum(m.costs.options["keep_internal"].term_total for m in members)))
    return out


def _extra(ranking: FlowRanking, offer: Offer) -> float:
    """What taking ``offer`` instead of today's choice for the flow costs more a month, all-in."""
    winner = ranking.winner
    current = winner.best.allin_monthly if winner is not None else ranking.keep_allin
    return offer.best.allin_monthly - current


Take = tuple[str, float, float]  # (flow, provider FTE, extra all-in a month)
# Up to this many flows, every set of them is weighed; beyond, flows are added cheapest extra first.
EXACT_UP_TO = 20


def commitments(comparison: Comparison, policy: Policy) -> list[Commitment]:
    """Each bidder with a minimum commitment: the provider FTE of the flows it wins against it and,
    below it, the cheapest set of its other eligible offers (at most one a flow) that reaches it."""
    out: list[Commitment] = []
    for bid in comparison.bids:
        if bid.minimum_fte is None or bid.bidder in comparison.refused:
            continue
        won: list[str] = []
        candidates: list[list[Take]] = []
        won_fte = 0.0
        for ranking in comparison.flows:
            winner = ranking.winner
            if winner is not None and winner.bidder == bid.bidder:
                won.append(ranking.baseline.id)
                won_fte += winner.best.cost.provider_fte
                continue
            mine = [(ranking.baseline.id, o.best.cost.provider_fte, _extra(ranking, o))
                    for o in ranking.eligible if o.bidder == bid.bidder]
            if mine:
                candidates.append(mine)
        short = bid.minimum_fte - won_fte
        exact = len(candidates) <= EXACT_UP_TO
        to_reach = () if short <= 0 else (_cheapest_set if exact else _greedy_set)(candidates, short)
        out.append(Commitment(bidder=bid.bidder, minimum_fte=bid.minimum_fte, won_fte=won_fte, won=tuple(won),
                              to_reach=to_reach, exact=exact))
    return out


def _cheapest_set(candidates: list[list[Take]], short: float) -> tuple[Take, ...]:
    """The set of offers, at most one a flow, that adds at least ``short`` FTE for the least extra cost
    (every set weighed, costlier branches cut); the largest set when none adds enough."""
    best: list[tuple[float, tuple[Take, ...]]] = []
    reach_after = [sum(max(t[1] for t in flow) for flow in candidates[i:]) for i in range(len(candidates) + 1)]

    def search(i: int, taken: tuple[Take, ...], fte: float, cost: float) -> None:
        if best and cost >= best[0][0]:
            return
        if fte >= short:
            best[:] = [(cost, taken)]
            return
        if i == len(candidates) or fte + reach_after[i] < short:
            return
        for take in sorted(candidates[i], key=lambda t: t[2]):
            search(i + 1, (*taken, take), fte + take[1], cost + take[2])
        search(i + 1, taken, fte, cost)

    search(0, (), 0.0, 0.0)
    if best:
        return best[0][1]
    return tuple(max(flow, key=lambda t: t[1]) for flow in candidates)


def _greedy_set(candidates: list[list[Take]], short: float) -> tuple[Take, ...]:
    """Offers added cheapest extra first, one a flow, until ``short`` FTE is reached: for a bidder with
    too many flows to weigh every set."""
    taken: list[Take] = []
    for take in sorted((min(flow, key=lambda t: t[2]) for flow in candidates), key=lambda t: t[2]):
        if sum(t[1] for t in taken) >= short:
            break
        taken.append(take)
    return tuple(taken)
