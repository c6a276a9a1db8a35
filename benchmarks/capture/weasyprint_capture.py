"""Records what designexport hands WeasyPrint for a PDF, as files the `weasyprint` command can lay out alone.

pandoc_compare.py measures "WeasyPrint alone on our HTML" as the PDF path's floor. To be the same input, the
page, stylesheets, resources and options are taken at WeasyPrint's API (HTML, CSS, render, write_pdf) during
a real `designexport DOC --pdf` run rather than rebuilt from exporter internals, so the floor follows any
change to how exporter/render/pdf.py drives WeasyPrint. For each PDF written it makes a folder `<pid>-<n>/` with
  page.html      the page exactly as given to weasyprint.HTML(string=...), loaded resources renamed to files,
  style-<i>.css  the stylesheets given to the last render() before write_pdf, in order,
  res-<j>.<ext>  every non-data: URL our URL fetcher served (images by `designexport-image:` names),
  capture.json   the `weasyprint` arguments, the number of layout passes, in-process CPU seconds by step,
                 and anything that could not be reproduced.
Run `weasyprint <arguments> page.html out.pdf` in that folder. Only the capture run is hooked; the timed runs
are plain processes.
"""

from __future__ import annotations

import html
import json
import mimetypes
import os
import time
from pathlib import Path
from typing import Any

CAPTURE_FILE = "capture.json"
PAGE_FILE = "page.html"

# WeasyPrint rendering options (DEFAULT_OPTIONS) the `weasyprint` command can set, by its flag.
VALUE_FLAGS = {
    "pdf_identifier": "--pdf-identifier",
    "pdf_variant": "--pdf-variant",
    "pdf_version": "--pdf-version",
    "output_intent": "--output-intent",
    "jpeg_quality": "--jpeg-quality",
    "dpi": "--dpi",
}
SWITCH_FLAGS = {
    "pdf_forms": "--pdf-forms",
    "pdf_tags": "--pdf-tags",
    "uncompressed_pdf": "--uncompressed-pdf",
    "custom_metadata": "--custom-metadata",
    "presentational_hints": "--presentational-hints",
    "optimize_images": "--optimize-images",
    "full_fonts": "--full-fonts",
    "hinting": "--hinting",
}
# Handled apart (stylesheets), where the PDF goes, or without effect on a local file.
OPTIONS_NOT_FLAGS = frozenset(
    {"stylesheets", "target", "cache", "attachments", "attachment_relationships", "xmp_metadata"}
)
# write_pdf's own arguments, beside DEFAULT_OPTIONS.
WRITE_DEFAULTS = {"zoom": 1, "finisher": None}


def cli_arguments(options: dict[str, Any], defaults: dict[str, Any]) -> tuple[list[str], list[str]]:
    """The `weasyprint` flags for the options that differ from WeasyPrint's defaults, and the names of
    those no flag reproduces."""
    arguments: list[str] = []
    missing: list[str] = []
    for name, value in sorted(options.items()):
        if name in OPTIONS_NOT_FLAGS or value == defaults.get(name):
            continue
        if name in VALUE_FLAGS and value is not None:
            text = value.decode("ascii", "replace") if isinstance(value, bytes) else str(value)
            arguments += [VALUE_FLAGS[name], text]
        elif name in SWITCH_FLAGS and value is True:
            arguments.append(SWITCH_FLAGS[name])
        else:
            missing.append(name)
    return arguments, missing


def rewrite_urls(text: str, files: dict[str, str]) -> tuple[str, list[str]]:
    """`text` with each URL of `files` replaced by its file name, as written or HTML-escaped; and the URLs
    found in neither form."""
    absent: list[str] = []
    # Longest first, so a URL that starts another is not replaced inside it.
    for url in sorted(files, key=len, reverse=True):
        escaped = html.escape(url, quote=True)
        if url in text:
            text = text.replace(url, files[url])
        elif escaped in text:
            text = text.replace(escaped, html.escape(files[url], quote=True))
        else:
            absent.append(url)
    return text, absent


def extension_for(content_type: str | None) -> str:
    guessed = mimetypes.guess_extension(content_type or "") if content_type else None
    return guessed or ".bin"


