"""Page setup and what frames the text: the document-control table and the contents up front, the
header and footer, and landscape sections for tables too wide for the page."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from docx.oxml.section import CT_SectPr

from exporter.enrich.presentation import PAGE, PAGES
from exporter.model.tree import MetadataChange, Table, TocEntry
from exporter.render.word import ooxml, ooxml_body, styles, tables
from exporter.render.word.context import TWIPS_PER_PT, BodyStory, Context, Page
from exporter.render.word.inlines import inlines
from exporter.render.word.runs import RunFormat, RunSink

METADATA_KEY_SHARE = 0.28
PAGE_NUMBER_FIELDS = {PAGE: "PAGE", PAGES: "NUMPAGES"}  # the labels' page number pieces as Word fields


# ---------------------------------------------------------------- front matter


def document_control(context: Context) -> None:
    """The metadata as a two-column table of keys and values (what the title block shows left out)."""
    metadata = context.presentation.metadata
    width = round(context.page.text_width_pt * TWIPS_PER_PT)
    key_width = round(width * METADATA_KEY_SHARE)
    layout = ooxml_body.TableLayout(
        context.book.id_of(styles.DOCUMENT_CONTROL), (key_width, width - key_width), indent=0, header=False
    )
    rows = ooxml_body.lay_out_table(context.story.new_table(), layout, len(metadata))
    cell_width_pt = (width - key_width - 2 * styles.TABLE_CELL_MARGIN_TWIPS) / TWIPS_PER_PT
    for (key_cell, value_cell), item in zip(rows, metadata, strict=True):
        row_context = context.at(item.line)
        key_paragraph = ooxml_body.add_paragraph(key_cell, context.book.id_of(styles.METADATA_KEY))
        ooxml_body.add_run(key_paragraph, text=row_context.clean(item.key))
        value_paragraph = ooxml_body.add_paragraph(value_cell, context.book.id_of(styles.METADATA_VALUE))
        row_context.anchor(value_paragraph, styles.METADATA_VALUE)
        sink = row_context.sink(value_paragraph, styles.METADATA_VALUE, cell_width_pt)
        inlines(sink, item.value, RunFormat(), row_context)
    context.story.pending_gap = True


def table_of_contents(context: Context) -> None:
    """A TOC field whose cached result already lists the entries, linked to their headings, so it reads
    well before any update; F9 rebuilds the same list with page numbers."""
    context.add_paragraph(styles.TOC_HEADING, context.presentation.labels.contents)
    entries = list(_flatten_toc(context.tree.toc))
    deepest = max(entry.level for entry in entries)
    last: ooxml.Element | None = None
    for index, entry in enumerate(entries):
        style = styles.toc_style(entry.level)
        paragraph = context.add_paragraph(style)
        if index == 0:
            ooxml_body.add_field_begin(paragraph, f'TOC \\o "1-{deepest}" \\h \\z \\u')
        sink = context.sink(paragraph, style, context.page.text_width_pt)
        name = context.state.bookmarks.name_of(entry.id)
        if name is not None:
            sink = sink.into_hyperlink(ooxml_body.internal_hyperlink(name))
        label = f"{entry.number} {entry.text}" if entry.number else entry.text
        sink.add_run(context.clean(label), RunFormat())
        last = paragraph
    if last is not None:
        ooxml_body.add_field_end(last)
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
        paragraph = ooxml_body.first_paragraph(section.header.part.element)
        context.set_style(paragraph, styles.HEADER)
        sink = context.sink(paragraph, styles.HEADER, context.page.text_width_pt)
        if title:
            sink.add_run(title, RunFormat())
        if status or _metadata_change(context, "Status"):
            sink.add_run_holding(ooxml_body.right_margin_tab())
            _add_metadata_value(sink, status, "Status", context)
        watermark = context.options.watermark_text(status)
        if watermark:
            sink.append(ooxml.watermark_run(watermark, context.options.theme.font("heading", "Noto Sans")))
    paragraph = ooxml_body.first_paragraph(section.footer.part.element)
    context.set_style(paragraph, styles.FOOTER)
    sink = context.sink(paragraph, styles.FOOTER, context.page.text_width_pt)
    requirement = _metadata_text(context, "Requirement")
    _add_metadata_value(sink, requirement, "Requirement", context)
    sink.add_run_holding(ooxml_body.right_margin_tab())
    for piece in context.presentation.labels.page_number:
        if piece in PAGE_NUMBER_FIELDS:
            sink.add_field(PAGE_NUMBER_FIELDS[piece], "1", RunFormat())
        else:
            sink.add_run(piece, RunFormat())


def _add_metadata_value(sink: RunSink, text: str, key: str, context: Context) -> None:
    """The value of a header's or footer's metadata field; in a comparison that changed it, the old value tracked
    as deleted and the new one as inserted, like the value in the metadata table."""
    change = _metadata_change(context, key)
    if change is None:
        if text:
            sink.add_run(text, RunFormat())
        return
    versions: tuple[tuple[str, ooxml_body.TrackKind], ...] = ((change.old, "deleted"), (change.new, "inserted"))
    for value, kind in versions:
        if value:
            start = ooxml_body.child_count(sink.parent)
            sink.add_run(context.clean(value), RunFormat())
            context.state.revisions.track_inlines(sink.parent, start, kind)


def _metadata_change(context: Context, key: str) -> MetadataChange | None:
    changes = context.tree.changes
    if changes is None:
        return None
    return next((item for item in changes.metadata if item.key.casefold() == key.casefold()), None)


def _metadata_text(context: Context, key: str) -> str:
    """A metadata field's text as running text, warnings naming the field's line."""
    field = next((item for item in context.tree.metadata if item.key.casefold() == key.casefold()), None)
    return context.at(field.line).inline_text(field.text) if field is not None else ""


# ---------------------------------------------------------------- landscape sections


def landscape_table(table: Table, context: Context, body: BodyStory, write_block: tables.BlockWriter) -> None:
    """The table on pages of its own, turned landscape; headers and footers carry on."""
    previous = body.landscape_end
    if previous is not None and ooxml_body.is_last(previous):
        ooxml_body.remove(previous)  # straight after another landscape table: share its pages
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
    blocks = ooxml_body.blocks_in(body.blocks)
    while blocks and ooxml_body.is_paragraph(blocks[-1]) and _keeps_with_next(blocks[-1], context):
        blocks.pop()
    if not blocks:
        return  # nothing before the table: the first section is the landscape one
    anchor = blocks[-1]
    if ooxml_body.is_paragraph(anchor) and not ooxml_body.ends_section(anchor):
        ooxml_body.end_section_in(anchor, _section_properties(page, body))
    else:
        ooxml_body.move_after(anchor, _section_break(page, context, body))


def _section_break(page: Page, context: Context, body: BodyStory) -> ooxml.Element:
    """A near-invisible paragraph at the end of the body that ends a section on `page`."""
    paragraph = body.new_paragraph(context.book.id_of(styles.SECTION_BREAK))
    ooxml_body.end_section_in(paragraph, _section_properties(page, body))
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
    style_id = ooxml_body.paragraph_style_id(paragraph)
    return context.book.keeps_with_next(style_id) if style_id else False
