"""Raw OOXML that python-docx has no API for: fonts, shading, borders, bookmarks, hyperlinks,
numbering definitions, table geometry, fields, pictures, and where new paragraphs, tables and
runs go in the body and in footnotes.

The rest of the Word writer reaches the XML only through these helpers. Every helper inserts
children in the order the schema demands, because Word refuses files whose property elements are
out of order.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import cast

from docx.document import Document as DocxDocument
from docx.enum.section import WD_ORIENT
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsmap, qn
from docx.oxml.section import CT_SectPr
from docx.oxml.shape import CT_Inline
from docx.oxml.table import CT_Tbl
from docx.oxml.text.paragraph import CT_P
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.parts.story import StoryPart
from docx.shape import InlineShape
from docx.shared import Length, Twips
from docx.styles.style import BaseStyle
from docx.styles.styles import Styles
from docx.table import Table, _Row
from docx.text.paragraph import Paragraph
from docx.text.run import Run

from exporter.read.theme import plain_font_name

Element = BaseOxmlElement

# Schema order of the children of each property element (ECMA-376 part 1, §17).
PARAGRAPH_PROPERTY_ORDER = (
    "w:pStyle", "w:keepNext", "w:keepLines", "w:pageBreakBefore", "w:framePr", "w:widowControl", "w:numPr",
    "w:suppressLineNumbers", "w:pBdr", "w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap",
    "w:overflowPunct", "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi", "w:adjustRightInd",
    "w:snapToGrid", "w:spacing", "w:ind", "w:contextualSpacing", "w:mirrorIndents", "w:suppressOverlap", "w:jc",
    "w:textDirection", "w:textAlignment", "w:textboxTightWrap", "w:outlineLvl", "w:divId", "w:cnfStyle", "w:rPr",
    "w:sectPr", "w:pPrChange",
)  # fmt: skip
RUN_PROPERTY_ORDER = (
    "w:rStyle", "w:rFonts", "w:b", "w:bCs", "w:i", "w:iCs", "w:caps", "w:smallCaps", "w:strike", "w:dstrike",
    "w:outline", "w:shadow", "w:emboss", "w:imprint", "w:noProof", "w:snapToGrid", "w:vanish", "w:webHidden",
    "w:color", "w:spacing", "w:w", "w:kern", "w:position", "w:sz", "w:szCs", "w:highlight", "w:u", "w:effect",
    "w:bdr", "w:shd", "w:fitText", "w:vertAlign", "w:rtl", "w:cs", "w:em", "w:lang", "w:eastAsianLayout",
    "w:specVanish", "w:oMath",
)  # fmt: skip
TABLE_PROPERTY_ORDER = (
    "w:tblStyle", "w:tblpPr", "w:tblOverlap", "w:bidiVisual", "w:tblStyleRowBandSize", "w:tblStyleColBandSize",
    "w:tblW", "w:jc", "w:tblCellSpacing", "w:tblInd", "w:tblBorders", "w:shd", "w:tblLayout", "w:tblCellMar",
    "w:tblLook", "w:tblCaption", "w:tblDescription",
)  # fmt: skip
ROW_PROPERTY_ORDER = (
    "w:cnfStyle", "w:divId", "w:gridBefore", "w:gridAfter", "w:wBefore", "w:wAfter", "w:cantSplit", "w:trHeight",
    "w:tblHeader", "w:tblCellSpacing", "w:jc", "w:hidden",
)  # fmt: skip
CELL_PROPERTY_ORDER = (
    "w:cnfStyle", "w:tcW", "w:gridSpan", "w:hMerge", "w:vMerge", "w:tcBorders", "w:shd", "w:noWrap", "w:tcMar",
    "w:textDirection", "w:tcFitText", "w:vAlign", "w:hideMark",
)  # fmt: skip
STYLE_CHILD_ORDER = (
    "w:name", "w:aliases", "w:basedOn", "w:next", "w:link", "w:autoRedefine", "w:hidden", "w:uiPriority",
    "w:semiHidden", "w:unhideWhenUsed", "w:qFormat", "w:locked", "w:personal", "w:personalCompose",
    "w:personalReply", "w:rsid", "w:pPr", "w:rPr", "w:tblPr", "w:trPr", "w:tcPr", "w:tblStylePr",
)  # fmt: skip
BORDER_SIDES = ("w:top", "w:left", "w:bottom", "w:right", "w:insideH", "w:insideV")


# ---------------------------------------------------------------- generic element plumbing


def make(tag: str, **attributes: str) -> Element:
    """A new element; attribute names are given without prefix and live in the w: namespace."""
    element: Element = OxmlElement(tag)  # a plain lxml element when python-docx has no class for the tag
    for name, value in attributes.items():
        element.set(qn(f"w:{name}"), value)
    return element


def set_child(parent: Element, element: Element, order: tuple[str, ...]) -> Element:
    """Puts `element` into `parent`, replacing one with the same tag, at its place in `order`."""
    for existing in parent.findall(element.tag):
        parent.remove(existing)
    tags = [qn(tag) for tag in order]
    later = set(tags[tags.index(element.tag) + 1 :])
    for sibling in parent:
        if sibling.tag in later:
            sibling.addprevious(element)
            return element
    parent.append(element)
    return element


def get_or_add(parent: Element, tag: str, order: tuple[str, ...]) -> Element:
    """The child with `tag`, created in schema order when missing."""
    found = parent.find(qn(tag))
    return found if found is not None else set_child(parent, make(tag), order)


def paragraph_properties(paragraph: Paragraph) -> Element:
    return paragraph._p.get_or_add_pPr()


def run_properties(run: Run) -> Element:
    return run._r.get_or_add_rPr()


def table_properties(table: Table) -> Element:
    return table._tbl.tblPr


def row_properties(row: _Row) -> Element:
    return row._tr.get_or_add_trPr()


# ---------------------------------------------------------------- where new blocks go


def body_section_properties(document: DocxDocument) -> CT_SectPr:
    """The body's closing section properties, which every new block goes before."""
    return cast(CT_SectPr, document.element.body.get_or_add_sectPr())


