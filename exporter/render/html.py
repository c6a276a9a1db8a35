"""The HTML backend: one self-contained page (CSS and images inlined) from the document tree.

The PDF backend renders the same markup with `for_print=True`, which swaps the screen
stylesheet for the paged one, sizes diagrams in points, puts the title and metadata on a
cover page, writes each code line as a block of its own and places footnotes inline at their
first reference (WeasyPrint floats them to the foot of the page).
"""

from __future__ import annotations

import datetime
import html
import urllib.parse
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import assert_never

from jinja2 import Environment, FunctionLoader, Template
from markupsafe import Markup

import exporter
from exporter.assets import asset_dir
from exporter.diagram.external.drawing import DiagramPicture
from exporter.diagram.style import DiagramStyle
from exporter.diagram.svg import render_svg
from exporter.enrich.language import with_east_asian_region
from exporter.enrich.moment import w3c_datetime
from exporter.enrich.outline import footnote_id, footnote_ref_id
from exporter.enrich.presentation import (
    CELL_ADVANCE_EM,
    PAGE,
    PAGES,
    SCREEN_DIAGRAM_FONT_PT,
    Labels,
    Presentation,
    build_presentation,
    diagram_font_size_pt,
    is_lead_in,
    keeps_together,
    labels_for,
)
from exporter.enrich.tables import column_widths, table_width_pt, with_identifier_breaks
from exporter.model.diagnostics import Code, ExportError, Reporter
from exporter.model.text_width import cell_width
from exporter.model.tree import (
    Alignment,
    Anchor,
    Block,
    BlockQuote,
    BulletList,
    Callout,
    Changed,
    CodeBlock,
    DefinitionItem,
    DefinitionList,
    Details,
    Diagram,
    DiagramDrawing,
    Document,
    Emphasis,
    Footnote,
    FootnoteRef,
    HardBreak,
    Heading,
    Image,
    Inline,
    InlineCode,
    InlineStyle,
    Keyboard,
    Link,
    ListItem,
    Math,
    MathBlock,
    MetadataField,
    OrderedList,
    Paragraph,
    Reformatted,
    Revised,
    RowChange,
    SoftBreak,
    Strikethrough,
    Strong,
    Styled,
    Subscript,
    Superscript,
    Table,
    TableCell,
    TableFit,
    Text,
    ThematicBreak,
    TocEntry,
)
from exporter.read.theme import DEFAULT_THEME, WORD_FONT_ROLES, Theme, load_theme
from exporter.render.highlight import StyledRun, highlight_lines, pygments_css
from exporter.render.math import block_math, inline_math
from exporter.render.options import MARGIN_BOTTOM_PT, MARGIN_SIDE_PT, MARGIN_TOP_PT, PAPER_SIZES, RenderOptions
from exporter.render.redline_html import (
    Container,
    change_summary_html,
    changed_html,
    code_line_class,
    code_line_html,
    column_class,
    floated_revised_html,
    moved_partners,
    padded_changes,
    reformatted_html,
    revised_html,
    row_class,
)
from exporter.safety.resources import ResourceResolver, shown_reference

TEMPLATE_NAME = "document.html.j2"

# Horizontal space (pt) that print.css takes from blocks nested in these containers;
# keep in sync with print.css so nested diagrams still fit the text width.
PRINT_LIST_INDENT_PT = 18.0
PRINT_QUOTE_INDENT_PT = 24.0  # bar 3pt, padding 11pt left and 10pt right (quotes and callouts)
PRINT_DETAILS_INDENT_PT = 20.0
# Code in print.css: 8pt DejaVu Sans Mono inside 8pt padding and 0.75pt borders, tabs 4 cells wide.
# Lines that may need more than the width get the continuation mark (painting it on every line is slow).
PRINT_CODE_FONT_PT = 8.0
PRINT_CODE_INSET_PT = 17.5
CODE_TAB_CELLS = 4

# Print keeps text this far inside the right margin, so rounding never puts a glyph past it.
PRINT_EDGE_SAFETY_PT = 0.25
# Table text in print.css, by the table's fit.
PRINT_TABLE_FONT_PT: dict[TableFit, float] = {"normal": 8.5, "compact": 7.0, "landscape": 7.0}


