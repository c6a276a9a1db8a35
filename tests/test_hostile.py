"""Hostile documents: each one exported by the batch CLI, with the outcome a careful user expects.

Nothing may leak: no /etc/passwd content in any output, no executable script in any HTML, and a
local HTTP server the documents point at receives no request at all.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import re
import struct
import subprocess
import sys
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pypdf
import pytest

from tests.libreoffice import convert_to_pdf
from tests.loopback import CountingServer

PASSWD_MARKER = "root:x:0:0"
# A CI secret in the exporting process's environment: /proc/self/environ would hold it.
SECRET_VARIABLE, SECRET_VALUE = "DESIGNEXPORT_TEST_SECRET", "s3cret-token-5c1f0e"
DOC_HEAD = "# Hostile Technical Design\n\n**Status:** Draft\n\n## Overview\n\n"


@dataclass(frozen=True)
class Case:
    name: str
    write: Callable[[Path, str], str]  # (folder, server URL) -> the Markdown; writes any files it needs
    status: str  # "exported" or "failed"
    expect: str  # a warning code (exported) or a piece of the error (failed)


def text_doc(body: str) -> Callable[[Path, str], str]:
    return lambda _folder, url: DOC_HEAD + body.replace("{URL}", url) + "\n"


def png_header(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height; decoding it would need width*height*3 bytes."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


def with_files(body: str, files: dict[str, bytes]) -> Callable[[Path, str], str]:
    def write(folder: Path, url: str) -> str:
        for name, data in files.items():
            (folder / name).write_bytes(data.replace(b"{URL}", url.encode()))
        return DOC_HEAD + body.replace("{URL}", url) + "\n"

    return write


def symlink_to_etc(folder: Path, _url: str) -> str:
    (folder / "system").symlink_to("/etc")
    return DOC_HEAD + "![secrets](system/passwd)\n"


SVG_SCRIPT = b"""<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"
 width="40" height="20" onload="alert(1)"><script>alert(2)</script>
