"""Writes the document tree as a Word file through python-docx, with named styles throughout."""

from __future__ import annotations

import datetime
import hashlib
import io
import math
import re
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, fields, is_dataclass, replace
from typing import Protocol, assert_never, cast

from docx.document import Document as DocxDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.image.image import Image as PictureInfo
from docx.opc.constants import RELATIONSHIP_TYPE
from docx.opc.packuri import PackURI
from docx.opc.part import Part
from docx.oxml.ns import qn
from docx.oxml.parser import OxmlElement
from docx.oxml.section import CT_SectPr
from docx.oxml.shape import CT_Inline
from docx.oxml.table import CT_Tbl
from docx.oxml.text.paragraph import CT_P
from docx.parts.image import ImagePart
from docx.parts.story import StoryPart
from docx.section import Section
from docx.shape import InlineShape
from docx.shared import Emu, Length, Pt, RGBColor, Twips
from docx.table import Table as WordTable
from docx.text.paragraph import Paragraph as DocxParagraph
from docx.text.run import Run

from exporter.diagram.raster import render_png
from exporter.diagram.style import style_from_theme
from exporter.diagram.svg import aria_label, render_svg
from exporter.enrich.language import CALLOUT_TITLES
from exporter.enrich.moment import document_moment
from exporter.enrich.outline import title_heading
from exporter.model.diagnostics import ExportError
from exporter.model.text_width import cell_width, display_width
from exporter.model.tree import (
    Alignment,
    Anchor,
    Block,
    BlockQuote,
    BulletList,
    Callout,
    CodeBlock,
    Details,
    Diagram,
    DiagramDrawing,
    Document,
    Emphasis,
    Footnote,
    FootnoteRef,
    HardBreak,
    Heading,
    Image,
    Inline,
    InlineCode,
    Keyboard,
    Link,
    ListItem,
    OrderedList,
    Paragraph,
    SoftBreak,
    Strikethrough,
    Strong,
    Subscript,
    Superscript,
    Table,
    TableCell,
    Text,
    ThematicBreak,
    TocEntry,
    plain_text,
)
from exporter.render.highlight import highlight_lines
from exporter.render.options import RenderOptions
from exporter.render.word import ooxml, package, reference, styles
from exporter.safety.resources import Resource, ResourceResolver, shown_reference

CODE_TAB_SIZE = 4
KEEP_WHOLE_CODE_LINES = 12  # shorter code blocks are kept on one page
GAP_PT = 8.0
LABEL_MAX_LENGTH = 120
AVERAGE_ADVANCE_EM = 0.6  # Noto Sans, generous, for guessing how wide a word is
BOLD_ADVANCE_EM = 0.68
LONGEST_UNBROKEN_WORD = 14  # longer words may break inside a cell
METADATA_KEY_SHARE = 0.28
MAX_LIST_LEVEL = 8  # Word numbering has nine levels, 0 to 8
IMAGE_DPI = 96
DRAWING_DPI = 300  # recognised diagrams: print-quality PNG beside the SVG
SVG_CONTENT_TYPE = "image/svg+xml"
MAX_IMAGE_HEIGHT_SHARE = 0.8  # of the text height
BOOKMARK_MAX_LENGTH = 40
CORE_PROPERTY_MAX_LENGTH = 255
DEFAULT_AUTHOR = "designexport"
UNSAFE_SCHEMES = ("javascript", "vbscript", "data")
TWIPS_PER_PT = 20
MIN_CONTENT_WIDTH_PT = 72.0  # an inch: what a very deeply nested picture or table still gets
EMU_PER_PT = 12700

_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_BOOKMARK_UNSAFE = re.compile(r"[^A-Za-z0-9_]+")
_ALIGNMENTS: dict[Alignment, WD_ALIGN_PARAGRAPH | None] = {
    "default": None,
    "left": WD_ALIGN_PARAGRAPH.LEFT,
    "center": WD_ALIGN_PARAGRAPH.CENTER,
    "right": WD_ALIGN_PARAGRAPH.RIGHT,
}
_BULLETS = ("\u2022", "\u25e6", "\u25aa")
_BULLET_SIZES = (0.0, 0.0, 7.0)  # DejaVu's small square is large next to its bullet
_ORDERED_FORMATS = ("decimal", "lowerLetter", "lowerRoman")


@dataclass(frozen=True, slots=True)
class Labels:
    """Words the Word file adds itself, in the document's language (as the HTML page does)."""

    language: str  # for Word's proofing of East Asian text
    contents: str
    page_number: tuple[str, ...]  # text pieces; "PAGE" and "NUMPAGES" become fields


LABELS = {
    "en": Labels("en-US", "Contents", ("Page ", "PAGE", " of ", "NUMPAGES")),
    "ja": Labels("ja-JP", "目次", ("PAGE", " / ", "NUMPAGES")),
}
FIELDS = frozenset({"PAGE", "NUMPAGES"})


def render_docx(document: Document, resolver: ResourceResolver, options: RenderOptions) -> bytes:
    """The document as the bytes of a .docx file."""
    return package.save(WordWriter(document, resolver, options).write())


# ---------------------------------------------------------------- state passed down the tree


@dataclass(frozen=True, slots=True)
class Context:
    """Where a block sits: its left indent, list nesting and the style its paragraphs take."""

    indent: int = 0  # twips from the left margin to where the block's text starts
    list_depth: int = 0
    paragraph_style: str = styles.BODY_TEXT


@dataclass(frozen=True, slots=True)
class RunFormat:
    bold: bool = False
    italic: bool = False
    strike: bool = False
    superscript: bool = False
    subscript: bool = False
    character_style: str | None = None


@dataclass(frozen=True, slots=True)
class RunSink:
    """Where new runs go: the paragraph itself, or a hyperlink inside it."""

    paragraph: DocxParagraph
    element: ooxml.Element
    width_pt: float  # room for pictures
    book: styles.StyleBook
    code_size_pt: float | None = None  # inline code size when the paragraph's text is not body size

    @classmethod
    def of(cls, paragraph: DocxParagraph, style: str, width_pt: float, book: styles.StyleBook) -> RunSink:
        return cls(paragraph, paragraph._p, width_pt, book, styles.inline_code_size_pt(style))

    def inside(self, element: ooxml.Element) -> RunSink:
        """The same paragraph, with runs going into `element` (a hyperlink)."""
        return replace(self, element=element)

    @property
    def in_hyperlink(self) -> bool:
        return bool(self.element.tag == qn("w:hyperlink"))

    def add_run(self, text: str, run_format: RunFormat) -> Run:
        run = self.paragraph.add_run()
        if self.element is not self.paragraph._p:
            self.element.append(run._r)
        character_style = run_format.character_style
        if character_style in (styles.INLINE_CODE, styles.KEYBOARD) and self.code_size_pt is not None:
            character_style = self.book.sized(character_style, self.code_size_pt)
        if character_style:
            ooxml.set_run_style(run, self.book.id_of(character_style))
        if run_format.bold:
            run.bold = True
        if run_format.italic:
            run.italic = True
        if run_format.strike:
            run.font.strike = True
        if run_format.superscript:
            run.font.superscript = True
        elif run_format.subscript:
            run.font.subscript = True
        if text:
            run.text = text
        return run

    def add_field(self, instruction: str, cached_result: str, run_format: RunFormat) -> None:
        """A field such as PAGE or NOTEREF, showing `cached_result` until Word updates it."""
        self.add_run("", RunFormat())._r.append(ooxml.field_char("begin"))
        self.add_run("", RunFormat())._r.append(ooxml.instruction_text(instruction))
        self.add_run("", RunFormat())._r.append(ooxml.field_char("separate"))
        self.add_run(cached_result, run_format)
        self.add_run("", RunFormat())._r.append(ooxml.field_char("end"))


