"""Pandoc's inputs and outputs on top of the batch, which reads and writes files: `-o report.pdf` (one document
to one file, the format from its extension), `-o -` (to standard output) and `-` (from standard input).

The batch is not taught about streams. Standard input is copied into a private temporary folder and
exported from there as the one document `stdin`, its relative images resolved against --asset-root or the
working folder. A document for standard output is exported into that folder and copied out only once it
is complete, so a failure writes nothing; while the export runs, file descriptor 1 points at stderr, so no
message, worker or diagram renderer can write into the document. The folder goes when the command ends.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import click

from exporter.cli.console import BatchConsole
from exporter.cli.destination import EXTENSION_FORMATS, STANDARD_STREAM
from exporter.cli.settings import GivenSettings
from exporter.render.options import Format
from exporter.run.batch import GLOB_CHARACTERS, Job
from exporter.run.export import STDIN_NAME, ExportSettings

STDOUT = Path(STANDARD_STREAM)  # the output_file setting that means standard output
ConsoleType = Callable[[int, bool, bool], BatchConsole]


class StandardStreams:
    """Standard input's copy and standard output's document, for one command; the private folder holding them
    (mode 0700) is removed, and standard output given back, when the command's context closes."""

    def __init__(self, ctx: click.Context) -> None:
        self.workspace = Path(ctx.with_resource(tempfile.TemporaryDirectory(prefix="designexport-")))
        self._held = contextlib.ExitStack()
        ctx.call_on_close(self._held.close)
        self.holds_stdout = False
        self.stdout_is_terminal = False  # as it was before it was held

    def copy_stdin(self, max_bytes: int) -> Path:
        """Standard input, up to one byte past the input-bytes limit (so the export reports a larger one as
        over it without reading it all), in a file of the private folder."""
        copy = self.workspace / STDIN_NAME
        stream = sys.stdin.buffer if sys.stdin is not None else None
        copy.write_bytes(stream.read(max_bytes + 1) if stream is not None else b"")
        return copy

    def hold_stdout(self) -> bool:
        """From now until `deliver`, whatever is written to standard output goes to stderr; returns whether
        standard output was a terminal."""
        if not self.holds_stdout:
            self.stdout_is_terminal = sys.stdout is not None and sys.stdout.isatty()
            self._held.enter_context(_stdout_to_stderr())
            self.holds_stdout = True
        return self.stdout_is_terminal

    def deliver(self, jobs: Sequence[Job], exported: bool) -> None:
        """Gives standard output back and, when the export succeeded, writes the document to it."""
        self._held.close()
        if not self.holds_stdout or not exported or len(jobs) != 1:
            return
        [target] = jobs[0].targets.values()
        try:
            sys.stdout.buffer.write(target.read_bytes())
            sys.stdout.flush()
        except BrokenPipeError:  # the reader went away (`| head`); say so once, without a traceback
            _silence_stdout()
            click.echo("stdout: error: the reader closed standard output before the document was written", err=True)
            sys.exit(1)
        except OSError as error:
            click.echo(f"stdout: error: cannot write the document: {error.strerror or error}", err=True)
            sys.exit(1)


def standard_streams(ctx: click.Context, inputs: Sequence[Path], command_line: GivenSettings) -> StandardStreams | None:
    """The streams this command reads or writes (`-` as the input, `-o -`), or None when it uses neither."""
    if _reads_stdin(inputs) or command_line.settings.output_file == STDOUT:
        return StandardStreams(ctx)
    return None


@dataclass(frozen=True, slots=True)
class OutputRoute:
    """Where this export's one document comes from and goes, when that is not the batch's own way."""

    reads_stdin: bool = False
    output_file: Path | None = None  # one file, or STDOUT; None: the batch's way (next to inputs, or -o DIR)
    streams: StandardStreams | None = None

    def inputs(self, inputs: tuple[Path, ...], max_bytes: int) -> tuple[Path, ...]:
        """The files to export: standard input's copy in place of `-`."""
        if not self.reads_stdin:
            return inputs
        assert self.streams is not None
        return (self.streams.copy_stdin(max_bytes),)

    def export_settings(self, settings: ExportSettings) -> ExportSettings:
        if not self.reads_stdin:
            return settings
        return dataclasses.replace(settings, stdin_folder=(settings.asset_root or Path.cwd()).resolve())

    def jobs(self, jobs: list[Job], protected: set[Path]) -> list[Job]:
        """The planned job, sent to the one file or to standard output's staging file."""
        if self.output_file is None or len(jobs) != 1:
            return jobs
        [job] = jobs
        [fmt] = job.targets
        name = STDIN_NAME if self.reads_stdin else job.name
        if self.output_file == STDOUT:
            assert self.streams is not None
            staged = self.streams.workspace / "out" / f"{job.source.stem}.{fmt}"
            return [Job(job.source, name, {fmt: staged}, staged.parent, self.streams.workspace / "cache")]
        target = self.output_file
        if target.resolve() in {job.source.resolve(), *(path.resolve() for path in protected)}:
            raise click.UsageError(f"-o {target}: it would overwrite an input file")
        # A document from a file keeps its folder's build cache (entries are checked against every output's
        # digest before they are trusted); standard input's copy is new each time, so its cache goes with it.
        cache_dir = self.streams.workspace / "cache" if self.streams is not None else job.cache_dir
        return [Job(job.source, name, {fmt: target}, target.parent, cache_dir)]

    def console_type(self, default: ConsoleType) -> ConsoleType:
        return _StdoutConsole if self.output_file == STDOUT else default


