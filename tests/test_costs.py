"""The cost model: staffing, in-house cost with hidden costs, provider cost, savings.

Every expected figure is computed here by hand from the policy's cost assumptions
(``policy.costs``), so the tests hold whatever values ``rules/parameters.yaml`` sets.
"""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from engine import erlang
from engine.costs import WEEKS_PER_MONTH, CostAssumptions, FlowCosts, flow_costs
from engine.models import Answers, FlowInputs, resolve
from engine.policy.loading import Policy


def inputs(organisation: dict[str, Any] | None = None, **flow: Any) -> FlowInputs:
    """One flow's resolved inputs: 12,000 phone contacts a month at 240 s unless told otherwise."""
    fields = {"id": "flow", "channel": "phone", "monthly_volume": 12000, "aht_seconds": 240, **flow}
    answers = Answers.model_validate({"organisation": organisation or {}, "flows": [fields]})
    return resolve(answers)[0]


def costs(policy: Policy, organisation: dict[str, Any] | None = None, **flow: Any) -> FlowCosts:
    return flow_costs(inputs(organisation, **flow), policy.costs)


class TestSizing:
    """Real-time channels are sized with Erlang C at the busiest hour, deferred ones from workload."""

    def test_real_time_costs_more_than_deferred(self, policy: Policy) -> None:
        """The same work costs more on the phone than by email: the busiest hour sets the staffing."""
        phone, email = costs(policy, channel="phone"), costs(policy, channel="email")
        assert phone.on_queue_hours > email.on_queue_hours
        assert phone.inhouse_cost_monthly > email.inhouse_cost_monthly

    def test_base_cost_and_cost_per_contact(self, policy: Policy) -> None:
        """The base cost is paid hours at the loaded rate; the cost per contact adds hidden costs."""
        result = costs(policy, {"loaded_hourly_cost": 30})
        assert result.base_cost == pytest.approx(result.paid_hours * 30)
        assert result.inhouse_cost_monthly == pytest.approx(result.base_cost + result.hidden_cost)
        assert result.inhouse_cost_per_contact == pytest.approx(result.inhouse_cost_monthly / 12000)

    def test_flow_rate_overrides_organisation(self, policy: Policy) -> None:
        """A flow's own loaded hourly cost replaces the organisation's."""
        result = costs(policy, {"loaded_hourly_cost": 30}, loaded_hourly_cost=45)
        assert result.base_cost == pytest.approx(result.paid_hours * 45)


class TestHiddenCosts:
    """Turnover, absenteeism and overtime at peaks, on top of the base cost."""

    def test_turnover_cost_by_hand(self, policy: Policy) -> None:
        """Each leaver costs the replacement hours at the loaded rate, spread over twelve months."""
        a = policy.costs
        result = costs(policy, {"loaded_hourly_cost": 30, "annual_turnover_pct": 36})
        assert result.turnover_cost == pytest.approx(result.fte_needed * 0.36 * a.replacement_cost_hours * 30 / 12)

    def test_absence_cost_by_hand(self, policy: Policy) -> None:
        """Absence of a share ``a`` of paid hours costs ``a / (1 - a)`` of the base in replacements."""
        result = costs(policy, {"absenteeism_pct": 10})
        assert result.absence_cost == pytest.approx(result.base_cost * 0.10 / 0.90)

    @pytest.mark.parametrize("answer,cost,low,high", [
        pytest.param("annual_turnover_pct", "turnover_cost", 0, 20, id="turnover-none-to-some"),
        pytest.param("annual_turnover_pct", "turnover_cost", 20, 40, id="turnover-some-to-more"),
        pytest.param("annual_turnover_pct", "turnover_cost", 40, 120, id="turnover-more-to-extreme"),
        pytest.param("absenteeism_pct", "absence_cost", 0, 5, id="absence-none-to-some"),
        pytest.param("absenteeism_pct", "absence_cost", 5, 10, id="absence-some-to-more"),
        pytest.param("absenteeism_pct", "absence_cost", 10, 30, id="absence-more-to-extreme"),
    ])
    def test_grow_with_turnover_and_absence(self, policy: Policy, answer: str, cost: str,
                                            low: float, high: float) -> None:
        """Higher turnover or absenteeism gives a higher cost of its own and a larger hidden share."""
        before = costs(policy, {answer: low})
        after = costs(policy, {answer: high})
        assert getattr(after, cost) > getattr(before, cost)
        assert after.hidden_cost > before.hidden_cost
        assert after.hidden_cost_pct > before.hidden_cost_pct
        if answer == "annual_turnover_pct":
            assert after.base_cost == pytest.approx(before.base_cost)

