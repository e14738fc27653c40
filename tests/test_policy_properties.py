"""Monotonicity of the default policy's decisions, checked on generated valid flows (hypothesis).

The three decisions are ordered by how far they outsource: keep_internal (0) < hybrid (1) <
outsource (2). Each property changes one thing about a flow, alone, and says which way the decision
may not move (docs/policy-guide.md, "Monotonicity properties", names every one):

* never towards keep_internal (the rank never falls) when the volume of routine work rises, the
  quote falls, the in-house hour or the turnover rises, the work becomes more repetitive or more
  scripted, more hours are needed, the provider gains a certification, a skill gap appears;
* never towards outsourcing (the rank never rises) when brand criticality, complexity, customer
  value or data sensitivity rise, the volume becomes less predictable, card or health data are
  added, unique know-how appears, customers expect local agents, or a quote costs more than keeping
  the flow in-house (against no quote at all);
* no change at all (same decision, same split) when every amount is multiplied by the same factor.

Flows are realistic (attributes follow the activity, as in ``benchmarks/generate.py``, whose
tables are reused) but reach every channel, activity and level, the four quote forms and no quote,
contract terms, regulated data, organisations and providers in and outside the EEA, certifications
and volumes from none to massive. Every example is validated by ``engine.models.Answers``.

A failure prints a minimal pair: flow A in full, what flow B changes, each side's decision with its
scores, vetoes, votes, costs and every rule fired, and the rules that fired on one side only.
``ARBITRE_PROPERTY_EXAMPLES`` sets the examples a property (default 25, so that ``make test`` stays
quick); ``benchmarks/properties.py`` (``make bench``) runs every property on 2,000.
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, Literal

import pytest
import yaml
from hypothesis import HealthCheck, assume, event, example, given, settings
from hypothesis import strategies as st

from engine.costs import _Model, flow_costs
from engine.models import Answers, Certification, Channel, Decision, Level, RegulatedData, resolve
from engine.policy.loading import Policy
from engine.recommend import FlowResult, evaluate_flow
from test_properties import floats, organisations, values

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_EXAMPLES = 25


def _examples() -> int:
    """Examples a property, from ``ARBITRE_PROPERTY_EXAMPLES`` (default ``DEFAULT_EXAMPLES``)."""
    text = os.environ.get("ARBITRE_PROPERTY_EXAMPLES", "").strip() or str(DEFAULT_EXAMPLES)
    if not text.isdigit() or int(text) < 1:
        raise ValueError(f"ARBITRE_PROPERTY_EXAMPLES={text!r}: expected a whole number of examples, at least 1")
    return int(text)


EXAMPLES = _examples()
# Stable in CI: the same examples on every run (a seed derived from each test's name), no example
# database. One failure a property, shrunk to a minimal pair (shrinking several costs minutes).
PROPERTY = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                    report_multiple_bugs=False, suppress_health_check=[HealthCheck.too_slow])

RANK = {Decision.keep_internal: 0, Decision.hybrid: 1, Decision.outsource: 2}
Never = Literal["towards_keep", "towards_outsourcing"]


def _load_generator() -> ModuleType:
    """``benchmarks/generate.py`` (not a package) for its tables of realistic values."""
    spec = importlib.util.spec_from_file_location("_arbitre_benchmarks_generate", ROOT / "benchmarks" / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GEN = _load_generator()
LEVELS = [level.value for level in Level]


# --- valid, realistic flows --------------------------------------------------------------------

# Strategies are built once, here: hypothesis validates a strategy the first time it draws from
# it, and building them inside a draw (per example) costs more than running the policy.

def level_near(preferred: str) -> st.SearchStrategy[str]:
    """Any level, the activity's preferred one three times in five (and where shrinking goes)."""
    return st.sampled_from([preferred] * 3 + [lv for lv in LEVELS if lv != preferred])


def mostly_false(true_in: int) -> st.SearchStrategy[bool]:
    """True once in ``true_in`` draws (shrinks to false)."""
    return st.sampled_from([False] * (true_in - 1) + [True])


LEVEL_NEAR = {level: level_near(level) for level in LEVELS}
# Whether to set an optional field: ``often`` times in ``often + 1`` (leaving it out is where shrinking goes).
SET = {often: st.sampled_from([False] + [True] * often) for often in (1, 3, 5)}

# The policy's volume thresholds (rules/parameters.yaml): small_volume_max 300, massive_volume_min 5,000.
SMALL, MASSIVE = 300, 5_000
# Ordinary, massive and tiny volumes, and far beyond: none to 20 million contacts a month, two draws
# in three at the volumes where the policy hesitates.
VOLUME_BANDS = (st.integers(SMALL, MASSIVE - 1), st.integers(MASSIVE, 200_000), st.integers(0, SMALL - 1),
                st.integers(SMALL, MASSIVE - 1), st.integers(MASSIVE, 200_000), st.integers(200_000, 20_000_000))