def render_html(
    document: Document,
    resolver: ResourceResolver,
    options: RenderOptions,
    presentation: Presentation | None = None,
    *,
    for_print: bool = False,
    embed_styles: bool = True,
) -> str:
    """The whole document as one HTML page with its images inlined, and its CSS unless `embed_styles` is off.

    `presentation` holds the decisions shared with the other formats (built here when not given)."""
    shown = presentation or build_presentation(document, options.theme)
    region = shown.east_asian_region
    renderer = _BodyRenderer(
        resolver,
        for_print,
        shown.labels,
        {note.number: note for note in document.footnotes},
        diagram_style=shown.diagram_style,
        diagram_pictures=shown.diagram_pictures,
        moved_partners=moved_partners(
            (*shown.body, *(block for note in document.footnotes for block in note.children))
        ),
    )
    title_html = renderer.heading(shown.title_heading, extra_class="doc-title") if shown.title_heading else ""
    if shown.subtitle:
        title_html += f'\n<p class="doc-subtitle">{_escape(shown.subtitle)}</p>'
    metadata_html = renderer.metadata(shown.metadata, shown.status_tone)
    text_width_pt = options.text_width_pt - PRINT_EDGE_SAFETY_PT
    body_html = renderer.blocks(shown.body, text_width_pt)
    footnotes_html = renderer.footnotes(document.footnotes, text_width_pt)
    toc_html = _toc_list(document.toc) if options.toc and document.toc else ""
    changes_html = change_summary_html(shown.changes, shown.labels.changes) if shown.changes else ""
    context = {
        "lang": shown.language,
        "labels": shown.labels,
        "title": shown.title,
        "author": shown.author,
        "generator": f"designexport {exporter.__version__}",
        # WeasyPrint makes the description the PDF's Subject.
        "description": shown.subject if for_print else shown.summary,
        "keywords": shown.keywords,
        # WeasyPrint takes the PDF's creation and modification dates from these.
        "moment": w3c_datetime(shown.moment or _now()) if for_print else "",
        "status": shown.status,
        "requirement": shown.requirement,
        "stylesheet": (
            Markup(stylesheet_text(for_print, options.theme) + "\n" + language_style_text(options.theme, region))
            if embed_styles
            else ""
        ),
        "page_style": Markup(page_style_text(options, shown.language)) if for_print and embed_styles else "",
        "for_print": for_print,
        "watermark": options.watermark_text(shown.status) if for_print else "",
        "cover": _cover(options, resolver, shown.requirement) if for_print and shown.title_heading else None,
        "title_html": Markup(title_html),
        "metadata_html": Markup(metadata_html),
        "toc_html": Markup(toc_html),
        "changes_html": Markup(changes_html),
        "body_html": Markup(body_html),
        "footnotes_html": Markup(footnotes_html),
    }
    return _template().render(context)


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC).replace(microsecond=0)


def _cover(options: RenderOptions, resolver: ResourceResolver, requirement: str) -> dict[str, str]:
    logo = _logo_data_uri(options.logo, resolver.reporter) if options.logo else ""
    return {"organization": options.organization, "logo": logo, "requirement": requirement}


def _logo_data_uri(path: Path, reporter: Reporter) -> str:
    """The cover logo as a data URI, or "" after a warning.

    The logo is an image like any other: it is read through a resolver rooted at its own folder (the
    input sandbox has already allowed the file itself), so it gets the same checks as a document's
    images: a regular file within the size limit, of the image type its content says, within the pixel
    limit, and an SVG logo cleaned of scripts, foreign elements and external references.
    """
    real = path.resolve()
    checks = Reporter(reporter.source)
    resource = ResourceResolver(real.parent, checks).load(urllib.parse.quote(real.name), 0)
    for found in checks.diagnostics:
        # The last one says why a refused logo was refused; any other says what cleaning took out.
        refusal = resource is None and found is checks.diagnostics[-1]
        where = f"leaving the logo {str(path)!r} off the cover" if refusal else f"cover logo {str(path)!r}"
        reporter.warn(0, Code.COVER_LOGO, f"{where}: {found.message}")
    return resource.data_uri() if resource is not None else ""


