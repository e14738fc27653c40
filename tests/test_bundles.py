"""Small flows bundled for a provider: which flows bundle, the bundle lots of the tender pack, the
bids matched to them by id, the bundle costed with the real cost model; and each bidder's minimum
commitment checked against the flows it wins."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import pytest

from openpyxl import load_workbook

from engine.answers import load_answers
from engine.costs import flow_costs
from engine.models import Answers, FlowInputs, VendorQuote
from engine.policy.loading import Policy, load_policy
from engine.procurement.bids import compare
from engine.procurement.bundles import bundle_lots, commitments, pooled_flow, propose_bundles
from engine.procurement.pricing import Bid, PriceLine
from engine.procurement.tender import lots
from engine.recommend import Recommendation, recommend
from explanations.bids import bids_data, render_bids
from tests.conftest import EXAMPLES, arbitre_in_process

ROOT = Path(__file__).resolve().parent.parent
SMALL_FLOWS = Path(__file__).resolve().parent / "bundles" / "small-flows.yaml"
WRITTEN = ("claims-email", "statements-letter", "reviews-social")


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


def rec_of(*flows: dict[str, Any]) -> Recommendation:
    return recommend(answers(*flows), policy())


@functools.cache
def small_flows() -> Recommendation:
    return recommend(load_answers(SMALL_FLOWS), policy())


class TestWhichFlowsBundle:
    def test_written_flows_in_one_language_reach_a_team_together(self) -> None:
        """Email, letters and social messages in French, each under 5 FTE, make one blended back office."""
        (lot,) = bundle_lots(small_flows(), policy())
        assert (lot.id, lot.scope, lot.flows, lot.channels) == ("bundle-1", "bundle", WRITTEN,
                                                                 ("email", "letter", "social"))
        members = [r for r in small_flows().flows if r.id in WRITTEN]
        assert all(r.costs.fte_needed < policy().costs.min_dedicated_fte for r in members)
        assert lot.monthly_contacts == sum(r.inputs.flow.monthly_volume for r in members)
        assert lot.hours_per_week == max(r.inputs.coverage_hours_needed for r in members)

    def test_phone_queues_that_stay_under_a_team_together_are_not_bundled(self) -> None:
        """The two small French phone queues of the fixture need under 5 FTE together: no phone bundle."""
        phones = [r for r in small_flows().flows if r.inputs.flow.channel.value == "phone"]
        assert len(phones) == 3 and all(r.id not in lot.flows for lot in bundle_lots(small_flows(), policy())
                                        for r in phones)

    def test_a_flow_kept_for_its_know_how_is_never_bundled(self) -> None:
        """Without the know-how flow the other two stay under a team: the one flow that would make the
        minimum is kept out, and no bundle is proposed."""
        assert [lot.flows for lot in bundle_lots(rec_of(*SMALL), policy())] == [("refunds", "invoices", "delivery")]
        know_how = [*SMALL[:2], {**SMALL[2], "unique_know_how": True}]
        assert bundle_lots(rec_of(*know_how), policy()) == []

    def test_acme_key_accounts_are_not_bundled(self) -> None:
        """In acme the small flows are kept for their know-how or their brand: no bundle is proposed."""
        acme = recommend(load_answers(EXAMPLES / "acme-retail.yaml"), policy())
        assert bundle_lots(acme, policy()) == []

    def test_ids_are_stable_and_follow_the_flows(self) -> None:
        """Two bundles, numbered in the order of their first flow, the same on every run."""
        phones = [{**email(f"phone-{n}", 1200, aht_seconds=300), "channel": "phone", "languages": ["de"]}
                  for n in range(5)]
        rec = rec_of(phones[0], *SMALL, *phones[1:])
        first = bundle_lots(rec, policy())
        assert [(lot.id, lot.flows[0]) for lot in first] == [("bundle-1", "phone-0"), ("bundle-2", "refunds")]
        assert bundle_lots(rec_of(phones[0], *SMALL, *phones[1:]), policy()) == first


class TestTenderPack:
    def test_lots_end_with_the_bundles(self) -> None:
        assert lots(small_flows(), policy())[-1] == bundle_lots(small_flows(), policy())[0]

    @pytest.mark.parametrize(("lang", "heading", "channels", "language"), [
        ("en", "## Bundles of small flows", "email, letters, social networks", "in French"),
        ("fr", "## Lots groupés de petits flux", "e-mail, courrier, réseaux sociaux", "en français"),
    ])
    def test_specification_and_grid_carry_the_bundle(self, tmp_path: Path, lang: str, heading: str,
                                                     channels: str, language: str) -> None:
        run = arbitre_in_process("tender", SMALL_FLOWS, "--out", tmp_path / "pack", "--lang", lang)
        assert run.returncode == 0, run.stderr
        spec = (tmp_path / "pack" / "specification.md").read_text()
        section = spec.split(heading)[1].split("\n## ")[0]
        assert "| `bundle-1` |" in spec and all(f"(`{flow}`)" in section for flow in WRITTEN)
        assert f"{channels}, {language}" in section
        rows = [row for sheet in load_workbook(tmp_path / "pack" / "pricing-grid.xlsx").worksheets
                for row in sheet.iter_rows(values_only=True) if row[0] == "bundle-1"]
        assert len(rows) == 1 and rows[0][2:5] == (", ".join(WRITTEN), channels, 4700)

    def test_no_saving_in_the_pack(self, tmp_path: Path) -> None:
        """The bundle's saving against keeping is the company's: the pack shows neither it nor keeping's cost."""
        found = compare(small_flows().answers, policy(), (hourly_bid(["bundle-1"], 24),), small_flows().flows)
        (bundle,) = propose_bundles(found, policy())
        arbitre_in_process("tender", SMALL_FLOWS, "--out", tmp_path / "pack")
        spec = (tmp_path / "pack" / "specification.md").read_text()
        assert bundle.saving is not None
        for amount in (bundle.saving, bundle.keep_total):
            assert f"{amount:,.0f}" not in spec and f"{amount:.0f}" not in spec


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

    def test_the_saving_is_the_pooled_flows_against_keeping_each(self) -> None:
        """Keeping is each flow's own cost over the term; the bundle's cost is the cost model's for the
        pooled flow at the bidder's price, with each flow's own exit."""
        found = compare(answers(*SMALL), policy(), (hourly_bid(["bundle-1"], 16),))
        (bundle,) = propose_bundles(found, policy())
        best = bundle.best
        assert best is not None and best.quote == VendorQuote(per_hour=16)
        keep = sum(flow_costs(r.inputs, policy().costs).options["keep_internal"].term_total for r in found.baseline)
        assert bundle.keep_total == pytest.approx(keep)
        pooled = pooled_flow("bundle-1", found.baseline, policy())
        flow = pooled.flow.model_copy(update={"vendor_quote": best.quote, "provider_country": "MA"})
        option = flow_costs(FlowInputs(flow=flow, organisation=pooled.organisation, defaults_used=()), policy().costs,
                            splits=False).options["outsource"]
        assert best.cost.monthly == pytest.approx(option.monthly)
        assert best.cost.term_total == pytest.approx(option.term_total - option.exit_cost + best.cost.exit_cost)
        assert bundle.saving == pytest.approx(keep - best.cost.term_total)

    def test_a_bid_for_a_bundle_the_answers_do_not_make_is_set_aside(self) -> None:
        """bundle-1 is the tender's and priced; bundle-2 is no lot of these answers: set aside, with why."""
        found = compare(answers(*SMALL), policy(), (hourly_bid(["bundle-1", "bundle-2"], 16),))
        assert [(s.lot, s.reason) for s in found.set_aside] == [("bundle-2", "unknown_bundle")]
        assert propose_bundles(found, policy())[0].prices[0].indicative is False

    def test_a_bundle_line_is_set_aside_when_the_flows_no_longer_bundle(self) -> None:
        """Answers where one flow is now kept for its know-how make no bundle: the bid's line is set aside."""
        know_how = [*SMALL[:2], {**SMALL[2], "unique_know_how": True}]
        found = compare(answers(*know_how), policy(), (hourly_bid(["bundle-1"], 16),))
        assert [(s.lot, s.reason) for s in found.set_aside] == [("bundle-1", "unknown_bundle")]

    def test_a_bundle_is_costed_over_the_bids_contract_term(self) -> None:
        """A bid for 24 months: the bundle's price, its one-offs and keeping the flows all run over 24
        months, as the bid's flow lines are costed, not over the answers' 36."""
        found = compare(answers(*SMALL), policy(), (hourly_bid(["bundle-1"], 16, contract_months=24),))
        (bundle,) = propose_bundles(found, policy())
        (price,) = bundle.prices
        assert price.term_months == 24 and bundle.term_months == 36
        keep_monthly = sum(r.keep.monthly for r in found.flows)
        assert price.keep_total == pytest.approx(keep_monthly * 24)
        assert price.cost.term_total == pytest.approx(price.cost.monthly * 24 + price.cost.one_off)
        assert bundle.saving == pytest.approx(price.keep_total - price.cost.term_total)
        over_36 = propose_bundles(compare(answers(*SMALL), policy(), (hourly_bid(["bundle-1"], 16),)), policy())
        assert over_36[0].prices[0].term_months == 36
        assert price.allin_monthly > over_36[0].prices[0].allin_monthly  # the same one-offs over fewer months

    def test_the_best_bundle_price_is_the_cheapest_a_month_whatever_the_term(self) -> None:
        """A 12-month bid costs less over its term than a 36-month one but more a month: the 36-month
        price is the best."""
        short = hourly_bid(["bundle-1"], 17, contract_months=12)
        long = Bid(bidder="Borealis", source="b.xlsx", currency="EUR", contract_months=36, lines=(
            PriceLine(lot="bundle-1", site="Porto", site_country="PT", prices={"per_hour": 16.5}),))
        (bundle,) = propose_bundles(compare(answers(*SMALL), policy(), (short, long)), policy())
        by_bidder = {p.bidder: p for p in bundle.prices}
        assert by_bidder["Atlas"].cost.term_total < by_bidder["Borealis"].cost.term_total
        assert by_bidder["Atlas"].allin_monthly > by_bidder["Borealis"].allin_monthly
        assert bundle.best is by_bidder["Borealis"]

    def test_an_implausible_bundle_price_is_set_aside_with_its_reason(self) -> None:
        """A bundle line priced at 1 EUR an hour (a unit error) is not used, and the comparison says so."""
        found = compare(answers(*SMALL), policy(), (hourly_bid(["bundle-1"], 1),))
        (bundle,) = propose_bundles(found, policy())
        assert bundle.prices == ()
        (aside,) = bundle.set_aside
        assert (aside.bidder, aside.reason, aside.lot, aside.amount) == ("Atlas", "implausible_price", "bundle-1", 1)
        assert aside.hourly == pytest.approx(1) and aside.band == (4, 80)
        data = bids_data(found, [bundle], [], policy(), ("en",))
        assert data["bundles"][0]["set_aside"][0]["reason"] == "implausible_price"
        text = " ".join(render_bids(data, "Acme", "text", "en").split())
        section = text[text.index("bundle-1:"):]
        assert "Atlas, set aside (not used): lot bundle-1" in section
        assert "outside the plausible EUR 4.00 to EUR 80.00" in section
        assert "no price used" in section and "no bidder priced" not in section  # it did: its price was set aside

    def test_a_record_written_before_prices_had_their_own_term_still_renders(self) -> None:
        """An audit record from before a bundle price carried its own term, keeping and set-aside prices:
        each price is shown over the bundle's term against the bundle's keeping, as it was then."""
        found = compare(answers(*SMALL), policy(), (hourly_bid(["bundle-1"], 16),))
        data = bids_data(found, propose_bundles(found, policy()), [], policy(), ("en",))
        (bundle,) = data["bundles"]
        del bundle["set_aside"]
        for price in bundle["prices"]:
            for key in ("term_months", "keep_total", "allin_monthly"):
                del price[key]
        text = " ".join(render_bids(data, "Acme", "text", "en").split())
        keep = text.split("kept in-house, each alone: ")[1].split(" over 36 months")[0]
        assert f"over 36 months, against {keep} to keep the flows in-house" in text

    def test_every_form_of_a_bundle_line_is_tried_and_the_cheapest_a_month_kept(self) -> None:
        """A line priced per hour (with a typo: 1 an hour) and per contact: the hourly form is set aside,
        the per-contact one prices the bundle; where both are plausible, the cheaper all-in a month wins."""
        def bid(prices: dict[str, float]) -> Bid:
            return Bid(bidder="Atlas", source="atlas.xlsx", currency="EUR", lines=(
                PriceLine(lot="bundle-1", site="Casablanca", site_country="MA", prices=prices),))

        (typo,) = propose_bundles(compare(answers(*SMALL), policy(), (bid({"per_hour": 1, "per_contact": 4.5}),)),
                                  policy())
        assert [p.quote for p in typo.prices] == [VendorQuote(per_contact=4.5)]
        assert [(s.form, s.reason) for s in typo.set_aside] == [("per_hour", "implausible_price")]
        both = {"per_hour": 20, "per_contact": 3.0}
        (bundle,) = propose_bundles(compare(answers(*SMALL), policy(), (bid(both),)), policy())
        alone = {form: propose_bundles(compare(answers(*SMALL), policy(), (bid({form: amount}),)), policy())[0].prices[0]
                 for form, amount in both.items()}
        cheaper = min(alone.values(), key=lambda p: p.allin_monthly)
        assert alone["per_hour"].allin_monthly != alone["per_contact"].allin_monthly
        assert bundle.prices == (cheaper,) and bundle.set_aside == ()

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
