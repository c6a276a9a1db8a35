"""Display width of text on a monospace grid: East Asian wide characters take two cells."""

from __future__ import annotations

import unicodedata


def cell_width(char: str) -> int:
    """Cells one character occupies: 0 for combining marks, 2 for wide, else 1."""
    if unicodedata.combining(char):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def display_width(text: str) -> int:
    return sum(cell_width(char) for char in text)
