"""The reference document every Word file starts from, and a user's reference document in its place.

styles/reference.docx is built by scripts/build_reference_docx.py from the styles this backend
defines, so all formatting lives in named styles a user can change in one place.

A user's reference document is untrusted: it is read within zip limits (REFERENCE_LIMITS) and
reduced, before python-docx sees it, to a new package of the parts that carry its look: styles,
numbering, theme, font table (without embedded fonts: they are programs a reader would load, and
large) and settings, and the main part's page setup. Everything else stays behind: its text,
headers, footers and notes (we write our own), media, macros (vbaProject, vbaData), OLE objects,
ActiveX, altChunks, sub-documents, frames, customizations, custom XML, the attached template and
every external relationship. stylesWithEffects goes too: it is Word 2010's copy of styles.xml, and
would lack the styles we add. In what stays, every element that points at a relationship or a
location (r:id, r:embed, o:relid, src, href) is removed, since none of their relationships are kept.
"""

from __future__ import annotations

import copy
import datetime
import io
import os
import posixpath
import stat
import urllib.parse
import zipfile
from functools import cache
from pathlib import Path
from typing import BinaryIO

import docx
from docx.document import Document as DocxDocument
from docx.opc.constants import CONTENT_TYPE, RELATIONSHIP_TYPE
from docx.opc.oxml import serialize_part_xml
from docx.oxml import parse_xml
from docx.oxml.ns import qn
from docx.section import Section
from docx.shared import Pt

from exporter.assets import asset_dir
from exporter.read.theme import DEFAULT_THEME, Theme, load_theme
from exporter.render.options import MARGIN_BOTTOM_PT, MARGIN_SIDE_PT, MARGIN_TOP_PT, PAPER_SIZES, Paper
from exporter.render.word import ooxml, package, styles

REFERENCE_FILE = "reference.docx"
REFERENCE_PAPER: Paper = "a4"
REFERENCE_MOMENT = datetime.datetime(2000, 1, 1)
STYLE_REFERENCES = ("w:basedOn", "w:next", "w:link")

MIB = package.MIB
MAX_REFERENCE_FILE_BYTES = 64 * MIB
# A reference document holds styles: a few MiB unpacked at most. 64 MiB leaves room for a template
# with its own pictures; a ratio over 100 for a part above 1 MiB is a zip bomb, not a Word file.
REFERENCE_LIMITS = package.ZipLimits(
    max_entries=2_000, max_unpacked_bytes=64 * MIB, max_ratio=100, ratio_checked_from=1 * MIB
)
# Each XML part we parse: 16 MiB of the smallest elements is ~3 million nodes, a few hundred MiB parsed.
MAX_XML_PART_BYTES = 16 * MIB
PACKAGE_RELS = "_rels/.rels"
CONTENT_TYPES = "[Content_Types].xml"
MAIN_PART = "word/document.xml"
RELS_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
CONTENT_TYPES_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
# Where a part may point at a relationship or a location: r:id, r:embed, r:link (and Strict's), VML's o:relid.
RELATIONSHIP_NAMESPACES = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "http://purl.oclc.org/ooxml/officeDocument/relationships",
)
VML_OFFICE_RELID = "{urn:schemas-microsoft-com:office:office}relid"
LOCATION_ATTRIBUTES = ("src", "href")
# The main part of a Word document, template, or their macro-enabled kinds: all become a plain document.
WORD_MAIN_TYPES = frozenset(
    {
        CONTENT_TYPE.WML_DOCUMENT_MAIN,
        "application/vnd.ms-word.document.macroEnabled.main+xml",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml",
        "application/vnd.ms-word.template.macroEnabledTemplate.main+xml",
    }
)
# The parts a reference lends its look through, under the names and types we give them.
KEPT_PARTS = {
    RELATIONSHIP_TYPE.STYLES: ("word/styles.xml", CONTENT_TYPE.WML_STYLES),
    RELATIONSHIP_TYPE.NUMBERING: ("word/numbering.xml", CONTENT_TYPE.WML_NUMBERING),
    RELATIONSHIP_TYPE.THEME: ("word/theme/theme1.xml", CONTENT_TYPE.OFC_THEME),
    RELATIONSHIP_TYPE.FONT_TABLE: ("word/fontTable.xml", CONTENT_TYPE.WML_FONT_TABLE),
    RELATIONSHIP_TYPE.SETTINGS: ("word/settings.xml", CONTENT_TYPE.WML_SETTINGS),
}
# Settings that point into parts left behind, pull in the template or its data, lock or prompt,
# split headers, or identify the file they came from.
DROPPED_SETTINGS = (
    *(
        qn(tag)
        for tag in (
            "w:writeProtection", "w:documentProtection", "w:attachedTemplate", "w:linkStyles", "w:mailMerge",
            "w:docVars", "w:attachedSchema", "w:saveThroughXslt", "w:useXSLTWhenSaving",
            "w:evenAndOddHeaders", "w:updateFields", "w:footnotePr", "w:endnotePr", "w14:docId",
        )
    ),
    "{http://schemas.microsoft.com/office/word/2012/wordml}docId",  # w15, which python-docx doesn't name
)  # fmt: skip
# Picture bullets need pictures, which stay behind.
DROPPED_NUMBERING = (qn("w:numPicBullet"), qn("w:lvlPicBulletId"))


