"""What the Word writer accumulates as it goes: bookmark names and ids, tracked changes' ids, list numbering
instances, image parts and the footnotes already cited. Everything else a call needs is in its read-only
`Context`."""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Literal, TypeAlias

from docx.document import Document as DocxDocument

from exporter.enrich.moment import document_moment
from exporter.enrich.outline import footnote_ref_id
from exporter.model.tree import Anchor, Document, Heading, Revised, block_inlines, walk_blocks, walk_inlines
from exporter.render.word import ooxml, ooxml_body, package, styles

MAX_LIST_LEVEL = 8  # Word numbering has nine levels, 0 to 8
# The two versions a comparison's file holds: accepting every change gives the new one, rejecting the old.
Version: TypeAlias = Literal["new", "old"]
BOTH_VERSIONS: frozenset[Version] = frozenset(("new", "old"))
VERSION_OF: dict[ooxml_body.TrackKind, frozenset[Version]] = {
    "inserted": frozenset(("new",)),
    "deleted": frozenset(("old",)),
}
BOOKMARK_MAX_LENGTH = 40
_BOOKMARK_UNSAFE = re.compile(r"[^A-Za-z0-9_]+")
_BULLETS = ("\u2022", "\u25e6", "\u25aa")
_BULLET_SIZES = (0.0, 0.0, 7.0)  # DejaVu's small square is large next to its bullet
_ORDERED_FORMATS = ("decimal", "lowerLetter", "lowerRoman")


class Bookmarks:
    """Word bookmark names for element ids: at most 40 characters, starting with a letter, unique."""

    def __init__(self) -> None:
        self._names: dict[str, str] = {}
        self._taken: set[str] = set()
        self._placed: set[str] = set()
        self._next_id = 1

    @classmethod
    def for_document(cls, tree: Document) -> Bookmarks:
        """Names for every heading and raw anchor, before anything links to them; and for each note's first
        reference, which later references point to."""
        bookmarks = cls()
        for note_blocks in (tree.blocks, *(note.children for note in tree.footnotes)):
            for block in walk_blocks(note_blocks):
                if isinstance(block, Heading | Revised) and block.id:  # a Revised: what the summary links to
                    bookmarks.register(block.id)
                for node in walk_inlines(block_inlines(block)):
                    if isinstance(node, Anchor) and node.id:
                        bookmarks.register(node.id)
        for note in tree.footnotes:
            bookmarks.register(footnote_ref_id(note.number))
        return bookmarks

    def register(self, identifier: str) -> str:
        if identifier in self._names:
            return self._names[identifier]
        name = candidate = _bookmark_name(identifier)
        counter = 1
        while candidate in self._taken:
            counter += 1
            suffix = f"_{counter}"
            candidate = name[: BOOKMARK_MAX_LENGTH - len(suffix)] + suffix
        self._taken.add(candidate)
        self._names[identifier] = candidate
        return candidate

    def name_of(self, identifier: str) -> str | None:
        return self._names.get(identifier)

    def place(self, identifier: str) -> tuple[ooxml.Element, ooxml.Element] | None:
        """The start and end markers of the identifier's bookmark, the first time it is placed; else None."""
        name = self.name_of(identifier)
        if name is None or name in self._placed:
            return None
        self._placed.add(name)
        bookmark_id = self.next_id()
        return ooxml_body.bookmark_start(bookmark_id, name), ooxml_body.bookmark_end(bookmark_id)

    def next_id(self) -> int:
        """An id no bookmark or tracked change of the document has yet: Word wants them unique across both."""
        taken = self._next_id
        self._next_id += 1
        return taken


def _bookmark_name(identifier: str) -> str:
    """ASCII letters, digits and underscores; a hash keeps lossy or long names distinct."""
    name = _BOOKMARK_UNSAFE.sub("_", identifier).strip("_")
    lossy = name != identifier.replace("-", "_")
    if not name[:1].isalpha():
        name = f"id_{name}".rstrip("_")
        lossy = True
    if lossy or len(name) > BOOKMARK_MAX_LENGTH:
        digest = hashlib.sha1(identifier.encode("utf-8")).hexdigest()[:8]
        name = f"{name[: BOOKMARK_MAX_LENGTH - 9]}_{digest}"
    return name


