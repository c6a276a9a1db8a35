"""The Word writer's entry point: the document tree as a .docx file, assembled in reading order from
the concern modules (sections, blocks, footnotes, properties)."""

from __future__ import annotations

from docx.document import Document as DocxDocument

from exporter.enrich.presentation import Presentation, build_presentation
from exporter.model.diagnostics import ExportError
from exporter.model.tree import Document
from exporter.render.options import RenderOptions
from exporter.render.word import (
    anchors,
    blocks,
    change_summary,
    footnotes,
    package,
    pictures,
    properties,
    reference,
    sections,
    styles,
)
from exporter.render.word.context import BodyStory, Context, Page
from exporter.render.word.state import State
from exporter.safety.resources import ResourceResolver


def render_docx(
    document: Document, resolver: ResourceResolver, options: RenderOptions, presentation: Presentation | None = None
) -> bytes:
    """The document as the bytes of a .docx file; `presentation` holds the decisions shared with the other
    formats (built here when not given)."""
    shown = presentation or build_presentation(document, options.theme)
    return package.save(_write(document, resolver, options, shown))


def _write(tree: Document, resolver: ResourceResolver, options: RenderOptions, shown: Presentation) -> DocxDocument:
    docx = _starting_document(tree, options, shown)
    book = styles.StyleBook(docx)
    page = Page.of(docx.sections[0])
    body = BodyStory(docx)
    context = Context(tree, docx, book, options, shown, resolver, State.start(tree, docx), body, page)
    properties.set_properties(context)
    if shown.title_heading is not None:
        title_context = context.at(shown.title_heading.line)
        blocks.heading(shown.title_heading, title_context, as_title=True)
        if shown.subtitle:
            title_context.add_paragraph(styles.SUBTITLE, title_context.inline_text(shown.subtitle))
    if shown.metadata:
        sections.document_control(context)
    if shown.changes is not None:  # a comparison: what changed, above the body, not itself tracked
        change_summary.change_summary(shown.changes, context)
    if tree.toc:
        sections.table_of_contents(context)
    for block in shown.body:
        blocks.block(block, context)
    if tree.footnotes:
        footnotes.footnotes(context)
    body.finish()
    anchors.finish(docx, tree, resolver)
    sections.header_and_footer(context)
    pictures.number_drawings(docx)
    return docx


def _starting_document(tree: Document, options: RenderOptions, shown: Presentation) -> DocxDocument:
    """Our reference document, or the user's with our styles added where it has none of that name."""
    if options.reference_docx is None:
        document = reference.our_document(options.theme, options.paper)
        styles.set_east_asian_language(document, shown.labels.locale)
        styles.set_east_asian_region(document, shown.east_asian_region)
        return document
    try:
        document = reference.user_document(options.reference_docx)
    except reference.ReferenceDocxError as error:
        raise ExportError(tree.source, str(error)) from None
    section = document.sections[0]
    if not section.page_width or not section.page_height:
        reference.set_page_geometry(section, options.paper)
    ours = reference.our_document(options.theme, options.paper, Page.of(section).text_width_pt)
    styles.set_east_asian_region(ours, shown.east_asian_region)
    reference.copy_missing_styles(document, ours)
    return document