class Story(Protocol):
    """Where new blocks go: the document body or one footnote."""

    @property
    def part(self) -> StoryPart: ...

    def add_paragraph(self, text: str = "") -> DocxParagraph: ...

    def add_table(self, rows: int, cols: int) -> WordTable: ...


class NoteStory:
    """The blocks of one footnote."""

    def __init__(self, element: ooxml.Element, part: StoryPart) -> None:
        self.element = element
        self._part = part

    @property
    def part(self) -> StoryPart:
        return self._part

    def add_paragraph(self, text: str = "") -> DocxParagraph:
        element = cast(CT_P, ooxml.make("w:p"))
        self.element.append(element)
        paragraph = DocxParagraph(element, self._part)
        if text:
            paragraph.add_run(text)
        return paragraph

    def add_table(self, rows: int, cols: int) -> WordTable:
        element = CT_Tbl.new_tbl(rows, cols, Twips(0))
        self.element.append(element)
        return WordTable(element, self._part)


@dataclass(frozen=True, slots=True)
class Page:
    """A section's page: its size and margins in points."""

    width_pt: float
    height_pt: float
    left_pt: float
    right_pt: float
    top_pt: float
    bottom_pt: float

    @classmethod
    def of(cls, section: Section) -> Page:
        def points(length: int | None) -> float:
            return (length or 0) / EMU_PER_PT

        return cls(
            points(section.page_width),
            points(section.page_height),
            points(section.left_margin),
            points(section.right_margin),
            points(section.top_margin),
            points(section.bottom_margin),
        )

    @property
    def text_width_pt(self) -> float:
        return self.width_pt - self.left_pt - self.right_pt

    @property
    def text_height_pt(self) -> float:
        return self.height_pt - self.top_pt - self.bottom_pt

    def turned(self) -> Page:
        """The same paper turned on its side, margins kept."""
        return replace(self, width_pt=self.height_pt, height_pt=self.width_pt)


class Bookmarks:
    """Word bookmark names for element ids: at most 40 characters, starting with a letter, unique."""

    def __init__(self) -> None:
        self._names: dict[str, str] = {}
        self._taken: set[str] = set()
        self._placed: set[str] = set()
        self._next_id = 1

    def register(self, identifier: str) -> str:
        if identifier in self._names:
            return self._names[identifier]
        name = candidate = _bookmark_name(identifier)
        counter = 1
        while candidate in self._taken:
            counter += 1
            suffix = f"_{counter}"
            candidate = name[: BOOKMARK_MAX_LENGTH - len(suffix)] + suffix
        self._taken.add(candidate)
        self._names[identifier] = candidate
        return candidate

    def name_of(self, identifier: str) -> str | None:
        return self._names.get(identifier)

    def start(self, sink: RunSink, identifier: str) -> ooxml.Element | None:
        """Places the identifier's bookmark start; returns the end marker to place after the content."""
        name = self.name_of(identifier)
        if name is None or name in self._placed:
            return None
        self._placed.add(name)
        bookmark_id = self._next_id
        self._next_id += 1
        sink.element.append(ooxml.bookmark_start(bookmark_id, name))
        return ooxml.bookmark_end(bookmark_id)


def _bookmark_name(identifier: str) -> str:
    """ASCII letters, digits and underscores; a hash keeps lossy or long names distinct."""
    name = _BOOKMARK_UNSAFE.sub("_", identifier).strip("_")
    lossy = name != identifier.replace("-", "_")
    if not name[:1].isalpha():
        name = f"id_{name}".rstrip("_")
        lossy = True
    if lossy or len(name) > BOOKMARK_MAX_LENGTH:
        digest = hashlib.sha1(identifier.encode("utf-8")).hexdigest()[:8]
        name = f"{name[: BOOKMARK_MAX_LENGTH - 9]}_{digest}"
    return name


class ListNumbering:
    """Two list definitions, bullets and ordered, and one numbering instance per ordered list."""

    def __init__(self, document: DocxDocument) -> None:
        self._numbering = document.part.numbering_part.element
        first_abstract = ooxml.max_attribute(self._numbering.findall(qn("w:abstractNum")), "w:abstractNumId") + 1
        self._bullet_abstract = first_abstract
        self._ordered_abstract = first_abstract + 1
        self._next_num = ooxml.max_attribute(self._numbering.findall(qn("w:num")), "w:numId") + 1
        self._bullet_num: int | None = None
        step = styles.LIST_INDENT_TWIPS
        bullet_levels = [
            ooxml.ListLevel(
                "bullet", _BULLETS[level % 3], step * (level + 1), step, styles.SYMBOL_FONT, _BULLET_SIZES[level % 3]
            )
            for level in range(MAX_LIST_LEVEL + 1)
        ]
        ordered_levels = [
            ooxml.ListLevel(_ORDERED_FORMATS[level % 3], f"%{level + 1}.", step * (level + 1), step)
            for level in range(MAX_LIST_LEVEL + 1)
        ]
        ooxml.add_abstract_numbering(self._numbering, ooxml.abstract_numbering(self._bullet_abstract, bullet_levels))
        ooxml.add_abstract_numbering(self._numbering, ooxml.abstract_numbering(self._ordered_abstract, ordered_levels))

    def bullets(self) -> int:
        if self._bullet_num is None:
            self._bullet_num = self._instance(self._bullet_abstract, 0, 1)
        return self._bullet_num

    def ordered(self, level: int, start: int) -> int:
        """A fresh instance, so each list counts from its own Markdown start number."""
        return self._instance(self._ordered_abstract, level, start)

    def _instance(self, abstract_id: int, level: int, start: int) -> int:
        num_id = self._next_num
        self._next_num += 1
        ooxml.add_numbering_instance(self._numbering, num_id, abstract_id, level, max(start, 0))
        return num_id


# ---------------------------------------------------------------- the writer


