"""The PDF backend: the print flavour of the HTML page, laid out by WeasyPrint.

This is the only module that imports WeasyPrint, and it is imported only when a PDF is asked for.
Images are already data URIs when WeasyPrint sees the page; anything else it tries to load goes
through the document's resource resolver (SandboxFetcher), so the same sandbox rules apply.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

import weasyprint
from weasyprint.document import Document as LaidOutDocument
from weasyprint.urls import URLFetcher, URLFetcherResponse

from exporter.backends.html import page_style_text, render_html, stylesheet_text
from exporter.diagnostics import Reporter
from exporter.glyphs import report_missing_glyphs
from exporter.limits import Limits
from exporter.options import RenderOptions
from exporter.resources import DataUrlTooLarge, ResourceResolver, decode_data_url
from exporter.tree import Document

WEASYPRINT_LOGGER = "weasyprint"
DIAGNOSTIC_CODE = "pdf"

# A table of contents is worth its page only in front of a body this long.
MIN_BODY_PAGES_FOR_TOC = 3
TOC_ID = "contents"  # the id html.py gives the printed table of contents
HIDE_TOC_CSS = "nav.toc { display: none; }"
DATE_META = re.compile(r'<meta name="dcterms\.(?:created|modified)" content="[^"]*">\n?')  # see document.html.j2
PDF_IDENTIFIER_HEX_DIGITS = 32  # as long as the MD5 WeasyPrint would use


def render_pdf(document: Document, resolver: ResourceResolver, options: RenderOptions) -> bytes:
    """The document as PDF bytes; WeasyPrint's complaints become warnings on the resolver's reporter."""
    return render_pdf_with_pages(document, resolver, options)[0]


def render_pdf_with_pages(document: Document, resolver: ResourceResolver, options: RenderOptions) -> tuple[bytes, int]:
    """The PDF bytes and its page count.

    The bytes depend only on the document, its images and the options: the dates come from the print
    page's dcterms meta (see exporter.moment), the file identifier from a hash of everything laid out,
    and no base URL is given, so relative links stay relative instead of naming the input's folder.
    """
    report_missing_glyphs(document, options.theme, resolver.reporter)
    page = render_html(document, resolver, options, for_print=True, embed_styles=False)
    css_texts = [stylesheet_text(True, options.theme), page_style_text(options, document.language)]
    with _warnings_to(resolver.reporter):
        stylesheets = [_compiled(css) for css in css_texts]
        html = weasyprint.HTML(string=page, base_url=None, url_fetcher=SandboxFetcher(resolver))
        rendered = html.render(stylesheets=stylesheets)
        if _body_page_count(rendered) < MIN_BODY_PAGES_FOR_TOC:
            # Only short documents with a contents page pay for this second layout.
            rendered = html.render(stylesheets=[*stylesheets, _compiled(HIDE_TOC_CSS)])
        pdf = rendered.write_pdf(
            pdf_variant=options.pdf_variant or None,
            pdf_identifier=_identifier(page, css_texts, options.pdf_variant),
        )
    if not isinstance(pdf, bytes):
        raise TypeError("WeasyPrint returned no PDF data")
    return pdf, len(rendered.pages)


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
        resource = self.resolver.load(url, 0)
        if resource is None:
            raise ValueError(f"refused {url!r}: {self.resolver.refusal_reason(url)}")
        return URLFetcherResponse(url, resource.data, {"Content-Type": resource.mime})


class _ReporterHandler(logging.Handler):
    def __init__(self, reporter: Reporter) -> None:
        super().__init__(logging.WARNING)
        self.reporter = reporter

    def emit(self, record: logging.LogRecord) -> None:
        message = " ".join(record.getMessage().split())
        if message.startswith("No anchor #"):
            return  # the parser has reported every dangling `#link`, with its line
        self.reporter.warn(0, DIAGNOSTIC_CODE, message)


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
