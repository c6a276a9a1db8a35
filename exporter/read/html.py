"""Raw HTML in Markdown, mapped to tree nodes through an allowlist modelled on GitHub's sanitizer.

GitHub keeps a fixed list of elements (and a few attributes of each) and drops every other tag, keeping
its text; script, style and the like go with their content. Each element on the list becomes the node
that means the same, and each dropped one is a `raw-html` warning naming it at its line and column.
Security is the rest of the parse's: links go through the link policy, images through the resource
resolver later; no style, class or handler attribute reaches the tree.

Two builders share one tokenizer:
- `InlineStack` builds the inlines of one paragraph from Markdown's inline tokens and the raw tags
  between them (`html_inline`);
- `BlockAssembler` builds the blocks of one container from its `html_block` chunks and the Markdown
  blocks between them, so Markdown after a blank line inside `<td>` or `<details>` lands inside it, as
  CommonMark (and GitHub) nest it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from html.parser import HTMLParser
from typing import NoReturn, TypeAlias

from exporter.enrich.outline import IdRegistry
from exporter.enrich.presentation import LINK_SCHEMES, link_allowed
from exporter.model.diagnostics import Code, ExportError, Reporter
from exporter.model.limits import Limits
from exporter.model.tree import (
    Alignment,
    Anchor,
    Block,
    BlockQuote,
    BulletList,
    DefinitionItem,
    DefinitionList,
    Details,
    Emphasis,
    HardBreak,
    Heading,
    Image,
    Inline,
    InlineCode,
    Keyboard,
    Link,
    ListItem,
    OrderedList,
    Paragraph,
    SoftBreak,
    Strikethrough,
    Strong,
    Styled,
    Subscript,
    Superscript,
    Table,
    TableCell,
    Text,
    ThematicBreak,
    plain_text,
)
from exporter.safety.policy import IMAGE_TYPES

LINK_POLICY = ", ".join(LINK_SCHEMES) + ", relative paths and #fragments"

# ------------------------------------------------------------------ the allowlist

# GitHub's elements (html-pipeline's SanitizationFilter, with picture/source), by what each becomes.
# Inline elements: the kind of inline frame each opens.
INLINE_KINDS: dict[str, str] = {
    "b": "strong", "strong": "strong",
    "i": "em", "em": "em", "cite": "em", "dfn": "em", "var": "em",
    "s": "del", "strike": "del", "del": "del",
    "sup": "sup", "sub": "sub", "kbd": "kbd",
    "code": "code", "tt": "code", "samp": "code",
    "ins": "inserted", "mark": "highlighted", "small": "small",
    "q": "q", "a": "a",
}  # fmt: skip
# Kept, with no meaning of their own to map: their content is what shows.
TRANSPARENT = frozenset({"span", "abbr", "time", "bdo", "ruby", "rt", "rp", "wbr", "figure", "picture", "source"})
HEADINGS = {f"h{level}": min(level, 6) for level in range(1, 9)}  # GitHub allows h7 and h8 too
# Blocks that hold inlines only; a block element starting inside one ends it, as in HTML.
TEXT_BLOCKS = frozenset({"p", "dt", "summary", "caption", "figcaption", *HEADINGS})
# Blocks that hold blocks.
CONTAINERS = frozenset({"div", "blockquote", "li", "dd", "td", "th", "details"})
LISTS = frozenset({"ul", "ol", "dl"})
TABLE_PARTS = frozenset({"table", "thead", "tbody", "tfoot", "tr"})
VOID = frozenset({"br", "hr", "img", "source", "wbr", "col", "input", "meta", "link", "area", "base", "embed", "param"})
BLOCK_TAGS = TEXT_BLOCKS | CONTAINERS | LISTS | TABLE_PARTS | {"pre", "hr"}
ALLOWED = frozenset({*INLINE_KINDS, *TRANSPARENT, *BLOCK_TAGS, "br", "img"})
# Not allowed, and their content goes too: it is code, or not meant to be read as text.
DISCARD_CONTENT = frozenset(
    {"script", "style", "template", "textarea", "title", "iframe", "object", "noscript", "svg", "canvas", "video",
     "audio", "select", "head"}
)  # fmt: skip

_ALIGNMENTS: dict[str, Alignment] = {"left": "left", "center": "center", "right": "right"}
_LANGUAGE_CLASS = re.compile(r"(?:^|\s)(?:language|lang|highlight-source)-([\w+#.-]+)", re.IGNORECASE)
_REMOTE = re.compile(r"^(?:[a-z][a-z0-9+.-]*:)?//", re.IGNORECASE)
MAX_COLUMN_SPAN = 1000  # as HTML clamps colspan
OPEN_ELEMENTS_PER_LEVEL = 4  # a level of nesting may take a table, its row group, row and cell
MAX_IMAGE_PIXELS_ACROSS = 10_000
OPEN_QUOTE, CLOSE_QUOTE = "\u201c", "\u201d"


def alignment_of(attrs: dict[str, str]) -> Alignment:
    return _ALIGNMENTS.get(attrs.get("align", "").strip().lower(), "default")


def _span(value: str, default: int, highest: int) -> int:
    digits = re.match(r"\s*(\d+)", value)
    return min(int(digits.group(1)), highest) if digits else default


def _pixels(value: str) -> int:
    """A `width`/`height` attribute in CSS pixels; 0 for percentages and nonsense."""
    found = re.fullmatch(r"\s*(\d+)(?:\.\d*)?\s*(?:px)?\s*", value)
    return min(int(found.group(1)), MAX_IMAGE_PIXELS_ACROSS) if found else 0


def refusal(target: str) -> str:
    return f"link target {target!r} is not allowed and became plain text (links may be {LINK_POLICY})"


def dropped(tag: str) -> str:
    if tag in DISCARD_CONTENT:
        return f"dropped raw HTML <{tag}> and its content (GitHub does not render it)"
    if tag in VOID:
        return f"dropped raw HTML <{tag}> (GitHub does not render it)"
    return f"dropped raw HTML <{tag}> (GitHub does not render it); its text is kept"


# ------------------------------------------------------------------ what the mapping needs from the parse


@dataclass
class HtmlContext:
    """One parse's shared state: where warnings go, the ids taken, the limits, the source for positions, and
    how a code block's text becomes a block (a diagram is recognised as in a fence)."""

    reporter: Reporter
    ids: IdRegistry
    limits: Limits
    source_lines: list[str]
    code_block: Callable[[str, str, int, int], Block]  # (text, language, line, first text line) -> block
    tags_seen: int = 0
    open_containers: int = 0
    _cursor: tuple[int, int, int] = (0, 0, 0)  # (block line, line, column) where the next inline tag is looked for

    def count_tag(self, line: int) -> None:
        """Raw HTML tags count against the `elements` limit, as Markdown's own elements do."""
        self.tags_seen += 1
        if self.tags_seen > self.limits.elements:
            raise ExportError(
                self.reporter.source,
                f"the document has more than {self.limits.elements} elements (paragraphs, formatted words, table "
                "cells, code lines and words), more than any format renders in a minute (--limit elements=N)",
                line,
            )

    def raw_html_warning(self, line: int, column: int, message: str) -> None:
        self.reporter.warn(line, Code.RAW_HTML, message, column)

    def locate_inline(self, raw: str, block_line: int) -> tuple[int, int]:
        """Line and column of an inline tag, searched in order from the previous one of the same block."""
        start_block, line, column = self._cursor
        if start_block != block_line or line < block_line:
            line, column = max(block_line, 1), 0
        needle = raw.split("\n", 1)[0]
        for number in range(line, min(len(self.source_lines), line + 1000) + 1):
            found = self.source_lines[number - 1].find(needle, column if number == line else 0)
            if found >= 0:
                self._cursor = (block_line, number, found + len(needle))
                return number, found + 1
        return max(block_line, 1), 0


