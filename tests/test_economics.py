"""The cost model's options: like-for-like provider pricing, contract terms, peaks, country hours,
chat concurrency and every split, through the policy's real parameters (rules/parameters.yaml)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings, strategies as st

from engine.answers import AnswersError, validate_answers
from engine.costs import COSTLESS_FIELDS, FlowCosts, flow_costs
from engine.load import parse_yaml
from engine.models import Answers, FlowInputs, resolve
from engine.policy.loading import Policy
from engine.staffing import WEEKS_PER_MONTH, paid_hours_per_fte, queue

FLAT = {"coverage_hours_needed": 50, "peak_ratio": 1.0}


def inputs(organisation: dict[str, Any] | None = None, **flow: Any) -> FlowInputs:
    fields = {"id": "flow", "channel": "phone", "monthly_volume": 40000, "aht_seconds": 240, **flow}
    return resolve(Answers.model_validate({"organisation": organisation or {}, "flows": [fields]}))[0]


def costs(policy: Policy, organisation: dict[str, Any] | None = None, **flow: Any) -> FlowCosts:
    return flow_costs(inputs(organisation, **flow), policy.costs)


def inhouse_productive_hour(c: FlowCosts) -> float:
    return c.inhouse_cost_monthly / c.on_queue_hours


class TestPricingForms:
    """Each form of quote is priced on the work this flow needs."""

    def test_per_contact(self, policy: Policy) -> None:
        """A per-contact price bills every contact."""
        c = costs(policy, **FLAT, vendor_quote={"per_contact": 2.0})
        assert c.options["outsource"].provider_monthly == pytest.approx(2.0 * 40000)

    def test_per_minute(self, policy: Policy) -> None:
        """A per-minute price bills the handled minutes."""
        c = costs(policy, **FLAT, vendor_quote={"per_minute": 0.5})
        assert c.options["outsource"].provider_monthly == pytest.approx(0.5 * 4 * 40000)

    def test_per_hour_bills_the_staffed_hours(self, policy: Policy) -> None:
        """A per-hour price on a dedicated team bills the hours the provider staffs for this flow, the
        same Erlang C hours the in-house team is on queue (not the workload at a pooled occupancy)."""
        c = costs(policy, **FLAT, vendor_quote={"per_hour": 20.0})
        assert c.options["outsource"].provider_monthly == pytest.approx(20.0 * c.on_queue_hours, rel=1e-6)
        assert c.on_queue_hours > c.workload_hours / policy.costs.max_occupancy

    def test_per_fte_month_is_an_hour_price_over_productive_hours(self, policy: Policy) -> None:
        """A price per FTE a month is the price of the productive hours of one full-time agent."""
        a = policy.costs
        productive = paid_hours_per_fte("MA", a) * (1 - a.shrinkage)
        by_fte = costs(policy, **FLAT, vendor_quote={"per_fte_month": 2300}, provider_country="MA")
        by_hour = costs(policy, **FLAT, vendor_quote={"per_hour": 2300 / productive}, provider_country="MA")
        assert by_fte.options["outsource"].provider_monthly == pytest.approx(
            by_hour.options["outsource"].provider_monthly)

    def test_below_a_dedicated_team_the_hours_the_flow_needs(self, policy: Policy) -> None:
        """Below the dedicated minimum, an hourly price still bills the hours this flow needs, staffed
        as in-house would staff them (no pooling with the provider's other clients, no seat minimum)."""
        c = costs(policy, **FLAT, monthly_volume=300, vendor_quote={"per_hour": 20.0})
        assert c.options["outsource"].provider_monthly == pytest.approx(20.0 * c.on_queue_hours, rel=1e-6)

    def test_a_dedicated_team_keeps_its_minimum_of_seats(self, policy: Policy) -> None:
        """A dedicated team (enough work on average over the year) is billed at least its minimum of
        seats in the quieter months; the minimum phases in from nothing at an average of exactly the
        minimum to all of it at twice the minimum, so that the bill never jumps as the flow grows."""
        a = policy.costs
        per_fte = paid_hours_per_fte("FR", a) * (1 - a.shrinkage)
        seats = a.min_dedicated_fte * per_fte
        for volume, full in ((3000, False), (9000, False), (20000, True)):
            # a peak of 5: two months at 5 times the average, the ten others at 0.2 times
            c = costs(policy, coverage_hours_needed=50, peak_ratio=5.0, monthly_volume=volume,
                      vendor_quote={"per_hour": 20.0})
            peak = queue(volume * 5, 240, True, 50, a).on_queue_hours
            quiet = queue(volume * 0.2, 240, True, 50, a).on_queue_hours
            mean = (2 * peak + 10 * quiet) / 12
            floor = min(seats, max(0.0, mean - seats))
            assert (floor == seats) == full and (floor == 0) == (mean <= seats)
            expected = (2 * max(peak, floor) + 10 * max(quiet, floor)) / 12 * 20.0
            assert c.options["outsource"].provider_monthly == pytest.approx(expected)
        assert floor > quiet  # at 20,000 a month, the quiet months are billed the minimum

    def test_no_jump_at_the_dedicated_minimum(self, policy: Policy) -> None:
        """Around the volume at which the busiest month needs the provider's minimum of seats, the bill
        grows smoothly: 1 % more contacts never costs 10 % more."""
        bills = [costs(policy, coverage_hours_needed=50, peak_ratio=3.0, monthly_volume=volume,
                       vendor_quote={"per_hour": 20.0}).options["outsource"].provider_monthly
                 for volume in range(1000, 4000, 30)]
        assert all(after < before * 1.1 for before, after in zip(bills, bills[1:]))

    def test_minimum_monthly(self, policy: Policy) -> None:
        """A provider's minimum monthly billing applies when the work bills less."""
        c = costs(policy, **FLAT, monthly_volume=300, vendor_quote={"per_contact": 2.0}, minimum_monthly=5000)
        assert c.options["outsource"].provider_monthly == pytest.approx(5000)

    @pytest.mark.parametrize("factor", [1.0, 1.01, 1.5, 3.0])
    def test_no_saving_at_or_above_the_inhouse_hour(self, policy: Policy, factor: float) -> None:
        """A provider hour at or above the in-house cost of an hour on queue never shows a saving at
        equal occupancy, whatever the size of the flow."""
        for volume in (6000, 40000, 400000):
            flat = costs(policy, **FLAT, monthly_volume=volume)
            price = inhouse_productive_hour(flat) * factor
            c = costs(policy, **FLAT, monthly_volume=volume, vendor_quote={"per_hour": price})
            assert c.savings_pct is not None and c.savings_pct < 0


class TestContractTerms:
    """Transition, governance, exit and the contract term are part of the provider's all-in cost."""

    def test_answered_terms_are_used(self, policy: Policy) -> None:
        """An answered transition and exit cost are the one-off; the term spreads it."""
        c = costs(policy, **FLAT, vendor_quote={"per_contact": 2.0}, transition_cost=120000, exit_cost=60000,
                  contract_months=24)
        out = c.options["outsource"]
        assert out.one_off == pytest.approx(180000)
        assert out.per_contact == pytest.approx((out.monthly + 180000 / 24) / 40000)
        assert out.term_total == pytest.approx(out.monthly * 24 + 180000)
        assert out.payback_months == pytest.approx(180000 / (c.inhouse_cost_monthly - out.monthly))

    def test_longer_contract_spreads_the_one_off(self, policy: Policy) -> None:
        """The same one-off weighs less in the saving over a longer contract."""
        short = costs(policy, **FLAT, vendor_quote={"per_contact": 2.0}, contract_months=12)
        long = costs(policy, **FLAT, vendor_quote={"per_contact": 2.0}, contract_months=48)
        assert long.savings_pct > short.savings_pct

    def test_governance_has_a_floor(self, policy: Policy) -> None:
        """Even a small contract needs the policy's minimum of vendor-management hours."""
        c = costs(policy, **FLAT, monthly_volume=100, vendor_quote={"per_contact": 2.0})
        assert c.options["outsource"].governance_monthly == pytest.approx(
            policy.costs.governance_min_hours * 32.0)

    def test_exit_cost_follows_the_country(self, policy: Policy) -> None:
        """Releasing staff costs more where dismissal is more protected (default exit cost)."""
        fr = costs(policy, {"country": "FR"}, **FLAT, vendor_quote={"per_contact": 2.0})
        us = costs(policy, {"country": "US"}, **FLAT, vendor_quote={"per_contact": 2.0})
        assert fr.options["outsource"].exit_cost / fr.fte_needed > us.options["outsource"].exit_cost / us.fte_needed


class TestSplitTerms:
    """Contract terms answered for the whole flow are shared out by what a split moves."""

    def test_answered_one_offs_in_proportion(self, policy: Policy) -> None:
        """A tier-1 split moving 40 % of the contacts carries 40 % of the answered transition, and the
        exit cost of the share of the team it releases."""
        c = costs(policy, **FLAT, vendor_quote={"per_contact": 1.5}, routine_share_pct=40,
                  transition_cost=100000, exit_cost=50000)
        tier1 = c.options["tier1"]
        assert tier1.transition_cost == pytest.approx(40000)
        assert tier1.exit_cost == pytest.approx(50000 * (c.fte_needed - tier1.inhouse_fte) / c.fte_needed)
        assert c.options["outsource"].exit_cost == pytest.approx(50000)

    def test_minimum_billing_holds_in_quiet_months(self, policy: Policy) -> None:
        """An overflow contract's minimum monthly billing is paid in the months without overflow too."""
        c = costs(policy, **{**FLAT, "peak_ratio": 1.5}, vendor_quote={"per_contact": 1.5}, minimum_monthly=1000)
        free = costs(policy, **{**FLAT, "peak_ratio": 1.5}, vendor_quote={"per_contact": 1.5})
        extra = c.options["overflow"].provider_monthly - free.options["overflow"].provider_monthly
        assert extra == pytest.approx(1000 * 10 / 12)  # ten quiet months at the minimum

    def test_seasonal_governance_follows_the_average_team(self, policy: Policy) -> None:
        """Governance of an overflow provider is sized on its team over the year, not at its peak."""
        a = policy.costs
        c = costs(policy, **{**FLAT, "peak_ratio": 2.0}, monthly_volume=200000, vendor_quote={"per_contact": 1.5})
        overflow = c.options["overflow"]
        at_peak = a.governance_fte_ratio * overflow.provider_fte * paid_hours_per_fte("FR", a) * 32.0
        assert overflow.governance_monthly < at_peak / 4


class TestInHouse:
    """The in-house cost: country hours, peaks in full, the headcount paid, chat concurrency."""

    @pytest.mark.parametrize("country, weekly", [("FR", 35), ("US", 40), ("GB", 37.5), ("MA", 44), ("IN", 48)])
    def test_paid_hours_by_country(self, policy: Policy, country: str, weekly: float) -> None:
        """An FTE is paid the country's full-time week."""
        c = costs(policy, {"country": country}, **FLAT)
        assert c.paid_hours / c.fte_needed == pytest.approx(weekly * WEEKS_PER_MONTH)

    def test_fewer_ftes_where_the_week_is_longer(self, policy: Policy) -> None:
        """The same work needs fewer US FTEs than French ones (40 h against 35 h)."""
        assert costs(policy, {"country": "US"}, **FLAT).fte_needed < costs(policy, {"country": "FR"}, **FLAT).fte_needed

    def test_peaks_cost_more_than_overtime_premium_alone(self, policy: Policy) -> None:
        """A 2.4 peak costs far more than the 25 % premium on the extra hours alone."""
        flat = costs(policy, **FLAT)
        peaky = costs(policy, **{**FLAT, "peak_ratio": 2.4})
        assert peaky.inhouse_cost_monthly > 1.15 * flat.inhouse_cost_monthly

    def test_without_temps_the_service_level_drops(self, policy: Policy) -> None:
        """A paid headcount without temporary staff serves the peak at a lower service level."""
        c = costs(policy, {"temp_staff_available": False}, **{**FLAT, "peak_ratio": 2.0}, current_fte=40)
        assert c.temp_cost == 0
        assert c.peak_service_level is not None and c.peak_service_level < policy.costs.service_level_target

    def test_current_fte_anchors_the_cost(self, policy: Policy) -> None:
        """The headcount paid is the cost; the model's staffing is shown beside it with the gap."""
        modelled = costs(policy, **FLAT)
        paid = costs(policy, **FLAT, current_fte=modelled.fte_needed * 2)
        assert paid.fte_needed == pytest.approx(modelled.fte_needed * 2)
        assert paid.fte_model == pytest.approx(modelled.fte_needed)
        assert paid.fte_gap_pct == pytest.approx(100)
        assert paid.inhouse_cost_monthly > 1.9 * modelled.inhouse_cost_monthly

    def test_chat_concurrency(self, policy: Policy) -> None:
        """Two chats at once need fewer agents than one at a time, and a chat costs less than a call."""
        one = costs(policy, **FLAT, channel="chat", concurrency=1)
        two = costs(policy, **FLAT, channel="chat", concurrency=2)
        phone = costs(policy, **FLAT, channel="phone")
        assert two.fte_needed < one.fte_needed
        assert costs(policy, **FLAT, channel="chat").inhouse_cost_monthly < phone.inhouse_cost_monthly

    def test_opportunity_cost_is_an_answer(self, policy: Policy) -> None:
        """The opportunity cost of the team's time counts only when answered."""
        none = costs(policy, **FLAT)
        some = costs(policy, {"opportunity_cost_per_hour": 5}, **FLAT)
        assert none.opportunity_cost == 0
        assert some.opportunity_cost == pytest.approx(5 * some.paid_hours)


class TestSplits:
    """Each split is costed on its own terms against keeping the whole flow in-house."""

    def test_overflow_keeps_the_base_team(self, policy: Policy) -> None:
        """Overflow: the provider takes the contacts above the average month; the in-house part is
        cheaper than keeping the peaks."""
        c = costs(policy, **{**FLAT, "peak_ratio": 1.9}, vendor_quote={"per_contact": 1.5})
        overflow = c.options["overflow"]
        assert overflow.provider_share_pct == pytest.approx(100 * 2 * 0.9 / 12)
        assert overflow.inhouse_monthly < c.inhouse_cost_monthly
        assert overflow.saving_pct is not None and overflow.saving_pct > 0

    @pytest.mark.parametrize("headcount", [5.0, 9.0, 30.0])
    def test_overflow_keeps_no_more_than_the_team_paid_today(self, policy: Policy, headcount: float) -> None:
        """With a headcount given, the overflow's in-house team is at most that team, and the provider
        takes what it cannot handle: at least the contacts above the average month."""
        c = costs(policy, **{**FLAT, "peak_ratio": 1.9}, monthly_volume=12000, current_fte=headcount,
                  vendor_quote={"per_contact": 1.5})
        overflow = c.options["overflow"]
        assert overflow.inhouse_fte <= headcount + 1e-9
        assert overflow.provider_share_pct >= 100 * 2 * 0.9 / 12 - 1e-9

    def test_no_overflow_without_peaks(self, policy: Policy) -> None:
        assert "overflow" not in costs(policy, **FLAT, vendor_quote={"per_contact": 1.5}).options

    def test_after_hours_beyond_the_opening_hours(self, policy: Policy) -> None:
        """After hours: the provider answers the hours beyond the opening hours, at a share of contacts
        set by the quieter evenings; not offered for a backlog channel."""
        c = costs(policy, {"opening_hours_per_week": 50}, coverage_hours_needed=100,
                  vendor_quote={"per_contact": 1.5})
        intensity = policy.costs.after_hours_intensity
        assert c.options["after_hours"].provider_share_pct == pytest.approx(100 * 50 * intensity / (50 + 50 * intensity))
        email = costs(policy, {"opening_hours_per_week": 50}, channel="email", coverage_hours_needed=100,
                      vendor_quote={"per_contact": 1.5})
        assert "after_hours" not in email.options

    @pytest.mark.parametrize("answer, share", [(None, 85), (40, 40)])
    def test_tier1_routine_share(self, policy: Policy, answer: float | None, share: float) -> None:
        """Tier 1: the routine share (answered, or by activity) goes to the provider."""
        extra = {} if answer is None else {"routine_share_pct": answer}
        c = costs(policy, **FLAT, activity="order_taking", vendor_quote={"per_contact": 1.5}, **extra)
        assert c.options["tier1"].provider_share_pct == pytest.approx(share)

    def test_keep_internal_is_the_reference(self, policy: Policy) -> None:
        c = costs(policy, **FLAT, vendor_quote={"per_contact": 1.5})
        keep = c.options["keep_internal"]
        assert keep.saving_pct == 0 and keep.one_off == 0
        assert keep.monthly == pytest.approx(c.inhouse_cost_monthly)


money = st.floats(min_value=0.2, max_value=5.0)


class TestProperties:
    """Properties over generated flows."""

    @settings(max_examples=30, deadline=None)
    @given(scale=money, peak=st.floats(min_value=1.0, max_value=3.0), hours=st.sampled_from([40, 50, 84, 168]),
           form=st.sampled_from(["per_contact", "per_hour", "per_minute", "per_fte_month"]))
    def test_costs_scale_with_money(self, policy: Policy, scale: float, peak: float, hours: int, form: str) -> None:
        """Every cost scales with every monetary input: a change of currency moves no saving."""
        price = {"per_contact": 2.0, "per_hour": 18.0, "per_minute": 0.5, "per_fte_month": 2500.0}[form]
        base = costs(policy, {"loaded_hourly_cost": 30}, peak_ratio=peak, coverage_hours_needed=hours,
                     vendor_quote={form: price}, transition_cost=50000)
        scaled = costs(policy, {"loaded_hourly_cost": 30 * scale}, peak_ratio=peak, coverage_hours_needed=hours,
                       vendor_quote={form: price * scale}, transition_cost=50000 * scale)
        assert scaled.inhouse_cost_monthly == pytest.approx(base.inhouse_cost_monthly * scale, rel=1e-9)
        for name, option in base.options.items():
            assert scaled.options[name].saving_pct == pytest.approx(option.saving_pct, abs=1e-7)

    @settings(max_examples=60, deadline=None)
    @given(volume=st.integers(min_value=50, max_value=300000), aht=st.integers(min_value=30, max_value=1800),
           channel=st.sampled_from(["phone", "chat", "email", "letter", "social", "other"]),
           country=st.sampled_from(["FR", "US", "GB", "DE", "MA", "PH", "IN", "BR"]),
           turnover=st.floats(min_value=0, max_value=100), absent=st.floats(min_value=0, max_value=20),
           factor=st.floats(min_value=1.0, max_value=3.0), form=st.sampled_from(["per_hour", "per_fte_month"]))
    def test_no_saving_at_or_above_the_inhouse_hour_anywhere(self, policy: Policy, volume: int, aht: int,
                                                            channel: str, country: str, turnover: float,
                                                            absent: float, factor: float, form: str) -> None:
        """On any flow without peaks, answered within the opening hours, a provider hour priced at or
        above the in-house cost of an hour on queue shows no saving (equal occupancy, like for like)."""
        organisation = {"country": country, "annual_turnover_pct": turnover, "absenteeism_pct": absent,
                        "opening_hours_per_week": 50}
        flow = {"monthly_volume": volume, "aht_seconds": aht, "channel": channel, **FLAT}
        flat = costs(policy, organisation, **flow)
        hour = inhouse_productive_hour(flat) * factor
        a = policy.costs
        price = hour if form == "per_hour" else hour * paid_hours_per_fte(country, a) * (1 - a.shrinkage)
        quoted = costs(policy, organisation, **flow, vendor_quote={form: price})
        assert quoted.savings_pct is not None and quoted.savings_pct < 0

    @settings(max_examples=30, deadline=None)
    @given(price=st.floats(min_value=0.5, max_value=10), more=st.floats(min_value=0.01, max_value=5),
           peak=st.floats(min_value=1.0, max_value=3.0), volume=st.integers(min_value=50, max_value=200000))
    def test_a_dearer_provider_never_saves_more(self, policy: Policy, price: float, more: float, peak: float,
                                                volume: int) -> None:
        cheap = costs(policy, monthly_volume=volume, peak_ratio=peak, vendor_quote={"per_contact": price})
        dear = costs(policy, monthly_volume=volume, peak_ratio=peak, vendor_quote={"per_contact": price + more})
        for name, option in cheap.options.items():
            assert dear.options[name].saving_pct <= option.saving_pct + 1e-9

    @settings(max_examples=60, deadline=None)
    @given(volume=st.integers(min_value=20, max_value=300000), more=st.floats(min_value=1.01, max_value=4),
           channel=st.sampled_from(["phone", "chat"]), hours=st.sampled_from([35, 50, 84, 168]))
    def test_more_volume_never_raises_the_cost_per_contact(self, policy: Policy, volume: int, more: float,
                                                           channel: str, hours: int) -> None:
        """A real-time flow's in-house cost per contact never rises with its volume."""
        small = costs(policy, monthly_volume=volume, channel=channel, coverage_hours_needed=hours)
        large = costs(policy, monthly_volume=int(volume * more), channel=channel, coverage_hours_needed=hours)
        assert large.inhouse_cost_per_contact <= small.inhouse_cost_per_contact * (1 + 1e-9)


FLOW = "flows:\n  - id: a\n    channel: phone\n    monthly_volume: 1000\n    aht_seconds: 200\n"


class TestBadInput:
    @pytest.mark.parametrize("extra, field, expected", [
        pytest.param("    contract_months: 0\n", "flows[0].contract_months", "expected a number at least 1",
                     id="contract-of-zero"),
        pytest.param("    transition_cost: -5\n", "flows[0].transition_cost", "expected a number at least 0",
                     id="negative-transition"),
        pytest.param("    monthly_profile: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]\n", "flows[0].monthly_profile",
                     "has 11 values, expected 12", id="profile-of-eleven"),
        pytest.param("    routine_share_pct: 140\n", "flows[0].routine_share_pct", "expected a number at most 100",
                     id="routine-share-140"),
        pytest.param("    concurrency: 2\n", "flows[0].concurrency", "for chat only", id="concurrency-on-phone"),
        pytest.param("    peak_ratio: 3\n    monthly_profile: [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2]\n", "flows[0]",
                     "disagrees with monthly_profile", id="profile-against-peak"),
    ])
    def test_refused_with_line_and_field(self, extra: str, field: str, expected: str) -> None:
        """Each bad answer is reported with file, line, field and what was expected."""
        with pytest.raises(AnswersError) as info:
            validate_answers(parse_yaml(FLOW + extra, "a.yaml"))
        problems = info.value.problems
        assert any(p.file == "a.yaml" and p.line is not None and p.path == field and expected in p.message
                   for p in problems), problems


class TestCostlessFields:
    """The answers the cost model is declared not to read (tipping points reuse the costs of a flow
    whose variants change only these) leave every cost unchanged."""

    @pytest.mark.parametrize("name, value", [
        ("name", "Another name"), ("volume_predictability", "low"), ("repetitiveness", "low"),
        ("scripting", "low"), ("complexity", "high"), ("data_sensitivity", "high"),
        ("regulated_data", ["health"]), ("brand_criticality", "high"), ("customer_value", "high"),
        ("unique_know_how", True), ("skill_gap", True), ("customers_expect_local", True),
        ("provider_certifications", ["iso27001"]), ("languages", ["fr"]),
    ])
    def test_same_costs(self, policy: Policy, name: str, value: Any) -> None:
        base = {"peak_ratio": 1.6, "coverage_hours_needed": 84, "vendor_quote": {"per_contact": 2.0},
                "activity": "support_level1", "current_fte": 20}
        assert name in COSTLESS_FIELDS
        assert costs(policy, **base, **{name: value}) == costs(policy, **base)

    def test_every_name_is_a_field(self) -> None:
        """The list names answers of a flow, none misspelt."""
        from engine.models import Flow
        assert COSTLESS_FIELDS < set(Flow.model_fields)
