"""Installed fonts: the file fontconfig picks for a family, and the characters a font can draw.

The one module that reads font files (with fontTools, loaded on first use) or asks fontconfig
(`fc-match`, `fc-list`); without fontconfig nothing is known and nothing is reported missing. A font's
characters come from fontconfig's own cache of them, asked for with the font itself; the font file is read
only when fontconfig does not tell (reading a CJK font's character map takes a tenth of a second).
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass, field
from functools import cache

FONTCONFIG_TIMEOUT_SECONDS = 10


@dataclass(frozen=True, slots=True)
class InstalledFont:
    path: str
    index: int  # the face within a font collection (.ttc)
    families: tuple[str, ...]  # the names of what fontconfig matched: a substitute has none of the one asked for
    # fontconfig's character map of the face, as it prints it: hex code points and ranges, "20-7e a0-17f"
    charset: str = field(default="", compare=False, repr=False)


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
    printed = _fontconfig("fc-match", "--format=%{family}\n%{file}\n%{index}\n%{charset}", family)
    if printed is None:
        return None
    lines = printed.split("\n", 3)
    families, path, index, charset = lines + [""] * (4 - len(lines))
    if not path:
        return None
    index_number = int(index) if index.strip().isdigit() else 0
    return InstalledFont(path, index_number, tuple(families.split(",")), charset.strip())


def family_font(family: str) -> InstalledFont | None:
    """The font of exactly this family, or None when the family is not installed."""
    found = installed_font(family)
    return found if found is not None and family in found.families else None


@cache
def font_characters(font: InstalledFont) -> frozenset[int] | None:
    """The characters the font has glyphs for; None when its file can't be read."""
    if font.charset:
        try:
            return _charset_characters(font.charset)
        except ValueError:
            pass  # not as fontconfig prints it: read the font
    from fontTools.ttLib import TTFont, TTLibError  # the PDF backend's WeasyPrint brings it

    try:
        with TTFont(font.path, fontNumber=font.index, lazy=True) as opened:
            return frozenset(opened.getBestCmap() or {})
    except (OSError, TTLibError):
        return None


def _charset_characters(charset: str) -> frozenset[int]:
    """The code points of a fontconfig charset as `%{charset}` prints it ("20-7e a0 …", hexadecimal)."""
    characters: set[int] = set()
    for item in charset.split():
        first, _, last = item.partition("-")
        characters.update(range(int(first, 16), int(last or first, 16) + 1))
    return frozenset(characters)


@cache
def any_installed_font_has(char: str) -> bool:
    """Whether some installed font draws the character; True when fontconfig can't tell (no false alarm)."""
    printed = _fontconfig("fc-list", f":charset={ord(char):x}", "family")
    return True if printed is None else bool(printed.strip())
