"""Themes reach every output: HTML and PDF through CSS, DOCX through its named styles."""

from __future__ import annotations

import io
import pickle
import re
import subprocess
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import pdfplumber
import pytest
from click.testing import CliRunner
from docx import Document as open_docx
from docx.shared import RGBColor
from lxml import etree
from PIL import Image

from exporter.assets import asset_dir
from exporter.cli.main import main
from exporter.read.theme import available_themes, load_theme
from exporter.render.options import RenderOptions
from exporter.run.export import ExportSettings, export_document

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


# ---------------------------------------------------------------- hostile themes

LONG_DRAFT = "# Hostile Theme Technical Design\n\n**Status:** Draft\n\n" + "".join(
    f"## Section {n}\n\n- first point\n- second point\n\n" + "Body text that fills the page. " * 40 + "\n\n"
    for n in range(1, 9)
)

# Each rule tries to break out of the style element, load something, or hide or reword the watermark.
HOSTILE_THEME = """\
:root { --color-accent: #aa3300; --words: "APPROVED"; }
h2 { color: #654321; }
</style><script>fetch("http://127.0.0.1:9/js")</script><meta http-equiv="refresh" content="0;url=http://127.0.0.1:9"> {}
@import "http://127.0.0.1:9/imported.css";
@import url("data:text/css,body{display:none}");
body { background: url(http://127.0.0.1:9/pixel.png#data:image/png); }
p { background-image: url("http://127.0.0.1:9/a.png?data:"); }
p { border-image-source: image-set("http://127.0.0.1:9/b.png" 1x); }
.watermark { display: none; }
* { visibility: hidden !important; }
div { display: none !important; opacity: 0 !important; color: transparent !important; font-size: 0 !important; }
html body > div:last-child { transform: translate(-9000pt, -9000pt) scale(0) !important; text-indent: -9999pt; }
[aria-hidden] { position: static !important; letter-spacing: -60pt; }
[aria-hidden] { outline: 500pt solid white; outline-offset: -250pt; }
[aria-hidden] { text-decoration: line-through; text-decoration-thickness: 400pt; text-decoration-color: white; }
html, body { opacity: 0; transform: scale(0); overflow: hidden; max-height: 0; }
h3 { font-family: "x</style><script>alert(1)</script>"; }
main { position: relative; z-index: 2147483647; background: white; }
body::after { content: "APPROVED"; visibility: visible; font-size: 80pt; }
body::before { content: var(--words); }
div::first-letter { font-size: 0; color: white; }
div::first-line { color: transparent; }
@page { @top-center { content: "APPROVED"; } @top-right { color: white; } }
body { string-set: doc-status "APPROVED"; }
li { list-style-type: "APPROVED "; }
ul { list-style-type: var(--words); }
p { hyphens: auto; hyphenate-character: "APPROVED"; }
@font-face { font-family: "Noto Sans"; src: url(data:font/woff2;base64,AAAA); }
"""


# Leaves the document in place but paints it white on white above everything else: any ink is the watermark's.
COVERING_THEME = """\
* { color: white; background: white; border-color: white; }
.layout, main { position: relative; z-index: 2147483647; background: white; }
"""


class _TagCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def _theme_file(folder: Path, css: str) -> Path:
    path = folder / "brand.css"
    path.write_text(css, encoding="utf-8")
    return path


def test_a_hostile_theme_cannot_end_the_style_element_or_load_anything(doc: Path, tmp_path: Path) -> None:
    theme = load_theme(str(_theme_file(tmp_path, HOSTILE_THEME)))
    settings = ExportSettings(formats=("html",), render=RenderOptions(theme=theme))
    assert export_document(doc, settings).error == ""
    page = (doc.parent / "doc.html").read_text(encoding="utf-8")

    collector = _TagCollector()
    collector.feed(page)
    tags = [tag for tag, _ in collector.tags]
    assert "script" not in tags and tags.count("style") == 1
    assert [attrs.get("http-equiv") for tag, attrs in collector.tags if tag == "meta" and "http-equiv" in attrs] == [
        "Content-Security-Policy"
    ]
    style = page.split("<style>", 1)[1].split("</style>", 1)[0]
    assert page.lower().count("</style") == 1 and "</" not in style and "<script" not in style and "<meta" not in style
    assert "127.0.0.1" not in page and "@import" not in page and "image-set" not in page
    assert "color: #654321" in style and "--color-accent: #aa3300" in style, "the theme's safe rules are kept"


def test_every_dropped_piece_is_a_warning_naming_the_theme_file_and_line(tmp_path: Path) -> None:
    path = _theme_file(tmp_path, HOSTILE_THEME)
    warnings = [str(warning) for warning in load_theme(str(path)).warnings]
    assert all(
        re.fullmatch(rf"{re.escape(str(path))}:\d+: warning: dropped .+ from the theme: .+ \[theme-dropped\]", w)
        for w in warnings
    ), warnings
    lines = {int(w.split(":")[1]) for w in warnings}
    # Lines 1, 2, 14, 15, 16 and 18 stay (the watermark's own rules win over them); each other line is a warning.
    assert lines == {*range(3, 14), 17, *range(19, 29)}
    assert f'{path}:4: warning: dropped @import "http://127.0.0.1:9/imported.css" from the theme' in warnings[1]