class TestSavings:
    """Savings % = 1 - provider cost / in-house cost."""

    @pytest.mark.parametrize("quote,sign", [
        pytest.param({"per_contact": 0.50}, 1, id="cheap-provider-saves"),
        pytest.param({"per_contact": 50.0}, -1, id="dear-provider-costs-more"),
    ])
    def test_sign(self, policy: Policy, quote: dict[str, float], sign: int) -> None:
        """A provider cheaper than in-house gives a positive saving, a dearer one a negative saving."""
        result = costs(policy, vendor_quote=quote)
        assert result.savings_pct is not None
        assert result.savings_pct * sign > 0

    def test_by_hand(self, policy: Policy) -> None:
        """The saving compares the provider's cost per contact with the in-house one."""
        result = costs(policy, vendor_quote={"per_contact": 2.0})
        assert result.inhouse_cost_per_contact is not None and result.provider_cost_per_contact is not None
        expected = 100 * (1 - result.provider_cost_per_contact / result.inhouse_cost_per_contact)
        assert result.savings_pct == pytest.approx(expected)

class TestZeroVolume:
    """A flow with no contacts costs nothing and has no cost per contact."""

    @pytest.mark.parametrize("channel", ["phone", "chat", "email", "letter"])
    @pytest.mark.parametrize("quote", [
        pytest.param(None, id="no-quote"),
        pytest.param({"per_contact": 2.0}, id="per-contact"),
        pytest.param({"per_minute": 0.5}, id="per-minute"),
        pytest.param({"per_hour": 20.0}, id="per-hour"),
    ])
    def test_no_cost_per_contact(self, policy: Policy, channel: str, quote: dict[str, float] | None) -> None:
        """Zero volume gives no cost per contact, no provider cost, no saving, and no crash."""
        flow: dict[str, Any] = {"channel": channel, "monthly_volume": 0}
        if quote is not None:
            flow["vendor_quote"] = quote
        result = costs(policy, **flow)
        assert result.workload_hours == 0
        assert result.inhouse_cost_monthly == 0
        assert result.inhouse_cost_per_contact is None
        assert result.provider_cost_per_contact is None
        assert result.provider_cost_monthly is None
        assert result.savings_pct is None
        assert result.hidden_cost_pct == 0


class TestPeaksAndHours:
    """The overflow a provider can absorb and the hours the in-house team does not open."""

    @pytest.mark.parametrize("ratio,overflow", [
        pytest.param(1.0, 0.0, id="flat"),
        pytest.param(1.25, 20.0, id="quarter-above"),
        pytest.param(2.0, 50.0, id="double"),
    ])
    def test_overflow(self, policy: Policy, ratio: float, overflow: float) -> None:
        """The overflow is the share of the peak month above the average month."""
        assert costs(policy, peak_ratio=ratio).overflow_pct == pytest.approx(overflow)

    @pytest.mark.parametrize("opening,needed,gap", [
        pytest.param(50, 60, 10, id="ten-hours-missing"),
        pytest.param(50, 50, 0, id="same-hours"),
        pytest.param(50, 40, 0, id="fewer-hours-needed"),
        pytest.param(0, 168, 168, id="no-team-round-the-clock"),
    ])
    def test_coverage_gap(self, policy: Policy, opening: float, needed: float, gap: float) -> None:
        """The gap is the weekly hours needed beyond the in-house opening hours, never negative."""
        result = costs(policy, {"opening_hours_per_week": opening}, coverage_hours_needed=needed)
        assert result.coverage_gap_hours == gap

    def test_no_gap_by_default(self, policy: Policy) -> None:
        """A flow that does not say its hours is answered during the opening hours: no gap."""
        assert costs(policy, {"opening_hours_per_week": 45}).coverage_gap_hours == 0


class TestCostAssumptions:
    """The cost model's parameters are checked when the policy is loaded."""

    def test_policy_values(self, policy: Policy) -> None:
        """The policy's assumptions are the values of rules/parameters.yaml."""
        for name in CostAssumptions.model_fields:
            assert getattr(policy.costs, name) == policy.param(name)

    @pytest.mark.parametrize("name,value", [
        pytest.param("shrinkage", 1.0, id="shrinkage-all-paid-time"),
        pytest.param("max_occupancy", 0.0, id="no-occupancy"),
        pytest.param("max_occupancy", 1.2, id="occupancy-above-one"),
        pytest.param("service_level_target", 1.0, id="every-contact-in-time"),
        pytest.param("intraday_peak_factor", 0.5, id="busy-hour-below-average"),
        pytest.param("peak_months_per_year", 13, id="thirteen-months"),
        pytest.param("paid_hours_per_fte_month", 0, id="no-paid-hours"),
    ])
    def test_out_of_range(self, policy: Policy, name: str, value: float) -> None:
        """A value the cost model cannot use is refused."""
        with pytest.raises(ValidationError, match=name):
            CostAssumptions.model_validate({**policy.costs.model_dump(), name: value})