class ReferenceDocxError(ValueError):
    """A user's reference document that can't be used; the message says why."""


def build_reference_docx() -> bytes:
    """styles/reference.docx: the default theme's styles on A4, an empty body, nothing left from the template."""
    document = docx.Document()
    package.remove_template_leftovers(document)
    set_page_geometry(document.sections[0], REFERENCE_PAPER)
    defined = styles.install_styles(document, text_width_pt(REFERENCE_PAPER), load_theme(DEFAULT_THEME))
    styles.set_east_asian_language(document, "en-US")
    _keep_only_styles(document, defined)
    _clear_numbering(document)
    _clear_body(document)
    properties = document.core_properties
    for name in ("title", "subject", "keywords", "category", "comments", "content_status"):
        setattr(properties, name, "")
    properties.author = properties.last_modified_by = "designexport"
    properties.revision = 1
    properties.created = properties.modified = REFERENCE_MOMENT
    return package.save(document)


@cache
def reference_bytes() -> bytes:
    path = asset_dir("styles") / REFERENCE_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing; build it with scripts/build_reference_docx.py")
    return path.read_bytes()


def our_document(theme: Theme, paper: Paper, text_width: float | None = None) -> DocxDocument:
    """A new document from our reference, restyled when the theme, paper or text width differs from the reference's."""
    document = docx.Document(io.BytesIO(reference_bytes()))
    width = text_width if text_width is not None else text_width_pt(paper)
    same_width = abs(width - text_width_pt(REFERENCE_PAPER)) < 0.5
    if paper != REFERENCE_PAPER:
        set_page_geometry(document.sections[0], paper)
    if theme != load_theme(DEFAULT_THEME) or not same_width:
        styles.install_styles(document, width, theme)
    return document


def user_document(path: Path) -> DocxDocument:
    """The user's file reduced to its styles, numbering, theme, fonts, settings and page setup."""
    try:
        reduced = reduced_reference(path)
        document = docx.Document(io.BytesIO(reduced))
    except package.UnsafePackageError as error:
        raise ReferenceDocxError(f"cannot use reference DOCX {str(path)!r}: {error}") from None
    except Exception as error:  # python-docx raises bare ValueError, KeyError...
        detail = str(error) or type(error).__name__
        raise ReferenceDocxError(f"cannot use reference DOCX {str(path)!r}: {detail}") from None
    package.set_application(document, "designexport")  # not the reference's application and company
    return document


def reduced_reference(path: Path) -> bytes:
    """A new package holding only what a reference document lends (see the module's docstring)."""
    with _open_regular_file(path) as file:
        size = os.fstat(file.fileno()).st_size
        if size > MAX_REFERENCE_FILE_BYTES:
            raise package.UnsafePackageError(f"it is {size} bytes, over the {MAX_REFERENCE_FILE_BYTES}-byte limit")
        archive = package.BoundedZip(file, size, REFERENCE_LIMITS)
        try:
            return _Reducer(archive).reduce()
        finally:
            archive.close()


