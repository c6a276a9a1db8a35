"""Recognising boxes, lines, arrows and labels in a text diagram, with a round-trip confidence test.

1. Classify cells. Box-drawing characters always draw. ASCII `- = | : + . ' / \\ < > ^ v` draw
   only in context: a run of `-` must be long enough or hang off a corner, `|` must continue
   vertically or meet a corner, `v` must sit under a line, and so on; whatever is left is text.
   The rules are applied until nothing changes, so `co-edit`, `a.to(b)`, `product_id` and a
   lone `v` stay words.
2. Link neighbouring strokes that want each other; a line end that runs into the side of a
   perpendicular line touches it (the gap a monospace font leaves is closed).
3. Find rectangles whose four sides are linked all round: boxes (nested and shared edges too).
4. Trace the remaining links into paths, straight through junctions, with arrowheads at ends.
5. Group the text cells into labels: word runs split by two spaces or a stroke.
6. Redraw the result as cells and require it to reproduce the source exactly (blank cells
   aside); otherwise, or when it looks like a table or draws neither a box nor an arrow, the
   diagram falls back to the monospace grid.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from exporter.diagram.grid import (
    ARROW_GLYPHS,
    ASCII_ARROWS,
    BLANK,
    DASHED_ASCII,
    DIRECTION_NAMES,
    DIRECTIONS,
    NE,
    NW,
    OPPOSITE,
    ORTHOGONAL,
    PERPENDICULAR,
    SE,
    STEP,
    SW,
    E,
    Grid,
    N,
    S,
    W,
    bits,
    is_wordy,
    line_glyphs,
    make_grid,
)
from exporter.diagram.redraw import cell_tokens
from exporter.model.tree import DiagramBox, DiagramBoxStyle, DiagramDrawing, DiagramLabel, DiagramPath

# Kinds of drawing cells.
H_LINE = "h"  # ASCII - =
V_LINE = "v"  # ASCII | :
JOINT = "j"  # ASCII +
CORNER = "c"  # ASCII . '
ARROW = "a"  # ASCII > < ^ v V
SLANT = "d"  # ASCII / \
GLYPH = "u"  # Unicode box drawing
GLYPH_ARROW = "ua"  # Unicode ▶ ◀ ▲ ▼ and kin
ASCII_KINDS = frozenset({H_LINE, V_LINE, JOINT, CORNER, ARROW, SLANT})
ARROW_KINDS = frozenset({ARROW, GLYPH_ARROW})
STRAIGHT_KINDS = frozenset({H_LINE, V_LINE, SLANT, GLYPH})  # whose unmatched strokes are drawn as stubs

STROKE_TEXT = frozenset("-=|+:/\\'<>^") | frozenset(line_glyphs()) | frozenset(ARROW_GLYPHS)
LABEL_RUN = re.compile(r"x+(?: x+)*")
SPACED_DASHES = re.compile(r"(?<=[+.'])-(?: -)+(?=[+.'])")
PIPE_TABLE_ROW = re.compile(r"^\s*\|.*\|\s*$")
PIPE_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)+\|?\s*$")

# An arrowhead standing on the line it points across has its tip just past that line's centre,
# so that the redraw still finds the arrowhead in its own cell.
PASS_THROUGH_TIP = 0.1

Problem = tuple[int, int, str]  # (row from 0, column from 1, message)


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


class _Analysis:
    """The per-cell state of one recognition; cells are indexed row * columns + column."""

    def __init__(self, grid: Grid) -> None:
        self.grid = grid
        self.rows = grid.rows
        self.columns = grid.columns
        self.size = grid.rows * grid.columns
        self.kind: dict[int, str] = {}
        self.wants: dict[int, int] = {}
        self.pointing: dict[int, int] = {}  # arrows: the direction they point in
        self.active: set[int] = set()
        self.arms: dict[int, int] = {}
        self.drawn: dict[int, int] = {}
        self.link: dict[int, int] = {}
        self.stubs: dict[int, int] = {}
        self.touch: set[tuple[int, int]] = set()  # (from, to) links that close a gap
        self.run_length: dict[int, int] = {}
        self.box_link: dict[int, int] = {}
        self.gaps: set[int] = set()  # blank cells of a `- - -` line
        self.dashed_cells: set[int] = set()

    # ---------------------------------------------------------------- geometry

    def neighbour(self, index: int, direction: int) -> int:
        """The index of the cell one step away, or -1 outside the grid."""
        step_row, step_column = STEP[direction]
        if step_column and not 0 <= index % self.columns + step_column < self.columns:
            return -1
        other = index + step_row * self.columns + step_column
        return other if 0 <= other < self.size else -1

    def cell(self, index: int) -> str:
        if index < 0:
            return BLANK
        return "-" if index in self.gaps else self.grid.cells[index]

    def wordy(self, index: int) -> bool:
        return index >= 0 and index not in self.active and is_wordy(self.cell(index))

    # ---------------------------------------------------------------- 1. classify

    def classify(self) -> None:
        glyphs = line_glyphs()
        for index, cell in enumerate(self.grid.cells):
            if cell == BLANK or len(cell) != 1:
                continue
            glyph = glyphs.get(cell)
            if glyph is not None:
                self.kind[index], self.wants[index] = GLYPH, glyph.wants
            elif cell in ARROW_GLYPHS:
                self.kind[index], self.pointing[index] = GLYPH_ARROW, ARROW_GLYPHS[cell]
                self.wants[index] = OPPOSITE[ARROW_GLYPHS[cell]]
            elif cell in "-=":
                self.kind[index], self.wants[index] = H_LINE, E | W
            elif cell in "|:":
                self.kind[index], self.wants[index] = V_LINE, N | S
            elif cell == "+":
                self.kind[index], self.wants[index] = JOINT, sum(DIRECTIONS)
            elif cell == ".":
                self.kind[index], self.wants[index] = CORNER, E | W | S
            elif cell == "'":
                self.kind[index], self.wants[index] = CORNER, E | W | N
            elif cell in ASCII_ARROWS:
                self.kind[index], self.pointing[index] = ARROW, ASCII_ARROWS[cell]
                self.wants[index] = OPPOSITE[ASCII_ARROWS[cell]]
            elif cell == "/":
                self.kind[index], self.wants[index] = SLANT, NE | SW
            elif cell == "\\":
                self.kind[index], self.wants[index] = SLANT, SE | NW
        self._dashed_runs()
        # An arrowhead standing on a line across its direction (`+--v--+`) carries that line through.
        for index, pointing in self.pointing.items():
            across = PERPENDICULAR[pointing]
            if all(self.wants.get(self.neighbour(index, side), 0) & OPPOSITE[side] for side in bits(across)) and all(
                self.kind.get(self.neighbour(index, side)) not in ARROW_KINDS for side in bits(across)
            ):
                self.wants[index] |= across
        self.active = set(self.kind)
        runs = self._runs()
        self.run_length = {index: len(run) for group in runs.values() for run in group for index in run}
        arms = {index: self._arms(index) for index in self.active}
        while True:
            dropped = self._failing(arms, runs)
            if not dropped:
                break
            self.active -= dropped
            for index in dropped:
                del arms[index]
            for index in {self.neighbour(index, direction) for index in dropped for direction in DIRECTIONS}:
                if index in self.active:
                    arms[index] = self._arms(index)
        self.arms = arms

    def _dashed_runs(self) -> None:
        """`+- - - -+`: dashes spaced out between two corners draw one dashed line; the gaps draw too."""
        if not any(
            self.cell(index) == "-" and index + 2 < self.size and self.cell(index + 2) == "-" for index in self.kind
        ):
            return
        for row in range(self.rows):
            offset = row * self.columns
            text = "".join(cell[:1] or "\0" for cell in self.grid.cells[offset : offset + self.columns])
            for match in SPACED_DASHES.finditer(text):
                for column in range(match.start(), match.end()):
                    index = offset + column
                    self.dashed_cells.add(index)
                    if text[column] == " ":
                        self.gaps.add(index)
                        self.kind[index], self.wants[index] = H_LINE, E | W

    def _runs(self) -> dict[str, list[list[int]]]:
        """Maximal runs of the same ASCII line character: horizontal, vertical and slanted."""
        found: dict[str, list[list[int]]] = {H_LINE: [], V_LINE: [], SLANT: []}
        seen: set[tuple[str, int]] = set()
        steps = {H_LINE: (W, E), V_LINE: (N, S)}
        for index in sorted(self.kind):
            kind = self.kind[index]
            if kind not in found or (kind, index) in seen:
                continue
            char = self.cell(index)
            if kind == SLANT:
                back, ahead = (SW, NE) if char == "/" else (NW, SE)
            else:
                back, ahead = steps[kind]
            if self.cell(self.neighbour(index, back)) == char and self.neighbour(index, back) >= 0:
                continue  # not the start of the run
            run = [index]
            following = self.neighbour(index, ahead)
            while following >= 0 and self.cell(following) == char:
                run.append(following)
                following = self.neighbour(following, ahead)
            seen.update((kind, member) for member in run)
            found[kind].append(run)
        return found

    def _arms(self, index: int) -> int:
        mask = 0
        kind = self.kind[index]
        for direction in bits(self.wants[index]):
            other = self.neighbour(index, direction)
            if other < 0 or other not in self.active or not self.wants[other] & OPPOSITE[direction]:
                continue
            if direction & ~ORTHOGONAL and not {kind, self.kind[other]} & {SLANT, GLYPH}:
                continue  # corners meet slanted lines, not each other: `+` beside `+` one row down
            mask |= direction
        return mask

    def _attached(self, index: int, toward: int, arms: dict[int, int]) -> str:
        """How the cell at `index` holds a line coming from direction `toward`: "strong", "arrow" or ""."""
        if index < 0 or index not in self.active or not arms.get(index, 0) & toward:
            return ""
        return "arrow" if self.kind[index] in ARROW_KINDS else "strong"

    def _failing(self, arms: dict[int, int], runs: dict[str, list[list[int]]]) -> set[int]:
        dropped: set[int] = set()
        for run in runs[H_LINE]:
            if run[0] not in self.active:
                continue
            left, right = self.neighbour(run[0], W), self.neighbour(run[-1], E)
            holds = {self._attached(left, E, arms), self._attached(right, W, arms)}
            free = len(run) >= 3 and not self.wordy(left) and not self.wordy(right)
            if not ("strong" in holds or ("arrow" in holds and len(run) >= 2) or free):
                dropped.update(run)
        for run in runs[V_LINE]:
            if run[0] not in self.active:
                continue
            above, below = self.neighbour(run[0], N), self.neighbour(run[-1], S)
            holds = {self._attached(above, S, arms), self._attached(below, N, arms)}
            if self.cell(run[0]) == ":":  # a dashed line only in a column of its own: not `key:` or `:=`
                keep = (len(run) >= 2 or "strong" in holds) and not any(
                    self.wordy(self.neighbour(i, W)) or self.cell(self.neighbour(i, E)) not in (BLANK, "-", "=")
                    for i in run
                )
            else:
                keep = len(run) >= 2 or bool(holds - {""})
            if not keep:
                dropped.update(run)
        for index in self.active:
            kind = self.kind[index]
            if kind not in ASCII_KINDS:
                continue
            mask = arms[index]
            if kind == JOINT:
                count = bin(mask).count("1")
                if count == 0 or (count == 1 and not self._long_neighbour(index, mask)):
                    dropped.add(index)
            elif kind == CORNER:
                vertical = S if self.cell(index) == "." else N
                if not (mask & (E | W) and mask & vertical):
                    dropped.add(index)
            elif kind == ARROW:
                pointing = self.pointing[index]
                across = [self.neighbour(index, side) for side in bits(PERPENDICULAR[pointing])]
                if not mask & OPPOSITE[pointing] or (pointing in (N, S) and any(self.wordy(side) for side in across)):
                    dropped.add(index)
            elif kind == SLANT and (
                not mask
                or any(
                    self.wordy(side) or self.cell(side) in "/\\"
                    for side in (self.neighbour(index, E), self.neighbour(index, W))
                )
                or (
                    self.run_length.get(index, 1) < 2
                    and not any(self.kind.get(self.neighbour(index, d)) in (JOINT, GLYPH) for d in bits(mask))
                )
            ):
                dropped.add(index)  # `//`, `a/b` and a lone slash are text
        return dropped

    def _long_neighbour(self, index: int, mask: int) -> bool:
        """Whether a `+` with a single arm holds a real line (two cells or more), not `+-5`."""
        other = self.neighbour(index, bits(mask)[0])
        kind = self.kind[other]
        if kind in (GLYPH, CORNER, V_LINE):
            return True
        return kind in (H_LINE, SLANT) and self.run_length.get(other, 1) >= 2

    # ---------------------------------------------------------------- 2. link

    def connect(self) -> None:
        for index in self.active:
            kind = self.kind[index]
            arms = self.arms[index]
            if kind in STRAIGHT_KINDS:
                self.drawn[index] = self.wants[index] | arms
            else:
                self.drawn[index] = arms
            self.link[index] = arms
        for index in sorted(self.active):
            kind = self.kind[index]
            if kind in ARROW_KINDS:
                pointing = self.pointing[index]
                if self.arms[index] & PERPENDICULAR[pointing]:
                    continue  # standing on a line: the tip is on that line already
                loose = pointing
            else:
                loose = self.drawn[index] & ~self.arms[index] & ORTHOGONAL
            for direction in bits(loose):
                other = self.neighbour(index, direction)
                if other in self.active and self.drawn[other] & PERPENDICULAR[direction]:
                    self.touch.add((index, other))
                    self.link[index] |= direction
                    self.link[other] |= OPPOSITE[direction]
        for index in self.active:
            self.stubs[index] = self.drawn[index] & ~self.link[index]

    # ---------------------------------------------------------------- 3. boxes

    def boxes(self) -> list[tuple[int, int, int, int]]:
        # An arrowhead is part of a box side only where it stands across it (`+--v--+`).
        self.box_link = {
            index: mask & ~(self.pointing[index] | OPPOSITE[self.pointing[index]])
            if self.kind[index] in ARROW_KINDS
            else mask
            for index, mask in self.link.items()
        }
        link = self.box_link
        columns = self.columns
        found: list[tuple[int, int, int, int]] = []
        for corner in sorted(self.active):
            if link[corner] & (E | S) != E | S:
                continue
            top, left = divmod(corner, columns)
            box = self._box_from(top, left)
            if box is not None:
                found.append(box)
        return found

    def _box_from(self, top: int, left: int) -> tuple[int, int, int, int] | None:
        link = self.box_link
        columns = self.columns
        right = left + 1
        while right < columns and link.get(top * columns + right, 0) & W:
            if link[top * columns + right] & S:
                bottom = top + 1
                while bottom < self.rows and link.get(bottom * columns + right, 0) & N:
                    if link[bottom * columns + right] & W and self._closes(top, left, bottom, right):
                        return top, left, bottom, right
                    if not link[bottom * columns + right] & S:
                        break
                    bottom += 1
            if not link[top * columns + right] & E:
                break
            right += 1
        return None

    def _closes(self, top: int, left: int, bottom: int, right: int) -> bool:
        link = self.box_link
        columns = self.columns
        if link.get(bottom * columns + left, 0) & (N | E) != N | E:
            return False
        if any(not link.get(bottom * columns + column, 0) & E for column in range(left, right)):
            return False
        return all(link.get(row * columns + left, 0) & N for row in range(top + 1, bottom + 1))

    def box_style(self, box: tuple[int, int, int, int]) -> DiagramBoxStyle:
        """Dashed or double when two sides or more are; rounded when all four corners are."""
        top, left, bottom, right = box
        columns = self.columns
        glyphs = line_glyphs()
        sides = [
            [top * columns + column for column in range(left + 1, right)],
            [bottom * columns + column for column in range(left + 1, right)],
            [row * columns + left for row in range(top + 1, bottom)],
            [row * columns + right for row in range(top + 1, bottom)],
        ]

        def mostly(cells: list[int], test: Callable[[int], bool]) -> bool:
            strokes = [index for index in cells if self.kind[index] in STRAIGHT_KINDS]
            return bool(strokes) and 2 * sum(1 for index in strokes if test(index)) >= len(strokes)

        def double(index: int) -> bool:
            char = self.cell(index)
            return char == "=" or (char in glyphs and glyphs[char].double)

        if sum(1 for side in sides if mostly(side, self._is_dashed)) >= 2:
            return "dashed"
        if sum(1 for side in sides if mostly(side, double)) >= 2:
            return "double"
        corners = [self.grid.at(row, column) for row in (top, bottom) for column in (left, right)]
        if all(char in ".'" or (char in glyphs and glyphs[char].rounded) for char in corners):
            return "rounded"
        return "single"

    # ---------------------------------------------------------------- 4. paths

    def paths(self, boxes: list[tuple[int, int, int, int]]) -> list[DiagramPath]:
        columns = self.columns
        base = dict(self.link)
        for top, left, bottom, right in boxes:
            for column in range(left, right):
                self._unlink(base, top * columns + column, E)
                self._unlink(base, bottom * columns + column, E)
            for row in range(top, bottom):
                self._unlink(base, row * columns + left, S)
                self._unlink(base, row * columns + right, S)
        remaining = dict(base)
        traced: list[list[int]] = []
        degree = {index: bin(mask).count("1") for index, mask in base.items()}
        starts = sorted(index for index, count in degree.items() if count == 1)
        starts += sorted(index for index, count in degree.items() if count >= 3)
        starts += sorted(index for index, count in degree.items() if count == 2)
        for start in starts:
            for direction in DIRECTIONS:
                if remaining.get(start, 0) & direction:
                    traced.append(self._walk(start, direction, remaining, degree))
        used_stubs: dict[int, int] = {}
        paths = [self._path(cells, used_stubs) for cells in traced]
        for index in sorted(self.stubs):
            loose = self.stubs[index] & ~used_stubs.get(index, 0)
            while loose:
                direction = bits(loose)[0]
                pair = loose & OPPOSITE[direction]
                loose &= ~(direction | pair)
                centre = self._centre(index)
                begin = _shift(centre, OPPOSITE[direction], 0.5) if pair else centre
                paths.append(DiagramPath((begin, _shift(centre, direction, 0.5)), False, False, self._dashed([index])))
        return paths

    def _unlink(self, links: dict[int, int], index: int, direction: int) -> None:
        other = self.neighbour(index, direction)
        links[index] = links.get(index, 0) & ~direction
        links[other] = links.get(other, 0) & ~OPPOSITE[direction]

    def _walk(self, start: int, direction: int, remaining: dict[int, int], degree: dict[int, int]) -> list[int]:
        cells = [start]
        current = start
        while True:
            following = self.neighbour(current, direction)
            remaining[current] &= ~direction
            remaining[following] &= ~OPPOSITE[direction]
            cells.append(following)
            if (current, following) in self.touch:
                break  # a line end or arrow tip touching the side of another line
            left = remaining[following]
            if degree[following] == 2 and left:
                direction = bits(left)[0]
            elif not (degree[following] >= 3 and left & direction):
                break
            current = following
        return cells

    def _centre(self, index: int) -> tuple[float, float]:
        row, column = divmod(index, self.columns)
        return column + 0.5, row + 0.5

    def _direction(self, source: int, target: int) -> int:
        source_row, source_column = divmod(source, self.columns)
        target_row, target_column = divmod(target, self.columns)
        step = (target_row - source_row, target_column - source_column)
        return next(direction for direction, offset in STEP.items() if offset == step)

    def _end(self, cells: list[int], used_stubs: dict[int, int]) -> tuple[list[tuple[float, float]], bool]:
        """The last points of a path ending in cells[-1] (a loose stroke there turning aside is kept on
        the path), and whether the end is an arrowhead."""
        last, before = cells[-1], cells[-2]
        outward = self._direction(before, last)
        centre = self._centre(last)
        if self.kind[last] in ARROW_KINDS and self.pointing[last] == outward:
            on_line = self.link[last] & PERPENDICULAR[outward]
            return [_shift(centre, outward, PASS_THROUGH_TIP if on_line else 0.5)], True
        if (before, last) in self.touch and self.kind[before] in ARROW_KINDS and self.pointing[before] == outward:
            return [centre], True
        loose = self.stubs[last] & ~used_stubs.get(last, 0)
        if loose & outward:
            used_stubs[last] = used_stubs.get(last, 0) | outward
            return [_shift(centre, outward, 0.5)], False
        aside = loose & PERPENDICULAR[outward]
        if len(bits(aside)) == 1:
            used_stubs[last] = used_stubs.get(last, 0) | aside
            return [centre, _shift(centre, aside, 0.5)], False
        return [centre], False

    def _path(self, cells: list[int], used_stubs: dict[int, int]) -> DiagramPath:
        start, start_arrow = self._end(cells[::-1], used_stubs)
        end, end_arrow = self._end(cells, used_stubs)
        points = start[::-1]
        for previous, current, following in zip(cells, cells[1:], cells[2:], strict=False):
            if self._direction(previous, current) != self._direction(current, following):
                points.append(self._centre(current))
        points.extend(end)
        if (start_arrow and not end_arrow) or (start_arrow == end_arrow and _yx(points[-1]) < _yx(points[0])):
            points.reverse()
            start_arrow, end_arrow = end_arrow, start_arrow
        return DiagramPath(tuple(points), start_arrow, end_arrow, self._dashed(cells))

    def _is_dashed(self, index: int) -> bool:
        char = self.cell(index)
        glyph = line_glyphs().get(char)
        return index in self.dashed_cells or char in DASHED_ASCII or (glyph is not None and glyph.dashed)

    def _dashed(self, cells: list[int]) -> bool:
        strokes = [index for index in cells if self.kind[index] in STRAIGHT_KINDS]
        return bool(strokes) and 2 * sum(1 for index in strokes if self._is_dashed(index)) > len(strokes)

    # ---------------------------------------------------------------- 5. labels

    def labels(self) -> list[DiagramLabel]:
        """Runs of text cells in each row, words joined across single spaces."""
        found: list[DiagramLabel] = []
        cells = self.grid.cells
        marks = ["x"] * len(cells)  # "x" text, " " blank, "|" a stroke
        for index, cell in enumerate(cells):
            if cell == BLANK:
                marks[index] = " "
        for index in self.active:
            marks[index] = "|"
        for row in range(self.rows):
            offset = row * self.columns
            for match in LABEL_RUN.finditer("".join(marks[offset : offset + self.columns])):
                start, end = match.span()
                text = "".join(cells[offset + start : offset + end])
                found.append(DiagramLabel(row, start, text, end - start))
        return found

    # ---------------------------------------------------------------- 6. confidence

    def tokens(self) -> dict[int, str]:
        """What each non-blank source cell shows: a stroke (by directions), an arrowhead, or a character."""
        found: dict[int, str] = {}
        for index, cell in enumerate(self.grid.cells):
            if cell == BLANK and index not in self.gaps:
                continue
            if index not in self.kind or index not in self.active:
                found[index] = "T" + cell
            elif self.kind[index] in ARROW_KINDS:
                found[index] = f"A{self.pointing[index]}"
            else:
                found[index] = f"L{self.drawn[index] | self.link[index]}"
        return found

    # ---------------------------------------------------------------- source checks

    def problems(self) -> list[Problem]:
        """Ragged spots: strokes that miss each other by one cell, corners turning into nothing,
        arrows pointing at nothing."""
        found: list[Problem] = []
        reported: set[frozenset[int]] = set()
        glyphs = line_glyphs()
        for index in sorted(self.active):
            row, column = divmod(index, self.columns)
            char = self.cell(index)
            kind = self.kind[index]
            if kind in ARROW_KINDS:
                if self.arms[index] & OPPOSITE[self.pointing[index]] and self._points_at_nothing(index):
                    found.append((row, column + 1, f"arrow '{char}' points at nothing"))
                continue
            loose = self.stubs[index] & ORTHOGONAL
            if kind == JOINT and bin(self.link[index]).count("1") == 1:
                loose = PERPENDICULAR[self.link[index]]  # a corner that turns nowhere
            for direction in bits(loose):
                miss = self._near_miss(index, direction)
                if miss is not None:
                    if frozenset((index, miss)) not in reported:
                        reported.add(frozenset((index, miss)))
                        found.append((row, column + 1, self._miss_message(index, miss, direction)))
                elif kind == GLYPH and _turns(glyphs[char].wants):
                    message = f"'{char}' has a line going {DIRECTION_NAMES[direction]} to nothing"
                    found.append((row, column + 1, message))
        for source, target in sorted(self.touch):
            corner = self._corner_beside(source, target)
            if corner is not None and frozenset((source, corner)) not in reported:
                reported.add(frozenset((source, corner)))
                row, column = divmod(source, self.columns)
                direction = self._direction(source, target)
                found.append((row, column + 1, self._miss_message(source, corner, direction)))
        return sorted(found)

    def _corner_beside(self, source: int, target: int) -> int | None:
        """A corner next to where a line end touches the side of another line, turning toward nothing:
        the line was meant to end at that corner (`|` over `-+` one column short)."""
        if self.kind[source] in ARROW_KINDS:
            return None
        direction = self._direction(source, target)
        for side in bits(PERPENDICULAR[direction]):
            corner = self.neighbour(target, side)
            if (
                corner in self.active
                and self.kind[corner] in (JOINT, CORNER, GLYPH)
                and self.link[corner] == OPPOSITE[side]
                and self.neighbour(corner, OPPOSITE[direction]) not in self.active
            ):
                return corner
        return None

    def _points_at_nothing(self, index: int) -> bool:
        pointing = self.pointing[index]
        if self.link[index] & PERPENDICULAR[pointing]:
            return False  # it stands on the side of a box or line
        current = index
        for _ in range(8):
            current = self.neighbour(current, pointing)
            if current < 0:
                return True
            if self.cell(current) != BLANK:
                return False
        return True

    def _near_miss(self, index: int, direction: int) -> int | None:
        """A stroke beside the blank cell this loose end points into, one cell off, that wants to meet it."""
        target = self.neighbour(index, direction)
        if target < 0 or target in self.active:
            return None
        for side in bits(PERPENDICULAR[direction]):
            other = self.neighbour(target, side)
            if (
                other >= 0
                and self.wants.get(other, 0) & OPPOSITE[direction]
                and not self.link.get(other, 0) & OPPOSITE[direction]
                and self.kind[other] not in ARROW_KINDS
            ):
                return other
        return None

    def _miss_message(self, index: int, other: int, direction: int) -> str:
        row, column = divmod(index, self.columns)
        other_row, other_column = divmod(other, self.columns)
        char, other_char = self.cell(index), self.cell(other)
        if direction in (N, S):
            where = "below" if direction == S else "above"
            side = "right" if other_column > column else "left"
            return f"'{char}' does not meet the '{other_char}' {where} it, which is one column to the {side}"
        where = "right" if direction == E else "left"
        side = "down" if other_row > row else "up"
        return f"'{char}' does not meet the '{other_char}' to its {where}, which is one row {side}"


def _turns(wants: int) -> bool:
    return wants not in (N | S, E | W)


def _shift(point: tuple[float, float], direction: int, amount: float) -> tuple[float, float]:
    step_row, step_column = STEP[direction]
    return point[0] + step_column * amount, point[1] + step_row * amount


def _yx(point: tuple[float, float]) -> tuple[float, float]:
    return point[1], point[0]


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


def recognize(lines: Sequence[str]) -> Recognition:
    """Recognises the drawing in diagram lines (as in `Diagram.lines`: tabs expanded)."""
    grid = make_grid(lines)
    if grid.rows == 0 or grid.columns == 0:
        return Recognition(None, "empty", None, ())
    analysis = _Analysis(grid)
    analysis.classify()
    analysis.connect()
    boxes = analysis.boxes()
    paths = analysis.paths(boxes)
    labels = analysis.labels()
    shapes = DiagramDrawing(
        tuple(DiagramBox(*box, analysis.box_style(box)) for box in sorted(boxes)),
        tuple(sorted(paths, key=_path_key)),
        tuple(labels),
        grid.rows,
        grid.columns,
    )
    problems = tuple(analysis.problems())
    reason = _fallback_reason(lines, analysis, shapes)
    return Recognition(None if reason else shapes, reason, shapes, problems)


def _path_key(path: DiagramPath) -> tuple[object, ...]:
    return tuple(_yx(point) for point in path.points), path.start_arrow, path.end_arrow, path.dashed


def _fallback_reason(lines: Sequence[str], analysis: _Analysis, shapes: DiagramDrawing) -> str:
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
    source = analysis.tokens()
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


def convert(lines: Sequence[str]) -> DiagramDrawing | None:
    """The drawing when the diagram passes the round trip, else None (keep the monospace grid)."""
    return recognize(lines).drawing


def check(lines: Sequence[str]) -> list[Problem]:
    """Ragged spots of a diagram, as (row from 0, column from 1, message)."""
    return list(recognize(lines).problems)


__all__ = ["Problem", "Recognition", "check", "convert", "recognize"]
