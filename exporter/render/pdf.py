"""The PDF backend: the print flavour of the HTML page, laid out by WeasyPrint.

This is the only module that imports WeasyPrint, and it is imported only when a PDF is asked for.
Images are short `designexport-image:` URLs naming what the resource resolver already loaded (so each
is held once, however often it is used); anything else WeasyPrint tries to load goes through the same
resolver (SandboxFetcher), so the same sandbox rules apply.
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stdout
from functools import lru_cache
from typing import Any

from exporter.enrich.presentation import Presentation, build_presentation
from exporter.model.diagnostics import Code, ExportError, Reporter
from exporter.model.limits import Limits
from exporter.model.tree import Diagram, Document, Heading, Table, walk_blocks
from exporter.render.glyphs import report_missing_glyphs
from exporter.render.html import language_style_text, page_style_text, render_html, stylesheet_text
from exporter.render.native import libraries_by_soname
from exporter.render.options import RenderOptions
from exporter.safety.resources import DataUrlTooLarge, ResourceResolver, decode_data_url

try:  # without the compiler runs of WeasyPrint's search for its C libraries (exporter.render.native)
    with libraries_by_soname(), redirect_stdout(io.StringIO()):  # its banner, if that fails, is not for us
        import weasyprint
        from weasyprint.document import Document as LaidOutDocument
        from weasyprint.urls import URLFetcher, URLFetcherResponse
except OSError:  # a library only find_library finds: WeasyPrint's own search, as it does it
    import weasyprint
    from weasyprint.document import Document as LaidOutDocument
    from weasyprint.urls import URLFetcher, URLFetcherResponse

WEASYPRINT_LOGGER = "weasyprint"

# A table of contents is worth its page only in front of a body this long.
MIN_BODY_PAGES_FOR_TOC = 3
TOC_ID = "contents"  # the id html.py gives the printed table of contents
TOC_MARK = f'<nav class="toc" id="{TOC_ID}"'  # how the page template opens it
COVER_MARK = '<section class="cover"'
HIDE_TOC_CSS = "nav.toc { display: none; }"
# A page this small (in layout boxes, see layout_boxes) and without pictures most likely has too short a body for
# its table of contents: it is laid out without one first, which is then mostly the only layout (`_laid_out`).
SHORT_PAGE_BOXES = 250
DATE_META = re.compile(r'<meta name="dcterms\.(?:created|modified)" content="[^"]*">\n?')  # see document.html.j2
PDF_IDENTIFIER_HEX_DIGITS = 32  # as long as the MD5 WeasyPrint would use

# What laying a page out costs WeasyPrint, in boxes: on a 2-core machine each takes 0.5-0.9 ms and
# 6-18 KiB, all held until the PDF is written (pdf-boxes bounds time and memory together).
TEXT_CHARACTERS_PER_BOX = 64
DIAGRAM_CHARACTERS_PER_BOX = 256  # a diagram kept as text: lines that never wrap
# A table this wide wraps the words in its narrow cells letter by letter, and each wrap costs; a cell
# counts one box more per this many columns.
COLUMNS_PER_EXTRA_CELL_BOX = 30
# A heading also makes a contents entry with a page number and a bookmark; a footnote is laid out again
# with the page it floats to. Measured, they cost this many boxes more.
HEADING_EXTRA_BOXES = 10
FOOTNOTE_EXTRA_BOXES = 20
# WeasyPrint finds a line's end by laying out a short start of the text; where that start has no break
# chance it lays out the whole rest of the paragraph, line after line: 100,000 `*a` took minutes. In a
# run of text longer than LONG_RUN without a break chance, a zero-width space every BREAK_CHANCE_EVERY
# characters (less than a line even of wide characters) keeps each line's work short. Shorter runs,
# such as most URLs, are left whole.
LONG_RUN = 200
BREAK_CHANCE_EVERY = 40
_ENTITY = re.compile(r"&[#a-zA-Z0-9]+;")
_SPACES = re.compile(r"(\s+)")
ZERO_WIDTH_SPACE = "\u200b"
_MARKUP = re.compile(r"<[^>]*>|[^<]+")
_TAG_NAME = re.compile(r"</?([a-zA-Z][a-zA-Z0-9-]*)")
_CHARACTER = re.compile(r"&[#a-zA-Z0-9]+;|.", re.DOTALL)  # an entity is one character
# Tags between which a run of text ends (the others are inline).
_BLOCK_TAGS = frozenset({
    "p", "div", "li", "td", "th", "tr", "table", "h1", "h2", "h3", "h4", "h5", "h6", "br", "pre",
    "blockquote", "figure", "section", "nav", "header", "footer", "aside", "dd", "dt",
})  # fmt: skip
_UNBROKEN_TAGS = frozenset({"svg", "title", "style", "script"})  # their text is never laid out in lines


def render_pdf(
    document: Document, resolver: ResourceResolver, options: RenderOptions, presentation: Presentation | None = None
) -> bytes:
    """The document as PDF bytes; WeasyPrint's complaints become warnings on the resolver's reporter."""
    return render_pdf_with_pages(document, resolver, options, presentation)[0]


def render_pdf_with_pages(
    document: Document, resolver: ResourceResolver, options: RenderOptions, presentation: Presentation | None = None
) -> tuple[bytes, int]:
    """The PDF bytes and its page count.

    The bytes depend only on the document, its images and the options: the dates come from the print
    page's dcterms meta (see exporter.enrich.moment), the file identifier from a hash of everything laid out,
    and no base URL is given, so relative links stay relative instead of naming the input's folder.
    """
    report_missing_glyphs(document, options.theme, resolver.reporter)
    shown = presentation or build_presentation(document, options.theme)
    page = render_html(document, resolver, options, shown, for_print=True, embed_styles=False)
    boxes = _check_layout_size(document, page, resolver)
    page = with_break_chances(page)
    css_texts = [
        stylesheet_text(True, options.theme),
        language_style_text(options.theme, shown.east_asian_region),
        page_style_text(options, shown.language),
    ]
    with _warnings_to(resolver.reporter):
        stylesheets = [_compiled(css) for css in css_texts]
        html = weasyprint.HTML(string=page, base_url=None, url_fetcher=SandboxFetcher(resolver))
        rendered = _laid_out(html, stylesheets, page, short=boxes <= SHORT_PAGE_BOXES and not _has_pictures(page))
        pdf = rendered.write_pdf(
            pdf_variant=options.pdf_variant or None,
            pdf_identifier=_identifier(page, css_texts, options.pdf_variant),
        )
    if not isinstance(pdf, bytes):
        raise TypeError("WeasyPrint returned no PDF data")
    if len(pdf) > resolver.limits.output_bytes:
        raise ExportError(
            resolver.reporter.source,
            f"the PDF is {len(pdf)} bytes, over the {resolver.limits.output_bytes}-byte limit (--limit output-bytes=N)",
        )
    return pdf, len(rendered.pages)


def layout_boxes(document: Document, page: str) -> int:
    """About how many boxes WeasyPrint lays out for the print page: its elements, its text in
    TEXT_CHARACTERS_PER_BOX pieces, and more for headings, footnotes and the cells of very wide tables."""
    body = page[max(page.find("<body"), 0) :]
    elements = 0
    markup = 0
    for match in _MARKUP.finditer(body):
        piece = match.group()
        if piece.startswith("<"):
            markup += len(piece)
            elements += piece[1:2].isalpha()
    text = len(body) - markup
    extra = len(document.footnotes) * FOOTNOTE_EXTRA_BOXES
    for block in walk_blocks((*document.blocks, *(item for note in document.footnotes for item in note.children))):
        if isinstance(block, Diagram) and block.drawing is None:
            # A grid of text on unbroken lines: each line is shaped once, never broken.
            grid = sum(len(line) + 1 for line in block.lines)
            text -= grid
            extra += len(block.lines) + grid // DIAGRAM_CHARACTERS_PER_BOX
        elif isinstance(block, Table):
            columns = len(block.header)
            extra += (len(block.rows) + 1) * columns * (columns // COLUMNS_PER_EXTRA_CELL_BOX)
        elif isinstance(block, Heading):
            extra += HEADING_EXTRA_BOXES
    return elements + max(text, 0) // TEXT_CHARACTERS_PER_BOX + extra


def _check_layout_size(document: Document, page: str, resolver: ResourceResolver) -> int:
    """Refuses a document WeasyPrint could not lay out in about a minute and a GiB, before it starts; returns
    its layout boxes."""
    limit = resolver.limits.pdf_boxes
    boxes = layout_boxes(document, page)
    if boxes > limit:
        raise ExportError(
            resolver.reporter.source,
            f"too large for one PDF: about {boxes} layout boxes (elements, table cells, every "
            f"{TEXT_CHARACTERS_PER_BOX} characters of text), over the {limit} limit (--limit pdf-boxes=N); "
            "HTML and DOCX have no such limit",
        )
    return boxes


def _laid_out(html: weasyprint.HTML, stylesheets: list[weasyprint.CSS], page: str, *, short: bool) -> LaidOutDocument:
    """The page laid out, its table of contents left out unless the body after it fills MIN_BODY_PAGES_FOR_TOC
    pages. Knowing that takes a layout with the contents; leaving them out, another one.

    A `short` page is laid out without them first. When that layout has so few pages that the body could not
    fill MIN_BODY_PAGES_FOR_TOC even on pages of its own (after the cover, which takes a page of its own either
    way; without a cover, the body then starts on a fresh page with more room, so it takes no more pages), it
    is the one, and the only layout. Otherwise the contents decide as for any page, and the layout without them,
    if they are left out, is at hand."""
    if TOC_MARK not in page:
        return html.render(stylesheets=stylesheets)
    without_contents = None
    if short:
        without_contents = html.render(stylesheets=[*stylesheets, _compiled(HIDE_TOC_CSS)])
        cover_pages = 1 if 0 <= page.find(COVER_MARK) < page.find(TOC_MARK) else 0  # the cover comes first
        if len(without_contents.pages) - cover_pages < MIN_BODY_PAGES_FOR_TOC:
            return without_contents
    rendered = html.render(stylesheets=stylesheets)
    if _body_page_count(rendered) >= MIN_BODY_PAGES_FOR_TOC:
        return rendered
    return without_contents or html.render(stylesheets=[*stylesheets, _compiled(HIDE_TOC_CSS)])


def _has_pictures(page: str) -> bool:
    """Whether the page shows images or drawings, whose height its layout boxes do not tell."""
    body = page[max(page.find("<body"), 0) :]
    return "<img" in body or "<svg" in body


def with_break_chances(page: str) -> str:
    """The page with zero-width spaces in each run of text longer than LONG_RUN without a break chance
    (a space, or the start of a block), never inside a character's combining marks, an entity, a tag, the
    head, an SVG or a diagram. Text without such runs, which is nearly all text, is left as it is."""
    body = page.find("<body")
    if body < 0:
        return page
    output = [page[:body]]
    run: list[str] = []  # the pieces (text and inline tags) of the run so far
    run_length = 0
    keep_whole = ""  # the element whose text is left alone, until it ends

    def end_run() -> None:
        nonlocal run_length
        output.append(_broken_run(run) if run_length > LONG_RUN else "".join(run))
        run.clear()
        run_length = 0

    for match in _MARKUP.finditer(page, body):
        piece = match.group()
        if piece.startswith("<"):
            name_match = _TAG_NAME.match(piece)
            name = name_match.group(1).lower() if name_match else ""
            if keep_whole:
                keep_whole = "" if piece.startswith("</") and name == keep_whole else keep_whole
                output.append(piece)
            elif name in _BLOCK_TAGS or name in _UNBROKEN_TAGS:
                end_run()
                output.append(piece)
                if not piece.startswith("</") and (
                    name in _UNBROKEN_TAGS or (name == "pre" and 'class="diagram"' in piece)
                ):
                    keep_whole = name
            else:
                run.append(piece)
        elif keep_whole:
            output.append(piece)
        else:
            for part in _SPACES.split(piece):
                if not part:
                    continue
                if part[0].isspace():
                    end_run()
                    output.append(part)
                else:
                    run.append(part)
                    run_length += len(_ENTITY.sub("&", part)) if "&" in part else len(part)
    end_run()
    return "".join(output)


def _broken_run(pieces: list[str]) -> str:
    """A run's text pieces with a zero-width space every BREAK_CHANCE_EVERY characters; tags as they are."""
    result: list[str] = []
    count = 0
    previous = ""
    for piece in pieces:
        if piece.startswith("<"):
            result.append(piece)
            continue
        for match in _CHARACTER.finditer(piece):
            character = match.group()
            if count >= BREAK_CHANCE_EVERY and _may_break_before(previous, character):
                result.append(ZERO_WIDTH_SPACE)
                count = 0
            result.append(character)
            count += 1
            previous = character
    return "".join(result)