class ListNumbering:
    """Two list definitions, bullets and ordered, and one numbering instance per ordered list."""

    def __init__(self, document: DocxDocument) -> None:
        self._numbering = ooxml.numbering_definitions(document)
        first_abstract, self._next_num = ooxml.first_free_numbering_ids(self._numbering)
        self._bullet_abstract = first_abstract
        self._ordered_abstract = first_abstract + 1
        self._bullet_num: int | None = None
        step = styles.LIST_INDENT_TWIPS
        bullet_levels = [
            ooxml.ListLevel(
                "bullet", _BULLETS[level % 3], step * (level + 1), step, styles.SYMBOL_FONT, _BULLET_SIZES[level % 3]
            )
            for level in range(MAX_LIST_LEVEL + 1)
        ]
        ordered_levels = [
            ooxml.ListLevel(_ORDERED_FORMATS[level % 3], f"%{level + 1}.", step * (level + 1), step)
            for level in range(MAX_LIST_LEVEL + 1)
        ]
        ooxml.add_abstract_numbering(self._numbering, ooxml.abstract_numbering(self._bullet_abstract, bullet_levels))
        ooxml.add_abstract_numbering(self._numbering, ooxml.abstract_numbering(self._ordered_abstract, ordered_levels))

    def bullets(self) -> int:
        if self._bullet_num is None:
            self._bullet_num = self._instance(self._bullet_abstract, 0, 1)
        return self._bullet_num

    def ordered(self, level: int, start: int) -> int:
        """A fresh instance, so each list counts from its own Markdown start number."""
        return self._instance(self._ordered_abstract, level, start)

    def _instance(self, abstract_id: int, level: int, start: int) -> int:
        num_id = self._next_num
        self._next_num += 1
        ooxml.add_numbering_instance(self._numbering, num_id, abstract_id, level, max(start, 0))
        return num_id


class Revisions:
    """Tracked changes (ECMA-376 part 1, 17.13.5), each signed with the comparison's author and date and
    numbered from the bookmarks' count; and the versions what is being written shows in (`shown`)."""

    def __init__(self, stamp: ooxml_body.Stamp, bookmarks: Bookmarks) -> None:
        self.stamp = stamp
        self._ids = bookmarks.next_id
        self._within: list[ooxml_body.TrackKind] = []

    @property
    def shown(self) -> frozenset[Version]:
        """The versions what is written now is part of: both, but only the new one inside an insertion and only
        the old one inside a deletion."""
        shown = BOTH_VERSIONS
        for kind in self._within:
            shown &= VERSION_OF[kind]
        return shown

    @contextlib.contextmanager
    def within(self, kind: ooxml_body.TrackKind | None) -> Iterator[None]:
        """While content that will be tracked as `kind` (None: not tracked) is written."""
        if kind is not None:
            self._within.append(kind)
        try:
            yield
        finally:
            if kind is not None:
                self._within.pop()

    @classmethod
    def for_document(cls, tree: Document, bookmarks: Bookmarks) -> Revisions:
        """Signed as the summary of changes says; a tree with changes but no summary, by designexport at the
        document's own time."""
        if tree.changes is not None:
            return cls(ooxml_body.Stamp(tree.changes.author, _revision_date(tree.changes.date)), bookmarks)
        moment = document_moment(tree) or datetime.datetime.now(datetime.UTC)
        return cls(ooxml_body.Stamp("designexport", _revision_date(moment.isoformat())), bookmarks)

    def track_inlines(self, parent: ooxml.Element, start: int, kind: ooxml_body.TrackKind) -> None:
        """The content written into the paragraph (or hyperlink) from child `start` on, inserted or deleted."""
        ooxml_body.track_content(parent, start, kind, self.stamp, self._ids)

    def track_format(self, parent: ooxml.Element, start: int, former: ooxml_body.RunProperties) -> None:
        """The runs written into the paragraph (or hyperlink) from child `start` on, formatted `former` before."""
        for run in ooxml_body.runs_from(parent, start):
            ooxml_body.track_format(run, former, self.stamp, self._ids())

    def track_paragraph(self, paragraph: ooxml.Element, kind: ooxml_body.TrackKind, *, mark: bool = True) -> None:
        """The whole paragraph, its mark too (unless `mark` is False), so that it goes whole. A paragraph ending a
        section keeps its mark: a tracked section break would take the page setup with it."""
        ooxml_body.track_content(paragraph, 0, kind, self.stamp, self._ids)
        if mark and not ooxml_body.ends_section(paragraph):
            ooxml_body.track_paragraph_mark(paragraph, kind, self.stamp, self._ids())

    def track_blocks(self, blocks: Iterable[ooxml.Element], kind: ooxml_body.TrackKind) -> None:
        """Paragraphs and tables whole: every run, every paragraph mark, and every row of a table."""
        for element in blocks:
            if ooxml_body.is_table(element):
                for row in ooxml_body.rows_within(element):
                    ooxml_body.track_row(row, kind, self.stamp, self._ids())
            for paragraph in ooxml_body.paragraphs_within(element):
                self.track_paragraph(paragraph, kind)

    def track_row(self, row: ooxml.Element, kind: ooxml_body.TrackKind) -> None:
        """A table row only one version has: the row revision, and its cells' paragraphs with their marks."""
        self.track_blocks([row], kind)
        ooxml_body.track_row(row, kind, self.stamp, self._ids())

    def track_cell_content(self, cell: ooxml.Element, kind: ooxml_body.TrackKind) -> None:
        """A cell's content, its last paragraph mark aside: Word keeps a cell's last paragraph whatever it is."""
        paragraphs = list(ooxml_body.paragraphs_within(cell))
        for index, paragraph in enumerate(paragraphs):
            self.track_paragraph(paragraph, kind, mark=index < len(paragraphs) - 1)


