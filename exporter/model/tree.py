"""The document tree: a closed set of frozen node types.

The parser builds it; every backend renders it and sees nothing else. All
shared decisions (ids, numbering, table of contents, metadata, diagram grid,
table column weights) are already made when a tree exists.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, fields, is_dataclass
from typing import Literal, TypeAlias, TypeVar, assert_never

_Value = TypeVar("_Value")
_WHEN_SET = "designexport_dump_when_set"


def shown_when_set(default: _Value) -> _Value:
    """A field `dump` leaves out while it holds its default: adding one keeps the golden trees of documents
    that don't use it."""
    return field(default=default, metadata={_WHEN_SET: True})


# ---------------------------------------------------------------- inlines


@dataclass(frozen=True, slots=True)
class Text:
    text: str


@dataclass(frozen=True, slots=True)
class InlineCode:
    text: str


@dataclass(frozen=True, slots=True)
class Emphasis:
    children: tuple[Inline, ...]


@dataclass(frozen=True, slots=True)
class Strong:
    children: tuple[Inline, ...]


@dataclass(frozen=True, slots=True)
class Strikethrough:
    children: tuple[Inline, ...]


@dataclass(frozen=True, slots=True)
class Superscript:
    children: tuple[Inline, ...]


@dataclass(frozen=True, slots=True)
class Subscript:
    children: tuple[Inline, ...]


@dataclass(frozen=True, slots=True)
class Keyboard:
    children: tuple[Inline, ...]


InlineStyle: TypeAlias = Literal["inserted", "highlighted", "small"]


@dataclass(frozen=True, slots=True)
class Styled:
    """Raw HTML's `<ins>` (inserted, underlined), `<mark>` (highlighted) and `<small>` (smaller print)."""

    style: InlineStyle
    children: tuple[Inline, ...]


@dataclass(frozen=True, slots=True)
class Link:
    """`target` is an absolute URL, a relative path, or `#id` for an anchor in this document."""

    target: str
    children: tuple[Inline, ...]
    title: str = ""


@dataclass(frozen=True, slots=True)
class Image:
    """`source` is as written; backends resolve it through the resource resolver."""

    source: str
    alt: str
    title: str = ""
    line: int = 0  # line of the enclosing block, for diagnostics
    width: int = shown_when_set(0)  # CSS pixels from raw `<img width>`; 0: the image's own size
    height: int = shown_when_set(0)


@dataclass(frozen=True, slots=True)
class FootnoteRef:
    """A reference to `Document.footnotes[number - 1]`."""

    number: int
    label: str


@dataclass(frozen=True, slots=True)
class Anchor:
    """A link target inside running text, from raw `<a id="...">`."""

    id: str


@dataclass(frozen=True, slots=True)
class Math:
    """A TeX formula in running text, from `$…$` or `` $`…`$ ``, as written between its delimiters.

    `display` marks a `$$…$$` formula where it can't be a block of its own (a heading, a table cell): it is
    drawn there in display style. Formulas that can't be typeset never reach the tree: they become code."""

    tex: str
    display: bool = False


# How a comparison of two versions (exporter.compare) marks words: present only in the new version, only in the
# old one, or in both with other formatting.
ChangeKind: TypeAlias = Literal["inserted", "deleted"]
InlineFormat: TypeAlias = Literal["emphasis", "strong", "strikethrough", "code", "superscript", "subscript", "keyboard"]


@dataclass(frozen=True, slots=True)
class Changed:
    """Words only one of two compared versions has: shown inserted (underlined) or deleted (struck through), and
    written to Word as a tracked change, so that accepting every change gives the new version."""

    kind: ChangeKind
    children: tuple[Inline, ...]


@dataclass(frozen=True, slots=True)
class Reformatted:
    """Words both versions have, formatted differently: `children` as the new version formats them, `formerly`
    the formatting the old version gave them (outermost first; empty: plain text)."""

    formerly: tuple[InlineFormat, ...]
    children: tuple[Inline, ...]


