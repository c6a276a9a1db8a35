"""Print quality of the PDF, checked on exported files with pypdf, pdfplumber and pdffonts."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pdfplumber
import pytest
from pypdf import PdfReader

from exporter.read.markdown import ParseOptions
from exporter.render.options import RenderOptions
from exporter.run.export import ExportSettings, export_document
from tests.conftest import SAMPLES, corpus_doc
from tests.pdf_checks import overflowing_characters


def export_pdf(source: Path, out: Path, **render: object) -> Path:
    parse = ParseOptions(number_sections=bool(render.pop("number_sections", False)))
    settings = ExportSettings(formats=("pdf",), output_dir=out, render=RenderOptions(**render), parse=parse)  # type: ignore[arg-type]
    result = export_document(source, settings)
    assert result.error == "", result.error
    return out / f"{source.stem}.pdf"


@pytest.fixture(scope="module")
def sample_pdfs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("print")
    return {sample.stem: export_pdf(sample, out) for sample in SAMPLES}


@pytest.mark.parametrize("sample", [s.stem for s in SAMPLES])
def test_no_sample_character_leaves_the_text_area(sample: str, sample_pdfs: dict[str, Path]) -> None:
    assert overflowing_characters(sample_pdfs[sample]) == []


def test_every_page_after_the_cover_reads_page_n_of_m(sample_pdfs: dict[str, Path]) -> None:
    for path in sample_pdfs.values():
        pages = PdfReader(path).pages
        total = len(pages)
        assert "Page 1 of" not in (pages[0].extract_text() or "")
        for number, page in enumerate(pages[1:], start=2):
            assert f"Page {number} of {total}" in (page.extract_text() or ""), (path.name, number)


def test_toc_page_numbers_match_where_headings_are(sample_pdfs: dict[str, Path]) -> None:
    reader = PdfReader(sample_pdfs["fleet-telemetry"])
    heading_pages: dict[str, int] = {}

    def collect(items: list[object]) -> None:
        for item in items:
            if isinstance(item, list):
                collect(item)
            else:
                heading_pages.setdefault(str(item.title), reader.get_destination_page_number(item) + 1)  # type: ignore[attr-defined]

    collect(reader.outline)
    toc_text = "\n".join((page.extract_text() or "") for page in reader.pages[1:4])
    checked = 0
    for title, page in heading_pages.items():
        match = re.search(re.escape(title) + r"[ .\u2026]*?(\d+)\s*$", toc_text, flags=re.MULTILINE)
        if match:
            assert int(match.group(1)) == page, title
            checked += 1
    assert checked >= 20


def test_metadata_has_title_subject_and_creator(sample_pdfs: dict[str, Path]) -> None:
    metadata = PdfReader(sample_pdfs["payment-retry"]).metadata
    assert metadata is not None
    assert metadata.title == "Payment Retry Technical Design"
    assert metadata.subject == "PAY-142"
    assert str(metadata.creator).startswith("designexport ")


def test_long_table_repeats_its_header_on_every_page(tmp_path: Path) -> None:
    rows = "\n".join(f"| item-{n:03d} | {n * 7} | row {n} of the long table |" for n in range(150))
    source = tmp_path / "long.md"
    source.write_text(f"# Long\n\n| Identifier | Amount | Remark |\n|---|---:|---|\n{rows}\n", encoding="utf-8")
    pdf_path = export_pdf(source, tmp_path)
    pages_with_rows = 0
    with pdfplumber.open(pdf_path) as pdf:
        for page in pdf.pages:
            words = page.extract_words()
            rows_here = [w for w in words if re.fullmatch(r"item-\d{3}", w["text"])]
            if not rows_here:
                continue
            pages_with_rows += 1
            header = [w for w in words if w["text"] == "Identifier"]
            assert header, f"page {page.page_number} has table rows but no header"
            assert header[0]["top"] < min(w["top"] for w in rows_here)
    assert pages_with_rows >= 3


def test_footnotes_sit_at_the_bottom_of_their_page(tmp_path: Path) -> None:
    source = tmp_path / "notes.md"
    source.write_text("# Notes\n\nA claim[^why] in the body.\n\n[^why]: The footnote explains it.\n", encoding="utf-8")
    with pdfplumber.open(export_pdf(source, tmp_path)) as pdf:
        page = pdf.pages[-1]
        claim = page.search("A claim")
        note = page.search("The footnote explains it.")
    assert claim and note
    assert note[0]["top"] > claim[0]["top"] + 200


def test_section_numbers_match_in_headings_and_bookmarks(tmp_path: Path) -> None:
    source = tmp_path / "numbered.md"
    source.write_text("# Title\n\n## Scope\n\n### Goals\n\n## Design\n", encoding="utf-8")
    reader = PdfReader(export_pdf(source, tmp_path, number_sections=True))
    titles: list[str] = []

    def collect(items: list[object]) -> None:
        for item in items:
            collect(item) if isinstance(item, list) else titles.append(" ".join(str(item.title).split()))  # type: ignore[attr-defined]

    collect(reader.outline)
    assert titles == ["Title", "1 Scope", "1.1 Goals", "2 Design"]
    text = " ".join((page.extract_text() or "") for page in reader.pages)
    assert "1.1 Goals" in " ".join(text.split())


def test_short_documents_have_no_toc_and_no_toc_can_be_forced(tmp_path: Path) -> None:
    source = tmp_path / "short.md"
    source.write_text("# Short\n\n## One\n\nText.\n\n## Two\n\nMore.\n", encoding="utf-8")
    text = " ".join((p.extract_text() or "") for p in PdfReader(export_pdf(source, tmp_path)).pages)
    assert "Contents" not in text
    long_path = export_pdf(SAMPLES[0], tmp_path / "no-toc", toc=False)
    long_text = " ".join((p.extract_text() or "") for p in PdfReader(long_path).pages[:3])
    assert "Contents" not in long_text


def test_pdf_ua_variant_is_tagged_and_declares_pdf_ua(tmp_path: Path) -> None:
    reader = PdfReader(export_pdf(SAMPLES[0], tmp_path, pdf_variant="pdf/ua-1"))
    catalog = reader.trailer["/Root"]
    assert "/StructTreeRoot" in catalog
    xmp = catalog["/Metadata"].get_object().get_data().decode("utf-8", "replace")
    assert "pdfuaid" in xmp and re.search(r"pdfuaid:part[^0-9]*1", xmp)


def test_pdf_a_variant_declares_pdf_a_3b(tmp_path: Path) -> None:
    reader = PdfReader(export_pdf(SAMPLES[0], tmp_path, pdf_variant="pdf/a-3b"))
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode("utf-8", "replace")
    assert re.search(r"pdfaid:part[^0-9]*3", xmp) and re.search(r"pdfaid:conformance[^A-Z]*B", xmp)


def test_japanese_document_embeds_every_font(tmp_path: Path) -> None:
    pdffonts = shutil.which("pdffonts")
    assert pdffonts, "poppler-utils is installed by `make test`"
    source = corpus_doc("rust-3392")
    listing = subprocess.run([pdffonts, str(export_pdf(source, tmp_path))], capture_output=True, text=True, check=True)
    rows = listing.stdout.splitlines()[2:]
    assert any("CJK" in row for row in rows)
    assert all(row.split()[-5] == "yes" for row in rows), listing.stdout


def test_characters_no_font_has_are_reported_with_their_line(tmp_path: Path) -> None:
    source = tmp_path / "symbols.md"
    # A symbol of the supplemental arrows and symbols block that no installed font draws (emoji do print:
    # scripts/setup.sh installs Noto Color Emoji).
    source.write_text("# Glyphs\n\nFine text.\n\nCross \U0001f900 text.\n", encoding="utf-8")
    result = export_document(source, ExportSettings(formats=("pdf",)))
    assert result.error == ""
    warnings = [str(d) for d in result.diagnostics if d.code == "missing-glyph"]
    assert len(warnings) == 1 and "symbols.md:5:" in warnings[0] and "U+1F900" in warnings[0]
