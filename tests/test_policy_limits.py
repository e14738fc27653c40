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
from explanations.render import RuleTexts, check_texts, dump_json

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


SIX_LOOPS = "".join(f"{{% for v{i} in param.languages_by_country %}}" for i in range(6)) + "x" + "{% endfor %}" * 6
# Texts that would run for minutes or exhaust memory, and what the problem says.
COSTLY_TEXTS = [
    pytest.param("{{ 'a'|center(10**9) }}", "the filter 'center' given 1e+09; a width, length or count is at most 1,000",
                 id="center"),
    pytest.param("{{ 5|num(10**9) }}", "the filter 'num' given 1e+09", id="num-digits"),
    pytest.param("{{ 'x'|indent(10**9) }}", "the filter 'indent' given 1e+09", id="indent"),
    pytest.param("{{ 'x'.ljust(10**9) }}", "'ljust' given 1e+09", id="method-width"),
    pytest.param("{{ '%0999999d' % 1 }}", "a format with a width or precision above 999", id="format-width"),
    pytest.param("{{ '%*d' % (1500000000, 1) }}", "a format with a width or precision above 999, or given as an "
                 "argument", id="format-width-as-argument"),
    pytest.param("{{ '{:{}}'.format(1, 10**9) }}", "or given as an argument", id="nested-format-width"),
    pytest.param("{{ 'x' * 10**10 }}", "a repetition of 10,000,000,000 characters or items", id="repeated-text"),
    pytest.param("{{ [0] * 10**9 }}", "a repetition of 1,000,000,000 characters or items", id="repeated-list"),
    pytest.param("{{ 10**100000 }}", "a power of more than 4,096 bits", id="power"),
    pytest.param("{{ ('x' * 9000)|join('y' * 9000) }}", "the filter 'join' would build more than 10,000", id="join"),
    pytest.param(SIX_LOOPS, "more than 10,000 loop iterations and calls in one text", id="six-nested-loops"),
    pytest.param("{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}",
                 "'macro' is not allowed in a policy text, only 'if' and 'for'", id="recursive-macro"),
    pytest.param("{% set a = 'x' %}{{ a }}", "'set' is not allowed in a policy text", id="assignment"),
    pytest.param("{% for x in [1] recursive %}{{ loop([x]) }}{% endfor %}", "'recursive for' is not allowed",
                 id="recursive-loop"),
]


@pytest.fixture(scope="module")
def costly(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """A policy with one rule per costly text, and the problem ``rules check`` finds in each English text."""
    texts = [param.values[0] for param in COSTLY_TEXTS]
    root = policy_with(tmp_path_factory.mktemp("costly"), [
        rule(number, "{fact: monthly_volume, op: ge, value: 1}", text=text) for number, text in enumerate(texts)])
    found = {p.path: p.message for p in check_texts(load_policy(root))}
    return root, {text: found.get(f"rules[X0-{number:03d}].explain.en", "") for number, text in enumerate(texts)}


class TestTextBounds:
    @pytest.mark.parametrize("text,message", COSTLY_TEXTS)
    def test_a_costly_text_is_reported(self, costly: tuple[Path, dict[str, str]], text: str, message: str) -> None:
        """``rules check`` reports a text beyond a bound at its rule, quickly, naming the bound."""
        assert message in costly[1][text]

    def test_recommend_refuses_it(self, costly: tuple[Path, dict[str, str]]) -> None:
        """A recommendation that would render a costly text is a policy error (exit 2), not a crash."""
        result = arbitre("recommend", "--policy", costly[0], EXAMPLE)
        assert result.exit_code == 2, result.output
        assert "rule X0-0" in result.output and "Traceback" not in result.output

    @pytest.mark.parametrize("text,rendered", [
        pytest.param("{% for c in ['a', 'b'] %}{{ c|upper }}{% endfor %}", "AB", id="loop-and-filter"),
        pytest.param("[{{ '%5.1f'|format(2.25) }}] [{{ 'ab'|center(6) }}]", "[  2.2] [  ab  ]", id="small-widths"),
        pytest.param("{{ ['x', 'y']|join(', ') }} {{ 2 ** 10 }} {{ 'ab' * 3 }}", "x, y 1024 ababab", id="operators"),
        pytest.param("{{ monthly_volume|num }}{% if monthly_volume > 2 %} many{% endif %}", "3 many", id="facts"),
        pytest.param("{{ '{:,}'.format(50000) }} {{ [5000, 3]|max }}", "50,000 5000", id="large-values"),
    ])
    def test_texts_within_the_bounds_render(self, tmp_path: Path, text: str, rendered: str) -> None:
        """Filters, operators and loops within the bounds render as Jinja2 renders them."""
        policy = load_policy(policy_with(tmp_path, [rule(1, "{fact: monthly_volume, op: ge, value: 1}", text=text)]))
        assert RuleTexts(policy, "en").render("X0-001", "explain", {"monthly_volume": 3}) == rendered
