"""Bids compared, as plain data (the JSON output and the audit record's ``bids`` section) and as text
or Markdown in English or French.

The data holds every text it shows already rendered in each language asked (the policy's conditions),
so that it renders again from an audit record alone.
"""

from __future__ import annotations

from typing import Any, Literal

from engine.errors import printable
from engine.typography import elided
from engine.policy.loading import Policy
from engine.procurement.bids import Comparison, Loss, Offer, Priced, SetAside, term_differences, why_not
from engine.procurement.bundles import Bundle, Commitment

from .figures import Lang, money, number, percent
from .render import labels, markdown_text, rule_texts, wrap

Format = Literal["text", "markdown", "html"]


def _priced(priced: Priced) -> dict[str, Any]:
    return {"form": priced.form, "amount": priced.amount, "hourly": priced.hourly,
            "allin_monthly": priced.allin_monthly, "term_months": priced.term_months, "cost": priced.cost.model_dump()}


def _offer(offer: Offer, policy: Policy, langs: tuple[Lang, ...]) -> dict[str, Any]:
    facts = {**offer.result.facts, **offer.result.derived}
    verdict = offer.result.verdict
    return {
        "bidder": offer.bidder, "site": offer.site, "site_country": offer.site_country, "lot": offer.lot,
        "option": offer.option, **_priced(offer.best), "others": [_priced(p) for p in offer.others],
        "decision": verdict.decision.value, "split": [s.value for s in verdict.split],
        "chosen": offer.chosen, "eligible": offer.eligible, "rules_against": list(offer.rules_against),
        "vetoes": list(offer.vetoes),
        "conditions": [{"id": c.id, "rule": c.rule_id,
                        "text": {lang: rule_texts(policy, lang).render(c.rule_id, "condition", facts) for lang in langs}}
                       for c in offer.conditions],
    }


def _named(offer: Offer) -> dict[str, Any]:
    """An offer named without ambiguity (a bidder may offer a site for the whole flow and for a split)."""
    return {"bidder": offer.bidder, "site": offer.site, "lot": offer.lot, "option": offer.option,
            "allin_monthly": offer.best.allin_monthly}


def _choice(offer: Offer | None) -> dict[str, Any] | None:
    return None if offer is None else _named(offer)


def _set_aside(item: SetAside) -> dict[str, Any]:
    return {"bidder": item.bidder, "reason": item.reason, "where": item.where, "lot": item.lot, "site": item.site,
            "form": item.form, "amount": item.amount, "hourly": item.hourly,
            "band": None if item.band is None else list(item.band), "value": item.value}


def _bundle(bundle: Bundle) -> dict[str, Any]:
    return {"lot": bundle.lot.model_dump(mode="json"), "fte": bundle.fte, "keep_total": bundle.keep_total,
            "term_months": bundle.term_months, "saving": bundle.saving,
            "prices": [{"bidder": p.bidder, "site": p.site, "site_country": p.site_country, "form": p.quote.form,
                        "amount": p.quote.amount, "indicative": p.indicative, "cost": p.cost.model_dump(),
                        "alone_total": p.alone_total, "term_months": p.term_months, "keep_total": p.keep_total,
                        "allin_monthly": p.allin_monthly} for p in bundle.prices],
            "set_aside": [_set_aside(s) for s in bundle.set_aside]}


def _commitment(item: Commitment) -> dict[str, Any]:
    return {"bidder": item.bidder, "minimum_fte": item.minimum_fte, "won_fte": item.won_fte, "won": list(item.won),
            "reached": item.reached, "reachable": item.reachable, "exact": item.exact,
            "to_reach": [{"flow": flow, "fte": fte, "extra_monthly": extra} for flow, fte, extra in item.to_reach]}


