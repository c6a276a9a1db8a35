"""How fast a batch export of the 15 corpus documents is: one worker, two workers, and an unchanged rerun.

Run: .venv/bin/python benchmarks/batch_speed.py [--repeat N] [--json PATH]. Each run is a fresh
`designexport <docs> -o <out> --all` process. Targets: `-j 1` cold over `-j 2` cold at least 1.7
(on two or more cores), and `-j 2` cold over the warm rerun at least 20. Exits 1 if a target is missed.
It is a benchmark, not a test; the numbers depend on the machine and on what else runs on it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import exporter

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus" / "docs"
DEFAULT_JSON = ROOT / "benchmarks" / "results" / "batch-speed.json"
PARALLEL_TARGET = 1.7  # j1 / j2
CACHE_TARGET = 20.0  # cold j2 / warm


def export_seconds(docs: Path, out: Path, *flags: str) -> float:
    """Wall time of one CLI run, process start-up included; a non-zero exit aborts the benchmark."""
    env = {key: value for key, value in os.environ.items() if key != "SOURCE_DATE_EPOCH"}
    env["XDG_CACHE_HOME"] = str(out.parent / "xdg-cache")
    command = [sys.executable, "-m", "exporter", str(docs), "-o", str(out), "--all", "-q", *flags]
    start = time.perf_counter()
    completed = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if completed.returncode != 0:
        sys.exit(f"batch_speed: {' '.join(command)} exited {completed.returncode}:\n{completed.stderr}")
    return seconds


def cold(docs: Path, work: Path, jobs: int) -> float:
    out = work / f"out-j{jobs}"
    shutil.rmtree(out, ignore_errors=True)
    return export_seconds(docs, out, "-j", str(jobs), "--force")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1, help="cold runs per case; the median counts (default 1)")
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help=f"results file (default {DEFAULT_JSON})")
    args = parser.parse_args()
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    sources = sorted(CORPUS.glob("*.md"))
    if not sources:
        sys.exit(f"batch_speed: no corpus documents in {CORPUS}")

    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="batch-speed-") as temporary:
        work = Path(temporary)
        docs = work / "docs"
        docs.mkdir()
        for source in sources:
            shutil.copy(source, docs / source.name)
        j1 = [cold(docs, work, 1) for _ in range(args.repeat)]
        j2 = [cold(docs, work, 2) for _ in range(args.repeat)]
        warm = export_seconds(docs, work / "out-j2", "-j", "2")  # unchanged rerun after the last j2 run

    j1_median, j2_median = statistics.median(j1), statistics.median(j2)
    parallel, cached = j1_median / j2_median, j2_median / warm
    checks = {
        "parallel": {"ratio": round(parallel, 2), "target": PARALLEL_TARGET, "pass": parallel >= PARALLEL_TARGET},
        "cache": {"ratio": round(cached, 1), "target": CACHE_TARGET, "pass": cached >= CACHE_TARGET},
    }

    print(f"{len(sources)} corpus documents, --all, {args.repeat} cold run(s) per case (median), {os.cpu_count()} CPUs")
    print(f"{'case':<22}{'seconds':>10}")
    print(f"{'-j 1 cold':<22}{j1_median:>10.2f}")
    print(f"{'-j 2 cold':<22}{j2_median:>10.2f}")
    print(f"{'-j 2 warm (cached)':<22}{warm:>10.2f}")
    for name, label in (("parallel", "j1/j2"), ("cache", "cold/warm")):
        check = checks[name]
        verdict = "PASS" if check["pass"] else "FAIL"
        print(f"{label:<12}{check['ratio']:>8}  target >= {check['target']:<5} {verdict}")
    load_after = os.getloadavg()[0]
    if load_before > 1.0:
        print(f"note: load average {load_before:.1f} before the runs; other work on the machine skews the ratios")

    results = {
        "benchmark": "batch_speed",
        "version": exporter.__version__,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_average": {"before": round(load_before, 2), "after": round(load_after, 2)},
        "documents": len(sources),
        "repeat": args.repeat,
        "seconds": {
            "j1_cold": [round(s, 3) for s in j1],
            "j2_cold": [round(s, 3) for s in j2],
            "j2_warm": round(warm, 3),
        },
        "median_seconds": {"j1_cold": round(j1_median, 3), "j2_cold": round(j2_median, 3), "j2_warm": round(warm, 3)},
        "checks": checks,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.json}")
    sys.exit(0 if all(check["pass"] for check in checks.values()) else 1)


if __name__ == "__main__":
    main()