# ------------------------------------------------------------------ the tokenizer


@dataclass(frozen=True, slots=True)
class Tag:
    name: str
    attrs: dict[str, str]
    end: bool
    line: int  # in the source
    column: int  # 1-based; 0 when not known


@dataclass(frozen=True, slots=True)
class Data:
    text: str
    line: int  # where it starts in the source


Event: TypeAlias = Tag | Data


class _Tokenizer(HTMLParser):
    """Tags and text of a piece of raw HTML, with each tag's place in the source; comments are dropped."""

    def __init__(self, first_line: int, column_offsets: list[int]) -> None:
        super().__init__(convert_charrefs=True)
        self.first_line = first_line
        self.column_offsets = column_offsets
        self.events: list[Event] = []

    def _position(self) -> tuple[int, int]:
        line_offset, column = self.getpos()
        extra = self.column_offsets[line_offset - 1] if 0 < line_offset <= len(self.column_offsets) else 0
        if extra < 0:
            return self.first_line + line_offset - 1, 0
        return self.first_line + line_offset - 1, column + extra + 1

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        line, column = self._position()
        self.events.append(Tag(tag, {name: value or "" for name, value in attrs}, False, line, column))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            line, column = self._position()
            self.events.append(Tag(tag, {}, True, line, column))

    def handle_endtag(self, tag: str) -> None:
        line, column = self._position()
        self.events.append(Tag(tag, {}, True, line, column))

    def handle_data(self, data: str) -> None:
        if self.events and isinstance(last := self.events[-1], Data):
            self.events[-1] = Data(last.text + data, last.line)
        else:
            self.events.append(Data(data, self.first_line + self.getpos()[0] - 1))


def tokenize(raw: str, first_line: int, context: HtmlContext, *, columns_known: bool = True) -> list[Event]:
    """The events of `raw`, which starts on `first_line`; a warning when Python's parser gives up on it."""
    lines = raw.split("\n")
    offsets = [_column_offset(context.source_lines, first_line + index, text) for index, text in enumerate(lines)]
    if not columns_known:
        offsets = [-1] * len(lines)
    tokenizer = _Tokenizer(first_line, offsets)
    try:
        tokenizer.feed(raw)
        tokenizer.close()
    except AssertionError:  # Python's HTMLParser asserts on some malformed markup (`<![a(`)
        context.raw_html_warning(first_line, 0, "dropped raw HTML that could not be parsed")
        return []
    for event in tokenizer.events:
        if isinstance(event, Tag) and not event.end and event.attrs.get("style", "").strip():
            # GitHub drops inline styles too, but a colour or highlight the author meant is lost: say so.
            style = event.attrs["style"].strip()
            context.raw_html_warning(
                event.line, event.column, f"dropped the style {style!r} of raw HTML <{event.name}>; its content is kept"
            )
    return tokenizer.events


