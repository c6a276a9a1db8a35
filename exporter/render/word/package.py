"""The package around the document: parts python-docx doesn't make (footnotes, custom properties),
image parts stored once each, template leftovers it keeps, reproducible zip output, and reading a zip
someone else made within limits."""

from __future__ import annotations

import hashlib
import html
import io
import itertools
import struct
import zipfile
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import BinaryIO, cast

from docx.document import Document as DocxDocument
from docx.image.image import Image as PictureInfo
from docx.opc.constants import CONTENT_TYPE, RELATIONSHIP_TYPE
from docx.opc.package import OpcPackage
from docx.opc.packuri import PackURI
from docx.opc.part import Part
from docx.opc.phys_pkg import PhysPkgWriter
from docx.opc.pkgwriter import PackageWriter
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.parts.image import ImagePart
from docx.parts.story import StoryPart

from exporter.render.word import ooxml

ZIP_TIMESTAMP = (1980, 1, 1, 0, 0, 0)
SVG_CONTENT_TYPE = "image/svg+xml"
STYLES_WITH_EFFECTS = "http://schemas.microsoft.com/office/2007/relationships/stylesWithEffects"
CUSTOM_PROPERTIES_NS = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"
VARIANT_TYPES_NS = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"
CUSTOM_XML_NS = "http://schemas.openxmlformats.org/officeDocument/2006/customXml"
EXTENDED_PROPERTIES_NS = "http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"
USER_PROPERTY_FORMAT = "{D5CDD505-2E9C-101B-9397-08002B2CF9AE}"  # the format id Office gives user properties
FIRST_PROPERTY_ID = 2  # ids 0 and 1 are reserved
SEPARATOR_ID = -1
CONTINUATION_SEPARATOR_ID = 0
# The settings.xml children that follow w:footnotePr, in schema order.
SETTINGS_AFTER_FOOTNOTES = (
    "w:endnotePr", "w:compat", "w:docVars", "w:rsids", "w:attachedSchema", "w:themeFontLang", "w:clrSchemeMapping",
    "w:doNotIncludeSubdocsInStats", "w:doNotAutoCompressPictures", "w:forceUpgrade", "w:captions",
    "w:readModeInkLockDown", "w:smartTagType", "w:shapeDefaults", "w:doNotEmbedSmartTags", "w:decimalSymbol",
    "w:listSeparator",
)  # fmt: skip
MIB = 1024 * 1024
READ_CHUNK_BYTES = 64 * 1024
# The zip's end record: signature, disk numbers, entry counts, directory size and offset, comment length.
END_RECORD = struct.Struct("<4s4H2LH")
END_RECORD_SIGNATURE = b"PK\x05\x06"
MAX_ZIP_COMMENT_BYTES = 0xFFFF
ZIP64_MARKERS = (0xFFFF, 0xFFFFFFFF)
DIRECTORY_BYTES_PER_ENTRY = 1024  # a central directory entry is 46 bytes plus its name; 1 KiB is generous
ENCRYPTED_FLAG = 0x1


def save(document: DocxDocument) -> bytes:
    """The package as python-docx's `Document.save` writes it (same members, same order, same XML), each
    member compressed once, with fixed timestamps so that equal documents give equal bytes."""
    package = document.part.package
    parts = package.parts
    for part in parts:
        part.before_marshal()
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as target:
        members = _StableMembers(target)
        # PackageWriter.write's own steps, without the zip file it would open, which stamps the time of day
        # on every member (so the package had to be unpacked and packed again).
        PackageWriter._write_content_types_stream(members, parts)  # type: ignore[no-untyped-call]
        PackageWriter._write_pkg_rels(members, package.rels)  # type: ignore[no-untyped-call]
        PackageWriter._write_parts(members, parts)
    return output.getvalue()


class _StableMembers(PhysPkgWriter):
    """Where python-docx's PackageWriter writes members: our zip file, each member at ZIP_TIMESTAMP."""

    def __new__(cls, target: zipfile.ZipFile) -> _StableMembers:
        return object.__new__(cls)  # PhysPkgWriter's own __new__ always makes its zip writer

    def __init__(self, target: zipfile.ZipFile) -> None:
        self._target = target

    def write(self, name: PackURI, data: bytes) -> None:
        _write_member(self._target, name.membername, data)


