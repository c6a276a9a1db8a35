"""Themes: a CSS file of custom properties (fonts, colours) that HTML, PDF and DOCX all take."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from exporter.assets import asset_dir

DEFAULT_THEME = "classic"
_PROPERTY = re.compile(r"--([a-z0-9-]+)\s*:\s*([^;}]+)[;}]")
_HEX_COLOR = re.compile(r"^#([0-9a-fA-F]{6}|[0-9a-fA-F]{3})$")


class ThemeError(ValueError):
    """A theme that can't be found or read; the message names it."""


@dataclass(frozen=True, slots=True)
class Theme:
    name: str
    css: str
    properties: tuple[tuple[str, str], ...]  # custom properties as written, in order

    def value(self, name: str, default: str) -> str:
        found = dict(self.properties).get(name, "")
        return found or default

    def font(self, role: str, default: str) -> str:
        """The first family of `--font-<role>`, for Word, which takes one family per slot."""
        families = self.value(f"font-{role}", "")
        first = families.split(",")[0].strip().strip("\"'")
        return first or default

    def color(self, role: str, default: str) -> str:
        """`--color-<role>` as RRGGBB, for Word; `default` where the theme's value is not a hex colour."""
        match = _HEX_COLOR.match(self.value(f"color-{role}", ""))
        if match is None:
            return default
        digits = match.group(1)
        return (digits if len(digits) == 6 else "".join(c * 2 for c in digits)).upper()


def available_themes() -> list[str]:
    return sorted(path.stem for path in (asset_dir("styles") / "themes").glob("*.css"))


@cache
def load_theme(name_or_path: str = DEFAULT_THEME) -> Theme:
    """A built-in theme by name, or a user's theme from a .css path."""
    if name_or_path.endswith(".css") or "/" in name_or_path:
        path = Path(name_or_path)
        name = path.stem
    else:
        path = asset_dir("styles") / "themes" / f"{name_or_path}.css"
        name = name_or_path
        if not path.is_file():
            raise ThemeError(f"unknown theme {name_or_path!r}; built-in themes: {', '.join(available_themes())}")
    try:
        css = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ThemeError(f"cannot read theme {str(path)!r}: {getattr(error, 'strerror', None) or error}") from None
    if "url(" in css.replace(" ", "").lower() and "data:" not in css.lower():
        raise ThemeError(f"theme {str(path)!r} loads outside resources with url(); only data: URLs are allowed")
    properties = tuple((key, value.strip()) for key, value in _PROPERTY.findall(_without_comments(css)))
    return Theme(name, css, properties)


def _without_comments(css: str) -> str:
    return re.sub(r"/\*.*?\*/", "", css, flags=re.DOTALL)