class WordWriter:
    def __init__(self, document: Document, resolver: ResourceResolver, options: RenderOptions) -> None:
        self.tree = document
        self.resolver = resolver
        self.reporter = resolver.reporter
        self.options = options
        self.labels = LABELS.get(document.language, LABELS["en"])
        self.docx = self._base_document()
        self.book = styles.StyleBook(self.docx)
        self.page = Page.of(self.docx.sections[0])
        self.section_template = cast(CT_SectPr, self.docx.element.body.get_or_add_sectPr())
        self.story: Story = self.docx
        self.bookmarks = Bookmarks()
        self.svg_count = 0
        self.line = 0
        self.cited_notes: set[int] = set()
        self.in_note = False
        self.pending_gap = False
        self.last_paragraph: DocxParagraph | None = None
        self.group_end: DocxParagraph | None = None  # last paragraph of the latest code block, diagram or list
        self.landscape_end: DocxParagraph | None = None  # the paragraph ending the latest landscape section
        self.lists = ListNumbering(self.docx)
        self._keeps_next: dict[str, bool] = {}
        self.pictures = _Pictures()

    def write(self) -> DocxDocument:
        self._register_link_targets()
        self._properties()
        blocks = self.tree.blocks
        title = title_heading(blocks)
        if title is not None:
            self._heading(title, Context(), as_title=True)
            blocks = blocks[1:]
        if self.tree.metadata:
            self._document_control()
        if self.tree.toc:
            self._table_of_contents()
        for block in blocks:
            self._block(block, Context())
        if self.tree.footnotes:
            self._footnotes()
        self._header_and_footer()
        self._number_drawings()
        return self.docx

    # ------------------------------------------------------------ package, page, properties

    def _base_document(self) -> DocxDocument:
        """Our reference document, or the user's with our styles added where it has none of that name."""
        options = self.options
        if options.reference_docx is None:
            document = reference.our_document(options.theme, options.paper)
            styles.set_east_asian_language(document, self.labels.language)
            return document
        try:
            document = reference.user_document(options.reference_docx)
        except reference.ReferenceDocxError as error:
            raise ExportError(self.tree.source, str(error)) from None
        section = document.sections[0]
        if not section.page_width or not section.page_height:
            reference.set_page_geometry(section, options.paper)
        ours = reference.our_document(options.theme, options.paper, Page.of(section).text_width_pt)
        reference.copy_missing_styles(document, ours)
        return document

    def _properties(self) -> None:
        """Core properties from the metadata, and every metadata field as a custom property."""
        properties = self.docx.core_properties
        properties.title = self._property(self.tree.title)
        properties.subject = self._metadata_property("Requirement")
        properties.category = self._metadata_property("Status")
        properties.keywords = self._metadata_property("Keywords") or self._metadata_property("Tags")
        properties.author = self._metadata_property("Author") or self._metadata_property("Authors") or DEFAULT_AUTHOR
        properties.last_modified_by = DEFAULT_AUTHOR
        properties.comments = ""
        properties.revision = 1
        properties.created = properties.modified = self._moment()
        custom: dict[str, tuple[str, str]] = {}
        for item in self.tree.metadata:
            name = self._property(item.key.strip())
            if name and name.casefold() not in custom:
                custom[name.casefold()] = (name, self._clean(item.text))
        package.set_custom_properties(self.docx, custom.values())

    def _moment(self) -> datetime.datetime:
        """The document's date (see exporter.enrich.moment), else now; naive UTC, as Word stores it."""
        moment = document_moment(self.tree) or datetime.datetime.now(datetime.UTC).replace(microsecond=0)
        return moment.astimezone(datetime.UTC).replace(tzinfo=None)

    def _property(self, value: str) -> str:
        return self._clean(value)[:CORE_PROPERTY_MAX_LENGTH]

    def _metadata_property(self, key: str) -> str:
        for item in self.tree.metadata:
            if item.key.casefold() == key.casefold():
                self.line = item.line
                return self._property(item.text)
        return ""

    def _header_and_footer(self) -> None:
        """Header: title, and status at the right margin. Footer: requirement, and "Page X of Y" at the right."""
        section = self.docx.sections[0]
        title = self._inline_text(self.tree.title)
        status = self._inline_text(self.tree.metadata_value("Status"))
        if title or status:
            header = section.header
            paragraph = header.paragraphs[0] if header.paragraphs else header.add_paragraph()
            self._style(paragraph, styles.HEADER)
            sink = self._sink(paragraph, styles.HEADER, self.page.text_width_pt)
            if title:
                sink.add_run(title, RunFormat())
            if status:
                sink.add_run("", RunFormat())._r.append(ooxml.right_margin_tab())
                sink.add_run(status, RunFormat())
            watermark = self.options.watermark_text(status)
            if watermark:
                paragraph._p.append(ooxml.watermark_run(watermark, self.options.theme.font("heading", "Noto Sans")))
        footer = section.footer
        paragraph = footer.paragraphs[0] if footer.paragraphs else footer.add_paragraph()
        self._style(paragraph, styles.FOOTER)
        sink = self._sink(paragraph, styles.FOOTER, self.page.text_width_pt)
        requirement = self._inline_text(self.tree.metadata_value("Requirement"))
        if requirement:
            sink.add_run(requirement, RunFormat())
        sink.add_run("", RunFormat())._r.append(ooxml.right_margin_tab())
        for piece in self.labels.page_number:
            if piece in FIELDS:
                sink.add_field(piece, "1", RunFormat())
            else:
                sink.add_run(piece, RunFormat())

    def _number_drawings(self) -> None:
        """Pictures get ids unique across the body, notes, headers and footers, as Word wants."""
        stories = [self.docx.part.element]
        for relationship in self.docx.part.rels.values():
            if not relationship.is_external and relationship.reltype in (
                RELATIONSHIP_TYPE.FOOTNOTES,
                RELATIONSHIP_TYPE.HEADER,
                RELATIONSHIP_TYPE.FOOTER,
            ):
                stories.append(cast(StoryPart, relationship.target_part).element)
        drawings = [drawing for story in stories for drawing in story.iter(qn("wp:docPr"))]
        for number, drawing in enumerate(drawings, start=1):
            drawing.set("id", str(number))

    def _register_link_targets(self) -> None:
        """Bookmark names for every heading and raw anchor, before anything links to them; and for each
        note's first reference, which later references point to."""
        for node in _walk((*self.tree.blocks, *self.tree.footnotes)):
            if isinstance(node, Heading | Anchor) and node.id:
                self.bookmarks.register(node.id)
        for note in self.tree.footnotes:
            self.bookmarks.register(f"fnref-{note.number}")

    # ------------------------------------------------------------ front matter

    def _document_control(self) -> None:
        width = round(self.page.text_width_pt * TWIPS_PER_PT)
        key_width = round(width * METADATA_KEY_SHARE)
        table = self.story.add_table(len(self.tree.metadata), 2)
        ooxml.set_table_style(table._tbl.tblPr, self.book.id_of(styles.DOCUMENT_CONTROL))
        self._table_geometry(table, [key_width, width - key_width], indent=0, header=False)
        for row, item in zip(table.rows, self.tree.metadata, strict=True):
            self.line = item.line
            key_cell, value_cell = row.cells
            self._style(key_cell.paragraphs[0], styles.METADATA_KEY)
            key_cell.paragraphs[0].add_run(self._clean(item.key))
            value_paragraph = value_cell.paragraphs[0]
            self._style(value_paragraph, styles.METADATA_VALUE)
            cell_width_pt = (width - key_width - 2 * styles.TABLE_CELL_MARGIN_TWIPS) / TWIPS_PER_PT
            self._inlines(self._sink(value_paragraph, styles.METADATA_VALUE, cell_width_pt), item.value, RunFormat())
        self.pending_gap = True

    def _table_of_contents(self) -> None:
        """A TOC field whose cached result already lists the entries, linked to their headings, so it reads
        well before any update; F9 rebuilds the same list with page numbers."""
        self._add_paragraph(styles.TOC_HEADING, self.labels.contents)
        entries = list(_flatten_toc(self.tree.toc))
        deepest = max(entry.level for entry in entries)
        last: DocxParagraph | None = None
        for index, entry in enumerate(entries):
            style = styles.toc_style(entry.level)
            paragraph = self._add_paragraph(style)
            if index == 0:
                ooxml.append_field_begin(paragraph, f'TOC \\o "1-{deepest}" \\h \\z \\u')
            sink = self._sink(paragraph, style, self.page.text_width_pt)
            name = self.bookmarks.name_of(entry.id)
            if name is not None:
                link = ooxml.internal_hyperlink(name)
                paragraph._p.append(link)
                sink = sink.inside(link)
            label = f"{entry.number} {entry.text}" if entry.number else entry.text
            sink.add_run(self._clean(label), RunFormat())
            last = paragraph
        if last is not None:
            ooxml.append_field_end(last)
        self.pending_gap = True

    # ------------------------------------------------------------ blocks

    def _block(self, block: Block, context: Context) -> None:
        self.line = block.line
        grouped = isinstance(block, CodeBlock | Diagram | BulletList | OrderedList)
        if grouped and self.group_end is not None and self.last_paragraph is self.group_end:
            # Touching blocks of one contextual-spacing style would read as one; keep this gap.
            ooxml.set_paragraph_flag(ooxml.paragraph_properties(self.group_end), "w:contextualSpacing", on=False)
        self._dispatch(block, context)
        if grouped:
            self.group_end = self.last_paragraph

    def _dispatch(self, block: Block, context: Context) -> None:
        match block:
            case Heading():
                self._heading(block, context)
            case Paragraph():
                self._paragraph(block, context)
            case CodeBlock():
                self._code(block, context)
            case Diagram():
                self._diagram(block, context)
            case BulletList():
                self._list(block.items, None, block.tight, context)
            case OrderedList():
                self._list(block.items, block.start, block.tight, context)
            case Table():
                if block.fit == "landscape" and self.story is self.docx:
                    self._landscape_table(block, context)
                else:
                    self._table(block, context)
            case BlockQuote():
                inner = replace(
                    context, indent=context.indent + styles.QUOTE_INDENT_TWIPS, paragraph_style=styles.BLOCK_TEXT
                )
                for child in block.children:
                    self._block(child, inner)
            case Callout():
                inner = replace(
                    context, indent=context.indent + styles.QUOTE_INDENT_TWIPS, paragraph_style=styles.BLOCK_TEXT
                )
                title = self._new_paragraph(styles.CALLOUT_TITLE, context)
                title.add_run(CALLOUT_TITLES[block.kind])
                for child in block.children:
                    self._block(child, inner)
            case ThematicBreak():
                self._new_paragraph(styles.HORIZONTAL_RULE, context)
            case Details():
                summary = self._new_paragraph(styles.DETAILS_SUMMARY, context)
                self._inlines(
                    self._sink(summary, styles.DETAILS_SUMMARY, self._width_pt(context)), block.summary, RunFormat()
                )
                for child in block.children:
                    self._block(child, context)
            case _:
                assert_never(block)

    def _heading(self, heading: Heading, context: Context, as_title: bool = False) -> None:
        style = styles.TITLE if as_title else styles.heading_style(heading.level)
        paragraph = self._new_paragraph(style, context)
        sink = self._sink(paragraph, style, self._width_pt(context))
        bookmark_end = self.bookmarks.start(sink, heading.id) if heading.id else None
        if heading.number:
            sink.add_run(f"{heading.number} ", RunFormat())
        self._inlines(sink, heading.children, RunFormat())
        if bookmark_end is not None:
            paragraph._p.append(bookmark_end)

    def _paragraph(self, block: Paragraph, context: Context) -> None:
        image = _sole_image(block.children)
        if image is not None and context.paragraph_style == styles.BODY_TEXT:
            self._figure(image, context)
            return
        paragraph = self._new_paragraph(context.paragraph_style, context)
        if _is_label(block.children):
            paragraph.paragraph_format.keep_with_next = True
        sink = self._sink(paragraph, context.paragraph_style, self._width_pt(context))
        self._inlines(sink, block.children, RunFormat())

    def _figure(self, image: Image, context: Context) -> None:
        paragraph = self._new_paragraph(styles.FIGURE, context)
        problem = self._embed_picture(paragraph.add_run(), image, self._width_pt(context))
        if not problem:
            if image.alt.strip():
                caption = self._new_paragraph(styles.CAPTION, context)
                caption.add_run(self._clean(image.alt.strip()))
            return
        # A bordered box: the alt text, then what was referenced and why it isn't shown.
        self._style(paragraph, styles.PLACEHOLDER)
        self._box_placeholder(paragraph)
        if image.alt.strip():
            paragraph.add_run(self._clean(image.alt.strip())).bold = True
            paragraph.add_run().add_break()
        paragraph.add_run(self._clean(f"image not available: {shown_reference(image.source)} — {problem}"))

    def _code(self, block: CodeBlock, context: Context) -> None:
        text = "\n".join(line.expandtabs(CODE_TAB_SIZE) for line in block.text.split("\n"))
        lines = highlight_lines(text, block.language)
        keep = _keep_with_next_lines(len(lines))
        for index, styled_runs in enumerate(lines):
            paragraph = self._new_paragraph(styles.SOURCE_CODE, context, natural_indent=styles.CODE_PADDING_TWIPS)
            if index in keep:
                paragraph.paragraph_format.keep_with_next = True
            for styled in styled_runs:
                run = paragraph.add_run()
                _preserve_spaces(run, self._clean(styled.text))
                if styled.color:
                    run.font.color.rgb = RGBColor.from_string(styled.color.upper())
                if styled.bold:
                    run.bold = True
                if styled.italic:
                    run.italic = True

    def _diagram(self, block: Diagram, context: Context) -> None:
        """A recognised drawing as a picture; otherwise one paragraph per line on an exact grid."""
        size = _diagram_font_size(block.columns, self._width_pt(context))
        if block.drawing is not None:
            self._drawing(block, block.drawing, size, context)
            return
        style = styles.DIAGRAM if size == styles.DIAGRAM_SIZE_PT else self.book.sized(styles.DIAGRAM, size)
        wide_spacing = round((2 * styles.MONO_ADVANCE_EM - 1) * size * TWIPS_PER_PT)
        for index, line in enumerate(block.lines):
            paragraph = self._new_paragraph(style, context)
            if index < len(block.lines) - 1:  # a diagram never splits across pages
                paragraph.paragraph_format.keep_with_next = True
            for text, wide in _split_by_width(self._clean(line)):
                run = paragraph.add_run()
                _preserve_spaces(run, text)
                if wide:  # a full-width fallback glyph is 1 em; two grid cells are 1.204 em
                    ooxml.set_character_spacing(ooxml.run_properties(run), wide_spacing)

    def _list(self, items: tuple[ListItem, ...], start: int | None, tight: bool, context: Context) -> None:
        level = min(context.list_depth, MAX_LIST_LEVEL)
        num_id = self.lists.bullets() if start is None else self.lists.ordered(level, start)
        item_style = styles.COMPACT if tight else styles.LIST_PARAGRAPH
        text_indent = context.indent + styles.LIST_INDENT_TWIPS
        inner = Context(indent=text_indent, list_depth=context.list_depth + 1, paragraph_style=item_style)
        for item in items:
            self.line = item.line
            paragraph = self._add_paragraph(item_style)
            ooxml.set_numbering(paragraph, num_id, level)
            if text_indent != styles.LIST_INDENT_TWIPS * (level + 1):
                ooxml.set_indent(ooxml.paragraph_properties(paragraph), text_indent, styles.LIST_INDENT_TWIPS)
            sink = self._sink(paragraph, item_style, self._width_pt(inner))
            if item.checked is not None:
                sink.add_run("\u2612 " if item.checked else "\u2610 ", RunFormat(character_style=styles.TASK_BOX))
            self._continue_with(sink, item.children, inner)

    def _landscape_table(self, table: Table, context: Context) -> None:
        """The table on pages of its own, turned landscape; headers and footers carry on."""
        portrait = self.page
        previous = self.landscape_end
        body = self.docx.element.body
        if previous is not None and previous._p.getnext() is body.find(qn("w:sectPr")):
            body.remove(previous._p)  # straight after another landscape table: share its pages
            self.pending_gap = True
        else:
            self._end_section_before_table(portrait)
            self.pending_gap = False
        self.page = portrait.turned()
        self._table(table, context)
        self.landscape_end = self._section_break(self.page)
        self.page = portrait
        self.pending_gap = False

    def _end_section_before_table(self, page: Page) -> None:
        """Ends the current section before the table and the headings or labels that lead into it,
        in the last paragraph before them, or in a section-break paragraph when that is a table."""
        body = self.docx.element.body
        blocks = [child for child in body if child.tag in (qn("w:p"), qn("w:tbl"))]
        while blocks and blocks[-1].tag == qn("w:p") and self._keeps_with_next(blocks[-1]):
            blocks.pop()
        if not blocks:
            return  # nothing before the table: the first section is the landscape one
        anchor = blocks[-1]
        if anchor.tag == qn("w:p") and anchor.find(f"{qn('w:pPr')}/{qn('w:sectPr')}") is None:
            paragraph_props = cast(CT_P, anchor).get_or_add_pPr()
            ooxml.set_child(paragraph_props, self._section_properties(page), ooxml.PARAGRAPH_PROPERTY_ORDER)
        else:
            anchor.addnext(self._section_break(page)._p)

    def _section_break(self, page: Page) -> DocxParagraph:
        """A near-invisible paragraph at the end of the body that ends a section on `page`."""
        paragraph = self.docx.add_paragraph()
        self._style(paragraph, styles.SECTION_BREAK)
        ooxml.paragraph_properties(paragraph).append(self._section_properties(page))
        return paragraph

    def _section_properties(self, page: Page) -> CT_SectPr:
        return ooxml.section_properties(
            self.section_template,
            round(page.width_pt * TWIPS_PER_PT),
            round(page.height_pt * TWIPS_PER_PT),
            landscape=page.width_pt > page.height_pt,
        )

    def _keeps_with_next(self, paragraph: ooxml.Element) -> bool:
        """Whether the paragraph is kept with the next one, directly or through its style."""
        properties = paragraph.find(qn("w:pPr"))
        direct = properties.find(qn("w:keepNext")) if properties is not None else None
        if direct is not None:
            return direct.get(qn("w:val")) not in ("0", "false", "off")
        style = properties.find(qn("w:pStyle")) if properties is not None else None
        style_id = style.get(qn("w:val")) if style is not None else None
        if not style_id:
            return False
        if style_id not in self._keeps_next:
            found = next((item for item in self.docx.styles if item.style_id == style_id), None)
            keeps = False
            while found is not None:
                element = found.element.find(f"{qn('w:pPr')}/{qn('w:keepNext')}")
                if element is not None:
                    keeps = element.get(qn("w:val")) not in ("0", "false", "off")
                    break
                found = found.base_style
            self._keeps_next[style_id] = keeps
        return self._keeps_next[style_id]

    def _table(self, table: Table, context: Context) -> None:
        columns = len(table.header)
        if columns == 0:
            return
        if self.pending_gap:  # Word joins tables that touch
            self._add_paragraph(styles.NORMAL).paragraph_format.space_after = Pt(GAP_PT)
        compact = table.fit != "normal"
        body_style = styles.TABLE_COMPACT if compact else styles.TABLE_TEXT
        header_style = styles.TABLE_HEADING_COMPACT if compact else styles.TABLE_HEADING
        width = round(self._width_pt(context) * TWIPS_PER_PT)
        widths = _share_out(width, table.column_weights, columns)
        widths = _widen_for_words(widths, _word_minimums(table, styles.text_size_pt(body_style)))
        word_table = self.story.add_table(1 + len(table.rows), columns)
        ooxml.set_table_style(word_table._tbl.tblPr, self.book.id_of(styles.DESIGN_TABLE))
        self._table_geometry(word_table, widths, indent=context.indent, header=True)
        for row_index, (word_row, cells) in enumerate(zip(word_table.rows, (table.header, *table.rows), strict=True)):
            for column, (word_cell, cell) in enumerate(zip(word_row.cells, cells, strict=True)):
                paragraph = word_cell.paragraphs[0]
                style = header_style if row_index == 0 else body_style
                self._style(paragraph, style)
                alignment = _ALIGNMENTS[table.alignments[column]] if column < len(table.alignments) else None
                if alignment is not None:
                    paragraph.paragraph_format.alignment = alignment
                room = (widths[column] - 2 * styles.TABLE_CELL_MARGIN_TWIPS) / 20
                self._cell(self._sink(paragraph, style, room), cell)
        self.pending_gap = True

    def _cell(self, sink: RunSink, cell: TableCell) -> None:
        self._inlines(sink, cell.children, RunFormat())

    def _table_geometry(self, table: WordTable, widths: list[int], indent: int, header: bool) -> None:
        """Fixed layout with explicit widths on the table, its grid and every cell; rows never split."""
        table.autofit = False
        properties = table._tbl.tblPr
        ooxml.set_table_width(properties, sum(widths))
        if indent:
            ooxml.set_table_indent(properties, indent)
        ooxml.set_table_look(properties, first_row=header, first_column=not header, banded_rows=header)
        for column, width in zip(table.columns, widths, strict=True):
            column.width = Twips(width)
        for row_index, row in enumerate(table.rows):
            ooxml.set_row_flags(row._tr.get_or_add_trPr(), repeat_as_header=header and row_index == 0)
            for cell, width in zip(row.cells, widths, strict=True):
                cell.width = Twips(width)

    # ------------------------------------------------------------ footnotes

    def _footnotes(self) -> None:
        """Real Word footnotes: each note's blocks in word/footnotes.xml, starting with its number mark."""
        part = package.add_footnotes_part(self.docx)
        self.in_note = True
        for note in self.tree.footnotes:
            if note.number not in self.cited_notes:
                self.reporter.warn(
                    note.line,
                    "docx-note-in-note",
                    f"note [^{note.label}] is cited only inside another note; Word can't"
                    " show notes within notes, so the DOCX leaves it out",
                )
                continue
            element = ooxml.make("w:footnote", id=str(note.number))
            part.element.append(element)
            self.story = NoteStory(element, part)
            self._note(note)
            if element[-1].tag != qn("w:p"):  # a note ends with a paragraph
                self._add_paragraph(styles.FOOTNOTE_TEXT)
        self.story = self.docx
        self.in_note = False

    def _note(self, note: Footnote) -> None:
        self.line = note.line
        self.pending_gap = False
        self.last_paragraph = self.group_end = None
        context = Context(paragraph_style=styles.FOOTNOTE_TEXT)
        paragraph = self._add_paragraph(styles.FOOTNOTE_TEXT)
        sink = self._sink(paragraph, styles.FOOTNOTE_TEXT, self._width_pt(context))
        sink.add_run("", RunFormat(character_style=styles.FOOTNOTE_REFERENCE))._r.append(ooxml.footnote_mark())
        sink.add_run(" ", RunFormat())
        self._continue_with(sink, note.children, context)

    def _continue_with(self, sink: RunSink, blocks: tuple[Block, ...], context: Context) -> None:
        """A leading paragraph goes on in `sink` (after a list marker or note mark); other blocks follow."""
        rest = blocks
        if rest and isinstance(rest[0], Paragraph):
            self._inlines(sink, rest[0].children, RunFormat())
            rest = rest[1:]
        for child in rest:
            self._block(child, context)

    # ------------------------------------------------------------ inlines

    def _inlines(self, sink: RunSink, nodes: tuple[Inline, ...], run_format: RunFormat) -> None:
        for node in nodes:
            match node:
                case Text(text=text):
                    sink.add_run(self._inline_text(text), run_format)
                case InlineCode(text=text):
                    sink.add_run(self._inline_text(text), replace(run_format, character_style=styles.INLINE_CODE))
                case Emphasis(children=children):
                    self._inlines(sink, children, replace(run_format, italic=True))
                case Strong(children=children):
                    self._inlines(sink, children, replace(run_format, bold=True))
                case Strikethrough(children=children):
                    self._inlines(sink, children, replace(run_format, strike=True))
                case Superscript(children=children):
                    self._inlines(sink, children, replace(run_format, superscript=True, subscript=False))
                case Subscript(children=children):
                    self._inlines(sink, children, replace(run_format, subscript=True, superscript=False))
                case Keyboard(children=children):
                    self._inlines(sink, children, replace(run_format, character_style=styles.KEYBOARD))
                case Link():
                    self._link(sink, node, run_format)
                case Image():
                    run = sink.add_run("", run_format)
                    problem = self._embed_picture(run, node, sink.width_pt)
                    if problem:
                        run.text = self._clean(_placeholder_text(node))
                        self._mark_placeholder(run)
                case FootnoteRef():
                    self._footnote_reference(sink, node)
                case Anchor(id=identifier):
                    bookmark_end = self.bookmarks.start(sink, identifier)
                    if bookmark_end is not None:
                        sink.element.append(bookmark_end)
                case SoftBreak():
                    sink.add_run(" ", run_format)
                case HardBreak():
                    sink.add_run("", run_format).add_break()
                case _:
                    assert_never(node)

    def _link(self, sink: RunSink, link: Link, run_format: RunFormat) -> None:
        element = None if sink.in_hyperlink else self._hyperlink_element(link)
        if element is None:
            self._inlines(sink, link.children, run_format)
            return
        sink.element.append(element)
        inner = sink.inside(element)
        self._inlines(inner, link.children, replace(run_format, character_style=styles.HYPERLINK))

    def _hyperlink_element(self, link: Link) -> ooxml.Element | None:
        """A w:hyperlink for the target, or None when it can't or mustn't be followed."""
        target = self._clean(link.target.strip())
        tooltip = self._clean(link.title)
        if target.startswith("#"):
            name = self.bookmarks.name_of(urllib.parse.unquote(target[1:]))
            return ooxml.internal_hyperlink(name, tooltip) if name else None
        scheme = urllib.parse.urlsplit(re.sub(r"[\x00-\x20]", "", target)).scheme.lower()
        if not target or scheme in UNSAFE_SCHEMES:
            return None
        safe_target = urllib.parse.quote(target, safe="!#$%&'()*+,-./:;=?@[]_~")
        relationship = self.story.part.relate_to(safe_target, RELATIONSHIP_TYPE.HYPERLINK, is_external=True)
        return ooxml.external_hyperlink(relationship, tooltip)

    def _footnote_reference(self, sink: RunSink, reference: FootnoteRef) -> None:
        """The first reference is Word's own footnote reference; later ones point back to it with NOTEREF."""
        run_format = RunFormat(character_style=styles.FOOTNOTE_REFERENCE)
        bookmark = self.bookmarks.name_of(f"fnref-{reference.number}")
        if self.in_note or bookmark is None:  # Word has no notes within notes
            sink.add_run(str(reference.number), run_format)
            return
        if reference.number in self.cited_notes:
            sink.add_field(f"NOTEREF {bookmark} \\f \\h", str(reference.number), run_format)
            return
        self.cited_notes.add(reference.number)
        bookmark_end = self.bookmarks.start(sink, f"fnref-{reference.number}")
        sink.add_run("", run_format)._r.append(ooxml.footnote_reference(reference.number))
        if bookmark_end is not None:
            sink.element.append(bookmark_end)

    def _embed_picture(self, run: Run, image: Image, width_pt: float) -> str:
        """Embeds the image scaled to fit, never above its natural size at 96 dpi; "" if it could, else why not."""
        resource = self.resolver.load(image.source, image.line or self.line)
        if resource is None:
            return self.resolver.refusal_reason(image.source) or "not loaded"
        data = self._word_image_data(resource, image.line or self.line)
        if data is None:
            return "SVG is not supported in Word output" if resource.mime == SVG_CONTENT_TYPE else "unreadable image"
        info = PictureInfo.from_blob(data)
        natural_width = info.px_width * 72 / IMAGE_DPI
        natural_height = info.px_height * 72 / IMAGE_DPI
        height_pt = self.page.text_height_pt * MAX_IMAGE_HEIGHT_SHARE
        scale = min(1.0, width_pt / natural_width, height_pt / natural_height)
        shape = self.pictures.add(run, data, Emu(Pt(natural_width * scale)), Emu(Pt(natural_height * scale)))
        description = self._clean(image.alt or image.title)
        shape._inline.docPr.set("descr", description)
        if image.title:
            shape._inline.docPr.set("title", self._clean(image.title))
        return ""

    def _box_placeholder(self, paragraph: DocxParagraph) -> None:
        """The style's box, shaded, with a rule between neighbours: Word would draw two placeholders as one box."""
        palette = styles.Palette.from_theme(self.options.theme)
        paragraph_props = ooxml.paragraph_properties(paragraph)
        borders = ooxml.make("w:pBdr")
        for side in ("w:top", "w:left", "w:bottom", "w:right", "w:between"):
            borders.append(ooxml.make(side, val="single", sz="4", space="4", color=palette.border))
        ooxml.set_child(paragraph_props, borders, ooxml.PARAGRAPH_PROPERTY_ORDER)
        ooxml.set_paragraph_shading(paragraph_props, palette.code_fill)

    def _mark_placeholder(self, run: Run) -> None:
        """An inline placeholder, boxed and shaded like the figure one, so it doesn't read as text."""
        palette = styles.Palette.from_theme(self.options.theme)
        run_props = ooxml.run_properties(run)
        ooxml.set_run_border(run_props, palette.border)
        ooxml.set_run_shading(run_props, palette.code_fill)

    def _drawing(self, block: Diagram, drawing: DiagramDrawing, size_pt: float, context: Context) -> None:
        """A 300 dpi PNG that every reader shows, with the SVG attached for Word 2016+ (svgBlip)."""
        diagram_style = style_from_theme(self.options.theme)
        png = render_png(drawing, diagram_style, font_size_pt=size_pt, dpi=DRAWING_DPI)
        svg = render_svg(drawing, diagram_style, "\n".join(block.lines)).encode("utf-8")
        info = PictureInfo.from_blob(png)
        width_pt = info.px_width * 72 / DRAWING_DPI
        height_pt = info.px_height * 72 / DRAWING_DPI
        paragraph = self._new_paragraph(styles.FIGURE, context)
        run = paragraph.add_run()
        shape = self.pictures.add(run, png, Emu(Pt(width_pt)), Emu(Pt(height_pt)))
        shape._inline.docPr.set("descr", self._clean(aria_label(drawing)))
        self.svg_count += 1
        svg_part = Part(
            PackURI(f"/word/media/diagram{self.svg_count}.svg"), SVG_CONTENT_TYPE, svg, self.docx.part.package
        )
        relationship = self.docx.part.relate_to(svg_part, RELATIONSHIP_TYPE.IMAGE)
        ooxml.attach_svg(shape._inline, relationship)

    def _word_image_data(self, resource: Resource, line: int) -> bytes | None:
        """Bytes in a format Word shows: PNG, JPEG, GIF or BMP as they are, WebP converted to PNG."""
        if resource.mime == "image/svg+xml":
            self.reporter.warn(
                line, "docx-svg", f"SVG image {resource.name!r} can't be embedded in DOCX; shown as a placeholder"
            )
            return None
        data = resource.data if resource.mime != "image/webp" else _webp_as_png(resource.data)
        if data is not None and _has_picture_size(data):
            return data
        self.reporter.warn(line, "docx-image", f"image {resource.name!r} is unreadable; shown as a placeholder")
        return None

    # ------------------------------------------------------------ paragraphs and text

    def _new_paragraph(self, style: str, context: Context, natural_indent: int | None = None) -> DocxParagraph:
        """A paragraph in `style`, indented directly only when the context moves it off the style's own indent."""
        paragraph = self._add_paragraph(style)
        own_indent = natural_indent if natural_indent is not None else _style_indent(style)
        wanted = context.indent if style == styles.BLOCK_TEXT else context.indent + own_indent
        if wanted != own_indent:
            paragraph.paragraph_format.left_indent = Twips(wanted)
        return paragraph

    def _add_paragraph(self, style: str, text: str = "") -> DocxParagraph:
        """A body paragraph; the first one after a table or the contents gets room above it."""
        paragraph = self._body_paragraph(text) if self.story is self.docx else self.story.add_paragraph(text)
        self._style(paragraph, style)
        self.last_paragraph = paragraph
        if self.pending_gap:
            self.pending_gap = False
            if not styles.has_room_above(style):
                paragraph.paragraph_format.space_before = Pt(GAP_PT)
        return paragraph

    def _body_paragraph(self, text: str) -> DocxParagraph:
        """What `Document.add_paragraph` does, without its search through the whole body for the closing
        section properties on every call (quadratic: 20,000 code lines took 20 s)."""
        element = cast(CT_P, OxmlElement("w:p"))
        self.section_template.addprevious(element)
        paragraph = DocxParagraph(element, self.docx._body)
        if text:
            paragraph.add_run(text)
        return paragraph

    def _style(self, paragraph: DocxParagraph, style: str) -> None:
        ooxml.set_paragraph_style(paragraph, self.book.id_of(style))

    def _sink(self, paragraph: DocxParagraph, style: str, width_pt: float) -> RunSink:
        return RunSink.of(paragraph, style, width_pt, self.book)

    def _width_pt(self, context: Context) -> float:
        """The width left beside the indent; deep nesting still leaves a usable column, never a negative one."""
        return max(self.page.text_width_pt - context.indent / TWIPS_PER_PT, MIN_CONTENT_WIDTH_PT)

    def _inline_text(self, text: str) -> str:
        """Running text: line breaks and tabs inside it are plain spaces, as in HTML."""
        return self._clean(re.sub(r"[\t\r\n]", " ", text))

    def _clean(self, text: str) -> str:
        cleaned = _XML_ILLEGAL.sub("", text)
        if cleaned != text:
            self.reporter.warn(self.line, "docx-control-character", "removed control characters a Word file can't hold")
        return cleaned


