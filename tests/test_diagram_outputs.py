"""Recognised diagrams reach every output as real graphics with real text."""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from exporter.read.markdown import ParseOptions
from exporter.run.cache import settings_digest
from exporter.run.export import ExportSettings, export_document
from tests.cli_run import run_in
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


# ---------------------------------------------------------------- titled boxes, slanted arrows, and the switch

DRAWINGS = """\
# Drawings

```
┌─ Config Store ─┐      ┌───────┐
│  key = value   │─────▶│ Cache │
└────────────────┘      └───────┘
```

```
+-------+
| Front |
+-------+
         \\
          \\
           v
         +-------+
         | Back  |
         +-------+
```
"""
TITLE_ROW = "┌─ Config Store ─┐      ┌───────┐"


def export_drawings(folder: Path, parse_options: ParseOptions) -> dict[str, Path]:
    source = folder / "drawings.md"
    source.write_text(DRAWINGS, encoding="utf-8")
    settings = ExportSettings(formats=("html", "pdf", "docx"), output_dir=folder / "out", parse=parse_options)
    result = export_document(source, settings)
    assert result.error == "", result.error
    return {path.suffix[1:]: path for path in result.outputs}


@pytest.fixture(scope="module")
def drawn(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return export_drawings(tmp_path_factory.mktemp("drawn"), ParseOptions())


@pytest.fixture(scope="module")
def on_the_grid(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return export_drawings(tmp_path_factory.mktemp("grid"), ParseOptions(draw_text_diagrams=False))


def pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def docx_xml(path: Path) -> str:
    with zipfile.ZipFile(path) as package:
        return package.read("word/document.xml").decode("utf-8")


def test_titled_box_title_is_one_text_in_the_html_svg_and_the_slant_has_an_arrowhead(drawn: dict[str, Path]) -> None:
    html = drawn["html"].read_text(encoding="utf-8")
    svgs = re.findall(r"<svg\b.*?</svg>", html, flags=re.DOTALL)
    assert len(svgs) == 2
    titled, slanted = svgs
    assert re.findall(r"<text [^>]*>([^<]*)</text>", titled).count("Config Store") == 1
    assert 'aria-label="Diagram: Config Store, key = value, Cache"' in titled
    assert slanted.count("<polygon") == 1 and ">v<" not in slanted  # the v is drawn as the arrowhead


def test_titled_box_title_is_text_in_the_pdf(drawn: dict[str, Path]) -> None:
    text = pdf_text(drawn["pdf"])
    assert re.search(r"\bConfig Store\b", text)
    assert "┌" not in text and "─" not in text  # drawn, not set as characters


def test_titled_box_title_is_in_the_docx_alt_text(drawn: dict[str, Path]) -> None:
    document = docx_xml(drawn["docx"])
    assert document.count("<w:drawing>") == 2
    assert re.search(r'descr="Diagram: Config Store, key = value, Cache"', document)


def test_no_diagrams_keeps_the_html_diagrams_as_text_on_the_grid(on_the_grid: dict[str, Path]) -> None:
    html = on_the_grid["html"].read_text(encoding="utf-8")
    assert "<svg" not in html
    grids = re.findall(r'<pre class="diagram"[^>]*>(.*?)</pre>', html, flags=re.DOTALL)
    assert len(grids) == 2
    assert TITLE_ROW in grids[0] and "           v" in grids[1]


def test_no_diagrams_keeps_the_pdf_diagrams_as_text_on_the_grid(on_the_grid: dict[str, Path]) -> None:
    lines = pdf_text(on_the_grid["pdf"]).split("\n")
    assert any(TITLE_ROW in line for line in lines)
    slant_rows = [line for line in lines if line.strip() in ("\\", "v")]
    # The slant and its arrowhead step one column right on each row, as written.
    assert [len(line) - len(line.lstrip()) for line in slant_rows] == [9, 10, 11]


def test_no_diagrams_keeps_the_docx_diagrams_as_text(on_the_grid: dict[str, Path]) -> None:
    document = docx_xml(on_the_grid["docx"])
    assert "<w:drawing>" not in document
    texts = re.findall(r"<w:t(?: [^>]*)?>([^<]*)</w:t>", document)
    assert any(TITLE_ROW in text for text in texts)


def test_the_diagram_switch_is_part_of_the_build_cache_key() -> None:
    drawn_settings = ExportSettings()
    grid_settings = ExportSettings(parse=ParseOptions(draw_text_diagrams=False))
    assert settings_digest(drawn_settings) != settings_digest(grid_settings)


def test_no_diagrams_flag_and_diagrams_config_key(tmp_path: Path) -> None:
    (tmp_path / "doc.md").write_text(DRAWINGS, encoding="utf-8")

    drawn_page = run_in(tmp_path, "doc.md", "--html", "-o", "drawn")
    flag_page = run_in(tmp_path, "doc.md", "--html", "-o", "flag", "--no-diagrams")
    (tmp_path / "designexport.toml").write_text('diagrams = "OFF"\n', encoding="utf-8")
    config_page = run_in(tmp_path, "doc.md", "--html", "-o", "config")

    for completed in (drawn_page, flag_page, config_page):
        assert completed.returncode == 0, completed.stderr
    assert "<svg" in (tmp_path / "drawn" / "doc.html").read_text(encoding="utf-8")
    for folder in ("flag", "config"):
        page = (tmp_path / folder / "doc.html").read_text(encoding="utf-8")
        assert "<svg" not in page and TITLE_ROW in page, folder


def test_a_bad_diagrams_value_is_a_one_line_error_naming_the_file_and_key(tmp_path: Path) -> None:
    (tmp_path / "doc.md").write_text(DRAWINGS, encoding="utf-8")
    (tmp_path / "designexport.toml").write_text('toc = true\ndiagrams = "maybe"\n', encoding="utf-8")

    completed = run_in(tmp_path, "doc.md", "--html")

    assert completed.returncode == 2
    assert "designexport.toml:2: error: diagrams: expected 'on' or 'off', got 'maybe'" in completed.stderr
    assert not (tmp_path / "doc.html").exists()
