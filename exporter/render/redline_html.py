"""How the HTML page (and the PDF made from it) shows a comparison of two versions (exporter.compare).

Inserted words are underlined and deleted ones struck through, each in its own colour (styles/base.css), so the
two differ in greyscale print too; words formatted differently get a dotted underline and say how they were
formatted. Every changed block (a `Revised`) gets a change bar in the margin, left of the text, at the same place
however deeply the block is nested in lists and quotes. The summary of changes goes above the body, outside it.
html.py's renderer calls these functions with the markup it rendered for the content.
"""

from __future__ import annotations

import functools
import html
from collections.abc import Mapping, Sequence
from difflib import SequenceMatcher
from typing import Literal, assert_never

from exporter.enrich.presentation import ChangeLabels
from exporter.model.tree import (
    Block,
    ChangeKind,
    ChangeSummary,
    CodeBlock,
    Diagram,
    InlineFormat,
    MathBlock,
    MetadataChange,
    Revised,
    RowChange,
    SectionChange,
    SectionChangeKind,
    block_inlines,
    plain_text,
    walk_blocks,
)

# Blocks that move their content right of their own left edge, and by how much: in print (pt, print.css; the
# PRINT_*_INDENT_PT of html.py) and on screen (CSS lengths, base.css). A change bar inside them adds these up to
# stand in the page margin with the others. A table cell ("cell") keeps its bars inside it.
Container = Literal["list", "definition", "quote", "callout", "details", "notes", "cell"]
CONTAINER_INDENTS: dict[Container, tuple[float, str]] = {
    "list": (18.0, "1.6em"),  # ul, ol: padding-left
    "definition": (18.0, "1.6em"),  # dd: margin-left
    "notes": (18.0, "1.6em"),  # the footnotes section's ol: padding-left
    "quote": (14.0, "3px + 1em"),  # blockquote: its bar and padding-left
    "callout": (14.0, "4px + 1em"),
    "details": (10.0, "1px + 1em"),
    "cell": (0.0, "0px"),
}
# print.css: a change bar is this wide, and its left edge this far left of the text column.
PRINT_BAR_WIDTH_PT = 2.25
PRINT_BAR_OFFSET_PT = 12.0

NO_VALUE = "\u2014"  # a metadata value one version lacks
SECTION_KINDS: tuple[SectionChangeKind, ...] = ("added", "removed", "changed", "moved", "renamed")


def _escape(text: str) -> str:
    return html.escape(text, quote=True)


# ---------------------------------------------------------------- inlines


def changed_html(kind: ChangeKind, content: str) -> str:
    """Words only one version has: `<ins>` (underlined) or `<del>` (struck through), in the change colours."""
    match kind:
        case "inserted":
            return f'<ins class="change">{content}</ins>'
        case "deleted":
            return f'<del class="change">{content}</del>'
        case _:
            assert_never(kind)


def formerly_text(formerly: tuple[InlineFormat, ...], labels: ChangeLabels) -> str:
    """How the old version formatted words: "Formerly: bold, italic", "Formerly: plain text"."""
    names = ", ".join(labels.format_name(name) for name in formerly) if formerly else labels.plain
    return labels.formerly.format(formats=names)


def reformatted_html(formerly: tuple[InlineFormat, ...], content: str, labels: ChangeLabels) -> str:
    """Words both versions have, formatted as the new one has them, marked and saying what the formatting was."""
    text = _escape(formerly_text(formerly, labels))
    return f'<span class="reformatted" title="{text}" aria-description="{text}">{content}</span>'


# ---------------------------------------------------------------- blocks


def revised_html(
    revised: Revised,
    content: str,
    labels: ChangeLabels,
    containers: Sequence[Container],
    *,
    for_print: bool,
    partner: str = "",
) -> str:
    """A changed block with its change bar: the body an `<ins>` (inserted, moved here) or `<del>` (deleted, moved
    away) shown as a block, or a plain `<div>` (changed inside); a moved block labelled over its body, which
    alone carries the underline or strike-through, with a link to its other place (`partner`, an id)."""
    body_tag = _body_tag(revised)
    label = _label_html(revised, labels, partner)
    label_html = f'<p class="revised-label">{label}</p>' if label else ""
    return (
        f'<div class="revised revised-{revised.kind}" id="{_escape(revised.id)}"{_bar_style(containers, for_print)}>'
        f"{label_html}"
        f'<{body_tag} class="revised-body">\n{content}\n</{body_tag}></div>'
    )


