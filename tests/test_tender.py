"""The tender pack: the lots a recommendation puts to tender, the specification in English and French,
the pricing grid, and `arbitre tender`; no cost of the company in any file it writes."""

from __future__ import annotations

import datetime
import functools
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Iterator

import pytest
import yaml
from openpyxl import load_workbook

from engine.answers import load_answers
from engine.errors import UserError
from engine.models import Answers
from engine.policy.loading import Policy
from engine.procurement.grid import read_grid
from engine.procurement.tender import lots
from engine.recommend import Recommendation, recommend
from explanations.figures import country, money, number, percent
from explanations.render import LANGS, document
from explanations.tender import render_specification, weekly_profile
from tests.conftest import EXAMPLES, arbitre_in_process

ACME = EXAMPLES / "acme-retail.yaml"


@functools.cache
def acme(policy: Policy) -> Recommendation:
    return recommend(load_answers(ACME), policy)


class TestLots:
    def test_one_lot_per_flow_out_and_per_split(self, policy: Policy) -> None:
        """A flow recommended out is one lot; a hybrid flow one lot per split; a kept flow none."""
        rec = acme(policy)
        decided = {flow.id: (flow.verdict.decision.value, [split.value for split in flow.verdict.split])
                   for flow in rec.flows}
        expected = []
        for flow_id, (decision, split) in decided.items():
            expected += [flow_id] if decision == "outsource" else [f"{flow_id}.{name}" for name in split]
        assert [lot.id for lot in lots(rec, policy)] == expected
        assert any(lot.scope != "outsource" for lot in lots(rec, policy))

    def test_whole_lot_carries_the_flows_work(self, policy: Policy) -> None:
        """A whole flow's lot: its contacts, its busiest month, its handling time and hours."""
        rec = acme(policy)
        result = next(flow for flow in rec.flows if flow.verdict.decision.value == "outsource")
        lot = next(lot for lot in lots(rec, policy) if lot.id == result.id)
        flow = result.inputs.flow
        assert (lot.monthly_contacts, lot.aht_seconds) == (flow.monthly_volume, flow.aht_seconds)
        assert lot.busiest_month_contacts == pytest.approx(flow.monthly_volume * flow.busiest_over_average)
        assert lot.hours_per_week == result.inputs.coverage_hours_needed
        assert (lot.indicative_fte or 0) > 0

    def test_split_lot_carries_its_share(self, policy: Policy) -> None:
        """A split's lot holds the split's share of the contacts, as the cost model hands it over."""
        rec = acme(policy)
        lot = next(lot for lot in lots(rec, policy) if lot.scope != "outsource")
        result = next(flow for flow in rec.flows if flow.id == lot.flows[0])
        option = result.costs.options[lot.scope]
        share = option.provider_share_pct / 100
        assert lot.monthly_contacts == pytest.approx(result.inputs.flow.monthly_volume * share)

    def test_every_lot_sized_on_one_basis_whatever_todays_quote(self, policy: Policy) -> None:
        """A lot's indicative team tells no bidder today's quote: the same flow quoted per contact from
        an offshore site, or per hour with no provider named, gets the same team, a dedicated one
        working the customers' country's week."""
        data = load_answers(ACME).model_dump(mode="json", exclude_unset=True)
        flow = next(flow for flow in data["flows"] if flow["id"] == "order-taking")
        assert flow["provider_country"] != data["organisation"]["country"] and "per_contact" in flow["vendor_quote"]
        today = {lot.id: lot.indicative_fte for lot in lots(acme(policy), policy)}
        flow.update(vendor_quote={"per_hour": 30.0})
        del flow["provider_country"]
        neutral = {lot.id: lot.indicative_fte for lot in lots(recommend(Answers.model_validate(data), policy), policy)}
        assert today["order-taking"] == neutral["order-taking"]
        assert "Indicative FTE, a dedicated team at the busiest month: every lot sized on the same basis by the " \
            "company's model, a full-time week of 35 hours (country: France)" in _specification(
            acme(policy), policy, "en")

    def test_all_flows_prices_the_kept_flows_too(self, policy: Policy) -> None:
        """With all_flows, every flow has its whole lot; one without a quote is sized from its work."""
        rec = acme(policy)
        every = {lot.id: lot for lot in lots(rec, policy, all_flows=True)}
        assert {flow.id for flow in rec.flows} <= set(every)
        unquoted = next(flow for flow in rec.flows if flow.inputs.flow.vendor_quote is None)
        assert (every[unquoted.id].indicative_fte or 0) > 0

    def test_a_persons_hybrid_puts_every_possible_split_to_tender(self, policy: Policy) -> None:
        """A kept flow a person decides hybrid is tendered split by split, each split it allows."""
        rec = acme(policy)
        kept = next(flow for flow in rec.flows if flow.verdict.decision.value == "keep_internal"
                    and flow.costs.tier1_share_pct)
        chosen = [lot.id for lot in lots(rec, policy, decisions={kept.id: "hybrid"}) if lot.flows == (kept.id,)]
        assert f"{kept.id}.tier1" in chosen and kept.id not in chosen

    def test_a_persons_keep_takes_a_flow_out_of_the_tender(self, policy: Policy) -> None:
        rec = acme(policy)
        out = next(flow for flow in rec.flows if flow.verdict.decision.value == "outsource")
        assert out.id not in [lot.flows[0] for lot in lots(rec, policy, decisions={out.id: "keep_internal"})]


