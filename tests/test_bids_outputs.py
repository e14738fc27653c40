"""The outputs of arbitre bids as a sourcing consultant and a finance director read them: the one-off
inside the all-in figures, differences in words by their sign, titles that fit the case, names typed
loosely, Markdown that renders as meant, French as a French consultant writes it, and bid files of
the wrong kind refused."""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from cli import main
from engine.analysis.audit import load_record, verify
from engine.policy.loading import load_policy
from explanations.bids import render_bids_why_not

ROOT = Path(__file__).resolve().parent.parent
ACME = ROOT / "examples" / "acme-retail.yaml"
GRIDS = sorted((ROOT / "examples" / "bids").glob("*.xlsx"))
ATLANTICO, ATLAS = "Atlântico Contact", "Atlas & Tejo Services"


def _run(*args: str | Path) -> Any:
    return CliRunner().invoke(main, ["bids", *map(str, args)])


def _read(text: str) -> str:
    """Output with every line joined, as it reads."""
    return re.sub(r"\n *", " ", text)


@pytest.fixture(scope="module")
def outputs() -> dict[str, str]:
    """The example's comparison, once per output asked of it."""
    runs = {"text": (), "fr": ("--lang", "fr"), "markdown": ("--format", "markdown"), "json": ("--format", "json"),
            "atlas": ("--why-not", ATLAS), "atlas_fr": ("--why-not", ATLAS, "--lang", "fr"),
            "atlantico": ("--why-not", "atlantico contact"),
            "atlantico_fr": ("--why-not", ATLANTICO, "--lang", "fr"),
            "atlantico_json": ("--why-not", ATLANTICO, "--format", "json")}
    out = {}
    for name, options in runs.items():
        result = _run(ACME, *GRIDS, *options)
        assert result.exit_code == 0, result.output
        out[name] = result.output
    return out


class TestOneOff:
    def test_the_one_off_is_said_to_be_inside_the_figures_and_split(self, outputs: dict[str, str]) -> None:
        """The one-off is part of the all-in and term figures, split into the bid's transition and the
        company's own exit costs."""
        text = _read(outputs["text"])
        assert ("EUR\u00a01,235,904 over 36 months, of which one-off EUR\u00a0174,102 (the bid's transition "
                "EUR\u00a042,000, the company's own exit costs EUR\u00a0132,102)") in text
        assert "; one-off EUR" not in text

    def test_differences_are_said_by_their_sign(self, outputs: dict[str, str]) -> None:
        """A loss says 'more to run' and 'more one-off', never a signed amount."""
        text = _read(outputs["atlantico"])
        assert "EUR\u00a025,983 a month more to run, EUR\u00a06,000 more one-off" in text

    def test_a_smaller_one_off_is_less_never_negative(self, outputs: dict[str, str]) -> None:
        """A line whose one-off is below the winner's reads 'EUR 116,936 less one-off' (not '-EUR')."""
        data = json.loads(outputs["atlantico_json"])
        costlier = next(f for f in data["flows"] if f["kind"] == "costlier")
        costlier["one_off"] = -116_936.4
        text = _read(render_bids_why_not(data, "text", "en"))
        assert "EUR\u00a0116,936 less one-off" in text and "-EUR" not in text

    def test_a_loss_against_another_option_says_so(self, outputs: dict[str, str]) -> None:
        """A tier-1 line that lost to a whole-flow award names both options."""
        data = json.loads(outputs["atlantico_json"])
        costlier = next(f for f in data["flows"] if f["kind"] == "costlier" and f["offer"]["option"] == "outsource")
        costlier["offer"]["option"] = "tier1"
        text = _read(render_bids_why_not(data, "text", "en"))
        assert "(this bid prices tier 1, the award whole flow;" in text


class TestWhyNot:
    def test_the_title_fits_a_bidder_that_won_flows(self, outputs: dict[str, str]) -> None:
        assert outputs["atlas"].startswith("Where Atlas & Tejo Services's bid lost\n")
        assert outputs["atlas_fr"].startswith("Où l'offre d'Atlas & Tejo Services n'a pas été retenue\n")

    def test_the_title_of_a_bidder_that_won_nothing(self, outputs: dict[str, str]) -> None:
        assert outputs["atlantico"].startswith(f"Why {ATLANTICO}'s bid lost\n")
        assert outputs["atlantico_fr"].startswith(f"Pourquoi l'offre d'{ATLANTICO} n'a pas été retenue\n")
        assert "qu'Atlas & Tejo Services" in _read(outputs["atlantico_fr"])

    def test_a_bidder_that_won_every_flow_it_priced(self, outputs: dict[str, str]) -> None:
        data = json.loads(outputs["atlantico_json"])
        data["flows"] = [{**f, "kind": "won"} if f["offer"] else f for f in data["flows"]]
        assert render_bids_why_not(data, "text", "en").startswith(f"{ATLANTICO} wins every flow it priced\n")

    def test_a_name_matches_ignoring_case_and_accents(self, outputs: dict[str, str]) -> None:
        """'atlantico contact' is Atlântico Contact, named as the bid writes it."""
        assert outputs["atlantico"].startswith(f"Why {ATLANTICO}'s bid lost")

    def test_an_unknown_name_lists_the_bidders(self) -> None:
        result = _run(ACME, *GRIDS, "--why-not", "Borealis")
        assert result.exit_code == 2
        assert f"no bid from Borealis; the bidders are: {ATLANTICO}, {ATLAS}" in result.output


