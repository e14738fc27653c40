"""The rule language: pydantic models of rules, conditions, parameters and derived facts.

A condition is a comparison on one fact, or ``all`` / ``any`` / ``not`` over
conditions. A rule's ``then`` derives boolean facts, votes for options with a
weight (a number or a parameter's name), vetoes options, proposes hybrid splits
and attaches conditions. No Python anywhere: rule files are data.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal, Union

from pydantic import (
    AfterValidator, BaseModel, ConfigDict, Discriminator, Field, StringConstraints, Tag, model_validator,
)

from ..models import Certification, Decision, Split

Scalar = Union[bool, int, float, str]
Name = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")]
RuleId = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9]*-[0-9]{2,3}$")]
# A file of the policy: a YAML file in its folder (never a path out of it, nor a device).
FileName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.-]*\.ya?ml$")]

Operator = Literal["eq", "ne", "lt", "le", "gt", "ge", "in", "not_in",
                   "contains", "lacks", "empty", "not_empty", "known", "unknown"]
NO_OPERAND = frozenset({"empty", "not_empty", "known", "unknown"})


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _finite(value: Any) -> Any:
    """Refuse infinities and NaN, which no comparison or weight can use."""
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, float) and not math.isfinite(item):
            raise ValueError(f"{item} is not a finite number")
    return value


Finite = AfterValidator(_finite)

# The bundled weights are 0.1 to 4 points and the confidence bands 2 and 4: a weight of 1,000 leaves
# room for any scale, and a score, a sum of one vote per rule and option, stays exact and finite.
MAX_WEIGHT = 1_000.0
# Thresholds and cost assumptions are volumes, hours, shares and amounts of money: a trillion is
# beyond any of them, and a product of a few such numbers stays far from a float's overflow.
MAX_NUMBER = 1e12
Number = Annotated[float, Field(allow_inf_nan=False, ge=-MAX_NUMBER, le=MAX_NUMBER)]


class Comparison(_Strict):
    """``{fact: monthly_volume, op: ge, param: massive_volume_min}`` or ``value: ...``."""

    fact: Name
    op: Operator
    value: Annotated[Scalar | list[Scalar] | None, Finite] = None
    param: Name | None = None

    @model_validator(mode="after")
    def _operand(self) -> Comparison:
        has_value = "value" in self.model_fields_set
        if self.op in NO_OPERAND:
            if has_value or self.param is not None:
                raise ValueError(f"the operator {self.op!r} takes no value or param")
        elif has_value == (self.param is not None):
            raise ValueError(f"the operator {self.op!r} needs exactly one of value or param")
        return self


class AllOf(_Strict):
    all: Annotated[list[Condition], Field(min_length=1)]


class AnyOf(_Strict):
    any: Annotated[list[Condition], Field(min_length=1)]


class NotOf(_Strict):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    not_: Condition = Field(alias="not")


def _kind(raw: Any) -> str | None:
    if isinstance(raw, dict):
        for key in ("all", "any", "not"):
            if key in raw:
                return key
        return "fact"
    if isinstance(raw, BaseModel):
        return {AllOf: "all", AnyOf: "any", NotOf: "not"}.get(type(raw), "fact")
    return None


Condition = Annotated[
    Union[Annotated[Comparison, Tag("fact")], Annotated[AllOf, Tag("all")],
          Annotated[AnyOf, Tag("any")], Annotated[NotOf, Tag("not")]],
    Discriminator(_kind, custom_error_type="condition",
                  custom_error_message="expected a comparison {fact, op, value|param} or all/any/not"),
]
AllOf.model_rebuild()
AnyOf.model_rebuild()
NotOf.model_rebuild()


class Texts(_Strict):
    """A short text in both languages; a Jinja2 template over the matched facts."""

    en: Annotated[str, StringConstraints(min_length=1)]
    fr: Annotated[str, StringConstraints(min_length=1)]


class Wording(_Strict):
    """A rule's title or rationale in both languages: plain text, shown as written. A plain string,
    as older policies wrote it, is the English alone; a language left out is shown in the other, and
    ``rules check`` reports it missing."""

    en: Annotated[str, StringConstraints(min_length=1)] | None = None
    fr: Annotated[str, StringConstraints(min_length=1)] | None = None

    @model_validator(mode="before")
    @classmethod
    def _plain_english(cls, raw: Any) -> Any:
        return {"en": raw} if isinstance(raw, str) else raw

    @model_validator(mode="after")
    def _some_language(self) -> Wording:
        if self.en is None and self.fr is None:
            raise ValueError("give the text in English (en) and French (fr)")
        return self

    def missing(self) -> tuple[Literal["en", "fr"], ...]:
        """The languages the text is not written in."""
        return tuple(lang for lang in ("en", "fr") if getattr(self, lang) is None)

    def text(self, lang: Literal["en", "fr"]) -> str:
        """The text in ``lang``, or in the other language when it is not written in ``lang``."""
        return str(getattr(self, lang) or self.en or self.fr)

    def both(self) -> dict[str, str]:
        """The text in each language, as records keep it."""
        return {"en": self.text("en"), "fr": self.text("fr")}


class AttachedCondition(_Strict):
    """A condition the decision comes with (a certification, a contract clause...)."""

    id: Name
    applies_to: tuple[Decision, ...] = (Decision.outsource, Decision.hybrid)
    # Who must act on it: the provider (it goes into the provider brief) or the company only.
    audience: Literal["provider", "company"] = "provider"
    # The certifications or agreements of the provider that meet it (any one of them).
    met_by: tuple[Certification, ...] = ()
    en: Annotated[str, StringConstraints(min_length=1)]
    fr: Annotated[str, StringConstraints(min_length=1)]


Weight = Annotated[float, Field(gt=0, le=MAX_WEIGHT, allow_inf_nan=False)]


class Graded(_Strict):
    """A vote whose weight is the band a numeric fact falls in: ``{by: peak_ratio, bands: peak_bands}``."""

    by: Name
    bands: Name


def _weight_kind(raw: Any) -> str:
    """Which form a vote's weight takes, from its shape (errors then speak of that form only)."""
    if isinstance(raw, (dict, Graded)):
        return "weight-graded"
    return "weight-name" if isinstance(raw, str) else "weight-number"