def _may_break_before(previous: str, character: str) -> bool:
    """Not between a character and its combining marks, nor inside a joined (ZWJ) sequence."""
    if len(character) == 1 and (unicodedata.category(character)[0] == "M" or character == "\u200d"):
        return False
    return previous != "\u200d"


def _identifier(page: str, css_texts: list[str], variant: str) -> bytes:
    """The first half of the PDF's /ID: a hash of what was laid out, less the dates, so it is the same
    for every version of the document; never of paths or the clock. (WeasyPrint's second half hashes the file.)"""
    digest = hashlib.sha256()
    for part in (weasyprint.__version__, variant, DATE_META.sub("", page), *css_texts):
        encoded = part.encode("utf-8")
        digest.update(len(encoded).to_bytes(8, "big") + encoded)
    return digest.hexdigest()[:PDF_IDENTIFIER_HEX_DIGITS].encode("ascii")


def _body_page_count(rendered: LaidOutDocument) -> int:
    """Pages after the table of contents; a large number when there is none, so nothing is re-laid out."""
    toc_pages = [index for index, page in enumerate(rendered.pages) if TOC_ID in page.anchors]
    if not toc_pages:
        return len(rendered.pages) + MIN_BODY_PAGES_FOR_TOC
    return len(rendered.pages) - (toc_pages[-1] + 1)