def _column_offset(source_lines: list[str], line: int, text: str) -> int:
    """Where `text` (a line of a block as markdown-it hands it over, without the indent or quote marker of
    its container) starts in the source line; -1 when it can't be found."""
    if not 0 < line <= len(source_lines):
        return -1
    if not text.strip():
        return 0
    found = source_lines[line - 1].find(text)
    return found


# ------------------------------------------------------------------ inlines


@dataclass
class _Frame:
    kind: str
    attrs: dict[str, str]
    children: list[Inline] = field(default_factory=list)


class InlineStack:
    """Builds nested inlines from open/close events, shared by Markdown and raw HTML tags."""

    def __init__(self, line: int, context: HtmlContext) -> None:
        self.line = line
        self.context = context
        self.reporter = context.reporter
        self.ids = context.ids
        self.frames: list[_Frame] = [_Frame("root", {})]
        self.discarding = 0
        self.picture_sources: list[dict[str, str]] | None = None  # inside <picture>: its <source>s so far

    def add(self, node: Inline) -> None:
        if self.discarding:
            return
        children = self.frames[-1].children
        if isinstance(node, Text) and children and isinstance(children[-1], Text):
            children[-1] = Text(children[-1].text + node.text)
        elif not (isinstance(node, Text) and not node.text):
            children.append(node)

    def open(self, kind: str, **attrs: str) -> None:
        # Formatting nested deeper than the nesting limit adds nothing a reader sees, and a tree that deep
        # would exhaust the stack of every writer: deeper tags are taken as plain text's.
        if len(self.frames) <= self.context.limits.nesting_depth:
            self.frames.append(_Frame(kind, attrs))

    def close(self, kind: str) -> None:
        for depth in range(len(self.frames) - 1, 0, -1):
            if self.frames[depth].kind == kind:
                while len(self.frames) > depth:
                    self._pop()
                return

    def is_empty(self) -> bool:
        return len(self.frames) == 1 and all(
            isinstance(node, Text) and not node.text.strip() for node in self.frames[0].children
        )

    def ends_in_break(self) -> bool:
        children = self.frames[-1].children
        return not children or isinstance(children[-1], HardBreak | SoftBreak)

    def _pop(self) -> None:
        frame = self.frames.pop()
        children = tuple(frame.children)
        node: Inline | None
        match frame.kind:
            case "em":
                node = Emphasis(children)
            case "strong":
                node = Strong(children)
            case "del":
                node = Strikethrough(children)
            case "sup":
                node = Superscript(children)
            case "sub":
                node = Subscript(children)
            case "kbd":
                node = Keyboard(children)
            case "inserted" | "highlighted" | "small":
                node = Styled(frame.kind, children)
            case "code":
                for child in _as_code(children):
                    self.add(child)
                return
            case "q":
                for child in (Text(OPEN_QUOTE), *children, Text(CLOSE_QUOTE)):
                    self.add(child)
                return
            case "a":
                node = self._link(frame, children)
            case _:
                node = None
        if node is None:
            for child in children:
                self.add(child)
        elif not isinstance(node, Link) and not children:
            return
        else:
            self.add(node)

    def _link(self, frame: _Frame, children: tuple[Inline, ...]) -> Inline | None:
        href = frame.attrs.get("href", "")
        anchor_id = frame.attrs.get("id") or frame.attrs.get("name") or ""
        if anchor_id:
            self.anchor(anchor_id)
        if not href:
            return None
        if not link_allowed(href):
            self.reporter.warn(self.line, Code.UNSAFE_LINK, refusal(href))
            return None
        return Link(href, children, frame.attrs.get("title", ""))

    def anchor(self, identifier: str) -> None:
        """A link target (`<a id>`, `<a name>`, any element's `id`) where the text has got to."""
        if not self.discarding:
            self.ids.reserve(identifier)
            self.frames[-1].children.append(Anchor(identifier))

    def html(self, raw: str) -> None:
        """One raw inline tag (or comment) from a Markdown paragraph, mapped to its meaning or dropped."""
        if raw.startswith(("<!", "<?")):
            return  # comments, declarations, CDATA, processing instructions
        line, column = self.context.locate_inline(raw, self.line)
        for event in tokenize(raw, line, self.context, columns_known=False):
            if isinstance(event, Tag):
                self.tag(replace(event, line=line, column=column), in_paragraph=True)
            else:
                self.add(Text(event.text))

    def tag(self, tag: Tag, *, in_paragraph: bool) -> None:
        """An inline tag, or in a paragraph any tag: block elements there only break the line."""
        name = tag.name
        if name in DISCARD_CONTENT:
            if tag.end:
                self.discarding = max(0, self.discarding - 1)
                return
            if not self.discarding:
                self.context.raw_html_warning(tag.line, tag.column, dropped(name))
            self.discarding += 1
            return
        if self.discarding:
            return
        if tag.end:
            if name in INLINE_KINDS:
                self.close(INLINE_KINDS[name])
            elif name == "picture":
                self.picture_sources = None
            elif in_paragraph and name in BLOCK_TAGS and name not in ("td", "th") and not self.ends_in_break():
                self.add(HardBreak())
            return
        self.context.count_tag(tag.line)
        if name not in ALLOWED:
            self.context.raw_html_warning(tag.line, tag.column, dropped(name))
            return
        identifier = tag.attrs.get("id", "").strip()
        if identifier and name != "a":
            self.anchor(identifier)
        match name:
            case "br":
                self.add(HardBreak())
            case "img":
                self.image(tag)
            case "picture":
                self.picture_sources = []
            case "source":
                if self.picture_sources is not None:
                    self.picture_sources.append(tag.attrs)
            case "pre" if in_paragraph:
                self.open("code")
            case _ if name in INLINE_KINDS:
                self.open(INLINE_KINDS[name], **_inline_attributes(tag.attrs))
            case "td" | "th" if in_paragraph:
                self.add(Text(" "))
            case _ if in_paragraph and name in BLOCK_TAGS and not self.ends_in_break():
                self.add(HardBreak())
            case _:
                pass  # kept elements with no meaning of their own here

    def image(self, tag: Tag) -> None:
        attrs = tag.attrs
        source = attrs.get("src", "").strip()
        if self.picture_sources is not None:
            source = best_picture_source(self.picture_sources, source)
        if (align := attrs.get("align", "").strip()) and source:
            # Text never flows beside an image in print or Word; it stays where it was written.
            self.context.raw_html_warning(
                tag.line, tag.column, f'ignored align="{align}" of raw HTML <img>; the image is not floated'
            )
        if source:
            width, height = _pixels(attrs.get("width", "")), _pixels(attrs.get("height", ""))
            self.add(Image(source, attrs.get("alt", ""), attrs.get("title", ""), tag.line, width, height))

    def finish(self) -> tuple[Inline, ...]:
        while len(self.frames) > 1:
            self._pop()
        children = self.frames[0].children
        while children and isinstance(children[-1], SoftBreak | HardBreak):
            children.pop()
        return tuple(children)


