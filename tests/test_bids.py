"""Providers' bids compared: checked (set aside, never used), run through the policy, ranked, and
explained (--why-not BIDDER), through the engine and the CLI."""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from cli import main
from engine.analysis.audit import load_record
from engine.costs import flow_costs
from engine.models import Answers, Decision, Flow, FlowInputs
from engine.policy.loading import Policy, load_policy
from engine.procurement.bids import compare, why_not
from engine.procurement.pricing import Bid, PriceLine

ROOT = Path(__file__).resolve().parent.parent
ACME = ROOT / "examples" / "acme-retail.yaml"
PHONE = {"id": "orders", "channel": "phone", "monthly_volume": 6000, "aht_seconds": 300}


@functools.cache
def policy() -> Policy:
    return load_policy(ROOT / "rules")


def answers(*flows: dict[str, Any]) -> Answers:
    return Answers.model_validate({"organisation": {"country": "FR", "currency": "EUR", "contract_months": 36},
                                   "flows": list(flows or [PHONE])})


def bid(bidder: str, *lines: PriceLine, currency: str = "EUR", **fields: Any) -> Bid:
    return Bid(bidder=bidder, source=f"{bidder}.xlsx", currency=currency, lines=lines, **fields)


def line(lot: str = "orders", country: str = "PT", site: str = "Lisbon", **prices: float) -> PriceLine:
    return PriceLine(lot=lot, site=site, site_country=country, prices=prices or {"per_hour": 15})


class TestChecks:
    def test_an_implausible_price_is_set_aside_and_never_used(self) -> None:
        """A price per contact of two cents (a few cents an hour) is set aside with its hourly price and band."""
        found = compare(answers(), policy(), (bid("A", line(per_contact=0.02)),))
        (aside,) = found.set_aside
        assert (aside.reason, aside.form, aside.amount) == ("implausible_price", "per_contact", 0.02)
        assert aside.hourly is not None and aside.band is not None and aside.hourly < aside.band[0]
        assert found.flows[0].offers == ()

    def test_a_line_keeps_its_plausible_forms_when_one_is_implausible(self) -> None:
        """Only the implausible form goes; the line is priced on the others."""
        found = compare(answers(), policy(), (bid("A", line(per_hour=15, per_fte_month=90_000)),))
        assert [a.form for a in found.set_aside] == ["per_fte_month"]
        assert found.flows[0].offers[0].best.form == "per_hour"

    def test_lots_the_answers_do_not_have_are_set_aside(self) -> None:
        found = compare(answers(), policy(), (bid("A", line(lot="billing"), line(lot="orders.nightshift")),))
        assert [(a.reason, a.lot) for a in found.set_aside] == [("unknown_lot", "billing"),
                                                                 ("unknown_lot", "orders.nightshift")]

    def test_a_bid_in_another_currency_is_refused_whole(self) -> None:
        found = compare(answers(), policy(), (bid("A", line(), currency="USD"),))
        assert found.refused == ("A",)
        assert [(a.reason, a.value) for a in found.set_aside] == [("currency", "USD")]
        assert [loss.kind for loss in why_not(found, "A")] == ["refused"]

    def test_missing_lots_are_listed_per_flow(self) -> None:
        two = answers(PHONE, {**PHONE, "id": "returns"})
        found = compare(two, policy(), (bid("A", line()),))
        assert [r.not_priced for r in found.flows] == [(), ("A",)]
        assert [loss.kind for loss in why_not(found, "A")] == ["won", "not_priced"]


