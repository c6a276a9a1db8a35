"""The named styles of the Word file: everything a user may restyle lives here, not in runs."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import cache

from docx.document import Document as DocxDocument
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.shared import Pt, RGBColor, Twips
from docx.styles.style import BaseStyle, CharacterStyle, ParagraphStyle
from docx.styles.styles import Styles

from exporter.enrich.language import with_east_asian_region
from exporter.read.theme import Theme, plain_font_name
from exporter.render.word import ooxml

MONO_FONT = "DejaVu Sans Mono"  # fixed: diagrams need its exact metrics
EAST_ASIAN_FONT = "Noto Sans CJK JP"
SYMBOL_FONT = "DejaVu Sans"  # has the bullets and ballot boxes the text fonts lack
_RRGGBB = re.compile(r"[0-9A-F]{6}")


@dataclass(frozen=True, slots=True)
class Palette:
    """The theme's fonts and colours, as Word takes them: one family per slot, RRGGBB colours.

    Theme.font and Theme.color already fall back to the defaults below for anything else (the theme's
    warnings say so); the check here keeps any other value from ever reaching the XML.
    """

    body_font: str
    heading_font: str
    text: str
    heading: str
    muted: str
    link: str
    border: str
    code_fill: str
    header_fill: str
    stripe_fill: str

    def __post_init__(self) -> None:
        for font in (self.body_font, self.heading_font):
            if not plain_font_name(font):
                raise ValueError(f"not a plain font name for Word: {font!r}")
        colors = (self.text, self.heading, self.muted, self.link, self.border)
        for color in (*colors, self.code_fill, self.header_fill, self.stripe_fill):
            if _RRGGBB.fullmatch(color) is None:
                raise ValueError(f"not an RRGGBB colour for Word: {color!r}")

    @classmethod
    def from_theme(cls, theme: Theme) -> Palette:
        return cls(
            body_font=theme.font("text", "Noto Serif"),
            heading_font=theme.font("heading", "Noto Sans"),
            text=theme.color("text", "1F2328"),
            heading=theme.color("heading", "111418"),
            muted=theme.color("muted", "59636E"),
            link=theme.color("accent", "0969DA"),
            border=theme.color("rule", "D0D7DE"),
            code_fill=theme.color("code-background", "F6F8FA"),
            header_fill=theme.color("table-header", "EAEEF2"),
            stripe_fill=theme.color("table-stripe", "F7F8FA"),
        )


@cache
def palette(theme: Theme) -> Palette:
    """The theme's palette, read and checked once: every picture placeholder wants it."""
    return Palette.from_theme(theme)


BODY_SIZE_PT = 10.5
CODE_SIZE_PT = 8.5
DIAGRAM_SIZE_PT = 9.0
TABLE_SIZE_PT = 9.0
TABLE_COMPACT_SIZE_PT = 7.5
TITLE_SIZE_PT = 22.0
SUBTITLE_SIZE_PT = 13.0
SMALL_SIZE_PT = 9.0  # notes and captions

# DejaVu Sans Mono metrics, in em: advance width, and ascent plus descent.
MONO_ADVANCE_EM = 0.602
MONO_LINE_EM = 1.164

LIST_INDENT_TWIPS = 360  # per nesting level, also the hanging indent of the marker
QUOTE_INDENT_TWIPS = 300
DEFINITION_INDENT_TWIPS = 360  # a definition under its term, as far in as a list item's text
CODE_PADDING_TWIPS = 120
TABLE_CELL_MARGIN_TWIPS = 80
INLINE_CODE_SIZE_PT = 9.0
CODE_TO_TEXT_RATIO = 0.86  # monospace looks larger than the text face at the same size
HEADING_SIZES_PT = (17.0, 14.0, 12.0, 11.0, 10.5, 10.5)