@lru_cache(maxsize=16)
def _compiled(css: str) -> weasyprint.CSS:
    """Parsed once per process: parsing our stylesheet costs more than laying out a short document."""
    return weasyprint.CSS(string=css, url_fetcher=SandboxFetcher(None))  # shared: data: URLs only


class SandboxFetcher(URLFetcher):  # type: ignore[misc]
    """What WeasyPrint may load: `data:` URLs within the size limit, and whatever the resolver allows.

    Without a resolver (stylesheets compiled once per process) it serves `data:` URLs only. A refusal
    raises, so WeasyPrint leaves the resource out; the resolver has already warned.
    """

    def __init__(self, resolver: ResourceResolver | None) -> None:
        super().__init__(allowed_protocols=("data",), allow_redirects=False)
        self.resolver = resolver
        limits = resolver.limits if resolver is not None else Limits()
        # The page's data: URLs are images the resolver already let through, as large as image_bytes.
        self.max_data_bytes = max(limits.image_bytes, limits.data_url_bytes)

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        if url[:5].lower() == "data:":
            try:
                mime, data = decode_data_url(url, self.max_data_bytes)
            except DataUrlTooLarge:
                raise ValueError(f"refusing a data: URL larger than {self.max_data_bytes} bytes") from None
            return URLFetcherResponse(url, data, {"Content-Type": mime})
        if self.resolver is None:
            raise ValueError(f"refusing to fetch {url!r}: only inlined data is allowed")
        if (image := self.resolver.print_resource(url)) is not None:
            return URLFetcherResponse(url, image.data, {"Content-Type": image.mime})
        resource = self.resolver.load(url, 0)
        if resource is None:
            raise ValueError(f"refused {url!r}: {self.resolver.refusal_reason(url)}")
        return URLFetcherResponse(url, resource.data, {"Content-Type": resource.mime})


