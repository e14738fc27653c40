"""Providers' bids compared flow by flow: checked, run through the policy, ranked.

Each bid is checked first (its currency, its contract term, each line's lot, each price against a
plausible band); a price that fails is set aside with its reason, never used. Each remaining line is
then a variant of its flow's answers (the quote, the site's country and certifications, the transition
and minimum billing the line gives, the bid's term) run through the real pipeline, so that the
policy's decision, vetoes and conditions under each bid are the policy's own. Per flow, keeping
in-house and every bid's option are ranked by their all-in cost a month (the run plus the one-off
spread over the option's term): with equal terms, the order of their totals over the term.

The policy decides what a flow becomes under a bid; cost ranks the offers among those it accepts. An
offer is eligible when the policy's decision under that bid is the offer's own option (a whole-flow
line: outsource; a split line: hybrid with that split) and no rule vetoes it. The award of a flow is its
cheapest eligible offer when that costs less all-in than keeping in-house; otherwise the flow stays
in-house, and the award says why.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError

from ..answers import problems_from_errors
from ..costs import OptionCost, flow_costs, provider_hourly
from ..decide import Attached
from ..errors import UserError, excerpt
from ..load import DocumentError, read_document
from ..models import Answers, Decision, Flow, FlowInputs, QuoteForm, Split, VendorQuote, resolve
from ..policy.loading import Policy
from ..problems import error, phrase
from ..recommend import FlowResult, evaluate_flow
from .grid import read_grid
from .pricing import Bid, PriceLine

SetAsideReason = Literal["currency", "unknown_lot", "unknown_bundle", "implausible_price", "unknown_band",
                         "no_option", "invalid_line"]
SPLIT_OPTIONS = tuple(s.value for s in Split)
# A bid written by hand, beside the returned grid (.xlsx).
BID_SUFFIXES = (".yaml", ".yml", ".json")
# The share of contacts each split hands over, as the cost model reports it.
SHARE_METRIC = {"overflow": "overflow_share_pct", "after_hours": "after_hours_share_pct", "tier1": "tier1_share_pct"}


@dataclass(frozen=True)
class SetAside:
    """A bid, a line or one price of a line not used, and why (``unknown_band``: used, unchecked)."""

    bidder: str
    reason: SetAsideReason
    where: str
    lot: str | None = None
    site: str = ""
    form: QuoteForm | None = None
    amount: float | None = None
    hourly: float | None = None
    band: tuple[float, float] | None = None
    value: str = ""


@dataclass(frozen=True)
class Priced:
    """One pricing form of a line, costed on its lot's option."""

    form: QuoteForm
    amount: float
    hourly: float
    cost: OptionCost
    term_months: int

    @property
    def allin_monthly(self) -> float:
        """The run a month plus the one-off spread over the term: what options are ranked on."""
        return self.cost.monthly + self.cost.one_off / self.term_months


@dataclass(frozen=True)
class Offer:
    """One bid's line for one flow: its cheapest all-in form, the others, and the policy's verdict."""

    bidder: str
    site: str
    site_country: str
    lot: str
    option: str
    best: Priced
    others: tuple[Priced, ...]
    result: FlowResult
    attached: tuple[Attached, ...] = ()

    @property
    def target(self) -> Decision:
        """The decision this offer's option stands for: outsourcing, or a split (hybrid)."""
        return Decision.outsource if self.option == "outsource" else Decision.hybrid

    @property
    def vetoes(self) -> tuple[str, ...]:
        """The rules that veto this offer's option under the policy."""
        return self.result.verdict.vetoes.get(self.target, ())

    @property
    def conditions(self) -> tuple[Attached, ...]:
        """The conditions the policy attaches to this offer's option."""
        return tuple(c for c in self.attached if self.target in c.applies_to)

    @property
    def chosen(self) -> bool:
        """Whether the policy's decision under this bid is this offer's option (for a split line: hybrid,
        with that split)."""
        verdict = self.result.verdict
        if verdict.decision is not self.target:
            return False
        return self.option == "outsource" or Split(self.option) in verdict.split

    @property
    def eligible(self) -> bool:
        """Whether the offer can be awarded: the policy chooses its option under the bid, unvetoed."""
        return self.chosen and not self.vetoes

    @property
    def rules_against(self) -> tuple[str, ...]:
        """The rules whose votes weigh against this offer's option under the bid, heaviest first: why
        the policy may choose something else."""
        split = None if self.option == "outsource" else Split(self.option)
        weights: dict[str, float] = {}
        for vote in self.result.verdict.votes:
            if vote.option is self.target and vote.split in (None, split):
                weights[vote.rule_id] = weights.get(vote.rule_id, 0.0) + vote.weight
        return tuple(rule for rule, weight in sorted(weights.items(), key=lambda item: item[1]) if weight < 0)