class TestPolicyUnderEachBid:
    def test_a_cheaper_bid_turns_keep_into_outsource(self) -> None:
        """At EUR 45 an hour the policy keeps the flow; at 15 it outsources it, and that bid wins."""
        dear = compare(answers(), policy(), (bid("A", line(per_hour=45)),)).flows[0]
        cheap = compare(answers(), policy(), (bid("B", line(per_hour=15)),)).flows[0]
        assert dear.baseline.verdict.decision is Decision.keep_internal
        assert dear.offers[0].result.verdict.decision is Decision.keep_internal and dear.winner is None
        assert cheap.offers[0].result.verdict.decision is Decision.outsource
        assert cheap.winner is not None and cheap.winner.bidder == "B"

    def test_the_site_country_can_veto(self) -> None:
        """Health data served from Morocco: the policy vetoes outsourcing, so the cheap bid cannot win."""
        flow = {**PHONE, "regulated_data": ["health"]}
        ranking = compare(answers(flow), policy(), (bid("A", line(country="MA", site="Rabat")),)).flows[0]
        assert ranking.offers[0].vetoes and ranking.winner is None
        (loss,) = why_not(compare(answers(flow), policy(), (bid("A", line(country="MA")),)), "A")
        assert loss.kind == "vetoed"

    def test_the_line_certifications_meet_a_condition(self) -> None:
        """Card payments: a site without PCI DSS gets the condition, one with it does not."""
        flow = {**PHONE, "regulated_data": ["payment_card"]}
        without = compare(answers(flow), policy(), (bid("A", line()),)).flows[0].offers[0]
        certified = PriceLine(lot="orders", site="Lisbon", site_country="PT", prices={"per_hour": 15},
                              certifications=("pci_dss",))
        with_it = compare(answers(flow), policy(), (bid("A", certified),)).flows[0].offers[0]
        assert "pci_dss" in [c.id for c in without.conditions]
        assert "pci_dss" not in [c.id for c in with_it.conditions]


class TestRanking:
    def test_totals_and_payback_are_the_cost_models(self) -> None:
        """An offer's figures are those of engine.costs on the flow's answers under the line."""
        priced = PriceLine(lot="orders", site="Lisbon", site_country="PT", prices={"per_hour": 15},
                           transition_cost=40_000)
        ranking = compare(answers(), policy(), (bid("A", priced),)).flows[0]
        flow = Flow.model_validate({**PHONE, "vendor_quote": {"per_hour": 15}, "provider_country": "PT",
                                    "transition_cost": 40_000})
        given = answers()
        direct = flow_costs(FlowInputs(flow=flow, organisation=given.organisation, defaults_used=()),
                            policy().costs).options["outsource"]
        offer = ranking.offers[0].best
        assert offer.cost.term_total == pytest.approx(direct.term_total)
        assert offer.cost.payback_months == pytest.approx(direct.payback_months)
        assert offer.cost.transition_cost == 40_000

    def test_offers_are_ranked_cheapest_first_and_the_margin_is_against_the_next(self) -> None:
        found = compare(answers(), policy(), (bid("Dear", line(per_hour=20)), bid("Cheap", line(per_hour=14))))
        ranking = found.flows[0]
        assert [o.bidder for o in ranking.offers] == ["Cheap", "Dear"]
        assert ranking.winner is ranking.offers[0]
        assert ranking.runner_up_allin == pytest.approx(ranking.offers[1].best.allin_monthly)
        (loss,) = why_not(found, "Dear")
        assert loss.kind == "costlier" and loss.against is ranking.offers[0]
        assert loss.allin_monthly == pytest.approx(ranking.offers[1].best.allin_monthly
                                                   - ranking.offers[0].best.allin_monthly)

    def test_the_cheapest_form_of_a_line_counts(self) -> None:
        offer = compare(answers(), policy(), (bid("A", line(per_hour=15, per_contact=4)),)).flows[0].offers[0]
        assert offer.best.form == "per_hour" and [p.form for p in offer.others] == ["per_contact"]

    def test_a_split_lot_prices_that_split(self) -> None:
        """'FLOW.overflow' is costed as the overflow option, its transition the split's own."""
        flow = {**PHONE, "peak_ratio": 1.8}
        priced = PriceLine(lot="orders.overflow", site="Lisbon", site_country="PT", prices={"per_hour": 20},
                           transition_cost=5_000)
        offer = compare(answers(flow), policy(), (bid("A", priced),)).flows[0].offers[0]
        assert offer.option == "overflow" and offer.target is Decision.hybrid
        assert offer.best.cost.transition_cost == pytest.approx(5_000)