def _write_member(target: zipfile.ZipFile, name: str, data: bytes) -> None:
    entry = zipfile.ZipInfo(name, date_time=ZIP_TIMESTAMP)
    entry.compress_type = zipfile.ZIP_DEFLATED
    entry.external_attr = 0o644 << 16
    target.writestr(entry, data)


def drop_relationships(part: Part | OpcPackage, reltypes: Iterable[str]) -> None:
    """Removes the part's relationships of these types; parts nothing else points to are left out on save."""
    wanted = set(reltypes)
    for rel_id, relationship in list(part.rels.items()):
        if relationship.reltype in wanted:
            del part.rels[rel_id]


def remove_template_leftovers(document: DocxDocument) -> None:
    """Drops what python-docx's template carries for no reason: a thumbnail, a legacy copy of the
    styles, sample custom XML, Word 2010 compatibility mode and revision ids."""
    package = document.part.package
    drop_relationships(package, (RELATIONSHIP_TYPE.THUMBNAIL,))
    drop_relationships(document.part, (STYLES_WITH_EFFECTS, RELATIONSHIP_TYPE.CUSTOM_XML))
    settings = document.settings.element
    for setting in settings.iter(qn("w:compatSetting")):
        if setting.get(qn("w:name")) == "compatibilityMode":
            setting.set(qn("w:val"), "15")
    for tag in ("w:rsids", "w:savePreviewPicture", "w14:docId", "w:proofState"):
        for element in settings.findall(qn(tag)):
            settings.remove(element)
    for element in document.element.body.iter():
        for name in [name for name in element.attrib if name.startswith(qn("w:rsid"))]:
            del element.attrib[name]
    set_application(document, "designexport")


def set_application(document: DocxDocument, application: str) -> None:
    """A minimal extended-properties part naming the application, instead of the template's."""
    package = document.part.package
    drop_relationships(package, (RELATIONSHIP_TYPE.EXTENDED_PROPERTIES,))
    xml = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<Properties xmlns="{EXTENDED_PROPERTIES_NS}" xmlns:vt="{VARIANT_TYPES_NS}">'
        f"<Application>{_escape(application)}</Application></Properties>"
    )
    part = Part(PackURI("/docProps/app.xml"), CONTENT_TYPE.OFC_EXTENDED_PROPERTIES, xml.encode("utf-8"), package)
    package.relate_to(part, RELATIONSHIP_TYPE.EXTENDED_PROPERTIES)


def set_custom_properties(document: DocxDocument, properties: Iterable[tuple[str, str]]) -> None:
    """docProps/custom.xml with one text property per (name, value), replacing any the file had."""
    package = document.part.package
    drop_relationships(package, (RELATIONSHIP_TYPE.CUSTOM_PROPERTIES,))
    entries = [
        f'<property fmtid="{USER_PROPERTY_FORMAT}" pid="{pid}" name="{_escape(name).replace(chr(34), "&quot;")}">'
        f"<vt:lpwstr>{_escape(value)}</vt:lpwstr></property>"
        for pid, (name, value) in enumerate(properties, start=FIRST_PROPERTY_ID)
    ]
    if not entries:
        return
    xml = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<Properties xmlns="{CUSTOM_PROPERTIES_NS}" xmlns:vt="{VARIANT_TYPES_NS}">{"".join(entries)}</Properties>'
    )
    part = Part(PackURI("/docProps/custom.xml"), CONTENT_TYPE.OFC_CUSTOM_PROPERTIES, xml.encode("utf-8"), package)
    package.relate_to(part, RELATIONSHIP_TYPE.CUSTOM_PROPERTIES)


