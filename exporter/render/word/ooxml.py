"""Raw OOXML that python-docx has no API for, in the parts python-docx keeps: names and schema order,
fonts, shading and borders of styles, numbering definitions, section properties, table styles. The
body, footnotes, headers' text and pictures are built by ooxml_body, on the same names.

The rest of the Word writer reaches the XML only through these two modules. Every helper inserts
children in the order the schema demands, because Word refuses files whose property elements are
out of order.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import TypeAlias, cast

from docx.document import Document as DocxDocument
from docx.enum.section import WD_ORIENT
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsmap, qn
from docx.oxml.section import CT_SectPr
from docx.parts.story import StoryPart
from docx.shared import Twips
from docx.styles.style import BaseStyle
from docx.styles.styles import Styles
from lxml import etree  # type: ignore[import-untyped]  # python-docx's own XML library, which has no type stubs

from exporter.read.theme import plain_font_name

Element: TypeAlias = etree._Element  # a python-docx element class or a plain lxml element: the same XML
Order: TypeAlias = Mapping[str, int]  # Clark name -> place among its siblings


@cache
def clark(prefixed: str) -> str:
    """`{namespace}local` for a name such as `w:p` (python-docx's `qn`, remembered)."""
    return qn(prefixed)


def schema_order(*tags: str) -> Order:
    return {clark(tag): rank for rank, tag in enumerate(tags)}


W_NAMESPACE = nsmap["w"]
W_NAMESPACES = {"w": W_NAMESPACE}
VAL = clark("w:val")
XML_SPACE = clark("xml:space")

# Schema order of the children of each property element (ECMA-376 part 1, §17).
PARAGRAPH_PROPERTY_ORDER = schema_order(
    "w:pStyle", "w:keepNext", "w:keepLines", "w:pageBreakBefore", "w:framePr", "w:widowControl", "w:numPr",
    "w:suppressLineNumbers", "w:pBdr", "w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap",
    "w:overflowPunct", "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi", "w:adjustRightInd",
    "w:snapToGrid", "w:spacing", "w:ind", "w:contextualSpacing", "w:mirrorIndents", "w:suppressOverlap", "w:jc",
    "w:textDirection", "w:textAlignment", "w:textboxTightWrap", "w:outlineLvl", "w:divId", "w:cnfStyle", "w:rPr",
    "w:sectPr", "w:pPrChange",
)  # fmt: skip
RUN_PROPERTY_ORDER = schema_order(
    "w:rStyle", "w:rFonts", "w:b", "w:bCs", "w:i", "w:iCs", "w:caps", "w:smallCaps", "w:strike", "w:dstrike",
    "w:outline", "w:shadow", "w:emboss", "w:imprint", "w:noProof", "w:snapToGrid", "w:vanish", "w:webHidden",
    "w:color", "w:spacing", "w:w", "w:kern", "w:position", "w:sz", "w:szCs", "w:highlight", "w:u", "w:effect",
    "w:bdr", "w:shd", "w:fitText", "w:vertAlign", "w:rtl", "w:cs", "w:em", "w:lang", "w:eastAsianLayout",
    "w:specVanish", "w:oMath", "w:rPrChange",
)  # fmt: skip
TABLE_PROPERTY_ORDER = schema_order(
    "w:tblStyle", "w:tblpPr", "w:tblOverlap", "w:bidiVisual", "w:tblStyleRowBandSize", "w:tblStyleColBandSize",
    "w:tblW", "w:jc", "w:tblCellSpacing", "w:tblInd", "w:tblBorders", "w:shd", "w:tblLayout", "w:tblCellMar",
    "w:tblLook", "w:tblCaption", "w:tblDescription",
)  # fmt: skip
CELL_PROPERTY_ORDER = schema_order(
    "w:cnfStyle", "w:tcW", "w:gridSpan", "w:hMerge", "w:vMerge", "w:tcBorders", "w:shd", "w:noWrap", "w:tcMar",
    "w:textDirection", "w:tcFitText", "w:vAlign", "w:hideMark",
)  # fmt: skip
STYLE_CHILD_ORDER = schema_order(
    "w:name", "w:aliases", "w:basedOn", "w:next", "w:link", "w:autoRedefine", "w:hidden", "w:uiPriority",
    "w:semiHidden", "w:unhideWhenUsed", "w:qFormat", "w:locked", "w:personal", "w:personalCompose",
    "w:personalReply", "w:rsid", "w:pPr", "w:rPr", "w:tblPr", "w:trPr", "w:tcPr", "w:tblStylePr",
)  # fmt: skip
BORDER_SIDES = ("w:top", "w:left", "w:bottom", "w:right", "w:insideH", "w:insideV")


# ---------------------------------------------------------------- generic element plumbing


def make(tag: str, **attributes: str) -> Element:
    """A new element for a part python-docx reads again (styles, settings, numbering, section properties);
    attribute names are given without prefix and live in the w: namespace."""
    element: Element = OxmlElement(tag)  # python-docx's class for the tag, when it has one
    for name, value in attributes.items():
        element.set(clark(f"w:{name}"), value)
    return element


def set_child(parent: Element, element: Element, order: Order) -> Element:
    """Puts `element` into `parent`, replacing one with the same tag, at its place in `order`."""
    tag = element.tag
    for existing in parent.findall(tag):
        parent.remove(existing)
    rank = order[tag]
    for sibling in parent:
        if order.get(sibling.tag, -1) > rank:
            sibling.addprevious(element)
            return element
    parent.append(element)
    return element


def get_or_add(parent: Element, tag: str, order: Order) -> Element:
    """The child with `tag` (such as `w:rPr`), created in schema order when missing."""
    found = parent.find(clark(tag))
    return found if found is not None else set_child(parent, make(tag), order)


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


def box_paragraph(paragraph_props: Element, border_color: str, fill: str) -> None:
    """A shaded box with a rule between neighbours: Word would draw two such paragraphs as one box."""
    borders = make("w:pBdr")
    for side in ("w:top", "w:left", "w:bottom", "w:right", "w:between"):
        borders.append(make(side, val="single", sz="4", space="4", color=border_color))
    set_child(paragraph_props, borders, PARAGRAPH_PROPERTY_ORDER)
    set_paragraph_shading(paragraph_props, fill)


def set_paragraph_flag(paragraph_props: Element, tag: str, on: bool = True) -> None:
    """An on/off paragraph property such as `w:contextualSpacing`."""
    set_child(paragraph_props, make(tag) if on else make(tag, val="0"), PARAGRAPH_PROPERTY_ORDER)


def set_outline_level(paragraph_props: Element, level: int) -> None:
    """0-based outline level: what the navigation pane and TOC fields see."""
    set_child(paragraph_props, make("w:outlineLvl", val=str(level)), PARAGRAPH_PROPERTY_ORDER)


def set_exact_line_height(paragraph_props: Element, twips: int) -> None:
    spacing = get_or_add(paragraph_props, "w:spacing", PARAGRAPH_PROPERTY_ORDER)
    spacing.set(clark("w:line"), str(twips))
    spacing.set(clark("w:lineRule"), "exact")


def set_indent(paragraph_props: Element, left: int, hanging: int = 0) -> None:
    indent = make("w:ind", left=str(left))
    if hanging:
        indent.set(clark("w:hanging"), str(hanging))
    else:
        indent.set(clark("w:firstLine"), "0")
    set_child(paragraph_props, indent, PARAGRAPH_PROPERTY_ORDER)


def set_right_tab(paragraph_props: Element, position: int, leader: str = "dot") -> None:
    tabs = make("w:tabs")
    tabs.append(make("w:tab", val="right", leader=leader, pos=str(position)))
    set_child(paragraph_props, tabs, PARAGRAPH_PROPERTY_ORDER)


# ---------------------------------------------------------------- sections


def body_section_properties(document: DocxDocument) -> CT_SectPr:
    """The body's closing section properties, which every block of the body goes before."""
    return cast(CT_SectPr, document.element.body.get_or_add_sectPr())


def section_properties(template: CT_SectPr, width: int, height: int, landscape: bool) -> CT_SectPr:
    """A copy of `template` on a page of `width` by `height` twips; headers and footers follow the previous section."""
    section = copy.deepcopy(template)
    for tag in ("w:headerReference", "w:footerReference", "w:titlePg"):
        for element in section.findall(clark(tag)):
            section.remove(element)
    section.page_width = Twips(width)
    section.page_height = Twips(height)
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    return section


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
        f'<w:r xmlns:w="{W_NAMESPACE}" xmlns:v="{VML_NAMESPACE}"'
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


# ---------------------------------------------------------------- styles


def default_run_properties(styles: Styles) -> Element | None:
    """The document's default run properties (docDefaults), None when the styles part has no defaults."""
    defaults = styles.element.find(clark("w:docDefaults"))
    run_defaults = defaults.find(clark("w:rPrDefault")) if defaults is not None else None
    return get_or_add(run_defaults, "w:rPr", schema_order("w:rPr")) if run_defaults is not None else None


def default_paragraph_properties(styles: Styles) -> Element | None:
    defaults = styles.element.find(clark("w:docDefaults"))
    paragraph_defaults = defaults.find(clark("w:pPrDefault")) if defaults is not None else None
    return get_or_add(paragraph_defaults, "w:pPr", schema_order("w:pPr")) if paragraph_defaults is not None else None


def set_east_asian_language(run_props: Element, language: str) -> None:
    get_or_add(run_props, "w:lang", RUN_PROPERTY_ORDER).set(clark("w:eastAsia"), language)


def replace_east_asian_font(styles: Styles, old: str, new: str) -> None:
    """`new` as the East Asian font wherever the styles part names `old` there."""
    east_asia = clark("w:eastAsia")
    for fonts in styles.element.iter(clark("w:rFonts")):
        if fonts.get(east_asia) == old:
            fonts.set(east_asia, new)


def style_ids(styles: Styles) -> set[str]:
    found = (style.get(clark("w:styleId")) for style in styles.element.iterchildren(clark("w:style")))
    return {style_id for style_id in found if style_id is not None}


def style_names_and_ids(styles: Styles) -> Iterable[tuple[str, str]]:
    """(name, id) of every style in the styles part, read from the XML: python-docx would make an object of each."""
    name_tag, style_id = clark("w:name"), clark("w:styleId")
    for style in styles.element.iterchildren(clark("w:style")):
        name = style.find(name_tag)
        value = name.get(VAL) if name is not None else None
        identifier = style.get(style_id)
        if value and identifier:
            yield value, identifier


def add_style(styles: Styles, kind: str, style_id: str, name: str, custom: bool) -> None:
    """A new, empty style definition; `custom` marks it as not one of Word's built-in styles."""
    element = make("w:style", type=kind, styleId=style_id)
    if custom:
        element.set(clark("w:customStyle"), "1")
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


def keep_with_next_setting(element: Element) -> bool | None:
    """A paragraph's (or paragraph style's) own keep-with-next, None when it sets none."""
    setting = element.find(f"{clark('w:pPr')}/{clark('w:keepNext')}")
    if setting is None:
        return None
    return setting.get(VAL) not in ("0", "false", "off")


def add_conditional_format(style: BaseStyle, kind: str, fill: str, bold: bool) -> None:
    """Shading (and bold) for one part of a table style, such as its first row or banded rows."""
    conditional = make("w:tblStylePr", type=kind)
    run_props = make("w:rPr")
    if bold:
        run_props.append(make("w:b"))
        run_props.append(make("w:bCs"))
    conditional.append(run_props)
    cell_props = make("w:tcPr")
    set_child(cell_props, make("w:shd", val="clear", color="auto", fill=fill), CELL_PROPERTY_ORDER)
    conditional.append(cell_props)
    style.element.append(conditional)


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
    sub = etree.SubElement
    definition = etree.Element(clark("w:abstractNum"), {clark("w:abstractNumId"): str(abstract_id)}, nsmap=W_NAMESPACES)
    sub(definition, clark("w:nsid"), {VAL: f"{0x5A1E0000 + abstract_id:08X}"})
    sub(definition, clark("w:multiLevelType"), {VAL: "multilevel"})
    for index, level in enumerate(levels):
        item = sub(definition, clark("w:lvl"), {clark("w:ilvl"): str(index)})
        sub(item, clark("w:start"), {VAL: "1"})
        sub(item, clark("w:numFmt"), {VAL: level.number_format})
        sub(item, clark("w:lvlText"), {VAL: level.text})
        sub(item, clark("w:lvlJc"), {VAL: "left"})
        indent = {clark("w:left"): str(level.indent)}
        indent[clark("w:hanging") if level.hanging else clark("w:firstLine")] = str(level.hanging or 0)
        sub(sub(item, clark("w:pPr")), clark("w:ind"), indent)
        if level.marker_font or level.marker_size_pt:
            run_props = sub(item, clark("w:rPr"))
            if level.marker_font:
                font = level.marker_font
                names = ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs")
                sub(run_props, clark("w:rFonts"), {clark(name): font for name in names})
            if level.marker_size_pt:
                half_points = str(round(level.marker_size_pt * 2))
                sub(run_props, clark("w:sz"), {VAL: half_points})
                sub(run_props, clark("w:szCs"), {VAL: half_points})
    return definition


def add_abstract_numbering(numbering: Element, definition: Element) -> None:
    """abstractNum elements must all precede the num elements."""
    first_num = numbering.find(clark("w:num"))
    if first_num is not None:
        first_num.addprevious(definition)
    else:
        numbering.append(definition)


def add_numbering_instance(numbering: Element, num_id: int, abstract_id: int, level: int, start: int) -> None:
    """A list instance that starts counting at `start` on `level`."""
    sub = etree.SubElement
    instance = sub(numbering, clark("w:num"), {clark("w:numId"): str(num_id)})
    sub(instance, clark("w:abstractNumId"), {VAL: str(abstract_id)})
    override = sub(instance, clark("w:lvlOverride"), {clark("w:ilvl"): str(level)})
    sub(override, clark("w:startOverride"), {VAL: str(start)})


def max_attribute(elements: Iterable[Element], attribute: str) -> int:
    values = [int(value) for element in elements if (value := element.get(clark(attribute))) and value.isdigit()]
    return max(values, default=0)


def numbering_definitions(document: DocxDocument) -> Element:
    """The root of the numbering part, where list definitions go."""
    return cast(Element, document.part.numbering_part.element)


def first_free_numbering_ids(numbering: Element) -> tuple[int, int]:
    """The next unused abstractNumId and numId in a numbering part (a user's reference may have some)."""
    abstract = max_attribute(numbering.findall(clark("w:abstractNum")), "w:abstractNumId") + 1
    instance = max_attribute(numbering.findall(clark("w:num")), "w:numId") + 1
    return abstract, instance


# ---------------------------------------------------------------- pictures across stories


def largest_id(part: StoryPart) -> int:
    """The largest numeric `id` attribute anywhere in the part, as python-docx counts them."""
    return max((int(value) for value in part.element.xpath("//@id") if value.isdigit()), default=0)


def number_drawings(stories: Iterable[StoryPart]) -> None:
    """Gives every picture in these stories an id unique across all of them, as Word wants."""
    drawings = [drawing for story in stories for drawing in story.element.iter(clark("wp:docPr"))]
    for number, drawing in enumerate(drawings, start=1):
        drawing.set("id", str(number))