# ---------------------------------------------------------------------------------------------
# The command


def _write(folder: Path, name: str, data: dict[str, Any]) -> Path:
    path = folder / name
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


@pytest.fixture
def bid_files(tmp_path: Path) -> list[Path]:
    atlas = {"bidder": "Atlas", "currency": "EUR", "contract_months": 36, "minimum_fte": 30, "lines": [
        {"lot": "order-taking", "site": "Casablanca", "site_country": "MA", "prices": {"per_hour": 19},
         "certifications": ["pci_dss"]},
        {"lot": "order-taking", "site": "Rabat", "site_country": "MA", "prices": {"per_contact": 0.02}},
        {"lot": "support-chat", "site": "Lisbon", "site_country": "PT", "prices": {"per_contact": 3.1}}]}
    borealis = {"bidder": "Borealis", "currency": "EUR", "lines": [
        {"lot": "order-taking", "site": "Porto", "site_country": "PT", "prices": {"per_hour": 26}}]}
    return [_write(tmp_path, "atlas.yaml", atlas), _write(tmp_path, "borealis.yaml", borealis)]


def _run(*args: str | Path) -> Any:
    return CliRunner().invoke(main, ["bids", *map(str, args)])


def _unwrapped(text: str) -> str:
    """Output with its lines joined, as one paragraph reads."""
    return re.sub(r"\n +", " ", text)


class TestCommand:
    def test_text_in_both_languages(self, bid_files: list[Path]) -> None:
        english = _run(ACME, *bid_files)
        french = _run(ACME, *bid_files, "--lang", "fr")
        assert english.exit_code == 0 and french.exit_code == 0, english.output + french.output
        english_text, french_text = _unwrapped(english.output), _unwrapped(french.output)
        assert "Award: Atlas, Casablanca, whole flow" in english_text
        assert "outside the plausible EUR\u00a04.00 to EUR\u00a080.00" in english_text
        assert "Attribution\u202f: Atlas, Casablanca, flux entier" in french_text
        assert "FTE on the flows it wins, below the 30.0 it commits to staff" in english_text

    def test_json_holds_the_ranking(self, bid_files: list[Path]) -> None:
        result = _run(ACME, *bid_files, "--format", "json")
        data = json.loads(result.output)
        flow = next(f for f in data["flows"] if f["id"] == "order-taking")
        assert [o["bidder"] for o in flow["offers"]] == ["Atlas", "Borealis"]
        assert flow["winner"]["bidder"] == "Atlas"
        assert [a["reason"] for a in data["set_aside"]] == ["implausible_price"]

    def test_why_not_a_bidder(self, bid_files: list[Path]) -> None:
        result = _run(ACME, *bid_files, "--why-not", "Borealis")
        assert result.exit_code == 0, result.output
        assert "Why Borealis's bid lost" in result.output
        assert "costlier all-in than Atlas, Casablanca, whole flow" in _unwrapped(result.output)
        assert "support-chat): the lot was not priced" in result.output

    def test_why_not_an_unknown_bidder_is_a_user_error(self, bid_files: list[Path]) -> None:
        result = _run(ACME, *bid_files, "--why-not", "Nobody")
        assert result.exit_code == 2
        assert "no bid from Nobody; the bidders are: Atlas, Borealis" in result.output

    def test_a_malformed_bid_is_located(self, tmp_path: Path) -> None:
        bad = _write(tmp_path, "bad.yaml", {"bidder": "X", "currency": "EUR", "lines": [
            {"lot": "order-taking", "site_country": "Morocco", "prices": {"per_hour": 19}}]})
        result = _run(ACME, bad)
        assert result.exit_code == 2
        assert "bad.yaml" in result.output and "lines[0].site_country" in result.output

    def test_the_audit_record_keeps_the_bids_and_still_verifies(self, bid_files: list[Path], tmp_path: Path) -> None:
        record = tmp_path / "record.json"
        assert _run(ACME, *bid_files, "--audit", record).exit_code == 0
        kept = load_record(record)
        assert kept.bids is not None and [b.bidder for b in kept.bids.bids] == ["Atlas", "Borealis"]
        offer = next(f for f in kept.bids.flows if f.id == "order-taking").offers[0]
        assert set(offer.conditions[0].text) == {"en", "fr"}
        verified = CliRunner().invoke(main, ["explain", str(record), "--verify"])
        assert verified.exit_code == 0, verified.output

    def test_the_report_gains_a_bids_section(self, bid_files: list[Path], tmp_path: Path) -> None:
        page = tmp_path / "report.html"
        assert _run(ACME, *bid_files, "--report", page).exit_code == 0
        html = page.read_text(encoding="utf-8")
        assert '<section id="bids">' in html and "Award: Atlas, Casablanca, whole flow" in html