@dataclass(frozen=True, slots=True)
class SoftBreak:
    pass


@dataclass(frozen=True, slots=True)
class HardBreak:
    pass


Inline: TypeAlias = (
    Text
    | InlineCode
    | Emphasis
    | Strong
    | Strikethrough
    | Superscript
    | Subscript
    | Keyboard
    | Styled
    | Link
    | Image
    | FootnoteRef
    | Anchor
    | Math
    | SoftBreak
    | HardBreak
    | Changed
    | Reformatted
)

# ---------------------------------------------------------------- blocks

Alignment: TypeAlias = Literal["default", "left", "center", "right"]
# How a table fits the page: as is, in a smaller font, or on a landscape page.
TableFit: TypeAlias = Literal["normal", "compact", "landscape"]
# Where words in a table may break: nowhere inside a word, also after the `_ . / :` of identifiers, or anywhere.
TableBreaks: TypeAlias = Literal["words", "identifiers", "anywhere"]
CalloutKind: TypeAlias = Literal["note", "tip", "important", "warning", "caution"]
# What a comparison did to a block: all of it inserted or deleted, its content changed inside (Changed inlines,
# row changes), or moved: deleted where it was ("moved-from") and inserted where it is ("moved-to").
BlockChange: TypeAlias = Literal["inserted", "deleted", "changed", "moved-from", "moved-to"]
# A table row of a comparison: in both versions (""), only in the new one, or only in the old one.
RowChange: TypeAlias = Literal["", "inserted", "deleted"]


@dataclass(frozen=True, slots=True)
class Heading:
    level: int
    id: str
    children: tuple[Inline, ...]
    line: int
    number: str = ""  # section number such as "2.3", empty when numbering is off


@dataclass(frozen=True, slots=True)
class Paragraph:
    children: tuple[Inline, ...]
    line: int
    alignment: Alignment = shown_when_set("default")  # raw HTML `<p align>`, `<div align>`


@dataclass(frozen=True, slots=True)
class CodeBlock:
    text: str  # without the final newline
    language: str  # first word of the info string, lower-case; "" when none
    info: str  # the whole info string as written
    line: int
    # In a comparison (exporter.compare), one per line of `text`, which then holds the lines of both versions in
    # order: whether a line is in both, only in the new version ("inserted") or only in the old ("deleted").
    line_changes: tuple[RowChange, ...] = shown_when_set(())


@dataclass(frozen=True, slots=True)
class MathBlock:
    """A displayed TeX formula: `$$…$$` (on lines of its own, or inside a paragraph, which it splits) or a
    ```` ```math ```` fence."""

    tex: str
    line: int


# A recognised drawing, in grid coordinates (display cells), so that every backend draws the
# same picture. Rows and columns count from 0 at the top left; a cell (row, column) spans
# x in [column, column + 1] and y in [row, row + 1], so its centre is (column + 0.5, row + 0.5).
DiagramBoxStyle: TypeAlias = Literal["single", "double", "rounded", "dashed"]


@dataclass(frozen=True, slots=True)
class DiagramBox:
    """A rectangle whose corner characters sit in rows top, bottom and columns left, right.

    Its edges run through the centres of those cells. A titled box (`┌─ Title ─┐`) has `title` written
    in its top edge from `title_column` on; the edge is broken over columns `title_gap` (first, last):
    the title and the blanks around it, as the text shows them.
    """

    top: int
    left: int
    bottom: int
    right: int
    style: DiagramBoxStyle
    title: str = ""
    title_column: int = 0
    title_gap: tuple[int, int] = (0, 0)


@dataclass(frozen=True, slots=True)
class DiagramPath:
    """A polyline through `points`, each (x, y) in cells; horizontal, vertical or diagonal segments.

    An arrow end has its tip at that end point, pointing along the last (or first) segment.
    """

    points: tuple[tuple[float, float], ...]
    start_arrow: bool
    end_arrow: bool
    dashed: bool


@dataclass(frozen=True, slots=True)
class DiagramLabel:
    """A run of words starting in cell (row, column); `width_cells` counts wide characters as two."""

    row: int
    column: int
    text: str
    width_cells: int