def _open_regular_file(path: Path) -> BinaryIO:
    """The file, opened without blocking (a FIFO would wait for a writer) and only if it is a regular file."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        descriptor = os.open(path, flags)
    except OSError as error:
        raise package.UnsafePackageError(error.strerror or "it can't be read") from None
    if not stat.S_ISREG(os.fstat(descriptor).st_mode):
        os.close(descriptor)
        raise package.UnsafePackageError("it is not a regular file")
    return os.fdopen(descriptor, "rb")


def copy_missing_styles(target: DocxDocument, source: DocxDocument) -> list[str]:
    """Copies each style of `source` whose name `target` lacks, with the styles it is based on,
    followed by or linked to. Returns the names copied."""
    copier = _StyleCopier(target, source)
    for element in source.styles.element.iterchildren(qn("w:style")):
        copier.ensure(_style_name(element))
    return copier.copied


def set_page_geometry(section: Section, paper: Paper) -> None:
    width, height = PAPER_SIZES[paper]
    section.page_width = Pt(width)
    section.page_height = Pt(height)
    section.left_margin = section.right_margin = Pt(MARGIN_SIDE_PT)
    section.top_margin = Pt(MARGIN_TOP_PT)
    section.bottom_margin = Pt(MARGIN_BOTTOM_PT)
    section.header_distance = Pt(MARGIN_TOP_PT / 2)
    section.footer_distance = Pt(MARGIN_BOTTOM_PT / 2)


def text_width_pt(paper: Paper) -> float:
    return PAPER_SIZES[paper][0] - 2 * MARGIN_SIDE_PT


# ---------------------------------------------------------------- style plumbing


class _StyleCopier:
    def __init__(self, target: DocxDocument, source: DocxDocument) -> None:
        self.target = target.styles.element
        self.source = {_style_name(element): element for element in source.styles.element.iterchildren(qn("w:style"))}
        self.source_names = {element.get(qn("w:styleId")): name for name, element in self.source.items()}
        self.target_ids: dict[str, str] = {
            _style_name(element): element.get(qn("w:styleId")) or ""
            for element in self.target.iterchildren(qn("w:style"))
        }
        self.copied: list[str] = []

    def ensure(self, name: str) -> str | None:
        """The target's id for the style called `name`, copying it from the source when missing."""
        if name in self.target_ids:
            return self.target_ids[name]
        original = self.source.get(name)
        if original is None:
            return None
        element = copy.deepcopy(original)
        style_id = self._free_id(original.get(qn("w:styleId")) or "Style")
        element.set(qn("w:styleId"), style_id)
        self.target_ids[name] = style_id  # before its references, which may lead back to it
        self.target.append(element)
        self.copied.append(name)
        for tag in STYLE_REFERENCES:
            reference = element.find(qn(tag))
            if reference is None:
                continue
            wanted = self.source_names.get(reference.get(qn("w:val")))
            target_id = self.ensure(wanted) if wanted is not None else None
            if target_id is None:
                element.remove(reference)
            else:
                reference.set(qn("w:val"), target_id)
        return style_id

    def _free_id(self, style_id: str) -> str:
        taken = set(self.target_ids.values())
        candidate, counter = style_id, 1
        while candidate in taken:
            counter += 1
            candidate = f"{style_id}{counter}"
        return candidate


def _style_name(element: ooxml.Element) -> str:
    """The style's name, lower-cased: Word matches built-in names regardless of case."""
    name = element.find(qn("w:name"))
    value = name.get(qn("w:val")) if name is not None else None
    return (value or element.get(qn("w:styleId")) or "").casefold()


def _keep_only_styles(document: DocxDocument, names: tuple[str, ...]) -> None:
    """Removes every style but the named ones, the defaults and what those depend on."""
    root = document.styles.element
    elements = list(root.iterchildren(qn("w:style")))
    by_id = {element.get(qn("w:styleId")): element for element in elements}
    wanted = {name.casefold() for name in names}
    keep = [element for element in elements if _style_name(element) in wanted or element.get(qn("w:default")) == "1"]
    kept: set[int] = set()
    while keep:
        element = keep.pop()
        if id(element) in kept:
            continue
        kept.add(id(element))
        for tag in STYLE_REFERENCES:
            reference = element.find(qn(tag))
            if reference is not None and reference.get(qn("w:val")) in by_id:
                keep.append(by_id[reference.get(qn("w:val"))])
    for element in elements:
        if id(element) not in kept:
            root.remove(element)


