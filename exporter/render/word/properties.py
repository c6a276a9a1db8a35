"""The file's properties: core properties (title, subject, author...) from the metadata, and every
metadata field as a custom property."""

from __future__ import annotations

import datetime

from exporter.render.word import package
from exporter.render.word.context import Context

CORE_PROPERTY_MAX_LENGTH = 255
WRITER = "designexport"  # who last saved the file; the author is only ever one the document names


def set_properties(context: Context) -> None:
    """Title, subject, keywords, author and date as every format carries them (exporter.enrich.presentation)."""
    shown = context.presentation
    properties = context.docx.core_properties
    properties.title = _property(shown.title, context)
    properties.subject = _property(shown.subject, context)
    properties.category = _metadata_property("Status", context)
    properties.keywords = _property(shown.keywords, context)
    properties.author = _property(shown.author, context)
    properties.last_modified_by = WRITER
    properties.comments = ""
    properties.revision = 1
    properties.created = properties.modified = _moment(context)
    custom: dict[str, tuple[str, str]] = {}
    for item in context.tree.metadata:
        item_context = context.at(item.line)
        name = _property(item.key.strip(), item_context)
        if name and name.casefold() not in custom:
            custom[name.casefold()] = (name, item_context.clean(item.text))
    package.set_custom_properties(context.docx, custom.values())


def _moment(context: Context) -> datetime.datetime:
    """The document's date (see exporter.enrich.moment), else now; naive UTC, as Word stores it."""
    moment = context.presentation.moment or datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    return moment.astimezone(datetime.UTC).replace(tzinfo=None)


def _property(value: str, context: Context) -> str:
    return context.clean(value)[:CORE_PROPERTY_MAX_LENGTH]


def _metadata_property(key: str, context: Context) -> str:
    for item in context.tree.metadata:
        if item.key.casefold() == key.casefold():
            return _property(item.text, context.at(item.line))
    return ""