def add_custom_xml_part(document: DocxDocument, data: bytes, schema: str, item_id: str) -> None:
    """A custom XML part holding `data`, as Word stores one: customXml/itemN.xml related from the main document
    part, with customXml/itemPropsN.xml giving its GUID `item_id` ("{...}") and the `schema` it follows. N is the
    first number no part of the package has."""
    package = document.part.package
    taken = {str(part.partname) for part in package.iter_parts()}
    number = next(n for n in itertools.count(1) if f"/customXml/item{n}.xml" not in taken)
    properties = (
        '<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n'
        f'<ds:datastoreItem ds:itemID="{html.escape(item_id)}" xmlns:ds="{CUSTOM_XML_NS}">'
        f'<ds:schemaRefs><ds:schemaRef ds:uri="{html.escape(schema)}"/></ds:schemaRefs></ds:datastoreItem>'
    )
    item = Part(PackURI(f"/customXml/item{number}.xml"), CONTENT_TYPE.XML, data, package)
    item_properties = Part(
        PackURI(f"/customXml/itemProps{number}.xml"),
        CONTENT_TYPE.OFC_CUSTOM_XML_PROPERTIES,
        properties.encode("utf-8"),
        package,
    )
    item.relate_to(item_properties, RELATIONSHIP_TYPE.CUSTOM_XML_PROPS)
    document.part.relate_to(item, RELATIONSHIP_TYPE.CUSTOM_XML)


def _escape(text: str) -> str:
    """`&`, `<` and `>` as entities (xml.sax.saxutils.escape, whose module loads urllib.request: 15 ms)."""
    return html.escape(text, quote=False)


def add_footnotes_part(document: DocxDocument) -> StoryPart:
    """An empty word/footnotes.xml holding only the two separators, replacing any the file had."""
    drop_relationships(document.part, (RELATIONSHIP_TYPE.FOOTNOTES,))
    separators = "".join(
        f'<w:footnote w:type="{kind}" w:id="{note_id}"><w:p><w:pPr>'
        f'<w:spacing w:after="0" w:line="240" w:lineRule="auto"/></w:pPr><w:r><w:{kind}/></w:r></w:p></w:footnote>'
        for kind, note_id in (("separator", SEPARATOR_ID), ("continuationSeparator", CONTINUATION_SEPARATOR_ID))
    )
    element = parse_xml(f"<w:footnotes {nsdecls('w', 'r', 'wp', 'a', 'pic')}>{separators}</w:footnotes>")
    part = StoryPart(PackURI("/word/footnotes.xml"), CONTENT_TYPE.WML_FOOTNOTES, element, document.part.package)
    document.part.relate_to(part, RELATIONSHIP_TYPE.FOOTNOTES)
    _declare_footnote_separators(document)
    return part


def _declare_footnote_separators(document: DocxDocument) -> None:
    """settings.xml names the separator footnotes, as Word writes it."""
    settings = document.settings.element
    for existing in settings.findall(qn("w:footnotePr")):
        settings.remove(existing)
    properties = ooxml.make("w:footnotePr")
    for note_id in (SEPARATOR_ID, CONTINUATION_SEPARATOR_ID):
        properties.append(ooxml.make("w:footnote", id=str(note_id)))
    later = {qn(tag) for tag in SETTINGS_AFTER_FOOTNOTES}
    main = qn("w:settings").split("}")[0] + "}"
    following = next((child for child in settings if child.tag in later or not child.tag.startswith(main)), None)
    if following is not None:
        following.addprevious(properties)
    else:
        settings.append(properties)


def story_parts(document: DocxDocument) -> list[StoryPart]:
    """The body's part, and the footnotes, headers and footers it points to."""
    stories: list[StoryPart] = [document.part]
    for relationship in document.part.rels.values():
        if not relationship.is_external and relationship.reltype in (
            RELATIONSHIP_TYPE.FOOTNOTES,
            RELATIONSHIP_TYPE.HEADER,
            RELATIONSHIP_TYPE.FOOTER,
        ):
            stories.append(cast(StoryPart, relationship.target_part))
    return stories