@dataclass(frozen=True, slots=True)
class Citation:
    """How one footnote reference is written: a real reference to footnote `real` (None: none), with the
    bookmark named for `real_identifier` around it, for the versions `real_versions`; and for the versions the note
    was cited in before, fields pointing back to the `earlier` real references (bookmark names)."""

    real: int | None
    real_identifier: str
    real_versions: frozenset[Version]
    earlier: tuple[tuple[str, frozenset[Version]], ...]


class Citations:
    """Where each note's real footnote reference is, in each version a comparison's file holds: in each, the
    note's first reference is Word's footnote reference and later ones point back to it, as when that version is
    exported alone. A note cited first in deleted words and again in inserted ones gets a footnote for each, so
    that accepting or rejecting every change keeps one (Word removes a footnote with its reference)."""

    def __init__(self, tree: Document, bookmarks: Bookmarks) -> None:
        self._bookmarks = bookmarks
        self._real: dict[int, dict[Version, str]] = {}  # note number -> version -> bookmark of its real reference
        self._footnotes: dict[int, list[int]] = {}  # note number -> the footnote ids written for it
        self._next_extra_id = max((note.number for note in tree.footnotes), default=0) + 1

    def cite(self, number: int, shown: frozenset[Version]) -> Citation:
        """How a reference to note `number`, part of the versions `shown`, is written."""
        real = self._real.setdefault(number, {})
        uncited = frozenset(version for version in shown if version not in real)
        earlier: dict[str, frozenset[Version]] = {}
        for version in sorted(shown - uncited, reverse=True):  # the old version's first, as deletions go
            earlier[real[version]] = earlier.get(real[version], frozenset()) | {version}
        if not uncited:
            return Citation(None, "", frozenset(), tuple(earlier.items()))
        footnotes = self._footnotes.setdefault(number, [])
        identifier = footnote_ref_id(number)
        if footnotes:  # the note already has a footnote, for the other version: this one gets its own
            identifier = f"{identifier}-{len(footnotes) + 1}"
            footnotes.append(self._next_extra_id)
            self._next_extra_id += 1
        else:
            footnotes.append(number)
        bookmark = self._bookmarks.register(identifier)
        for version in uncited:
            real[version] = bookmark
        return Citation(footnotes[-1], identifier, uncited, tuple(earlier.items()))

    def footnote_ids(self, number: int) -> tuple[int, ...]:
        """The ids of the footnotes written for note `number`: none when nothing cites it."""
        return tuple(self._footnotes.get(number, ()))


def _revision_date(iso: str) -> str:
    """An ISO 8601 moment as Word's revision dates are written, in UTC to the second; a moment without a zone is
    taken to be UTC, and one that can't be read is now."""
    try:
        moment = datetime.datetime.fromisoformat(iso)
    except ValueError:
        moment = datetime.datetime.now(datetime.UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(slots=True)
class State:
    """The one mutable object of a writer run, shared by every call through its `Context`."""

    bookmarks: Bookmarks
    lists: ListNumbering
    revisions: Revisions
    citations: Citations
    images: package.ImageParts = field(default_factory=package.ImageParts)
    links: package.Hyperlinks = field(default_factory=package.Hyperlinks)

    @classmethod
    def start(cls, tree: Document, document: DocxDocument) -> State:
        bookmarks = Bookmarks.for_document(tree)
        revisions = Revisions.for_document(tree, bookmarks)
        return cls(bookmarks, ListNumbering(document), revisions, Citations(tree, bookmarks))
