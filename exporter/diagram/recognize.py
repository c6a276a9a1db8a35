"""Recognising boxes, lines, arrows and labels in a text diagram, with a round-trip confidence test.

1. and 2. Classify the cells that draw and link neighbouring strokes: `exporter.diagram.strokes`.
3. Find rectangles whose four sides are linked all round: boxes (`exporter.diagram.boxes`), a title
   in a box's top edge (`┌─ Title ─┐`) being the box's, not a label.
4. Trace the remaining links into paths, straight through junctions, with arrowheads at ends
   (`exporter.diagram.paths`).
5. Group the text cells into labels: word runs split by two spaces or a stroke.
6. Redraw the result as cells and require it to reproduce the source exactly (blank cells
   aside); otherwise, or when it looks like a table or draws neither a box nor an arrow, the
   diagram falls back to the monospace grid.

Ragged spots worth a warning are found either way (`exporter.diagram.problems`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from exporter.diagram.boxes import find_boxes, title_gap_ends
from exporter.diagram.grid import ARROW_GLYPHS, BLANK, DIRECTION_NAMES, bits, line_glyphs, make_grid
from exporter.diagram.paths import trace_paths
from exporter.diagram.problems import Problem, find_problems
from exporter.diagram.redraw import cell_tokens
from exporter.diagram.strokes import ARROW_KINDS, Strokes, find_strokes
from exporter.model.tree import DiagramDrawing, DiagramLabel

STROKE_TEXT = frozenset("-=|+:/\\'<>^") | frozenset(line_glyphs()) | frozenset(ARROW_GLYPHS)
LABEL_RUN = re.compile(r"x+(?: x+)*")
PIPE_TABLE_ROW = re.compile(r"^\s*\|.*\|\s*$")
PIPE_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)+\|?\s*$")


@dataclass(frozen=True, slots=True)
class Recognition:
    """What a text diagram draws.

    `drawing` is set when the diagram converts; otherwise `reason` says why it keeps the
    monospace grid. `shapes` is what was recognised either way (None for an empty diagram),
    and `problems` are ragged spots worth a warning, as (row from 0, column from 1, message).
    """

    drawing: DiagramDrawing | None
    reason: str
    shapes: DiagramDrawing | None
    problems: tuple[Problem, ...]


def recognize(lines: Sequence[str]) -> Recognition:
    """Recognises the drawing in diagram lines (as in `Diagram.lines`: tabs expanded)."""
    grid = make_grid(lines)
    if grid.rows == 0 or grid.columns == 0:
        return Recognition(None, "empty", None, ())
    strokes = find_strokes(grid)
    boxes = find_boxes(strokes)
    titles = {(box.top, box.title_column) for box in boxes if box.title}
    labels = [label for label in _labels(strokes) if (label.row, label.column) not in titles]
    shapes = DiagramDrawing(tuple(boxes), tuple(trace_paths(strokes, boxes)), tuple(labels), grid.rows, grid.columns)
    problems = tuple(find_problems(strokes, title_gap_ends(boxes, grid.columns)))
    reason = _fallback_reason(lines, strokes, shapes)
    return Recognition(None if reason else shapes, reason, shapes, problems)


def _labels(strokes: Strokes) -> list[DiagramLabel]:
    """Step 5: runs of text cells in each row, words joined across single spaces."""
    found: list[DiagramLabel] = []
    cells = strokes.grid.cells
    marks = ["x"] * len(cells)  # "x" text, " " blank, "|" a stroke
    for index, cell in enumerate(cells):
        if cell == BLANK:
            marks[index] = " "
    for index in strokes.active:
        marks[index] = "|"
    for row in range(strokes.rows):
        offset = row * strokes.columns
        for match in LABEL_RUN.finditer("".join(marks[offset : offset + strokes.columns])):
            start, end = match.span()
            text = "".join(cells[offset + start : offset + end])
            found.append(DiagramLabel(row, start, text, end - start))
    return found


def _source_tokens(strokes: Strokes) -> dict[int, str]:
    """Step 6: what each non-blank source cell shows: a stroke (by directions), an arrowhead, or a character."""
    found: dict[int, str] = {}
    for index, cell in enumerate(strokes.grid.cells):
        if cell == BLANK and index not in strokes.gaps:
            continue
        if index not in strokes.kind or index not in strokes.active:
            found[index] = "T" + cell
        elif strokes.kind[index] in ARROW_KINDS:
            found[index] = f"A{strokes.pointing[index]}"
        else:
            found[index] = f"L{strokes.drawn[index] | strokes.link[index]}"
    return found


def _looks_like_table(lines: Sequence[str], drawing: DiagramDrawing) -> bool:
    """A pipe table, or a grid of boxes tiling one rectangle with no arrows or loose lines."""
    rows = sum(1 for line in lines if PIPE_TABLE_ROW.match(line))
    if rows >= 2 and any(PIPE_TABLE_RULE.match(line) for line in lines):
        return True
    boxes = drawing.boxes
    if drawing.paths or len(boxes) < 4:
        return False
    top = min(box.top for box in boxes)
    left = min(box.left for box in boxes)
    bottom = max(box.bottom for box in boxes)
    right = max(box.right for box in boxes)
    area = sum((box.bottom - box.top) * (box.right - box.left) for box in boxes)
    if area != (bottom - top) * (right - left):
        return False
    return len({box.top for box in boxes}) >= 2 and len({box.left for box in boxes}) >= 2


def _stroke_only(text: str) -> bool:
    """A label made of stroke characters alone is a line that was not recognised."""
    letters = text.replace(" ", "")
    if len(letters) == 1 and letters in "^<>":
        return False
    return bool(letters) and all(char in STROKE_TEXT for char in letters)


def _fallback_reason(lines: Sequence[str], strokes: Strokes, shapes: DiagramDrawing) -> str:
    if _looks_like_table(lines, shapes):
        return "looks like a table"
    if not (
        shapes.boxes
        or any(path.start_arrow or path.end_arrow for path in shapes.paths)
        or any(len(path.points) >= 4 for path in shapes.paths)  # an outline turning twice, such as a titled box
    ):
        return "draws no box, arrow or outline"
    for label in shapes.labels:
        if _stroke_only(label.text):
            return f"unrecognised stroke {label.text!r} at row {label.row + 1}, column {label.column + 1}"
    source = _source_tokens(strokes)
    redrawn = cell_tokens(shapes)
    if source != redrawn:
        index = min(set(source) ^ set(redrawn) | {i for i in source if redrawn.get(i) != source[i]})
        row, column = divmod(index, shapes.columns)
        return (
            f"redraw differs at row {row + 1}, column {column + 1}: "
            f"source {_describe(source.get(index))}, redrawn {_describe(redrawn.get(index))}"
        )
    return ""


def _describe(token: str | None) -> str:
    if token is None:
        return "blank"
    if token.startswith("T"):
        return repr(token[1:])
    if token.startswith("A"):
        return f"arrow {DIRECTION_NAMES[int(token[1:])]}"
    names = [DIRECTION_NAMES[direction] for direction in bits(int(token[1:]))]
    return "stroke " + "+".join(names) if names else "stroke"


__all__ = ["STROKE_TEXT", "Problem", "Recognition", "recognize"]