def bids_data(comparison: Comparison, bundles: list[Bundle], commitments: list[Commitment], policy: Policy,
              langs: tuple[Lang, ...]) -> dict[str, Any]:
    """Every bid checked, ranked per flow, the bundles and the commitments, as plain data."""
    flows = []
    for ranking in comparison.flows:
        base = ranking.baseline
        winner = ranking.winner
        flows.append({
            "id": base.id, "name": base.name, "decision": base.verdict.decision.value,
            "split": [s.value for s in base.verdict.split], "keep": ranking.keep.model_dump(),
            "term_months": int(base.costs.contract_months),
            "offers": [_offer(o, policy, langs) for o in ranking.offers],
            "winner": _choice(winner),
            "next_choice": None if winner is None else _choice(ranking.next_choice),
            "margin_monthly": None if winner is None else ranking.runner_up_allin - winner.best.allin_monthly,
            "kept_because": ranking.kept_because,
            "not_priced": list(ranking.not_priced),
        })
    return {
        "currency": comparison.currency,
        "bids": [{**b.model_dump(mode="json"), "refused": b.bidder in comparison.refused} for b in comparison.bids],
        "set_aside": [_set_aside(s) for s in comparison.set_aside],
        "terms": [{"bidder": bidder, "bid_months": bid, "answers_months": answers}
                  for bidder, bid, answers in term_differences(comparison, policy)],
        "flows": flows,
        "min_dedicated_fte": policy.costs.min_dedicated_fte,
        "bundles": [_bundle(b) for b in bundles],
        "commitments": [_commitment(c) for c in commitments],
    }


def _loss(loss: Loss) -> dict[str, Any]:
    def side(offer: Offer | None) -> dict[str, Any] | None:
        return None if offer is None else {**_named(offer), "decision": offer.result.verdict.decision.value,
                                           "split": [s.value for s in offer.result.verdict.split],
                                           "rules_against": list(offer.rules_against), "vetoes": list(offer.vetoes)}

    return {"flow": loss.flow, "kind": loss.kind, "offer": side(loss.offer), "lost_to": side(loss.against),
            "set_aside": [_set_aside(s) for s in loss.set_aside], "run_monthly": loss.run_monthly,
            "one_off": loss.one_off, "allin_monthly": loss.allin_monthly}


def why_not_data(comparison: Comparison, commitments: list[Commitment], bidder: str) -> dict[str, Any]:
    """Why ``bidder``'s bid lost, flow by flow, and its minimum commitment, as plain data."""
    names = {r.baseline.id: r.baseline.name for r in comparison.flows}
    commitment = next((c for c in commitments if c.bidder == bidder), None)
    return {"bidder": bidder, "currency": comparison.currency,
            "flows": [{**_loss(loss), "name": names[loss.flow]} for loss in why_not(comparison, bidder)],
            "commitment": None if commitment is None else _commitment(commitment)}


# ---------------------------------------------------------------------------------------------
# Text and Markdown


class _Page:
    """Headings, paragraphs and list items as text or Markdown lines, or as blocks for the HTML report
    (escaped there by the template); names shown as written."""

    def __init__(self, fmt: Format) -> None:
        self.fmt = fmt
        self.lines: list[str] = []
        self.blocks: list[dict[str, Any]] = []

    def name(self, value: Any) -> str:
        return markdown_text(value) if self.fmt == "markdown" else str(value)

    def heading(self, text: str, level: int = 2) -> None:
        self.blocks.append({"kind": "heading", "level": level, "text": text})
        if self.lines and self.lines[-1]:
            self.lines.append("")
        if self.fmt == "markdown":
            self.lines += ["#" * level + " " + text, ""]
        else:
            self.lines += [text, ("=" if level == 1 else "-") * len(text)]

    def item(self, text: str, depth: int = 0) -> None:
        self.blocks.append({"kind": "item", "depth": depth, "text": text})
        indent = "  " * depth
        self.lines.append(wrap(text, 100, indent + "  ", indent + "- "))

    def para(self, text: str) -> None:
        """A paragraph; in Markdown a blank line first, or it would run on as the last list item's text."""
        self.blocks.append({"kind": "para", "text": text})
        if self.fmt == "markdown" and self.lines and self.lines[-1]:
            self.lines.append("")
        self.lines.append(wrap(text, 100))

    def text(self) -> str:
        return printable("\n".join(self.lines) + "\n")


def _amount(value: float, currency: str, lang: Lang) -> str:
    """A cost (a month's, a term's, a one-off, a difference) whole, as the other costs beside it; prices
    (per contact, per hour) keep their cents through ``money``."""
    return money(value, currency, lang, whole=True)


def _form(form: str, lang: Lang) -> str:
    return str(labels(lang)[form])