VoteWeight = Annotated[
    Union[Annotated[Weight, Tag("weight-number")], Annotated[Name, Tag("weight-name")],
          Annotated[Graded, Tag("weight-graded")]],
    Discriminator(_weight_kind),
]


class Against(_Strict):
    """A risk of handing contacts over: it counts its full weight against outsourcing and, against a
    hybrid split, the weight times the share of contacts that split hands over (``by_share: false``:
    the full weight, for a risk that any contact handed over carries, such as know-how the provider
    lacks); nothing against the splits it ``spare``s (a tier-1 split keeps the experts' work in-house)."""

    weight: Weight | Name
    spare: tuple[Split, ...] = ()
    by_share: bool = True


class Then(_Strict):
    """What a rule concludes when its condition holds."""

    derive: tuple[Name, ...] = ()
    vote: dict[Decision, VoteWeight] = {}
    # Outsourcing gets the weight of the band its all-in saving falls in; each hybrid split that
    # weight times the share of contacts it hands over.
    vote_by_saving: Name | None = None
    against: Against | None = None
    veto: tuple[Decision, ...] = ()
    split: tuple[Split, ...] = ()
    condition: AttachedCondition | None = None

    @model_validator(mode="after")
    def _says_something(self) -> Then:
        if not (self.derive or self.vote or self.vote_by_saving or self.against or self.veto or self.split
                or self.condition):
            raise ValueError("a rule must conclude something: derive, vote, vote_by_saving, against, veto, split "
                             "or condition")
        return self


class Rule(_Strict):
    """One heuristic of the policy."""

    id: RuleId
    title: Wording
    rationale: Wording
    when: Condition
    then: Then
    explain: Texts


class RuleFile(_Strict):
    rules: Annotated[list[Rule], Field(min_length=1)]


class Band(_Strict):
    """One band of a graded vote: values from ``min`` (included) to ``max`` (excluded) weigh ``weight``
    (below 0: a vote against); an open end is left out."""

    min: Number | None = None
    max: Number | None = None
    weight: Annotated[float, Field(ge=-MAX_WEIGHT, le=MAX_WEIGHT, allow_inf_nan=False)]

    @model_validator(mode="after")
    def _ordered(self) -> Band:
        if self.min is not None and self.max is not None and self.min >= self.max:
            raise ValueError(f"a band's min ({self.min:g}) must be below its max ({self.max:g})")
        return self

    def holds(self, value: float) -> bool:
        return (self.min is None or value >= self.min) and (self.max is None or value < self.max)