def floated_revised_html(revised: Revised, content: str, labels: ChangeLabels, partner: str = "") -> str:
    """A changed block inside a footnote floated to the page foot: spans laid out as blocks (print.css)."""
    body_tag = _body_tag(revised)
    label = _label_html(revised, labels, partner)
    label_html = f'<span class="revised-label">{label}</span>' if label else ""
    return (
        f'<span class="note-revised revised-{revised.kind}" id="{_escape(revised.id)}">'
        f'{label_html}<{body_tag} class="revised-body">{content}</{body_tag}></span>'
    )


def revised_label(revised: Revised, labels: ChangeLabels) -> str:
    """The label over a moved block whose other place is unknown ("Moved from here", "Moved here"); "" for the
    other kinds."""
    match revised.kind:
        case "moved-from":
            return labels.moved_from
        case "moved-to":
            return labels.moved_to
        case "inserted" | "deleted" | "changed":
            return ""
        case _:
            assert_never(revised.kind)


def _label_html(revised: Revised, labels: ChangeLabels, partner: str) -> str:
    """The label's markup: "Moved to <its new place>" linking to the block's other place when known (print adds
    that place's page, print.css)."""
    if not partner or revised.kind not in ("moved-from", "moved-to"):
        return _escape(revised_label(revised, labels))
    place = labels.new_place if revised.kind == "moved-from" else labels.old_place
    template = labels.moved_to_place if revised.kind == "moved-from" else labels.moved_from_place
    before, _, after = template.partition("{place}")
    link = f'<a class="moved-link" href="#{_escape(partner)}">{_escape(place)}</a>'
    return f"{_escape(before)}{link}{_escape(after)}"


def moved_partners(blocks: tuple[Block, ...]) -> dict[str, str]:
    """Each moved block's id -> the id of its other place: every moved-from block paired with the moved-to block
    most like it (by text; a moved block may also have changed), in document order."""
    moved = [block for block in walk_blocks(blocks) if isinstance(block, Revised)]
    sources = [(block.id, _blocks_text(block.children)) for block in moved if block.kind == "moved-from"]
    targets = {block.id: _blocks_text(block.children) for block in moved if block.kind == "moved-to"}
    partners: dict[str, str] = {}
    for source, text in sources:
        if not targets:
            break
        best = max(targets, key=functools.partial(_likeness, text, targets))
        del targets[best]
        partners[source] = best
        partners[best] = source
    return partners


def _likeness(text: str, texts: Mapping[str, str], other: str) -> tuple[bool, float]:
    """How alike a block's text is to the text of block `other`: the same first, then by the characters they
    share (quick_ratio takes them as bags, in linear time, where ratio() is quadratic on a long moved section)."""
    return text == texts[other], SequenceMatcher(None, text, texts[other], autojunk=False).quick_ratio()


def _blocks_text(blocks: tuple[Block, ...]) -> str:
    parts: list[str] = []
    for block in walk_blocks(blocks):
        match block:
            case CodeBlock(text=text) | MathBlock(tex=text):
                parts.append(text)
            case Diagram(lines=lines):
                parts.extend(lines)
            case _:
                parts.append(plain_text(block_inlines(block)))
    return " ".join(part for part in parts if part)


def _body_tag(revised: Revised) -> str:
    match revised.kind:
        case "inserted" | "moved-to":
            return "ins"
        case "deleted" | "moved-from":
            return "del"
        case "changed":
            return "div"
        case _:
            assert_never(revised.kind)


def _bar_style(containers: Sequence[Container], for_print: bool) -> str:
    """Inside indenting blocks, how far the bar reaches left to stand in the page margin; "" at the top level
    (print.css and base.css place it there) and in a table cell (the bar stays in the cell)."""
    if not containers or "cell" in containers:
        return ""
    if for_print:
        reach = sum(CONTAINER_INDENTS[container][0] for container in containers) + PRINT_BAR_OFFSET_PT
        return f' style="margin-left: {-reach:.2f}pt; padding-left: {reach - PRINT_BAR_WIDTH_PT:.2f}pt"'
    indents = " + ".join(CONTAINER_INDENTS[container][1] for container in containers)
    return f' style="--bar-indent: calc({indents})"'


def padded_changes(changes: tuple[RowChange, ...], count: int) -> tuple[RowChange, ...]:
    """`count` changes: those given, cut to `count` or filled up with "" (unchanged), so rows and lines zip."""
    unchanged: RowChange = ""
    return (*changes[:count], *(unchanged,) * max(count - len(changes), 0))


def row_class(change: RowChange) -> str:
    """The class of a table row or code line only one version has ("" for one both have)."""
    return f"row-{change}" if change else ""


