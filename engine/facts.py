"""The facts a rule can name, with their types, and a flow's facts as one flat mapping.

Three kinds: answers (a flow's fields with organisation values resolved, plus
the organisation's own), cost metrics (``costs.FlowCosts``) and derived facts
(declared in the policy, false until a rule derives them). A value that is not
known (no quote, no provider country) is absent: a comparison on it is false.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any, Literal, get_args

from .costs import NOT_FACTS, FlowCosts
from .models import (Activity, Certification, Channel, FlowInputs, Level, RegulatedData)

Kind = Literal["number", "bool", "enum", "text", "list"]


@dataclass(frozen=True)
class FactType:
    """What a fact holds: its kind, its allowed values, and whether it may be unknown."""

    kind: Kind
    values: tuple[str, ...] = ()
    optional: bool = False
    source: Literal["answers", "metrics", "derived"] = "answers"


def _enum(cls: type[Enum]) -> FactType:
    return FactType("enum", tuple(str(m.value) for m in cls))


def _list(cls: type[Enum]) -> FactType:
    return FactType("list", tuple(str(m.value) for m in cls))


ANSWER_FACTS: dict[str, FactType] = {
    "channel": _enum(Channel),
    "activity": _enum(Activity),
    "monthly_volume": FactType("number"),
    "aht_seconds": FactType("number"),
    "peak_ratio": FactType("number"),
    "volume_predictability": _enum(Level),
    "repetitiveness": _enum(Level),
    "scripting": _enum(Level),
    "complexity": _enum(Level),
    "data_sensitivity": _enum(Level),
    "regulated_data": _list(RegulatedData),
    "brand_criticality": _enum(Level),
    "customer_value": _enum(Level),
    "unique_know_how": FactType("bool"),
    "skill_gap": FactType("bool"),
    "coverage_hours_needed": FactType("number"),
    "customers_expect_local": FactType("bool"),
    "current_fte": FactType("number", optional=True),
    "has_vendor_quote": FactType("bool"),
    "provider_country": FactType("text", optional=True),
    "provider_is_local": FactType("bool", optional=True),
    "provider_certifications": _list(Certification),
    "loaded_hourly_cost": FactType("number"),
    "annual_turnover_pct": FactType("number"),
    "absenteeism_pct": FactType("number"),
    "country": FactType("text"),
    "currency": FactType("text"),
    "opening_hours_per_week": FactType("number"),
    # The flow's languages that the provider's country does not commonly serve (the policy's table
    # languages_by_country): unknown without a provider country, languages or an entry in the table.
    "unserved_languages": FactType("number", optional=True),
    "unserved_language_list": FactType("text", optional=True),
}

METRIC_FACTS: dict[str, FactType] = {
    name: FactType("number", optional=type(None) in get_args(info.annotation), source="metrics")
    for name, info in FlowCosts.model_fields.items() if name not in NOT_FACTS
}


# Facts that may be unknown, and what their being known implies is known too (from the cost
# model: a saving needs both costs; a provider cost needs a quote and a volume).
KNOWN_WITH: dict[str, frozenset[str]] = {
    "savings_pct": frozenset({"provider_cost_per_contact", "provider_cost_monthly", "inhouse_cost_per_contact",
                              "one_off_cost"}),
    "one_off_cost": frozenset({"savings_pct", "provider_cost_per_contact", "provider_cost_monthly",
                               "inhouse_cost_per_contact"}),
    "provider_cost_per_contact": frozenset({"provider_cost_monthly", "inhouse_cost_per_contact", "savings_pct",
                                            "one_off_cost"}),
    "provider_cost_monthly": frozenset({"provider_cost_per_contact", "inhouse_cost_per_contact", "savings_pct",
                                        "one_off_cost"}),
    "fte_gap_pct": frozenset({"current_fte"}),
    # A split's share of contacts is known whenever the split is possible, quote or not.
    "saving_overflow_pct": frozenset({"overflow_share_pct"}),
    "saving_after_hours_pct": frozenset({"after_hours_share_pct"}),
    "saving_tier1_pct": frozenset({"tier1_share_pct"}),
    "provider_country": frozenset({"provider_is_local"}),
    "unserved_languages": frozenset({"unserved_language_list", "provider_country", "provider_is_local"}),
    "unserved_language_list": frozenset({"unserved_languages", "provider_country", "provider_is_local"}),
    "provider_is_local": frozenset({"provider_country"}),
    "agents_busy_hour": frozenset({"busy_hour_contacts", "service_level"}),
    "busy_hour_contacts": frozenset({"agents_busy_hour", "service_level"}),
    "service_level": frozenset({"agents_busy_hour", "busy_hour_contacts"}),
}


# Field names the engine itself puts in a flow's fact.
RESERVED_NAMES = frozenset({"sid", "id", "flow"})


def fact_types(derived: dict[str, Any]) -> dict[str, FactType]:
    """Every fact a rule may name, given the policy's derived facts."""
    types = {**ANSWER_FACTS, **METRIC_FACTS}
    types.update({name: FactType("bool", source="derived") for name in derived})
    return types