def _show(bound: float | None, open_end: str) -> str:
    return open_end if bound is None else f"{bound:g}"


def _no_overlap(bands: list[Band]) -> list[Band]:
    """Bands are listed from the lowest up and do not overlap."""
    for before, after in zip(bands, bands[1:]):
        if before.max is None or after.min is None or after.min < before.max:
            raise ValueError(
                f"the bands [{_show(before.min, '-inf')}, {_show(before.max, 'inf')}) and "
                f"[{_show(after.min, '-inf')}, {_show(after.max, 'inf')}) overlap: list bands from the lowest up, "
                "each starting at or above the max of the one before")
    return bands


Bands = Annotated[list[Band], Field(min_length=1), AfterValidator(_no_overlap)]


def band_weight(bands: list[Band], value: float | None) -> float:
    """The weight of the band ``value`` falls in (0 outside every band or when unknown)."""
    if value is None:
        return 0.0
    for band in bands:
        if band.holds(value):
            return band.weight
    return 0.0


def _value_kind(raw: Any) -> str | None:
    """Which form a parameter's value takes, from its shape (errors then speak of that form only)."""
    if isinstance(raw, dict):
        return "table-of-lists" if raw and all(isinstance(v, list) for v in raw.values()) else "table-value"
    if isinstance(raw, list):
        return "list-of-bands" if raw and all(isinstance(item, (dict, Band)) for item in raw) else "list-of-names"
    return "number-value"


ParameterValue = Annotated[
    Union[Annotated[Number, Tag("number-value")],
          Annotated[list[str], Tag("list-of-names")],
          Annotated[Bands, Tag("list-of-bands")],
          Annotated[dict[str, Number], Tag("table-value")],
          Annotated[dict[str, list[str]], Tag("table-of-lists")]],
    Discriminator(_value_kind),
]


class Parameter(_Strict):
    """A named threshold, weight or cost assumption, with its unit and source."""

    value: ParameterValue
    unit: str = ""
    source: Annotated[str, StringConstraints(min_length=1)]
    description: str = ""

    @property
    def is_bands(self) -> bool:
        return isinstance(self.value, list) and bool(self.value) and isinstance(self.value[0], Band)


class ParameterFile(_Strict):
    parameters: dict[Name, Parameter]


class DerivedFact(_Strict):
    """A boolean fact that rules derive; false until a rule derives it. ``en`` and ``fr`` say what it
    means when it holds, ``not`` when it does not (older policies may leave it out)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    en: Annotated[str, StringConstraints(min_length=1)]
    fr: Annotated[str, StringConstraints(min_length=1)]
    not_: Wording | None = Field(default=None, alias="not")

    def words(self) -> dict[str, dict[str, str]]:
        """Its sentences as records keep them: ``{"is": {en, fr}, "not": {en, fr}}`` (no "not" when
        the policy does not say it)."""
        said = {"is": {"en": self.en, "fr": self.fr}}
        return said if self.not_ is None else {**said, "not": self.not_.both()}


class FactFile(_Strict):
    derived_facts: dict[Name, DerivedFact]


class ConfidenceBands(_Strict):
    high: float = Field(default=4, ge=0, allow_inf_nan=False)
    medium: float = Field(default=2, ge=0, allow_inf_nan=False)

    @model_validator(mode="after")
    def _ordered(self) -> ConfidenceBands:
        if self.medium > self.high:
            raise ValueError(f"the medium band ({self.medium:g}) must not be above the high band ({self.high:g})")
        return self


class DecisionSettings(_Strict):
    """How votes become a decision: tie-break order and confidence bands on the margin."""

    tie_break: tuple[Decision, ...] = (Decision.keep_internal, Decision.hybrid, Decision.outsource)
    confidence_margin: ConfidenceBands = ConfidenceBands()

    @model_validator(mode="after")
    def _all_options(self) -> DecisionSettings:
        if sorted(self.tie_break) != sorted(Decision):
            raise ValueError("tie_break must list outsource, hybrid and keep_internal, each once")
        return self


class PolicyManifest(_Strict):
    """``policy.yaml``: the policy's name, version and files."""

    name: Name
    version: Annotated[str, StringConstraints(pattern=r"^\d+\.\d+\.\d+$")]
    description: str = ""
    parameters: FileName = "parameters.yaml"
    derived_facts: FileName = "facts.yaml"
    questions: FileName = "questions.yaml"
    levers: FileName = "levers.yaml"
    rule_files: Annotated[list[FileName], Field(min_length=1)]
    decision: DecisionSettings = DecisionSettings()