# Paragraph styles.
NORMAL = "Normal"
TITLE = "Title"
SUBTITLE = "Subtitle"
BODY_TEXT = "Body Text"
COMPACT = "Compact"
LIST_PARAGRAPH = "List Paragraph"
BLOCK_TEXT = "Block Text"
CALLOUT_TITLE = "Callout Title"
DEFINITION_TERM = "Definition Term"  # pandoc's names for the same two styles
DEFINITION = "Definition"
SOURCE_CODE = "Source Code"
DIAGRAM = "Diagram"
FIGURE = "Figure"
CAPTION = "Caption"
HORIZONTAL_RULE = "Horizontal Rule"
DETAILS_SUMMARY = "Details Summary"
TABLE_TEXT = "Table Text"
TABLE_HEADING = "Table Heading"
TABLE_COMPACT = "Table Compact"
TABLE_HEADING_COMPACT = "Table Heading Compact"
METADATA_KEY = "Metadata Key"
METADATA_VALUE = "Metadata Value"
FOOTNOTE_TEXT = "Footnote Text"
TOC_HEADING = "TOC Heading"
HEADER = "Header"
FOOTER = "Footer"
PLACEHOLDER = "Image Placeholder"
SECTION_BREAK = "Section Break"  # the near-invisible paragraph that ends a landscape section
# The summary of changes above a comparison (never itself tracked).
CHANGE_SUMMARY_TITLE = "Change Summary Title"
CHANGE_SUMMARY = "Change Summary"
CHANGE_SUMMARY_END = "Change Summary End"  # its last line: room below the box
CHANGE_SUMMARY_SIZE_PT = 9.5

# Character styles.
HYPERLINK = "Hyperlink"
INLINE_CODE = "Inline Code"
KEYBOARD = "Keyboard"
FOOTNOTE_REFERENCE = "Footnote Reference"
TASK_BOX = "Task Box"

# Table styles.
DESIGN_TABLE = "Design Table"
DOCUMENT_CONTROL = "Document Control"


# Names Word knows as its own styles (matched case-insensitively), so they must not be marked custom.
WORD_BUILT_IN_NAMES = frozenset(
    {"hyperlink", "block text", "footnote text", "footnote reference", "caption", "subtitle", "title"}
    | {"header", "footer", "normal", "body text", "list paragraph", "toc heading"}
    | {f"toc {level}" for level in range(1, 10)}
)


def heading_style(level: int) -> str:
    return f"Heading {min(max(level, 1), 6)}"


def toc_style(level: int) -> str:
    """Word's built-in names for table-of-contents levels are lower case."""
    return f"toc {min(max(level, 1), len(HEADING_SIZES_PT))}"


def has_room_above(style: str) -> bool:
    """Whether the style already keeps a generous space above itself (headings and the like)."""
    return style.startswith("Heading ") or style in (TITLE, SUBTITLE, TOC_HEADING)


_TEXT_SIZES_PT = {
    TITLE: TITLE_SIZE_PT,
    SUBTITLE: SUBTITLE_SIZE_PT,
    TABLE_TEXT: TABLE_SIZE_PT,
    TABLE_HEADING: TABLE_SIZE_PT,
    TABLE_COMPACT: TABLE_COMPACT_SIZE_PT,
    TABLE_HEADING_COMPACT: TABLE_COMPACT_SIZE_PT,
    METADATA_KEY: TABLE_SIZE_PT,
    METADATA_VALUE: TABLE_SIZE_PT,
    FOOTNOTE_TEXT: SMALL_SIZE_PT,
    CAPTION: SMALL_SIZE_PT,
}


def text_size_pt(style: str) -> float:
    """The font size a paragraph style sets for its text."""
    if style.startswith("Heading "):
        return HEADING_SIZES_PT[int(style.removeprefix("Heading ")) - 1]
    return _TEXT_SIZES_PT.get(style, BODY_SIZE_PT)


@cache
def inline_code_size_pt(style: str) -> float | None:
    """The size inline code needs in paragraphs of `style`, or None when the character style's own fits."""
    size = max(1.0, math.floor(text_size_pt(style) * CODE_TO_TEXT_RATIO * 2) / 2)
    return None if size == INLINE_CODE_SIZE_PT else size


def diagram_line_twips(size_pt: float) -> int:
    """Exact line pitch at which box-drawing strokes of adjacent lines touch."""
    return round(size_pt * MONO_LINE_EM * 20)


