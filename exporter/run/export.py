"""One document in, chosen formats out: read safely, parse once, render, write atomically.

A document's outputs are replaced together or not at all: every format is first written to a
temporary file beside its target (`.NAME.designexport-PID.RANDOM.part`, so a later run can tell
its own leftovers from anyone else's files), and only when all are written are they renamed into
place, in one short step with SIGINT and SIGTERM held back.
"""

from __future__ import annotations

import codecs
import functools
import hashlib
import os
import re
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, assert_never

from exporter.diagram.external.drawing import DiagramPicture, DrawingSettings, diagram_fences, draw_diagrams
from exporter.diagram.external.installed import installed_renderers, rasterize
from exporter.diagram.external.renderer import RenderLimits
from exporter.enrich.language import east_asian_region
from exporter.enrich.presentation import Presentation, build_presentation, render_theme_from
from exporter.model.diagnostics import Code, Diagnostic, ExportError, Reporter
from exporter.model.limits import Limits
from exporter.model.tree import CodeBlock, Document
from exporter.read.markdown import ParseOptions, parse
from exporter.render.options import FORMATS, Format, RenderOptions
from exporter.run.signals import interrupts_deferred
from exporter.safety.resources import ResourceResolver

if TYPE_CHECKING:
    from exporter.run.versions import Comparison

UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
TEMPORARY_MARK = ".designexport-"  # between the target's name and the writer's pid in a temporary file's name
_TEMPORARY_NAME = re.compile(r"\.(?P<target>.+)\.designexport-(?P<pid>[1-9][0-9]{0,9})\.[A-Za-z0-9_]+\.part")
START_TIME_SLACK_SECONDS = 2.0  # process start times read from /proc are this precise, with room to spare
STDIN_NAME = "stdin"  # a document read from standard input, as messages name it
DIFF_SUFFIX = ".diff"  # a comparison of two versions of doc.md is written to doc.diff.pdf, .html, .docx


@dataclass(frozen=True, slots=True)
class StrictCheck:
    """Under --strict, a document is exported only when the check finds nothing that stops it (see
    exporter.model.diagnostics.stops_strict_export)."""

    required_sections: tuple[str, ...] = ()  # H2 headings the document must have


@dataclass(frozen=True, slots=True)
class ExportSettings:
    formats: tuple[Format, ...] = FORMATS
    output_dir: Path | None = None
    render: RenderOptions = field(default_factory=RenderOptions)
    parse: ParseOptions = field(default_factory=ParseOptions)
    asset_root: Path | None = None  # images may come from anywhere below it; default: the document's folder
    allow_remote: bool = False  # download http(s) images, never from private addresses
    strict: StrictCheck | None = None  # None: export whatever the check would say
    suppressed: frozenset[Code] = frozenset()  # codes the user silenced: never reported, never stop --strict
    # The one document came from standard input (saved to a temporary file): it is named "stdin", and its
    # relative references start in this folder (--asset-root or the working folder), not the file's.
    stdin_folder: Path | None = None
    # --since REV, `designexport diff OLD NEW`: each document compared with its old version (exporter.run.versions).
    comparison: Comparison | None = None


@dataclass(frozen=True, slots=True)
class OutputRecord:
    """One written file, as the batch report and the build cache describe it."""

    format: Format
    path: Path
    sha256: str
    size: int
    pages: int | None  # PDF only: Word and browsers paginate for themselves
    seconds: float


@dataclass
class ExportResult:
    source: Path
    outputs: list[Path] = field(default_factory=list)
    records: list[OutputRecord] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    dependencies: dict[str, str | None] = field(default_factory=dict)  # referenced file -> sha256, None if missing
    input_sha256: str = ""
    parse_seconds: float = 0.0
    error: str = ""
    staged: list[StagedOutput] = field(default_factory=list)  # written, not yet in place (see commit_outputs)


@dataclass(frozen=True, slots=True)
class StagedOutput:
    """A finished output in its temporary file beside the target, waiting to replace it."""

    temporary: Path
    target: Path


@dataclass(frozen=True, slots=True)
class Rendered:
    """One format as its backend made it, or the error that stopped it, with what the backend reported meanwhile."""

    data: bytes = b""
    pages: int | None = None
    seconds: float = 0.0
    diagnostics: tuple[Diagnostic, ...] = ()
    dependencies: dict[str, str | None] = field(default_factory=dict)  # the resolver's, after this render
    error: ExportError | None = None


class RenderCrashed(Exception):
    """The process rendering a format elsewhere died without an outcome."""

    def __init__(self, how: str) -> None:
        super().__init__(how)
        self.how = how  # "PDF helper killed by SIGKILL"


