"""`designexport serve`: a local preview of documents as HTML, re-rendered on every change and reloaded in the
browser.

The pages are exported into a private temporary folder and served from a table of URL paths to the files the
last export wrote: no request path is ever turned into a file path, so no other file, `..`, absolute path or
symlink can be reached, and everything else is 404. The live-reload script is added to the response only (the
file on disk keeps its strict Content-Security-Policy); a fresh nonce lets that script, and nothing else, run.
It listens to /__designexport/events (Server-Sent Events) and reloads when its page's version changes.

The server listens on 127.0.0.1 unless --host names another address, and answers only requests addressed to
a loopback name then, so a web page elsewhere can't read the documents through DNS rebinding.
"""

from __future__ import annotations

import functools
import hashlib
import html
import json
import re
import secrets
import socket
import socketserver
import sys
import tempfile
import threading
import urllib.parse
import webbrowser
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import MappingProxyType
from typing import NoReturn

import click

from exporter.cli.commands import ExportRun, export_once
from exporter.cli.destination import STANDARD_STREAM
from exporter.cli.settings import GivenSettings, Place, Settings
from exporter.cli.watch import WatchConsole, keep_exporting
from exporter.run.export import printable

PREFIX = "/__designexport/"  # the server's own endpoints; no exported page can have this path
EVENTS = PREFIX + "events"
VERSION = PREFIX + "version"
LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "::1"})
KEEP_ALIVE_SECONDS = 15.0  # an event stream sends a comment this often, so a closed tab ends its thread
_CSP_META = re.compile(r'<meta http-equiv="Content-Security-Policy" content="(?P<policy>[^"]*)">')
# Reloads the page when the server says its version changed; marks the page once connected. EventSource
# reconnects by itself, so a restarted server reloads the page too.
_RELOAD_SCRIPT = """<script nonce="{nonce}">(function () {{
  var source = new EventSource({events});
  source.onopen = function () {{ document.documentElement.dataset.liveReload = "connected"; }};
  source.onmessage = function (event) {{
    if (event.data !== {version}) {{ source.close(); location.reload(); }}
  }};
}})();</script>"""
_OWN_POLICY = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"


def run_serve(inputs: tuple[Path, ...], host: str, port: int, open_browser: bool, config_path: Path | None) -> NoReturn:
    """Serves the inputs' HTML until Ctrl-C, which exits 0."""
    if any(str(item) == STANDARD_STREAM for item in inputs):
        raise click.UsageError("serve needs files or folders to watch, not standard input")
    with tempfile.TemporaryDirectory(prefix="designexport-serve-") as folder:
        output_dir = Path(folder)
        preview = Preview(output_dir)
        server = _listen(host, port, preview)
        url = _url(host, server.server_address[1])
        command_line = _html_into(output_dir)

        def build(verb: str) -> ExportRun:
            console = functools.partial(WatchConsole, verb=verb, show_outputs=False)
            return export_once(inputs, config_path, command_line, console)

        def rebuilt(run: ExportRun) -> None:
            preview.update(run)
            if preview.exports == 1:
                page = preview.start_page()
                click.echo(f"serving {url}{page} (Ctrl-C stops)")
                if host not in LOOPBACK_NAMES:
                    click.echo(f"warning: listening on {host}: other machines can read these documents", err=True)
                if open_browser:
                    _open(url + page)

        thread = threading.Thread(target=server.serve_forever, name="designexport-serve", daemon=True)
        thread.start()
        try:
            keep_exporting(build, inputs, rebuilt)
        finally:
            preview.close()
            server.shutdown()
            server.server_close()
    click.echo("stopped serving", err=True)
    sys.exit(0)


def _html_into(output_dir: Path) -> GivenSettings:
    """The settings serve puts over the config file's: HTML only, into its own folder; no report, shard or prune."""
    settings = Settings(formats=("html",), output_dir=output_dir)
    names = ("formats", "output_dir", "output_file", "report", "shard", "prune")
    where = {name: Place(flag="serve") for name in names}
    return GivenSettings(settings, MappingProxyType(where))


def _open(url: str) -> None:
    try:
        webbrowser.open(url)
    except webbrowser.Error as error:
        click.echo(printable(f"warning: cannot open a browser: {error}"), err=True)


