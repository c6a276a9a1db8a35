"""Footnotes matched by label; nothing dangles, and accepting or rejecting numbers them as the parser does."""

from __future__ import annotations

from exporter.model.tree import FootnoteRef, Revised, block_inlines, walk_blocks, walk_inlines
from tests.test_compare_documents import assert_round_trip, compared

DOC = "# T\n\nFirst claim.[^a] Second claim.[^b]\n\n[^a]: Source A.\n[^b]: Source B, page 4.\n"


def test_a_note_inserted_before_others_renumbers_without_a_change() -> None:
    new_text = DOC.replace("First claim.[^a]", "Zeroth claim.[^z] First claim.[^a]") + "[^z]: Source Z.\n"
    old, new, merged = compared(DOC, new_text)
    assert_round_trip(old, new, merged)
    assert [note.label for note in merged.footnotes] == ["z", "a", "b"]
    assert [note.number for note in merged.footnotes] == [1, 2, 3]
    assert isinstance(merged.footnotes[0].children[0], Revised) and merged.footnotes[0].children[0].kind == "inserted"


def test_a_deleted_mark_points_at_a_note_the_merged_document_holds() -> None:
    new_text = DOC.replace(" Second claim.[^b]", "").replace("[^b]: Source B, page 4.\n", "")
    old, new, merged = compared(DOC, new_text)
    assert_round_trip(old, new, merged)
    marks = [
        node
        for block in walk_blocks(merged.blocks)
        for node in walk_inlines(block_inlines(block))
        if isinstance(node, FootnoteRef)
    ]
    for mark in marks:
        assert merged.footnotes[mark.number - 1].label == mark.label


def test_changed_note_text_is_compared_as_blocks() -> None:
    old, new, merged = compared(DOC, DOC.replace("page 4", "page 5"))
    assert_round_trip(old, new, merged)
    [changed] = [block for block in walk_blocks(merged.footnotes[1].children) if isinstance(block, Revised)]
    assert changed.kind == "changed" and changed.id.startswith("change-")
    assert merged.changes is not None
    assert [(item.title, item.target, item.changes) for item in merged.changes.sections] == [
        ("Footnotes", changed.id, 1)
    ]
