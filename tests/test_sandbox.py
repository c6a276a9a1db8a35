"""The resource sandbox: hostile references are refused with a warning, and nothing reaches the network."""

from __future__ import annotations

import base64
import http.server
import io
import os
import re
import struct
import subprocess
import threading
import tracemalloc
import zipfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PIL import Image as PILImage
from pypdf import PdfReader

import exporter.safety.remote
import exporter.safety.resources
from exporter.model.diagnostics import Reporter
from exporter.model.limits import Limits
from exporter.read.markdown import parse
from exporter.render.html import render_html
from exporter.render.options import RenderOptions
from exporter.render.pdf import SandboxFetcher
from exporter.run.export import ExportSettings, export_document
from exporter.safety.images import ImageBomb, ImageHeader, UnreadableImage, png_from, read_header
from exporter.safety.remote import is_public_address
from exporter.safety.resources import ResourceResolver
from exporter.safety.svg import MAX_ELEMENTS as MAX_SVG_ELEMENTS
from tests.browser import chromium

PASSWD_MARK = "root:x:0:0"


# ---------------------------------------------------------------- helpers


class CountingServer(http.server.ThreadingHTTPServer):
    """A local HTTP server that counts every connection it accepts, valid request or not."""

    def __init__(self, host: str, routes: dict[str, Callable[[http.server.BaseHTTPRequestHandler], None]]) -> None:
        self.connections = 0
        self.routes = routes
        super().__init__((host, 0), _Handler)

    def process_request(self, request: object, client_address: object) -> None:
        self.connections += 1
        super().process_request(request, client_address)  # type: ignore[arg-type]

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"


class _Handler(http.server.BaseHTTPRequestHandler):
    server: CountingServer

    def do_GET(self) -> None:
        route = self.server.routes.get(self.path)
        if route is None:
            self.send_error(404)
        else:
            route(self)

    def log_message(self, format: str, *args: object) -> None:
        pass


def _serve(
    host: str, routes: dict[str, Callable[[http.server.BaseHTTPRequestHandler], None]]
) -> Iterator[CountingServer]:
    server = CountingServer(host, routes)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture(scope="module")
def trap() -> Iterator[CountingServer]:
    """The server on 127.0.0.1 that must never be contacted."""
    yield from _serve("127.0.0.1", {})


def png_bytes(width: int = 4, height: int = 3) -> bytes:
    buffer = io.BytesIO()
    PILImage.new("RGB", (width, height), "#3366aa").save(buffer, format="PNG")
    return buffer.getvalue()


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims `width` x `height` pixels."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00" + b"\x00\x00\x00" * 8)  # one short row: never decoded anyway
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


EVIL_SVG = """<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"
  width="120" height="40" onload="alert(1)">
  <style>@import url(http://127.0.0.1:1/x.css); rect { fill: red }</style>
  <script>alert(2)</script>
  <foreignObject width="10" height="10"><div xmlns="http://www.w3.org/1999/xhtml">hi</div></foreignObject>
  <a xlink:href="javascript:alert(3)"><rect id="box" width="120" height="40" fill="url(#grad)" onclick="x()"/></a>
  <image href="http://127.0.0.1:1/track.png" width="5" height="5"/>
  <image xlink:href="file:///etc/passwd" width="5" height="5"/>
  <use href="#box" style="fill: url(http://127.0.0.1:1/f)"/>
  <set attributeName="href" to="javascript:alert(4)"/>
</svg>"""

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>
<svg xmlns="http://www.w3.org/2000/svg"><text>&b;</text></svg>"""


@pytest.fixture
def doc(tmp_path: Path) -> Path:
    """The document's folder, inside tmp_path, with a secret beside it."""
    folder = tmp_path / "doc"
    folder.mkdir()
    (tmp_path / "secret.png").write_bytes(png_bytes())
    (folder / "ok.png").write_bytes(png_bytes())
    return folder


def resolver_in(folder: Path, **options: object) -> tuple[ResourceResolver, Reporter]:
    reporter = Reporter("doc.md")
    return ResourceResolver(folder, reporter, **options), reporter  # type: ignore[arg-type]


def refused(folder: Path, reference: str, code: str, **options: object) -> str:
    """Loads `reference` at line 7, expecting a refusal with `code`; the warning's text."""
    resolver, reporter = resolver_in(folder, **options)
    assert resolver.load(reference, 7) is None
    [warning] = [item for item in reporter.diagnostics if item.code == code]
    text = str(warning)
    assert text.startswith("doc.md:7: warning:")
    assert repr(exporter.safety.resources.shown_reference(reference)) in text
    assert resolver.refusal_reason(reference)
    return text


