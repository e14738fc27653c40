"""Portfolio effects a provider cares about: small flows bundled, and each bidder's minimum commitment.

Which flows bundle. A flow is *small* when its work needs fewer agents than the policy's
``min_dedicated_fte``, the smallest team providers want (this includes the flows under
``small_volume_max``, which need less than one agent). A small flow joins a bundle only when nothing
but its size and its price keeps it in-house: it is run through the policy again as part of the
pooled work (its contacts those of the whole bundle, no quote, today's provider's country and
certifications left out as in the tender) and must come out with outsourcing neither vetoed nor
scored below keeping. So the policy's own size rules (a volume too small, too uncertain for its
size, below a dedicated team) are judged at the bundle's size, while the reasons that have nothing
to do with size (unique know-how, high-value customers, the face of the brand, a veto) still count
as the policy weighs them; the price is left out because a bundle is priced on its own lot, and its
saving against keeping is checked against the bids. Members are dropped until every one passes at
the size of those left.

Compatible work. Real-time flows (phone, chat) pool by channel and languages: one queue answers
them. Written deferred flows (email, social messages, letters) in the same languages pool into one
blended back-office team: the cost model works any deferred contact at the same occupancy from its
workload, so blending changes no figure it computes, only the team's size. A bundle's flows must
reach ``min_dedicated_fte`` together, as sized by the cost model for their pooled work.

The bundle is costed with the real cost model as one pooled flow: its contacts summed month by
month (the busiest months assumed to coincide, the prudent case), its handling time the contacts'
average, answered over the longest hours of its flows (their union when the windows nest). Pooling
is what the model supports: a real-time queue needs fewer agents for the pooled contacts than for
each alone (Erlang C), and a dedicated team's seat minimum is reached once; prices per contact or
per minute bill the same contacts, pooled or not. The in-house exit is each flow's own (the teams
released are theirs).

The grouping is a function of the recommendation and the policy alone, so that the tender's lots
and the bids read later name the same bundles: ``bundle-1``, ``bundle-2``... in the order of their
first flow.

The minimum commitment: the provider FTE a bidder would staff on the flows it wins, against the least
it commits to staff; below it, the cheapest set of the flows it could take next that reaches it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..costs import OptionCost, flow_costs
from ..models import Decision, Flow, FlowInputs, VendorQuote
from ..policy.loading import Policy
from ..recommend import FlowResult, Recommendation, evaluate_flow
from ..staffing import year_shape
from .bids import Comparison, FlowRanking, Offer, SetAside, _band, _variant, checked_variant, term_of
from .pricing import Bid, Lot, PriceLine
from .tender import PROVIDER_FIELDS, SIZING_QUOTE


@dataclass(frozen=True)
class Pool:
    """Small flows proposed together: the lot put to tender and the pooled flow the cost model costs."""

    lot: Lot
    members: tuple[FlowResult, ...]
    pooled: FlowInputs
    fte: float


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
    term_months: int  # the bid's contract term (the answers' when the bid gives none)
    keep_total: float  # keeping the bundle's flows in-house over that term

    @property
    def allin_monthly(self) -> float:
        """The bundle's cost a month at this price, one-offs spread over the contract term."""
        return self.cost.monthly + self.cost.one_off / self.term_months

    @property
    def saving(self) -> float:
        """What this price saves over its term against keeping the flows in-house."""
        return self.keep_total - self.cost.term_total


@dataclass(frozen=True)
class Bundle:
    """Small flows proposed together, with what keeping them costs and the best price for the bundle."""

    lot: Lot
    fte: float
    keep_total: float
    term_months: int
    prices: tuple[BundlePrice, ...]
    set_aside: tuple[SetAside, ...] = ()  # the bundle's own prices not used, and why

    @property
    def best(self) -> BundlePrice | None:
        """The cheapest price all-in a month (prices for different contract terms compare a month at a time)."""
        return min(self.prices, key=lambda p: p.allin_monthly, default=None)

    @property
    def saving(self) -> float | None:
        """What the best price saves over its term against keeping the flows in-house."""
        best = self.best
        return None if best is None else best.saving


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


# Channels whose contacts wait in a backlog and are written back: one blended team can answer them all.
WRITTEN_CHANNELS = frozenset({"email", "social", "letter"})


def is_small(result: FlowResult, policy: Policy) -> bool:
    """Whether a flow's work needs fewer agents than a dedicated team's minimum."""
    return result.inputs.flow.monthly_volume > 0 and result.costs.fte_needed < policy.costs.min_dedicated_fte


def _team(flow: Flow) -> tuple[str, tuple[str, ...]]:
    """The team that could answer a flow: a real-time queue per channel, one written back office for
    every written channel, in the flow's languages."""
    channel = flow.channel.value
    shared = "written" if channel in WRITTEN_CHANNELS else channel
    return shared, tuple(sorted(flow.languages))


