"""Levers: the answers a person can act on, where the tipping points of a flow are sought.

``levers.yaml`` (named by ``levers:`` in ``policy.yaml``) lists them in three groups:
``numeric`` answers, each with its plausible range as factors of the answer
(``min_factor``, ``max_factor``) and/or absolute bounds (``min``, ``max``);
``answers`` about the work, whose every other allowed value is tried; and
``provider`` levers (adding a certification or agreement the provider lacks, a
provider based in the customers' country). ``volume_floor`` keeps the volume
above a share of the flow's own. Facts about what a flow is (its channel, its
activity) are not levers. Every entry carries its ``source``, like a parameter.

A policy without the file (and without ``levers:`` in its manifest) has no
levers: its flows have no tipping points.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from ..answers import problems_from_errors
from ..errors import Problem
from ..load import Document, DocumentError, PathKey, dotted, read_document

Source = Annotated[str, StringConstraints(min_length=1)]
Factor = Annotated[float, Field(gt=0, allow_inf_nan=False)]
Bound = Annotated[float, Field(ge=0, allow_inf_nan=False)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Lever(_Strict):
    """An answer a person can act on, and why the policy counts it as one."""

    source: Source


class NumericLever(Lever):
    """A numeric answer's plausible range: factors of the answer, absolute bounds, or both (the
    narrower wins on each side)."""

    min_factor: Factor | None = None
    max_factor: Factor | None = None
    min: Bound | None = None
    max: Bound | None = None

    def bounds(self, current: float) -> tuple[float, float]:
        """The range around an answer ``current``."""
        lows = [b for b in (None if self.min_factor is None else self.min_factor * current, self.min) if b is not None]
        highs = [b for b in (None if self.max_factor is None else self.max_factor * current, self.max)
                 if b is not None]
        return max(lows), min(highs)


class NumericLevers(_Strict):
    monthly_volume: NumericLever | None = None
    aht_seconds: NumericLever | None = None
    peak_ratio: NumericLever | None = None
    loaded_hourly_cost: NumericLever | None = None
    vendor_quote: NumericLever | None = None
    annual_turnover_pct: NumericLever | None = None
    absenteeism_pct: NumericLever | None = None
    coverage_hours_needed: NumericLever | None = None


class AnswerLevers(_Strict):
    volume_predictability: Lever | None = None
    repetitiveness: Lever | None = None
    scripting: Lever | None = None
    complexity: Lever | None = None
    data_sensitivity: Lever | None = None
    brand_criticality: Lever | None = None
    customer_value: Lever | None = None
    unique_know_how: Lever | None = None
    skill_gap: Lever | None = None
    customers_expect_local: Lever | None = None


class ProviderLevers(_Strict):
    provider_certifications: Lever | None = None
    provider_country: Lever | None = None


class VolumeFloor(_Strict):
    """No volume below this share of the flow's own is plausible, whatever a factor says."""

    share: Annotated[float, Field(gt=0, lt=1, allow_inf_nan=False)]
    source: Source


DEFAULT_FLOOR = VolumeFloor(share=0.01, source="nothing below 1 % of the flow's volume (the default)")


class Levers(_Strict):
    """``levers.yaml``: the levers of a policy."""

    volume_floor: VolumeFloor = DEFAULT_FLOOR
    numeric: NumericLevers = NumericLevers()
    answers: AnswerLevers = AnswerLevers()
    provider: ProviderLevers = ProviderLevers()

    def numeric_levers(self) -> dict[str, NumericLever]:
        """The numeric levers given, by answer name, in the file's model order."""
        return {name: lever for name in NUMERIC_LEVERS if (lever := getattr(self.numeric, name)) is not None}

    def answer_levers(self) -> tuple[str, ...]:
        return tuple(name for name in ANSWER_LEVERS if getattr(self.answers, name) is not None)

    def provider_levers(self) -> tuple[str, ...]:
        return tuple(name for name in PROVIDER_LEVERS if getattr(self.provider, name) is not None)


NUMERIC_LEVERS: tuple[str, ...] = tuple(NumericLevers.model_fields)
ANSWER_LEVERS: tuple[str, ...] = tuple(AnswerLevers.model_fields)
PROVIDER_LEVERS: tuple[str, ...] = tuple(ProviderLevers.model_fields)
_GROUPS: dict[str, tuple[str, ...]] = {"numeric": NUMERIC_LEVERS, "answers": ANSWER_LEVERS,
                                       "provider": PROVIDER_LEVERS}
