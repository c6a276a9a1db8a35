"""Metadata of two versions (Status, Last Updated, Requirement, front matter fields), matched by key.

A key whose value differs gets a MetadataChange in the summary, and its field's value holds the old value as
Changed("deleted") then the new one as Changed("inserted"), so that a Word file tracks it. A key only the old
version has stays as a field whose value is all deleted; one only the new version has, all inserted. The title and
the language, which are no fields, get a MetadataChange ("Title", "Language") when they differ, so that rejecting
the changes (resolve.py) can give the old ones back.
"""

from __future__ import annotations

from dataclasses import replace

from exporter.compare.align import align
from exporter.compare.lines import without_lines
from exporter.compare.words import whole_change
from exporter.model.tree import Document, MetadataChange, MetadataField

TITLE = "Title"
LANGUAGE = "Language"


def compare_metadata(old: Document, new: Document) -> tuple[tuple[MetadataField, ...], tuple[MetadataChange, ...]]:
    """The merged fields and the changes for the summary."""
    fields: list[MetadataField] = []
    changes: list[MetadataChange] = []

    def same_key(first: MetadataField, second: MetadataField) -> float:
        return 1.0 if first.key.casefold() == second.key.casefold() else 0.0

    for before, after in align(old.metadata, new.metadata, lambda item: item.key.casefold(), same_key):
        if before is not None and after is not None:
            if without_lines(before) == without_lines(after):
                fields.append(after)
                continue
            value = (*whole_change("deleted", before.value), *whole_change("inserted", after.value))
            fields.append(replace(after, value=value))
            changes.append(MetadataChange(after.key, before.text, after.text))
        elif after is not None:
            fields.append(replace(after, value=whole_change("inserted", after.value)))
            changes.append(MetadataChange(after.key, "", after.text))
        elif before is not None:
            fields.append(replace(before, value=whole_change("deleted", before.value)))
            changes.append(MetadataChange(before.key, before.text, ""))
    for key, before_value, after_value in ((TITLE, old.title, new.title), (LANGUAGE, old.language, new.language)):
        change = MetadataChange(key, before_value, after_value)
        if before_value != after_value and not any(_same_key_and_values(item, change) for item in changes):
            changes.append(change)
    return tuple(fields), tuple(changes)


def _same_key_and_values(first: MetadataChange, second: MetadataChange) -> bool:
    return first.key.casefold() == second.key.casefold() and (first.old, first.new) == (second.old, second.new)


def changed_value(changes: tuple[MetadataChange, ...], key: str, *, new: bool) -> str | None:
    """The value the field `key` had in the new (or old) version when the comparison changed it; None when it
    didn't. (The title's or language's change comes after the fields', so a field of the same key finds its own.)"""
    for change in changes:
        if change.key.casefold() == key.casefold():
            return change.new if new else change.old
    return None