@dataclass(frozen=True, slots=True)
class DiagramDrawing:
    """Boxes, lines and labels recognised in a text diagram of `rows` lines and `columns` cells."""

    boxes: tuple[DiagramBox, ...]
    paths: tuple[DiagramPath, ...]
    labels: tuple[DiagramLabel, ...]
    rows: int
    columns: int


@dataclass(frozen=True, slots=True)
class Diagram:
    """A text diagram kept on an exact character grid.

    `columns` is the widest line in display cells (East Asian wide characters
    take two); backends size the font so that many cells fit the text width.
    `drawing` is the recognised picture when the text converts to vector graphics
    (it redraws to the same characters); None keeps the exact monospace grid.
    """

    lines: tuple[str, ...]
    columns: int
    info: str
    line: int
    drawing: DiagramDrawing | None = None


@dataclass(frozen=True, slots=True)
class ListItem:
    children: tuple[Block, ...]
    checked: bool | None  # None: not a task item
    line: int


@dataclass(frozen=True, slots=True)
class BulletList:
    items: tuple[ListItem, ...]
    tight: bool
    line: int


@dataclass(frozen=True, slots=True)
class OrderedList:
    items: tuple[ListItem, ...]
    start: int
    tight: bool
    line: int


@dataclass(frozen=True, slots=True)
class DefinitionItem:
    """A term and its definitions: `Term` then `: definition` lines in Markdown, or raw `<dt>`/`<dd>`."""

    term: tuple[Inline, ...]
    definitions: tuple[tuple[Block, ...], ...]  # one tuple of blocks per definition


@dataclass(frozen=True, slots=True)
class DefinitionList:
    """Terms with their definitions (HTML `<dl>`)."""

    items: tuple[DefinitionItem, ...]
    line: int


@dataclass(frozen=True, slots=True)
class TableCell:
    """One position of a table's grid. A cell spanning several columns or rows sits at its top left
    position, and the positions it covers hold `covered` cells, so every row keeps one cell per column.

    A cell holds inlines, or, from a raw HTML `<td>`, blocks (paragraphs, code, lists): then `children` is
    empty and `blocks` holds them.
    """

    children: tuple[Inline, ...]
    blocks: tuple[Block, ...] = shown_when_set(())
    column_span: int = shown_when_set(1)
    row_span: int = shown_when_set(1)
    covered: bool = shown_when_set(False)  # part of another cell's span: empty, and not drawn
    alignment: Alignment = shown_when_set("default")  # the cell's own, over its column's


@dataclass(frozen=True, slots=True)
class Table:
    header: tuple[TableCell, ...]
    rows: tuple[tuple[TableCell, ...], ...]  # every row has len(header) cells
    alignments: tuple[Alignment, ...]
    # Layout (enrich/tables.py): each column gets its minimum (em of the table text, cell padding included),
    # then its weight's share of the width left over; weights sum to 1.
    column_weights: tuple[float, ...]
    line: int
    fit: TableFit = "normal"
    column_minimums: tuple[float, ...] = ()
    breaks: TableBreaks = shown_when_set("words")
    # How many rows, `header` first, are heading rows: 0 when a raw HTML table has none, more for a multi-row head.
    header_rows: int = shown_when_set(1)
    # In a comparison, one per row of `rows` and one per column: whether it is in both versions, or only in one.
    row_changes: tuple[RowChange, ...] = shown_when_set(())
    column_changes: tuple[RowChange, ...] = shown_when_set(())
    # The source line of each row, `header` first (len(rows) + 1 of them), for anchors back to the source; () when
    # unknown (the rows' lines are then taken to be the table's).
    row_lines: tuple[int, ...] = shown_when_set(())


@dataclass(frozen=True, slots=True)
class BlockQuote:
    children: tuple[Block, ...]
    line: int


@dataclass(frozen=True, slots=True)
class Callout:
    """A GitHub-style alert: `> [!NOTE]`, `> [!WARNING]` and the like."""

    kind: CalloutKind
    children: tuple[Block, ...]
    line: int