def _inline_attributes(attrs: dict[str, str]) -> dict[str, str]:
    """What an inline frame reads: a link's target, title and anchor names. Nothing else passes."""
    return {name: attrs[name] for name in ("href", "title", "id", "name") if name in attrs}


def _as_code(children: tuple[Inline, ...]) -> tuple[Inline, ...]:
    """`<code>` around inlines: its text as code spans, keeping the links inside (`<code>[name](url)</code>`)."""
    if not any(isinstance(node, Link | Anchor | Image) for node in children):
        text = plain_text(children)
        return (InlineCode(text),) if text else ()
    mapped: list[Inline] = []
    for node in children:
        match node:
            case Link():
                mapped.append(replace(node, children=_as_code(node.children)))
            case Anchor() | Image() | HardBreak():
                mapped.append(node)
            case _ if plain_text((node,)):
                mapped.append(InlineCode(plain_text((node,))))
            case _:
                pass
    return tuple(mapped)


def best_picture_source(sources: list[dict[str, str]], fallback: str) -> str:
    """The image a printed page shows from a `<picture>`: of the `<source>`s for a light page (not
    `prefers-color-scheme: dark`) in a type we draw, each at its highest resolution, then the `<img>`'s own,
    the first that is a file beside the document (remote images load only with --allow-remote), else the first."""
    candidates: list[str] = []
    for attrs in sources:
        media = attrs.get("media", "").replace(" ", "").lower()
        kind = attrs.get("type", "").strip().lower()
        if "prefers-color-scheme:dark" in media or (kind and kind not in IMAGE_TYPES):
            continue
        candidates.append(_largest_candidate(attrs.get("srcset", "")))
    candidates = [candidate for candidate in (*candidates, fallback) if candidate]
    local = [candidate for candidate in candidates if not _REMOTE.match(candidate)]
    return (local or candidates or [""])[0]


def _largest_candidate(srcset: str) -> str:
    """The URL with the largest `2x` or `800w` descriptor in a srcset (the first when none has one)."""
    best, best_size = "", -1.0
    for candidate in srcset.split(","):
        parts = candidate.split()
        if not parts:
            continue
        size = 1.0
        if len(parts) > 1:
            found = re.fullmatch(r"(\d+(?:\.\d+)?)[xw]", parts[1].lower())
            size = float(found.group(1)) if found else 1.0
        if size > best_size:
            best, best_size = parts[0], size
    return best


# ------------------------------------------------------------------ blocks


@dataclass
class _Block:
    """An open element: what it has gathered so far. `blocks` and `inlines` hold the content of
    containers and text blocks; lists, tables and `<pre>` gather into fields of their own."""

    tag: str
    attrs: dict[str, str]
    line: int
    alignment: Alignment = "default"  # for paragraphs inside, from `align` here or on an enclosing div
    blocks: list[Block] = field(default_factory=list)
    inlines: InlineStack | None = None
    anchors: list[str] = field(default_factory=list)  # ids waiting for the first text inside
    counted: bool = False  # counts against the nesting limit
    # <ul>, <ol>: items; <dl>: terms and definitions
    items: list[ListItem] = field(default_factory=list)
    terms: list[DefinitionItem] = field(default_factory=list)
    # <details>
    summary: tuple[Inline, ...] = ()
    # <table>: its caption and the rows of each row group; <tr>: its cells
    caption: tuple[Inline, ...] = ()
    groups: list[tuple[str, list[list[_Cell]]]] = field(default_factory=list)
    loose_rows: int = -1  # <table>: the group its rows outside any thead/tbody/tfoot go to; -1 before one
    group: int = -1  # <thead>, <tbody>, <tfoot>: its index in the table's groups
    cells: list[_Cell] = field(default_factory=list)
    # <pre>
    text: list[str] = field(default_factory=list)
    language: str = ""


