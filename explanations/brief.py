"""The provider brief: for every flow recommended out or split, what a provider needs to size and
price an offer, in Markdown that pastes into a tender document. No cost of the company and no
other provider's price is given away: only the work, its volumes, hours, languages and constraints.
"""

from __future__ import annotations

from typing import Any

from engine.models import Certification, FlowInputs
from engine.recommend import Recommendation

from .render import Document, Lang, environment, final_decision, labels, number, value_label

# The certification a regulated kind of data asks of a provider (a HIPAA business associate agreement
# for health data of a US organisation only); ISO 27001 for any sensitive or regulated data.
CERTIFICATION_FOR = {"payment_card": Certification.pci_dss.value, "health": Certification.hipaa_baa.value}


def _duration(seconds: float) -> str:
    minutes, rest = divmod(int(round(seconds)), 60)
    return f"{minutes}:{rest:02d}"


def _part_sizing(split: list[str], metrics: dict[str, Any], volume: float, peak_volume: float, needed: float,
                 lang: Lang) -> list[str]:
    """The staffing of the part a split asks of the provider, in proportion to the whole flow's."""
    words = labels(lang)["brief"]
    fte = float(metrics["fte_needed"])
    out = []
    for name in split:
        if name == "overflow" and volume:
            out.append(str(words["part_overflow"]).format(fte=number(fte * (peak_volume - volume) / volume, 1, lang)))
        elif name == "after_hours" and needed:
            out.append(str(words["part_after_hours"]).format(
                fte=number(fte * metrics["coverage_gap_hours"] / needed, 1, lang)))
        elif name == "tier1":
            out.append(str(words["part_tier1"]))
    return out


def brief_flows(rec: Recommendation, doc: Document, lang: Lang) -> list[dict[str, Any]]:
    """What the brief says of each flow going out, in part or in whole."""
    words = labels(lang)
    inputs_of: dict[str, FlowInputs] = {flow.id: flow.inputs for flow in rec.flows}
    out = []
    for entry in doc.flows:
        decision = final_decision(entry)
        if decision == "keep_internal":
            continue
        inputs = inputs_of[entry["id"]]
        flow, metrics = inputs.flow, entry["metrics"]
        split = entry["split"] if decision == entry["decision"] else []
        peak_volume = flow.monthly_volume * flow.peak_ratio
        scope = []
        if decision == "outsource":
            scope.append(words["brief"]["scope_all"])
        for name in split:
            if name == "overflow":
                overflow = max(0.0, peak_volume - flow.monthly_volume)
                scope.append(words["brief"]["scope_overflow"].format(
                    share=number(metrics["overflow_pct"], 0, lang), contacts=number(overflow, 0, lang)))
            elif name == "after_hours":
                scope.append(words["brief"]["scope_after_hours"].format(
                    hours=number(metrics["coverage_gap_hours"], 0, lang),
                    opening=number(inputs.organisation.opening_hours_per_week, 0, lang),
                    needed=number(inputs.coverage_hours_needed, 0, lang)))
            elif name == "tier1":
                scope.append(words["brief"]["scope_tier1"])
        if decision == "hybrid" and not split:
            scope.append(words["brief"]["scope_hybrid"])
        certifications = [CERTIFICATION_FOR[r.value] for r in flow.regulated_data if r.value in CERTIFICATION_FOR
                          and (r.value != "health" or inputs.organisation.country == "US")]
        if flow.data_sensitivity.value == "high" or flow.regulated_data:
            certifications.append(Certification.iso27001.value)
        certifications = list(dict.fromkeys(certifications))
        conditions = [c["text"].get(lang, "") for c in entry["conditions"]]
        out.append({
            "id": flow.id, "name": flow.name or flow.id, "decision": decision,
            "decision_label": words["decisions"][decision],
            "split_labels": [words["splits"][s] for s in split],
            "scope": scope,
            "channel": value_label(flow.channel.value, lang),
            "activity": value_label(flow.activity.value, lang),
            "volume": number(flow.monthly_volume, 0, lang),
            "peak_volume": number(peak_volume, 0, lang),
            "peak_ratio": number(flow.peak_ratio, 2 if not float(flow.peak_ratio).is_integer() else 0, lang),
            "aht": _duration(flow.aht_seconds), "aht_seconds": number(flow.aht_seconds, 0, lang),
            "hours": number(inputs.coverage_hours_needed, 0, lang),
            "opening": number(inputs.organisation.opening_hours_per_week, 0, lang),
            "languages": [words["languages"].get(code, code) for code in flow.languages],
            "work": {"repetitiveness": value_label(flow.repetitiveness.value, lang),
                     "scripting": value_label(flow.scripting.value, lang),
                     "complexity": value_label(flow.complexity.value, lang),
                     "predictability": value_label(flow.volume_predictability.value, lang)},
            "sensitivity": value_label(flow.data_sensitivity.value, lang),
            "regulated": [value_label(r.value, lang) for r in flow.regulated_data],
            "certifications": [value_label(c, lang) for c in certifications],
            "conditions": [c for c in conditions if c],
            "real_time": flow.channel.value in ("phone", "chat"),
            "fte": number(metrics["fte_needed"], 1, lang),
            "part_sizing": _part_sizing(split, metrics, flow.monthly_volume, peak_volume,
                                        inputs.coverage_hours_needed, lang),
            "agents": metrics.get("agents_busy_hour"),
            "busy": number(metrics["busy_hour_contacts"], 0, lang) if metrics.get("busy_hour_contacts") else None,
            "local": flow.customers_expect_local,
            "provider_country": flow.provider_country,
        })
    return out


def render_brief(rec: Recommendation, doc: Document, lang: Lang, source: str, date: str) -> str:
    """The brief as Markdown."""
    words = labels(lang)
    a = doc.cost_model
    context = {
        "L": words, "B": words["brief"], "organisation": doc.organisation, "policy": doc.policy, "source": source,
        "date": date, "currency": rec.answers.organisation.currency, "flows": brief_flows(rec, doc, lang),
        "service_level": number(a["service_level_target"] * 100, 0, lang),
        "service_seconds": number(a["service_level_seconds"], 0, lang),
        "occupancy": number(a["max_occupancy"] * 100, 0, lang),
        "country": rec.answers.organisation.country,
    }
    return str(environment(lang).get_template("brief.md.j2").render(context))
