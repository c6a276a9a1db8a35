"""Blocks as paragraphs: one dispatch on the block type, and headings, paragraphs, code, lists,
quotes, callouts and details here; tables, pictures and landscape sections in their own modules."""

from __future__ import annotations

from dataclasses import replace
from typing import assert_never

from exporter.enrich.presentation import is_lead_in, keeps_together
from exporter.model.tree import (
    Block,
    BlockChange,
    BlockQuote,
    BulletList,
    Callout,
    CodeBlock,
    DefinitionList,
    Details,
    Diagram,
    HardBreak,
    Heading,
    Image,
    Inline,
    ListItem,
    MathBlock,
    OrderedList,
    Paragraph,
    Revised,
    SoftBreak,
    Table,
    Text,
    ThematicBreak,
)
from exporter.render.highlight import highlight_lines
from exporter.render.word import equations, ooxml, ooxml_body, pictures, sections, styles, tables
from exporter.render.word.context import BodyStory, Context, NoteStory, Story
from exporter.render.word.inlines import inlines
from exporter.render.word.runs import RunFormat, RunSink
from exporter.render.word.state import MAX_LIST_LEVEL

CODE_TAB_SIZE = 4
# How a block a comparison changed is tracked: inserted or deleted; a moved block as a plain insertion where it is
# and a deletion where it was (w:moveFrom/w:moveTo pair up ranges that LibreOffice does not read back the same);
# a changed one not as a whole, its changes being inside it.
TRACKED_BLOCKS: dict[BlockChange, ooxml_body.TrackKind | None] = {
    "inserted": "inserted",
    "moved-to": "inserted",
    "deleted": "deleted",
    "moved-from": "deleted",
    "changed": None,
}


def block(source: Block, context: Context) -> None:
    context = context.at(source.line)
    story = context.story
    grouped = isinstance(source, CodeBlock | Diagram | BulletList | OrderedList)
    if grouped and story.group_end is not None and story.last_paragraph is story.group_end:
        # Touching blocks of one contextual-spacing style would read as one; keep this gap.
        ooxml.set_paragraph_flag(ooxml_body.paragraph_properties(story.group_end), "w:contextualSpacing", on=False)
    _dispatch(source, context)
    if grouped:
        story.group_end = story.last_paragraph


def continue_with(sink: RunSink, blocks: tuple[Block, ...], context: Context) -> None:
    """A leading paragraph goes on in `sink` (after a list marker or note mark); other blocks follow."""
    rest = blocks
    if rest and isinstance(rest[0], Paragraph):
        inlines(sink, rest[0].children, RunFormat(), context)
        rest = rest[1:]
    elif rest and isinstance(rest[0], Revised) and rest[0].children and isinstance(rest[0].children[0], Paragraph):
        revised(rest[0], context, lead=sink)  # an item (or note) only one version has: its paragraph goes too
        rest = rest[1:]
    for child in rest:
        block(child, context)


def heading(source: Heading, context: Context, as_title: bool = False) -> None:
    style = styles.TITLE if as_title else styles.heading_style(source.level)
    paragraph = context.add_block_paragraph(style)
    sink = context.sink(paragraph, style)
    markers = context.state.bookmarks.place(source.id) if source.id else None
    if markers is not None:
        sink.append(markers[0])
    if source.number:
        sink.add_run(f"{source.number} ", RunFormat())
    inlines(sink, source.children, RunFormat(), context)
    if markers is not None:
        sink.append(markers[1])


def _dispatch(source: Block, context: Context) -> None:
    match source:
        case Heading():
            heading(source, context)
        case Paragraph():
            _paragraph(source, context)
        case CodeBlock() if (picture := context.presentation.diagram_pictures.get(source)) and picture.png:
            pictures.diagram_picture(picture, context)
        case CodeBlock():
            _code(source, context)
        case MathBlock():
            equations.equation_block(source, context)
        case Diagram():
            pictures.diagram(source, context)
        case BulletList():
            _list(source.items, None, source.tight, context)
        case OrderedList():
            _list(source.items, source.start, source.tight, context)
        case Table():
            _table(source, context)
        case DefinitionList():
            _definitions(source, context)
        case BlockQuote():
            for child in source.children:
                block(child, _quoted(context))
        case Callout():
            title = context.add_block_paragraph(styles.CALLOUT_TITLE)
            ooxml_body.add_run(title, text=context.presentation.labels.callout_title(source.kind))
            for child in source.children:
                block(child, _quoted(context))
        case ThematicBreak():
            context.add_block_paragraph(styles.HORIZONTAL_RULE)
        case Details():
            summary = context.add_block_paragraph(styles.DETAILS_SUMMARY)
            inlines(context.sink(summary, styles.DETAILS_SUMMARY), source.summary, RunFormat(), context)
            for child in source.children:
                block(child, context)
        case Revised():
            revised(source, context)
        case _:
            assert_never(source)


