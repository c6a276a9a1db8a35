"""Which cells of a text diagram draw, and how neighbouring strokes join (steps 1 and 2 of recognising it).

1. Classify cells. Box-drawing characters always draw. ASCII `- = | : + . ' / \\ < > ^ v` draw
   only in context: a run of `-` must be long enough or hang off a corner, `|` must continue
   vertically or meet a corner, `v` must sit under a line, and so on; whatever is left is text.
   The rules are applied until nothing changes, so `co-edit`, `a.to(b)`, `product_id` and a
   lone `v` stay words.
2. Link neighbouring strokes that want each other; a line end that runs into the side of a
   perpendicular line touches it (the gap a monospace font leaves is closed). An arrowhead at the
   end of a slanted line (`\\` then `v`) points along the slant, and touches the line it runs into.
"""

from __future__ import annotations

import re

from exporter.diagram.grid import (
    ARROW_GLYPHS,
    ASCII_ARROWS,
    BESIDE,
    BLANK,
    CROSSING,
    DASHED_ASCII,
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
)

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

SPACED_DASHES = re.compile(r"(?<=[+.'])-(?: -)+(?=[+.'])")

Runs = dict[str, list[list[int]]]  # maximal runs of one ASCII line character, by kind


class Strokes:
    """The drawing cells of one diagram and how they join; cells are indexed row * columns + column.

    `wants` are the directions a cell's character can draw in, `arms` those a neighbour answers,
    `drawn` what the cell draws, `link` what joins it to a neighbour (touches included) and `stubs`
    what it draws into nothing. Filled in by `find_strokes`.
    """

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
        self.gaps: set[int] = set()  # blank cells of a `- - -` line
        self.dashed_cells: set[int] = set()

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

    def centre(self, index: int) -> tuple[float, float]:
        row, column = divmod(index, self.columns)
        return column + 0.5, row + 0.5

    def direction(self, source: int, target: int) -> int:
        """The direction of the step from one cell to its neighbour."""
        source_row, source_column = divmod(source, self.columns)
        target_row, target_column = divmod(target, self.columns)
        step = (target_row - source_row, target_column - source_column)
        return next(direction for direction, offset in STEP.items() if offset == step)

    def is_dashed(self, index: int) -> bool:
        char = self.cell(index)
        glyph = line_glyphs().get(char)
        return index in self.dashed_cells or char in DASHED_ASCII or (glyph is not None and glyph.dashed)

    def dashed(self, cells: list[int]) -> bool:
        """Whether most of the line cells among `cells` are dashed."""
        strokes = [index for index in cells if self.kind[index] in STRAIGHT_KINDS]
        return bool(strokes) and 2 * sum(1 for index in strokes if self.is_dashed(index)) > len(strokes)


def find_strokes(grid: Grid) -> Strokes:
    """The cells of the grid that draw, classified and linked."""
    strokes = Strokes(grid)
    _Classifier(strokes).classify()
    _link(strokes)
    return strokes