def new_body_paragraph(document: DocxDocument, closing_section: CT_SectPr) -> Paragraph:
    """What `Document.add_paragraph` does, without its search through the whole body for the closing
    section properties on every call (quadratic: 20,000 code lines took 20 s)."""
    element = cast(CT_P, OxmlElement("w:p"))
    closing_section.addprevious(element)
    return Paragraph(element, document._body)


def new_body_table(document: DocxDocument, closing_section: CT_SectPr, rows: int, columns: int) -> Table:
    """An empty table at the end of the body; its widths are for the caller to set."""
    element = CT_Tbl.new_tbl(rows, columns, Twips(0))
    closing_section.addprevious(element)
    return Table(element, document._body)


def add_footnote(part: StoryPart, note_id: int) -> Element:
    """A new, empty w:footnote at the end of the footnotes part."""
    note = make("w:footnote", id=str(note_id))
    part.element.append(note)
    return note


def new_note_paragraph(note: Element, part: StoryPart) -> Paragraph:
    element = cast(CT_P, make("w:p"))
    note.append(element)
    return Paragraph(element, part)


def new_note_table(note: Element, part: StoryPart, rows: int, columns: int) -> Table:
    element = CT_Tbl.new_tbl(rows, columns, Twips(0))
    note.append(element)
    return Table(element, part)


def ends_with_paragraph(container: Element) -> bool:
    """Whether the last block of a footnote (or cell) is a paragraph, as Word requires."""
    return len(container) > 0 and container[-1].tag == qn("w:p")


# ---------------------------------------------------------------- where new runs go


