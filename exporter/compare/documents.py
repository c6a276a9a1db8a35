"""Two versions of a document in one tree: the entry point of the comparison, and its summary.

The old and new trees (as exporter.read.markdown.parse makes them) are merged section by section (sections.py),
block by block (blocks.py), word by word (words.py); metadata and footnotes have their own rules (metadata.py,
footnotes.py). The summary lists the sections with changes at the level of the document's sections (the level
below the title heading, when there is one) and the metadata that changed.
"""

from __future__ import annotations

from dataclasses import replace

from exporter.compare.blocks import compare_blocks, compare_pair, has_changes
from exporter.compare.footnotes import merge_footnotes
from exporter.compare.ids import ChangeIds
from exporter.compare.metadata import compare_metadata
from exporter.compare.sections import Outcome, Part, compare_sections, moves_across, outline
from exporter.compare.tables import relaid
from exporter.model.tree import (
    Block,
    ChangeSummary,
    Document,
    Footnote,
    Heading,
    Revised,
    SectionChange,
    TocEntry,
    walk_blocks,
)

BEGINNING = "Beginning"  # what the summary calls the blocks before the first section
FOOTNOTES = "Footnotes"  # and the notes


def compare_documents(
    old: Document, new: Document, *, since: str, author: str, date: str, changes_only: bool
) -> Document:
    """One tree holding both versions, `changes` set to the summary (an empty one when nothing changed)."""
    old, footnotes = merge_footnotes(old, new)
    pieces = moves_across(_pieces(outline(old.blocks), outline(new.blocks), new.title))
    ids = ChangeIds.for_blocks((*(block for _, blocks in pieces for block in blocks), *_note_blocks(footnotes)))
    numbered = [(outcome, relaid(ids.number(blocks))) for outcome, blocks in pieces]
    footnotes = tuple(replace(note, children=relaid(ids.number(note.children))) for note in footnotes)
    metadata, metadata_changes = compare_metadata(old, new)
    if changes_only:
        numbered = [(outcome, blocks if outcome.kind is not None else _context(blocks)) for outcome, blocks in numbered]
    note_blocks = _note_blocks(footnotes)
    # Changed notes are listed too, as one entry: their marks may sit in sections that did not change.
    notes = [(Outcome("changed", FOOTNOTES), note_blocks)] if has_changes(note_blocks) else []
    summary = ChangeSummary(
        since=since,
        author=author,
        date=date,
        sections=_summary([*numbered, *notes]),
        metadata=metadata_changes,
        changes_only=changes_only,
    )
    blocks = tuple(block for _, blocks in numbered for block in blocks)
    toc = _kept_entries(new.toc, {block.id for block in walk_blocks(blocks) if isinstance(block, Heading)})
    return replace(new, metadata=metadata, blocks=blocks, footnotes=footnotes, toc=toc, changes=summary)


def _kept_entries(entries: tuple[TocEntry, ...], kept: set[str]) -> tuple[TocEntry, ...]:
    """The contents without the sections changes-only mode left out (their entries would link nowhere); the
    entries under one left out move up."""
    found: list[TocEntry] = []
    for entry in entries:
        children = _kept_entries(entry.children, kept)
        if entry.id in kept:
            found.append(entry if children == entry.children else replace(entry, children=children))
        else:
            found.extend(children)
    return tuple(found)


def _pieces(old: Part, new: Part, title: str) -> list[tuple[Outcome, tuple[Block, ...]]]:
    """The merged blocks in stretches, each with the outcome of the summary's section it belongs to. Under a
    title heading (one level-1 heading holding everything), the sections are those inside it."""
    if _titled(old) and _titled(new):
        old_title, new_title = old.sections[0], new.sections[0]
        lead = (
            *compare_blocks(old.body, new.body),
            *compare_pair(old_title.heading, new_title.heading),
            *compare_blocks(old_title.part.body, new_title.part.body),
        )
        sections = compare_sections(old_title.part.sections, new_title.part.sections)
    else:
        lead = compare_blocks(old.body, new.body)
        sections = compare_sections(old.sections, new.sections)
    beginning = Outcome("changed" if has_changes(lead) else None, title or BEGINNING)
    return [(beginning, lead), *sections] if lead else sections


def _titled(part: Part) -> bool:
    return len(part.sections) == 1 and part.sections[0].heading.level == 1


def _context(blocks: tuple[Block, ...]) -> tuple[Block, ...]:
    """What an unchanged stretch keeps in changes-only mode: the title heading, for context."""
    return tuple(block for block in blocks if isinstance(block, Heading) and block.level == 1)


def _note_blocks(footnotes: tuple[Footnote, ...]) -> tuple[Block, ...]:
    return tuple(block for note in footnotes for block in note.children)


def _summary(numbered: list[tuple[Outcome, tuple[Block, ...]]]) -> tuple[SectionChange, ...]:
    counts: dict[int, int] = {}
    targets: dict[int, str] = {}
    order: list[Outcome] = []
    for outcome, blocks in numbered:
        if outcome.kind is None:
            continue
        if id(outcome) not in counts:
            order.append(outcome)
            counts[id(outcome)] = 0
        revisions = [block for block in walk_blocks(blocks) if isinstance(block, Revised)]
        counts[id(outcome)] += len(revisions)
        if revisions and id(outcome) not in targets:
            targets[id(outcome)] = revisions[0].id
    return tuple(
        SectionChange(
            kind=outcome.kind,
            title=outcome.title,
            target=targets.get(id(outcome), ""),
            changes=counts[id(outcome)],
            old_title=outcome.old_title,
        )
        for outcome in order
        if outcome.kind is not None
    )
