"""The batch manifest (`--report report.json`): what was exported, from what, with which settings.

The schema is documented in docs/report.md and docs/report.schema.json; bump REPORT_SCHEMA on any
incompatible change.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import exporter
from exporter.model.diagnostics import Diagnostic
from exporter.run.export import OutputRecord, relative_name
from exporter.run.prune import PruneResult

REPORT_SCHEMA = "https://designexport.dev/schemas/report-1.json"
Status = Literal["exported", "skipped", "failed"]


@dataclass
class DocumentEntry:
    source: str
    status: Status
    outputs: list[OutputRecord] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    error: str = ""
    input_sha256: str = ""
    dependencies: dict[str, str | None] = field(default_factory=dict)
    seconds: float = 0.0
    parse_seconds: float = 0.0


@dataclass
class BatchSummary:
    entries: list[DocumentEntry] = field(default_factory=list)
    seconds: float = 0.0
    prune: PruneResult | None = None  # with --prune: what it removed and kept

    def count(self, status: Status) -> int:
        return Counter(entry.status for entry in self.entries)[status]

    @property
    def warnings(self) -> int:
        return sum(1 for entry in self.entries for item in entry.diagnostics if item.severity == "warning")

    def line(self) -> str:
        parts = [f"{self.count('exported')} exported", f"{self.count('skipped')} skipped"]
        parts += [f"{self.count('failed')} failed", f"{self.warnings} warning{'s' * (self.warnings != 1)}"]
        parts += [f"{len(self.prune.removed)} pruned"] if self.prune else []
        return f"{', '.join(parts)} in {self.seconds:.1f} s"


def report_json(summary: BatchSummary, options: dict[str, Any], input_errors: list[str]) -> str:
    document = {
        "$schema": REPORT_SCHEMA,
        "tool": {"name": "designexport", "version": exporter.__version__},
        "generated": _generated().isoformat(),
        "options": options,
        "input_errors": input_errors,
        "summary": {
            "documents": len(summary.entries),
            "exported": summary.count("exported"),
            "skipped": summary.count("skipped"),
            "failed": summary.count("failed"),
            "warnings": summary.warnings,
            "seconds": round(summary.seconds, 3),
            "pruned": len(summary.prune.removed) if summary.prune else 0,
        },
        "documents": [_entry_json(entry) for entry in summary.entries],
        "prune": summary.prune.as_json() if summary.prune else None,
    }
    return json.dumps(document, indent=2, ensure_ascii=False, default=str) + "\n"


def _generated() -> datetime.datetime:
    """SOURCE_DATE_EPOCH when set, so a reproducible build's report is reproducible too."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    if epoch.isdigit():
        return datetime.datetime.fromtimestamp(int(epoch), datetime.UTC)
    return datetime.datetime.now(datetime.UTC).replace(microsecond=0)


def _entry_json(entry: DocumentEntry) -> dict[str, Any]:
    return {
        "source": entry.source,
        "status": entry.status,
        "error": entry.error or None,
        "input_sha256": entry.input_sha256 or None,
        "dependencies": [
            {"path": path, "sha256": digest, "missing": digest is None}
            for path, digest in sorted(entry.dependencies.items())
        ],
        "outputs": [
            {
                "format": record.format,
                "path": relative_name(Path(record.path)),
                "sha256": record.sha256,
                "bytes": record.size,
                "pages": record.pages,
                "seconds": round(record.seconds, 3),
            }
            for record in entry.outputs
        ],
        "diagnostics": [{**dataclasses.asdict(item), "text": str(item)} for item in entry.diagnostics],
        "timings": {"total_seconds": round(entry.seconds, 3), "parse_seconds": round(entry.parse_seconds, 3)},
    }
