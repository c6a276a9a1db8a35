"""What a reader gets in each format: checked by reopening the files, not by reading our code."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from docx import Document as open_docx
from docx.oxml.ns import qn
from docx.shared import Emu
from PIL import Image as PILImage
from pypdf import PdfReader

from exporter.render.options import RenderOptions
from exporter.run.export import ExportSettings, export_document

DOC = """# Ledger Sync Technical Design

**Requirement:** LED-7
**Status:** In Review
**Last Updated:** 2026-03-04

## Overview

See the [runbook](https://example.com/runbook) and [the flow](#data-flow).
Wide picture: ![flow](wide.png) and a missing one: ![gone](nope.png)

## Data Flow

3. third
4. fourth
   1. nested restarts
   2. and counts

- [x] shipped
- [ ] pending

| Name | Count |
|:-----|------:|
| a    | 1     |

```go
func Sync() error { return nil }
```

```text
┌───┐    ┌───┐
│ A │───▶│ B │
└───┘    └───┘
```

<script>alert("x")</script><img src="x.png" onerror="alert(1)"> <a href="javascript:alert(1)">bad</a>
"""


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("outputs")
    (folder / "doc.md").write_text(DOC, encoding="utf-8")
    PILImage.new("RGB", (2400, 600), "#3366aa").save(folder / "wide.png")
    result = export_document(folder / "doc.md", ExportSettings())
    assert result.error == ""
    return folder


# ---------------------------------------------------------------- HTML


def test_html_is_self_contained(exported: Path) -> None:
    html = (exported / "doc.html").read_text(encoding="utf-8")
    assert "<style>" in html and "<link" not in html
    sources = re.findall(r'<img[^>]* src="([^"]*)"', html)
    assert sources and all(source.startswith("data:image/png;base64,") for source in sources)
    assert "image not available: nope.png" in html


def test_html_has_no_script_or_event_handlers(exported: Path) -> None:
    html = (exported / "doc.html").read_text(encoding="utf-8").lower()
    assert "<script" not in html
    assert not re.search(r"\son[a-z]+\s*=", html)
    assert "javascript:" not in html


def test_html_has_toc_and_heading_anchors(exported: Path) -> None:
    html = (exported / "doc.html").read_text(encoding="utf-8")
    assert '<h2 id="data-flow"' in html
    assert 'href="#data-flow"' in html
    assert re.search(r'<nav[^>]*class="toc"', html)
    assert '<span class="k' in html  # Pygments token spans


# ---------------------------------------------------------------- PDF


def test_pdf_metadata_outline_and_footer(exported: Path) -> None:
    reader = PdfReader(exported / "doc.pdf")
    assert reader.metadata is not None and reader.metadata.title == "Ledger Sync Technical Design"
    title, sections = reader.outline[0], reader.outline[1]
    assert title.title == "Ledger Sync Technical Design"
    assert isinstance(sections, list) and [item.title for item in sections] == ["Overview", "Data Flow"]
    cover, second_page = reader.pages[0].extract_text(), reader.pages[1].extract_text()
    assert "Page 1 of" not in cover
    assert f"Page 2 of {len(reader.pages)}" in second_page
    width, height = float(reader.pages[0].mediabox.width), float(reader.pages[0].mediabox.height)
    assert (round(width), round(height)) == (595, 842)


def test_pdf_letter_paper(tmp_path: Path) -> None:
    (tmp_path / "doc.md").write_text("# Letter\n\nText.\n", encoding="utf-8")
    settings = ExportSettings(formats=("pdf",), render=RenderOptions(paper="letter"))
    assert export_document(tmp_path / "doc.md", settings).error == ""
    page = PdfReader(tmp_path / "doc.pdf").pages[0]
    assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (612, 792)


# ---------------------------------------------------------------- DOCX


def _paragraphs_with_style(path: Path, style: str) -> list[str]:
    document = open_docx(str(path))
    return [p.text for p in document.paragraphs if p.style is not None and p.style.name == style]


def test_docx_uses_named_styles(exported: Path) -> None:
    path = exported / "doc.docx"
    assert _paragraphs_with_style(path, "Title") == ["Ledger Sync Technical Design"]
    assert _paragraphs_with_style(path, "Heading 2") == ["Overview", "Data Flow"]
    assert _paragraphs_with_style(path, "Source Code") == ["func Sync() error { return nil }"]
    assert _paragraphs_with_style(path, "Diagram") == ["┌───┐    ┌───┐", "│ A │───▶│ B │", "└───┘    └───┘"]


def test_docx_lists_use_real_numbering_with_markdown_start(exported: Path) -> None:
    document = open_docx(str(exported / "doc.docx"))
    numbering = document.part.numbering_part.element
    starts = {
        num.get(qn("w:numId")): [o.get(qn("w:val")) for o in num.iter(qn("w:startOverride"))]
        for num in numbering.iter(qn("w:num"))
    }
    items = {p.text: p for p in document.paragraphs if p.text in ("third", "fourth", "nested restarts")}
    num_ids = {text: p._p.find(f".//{qn('w:numId')}").get(qn("w:val")) for text, p in items.items()}
    levels = {text: p._p.find(f".//{qn('w:ilvl')}").get(qn("w:val")) for text, p in items.items()}
    assert num_ids["third"] == num_ids["fourth"]
    assert "3" in starts[num_ids["third"]]
    assert levels["third"] == "0" and levels["nested restarts"] == "1"
    assert num_ids["nested restarts"] != num_ids["third"]
    assert any(p.text.startswith("☒") and "shipped" in p.text for p in document.paragraphs)
    assert any(p.text.startswith("☐") and "pending" in p.text for p in document.paragraphs)


def test_docx_table_header_repeats_and_rows_do_not_split(exported: Path) -> None:
    table = open_docx(str(exported / "doc.docx")).tables[-1]
    header_row, body_row = table.rows[0]._tr, table.rows[1]._tr
    assert header_row.find(f".//{qn('w:tblHeader')}") is not None
    assert body_row.find(f".//{qn('w:tblHeader')}") is None
    assert body_row.find(f".//{qn('w:cantSplit')}") is not None
    assert [cell.text for cell in table.rows[0].cells] == ["Name", "Count"]


def test_docx_links_are_clickable(exported: Path) -> None:
    document = open_docx(str(exported / "doc.docx"))
    external = [rel.target_ref for rel in document.part.rels.values() if rel.is_external]
    assert "https://example.com/runbook" in external
    anchors = [link.get(qn("w:anchor")) for link in document.element.body.iter(qn("w:hyperlink"))]
    bookmarks = {mark.get(qn("w:name")) for mark in document.element.body.iter(qn("w:bookmarkStart"))}
    assert any(anchor in bookmarks for anchor in anchors if anchor)


def test_docx_image_is_embedded_and_fits_the_text_width(exported: Path) -> None:
    document = open_docx(str(exported / "doc.docx"))
    shapes = document.inline_shapes
    assert len(shapes) == 1
    section = document.sections[0]
    text_width = Emu(section.page_width - section.left_margin - section.right_margin)
    assert 0 < shapes[0].width <= text_width
    assert shapes[0].width / shapes[0].height == pytest.approx(4.0, rel=0.01)
    assert any("nope.png" in p.text or "gone" in p.text for p in document.paragraphs)


def test_docx_core_properties(exported: Path) -> None:
    properties = open_docx(str(exported / "doc.docx")).core_properties
    assert properties.title == "Ledger Sync Technical Design"
    assert properties.subject == "LED-7"


def test_docx_has_no_script_text(exported: Path) -> None:
    text = "\n".join(p.text for p in open_docx(str(exported / "doc.docx")).paragraphs)
    assert "alert" not in text


def test_outputs_are_complete_files(exported: Path) -> None:
    assert (exported / "doc.pdf").read_bytes().rstrip().endswith(b"%%EOF")
    with (exported / "doc.docx").open("rb") as stream:
        assert open_docx(io.BytesIO(stream.read())) is not None
    assert not list(exported.glob(".*.part"))
