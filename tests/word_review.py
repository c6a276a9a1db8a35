"""What a reviewer does to a Word file we wrote, done by script: comments placed with python-docx, tracked changes
written into the XML as Word writes them, a round trip through LibreOffice. Shared by the anchor and review tests."""

from __future__ import annotations

import re
import shutil
import subprocess
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path

from docx import Document as open_docx
from docx.document import Document as DocxDocument
from docx.table import Table as DocxTable
from docx.text.paragraph import Paragraph as DocxParagraph
from lxml import etree  # type: ignore[import-untyped]  # no type stubs

from exporter.run.export import ExportSettings, export_document

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
REVIEWER, REVIEW_DATE = "Rita Reviewer", "2026-12-04T10:00:00Z"


def w(tag: str) -> str:
    return f"{{{W_NS}}}{tag}"


def export_docx(source: Path, folder: Path) -> Path:
    """The Word file of `source`, written next to it in `folder` (where `review` looks for its source)."""
    result = export_document(source, ExportSettings(output_dir=folder, formats=("docx",)))
    assert result.error == "", result.error
    return folder / f"{source.stem}.docx"


def convert_with_libreoffice(document: Path, folder: Path) -> Path:
    """`soffice --convert-to docx`, as a reviewer without Word opens and saves the file; the saved copy."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    assert soffice, "LibreOffice is installed by `make test` (scripts/setup.sh --dev)"
    profile = Path("/tmp") / f"lo-{uuid.uuid4().hex}"
    folder.mkdir(parents=True, exist_ok=True)
    try:
        completed = subprocess.run(
            [soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--convert-to", "docx",
             "--outdir", str(folder), str(document)],
            capture_output=True, text=True, timeout=600, check=False, stdin=subprocess.DEVNULL,
        )  # fmt: skip
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    converted = folder / f"{document.stem}.docx"
    assert completed.returncode == 0 and converted.is_file(), completed.stderr
    return converted


def body_paragraphs(document: DocxDocument) -> Iterator[DocxParagraph]:
    """Every paragraph of the body in document order, those in table cells included."""
    for item in document.iter_inner_content():
        if isinstance(item, DocxTable):
            for row in item.rows:
                for cell in row.cells:
                    yield from cell.paragraphs
        else:
            yield item


def bookmark_names(path: Path, part: str = "word/document.xml") -> list[str]:
    with zipfile.ZipFile(path) as package:
        root = etree.fromstring(package.read(part))
    return [start.get(w("name"), "") for start in root.iter(w("bookmarkStart"))]


def open_reviewable(path: Path) -> DocxDocument:
    return open_docx(str(path))


def replace_words_tracked(
    path: Path, old: str, new: str, *, occurrence: int = 0, author: str = REVIEWER, part: str = "word/document.xml"
) -> str:
    """Replaces `old` by `new` in the body as a reviewer does with Track Changes on: the run holding `old` split,
    `old` in a w:del (as w:delText) and `new` in a w:ins after it, both signed by `author`. The text of the
    paragraph it was in, before the change."""
    with zipfile.ZipFile(path) as package:
        parts = {name: package.read(name) for name in package.namelist()}
    root = etree.fromstring(parts[part])
    texts = [text for text in root.iter(w("t")) if text.text and old in text.text]
    target = texts[occurrence]
    run = target.getparent()
    assert run is not None and run.tag == w("r")
    paragraph_text = "".join(t.text or "" for t in _paragraph_of(run).iter(w("t")))
    before, _, after = (target.text or "").partition(old)
    attributes = {w("author"): author, w("date"): REVIEW_DATE}
    pieces = []
    if before:
        pieces.append(_run_like(run, before, "t"))
    if old:
        deletion = etree.Element(w("del"), {w("id"): "9001", **attributes})
        deletion.append(_run_like(run, old, "delText"))
        pieces.append(deletion)
    if new:
        insertion = etree.Element(w("ins"), {w("id"): "9002", **attributes})
        insertion.append(_run_like(run, new, "t"))
        pieces.append(insertion)
    if after:
        pieces.append(_run_like(run, after, "t"))
    parent = run.getparent()
    assert parent is not None
    index = parent.index(run)
    parent.remove(run)
    for offset, piece in enumerate(pieces):
        parent.insert(index + offset, piece)
    parts[part] = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    _write_package(path, parts)
    return paragraph_text


def remove_bookmark(path: Path, name: str) -> None:
    """Drops our bookmark `name`, as Word does when a reviewer retypes the paragraph it was around."""
    with zipfile.ZipFile(path) as package:
        parts = {part: package.read(part) for part in package.namelist()}
    root = etree.fromstring(parts["word/document.xml"])
    start = next(start for start in root.iter(w("bookmarkStart")) if start.get(w("name")) == name)
    ends = [end for end in root.iter(w("bookmarkEnd")) if end.get(w("id")) == start.get(w("id"))]
    for element in [start, *ends]:
        parent = element.getparent()
        assert parent is not None
        parent.remove(element)
    parts["word/document.xml"] = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    _write_package(path, parts)


def _paragraph_of(element: etree._Element) -> etree._Element:
    found = element
    while found.tag != w("p"):
        parent = found.getparent()
        assert parent is not None
        found = parent
    return found


def _run_like(run: etree._Element, text: str, tag: str) -> etree._Element:
    """A run with `run`'s formatting holding `text` (as w:t or w:delText)."""
    copy = etree.Element(w("r"))
    properties = run.find(w("rPr"))
    if properties is not None:
        copy.append(etree.fromstring(etree.tostring(properties)))
    holder = etree.SubElement(copy, w(tag))
    holder.text = text
    holder.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
    return copy


def _write_package(path: Path, parts: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as package:
        for name, data in parts.items():
            package.writestr(name, data)


def plain(text: str) -> str:
    """Text as compared across Word and Markdown: typography, invisible break hints and spacing evened out."""
    table = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u00a0": " "})
    text = re.sub(r"[\u00ad\u200b]", "", text.translate(table))
    return " ".join(text.replace("\u2013", "--").replace("\u2014", "---").replace("\u2026", "...").split())
