"""Tables: fixed column widths from the layout's weights, widened for long words, with a repeating
header row and rows that never split across pages."""

from __future__ import annotations

from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt, Twips
from docx.table import Table as WordTable

from exporter.enrich.layout import LONGEST_UNBROKEN_WORD
from exporter.model.text_width import display_width
from exporter.model.tree import Alignment, Table, TableCell, plain_text
from exporter.render.word import ooxml, styles
from exporter.render.word.context import GAP_PT, TWIPS_PER_PT, Context
from exporter.render.word.inlines import inlines
from exporter.render.word.runs import RunFormat

AVERAGE_ADVANCE_EM = 0.6  # Noto Sans, generous, for guessing how wide a word is
BOLD_ADVANCE_EM = 0.68
_ALIGNMENTS: dict[Alignment, WD_ALIGN_PARAGRAPH | None] = {
    "default": None,
    "left": WD_ALIGN_PARAGRAPH.LEFT,
    "center": WD_ALIGN_PARAGRAPH.CENTER,
    "right": WD_ALIGN_PARAGRAPH.RIGHT,
}


def table(source: Table, context: Context) -> None:
    """The table across the width the context leaves, in the compact style when the layout says so."""
    columns = len(source.header)
    if columns == 0:
        return
    story = context.story
    if story.pending_gap:  # Word joins tables that touch
        context.add_paragraph(styles.NORMAL).paragraph_format.space_after = Pt(GAP_PT)
    compact = source.fit != "normal"
    body_style = styles.TABLE_COMPACT if compact else styles.TABLE_TEXT
    header_style = styles.TABLE_HEADING_COMPACT if compact else styles.TABLE_HEADING
    width = round(context.width_pt * TWIPS_PER_PT)
    widths = _share_out(width, source.column_weights, columns)
    widths = _widen_for_words(widths, _word_minimums(source, styles.text_size_pt(body_style)))
    word_table = story.new_table(1 + len(source.rows), columns)
    ooxml.set_table_style(ooxml.table_properties(word_table), context.book.id_of(styles.DESIGN_TABLE))
    table_geometry(word_table, widths, indent=context.indent, header=True)
    for row_index, (word_row, cells) in enumerate(zip(word_table.rows, (source.header, *source.rows), strict=True)):
        for column, (word_cell, cell) in enumerate(zip(word_row.cells, cells, strict=True)):
            paragraph = word_cell.paragraphs[0]
            style = header_style if row_index == 0 else body_style
            context.set_style(paragraph, style)
            alignment = _ALIGNMENTS[source.alignments[column]] if column < len(source.alignments) else None
            if alignment is not None:
                paragraph.paragraph_format.alignment = alignment
            room = (widths[column] - 2 * styles.TABLE_CELL_MARGIN_TWIPS) / TWIPS_PER_PT
            inlines(context.sink(paragraph, style, room), cell.children, RunFormat(), context)
    story.pending_gap = True


def table_geometry(table: WordTable, widths: list[int], indent: int, header: bool) -> None:
    """Fixed layout with explicit widths on the table, its grid and every cell; rows never split."""
    table.autofit = False
    properties = ooxml.table_properties(table)
    ooxml.set_table_width(properties, sum(widths))
    if indent:
        ooxml.set_table_indent(properties, indent)
    ooxml.set_table_look(properties, first_row=header, first_column=not header, banded_rows=header)
    for column, width in zip(table.columns, widths, strict=True):
        column.width = Twips(width)
    for row_index, row in enumerate(table.rows):
        ooxml.set_row_flags(ooxml.row_properties(row), repeat_as_header=header and row_index == 0)
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = Twips(width)


def _share_out(total: int, weights: tuple[float, ...], count: int) -> list[int]:
    """`total` twips split by weight; rounding leftovers go to the last column."""
    usable = list(weights[:count]) + [0.0] * (count - len(weights))
    weight_sum = sum(usable)
    if weight_sum <= 0:
        usable, weight_sum = [1.0] * count, float(count)
    widths = [round(total * weight / weight_sum) for weight in usable]
    widths[-1] += total - sum(widths)
    return widths


def _word_minimums(source: Table, size_pt: float) -> list[int]:
    """Per column, the twips its longest word needs (up to a limit) plus the cell margins."""

    def longest_word(cells: list[TableCell]) -> int:
        words = (word for cell in cells for word in plain_text(cell.children).split())
        return min(max((display_width(word) for word in words), default=0), LONGEST_UNBROKEN_WORD)

    minimums: list[int] = []
    for column, header in enumerate(source.header):
        header_em = longest_word([header]) * BOLD_ADVANCE_EM
        body_em = longest_word([row[column] for row in source.rows]) * AVERAGE_ADVANCE_EM
        minimums.append(round(max(header_em, body_em) * size_pt * 20) + 2 * styles.TABLE_CELL_MARGIN_TWIPS + 20)
    return minimums


def _widen_for_words(widths: list[int], minimums: list[int]) -> list[int]:
    """Widens columns too narrow for their longest word, taking the room from columns with slack."""
    if sum(minimums) > sum(widths):
        return widths
    widened = [max(width, minimum) for width, minimum in zip(widths, minimums, strict=True)]
    excess = sum(widened) - sum(widths)
    slack = [width - minimum for width, minimum in zip(widened, minimums, strict=True)]
    total_slack = sum(slack)
    if excess == 0 or total_slack <= 0:
        return widened
    cuts = [excess * share // total_slack for share in slack]
    leftover = excess - sum(cuts)
    for index in sorted(range(len(slack)), key=lambda column: slack[column], reverse=True):
        if leftover == 0:
            break
        if slack[index] - cuts[index] > 0:
            cuts[index] += 1
            leftover -= 1
    return [width - cut for width, cut in zip(widened, cuts, strict=True)]
