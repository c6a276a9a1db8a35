"""Recognised diagrams reach every output as real graphics with real text."""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from exporter.run.export import ExportSettings, export_document
from tests.conftest import TEMPLATE


@pytest.fixture(scope="module")
def template_outputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("template")
    source = out / "technical-template.md"
    shutil.copyfile(TEMPLATE, source)
    result = export_document(source, ExportSettings())
    assert result.error == "", result.error
    return out


def test_template_diagram_labels_are_whole_words_in_the_pdf(template_outputs: Path) -> None:
    text = subprocess.run(
        ["pdftotext", str(template_outputs / "technical-template.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    for label in ("Component A", "Component B", "Component C"):
        assert re.search(rf"\b{label}\b", text), label
    assert "┌" not in text and "▶" not in text


def test_template_diagram_is_inline_svg_in_html(template_outputs: Path) -> None:
    html = (template_outputs / "technical-template.html").read_text(encoding="utf-8")
    svgs = re.findall(r"<svg\b.*?</svg>", html, flags=re.DOTALL)
    assert len(svgs) == 1
    svg = svgs[0]
    assert 'role="img"' in svg and "Component A" in svg and "<desc>" in svg
    assert "class=" not in svg and "<style" not in svg and "marker" not in svg


def test_template_docx_holds_picture_svg_part_and_alt_text(template_outputs: Path) -> None:
    with zipfile.ZipFile(template_outputs / "technical-template.docx") as package:
        names = package.namelist()
        document_xml = package.read("word/document.xml").decode("utf-8")
        svg_names = [name for name in names if name.endswith(".svg")]
        assert svg_names and any(name.endswith(".png") for name in names)
        assert "Component B" in package.read(svg_names[0]).decode("utf-8")
    assert "svgBlip" in document_xml
    assert re.search(r'descr="[^"]*Component A[^"]*Component C', document_xml)
