"""Profile the slowest corpus documents with pyinstrument, one whole `designexport` process each.

    python benchmarks/profile_slowest.py [--count 3] [--format pdf|html|docx|all]

Finds the slowest documents by a timed run, then writes a pyinstrument text profile per document
to benchmarks/results/profiles/ and prints where the time goes by layer: Python start-up and
imports, our code, and each library (WeasyPrint layout, WeasyPrint PDF writing, python-docx, ...).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus" / "docs"
RESULTS = ROOT / "benchmarks" / "results" / "profiles"
FORMAT_FLAGS = {"html": ["--html"], "pdf": ["--pdf"], "docx": ["--docx"], "all": ["--html", "--pdf", "--docx"]}
# Frames whose time is reported as one layer each (the first match on a profile line wins).
LAYERS = [
    ("WeasyPrint layout", "HTML.render"),
    ("WeasyPrint PDF writing", "Document.write_pdf"),
    ("WeasyPrint HTML parsing", "HTML.__init__"),
    ("glyph coverage check", "report_missing_glyphs"),
    ("our HTML rendering", "render_html"),
    ("our DOCX writer", "render_docx"),
    ("parsing Markdown", "  parse  exporter/read/markdown.py"),
    ("imports", "<module>  exporter/cli/commands.py"),
]


def designexport(document: Path, out: Path, fmt: str) -> list[str]:
    return [sys.executable, "-m", "exporter", str(document), "-o", str(out), "--force", "-q", *FORMAT_FLAGS[fmt]]


def timed(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=False, capture_output=True, env=env)
    return time.perf_counter() - started


def layer_seconds(profile: str) -> dict[str, float]:
    found: dict[str, float] = {}
    for label, needle in LAYERS:
        for line in profile.splitlines():
            if needle in line and (match := re.search(r"(\d+\.\d{3}) ", line)):
                found[label] = float(match.group(1))
                break
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=3, help="how many of the slowest documents to profile")
    parser.add_argument("--format", choices=sorted(FORMAT_FLAGS), default="all")
    args = parser.parse_args()
    documents = sorted(CORPUS.glob("*.md"))
    if not documents:
        print(f"no documents in {CORPUS}", file=sys.stderr)
        return 1
    RESULTS.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        env = {**os.environ, "XDG_CACHE_HOME": str(Path(scratch) / "cache")}
        out = Path(scratch) / "out"
        timings = sorted(((timed(designexport(doc, out, args.format), env), doc) for doc in documents), reverse=True)
        print(f"slowest {args.count} of {len(documents)} documents ({args.format}):")
        for seconds, document in timings[: args.count]:
            target = RESULTS / f"{document.stem}.{args.format}.txt"
            command = [sys.executable, "-m", "pyinstrument", "-o", str(target), "-m", "exporter"]
            command += designexport(document, out, args.format)[3:]
            subprocess.run(command, check=False, capture_output=True, env=env)
            profile = target.read_text(encoding="utf-8") if target.exists() else ""
            total = re.search(r"^(\d+\.\d{3}) <module>", profile, re.MULTILINE)
            print(f"\n{document.name}: {seconds:.2f} s wall; profile in {target.relative_to(ROOT)}")
            if total:
                print(f"  {'whole process (profiled)':28} {float(total.group(1)):7.2f} s")
            for label, spent in layer_seconds(profile).items():
                print(f"  {label:28} {spent:7.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