def _clear_numbering(document: DocxDocument) -> None:
    numbering = document.part.numbering_part.element
    for element in list(numbering):
        numbering.remove(element)


def _clear_body(document: DocxDocument) -> None:
    body = document.element.body
    for element in list(body):
        if element.tag != qn("w:sectPr"):
            body.remove(element)


# ---------------------------------------------------------------- reducing a user's reference


class _Reducer:
    def __init__(self, archive: package.BoundedZip) -> None:
        self.archive = archive

    def reduce(self) -> bytes:
        content_types = self._content_types()
        main = self._main_part_name()
        main_type = _content_type(content_types, main)
        if main_type not in WORD_MAIN_TYPES:
            raise package.UnsafePackageError(f"it is not a Word document (its main part is {main_type or 'untyped'})")
        parts = {MAIN_PART: (_main_part(self._xml(main)), CONTENT_TYPE.WML_DOCUMENT_MAIN)}
        relationships: dict[str, str] = {}
        for reltype, target in self._relationships(_rels_name(main), posixpath.dirname(main)):
            if reltype not in KEPT_PARTS or reltype in relationships:
                continue
            data = self.archive.read(target, MAX_XML_PART_BYTES)
            if data is None:
                continue
            name, content_type = KEPT_PARTS[reltype]
            parts[name] = (_kept_part(reltype, _parse(data, target)), content_type)
            relationships[reltype] = name
        return _write_package(parts, relationships)

    def _content_types(self) -> ooxml.Element:
        data = self.archive.read(CONTENT_TYPES, MAX_XML_PART_BYTES)
        if data is None:
            raise package.UnsafePackageError(f"it is not a Word document (no {CONTENT_TYPES})")
        return _parse(data, CONTENT_TYPES)

    def _main_part_name(self) -> str:
        for reltype, target in self._relationships(PACKAGE_RELS, ""):
            if reltype == RELATIONSHIP_TYPE.OFFICE_DOCUMENT:
                return target
        raise package.UnsafePackageError("it is not a Word document (no main part)")

    def _relationships(self, rels_name: str, source_folder: str) -> list[tuple[str, str]]:
        """(type, target part name) of each internal relationship in a .rels part; external ones never count."""
        data = self.archive.read(rels_name, MAX_XML_PART_BYTES)
        if data is None:
            return []
        found = []
        for relationship in _parse(data, rels_name).iterchildren(f"{{{RELS_NS}}}Relationship"):
            target = relationship.get("Target") or ""
            if relationship.get("TargetMode", "Internal") != "Internal" or not target:
                continue
            found.append((relationship.get("Type") or "", _part_name(source_folder, target)))
        return found

    def _xml(self, name: str) -> ooxml.Element:
        data = self.archive.read(name, MAX_XML_PART_BYTES)
        if data is None:
            raise package.UnsafePackageError(f"its part {name!r} is missing")
        return _parse(data, name)


def _parse(data: bytes, name: str) -> ooxml.Element:
    try:
        root = parse_xml(data)  # python-docx's parser: entities are never expanded
    except Exception:  # lxml's XMLSyntaxError, or a ValueError for odd encodings
        raise package.UnsafePackageError(f"its part {name!r} is not well-formed XML") from None
    if root.getroottree().docinfo.doctype:
        raise package.UnsafePackageError(f"its part {name!r} declares a DOCTYPE")
    return root


def _part_name(source_folder: str, target: str) -> str:
    """A relationship's target as a zip entry name: relative to its source's folder, or to the package."""
    target = urllib.parse.unquote(target)
    joined = target if target.startswith("/") else posixpath.join("/", source_folder, target)
    return posixpath.normpath(joined).lstrip("/")


def _rels_name(part_name: str) -> str:
    folder, name = posixpath.split(part_name)
    return posixpath.join(folder, "_rels", f"{name}.rels")