def _reason(item: dict[str, Any], currency: str, lang: Lang, page: _Page) -> str:
    words = labels(lang)["bids"]
    band = item["band"] or [0, 0]
    return str(words["reasons"][item["reason"]]).format(
        value=page.name(words_for(item["value"], lang)), currency=currency, lot=page.name(item["lot"]),
        site=page.name(item["site"]), form=_form(item["form"], lang) if item["form"] else "",
        amount=money(item["amount"], currency, lang) if item["amount"] is not None else "",
        hourly=money(item["hourly"], currency, lang) if item["hourly"] is not None else "",
        low=money(band[0], currency, lang), high=money(band[1], currency, lang))


def words_for(value: str, lang: Lang) -> str:
    """An option's name in words ('after_hours' -> 'after hours'), anything else as it is."""
    return str(labels(lang)["option_names"].get(value, value))


def _decision(decision: str, split: list[str], lang: Lang) -> str:
    """A decision in words, with its split: 'hybrid (tier 1)'."""
    words = labels(lang)
    text = str(words["decisions"][decision])
    return f"{text} ({', '.join(str(words['option_names'][s]) for s in split)})" if split else text


def _named_offer(offer: dict[str, Any], lang: Lang, page: _Page) -> str:
    """'Atlas & Tejo Services, Casablanca, whole flow': bidder, site and which option."""
    option = labels(lang)["bids"]["lines"][offer["option"]]
    return f"{page.name(offer['bidder'])}, {page.name(offer['site'])}, {option}"


def _offer_line(offer: dict[str, Any], currency: str, lang: Lang, page: _Page) -> str:
    """An offer in one line: who, where, which option, its price, and its all-in cost and payback."""
    words, all_words = labels(lang)["bids"], labels(lang)
    cost = offer["cost"]
    head = (f"{page.name(offer['bidder'])}, {page.name(offer['site'])} ({offer['site_country']}), "
            f"{words['lines'][offer['option']]}, {money(offer['amount'], currency, lang)} {_form(offer['form'], lang)}")
    figures = [words["allin"].format(amount=_amount(offer["allin_monthly"], currency, lang)),
               words["over_term"].format(amount=_amount(cost["term_total"], currency, lang), months=offer["term_months"])
               + ", " + _one_off(cost, currency, lang),
               words["payback"].format(months=number(cost["payback_months"], 1, lang))
               if cost["payback_months"] is not None else words["no_payback"]]
    return f"{head}{all_words['colon']}" + str(all_words["semicolon"]).join(figures)


def _one_off(cost: dict[str, Any], currency: str, lang: Lang) -> str:
    """The one-off inside the all-in figures, split into the bid's transition and the company's own
    exit costs (the run of the in-house team released)."""
    words = labels(lang)["bids"]
    if not cost["exit_cost"]:
        return str(words["one_off_transition"]).format(amount=_amount(cost["one_off"], currency, lang))
    return str(words["one_off"]).format(amount=_amount(cost["one_off"], currency, lang),
                                        transition=_amount(cost["transition_cost"], currency, lang),
                                        exit=_amount(cost["exit_cost"], currency, lang))


def _policy_line(offer: dict[str, Any], lang: Lang) -> str:
    """What the policy makes of the flow under this bid: this offer's option (its conditions follow),
    or another one, and the rules that vetoed or weighed against this one."""
    words = labels(lang)["bids"]
    decision = _decision(offer["decision"], offer["split"], lang)
    if offer["eligible"]:
        return str(words["chosen_on_conditions" if offer["conditions"] else "chosen"]).format(decision=decision)
    if offer["vetoes"]:
        return str(words["vetoed"]).format(rules=", ".join(offer["vetoes"]), decision=decision)
    reason = str(words["not_chosen"]).format(decision=decision)
    if offer["rules_against"]:
        reason += labels(lang)["semicolon"] + words["weighs_against"].format(rules=", ".join(offer["rules_against"]))
    return reason


def _award(flow: dict[str, Any], currency: str, lang: Lang, page: _Page) -> str:
    """The award of a flow in one sentence: the winner and its margin over the next choice, or why
    the flow stays in-house."""
    words = labels(lang)["bids"]
    winner, offers = flow["winner"], flow["offers"]
    if winner is not None:
        following = words["keep"] if flow["next_choice"] is None else _named_offer(flow["next_choice"], lang, page)
        return str(words["winner"]).format(offer=_named_offer(winner, lang, page), next=following,
                                           amount=_amount(flow["margin_monthly"], currency, lang))
    if flow["kept_because"] == "no_offer":
        return str(words["no_offer"])
    if flow["kept_because"] == "keep_cheaper":
        cheapest = next(o for o in offers if o["eligible"])
        return str(words["keep_cheaper"]).format(offer=_named_offer(cheapest, lang, page), amount=_amount(
            cheapest["allin_monthly"] - flow["keep"]["monthly"], currency, lang))
    rules = list(dict.fromkeys(r for o in offers for r in [*o["vetoes"], *o["rules_against"]]))
    behind = words["rules_behind"].format(rules=", ".join(rules)) if rules else ""
    return f"{words['none_eligible']}{behind}."


