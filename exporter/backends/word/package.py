"""The package around the document: parts python-docx doesn't make (footnotes, custom properties),
template leftovers it keeps, and reproducible zip output."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable
from xml.sax.saxutils import escape

from docx.document import Document as DocxDocument
from docx.opc.constants import CONTENT_TYPE, RELATIONSHIP_TYPE
from docx.opc.package import OpcPackage
from docx.opc.packuri import PackURI
from docx.opc.part import Part
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.parts.story import StoryPart

from exporter.backends.word import ooxml

ZIP_TIMESTAMP = (1980, 1, 1, 0, 0, 0)
STYLES_WITH_EFFECTS = "http://schemas.microsoft.com/office/2007/relationships/stylesWithEffects"
CUSTOM_PROPERTIES_NS = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"
VARIANT_TYPES_NS = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"
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


def save(document: DocxDocument) -> bytes:
    output = io.BytesIO()
    document.save(output)
    return stable_zip(output.getvalue())


def stable_zip(data: bytes) -> bytes:
    """The same package with fixed timestamps, so equal documents give equal bytes."""
    output = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            entry = zipfile.ZipInfo(item.filename, date_time=ZIP_TIMESTAMP)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            target.writestr(entry, source.read(item.filename))
    return output.getvalue()


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
        f"<Application>{escape(application)}</Application></Properties>"
    )
    part = Part(PackURI("/docProps/app.xml"), CONTENT_TYPE.OFC_EXTENDED_PROPERTIES, xml.encode("utf-8"), package)
    package.relate_to(part, RELATIONSHIP_TYPE.EXTENDED_PROPERTIES)


def set_custom_properties(document: DocxDocument, properties: Iterable[tuple[str, str]]) -> None:
    """docProps/custom.xml with one text property per (name, value), replacing any the file had."""
    package = document.part.package
    drop_relationships(package, (RELATIONSHIP_TYPE.CUSTOM_PROPERTIES,))
    entries = [
        f'<property fmtid="{USER_PROPERTY_FORMAT}" pid="{pid}" name="{escape(name, {chr(34): "&quot;"})}">'
        f"<vt:lpwstr>{escape(value)}</vt:lpwstr></property>"
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