class TestMarkdown:
    def test_the_award_is_a_paragraph_of_its_own(self, outputs: dict[str, str]) -> None:
        """Each 'Award:' line follows a blank line, so it is not read as the last bullet's text."""
        lines = outputs["markdown"].splitlines()
        awards = [i for i, line in enumerate(lines) if line.startswith("Award:")]
        assert awards and all(lines[i - 1] == "" for i in awards)


class TestFrench:
    @pytest.mark.parametrize("written", [
        "recommandation actuelle\u202f: externaliser",
        "retour sur investissement en 3,5\u00a0mois",
        "décision de la politique avec cette offre\u202f: externaliser",
        "au moins 15,0\u00a0ETP",
        "dont 174\u202f102\u00a0€ de coût unique (transition de l'offre 42\u202f000\u00a0€",
    ])
    def test_as_a_french_consultant_writes_it(self, outputs: dict[str, str], written: str) -> None:
        assert written in _read(outputs["fr"])

    def test_costs_are_whole_prices_keep_their_cents(self, outputs: dict[str, str]) -> None:
        """A cost below 1,000 (a difference, an all-in a month) is whole like the others; a price per
        contact keeps its cents."""
        data = json.loads(outputs["atlantico_json"])
        costlier = next(f for f in data["flows"] if f["kind"] == "costlier")
        costlier["allin_monthly"] = 214.54
        text = _read(render_bids_why_not(data, "text", "fr"))
        assert "215\u00a0€ par mois de plus" in text and "214,54" not in text
        assert "1,95\u00a0€ par contact" in _read(outputs["fr"])


class TestBidFiles:
    @pytest.mark.parametrize("name", ["bid.csv", "bid.pdf", "bid"])
    def test_a_file_neither_grid_nor_yaml_nor_json_is_refused(self, tmp_path: Path, name: str) -> None:
        path = tmp_path / name
        path.write_text("bidder,currency\nX,EUR\n", encoding="utf-8")
        result = _run(ACME, path)
        assert result.exit_code == 2
        assert f"{path}: a bid is the returned pricing grid (.xlsx)" in result.output
        assert "save the grid as .xlsx" in result.output and "is required" not in result.output


class TestMinimumCommitment:
    def test_the_cheapest_set_of_flows_reaches_the_minimum(self, outputs: dict[str, str]) -> None:
        """Atlântico wins nothing; of every set of its eligible offers (one a flow) that reaches its 15
        FTE, the one proposed costs least against the award (adding the cheapest flows first costs more)."""
        data = json.loads(outputs["json"])
        commitment = next(c for c in data["commitments"] if c["bidder"] == ATLANTICO)
        per_flow = []
        for flow in data["flows"]:
            current = flow["winner"]["allin_monthly"] if flow["winner"] else flow["keep"]["monthly"]
            mine = [(flow["id"], o["cost"]["provider_fte"], o["allin_monthly"] - current)
                    for o in flow["offers"] if o["bidder"] == ATLANTICO and o["eligible"]]
            if mine:
                per_flow.append([None, *mine])
        sets = [[t for t in choice if t] for choice in itertools.product(*per_flow)]
        cheapest = min(sum(t[2] for t in s) for s in sets if sum(t[1] for t in s) >= commitment["minimum_fte"])
        assert commitment["exact"] and commitment["reachable"]
        assert sum(t["extra_monthly"] for t in commitment["to_reach"]) == pytest.approx(cheapest)
        assert {t["flow"] for t in commitment["to_reach"]} == {"order-taking", "after-sales"}
        assert ("The cheapest way to reach it: also award order-taking (14.2\u00a0FTE), after-sales "
                "(3.7\u00a0FTE), EUR\u00a031,457 a month more all-in than the award.") in _read(outputs["text"])


@pytest.fixture(scope="module")
def record(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example's audit record with its bids section, written once."""
    path = tmp_path_factory.mktemp("record") / "record.json"
    assert _run(ACME, *GRIDS, "--audit", path).exit_code == 0
    return path


class TestExplainTheRecord:
    def test_explain_renders_the_bids_as_arbitre_bids_does(self, record: Path, outputs: dict[str, str]) -> None:
        """From the record alone: the same comparison text, after the recommendation."""
        explained = CliRunner().invoke(main, ["explain", str(record)])
        assert explained.exit_code == 0, explained.output
        assert outputs["text"] in explained.output

    def test_verify_checks_the_award_again(self, record: Path) -> None:
        verified = CliRunner().invoke(main, ["explain", str(record), "--verify"])
        assert verified.exit_code == 0, verified.output
        assert "The award of every flow under the recorded bids is the same." in verified.output

    def test_a_changed_award_is_listed_per_flow(self, record: Path) -> None:
        """Casablanca's order-taking price raised in the recorded bid: that flow's award changes."""
        kept = load_record(record)
        assert kept.bids is not None
        atlas = next(b for b in kept.bids.bids if b.bidder == ATLAS)
        assert atlas.lines
        lines = [line.model_copy(update={"prices": {"per_contact": 3.5}})
                 if (line.lot, line.site) == ("order-taking", "Casablanca") else line for line in atlas.lines]
        bids = [b.model_copy(update={"lines": lines}) if b is atlas else b for b in kept.bids.bids]
        changed = verify(kept.model_copy(update={"bids": kept.bids.model_copy(update={"bids": bids})}),
                         load_policy(ROOT / "rules"))
        assert [c["flow"] for c in changed["awards_changed"]] == ["order-taking"]
        assert changed["awards_changed"][0]["now"]["site"] == "Porto"
