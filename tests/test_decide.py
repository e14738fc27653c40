"""From fired rules to a decision: vetoes, votes, tie-break, splits, confidence; and the pivots.

The rules live in a small policy written for these tests, with literal weights, so
that the arithmetic reads in the test; firings are given directly (deciding is pure).
"""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from engine.decide import decide, pivots, weight_of
from engine.models import Decision, Split
from engine.policy.loading import Policy, load_policy
from engine.run import Firing

RULES = Path(__file__).resolve().parent.parent / "rules"

# id: the rule's ``then``; every rule's condition is irrelevant here.
THEN = {
    "OUT-01": "{vote: {outsource: 3}}",
    "OUT-02": "{vote: {outsource: 1}}",
    "OUT-04": "{vote: {outsource: 4}}",
    "KEEP-01": "{vote: {keep_internal: 3}}",
    "KEEP-02": "{vote: {keep_internal: 2}}",
    "KEEP-06": "{vote: {keep_internal: weight_big}}",
    "HYB-01": "{vote: {hybrid: 5}, split: [overflow]}",
    "HYB-02": "{vote: {hybrid: 5}}",
    "HYB-03": "{split: [after_hours]}",
    "HYB-04": "{vote: {hybrid: 2}, split: [tier1, overflow]}",
    "MIX-01": "{vote: {keep_internal: 2, hybrid: 1}}",
    "VET-01": "{veto: [outsource]}",
    "VET-02": "{veto: [hybrid, keep_internal]}",
    "VET-03": "{veto: [outsource, hybrid, keep_internal]}",
    "VET-04": "{veto: [outsource], vote: {keep_internal: 1}}",
    "VET-05": "{veto: [keep_internal]}",
    "CND-01": "{condition: {id: pci_dss, en: Show PCI DSS., fr: Montrer PCI DSS.}}",
    "CND-02": "{condition: {id: keep_audit, applies_to: [keep_internal], en: Audit., fr: Auditer.}}",
    "DER-01": "{derive: [seen]}",
}


def write_policy(root: Path, tie_break: str, bands: str = "{high: 4, medium: 2}") -> Policy:
    """A policy of the THEN rules with the given tie-break order and confidence bands."""
    root.mkdir()
    shutil.copy(RULES / "parameters.yaml", root / "parameters.yaml")
    with (root / "parameters.yaml").open("a", encoding="utf-8") as handle:
        handle.write("  weight_big:\n    value: 6\n    source: tests\n")
    (root / "facts.yaml").write_text("derived_facts:\n  seen: {en: seen, fr: vu}\n", encoding="utf-8")
    (root / "policy.yaml").write_text(textwrap.dedent(f"""\
        name: decide
        version: 0.1.0
        rule_files: [rules.yaml]
        decision:
          tie_break: {tie_break}
          confidence_margin: {bands}
        """), encoding="utf-8")
    rules = "".join(
        f"  - id: {rule_id}\n    title: {rule_id}\n    rationale: tests\n"
        f"    when: {{fact: monthly_volume, op: ge, value: 0}}\n    then: {then}\n    explain: {{en: x, fr: x}}\n"
        for rule_id, then in THEN.items()
    )
    (root / "rules.yaml").write_text("rules:\n" + rules, encoding="utf-8")
    return load_policy(root)


@pytest.fixture(scope="module")
def rules(tmp_path_factory: pytest.TempPathFactory) -> Policy:
    """The test rules, with the default policy's tie-break order (most conservative first)."""
    return write_policy(tmp_path_factory.mktemp("decide") / "policy", "[keep_internal, hybrid, outsource]")


@pytest.fixture(scope="module")
def bold(tmp_path_factory: pytest.TempPathFactory) -> Policy:
    """The same rules, breaking ties towards outsourcing."""
    return write_policy(tmp_path_factory.mktemp("bold") / "policy", "[outsource, hybrid, keep_internal]")


def fired(*rule_ids: str) -> list[Firing]:
    return [Firing(rule_id, 0, {}) for rule_id in rule_ids]


