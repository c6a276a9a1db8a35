"""Footnotes of two versions, matched by label.

The merged document keeps the new version's footnotes with their numbers, their content compared as blocks where
the old version has the same label (a note only the new version has is wrapped in Revised("inserted")), then the
notes only the old version has, numbered after them and wrapped in Revised("deleted"). The old version's footnote
marks are renumbered to these numbers before the comparison, so a deleted mark still points at a note the merged
document holds: nothing dangles. Marks are compared by label, so renumbering alone is no change.

Accepting or rejecting (resolve.py) keeps the notes the remaining marks refer to and numbers them again in order
of first reference, as the parser does.
"""

from __future__ import annotations

from dataclasses import replace

from exporter.compare.blocks import compare_blocks, revised
from exporter.enrich.outline import map_blocks
from exporter.model.tree import Block, Document, Footnote, FootnoteRef, Inline, block_inlines, walk_blocks, walk_inlines


def merge_footnotes(old: Document, new: Document) -> tuple[Document, tuple[Footnote, ...]]:
    """The old document with its marks numbered as the merged notes are, and the merged notes."""
    numbers = {note.label: note.number for note in new.footnotes}
    only_old = [note for note in old.footnotes if note.label not in numbers]
    for offset, note in enumerate(only_old, start=len(new.footnotes) + 1):
        numbers[note.label] = offset
    renumbered = renumber(old.blocks, old.footnotes, numbers)
    old = replace(old, blocks=renumbered[0], footnotes=renumbered[1])
    old_by_label = {note.label: note for note in old.footnotes}
    merged: list[Footnote] = []
    for note in new.footnotes:
        before = old_by_label.get(note.label)
        if before is None:
            children: tuple[Block, ...] = (revised("inserted", note.children, note.line),)
        else:
            children = compare_blocks(before.children, note.children)
        merged.append(replace(note, children=children))
    for note in old.footnotes:
        if note.label in {item.label for item in new.footnotes}:
            continue
        merged.append(replace(note, children=(revised("deleted", note.children, note.line),)))
    return old, tuple(merged)


def renumber(
    blocks: tuple[Block, ...], footnotes: tuple[Footnote, ...], numbers: dict[str, int]
) -> tuple[tuple[Block, ...], tuple[Footnote, ...]]:
    """Every mark and note numbered by `numbers` (label to number), the notes sorted by number."""

    def numbered(node: Inline) -> Inline:
        if isinstance(node, FootnoteRef) and numbers.get(node.label, node.number) != node.number:
            return replace(node, number=numbers[node.label])
        return node

    notes = tuple(
        replace(note, number=numbers.get(note.label, note.number), children=map_blocks(note.children, numbered))
        for note in footnotes
    )
    return map_blocks(blocks, numbered), tuple(sorted(notes, key=lambda note: note.number))


def referenced_in_order(
    blocks: tuple[Block, ...], footnotes: tuple[Footnote, ...]
) -> tuple[tuple[Block, ...], tuple[Footnote, ...]]:
    """The blocks and the notes their marks refer to, numbered in order of first reference (the body's marks, then
    those in the notes), as the parser numbers them; the notes no mark refers to are left out."""
    by_label = {note.label: note for note in footnotes}
    order: list[str] = []
    pending = [blocks]
    while pending:
        for block in walk_blocks(pending.pop(0)):
            for node in walk_inlines(block_inlines(block)):
                if isinstance(node, FootnoteRef) and node.label not in order and node.label in by_label:
                    order.append(node.label)
                    pending.append(by_label[node.label].children)
    numbers = {label: index for index, label in enumerate(order, start=1)}
    return renumber(blocks, tuple(by_label[label] for label in order), numbers)