def _listen(host: str, port: int, preview: Preview) -> PreviewServer:
    """A server bound to `host`:`port`; one that can't be (the port is taken) ends the command with exit 2."""
    server_type = _IPv6PreviewServer if ":" in host else PreviewServer
    try:
        return server_type((host, port), preview, open_host=host not in LOOPBACK_NAMES)
    except (OSError, OverflowError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        click.echo(printable(f"{host}:{port}: error: cannot listen: {reason}; try another --port (0: any)"), err=True)
        sys.exit(2)


class PreviewServer(ThreadingHTTPServer):
    """The preview's HTTP server: a thread per request, so an open event stream holds up nothing else."""

    def __init__(self, address: tuple[str, int], preview: Preview, *, open_host: bool) -> None:
        self.preview = preview
        self.open_host = open_host  # --host named a non-loopback address: any Host header is accepted
        super().__init__(address, PreviewHandler)

    def server_bind(self) -> None:
        """Binds without HTTPServer's reverse DNS lookup of the address, which can take seconds."""
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)

    def handle_error(self, request: object, client_address: object) -> None:
        """A client that went away is no error; anything else is one line, not a traceback."""
        error = sys.exc_info()[1]
        if not isinstance(error, ConnectionError):
            click.echo(printable(f"serve: error: {type(error).__name__}: {error}"), err=True)


class _IPv6PreviewServer(PreviewServer):
    address_family = socket.AF_INET6


def _url(host: str, port: int) -> str:
    shown = {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "::1"}.get(host, host)
    return f"http://{f'[{shown}]' if ':' in shown else shown}:{port}"


# --- what is served --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Page:
    source: str  # the document, as the user names it
    file: Path  # its HTML in the private folder (may not exist yet: the first export failed)
    version: str  # changes whenever what the page shows changes
    error: str = ""  # the last export's error; the page shows the last good HTML with it


class Preview:
    """The pages of the last export, by URL path, shared by the export loop and the server's threads."""

    def __init__(self, output_dir: Path) -> None:
        self.output_dir = output_dir
        self.pages: dict[str, Page] = {}
        self.index_version = ""
        self.exports = 0
        self.closed = False
        self.changed = threading.Condition()

    def update(self, run: ExportRun) -> None:
        """Takes in an export: each document's page, its version, and its error if it failed."""
        entries = run.summary.entries
        errors = {entry.source: entry.error for entry in entries if entry.error}
        # What each page holds: as the export (or the build cache) recorded it; a failed one keeps its last file.
        held = {entry.source: record.sha256 for entry in entries for record in entry.outputs if record.format == "html"}
        pages: dict[str, Page] = {}
        for job in run.jobs:
            target = job.targets["html"]
            path = "/" + target.relative_to(self.output_dir).as_posix()
            digest = held.get(job.name) or hashlib.sha256(_read(target) or b"").hexdigest()
            error = errors.get(job.name, "")
            version = hashlib.sha256(f"{digest}\n{error}".encode()).hexdigest()[:16]
            pages[path] = Page(job.name, target, version, error)
        listing = json.dumps([(path, page.source, bool(page.error)) for path, page in sorted(pages.items())])
        with self.changed:
            self.pages = pages
            self.index_version = hashlib.sha256(listing.encode()).hexdigest()[:16]
            self.exports += 1
            self.changed.notify_all()

    def start_page(self) -> str:
        """The path to open: the document's page for one document, the index for several."""
        return next(iter(self.pages)) if len(self.pages) == 1 else "/"

    def version(self, path: str) -> str | None:
        """The version of the page at `path` ("/": the index), or None when there is no such page."""
        with self.changed:
            if path == "/":
                return self.index_version
            page = self.pages.get(path)
            return page.version if page else None

    def wait(self, path: str, seen: str | None, seconds: float) -> str | None:
        """The page's version once it is not `seen`, or after `seconds`; None once the server stops."""
        with self.changed:
            self.changed.wait_for(lambda: self.closed or self.version(path) != seen, timeout=seconds)
            return None if self.closed else self.version(path)

    def close(self) -> None:
        with self.changed:
            self.closed = True
            self.changed.notify_all()


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