class TestVotes:
    """The option with the most vote points wins."""

    @pytest.mark.parametrize("rule_ids,decision,scores", [
        pytest.param(("OUT-01", "OUT-02", "KEEP-01"), Decision.outsource, (4, 0, 3), id="outsource-4-to-3"),
        pytest.param(("OUT-01", "KEEP-01", "KEEP-02"), Decision.keep_internal, (3, 0, 5), id="keep-5-to-3"),
        pytest.param(("HYB-01", "OUT-04"), Decision.hybrid, (4, 5, 0), id="hybrid-with-split"),
        pytest.param(("MIX-01", "OUT-02"), Decision.keep_internal, (1, 1, 2), id="one-rule-two-options"),
        pytest.param(("KEEP-06", "OUT-04"), Decision.keep_internal, (4, 0, 6), id="weight-by-parameter"),
    ])
    def test_sum(self, rules: Policy, rule_ids: tuple[str, ...], decision: Decision,
                 scores: tuple[float, float, float]) -> None:
        """Each option scores the sum of its votes, and the highest eligible score wins."""
        verdict = decide(fired(*rule_ids), rules)
        assert verdict.decision is decision
        assert (verdict.scores[Decision.outsource], verdict.scores[Decision.hybrid],
                verdict.scores[Decision.keep_internal]) == scores

    def test_votes_are_traced(self, rules: Policy) -> None:
        """Every vote records its rule, option and weight, in firing order."""
        verdict = decide(fired("MIX-01", "OUT-01"), rules)
        assert [(v.rule_id, v.option, v.weight) for v in verdict.votes] == [
            ("MIX-01", Decision.keep_internal, 2.0), ("MIX-01", Decision.hybrid, 1.0),
            ("OUT-01", Decision.outsource, 3.0),
        ]

    def test_weight_of_parameter(self, rules: Policy) -> None:
        """A weight that names a parameter takes its value."""
        assert weight_of("weight_big", rules) == 6.0
        assert weight_of(2, rules) == 2.0

    def test_no_firing(self, rules: Policy) -> None:
        """With nothing fired every score is 0 and the first option of the tie-break order wins."""
        verdict = decide([], rules)
        assert verdict.decision is Decision.keep_internal
        assert set(verdict.scores.values()) == {0}
        assert verdict.votes == ()

    def test_rules_without_votes_do_not_score(self, rules: Policy) -> None:
        """Derivations and conditions add no points."""
        assert set(decide(fired("DER-01", "CND-01", "HYB-03"), rules).scores.values()) == {0}


class TestVetoes:
    """A vetoed option cannot win, whatever its score."""

    def test_veto_beats_votes(self, rules: Policy) -> None:
        """Outsourcing vetoed loses even with the highest score."""
        verdict = decide(fired("OUT-04", "OUT-01", "KEEP-02", "VET-01"), rules)
        assert verdict.decision is Decision.keep_internal
        assert verdict.scores[Decision.outsource] == 7
        assert verdict.vetoes == {Decision.outsource: ("VET-01",)}
        assert not verdict.all_vetoed

    def test_veto_order_does_not_matter(self, rules: Policy) -> None:
        """A veto counts wherever it is in the firings."""
        assert decide(fired("VET-01", "OUT-04", "KEEP-02"), rules).decision is Decision.keep_internal

    def test_vetoed_option_is_not_runner_up(self, rules: Policy) -> None:
        """The runner-up and the margin come from the options still eligible."""
        verdict = decide(fired("OUT-04", "OUT-01", "KEEP-02", "VET-01"), rules)
        assert verdict.runner_up is None  # hybrid has no split, outsource is vetoed: keep_internal stands alone
        assert verdict.margin == 2

    def test_vetoes_list_every_rule(self, rules: Policy) -> None:
        """An option vetoed by several rules lists them all."""
        verdict = decide(fired("VET-01", "VET-04"), rules)
        assert verdict.vetoes[Decision.outsource] == ("VET-01", "VET-04")

    def test_two_vetoed_leaves_the_third(self, rules: Policy) -> None:
        """With hybrid and keep_internal vetoed, outsource wins even with no points."""
        verdict = decide(fired("VET-02", "KEEP-01", "HYB-01"), rules)
        assert verdict.decision is Decision.outsource
        assert verdict.split == ()

    @pytest.mark.parametrize("rule_ids", [
        pytest.param(("VET-03",), id="one-rule-vetoes-all"),
        pytest.param(("VET-01", "VET-02"), id="two-rules-veto-all"),
        pytest.param(("VET-03", "OUT-04", "HYB-01"), id="all-vetoed-despite-votes"),
    ])
    def test_all_vetoed(self, rules: Policy, rule_ids: tuple[str, ...]) -> None:
        """When every option is vetoed the decision is keep_internal, flagged all_vetoed."""
        verdict = decide(fired(*rule_ids), rules)
        assert verdict.decision is Decision.keep_internal
        assert verdict.all_vetoed
        assert verdict.runner_up is None
        assert verdict.split == ()

    @pytest.mark.parametrize("hybrid_rule,decision,all_vetoed", [
        pytest.param("HYB-02", Decision.keep_internal, True, id="hybrid-without-split-all-out"),
        pytest.param("HYB-01", Decision.hybrid, False, id="hybrid-with-split-survives"),
    ])
    def test_hybrid_is_out_without_split(self, rules: Policy, hybrid_rule: str, decision: Decision,
                                         all_vetoed: bool) -> None:
        """With outsource and keep_internal vetoed, only a hybrid with a split remains."""
        verdict = decide(fired("VET-01", "VET-05", hybrid_rule), rules)
        assert verdict.decision is decision
        assert verdict.all_vetoed is all_vetoed


