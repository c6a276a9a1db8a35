"""Inline content as runs: text and its emphasis, code spans, links, anchors, line breaks, pictures
in running text, and footnote references."""

from __future__ import annotations

import urllib.parse
from typing import assert_never

from exporter.enrich.outline import footnote_ref_id
from exporter.model.tree import (
    Anchor,
    Emphasis,
    FootnoteRef,
    HardBreak,
    Image,
    Inline,
    InlineCode,
    InlineStyle,
    Keyboard,
    Link,
    Math,
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
            case _:
                assert_never(node)


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
    """The first reference is Word's own footnote reference; later ones point back to it with NOTEREF."""
    run_format = RunFormat(character_style=styles.FOOTNOTE_REFERENCE)
    state = context.state
    identifier = footnote_ref_id(reference.number)
    bookmark = state.bookmarks.name_of(identifier)
    if context.in_note or bookmark is None:  # Word has no notes within notes
        sink.add_run(str(reference.number), run_format)
        return
    if reference.number in state.cited_notes:
        sink.add_field(f"NOTEREF {bookmark} \\f \\h", str(reference.number), run_format)
        return
    state.cited_notes.add(reference.number)
    markers = state.bookmarks.place(identifier)
    if markers is not None:
        sink.append(markers[0])
    sink.add_run_holding(ooxml_body.footnote_reference(reference.number), run_format)
    if markers is not None:
        sink.append(markers[1])