def _flow_lines(flow: dict[str, Any], currency: str, lang: Lang, page: _Page) -> None:
    words, all_words = labels(lang)["bids"], labels(lang)
    colon, semicolon = all_words["colon"], all_words["semicolon"]
    page.heading(f"{page.name(flow['name'])} ({page.name(flow['id'])}), "
                 + words["today"].format(decision=_decision(flow["decision"], flow["split"], lang)), 3)
    keep = flow["keep"]
    page.item(f"{words['keep']}{colon}" + semicolon.join([
        words["a_month"].format(amount=_amount(keep["monthly"], currency, lang)),
        words["over_term"].format(amount=_amount(keep["term_total"], currency, lang), months=flow["term_months"])]))
    for offer in flow["offers"]:
        page.item(_offer_line(offer, currency, lang, page))
        page.item(_policy_line(offer, lang), 1)
        if offer["eligible"]:
            for condition in offer["conditions"]:
                page.item(condition["text"][lang], 2)
        if offer["others"]:
            page.item(f"{words['other_forms']}{colon}" + ", ".join(
                f"{money(p['amount'], currency, lang)} {_form(p['form'], lang)} "
                f"({words['allin'].format(amount=_amount(p['allin_monthly'], currency, lang))})"
                for p in offer["others"]), 1)
    if flow["not_priced"]:
        page.item(words["not_priced"].format(bidders=", ".join(page.name(b) for b in flow["not_priced"])))
    page.para(_award(flow, currency, lang, page))


def _bundle_lines(data: dict[str, Any], lang: Lang, page: _Page) -> None:
    words, currency = labels(lang)["bids"], data["currency"]
    page.heading(words["bundles"])
    if not data["bundles"]:
        page.para(words["no_bundles"].format(fte=number(data["min_dedicated_fte"], 0, lang)))
    for bundle in data["bundles"]:
        lot = bundle["lot"]
        page.item(words["bundle"].format(lot=lot["id"], flows=", ".join(page.name(f) for f in lot["flows"]),
                                         channel=labels(lang)["values"].get(lot["channel"], lot["channel"]),
                                         fte=number(bundle["fte"], 1, lang),
                                         contacts=number(lot["monthly_contacts"], 0, lang)))
        page.item(words["bundle_keep"].format(amount=_amount(bundle["keep_total"], currency, lang),
                                              months=bundle["term_months"]), 1)
        if not bundle["prices"]:
            page.item(words["bundle_unused" if bundle.get("set_aside") else "bundle_unpriced"], 1)
        best = min(bundle["prices"], key=_bundle_allin, default=None)
        for price in bundle["prices"]:
            # A record written before prices had their own term costs them over the bundle's.
            months = price.get("term_months") or bundle["term_months"]
            keep = bundle["keep_total"] if price.get("keep_total") is None else price["keep_total"]
            text = words["bundle_price"].format(
                bidder=page.name(price["bidder"]), site=page.name(price["site"]),
                amount=money(price["amount"], currency, lang), form=_form(price["form"], lang),
                total=_amount(price["cost"]["term_total"], currency, lang), months=months,
                keep=_amount(keep, currency, lang), saving=_amount(keep - price["cost"]["term_total"], currency, lang),
                alone=_amount(price["alone_total"], currency, lang))
            marks = [words["best_price"]] if price is best and len(bundle["prices"]) > 1 else []
            marks += [words["indicative"]] if price["indicative"] else []
            page.item(" ".join([text, *marks]), 1)
        for item in bundle.get("set_aside", ()):
            page.item(words["bundle_set_aside"].format(bidder=page.name(item["bidder"]),
                                                       reason=_reason(item, currency, lang, page)), 1)


def _bundle_allin(price: dict[str, Any]) -> float:
    """A bundle price's cost a month, one-offs spread over its term (the bundle's in an older record)."""
    if price.get("allin_monthly") is not None:
        return float(price["allin_monthly"])
    return float(price["cost"]["term_total"])


