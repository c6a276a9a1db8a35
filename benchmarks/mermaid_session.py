"""What Mermaid diagrams cost: the first one (a browser starts) against each further one (the same browser).

Run: .venv/bin/python benchmarks/mermaid_session.py [--runs N] [--diagrams N] [--json PATH].
Each measurement is a whole `designexport DOC --html` process with a cold diagram cache: a document with one
Mermaid diagram, then one with N (default 60) diagrams of every kind, median of N runs (default 3). Then the
N-diagram document is exported again in this process with the cache warm, counting what reaches the renderer.
Targets: N diagrams take under 3 x the time of the first diagram alone (one browser session for all of them),
and the warm rerun renders none. Exits 1 if a target is missed. It is a benchmark, not a test.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from exporter.diagram.external.installed import installed_renderers  # noqa: E402
from exporter.diagram.external.renderer import DiagramSource, RenderLimits, RenderOutcome, RenderTheme  # noqa: E402
from exporter.run.export import ExportSettings, export_document  # noqa: E402

DEFAULT_JSON = ROOT / "benchmarks" / "results" / "mermaid-session.json"
DESIGNEXPORT = Path(sys.executable).parent / "designexport"
MAX_RATIO = 3.0

# One diagram of each kind; the document cycles through them, each made distinct so that none is a cache hit.
KINDS = (
    "flowchart LR\n  A{n}[Client] --> B{n}{{Gateway}}\n  B{n} -->|retry| C{n}[(Ledger)]\n  B{n} --> D{n}[Audit]",
    "sequenceDiagram\n  Client->>API: charge #{n}\n  API->>Ledger: reserve\n  Ledger-->>API: ok\n  API-->>Client: 201",
    "classDiagram\n  class Payment{n} {{\n    +amount: Money\n    +retry()\n  }}\n  Payment{n} --> Ledger",
    "stateDiagram-v2\n  [*] --> Pending{n}\n  Pending{n} --> Settled\n  Pending{n} --> Failed\n  Failed --> [*]",
    "erDiagram\n  CUSTOMER{n} ||--o{{ ORDER : places\n  ORDER ||--|{{ LINE : contains",
    "gantt\n  title Rollout {n}\n  dateFormat YYYY-MM-DD\n  section Build\n  Design :a1, 2026-01-01, 10d\n"
    "  Ship :after a1, 5d",
    'pie title Traffic {n}\n  "EU" : 42\n  "US" : 38\n  "APAC" : 20',
    "mindmap\n  root((Retry {n}))\n    Backoff\n      Jitter\n    Limits",
    "timeline\n  title Releases {n}\n  2025 : Alpha\n  2026 : Beta : GA",
    'gitGraph\n  commit id: "base-{n}"\n  branch feature\n  commit\n  checkout main\n  merge feature',
)


def document(count: int) -> str:
    blocks = [f"## Diagram {n}\n\n```mermaid\n{KINDS[n % len(KINDS)].format(n=n)}\n```\n" for n in range(count)]
    return "# Mermaid session benchmark\n\n" + "\n".join(blocks)


def timed_export(text: str, runs: int) -> float:
    """Median wall seconds of a whole `designexport --html` process, each with an empty diagram cache."""
    seconds = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as folder:
            source = Path(folder) / "doc.md"
            source.write_text(text, encoding="utf-8")
            started = time.perf_counter()
            completed = subprocess.run(
                [str(DESIGNEXPORT), str(source), "--html", "-o", str(Path(folder) / "out")],
                capture_output=True,
                text=True,
                check=False,
                env={"PATH": "/usr/bin:/bin", "HOME": folder, "XDG_CACHE_HOME": folder},
            )
            seconds.append(time.perf_counter() - started)
            if completed.returncode != 0 or "diagram-" in completed.stderr:
                sys.exit(f"mermaid_session: export failed: {completed.stderr.strip()[:400]}")
    return statistics.median(seconds)


def rendered_when_warm(text: str) -> int:
    """How many diagrams reach the renderer when the same document is exported a second time with one cache."""
    renderer = installed_renderers()["mermaid"]
    original = renderer.render
    asked: list[int] = []

    def counting(sources: Sequence[DiagramSource], theme: RenderTheme, limits: RenderLimits) -> list[RenderOutcome]:
        asked.append(len(sources))
        return original(sources, theme, limits)

    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "doc.md"
        source.write_text(text, encoding="utf-8")
        settings = ExportSettings(formats=("html",), output_dir=Path(folder) / "out")
        export_document(source, settings, cache_dir=Path(folder) / "cache")
        renderer.render = counting  # type: ignore[method-assign]
        try:
            export_document(source, settings, cache_dir=Path(folder) / "cache")
        finally:
            renderer.render = original  # type: ignore[method-assign]
    return sum(asked)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--diagrams", type=int, default=60)
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON)
    args = parser.parse_args()
    missing = installed_renderers()["mermaid"].missing()
    if missing:
        sys.exit(f"mermaid_session: {missing}")
    first = timed_export(document(1), args.runs)
    many = timed_export(document(args.diagrams), args.runs)
    warm = rendered_when_warm(document(args.diagrams))
    each_further = (many - first) / max(args.diagrams - 1, 1)
    ratio = many / first
    rows = [
        ("first diagram alone (process, browser, one diagram)", f"{first:.2f} s", ""),
        (f"{args.diagrams} diagrams", f"{many:.2f} s", f"<= {MAX_RATIO:g} x first: {ratio:.2f} x"),
        ("each further diagram", f"{each_further * 1000:.0f} ms", ""),
        ("rendered again with the cache warm", str(warm), "0"),
    ]
    missed = ratio > MAX_RATIO or warm != 0
    for name, value, target in rows:
        print(f"{name:<55} {value:>10}  {target}")
    results: dict[str, Any] = {
        "diagrams": args.diagrams,
        "runs": args.runs,
        "first_seconds": first,
        "all_seconds": many,
        "each_further_seconds": each_further,
        "ratio": ratio,
        "max_ratio": MAX_RATIO,
        "rendered_when_warm": warm,
        "missed": missed,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.json}")
    sys.exit(1 if missed else 0)


if __name__ == "__main__":
    main()
