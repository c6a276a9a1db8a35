"""How much of a real document survives export, measured against what pandoc reads from the same file.

Three measures, per document (see tests/test_fidelity.py, which runs them on ../shared/corpus/docs):

- **Words kept.** The reference is pandoc's plain-text rendering of the file read as GFM, plus the visible
  text of its raw HTML (pandoc's plain writer drops raw HTML, which GitHub shows). Both sides are reduced
  to the same words: Unicode NFKC, curly quotes and dashes made straight, case folded, then runs of letters
  and digits (so punctuation, markup and identifier separators such as `_` `.` `/` are never words, and
  each CJK character is a word of its own). Numbers that the formats draw for themselves (ordered list
  and footnote numbers), formulas (each tool spells TeX differently) and the source of Mermaid, Graphviz and
  PlantUML fences (drawn as pictures whose labels the diagram tests check) are left out of the reference.
  Our words: the HTML page's visible text, SVG `<text>` and image alt text included; `pdftotext -raw` of
  the PDF (its default mode joins `non-` and `pointer` across lines), with the splits its extraction makes
  where the page shows a word whole mended (see `pdf_words`); the DOCX's document and footnote text plus
  each picture's alt text (a diagram's labels). Each reference word counts as often as it occurs, so a lost
  paragraph is not hidden by the same words elsewhere; words we add (cover, contents, headers) cost nothing.
- **Raw HTML accounted for.** Elements seen in the source's raw HTML (as pandoc's GFM reader finds it),
  dropped (one `raw-html` warning each, naming the tag), and silently flattened: for the elements whose
  meaning has a visible form (a table, a cell, a `<pre>`, a heading, bold, ...), our HTML page must hold
  as many of that form as the Markdown and the raw HTML together ask for; a shortfall not covered by a
  warning is an element lost without a word. The rest are mapped.
- **Words broken inside PDF table cells** (tests/pdf_checks.py finds them, in a tagged PDF): in tables the
  layout keeps every word whole in (the table fits), and in all tables.
"""

from __future__ import annotations

import itertools
import json
import re
import subprocess
import unicodedata
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable
from contextlib import suppress
from dataclasses import dataclass, field
from functools import cached_property, partial
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pypandoc

from exporter.diagram.external.drawing import RENDERER_OF_LANGUAGE
from exporter.model.diagnostics import Reporter
from exporter.read.markdown import parse
from tests.pdf_checks import broken_table_words, table_cell_texts

THRESHOLD_PERCENT = 99.5
FORMATS = ("html", "pdf", "docx")

# ------------------------------------------------------------------------------------------ words

_QUOTES = str.maketrans(dict.fromkeys("‘’‚‛′`´", "'") | dict.fromkeys("“”„‟″«»‹›", '"'))
_DASHES = str.maketrans(dict.fromkeys("‐‑‒–—―−⁃", "-"))
_INVISIBLE = re.compile("[\u00ad\u200b-\u200d\u2060\ufeff]")  # soft hyphen, zero-width spaces and joiners
# Scripts written without spaces (and Hangul, which breaks anywhere): every character is a word of its own.
_CJK = re.compile(
    "[\u1100-\u11ff\u3040-\u30ff\u3100-\u312f\u3130-\u318f\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]"
)
_WORD = re.compile(r"[^\W_]+")


def normalize(text: str) -> str:
    """The text as both sides are compared: NFKC (ligatures, full-width forms), straight quotes, plain dashes,
    no invisible characters, case folded."""
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES).translate(_DASHES)
    return _INVISIBLE.sub("", text).casefold()


def word_list(text: str) -> list[str]:
    """The words of `text` in order: runs of letters and digits, each CJK character alone."""
    return _WORD.findall(_CJK.sub(r" \g<0> ", normalize(text)))


def words(text: str) -> Counter[str]:
    return Counter(word_list(text))


