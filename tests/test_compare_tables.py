"""Tables compared by rows, columns and cells."""

from __future__ import annotations

import pytest

from exporter.model.tree import Changed, Table, plain_text, walk_blocks, walk_inlines
from tests.test_compare_documents import assert_round_trip, compared

TABLE = """# T

| Service | Owner | Tier |
|---------|-------|------|
| billing | Ana | 1 |
| ledger | Bo | 1 |
| search | Cy | 2 |
"""


def merged_table(old_text: str, new_text: str) -> Table:
    old, new, merged = compared(old_text, new_text)
    assert_round_trip(old, new, merged)
    [table] = [block for block in walk_blocks(merged.blocks) if isinstance(block, Table)]
    return table


def test_an_added_column_is_marked_inserted() -> None:
    new_text = TABLE.replace("| Tier |\n", "| Tier | Region |\n").replace("|------|\n", "|------|--------|\n")
    new_text = new_text.replace("| Ana | 1 |", "| Ana | 1 | eu |").replace("| Bo | 1 |", "| Bo | 1 | us |")
    new_text = new_text.replace("| Cy | 2 |", "| Cy | 2 | ap |")
    table = merged_table(TABLE, new_text)
    assert table.column_changes == ("", "", "", "inserted")
    assert not table.row_changes
    assert len(table.alignments) == len(table.column_weights) == 4
    assert sum(table.column_weights) == pytest.approx(1.0)


def test_rows_matched_by_first_cell_compare_cells_word_by_word() -> None:
    table = merged_table(TABLE, TABLE.replace("| ledger | Bo | 1 |", "| ledger | Bo Chen | 1 |"))
    assert not table.row_changes and not table.column_changes
    marks = [
        (node.kind, plain_text(node.children))
        for row in table.rows
        for cell in row
        for node in walk_inlines(cell.children)
        if isinstance(node, Changed)
    ]
    assert marks == [("inserted", " Chen")]


def test_a_deleted_row_keeps_its_place() -> None:
    table = merged_table(TABLE, TABLE.replace("| ledger | Bo | 1 |\n", ""))
    assert table.row_changes == ("", "deleted", "")
    assert plain_text(table.rows[1][0].children) == "ledger"


def test_a_table_with_a_rewritten_row_and_a_removed_column() -> None:
    new_text = "# T\n\n| Service | Tier |\n|---|---|\n| billing | 1 |\n| ledger | 3 |\n| search | 2 |\n| audit | 2 |\n"
    table = merged_table(TABLE, new_text)
    assert table.column_changes == ("", "deleted", "")
    assert table.row_changes == ("", "", "", "inserted")
