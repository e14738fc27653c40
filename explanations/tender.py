"""The tender pack: the specification providers price from, in Markdown, and the pricing grid they
fill, both in the language of the tender.

The specification says everything a provider sizes and prices an offer from: the lots, each flow's
work and volumes by month and by hour of the week, the service levels and how they are measured, the
hours, languages, data and certification requirements (with the policy's conditions), the technology,
the ramp-up, the governance, the contract's terms, the response format and how bids are evaluated;
each bundle of small flows proposed, with the work its flows make together and why. It reuses the provider brief's description of each flow. No cost of the company is given away: only the
work and the terms.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from engine.errors import printable
from engine.models import Flow, Organisation
from engine.policy.loading import Policy
from engine.procurement.grid import write_grid
from engine.procurement.pricing import Lot
from engine.procurement.tender import open_requirements, sizing_week_hours
from engine.recommend import FlowResult, Recommendation
from engine.staffing import base_level, flow_assumptions, is_real_time, queue, year_shape

from .brief import brief_flows
from .figures import Lang, country, date as long_date, language, number, percent
from .render import Document, environment, final_decision, labels, rule_texts, value_label

# The volume bands the tender offers: prices hold within the narrow band of the volumes announced, the
# provider may ask an adjustment within the wide one, and beyond it the parties renegotiate. The
# company's own terms, set here for every tender it writes.
VOLUME_BANDS_PCT = (10, 25)
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def grid_words(lang: Lang) -> dict[str, Any]:
    """The pricing grid's words in one language: its labels and the names of the channels."""
    return {**labels(lang)["tender"]["grid"], "values": labels(lang)["values"]}


def write_pricing_grid(lots: Sequence[Lot], organisation: Organisation, lang: Lang, path: Path) -> None:
    """Write the blank pricing grid of ``lots`` to ``path``, in ``lang``."""
    write_grid(lots, organisation, grid_words(lang), path)


def weekly_profile(flow: Flow) -> Mapping[str, Sequence[float]] | None:
    """The flow's arrivals by hour of the week (``mon``..``sun``, 24 percentages each), when given."""
    profile = getattr(flow, "weekly_profile", None)
    return profile if isinstance(profile, Mapping) else None


def _met_by(policy: Policy) -> dict[tuple[str, str], tuple[str, ...]]:
    """The certifications that meet each condition the policy attaches, by rule and condition."""
    return {(placed.rule.id, placed.rule.then.condition.id): tuple(c.value for c in placed.rule.then.condition.met_by)
            for placed in policy.rules if placed.rule.then.condition is not None}


def _busiest_hour(lot: Lot, result: FlowResult, policy: Policy, lang: Lang) -> str | None:
    """The lot's contacts in its busiest hour, as the cost model sizes a queue (an overflow's in its
    busiest month, the others' in an average month); none for a backlog."""
    flow = result.inputs.flow
    contacts = lot.busiest_month_contacts if lot.scope == "overflow" else lot.monthly_contacts
    busy = queue(contacts, flow.aht_seconds, is_real_time(flow), lot.hours_per_week,
                 flow_assumptions(flow, policy.costs)).busy_hour_contacts
    return None if busy is None else number(busy, 0, lang)


def _overflow_months(result: FlowResult, policy: Policy, lang: Lang) -> str:
    """The months an overflow lot takes contacts in, as the cost model splits them: each month's contacts
    above the base month the in-house team is sized for; by name when the flow's months are given, else
    the policy's peak months, how many and how much each."""
    flow, words = result.inputs.flow, labels(lang)["tender"]["spec"]
    shape = year_shape(flow, policy.costs)
    base = base_level(flow, shape, policy.costs)
    volume = float(flow.monthly_volume)
    above = [(month, (month.level - base) * volume) for month in shape if month.level > base]
    if flow.monthly_profile is not None:
        names = words["months"]
        named = [f"{names[index]} {number(contacts, 0, lang)}" for index, month in enumerate(shape)
                 for m, contacts in above if m is month]
        return str(words["lot_months"]).format(months=", ".join(named))
    months = sum(month.months for month, _ in above)
    contacts = above[0][1] if above else 0.0
    return str(words["lot_peak_months"]).format(count=number(months, 1 if not float(months).is_integer() else 0, lang),
                                                contacts=number(contacts, 0, lang))


def _lot_rows(lots: Sequence[Lot], lang: Lang, result: FlowResult | None = None,
              policy: Policy | None = None) -> list[dict[str, Any]]:
    """The lots as the specification shows them; for a flow's section (``result``), each with its
    busiest hour too."""
    words = labels(lang)["tender"]
    return [{"busy": None if result is None or policy is None else _busiest_hour(lot, result, policy, lang),
             "months": _overflow_months(result, policy, lang)
             if lot.scope == "overflow" and result is not None and policy is not None else None,
             "id": lot.id, "scope_key": lot.scope, "scope": words["grid"]["scopes"][lot.scope],
             "asks": words["spec"]["scope_of_lot"][lot.scope],
             "flows": ", ".join(lot.flows), "average": number(lot.monthly_contacts, 0, lang),
             "busiest": number(lot.busiest_month_contacts, 0, lang), "aht": number(lot.aht_seconds, 0, lang),
             "hours": number(lot.hours_per_week, 0, lang), "fte": number(lot.indicative_fte, 1, lang)}
            for lot in lots]


