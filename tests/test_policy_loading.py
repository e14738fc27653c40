"""Loading a policy: every problem of every file, each at its file and line; digest; strata.

Each bad case edits a temporary copy of ``rules/`` and expects ``PolicyError``.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from engine.errors import PolicyError, Problem, excerpt
from engine.policy.loading import Policy, load_policy

RULES = Path(__file__).resolve().parent.parent / "rules"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A fresh copy of the default policy directory."""
    copy = tmp_path / "rules"
    shutil.copytree(RULES, copy, ignore=shutil.ignore_patterns("tests"))
    return copy


def edit(root: Path, name: str, old: str, new: str) -> int:
    """Replace the one occurrence of ``old`` in a policy file; the line where it started."""
    path = root / name
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} should occur once in {name}"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return text[:text.index(old)].count("\n") + 1


def line_of(root: Path, name: str, pattern: str) -> int:
    """The line of the first line of a file that matches ``pattern``."""
    for number, line in enumerate((root / name).read_text(encoding="utf-8").splitlines(), start=1):
        if re.search(pattern, line):
            return number
    raise AssertionError(f"no line of {name} matches {pattern!r}")


def problems(root: Path) -> tuple[Problem, ...]:
    """The problems ``load_policy`` reports for a directory (it must fail)."""
    with pytest.raises(PolicyError) as info:
        load_policy(root)
    assert info.value.exit_code == 2
    return info.value.problems


def where(problem: Problem) -> tuple[str, int | None]:
    return Path(problem.file).name, problem.line


# One edit each: file, text to replace, replacement, the expected message.
BAD_EDITS = [
    pytest.param(
        "classify.yaml", "{fact: volume_predictability, op: eq, value: low}",
        "{fact: volume_predictability, opp: eq, op: eq, value: low}",
        "unknown field 'opp'; did you mean 'op'?",
        id="unknown-key-in-a-comparison",
    ),
    pytest.param(
        "hybrid.yaml", "      split: [overflow]\n", "      splitt: [overflow]\n",
        "unknown field 'splitt'; did you mean 'split'?",
        id="unknown-key-in-then",
    ),
    pytest.param(
        "classify.yaml", "{fact: monthly_volume, op: ge, param: massive_volume_min}",
        "{fact: monthly_volum, op: ge, param: massive_volume_min}",
        "unknown fact 'monthly_volum'; did you mean 'monthly_volume'?",
        id="unknown-fact",
    ),
    pytest.param(
        "classify.yaml", "{fact: coverage_gap_hours, op: ge, param: after_hours_gap_min}",
        "{fact: coverage_gap_hour, op: ge, param: after_hours_gap_min}",
        "unknown fact 'coverage_gap_hour'; did you mean 'coverage_gap_hours'?",
        id="unknown-metric",
    ),
    pytest.param(
        "classify.yaml", "{fact: monthly_volume, op: ge, param: massive_volume_min}",
        "{fact: monthly_volume, op: ge, param: massive_volume_mn}",
        "unknown parameter 'massive_volume_mn'; did you mean 'massive_volume_min'?",
        id="unknown-parameter",
    ),
    pytest.param(
        "classify.yaml", "then: {vote: {outsource: weight_medium}}",
        "then: {vote: {outsource: weight_mediun}}",
        "unknown parameter 'weight_mediun'; did you mean 'weight_medium'?",
        id="unknown-weight",
    ),
    pytest.param(
        "classify.yaml", "{fact: volume_predictability, op: eq, value: low}",
        "{fact: volume_predictability, op: gt, value: low}",
        "the operator 'gt' does not apply to 'volume_predictability' (enum); use one of eq, in, ne, not_in",
        id="order-on-enum",
    ),
    pytest.param(
        "economics.yaml", "when: {fact: skill_gap, op: eq, value: true}",
        "when: {fact: skill_gap, op: contains, value: true}",
        "the operator 'contains' does not apply to 'skill_gap' (bool); use one of eq, ne",
        id="list-operator-on-bool",
    ),
    pytest.param(
        "classify.yaml", "{fact: regulated_data, op: contains, value: special_category}",
        "{fact: regulated_data, op: eq, value: special_category}",
        "the operator 'eq' does not apply to 'regulated_data' (list); use one of contains, empty, lacks, not_empty",
        id="equality-on-list",
    ),
    pytest.param(
        "classify.yaml", "{fact: peak_ratio, op: ge, param: peak_ratio_overflow}",
        "{fact: peak_ratio, op: ge, value: high}",
        "'high' is not a number, and 'peak_ratio' is a number",
        id="text-for-number",
    ),
    pytest.param(
        "classify.yaml", "{fact: volume_predictability, op: eq, value: low}",
        "{fact: volume_predictability, op: eq, value: lowish}",
        "'lowish' is not one of low, medium, high (the values of 'volume_predictability')",
        id="value-outside-enum",
    ),
    pytest.param(
        "classify.yaml", "{fact: regulated_data, op: contains, value: special_category}",
        "{fact: regulated_data, op: contains, value: biometric}",
        "'biometric' is not one of payment_card, health, financial, special_category (the values of 'regulated_data')",
        id="value-outside-list",
    ),
    pytest.param(
        "classify.yaml", "then: {derive: [small_volume]}",
        "then: {derive: [smal_volume]}",
        "'smal_volume' is not a declared derived fact; did you mean 'small_volume'? (declare it in facts.yaml)",
        id="derive-undeclared",
    ),
]


