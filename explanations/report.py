"""The HTML report: one self-contained page with a summary, a portfolio map, cost charts and a card
per flow. Charts are inline SVG computed here; the page has no script, no font and no image from the
network, and prints on A4. Every text goes through Jinja2's autoescape.
"""

from __future__ import annotations

import math
from typing import Any

from .render import Document, Lang, environment, final_decision, labels, money, number, view_of

LEVEL = {"low": 0, "medium": 1, "high": 2}
COLOURS = {"outsource": "#1f5f9e", "hybrid": "#c46d0a", "keep_internal": "#2f7d4f"}
SHAPES = {"outsource": "circle", "hybrid": "diamond", "keep_internal": "square"}

MAP_W, MAP_H = 760, 430
MAP_LEFT, MAP_RIGHT, MAP_TOP, MAP_BOTTOM = 64, 24, 24, 52
ROW_H = 46
COST_W, COST_LEFT, COST_RIGHT = 760, 210, 190


def risk_score(facts: dict[str, Any]) -> int:
    """The map's vertical axis, 0 to 6: complexity and data sensitivity (0 to 2 each), plus one for
    regulated data and one for unique in-house know-how."""
    return (LEVEL.get(str(facts.get("complexity")), 1) + LEVEL.get(str(facts.get("data_sensitivity")), 1)
            + (1 if facts.get("regulated_data") else 0) + (1 if facts.get("unique_know_how") else 0))


def _volume_axis(volumes: list[float], thresholds: list[float]) -> tuple[int, int]:
    values = [max(v, 1.0) for v in volumes + thresholds]
    return math.floor(math.log10(min(values))), max(math.ceil(math.log10(max(values))), 1)


def portfolio_map(entries: list[dict[str, Any]], thresholds: dict[str, float], lang: Lang) -> dict[str, Any]:
    """Every flow placed by monthly volume (log scale) against its complexity-and-sensitivity score."""
    volumes = [float(e["monthly_volume"]) for e in entries]
    low, high = _volume_axis(volumes, list(thresholds.values()))
    inner_w, inner_h = MAP_W - MAP_LEFT - MAP_RIGHT, MAP_H - MAP_TOP - MAP_BOTTOM

    def x(volume: float) -> float:
        return MAP_LEFT + (math.log10(max(volume, 1.0)) - low) / (high - low) * inner_w

    def y(score: float) -> float:
        return MAP_TOP + inner_h - score / 6 * inner_h

    taken: dict[tuple[int, int], int] = {}
    placed: list[tuple[float, float, float, float]] = []  # boxes already used: marks and labels
    raw = []
    for entry in entries:
        score = risk_score(entry["facts"])
        px, py = x(float(entry["monthly_volume"])), y(score)
        key = (round(px / 8), score)
        nudge = taken.get(key, 0)
        taken[key] = nudge + 1
        py -= nudge * 14  # flows at the same place are stacked upwards, each still readable
        raw.append((entry, score, px, py))
        placed.append((px - 8, py - 8, px + 8, py + 8))
    points = []
    for entry, score, px, py in raw:
        decision = final_decision(entry)
        name = entry["name"] if len(entry["name"]) <= 30 else entry["name"][:29] + "…"
        label_x, label_y, anchor = _place_label(name, px, py, placed, MAP_LEFT, MAP_W - MAP_RIGHT)
        points.append({"id": entry["id"], "name": name, "full_name": entry["name"], "x": round(px, 1),
                       "y": round(py, 1), "decision": decision, "colour": COLOURS[decision],
                       "shape": SHAPES[decision], "score": score,
                       "volume": number(entry["monthly_volume"], 0, lang),
                       "label_x": round(label_x, 1), "label_y": round(label_y, 1), "anchor": anchor})
    ticks = [{"x": round(x(10 ** p), 1), "label": number(10 ** p, 0, lang)} for p in range(low, high + 1)]
    lines = [{"x": round(x(value), 1), "label": f"{labels(lang)['report']['threshold_' + name]} "
              f"({number(value, 0, lang)})"} for name, value in thresholds.items()]
    levels = [{"y": round(y(s), 1), "label": str(s)} for s in range(7)]
    return {"width": MAP_W, "height": MAP_H, "left": MAP_LEFT, "right": MAP_W - MAP_RIGHT, "top": MAP_TOP,
            "bottom": MAP_H - MAP_BOTTOM, "points": points, "ticks": ticks, "lines": lines, "levels": levels}


CHAR_W = 6.6  # about the width of a character of the 12 px label font


def _overlaps(box: tuple[float, float, float, float], boxes: list[tuple[float, float, float, float]]) -> bool:
    return any(box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3] for b in boxes)