class TestTieBreak:
    """Equal scores go to the first option of policy.yaml's tie-break order."""

    @pytest.mark.parametrize("rule_ids", [
        pytest.param(("OUT-01", "KEEP-01"), id="outsource-keep-3-3"),
        pytest.param((), id="nothing-fired"),
    ])
    def test_conservative_order(self, rules: Policy, rule_ids: tuple[str, ...]) -> None:
        """With keep_internal first, a tie keeps the flow in-house."""
        verdict = decide(fired(*rule_ids), rules)
        assert verdict.decision is Decision.keep_internal
        assert verdict.runner_up is Decision.outsource
        assert verdict.margin == 0

    def test_bold_order(self, bold: Policy) -> None:
        """With outsource first, the same tie outsources."""
        verdict = decide(fired("OUT-01", "KEEP-01"), bold)
        assert verdict.decision is Decision.outsource
        assert verdict.runner_up is Decision.keep_internal

    def test_hybrid_tie(self, rules: Policy, bold: Policy) -> None:
        """A tie between hybrid (with a split) and outsource follows the order too."""
        firings = fired("HYB-04", "OUT-02", "OUT-02")
        assert decide(firings, rules).decision is Decision.hybrid
        assert decide(firings, bold).decision is Decision.outsource

    def test_default_policy_order(self, policy: Policy) -> None:
        """The bundled policy breaks ties towards keeping the flow in-house."""
        assert policy.manifest.decision.tie_break[0] is Decision.keep_internal


class TestHybridNeedsSplit:
    """Hybrid can only win when some rule proposes how to split the flow."""

    def test_no_split_no_hybrid(self, rules: Policy) -> None:
        """The highest score on hybrid without a split goes to the next option."""
        verdict = decide(fired("HYB-02", "OUT-02"), rules)
        assert verdict.scores[Decision.hybrid] == 5
        assert verdict.decision is Decision.outsource
        assert verdict.split == ()

    def test_split_from_another_rule(self, rules: Policy) -> None:
        """A split proposed by any rule lets hybrid's votes count."""
        verdict = decide(fired("HYB-02", "OUT-02", "HYB-03"), rules)
        assert verdict.decision is Decision.hybrid
        assert verdict.split == (Split.after_hours,)

    def test_one_split_the_best_variant(self, rules: Policy) -> None:
        """Every split proposed is a variant of hybrid; the decision carries one, the best scored (the
        first in the vocabulary's order on a tie), and every proposal is kept."""
        verdict = decide(fired("HYB-03", "HYB-04", "HYB-01"), rules)
        assert verdict.decision is Decision.hybrid
        assert len(verdict.split) == 1
        assert set(verdict.proposed_splits) == {Split.overflow, Split.after_hours, Split.tier1}
        assert verdict.proposed_splits[Split.overflow] == ("HYB-04", "HYB-01")

    def test_split_only_for_hybrid(self, rules: Policy) -> None:
        """A decision other than hybrid carries no split, though splits were proposed."""
        verdict = decide(fired("HYB-01", "KEEP-06"), rules)
        assert verdict.decision is Decision.keep_internal
        assert verdict.split == ()
        assert Split.overflow in verdict.proposed_splits

    def test_hybrid_vetoed(self, rules: Policy) -> None:
        """A split does not save a vetoed hybrid."""
        assert decide(fired("HYB-01", "VET-02"), rules).decision is Decision.outsource


