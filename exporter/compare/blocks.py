"""Blocks of two versions: paired by kind and similarity (see align.py), then each pair compared by what it is.

A pair that differs becomes Revised("changed") around the new block with the differences inside (Changed words,
row or line changes); a block only one version has becomes Revised("inserted"/"deleted"). Containers (lists,
quotes, callouts, details) are compared inside, so the marks sit on the blocks that changed. Objects that can't be
compared in parts (diagrams, math, images alone in a paragraph, definition lists) are shown twice when changed:
the old one deleted, the new one inserted. Revised ids are given later, over the whole document (documents.py).
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import replace
from difflib import SequenceMatcher
from typing import assert_never

from exporter.compare.align import ALIKE, align
from exporter.compare.code import compare_code
from exporter.compare.lines import without_lines
from exporter.compare.tables import compare_tables
from exporter.compare.words import Token, compare_inlines, keys_similarity, tokens, word_keys, word_similarity
from exporter.model.tree import (
    Block,
    BlockChange,
    BlockQuote,
    BulletList,
    Callout,
    CodeBlock,
    DefinitionList,
    Details,
    Diagram,
    Heading,
    Image,
    Inline,
    ListItem,
    MathBlock,
    OrderedList,
    Paragraph,
    Revised,
    Table,
    Text,
    ThematicBreak,
    block_inlines,
    walk_blocks,
)


def revised(kind: BlockChange, blocks: tuple[Block, ...], line: int) -> Revised:
    """A change mark around `blocks`; its id is given once the whole document is merged."""
    return Revised(kind, "", blocks, line)


def compare_blocks(old: tuple[Block, ...], new: tuple[Block, ...]) -> tuple[Block, ...]:
    """Both versions' blocks in one sequence."""
    merged: list[Block] = []
    for old_block, new_block in align(old, new, _same_key, _Similarity()):
        if old_block is None and new_block is not None:
            merged.append(revised("inserted", (new_block,), new_block.line))
        elif new_block is None and old_block is not None:
            merged.append(revised("deleted", (old_block,), old_block.line))
        elif old_block is not None and new_block is not None:
            merged.extend(compare_pair(old_block, new_block))
    return tuple(merged)


def replaced(old: Block, new: Block) -> tuple[Block, ...]:
    """A block compared as a whole object: the old one deleted, then the new one inserted."""
    return (revised("deleted", (old,), old.line), revised("inserted", (new,), new.line))


def compare_pair(old: Block, new: Block) -> tuple[Block, ...]:
    """Two blocks `align` paired (same kind): the new one as is when they are the same, else their differences."""
    if without_lines(old) == without_lines(new):
        return (new,)
    match old, new:
        case Paragraph(), Paragraph():
            if _image_alone(old) or _image_alone(new) or old.alignment != new.alignment:
                return replaced(old, new)
            return _compare_text_block(old, new, old.children, new.children)
        case Heading(), Heading() if old.level == new.level:
            return _compare_text_block(old, new, old.children, new.children)
        case CodeBlock(), CodeBlock():
            return compare_code(old, new)
        case Table(), Table():
            return compare_tables(old, new)
        case BulletList(), BulletList() if old.tight == new.tight:
            return (replace(new, items=_compare_items(old.items, new.items)),)
        case OrderedList(), OrderedList() if (old.tight, old.start) == (new.tight, new.start):
            return (replace(new, items=_compare_items(old.items, new.items)),)
        case BlockQuote(), BlockQuote():
            return (replace(new, children=compare_blocks(old.children, new.children)),)
        case Callout(), Callout() if old.kind == new.kind:
            return (replace(new, children=compare_blocks(old.children, new.children)),)
        case Details(), Details():
            inside = replace(new, children=compare_blocks(old.children, new.children))
            if old.summary == new.summary:
                return (inside,)
            summary, _ = compare_inlines(old.summary, new.summary)
            return (revised("changed", (replace(inside, summary=summary),), new.line),)
        case _:
            # another level, start, kind or layout is no edit of the words: the whole object, old and new
            return replaced(old, new)


