"""Planning a batch: which Markdown files, where each output goes, and which shard exports what."""

from __future__ import annotations

import glob
import hashlib
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import pathspec

from exporter.model.diagnostics import Code, Diagnostic, ExportError
from exporter.render.options import Format
from exporter.run.export import DIFF_SUFFIX, display_name, relative_name
from exporter.safety.inputs import special_location

GLOB_CHARACTERS = frozenset("*?[")
CACHE_DIR_NAME = ".designexport-cache"


class PlanError(ValueError):
    """A batch that must not start: colliding outputs, an output over an input, a bad shard."""


@dataclass(frozen=True, slots=True)
class Source:
    path: Path
    relative: PurePosixPath  # where it sits under the folder or glob it came from; mirrored under -o
    root: Path | None = None  # that folder (a named file's own folder); a symlink may not lead out of it
    named: bool = False  # named on the command line, not found in a folder or by a pattern


@dataclass(frozen=True, slots=True)
class Job:
    source: Path
    name: str  # as the user would write it; not escaped, so printers escape it (exporter.run.export.printable)
    targets: dict[Format, Path]
    output_root: Path  # the -o folder, or the source's folder
    cache_dir: Path  # under the -o folder; without -o, in the user's cache, so doc folders stay clean

    @property
    def stem(self) -> Path:
        """The outputs' common path without a suffix, as the user sees it in messages."""
        return next(iter(self.targets.values())).with_suffix("")


@dataclass(frozen=True, slots=True)
class Gathered:
    """The documents the inputs name, and what the exclude patterns did to them."""

    sources: list[Source]  # to export: the documents found, less the excluded ones
    found: list[Source]  # every document the inputs name, excluded or not (--prune keeps their outputs)
    errors: list[str]  # inputs that named no document
    patterns: tuple[str, ...]  # the exclude patterns, as given
    unused: list[str]  # the patterns that matched no document: probably mistyped

    def everything_excluded(self) -> str | None:
        """The usage error for exclude patterns that leave nothing to do, or None."""
        if self.sources or not self.found or not self.patterns:
            return None
        used = [pattern for pattern in self.patterns if pattern not in self.unused]
        named = " and ".join(f"--exclude {pattern!r}" for pattern in used)
        count = len(self.found)
        verb = "excludes" if len(used) == 1 else "exclude"
        return f"{named} {verb} every input ({count} document{'s' * (count != 1)})"

    def warnings(self) -> list[str]:
        return [
            f"warning: --exclude {pattern!r} matches no document "
            "(patterns are tried relative to each input folder and to the working folder)"
            for pattern in self.unused
        ]


def collect_sources(inputs: Iterable[Path], exclude: Sequence[str] = ()) -> tuple[list[Source], list[str]]:
    """The documents to export and the inputs that named none; see `gather_sources`."""
    gathered = gather_sources(inputs, exclude)
    return gathered.sources, gathered.errors


def gather_sources(inputs: Iterable[Path], exclude: Sequence[str] = ()) -> Gathered:
    """Files as given, folders as their `*.md` files (recursively), glob patterns as their matches.

    Hidden folders (`.git`, `.github`) are skipped inside folders. `exclude` holds gitignore patterns
    (`drafts/`, `**/archive/**`, `*.draft.md`, `!keep.md`), each tried on the path below the folder or glob
    root and on the path below the working folder, so `drafts/**` and `docs/drafts/**` both skip
    `docs/drafts/x.md` when `docs/` is exported from its parent. Raises PlanError for a pattern that
    is not one."""
    rules = ExcludeRules(exclude)
    found: list[Source] = []
    kept: list[Source] = []
    errors: list[str] = []
    for item in inputs:
        if item.is_dir():
            named = [
                Source(path, PurePosixPath(path.relative_to(item).as_posix()), item)
                for path in sorted(item.rglob("*.md"))
                if not _hidden(path.relative_to(item)) and not path.is_dir()
            ]
            if not named:
                errors.append(str(ExportError(display_name(item), "folder holds no .md files")))
        elif not item.exists() and GLOB_CHARACTERS & set(str(item)):
            root = _glob_root(item)
            matches = sorted(Path(match) for match in glob.glob(str(item), recursive=True))
            named = [
                Source(path, PurePosixPath(path.relative_to(root).as_posix()), root)
                for path in matches
                if not path.is_dir()
            ]
            if not named:
                errors.append(str(ExportError(str(item), "pattern matches no files")))
        else:
            named = [Source(item, PurePosixPath(item.name), item.parent, named=True)]
        found.extend(named)
        kept.extend(
            source for source in named if not (exclude and rules.excludes(source.relative, _from_cwd(source.path)))
        )
    return Gathered(_unique(kept), _unique(found), errors, tuple(exclude), rules.unused())