# ---------------------------------------------------------------- files


def test_a_file_in_the_folder_loads(doc: Path) -> None:
    resolver, reporter = resolver_in(doc)
    resource = resolver.load("ok.png", 1)
    assert resource is not None and resource.mime == "image/png"
    assert resolver.load(str(doc / "ok.png"), 2) is not None  # absolute, but inside the root
    assert resolver.load((doc / "ok.png").as_uri(), 3) is not None
    assert reporter.diagnostics == []
    assert list(resolver.dependencies) == ["ok.png"]


def test_climbing_out_is_refused(doc: Path) -> None:
    assert "outside the document's folder" in refused(doc, "../secret.png", "resource-outside")
    refused(doc, "../../../../etc/passwd", "resource-outside")
    refused(doc, "sub/../../secret.png", "resource-outside")


def test_absolute_paths_and_file_urls_outside_are_refused(doc: Path) -> None:
    refused(doc, "/etc/passwd", "resource-outside")
    refused(doc, "file:///etc/passwd", "resource-outside")
    refused(doc, "file://localhost/etc/passwd", "resource-outside")
    refused(doc, (doc.parent / "secret.png").as_uri(), "resource-outside")
    refused(doc, "file://fileserver/share/a.png", "resource-remote")


def test_symlinks_leaving_the_folder_are_refused(doc: Path) -> None:
    (doc / "etc").symlink_to("/etc")
    (doc / "up.png").symlink_to(doc.parent / "secret.png")
    (doc / "same.png").symlink_to(doc / "ok.png")
    assert "link" in refused(doc, "etc/passwd", "resource-outside")
    refused(doc, "up.png", "resource-outside")
    resolver, _ = resolver_in(doc)
    assert resolver.load("same.png", 1) is not None


def test_a_fifo_is_refused_without_opening_it(doc: Path) -> None:
    os.mkfifo(doc / "pipe.png")
    outcome: list[str] = []
    worker = threading.Thread(target=lambda: outcome.append(refused(doc, "pipe.png", "resource-type")))
    worker.start()
    worker.join(10)
    assert outcome and "not a regular file" in outcome[0]


def test_a_device_and_a_folder_are_refused(doc: Path) -> None:
    (doc / "null.png").symlink_to("/dev/null")
    refused(doc, "null.png", "resource-outside")
    refused(doc, str(doc), "resource-type")


def test_a_missing_file_is_a_warning_and_a_dependency(doc: Path) -> None:
    resolver, _ = resolver_in(doc)
    assert "image not found" in refused(doc, "nope.png", "resource-missing")
    resolver.load("nope.png", 1)
    assert resolver.dependencies == {"nope.png": None}
    assert resolver.refusal_reason("nope.png") == "not found"


def test_a_large_file_is_refused_before_it_is_read(doc: Path) -> None:
    refused(doc, "ok.png", "resource-too-large", limits=Limits(image_bytes=10))


def test_a_png_claiming_ten_billion_pixels_is_refused(doc: Path) -> None:
    (doc / "bomb.png").write_bytes(png_claiming(100_000, 100_000))
    refused(doc, "bomb.png", "resource-too-large")
    (doc / "wide.png").write_bytes(png_claiming(20_000, 5_000))  # under Pillow's own bomb limit, over ours
    assert "20000x5000" in refused(doc, "wide.png", "resource-too-large")


def test_content_must_be_the_image_its_name_says(doc: Path) -> None:
    (doc / "fake.png").write_text("root:x:0:0:root:/root:/bin/bash\n", encoding="utf-8")
    (doc / "notes.txt").write_text("hello", encoding="utf-8")
    (doc / "drawing.png").write_text(EVIL_SVG, encoding="utf-8")
    refused(doc, "fake.png", "resource-type")
    refused(doc, "notes.txt", "resource-type")
    refused(doc, "drawing.png", "resource-type")  # an SVG can't dodge the sanitizer by its name


