"""The boxes of a text diagram (step 3 of recognising it): rectangles whose four sides are linked all
round, nested and sharing edges too, and the style each is drawn in."""

from __future__ import annotations

from collections.abc import Callable

from exporter.diagram.grid import OPPOSITE, E, N, S, W, line_glyphs
from exporter.diagram.strokes import ARROW_KINDS, STRAIGHT_KINDS, Strokes
from exporter.model.tree import DiagramBox, DiagramBoxStyle


def find_boxes(strokes: Strokes) -> list[DiagramBox]:
    """Every box, top to bottom and left to right."""
    # An arrowhead is part of a box side only where it stands across it (`+--v--+`).
    link = {
        index: mask & ~(strokes.pointing[index] | OPPOSITE[strokes.pointing[index]])
        if strokes.kind[index] in ARROW_KINDS
        else mask
        for index, mask in strokes.link.items()
    }
    found: list[tuple[int, int, int, int]] = []
    for corner in sorted(strokes.active):
        if link[corner] & (E | S) != E | S:
            continue  # not a top-left corner
        top, left = divmod(corner, strokes.columns)
        box = _box_from(link, strokes.rows, strokes.columns, top, left)
        if box is not None:
            found.append(box)
    return [DiagramBox(*box, _box_style(strokes, box)) for box in sorted(found)]


def _box_from(link: dict[int, int], rows: int, columns: int, top: int, left: int) -> tuple[int, int, int, int] | None:
    """The smallest box with its top-left corner at (top, left): along the top, then down each right side."""
    right = left + 1
    while right < columns and link.get(top * columns + right, 0) & W:
        if link[top * columns + right] & S:
            bottom = top + 1
            while bottom < rows and link.get(bottom * columns + right, 0) & N:
                if link[bottom * columns + right] & W and _closes(link, columns, top, left, bottom, right):
                    return top, left, bottom, right
                if not link[bottom * columns + right] & S:
                    break
                bottom += 1
        if not link[top * columns + right] & E:
            break
        right += 1
    return None


def _closes(link: dict[int, int], columns: int, top: int, left: int, bottom: int, right: int) -> bool:
    """Whether the bottom and left sides run all the way round."""
    if link.get(bottom * columns + left, 0) & (N | E) != N | E:
        return False
    if any(not link.get(bottom * columns + column, 0) & E for column in range(left, right)):
        return False
    return all(link.get(row * columns + left, 0) & N for row in range(top + 1, bottom + 1))


def _box_style(strokes: Strokes, box: tuple[int, int, int, int]) -> DiagramBoxStyle:
    """Dashed or double when two sides or more are; rounded when all four corners are."""
    top, left, bottom, right = box
    columns = strokes.columns
    glyphs = line_glyphs()
    sides = [
        [top * columns + column for column in range(left + 1, right)],
        [bottom * columns + column for column in range(left + 1, right)],
        [row * columns + left for row in range(top + 1, bottom)],
        [row * columns + right for row in range(top + 1, bottom)],
    ]

    def mostly(cells: list[int], test: Callable[[int], bool]) -> bool:
        lines = [index for index in cells if strokes.kind[index] in STRAIGHT_KINDS]
        return bool(lines) and 2 * sum(1 for index in lines if test(index)) >= len(lines)

    def double(index: int) -> bool:
        char = strokes.cell(index)
        return char == "=" or (char in glyphs and glyphs[char].double)

    if sum(1 for side in sides if mostly(side, strokes.is_dashed)) >= 2:
        return "dashed"
    if sum(1 for side in sides if mostly(side, double)) >= 2:
        return "double"
    corners = [strokes.grid.at(row, column) for row in (top, bottom) for column in (left, right)]
    if all(char in ".'" or (char in glyphs and glyphs[char].rounded) for char in corners):
        return "rounded"
    return "single"