volumes = st.sampled_from(VOLUME_BANDS).flatmap(lambda band: band)
handling_times = st.integers(20, 3600) | floats(1, 3600)
peak_ratios = floats(1, 3) | st.just(1.0) | floats(1, 50)
coverages = st.sampled_from((35, 40, 45, 50, 55, 60, 70, 84, 98, 126, 168)) | st.just(0) | floats(1, 168)
regulated = st.lists(values(RegulatedData), unique=True, max_size=2) | st.lists(values(RegulatedData), unique=True)
certifications = st.lists(values(Certification), unique=True)
# The generator's provider countries: EEA (FR, PT, ES, DE, PL, RO), adequacy (GB, CA, US) and
# offshore without adequacy (MA, TN, MG, MU, PH, IN); or the organisation's own ("same"); or any.
PROVIDER_COUNTRIES = [code for code, _ in GEN.PROVIDER_COUNTRIES]
provider_countries = st.sampled_from(PROVIDER_COUNTRIES) | st.just("same") | st.from_regex(r"\A[A-Z]{2}\Z")
# Countries the policy knows (paid hours, overtime, exit costs, EEA and adequacy), or any other.
countries = (st.sampled_from(sorted({*PROVIDER_COUNTRIES, "FR", "DE", "US", "GB", "BE", "NL", "IT", "CH", "JP"}))
             | st.from_regex(r"\A[A-Z]{2}\Z"))
FORMS = st.sampled_from(["per_contact", "per_hour", "per_minute", "per_fte_month"])
# Any price at all, in the bounds test_properties.py draws from.
any_quotes = st.one_of(
    st.fixed_dictionaries({"per_contact": floats(0.01, 100)}),
    st.fixed_dictionaries({"per_hour": floats(1, 200)}),
    st.fixed_dictionaries({"per_minute": floats(0.01, 10)}),
    st.fixed_dictionaries({"per_fte_month": floats(100, 30_000)}),
)
REALISTIC = st.booleans()
provider_hour_shares, spreads, minute_markups = floats(0.1, 1.5), floats(0.8, 1.3), floats(1.0, 1.5)
one_offs = st.just(0.0) | floats(0, 500_000)
# The organisations of the generator (FR, DE in the EEA; US, GB outside) or any valid one; with,
# now and then, a country the policy knows, a contract term, an opportunity cost, no temporary staff.
organisation_terms = st.fixed_dictionaries({}, optional={
    "country": countries, "contract_months": st.integers(1, 120), "opportunity_cost_per_hour": floats(0, 100),
    "temp_staff_available": st.booleans()})
realistic_organisations = st.builds(lambda base, terms: {**base, **terms},
                                    st.sampled_from(GEN.ORGANISATIONS) | organisations, organisation_terms)
OTHER_ANSWERS = {"unique_know_how": mostly_false(4), "skill_gap": mostly_false(3), "coverage_hours_needed": coverages,
                 "customers_expect_local": mostly_false(4), "current_fte": st.just(0.0) | floats(0.01, 1000),
                 "loaded_hourly_cost": floats(1, 200), "annual_turnover_pct": floats(0, 300),
                 "absenteeism_pct": floats(0, 99)}
minimum_monthly = floats(0, 200_000)
activities = st.sampled_from(list(GEN.ACTIVITIES))
channels = values(Channel)
contract_months = st.integers(1, 120)


def money(amount: float) -> float:
    """A price as people write it, within the contract's bounds."""
    return min(1_000_000.0, max(0.01, float(f"{amount:.4g}")))


def draw_quote(draw: st.DrawFn, flow: dict[str, Any], rate: float) -> dict[str, float]:
    """Any price, or one as ``benchmarks/generate.py`` makes it: a provider hour at 10-150 % of the
    in-house loaded hour, quoted per hour, per contact, per handled minute or per FTE a month."""
    if not draw(REALISTIC):
        quote: dict[str, float] = draw(any_quotes)
        return quote
    hourly = rate * draw(provider_hour_shares)
    form = draw(FORMS)
    if form == "per_hour":
        return {form: money(hourly)}
    if form == "per_contact":
        return {form: money(hourly * flow["aht_seconds"] / 3600 / 0.8 * draw(spreads))}
    if form == "per_fte_month":
        return {form: money(hourly * 40 * 52 / 12 * 0.75)}  # a productive hour x a 40-hour FTE's month
    return {form: money(hourly / 60 * draw(minute_markups))}


