"""What a batch prints: a progress bar on a terminal, one plain line per document in CI logs.

Every line is printed with unprintable characters escaped (`\\n`), so no file name or message can
start a line of its own, such as a forged `::error::` workflow command in CI."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import click

from exporter.run.batch import Job
from exporter.run.export import printable
from exporter.run.report import BatchSummary, DocumentEntry


class BatchConsole:
    """Prints progress and results; warnings and errors go to stderr, results to stdout."""

    def __init__(self, total: int, quiet: bool, verbose: bool, interactive: bool | None = None) -> None:
        self.total = total
        self.quiet = quiet
        self.verbose = verbose
        tty = sys.stderr.isatty() if interactive is None else interactive
        self.bar: Any = None
        if tty and not quiet and total > 1:
            self.bar = click.progressbar(
                length=total,
                label="Exporting",
                show_pos=True,
                show_eta=True,
                item_show_func=lambda job: printable(job.name) if job is not None else None,
                file=sys.stderr,
                width=24,
            )
            self.bar._is_atty = True  # decided above; click would look at the stream again
            self.bar.render_progress()

    def job_started(self, job: Job) -> None:
        if self.bar is not None:
            self.bar.current_item = job
            self.bar.render_progress()
        elif self.verbose:
            click.echo(f"exporting {printable(job.name)}", err=True)

    def job_finished(self, entry: DocumentEntry, job: Job) -> None:
        lines: list[tuple[str, bool]] = []
        shown = [
            item
            for item in entry.diagnostics
            if item.severity == "error" or (not self.quiet and (entry.status != "skipped" or self.verbose))
        ]
        lines += [(str(item), True) for item in shown]
        if entry.error:
            lines.append((entry.error, True))
        elif not self.quiet and (self.bar is None or self.verbose):
            lines.append((_result_line(entry, job, self.verbose), False))
        self._print(lines)
        if self.bar is not None:
            self.bar.update(1, job)

    def message(self, text: str) -> None:
        self._print([(text, True)])

    def stopped(self, text: str) -> None:
        """The last line of a run cut short: the bar is cleared and not drawn again."""
        if self.bar is not None:
            click.echo("\r\033[K", nl=False, err=True)
            self.bar = None
        click.echo(printable(text), err=True)

    def finish(self, summary: BatchSummary) -> None:
        if self.bar is not None:
            self.bar.current_item = None
            self.bar.render_finish()
        if not self.quiet and self.total > 1:
            click.echo(summary.line(), err=True)

    def _print(self, lines: Sequence[tuple[str, bool]]) -> None:
        if not lines:
            return
        if self.bar is not None:
            click.echo("\r\033[K", nl=False, err=True)  # clear the bar, print above it, draw it again
        for text, to_stderr in lines:
            click.echo(printable(text), err=to_stderr)
        if self.bar is not None:
            self.bar.render_progress()


def _result_line(entry: DocumentEntry, job: Job, verbose: bool) -> str:
    if entry.status == "skipped":
        return f"skipped  {entry.source} (unchanged)"
    suffixes = [record.format for record in entry.outputs]
    # One output by its own name (-o page.htm), several by what they share.
    written = str(entry.outputs[0].path) if len(suffixes) == 1 else f"{job.stem}.{{{','.join(suffixes)}}}"
    timing = f"{entry.seconds:.1f} s"
    if verbose:
        per_format = ", ".join(f"{record.format} {record.seconds:.2f} s" for record in entry.outputs)
        timing += f": parse {entry.parse_seconds:.2f} s, {per_format}"
    errors = sum(1 for item in entry.diagnostics if item.severity == "error")
    warnings = len(entry.diagnostics) - errors
    if errors:  # a diagram its renderer rejected: exported, shown as code
        timing += f", {errors} error{'s' * (errors != 1)}"
    if warnings:
        timing += f", {warnings} warning{'s' * (warnings != 1)}"
    return f"exported {entry.source} -> {written} ({timing})"
