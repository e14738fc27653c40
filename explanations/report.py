"""The HTML report: one self-contained page with a summary, a portfolio map, cost charts and a card
per flow. Charts are inline SVG computed here; the page has no script, no font and no image from the
network, and prints on A4. Every text goes through Jinja2's autoescape.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from engine.analysis.tipping import held_by_veto
from engine.analysis.uncertainty import LIKELY, ROBUST
from engine.policy.loading import Policy

from .figures import Lang, money, number, percent
from .placement import Placement, text_box
from .render import (Document, costed_options, environment, final_decision, labels, recommended_options,
                     robustness_view, standing_option, tipping_split, view_of)

COLOURS = {"outsource": "#1f5f9e", "hybrid": "#c46d0a", "keep_internal": "#2f7d4f"}
SHAPES = {"outsource": "circle", "hybrid": "diamond", "keep_internal": "square"}


@dataclass(frozen=True)
class Frame:
    """A chart's drawing: its size in chart units and the margins around the plot. Every text is drawn
    at 12 units, so the wide frame (shown from about 880 px) and the narrow one (on a phone, and up
    to that width) both render it at 11 px or more."""

    name: str
    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int


MAP_FRAMES = (Frame("wide", 760, 430, 64, 24, 24, 52), Frame("narrow", 330, 380, 40, 14, 34, 50))
CLUSTER_FROM = 40  # flows; from there, flows with the same decision at the same place share one mark
LEVEL = {"low": 0, "medium": 1, "high": 2}


def risk_score(facts: dict[str, Any]) -> int:
    """The map's vertical axis, 0 to 6: complexity and data sensitivity (0 to 2 each), plus one for
    regulated data and one for unique in-house know-how."""
    return (LEVEL.get(str(facts.get("complexity")), 1) + LEVEL.get(str(facts.get("data_sensitivity")), 1)
            + (1 if facts.get("regulated_data") else 0) + (1 if facts.get("unique_know_how") else 0))


def _volume_axis(volumes: list[float], thresholds: list[float]) -> tuple[int, int]:
    values = [max(v, 1.0) for v in volumes + thresholds]
    return math.floor(math.log10(min(values))), max(math.ceil(math.log10(max(values))), 1)


def _clusters(entries: list[dict[str, Any]], xs: list[float], scores: list[int]) -> list[list[int]]:
    """The flows of each mark, by index: one a mark, or from ``CLUSTER_FROM`` flows those with the same
    decision and score within 14 units of volume axis together."""
    if len(entries) < CLUSTER_FROM:
        return [[index] for index in range(len(entries))]
    groups: dict[tuple[str, int, int], list[int]] = {}
    for index, entry in enumerate(entries):
        groups.setdefault((final_decision(entry), scores[index], round(xs[index] / 14)), []).append(index)
    return list(groups.values())


def _mark_candidates(px: float, py: float, r: float) -> list[tuple[float, float, str]]:
    """A mark's label places: right of it, left, then above and below on either side."""
    return [(px + r + 4, py + 4, "start"), (px - r - 4, py + 4, "end"), (px + r, py - r - 5, "start"),
            (px + r, py + r + 14, "start"), (px - r, py - r - 5, "end"), (px - r, py + r + 14, "end")]


def portfolio_map(entries: list[dict[str, Any]], thresholds: dict[str, float], lang: Lang,
                  frame: Frame) -> dict[str, Any]:
    """Every flow placed by monthly volume (log scale) against its complexity-and-sensitivity score; each
    label where it overlaps nothing: the name, else the flow's number (named in the key under the map),
    else none (the name stays in the mark's tooltip)."""
    words = labels(lang)["report"]
    volumes = [float(e["monthly_volume"]) for e in entries]
    low, high = _volume_axis(volumes, list(thresholds.values()))
    right, bottom = frame.width - frame.right, frame.height - frame.bottom

    def x(volume: float) -> float:
        return frame.left + (math.log10(max(volume, 1.0)) - low) / (high - low) * (right - frame.left)

    def y(score: float) -> float:
        return bottom - score / 6 * (bottom - frame.top)

    plot = Placement((frame.left, 0, right, bottom))
    lines = []
    for name, value in thresholds.items():
        label, lx = f"{words['threshold_' + name]} ({number(value, 0, lang)})", x(value)
        spot = plot.place(label, [(lx + side * 4, frame.top - 8 + 15 * row, anchor) for row in range(4)
                                  for side, anchor in ((1, "start"), (-1, "end"))]) or (lx + 4, frame.top - 8, "start")
        lines.append({"x": round(lx, 1), "label": label, "label_x": round(spot[0], 1), "label_y": round(spot[1], 1),
                      "anchor": spot[2]})
    scores = [risk_score(e["facts"]) for e in entries]
    marks = _marks(_clusters(entries, [x(v) for v in volumes], scores), [x(v) for v in volumes],
                   [y(s) for s in scores], plot)
    points = [_point(entries, members, px, py, r, plot, lang) for members, px, py, r in marks]
    levels = [{"y": round(y(s), 1), "label": str(s)} for s in range(7)]
    return {"name": frame.name, "width": frame.width, "height": frame.height, "left": frame.left, "right": right,
            "top": frame.top, "bottom": bottom, "points": points, "lines": lines, "levels": levels,
            "ticks": _ticks(frame, levels, [(x(10 ** p), number(10 ** p, 0, lang)) for p in range(low, high + 1)])}