def draw_flow(draw: st.DrawFn, organisation: dict[str, Any]) -> dict[str, Any]:
    """One valid flow as plain data; attributes follow the activity, and optional fields are left
    out as often as not (their defaults are part of the contract)."""
    activity = draw(activities)
    profile = GEN.ACTIVITIES[activity][1]
    volume = draw(volumes)
    flow: dict[str, Any] = {"id": "flow", "channel": draw(channels), "monthly_volume": volume,
                            "aht_seconds": draw(handling_times)}

    def maybe(name: str, strategy: st.SearchStrategy[Any], often: int = 1) -> None:
        if draw(SET[often]):
            flow[name] = draw(strategy)

    if draw(SET[5]):
        flow["activity"] = activity
    maybe("peak_ratio", peak_ratios)
    maybe("volume_predictability", LEVEL_NEAR["high" if volume > 5000 else "medium" if volume > 500 else "low"],
          often=3)
    for name in ("repetitiveness", "scripting", "complexity", "data_sensitivity", "brand_criticality",
                 "customer_value"):
        maybe(name, LEVEL_NEAR[profile[name]], often=3)
    maybe("regulated_data", regulated)
    for name, strategy in OTHER_ANSWERS.items():
        maybe(name, strategy)
    if draw(SET[1]):
        flow["vendor_quote"] = draw_quote(draw, flow, flow.get("loaded_hourly_cost",
                                                               organisation.get("loaded_hourly_cost", 32.0)))
        maybe("contract_months", contract_months)
        maybe("transition_cost", one_offs)
        maybe("minimum_monthly", minimum_monthly)
        maybe("exit_cost", one_offs)
    maybe("provider_country", provider_countries)
    if flow.get("provider_country") == "same":
        flow["provider_country"] = organisation.get("country", "FR")
    maybe("provider_certifications", certifications)
    return flow


@st.composite
def cases(draw: st.DrawFn) -> dict[str, Any]:
    """An answers document of one flow (plain data, valid)."""
    organisation = dict(draw(realistic_organisations))
    return {"organisation": organisation, "flows": [draw_flow(draw, organisation)]}


def variant(doc: dict[str, Any], organisation: dict[str, Any] | None = None, **changes: Any) -> dict[str, Any]:
    """The document with ``changes`` made to its flow and ``organisation`` to its organisation
    (``None`` removes a field)."""
    org = {k: v for k, v in {**doc["organisation"], **(organisation or {})}.items() if v is not None}
    flow = {k: v for k, v in {**doc["flows"][0], **changes}.items() if v is not None}
    return {"organisation": org, "flows": [flow]}


def answers_of(doc: dict[str, Any], **changes: Any) -> Answers:
    """The document validated, with ``changes`` made to its flow (``None`` removes a field)."""
    return Answers.model_validate(variant(doc, **changes))


def flow_of(doc: dict[str, Any]) -> dict[str, Any]:
    flow: dict[str, Any] = doc["flows"][0]
    return flow


class Rules:
    """The session policy as a test argument: hypothesis prints the arguments of a falsifying
    example, and a policy's own repr runs to thousands of lines."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy

    def __repr__(self) -> str:
        return f"<policy {self.policy.name} {self.policy.version} from {self.policy.root}>"


@pytest.fixture(scope="module")
def rules(policy: Policy) -> Rules:
    return Rules(policy)


def run(policy: Policy, answers: Answers) -> FlowResult:
    return evaluate_flow(resolve(answers)[0], policy)


@dataclass(frozen=True)
class Side:
    """One flow of a comparison: its answers as written, a label, and what the policy made of it."""

    label: str
    doc: dict[str, Any]
    result: FlowResult


def side(policy: Policy, label: str, doc: dict[str, Any]) -> Side:
    return Side(label, doc, run(policy, Answers.model_validate(doc)))


def sides_along(policy: Policy, doc: dict[str, Any], field: str, steps: Sequence[Any]) -> list[Side]:
    """The flow with ``field`` at each of ``steps`` in turn."""
    return [side(policy, f"{field} {_show(step)}", variant(doc, **{field: step})) for step in steps]


# --- readable failures ---------------------------------------------------------------------------

def _num(value: Any) -> str:
    return "unknown" if value is None else f"{value:.6g}"


def _show(value: Any) -> str:
    if value is None:
        return "(not set)"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:.10g}"
    return json.dumps(value) if isinstance(value, (list, dict)) else str(value)


def where(policy: Policy, rule_id: str) -> str:
    """A rule's file (relative to the repository when it is in it) and line."""
    placed = policy.rule(rule_id)
    path = Path(placed.file)
    shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
    return f"{shown}:{placed.line}"