def screen_sources(sources: Sequence[Source], follow_symlinks: bool = False) -> tuple[list[Source], list[Diagnostic]]:
    """The sources that may be read as documents, and a warning for each one refused.

    A document reached through a symlink whose real path leaves its folder (or glob root) is refused
    unless `follow_symlinks`; nothing under /proc, /sys or /dev, and nothing but a regular file, is
    ever read, however it is named."""
    kept: list[Source] = []
    refused: list[Diagnostic] = []
    for source in sources:
        try:
            real = source.path.resolve()
        except (OSError, RuntimeError):
            message = "skipped: a symlink loop"
            refused.append(Diagnostic(str(source.path), 0, Code.SYMLINK_LOOP, message))
            continue
        name = display_name(source.path)
        if special_location(real):
            message = f"skipped: it is a link to {real}, which is never read as a document"
            refused.append(Diagnostic(name, 0, Code.SPECIAL_FILE, message))
        elif not source.named and source.path.exists() and not source.path.is_file():  # a named one fails to read
            message = "skipped: not a regular file (a FIFO, socket or device would block or never end)"
            refused.append(Diagnostic(name, 0, Code.SPECIAL_FILE, message))
        elif not follow_symlinks and source.root is not None and _leaves(real, source.root):
            outside = display_name(source.root)
            message = f"skipped: it is a symlink to {real}, outside {outside}; --follow-symlinks allows it"
            refused.append(Diagnostic(name, 0, Code.SYMLINK_OUTSIDE, message))
        else:
            kept.append(source)
    return kept, refused


def _leaves(real: Path, root: Path) -> bool:
    """True when the file's real path is outside the folder it was found in (or named in)."""
    try:
        real_root = root.resolve()
    except (OSError, RuntimeError):
        return True
    return not real.is_relative_to(real_root)


class ExcludeRules:
    """Exclude patterns with gitignore's rules (a later `!pattern` takes a path back), remembering which
    patterns matched something."""

    def __init__(self, patterns: Sequence[str]) -> None:
        self.patterns = tuple(patterns)
        self.each: dict[str, pathspec.GitIgnoreSpec] = {}
        for pattern in self.patterns:
            try:
                self.each[pattern] = pathspec.GitIgnoreSpec.from_lines([pattern.removeprefix("!")])
            except ValueError:
                raise PlanError(f"--exclude {pattern!r}: error: not a valid gitignore pattern") from None
        self.spec = pathspec.GitIgnoreSpec.from_lines(self.patterns)
        self.matched: set[str] = set()

    def excludes(self, *paths: PurePosixPath | None) -> bool:
        """True when the patterns exclude the document under any of its names (None: no such name)."""
        names = [path.as_posix() for path in paths if path is not None]
        for pattern, spec in self.each.items():
            if pattern not in self.matched and any(spec.match_file(name) for name in names):
                self.matched.add(pattern)
        return any(self.spec.match_file(name) for name in names)

    def unused(self) -> list[str]:
        return [pattern for pattern in self.patterns if pattern not in self.matched]


def excluded(relative: PurePosixPath, patterns: Sequence[str]) -> bool:
    return ExcludeRules(patterns).excludes(relative)


def _from_cwd(path: Path) -> PurePosixPath | None:
    """The path below the working folder, as the user would write it there; None when it is not below it."""
    try:
        cwd = Path.cwd()
        pairs = ((Path(os.path.abspath(path)), cwd), (path.resolve(), cwd.resolve()))
    except (OSError, RuntimeError):  # the working folder is gone, or a symlink loop (refused later)
        return None
    for candidate, folder in pairs:
        if candidate.is_relative_to(folder):
            return PurePosixPath(candidate.relative_to(folder).as_posix())
    return None


