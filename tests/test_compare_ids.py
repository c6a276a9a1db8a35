"""Ids in a merged document: change ids unique and apart from heading ids; heading ids given back on resolving."""

from __future__ import annotations

from exporter.compare.resolve import accepted, normalized, rejected
from exporter.model.tree import Heading, Revised, walk_blocks
from tests.test_compare_documents import PAYMENT, compared, edited, moved_section


def test_change_ids_are_unique_in_order_and_the_summary_links_to_them() -> None:
    text = PAYMENT.read_text().replace(
        "## Architecture", "## Architecture\n\n### Change 1\n\nA heading whose id looks like a change id.", 1
    )
    new_text = edited(
        edited(text, "fail for many reasons", "fail for several reasons"), "**Status:** Draft", "**Status:** Approved"
    )
    new_text = moved_section(new_text, "Database Schema", "Architecture")
    _, _, merged = compared(text, new_text)
    ids = [block.id for block in walk_blocks(merged.blocks) if isinstance(block, Revised)]
    heading_ids = [block.id for block in walk_blocks(merged.blocks) if isinstance(block, Heading)]
    assert "change-1" in heading_ids and "change-1" not in ids
    assert len(set(ids)) == len(ids) and not set(ids) & set(heading_ids)
    assert len(set(heading_ids)) == len(heading_ids)  # the moved-from heading got an id of its own
    assert merged.changes is not None
    assert {item.target for item in merged.changes.sections} <= set(ids)


def test_heading_ids_come_back_as_the_parser_gives_them() -> None:
    old_text = '# T\n\n## Overview\n\nA.\n\n## Dates 2020--2021 --- "now"...\n\nB.\n\n## Design — plain dash\n\nC.\n'
    new_text = old_text.replace("## Dates", "## Overview\n\nNew.\n\n## Dates").replace("plain dash", "literal dash")
    old, new, merged = compared(old_text, new_text)
    assert [block.id for block in walk_blocks(new.blocks) if isinstance(block, Heading)][1:3] == [
        "overview",
        "overview-1",
    ]
    assert normalized(accepted(merged)) == normalized(new)
    assert normalized(rejected(merged)) == normalized(old)
