"""Tables compared by columns, rows and cells.

Columns are matched by header text (then, among the rest, by what they hold); rows by their first cell's text,
then by the whole row's words. The merged table keeps every column and row of both versions, marked by
`column_changes` and `row_changes`; cells in both compared word by word. A cell of a row or column only one version
has is taken from that version (empty where that version has no such cell: the row or column goes either way).
Tables with merged cells or block content (raw HTML) are compared as whole objects.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from exporter.compare.align import ALIKE, align
from exporter.compare.words import Token, compare_inlines, tokens, word_similarity
from exporter.enrich.outline import map_block_tree
from exporter.enrich.tables import lay_out_tables
from exporter.model.tree import Block, Revised, RowChange, Table, TableCell, Text, plain_text, walk_blocks

_Pair = tuple[int | None, int | None]


@dataclass(frozen=True, slots=True)
class _Line:
    """A column or a row as `align` sees it: its key and its words."""

    index: int
    key: str
    words: tuple[Token, ...]


def compare_tables(old: Table, new: Table) -> tuple[Block, ...]:
    """Two tables `align` paired: one table with both versions' rows and columns, in Revised("changed")."""
    if not _simple(old) or not _simple(new):
        return (Revised("deleted", "", (old,), old.line), Revised("inserted", "", (new,), new.line))
    columns = _pairs(_columns(old), _columns(new))
    rows = _pairs(_rows(old), _rows(new))
    header, header_changed = _merged_row(old.header, new.header, columns)
    merged_rows: list[tuple[TableCell, ...]] = []
    row_changes: list[RowChange] = []
    any_cell_changed = header_changed
    for old_index, new_index in rows:
        old_row = old.rows[old_index] if old_index is not None else None
        new_row = new.rows[new_index] if new_index is not None else None
        row, changed = _merged_row(old_row, new_row, columns)
        merged_rows.append(row)
        row_changes.append(
            "" if old_row is not None and new_row is not None else "inserted" if old_row is None else "deleted"
        )
        any_cell_changed = any_cell_changed or changed
    column_changes: tuple[RowChange, ...] = tuple(
        "" if o is not None and n is not None else "inserted" if o is None else "deleted" for o, n in columns
    )
    if not any_cell_changed and not any(row_changes) and not any(column_changes):
        return (new,)
    merged = replace(
        new,
        header=header,
        rows=tuple(merged_rows),
        alignments=tuple(new.alignments[n] if n is not None else old.alignments[o or 0] for o, n in columns),
        row_changes=tuple(row_changes) if any(row_changes) else (),
        column_changes=column_changes if any(column_changes) else (),
        row_lines=_row_lines(old, new, rows),
    )
    return (Revised("changed", "", (unlaid(merged),), new.line),)


def _simple(table: Table) -> bool:
    cells = [cell for row in (table.header, *table.rows) for cell in row]
    return table.header_rows == 1 and all(
        not cell.blocks and cell.column_span == 1 and cell.row_span == 1 and not cell.covered for cell in cells
    )


def _columns(table: Table) -> list[_Line]:
    return [
        _Line(index, plain_text(cell.children).strip(), tuple(_cells_words([row[index] for row in table.rows])))
        for index, cell in enumerate(table.header)
    ]


def _rows(table: Table) -> list[_Line]:
    return [
        _Line(index, plain_text(row[0].children).strip() if row else "", tuple(_cells_words(list(row))))
        for index, row in enumerate(table.rows)
    ]


def _cells_words(cells: list[TableCell]) -> list[Token]:
    return [token for cell in cells for token in (*tokens(cell.children), Token(("cell",), (), Text("\n")))]


def _pairs(old: list[_Line], new: list[_Line]) -> list[_Pair]:
    def similarity(first: _Line, second: _Line) -> float:
        return word_similarity(list(first.words), list(second.words), ALIKE)

    return [
        (o.index if o is not None else None, n.index if n is not None else None)
        for o, n in align(old, new, lambda line: line.key, similarity)
    ]


def _merged_row(
    old: tuple[TableCell, ...] | None, new: tuple[TableCell, ...] | None, columns: list[_Pair]
) -> tuple[tuple[TableCell, ...], bool]:
    cells: list[TableCell] = []
    changed = False
    for old_column, new_column in columns:
        old_cell = old[old_column] if old is not None and old_column is not None else None
        new_cell = new[new_column] if new is not None and new_column is not None else None
        if old_cell is not None and new_cell is not None:
            children, differs = compare_inlines(old_cell.children, new_cell.children)
            changed = changed or differs
            cells.append(replace(new_cell, children=children))
        else:
            cells.append(new_cell or old_cell or TableCell(()))
    return tuple(cells), changed


def _row_lines(old: Table, new: Table, rows: list[_Pair]) -> tuple[int, ...]:
    if not old.row_lines or not new.row_lines:
        return ()
    return (
        new.row_lines[0],
        *(new.row_lines[n + 1] if n is not None else old.row_lines[(o or 0) + 1] for o, n in rows),
    )


def unlaid(table: Table) -> Table:
    """The table marked for `relaid` to lay out again (its columns or rows changed)."""
    return replace(table, column_weights=(), column_minimums=())


def relaid(blocks: tuple[Block, ...]) -> tuple[Block, ...]:
    """The blocks with every `unlaid` table laid out for the width its containers leave it (as the parser lays
    out every table); the other tables keep their layout."""
    fresh = iter([block for block in walk_blocks(lay_out_tables(blocks)) if isinstance(block, Table)])

    def relay(block: Block) -> Block:
        if not isinstance(block, Table):
            return block
        laid = next(fresh)
        if block.column_weights:
            return block
        return replace(
            block,
            fit=laid.fit,
            breaks=laid.breaks,
            column_minimums=laid.column_minimums,
            column_weights=laid.column_weights,
        )

    return map_block_tree(blocks, relay)
