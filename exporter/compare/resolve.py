"""Every change of a merged document accepted (giving the new version) or rejected (giving the old one), as Word's
Accept All and Reject All do; tests check that the two give back the versions compared (up to source lines:
`normalized`).

ACCEPT keeps inserted words, blocks, rows, columns and code lines and drops deleted (and moved-from) ones; REJECT
the mirror, and gives reformatted words their former formatting. What the parser derives from the blocks is then
derived again: heading ids, section numbers, the table of contents, footnote numbers, table layout; the title and
language come from the summary's metadata changes.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Literal, assert_never

from exporter.compare.footnotes import referenced_in_order
from exporter.compare.ids import heading_ids, literal_marks
from exporter.compare.lines import without_lines
from exporter.compare.metadata import LANGUAGE, TITLE, changed_value
from exporter.compare.tables import relaid, unlaid
from exporter.compare.words import canonical, frame_of, wrap
from exporter.enrich.outline import build_toc, number_sections, title_heading
from exporter.model.tree import (
    Anchor,
    Block,
    BlockQuote,
    BulletList,
    Callout,
    Changed,
    CodeBlock,
    DefinitionItem,
    DefinitionList,
    Details,
    Diagram,
    Document,
    Emphasis,
    FootnoteRef,
    HardBreak,
    Heading,
    Image,
    Inline,
    InlineCode,
    Keyboard,
    Link,
    ListItem,
    Math,
    MathBlock,
    MetadataChange,
    MetadataField,
    OrderedList,
    Paragraph,
    Reformatted,
    Revised,
    RowChange,
    SoftBreak,
    Strikethrough,
    Strong,
    Styled,
    Subscript,
    Superscript,
    Table,
    TableCell,
    Text,
    ThematicBreak,
    TocEntry,
    block_inlines,
    plain_text,
    walk_blocks,
    walk_inlines,
)
from exporter.read.markdown import ParseOptions

Side = Literal["new", "old"]
DEFAULT_TOC_DEPTH = ParseOptions().toc_depth
MAX_HEADING_LEVEL = 6
_DROPPED_BLOCKS = {"new": ("deleted", "moved-from"), "old": ("inserted", "moved-to")}
_DROPPED_ROWS: dict[Side, RowChange] = {"new": "deleted", "old": "inserted"}


def accepted(document: Document) -> Document:
    """Every change accepted: the new version."""
    return _resolved(document, "new")


def rejected(document: Document) -> Document:
    """Every change rejected: the old version."""
    return _resolved(document, "old")


def normalized(document: Document) -> Document:
    """The document with every source line zeroed, so that two trees of the same text at other lines are equal."""
    return without_lines(document)


def _resolved(document: Document, side: Side) -> Document:
    changes = document.changes.metadata if document.changes is not None else ()
    blocks = _blocks(document.blocks, side)
    notes = tuple(replace(note, children=_blocks(note.children, side)) for note in document.footnotes)
    blocks, notes = referenced_in_order(blocks, notes)
    literal = {
        block.id: literal_marks(plain_text(_inlines(block.children, "new")), block.id, document.language)
        for block in walk_blocks(document.blocks)
        if isinstance(block, Heading) and _marked(block.children)
    }
    anchors = (*blocks, *(block for note in notes for block in note.children))
    blocks = heading_ids(blocks, anchors, document.language, literal)
    title = _document_value(changes, TITLE, side, document.title)
    if any(isinstance(block, Heading) and block.number for block in walk_blocks(document.blocks)):
        blocks = number_sections(blocks, title_heading(blocks, title))
    return replace(
        document,
        title=title,
        language=_document_value(changes, LANGUAGE, side, document.language),
        metadata=_metadata(document.metadata, changes, side),
        blocks=relaid(blocks),
        footnotes=tuple(replace(note, children=relaid(note.children)) for note in notes),
        toc=build_toc(blocks, _toc_depth(document), title_heading(blocks, title)),
        changes=None,
    )


def _value(changes: tuple[MetadataChange, ...], key: str, side: Side, current: str) -> str:
    found = changed_value(changes, key, new=side == "new")
    return current if found is None else found


def _document_value(changes: tuple[MetadataChange, ...], key: str, side: Side, current: str) -> str:
    """The title or language of one version: the merged document has the new one; a change of it gives the old one.
    A front matter field may have the same key: the change that is the document's has its new value."""
    for change in changes:
        if change.key.casefold() == key.casefold() and change.new == current:
            return change.new if side == "new" else change.old
    return current


def _toc_depth(document: Document) -> int:
    """The depth the table of contents was made for, as far as the new version shows it: at least its deepest
    entry, less than its shallowest heading left out; the parser's default when that allows it."""
    entries: list[TocEntry] = []
    pending = list(document.toc)
    while pending:
        entry = pending.pop()
        entries.append(entry)
        pending.extend(entry.children)
    listed = {entry.id for entry in entries}
    new_blocks = _blocks(document.blocks, "new")
    title = title_heading(new_blocks, document.title)
    left_out = [
        block.level
        for block in new_blocks  # the contents lists top-level headings only
        if isinstance(block, Heading) and block is not title and block.id not in listed
    ]
    lowest = max((entry.level for entry in entries), default=0)
    highest = min(left_out, default=MAX_HEADING_LEVEL + 1) - 1
    return max(lowest, min(DEFAULT_TOC_DEPTH, highest))


