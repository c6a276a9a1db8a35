"""The Word writer's entry point: the document tree as a .docx file, assembled in reading order from
the concern modules (sections, blocks, footnotes, properties)."""

from __future__ import annotations

from docx.document import Document as DocxDocument

from exporter.enrich.outline import title_heading
from exporter.model.diagnostics import ExportError
from exporter.model.tree import Document
from exporter.render.options import RenderOptions
from exporter.render.word import blocks, footnotes, package, pictures, properties, reference, sections, styles
from exporter.render.word.context import BodyStory, Context, Page
from exporter.render.word.state import State
from exporter.safety.resources import ResourceResolver


def render_docx(document: Document, resolver: ResourceResolver, options: RenderOptions) -> bytes:
    """The document as the bytes of a .docx file."""
    return package.save(_write(document, resolver, options))


def _write(tree: Document, resolver: ResourceResolver, options: RenderOptions) -> DocxDocument:
    docx = _starting_document(tree, options)
    book = styles.StyleBook(docx)
    page = Page.of(docx.sections[0])
    body = BodyStory(docx)
    context = Context(tree, docx, book, options, resolver, State.start(tree, docx), body, page)
    properties.set_properties(context)
    body_blocks = tree.blocks
    title = title_heading(body_blocks)
    if title is not None:
        blocks.heading(title, context.at(title.line), as_title=True)
        body_blocks = body_blocks[1:]
    if tree.metadata:
        sections.document_control(context)
    if tree.toc:
        sections.table_of_contents(context)
    for block in body_blocks:
        blocks.block(block, context)
    if tree.footnotes:
        footnotes.footnotes(context)
    sections.header_and_footer(context)
    pictures.number_drawings(docx)
    return docx


def _starting_document(tree: Document, options: RenderOptions) -> DocxDocument:
    """Our reference document, or the user's with our styles added where it has none of that name."""
    if options.reference_docx is None:
        document = reference.our_document(options.theme, options.paper)
        styles.set_east_asian_language(document, sections.labels_for(tree.language).language)
        return document
    try:
        document = reference.user_document(options.reference_docx)
    except reference.ReferenceDocxError as error:
        raise ExportError(tree.source, str(error)) from None
    section = document.sections[0]
    if not section.page_width or not section.page_height:
        reference.set_page_geometry(section, options.paper)
    ours = reference.our_document(options.theme, options.paper, Page.of(section).text_width_pt)
    reference.copy_missing_styles(document, ours)
    return document