KeptBecause = Literal["no_offer", "none_eligible", "keep_cheaper"]


@dataclass(frozen=True)
class FlowRanking:
    """Per flow: keeping in-house and every bid's option, cheapest all-in first, and the award."""

    baseline: FlowResult
    offers: tuple[Offer, ...]
    not_priced: tuple[str, ...]

    @property
    def keep(self) -> OptionCost:
        return self.baseline.costs.options["keep_internal"]

    @property
    def keep_allin(self) -> float:
        return self.keep.monthly

    @property
    def eligible(self) -> tuple[Offer, ...]:
        """The offers whose option the policy chooses under their bid, cheapest all-in first."""
        return tuple(o for o in self.offers if o.eligible)

    @property
    def beats_keep(self) -> tuple[Offer, ...]:
        """The eligible offers that cost less all-in than keeping in-house, cheapest first."""
        return tuple(o for o in self.eligible if o.best.allin_monthly < self.keep_allin)

    @property
    def winner(self) -> Offer | None:
        """The award: the cheapest eligible offer, when it costs less all-in than keeping in-house."""
        return next(iter(self.beats_keep), None)

    @property
    def next_choice(self) -> Offer | None:
        """What the flow would get without the winner: the next eligible offer cheaper than keeping,
        or None for keeping in-house."""
        return next(iter(self.beats_keep[1:]), None)

    @property
    def runner_up_allin(self) -> float:
        """The all-in cost a month of the next choice after the winner."""
        following = self.next_choice
        return self.keep_allin if following is None else following.best.allin_monthly

    @property
    def kept_because(self) -> KeptBecause | None:
        """Why the flow stays in-house under the bids (None when an offer wins): no offer, no offer
        the policy chooses, or the ones it chooses cost more than keeping."""
        if self.winner is not None:
            return None
        if not self.offers:
            return "no_offer"
        return "keep_cheaper" if self.eligible else "none_eligible"


@dataclass(frozen=True)
class Comparison:
    """Every bid checked and compared, flow by flow."""

    answers: Answers
    currency: str
    bids: tuple[Bid, ...]
    refused: tuple[str, ...]
    set_aside: tuple[SetAside, ...]
    flows: tuple[FlowRanking, ...]
    baseline: tuple[FlowResult, ...] = ()

    def ranking(self, flow_id: str) -> FlowRanking:
        return next(r for r in self.flows if r.baseline.id == flow_id)


def lot_target(lot: str) -> tuple[str, str]:
    """A lot id as (flow id, option): 'FLOW' is outsourcing the flow, 'FLOW.SPLIT' that split."""
    flow_id, _, split = lot.partition(".")
    return flow_id, split or "outsource"


def term_of(inputs: FlowInputs, policy: Policy) -> int:
    """The contract term a flow's answers give (the policy's when they give none)."""
    return inputs.contract_months or policy.costs.contract_months


def _band(policy: Policy, currency: str) -> tuple[float, float] | None:
    """The plausible band of a provider's productive hour in ``currency``; None when the policy has none."""
    low, high = policy.parameters.get("provider_hourly_min"), policy.parameters.get("provider_hourly_max")
    if low is None or high is None or not isinstance(low.value, dict) or not isinstance(high.value, dict):
        return None
    lowest, highest = low.value.get(currency), high.value.get(currency)
    if not isinstance(lowest, (int, float)) or not isinstance(highest, (int, float)):
        return None
    return float(lowest), float(highest)


