"""Pairing two versions' items: equal ones first, then alike ones between them."""

from __future__ import annotations

from difflib import SequenceMatcher

from exporter.compare.align import align


def similarity(old: str, new: str) -> float:
    return SequenceMatcher(None, old.split(), new.split()).ratio()


def test_equal_items_pair_then_alike_ones_then_the_rest_is_inserted_or_deleted() -> None:
    old = ["intro text", "the worker leases rows", "obsolete note", "closing words"]
    new = ["intro text", "the worker leases due rows", "brand new remark", "closing words"]
    pairs = align(old, new, lambda item: item, similarity)
    assert pairs == [
        ("intro text", "intro text"),
        ("the worker leases rows", "the worker leases due rows"),
        ("obsolete note", None),
        (None, "brand new remark"),
        ("closing words", "closing words"),
    ]


def test_order_is_kept_when_an_alike_item_comes_later() -> None:
    pairs = align(["alpha beta gamma"], ["unrelated", "alpha beta delta"], lambda item: item, similarity)
    assert pairs == [(None, "unrelated"), ("alpha beta gamma", "alpha beta delta")]