def install_styles(document: DocxDocument, text_width_pt: float, theme: Theme) -> tuple[str, ...]:
    """Defines every style this backend uses, starting over from any existing versions.

    Fonts and colours come from the theme; tab stops from the text width. Returns the
    names of the styles defined.
    """
    palette = Palette.from_theme(theme)
    book = _Book(document.styles)
    _document_defaults(document.styles, palette)
    _text_styles(book, palette)
    _heading_styles(book, palette)
    _block_styles(book, palette)
    _table_text_styles(book, palette)
    _note_and_navigation_styles(book, text_width_pt, palette)
    _change_summary_styles(book, palette)
    _character_styles(book, palette)
    _table_styles(book, palette)
    return tuple(book.defined)


def set_east_asian_language(document: DocxDocument, language: str) -> None:
    """The language Word assumes for East Asian text, for proofing and line breaking."""
    run_props = ooxml.default_run_properties(document.styles)
    if run_props is not None:
        ooxml.set_east_asian_language(run_props, language)


def set_east_asian_region(document: DocxDocument, region: str) -> None:
    """Our styles' East Asian font in the glyph forms of the document's language: Noto Sans CJK SC for
    simplified Chinese, TC for traditional, KR for Korean (see exporter.enrich.language.east_asian_region)."""
    ooxml.replace_east_asian_font(document.styles, EAST_ASIAN_FONT, with_east_asian_region(EAST_ASIAN_FONT, region))


class StyleBook:
    """Style ids by name, matched case-insensitively as Word matches built-in names.

    Sized variants (a diagram or inline code at another size) are made on first use.
    """

    def __init__(self, document: DocxDocument) -> None:
        self._styles = document.styles
        # Read from the XML: python-docx would make an object of each of the hundred or so styles.
        self._ids: dict[str, str] = {
            name.casefold(): style_id for name, style_id in ooxml.style_names_and_ids(self._styles)
        }
        self._keeps_with_next: dict[str, bool] = {}

    def id_of(self, name: str) -> str:
        return self._ids[name.casefold()]

    def sized(self, base: str, size_pt: float) -> str:
        """The name of a style based on `base` whose text is `size_pt`; diagrams also get their line pitch."""
        name = f"{base} {size_pt:g}pt"
        if name.casefold() in self._ids:
            return name
        base_style = self._styles[base]
        style = _add_style(self._styles, name, base_style.type)
        assert isinstance(style, CharacterStyle)  # paragraph styles are character styles too
        style.base_style = base_style
        style.hidden = False
        style.quick_style = False
        style.font.size = Pt(size_pt)
        if base == DIAGRAM:
            ooxml.set_exact_line_height(_paragraph_props(style), diagram_line_twips(size_pt))
        self._ids[name.casefold()] = style.style_id
        return name

    def keeps_with_next(self, style_id: str) -> bool:
        """Whether paragraphs of the style keep with the next one, by the style or the styles it is based on."""
        if style_id not in self._keeps_with_next:
            style = next((item for item in self._styles if item.style_id == style_id), None)
            keeps = False
            while style is not None:
                setting = ooxml.style_keeps_with_next(style)
                if setting is not None:
                    keeps = setting
                    break
                style = style.base_style
            self._keeps_with_next[style_id] = keeps
        return self._keeps_with_next[style_id]


# ---------------------------------------------------------------- groups


def _document_defaults(styles: Styles, palette: Palette) -> None:
    run_props = ooxml.default_run_properties(styles)
    if run_props is not None:
        ooxml.set_fonts(run_props, palette.body_font, EAST_ASIAN_FONT)
        ooxml.set_run_size(run_props, _half_points(BODY_SIZE_PT))
    paragraph_props = ooxml.default_paragraph_properties(styles)
    if paragraph_props is not None:
        ooxml.set_child(
            paragraph_props,
            ooxml.make("w:spacing", after="0", line="240", lineRule="auto"),
            ooxml.PARAGRAPH_PROPERTY_ORDER,
        )


