"""The HTML backend: one self-contained page (CSS and images inlined) from the document tree.

The PDF backend renders the same markup with `for_print=True`, which swaps the screen
stylesheet for the paged one and sizes diagrams in points.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import assert_never

from jinja2 import Environment, FileSystemLoader, Template
from markupsafe import Markup

import exporter
from exporter.assets import asset_dir
from exporter.cells import cell_width
from exporter.highlight import StyledRun, highlight_lines, pygments_css
from exporter.language import CALLOUT_TITLES
from exporter.options import MARGIN_BOTTOM_PT, MARGIN_SIDE_PT, MARGIN_TOP_PT, PAPER_SIZES, RenderOptions
from exporter.resources import ResourceResolver
from exporter.theme import Theme
from exporter.tree import (
    Anchor,
    Block,
    BlockQuote,
    BulletList,
    Callout,
    CodeBlock,
    Details,
    Diagram,
    Document,
    Emphasis,
    Footnote,
    FootnoteRef,
    HardBreak,
    Heading,
    Image,
    Inline,
    InlineCode,
    Keyboard,
    Link,
    ListItem,
    MetadataField,
    OrderedList,
    Paragraph,
    SoftBreak,
    Strikethrough,
    Strong,
    Subscript,
    Superscript,
    Table,
    TableCell,
    Text,
    ThematicBreak,
    TocEntry,
    plain_text,
)

TEMPLATE_NAME = "document.html.j2"

# Diagram grid: DejaVu Sans Mono advances 0.602em per cell.
CELL_ADVANCE_EM = 0.602
DIAGRAM_MAX_FONT_PT = 9.0

# Horizontal space (pt) that print.css takes from blocks nested in these containers;
# keep in sync with print.css so nested diagrams still fit the text width.
PRINT_LIST_INDENT_PT = 18.0
PRINT_QUOTE_INDENT_PT = 14.0
PRINT_DETAILS_INDENT_PT = 20.0

SAFE_LINK_SCHEMES = frozenset({"http", "https", "mailto"})
URL_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):")
URL_IGNORED_CHARS = re.compile(r"[\x00-\x20\x7f]+")

# Status value (case-folded) -> badge colour class.
STATUS_TONES = {
    "draft": "amber",
    "wip": "amber",
    "work in progress": "amber",
    "provisional": "amber",
    "proposed": "blue",
    "in review": "blue",
    "review": "blue",
    "under review": "blue",
    "implementable": "blue",
    "approved": "green",
    "accepted": "green",
    "implemented": "green",
    "final": "green",
    "active": "green",
    "deprecated": "grey",
    "superseded": "grey",
    "rejected": "grey",
    "withdrawn": "grey",
    "obsolete": "grey",
}

# Words the page itself adds, by document language.
UI_LABELS: dict[str, dict[str, str]] = {
    "en": {"contents": "Contents", "notes": "Notes", "footer": '"Page " counter(page) " of " counter(pages)'},
    "ja": {"contents": "目次", "notes": "脚注", "footer": 'counter(page) " / " counter(pages)'},
}

# Tables with at most this many rows are not split across pages.
KEEP_TOGETHER_TABLE_ROWS = 12


def render_html(
    document: Document,
    resolver: ResourceResolver,
    options: RenderOptions,
    *,
    for_print: bool = False,
    embed_styles: bool = True,
) -> str:
    """The whole document as one HTML page with its images inlined, and its CSS unless `embed_styles` is off."""
    lang = document.language if document.language in UI_LABELS else "en"
    labels = UI_LABELS[lang]
    renderer = _BodyRenderer(resolver, for_print, labels)
    blocks = document.blocks
    title_heading: Heading | None = None
    if blocks and isinstance(blocks[0], Heading) and blocks[0].level == 1:
        title_heading = blocks[0]
        blocks = blocks[1:]
    title_html = renderer.heading(title_heading, extra_class="doc-title") if title_heading else ""
    metadata_html = renderer.metadata(document.metadata)
    body_html = renderer.blocks(blocks, options.text_width_pt)
    footnotes_html = renderer.footnotes(document.footnotes, options.text_width_pt)
    toc_html = _toc_list(document.toc) if document.toc else ""
    context = {
        "lang": lang,
        "labels": labels,
        "title": document.title or document.source,
        "author": document.metadata_value("author") or document.metadata_value("authors"),
        "generator": f"designexport {exporter.__version__}",
        "description": document.metadata_value("summary"),
        "stylesheet": Markup(stylesheet_text(for_print, options.theme)) if embed_styles else "",
        "page_style": Markup(page_style_text(options, lang)) if for_print and embed_styles else "",
        "for_print": for_print,
        "title_html": Markup(title_html),
        "metadata_html": Markup(metadata_html),
        "toc_html": Markup(toc_html),
        "body_html": Markup(body_html),
        "footnotes_html": Markup(footnotes_html),
    }
    return _template().render(context)


# ---------------------------------------------------------------- cached resources


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(asset_dir("templates")),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


@lru_cache(maxsize=1)
def _template() -> Template:
    return _environment().get_template(TEMPLATE_NAME)


@lru_cache(maxsize=8)
def stylesheet_text(for_print: bool, theme: Theme) -> str:
    """base.css, the highlight rules, screen.css or print.css, then the theme (whose rules win)."""
    media_sheet = "print.css" if for_print else "screen.css"
    parts = [
        (asset_dir("styles") / "base.css").read_text(encoding="utf-8"),
        _highlight_css(),
        (asset_dir("styles") / media_sheet).read_text(encoding="utf-8"),
        theme.css,
    ]
    return "\n".join(parts)


def _highlight_css() -> str:
    """Pygments' rules for code blocks, without its unscoped `pre`/`linenos` rules and background."""
    scoped = [
        line
        for line in pygments_css(".code").splitlines()
        if line.startswith(".code .") and not line.startswith(".code .hll")
    ]
    return "\n".join(scoped)


