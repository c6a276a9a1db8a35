"""Shared decisions about a document's outline: heading ids, section numbers, table of contents."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import PurePath
from typing import TypeVar, assert_never
from urllib.parse import unquote

from exporter.enrich.typography import as_typed
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
    Emphasis,
    FootnoteRef,
    HardBreak,
    Heading,
    Image,
    Inline,
    InlineCode,
    Keyboard,
    Link,
    Math,
    MathBlock,
    OrderedList,
    Paragraph,
    Reformatted,
    Revised,
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

# Ids the backends use for their own parts; headings never take them.
RESERVED_IDS = frozenset({"toc", "contents", "footnotes", "document-control", "title-page"})
FOOTNOTE_ID = re.compile(r"^fn(ref)?-\d+(-\d+)?$")  # the backends' ids for footnotes and their marks
_NOT_SLUG = re.compile(r"[^\w\- ]")


def slugify(text: str) -> str:
    """GitHub-style slug: lower case, punctuation dropped, spaces to hyphens."""
    normalized = unicodedata.normalize("NFKC", text).strip().lower()
    slug = _NOT_SLUG.sub("", normalized).replace(" ", "-")
    return slug or "section"


@dataclass
class IdRegistry:
    """Hands out unique ids, as GitHub does: `a`, `a-1`, `a-2`."""

    taken: set[str] = field(default_factory=lambda: set(RESERVED_IDS))

    def reserve(self, identifier: str) -> None:
        self.taken.add(identifier)

    def unique(self, base: str) -> str:
        candidate = base
        counter = 0
        while candidate in self.taken or FOOTNOTE_ID.match(candidate):
            counter += 1
            candidate = f"{base}-{counter}"
        self.taken.add(candidate)
        return candidate


def footnote_id(number: int) -> str:
    """The id of a footnote's text, which its references link to."""
    return f"fn-{number}"


def footnote_ref_id(number: int, occurrence: int = 1) -> str:
    """The id of a footnote's `occurrence`-th reference, which the note links back to."""
    return f"fnref-{number}" if occurrence == 1 else f"fnref-{number}-{occurrence}"


def iter_headings(blocks: tuple[Block, ...]) -> list[Heading]:
    """Every heading in document order, wherever it sits: in quotes, callouts, details and list items."""
    return [block for block in walk_blocks(blocks) if isinstance(block, Heading)]


def assign_heading_ids(blocks: tuple[Block, ...], ids: IdRegistry) -> tuple[Block, ...]:
    """Gives every heading, wherever it sits, a unique slug id in document order."""
    return map_block_tree(
        blocks,
        lambda block: (
            replace(block, id=ids.unique(slugify(as_typed(plain_text(block.children)))))
            if isinstance(block, Heading)
            else block
        ),
    )


def map_block_tree(blocks: tuple[Block, ...], change: Callable[[Block], Block]) -> tuple[Block, ...]:
    """The blocks with `change` applied to every block at any depth, in the order of `walk_blocks`
    (each container before what it holds); a container is changed with its new contents in place."""
    changed: list[Block] = []
    for original in blocks:
        # The container first, so that `change` sees blocks in document order, then what it holds.
        block = change(original)
        match block:
            case BulletList() | OrderedList():
                items = tuple(_with(item, children=map_block_tree(item.children, change)) for item in block.items)
                block = _with(block, items=_same_items(block.items, items))
            case BlockQuote() | Callout() | Details() | Revised():
                block = _with(block, children=map_block_tree(block.children, change))
            case DefinitionList():
                definition_items = tuple(_map_definition_blocks(item, change) for item in block.items)
                block = _with(block, items=_same_items(block.items, definition_items))
            case Table(header=header, rows=rows):

                def mapped(cell: TableCell) -> TableCell:
                    return _with(cell, blocks=map_block_tree(cell.blocks, change)) if cell.blocks else cell

                new_rows = tuple(_same_items(row, tuple(map(mapped, row))) for row in rows)
                block = _with(
                    block, header=_same_items(header, tuple(map(mapped, header))), rows=_same_items(rows, new_rows)
                )
            case Heading() | Paragraph() | CodeBlock() | MathBlock() | Diagram() | ThematicBreak():
                pass
            case _:
                assert_never(block)
        changed.append(block)
    return _same_items(blocks, tuple(changed))


def _map_definition_blocks(item: DefinitionItem, change: Callable[[Block], Block]) -> DefinitionItem:
    definitions = tuple(map_block_tree(blocks, change) for blocks in item.definitions)
    return _with(item, definitions=_same_items(item.definitions, definitions))


