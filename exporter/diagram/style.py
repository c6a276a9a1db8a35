"""How recognised diagrams look, shared by SVG and PNG; exporter.enrich.presentation fills it from the theme."""

from __future__ import annotations

from dataclasses import dataclass

# The grid: a monospace cell is 0.602 em wide (DejaVu Sans Mono's advance) and 1.2 em tall.
CELL_WIDTH_EM = 0.602
CELL_HEIGHT_EM = 1.2
BASELINE_EM = 0.6 + 0.35  # from the top of a row: the middle of the row plus half a capital letter

DEFAULT_MONO_FAMILIES = "'DejaVu Sans Mono', 'Noto Sans Mono CJK JP', 'Noto Sans CJK JP', monospace"


@dataclass(frozen=True, slots=True)
class DiagramStyle:
    """Drawing parameters. Colours are CSS colours (#rrggbb); `fill` may be "none"."""

    font_families: str = DEFAULT_MONO_FAMILIES  # a CSS font-family list, for SVG
    mono_font: str = "DejaVu Sans Mono"  # one family each, for the raster (found with fc-match)
    wide_font: str = "Noto Sans CJK JP"
    text: str = "#1f2328"
    stroke: str = "#5a636e"
    fill: str = "#f6f8fa"
    stroke_width_em: float = 0.08
    corner_radius_em: float = 0.3
