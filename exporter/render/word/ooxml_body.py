"""The text of the document as raw OOXML: paragraphs, runs, hyperlinks, bookmarks, fields, tables,
footnotes and pictures, made as plain lxml elements with precomputed names.

python-docx's objects (Paragraph, Run, _Cell, ...) are made for editing a document: each new run or
property looks its place up through several layers, which made the Word writer several times slower
than pandoc on long documents. Here every element is one `SubElement` call, and the body is written
into a detached element (`detached_blocks`) and attached to the document in one go at the end.

Elements are made inside their final namespace scope, so their prefixes are those of the part they end
up in; a picture, an SVG blip or a formula brings its own declarations, exactly as python-docx writes
them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Literal, TypeAlias, cast

from docx.oxml import parse_xml
from docx.oxml.ns import nsmap
from docx.oxml.table import CT_Tbl
from lxml import etree  # type: ignore[import-untyped]  # python-docx's own XML library, which has no type stubs

from exporter.render.word.ooxml import (
    PARAGRAPH_PROPERTY_ORDER,
    VAL,
    XML_SPACE,
    Element,
    Order,
    clark,
    set_child,
)

_sub = etree.SubElement

# Names of the body's elements and attributes, as lxml takes them.
P, PPR, PSTYLE, R, RPR, RSTYLE, T = (clark(f"w:{name}") for name in ("p", "pPr", "pStyle", "r", "rPr", "rStyle", "t"))
TAB, BR, HYPERLINK, DRAWING = (clark(f"w:{name}") for name in ("tab", "br", "hyperlink", "drawing"))
BOOKMARK_START, BOOKMARK_END = clark("w:bookmarkStart"), clark("w:bookmarkEnd")
KEEP_NEXT, SPACING, IND, JC, NUMPR = (clark(f"w:{name}") for name in ("keepNext", "spacing", "ind", "jc", "numPr"))
TBL, TBL_PR, TBL_GRID, GRID_COL = (clark(f"w:{name}") for name in ("tbl", "tblPr", "tblGrid", "gridCol"))
TR, TR_PR, TC, TC_PR, TC_W = (clark(f"w:{name}") for name in ("tr", "trPr", "tc", "tcPr", "tcW"))
FOOTNOTE, SECT_PR = clark("w:footnote"), clark("w:sectPr")
INS, DEL, RPR_CHANGE = clark("w:ins"), clark("w:del"), clark("w:rPrChange")
INSTR_TEXT, DEL_TEXT, DEL_INSTR_TEXT = clark("w:instrText"), clark("w:delText"), clark("w:delInstrText")
FOOTNOTE_REF, AUTHOR, DATE = clark("w:footnoteRef"), clark("w:author"), clark("w:date")
M_OMATH, M_OMATH_PARA = clark("m:oMath"), clark("m:oMathPara")
ID, NAME, W_WIDTH, W_TYPE = clark("w:id"), clark("w:name"), clark("w:w"), clark("w:type")
R_ID, R_EMBED = clark("r:id"), clark("r:embed")
W_NAMESPACES = {"w": nsmap["w"]}
LINK_NAMESPACES = {"w": nsmap["w"], "r": nsmap["r"]}
# python-docx declares these on a picture's `wp:inline` (nsdecls("wp", "a", "pic", "r")); those the part
# already declares drop out when the picture is attached.
PICTURE_NAMESPACES = {prefix: nsmap[prefix] for prefix in ("wp", "a", "pic", "r")}
PICTURE_URI = "http://schemas.openxmlformats.org/drawingml/2006/picture"
SVG_BLIP_EXTENSION = "{96DAC541-7B7A-43D3-8B79-37D633B846F1}"
SVG_NAMESPACE = "http://schemas.microsoft.com/office/drawing/2016/SVG/main"
M_NAMESPACES = {"m": nsmap["m"]}

RunProperties: TypeAlias = tuple[tuple[str, dict[str, str]], ...]  # (name, attributes) of rPr's children, in order
TrackKind: TypeAlias = Literal["inserted", "deleted"]  # a tracked change: w:ins or w:del
IdSource: TypeAlias = Callable[[], int]  # the next annotation id, unique in the document


# ---------------------------------------------------------------- where blocks go


def detached_blocks(container: Element) -> Element:
    """An empty element to write blocks into before they go into `container`, with the namespace
    declarations `container` has in scope, so everything made in it gets the prefixes it will keep."""
    return etree.Element(container.tag, nsmap=container.nsmap)


def attach_blocks(blocks: Element, before: Element) -> None:
    """Moves the written blocks in front of `before` (the body's closing section properties)."""
    for block in list(blocks):
        before.addprevious(block)


def new_footnote(footnotes: Element, note_id: int) -> Element:
    """A new, empty w:footnote for the footnotes part `footnotes`, not yet in it."""
    return etree.Element(FOOTNOTE, {ID: str(note_id)}, nsmap=footnotes.nsmap)


def first_paragraph(story: Element) -> Element:
    """The first paragraph of a header, footer or cell; a new one when it has none."""
    found = story.find(P)
    return found if found is not None else _sub(story, P)


def ends_with_paragraph(container: Element) -> bool:
    """Whether the last block of a footnote (or cell) is a paragraph, as Word requires."""
    return len(container) > 0 and container[-1].tag == P


def is_paragraph(element: Element) -> bool:
    return bool(element.tag == P)


def paragraphs_in(container: Element) -> Iterator[Element]:
    """The paragraphs directly in a cell (or other story), not those of tables inside it."""
    return cast(Iterator[Element], container.iterchildren(P))


def blocks_in(container: Element) -> list[Element]:
    """The paragraphs and tables of the container, in order."""
    return [child for child in container if child.tag in (P, TBL)]


def is_last(element: Element) -> bool:
    """Whether nothing follows the element in its container."""
    return element.getnext() is None


def move_after(anchor: Element, element: Element) -> None:
    anchor.addnext(element)


def remove(element: Element) -> None:
    parent = element.getparent()
    if parent is not None:
        parent.remove(element)


# ---------------------------------------------------------------- paragraphs


def add_paragraph(container: Element, style_id: str, alignment: str = "") -> Element:
    """A paragraph of the style at the end of the container, aligned ("left", "center", ...) when asked."""
    paragraph = _sub(container, P)
    properties = _sub(paragraph, PPR)
    _sub(properties, PSTYLE, {VAL: style_id})
    if alignment:
        _sub(properties, JC, {VAL: alignment})
    return paragraph


def add_empty_paragraph(container: Element) -> Element:
    return _sub(container, P)


def add_table(container: Element) -> Element:
    """An empty w:tbl at the end of the container, for `lay_out_table`."""
    return _sub(container, TBL)


def paragraph_properties(paragraph: Element) -> Element:
    """The paragraph's w:pPr, always its first child; made when missing."""
    return _first_child(paragraph, PPR)


def set_paragraph_style(paragraph: Element, style_id: str) -> None:
    properties = paragraph_properties(paragraph)
    style = properties.find(PSTYLE)
    if style is None:
        _place(properties, PSTYLE, {VAL: style_id}, PARAGRAPH_PROPERTY_ORDER)
    else:
        style.set(VAL, style_id)


def paragraph_style_id(paragraph: Element) -> str | None:
    style = paragraph.find(f"{PPR}/{PSTYLE}")
    return style.get(VAL) if style is not None else None


def keep_with_next(paragraph: Element) -> None:
    _place(paragraph_properties(paragraph), KEEP_NEXT, {}, PARAGRAPH_PROPERTY_ORDER)


def set_space_before(paragraph: Element, twips: int) -> None:
    _property(paragraph_properties(paragraph), SPACING, PARAGRAPH_PROPERTY_ORDER).set(clark("w:before"), str(twips))


def set_space_after(paragraph: Element, twips: int) -> None:
    _property(paragraph_properties(paragraph), SPACING, PARAGRAPH_PROPERTY_ORDER).set(clark("w:after"), str(twips))


def set_left_indent(paragraph: Element, twips: int) -> None:
    _property(paragraph_properties(paragraph), IND, PARAGRAPH_PROPERTY_ORDER).set(clark("w:left"), str(twips))


def alignment(paragraph: Element) -> str | None:
    """The paragraph's own `w:jc` value ("left", "center", ...), None when it has none."""
    found = paragraph.find(f"{PPR}/{JC}")
    return found.get(VAL) if found is not None else None


def set_alignment(paragraph: Element, value: str) -> None:
    _property(paragraph_properties(paragraph), JC, PARAGRAPH_PROPERTY_ORDER).set(VAL, value)


def set_numbering(paragraph: Element, num_id: int, level: int) -> None:
    numbering = _place(paragraph_properties(paragraph), NUMPR, {}, PARAGRAPH_PROPERTY_ORDER)
    _sub(numbering, clark("w:ilvl"), {VAL: str(level)})
    _sub(numbering, clark("w:numId"), {VAL: str(num_id)})


def _place(parent: Element, tag: str, attributes: dict[str, str], ranks: Order) -> Element:
    """A new child `tag` in its place in `ranks` (a schema order), replacing any with the same tag."""
    for existing in parent.findall(tag):
        parent.remove(existing)
    element = _sub(parent, tag, attributes)
    rank = ranks[tag]
    for sibling in parent:
        if sibling is element:
            break
        if ranks.get(sibling.tag, -1) > rank:
            sibling.addprevious(element)
            break
    return element


def _property(parent: Element, tag: str, order: Order) -> Element:
    found = parent.find(tag)
    return found if found is not None else _place(parent, tag, {}, order)


# ---------------------------------------------------------------- runs


def run_properties_of(
    *,
    style_id: str | None = None,
    bold: bool = False,
    italic: bool = False,
    strike: bool = False,
    color: str = "",
    half_points: int = 0,
    highlight: str = "",
    underline: str = "",
    vertical_align: str = "",
) -> RunProperties:
    """A run's direct formatting, in schema order, ready for `add_run`."""
    children: list[tuple[str, dict[str, str]]] = []
    if style_id:
        children.append((RSTYLE, {VAL: style_id}))
    if bold:
        children.append((clark("w:b"), {}))
    if italic:
        children.append((clark("w:i"), {}))
    if strike:
        children.append((clark("w:strike"), {}))
    if color:
        children.append((clark("w:color"), {VAL: color}))
    if half_points:
        children.append((clark("w:sz"), {VAL: str(half_points)}))
    if highlight:
        children.append((clark("w:highlight"), {VAL: highlight}))
    if underline:
        children.append((clark("w:u"), {VAL: underline}))
    if vertical_align:
        children.append((clark("w:vertAlign"), {VAL: vertical_align}))
    return tuple(children)


def add_run(parent: Element, properties: RunProperties = (), text: str = "", *, preserve: bool = False) -> Element:
    """A run at the end of the paragraph or hyperlink `parent`; `preserve` keeps every space of its text."""
    run = _sub(parent, R)
    if properties:
        run_props = _sub(run, RPR)
        for tag, attributes in properties:
            _sub(run_props, tag, attributes)
    if text:
        add_text(run, text, preserve=preserve)
    return run


def add_text(run: Element, text: str, *, preserve: bool = False) -> None:
    """Text as python-docx writes it: a tab is a w:tab, a line end a w:br, the rest w:t elements, which keep
    their spaces when they start or end with one (or always, with `preserve`)."""
    if "\t" not in text and "\n" not in text and "\r" not in text:
        _add_t(run, text, preserve)
        return
    piece = ""
    for char in text:
        if char in "\t\r\n":
            if piece:
                _add_t(run, piece, preserve)
                piece = ""
            _sub(run, TAB if char == "\t" else BR)
        else:
            piece += char
    if piece:
        _add_t(run, piece, preserve)


def _add_t(run: Element, text: str, preserve: bool) -> None:
    element = _sub(run, T)
    element.text = text
    if preserve or len(text.strip()) < len(text):
        element.set(XML_SPACE, "preserve")


def set_text(run: Element, text: str) -> None:
    """Replaces what the run shows by `text`, keeping its formatting."""
    for child in list(run):
        if child.tag != RPR:
            run.remove(child)
    add_text(run, text)


def add_break(run: Element) -> None:
    _sub(run, BR)


def run_properties(run: Element) -> Element:
    """The run's w:rPr, always its first child; made when missing."""
    return _first_child(run, RPR)


def _first_child(parent: Element, tag: str) -> Element:
    """OOXML puts an element's properties (w:pPr, w:rPr) first; the existing one, or a new one placed there."""
    if len(parent) and parent[0].tag == tag:
        return parent[0]
    properties = _sub(parent, tag)
    parent.insert(0, properties)
    return properties


def append(parent: Element, element: Element) -> None:
    """A marker, field character, note reference or formula, after what is already in `parent`."""
    parent.append(element)


# ---------------------------------------------------------------- bookmarks, hyperlinks, fields, notes


def bookmark_start(bookmark_id: int, name: str) -> Element:
    return etree.Element(BOOKMARK_START, {ID: str(bookmark_id), NAME: name}, nsmap=W_NAMESPACES)


def bookmark_end(bookmark_id: int) -> Element:
    return etree.Element(BOOKMARK_END, {ID: str(bookmark_id)}, nsmap=W_NAMESPACES)


def internal_hyperlink(bookmark: str, tooltip: str = "") -> Element:
    attributes = {clark("w:anchor"): bookmark, clark("w:history"): "1"}
    if tooltip:
        attributes[clark("w:tooltip")] = tooltip
    return etree.Element(HYPERLINK, attributes, nsmap=W_NAMESPACES)


def external_hyperlink(relationship_id: str, tooltip: str = "") -> Element:
    attributes = {clark("w:history"): "1", R_ID: relationship_id}
    if tooltip:
        attributes[clark("w:tooltip")] = tooltip
    return etree.Element(HYPERLINK, attributes, nsmap=LINK_NAMESPACES)


def field_char(kind: str) -> Element:
    """A complex field's `begin`, `separate` (instruction done, cached result follows) or `end`."""
    return etree.Element(clark("w:fldChar"), {clark("w:fldCharType"): kind}, nsmap=W_NAMESPACES)


def instruction_text(instruction: str) -> Element:
    text = etree.Element(clark("w:instrText"), {XML_SPACE: "preserve"}, nsmap=W_NAMESPACES)
    text.text = f" {instruction} "
    return text


def add_field_begin(paragraph: Element, instruction: str) -> None:
    """Opens a complex field: its cached result follows until `add_field_end`."""
    add_run(paragraph).append(field_char("begin"))
    add_run(paragraph).append(instruction_text(instruction))
    add_run(paragraph).append(field_char("separate"))


def add_field_end(paragraph: Element) -> None:
    add_run(paragraph).append(field_char("end"))


def footnote_reference(note_id: int) -> Element:
    """The body's reference to a footnote, which Word numbers itself."""
    return etree.Element(clark("w:footnoteReference"), {ID: str(note_id)}, nsmap=W_NAMESPACES)


def footnote_mark() -> Element:
    """The footnote's own number, at the start of its text."""
    return etree.Element(clark("w:footnoteRef"), nsmap=W_NAMESPACES)


def right_margin_tab() -> Element:
    """A tab to the right margin of whatever section the paragraph is in, whatever its tab stops."""
    attributes = {clark("w:relativeTo"): "margin", clark("w:alignment"): "right", clark("w:leader"): "none"}
    return etree.Element(clark("w:ptab"), attributes, nsmap=W_NAMESPACES)


# ---------------------------------------------------------------- sections


def end_section_in(paragraph: Element, section: Element) -> None:
    """Makes the body paragraph the last of a section with these properties."""
    set_child(paragraph_properties(paragraph), section, PARAGRAPH_PROPERTY_ORDER)


def ends_section(paragraph: Element) -> bool:
    """Whether a body paragraph carries section properties, ending a section."""
    return paragraph.find(f"{PPR}/{SECT_PR}") is not None


# ---------------------------------------------------------------- tables


@dataclass(frozen=True, slots=True)
class TableLayout:
    """A table's fixed layout: explicit widths on the table, its grid and every cell; rows never split.
    A data table (`header`) repeats its first `header_rows` rows on each page and bands its rows; a
    key-value table marks its first column instead."""

    style_id: str
    widths: tuple[int, ...]  # twips per column
    indent: int  # twips from the left margin
    header: bool
    header_rows: int = 1


def lay_out_table(table: Element, layout: TableLayout, rows: int) -> list[list[Element]]:
    """Fills the empty w:tbl with its properties, grid and `rows` rows of cells, as python-docx makes a table
    and sets its widths; returns the cells (w:tc) by row and column. Each cell must then get its first
    paragraph (`add_paragraph`, or `add_empty_paragraph` for a cell another spans): Word wants one in each."""
    properties = _sub(table, TBL_PR)
    _sub(properties, clark("w:tblStyle"), {VAL: layout.style_id})
    _sub(properties, clark("w:tblW"), {W_WIDTH: str(sum(layout.widths)), W_TYPE: "dxa"})
    if layout.indent:
        _sub(properties, clark("w:tblInd"), {W_WIDTH: str(layout.indent), W_TYPE: "dxa"})
    _sub(properties, clark("w:tblLayout"), {W_TYPE: "fixed"})
    _sub(properties, clark("w:tblLook"), _table_look(layout))
    grid = _sub(table, TBL_GRID)
    for width in layout.widths:
        _sub(grid, GRID_COL, {W_WIDTH: str(width)})
    cells: list[list[Element]] = []
    cell_widths = [{W_TYPE: "dxa", W_WIDTH: str(width)} for width in layout.widths]
    cant_split, table_header = clark("w:cantSplit"), clark("w:tblHeader")
    for row_index in range(rows):
        row = _sub(table, TR)
        row_props = _sub(row, TR_PR)
        _sub(row_props, cant_split)
        if layout.header and row_index < layout.header_rows:
            _sub(row_props, table_header)
        row_cells = []
        for cell_width in cell_widths:
            cell = _sub(row, TC)
            _sub(_sub(cell, TC_PR), TC_W, cell_width)
            row_cells.append(cell)
        cells.append(row_cells)
    return cells


def _table_look(layout: TableLayout) -> dict[str, str]:
    first_row = layout.header and layout.header_rows > 0
    first_column = not layout.header
    banded_rows = layout.header
    flags = (0x0400 if banded_rows else 0x0600) | (0x0020 if first_row else 0) | (0x0080 if first_column else 0)
    return {
        VAL: f"{flags:04X}",
        clark("w:firstRow"): "1" if first_row else "0",
        clark("w:lastRow"): "0",
        clark("w:firstColumn"): "1" if first_column else "0",
        clark("w:lastColumn"): "0",
        clark("w:noHBand"): "0" if banded_rows else "1",
        clark("w:noVBand"): "1",
    }


def merge_cells(table: Element, spans: Sequence[tuple[int, int, int, int]]) -> None:
    """Merges each (row, column, last row, last column) rectangle of the table's grid, in order, the way
    python-docx's `_Cell.merge` does: `w:gridSpan` across, `w:vMerge` down, the content of merged cells
    moved into the first. Only tables with spanning cells (from raw HTML) come here, so it is python-docx's
    own algorithm, on a copy of the table parsed with its element classes; HTML's overlapping spans merge
    exactly as they always have."""
    if not spans:
        return
    typed = cast(CT_Tbl, parse_xml(etree.tostring(table)))  # merged while python-docx's parser owns it
    grid = [row.tc_lst for row in typed.tr_lst]  # before merging, one cell per grid place
    for row, column, last_row, last_column in spans:
        grid[row][column].merge(grid[last_row][last_column])
    parent = table.getparent()
    assert parent is not None
    parent.replace(table, typed)


# ---------------------------------------------------------------- pictures


def add_picture(
    run: Element, shape_id: int, relationship_id: str, file_name: str, width_emu: int, height_emu: int
) -> Element:
    """A picture in the run, shown from the image part `relationship_id` points to: python-docx's
    `CT_Inline.new_pic_inline`, element for element. Returns its `wp:inline`."""
    size = {"cx": str(width_emu), "cy": str(height_emu)}
    inline = etree.Element(clark("wp:inline"), nsmap=PICTURE_NAMESPACES)
    _sub(inline, clark("wp:extent"), size)
    _sub(inline, clark("wp:docPr"), {"id": str(shape_id), "name": f"Picture {shape_id}"})
    _sub(_sub(inline, clark("wp:cNvGraphicFramePr")), clark("a:graphicFrameLocks"), {"noChangeAspect": "1"})
    data = _sub(_sub(inline, clark("a:graphic")), clark("a:graphicData"), {"uri": PICTURE_URI})
    picture = _sub(data, clark("pic:pic"))
    names = _sub(picture, clark("pic:nvPicPr"))
    _sub(names, clark("pic:cNvPr"), {"id": "0", "name": file_name})  # Word ignores this id but wants it
    _sub(names, clark("pic:cNvPicPr"))
    fill = _sub(picture, clark("pic:blipFill"))
    _sub(fill, clark("a:blip"), {R_EMBED: relationship_id})
    _sub(_sub(fill, clark("a:stretch")), clark("a:fillRect"))
    shape = _sub(picture, clark("pic:spPr"))
    frame = _sub(shape, clark("a:xfrm"))
    _sub(frame, clark("a:off"), {"x": "0", "y": "0"})
    _sub(frame, clark("a:ext"), size)
    _sub(shape, clark("a:prstGeom"), {"prst": "rect"})
    _sub(run, DRAWING).append(inline)
    return inline


def describe_picture(inline: Element, description: str, title: str = "") -> None:
    """The alternative text screen readers announce, and the picture's title."""
    properties = inline.find(clark("wp:docPr"))
    properties.set("descr", description)
    if title:
        properties.set("title", title)


def attach_svg(inline: Element, relationship_id: str) -> None:
    """Points a picture's blip at an SVG part too, so Word 2016+ shows vectors and others the PNG."""
    blip = inline.find(".//" + clark("a:blip"))
    if blip is None:
        return
    extensions = blip.find(clark("a:extLst"))
    if extensions is None:
        extensions = _sub(blip, clark("a:extLst"))
    extension = _sub(extensions, clark("a:ext"), {"uri": SVG_BLIP_EXTENSION})
    svg_namespaces = {"asvg": SVG_NAMESPACE, "r": nsmap["r"]}
    extension.append(etree.Element(f"{{{SVG_NAMESPACE}}}svgBlip", {R_EMBED: relationship_id}, nsmap=svg_namespaces))


# ---------------------------------------------------------------- formulas


def math_element(tag: str, **attributes: str) -> Element:
    """A new Office Math element (`m:oMath`, ...) standing alone, as the root of a formula."""
    return etree.Element(
        clark(tag), {clark(f"m:{name}"): value for name, value in attributes.items()}, nsmap=M_NAMESPACES
    )


def math_child(parent: Element, tag: str, **attributes: str) -> Element:
    return _sub(parent, clark(tag), {clark(f"m:{name}"): value for name, value in attributes.items()})


# ---------------------------------------------------------------- tracked changes (ECMA-376 part 1, 17.13.5)

# What a w:ins or w:del wraps in a paragraph: runs and formulas. Hyperlinks get theirs around the runs inside them.
_TRACKED_CONTENT = frozenset({R, M_OMATH, M_OMATH_PARA})


@dataclass(frozen=True, slots=True)
class Stamp:
    """Who made the tracked changes, and when (xsd:dateTime in UTC, such as 2026-12-04T09:00:00Z)."""

    author: str
    date: str

    def attributes(self, revision_id: int) -> dict[str, str]:
        return {ID: str(revision_id), AUTHOR: self.author, DATE: self.date}


def child_count(parent: Element) -> int:
    """How many children the paragraph (or hyperlink) has: where content written next starts."""
    return len(parent)


def track_content(parent: Element, start: int, kind: TrackKind, stamp: Stamp, ids: IdSource) -> None:
    """Wraps the runs and formulas among the children of `parent` (a paragraph or hyperlink) from `start` on in
    a w:ins or w:del, one per unbroken stretch; inside a hyperlink, around its runs. Bookmarks stay outside; what
    is already tracked, and a footnote's own number mark, are left as they are. Deleted text becomes w:delText
    and deleted field codes w:delInstrText, as Word writes them."""
    tag = INS if kind == "inserted" else DEL
    wrapper: Element | None = None
    for child in list(parent)[start:]:
        if child.tag in _TRACKED_CONTENT and child.find(FOOTNOTE_REF) is None:
            if wrapper is None:
                wrapper = _sub(parent, tag, stamp.attributes(ids()))
                child.addprevious(wrapper)
            wrapper.append(child)
            if kind == "deleted":
                _as_deleted_text(child)
            continue
        wrapper = None
        if child.tag == HYPERLINK:
            track_content(child, 0, kind, stamp, ids)


def _as_deleted_text(content: Element) -> None:
    for text in content.iter(T, INSTR_TEXT):
        text.tag = DEL_TEXT if text.tag == T else DEL_INSTR_TEXT


def track_paragraph_mark(paragraph: Element, kind: TrackKind, stamp: Stamp, revision_id: int) -> None:
    """Marks the paragraph's mark inserted or deleted (`w:pPr/w:rPr/w:ins`), so that rejecting or accepting the
    change removes the paragraph itself, not only its text. A mark already tracked is left as it is."""
    mark_properties = _property(paragraph_properties(paragraph), RPR, PARAGRAPH_PROPERTY_ORDER)
    if mark_properties.find(INS) is None and mark_properties.find(DEL) is None:
        mark_properties.insert(0, _revision(mark_properties, kind, stamp, revision_id))  # ins and del come first


def track_row(row: Element, kind: TrackKind, stamp: Stamp, revision_id: int) -> None:
    """Marks a table row inserted or deleted (`w:trPr/w:ins`): Accept All or Reject All removes it whole."""
    properties = _first_child(row, TR_PR)
    if properties.find(INS) is None and properties.find(DEL) is None:
        properties.append(_revision(properties, kind, stamp, revision_id))  # after the row's other properties


def _revision(parent: Element, kind: TrackKind, stamp: Stamp, revision_id: int) -> Element:
    return _sub(parent, INS if kind == "inserted" else DEL, stamp.attributes(revision_id))


def track_format(run: Element, former: RunProperties, stamp: Stamp, revision_id: int) -> None:
    """Records the formatting the run had before (`w:rPrChange` holding the old `w:rPr`): rejecting the change
    gives it back."""
    change = _sub(run_properties(run), RPR_CHANGE, stamp.attributes(revision_id))  # the last of the run's properties
    old = _sub(change, RPR)
    for tag, attributes in former:
        _sub(old, tag, attributes)


def runs_from(parent: Element, start: int) -> list[Element]:
    """The runs among the children of `parent` from `start` on, those in hyperlinks and tracked changes included."""
    return [run for child in list(parent)[start:] for run in child.iter(R)]


def paragraphs_within(element: Element) -> Iterator[Element]:
    """The element itself when it is a paragraph, else every paragraph inside it (a table's), in order."""
    return cast(Iterator[Element], element.iter(P))


def rows_within(table: Element) -> Iterator[Element]:
    """The table's rows and those of tables inside its cells."""
    return cast(Iterator[Element], table.iter(TR))


def is_table(element: Element) -> bool:
    return bool(element.tag == TBL)


def row_of(cell: Element) -> Element:
    row = cell.getparent()
    assert row is not None
    return row


def bracket(paragraphs: Iterable[Element], start: Element, end: Element) -> None:
    """Puts a bookmark's start at the beginning of the first paragraph (after its properties) and its end at the
    end of the last; nothing when there is no paragraph."""
    found = list(paragraphs)
    if not found:
        return
    first = found[0]
    first.insert(1 if len(first) and first[0].tag == PPR else 0, start)
    found[-1].append(end)