_IGNORED_PROPERTY = re.compile(r"Ignored `([a-zA-Z-]+)\s*:.*` at \d+:\d+, unknown property\.")
SVG_ONLY_PROPERTIES = frozenset(
    {
        "fill", "fill-opacity", "fill-rule", "stroke", "stroke-width", "stroke-dasharray", "stroke-dashoffset",
        "stroke-linecap", "stroke-linejoin", "stroke-miterlimit", "stroke-opacity", "marker", "marker-start",
        "marker-mid", "marker-end", "text-anchor", "dominant-baseline", "alignment-baseline", "baseline-shift",
        "paint-order", "vector-effect", "stop-color", "stop-opacity", "clip-rule", "shape-rendering",
        "text-rendering", "flood-color", "flood-opacity", "lighting-color", "color-interpolation-filters",
    }
)  # fmt: skip


class _ReporterHandler(logging.Handler):
    def __init__(self, reporter: Reporter) -> None:
        super().__init__(logging.WARNING)
        self.reporter = reporter

    def emit(self, record: logging.LogRecord) -> None:
        message = " ".join(record.getMessage().split())
        if message.startswith("No anchor #"):
            return  # the parser has reported every dangling `#link`, with its line
        ignored = _IGNORED_PROPERTY.match(message)
        if ignored and ignored[1].lower() in SVG_ONLY_PROPERTIES:
            # WeasyPrint's HTML cascade also reads the style attributes inside inline SVG (PlantUML writes
            # `style="stroke:…"`) and knows no SVG property; its SVG renderer applies them all the same.
            return
        self.reporter.warn(0, Code.PDF, message)


@contextmanager
def _warnings_to(reporter: Reporter) -> Iterator[None]:
    """Routes WeasyPrint's warnings to `reporter` (and nowhere else) while the block runs."""
    logger = logging.getLogger(WEASYPRINT_LOGGER)
    handler = _ReporterHandler(reporter)
    saved_propagate, saved_level = logger.propagate, logger.level
    logger.addHandler(handler)
    logger.propagate = False
    if logger.getEffectiveLevel() > logging.WARNING:
        logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.propagate = saved_propagate
        logger.setLevel(saved_level)