def _text_styles(book: _Book, palette: Palette) -> None:
    normal = _paragraph_style(book, NORMAL, base=None)
    _fonts(normal, palette.body_font)
    normal.font.size = Pt(BODY_SIZE_PT)
    normal.font.color.rgb = RGBColor.from_string(palette.text)
    normal.paragraph_format.widow_control = True

    body = _paragraph_style(book, BODY_TEXT)
    body.paragraph_format.space_after = Pt(6)

    compact = _paragraph_style(book, COMPACT, base=BODY_TEXT)
    compact.paragraph_format.space_after = Pt(6)
    ooxml.set_paragraph_flag(_paragraph_props(compact), "w:contextualSpacing")

    list_paragraph = _paragraph_style(book, LIST_PARAGRAPH, base=BODY_TEXT)
    list_paragraph.paragraph_format.space_after = Pt(6)

    block_text = _paragraph_style(book, BLOCK_TEXT, base=BODY_TEXT)
    block_text.font.color.rgb = RGBColor.from_string(palette.muted)
    block_text.paragraph_format.left_indent = Twips(QUOTE_INDENT_TWIPS)
    ooxml.set_paragraph_borders(_paragraph_props(block_text), ("w:left",), 18, palette.border, 8)

    callout_title = _paragraph_style(book, CALLOUT_TITLE, base=BLOCK_TEXT, next_style=BLOCK_TEXT)
    callout_title.font.bold = True
    callout_title.font.color.rgb = RGBColor.from_string(palette.link)
    callout_title.paragraph_format.keep_with_next = True

    definition = _paragraph_style(book, DEFINITION, base=BODY_TEXT)
    definition.paragraph_format.left_indent = Twips(DEFINITION_INDENT_TWIPS)

    term = _paragraph_style(book, DEFINITION_TERM, base=BODY_TEXT, next_style=DEFINITION)
    term.font.bold = True
    term.paragraph_format.space_after = Pt(2)
    term.paragraph_format.keep_with_next = True

    title = _paragraph_style(book, TITLE, next_style=BODY_TEXT)
    _fonts(title, palette.heading_font)
    title.font.size = Pt(TITLE_SIZE_PT)
    title.font.bold = True
    title.paragraph_format.space_after = Pt(10)
    title.paragraph_format.keep_with_next = True  # no outline level: an updated TOC must not list the title

    subtitle = _paragraph_style(book, SUBTITLE, next_style=BODY_TEXT)
    _fonts(subtitle, palette.heading_font)
    subtitle.font.size = Pt(SUBTITLE_SIZE_PT)
    subtitle.font.color.rgb = RGBColor.from_string(palette.muted)
    subtitle.paragraph_format.space_after = Pt(10)
    subtitle.paragraph_format.keep_with_next = True


def _heading_styles(book: _Book, palette: Palette) -> None:
    for level, size in enumerate(HEADING_SIZES_PT, start=1):
        style = _paragraph_style(book, heading_style(level), next_style=BODY_TEXT)
        _fonts(style, palette.heading_font)
        style.font.size = Pt(size)
        style.font.bold = True
        style.font.italic = level == 6
        style.font.color.rgb = RGBColor.from_string(palette.muted if level >= 5 else palette.heading)
        style.paragraph_format.space_before = Pt(max(18 - 3 * (level - 1), 8))
        style.paragraph_format.space_after = Pt(6 if level <= 2 else 4)
        style.paragraph_format.keep_with_next = True
        style.paragraph_format.keep_together = True
        ooxml.set_outline_level(_paragraph_props(style), level - 1)
        if level == 1:
            ooxml.set_paragraph_borders(_paragraph_props(style), ("w:bottom",), 4, palette.border, 2)


