"""Visible text of an HTML page, for comparing what a reader sees."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from exporter.enrich.typography import without_typography

INVISIBLE_TAGS = {"script", "style", "head", "title", "template"}
VOID_TAGS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
# Our own chrome, not document content: language labels, missing-image notes, back-links.
CHROME_CLASSES = {"code-language", "image-missing", "footnote-back", "heading-anchor"}
# Figure captions repeat an image's alt or title, which plain HTML carries as attributes.
ATTRIBUTE_ECHO_TAGS = {"figcaption"}


class VisibleText(HTMLParser):
    """Collects text outside invisible elements; `scope` limits it to elements with those tags."""

    def __init__(self, scope: set[str] | None = None) -> None:
        super().__init__(convert_charrefs=True)
        self.scope = scope
        self.stack: list[tuple[str, bool]] = []
        self.parts: list[str] = []
        self.headings: list[tuple[int, str]] = []
        self._heading: tuple[int, list[str]] | None = None

    def _hidden(self) -> bool:
        return any(hidden for _, hidden in self.stack)

    def _in_scope(self) -> bool:
        return self.scope is None or any(tag in self.scope for tag, _ in self.stack)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = set((dict(attrs).get("class") or "").split())
        hidden = tag in INVISIBLE_TAGS or tag in ATTRIBUTE_ECHO_TAGS or bool(classes & CHROME_CLASSES)
        if re.fullmatch(r"h[1-6]", tag) and not self._hidden():
            self._heading = (int(tag[1]), [])
        if tag not in VOID_TAGS:
            self.stack.append((tag, hidden))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        pass

    def handle_endtag(self, tag: str) -> None:
        if re.fullmatch(r"h[1-6]", tag) and self._heading is not None:
            self.headings.append((self._heading[0], normalize("".join(self._heading[1]))))
            self._heading = None
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                return

    def handle_data(self, data: str) -> None:
        if self._hidden():
            return
        if self._heading is not None:
            self._heading[1].append(data)
        if self._in_scope():
            self.parts.append(data)


def normalize(text: str) -> str:
    """Whitespace collapsed, and typographic quotes, dashes and ellipses as typed (outputs print them typeset)."""
    return re.sub(r"\s+", " ", without_typography(text)).strip()


def visible_text(html: str, scope: set[str] | None = None) -> str:
    parser = VisibleText(scope)
    parser.feed(html)
    parser.close()
    return "".join(parser.parts)


def html_headings(html: str) -> list[tuple[int, str]]:
    parser = VisibleText()
    parser.feed(html)
    parser.close()
    return parser.headings