@dataclass(frozen=True, slots=True)
class _Cell:
    header: bool
    column_span: int
    row_span: int  # 0: to the end of its row group
    alignment: Alignment
    blocks: tuple[Block, ...]
    line: int = 0  # where its tag is in the source


HOLDS_BLOCKS = frozenset({"root", *CONTAINERS})


class BlockAssembler:
    """The blocks of one container, from raw HTML chunks and the Markdown blocks between them."""

    def __init__(self, context: HtmlContext) -> None:
        self.context = context
        self.stack: list[_Block] = [_Block("root", {}, 0)]
        self.discarding = 0
        self.discard_line = 0

    # ------------------------------------------------------------ input

    def html(self, raw: str, line: int) -> None:
        """An `html_block` starting on `line`."""
        for event in tokenize(raw, line, self.context):
            if isinstance(event, Data):
                self.data(event.text, event.line)
            elif event.end:
                self.end(event)
            else:
                self.start(event)

    def block(self, block: Block) -> None:
        """A Markdown block between raw HTML chunks: it goes where the open elements say (never dropped with
        an unclosed `<iframe>` or the like: only raw HTML goes with those)."""
        top = self.stack[-1]
        if top.tag == "pre":
            self._close_top()  # a blank line ended the raw block inside <pre>: what follows is Markdown
            top = self.stack[-1]
        if top.tag in TEXT_BLOCKS:
            if isinstance(block, Paragraph):
                stack = self._inlines(top)
                if not stack.is_empty():
                    stack.add(SoftBreak())
                for node in block.children:
                    stack.add(node)
                return
            self._close_top()
        self._add_block(block)

    def finish(self) -> tuple[Block, ...]:
        """The container's blocks; elements left open end here."""
        while len(self.stack) > 1:
            self._close_top()
        root = self.stack[0]
        self._flush(root)
        return tuple(root.blocks)

    # ------------------------------------------------------------ events

    def data(self, text: str, line: int) -> None:
        if self.discarding:
            return
        top = self.stack[-1]
        if top.tag == "pre":
            top.text.append(text)
            return
        if not text.strip() and not (top.inlines and not top.inlines.is_empty()):
            return  # whitespace between elements
        target = self._text_target()
        line += text[: len(text) - len(text.lstrip())].count("\n")  # where its first word is
        self._inlines(target, line).add(Text(re.sub(r"\s+", " ", text)))

    def start(self, tag: Tag) -> None:
        name = tag.name
        if name in DISCARD_CONTENT:
            if not self.discarding:
                self.context.raw_html_warning(tag.line, tag.column, dropped(name))
            self.discarding += 1
            return
        if self.discarding:
            return
        if self.stack[-1].tag == "pre":
            self._in_pre(tag)
            return
        if name not in BLOCK_TAGS:
            self._inlines(self._text_target(), tag.line).tag(tag, in_paragraph=False)
            return
        self.context.count_tag(tag.line)
        self._close_implied_by(name)
        frame = _Block(name, tag.attrs, tag.line, alignment=self._alignment_for(name, tag.attrs))
        identifier = tag.attrs.get("id", "").strip()
        if identifier:
            self.context.ids.reserve(identifier)
            frame.anchors.append(identifier)
        match name:
            case "hr":
                self._add_block(ThematicBreak(tag.line))
                return
            case "tr" if not self._find("table"):
                return
            case "td" | "th":
                if not self._find("table"):
                    return
                if self.stack[-1].tag in ("table", "thead", "tbody", "tfoot"):
                    # a cell straight in a table gets the row HTML implies
                    self.stack.append(_Block("tr", {}, tag.line))
            case "thead" | "tbody" | "tfoot":
                table = self._nearest("table")
                if table is None:
                    return
                table.groups.append((name, []))
                frame.group = len(table.groups) - 1
                table.loose_rows = -1
            case "li" if not self._innermost_list(("ul", "ol")):
                return  # an item outside a list: its content joins the text around it
            case "dt" | "dd" if not self._innermost_list(("dl",)):
                return
            case "pre":
                frame.language = _code_language(tag.attrs)
            case _:
                pass
        if name in ("blockquote", "ul", "ol", "dl", "table", "details"):
            self._enter_container(frame)
        elif len(self.stack) > OPEN_ELEMENTS_PER_LEVEL * self.context.limits.nesting_depth:
            self._too_deep(frame.line)  # thousands of <div>s inside each other: each tag would search them all
        self.stack.append(frame)

    def end(self, tag: Tag) -> None:
        name = tag.name
        if name in DISCARD_CONTENT:
            self.discarding = max(0, self.discarding - 1)
            return
        if self.discarding:
            return
        top = self.stack[-1]
        if top.tag == "pre" and name != "pre":
            return
        if name not in BLOCK_TAGS:
            self._inlines(self._text_target(), tag.line).tag(tag, in_paragraph=False)
            return
        depth = self._open_index(name)
        if depth is None:
            return  # an end tag with nothing open to end: ignored, as browsers do
        while len(self.stack) > depth:
            self._close_top()

    # ------------------------------------------------------------ structure

    def _alignment_for(self, name: str, attrs: dict[str, str]) -> Alignment:
        own = alignment_of(attrs)
        if own != "default" or name not in ("div", "p", *HEADINGS):
            return own
        return self.stack[-1].alignment if self.stack[-1].tag in ("div", "root") else "default"

    def _enter_container(self, frame: _Block) -> None:
        self.context.open_containers += 1
        frame.counted = True
        if self.context.open_containers > self.context.limits.nesting_depth:
            self._too_deep(frame.line)

    def _too_deep(self, line: int) -> NoReturn:
        raise ExportError(
            self.context.reporter.source,
            f"raw HTML is nested too deeply (more than {self.context.limits.nesting_depth} levels of lists, "
            "quotes, tables and details; --limit nesting-depth=N)",
            line,
        )

    def _find(self, name: str) -> bool:
        return self._open_index(name) is not None

    def _open_index(self, name: str) -> int | None:
        """Where the innermost open `name` is in the stack, not looking past a table or list boundary that
        `name` can't cross (a `</td>` never ends an outer table's cell)."""
        boundaries = {
            "td": {"table"}, "th": {"table"}, "tr": {"table"}, "thead": {"table"}, "tbody": {"table"},
            "tfoot": {"table"}, "li": {"ul", "ol"}, "dt": {"dl"}, "dd": {"dl"},
        }.get(name, set())  # fmt: skip
        for index in range(len(self.stack) - 1, 0, -1):
            tag = self.stack[index].tag
            if tag == name or (name in ("td", "th") and tag in ("td", "th")) or (name in HEADINGS and tag in HEADINGS):
                return index
            if tag in boundaries:
                return None
        return None

    def _innermost_list(self, kinds: tuple[str, ...]) -> bool:
        for frame in reversed(self.stack):
            if frame.tag in kinds:
                return True
            if frame.tag in ("table", "td", "th", "blockquote", "details"):
                return False
        return False

    def _close_implied_by(self, name: str) -> None:
        """What a start tag ends, as an HTML parser would: a paragraph before any block, the previous
        item, cell or row of the same list or table."""
        if self.stack[-1].tag in TEXT_BLOCKS and name not in ("br",):
            self._close_top()
        implied = {
            "li": ("li",), "dt": ("dt", "dd"), "dd": ("dt", "dd"), "tr": ("tr",), "td": ("td", "th"),
            "th": ("td", "th"), "thead": ("thead", "tbody", "tfoot"), "tbody": ("thead", "tbody", "tfoot"),
            "tfoot": ("thead", "tbody", "tfoot"),
        }.get(name, ())  # fmt: skip
        for kind in implied:
            depth = self._open_index(kind)
            if depth is not None:
                while len(self.stack) > depth:
                    self._close_top()
                return

    def _close_top(self) -> None:
        frame = self.stack.pop()
        if frame.counted:
            self.context.open_containers -= 1
        parent = self.stack[-1]
        match frame.tag:
            case "p" | "figcaption":
                inlines = self._finish_inlines(frame)
                if inlines:
                    self._add_block(Paragraph(inlines, frame.line, frame.alignment), parent)
            case "caption":
                table = self._nearest("table")
                if table is not None:
                    table.caption = self._finish_inlines(frame)
            case "summary":
                summary = self._finish_inlines(frame)
                if parent.tag == "details":
                    parent.summary = summary
                elif summary:
                    self._add_block(Paragraph((Strong(summary),), frame.line), parent)
            case "dt":
                if parent.tag == "dl":
                    parent.terms.append(DefinitionItem(self._finish_inlines(frame), ()))
            case name if name in HEADINGS:
                inlines = self._finish_inlines(frame)
                if inlines:
                    self._add_block(Heading(HEADINGS[name], "", inlines, frame.line), parent)
                if (align := frame.attrs.get("align", "").strip()) and align.lower() != "left":
                    # Headings keep the document's own alignment in every format; say so rather than lose it.
                    self.context.raw_html_warning(
                        frame.line, 0, f'ignored align="{align}" of raw HTML <{name}>; the heading is left-aligned'
                    )
            case "div" | "figure":
                self._flush(frame)
                for block in frame.blocks:
                    self._add_block(block, parent)
            case "blockquote":
                self._flush(frame)
                self._add_block(BlockQuote(tuple(frame.blocks), frame.line), parent)
            case "details":
                self._flush(frame)
                self._add_block(Details(frame.summary or (Text("Details"),), tuple(frame.blocks), frame.line), parent)
            case "li":
                self._flush(frame)
                if parent.tag in ("ul", "ol"):
                    parent.items.append(ListItem(tuple(frame.blocks), None, frame.line))
            case "dd":
                self._flush(frame)
                if parent.tag == "dl":
                    self._add_definition(parent, tuple(frame.blocks), frame.line)
            case "ul" | "ol":
                if frame.items:
                    self._add_block(self._list(frame), parent)
            case "dl":
                if frame.terms:
                    self._add_block(DefinitionList(tuple(frame.terms), frame.line), parent)
            case "td" | "th":
                self._flush(frame)
                if parent.tag == "tr":
                    parent.cells.append(_cell(frame))
            case "tr":
                self._add_row(frame)
            case "thead" | "tbody" | "tfoot":
                pass  # its rows went into the table as they ended
            case "table":
                self._finish_table(frame, parent)
            case "pre":
                self._finish_pre(frame, parent)
            case _:
                self._flush(frame)

    def _nearest(self, name: str) -> _Block | None:
        index = self._open_index(name)
        return self.stack[index] if index is not None else None

    def _add_definition(self, dl: _Block, blocks: tuple[Block, ...], line: int) -> None:
        if not dl.terms:
            dl.terms.append(DefinitionItem((), ()))
        last = dl.terms[-1]
        dl.terms[-1] = replace(last, definitions=(*last.definitions, blocks))

    @staticmethod
    def _list(frame: _Block) -> Block:
        # Items of a single paragraph each (or none) read as a tight list, like `<li>text</li>` on GitHub.
        tight = all(sum(isinstance(block, Paragraph) for block in item.children) <= 1 for item in frame.items)
        if frame.tag == "ol":
            return OrderedList(tuple(frame.items), _span(frame.attrs.get("start", ""), 1, 10**9), tight, frame.line)
        return BulletList(tuple(frame.items), tight, frame.line)

    def _add_row(self, row: _Block) -> None:
        """A finished row joins its row group; rows straight in the table form a body group of their own."""
        parent = self.stack[-1]
        table = self._nearest("table")
        if table is None:
            return
        if parent.tag in ("thead", "tbody", "tfoot") and parent.group >= 0:
            group = parent.group
        else:
            if table.loose_rows < 0:
                table.groups.append(("tbody", []))
                table.loose_rows = len(table.groups) - 1
            group = table.loose_rows
        table.groups[group][1].append(list(row.cells))

    def _finish_table(self, frame: _Block, parent: _Block) -> None:
        if frame.caption:
            self._add_block(Paragraph(frame.caption, frame.line, "center"), parent)
        table = build_table(frame.groups, frame.line, self.context)
        if table is not None:
            self._add_block(table, parent)
        if frame.anchors:  # ids on the table: link targets just after it
            self._add_block(Paragraph(tuple(Anchor(identifier) for identifier in frame.anchors), frame.line), parent)

    def _finish_pre(self, frame: _Block, parent: _Block) -> None:
        text = "".join(frame.text)
        first_line = frame.line
        if text.startswith("\n"):  # HTML drops a newline right after <pre>
            text = text[1:]
            first_line += 1
        lines = text.split("\n")
        while lines and not lines[-1].strip():
            lines.pop()
        if lines:
            self._add_block(self.context.code_block("\n".join(lines), frame.language, frame.line, first_line), parent)

    def _in_pre(self, tag: Tag) -> None:
        """A tag inside `<pre>`: its text stays code; a `<br>` is a new line; what GitHub drops is named."""
        name = tag.name
        pre = self.stack[-1]
        self.context.count_tag(tag.line)
        if name == "br":
            pre.text.append("\n")
        elif name == "code" and not pre.language:
            pre.language = _code_language(tag.attrs)
        elif name not in ALLOWED:
            self.context.raw_html_warning(tag.line, tag.column, dropped(name))
        elif not tag.end:
            self.context.raw_html_warning(
                tag.line, tag.column, f"dropped the formatting of raw HTML <{name}> inside <pre>; its text stays code"
            )

    # ------------------------------------------------------------ content

    def _text_target(self) -> _Block:
        """The open element that text and inline tags go into."""
        top = self.stack[-1]
        return top if top.tag in TEXT_BLOCKS else self._block_holder()

    def _block_holder(self) -> _Block:
        """The innermost open element that holds blocks: text straight in a list or table goes before it,
        where browsers put it."""
        for frame in reversed(self.stack):
            if frame.tag in HOLDS_BLOCKS:
                return frame
        return self.stack[0]

    def _inlines(self, frame: _Block, line: int = 0) -> InlineStack:
        """The frame's text so far; a new paragraph's starts on `line` (the frame's own line by default)."""
        if frame.inlines is None:
            frame.inlines = InlineStack(line or frame.line, self.context)
            for identifier in frame.anchors:
                frame.inlines.anchor(identifier)
            frame.anchors.clear()
        elif line and frame.inlines.is_empty() and len(frame.inlines.frames) == 1:
            frame.inlines.line = line  # nothing shows yet: the paragraph starts here
        return frame.inlines

    def _finish_inlines(self, frame: _Block) -> tuple[Inline, ...]:
        if frame.inlines is None:
            return tuple(Anchor(identifier) for identifier in frame.anchors)
        inlines = trim(frame.inlines.finish())
        frame.inlines = None
        return inlines

    def _flush(self, frame: _Block) -> None:
        """Text gathered directly in a container becomes a paragraph of it; ids no text took become targets."""
        if frame.inlines is None and not frame.anchors:
            return
        line = frame.inlines.line if frame.inlines is not None else frame.line
        inlines = self._finish_inlines(frame)
        frame.anchors.clear()
        if inlines:
            frame.blocks.append(Paragraph(inlines, line, frame.alignment if frame.tag == "div" else "default"))

    def _add_block(self, block: Block, target: _Block | None = None) -> None:
        frame = target if target is not None and target.tag in HOLDS_BLOCKS else self._block_holder()
        if frame.inlines is not None:
            self._flush(frame)
        if isinstance(block, Paragraph) and block.alignment == "default" and frame.tag == "div":
            block = replace(block, alignment=frame.alignment)
        if frame.anchors and isinstance(block, Paragraph | Heading):
            block = replace(block, children=(*(Anchor(identifier) for identifier in frame.anchors), *block.children))
            frame.anchors.clear()
        frame.blocks.append(block)


