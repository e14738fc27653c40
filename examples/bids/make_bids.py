"""Two providers' filled pricing grids for the acme example, made from the blank grid `arbitre tender`
writes (every flow put to tender), so that `arbitre bids` has realistic bids to compare.

- atlantico-nearshore.xlsx: a nearshore provider with one site, in Lisbon (Portugal);
- atlas-tejo-multisite.xlsx: an offshore and nearshore provider, with sites in Casablanca (Morocco) and
  Porto (Portugal).

Prices follow docs/domain.md's figures (French-language work: Portugal about EUR 3,460 per FTE-month,
Morocco from EUR 2,300). The Lisbon provider prices the complaints' tier 1 at EUR 8.50 a complaint
(senior writers, about EUR 0.77 a handled minute): under that price the policy keeps the complaints
in-house, where the acme example's current quote (EUR 6.80) splits them.

Run from the repository's root: ``python examples/bids/make_bids.py``. The same grids come out each run.
"""

from __future__ import annotations

import datetime
import sys
import tempfile
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT))

from cli import main  # noqa: E402
from engine.procurement.pricing import BIDDER_FIELDS  # noqa: E402

# Each bidder: its answers, then its rows: (lot, site, country, prices and one-offs, certifications).
BIDS: dict[str, dict[str, Any]] = {
    "atlantico-nearshore": {
        "answers": {"bidder": "Atlântico Contact", "contract_months": 36, "minimum_fte": 15,
                    "valid_until": datetime.datetime(2025, 9, 30),
                    "price_revision": "yearly, by the Portuguese CPI, capped at 3 %"},
        "rows": [
            ("order-taking", "Lisbon", "PT", {"per_fte_month": 4600, "transition_cost": 48000}, "ISO 27001, PCI DSS"),
            ("support-chat", "Lisbon", "PT", {"per_contact": 3.25, "transition_cost": 30000}, "ISO 27001"),
            ("complaints-email.tier1", "Lisbon", "PT", {"per_contact": 8.50, "transition_cost": 9000}, "ISO 27001"),
            ("after-sales.tier1", "Lisbon", "PT", {"per_minute": 0.78, "transition_cost": 12000}, "ISO 27001"),
        ],
    },
    "atlas-tejo-multisite": {
        "answers": {"bidder": "Atlas & Tejo Services", "contract_months": 36, "minimum_fte": 25,
                    "valid_until": datetime.datetime(2025, 10, 31),
                    "price_revision": "yearly, by the local wage index of each site"},
        "rows": [
            ("order-taking", "Casablanca", "MA", {"per_contact": 1.95, "transition_cost": 42000}, "PCI DSS, ISO 27001"),
            ("order-taking", "Porto", "PT", {"per_fte_month": 3350, "transition_cost": 46000}, "PCI DSS, ISO 27001"),
            ("support-chat", "Casablanca", "MA", {"per_contact": 2.60, "transition_cost": 28000}, "ISO 27001"),
            ("support-chat", "Porto", "PT", {"per_contact": 3.10, "transition_cost": 30000}, "ISO 27001"),
            ("complaints-email.tier1", "Casablanca", "MA", {"per_contact": 5.20, "transition_cost": 8000}, ""),
            ("after-sales", "Casablanca", "MA", {"per_hour": 18.50, "transition_cost": 39000,
                                                "minimum_monthly": 20000}, "ISO 27001"),
            ("after-sales.tier1", "Casablanca", "MA", {"per_minute": 0.46, "transition_cost": 11000}, "ISO 27001"),
            ("social-care", "Casablanca", "MA", {"per_contact": 2.90, "transition_cost": 3000}, ""),
        ],
    },
}


def blank_grid(folder: Path) -> Path:
    """The acme tender's blank grid, every flow put to tender, as `arbitre tender` writes it."""
    main(["tender", str(ROOT / "examples" / "acme-retail.yaml"), "--out", str(folder), "--all-flows"],
         standalone_mode=False)
    return folder / "pricing-grid.xlsx"


def fill(blank: Path, bid: dict[str, Any], target: Path) -> None:
    """The blank grid filled with one bidder's answers and rows, found by their hidden keys."""
    book = load_workbook(blank)
    bidder, pricing = book["Bidder"], book["Pricing"]
    for row in bidder.iter_rows(min_row=3):
        key = row[0].value
        if key in bid["answers"]:
            row[2].value = bid["answers"][key]
    assert {key for key in bid["answers"]} <= set(BIDDER_FIELDS)
    column = {cell.value: cell.column for cell in pricing[1]}
    given = {pricing.cell(row, column["lot"]).value: row for row in range(3, pricing.max_row + 1)}
    free = next(row for row in range(3, pricing.max_row + 1)
                if pricing.cell(row, column["lot"]).value is None)
    used: set[str] = set()
    for lot, site, country, prices, certifications in bid["rows"]:
        if lot in used:  # another site for the same lot: a free row
            row, free = free, free + 1
            pricing.cell(row, column["lot"]).value = lot
        else:
            row = given[lot]
            used.add(lot)
        values = {"site": site, "site_country": country, "certifications": certifications or None, **prices}
        for key, value in values.items():
            pricing.cell(row, column[key]).value = value
    book.save(target)


def make(target: Path = HERE) -> None:
    """Write each bidder's filled grid into ``target``."""
    with tempfile.TemporaryDirectory() as folder:
        blank = blank_grid(Path(folder) / "tender")
        for name, bid in BIDS.items():
            fill(blank, bid, target / f"{name}.xlsx")
            print(f"wrote {target / f'{name}.xlsx'}")


if __name__ == "__main__":
    make()