def _at_volume(flow: Flow, volume: int) -> Flow:
    """The flow with ``volume`` contacts a month, its months scaled alike."""
    update: dict[str, object] = {"monthly_volume": volume}
    if flow.monthly_profile is not None:
        scale = volume / flow.monthly_volume
        update["monthly_profile"] = tuple(v * scale for v in flow.monthly_profile)
    return flow.model_copy(update=update)


def kept_whatever_its_size(result: FlowResult, volume: int, policy: Policy) -> bool:
    """Whether the policy keeps the flow in-house for a reason other than its size or its price: run
    with the pooled ``volume``, no quote and no provider named, outsourcing is vetoed or scores below
    keeping."""
    flow = _at_volume(result.inputs.flow, volume).model_copy(update={**PROVIDER_FIELDS, "vendor_quote": None})
    verdict = evaluate_flow(result.inputs.model_copy(update={"flow": flow}), policy).verdict
    scores = verdict.scores
    return bool(verdict.vetoes.get(Decision.outsource)) or scores[Decision.outsource] < scores[Decision.keep_internal]


def _members(candidates: list[FlowResult], policy: Policy) -> list[FlowResult]:
    """The candidates that pass as part of the pooled work of those left, dropped until all pass."""
    members = candidates
    while True:
        volume = sum(m.inputs.flow.monthly_volume for m in members)
        passing = [m for m in members if not kept_whatever_its_size(m, volume, policy)]
        if len(passing) == len(members):
            return members
        members = passing


def _months(flow: Flow, policy: Policy) -> list[float]:
    """A flow's contacts in each of the twelve months (the busiest months first when only a peak ratio
    is known: the bundle then assumes its flows peak together)."""
    if flow.monthly_profile is not None:
        return list(flow.monthly_profile)
    out: list[float] = []
    for month in year_shape(flow, policy.costs):
        out += [flow.monthly_volume * month.level] * round(month.months)
    return (out + [float(flow.monthly_volume)] * 12)[:12]


def pooled_flow(lot_id: str, members: Sequence[FlowResult], policy: Policy) -> FlowInputs:
    """The bundle as one flow the cost model can cost: the members' contacts month by month, their
    average handling time, the longest hours, the in-house cost of an hour weighted by workload. A
    written blend takes the channel of its largest workload (the model works every written channel
    alike)."""
    flows = [m.inputs.flow for m in members]
    months = [sum(column) for column in zip(*(_months(f, policy) for f in flows))]
    volume = sum(f.monthly_volume for f in flows)
    work = [f.monthly_volume * f.aht_seconds for f in flows]
    rate = sum(w * m.inputs.loaded_hourly_cost for w, m in zip(work, members)) / sum(work)
    largest = flows[work.index(max(work))]
    flow = Flow(id=lot_id, channel=largest.channel, languages=largest.languages, monthly_volume=volume,
                aht_seconds=sum(work) / volume, monthly_profile=tuple(months),
                coverage_hours_needed=max(m.inputs.coverage_hours_needed for m in members),
                loaded_hourly_cost=rate, concurrency=largest.concurrency,
                contract_months=members[0].inputs.contract_months)
    return FlowInputs(flow=flow, organisation=members[0].inputs.organisation, defaults_used=())


def _channels(members: Sequence[FlowResult]) -> str:
    """The bundle's channels, in the order of its flows: one for a queue, several for a written blend."""
    return ", ".join(dict.fromkeys(m.inputs.flow.channel.value for m in members))


def _pool(lot_id: str, members: list[FlowResult], policy: Policy) -> Pool:
    """Members as one lot: their pooled work, and the team the cost model sizes for it."""
    pooled = pooled_flow(lot_id, members, policy)
    flow = pooled.flow
    sized = pooled.model_copy(update={"flow": flow.model_copy(update={"vendor_quote": SIZING_QUOTE})})
    costs = flow_costs(sized, policy.costs, splits=False)
    lot = Lot(id=lot_id, scope="bundle", flows=tuple(m.id for m in members), channel=_channels(members),
              monthly_contacts=flow.monthly_volume, busiest_month_contacts=max(flow.monthly_profile or (0.0,)),
              aht_seconds=flow.aht_seconds, hours_per_week=pooled.coverage_hours_needed, languages=flow.languages,
              indicative_fte=costs.options["outsource"].provider_fte)
    return Pool(lot=lot, members=tuple(members), pooled=pooled, fte=costs.fte_needed)


