"""The PDF path does only what WeasyPrint must: one layout where one decides, font character maps from
fontconfig's cache, and print styles that spare WeasyPrint work without changing a pixel. Each shortcut is
checked against the long way round, on output a reader sees."""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path

import pytest
import weasyprint
from pypdf import PdfReader

from exporter.read.fonts import family_font, font_characters
from exporter.render import pdf
from exporter.render.glyphs import FALLBACK_FAMILIES
from exporter.render.options import RenderOptions
from exporter.run.export import ExportSettings, export_document
from tests.pdf_checks import overflowing_characters

EPOCH = "1700000000"
PARAGRAPH = "Plain words for a page of text, long enough to wrap over several lines of the column. " * 6
# Short and long, with and without a cover (a title heading), all with a table of contents; whether it stays.
DOCUMENTS = {
    "short-with-cover": ("# Short Design\n\n## One\n\nText.\n\n## Two\n\nMore.\n", False),
    "short-without-cover": ("## One\n\nText.\n\n## Two\n\nMore.\n\n## Three\n\nEnd.\n", False),
    "long-with-cover": ("# Longer Design\n\n" + "".join(f"## Part {n}\n\n{PARAGRAPH}\n\n" for n in range(24)), True),
    "long-without-cover": ("".join(f"## Part {n}\n\n{PARAGRAPH}\n\n{PARAGRAPH}\n\n" for n in range(12)), True),
}


def pdf_and_layouts(source: Path, out: Path, monkeypatch: pytest.MonkeyPatch, *, short: bool) -> tuple[bytes, int]:
    """The PDF of `source`, its page treated as short (laid out without contents first) or not; and how many
    layouts it took."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    monkeypatch.setattr(pdf, "SHORT_PAGE_BOXES", 10**9 if short else -1)
    layouts = 0
    real_render = weasyprint.HTML.render

    def counted(self: weasyprint.HTML, *args: object, **kwargs: object) -> object:
        nonlocal layouts
        layouts += 1
        return real_render(self, *args, **kwargs)

    monkeypatch.setattr(weasyprint.HTML, "render", counted)
    result = export_document(source, ExportSettings(formats=("pdf",), output_dir=out))
    assert result.error == "", result.error
    return (out / f"{source.stem}.pdf").read_bytes(), layouts


@pytest.mark.parametrize("name", DOCUMENTS)
def test_laying_out_a_short_page_without_contents_first_gives_the_same_pdf(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text, contents_stay = DOCUMENTS[name]
    source = tmp_path / f"{name}.md"
    source.write_text(text, encoding="utf-8")
    shortcut, shortcut_layouts = pdf_and_layouts(source, tmp_path / "shortcut", monkeypatch, short=True)
    usual, usual_layouts = pdf_and_layouts(source, tmp_path / "usual", monkeypatch, short=False)

    assert shortcut == usual
    pages = PdfReader(io.BytesIO(usual)).pages
    assert ("Contents" in " ".join(page.extract_text() or "" for page in pages[:3])) is contents_stay
    # A short page needs one layout, not two; a long one treated as short pays for the one it tried.
    assert (shortcut_layouts, usual_layouts) == ((2, 1) if contents_stay else (1, 2))


def test_a_missing_images_long_note_still_wraps_inside_the_column(tmp_path: Path) -> None:
    name = "a-very-long-image-name-without-a-single-break-" * 6 + ".png"
    source = tmp_path / "doc.md"
    source.write_text(f"# Notes\n\nInline ![alt]({name}) here.\n\n![]({name})\n", encoding="utf-8")
    result = export_document(source, ExportSettings(formats=("pdf",), output_dir=tmp_path))
    assert result.error == ""
    assert any(item.code == "resource-missing" for item in result.diagnostics)
    assert overflowing_characters(tmp_path / "doc.pdf") == []


THEME_FAMILIES = tuple(RenderOptions().theme.font(role, "") for role in ("text", "heading", "mono"))


@pytest.mark.parametrize("family", [*THEME_FAMILIES, *FALLBACK_FAMILIES])
def test_fontconfigs_character_maps_are_the_fonts_own(family: str) -> None:
    """The glyph check reads a font's characters from fontconfig's cache; the font file says the same, but for
    control characters, which no text shows."""
    font = family_font(family)
    if font is None:
        pytest.skip(f"{family} is not installed")
    assert font.charset, "fc-match printed the character map"
    cached = font_characters(font)
    from_file = font_characters(dataclasses.replace(font, families=(*font.families, "read from the file"), charset=""))
    assert cached is not None and from_file is not None
    assert {code for code in cached ^ from_file if chr(code).isprintable()} == set()
