"""The reference document every Word file starts from, and a user's reference document in its place.

styles/reference.docx is built by scripts/build_reference_docx.py from the styles this backend
defines, so all formatting lives in named styles a user can change in one place.
"""

from __future__ import annotations

import copy
import datetime
import io
from functools import cache
from pathlib import Path

import docx
from docx.document import Document as DocxDocument
from docx.opc.constants import RELATIONSHIP_TYPE
from docx.oxml.ns import qn
from docx.section import Section
from docx.shared import Pt

from exporter.assets import asset_dir
from exporter.backends.word import ooxml, package, styles
from exporter.options import MARGIN_BOTTOM_PT, MARGIN_SIDE_PT, MARGIN_TOP_PT, PAPER_SIZES, Paper
from exporter.theme import DEFAULT_THEME, Theme, load_theme

REFERENCE_FILE = "reference.docx"
REFERENCE_PAPER: Paper = "a4"
REFERENCE_MOMENT = datetime.datetime(2000, 1, 1)
STYLE_REFERENCES = ("w:basedOn", "w:next", "w:link")
# What a user's file carries that belongs to its own text, not to its look.
CONTENT_RELATIONSHIPS = (
    RELATIONSHIP_TYPE.FOOTNOTES,
    RELATIONSHIP_TYPE.ENDNOTES,
    RELATIONSHIP_TYPE.COMMENTS,
    RELATIONSHIP_TYPE.HEADER,
    RELATIONSHIP_TYPE.FOOTER,
    "http://schemas.microsoft.com/office/2011/relationships/commentsExtended",
    "http://schemas.microsoft.com/office/2016/09/relationships/commentsIds",
    "http://schemas.microsoft.com/office/2018/08/relationships/commentsExtensible",
)
# Settings that point into the dropped parts, or would prompt or split headers.
DROPPED_SETTINGS = ("w:evenAndOddHeaders", "w:updateFields", "w:footnotePr", "w:endnotePr")


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
    """The user's file with its text, notes, headers and footers gone; its page setup and styles stay."""
    try:
        document = docx.Document(str(path))
    except Exception as error:  # python-docx raises bare ValueError, KeyError, BadZipFile...
        detail = str(error) or type(error).__name__
        raise ReferenceDocxError(f"cannot use reference DOCX {str(path)!r}: {detail}") from None
    _clear_body(document)
    package.drop_relationships(document.part, CONTENT_RELATIONSHIPS)
    section_props = document.element.body.get_or_add_sectPr()
    for tag in ("w:headerReference", "w:footerReference", "w:titlePg"):
        for element in section_props.findall(qn(tag)):
            section_props.remove(element)
    settings = document.settings.element
    for tag in DROPPED_SETTINGS:
        for element in settings.findall(qn(tag)):
            settings.remove(element)
    return document


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
