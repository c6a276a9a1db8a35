"""Property tests: documents built from the technical template's constructs mixed with arbitrary text.

Every generated document goes through the parser and all three backends. The only failure allowed is one of
our documented errors (an ExportError, reported by export_document as a one-line `file[:line]: error: ...`);
a backend crash ("could not render"), any other exception, an unopenable file, a script or event handler in
the HTML or a leftover temporary file is a bug.

The default suite runs a deterministic few hundred examples. The long run is marked `slow`:

    DESIGNEXPORT_FUZZ_EXAMPLES=20000 python -m pytest tests/test_properties.py -m slow -q

(0.25-0.35 s an example on one core: 20,000 take one and a half to two hours). Bugs the properties found stay at the end
of this file as minimal reproducers, marked as strict expected failures until they are fixed.
"""

from __future__ import annotations

import base64
import io
import os
import re
import struct
import tempfile
import zipfile
import zlib
from html.parser import HTMLParser
from pathlib import Path
from xml.etree import ElementTree

import docx
import pypdf
import pytest
from hypothesis import HealthCheck, currently_in_test_context, event, given, note, settings
from hypothesis import strategies as st
from PIL import Image as PILImage

from exporter.model.diagnostics import ExportError
from exporter.model.tree import Document
from exporter.read.markdown import parse
from exporter.run.export import ExportSettings, display_name, export_document

# ------------------------------------------------------------------ run sizes

PARSER_EXAMPLES = 1500  # parser only: fast
EXPORT_EXAMPLES = 300  # all three backends: the PDF costs ~0.1-0.3 s per example
SLOW_EXAMPLES = int(os.environ.get("DESIGNEXPORT_FUZZ_EXAMPLES", "20000"))
HEALTH = [HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large]

DEFAULT_RUN = {"deadline": None, "database": None, "derandomize": True, "suppress_health_check": HEALTH}
LONG_RUN = {"deadline": None, "database": None, "derandomize": False, "suppress_health_check": HEALTH}

# ------------------------------------------------------------------ files the documents may refer to


