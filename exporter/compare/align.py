"""Pairing the items of two versions (blocks, list items, table rows): equal items first, then, between them,
items alike enough. What stays unpaired was inserted or deleted."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from difflib import SequenceMatcher
from typing import TypeVar

_Item = TypeVar("_Item")

# Two blocks (or rows) sharing at least this share of their words are one block edited, not one deleted and
# another inserted.
ALIKE = 0.5


def align(
    old: Sequence[_Item],
    new: Sequence[_Item],
    key: Callable[[_Item], Hashable],
    similarity: Callable[[_Item, _Item], float],
    threshold: float = ALIKE,
) -> list[tuple[_Item | None, _Item | None]]:
    """Both sequences merged in order as (old, new) pairs, None on the side that lacks the item. Within a run of
    differing items, deleted ones come before inserted ones."""
    matcher = SequenceMatcher(None, [key(item) for item in old], [key(item) for item in new], autojunk=False)
    merged: list[tuple[_Item | None, _Item | None]] = []
    for operation, old_start, old_end, new_start, new_end in matcher.get_opcodes():
        if operation == "equal":
            merged.extend(zip(old[old_start:old_end], new[new_start:new_end], strict=True))
        else:
            alike: list[tuple[_Item | None, _Item | None]] = _pair_alike(
                old[old_start:old_end], new[new_start:new_end], similarity, threshold
            )
            merged.extend(alike)
    return merged


def _pair_alike(
    old: Sequence[_Item],
    new: Sequence[_Item],
    similarity: Callable[[_Item, _Item], float],
    threshold: float,
) -> list[tuple[_Item | None, _Item | None]]:
    merged: list[tuple[_Item | None, _Item | None]] = []
    next_new = 0
    for old_item in old:
        scores = [(similarity(old_item, new[index]), index) for index in range(next_new, len(new))]
        best = max(scores, key=lambda scored: (scored[0], -scored[1]), default=(0.0, -1))
        if best[0] < threshold:
            merged.append((old_item, None))
            continue
        merged.extend((None, item) for item in new[next_new : best[1]])
        merged.append((old_item, new[best[1]]))
        next_new = best[1] + 1
    merged.extend((None, item) for item in new[next_new:])
    return merged
