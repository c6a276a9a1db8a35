"""What every call of the Word writer reads: the frozen `Context` (the document being written, and where
in it the call is: which story, on what page, how far indented, on which line of the source), and the
stories it writes into.

A nested call gets a derived context (`dataclasses.replace`), never a field set and restored by hand.
What accumulates lives in `state.State`; how each story ends so far lives in its `Story`.
"""

from __future__ import annotations

import abc
import re
from dataclasses import dataclass, replace

from docx.document import Document as DocxDocument
from docx.parts.story import StoryPart
from docx.section import Section

from exporter.enrich.presentation import Presentation
from exporter.model.diagnostics import Code, Reporter
from exporter.model.tree import Document
from exporter.render.options import RenderOptions
from exporter.render.word import anchors, ooxml, ooxml_body, styles
from exporter.render.word.runs import RunSink
from exporter.render.word.state import State
from exporter.safety.resources import ResourceResolver

GAP_PT = 8.0  # room above the first paragraph after a table or the contents
TWIPS_PER_PT = 20
GAP_TWIPS = round(GAP_PT * TWIPS_PER_PT)
EMU_PER_PT = 12700
MIN_CONTENT_WIDTH_PT = 72.0  # an inch: what a very deeply nested picture or table still gets
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_LINE_BREAKS_AND_TABS = re.compile(r"[\t\r\n]")


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


# ---------------------------------------------------------------- stories


class Story(abc.ABC):
    """A stream of blocks, the body or one footnote, and how it ends so far."""

    def __init__(self, part: StoryPart) -> None:
        self.part = part  # what its hyperlinks and pictures are related from
        self.pending_gap = False  # the next paragraph needs room above it (after a table or the contents)
        self.last_paragraph: ooxml.Element | None = None
        self.group_end: ooxml.Element | None = None  # last paragraph of the latest code block, diagram or list

    @abc.abstractmethod
    def new_paragraph(self, style_id: str) -> ooxml.Element:
        """A paragraph of the style at the end of the story, still empty."""

    @abc.abstractmethod
    def new_table(self) -> ooxml.Element:
        """An empty w:tbl at the end of the story, for ooxml_body.lay_out_table."""


class BodyStory(Story):
    """The body's blocks, written into a detached element and attached by `finish`."""

    def __init__(self, document: DocxDocument) -> None:
        super().__init__(document.part)
        self.document = document
        self.closing_section = ooxml.body_section_properties(document)  # the last section's page setup
        self.blocks = ooxml_body.detached_blocks(document.element.body)
        self.landscape_end: ooxml.Element | None = None  # the paragraph ending the latest landscape section

    def new_paragraph(self, style_id: str) -> ooxml.Element:
        return ooxml_body.add_paragraph(self.blocks, style_id)

    def new_table(self) -> ooxml.Element:
        return ooxml_body.add_table(self.blocks)

    def finish(self) -> None:
        """Puts the blocks written so far into the document's body, before its closing section properties."""
        ooxml_body.attach_blocks(self.blocks, self.closing_section)


class NoteStory(Story):
    """The blocks of one footnote."""

    def __init__(self, part: StoryPart, note: ooxml.Element) -> None:
        super().__init__(part)
        self.note = note

    def new_paragraph(self, style_id: str) -> ooxml.Element:
        return ooxml_body.add_paragraph(self.note, style_id)

    def new_table(self) -> ooxml.Element:
        return ooxml_body.add_table(self.note)


# ---------------------------------------------------------------- the context


@dataclass(frozen=True, slots=True)
class Context:
    """Everything a call reads. The first seven fields are the same for every call of a run."""

    tree: Document
    docx: DocxDocument
    book: styles.StyleBook
    options: RenderOptions
    presentation: Presentation  # what every output shows the same way: labels, title, sizes
    resolver: ResourceResolver
    state: State  # the run's one mutable object: what has been allocated so far
    story: Story
    page: Page
    line: int = 0  # the source line warnings name, and the paragraphs written here are anchored to
    indent: int = 0  # twips from the left margin to where the block's text starts
    list_depth: int = 0
    paragraph_style: str = styles.BODY_TEXT  # what the block's plain paragraphs are

    @property
    def reporter(self) -> Reporter:
        return self.resolver.reporter

    @property
    def in_note(self) -> bool:
        return isinstance(self.story, NoteStory)

    @property
    def width_pt(self) -> float:
        """The width left beside the indent; deep nesting still leaves a usable column, never a negative one."""
        return max(self.page.text_width_pt - self.indent / TWIPS_PER_PT, MIN_CONTENT_WIDTH_PT)

    def at(self, line: int) -> Context:
        return replace(self, line=line)

    def clean(self, text: str) -> str:
        """The text without characters an XML file can't hold."""
        cleaned = _XML_ILLEGAL.sub("", text)
        if cleaned != text:
            self.reporter.warn(
                self.line, Code.DOCX_CONTROL_CHARACTER, "removed control characters a Word file can't hold"
            )
        return cleaned

    def inline_text(self, text: str) -> str:
        """Running text: line breaks and tabs inside it are plain spaces, as in HTML."""
        return self.clean(_LINE_BREAKS_AND_TABS.sub(" ", text))

    def set_style(self, paragraph: ooxml.Element, style: str) -> None:
        ooxml_body.set_paragraph_style(paragraph, self.book.id_of(style))

    def sink(self, paragraph: ooxml.Element, style: str, width_pt: float | None = None) -> RunSink:
        """Where the paragraph's runs go; pictures get `width_pt`, by default the context's width."""
        return RunSink.of(paragraph, style, self.width_pt if width_pt is None else width_pt, self.book)

    def add_paragraph(self, style: str, text: str = "") -> ooxml.Element:
        """A paragraph at the end of the story; the first one after a table or the contents gets room above it."""
        story = self.story
        paragraph = story.new_paragraph(self.book.id_of(style))
        self.anchor(paragraph, style)
        if text:
            ooxml_body.add_run(paragraph, text=text)
        story.last_paragraph = paragraph
        if story.pending_gap:
            story.pending_gap = False
            if not styles.has_room_above(style):
                ooxml_body.set_space_before(paragraph, GAP_TWIPS)
        return paragraph

    def anchor(self, paragraph: ooxml.Element, style: str) -> None:
        """A hidden bookmark around the new, still empty paragraph, back to the context's source line (see
        anchors.py); none for what no source line holds (the contents, labels), written at line 0."""
        if self.line > 0:
            anchors.mark(paragraph, self.line, style, self.in_note)

    def add_block_paragraph(self, style: str, natural_indent: int | None = None) -> ooxml.Element:
        """A paragraph in `style`, indented directly only when the context moves it off the style's own indent."""
        paragraph = self.add_paragraph(style)
        own_indent = natural_indent if natural_indent is not None else _style_indent(style)
        wanted = self.indent if style in (styles.BLOCK_TEXT, styles.DEFINITION) else self.indent + own_indent
        if wanted != own_indent:
            ooxml_body.set_left_indent(paragraph, wanted)
        return paragraph


def _style_indent(style: str) -> int:
    if style == styles.DEFINITION:
        return styles.DEFINITION_INDENT_TWIPS
    return styles.QUOTE_INDENT_TWIPS if style in (styles.BLOCK_TEXT, styles.CALLOUT_TITLE) else 0