def test_the_asset_root_allows_a_sibling_folder(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "x.png").write_bytes(png_bytes())
    resolver, reporter = resolver_in(tmp_path / "docs", root=tmp_path)
    assert resolver.load("../assets/x.png", 1) is not None
    assert resolver.load("../assets/gone.png", 2) is None
    assert list(resolver.dependencies) == ["../assets/x.png", "../assets/gone.png"]  # as the build cache keys them
    assert resolver.dependencies["../assets/gone.png"] is None
    assert [item.code for item in reporter.diagnostics] == ["resource-missing"]
    refused(tmp_path / "docs", "../../outside.png", "resource-outside", root=tmp_path)
    refused(tmp_path / "docs", "../assets/x.png", "resource-outside")  # no asset root: the folder only


def test_a_root_that_does_not_contain_the_folder_is_ignored(tmp_path: Path, doc: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    resolver, _ = resolver_in(doc, root=other)
    assert resolver.root == doc.resolve()
    assert resolver.load("ok.png", 1) is not None


# ---------------------------------------------------------------- data: URLs


def test_data_urls_within_the_limit_load(doc: Path) -> None:
    resolver, reporter = resolver_in(doc)
    url = "data:image/png;base64," + base64.b64encode(png_bytes()).decode("ascii")
    resource = resolver.load(url, 1)
    assert resource is not None and resource.data == png_bytes()
    assert reporter.diagnostics == []


def test_a_large_data_url_is_refused_without_decoding(doc: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_decoding(*args: object, **kwargs: object) -> bytes:
        raise AssertionError("decoded a data: URL over the limit")

    monkeypatch.setattr(base64, "b64decode", no_decoding)
    url = "data:image/png;base64," + "A" * 20_000
    refused(doc, url, "resource-too-large", limits=Limits(data_url_bytes=1_000))


def test_data_urls_are_checked_like_files(doc: Path) -> None:
    bomb = "data:image/png;base64," + base64.b64encode(png_claiming(100_000, 100_000)).decode("ascii")
    refused(doc, bomb, "resource-too-large")
    refused(doc, "data:text/html;base64,PHNjcmlwdD4=", "resource-type")
    refused(doc, "data:image/png;base64,cm9vdDp4OjA6MA==", "resource-type")


# ---------------------------------------------------------------- SVG


def test_svg_is_sanitized(doc: Path) -> None:
    (doc / "evil.svg").write_text(EVIL_SVG, encoding="utf-8")
    resolver, reporter = resolver_in(doc)
    resource = resolver.load("evil.svg", 4)
    assert resource is not None and resource.mime == "image/svg+xml"
    cleaned = resource.data.decode("utf-8").lower()
    for gone in (
        "<script",
        "alert",
        "onload",
        "onclick",
        "foreignobject",
        "javascript:",
        "@import",
        "127.0.0.1",
        "file:",
    ):
        assert gone not in cleaned, gone
    assert '<rect id="box"' in cleaned and 'fill="url(#grad)"' in cleaned and 'href="#box"' in cleaned
    [warning] = reporter.diagnostics
    assert warning.code == "resource-unsafe-svg" and warning.line == 4 and "<script>" in warning.message


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (BILLION_LAUGHS, "DOCTYPE or entities"),
        ('<!DOCTYPE svg SYSTEM "file:///etc/passwd"><svg xmlns="http://www.w3.org/2000/svg"/>', "DOCTYPE"),
        ("<svg xmlns='http://www.w3.org/2000/svg'><rect></svg>", "well-formed"),
        ("<html><body/></html>", "not <svg>"),
    ],
)
def test_unsafe_or_broken_svg_is_refused(doc: Path, content: str, why: str) -> None:
    (doc / "bad.svg").write_text(content, encoding="utf-8")
    assert why in refused(doc, "bad.svg", "resource-unsafe-svg")


def test_an_svg_keeps_a_small_embedded_image_and_loses_a_bomb(doc: Path) -> None:
    def embedding(png: bytes) -> str:
        data = base64.b64encode(png).decode("ascii")
        return f'<svg xmlns="http://www.w3.org/2000/svg"><image href="data:image/png;base64,{data}"/></svg>'

    (doc / "small.svg").write_text(embedding(png_bytes(4, 3)), encoding="utf-8")
    (doc / "bomb.svg").write_text(embedding(png_claiming(100_000, 100_000)), encoding="utf-8")
    (doc / "wide.svg").write_text(embedding(png_claiming(20_000, 5_000)), encoding="utf-8")
    resolver, reporter = resolver_in(doc)
    small = resolver.load("small.svg", 1)
    assert small is not None and b"data:image/png;base64," in small.data
    assert reporter.diagnostics == []
    for name in ("bomb.svg", "wide.svg"):
        resource = resolver.load(name, 2)
        assert resource is not None and b"<image" not in resource.data, name
    assert [item.code for item in reporter.diagnostics] == ["resource-unsafe-svg"] * 2