def column_class(change: RowChange) -> str:
    return f"column-{change}" if change else ""


def code_line_class(change: RowChange) -> str:
    return f"line-{change}" if change else ""


def code_line_html(change: RowChange, content: str) -> str:
    """A code line's text, in an `<ins>` or `<del>` when only one version has it: the strike-through of a deleted
    line then leaves the gutter's mark (on the line's own box) alone, and copying gives the text back."""
    match change:
        case "inserted":
            return f'<ins class="code-change">{content}</ins>'
        case "deleted":
            return f'<del class="code-change">{content}</del>'
        case "":
            return content
        case _:
            assert_never(change)


# ---------------------------------------------------------------- the summary


def change_summary_html(summary: ChangeSummary, labels: ChangeLabels) -> str:
    """The box above the body: what changed since the old version, the metadata that changed, and a link to each
    changed section. An aside, outside the document's text, and not itself marked as a change."""
    title = labels.changes_since.format(since=summary.since)
    byline = " \u00b7 ".join(_escape(part) for part in (summary.author, _shown_date(summary.date)) if part)
    parts = [f'<p class="change-summary-title">{_escape(title)}</p>']
    if byline:
        parts.append(f'<p class="change-summary-byline">{byline}</p>')
    if summary.sections or not summary.metadata:
        parts.append(_counts_html(summary.sections, labels))
    if summary.metadata:
        parts.append(_metadata_html(summary.metadata))
    if summary.sections:
        parts.append(_section_list_html(summary.sections, labels))
    if summary.changes_only:
        parts.append(f'<p class="change-summary-note">{_escape(labels.changes_only)}</p>')
    return f'<aside class="change-summary" aria-label="{_escape(title)}">\n' + "\n".join(parts) + "\n</aside>"


def _shown_date(date: str) -> str:
    """The day of an ISO 8601 date-time ("2026-12-04T09:30:00Z" -> "2026-12-04"); other text as it is."""
    day, separator, _ = date.partition("T")
    return day if separator and len(day) == len("YYYY-MM-DD") else date


def section_kind_label(kind: SectionChangeKind, labels: ChangeLabels) -> str:
    match kind:
        case "added":
            return labels.added
        case "removed":
            return labels.removed
        case "changed":
            return labels.changed
        case "moved":
            return labels.moved
        case "renamed":
            return labels.renamed
        case _:
            assert_never(kind)


def _counts_html(sections: tuple[SectionChange, ...], labels: ChangeLabels) -> str:
    """ "Sections: 2 added, 1 changed", the kinds that occur in summary order; or that no section changed."""
    counts = [
        f'<span class="change-count change-count-{kind}"><strong>{count}</strong> '
        f"{_escape(section_kind_label(kind, labels))}</span>"
        for kind in SECTION_KINDS
        if (count := sum(1 for section in sections if section.kind == kind))
    ]
    if not counts:
        return f'<p class="change-counts">{_escape(labels.no_changes)}</p>'
    return f'<p class="change-counts">{_escape(labels.sections)}: {", ".join(counts)}</p>'


def _metadata_html(changes: tuple[MetadataChange, ...]) -> str:
    """Each changed metadata value, old -> new (a dash for a value one version lacks)."""
    arrow = '<span class="change-arrow">\u2192</span>'
    rows = "".join(
        f'<tr><th scope="row">{_escape(change.key)}</th>'
        f"<td>{_escape(change.old or NO_VALUE)} {arrow} {_escape(change.new or NO_VALUE)}</td></tr>"
        for change in changes
    )
    return f'<table class="change-metadata"><tbody>{rows}</tbody></table>'


def _section_list_html(sections: tuple[SectionChange, ...], labels: ChangeLabels) -> str:
    """A link to each changed section's first change; print adds the page it is on (print.css)."""
    items = []
    for section in sections:
        kind = _escape(section_kind_label(section.kind, labels))
        detail = f"{kind}, {_escape(labels.renamed_from.format(old=section.old_title))}" if section.old_title else kind
        if section.kind not in ("added", "removed") and section.changes > 0:
            template = labels.one_change if section.changes == 1 else labels.many_changes
            detail += f" \u00b7 {_escape(template.format(count=section.changes))}"
        entry = (
            f'<span class="change-entry"><span class="change-entry-title">{_escape(section.title)}</span> '
            f'<span class="change-kind">{detail}</span></span>'
        )
        items.append(f'<li class="section-{section.kind}"><a href="#{_escape(section.target)}">{entry}</a></li>')
    return '<ol class="change-list">' + "".join(items) + "</ol>"