class PreviewHandler(BaseHTTPRequestHandler):
    """GET and HEAD of the pages, the index and the reload endpoints; 404 for every other path."""

    server: PreviewServer
    server_version = "designexport"

    def version_string(self) -> str:
        return self.server_version

    def do_GET(self) -> None:
        self._answer(with_body=True)

    def do_HEAD(self) -> None:
        self._answer(with_body=False)

    def log_message(self, format: str, *args: object) -> None:
        """Requests are not logged: the terminal is for the rebuilds' status lines."""

    def _answer(self, *, with_body: bool) -> None:
        if not self.server.open_host and not _loopback_host(self.headers.get("Host", "")):
            self._send(HTTPStatus.FORBIDDEN, b"requests must name this machine (127.0.0.1 or localhost)\n", with_body)
            return
        split = urllib.parse.urlsplit(self.path)
        path = urllib.parse.unquote(split.path)
        wanted = urllib.parse.parse_qs(split.query).get("page", [""])[0]
        if path == EVENTS:
            self._events(wanted, with_body)
        elif path == VERSION and (version := self.server.preview.version(wanted)) is not None:
            self._send(HTTPStatus.OK, f"{version}\n".encode(), with_body)
        elif path == "/" and len(self.server.preview.pages) == 1:
            self.send_response(HTTPStatus.FOUND)
            self.send_header("Location", self.server.preview.start_page())
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif path == "/":
            self._page(_index_page(self.server.preview), path, with_body)
        elif (page := self.server.preview.pages.get(path)) is not None:
            self._page(_document_page(page), path, with_body)
        else:
            self._send(HTTPStatus.NOT_FOUND, b"not found\n", with_body)

    def _page(self, shown: tuple[str, str], path: str, with_body: bool) -> None:
        """An HTML page with the reload script added, and a policy that lets only that script run."""
        text, version = shown
        nonce = secrets.token_urlsafe(18)
        text, policy = with_reload_script(text, nonce, path, version)
        self._send(HTTPStatus.OK, text.encode("utf-8"), with_body, "text/html; charset=utf-8", policy)

    def _events(self, path: str, with_body: bool) -> None:
        """Server-Sent Events: the page's version now and whenever it changes, until the client goes."""
        if self.server.preview.version(path) is None:
            self._send(HTTPStatus.NOT_FOUND, b"no such page\n", with_body)
            return
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if not with_body:
            return
        seen: str | None = None
        try:
            while (version := self.server.preview.wait(path, seen, KEEP_ALIVE_SECONDS)) is not None:
                self.wfile.write(f"data: {version}\n\n".encode() if version != seen else b": still here\n\n")
                self.wfile.flush()
                seen = version
        except (BrokenPipeError, ConnectionResetError):
            return  # the tab was closed or reloaded

    def _send(
        self,
        status: HTTPStatus,
        body: bytes,
        with_body: bool,
        kind: str = "text/plain; charset=utf-8",
        policy: str = "",
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("Content-Security-Policy", policy or "default-src 'none'")
        self.end_headers()
        if with_body:
            self.wfile.write(body)


def _loopback_host(header: str) -> bool:
    """True when a Host header names this machine: 127.0.0.1, localhost or [::1], with any port."""
    name = header.rsplit(":", 1)[0] if not header.endswith("]") else header
    return name.strip("[]").lower() in LOOPBACK_NAMES


def _document_page(page: Page) -> tuple[str, str]:
    """The page's last good HTML (or a stand-in while it has none), with its last error on top."""
    data = _read(page.file)
    if data is None:
        text = _own_page(page.source, f"<p>{html.escape(page.source)} has not been exported yet.</p>")
    else:
        text = data.decode("utf-8", errors="replace")
    if page.error:
        text = _before_body_end(text, _error_banner(page.error))
    return text, page.version


def _index_page(preview: Preview) -> tuple[str, str]:
    items = "\n".join(
        f'<li><a href="{html.escape(urllib.parse.quote(path))}">{html.escape(page.source)}</a>'
        f"{' (failed: see the terminal)' if page.error else ''}</li>"
        for path, page in sorted(preview.pages.items())
    )
    return _own_page("Documents", f"<h1>Documents</h1>\n<ul>\n{items}\n</ul>"), preview.index_version


def _own_page(title: str, body: str) -> str:
    """A page of the server's own (the index, a stand-in), as strict as an exported one: no script, no network."""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{_OWN_POLICY}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n"
        "<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem}</style>\n"
        f"</head><body>\n{body}\n</body></html>\n"
    )


def _error_banner(error: str) -> str:
    style = (
        "position:fixed;top:0;left:0;right:0;z-index:2147483647;margin:0;padding:.5rem 1rem;"
        "background:#b00020;color:#fff;font:14px/1.4 monospace;white-space:pre-wrap"
    )
    return f'<p role="alert" style="{style}">{html.escape(error)}</p>'


def with_reload_script(text: str, nonce: str, path: str, version: str) -> tuple[str, str]:
    """The page with the live-reload script, and its Content-Security-Policy widened by exactly what that script
    needs: to run (by its nonce) and to open the event stream. A page without our policy is left as it is."""
    found = _CSP_META.search(text)
    if found is None:
        return text, ""
    policy = f"{found['policy']}; script-src 'nonce-{nonce}'; connect-src 'self'"
    meta = f'<meta http-equiv="Content-Security-Policy" content="{policy}">'
    text = text[: found.start()] + meta + text[found.end() :]
    events = json.dumps(f"{EVENTS}?page={urllib.parse.quote(path)}").replace("<", "\\u003c")
    script = _RELOAD_SCRIPT.format(nonce=nonce, events=events, version=json.dumps(version))
    return _before_body_end(text, script), policy


def _before_body_end(text: str, addition: str) -> str:
    end = text.rfind("</body>")
    return text + addition if end < 0 else text[:end] + addition + "\n" + text[end:]
