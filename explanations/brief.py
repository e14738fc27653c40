"""The provider brief: for every flow recommended out or split, what a provider needs to size and
price an offer, in Markdown that pastes into a tender document. No cost of the company and no
other provider's price is given away: only the work, its volumes, hours, languages and constraints.
"""

from __future__ import annotations

import datetime
from collections.abc import Collection
from typing import Any

from engine.errors import printable
from engine.models import Certification, FlowInputs
from engine.recommend import Recommendation

from .figures import Lang, country, date as long_date, language, number, percent
from .render import Document, environment, final_decision, labels, value_label

# The certification a regulated kind of data asks of a provider (a HIPAA business associate agreement
# for health data of a US organisation only); ISO 27001 for any sensitive or regulated data.
CERTIFICATION_FOR = {"payment_card": Certification.pci_dss.value, "health": Certification.hipaa_baa.value}


def _duration(seconds: float) -> str:
    minutes, rest = divmod(int(round(seconds)), 60)
    return f"{minutes}:{rest:02d}"


def _parts(asked: list[str], entry: dict[str, Any], inputs: FlowInputs, peak_volume: float,
           lang: Lang) -> list[dict[str, Any]]:
    """What each part asked of the provider is: its hours or share, and its contacts and indicative FTE
    a month on average and in the busiest month. The busiest month's FTE is the cost model's sizing
    of the provider's team (``provider_fte``); the average's is taken in proportion to the contacts.
    No amount: the option's costs stay with the company."""
    words = labels(lang)["brief"]
    options = (entry.get("costs") or {}).get("options") or {}
    volume = float(inputs.flow.monthly_volume)
    hours = number(inputs.coverage_hours_needed, 0, lang)
    out = []
    for name in asked:
        option = options.get(name)
        share = 1.0 if name == "outsource" else None if option is None else option["provider_share_pct"] / 100
        average = None if share is None else volume * share
        if name == "overflow":
            busiest: float | None = max(0.0, peak_volume - volume)  # beyond the average month
        else:
            busiest = None if share is None else peak_volume * share
        fte_peak = None if option is None else float(option["provider_fte"])
        fte_average = fte_peak * average / busiest if fte_peak is not None and average is not None and busiest \
            else None
        if share is None:
            share_text = ""
        else:
            share_text = str(words["share_year" if name == "overflow" else "share_contacts"]).format(
                share=percent(100 * share, 0, lang))
        asks = str(words["asks_" + name]).format(
            hours=hours, gap=number(entry["metrics"]["coverage_gap_hours"], 0, lang),
            opening=number(inputs.organisation.opening_hours_per_week, 0, lang), share=share_text)
        figures = {"average": number(average, 0, lang), "busiest": number(busiest, 0, lang),
                   "fte_average": number(fte_average, 1, lang), "fte_busiest": number(fte_peak, 1, lang)}
        key = "part_sizing" if fte_average is not None else "part_contacts" if average is not None else None
        out.append({"option": name, "label": words["part_" + name], "asks": asks,
                    "sizing": str(words[key]).format(**figures) if key else ""})
    return out