def _cell(frame: _Block) -> _Cell:
    attrs = frame.attrs
    return _Cell(
        header=frame.tag == "th",
        column_span=_span(attrs.get("colspan", ""), 1, MAX_COLUMN_SPAN) or 1,
        row_span=_span(attrs.get("rowspan", ""), 1, 65534),
        alignment=alignment_of(attrs),
        blocks=tuple(frame.blocks),
        line=frame.line,
    )


def _code_language(attrs: dict[str, str]) -> str:
    """`<pre lang="go">` (GitHub's own output) or a `language-go` / `lang-go` class."""
    if attrs.get("lang", "").strip():
        return attrs["lang"].strip().lower()
    found = _LANGUAGE_CLASS.search(attrs.get("class", ""))
    return found.group(1).lower() if found else ""


def trim(inlines: tuple[Inline, ...]) -> tuple[Inline, ...]:
    """Inlines without the breaks and spaces at their ends."""
    items = list(inlines)
    while items and isinstance(items[0], HardBreak | SoftBreak):
        items.pop(0)
    if items and isinstance(items[0], Text):
        items[0] = Text(items[0].text.lstrip())
    if items and isinstance(items[-1], Text):
        items[-1] = Text(items[-1].text.rstrip())
    return tuple(item for item in items if not (isinstance(item, Text) and not item.text))


