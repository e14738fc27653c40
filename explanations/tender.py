"""The tender pack: the pricing grid a provider fills, with its headings and instructions in the
language of the tender."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

from engine.models import Organisation
from engine.procurement.grid import write_grid
from engine.procurement.pricing import Lot

from .figures import Lang
from .render import labels


def grid_words(lang: Lang) -> dict[str, Any]:
    """The pricing grid's words in one language: its labels and the names of the channels."""
    return {**labels(lang)["tender"]["grid"], "values": labels(lang)["values"]}


def write_pricing_grid(lots: Sequence[Lot], organisation: Organisation, lang: Lang, path: Path) -> None:
    """Write the blank pricing grid of ``lots`` to ``path``, in ``lang``."""
    write_grid(lots, organisation, grid_words(lang), path)