# ---------------------------------------------------------------- cached resources


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(
        loader=FunctionLoader(_template_source),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def _template_source(name: str) -> str | None:
    """Our own template's text; through importlib.resources, so it is found inside a zipapp too."""
    template = asset_dir("templates") / name
    return template.read_text(encoding="utf-8") if template.is_file() else None


@lru_cache(maxsize=1)
def _template() -> Template:
    return _environment().get_template(TEMPLATE_NAME)


@lru_cache(maxsize=8)
def stylesheet_text(for_print: bool, theme: Theme) -> str:
    """base.css, the highlight rules, screen.css or print.css, then the theme (whose rules win over
    ours), and in print the watermark's rules, which win over the theme's.

    The default theme goes first, so a user's theme may set only the properties it changes. A theme's
    CSS is what exporter.read.theme wrote out again from its tokens, so it cannot end the style element.
    """
    styles = asset_dir("styles")
    default_theme = load_theme(DEFAULT_THEME)
    parts = [
        (styles / "base.css").read_text(encoding="utf-8"),
        _highlight_css(),
        (styles / ("print.css" if for_print else "screen.css")).read_text(encoding="utf-8"),
        default_theme.css if theme != default_theme else "",
        theme.css,
        (styles / "watermark.css").read_text(encoding="utf-8") if for_print else "",
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
    """Paper size, margins and the page-number footer; the rest of the page rules are in print.css.

    The `landscape` page (for wide tables) is the same paper turned sideways, with the same margins.
    """
    footer = _css_page_number(labels_for(language))
    width, height = PAPER_SIZES[options.paper]
    return (
        f"@page {{ size: {width}pt {height}pt; "
        f"margin: {MARGIN_TOP_PT}pt {MARGIN_SIDE_PT + PRINT_EDGE_SAFETY_PT}pt {MARGIN_BOTTOM_PT}pt {MARGIN_SIDE_PT}pt; "
        f"@bottom-right {{ content: {footer}; }} }}\n"
        f"@page landscape {{ size: {height}pt {width}pt; }}"
    )


# The wide characters of text diagrams (base.css) are drawn in these families, in the document's glyph forms.
DIAGRAM_WIDE_FAMILIES = '"Noto Sans Mono CJK JP", "Noto Sans CJK JP"'


@lru_cache(maxsize=8)
def language_style_text(theme: Theme, east_asian_region: str) -> str:
    """The theme's font stacks again, after the theme, with their Noto CJK families in the glyph forms of the
    document's language (`east_asian_region`, see exporter.enrich.language): Chinese, Japanese and Korean write
    直, 骨 and 今 differently. "" when the stacks already are in those forms.

    The values are the theme's own, as exporter.read.theme cleaned them; only family names change."""
    default_theme = load_theme(DEFAULT_THEME)
    declarations = []
    for role in sorted(WORD_FONT_ROLES):
        name = f"font-{role}"
        families = theme.value(name, "") or default_theme.value(name, "")
        in_region = with_east_asian_region(families, east_asian_region)
        if in_region != families:
            declarations.append(f"--{name}: {in_region};")
    rules = [f":root {{ {' '.join(declarations)} }}"] if declarations else []
    wide = with_east_asian_region(DIAGRAM_WIDE_FAMILIES, east_asian_region)
    if wide != DIAGRAM_WIDE_FAMILIES:
        rules.append(f"pre.diagram .wide {{ font-family: {wide}; }}")
    return "\n".join(rules)


# ---------------------------------------------------------------- helpers


def _css_page_number(labels: Labels) -> str:
    """The footer's page number as a CSS `content` value, such as `"Page " counter(page) " of " counter(pages)`."""
    counters = {PAGE: "counter(page)", PAGES: "counter(pages)"}
    return " ".join(counters.get(piece) or _css_string(piece) for piece in labels.page_number)


def _css_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _css_column_widths(table: Table) -> list[str]:
    """Each column's minimum (em of the table text), then its share of what the minimums leave of the width."""
    if len(table.column_minimums) != len(table.header) or len(table.column_weights) != len(table.header):
        return [f"{100 / len(table.header):.2f}%" for _ in table.header]  # a tree built without the layout pass
    total = sum(table.column_minimums)
    return [
        f"calc({minimum - share * total:.2f}em + {share * 100:.2f}%)"
        for minimum, share in zip(table.column_minimums, table.column_weights, strict=True)
    ]


def _row_changes(table: Table) -> tuple[RowChange, ...]:
    """Each row's change, the header's first (never one): all "" outside a comparison."""
    return ("", *padded_changes(table.row_changes, len(table.rows)))


def _cell_classes(table: Table, index: int, cell: TableCell) -> str:
    """A cell's alignment class and, in a comparison, the change of a column it spans that only one version has."""
    value = table.alignments[index] if index < len(table.alignments) else "default"
    if cell.alignment != "default":
        value = cell.alignment
    alignment = "" if value == "default" else f"align-{value}"
    return _classes(alignment, _column_change(table, index, cell))


def _column_change(table: Table, index: int, cell: TableCell) -> str:
    """The class of a cell in a column only one version has (of the first such column a spanning cell covers)."""
    spanned = table.column_changes[index : index + cell.column_span]
    return next((column_class(change) for change in spanned if change), "")


def _escape(text: str) -> str:
    return html.escape(text, quote=True)


def _toc_list(entries: tuple[TocEntry, ...]) -> str:
    items: list[str] = []
    for entry in entries:
        number = f'<span class="toc-number">{_escape(entry.number)}</span> ' if entry.number else ""
        text = f'<span class="toc-text"><span class="toc-label">{number}{_escape(entry.text)}</span></span>'
        link = f'<a href="#{_escape(entry.id)}">{text}</a>'
        nested = _toc_list(entry.children) if entry.children else ""
        items.append(f'<li class="toc-level-{entry.level}">{link}{nested}</li>')
    return f'<ol class="toc-list">{"".join(items)}</ol>'


# ---------------------------------------------------------------- body


def diagram_picture_html(picture: DiagramPicture) -> str:
    """A Mermaid, Graphviz or PlantUML diagram, inline: vector, its labels text that search and copy find.
    Its natural size caps it (CSS shrinks it to the column, never stretches a small one)."""
    return (
        f'<figure class="diagram-picture" data-renderer="{_escape(picture.renderer)}" '
        f'style="--natural-width: {picture.width:.0f}px">{picture.svg}</figure>'
    )


@dataclass
class _BodyRenderer:
    resolver: ResourceResolver
    for_print: bool
    labels: Labels
    notes: dict[int, Footnote] = field(default_factory=dict)
    footnote_refs: dict[int, int] = field(default_factory=dict)
    # Print: notes already placed at a reference, and how deep we are in text where a note can't float.
    floated_notes: set[int] = field(default_factory=set)
    plain_refs_depth: int = 0
    in_floated_note: bool = False  # its white space must be collapsed here (see _FloatedNote)
    diagram_style: DiagramStyle = field(default_factory=DiagramStyle)
    diagram_pictures: Mapping[CodeBlock, DiagramPicture] = field(default_factory=dict)
    inlined_bytes: int = 0  # data: URIs written so far
    containers: list[Container] = field(default_factory=list)  # the indenting blocks around, for change bars
    moved_partners: Mapping[str, str] = field(default_factory=dict)  # a moved block's id -> its other place's

    # ------------------------------------------------------------ blocks

    def blocks(self, blocks: tuple[Block, ...], width_pt: float, *, tight: bool = False) -> str:
        return "\n".join(self.block(block, width_pt, tight=tight) for block in blocks)

    @contextmanager
    def inside(self, container: Container) -> Iterator[None]:
        """Rendering the content of an indenting block: a change bar in it must reach further left."""
        self.containers.append(container)
        try:
            yield
        finally:
            self.containers.pop()

    def block(self, block: Block, width_pt: float, *, tight: bool = False) -> str:
        match block:
            case Heading():
                return self.heading(block)
            case Paragraph(children=children, alignment=alignment):
                return self.paragraph(children, tight=tight, alignment=alignment)
            case CodeBlock() if (picture := self.diagram_pictures.get(block)) is not None:
                return diagram_picture_html(picture)
            case CodeBlock():
                return self.code_block(block, width_pt)
            case MathBlock(tex=tex):
                return block_math(tex)
            case Diagram():
                return _diagram_html(block, width_pt, self.for_print, self.diagram_style)
            case BulletList(items=items, tight=is_tight):
                return f"<ul>\n{self.list_items(items, is_tight, width_pt)}\n</ul>"
            case OrderedList(items=items, start=start, tight=is_tight):
                start_attr = f' start="{start}"' if start != 1 else ""
                if start != 1 and self.for_print:  # WeasyPrint ignores the start attribute
                    start_attr += f' style="counter-reset: list-item {start - 1}"'
                return f"<ol{start_attr}>\n{self.list_items(items, is_tight, width_pt)}\n</ol>"
            case DefinitionList(items=definition_items):
                return self.definition_list(definition_items, width_pt)
            case Table():
                return self.table(block, width_pt)
            case BlockQuote(children=children):
                with self.inside("quote"):
                    return f"<blockquote>\n{self.blocks(children, width_pt - PRINT_QUOTE_INDENT_PT)}\n</blockquote>"
            case Callout(kind=kind, children=children):
                with self.inside("callout"):
                    body = self.blocks(children, width_pt - PRINT_QUOTE_INDENT_PT)
                return (
                    f'<div class="callout callout-{kind}" role="note">\n'
                    f'<p class="callout-title">{_escape(self.labels.callout_title(kind))}</p>\n{body}\n</div>'
                )
            case ThematicBreak():
                return "<hr>"
            case Details(summary=summary, children=children):
                with self.inside("details"):
                    body = self.blocks(children, width_pt - PRINT_DETAILS_INDENT_PT)
                return (
                    f'<details class="details" open>\n<summary>{self.inlines(summary)}</summary>\n'
                    f'<div class="details-body">\n{body}\n</div>\n</details>'
                )
            case Revised(children=children):
                content = self.blocks(children, width_pt, tight=tight)
                return revised_html(
                    block,
                    content,
                    self.labels.changes,
                    self.containers,
                    for_print=self.for_print,
                    partner=self.moved_partners.get(block.id, ""),
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
        self.plain_refs_depth += 1  # a note floated out of a heading would join its bookmark text
        content = self.inlines(heading.children)
        self.plain_refs_depth -= 1
        return f"<{tag}{id_attr}{class_attr}>{number}{content}{anchor}</{tag}>"

    def paragraph(
        self, children: tuple[Inline, ...], *, tight: bool = False, prefix: str = "", alignment: Alignment = "default"
    ) -> str:
        if len(children) == 1 and isinstance(children[0], Image) and not prefix:
            return self.figure(children[0])
        content = prefix + self.inlines(children)
        if alignment != "default":  # raw HTML `<p align>`, `<div align>`
            return f'<p class="align-{alignment}">{content}</p>'
        if tight:
            return content
        return f'<p class="lead-in">{content}</p>' if is_lead_in(children) else f"<p>{content}</p>"

    def figure(self, image: Image) -> str:
        """An image alone in its paragraph, captioned by its title or alt text (not when it failed to load)."""
        picture = self.image(image)
        caption = image.title or image.alt
        if not caption or self.resolver.load(image.source, image.line) is None:
            return f'<figure class="figure">{picture}</figure>'
        return f'<figure class="figure">{picture}<figcaption>{_escape(caption)}</figcaption></figure>'

    def list_items(self, items: tuple[ListItem, ...], tight: bool, width_pt: float) -> str:
        inner_width = width_pt - PRINT_LIST_INDENT_PT
        with self.inside("list"):
            return "\n".join(self.list_item(item, tight, inner_width) for item in items)

    def list_item(self, item: ListItem, tight: bool, width_pt: float) -> str:
        if item.checked is None:
            return f"<li>{self.blocks(item.children, width_pt, tight=tight)}</li>"
        box = _task_box(item.checked, self.for_print)
        children = item.children
        if children and isinstance(children[0], Paragraph):
            first = self.paragraph(children[0].children, tight=tight, prefix=box)
            rest = self.blocks(children[1:], width_pt, tight=tight)
            content = f"{first}\n{rest}" if rest else first
        else:
            content = f"{box}{self.blocks(children, width_pt, tight=tight)}"
        state = "done" if item.checked else "open"
        return f'<li class="task-item task-{state}">{content}</li>'

    def definition_list(self, items: tuple[DefinitionItem, ...], width_pt: float) -> str:
        inner_width = width_pt - PRINT_LIST_INDENT_PT
        parts: list[str] = []
        for item in items:
            parts.append(f"<dt>{self.inlines(item.term)}</dt>")
            for definition in item.definitions:
                # A definition of one paragraph is written `<dd>text</dd>`, as markdown-it writes a tight list.
                tight = len(definition) == 1 and isinstance(definition[0], Paragraph)
                with self.inside("definition"):
                    parts.append(f"<dd>{self.blocks(definition, inner_width, tight=tight)}</dd>")
        return "<dl>\n" + "\n".join(parts) + "\n</dl>"

    def code_block(self, code: CodeBlock, width_pt: float) -> str:
        runs_by_line = highlight_lines(code.text, code.language)
        lines = ["".join(_code_run(run) for run in runs) for runs in runs_by_line]
        language = _escape(code.language)
        label = f'<span class="code-language" aria-hidden="true">{language}</span>' if code.language else ""
        language_attr = f' data-language="{language}"' if code.language else ""
        classes = "code-block has-line-changes" if code.line_changes else "code-block"
        changes = _line_changes(code, len(lines))
        if self.for_print:
            # One block per line: a page break falls between lines, and a wrapped line gets a continuation mark.
            # Nine tenths of the width: a line near the edge may still wrap, and a spare mark costs nothing.
            wrap_cells = 0.9 * (width_pt - PRINT_CODE_INSET_PT) / (PRINT_CODE_FONT_PT * CELL_ADVANCE_EM)
            body = "".join(
                f'<span class="{_code_line_classes(_code_cells(runs) > wrap_cells, change)}">'
                f"{code_line_html(change, line)}</span>"
                for line, runs, change in zip(lines, runs_by_line, changes, strict=True)
            )
            if keeps_together(len(lines)):
                classes += " keep-together"
        elif code.line_changes:
            # A block per line, to mark the changed ones; each keeps its newline, so copying gives the lines back.
            body = "".join(
                f'<span class="{_code_line_classes(False, change)}">{code_line_html(change, line)}\n</span>'
                for line, change in zip(lines, changes, strict=True)
            )
        else:
            body = "\n".join(lines)
        return f'<div class="{classes}">{label}<pre class="code"{language_attr}><code>{body}</code></pre></div>'

    def table(self, table: Table, width_pt: float) -> str:
        columns = len(table.header)
        classes = ["data-table"]
        if table.fit != "normal":
            classes.append("compact")
        if table.fit == "landscape":
            classes.append("landscape")
        if keeps_together(len(table.rows)):
            classes.append("keep-together")
        if table.breaks == "identifiers" and self.for_print:  # on screen the table scrolls instead
            # Zero-width spaces, not <wbr>: WeasyPrint ignores a <wbr> inside <code>.
            table = with_identifier_breaks(table, table_width_pt(table, width_pt), PRINT_TABLE_FONT_PT[table.fit])
        colgroup = "".join(f'<col style="width: {width}">' for width in _css_column_widths(table))
        every_row = tuple(zip((table.header, *table.rows), _row_changes(table), strict=True))
        heading_rows = every_row[: table.header_rows]
        widths = column_widths(table, table_width_pt(table, width_pt), PRINT_TABLE_FONT_PT[table.fit])
        head = "".join(self.table_row(row, table, "th", widths, change) for row, change in heading_rows)
        rows = "\n".join(
            self.table_row(row, table, "td", widths, change) for row, change in every_row[len(heading_rows) :]
        )
        thead = f"<thead>{head}</thead>\n" if head else ""
        body = f"<tbody>\n{rows}\n</tbody>" if rows else ""
        parts = f"<colgroup>{colgroup}</colgroup>\n{thead}{body}"
        if self.for_print:
            table_html = f'<table class="{" ".join(classes)}">{parts}</table>'
            # A named page: the wrapper starts a landscape page and the pages after it stay landscape.
            return f'<div class="landscape-page">{table_html}</div>' if table.fit == "landscape" else table_html
        # On screen the column count sets a minimum width; the wrapper scrolls when that is too wide.
        table_html = f'<table class="{" ".join(classes)}" style="--table-columns: {columns}">{parts}</table>'
        return f'<div class="table-scroll" tabindex="0">{table_html}</div>'

    def table_row(
        self, row: tuple[TableCell, ...], table: Table, tag: str, widths: tuple[float, ...], change: RowChange = ""
    ) -> str:
        """One row; the places another cell's span covers are left out, as HTML expects. `widths` are about
        how wide each column is, for sizing the diagrams and code inside a cell. In a comparison, a row or
        column only one version has is marked."""
        cells = "".join(
            self.table_cell(tag, cell, _cell_classes(table, index, cell), sum(widths[index : index + cell.column_span]))
            for index, cell in enumerate(row)
            if not cell.covered
        )
        return f'<tr class="{row_class(change)}">{cells}</tr>' if change else f"<tr>{cells}</tr>"

    def table_cell(self, tag: str, cell: TableCell, classes: str, width_pt: float) -> str:
        class_attr = f' class="{classes}"' if classes else ""
        scope = ' scope="col"' if tag == "th" else ""
        spans = f' colspan="{cell.column_span}"' if cell.column_span > 1 else ""
        spans += f' rowspan="{cell.row_span}"' if cell.row_span > 1 else ""
        saved, self.containers = self.containers, ["cell"]  # a change bar in a cell stays in it
        try:
            content = self.blocks(cell.blocks, width_pt) if cell.blocks else self.inlines(cell.children)
        finally:
            self.containers = saved
        return f"<{tag}{scope}{spans}{class_attr}>{content}</{tag}>"

    # ------------------------------------------------------------ document parts

    def metadata(self, fields: tuple[MetadataField, ...], tone: str) -> str:
        """The document-control table, the status in a badge of its tone."""
        if not fields:
            return ""
        rows = []
        for item in fields:
            value = self.inlines(item.value)
            if item.key.casefold() == "status" and item.text.strip():
                value = f'<span class="status-badge status-{tone}">{value}</span>'
            rows.append(f'<tr><th scope="row">{_escape(item.key)}</th><td>{value}</td></tr>')
        return '<table class="doc-control">\n<tbody>\n' + "\n".join(rows) + "\n</tbody>\n</table>"

    def footnotes(self, footnotes: tuple[Footnote, ...], width_pt: float) -> str:
        """The notes section at the end; in print only notes that never floated to a page foot are left for it."""
        footnotes = tuple(note for note in footnotes if note.number not in self.floated_notes)
        if not footnotes:
            return ""
        inner_width = width_pt - PRINT_LIST_INDENT_PT
        with self.inside("notes"):
            contents = [self.blocks(note.children, inner_width) for note in footnotes]
        items = []
        for note, content in zip(footnotes, contents, strict=True):
            backlinks = " ".join(
                f'<a class="footnote-back" href="#{footnote_ref_id(note.number, index)}" '
                f'aria-label="Back to reference {note.number}{"" if index == 1 else f" ({index})"}"></a>'
                for index in range(1, self.footnote_refs.get(note.number, 0) + 1)
            )
            items.append(
                f'<li id="{footnote_id(note.number)}" value="{note.number}">{_append_inline(content, backlinks)}</li>'
            )
        return (
            '<section class="footnotes" aria-label="Footnotes">\n'
            f'<p class="footnotes-title">{_escape(self.labels.notes)}</p>\n<ol>\n'
            + "\n".join(items)
            + "\n</ol>\n</section>"
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
            case Styled(style=style, children=children):
                tag = _STYLED_TAGS[style]
                return f"<{tag}>{self.inlines(children)}</{tag}>"
            case Link():
                return self.link(node)
            case Image():
                return self.image(node)
            case FootnoteRef(number=number) if self.for_print:
                return self.print_footnote(number)
            case FootnoteRef(number=number):
                count = self.footnote_refs.get(number, 0) + 1
                self.footnote_refs[number] = count
                return (
                    f'<sup class="footnote-ref"><a href="#{footnote_id(number)}" '
                    f'id="{footnote_ref_id(number, count)}">{number}</a></sup>'
                )
            case Math(tex=tex, display=display):
                return inline_math(tex, display=display)
            case Anchor(id=anchor_id):
                return f'<span id="{_escape(anchor_id)}"></span>'
            case SoftBreak():
                return " " if self.in_floated_note else "\n"
            case HardBreak():
                return "<br>" if self.in_floated_note else "<br>\n"
            case Changed(kind=kind, children=children):
                return changed_html(kind, self.inlines(children))
            case Reformatted(formerly=formerly, children=children):
                return reformatted_html(formerly, self.inlines(children), self.labels.changes)
            case _:
                assert_never(node)

    def print_footnote(self, number: int) -> str:
        """The note's text at its first reference, floated to the page foot; later references show the number."""
        note = self.notes.get(number)
        if note is None or number in self.floated_notes or self.plain_refs_depth:
            return f'<sup class="footnote-ref"><a href="#{footnote_id(number)}">{number}</a></sup>'
        self.floated_notes.add(number)
        self.plain_refs_depth += 1
        self.in_floated_note = True
        body = _FloatedNote(self).blocks(note.children, f'<span class="footnote-marker">{number}.</span>')
        self.in_floated_note = False
        self.plain_refs_depth -= 1
        return f'<span class="footnote" id="{footnote_id(number)}" data-number="{number}">{body}</span>'

    def link(self, link: Link) -> str:
        content = self.inlines(link.children)
        href = link.target  # the parser let only allowed targets into the tree
        title = f' title="{_escape(link.title)}"' if link.title else ""
        return f'<a href="{_escape(href)}"{title}>{content}</a>'

    def image(self, image: Image) -> str:
        resource = self.resolver.load(image.source, image.line)
        if resource is None:
            alt = f'<span class="image-missing-alt">{_escape(image.alt)}</span>' if image.alt else ""
            reason = self.resolver.refusal_reason(image.source) or "not loaded"
            note = f"image not available: {shown_reference(image.source)} — {reason}"
            return (
                f'<span class="image-missing" role="img" aria-label="{_escape(image.alt or "image")}">{alt}'
                f'<span class="image-missing-note">{_escape(note)}</span></span>'
            )
        title = f' title="{_escape(image.title)}"' if image.title else ""
        size = _image_size_style(image)
        return f'<img src="{_escape(self.image_source(image))}" alt="{_escape(image.alt)}"{title}{size}>'

    def image_source(self, image: Image) -> str:
        """A short URL the PDF backend's fetcher serves; on screen, the image inlined as a data: URI,
        as long as the page stays within the output-bytes limit (an image used 2,000 times is inlined 2,000 times)."""
        if self.for_print:
            return self.resolver.print_url(image.source)
        uri = self.resolver.data_uri(image.source)
        self.inlined_bytes += len(uri)
        limit = self.resolver.limits.output_bytes
        if self.inlined_bytes > limit:
            raise ExportError(
                self.resolver.reporter.source,
                f"the HTML page would be over {limit} bytes: its inlined images alone pass that here "
                "(--limit output-bytes=N)",
                image.line,
            )
        return uri


_STYLED_TAGS: dict[InlineStyle, str] = {"inserted": "ins", "highlighted": "mark", "small": "small"}


@dataclass
class _FloatedNote:
    """A footnote's blocks for print, as elements a paragraph may hold (WeasyPrint floats a note out of the
    paragraph that cites it); its inlines are the body renderer's."""

    body: _BodyRenderer

    def blocks(self, blocks: tuple[Block, ...], marker: str = "") -> str:
        """A floated note's blocks as elements a paragraph may hold: spans that print.css lays out as the note's
        paragraphs, lists, code and tables. `marker` (the note's number, an item's bullet) starts the first
        paragraph, or a line of its own before a first block of another kind.

        Nothing between or around the spans: WeasyPrint never collapses white space inside a footnote."""
        parts: list[str] = []
        if marker and not (blocks and isinstance(blocks[0], Paragraph | Heading)):
            parts.append(f'<span class="note-paragraph">{marker}</span>')
            marker = ""
        for block in blocks:
            match block:
                case Paragraph(children=children) | Heading(children=children):
                    parts.append(f'<span class="note-paragraph">{marker}{self.body.inlines(children)}</span>')
                    marker = ""
                case BulletList(items=items):
                    parts.append(self.note_list(items, None))
                case OrderedList(items=items, start=start):
                    parts.append(self.note_list(items, start))
                case BlockQuote(children=children):
                    parts.append(f'<span class="note-quote">{self.blocks(children)}</span>')
                case Callout(kind=kind, children=children):
                    label = _escape(self.body.labels.callout_title(kind))
                    title = f'<span class="note-paragraph note-title">{label}</span>'
                    parts.append(f'<span class="note-quote">{title}{self.blocks(children)}</span>')
                case Details(summary=summary, children=children):
                    title = f'<span class="note-paragraph note-title">{self.body.inlines(summary)}</span>'
                    parts.append(f'<span class="note-quote">{title}{self.blocks(children)}</span>')
                case CodeBlock() if (picture := self.body.diagram_pictures.get(block)) is not None:
                    parts.append(f'<span class="note-picture">{picture.svg}</span>')
                case CodeBlock(text=text, language=language):
                    lines = ["".join(_code_run(run) for run in runs) for runs in highlight_lines(text, language)]
                    marked = zip(lines, _line_changes(block, len(lines)), strict=True)
                    body = "\n".join(
                        f'<span class="{code_line_class(c)}">{code_line_html(c, line)}</span>' if c else line
                        for line, c in marked
                    )
                    parts.append(f'<span class="note-code code">{body}</span>')
                case Diagram(lines=lines):
                    body = "\n".join(diagram_line_html(line) for line in lines)
                    parts.append(f'<span class="note-code note-diagram">{body}</span>')
                case MathBlock(tex=tex):
                    parts.append(f'<span class="note-paragraph note-math">{inline_math(tex, display=True)}</span>')
                case Table():
                    parts.append(self.note_table(block))
                case DefinitionList(items=definition_items):
                    for item in definition_items:
                        parts.append(f'<span class="note-paragraph note-title">{self.body.inlines(item.term)}</span>')
                        parts.extend(
                            f'<span class="note-definition">{self.blocks(definition)}</span>'
                            for definition in item.definitions
                        )
                case ThematicBreak():
                    parts.append('<span class="note-rule"></span>')
                case Revised(children=children):
                    partner = self.body.moved_partners.get(block.id, "")
                    content = self.blocks(children)
                    parts.append(floated_revised_html(block, content, self.body.labels.changes, partner))
                case _:
                    assert_never(block)
        return "".join(parts)

    def note_list(self, items: tuple[ListItem, ...], start: int | None) -> str:
        """A list in a floated note: bullets, or numbers from `start`; a task item shows its box instead."""
        entries = []
        for index, item in enumerate(items):
            if item.checked is not None:
                label = "\u2612" if item.checked else "\u2610"
            else:
                label = "\u2022" if start is None else f"{start + index}."
            marker = f'<span class="note-item-marker">{label}</span>'
            entries.append(f'<span class="note-item">{self.blocks(item.children, marker)}</span>')
        return f'<span class="note-list">{"".join(entries)}</span>'

    def note_table(self, table: Table) -> str:
        """A table in a floated note, as rows of cells; a cell spanning others is drawn once, in its first place."""
        rows = []
        for index, (row, change) in enumerate(zip((table.header, *table.rows), _row_changes(table), strict=True)):
            cells = "".join(
                f'<span class="{_classes("note-cell", _column_change(table, column, cell))}">'
                f"{self.note_cell(cell)}</span>"
                for column, cell in enumerate(row)
                if not cell.covered
            )
            head = " note-head" if index < table.header_rows else ""
            marked = f" {row_class(change)}" if change else ""
            rows.append(f'<span class="note-row{head}{marked}">{cells}</span>')
        return f'<span class="note-table">{"".join(rows)}</span>'

    def note_cell(self, cell: TableCell) -> str:
        return self.blocks(cell.blocks) if cell.blocks else self.body.inlines(cell.children)


def _task_box(checked: bool, for_print: bool) -> str:
    if for_print:
        glyph = "\u2612" if checked else "\u2610"
        label = "done" if checked else "not done"
        return f'<span class="task-box" role="img" aria-label="{label}">{glyph}</span> '
    checked_attr = " checked" if checked else ""
    return f'<input class="task-box" type="checkbox" disabled{checked_attr}> '


def _diagram_html(diagram: Diagram, width_pt: float, for_print: bool, style: DiagramStyle) -> str:
    """A diagram drawn from its text, or kept as text on an exact character grid."""
    if diagram.drawing is not None:
        return _drawing_html(diagram, diagram.drawing, width_pt, for_print, style)
    body = "\n".join(diagram_line_html(line) for line in diagram.lines)
    if diagram.lines and not diagram.lines[0]:
        body = "\n" + body  # HTML drops one newline right after <pre>
    if for_print:
        size = diagram_font_size_pt(diagram.columns, width_pt)
        return f'<div class="diagram-frame"><pre class="diagram" style="font-size: {size:.3f}pt">{body}</pre></div>'
    return (
        f'<div class="diagram-frame" style="--columns: {max(diagram.columns, 1)}">'
        f'<pre class="diagram">{body}</pre></div>'
    )


def _drawing_html(
    diagram: Diagram, drawing: DiagramDrawing, width_pt: float, for_print: bool, style: DiagramStyle
) -> str:
    """A recognised diagram as inline SVG, as wide as its text would be on the grid, never wider than the page."""
    size_pt = diagram_font_size_pt(diagram.columns, width_pt) if for_print else SCREEN_DIAGRAM_FONT_PT
    width = f"{drawing.columns * CELL_ADVANCE_EM * size_pt:.2f}pt"
    svg = render_svg(drawing, style, "\n".join(diagram.lines), width=width)
    if for_print:
        return f'<figure class="diagram-drawing">{svg}</figure>'
    # On screen the column count keeps its text readable (screen.css); a wider drawing scrolls in its frame.
    return f'<figure class="diagram-drawing" style="--columns: {max(drawing.columns, 1)}">{svg}</figure>'


def diagram_line_html(line: str) -> str:
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
            parts.append(_diagram_run("".join(run), run_cells, wide))
            run, run_cells = [], 0
        wide = width == 2
        run.append(char)
        run_cells += width
    if run:
        parts.append(_diagram_run("".join(run), run_cells, wide))
    return "".join(parts)


def _diagram_run(text: str, cells: int, wide: bool) -> str:
    """A run of a text diagram's line; wide (East Asian) characters are held to exactly two cells each."""
    if not wide:
        return _escape(text)
    width_em = round(cells * CELL_ADVANCE_EM, 4)
    return f'<span class="wide" style="display:inline-block;width:{width_em}em">{_escape(text)}</span>'


def _image_size_style(image: Image) -> str:
    """A raw `<img width>` or `height` in CSS pixels; the stylesheet still keeps the image within the page."""
    if image.width:
        return f' style="width: {image.width}px"'
    if image.height:
        return f' style="height: {image.height}px; width: auto"'
    return ""


def _code_run(run: StyledRun) -> str:
    if not run.css_class:
        return _escape(run.text)
    return f'<span class="{_escape(run.css_class)}">{_escape(run.text)}</span>'


def _line_changes(code: CodeBlock, count: int) -> tuple[RowChange, ...]:
    """Whether each of the `count` highlighted lines of a compared code block is in both versions or in one."""
    return padded_changes(code.line_changes, count)


def _code_line_classes(long: bool, change: RowChange) -> str:
    """A code line's classes: `line`, `long` when it may wrap in print, and its change in a comparison."""
    return _classes("line", "long" if long else "", code_line_class(change))


def _classes(*names: str) -> str:
    """A class attribute's value: the names that are not ""."""
    return " ".join(name for name in names if name)


def _code_cells(runs: list[StyledRun]) -> int:
    """Monospace cells a code line takes, counting a tab as a full tab stop."""
    return sum(CODE_TAB_CELLS if char == "\t" else cell_width(char) for run in runs for char in run.text)


def _append_inline(content: str, addition: str) -> str:
    """`addition` at the end of the last paragraph of `content`, or in a paragraph of its own."""
    if not addition:
        return content
    if content.endswith("</p>"):
        return f"{content.removesuffix('</p>')} {addition}</p>"
    return f"{content}\n<p>{addition}</p>"
