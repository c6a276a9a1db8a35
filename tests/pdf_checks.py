"""Checks on exported PDFs shared by several test modules."""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path
from typing import Any

import pdfplumber
from pdfplumber.utils import extract_words

from exporter.model.tree import CodeBlock, Document, Table, block_inlines, plain_text, walk_blocks
from exporter.render.options import MARGIN_SIDE_PT

OVERFLOW_TOLERANCE_PT = 0.5
# The status watermark (80 pt, turned across the page) may cross the margins, not the page's edge.
WATERMARK_MIN_SIZE_PT = 60.0


def overflowing_characters(pdf_path: Path) -> list[str]:
    """Characters whose right edge passes the text area (the watermark's: the page), as `page N: 'x' at x1`."""
    problems: list[str] = []
    with pdfplumber.open(pdf_path) as pdf:
        for number, page in enumerate(pdf.pages, start=1):
            for char in page.chars:
                watermark = float(char["size"]) >= WATERMARK_MIN_SIZE_PT
                right_edge = float(page.width) - (0 if watermark else MARGIN_SIDE_PT) + OVERFLOW_TOLERANCE_PT
                if float(char["x1"]) > right_edge and not char["text"].isspace():
                    problems.append(f"page {number}: {char['text']!r} at {float(char['x1']):.1f} > {right_edge:.1f}")
    return problems


# ---------------------------------------------------------------- words broken inside table cells

LINE_TOLERANCE_PT = 2.5  # words whose middles are closer than this are on one line
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-"})


def _normalized(text: str) -> str:
    """NFKC, straight quotes, one kind of dash, no zero-width spaces, single spaces."""
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES).replace("\u200b", "")
    return " ".join(text.split())


def table_cell_texts(document: Document, *, keeping_words_whole: bool = False) -> list[str]:
    """The text of every table cell, blocks in cells included, one string per cell. `keeping_words_whole`:
    only the tables the layout keeps every word whole in (`Table.breaks == "words"`)."""
    texts: list[str] = []
    blocks = (*document.blocks, *(block for note in document.footnotes for block in note.children))
    for table in (block for block in walk_blocks(blocks) if isinstance(block, Table)):
        if keeping_words_whole and table.breaks != "words":
            continue
        for cell in (cell for row in (table.header, *table.rows) for cell in row if not cell.covered):
            parts = [plain_text(cell.children)]
            for block in walk_blocks(cell.blocks):
                parts.append(block.text if isinstance(block, CodeBlock) else plain_text(block_inlines(block)))
            texts.append("\n".join(parts))
    return texts


def broken_table_words(pdf_path: Path, cell_texts: list[str], fair_after: str = "-") -> list[str]:
    """Words of the given table cells that a tagged PDF (`--pdf-variant pdf/ua-1`, whose cells are `TD`/`TH`
    elements) splits across two lines of a cell, as `page N: 'Val|ue'`.

    A break between two lines of a cell is inside a word when the lines joined without a space are part of a
    cell's source text and joined with a space are not. Breaks after a character of `fair_after` and beside
    CJK characters (which break anywhere) are fair and not reported."""
    source = "\n".join(_normalized(text) for text in cell_texts)
    broken: list[str] = []
    with pdfplumber.open(pdf_path) as pdf:
        cells = [marks for element in pdf.structure_tree for marks in _table_cells(element)]
        assert cells or not source, f"{pdf_path.name} has no tagged table cells: export it with pdf/ua-1"
        chars: dict[tuple[int, int], list[dict[str, Any]]] = defaultdict(list)
        for page in pdf.pages:
            for char in page.chars:
                if char.get("mcid") is not None:
                    chars[page.page_number, int(char["mcid"])].append(char)
        for marks in cells:
            for page_number in sorted({page for page, _ in marks}):
                cell_chars = [char for mark in sorted(marks) if mark[0] == page_number for char in chars[mark]]
                lines = _lines(extract_words(cell_chars, x_tolerance=1.5, y_tolerance=2.5))
                for upper, lower in pairwise(lines):
                    before, after = _normalized(upper), _normalized(lower)
                    if not before or not after or before[-1] in fair_after or _wide(before[-1]) or _wide(after[0]):
                        continue
                    if before + after in source and f"{before} {after}" not in source:
                        broken.append(f"page {page_number}: {before.split()[-1]!r}|{after.split()[0]!r}")
    return broken


def _wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in ("W", "F")


def _table_cells(element: dict[str, Any]) -> Iterator[set[tuple[int, int]]]:
    """The marked content of each `TD`/`TH` under a structure element, as (page number, MCID) pairs."""
    if element.get("type") in ("TD", "TH"):
        yield set(_marks(element))
        return
    for child in element.get("children", []):
        yield from _table_cells(child)


def _marks(element: dict[str, Any]) -> Iterator[tuple[int, int]]:
    for mcid in element.get("mcids") or ():
        yield int(element["page_number"]), int(mcid)
    for child in element.get("children", []):
        yield from _marks(child)


def _lines(words: list[dict[str, Any]]) -> list[str]:
    """Words joined into lines, top to bottom: code sits a little higher or lower than text on the same line."""
    rows: list[list[dict[str, Any]]] = []
    for word in sorted(words, key=_middle):
        if rows and abs(_middle(word) - _middle(rows[-1][0])) < LINE_TOLERANCE_PT:
            rows[-1].append(word)
        else:
            rows.append([word])
    return [" ".join(str(word["text"]) for word in sorted(row, key=lambda word: float(word["x0"]))) for row in rows]


def _middle(word: dict[str, Any]) -> float:
    return (float(word["top"]) + float(word["bottom"])) / 2