def decision_of(result: FlowResult) -> str:
    v = result.verdict
    return v.decision.value + (f" ({', '.join(s.value for s in v.split)})" if v.split else "")


def describe(label: str, result: FlowResult, policy: Policy) -> str:
    """One side of a comparison: decision, scores, vetoes, splits, votes and every rule fired."""
    v, c = result.verdict, result.costs
    vetoes = "; ".join(f"{o.value} by {', '.join(ids)}" for o, ids in v.vetoes.items()) or "none"
    splits = "; ".join(f"{s.value} by {', '.join(ids)}" for s, ids in v.proposed_splits.items()) or "none"

    def vote(item: Any) -> str:
        split = getattr(item, "split", None)
        return f"{item.rule_id} {item.option.value}{f' ({split.value})' if split else ''} {item.weight:+g}"

    votes = ", ".join(vote(item) for item in v.votes) or "none"
    options = ", ".join(f"{name} {_num(option.saving_pct)} %" for name, option in c.options.items()
                        if name != "keep_internal") or "none"
    fired = "\n".join(
        f"      {f.rule_id:7} {where(policy, f.rule_id)}  "
        f"{json.dumps(f.matched, sort_keys=True, default=str)}" for f in result.firings)
    return (f"  {label}: {decision_of(result)}   margin {v.margin:g} over "
            f"{v.runner_up.value if v.runner_up else '-'}\n"
            f"    scores: {', '.join(f'{o.value} {v.scores[o]:g}' for o in Decision)}\n"
            f"    vetoes: {vetoes}\n    splits proposed: {splits}\n    votes: {votes}\n"
            f"    costs: in-house/contact {_num(c.inhouse_cost_per_contact)}, provider/contact "
            f"{_num(c.provider_cost_per_contact)}, savings {_num(c.savings_pct)} %, "
            f"hidden {_num(c.hidden_cost_pct)} %, fte {_num(c.fte_needed)}\n"
            f"    saving by option: {options}\n"
            f"    derived: {', '.join(sorted(k for k, on in result.derived.items() if on)) or 'none'}\n"
            f"    fired:\n{fired}")


def _flat(doc: dict[str, Any]) -> dict[str, Any]:
    """Every answer of a one-flow document by its dotted path (a quote's form and amount as one)."""
    out = {f"organisation.{k}": v for k, v in doc["organisation"].items()}
    for key, value in flow_of(doc).items():
        if isinstance(value, dict):
            out.update({f"flow.{key}.{k}": v for k, v in value.items()})
        else:
            out[f"flow.{key}"] = value
    return out


