"""`--prune`: remove from the output folder what a deleted document left there, and nothing else.

A file is removed only when every piece of evidence says it is ours and orphaned:
- it lies inside the `-o` folder (never beside the inputs, where our outputs and the user's own files
  look alike), is a regular file, and is named `<stem>.html`, `.pdf` or `.docx`;
- no document the inputs name (excluded ones included) would be exported to `<stem>.*`;
- the build cache recorded writing it, and its bytes still have the sha256 recorded then (a file the
  user edited since is theirs now);
- the document the cache recorded it came from no longer exists (it may merely be outside this run's
  inputs).
A file that fails any of these is kept and reported with the reason. Temporary files an interrupted run
left are removed when their writer provably is gone (as `remove_stale_temporaries` decides), the
orphans' build-cache entries go with them, and folders the removals left empty are removed.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Literal

from exporter.render.options import FORMATS
from exporter.run.batch import CACHE_DIR_NAME, Source
from exporter.run.cache import entry_path, file_digest, read_entry
from exporter.run.export import TEMPORARY_MARK, display_name, relative_name, remove_stale_temporaries

OUTPUT_SUFFIXES = frozenset(f".{fmt}" for fmt in FORMATS)
PartKind = Literal["output", "temporary", "folder"]


@dataclass(frozen=True, slots=True)
class Removed:
    path: Path
    kind: PartKind


@dataclass(frozen=True, slots=True)
class Kept:
    path: Path
    reason: str


@dataclass
class PruneResult:
    removed: list[Removed] = field(default_factory=list)
    kept: list[Kept] = field(default_factory=list)

    def lines(self) -> list[str]:
        """What the log shows: `pruned out/old.pdf`, one line each, then the files kept and why."""
        shown = [f"pruned {display_name(item.path)}{'/' * (item.kind == 'folder')}" for item in self.removed]
        return shown + [f"kept {display_name(item.path)}: {item.reason}" for item in self.kept]

    def as_json(self) -> dict[str, Any]:
        return {
            "removed": [{"path": relative_name(item.path), "kind": item.kind} for item in self.removed],
            "kept": [{"path": relative_name(item.path), "reason": item.reason} for item in self.kept],
        }


def prune_refusal(output_dir: Path | None, shard: str | None) -> str | None:
    """Why --prune can't run with these settings, or None when it can."""
    if output_dir is None:
        return (
            "it needs -o DIR (without -o, outputs are written beside their documents, where designexport "
            "cannot tell its outputs from your own files)"
        )
    if shard:
        return (
            "it cannot be used with --shard (each shard writes its own output folder, merged afterwards; "
            "prune in one run without --shard over the merged folder)"
        )
    return None


def prune_outputs(output_dir: Path, documents: Sequence[Source], protected: Iterable[Path] = ()) -> PruneResult:
    """Removes the outputs of documents that no longer exist from `output_dir`, by the rules above.
    `documents`: every document the inputs name; `protected`: files this run reads (theme, config...)."""
    result = PruneResult()
    if not output_dir.is_dir():
        return result
    live = {_key(source.relative.with_suffix("").as_posix()) for source in documents}
    keep = {path.resolve() for path in protected} | {source.path.resolve() for source in documents}
    cache_dir = output_dir / CACHE_DIR_NAME
    emptied: set[Path] = set()
    for folder, names in _folders(output_dir):
        for name in names:
            path = folder / name
            stem = path.relative_to(output_dir).with_suffix("").as_posix()
            if path.suffix not in OUTPUT_SUFFIXES or _key(stem) in live:
                continue
            reason = _reason_to_keep(path, stem, output_dir, cache_dir, keep) or _remove(path)
            if reason is None:
                result.removed.append(Removed(path, "output"))
                emptied.add(folder)
                _remove_entry_if_orphaned(entry_path(cache_dir, stem), stem, output_dir)
            else:
                result.kept.append(Kept(path, reason))
        temporaries = _remove_stale_temporaries(folder, names, OUTPUT_SUFFIXES)
        result.removed += [Removed(path, "temporary") for path in temporaries]
        if temporaries:
            emptied.add(folder)
    if cache_dir.is_dir() and not cache_dir.is_symlink():
        _remove_stale_temporaries(cache_dir, _file_names(cache_dir), frozenset({".json"}))
        for entry_file in sorted(cache_dir.glob("*.json")):
            recorded = (read_entry(entry_file) or {}).get("output_stem")
            if (
                isinstance(recorded, str)
                and _key(recorded) not in live
                and entry_path(cache_dir, recorded) == entry_file
            ):
                _remove_entry_if_orphaned(entry_file, recorded, output_dir)  # its outputs were deleted by hand
    result.removed += [Removed(path, "folder") for path in _remove_empty_folders(emptied, output_dir)]
    return result