class _Capture:
    """The state of one process's capture: the folder, a counter of PDFs written, the resources served."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.written = 0


def install(folder_name: str) -> None:
    """Wraps weasyprint.HTML, CSS, HTML.render and Document.write_pdf to record their inputs."""
    import weasyprint
    from weasyprint.document import Document
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    capture = _Capture(Path(folder_name))

    class RecordingFetcher(URLFetcher):  # type: ignore[misc]
        """Serves what the wrapped fetcher serves, keeping a copy of every non-data: resource."""

        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner
            self._fail_on_errors = getattr(inner, "_fail_on_errors", False)
            self.served: dict[str, tuple[bytes, str | None]] = {}

        def fetch(self, url: str, headers: Any = None) -> Any:
            response = self.inner.fetch(url, headers) if hasattr(self.inner, "fetch") else self.inner(url)
            if url[:5].lower() == "data:":
                return response
            body = response.read()
            response.close()
            self.served[url] = (body, response.content_type)
            return URLFetcherResponse(response.url, body, response.headers, response.status)

    original_html_init = weasyprint.HTML.__init__
    original_css_init = weasyprint.CSS.__init__
    original_render = weasyprint.HTML.render
    original_write_pdf = Document.write_pdf

    def html_init(self: Any, guess: Any = None, *args: Any, **kwargs: Any) -> None:
        started = time.process_time()
        source = kwargs.get("string")
        named_file = kwargs.get("filename") or (guess if isinstance(guess, (str, Path)) else None)
        if source is None and named_file is not None and Path(named_file).is_file():
            source = Path(named_file).read_text(encoding="utf-8")
        self._bench_source = source
        self._bench_base_url = kwargs.get("base_url")
        self._bench_fetcher = RecordingFetcher(kwargs.get("url_fetcher") or URLFetcher())
        self._bench_renders = 0
        self._bench_render_cpu = 0.0
        kwargs["url_fetcher"] = self._bench_fetcher
        original_html_init(self, guess, *args, **kwargs)
        self._bench_parse_cpu = time.process_time() - started

    def css_init(self: Any, guess: Any = None, *args: Any, **kwargs: Any) -> None:
        fetcher = RecordingFetcher(kwargs.get("url_fetcher") or URLFetcher())
        kwargs["url_fetcher"] = fetcher
        self._bench_fetcher = fetcher
        if kwargs.get("string") is not None:
            self._bench_text = kwargs["string"]
        elif kwargs.get("filename") is not None:
            self._bench_text = Path(kwargs["filename"]).read_text(encoding="utf-8")
        else:
            self._bench_text = None
        original_css_init(self, guess, *args, **kwargs)

    def render(self: Any, font_config: Any = None, *args: Any, **options: Any) -> Any:
        started = time.process_time()
        document = original_render(self, font_config, *args, **options)
        self._bench_renders += 1
        self._bench_render_cpu += time.process_time() - started
        document._bench_origin = (self, options, font_config is not None)
        return document

    def write_pdf(self: Any, *args: Any, **options: Any) -> Any:
        started = time.process_time()
        result = original_write_pdf(self, *args, **options)
        origin = getattr(self, "_bench_origin", None)
        if origin is not None:
            write_seconds = time.process_time() - started
            capture.written += 1
            _save(capture, origin, options, write_seconds, {**weasyprint.DEFAULT_OPTIONS, **WRITE_DEFAULTS})
        return result

    weasyprint.HTML.__init__ = html_init
    weasyprint.CSS.__init__ = css_init
    weasyprint.HTML.render = render
    Document.write_pdf = write_pdf


def _save(
    capture: _Capture,
    origin: tuple[Any, dict[str, Any], bool],
    write_options: dict[str, Any],
    write_seconds: float,
    defaults: dict[str, Any],
) -> None:
    page_object, render_options, had_font_config = origin
    folder = capture.folder / f"{os.getpid()}-{capture.written}"  # a forked worker counts on from its parent
    folder.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    resources: dict[str, str] = {}

    def keep(served: dict[str, tuple[bytes, str | None]]) -> dict[str, str]:
        named: dict[str, str] = {}
        for url, (body, content_type) in served.items():
            if url not in resources:
                resources[url] = f"res-{len(resources) + 1}{extension_for(content_type)}"
                (folder / resources[url]).write_bytes(body)
            named[url] = resources[url]
        return named

    source = page_object._bench_source
    if source is None:
        problems.append("the page was not given as a string or a file name")
    else:
        page, absent = rewrite_urls(source, keep(page_object._bench_fetcher.served))
        # With a base URL, a relative reference was fetched by its absolute URL: the command resolves it alike.
        base_url = page_object._bench_base_url
        problems += [
            f"resource {url!r} not found in the page" for url in absent if not (base_url and url.startswith("file:"))
        ]
        (folder / PAGE_FILE).write_text(page, encoding="utf-8")

    arguments = ["--encoding", "utf-8"]
    stylesheets = render_options.get("stylesheets") or []
    for index, sheet in enumerate(stylesheets, 1):
        text = getattr(sheet, "_bench_text", None)
        if text is None:
            problems.append(f"stylesheet {index} ({type(sheet).__name__}) has no recorded text")
            continue
        text, absent = rewrite_urls(text, keep(sheet._bench_fetcher.served))
        problems += [f"resource {url!r} not found in stylesheet {index}" for url in absent]
        name = f"style-{index}.css"
        (folder / name).write_text(text, encoding="utf-8")
        arguments += ["--stylesheet", name]
    if page_object._bench_base_url:
        arguments += ["--base-url", str(page_object._bench_base_url)]
    if page_object.media_type != "print":
        arguments += ["--media-type", page_object.media_type]
    flags, missing = cli_arguments({**render_options, **write_options}, defaults)
    arguments += flags
    problems += [f"option {name} has no weasyprint flag" for name in missing]
    record = {
        "font_config_given": had_font_config,  # the command makes its own, from the same stylesheets
        "arguments": arguments,
        "layout_passes": page_object._bench_renders,
        "resources": len(resources),
        "stylesheets": len(stylesheets),
        "cpu_seconds": {
            "html_parse": round(page_object._bench_parse_cpu, 4),
            "layout": round(page_object._bench_render_cpu, 4),
            "write_pdf": round(write_seconds, 4),
        },
        "problems": problems,
    }
    (folder / CAPTURE_FILE).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")


def load(folder: Path) -> dict[str, Any] | None:
    """The last capture.json written under `folder` (the last PDF written), with its folder as "folder"."""
    found = sorted(folder.glob(f"*/{CAPTURE_FILE}"), key=lambda path: path.stat().st_mtime_ns)
    if not found:
        return None
    record: dict[str, Any] = json.loads(found[-1].read_text(encoding="utf-8"))
    record["folder"] = str(found[-1].parent)
    record["pdfs_written"] = len(found)
    return record