def differences(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    """What flow B answers differently from flow A, one ``path: A -> B`` a line."""
    fa, fb = _flat(a), _flat(b)
    keys = [*fa, *(k for k in fb if k not in fa)]
    return [f"{k}: {_show(fa.get(k))} -> {_show(fb.get(k))}" for k in keys if fa.get(k) != fb.get(k)]


def report(prop: str, a: Side, b: Side, policy: Policy) -> str:
    """The property broken, the minimal pair (flow A in full, what B changes), each side's decision
    and why, and the rules that fired on one side only."""
    flow_yaml = yaml.safe_dump(a.doc, sort_keys=False, default_flow_style=None, width=100)
    fired_a = {f.rule_id for f in a.result.firings}
    fired_b = {f.rule_id for f in b.result.firings}
    return "\n".join([
        prop,
        f"  A ({a.label}): {decision_of(a.result)}   B ({b.label}): {decision_of(b.result)}",
        f"  rules fired only at A: {', '.join(sorted(fired_a - fired_b)) or 'none'}; "
        f"only at B: {', '.join(sorted(fired_b - fired_a)) or 'none'}",
        "flow A:", *("  " + line for line in flow_yaml.splitlines()),
        "flow B is flow A with:", *("  " + line for line in differences(a.doc, b.doc)),
        describe(f"A ({a.label})", a.result, policy), describe(f"B ({b.label})", b.result, policy)])


def check_monotone(prop: str, sides: Sequence[Side], policy: Policy, *, never: Never) -> None:
    """Along ``sides``, the decision never moves ``never`` (towards keep_internal: its rank never
    falls; towards outsourcing: its rank never rises); a failure reports the first pair that does."""
    event(" -> ".join(s.result.verdict.decision.value for s in sides))
    for a, b in zip(sides, sides[1:]):
        before, after = RANK[a.result.verdict.decision], RANK[b.result.verdict.decision]
        if after < before if never == "towards_keep" else after > before:
            way = "keep_internal" if never == "towards_keep" else "outsourcing"
            pytest.fail(report(f"{prop} moved the decision towards {way}", a, b, policy), pytrace=False)


def check_unchanged(prop: str, a: Side, b: Side, policy: Policy) -> None:
    """Both flows get the same decision with the same split."""
    same = a.result.verdict.decision is b.result.verdict.decision and a.result.verdict.split == b.result.verdict.split
    event("unchanged" if same else "changed")
    if not same:
        pytest.fail(report(f"{prop} changed the decision", a, b, policy), pytrace=False)


# --- never towards keep_internal -----------------------------------------------------------------

# A rise of a number: small (near a threshold) or anything up to a hundredfold.
rises = floats(0.001, 0.3) | floats(0.3, 100)
# v -> v * k with k > 1: anywhere, and across the small and the massive volume thresholds.
volume_rises = st.one_of(
    st.tuples(volumes.filter(lambda v: v > 0), rises).map(lambda p: (p[0], math.ceil(p[0] * (1 + p[1])))),
    st.tuples(st.integers(1, SMALL - 1), st.integers(SMALL, 3 * SMALL)),
    st.tuples(st.integers(MASSIVE // 5, MASSIVE - 1), st.integers(MASSIVE, 4 * MASSIVE)),
)


@PROPERTY
@given(doc=cases(), volume=volume_rises, scripting=st.sampled_from(["medium", "high"]),
       complexity=st.sampled_from(["low", "medium"]))
def test_volume_rising_on_routine_work_never_moves_towards_keep(
        rules: Rules, doc: dict[str, Any], volume: tuple[int, int], scripting: str, complexity: str) -> None:
    """Routine work (repetitive, scripted, not complex): v -> v * k, k > 1, never moves towards keep_internal.

    Two answers describe today's volume only, and are restated for another volume as what they are:
    the headcount (current_fte) is left out (a team of that size kept for another volume is another
    flow: its cost would stay flat while the provider's bill grows), and a price per contact or per
    handled minute becomes the same price per productive hour (a per-contact price is an offer for the
    volume quoted, priced on the provider's pooling at that volume; the hour is the form that scales
    with the work, as in-house hours do)."""
    v1, v2 = volume
    assume(v1 < v2 <= 20_000_000)
    routine = variant(doc, repetitiveness="high", scripting=scripting, complexity=complexity, current_fte=None,
                      monthly_volume=v1)
    quote = routine["flows"][0].get("vendor_quote")
    if quote is not None and ("per_contact" in quote or "per_minute" in quote) and v1 > 0:
        inputs = resolve(Answers.model_validate(routine))[0]
        hourly = _Model(inputs, rules.policy.costs).provider_hourly(inputs.flow.vendor_quote)
        assume(0 < hourly <= 1_000_000)
        routine = variant(routine, vendor_quote={"per_hour": float(f"{hourly:.6g}")})
    check_monotone("More routine volume", sides_along(rules.policy, routine, "monthly_volume", [v1, v2]),
                   rules.policy, never="towards_keep")


def quote_at(doc: dict[str, Any], form: str, factor: float, policy: Policy) -> float:
    """The amount in ``form`` at which the provider's bill for the whole flow, before governance,
    transition and exit, is ``factor`` times the in-house cost, so that the savings land on either
    side of the policy's thresholds (15 %, 5 %, 0 %); with no volume, ``factor`` itself. The bill is
    linear in the price, so a price of 1 in ``form`` gives the scale."""
    unit = resolve(answers_of(doc, vendor_quote={form: 1.0}))[0]
    costs = flow_costs(unit, policy.costs)
    outsource = costs.options.get("outsource")
    if outsource is None or not outsource.provider_monthly:
        return factor
    return float(f"{factor * costs.inhouse_cost_monthly / outsource.provider_monthly:.6g}")


def valid_amount(amount: float, form: str = "per_contact") -> bool:
    """Within the contract's bounds for a quote (engine.models.VendorQuote)."""
    return 0 < amount <= (10_000_000 if form == "per_fte_month" else 1_000_000)


# Prices as factors of the in-house cost: anywhere, or around the thresholds (a saving of 15 %, 5 %
# and 0 % all-in is a bill of about 0.76, 0.85 and 0.89 times it before the overhead).
@PROPERTY
@given(doc=cases(), form=FORMS, factor=floats(0.6, 1.0) | floats(0.05, 3), fall=floats(0.01, 0.3) | floats(0.001, 3))
def test_cheaper_quote_never_moves_towards_keep(rules: Rules, doc: dict[str, Any], form: str, factor: float,
                                                fall: float) -> None:
    """Same flow, same quote form, p1 > p2: the decision at p2 keeps no more in-house than at p1."""
    policy = rules.policy
    dear = quote_at(doc, form, factor * (1 + fall), policy)
    cheap = quote_at(doc, form, factor, policy)
    assume(cheap < dear and valid_amount(cheap, form) and valid_amount(dear, form))
    check_monotone("A lower quote", sides_along(policy, doc, "vendor_quote", [{form: dear}, {form: cheap}]),
                   policy, never="towards_keep")


def effective(doc: dict[str, Any], field: str, organisation_field: str, default: float) -> float:
    """A flow's figure as the cost model reads it: its own, else the organisation's, else the default."""
    value = flow_of(doc).get(field, doc["organisation"].get(organisation_field, default))
    return float(value)


@PROPERTY
@given(doc=cases(), rise=rises)
def test_dearer_in_house_hour_never_moves_towards_keep(rules: Rules, doc: dict[str, Any], rise: float) -> None:
    """The flow's loaded_hourly_cost h1 -> h2 > h1: never moves towards keep_internal."""
    h1 = effective(doc, "loaded_hourly_cost", "loaded_hourly_cost", 32.0)
    h2 = round(h1 * (1 + rise), 3)
    assume(h1 < h2 <= 1_000_000)
    check_monotone("A dearer in-house hour", sides_along(rules.policy, doc, "loaded_hourly_cost", [h1, h2]),
                   rules.policy, never="towards_keep")


@PROPERTY
@given(doc=cases(), rise=floats(0.1, 20) | floats(0.001, 300))
def test_higher_turnover_never_moves_towards_keep(rules: Rules, doc: dict[str, Any], rise: float) -> None:
    """The flow's annual_turnover_pct t1 -> t2 > t1: never moves towards keep_internal."""
    t1 = effective(doc, "annual_turnover_pct", "annual_turnover_pct", 33.0)
    t2 = round(t1 + rise, 3)
    assume(t1 < t2 <= 300)
    check_monotone("A higher staff turnover", sides_along(rules.policy, doc, "annual_turnover_pct", [t1, t2]),
                   rules.policy, never="towards_keep")


@PROPERTY
@given(doc=cases())
def test_more_repetitive_work_never_moves_towards_keep(rules: Rules, doc: dict[str, Any]) -> None:
    """repetitiveness low -> medium -> high: never moves towards keep_internal."""
    check_monotone("More repetitive work", sides_along(rules.policy, doc, "repetitiveness", LEVELS),
                   rules.policy, never="towards_keep")


@PROPERTY
@given(doc=cases())
def test_more_scripted_work_never_moves_towards_keep(rules: Rules, doc: dict[str, Any]) -> None:
    """scripting low -> medium -> high: never moves towards keep_internal."""
    check_monotone("More scripted work", sides_along(rules.policy, doc, "scripting", LEVELS),
                   rules.policy, never="towards_keep")


@PROPERTY
@given(doc=cases(), rise=floats(0.1, 10) | floats(0.001, 168) | st.sampled_from([5, 10, 20, 50]))
def test_more_hours_needed_never_moves_towards_keep(rules: Rules, doc: dict[str, Any], rise: float) -> None:
    """coverage_hours_needed c1 -> c2 > c1 (c1 the flow's, else the opening hours): never moves towards
    keep_internal."""
    c1 = effective(doc, "coverage_hours_needed", "opening_hours_per_week", 50.0)
    c2 = round(c1 + rise, 3)
    assume(c1 < c2 <= 168 and c2 >= 1)  # a week's hours are none or at least one
    check_monotone("More hours needed", sides_along(rules.policy, doc, "coverage_hours_needed", [c1, c2]),
                   rules.policy, never="towards_keep")


@PROPERTY
@given(doc=cases(), certification=values(Certification))
def test_provider_certification_never_moves_towards_keep(rules: Rules, doc: dict[str, Any],
                                                         certification: str) -> None:
    """A certification the provider did not hold added to provider_certifications: never moves towards
    keep_internal."""
    held = list(flow_of(doc).get("provider_certifications", []))
    assume(certification not in held)
    check_monotone(f"The provider gaining {certification}",
                   sides_along(rules.policy, doc, "provider_certifications", [held, [*held, certification]]),
                   rules.policy, never="towards_keep")


@PROPERTY
@given(doc=cases())
def test_skill_gap_never_moves_towards_keep(rules: Rules, doc: dict[str, Any]) -> None:
    """skill_gap false -> true: never moves towards keep_internal."""
    check_monotone("A skill gap", sides_along(rules.policy, doc, "skill_gap", [False, True]),
                   rules.policy, never="towards_keep")


# --- never towards outsourcing -------------------------------------------------------------------

@PROPERTY
@given(doc=cases())
def test_higher_brand_criticality_never_moves_towards_outsourcing(rules: Rules, doc: dict[str, Any]) -> None:
    """brand_criticality low -> medium -> high: never moves towards outsourcing."""
    check_monotone("A more brand-critical flow", sides_along(rules.policy, doc, "brand_criticality", LEVELS),
                   rules.policy, never="towards_outsourcing")


@PROPERTY
@given(doc=cases())
def test_higher_complexity_never_moves_towards_outsourcing(rules: Rules, doc: dict[str, Any]) -> None:
    """complexity low -> medium -> high: never moves towards outsourcing."""
    check_monotone("More complex work", sides_along(rules.policy, doc, "complexity", LEVELS),
                   rules.policy, never="towards_outsourcing")


@PROPERTY
@given(doc=cases())
def test_higher_customer_value_never_moves_towards_outsourcing(rules: Rules, doc: dict[str, Any]) -> None:
    """customer_value low -> medium -> high: never moves towards outsourcing."""
    check_monotone("More valuable customers", sides_along(rules.policy, doc, "customer_value", LEVELS),
                   rules.policy, never="towards_outsourcing")


@PROPERTY
@given(doc=cases())
def test_more_sensitive_data_never_moves_towards_outsourcing(rules: Rules, doc: dict[str, Any]) -> None:
    """data_sensitivity low -> medium -> high: never moves towards outsourcing."""
    check_monotone("More sensitive data", sides_along(rules.policy, doc, "data_sensitivity", LEVELS),
                   rules.policy, never="towards_outsourcing")


@PROPERTY
@given(doc=cases())
def test_less_predictable_volume_never_moves_towards_outsourcing(rules: Rules, doc: dict[str, Any]) -> None:
    """volume_predictability high -> medium -> low: never moves towards outsourcing."""
    check_monotone("A less predictable volume",
                   sides_along(rules.policy, doc, "volume_predictability", LEVELS[::-1]),
                   rules.policy, never="towards_outsourcing")


@PROPERTY
@given(doc=cases(), data=st.sampled_from(["payment_card", "health"]))
def test_card_or_health_data_never_moves_towards_outsourcing(rules: Rules, doc: dict[str, Any], data: str) -> None:
    """payment_card or health added to regulated_data: never moves towards outsourcing."""
    held = list(flow_of(doc).get("regulated_data", []))
    assume(data not in held)
    check_monotone(f"Adding {data} data", sides_along(rules.policy, doc, "regulated_data", [held, [*held, data]]),
                   rules.policy, never="towards_outsourcing")


# Counterexamples found on policy 1.1.0 (default organisation), kept as explicit examples that every
# run checks: random flows reach this corner about once in a thousand (a massive flow mixing routine
# and expert work whose tier-1 split, HYB-03, just beat outsourcing). The second is hypothesis's own,
# shrunk; the first was minimised by hand. The scores are those of 1.1.0.
KNOW_HOW_EXAMPLES = [
    # On economics alone: hybrid (tier1, overflow, after_hours) 10 over outsource 8
    # -> outsource 8 over keep_internal 7 and hybrid 7.
    {"flows": [{"id": "flow", "channel": "email", "activity": "support_level2", "monthly_volume": 5000,
                "aht_seconds": 20, "peak_ratio": 1.4, "repetitiveness": "high", "coverage_hours_needed": 55,
                "vendor_quote": {"per_hour": 1.0}}]},
    # With a skill gap: hybrid (tier1, after_hours) 7 = outsource 7, won on the tie-break
    # -> outsource 7 over keep_internal 4.
    {"flows": [{"id": "flow", "channel": "phone", "monthly_volume": 5000, "aht_seconds": 20, "complexity": "high",
                "skill_gap": True, "coverage_hours_needed": 55, "vendor_quote": {"per_contact": 1.0}}]},
]


@PROPERTY
@example(doc={"organisation": {}, **KNOW_HOW_EXAMPLES[1]})
@example(doc={"organisation": {}, **KNOW_HOW_EXAMPLES[0]})
@given(doc=cases())
def test_unique_know_how_never_moves_towards_outsourcing(rules: Rules, doc: dict[str, Any]) -> None:
    """unique_know_how false -> true: never moves towards outsourcing."""
    check_monotone("Unique know-how", sides_along(rules.policy, doc, "unique_know_how", [False, True]),
                   rules.policy, never="towards_outsourcing")


@PROPERTY
@given(doc=cases())
def test_customers_expecting_local_agents_never_moves_towards_outsourcing(rules: Rules, doc: dict[str, Any]) -> None:
    """customers_expect_local false -> true: never moves towards outsourcing."""
    check_monotone("Customers expecting local agents",
                   sides_along(rules.policy, doc, "customers_expect_local", [False, True]),
                   rules.policy, never="towards_outsourcing")


@PROPERTY
@given(doc=cases(), form=FORMS, factor=floats(1, 5))
def test_quote_dearer_than_in_house_never_moves_towards_outsourcing(rules: Rules, doc: dict[str, Any], form: str,
                                                                    factor: float) -> None:
    """A quote whose bill is at least the in-house cost (before governance, transition and exit, so
    all-in it is dearer) outsources no further than no quote at all."""
    policy = rules.policy
    assume(flow_of(doc)["monthly_volume"] > 0)  # no in-house cost per contact without volume
    amount = quote_at(doc, form, factor, policy)
    assume(valid_amount(amount, form))
    sides = sides_along(policy, doc, "vendor_quote", [None, {form: amount}])
    savings = sides[1].result.costs.savings_pct
    assume(savings is not None and savings < 0)  # all-in, the quote costs more than keeping the flow
    check_monotone("A quote dearer than in-house, against no quote,", sides, policy, never="towards_outsourcing")


# --- no change -------------------------------------------------------------------------------------

# Every amount of money in the answers, by where it is and its upper bound (engine.models).
ORGANISATION_AMOUNTS = {"loaded_hourly_cost": 1_000_000, "opportunity_cost_per_hour": 1_000_000}
FLOW_AMOUNTS = {"loaded_hourly_cost": 1_000_000, "transition_cost": 999_999_999, "minimum_monthly": 999_999_999,
                "exit_cost": 999_999_999}
QUOTE_BOUNDS = {"per_contact": 1_000_000, "per_hour": 1_000_000, "per_minute": 1_000_000, "per_fte_month": 10_000_000}


def scaled(doc: dict[str, Any], factor: float) -> dict[str, Any] | None:
    """The document with every amount times ``factor`` (the organisation's hourly cost made explicit,
    since its default is an amount too); None when an amount would leave its bounds."""
    org = {"loaded_hourly_cost": 32.0, **doc["organisation"]}
    new_org = {k: v * factor for k, v in org.items() if k in ORGANISATION_AMOUNTS}
    flow = flow_of(doc)
    new_flow = {k: v * factor for k, v in flow.items() if k in FLOW_AMOUNTS}
    if "vendor_quote" in flow:
        new_flow["vendor_quote"] = {form: amount * factor for form, amount in flow["vendor_quote"].items()}
    within = (all(v <= ORGANISATION_AMOUNTS[k] for k, v in new_org.items())
              and all(v <= FLOW_AMOUNTS[k] for k, v in new_flow.items() if k != "vendor_quote")
              and all(v <= QUOTE_BOUNDS[k] for k, v in new_flow.get("vendor_quote", {}).items()))
    return variant(doc, organisation=new_org, **new_flow) if within else None


@PROPERTY
@given(doc=cases(), factor=floats(0.1, 10) | st.sampled_from([0.1, 0.5, 2.0, 10.0]))
def test_scaling_every_amount_changes_nothing(rules: Rules, doc: dict[str, Any], factor: float) -> None:
    """Every amount (in-house hour of the organisation and the flow, quote, transition, minimum
    monthly, exit cost, opportunity cost) times the same factor f in [0.1, 10]: the same decision and
    split."""
    assume(factor != 1)
    base = variant(doc, organisation={"loaded_hourly_cost": doc["organisation"].get("loaded_hourly_cost", 32.0)})
    other = scaled(base, factor)
    assume(other is not None)
    assert other is not None
    policy = rules.policy
    check_unchanged(f"Multiplying every amount by {factor:g}",
                    side(policy, "as answered", base), side(policy, f"amounts x {factor:g}", other), policy)


# --- the guide names them all --------------------------------------------------------------------

def test_every_property_is_named_in_the_policy_guide() -> None:
    """docs/policy-guide.md, "Monotonicity properties", names every property test of this file."""
    guide = (ROOT / "docs" / "policy-guide.md").read_text(encoding="utf-8")
    section = re.search(r"^## [\d. ]*Monotonicity properties\n(.*?)(?=^## |\Z)", guide, re.M | re.S)
    assert section is not None, "docs/policy-guide.md has no section 'Monotonicity properties'"
    named = set(re.findall(r"`(test_\w+)`", section.group(1)))
    properties = {name for name, obj in globals().items() if name.startswith("test_") and hasattr(obj, "hypothesis")}
    assert not properties - named, f"not named in the guide: {sorted(properties - named)}"
    assert not named - properties, f"named in the guide but no such test: {sorted(named - properties)}"
