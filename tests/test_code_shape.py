"""Code a reader can hold in mind: no class over 400 lines and no function over 80 in exporter/.

A class that long mixes decisions that want modules of their own; a function that long, steps that
want names. Sizes count every line from the definition (decorators aside) to its last line."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "exporter"
MAX_CLASS_LINES = 400
MAX_FUNCTION_LINES = 80

Definition = ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef


def definitions(tree: ast.AST) -> Iterator[Definition]:
    """Every class and function, nested ones and methods included."""
    for node in ast.walk(tree):
        if isinstance(node, Definition):
            yield node


def lines(node: Definition) -> int:
    return (node.end_lineno or node.lineno) - node.lineno + 1


def oversized(source: str, where: str) -> list[str]:
    """`file:line` of each class or function in the source past its limit, with its size."""
    found: list[str] = []
    for node in definitions(ast.parse(source)):
        limit = MAX_CLASS_LINES if isinstance(node, ast.ClassDef) else MAX_FUNCTION_LINES
        if lines(node) > limit:
            kind = "class" if isinstance(node, ast.ClassDef) else "function"
            found.append(f"{where}:{node.lineno}: {kind} {node.name} is {lines(node)} lines (at most {limit})")
    return sorted(found)


def test_no_class_or_function_in_the_package_is_too_long() -> None:
    found = [
        problem
        for path in sorted(PACKAGE.rglob("*.py"))
        for problem in oversized(path.read_text(encoding="utf-8"), str(path.relative_to(PACKAGE.parent)))
    ]
    assert found == [], "\n".join(found)


def test_the_size_check_names_long_definitions_and_passes_short_ones() -> None:
    long_function = "def long():\n" + "    x = 1\n" * 80
    long_class = "class Long:\n" + "".join(f"    def m{n}(self):\n        return {n}\n" for n in range(200))
    short = "class Short:\n    def method(self):\n        return 1\n"
    assert oversized(long_function, "a.py") == ["a.py:1: function long is 81 lines (at most 80)"]
    assert oversized(long_class, "b.py") == ["b.py:1: class Long is 401 lines (at most 400)"]
    assert oversized("\n\n" + short, "c.py") == []
    assert oversized("def exactly():\n" + "    x = 1\n" * 79, "d.py") == []
