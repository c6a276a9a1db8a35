"""Mermaid diagrams, drawn by the official mermaid library in headless Chromium.

One browser per process: mermaid_driver.mjs (Node and puppeteer-core) starts Chromium once, injects
mermaid.min.js into one blank page, and then draws one diagram per JSON line on its stdin. The driver
stays alive between documents (a batch worker draws all of its documents with one browser) and is
started afresh after a crash or a timeout.

Walls around it: the page aborts every request it makes, Chromium's proxy is a dead port (loopback
included), the whole driver runs without a network where `unshare` allows (see sandbox.py), in a
private folder with a fresh profile and none of the user's environment. Mermaid runs with
securityLevel "strict" and no HTML labels, and a diagram's own `%%{init}%%` cannot change either.
"""

from __future__ import annotations

import atexit
import colorsys
import contextlib
import json
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import IO, Any

from exporter.assets import real_file
from exporter.diagram.external.renderer import (
    DiagramSource,
    RenderedSvg,
    RenderFailure,
    RenderLimits,
    RenderOutcome,
    RenderTheme,
)
from exporter.diagram.external.sandbox import find_program, network_isolation

DRIVER_SCRIPT = "mermaid_driver.mjs"  # package data beside this module
NPM_PACKAGES = ("mermaid@11", "puppeteer-core@24")  # as pinned in scripts/renderers/package.json
CHROMIUM_PROGRAMS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
START_FAILURE = "Mermaid could not start"
STARTUP_SECONDS = 60.0  # Chromium's start on a loaded machine; a diagram gets limits.seconds of its own
STOP_SECONDS = 3.0
NPM_ROOT_SECONDS = 10.0
STDERR_LINES = 20  # the driver's last words, for a crash message
MIB = 1024 * 1024
MIN_HEAP_MIB = 64  # below this V8 cannot even load mermaid.min.js
MAX_MESSAGE_CHARACTERS = 300
MAX_EXPECTED_TOKENS = 6

# Config keys a diagram's own `%%{init}%%` directive or front matter may not set: Mermaid's defaults, and what
# would bring back HTML labels or load a URL (a stylesheet, a font, an absolute marker URL).
SECURE_KEYS = (
    *("secure", "securityLevel", "startOnLoad", "maxTextSize", "suppressErrorRendering", "maxEdges"),
    *("htmlLabels", "themeCSS", "fontFamily", "altFontFamily", "arrowMarkerAbsolute", "dompurifyConfig"),
    *("deterministicIds", "deterministicIDSeed"),
)

# What Chromium ("V8 javascript OOM (Reached heap limit)") or Node prints when the JavaScript heap cap is reached.
_OUT_OF_MEMORY_SIGNS = ("out of memory", "heap limit", "javascript oom", "allocation failed")
_CHROMIUM_LOG_LINE = re.compile(r"^\[[0-9:/.]+:[A-Z]+:")  # [pid:tid:date:ERROR:file.cc(12)] …
_ERROR_LINE = re.compile(r"^\w*Error\b")


# ---------------------------------------------------------------- finding what Mermaid needs


@dataclass(frozen=True, slots=True)
class MermaidSetup:
    node: str
    node_modules: Path  # holds mermaid/ and puppeteer-core/
    chromium: str


def _has_packages(folder: Path) -> bool:
    return (folder / "mermaid" / "dist" / "mermaid.min.js").is_file() and (
        folder / "puppeteer-core" / "package.json"
    ).is_file()


