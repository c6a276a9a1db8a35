"""PlantUML diagrams (```` ```plantuml ````, ```` ```puml ````) drawn by Debian's plantuml (Java), all the
diagrams of one `render` call in one JVM: `-pipe` reads them from stdin one after the other and writes
each SVG followed by a delimiter line.

Walls, from the outside in:
- the sandbox: no network namespace access where the system allows it, a private folder, no user environment;
- the JVM: its proxies point at a port we hold closed, with no exceptions for localhost; and where the Java
  version still has a Security Manager (before 24), a policy that lets PlantUML read and write only its
  private folder and run dot: no other file, no socket at all, whatever the diagram manages to ask for;
- the source: Debian 12's PlantUML (1.2020) has no security profile, so diagrams that include or load
  anything (`!include`, `!import`, `<img:...>`, sprites from files, `%getenv`, `%load_json`, ...) are refused
  before the JVM starts, with their line. The preprocessor can build such text from pieces (`"<im" + "g:"`),
  which no scan sees: that is what the Security Manager is for.
"""

from __future__ import annotations

import contextlib
import html
import re
import secrets
import socket
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from exporter.diagram.external.graphviz import without_prolog
from exporter.diagram.external.renderer import (
    DiagramSource,
    FailureKind,
    RenderedSvg,
    RenderFailure,
    RenderLimits,
    RenderOutcome,
    RenderTheme,
)
from exporter.diagram.external.sandbox import SandboxResult, find_program, run_sandboxed

MISSING = (
    "PlantUML diagrams need the plantuml package and a Java runtime "
    "(`apt-get install plantuml default-jre-headless`, or `make setup`)"
)
JAR_CANDIDATES = (
    "/usr/share/plantuml/plantuml.jar",  # Debian, Ubuntu
    "/usr/share/java/plantuml/plantuml.jar",  # Arch, Fedora
    "/usr/share/java/plantuml.jar",
)
MAX_SVG_BYTES = 64 * 1024 * 1024  # one diagram
LIMIT_SIZE_PX = 8192  # PLANTUML_LIMIT_SIZE: the largest image side PlantUML draws
METASPACE_BYTES = 256 * 1024 * 1024
LAST_SECURITY_MANAGER_JAVA = 23  # Java 24 removed it (JEP 486): the flag would stop the JVM from starting
POLICY_FILE = "designexport.policy"

# Lines that make PlantUML read a file, a URL or the environment, with what to say about them.
_REFUSED = (
    (re.compile(r"^\s*!\s*(include\w*|import)\b", re.IGNORECASE), "`!{0}` reads a file or URL"),
    (re.compile(r"^\s*!\s*theme\b.*\bfrom\b", re.IGNORECASE), "`!theme ... from` loads a theme from a file or URL"),
    (re.compile(r"^\s*sprite\s+\$?[-\w]+\s+(?![\[{]|<svg|jar:)\S", re.IGNORECASE), "a sprite read from a file"),
    (re.compile(r"<\s*img[\s:=]", re.IGNORECASE), "`<img>` loads an image file or URL"),
    (re.compile(r"%(getenv|get_env)\s*\(", re.IGNORECASE), "`%{0}` reads the environment"),
    (re.compile(r"%(file_exists|load_json|loadjson)\s*\(", re.IGNORECASE), "`%{0}` reads the file system"),
    (
        re.compile(r"%(call_user_func|invoke_procedure|invoke_void_func|retrieve_procedure|retrieve_void_func)\b"),
        "`%{0}` calls a function by a computed name, which could read files or the environment",
    ),
)
_START = re.compile(r"^\s*@start(\w*)", re.IGNORECASE)
_END = re.compile(r"^\s*@end(\w*)", re.IGNORECASE)
_EMBEDDED_DOT = re.compile(r"^\s*(strict\s+)?(di)?graph\b", re.IGNORECASE)
# Body openings that name the diagram kind themselves; a skinparam line before them would hide it.
_OWN_KIND = re.compile(r"^\s*(salt|ditaa|\{\{|@)", re.IGNORECASE)
_ERROR_IMAGE = re.compile(rb"\[From [^\]<]*?\(line (\d+)\) \]")
_RED_TEXT = re.compile(rb'<text fill="#FF0000"[^>]*>([^<]+)</text>', re.IGNORECASE)
_CRASH_TEXT = re.compile(rb">An error has occurr?ed ?: ?([^<]*)<")
_STDERR_ERROR = re.compile(r"^ERROR\n(\d+)\n(.+)$", re.MULTILINE)
# The pictures PlantUML draws instead of a diagram it cannot make: an unknown @start kind, an empty diagram.
_UNKNOWN_KIND = b">No @startuml/@enduml found<"
_WELCOME = b">You can start with a simple UML Diagram like:<"