def _marks(clusters: list[list[int]], xs: list[float], ys: list[float],
           plot: Placement) -> list[tuple[list[int], float, float, float]]:
    """Each mark's flows, centre and radius (larger for more flows), its place taken in the plot; marks
    at the same place are stacked upwards."""
    stacked: dict[tuple[int, float], int] = {}
    marks = []
    for members in clusters:
        px, py = sum(xs[i] for i in members) / len(members), ys[members[0]]
        key = (round(px / 14), py)
        stacked[key] = stacked.get(key, 0) + 1
        py -= 14 * (stacked[key] - 1)
        r = 6.5 + min(5.0, 1.5 * math.log2(len(members)))
        plot.take((px - r, py - r, px + r, py + r))
        marks.append((members, px, py, r))
    return marks


def _ticks(frame: Frame, levels: list[dict[str, Any]], ticks: list[tuple[float, str]]) -> list[dict[str, Any]]:
    """The volume axis's ticks, each labelled where its label overlaps neither another tick's nor the
    score axis's (a phone's narrow chart drops a few)."""
    axis = Placement((0, 0, frame.width, frame.height))
    for level in levels:
        axis.take(text_box(frame.left - 8, float(level["y"]) + 4, str(level["label"]), "end"))
    baseline = frame.height - frame.bottom + 17
    out = []
    for tx, label in ticks:
        spot = axis.place(label, [(tx, baseline, "middle"), (tx, baseline, "end"), (tx, baseline, "start")])
        out.append({"x": round(tx, 1), "label": label if spot else "", "label_x": round(spot[0] if spot else tx, 1),
                    "anchor": spot[2] if spot else "middle"})
    return out


def _point(entries: list[dict[str, Any]], members: list[int], px: float, py: float, r: float, plot: Placement,
           lang: Lang) -> dict[str, Any]:
    """One mark of the map with its label placed: a flow's name or number, or a cluster's count."""
    entry = entries[members[0]]
    decision = final_decision(entry)
    candidates = _mark_candidates(px, py, r)
    if len(members) > 1:
        texts = [str(labels(lang)["report"]["cluster"]).format(n=len(members))]
    else:
        texts = [entry["name"] if len(entry["name"]) <= 30 else entry["name"][:29] + "…", str(members[0] + 1)]
    label, spot = "", None
    for text in texts:
        spot = plot.place(text, candidates)
        if spot is not None:
            label = text
            break
    names = [entries[i]["name"] for i in members[:12]] + (["…"] if len(members) > 12 else [])
    return {"ids": " ".join(entries[i]["id"] for i in members), "names": ", ".join(names),
            "count": len(members), "x": round(px, 1), "y": round(py, 1), "r": round(r, 1), "decision": decision,
            "colour": COLOURS[decision], "shape": SHAPES[decision], "score": risk_score(entry["facts"]),
            "volume": number(sum(float(entries[i]["monthly_volume"]) for i in members), 0, lang),
            "label": label, "keyed": label == str(members[0] + 1),
            "label_x": round(spot[0], 1) if spot else 0, "label_y": round(spot[1], 1) if spot else 0,
            "anchor": spot[2] if spot else "start"}


