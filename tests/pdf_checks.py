"""Checks on exported PDFs shared by several test modules."""

from __future__ import annotations

from pathlib import Path

import pdfplumber

from exporter.render.options import MARGIN_SIDE_PT

OVERFLOW_TOLERANCE_PT = 0.5
# The status watermark (80 pt, turned across the page) may cross the margins, not the page's edge.
WATERMARK_MIN_SIZE_PT = 60.0


def overflowing_characters(pdf_path: Path) -> list[str]:
    """Characters whose right edge passes the text area (the watermark's: the page), as `page N: 'x' at x1`."""
    problems: list[str] = []
    with pdfplumber.open(pdf_path) as pdf:
        for number, page in enumerate(pdf.pages, start=1):
            for char in page.chars:
                watermark = float(char["size"]) >= WATERMARK_MIN_SIZE_PT
                right_edge = float(page.width) - (0 if watermark else MARGIN_SIDE_PT) + OVERFLOW_TOLERANCE_PT
                if float(char["x1"]) > right_edge and not char["text"].isspace():
                    problems.append(f"page {number}: {char['text']!r} at {float(char['x1']):.1f} > {right_edge:.1f}")
    return problems
