"""The map from a Word file we wrote back to its Markdown source: the names of the hidden bookmarks around each
paragraph, table cell and list item, and the custom XML part that says, for each name, its line, kind and section.

Both the Word writer (which makes them) and `review` (which reads them back from a reviewed file) use this one
definition. A name alone carries the line (`_dx12_3`: line 12, third anchor on it), so a file whose custom XML part
a reviewer's tool dropped still maps back; the part adds the kind, the table position and the section.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Literal, TypeAlias, get_args
from xml.etree import ElementTree

# Word hides bookmarks whose names start with an underscore from its bookmark list; heading bookmarks never do.
ANCHOR_PREFIX = "_dx"
NAMESPACE = "urn:designexport:source-map:1"
ROOT_TAG = f"{{{NAMESPACE}}}sourceMap"
ANCHOR_TAG = f"{{{NAMESPACE}}}anchor"
OWN_CHANGES_TAG = f"{{{NAMESPACE}}}ownChanges"  # the signature of the tracked changes the export itself wrote
_NAME = re.compile(rf"{ANCHOR_PREFIX}(\d+)_(\d+)")

AnchorKind: TypeAlias = Literal["paragraph", "heading", "list-item", "table-cell", "code", "footnote"]
ANCHOR_KINDS: tuple[AnchorKind, ...] = get_args(AnchorKind)


def anchor_name(line: int, ordinal: int) -> str:
    """The bookmark name of the `ordinal`-th anchor (from 1) on a source line."""
    return f"{ANCHOR_PREFIX}{line}_{ordinal}"


def anchor_line(name: str) -> int | None:
    """The source line an anchor's name carries; None for any other bookmark."""
    found = _NAME.fullmatch(name)
    return int(found.group(1)) if found else None


def source_digest(data: bytes) -> str:
    """How the map records the source's bytes, to tell later whether the file changed since."""
    return f"sha256:{hashlib.sha256(data).hexdigest()}"


@dataclass(frozen=True, slots=True)
class SourceAnchor:
    """One anchor: where its paragraph comes from. `row` and `column` (from 0; row 0 is the first heading row)
    place a table cell, -1 elsewhere; `section` is the id of the heading it comes under ("" before any)."""

    name: str
    line: int
    kind: AnchorKind
    section: str
    row: int = -1
    column: int = -1


@dataclass(frozen=True, slots=True)
class SourceMap:
    """`path` and `file` are the source's file name (no folders: the Word file goes to others); `digest` is ""
    when its bytes were not at hand (standard input)."""

    path: str
    file: str
    digest: str
    anchors: tuple[SourceAnchor, ...]
    # (author, date) of each tracked change the export wrote (a comparison): those are not a reviewer's
    own_changes: tuple[tuple[str, str], ...] = ()


def to_xml(source_map: SourceMap) -> bytes:
    """The custom XML part's content: the same map always gives the same bytes."""
    root = ElementTree.Element(ROOT_TAG, {"path": source_map.path, "file": source_map.file})
    if source_map.digest:
        root.set("digest", source_map.digest)
    for anchor in source_map.anchors:
        attributes = {"name": anchor.name, "line": str(anchor.line), "kind": anchor.kind}
        if anchor.section:
            attributes["section"] = anchor.section
        if anchor.row >= 0:
            attributes["row"] = str(anchor.row)
            attributes["column"] = str(anchor.column)
        ElementTree.SubElement(root, ANCHOR_TAG, attributes)
    for author, date in source_map.own_changes:
        ElementTree.SubElement(root, OWN_CHANGES_TAG, {"author": author, "date": date})
    ElementTree.register_namespace("", NAMESPACE)
    body = ElementTree.tostring(root, encoding="unicode", short_empty_elements=True)
    return f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n{body}'.encode()


def from_xml(data: bytes) -> SourceMap | None:
    """The map in a custom XML part, None when the part is something else (or not a map we can read)."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff", b"<\x00", b"\x00<") or b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        return None
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError:
        return None
    if root.tag != ROOT_TAG:
        return None
    anchors = []
    for element in root.iter(ANCHOR_TAG):
        name, kind = element.get("name", ""), element.get("kind", "paragraph")
        line = anchor_line(name)
        if line is None:
            continue
        anchors.append(
            SourceAnchor(
                name,
                _number(element.get("line"), line),
                _kind(kind),
                element.get("section", ""),
                _number(element.get("row"), -1),
                _number(element.get("column"), -1),
            )
        )
    own = tuple((found.get("author", ""), found.get("date", "")) for found in root.iter(OWN_CHANGES_TAG))
    return SourceMap(root.get("path", ""), root.get("file", ""), root.get("digest", ""), tuple(anchors), own)


def _kind(text: str) -> AnchorKind:
    return next((kind for kind in ANCHOR_KINDS if kind == text), "paragraph")


def _number(text: str | None, default: int) -> int:
    return int(text) if text is not None and text.isdigit() else default