def _block_styles(book: _Book, palette: Palette) -> None:
    code = _paragraph_style(book, SOURCE_CODE)
    _monospace(code, CODE_SIZE_PT)
    code.paragraph_format.space_after = Pt(8)
    code.paragraph_format.left_indent = Twips(CODE_PADDING_TWIPS)
    code.paragraph_format.right_indent = Twips(CODE_PADDING_TWIPS)
    code.paragraph_format.keep_together = True
    code.paragraph_format.widow_control = False
    ooxml.set_paragraph_borders(
        _paragraph_props(code), ("w:top", "w:left", "w:bottom", "w:right"), 4, palette.border, 4
    )
    ooxml.set_paragraph_shading(_paragraph_props(code), palette.code_fill)
    ooxml.set_paragraph_flag(_paragraph_props(code), "w:contextualSpacing")

    diagram = _paragraph_style(book, DIAGRAM)
    _monospace(diagram, DIAGRAM_SIZE_PT)
    diagram.paragraph_format.space_before = Pt(2)
    diagram.paragraph_format.space_after = Pt(8)
    diagram.paragraph_format.keep_together = True
    diagram.paragraph_format.widow_control = False
    ooxml.set_exact_line_height(_paragraph_props(diagram), diagram_line_twips(DIAGRAM_SIZE_PT))
    ooxml.set_paragraph_flag(_paragraph_props(diagram), "w:contextualSpacing")

    figure = _paragraph_style(book, FIGURE, base=BODY_TEXT, next_style=CAPTION)
    figure.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    figure.paragraph_format.keep_with_next = True
    figure.paragraph_format.space_before = Pt(4)
    figure.paragraph_format.space_after = Pt(4)

    caption = _paragraph_style(book, CAPTION, base=BODY_TEXT, next_style=BODY_TEXT)
    caption.font.size = Pt(SMALL_SIZE_PT)
    caption.font.italic = True
    caption.font.color.rgb = RGBColor.from_string(palette.muted)
    caption.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    caption.paragraph_format.space_after = Pt(10)

    placeholder = _paragraph_style(book, PLACEHOLDER, base=BODY_TEXT)
    placeholder.font.italic = True
    placeholder.font.color.rgb = RGBColor.from_string(palette.muted)
    ooxml.set_paragraph_borders(
        _paragraph_props(placeholder), ("w:top", "w:left", "w:bottom", "w:right"), 4, palette.border, 4
    )

    rule = _paragraph_style(book, HORIZONTAL_RULE, next_style=BODY_TEXT)
    rule.font.size = Pt(4)
    rule.paragraph_format.space_before = Pt(6)
    rule.paragraph_format.space_after = Pt(12)
    ooxml.set_paragraph_borders(_paragraph_props(rule), ("w:bottom",), 6, palette.border, 1)

    summary = _paragraph_style(book, DETAILS_SUMMARY, base=BODY_TEXT)
    summary.font.bold = True
    summary.paragraph_format.keep_with_next = True


def _table_text_styles(book: _Book, palette: Palette) -> None:
    for name, size in ((TABLE_TEXT, TABLE_SIZE_PT), (TABLE_COMPACT, TABLE_COMPACT_SIZE_PT)):
        style = _paragraph_style(book, name)
        _fonts(style, palette.heading_font)
        style.font.size = Pt(size)
        style.paragraph_format.space_before = Pt(1)
        style.paragraph_format.space_after = Pt(1)
    for name, base in ((TABLE_HEADING, TABLE_TEXT), (TABLE_HEADING_COMPACT, TABLE_COMPACT)):
        heading = _paragraph_style(book, name, base=base)
        heading.font.bold = True
        heading.paragraph_format.keep_with_next = True
    for name, bold in ((METADATA_KEY, True), (METADATA_VALUE, False)):
        style = _paragraph_style(book, name)
        _fonts(style, palette.heading_font)
        style.font.size = Pt(TABLE_SIZE_PT)
        style.font.bold = bold
        style.paragraph_format.space_before = Pt(1)
        style.paragraph_format.space_after = Pt(1)


def _note_and_navigation_styles(book: _Book, text_width_pt: float, palette: Palette) -> None:
    footnote_text = _paragraph_style(book, FOOTNOTE_TEXT)
    footnote_text.font.size = Pt(SMALL_SIZE_PT)
    footnote_text.paragraph_format.space_after = Pt(3)

    toc_heading = _paragraph_style(book, TOC_HEADING, next_style=toc_style(1))
    _fonts(toc_heading, palette.heading_font)
    toc_heading.font.size = Pt(12)
    toc_heading.font.bold = True
    toc_heading.paragraph_format.space_before = Pt(12)
    toc_heading.paragraph_format.space_after = Pt(6)
    toc_heading.paragraph_format.keep_with_next = True
    for level in range(1, len(HEADING_SIZES_PT) + 1):
        entry = _paragraph_style(book, toc_style(level), next_style=BODY_TEXT)
        entry.style_id = f"TOC{level}"
        entry.paragraph_format.left_indent = Twips(LIST_INDENT_TWIPS * (level - 1))
        entry.paragraph_format.space_after = Pt(2)
        ooxml.set_right_tab(_paragraph_props(entry), round(text_width_pt * 20))
        if level == 1:
            entry.font.bold = True
            entry.paragraph_format.space_before = Pt(4)

    for name in (HEADER, FOOTER):  # left-hand text, then a right-aligned part after a tab
        margin = _paragraph_style(book, name)
        _fonts(margin, palette.heading_font)
        margin.font.size = Pt(8)
        margin.font.color.rgb = RGBColor.from_string(palette.muted)
        ooxml.set_right_tab(_paragraph_props(margin), round(text_width_pt * 20), leader="none")

    section_break = _paragraph_style(book, SECTION_BREAK)
    section_break.font.size = Pt(1)
    section_break.paragraph_format.space_before = Pt(0)
    section_break.paragraph_format.space_after = Pt(0)
    ooxml.set_exact_line_height(_paragraph_props(section_break), 20)


