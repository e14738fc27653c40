"""The HTML report: one self-contained page with a summary, a portfolio map, cost charts and a card
per flow. Charts are inline SVG computed here; the page has no script, no font and no image from the
network, and prints on A4. Every text goes through Jinja2's autoescape.
"""

from __future__ import annotations

import math
from typing import Any

from engine.costs import OPTIONS

from .figures import Lang, money, number, percent
from .render import (Document, costed_options, environment, final_decision, labels, recommended_options,
                     standing_option, view_of)

LEVEL = {"low": 0, "medium": 1, "high": 2}
COLOURS = {"outsource": "#1f5f9e", "hybrid": "#c46d0a", "keep_internal": "#2f7d4f"}
SHAPES = {"outsource": "circle", "hybrid": "diamond", "keep_internal": "square"}

MAP_W, MAP_H = 760, 430
MAP_LEFT, MAP_RIGHT, MAP_TOP, MAP_BOTTOM = 64, 24, 24, 52


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


COST_W, COST_LABEL, COST_RIGHT = 760, 150, 200
COST_HEAD, COST_STEP, COST_BAR, COST_GAP = 20, 18, 13, 12
GREEN, RED = "#2f7d4f", "#b42318"
KEEP_PARTS = (("base_cost", "#7d8796"), ("hidden_cost", "#c0c6d0"), ("opportunity_cost", "#e2e6ec"))


def _saving_text(saving: float | None, lang: Lang) -> tuple[str | None, str | None]:
    """An option's saving against keeping in-house, in words, and its colour."""
    words = labels(lang)["report"]
    if saving is None or round(saving) == 0:
        return (None if saving is None else str(words["saves"]).format(pct=percent(0, 0, lang))), None
    if saving > 0:
        return str(words["saves"]).format(pct=percent(saving, 0, lang)), GREEN
    return str(words["costs_more"]).format(pct=percent(-saving, 0, lang)), RED


def cost_chart(entries: list[dict[str, Any]], lang: Lang) -> dict[str, Any]:
    """Per flow, one bar per option it could take: its all-in cost per contact (keeping in-house split
    into base, hidden and opportunity costs), the options of the decision highlighted, each with its
    saving against keeping in-house."""
    words = labels(lang)
    largest = max((o["per_contact"] or 0.0 for e in entries for o in costed_options(e).values()), default=0.0) or 1.0
    inner = COST_W - COST_LABEL - COST_RIGHT
    rows = []
    top = 8
    for entry in entries:
        options, chosen = costed_options(entry), recommended_options(entry)
        decision = final_decision(entry)
        split = [words["splits"][s] for s in chosen] if decision == "hybrid" else []
        bars = []
        y = top + COST_HEAD
        for name, option in options.items():
            width = round((option["per_contact"] or 0.0) / largest * inner, 1)
            parts = []
            if name == "keep_internal" and option["monthly"]:
                # The whole bar is drawn in the base cost's colour, the other costs over its end.
                x = float(COST_LABEL)
                for index, (key, fill) in enumerate(KEEP_PARTS):
                    part_w = round(width * float(entry["metrics"].get(key) or 0.0) / option["monthly"], 1)
                    if index and part_w > 0:
                        parts.append({"x": round(x, 1), "width": part_w, "colour": fill,
                                      "title": words["report"][key]})
                    x += part_w
            text, colour = (None, None) if name == "keep_internal" else _saving_text(option["saving_pct"], lang)
            bars.append({"option": name, "label": words["option_names"][name], "y": y, "width": width,
                         "colour": "#7d8796" if name == "keep_internal" else COLOURS[
                             "outsource" if name == "outsource" else "hybrid"],
                         "parts": parts, "recommended": name in chosen,
                         "amount": money(option["per_contact"], entry["currency"], lang),
                         "saving": text, "saving_colour": colour})
            y += COST_STEP
        no_quote = "outsource" not in options
        if no_quote:
            y += COST_STEP
        decision_label = words["decisions"][decision] + (f" ({', '.join(split)})" if split else "")
        # The name (bold, 12 px) and the decision (11 px) share the heading line: the name gives way.
        room = max(20, int((COST_W - 10 - len(decision_label) * CHAR_W * 0.92) / (CHAR_W * 1.1)))
        shown = entry["name"] if len(entry["name"]) <= room else entry["name"][:room - 1] + "…"
        rows.append({"id": entry["id"], "name": shown, "top": top, "decision": decision,
                     "decision_label": decision_label, "bars": bars,
                     "no_quote_y": y - COST_STEP if no_quote else None})
        top = y + COST_GAP
    opportunity = any(p["colour"] == KEEP_PARTS[2][1] for row in rows for bar in row["bars"] for p in bar["parts"])
    return {"width": COST_W, "height": top, "left": COST_LABEL, "bar_h": COST_BAR, "rows": rows,
            "opportunity": opportunity}