def _png(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    PILImage.new("RGB", (width, height), (200, 30, 30)).save(buffer, "PNG")
    return buffer.getvalue()


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims a huge image and holds no pixel data at all."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + header
    return b"\x89PNG\r\n\x1a\n" + struct.pack(">I", len(header)) + chunk + struct.pack(">I", zlib.crc32(chunk))


def _gif() -> bytes:
    buffer = io.BytesIO()
    PILImage.new("P", (3, 2)).save(buffer, "GIF")
    return buffer.getvalue()


TINY_PNG = _png(4, 3)
TINY_PNG_DATA_URL = "data:image/png;base64," + base64.b64encode(TINY_PNG).decode("ascii")
NEIGHBOUR_FILES = {
    "pic.png": TINY_PNG,
    "bad.png": b"\x89PNG\r\n\x1a\nnot really a png",
    "huge.png": _png_header_only(100_000, 100_000),
    "tiny.gif": _gif(),
    "pic.svg": (
        b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10" onload="alert(1)">'
        b"<script>alert(1)</script><rect width='10' height='10'/></svg>"
    ),
    "x.md": b"# not an image\n",
}

# ------------------------------------------------------------------ text

CONTROL_CHARACTERS = [
    "\x00", "\x01", "\x07", "\x08", "\x0b", "\x0c", "\x1b", "\x7f", "\x85", "\r", "\u2028", "\u2029", "\ufffe",
]  # fmt: skip
SPECIAL_TOKENS = [
    "#", "##", "######", "`", "``", "```", "~~~", "<", ">", "&", "&amp;", "&#0;", "&#x110000;", "&nbsp;", "&bogus;",
    "{{X}}", "{{FEATURE}}", "{{", "}}", "|", "\\|", "\\", "*", "**", "_", "__", "~~", "[", "]", "[^1]", "[^x]",
    "![", "](", "<br>", "</", "<!--", "-->", "日本語の設計", "中文字符", "한국어", "😀", "👩‍👩‍👧", "🏳️‍🌈", "🇺🇳",
    "עברית", "العربية", "\u202e", "\u200f", "\u200b", "\u200d", "\ufeff", "\u00a0", "\u00ad", "e\u0301",
    "a\u0308\u0323\u20dd", "Z̤͔ͧ̑̓ä͖̭̈̇lͮ̒ͫǧ̗͚̚o̙̔ͮ̇͐̇", "\t", "  ", "\ufffd", "\U0010ffff", "\U000e0001", "ﷺ", "𝕏",
    "─", "│", "┌", "┐", "└", "┘", "▶", "▼", "═", "╬", "https://example.com/a?b=c&d=<e>", "www.example.com",
    "user@example.com", "notes.md", "<script>", "javascript:alert(1)", "$x^2$", ":smile:", "...", "--", "1.",
    "- ", "+ ", "> ", "    ", "=", "---",
]  # fmt: skip

plain_chunk = st.text(st.characters(exclude_categories=("Cs", "Cc")), min_size=1, max_size=12)
special_chunk = st.sampled_from(SPECIAL_TOKENS)
control_chunk = st.sampled_from(CONTROL_CHARACTERS)
INLINE_ATOMS = [
    "![i](pic.png)", "![](huge.png)", "![svg](pic.svg)", "![b](bad.png)", "![g](tiny.gif)",
    f"![d]({TINY_PNG_DATA_URL})", "![r](http://127.0.0.1/x.png)", "[l](#x)", "[j](javascript:alert(1))", "[^1]",
    "[^nope]", "<sup>2</sup>", "<sub>i</sub>", "<kbd>K</kbd>", "`code`", "**b**", "*e*", "~~s~~", "<br>",
    "<img src=x onerror=alert(1)>", "<a href='javascript:alert(1)'>a</a>", "<script>alert(1)</script>",
    "<b onmouseover=alert(1)>b</b>", "<a name='x'></a>", "<http://127.0.0.1/x>", "<user@example.com>",
    "www.example.com", "&lt;script&gt;", "\\*", "\\`", "  \n",
]  # fmt: skip
inline_chunk = st.sampled_from(INLINE_ATOMS)


def _chunk(roll: int) -> st.SearchStrategy[str]:
    """One chunk in twenty is a control character, a quarter are template-hostile tokens, a sixth inline markup."""
    if roll == 0:
        return control_chunk
    if roll < 6:
        return special_chunk
    return inline_chunk if roll < 9 else plain_chunk


chunk = st.integers(0, 19).flatmap(_chunk)


def texts(max_chunks: int = 4) -> st.SearchStrategy[str]:
    """Arbitrary text: printable anything, template-hostile tokens and, rarely, control characters."""
    return st.lists(chunk, max_size=max_chunks).map("".join)


def one_line(text: str) -> str:
    return re.sub(r"[\r\n\u2028\u2029\x85]", " ", text)


line_text = texts().map(one_line)
word = st.one_of(st.sampled_from(["Component A", "Retry Worker", "Ledger", "ID", "x", "日本", "😀", "a|b"]), line_text)

# ------------------------------------------------------------------ template constructs

STATUSES = ["Draft", "In Review", "Approved", "Deprecated", "Superseded", "draft", "WIP", "", "{{STATUS}}"]
DATES = ["2026-11-20", "2026-02-30", "2026-13-01", "{{DATE}}", "yesterday", "20261120", "0000-00-00", ""]
FEATURES = ["Payment Retry", "{{FEATURE}}", "", "日本語", "<b>Bold</b>", "`code`", "# Hash", "A & B"]


@st.composite
def titles(draw: st.DrawFn) -> str:
    name = draw(st.one_of(st.sampled_from(FEATURES), line_text))
    suffix = draw(st.sampled_from([" Technical Design", " Technical Design", "", " #", " ##  "]))
    if draw(st.integers(0, 9)) == 0:
        return f"{name}{suffix}\n{draw(st.sampled_from(['===', '=', '---']))}"  # setext
    return f"# {name}{suffix}"


@st.composite
def metadata_blocks(draw: st.DrawFn) -> str:
    lines = [
        f"**Requirement:** {draw(st.one_of(st.sampled_from(['PAY-142', '{{REQ_ID}}', '']), line_text))}",
        f"**Status:** {draw(st.one_of(st.sampled_from(STATUSES), line_text))}",
        f"**Last Updated:** {draw(st.one_of(st.sampled_from(DATES), line_text))}",
    ]
    extras = draw(st.lists(st.tuples(line_text, line_text), max_size=2))
    lines.extend(f"**{key}:** {value}" for key, value in extras)
    lines.extend(draw(st.lists(st.sampled_from(["**Status**: Draft", "**:** x", "**A:B:** c", "plain"]), max_size=1)))
    order = draw(st.permutations(lines))
    separator = draw(st.sampled_from(["\n", "\n", "  \n", "\\\n"]))
    return separator.join(order)


FRONT_MATTER_BODIES = [
    "title: Fuzz Title", "title: 42", "title: [a, b]", "status: Approved\nowner: [me, you]", "a: {b: c}",
    "- just\n- a list", "? [a, b]\n: c", "key: value: oops", "&a [*a]", "!!python/object:os.system x",
    "date: 2026-11-20", "title:", "\t bad indent", "{", "",
]  # fmt: skip


@st.composite
def front_matter(draw: st.DrawFn) -> str:
    body = draw(st.one_of(st.sampled_from(FRONT_MATTER_BODIES), texts().map(lambda text: f"title: {text}")))
    return f"---\n{body}\n---"


@st.composite
def headings(draw: st.DrawFn) -> str:
    level = draw(st.integers(1, 7))  # 7 is not a heading: a paragraph of hashes
    closing = draw(st.sampled_from(["", "", " #", " ###", "#"]))
    indent = draw(st.sampled_from(["", "", " ", "   "]))
    return f"{indent}{'#' * level} {draw(line_text)}{closing}"


@st.composite
def label_lists(draw: st.DrawFn) -> str:
    label = draw(st.one_of(st.sampled_from(["Component A:", "1. Validation Errors", "Invariants:", ""]), line_text))
    colon = draw(st.sampled_from([":", "", ":"]))
    items = draw(st.lists(st.one_of(line_text, line_text.map(lambda text: f"**{text}:** value")), max_size=4))
    tail = "".join(f"\n- {item}" for item in items)
    return f"**{label}{colon}**{draw(st.sampled_from(['', ' ', ' value']))}{tail}"


MAX_LIST_DEPTH = 4


@st.composite
def nested_lists(draw: st.DrawFn, depth: int = 0) -> str:
    ordered = draw(st.booleans())
    delimiter = draw(st.sampled_from([".", ")"])) if ordered else draw(st.sampled_from(["-", "*", "+"]))
    start = draw(st.sampled_from([1, 1, 0, 7, 999999999])) if ordered else 0
    lines: list[str] = []
    for index in range(draw(st.integers(1, 4))):
        bullet = f"{start + index}{delimiter}" if ordered else delimiter
        task = draw(st.sampled_from(["", "", "", "[ ] ", "[x] ", "[X] ", "[] "]))
        lines.append(f"{bullet} {task}{draw(line_text)}".rstrip())
        if depth < MAX_LIST_DEPTH and draw(st.integers(0, 2)) == 0:
            indent = " " * (len(bullet) + 1)
            child = draw(st.one_of(nested_lists(depth + 1), line_text, fenced_code()))
            loose = draw(st.sampled_from(["", "", "\n"]))
            lines.append(loose + "\n".join(indent + line if line else line for line in child.split("\n")))
    return "\n".join(lines)


@st.composite
def deep_nesting(draw: st.DrawFn) -> str:
    """Quotes or lists nested past the documented limit sometimes: that must be an ExportError, never a crash."""
    depth = draw(st.integers(1, 40))
    text = draw(line_text)
    if draw(st.booleans()):
        return f"{'> ' * depth}{text}"
    return "\n".join(f"{'  ' * level}- {text}" for level in range(depth))


CELL_TOKENS = ["`a|b`", "`a\\|b`", "\\|", "|", "**b**", "<br>", "[l](#x)", "`", "\\", "", " ", "![i](pic.png)"]
cell_text = st.one_of(
    line_text, st.sampled_from(CELL_TOKENS), st.tuples(line_text, st.sampled_from(CELL_TOKENS)).map("".join)
)


@st.composite
def tables(draw: st.DrawFn) -> str:
    columns = draw(st.integers(1, 12))
    outer = draw(st.booleans())

    def row(cells: list[str]) -> str:
        inner = " | ".join(cell.replace("\n", " ") for cell in cells)
        return f"| {inner} |" if outer or len(cells) < 2 else inner

    header = [draw(cell_text) for _ in range(columns)]
    delimiter_count = columns if draw(st.integers(0, 9)) else draw(st.integers(1, 13))  # mismatch: not a table
    delimiters = [
        draw(st.sampled_from(["---", ":--", "--:", ":-:", "-", "----------"])) for _ in range(delimiter_count)
    ]
    body = draw(st.lists(st.lists(cell_text, max_size=columns + 2), max_size=4))  # ragged rows
    lines = [row(header), "|" + "|".join(delimiters) + "|" if outer else row(delimiters)]
    lines.extend(row(cells) for cells in body)
    return "\n".join(lines)


CODE_LINES = [
    "type StructName struct {", "    Field1 Type  // Description", "}", "func F(a Type) (ReturnType, error)",
    "CREATE TABLE t (id INTEGER PRIMARY KEY);", "SELECT * FROM t WHERE x = 'it''s';", '{"field1": "value", "n": 1e999}',
    '{"unterminated": ', "DB_HOST=localhost", "export LOG_LEVEL=DEBUG # comment", "=novalue", "```", "````", "~~~",
    "`", "\t\tindented", "┌───┐", "│ x │──▶", "└───┘", "<script>alert(1)</script>", "\\", "", " ",
]  # fmt: skip
CODE_LANGUAGES = [
    "go", "sql", "json", "env", "", "", "text", "python", "no-such-lang", "{.go}", "go title=x", "c++", "diagram",
    "ascii", "mermaid", "ENV", "JSON", "no-diagram", "🙂", "sql {", "html",
]  # fmt: skip
code_line = st.one_of(st.sampled_from(CODE_LINES), texts(), st.integers(1, 8).map(lambda n: "`" * n))


@st.composite
def fenced_code(draw: st.DrawFn) -> str:
    mark = draw(st.sampled_from("`~"))
    fence = mark * draw(st.integers(3, 6))
    language = draw(st.one_of(st.sampled_from(CODE_LANGUAGES), line_text))
    body = "\n".join(draw(st.lists(code_line, max_size=6)))
    closing = draw(st.sampled_from([fence, fence, fence, fence + mark, ""]))  # "" leaves it unclosed
    if draw(st.integers(0, 9)) == 0:
        return "\n".join("    " + line for line in body.split("\n"))  # indented code block
    return f"{fence}{language}\n{body}\n{closing}"


UNICODE_BOX = {"h": "─", "v": "│", "tl": "┌", "tr": "┐", "bl": "└", "br": "┘", "right": "▶", "down": "▼"}
ASCII_BOX = {"h": "-", "v": "|", "tl": "+", "tr": "+", "bl": "+", "br": "+", "right": ">", "down": "v"}
STRAY = [*"─│┌┐└┘├┤┬┴┼═║╔╗╚╝▶◀▲▼+-|<>v^ x\t", "日", "😀", "\u0301"]
DIAGRAM_LANGUAGES = ["", "", "", "text", "ascii", "diagram", "svgbob", "no-diagram", "txt"]


@st.composite
def diagrams(draw: st.DrawFn) -> str:
    """Rows of boxes joined by arrows, as in the template's component diagram; sometimes damaged."""
    glyph = ASCII_BOX if draw(st.integers(0, 3)) == 0 else UNICODE_BOX
    lines: list[str] = []
    for row_index in range(draw(st.integers(1, 2))):
        if row_index:
            lines.extend([f"{' ' * 8}{glyph['v']}", f"{' ' * 8}{glyph['down']}"])
        height = draw(st.integers(3, 5))
        row = [""] * height
        for box_index in range(draw(st.integers(1, 4))):
            label = draw(st.one_of(st.sampled_from(["Component A", "B", "日本語", "😀 x", ""]), line_text))
            label = label.replace("\t", " ")[:18]
            width = max(draw(st.integers(3, 20)), len(label) + 2)
            if box_index:
                gap = draw(st.integers(1, 8))
                for index in range(height):
                    arrow = glyph["h"] * (gap - 1) + glyph["right"] if index == height // 2 else " " * gap
                    row[index] += arrow
            row[0] += glyph["tl"] + glyph["h"] * (width - 2) + glyph["tr"]
            for index in range(1, height - 1):
                text = label if index == height // 2 else ""
                row[index] += glyph["v"] + text.ljust(width - 2) + glyph["v"]
            row[-1] += glyph["bl"] + glyph["h"] * (width - 2) + glyph["br"]
        lines.extend(row)
    for _ in range(draw(st.integers(0, 3))):  # damage: stray glyphs, missing cells, ragged lines
        index = draw(st.integers(0, len(lines) - 1))
        line = lines[index]
        column = draw(st.integers(0, max(0, len(line) - 1)))
        action = draw(st.sampled_from(["replace", "delete", "truncate", "insert"]))
        if action == "replace":
            lines[index] = line[:column] + draw(st.sampled_from(STRAY)) + line[column + 1 :]
        elif action == "delete":
            lines[index] = line[:column] + line[column + 1 :]
        elif action == "truncate":
            lines[index] = line[:column]
        else:
            lines[index] = line[:column] + draw(st.sampled_from(STRAY)) + line[column:]
    body = "\n".join(lines)
    if draw(st.integers(0, 9)) == 0:
        return body  # box drawing outside any fence
    return f"```{draw(st.sampled_from(DIAGRAM_LANGUAGES))}\n{body}\n```"


CALLOUT_KINDS = ["NOTE", "TIP", "IMPORTANT", "WARNING", "CAUTION", "note", "Warning", "FOO", "", "NOTE] x"]


@st.composite
def quotes(draw: st.DrawFn) -> str:
    inner = draw(st.one_of(texts(), nested_lists(MAX_LIST_DEPTH - 1), fenced_code(), tables(), headings()))
    kind = draw(st.sampled_from(["plain", "plain", "callout", "bold-note"]))
    if kind == "callout":
        inner = f"[!{draw(st.sampled_from(CALLOUT_KINDS))}]{draw(st.sampled_from(['', '', ' ', ' title']))}\n{inner}"
    elif kind == "bold-note":
        inner = f"**Note:** {inner}"
    prefix = draw(st.sampled_from(["> ", "> ", ">", "> > "]))
    return "\n".join(prefix + line for line in inner.split("\n"))


FOOTNOTE_LABELS = ["1", "2", "note", "x y", "^", "日本", "a]b", "", "1", "very-long-label-" * 4]


@st.composite
def footnotes(draw: st.DrawFn) -> str:
    cited = draw(st.lists(st.sampled_from(FOOTNOTE_LABELS), min_size=1, max_size=3))
    defined = draw(st.lists(st.sampled_from(FOOTNOTE_LABELS), max_size=3))  # some undefined, some unused, dupes
    paragraph = " ".join(f"{draw(line_text)}[^{label}]" for label in cited)
    definitions = []
    for label in defined:
        body = draw(line_text)
        if draw(st.integers(0, 3)) == 0:
            body += "\n\n    " + draw(st.one_of(line_text, st.just("- a\n    - b"), st.just("```go\n    x\n    ```")))
        definitions.append(f"[^{label}]: {body}")
    return "\n\n".join([paragraph, *definitions])


TARGETS = [
    "#frag", "#technical-overview", "#", "../x.png", "../../etc/passwd", "/etc/passwd", "file:///etc/passwd",
    "javascript:alert(1)", "JaVaScRiPt:alert(1)", "java\tscript:alert(1)", " javascript:alert(1)",
    "vbscript:msgbox(1)", "data:text/html,<script>alert(1)</script>", "http://127.0.0.1/x.png",
    "https://example.com/a b", "mailto:a@b.c", "tel:+1", "ftp://x/y.png", "//127.0.0.1/x.png", "pic.png", "bad.png",
    "huge.png", "pic.svg", "tiny.gif", "missing.png", "sub/../pic.png", "%2e%2e/x.png", "pic.png?x=1#y", "",
    "data:image/png;base64,!!!!", "data:image/svg+xml,<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>",
    "C:\\x.png", "\\\\server\\share.png", "x.md", "x.pdf",
]  # fmt: skip


@st.composite
def links(draw: st.DrawFn) -> str:
    target = draw(st.one_of(st.sampled_from([*TARGETS, TINY_PNG_DATA_URL]), line_text))
    text = draw(line_text)
    title = draw(st.sampled_from(["", "", ' "title"', " 'x \"y\"'", ' "<script>"']))
    wrapped = f"<{target}>" if " " in target or draw(st.integers(0, 5)) == 0 else target
    form = draw(st.sampled_from(["link", "image", "reference", "autolink", "image-link"]))
    if form == "link":
        return f"[{text}]({wrapped}{title})"
    if form == "image":
        return f"![{text}]({wrapped}{title})"
    if form == "image-link":
        return f"[![{text}]({wrapped})]({draw(st.sampled_from(TARGETS))})"
    if form == "reference":
        label = draw(st.sampled_from(["ref", "Ref", "日本", "a b", "x"]))
        return f"[{text}][ref] and ![{text}][{label}]\n\n[ref]: {wrapped}{title}"
    return f"<{target}> {target}"


HTML_SNIPPETS = [
    "<details><summary>{t}</summary>\n\n{t}\n\n</details>", "<details>\n{t}", "</details>", "<summary>{t}</summary>",
    "<sup>{t}</sup>", "<sub>{t}</sub>", "<kbd>Ctrl</kbd>+<kbd>{t}</kbd>", "<script>alert(1)</script>",
    "<script>alert(1)", "<SCRIPT SRC=//127.0.0.1/x.js></SCRIPT>", "<img src=x onerror=alert(1)>",
    "<img src=pic.png onload=alert(1) alt='{t}'>", '<a href="javascript:alert(1)">{t}</a>',
    '<a href="#x" onclick="alert(1)">{t}</a>', '<a name="x" id="{t}">anchor</a>', "<div onclick=alert(1)>{t}</div>",
    "<style>body { display: none }</style>", "<iframe src=http://127.0.0.1/></iframe>",
    "<svg onload=alert(1)><circle r=1 /></svg>", "<b>{t}", "<em><strong>{t}</em></strong>", "<p>{t}",
    "<table><tr><td>{t}</td></tr></table>", "<br>", "<br/>", "<!-- {t} -->", "<!-- unclosed", "<![CDATA[{t}]]>",
    "<?php echo 1 ?>", "<math><mi>x</mi></math>", "<code>{t}</code>", "<textarea>{t}", "<object data=x></object>",
    "<form action=http://127.0.0.1><input></form>", "<meta http-equiv=refresh content='0;url=http://127.0.0.1'>",
    "<base href=http://127.0.0.1/>", "<link rel=stylesheet href=http://127.0.0.1/x.css>", "<u>{t}</u> <ins>{t}</ins>",
    '<img src="data:image/svg+xml,<svg onload=alert(1)>">', "<a href='{t}'>{t}</a>", "<{t}>", "</{t}>",
]  # fmt: skip


@st.composite
def raw_html(draw: st.DrawFn) -> str:
    snippet = draw(st.sampled_from(HTML_SNIPPETS))
    filled = snippet.replace("{t}", draw(line_text))
    return draw(st.sampled_from(["{}", "{}", "text {} text", "- {}", "| a |\n|---|\n| {} |"])).format(filled)


INLINE_MARKUP = ["**{}**", "*{}*", "_{}_", "~~{}~~", "`{}`", "``{}``", "***{}***", "{}  \n", "{}\\\n", "[{}]", "{}"]


@st.composite
def paragraphs(draw: st.DrawFn) -> str:
    if draw(st.integers(0, 2)) == 0:
        return draw(texts(8))  # anything at all, multi-line included
    parts = [draw(st.sampled_from(INLINE_MARKUP)).format(draw(texts())) for _ in range(draw(st.integers(1, 5)))]
    return " ".join(parts)


OTHER_BLOCKS = ["---", "***", "___", "- - -", "", "&nbsp;", "\\", "*Generated from technical-template.md*", "[TOC]"]


def blocks() -> st.SearchStrategy[str]:
    return st.one_of(
        headings(),
        label_lists(),
        nested_lists(),
        tables(),
        fenced_code(),
        diagrams(),
        quotes(),
        footnotes(),
        links(),
        raw_html(),
        paragraphs(),
        deep_nesting(),
        st.sampled_from(OTHER_BLOCKS),
    )


@st.composite
def documents(draw: st.DrawFn, max_blocks: int = 6) -> str:
    """A document in the template's shape, any of its parts left out, its sections in random order."""
    parts: list[str] = []
    if draw(st.integers(0, 9)) == 0:
        parts.append(draw(front_matter()))
    if draw(st.integers(0, 4)):
        parts.append(draw(titles()))
        if draw(st.integers(0, 3)):
            parts.append(draw(metadata_blocks()))
    parts.extend(draw(st.lists(blocks(), max_size=max_blocks)))
    separator = draw(st.sampled_from(["\n\n", "\n\n", "\n\n", "\n", "\n\n\n", "\r\n\r\n"]))
    ending = draw(st.sampled_from(["\n", "\n", "", "\n\n\n"]))
    return separator.join(parts) + ending


# ------------------------------------------------------------------ checks


class _TagCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


FORBIDDEN_TAGS = {"script", "iframe", "frame", "frameset", "object", "embed", "form", "base", "applet"}
UNSAFE_URL = re.compile(r"^(?:javascript|vbscript|data:text/html)", re.IGNORECASE)


def check_html(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert "</html>" in text
    assert not re.search(r"<script", text, re.IGNORECASE), "script element in the HTML"
    collector = _TagCollector()
    collector.feed(text)
    collector.close()
    for tag, attrs in collector.tags:
        assert tag not in FORBIDDEN_TAGS, f"<{tag}> in the HTML"
        for name, value in attrs:
            assert not re.fullmatch(r"on[a-z]+", name), f"event handler {name}={value!r} on <{tag}>"
            if name in {"href", "src", "xlink:href", "action", "formaction"}:
                compact = re.sub(r"[\x00-\x20]", "", value or "")
                assert not UNSAFE_URL.match(compact), f"unsafe {name}={value!r} on <{tag}>"
                if tag == "img":
                    assert compact.startswith("data:image/"), f"<img> that would load {value!r}"


def check_pdf(path: Path, pages: int | None) -> None:
    reader = pypdf.PdfReader(path, strict=True)
    assert len(reader.pages) >= 1
    assert reader.pages[0].mediabox.width > 0
    assert pages == len(reader.pages), "the reported page count is the file's"


def check_docx(path: Path) -> None:
    with zipfile.ZipFile(path) as package:
        assert package.testzip() is None
        for name in package.namelist():
            if name.endswith((".xml", ".rels")):
                ElementTree.fromstring(package.read(name))  # Word refuses a package with a malformed part
    docx.Document(str(path))


def _note(text: str) -> None:
    if currently_in_test_context():
        note(text)


def _event(text: str) -> None:
    if currently_in_test_context():
        event(text)


def check_export(document: str) -> None:
    _note(f"document: {document!r}")
    with tempfile.TemporaryDirectory(prefix="designexport-fuzz-") as folder:
        root = Path(folder)
        for name, data in NEIGHBOUR_FILES.items():
            (root / name).write_bytes(data)
        source = root / "design.md"
        source.write_bytes(document.encode("utf-8"))
        out = root / "out"
        result = export_document(source, ExportSettings(formats=("html", "pdf", "docx"), output_dir=out))
        _note(f"error: {result.error!r}")
        if result.error:
            assert "could not render" not in result.error, result.error
            assert result.error.startswith(display_name(source)), result.error
            assert ": error: " in result.error and "\n" not in result.error, result.error
            _event(f"documented error: {re.sub(r'.*: error: ', '', result.error)[:40]}")
        else:
            _event("exported")
            assert sorted(path.suffix for path in result.outputs) == [".docx", ".html", ".pdf"]
        pages = {record.path: record.pages for record in result.records}
        for path in result.outputs:  # whatever was written, even before a later format failed, opens
            assert path.is_file() and path.stat().st_size > 0
            if path.suffix == ".html":
                check_html(path)
            elif path.suffix == ".pdf":
                check_pdf(path, pages[path])
            else:
                check_docx(path)
        leftovers = [name for _, _, names in os.walk(root) for name in names if name.endswith(".part")]
        assert leftovers == [], f"temporary files left behind: {leftovers}"


def check_parse(text: str) -> None:
    try:
        document = parse(text, "fuzz.md")
    except ExportError as error:
        assert str(error).startswith("fuzz.md"), str(error)
        _event("documented error")
        return
    assert isinstance(document, Document)
    _event("parsed")


# ------------------------------------------------------------------ the properties

parser_inputs = st.one_of(documents(max_blocks=12), st.text(), texts(40))


@settings(max_examples=PARSER_EXAMPLES, **DEFAULT_RUN)
@given(parser_inputs)
def test_parser_returns_a_document_or_a_documented_error(text: str) -> None:
    check_parse(text)


@settings(max_examples=EXPORT_EXAMPLES, **DEFAULT_RUN)
@given(documents(max_blocks=5))
def test_every_backend_writes_openable_files_or_a_documented_error(document: str) -> None:
    check_export(document)


@pytest.mark.slow
@settings(max_examples=SLOW_EXAMPLES, **LONG_RUN)
@given(parser_inputs)
def test_parser_long_run(text: str) -> None:
    check_parse(text)


@pytest.mark.slow
@settings(max_examples=SLOW_EXAMPLES, **LONG_RUN)
@given(documents(max_blocks=8))
def test_every_backend_long_run(document: str) -> None:
    check_export(document)


# ------------------------------------------------------------------ bugs the properties found

DEEP_LIST = "".join(f"{'  ' * level}- x\n" for level in range(25))  # 25 levels, inside the documented limit of 31
INNERMOST = "  " * 25


def _fixed_bug(document: str, name: str, reason: str) -> object:
    return pytest.param(document, id=name)


# Minimal reproducers of bugs the properties found (all fixed); each `reason` says what used to go wrong.
FIXED_BUGS = [
    _fixed_bug(
        "a \u2029b\n",
        "pdf-space-then-paragraph-separator",
        "could not render PDF: WeasyPrint asserts on a space followed by U+2029 in flowing text",
    ),
    _fixed_bug(
        f"{DEEP_LIST}{INNERMOST}- ![i](pic.png)\n",
        "docx-image-in-26-deep-list",
        "could not render DOCX: a picture 26 list levels deep gets a negative width",
    ),
    _fixed_bug(
        f"{DEEP_LIST}{INNERMOST}- x\n\n{INNERMOST}  | a |\n{INNERMOST}  |---|\n{INNERMOST}  | 1 |\n",
        "docx-table-in-26-deep-list",
        "could not render DOCX: a table 26 list levels deep gets negative column widths",
    ),
]


@pytest.mark.parametrize("document", FIXED_BUGS)
def test_bugs_found_by_the_properties(document: str) -> None:
    check_export(document)


FIXED_PARSER_BUGS = [
    _fixed_bug(
        "<!--<![a(\n",
        "parser-marked-section-in-html-block",
        "html.parser raises AssertionError ('unknown status keyword') on `<![a(` inside a raw HTML block",
    ),
]


@pytest.mark.parametrize("text", FIXED_PARSER_BUGS)
def test_parser_bugs_found_by_the_properties(text: str) -> None:
    check_parse(text)