class Hyperlinks:
    """External hyperlink relationships, each target related once per story part.

    Does what `Part.relate_to(target, HYPERLINK, is_external=True)` does without its scan of every
    relationship of the part for each link, which grew with the square of a document's links."""

    def __init__(self) -> None:
        self._ids: dict[int, dict[str, str]] = {}  # part -> target -> rId

    def relate(self, story: StoryPart, target: str) -> str:
        known = self._ids.get(id(story))
        if known is None:
            known = self._ids[id(story)] = {}
            for relationship in story.rels.values():  # the first of equal ones, as python-docx matches them
                if relationship.is_external and relationship.reltype == RELATIONSHIP_TYPE.HYPERLINK:
                    known.setdefault(relationship.target_ref, relationship.rId)
        relationship_id = known.get(target)
        if relationship_id is None:
            relationship_id = next_relationship_id(story.rels)
            story.rels.add_relationship(RELATIONSHIP_TYPE.HYPERLINK, target, relationship_id, is_external=True)
            known[target] = relationship_id
        return relationship_id


def next_relationship_id(relationships: Mapping[str, object]) -> str:
    """The lowest free `rIdN`, as python-docx numbers relationships (filling any gap)."""
    return next(f"rId{n}" for n in range(1, len(relationships) + 2) if f"rId{n}" not in relationships)


class ImageParts:
    """Image parts, each image stored once however often it is used, and the drawing ids of each story.

    Does what `Run.add_picture` does without its two scans of everything before: python-docx reads every
    `id` in the story for each new picture and hashes every stored image to find a duplicate, so 2,000
    pictures took minutes."""

    def __init__(self) -> None:
        self._relationships: dict[tuple[int, str], tuple[str, str]] = {}  # (part, sha256) -> (rId, file name)
        self._next_shape_id: dict[int, int] = {}  # part -> the next free drawing id in it
        self._part_names: set[str] = set()
        self._image_count = 0
        self._svg_count = 0

    def relate(self, story: StoryPart, data: bytes, picture: PictureInfo) -> tuple[str, str]:
        """The id of the story's relationship to the image part holding `data`, and the image's file name."""
        key = (id(story), hashlib.sha256(data).hexdigest())
        if key not in self._relationships:
            image_part = ImagePart.from_image(picture, self._new_part_name(story, picture.ext))
            story.package.image_parts.append(image_part)
            self._relationships[key] = (story.relate_to(image_part, RELATIONSHIP_TYPE.IMAGE), picture.filename)
        return self._relationships[key]

    def relate_svg(self, story: StoryPart, svg: bytes) -> str:
        """The id of the story's relationship to a new SVG part (a diagram's vector twin of its PNG)."""
        self._svg_count += 1
        name = PackURI(f"/word/media/diagram{self._svg_count}.svg")
        return story.relate_to(Part(name, SVG_CONTENT_TYPE, svg, story.package), RELATIONSHIP_TYPE.IMAGE)

    def next_shape_id(self, story: StoryPart) -> int:
        """A drawing id not yet used in the story, counted as python-docx counts (one scan per story)."""
        shape_id = self._next_shape_id.get(id(story)) or ooxml.largest_id(story) + 1
        self._next_shape_id[id(story)] = shape_id + 1
        return shape_id

    def _new_part_name(self, story: StoryPart, extension: str) -> PackURI:
        if not self._part_names:
            self._part_names = {str(existing.partname) for existing in story.package.iter_parts()}
        while True:
            self._image_count += 1
            name = f"/word/media/image{self._image_count}.{extension}"
            if name not in self._part_names:
                self._part_names.add(name)
                return PackURI(name)


# ---------------------------------------------------------------- reading a zip within limits


class UnsafePackageError(ValueError):
    """A zip package we won't unpack; the message says why, in a few words."""


@dataclass(frozen=True, slots=True)
class ZipLimits:
    max_entries: int
    max_unpacked_bytes: int  # all entries together, declared and as actually read
    max_ratio: int  # unpacked size over packed size, for entries larger than ratio_checked_from
    ratio_checked_from: int