# Answers that say what a flow is: another value is another flow, not a lever.
NOT_LEVERS = {
    "channel": "another channel is another flow",
    "activity": "another activity is another flow",
}


def _unknown_names(doc: Document, problems: list[Problem]) -> dict[str, Any]:
    """The document without the entries that name no lever, each reported where it stands."""
    data = dict(doc.data)
    for group, names in _GROUPS.items():
        entries = data.get(group)
        if not isinstance(entries, dict):
            continue
        kept = {}
        for name, entry in entries.items():
            if name in names:
                kept[name] = entry
                continue
            path: PathKey = (group, str(name))
            if name in NOT_LEVERS:
                why = (f"{name!r} is not a lever: it says what the flow is ({NOT_LEVERS[name]}), "
                       "not something a person can act on; remove it")
            else:
                elsewhere = next((g for g, known in _GROUPS.items() if name in known), None)
                if elsewhere is not None:
                    why = f"{name!r} is a lever of {elsewhere}, not of {group}: move it there"
                else:
                    import difflib  # only a misspelt name needs it

                    close = difflib.get_close_matches(str(name), names, n=1, cutoff=0.6)
                    hint = f"did you mean {close[0]!r}?" if close else f"the {group} levers are {', '.join(names)}"
                    why = f"unknown lever {name!r}; {hint}"
            problems.append(Problem(doc.source, doc.line_of(path), dotted(path), why))
        data[group] = kept
    return data


def _range_problems(data: dict[str, Any], doc: Document) -> list[Problem]:
    """Ranges that cannot hold an answer: min above max, a factor range that leaves the answer out,
    a side with no bound. Each numeric lever is checked on its own, so that a bad range is reported
    beside the other problems of the file."""
    out = []
    entries = data.get("numeric")
    for name, raw in (entries.items() if isinstance(entries, dict) else ()):
        try:
            lever = NumericLever.model_validate(raw)
        except ValidationError:
            continue  # reported with the file's other schema errors
        base: PathKey = ("numeric", name)

        def problem(key: str, message: str) -> None:
            path = (*base, key) if key else base
            out.append(Problem(doc.source, doc.line_of(path), dotted(path), message))

        if lever.min is not None and lever.max is not None and lever.min > lever.max:
            problem("min", f"{lever.min:g} is above max ({lever.max:g}): expected min at most max")
        if lever.min_factor is not None and lever.min_factor > 1:
            problem("min_factor", f"{lever.min_factor:g} is above 1: expected a factor from above 0 to 1, so "
                                  "that the range starts at or below the answer")
        if lever.max_factor is not None and lever.max_factor < 1:
            problem("max_factor", f"{lever.max_factor:g} is below 1: expected a factor of at least 1, so "
                                  "that the range ends at or above the answer")
        if lever.min_factor is None and lever.min is None:
            problem("", "no lower bound: expected min_factor (a share of the answer, like 0.2) or min")
        if lever.max_factor is None and lever.max is None:
            problem("", "no upper bound: expected max_factor (a multiple of the answer, like 5) or max")
    return out


def check_levers(doc: Document, problems: list[Problem]) -> Levers | None:
    """``doc`` as levers, or None with its problems (each at its line, with what was expected)."""
    if doc.data is None:
        return Levers()
    if not isinstance(doc.data, dict):
        problems.append(Problem(doc.source, doc.line_of(()), "",
                                "expected a mapping with volume_floor, numeric, answers and provider"))
        return None
    found: list[Problem] = []
    data = _unknown_names(doc, found)
    levers: Levers | None = None
    try:
        levers = Levers.model_validate(data)
    except ValidationError as exc:
        found.extend(problems_from_errors(exc.errors(), doc, Levers))
    found.extend(_range_problems(data, doc))
    problems.extend(sorted(found, key=lambda p: (p.line or 0, p.path)))
    return None if found else levers


def read_levers(root: Path, name: str, declared: bool, problems: list[Problem]) -> Levers:
    """The levers file ``name`` of the policy in ``root``; no levers when it is absent and the
    manifest does not name it. Problems are added to ``problems``."""
    path = root / name
    if not declared and not path.exists():
        return Levers()
    try:
        doc = read_document(path, what="what.policy_file")
    except DocumentError as exc:
        problems.append(exc.problem)
        return Levers()
    return check_levers(doc, problems) or Levers()
