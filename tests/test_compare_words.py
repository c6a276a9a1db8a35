"""Running text compared word by word: whole words, CJK by character, formatting and links kept."""

from __future__ import annotations

from exporter.compare.words import compare_inlines
from exporter.model.tree import (
    Changed,
    Emphasis,
    Inline,
    Link,
    Reformatted,
    Strong,
    Text,
    block_inlines,
    plain_text,
    walk_blocks,
    walk_inlines,
)
from tests.test_compare_documents import assert_round_trip, compared


def marks(inlines: tuple[Inline, ...]) -> list[tuple[str, str]]:
    return [(node.kind, plain_text(node.children)) for node in walk_inlines(inlines) if isinstance(node, Changed)]


def test_words_are_never_split() -> None:
    merged, changed = compare_inlines((Text("the worker is retrying now"),), (Text("the worker retried now"),))
    assert changed
    assert marks(merged) == [("deleted", "is retrying"), ("inserted", "retried")]


def test_cjk_text_is_compared_by_character() -> None:
    merged, _ = compare_inlines((Text("消息存储是最为复杂的部分"),), (Text("消息存储是相当复杂的部分"),))
    assert marks(merged) == [("deleted", "最为"), ("inserted", "相当")]
    merged, _ = compare_inlines((Text("リーダーシップ評議会"),), (Text("リーダー評議会"),))
    assert marks(merged) == [("deleted", "シップ")]


def test_unchanged_text_is_returned_as_is() -> None:
    inlines = (Text("same "), Strong((Text("words"),)))
    assert compare_inlines(inlines, inlines) == (inlines, False)


def test_formatting_survives_around_changed_words() -> None:
    merged, _ = compare_inlines(
        (Emphasis((Text("alpha beta"),)), Text(" gamma")), (Emphasis((Text("alpha delta"),)), Text(" gamma"))
    )
    deleted = [node for node in merged if isinstance(node, Changed) and node.kind == "deleted"]
    assert deleted == [Changed("deleted", (Emphasis((Text("beta"),)),))]
    assert plain_text(merged) == "alpha betadelta gamma"


def test_a_link_with_another_target_is_deleted_and_inserted() -> None:
    old = (Text("see "), Link("https://old.example", (Text("the spec"),)))
    new = (Text("see "), Link("https://new.example", (Text("the spec"),)))
    merged, _ = compare_inlines(old, new)
    assert merged[1:] == (Changed("deleted", (old[1],)), Changed("inserted", (new[1],)))


def test_words_formatted_anew_are_reformatted_and_round_trip() -> None:
    old, new, merged = compared("# T\n\nThis is very important.\n", "# T\n\nThis is **very important**.\n")
    assert_round_trip(old, new, merged)
    found = [
        node
        for block in walk_blocks(merged.blocks)
        for node in walk_inlines(block_inlines(block))
        if isinstance(node, Reformatted)
    ]
    assert found == [Reformatted((), (Strong((Text("very important"),)),))]
