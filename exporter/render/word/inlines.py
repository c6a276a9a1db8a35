"""Inline content as runs: text and its emphasis, code spans, links, anchors, line breaks, pictures
in running text, and footnote references."""

from __future__ import annotations

import urllib.parse
from typing import assert_never

from exporter.enrich.outline import footnote_ref_id
from exporter.model.tree import (
    Anchor,
    Changed,
    Emphasis,
    FootnoteRef,
    HardBreak,
    Image,
    Inline,
    InlineCode,
    InlineFormat,
    InlineStyle,
    Keyboard,
    Link,
    Math,
    Reformatted,
    SoftBreak,
    Strikethrough,
    Strong,
    Styled,
    Subscript,
    Superscript,
    Text,
)
from exporter.render.word import equations, ooxml, ooxml_body, pictures, styles
from exporter.render.word.context import Context
from exporter.render.word.runs import RunFormat, RunSink, changed
from exporter.render.word.state import Version


def inlines(sink: RunSink, nodes: tuple[Inline, ...], run_format: RunFormat, context: Context) -> None:
    for node in nodes:
        match node:
            case Text(text=text):
                sink.add_run(context.inline_text(text), run_format)
            case InlineCode(text=text):
                sink.add_run(context.inline_text(text), changed(run_format, character_style=styles.INLINE_CODE))
            case Emphasis(children=children):
                inlines(sink, children, changed(run_format, italic=True), context)
            case Strong(children=children):
                inlines(sink, children, changed(run_format, bold=True), context)
            case Strikethrough(children=children):
                inlines(sink, children, changed(run_format, strike=True), context)
            case Superscript(children=children):
                inlines(sink, children, changed(run_format, superscript=True, subscript=False), context)
            case Subscript(children=children):
                inlines(sink, children, changed(run_format, subscript=True, superscript=False), context)
            case Keyboard(children=children):
                inlines(sink, children, changed(run_format, character_style=styles.KEYBOARD), context)
            case Styled(style=style, children=children):
                inlines(sink, children, _styled(run_format, style), context)
            case Link():
                _link(sink, node, run_format, context)
            case Image():
                pictures.inline_picture(sink, node, run_format, context)
            case FootnoteRef():
                _footnote_reference(sink, node, context)
            case Math():
                equations.inline_equation(sink, node, context)
            case Anchor(id=identifier):
                markers = context.state.bookmarks.place(identifier)
                if markers is not None:
                    sink.append(markers[0])
                    sink.append(markers[1])
            case SoftBreak():
                sink.add_run(" ", run_format)
            case HardBreak():
                ooxml_body.add_break(sink.add_run("", run_format))
            case Changed(kind=kind, children=children):
                start = ooxml_body.child_count(sink.parent)
                with context.state.revisions.within(kind):
                    inlines(sink, children, run_format, context)
                context.state.revisions.track_inlines(sink.parent, start, kind)
            case Reformatted(formerly=formerly, children=children):
                start = ooxml_body.child_count(sink.parent)
                inlines(sink, children, run_format, context)
                former = sink.properties(_formatted(run_format, formerly))
                context.state.revisions.track_format(sink.parent, start, former)
            case _:
                assert_never(node)


def _formatted(run_format: RunFormat, formats: tuple[InlineFormat, ...]) -> RunFormat:
    """The format of words inside `formats` (outermost first), as the nodes they stand for give it."""
    for inline_format in formats:
        match inline_format:
            case "emphasis":
                run_format = changed(run_format, italic=True)
            case "strong":
                run_format = changed(run_format, bold=True)
            case "strikethrough":
                run_format = changed(run_format, strike=True)
            case "code":
                run_format = changed(run_format, character_style=styles.INLINE_CODE)
            case "superscript":
                run_format = changed(run_format, superscript=True, subscript=False)
            case "subscript":
                run_format = changed(run_format, subscript=True, superscript=False)
            case "keyboard":
                run_format = changed(run_format, character_style=styles.KEYBOARD)
            case _:
                assert_never(inline_format)
    return run_format


def _styled(run_format: RunFormat, style: InlineStyle) -> RunFormat:
    """Raw HTML's <ins> underlined, <mark> highlighted, <small> a size smaller, as browsers show them."""
    match style:
        case "inserted":
            return changed(run_format, underline=True)
        case "highlighted":
            return changed(run_format, highlight=True)
        case "small":
            return changed(run_format, small=True)
        case _:
            assert_never(style)


def _link(sink: RunSink, link: Link, run_format: RunFormat, context: Context) -> None:
    hyperlink = None if sink.in_hyperlink else _hyperlink_element(link, context)
    if hyperlink is None:
        inlines(sink, link.children, run_format, context)
        return
    inner = sink.into_hyperlink(hyperlink)
    inlines(inner, link.children, changed(run_format, character_style=styles.HYPERLINK), context)


def _hyperlink_element(link: Link, context: Context) -> ooxml.Element | None:
    """A w:hyperlink for the target (the parser let only allowed ones into the tree), or None for a `#link` to
    nothing."""
    target = context.clean(link.target.strip())
    tooltip = context.clean(link.title)
    if target.startswith("#"):
        name = context.state.bookmarks.name_of(urllib.parse.unquote(target[1:]))
        return ooxml_body.internal_hyperlink(name, tooltip) if name else None
    safe_target = urllib.parse.quote(target, safe="!#$%&'()*+,-./:;=?@[]_~")
    relationship = context.state.links.relate(context.story.part, safe_target)
    return ooxml_body.external_hyperlink(relationship, tooltip)


def _footnote_reference(sink: RunSink, reference: FootnoteRef, context: Context) -> None:
    """A note's first reference is Word's own footnote reference; later ones point back to it with NOTEREF. In a
    comparison, first in each version: where the versions part, the reference is written both ways, each tracked
    as only its version has it."""
    run_format = RunFormat(character_style=styles.FOOTNOTE_REFERENCE)
    state = context.state
    if context.in_note or state.bookmarks.name_of(footnote_ref_id(reference.number)) is None:
        sink.add_run(str(reference.number), run_format)  # Word has no notes within notes
        return
    shown = state.revisions.shown
    citation = state.citations.cite(reference.number, shown)
    for bookmark, versions in citation.earlier:
        start = ooxml_body.child_count(sink.parent)
        sink.add_field(f"NOTEREF {bookmark} \\f \\h", str(reference.number), run_format)
        _track_for(versions, shown, sink, start, context)
    if citation.real is None:
        return
    start = ooxml_body.child_count(sink.parent)
    markers = state.bookmarks.place(citation.real_identifier)
    if markers is not None:
        sink.append(markers[0])
    sink.add_run_holding(ooxml_body.footnote_reference(citation.real), run_format)
    if markers is not None:
        sink.append(markers[1])
    _track_for(citation.real_versions, shown, sink, start, context)


def _track_for(
    versions: frozenset[Version], shown: frozenset[Version], sink: RunSink, start: int, context: Context
) -> None:
    """What was written from child `start` on tracked as only `versions` have it, when fewer than `shown` do."""
    if versions != shown:
        context.state.revisions.track_inlines(sink.parent, start, "inserted" if "new" in versions else "deleted")