def _commitment_lines(commitment: dict[str, Any], currency: str, lang: Lang, page: _Page) -> None:
    words = labels(lang)["bids"]
    key = "commitment_met" if commitment["reached"] else "commitment_short"
    page.item(words[key].format(bidder=page.name(commitment["bidder"]), won=number(commitment["won_fte"], 1, lang),
                                minimum=number(commitment["minimum_fte"], 1, lang)))
    if commitment["reached"]:
        return
    if commitment["to_reach"] and commitment["reachable"]:
        page.item(words["commitment_takes"].format(
            flows=", ".join(f"{page.name(t['flow'])} ({number(t['fte'], 1, lang)}\u00a0{labels(lang)['fte']})"
                            for t in commitment["to_reach"]),
            extra=_amount(sum(t["extra_monthly"] for t in commitment["to_reach"]), currency, lang))
            + ("" if commitment.get("exact", True) else " " + words["commitment_greedy"]), 1)
    else:
        page.item(words["commitment_unreachable"], 1)


def render_bids(data: dict[str, Any], organisation: str, fmt: Format, lang: Lang) -> str:
    """The comparison in text or Markdown: the bids, what was set aside, each flow's ranking, the
    bundles and the minimum commitments."""
    page = _Page(fmt)
    _comparison(page, data, organisation, lang)
    return page.text()


def bids_blocks(data: dict[str, Any], organisation: str, lang: Lang) -> list[dict[str, Any]]:
    """The comparison as the HTML report's blocks (headings, paragraphs, items), the same as the text."""
    page = _Page("html")
    _comparison(page, data, organisation, lang)
    return page.blocks


def _comparison(page: _Page, data: dict[str, Any], organisation: str, lang: Lang) -> None:
    words, currency, colon = labels(lang)["bids"], data["currency"], labels(lang)["colon"]
    page.heading(words["title"].format(organisation=page.name(organisation)), 1)
    page.heading(words["compared"])
    for bid in data["bids"]:
        details = [words["term"].format(months=bid["contract_months"])] if bid["contract_months"] else []
        if bid["minimum_fte"] is not None:
            details.append(words["minimum"].format(fte=number(bid["minimum_fte"], 1, lang)))
        if bid["refused"]:
            details.append(words["refused"])
        page.item(words["bid"].format(bidder=page.name(bid["bidder"]), source=page.name(bid["source"]))
                  + (colon + ", ".join(details) if details else ""))
    for term in data["terms"]:
        page.item(words["term_differs"].format(bidder=page.name(term["bidder"]), bid=term["bid_months"],
                                               answers=term["answers_months"]))
    if data["set_aside"]:
        page.heading(words["set_aside"])
        for item in data["set_aside"]:
            page.item(f"{page.name(item['bidder'])} ({page.name(item['where'])}){colon}{_reason(item, currency, lang, page)}")
    page.heading(words["flows"])
    total = _award_total(data["flows"], currency, lang)
    if total:
        page.para(total)
    for flow in data["flows"]:
        _flow_lines(flow, currency, lang, page)
    _bundle_lines(data, lang, page)
    if data["commitments"]:
        page.heading(words["commitments"])
        for commitment in data["commitments"]:
            _commitment_lines(commitment, currency, lang, page)


def _award_total(flows: list[dict[str, Any]], currency: str, lang: Lang) -> str:
    """The award in one sentence: what the flows awarded cost a month all-in under their winning bids,
    against keeping them in-house, and the saving; nothing when no flow is awarded."""
    awarded = [flow for flow in flows if flow["winner"] is not None]
    if not awarded:
        return ""
    under = sum(flow["winner"]["allin_monthly"] for flow in awarded)
    keep = sum(flow["keep"]["monthly"] for flow in awarded)
    return str(labels(lang)["bids"]["award_total"]).format(
        count=len(awarded), under=_amount(under, currency, lang), keep=_amount(keep, currency, lang),
        saving=_amount(keep - under, currency, lang), pct=percent(100 * (keep - under) / keep, 1, lang))


