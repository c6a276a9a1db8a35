"""Glyph coverage: every character a PDF shows must exist in an installed font, or the export says so."""

from __future__ import annotations

import unicodedata
from concurrent.futures import ThreadPoolExecutor

from exporter.enrich.language import block_text
from exporter.model.diagnostics import Code, Reporter
from exporter.model.tree import Document
from exporter.read.fonts import any_installed_font_has, family_font, font_characters
from exporter.read.theme import Theme

# Families the print styles name besides the theme's: CJK fallbacks and the symbol face.
FALLBACK_FAMILIES = ("Noto Sans CJK JP", "Noto Serif CJK JP", "DejaVu Sans")
# fontconfig questions asked at once: each is a short process, mostly waiting on its start-up.
FONTCONFIG_QUERIES_AT_ONCE = 8


def document_characters(document: Document) -> dict[str, int]:
    """Each visible character of the document, with the first line it appears on."""
    first_line: dict[str, int] = {}
    pieces: list[tuple[int, str]] = [(1, document.title)]
    pieces += [(field.line, f"{field.key} {field.text}") for field in document.metadata]
    pieces += list(block_text(document.blocks, with_code=True))
    for note in document.footnotes:
        pieces += list(block_text(note.children, with_code=True))
    for line, text in pieces:
        for char in text:
            if char not in first_line and _is_visible(char):
                first_line[char] = line
    return first_line


def _is_visible(char: str) -> bool:
    """Characters that need a glyph: not spaces, controls, format marks or variation selectors."""
    category = unicodedata.category(char)
    is_variation_selector = "\ufe00" <= char <= "\ufe0f" or "\U000e0100" <= char <= "\U000e01ef"
    return not (category.startswith(("Z", "C")) or is_variation_selector)


def report_missing_glyphs(document: Document, theme: Theme, reporter: Reporter) -> list[str]:
    """Warns, with the line, about each character no installed font can draw; returns them."""
    families = (theme.font("text", ""), theme.font("heading", ""), theme.font("mono", ""), *FALLBACK_FAMILIES)
    characters = document_characters(document)
    with ThreadPoolExecutor(FONTCONFIG_QUERIES_AT_ONCE, thread_name_prefix="fontconfig") as pool:
        found = list(pool.map(family_font, dict.fromkeys(family for family in families if family)))
        fonts = [font for font in dict.fromkeys(found) if font]
        # A font's character map is built only when the fonts before it lack a character (CJK maps are big).
        uncovered = [
            char for char in characters if not any(ord(char) in (font_characters(font) or ()) for font in fonts)
        ]
        anywhere = dict(zip(uncovered, pool.map(any_installed_font_has, uncovered), strict=True))
    missing: list[str] = []
    for char, line in characters.items():
        if char not in anywhere or anywhere[char]:
            continue
        missing.append(char)
        name = unicodedata.name(char, "unnamed character")
        reporter.warn(
            line, Code.MISSING_GLYPH, f"no installed font has U+{ord(char):04X} {name} ({char}); it will not print"
        )
    return missing
