"""Runs of text: the formatting an inline node asks for, and the paragraph (or hyperlink) runs go into."""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cache
from typing import Any

from docx.shared import Pt

from exporter.render.word import ooxml, ooxml_body, styles

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


PLAIN = RunFormat()


@cache
def changed(run_format: RunFormat, **changes: Any) -> RunFormat:
    """`run_format` with `changes`, made once for each: an inline's format is derived for every node in it."""
    return replace(run_format, **changes)


@dataclass(frozen=True, slots=True)
class RunSink:
    """Where new runs go: the paragraph itself, or a hyperlink inside it."""

    parent: ooxml.Element  # a w:p, or a w:hyperlink in one
    width_pt: float  # room for pictures
    book: styles.StyleBook
    code_size_pt: float | None = None  # inline code size when the paragraph's text is not body size
    text_size_pt: float = 0.0  # the paragraph style's text size, which <small> text shrinks from
    in_hyperlink: bool = False

    @classmethod
    def of(cls, paragraph: ooxml.Element, style: str, width_pt: float, book: styles.StyleBook) -> RunSink:
        return cls(paragraph, width_pt, book, styles.inline_code_size_pt(style), styles.text_size_pt(style))

    def into_hyperlink(self, hyperlink: ooxml.Element) -> RunSink:
        """Places `hyperlink` here; runs of the returned sink go inside it."""
        ooxml_body.append(self.parent, hyperlink)
        return replace(self, parent=hyperlink, in_hyperlink=True)

    def append(self, marker: ooxml.Element) -> None:
        """A bookmark start or end, after what is already here."""
        ooxml_body.append(self.parent, marker)

    def add_run(self, text: str, run_format: RunFormat) -> ooxml.Element:
        if run_format == PLAIN:
            return ooxml_body.add_run(self.parent, text=text)
        return ooxml_body.add_run(self.parent, self.properties(run_format), text)

    def add_run_holding(self, content: ooxml.Element, run_format: RunFormat = PLAIN) -> ooxml.Element:
        """A run holding a field character, tab, note reference or mark instead of text."""
        run = self.add_run("", run_format)
        ooxml_body.append(run, content)
        return run

    def add_field(self, instruction: str, cached_result: str, run_format: RunFormat) -> None:
        """A field such as PAGE or NOTEREF, showing `cached_result` until Word updates it."""
        self.add_run_holding(ooxml_body.field_char("begin"))
        self.add_run_holding(ooxml_body.instruction_text(instruction))
        self.add_run_holding(ooxml_body.field_char("separate"))
        self.add_run(cached_result, run_format)
        self.add_run_holding(ooxml_body.field_char("end"))

    def properties(self, run_format: RunFormat) -> ooxml_body.RunProperties:
        """The run properties a run of this format gets here."""
        character_style = run_format.character_style
        if character_style in (styles.INLINE_CODE, styles.KEYBOARD) and self.code_size_pt is not None:
            character_style = self.book.sized(character_style, self.code_size_pt)
        small = run_format.small and self.text_size_pt
        return ooxml_body.run_properties_of(
            style_id=self.book.id_of(character_style) if character_style else None,
            bold=run_format.bold,
            italic=run_format.italic,
            strike=run_format.strike,
            # python-docx's rounding of Pt() and of half points, as `font.size` wrote it
            half_points=int(Pt(self.text_size_pt * SMALL_SCALE).pt * 2) if small else 0,
            highlight="yellow" if run_format.highlight else "",
            underline="single" if run_format.underline else "",
            vertical_align="superscript" if run_format.superscript else "subscript" if run_format.subscript else "",
        )
