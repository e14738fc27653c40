"""The three headcounts of one flow agree the way the outputs say: the recommendation's in-house team
over the year, the brief's provider team as the quote prices it and the tender's dedicated team, both
at the busiest month (docs/domain.md, "Which headcount is which")."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from engine.answers import load_answers
from engine.policy.loading import Policy
from engine.staffing import agent_seconds, on_queue_hours, paid_hours_per_fte
from explanations.render import labels
from conftest import EXAMPLES, arbitre_in_process
from test_audit import flat

ACME = EXAMPLES / "acme-retail.yaml"


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], str]:
    """What `recommend --detail full`, `brief` and `tender` write for the example, in each language."""
    out: dict[tuple[str, str], str] = {}
    for lang in ("en", "fr"):
        out["recommend", lang] = arbitre_in_process("recommend", ACME, "--detail", "full", "--lang", lang).stdout
        out["brief", lang] = arbitre_in_process("brief", ACME, "--lang", lang).stdout
        folder = tmp_path_factory.mktemp(f"tender-{lang}")
        assert arbitre_in_process("tender", ACME, "--out", folder, "--force", "--lang", lang).returncode == 0
        out["tender", lang] = (folder / "specification.md").read_text(encoding="utf-8")
    return {key: flat(text) for key, text in out.items()}


def _figure(pattern: str, text: str) -> float:
    found = re.search(pattern, text)
    assert found, pattern
    return float(found.group(1).replace(",", ""))


class TestOneFlowThreeFigures:
    """Order taking at Acme Retail: 13.0 FTE in-house, 11.2 at the quoted provider, 16.3 dedicated."""

    def test_the_brief_gives_the_quoted_providers_team_at_the_busiest_month(
            self, outputs: dict[tuple[str, str], str], policy: Policy) -> None:
        """The brief's FTE is the one the recommendation names as the brief's: the provider's pooled
        agents (a price per contact) at the busiest month, on the provider country's week."""
        flow = next(f for f in load_answers(ACME).flows if f.id == "order-taking")
        a = policy.costs
        pooled = (flow.monthly_volume * flow.busiest_over_average * flow.aht_seconds / 3600 / a.max_occupancy
                  / (paid_hours_per_fte(flow.provider_country, a) * (1 - a.shrinkage)))
        brief = _figure(r"Order taking by phone \(`order-taking`\).*?in the busiest month, about 18,200 contacts "
                        r"and ([\d.]+) FTE", outputs["brief", "en"])
        named = _figure(r"Staffing 13\.0 FTE.*?Provider FTE\s+provider brief: ([\d.]+)\u00a0FTE at the busiest month",
                        outputs["recommend", "en"])
        assert brief == named == round(pooled, 1) == 11.2

    def test_a_split_gives_the_brief_its_part(self, outputs: dict[tuple[str, str], str]) -> None:
        """For a hybrid flow the brief sizes the part asked of the provider, and the recommendation
        names that part's figure, not the whole flow's."""
        brief = _figure(r"\(`after-sales`\).*?\*\*Tier 1\*\*:.*?in the busiest month, about 3,060 contacts and "
                        r"([\d.]+) FTE", outputs["brief", "en"])
        named = _figure(r"\(after-sales\).*?Provider FTE\s+provider brief: ([\d.]+)\u00a0FTE \(tier 1\) at the busiest "
                        r"month", outputs["recommend", "en"])
        assert brief == named == 3.7

    def test_the_tender_gives_a_dedicated_team_sized_as_the_in_house_team(
            self, outputs: dict[tuple[str, str], str], policy: Policy) -> None:
        """The tender's FTE is the in-house team's sizing (Erlang C, the organisation's week, the
        shrinkage) at the busiest month; the recommendation's modelled team is the same sizing at the
        average month, and its headcount is today's."""
        answers = load_answers(ACME)
        flow = next(f for f in answers.flows if f.id == "order-taking")
        a = policy.costs
        per_fte = paid_hours_per_fte(answers.organisation.country, a) * (1 - a.shrinkage)

        def team(contacts: float) -> float:
            return on_queue_hours(contacts, agent_seconds(flow, a), True, 55, a) / per_fte

        row = r"\| `order-taking` \| the whole flow \| [\d,]+ \| [\d,]+ \| \d+ \| \d+ \| ([\d.]+) \|"
        tender = _figure(row, outputs["tender", "en"])
        assert tender == round(team(flow.monthly_volume * flow.busiest_over_average), 1) == 16.3
        week = a.weekly_hours_by_country[answers.organisation.country]
        assert f"a full-time week of {week:.0f} hours (country: France)" in outputs["tender", "en"]
        recommendation = outputs["recommend", "en"]
        assert f"Staffing 13.0 FTE on average over the year, in-house team (modelled {team(flow.monthly_volume):.1f})" \
            in recommendation
        assert flow.current_fte == 13

    @pytest.mark.parametrize("lang", ["en", "fr"])
    def test_each_output_names_its_basis_in_the_same_words(self, outputs: dict[tuple[str, str], str],
                                                           lang: str) -> None:
        """The recommendation names all three bases, the brief and the tender each their own, in the
        same words."""
        words = labels(lang)  # type: ignore[arg-type]
        inhouse, quoted, dedicated = (flat(words[key]) for key in
                                      ("headcount_inhouse", "headcount_quoted", "headcount_dedicated"))
        assert all(basis in outputs["recommend", lang] for basis in (inhouse, quoted, dedicated))
        assert quoted in outputs["brief", lang] and dedicated not in outputs["brief", lang]
        assert dedicated in outputs["tender", lang] and quoted not in outputs["tender", lang]

    def test_french_typography(self, outputs: dict[tuple[str, str], str]) -> None:
        """French: decimal comma and a no-break space before the colon and semicolon."""
        text = outputs["recommend", "fr"]
        assert re.search("13,0 ETP en moyenne sur l'année, équipe interne \\(13,1 selon le modèle\\)\u202f; ", text)
        assert re.search("cahier des charges prestataire\u202f: 11,2\u00a0ETP au mois le plus chargé", text)