@dataclass(frozen=True)
class Share:
    """How many of the reference's words (counted with repeats) an output holds."""

    kept: int
    total: int
    missing: Counter[str]

    @property
    def percent(self) -> float:
        return 100.0 * self.kept / self.total if self.total else 100.0

    def worst_missing(self, count: int = 25) -> str:
        return ", ".join(f"{word!r}×{times}" for word, times in self.missing.most_common(count))


def kept_share(reference: Counter[str], ours: Counter[str]) -> Share:
    missing = Counter({word: times - ours[word] for word, times in reference.items() if times > ours[word]})
    total = sum(reference.values())
    return Share(total - sum(missing.values()), total, missing)


# ------------------------------------------------------------------------------- the reference


@dataclass
class RawHtml:
    """What the source's raw HTML holds, read with the stdlib parser as a browser would see the text."""

    text: str = ""
    tags: Counter[str] = field(default_factory=Counter)  # every start tag, by name
    kinds: Counter[str] = field(default_factory=Counter)  # start tags outside <pre>, by visible form (KINDS)


@dataclass
class Reference:
    """What pandoc reads from one Markdown file."""

    words: Counter[str]
    raw: RawHtml
    kinds: Counter[str]  # visible forms the Markdown itself makes (tables, cells, code blocks, ...)
    formulas: int


def pandoc_reference(source: Path) -> Reference:
    ast: dict[str, Any] = json.loads(pypandoc.convert_file(str(source), "json", format="gfm", extra_args=["--quiet"]))
    reader = _AstReader()
    ast["blocks"] = reader.rewrite(ast["blocks"]) + reader.notes
    plain = pypandoc.convert_text(json.dumps(ast), "plain", format="json", extra_args=["--wrap=none", "--quiet"])
    raw = read_raw_html(reader.raw_fragments)
    raw.kinds["line break"] -= min(reader.trailing_breaks, raw.kinds["line break"])
    return Reference(
        words=words(plain) + words(raw.text),
        raw=raw,
        kinds=reader.kinds,
        formulas=reader.formulas,
    )


# The visible forms an element takes: the raw tags (outside <pre>) and pandoc's Markdown nodes that make them.
KINDS = {
    "table": "table", "tr": "row", "td": "cell", "th": "cell", "pre": "code block",
    "h1": "heading", "h2": "heading", "h3": "heading", "h4": "heading", "h5": "heading", "h6": "heading",
    "blockquote": "quote", "hr": "rule", "ul": "list", "ol": "list", "li": "list item",
    "dl": "definition list", "dt": "term", "dd": "definition", "details": "details", "summary": "summary",
    "img": "image", "br": "line break", "sup": "sup", "sub": "sub", "b": "strong", "strong": "strong",
    "i": "emphasis", "em": "emphasis", "code": "code", "tt": "code", "kbd": "code", "samp": "code",
    "var": "code", "s": "strike", "strike": "strike", "del": "strike", "ins": "ins", "mark": "mark",
    "small": "small", "abbr": "abbr", "q": "quotation",
}  # fmt: skip
_MARKDOWN_KINDS = {
    "Table": "table", "CodeBlock": "code block", "Header": "heading", "BlockQuote": "quote",
    "HorizontalRule": "rule", "BulletList": "list", "OrderedList": "list", "DefinitionList": "definition list",
    "Image": "image", "LineBreak": "line break", "Superscript": "sup", "Subscript": "sub", "Strong": "strong",
    "Emph": "emphasis", "Code": "code", "Strikeout": "strike",
}  # fmt: skip


