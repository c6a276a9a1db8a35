"""Code blocks compared line by line."""

from __future__ import annotations

from exporter.compare.code import compare_code
from exporter.model.tree import CodeBlock, Revised
from tests.test_compare_documents import assert_round_trip, compared


def test_lines_of_both_versions_in_order_with_their_changes() -> None:
    old = CodeBlock("a = 1\nb = 2\nc = 3", "python", "python", 10)
    new = CodeBlock("a = 1\nb = 20\nc = 3\nd = 4", "python", "python", 12)
    [revision] = compare_code(old, new)
    assert isinstance(revision, Revised) and revision.kind == "changed"
    [code] = revision.children
    assert isinstance(code, CodeBlock)
    assert code.text.split("\n") == ["a = 1", "b = 2", "b = 20", "c = 3", "d = 4"]
    assert code.line_changes == ("", "deleted", "inserted", "", "inserted")


def test_another_language_is_another_block() -> None:
    old = CodeBlock("x", "python", "python", 1)
    new = CodeBlock("x", "ruby", "ruby", 1)
    assert [block.kind for block in compare_code(old, new) if isinstance(block, Revised)] == ["deleted", "inserted"]


def test_code_changes_round_trip() -> None:
    old_text = "# T\n\n```go\nfunc A() {\n\treturn 1\n}\n```\n"
    new_text = "# T\n\n```go\nfunc A() {\n\tlog()\n\treturn 2\n}\n```\n"
    assert_round_trip(*compared(old_text, new_text))