@dataclass(frozen=True, slots=True)
class ThematicBreak:
    line: int


@dataclass(frozen=True, slots=True)
class Details:
    """A collapsible section from raw `<details>`; printed outputs show it open."""

    summary: tuple[Inline, ...]
    children: tuple[Block, ...]
    line: int


@dataclass(frozen=True, slots=True)
class Revised:
    """Blocks a comparison of two versions changed (exporter.compare), drawn with a change bar beside them.

    `id` is the anchor the summary of changes links to. `line` is the new version's line, the old version's for
    deleted and moved-from blocks."""

    kind: BlockChange
    id: str
    children: tuple[Block, ...]
    line: int


Block: TypeAlias = (
    Heading
    | Paragraph
    | CodeBlock
    | MathBlock
    | Diagram
    | BulletList
    | OrderedList
    | DefinitionList
    | Table
    | BlockQuote
    | Callout
    | ThematicBreak
    | Details
    | Revised
)  # fmt: skip

# ---------------------------------------------------------------- document


@dataclass(frozen=True, slots=True)
class Footnote:
    number: int  # 1-based, in order of first reference
    label: str
    children: tuple[Block, ...]
    line: int


@dataclass(frozen=True, slots=True)
class MetadataField:
    key: str  # as written, e.g. "Last Updated"
    value: tuple[Inline, ...]
    text: str  # value as plain text
    line: int


@dataclass(frozen=True, slots=True)
class TocEntry:
    level: int
    id: str
    text: str
    number: str
    children: tuple[TocEntry, ...]


SectionChangeKind: TypeAlias = Literal["added", "removed", "changed", "moved", "renamed"]


@dataclass(frozen=True, slots=True)
class SectionChange:
    """One section in a summary of changes. `target` is the id of its first change (a Revised block), for links.
    `old_title` is the title the old version gave it (renamed sections); `changes` counts its changed blocks."""

    kind: SectionChangeKind
    title: str
    target: str
    changes: int
    old_title: str = ""


@dataclass(frozen=True, slots=True)
class MetadataChange:
    """A metadata value (Status, Last Updated, ...) the two versions give differently; "" when one has none."""

    key: str
    old: str
    new: str


@dataclass(frozen=True, slots=True)
class ChangeSummary:
    """What a comparison found, shown above the document (and never itself a tracked change).

    `since` names the old version as the user gave it ("v1.2", "HEAD~3", "old.md"); `author` and `date` (ISO 8601,
    UTC) sign the tracked changes of Word files."""

    since: str
    author: str
    date: str
    sections: tuple[SectionChange, ...]
    metadata: tuple[MetadataChange, ...]
    changes_only: bool = False  # the sections without changes were left out


@dataclass(frozen=True, slots=True)
class Document:
    source: str  # file name used in diagnostics
    title: str  # plain text; empty when the document has none
    metadata: tuple[MetadataField, ...]
    blocks: tuple[Block, ...]
    footnotes: tuple[Footnote, ...]
    toc: tuple[TocEntry, ...]
    language: str = "en"  # BCP 47 tag of the prose, such as "en", "ja" or "zh-Hans" (Chinese by script)
    changes: ChangeSummary | None = shown_when_set(None)  # a comparison of two versions (exporter.compare)

    def metadata_value(self, key: str) -> str:
        """The plain-text value of a metadata key (case-insensitive), or ""."""
        wanted = key.casefold()
        for item in self.metadata:
            if item.key.casefold() == wanted:
                return item.text
        return ""


Node: TypeAlias = Inline | Block | ListItem | DefinitionItem | TableCell | Footnote | MetadataField | TocEntry


