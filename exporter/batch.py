"""Planning a batch: which Markdown files, where each output goes, and which shard exports what."""

from __future__ import annotations

import fnmatch
import glob
import hashlib
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from exporter.diagnostics import ExportError
from exporter.export import Format, display_name

GLOB_CHARACTERS = frozenset("*?[")
CACHE_DIR_NAME = ".designexport-cache"


class PlanError(ValueError):
    """A batch that must not start: colliding outputs, an output over an input, a bad shard."""


@dataclass(frozen=True, slots=True)
class Source:
    path: Path
    relative: PurePosixPath  # where it sits under the folder or glob it came from; mirrored under -o


@dataclass(frozen=True, slots=True)
class Job:
    source: Path
    name: str  # as shown to the user
    targets: dict[Format, Path]
    output_root: Path  # the -o folder, or the source's folder
    cache_dir: Path  # under the -o folder; without -o, in the user's cache, so doc folders stay clean

    @property
    def stem(self) -> Path:
        """The outputs' common path without a suffix, as the user sees it in messages."""
        return next(iter(self.targets.values())).with_suffix("")


def collect_sources(inputs: Iterable[Path], exclude: Sequence[str] = ()) -> tuple[list[Source], list[str]]:
    """Files as given, folders as their `*.md` files (recursively), glob patterns as their matches.

    Hidden folders (`.git`, `.github`) are skipped inside folders; `exclude` globs match the path below
    the folder or glob root (`drafts/*`, `**/archive/**`, `*.draft.md`)."""
    sources: list[Source] = []
    errors: list[str] = []
    for item in inputs:
        if item.is_dir():
            found = [
                Source(path, PurePosixPath(path.relative_to(item).as_posix()))
                for path in sorted(item.rglob("*.md"))
                if path.is_file() and not _hidden(path.relative_to(item))
            ]
            kept = [source for source in found if not excluded(source.relative, exclude)]
            if not found:
                errors.append(str(ExportError(display_name(item), "folder holds no .md files")))
            sources.extend(kept)
        elif not item.exists() and GLOB_CHARACTERS & set(str(item)):
            root = _glob_root(item)
            matches = sorted(Path(match) for match in glob.glob(str(item), recursive=True))
            found = [
                Source(path, PurePosixPath(path.relative_to(root).as_posix())) for path in matches if path.is_file()
            ]
            if not found:
                errors.append(str(ExportError(str(item), "pattern matches no files")))
            sources.extend(source for source in found if not excluded(source.relative, exclude))
        elif not excluded(PurePosixPath(item.name), exclude) and not excluded(_from_cwd(item), exclude):
            sources.append(Source(item, PurePosixPath(item.name)))
    return _unique(sources), errors


def excluded(relative: PurePosixPath, patterns: Sequence[str]) -> bool:
    text = relative.as_posix()
    for pattern in patterns:
        if fnmatch.fnmatchcase(text, pattern) or fnmatch.fnmatchcase(text, pattern.removeprefix("**/")):
            return True
        if "/" not in pattern and any(fnmatch.fnmatchcase(part, pattern) for part in relative.parts):
            return True
        if pattern.endswith("/**") and text.startswith(pattern.removesuffix("/**").removeprefix("**/") + "/"):
            return True
    return False


def _from_cwd(path: Path) -> PurePosixPath:
    """A named file's path as the user wrote it, relative to here, so `drafts/**` also skips `drafts/x.md`."""
    try:
        return PurePosixPath(path.resolve().relative_to(Path.cwd().resolve()).as_posix())
    except ValueError:
        return PurePosixPath(path.as_posix())


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


def plan_jobs(sources: Sequence[Source], formats: Sequence[Format], output_dir: Path | None) -> list[Job]:
    """One job per source, outputs mirrored under `output_dir`; refuses collisions before any work starts."""
    jobs: list[Job] = []
    claimed: dict[Path, Path] = {}
    inputs = {source.path.resolve() for source in sources}
    for source in sources:
        root = source.path.parent if output_dir is None else output_dir
        base = root / (source.path.name if output_dir is None else Path(*source.relative.parts))
        base = base.with_suffix("")
        targets: dict[Format, Path] = {fmt: base.with_name(f"{base.name}.{fmt}") for fmt in formats}
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
        jobs.append(Job(source.path, display_name(source.path), targets, root, cache_dir))
    return jobs


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