def test_image_headers_give_the_real_type_and_size_without_decoding() -> None:
    webp = io.BytesIO()
    PILImage.new("RGB", (6, 5), "red").save(webp, format="WEBP")
    assert read_header(png_bytes(4, 3)) == ImageHeader("image/png", 4, 3)
    assert read_header(webp.getvalue()) == ImageHeader("image/webp", 6, 5)
    header = read_header(png_claiming(20_000, 5_000))  # read, never decoded: it has one row of pixels
    assert (header.mime, header.pixels) == ("image/png", 100_000_000)
    with pytest.raises(ImageBomb):
        read_header(png_claiming(100_000, 100_000))
    with pytest.raises(UnreadableImage):
        read_header(b"GIF89a, and then nothing")
    with pytest.raises(UnreadableImage):
        read_header(png_bytes(), {"image/jpeg"})  # a PNG where a JPEG was promised


def test_a_webp_becomes_a_png_of_the_same_size_for_word() -> None:
    webp = io.BytesIO()
    PILImage.new("RGB", (6, 5), "red").save(webp, format="WEBP")
    png = png_from(webp.getvalue())
    assert png is not None and png.startswith(b"\x89PNG")
    assert read_header(png) == ImageHeader("image/png", 6, 5)
    assert png_from(b"not an image") is None


def test_svg_in_another_encoding_is_refused(doc: Path) -> None:
    (doc / "wide.svg").write_bytes(BILLION_LAUGHS.encode("utf-16"))
    assert "UTF-8" in refused(doc, "wide.svg", "resource-unsafe-svg")


# Every way an SVG opened on its own could fetch something; TRAP is replaced by the trap server's URL.
FETCHING_SVG = """<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"
  xmlns:h="http://www.w3.org/1999/xhtml" width="200" height="100">
  <h:iframe src="TRAP/iframe"/>
  <x:img xmlns:x="http://www.w3.org/1999/xhtml" src="TRAP/prefixed-img"/>
  <h:link rel="stylesheet" href="TRAP/link.css"/>
  <foreignObject width="100" height="50"><h:img src="TRAP/fo-img"/>
    <div xmlns="http://www.w3.org/1999/xhtml"><img src="TRAP/fo-div-img"/></div></foreignObject>
  <style>rect { fill: blue }<h:b/>@import url(TRAP/after-a-child.css);</style>
  <style>@font-face { font-family: f; src: url(TRAP/font.woff) } text { font-family: f }</style>
  <image href="TRAP/image.png" width="10" height="10"/>
  <image xlink:href="TRAP/xlink-image.png" width="10" height="10"/>
  <rect width="10" height="10" style="fill: url(TRAP/style-attribute#a)"/>
  <use href="TRAP/use.svg#a"/>
  <filter id="f"><feImage href="TRAP/feimage.png"/></filter>
  <rect width="10" height="10" filter="url(#f)"/>
  <image width="10" height="10"><set attributeName="href" to="TRAP/set.png"/></image>
  <script href="TRAP/script.js"/>
  <text>drawing</text>
</svg>"""


@pytest.fixture
def own_trap() -> Iterator[CountingServer]:
    """A trap of the test's own, since the shared one must never count a connection."""
    yield from _serve("127.0.0.1", {})


