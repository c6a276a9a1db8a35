"""Tables: fixed column widths from the layout (enrich/tables.py: each column's minimum, then its share of the
rest), with a repeating header row and rows that never split across pages."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TypeAlias

from docx.parts.story import StoryPart

from exporter.enrich.tables import column_widths, with_identifier_breaks
from exporter.model.tree import Alignment, Block, Table, TableCell
from exporter.render.word import ooxml, ooxml_body, styles
from exporter.render.word.context import GAP_TWIPS, TWIPS_PER_PT, Context, Page, Story
from exporter.render.word.inlines import inlines
from exporter.render.word.runs import RunFormat

BlockWriter: TypeAlias = Callable[[Block, Context], None]  # render/word/blocks.py's `block`


def table(source: Table, context: Context, write_block: BlockWriter) -> None:
    """The table across the width the context leaves, in the compact style when the layout says so.

    Cells spanning others are merged (`w:gridSpan` across, `w:vMerge` down); a cell holding blocks (from a raw
    HTML `<td>`) gets them through `write_block`, inside the cell."""
    columns = len(source.header)
    if columns == 0:
        return
    story = context.story
    if story.pending_gap:  # Word joins tables that touch
        ooxml_body.set_space_after(context.add_paragraph(styles.NORMAL), GAP_TWIPS)
    compact = source.fit != "normal"
    body_style = styles.TABLE_COMPACT if compact else styles.TABLE_TEXT
    header_style = styles.TABLE_HEADING_COMPACT if compact else styles.TABLE_HEADING
    size_pt = styles.text_size_pt(body_style)
    widths = _twips(column_widths(source, context.width_pt, size_pt))
    if source.breaks == "identifiers":  # zero-width spaces: Word may break lines after `_ . / :`
        source = with_identifier_breaks(source, context.width_pt, size_pt)
    layout = ooxml_body.TableLayout(
        context.book.id_of(styles.DESIGN_TABLE), tuple(widths), context.indent, True, source.header_rows
    )
    word_table = story.new_table()
    grid = ooxml_body.lay_out_table(word_table, layout, 1 + len(source.rows))
    row_lines = source.row_lines  # anchors back to each row's line; the table's when unknown
    for row_index, cells in enumerate((source.header, *source.rows)):
        style = header_style if row_index < source.header_rows else body_style
        row_context = context.at(row_lines[row_index] if row_index < len(row_lines) else source.line)
        for column, cell in enumerate(cells):
            if cell.covered:
                ooxml_body.add_empty_paragraph(grid[row_index][column])
                continue
            spanned = sum(widths[column : column + cell.column_span])
            room = (spanned - 2 * styles.TABLE_CELL_MARGIN_TWIPS) / TWIPS_PER_PT
            look = _CellLook(style, _cell_alignment(source, column, cell), room)
            with context.state.revisions.within(_cell_change(source, row_index, column)):
                _fill_cell(grid[row_index][column], cell, look, row_context, write_block)
    _track_changes(source, grid, context)
    ooxml_body.merge_cells(word_table, _spans(grid, source))
    story.pending_gap = True


@dataclass(frozen=True, slots=True)
class _CellLook:
    style: str  # the paragraph style of its text
    alignment: Alignment
    width_pt: float  # room for its content, inside the cell margins


class CellStory(Story):
    """The blocks of one table cell: its first, empty paragraph, then paragraphs and tables added to it."""

    def __init__(self, part: StoryPart, cell: ooxml.Element, first: ooxml.Element) -> None:
        super().__init__(part)
        self.cell = cell
        self.first = first  # the cell's paragraph in its table's style, which the first block takes over
        self.started = False

    def new_paragraph(self, style_id: str) -> ooxml.Element:
        if self.started:
            return ooxml_body.add_paragraph(self.cell, style_id)
        self.started = True
        ooxml_body.set_paragraph_style(self.first, style_id)
        return self.first

    def new_table(self) -> ooxml.Element:
        """The table, and an empty paragraph after it: a cell ends with a paragraph (python-docx's `add_table`)."""
        self.started = True
        table = ooxml_body.add_table(self.cell)
        ooxml_body.add_empty_paragraph(self.cell)
        return table


def _fill_cell(
    cell: ooxml.Element, source: TableCell, look: _CellLook, context: Context, write_block: BlockWriter
) -> None:
    """A cell's inlines in its one paragraph, or its blocks, each as the body would write it, inside the cell."""
    style_id = context.book.id_of(look.style)
    if not source.blocks:
        alignment = "" if look.alignment == "default" else look.alignment
        paragraph = ooxml_body.add_paragraph(cell, style_id, alignment)
        context.anchor(paragraph, look.style)
        inlines(context.sink(paragraph, look.style, look.width_pt), source.children, RunFormat(), context)
        return
    page = Page(look.width_pt, context.page.height_pt, 0.0, 0.0, 0.0, 0.0)
    story = CellStory(context.story.part, cell, ooxml_body.add_paragraph(cell, style_id))
    inner = replace(context, story=story, page=page, indent=0, list_depth=0, paragraph_style=look.style)
    for block in source.blocks:
        write_block(block, inner.at(block.line))
    if look.alignment != "default":
        for written in ooxml_body.paragraphs_in(cell):
            if ooxml_body.alignment(written) is None:
                ooxml_body.set_alignment(written, look.alignment)


def _track_changes(source: Table, grid: list[list[ooxml.Element]], context: Context) -> None:
    """A comparison's rows only one version has, as row revisions. OOXML has no column revision, and its cell
    revisions (`w:cellIns`, `w:cellDel`) are not honoured alike by Word and LibreOffice, so a column only one
    version has is tracked through its cells' contents: accepting or rejecting leaves that column empty, not gone."""
    revisions = context.state.revisions
    for index, change in enumerate(source.row_changes):
        if change and index + 1 < len(grid):  # row_changes leaves out the header row
            revisions.track_row(ooxml_body.row_of(grid[index + 1][0]), change)
    for column, change in enumerate(source.column_changes):
        if change:
            for row in grid:
                if column < len(row):
                    revisions.track_cell_content(row[column], change)


def _cell_change(source: Table, row_index: int, column: int) -> ooxml_body.TrackKind | None:
    """Whether the cell (row 0 the header) is in a row or column only one version has, and which."""
    row_change = source.row_changes[row_index - 1] if 0 < row_index <= len(source.row_changes) else ""
    column_change = source.column_changes[column] if column < len(source.column_changes) else ""
    return row_change or column_change or None


def _cell_alignment(source: Table, column: int, cell: TableCell) -> Alignment:
    if cell.alignment != "default":
        return cell.alignment
    return source.alignments[column] if column < len(source.alignments) else "default"


def _spans(grid: list[list[ooxml.Element]], source: Table) -> list[tuple[int, int, int, int]]:
    """Each spanning cell's rectangle of the grid (row, column, last row, last column), cut to the grid."""
    spans = []
    for row_index, cells in enumerate((source.header, *source.rows)):
        for column, cell in enumerate(cells):
            if cell.covered or (cell.column_span == 1 and cell.row_span == 1):
                continue
            last_row = min(row_index + cell.row_span, len(grid)) - 1
            last_column = min(column + cell.column_span, len(grid[row_index])) - 1
            spans.append((row_index, column, last_row, last_column))
    return spans


def _twips(widths_pt: tuple[float, ...]) -> list[int]:
    """Widths in whole twips that add up to the rounded total, the rounding left to the last column."""
    widths = [round(width * TWIPS_PER_PT) for width in widths_pt]
    widths[-1] += round(sum(widths_pt) * TWIPS_PER_PT) - sum(widths)
    return widths