# ---------------------------------------------------------------- helpers


def _walk(nodes: tuple[object, ...]) -> Iterator[object]:
    """Every node of the tree below `nodes`, in document order."""
    for node in nodes:
        yield node
        if is_dataclass(node) and not isinstance(node, type):
            for spec in fields(node):
                value = getattr(node, spec.name)
                if isinstance(value, tuple):
                    for item in value:
                        yield from _walk(item if isinstance(item, tuple) else (item,))


def _flatten_toc(entries: tuple[TocEntry, ...]) -> Iterator[TocEntry]:
    for entry in entries:
        yield entry
        yield from _flatten_toc(entry.children)


def _sole_image(children: tuple[Inline, ...]) -> Image | None:
    meaningful = [
        node
        for node in children
        if not isinstance(node, SoftBreak | HardBreak) and not (isinstance(node, Text) and not node.text.strip())
    ]
    if len(meaningful) == 1 and isinstance(meaningful[0], Image):
        return meaningful[0]
    return None


def _is_label(children: tuple[Inline, ...]) -> bool:
    """A short lead-in such as "**Request:**" that belongs on the page of what follows."""
    text = plain_text(children).strip()
    all_strong = bool(children) and all(isinstance(node, Strong) for node in children)
    return len(text) <= LABEL_MAX_LENGTH and (text.endswith(":") or all_strong)


