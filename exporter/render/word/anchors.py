"""Hidden anchors back to the source: a bookmark around every paragraph, table cell and list item that comes from
a source line, and a custom XML part mapping each bookmark to its line, kind and section (exporter.review reads
them back from a reviewed file; exporter/review/source_map.py defines both).

A paragraph is marked as it is made (`mark`, from `Context.add_paragraph`), when only its properties are in it:
the bookmark's start then precedes everything written into it. The bookmarks are numbered and closed at the end of
the paragraph once the whole document is written (`finish`), in document order, so the same source always gives the
same names. A table merged by python-docx is a copy of the one written (ooxml_body.merge_cells), which is why the
marks are found again in the finished XML rather than remembered as elements.
"""

from __future__ import annotations

import bisect
import uuid
from collections import Counter
from collections.abc import Iterable
from pathlib import Path, PurePath
from typing import cast

from docx.document import Document as DocxDocument
from docx.opc.constants import RELATIONSHIP_TYPE
from docx.parts.story import StoryPart

from exporter.model.tree import Document, Heading, walk_blocks
from exporter.render.word import ooxml, ooxml_body, package, styles
from exporter.review.source_map import (
    ANCHOR_PREFIX,
    NAMESPACE,
    AnchorKind,
    SourceAnchor,
    SourceMap,
    anchor_name,
    source_digest,
    to_xml,
)
from exporter.safety.resources import ResourceResolver

# A mark's name until `finish` numbers it: "_dx12:code". The colon makes it a name no finished anchor has.
_KIND_SEPARATOR = ":"
_NAME = ooxml.clark("w:name")
_ID = ooxml.clark("w:id")
_BOOKMARK_START = ooxml.clark("w:bookmarkStart")
# Annotations whose ids Word keeps apart from each other's: new bookmarks are numbered after all of them.
_ANNOTATIONS = tuple(
    ooxml.clark(tag) for tag in ("w:bookmarkStart", "w:ins", "w:del", "w:moveFrom", "w:moveTo", "w:rPrChange")
)
_REVISIONS = tuple(ooxml.clark(tag) for tag in ("w:ins", "w:del", "w:moveFrom", "w:moveTo", "w:rPrChange"))
_AUTHOR, _DATE = ooxml.clark("w:author"), ooxml.clark("w:date")
_NUMBERING = ooxml.clark("w:numPr")
_PARAGRAPH_PROPERTIES = ooxml.clark("w:pPr")
_CELL, _ROW, _GRID_SPAN = ooxml.clark("w:tc"), ooxml.clark("w:tr"), ooxml.clark("w:gridSpan")
_PARAGRAPH = ooxml.clark("w:p")
_TEXT, _DELETED_TEXT = ooxml.clark("w:t"), ooxml.clark("w:delText")
_FOOTNOTE_REFERENCE = ooxml.clark("w:footnoteReference")
_CONTAINER_MARKS = (_PARAGRAPH_PROPERTIES, _BOOKMARK_START, ooxml.clark("w:bookmarkEnd"))
_HEADING_STYLES = frozenset(
    name.casefold() for name in (styles.TITLE, *(styles.heading_style(level) for level in range(1, 7)))
)
_CODE_STYLES = (styles.SOURCE_CODE.casefold(), styles.DIAGRAM.casefold())  # a sized diagram style starts so too


def mark(paragraph: ooxml.Element, line: int, style: str, in_note: bool) -> None:
    """Marks a new paragraph of `style` as coming from `line`: a bookmark start after its properties."""
    kind = _kind_of_style(style, in_note)
    start = ooxml_body.bookmark_start(0, f"{ANCHOR_PREFIX}{line}{_KIND_SEPARATOR}{kind}")
    ooxml_body.move_after(ooxml_body.paragraph_properties(paragraph), start)


def _kind_of_style(style: str, in_note: bool) -> AnchorKind:
    name = style.casefold()
    if in_note:
        return "footnote"
    if name in _HEADING_STYLES:
        return "heading"
    if name.startswith(_CODE_STYLES):
        return "code"
    return "paragraph"  # a list item or table cell: told by where the paragraph ends up