def _change_summary_styles(book: _Book, palette: Palette) -> None:
    """The summary of changes above a comparison: a shaded box of small sans text under a bold title."""
    summary = _paragraph_style(book, CHANGE_SUMMARY, base=BODY_TEXT)
    _fonts(summary, palette.heading_font)
    summary.font.size = Pt(CHANGE_SUMMARY_SIZE_PT)
    summary.paragraph_format.space_after = Pt(2)
    sides = ("w:top", "w:left", "w:bottom", "w:right")  # paragraphs with the same borders share one box
    ooxml.set_paragraph_borders(_paragraph_props(summary), sides, 4, palette.border, 4)
    ooxml.set_paragraph_shading(_paragraph_props(summary), palette.code_fill)
    summary.quick_style = False
    end = _paragraph_style(book, CHANGE_SUMMARY_END, base=CHANGE_SUMMARY)
    end.paragraph_format.space_after = Pt(14)
    end.quick_style = False
    title = _paragraph_style(book, CHANGE_SUMMARY_TITLE, base=CHANGE_SUMMARY, next_style=CHANGE_SUMMARY)
    title.font.size = Pt(SUBTITLE_SIZE_PT - 1)
    title.font.bold = True
    title.font.color.rgb = RGBColor.from_string(palette.heading)
    title.paragraph_format.space_after = Pt(4)
    title.paragraph_format.keep_with_next = True
    title.quick_style = False


def _character_styles(book: _Book, palette: Palette) -> None:
    hyperlink = _character_style(book, HYPERLINK)
    hyperlink.font.color.rgb = RGBColor.from_string(palette.link)
    hyperlink.font.underline = True

    inline_code = _character_style(book, INLINE_CODE)
    _fonts(inline_code, MONO_FONT, MONO_FONT)
    inline_code.font.size = Pt(INLINE_CODE_SIZE_PT)
    ooxml.set_run_flag(_run_props(inline_code), "w:noProof")
    ooxml.set_run_shading(_run_props(inline_code), palette.code_fill)

    keyboard = _character_style(book, KEYBOARD)
    _fonts(keyboard, MONO_FONT, MONO_FONT)
    keyboard.font.size = Pt(INLINE_CODE_SIZE_PT)
    ooxml.set_run_flag(_run_props(keyboard), "w:noProof")
    ooxml.set_run_border(_run_props(keyboard), palette.muted)
    ooxml.set_run_shading(_run_props(keyboard), palette.code_fill)

    reference = _character_style(book, FOOTNOTE_REFERENCE)
    reference.font.superscript = True

    task_box = _character_style(book, TASK_BOX)
    _fonts(task_box, SYMBOL_FONT, SYMBOL_FONT)


