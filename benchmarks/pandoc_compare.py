"""designexport against pandoc: wall and CPU time, peak memory and output sizes, document by document.

Run: .venv/bin/python benchmarks/pandoc_compare.py [--runs N] [--docs GLOB] [--quick] [--json PATH].
It exports samples/*.md and ../shared/corpus/docs/*.md (read in place) to HTML, PDF, DOCX and all three in
one call, and, where pandoc is installed (pypandoc-binary, a dev dependency, brings one), runs
`pandoc -f gfm` on the same documents: to HTML (`-s`), to DOCX, and to PDF with `--pdf-engine=weasyprint`.
Every measurement is a whole process: one warm-up, then the median of N runs (default 3).
Targets, as wall-time ratios taken in the same run: all three formats in one call <= 0.5 x pandoc's three
calls added together, DOCX <= 0.5 x, HTML <= 0.3 x, PDF <= 0.8 x pandoc; `designexport --version`
<= 150 ms; peak RSS for the longest corpus document, all formats, <= 400 MiB; the longest sample repeated
10 times takes <= 12 x the time of the original, in every format. Exits 1 if a target is missed.
It is a benchmark, not a test; the numbers depend on the machine and on what else runs on it.
"""

from __future__ import annotations

import argparse
import fnmatch
import importlib.metadata
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
CORPUS = ROOT.parent / "shared" / "corpus" / "docs"
DEFAULT_JSON = ROOT / "benchmarks" / "results" / "pandoc-compare.json"
VENV_BIN = Path(sys.executable).parent  # not resolved: the venv's python is a symlink

FORMATS = ("html", "pdf", "docx")
KINDS = (*FORMATS, "all")
# designexport wall time / pandoc wall time, at most
RATIO_TARGETS = {"all": 0.5, "docx": 0.5, "html": 0.3, "pdf": 0.8}
VERSION_TARGET_MS = 150.0
RSS_TARGET_MIB = 400.0
SCALE_FACTOR = 10
SCALE_TARGET = 12.0  # time(10x) / time(1x), at most
VERSION_RUNS = 15
HIGH_LOAD = 1.0
QUICK_DOCS = 3


@dataclass
class Run:
    """One finished process: wall and CPU seconds, peak RSS in MiB, exit code and the tail of stderr."""

    wall: float
    cpu: float
    rss_mib: float
    returncode: int
    stderr: str = ""


@dataclass
class Measurement:
    """The timed runs (warm-up excluded) of one command, and the size of what it wrote."""

    runs: list[Run] = field(default_factory=list)
    output_bytes: int | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and bool(self.runs)

    def median(self, attribute: str) -> float:
        return statistics.median(getattr(run, attribute) for run in self.runs)

    def to_json(self) -> dict[str, Any]:
        if not self.ok:
            return {"ok": False, "error": self.error}
        return {
            "ok": True,
            "wall": round(self.median("wall"), 4),
            "cpu": round(self.median("cpu"), 4),
            "rss_mib": round(self.median("rss_mib"), 1),
            "output_bytes": self.output_bytes,
            "runs": [
                {"wall": round(r.wall, 4), "cpu": round(r.cpu, 4), "rss_mib": round(r.rss_mib, 1)} for r in self.runs
            ],
        }


def run_process(command: list[str], env: dict[str, str], cwd: Path, timeout: float) -> Run:
    """Run one command as its own process; wait4 gives that child's rusage (its reaped children included)."""
    with tempfile.TemporaryFile() as errors:
        start = time.perf_counter()
        process = subprocess.Popen(command, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=errors, stderr=errors)
        timer = threading.Timer(timeout, process.kill)
        timer.start()
        try:
            _, status, usage = os.wait4(process.pid, 0)
        finally:
            timer.cancel()
        wall = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)  # reaped here; keep Popen from waiting again
        errors.seek(0)
        stderr = errors.read().decode("utf-8", "replace")
    return Run(
        wall=wall,
        cpu=usage.ru_utime + usage.ru_stime,
        rss_mib=usage.ru_maxrss / 1024,  # KiB on Linux
        returncode=process.returncode,
        stderr=stderr[-2000:],
    )