def _compare(op: str, actual: Any, operand: Any) -> bool:
    """One comparison on a known value; a value of the wrong type compares false."""
    try:
        if op == "eq":
            return bool(actual == operand)
        if op == "ne":
            return bool(actual != operand)
        if op == "lt":
            return bool(actual < operand)
        if op == "le":
            return bool(actual <= operand)
        if op == "gt":
            return bool(actual > operand)
        if op == "ge":
            return bool(actual >= operand)
        if op == "in":
            return actual in operand
        if op == "not_in":
            return actual not in operand
        if op == "contains":
            return operand in actual
        if op == "lacks":
            return operand not in actual
        if op == "empty":
            return len(actual) == 0
        if op == "not_empty":
            return len(actual) > 0
    except TypeError:
        return False
    raise ValueError(f"unknown operator {op!r}")


def holds(cond: Condition, facts: dict[str, Any], params: dict[str, Any] | None = None) -> bool:
    """Whether ``cond`` is true of ``facts``, with the engine's semantics: a comparison on an
    unknown value (absent or None) is false, and its negation true. ``params`` gives the values
    of the parameters a comparison names."""
    if isinstance(cond, AllOf):
        return all(holds(sub, facts, params) for sub in cond.all)
    if isinstance(cond, AnyOf):
        return any(holds(sub, facts, params) for sub in cond.any)
    if isinstance(cond, NotOf):
        return not holds(cond.not_, facts, params)
    actual = facts.get(cond.fact)
    if cond.op in ("known", "unknown"):
        return (actual is not None) == (cond.op == "known")
    if actual is None:
        return False
    operand = (params or {})[cond.param] if cond.param is not None else cond.value
    return _compare(cond.op, actual, operand)


def _describe(cond: Comparison, facts: dict[str, Any], params: dict[str, Any] | None) -> dict[str, Any]:
    return {"fact": cond.fact, "op": cond.op, "value": cond.value, "param": cond.param,
            "threshold": (params or {}).get(cond.param) if cond.param is not None else cond.value,
            "actual": facts.get(cond.fact), "negated": False}


def _holding(cond: Condition, facts: dict[str, Any], params: dict[str, Any] | None) -> dict[str, Any] | None:
    """A comparison inside ``cond`` that holds and makes it hold (for a failed ``not``)."""
    if isinstance(cond, Comparison):
        return _describe(cond, facts, params) if holds(cond, facts, params) else None
    if isinstance(cond, (AllOf, AnyOf)):
        for sub in cond.all if isinstance(cond, AllOf) else cond.any:
            found = _holding(sub, facts, params)
            if found is not None:
                return found
        return None
    failed = first_failure(cond.not_, facts, params)
    return None if failed is None else {**failed, "negated": not failed["negated"]}


def first_failure(cond: Condition, facts: dict[str, Any], params: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """Why ``cond`` does not hold of ``facts``: the first comparison that fails (``all``), the first
    alternative's failure and how many there were (``any``), or the comparison a ``not`` found true
    (``negated``); None when it holds. Each says the fact, the operator, the value or parameter (and
    its value, ``threshold``) and the actual value (None when unknown)."""
    if holds(cond, facts, params):
        return None
    if isinstance(cond, Comparison):
        return _describe(cond, facts, params)
    if isinstance(cond, AllOf):
        for sub in cond.all:
            failed = first_failure(sub, facts, params)
            if failed is not None:
                return failed
    if isinstance(cond, AnyOf):
        failed = first_failure(cond.any[0], facts, params)
        return None if failed is None else {**failed, "alternatives": len(cond.any)}
    if isinstance(cond, NotOf):
        found = _holding(cond.not_, facts, params)
        return None if found is None else {**found, "negated": not found["negated"]}
    return None
