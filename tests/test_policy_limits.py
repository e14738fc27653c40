"""The limits a policy stays within: what the inference engine can register and run, and what a
policy's texts may cost to render. Beyond a limit, a policy error names the rule and the limit."""

from __future__ import annotations

import math
import shutil
from pathlib import Path
from typing import Sequence

import pytest
from click.testing import CliRunner, Result

from cli import main
from engine.errors import PolicyError, Problem
from engine.policy.loading import MAX_STRATA, load_policy
from engine.run import Engine
from explanations.render import dump_json

RULES = Path(__file__).resolve().parent.parent / "rules"
EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "acme-retail.yaml"


def rule(number: int, when: str, then: str = "{vote: {outsource: weight_weak}}", text: str = "A reason.") -> str:
    """One rule of an added rule file, as an author would write it: ``X1-002`` for number 1002."""
    return (f"  - id: X{number // 1000}-{number % 1000:03d}\n    title: Added\n    rationale: Added.\n"
            f"    when: {when}\n    then: {then}\n    explain: {{en: {text!r}, fr: {text!r}}}\n")


def policy_with(tmp_path: Path, rules: Sequence[str], derived: Sequence[str] = ()) -> Path:
    """A copy of rules/ with one more rule file holding ``rules``, and the ``derived`` facts declared."""
    root = tmp_path / "rules"
    shutil.copytree(RULES, root, ignore=shutil.ignore_patterns("tests"))
    manifest = root / "policy.yaml"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace(
        "  - hybrid.yaml\n", "  - hybrid.yaml\n  - added.yaml\n"), encoding="utf-8")
    (root / "added.yaml").write_text("rules:\n" + "".join(rules), encoding="utf-8")
    with (root / "facts.yaml").open("a", encoding="utf-8") as facts:
        facts.writelines(f"  {name}:\n    en: {name}\n    fr: {name}\n" for name in derived)
    return root


def refused(root: Path) -> list[Problem]:
    """The problems loading reports for a policy it refuses (a user error, exit 2)."""
    with pytest.raises(PolicyError) as info:
        load_policy(root)
    assert info.value.exit_code == 2
    return list(info.value.problems)


def arbitre(*args: str | Path) -> Result:
    """The command line, in this process."""
    return CliRunner().invoke(main, [str(arg) for arg in args])


def chain(length: int) -> tuple[list[str], list[str]]:
    """Rules deriving ``length`` facts each from the next, written from the last reader up (the order
    the strata sort has to undo), and the facts they derive."""
    facts = [f"chained_{k}" for k in range(length)]
    rules = [rule(k, f"{{fact: {facts[k + 1]}, op: eq, value: true}}", f"{{derive: [{facts[k]}]}}")
             for k in range(length - 1)]
    rules.append(rule(length - 1, "{fact: monthly_volume, op: ge, value: 1}", f"{{derive: [{facts[-1]}]}}"))
    return rules, facts


class TestStrata:
    def test_a_long_chain_is_refused_by_name(self, tmp_path: Path) -> None:
        """A chain of 1,100 derived facts written in reverse is reported at its deepest rule by ``rules
        check``, not as a RecursionError."""
        rules, facts = chain(1100)
        result = arbitre("rules", "check", "--policy", policy_with(tmp_path, rules, facts))
        assert result.exit_code == 1
        assert "added.yaml:2: rules[X0-000]: this rule reads a chain of 1099 rules deriving facts one from another" in result.output
        assert "Traceback" not in result.output

    def test_a_chain_at_the_limit_runs(self, tmp_path: Path) -> None:
        """A chain as deep as the limit allows loads, registers and fires to its end."""
        rules, facts = chain(MAX_STRATA)
        policy = load_policy(policy_with(tmp_path, rules, facts))
        assert len(policy.strata) == MAX_STRATA
        firings, derived = Engine(policy).evaluate({"monthly_volume": 5})
        assert all(derived[name] for name in facts)

    def test_one_more_is_refused(self, tmp_path: Path) -> None:
        """One rule more in the chain is one stratum too many."""
        rules, facts = chain(MAX_STRATA + 1)
        found = refused(policy_with(tmp_path, rules, facts))
        assert [(Path(p.file).name, p.path) for p in found] == [("added.yaml", "rules[X0-000]")]
        assert f"would run in {MAX_STRATA + 1} strata; it runs in at most {MAX_STRATA} (" in found[0].message