# ---------------------------------------------------------------------------------------------
# The award, end to end through the example's returned grids (examples/bids/*.xlsx)

GRIDS = sorted((ROOT / "examples" / "bids").glob("*.xlsx"))
ATLANTICO, ATLAS = "Atlântico Contact", "Atlas & Tejo Services"


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Acme's flows against both example grids, once: the JSON printed, the audit record and the report."""
    folder = tmp_path_factory.mktemp("award")
    record, page = folder / "record.json", folder / "report.html"
    result = _run(ACME, *GRIDS, "--format", "json", "--audit", record, "--report", page)
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    return {"json": printed, "flows": {f["id"]: f for f in printed["flows"]}, "record": record,
            "report": page.read_text(encoding="utf-8")}


def _read(text: str) -> str:
    """Output with every line joined, paragraphs as well as list items."""
    return re.sub(r"\n *", " ", text)


def _offer(flow: dict[str, Any], bidder: str, option: str) -> dict[str, Any]:
    return next(o for o in flow["offers"] if o["bidder"] == bidder and o["option"] == option)


class TestAward:
    def test_the_complaints_decision_flips_under_the_lisbon_tier1_price(self, example: dict[str, Any]) -> None:
        """Today's quote makes complaints hybrid (tier 1); under Lisbon's tier-1 price the policy keeps
        the flow, so that offer cannot win however it ranks."""
        flow = example["flows"]["complaints-email"]
        assert (flow["decision"], flow["split"]) == ("hybrid", ["tier1"])
        lisbon = _offer(flow, ATLANTICO, "tier1")
        assert (lisbon["decision"], lisbon["chosen"], lisbon["eligible"]) == ("keep_internal", False, False)
        assert lisbon["rules_against"]
        assert flow["winner"]["bidder"] == ATLAS and flow["winner"]["option"] == "tier1"

    def test_every_winner_is_eligible_and_the_cheapest_eligible(self, example: dict[str, Any]) -> None:
        """Per flow, the award is the cheapest offer the policy chooses under its bid, when cheaper than
        keeping; otherwise the flow is kept and the reason given."""
        for flow in example["json"]["flows"]:
            eligible = [o for o in flow["offers"] if o["eligible"]]
            beating = [o for o in eligible if o["allin_monthly"] < flow["keep"]["monthly"]]
            if beating:
                won = _offer(flow, flow["winner"]["bidder"], flow["winner"]["option"])
                assert won is beating[0] and flow["kept_because"] is None, flow["id"]
            else:
                assert flow["winner"] is None and flow["kept_because"], flow["id"]

    def test_a_cheaper_line_the_policy_does_not_choose_does_not_win(self, example: dict[str, Any]) -> None:
        """After-sales: Casablanca's whole-flow line is the cheapest, but the policy under it chooses
        hybrid (tier 1); the award is the tier-1 line, and the next choice names its option."""
        flow = example["flows"]["after-sales"]
        whole = flow["offers"][0]
        assert (whole["option"], whole["decision"], whole["eligible"]) == ("outsource", "hybrid", False)
        assert (flow["winner"]["site"], flow["winner"]["option"]) == ("Casablanca", "tier1")
        assert flow["next_choice"]["bidder"] == ATLANTICO and flow["next_choice"]["option"] == "tier1"

    def test_a_flow_the_policy_keeps_under_every_bid_stays_in_house(self, example: dict[str, Any]) -> None:
        """Social-media care: cheaper under Casablanca's price, but the policy keeps it; the award says so."""
        flow = example["flows"]["social-care"]
        assert flow["winner"] is None and flow["kept_because"] == "none_eligible"
        assert flow["offers"][0]["allin_monthly"] < flow["keep"]["monthly"]

    def test_the_text_states_the_award_and_why(self) -> None:
        """Each offer: one line, then what the policy decides under it; the award names the option."""
        text = _read(_run(ACME, *GRIDS).output)
        assert ("Award: Atlas & Tejo Services, Casablanca, tier 1, EUR\u00a05,307 a month all-in below the next choice "
                "(Atlântico Contact, Lisbon, tier 1).") in text
        assert "not chosen: under this bid the policy chooses hybrid (tier 1); weighing against this option: CPX-01" \
            in text
        assert "Award: keep in-house. Under no bid does the policy choose the option offered" in text
        assert "conditions:" not in text.replace("on conditions:", "")
        assert "Best bid" not in text and "still recommends" not in text

    def test_the_report_and_the_record_hold_the_same_award(self, example: dict[str, Any]) -> None:
        """The record's bids section and the report's award sentences come from one award."""
        kept = load_record(example["record"])
        assert kept.bids is not None
        for flow in kept.bids.flows:
            printed = example["flows"][flow.id]
            assert (flow.winner.model_dump() if flow.winner else None) == printed["winner"]
            assert flow.kept_because == printed["kept_because"]
        assert "Award: Atlas &amp; Tejo Services, Casablanca, tier 1," in example["report"]
        assert '<section id="bids">' in example["report"]

    def test_the_record_with_bids_verifies(self, example: dict[str, Any]) -> None:
        verified = CliRunner().invoke(main, ["explain", str(example["record"]), "--verify"])
        assert verified.exit_code == 0, verified.output

    def test_why_not_a_bidder_that_loses_every_flow(self) -> None:
        """Atlântico wins nothing: each flow says why, the policy's own choice where it is the reason."""
        result = _run(ACME, *GRIDS, "--why-not", ATLANTICO)
        assert result.exit_code == 0, result.output
        text = _unwrapped(result.output)
        assert "won:" not in text
        assert ("Complaints by email (complaints-email): the policy does not choose this option under the bid "
                "(it chooses keep in-house); weighing against it: BRD-01") in text
        assert "costlier all-in than Atlas & Tejo Services, Casablanca, tier 1" in text

    def test_a_returned_grid_with_a_missing_cell_and_a_wrong_unit_is_located(self, tmp_path: Path) -> None:
        """Through the command: exit 2, each fault at its sheet and cell, nothing compared."""
        from openpyxl import load_workbook

        book = load_workbook(GRIDS[0])
        pricing = book["Pricing"]
        keys = {cell.value: cell.column_letter for cell in pricing[1]}
        pricing[f"{keys['site_country']}3"] = None
        pricing[f"{keys['per_contact']}4"] = "0.62 €/min"
        broken = tmp_path / "returned.xlsx"
        book.save(broken)
        result = _run(ACME, broken)
        assert result.exit_code == 2, result.output
        assert f"Pricing!{keys['site_country']}3: column site_country: missing" in result.output
        assert f"Pricing!{keys['per_contact']}4: " in result.output and "column per_minute" in result.output
        assert "Traceback" not in result.output

    def test_the_json_contract_is_documented(self, example: dict[str, Any]) -> None:
        """Every field of the comparison, a flow and an offer is named in docs/domain.md's award section."""
        docs = (ROOT / "docs" / "domain.md").read_text(encoding="utf-8")
        section = docs[docs.index("## Who wins a flow under the bids"):docs.index("## Figures worth knowing")]
        flow = example["flows"]["after-sales"]
        fields = {*example["json"], *flow, *flow["offers"][0], *flow["winner"]}
        assert not [f for f in sorted(fields) if f'"{f}"' not in section]

    def test_the_minimum_commitments_count_the_award(self, example: dict[str, Any]) -> None:
        """Each bidder's won flows are the flows awarded to it, no more (not a cheaper line the policy
        does not choose)."""
        for commitment in example["json"]["commitments"]:
            awarded = [f["id"] for f in example["json"]["flows"]
                       if f["winner"] and f["winner"]["bidder"] == commitment["bidder"]]
            assert commitment["won"] == awarded
        atlas = next(c for c in example["json"]["commitments"] if c["bidder"] == ATLAS)
        assert "social-care" not in atlas["won"] and "after-sales" in atlas["won"]