@cache
def _global_node_modules(npm: str) -> Path | None:
    """npm's global folder (`npm install -g`), asked once per process: npm takes a few hundred milliseconds."""
    try:
        answer = subprocess.run(
            [npm, "root", "-g"], capture_output=True, text=True, timeout=NPM_ROOT_SECONDS, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    folder = answer.stdout.strip()
    return Path(folder) if answer.returncode == 0 and folder else None


@cache
def _driver_path() -> Path:
    """The driver as a file Node can run, also when the package is inside a zipapp."""
    return real_file(files(__package__) / DRIVER_SCRIPT)


def find_node_modules() -> Path | None:
    """The node_modules folder holding mermaid and puppeteer-core: DESIGNEXPORT_NODE_MODULES, then where
    `make setup` puts them (.venv/renderers/node_modules), then npm's global folder."""
    configured = os.environ.get("DESIGNEXPORT_NODE_MODULES")
    if configured:
        return Path(configured) if _has_packages(Path(configured)) else None
    beside_python = Path(sys.prefix) / "renderers" / "node_modules"
    if _has_packages(beside_python):
        return beside_python
    npm = find_program("npm")
    global_folder = _global_node_modules(npm) if npm is not None else None
    return global_folder if global_folder is not None and _has_packages(global_folder) else None


def find_chromium() -> str | None:
    """DESIGNEXPORT_CHROMIUM, else PUPPETEER_EXECUTABLE_PATH, else the usual program names. A variable that is
    set but names no program is not passed over: the user meant that browser."""
    for variable in ("DESIGNEXPORT_CHROMIUM", "PUPPETEER_EXECUTABLE_PATH"):
        configured = os.environ.get(variable)
        if configured:
            return shutil.which(configured)
    return next((found for name in CHROMIUM_PROGRAMS if (found := find_program(name)) is not None), None)


def _chromium_description() -> str:
    for variable in ("DESIGNEXPORT_CHROMIUM", "PUPPETEER_EXECUTABLE_PATH"):
        configured = os.environ.get(variable)
        if configured:
            return f"Chromium ({variable}={configured} is not a program)"
    return "Chromium"


def find_setup() -> MermaidSetup | str:
    """What Mermaid runs with, or one line naming what is absent and how to install it."""
    node = find_program("node")
    node_modules = find_node_modules()
    chromium = find_chromium()
    if node is not None and node_modules is not None and chromium is not None:
        return MermaidSetup(node, node_modules, chromium)
    absent, commands = [], []
    if node is None:
        absent.append("Node.js")
        commands.append("`apt-get install nodejs npm`")
    if chromium is None:
        absent.append(_chromium_description())
        commands.append("`apt-get install chromium`")
    if node_modules is None:
        absent.append("the npm packages of scripts/renderers")
        commands.append(f"`npm install -g {' '.join(NPM_PACKAGES)}`")
    return f"Mermaid needs {_listed(absent)}: run `make setup`, or {_listed(commands)}"


def _listed(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


@cache
def mermaid_version(node_modules: Path) -> str:
    try:
        manifest = json.loads((node_modules / "mermaid" / "package.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ""
    version = manifest.get("version") if isinstance(manifest, dict) else None
    return f"mermaid {version}" if isinstance(version, str) else ""


# ---------------------------------------------------------------- what Mermaid is told


def _mix(colour: str, other: str, share: float) -> str:
    """`colour` with `share` of `other` mixed in; both #rrggbb."""
    mixed = (
        round(int(colour[index : index + 2], 16) * (1 - share) + int(other[index : index + 2], 16) * share)
        for index in (1, 3, 5)
    )
    return "#" + "".join(f"{channel:02x}" for channel in mixed)


def _slice_colours(accent: str, count: int) -> list[str]:
    """Light colours around the accent's hue, neighbours far apart, dark text readable on each: pie slices
    (Mermaid's own, derived from a near-white fill, are all but white). A grey accent gives greys."""
    red, green, blue = (int(accent[index : index + 2], 16) / 255 for index in (1, 3, 5))
    hue, _, saturation = colorsys.rgb_to_hls(red, green, blue)
    colours = []
    for index in range(count):
        if saturation < 0.1:
            rgb = colorsys.hls_to_rgb(0.0, 0.5 + 0.4 * index / count, 0.0)
        else:
            rgb = colorsys.hls_to_rgb((hue + index * 5 / count) % 1.0, 0.75, min(max(saturation, 0.35), 0.6))
        colours.append("#" + "".join(f"{round(channel * 255):02x}" for channel in rgb))
    return colours


def mermaid_config(theme: RenderTheme, ident: str) -> dict[str, Any]:
    """mermaid.initialize's settings: strict, SVG text labels, the document theme, ids seeded by the diagram's."""
    secondary = _mix(theme.accent, theme.background, 0.85)  # a light tint of the accent
    tertiary = _mix(theme.line, theme.background, 0.9)  # a light grey, for clusters and notes
    variables = {
        "fontFamily": theme.font_family,
        "fontSize": f"{theme.font_size_px:g}px",
        "background": theme.background,
        "primaryColor": theme.fill,
        "primaryBorderColor": theme.line,
        "primaryTextColor": theme.text,
        "secondaryColor": secondary,
        "secondaryBorderColor": theme.line,
        "secondaryTextColor": theme.text,
        "tertiaryColor": tertiary,
        "tertiaryBorderColor": theme.line,
        "tertiaryTextColor": theme.text,
        "lineColor": theme.line,
        "textColor": theme.text,
        "titleColor": theme.text,
        "edgeLabelBackground": theme.background,
        "noteBkgColor": secondary,
        "noteBorderColor": theme.accent,
        "noteTextColor": theme.text,
        "activeTaskBkgColor": secondary,
        "activeTaskBorderColor": theme.accent,
        **{f"pie{index + 1}": colour for index, colour in enumerate(_slice_colours(theme.accent, 12))},
        "pieStrokeColor": theme.line,
        "pieOuterStrokeColor": theme.line,
    }
    return {
        "startOnLoad": False,
        "securityLevel": "strict",
        "htmlLabels": False,
        "flowchart": {"htmlLabels": False},
        "class": {"htmlLabels": False},
        "theme": "base",
        "look": "classic",
        "themeVariables": variables,
        "fontFamily": theme.font_family,
        "altFontFamily": theme.font_family,
        "suppressErrorRendering": True,
        "deterministicIds": True,
        "deterministicIDSeed": ident,
        "secure": list(SECURE_KEYS),
    }


# ---------------------------------------------------------------- reading Mermaid's errors

# Mermaid's own preprocessing (mermaid.core: preprocessDiagram): it parses the source without these, so the line
# numbers in its errors count the lines that remain.
_FRONT_MATTER = re.compile(r"^([^\S\n\r]*)-{3}\s*[\n\r](.*?)[\n\r]\1-{3}\s*[\n\r]+", re.DOTALL)
_DIRECTIVE = re.compile(r"%{2}{\s*(?:(\w+)\s*:|(\w+))\s*(?:(\w+)|((?:(?!}%{2}).|\r?\n)*))?\s*(?:}%{2})?", re.IGNORECASE)
_COMMENT_LINE = re.compile(r"^\s*%%(?!{)[^\n]+\n?", re.MULTILINE)
_JISON_ERROR = re.compile(r"\A(?P<what>Parse|Lexical) error on line \d+[:.]")
_EXPECTING = re.compile(r"^Expecting (?P<expected>.*), got (?P<got>.*)$", re.MULTILINE)
_LINE_MENTION = re.compile(r"\bline (\d+)")


def source_lines_by_parsed_line(source: str) -> list[int]:
    """For each line Mermaid's parser sees (index 0 = its line 1), the 1-based line of `source` it came from."""
    text = source.replace("\r\n", "\n").replace("\r", "\n")
    line_of = []  # the source line of each character of `text`, kept beside it as parts are taken out
    number = 1
    for character in text:
        line_of.append(number)
        number += character == "\n"

    def without(pattern: re.Pattern[str], once: bool) -> None:
        nonlocal text, line_of
        kept_text, kept_lines, start = [], [], 0
        for match in pattern.finditer(text):
            kept_text.append(text[start : match.start()])
            kept_lines.extend(line_of[start : match.start()])
            start = match.end()
            if once:
                break
        text = "".join(kept_text) + text[start:]
        line_of = kept_lines + line_of[start:]

    without(_FRONT_MATTER, once=True)
    without(_DIRECTIVE, once=False)
    without(_COMMENT_LINE, once=False)
    leading = len(text) - len(text.lstrip())
    text, line_of = text[leading:], line_of[leading:]
    starts = [0, *(index + 1 for index, character in enumerate(text) if character == "\n")]
    last_line = source.count("\n") + 1
    return [line_of[start] if start < len(line_of) else last_line for start in starts]


def _source_line(parsed_line: int | None, source: str) -> int | None:
    if parsed_line is None or parsed_line < 1:
        return None
    lines = source_lines_by_parsed_line(source)
    return lines[min(parsed_line, len(lines)) - 1]


def _shortened(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_MESSAGE_CHARACTERS else text[: MAX_MESSAGE_CHARACTERS - 1].rstrip() + "…"


def syntax_failure(message: str, parsed_line: int | None, source: str) -> RenderFailure:
    """Mermaid's own message on one line, its line numbers counted in the diagram's source as written."""
    line = _source_line(parsed_line, source)
    jison = _JISON_ERROR.match(message)
    if jison:
        expecting = _EXPECTING.search(message)
        where = f"{jison['what']} error on line {line}" if line is not None else f"{jison['what']} error"
        if expecting is None:
            return RenderFailure("syntax", f"{where}: unrecognized text", line)
        expected = re.findall(r"'[^']*'", expecting["expected"])
        shown = ", ".join(expected[:MAX_EXPECTED_TOKENS])
        if len(expected) > MAX_EXPECTED_TOKENS:
            shown += f" or {len(expected) - MAX_EXPECTED_TOKENS} more"
        return RenderFailure("syntax", _shortened(f"{where}: expecting {shown}, got {expecting['got']}"), line)
    if message.startswith("Parsing failed:"):  # the Langium parsers (pie, gitGraph, …) say line and column
        mapped = _LINE_MENTION.sub(lambda found: f"line {_source_line(int(found[1]), source)}", message)
        readable = mapped.replace("found `\n`", "found the end of the line").removeprefix("Parsing failed:")
        return RenderFailure("syntax", _shortened(readable), line)
    if message.startswith("No diagram type detected"):
        first = source_lines_by_parsed_line(source)[0]
        lines = source.splitlines()
        words = lines[first - 1].split() if first <= len(lines) else []
        if not words:
            return RenderFailure("syntax", "the diagram is empty", None)
        return RenderFailure("syntax", f"unknown diagram type {words[0]!r}: the first line names the kind", first)
    first_line = next((text for text in message.splitlines() if text.strip()), "Mermaid rejected the diagram")
    return RenderFailure("syntax", _shortened(first_line), line)


# ---------------------------------------------------------------- the driver process


class DriverFailure(Exception):
    def __init__(self, failure: RenderFailure) -> None:
        super().__init__(failure.message)
        self.failure = failure


@dataclass(frozen=True, slots=True)
class DriverKey:
    """What a running driver was started with; a render that needs another starts another."""

    setup: MermaidSetup
    memory_bytes: int


def _heap_mib(memory_bytes: int, share: float) -> int:
    return max(MIN_HEAP_MIB, int(memory_bytes * share) // MIB)


class Driver:
    """One running mermaid_driver.mjs: Node, its Chromium and the page, ready for requests."""

    def __init__(self, process: subprocess.Popen[str], folder: Path, key: DriverKey) -> None:
        self.process = process
        self.folder = folder  # private: HOME, TMPDIR and Chromium's profile, removed when it stops
        self.key = key
        self.owner = os.getpid()
        self.browser_pid: int | None = None
        self.replies: queue.Queue[str | None] = queue.Queue()
        self.last_words: deque[str] = deque(maxlen=STDERR_LINES)
        assert process.stdout is not None and process.stderr is not None
        threading.Thread(target=self._read_replies, args=(process.stdout,), daemon=True).start()
        self.stderr_reader = threading.Thread(target=self._read_stderr, args=(process.stderr,), daemon=True)
        self.stderr_reader.start()

    @classmethod
    def start(cls, key: DriverKey) -> Driver:
        """Starts Node and Chromium; raises DriverFailure when they cannot draw."""
        folder = Path(tempfile.mkdtemp(prefix="designexport-mermaid-"))
        (folder / "tmp").mkdir()
        # RLIMIT_AS can't cap V8: Node and Chromium reserve tens of GiB of address space up front (the pointer
        # cage, WebAssembly guard regions) and would not start under any useful cap. Their JavaScript heaps are
        # capped by V8's own flags instead, where a diagram's memory goes: the page's heap gets half the budget.
        settings = {
            "nodeModules": str(key.setup.node_modules),
            "chromium": key.setup.chromium,
            "userDataDir": str(folder / "profile"),
            "privateFolder": str(folder),
            "jsHeapMb": _heap_mib(key.memory_bytes, 0.5),
        }
        command = [
            *network_isolation(),
            key.setup.node,
            f"--max-old-space-size={_heap_mib(key.memory_bytes, 0.25)}",
            str(_driver_path()),
            json.dumps(settings),
        ]
        try:
            process = subprocess.Popen(
                command,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                encoding="utf-8",
                errors="replace",
                cwd=folder,
                env=_driver_environment(folder, Path(key.setup.node).parent),
                start_new_session=True,  # its own process group: Ctrl-C is the caller's, and a kill reaches all
                close_fds=True,
            )
        except OSError as error:
            shutil.rmtree(folder, ignore_errors=True)
            raise DriverFailure(RenderFailure("crash", f"{START_FAILURE}: {error}")) from None
        driver = cls(process, folder, key)
        driver._wait_until_ready()
        return driver

    def _wait_until_ready(self) -> None:
        try:
            reply = self._reply(STARTUP_SECONDS)
            self.browser_pid = reply.get("browserPid") if reply.get("ready") else None
            if not reply.get("ready"):
                raise DriverFailure(RenderFailure("crash", "Mermaid's driver started wrongly"))
        except DriverFailure as failure:
            self.kill()
            message = failure.failure.message
            if failure.failure.kind == "timeout":
                message = f"Chromium did not start within {STARTUP_SECONDS:g} s"
            raise DriverFailure(RenderFailure("crash", f"{START_FAILURE}: {message}")) from None

    def alive(self) -> bool:
        return self.owner == os.getpid() and self.process.poll() is None

    def draw(self, request: dict[str, Any], seconds: float) -> dict[str, Any]:
        """The driver's reply to one request; DriverFailure when it does not answer in time or dies."""
        assert self.process.stdin is not None
        try:
            self.process.stdin.write(json.dumps(request) + "\n")
            self.process.stdin.flush()
        except OSError:
            raise DriverFailure(self.death()) from None
        return self._reply(seconds)

    def _reply(self, seconds: float) -> dict[str, Any]:
        try:
            line = self.replies.get(timeout=seconds)
        except queue.Empty:
            raise DriverFailure(RenderFailure("timeout", f"Mermaid did not finish in {seconds:g} s")) from None
        if line is None:
            raise DriverFailure(self.death())
        try:
            reply = json.loads(line)
        except ValueError:
            reply = None
        if not isinstance(reply, dict):
            raise DriverFailure(RenderFailure("crash", f"Mermaid's driver said something unexpected: {line[:80]!r}"))
        return reply

    def death(self, *said: str) -> RenderFailure:
        """What a driver that stopped answering left behind: out of memory, or its last words."""
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=STOP_SECONDS)
        self.stderr_reader.join(timeout=STOP_SECONDS)  # its last lines, written as it died
        return crash_failure([*self.last_words, *said], self.key.memory_bytes)

    def _read_replies(self, pipe: IO[str]) -> None:
        with contextlib.suppress(OSError, ValueError):
            for line in pipe:
                self.replies.put(line)
        self.replies.put(None)

    def _read_stderr(self, pipe: IO[str]) -> None:
        """Drains Node's and Chromium's chatter, which would otherwise fill the pipe or reach the terminal."""
        with contextlib.suppress(OSError, ValueError):
            for line in pipe:
                if line.strip():
                    self.last_words.append(line.strip())

    def stop(self) -> None:
        """Lets the driver close its browser (it does on the end of its input), then makes sure."""
        if self.process.stdin is not None:
            with contextlib.suppress(OSError):
                self.process.stdin.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=STOP_SECONDS)
        self.kill()

    def kill(self) -> None:
        """Kills Node's process group, Chromium's (puppeteer starts the browser in a group of its own), and the
        helpers Chromium starts in sessions of their own (crashpad): every process naming our private folder."""
        for group in (self.process.pid, self.browser_pid):
            if group is not None and (group == self.process.pid or self._is_our_browser(group)):
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(group, signal.SIGKILL)
        for pid in processes_naming(self.folder):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=STOP_SECONDS)
        for pipe in (self.process.stdin, self.process.stdout, self.process.stderr):
            if pipe is not None:
                with contextlib.suppress(OSError):
                    pipe.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    def _is_our_browser(self, pid: int) -> bool:
        """Whether `pid` is still the Chromium started here, not another program that got its number since."""
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            return sys.platform != "linux"  # no /proc: trust the number
        return str(self.folder).encode() in command


def processes_naming(folder: Path) -> list[int]:
    """The processes whose command line names `folder` (a driver's private folder is named by the driver and by
    every Chromium process it started); none where there is no /proc."""
    wanted = str(folder).encode()
    found = []
    with contextlib.suppress(OSError):
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit() and int(entry.name) != os.getpid():
                with contextlib.suppress(OSError):
                    if wanted in (entry / "cmdline").read_bytes():
                        found.append(int(entry.name))
    return found


def crash_failure(last_words: Sequence[str], memory_bytes: int) -> RenderFailure:
    """A dead driver's failure, from what it and its browser last wrote: out of memory, or its error."""
    text = " ".join(last_words).lower()
    if any(sign in text for sign in _OUT_OF_MEMORY_SIGNS):
        heap = _heap_mib(memory_bytes, 0.5)
        return RenderFailure("memory", f"Mermaid ran out of memory (its JavaScript heap is capped at {heap} MiB)")
    errors = [line for line in last_words if _ERROR_LINE.match(line)]
    ours = [line for line in last_words if not _CHROMIUM_LOG_LINE.match(line) and not line.startswith("Node.js v")]
    said = (errors or ours or list(last_words) or ["no message"])[-1]
    return RenderFailure("crash", _shortened(f"Mermaid's browser stopped: {said}"))


def _driver_environment(folder: Path, node_folder: Path) -> dict[str, str]:
    """None of the user's environment (no tokens, no proxies) except where their fonts are, which Chromium
    measures labels with."""
    path = [str(node_folder), *(entry for entry in ("/usr/local/bin", "/usr/bin", "/bin") if entry != str(node_folder))]
    environment = {"PATH": os.pathsep.join(path), "LANG": "C.UTF-8", "HOME": str(folder), "TMPDIR": str(folder / "tmp")}
    user_data = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    environment["XDG_DATA_HOME"] = user_data
    if os.environ.get("DESIGNEXPORT_MERMAID_TEST_HANG") == "1":
        environment["DESIGNEXPORT_MERMAID_TEST_HANG"] = "1"
    return environment


class _DriverSlot:
    """The process's one driver, kept between renders and documents, stopped when the process exits."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.driver: Driver | None = None
        self.inherited: list[Driver] = []

    def driver_for(self, key: DriverKey) -> Driver:
        if self.driver is not None and (self.driver.key != key or not self.driver.alive()):
            self.discard()
        if self.driver is None:
            self.driver = Driver.start(key)
        return self.driver

    def discard(self) -> None:
        driver, self.driver = self.driver, None
        if driver is not None and driver.owner == os.getpid():
            driver.kill()

    def close(self) -> None:
        driver, self.driver = self.driver, None
        if driver is not None and driver.owner == os.getpid():
            driver.stop()

    def forget_in_child(self) -> None:
        """In a forked child the driver is the parent's: the child starts its own when it draws. The parent's
        is kept from the garbage collector, whose closing of the pipes would wait on locks that the parent's
        reader threads, absent here, hold."""
        if self.driver is not None:
            self.inherited.append(self.driver)
        self.driver = None
        self.lock = threading.Lock()  # a fork may copy it held by another thread


_SLOT = _DriverSlot()
atexit.register(_SLOT.close)
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_SLOT.forget_in_child)


def running_driver() -> Driver | None:
    """This process's running driver, if any."""
    driver = _SLOT.driver
    return driver if driver is not None and driver.alive() else None


def stop_driver() -> None:
    """Stops this process's driver now rather than at exit (the next render starts another)."""
    with _SLOT.lock:
        _SLOT.close()


# ---------------------------------------------------------------- the renderer


class MermaidRenderer:
    name = "mermaid"

    def missing(self) -> str | None:
        setup = find_setup()
        return setup if isinstance(setup, str) else None

    def version(self) -> str:
        node_modules = find_node_modules()
        return mermaid_version(node_modules) if node_modules is not None else ""

    def render(self, sources: Sequence[DiagramSource], theme: RenderTheme, limits: RenderLimits) -> list[RenderOutcome]:
        setup = find_setup()
        if isinstance(setup, str):
            return [RenderFailure("missing", setup) for _ in sources]
        key = DriverKey(setup, limits.memory_bytes)
        outcomes: list[RenderOutcome] = []
        start_failure: RenderFailure | None = None  # a browser that can't start for one diagram won't for the next
        with _SLOT.lock:
            for source in sources:
                outcome = start_failure or _guarded(source, key, theme, limits)
                if isinstance(outcome, RenderFailure) and outcome.message.startswith(START_FAILURE):
                    start_failure = outcome
                outcomes.append(outcome)
        return outcomes


def _draw(source: DiagramSource, key: DriverKey, theme: RenderTheme, limits: RenderLimits) -> RenderOutcome:
    request = {"ident": source.ident, "source": source.text, "config": mermaid_config(theme, source.ident)}
    try:
        driver = _SLOT.driver_for(key)
        reply = driver.draw(request, limits.seconds)
    except DriverFailure as failure:
        _SLOT.discard()  # hung or dead: the next diagram gets a fresh browser
        return failure.failure
    svg = reply.get("svg")
    if isinstance(svg, str):
        return RenderedSvg(svg.encode("utf-8"))
    error = str(reply.get("error") or "Mermaid failed without a message")
    if reply.get("kind") == "crash":  # the page or the browser died; the driver exits after saying so
        death = driver.death(error)
        _SLOT.discard()
        return death
    line = reply.get("line")
    return syntax_failure(error, line if isinstance(line, int) else None, source.text)


def _guarded(source: DiagramSource, key: DriverKey, theme: RenderTheme, limits: RenderLimits) -> RenderOutcome:
    """No traceback reaches the user: anything unforeseen is this diagram's failure, on one line."""
    try:
        return _draw(source, key, theme, limits)
    except Exception as error:
        _SLOT.discard()
        return RenderFailure("crash", _shortened(f"Mermaid failed: {type(error).__name__}: {error}"))