class _AstReader:
    """Walks pandoc's JSON AST once: counts the visible forms the Markdown makes, collects the raw HTML, and
    takes out of the text what each format draws for itself (list and note numbers, a diagram's arrowheads)
    or spells its own way (math)."""

    def __init__(self) -> None:
        self.notes: list[Any] = []
        self.raw_fragments: list[str] = []
        self.kinds: Counter[str] = Counter()
        self.formulas = 0
        self.drawn_diagrams = 0
        self.trailing_breaks = 0

    def rewrite(self, node: Any) -> Any:
        if isinstance(node, list):
            return [self.rewrite(item) for item in node]
        if not isinstance(node, dict) or "t" not in node:
            return node
        kind = node["t"]
        content: Any = node.get("c")
        if kind in _MARKDOWN_KINDS:
            self.kinds[_MARKDOWN_KINDS[kind]] += 1
        match kind:
            case "OrderedList":
                self.kinds["list item"] += len(content[1])
                return {"t": "BulletList", "c": self.rewrite(content[1])}
            case "BulletList":
                self.kinds["list item"] += len(content)
            case "DefinitionList":
                self.kinds["term"] += len(content)
                self.kinds["definition"] += sum(len(definitions) for _, definitions in content)
            case "Note":
                self.notes.extend(self.rewrite(content))
                return {"t": "Space"}
            case "Math":
                self.formulas += 1
                return {"t": "Space"}
            case "RawBlock" if content[0] == "html":
                self.raw_fragments.append(content[1])
            case "Para" | "Plain" if _ends_in_line_break(content):
                self.trailing_breaks += 1  # a <br> that ends its paragraph shows nothing; we may leave it out
            case "RawInline" if content[0] == "html":
                # The plain writer drops it; a <br> or <img> still parts the words on either side.
                self.raw_fragments.append(content[1])
                tag = _TAG_NAME.match(content[1])
                return {"t": "Space"} if tag and tag.group(1).lower() in _BLOCK_TAGS else {"t": "Str", "c": ""}
            case "Table":
                self._table(content)
            case "CodeBlock" if set(content[0][1]) & set(RENDERER_OF_LANGUAGE):
                self.drawn_diagrams += 1  # drawn by its renderer: its labels show, not its source
                return {"t": "Plain", "c": []}
            case "CodeBlock":
                return {"t": kind, "c": [content[0], _without_arrowheads(content[1])]}
        return {"t": kind, "c": self.rewrite(content)} if "c" in node else node

    def _table(self, content: list[Any]) -> None:
        _attr, _caption, _colspecs, head, bodies, foot = content
        rows = [*head[1], *(row for body in bodies for row in (*body[2], *body[3])), *foot[1]]
        self.kinds["row"] += len(rows)
        self.kinds["cell"] += sum(len(cells) for _row_attr, cells in rows)


def _ends_in_line_break(inlines: list[Any]) -> bool:
    content = [node for node in inlines if node.get("t") not in {"Space", "SoftBreak"}]
    last = content[-1] if content else {}
    tag = _TAG_NAME.match(last["c"][1]) if last.get("t") == "RawInline" and last["c"][0] == "html" else None
    return tag is not None and tag.group(1).lower() == "br"


_ARROWHEAD = re.compile(r"(?<!\w)[vV](?!\w)")
_VERTICAL_STROKES = set("|│┃║╎┆┊+┬┼╥╦")


def _without_arrowheads(code: str) -> str:
    """A diagram's `v` under a vertical stroke is an arrowhead, drawn as one, not a word."""
    lines = code.split("\n")
    for number in range(1, len(lines)):
        above = lines[number - 1]
        for match in reversed(list(_ARROWHEAD.finditer(lines[number]))):
            column = match.start()
            if column < len(above) and above[column] in _VERTICAL_STROKES:
                lines[number] = lines[number][:column] + " " + lines[number][column + 1 :]
    return "\n".join(lines)


# ---------------------------------------------------------------------------------- HTML text