def _placeholder_text(image: Image) -> str:
    return f"[image not available: {image.alt or image.source}]"


def _style_indent(style: str) -> int:
    return styles.QUOTE_INDENT_TWIPS if style in (styles.BLOCK_TEXT, styles.CALLOUT_TITLE) else 0


def _keep_with_next_lines(count: int) -> set[int]:
    """Short blocks stay whole; long ones only avoid a lone first or last line."""
    if count <= KEEP_WHOLE_CODE_LINES:
        return set(range(count - 1))
    return {0, count - 2}


def _diagram_font_size(columns: int, width_pt: float) -> float:
    """9 pt, or smaller in half-point steps so `columns` cells fit the width (1% kept spare)."""
    if columns <= 0:
        return styles.DIAGRAM_SIZE_PT
    fitting = width_pt * 0.99 / (columns * styles.MONO_ADVANCE_EM)
    return max(1.0, min(styles.DIAGRAM_SIZE_PT, math.floor(fitting * 2) / 2))


def _split_by_width(line: str) -> Iterator[tuple[str, bool]]:
    """The line in pieces of narrow and of wide (two-cell) characters."""
    piece = ""
    piece_wide = False
    for char in line:
        wide = cell_width(char) == 2
        if piece and wide != piece_wide:
            yield piece, piece_wide
            piece = ""
        piece += char
        piece_wide = wide
    if piece:
        yield piece, piece_wide


