"""The character grid of a text diagram, and what each character can draw.

Directions are bits of a mask; a character "wants" the directions its strokes leave the
cell in (`─` wants east and west, `┌` east and south, `+` any of them).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from exporter.model.text_width import cell_width

N, E, S, W, NE, SE, SW, NW = 1, 2, 4, 8, 16, 32, 64, 128
DIRECTIONS = (N, E, S, W, NE, SE, SW, NW)
ORTHOGONAL = N | E | S | W
STEP: dict[int, tuple[int, int]] = {
    N: (-1, 0),
    E: (0, 1),
    S: (1, 0),
    W: (0, -1),
    NE: (-1, 1),
    SE: (1, 1),
    SW: (1, -1),
    NW: (-1, -1),
}
OPPOSITE = {N: S, S: N, E: W, W: E, NE: SW, SW: NE, SE: NW, NW: SE}
PERPENDICULAR = {N: E | W, S: E | W, E: N | S, W: N | S, NE: 0, SE: 0, SW: 0, NW: 0}
# The lines an arrow going this way can stand on or run into: across its direction, or any straight one.
CROSSING = {**PERPENDICULAR, NE: ORTHOGONAL, SE: ORTHOGONAL, SW: ORTHOGONAL, NW: ORTHOGONAL}
# The slanted directions either side of a straight one: a `v` (pointing down) may end a line from NW or NE.
BESIDE = {N: NE | NW, S: SE | SW, E: NE | SE, W: NW | SW}
DIRECTION_NAMES = {N: "up", E: "right", S: "down", W: "left", NE: "up-right", SE: "down-right", SW: "down-left"}
DIRECTION_NAMES[NW] = "up-left"

WIDE_TAIL = ""  # the second cell of an East Asian wide character
BLANK = " "

ARROW_GLYPHS: dict[str, int] = {
    "▶": E, "►": E, "▸": E, "▷": E, "◀": W, "◄": W, "◂": W, "◁": W,
    "▲": N, "▴": N, "△": N, "▼": S, "▾": S, "▽": S,
}  # fmt: skip
ASCII_ARROWS: dict[str, int] = {">": E, "<": W, "^": N, "v": S, "V": S}
DASHED_ASCII = frozenset(":")


@dataclass(frozen=True, slots=True)
class LineGlyph:
    """A box-drawing character: the directions it draws, and its stroke style."""

    wants: int
    double: bool
    dashed: bool
    rounded: bool


def _name_to_glyph(name: str) -> LineGlyph | None:
    if not name.startswith("BOX DRAWINGS "):
        return None
    words = name.removeprefix("BOX DRAWINGS ").split()
    if "DIAGONAL" in words:
        if "CROSS" in words:
            wants = NE | SW | NW | SE
        elif words[words.index("DIAGONAL") + 1] == "UPPER" and words[words.index("DIAGONAL") + 2] == "RIGHT":
            wants = NE | SW
        else:
            wants = NW | SE
        return LineGlyph(wants, False, False, False)
    wants = 0
    for word in words:
        wants |= {"UP": N, "DOWN": S, "LEFT": W, "RIGHT": E, "HORIZONTAL": E | W, "VERTICAL": N | S}.get(word, 0)
    dashed = "DASH" in words
    return LineGlyph(wants, "DOUBLE" in words and not dashed, dashed, "ARC" in words)


@cache
def line_glyphs() -> dict[str, LineGlyph]:
    """Every character of the Unicode box-drawing block, by what it draws."""
    table: dict[str, LineGlyph] = {}
    for code in range(0x2500, 0x2580):
        glyph = _name_to_glyph(unicodedata.name(chr(code), ""))
        if glyph is not None and glyph.wants:
            table[chr(code)] = glyph
    return table


_BITS = tuple(tuple(direction for direction in DIRECTIONS if mask & direction) for mask in range(256))


def bits(mask: int) -> tuple[int, ...]:
    """The directions in a mask, in the order of DIRECTIONS."""
    return _BITS[mask & 255]


def is_wordy(cell: str) -> bool:
    """Letters, digits, `_` and wide characters: text a line never runs into."""
    return cell == WIDE_TAIL or cell[:1].isalnum() or cell[:1] == "_"


@dataclass(slots=True)
class Grid:
    """Cells row by row, each a character (with any combining marks), padded to one width."""

    cells: list[str]  # row-major, rows * columns
    rows: int
    columns: int

    def at(self, row: int, column: int) -> str:
        if 0 <= row < self.rows and 0 <= column < self.columns:
            return self.cells[row * self.columns + column]
        return BLANK


def make_grid(lines: Sequence[str]) -> Grid:
    """The display-cell grid of diagram lines (tabs already expanded); wide characters fill two cells."""
    rows: list[list[str]] = []
    widths: dict[str, int] = {}
    for line in lines:
        if line.isascii() and line.isprintable():
            rows.append(list(line))  # one cell a character, the common case
            continue
        cells: list[str] = []
        for char in line:
            width = widths.get(char)
            if width is None:
                width = widths[char] = cell_width(char)
            if width == 0 and cells:
                cells[-1] += char
                continue
            if char.isspace():
                cells.extend([BLANK] * width)
                continue
            cells.append(char)
            if width == 2:
                cells.append(WIDE_TAIL)
        rows.append(cells)
    columns = max((len(row) for row in rows), default=0)
    flat: list[str] = []
    for row in rows:
        flat.extend(row)
        flat.extend([BLANK] * (columns - len(row)))
    return Grid(flat, len(rows), columns)