def _compare_text_block(
    old: Paragraph | Heading, new: Paragraph | Heading, old_words: tuple[Inline, ...], new_words: tuple[Inline, ...]
) -> tuple[Block, ...]:
    children, changed = compare_inlines(old_words, new_words)
    if not changed:
        return (new,)
    return (revised("changed", (replace(new, children=children),), new.line),)


class _Similarity:
    """`block_similarity` with each block's words found once (a run of differing blocks compares each old block
    with every new one)."""

    def __init__(self) -> None:
        self._words: dict[int, list[object]] = {}

    def __call__(self, old: Block, new: Block) -> float:
        if type(old) is not type(new):
            return 0.0
        if isinstance(old, CodeBlock | Diagram | MathBlock):
            return block_similarity(old, new)
        return keys_similarity(self._keys(old), self._keys(new), ALIKE)

    def _keys(self, block: Block) -> list[object]:
        found = self._words.get(id(block))
        if found is None:
            found = self._words[id(block)] = word_keys(block_tokens(block))
        return found


def block_similarity(old: Block, new: Block) -> float:
    """How alike two blocks are, 0 to 1; blocks of different kinds are not alike at all."""
    if type(old) is not type(new):
        return 0.0
    match old, new:
        case CodeBlock(), CodeBlock():
            return _lines_similarity(old.text.split("\n"), new.text.split("\n"))
        case Diagram(), Diagram():
            return _lines_similarity(list(old.lines), list(new.lines))
        case MathBlock(), MathBlock():
            return 1.0 if old.tex == new.tex else 0.5
        case _:
            return word_similarity(block_tokens(old), block_tokens(new))


def block_tokens(block: Block) -> list[Token]:
    """The words of a block and of every block inside it."""
    found: list[Token] = []
    for inner in walk_blocks((block,)):
        found.extend(tokens(block_inlines(inner)))
        found.append(Token(("break",), (), Text("\n")))  # a space: no word two blocks share
    return found


def blocks_tokens(blocks: tuple[Block, ...]) -> list[Token]:
    return [token for block in blocks for token in block_tokens(block)]


def _same_key(block: Block) -> Hashable:
    return without_lines(block)


def _lines_similarity(old: list[str], new: list[str]) -> float:
    return SequenceMatcher(None, old, new, autojunk=False).ratio()


def _image_alone(block: Paragraph) -> bool:
    visible = [node for node in block.children if not (isinstance(node, Text) and not node.text.strip())]
    return len(visible) == 1 and isinstance(visible[0], Image)


def _compare_items(old: tuple[ListItem, ...], new: tuple[ListItem, ...]) -> tuple[ListItem, ...]:
    merged: list[ListItem] = []
    for old_item, new_item in align(old, new, without_lines, _item_similarity):
        if old_item is not None and new_item is not None and old_item.checked == new_item.checked:
            children = compare_blocks(old_item.children, new_item.children)
            merged.append(replace(new_item, children=children))
            continue
        if old_item is not None:
            merged.append(_whole_item("deleted", old_item))
        if new_item is not None:
            merged.append(_whole_item("inserted", new_item))
    return tuple(merged)


def _whole_item(kind: BlockChange, item: ListItem) -> ListItem:
    """A list item only one version has: its content marked, so that accepting or rejecting empties it (and an
    empty item is then dropped, see resolve.py)."""
    return replace(item, children=(revised(kind, item.children, item.line),))


def _item_similarity(old: ListItem, new: ListItem) -> float:
    return word_similarity(blocks_tokens(old.children), blocks_tokens(new.children), ALIKE)


def has_changes(blocks: tuple[Block, ...]) -> bool:
    return any(isinstance(block, Revised) for block in walk_blocks(blocks)) or any(
        _marked_leaf(block) for block in walk_blocks(blocks)
    )


def _marked_leaf(block: Block) -> bool:
    match block:
        case Table(row_changes=rows, column_changes=columns):
            return any(rows) or any(columns)
        case CodeBlock(line_changes=changes):
            return any(changes)
        case (
            Heading()
            | Paragraph()
            | MathBlock()
            | Diagram()
            | BulletList()
            | OrderedList()
            | DefinitionList()
            | BlockQuote()
            | Callout()
            | ThematicBreak()
            | Details()
            | Revised()
        ):
            return False
        case _:
            assert_never(block)
