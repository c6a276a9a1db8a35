"""Options that change how a document renders, shared by every backend."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Paper = Literal["a4", "letter"]

# Page geometry in points: (width, height), and the margins every backend uses.
PAPER_SIZES: dict[Paper, tuple[float, float]] = {"a4": (595.28, 841.89), "letter": (612.0, 792.0)}
MARGIN_SIDE_PT = 64.0
MARGIN_TOP_PT = 68.0
MARGIN_BOTTOM_PT = 64.0


@dataclass(frozen=True, slots=True)
class RenderOptions:
    paper: Paper = "a4"

    @property
    def text_width_pt(self) -> float:
        return PAPER_SIZES[self.paper][0] - 2 * MARGIN_SIDE_PT
