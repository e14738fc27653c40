"""Where the texts of a chart go: each label takes the first of its candidate places that stays inside
the plot and overlaps nothing already placed (marks, other labels, axis texts).

The boxes already taken are kept in a grid of square cells, so that checking a place looks only at
the boxes of the few cells it covers: placing n labels takes time in proportion to n, not n².
"""

from __future__ import annotations

from typing import Iterable

Box = tuple[float, float, float, float]  # left, top, right, bottom in the chart's units

CHAR_W = 7.0  # the width of a character of the 12 px chart font, rounded up: digits and capitals are wide


def text_box(x: float, baseline: float, text: str, anchor: str, size: float = 12.0) -> Box:
    """The box a one-line text takes, from its anchor point and its baseline (estimated, a little wide)."""
    width = len(text) * CHAR_W * size / 12
    left = x if anchor == "start" else x - width if anchor == "end" else x - width / 2
    return left, baseline - size, left + width, baseline + size * 0.3


class Placement:
    """The boxes taken in one chart, indexed by grid cell."""

    def __init__(self, bounds: Box, cell: float = 48.0) -> None:
        self.bounds = bounds
        self.cell = cell
        self.grid: dict[tuple[int, int], list[Box]] = {}

    def _cells(self, box: Box) -> Iterable[tuple[int, int]]:
        for column in range(int(box[0] // self.cell), int(box[2] // self.cell) + 1):
            for row in range(int(box[1] // self.cell), int(box[3] // self.cell) + 1):
                yield column, row

    def fits(self, box: Box) -> bool:
        """Inside the bounds and clear of every box taken."""
        left, top, right, bottom = self.bounds
        if box[0] < left or box[2] > right or box[1] < top or box[3] > bottom:
            return False
        return not any(box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3]
                       for cell in self._cells(box) for b in self.grid.get(cell, ()))

    def take(self, box: Box) -> None:
        """Mark a box as used (a mark, an axis text or a placed label)."""
        for cell in self._cells(box):
            self.grid.setdefault(cell, []).append(box)

    def place(self, text: str, candidates: Iterable[tuple[float, float, str]],
              size: float = 12.0) -> tuple[float, float, str] | None:
        """The first candidate (x, baseline, anchor) where the text fits, now taken; None if none does."""
        for x, y, anchor in candidates:
            box = text_box(x, y, text, anchor, size)
            if self.fits(box):
                self.take(box)
                return x, y, anchor
        return None