def revised(source: Revised, context: Context, lead: RunSink | None = None) -> None:
    """Blocks a comparison changed, written as they are; inserted or deleted ones then tracked whole, paragraph
    marks and table rows included, so that accepting or rejecting every change removes them whole. Each gets a
    bookmark named after its id, which the summary of changes links to. A `lead` paragraph (a list item's, a
    note's) takes the first block's text, and is tracked with the rest."""
    container = _container(context.story)
    before = set(container)
    if isinstance(context.story, tables.CellStory) and not context.story.started:
        before.discard(context.story.first)  # the cell's first paragraph, which the first block takes over
    children = source.children
    kind = TRACKED_BLOCKS[source.kind]
    with context.state.revisions.within(kind):
        if lead is not None and children and isinstance(children[0], Paragraph):
            inlines(lead, children[0].children, RunFormat(), context)
            children = children[1:]
        for child in children:
            block(child, context)
    written = [element for element in container if element not in before]
    if lead is not None:
        written.insert(0, lead.parent)
    if kind is not None:
        context.state.revisions.track_blocks(written, kind)
    markers = context.state.bookmarks.place(source.id)
    if markers is not None:
        ooxml_body.bracket(
            (paragraph for element in written for paragraph in ooxml_body.paragraphs_within(element)), *markers
        )


def _container(story: Story) -> ooxml.Element:
    """The element the story's blocks go into."""
    match story:
        case BodyStory():
            return story.blocks
        case NoteStory():
            return story.note
        case tables.CellStory():
            return story.cell
        case _:
            raise TypeError(f"no container known for {type(story).__name__}")


def _definitions(source: DefinitionList, context: Context) -> None:
    """Each term a paragraph of its own, its definitions indented under it (styles Definition Term, Definition)."""
    inner = replace(context, indent=context.indent + styles.DEFINITION_INDENT_TWIPS, paragraph_style=styles.DEFINITION)
    for item in source.items:
        term = context.add_block_paragraph(styles.DEFINITION_TERM)
        inlines(context.sink(term, styles.DEFINITION_TERM), item.term, RunFormat(), context)
        for definition in item.definitions:
            for child in definition:
                block(child, inner)


def _quoted(context: Context) -> Context:
    """Inside a quote or callout: indented further, plain paragraphs as block text."""
    return replace(context, indent=context.indent + styles.QUOTE_INDENT_TWIPS, paragraph_style=styles.BLOCK_TEXT)


def _table(source: Table, context: Context) -> None:
    """A table too wide for the page gets landscape pages of its own, in the body; Word can't turn a footnote."""
    match context.story:
        case BodyStory() as body if source.fit == "landscape":
            sections.landscape_table(source, context, body, block)
        case _:
            tables.table(source, context, block)


def _paragraph(source: Paragraph, context: Context) -> None:
    image = _sole_image(source.children)
    if image is not None and context.paragraph_style == styles.BODY_TEXT:
        pictures.figure(image, context)
        return
    paragraph = context.add_block_paragraph(context.paragraph_style)
    if is_lead_in(source.children):
        ooxml_body.keep_with_next(paragraph)
    if source.alignment != "default":  # raw HTML `<p align>`, `<div align>`
        ooxml_body.set_alignment(paragraph, source.alignment)
    inlines(context.sink(paragraph, context.paragraph_style), source.children, RunFormat(), context)


def _code(source: CodeBlock, context: Context) -> None:
    text = "\n".join(line.expandtabs(CODE_TAB_SIZE) for line in source.text.split("\n"))
    lines = highlight_lines(text, source.language)
    keep = _keep_with_next_lines(len(lines))
    changes = source.line_changes  # in a comparison: each line in both versions, or tracked as inserted or deleted
    for index, styled_runs in enumerate(lines):
        paragraph = context.add_block_paragraph(styles.SOURCE_CODE, natural_indent=styles.CODE_PADDING_TWIPS)
        if index in keep:
            ooxml_body.keep_with_next(paragraph)
        for styled in styled_runs:
            look = ooxml_body.run_properties_of(
                bold=styled.bold, italic=styled.italic, color=styled.color.upper() if styled.color else ""
            )
            ooxml_body.add_run(paragraph, look, context.clean(styled.text), preserve=True)
        if index < len(changes) and (change := changes[index]):
            context.state.revisions.track_paragraph(paragraph, change)


def _list(items: tuple[ListItem, ...], start: int | None, tight: bool, context: Context) -> None:
    level = min(context.list_depth, MAX_LIST_LEVEL)
    numbering = context.state.lists
    num_id = numbering.bullets() if start is None else numbering.ordered(level, start)
    item_style = styles.COMPACT if tight else styles.LIST_PARAGRAPH
    text_indent = context.indent + styles.LIST_INDENT_TWIPS
    inner = replace(context, indent=text_indent, list_depth=context.list_depth + 1, paragraph_style=item_style)
    for item in items:
        item_context = inner.at(item.line)
        paragraph = item_context.add_paragraph(item_style)
        ooxml_body.set_numbering(paragraph, num_id, level)
        if text_indent != styles.LIST_INDENT_TWIPS * (level + 1):
            ooxml.set_indent(ooxml_body.paragraph_properties(paragraph), text_indent, styles.LIST_INDENT_TWIPS)
        sink = item_context.sink(paragraph, item_style)
        if item.checked is not None:
            sink.add_run("\u2612 " if item.checked else "\u2610 ", RunFormat(character_style=styles.TASK_BOX))
        continue_with(sink, item.children, item_context)


def _sole_image(children: tuple[Inline, ...]) -> Image | None:
    meaningful = [
        node
        for node in children
        if not isinstance(node, SoftBreak | HardBreak) and not (isinstance(node, Text) and not node.text.strip())
    ]
    if len(meaningful) == 1 and isinstance(meaningful[0], Image):
        return meaningful[0]
    return None


def _keep_with_next_lines(count: int) -> set[int]:
    """Short blocks stay whole; long ones only avoid a lone first or last line."""
    if keeps_together(count):
        return set(range(count - 1))
    return {0, count - 2}
