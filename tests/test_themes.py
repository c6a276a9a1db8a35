"""Themes reach every output: HTML and PDF through CSS, DOCX through its named styles."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from docx import Document as open_docx
from docx.shared import RGBColor

from exporter.cli import main
from exporter.export import ExportSettings, export_document
from exporter.options import RenderOptions
from exporter.theme import ThemeError, available_themes, load_theme

DOC = "# Themed Technical Design\n\n**Status:** Draft\n\n## Overview\n\nBody text.\n"


@pytest.fixture
def doc(tmp_path: Path) -> Path:
    path = tmp_path / "doc.md"
    path.write_text(DOC, encoding="utf-8")
    return path


def test_at_least_two_complete_built_in_themes() -> None:
    themes = available_themes()
    assert {"classic", "modern"} <= set(themes)
    keys = [{key for key, _ in load_theme(name).properties} for name in themes]
    assert all(names == keys[0] for names in keys), "every theme defines the same properties"


def test_modern_theme_reaches_every_format(doc: Path) -> None:
    settings = ExportSettings(render=RenderOptions(theme=load_theme("modern")))
    assert export_document(doc, settings).error == ""
    html = (doc.parent / "doc.html").read_text(encoding="utf-8")
    assert "--color-accent: #0f7b8a" in html
    fonts = subprocess.run(["pdffonts", str(doc.parent / "doc.pdf")], capture_output=True, text=True, check=True)
    assert "Noto-Sans" in fonts.stdout and "Noto-Serif" not in fonts.stdout
    styles = open_docx(str(doc.parent / "doc.docx")).styles
    assert styles["Normal"].font.name == "Noto Sans"
    assert styles["Heading 2"].font.color.rgb == RGBColor.from_string("0B3D4A")


def test_user_theme_file_sets_docx_fonts_and_html_rules(doc: Path, tmp_path: Path) -> None:
    theme = tmp_path / "corporate.css"
    theme.write_text(
        ':root { --font-text: "DejaVu Serif", serif; --color-heading: #7a1f1f; }\nh2 { letter-spacing: 0.02em; }\n',
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, [str(doc), "--html", "--docx", "--theme", str(theme)])
    assert result.exit_code == 0, result.output
    html = (doc.parent / "doc.html").read_text(encoding="utf-8")
    assert "letter-spacing: 0.02em" in html
    assert "--color-table-stripe" in html, "properties the user theme leaves out come from the default theme"
    assert html.index("--color-table-stripe") < html.index("#7a1f1f")
    styles = open_docx(str(doc.parent / "doc.docx")).styles
    assert styles["Normal"].font.name == "DejaVu Serif"
    assert styles["Heading 2"].font.color.rgb == RGBColor.from_string("7A1F1F")


def test_unknown_theme_is_a_usage_error(doc: Path) -> None:
    result = CliRunner().invoke(main, [str(doc), "--theme", "neon"])
    assert result.exit_code == 2
    assert "unknown theme 'neon'" in result.stderr and "classic" in result.stderr


def test_theme_that_loads_remote_resources_is_refused(tmp_path: Path) -> None:
    theme = tmp_path / "remote.css"
    theme.write_text("body { background: url(https://example.com/x.png); }", encoding="utf-8")
    with pytest.raises(ThemeError, match="url"):
        load_theme(str(theme))
