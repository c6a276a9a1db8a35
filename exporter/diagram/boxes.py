"""The boxes of a text diagram (step 3 of recognising it): rectangles whose four sides are linked all
round, nested and sharing edges too, and the style each is drawn in.

A box may carry a title in its top edge (`┌─ Title ─┐`, `+-- Title --+`): the edge breaks off in a loose
end, a single run of words follows, and the edge goes on from a loose end of its own. The box is one box
whose top edge is broken around the title, as the text shows it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from exporter.diagram.grid import BLANK, OPPOSITE, E, N, S, W, is_wordy, line_glyphs
from exporter.diagram.strokes import ARROW_KINDS, STRAIGHT_KINDS, Strokes
from exporter.model.tree import DiagramBox, DiagramBoxStyle

# The cells of a title gap as marks ("x" text, " " blank): one run of words, single spaces between them.
TITLE_MARKS = re.compile(r" *(x+(?: x+)*) *")

Corners = tuple[int, int, int, int]  # top, left, bottom, right


@dataclass(frozen=True, slots=True)
class _Title:
    """Words in a top edge between two loose ends: the far end's index, and the words' column and text."""

    far_end: int
    column: int
    text: str


@dataclass(frozen=True, slots=True)
class _Found:
    corners: Corners
    gap: tuple[int, int] | None  # the first and last column of a title gap in the top edge
    title: _Title | None


def find_boxes(strokes: Strokes) -> list[DiagramBox]:
    """Every box, top to bottom and left to right."""
    # An arrowhead is part of a box side only where it stands across it (`+--v--+`).
    link = {
        index: mask & ~(strokes.pointing[index] | OPPOSITE[strokes.pointing[index]])
        if strokes.kind[index] in ARROW_KINDS
        else mask
        for index, mask in strokes.link.items()
    }
    titles = _titles(strokes)
    found: list[_Found] = []
    for corner in sorted(strokes.active):
        if not link[corner] & S or not (link[corner] & E or corner in titles):
            continue  # not a top-left corner
        top, left = divmod(corner, strokes.columns)
        box = _box_from(link, titles, strokes.rows, strokes.columns, top, left)
        if box is not None:
            found.append(box)
    boxes: list[DiagramBox] = []
    for box in sorted(found, key=lambda item: item.corners):
        style = _box_style(strokes, box.corners, box.gap)
        if box.title is None or box.gap is None:
            boxes.append(DiagramBox(*box.corners, style))
        else:
            boxes.append(DiagramBox(*box.corners, style, box.title.text, box.title.column, box.gap))
    return boxes


def title_gap_ends(boxes: Sequence[DiagramBox], columns: int) -> dict[int, int]:
    """The loose ends either side of each box title (cell index -> direction into the gap): the box draws them."""
    ends: dict[int, int] = {}
    for box in boxes:
        if box.title:
            first, last = box.title_gap
            before, after = box.top * columns + first - 1, box.top * columns + last + 1
            ends[before] = ends.get(before, 0) | E
            ends[after] = ends.get(after, 0) | W
    return ends


def _titles(strokes: Strokes) -> dict[int, _Title]:
    """Each line end going east into nothing that a run of words and then a line end going west follow."""
    found: dict[int, _Title] = {}
    cells = strokes.grid.cells
    for index in strokes.active:
        if not strokes.stubs[index] & E:
            continue
        row_end = (index // strokes.columns + 1) * strokes.columns
        far_end = index + 1
        while far_end < row_end and far_end not in strokes.active:
            far_end += 1
        if far_end == row_end or not strokes.stubs[far_end] & W:
            continue
        between = range(index + 1, far_end)
        marks = "".join(" " if cells[cell] == BLANK else "x" for cell in between)
        words = TITLE_MARKS.fullmatch(marks)
        if words is None or not any(is_wordy(cells[cell]) for cell in between):
            continue
        first, last = index + 1 + words.start(1), index + 1 + words.end(1)
        found[index] = _Title(far_end, first % strokes.columns, "".join(cells[first:last]))
    return found


def _box_from(
    link: dict[int, int], titles: dict[int, _Title], rows: int, columns: int, top: int, left: int
) -> _Found | None:
    """The smallest box with its top-left corner at (top, left): along the top (across one title gap at most),
    then down each right side."""
    right = left
    gap: tuple[int, int] | None = None
    title: _Title | None = None
    while True:
        index = top * columns + right
        if right > left and link[index] & S:
            bottom = top + 1
            while bottom < rows and link.get(bottom * columns + right, 0) & N:
                if link[bottom * columns + right] & W and _closes(link, columns, top, left, bottom, right):
                    return _Found((top, left, bottom, right), gap, title)
                if not link[bottom * columns + right] & S:
                    break
                bottom += 1
        if link[index] & E and link.get(index + 1, 0) & W:
            right += 1
        elif index in titles and title is None:
            title = titles[index]
            gap = (right + 1, title.far_end - top * columns - 1)
            right = gap[1] + 1
        else:
            return None


def _closes(link: dict[int, int], columns: int, top: int, left: int, bottom: int, right: int) -> bool:
    """Whether the bottom and left sides run all the way round."""
    if link.get(bottom * columns + left, 0) & (N | E) != N | E:
        return False
    if any(not link.get(bottom * columns + column, 0) & E for column in range(left, right)):
        return False
    return all(link.get(row * columns + left, 0) & N for row in range(top + 1, bottom + 1))


def _box_style(strokes: Strokes, box: Corners, gap: tuple[int, int] | None) -> DiagramBoxStyle:
    """Dashed or double when two sides or more are; rounded when all four corners are."""
    top, left, bottom, right = box
    columns = strokes.columns
    glyphs = line_glyphs()
    first, last = gap or (right, left)
    sides = [
        [top * columns + column for column in range(left + 1, right) if not first <= column <= last],
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