<foreignObject><iframe src="{URL}/frame"/></foreignObject>
<image xlink:href="{URL}/tracker.png" width="10" height="10"/><rect width="40" height="20" fill="teal"/></svg>"""
SVG_LAUGHS = b"""<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]><svg xmlns="http://www.w3.org/2000/svg"><text>&lol3;</text></svg>"""
BIG_DATA_URL = "data:image/png;base64," + "A" * (8 * 1024 * 1024)  # 6 MiB decoded; the limit is 5


def lines(count: int, line: str) -> str:
    return "\n".join([line] * count)


CASES: list[Case] = [
    Case("dotdot-passwd", text_doc("![x](../../../../etc/passwd)"), "exported", "resource-outside"),
    Case("file-url-passwd", text_doc('<img src="file:///etc/passwd">'), "exported", "resource-outside"),
    Case("absolute-passwd", text_doc("![x](/etc/passwd)"), "exported", "resource-outside"),
    Case("symlink-to-etc", symlink_to_etc, "exported", "resource-outside"),
    Case("remote-image", text_doc("![r]({URL}/remote.png)"), "exported", "resource-remote"),
    Case("remote-raw-image", text_doc('<img src="{URL}/raw.png" alt="r">'), "exported", "resource-remote"),
    Case("link-stylesheet", text_doc('<link rel="stylesheet" href="{URL}/style.css">\n\nText.'), "exported", ""),
    Case("style-url", text_doc('<div style="background:url({URL}/bg.png)">Styled</div>'), "exported", ""),
    Case("style-import", text_doc("<style>@import url({URL}/import.css);</style>\n\nText."), "exported", "raw-html"),
    Case("script", text_doc("<script>alert(document.cookie)</script>\n\nText."), "exported", "raw-html"),
    Case("onerror", text_doc('<img src="missing.png" onerror="alert(1)">'), "exported", "resource-missing"),
    Case("javascript-link", text_doc("[click](javascript:alert(1)) and [v](vbscript:msgbox)"), "exported", ""),
    Case(
        "javascript-raw-link",
        text_doc('<a href="javascript:alert(1)">click</a> <a href=" JaVaScRiPt:x">y</a>'),
        "exported",
        "",
    ),
    Case("data-html-link", text_doc("[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)"), "exported", ""),
    Case(
        "frames-and-forms",
        text_doc(
            '<iframe src="{URL}/frame"></iframe>\n\n<object data="{URL}/obj"></object>\n\n<embed src="{URL}/e">\n\n'
            '<form action="{URL}/steal"><input name="p"></form>\n\n<meta http-equiv="refresh" content="0;url={URL}/r">'
        ),
        "exported",
        "raw-html",
    ),
    Case("svg-with-script", with_files("![s](evil.svg)", {"evil.svg": SVG_SCRIPT}), "exported", ""),
    Case(
        "svg-entity-bomb", with_files("![s](laughs.svg)", {"laughs.svg": SVG_LAUGHS}), "exported", "resource-unsafe-svg"
    ),
    Case(
        "png-bomb",
        with_files("![b](bomb.png)", {"bomb.png": png_header(100_000, 100_000)}),
        "exported",
        "resource-too-large",
    ),
    Case("huge-data-url", text_doc(f"![d]({BIG_DATA_URL})"), "exported", "resource-too-large"),
    Case("list-10000-deep", text_doc("- " * 10_000 + "bottom"), "failed", "nested too deeply"),
    Case("quote-10000-deep", text_doc(">" * 10_000 + " bottom"), "failed", "nested too deeply"),
    Case(
        "table-1000-columns",
        text_doc("|" + "c|" * 1000 + "\n|" + "-|" * 1000 + "\n|" + "v|" * 1000),
        "failed",
        "1000 columns",
    ),
    Case(
        "table-60000-cells",
        text_doc("|a|b|c|d|e|f|\n|-|-|-|-|-|-|\n" + lines(10_000, "|1|2|3|4|5|6|")),
        "failed",
        "cells",
    ),
    Case(
        "footnote-flood",
        text_doc(" ".join(f"[^{i}]" for i in range(6000)) + "\n\n" + "\n".join(f"[^{i}]: n" for i in range(6000))),
        "failed",
        "footnotes",
    ),
    Case(
        "giant-diagram", text_doc("```\n" + lines(2500, "┌──┐ │ ▶ └──┘") + "\n```"), "failed", "diagram is 2500 lines"
    ),
    Case(
        "control-characters",
        text_doc("Bell\x07 and NUL\x00 and escape\x1b[31m in text.\n\nMore\x0b."),
        "exported",
        "control-character",
    ),
    Case(
        "metadata-injection",
        lambda _f, _u: (
            '# Title </title><script>alert(1)</script> & "quotes" ]]>\n\n**Status:** <img src=x onerror=alert(1)>\n'
            "**Requirement:** A&B <b>\n\n## H <script>x</script>\n\nBody.\n"
        ),
        "exported",
        "",
    ),
]


def _write_special(folder: Path) -> dict[str, tuple[str, str]]:
    """Cases that are files rather than Markdown text; returns name -> (status, expected)."""
    (folder / "fifty-megabyte-line.md").write_bytes(b"# Big\n\n" + b"x" * (50 * 1024 * 1024))
    (folder / "invalid-utf8.md").write_bytes(DOC_HEAD.encode() + b"caf\xe9 \xff\xfe\n")
    (folder / "utf16-bom.md").write_bytes((DOC_HEAD + "Unicode text: caf\u00e9 \u65e5\u672c\n").encode("utf-16"))
    # Documents that are not what their name says: committed links to secrets, and a FIFO.
    (folder / "environment.md").symlink_to("/proc/self/environ")
    (folder / "passwd-link.md").symlink_to("/etc/passwd")
    os.mkfifo(folder / "pipe.md")
    return {
        "fifty-megabyte-line.md": ("failed", "over the 20971520-byte limit"),
        "invalid-utf8.md": ("failed", "not valid UTF-8"),
        "utf16-bom.md": ("exported", "encoding"),
        "environment.md": ("skipped", "special-file"),
        "passwd-link.md": ("skipped", "symlink-outside"),
        "pipe.md": ("skipped", "special-file"),
    }


@contextlib.contextmanager
def counting_server() -> Iterator[tuple[str, list[str]]]:
    """A loopback HTTP server that serves a PNG and records every request path; its URL and that list."""
    with CountingServer(png_header(1, 1), "image/png") as server:
        yield server.url, server.requests


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, list[str]]]:
    with counting_server() as running:
        yield running


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory: pytest.TempPathFactory, server: tuple[str, list[str]]) -> dict[str, Any]:
    url, _ = server
    base = tmp_path_factory.mktemp("hostile")
    docs = base / "docs"
    docs.mkdir()
    expected: dict[str, tuple[str, str]] = {}
    for case in CASES:
        folder = docs / case.name  # each in its own folder: its images are its own
        folder.mkdir()
        (folder / f"{case.name}.md").write_text(case.write(folder, url), encoding="utf-8")
        expected[f"{case.name}.md"] = (case.status, case.expect)
    expected.update(_write_special(docs))
    out = base / "out"
    completed = subprocess.run(
        [sys.executable, "-m", "exporter", str(docs), "-o", str(out), "-j", "2", "--report", str(base / "report.json")],
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
        env={**os.environ, "XDG_CACHE_HOME": str(base / "cache"), SECRET_VARIABLE: SECRET_VALUE},
        stdin=subprocess.DEVNULL,
    )
    report = json.loads((base / "report.json").read_text(encoding="utf-8"))
    return {"completed": completed, "report": report, "expected": expected, "out": out, "docs": docs}


def test_the_corpus_is_big_enough() -> None:
    assert len(CASES) + 3 >= 25


def test_every_hostile_document_gets_its_expected_outcome(hostile_run: dict[str, Any]) -> None:
    completed = hostile_run["completed"]
    assert completed.returncode == 1  # some must fail; none may take the batch down
    assert "Traceback" not in completed.stderr
    entries = {Path(entry["source"]).name: entry for entry in hostile_run["report"]["documents"]}
    assert set(entries) == set(hostile_run["expected"])
    for name, (status, expect) in hostile_run["expected"].items():
        entry = entries[name]
        assert entry["status"] == status, (name, entry["error"])
        if status == "failed":
            assert expect in entry["error"], (name, entry["error"])
            assert entry["error"].count("\n") == 0 and name in entry["error"]
            assert not entry["outputs"]
        elif expect:
            codes = {item["code"] for item in entry["diagnostics"]}
            assert expect in codes, (name, codes)


def test_refusals_name_the_file_line_and_reference(hostile_run: dict[str, Any]) -> None:
    stderr = hostile_run["completed"].stderr
    assert re.search(r"dotdot-passwd\.md:7: warning: .*'\.\./\.\./\.\./\.\./etc/passwd'", stderr), stderr
    assert re.search(r"remote-image\.md:7: warning: .*127\.0\.0\.1", stderr)
    assert re.search(r"control-characters\.md:7: warning: removed control character\(s\) U\+0000, U\+0007", stderr)


def test_no_output_leaks_local_files(hostile_run: dict[str, Any]) -> None:
    secrets = (PASSWD_MARKER, SECRET_VALUE)
    for path in hostile_run["out"].rglob("*.*"):
        if not path.is_file():
            continue
        data = path.read_bytes()
        assert not any(secret.encode() in data for secret in secrets), path
        if path.suffix == ".docx":
            with zipfile.ZipFile(path) as package:
                for member in package.namelist():
                    content = package.read(member)
                    assert not any(secret.encode() in content for secret in secrets), (path, member)
        if path.suffix == ".pdf":
            text = "".join(page.extract_text() or "" for page in pypdf.PdfReader(path).pages)
            assert not any(secret in text for secret in secrets), path
    assert not (hostile_run["out"] / "environment.html").exists()
    assert not (hostile_run["out"] / "passwd-link.html").exists()


def test_refused_documents_are_named_in_the_log_and_the_report(hostile_run: dict[str, Any]) -> None:
    stderr = hostile_run["completed"].stderr
    assert re.search(
        r"passwd-link\.md: warning: skipped: it is a symlink to /etc/passwd, outside .*--follow-symlinks", stderr
    )
    assert re.search(r"environment\.md: warning: skipped: it is a link to /proc/\S+, which is never read", stderr)
    summary = hostile_run["report"]["summary"]
    assert summary["skipped"] == 3
    assert summary["documents"] == summary["exported"] + summary["skipped"] + summary["failed"]


class _ActiveContent(HTMLParser):
    """Collects anything in an HTML page that could run, load or send something."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"script", "iframe", "object", "embed", "form", "input", "link", "base", "frame"}:
            self.found.append(f"<{tag}>")
        values = {name: value or "" for name, value in attrs}
        if tag == "meta" and values.get("http-equiv", "").lower() not in ("", "content-security-policy"):
            self.found.append(f"meta http-equiv={values['http-equiv']}")
        for name, value in values.items():
            compact = re.sub(r"\s", "", value).lower()
            if name.startswith("on"):
                self.found.append(f"{tag} {name}=")
            if (
                name in {"href", "src", "action", "xlink:href"}
                and compact.startswith(("javascript:", "vbscript:", "data:text", "http:", "file:"))
                and not (name == "href" and compact.startswith("http:") and tag == "a")
            ):
                self.found.append(f"{tag} {name}={value[:40]}")
            if name == "style" and "url(" in compact:
                self.found.append(f"{tag} style with url()")


