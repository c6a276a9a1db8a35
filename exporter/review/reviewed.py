"""What a reviewer did to a Word file we wrote: their comments and tracked changes, each tied to one of our hidden
anchors (exporter/review/source_map.py).

The file is read with the standard library only (zipfile, ElementTree), within size limits, since it comes from
someone else. Each comment or change is tied to the anchor around it; else to its paragraph's anchor (Word may put a
comment's start before our bookmark's); else to the nearest anchor before it, else the nearest after it: a reviewer
may have deleted or retyped the paragraph whose anchor it was, and nothing they wrote is ever dropped.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, TypeAlias
from xml.etree import ElementTree

from exporter.review.source_map import SourceMap, anchor_line, from_xml

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
MAX_PART_BYTES = 256 * 1024 * 1024  # a Word part larger than this is not a reviewed design document
MAX_RATIO = 200  # unpacked over packed, for parts over a mebibyte
RATIO_CHECKED_FROM = 1024 * 1024
MAX_CUSTOM_PARTS = 1000
STORIES = (("word/document.xml", "body"), ("word/footnotes.xml", "footnotes"))
_CUSTOM_ITEM = re.compile(r"customXml/item\d+\.xml", re.IGNORECASE)
# Characters the writer adds for line breaking that the source never has: zero-width spaces, soft hyphens.
_INVISIBLE = str.maketrans("", "", "\u200b\u00ad")

Placement: TypeAlias = Literal["inside", "linked", "preceding", "following"]
Segment: TypeAlias = Literal["same", "inserted", "deleted"]
# Text the export itself marked deleted (a comparison's old words): not in the source, and not the reviewer's.
_OURS_DELETED: Literal["ours-deleted"] = "ours-deleted"


class ReviewedFileError(ValueError):
    """A file `review` can't read; the message says why, in a few words."""


@dataclass(frozen=True, slots=True)
class Spot:
    """Where a comment or change is: the anchor it maps to, and how (`inside` its anchor's paragraph; `linked`, on
    an entry of the contents, at the heading the entry links to; or at the nearest anchor `preceding` or
    `following` it, when it has none of its own)."""

    anchor: str
    placement: Placement
    story: str  # "body" or "footnotes"