class Bench:
    """Builds the designexport and pandoc commands and measures them."""

    def __init__(self, work: Path, designexport: list[str], pandoc: str | None, timeout: float) -> None:
        self.work = work
        self.designexport = designexport
        self.pandoc = pandoc
        self.timeout = timeout
        self.env = {key: value for key, value in os.environ.items() if key != "SOURCE_DATE_EPOCH"}
        self.env["XDG_CACHE_HOME"] = str(work / "xdg-cache")
        # pandoc's --pdf-engine=weasyprint runs the `weasyprint` executable: the venv's comes first
        self.env["PATH"] = os.pathsep.join([str(VENV_BIN), self.env.get("PATH", "")])
        self.counter = 0

    def fresh_dir(self) -> Path:
        self.counter += 1
        path = self.work / f"out-{self.counter}"
        path.mkdir()
        return path

    def designexport_command(self, doc: Path, kind: str, out: Path) -> list[str]:
        flags = ["--html", "--pdf", "--docx"] if kind == "all" else [f"--{kind}"]
        return [*self.designexport, str(doc), "-o", str(out), *flags, "--force", "-q"]

    def pandoc_command(self, doc: Path, kind: str, out: Path) -> list[str]:
        assert self.pandoc is not None
        command = [self.pandoc, "-f", "gfm", str(doc), "-o", str(out / f"x.{kind}"), f"--resource-path={doc.parent}"]
        if kind == "html":
            command.append("-s")
        elif kind == "pdf":
            command.append("--pdf-engine=weasyprint")
        return command

    def once(self, tool: str, doc: Path, kind: str) -> tuple[Run, int]:
        """One run in a fresh output folder; returns the run and the bytes of the outputs it was asked for."""
        out = self.fresh_dir()
        if tool == "designexport":
            command = self.designexport_command(doc, kind, out)
        else:
            command = self.pandoc_command(doc, kind, out)
        run = run_process(command, self.env, self.work, self.timeout)
        suffixes = {f".{f}" for f in (FORMATS if kind == "all" else (kind,))}
        outputs = [
            p for p in out.rglob("*") if p.is_file() and p.suffix in suffixes and ".designexport-cache" not in p.parts
        ]
        found = {p.suffix for p in outputs}
        if run.returncode == 0 and found != suffixes:
            run.returncode = -1000
            run.stderr = f"exit 0 but no {', '.join(sorted(suffixes - found))} output\n{run.stderr}"
        size = sum(p.stat().st_size for p in outputs)
        shutil.rmtree(out, ignore_errors=True)
        return run, size

    def measure(self, jobs: list[tuple[str, Path, str]], runs: int) -> dict[tuple[str, Path, str], Measurement]:
        """A warm-up of each job, then `runs` rounds that run every job once (interleaved, so drift hits all)."""
        results = {job: Measurement() for job in jobs}
        for round_index in range(runs + 1):
            for job in jobs:
                result = results[job]
                if result.error is not None:
                    continue
                run, size = self.once(*job)
                if run.returncode != 0:
                    lines = [line for line in run.stderr.strip().splitlines() if line.strip()]
                    result.error = f"exit {run.returncode}: {' | '.join(lines[-3:])[:400]}"
                    continue
                if round_index > 0:  # round 0 is the warm-up
                    result.runs.append(run)
                    result.output_bytes = size
        return results


def split_header(text: str) -> tuple[str, str]:
    """The title and metadata block at the top, and the body from the first second-level heading on."""
    lines = text.splitlines(keepends=True)
    start = 0
    if lines and lines[0].strip() == "---":  # YAML front matter
        end = next((i for i in range(1, len(lines)) if lines[i].strip() in ("---", "...")), None)
        start = 0 if end is None else end + 1
    for index in range(start, len(lines)):
        if re.match(r"#{2,6}\s", lines[index]):
            return "".join(lines[:index]), "".join(lines[index:])
    for index in range(start, len(lines)):  # no second-level heading: keep only a leading title line
        if lines[index].strip():
            if lines[index].startswith("# "):
                return "".join(lines[: index + 1]), "".join(lines[index + 1 :])
            break
    return "".join(lines[:start]), "".join(lines[start:])


def repeated(text: str, times: int) -> str:
    header, body = split_header(text)
    body = body.rstrip("\n") + "\n\n"
    return header + body * times


def find_pandoc(explicit: str | None) -> str | None:
    if explicit:
        return explicit
    try:
        import pypandoc

        return str(pypandoc.get_pandoc_path())
    except (ImportError, OSError):
        return shutil.which("pandoc")


