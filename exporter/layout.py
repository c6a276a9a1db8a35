"""Shared layout decisions: which code blocks are diagrams, and table column weights."""

from __future__ import annotations

import re

from exporter.cells import display_width
from exporter.tree import TableCell, plain_text

DIAGRAM_LANGUAGES = frozenset({"", "ascii", "diagram", "svgbob", "text", "txt", "plain", "plaintext"})
DIAGRAM_TAB_SIZE = 8
BOX_DRAWING = re.compile(r"[\u2500-\u257f]")
ARROWS = re.compile(r"[\u25b2\u25b6\u25bc\u25c0\u25ba\u25c4\u2190-\u2193]")
ASCII_BOX_EDGE = re.compile(r"[+.'][-=]{2,}[+.']")
ASCII_ARROW = re.compile(r"-{2,}>|<-{2,}|-{2,}\+|\|\s*$")


def is_diagram(text: str, language: str) -> bool:
    """Whether a code block draws a picture with box-drawing or ASCII art, to keep on a strict grid."""
    if language not in DIAGRAM_LANGUAGES or not text.strip():
        return False
    if len(BOX_DRAWING.findall(text)) >= 6:
        return True
    if len(BOX_DRAWING.findall(text)) + len(ARROWS.findall(text)) >= 3 and len(text.splitlines()) >= 2:
        return True
    edges = sum(1 for line in text.splitlines() if ASCII_BOX_EDGE.search(line))
    return edges >= 2 and any("|" in line for line in text.splitlines())


def diagram_lines(text: str) -> tuple[tuple[str, ...], int]:
    """The diagram's lines with tabs expanded, and its width in display cells."""
    lines = tuple(line.rstrip().expandtabs(DIAGRAM_TAB_SIZE) for line in text.split("\n"))
    return lines, max((display_width(line) for line in lines), default=0)


def column_weights(header: tuple[TableCell, ...], rows: tuple[tuple[TableCell, ...], ...]) -> tuple[float, ...]:
    """Relative column widths from content: long prose gets room, short codes stay narrow."""
    count = len(header)
    if count == 0:
        return ()
    desired: list[float] = []
    for column in range(count):
        cells = [header[column], *(row[column] for row in rows if column < len(row))]
        texts = [plain_text(cell.children).strip() for cell in cells]
        longest_cell = max((display_width(text) for text in texts), default=0)
        longest_word = max((display_width(word) for text in texts for word in text.split()), default=0)
        desired.append(max(3.0, min(float(longest_word), 24.0), min(float(longest_cell), 48.0) ** 0.9))
    total = sum(desired)
    return tuple(round(value / total, 4) for value in desired)
