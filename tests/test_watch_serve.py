"""The authoring loop, driven for real: `--watch` re-exports on every change, `serve` previews and reloads.

Each test runs the CLI as a user would, edits files and polls for the effect with a generous deadline; no
test asserts how long anything took.
"""

from __future__ import annotations

import fcntl
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from PIL import Image

from exporter.cli.watch import stop_requests
from tests.cli_run import interruptible_cli
from tests.test_interrupts import reported_exceptions, signalled_from_a_finalizer

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="sends POSIX signals and reads sockets from /proc"
)

WAIT_SECONDS = 60.0  # bounds every poll; a pass on a loaded machine never comes near it


class Running:
    """The CLI running in the background, its output gathered line by line as it comes."""

    def __init__(self, folder: Path, *arguments: str) -> None:
        # serve's private folder, where the test can see it, and the build cache: in the test's own folder
        environment = {**os.environ, "TMPDIR": str(folder / "tmp"), "XDG_CACHE_HOME": str(folder / "tmp" / "cache")}
        (folder / "tmp").mkdir(exist_ok=True)
        self.process = subprocess.Popen(
            interruptible_cli(*arguments),
            cwd=folder, env=environment, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        self.readers = [
            threading.Thread(target=self._gather, args=(stream, lines), daemon=True)
            for stream, lines in ((self.process.stdout, self.stdout), (self.process.stderr, self.stderr))
        ]
        for reader in self.readers:
            reader.start()

    @staticmethod
    def _gather(stream: object, lines: list[str]) -> None:
        assert hasattr(stream, "readline")
        for line in iter(stream.readline, ""):
            lines.append(line.rstrip("\n"))

    def wait_for_line(self, pattern: str, start: int = 0, stream: str = "stdout") -> re.Match[str]:
        """The first line of `stream` from `start` on that matches `pattern`; the process must stay alive meanwhile."""
        found: list[re.Match[str]] = []
        lines = self.stdout if stream == "stdout" else self.stderr

        def seen() -> bool:
            found.extend(match for line in lines[start:] if (match := re.search(pattern, line)))
            return bool(found)

        wait_for(seen, f"a line matching {pattern!r}", self)
        return found[0]

    def status_lines(self) -> list[str]:
        return [line for line in self.stdout if re.match(r"\d\d:\d\d:\d\d ", line)]

    def stop(self) -> int:
        """Ctrl-C, as a user stops it; its exit status."""
        self.process.send_signal(signal.SIGINT)
        status = self.process.wait(timeout=WAIT_SECONDS)
        for reader in self.readers:
            reader.join(timeout=WAIT_SECONDS)
        return status

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@contextmanager
def running(folder: Path, *arguments: str) -> Iterator[Running]:
    process = Running(folder, *arguments)
    try:
        yield process
    finally:
        process.kill()


def wait_for(condition: Callable[[], bool], what: str, process: Running | None = None) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        if process is not None and process.process.poll() is not None:
            pytest.fail(f"the CLI ended (status {process.process.returncode}) before {what}: {process.stderr}")
        said = f": {process.stdout} {process.stderr}" if process is not None else ""
        assert time.monotonic() < deadline, f"gave up waiting for {what}{said}"
        time.sleep(0.05)


def write_doc(path: Path, text: str, image: str = "images/pic.png") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"# Loop Test\n\n**Status:** Draft\n\n## Overview\n\n{text}\n\n![A picture]({image})\n", "utf-8")


def write_image(path: Path, colour: tuple[int, int, int]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (24, 12), colour).save(path)


def read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return ""


