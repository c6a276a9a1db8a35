"""Headings as markdown-it itself sees them: the reference our outputs are checked against."""

from __future__ import annotations

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.front_matter import front_matter_plugin

from tests.html_text import normalize

_MARKDOWN = MarkdownIt("commonmark").enable(["table", "strikethrough"]).use(front_matter_plugin).use(footnote_plugin)


def _inline_text(token: Token) -> str:
    parts: list[str] = []
    for child in token.children or []:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type == "image":
            parts.append(_inline_text(child))
    return normalize("".join(parts))


def source_headings(markdown: str) -> list[tuple[int, str]]:
    tokens = _MARKDOWN.parse(markdown)
    return [
        (int(token.tag[1]), _inline_text(tokens[index + 1]))
        for index, token in enumerate(tokens)
        if token.type == "heading_open"
    ]