class TestNamesAndNumbers:
    @pytest.mark.parametrize("name,clash", [
        pytest.param("skill_gap", "the name of an answer", id="answer"),
        pytest.param("savings_pct", "the name of a cost metric", id="metric"),
        pytest.param("sid", "reserved by the engine", id="reserved"),
    ])
    def test_derived_fact_needs_its_own_name(self, root: Path, name: str, clash: str) -> None:
        """A derived fact may not shadow an answer, a metric or the engine's own fields."""
        with (root / "facts.yaml").open("a", encoding="utf-8") as handle:
            handle.write(f"  {name}:\n    en: x\n    fr: x\n")
        found = problems(root)
        assert [(where(p), p.message) for p in found] == [
            (("facts.yaml", line_of(root, "facts.yaml", f"  {name}:")),
             f"{name!r} is {clash}; a derived fact needs a name of its own")]

    def test_infinite_parameter_is_refused_alone(self, root: Path) -> None:
        """An infinite parameter is reported at its value, and the others stay usable by the rules."""
        edit(root, "parameters.yaml", "  massive_volume_min:\n    value: 5000\n",
             "  massive_volume_min:\n    value: .inf\n")
        found = problems(root)
        assert found[0].message == "inf is not a finite number"
        assert all("weight_" not in p.message for p in found)


class TestWeights:
    def test_weight_must_be_positive(self, root: Path) -> None:
        """A weight parameter at or below zero is refused at every rule that uses it."""
        edit(root, "parameters.yaml", "  weight_decisive:\n    value: 4\n", "  weight_decisive:\n    value: 0\n")
        found = problems(root)
        assert found and all("the weight 'weight_decisive' is 0; a weight must be above 0" in p.message
                              for p in found)


