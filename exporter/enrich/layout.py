"""Shared layout decisions: which code blocks are diagrams, and table column weights."""

from __future__ import annotations

import re
from functools import lru_cache
from itertools import pairwise

from exporter.diagram.recognize import STROKE_TEXT, Recognition, recognize
from exporter.diagram.redraw import cell_tokens
from exporter.model.limits import Limits
from exporter.model.text_width import display_width
from exporter.model.tree import DiagramDrawing, TableCell, TableFit, plain_text

# Fences kept on an exact grid when their content draws; `no-diagram` and the plain-text
# languages stay on the grid, only the DRAWING_LANGUAGES convert to vector graphics.
DIAGRAM_LANGUAGES = frozenset({"", "ascii", "diagram", "svgbob", "text", "txt", "plain", "plaintext", "no-diagram"})
DRAWING_LANGUAGES = frozenset({"", "ascii", "diagram", "svgbob"})
DIAGRAM_TAB_SIZE = 8
MIN_STROKE_SHARE = 0.1  # an ASCII drawing without box-drawing characters is at least this much line
BOX_DRAWING = re.compile(r"[\u2500-\u257f]")
ARROWS = re.compile(r"[\u25b2\u25b6\u25bc\u25c0\u25ba\u25c4\u2190-\u2193]")
# Characters a diagram draws with; how many of them a diagram has is what recognising it costs.
NOT_STROKE = re.compile("[^" + "".join(sorted(re.escape(char) for char in (*STROKE_TEXT, ".", "v", "V"))) + "]+")
DEFAULT_MAX_STROKES = Limits().diagram_strokes
ASCII_BOX_EDGE = re.compile(r"[+.'][-=]{2,}[+.']")
# A run of dashes is tried from its first character only (the lookbehinds): tried from every one, a
# 100 KB line of dashes took minutes, each start scanning to the end of the run.
ASCII_LINE_ENDS = re.compile(r"(?<!-)-{2,}+>|<-{2,}|[+.'][-=]{2,}|(?<![-=])[-=]{2,}+[+.']|[+.']- -")


def is_diagram(text: str, language: str, max_strokes: int = DEFAULT_MAX_STROKES) -> bool:
    """Whether a code block draws a picture with box-drawing or ASCII art, to keep on a strict grid.

    ASCII art without box edges is recognised to decide; past `max_strokes` it is taken for code."""
    if language not in DIAGRAM_LANGUAGES or not text.strip():
        return False
    if len(BOX_DRAWING.findall(text)) >= 6:
        return True
    if len(BOX_DRAWING.findall(text)) + len(ARROWS.findall(text)) >= 3 and len(text.splitlines()) >= 2:
        return True
    edges = sum(1 for line in text.splitlines() if ASCII_BOX_EDGE.search(line))
    if edges >= 2 and any("|" in line for line in text.splitlines()):
        return True
    if len(ASCII_LINE_ENDS.findall(text)) < 2:
        return False  # most code: not worth recognising
    if stroke_count(text) > max_strokes:
        return False
    return _draws_in_ascii(recognize_diagram(diagram_lines(text)[0]).drawing)


def _draws_in_ascii(drawing: DiagramDrawing | None) -> bool:
    """An ASCII drawing without box edges, such as a graph of `-->` arrows: it must be two-dimensional
    (a box, or a line that is not horizontal), carry two arrows, and be mostly line, not code with a comment arrow."""
    if drawing is None:
        return False
    arrows = sum(path.start_arrow + path.end_arrow for path in drawing.paths)
    upright = any(start[0] != end[0] for path in drawing.paths for start, end in pairwise(path.points))
    if not (drawing.boxes or (arrows >= 2 and upright)):
        return False
    tokens = cell_tokens(drawing).values()
    strokes = sum(1 for token in tokens if not token.startswith("T"))
    return strokes >= MIN_STROKE_SHARE * len(tokens)


def stroke_count(text: str) -> int:
    """How many characters of `text` could be part of a drawing's lines, boxes and arrows."""
    return len(NOT_STROKE.sub("", text))


def converts_to_drawing(language: str) -> bool:
    """Whether a diagram fence of this language may become vector graphics (`text`, `no-diagram` never do)."""
    return language in DRAWING_LANGUAGES


@lru_cache(maxsize=32)
def _recognize_cached(lines: tuple[str, ...]) -> Recognition:
    return recognize(lines)


def recognize_diagram(lines: tuple[str, ...]) -> Recognition:
    """The recognised drawing of diagram lines (from `diagram_lines`), computed once per text."""
    return _recognize_cached(lines)


def diagram_lines(text: str) -> tuple[tuple[str, ...], int]:
    """The diagram's lines with tabs expanded, and its width in display cells."""
    lines = tuple(line.rstrip().expandtabs(DIAGRAM_TAB_SIZE) for line in text.split("\n"))
    return lines, max((display_width(line) for line in lines), default=0)


TEXT_WIDTH_CHARACTERS = 90  # characters of body text across a portrait page
LONGEST_UNBROKEN_WORD = 24  # longer words (URLs, identifiers) break rather than widen a column


def column_weights(header: tuple[TableCell, ...], rows: tuple[tuple[TableCell, ...], ...]) -> tuple[float, ...]:
    """Relative column widths, as a browser's automatic table layout would choose them.

    Each column needs its longest word; columns whose content wants more share the rest of
    the width in proportion to how much more they want.
    """
    count = len(header)
    if count == 0:
        return ()
    minimums: list[float] = []
    naturals: list[float] = []
    for column in range(count):
        texts = [plain_text(cell.children).strip() for cell in (header[column], *(row[column] for row in rows))]
        longest_word = max((display_width(word) for text in texts for word in text.split()), default=0)
        minimum = float(max(3, min(longest_word, LONGEST_UNBROKEN_WORD)))
        minimums.append(minimum)
        naturals.append(max(minimum, float(max(display_width(text) for text in texts))))
    if sum(naturals) <= TEXT_WIDTH_CHARACTERS:
        widths = naturals
    elif sum(minimums) >= TEXT_WIDTH_CHARACTERS:
        widths = minimums
    else:
        spare = TEXT_WIDTH_CHARACTERS - sum(minimums)
        wants = [natural - minimum for natural, minimum in zip(naturals, minimums, strict=True)]
        widths = [minimum + spare * want / sum(wants) for minimum, want in zip(minimums, wants, strict=True)]
    total = sum(widths)
    return tuple(round(width / total, 4) for width in widths)


COMPACT_CAPACITY_CHARACTERS = 125  # characters across the text width at the smallest table font
COMPACT_FROM_COLUMNS = 6


def table_fit(header: tuple[TableCell, ...], rows: tuple[tuple[TableCell, ...], ...]) -> TableFit:
    """Normal, compact (smaller font) or landscape, from the room the columns' longest words need."""
    texts_by_column = [
        [plain_text(cell.children) for cell in (header[column], *(row[column] for row in rows))]
        for column in range(len(header))
    ]
    needed = sum(
        2 + max(3, max((display_width(word) for text in texts for word in text.split()), default=0))
        for texts in texts_by_column
    )
    widest_row = max(
        (sum(display_width(plain_text(cell.children)) for cell in row) for row in (header, *rows)), default=0
    )
    if needed > COMPACT_CAPACITY_CHARACTERS:
        return "landscape"
    if needed > TEXT_WIDTH_CHARACTERS or len(header) >= COMPACT_FROM_COLUMNS or widest_row > 3 * TEXT_WIDTH_CHARACTERS:
        return "compact"
    return "normal"