def first_line(command: list[str]) -> str | None:
    try:
        completed = subprocess.run(command, capture_output=True, text=True, check=False, timeout=60)
    except OSError:
        return None
    lines = (completed.stdout or completed.stderr).strip().splitlines()
    return lines[0].strip() if completed.returncode == 0 and lines else None


def package_version(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def select_documents(patterns: list[str] | None, quick: bool) -> list[tuple[Path, str]]:
    docs = [(path, "sample") for path in sorted(SAMPLES.glob("*.md"))]
    docs += [(path, "corpus") for path in sorted(CORPUS.glob("*.md"))]
    if patterns:
        docs = [
            (path, origin)
            for path, origin in docs
            if any(fnmatch.fnmatch(path.name, p) or fnmatch.fnmatch(str(path), p) for p in patterns)
        ]
    elif quick:
        docs = sorted(docs, key=lambda item: item[0].stat().st_size)[:QUICK_DOCS]
        docs.sort(key=lambda item: (item[1] != "sample", item[0].name))
    return docs


def fmt_seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def fmt_ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def fmt_bytes(value: int | None) -> str:
    if value is None:
        return "-"
    return f"{value / 1024:.0f}K" if value < 10 * 1024 * 1024 else f"{value / 1024 / 1024:.1f}M"


def verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("PASS" if ok else "FAIL")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=None, help="timed runs per command after a warm-up (default 3)")
    parser.add_argument(
        "--docs", action="append", metavar="GLOB", help="only documents whose name or path matches (repeatable)"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"fast check: the {QUICK_DOCS} shortest documents (unless --docs), 1 run, 5 --version runs, "
        "scaling on the shortest sample; the targets are then only indicative",
    )
    parser.add_argument("--pandoc", metavar="PATH", help="pandoc executable (default: pypandoc-binary's, or PATH)")
    parser.add_argument("--timeout", type=float, default=900, help="seconds before a process is killed (default 900)")
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help=f"results file (default {DEFAULT_JSON})")
    args = parser.parse_args()
    runs = args.runs if args.runs is not None else (1 if args.quick else 3)
    if runs < 1:
        parser.error("--runs must be at least 1")
    version_runs = 5 if args.quick else VERSION_RUNS

    docs = select_documents(args.docs, args.quick)
    if not docs:
        sys.exit("pandoc_compare: no documents selected")
    installed = VENV_BIN / "designexport"
    designexport = [str(installed)] if installed.exists() else [sys.executable, "-m", "exporter"]
    pandoc = find_pandoc(args.pandoc)
    weasyprint = shutil.which("weasyprint", path=os.pathsep.join([str(VENV_BIN), os.environ.get("PATH", "")]))

    load_before = os.getloadavg()
    cpus = os.cpu_count()
    machine: dict[str, Any] = {
        "cpus": cpus,
        "cpus_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cpus,
        "load_average_before": [round(x, 2) for x in load_before],
        "platform": platform.platform(),
        "python": platform.python_version(),
        "designexport": first_line([*designexport, "--version"]),
        "pandoc": first_line([pandoc, "--version"]) if pandoc else None,
        "pandoc_path": pandoc,
        "pypandoc_binary": package_version("pypandoc-binary"),
        "weasyprint": first_line([weasyprint, "--version"]) if weasyprint else None,
    }
    print(
        f"{machine['designexport']}; {machine['pandoc'] or 'pandoc not found'}; {machine['weasyprint']}; "
        f"Python {machine['python']}; {cpus} CPUs; load average {load_before[0]:.2f}"
    )
    if load_before[0] > HIGH_LOAD:
        print(
            f"warning: load average {load_before[0]:.2f} before the start; other work on the machine skews the numbers"
        )
    if pandoc is None:
        print("pandoc not found (pip install pypandoc-binary): measuring designexport alone, no ratios")
    elif weasyprint is None:
        print("warning: no weasyprint executable on PATH; pandoc's PDF runs will fail")
    print(f"{len(docs)} documents, 1 warm-up + {runs} run(s) per command, medians; wall/CPU in seconds, RSS in MiB")

    checks: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="pandoc-compare-") as temporary:
        work = Path(temporary)
        bench = Bench(work, designexport, pandoc, args.timeout)

        # --- per document ----------------------------------------------------------------------------
        per_doc: dict[Path, dict[str, dict[str, Measurement]]] = {}
        header = (
            f"{'document':<44}{'fmt':<6}{'DE wall':>8}{'cpu':>7}{'RSS':>6}{'bytes':>8} |"
            f"{'PD wall':>8}{'cpu':>7}{'RSS':>6}{'bytes':>8} |{'ratio':>6}"
        )
        print()
        print(header)
        print("-" * len(header))
        for doc, _origin in docs:
            jobs = [("designexport", doc, kind) for kind in KINDS]
            if pandoc:
                jobs += [("pandoc", doc, kind) for kind in FORMATS]
            measured = bench.measure(jobs, runs)
            de = {kind: measured[("designexport", doc, kind)] for kind in KINDS}
            pd = {kind: measured[("pandoc", doc, kind)] for kind in FORMATS} if pandoc else {}
            per_doc[doc] = {"designexport": de, "pandoc": pd}
            for kind in KINDS:
                label = doc.name if kind == "html" else ""
                d = de[kind]
                left = (
                    f"{label[:43]:<44}{kind:<6}{fmt_seconds(d.median('wall')):>8}{fmt_seconds(d.median('cpu')):>7}"
                    f"{d.median('rss_mib'):>6.0f}{fmt_bytes(d.output_bytes):>8}"
                    if d.ok
                    else f"{label[:43]:<44}{kind:<6}{'FAILED':>29}"
                )
                p_wall, p_cpu, p_rss, p_bytes = pandoc_numbers(pd, kind)
                if not pd:
                    right = f"{'':>29}"
                elif p_wall is None:
                    right = f"{'FAILED':>29}"
                else:
                    right = (
                        f"{p_wall:>8.2f}{p_cpu:>7.2f}{p_rss:>6.0f}{fmt_bytes(p_bytes):>8}"
                        if p_cpu is not None
                        else f"{p_wall:>8.2f}{'':>21}"
                    )
                ratio = d.median("wall") / p_wall if d.ok and p_wall else None
                print(f"{left} |{right} |{fmt_ratio(ratio):>6}")
            for tool, results in (("designexport", de), ("pandoc", pd)):
                for kind, m in results.items():
                    if m.error:
                        print(f"  {tool} {kind} failed: {m.error}")

        # --- totals ----------------------------------------------------------------------------------
        totals: dict[str, Any] = {}
        failures: dict[str, list[str]] = {"designexport": [], "pandoc": []}
        for doc, results in per_doc.items():
            for tool, failed in failures.items():
                if any(not m.ok for m in results[tool].values()):
                    failed.append(doc.name)
        print()
        print(
            f"{'totals (sum of medians)':<26}{'docs':>5}{'DE wall':>9}{'DE cpu':>8}{'PD wall':>9}{'PD cpu':>8}"
            f"{'ratio':>7}{'target':>8}  verdict"
        )
        for kind in ("all", "docx", "html", "pdf"):
            included = [
                doc
                for doc, results in per_doc.items()
                if results["designexport"][kind].ok and pandoc_numbers(results["pandoc"], kind)[0] is not None
            ]
            de_wall = sum(per_doc[doc]["designexport"][kind].median("wall") for doc in included)
            de_cpu = sum(per_doc[doc]["designexport"][kind].median("cpu") for doc in included)
            pd_wall = sum(pandoc_numbers(per_doc[doc]["pandoc"], kind)[0] or 0.0 for doc in included)
            pd_cpu = sum(pandoc_numbers(per_doc[doc]["pandoc"], kind)[1] or 0.0 for doc in included)
            ratio = de_wall / pd_wall if pd_wall else None
            passed = None if ratio is None else ratio <= RATIO_TARGETS[kind]
            left_out = len(per_doc) - len(included)
            label = f"{kind}" + (" (1 call vs 3)" if kind == "all" else "")
            print(
                f"{label:<26}{len(included):>5}{de_wall:>9.2f}{de_cpu:>8.2f}{pd_wall:>9.2f}{pd_cpu:>8.2f}"
                f"{fmt_ratio(ratio):>7}{'<= ' + str(RATIO_TARGETS[kind]):>8}  {verdict(passed)}"
                + (f"  ({left_out} left out)" if left_out else "")
            )
            totals[kind] = {
                "documents": len(included),
                "left_out": left_out,
                "designexport_wall": round(de_wall, 3),
                "designexport_cpu": round(de_cpu, 3),
                "pandoc_wall": round(pd_wall, 3),
                "pandoc_cpu": round(pd_cpu, 3),
                "ratio": None if ratio is None else round(ratio, 3),
            }
            checks[f"ratio_{kind}"] = {
                "ratio": None if ratio is None else round(ratio, 3),
                "target": RATIO_TARGETS[kind],
                "pass": passed,
            }
        de_only = {
            kind: sum(r["designexport"][kind].median("wall") for r in per_doc.values() if r["designexport"][kind].ok)
            for kind in KINDS
        }
        print(
            "designexport alone, all documents that exported: "
            + ", ".join(f"{k} {v:.2f} s" for k, v in de_only.items())
        )
        if failures["pandoc"]:
            print(f"pandoc failed on {len(failures['pandoc'])} document(s): {', '.join(failures['pandoc'])}")
        if failures["designexport"]:
            print(
                f"designexport failed on {len(failures['designexport'])} document(s): "
                + ", ".join(failures["designexport"])
            )

        print()
        print("slowest designexport documents (median wall):")
        slowest: dict[str, list[dict[str, Any]]] = {}
        for kind in KINDS:
            ranked = sorted(
                (
                    (r["designexport"][kind].median("wall"), doc.name)
                    for doc, r in per_doc.items()
                    if r["designexport"][kind].ok
                ),
                reverse=True,
            )[:3]
            slowest[kind] = [{"document": name, "wall": round(wall, 3)} for wall, name in ranked]
            print(f"  {kind:<5} " + "; ".join(f"{name} {wall:.2f} s" for wall, name in ranked))

        # --- start-up ---------------------------------------------------------------------------------
        print()
        startup: dict[str, Any] = {}
        for flag in ("--version", "--help"):
            command = [*designexport, flag]
            run_process(command, bench.env, work, args.timeout)  # warm-up
            walls = [run_process(command, bench.env, work, args.timeout).wall * 1000 for _ in range(version_runs)]
            median = statistics.median(walls)
            startup[flag] = {"median_ms": round(median, 1), "min_ms": round(min(walls), 1), "runs": len(walls)}
            if flag == "--version":
                passed = median <= VERSION_TARGET_MS
                checks["version_ms"] = {"ms": round(median, 1), "target": VERSION_TARGET_MS, "pass": passed}
                print(
                    f"designexport --version  median {median:.0f} ms (min {min(walls):.0f}, {len(walls)} runs)"
                    f"  target <= {VERSION_TARGET_MS:.0f} ms  {verdict(passed)}"
                )
            else:
                print(f"designexport --help     median {median:.0f} ms (min {min(walls):.0f}, {len(walls)} runs)")

        # --- peak memory ------------------------------------------------------------------------------
        candidates = [doc for doc, origin in docs if origin == "corpus"] or [doc for doc, _ in docs]
        if not args.quick and not args.docs:
            candidates = sorted(CORPUS.glob("*.md")) or candidates
        longest = max(candidates, key=lambda p: p.stat().st_size)
        known = per_doc.get(longest, {}).get("designexport", {}).get("all")
        if known is None or not known.ok:
            known = bench.measure([("designexport", longest, "all")], runs)[("designexport", longest, "all")]
        memory: dict[str, Any] = {"document": longest.name, "bytes": longest.stat().st_size, **known.to_json()}
        if known.ok:
            peak = max(run.rss_mib for run in known.runs)
            passed = peak <= RSS_TARGET_MIB
            memory["peak_rss_mib"] = round(peak, 1)
            print(
                f"peak RSS, {longest.name} ({longest.stat().st_size // 1024} KiB), all formats: {peak:.0f} MiB"
                f"  target <= {RSS_TARGET_MIB:.0f} MiB  {verdict(passed)}"
            )
        else:
            passed = False
            print(f"peak RSS, {longest.name}: export failed ({known.error})  FAIL")
        checks["peak_rss_mib"] = {"mib": memory.get("peak_rss_mib"), "target": RSS_TARGET_MIB, "pass": passed}

        # --- scaling ----------------------------------------------------------------------------------
        samples = sorted(SAMPLES.glob("*.md"), key=lambda p: p.stat().st_size)
        base = samples[0] if args.quick else samples[-1]
        text = base.read_text(encoding="utf-8")
        scale_dir = work / "scale"
        scale_dir.mkdir()
        single, tenfold = scale_dir / f"{base.stem}.md", scale_dir / f"{base.stem}-x{SCALE_FACTOR}.md"
        single.write_text(text, encoding="utf-8")
        tenfold.write_text(repeated(text, SCALE_FACTOR), encoding="utf-8")
        jobs = [("designexport", path, kind) for kind in FORMATS for path in (single, tenfold)]
        measured = bench.measure(jobs, runs)
        print(
            f"scaling, {base.name} ({single.stat().st_size // 1024} KiB) and its body x{SCALE_FACTOR} "
            f"({tenfold.stat().st_size // 1024} KiB):"
        )
        scaling: dict[str, Any] = {
            "document": base.name,
            "bytes_1x": single.stat().st_size,
            "bytes_10x": tenfold.stat().st_size,
        }
        for kind in FORMATS:
            one, ten = measured[("designexport", single, kind)], measured[("designexport", tenfold, kind)]
            if one.ok and ten.ok:
                ratio = ten.median("wall") / one.median("wall")
                cpu_ratio = ten.median("cpu") / one.median("cpu")
                passed = ratio <= SCALE_TARGET
                print(
                    f"  {kind:<5} 1x {one.median('wall'):6.2f} s  {SCALE_FACTOR}x {ten.median('wall'):7.2f} s  "
                    f"ratio {ratio:5.2f} (cpu {cpu_ratio:5.2f}, RSS {one.median('rss_mib'):.0f} -> "
                    f"{ten.median('rss_mib'):.0f} MiB)  target <= {SCALE_TARGET:.0f}  {verdict(passed)}"
                )
            else:
                ratio, cpu_ratio, passed = None, None, False
                print(f"  {kind:<5} failed: {one.error or ten.error}  FAIL")
            scaling[kind] = {
                "1x": one.to_json(),
                "10x": ten.to_json(),
                "ratio": None if ratio is None else round(ratio, 3),
                "cpu_ratio": None if cpu_ratio is None else round(cpu_ratio, 3),
            }
            checks[f"scaling_{kind}"] = {"ratio": scaling[kind]["ratio"], "target": SCALE_TARGET, "pass": passed}

    load_after = os.getloadavg()
    machine["load_average_after"] = [round(x, 2) for x in load_after]
    missed = [name for name, check in checks.items() if check["pass"] is False]
    print()
    if missed:
        print(f"missed {len(missed)} of {len(checks)} targets: {', '.join(missed)}")
    else:
        print(f"all {sum(c['pass'] is True for c in checks.values())} measured targets met")
    if args.quick or args.docs:
        print("note: a subset of the documents; the targets are only indicative")
    if load_before[0] > HIGH_LOAD or load_after[0] > HIGH_LOAD:
        print(f"note: load average {load_before[0]:.2f} before, {load_after[0]:.2f} after; the ratios are skewed")

    results = {
        "benchmark": "pandoc_compare",
        "machine": machine,
        "runs": runs,
        "quick": args.quick,
        "documents": {
            doc.name: {
                "path": str(doc),
                "origin": origin,
                "bytes": doc.stat().st_size,
                "designexport": {kind: m.to_json() for kind, m in per_doc[doc]["designexport"].items()},
                "pandoc": {kind: m.to_json() for kind, m in per_doc[doc]["pandoc"].items()},
            }
            for doc, origin in docs
        },
        "totals": totals,
        "failures": failures,
        "slowest": slowest,
        "startup": startup,
        "memory": memory,
        "scaling": scaling,
        "checks": checks,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {args.json}")
    sys.exit(1 if missed else 0)


def pandoc_numbers(
    pd: dict[str, Measurement], kind: str
) -> tuple[float | None, float | None, float | None, int | None]:
    """pandoc's median wall, CPU, RSS and output bytes for a format; for "all", the three calls added up."""
    if not pd:
        return None, None, None, None
    parts = [pd[k] for k in (FORMATS if kind == "all" else (kind,))]
    if not all(m.ok for m in parts):
        return None, None, None, None
    return (
        sum(m.median("wall") for m in parts),
        sum(m.median("cpu") for m in parts),
        max(m.median("rss_mib") for m in parts),
        sum(m.output_bytes or 0 for m in parts),
    )


if __name__ == "__main__":
    main()
