"""python-docx, a reader that has nothing to do with how the Word writer builds its XML, opens the DOCX of every
sample and corpus document and reads every paragraph, table and cell back: each paragraph has a style, each row
as many cells as its table has columns, each table the shape of the source's, and the text of the source's
paragraphs and headings is there to read."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from docx import Document as open_docx
from docx.table import Table as WordTable
from docx.text.paragraph import Paragraph as WordParagraph

from exporter.enrich.presentation import Presentation, build_presentation
from exporter.model.diagnostics import Reporter
from exporter.model.tree import (
    FootnoteRef,
    Heading,
    Image,
    Math,
    Paragraph,
    Table,
    plain_text,
    walk_blocks,
    walk_inlines,
)
from exporter.read.markdown import parse
from exporter.render.options import RenderOptions
from exporter.render.word.document import render_docx
from exporter.safety.resources import ResourceResolver
from tests.conftest import CORPUS_DOCS, SAMPLES, corpus_cases
from tests.html_text import normalize


def squash(text: str) -> str:
    """Text without any spacing, including the zero-width spaces that let identifiers in tables break."""
    return re.sub(r"[\s\u200b\u00ad]+", "", normalize(text))


def exported(path: Path) -> tuple[Presentation, bytes]:
    options = RenderOptions()
    reporter = Reporter(path.name)
    tree = parse(path.read_text(encoding="utf-8"), path.name, reporter)
    shown = build_presentation(tree, options.theme)
    return shown, render_docx(tree, ResourceResolver(path.parent, reporter), options, shown)


def read_back(content: Iterator[WordParagraph | WordTable], texts: list[str], tables: list[WordTable]) -> None:
    """Every paragraph's text, and every table (those inside cells too), in reading order."""
    for block in content:
        if isinstance(block, WordParagraph):
            assert block.style is not None, block.text
            texts.append(block.text)
            continue
        tables.append(block)
        columns = len(block.columns)
        for row in block.rows:
            cells = row.cells
            assert len(cells) == columns  # a merged cell is read once for each column it spans
            for cell in cells:
                read_back(cell.iter_inner_content(), texts, tables)


def written_text(block: Paragraph | Heading) -> str | None:
    """The text a paragraph or heading shows in Word; None when it holds a picture, formula or note mark,
    which python-docx doesn't read as text."""
    if any(isinstance(node, Image | Math | FootnoteRef) for node in walk_inlines(block.children)):
        return None
    number = f"{block.number} " if isinstance(block, Heading) and block.number else ""
    return number + plain_text(block.children)


@pytest.mark.parametrize("path", [*SAMPLES, *corpus_cases(CORPUS_DOCS)], ids=lambda path: path.stem)
def test_python_docx_reads_back_every_paragraph_and_table(path: Path) -> None:
    shown, data = exported(path)
    texts: list[str] = []
    tables: list[WordTable] = []
    read_back(open_docx(io.BytesIO(data)).iter_inner_content(), texts, tables)

    source_tables = [block for block in walk_blocks(shown.body) if isinstance(block, Table) and block.header]
    if shown.metadata:
        assert [len(row.cells) for row in tables[0].rows] == [2] * len(shown.metadata)  # the document control
        tables = tables[1:]
    assert [(len(table.rows), len(table.columns)) for table in tables] == [
        (1 + len(table.rows), len(table.header)) for table in source_tables
    ]

    everything = squash("".join(texts))
    blocks = [block for block in walk_blocks(shown.body) if isinstance(block, Paragraph | Heading)]
    missing = [text for block in blocks if (text := written_text(block)) and squash(text) not in everything]
    assert missing == []