def map_key(maps: list[dict[str, Any]], entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The flows shown by their number on a map, in order: number and name."""
    keyed = sorted({int(p["label"]) for chart in maps for p in chart["points"] if p["keyed"]})
    return [{"n": n, "name": entries[n - 1]["name"]} for n in keyed]


@dataclass(frozen=True)
class CostLayout:
    """Where a cost chart draws: in the wide one, option names left of the bars and amounts right of
    them; in the narrow one (a phone), each option's name and amount on a line above its bar."""

    name: str
    width: int
    bar_x: int  # where bars start
    bar_w: int  # the longest bar
    head: int  # from a flow's top to its first bar
    step: int  # from one option's bar to the next
    inline: bool  # name and amount on a line above the bar


COST_LAYOUTS = (CostLayout("wide", 760, 150, 410, 20, 18, False), CostLayout("narrow", 330, 0, 326, 50, 32, True))
COST_BAR, COST_GAP = 13, 12
COST_FLOWS_MAX = 12  # flows drawn; a bigger portfolio shows those that cost the most in-house
CARDS_MAX = 40  # flow cards; likewise
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


def largest_flows(entries: list[dict[str, Any]], most: int) -> list[dict[str, Any]]:
    """The ``most`` flows that cost the most in-house a month, in the order of the answers; all of them
    when there are no more."""
    if len(entries) <= most:
        return entries

    def inhouse(index: int) -> float:
        return float(costed_options(entries[index]).get("keep_internal", {}).get("monthly") or 0.0)

    kept = sorted(sorted(range(len(entries)), key=lambda i: -inhouse(i))[:most])
    return [entries[i] for i in kept]


def cost_chart(entries: list[dict[str, Any]], lang: Lang, layout: CostLayout) -> dict[str, Any]:
    """Per flow, one bar per option it could take: its all-in cost per contact (keeping in-house split
    into base, hidden and opportunity costs), the options of the decision highlighted, each with its
    saving against keeping in-house (coloured on the decision's options only: a saving not taken, or
    a flow kept in-house, is no saving)."""
    words = labels(lang)
    largest = max((o["per_contact"] or 0.0 for e in entries for o in costed_options(e).values()), default=0.0) or 1.0
    rows = []
    top = 8
    for entry in entries:
        options, chosen = costed_options(entry), recommended_options(entry)
        decision = final_decision(entry)
        split = [words["splits"][s] for s in chosen] if decision == "hybrid" else []
        y = top + layout.head
        bars = []
        for name, option in options.items():
            bars.append(_bar(entry, name, option, name in chosen, largest, y, layout, lang))
            y += layout.step
        no_quote = "outsource" not in options
        if no_quote:
            y += layout.step
        decision_label = words["decisions"][decision] + (f" ({', '.join(split)})" if split else "")
        rows.append({"id": entry["id"], "name": _heading_name(entry["name"], decision_label, layout),
                     "top": top, "decision": decision, "decision_label": decision_label, "bars": bars,
                     "no_quote_y": y - layout.step if no_quote else None})
        top = y + COST_GAP
    opportunity = any(p["colour"] == KEEP_PARTS[2][1] for row in rows for bar in row["bars"] for p in bar["parts"])
    return {"name": layout.name, "width": layout.width, "height": top, "left": layout.bar_x, "bar_h": COST_BAR,
            "rows": rows, "opportunity": opportunity, "inline": layout.inline}


def _heading_name(name: str, decision_label: str, layout: CostLayout) -> str:
    """A flow's name as its heading shows it: beside the decision in the wide chart (the name gives
    way), alone on its line in the narrow one."""
    room = layout.width - 10 - (0 if layout.inline else text_box(0, 0, decision_label, "start")[2] + 10)
    chars = max(12, int(room / 7.7))  # bold text is wider
    return name if len(name) <= chars else name[:chars - 1] + "…"


def _bar(entry: dict[str, Any], name: str, option: dict[str, Any], recommended: bool, largest: float, y: int,
         layout: CostLayout, lang: Lang) -> dict[str, Any]:
    """One option's bar: its width on the chart's scale, keeping in-house in its parts, its amount and
    its saving."""
    words = labels(lang)
    width = round((option["per_contact"] or 0.0) / largest * layout.bar_w, 1)
    parts = []
    if name == "keep_internal" and option["monthly"]:
        # The whole bar is drawn in the base cost's colour, the other costs over its end.
        x = float(layout.bar_x)
        for index, (key, fill) in enumerate(KEEP_PARTS):
            part_w = round(width * float(entry["metrics"].get(key) or 0.0) / option["monthly"], 1)
            if index and part_w > 0:
                parts.append({"x": round(x, 1), "width": part_w, "colour": fill, "title": words["report"][key]})
            x += part_w
    text, colour = (None, None) if name == "keep_internal" else _saving_text(option["saving_pct"], lang)
    return {"option": name, "label": words["option_names"][name], "y": y, "width": width,
            "colour": "#7d8796" if name == "keep_internal" else COLOURS[
                "outsource" if name == "outsource" else "hybrid"],
            "parts": parts, "recommended": recommended,
            "amount": money(option["per_contact"], entry["currency"], lang),
            "saving": text, "saving_colour": colour if recommended else None}


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
        "kept_text": str(report["kept_one" if kept == 1 else "kept"]).format(n=kept),
        "unpriced": unpriced,
        "unpriced_text": str(report["unpriced"]).format(n=unpriced),
        "overridden_text": str(report["overridden"]).format(n=overridden),
    }