def finish(document: DocxDocument, tree: Document, resolver: ResourceResolver) -> None:
    """Names, numbers and closes every mark, in the body and then the footnotes, drops those of paragraphs left
    empty, and records them all in the custom XML part."""
    stories = [document.element.body, *_footnote_elements(document)]
    _mark_unmarked_cells(document.element.body)
    next_id = 1 + max((int(value) for story in stories for value in _annotation_ids(story)), default=0)
    numbering = _Numbering(next_id, _HeadingIds(tree))
    for index, story in enumerate(stories):
        numbering.story(story, in_body=index == 0)
    path = PurePath(tree.source)
    digest = _digest(resolver.base / path.name)
    # The file name only: the folders above it are the author's, not the reviewers' business (review looks next
    # to the Word file, or where --source says).
    source_map = SourceMap(path.name, path.name, digest, tuple(numbering.anchors), _own_changes(stories))
    package.add_custom_xml_part(document, to_xml(source_map), NAMESPACE, _item_id(source_map))


class _HeadingIds:
    """The id of the section each source line comes under, from the tree's headings."""

    def __init__(self, tree: Document) -> None:
        headings = sorted(
            (block.line, block.id) for block in walk_blocks(tree.blocks) if isinstance(block, Heading) and block.id
        )
        self.lines = [line for line, _ in headings]
        self.ids = [identifier for _, identifier in headings]
        self.by_line = dict(headings)

    def section_of(self, line: int) -> str:
        index = bisect.bisect_right(self.lines, line) - 1
        return self.ids[index] if index >= 0 else ""


class _Numbering:
    """Numbers the marks in document order: `_dx<line>_<n>`, the n-th anchor of that line."""

    def __init__(self, next_id: int, headings: _HeadingIds) -> None:
        self.next_id = next_id
        self.headings = headings
        self.per_line: Counter[int] = Counter()
        self.anchors: list[SourceAnchor] = []
        self.note_sections: dict[str, str] = {}  # footnote id -> section of its first reference
        self.section = ""

    def story(self, story: ooxml.Element, in_body: bool) -> None:
        """The body sets the section from each heading as it goes; a footnote's is that of its reference."""
        for element in list(story.iter(_BOOKMARK_START, _FOOTNOTE_REFERENCE)):
            if element.tag == _FOOTNOTE_REFERENCE:
                self.note_sections.setdefault(element.get(_ID, ""), self.section)
                continue
            name = element.get(_NAME, "")
            pending, separator, kind = name.partition(_KIND_SEPARATOR)
            if separator and pending.startswith(ANCHOR_PREFIX) and pending[len(ANCHOR_PREFIX) :].isdigit():
                self._finish_mark(element, int(pending[len(ANCHOR_PREFIX) :]), kind, in_body)

    def _finish_mark(self, start: ooxml.Element, line: int, kind: str, in_body: bool) -> None:
        paragraph = start.getparent()
        if paragraph is None or _deleted_whole(paragraph):
            ooxml_body.remove(start)  # a comparison's old paragraph: no line of the source holds it now
            return
        if not any(child.tag not in _CONTAINER_MARKS for child in paragraph):
            ooxml_body.remove(start)  # an empty paragraph (a spacer, a rule): nothing to comment on
            if kind == "code":
                self.per_line[line] += 1  # a blank code line still counts: the n-th anchor is the block's n-th line
            return
        self.per_line[line] += 1
        name = anchor_name(line, self.per_line[line])
        start.set(_NAME, name)
        start.set(_ID, str(self.next_id))
        ooxml_body.append(paragraph, ooxml_body.bookmark_end(self.next_id))
        self.next_id += 1
        anchor_kind, row, column = _placed_kind(paragraph, kind)
        if anchor_kind == "heading" and line in self.headings.by_line and in_body:
            self.section = self.headings.by_line[line]
        # By the source's headings: what the export moves (the document control table above the title, say) is
        # still under the heading its lines are under.
        section = self.headings.section_of(line) if in_body else self._note_section(paragraph, line)
        self.anchors.append(SourceAnchor(name, line, anchor_kind, section, row, column))

    def _note_section(self, paragraph: ooxml.Element, line: int) -> str:
        note = paragraph.getparent()
        while note is not None and note.get(_ID) is None:
            note = note.getparent()
        found = self.note_sections.get(note.get(_ID, "")) if note is not None else None
        return found if found is not None else self.headings.section_of(line)


