"""Word-quality DOCX: reference styles, a real TOC, numbering, repeating headers, footnotes, fields,
landscape sections and metadata, checked by reading the package's XML and by LibreOffice."""

from __future__ import annotations

import datetime
import io
import re
import subprocess
import textwrap
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from docx import Document as open_docx
from docx.document import Document as DocxDocument
from docx.shared import Pt, RGBColor
from lxml import etree

from exporter.model.diagnostics import Reporter
from exporter.model.tree import BlockQuote, Callout, Details, Document, ListItem, Table, TocEntry, plain_text
from exporter.read.markdown import ParseOptions, parse
from exporter.render.options import RenderOptions
from exporter.render.word.document import render_docx
from exporter.render.word.reference import REFERENCE_FILE, build_reference_docx
from exporter.run.export import ExportSettings, export_document
from exporter.safety.resources import ResourceResolver
from tests.conftest import CORPUS_DOCS, ROOT, SAMPLES, corpus_cases, corpus_doc, corpus_docs
from tests.html_text import normalize
from tests.libreoffice import convert_to_pdf
from tests.source_headings import source_headings

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS = {"w": W, "r": R, "wp": "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"}
REFERENCE = ROOT / "styles" / REFERENCE_FILE
FOOTNOTES_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml"
CUSTOM_PROPERTIES_TYPE = "application/vnd.openxmlformats-officedocument.custom-properties+xml"
CUSTOM_PROPERTIES_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/custom-properties"
FOOTNOTES_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/footnotes"
CODE_STYLE = "Source Code"


def w(tag: str) -> str:
    return f"{{{W}}}{tag}"


def render(markdown: str, tmp_path: Path, options: RenderOptions | None = None, **parse_options: object) -> bytes:
    reporter = Reporter("doc.md")
    document = parse(markdown, "doc.md", reporter, ParseOptions(**parse_options))  # type: ignore[arg-type]
    return render_docx(document, ResourceResolver(tmp_path, reporter), options or RenderOptions())


def render_file(path: Path) -> bytes:
    reporter = Reporter(path.name)
    document = parse(path.read_text(encoding="utf-8"), path.name, reporter)
    return render_docx(document, ResourceResolver(path.parent, reporter), RenderOptions())


def package_parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        return {name: package.read(name) for name in package.namelist()}


def part_xml(data: bytes, name: str) -> etree._Element:
    return etree.fromstring(package_parts(data)[name])


def reopen(data: bytes) -> DocxDocument:
    return open_docx(io.BytesIO(data))


def style_names_by_id(data: bytes) -> dict[str, str]:
    styles = part_xml(data, "word/styles.xml")
    return {
        style.get(w("styleId")): style.find(w("name")).get(w("val")).casefold() for style in styles.iter(w("style"))
    }


def story_parts(data: bytes) -> list[str]:
    """The body, and the footnotes, headers and footers it points to."""
    names = [name for name in package_parts(data) if re.fullmatch(r"word/(footnotes|header\d*|footer\d*)\.xml", name)]
    return ["word/document.xml", *sorted(names)]


def paragraph_style(paragraph: etree._Element) -> str | None:
    style = paragraph.find("w:pPr/w:pStyle", NS)
    return style.get(w("val")) if style is not None else None


def text_of(element: etree._Element) -> str:
    """What a reader sees: the w:t texts, without field instructions."""
    return "".join(text.text or "" for text in element.iter(w("t")))


def instructions(element: etree._Element) -> list[str]:
    return [" ".join((text.text or "").split()) for text in element.iter(w("instrText"))]


# ---------------------------------------------------------------- 1. the reference document


def test_committed_reference_docx_is_what_the_script_builds() -> None:
    built = package_parts(build_reference_docx())
    committed = package_parts(REFERENCE.read_bytes())
    assert sorted(committed) == sorted(built)
    stale = [name for name in built if built[name] != committed[name]]
    assert stale == [], "run scripts/build_reference_docx.py"


def test_reference_docx_builds_the_same_bytes_each_time() -> None:
    assert build_reference_docx() == build_reference_docx()


