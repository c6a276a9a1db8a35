"""Runs of text: the formatting an inline node asks for, and the paragraph (or hyperlink) runs go into."""

from __future__ import annotations

from dataclasses import dataclass, replace

from docx.enum.text import WD_COLOR_INDEX
from docx.shared import Pt
from docx.text.paragraph import Paragraph
from docx.text.run import Run

from exporter.render.word import ooxml, styles

SMALL_SCALE = 0.85  # raw HTML <small>, as in styles/base.css


@dataclass(frozen=True, slots=True)
class RunFormat:
    bold: bool = False
    italic: bool = False
    strike: bool = False
    superscript: bool = False
    subscript: bool = False
    underline: bool = False
    highlight: bool = False
    small: bool = False
    character_style: str | None = None


@dataclass(frozen=True, slots=True)
class RunSink:
    """Where new runs go: the paragraph itself, or a hyperlink inside it."""

    container: ooxml.RunContainer
    width_pt: float  # room for pictures
    book: styles.StyleBook
    code_size_pt: float | None = None  # inline code size when the paragraph's text is not body size
    text_size_pt: float = 0.0  # the paragraph style's text size, which <small> text shrinks from

    @classmethod
    def of(cls, paragraph: Paragraph, style: str, width_pt: float, book: styles.StyleBook) -> RunSink:
        return cls(
            ooxml.RunContainer(paragraph), width_pt, book, styles.inline_code_size_pt(style), styles.text_size_pt(style)
        )

    @property
    def in_hyperlink(self) -> bool:
        return self.container.hyperlink is not None

    def into_hyperlink(self, hyperlink: ooxml.Element) -> RunSink:
        """Places `hyperlink` here; runs of the returned sink go inside it."""
        return replace(self, container=self.container.into_hyperlink(hyperlink))

    def append(self, marker: ooxml.Element) -> None:
        """A bookmark start or end, after what is already here."""
        self.container.append(marker)

    def add_run(self, text: str, run_format: RunFormat) -> Run:
        run = self.container.new_run()
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
        if run_format.underline:
            run.font.underline = True
        if run_format.highlight:
            run.font.highlight_color = WD_COLOR_INDEX.YELLOW
        if run_format.small and self.text_size_pt:
            run.font.size = Pt(self.text_size_pt * SMALL_SCALE)
        if run_format.superscript:
            run.font.superscript = True
        elif run_format.subscript:
            run.font.subscript = True
        if text:
            run.text = text
        return run

    def add_run_holding(self, content: ooxml.Element, run_format: RunFormat | None = None) -> Run:
        """A run holding a field character, tab, note reference or mark instead of text."""
        run = self.add_run("", run_format or RunFormat())
        ooxml.append_to_run(run, content)
        return run

    def add_field(self, instruction: str, cached_result: str, run_format: RunFormat) -> None:
        """A field such as PAGE or NOTEREF, showing `cached_result` until Word updates it."""
        self.add_run_holding(ooxml.field_char("begin"))
        self.add_run_holding(ooxml.instruction_text(instruction))
        self.add_run_holding(ooxml.field_char("separate"))
        self.add_run(cached_result, run_format)
        self.add_run_holding(ooxml.field_char("end"))