@dataclass(frozen=True, slots=True)
class Comment:
    author: str
    initials: str
    date: str  # as the file has it, ISO 8601
    text: str  # its paragraphs, joined by line breaks
    quoted: str  # the text it is on, as the document had it before any tracked change
    spot: Spot


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A tracked change: `old` replaced by `new` (either may be empty). `before` and `after` are the rest of its
    paragraph, as it was. `problem` says why it is not a plain text edit within one paragraph ("" when it is)."""

    author: str
    date: str
    old: str
    new: str
    before: str
    after: str
    spot: Spot
    problem: str = ""


@dataclass(frozen=True, slots=True)
class ReviewedFile:
    source_map: SourceMap | None  # None when the reviewer's tool dropped the custom XML part
    anchors: tuple[str, ...]  # every anchor name still in the file, in document order
    comments: tuple[Comment, ...]
    suggestions: tuple[Suggestion, ...]


def read_reviewed(path: Path) -> ReviewedFile:
    """The comments and tracked changes of a Word file, each at its anchor. ReviewedFileError when the file is
    not a Word file or has none of our anchors."""
    parts = _read_parts(path)
    maps = (from_xml(data) for name, data in parts.items() if _CUSTOM_ITEM.fullmatch(name))
    source_map = next((found for found in maps if found is not None), None)
    walker = _Walker(frozenset(source_map.own_changes) if source_map is not None else frozenset())
    for part_name, story in STORIES:
        if (data := parts.get(part_name)) is not None:
            walker.walk_story(_parse(data, part_name), story)
    walker.link_contents()
    if not walker.anchors:
        raise ReviewedFileError(
            "has no source anchors: it was not written by designexport, or a tool removed its bookmarks"
        )
    comments_part = parts.get("word/comments.xml")
    comments = walker.comments(_comment_texts(_parse(comments_part, "word/comments.xml")) if comments_part else {})
    return ReviewedFile(source_map, tuple(walker.anchors), comments, tuple(walker.suggestions()))


# ---------------------------------------------------------------- the package


def _read_parts(path: Path) -> dict[str, bytes]:
    """The stories, the comments and the custom XML items, by part name, each read within the limits."""
    try:
        with zipfile.ZipFile(path) as package:
            entries = {entry.filename: entry for entry in package.infolist()}
            wanted = [name for name in entries if _CUSTOM_ITEM.fullmatch(name)][:MAX_CUSTOM_PARTS]
            stories = ("word/document.xml", "word/footnotes.xml", "word/comments.xml")
            wanted += [name for name in stories if name in entries]
            if "word/document.xml" not in entries:
                raise ReviewedFileError("is not a Word document (it has no word/document.xml)")
            return {name: _read_entry(package, entries[name]) for name in wanted}
    except OSError as error:
        raise ReviewedFileError(f"can't be read ({error.strerror or error})") from None
    except (zipfile.BadZipFile, EOFError, ValueError) as error:
        if isinstance(error, ReviewedFileError):
            raise
        raise ReviewedFileError(f"is not a Word document ({error})") from None


def _read_entry(package: zipfile.ZipFile, entry: zipfile.ZipInfo) -> bytes:
    if entry.file_size > MAX_PART_BYTES:
        raise ReviewedFileError(f"its part {entry.filename} unpacks to more than {MAX_PART_BYTES // 2**20} MiB")
    if entry.file_size > RATIO_CHECKED_FROM and entry.file_size > MAX_RATIO * max(entry.compress_size, 1):
        raise ReviewedFileError(f"its part {entry.filename} is compressed more than {MAX_RATIO} to 1")
    with package.open(entry) as stream:
        data = stream.read(MAX_PART_BYTES + 1)  # the header may understate the size
    if len(data) > MAX_PART_BYTES:
        raise ReviewedFileError(f"its part {entry.filename} unpacks to more than {MAX_PART_BYTES // 2**20} MiB")
    return data


def _parse(data: bytes, name: str) -> ElementTree.Element:
    # Anywhere in the part: comments may push a DOCTYPE far down. Word never declares entities, and text can't hold a
    # raw "<", so no Word file has these bytes.
    if data[:2] in (b"\xff\xfe", b"\xfe\xff", b"<\x00", b"\x00<"):  # where the search below would see nothing
        raise ReviewedFileError(f"its part {name} is UTF-16, which no Word file we read back is")
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise ReviewedFileError(f"its part {name} declares a DOCTYPE, which no Word file does")
    try:
        return ElementTree.fromstring(data)
    except ElementTree.ParseError as error:
        raise ReviewedFileError(f"its part {name} is not well-formed XML ({error})") from None


def _comment_texts(root: ElementTree.Element) -> dict[str, tuple[str, str, str, str]]:
    """Comment id -> (author, initials, date, text)."""
    found: dict[str, tuple[str, str, str, str]] = {}
    for comment in root.iter(f"{W}comment"):
        paragraphs = ["".join(_texts(paragraph)) for paragraph in comment.iter(f"{W}p")]
        found[comment.get(f"{W}id", "")] = (
            comment.get(f"{W}author", ""),
            comment.get(f"{W}initials", ""),
            comment.get(f"{W}date", ""),
            "\n".join(paragraphs).strip(),
        )
    return found


def _texts(paragraph: ElementTree.Element) -> Iterator[str]:
    for element in paragraph.iter():
        if element.tag in (f"{W}t", f"{W}delText"):
            yield element.text or ""
        elif element.tag == f"{W}tab":
            yield "\t"
        elif element.tag in (f"{W}br", f"{W}cr"):
            yield "\n"


# ---------------------------------------------------------------- walking the stories


@dataclass(slots=True)
class _Point:
    """A place in a story, until the anchor it maps to is known."""

    story: str
    open_anchor: str  # the innermost anchor open here
    paragraph: _Paragraph | None
    preceding: str  # the latest anchor started before it
    following: str = ""  # the first anchor started after it (filled in later)

    def spot(self, first_anchor: str) -> Spot:
        own = self.paragraph.anchor if self.paragraph is not None else ""
        if self.open_anchor or own:
            return Spot(self.open_anchor or own, "inside", self.story)
        if self.paragraph is not None and self.paragraph.linked_anchor:
            return Spot(self.paragraph.linked_anchor, "linked", self.story)
        if self.preceding:
            return Spot(self.preceding, "preceding", self.story)
        return Spot(self.following or first_anchor, "following", self.story)


@dataclass(slots=True)
class _Piece:
    kind: Segment
    text: str
    author: str = ""
    date: str = ""
    point: _Point | None = None
    reformatted: bool = False


@dataclass(slots=True)
class _Paragraph:
    anchor: str = ""  # the first anchor that starts in it
    link_target: str = ""  # the bookmark its first internal link goes to (an entry of the contents)
    linked_anchor: str = ""  # the anchor of the paragraph holding that bookmark, once all is read
    pieces: list[_Piece] = field(default_factory=list)
    mark_change: str = ""  # "inserted" / "deleted": the reviewer added or removed the paragraph's end


@dataclass(slots=True)
class _Change:
    kind: Segment | Literal["ours-deleted"]
    author: str
    date: str


class _Walker:
    """Walks the stories in document order, keeping which anchors are open and where each comment starts."""

    def __init__(self, own_changes: frozenset[tuple[str, str]]) -> None:
        self.own_changes = own_changes  # signatures of the export's own tracked changes: not the reviewer's
        self.anchors: list[str] = []
        self._open: dict[str, str] = {}  # bookmark id -> anchor name, in the order they opened
        self._paragraphs: list[_Paragraph] = []
        self._waiting: list[_Point] = []  # points before the next anchor
        self._starts: dict[str, _Point] = {}  # comment id -> where its range starts
        self._references: dict[str, _Point] = {}
        self._quoted: dict[str, list[str]] = {}  # comment id -> the text of its range so far, while open
        self._ended: set[str] = set()
        self._story = "body"
        self._bookmarked: dict[str, _Paragraph] = {}  # other bookmarks' names -> the paragraph each is in

    def walk_story(self, root: ElementTree.Element, story: str) -> None:
        self._story = story
        self._open.clear()
        self._walk(root, None, None)

    def _walk(self, element: ElementTree.Element, paragraph: _Paragraph | None, change: _Change | None) -> None:
        for child in element:
            tag = child.tag
            if tag == f"{W}p":
                inner = _Paragraph()
                self._paragraphs.append(inner)
                self._walk(child, inner, None)
            elif tag == f"{W}pPr":
                self._paragraph_mark(child, paragraph)
            elif tag == f"{W}bookmarkStart":
                self._anchor_start(child, paragraph)
            elif tag == f"{W}hyperlink":
                if paragraph is not None and not paragraph.link_target:
                    paragraph.link_target = child.get(f"{W}anchor", "")
                self._walk(child, paragraph, change)
            elif tag == f"{W}bookmarkEnd":
                self._open.pop(child.get(f"{W}id", ""), None)
            elif tag == f"{W}commentRangeStart":
                self._starts.setdefault(child.get(f"{W}id", ""), self._point(paragraph))
                self._quoted.setdefault(child.get(f"{W}id", ""), [])
            elif tag == f"{W}commentRangeEnd":
                self._ended.add(child.get(f"{W}id", ""))
            elif tag == f"{W}commentReference":
                self._references.setdefault(child.get(f"{W}id", ""), self._point(paragraph))
            elif tag in (f"{W}ins", f"{W}del", f"{W}moveTo", f"{W}moveFrom"):
                self._walk(child, paragraph, self._change(child, tag in (f"{W}ins", f"{W}moveTo"), change))
            elif tag == f"{W}r":
                self._run(child, paragraph, change)
            elif tag not in (f"{W}rPr", f"{W}sectPr", f"{W}tblPr", f"{W}trPr", f"{W}tcPr", f"{W}tblGrid"):
                self._walk(child, paragraph, change)

    def _change(self, element: ElementTree.Element, inserted: bool, outer: _Change | None) -> _Change | None:
        """A reviewer's insertion or deletion; the export's own insertions are the source's text as it is (the
        change around them, if any, still holds) and its own deletions are no text of the source at all."""
        author, date = element.get(f"{W}author", ""), element.get(f"{W}date", "")
        if (author, date) not in self.own_changes:
            return _Change("inserted" if inserted else "deleted", author, date)
        return outer if inserted else _Change(_OURS_DELETED, author, date)

    def _is_own(self, element: ElementTree.Element | None) -> bool:
        return element is not None and (
            (element.get(f"{W}author", ""), element.get(f"{W}date", "")) in self.own_changes
        )

    def _paragraph_mark(self, properties: ElementTree.Element, paragraph: _Paragraph | None) -> None:
        mark = properties.find(f"{W}rPr")
        if paragraph is None or mark is None:
            return
        inserted, deleted = mark.find(f"{W}ins"), mark.find(f"{W}del")
        if inserted is not None and not self._is_own(inserted):
            paragraph.mark_change = "inserted"
        elif deleted is not None and not self._is_own(deleted):
            paragraph.mark_change = "deleted"

    def _anchor_start(self, start: ElementTree.Element, paragraph: _Paragraph | None) -> None:
        name = start.get(f"{W}name", "")
        if anchor_line(name) is None:
            if paragraph is not None:
                self._bookmarked.setdefault(name, paragraph)  # a heading's, which the contents link to
            return
        self._open[start.get(f"{W}id", "")] = name
        self.anchors.append(name)
        if paragraph is not None and not paragraph.anchor:
            paragraph.anchor = name
        for point in self._waiting:
            point.following = name
        self._waiting.clear()

    def _point(self, paragraph: _Paragraph | None) -> _Point:
        open_anchor = next(reversed(self._open.values()), "")
        point = _Point(self._story, open_anchor, paragraph, self.anchors[-1] if self.anchors else "")
        if not open_anchor and not point.preceding:
            self._waiting.append(point)
        return point

    def _run(self, run: ElementTree.Element, paragraph: _Paragraph | None, change: _Change | None) -> None:
        properties = run.find(f"{W}rPr")
        format_change = properties.find(f"{W}rPrChange") if properties is not None else None
        reformatted = format_change is not None and not self._is_own(format_change)
        if reformatted and change is None and format_change is not None:
            change = _Change("same", format_change.get(f"{W}author", ""), format_change.get(f"{W}date", ""))
        for child in run:
            if child.tag == f"{W}commentReference":
                self._references.setdefault(child.get(f"{W}id", ""), self._point(paragraph))
                continue
            text = _run_text(child)
            if not text:
                continue
            self._add_text(text, paragraph, change, reformatted)

    def _add_text(self, text: str, paragraph: _Paragraph | None, change: _Change | None, reformatted: bool) -> None:
        if change is not None and change.kind == _OURS_DELETED:
            return
        kind: Segment = "same"
        if change is not None and change.kind != _OURS_DELETED:
            kind = change.kind
        if kind != "inserted":
            for comment_id, quoted in self._quoted.items():
                if comment_id not in self._ended:
                    quoted.append(text)
        if paragraph is None:
            return
        point = self._point(paragraph) if kind != "same" or reformatted else None
        author, date = (change.author, change.date) if change is not None else ("", "")
        paragraph.pieces.append(_Piece(kind, text, author, date, point, reformatted))

    # ---------------------------------------------------------- results

    def link_contents(self) -> None:
        """Gives each paragraph without an anchor that links within the file (an entry of the contents) the anchor
        of the paragraph its link goes to (the heading)."""
        for paragraph in self._paragraphs:
            target = self._bookmarked.get(paragraph.link_target) if paragraph.link_target else None
            if not paragraph.anchor and target is not None:
                paragraph.linked_anchor = target.anchor

    def comments(self, texts: dict[str, tuple[str, str, str, str]]) -> tuple[Comment, ...]:
        """Every comment of comments.xml, placed at its range's start, else at its reference, else at the first
        anchor: never left out."""
        first = self.anchors[0]
        found = []
        for comment_id, (author, initials, date, text) in texts.items():
            point = self._starts.get(comment_id) or self._references.get(comment_id)
            spot = point.spot(first) if point is not None else Spot(first, "following", "body")
            quoted = "".join(self._quoted.get(comment_id, ())).translate(_INVISIBLE)
            found.append(Comment(author, initials, date, text, quoted.strip(), spot))
        return tuple(found)

    def suggestions(self) -> Iterator[Suggestion]:
        """Each run of consecutive changed pieces of a paragraph is one suggestion: what it deletes and inserts."""
        first = self.anchors[0]
        for paragraph in self._paragraphs:
            pieces = paragraph.pieces
            index = 0
            while index < len(pieces):
                if pieces[index].kind == "same" and not pieces[index].reformatted:
                    index += 1
                    continue
                end = index
                while end < len(pieces) and (pieces[end].kind != "same" or pieces[end].reformatted):
                    end += 1
                yield _suggestion(paragraph, index, end, first)
                index = end


def _suggestion(paragraph: _Paragraph, start: int, end: int, first_anchor: str) -> Suggestion:
    pieces = paragraph.pieces
    changed = pieces[start:end]
    lead = changed[0]
    assert lead.point is not None
    old = "".join(piece.text for piece in changed if piece.kind != "inserted")
    new = "".join(piece.text for piece in changed if piece.kind != "deleted")
    before = "".join(piece.text for piece in pieces[:start] if piece.kind != "inserted")
    after = "".join(piece.text for piece in pieces[end:] if piece.kind != "inserted")
    author = next((piece.author for piece in changed if piece.author), "")
    date = next((piece.date for piece in changed if piece.date), "")
    problem = ""
    if paragraph.mark_change == "inserted":
        problem = "it adds or splits a paragraph"
    elif paragraph.mark_change == "deleted":
        problem = "it joins or removes paragraphs"
    elif all(piece.kind == "same" for piece in changed):
        problem = "it changes formatting, not text"
    elif any(piece.reformatted for piece in changed):
        problem = "it changes formatting as well as text"
    clean = str.translate
    return Suggestion(
        author,
        date,
        clean(old, _INVISIBLE),
        clean(new, _INVISIBLE),
        clean(before, _INVISIBLE),
        clean(after, _INVISIBLE),
        lead.point.spot(first_anchor),
        problem,
    )


def _run_text(element: ElementTree.Element) -> str:
    match element.tag:
        case tag if tag in (f"{W}t", f"{W}delText"):
            return element.text or ""
        case tag if tag == f"{W}tab":
            return "\t"
        case tag if tag in (f"{W}br", f"{W}cr"):
            return "\n"
        case tag if tag == f"{W}noBreakHyphen":
            return "-"
        case _:
            return ""