def test_reference_docx_holds_styles_only() -> None:
    data = REFERENCE.read_bytes()
    names = set(package_parts(data))
    assert not any(name.startswith(("customXml/", "docProps/thumbnail")) for name in names)
    assert "word/stylesWithEffects.xml" not in names
    body = part_xml(data, "word/document.xml").find("w:body", NS)
    assert [child.tag for child in body] == [w("sectPr")]
    assert part_xml(data, "word/numbering.xml").find("w:abstractNum", NS) is None
    page = body.find("w:sectPr/w:pgSz", NS)
    assert (page.get(w("w")), page.get(w("h"))) == ("11906", "16838")  # A4


def test_export_takes_its_styles_from_the_reference(tmp_path: Path) -> None:
    ours = {
        style.get(w("styleId")): etree.tostring(style) for style in part_xml(REFERENCE.read_bytes(), "word/styles.xml")
    }
    data = render("# Title\n\nText with `code`.\n", tmp_path)
    exported = {style.get(w("styleId")): etree.tostring(style) for style in part_xml(data, "word/styles.xml")}
    assert {key: exported.get(key) for key in ours} == ours


def test_letter_paper_restyles_the_reference_for_its_width(tmp_path: Path) -> None:
    data = render("# Doc\n\n**Status:** Draft\n\n## One\n", tmp_path, RenderOptions(paper="letter"))
    page = part_xml(data, "word/document.xml").find("w:body/w:sectPr/w:pgSz", NS)
    assert (page.get(w("w")), page.get(w("h"))) == ("12240", "15840")
    styles = part_xml(data, "word/styles.xml")
    tab = styles.find("w:style[@w:styleId='Header']/w:pPr/w:tabs/w:tab", NS)
    assert tab.get(w("val")) == "right" and int(tab.get(w("pos"))) == 12240 - 2 * 1280


# ---------------------------------------------------------------- 2. a user's reference document


def user_reference(tmp_path: Path) -> Path:
    """python-docx's template with a red 20 pt Heading 1, one-inch margins and a header of its own."""
    document = open_docx()
    heading = document.styles["Heading 1"]
    heading.font.color.rgb = RGBColor(0xFF, 0x00, 0x00)
    heading.font.size = Pt(20)
    section = document.sections[0]
    section.left_margin = section.right_margin = Pt(72)
    section.header.paragraphs[0].text = "Corporate header"
    document.add_paragraph("Old body text that must go.")
    path = tmp_path / "corporate.docx"
    document.save(str(path))
    return path


USER_DOC = """Intro paragraph.

# Part One

Text with a footnote.[^a]

```python
print("hi")
```

1. first
2. second

| A | B |
|---|---|
| 1 | 2 |

# Part Two

> [!NOTE]
> A callout.

[^a]: The note.
"""


def test_user_reference_docx_keeps_its_styles_and_page(tmp_path: Path) -> None:
    options = RenderOptions(reference_docx=user_reference(tmp_path))
    data = render(USER_DOC, tmp_path, options)
    document = reopen(data)
    headings = [p for p in document.paragraphs if p.style is not None and p.style.name == "Heading 1"]
    assert [p.text for p in headings] == ["Part One", "Part Two"]
    style = document.styles["Heading 1"]
    assert style.font.color.rgb == RGBColor(0xFF, 0x00, 0x00)
    assert style.font.size == Pt(20)
    for paragraph in headings:
        assert paragraph._p.find(".//w:rPr/w:color", NS) is None
        assert paragraph._p.find(".//w:rPr/w:sz", NS) is None
    assert "Light Grid Accent 1" in [s.name for s in document.styles]  # the user's other styles stay
    for name in ("Source Code", "Footnote Text", "Design Table", "Callout Title"):  # ours fill the gaps
        assert name in [s.name for s in document.styles], name
    assert document.sections[0].left_margin == Pt(72)
    text = "\n".join(p.text for p in document.paragraphs)
    assert "Old body text" not in text
    parts = package_parts(data)
    assert not any(b"Corporate header" in parts[name] for name in story_parts(data))
    assert b"The note." in parts["word/footnotes.xml"]
    numbering = part_xml(data, "word/numbering.xml")
    first = next(p for p in document.paragraphs if p.text == "first")
    num_id = first._p.find(".//w:numPr/w:numId", NS).get(w("val"))
    assert numbering.find(f"w:num[@w:numId='{num_id}']", NS) is not None