@pytest.mark.parametrize("css", [HOSTILE_THEME, COVERING_THEME], ids=["hiding", "covering"])
def test_a_theme_cannot_hide_the_watermark_or_print_approved(tmp_path: Path, css: str) -> None:
    source = tmp_path / "draft.md"
    source.write_text(LONG_DRAFT, encoding="utf-8")
    theme = load_theme(str(_theme_file(tmp_path, css)))
    result = export_document(source, ExportSettings(formats=("pdf",), render=RenderOptions(theme=theme)))
    assert result.error == ""
    pdf = tmp_path / "draft.pdf"

    with pdfplumber.open(pdf) as document:
        large_text = ["".join(char["text"] for char in page.chars if char["size"] > 40) for page in document.pages]
    assert len(large_text) >= 2 and all(text == "DRAFT" for text in large_text), large_text
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "APPROVED" not in text.upper()
    # Both themes make the document itself inkless, so the ink in the middle of each page is the watermark's.
    for number in range(1, len(large_text) + 1):
        png = subprocess.run(
            ["pdftoppm", "-r", "30", "-gray", "-png", "-f", str(number), "-l", str(number), str(pdf)],
            capture_output=True,
            check=True,
        ).stdout
        with Image.open(io.BytesIO(png)) as image:
            width, height = image.size
            middle = image.crop((width // 5, height // 3, width * 4 // 5, height * 2 // 3))
            inked = sum(middle.convert("L").histogram()[:240])
        assert inked > 200, f"page {number}: the watermark is not visible"


@pytest.mark.parametrize(
    ("css_name", "bad_name"),
    [
        ('"Serif & Sons"', "Serif & Sons"),
        (r'"\"><v:imagedata src=\"http://127.0.0.1:9/x.png\"/>"', '"><v:imagedata src="http://127.0.0.1:9/x.png"/>'),
    ],
)
def test_font_names_the_docx_cannot_take_fall_back_to_the_default(tmp_path: Path, css_name: str, bad_name: str) -> None:
    path = _theme_file(tmp_path, f":root {{ --font-heading: {css_name}, sans-serif; --font-text: {css_name}; }}\n")
    theme = load_theme(str(path))
    assert theme.font("heading", "Noto Sans") == "Noto Sans"
    assert any(
        w.startswith(f"{path}:1: warning: --font-heading: font name ") and w.endswith("[theme-font]")
        for w in map(str, theme.warnings)
    ), theme.warnings
    source = tmp_path / "draft.md"
    source.write_text(DOC, encoding="utf-8")
    result = export_document(source, ExportSettings(formats=("docx",), render=RenderOptions(theme=theme)))
    assert result.error == ""

    docx_path = tmp_path / "draft.docx"
    styles = open_docx(str(docx_path)).styles
    assert styles["Normal"].font.name == "Noto Serif" and styles["Heading 2"].font.name == "Noto Sans"
    with zipfile.ZipFile(docx_path) as package:
        parts = {name: package.read(name) for name in package.namelist() if name.endswith(".xml")}
    assert any(b'string="DRAFT"' in data for data in parts.values()), "the watermark is still there"
    for name, data in parts.items():
        assert b"127.0.0.1" not in data and bad_name.encode() not in data, name
        tags = {
            etree.QName(element).localname for element in etree.fromstring(data).iter() if isinstance(element.tag, str)
        }
        assert "imagedata" not in tags, name


def test_a_theme_of_safe_rules_is_kept_whole(doc: Path, tmp_path: Path) -> None:
    pixel = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
    css = (
        ":root { --color-heading: #7a1f1f; --font-text: 'DejaVu Serif', serif; }\n"
        "h2 { color: #7a1f1f; letter-spacing: 0.02em; }\n"
        "@media print { p { orphans: 3; } }\n"
        "@page :first { margin-top: 80pt; }\n"
        f"blockquote {{ background: url(data:image/png;base64,{pixel}) repeat-y; }}\n"
    )
    theme = load_theme(str(_theme_file(tmp_path, css)))
    assert theme.warnings == ()
    assert export_document(doc, ExportSettings(formats=("html",), render=RenderOptions(theme=theme))).error == ""
    page = (doc.parent / "doc.html").read_text(encoding="utf-8")
    for kept in (
        "color: #7a1f1f",
        "letter-spacing: 0.02em",
        "@media print",
        "orphans: 3",
        "@page :first",
        f"url(data:image/png;base64,{pixel})",
    ):
        assert kept in page, kept
    assert theme.font("text", "") == "DejaVu Serif" and theme.color("heading", "") == "7A1F1F"


def test_built_in_themes_come_through_unchanged() -> None:
    for name in available_themes():
        theme = load_theme(name)
        assert theme.warnings == ()
        written = (asset_dir("styles") / "themes" / f"{name}.css").read_text(encoding="utf-8")
        declared = re.findall(r"^\s*(--[a-z0-9-]+:[^;]+);", written, flags=re.MULTILINE)
        assert declared and all(f"  {line};" in theme.css for line in declared)


def test_a_theme_built_to_make_a_regex_backtrack_loads_whole(tmp_path: Path) -> None:
    """Themes are parsed in one pass: these once took minutes (correctness only here; time is in benchmarks/)."""
    repeated = load_theme(
        str(_theme_file(tmp_path, ":root { --a: " + "--a:" * 25_000 + "; --color-accent: #123456; }"))
    )
    assert repeated.color("accent", "") == "123456" and repeated.warnings == ()
    runs = tmp_path / "runs.css"
    runs.write_text(":root {" + "-" * 50_000 + ":" * 50_000 + "}\nh2 { color: #010203; }\n", encoding="utf-8")
    dashes = load_theme(str(runs))
    assert dashes.properties == (("-" * 49_998, ":" * 49_999),)  # a custom property named by dashes, as CSS reads it
    assert "h2 {\n  color: #010203;\n}" in dashes.css


def test_themes_travel_to_workers_and_into_cache_keys(tmp_path: Path) -> None:
    theme = load_theme(str(_theme_file(tmp_path, HOSTILE_THEME)))
    copy = pickle.loads(pickle.dumps(theme))
    assert copy == theme and hash(copy) == hash(theme) and copy.warnings == theme.warnings
