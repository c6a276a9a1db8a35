"""Checks on exported PDFs shared by several test modules."""

from __future__ import annotations

from pathlib import Path

import pdfplumber

from exporter.options import MARGIN_SIDE_PT

OVERFLOW_TOLERANCE_PT = 0.5


def overflowing_characters(pdf_path: Path) -> list[str]:
    """Characters whose right edge passes the text area, as `page N: 'x' at x1`."""
    problems: list[str] = []
    with pdfplumber.open(pdf_path) as pdf:
        for number, page in enumerate(pdf.pages, start=1):
            right_edge = float(page.width) - MARGIN_SIDE_PT + OVERFLOW_TOLERANCE_PT
            problems += [
                f"page {number}: {char['text']!r} at {float(char['x1']):.1f} > {right_edge:.1f}"
                for char in page.chars
                if float(char["x1"]) > right_edge and not char["text"].isspace()
            ]
    return problems