def test_user_reference_docx_without_our_styles_is_no_key_error(tmp_path: Path) -> None:
    """python-docx raises KeyError for a built-in style a file lacks; a bare file lacks nearly all."""
    document = open_docx()
    styles = document.styles.element
    for style in list(styles.iter(w("style"))):
        if style.get(w("default")) != "1":
            styles.remove(style)
    path = tmp_path / "bare.docx"
    document.save(str(path))
    data = render(USER_DOC, tmp_path, RenderOptions(reference_docx=path))
    names = set(style_names_by_id(data).values())
    assert {"heading 1", "source code", "footnote text", "hyperlink"} <= names


def test_unreadable_reference_docx_is_a_one_line_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken.docx"
    broken.write_bytes(b"not a zip")
    (tmp_path / "doc.md").write_text("# Doc\n", encoding="utf-8")
    settings = ExportSettings(formats=("docx",), render=RenderOptions(reference_docx=broken))
    result = export_document(tmp_path / "doc.md", settings)
    assert "reference DOCX" in result.error and "broken.docx" in result.error


# ---------------------------------------------------------------- 3. styles only


def diagram_variants(data: bytes) -> set[str]:
    styles = part_xml(data, "word/styles.xml")
    return {
        style.find(w("name")).get(w("val")).casefold()
        for style in styles.iter(w("style"))
        if style.find("w:basedOn", NS) is not None and style.find("w:basedOn", NS).get(w("val")) == "Diagram"
    }


STYLE_CHECKED = [*SAMPLES, *corpus_cases(corpus_docs("go-59960", "kep-4815", "kep-5677", "rust-3392"))]


@pytest.mark.parametrize("path", STYLE_CHECKED, ids=lambda path: path.stem)
def test_formatting_comes_from_named_styles(path: Path) -> None:
    data = render_file(path)
    names = style_names_by_id(data)
    allowed = set(style_names_by_id(REFERENCE.read_bytes()).values()) | diagram_variants(data)
    for part in story_parts(data):
        root = part_xml(data, part)
        for paragraph in root.iter(w("p")):
            style_id = paragraph_style(paragraph)
            name = names[style_id] if style_id else "normal"
            assert name in allowed, (part, name)
            if name == CODE_STYLE.casefold():
                continue
            for run in paragraph.iter(w("r")):
                direct = [child.tag for child in run.findall("w:rPr/*", NS)]
                assert not {w("sz"), w("szCs"), w("rFonts")} & set(direct), (part, name, "".join(run.itertext()))


def test_small_diagrams_and_table_code_take_sized_styles(tmp_path: Path) -> None:
    wide = "```text\n┌" + "─" * 110 + "┐\n│" + " " * 110 + "│\n└" + "─" * 110 + "┘\n```\n"
    data = render(f"{wide}\n| Key | Value |\n|---|---|\n| `code` | x |\n", tmp_path)
    document = reopen(data)
    diagram = next(p for p in document.paragraphs if p.text.startswith("┌─"))
    assert diagram.style is not None and re.fullmatch(r"Diagram \d+(\.5)?pt", diagram.style.name)
    assert diagram.style.base_style is not None and diagram.style.base_style.name == "Diagram"
    assert diagram.style.font.size < Pt(9)
    cell = document.tables[0].rows[1].cells[0].paragraphs[0]
    run_style = cell.runs[0].style
    assert run_style is not None and run_style.name == "Inline Code 7.5pt"
    assert run_style.base_style is not None and run_style.base_style.name == "Inline Code"


# ---------------------------------------------------------------- 4. metadata

META_DOC = """# Billing Technical Design

**Requirement:** BIL-9
**Status:** Approved
**Last Updated:** 2026-02-03
**Authors:** Ada Lovelace, Alan Turing
**Keywords:** billing, retries

## Overview

Text.
"""