class TestNumbersAreBounded:
    """Every weight and number a policy gives is finite and bounded, so that no score can overflow."""

    def test_weight_parameter_above_the_limit(self, root: Path) -> None:
        """A weight parameter above 1,000 is refused at every rule that votes with it."""
        edit(root, "parameters.yaml", "  weight_decisive:\n    value: 4\n", "  weight_decisive:\n    value: 5000\n")
        found = problems(root)
        assert found and all(p.message == "the weight 'weight_decisive' is 5000; a weight is at most 1000"
                             for p in found)

    def test_huge_parameter(self, root: Path) -> None:
        """A parameter of 1e308 (finite, but a score made of it would not be) is refused at its value."""
        line = edit(root, "parameters.yaml", "  weight_medium:\n    value: 2\n", "  weight_medium:\n    value: 1.0e+308\n")
        found = problems(root)
        assert [where(p) for p in found] == [("parameters.yaml", line + 1)]
        assert "at most 1e+12" in found[0].message

    @pytest.mark.parametrize("old,new", [
        pytest.param("{min: 25, weight: 3}", "{min: 25, weight: 1.0e+308}", id="band-weight"),
        pytest.param("{min: 25, weight: 3}", "{min: 25, weight: -2000}", id="negative-band-weight"),
        pytest.param("{min: 25, weight: 3}", "{min: 1.0e+300, weight: 3}", id="band-bound"),
    ])
    def test_band_out_of_range(self, root: Path, old: str, new: str) -> None:
        """A band's weight beyond 1,000 either way, or a bound beyond 1e12, is refused at its line."""
        line = edit(root, "parameters.yaml", old, new)
        found = problems(root)
        assert [where(p) for p in found] == [("parameters.yaml", line)]
        assert "at most" in found[0].message or "at least" in found[0].message

    def test_vote_written_as_a_number(self, root: Path) -> None:
        """A vote's weight written in the rule is bounded like a parameter."""
        line = edit(root, "hybrid.yaml", "bands: peak_vote_bands}}", "bands: peak_vote_bands}, outsource: 1.0e+308}")
        found = problems(root)
        assert [(where(p), p.path) for p in found] == [(("hybrid.yaml", line), "rules[0].then.vote.outsource")]
        assert "at most 1000" in found[0].message