class _Classifier:
    """Step 1: which cells draw. ASCII cells are dropped until every one left holds a real line."""

    def __init__(self, strokes: Strokes) -> None:
        self.strokes = strokes
        self.run_length: dict[int, int] = {}

    def classify(self) -> None:
        strokes = self.strokes
        self._kinds()
        self._dashed_runs()
        # An arrowhead standing on a line across its direction (`+--v--+`) carries that line through.
        for index, pointing in strokes.pointing.items():
            across = PERPENDICULAR[pointing]
            beside = {side: strokes.neighbour(index, side) for side in bits(across)}
            if all(strokes.wants.get(other, 0) & OPPOSITE[side] for side, other in beside.items()) and all(
                strokes.kind.get(other) not in ARROW_KINDS for other in beside.values()
            ):
                strokes.wants[index] |= across
        strokes.active = set(strokes.kind)
        runs = self._runs()
        self.run_length = {index: len(run) for group in runs.values() for run in group for index in run}
        arms = {index: self._arms(index) for index in strokes.active}
        while True:
            dropped = self._failing(arms, runs)
            if not dropped:
                break
            strokes.active -= dropped
            for index in dropped:
                del arms[index]
            for index in {strokes.neighbour(index, direction) for index in dropped for direction in DIRECTIONS}:
                if index in strokes.active:
                    arms[index] = self._arms(index)
        strokes.arms = arms
        self._aim_arrows()

    def _aim_arrows(self) -> None:
        """An arrowhead ending a slanted line (`\\` then `v`) points along it. One that a straight line ends too,
        or two slanted lines, keeps its own direction and lets the slanted ones go (they end in loose strokes)."""
        strokes = self.strokes
        for index in sorted(strokes.active):
            if strokes.kind[index] not in ARROW_KINDS:
                continue
            tail = OPPOSITE[strokes.pointing[index]]
            slanted = strokes.arms[index] & BESIDE[tail]
            if not slanted:
                continue
            if strokes.arms[index] & tail or len(bits(slanted)) > 1:
                strokes.arms[index] &= ~slanted
                for direction in bits(slanted):
                    strokes.arms[strokes.neighbour(index, direction)] &= ~OPPOSITE[direction]
            else:
                strokes.pointing[index] = OPPOSITE[slanted]

    def _kinds(self) -> None:
        """What each non-blank cell could draw, by its character alone."""
        strokes = self.strokes
        glyphs = line_glyphs()
        kind, wants = strokes.kind, strokes.wants
        for index, cell in enumerate(strokes.grid.cells):
            if cell == BLANK or len(cell) != 1:
                continue
            glyph = glyphs.get(cell)
            if glyph is not None:
                kind[index], wants[index] = GLYPH, glyph.wants
            elif cell in ARROW_GLYPHS:
                kind[index], strokes.pointing[index] = GLYPH_ARROW, ARROW_GLYPHS[cell]
                wants[index] = OPPOSITE[ARROW_GLYPHS[cell]] | BESIDE[OPPOSITE[ARROW_GLYPHS[cell]]]
            elif cell in "-=":
                kind[index], wants[index] = H_LINE, E | W
            elif cell in "|:":
                kind[index], wants[index] = V_LINE, N | S
            elif cell == "+":
                kind[index], wants[index] = JOINT, sum(DIRECTIONS)
            elif cell == ".":
                kind[index], wants[index] = CORNER, E | W | S
            elif cell == "'":
                kind[index], wants[index] = CORNER, E | W | N
            elif cell in ASCII_ARROWS:
                kind[index], strokes.pointing[index] = ARROW, ASCII_ARROWS[cell]
                wants[index] = OPPOSITE[ASCII_ARROWS[cell]] | BESIDE[OPPOSITE[ASCII_ARROWS[cell]]]
            elif cell == "/":
                kind[index], wants[index] = SLANT, NE | SW
            elif cell == "\\":
                kind[index], wants[index] = SLANT, SE | NW

    def _dashed_runs(self) -> None:
        """`+- - - -+`: dashes spaced out between two corners draw one dashed line; the gaps draw too."""
        strokes = self.strokes
        if not any(
            strokes.cell(index) == "-" and index + 2 < strokes.size and strokes.cell(index + 2) == "-"
            for index in strokes.kind
        ):
            return
        for row in range(strokes.rows):
            offset = row * strokes.columns
            text = "".join(cell[:1] or "\0" for cell in strokes.grid.cells[offset : offset + strokes.columns])
            for match in SPACED_DASHES.finditer(text):
                for column in range(match.start(), match.end()):
                    index = offset + column
                    strokes.dashed_cells.add(index)
                    if text[column] == " ":
                        strokes.gaps.add(index)
                        strokes.kind[index], strokes.wants[index] = H_LINE, E | W

    def _runs(self) -> Runs:
        """Maximal runs of the same ASCII line character: horizontal, vertical and slanted."""
        strokes = self.strokes
        found: Runs = {H_LINE: [], V_LINE: [], SLANT: []}
        seen: set[tuple[str, int]] = set()
        steps = {H_LINE: (W, E), V_LINE: (N, S)}
        for index in sorted(strokes.kind):
            kind = strokes.kind[index]
            if kind not in found or (kind, index) in seen:
                continue
            char = strokes.cell(index)
            if kind == SLANT:
                back, ahead = (SW, NE) if char == "/" else (NW, SE)
            else:
                back, ahead = steps[kind]
            if strokes.cell(strokes.neighbour(index, back)) == char and strokes.neighbour(index, back) >= 0:
                continue  # not the start of the run
            run = [index]
            following = strokes.neighbour(index, ahead)
            while following >= 0 and strokes.cell(following) == char:
                run.append(following)
                following = strokes.neighbour(following, ahead)
            seen.update((kind, member) for member in run)
            found[kind].append(run)
        return found

    def _arms(self, index: int) -> int:
        strokes = self.strokes
        mask = 0
        kind = strokes.kind[index]
        for direction in bits(strokes.wants[index]):
            other = strokes.neighbour(index, direction)
            if other < 0 or other not in strokes.active or not strokes.wants[other] & OPPOSITE[direction]:
                continue
            if direction & ~ORTHOGONAL and not {kind, strokes.kind[other]} & {SLANT, GLYPH}:
                continue  # corners meet slanted lines, not each other: `+` beside `+` one row down
            mask |= direction
        return mask

    def _attached(self, index: int, toward: int, arms: dict[int, int]) -> str:
        """How the cell at `index` holds a line coming from direction `toward`: "strong", "arrow" or ""."""
        if index < 0 or index not in self.strokes.active or not arms.get(index, 0) & toward:
            return ""
        return "arrow" if self.strokes.kind[index] in ARROW_KINDS else "strong"

    def _failing(self, arms: dict[int, int], runs: Runs) -> set[int]:
        """The active cells that do not hold a line, given the arms of the others."""
        dropped = self._failing_runs(arms, runs)
        for index in self.strokes.active:
            if self.strokes.kind[index] in ASCII_KINDS and self._fails_alone(index, arms[index]):
                dropped.add(index)
        return dropped

    def _failing_runs(self, arms: dict[int, int], runs: Runs) -> set[int]:
        """Runs of `-` too short to stand free and not held at either end; `|` and `:` runs likewise."""
        strokes = self.strokes
        dropped: set[int] = set()
        for run in runs[H_LINE]:
            if run[0] not in strokes.active:
                continue
            left, right = strokes.neighbour(run[0], W), strokes.neighbour(run[-1], E)
            holds = {self._attached(left, E, arms), self._attached(right, W, arms)}
            free = len(run) >= 3 and not strokes.wordy(left) and not strokes.wordy(right)
            if not ("strong" in holds or ("arrow" in holds and len(run) >= 2) or free):
                dropped.update(run)
        for run in runs[V_LINE]:
            if run[0] not in strokes.active:
                continue
            above, below = strokes.neighbour(run[0], N), strokes.neighbour(run[-1], S)
            holds = {self._attached(above, S, arms), self._attached(below, N, arms)}
            if strokes.cell(run[0]) == ":":  # a dashed line only in a column of its own: not `key:` or `:=`
                keep = (len(run) >= 2 or "strong" in holds) and not any(
                    strokes.wordy(strokes.neighbour(i, W))
                    or strokes.cell(strokes.neighbour(i, E)) not in (BLANK, "-", "=")
                    for i in run
                )
            else:
                keep = len(run) >= 2 or bool(holds - {""})
            if not keep:
                dropped.update(run)
        return dropped

    def _fails_alone(self, index: int, mask: int) -> bool:
        """Whether an ASCII cell with these arms draws nothing: a `+` or corner turning nowhere, an arrow
        pointing away from every line, a slash among words."""
        strokes = self.strokes
        kind = strokes.kind[index]
        if kind == JOINT:
            count = bin(mask).count("1")
            return count == 0 or (count == 1 and not self._long_neighbour(index, mask))
        if kind == CORNER:
            vertical = S if strokes.cell(index) == "." else N
            return not (mask & (E | W) and mask & vertical)
        if kind == ARROW:  # held by a line it ends, straight or (one) slanted
            pointing = strokes.pointing[index]
            across = [strokes.neighbour(index, side) for side in bits(PERPENDICULAR[pointing])]
            held = mask & OPPOSITE[pointing] or len(bits(mask & BESIDE[OPPOSITE[pointing]])) == 1
            return not held or (pointing in (N, S) and any(strokes.wordy(side) for side in across))
        if kind == SLANT:  # `//`, `a/b` and a lone slash are text
            return (
                not mask
                or any(
                    strokes.wordy(side) or strokes.cell(side) in "/\\"
                    for side in (strokes.neighbour(index, E), strokes.neighbour(index, W))
                )
                or (
                    self.run_length.get(index, 1) < 2
                    and not any(strokes.kind.get(strokes.neighbour(index, d)) in (JOINT, GLYPH) for d in bits(mask))
                )
            )
        return False

    def _long_neighbour(self, index: int, mask: int) -> bool:
        """Whether a `+` with a single arm holds a real line (two cells or more), not `+-5`."""
        other = self.strokes.neighbour(index, bits(mask)[0])
        kind = self.strokes.kind[other]
        if kind in (GLYPH, CORNER, V_LINE):
            return True
        return kind in (H_LINE, SLANT) and self.run_length.get(other, 1) >= 2


def _link(strokes: Strokes) -> None:
    """Step 2: what each drawing cell draws and joins; a loose end meeting the side of a line touches it."""
    for index in strokes.active:
        kind = strokes.kind[index]
        arms = strokes.arms[index]
        if kind in STRAIGHT_KINDS:
            strokes.drawn[index] = strokes.wants[index] | arms
        else:
            strokes.drawn[index] = arms
        strokes.link[index] = arms
    for index in sorted(strokes.active):
        kind = strokes.kind[index]
        if kind in ARROW_KINDS:
            pointing = strokes.pointing[index]
            if strokes.arms[index] & CROSSING[pointing]:
                continue  # standing on a line: the tip is on that line already
            loose = pointing
        else:
            loose = strokes.drawn[index] & ~strokes.arms[index] & ORTHOGONAL
        for direction in bits(loose):
            other = strokes.neighbour(index, direction)
            if other in strokes.active and strokes.drawn[other] & CROSSING[direction]:
                strokes.touch.add((index, other))
                strokes.link[index] |= direction
                strokes.link[other] |= OPPOSITE[direction]
    for index in strokes.active:
        strokes.stubs[index] = strokes.drawn[index] & ~strokes.link[index]
