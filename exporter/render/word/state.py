"""What the Word writer accumulates as it goes: bookmark names and ids, list numbering instances, image
parts and the footnotes already cited. Everything else a call needs is in its read-only `Context`."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from docx.document import Document as DocxDocument

from exporter.enrich.outline import footnote_ref_id
from exporter.model.tree import Anchor, Document, Heading, block_inlines, walk_blocks, walk_inlines
from exporter.render.word import ooxml, ooxml_body, package, styles

MAX_LIST_LEVEL = 8  # Word numbering has nine levels, 0 to 8
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
                if isinstance(block, Heading) and block.id:
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
        bookmark_id = self._next_id
        self._next_id += 1
        return ooxml_body.bookmark_start(bookmark_id, name), ooxml_body.bookmark_end(bookmark_id)


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


@dataclass(slots=True)
class State:
    """The one mutable object of a writer run, shared by every call through its `Context`."""

    bookmarks: Bookmarks
    lists: ListNumbering
    images: package.ImageParts = field(default_factory=package.ImageParts)
    links: package.Hyperlinks = field(default_factory=package.Hyperlinks)
    cited_notes: set[int] = field(default_factory=set)  # notes whose first reference is placed

    @classmethod
    def start(cls, tree: Document, document: DocxDocument) -> State:
        return cls(Bookmarks.for_document(tree), ListNumbering(document))