class PendingRender(Protocol):
    """A render running in another process."""

    def result(self) -> Rendered:
        """Waits for it; RenderCrashed when its process died first."""
        ...

    def cancel(self) -> None:
        """Stops it if it still runs (its outcome is not wanted); harmless after `result`."""
        ...


# Starts a render in another process and returns at once (exporter.run.workers.render_in_helper).
RenderElsewhere = Callable[[Callable[[], Rendered]], PendingRender]


def display_name(path: Path) -> str:
    """The path as the user would recognise it, escaped for log lines (see `printable`)."""
    return printable(relative_name(path))


def relative_name(path: Path) -> str:
    """The path as the user would recognise it: relative to the working folder when inside it. Not
    escaped: for data such as the JSON report; a log line takes `display_name`."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError, RuntimeError):
        return str(path)


def printable(text: str) -> str:
    """`text` with newlines, control characters and other unprintable characters (bidi overrides,
    undecodable bytes) escaped as Python writes them, `\\n`, `\\x1b`, `\\u202e`, so no file name can
    start a log line of its own (a forged `::error::` in CI). Backslashes stay as they are, so escaping
    twice changes nothing and Windows paths read as usual."""
    if text.isprintable():
        return text
    return "".join(character if character.isprintable() else repr(character)[1:-1] for character in text)


def read_source(path: Path, max_bytes: int = Limits().input_bytes, reporter: Reporter | None = None) -> str:
    """The file's text, or an ExportError saying exactly why it can't be read (named as `reporter` names it)."""
    name = reporter.source if reporter is not None else display_name(path)
    if not path.exists():
        raise ExportError(name, "no such file")
    if path.is_dir():
        raise ExportError(name, "is a directory, not a Markdown file")
    if not path.is_file():
        raise ExportError(name, "is not a regular file")  # a FIFO or device would block or never end
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise ExportError(name, f"file is {size} bytes, over the {max_bytes}-byte limit (--limit input-bytes=N)")
        with path.open("rb") as stream:
            data = stream.read(max_bytes + 1)  # the file may have grown since stat
    except OSError as error:
        raise ExportError(name, f"cannot read file: {error.strerror or error}") from None
    if len(data) > max_bytes:
        raise ExportError(name, f"file is over the {max_bytes}-byte limit (--limit input-bytes=N)")
    if data.startswith(UTF16_BOMS):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise ExportError(name, "starts with a UTF-16 byte-order mark but is not valid UTF-16") from None
        if reporter is not None:
            reporter.warn(0, Code.ENCODING, "file is UTF-16; read it as such, but save it as UTF-8 for other tools")
        return text
    if _looks_binary(data[:8192]):
        raise ExportError(name, "file looks binary, not Markdown text")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise ExportError(
            name, f"not valid UTF-8: byte 0x{data[error.start]:02x} at offset {error.start}", line
        ) from None
    return text.removeprefix("\ufeff")


def _looks_binary(head: bytes) -> bool:
    if not head:
        return False
    control = sum(1 for byte in head if byte < 9 or 13 < byte < 32)
    return control / len(head) > 0.05


def output_path(source: Path, fmt: Format, output_dir: Path | None, *, compared: bool = False) -> Path:
    """doc.md -> doc.pdf; a comparison of versions -> doc.diff.pdf."""
    return (output_dir or source.parent) / f"{source.stem}{DIFF_SUFFIX if compared else ''}.{fmt}"


def export_document(
    source: Path,
    settings: ExportSettings,
    targets: dict[Format, Path] | None = None,
    *,
    commit: bool = True,
    cache_dir: Path | None = None,
    elsewhere: RenderElsewhere | None = None,
) -> ExportResult:
    """Exports one file to `targets` (default: `settings`' formats and folder); failures become a one-line error.

    With `commit=False` the outputs are left staged in `result.staged` for `commit_outputs` (a worker
    process writes them; the CLI, which handles interrupts, puts them in place). Diagrams drawn by a renderer
    are kept in `cache_dir` (the build cache) when given. With `elsewhere`, the PDF of a document exported to
    more formats is rendered in another process while the others are rendered here (see `_render_formats`)."""
    result = ExportResult(source)
    name = STDIN_NAME if settings.stdin_folder else display_name(source)
    folder = settings.stdin_folder or source.parent
    reporter = Reporter(name, settings.suppressed)
    compared_names = settings.comparison is not None
    wanted = targets or {
        fmt: output_path(source, fmt, settings.output_dir, compared=compared_names) for fmt in settings.formats
    }
    resolver = ResourceResolver(
        folder,
        reporter,
        root=settings.asset_root,
        limits=settings.parse.limits,
        allow_remote=settings.allow_remote,
    )
    staged: list[StagedOutput] = []
    try:
        started = time.perf_counter()
        text = read_source(source, settings.parse.limits.input_bytes, reporter)
        result.input_sha256 = hashlib.sha256(source.read_bytes()).hexdigest()  # as sha256sum shows it
        document = parse(text, name, reporter, settings.parse)
        if settings.comparison is not None:
            document = _compared(document, source, settings.comparison, settings.parse, name)
        result.parse_seconds = time.perf_counter() - started
        # Before --strict, which reports on them.
        pictures = _diagram_pictures(document, settings, reporter, cache_dir, for_word="docx" in wanted)
        if (
            settings.strict is not None
            and settings.comparison is None
            and (problems := _strict_problems(document, text, folder, settings, reporter))
        ):
            return _stopped_by_check(result, problems, name)
        shown = build_presentation(document, settings.render.theme, pictures)  # decided once, read by every backend
        outcomes = _render_formats(list(wanted), document, shown, resolver, settings.render, elsewhere)
        for fmt, target in wanted.items():
            staged.append(_staged(fmt, target, outcomes[fmt], name, result.records))
        if commit:
            commit_staged(staged, name)
            result.outputs = [item.target for item in staged]
        else:
            result.staged = list(staged)
        staged.clear()  # in place or handed over: nothing left to clean up
    except ExportError as error:
        result.error = str(error)
    except RecursionError:
        result.error = str(ExportError(name, "document is nested too deeply to export"))
    finally:
        discard_staged(staged)  # a failure or an interrupt: the earlier outputs stay as they were
    if result.error:
        result.records.clear()
    result.diagnostics = list(reporter.diagnostics)
    result.dependencies = dict(resolver.dependencies)
    return result


def _compared(new: Document, source: Path, comparison: Comparison, options: ParseOptions, name: str) -> Document:
    """`new` compared with its old version: the old file, or the file in git at the revision."""
    from exporter.run.versions import compared, git_file_text  # the comparison's modules load only for one

    limit = options.limits.input_bytes
    if comparison.old_file is not None:
        old_text = read_source(comparison.old_file, limit, Reporter(display_name(comparison.old_file)))
    else:
        assert comparison.revision is not None
        old_text = git_file_text(source, comparison.revision, limit, name)
    return compared(new, old_text, comparison, options, name)


def commit_outputs(result: ExportResult, source_name: str) -> None:
    """Puts a worker's staged outputs in place, all together; on failure the result carries the error
    and the earlier outputs stay as they were."""
    staged, result.staged = result.staged, []
    if result.error:
        discard_staged(staged)
        return
    try:
        commit_staged(staged, source_name)
    except ExportError as error:
        result.error = str(error)
        result.records.clear()
    else:
        result.outputs = [item.target for item in staged]


def _diagram_pictures(
    document: Document, settings: ExportSettings, reporter: Reporter, cache_dir: Path | None, *, for_word: bool
) -> dict[CodeBlock, DiagramPicture]:
    """The document's Mermaid, Graphviz and PlantUML fences drawn (no renderer starts when it has none)."""
    if next(diagram_fences(document), None) is None:
        return {}
    limits = settings.parse.limits
    drawing = DrawingSettings(
        renderers=installed_renderers(),
        rasterize=rasterize,
        theme=render_theme_from(settings.render.theme, east_asian_region(document.language)),
        limits=RenderLimits(seconds=limits.diagram_seconds, memory_bytes=limits.diagram_memory_bytes),
        cache_dir=cache_dir,
        max_image_pixels=limits.image_pixels,
        pictures_for_word=for_word,
    )
    return draw_diagrams(document, drawing, reporter)


def _strict_problems(
    document: Document, text: str, folder: Path, settings: ExportSettings, reporter: Reporter
) -> list[Diagnostic]:
    """The check's findings that stop this document under --strict, found on the parse the export made."""
    from exporter.run.check import strict_problems

    assert settings.strict is not None
    required = settings.strict.required_sections
    lines = text.splitlines()
    return strict_problems(document, lines, folder, required, reporter.diagnostics, settings.suppressed)


def _stopped_by_check(result: ExportResult, problems: list[Diagnostic], name: str) -> ExportResult:
    """A document --strict stops: the problems are its diagnostics, and nothing of it is recorded as read."""
    result.error = str(ExportError(name, f"not exported: --strict and {len(problems)} error(s)"))
    result.diagnostics = problems
    result.input_sha256 = ""  # docs/report.md: null when a --strict check stopped the document
    return result


def _render_formats(
    formats: list[Format],
    document: Document,
    shown: Presentation,
    resolver: ResourceResolver,
    options: RenderOptions,
    elsewhere: RenderElsewhere | None,
) -> dict[Format, Rendered]:
    """Every format rendered, as if one after another in the order given: what the backends report reaches the
    resolver's reporter in that order, once, and the first failure in that order raises (the formats after it
    are not rendered, or not kept).

    With `elsewhere` and more than one format, the PDF, by far the longest, is rendered in another process from
    the same tree while the others are rendered here, so a document takes little longer than its PDF alone."""
    render = functools.partial(_rendered, document=document, shown=shown, resolver=resolver, options=options)
    split = "pdf" in formats and len(formats) > 1
    pending = elsewhere(functools.partial(render, "pdf")) if elsewhere is not None and split else None
    outcomes: dict[Format, Rendered] = {}
    first_failure = len(formats)
    try:
        for index, fmt in enumerate(formats):
            if fmt == "pdf" and pending is not None:
                continue
            outcomes[fmt] = render(fmt)
            if outcomes[fmt].error is not None:
                first_failure = index
                break
        if pending is not None and formats.index("pdf") < first_failure:
            outcomes["pdf"] = _awaited(pending, resolver.reporter.source)
    finally:
        if pending is not None:
            pending.cancel()
    for fmt in formats:
        outcome = outcomes[fmt]
        for item in outcome.diagnostics:
            resolver.reporter.warn(item.line, item.code, item.message, item.column)
        resolver.dependencies.update(outcome.dependencies)
        if outcome.error is not None:
            raise outcome.error
    return outcomes


def _awaited(pending: PendingRender, source_name: str) -> Rendered:
    try:
        return pending.result()
    except RenderCrashed as crash:
        return Rendered(error=ExportError(source_name, f"the export crashed ({crash.how}); no output written"))


def _rendered(
    fmt: Format, *, document: Document, shown: Presentation, resolver: ResourceResolver, options: RenderOptions
) -> Rendered:
    """One format rendered, with what its backend reported (on a reporter of its own, for `_render_formats` to
    pass on in order); a backend's failure is the outcome's error, not an exception."""
    reporter = resolver.reporter
    resolver.reporter = Reporter(reporter.source, reporter.suppressed)
    started = time.perf_counter()
    data, pages, failure = b"", None, None
    try:
        data, pages = _render(fmt, document, shown, resolver, options)
    except ExportError as error:
        failure = error
    except Exception as error:  # a backend bug must not take the batch down
        failure = ExportError(reporter.source, f"could not render {fmt.upper()}: {type(error).__name__}: {error}")
    finally:
        reported, resolver.reporter = resolver.reporter, reporter
    seconds = time.perf_counter() - started
    return Rendered(data, pages, seconds, tuple(reported.diagnostics), dict(resolver.dependencies), failure)


def _staged(fmt: Format, target: Path, outcome: Rendered, name: str, records: list[OutputRecord]) -> StagedOutput:
    """Writes a rendered format into a temporary file beside `target`, and records what was written."""
    started = time.perf_counter()
    staged = stage_output(target, outcome.data, name)
    digest = hashlib.sha256(outcome.data).hexdigest()
    seconds = outcome.seconds + time.perf_counter() - started
    records.append(OutputRecord(fmt, target, digest, len(outcome.data), outcome.pages, seconds))
    return staged


def _render(
    fmt: Format, document: Document, shown: Presentation, resolver: ResourceResolver, options: RenderOptions
) -> tuple[bytes, int | None]:
    """The file's bytes, and its page count where the format has fixed pages. A backend is imported only
    when its format is asked for."""
    match fmt:
        case "html":
            from exporter.render.html import render_html

            return render_html(document, resolver, options, shown).encode("utf-8"), None
        case "pdf":
            from exporter.render.pdf import render_pdf_with_pages

            return render_pdf_with_pages(document, resolver, options, shown)
        case "docx":
            from exporter.render.word.document import render_docx

            return render_docx(document, resolver, options, shown), None
        case _:
            assert_never(fmt)


def write_atomic(target: Path, data: bytes, source_name: str) -> None:
    """Writes through a temporary file in the same folder, so readers never see half a file."""
    commit_staged([stage_output(target, data, source_name)], source_name)


def stage_output(target: Path, data: bytes, source_name: str) -> StagedOutput:
    """Writes `data` to a new temporary file beside `target`, flushed to disk and with the mode any new
    file gets; the caller puts it in place with `commit_staged` or removes it with `discard_staged`."""
    prefix = f".{target.name}{TEMPORARY_MARK}{os.getpid()}."
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=prefix, suffix=".part", dir=target.parent)
    except OSError as error:
        raise ExportError(source_name, f"cannot write {printable(str(target))}: {error.strerror or error}") from None
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, 0o666 & ~_umask())  # mkstemp makes 0600; give the mode any new file gets
    except BaseException as error:
        Path(temporary).unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise ExportError(
                source_name, f"cannot write {printable(str(target))}: {error.strerror or error}"
            ) from None
        raise
    return StagedOutput(Path(temporary), target)