class TestBadPolicy:
    """A wrong policy file is refused with every problem at its file and line."""

    @pytest.mark.parametrize("name,old,new,message", BAD_EDITS)
    def test_problem(self, root: Path, name: str, old: str, new: str, message: str) -> None:
        """The edit gives exactly one problem, at the edited file and line, with the expected message."""
        line = edit(root, name, old, new)
        found = problems(root)
        assert [(where(p), p.message) for p in found] == [((name, line), message)]

    def test_message_counts_problems(self, root: Path) -> None:
        """The error's message names the directory and counts the problems."""
        edit(root, "classify.yaml", "{fact: volume_predictability, op: eq, value: low}",
             "{fact: volume_predictability, op: eq, value: lowish}")
        with pytest.raises(PolicyError, match=r"the policy in .*rules has 1 problem$"):
            load_policy(root)

    def test_duplicate_rule_id(self, root: Path) -> None:
        """A rule id used twice is reported at the second rule, naming where the first is."""
        first = line_of(root, "economics.yaml", r"- id: ECO-01$")
        line = edit(root, "economics.yaml", "- id: ECO-06\n", "- id: ECO-01\n")
        (problem,) = problems(root)
        assert where(problem) == ("economics.yaml", line)
        assert problem.message == f"duplicate rule id 'ECO-01' (first defined at {root / 'economics.yaml'}:{first})"

    def test_duplicate_rule_id_across_files(self, root: Path) -> None:
        """A rule id reused in another file is reported in that file."""
        line = edit(root, "risk.yaml", "- id: RSK-03\n", "- id: ECO-01\n")
        (problem,) = problems(root)
        assert where(problem) == ("risk.yaml", line)
        assert "duplicate rule id 'ECO-01'" in problem.message
        assert "economics.yaml" in problem.message

    def test_cycle_between_two_rules(self, root: Path) -> None:
        """Two rules deriving each other's condition are one cycle, reported once at a rule in it."""
        edit(root, "classify.yaml", "when: {fact: volume_predictability, op: eq, value: low}",
             "when: {fact: small_volume, op: eq, value: true}")
        edit(root, "classify.yaml", "when: {fact: monthly_volume, op: lt, param: small_volume_max}",
             "when: {fact: uncertain_volume, op: eq, value: true}")
        (problem,) = problems(root)
        assert where(problem) == ("classify.yaml", line_of(root, "classify.yaml", r"- id: CLS-02$"))
        assert problem.path == "rules[CLS-02]"
        assert problem.message == "derived facts form a cycle: CLS-02 -> CLS-03 -> CLS-02"

    def test_rule_reading_its_own_conclusion(self, root: Path) -> None:
        """A rule whose condition reads the fact it derives is a cycle of one."""
        edit(root, "classify.yaml", "when: {fact: monthly_volume, op: lt, param: small_volume_max}",
             "when: {not: {fact: small_volume, op: eq, value: true}}")
        (problem,) = problems(root)
        assert where(problem) == ("classify.yaml", line_of(root, "classify.yaml", r"- id: CLS-02$"))
        assert problem.message == "derived facts form a cycle: CLS-02 -> CLS-02"

    def test_cycle_read_by_an_earlier_rule(self, root: Path) -> None:
        """A rule outside a cycle that reads from it is not blamed; the cycle is reported once, complete."""
        edit(root, "classify.yaml", "when: {fact: volume_predictability, op: eq, value: low}",
             "when: {fact: small_volume, op: eq, value: true}")
        edit(root, "classify.yaml", "when: {fact: monthly_volume, op: lt, param: small_volume_max}",
             "when: {fact: uncertain_volume, op: eq, value: true}")
        edit(root, "classify.yaml", "when: {fact: monthly_volume, op: ge, param: massive_volume_min}",
             "when: {fact: small_volume, op: eq, value: false}")
        found = problems(root)
        assert [(p.path, p.message) for p in found] == [
            ("rules[CLS-02]", "derived facts form a cycle: CLS-02 -> CLS-03 -> CLS-02"),
        ]

    def test_missing_cost_parameter(self, root: Path) -> None:
        """A cost-model parameter left out is reported in parameters.yaml, at its mapping."""
        edit(root, "parameters.yaml", "  shrinkage:\n", "  shrinkages:\n")
        (problem,) = problems(root)
        assert where(problem) == ("parameters.yaml", line_of(root, "parameters.yaml", r"^parameters:"))
        assert problem.path == "parameters.shrinkage"
        assert problem.message == "the cost model's parameter is missing"

    @pytest.mark.parametrize("old, new, path, message", [
        pytest.param("value: {FR: 35, BE: 38", "value: {FR: 0, BE: 38", "parameters.weekly_hours_by_country.FR",
                     "input should be greater than 0 (found 0.0)", id="weekly-hours-of-zero"),
        pytest.param('value: {"1": 1.0, "2": 1.7', 'value: {one: 1.0, "2": 1.7', "parameters.concurrency_capacity",
                     "the keys must be numbers of conversations at once", id="concurrency-key-not-a-number"),
        pytest.param("information: 90,", "information: 190,", "parameters.routine_share_by_activity.information",
                     "less than or equal to 100", id="routine-share-above-100"),
    ])
    def test_cost_table_entry(self, root: Path, old: str, new: str, path: str, message: str) -> None:
        """A wrong entry of a cost-model table is reported at its line, named with its key."""
        line = edit(root, "parameters.yaml", old, new)
        (problem,) = problems(root)
        assert where(problem) == ("parameters.yaml", line)
        assert problem.path == path and message in problem.message

    def test_cost_parameter_out_of_range(self, root: Path) -> None:
        """A cost-model parameter the model cannot use is reported at that parameter, with its value."""
        line = edit(root, "parameters.yaml", "  shrinkage:\n    value: ", "  shrinkage:\n    value: 1.5 #")
        (problem,) = problems(root)
        assert Path(problem.file).name == "parameters.yaml"
        assert problem.line in (line, line + 1)  # the parameter's key or its value
        assert problem.path == "parameters.shrinkage"
        assert "(found 1.5)" in problem.message

    def test_yaml_syntax_error(self, root: Path) -> None:
        """A YAML syntax error is reported at its file and line, and stops nothing else from being checked."""
        line = edit(root, "economics.yaml", '    title: {en: "Typical outsourced activity", fr: "Activité typiquement '
                    'externalisée"}\n', "    title: Typical: outsourced activity\n")
        edit(root, "classify.yaml", "then: {derive: [small_volume]}", "then: {derive: [smal_volume]}")
        found = problems(root)
        assert len(found) == 2
        syntax = next(p for p in found if Path(p.file).name == "economics.yaml")
        assert syntax.line == line
        assert syntax.message.startswith("not valid YAML: ")
        assert "mapping values are not allowed" in syntax.message
        assert any(Path(p.file).name == "classify.yaml" and "smal_volume" in p.message for p in found)

    def test_missing_rule_file(self, root: Path) -> None:
        """A rule file named in policy.yaml but absent is reported by its name."""
        (root / "risk.yaml").unlink()
        (problem,) = problems(root)
        assert Path(problem.file).name == "risk.yaml"
        assert "no such policy file" in problem.message

    @pytest.mark.parametrize("named", ["../../etc/passwd", "/dev/zero", "\\0", "sub/rules.yaml", "rules.txt"])
    def test_a_file_outside_the_folder_is_not_read(self, root: Path, named: str) -> None:
        """A rule file is a YAML file in the policy's folder: another path is refused at its line, unread."""
        line = edit(root, "policy.yaml", "  - hybrid.yaml", f'  - "{named}"')
        assert [(where(p), p.message) for p in problems(root)] == [(("policy.yaml", line), (
            f"{excerpt(named.replace(chr(92) + '0', chr(0)))} is not the name of a YAML file in the policy's "
            "folder (like rules.yaml)"))]

    def test_aliases_of_aliases_in_a_condition(self, root: Path) -> None:
        """A condition whose value is an alias of nested aliases is refused at once, at its line."""
        path = root / "classify.yaml"
        anchors = "".join(f"  - &a{i} [{', '.join([f'*a{i - 1}' if i else 'low'] * 9)}]\n" for i in range(10))
        path.write_text("bombs:\n" + anchors + path.read_text(encoding="utf-8"), encoding="utf-8")
        edit(root, "classify.yaml", "{fact: volume_predictability, op: eq, value: low}",
             "{fact: volume_predictability, op: in, value: *a9}")
        (problem,) = problems(root)
        assert where(problem)[0] == "classify.yaml"
        assert "aliases expand the value that starts here" in problem.message

    def test_a_rule_id_of_another_form(self, root: Path) -> None:
        """A rule id is told what form it takes, not that it is not a slug."""
        line = edit(root, "economics.yaml", "id: ECO-01", "id: eco-1")
        assert [(where(p), p.message) for p in problems(root)] == [(("economics.yaml", line), (
            "'eco-1' is not a rule id: capitals, a dash and two or three digits (like ECO-01)"))]

    def test_not_a_directory(self, tmp_path: Path) -> None:
        """A path that is not a policy directory is refused."""
        with pytest.raises(PolicyError, match="cannot load the policy"):
            load_policy(tmp_path / "nowhere")


