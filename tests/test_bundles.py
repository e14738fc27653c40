"""Small flows bundled for a provider, costed with the real cost model, and each bidder's minimum
commitment checked against the flows it wins."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import pytest

from engine.models import Answers
from engine.policy.loading import Policy, load_policy
from engine.procurement.bids import compare
from engine.procurement.bundles import commitments, propose_bundles
from engine.procurement.pricing import Bid, PriceLine

ROOT = Path(__file__).resolve().parent.parent


@functools.cache
def policy() -> Policy:
    return load_policy(ROOT / "rules")


def email(flow_id: str, volume: int, **fields: Any) -> dict[str, Any]:
    return {"id": flow_id, "channel": "email", "languages": ["fr"], "monthly_volume": volume, "aht_seconds": 420,
            **fields}


def answers(*flows: dict[str, Any]) -> Answers:
    return Answers.model_validate({"organisation": {"country": "FR", "currency": "EUR", "contract_months": 36},
                                   "flows": list(flows)})


def hourly_bid(flows: list[str], price: float = 18, **fields: Any) -> Bid:
    return Bid(bidder="Atlas", source="atlas.xlsx", currency="EUR", lines=tuple(
        PriceLine(lot=f, site="Casablanca", site_country="MA", prices={"per_hour": price}) for f in flows), **fields)


SMALL = [email("refunds", 1500), email("invoices", 1800), email("delivery", 2000)]


class TestBundles:
    def test_small_flows_that_reach_a_dedicated_team_are_bundled(self) -> None:
        """Three email flows of about 2 FTE each make one bundle of more than the policy's 5 FTE."""
        found = compare(answers(*SMALL), policy(), (hourly_bid([f["id"] for f in SMALL]),))
        (bundle,) = propose_bundles(found, policy())
        assert bundle.lot.scope == "bundle" and bundle.lot.flows == ("refunds", "invoices", "delivery")
        assert bundle.fte >= policy().costs.min_dedicated_fte
        assert all(r.baseline.costs.fte_needed < policy().costs.min_dedicated_fte for r in found.flows)
        assert bundle.keep_total == pytest.approx(sum(r.keep.term_total for r in found.flows))
        best = bundle.best
        assert best is not None and best.indicative  # the bidder priced the flows, not the bundle
        assert bundle.saving == pytest.approx(bundle.keep_total - best.cost.term_total)
        assert bundle.saving is not None and bundle.saving > 0

    def test_a_bundle_priced_by_the_bidder_uses_its_own_line(self) -> None:
        lines = [f["id"] for f in SMALL] + ["bundle-1"]
        found = compare(answers(*SMALL), policy(), (hourly_bid(lines, price=16),))
        best = propose_bundles(found, policy())[0].best
        assert best is not None and not best.indicative and best.quote.amount == 16

    def test_small_flows_below_a_dedicated_team_together_are_not_bundled(self) -> None:
        two = [email("refunds", 500), email("invoices", 600)]
        assert propose_bundles(compare(answers(*two), policy(), (hourly_bid(["refunds"]),)), policy()) == []

    def test_flows_on_other_channels_or_languages_are_not_bundled(self) -> None:
        mixed = [SMALL[0], {**SMALL[1], "channel": "letter"}, {**SMALL[2], "languages": ["de"]}]
        assert propose_bundles(compare(answers(*mixed), policy(), ()), policy()) == []


class TestCommitments:
    def test_a_minimum_below_the_flows_won_is_reported_with_what_would_reach_it(self) -> None:
        """The bidder wins the flow where it is cheapest; the other flow, where it is dearer, would reach it."""
        flows = [email("refunds", 12000), email("invoices", 12000)]
        atlas = Bid(bidder="Atlas", source="a", currency="EUR", minimum_fte=14, lines=(
            PriceLine(lot="refunds", site_country="MA", prices={"per_hour": 14}),
            PriceLine(lot="invoices", site_country="MA", prices={"per_hour": 19})))
        rival = Bid(bidder="Borealis", source="b", currency="EUR", lines=(
            PriceLine(lot="invoices", site_country="PT", prices={"per_hour": 15}),))
        found = compare(answers(*flows), policy(), (atlas, rival))
        (commitment,) = commitments(found, policy())
        assert commitment.won == ("refunds",) and not commitment.reached
        assert commitment.won_fte == pytest.approx(found.flows[0].winner.best.cost.provider_fte)  # type: ignore[union-attr]
        assert [flow for flow, _, _ in commitment.to_reach] == ["invoices"] and commitment.reachable
        extra = commitment.to_reach[0][2]
        ranking = found.flows[1]
        assert extra == pytest.approx(ranking.offers[1].best.allin_monthly - ranking.offers[0].best.allin_monthly)

    def test_a_minimum_the_flows_won_reach(self) -> None:
        found = compare(answers(email("refunds", 12000)), policy(), (hourly_bid(["refunds"], 14, minimum_fte=1),))
        (commitment,) = commitments(found, policy())
        assert commitment.reached and commitment.to_reach == ()