def _variant(inputs: FlowInputs, line: PriceLine, quote: VendorQuote, bid: Bid, share: float) -> FlowInputs:
    """The flow's answers under this line and quote. A split lot's transition cost is the split's: the
    cost model takes the answer for the whole flow and moves its ``share``, so it is scaled up."""
    update: dict[str, object] = {"vendor_quote": quote, "provider_country": line.site_country,
                                 "provider_certifications": line.certifications}
    if line.transition_cost is not None:
        update["transition_cost"] = line.transition_cost / share if share else line.transition_cost
    if line.minimum_monthly is not None:
        update["minimum_monthly"] = line.minimum_monthly
    if bid.contract_months is not None:
        update["contract_months"] = bid.contract_months
    flow = Flow.model_validate({**inputs.flow.model_dump(exclude_unset=True), **update})
    return FlowInputs(flow=flow, organisation=inputs.organisation, defaults_used=inputs.defaults_used)


def _share(result: FlowResult, option: str) -> float:
    """The share of contacts an option hands over (the whole flow for outsourcing)."""
    if option == "outsource":
        return 1.0
    value = getattr(result.costs, SHARE_METRIC[option])
    return 0.0 if value is None else float(value) / 100


def _attached(policy: Policy, result: FlowResult) -> tuple[Attached, ...]:
    """Every condition the fired rules attach, whatever the decision."""
    out = []
    for firing in result.firings:
        condition = policy.rule(firing.rule_id).rule.then.condition
        if condition is not None:
            out.append(Attached(condition.id, firing.rule_id, condition.applies_to, condition.en, condition.fr,
                                condition.audience))
    return tuple(out)


def checked_variant(bid: Bid, line: PriceLine, quote: VendorQuote, inputs: FlowInputs, share: float, lot: str,
                    policy: Policy, band: tuple[float, float] | None,
                    set_aside: list[SetAside]) -> tuple[FlowInputs, float] | None:
    """The flow's answers under one price of a line (``_variant``) and the price of a productive hour it
    works out to; None, with the price set aside and why, when the answers cannot take it or the hour's
    price lies outside the plausible ``band``. ``lot``: the lot the price is for, as a set-aside names it."""
    try:
        variant = _variant(inputs, line, quote, bid, share)
    except ValidationError as exc:
        set_aside.append(_price_set_aside(bid, line, quote, lot, "invalid_line", value=str(exc.errors()[0]["msg"])))
        return None
    hourly = provider_hourly(variant, policy.costs, quote)
    if band is not None and not band[0] <= hourly <= band[1]:
        set_aside.append(_price_set_aside(bid, line, quote, lot, "implausible_price", hourly=hourly, band=band))
        return None
    return variant, hourly


def _price_set_aside(bid: Bid, line: PriceLine, quote: VendorQuote, lot: str, reason: SetAsideReason,
                     **more: Any) -> SetAside:
    """One price of a line not used, and why, located: its bidder, grid (or the line's place in it), lot,
    site, form and amount."""
    return SetAside(bidder=bid.bidder, reason=reason, where=line.where or bid.source, lot=lot, site=line.site,
                    form=quote.form, amount=quote.amount, **more)


def _price_line(bid: Bid, line: PriceLine, baseline: FlowResult, option: str, policy: Policy,
                band: tuple[float, float] | None, set_aside: list[SetAside]) -> Offer | None:
    """A line's offer: each form checked against the band and costed, the cheapest all-in kept; None
    when no form is left (each one set aside, with its reason)."""
    priced: list[tuple[Priced, FlowInputs]] = []
    share = _share(baseline, option)
    for quote in line.quotes():
        checked = checked_variant(bid, line, quote, baseline.inputs, share, line.lot, policy, band, set_aside)
        if checked is None:
            continue
        variant, hourly = checked
        costs = flow_costs(variant, policy.costs)
        cost = costs.options.get(option)
        if cost is None:
            set_aside.append(_price_set_aside(bid, line, quote, line.lot, "no_option", value=option))
            continue
        priced.append((Priced(quote.form, quote.amount, hourly, cost, int(costs.contract_months)), variant))
    if not priced:
        return None
    priced.sort(key=lambda p: p[0].allin_monthly)
    best, variant = priced[0]
    result = evaluate_flow(variant, policy)
    return Offer(bidder=bid.bidder, site=line.site, site_country=line.site_country, lot=line.lot, option=option,
                 best=best, others=tuple(p for p, _ in priced[1:]), result=result,
                 attached=_attached(policy, result))