def _content_type(content_types: ooxml.Element, part_name: str) -> str:
    wanted = f"/{part_name}".casefold()
    for override in content_types.iterchildren(f"{{{CONTENT_TYPES_NS}}}Override"):
        if (override.get("PartName") or "").casefold() == wanted:
            return override.get("ContentType") or ""
    extension = posixpath.splitext(part_name)[1].lstrip(".").casefold()
    for default in content_types.iterchildren(f"{{{CONTENT_TYPES_NS}}}Default"):
        if (default.get("Extension") or "").casefold() == extension:
            return default.get("ContentType") or ""
    return ""


def _main_part(document: ooxml.Element) -> bytes:
    """The main part with only its last section's page setup: no text, background or header references."""
    for child in list(document):
        if child.tag != qn("w:body"):
            document.remove(child)
    body = document.find(qn("w:body"))
    if body is not None:
        last = body[-1] if len(body) else None
        section = copy.deepcopy(last) if last is not None and last.tag == qn("w:sectPr") else None
        body.clear()  # at once, without a Python object for each paragraph
        if section is not None:
            for title_page in section.findall(qn("w:titlePg")):
                section.remove(title_page)
            body.append(section)
    _drop_links(document)
    return serialize_part_xml(document)


def _kept_part(reltype: str, root: ooxml.Element) -> bytes:
    dropped = {RELATIONSHIP_TYPE.SETTINGS: DROPPED_SETTINGS, RELATIONSHIP_TYPE.NUMBERING: DROPPED_NUMBERING}
    for tag in dropped.get(reltype, ()):
        for element in list(root.iter(tag)):
            parent = element.getparent()
            if parent is not None:
                parent.remove(element)
    _drop_links(root)
    return serialize_part_xml(root)


def _drop_links(root: ooxml.Element) -> None:
    """Removes every element that points at a relationship or a location; the part keeps no relationships."""
    linking = [element for element in root.iter() if any(_is_link(name) for name in element.attrib)]
    for element in linking:
        parent = element.getparent()
        if parent is not None:
            parent.remove(element)


def _is_link(attribute: str) -> bool:
    namespace, _, local = attribute[1:].partition("}") if attribute.startswith("{") else ("", "", attribute)
    return namespace in RELATIONSHIP_NAMESPACES or attribute == VML_OFFICE_RELID or local in LOCATION_ATTRIBUTES


def _write_package(parts: dict[str, tuple[bytes, str]], relationships: dict[str, str]) -> bytes:
    """A package of our own making: fixed part names, content types and relationships, none external."""
    overrides = "".join(
        f'<Override PartName="/{name}" ContentType="{content_type}"/>' for name, (_, content_type) in parts.items()
    )
    content_types = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Types xmlns="{CONTENT_TYPES_NS}">'
        f'<Default Extension="rels" ContentType="{CONTENT_TYPE.OPC_RELATIONSHIPS}"/>'
        f'<Default Extension="xml" ContentType="{CONTENT_TYPE.XML}"/>{overrides}</Types>'
    )
    package_rels = _rels_xml([(RELATIONSHIP_TYPE.OFFICE_DOCUMENT, MAIN_PART)])
    main_rels = _rels_xml([(reltype, posixpath.relpath(name, "word")) for reltype, name in relationships.items()])
    members = {
        CONTENT_TYPES: content_types.encode("utf-8"),
        PACKAGE_RELS: package_rels.encode("utf-8"),
        _rels_name(MAIN_PART): main_rels.encode("utf-8"),
        **{name: data for name, (data, _) in parts.items()},
    }
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in members.items():
            target.writestr(zipfile.ZipInfo(name, date_time=package.ZIP_TIMESTAMP), data, zipfile.ZIP_DEFLATED)
    return output.getvalue()


def _rels_xml(relationships: list[tuple[str, str]]) -> str:
    entries = "".join(
        f'<Relationship Id="rId{number}" Type="{reltype}" Target="{target}"/>'
        for number, (reltype, target) in enumerate(relationships, start=1)
    )
    declaration = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    return f'{declaration}<Relationships xmlns="{RELS_NS}">{entries}</Relationships>'
