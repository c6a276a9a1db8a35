"""Tables: fixed column widths from the layout (enrich/tables.py: each column's minimum, then its share of the
rest), with a repeating header row and rows that never split across pages."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TypeAlias

from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.parts.story import StoryPart
from docx.shared import Pt, Twips
from docx.table import Table as WordTable
from docx.table import _Cell as WordCell
from docx.text.paragraph import Paragraph

from exporter.enrich.tables import column_widths, with_identifier_breaks
from exporter.model.tree import Alignment, Block, Table, TableCell
from exporter.render.word import ooxml, styles
from exporter.render.word.context import GAP_PT, TWIPS_PER_PT, Context, Page, Story
from exporter.render.word.inlines import inlines
from exporter.render.word.runs import RunFormat

BlockWriter: TypeAlias = Callable[[Block, Context], None]  # render/word/blocks.py's `block`
WORD_ALIGNMENTS: dict[Alignment, WD_ALIGN_PARAGRAPH | None] = {
    "default": None,
    "left": WD_ALIGN_PARAGRAPH.LEFT,
    "center": WD_ALIGN_PARAGRAPH.CENTER,
    "right": WD_ALIGN_PARAGRAPH.RIGHT,
}


def table(source: Table, context: Context, write_block: BlockWriter) -> None:
    """The table across the width the context leaves, in the compact style when the layout says so.

    Cells spanning others are merged (`w:gridSpan` across, `w:vMerge` down); a cell holding blocks (from a raw
    HTML `<td>`) gets them through `write_block`, inside the cell."""
    columns = len(source.header)
    if columns == 0:
        return
    story = context.story
    if story.pending_gap:  # Word joins tables that touch
        context.add_paragraph(styles.NORMAL).paragraph_format.space_after = Pt(GAP_PT)
    compact = source.fit != "normal"
    body_style = styles.TABLE_COMPACT if compact else styles.TABLE_TEXT
    header_style = styles.TABLE_HEADING_COMPACT if compact else styles.TABLE_HEADING
    size_pt = styles.text_size_pt(body_style)
    widths = _twips(column_widths(source, context.width_pt, size_pt))
    if source.breaks == "identifiers":  # zero-width spaces: Word may break lines after `_ . / :`
        source = with_identifier_breaks(source, context.width_pt, size_pt)
    word_table = story.new_table(1 + len(source.rows), columns)
    ooxml.set_table_style(ooxml.table_properties(word_table), context.book.id_of(styles.DESIGN_TABLE))
    table_geometry(word_table, widths, indent=context.indent, header=True, header_rows=source.header_rows)
    grid = [list(row.cells) for row in word_table.rows]  # before merging, one cell per grid place
    for row_index, cells in enumerate((source.header, *source.rows)):
        style = header_style if row_index < source.header_rows else body_style
        for column, cell in enumerate(cells):
            if cell.covered:
                continue
            spanned = sum(widths[column : column + cell.column_span])
            room = (spanned - 2 * styles.TABLE_CELL_MARGIN_TWIPS) / TWIPS_PER_PT
            alignment = WORD_ALIGNMENTS[_cell_alignment(source, column, cell)]
            _fill_cell(grid[row_index][column], cell, _CellLook(style, alignment, room), context, write_block)
    _merge_spans(grid, source)
    story.pending_gap = True


def table_geometry(table: WordTable, widths: list[int], indent: int, header: bool, header_rows: int = 1) -> None:
    """Fixed layout with explicit widths on the table, its grid and every cell; rows never split.
    A data table (`header`) repeats its first `header_rows` rows on each page."""
    table.autofit = False
    properties = ooxml.table_properties(table)
    ooxml.set_table_width(properties, sum(widths))
    if indent:
        ooxml.set_table_indent(properties, indent)
    ooxml.set_table_look(properties, first_row=header and header_rows > 0, first_column=not header, banded_rows=header)
    for column, width in zip(table.columns, widths, strict=True):
        column.width = Twips(width)
    for row_index, row in enumerate(table.rows):
        ooxml.set_row_flags(ooxml.row_properties(row), repeat_as_header=header and row_index < header_rows)
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = Twips(width)


@dataclass(frozen=True, slots=True)
class _CellLook:
    style: str  # the paragraph style of its text
    alignment: WD_ALIGN_PARAGRAPH | None
    width_pt: float  # room for its content, inside the cell margins


class CellStory(Story):
    """The blocks of one table cell: its first, empty paragraph, then paragraphs and tables added to it."""

    def __init__(self, part: StoryPart, cell: WordCell) -> None:
        super().__init__(part)
        self.cell = cell
        self.started = False

    def new_paragraph(self) -> Paragraph:
        paragraph: Paragraph
        if self.started:
            paragraph = self.cell.add_paragraph()
        else:
            self.started = True
            paragraph = self.cell.paragraphs[0]
        return paragraph

    def new_table(self, rows: int, columns: int) -> WordTable:
        self.started = True
        return self.cell.add_table(rows, columns)


def _fill_cell(
    word_cell: WordCell, cell: TableCell, look: _CellLook, context: Context, write_block: BlockWriter
) -> None:
    """A cell's inlines in its one paragraph, or its blocks, each as the body would write it, inside the cell."""
    paragraph = word_cell.paragraphs[0]
    context.set_style(paragraph, look.style)
    if not cell.blocks:
        if look.alignment is not None:
            paragraph.paragraph_format.alignment = look.alignment
        inlines(context.sink(paragraph, look.style, look.width_pt), cell.children, RunFormat(), context)
        return
    page = Page(look.width_pt, context.page.height_pt, 0.0, 0.0, 0.0, 0.0)
    story = CellStory(context.story.part, word_cell)
    inner = replace(context, story=story, page=page, indent=0, list_depth=0, paragraph_style=look.style)
    for block in cell.blocks:
        write_block(block, inner.at(block.line))
    if look.alignment is not None:
        for written in word_cell.paragraphs:
            if written.paragraph_format.alignment is None:
                written.paragraph_format.alignment = look.alignment


def _cell_alignment(source: Table, column: int, cell: TableCell) -> Alignment:
    if cell.alignment != "default":
        return cell.alignment
    return source.alignments[column] if column < len(source.alignments) else "default"


def _merge_spans(grid: list[list[WordCell]], source: Table) -> None:
    """Each spanning cell merged with the places it covers: `w:gridSpan` across a row, `w:vMerge` down a column."""
    for row_index, cells in enumerate((source.header, *source.rows)):
        for column, cell in enumerate(cells):
            if cell.covered or (cell.column_span == 1 and cell.row_span == 1):
                continue
            last_row = min(row_index + cell.row_span, len(grid)) - 1
            last_column = min(column + cell.column_span, len(grid[row_index])) - 1
            grid[row_index][column].merge(grid[last_row][last_column])


def _twips(widths_pt: tuple[float, ...]) -> list[int]:
    """Widths in whole twips that add up to the rounded total, the rounding left to the last column."""
    widths = [round(width * TWIPS_PER_PT) for width in widths_pt]
    widths[-1] += round(sum(widths_pt) * TWIPS_PER_PT) - sum(widths)
    return widths