def brief_flows(rec: Recommendation, doc: Document, lang: Lang, include: Collection[str] = ()) -> list[dict[str, Any]]:
    """What the brief says of each flow going out, in part or in whole, and of the flows ``include``
    names whatever their decision (a tender may ask for the price of a flow the policy keeps)."""
    words = labels(lang)
    inputs_of: dict[str, FlowInputs] = {flow.id: flow.inputs for flow in rec.flows}
    out = []
    for entry in doc.flows:
        decision = final_decision(entry)
        if decision == "keep_internal" and entry["id"] not in include:
            continue
        inputs = inputs_of[entry["id"]]
        flow, metrics = inputs.flow, entry["metrics"]
        split = entry["split"] if decision == entry["decision"] else []
        peak_volume = flow.monthly_volume * flow.busiest_over_average
        scope = []
        if decision == "outsource":
            scope.append(words["brief"]["scope_all"])
        for name in split:
            if name == "overflow":
                overflow = max(0.0, peak_volume - flow.monthly_volume)
                scope.append(words["brief"]["scope_overflow"].format(
                    share=percent(metrics["overflow_pct"], 0, lang), contacts=number(overflow, 0, lang)))
            elif name == "after_hours":
                scope.append(words["brief"]["scope_after_hours"].format(
                    hours=number(metrics["coverage_gap_hours"], 0, lang),
                    opening=number(inputs.organisation.opening_hours_per_week, 0, lang),
                    needed=number(inputs.coverage_hours_needed, 0, lang)))
            elif name == "tier1":
                tier1 = (entry.get("costs") or {}).get("options", {}).get("tier1")
                scope.append(words["brief"]["scope_tier1"].format(
                    share=percent(tier1["provider_share_pct"], 0, lang) if tier1 else "-"))
        if decision == "hybrid" and not split:
            scope.append(words["brief"]["scope_hybrid"])
        certifications = [CERTIFICATION_FOR[r.value] for r in flow.regulated_data if r.value in CERTIFICATION_FOR
                          and (r.value != "health" or inputs.organisation.country == "US")]
        if flow.data_sensitivity.value == "high" or flow.regulated_data:
            certifications.append(Certification.iso27001.value)
        certifications = list(dict.fromkeys(certifications))
        conditions = [c["text"].get(lang, "") for c in entry["conditions"]
                      if c.get("audience", "provider") == "provider"]
        out.append({
            "id": flow.id, "name": flow.name or flow.id, "decision": decision,
            "decision_label": words["decisions"][decision],
            "split_labels": [words["splits"][s] for s in split],
            "scope": scope,
            "channel": value_label(flow.channel.value, lang),
            "activity": value_label(flow.activity.value, lang),
            "volume": number(flow.monthly_volume, 0, lang),
            "peak_volume": number(peak_volume, 0, lang),
            "peak_ratio": number(flow.busiest_over_average,
                                 2 if not float(flow.busiest_over_average).is_integer() else 0, lang),
            "aht": _duration(flow.aht_seconds), "aht_seconds": number(flow.aht_seconds, 0, lang),
            "hours": number(inputs.coverage_hours_needed, 0, lang),
            "opening": number(inputs.organisation.opening_hours_per_week, 0, lang),
            "languages": [language(code, lang) for code in flow.languages],
            "work": {"repetitiveness": value_label(flow.repetitiveness.value, lang),
                     "scripting": value_label(flow.scripting.value, lang),
                     "complexity": value_label(flow.complexity.value, lang),
                     "predictability": value_label(flow.volume_predictability.value, lang)},
            "sensitivity": value_label(flow.data_sensitivity.value, lang),
            "regulated": [value_label(r.value, lang) for r in flow.regulated_data],
            "certifications": [value_label(c, lang) for c in certifications],
            "conditions": [c for c in conditions if c],
            "real_time": flow.channel.value in ("phone", "chat"),
            "parts": _parts(["outsource"] if decision == "outsource" else split, entry, inputs, peak_volume, lang),
            "agents": metrics.get("agents_busy_hour"),
            "busy": number(metrics["busy_hour_contacts"], 0, lang) if metrics.get("busy_hour_contacts") else None,
            "local": flow.customers_expect_local,
            "provider_country": flow.provider_country,
        })
    return out


def render_brief(rec: Recommendation, doc: Document, lang: Lang, source: str, day: datetime.date) -> str:
    """The brief as Markdown, prepared on ``day``, control characters from the answers shown escaped."""
    words = labels(lang)
    a = doc.cost_model
    context = {
        "L": words, "B": words["brief"], "organisation": doc.organisation, "policy": doc.policy, "source": source,
        "date": long_date(day, lang), "currency": rec.answers.organisation.currency, "flows": brief_flows(rec, doc, lang),
        "service_level": percent(a["service_level_target"] * 100, 0, lang),
        "service_seconds": number(a["service_level_seconds"], 0, lang),
        "occupancy": percent(a["max_occupancy"] * 100, 0, lang),
        "country": country(rec.answers.organisation.country, lang),
    }
    return printable(str(environment(lang).get_template("brief.md.j2").render(context)))