# Element kinds whose borders and fills take the theme's line and fill colours.
_THEMED_ELEMENTS = (
    "Activity", "ActivityDiamond", "Actor", "Agent", "Artifact", "Boundary", "Card", "Class", "Cloud",
    "Collections", "Component", "Control", "Database", "Entity", "File", "Folder", "Frame", "Interface",
    "Legend", "Node", "Note", "Object", "Package", "Participant", "Partition", "Queue", "Rectangle",
    "State", "Storage", "Usecase",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class PreparedDiagram:
    """One diagram as PlantUML reads it, and how its lines map back to the source the user wrote."""

    block: str  # "@start...\n<theme lines>\n<the user's lines>\n@end...\n"
    theme_lines: int
    first_body_line: int  # the user's line number of the first line after @start (1 when we added @start)
    last_line: int  # the user's last line
    kind: str = "uml"  # as in @startuml, @startmindmap, ...

    def user_line(self, block_line: int) -> int | None:
        """The user's line for a line PlantUML reported, counted from @start as line 1."""
        body_line = block_line - 1 - self.theme_lines
        if block_line == 1:
            return max(1, self.first_body_line - 1)
        if body_line < 1:
            return None  # one of our theme lines
        return min(self.first_body_line + body_line - 1, self.last_line)


class PlantumlRenderer:
    name = "plantuml"

    def missing(self) -> str | None:
        return MISSING if _launcher() is None else None

    def version(self) -> str:
        launcher = _launcher()
        return _plantuml_version(launcher) if launcher is not None else ""

    def render(self, sources: Sequence[DiagramSource], theme: RenderTheme, limits: RenderLimits) -> list[RenderOutcome]:
        launcher = _launcher()
        if launcher is None:
            return [RenderFailure("missing", MISSING) for _ in sources]
        outcomes: list[RenderOutcome | None] = []
        waiting: list[tuple[int, PreparedDiagram]] = []
        for index, source in enumerate(sources):
            prepared = prepare(source.text, theme)
            outcomes.append(prepared if isinstance(prepared, RenderFailure) else None)
            if isinstance(prepared, PreparedDiagram):
                waiting.append((index, prepared))
        while waiting:  # one JVM for all; another only for those after a diagram that stopped the JVM
            drawn = render_batch(launcher, [prepared for _, prepared in waiting], limits)
            for (index, _), outcome in zip(waiting, drawn, strict=False):
                outcomes[index] = outcome
            waiting = waiting[len(drawn) :]
        return [outcome if outcome is not None else RenderFailure("crash", "not drawn") for outcome in outcomes]


def prepare(text: str, theme: RenderTheme) -> PreparedDiagram | RenderFailure:
    """The block PlantUML will read, or why the source is refused before it runs."""
    lines = text.splitlines()
    first = next((number for number, line in enumerate(lines) if line.strip()), None)
    if first is None:
        return RenderFailure("syntax", "the diagram is empty")
    start = _START.match(lines[first])
    kind = start.group(1).lower() if start is not None else "uml"
    body_from = first + 1 if start is not None else 0
    body_to = next((n for n in range(body_from, len(lines)) if _END.match(lines[n])), len(lines))
    trailing = next((n for n in range(body_to + 1, len(lines)) if lines[n].strip()), None)
    if trailing is not None:
        what = "a second diagram" if _START.match(lines[trailing]) else f"text after @end{kind}"
        return RenderFailure("syntax", f"{what} (line {trailing + 1}): write one diagram per block", trailing + 1)
    body = lines[body_from:body_to]
    if not _first_statement(body):
        return RenderFailure("syntax", "the diagram is empty")
    problem = _refusal(body, kind, first_line=body_from + 1)
    if problem is not None:
        return problem
    theme_lines = _theme_lines(theme) if kind == "uml" and not _names_own_kind(body) else []
    block = "\n".join([f"@start{kind}", *theme_lines, *body, f"@end{kind}", ""])
    return PreparedDiagram(block, len(theme_lines), body_from + 1, last_line=max(1, len(lines)), kind=kind)


def _refusal(body: Sequence[str], kind: str, first_line: int) -> RenderFailure | None:
    if kind == "dot" or _EMBEDDED_DOT.match(_first_statement(body)):
        return RenderFailure("refused", "a Graphviz graph inside PlantUML: write it in a ```dot block instead")
    for offset, line in enumerate(body):
        number = first_line + offset
        if _START.match(line) or _END.match(line):
            message = f"`{line.strip()}` inside the diagram (line {number}): write one diagram per block"
            return RenderFailure("syntax", message, number)
        for pattern, reason in _REFUSED:
            found = pattern.search(line)
            if found is not None:
                what = reason.format(*found.groups())
                message = f"{what} (line {number}); diagrams may not read files, URLs or the environment"
                return RenderFailure("refused", message, number)
    return None


def _names_own_kind(body: Sequence[str]) -> bool:
    return bool(_OWN_KIND.match(_first_statement(body)))


def _first_statement(body: Sequence[str]) -> str:
    """The first line that is neither blank nor a comment."""
    return next((line for line in body if line.strip() and not line.lstrip().startswith("'")), "")


def _theme_lines(theme: RenderTheme) -> list[str]:
    """The theme as skinparams, written before the user's lines so that the diagram's own skinparams win
    (the command line's -S would lock them against the diagram)."""
    lines = [
        "skinparam shadowing false",
        f"skinparam defaultFontName {theme.font_name}",
        f"skinparam defaultFontSize {round(theme.font_size_px)}",
        f"skinparam defaultFontColor {theme.text}",
        f"skinparam backgroundColor {theme.background}",
        f"skinparam ArrowColor {theme.line}",
        f"skinparam SequenceLifeLineBorderColor {theme.line}",
    ]
    for element in _THEMED_ELEMENTS:
        lines.append(f"skinparam {element}BorderColor {theme.line}")
        lines.append(f"skinparam {element}BackgroundColor {theme.fill}")
    return lines


def render_batch(
    launcher: tuple[str, ...], diagrams: Sequence[PreparedDiagram], limits: RenderLimits
) -> list[RenderOutcome]:
    """Draws the diagrams in one JVM. The outcomes come in order and may be fewer than the diagrams when
    the JVM stopped (timeout, memory, crash) partway: the last outcome then says why."""
    delimiter = f"DESIGNEXPORT-END-OF-DIAGRAM-{secrets.token_hex(8)}"
    with _closed_port() as dead_port:
        command, environment = _command(launcher, limits, delimiter, dead_port)
        result = run_sandboxed(
            command,
            "".join(diagram.block for diagram in diagrams).encode("utf-8"),
            seconds=limits.seconds,  # for each diagram: the clock restarts at each delimiter
            memory_bytes=None,  # the JVM reserves far more address space than it uses: -Xmx caps its heap
            max_output_bytes=MAX_SVG_BYTES * len(diagrams),
            progress_marker=delimiter.encode("ascii"),
            files={
                POLICY_FILE: _policy(find_program("dot"), launcher[1] if len(launcher) == 2 else None).encode("utf-8")
            }
            if _has_security_manager(launcher)
            else {},
            environment=environment,
        )
    if result.missing:
        return [RenderFailure("missing", MISSING) for _ in diagrams]
    pieces = result.stdout.split(delimiter.encode("ascii"))[:-1]  # the text after the last delimiter is unfinished
    errors = iter(_STDERR_ERROR.findall(result.stderr))
    outcomes = [_outcome(piece, diagram, errors) for piece, diagram in zip(pieces, diagrams, strict=False)]
    if len(outcomes) < len(diagrams):
        stopped = _stopped(result)
        if not outcomes and stopped.kind == "crash":  # the JVM itself fails: another start would fail alike
            return [stopped for _ in diagrams]
        outcomes.append(stopped)
    return outcomes


def _outcome(piece: bytes, diagram: PreparedDiagram, stderr_errors: Iterator[tuple[str, str]]) -> RenderOutcome:
    svg = piece.strip()
    if not svg.startswith((b"<?xml", b"<svg")):
        return RenderFailure("crash", "PlantUML wrote something other than an SVG")
    crash = _CRASH_TEXT.search(svg)
    if crash is not None:
        detail = html.unescape(crash.group(1).decode("utf-8", errors="replace")).strip()
        if "AccessControlException" in detail or "AccessDenied" in detail:
            return RenderFailure(
                "refused", "the diagram tried to read a file or reach the network, which is not allowed"
            )
        return RenderFailure("crash", f"PlantUML failed: {detail}" if detail else "PlantUML failed")
    if _UNKNOWN_KIND in svg:
        return RenderFailure("syntax", f"this PlantUML does not know @start{diagram.kind}", diagram.user_line(1))
    if _WELCOME in svg:
        return RenderFailure("syntax", "the diagram is empty")
    error = _ERROR_IMAGE.search(svg)
    if error is None:
        bare = without_prolog(svg)
        return RenderedSvg(bare + b"\n") if bare is not None else RenderFailure("refused", "PlantUML wrote a DOCTYPE")
    reported = next(stderr_errors, None)
    red = _RED_TEXT.search(svg, error.end())
    message = (
        red.group(1).decode("utf-8", errors="replace") if red is not None else (reported or ("", "Syntax Error?"))[1]
    )
    return RenderFailure("syntax", html.unescape(message).strip(), diagram.user_line(int(error.group(1))))


# java.util.logging's lines: "Dec 03, 2026 6:48:06 PM java.util.prefs…" headers and "WARNING: …" or "INFO: …"
# records; none says why the JVM stopped.
_JAVA_LOG_LINE = re.compile(
    r"(?:SEVERE|WARNING|INFO|CONFIG|FINE|FINER|FINEST):|[A-Z][a-z]{2} \d{1,2}, \d{4} \d{1,2}:\d{2}:\d{2} [AP]M "
)


def _stopped(result: SandboxResult) -> RenderFailure:
    kind: FailureKind
    if result.timed_out:
        kind, message = "timeout", "PlantUML did not finish this diagram in time"
    elif result.memory_exceeded:
        kind, message = "memory", "PlantUML ran out of memory on this diagram"
    elif result.output_exceeded:
        kind, message = "memory", "PlantUML wrote too large an SVG for this diagram"
    else:
        said = [line for line in result.stderr.strip().splitlines() if not _JAVA_LOG_LINE.match(line)]
        kind, message = "crash", f"PlantUML stopped: {(said or [f'exit status {result.returncode}'])[0]}"
    return RenderFailure(kind, message)


def _command(
    launcher: tuple[str, ...], limits: RenderLimits, delimiter: str, dead_port: int
) -> tuple[list[str], dict[str, str]]:
    """The command line, and the environment that carries the JVM flags when only a launcher script is there."""
    flags = _jvm_flags(limits, dead_port, security_manager=_has_security_manager(launcher))
    plantuml = ["-tsvg", "-charset", "UTF-8", "-nometadata", "-pipe", "-pipedelimitor", delimiter]
    if len(launcher) == 2:  # java and the jar: we hold every flag
        java, jar = launcher
        return [java, *flags, "-jar", jar, *plantuml], {}
    return [launcher[0], *plantuml], {"JAVA_TOOL_OPTIONS": " ".join(flags)}


def _jvm_flags(limits: RenderLimits, dead_port: int, *, security_manager: bool) -> list[str]:
    proxy = ("127.0.0.1", str(dead_port))
    flags = [
        f"-Xmx{max(64 * 1024 * 1024, limits.memory_bytes * 3 // 4) // (1024 * 1024)}m",  # heap; the rest for the VM
        f"-XX:MaxMetaspaceSize={METASPACE_BYTES // (1024 * 1024)}m",
        "-XX:+ExitOnOutOfMemoryError",
        "-XX:+UseSerialGC",  # one collector thread: quicker to start, smaller
        "-XX:TieredStopAtLevel=1",  # the quick compiler only: a short run never earns back the optimizer
        "-XX:-UsePerfData",  # no hsperfdata file in the shared /tmp
        "-Djava.awt.headless=true",
        "-Dfile.encoding=UTF-8",
        "-Djava.io.tmpdir=tmp",  # relative: inside the private folder
        "-Duser.home=.",
        f"-DPLANTUML_LIMIT_SIZE={LIMIT_SIZE_PX}",
        "-DPLANTUML_SECURITY_PROFILE=SANDBOX",  # newer PlantUML versions: no file, URL or environment access
        "-Djava.net.useSystemProxies=false",
        # Every connection goes to a port nobody listens on, localhost's too (nonProxyHosts emptied).
        *(f"-D{scheme}.proxyHost={proxy[0]}" for scheme in ("http", "https", "ftp")),
        *(f"-D{scheme}.proxyPort={proxy[1]}" for scheme in ("http", "https", "ftp")),
        "-Dhttp.nonProxyHosts=",
        "-Dftp.nonProxyHosts=",
        f"-DsocksProxyHost={proxy[0]}",
        f"-DsocksProxyPort={proxy[1]}",
    ]
    if security_manager:
        flags += ["-Djava.security.manager", f"-Djava.security.policy=={POLICY_FILE}"]
    return flags


def _policy(dot: str | None, jar: str | None) -> str:
    """PlantUML may read and write its private folder, run dot and look beside its jar; nothing else, and no
    socket. The Java runtime's own code keeps every permission (it checks its callers)."""
    executables = sorted({"/usr/bin/dot", "/usr/local/bin/dot", "/bin/dot", *([dot] if dot is not None else [])})
    run_dot = "".join(
        f'  permission java.io.FilePermission "{_java_string(path)}", "read,execute";\n' for path in executables
    )
    if jar is not None:
        # Its error page looks for a license.txt beside the jar at some minutes of each hour; refused, the JVM
        # stopped and took every diagram of the document with it.
        folder = Path(jar).parent
        run_dot += "".join(
            f'  permission java.io.FilePermission "{_java_string(str(path))}", "read";\n'
            for path in (folder, folder / "license.txt")
        )
    return (
        'grant codeBase "file:${java.home}/-" { permission java.security.AllPermission; };\n'
        "grant {\n"
        '  permission java.io.FilePermission "${user.dir}", "read";\n'
        '  permission java.io.FilePermission "${user.dir}/-", "read,write,delete";\n'
        f"{run_dot}"
        '  permission java.util.PropertyPermission "*", "read,write";\n'
        '  permission java.lang.RuntimePermission "*";\n'
        '  permission java.awt.AWTPermission "*";\n'
        '  permission java.lang.reflect.ReflectPermission "*";\n'
        '  permission java.util.logging.LoggingPermission "control";\n'
        "};\n"
    )


def _java_string(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


@contextlib.contextmanager
def _closed_port() -> Iterator[int]:
    """A loopback port held bound but not listening while the JVM runs, so a connection to it is refused."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as held:
        held.bind(("127.0.0.1", 0))
        yield int(held.getsockname()[1])


def _launcher() -> tuple[str, ...] | None:
    """(java, jar) when both are found, so that we set the JVM's flags; else the plantuml script; else None."""
    java = find_program("java")
    script = find_program("plantuml")
    candidates = list(JAR_CANDIDATES)
    if script is not None:
        candidates += _jars_named_in(script)
    jar = next((path for path in candidates if Path(path).is_file()), None)
    if java is not None and jar is not None:
        return (java, jar)
    return (script,) if script is not None else None


def _jars_named_in(script: str) -> list[str]:
    """The jar a launcher script runs (read, never run), for distributions that keep it elsewhere."""
    try:
        text = Path(script).read_text(encoding="utf-8", errors="replace")[:20_000]
    except OSError:
        return []
    return re.findall(r"(/[^\s\"'$]*plantuml[^\s\"'$]*\.jar)", text)


@cache
def _has_security_manager(launcher: tuple[str, ...]) -> bool:
    """Whether the JVM still takes -Djava.security.manager (read from its `release` file, no JVM start)."""
    if len(launcher) != 2:
        return False
    home = Path(launcher[0]).resolve().parent.parent
    try:
        release = (home / "release").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    version = re.search(r'^JAVA_VERSION="(\d+)(?:\.(\d+))?', release, re.MULTILINE)
    if version is None:
        return False
    major = int(version.group(1)) if version.group(1) != "1" else int(version.group(2) or 0)  # "1.8.0" is 8
    return major <= LAST_SECURITY_MANAGER_JAVA


@cache
def _plantuml_version(launcher: tuple[str, ...]) -> str:
    command = (
        [*launcher[:1], "-Djava.awt.headless=true", "-jar", launcher[1], "-version"]
        if len(launcher) == 2
        else [launcher[0], "-version"]
    )
    result = run_sandboxed(command, seconds=30.0, memory_bytes=None, max_output_bytes=64 * 1024)
    first = result.stdout.decode("utf-8", errors="replace").strip().splitlines()[:1]
    return first[0] if result.succeeded and first else ""
