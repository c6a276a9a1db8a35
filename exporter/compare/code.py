"""Code blocks compared line by line: the merged block holds both versions' lines in order, each marked as in both,
inserted or deleted (CodeBlock.line_changes)."""

from __future__ import annotations

from dataclasses import replace
from difflib import SequenceMatcher

from exporter.model.tree import Block, CodeBlock, Revised, RowChange


def compare_code(old: CodeBlock, new: CodeBlock) -> tuple[Block, ...]:
    """Two code blocks `align` paired; another language is another block (the old deleted, the new inserted)."""
    if (old.language, old.info) != (new.language, new.info):
        return (Revised("deleted", "", (old,), old.line), Revised("inserted", "", (new,), new.line))
    old_lines, new_lines = old.text.split("\n"), new.text.split("\n")
    if old_lines == new_lines:
        return (new,)
    lines: list[str] = []
    changes: list[RowChange] = []
    matcher = SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    for operation, old_start, old_end, new_start, new_end in matcher.get_opcodes():
        if operation == "equal":
            lines.extend(new_lines[new_start:new_end])
            changes.extend("" for _ in range(new_start, new_end))
            continue
        lines.extend(old_lines[old_start:old_end])
        changes.extend("deleted" for _ in range(old_start, old_end))
        lines.extend(new_lines[new_start:new_end])
        changes.extend("inserted" for _ in range(new_start, new_end))
    merged = replace(new, text="\n".join(lines), line_changes=tuple(changes))
    return (Revised("changed", "", (merged,), new.line),)