def render_awards_verified(data: dict[str, Any], currency: str, lang: Lang) -> str:
    """What ``arbitre explain --verify`` found of the recorded bids' awards: the same, each one that
    changed (recorded and now), or not checked (an older record without the bids' lines); nothing for
    a record without bids."""
    if "awards_checked" not in data:
        return ""
    words = labels(lang)["bids"]
    if not data["awards_checked"]:
        return wrap(words["verify_unchecked"], 100) + "\n"
    if not data["awards_changed"]:
        return wrap(words["verify_same"], 100) + "\n"
    lines = [wrap(words["verify_changed"].format(count=len(data["awards_changed"])), 100)]
    for flow in data["awards_changed"]:
        lines.append(wrap(words["verify_flow"].format(id=flow["flow"], old=_award_words(flow["recorded"], currency, lang),
                                                      new=_award_words(flow["now"], currency, lang)), 100, "      ", "  - "))
    return printable("\n".join(lines) + "\n")


def _award_words(choice: dict[str, Any] | None, currency: str, lang: Lang) -> str:
    """An award in words: the offer and its all-in cost a month, or keeping in-house."""
    words = labels(lang)["bids"]
    if choice is None:
        return str(words["keep"])
    allin = words["allin"].format(amount=_amount(choice["allin_monthly"], currency, lang))
    return f"{_named_offer(choice, lang, _Page('text'))} ({allin})"


def render_bids_why_not(data: dict[str, Any], fmt: Format, lang: Lang) -> str:
    """Why one bid lost, flow by flow, and its minimum commitment."""
    words, currency = labels(lang)["bids"], data["currency"]
    page = _Page(fmt)
    page.heading(_why_not_title(data, lang, page), 1)
    for flow in data["flows"]:
        page.item(f"{page.name(flow['name'])} ({page.name(flow['flow'])}){labels(lang)['colon']}"
                  + _loss_text(flow, currency, lang, page))
        for item in flow["set_aside"]:
            page.item(_reason(item, currency, lang, page), 1)
    if data["commitment"] is not None:
        _commitment_lines(data["commitment"], currency, lang, page)
    return page.text()


def _why_not_title(data: dict[str, Any], lang: Lang, page: _Page) -> str:
    """'Why X's bid lost' when it won nothing, 'Where X's bid lost' when it won some flows, 'X wins
    every flow it priced' when it lost none it priced."""
    words, bidder = labels(lang)["bids"], page.name(data["bidder"])
    kinds = {flow["kind"] for flow in data["flows"]}
    if "won" not in kinds:
        key = "why_not_title"
    else:
        key = "won_all_title" if kinds <= {"won", "not_priced"} else "where_lost_title"
    return str(words[key]).format(bidder=bidder, of_bidder=elided("de", bidder, lang))


def _signed(value: float, key: str, currency: str, lang: Lang) -> str:
    """A difference in words by its sign: 'EUR 6,000 more one-off', 'EUR 116,936 less one-off'."""
    words = labels(lang)["bids"]["loss"]
    if round(value) == 0:
        return str(words[f"{key}_same"])
    return str(words[f"{key}_more" if value > 0 else f"{key}_less"]).format(amount=_amount(abs(value), currency, lang))


def _loss_text(flow: dict[str, Any], currency: str, lang: Lang, page: _Page) -> str:
    """Why the bid lost one flow (or that it won it), in words."""
    words = labels(lang)["bids"]
    offer, lost_to = flow["offer"], flow["lost_to"]
    rules = (words["loss"]["rules_against"].format(rules=", ".join(offer["rules_against"]))
             if offer and offer["rules_against"] else "")
    scopes = ""
    if offer and lost_to and offer["option"] != lost_to["option"]:
        scopes = words["loss"]["scopes"].format(mine=words["lines"][offer["option"]],
                                                theirs=words["lines"][lost_to["option"]])
    return str(words["loss"][flow["kind"]]).format(
        amount=_amount(offer["allin_monthly"], currency, lang) if offer else "",
        offer=_named_offer(offer, lang, page) if offer else "",
        decision=_decision(offer["decision"], offer["split"], lang) if offer else "", rules=rules,
        vetoes=", ".join(offer["vetoes"]) if offer else "",
        allin=_amount(flow["allin_monthly"], currency, lang), scopes=scopes,
        run=_signed(flow["run_monthly"], "run", currency, lang), one_off=_signed(flow["one_off"], "one_off", currency, lang),
        winner=_named_offer(lost_to, lang, page) if lost_to else "",
        than_winner=elided("que", _named_offer(lost_to, lang, page), lang) if lost_to else "")