def connections_when_opened(svg: Path, trap: CountingServer) -> int:
    """How many connections the trap gets while headless Chromium shows `svg` as a page of its own."""
    before = trap.connections
    subprocess.run(
        [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=5000",
         "--dump-dom", svg.as_uri()],
        capture_output=True, timeout=300, check=False, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    return trap.connections - before


def test_a_cleaned_svg_opened_on_its_own_makes_no_requests(doc: Path, own_trap: CountingServer) -> None:
    trap = own_trap
    hostile = doc / "fetching.svg"
    hostile.write_text(FETCHING_SVG.replace("TRAP", trap.base_url), encoding="utf-8")
    assert connections_when_opened(hostile, trap) > 0  # the trap sees what an unclean SVG fetches

    resource = resolver_in(doc)[0].load("fetching.svg", 1)

    assert resource is not None
    cleaned = doc / "cleaned.svg"
    cleaned.write_bytes(resource.data)
    assert connections_when_opened(cleaned, trap) == 0
    assert trap.base_url.encode() not in resource.data
    assert b"<text>drawing</text>" in resource.data


def test_html_elements_go_whatever_their_prefix(doc: Path) -> None:
    (doc / "prefixed.svg").write_text(FETCHING_SVG.replace("TRAP", "http://127.0.0.1:1"), encoding="utf-8")
    resolver, reporter = resolver_in(doc)
    resource = resolver.load("prefixed.svg", 3)
    assert resource is not None
    cleaned = resource.data.decode("utf-8")
    for gone in ("iframe", "img", "link", "xhtml", "foreignObject", "<h:", "<x:", "@import", "font.woff", "<script"):
        assert gone not in cleaned, gone
    [warning] = reporter.diagnostics
    assert "HTML <iframe>" in warning.message and "<style> that loads other files" in warning.message


def test_style_keeps_only_text_that_loads_nothing(doc: Path) -> None:
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg"><style>rect { fill: red }<b xmlns="http://www.w3.org/1999/xhtml">'
        "</b>circle { fill: url(#paint) }</style><rect width='5' height='5'/></svg>"
    )
    (doc / "styled.svg").write_text(svg, encoding="utf-8")
    resource = resolver_in(doc)[0].load("styled.svg", 1)
    assert resource is not None
    assert b"<style>rect { fill: red }circle { fill: url(#paint) }</style>" in resource.data


def test_an_svg_without_a_namespace_is_written_as_svg(doc: Path) -> None:
    (doc / "bare.svg").write_text("<svg width='5' height='5'><rect width='5' height='5'/><script/></svg>", "utf-8")
    resource = resolver_in(doc)[0].load("bare.svg", 1)
    assert resource is not None
    assert (
        resource.data
        == b'<svg xmlns="http://www.w3.org/2000/svg" width="5" height="5"><rect width="5" height="5"/></svg>'
    )


def test_an_svg_of_a_million_elements_is_refused_in_bounded_memory(doc: Path) -> None:
    (doc / "huge.svg").write_bytes(b'<svg xmlns="http://www.w3.org/2000/svg">' + b"<desc/>" * 1_000_000 + b"</svg>")
    tracemalloc.start()
    try:
        message = refused(doc, "huge.svg", "resource-unsafe-svg")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert f"more than {MAX_SVG_ELEMENTS} elements" in message
    assert peak < 96 * 1024 * 1024, peak  # the file itself is 7 MB; a full tree of it would be far more


def test_an_svg_logo_is_cleaned_in_every_format(tmp_path: Path, trap: CountingServer) -> None:
    logo = tmp_path / "brand" / "logo.svg"
    logo.parent.mkdir()
    logo.write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20"><script>alert("logo")</script>'
        f'<image href="{trap.base_url}/logo-pixel.png" width="4" height="4"/>'
        '<rect id="mark" width="40" height="20" fill="#336699"/></svg>',
        encoding="utf-8",
    )
    source = tmp_path / "doc.md"
    source.write_text("# Logo test\n\nText.\n", encoding="utf-8")
    settings = ExportSettings(output_dir=tmp_path / "out", render=RenderOptions(logo=logo, organization="Org"))

    result = export_document(source, settings)

    assert result.error == ""
    [warning] = [str(item) for item in result.diagnostics if item.code == "cover-logo"]
    assert "logo.svg" in warning and "<script>" in warning and "external link" in warning
    html = (tmp_path / "out" / "doc.html").read_text(encoding="utf-8")
    reporter = Reporter("doc.md")
    print_html = render_html(  # the page WeasyPrint turns into the PDF, where the cover shows the logo
        parse(source.read_text(encoding="utf-8"), "doc.md", reporter),
        ResourceResolver(tmp_path, reporter),
        settings.render,
        for_print=True,
    )
    [logo_uri] = re.findall(r'class="cover-logo" src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)"', print_html)
    cleaned = base64.b64decode(logo_uri)
    assert b'id="mark"' in cleaned and b"<script" not in cleaned and b"<image" not in cleaned
    docx = zipfile.ZipFile(tmp_path / "out" / "doc.docx")
    for name, data in [
        ("html", html.encode("utf-8")),
        ("print html", print_html.encode("utf-8")),
        ("pdf", (tmp_path / "out" / "doc.pdf").read_bytes()),
        *((name, docx.read(name)) for name in docx.namelist()),
    ]:
        for gone in (b"alert(", trap.base_url.encode(), b"logo-pixel"):
            assert gone not in data, (name, gone)
    assert trap.connections == 0