def inline_children(node: Inline) -> tuple[Inline, ...]:
    """The inlines a container wraps; empty for a leaf."""
    match node:
        case (
            Emphasis(children=children)
            | Strong(children=children)
            | Strikethrough(children=children)
            | Superscript(children=children)
            | Subscript(children=children)
            | Keyboard(children=children)
            | Styled(children=children)
            | Link(children=children)
            | Changed(children=children)
            | Reformatted(children=children)
        ):
            return children
        case Text() | InlineCode() | Image() | FootnoteRef() | Anchor() | Math() | SoftBreak() | HardBreak():
            return ()
        case _:
            assert_never(node)


def walk_inlines(inlines: tuple[Inline, ...]) -> Iterator[Inline]:
    """Every inline, each container before what it wraps."""
    for node in inlines:
        yield node
        yield from walk_inlines(inline_children(node))


def block_children(block: Block) -> tuple[Block, ...]:
    """The blocks a container holds, list items' contents included; empty for a leaf."""
    match block:
        case (
            BlockQuote(children=children)
            | Callout(children=children)
            | Details(children=children)
            | Revised(children=children)
        ):
            return children
        case BulletList(items=items) | OrderedList(items=items):
            return tuple(child for item in items for child in item.children)
        case DefinitionList(items=definition_items):
            return tuple(block for item in definition_items for blocks in item.definitions for block in blocks)
        case Table(header=header, rows=rows):
            return tuple(block for row in (header, *rows) for cell in row for block in cell.blocks)
        case Heading() | Paragraph() | CodeBlock() | MathBlock() | Diagram() | ThematicBreak():
            return ()
        case _:
            assert_never(block)


def walk_blocks(blocks: tuple[Block, ...]) -> Iterator[Block]:
    """Every block in document order, each container before what it holds."""
    for block in blocks:
        yield block
        yield from walk_blocks(block_children(block))


def block_inlines(block: Block) -> tuple[Inline, ...]:
    """The inlines a block holds itself (not those of the blocks inside it)."""
    match block:
        case Heading(children=children) | Paragraph(children=children):
            return children
        case Details(summary=summary):
            return summary
        case Table(header=header, rows=rows):
            return tuple(node for row in (header, *rows) for cell in row for node in cell.children)
        case DefinitionList(items=items):
            return tuple(node for item in items for node in item.term)
        case CodeBlock() | MathBlock() | Diagram() | BulletList() | OrderedList() | BlockQuote() | Callout():
            return ()
        case Revised():
            return ()
        case ThematicBreak():
            return ()
        case _:
            assert_never(block)


def plain_text(inlines: tuple[Inline, ...]) -> str:
    """The text a reader sees, with breaks as spaces."""
    parts: list[str] = []
    for node in inlines:
        match node:
            case Text(text=text) | InlineCode(text=text) | Math(tex=text):
                parts.append(text)
            case Image(alt=alt):
                parts.append(alt)
            case SoftBreak() | HardBreak():
                parts.append(" ")
            case _:
                # containers give their text; footnote marks and anchors give none (titles, ids, TOC entries)
                parts.append(plain_text(inline_children(node)))
    return "".join(parts)


def dump(value: object, indent: int = 0) -> str:
    """A readable, stable outline of a node or document, for golden tests."""
    pad = "  " * indent
    if not is_dataclass(value) or isinstance(value, type):
        return f"{pad}{value!r}\n"
    scalars: list[str] = []
    nested: list[tuple[str, tuple[object, ...]]] = []
    for spec in fields(value):
        item = getattr(value, spec.name)
        if spec.metadata.get(_WHEN_SET) and item == spec.default:
            continue
        if isinstance(item, tuple) and item and (is_dataclass(item[0]) or isinstance(item[0], tuple)):
            nested.append((spec.name, item))
        else:
            scalars.append(f"{spec.name}={item!r}")
    out = f"{pad}{type(value).__name__} {' '.join(scalars)}".rstrip() + "\n"
    for name, items in nested:
        out += f"{pad}  .{name}\n"
        for item in items:
            if isinstance(item, tuple):
                label = "definition" if name == "definitions" else "row"
                out += f"{pad}    {label}\n" + "".join(dump(cell, indent + 3) for cell in item)
            else:
                out += dump(item, indent + 2)
    return out