def comparisons(count: int, op: str = "ge") -> list[str]:
    return [f"{{fact: monthly_volume, op: {op}, value: {i}}}" for i in range(count)]


def nested(groups: int) -> str:
    """A condition of ``groups`` all/any groups, one inside the other."""
    when = "{fact: monthly_volume, op: ge, value: 1}"
    for level in range(groups):
        kind = "all" if level % 2 else "any"
        when = f"{{{kind}: [{{fact: monthly_volume, op: ge, value: {level}}}, {when}]}}"
    return when


# Rules added to the bundled policy, the rule named in the problem (None: one of those added) and its
# message. The limits keep a margin below the engine's: 511 comparisons after the same tests never
# register, 65 tests holding at once stop it with error 303, 256 rules of one condition and 15 groups
# are refused with errors 108 and 113.
BEYOND = [
    pytest.param([rule(i, when) for i, when in enumerate(comparisons(480, "eq"))], None,
                 "distinct comparisons follow the same tests in stratum 0", "at most 400", id="480-rules-on-one-fact"),
    pytest.param([rule(1, f"{{any: [{', '.join(comparisons(100))}]}}")], "X0-001",
                 "comparisons of stratum 0 can hold at once for a flow", "at most 48", id="any-of-100"),
    pytest.param([rule(i, when) for i, when in enumerate(comparisons(60))], None,
                 "comparisons of stratum 0 can hold at once for a flow", "at most 48", id="60-rules-holding-together"),
    pytest.param([rule(i, "{fact: monthly_volume, op: eq, value: 7}") for i in range(250)], "X0-200",
                 "250 rules have the same condition", "at most 200", id="250-rules-of-one-condition"),
    pytest.param([rule(1, nested(13))], "X0-001", "13 all/any groups", "at most 12", id="13-nested-groups"),
]
WITHIN = [
    pytest.param([rule(i, when) for i, when in enumerate(comparisons(20))], 10**6, id="20-rules-holding-together"),
    pytest.param([rule(i, when) for i, when in enumerate(comparisons(350, "eq"))], 7, id="350-rules-on-one-fact"),
    pytest.param([rule(1, nested(12))], 10**6, id="12-nested-groups"),
    pytest.param([rule(1, f"{{all: [{', '.join(comparisons(200))}]}}")], 10**6, id="all-of-200"),
]


class TestEngineLimits:
    @pytest.mark.parametrize("rules,rule_id,found,limit", BEYOND)
    def test_beyond_a_limit(self, tmp_path: Path, rules: list[str], rule_id: str | None, found: str,
                            limit: str) -> None:
        """A policy beyond what the engine can register or run is refused before the engine sees it,
        at the rule that goes beyond, naming the limit."""
        policy = load_policy(policy_with(tmp_path, rules))
        with pytest.raises(PolicyError) as info:
            Engine(policy)
        assert info.value.exit_code == 2
        [problem] = info.value.problems
        assert Path(problem.file).name == "added.yaml"
        assert problem.path.startswith(f"rules[{rule_id or 'X0-'}")
        assert found in problem.message and limit in problem.message

    @pytest.mark.parametrize("rules,volume", WITHIN)
    def test_within_the_limits(self, tmp_path: Path, rules: list[str], volume: int) -> None:
        """A policy within the limits registers and runs on a flow that meets its conditions."""
        policy = load_policy(policy_with(tmp_path, rules))
        firings, _derived = Engine(policy).evaluate({"monthly_volume": volume})
        assert any(firing.rule_id.startswith("X0-") for firing in firings)

    def test_rules_check_reports_it(self, tmp_path: Path) -> None:
        """``rules check`` reports a limit like any problem, with file and line; ``recommend`` exits 2."""
        root = policy_with(tmp_path, [rule(1, f"{{any: [{', '.join(comparisons(100))}]}}")])
        checked = arbitre("rules", "check", "--policy", root)
        assert checked.exit_code == 1
        assert "added.yaml:2: rules[X0-001].when: with this rule, up to" in checked.output
        recommended = arbitre("recommend", "--policy", root, EXAMPLE)
        assert recommended.exit_code == 2
        assert "rules[X0-001].when" in recommended.output and "Traceback" not in recommended.output
