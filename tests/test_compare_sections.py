"""Sections matched by id, title and position: moved and renamed sections are shown so, not deleted and inserted."""

from __future__ import annotations

from exporter.compare.sections import outline
from exporter.model.tree import Heading, Revised, walk_blocks
from exporter.read.markdown import parse
from tests.test_compare_documents import assert_round_trip, compared

DOC = """# Design

Intro.

## Goals

Fast retries.

### Stretch goals

Zero loss.

## Risks

Duplicate charges.

## Rollout

Canary first, then everyone.
"""


def kinds(document: object) -> list[str]:
    return [block.kind for block in walk_blocks(document.blocks) if isinstance(block, Revised)]  # type: ignore[attr-defined]


def test_outline_nests_sections_by_level() -> None:
    part = outline(parse(DOC, "doc.md").blocks)
    [title] = part.sections
    assert [section.title for section in title.part.sections] == ["Goals", "Risks", "Rollout"]
    assert [section.title for section in title.part.sections[0].part.sections] == ["Stretch goals"]


def test_added_and_removed_sections_are_whole() -> None:
    new_text = DOC.replace("## Risks\n\nDuplicate charges.\n\n", "").replace(
        "## Rollout", "## Costs\n\nNone.\n\n## Rollout"
    )
    old, new, merged = compared(DOC, new_text)
    assert_round_trip(old, new, merged)
    assert kinds(merged) == ["deleted", "inserted"]
    assert merged.changes is not None
    assert [(item.kind, item.title, item.changes) for item in merged.changes.sections] == [
        ("removed", "Risks", 1),
        ("added", "Costs", 1),
    ]


def test_a_moved_subsection_with_an_edit() -> None:
    new_text = DOC.replace("### Stretch goals\n\nZero loss.\n\n", "").replace(
        "Duplicate charges.\n", "Duplicate charges.\n\n### Stretch goals\n\nZero data loss.\n"
    )
    old, new, merged = compared(DOC, new_text)
    assert_round_trip(old, new, merged)
    assert kinds(merged) == ["moved-from", "moved-to", "changed"]
    assert merged.changes is not None
    assert [item.kind for item in merged.changes.sections] == ["changed", "changed"]


def test_swapped_sections_move_one_only() -> None:
    new_text = DOC.replace("## Risks\n\nDuplicate charges.\n\n", "") + "\n## Risks\n\nDuplicate charges.\n"
    old, new, merged = compared(DOC, new_text)
    assert_round_trip(old, new, merged)
    assert merged.changes is not None
    # one of the two swapped sections moved, the other stayed
    assert [item.kind for item in merged.changes.sections] == ["moved"]
    moved = [block for block in merged.blocks if isinstance(block, Revised)]
    assert sorted(block.kind for block in moved) == ["moved-from", "moved-to"]
    assert all(isinstance(block.children[0], Heading) for block in moved)


def test_a_renamed_section_with_a_new_body_word() -> None:
    new_text = DOC.replace("## Rollout\n\nCanary first", "## Release plan\n\nA canary first")
    old, new, merged = compared(DOC, new_text)
    assert_round_trip(old, new, merged)
    assert merged.changes is not None
    [section] = merged.changes.sections
    assert (section.kind, section.title, section.old_title, section.changes) == (
        "renamed",
        "Release plan",
        "Rollout",
        2,
    )
