"""Every real design document in ../shared/corpus/docs exports to all three formats, checked by reopening them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from docx import Document as open_docx
from pypdf import PdfReader

from exporter.enrich.typography import without_typography
from exporter.run.export import ExportSettings, export_document
from tests.conftest import CORPUS_DOCS, corpus_cases, corpus_doc
from tests.html_text import html_headings, normalize
from tests.pdf_checks import overflowing_characters
from tests.source_headings import source_headings


def squash(text: str) -> str:
    """Text without spacing, soft hyphens or typography (the PDF prints quotes and dashes typeset)."""
    return re.sub(r"[\s\u00ad\u200b]+", "", without_typography(text))


def with_front_matter_title(markdown: str, headings: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """The headings a reader sees: a front matter `title` in a document without an H1 is drawn as its title block."""
    match = re.match(r"---\n(.*?)\n---\n", markdown, re.DOTALL)
    front = yaml.safe_load(match.group(1)) if match else None
    title = front.get("title") if isinstance(front, dict) else None
    if isinstance(title, str) and title.strip() and not any(level == 1 for level, _ in headings):
        return [(1, normalize(title)), *headings]
    return headings


def docx_headings(path: Path) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for paragraph in open_docx(str(path)).paragraphs:
        style = paragraph.style.name if paragraph.style is not None else ""
        match = re.fullmatch(r"Heading (\d)", style or "")
        if match:
            found.append((int(match.group(1)), normalize(paragraph.text)))
        elif style == "Title":
            found.append((1, normalize(paragraph.text)))
    return found


def outline_count(reader: PdfReader) -> int:
    def count(items: list[object]) -> int:
        return sum(count(item) if isinstance(item, list) else 1 for item in items)

    return count(reader.outline)


@pytest.mark.parametrize("path", corpus_cases(CORPUS_DOCS), ids=lambda path: path.stem)
def test_corpus_document_exports_to_every_format(path: Path, tmp_path: Path) -> None:
    result = export_document(path, ExportSettings(output_dir=tmp_path))
    assert result.error == ""
    markdown = path.read_text(encoding="utf-8")
    expected = with_front_matter_title(markdown, source_headings(markdown))
    assert expected, "every corpus document has headings"

    html = (tmp_path / f"{path.stem}.html").read_text(encoding="utf-8")
    assert html_headings(html) == expected

    assert docx_headings(tmp_path / f"{path.stem}.docx") == expected

    reader = PdfReader(tmp_path / f"{path.stem}.pdf")
    pdf_text = squash("".join(page.extract_text() or "" for page in reader.pages))
    missing = [text for _, text in expected if squash(text) not in pdf_text]
    assert missing == []
    assert outline_count(reader) == len(expected)
    assert overflowing_characters(tmp_path / f"{path.stem}.pdf") == []


def test_unresolvable_relative_images_warn_with_file_and_line(tmp_path: Path) -> None:
    path = corpus_doc("kep-4815")
    result = export_document(path, ExportSettings(formats=("html",), output_dir=tmp_path))
    image_warnings = [str(d) for d in result.diagnostics if d.code == "resource-missing"]
    source = path.read_text(encoding="utf-8").splitlines()
    line = next(number for number, text in enumerate(source, 1) if "tpu-topology.png" in text)
    assert any(
        f"kep-4815-dra-partitionable-devices.md:{line}:" in w and "tpu-topology.png" in w for w in image_warnings
    )
    html = (tmp_path / f"{path.stem}.html").read_text(encoding="utf-8")
    assert "image not available: tpu-topology.png" in html
