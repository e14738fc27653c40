"""Generate realistic answers files with N flows, deterministically (seeded random).

Every field of the vocabulary in docs/domain.md appears somewhere: all channels and
activities, volumes on a log scale from 50 to 200,000 contacts a month, vendor
quotes in all four forms (per contact, per hour, per minute, per FTE a month) priced by where the provider works, regulated data,
provider countries inside and outside the EEA, certifications, and per-flow
overrides of the organisation's cost figures. Attributes follow the activity
(key accounts are high-value and complex, order taking is scripted and
repetitive...) so the policy sees a realistic mix rather than uniform noise.

Usable as a module::

    from benchmarks.generate import generate_answers, write_yaml
    doc = generate_answers(1000, seed=7)

or as a script::

    python benchmarks/generate.py N OUT.yaml [--seed S]
"""

from __future__ import annotations

import argparse
import math
import random
import sys
from pathlib import Path
from typing import Any

import yaml

CHANNELS = ("phone", "email", "chat", "social", "letter", "other")
CHANNEL_WEIGHTS = (40, 22, 18, 8, 5, 7)

# activity -> (weight, profile); a profile biases the levels of the flow's attributes.
# Levels are given as a preferred value; the generator keeps it most of the time.
ACTIVITIES: dict[str, tuple[int, dict[str, str]]] = {
    "information": (14, dict(repetitiveness="high", scripting="high", complexity="low", customer_value="low",
                             brand_criticality="medium", data_sensitivity="low")),
    "order_taking": (12, dict(repetitiveness="high", scripting="high", complexity="low", customer_value="medium",
                              brand_criticality="medium", data_sensitivity="medium")),
    "support_level1": (16, dict(repetitiveness="high", scripting="medium", complexity="low", customer_value="medium",
                                brand_criticality="medium", data_sensitivity="medium")),
    "support_level2": (9, dict(repetitiveness="medium", scripting="low", complexity="high", customer_value="medium",
                               brand_criticality="medium", data_sensitivity="medium")),
    "complaints": (8, dict(repetitiveness="medium", scripting="low", complexity="medium", customer_value="medium",
                           brand_criticality="high", data_sensitivity="medium")),
    "sales": (7, dict(repetitiveness="medium", scripting="medium", complexity="medium", customer_value="medium",
                      brand_criticality="high", data_sensitivity="medium")),
    "retention": (5, dict(repetitiveness="medium", scripting="medium", complexity="medium", customer_value="high",
                          brand_criticality="high", data_sensitivity="medium")),
    "collections": (5, dict(repetitiveness="high", scripting="high", complexity="medium", customer_value="low",
                            brand_criticality="medium", data_sensitivity="high")),
    "customer_success": (5, dict(repetitiveness="low", scripting="low", complexity="high", customer_value="high",
                                 brand_criticality="high", data_sensitivity="medium")),
    "key_accounts": (4, dict(repetitiveness="low", scripting="low", complexity="high", customer_value="high",
                             brand_criticality="high", data_sensitivity="high")),
    "back_office": (9, dict(repetitiveness="high", scripting="high", complexity="low", customer_value="low",
                            brand_criticality="low", data_sensitivity="medium")),
    "other": (6, dict(repetitiveness="medium", scripting="medium", complexity="medium", customer_value="medium",
                      brand_criticality="medium", data_sensitivity="medium")),
}
LEVELS = ("low", "medium", "high")
LEVEL_FIELDS = ("volume_predictability", "repetitiveness", "scripting", "complexity", "data_sensitivity",
                "brand_criticality", "customer_value")

# Typical handling time per channel, in seconds (median); varied log-normally.
AHT = {"phone": 300, "chat": 420, "email": 360, "social": 240, "letter": 600, "other": 300}

# Provider countries: EEA, adequacy, offshore without adequacy (docs/domain.md, compliance and location).
PROVIDER_COUNTRIES = (("FR", 6), ("PT", 8), ("ES", 5), ("DE", 3), ("PL", 4), ("RO", 4), ("GB", 3), ("CA", 2),
                      ("US", 3), ("MA", 10), ("TN", 7), ("MG", 3), ("MU", 3), ("PH", 9), ("IN", 7))
REGULATED = ("payment_card", "health", "financial", "special_category")
CERTIFICATIONS = ("pci_dss", "hipaa_baa", "iso27001")