class TestAllProblemsAtOnce:
    """Every problem of every file comes in one error."""

    def test_several_files(self, root: Path) -> None:
        """Problems in three rule files and the parameters are all reported, each at its place."""
        expected = {
            ("classify.yaml", edit(root, "classify.yaml", "{fact: monthly_volume, op: ge, param: massive_volume_min}",
                                   "{fact: monthly_volum, op: ge, param: massive_volume_min}")),
            ("economics.yaml", edit(root, "economics.yaml", "when: {fact: skill_gap, op: eq, value: true}",
                                    "when: {fact: skill_gap, op: eq, value: yes}")),
            ("classify.yaml", edit(root, "classify.yaml", "{fact: regulated_data, op: contains, value: special_category}",
                               "{fact: regulated_data, op: contains, value: biometric}")),
            ("parameters.yaml", line_of(root, "parameters.yaml", r"^parameters:")),
        }
        edit(root, "parameters.yaml", "  overtime_premium:\n", "  overtime_bonus:\n")
        with pytest.raises(PolicyError, match="has 4 problems") as info:
            load_policy(root)
        assert {where(p) for p in info.value.problems} == expected

    def test_several_problems_in_one_file(self, root: Path) -> None:
        """Two problems in one file are both reported, in file order."""
        first = edit(root, "classify.yaml", "{fact: volume_predictability, op: eq, value: low}",
                     "{fact: volume_predictability, op: eq, value: lowish}")
        second = edit(root, "classify.yaml", "{fact: peak_ratio, op: ge, param: peak_ratio_overflow}",
                      "{fact: peak_ratio, op: ge, param: peak_ratio_overflw}")
        found = problems(root)
        assert [where(p) for p in found] == [("classify.yaml", first), ("classify.yaml", second)]

    def test_report_lists_every_problem(self, root: Path) -> None:
        """The report has the message, then one ``file:line: path: message`` line per problem."""
        line = edit(root, "classify.yaml", "{fact: volume_predictability, op: eq, value: low}",
                    "{fact: volume_predictability, op: eq, value: lowish}")
        with pytest.raises(PolicyError) as info:
            load_policy(root)
        report = info.value.report().splitlines()
        assert len(report) == 2
        assert report[1].startswith(f"  {root / 'classify.yaml'}:{line}: rules[2].when: 'lowish' is not one of")