class TestAwardTotal:
    def test_the_award_is_totalled_against_keeping(self, example: dict[str, Any]) -> None:
        """The comparison says what the flows awarded cost under their winning bids against keeping them,
        summed from the flows' own figures; the report's summary says its figures are before the bids."""
        awarded = [flow for flow in example["json"]["flows"] if flow["winner"] is not None]
        assert awarded
        under = sum(flow["winner"]["allin_monthly"] for flow in awarded)
        keep = sum(flow["keep"]["monthly"] for flow in awarded)
        expected = (f"Under the award, the {len(awarded)} flows awarded cost EUR {under:,.0f} a month all-in, "
                    f"against EUR {keep:,.0f} kept in-house: EUR {keep - under:,.0f} a month saved")
        text = _read(_run(ACME, *GRIDS).stdout).replace("\xa0", " ")
        assert expected in text
        assert expected in _read(example["report"]).replace("\xa0", " ")
        summary = example["report"].split('id="summary"')[1].split("</section>")[0]
        assert "before the bids" in summary

    def test_no_total_when_no_flow_is_awarded(self, tmp_path: Path) -> None:
        """A bid that wins nothing (every price far above keeping) gives no award total."""
        costly = tmp_path / "costly.yaml"
        costly.write_text(yaml.safe_dump({"bidder": "Dear", "currency": "EUR", "lines": [
            {"lot": "order-taking", "site_country": "FR", "prices": {"per_contact": 40.0}}]}), encoding="utf-8")
        result = _run(ACME, costly)
        assert result.exit_code == 0, result.output
        assert "Under the award" not in result.stdout


