"""Sections of two versions: the block list split at headings, sections matched by heading id, then by title,
then (renamed) by position; matched sections are compared inside, level by level.

A matched section whose place among the matched sections changed is moved: its old blocks stay where they were as
Revised("moved-from") and its compared blocks (with any edits inside) stand where it is as Revised("moved-to").
A section matched by id or position whose title changed is renamed: its heading is Revised("changed") with the old
and new words. A section only one version has is one Revised("inserted"/"deleted") around all of it.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

from exporter.compare.blocks import blocks_tokens, compare_blocks, compare_pair, has_changes, revised
from exporter.compare.words import word_similarity
from exporter.enrich.outline import map_block_tree
from exporter.model.tree import Block, BlockChange, Heading, Revised, SectionChangeKind, plain_text, walk_blocks

# Sections at the same place whose words are this alike are one section renamed, not one removed and one added.
RENAMED_ALIKE = 0.3


@dataclass(frozen=True, slots=True)
class Part:
    """Blocks before the first heading, then the sections that follow, split at the highest level among them."""

    body: tuple[Block, ...]
    sections: tuple[Section, ...]

    def blocks(self) -> tuple[Block, ...]:
        return (*self.body, *(block for section in self.sections for block in section.blocks()))


@dataclass(frozen=True, slots=True)
class Section:
    heading: Heading
    part: Part

    @property
    def title(self) -> str:
        return plain_text(self.heading.children).strip()

    def blocks(self) -> tuple[Block, ...]:
        return (self.heading, *self.part.blocks())


def outline(blocks: tuple[Block, ...]) -> Part:
    """The sections of `blocks`, nested by heading level."""
    starts = [index for index, block in enumerate(blocks) if isinstance(block, Heading)]
    if not starts:
        return Part(blocks, ())
    top = min(block.level for block in blocks if isinstance(block, Heading))
    cuts = [starts[0], *(index for index in starts[1:] if _level(blocks[index]) == top)]
    sections = []
    for start, end in zip(cuts, [*cuts[1:], len(blocks)], strict=True):
        heading = blocks[start]
        assert isinstance(heading, Heading)
        sections.append(Section(heading, outline(blocks[start + 1 : end])))
    return Part(blocks[: starts[0]], tuple(sections))


def _level(block: Block) -> int:
    return block.level if isinstance(block, Heading) else 0


@dataclass(slots=True)
class Outcome:
    """What happened to one section, for the summary; `kind` None when nothing did."""

    kind: SectionChangeKind | None
    title: str
    old_title: str = ""


@dataclass(slots=True)
class _Matching:
    pairs: dict[int, int]  # old index -> new index
    stable: set[int]  # old indices whose order among the matched sections did not change


def compare_sections(old: tuple[Section, ...], new: tuple[Section, ...]) -> list[tuple[Outcome, tuple[Block, ...]]]:
    """Both versions' sections in one sequence, each stretch of blocks with the outcome of the section it shows
    (a moved section shows twice: where it was and where it is)."""
    matching = _match(old, new)
    new_to_old = {new_index: old_index for old_index, new_index in matching.pairs.items()}
    outcomes = {index: Outcome(None, section.title) for index, section in enumerate(old)}
    merged: list[tuple[Outcome, tuple[Block, ...]]] = []
    next_old = 0

    def flush(until: int) -> None:
        nonlocal next_old
        for old_index in range(next_old, until):
            if old_index in matching.stable:
                continue
            section = old[old_index]
            outcome = outcomes[old_index]
            kind: BlockChange = "moved-from" if old_index in matching.pairs else "deleted"
            outcome.kind = "moved" if old_index in matching.pairs else "removed"
            merged.append((outcome, (revised(kind, section.blocks(), section.heading.line),)))
        next_old = max(next_old, until)

    for new_index, section in enumerate(new):
        old_index = new_to_old.get(new_index)
        if old_index is None:
            flush(_next_stable_old(new_index, new_to_old, matching.stable, len(old)))
            merged.append(
                (Outcome("added", section.title), (revised("inserted", section.blocks(), section.heading.line),))
            )
            continue
        outcome = outcomes[old_index]
        outcome.title = section.title
        blocks = compare_section(old[old_index], section)
        if old_index in matching.stable:
            flush(old_index)
            next_old = old_index + 1
            renamed = old[old_index].title != section.title
            outcome.kind = "renamed" if renamed else "changed" if has_changes(blocks) else None
            outcome.old_title = old[old_index].title if renamed else ""
            merged.append((outcome, blocks))
        else:
            flush(_next_stable_old(new_index, new_to_old, matching.stable, len(old)))
            outcome.kind = "moved"
            merged.append((outcome, (revised("moved-to", blocks, section.heading.line),)))
    flush(len(old))
    return merged


def compare_section(old: Section, new: Section) -> tuple[Block, ...]:
    """Two matched sections: heading, body and subsections compared."""
    return (*compare_pair(old.heading, new.heading), *compare_parts(old.part, new.part))


def compare_parts(old: Part, new: Part) -> tuple[Block, ...]:
    body = compare_blocks(old.body, new.body)
    return (*body, *(block for _, blocks in compare_sections(old.sections, new.sections) for block in blocks))


def _next_stable_old(new_index: int, new_to_old: dict[int, int], stable: set[int], end: int) -> int:
    later = [old for new, old in new_to_old.items() if new > new_index and old in stable]
    return min(later, default=end)


def _match(old: tuple[Section, ...], new: tuple[Section, ...]) -> _Matching:
    pairs: dict[int, int] = {}
    same_id: Callable[[Section], str] = lambda section: section.heading.id  # noqa: E731
    same_title: Callable[[Section], str] = lambda section: section.title.casefold()  # noqa: E731
    for same in (same_id, same_title):
        free_new = [index for index in range(len(new)) if index not in pairs.values()]
        for old_index, section in enumerate(old):
            if old_index in pairs:
                continue
            found = next((index for index in free_new if same(new[index]) == same(section)), None)
            if found is not None:
                pairs[old_index] = found
                free_new.remove(found)
    stable = _in_order(pairs)
    _pair_renamed(old, new, pairs, stable)
    return _Matching(pairs, stable)


def _in_order(pairs: dict[int, int]) -> set[int]:
    """The old indices of the longest run of pairs in the same order in both versions (the rest moved)."""
    ordered = sorted(pairs.items())
    best: list[list[int]] = []  # best[k]: the longest increasing chain ending at pair k, as old indices
    for position, (old_index, new_index) in enumerate(ordered):
        chain: list[int] = []
        for earlier in range(position):
            if ordered[earlier][1] < new_index and len(best[earlier]) > len(chain):
                chain = best[earlier]
        best.append([*chain, old_index])
    longest: list[int] = max(best, key=len, default=[])
    return set(longest)


def _pair_renamed(old: tuple[Section, ...], new: tuple[Section, ...], pairs: dict[int, int], stable: set[int]) -> None:
    """Unmatched sections between the same two stable neighbours, alike enough, are one section renamed."""
    anchors = sorted((old_index, pairs[old_index]) for old_index in stable)
    bounds = [(-1, -1), *anchors, (len(old), len(new))]
    for (old_start, new_start), (old_end, new_end) in itertools.pairwise(bounds):
        free_old = [index for index in range(old_start + 1, old_end) if index not in pairs]
        free_new = [index for index in range(new_start + 1, new_end) if index not in pairs.values()]
        one_each = len(free_old) == len(free_new) == 1
        for old_index, new_index in zip(free_old, free_new, strict=False):
            if old[old_index].heading.level != new[new_index].heading.level:
                continue
            old_body, new_body = old[old_index].part.blocks(), new[new_index].part.blocks()
            alike = word_similarity(blocks_tokens(old_body), blocks_tokens(new_body))
            if alike >= RENAMED_ALIKE or (one_each and not old_body and not new_body):
                pairs[old_index] = new_index
                stable.add(old_index)


def moves_across(pieces: list[tuple[Outcome, tuple[Block, ...]]]) -> list[tuple[Outcome, tuple[Block, ...]]]:
    """Sections deleted under one parent and inserted under another (same level, same id or title) made moved:
    matching runs among siblings only, so a subsection moved to another section comes out deleted and inserted."""
    deleted = [block for _, blocks in pieces for block in _whole_sections(blocks, "deleted")]
    inserted = [block for _, blocks in pieces for block in _whole_sections(blocks, "inserted")]
    replacements: dict[int, Block] = {}
    for gone in deleted:
        old = outline(gone.children).sections[0]
        for index, came in enumerate(inserted):
            new = outline(came.children).sections[0]
            same = old.heading.id == new.heading.id or old.title.casefold() == new.title.casefold()
            if same and old.heading.level == new.heading.level:
                replacements[id(gone)] = revised("moved-from", gone.children, gone.line)
                replacements[id(came)] = revised("moved-to", compare_section(old, new), came.line)
                del inserted[index]
                break
    if not replacements:
        return pieces

    def moved(block: Block) -> Block:
        return replacements.get(id(block), block)

    return [(outcome, map_block_tree(blocks, moved)) for outcome, blocks in pieces]


def _whole_sections(blocks: tuple[Block, ...], kind: BlockChange) -> list[Revised]:
    return [
        block
        for block in walk_blocks(blocks)
        if isinstance(block, Revised)
        and block.kind == kind
        and block.children
        and isinstance(block.children[0], Heading)
        and len(outline(block.children).sections) == 1
    ]