# ---------------------------------------------------------------- the network


@pytest.mark.parametrize(
    "reference",
    ["http://example.com/a.png", "https://example.com/a.png", "//example.com/a.png", "http://10.0.0.1/a.png"],
)
def test_network_references_are_refused_by_default(doc: Path, reference: str, trap: CountingServer) -> None:
    assert "network access is off" in refused(doc, reference, "resource-remote")
    assert trap.connections == 0


@pytest.mark.parametrize("reference", ["ftp://example.com/a.png", "javascript:alert(1)", "smb://server/a.png"])
def test_other_schemes_are_never_loaded(doc: Path, reference: str) -> None:
    assert "URLs are never loaded" in refused(doc, reference, "resource-remote", allow_remote=True)


def test_allow_remote_still_refuses_private_addresses(doc: Path, trap: CountingServer) -> None:
    port = trap.server_address[1]
    for reference in (
        f"{trap.base_url}/x.png",
        f"http://localhost:{port}/x.png",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/x.png",
        f"http://[::1]:{port}/x.png",
        "http://0.0.0.0/x.png",
        "http://2130706433/x.png",  # 127.0.0.1 as one number
        f"http://[::ffff:127.0.0.1]:{port}/x.png",
    ):
        refused(doc, reference, "resource-private-address", allow_remote=True)
    assert trap.connections == 0


def test_malformed_urls_are_refused(doc: Path) -> None:
    refused(doc, "http://[::1/x.png", "resource-invalid", allow_remote=True)
    refused(doc, "http://example.com:99999/x.png", "resource-fetch", allow_remote=True)
    refused(doc, "x.png\x00.txt", "resource-invalid")


def test_public_addresses() -> None:
    assert is_public_address("93.184.215.14") and is_public_address("2606:4700::1111")
    for address in ("127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0"):
        assert not is_public_address(address), address
    for address in ("::1", "fe80::1", "fc00::1", "ff02::1", "::", "::ffff:10.0.0.1", "2002:7f00:1::", "64:ff9b::a00:1"):
        assert not is_public_address(address), address


@pytest.fixture
def pretend_public(monkeypatch: pytest.MonkeyPatch, trap: CountingServer) -> Iterator[CountingServer]:
    """A server on 127.0.0.2 that the resolver is told is public; it serves images and redirects."""
    monkeypatch.setattr(exporter.safety.remote, "is_public_address", lambda address: address == "127.0.0.2")

    def image(handler: http.server.BaseHTTPRequestHandler, content_type: str = "image/png") -> None:
        body = png_bytes()
        handler.send_response(200)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    def redirect(target: str) -> Callable[[http.server.BaseHTTPRequestHandler], None]:
        def send(handler: http.server.BaseHTTPRequestHandler) -> None:
            handler.send_response(302)
            handler.send_header("Location", target)
            handler.send_header("Content-Length", "0")
            handler.end_headers()

        return send

    routes: dict[str, Callable[[http.server.BaseHTTPRequestHandler], None]] = {
        "/a.png": image,
        "/page": lambda handler: image(handler, "text/html"),
        "/to-trap": redirect(f"{trap.base_url}/x.png"),
        "/to-file": redirect("file:///etc/passwd"),
        "/loop": redirect("/loop"),
    }
    routes["/hop"] = redirect("/a.png")
    yield from _serve("127.0.0.2", routes)


def test_allow_remote_fetches_public_images_and_checks_every_redirect(
    doc: Path, pretend_public: CountingServer, trap: CountingServer
) -> None:
    base = pretend_public.base_url
    resolver, reporter = resolver_in(doc, allow_remote=True)
    resource = resolver.load(f"{base}/a.png", 1)
    assert resource is not None and resource.data == png_bytes()
    assert f"{base}/a.png" in resolver.dependencies  # so the build cache never trusts a stale download
    assert resolver.load(f"{base}/hop", 2) is not None
    assert reporter.diagnostics == []
    assert "redirected to" in refused(doc, f"{base}/to-trap", "resource-private-address", allow_remote=True)
    refused(doc, f"{base}/to-file", "resource-fetch", allow_remote=True)
    refused(doc, f"{base}/loop", "resource-fetch", allow_remote=True)
    refused(doc, f"{base}/page", "resource-type", allow_remote=True)
    refused(doc, f"{base}/a.png", "resource-too-large", allow_remote=True, limits=Limits(image_bytes=10))
    assert trap.connections == 0