def changed_from(path: Path, before: str) -> Callable[[], bool]:
    return lambda: (now := read(path)) != "" and now != before


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A document with an image beside it, in a folder of its own."""
    write_image(tmp_path / "images" / "pic.png", (200, 30, 30))
    write_doc(tmp_path / "doc.md", "The first draft.")
    return tmp_path


def assert_clean_exit(process: Running) -> None:
    assert process.stop() == 0
    assert not any("Traceback" in line for line in process.stderr), process.stderr


# --- --watch ---------------------------------------------------------------------------------------------------------


def test_watch_exports_again_when_the_document_and_then_its_image_change(project: Path) -> None:
    output = project / "doc.html"
    with running(project, "doc.md", "--html", "--docx", "--watch") as watcher:
        watcher.wait_for_line(r"^watching 1 document and 1 file it uses")
        first = read(output)
        assert "The first draft." in first and (project / "doc.docx").is_file()
        assert re.match(r"\d\d:\d\d:\d\d exported doc\.md -> doc\.\{html,docx\} \(", watcher.status_lines()[0])

        write_doc(project / "doc.md", "The second draft.")
        wait_for(lambda: "The second draft." in read(output), "the edited text in doc.html", watcher)
        edited = read(output)
        watcher.wait_for_line(r"^\d\d:\d\d:\d\d rebuilt doc\.md -> doc\.\{html,docx\} \(")

        lines_before = len(watcher.stdout)
        write_image(project / "images" / "pic.png", (30, 30, 200))
        wait_for(changed_from(output, edited), "doc.html to show the new image", watcher)
        assert "The second draft." in read(output)
        watcher.wait_for_line(r"rebuilt doc\.md", start=lines_before)

        assert_clean_exit(watcher)
    assert watcher.stderr[-1] == "stopped watching"
    # One export and two rebuilds: our own outputs (doc.html, doc.docx beside doc.md) never trigger one.
    assert len(watcher.status_lines()) == 3, watcher.stdout


def test_a_broken_edit_is_reported_and_watching_goes_on(project: Path) -> None:
    output = project / "doc.html"
    with running(project, "doc.md", "--html", "--watch") as watcher:
        watcher.wait_for_line(r"^watching ")
        (project / "doc.md").write_bytes(b"# Half saved\n\n\xff\xfe not UTF-8\n")
        watcher.wait_for_line(r"^\d\d:\d\d:\d\d failed doc\.md")
        assert "doc.md:3: error: not valid UTF-8: byte 0xff at offset 14" in watcher.stderr
        assert "The first draft." in read(output)  # the last good export stays

        (project / "doc.md").write_text("---\ntitle: [unclosed\n---\n\nFront matter half typed.\n", "utf-8")
        wait_for(lambda: "Front matter half typed." in read(output), "the export after a bad front matter", watcher)
        watcher.wait_for_line(r"^doc\.md:1: warning: front matter is not valid YAML", stream="stderr")

        write_doc(project / "doc.md", "Fixed again.")
        wait_for(lambda: "Fixed again." in read(output), "the export after the fix", watcher)
        assert_clean_exit(watcher)


def test_a_config_or_theme_change_is_read_again(project: Path) -> None:
    output = project / "doc.html"
    (project / "mine.css").write_text("body { color: #102030; }\n", "utf-8")
    with running(project, "doc.md", "--html", "--theme", "mine.css", "--watch") as watcher:
        watcher.wait_for_line(r"^watching ")
        assert "#102030" in read(output) and 'class="section-number"' not in read(output)

        (project / "mine.css").write_text("body { color: #405060; }\n", "utf-8")
        wait_for(lambda: "#405060" in read(output), "the edited theme in doc.html", watcher)

        (project / "designexport.toml").write_text("number-sections = [oops\n", "utf-8")
        wait_for(lambda: any("not rebuilt: " in line for line in watcher.stderr), "the config error", watcher)

        (project / "designexport.toml").write_text("number-sections = true\n", "utf-8")
        wait_for(lambda: '<span class="section-number">1</span> Overview' in read(output), "numbered sections", watcher)
        assert_clean_exit(watcher)


def test_a_watched_folder_exports_a_new_document_and_ignores_its_output_folder(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    write_image(docs / "images" / "pic.png", (10, 120, 10))
    write_doc(docs / "a.md", "Document A.", "images/pic.png")
    write_doc(docs / "drafts" / "b.md", "Document B.", "../images/pic.png")
    site = docs / "site"  # the output folder inside the watched one
    with running(tmp_path, "docs", "--html", "-o", "docs/site", "--asset-root", "docs", "--watch") as watcher:
        watcher.wait_for_line(r"^watching 2 documents and 1 file they use")
        assert "Document B." in read(site / "drafts" / "b.html")

        (docs / "drafts" / "later").mkdir()
        write_doc(docs / "drafts" / "later" / "c.md", "Document C.", "../../images/pic.png")
        wait_for(lambda: "Document C." in read(site / "drafts" / "later" / "c.html"), "the new document", watcher)

        before = read(site / "a.html")
        lines_before = len(watcher.stdout)
        write_image(docs / "images" / "pic.png", (10, 10, 120))  # used by all three
        wait_for(changed_from(site / "a.html", before), "a.html to show the new image", watcher)
        watcher.wait_for_line(r"rebuilt 3 documents", start=lines_before)
        assert_clean_exit(watcher)
    # The first export, c.md, the image (and maybe an "up to date" for the new folder): never one for site/.
    assert len([line for line in watcher.status_lines() if "up to date" not in line]) == 3, watcher.stdout


@pytest.mark.parametrize(
    ("arguments", "said"),
    [
        (("-", "--watch"), "- (standard input) works for one export, not --watch"),
        (("doc.md", "-o", "-", "--watch"), "-o - works for one export, not --watch"),
        (("serve", "-", "--port", "0"), "serve needs files or folders to watch, not standard input"),
    ],
    ids=["watch-stdin", "watch-stdout", "serve-stdin"],
)
def test_the_loop_refuses_standard_streams(project: Path, arguments: tuple[str, ...], said: str) -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "exporter", *arguments],
        cwd=project, capture_output=True, text=True, timeout=WAIT_SECONDS, stdin=subprocess.DEVNULL, check=False,
    )  # fmt: skip
    assert completed.returncode == 2
    assert said in completed.stderr and "Traceback" not in completed.stderr
    assert not (project / "doc.html").exists()


@pytest.mark.usefixtures("signal_handlers")
def test_a_stop_that_a_finalizer_swallowed_is_still_seen_and_the_handlers_come_back() -> None:
    """Ctrl-C raised inside a finalizer is swallowed by Python; the watcher must still stop at its next wake-up,
    and print no traceback for it."""
    before = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    with reported_exceptions() as reported, stop_requests() as requested:
        assert not requested()
        finished = signalled_from_a_finalizer()
        assert not finished, "the stop was not raised inside the finalizer: the test shows nothing"
        assert requested()
    assert reported == []
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before


# --- serve -----------------------------------------------------------------------------------------------------------


def get(url: str, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], str]:
    """Status, headers and body of a GET of `path` exactly as written (no normalising of `..`)."""
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=WAIT_SECONDS)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        return response.status, {key.lower(): value for key, value in response.getheaders()}, response.read().decode()
    finally:
        connection.close()


def image_in(page: str) -> str:
    found = re.search(r'<img [^>]*src="(data:image/[^"]+)"', page)
    assert found, "the page shows the image, inlined"
    return found[1]


class EventStream:
    """The page's reload events, as the browser's EventSource reads them."""

    def __init__(self, url: str, page: str) -> None:
        parts = urllib.parse.urlsplit(url)
        self.connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=WAIT_SECONDS)
        self.connection.request("GET", f"/__designexport/events?page={urllib.parse.quote(page)}")
        self.response = self.connection.getresponse()
        assert self.response.status == 200 and self.response.getheader("Content-Type") == "text/event-stream"

    def next_version(self) -> str:
        while True:
            line = self.response.fp.readline().decode()
            assert line, "the event stream ended"
            if line.startswith("data: "):
                return line.removeprefix("data: ").strip()

    def close(self) -> None:
        self.connection.close()


def served(project: Path, *arguments: str) -> tuple[Running, str]:
    server = Running(project, "serve", *arguments, "--port", "0")
    url = server.wait_for_line(r"^serving (http://\S+) \(Ctrl-C stops\)").group(1)
    server.wait_for_line(r"^watching ")
    return server, url


def test_serve_shows_the_page_and_tells_the_browser_when_it_changes(project: Path) -> None:
    server, url = served(project, "doc.md")
    try:
        page = urllib.parse.urlsplit(url).path
        assert page == "/doc.html"
        status, headers, body = get(url, page)
        assert status == 200 and "The first draft." in body
        nonce = re.search(r'<script nonce="([^"]+)">', body)
        assert nonce and body.count("<script") == 1, "the page has the reload script, and only it"
        # That script, and no other, may run (by its nonce) and open the event stream: in the header and in the
        # page's own policy, which a browser enforces too.
        meta = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', body)
        assert meta and meta[1] == headers["content-security-policy"]
        directives = dict(item.strip().split(" ", 1) for item in meta[1].split(";"))
        assert directives["script-src"] == f"'nonce-{nonce[1]}'" and directives["connect-src"] == "'self'"
        assert directives["default-src"] == "'none'"
        assert nonce[1] not in get(url, page)[2]  # a fresh nonce for every response

        events = EventStream(url, page)
        first = events.next_version()
        assert get(url, f"/__designexport/version?page={page}")[2].strip() == first

        write_doc(project / "doc.md", "The second draft.")
        assert events.next_version() != first  # the browser is told at once
        events.close()
        assert "The second draft." in get(url, page)[2]

        before = image_in(get(url, page)[2])
        write_image(project / "images" / "pic.png", (30, 30, 200))
        wait_for(lambda: image_in(get(url, page)[2]) != before, "the page to show the new image", server)

        [exported] = list((project / "tmp").glob("designexport-serve-*/doc.html"))
        on_disk = exported.read_text(encoding="utf-8")
        assert "The second draft." in on_disk and "<script" not in on_disk and "nonce" not in on_disk
        assert "connect-src" not in on_disk  # the file keeps its strict policy
        assert not (project / "doc.html").exists()  # serve writes nothing beside the document
        assert_clean_exit(server)
    finally:
        server.kill()
    assert not list((project / "tmp").glob("designexport-serve-*")), "the private folder is removed"


@pytest.fixture(scope="module")
def unchanging(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """A document served for tests that change nothing: its folder, and the page's URL."""
    folder = tmp_path_factory.mktemp("unchanging")
    write_image(folder / "images" / "pic.png", (200, 30, 30))
    write_doc(folder / "doc.md", "The only draft.")
    (folder / "secret.txt").write_text("not for the browser\n", "utf-8")
    (folder / "link.html").symlink_to("/etc/passwd")
    server, url = served(folder, "doc.md")
    try:
        yield folder, url
    finally:
        server.kill()


