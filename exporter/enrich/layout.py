"""Shared layout decisions: which code blocks are diagrams (tables: enrich/tables.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise

from exporter.diagram.recognize import STROKE_TEXT, Recognition, recognize
from exporter.diagram.redraw import cell_tokens
from exporter.model.limits import Limits
from exporter.model.text_width import display_width
from exporter.model.tree import DiagramDrawing

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


# ---------------------------------------------------------------- prose around a drawing

# A line draws when it has a box-drawing character, an arrow, a `|`, or an ASCII edge or line end.
DRAWING_LINE = re.compile(f"{BOX_DRAWING.pattern}|{ARROWS.pattern}|[|]" + r"|[+.'][-=]{2}|[-=]{2}[+.'>]|<[-=]{2}")
PROSE_WORD = re.compile(r"[^\W\d_]{2,}")
PROSE_WORDS = 4  # a line with this many words reads as a sentence, not a label


@dataclass(frozen=True, slots=True)
class FencePart:
    """A piece of a fence: lines of prose, or the lines of a drawing (with the blank lines inside it)."""

    offset: int  # the part's first line, counted from the fence's first text line
    text: str
    prose: bool


def fence_parts(text: str, language: str, max_strokes: int = DEFAULT_MAX_STROKES) -> tuple[FencePart, ...]:
    """A diagram fence split into its drawing and the prose around it: paragraphs (runs of lines between blank
    lines) at the top, the bottom or between two drawings that draw nothing and have a line of prose. A fence
    that is not a drawing, or has no such paragraph, is one part."""
    whole = (FencePart(0, text, prose=False),)
    if not converts_to_drawing(language) or not is_diagram(text, language, max_strokes):
        return whole
    lines = text.split("\n")
    paragraphs: list[tuple[int, int]] = []  # [start, end) of each run of non-blank lines
    for index, line in enumerate(lines):
        if not line.strip():
            continue
        if paragraphs and paragraphs[-1][1] == index:
            paragraphs[-1] = (paragraphs[-1][0], index + 1)
        else:
            paragraphs.append((index, index + 1))
    prose = [_is_prose(lines[start:end]) for start, end in paragraphs]
    if not any(prose) or all(prose):
        return whole
    parts: list[FencePart] = []
    drawing_start: int | None = None  # the first paragraph of the drawing being gathered
    for number, ((start, end), is_prose) in enumerate(zip(paragraphs, prose, strict=True)):
        if not is_prose:
            drawing_start = number if drawing_start is None else drawing_start
            continue
        if drawing_start is not None:
            parts.append(_drawing_part(lines, paragraphs[drawing_start][0], paragraphs[number - 1][1]))
            drawing_start = None
        parts.append(FencePart(start, "\n".join(lines[start:end]), prose=True))
    if drawing_start is not None:
        parts.append(_drawing_part(lines, paragraphs[drawing_start][0], paragraphs[-1][1]))
    return tuple(parts)


def _drawing_part(lines: list[str], start: int, end: int) -> FencePart:
    return FencePart(start, "\n".join(lines[start:end]), prose=False)


def _is_prose(lines: list[str]) -> bool:
    """Lines that draw nothing, one of them a sentence rather than a label."""
    if any(DRAWING_LINE.search(line) for line in lines):
        return False
    return any(len(PROSE_WORD.findall(line)) >= PROSE_WORDS for line in lines)