def flatten_key(fact: str, item: str) -> str:
    """The engine's field for ``item in fact`` on a list fact."""
    return f"{fact}__{item}"


def snapshot(inputs: FlowInputs, costs: FlowCosts | Mapping[str, Any],
             languages_by_country: dict[str, list[str]] | None = None) -> dict[str, Any]:
    """A flow's answers and metrics as one flat mapping of JSON values (unknowns left out), with the
    languages the provider's country does not commonly serve (from ``languages_by_country``)."""
    flow, org = inputs.flow, inputs.organisation
    facts: dict[str, Any] = {
        "channel": flow.channel.value,
        "activity": flow.activity.value,
        "monthly_volume": flow.monthly_volume,
        "aht_seconds": flow.aht_seconds,
        "peak_ratio": flow.busiest_over_average,
        "volume_predictability": flow.volume_predictability.value,
        "repetitiveness": flow.repetitiveness.value,
        "scripting": flow.scripting.value,
        "complexity": flow.complexity.value,
        "data_sensitivity": flow.data_sensitivity.value,
        "brand_criticality": flow.brand_criticality.value,
        "customer_value": flow.customer_value.value,
        "unique_know_how": flow.unique_know_how,
        "skill_gap": flow.skill_gap,
        "coverage_hours_needed": inputs.coverage_hours_needed,
        "customers_expect_local": flow.customers_expect_local,
        "has_vendor_quote": flow.vendor_quote is not None,
        "loaded_hourly_cost": inputs.loaded_hourly_cost,
        "annual_turnover_pct": inputs.annual_turnover_pct,
        "absenteeism_pct": inputs.absenteeism_pct,
        "country": org.country,
        "currency": org.currency,
        "opening_hours_per_week": org.opening_hours_per_week,
        "regulated_data": [v.value for v in flow.regulated_data],
        "provider_certifications": [v.value for v in flow.provider_certifications],
    }
    if flow.current_fte is not None:
        facts["current_fte"] = flow.current_fte
    if flow.provider_country is not None:
        facts["provider_country"] = flow.provider_country
        facts["provider_is_local"] = flow.provider_country == org.country
        served = (languages_by_country or {}).get(flow.provider_country)
        if served is not None and flow.languages:
            unserved = [code for code in flow.languages if code not in served]
            facts["unserved_languages"] = len(unserved)
            facts["unserved_language_list"] = ", ".join(unserved)
    _add_metrics(facts, costs)
    return facts