def page_style_text(options: RenderOptions, language: str) -> str:
    """Paper size, margins and the page-number footer; the rest of the page rules are in print.css."""
    footer = UI_LABELS.get(language, UI_LABELS["en"])["footer"]
    width, height = PAPER_SIZES[options.paper]
    return (
        f"@page {{ size: {width}pt {height}pt; "
        f"margin: {MARGIN_TOP_PT}pt {MARGIN_SIDE_PT}pt {MARGIN_BOTTOM_PT}pt {MARGIN_SIDE_PT}pt; "
        f"@bottom-right {{ content: {footer}; }} }}"
    )


# ---------------------------------------------------------------- helpers


def _escape(text: str) -> str:
    return html.escape(text, quote=True)


def safe_href(target: str) -> str | None:
    """The link target if it is http(s), mailto, relative or a fragment; None for anything else."""
    stripped = target.strip()
    if not stripped:
        return None
    match = URL_SCHEME.match(URL_IGNORED_CHARS.sub("", stripped))
    if match and match.group(1).lower() not in SAFE_LINK_SCHEMES:
        return None
    return stripped


def diagram_font_size_pt(columns: int, width_pt: float) -> float:
    """The largest font size (capped at 9pt) at which `columns` cells fit in `width_pt`."""
    if columns <= 0:
        return DIAGRAM_MAX_FONT_PT
    return min(DIAGRAM_MAX_FONT_PT, width_pt / (columns * CELL_ADVANCE_EM))


def _toc_list(entries: tuple[TocEntry, ...]) -> str:
    items: list[str] = []
    for entry in entries:
        number = f'<span class="toc-number">{_escape(entry.number)}</span> ' if entry.number else ""
        text = f'<span class="toc-text">{number}{_escape(entry.text)}</span>'
        link = f'<a href="#{_escape(entry.id)}">{text}</a>'
        nested = _toc_list(entry.children) if entry.children else ""
        items.append(f'<li class="toc-level-{entry.level}">{link}{nested}</li>')
    return f'<ol class="toc-list">{"".join(items)}</ol>'


def _status_tone(status: str) -> str:
    return STATUS_TONES.get(" ".join(status.casefold().split()), "neutral")


def _is_lead_in(children: tuple[Inline, ...]) -> bool:
    """A paragraph that is only a bold label such as "**Request:**", which belongs with what follows."""
    return bool(children) and isinstance(children[0], Strong) and plain_text(children[1:]).strip() in ("", ":")


# ---------------------------------------------------------------- body