class TestGoodPolicy:
    """Policies that load."""

    def test_default(self, policy: Policy) -> None:
        """The bundled policy loads, named and versioned by policy.yaml."""
        assert policy.name == "default"
        assert re.fullmatch(r"\d+\.\d+\.\d+", policy.version)
        assert policy.rules

    def test_copy(self, root: Path) -> None:
        """A copy of the bundled policy loads, with the same rules."""
        assert [r.rule.id for r in load_policy(root).rules] == [r.rule.id for r in load_policy(RULES).rules]

    def test_rule_places(self, policy: Policy) -> None:
        """Each rule knows the file and the line of its ``- id:``."""
        for placed in policy.rules:
            text = Path(placed.file).read_text(encoding="utf-8").splitlines()
            assert text[placed.line - 1].strip() == f"- id: {placed.rule.id}"


class TestDigest:
    """The digest identifies the policy's content."""

    def test_form(self, policy: Policy) -> None:
        """The digest is a SHA-256 in hexadecimal."""
        assert re.fullmatch(r"sha256:[0-9a-f]{64}", policy.digest)

    def test_same_content_same_digest(self, root: Path) -> None:
        """A copy in another directory has the same digest."""
        assert load_policy(root).digest == load_policy(RULES).digest

    @pytest.mark.parametrize("name", ["policy.yaml", "parameters.yaml", "facts.yaml", "classify.yaml", "risk.yaml"])
    def test_changes_when_a_file_changes(self, root: Path, name: str) -> None:
        """Even a comment added to any policy file changes the digest."""
        before = load_policy(root).digest
        with (root / name).open("a", encoding="utf-8") as handle:
            handle.write("# tuned\n")
        assert load_policy(root).digest != before

    def test_changes_when_a_value_changes(self, root: Path) -> None:
        """A changed threshold changes the digest."""
        before = load_policy(root).digest
        edit(root, "parameters.yaml", "  massive_volume_min:\n    value: ", "  massive_volume_min:\n    value: 1")
        assert load_policy(root).digest != before