def commit_staged(staged: Sequence[StagedOutput], source_name: str) -> None:
    """Renames every staged file over its target in one short step that SIGINT and SIGTERM cannot
    split: an interrupt leaves a document's outputs all old or all new. Whatever is not put in place
    is removed."""
    remaining = list(staged)
    try:
        for item in remaining:
            if item.target.is_dir():  # the one rename that would fail after others succeeded
                raise ExportError(source_name, f"cannot write {printable(str(item.target))}: it is a folder")
        with interrupts_deferred():
            while remaining:
                os.replace(remaining[0].temporary, remaining[0].target)
                remaining.pop(0)
    except OSError as error:
        failed = printable(str(remaining[0].target))
        raise ExportError(source_name, f"cannot write {failed}: {error.strerror or error}") from None
    finally:
        discard_staged(remaining)


def discard_staged(staged: Iterable[StagedOutput]) -> None:
    for item in staged:
        item.temporary.unlink(missing_ok=True)


def remove_temporaries(targets: Iterable[Path], writer_pid: int) -> None:
    """Removes the temporary files process `writer_pid` left beside `targets` (a killed worker's)."""
    for folder, names in _by_folder(targets).items():
        for entry in _entries(folder):
            owner = _temporary_owner(entry.name, names)
            if owner == writer_pid and entry.is_file(follow_symlinks=False):
                Path(entry.path).unlink(missing_ok=True)