def title_heading(blocks: tuple[Block, ...], title: str) -> Heading | None:
    """The heading drawn as the title block, out of the body and the contents: the first block, when it is a
    heading that reads as the document's `title` (see document_title), at any level: a document that opens with
    `## Name` is titled by it as one that opens with `# Name` is."""
    if blocks and isinstance(blocks[0], Heading) and _same_words(plain_text(blocks[0].children), title):
        return blocks[0]
    return None


def _same_words(first: str, second: str) -> bool:
    """Whether two texts have the same letters and digits: quotes, dashes and spacing may differ (a front matter
    title is typed plainly, the heading it repeats is set with typographic marks)."""
    letters = _letters(first)
    return bool(letters) and letters == _letters(second)


def _letters(text: str) -> str:
    return "".join(char for char in text.casefold() if char.isalnum())


def document_title(blocks: tuple[Block, ...], given: str, source: str) -> str:
    """The document's title: the one `given` (--title, -M title, front matter), else the first H1's, else, when the
    document has no H1, the heading it opens with (a document that starts at `##`), else the file name.

    A document without an H1 whose first heading comes after other content (an RFC opening with a list of
    fields, then `## Summary`) keeps its file name: that heading names a section, not the document."""
    if given.strip():
        return given.strip()
    first_h1 = next(
        (
            text
            for heading in iter_headings(blocks)
            if heading.level == 1 and (text := plain_text(heading.children).strip())
        ),
        "",
    )
    if first_h1:
        return first_h1
    shown = [block for block in blocks if not _only_anchors(block)]
    if shown and isinstance(shown[0], Heading) and (opening := plain_text(shown[0].children).strip()):
        return opening
    return PurePath(source).stem.replace("_", " ")


def _only_anchors(block: Block) -> bool:
    """A paragraph holding nothing a reader sees: raw `<a id>` link targets placed before a heading."""
    return isinstance(block, Paragraph) and all(
        isinstance(child, Anchor | SoftBreak) or (isinstance(child, Text) and not child.text.strip())
        for child in block.children
    )


def number_sections(blocks: tuple[Block, ...], title: Heading | None) -> tuple[Block, ...]:
    """Gives top-level headings numbers like "2.3"; the `title` heading (see title_heading) stays unnumbered."""
    top_headings = [block for block in blocks if isinstance(block, Heading) and block is not title]
    if not top_headings:
        return blocks
    base_level = min(heading.level for heading in top_headings)
    counters = [0] * 7
    numbered: list[Block] = []
    for block in blocks:
        if isinstance(block, Heading) and block is not title:
            depth = block.level - base_level
            counters[depth] += 1
            for deeper in range(depth + 1, 7):
                counters[deeper] = 0
            number = ".".join(str(count) for count in counters[: depth + 1])
            numbered.append(replace(block, number=number))
        else:
            numbered.append(block)
    return tuple(numbered)


@dataclass
class _OpenEntry:
    heading: Heading
    children: list[_OpenEntry]


def build_toc(blocks: tuple[Block, ...], depth: int = 3, title: Heading | None = None) -> tuple[TocEntry, ...]:
    """Nested entries for top-level headings up to `depth`, without the `title` heading (see title_heading)."""
    root: list[_OpenEntry] = []
    stack: list[_OpenEntry] = []
    for block in blocks:
        if not isinstance(block, Heading) or block is title or block.level > depth:
            continue
        while stack and stack[-1].heading.level >= block.level:
            stack.pop()
        entry = _OpenEntry(block, [])
        (stack[-1].children if stack else root).append(entry)
        stack.append(entry)
    return _freeze(root)


def _freeze(entries: list[_OpenEntry]) -> tuple[TocEntry, ...]:
    return tuple(
        TocEntry(
            entry.heading.level,
            entry.heading.id,
            plain_text(entry.heading.children).strip(),
            entry.heading.number,
            _freeze(entry.children),
        )
        for entry in entries
    )


def resolve_fragment_links(blocks: tuple[Block, ...], ids: set[str]) -> tuple[Block, ...]:
    """Points `#Heading`-style links at the id they mean, matching case and slug as GitHub does."""
    by_key: dict[str, str] = {}
    for identifier in sorted(ids):  # sorted: the same choice whatever the hash seed
        by_key.setdefault(identifier.casefold(), identifier)

    def target(link: Link) -> str:
        fragment = link.target[1:]
        if not link.target.startswith("#") or fragment in ids:
            return link.target
        found = by_key.get(fragment.casefold()) or by_key.get(slugify(fragment))
        return f"#{found}" if found else link.target

    def retargeted(node: Inline) -> Inline:
        if isinstance(node, Link) and (resolved := target(node)) != node.target:
            return replace(node, target=resolved)
        return node

    return map_blocks(blocks, retargeted)


