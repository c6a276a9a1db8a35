"""Accept all and reject all on a merged tree, and `normalized` for comparing trees."""

from __future__ import annotations

from dataclasses import replace

from exporter.compare.resolve import accepted, normalized, rejected
from exporter.model.tree import (
    Changed,
    CodeBlock,
    Reformatted,
    Revised,
    Table,
    block_inlines,
    walk_blocks,
    walk_inlines,
)
from tests.test_compare_documents import PAYMENT, compared, edited


def test_normalized_ignores_only_source_lines() -> None:
    _, new, _ = compared("# T\n\nText.\n", "# T\n\nText.\n")
    _, moved, _ = compared("# T\n\nText.\n", "\n\n# T\n\nText.\n")
    assert new != moved and normalized(new) == normalized(moved)
    assert normalized(new) != normalized(replace(new, title="Other"))


def test_resolved_trees_hold_no_change_marks() -> None:
    text = PAYMENT.read_text()
    new_text = edited(
        edited(text, "fail for many reasons", "fail for *several* reasons"), "2. if n >= policy", "2. if n > policy"
    )
    _, _, merged = compared(text, new_text)
    for resolved in (accepted(merged), rejected(merged)):
        assert resolved.changes is None
        for block in walk_blocks(resolved.blocks):
            assert not isinstance(block, Revised)
            assert not any(isinstance(node, Changed | Reformatted) for node in walk_inlines(block_inlines(block)))
            assert not (isinstance(block, CodeBlock) and block.line_changes)
            assert not (isinstance(block, Table) and (block.row_changes or block.column_changes))