def _bundle_rows(rec: Recommendation, policy: Policy, lots: Sequence[Lot], lang: Lang) -> list[dict[str, Any]]:
    """Each bundle of small flows proposed: its flows and the work they make together, and why they
    are put together. The saving against keeping them is the company's own figure: it is not here."""
    names = {result.id: result.name for result in rec.flows}
    values = labels(lang)["values"]
    return [{"id": lot.id, "flows": [(names[flow], flow) for flow in lot.flows],
             "channels": ", ".join(str(values.get(channel, channel)) for channel in lot.channels),
             "languages": language(list(lot.languages), lang),
             "average": number(lot.monthly_contacts, 0, lang), "busiest": number(lot.busiest_month_contacts, 0, lang),
             "aht": number(lot.aht_seconds, 0, lang), "hours": number(lot.hours_per_week, 0, lang),
             "fte": number(lot.indicative_fte, 1, lang), "minimum": number(policy.costs.min_dedicated_fte, 0, lang),
             "written": len(lot.channels) > 1}
            for lot in lots if lot.scope == "bundle"]


def _by_month(flow: Flow, lang: Lang) -> list[tuple[str, str]] | None:
    if flow.monthly_profile is None:
        return None
    return [(str(name), number(value, 0, lang))
            for name, value in zip(labels(lang)["tender"]["spec"]["months"], flow.monthly_profile)]


def _by_hour(flow: Flow, lang: Lang) -> list[tuple[str, list[str]]] | None:
    profile = weekly_profile(flow)
    if profile is None:
        return None
    days = labels(lang)["tender"]["spec"]["days"]
    return [(str(days[day]), [number(share, 1, lang) for share in profile.get(day, ())]) for day in DAYS]


def _conditions(result: FlowResult, policy: Policy, met_by: dict[tuple[str, str], tuple[str, ...]],
                lang: Lang) -> list[dict[str, str]]:
    """The conditions the policy sets a provider of the flow not chosen yet, each with the
    certifications that meet it."""
    open_result, conditions = open_requirements(result, policy)
    texts = rule_texts(policy, lang)
    return [{"text": text, "met_by": value_label(list(met_by.get((c.rule_id, c.id), ())), lang)}
            for c in conditions if (text := texts.render(c.rule_id, "condition", open_result.facts))]


def _volumes_measured(flows: Sequence[Flow]) -> str:
    """Whether the flows' volumes by month and by hour are measured (both profiles given), indicative
    (neither) or measured for some only: what the introduction promises."""
    measured = [flow.monthly_profile is not None and weekly_profile(flow) is not None for flow in flows]
    return "measured" if measured and all(measured) else "mixed" if any(measured) else "indicative"


def specification_flows(rec: Recommendation, doc: Document, policy: Policy, lots: Sequence[Lot],
                        lang: Lang) -> list[dict[str, Any]]:
    """Each flow a lot covers, as the brief describes it, with its lots, its volumes by month and by
    hour and its conditions."""
    covered = {flow for lot in lots for flow in lot.flows}
    results = {flow.id: flow for flow in rec.flows}
    entries = {entry["id"]: entry for entry in doc.flows}
    met_by = _met_by(policy)
    out = []
    for described in brief_flows(rec, doc, lang, include=covered):
        if described["id"] not in covered:
            continue
        result, entry = results[described["id"]], entries[described["id"]]
        flow = result.inputs.flow
        out.append({**described, "kept": final_decision(entry) == "keep_internal",
                    "activity_unstated": "activity" in result.inputs.defaults_used,
                    "lots": _lot_rows([lot for lot in lots if flow.id in lot.flows], lang, result, policy),
                    "by_month": _by_month(flow, lang), "by_hour": _by_hour(flow, lang),
                    "conditions": _conditions(result, policy, met_by, lang)})
    return out


def render_specification(rec: Recommendation, doc: Document, policy: Policy, lots: Sequence[Lot], lang: Lang,
                         source: str, day: datetime.date) -> str:
    """The specification as Markdown, prepared on ``day``, for one lot or more (a tender of none is
    refused before: the document goes to providers, who have nothing to price in it)."""
    if not lots:
        raise ValueError("a specification needs at least one lot")
    words = labels(lang)
    a = policy.costs
    organisation = rec.answers.organisation
    narrow, wide = VOLUME_BANDS_PCT
    context = {
        "L": words, "B": words["brief"], "T": words["tender"]["spec"], "organisation": doc.organisation,
        "named": "name" in organisation.model_fields_set, "policy": doc.policy, "source": source, "date": long_date(day, lang), "currency": organisation.currency,
        "country": country(organisation.country, lang), "lots": _lot_rows(lots, lang),
        "bundles": _bundle_rows(rec, policy, lots, lang),
        "volumes": _volumes_measured([result.inputs.flow for result in rec.flows
                                      if any(result.id in lot.flows for lot in lots)]),
        "sizing_week": number(sizing_week_hours(organisation, policy), 0, lang),
        "flows": specification_flows(rec, doc, policy, lots, lang),
        "service_level": percent(a.service_level_target * 100, 0, lang),
        "service_seconds": number(a.service_level_seconds, 0, lang),
        "occupancy": percent(a.max_occupancy * 100, 0, lang),
        "training": number(a.provider_training_hours, 0, lang), "weeks": number(a.transition_weeks, 0, lang),
        "parallel": number(a.parallel_run_weeks, 0, lang),
        "months": number(organisation.contract_months or a.contract_months, 0, lang),
        "narrow": "±" + percent(narrow, 0, lang), "wide": "±" + percent(wide, 0, lang),
        "range24": [f"{hour:02d}" for hour in range(24)],
        "in_eea": organisation.country in policy.param("eea_countries"),
    }
    return printable(str(environment(lang).get_template("tender.md.j2").render(context)))