def pools(results: Sequence[FlowResult], policy: Policy) -> list[Pool]:
    """The bundles of ``results``: small flows that could share a team and that nothing but their size
    keeps in-house, when together they reach a dedicated team; numbered in the order of the flows."""
    teams: dict[tuple[str, tuple[str, ...]], list[FlowResult]] = {}
    for result in results:
        if is_small(result, policy):
            teams.setdefault(_team(result.inputs.flow), []).append(result)
    groups = [members for candidates in teams.values() if len(candidates) > 1
              for members in [_members(candidates, policy)] if len(members) > 1]
    order = {result.id: index for index, result in enumerate(results)}
    out: list[Pool] = []
    for members in sorted(groups, key=lambda members: order[members[0].id]):
        pool = _pool(f"bundle-{len(out) + 1}", members, policy)
        if pool.fte >= policy.costs.min_dedicated_fte:
            out.append(pool)
    return out


def bundle_lots(rec: Recommendation, policy: Policy) -> list[Lot]:
    """The bundles a tender proposes for a recommendation, as lots."""
    return [pool.lot for pool in pools(rec.flows, policy)]


def _quotes_for(bid: Bid, lot_id: str, members: list[FlowResult],
                comparison: Comparison) -> tuple[PriceLine, tuple[VendorQuote, ...], bool] | None:
    """The bidder's prices for the bundle: every form of its own line for the lot, else its cheapest
    plausible hourly price among the lines of the bundle's flows, as a price per hour on that line's
    site, without the terms (transition, minimum billing) the flow's line gave for that flow alone
    (indicative)."""
    own = [line for line in bid.lines if line.lot == lot_id]
    if own:
        return own[0], own[0].quotes(), False
    ids = {m.id for m in members}
    offers = [o for r in comparison.flows if r.baseline.id in ids for o in r.offers if o.bidder == bid.bidder]
    if not offers:
        return None
    cheapest = min(offers, key=lambda o: o.best.hourly)
    line = next(line for line in bid.lines if line.lot == cheapest.lot and line.site == cheapest.site)
    line = line.model_copy(update={"transition_cost": None, "minimum_monthly": None})
    return line, (VendorQuote(per_hour=round(cheapest.best.hourly, 2)),), True


def _priced(bid: Bid, pool: Pool, line: PriceLine, quote: VendorQuote, indicative: bool, comparison: Comparison,
            policy: Policy, set_aside: list[SetAside]) -> BundlePrice | None:
    """The bundle under one form of a line, as the bids' lines are costed (the bid's contract term, the
    line's site, certifications, transition and minimum billing): the pooled flow outsourced, each
    member's own exit, against keeping the flows over the same term. None, with the form set aside and
    why, when the answers cannot take it or its price is implausible."""
    checked = checked_variant(bid, line, quote, pool.pooled, 1.0, pool.lot.id, policy,
                              _band(policy, comparison.currency), set_aside)
    if checked is None:
        return None
    variant, _ = checked
    option = flow_costs(variant, policy.costs, splits=False).options["outsource"]
    # Each flow alone: its own transition (answered or modelled), not the bundle line's.
    own = line.model_copy(update={"transition_cost": None})
    alone = [flow_costs(_variant(m.inputs, own, quote, bid, 1.0), policy.costs, splits=False).options["outsource"]
             for m in pool.members]
    exits = sum(o.exit_cost for o in alone)
    option = option.model_copy(update={"exit_cost": exits, "one_off": option.transition_cost + exits,
                                       "term_total": option.term_total - option.exit_cost + exits})
    term = term_of(variant, policy)
    keep_monthly = sum(m.costs.options["keep_internal"].monthly for m in pool.members)
    return BundlePrice(bidder=bid.bidder, site=line.site, site_country=line.site_country, quote=quote,
                       indicative=indicative, cost=option, alone_total=sum(o.term_total for o in alone),
                       term_months=term, keep_total=keep_monthly * term)


def _price(bid: Bid, pool: Pool, comparison: Comparison, policy: Policy,
           set_aside: list[SetAside]) -> BundlePrice | None:
    """The bundle under one bidder's price: each form of its line costed (``_priced``), the cheapest
    all-in a month kept, as for a flow's line."""
    found = _quotes_for(bid, pool.lot.id, list(pool.members), comparison)
    if found is None:
        return None
    line, quotes, indicative = found
    prices = (_priced(bid, pool, line, quote, indicative, comparison, policy, set_aside) for quote in quotes)
    return min((p for p in prices if p is not None), key=lambda p: p.allin_monthly, default=None)


def propose_bundles(comparison: Comparison, policy: Policy) -> list[Bundle]:
    """The tender's bundles, each costed against keeping its flows and under every bidder's price."""
    out: list[Bundle] = []
    for pool in pools(comparison.baseline, policy):
        set_aside: list[SetAside] = []
        prices = [p for bid in comparison.bids if bid.bidder not in comparison.refused
                  for p in [_price(bid, pool, comparison, policy, set_aside)] if p is not None]
        out.append(Bundle(lot=pool.lot, fte=pool.fte, term_months=term_of(pool.pooled, policy), prices=tuple(prices),
                          keep_total=sum(m.costs.options["keep_internal"].term_total for m in pool.members),
                          set_aside=tuple(set_aside)))
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