def _preserve_spaces(run: Run, text: str) -> None:
    """Text whose spaces matter: every w:t keeps them, not just those with spaces at the ends."""
    run.text = text
    for element in run._r.iter(qn("w:t")):
        element.set(qn("xml:space"), "preserve")


def _share_out(total: int, weights: tuple[float, ...], count: int) -> list[int]:
    """`total` twips split by weight; rounding leftovers go to the last column."""
    usable = list(weights[:count]) + [0.0] * (count - len(weights))
    weight_sum = sum(usable)
    if weight_sum <= 0:
        usable, weight_sum = [1.0] * count, float(count)
    widths = [round(total * weight / weight_sum) for weight in usable]
    widths[-1] += total - sum(widths)
    return widths


def _word_minimums(table: Table, size_pt: float) -> list[int]:
    """Per column, the twips its longest word needs (up to a limit) plus the cell margins."""

    def longest_word(cells: list[TableCell]) -> int:
        words = (word for cell in cells for word in plain_text(cell.children).split())
        return min(max((display_width(word) for word in words), default=0), LONGEST_UNBROKEN_WORD)

    minimums: list[int] = []
    for column, header in enumerate(table.header):
        header_em = longest_word([header]) * BOLD_ADVANCE_EM
        body_em = longest_word([row[column] for row in table.rows]) * AVERAGE_ADVANCE_EM
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