def _hidden(relative: Path) -> bool:
    return any(part.startswith(".") for part in relative.parts[:-1])


def _glob_root(pattern: Path) -> Path:
    """The folder part of a pattern before its first wildcard: `docs/**/*.md` -> `docs`."""
    parts: list[str] = []
    for part in pattern.parts[:-1]:
        if GLOB_CHARACTERS & set(part):
            break
        parts.append(part)
    return Path(*parts) if parts else Path()


def _unique(sources: list[Source]) -> list[Source]:
    """Each file once, the first way it was named (a file inside a folder also given)."""
    seen: set[Path] = set()
    unique: list[Source] = []
    for source in sources:
        key = source.path.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(source)
    return unique


def plan_jobs(
    sources: Sequence[Source],
    formats: Sequence[Format],
    output_dir: Path | None,
    protected: Iterable[Path] = (),
    *,
    compared: bool = False,
) -> list[Job]:
    """One job per source, outputs mirrored under `output_dir`; refuses collisions, and outputs over an
    input (a document, or a `protected` file such as the theme or the config), before any work starts.
    `compared`: each document is compared with its old version, and written as doc.diff.pdf and so on."""
    jobs: list[Job] = []
    claimed: dict[Path, Path] = {}
    inputs = {source.path.resolve() for source in sources} | {path.resolve() for path in protected}
    for source in sources:
        root = source.path.parent if output_dir is None else output_dir
        base = root / (source.path.name if output_dir is None else Path(*source.relative.parts))
        base = base.with_suffix("")
        stem = base.name + (DIFF_SUFFIX if compared else "")
        targets: dict[Format, Path] = {fmt: base.with_name(f"{stem}.{fmt}") for fmt in formats}
        for target in targets.values():
            resolved = target.resolve()
            if output_dir is not None and not resolved.is_relative_to(output_dir.resolve()):
                # a symlinked subfolder in the output folder pointing elsewhere
                raise PlanError(
                    f"{display_name(source.path)}: error: its output {target} would land outside {output_dir}"
                )
            if resolved in inputs:
                raise PlanError(
                    f"{display_name(source.path)}: error: its output {target} would overwrite an input file"
                )
            if resolved in claimed and claimed[resolved] != source.path.resolve():
                raise PlanError(
                    f"{display_name(claimed[resolved])} and {display_name(source.path)} "
                    f"would both be written to {base}.*"
                )
            claimed[resolved] = source.path.resolve()
        cache_dir = output_dir / CACHE_DIR_NAME if output_dir is not None else _user_cache_dir(root)
        jobs.append(Job(source.path, relative_name(source.path), targets, root, cache_dir))
    return jobs


def check_report_path(report: Path, jobs: Sequence[Job], protected: Iterable[Path]) -> None:
    """Refuses a --report path that is an input (a document, the theme, the config...) or an output."""
    resolved = report.resolve()
    inputs = {job.source.resolve() for job in jobs} | {path.resolve() for path in protected}
    if resolved in inputs:
        raise PlanError(f"--report {report}: error: it would overwrite an input file")
    if any(resolved == target.resolve() for job in jobs for target in job.targets.values()):
        raise PlanError(f"--report {report}: error: it would overwrite an exported file")


def _user_cache_dir(folder: Path) -> Path:
    """$XDG_CACHE_HOME/designexport/<hash of the output folder>."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "designexport" / hashlib.sha256(str(folder.resolve()).encode()).hexdigest()[:24]


def parse_shard(text: str) -> tuple[int, int]:
    """`K/N` with 1 <= K <= N."""
    index, slash, count = text.partition("/")
    if not slash or not index.strip().isdigit() or not count.strip().isdigit():
        raise PlanError(f"--shard {text!r}: expected K/N, such as 2/5")
    k, n = int(index), int(count)
    if n < 1 or not 1 <= k <= n:
        raise PlanError(f"--shard {text!r}: K must be between 1 and N")
    return k, n


def shard(jobs: Sequence[Job], index: int, count: int) -> list[Job]:
    """The index-th (1-based) of `count` balanced slices, dealt round-robin over the jobs sorted by name.

    Every machine sees the same order whatever the input order, so the shards cover the set exactly once."""
    ordered = sorted(jobs, key=lambda job: (job.name, str(job.source)))
    return ordered[index - 1 :: count]