def _key(stem: str) -> str:
    """Outputs of a live document are never candidates, also on a case-insensitive file system."""
    return stem.casefold()


def _folders(output_dir: Path) -> Iterable[tuple[Path, list[str]]]:
    """Each folder under `output_dir` (itself included) with its file names, sorted. Symlinked folders are
    not entered and hidden ones are skipped (`.git` of a published branch, our cache): we write outputs
    into neither."""
    for folder, subfolders, files in os.walk(output_dir):
        subfolders[:] = sorted(name for name in subfolders if not name.startswith("."))
        yield Path(folder), sorted(files)


def _file_names(folder: Path) -> list[str]:
    try:
        return sorted(entry.name for entry in os.scandir(folder))
    except OSError:
        return []


def _reason_to_keep(path: Path, stem: str, output_dir: Path, cache_dir: Path, protected: set[Path]) -> str | None:
    """Why the output-like file `path` (its `stem` relative to the output folder) is not ours to remove."""
    if path.is_symlink() or not path.is_file():
        return "not a regular file, which designexport never writes"
    if path.resolve() in protected:
        return "this run reads it"
    entry = read_entry(entry_path(cache_dir, stem)) or {}
    record = _recorded_outputs(entry).get(path.suffix.removeprefix("."))
    if not isinstance(record, dict) or not record.get("sha256"):
        return "designexport has no record of writing it (no build-cache entry)"
    if file_digest(path) != record["sha256"]:
        return "changed since designexport wrote it"
    source = _recorded_source(entry, output_dir)
    if source is not None and source.exists():
        return f"its document {display_name(source)} still exists (outside this run's inputs)"
    return None


def _recorded_source(entry: dict[str, Any], output_dir: Path) -> Path | None:
    relative = entry.get("source_from_output")
    return output_dir / relative if isinstance(relative, str) and relative else None


def _remove(path: Path) -> str | None:
    try:
        path.unlink()
    except FileNotFoundError:
        return None
    except OSError as error:
        return f"could not be removed: {error.strerror or error}"
    return None


def _remove_stale_temporaries(folder: Path, names: Iterable[str], suffixes: frozenset[str]) -> list[Path]:
    """Our temporary files in `folder` whose writer is gone, for targets with these suffixes, whether the
    target's document still exists or not."""
    targets = set()
    for name in names:
        if name.startswith(".") and name.endswith(".part") and TEMPORARY_MARK in name:
            target = name[1:].rpartition(TEMPORARY_MARK)[0]
            if Path(target).suffix in suffixes:
                targets.add(folder / target)
    return sorted(remove_stale_temporaries(targets)) if targets else []


def _remove_entry_if_orphaned(entry_file: Path, stem: str, output_dir: Path) -> None:
    """Removes the build-cache entry of the outputs `stem`.* (no live document's) once none of the outputs it
    records is left and its document is gone; an output kept because it was edited keeps its entry, which
    says why."""
    entry = read_entry(entry_file)
    if entry is None:
        return
    source = _recorded_source(entry, output_dir)
    if source is not None and source.exists():
        return
    base = output_dir / PurePosixPath(stem)
    if any(base.with_name(f"{base.name}.{fmt}").exists() for fmt in _recorded_outputs(entry)):
        return
    entry_file.unlink(missing_ok=True)


def _recorded_outputs(entry: dict[str, Any]) -> dict[str, Any]:
    outputs = entry.get("outputs")
    return outputs if isinstance(outputs, dict) else {}


def _remove_empty_folders(folders: Iterable[Path], output_dir: Path) -> list[Path]:
    """Removes each folder the pruning emptied, and each parent that becomes empty, up to (not including)
    the output folder; returns them. A folder that still holds anything stays."""
    removed: list[Path] = []
    for folder in sorted(folders, key=lambda item: len(item.parts), reverse=True):
        current = folder
        while current != output_dir and current.is_relative_to(output_dir) and current not in removed:
            try:
                current.rmdir()
            except OSError:
                break
            removed.append(current)
            current = current.parent
    return removed
