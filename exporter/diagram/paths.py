"""The lines and arrows of a text diagram (step 4 of recognising it): the links left once the boxes
are taken out, traced into paths straight through junctions, with arrowheads at their ends."""

from __future__ import annotations

from collections.abc import Sequence

from exporter.diagram.boxes import title_gap_ends
from exporter.diagram.grid import CROSSING, DIRECTIONS, OPPOSITE, PERPENDICULAR, STEP, E, S, bits
from exporter.diagram.strokes import ARROW_KINDS, Strokes
from exporter.model.tree import DiagramBox, DiagramPath

# An arrowhead standing on the line it points across has its tip just past that line's centre,
# so that the redraw still finds the arrowhead in its own cell.
PASS_THROUGH_TIP = 0.1

Point = tuple[float, float]


def trace_paths(strokes: Strokes, boxes: Sequence[DiagramBox]) -> list[DiagramPath]:
    """Every line and arrow outside the boxes' sides, top to bottom and left to right."""
    links = _links_outside(strokes, boxes)
    remaining = dict(links)
    traced: list[list[int]] = []
    degree = {index: bin(mask).count("1") for index, mask in links.items()}
    # Line ends first, then junctions, then what is left: closed loops.
    starts = sorted(index for index, count in degree.items() if count == 1)
    starts += sorted(index for index, count in degree.items() if count >= 3)
    starts += sorted(index for index, count in degree.items() if count == 2)
    for start in starts:
        for direction in DIRECTIONS:
            if remaining.get(start, 0) & direction:
                traced.append(_walk(strokes, start, direction, remaining, degree))
    used_stubs = title_gap_ends(boxes, strokes.columns)
    paths = [_path(strokes, cells, used_stubs) for cells in traced]
    paths += _loose_stubs(strokes, used_stubs)
    return sorted(paths, key=_path_key)


def _links_outside(strokes: Strokes, boxes: Sequence[DiagramBox]) -> dict[int, int]:
    """The links of every cell, less those along the sides of a box."""
    columns = strokes.columns
    links = dict(strokes.link)
    for box in boxes:
        for column in range(box.left, box.right):
            _unlink(strokes, links, box.top * columns + column, E)
            _unlink(strokes, links, box.bottom * columns + column, E)
        for row in range(box.top, box.bottom):
            _unlink(strokes, links, row * columns + box.left, S)
            _unlink(strokes, links, row * columns + box.right, S)
    return links


def _unlink(strokes: Strokes, links: dict[int, int], index: int, direction: int) -> None:
    other = strokes.neighbour(index, direction)
    links[index] = links.get(index, 0) & ~direction
    links[other] = links.get(other, 0) & ~OPPOSITE[direction]


def _walk(strokes: Strokes, start: int, direction: int, remaining: dict[int, int], degree: dict[int, int]) -> list[int]:
    """The cells of one path from `start`: on through bends and straight across junctions."""
    cells = [start]
    current = start
    while True:
        following = strokes.neighbour(current, direction)
        remaining[current] &= ~direction
        remaining[following] &= ~OPPOSITE[direction]
        cells.append(following)
        if (current, following) in strokes.touch:
            break  # a line end or arrow tip touching the side of another line
        left = remaining[following]
        if degree[following] == 2 and left:
            direction = bits(left)[0]
        elif not (degree[following] >= 3 and left & direction):
            break
        current = following
    return cells


def _loose_stubs(strokes: Strokes, used_stubs: dict[int, int]) -> list[DiagramPath]:
    """Strokes drawn into nothing that no path took up: half a cell each, or a whole one for a pair."""
    paths: list[DiagramPath] = []
    for index in sorted(strokes.stubs):
        loose = strokes.stubs[index] & ~used_stubs.get(index, 0)
        while loose:
            direction = bits(loose)[0]
            pair = loose & OPPOSITE[direction]
            loose &= ~(direction | pair)
            centre = strokes.centre(index)
            begin = _shift(centre, OPPOSITE[direction], 0.5) if pair else centre
            paths.append(DiagramPath((begin, _shift(centre, direction, 0.5)), False, False, strokes.dashed([index])))
    return paths


def _end(strokes: Strokes, cells: list[int], used_stubs: dict[int, int]) -> tuple[list[Point], bool]:
    """The last points of a path ending in cells[-1] (a loose stroke there turning aside is kept on
    the path), and whether the end is an arrowhead."""
    last, before = cells[-1], cells[-2]
    outward = strokes.direction(before, last)
    centre = strokes.centre(last)
    if strokes.kind[last] in ARROW_KINDS and strokes.pointing[last] == outward:
        on_line = strokes.link[last] & CROSSING[outward]
        return [_shift(centre, outward, PASS_THROUGH_TIP if on_line else 0.5)], True
    if (before, last) in strokes.touch and strokes.kind[before] in ARROW_KINDS and strokes.pointing[before] == outward:
        return [centre], True
    loose = strokes.stubs[last] & ~used_stubs.get(last, 0)
    if loose & outward:
        used_stubs[last] = used_stubs.get(last, 0) | outward
        return [_shift(centre, outward, 0.5)], False
    aside = loose & PERPENDICULAR[outward]
    if len(bits(aside)) == 1:
        used_stubs[last] = used_stubs.get(last, 0) | aside
        return [centre, _shift(centre, aside, 0.5)], False
    return [centre], False


def _path(strokes: Strokes, cells: list[int], used_stubs: dict[int, int]) -> DiagramPath:
    """A traced run of cells as a polyline, pointing toward its arrowhead (else down and to the right)."""
    start, start_arrow = _end(strokes, cells[::-1], used_stubs)
    end, end_arrow = _end(strokes, cells, used_stubs)
    points = start[::-1]
    for previous, current, following in zip(cells, cells[1:], cells[2:], strict=False):
        if strokes.direction(previous, current) != strokes.direction(current, following):
            points.append(strokes.centre(current))
    points.extend(end)
    if (start_arrow and not end_arrow) or (start_arrow == end_arrow and _yx(points[-1]) < _yx(points[0])):
        points.reverse()
        start_arrow, end_arrow = end_arrow, start_arrow
    return DiagramPath(tuple(points), start_arrow, end_arrow, strokes.dashed(cells))


def _shift(point: Point, direction: int, amount: float) -> Point:
    step_row, step_column = STEP[direction]
    return point[0] + step_column * amount, point[1] + step_row * amount


def _yx(point: Point) -> Point:
    return point[1], point[0]


def _path_key(path: DiagramPath) -> tuple[object, ...]:
    return tuple(_yx(point) for point in path.points), path.start_arrow, path.end_arrow, path.dashed
