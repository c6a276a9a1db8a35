"""How recognised diagrams look: fonts and colours taken from a theme, shared by SVG and PNG."""

from __future__ import annotations

from dataclasses import dataclass

from exporter.read.theme import Theme

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


def style_from_theme(theme: Theme) -> DiagramStyle:
    """Diagram style from a theme: its mono font, `--color-text` for labels, `--color-muted` for
    strokes and arrowheads, and `--color-code-background` inside boxes."""
    # Only plain names (exporter.read.theme.plain_font_name) reach the SVG and fontconfig; the theme warned of others.
    names = list(theme.font_families("mono")) or [name.strip(" '") for name in DEFAULT_MONO_FAMILIES.split(",")]
    wide = next((name for name in names if "CJK" in name), "Noto Sans CJK JP")
    return DiagramStyle(
        font_families=", ".join(_quoted(name) for name in names),
        mono_font=theme.font("mono", "DejaVu Sans Mono"),
        wide_font=wide,
        text="#" + theme.color("text", "1F2328"),
        stroke="#" + theme.color("muted", "5A636E"),
        fill="#" + theme.color("code-background", "F6F8FA"),
    )


def _quoted(name: str) -> str:
    generic = {"serif", "sans-serif", "monospace", "cursive", "fantasy", "system-ui", "ui-monospace"}
    return name if name in generic else "'" + name.replace("'", "") + "'"