def ruled_out(entry: dict[str, Any], view: dict[str, Any], lang: Lang) -> dict[str, Any]:
    """A card's vetoes, one item per set of rules (with the options they rule out), each with its
    reason and, for the veto that holds the decision, what would lift it; the other tipping points
    apart."""
    levers, others = tipping_split(entry, lang)
    hold = held_by_veto(entry["scores"], entry["vetoes"], entry["decision"])
    items: dict[tuple[str, ...], dict[str, Any]] = {}
    for veto in view["vetoes"]:
        item = items.setdefault(tuple(veto["rules"]), {"options": [], "rules": veto["rules"], "levers": [],
                                                       "text": " ".join(t for t in veto["texts"] if t)})
        item["options"].append(veto["option_label"])
        if hold is not None and veto["option"] == hold.option:
            item["levers"] = levers
    return {"vetoes": list(items.values()), "tipping": others if view["tipping"] is not None else None}


def robustness_bars(entries: list[dict[str, Any]], lang: Lang) -> dict[str, Any] | None:
    """For the flows sampled under their ranged answers, a bar each: the share of the samples each
    option wins (as widths in %, in the decision colours, and in words) and how sure the decision is;
    None when no flow was sampled."""
    sampled = [entry for entry in entries if entry.get("robustness") is not None]
    if not sampled:
        return None
    words = labels(lang)["robustness"]
    rows = []
    for entry in sampled:
        view = robustness_view(entry, lang)
        assert view is not None, "a sampled flow has its robustness in words"
        shares = entry["robustness"]["shares"]
        parts = [{"option": name, "width": round(100 * shares[name], 2),
                  "title": f"{words['options'][name]}{labels(lang)['colon']}{percent(100 * shares[name], 0, lang)}"}
                 for name in COLOURS if shares.get(name, 0) > 0]
        rows.append({"id": entry["id"], "name": entry["name"], "label": view["label"],
                     "shares": view["shares"], "parts": parts})
    first = sampled[0]["robustness"]
    note = str(labels(lang)["report"]["robustness_note"]).format(
        samples=number(first["samples"], 0, lang), seed=first["seed"], robust=percent(100 * ROBUST, 0, lang),
        likely=percent(100 * LIKELY, 0, lang))
    return {"title": words["title"], "rows": rows, "note": note}


def map_thresholds(policy: Policy) -> dict[str, float]:
    """The policy's volume thresholds the portfolio map draws (those it defines)."""
    return {name: float(policy.param(name)) for name in ("small_volume_max", "massive_volume_min")
            if name in policy.parameters}


def render_report(doc: Document, thresholds: dict[str, float], lang: Lang, source: str,
                  bids: dict[str, Any] | None = None) -> str:
    """The whole report as one HTML page; a big portfolio draws the flows that cost the most in-house in
    the cost chart and the cards, and says how many it leaves to ``arbitre recommend``. With ``bids``
    (``explanations.bids.bids_data``), a section compares the providers' bids."""
    from .bids import bids_blocks

    words = labels(lang)
    entries = list(doc.flows)
    carded = largest_flows(entries, CARDS_MAX)
    views = [view_of(e, lang, doc.cost_model) for e in carded]
    for view, entry in zip(views, carded):
        view["risk_score"] = risk_score(entry["facts"])
        view.update(ruled_out(entry, view, lang))
    maps = [portfolio_map(entries, thresholds, lang, frame) for frame in MAP_FRAMES]
    charted = largest_flows(entries, COST_FLOWS_MAX)
    context = {
        "L": words, "R": words["report"], "lang": lang, "organisation": doc.organisation, "policy": doc.policy,
        "source": source, "summary": summary(entries, lang), "maps": maps, "key": map_key(maps, entries),
        "costs": [cost_chart(charted, lang, layout) for layout in COST_LAYOUTS], "flows": views,
        "colours": COLOURS, "shapes": SHAPES,
        "costs_rest": str(words["report"]["largest_only"]).format(shown=len(charted), n=len(entries))
        if len(charted) < len(entries) else None,
        "cards_rest": str(words["report"]["largest_only"]).format(shown=len(carded), n=len(entries))
        if len(carded) < len(entries) else None,
        "bids": None if bids is None else bids_blocks(bids, doc.organisation, lang),
        "robustness": robustness_bars(entries, lang),
    }
    return str(environment(lang).get_template("report.html").render(context))