def _metadata(
    fields: tuple[MetadataField, ...], changes: tuple[MetadataChange, ...], side: Side
) -> tuple[MetadataField, ...]:
    kept: list[MetadataField] = []
    for item in fields:
        value = _inlines(item.value, side)
        if item.value and not value:
            continue  # a key only the other version has
        text = _value(changes, item.key, side, item.text)
        kept.append(replace(item, value=value, text=text))
    return tuple(kept)


def _blocks(blocks: tuple[Block, ...], side: Side) -> tuple[Block, ...]:
    kept: list[Block] = []
    for block in blocks:
        if isinstance(block, Revised):
            if block.kind not in _DROPPED_BLOCKS[side]:
                kept.extend(_blocks(block.children, side))
        else:
            kept.append(_block(block, side))
    return tuple(kept)


def _block(block: Block, side: Side) -> Block:
    match block:
        case Heading() | Paragraph():
            return replace(block, children=_inlines(block.children, side))
        case CodeBlock(line_changes=changes) if changes:
            lines = block.text.split("\n")
            kept = [line for line, change in zip(lines, changes, strict=True) if change != _DROPPED_ROWS[side]]
            return replace(block, text="\n".join(kept), line_changes=())
        case Table():
            return _table(block, side)
        case BulletList() | OrderedList():
            return replace(block, items=tuple(_items(block.items, side)))
        case BlockQuote() | Callout():
            return replace(block, children=_blocks(block.children, side))
        case Details():
            return replace(block, summary=_inlines(block.summary, side), children=_blocks(block.children, side))
        case DefinitionList():
            return replace(block, items=tuple(_definition(item, side) for item in block.items))
        case CodeBlock() | MathBlock() | Diagram() | ThematicBreak():
            return block
        case Revised():
            raise ValueError("a Revised is resolved by _blocks")
        case _:
            assert_never(block)


def _items(items: tuple[ListItem, ...], side: Side) -> list[ListItem]:
    kept: list[ListItem] = []
    for item in items:
        children = _blocks(item.children, side)
        if item.children and not children:
            continue  # an item only the other version has
        kept.append(replace(item, children=children))
    return kept


def _definition(item: DefinitionItem, side: Side) -> DefinitionItem:
    return replace(
        item,
        term=_inlines(item.term, side),
        definitions=tuple(_blocks(blocks, side) for blocks in item.definitions),
    )


def _table(table: Table, side: Side) -> Table:
    marked = bool(table.row_changes or table.column_changes) or any(
        isinstance(node, Changed | Reformatted) for node in walk_inlines(block_inlines(table))
    )
    if not marked:
        return table
    dropped = _DROPPED_ROWS[side]
    columns = [
        index for index, change in enumerate(table.column_changes or ("",) * len(table.header)) if change != dropped
    ]
    rows = [index for index, change in enumerate(table.row_changes or ("",) * len(table.rows)) if change != dropped]

    def row(cells: tuple[TableCell, ...]) -> tuple[TableCell, ...]:
        return tuple(replace(cells[index], children=_inlines(cells[index].children, side)) for index in columns)

    return unlaid(
        replace(
            table,
            header=row(table.header),
            rows=tuple(row(table.rows[index]) for index in rows),
            alignments=tuple(table.alignments[index] for index in columns),
            row_changes=(),
            column_changes=(),
            row_lines=(table.row_lines[0], *(table.row_lines[index + 1] for index in rows)) if table.row_lines else (),
        )
    )


def _marked(inlines: tuple[Inline, ...]) -> bool:
    return any(isinstance(node, Changed | Reformatted) for node in walk_inlines(inlines))


def _inlines(inlines: tuple[Inline, ...], side: Side) -> tuple[Inline, ...]:
    if not _marked(inlines):
        return inlines
    return canonical(tuple(_resolved_inlines(inlines, side)))


def _resolved_inlines(inlines: tuple[Inline, ...], side: Side) -> list[Inline]:
    kept: list[Inline] = []
    for node in inlines:
        match node:
            case Changed(kind=kind, children=children):
                if (kind == "inserted") == (side == "new"):
                    kept.extend(_resolved_inlines(children, side))
            case Reformatted(formerly=formerly, children=children):
                if side == "new":
                    kept.extend(_resolved_inlines(children, side))
                else:
                    plain: tuple[Inline, ...] = tuple(_unformatted(children))
                    for name in reversed(formerly):
                        # Code is a leaf, not a container: the words it held become its text.
                        plain = (InlineCode(plain_text(plain)),) if name == "code" else (wrap((name,), plain),)
                    kept.extend(plain)
            case Emphasis() | Strong() | Strikethrough() | Superscript() | Subscript() | Keyboard() | Styled():
                kept.append(wrap(frame_of(node), tuple(_resolved_inlines(node.children, side))))
            case Link():
                kept.append(replace(node, children=tuple(_resolved_inlines(node.children, side))))
            case Text() | InlineCode() | Image() | FootnoteRef() | Anchor() | Math() | SoftBreak() | HardBreak():
                kept.append(node)
            case _:
                assert_never(node)
    return kept


def _unformatted(inlines: tuple[Inline, ...]) -> list[Inline]:
    """The leaves of reformatted words without their (new) formatting containers."""
    plain: list[Inline] = []
    for node in inlines:
        if isinstance(node, Emphasis | Strong | Strikethrough | Superscript | Subscript | Keyboard):
            plain.extend(_unformatted(node.children))
        elif isinstance(node, InlineCode):  # code is formatting too: its words were plain text, or otherwise
            plain.append(Text(node.text))
        else:
            plain.append(node)
    return plain