def test_serve_answers_404_for_everything_but_the_page(unchanging: tuple[Path, str]) -> None:
    folder, url = unchanging
    assert get(url, "/doc.html")[0] == 200
    refused = [
        "/../etc/passwd",
        "/%2e%2e/etc/passwd",
        "/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        "/..%2fsecret.txt",
        "//etc/passwd",
        "/etc/passwd",
        str(folder / "secret.txt"),
        "/doc.md",
        "/secret.txt",
        "/images/pic.png",
        "/doc.html/..",
        "/doc.html%00",
        "/__designexport/version?page=/../secret.txt",
        "/__designexport/events?page=/doc.md",
        "/link.html",  # a symlink out of the folder
    ]
    for path in refused:
        status, _headers, body = get(url, path)
        assert status == 404, path
        assert "not for the browser" not in body and "root:" not in body
    # A web page elsewhere that points its own name at 127.0.0.1 (DNS rebinding) gets nothing.
    assert get(url, "/doc.html", {"Host": "attacker.example"})[0] == 403
    assert get(url, "/doc.html", {"Host": "localhost"})[0] == 200


def listening_addresses(port: int) -> list[str]:
    """The local addresses of the sockets listening on `port`, from /proc/net/tcp and tcp6 (hex, as written)."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table, encoding="ascii") as lines:
            for line in list(lines)[1:]:
                local, state = line.split()[1], line.split()[3]
                address, _, hex_port = local.partition(":")
                if int(hex_port, 16) == port and state == "0A":
                    found.append(address)
    return found


def test_serve_listens_on_127_0_0_1_only(unchanging: tuple[Path, str]) -> None:
    parts = urllib.parse.urlsplit(unchanging[1])
    assert parts.hostname == "127.0.0.1" and parts.port
    assert listening_addresses(parts.port) == ["0100007F"]  # 127.0.0.1, and no other socket on the port
    with pytest.raises(ConnectionRefusedError):  # another loopback address: not bound to all interfaces
        socket.create_connection(("127.0.0.2", parts.port), timeout=WAIT_SECONDS).close()


def test_serve_says_so_when_the_port_is_taken(project: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        completed = subprocess.run(
            [sys.executable, "-m", "exporter", "serve", "doc.md", "--port", str(port)],
            cwd=project, capture_output=True, text=True, timeout=WAIT_SECONDS, stdin=subprocess.DEVNULL, check=False,
        )  # fmt: skip
    assert completed.returncode == 2
    assert completed.stderr.strip() == (
        f"127.0.0.1:{port}: error: cannot listen: Address already in use; try another --port (0: any)"
    )


def test_serve_a_folder_lists_its_documents_and_follows_new_ones(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    write_image(docs / "images" / "pic.png", (10, 120, 10))
    write_doc(docs / "a.md", "Document A.")
    write_doc(docs / "notes" / "b.md", "Document B.", "../images/pic.png")
    server, url = served(tmp_path, "docs")
    try:
        assert urllib.parse.urlsplit(url).path == "/"
        status, _headers, index = get(url, "/")
        assert status == 200 and 'href="/a.html"' in index and 'href="/notes/b.html"' in index
        assert "Document B." in get(url, "/notes/b.html")[2]
        index_version = get(url, "/__designexport/version?page=/")[2]

        write_doc(docs / "c.md", "Document C.")
        wait_for(lambda: get(url, "/c.html")[0] == 200, "the new document's page", server)
        assert "Document C." in get(url, "/c.html")[2] and 'href="/c.html"' in get(url, "/")[2]
        assert get(url, "/__designexport/version?page=/")[2] != index_version
        assert_clean_exit(server)
    finally:
        server.kill()


# --- in a browser ----------------------------------------------------------------------------------------------------


HAND_OVER = """
import os, sys
os.dup2(int(sys.argv[1]), 3)
os.dup2(int(sys.argv[2]), 4)
os.closerange(5, os.sysconf("SC_OPEN_MAX"))
os.execvp(sys.argv[3], sys.argv[3:])
"""


def above_nine(descriptor: int) -> int:
    """The same open file on a descriptor numbered 10 or more; the one given is closed."""
    moved = fcntl.fcntl(descriptor, fcntl.F_DUPFD, 10)
    os.close(descriptor)
    return moved


class DevTools:
    """Headless Chromium driven over its DevTools pipe (file descriptors 3 and 4; JSON messages ending in NUL)."""

    def __init__(self, profile: Path) -> None:
        from tests.browser import chromium

        to_browser, self.sending = os.pipe()
        self.receiving, from_browser = os.pipe()
        # Chromium finds the pipes on its descriptors 3 and 4: a small Python puts them there, then becomes
        # Chromium. Above 9 first, so neither is 3 or 4 while they are moved.
        to_browser, from_browser = (above_nine(descriptor) for descriptor in (to_browser, from_browser))
        self.process = subprocess.Popen(
            [sys.executable, "-c", HAND_OVER, str(to_browser), str(from_browser),
             chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe",
             f"--user-data-dir={profile}", "about:blank"],
            pass_fds=(to_browser, from_browser), stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        os.close(to_browser)
        os.close(from_browser)
        self.pending = b""
        self.last_id = 0

    def call(self, method: str, params: dict[str, object], session: str | None = None) -> dict[str, object]:
        self.last_id += 1
        message = {
            "id": self.last_id,
            "method": method,
            "params": params,
            **({"sessionId": session} if session else {}),
        }
        os.write(self.sending, json.dumps(message).encode() + b"\0")
        while True:
            while b"\0" not in self.pending:
                chunk = os.read(self.receiving, 1 << 16)
                assert chunk, "Chromium closed its DevTools pipe"
                self.pending += chunk
            raw, self.pending = self.pending.split(b"\0", 1)
            answer = json.loads(raw)
            if answer.get("id") == self.last_id:
                assert "error" not in answer, answer
                result: dict[str, object] = answer["result"]
                return result

    def open(self, url: str) -> Callable[[str], object]:
        """Opens `url` in a tab; returns a function that evaluates JavaScript in it."""
        target = self.call("Target.createTarget", {"url": url})["targetId"]
        session = str(self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"])

        def evaluate(expression: str) -> object:
            params = {"expression": expression, "returnByValue": True}
            result = self.call("Runtime.evaluate", params, session)["result"]
            assert isinstance(result, dict)
            return result.get("value")

        return evaluate

    def close(self) -> None:
        self.process.kill()
        self.process.wait()
        os.close(self.sending)
        os.close(self.receiving)


def test_the_browser_runs_the_reload_script_and_reloads_after_an_edit(project: Path) -> None:
    server, url = served(project, "doc.md")
    browser = DevTools(project / "browser-profile")
    try:
        evaluate = browser.open(url)
        # The script ran under the page's policy and reached the event stream: it marks the page when it does.
        wait_for(lambda: evaluate("document.documentElement.dataset.liveReload") == "connected", "the script", server)
        assert "The first draft." in str(evaluate("document.body.innerText"))

        write_doc(project / "doc.md", "Reloaded by itself.")
        wait_for(lambda: "Reloaded by itself." in str(evaluate("document.body.innerText")), "the reload", server)
        assert_clean_exit(server)
    finally:
        browser.close()
        server.kill()