# ------------------------------------------------------------------ tables


def build_table(groups: list[tuple[str, list[list[_Cell]]]], line: int, context: HtmlContext) -> Table | None:
    """The table's grid, with each cell at its place after the row spans above it, as HTML lays it out:
    head rows first, then body rows, then foot rows; a row span ends with its row group."""
    ordered = [rows for wanted in ("thead", "tbody", "tfoot") for kind, rows in groups if kind == wanted]
    placed, width, total_rows, row_lines = _place_cells(ordered, line, context)
    if not width or not total_rows:
        return None
    limits = context.limits
    if total_rows * width > limits.table_cells:
        raise ExportError(
            context.reporter.source,
            f"table has {total_rows * width} cells, over the {limits.table_cells}-cell limit (--limit table-cells=N)",
            line,
        )
    grid: list[list[TableCell]] = [[TableCell(()) for _ in range(width)] for _ in range(total_rows)]
    for (row_index, column), (cell, _) in placed.items():
        grid[row_index][column] = cell
        for covered_row in range(row_index, row_index + cell.row_span):
            for covered_column in range(column, column + cell.column_span):
                if (covered_row, covered_column) not in placed:
                    grid[covered_row][covered_column] = TableCell((), covered=True)
    # Without a <thead>, a first row of <th> cells is the heading.
    head_rows = sum(len(rows) for kind, rows in groups if kind == "thead")
    first_row = [is_header for (row_index, _), (_, is_header) in placed.items() if row_index == 0]
    header_rows = head_rows or (1 if first_row and all(first_row) else 0)
    for (row_index, column), (cell, is_header) in placed.items():
        if is_header and row_index >= header_rows and cell.children:  # a row heading in the body reads bold
            grid[row_index][column] = replace(cell, children=(Strong(cell.children),))
    header, *body = (tuple(cells) for cells in grid)
    rows = tuple(body)
    default: Alignment = "default"  # cells carry their own `align`
    alignments = (default,) * width
    # laid out once the tree is whole
    return Table(header, rows, alignments, (), line, header_rows=header_rows, row_lines=tuple(row_lines))