ORGANISATIONS = (
    dict(name="Acme Retail", country="FR", currency="EUR", loaded_hourly_cost=32.0, annual_turnover_pct=35,
         absenteeism_pct=8, opening_hours_per_week=50),
    dict(name="Globex Telecom", country="DE", currency="EUR", loaded_hourly_cost=38.5, annual_turnover_pct=28,
         absenteeism_pct=7, opening_hours_per_week=60),
    dict(name="Initech Insurance", country="US", currency="USD", loaded_hourly_cost=40.0, annual_turnover_pct=42,
         absenteeism_pct=6, opening_hours_per_week=55),
    dict(name="Umbrella Health", country="GB", currency="GBP", loaded_hourly_cost=29.0, annual_turnover_pct=30,
         absenteeism_pct=9, opening_hours_per_week=45),
)

NAMES = {
    "information": "Information requests", "order_taking": "Order taking", "support_level1": "Level-1 support",
    "support_level2": "Level-2 support", "complaints": "Complaints", "sales": "Sales", "retention": "Retention",
    "collections": "Collections", "customer_success": "Customer success", "key_accounts": "Key accounts",
    "back_office": "Back office", "other": "Miscellaneous",
}


def _level(rng: random.Random, preferred: str) -> str:
    """The preferred level 70 % of the time, a neighbour or the other otherwise."""
    if rng.random() < 0.7:
        return preferred
    return rng.choice([lv for lv in LEVELS if lv != preferred])


def _volume(rng: random.Random) -> int:
    """Monthly volume on a log scale from 50 to 200,000."""
    return int(round(math.exp(rng.uniform(math.log(50), math.log(200_000)))))


# Headline price advantage of a provider's productive hour over the in-house one (loaded cost over
# the hours agents are on queue), by where the provider works: offshore headline savings of 30-50 %
# (docs/domain.md), nearshore less, onshore about none (a provider can be dearer).
OFFSHORE = frozenset({"MA", "TN", "MG", "MU", "PH", "IN"})
NEARSHORE = frozenset({"PT", "ES", "PL", "RO"})
HEADLINE = {"offshore": (0.30, 0.50), "nearshore": (0.15, 0.35), "onshore": (-0.10, 0.20)}
IN_HOUSE_ON_QUEUE = 0.75  # share of paid hours on queue (shrinkage 25 %)


def _region(country: str | None) -> str:
    return "offshore" if country in OFFSHORE else "nearshore" if country in NEARSHORE else "onshore"


def _quote(rng: random.Random, channel: str, aht: float, org: dict[str, Any],
           country: str | None) -> dict[str, float] | None:
    """A provider's price in one of the four forms, or None (no quote yet) a quarter of the time."""
    roll = rng.random()
    if roll < 0.25:
        return None
    low, high = HEADLINE[_region(country)]
    hourly = org["loaded_hourly_cost"] / IN_HOUSE_ON_QUEUE * (1 - rng.uniform(low, high))
    if roll < 0.5:
        # per contact: productive hour price spread over contacts handled at ~80 % occupancy
        return {"per_contact": round(max(0.05, hourly * aht / 3600 / 0.8 * rng.uniform(0.8, 1.3)), 2)}
    if roll < 0.7:
        return {"per_hour": round(hourly, 2)}
    if roll < 0.85:
        return {"per_fte_month": round(hourly * 40 * 52 / 12 * IN_HOUSE_ON_QUEUE, 0)}  # a productive hour x a 40-hour FTE's
    return {"per_minute": round(max(0.05, hourly / 60 * rng.uniform(1.0, 1.5)), 2)}