def _check_bid(bid: Bid, currency: str, band: tuple[float, float] | None, set_aside: list[SetAside]) -> bool:
    """Whether a bid can be compared: in the organisation's currency (no exchange rate is assumed)."""
    if bid.currency != currency:
        set_aside.append(SetAside(bidder=bid.bidder, reason="currency", where=bid.source, value=bid.currency))
        return False
    if band is None:
        set_aside.append(SetAside(bidder=bid.bidder, reason="unknown_band", where=bid.source, value=currency))
    return True


def _one_bid_a_bidder(bids: tuple[Bid, ...]) -> None:
    """Refuse two bids under one bidder's name: awards, refusals and commitments go by that name (a
    bidder's several sites are lines of its one grid)."""
    seen: dict[str, str] = {}
    for bid in bids:
        if bid.bidder in seen:
            raise error(UserError, "bids.same_bidder", bidder=excerpt(bid.bidder), first=seen[bid.bidder],
                        second=bid.source)
        seen[bid.bidder] = bid.source


def compare(answers: Answers, policy: Policy, bids: tuple[Bid, ...],
            baseline: tuple[FlowResult, ...] | None = None) -> Comparison:
    """Check every bid, run each of its lines through the policy and rank, per flow, keeping in-house
    and every bid's option by all-in cost. Lines for the tender's bundles are left to the bundling;
    a line for a bundle the answers do not make is set aside."""
    from .bundles import pools  # bundles price on top of this comparison

    _one_bid_a_bidder(bids)
    if baseline is None:
        baseline = tuple(evaluate_flow(inputs, policy) for inputs in resolve(answers))
    bundles = {pool.lot.id for pool in pools(baseline, policy)}
    by_id = {result.id: result for result in baseline}
    currency = answers.organisation.currency
    band = _band(policy, currency)
    set_aside: list[SetAside] = []
    offers: dict[str, list[Offer]] = {flow_id: [] for flow_id in by_id}
    priced_by: dict[str, set[str]] = {flow_id: set() for flow_id in by_id}
    refused = []
    for bid in bids:
        if not _check_bid(bid, currency, band, set_aside):
            refused.append(bid.bidder)
            continue
        for line in bid.lines:
            if line.lot in bundles:
                continue
            if line.lot.startswith("bundle-"):
                set_aside.append(SetAside(bidder=bid.bidder, reason="unknown_bundle", where=line.where or bid.source,
                                          lot=line.lot, site=line.site))
                continue
            flow_id, option = lot_target(line.lot)
            if flow_id not in by_id or option not in ("outsource", *SPLIT_OPTIONS):
                set_aside.append(SetAside(bidder=bid.bidder, reason="unknown_lot", where=line.where or bid.source,
                                          lot=line.lot, site=line.site))
                continue
            priced_by[flow_id].add(bid.bidder)
            offer = _price_line(bid, line, by_id[flow_id], option, policy, band, set_aside)
            if offer is not None:
                offers[flow_id].append(offer)
    compared = [b.bidder for b in bids if b.bidder not in refused]
    flows = tuple(FlowRanking(baseline=result,
                              offers=tuple(sorted(offers[result.id], key=lambda o: o.best.allin_monthly)),
                              not_priced=tuple(b for b in compared if b not in priced_by[result.id]))
                  for result in baseline)
    return Comparison(answers=answers, currency=currency, bids=bids, refused=tuple(refused),
                      set_aside=tuple(set_aside), flows=flows, baseline=baseline)


def term_differences(comparison: Comparison, policy: Policy) -> list[tuple[str, int, int]]:
    """Each bid whose contract term differs from the answers' (bidder, the bid's, the answers'): its
    one-offs are spread over its own term, so its totals cover another span."""
    terms = {term_of(r.inputs, policy) for r in comparison.baseline}
    out = []
    for bid in comparison.bids:
        if bid.contract_months is not None and bid.bidder not in comparison.refused:
            for term in sorted(terms):
                if term != bid.contract_months:
                    out.append((bid.bidder, bid.contract_months, term))
    return out


LossKind = Literal["won", "refused", "not_priced", "set_aside", "vetoed", "not_chosen", "costlier", "keep_cheaper"]


