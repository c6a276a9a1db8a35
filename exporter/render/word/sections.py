"""Page setup and what frames the text: the document-control table and the contents up front, the
header and footer, and landscape sections for tables too wide for the page."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from docx.oxml.section import CT_SectPr
from docx.text.paragraph import Paragraph

from exporter.enrich.presentation import PAGE, PAGES
from exporter.model.tree import Table, TocEntry
from exporter.render.word import ooxml, styles, tables
from exporter.render.word.context import TWIPS_PER_PT, BodyStory, Context, Page
from exporter.render.word.inlines import inlines
from exporter.render.word.runs import RunFormat

METADATA_KEY_SHARE = 0.28
PAGE_NUMBER_FIELDS = {PAGE: "PAGE", PAGES: "NUMPAGES"}  # the labels' page number pieces as Word fields


# ---------------------------------------------------------------- front matter


def document_control(context: Context) -> None:
    """The metadata as a two-column table of keys and values (what the title block shows left out)."""
    metadata = context.presentation.metadata
    width = round(context.page.text_width_pt * TWIPS_PER_PT)
    key_width = round(width * METADATA_KEY_SHARE)
    table = context.story.new_table(len(metadata), 2)
    ooxml.set_table_style(ooxml.table_properties(table), context.book.id_of(styles.DOCUMENT_CONTROL))
    tables.table_geometry(table, [key_width, width - key_width], indent=0, header=False)
    cell_width_pt = (width - key_width - 2 * styles.TABLE_CELL_MARGIN_TWIPS) / TWIPS_PER_PT
    for row, item in zip(table.rows, metadata, strict=True):
        row_context = context.at(item.line)
        key_cell, value_cell = row.cells
        row_context.set_style(key_cell.paragraphs[0], styles.METADATA_KEY)
        key_cell.paragraphs[0].add_run(row_context.clean(item.key))
        value_paragraph = value_cell.paragraphs[0]
        row_context.set_style(value_paragraph, styles.METADATA_VALUE)
        sink = row_context.sink(value_paragraph, styles.METADATA_VALUE, cell_width_pt)
        inlines(sink, item.value, RunFormat(), row_context)
    context.story.pending_gap = True


def table_of_contents(context: Context) -> None:
    """A TOC field whose cached result already lists the entries, linked to their headings, so it reads
    well before any update; F9 rebuilds the same list with page numbers."""
    context.add_paragraph(styles.TOC_HEADING, context.presentation.labels.contents)
    entries = list(_flatten_toc(context.tree.toc))
    deepest = max(entry.level for entry in entries)
    last: Paragraph | None = None
    for index, entry in enumerate(entries):
        style = styles.toc_style(entry.level)
        paragraph = context.add_paragraph(style)
        if index == 0:
            ooxml.append_field_begin(paragraph, f'TOC \\o "1-{deepest}" \\h \\z \\u')
        sink = context.sink(paragraph, style, context.page.text_width_pt)
        name = context.state.bookmarks.name_of(entry.id)
        if name is not None:
            sink = sink.into_hyperlink(ooxml.internal_hyperlink(name))
        label = f"{entry.number} {entry.text}" if entry.number else entry.text
        sink.add_run(context.clean(label), RunFormat())
        last = paragraph
    if last is not None:
        ooxml.append_field_end(last)
    context.story.pending_gap = True


def _flatten_toc(entries: tuple[TocEntry, ...]) -> Iterator[TocEntry]:
    for entry in entries:
        yield entry
        yield from _flatten_toc(entry.children)


# ---------------------------------------------------------------- header and footer


def header_and_footer(context: Context) -> None:
    """Header: title, and status at the right margin. Footer: requirement, and "Page X of Y" at the right."""
    section = context.docx.sections[0]
    title = context.inline_text(context.presentation.title)
    status = _metadata_text(context, "Status")
    if title or status:
        header = section.header
        paragraph = header.paragraphs[0] if header.paragraphs else header.add_paragraph()
        context.set_style(paragraph, styles.HEADER)
        sink = context.sink(paragraph, styles.HEADER, context.page.text_width_pt)
        if title:
            sink.add_run(title, RunFormat())
        if status:
            sink.add_run_holding(ooxml.right_margin_tab())
            sink.add_run(status, RunFormat())
        watermark = context.options.watermark_text(status)
        if watermark:
            sink.append(ooxml.watermark_run(watermark, context.options.theme.font("heading", "Noto Sans")))
    footer = section.footer
    paragraph = footer.paragraphs[0] if footer.paragraphs else footer.add_paragraph()
    context.set_style(paragraph, styles.FOOTER)
    sink = context.sink(paragraph, styles.FOOTER, context.page.text_width_pt)
    requirement = _metadata_text(context, "Requirement")
    if requirement:
        sink.add_run(requirement, RunFormat())
    sink.add_run_holding(ooxml.right_margin_tab())
    for piece in context.presentation.labels.page_number:
        if piece in PAGE_NUMBER_FIELDS:
            sink.add_field(PAGE_NUMBER_FIELDS[piece], "1", RunFormat())
        else:
            sink.add_run(piece, RunFormat())


def _metadata_text(context: Context, key: str) -> str:
    """A metadata field's text as running text, warnings naming the field's line."""
    field = next((item for item in context.tree.metadata if item.key.casefold() == key.casefold()), None)
    return context.at(field.line).inline_text(field.text) if field is not None else ""


# ---------------------------------------------------------------- landscape sections


def landscape_table(table: Table, context: Context, body: BodyStory, write_block: tables.BlockWriter) -> None:
    """The table on pages of its own, turned landscape; headers and footers carry on."""
    previous = body.landscape_end
    if previous is not None and ooxml.is_last_in_body(body.document, previous):
        ooxml.remove_paragraph(previous)  # straight after another landscape table: share its pages
        body.pending_gap = True
    else:
        _end_section_before_table(context.page, context, body)
        body.pending_gap = False
    turned = replace(context, page=context.page.turned())
    tables.table(table, turned, write_block)
    body.landscape_end = _section_break(turned.page, context, body)
    body.pending_gap = False


def _end_section_before_table(page: Page, context: Context, body: BodyStory) -> None:
    """Ends the current section before the table and the headings or labels that lead into it,
    in the last paragraph before them, or in a section-break paragraph when that is a table."""
    blocks = ooxml.body_blocks(body.document)
    while blocks and ooxml.is_paragraph(blocks[-1]) and _keeps_with_next(blocks[-1], context):
        blocks.pop()
    if not blocks:
        return  # nothing before the table: the first section is the landscape one
    anchor = blocks[-1]
    if ooxml.is_paragraph(anchor) and not ooxml.ends_section(anchor):
        ooxml.end_section_in(anchor, _section_properties(page, body))
    else:
        ooxml.move_after(anchor, _section_break(page, context, body))


def _section_break(page: Page, context: Context, body: BodyStory) -> Paragraph:
    """A near-invisible paragraph at the end of the body that ends a section on `page`."""
    paragraph = body.new_paragraph()
    context.set_style(paragraph, styles.SECTION_BREAK)
    ooxml.end_section_in(paragraph, _section_properties(page, body))
    return paragraph


def _section_properties(page: Page, body: BodyStory) -> CT_SectPr:
    return ooxml.section_properties(
        body.closing_section,
        round(page.width_pt * TWIPS_PER_PT),
        round(page.height_pt * TWIPS_PER_PT),
        landscape=page.width_pt > page.height_pt,
    )


def _keeps_with_next(paragraph: ooxml.Element, context: Context) -> bool:
    """Whether the paragraph is kept with the next one, directly or through its style."""
    direct = ooxml.keep_with_next_setting(paragraph)
    if direct is not None:
        return direct
    style_id = ooxml.paragraph_style_id(paragraph)
    return context.book.keeps_with_next(style_id) if style_id else False