def _place_cells(
    groups: list[list[list[_Cell]]], line: int, context: HtmlContext
) -> tuple[dict[tuple[int, int], tuple[TableCell, bool]], int, int, list[int]]:
    """Each cell at its (row, column), whether it is a `<th>`; the width, the number of rows and each row's
    source line (its first cell's, else the row's above). Too many columns is an error as soon as a row
    reaches them."""
    limit = context.limits.table_columns
    placed: dict[tuple[int, int], tuple[TableCell, bool]] = {}
    busy_until: dict[int, int] = {}  # column -> the last row a span from above covers
    width = 0
    row_index = 0
    row_lines: list[int] = []
    for rows in groups:
        for offset, cells in enumerate(rows):
            row_lines.append(next((cell.line for cell in cells if cell.line), row_lines[-1] if row_lines else line))
            column = 0
            for cell in cells:
                while busy_until.get(column, -1) >= row_index:
                    column += 1
                rows_left = len(rows) - offset
                row_span = min(cell.row_span or rows_left, rows_left)
                width = max(width, column + cell.column_span)
                if width > limit:
                    raise ExportError(
                        context.reporter.source,
                        f"table has {width} columns, over the {limit}-column limit "
                        "(--limit table-columns=N; Word itself allows 63)",
                        line,
                    )
                for covered_column in range(column, column + cell.column_span):
                    busy_until[covered_column] = row_index + row_span - 1
                placed[(row_index, column)] = (_table_cell(cell, row_span), cell.header)
                column += cell.column_span
            row_index += 1
    return placed, width, row_index, row_lines


def _table_cell(cell: _Cell, row_span: int) -> TableCell:
    """A cell's content: its inlines when it is one paragraph (as a Markdown cell is), else its blocks."""
    blocks = cell.blocks
    inline_only = len(blocks) == 1 and isinstance(blocks[0], Paragraph) and blocks[0].alignment == "default"
    children = blocks[0].children if inline_only and isinstance(blocks[0], Paragraph) else ()
    return TableCell(
        children,
        blocks=() if inline_only or not blocks else blocks,
        column_span=cell.column_span,
        row_span=row_span,
        alignment=cell.alignment,
    )