def test_no_html_output_can_run_script_or_load_anything(hostile_run: dict[str, Any]) -> None:
    pages = list(hostile_run["out"].rglob("*.html"))
    assert len(pages) >= 20
    for page in pages:
        text = page.read_text(encoding="utf-8")
        checker = _ActiveContent()
        checker.feed(text)
        assert checker.found == [], (page.name, checker.found)
        assert "default-src 'none'" in text  # the Content-Security-Policy
        for uri in re.findall(r"data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)", text):
            svg = base64.b64decode(uri).decode("utf-8", "replace").lower()
            assert "<script" not in svg and "onload" not in svg and "foreignobject" not in svg, page.name


def test_the_local_server_received_no_request(hostile_run: dict[str, Any], server: tuple[str, list[str]]) -> None:
    assert hostile_run["report"]["summary"]["documents"] >= 25
    assert server[1] == []


def test_allow_remote_still_refuses_loopback(tmp_path: Path, server: tuple[str, list[str]]) -> None:
    url, requests = server
    (tmp_path / "doc.md").write_text(DOC_HEAD + f"![r]({url}/img.png)\n", encoding="utf-8")
    completed = subprocess.run(
        [sys.executable, "-m", "exporter", str(tmp_path / "doc.md"), "--html", "--allow-remote"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr
    assert "doc.md:7: warning:" in completed.stderr and "127.0.0.1" in completed.stderr
    assert requests == []


def test_utf16_document_keeps_its_text(hostile_run: dict[str, Any]) -> None:
    page = (hostile_run["out"] / "utf16-bom.html").read_text(encoding="utf-8")
    assert "Unicode text: caf\u00e9 \u65e5\u672c" in page


def test_metadata_is_escaped_in_every_format(hostile_run: dict[str, Any]) -> None:
    out = hostile_run["out"] / "metadata-injection"
    page = (out / "metadata-injection.html").read_text(encoding="utf-8")
    assert "<script>alert" not in page
    assert "&lt;/title&gt;" in page or "/title" not in page.split("<title>")[1].split("</title>")[0]
    reader = pypdf.PdfReader(out / "metadata-injection.pdf")
    assert "]]>" in str(reader.metadata.get("/Title", "")) if reader.metadata else True
    with zipfile.ZipFile(out / "metadata-injection.docx") as package:
        core = package.read("docProps/core.xml").decode("utf-8")
    assert "<script>" not in core and "</title>" not in core.split("<dc:title>")[1]
    assert "<dc:title>Title  &amp; \u201cquotes\u201d ]]&gt;</dc:title>" in core


def test_outputs_never_leave_the_output_folder(tmp_path: Path) -> None:
    docs, out, elsewhere = tmp_path / "docs", tmp_path / "out", tmp_path / "elsewhere"
    (docs / "team").mkdir(parents=True)
    (docs / "team" / "doc.md").write_text(DOC_HEAD, encoding="utf-8")
    out.mkdir()
    elsewhere.mkdir()
    (out / "team").symlink_to(elsewhere)  # a planted link inside the output folder
    completed = subprocess.run(
        [sys.executable, "-m", "exporter", str(docs), "-o", str(out), "--html"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert completed.returncode == 2 and "would land outside" in completed.stderr
    assert list(elsewhere.iterdir()) == []


def test_new_files_get_the_usual_umask_mode(tmp_path: Path) -> None:
    (tmp_path / "doc.md").write_text(DOC_HEAD, encoding="utf-8")
    completed = subprocess.run(
        ["sh", "-c", f"umask 027 && {sys.executable} -m exporter {tmp_path / 'doc.md'} --html"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr
    assert (tmp_path / "doc.html").stat().st_mode & 0o777 == 0o640


def test_a_failed_export_leaves_the_previous_output_intact(tmp_path: Path) -> None:
    doc = tmp_path / "doc.md"
    doc.write_text(DOC_HEAD + "Good.\n", encoding="utf-8")
    run = [sys.executable, "-m", "exporter", str(doc), "-q"]
    assert subprocess.run(run, check=False, timeout=120).returncode == 0
    before = {fmt: (tmp_path / f"doc.{fmt}").read_bytes() for fmt in ("html", "pdf", "docx")}
    doc.write_text(DOC_HEAD + "> " * 5000 + "too deep\n", encoding="utf-8")
    completed = subprocess.run(run, capture_output=True, text=True, check=False, timeout=120)
    assert completed.returncode == 1 and "nested too deeply" in completed.stderr
    assert {fmt: (tmp_path / f"doc.{fmt}").read_bytes() for fmt in ("html", "pdf", "docx")} == before
    assert sorted(path.name for path in tmp_path.iterdir()) == ["doc.docx", "doc.html", "doc.md", "doc.pdf"]


def test_a_fifo_input_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.md"
    os.mkfifo(fifo)
    completed = subprocess.run(
        [sys.executable, "-m", "exporter", str(fifo), "--html"], capture_output=True, text=True, check=False, timeout=60
    )
    assert completed.returncode == 1 and "pipe.md: error: is not a regular file" in completed.stderr


def test_limits_are_configurable_from_the_command_line_and_the_config(tmp_path: Path) -> None:
    doc = tmp_path / "doc.md"
    doc.write_text(
        DOC_HEAD + "|a|b|c|\n|-|-|-|\n|1|2|3|\n\nNote[^1] and[^2].\n\n[^1]: one\n[^2]: two\n", encoding="utf-8"
    )

    def export(*extra: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "exporter", str(doc), "--html", "--force", *extra]
        return subprocess.run(command, capture_output=True, text=True, check=False, timeout=120)

    assert export().returncode == 0
    footnotes = export("--limit", "footnotes=1")
    assert footnotes.returncode == 1
    assert "doc.md:14: error: more than 1 footnotes (--limit footnotes=N)" in footnotes.stderr
    bad = export("--limit", "tabel-cells=5")
    assert bad.returncode == 2 and "unknown limit 'tabel-cells'" in bad.stderr

    (tmp_path / "designexport.toml").write_text("[limits]\ntable-cells = 4\n", encoding="utf-8")
    cells = export()
    assert cells.returncode == 1 and "doc.md:7: error: table has 6 cells, over the 4-cell limit" in cells.stderr
    assert export("--limit", "table-cells=6").returncode == 0  # the flag overrides the file


# ---------------------------------------------------------------- the files around the document


def hostile_theme(url: str) -> str:
    """Every way a theme was seen to load, break out or hide the watermark."""
    return f"""@import "{url}/import.css";
@import url({url}/import2.css);
:root {{ --color-accent: #aa3300; --font-heading: "Noto Sans\\"><v:imagedata src=\\"{url}/vml.png\\"/>"; }}
body {{ background: url("{url}/bg.png"); /* data: only looks allowed */ }}
@font-face {{ font-family: Trap; src: url({url}/font.woff2); }}
.watermark {{ display: none; }}
body::after {{ content: "APPROVED"; }}
h1 {{ color: #aa3300; }}
</style><script>fetch("{url}/script")</script><meta http-equiv="refresh" content="0;url={url}/refresh">
"""


def hostile_logo(url: str) -> str:
    return f"""<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"
 xmlns:html="http://www.w3.org/1999/xhtml" width="80" height="20">
<style>@import url({url}/logo-style.css); rect {{ fill: url({url}/fill.svg#p); }}</style>
<html:iframe src="{url}/logo-frame"/><image xlink:href="{url}/logo.png" width="10" height="10"/>
<script>fetch("{url}/logo-script")</script><rect width="80" height="20" fill="teal"/></svg>"""


def hostile_reference_docx(path: Path, url: str) -> None:
    """Our own reference DOCX with an external template, an external image, an altChunk and a macro part."""
    source = Path(__file__).resolve().parents[1] / "styles" / "reference.docx"
    relationships = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for item in original.infolist():
            data = original.read(item.filename)
            if item.filename == "word/settings.xml":
                data = data.replace(b"<w:zoom", b'<w:attachedTemplate r:id="rIdTrap"/><w:zoom', 1)
                if b"xmlns:r=" not in data.split(b">", 2)[1]:
                    data = data.replace(b"<w:settings ", f'<w:settings xmlns:r="{relationships}" '.encode(), 1)
            if item.filename == "word/_rels/document.xml.rels":
                data = data.replace(
                    b"</Relationships>",
                    f'<Relationship Id="rIdImg" Type="{relationships}/image" Target="{url}/rel-image.png" '
                    f'TargetMode="External"/><Relationship Id="rIdChunk" Type="{relationships}/aFChunk" '
                    f'Target="chunk.html"/><Relationship Id="rIdVba" '
                    f'Type="http://schemas.microsoft.com/office/2006/relationships/vbaProject" '
                    f'Target="vbaProject.bin"/></Relationships>'.encode(),
                )
            target.writestr(item, data)
        target.writestr(
            "word/_rels/settings.xml.rels",
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            f'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rIdTrap" Type="{relationships}/attachedTemplate" Target="{url}/template.dotm" '
            f'TargetMode="External"/></Relationships>',
        )
        target.writestr("word/chunk.html", f'<html><body><img src="{url}/chunk.png"></body></html>')
        target.writestr("word/vbaProject.bin", b"\xd0\xcf\x11\xe0 not really a macro")


@pytest.mark.xdist_group("libreoffice")
def test_hostile_theme_logo_and_reference_docx_reach_nothing(tmp_path: Path) -> None:
    """The theme, logo and reference DOCX are committed by the same authors as the documents: the
    outputs they shape make no request when the HTML is opened in Chromium and the DOCX in LibreOffice,
    keep the DRAFT watermark, and carry no external, macro or altChunk part."""
    from tests.browser import chromium

    with counting_server() as (url, requests):
        (tmp_path / "doc.md").write_text(DOC_HEAD + "Body text.\n", encoding="utf-8")
        (tmp_path / "brand.css").write_text(hostile_theme(url), encoding="utf-8")
        (tmp_path / "logo.svg").write_text(hostile_logo(url), encoding="utf-8")
        hostile_reference_docx(tmp_path / "corporate.docx", url)
        command = [sys.executable, "-m", "exporter", "doc.md", "-o", "out", "--theme", "brand.css"]
        command += ["--logo", "logo.svg", "--reference-docx", "corporate.docx"]
        completed = subprocess.run(
            command, cwd=tmp_path, capture_output=True, text=True, check=False, timeout=300, stdin=subprocess.DEVNULL
        )
        assert completed.returncode == 0, completed.stderr
        assert "Traceback" not in completed.stderr
        assert "[theme-dropped]" in completed.stderr  # what the theme lost is said, with its line
        out = tmp_path / "out"
        page = (out / "doc.html").read_text(encoding="utf-8")
        checker = _ActiveContent()
        checker.feed(page)
        assert checker.found == []
        # The heading font's odd name may stay a CSS string, inert; nothing that loads may stay.
        assert "@import" not in page and "APPROVED" not in page and '<meta http-equiv="refresh' not in page
        assert not any(f"{url}/{name}" in page for name in ("import.css", "bg.png", "font.woff2", "script"))
        pdf_text = "".join(page.extract_text() or "" for page in pypdf.PdfReader(out / "doc.pdf").pages)
        assert "DRAFT" in pdf_text and "APPROVED" not in pdf_text
        with zipfile.ZipFile(out / "doc.docx") as package:
            names = package.namelist()
            assert not any(name.endswith((".bin", ".html", ".dotm")) for name in names), names
            for name in names:
                content = package.read(name)
                assert b"imagedata" not in content and b"rel-image" not in content and b"template" not in content, name
                assert b'TargetMode="External"' not in content or b"hyperlink" in content, name
        # Open both as a reader would: Chromium renders the page, LibreOffice the Word file.
        subprocess.run(
            [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=5000",
             "--dump-dom", (out / "doc.html").as_uri()],
            capture_output=True, timeout=120, check=False, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        convert_to_pdf([out / "doc.docx"], tmp_path / "lo", timeout=180)
        assert (tmp_path / "lo" / "doc.pdf").is_file()
    assert requests == []