def _place_label(name: str, px: float, py: float, placed: list[tuple[float, float, float, float]],
                 left: float, right: float) -> tuple[float, float, str]:
    """Where a mark's label goes: right of it, else left, else above or below, the first place that
    overlaps no other mark or label and stays inside the plot; the place is then taken."""
    width = len(name) * CHAR_W
    own = (px - 8, py - 8, px + 8, py + 8)
    others = [b for b in placed if b != own]
    candidates = [(px + 10, py + 4, "start"), (px - 10, py + 4, "end"), (px + 6, py - 12, "start"),
                  (px + 6, py + 20, "start"), (px - 6, py - 12, "end"), (px - 6, py + 20, "end")]
    for lx, ly, anchor in candidates:
        x0 = lx if anchor == "start" else lx - width
        box = (x0, ly - 11, x0 + width, ly + 3)
        if x0 >= left and x0 + width <= right and not _overlaps(box, others):
            placed.append(box)
            return lx, ly, anchor
    lx, ly, anchor = candidates[0] if px + 10 + width <= right else candidates[1]
    return lx, ly, anchor


def cost_chart(entries: list[dict[str, Any]], lang: Lang) -> dict[str, Any]:
    """Per flow, the in-house cost per contact (base and hidden costs) against the provider's."""
    largest = 0.0
    for entry in entries:
        m = entry["metrics"]
        largest = max(largest, m.get("inhouse_cost_per_contact") or 0.0, m.get("provider_cost_per_contact") or 0.0)
    largest = largest or 1.0
    inner = COST_W - COST_LEFT - COST_RIGHT
    rows = []
    for index, entry in enumerate(entries):
        m = entry["metrics"]
        volume = entry["monthly_volume"] or 0
        inhouse = m.get("inhouse_cost_per_contact")
        provider = m.get("provider_cost_per_contact")
        base = m["base_cost"] / volume if volume and inhouse is not None else 0.0
        hidden = m["hidden_cost"] / volume if volume and inhouse is not None else 0.0
        top = 10 + index * ROW_H
        decision = final_decision(entry)
        rows.append({
            "id": entry["id"], "name": entry["name"] if len(entry["name"]) <= 28 else entry["name"][:27] + "…",
            "top": top, "decision": decision, "colour": COLOURS[decision],
            "base_w": round(base / largest * inner, 1), "hidden_w": round(hidden / largest * inner, 1),
            "provider_w": round((provider or 0) / largest * inner, 1) if provider is not None else None,
            "inhouse": money(inhouse, entry["currency"], lang) if inhouse is not None else "-",
            "provider": money(provider, entry["currency"], lang) if provider is not None else None,
            "savings": (number(m["savings_pct"], 0, lang) + " %") if m.get("savings_pct") is not None else None,
            "saves": (m.get("savings_pct") or 0) > 0,
        })
    return {"width": COST_W, "height": 10 + len(entries) * ROW_H + 8, "left": COST_LEFT, "rows": rows}


def _whole(value: float, currency: str, lang: Lang) -> str:
    amount = number(value, 0, lang)
    return f"{currency}\u00a0{amount}" if lang == "en" else f"{amount}\u00a0{currency}"


def summary(entries: list[dict[str, Any]], lang: Lang) -> dict[str, Any]:
    """How many flows go out, stay, split; in-house against provider cost for the flows going out
    that have a quote."""
    words = labels(lang)["report"]
    final = [final_decision(e) for e in entries]
    out = [e for e, d in zip(entries, final) if d == "outsource"]
    priced = [e for e in out if e["metrics"].get("provider_cost_monthly") is not None]
    provider = sum(e["metrics"]["provider_cost_monthly"] for e in priced)
    inhouse = sum(e["metrics"]["inhouse_cost_monthly"] for e in priced)
    currencies = sorted({e["currency"] for e in entries})
    currency = currencies[0] if len(currencies) == 1 else ""
    unpriced = len(out) - len(priced)
    overridden = sum(1 for e in entries if e.get("override"))
    return {
        "flows": len(entries),
        "outsource": final.count("outsource"), "hybrid": final.count("hybrid"),
        "keep_internal": final.count("keep_internal"),
        "overridden": overridden,
        "inhouse_monthly": _whole(inhouse, currency, lang) if priced else None,
        "provider_monthly": _whole(provider, currency, lang) if priced else None,
        "savings_monthly": _whole(inhouse - provider, currency, lang) if priced else None,
        "savings_yearly": _whole(12 * (inhouse - provider), currency, lang) if priced else None,
        "savings_pct": number(100 * (1 - provider / inhouse), 0, lang) if priced and inhouse else None,
        "unpriced": unpriced,
        "unpriced_text": str(words["unpriced"]).format(n=unpriced),
        "overridden_text": str(words["overridden"]).format(n=overridden),
    }


def render_report(doc: Document, thresholds: dict[str, float], lang: Lang, source: str) -> str:
    """The whole report as one HTML page."""
    words = labels(lang)
    entries = list(doc.flows)
    views = [view_of(e, lang, doc.cost_model) for e in entries]
    for view, entry in zip(views, entries):
        view["risk_score"] = risk_score(entry["facts"])
    context = {
        "L": words, "R": words["report"], "lang": lang, "organisation": doc.organisation, "policy": doc.policy,
        "source": source, "summary": summary(entries, lang), "map": portfolio_map(entries, thresholds, lang),
        "costs": cost_chart(entries, lang), "flows": views, "colours": COLOURS, "shapes": SHAPES,
    }
    return str(environment(lang).get_template("report.html").render(context))