def output_route(
    inputs: Sequence[Path], command_line: GivenSettings, given: GivenSettings, streams: StandardStreams | None
) -> tuple[GivenSettings, OutputRoute]:
    """The settings with the format `-o FILE` or `-o -` decides, and the route; a usage error when the inputs
    or formats don't fit the destination, before anything is read."""
    reads_stdin = _reads_stdin(inputs)
    if reads_stdin and len(inputs) > 1:
        raise click.UsageError("'-' (standard input) must be the only input")
    output_file = command_line.settings.output_file  # only the command line names a file; a config, a folder
    if reads_stdin and output_file is None:
        if command_line.settings.output_dir is not None:
            raise click.UsageError(
                f"-o {command_line.settings.output_dir}: a document from standard input has no name to give "
                "a file in a folder; use -o FILE or -o - (standard output)"
            )
        output_file = STDOUT  # as pandoc does
    if output_file is None:
        return given, OutputRoute()
    shown = "-o -" if output_file == STDOUT else f"-o {output_file}"
    if (reads_stdin or output_file == STDOUT) and streams is None:
        raise click.UsageError(f"{'- (standard input)' if reads_stdin else shown} works for one export, not --watch")
    _one_document(inputs, shown)
    asked = command_line.settings.formats if command_line.given("formats") else None
    formats = _single_format(output_file, asked, shown)
    if output_file == STDOUT:
        assert streams is not None
        if streams.hold_stdout() and formats != ("html",):
            raise click.UsageError("refusing to write binary output to a terminal; use -o FILE or redirect")
    settings = dataclasses.replace(given.settings, formats=formats, output_dir=None)
    return GivenSettings(settings, given.where), OutputRoute(reads_stdin, output_file, streams)


def _reads_stdin(inputs: Sequence[Path]) -> bool:
    return any(str(item) == STANDARD_STREAM for item in inputs)


def _one_document(inputs: Sequence[Path], shown: str) -> None:
    """`-o FILE` and `-o -` take one document: not several inputs, a folder or a pattern."""
    advice = "use -o DIR/ to write several documents into a folder"
    if len(inputs) > 1:
        raise click.UsageError(f"{shown} writes one document, but {len(inputs)} inputs were given; {advice}")
    [item] = inputs
    if item.is_dir():
        raise click.UsageError(f"{shown} writes one document, but {item} is a folder; {advice}")
    if not item.exists() and GLOB_CHARACTERS & set(str(item)):
        raise click.UsageError(f"{shown} writes one document, but {item} is a pattern; {advice}")


def _single_format(output_file: Path, asked: tuple[Format, ...] | None, shown: str) -> tuple[Format]:
    """The one format written: the file's extension's, or for standard output the one asked for (HTML unless
    -t or a format flag says otherwise, as pandoc does)."""
    listed = ", ".join(fmt.upper() for fmt in asked or ())
    if output_file == STDOUT:
        if asked is None:
            return ("html",)
        if len(asked) != 1:
            raise click.UsageError(f"{shown} writes one format, but {listed} were asked for; choose one with -t")
        return (asked[0],)
    fmt = EXTENSION_FORMATS[output_file.suffix.lower()]
    if asked is not None and asked != (fmt,):
        raise click.UsageError(
            f"{shown} writes {fmt.upper()} (from its extension), but the command line also asks for {listed}; "
            f"leave out -t and the format flags, or use -o DIR/ for several formats"
        )
    return (fmt,)


class _StdoutConsole(BatchConsole):
    """With `-o -`, standard output is the document's: the lines that go there (one per exported document) are
    left out; warnings and errors still go to stderr."""

    def _print(self, lines: Sequence[tuple[str, bool]]) -> None:
        super()._print([(text, to_stderr) for text, to_stderr in lines if to_stderr])


@contextlib.contextmanager
def _stdout_to_stderr() -> Iterator[None]:
    """Points standard output's file descriptor at stderr until the block ends (also for the worker processes
    and renderers started meanwhile); nothing when standard output is no file (a test runner's buffer)."""
    try:
        descriptor = sys.stdout.fileno()
        error_descriptor = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):
        yield
        return
    sys.stdout.flush()
    saved = os.dup(descriptor)
    os.dup2(error_descriptor, descriptor)
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, descriptor)
        os.close(saved)


def _silence_stdout() -> None:
    """After a broken pipe: standard output to /dev/null, so the interpreter's last flush doesn't complain."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