@dataclass(frozen=True, slots=True)
class RunContainer:
    """A paragraph, or a hyperlink inside it: where new runs, bookmarks and fields go."""

    paragraph: Paragraph
    hyperlink: Element | None = None

    def new_run(self) -> Run:
        run = self.paragraph.add_run()
        if self.hyperlink is not None:
            self.hyperlink.append(run._r)
        return run

    def append(self, element: Element) -> None:
        """Adds a marker such as a bookmark end after what is already there."""
        (self.hyperlink if self.hyperlink is not None else self.paragraph._p).append(element)

    def into_hyperlink(self, hyperlink: Element) -> RunContainer:
        """Places `hyperlink` here and returns the container for its text."""
        self.append(hyperlink)
        return replace(self, hyperlink=hyperlink)


def append_to_run(run: Run, element: Element) -> None:
    """Puts a field character, tab, note mark or the like into the run."""
    run._r.append(element)


def set_preserved_text(run: Run, text: str) -> None:
    """Text whose spaces matter: every w:t keeps them, not just those with spaces at the ends."""
    run.text = text
    for element in run._r.iter(qn("w:t")):
        element.set(qn("xml:space"), "preserve")


# ---------------------------------------------------------------- run and paragraph properties


def set_fonts(run_props: Element, ascii_font: str, east_asian_font: str | None = None) -> None:
    """Fills all four font slots, so no script falls back to a theme font."""
    set_child(
        run_props,
        make(
            "w:rFonts",
            ascii=ascii_font,
            hAnsi=ascii_font,
            eastAsia=east_asian_font or ascii_font,
            cs=ascii_font,
        ),
        RUN_PROPERTY_ORDER,
    )


def set_run_flag(run_props: Element, tag: str) -> None:
    """An on/off run property such as `w:noProof` or `w:b`."""
    set_child(run_props, make(tag), RUN_PROPERTY_ORDER)


def set_run_size(run_props: Element, half_points: int) -> None:
    set_child(run_props, make("w:sz", val=str(half_points)), RUN_PROPERTY_ORDER)
    set_child(run_props, make("w:szCs", val=str(half_points)), RUN_PROPERTY_ORDER)


def set_character_spacing(run_props: Element, twips: int) -> None:
    set_child(run_props, make("w:spacing", val=str(twips)), RUN_PROPERTY_ORDER)


def set_run_shading(run_props: Element, fill: str) -> None:
    set_child(run_props, make("w:shd", val="clear", color="auto", fill=fill), RUN_PROPERTY_ORDER)


def set_run_border(run_props: Element, color: str) -> None:
    set_child(run_props, make("w:bdr", val="single", sz="4", space="1", color=color), RUN_PROPERTY_ORDER)


def set_paragraph_shading(paragraph_props: Element, fill: str) -> None:
    set_child(paragraph_props, make("w:shd", val="clear", color="auto", fill=fill), PARAGRAPH_PROPERTY_ORDER)


def set_paragraph_borders(paragraph_props: Element, sides: Iterable[str], size: int, color: str, space: int) -> None:
    """Paragraph borders; consecutive paragraphs with equal borders are drawn as one box."""
    borders = make("w:pBdr")
    for side in ("w:top", "w:left", "w:bottom", "w:right"):
        if side in sides:
            borders.append(make(side, val="single", sz=str(size), space=str(space), color=color))
    set_child(paragraph_props, borders, PARAGRAPH_PROPERTY_ORDER)


def set_paragraph_flag(paragraph_props: Element, tag: str, on: bool = True) -> None:
    """An on/off paragraph property such as `w:contextualSpacing`."""
    set_child(paragraph_props, make(tag) if on else make(tag, val="0"), PARAGRAPH_PROPERTY_ORDER)


def set_outline_level(paragraph_props: Element, level: int) -> None:
    """0-based outline level: what the navigation pane and TOC fields see."""
    set_child(paragraph_props, make("w:outlineLvl", val=str(level)), PARAGRAPH_PROPERTY_ORDER)


