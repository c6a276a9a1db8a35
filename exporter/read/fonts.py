"""Installed fonts: the file fontconfig picks for a family, and the characters a font can draw.

The one module that reads font files (with fontTools, loaded on first use) or asks fontconfig
(`fc-match`, `fc-list`); without fontconfig nothing is known and nothing is reported missing.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from functools import cache

FONTCONFIG_TIMEOUT_SECONDS = 10


@dataclass(frozen=True, slots=True)
class InstalledFont:
    path: str
    index: int  # the face within a font collection (.ttc)
    families: tuple[str, ...]  # the names of what fontconfig matched: a substitute has none of the one asked for


def _fontconfig(*arguments: str) -> str | None:
    """What a fontconfig tool prints (empty when it found nothing), or None when it is not installed or hangs."""
    if shutil.which(arguments[0]) is None:
        return None
    try:
        completed = subprocess.run(
            arguments, capture_output=True, text=True, check=False, timeout=FONTCONFIG_TIMEOUT_SECONDS
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return completed.stdout


@cache
def installed_font(family: str) -> InstalledFont | None:
    """The font fontconfig picks for a family (perhaps a substitute), or None without fontconfig."""
    printed = _fontconfig("fc-match", "--format=%{family}\n%{file}\n%{index}", family)
    if printed is None:
        return None
    families, _, rest = printed.partition("\n")
    path, _, index = rest.partition("\n")
    if not path:
        return None
    return InstalledFont(path, int(index) if index.strip().isdigit() else 0, tuple(families.split(",")))


def family_font(family: str) -> InstalledFont | None:
    """The font of exactly this family, or None when the family is not installed."""
    found = installed_font(family)
    return found if found is not None and family in found.families else None


@cache
def font_characters(font: InstalledFont) -> frozenset[int] | None:
    """The characters the font has glyphs for; None when its file can't be read."""
    from fontTools.ttLib import TTFont, TTLibError  # the PDF backend's WeasyPrint brings it

    try:
        with TTFont(font.path, fontNumber=font.index, lazy=True) as opened:
            return frozenset(opened.getBestCmap() or {})
    except (OSError, TTLibError):
        return None


@cache
def any_installed_font_has(char: str) -> bool:
    """Whether some installed font draws the character; True when fontconfig can't tell (no false alarm)."""
    printed = _fontconfig("fc-list", f":charset={ord(char):x}", "family")
    return True if printed is None else bool(printed.strip())
