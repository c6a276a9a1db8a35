"""Drawing a recognised diagram back onto the character grid.

The confidence test compares these cells with the source: a stroke cell is described by the
directions its strokes leave in (so ASCII `+` and Unicode `┼` compare equal where they join
the same lines), an arrowhead by where it points, and text by its characters.
"""

from __future__ import annotations

import bisect
import itertools

from exporter.diagram.grid import OPPOSITE, STEP, WIDE_TAIL, E, N, S, W
from exporter.model.text_width import cell_width
from exporter.model.tree import DiagramBox, DiagramDrawing, DiagramLabel, DiagramPath

UNIT = 20  # path coordinates are compared in twentieths of a cell
_CENTRE = UNIT // 2
_DIRECTION_OF_STEP = {step: direction for direction, step in STEP.items()}


def _units(point: tuple[float, float]) -> tuple[int, int]:
    return round(point[0] * UNIT), round(point[1] * UNIT)


def _sign(value: int) -> int:
    return (value > 0) - (value < 0)


def _centres(start: tuple[int, int], end: tuple[int, int]) -> list[tuple[int, int, int]]:
    """Cells whose centres lie on a segment, as (row, column, units along it from the start)."""
    step_x, step_y = _sign(end[0] - start[0]), _sign(end[1] - start[1])
    length = max(abs(end[0] - start[0]), abs(end[1] - start[1]))
    first = next(
        (
            offset
            for offset in range(min(UNIT, length + 1))
            if (start[0] + step_x * offset) % UNIT == _CENTRE and (start[1] + step_y * offset) % UNIT == _CENTRE
        ),
        None,
    )
    if first is None:
        return []
    found: list[tuple[int, int, int]] = []
    for offset in range(first, length + 1, UNIT):
        x, y = start[0] + step_x * offset, start[1] + step_y * offset
        found.append((y // UNIT, x // UNIT, offset))
    return found


def _segment_direction(start: tuple[int, int], end: tuple[int, int]) -> int:
    return _DIRECTION_OF_STEP[(_sign(end[1] - start[1]), _sign(end[0] - start[0]))]


def path_cells(path: DiagramPath) -> tuple[dict[tuple[int, int], int], dict[tuple[int, int], int]]:
    """The strokes a path leaves in each cell it crosses, and its arrowhead cells with where they point."""
    strokes: dict[tuple[int, int], int] = {}
    arrows: dict[tuple[int, int], int] = {}
    points = [_units(point) for point in path.points]
    for start, end in itertools.pairwise(points):
        if start == end:
            continue
        forward = _segment_direction(start, end)
        length = max(abs(end[0] - start[0]), abs(end[1] - start[1]))
        for row, column, offset in _centres(start, end):
            mask = 0
            if offset < length:
                mask |= forward
            if offset > 0:
                mask |= OPPOSITE[forward]
            strokes[(row, column)] = strokes.get((row, column), 0) | mask
    if len(points) >= 2:
        if path.end_arrow:
            cell = _arrow_cell(points[-2], points[-1])
            if cell is not None:
                arrows[cell] = _segment_direction(points[-2], points[-1])
        if path.start_arrow:
            cell = _arrow_cell(points[1], points[0])
            if cell is not None:
                arrows[cell] = _segment_direction(points[1], points[0])
    return strokes, arrows


def _arrow_cell(before: tuple[int, int], tip: tuple[int, int]) -> tuple[int, int] | None:
    """The cell of an arrowhead: the last cell centre strictly before its tip."""
    length = max(abs(tip[0] - before[0]), abs(tip[1] - before[1]))
    inside = [(row, column) for row, column, offset in _centres(before, tip) if offset < length]
    return inside[-1] if inside else None


def box_cells(box: DiagramBox) -> dict[tuple[int, int], int]:
    """The strokes of a box's sides in each cell; a title's gap in the top edge has none."""
    top, left, bottom, right = box.top, box.left, box.bottom, box.right
    strokes: dict[tuple[int, int], int] = {}
    first, last = box.title_gap if box.title else (right, left)

    def add(row: int, column: int, mask: int) -> None:
        strokes[(row, column)] = strokes.get((row, column), 0) | mask

    for column in range(left, right + 1):
        mask = (E if column < right else 0) | (W if column > left else 0)
        if not first <= column <= last:
            add(top, column, mask)
        add(bottom, column, mask)
    for row in range(top, bottom + 1):
        mask = (S if row < bottom else 0) | (N if row > top else 0)
        add(row, left, mask)
        add(row, right, mask)
    return strokes


def title_labels(drawing: DiagramDrawing) -> list[DiagramLabel]:
    """The titles of the boxes, as labels in their top edges."""
    return [
        DiagramLabel(box.top, box.title_column, box.title, sum(cell_width(char) for char in box.title))
        for box in drawing.boxes
        if box.title
    ]


def _label_cells(drawing: DiagramDrawing) -> dict[tuple[int, int], str]:
    cells: dict[tuple[int, int], str] = {}
    for label in (*drawing.labels, *title_labels(drawing)):
        column = label.column
        for char in label.text:
            width = cell_width(char)
            if width == 0 and column > label.column:
                cells[(label.row, column - 1)] = cells.get((label.row, column - 1), "") + char
                continue
            if char != " ":
                cells[(label.row, column)] = char
                if width == 2:
                    cells[(label.row, column + 1)] = WIDE_TAIL
            column += width
    return cells


def _strokes(drawing: DiagramDrawing) -> tuple[dict[tuple[int, int], int], dict[tuple[int, int], int]]:
    strokes: dict[tuple[int, int], int] = {}
    arrows: dict[tuple[int, int], int] = {}
    for box in drawing.boxes:
        for cell, mask in box_cells(box).items():
            strokes[cell] = strokes.get(cell, 0) | mask
    for path in drawing.paths:
        path_strokes, path_arrows = path_cells(path)
        for cell, mask in path_strokes.items():
            strokes[cell] = strokes.get(cell, 0) | mask
        arrows.update(path_arrows)
    return strokes, arrows


def cell_tokens(drawing: DiagramDrawing) -> dict[int, str]:
    """Each non-blank cell of the redrawn diagram, keyed row * columns + column, as the confidence test compares."""
    strokes, arrows = _strokes(drawing)
    tokens: dict[int, str] = {}
    for (row, column), mask in strokes.items():
        if mask:
            tokens[row * drawing.columns + column] = f"L{mask}"
    for (row, column), direction in arrows.items():
        tokens[row * drawing.columns + column] = f"A{direction}"
    for (row, column), char in _label_cells(drawing).items():
        index = row * drawing.columns + column
        tokens[index] = "T" + char if index not in tokens else "!overlap"
    return tokens


def joined_corners(drawing: DiagramDrawing) -> list[tuple[bool, bool, bool, bool]]:
    """For each box, whether its top-left, top-right, bottom-right and bottom-left corners meet another
    box's side or a line's end; such corners are drawn square, the free ones slightly rounded.

    Each corner asks how many box sides pass through it (its own box's two, and any other's), from the
    sides sorted by row and column: comparing every corner with every box took minutes at 20,000 boxes."""
    ends: set[tuple[float, float]] = {point for path in drawing.paths for point in path.points}
    across: dict[int, tuple[list[int], list[int]]] = {}  # row -> starts and ends of the top and bottom sides on it
    down: dict[int, tuple[list[int], list[int]]] = {}  # column -> starts and ends of the left and right sides
    for box in drawing.boxes:
        for row in {box.top, box.bottom}:
            starts, stops = across.setdefault(row, ([], []))
            starts.append(box.left)
            stops.append(box.right)
        for column in {box.left, box.right}:
            starts, stops = down.setdefault(column, ([], []))
            starts.append(box.top)
            stops.append(box.bottom)
    for starts, stops in (*across.values(), *down.values()):
        starts.sort()
        stops.sort()
    found: list[tuple[bool, bool, bool, bool]] = []
    for box in drawing.boxes:
        corners = ((box.top, box.left), (box.top, box.right), (box.bottom, box.right), (box.bottom, box.left))
        flags = [
            (column + 0.5, row + 0.5) in ends
            or _sides_through(across[row], column) + _sides_through(down[column], row) > 2
            for row, column in corners
        ]
        found.append((flags[0], flags[1], flags[2], flags[3]))
    return found


def _sides_through(sides: tuple[list[int], list[int]], position: int) -> int:
    """How many of the sorted sides (start and end lists) contain `position`."""
    starts, stops = sides
    return bisect.bisect_right(starts, position) - bisect.bisect_left(stops, position)
