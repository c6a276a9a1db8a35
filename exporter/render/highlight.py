"""Syntax highlighting shared by every backend: one Pygments style, so colours match."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from pygments.lexer import Lexer
from pygments.lexers import get_lexer_by_name
from pygments.styles import get_style_by_name
from pygments.token import STANDARD_TYPES, Token, _TokenType
from pygments.util import ClassNotFound

STYLE_NAME = "default"
LANGUAGE_ALIASES = {"env": "bash", "dotenv": "bash", "shell": "bash", "console": "console", "golang": "go"}


@dataclass(frozen=True, slots=True)
class StyledRun:
    text: str
    css_class: str  # Pygments short class name, "" for plain text
    color: str  # "RRGGBB", "" for the default colour
    bold: bool
    italic: bool


@lru_cache(maxsize=64)
def _lexer(language: str) -> Lexer | None:
    name = LANGUAGE_ALIASES.get(language, language)
    if not name:
        return None
    try:
        return get_lexer_by_name(name, stripnl=False, ensurenl=False)
    except ClassNotFound:
        return None


@lru_cache(maxsize=256)
def _style_of(token_type: _TokenType) -> tuple[str, str, bool, bool]:
    style = get_style_by_name(STYLE_NAME)
    current = token_type
    while current not in STANDARD_TYPES and current.parent is not None:
        current = current.parent
    spec = style.style_for_token(current)
    color, bold, italic = spec["color"] or "", bool(spec["bold"]), bool(spec["italic"])
    css_class = STANDARD_TYPES.get(current, "") if (color or bold or italic) else ""
    return css_class, color, bold, italic


def is_known_language(language: str) -> bool:
    return _lexer(language) is not None


def highlight_lines(code: str, language: str) -> list[list[StyledRun]]:
    """The code split into lines of runs; adjacent runs with the same style are merged."""
    lexer = _lexer(language)
    # Lexed with a final newline: some lexers (console sessions) drop a last line that has none.
    tokens = lexer.get_tokens(code + "\n") if lexer is not None else [(Token.Text, code + "\n")]
    lines: list[list[StyledRun]] = [[]]
    for token_type, value in tokens:
        css_class, color, bold, italic = _style_of(token_type)
        for index, piece in enumerate(value.split("\n")):
            if index:
                lines.append([])
            if not piece:
                continue
            runs = lines[-1]
            if piece.isspace():
                css_class, color, bold, italic = (
                    (runs[-1].css_class, runs[-1].color, runs[-1].bold, runs[-1].italic)
                    if runs
                    else ("", "", False, False)
                )
            if runs and (runs[-1].css_class, runs[-1].color, runs[-1].bold, runs[-1].italic) == (
                css_class,
                color,
                bold,
                italic,
            ):
                runs[-1] = StyledRun(runs[-1].text + piece, css_class, color, bold, italic)
            else:
                runs.append(StyledRun(piece, css_class, color, bold, italic))
    if len(lines) > 1 and not lines[-1]:
        lines.pop()  # the line the added newline opened
    if len(lines) > 1 and not lines[-1] and code.endswith("\n"):
        lines.pop()
    return lines


def pygments_css(scope: str) -> str:
    """CSS for the highlight classes, limited to `scope`."""
    from pygments.formatters import HtmlFormatter

    formatter: HtmlFormatter[str] = HtmlFormatter(style=STYLE_NAME)
    return str(formatter.get_style_defs(scope))  # type: ignore[no-untyped-call]
