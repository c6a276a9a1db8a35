"""The samples: they export, Word files open in LibreOffice, and diagrams sit on an exact grid."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pdfplumber
import pytest
from pypdf import PdfReader

from exporter.model.tree import Diagram
from exporter.read.markdown import parse
from exporter.run.export import ExportSettings, export_document
from tests.conftest import ROOT, SAMPLES

GRID_TOLERANCE_PT = 0.5


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("samples")
    for sample in SAMPLES:
        result = export_document(sample, ExportSettings(output_dir=out))
        assert result.error == "", result.error
    return out


def test_there_are_three_template_shaped_samples() -> None:
    assert len(SAMPLES) >= 3
    for sample in SAMPLES:
        document = parse(sample.read_text(encoding="utf-8"), sample.name)
        assert document.title.endswith("Technical Design")
        assert {"Requirement", "Status", "Last Updated"} <= {field.key for field in document.metadata}


def test_one_sample_prints_fifteen_pages_or_more(exported: Path) -> None:
    pages = {sample.stem: len(PdfReader(exported / f"{sample.stem}.pdf").pages) for sample in SAMPLES}
    assert max(pages.values()) >= 15, pages


def test_one_sample_has_an_ascii_box_diagram() -> None:
    diagrams = [
        block
        for sample in SAMPLES
        for block in parse(sample.read_text(encoding="utf-8"), sample.name).blocks
        if isinstance(block, Diagram)
    ]
    assert any(any("+--" in line for line in diagram.lines) for diagram in diagrams)


def diagram_rows(pdf_path: Path, page_number: int) -> list[list[dict[str, float | str]]]:
    """Rows of monospace glyphs on a page, top to bottom."""
    with pdfplumber.open(pdf_path) as pdf:
        chars = [
            c for c in pdf.pages[page_number].chars if "DejaVu" in str(c["fontname"]) and "Mono" in str(c["fontname"])
        ]
    rows: dict[float, list[dict[str, float | str]]] = defaultdict(list)
    for char in chars:
        rows[round(float(char["top"]), 1)].append(char)
    return [sorted(rows[top], key=lambda c: float(c["x0"])) for top in sorted(rows)]


def test_diagram_kept_as_text_sits_on_one_grid(tmp_path: Path) -> None:
    """A diagram fenced as `text` stays characters; every glyph must sit on one monospace grid."""
    source = (ROOT / "samples" / "payment-retry.md").read_text(encoding="utf-8")
    assert "```\n┌" in source
    sample = tmp_path / "payment-retry.md"
    sample.write_text(source.replace("```\n┌", "```text\n┌", 1), encoding="utf-8")
    diagram = next(
        block for block in parse(sample.read_text(encoding="utf-8"), sample.name).blocks if isinstance(block, Diagram)
    )
    assert diagram.drawing is None
    assert export_document(sample, ExportSettings(formats=("pdf",), output_dir=tmp_path)).error == ""
    exported = tmp_path
    expected_rows = [[(column, char) for column, char in enumerate(line) if char != " "] for line in diagram.lines]
    pdf_path = exported / "payment-retry.pdf"
    for page in range(len(PdfReader(pdf_path).pages)):
        rows = [[c for c in row if c["text"] != " "] for row in diagram_rows(pdf_path, page)]
        texts = ["".join(str(c["text"]) for c in row) for row in rows]
        first = "".join(char for _, char in expected_rows[0])
        if first in texts:
            break
    else:
        pytest.fail("the diagram's first row is not in the PDF")
    start = texts.index(first)
    matched = rows[start : start + len(expected_rows)]
    assert ["".join(str(c["text"]) for c in row) for row in matched] == [
        "".join(char for _, char in row) for row in expected_rows
    ]
    first_row, first_expected = matched[0], expected_rows[0]
    span = first_expected[-1][0] - first_expected[0][0]
    cell = (float(first_row[-1]["x0"]) - float(first_row[0]["x0"])) / span
    origin = float(matched[0][0]["x0"]) - expected_rows[0][0][0] * cell
    deviations = [
        abs(float(glyph["x0"]) - (origin + column * cell))
        for row, expected in zip(matched, expected_rows, strict=True)
        for glyph, (column, _) in zip(row, expected, strict=True)
    ]
    assert len(deviations) > 100
    assert max(deviations) < GRID_TOLERANCE_PT