def set_exact_line_height(paragraph_props: Element, twips: int) -> None:
    spacing = get_or_add(paragraph_props, "w:spacing", PARAGRAPH_PROPERTY_ORDER)
    spacing.set(qn("w:line"), str(twips))
    spacing.set(qn("w:lineRule"), "exact")


def set_indent(paragraph_props: Element, left: int, hanging: int = 0) -> None:
    indent = make("w:ind", left=str(left))
    if hanging:
        indent.set(qn("w:hanging"), str(hanging))
    else:
        indent.set(qn("w:firstLine"), "0")
    set_child(paragraph_props, indent, PARAGRAPH_PROPERTY_ORDER)


def set_right_tab(paragraph_props: Element, position: int, leader: str = "dot") -> None:
    tabs = make("w:tabs")
    tabs.append(make("w:tab", val="right", leader=leader, pos=str(position)))
    set_child(paragraph_props, tabs, PARAGRAPH_PROPERTY_ORDER)


def set_paragraph_style(paragraph: Paragraph, style_id: str) -> None:
    set_child(paragraph_properties(paragraph), make("w:pStyle", val=style_id), PARAGRAPH_PROPERTY_ORDER)


def set_run_style(run: Run, style_id: str) -> None:
    set_child(run_properties(run), make("w:rStyle", val=style_id), RUN_PROPERTY_ORDER)


def set_numbering(paragraph: Paragraph, num_id: int, level: int) -> None:
    numbering = make("w:numPr")
    numbering.append(make("w:ilvl", val=str(level)))
    numbering.append(make("w:numId", val=str(num_id)))
    set_child(paragraph_properties(paragraph), numbering, PARAGRAPH_PROPERTY_ORDER)


# ---------------------------------------------------------------- bookmarks and hyperlinks


def bookmark_start(bookmark_id: int, name: str) -> Element:
    return make("w:bookmarkStart", id=str(bookmark_id), name=name)


def bookmark_end(bookmark_id: int) -> Element:
    return make("w:bookmarkEnd", id=str(bookmark_id))


def internal_hyperlink(bookmark: str, tooltip: str = "") -> Element:
    link = make("w:hyperlink", anchor=bookmark, history="1")
    if tooltip:
        link.set(qn("w:tooltip"), tooltip)
    return link


def external_hyperlink(relationship_id: str, tooltip: str = "") -> Element:
    link = make("w:hyperlink", history="1")
    link.set(qn("r:id"), relationship_id)
    if tooltip:
        link.set(qn("w:tooltip"), tooltip)
    return link


# ---------------------------------------------------------------- fields, notes and tabs


def field_char(kind: str) -> Element:
    """A complex field's `begin`, `separate` (instruction done, cached result follows) or `end`."""
    return make("w:fldChar", fldCharType=kind)


def instruction_text(instruction: str) -> Element:
    text = make("w:instrText")
    text.set(qn("xml:space"), "preserve")
    text.text = f" {instruction} "
    return text


def append_field_begin(paragraph: Paragraph, instruction: str) -> None:
    """Opens a complex field: its cached result follows until `append_field_end`."""
    paragraph.add_run()._r.append(field_char("begin"))
    paragraph.add_run()._r.append(instruction_text(instruction))
    paragraph.add_run()._r.append(field_char("separate"))


def append_field_end(paragraph: Paragraph) -> None:
    paragraph.add_run()._r.append(field_char("end"))


def footnote_reference(note_id: int) -> Element:
    """The body's reference to a footnote, which Word numbers itself."""
    return make("w:footnoteReference", id=str(note_id))


def footnote_mark() -> Element:
    """The footnote's own number, at the start of its text."""
    return make("w:footnoteRef")


def right_margin_tab() -> Element:
    """A tab to the right margin of whatever section the paragraph is in, whatever its tab stops."""
    return make("w:ptab", relativeTo="margin", alignment="right", leader="none")


# ---------------------------------------------------------------- sections


def body_blocks(document: DocxDocument) -> list[Element]:
    """The paragraphs and tables of the body, in order."""
    return [child for child in document.element.body if child.tag in (qn("w:p"), qn("w:tbl"))]