def _add_metrics(facts: dict[str, Any], costs: FlowCosts | Mapping[str, Any]) -> None:
    """The cost model's metrics the policy reads, added last to ``facts`` in ``METRIC_FACTS``' order
    (unknown ones left out)."""
    metrics = costs if isinstance(costs, Mapping) else vars(costs)
    for name in METRIC_FACTS:
        value = metrics[name]
        if value is not None:
            facts[name] = value


# The numeric answers each of which is one fact of its own, as ``snapshot`` reads it from a flow's
# resolved inputs (a quote's amount is no fact: ``has_vendor_quote`` stays as it is).
NUMBER_FACTS: dict[str, Callable[[FlowInputs], Any]] = {
    "monthly_volume": lambda inputs: inputs.flow.monthly_volume,
    "aht_seconds": lambda inputs: inputs.flow.aht_seconds,
    "peak_ratio": lambda inputs: inputs.flow.busiest_over_average,
    "loaded_hourly_cost": lambda inputs: inputs.loaded_hourly_cost,
    "annual_turnover_pct": lambda inputs: inputs.annual_turnover_pct,
    "absenteeism_pct": lambda inputs: inputs.absenteeism_pct,
    "coverage_hours_needed": lambda inputs: inputs.coverage_hours_needed,
    "vendor_quote": lambda inputs: inputs.flow.vendor_quote is not None,
}
_FACT_OF = {"vendor_quote": "has_vendor_quote"}


def fact_of(name: str) -> str:
    """The fact a numeric answer of ``NUMBER_FACTS`` is (a quote's: whether there is one)."""
    return _FACT_OF.get(name, name)


def snapshot_with(facts: Mapping[str, Any], inputs: FlowInputs, costs: FlowCosts | Mapping[str, Any],
                  changed: Iterable[str]) -> dict[str, Any]:
    """``snapshot(inputs, costs)`` worked out from ``facts``, the snapshot of the same flow before the
    numeric answers ``changed`` (all in ``NUMBER_FACTS``) took their values in ``inputs``: those
    answers' facts and the metrics taken again, every other fact as it was."""
    out = dict(facts)
    for name in changed:
        out[fact_of(name)] = NUMBER_FACTS[name](inputs)
    for name in METRIC_FACTS:  # taken out, then put back in order: the metrics come last, as in snapshot
        out.pop(name, None)
    _add_metrics(out, costs)
    return out


def plain_number(value: Any) -> Any:
    """A float as durable_rules can read it: its JSON reader refuses the exponent form (1e-05, 1e+16)."""
    if not isinstance(value, float):
        return value
    if abs(value) >= 1e15:
        return int(value)
    if abs(value) < 1e-4:
        return 0.0
    return value


@functools.lru_cache(maxsize=64)
def _plan(fields: Iterable[str]) -> tuple[tuple[str, str, str], ...]:
    """Each engine field as (field, fact, list item): ``regulated_data__health`` is the item ``health`` of
    ``regulated_data``; worked out once for a set of fields."""
    return tuple((field, *field.partition("__")[::2]) for field in fields)


def engine_fields(facts: dict[str, Any], fields: Iterable[str],
                  sets: dict[str, frozenset[Any]] | None = None) -> dict[str, Any]:
    """The snapshot as the engine sees it, for the ``fields`` the rules test: numbers in plain form,
    a list fact as one boolean per value tested (``regulated_data__health``) and its ``__count``, a
    membership of ``sets`` as one boolean (``channel__in__3f2a...``), in the order of ``fields``.
    Unknown values stay absent.
    Rules record the facts they matched from the snapshot itself."""
    out: dict[str, Any] = {}
    for field, fact, item in _plan(fields if isinstance(fields, (tuple, frozenset)) else tuple(fields)):
        value = facts.get(fact)
        if value is None:
            continue
        if isinstance(value, list):
            out[field] = len(value) if item == "count" else item in value
        elif not item:
            out[field] = plain_number(value) if isinstance(value, float) else value
        elif sets is not None and field in sets:
            out[field] = plain_number(value) in sets[field]
    return out
