"""Ids in a merged document: each Revised gets "change-1", "change-2", ... in document order, skipping any id a
heading or anchor holds; a heading only the old version has (deleted, moved from) whose id the new version uses
again gets a fresh one, so that every id stays unique. Accepting or rejecting the changes gives every heading its
id again (`heading_ids`), as the parser gives them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from functools import cache

from exporter.enrich.outline import IdRegistry, map_block_tree, slugify
from exporter.enrich.typography import ELLIPSIS, EM_DASH, EN_DASH, QUOTE_PLACEHOLDERS, TYPED, quote_marks
from exporter.model.tree import (
    Anchor,
    Block,
    Heading,
    Revised,
    block_children,
    block_inlines,
    plain_text,
    walk_blocks,
    walk_inlines,
)

_OLD_ONLY = ("deleted", "moved-from")


@dataclass(slots=True)
class ChangeIds:
    """Hands out the ids; make one per document, then `number` every stretch of blocks in document order."""

    registry: IdRegistry = field(default_factory=IdRegistry)
    count: int = 0

    @classmethod
    def for_blocks(cls, blocks: tuple[Block, ...]) -> ChangeIds:
        ids = cls()
        old_only = {id(heading) for heading in _old_only_headings(blocks)}
        for block in walk_blocks(blocks):
            if isinstance(block, Heading) and id(block) not in old_only:
                ids.registry.reserve(block.id)
            for node in walk_inlines(block_inlines(block)):
                if isinstance(node, Anchor):
                    ids.registry.reserve(node.id)
        return ids

    def number(self, blocks: tuple[Block, ...]) -> tuple[Block, ...]:
        old_only = {id(heading) for heading in _old_only_headings(blocks)}

        def identified(block: Block) -> Block:
            if isinstance(block, Revised):
                return replace(block, id=self._next_change())
            if isinstance(block, Heading) and id(block) in old_only:
                return replace(block, id=self.registry.unique(block.id))
            return block

        return map_block_tree(blocks, identified)

    def _next_change(self) -> str:
        while True:
            self.count += 1
            candidate = f"change-{self.count}"
            if candidate not in self.registry.taken:
                self.registry.reserve(candidate)
                return candidate


def _old_only_headings(blocks: tuple[Block, ...], inside: bool = False) -> Iterator[Heading]:
    for block in blocks:
        now = inside or (isinstance(block, Revised) and block.kind in _OLD_ONLY)
        if isinstance(block, Heading) and now:
            yield block
        yield from _old_only_headings(block_children(block), now)


def heading_ids(
    blocks: tuple[Block, ...], anchors: tuple[Block, ...], language: str, literal: dict[str, bool]
) -> tuple[Block, ...]:
    """Every heading's id given again, in document order, unique against each other and the anchors in `anchors`
    (the parser's way: GitHub's slug of the heading as typed, then `-1`, `-2` for repeats).

    The parser makes a slug before it sets typographic marks, so the text as typed is guessed back: each mark of
    `language` as the characters typed for it. A mark typed as such (a literal em dash) was not typed otherwise:
    so the guess is checked against the heading's current id, the slug of one version's text, and the text as it
    stands is taken when that fits instead. For a heading whose words changed, `literal` (by current id) tells
    which way the other version's text fits (`literal_marks`)."""
    registry = IdRegistry()
    for block in walk_blocks(anchors):
        for node in walk_inlines(block_inlines(block)):
            if isinstance(node, Anchor):
                registry.reserve(node.id)

    def identified(block: Block) -> Block:
        if not isinstance(block, Heading):
            return block
        text = plain_text(block.children)
        typed, as_is = slugify(_as_typed(text, language)), slugify(text)
        if _fits(typed, block.id):
            base = typed
        elif _fits(as_is, block.id) or literal.get(block.id, False):
            base = as_is
        else:
            base = typed
        return replace(block, id=registry.unique(base))

    return map_block_tree(blocks, identified)


def literal_marks(text: str, current: str, language: str) -> bool:
    """Whether `current` is the slug of `text` with its typographic marks as they stand (typed so), rather than
    as the characters typed for them."""
    return not _fits(slugify(_as_typed(text, language)), current) and _fits(slugify(text), current)


def _fits(base: str, current: str) -> bool:
    rest = current.removeprefix(base)
    return rest == "" or (rest.startswith("-") and rest[1:].isdigit())


def _as_typed(text: str, language: str) -> str:
    for mark, typed in _typed_marks(language):
        text = text.replace(mark, typed)
    return text


@cache
def _typed_marks(language: str) -> tuple[tuple[str, str], ...]:
    """The language's typographic marks and what was typed for each, longest mark first."""
    marks = dict(zip(quote_marks(language), (TYPED[mark] for mark in QUOTE_PLACEHOLDERS), strict=True))
    marks |= {"\u2013": TYPED[EN_DASH], "\u2014": TYPED[EM_DASH], "\u2026": TYPED[ELLIPSIS]}
    return tuple(sorted(marks.items(), key=lambda item: -len(item[0])))
