"""Blocks paired by kind and similarity; lists item by item; whole objects (diagrams, images, math) old and new."""

from __future__ import annotations

from exporter.model.tree import (
    BulletList,
    Changed,
    Diagram,
    ListItem,
    MathBlock,
    Paragraph,
    Revised,
    block_inlines,
    plain_text,
    walk_blocks,
    walk_inlines,
)
from tests.test_compare_documents import assert_round_trip, compared, revisions

LIST = """# T

- Lease due rows
- Call the gateway
  - with the original idempotency key
- Record the outcome
"""


def items(document: object) -> list[ListItem]:
    return [item for block in walk_blocks(document.blocks) if isinstance(block, BulletList) for item in block.items]  # type: ignore[attr-defined]


def test_an_inserted_and_a_deleted_list_item() -> None:
    new_text = LIST.replace("- Lease due rows\n", "").replace(
        "- Record the outcome", "- Record the outcome\n- Emit metrics"
    )
    old, new, merged = compared(LIST, new_text)
    assert_round_trip(old, new, merged)
    top = next(block for block in merged.blocks if isinstance(block, BulletList)).items
    assert [item.children[0].kind for item in top if isinstance(item.children[0], Revised)] == ["deleted", "inserted"]
    assert len(top) == 4


def test_an_edited_nested_item_is_compared_word_by_word() -> None:
    old, new, merged = compared(
        LIST, LIST.replace("with the original idempotency key", "with the same idempotency key")
    )
    assert_round_trip(old, new, merged)
    marks = [
        (node.kind, plain_text(node.children))
        for block in walk_blocks(merged.blocks)
        for node in walk_inlines(block_inlines(block))
        if isinstance(node, Changed)
    ]
    assert marks == [("deleted", "original"), ("inserted", "same")]
    assert not revisions(merged, "inserted") and not revisions(merged, "deleted")


def test_a_paragraph_edited_a_little_is_changed_not_replaced() -> None:
    old_text = "# T\n\nThe worker leases due rows and calls the gateway.\n\nUnrelated closing words here.\n"
    new_text = "# T\n\nThe worker leases due rows, then calls the gateway.\n\nUnrelated closing words here.\n"
    old, new, merged = compared(old_text, new_text)
    assert_round_trip(old, new, merged)
    [changed] = revisions(merged, "changed")
    assert isinstance(changed.children[0], Paragraph)
    assert not revisions(merged, "inserted")


def test_a_rewritten_paragraph_is_deleted_and_inserted() -> None:
    old, new, merged = compared("# T\n\nAlpha beta gamma delta.\n", "# T\n\nSomething else entirely now.\n")
    assert_round_trip(old, new, merged)
    assert [revision.kind for revision in revisions(merged, "deleted") + revisions(merged, "inserted")] == [
        "deleted",
        "inserted",
    ]


def test_an_image_alone_and_math_are_whole_objects() -> None:
    old_text = "# T\n\n![Flow](flow-v1.png)\n\n$$\nE = mc^2\n$$\n"
    new_text = "# T\n\n![Flow](flow-v2.png)\n\n$$\nE = mc^3\n$$\n"
    old, new, merged = compared(old_text, new_text)
    assert_round_trip(old, new, merged)
    kinds = [
        (revision.kind, type(revision.children[0]).__name__)
        for revision in merged.blocks
        if isinstance(revision, Revised)
    ]
    assert kinds == [
        ("deleted", "Paragraph"),
        ("inserted", "Paragraph"),
        ("deleted", "MathBlock"),
        ("inserted", "MathBlock"),
    ]
    assert isinstance(merged.blocks[-1], Revised) and isinstance(merged.blocks[-1].children[0], MathBlock)


def test_a_changed_text_diagram_is_shown_old_then_new() -> None:
    old_text = "# T\n\n```\n┌─────┐\n│ A   │\n└─────┘\n```\n"
    new_text = "# T\n\n```\n┌─────┐\n│ B   │\n└─────┘\n```\n"
    old, new, merged = compared(old_text, new_text)
    assert_round_trip(old, new, merged)
    shown = [(revision.kind, revision.children[0]) for revision in merged.blocks if isinstance(revision, Revised)]
    assert [kind for kind, _ in shown] == ["deleted", "inserted"]
    assert all(isinstance(block, Diagram) for _, block in shown)