class TestConfidence:
    """The margin over the runner-up, in vote points, sets the confidence."""

    @pytest.mark.parametrize("rule_ids,margin,confidence", [
        pytest.param(("OUT-04",), 4, "high", id="margin-4-high"),
        pytest.param(("KEEP-06", "OUT-01"), 3, "medium", id="margin-3-medium"),
        pytest.param(("KEEP-02",), 2, "medium", id="margin-2-medium"),
        pytest.param(("OUT-01", "KEEP-02"), 1, "low", id="margin-1-low"),
        pytest.param(("OUT-01", "KEEP-01"), 0, "low", id="tie-low"),
    ])
    def test_bands(self, rules: Policy, rule_ids: tuple[str, ...], margin: float, confidence: str) -> None:
        """A margin of 4 or more is high, 2 or more medium, less low (the bands of policy.yaml)."""
        verdict = decide(fired(*rule_ids), rules)
        assert verdict.margin == margin
        assert verdict.confidence == confidence

    def test_bands_from_policy(self, tmp_path: Path) -> None:
        """Other bands in policy.yaml change the confidence of the same margin."""
        strict = write_policy(tmp_path / "strict", "[keep_internal, hybrid, outsource]", "{high: 10, medium: 5}")
        assert decide(fired("OUT-04"), strict).confidence == "low"

    def test_all_vetoed_margin(self, rules: Policy) -> None:
        """With everything vetoed the margin is keep_internal's own score."""
        verdict = decide(fired("VET-03", "KEEP-02"), rules)
        assert verdict.margin == 2
        assert verdict.confidence == "medium"


class TestConditions:
    """Conditions attached by rules follow the decision they apply to."""

    def test_kept_when_applicable(self, rules: Policy) -> None:
        """A condition for outsource and hybrid comes with an outsource decision."""
        verdict = decide(fired("OUT-04", "CND-01"), rules)
        assert [(c.id, c.rule_id) for c in verdict.conditions] == [("pci_dss", "CND-01")]

    def test_dropped_when_not_applicable(self, rules: Policy) -> None:
        """A condition for outsource and hybrid is dropped when the flow stays in-house."""
        verdict = decide(fired("KEEP-01", "CND-01", "CND-02"), rules)
        assert [c.id for c in verdict.conditions] == ["keep_audit"]


class TestPivots:
    """The fired rules whose absence alone would change the decision."""

    @staticmethod
    def pivots(firings: list[Firing], policy: Policy) -> list[tuple[str, Decision]]:
        return pivots(decide(firings, policy), firings, policy)

    def test_decisive_rule(self, rules: Policy) -> None:
        """Removing the winning vote flips the decision; removing a minor vote does not."""
        assert self.pivots(fired("OUT-04", "KEEP-02", "OUT-02"), rules) == [("OUT-04", Decision.keep_internal)]

    def test_veto(self, rules: Policy) -> None:
        """A veto that blocked the winner is a pivot, with the decision it blocked."""
        assert self.pivots(fired("OUT-04", "VET-01"), rules) == [("VET-01", Decision.outsource)]

    def test_shared_veto(self, rules: Policy) -> None:
        """An option vetoed by two rules stays vetoed without either: neither is a pivot."""
        assert self.pivots(fired("OUT-04", "VET-01", "VET-04"), rules) == []

    def test_split(self, rules: Policy) -> None:
        """The only rule proposing a split is a pivot of a hybrid decision, as is the vote that carried it."""
        assert self.pivots(fired("HYB-02", "HYB-03", "OUT-02"), rules) == [
            ("HYB-02", Decision.outsource), ("HYB-03", Decision.outsource),
        ]

    def test_redundant_rules(self, rules: Policy) -> None:
        """When two rules each suffice, neither alone is a pivot."""
        assert self.pivots(fired("OUT-04", "OUT-01", "KEEP-02"), rules) == []

    def test_non_voting_rules_skipped(self, bold: Policy) -> None:
        """Rules that only derive or attach conditions are never pivots."""
        assert self.pivots(fired("DER-01", "CND-01", "KEEP-02"), bold) == [("KEEP-02", Decision.outsource)]

    def test_tie_break_can_absorb_a_vote(self, rules: Policy) -> None:
        """A lone vote for the option the tie-break favours anyway is no pivot."""
        assert self.pivots(fired("KEEP-02"), rules) == []

    def test_agrees_with_deciding_again(self, rules: Policy) -> None:
        """Each pivot's decision is what deciding without that rule gives."""
        firings = fired("OUT-04", "VET-01", "HYB-01", "KEEP-02", "CND-01", "HYB-03")
        found = self.pivots(firings, rules)
        assert found
        for rule_id, other in found:
            assert decide([f for f in firings if f.rule_id != rule_id], rules).decision is other

    def test_no_firing(self, rules: Policy) -> None:
        """Nothing fired, nothing pivots."""
        assert self.pivots([], rules) == []