def generate_flow(rng: random.Random, index: int, org: dict[str, Any]) -> dict[str, Any]:
    """One realistic flow; every optional field appears in a share of the flows."""
    activities = list(ACTIVITIES)
    activity = rng.choices(activities, weights=[ACTIVITIES[a][0] for a in activities])[0]
    profile = ACTIVITIES[activity][1]
    channel = rng.choices(CHANNELS, weights=CHANNEL_WEIGHTS)[0]
    if activity == "back_office" and channel in ("phone", "chat") and rng.random() < 0.7:
        channel = rng.choice(("email", "letter", "other"))
    aht = int(round(min(3600.0, max(20.0, AHT[channel] * math.exp(rng.gauss(0, 0.45))))))
    volume = _volume(rng)
    flow: dict[str, Any] = {
        "id": f"{activity.replace('_', '-')}-{channel}-{index}",
        "channel": channel,
        "monthly_volume": volume,
        "aht_seconds": aht,
    }
    if rng.random() < 0.9:
        flow["name"] = f"{NAMES[activity]} by {channel} #{index}"
    if rng.random() < 0.95:
        flow["activity"] = activity
    if rng.random() < 0.85:
        flow["peak_ratio"] = round(1 + rng.expovariate(1 / 0.5), 2) if rng.random() < 0.8 else 1.0
    preferred = dict(profile, volume_predictability="high" if volume > 5000 else "medium" if volume > 500 else "low")
    for name in LEVEL_FIELDS:
        if rng.random() < 0.9:  # leave a few to their defaults, as real answers do
            flow[name] = _level(rng, preferred[name])
    regulated: list[str] = []
    if activity in ("order_taking", "sales", "collections") and rng.random() < 0.5:
        regulated.append("payment_card")
    if rng.random() < 0.08:
        regulated.append("health")
    if activity in ("collections", "retention", "key_accounts") and rng.random() < 0.4 or rng.random() < 0.05:
        regulated.append("financial")
    if "health" in regulated and rng.random() < 0.5 or rng.random() < 0.02:
        regulated.append("special_category")
    if regulated or rng.random() < 0.5:
        flow["regulated_data"] = regulated
    if rng.random() < 0.8:
        flow["unique_know_how"] = activity in ("key_accounts", "customer_success", "support_level2") \
            and rng.random() < 0.6 or rng.random() < 0.08
    if rng.random() < 0.8:
        flow["skill_gap"] = rng.random() < 0.12
    if rng.random() < 0.8:
        flow["coverage_hours_needed"] = rng.choice((35, 40, 45, 50, 55, 60, 70, 84, 98, 126, 168))
    if rng.random() < 0.8:
        flow["customers_expect_local"] = rng.random() < 0.2
    if rng.random() < 0.6:
        flow["current_fte"] = round(max(0.2, volume * aht / 3600 / 110 * rng.uniform(0.7, 1.4)), 1)
    country = rng.choices([c for c, _ in PROVIDER_COUNTRIES], weights=[w for _, w in PROVIDER_COUNTRIES])[0]
    quote = _quote(rng, channel, aht, org, country)
    if quote is not None:
        flow["vendor_quote"] = quote
    if quote is not None and rng.random() < 0.85 or rng.random() < 0.1:
        flow["provider_country"] = country
    if "provider_country" in flow and rng.random() < 0.7:
        certs = [c for c in CERTIFICATIONS if rng.random() < 0.35]
        if "payment_card" in regulated and rng.random() < 0.6 and "pci_dss" not in certs:
            certs.insert(0, "pci_dss")
        flow["provider_certifications"] = certs
    if rng.random() < 0.1:
        flow["loaded_hourly_cost"] = round(org["loaded_hourly_cost"] * rng.uniform(0.8, 1.5), 2)
    if rng.random() < 0.08:
        flow["annual_turnover_pct"] = rng.choice((15, 25, 45, 60, 80))
    if rng.random() < 0.08:
        flow["absenteeism_pct"] = rng.choice((4, 6, 10, 12, 15))
    return flow


def generate_answers(n: int, seed: int = 20240601) -> dict[str, Any]:
    """An answers document (plain data, ready for YAML or validation) with ``n`` flows."""
    if n < 1:
        raise ValueError("an answers file needs at least one flow")
    rng = random.Random(seed)
    org = dict(rng.choice(ORGANISATIONS))
    return {"organisation": org, "flows": [generate_flow(rng, i, org) for i in range(1, n + 1)]}


class _Dumper(yaml.SafeDumper):
    """Block style, except lists of plain values and one-key mappings (quotes) on one line."""


def _represent_list(dumper: yaml.SafeDumper, data: list[Any]) -> yaml.Node:
    flat = all(not isinstance(item, (dict, list)) for item in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flat)


def _represent_dict(dumper: yaml.SafeDumper, data: dict[str, Any]) -> yaml.Node:
    flat = len(data) == 1 and not isinstance(next(iter(data.values())), (dict, list))
    return dumper.represent_mapping("tag:yaml.org,2002:map", data.items(), flow_style=flat)


_Dumper.add_representer(list, _represent_list)
_Dumper.add_representer(dict, _represent_dict)


def to_yaml(document: dict[str, Any]) -> str:
    """The document as block YAML (flow style only for short lists and quotes), keys in order."""
    return yaml.dump(document, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=120)


def write_yaml(document: dict[str, Any], path: Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(to_yaml(document), encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("n", type=int, help="number of flows")
    parser.add_argument("out", type=Path, help="YAML file to write")
    parser.add_argument("--seed", type=int, default=20240601)
    args = parser.parse_args(argv)
    if args.n < 1:
        parser.error("N must be at least 1")
    write_yaml(generate_answers(args.n, args.seed), args.out)
    print(f"wrote {args.n} flows to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
