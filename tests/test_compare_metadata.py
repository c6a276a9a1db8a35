"""Metadata compared by key: changes in the summary, and tracked in the field values."""

from __future__ import annotations

from exporter.model.tree import Changed, plain_text
from tests.test_compare_documents import assert_round_trip, compared

DOC = "# Retry Design\n\n**Status:** Draft\n**Owner:** Ana\n\n## Overview\n\nText.\n"


def test_a_key_only_the_old_version_has_stays_all_deleted() -> None:
    old, new, merged = compared(DOC, DOC.replace("**Owner:** Ana\n", ""))
    assert_round_trip(old, new, merged)
    [owner] = [item for item in merged.metadata if item.key == "Owner"]
    assert owner.value == (Changed("deleted", old.metadata[1].value),)
    assert merged.changes is not None
    assert [(item.key, item.old, item.new) for item in merged.changes.metadata] == [("Owner", "Ana", "")]


def test_an_added_key_is_all_inserted() -> None:
    old, new, merged = compared(DOC, DOC.replace("**Owner:** Ana", "**Owner:** Ana\n**Last Updated:** 2026-12-01"))
    assert_round_trip(old, new, merged)
    [updated] = [item for item in merged.metadata if item.key == "Last Updated"]
    assert [(node.kind, plain_text(node.children)) for node in updated.value if isinstance(node, Changed)] == [
        ("inserted", "2026-12-01")
    ]


def test_a_front_matter_title_change_is_listed_and_round_trips() -> None:
    old_text = "---\ntitle: Retry Design\nstatus: Draft\n---\n\n## Overview\n\nText.\n"
    new_text = old_text.replace("title: Retry Design", "title: Payment Retry Design")
    old, new, merged = compared(old_text, new_text)
    assert_round_trip(old, new, merged)
    assert merged.changes is not None
    assert ("Retry Design", "Payment Retry Design") in [(item.old, item.new) for item in merged.changes.metadata]
    assert merged.title == "Payment Retry Design"