def _specification(rec: Recommendation, policy: Policy, lang: str, all_flows: bool = False) -> str:
    doc = document(rec, policy, (lang,))  # type: ignore[arg-type]
    tendered = lots(rec, policy, all_flows=all_flows)
    return render_specification(rec, doc, policy, tendered, lang,  # type: ignore[arg-type]
                                "answers.yaml", datetime.date(2025, 1, 31))


class TestSpecification:
    def test_no_specification_without_a_lot(self, policy: Policy) -> None:
        """A specification is for providers to price: with no lot there is none to write."""
        rec = acme(policy)
        with pytest.raises(ValueError, match="at least one lot"):
            render_specification(rec, document(rec, policy, ("en",)), policy, [], "en",
                                 "answers.yaml", datetime.date(2025, 1, 31))

    @pytest.mark.parametrize(("lang", "sections"), [
        ("en", ["Lots to price", "Volumes by month", "Volumes by hour of the week", "Service levels",
                "Technology and tools", "Recruitment, training and ramp-up", "Governance and reporting", "Contract",
                "Response format", "How bids are evaluated"]),
        ("fr", ["Lots à chiffrer", "Volumes par mois", "Volumes par heure de la semaine", "Niveaux de service",
                "Technologie et outils", "Recrutement, formation et montée en charge", "Pilotage et comptes rendus",
                "Contrat", "Format de réponse", "Évaluation des offres"]),
    ])
    def test_every_section_in_the_language(self, policy: Policy, lang: str, sections: list[str]) -> None:
        text = _specification(acme(policy), policy, lang)
        headings = re.findall(r"^#+ (.+)$", text, re.M)
        assert all(section in headings for section in sections), headings

    def test_policy_figures_and_terms(self, policy: Policy) -> None:
        """Service level, training, transition and parallel run come from the policy; the bands are stated."""
        text = _specification(acme(policy), policy, "en")
        a = policy.costs
        assert f"{a.service_level_target:.0%} answered within {a.service_level_seconds:g} seconds" in text
        assert f"about {a.provider_training_hours:g} hours for each agent" in text
        assert f"about {a.transition_weeks:g} weeks from signature" in text
        assert f"about {a.parallel_run_weeks:g} weeks of parallel run" in text
        assert f"Term: {a.contract_months} months." in text and "±10%" in text and "±25%" in text
        assert "Measured each day" in text and "Abandoned:" in text

    def test_condition_says_which_certification_meets_it(self, policy: Policy) -> None:
        """A condition a certification meets names it: card data, met by a PCI DSS attestation."""
        text = _specification(acme(policy), policy, "en")
        assert re.search(r"PCI DSS attestation.*\(met by PCI DSS\)", text)

    def test_monthly_profile_is_tabled(self, policy: Policy) -> None:
        """A flow with twelve monthly volumes shows them; one without states its busiest-month ratio."""
        data = load_answers(ACME).model_dump(mode="json", exclude_unset=True)
        first = next(flow for flow in acme(policy).flows if flow.verdict.decision.value == "outsource")
        flow = next(flow for flow in data["flows"] if flow["id"] == first.id)
        flow.pop("peak_ratio", None)
        flow["monthly_profile"] = [1000.0 * (month + 1) for month in range(12)]
        rec = recommend(Answers.model_validate(data), policy)
        text = _specification(rec, policy, "fr")
        assert "| janv. | févr. |" in text and "| 1\u202f000 | 2\u202f000 |" in text
        assert "Les mois ne sont pas donnés" in text  # the other flows

    def test_a_partial_lot_gives_its_own_figures(self, policy: Policy) -> None:
        """A tier-1 lot's section gives the lot's contacts, hours, busiest hour and handling time, the
        whole flow's figures labelled as the flow's."""
        rec = acme(policy)
        lot = next(lot for lot in lots(rec, policy) if lot.id == "after-sales.tier1")
        section = _specification(rec, policy, "en").split("(`after-sales`)")[1].split("\n## ")[0]
        assert (f"Contacts of the lot: {number(lot.monthly_contacts, 0, 'en')} in an average month, "
                f"{number(lot.busiest_month_contacts, 0, 'en')} in the busiest") in section
        assert "Busiest hour of the lot: about" in section and "routine tier-1 contacts are usually shorter" in section
        assert "**Volume of the whole flow**: 6,800" in section and "for the whole flow" in section

    def test_intro_promises_only_the_volumes_the_pack_holds(self, policy: Policy) -> None:
        """Without monthly or hourly profiles the introduction says the spread is indicative, not measured."""
        intro = _specification(acme(policy), policy, "en").split("\n## ")[0]
        assert "by month and by hour" not in intro
        assert "indicative, not measured" in intro

    def test_weekly_profile_is_read_when_the_flow_has_one(self) -> None:
        """The arrival profile by hour of the week is used when a flow carries one, and absent otherwise."""
        days = {day: [1.0] * 24 for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
        assert weekly_profile(SimpleNamespace(weekly_profile=days)) == days  # type: ignore[arg-type]
        assert weekly_profile(SimpleNamespace()) is None  # type: ignore[arg-type]


def _figures(value: float, currency: str) -> set[str]:
    """An amount as any output could show it: money in both languages, whole or to the cent, and plain."""
    shown: set[str] = set()
    for lang in LANGS:
        shown |= {money(value, currency, lang), money(value, currency, lang, whole=True)}
        if abs(value) >= 100:
            shown |= {number(value, 0, lang), number(value, 2, lang)}
    if abs(value) >= 100:
        shown |= {f"{value:.0f}", f"{value:.2f}"}
    else:
        shown |= {f"{value:.2f}"}
    return shown


def _shares(value: float) -> set[str]:
    return {percent(value, digits, lang) for lang in LANGS for digits in (0, 1)} if abs(value) >= 10 else set()


def internal_figures(rec: Recommendation) -> set[str]:
    """Every in-house figure of a recommendation, in every form an output could show it: hourly costs,
    in-house costs a month and per contact, each option's costs, savings and the current quotes."""
    currency = rec.answers.organisation.currency
    amounts: list[float] = [rec.answers.organisation.loaded_hourly_cost]
    shares: list[float] = []
    for result in rec.flows:
        costs = result.costs
        amounts += [result.inputs.loaded_hourly_cost, costs.inhouse_cost_monthly, costs.base_cost, costs.hidden_cost,
                    costs.turnover_cost, costs.absence_cost, costs.overtime_cost, costs.temp_cost]
        amounts += [value for value in (costs.inhouse_cost_per_contact, costs.provider_cost_per_contact,
                                        costs.provider_cost_monthly, costs.one_off_cost) if value]
        shares += [value for value in (costs.savings_pct, costs.saving_overflow_pct, costs.saving_after_hours_pct,
                                       costs.saving_tier1_pct, costs.hidden_cost_pct) if value]
        for option in costs.options.values():
            amounts += [option.monthly, option.one_off, option.inhouse_monthly, option.provider_monthly,
                        option.governance_monthly, option.transition_cost, option.exit_cost, option.term_total]
            amounts += [option.per_contact] if option.per_contact else []
            shares += [option.saving_pct] if option.saving_pct else []
        if result.inputs.flow.vendor_quote is not None:
            amounts.append(result.inputs.flow.vendor_quote.amount)
    found: set[str] = set()
    for amount in amounts:
        if amount:
            found |= _figures(amount, currency)
    for share in shares:
        found |= _shares(share)
    return found


def _cells(path: Path) -> Iterator[str]:
    """Every cell of every sheet of a workbook, hidden ones included, as text."""
    book = load_workbook(path)
    for sheet in book.worksheets:
        for row in sheet.iter_rows(values_only=True):
            for value in row:
                if value is not None:
                    yield f"{value:.2f}" if isinstance(value, float) else str(value)


@pytest.fixture(scope="module")
def packs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The acme tender pack, every flow priced, in each language."""
    out = {}
    for lang in LANGS:
        folder = tmp_path_factory.mktemp(f"tender-{lang}")
        run = arbitre_in_process("tender", ACME, "--out", folder / "pack", "--lang", lang, "--all-flows")
        assert run.returncode == 0, run.stderr
        out[lang] = folder / "pack"
    return out


@pytest.mark.parametrize("lang", LANGS)
def test_no_internal_cost_in_any_file(policy: Policy, packs: dict[str, Path], lang: str) -> None:
    """No in-house figure, option cost, saving or current quote appears in the specification or the grid."""
    figures = internal_figures(acme(policy))
    files = sorted(packs[lang].iterdir())
    assert [path.name for path in files] == ["pricing-grid.xlsx", "specification.md"]
    texts = {"specification.md": (packs[lang] / "specification.md").read_text(),
             "pricing-grid.xlsx": "\n".join(_cells(packs[lang] / "pricing-grid.xlsx"))}
    leaks = {(name, figure) for name, text in texts.items() for figure in figures
             if re.search(rf"(?<![\d.,]){re.escape(figure)}(?![\d])", text)}
    assert not leaks


@pytest.mark.parametrize("lang", LANGS)
def test_names_no_current_provider(policy: Policy, packs: dict[str, Path], lang: str) -> None:
    """Every bidder gets the same pack: the countries of today's quotes (Morocco, Portugal) are not in it,
    while what the policy asks of any provider of a card-payment flow (PCI DSS, met by its attestation) is."""
    text = (packs[lang] / "specification.md").read_text()
    cells = "\n".join(_cells(packs[lang] / "pricing-grid.xlsx"))
    for current in {flow.inputs.flow.provider_country for flow in acme(policy).flows} - {None}:
        assert country(str(current), lang) not in text + cells
    order_taking = text.split("(`order-taking`)")[1].split("\n## ")[0]
    assert "PCI DSS" in order_taking and "ISO 27001" in order_taking


def test_the_figures_searched_are_those_the_outputs_show(policy: Policy) -> None:
    """The search would find a leak: the recommendation itself shows many of the figures searched for."""
    shown = arbitre_in_process("recommend", ACME, "--format", "markdown", "--lang", "fr").stdout
    figures = internal_figures(acme(policy))
    assert sum(figure in shown for figure in figures) >= 20


class TestCommand:
    def test_writes_the_pack_and_says_so(self, tmp_path: Path) -> None:
        run = arbitre_in_process("tender", ACME, "--out", tmp_path / "pack")
        assert run.returncode == 0
        assert f"wrote {tmp_path / 'pack' / 'specification.md'} and {tmp_path / 'pack' / 'pricing-grid.xlsx'}" \
            in run.stderr
        assert (tmp_path / "pack" / "specification.md").read_text().startswith("# Tender specification")
        assert "warning" not in run.stderr  # acme answers everything a provider prices from

    def test_warns_of_answers_left_to_their_defaults(self, tmp_path: Path) -> None:
        """Answers without the organisation's name, a flow's languages or its activity still make a pack,
        with a warning naming them, and the specification shows no placeholder for them."""
        data = load_answers(ACME).model_dump(mode="json", exclude_unset=True)
        del data["organisation"]["name"]
        flow = next(flow for flow in data["flows"] if flow["id"] == "order-taking")
        del flow["languages"], flow["activity"]
        answers = tmp_path / "answers.yaml"
        answers.write_text(yaml.safe_dump(data))
        run = arbitre_in_process("tender", answers, "--out", tmp_path / "pack")
        assert run.returncode == 0
        assert "warning: answers.yaml: answers providers price from are left to their defaults: " \
               "organisation.name; languages (order-taking); activity (order-taking)." in run.stderr
        text = (tmp_path / "pack" / "specification.md").read_text()
        order_taking = text.split("(`order-taking`)")[1].split("\n## ")[0]
        assert text.startswith("# Tender specification\n") and "Organisation" not in text
        assert "activity: to be confirmed" in order_taking and "**Languages**: to be confirmed" in order_taking
        french = arbitre_in_process("tender", answers, "--out", tmp_path / "pack-fr", "--lang", "fr")
        assert ("attention\u202f: answers.yaml\u202f: des réponses d'après lesquelles les prestataires chiffrent "
                "sont restées à leur valeur par défaut\u202f: organisation.name\u202f; languages (order-taking)\u202f; "
                f"activity (order-taking). Répondez-y (arbitre ask --resume {answers} --lang fr) avant d'envoyer "
                "le dossier.") in french.stderr

    def test_refuses_a_folder_with_files_unless_forced(self, tmp_path: Path) -> None:
        (tmp_path / "notes.txt").write_text("mine")
        run = arbitre_in_process("tender", ACME, "--out", tmp_path)
        assert run.returncode == 2 and "is not empty" in run.stderr
        assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]
        assert arbitre_in_process("tender", ACME, "--out", tmp_path, "--force").returncode == 0
        assert (tmp_path / "notes.txt").read_text() == "mine" and (tmp_path / "pricing-grid.xlsx").exists()

    def test_refuses_a_file_as_the_folder(self, tmp_path: Path) -> None:
        (tmp_path / "pack").write_text("")
        run = arbitre_in_process("tender", ACME, "--out", tmp_path / "pack")
        assert run.returncode == 2 and "is a file: give a folder" in run.stderr

    def test_blank_grid_reads_as_a_grid_with_no_price(self, tmp_path: Path) -> None:
        """The grid as sent is a grid of the tender: reading it asks for the bidder and finds no price."""
        arbitre_in_process("tender", ACME, "--out", tmp_path / "pack")
        with pytest.raises(UserError) as caught:
            read_grid(tmp_path / "pack" / "pricing-grid.xlsx")
        assert [p.message for p in caught.value.problems] == [
            "field bidder: missing, expected the bidder's name",
            "no lot is priced: fill in the site, its country and a price of at least one lot"]

    def test_grid_lots_are_the_specifications(self, tmp_path: Path) -> None:
        arbitre_in_process("tender", ACME, "--out", tmp_path / "pack")
        spec = (tmp_path / "pack" / "specification.md").read_text()
        pricing = load_workbook(tmp_path / "pack" / "pricing-grid.xlsx")["Pricing"]
        ids = [row[0] for row in pricing.iter_rows(min_row=3, values_only=True) if row[0]]
        assert ids and all(f"| `{lot}` |" in spec for lot in ids)


class TestOverflowMonths:
    """An overflow lot says in which months its contacts come, as the cost model splits them."""

    @staticmethod
    def _pack(tmp_path: Path, profile: list[float] | None) -> str:
        data = yaml.safe_load((EXAMPLES / "us-retail-holiday-overflow.yaml").read_text(encoding="utf-8"))
        if profile is not None:
            flow = next(f for f in data["flows"] if f["id"] == "customer-care-phone")
            flow.pop("peak_ratio", None)
            flow["monthly_volume"], flow["monthly_profile"] = round(sum(profile) / 12), profile
        answers = tmp_path / "answers.yaml"
        answers.write_text(yaml.safe_dump(data), encoding="utf-8")
        run = arbitre_in_process("tender", answers, "--out", tmp_path / "pack")
        assert run.returncode == 0, run.stderr
        return (tmp_path / "pack" / "specification.md").read_text(encoding="utf-8")

    @staticmethod
    def _lot_average(text: str) -> float:
        row = next(line for line in text.splitlines() if line.startswith("| `customer-care-phone.overflow`"))
        return float(row.split("|")[3].replace(",", ""))

    def test_named_months_add_up_to_the_lot(self, tmp_path: Path) -> None:
        profile = [120_000.0] * 10 + [200_000.0, 300_000.0]
        text = self._pack(tmp_path, profile)
        line = next(line for line in text.splitlines() if "Months of the lot:" in line)
        months = dict(re.findall(r"(\w{3})\.? ([\d,]+)", line.split(":", 1)[1]))
        assert set(months) == {"Nov", "Dec"}
        total = sum(float(value.replace(",", "")) for value in months.values())
        assert total / 12 == pytest.approx(self._lot_average(text), abs=1)

    def test_peak_months_without_a_profile(self, tmp_path: Path) -> None:
        text = self._pack(tmp_path, None)
        line = next(line for line in text.splitlines() if "Months of the lot:" in line)
        count, each = re.search(r"the ([\d.]+) busiest months of the year, about ([\d,]+) contacts", line).groups()
        assert float(count) * float(each.replace(",", "")) / 12 == pytest.approx(self._lot_average(text), rel=0.01)