_BLOCK_TAGS = {
    "address", "article", "aside", "blockquote", "br", "caption", "dd", "details", "div", "dl", "dt",
    "figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav",
    "ol", "p", "pre", "section", "summary", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
    "text", "tspan", "svg", "img",
}  # fmt: skip
_INVISIBLE_TAGS = {"script", "style", "head", "template", "noscript", "title"}
# Our own notes around content, not content: a code block's language label, why an image is missing.
_CHROME_CLASSES = {"code-language", "image-missing-note", "footnote-back"}
_TAG_NAME = re.compile(r"<\s*/?\s*([A-Za-z][\w-]*)")
_VOID_TAGS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _TextParser(HTMLParser):
    """Visible text, with a space wherever a block, cell, line break or SVG text run ends a word."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.open: list[tuple[str, bool]] = []  # (tag, hidden)

    @property
    def hidden(self) -> bool:
        return any(hidden for _, hidden in self.open)

    def hides(self, tag: str, attrs: dict[str, str]) -> bool:
        return tag in _INVISIBLE_TAGS or bool(_CHROME_CLASSES & set(attrs.get("class", "").split()))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")
        self.on_start(tag, values)
        if tag not in _VOID_TAGS:
            self.open.append((tag, self.hides(tag, values)))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID_TAGS:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")
        for index in range(len(self.open) - 1, -1, -1):
            if self.open[index][0] == tag:
                del self.open[index:]
                return

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)

    def on_start(self, tag: str, attrs: dict[str, str]) -> None:
        pass

    def text(self) -> str:
        return "".join(self.parts)


class _RawHtmlParser(_TextParser):
    def __init__(self) -> None:
        super().__init__()
        self.found = RawHtml()

    def on_start(self, tag: str, attrs: dict[str, str]) -> None:
        self.found.tags[tag] += 1
        if tag in KINDS and not any(open_tag == "pre" for open_tag, _ in self.open):
            self.found.kinds[KINDS[tag]] += 1


def read_raw_html(fragments: Iterable[str]) -> RawHtml:
    parser = _RawHtmlParser()
    parser.feed("\n".join(fragments))
    parser.close()
    parser.found.text = parser.text()
    return parser.found


class _OurHtmlParser(_TextParser):
    """Our page: its visible text, and how many of each visible form its content holds (the table of
    contents and our own chrome are not content)."""

    def __init__(self) -> None:
        super().__init__()
        self.kinds: Counter[str] = Counter()

    def on_start(self, tag: str, attrs: dict[str, str]) -> None:
        classes = set(attrs.get("class", "").split())
        if "footnote-ref" in classes:
            self.parts.append(" ")  # a note's number is not part of the word it follows
        if any(open_tag == "nav" for open_tag, _ in self.open) or tag == "nav" or "doc-control" in classes:
            return
        in_pre = any(open_tag == "pre" for open_tag, _ in self.open)
        if tag == "figure" and ("diagram-drawing" in classes or "diagram-picture" in classes):
            self.kinds["code block"] += 1  # a diagram drawn from a fence or <pre>
        elif tag == "img":
            self.kinds["image"] += 1
            self.parts.append(f"\n{attrs.get('alt', '')}\n")  # as the DOCX's picture alt text counts
        elif tag == "span" and "image-missing" in classes:
            self.kinds["image"] += 1  # an image we could not load, shown as a note (and warned about)
        elif tag in KINDS and not in_pre:
            self.kinds[KINDS[tag]] += 1


@dataclass(frozen=True)
class HtmlPage:
    words: Counter[str]
    kinds: Counter[str]


def read_html(path: Path) -> HtmlPage:
    parser = _OurHtmlParser()
    parser.feed(path.read_text(encoding="utf-8"))
    parser.close()
    return HtmlPage(words(parser.text()), parser.kinds)


# ----------------------------------------------------------------------------------- PDF text


def pdf_text(path: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-raw", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def pdf_words(path: Path) -> Counter[str]:
    """The PDF's words, plus the words its text extraction splits or glues where the page shows them whole:
    a word wrapped across two lines (a long URL or identifier) joined again; two pieces on one line joined
    (`Tensor`s: the code span's padding reads as a space); a footnote number glued to its word taken off."""
    text = pdf_text(path)
    found = words(text)
    lines = [word_list(line) for line in text.splitlines() if line.strip()]
    raw_lines = [line for line in text.splitlines() if line.strip()]
    for (line, following), (before, after) in zip(
        itertools.pairwise(raw_lines), itertools.pairwise(lines), strict=True
    ):
        end, start = normalize(line.rstrip())[-1:], normalize(following.lstrip())[:1]
        if before and after and end.isalnum() and start.isalnum() and not _CJK.match(end):
            found[before[-1] + after[0]] += 1
    for line_words in lines:
        found.update(first + second for first, second in itertools.pairwise(line_words))
        found.update(shorter for word in line_words for shorter in _without_note_number(word))
    return found


def _without_note_number(word: str) -> list[str]:
    """`outage3` -> `outage`, `20232` -> `2023`: the word with a footnote number of one or two digits glued to it
    taken off (so a number's own last digits may count as kept: a small leniency)."""
    return [word[:-cut] for cut in (1, 2) if len(word) > cut and word[-cut:].isdigit()]


# ---------------------------------------------------------------------------------- DOCX text

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_M = "{http://schemas.openxmlformats.org/officeDocument/2006/math}"
_WP = "{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}"
DOCX_PARTS = ("word/document.xml", "word/footnotes.xml", "word/endnotes.xml")


def docx_text(path: Path) -> str:
    """The text Word shows: every paragraph's runs (equations included), and each picture's alt text."""
    parts: list[str] = []
    with zipfile.ZipFile(path) as package:
        names = set(package.namelist())
        for name in DOCX_PARTS:
            if name not in names:
                continue
            for element in ElementTree.fromstring(package.read(name)).iter():
                if element.tag == f"{_W}p":
                    parts.append("\n")
                elif element.tag in {f"{_W}t", f"{_M}t"}:
                    parts.append(element.text or "")
                elif element.tag in {f"{_W}tab", f"{_W}br", f"{_W}cr"}:
                    parts.append(" ")
                elif element.tag == f"{_WP}docPr":
                    parts.append(f"\n{element.get('descr', '')}\n")
    return "".join(parts)


def docx_words(path: Path) -> Counter[str]:
    return words(docx_text(path))


# ---------------------------------------------------------------------------------- raw HTML


@dataclass(frozen=True)
class RawHtmlCount:
    seen: int
    dropped: int
    flattened: Counter[str]  # by visible form: elements that lost their form without a warning

    @property
    def mapped(self) -> int:
        return self.seen - self.dropped - sum(self.flattened.values())


def count_raw_html(reference: Reference, page: HtmlPage, raw_html_warnings: Iterable[str]) -> RawHtmlCount:
    dropped_kinds: Counter[str] = Counter()
    dropped = 0
    for message in raw_html_warnings:
        if any(part in message for part in ("dropped the style ", "dropped the formatting ", "ignored align=")):
            continue  # an element that is itself mapped lost its style, alignment, or formatting inside <pre>
        dropped += 1
        if (tag := _TAG_NAME.search(message)) and tag.group(1).lower() in KINDS:
            dropped_kinds[KINDS[tag.group(1).lower()]] += 1
    flattened: Counter[str] = Counter()
    for kind, raw_count in reference.raw.kinds.items():
        expected = reference.kinds[kind] + raw_count - dropped_kinds[kind]
        shortfall = min(raw_count - dropped_kinds[kind], expected - page.kinds[kind])
        if shortfall > 0:
            flattened[kind] = shortfall
    return RawHtmlCount(sum(reference.raw.tags.values()), dropped, flattened)


# ----------------------------------------------------------------------------------- a document


class DocumentFidelity:
    """The measures of one exported document, each taken when first asked for (a measure that fails leaves
    the others standing). `outputs` maps each format to its file; `raw_html_warnings` are the export's
    raw-html messages; the PDF must be tagged (pdf/ua-1), for tests/pdf_checks.py to find its table cells."""

    def __init__(self, source: Path, outputs: dict[str, Path], raw_html_warnings: list[str]) -> None:
        self.source = source
        self.outputs = outputs
        self.raw_html_warnings = raw_html_warnings

    @cached_property
    def reference(self) -> Reference:
        return pandoc_reference(self.source)

    @cached_property
    def page(self) -> HtmlPage:
        return read_html(self.outputs["html"])

    @cached_property
    def shares(self) -> dict[str, Share]:
        ours = {
            "html": self.page.words,
            "pdf": pdf_words(self.outputs["pdf"]),
            "docx": docx_words(self.outputs["docx"]),
        }
        return {fmt: kept_share(self.reference.words, ours[fmt]) for fmt in FORMATS}

    @cached_property
    def raw_html(self) -> RawHtmlCount:
        return count_raw_html(self.reference, self.page, self.raw_html_warnings)

    @cached_property
    def broken(self) -> tuple[list[str], list[str]]:
        """Words broken in the cells of tables the layout keeps every word whole in, and of any table."""
        # Which tables fit is the layout's decision (enrich/tables.py), read from the tree as the export made it.
        document = parse(self.source.read_text(encoding="utf-8"), self.source.name, Reporter(self.source.name))
        every_cell = table_cell_texts(document)
        anywhere = broken_table_words(self.outputs["pdf"], every_cell) if every_cell else []
        cells_where_fits = table_cell_texts(document, keeping_words_whole=True)
        return (broken_table_words(self.outputs["pdf"], cells_where_fits) if anywhere else []), anywhere

    def _percent(self, fmt: str) -> str:
        return f"{self.shares[fmt].percent:.2f}"

    def details(self) -> list[str]:
        """What each number below 100 % or above 0 is made of, so that nothing under a threshold goes unseen."""
        name = self.source.stem
        lines: list[str] = []
        with suppress(Exception):  # the test of that measure reports the failure itself
            lines += [
                f"{name}.{fmt}: missing {self.shares[fmt].worst_missing(12)}"
                for fmt in FORMATS
                if self.shares[fmt].missing
            ]
        with suppress(Exception):
            if flattened := self.raw_html.flattened:
                lost = ", ".join(f"{kind} ×{count}" for kind, count in sorted(flattened.items()))
                lines.append(f"{name}: raw HTML lost without a warning: {lost}")
        with suppress(Exception):
            if anywhere := self.broken[1]:
                lines.append(f"{name}.pdf: broken in table cells: {', '.join(anywhere[:12])}")
        return lines

    def row(self) -> list[str]:
        """The summary table's row; a measure that fails shows as `error`."""
        return [
            self.source.stem,
            _or_error(lambda: str(sum(self.reference.words.values()))),
            *(_or_error(partial(self._percent, fmt)) for fmt in FORMATS),
            _or_error(lambda: str(self.raw_html.seen)),
            _or_error(lambda: str(self.raw_html.mapped)),
            _or_error(lambda: str(self.raw_html.dropped)),
            _or_error(lambda: str(sum(self.raw_html.flattened.values()))),
            _or_error(lambda: f"{len(self.broken[0])}/{len(self.broken[1])}"),
            _or_error(lambda: str(self.reference.formulas)),
        ]


def _or_error(cell: Callable[[], str]) -> str:
    try:
        return cell()
    except Exception:  # the test of that measure reports the failure itself
        return "error"


HEADER = ["document", "words", "html %", "pdf %", "docx %", "raw seen", "mapped", "dropped", "silent", "broken", "math"]


def summary_table(results: Iterable[DocumentFidelity]) -> str:
    """A plain-text table, one row per document, and what its columns mean."""
    rows = [HEADER, *(result.row() for result in results)]
    widths = [max(len(row[column]) for row in rows) for column in range(len(HEADER))]
    lines = [
        "  ".join(
            cell.ljust(width) if column == 0 else cell.rjust(width)
            for column, (cell, width) in enumerate(zip(row, widths, strict=True))
        )
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join([*lines, "", *LEGEND, "", *_details(results)]) + "\n"


def _details(results: Iterable[DocumentFidelity]) -> list[str]:
    return [line for result in results for line in result.details()]


LEGEND = (
    f"words: pandoc's words (plain text + raw HTML text); html/pdf/docx %: the share we keep (>= {THRESHOLD_PERCENT}).",
    "raw seen/mapped/dropped/silent: raw HTML elements in the source; dropped = raw-html warnings; silent = lost",
    "  their form (table, cell, pre, heading, ...) without a warning.",
    "broken: words split across lines in PDF table cells, in tables that fit / in all tables.",
    "math: formulas in the source (not counted as words).",
)