def dangling_fragment_links(blocks: tuple[Block, ...], ids: set[str]) -> Iterator[tuple[int, str]]:
    """(line, target) of every `#fragment` link that names no id in the document."""
    for block in walk_blocks(blocks):
        for node in walk_inlines(block_inlines(block)):
            if isinstance(node, Link) and node.target.startswith("#"):
                fragment = unquote(node.target[1:])
                if fragment and fragment not in ids and not FOOTNOTE_ID.match(fragment):
                    yield block.line, node.target


# The two mappers below keep every node, and every tuple of nodes, that `change` leaves as it was: the same
# object, not a copy. Most calls change a handful of nodes in a document of thousands.


def map_inlines(inlines: tuple[Inline, ...], change: Callable[[Inline], Inline]) -> tuple[Inline, ...]:
    """The inlines with `change` applied to every node, innermost first."""
    changed: list[Inline] | None = None
    for index, original in enumerate(inlines):
        node = original
        match node:
            case (
                Emphasis()
                | Strong()
                | Strikethrough()
                | Superscript()
                | Subscript()
                | Keyboard()
                | Styled()
                | Link()
                | Changed()
                | Reformatted()
            ):
                children = map_inlines(node.children, change)
                if children is not node.children:
                    node = replace(node, children=children)
            case Text() | InlineCode() | Image() | FootnoteRef() | Anchor() | Math() | SoftBreak() | HardBreak():
                pass
            case _:
                assert_never(node)
        node = change(node)
        if changed is None and node is not original:
            changed = list(inlines[:index])
        if changed is not None:
            changed.append(node)
    return inlines if changed is None else tuple(changed)


def map_blocks(blocks: tuple[Block, ...], change: Callable[[Inline], Inline]) -> tuple[Block, ...]:
    """The blocks with `change` applied to every inline they hold."""
    changed: list[Block] | None = None
    for index, original in enumerate(blocks):
        block = _map_block(original, change)
        if changed is None and block is not original:
            changed = list(blocks[:index])
        if changed is not None:
            changed.append(block)
    return blocks if changed is None else tuple(changed)


def _map_block(block: Block, change: Callable[[Inline], Inline]) -> Block:
    match block:
        case Heading() | Paragraph():
            return _with(block, children=map_inlines(block.children, change))
        case BulletList() | OrderedList():
            items = _same_items(
                block.items, tuple(_with(item, children=map_blocks(item.children, change)) for item in block.items)
            )
            return _with(block, items=items)
        case BlockQuote() | Callout() | Revised():
            return _with(block, children=map_blocks(block.children, change))
        case DefinitionList():
            definition_items = tuple(
                _with(
                    item,
                    term=map_inlines(item.term, change),
                    definitions=_same_items(
                        item.definitions, tuple(map_blocks(blocks, change) for blocks in item.definitions)
                    ),
                )
                for item in block.items
            )
            return _with(block, items=_same_items(block.items, definition_items))
        case Details():
            return _with(block, summary=map_inlines(block.summary, change), children=map_blocks(block.children, change))
        case Table():

            def mapped(cell: TableCell) -> TableCell:
                blocks = map_blocks(cell.blocks, change) if cell.blocks else cell.blocks
                return _with(cell, children=map_inlines(cell.children, change), blocks=blocks)

            header = _same_items(block.header, tuple(mapped(cell) for cell in block.header))
            rows = tuple(_same_items(row, tuple(mapped(cell) for cell in row)) for row in block.rows)
            return _with(block, header=header, rows=_same_items(block.rows, rows))
        case CodeBlock() | MathBlock() | Diagram() | ThematicBreak():
            return block
        case _:
            assert_never(block)


_Node = TypeVar("_Node")


def _same_items(old: tuple[_Node, ...], new: tuple[_Node, ...]) -> tuple[_Node, ...]:
    """`old` itself when `new` holds the very same objects."""
    return old if all(a is b for a, b in zip(old, new, strict=True)) else new


def _with(node: _Node, **values: object) -> _Node:
    """`node` with these field values; `node` itself when each value already is the one it holds."""
    if all(getattr(node, name) is value for name, value in values.items()):
        return node
    return replace(node, **values)  # type: ignore[type-var]  # only ever called with tree nodes
