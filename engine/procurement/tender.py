"""What a tender asks providers to price: the lots of a recommendation.

A flow recommended out is one lot (its whole work); a flow recommended hybrid is one lot per split
(its overflow, its hours beyond the opening hours, its routine tier 1), each with the split's share
of the contacts and hours. Every lot's team is sized on one stated basis, whatever today's quote: a
dedicated team working the customers' country's full-time week, so that the pack tells no bidder
today's provider, site or form of price. A lot carries the work only, as a provider sees it: never a
cost of the company. Small flows that together reach a
dedicated team are proposed as bundles besides (see ``bundles``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..costs import OptionCost, flow_costs
from ..decide import Attached
from ..models import Decision, Organisation, Split, VendorQuote
from ..policy.loading import Policy
from ..recommend import FlowResult, Recommendation, evaluate_flow
from ..staffing import WEEKS_PER_MONTH, paid_hours_per_fte
from .pricing import Lot, Scope

# A price form that buys a dedicated team: the team a provider would staff, sized the same for every
# lot whatever today's quote (the team's size does not depend on the price, only on its form).
SIZING_QUOTE = VendorQuote(per_hour=1.0)


# The answers that name today's provider: what a tender asks every bidder instead of telling them.
PROVIDER_FIELDS = {"provider_country": None, "provider_certifications": ()}


def open_requirements(result: FlowResult, policy: Policy) -> tuple[FlowResult, tuple[Attached, ...]]:
    """The policy's conditions for a provider of this flow not chosen yet: the flow run again with its
    provider's country and certifications unknown, so that the requirements sent to every bidder name
    no provider (the policy turns an expectation into a requirement of the tender) and the result whose
    facts word them."""
    flow = result.inputs.flow.model_copy(update=PROVIDER_FIELDS)
    open_result = evaluate_flow(result.inputs.model_copy(update={"flow": flow}), policy, result.costs)
    return open_result, tuple(c for c in open_result.verdict.conditions if c.audience == "provider")


def sizing_week_hours(organisation: Organisation, policy: Policy) -> float:
    """The full-time week the lots' teams are sized on: the customers' country's, with no provider
    named."""
    return paid_hours_per_fte(organisation.country, policy.costs) / WEEKS_PER_MONTH


# The answers a provider prices from: left to their defaults, the pack describes work nobody stated.
PRICED_ANSWERS = ("activity", "volume_predictability", "repetitiveness", "scripting", "complexity",
                  "data_sensitivity", "regulated_data", "concurrency", "organisation.opening_hours_per_week",
                  "organisation.country", "organisation.currency")


def unanswered(rec: Recommendation, tendered: Sequence[Lot]) -> dict[str, tuple[str, ...]]:
    """The answers a provider prices from that were left to their defaults, each with the flows put to
    tender it concerns (none for the organisation's answers): the organisation's name, a flow's languages, and those of ``PRICED_ANSWERS``."""
    covered = {flow for lot in tendered for flow in lot.flows}
    out: dict[str, list[str]] = {}
    if "name" not in rec.answers.organisation.model_fields_set:
        out["organisation.name"] = []
    for result in rec.flows:
        if result.id not in covered:
            continue
        missing = [name for name in PRICED_ANSWERS if name in result.inputs.defaults_used]
        for name in (["languages"] if not result.inputs.flow.languages else []) + missing:
            flows = out.setdefault(name, [])
            if not name.startswith("organisation."):  # the organisation's answers concern every flow
                flows.append(result.id)
    return {name: tuple(flows) for name, flows in out.items()}


def lots(rec: Recommendation, policy: Policy, *, all_flows: bool = False,
         decisions: Mapping[str, str] | None = None) -> list[Lot]:
    """The lots of every flow going out, in whole or in part, in the order of the flows, then the
    bundles of small flows proposed; with ``all_flows``, every flow's whole work too, to price the
    flows the policy keeps. ``decisions``: a person's decision for a flow, standing instead of the
    engine's."""
    from .bundles import bundle_lots  # bundles are built on this module's lots

    return [lot for result in rec.flows
            for lot in flow_lots(result, policy, all_flows=all_flows, decision=(decisions or {}).get(result.id))
            ] + bundle_lots(rec, policy)


def flow_lots(result: FlowResult, policy: Policy, *, all_flows: bool = False,
              decision: str | None = None) -> list[Lot]:
    """A flow's lots: its whole work when it goes out (or ``all_flows``), one per split when hybrid."""
    scopes: list[Scope] = [split.value for split in _splits(result, decision)]
    final = decision or result.verdict.decision.value
    if final == Decision.outsource.value or all_flows:
        scopes.insert(0, "outsource")
    if not scopes:
        return []
    options = _options(result, policy)
    return [_lot(result, scope, options.get(scope)) for scope in scopes if scope in options]


def _splits(result: FlowResult, decision: str | None) -> tuple[Split, ...]:
    """The splits put to tender: the engine's when it decided hybrid; when a person decided hybrid
    instead, every split the flow allows, for the prices to choose from."""
    verdict = result.verdict
    if (decision or verdict.decision.value) != Decision.hybrid.value:
        return ()
    if verdict.decision is Decision.hybrid:
        return verdict.split
    costs = result.costs
    shares = {Split.overflow: costs.overflow_share_pct, Split.after_hours: costs.after_hours_share_pct,
              Split.tier1: costs.tier1_share_pct}
    return tuple(split for split, share in shares.items() if share)


def _options(result: FlowResult, policy: Policy) -> dict[str, OptionCost]:
    """The cost model's options of the flow, for the provider's share and team of each lot: a dedicated
    team (``SIZING_QUOTE``) with no provider named, so of the customers' country's full-time week,
    whatever the form and country of today's quote."""
    flow = result.inputs.flow.model_copy(update={"vendor_quote": SIZING_QUOTE, **PROVIDER_FIELDS})
    return flow_costs(result.inputs.model_copy(update={"flow": flow}), policy.costs).options


def _lot(result: FlowResult, scope: Scope, option: OptionCost | None) -> Lot:
    """One lot: the contacts of an average and of the busiest month, the hours and the team asked of the
    provider. The overflow's busiest month is what it holds beyond the average month."""
    inputs, costs = result.inputs, result.costs
    flow = inputs.flow
    volume = float(flow.monthly_volume)
    busiest = volume * flow.busiest_over_average
    share = 1.0 if option is None else option.provider_share_pct / 100
    hours = costs.coverage_gap_hours if scope == "after_hours" else inputs.coverage_hours_needed
    return Lot(
        id=flow.id if scope == "outsource" else f"{flow.id}.{scope}", scope=scope, flows=(flow.id,),
        channel=flow.channel.value, monthly_contacts=volume * share,
        busiest_month_contacts=max(0.0, busiest - volume) if scope == "overflow" else busiest * share,
        aht_seconds=flow.aht_seconds, hours_per_week=hours, languages=flow.languages,
        indicative_fte=None if option is None else option.provider_fte)
