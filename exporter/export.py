"""One document in, chosen formats out: read safely, parse once, render, write atomically."""

from __future__ import annotations

import codecs
import hashlib
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from exporter.diagnostics import Diagnostic, ExportError, Reporter
from exporter.limits import Limits
from exporter.options import RenderOptions
from exporter.parser import ParseOptions, parse
from exporter.resources import ResourceResolver
from exporter.tree import Document

Format = Literal["html", "pdf", "docx"]
FORMATS: tuple[Format, ...] = ("html", "pdf", "docx")
UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
Renderer = Callable[[Document, ResourceResolver, RenderOptions], "str | bytes"]


@dataclass(frozen=True, slots=True)
class ExportSettings:
    formats: tuple[Format, ...] = FORMATS
    output_dir: Path | None = None
    render: RenderOptions = field(default_factory=RenderOptions)
    parse: ParseOptions = field(default_factory=ParseOptions)
    asset_root: Path | None = None  # images may come from anywhere below it; default: the document's folder
    allow_remote: bool = False  # download http(s) images, never from private addresses


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


def display_name(path: Path) -> str:
    """The path as the user would recognise it: relative to the working folder when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def read_source(path: Path, max_bytes: int = Limits().input_bytes, reporter: Reporter | None = None) -> str:
    """The file's text, or an ExportError saying exactly why it can't be read."""
    name = display_name(path)
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
            reporter.warn(0, "encoding", "file is UTF-16; read it as such, but save it as UTF-8 for other tools")
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


def output_path(source: Path, fmt: Format, output_dir: Path | None) -> Path:
    return (output_dir or source.parent) / f"{source.stem}.{fmt}"


def _renderer(fmt: Format) -> Renderer:
    """Backends are imported only when their format is asked for."""
    match fmt:
        case "html":
            from exporter.backends.html import render_html

            return render_html
        case "pdf":
            from exporter.backends.pdf import render_pdf

            return render_pdf
        case "docx":
            from exporter.backends.word import render_docx

            return render_docx


def export_document(source: Path, settings: ExportSettings, targets: dict[Format, Path] | None = None) -> ExportResult:
    """Exports one file to `targets` (default: `settings`' formats and folder); failures become a one-line error."""
    result = ExportResult(source)
    name = display_name(source)
    reporter = Reporter(name)
    wanted = targets or {fmt: output_path(source, fmt, settings.output_dir) for fmt in settings.formats}
    resolver = ResourceResolver(
        source.parent,
        reporter,
        root=settings.asset_root,
        limits=settings.parse.limits,
        allow_remote=settings.allow_remote,
    )
    try:
        started = time.perf_counter()
        text = read_source(source, settings.parse.limits.input_bytes, reporter)
        result.input_sha256 = hashlib.sha256(source.read_bytes()).hexdigest()  # as sha256sum shows it
        document = parse(text, name, reporter, settings.parse)
        result.parse_seconds = time.perf_counter() - started
        for fmt, target in wanted.items():
            started = time.perf_counter()
            try:
                data, pages = _render(fmt, document, resolver, settings.render)
            except ExportError:
                raise
            except Exception as error:  # a backend bug must not take the batch down
                raise ExportError(name, f"could not render {fmt.upper()}: {type(error).__name__}: {error}") from None
            write_atomic(target, data, name)
            result.outputs.append(target)
            digest = hashlib.sha256(data).hexdigest()
            seconds = time.perf_counter() - started
            result.records.append(OutputRecord(fmt, target, digest, len(data), pages, seconds))
    except ExportError as error:
        result.error = str(error)
    except RecursionError:
        result.error = str(ExportError(name, "document is nested too deeply to export"))
    result.diagnostics = list(reporter.diagnostics)
    result.dependencies = dict(resolver.dependencies)
    return result


def _render(
    fmt: Format, document: Document, resolver: ResourceResolver, options: RenderOptions
) -> tuple[bytes, int | None]:
    """The file's bytes, and its page count where the format has fixed pages."""
    if fmt == "pdf":
        from exporter.backends.pdf import render_pdf_with_pages

        return render_pdf_with_pages(document, resolver, options)
    rendered = _renderer(fmt)(document, resolver, options)
    return (rendered.encode("utf-8") if isinstance(rendered, str) else rendered), None


def write_atomic(target: Path, data: bytes, source_name: str) -> None:
    """Writes through a temporary file in the same folder, so readers never see half a file."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    except OSError as error:
        raise ExportError(source_name, f"cannot write {target}: {error.strerror or error}") from None
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, 0o666 & ~_umask())  # mkstemp makes 0600; give the mode any new file gets
        os.replace(temporary, target)
    except BaseException as error:
        Path(temporary).unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise ExportError(source_name, f"cannot write {target}: {error.strerror or error}") from None
        raise


def _umask() -> int:
    """The process umask (reading it means setting it; put it straight back)."""
    current = os.umask(0o022)
    os.umask(current)
    return current