def is_paragraph(element: Element) -> bool:
    return bool(element.tag == qn("w:p"))


def keep_with_next_setting(element: Element) -> bool | None:
    """A paragraph's own keep-with-next, None when it sets none."""
    setting = element.find(f"{qn('w:pPr')}/{qn('w:keepNext')}")
    if setting is None:
        return None
    return setting.get(qn("w:val")) not in ("0", "false", "off")


def paragraph_style_id(element: Element) -> str | None:
    style = element.find(f"{qn('w:pPr')}/{qn('w:pStyle')}")
    return style.get(qn("w:val")) if style is not None else None


def ends_section(element: Element) -> bool:
    """Whether a body paragraph carries section properties, ending a section."""
    return element.find(f"{qn('w:pPr')}/{qn('w:sectPr')}") is not None


def end_section_in(paragraph: Paragraph | Element, section: CT_SectPr) -> None:
    """Makes the body paragraph the last of a section with these properties."""
    element = paragraph._p if isinstance(paragraph, Paragraph) else cast(CT_P, paragraph)
    set_child(element.get_or_add_pPr(), section, PARAGRAPH_PROPERTY_ORDER)


def move_after(anchor: Element, paragraph: Paragraph) -> None:
    anchor.addnext(paragraph._p)


def is_last_in_body(document: DocxDocument, paragraph: Paragraph) -> bool:
    """Whether nothing follows the paragraph but the body's closing section properties."""
    return bool(paragraph._p.getnext() is document.element.body.find(qn("w:sectPr")))


def remove_paragraph(paragraph: Paragraph) -> None:
    element = paragraph._p
    parent = element.getparent()
    if parent is not None:
        parent.remove(element)


VML_NAMESPACE = "urn:schemas-microsoft-com:vml"
WATERMARK_FALLBACK_FONT = "Noto Sans"


def watermark_run(text: str, font: str) -> Element:
    """A run holding Word's kind of text watermark: light grey WordArt behind the text, turned -35 degrees.

    The markup is a constant; the text and font go in as attribute values, which lxml escapes. The font
    is also quoted inside a VML style, where only a plain name is safe: any other falls back to Noto Sans.
    """
    style = (
        "position:absolute;margin-left:0;margin-top:0;width:460pt;height:110pt;rotation:325;z-index:-251654144;"
        "mso-position-horizontal:center;mso-position-horizontal-relative:margin;"
        "mso-position-vertical:center;mso-position-vertical-relative:margin"
    )
    run = parse_xml(
        f'<w:r xmlns:w="{nsmap["w"]}" xmlns:v="{VML_NAMESPACE}"'
        ' xmlns:o="urn:schemas-microsoft-com:office:office" xmlns:w10="urn:schemas-microsoft-com:office:word">'
        "<w:rPr><w:noProof/></w:rPr><w:pict>"
        f'<v:shape id="DesignStatusWatermark" o:spt="136" style="{style}" o:allowincell="f"'
        ' fillcolor="#d9d9d9" stroked="f">'
        '<v:fill opacity=".6"/><v:path textpathok="t"/>'
        '<v:textpath on="t" fitshape="t"/>'
        '<w10:wrap anchorx="margin" anchory="margin"/>'
        "</v:shape></w:pict></w:r>"
    )
    family = font if plain_font_name(font) else WATERMARK_FALLBACK_FONT
    textpath = run.find(f".//{{{VML_NAMESPACE}}}textpath")
    assert textpath is not None
    textpath.set("style", f'font-family:"{family}";font-size:1pt')
    textpath.set("string", text)
    return run


def section_properties(template: CT_SectPr, width: int, height: int, landscape: bool) -> CT_SectPr:
    """A copy of `template` on a page of `width` by `height` twips; headers and footers follow the previous section."""
    section = copy.deepcopy(template)
    for tag in ("w:headerReference", "w:footerReference", "w:titlePg"):
        for element in section.findall(qn(tag)):
            section.remove(element)
    section.page_width = Twips(width)
    section.page_height = Twips(height)
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    return section