def remove_stale_temporaries(targets: Iterable[Path]) -> list[Path]:
    """Removes the temporary files beside `targets` that an earlier, killed run left; returns them.

    Only a file named as `stage_output` names them, for one of `targets`, is considered, and it is
    removed only when its writer provably is gone: no process has its pid any more, or the process
    that has it started after the file was last written."""
    removed: list[Path] = []
    for folder, names in _by_folder(targets).items():
        for entry in _entries(folder):
            owner = _temporary_owner(entry.name, names)
            if owner is None:
                continue
            try:
                if not entry.is_file(follow_symlinks=False):
                    continue
                if _writer_may_be_alive(owner, entry.stat(follow_symlinks=False).st_mtime):
                    continue
                os.unlink(entry.path)
            except OSError:
                continue
            removed.append(Path(entry.path))
    return removed


def _by_folder(targets: Iterable[Path]) -> dict[Path, set[str]]:
    folders: dict[Path, set[str]] = {}
    for target in targets:
        folders.setdefault(target.parent, set()).add(target.name)
    return folders


def _entries(folder: Path) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(folder) as entries:
            return list(entries)
    except OSError:
        return []


def _temporary_owner(file_name: str, target_names: set[str]) -> int | None:
    """The pid of the process that wrote `file_name`, if it is a temporary file for one of the targets."""
    match = _TEMPORARY_NAME.fullmatch(file_name)
    if match is None or match["target"] not in target_names:
        return None
    return int(match["pid"])


def _writer_may_be_alive(pid: int, modified: float) -> bool:
    if pid == os.getpid() or os.name != "posix":  # elsewhere, signal 0 would not merely probe the process
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True  # alive, someone else's; or a pid no process can have: not provably ours
    status = _process_status(pid)
    if status is None:
        return True
    state, started = status
    return state not in ("Z", "X") and started <= modified + START_TIME_SLACK_SECONDS  # a zombie writes nothing


def _process_status(pid: int) -> tuple[str, float] | None:
    """Process `pid`'s state letter and start as a Unix time, where /proc tells (Linux); else None."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace").rpartition(")")[2].split()
        ticks = int(fields[19])  # field 22, starttime: clock ticks after boot; fields[0] is field 3, the state
        since_boot = time.clock_gettime(time.CLOCK_BOOTTIME)
        return fields[0], time.time() - since_boot + ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, AttributeError):
        return None


def _umask() -> int:
    """The process umask (reading it means setting it; put it straight back)."""
    current = os.umask(0o022)
    os.umask(current)
    return current