class _Pictures:
    """Pictures added to runs, each image stored once however often it is used.

    Does what `Run.add_picture` does without its two scans of everything before: python-docx reads every
    `id` in the story for each new picture and hashes every stored image to find a duplicate, so 2,000
    pictures took minutes."""

    def __init__(self) -> None:
        self.relationships: dict[tuple[int, str], tuple[str, str]] = {}  # (part, sha256) -> (rId, file name)
        self.next_shape_id: dict[int, int] = {}  # part -> the next free drawing id in it
        self.part_names: set[str] = set()
        self.image_count = 0

    def add(self, run: Run, data: bytes, width: Length, height: Length) -> InlineShape:
        part = run.part
        key = (id(part), hashlib.sha256(data).hexdigest())
        if key not in self.relationships:
            image = PictureInfo.from_blob(data)
            image_part = ImagePart.from_image(image, self._new_part_name(part, image.ext))
            part.package.image_parts.append(image_part)
            self.relationships[key] = (part.relate_to(image_part, RELATIONSHIP_TYPE.IMAGE), image.filename)
        relationship, file_name = self.relationships[key]
        shape_id = self.next_shape_id.get(id(part)) or _first_free_id(part)
        self.next_shape_id[id(part)] = shape_id + 1
        inline = CT_Inline.new_pic_inline(shape_id, relationship, file_name, width, height)
        run._r.add_drawing(inline)
        return InlineShape(inline)

    def _new_part_name(self, part: Part, extension: str) -> PackURI:
        if not self.part_names:
            self.part_names = {str(existing.partname) for existing in part.package.iter_parts()}
        while True:
            self.image_count += 1
            name = f"/word/media/image{self.image_count}.{extension}"
            if name not in self.part_names:
                self.part_names.add(name)
                return PackURI(name)


def _first_free_id(part: StoryPart) -> int:
    """One more than the largest `id` attribute in the part, as python-docx counts (once per part here)."""
    used = [int(value) for value in part.element.xpath("//@id") if value.isdigit()]
    return max(used, default=0) + 1


def _has_picture_size(data: bytes) -> bool:
    """Whether python-docx can read the picture and finds it non-empty."""
    try:
        info = PictureInfo.from_blob(data)
    except Exception:  # damaged files raise struct.error, UnexpectedEndOfFileError, bare Exception...
        return False
    return info.px_width > 0 and info.px_height > 0


def _webp_as_png(data: bytes) -> bytes | None:
    try:
        from PIL import Image as PillowImage
    except ImportError:
        return None
    try:
        with PillowImage.open(io.BytesIO(data)) as picture:
            output = io.BytesIO()
            picture.save(output, format="PNG")
            return output.getvalue()
    except (OSError, ValueError):
        return None
