"""Syntax highlighting shared by every backend: one Pygments style, so colours match."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, lru_cache

from pygments.lexer import Lexer
from pygments.lexers import LEXERS, get_lexer_by_name
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
    name = LANGUAGE_ALIASES.get(language, language).lower()
    if name not in _builtin_lexer_aliases():
        return None
    try:
        return get_lexer_by_name(name, stripnl=False, ensurenl=False)
    except ClassNotFound:
        return None


@cache
def _builtin_lexer_aliases() -> frozenset[str]:
    """The names Pygments' own lexers answer to, from its table of them (nothing imported).

    Asked for a name none of them has (a `mermaid` or `text` fence), get_lexer_by_name goes on to look for
    plugin lexers through the metadata of every installed package, which took 50 ms for each such name:
    a name outside this set is plain text without asking. So plugin lexers are not used: a fence is
    highlighted the same wherever the document is exported."""
    return frozenset(alias for _module, _name, aliases, _files, _types in LEXERS.values() for alias in aliases)


_Style = tuple[str, str, bool, bool]  # a run's css class, colour, bold, italic (see StyledRun)
_PLAIN: _Style = ("", "", False, False)


@lru_cache(maxsize=256)
def _style_of(token_type: _TokenType) -> _Style:
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
    lines: list[list[StyledRun]] = []
    # The line being read: each run's style and the pieces of its text, joined once the line is complete.
    runs: list[tuple[_Style, list[str]]] = []
    for token_type, value in tokens:
        style = _style_of(token_type)
        for index, piece in enumerate(value.split("\n")):
            if index:
                lines.append(_finished(runs))
                runs = []
            if not piece:
                continue
            if piece.isspace():
                # White space takes the style of the run before it (plain at the start of a line), so it joins it;
                # so does the rest of the token after it.
                style = runs[-1][0] if runs else _PLAIN
            if runs and runs[-1][0] == style:
                runs[-1][1].append(piece)
            else:
                runs.append((style, [piece]))
    lines.append(_finished(runs))
    if len(lines) > 1 and not lines[-1]:
        lines.pop()  # the line the added newline opened
    if len(lines) > 1 and not lines[-1] and code.endswith("\n"):
        lines.pop()
    return lines


def _finished(runs: list[tuple[_Style, list[str]]]) -> list[StyledRun]:
    return [StyledRun("".join(pieces), *style) for style, pieces in runs]


def pygments_css(scope: str) -> str:
    """CSS for the highlight classes, limited to `scope`."""
    from pygments.formatters import HtmlFormatter

    formatter: HtmlFormatter[str] = HtmlFormatter(style=STYLE_NAME)
    return str(formatter.get_style_defs(scope))  # type: ignore[no-untyped-call]