def _whole(value: float, currency: str, lang: Lang) -> str:
    """A total, whole, with its currency when the flows share one."""
    return money(value, currency, lang, whole=True) if currency else number(value, 0, lang)


def summary(entries: list[dict[str, Any]], lang: Lang) -> dict[str, Any]:
    """How many flows go out, stay, split; for the flows going out or split, the in-house cost a month
    against the option that stands (its one-off costs spread over the contract), flow by flow and in
    all, and the one-off costs in all. Flows kept in-house are shown apart: they save nothing."""
    words = labels(lang)
    final = [final_decision(e) for e in entries]
    currencies = sorted({e["currency"] for e in entries})
    currency = currencies[0] if len(currencies) == 1 else ""
    rows = []
    inhouse = chosen = one_off = 0.0
    unpriced = 0
    kept, kept_cost = 0, 0.0
    for entry, decision in zip(entries, final):
        options = costed_options(entry)
        if decision == "keep_internal":
            kept += 1
            kept_cost += options["keep_internal"]["monthly"] if "keep_internal" in options else 0.0
            continue
        name = standing_option(entry)
        if name is None:
            unpriced += 1
            rows.append({"id": entry["id"], "name": entry["name"], "decision": decision,
                         "option": f"{words['decisions'][decision]} ({words['no_quote']})", "priced": False})
            continue
        option, term = options[name], (entry.get("costs") or {}).get("term_months") or 1
        keep = float(options["keep_internal"]["monthly"])
        allin = float(option["monthly"]) + float(option["one_off"]) / term
        inhouse, chosen, one_off = inhouse + keep, chosen + allin, one_off + float(option["one_off"])
        text, colour = _saving_text(option["saving_pct"], lang)
        rows.append({"id": entry["id"], "name": entry["name"], "decision": decision,
                     "option": words["decisions"][decision] + (
                         f" ({words['option_names'][name]})" if decision == "hybrid" else ""), "priced": True,
                     "inhouse": _whole(keep, currency, lang), "chosen": _whole(allin, currency, lang),
                     "saved": _whole(keep - allin, currency, lang), "saving": text, "colour": colour,
                     "one_off": _whole(float(option["one_off"]), currency, lang)})
    priced = any(row["priced"] for row in rows)
    saved = inhouse - chosen
    overridden = sum(1 for e in entries if e.get("override"))
    report = words["report"]
    return {
        "flows": len(entries),
        "outsource": final.count("outsource"), "hybrid": final.count("hybrid"),
        "keep_internal": final.count("keep_internal"),
        "overridden": overridden,
        "rows": rows,
        "priced": priced,
        "inhouse_monthly": _whole(inhouse, currency, lang),
        "chosen_monthly": _whole(chosen, currency, lang),
        "savings_monthly": _whole(saved, currency, lang),
        "savings_yearly": _whole(12 * saved, currency, lang),
        "savings_pct": percent(100 * saved / inhouse, 0, lang) if inhouse else None,
        "savings_colour": GREEN if saved >= 0.5 else RED if saved <= -0.5 else None,
        "one_off": _whole(one_off, currency, lang),
        "kept": kept, "kept_cost": _whole(kept_cost, currency, lang),
        "kept_text": str(report["kept"]).format(n=kept),
        "unpriced": unpriced,
        "unpriced_text": str(report["unpriced"]).format(n=unpriced),
        "overridden_text": str(report["overridden"]).format(n=overridden),
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
