"""The incremental build cache: skip a document whose inputs, settings and tool are all unchanged.

Entries are keyed by content hashes, not timestamps, so a fresh CI checkout (new mtimes) still hits.
Each entry is one JSON file written atomically, so concurrent runs never see half an entry, and an
entry that can't be read is treated as missing and rewritten.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

import exporter
from exporter.assets import asset_dir, walk_files
from exporter.diagram.external.installed import installed_renderers
from exporter.model.diagnostics import Diagnostic
from exporter.run.batch import Job
from exporter.run.export import ExportResult, ExportSettings, OutputRecord, remove_stale_temporaries, write_atomic

ENTRY_VERSION = 1
CACHEDIR_TAG = "Signature: 8a477f597d28d172789f06886806bc55\n# designexport's build cache; safe to delete.\n"


@dataclass(frozen=True, slots=True)
class CachedExport:
    """What an earlier run produced for a job, when every output is still current."""

    records: list[OutputRecord]
    diagnostics: list[Diagnostic]
    input_sha256: str
    dependencies: dict[str, str | None]


def file_digest(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


@cache
def tool_digest() -> str:
    """The version plus a hash of our code, templates and styles: editing any of them invalidates the cache."""
    digest = hashlib.sha256(exporter.__version__.encode())
    for folder in (files("exporter"), asset_dir("templates"), asset_dir("styles")):
        for relative, item in walk_files(folder):
            digest.update(relative.encode())
            digest.update(item.read_bytes())
    return digest.hexdigest()


def settings_digest(settings: ExportSettings) -> str:
    """Every setting that can change an output's bytes, plus the files those settings name; and those that
    decide whether a document is exported at all and what is said about it (--strict, --suppress)."""
    render = settings.render
    described = {
        "tool": tool_digest(),
        "parse": dataclasses.asdict(settings.parse),
        "paper": render.paper,
        "toc": render.toc,
        "pdf_variant": render.pdf_variant,
        "organization": render.organization,
        "logo": file_digest(render.logo) if render.logo else None,
        "theme": hashlib.sha256(render.theme.css.encode()).hexdigest(),
        "reference_docx": file_digest(render.reference_docx) if render.reference_docx else None,
        "watermark": render.watermark,
        "watermark_statuses": sorted(render.watermark_statuses),
        "source_date_epoch": os.environ.get("SOURCE_DATE_EPOCH", ""),
        "asset_root": str(settings.asset_root.resolve()) if settings.asset_root else None,
        "allow_remote": settings.allow_remote,
        "strict": dataclasses.asdict(settings.strict) if settings.strict else None,
        "suppressed": sorted(settings.suppressed),
        # Installing a diagram renderer changes documents that showed its diagrams as code.
        "diagram_renderers": {name: renderer.missing() for name, renderer in installed_renderers().items()},
    }
    return hashlib.sha256(json.dumps(described, sort_keys=True, default=str).encode()).hexdigest()


class BuildCache:
    """One cache folder (under the output folder, or beside the inputs when there is no -o)."""

    def __init__(self, settings_key: str) -> None:
        self.settings_key = settings_key

    def lookup(self, job: Job) -> CachedExport | None:
        """The earlier export, if its input, referenced files and every requested output are unchanged."""
        entry = self._read(job)
        if entry is None:
            return None
        try:
            if entry["settings"] != self.settings_key or entry["input_sha256"] != file_digest(job.source):
                return None
            for relative, digest in entry["dependencies"].items():
                if file_digest(job.source.parent / relative) != digest:
                    return None
            outputs = entry["outputs"]
            records: list[OutputRecord] = []
            for fmt, target in job.targets.items():
                saved = outputs.get(fmt)
                if saved is None or file_digest(target) != saved["sha256"]:
                    return None
                records.append(OutputRecord(fmt, target, saved["sha256"], saved["size"], saved["pages"], 0.0))
            diagnostics = [Diagnostic.from_record(item) for item in entry["diagnostics"]]
        except (KeyError, TypeError, AttributeError, ValueError):
            return None  # an entry from another version or a damaged one: rebuild
        return CachedExport(records, diagnostics, entry["input_sha256"], dict(entry["dependencies"]))

    def store(self, job: Job, result: ExportResult) -> None:
        """Remembers a successful export; formats exported earlier and still current are kept."""
        if result.error:
            return
        previous = self._read(job) or {}
        outputs: dict[str, Any] = {}
        if previous.get("settings") == self.settings_key and previous.get("input_sha256") == result.input_sha256:
            outputs.update(previous.get("outputs") or {})
        for record in result.records:
            outputs[record.format] = {"sha256": record.sha256, "size": record.size, "pages": record.pages}
        entry = {
            "version": ENTRY_VERSION,
            "source": job.name,
            # for --prune: which outputs these are, and whose (both relative to the output folder, so they
            # survive a moved checkout), to tell outputs of a deleted document from those of a live one
            "output_stem": _relative_stem(job),
            "source_from_output": _relative_source(job),
            "settings": self.settings_key,
            "input_sha256": result.input_sha256,
            "dependencies": result.dependencies,
            "outputs": outputs,
            "diagnostics": [dataclasses.asdict(item) for item in result.diagnostics],
        }
        folder = self._folder(job)
        try:
            self._prepare(folder)
            write_atomic(self._entry_path(job), json.dumps(entry, indent=1).encode(), job.name)
        except Exception:
            return

    def _read(self, job: Job) -> dict[str, Any] | None:
        return read_entry(self._entry_path(job))

    @staticmethod
    def _folder(job: Job) -> Path:
        return job.cache_dir

    def _entry_path(self, job: Job) -> Path:
        return entry_path(self._folder(job), _relative_stem(job))

    @staticmethod
    def _prepare(folder: Path) -> None:
        """Creates the folder with a CACHEDIR.TAG and a .gitignore, so backups and git leave it alone."""
        folder.mkdir(parents=True, exist_ok=True)
        for name, text in (("CACHEDIR.TAG", CACHEDIR_TAG), (".gitignore", "*\n")):
            marker = folder / name
            if not marker.exists():
                marker.write_text(text, encoding="utf-8")


def entry_path(cache_dir: Path, output_stem: str) -> Path:
    """The entry of the outputs `output_stem`.* (relative to the output folder, `/`-separated): named by
    their place under the output folder, so a moved checkout keeps its cache."""
    return cache_dir / f"{hashlib.sha256(output_stem.encode()).hexdigest()[:32]}.json"


def read_entry(path: Path) -> dict[str, Any] | None:
    """An entry as stored, or None when it is missing, damaged or from another version."""
    try:
        entry = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(entry, dict) or entry.get("version") != ENTRY_VERSION:
        return None
    return entry


def _relative_stem(job: Job) -> str:
    return job.stem.relative_to(job.output_root).as_posix()


def _relative_source(job: Job) -> str | None:
    try:
        return Path(os.path.relpath(os.path.abspath(job.source), os.path.abspath(job.output_root))).as_posix()
    except ValueError:  # on another drive (Windows)
        return None


def remove_stale_entry_temporaries(jobs: Sequence[Job]) -> list[Path]:
    """The half-written cache entries a killed run left (written like outputs: see exporter.run.export), removed
    when their writer is provably gone."""
    return remove_stale_temporaries(entry_path(job.cache_dir, _relative_stem(job)) for job in jobs)
