"""The summary of changes above a comparison: what changed since the old version, in counts, the metadata that
changed, and each changed section linked to its first change. It is the one part of a comparison that is not a
tracked change: accepting or rejecting every change leaves it as it is."""

from __future__ import annotations

from collections import Counter

from exporter.model.tree import ChangeSummary, SectionChange, SectionChangeKind
from exporter.render.word import ooxml_body, styles
from exporter.render.word.context import Context
from exporter.render.word.runs import RunFormat

SECTION_KINDS: tuple[SectionChangeKind, ...] = ("added", "removed", "changed", "moved", "renamed")
NO_VALUE = "(none)"


def change_summary(summary: ChangeSummary, context: Context) -> None:
    """The summary as a shaded box of paragraphs in the Change Summary styles, under the title block."""
    context.add_paragraph(styles.CHANGE_SUMMARY_TITLE, context.clean(f"Changes since {summary.since}"))
    context.add_paragraph(styles.CHANGE_SUMMARY, context.clean(counts(summary)))
    for item in summary.metadata:
        line = f"{item.key}: {item.old or NO_VALUE} \u2192 {item.new or NO_VALUE}"
        context.add_paragraph(styles.CHANGE_SUMMARY, context.clean(line))
    for section in summary.sections:
        _section_line(section, context)
    if summary.changes_only:
        context.add_paragraph(styles.CHANGE_SUMMARY, "Only the changed sections are shown, each with its heading.")
    # The last line's style leaves the room below the box, so no spacer paragraph (which would be outside the
    # summary's styles, and so look like content) is needed before a table that follows.
    signature = f"Tracked changes by {summary.author or 'an unnamed author'}, {summary.date[:10] or 'undated'}."
    context.add_paragraph(styles.CHANGE_SUMMARY_END, context.clean(signature))


def counts(summary: ChangeSummary) -> str:
    """`5 changes in 3 sections: 1 added, 2 changed.`, or that no section changed."""
    sections = summary.sections
    if not sections:
        return "No section changed."
    by_kind = Counter(section.kind for section in sections)
    kinds = ", ".join(f"{by_kind[kind]} {kind}" for kind in SECTION_KINDS if by_kind[kind])
    changes = sum(section.changes for section in sections)
    return f"{_counted(changes, 'change')} in {_counted(len(sections), 'section')}: {kinds}."


def _counted(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def _section_line(section: SectionChange, context: Context) -> None:
    """`Renamed: Old title → New title (2 changes)`, the section's title a link to its first change."""
    paragraph = context.add_paragraph(styles.CHANGE_SUMMARY)
    sink = context.sink(paragraph, styles.CHANGE_SUMMARY)
    sink.add_run(f"{section.kind.capitalize()}: ", RunFormat())
    if section.kind == "renamed" and section.old_title:
        sink.add_run(context.clean(f"{section.old_title} \u2192 "), RunFormat())
    name = context.state.bookmarks.name_of(section.target) if section.target else None
    if name is None:
        sink.add_run(context.clean(section.title), RunFormat())
    else:
        link = sink.into_hyperlink(ooxml_body.internal_hyperlink(name))
        link.add_run(context.clean(section.title), RunFormat(character_style=styles.HYPERLINK))
    if section.changes:
        sink.add_run(f" ({_counted(section.changes, 'change')})", RunFormat())
