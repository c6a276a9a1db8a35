"""Nodes without their source lines: two versions' blocks are the same when they differ only in where they sit."""

from __future__ import annotations

from dataclasses import fields, is_dataclass, replace
from typing import TypeVar, cast

_Node = TypeVar("_Node")
_LINE_FIELDS = {"line": 0, "row_lines": ()}


def without_lines(node: _Node) -> _Node:
    """`node` with every `line` zeroed and every `row_lines` emptied, at any depth."""
    return cast(_Node, _stripped(node))


def _stripped(value: object) -> object:
    if isinstance(value, tuple):
        items = tuple(_stripped(item) for item in value)
        return value if all(a is b for a, b in zip(items, value, strict=True)) else items
    if not is_dataclass(value) or isinstance(value, type):
        return value
    changes: dict[str, object] = {}
    for spec in fields(value):
        item = getattr(value, spec.name)
        if spec.name in _LINE_FIELDS:
            if item != _LINE_FIELDS[spec.name]:
                changes[spec.name] = _LINE_FIELDS[spec.name]
            continue
        stripped = _stripped(item)
        if stripped is not item:
            changes[spec.name] = stripped
    return replace(value, **changes) if changes else value