def test_core_and_custom_properties_come_from_the_metadata(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    data = render(META_DOC, tmp_path)
    properties = reopen(data).core_properties
    assert properties.title == "Billing Technical Design"
    assert properties.subject == "BIL-9"
    assert properties.category == "Approved"
    assert properties.author == "Ada Lovelace, Alan Turing"
    assert properties.keywords == "billing, retries"
    assert properties.created == properties.modified == datetime.datetime(2026, 2, 3, tzinfo=datetime.UTC)

    parts = package_parts(data)
    custom = etree.fromstring(parts["docProps/custom.xml"])
    values = {item.get("name"): "".join(item.itertext()) for item in custom}
    assert values["Requirement"] == "BIL-9" and values["Status"] == "Approved"
    assert values["Last Updated"] == "2026-02-03" and values["Authors"] == "Ada Lovelace, Alan Turing"
    assert sorted(int(item.get("pid")) for item in custom) == list(range(2, 2 + len(values)))
    content_types = etree.fromstring(parts["[Content_Types].xml"])
    overrides = {item.get("PartName"): item.get("ContentType") for item in content_types}
    assert overrides["/docProps/custom.xml"] == CUSTOM_PROPERTIES_TYPE
    package_rels = etree.fromstring(parts["_rels/.rels"])
    assert any(
        rel.get("Type") == CUSTOM_PROPERTIES_REL and rel.get("Target").endswith("docProps/custom.xml")
        for rel in package_rels
    )


def test_source_date_epoch_wins_and_author_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    properties = reopen(render("# Doc\n\n**Last Updated:** 2026-02-03\n", tmp_path)).core_properties
    assert properties.created == datetime.datetime(2023, 11, 14, 22, 13, 20, tzinfo=datetime.UTC)
    assert properties.author == ""  # only an author the document names, as in the PDF


def test_without_a_date_the_documents_are_stamped_now(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    created = reopen(render("# Doc\n\n**Last Updated:** soon\n", tmp_path)).core_properties.created
    now = datetime.datetime.now(datetime.UTC)
    assert created is not None and abs((now - created).total_seconds()) < 120


def test_title_block_keeps_title_and_document_control_table(tmp_path: Path) -> None:
    document = reopen(render(META_DOC, tmp_path))
    assert document.paragraphs[0].style is not None and document.paragraphs[0].style.name == "Title"
    control = document.tables[0]
    assert [row.cells[0].text for row in control.rows][:3] == ["Requirement", "Status", "Last Updated"]


# ---------------------------------------------------------------- 5. table of contents


def toc_paragraphs(data: bytes) -> tuple[etree._Element, list[etree._Element]]:
    """The paragraph that opens the TOC field, and every paragraph up to the one that closes it."""
    body = part_xml(data, "word/document.xml").find("w:body", NS)
    paragraphs = list(body.iter(w("p")))
    start = next(i for i, p in enumerate(paragraphs) if any(s.startswith("TOC ") for s in instructions(p)))
    depth = 0
    for index in range(start, len(paragraphs)):
        for char in paragraphs[index].iter(w("fldChar")):
            depth += {"begin": 1, "end": -1}.get(char.get(w("fldCharType")), 0)
        if depth == 0:
            return paragraphs[start], paragraphs[start : index + 1]
    raise AssertionError("the TOC field never ends")


def flat(entries: tuple[TocEntry, ...]) -> Iterator[TocEntry]:
    for entry in entries:
        yield entry
        yield from flat(entry.children)


@pytest.mark.parametrize("depth", [2, 3])
def test_toc_field_lists_the_headings_up_to_the_depth(depth: int) -> None:
    sample = ROOT / "samples" / "payment-retry.md"
    markdown = sample.read_text(encoding="utf-8")
    reporter = Reporter(sample.name)
    tree = parse(markdown, sample.name, reporter, ParseOptions(toc_depth=depth))
    data = render_docx(tree, ResourceResolver(sample.parent, reporter), RenderOptions())
    first, paragraphs = toc_paragraphs(data)
    assert instructions(first)[0] == f'TOC \\o "1-{depth}" \\h \\z \\u'
    entries = list(flat(tree.toc))
    assert max(entry.level for entry in entries) == depth
    assert [normalize(text_of(p)) for p in paragraphs] == [normalize(e.text) for e in entries]

    document = part_xml(data, "word/document.xml")
    bookmarks: dict[str, str] = {}
    for paragraph in document.iter(w("p")):
        for mark in paragraph.iter(w("bookmarkStart")):
            bookmarks[mark.get(w("name"))] = normalize(text_of(paragraph))
    for paragraph, entry in zip(paragraphs, entries, strict=True):
        anchor = paragraph.find("w:hyperlink", NS).get(w("anchor"))
        assert bookmarks[anchor] == normalize(entry.text)
        assert paragraph_style(paragraph) == f"TOC{entry.level}"
    assert not any(char.get(w("dirty")) for char in document.iter(w("fldChar")))
    assert part_xml(data, "word/settings.xml").find("w:updateFields", NS) is None


def test_no_toc_means_no_toc_field(tmp_path: Path) -> None:
    data = render("# Doc\n\n## One\n\n## Two\n", tmp_path, toc_depth=0)
    assert not any("TOC" in text for text in instructions(part_xml(data, "word/document.xml")))


# ---------------------------------------------------------------- 6. footnotes


def real_footnotes(data: bytes) -> list[etree._Element]:
    notes = part_xml(data, "word/footnotes.xml")
    return [note for note in notes.iter(w("footnote")) if note.get(w("type")) is None]


@pytest.mark.parametrize(("prefix", "count"), [("go-59960", 7), ("rust-3559", 5), ("rust-3691", 4)])
def test_footnotes_are_word_footnotes(prefix: str, count: int) -> None:
    path = corpus_doc(prefix)
    tree = parse(path.read_text(encoding="utf-8"), path.name)
    assert len(tree.footnotes) == count
    data = render_file(path)
    parts = package_parts(data)
    notes = part_xml(data, "word/footnotes.xml")
    separators = {note.get(w("type")): note.get(w("id")) for note in notes if note.get(w("type"))}
    assert separators == {"separator": "-1", "continuationSeparator": "0"}
    real = real_footnotes(data)
    assert [note.get(w("id")) for note in real] == [str(n) for n in range(1, count + 1)]
    style_names = style_names_by_id(data)
    for note, source in zip(real, tree.footnotes, strict=True):
        first = note.find("w:p", NS)
        assert style_names[paragraph_style(first)] == "footnote text"
        mark = first.find("w:r/w:footnoteRef/..", NS)
        assert style_names[mark.find("w:rPr/w:rStyle", NS).get(w("val"))] == "footnote reference"
        words = plain_text(source.children[0].children).split()[:4]  # type: ignore[union-attr]
        assert normalize(" ".join(words)) in normalize(text_of(note))

    body = part_xml(data, "word/document.xml")
    referenced = [ref.get(w("id")) for ref in body.iter(w("footnoteReference"))]
    assert referenced == [str(n) for n in range(1, count + 1)]
    assert not any(normalize(text_of(p)) in ("Notes", "脚注") for p in body.iter(w("p")))

    types = {item.get("PartName"): item.get("ContentType") for item in etree.fromstring(parts["[Content_Types].xml"])}
    assert types["/word/footnotes.xml"] == FOOTNOTES_TYPE
    rels = etree.fromstring(parts["word/_rels/document.xml.rels"])
    assert any(rel.get("Type") == FOOTNOTES_REL and rel.get("Target") == "footnotes.xml" for rel in rels)
    links = [link.get(f"{{{R}}}id") for link in notes.iter(w("hyperlink")) if link.get(f"{{{R}}}id")]
    if links:
        note_rels = {rel.get("Id") for rel in etree.fromstring(parts["word/_rels/footnotes.xml.rels"])}
        assert set(links) <= note_rels


def test_a_note_cited_twice_points_back_to_its_first_reference(tmp_path: Path) -> None:
    data = render("Once[^n] and again[^n].\n\n[^n]: The note.\n", tmp_path)
    body = part_xml(data, "word/document.xml")
    assert [ref.get(w("id")) for ref in body.iter(w("footnoteReference"))] == ["1"]
    noteref = next(text for text in instructions(body) if text.startswith("NOTEREF"))
    bookmark = noteref.split()[1]
    marks = {mark.get(w("name")) for mark in body.iter(w("bookmarkStart"))}
    assert bookmark in marks and "\\f" in noteref
    assert len(real_footnotes(data)) == 1


def test_a_note_cited_only_inside_a_note_is_reported(tmp_path: Path) -> None:
    reporter = Reporter("doc.md")
    tree = parse("Text[^a].\n\n[^a]: See[^b].\n\n[^b]: Inner.\n", "doc.md", reporter)
    data = render_docx(tree, ResourceResolver(tmp_path, reporter), RenderOptions())
    assert [note.get(w("id")) for note in real_footnotes(data)] == ["1"]
    assert [d.code for d in reporter.diagnostics] == ["docx-note-in-note"]


SVG_MAIN = "http://schemas.microsoft.com/office/drawing/2016/SVG/main"
BOXED_DIAGRAM = "```\n┌──────────┐\n│ Frontend │\n└──────────┘\n```\n"


def test_pictures_and_diagrams_in_notes_use_the_notes_own_relationships(tmp_path: Path) -> None:
    """Word calls a file unreadable when a part points at a relationship it doesn't have; a diagram's SVG
    in a note used to point into the body's relationships."""
    from PIL import Image as PILImage

    PILImage.new("RGB", (40, 20), "red").save(tmp_path / "pixel.png")
    note = "A note with ![a picture](pixel.png) and a diagram:\n\n" + textwrap.indent(BOXED_DIAGRAM, "    ")
    data = render(f"# Doc\n\n{BOXED_DIAGRAM}\nText[^1].\n\n[^1]: {note}", tmp_path)
    parts = package_parts(data)
    for name in story_parts(data):
        rels_name = f"word/_rels/{name.removeprefix('word/')}.rels"
        rels = etree.fromstring(parts[rels_name]) if rels_name in parts else []
        targets = {rel.get("Id"): rel.get("Target") for rel in rels}
        pointed_at = {
            value
            for element in part_xml(data, name).iter()
            for key, value in element.attrib.items()
            if key.startswith(f"{{{R}}}")
        }
        assert pointed_at <= set(targets), name
        svgs = [blip.get(f"{{{R}}}embed") for blip in part_xml(data, name).iter(f"{{{SVG_MAIN}}}svgBlip")]
        assert all(targets[svg].endswith(".svg") for svg in svgs), name
        if name in ("word/document.xml", "word/footnotes.xml"):
            assert len(svgs) == 1, f"{name} holds one diagram"


# ---------------------------------------------------------------- 7. header and footer


def test_header_has_title_and_status_and_footer_has_page_fields(tmp_path: Path) -> None:
    data = render(META_DOC, tmp_path)
    parts = package_parts(data)
    header = etree.fromstring(next(parts[name] for name in parts if re.fullmatch(r"word/header\d*\.xml", name)))
    footer = etree.fromstring(next(parts[name] for name in parts if re.fullmatch(r"word/footer\d*\.xml", name)))
    header_text = text_of(header)
    assert header_text.startswith("Billing Technical Design") and header_text.endswith("Approved")
    assert header.find(".//w:ptab[@w:alignment='right']", NS) is not None
    assert text_of(footer).startswith("BIL-9")
    assert footer.find(".//w:ptab[@w:alignment='right']", NS) is not None
    assert instructions(footer) == ["PAGE", "NUMPAGES"]
    section = part_xml(data, "word/document.xml").find("w:body/w:sectPr", NS)
    assert section.find("w:titlePg", NS) is None


# ---------------------------------------------------------------- 8. landscape tables


def wide_table() -> str:
    header = "| " + " | ".join(f"Column heading number {n}" for n in range(1, 13)) + " |"
    rule = "|" + "---|" * 12
    row = "| " + " | ".join(f"considerably verbose cell content {n}" for n in range(1, 13)) + " |"
    return f"{header}\n{rule}\n{row}\n{row}\n"


def test_wide_table_gets_a_landscape_section_of_its_own(tmp_path: Path) -> None:
    markdown = f"# Wide\n\nBefore.\n\n## The table\n\n{wide_table()}\nAfter.\n"
    tree = parse(markdown, "doc.md")
    assert any(isinstance(block, Table) and block.fit == "landscape" for block in tree.blocks)
    data = render(markdown, tmp_path)
    body = part_xml(data, "word/document.xml").find("w:body", NS)
    children = [child for child in body if child.tag in (w("p"), w("tbl"))]
    sections = [
        (index, child.find("w:pPr/w:sectPr", NS)) for index, child in enumerate(children) if child.tag == w("p")
    ]
    breaks = [(index, props) for index, props in sections if props is not None]
    assert len(breaks) == 2
    (before_index, portrait), (after_index, landscape) = breaks
    table_index = next(index for index, child in enumerate(children) if child.tag == w("tbl"))
    assert before_index < table_index < after_index
    heading = children[before_index + 1]
    assert text_of(heading) == "The table", "the heading moves with its table"
    final = body.find("w:sectPr", NS)

    def size(props: etree._Element) -> tuple[int, int, str | None]:
        page = props.find("w:pgSz", NS)
        return int(page.get(w("w"))), int(page.get(w("h"))), page.get(w("orient"))

    portrait_w, portrait_h, _ = size(portrait)
    assert size(landscape) == (portrait_h, portrait_w, "landscape")
    assert size(final)[:2] == (portrait_w, portrait_h)
    margins = [props.find("w:pgMar", NS).attrib for props in (portrait, landscape, final)]
    assert margins[0] == margins[1] == margins[2]
    assert landscape.find("w:headerReference", NS) is None and landscape.find("w:footerReference", NS) is None
    assert portrait.find("w:headerReference", NS) is not None  # the first section owns them
    table = children[table_index]
    margin = margins[0]
    text_width = portrait_h - int(margin[w("left")]) - int(margin[w("right")])
    assert int(table.find("w:tblPr/w:tblW", NS).get(w("w"))) == text_width
    assert sum(int(col.get(w("w"))) for col in table.iter(w("gridCol"))) == text_width


def test_adjacent_landscape_tables_share_their_pages(tmp_path: Path) -> None:
    data = render(f"{wide_table()}\n{wide_table()}\nAfter.\n", tmp_path, toc_depth=0)
    body = part_xml(data, "word/document.xml").find("w:body", NS)
    breaks = list(body.iterfind("w:p/w:pPr/w:sectPr", NS))
    assert len(breaks) == 1, "one landscape section, starting the document, for both tables"
    assert breaks[0].find("w:pgSz", NS).get(w("orient")) == "landscape"
    assert breaks[0].find("w:headerReference", NS) is not None
    children = [child.tag for child in body if child.tag in (w("p"), w("tbl"))]
    assert children[:3] == [w("tbl"), w("p"), w("tbl")], "a gap keeps the tables apart"


# ---------------------------------------------------------------- 9. what already worked


def num_start(data: bytes, text: str) -> tuple[str, str]:
    document = reopen(data)
    paragraph = next(p for p in document.paragraphs if p.text == text)
    num_id = paragraph._p.find(".//w:numPr/w:numId", NS).get(w("val"))
    numbering = part_xml(data, "word/numbering.xml")
    override = numbering.find(f"w:num[@w:numId='{num_id}']/w:lvlOverride/w:startOverride", NS)
    return num_id, override.get(w("val"))


def test_each_ordered_list_counts_from_its_own_start(tmp_path: Path) -> None:
    data = render("1. a\n2. b\n\ntext\n\n1. c\n2. d\n\ntext\n\n3. x\n", tmp_path)
    first, second, third = num_start(data, "a"), num_start(data, "c"), num_start(data, "x")
    assert first[1] == second[1] == "1" and third[1] == "3"
    assert len({first[0], second[0], third[0]}) == 3
    assert num_start(data, "b") == first


def test_tables_repeat_their_header_and_never_split_rows() -> None:
    data = render_file(corpus_doc("rust-3935"))
    document = reopen(data)
    assert len(document.tables) >= 40
    for table in document.tables:
        rows = table._tbl.findall("w:tr", NS)
        assert rows[0].find("w:trPr/w:tblHeader", NS) is not None
        assert all(row.find("w:trPr/w:cantSplit", NS) is not None for row in rows)
        assert all(row.find("w:trPr/w:tblHeader", NS) is None for row in rows[1:])


BLOCKS_DOC = """# Blocks

> [!WARNING]
> Mind the gap.

> Quoted words.

---

```go
func Short() {}
```

- [x] done
- [ ] open

![a tiny picture](pixel.png)
"""


def test_callouts_quotes_rules_code_tasks_and_pictures(tmp_path: Path) -> None:
    from PIL import Image as PILImage

    PILImage.new("RGB", (40, 20), "red").save(tmp_path / "pixel.png")
    data = render(BLOCKS_DOC, tmp_path)
    document = reopen(data)
    by_text = {p.text: p.style.name for p in document.paragraphs if p.style is not None and p.text}
    assert by_text["Warning"] == "Callout Title"
    assert by_text["Mind the gap."] == by_text["Quoted words."] == "Block Text"
    assert "Horizontal Rule" in [p.style.name for p in document.paragraphs if p.style is not None]
    code = document.styles["Source Code"]
    assert code.font.name == "DejaVu Sans Mono"
    code_props = etree.tostring(code.element).decode()
    assert "w:noProof" in code_props and "w:shd" in code_props and "w:keepLines" in code_props
    assert any(text.startswith("☒") for text in by_text) and any(text.startswith("☐") for text in by_text)
    descriptions = [shape.get("descr") for shape in part_xml(data, "word/document.xml").iter(f"{{{NS['wp']}}}docPr")]
    assert descriptions == ["a tiny picture"]


# ---------------------------------------------------------------- 10. round trip


def source_tables(tree: Document) -> list[list[list[str]]]:
    """The body's tables in order (not those in footnotes), as rows of plain cell texts."""
    found: list[list[list[str]]] = []

    def visit(blocks: tuple[object, ...]) -> None:
        for block in blocks:
            if isinstance(block, Table):
                rows = (block.header, *block.rows)
                found.append([[normalize(plain_text(cell.children)) for cell in row] for row in rows])
            elif isinstance(block, BlockQuote | Callout | Details | ListItem):
                visit(block.children)
            elif hasattr(block, "items"):
                visit(block.items)  # type: ignore[attr-defined]

    visit(tree.blocks)
    return found


def cell_text(text: str) -> str:
    """A cell's text, with a missing picture's placeholder read as its alt text, as plain_text gives it, and
    without the zero-width spaces that let an identifier too wide for its column break after `_ . /`."""
    return normalize(re.sub(r"\[image not available: ([^\]]*)\]", r"\1", text)).replace("\u200b", "")


ROUND_TRIP = [*SAMPLES, *corpus_cases(corpus_docs("rust-3935", "kep-5677", "rust-1252"))]


@pytest.mark.parametrize("path", ROUND_TRIP, ids=lambda path: path.stem)
def test_round_trip_gives_back_headings_and_table_cells(path: Path) -> None:
    markdown = path.read_text(encoding="utf-8")
    tree = parse(markdown, path.name)
    document = reopen(render_file(path))
    headings: list[tuple[int, str]] = []
    for paragraph in document.paragraphs:
        name = paragraph.style.name if paragraph.style is not None else ""
        if name == "Title":
            headings.append((1, normalize(paragraph.text)))
        elif match := re.fullmatch(r"Heading (\d)", name or ""):
            headings.append((int(match.group(1)), normalize(paragraph.text)))
    assert headings == source_headings(markdown)
    tables = [[[cell_text(cell.text) for cell in row.cells] for row in table.rows] for table in document.tables]
    if tree.metadata:
        tables = tables[1:]  # the document-control table
    assert tables == source_tables(tree)


# ---------------------------------------------------------------- 11. LibreOffice


def squash(text: str) -> str:
    return re.sub(r"[\s\u00ad]+", "", text)


CONVERTED = [*SAMPLES, *CORPUS_DOCS]


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """Every sample and corpus document as DOCX, turned into PDF by one LibreOffice run."""
    folder = tmp_path_factory.mktemp("lo-docx")
    for path in CONVERTED:
        result = export_document(path, ExportSettings(formats=("docx",), output_dir=folder))
        assert result.error == "", result.error
    completed = convert_to_pdf([folder / f"{path.stem}.docx" for path in CONVERTED], folder)
    assert completed.returncode == 0, completed.stderr
    return folder, completed.stdout + completed.stderr


@pytest.mark.xdist_group("libreoffice")
@pytest.mark.parametrize("path", [*SAMPLES, *corpus_cases(CORPUS_DOCS)], ids=lambda path: path.stem)
def test_libreoffice_shows_every_heading(path: Path, converted: tuple[Path, str]) -> None:
    folder, log = converted
    pdf = folder / f"{path.stem}.pdf"
    assert pdf.exists(), log
    printed = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    text = squash(normalize(printed))  # typographic quotes and dashes compare as typed
    headings = source_headings(path.read_text(encoding="utf-8"))
    missing = [heading for _, heading in headings if squash(heading) not in text]
    assert missing == []
    tree = parse(path.read_text(encoding="utf-8"), path.name)
    for note in tree.footnotes:  # footnotes land on the page, not in a notes section
        words = squash(normalize(plain_text(note.children[0].children)[:40]))  # type: ignore[union-attr]
        assert words in text, words
