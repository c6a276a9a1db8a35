"""`--watch`: export again whenever a document, or anything it uses, changes; `serve` rebuilds the same way.

What counts comes from the last export: each document, the images it loaded (its dependencies), the theme,
logo and reference DOCX, the config file (and where a new one would be found), and for a folder input every
`.md` file below it. Folders are watched one by one, not recursively, so a document beside a big tree (`.git`,
`node_modules`) costs one watch, not thousands. Only those files count as changes: our own outputs, their
temporary files and the build cache never do, so a rebuild never triggers another.

Each rebuild is a whole export, settings and config read afresh; the build cache skips the documents whose
inputs did not change. The watcher is started again when the folders to watch change (a new image folder, a
new subfolder); once it is live, what changed before it could see (while the export ran) is caught by
comparing the inputs with what the export read.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from types import FrameType
from typing import NoReturn

import click
import watchfiles

from exporter.cli.commands import ExportRun, export_once
from exporter.cli.config import CONFIG_FILE_NAME
from exporter.cli.console import BatchConsole
from exporter.cli.settings import command_line_settings
from exporter.read.theme import load_theme
from exporter.run.batch import GLOB_CHARACTERS, Job, excluded
from exporter.run.cache import file_digest
from exporter.run.export import printable
from exporter.run.report import BatchSummary, DocumentEntry
from exporter.run.signals import Interrupted, interrupt_handlers_set, restore_handlers, swallowed_unreported

# Editors save in bursts (a temporary file, a rename, a chmod): changes are gathered until none came for
# STEP_MS, and for at most DEBOUNCE_MS, then rebuilt once.
STEP_MS = 200
DEBOUNCE_MS = 2_000
# How long the watcher waits before it says it is idle; the first such wake-up after it starts is when it is
# known to be watching (see `keep_exporting`).
IDLE_MS = 500
CONFIG_NAMES = (CONFIG_FILE_NAME, "pyproject.toml")

Build = Callable[[str], ExportRun]  # one export; the argument is the status line's verb, "exported" or "rebuilt"
Stamp = tuple[int, int, int] | None  # a file's mtime, size and inode; None when it is missing


def run_watch(ctx: click.Context, inputs: tuple[Path, ...], config_path: Path | None) -> NoReturn:
    """`designexport INPUTS --watch`: exports, then again on every change until Ctrl-C, which exits 0."""
    command_line = command_line_settings(ctx)  # `-` and `-o -` are refused by the first export: no streams here

    def build(verb: str) -> ExportRun:
        console = functools.partial(WatchConsole, verb=verb)
        return export_once(inputs, config_path, command_line, console)

    keep_exporting(build, inputs)
    click.echo("stopped watching", err=True)
    sys.exit(0)


def keep_exporting(build: Build, inputs: Sequence[Path], rebuilt: Callable[[ExportRun], None] | None = None) -> None:
    """Exports, then again after each change, calling `rebuilt` after every export; returns on Ctrl-C (or
    SIGTERM). A usage error in the first export ends the command as usual; in a later one (a config file
    saved half-edited) it is reported and watching goes on, as it does after a document fails."""
    with stop_requests() as requested:
        try:
            _ExportLoop(build, inputs, rebuilt or (lambda _run: None), requested).forever()
        except (KeyboardInterrupt, Interrupted):
            return


@contextlib.contextmanager
def stop_requests() -> Iterator[Callable[[], bool]]:
    """While the block runs, SIGINT and SIGTERM raise KeyboardInterrupt and are remembered; the callable
    it gives says whether one came. One raised where Python swallows it (in a finalizer, see
    `swallowed_unreported`) would otherwise be lost: the watcher asks at every wake-up. A signal ignored when the block
    begins (a watcher started in the background with `&`) stays ignored."""
    requested: list[int] = []

    def stop(signum: int, _frame: FrameType | None) -> None:
        requested.append(signum)
        raise KeyboardInterrupt

    previous = interrupt_handlers_set(stop)
    try:
        with swallowed_unreported(KeyboardInterrupt):
            yield lambda: bool(requested)
    finally:
        restore_handlers(previous)


class _ExportLoop:
    """The last export, and what to watch after it (which the watcher's filter reads as it changes)."""

    def __init__(
        self, build: Build, inputs: Sequence[Path], rebuilt: Callable[[ExportRun], None], stopped: Callable[[], bool]
    ) -> None:
        self.build = build
        self.inputs = inputs
        self.rebuilt = rebuilt
        self.stopped = stopped
        documents = _walk(_trees(inputs), None)[1]
        self.run = build("exported")
        rebuilt(self.run)
        self.watched = WatchedFiles.of(self.run, inputs)
        self.seen = self.watched.seen_by_export(documents, {})
        self.announced = False

    def forever(self) -> NoReturn:
        while True:
            self._watch(self.watched.folders)

    def _watch(self, folders: frozenset[Path]) -> None:
        """Rebuilds after each change, until the folders to watch are not these any more."""
        live = False
        changes_of = watchfiles.watch(
            *sorted(folders),
            watch_filter=self._matters,
            debounce=DEBOUNCE_MS,
            step=STEP_MS,
            rust_timeout=IDLE_MS,
            yield_on_timeout=True,
            recursive=False,
        )
        try:
            with contextlib.closing(changes_of):
                for changes in changes_of:
                    if self.stopped():
                        raise KeyboardInterrupt
                    if not changes:  # idle; the first time, the watcher is live: catch what it could not see
                        if live:
                            continue
                        live = True
                        self._announce()
                        if not self.watched.changed_since(self.seen):
                            continue
                    self._rebuild()
                    if self.watched.folders != folders:
                        return
        except FileNotFoundError:  # a folder went away before it could be watched: look again, after a pause
            self.watched = WatchedFiles.of(self.run, self.inputs, self.watched)
            time.sleep(IDLE_MS / 1000)

    def _matters(self, change: watchfiles.Change, path: str) -> bool:
        return self.watched.matters(change, Path(path))

    def _announce(self) -> None:
        if not self.announced:
            click.echo(f"watching {self.watched.describe()} for changes (Ctrl-C stops)")
            self.announced = True

    def _rebuild(self) -> None:
        """An export after a change; one that can't start (a broken config, an output collision) is reported,
        and the last export stands for what to watch."""
        # Before the export: a change from here on may come too late for it, and must count at the catch-up.
        documents, stamps = self.watched.documents_now(), self.watched.stamps_now()
        load_theme.cache_clear()  # a theme file is read once per process; it may have been edited
        try:
            self.run = self.build("rebuilt")
        except click.ClickException as error:
            click.echo(printable(f"{time.strftime('%H:%M:%S')} not rebuilt: {error.format_message()}"), err=True)
            return
        except SystemExit as error:  # the export said why before it exited (a report it could not write)
            click.echo(f"{time.strftime('%H:%M:%S')} not rebuilt (exit status {error.code})", err=True)
            return
        self.rebuilt(self.run)
        self.watched = WatchedFiles.of(self.run, self.inputs, self.watched)
        self.seen = self.watched.seen_by_export(documents, stamps)


# --- what is watched -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Seen:
    """The inputs as an export read them, to tell, when a watcher starts, whether one changed before it could
    see it (while the export ran, or between two watchers)."""

    documents: frozenset[Path]  # every .md file below the folder inputs, listed before the export
    digests: dict[Path, str | None]  # documents and images: the sha256 the export read (None: missing)
    stamps: dict[Path, Stamp]  # the config file, theme, logo and reference DOCX


@dataclass(frozen=True)
class WatchedFiles:
    """The files whose change means a rebuild, and the folders watched to see them (each without its subfolders).
    All paths are real (symlinks resolved), as the events name them."""

    files: frozenset[Path]  # documents, their images, theme, logo, reference DOCX, config (and where one could be)
    settings_files: frozenset[Path]  # of those, the config file (and where one could be), theme, logo, DOCX
    trees: tuple[Path, ...]  # folder inputs and glob roots: a .md file appearing below one is a new document
    exclude: tuple[str, ...]  # the --exclude patterns, so an excluded document's edit is no change
    outputs: frozenset[Path]  # what the exports write: never a change, even if it also matched the above
    output_dir: Path | None
    folders: frozenset[Path]
    dependencies: dict[str, frozenset[Path]]  # each document's files, kept from before while it fails
    digests: dict[Path, str | None]  # documents and images, as the export read them

    @classmethod
    def of(cls, run: ExportRun, inputs: Sequence[Path], before: WatchedFiles | None = None) -> WatchedFiles:
        dependencies = _dependencies(run.jobs, run.summary.entries, before.dependencies if before else {})
        trees = _trees(inputs)
        output_dir = _real(run.settings.output_dir) if run.settings.output_dir else None
        settings_files = {*map(_real, run.read_files), *_config_places(inputs)}
        files = {
            *(_real(job.source) for job in run.jobs),
            *(path for paths in dependencies.values() for path in paths),
            *settings_files,
        }
        outputs = frozenset(_real(target) for job in run.jobs for target in job.targets.values())
        files -= outputs
        folders = frozenset({*map(_nearest_folder, files), *_walk(trees, output_dir)[0]})
        digests = _digests(run.jobs, run.summary.entries)
        return cls(
            frozenset(files), frozenset(settings_files - outputs), trees, run.settings.exclude, outputs, output_dir,
            folders, dependencies, digests,
        )  # fmt: skip

    def matters(self, change: watchfiles.Change, path: Path) -> bool:
        """True when this change to `path` (from the watcher) can change what an export writes."""
        if path in self.outputs:
            return False
        if path in self.files:
            return True
        if change != watchfiles.Change.modified and any(path in file.parents for file in self.files):
            return True  # a folder on the way to a watched file came, went or was renamed
        for tree in self.trees:
            if not path.is_relative_to(tree):
                continue
            relative = path.relative_to(tree)
            if any(part.startswith(".") for part in relative.parts):
                return False  # hidden folders (.git, the build cache) hold no documents
            if path.suffix == ".md":
                return not excluded(PurePosixPath(relative.as_posix()), self.exclude)
            return path in self.folders or (change == watchfiles.Change.added and path.is_dir())
        return False

    def documents_now(self) -> frozenset[Path]:
        return _walk(self.trees, self.output_dir)[1]

    def stamps_now(self) -> dict[Path, Stamp]:
        return {path: _stamp(path) for path in self.settings_files}

    def seen_by_export(self, documents: frozenset[Path], stamps_before: dict[Path, Stamp]) -> Seen:
        """What the export that made these read: `documents` and `stamps_before` were taken before it ran (a
        settings file new to this export is taken as it is now)."""
        stamps = {path: stamps_before[path] if path in stamps_before else _stamp(path) for path in self.settings_files}
        return Seen(documents, self.digests, stamps)

    def changed_since(self, seen: Seen) -> bool:
        """True when a document or a file it uses is not as the last export read it."""
        return (
            self.documents_now() != seen.documents
            or any(file_digest(path) != digest for path, digest in seen.digests.items())
            or any(_stamp(path) != stamp for path, stamp in seen.stamps.items())
        )

    def describe(self) -> str:
        documents = len(self.dependencies)
        used = len({path for paths in self.dependencies.values() for path in paths})
        users = "it uses" if documents == 1 else "they use"
        return f"{documents} document{'s' * (documents != 1)} and {used} file{'s' * (used != 1)} {users}"


def _digests(jobs: Sequence[Job], entries: Iterable[DocumentEntry]) -> dict[Path, str | None]:
    """Each document and local image as the export read it, by sha256 (None: it was missing); a document not
    read (it failed early) is left out. Images are named relative to the document's folder, as it was named."""
    by_name = {job.name: job.source for job in jobs}
    digests: dict[Path, str | None] = {}
    for entry in entries:
        source = by_name.get(entry.source)
        if source is None or not entry.input_sha256:
            continue
        digests[_real(source)] = entry.input_sha256
        for key, digest in entry.dependencies.items():
            if "://" not in key:
                digests[_real(source.parent / key)] = digest
    return digests


def _dependencies(
    jobs: Sequence[Job], entries: Iterable[DocumentEntry], before: dict[str, frozenset[Path]]
) -> dict[str, frozenset[Path]]:
    """Each document's local dependencies (the images it loaded, even missing ones), from its latest export;
    a failed export read less than the document uses, so what was known before is kept too."""
    folders = {job.name: _real(job.source.parent) for job in jobs}
    found: dict[str, frozenset[Path]] = {}
    for entry in entries:
        if entry.source not in folders:
            continue
        local = frozenset(folders[entry.source] / key for key in entry.dependencies if "://" not in key)
        kept = before.get(entry.source, frozenset()) if entry.status == "failed" else frozenset()
        found[entry.source] = frozenset(map(_real, local)) | kept
    return found


def _tree(item: Path) -> Path | None:
    """The folder an input finds documents in: a folder itself, or a glob's part before its first wildcard."""
    if item.is_dir():
        return item
    if item.exists() or not GLOB_CHARACTERS & set(str(item)):
        return None
    root = item.parent
    while GLOB_CHARACTERS & set(str(root)):
        root = root.parent
    return root if root.is_dir() else None


def _config_places(inputs: Sequence[Path]) -> set[Path]:
    """Where a new config file would be found first: beside the first input (the search starts there)."""
    start = inputs[0] if inputs[0].is_dir() else inputs[0].parent
    return {_real(start) / name for name in CONFIG_NAMES}


def _trees(inputs: Iterable[Path]) -> tuple[Path, ...]:
    return tuple(dict.fromkeys(_real(tree) for item in inputs if (tree := _tree(item)) is not None))


def _walk(trees: Iterable[Path], output_dir: Path | None) -> tuple[frozenset[Path], frozenset[Path]]:
    """The folders that can hold documents of these trees (all but hidden ones and the output folder), and the
    .md files in them."""
    folders: set[Path] = set()
    documents: set[Path] = set()
    for tree in trees:
        for folder, subfolders, names in os.walk(tree):
            here = Path(folder)
            folders.add(here)
            documents.update(here / name for name in names if name.endswith(".md"))
            subfolders[:] = [name for name in subfolders if not name.startswith(".") and here / name != output_dir]
    return frozenset(folders), frozenset(documents)


def _nearest_folder(path: Path) -> Path:
    """The folder to watch for `path`: its own, or the nearest that exists if that folder does not (yet)."""
    for folder in path.parents:
        if folder.is_dir():
            return folder
    return Path(path.anchor)


def _real(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # a symlink loop: watch the name as given
        return path.absolute()


def _stamp(path: Path) -> Stamp:
    try:
        status = path.stat()
    except OSError:
        return None
    return status.st_mtime_ns, status.st_size, status.st_ino


# --- what is printed -------------------------------------------------------------------------------------------------


class WatchConsole(BatchConsole):
    """Prints a rebuild as each document's warnings and errors, then one status line:
    `12:04:31 rebuilt doc.md -> doc.{html,pdf,docx} (1.2 s, 2 warnings)`."""

    def __init__(
        self, total: int, quiet: bool, verbose: bool, *, verb: str = "rebuilt", show_outputs: bool = True
    ) -> None:
        super().__init__(total, quiet, verbose, interactive=False)  # no progress bar between status lines
        self.verb = verb
        self.show_outputs = show_outputs
        self.stems: dict[str, Path] = {}

    def job_finished(self, entry: DocumentEntry, job: Job) -> None:
        self.stems[entry.source] = job.stem
        if entry.status == "skipped" and not self.verbose:
            return  # unchanged: the status line says so
        shown = [item for item in entry.diagnostics if item.severity == "error" or not self.quiet]
        for line in (*map(str, shown), *([entry.error] if entry.error else [])):
            click.echo(printable(line), err=True)

    def finish(self, summary: BatchSummary) -> None:
        if not self.quiet or summary.count("failed"):
            click.echo(printable(self.status_line(summary)))

    def status_line(self, summary: BatchSummary) -> str:
        exported = [entry for entry in summary.entries if entry.status == "exported"]
        failed = [entry.source for entry in summary.entries if entry.status == "failed"]
        parts: list[str] = []
        if len(exported) == 1:
            parts.append(f"{self.verb} {exported[0].source}{self._written(exported[0])}")
        elif exported:
            parts.append(f"{self.verb} {len(exported)} documents")
        if failed:
            parts.append(f"failed {', '.join(failed[:3])}{f' and {len(failed) - 3} more' if len(failed) > 3 else ''}")
        if not parts:
            unchanged = summary.count("skipped")
            parts.append(f"up to date ({unchanged} document{'s' * (unchanged != 1)} unchanged)")
        details = [f"{summary.seconds:.1f} s"]
        errors = sum(1 for entry in summary.entries for item in entry.diagnostics if item.severity == "error")
        for count, noun in ((summary.warnings, "warning"), (errors, "error")):
            if count:
                details.append(f"{count} {noun}{'s' * (count != 1)}")
        return f"{time.strftime('%H:%M:%S')} {'; '.join(parts)} ({', '.join(details)})"

    def _written(self, entry: DocumentEntry) -> str:
        stem = self.stems.get(entry.source)
        if not self.show_outputs or stem is None or not entry.outputs:
            return ""
        suffixes = [record.format for record in entry.outputs]
        return f" -> {stem}.{suffixes[0]}" if len(suffixes) == 1 else f" -> {stem}.{{{','.join(suffixes)}}}"