def _mark_unmarked_cells(body: ooxml.Element) -> None:
    """Marks the cells written with no source line (the document control's keys) with their row's line, so that
    every cell of a row from the source maps back to it."""
    for row in body.iter(_ROW):
        paragraphs = [paragraph for cell in row if cell.tag == _CELL for paragraph in cell.iter(_PARAGRAPH)]
        pending = next((name for paragraph in paragraphs for name in _pending_marks(paragraph)), None)
        if pending is None:
            continue
        for paragraph in paragraphs:
            if not _pending_marks(paragraph):
                start = ooxml_body.bookmark_start(0, pending)
                ooxml_body.move_after(ooxml_body.paragraph_properties(paragraph), start)


def _pending_marks(paragraph: ooxml.Element) -> list[str]:
    """The names of the marks `mark` put in the paragraph itself (not in a table nested in it)."""
    names = (child.get(_NAME, "") for child in paragraph if child.tag == _BOOKMARK_START)
    return [name for name in names if _KIND_SEPARATOR in name and name.startswith(ANCHOR_PREFIX)]


def _deleted_whole(paragraph: ooxml.Element) -> bool:
    """Whether all the paragraph's text is tracked as deleted (a comparison's old words, in w:delText only)."""
    return paragraph.find(f".//{_DELETED_TEXT}") is not None and paragraph.find(f".//{_TEXT}") is None


def _placed_kind(paragraph: ooxml.Element, kind: str) -> tuple[AnchorKind, int, int]:
    """The anchor's kind where its paragraph ended up (a table cell, a list item), and its cell's row and column."""
    cell = paragraph.getparent()
    row_index = column = -1
    if cell is not None and cell.tag == _CELL:
        row = cell.getparent()
        table = row.getparent() if row is not None else None
        if row is not None and table is not None:
            row_index = [child for child in table if child.tag == _ROW].index(row)
            column = sum(_grid_span(before) for before in _cells_before(row, cell))
    match kind:
        case "heading" | "code" | "footnote":
            return kind, row_index, column
        case _ if row_index >= 0:
            return "table-cell", row_index, column
        case _ if paragraph.find(f"{_PARAGRAPH_PROPERTIES}/{_NUMBERING}") is not None:
            return "list-item", row_index, column
        case _:
            return "paragraph", row_index, column


def _cells_before(row: ooxml.Element, cell: ooxml.Element) -> Iterable[ooxml.Element]:
    for child in row:
        if child is cell:
            return
        if child.tag == _CELL:
            yield child


def _grid_span(cell: ooxml.Element) -> int:
    span = cell.find(f"{ooxml.clark('w:tcPr')}/{_GRID_SPAN}")
    value = span.get(ooxml.VAL, "1") if span is not None else "1"
    return int(value) if value.isdigit() else 1


def _annotation_ids(story: ooxml.Element) -> Iterable[int]:
    for element in story.iter(*_ANNOTATIONS):
        value = element.get(_ID, "")
        if value.isdigit():
            yield int(value)


def _own_changes(stories: list[ooxml.Element]) -> tuple[tuple[str, str], ...]:
    """The (author, date) signatures of the tracked changes written so far: ours, a comparison's."""
    found = {
        (element.get(_AUTHOR, ""), element.get(_DATE, ""))
        for story in stories
        for element in story.iter(*_REVISIONS)
        if element.get(_AUTHOR) is not None
    }
    return tuple(sorted(found))


def _footnote_elements(document: DocxDocument) -> list[ooxml.Element]:
    return [
        cast(StoryPart, relationship.target_part).element
        for relationship in document.part.rels.values()
        if not relationship.is_external and relationship.reltype == RELATIONSHIP_TYPE.FOOTNOTES
    ]


def _digest(path: Path) -> str:
    """The source file's digest, "" when there is no such file (standard input) or it can't be read."""
    try:
        return source_digest(path.read_bytes()) if path.is_file() else ""
    except OSError:
        return ""


def _item_id(source_map: SourceMap) -> str:
    """The part's GUID, made from what it records, so that the file stays byte-for-byte reproducible."""
    return "{" + str(uuid.uuid5(uuid.NAMESPACE_URL, f"{NAMESPACE}:{source_map.path}:{source_map.digest}")).upper() + "}"