@dataclass
class _BodyRenderer:
    resolver: ResourceResolver
    for_print: bool
    labels: dict[str, str]
    footnote_refs: dict[int, int] = field(default_factory=dict)

    # ------------------------------------------------------------ blocks

    def blocks(self, blocks: tuple[Block, ...], width_pt: float, *, tight: bool = False) -> str:
        return "\n".join(self.block(block, width_pt, tight=tight) for block in blocks)

    def block(self, block: Block, width_pt: float, *, tight: bool = False) -> str:
        match block:
            case Heading():
                return self.heading(block)
            case Paragraph(children=children):
                return self.paragraph(children, tight=tight)
            case CodeBlock():
                return self.code_block(block)
            case Diagram():
                return self.diagram(block, width_pt)
            case BulletList(items=items, tight=is_tight):
                return f"<ul>\n{self.list_items(items, is_tight, width_pt)}\n</ul>"
            case OrderedList(items=items, start=start, tight=is_tight):
                start_attr = f' start="{start}"' if start != 1 else ""
                if start != 1 and self.for_print:  # WeasyPrint ignores the start attribute
                    start_attr += f' style="counter-reset: list-item {start - 1}"'
                return f"<ol{start_attr}>\n{self.list_items(items, is_tight, width_pt)}\n</ol>"
            case Table():
                return self.table(block)
            case BlockQuote(children=children):
                return f"<blockquote>\n{self.blocks(children, width_pt - PRINT_QUOTE_INDENT_PT)}\n</blockquote>"
            case Callout(kind=kind, children=children):
                body = self.blocks(children, width_pt - PRINT_QUOTE_INDENT_PT)
                return (
                    f'<div class="callout callout-{kind}" role="note">\n'
                    f'<p class="callout-title">{_escape(CALLOUT_TITLES[kind])}</p>\n{body}\n</div>'
                )
            case ThematicBreak():
                return "<hr>"
            case Details(summary=summary, children=children):
                body = self.blocks(children, width_pt - PRINT_DETAILS_INDENT_PT)
                return (
                    f'<details class="details" open>\n<summary>{self.inlines(summary)}</summary>\n'
                    f'<div class="details-body">\n{body}\n</div>\n</details>'
                )
            case _:
                assert_never(block)

    def heading(self, heading: Heading, *, extra_class: str = "") -> str:
        tag = f"h{min(max(heading.level, 1), 6)}"
        class_attr = f' class="{extra_class}"' if extra_class else ""
        number = f'<span class="section-number">{_escape(heading.number)}</span> ' if heading.number else ""
        id_attr, anchor = "", ""
        if heading.id:
            id_attr = f' id="{_escape(heading.id)}"'
            anchor = f'<a class="heading-anchor" href="#{_escape(heading.id)}" aria-hidden="true" tabindex="-1"></a>'
        return f"<{tag}{id_attr}{class_attr}>{number}{self.inlines(heading.children)}{anchor}</{tag}>"

    def paragraph(self, children: tuple[Inline, ...], *, tight: bool = False, prefix: str = "") -> str:
        if len(children) == 1 and isinstance(children[0], Image) and not prefix:
            return self.figure(children[0])
        content = prefix + self.inlines(children)
        if tight:
            return content
        return f'<p class="lead-in">{content}</p>' if _is_lead_in(children) else f"<p>{content}</p>"

    def figure(self, image: Image) -> str:
        """An image alone in its paragraph, captioned by its title or alt text (not when it failed to load)."""
        picture = self.image(image)
        caption = image.title or image.alt
        if not caption or self.resolver.load(image.source, image.line) is None:
            return f'<figure class="figure">{picture}</figure>'
        return f'<figure class="figure">{picture}<figcaption>{_escape(caption)}</figcaption></figure>'

    def list_items(self, items: tuple[ListItem, ...], tight: bool, width_pt: float) -> str:
        inner_width = width_pt - PRINT_LIST_INDENT_PT
        return "\n".join(self.list_item(item, tight, inner_width) for item in items)

    def list_item(self, item: ListItem, tight: bool, width_pt: float) -> str:
        if item.checked is None:
            return f"<li>{self.blocks(item.children, width_pt, tight=tight)}</li>"
        box = self.task_box(item.checked)
        children = item.children
        if children and isinstance(children[0], Paragraph):
            first = self.paragraph(children[0].children, tight=tight, prefix=box)
            rest = self.blocks(children[1:], width_pt, tight=tight)
            content = f"{first}\n{rest}" if rest else first
        else:
            content = f"{box}{self.blocks(children, width_pt, tight=tight)}"
        state = "done" if item.checked else "open"
        return f'<li class="task-item task-{state}">{content}</li>'

    def task_box(self, checked: bool) -> str:
        if self.for_print:
            glyph = "\u2612" if checked else "\u2610"
            label = "done" if checked else "not done"
            return f'<span class="task-box" role="img" aria-label="{label}">{glyph}</span> '
        checked_attr = " checked" if checked else ""
        return f'<input class="task-box" type="checkbox" disabled{checked_attr}> '

    def code_block(self, code: CodeBlock) -> str:
        lines = ["".join(_code_run(run) for run in runs) for runs in highlight_lines(code.text, code.language)]
        language = _escape(code.language)
        label = f'<span class="code-language" aria-hidden="true">{language}</span>' if code.language else ""
        language_attr = f' data-language="{language}"' if code.language else ""
        return (
            f'<div class="code-block">{label}<pre class="code"{language_attr}><code>'
            + "\n".join(lines)
            + "</code></pre></div>"
        )

    def diagram(self, diagram: Diagram, width_pt: float) -> str:
        body = "\n".join(self.diagram_line(line) for line in diagram.lines)
        if diagram.lines and not diagram.lines[0]:
            body = "\n" + body  # HTML drops one newline right after <pre>
        if self.for_print:
            size = diagram_font_size_pt(diagram.columns, width_pt)
            return f'<div class="diagram-frame"><pre class="diagram" style="font-size: {size:.3f}pt">{body}</pre></div>'
        return (
            f'<div class="diagram-frame" style="--columns: {max(diagram.columns, 1)}">'
            f'<pre class="diagram">{body}</pre></div>'
        )

    def diagram_line(self, line: str) -> str:
        """One diagram line as text, with each run of wide characters boxed to exactly two cells apiece."""
        if not any(cell_width(char) == 2 for char in line):
            return _escape(line)
        parts: list[str] = []
        run: list[str] = []
        run_cells = 0
        wide = False
        for char in line:
            width = cell_width(char)
            if width == 0 and run:  # combining mark stays with its base
                run.append(char)
                continue
            if (width == 2) != wide and run:
                parts.append(self.diagram_run("".join(run), run_cells, wide))
                run, run_cells = [], 0
            wide = width == 2
            run.append(char)
            run_cells += width
        if run:
            parts.append(self.diagram_run("".join(run), run_cells, wide))
        return "".join(parts)

    @staticmethod
    def diagram_run(text: str, cells: int, wide: bool) -> str:
        if not wide:
            return _escape(text)
        width_em = round(cells * CELL_ADVANCE_EM, 4)
        return f'<span class="wide" style="display:inline-block;width:{width_em}em">{_escape(text)}</span>'

    def table(self, table: Table) -> str:
        columns = len(table.header)
        classes = ["data-table"]
        if table.fit != "normal":
            classes.append("compact")
        if table.fit == "landscape":
            classes.append("landscape")
        if len(table.rows) <= KEEP_TOGETHER_TABLE_ROWS:
            classes.append("keep-together")
        colgroup = "".join(f'<col style="width: {weight * 100:.2f}%">' for weight in table.column_weights)
        header = "".join(
            self.table_cell("th", cell, self.alignment(table, index)) for index, cell in enumerate(table.header)
        )
        rows = "\n".join(
            "<tr>"
            + "".join(self.table_cell("td", cell, self.alignment(table, index)) for index, cell in enumerate(row))
            + "</tr>"
            for row in table.rows
        )
        body = f"<tbody>\n{rows}\n</tbody>" if table.rows else ""
        parts = f"<colgroup>{colgroup}</colgroup>\n<thead><tr>{header}</tr></thead>\n{body}"
        if self.for_print:
            return f'<table class="{" ".join(classes)}">{parts}</table>'
        # On screen the column count sets a minimum width; the wrapper scrolls when that is too wide.
        table_html = f'<table class="{" ".join(classes)}" style="--table-columns: {columns}">{parts}</table>'
        return f'<div class="table-scroll" tabindex="0">{table_html}</div>'

    @staticmethod
    def alignment(table: Table, index: int) -> str:
        value = table.alignments[index] if index < len(table.alignments) else "default"
        return "" if value == "default" else f"align-{value}"

    def table_cell(self, tag: str, cell: TableCell, alignment: str) -> str:
        class_attr = f' class="{alignment}"' if alignment else ""
        scope = ' scope="col"' if tag == "th" else ""
        return f"<{tag}{scope}{class_attr}>{self.inlines(cell.children)}</{tag}>"

    # ------------------------------------------------------------ document parts

    def metadata(self, fields: tuple[MetadataField, ...]) -> str:
        if not fields:
            return ""
        rows = []
        for item in fields:
            value = self.inlines(item.value)
            if item.key.casefold() == "status" and item.text.strip():
                tone = _status_tone(item.text)
                value = f'<span class="status-badge status-{tone}">{value}</span>'
            rows.append(f'<tr><th scope="row">{_escape(item.key)}</th><td>{value}</td></tr>')
        return '<table class="doc-control">\n<tbody>\n' + "\n".join(rows) + "\n</tbody>\n</table>"

    def footnotes(self, footnotes: tuple[Footnote, ...], width_pt: float) -> str:
        if not footnotes:
            return ""
        inner_width = width_pt - PRINT_LIST_INDENT_PT
        contents = [self.blocks(note.children, inner_width) for note in footnotes]
        items = []
        for note, content in zip(footnotes, contents, strict=True):
            backlinks = " ".join(
                f'<a class="footnote-back" href="#{_ref_id(note.number, index)}" '
                f'aria-label="Back to reference {note.number}{"" if index == 1 else f" ({index})"}"></a>'
                for index in range(1, self.footnote_refs.get(note.number, 0) + 1)
            )
            items.append(f'<li id="fn-{note.number}" value="{note.number}">{_append_inline(content, backlinks)}</li>')
        return (
            '<section class="footnotes" aria-label="Footnotes">\n'
            f'<p class="footnotes-title">{self.labels["notes"]}</p>\n<ol>\n' + "\n".join(items) + "\n</ol>\n</section>"
        )

    # ------------------------------------------------------------ inlines

    def inlines(self, inlines: tuple[Inline, ...]) -> str:
        return "".join(self.inline(node) for node in inlines)

    def inline(self, node: Inline) -> str:
        match node:
            case Text(text=text):
                return _escape(text)
            case InlineCode(text=text):
                return f"<code>{_escape(text)}</code>"
            case Emphasis(children=children):
                return f"<em>{self.inlines(children)}</em>"
            case Strong(children=children):
                return f"<strong>{self.inlines(children)}</strong>"
            case Strikethrough(children=children):
                return f"<del>{self.inlines(children)}</del>"
            case Superscript(children=children):
                return f"<sup>{self.inlines(children)}</sup>"
            case Subscript(children=children):
                return f"<sub>{self.inlines(children)}</sub>"
            case Keyboard(children=children):
                return f"<kbd>{self.inlines(children)}</kbd>"
            case Link():
                return self.link(node)
            case Image():
                return self.image(node)
            case FootnoteRef(number=number):
                count = self.footnote_refs.get(number, 0) + 1
                self.footnote_refs[number] = count
                return (
                    f'<sup class="footnote-ref"><a href="#fn-{number}" id="{_ref_id(number, count)}">{number}</a></sup>'
                )
            case Anchor(id=anchor_id):
                return f'<span id="{_escape(anchor_id)}"></span>'
            case SoftBreak():
                return "\n"
            case HardBreak():
                return "<br>\n"
            case _:
                assert_never(node)

    def link(self, link: Link) -> str:
        content = self.inlines(link.children)
        href = safe_href(link.target)
        if href is None:
            return content
        title = f' title="{_escape(link.title)}"' if link.title else ""
        return f'<a href="{_escape(href)}"{title}>{content}</a>'

    def image(self, image: Image) -> str:
        resource = self.resolver.load(image.source, image.line)
        if resource is None:
            alt = f'<span class="image-missing-alt">{_escape(image.alt)}</span>' if image.alt else ""
            return (
                f'<span class="image-missing" role="img" aria-label="{_escape(image.alt or "image")}">{alt}'
                f'<span class="image-missing-note">image not available: {_escape(image.source)}</span></span>'
            )
        title = f' title="{_escape(image.title)}"' if image.title else ""
        return f'<img src="{_escape(resource.data_uri())}" alt="{_escape(image.alt)}"{title}>'


def _code_run(run: StyledRun) -> str:
    if not run.css_class:
        return _escape(run.text)
    return f'<span class="{_escape(run.css_class)}">{_escape(run.text)}</span>'


def _append_inline(content: str, addition: str) -> str:
    """`addition` at the end of the last paragraph of `content`, or in a paragraph of its own."""
    if not addition:
        return content
    if content.endswith("</p>"):
        return f"{content.removesuffix('</p>')} {addition}</p>"
    return f"{content}\n<p>{addition}</p>"


def _ref_id(number: int, occurrence: int) -> str:
    return f"fnref-{number}" if occurrence == 1 else f"fnref-{number}-{occurrence}"