@dataclass(frozen=True)
class Loss:
    """Why one bid did not win one flow (or that it did: ``won``)."""

    flow: str
    kind: LossKind
    offer: Offer | None = None
    against: Offer | None = None
    set_aside: tuple[SetAside, ...] = ()
    run_monthly: float = 0.0
    one_off: float = 0.0
    allin_monthly: float = 0.0


def why_not(comparison: Comparison, bidder: str) -> list[Loss]:
    """Per flow, why ``bidder``'s bid lost: refused whole, a lot not priced, its prices set aside, a veto
    under the policy, the policy choosing another option under the bid, or a costlier all-in total than
    the winner (or than keeping) and on what. Among several lines of the bid for a flow, its cheapest
    eligible one speaks for it (its cheapest one when none is eligible)."""
    out: list[Loss] = []
    for ranking in comparison.flows:
        flow_id = ranking.baseline.id
        if bidder in comparison.refused:
            out.append(Loss(flow_id, "refused"))
            continue
        if bidder in ranking.not_priced:
            out.append(Loss(flow_id, "not_priced"))
            continue
        mine = [o for o in ranking.offers if o.bidder == bidder]
        aside = tuple(s for s in comparison.set_aside if s.bidder == bidder and s.lot is not None
                      and lot_target(s.lot)[0] == flow_id and s.reason != "unknown_band")
        if not mine:
            out.append(Loss(flow_id, "set_aside", set_aside=aside))
            continue
        best = next((o for o in mine if o.eligible), mine[0])
        winner = ranking.winner
        if winner is not None and winner.bidder == bidder:
            out.append(Loss(flow_id, "won", offer=winner))
        elif best.vetoes:
            out.append(Loss(flow_id, "vetoed", offer=best, set_aside=aside))
        elif not best.chosen:
            out.append(Loss(flow_id, "not_chosen", offer=best, set_aside=aside))
        elif winner is None:
            keep = ranking.keep
            out.append(Loss(flow_id, "keep_cheaper", offer=best, set_aside=aside,
                            run_monthly=best.best.cost.monthly - keep.monthly, one_off=best.best.cost.one_off,
                            allin_monthly=best.best.allin_monthly - ranking.keep_allin))
        else:
            out.append(Loss(flow_id, "costlier", offer=best, against=winner, set_aside=aside,
                            run_monthly=best.best.cost.monthly - winner.best.cost.monthly,
                            one_off=best.best.cost.one_off - winner.best.cost.one_off,
                            allin_monthly=best.best.allin_monthly - winner.best.allin_monthly))
    return out


def _folded(name: str) -> str:
    """A name as typed on any keyboard: accents dropped, case and spacing ignored."""
    decomposed = unicodedata.normalize("NFKD", name)
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).casefold().split())


def find_bidder(bids: tuple[Bid, ...], name: str) -> str | None:
    """The bidder ``name`` stands for, ignoring case and accents ('atlantico contact' is 'Atlântico
    Contact'); None when no bid is from it."""
    wanted = _folded(name)
    return next((b.bidder for b in bids if _folded(b.bidder) == wanted), None)


def read_bid(path: Path) -> Bid:
    """A provider's bid: its returned pricing grid (``.xlsx``), or the same bid written as YAML or JSON
    (a bid kept or made by hand); every problem located in the file. Any other file (a grid saved as
    CSV, a PDF) is refused by its suffix, before it is read as something it is not."""
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        return read_grid(path)
    if suffix not in BID_SUFFIXES:
        raise error(UserError, "bids.suffix", path=str(path),
                    suffix=suffix or phrase("bids.no_suffix"))
    try:
        doc = read_document(path, what="what.bid")
    except DocumentError as exc:
        raise error(UserError, "bids.unreadable", exc.problem, path=str(path)) from exc
    data = doc.data if isinstance(doc.data, dict) else {}
    try:
        return Bid.model_validate({**data, "source": str(path)})
    except ValidationError as exc:
        problems = problems_from_errors(exc.errors(), doc, Bid)
        raise error(UserError, "bids.problems" if len(problems) > 1 else "bids.problem", *problems, path=str(path),
                    count=len(problems)) from exc