# ---------------------------------------------------------------- WeasyPrint's fetcher


def test_the_pdf_fetcher_goes_through_the_resolver(doc: Path, trap: CountingServer) -> None:
    resolver, reporter = resolver_in(doc)
    fetcher = SandboxFetcher(resolver)
    for url in ("file:///etc/passwd", f"{trap.base_url}/x.png", (doc.parent / "secret.png").as_uri()):
        with pytest.raises(ValueError, match="refused"):
            fetcher.fetch(url)
    assert fetcher.fetch((doc / "ok.png").as_uri()).read() == png_bytes()
    assert fetcher.fetch("data:text/css,p{}").read() == b"p{}"
    assert {item.code for item in reporter.diagnostics} == {"resource-outside", "resource-remote"}
    with pytest.raises(ValueError, match="only inlined data"):
        SandboxFetcher(None).fetch((doc / "ok.png").as_uri())
    assert trap.connections == 0


# ---------------------------------------------------------------- end to end

HOSTILE_DOC = """\
# Hostile document

![climb](../../../../etc/passwd)

<img src="file:///etc/passwd" alt="file url">

![through a link](etc/passwd)

![remote]({server}/remote.png)

![script inside](evil.svg)

![bomb](bomb.png)

![passwd in disguise](fake.png)

Inline ![gone](nope.png) and <img src="{server}/inline.png" alt="inline remote"> in a sentence.
"""


def test_hostile_document_exports_safely_to_every_format(tmp_path: Path, trap: CountingServer) -> None:
    folder = tmp_path / "doc"
    folder.mkdir()
    (folder / "etc").symlink_to("/etc")
    (folder / "evil.svg").write_text(EVIL_SVG, encoding="utf-8")
    (folder / "bomb.png").write_bytes(png_claiming(100_000, 100_000))
    (folder / "fake.png").write_text(Path("/etc/passwd").read_text(encoding="utf-8"), encoding="utf-8")
    source = folder / "doc.md"
    text = HOSTILE_DOC.format(server=trap.base_url)
    source.write_text(text, encoding="utf-8")

    result = export_document(source, ExportSettings(output_dir=tmp_path / "out"))

    assert result.error == ""
    warnings = [str(item) for item in result.diagnostics]
    lines = text.splitlines()
    for reference, code in [
        ("../../../../etc/passwd", "resource-outside"),
        ("file:///etc/passwd", "resource-outside"),
        ("etc/passwd", "resource-outside"),
        (f"{trap.base_url}/remote.png", "resource-remote"),
        ("evil.svg", "resource-unsafe-svg"),
        ("bomb.png", "resource-too-large"),
        ("fake.png", "resource-type"),
        ("nope.png", "resource-missing"),
        (f"{trap.base_url}/inline.png", "resource-remote"),
    ]:
        line = next(
            number
            for number, content in enumerate(lines, 1)
            if f"{reference})" in content or f'"{reference}"' in content
        )
        assert any(f"{source.name}:{line}: warning:" in w and reference in w and code in w for w in warnings), (
            reference,
            warnings,
        )

    html = (tmp_path / "out" / "doc.html").read_text(encoding="utf-8")
    assert "image not available: ../../../../etc/passwd — outside the document&#x27;s folder" in html
    assert "image not available: nope.png — not found" in html
    assert "<script" not in html.lower() and "onload" not in html.lower()

    pdf_path = tmp_path / "out" / "doc.pdf"
    pdf_text = "".join(page.extract_text() or "" for page in PdfReader(pdf_path).pages)
    assert "outside the document" in pdf_text
    docx = zipfile.ZipFile(tmp_path / "out" / "doc.docx")
    docx_parts = {name: docx.read(name) for name in docx.namelist()}
    assert b"outside the document" in docx_parts["word/document.xml"].replace(b"&apos;", b"'")
    for name, data in [
        ("html", html.encode("utf-8")),
        ("pdf", pdf_path.read_bytes()),
        ("pdf text", pdf_text.encode("utf-8")),
        *docx_parts.items(),
    ]:
        assert PASSWD_MARK.encode() not in data, name
    assert trap.connections == 0