class BoundedZip:
    """A zip archive whose directory is within the limits, read part by part against one byte budget.

    The directory is checked before zipfile parses it (its size bounds the entries zipfile builds), the
    declared sizes and ratios before anything is unpacked, and every read is streamed and counted, so a
    header that understates a part's size can't make us hold more than the budget."""

    def __init__(self, file: BinaryIO, size: int, limits: ZipLimits) -> None:
        self.limits = limits
        _check_directory(file, size, limits)
        try:
            self._zip = zipfile.ZipFile(file)
            entries = self._zip.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, struct.error):
            raise UnsafePackageError("it is not a zip package") from None
        _check_entries(entries, limits)
        self._entries: dict[str, zipfile.ZipInfo] = {}
        for entry in entries:
            key = entry.filename.casefold()  # package part names are case-insensitive
            if key in self._entries:
                raise UnsafePackageError(f"it holds two entries named {entry.filename!r}")
            self._entries[key] = entry
        self._budget = limits.max_unpacked_bytes

    def read(self, name: str, max_bytes: int | None = None) -> bytes | None:
        """The entry's bytes (name matched regardless of case), None when there is none. More than
        `max_bytes`, or than what is left of the budget, is refused as soon as it is unpacked."""
        entry = self._entries.get(name.casefold())
        if entry is None:
            return None
        cap = self._budget if max_bytes is None else min(max_bytes, self._budget)
        chunks: list[bytes] = []
        size = 0
        try:
            with self._zip.open(entry) as stream:
                while chunk := stream.read(READ_CHUNK_BYTES):
                    size += len(chunk)
                    if size > cap and cap == self._budget:
                        total = _mib(self.limits.max_unpacked_bytes)
                        raise UnsafePackageError(f"it unpacks to more than {total} (at its entry {entry.filename!r})")
                    if size > cap:
                        raise UnsafePackageError(f"its entry {entry.filename!r} unpacks to more than {_mib(cap)}")
                    chunks.append(chunk)
        except (zipfile.BadZipFile, NotImplementedError, RuntimeError, zlib.error, OSError, EOFError) as error:
            raise UnsafePackageError(f"its entry {entry.filename!r} can't be unpacked ({error})") from None
        self._budget -= size
        return b"".join(chunks)

    def close(self) -> None:
        self._zip.close()


def _check_directory(file: BinaryIO, size: int, limits: ZipLimits) -> None:
    """Entry count and directory size from the end record, found the way zipfile finds it."""
    tail_start = max(size - END_RECORD.size - MAX_ZIP_COMMENT_BYTES, 0)
    file.seek(tail_start)
    tail = file.read(size - tail_start)
    file.seek(0)
    start = len(tail) - END_RECORD.size
    if not (start >= 0 and tail[start:].startswith(END_RECORD_SIGNATURE) and tail.endswith(b"\0\0")):
        start = tail.rfind(END_RECORD_SIGNATURE)
    if start < 0 or len(tail) - start < END_RECORD.size:
        raise UnsafePackageError("it is not a zip package")
    record = END_RECORD.unpack_from(tail, start)
    entries, directory_bytes = record[4], record[5]
    if entries in ZIP64_MARKERS or directory_bytes in ZIP64_MARKERS:
        raise UnsafePackageError("it is a ZIP64 archive, which no Word file needs")
    if entries > limits.max_entries or directory_bytes > limits.max_entries * DIRECTORY_BYTES_PER_ENTRY:
        raise UnsafePackageError(f"it has more than {limits.max_entries} entries")


def _check_entries(entries: list[zipfile.ZipInfo], limits: ZipLimits) -> None:
    if len(entries) > limits.max_entries:
        raise UnsafePackageError(f"it has more than {limits.max_entries} entries")
    declared = sum(entry.file_size for entry in entries)
    if declared > limits.max_unpacked_bytes:
        raise UnsafePackageError(f"it unpacks to {_mib(declared)}, over the {_mib(limits.max_unpacked_bytes)} limit")
    for entry in entries:
        if entry.flag_bits & ENCRYPTED_FLAG:
            raise UnsafePackageError(f"its entry {entry.filename!r} is encrypted")
        ratio = entry.file_size / max(entry.compress_size, 1)
        if entry.file_size > limits.ratio_checked_from and ratio > limits.max_ratio:
            raise UnsafePackageError(
                f"its entry {entry.filename!r} is compressed {ratio:.0f} to 1, more than {limits.max_ratio} to 1"
            )


def _mib(size: int) -> str:
    mib = size / MIB
    return f"{mib:.0f} MiB" if size % MIB == 0 else f"{mib:.1f} MiB"