class TestStrata:
    """Every derived fact a rule reads is complete before that rule runs."""

    def test_readers_above_derivers(self, policy: Policy) -> None:
        """Every rule that reads a derived fact is in a higher stratum than every rule deriving it."""
        derivers: dict[str, list[int]] = {}
        for placed in policy.rules:
            for fact in placed.rule.then.derive:
                derivers.setdefault(fact, []).append(placed.stratum)
        checked = 0
        for placed in policy.rules:
            for fact in placed.reads:
                if fact in policy.derived:
                    for stratum in derivers.get(fact, []):
                        assert placed.stratum > stratum, (placed.rule.id, fact)
                        checked += 1
        assert checked > 0

    def test_rules_on_answers_only_come_first(self, policy: Policy) -> None:
        """A rule that reads no derived fact runs in the first stratum."""
        for placed in policy.rules:
            if not any(fact in policy.derived for fact in placed.reads):
                assert placed.stratum == 0, placed.rule.id

    def test_strata_group_rules(self, policy: Policy) -> None:
        """The strata hold every rule once, in order, none empty."""
        strata = policy.strata
        assert sum(len(s) for s in strata) == len(policy.rules)
        assert all(strata)
        assert [{r.stratum for r in s} for s in strata] == [{i} for i in range(len(strata))]

    def test_reads_include_negated_facts(self, policy: Policy) -> None:
        """A fact read under ``not`` counts as read: HYB-01 runs after the rule deriving small_volume."""
        hyb = policy.rule("HYB-01")
        assert "small_volume" in hyb.reads
        assert hyb.stratum > policy.rule("CLS-02").stratum

    def test_chain_of_three(self, root: Path) -> None:
        """A fact derived from a derived fact puts its readers one stratum further."""
        edit(root, "classify.yaml", "when: {fact: volume_predictability, op: eq, value: low}",
             "when: {fact: mixed_work, op: eq, value: true}")
        policy = load_policy(root)
        assert policy.rule("CLS-13").stratum == 1
        assert policy.rule("CLS-03").stratum == 2
        assert policy.rule("VOL-02").stratum == 3


class TestGradedAndConditions:
    """The 2.0 rule language: graded votes read bands from a parameter, checked at load time."""

    def test_overlapping_bands(self, root: Path) -> None:
        """Bands that overlap are reported at the parameter's value, with both bands and what is expected."""
        edit(root, "parameters.yaml", "      - {min: 15, max: 25, weight: 2}", "      - {min: 4, max: 25, weight: 2}")
        (problem,) = problems(root)
        assert where(problem) == ("parameters.yaml", line_of(root, "parameters.yaml", r"^  saving_vote_bands:$") + 1)
        assert problem.path == "parameters.saving_vote_bands.value"
        assert "the bands [0, 5) and [4, 25) overlap" in problem.message
        assert "each starting at or above the max of the one before" in problem.message

    def test_band_with_min_above_max(self, root: Path) -> None:
        line = edit(root, "parameters.yaml", "      - {min: 1.4, max: 1.8, weight: 1}", "      - {min: 1.9, max: 1.8, weight: 1}")
        (problem,) = problems(root)
        assert where(problem) == ("parameters.yaml", line)
        assert "a band's min (1.9) must be below its max (1.8)" in problem.message

    def test_graded_vote_on_a_parameter_that_is_no_bands(self, root: Path) -> None:
        line = edit(root, "hybrid.yaml", "{by: peak_ratio, bands: peak_vote_bands}",
                    "{by: peak_ratio, bands: peak_ratio_overflow}")
        (problem,) = problems(root)
        assert where(problem) == ("hybrid.yaml", line)
        assert problem.message.startswith("the parameter 'peak_ratio_overflow' is not a list of bands")

    def test_graded_vote_on_a_fact_that_is_no_number(self, root: Path) -> None:
        line = edit(root, "hybrid.yaml", "{by: peak_ratio, bands: peak_vote_bands}", "{by: channel, bands: peak_vote_bands}")
        (problem,) = problems(root)
        assert where(problem) == ("hybrid.yaml", line)
        assert "'channel' is not a number" in problem.message

    def test_condition_met_by_an_unknown_requirement(self, root: Path) -> None:
        """A condition names the certifications or agreements that meet it: only known ones."""
        line = edit(root, "risk.yaml", "met_by: [pci_dss]", "met_by: [pci]")
        (problem,) = problems(root)
        assert where(problem) == ("risk.yaml", line)
        assert "'pci' is not one of pci_dss, hipaa_baa, iso27001, hds, scc" in problem.message

    def test_against_with_an_unknown_weight(self, root: Path) -> None:
        line = edit(root, "in_house.yaml", "then: {against: {weight: weight_medium}}\n    explain:\n      en: \"High",
                    "then: {against: {weight: weight_mediun}}\n    explain:\n      en: \"High")
        (problem,) = problems(root)
        assert where(problem) == ("in_house.yaml", line)
        assert problem.message == "unknown parameter 'weight_mediun'; did you mean 'weight_medium'?"