# ---------------------------------------------------------------- styles


def default_run_properties(styles: Styles) -> Element | None:
    """The document's default run properties (docDefaults), None when the styles part has no defaults."""
    defaults = styles.element.find(qn("w:docDefaults"))
    run_defaults = defaults.find(qn("w:rPrDefault")) if defaults is not None else None
    return get_or_add(run_defaults, "w:rPr", ("w:rPr",)) if run_defaults is not None else None


def default_paragraph_properties(styles: Styles) -> Element | None:
    defaults = styles.element.find(qn("w:docDefaults"))
    paragraph_defaults = defaults.find(qn("w:pPrDefault")) if defaults is not None else None
    return get_or_add(paragraph_defaults, "w:pPr", ("w:pPr",)) if paragraph_defaults is not None else None


def set_east_asian_language(run_props: Element, language: str) -> None:
    get_or_add(run_props, "w:lang", RUN_PROPERTY_ORDER).set(qn("w:eastAsia"), language)


def replace_east_asian_font(styles: Styles, old: str, new: str) -> None:
    """`new` as the East Asian font wherever the styles part names `old` there."""
    for fonts in styles.element.iter(qn("w:rFonts")):
        if fonts.get(qn("w:eastAsia")) == old:
            fonts.set(qn("w:eastAsia"), new)


def style_ids(styles: Styles) -> set[str]:
    found = (style.get(qn("w:styleId")) for style in styles.element.iterchildren(qn("w:style")))
    return {style_id for style_id in found if style_id is not None}


def add_style(styles: Styles, kind: str, style_id: str, name: str, custom: bool) -> None:
    """A new, empty style definition; `custom` marks it as not one of Word's built-in styles."""
    element = make("w:style", type=kind, styleId=style_id)
    if custom:
        element.set(qn("w:customStyle"), "1")
    element.append(make("w:name", val=name))
    styles.element.append(element)


def style_properties(style: BaseStyle, tag: str) -> Element:
    """The style's `w:pPr`, `w:rPr` or `w:tblPr`, created in schema order when missing."""
    return get_or_add(style.element, tag, STYLE_CHILD_ORDER)


def set_style_base(style: BaseStyle, style_id: str) -> None:
    """`basedOn` by id, for a base python-docx can't look up by name (such as Word's TableNormal)."""
    set_child(style.element, make("w:basedOn", val=style_id), STYLE_CHILD_ORDER)


def clear_style_formatting(style: BaseStyle) -> None:
    """Drops the style's formatting and linked style, keeping its name, base and flags."""
    style.element.remove_all("w:link", "w:pPr", "w:rPr", "w:tblPr", "w:trPr", "w:tcPr", "w:tblStylePr")


def style_keeps_with_next(style: BaseStyle) -> bool | None:
    """The style's own keep-with-next, None when it leaves it to its base style."""
    return keep_with_next_setting(style.element)


def add_conditional_format(style: BaseStyle, kind: str, fill: str, bold: bool) -> None:
    """Shading (and bold) for one part of a table style, such as its first row or banded rows."""
    conditional = make("w:tblStylePr", type=kind)
    run_props = make("w:rPr")
    if bold:
        run_props.append(make("w:b"))
        run_props.append(make("w:bCs"))
    conditional.append(run_props)
    cell_props = make("w:tcPr")
    set_cell_shading(cell_props, fill)
    conditional.append(cell_props)
    style.element.append(conditional)


# ---------------------------------------------------------------- numbering definitions


@dataclass(frozen=True, slots=True)
class ListLevel:
    number_format: str  # "bullet", "decimal", "lowerLetter", ...
    text: str  # the marker, with %1..%9 for level numbers
    indent: int  # twips to the item's text
    hanging: int  # twips the marker hangs left of the text
    marker_font: str = ""
    marker_size_pt: float = 0.0  # 0: the paragraph's size