def _table_styles(book: _Book, palette: Palette) -> None:
    design = _table_style(book, DESIGN_TABLE)
    table_props = ooxml.style_properties(design, "w:tblPr")
    ooxml.set_child(table_props, ooxml.table_borders(4, palette.border), ooxml.TABLE_PROPERTY_ORDER)
    ooxml.set_child(table_props, ooxml.cell_margins(40, TABLE_CELL_MARGIN_TWIPS, 40), ooxml.TABLE_PROPERTY_ORDER)
    ooxml.set_child(table_props, ooxml.make("w:tblStyleRowBandSize", val="1"), ooxml.TABLE_PROPERTY_ORDER)
    ooxml.add_conditional_format(design, "band2Horz", palette.stripe_fill, bold=False)
    ooxml.add_conditional_format(design, "firstRow", palette.header_fill, bold=True)

    control = _table_style(book, DOCUMENT_CONTROL)
    control_props = ooxml.style_properties(control, "w:tblPr")
    ooxml.set_child(control_props, ooxml.table_borders(4, palette.border), ooxml.TABLE_PROPERTY_ORDER)
    ooxml.set_child(control_props, ooxml.cell_margins(20, TABLE_CELL_MARGIN_TWIPS, 20), ooxml.TABLE_PROPERTY_ORDER)
    ooxml.add_conditional_format(control, "firstCol", palette.code_fill, bold=True)


# ---------------------------------------------------------------- plumbing


@dataclass
class _Book:
    """The document's styles, and the names of those defined so far."""

    styles: Styles
    defined: list[str] = field(default_factory=list)


def _paragraph_style(
    book: _Book, name: str, base: str | None = NORMAL, next_style: str | None = None
) -> ParagraphStyle:
    style = _fresh_style(book, name, WD_STYLE_TYPE.PARAGRAPH)
    assert isinstance(style, ParagraphStyle)
    style.base_style = book.styles[base] if base else None
    if next_style is not None and next_style in book.styles:
        next_paragraph = book.styles[next_style]
        assert isinstance(next_paragraph, ParagraphStyle)
        style.next_paragraph_style = next_paragraph
    return style


def _character_style(book: _Book, name: str) -> CharacterStyle:
    style = _fresh_style(book, name, WD_STYLE_TYPE.CHARACTER)
    assert isinstance(style, CharacterStyle)
    style.base_style = book.styles["Default Paragraph Font"]
    return style


def _table_style(book: _Book, name: str) -> BaseStyle:
    style = _fresh_style(book, name, WD_STYLE_TYPE.TABLE)
    ooxml.set_style_base(style, "TableNormal")
    paragraph_props = ooxml.style_properties(style, "w:pPr")
    ooxml.set_child(paragraph_props, ooxml.make("w:spacing", before="0", after="0"), ooxml.PARAGRAPH_PROPERTY_ORDER)
    return style


def _fresh_style(book: _Book, name: str, style_type: WD_STYLE_TYPE) -> BaseStyle:
    """The named style, existing or new, with its formatting and linked style cleared, shown in the gallery."""
    styles = book.styles
    style: BaseStyle = styles[name] if name in styles else _add_style(styles, name, style_type)
    ooxml.clear_style_formatting(style)
    style.hidden = False
    style.unhide_when_used = False
    style.quick_style = True
    if name not in book.defined:
        book.defined.append(name)
    return style


def _add_style(styles: Styles, name: str, style_type: WD_STYLE_TYPE) -> BaseStyle:
    kind = {WD_STYLE_TYPE.PARAGRAPH: "paragraph", WD_STYLE_TYPE.CHARACTER: "character", WD_STYLE_TYPE.TABLE: "table"}
    taken = ooxml.style_ids(styles)
    style_id = base_id = re.sub(r"[^A-Za-z0-9]", "", name) or "Style"
    counter = 1
    while style_id in taken:
        counter += 1
        style_id = f"{base_id}{counter}"
    ooxml.add_style(styles, kind[style_type], style_id, name, custom=name.casefold() not in WORD_BUILT_IN_NAMES)
    style: BaseStyle = styles[name]
    return style


def _paragraph_props(style: BaseStyle) -> ooxml.Element:
    return ooxml.style_properties(style, "w:pPr")


def _run_props(style: BaseStyle) -> ooxml.Element:
    return ooxml.style_properties(style, "w:rPr")


def _fonts(style: BaseStyle, latin: str, east_asian: str = EAST_ASIAN_FONT) -> None:
    ooxml.set_fonts(_run_props(style), latin, east_asian)


def _monospace(style: ParagraphStyle, size_pt: float) -> None:
    _fonts(style, MONO_FONT, MONO_FONT)
    style.font.size = Pt(size_pt)
    style.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
    ooxml.set_run_flag(_run_props(style), "w:noProof")


def _half_points(size_pt: float) -> int:
    return round(size_pt * 2)