def test_two_bids_under_one_bidder_are_refused() -> None:
    """Awards and refusals go by the bidder's name: the same bidder twice is a clear error, exit 2."""
    result = _run(ACME, GRIDS[0], GRIDS[0])
    assert result.exit_code == 2
    assert "two bids name the same bidder" in result.output and "Traceback" not in result.output


def test_a_bid_file_cannot_say_where_it_came_from(tmp_path: Path) -> None:
    """The source shown is the file read, whatever the file says; a huge minimum commitment is refused."""
    bid = tmp_path / "bid.yaml"
    bid.write_text(yaml.safe_dump({"bidder": "B", "currency": "EUR", "source": "/etc/passwd", "minimum_fte": 1e300,
                                   "lines": [{"lot": "order-taking", "site_country": "PT",
                                              "prices": {"per_contact": 2.5}}]}), encoding="utf-8")
    result = _run(ACME, bid)
    assert result.exit_code == 2 and "minimum_fte" in result.output and "internal error" not in result.output
    data = yaml.safe_load(bid.read_text(encoding="utf-8"))
    del data["minimum_fte"]
    bid.write_text(yaml.safe_dump(data), encoding="utf-8")
    result = _run(ACME, bid)
    assert result.exit_code == 0, result.output
    assert "/etc/passwd" not in result.output and str(bid) in result.output