def abstract_numbering(abstract_id: int, levels: Iterable[ListLevel]) -> Element:
    """A multi-level list definition."""
    definition = make("w:abstractNum", abstractNumId=str(abstract_id))
    definition.append(make("w:nsid", val=f"{0x5A1E0000 + abstract_id:08X}"))
    definition.append(make("w:multiLevelType", val="multilevel"))
    for index, level in enumerate(levels):
        item = make("w:lvl", ilvl=str(index))
        item.append(make("w:start", val="1"))
        item.append(make("w:numFmt", val=level.number_format))
        item.append(make("w:lvlText", val=level.text))
        item.append(make("w:lvlJc", val="left"))
        paragraph_props = make("w:pPr")
        set_indent(paragraph_props, level.indent, level.hanging)
        item.append(paragraph_props)
        if level.marker_font or level.marker_size_pt:
            run_props = make("w:rPr")
            if level.marker_font:
                set_fonts(run_props, level.marker_font)
            if level.marker_size_pt:
                set_run_size(run_props, round(level.marker_size_pt * 2))
            item.append(run_props)
        definition.append(item)
    return definition


def add_abstract_numbering(numbering: Element, definition: Element) -> None:
    """abstractNum elements must all precede the num elements."""
    first_num = numbering.find(qn("w:num"))
    if first_num is not None:
        first_num.addprevious(definition)
    else:
        numbering.append(definition)


def add_numbering_instance(numbering: Element, num_id: int, abstract_id: int, level: int, start: int) -> None:
    """A list instance that starts counting at `start` on `level`."""
    instance = make("w:num", numId=str(num_id))
    instance.append(make("w:abstractNumId", val=str(abstract_id)))
    override = make("w:lvlOverride", ilvl=str(level))
    override.append(make("w:startOverride", val=str(start)))
    instance.append(override)
    numbering.append(instance)


def max_attribute(elements: Iterable[Element], attribute: str) -> int:
    values = [int(value) for element in elements if (value := element.get(qn(attribute))) and value.isdigit()]
    return max(values, default=0)


def numbering_definitions(document: DocxDocument) -> Element:
    """The root of the numbering part, where list definitions go."""
    return cast(Element, document.part.numbering_part.element)


def first_free_numbering_ids(numbering: Element) -> tuple[int, int]:
    """The next unused abstractNumId and numId in a numbering part (a user's reference may have some)."""
    abstract = max_attribute(numbering.findall(qn("w:abstractNum")), "w:abstractNumId") + 1
    instance = max_attribute(numbering.findall(qn("w:num")), "w:numId") + 1
    return abstract, instance


# ---------------------------------------------------------------- tables


def set_table_style(table_props: Element, style_id: str) -> None:
    set_child(table_props, make("w:tblStyle", val=style_id), TABLE_PROPERTY_ORDER)


def set_table_width(table_props: Element, twips: int) -> None:
    set_child(table_props, make("w:tblW", w=str(twips), type="dxa"), TABLE_PROPERTY_ORDER)


def set_table_indent(table_props: Element, twips: int) -> None:
    set_child(table_props, make("w:tblInd", w=str(twips), type="dxa"), TABLE_PROPERTY_ORDER)


def set_table_look(table_props: Element, first_row: bool, first_column: bool, banded_rows: bool = False) -> None:
    flags = (0x0400 if banded_rows else 0x0600) | (0x0020 if first_row else 0) | (0x0080 if first_column else 0)
    look = make(
        "w:tblLook",
        val=f"{flags:04X}",
        firstRow="1" if first_row else "0",
        lastRow="0",
        firstColumn="1" if first_column else "0",
        lastColumn="0",
        noHBand="0" if banded_rows else "1",
        noVBand="1",
    )
    set_child(table_props, look, TABLE_PROPERTY_ORDER)


def set_row_flags(row_props: Element, repeat_as_header: bool) -> None:
    """Rows never split across pages; header rows repeat on each page."""
    set_child(row_props, make("w:cantSplit"), ROW_PROPERTY_ORDER)
    if repeat_as_header:
        set_child(row_props, make("w:tblHeader"), ROW_PROPERTY_ORDER)


def set_cell_shading(cell_props: Element, fill: str) -> None:
    set_child(cell_props, make("w:shd", val="clear", color="auto", fill=fill), CELL_PROPERTY_ORDER)


def table_borders(size: int, color: str, sides: Iterable[str] = BORDER_SIDES) -> Element:
    borders = make("w:tblBorders")
    wanted = set(sides)
    for side in BORDER_SIDES:
        if side in wanted:
            borders.append(make(side, val="single", sz=str(size), space="0", color=color))
        else:
            borders.append(make(side, val="nil"))
    return borders


def cell_margins(top: int, side: int, bottom: int) -> Element:
    margins = make("w:tblCellMar")
    for tag, value in (("w:top", top), ("w:left", side), ("w:bottom", bottom), ("w:right", side)):
        margins.append(make(tag, w=str(value), type="dxa"))
    return margins


# ---------------------------------------------------------------- paragraph boxes and pictures


def box_paragraph(paragraph: Paragraph, border_color: str, fill: str) -> None:
    """A shaded box with a rule between neighbours: Word would draw two such paragraphs as one box."""
    paragraph_props = paragraph_properties(paragraph)
    borders = make("w:pBdr")
    for side in ("w:top", "w:left", "w:bottom", "w:right", "w:between"):
        borders.append(make(side, val="single", sz="4", space="4", color=border_color))
    set_child(paragraph_props, borders, PARAGRAPH_PROPERTY_ORDER)
    set_paragraph_shading(paragraph_props, fill)


def largest_id(part: StoryPart) -> int:
    """The largest numeric `id` attribute anywhere in the part, as python-docx counts them."""
    return max((int(value) for value in part.element.xpath("//@id") if value.isdigit()), default=0)


def add_inline_picture(
    run: Run, shape_id: int, relationship_id: str, file_name: str, width: Length, height: Length
) -> InlineShape:
    """A picture in the run, shown from the image part `relationship_id` points to."""
    inline = CT_Inline.new_pic_inline(shape_id, relationship_id, file_name, width, height)
    run._r.add_drawing(inline)
    return InlineShape(inline)


def describe_picture(shape: InlineShape, description: str, title: str = "") -> None:
    """The alternative text screen readers announce, and the picture's title."""
    shape._inline.docPr.set("descr", description)
    if title:
        shape._inline.docPr.set("title", title)


def number_drawings(stories: Iterable[StoryPart]) -> None:
    """Gives every picture in these stories an id unique across all of them, as Word wants."""
    drawings = [drawing for story in stories for drawing in story.element.iter(qn("wp:docPr"))]
    for number, drawing in enumerate(drawings, start=1):
        drawing.set("id", str(number))


SVG_BLIP_EXTENSION = "{96DAC541-7B7A-43D3-8B79-37D633B846F1}"
SVG_NAMESPACE = "http://schemas.microsoft.com/office/drawing/2016/SVG/main"


def attach_svg(shape: InlineShape, relationship_id: str) -> None:
    """Points a picture's blip at an SVG part too, so Word 2016+ shows vectors and others the PNG."""
    blip = shape._inline.find(".//" + qn("a:blip"))
    if blip is None:
        return
    extensions = blip.find(qn("a:extLst"))
    if extensions is None:
        extensions = OxmlElement("a:extLst")
        blip.append(extensions)
    extension = OxmlElement("a:ext", attrs={"uri": SVG_BLIP_EXTENSION})
    extension.append(
        parse_xml(f'<asvg:svgBlip xmlns:asvg="{SVG_NAMESPACE}" xmlns:r="{nsmap["r"]}" r:embed="{relationship_id}"/>')
    )
    extensions.append(extension)
