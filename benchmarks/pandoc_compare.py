"""designexport against pandoc, WeasyPrint alone and its own floors: every target of issue 19, PASS or MISS.

Run: .venv/bin/python benchmarks/pandoc_compare.py [--runs N] [--docs GLOB]... [--quick] [--sections S,...]
[--json PATH]. It exports samples/*.md and ../shared/corpus/docs/*.md (read in place) to HTML, PDF, DOCX and
all three in one call, each a whole process, and measures beside them on the same document, interleaved
(round after round, the order reversed every other round, so load changes hit both sides):
  pandoc -f gfm to HTML (-s), to DOCX and to PDF (--pdf-engine=weasyprint); pypandoc-binary brings pandoc;
  the `weasyprint` command alone on the page and stylesheets designexport hands WeasyPrint for that PDF
    (captured from a real run by benchmarks/capture/, see weasyprint_capture.py; page counts checked equal);
  the HTML floor: python importing our parser and HTML backend and parsing the document, nothing else.
Then each format on the longest sample and on one corpus document made 10 times longer, `designexport
--version` (with `python -c pass`, the import floor and --help beside it), and the peak memory of all three
formats of the longest corpus document over the whole process tree.
Targets (issue 19), judged on wall-time medians of N runs (default 3) after a warm-up:
  DOCX alone <= 0.5 x pandoc's docx on every document; HTML alone <= 0.5 x pandoc's html; all three in one
  call <= 0.5 x pandoc's three calls added up; PDF alone <= 1.15 x WeasyPrint alone on our HTML (these three
  on the total of medians); 10 x longer <= 11 x the time, every format; --version <= 100 ms (median of 15);
  peak memory of the longest corpus document, all three formats, <= 300 MiB.
Prints every target with what was measured and PASS / MISS, writes the results as JSON (default
benchmarks/results/pandoc-compare.json) and exits 1 when a target is missed or could not be measured.
It is a benchmark, not a test; the numbers depend on the machine and on what else runs on it.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench_environment import find_pandoc, load_average, machine_info, versions
from bench_process import Measurement, Run, become_subreaper, run_process
from bench_selection import Document, memory_document, repeated, scaling_documents, select_documents
from bench_targets import (
    NOT_MEASURED,
    Pair,
    Row,
    exit_status,
    limit_row,
    ratio_row,
    scaling_row,
    skipped_row,
    table_lines,
)

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
CORPUS = ROOT.parent / "shared" / "corpus" / "docs"
DEFAULT_JSON = ROOT / "benchmarks" / "results" / "pandoc-compare.json"
CAPTURE_HOOK = ROOT / "benchmarks" / "capture"
VENV_BIN = Path(sys.executable).parent  # not resolved: the venv's python is a symlink
sys.path.insert(0, str(CAPTURE_HOOK))
import weasyprint_capture  # noqa: E402  (its folder is also the capture run's PYTHONPATH)

SCHEMA = 2  # of the JSON results; raise it when a key changes meaning
FORMATS = ("html", "pdf", "docx")
KINDS = (*FORMATS, "all")
# All three formats again into one output folder kept between runs, so drawn diagrams come from its build cache:
# a re-export's cost, measured on documents with diagram fences only (pandoc draws none of them).
WARM = "warm"
# Issue 19's targets.
DOCX_LIMIT = 0.5  # x pandoc's docx, on every document
HTML_LIMIT = 0.5  # x pandoc's html
ALL_LIMIT = 0.5  # x pandoc's three calls added up
PDF_FLOOR_LIMIT = 1.15  # x the weasyprint command alone on our page and stylesheets
SCALE_FACTOR = 10
SCALE_LIMIT = 11.0  # time(10 x longer) / time(1 x), every format
VERSION_LIMIT_MS = 100.0
VERSION_RUNS = 15
RSS_LIMIT_MIB = 300.0
MEMORY_RUNS = 2  # memory hardly varies; the peak over these runs is judged
MEMORY_SAMPLE_SECONDS = 0.02
# The corpus document made 10 x longer: mid-sized, with tables and code, no diagrams (identical diagrams are
# drawn once, by content, which would flatter the scaling); named, so that runs stay comparable.
SCALE_CORPUS_DOC = "rust-1252-open-options.md"
# The PDF size guard (--limit pdf-boxes, 30 000 by default) stops a 10 x longer sample; the benchmark measures
# how time grows, not the guard, so its runs lift it.
BENCH_LIMITS = ["--limit", "pdf-boxes=1000000"]
# The HTML floor: start-up, importing what the HTML path needs, and parsing.
PARSER_MODULE = "exporter.read.markdown"
HTML_BACKEND_MODULE = "exporter.render.html"
IMPORT_FLOOR = f"import {PARSER_MODULE}, {HTML_BACKEND_MODULE}"
PARSE_FLOOR = (
    f"import sys, pathlib, {PARSER_MODULE} as parser, {HTML_BACKEND_MODULE}; "
    "parser.parse(pathlib.Path(sys.argv[1]).read_text(encoding='utf-8'), sys.argv[1])"
)
SECTIONS = ("documents", "scaling", "startup", "memory")
HIGH_LOAD = 1.0
QUICK_DOCS = 2
DIAGRAM_FENCE = re.compile(r"^(?:```|~~~)\s*(mermaid|dot|graphviz|plantuml|puml)\b", re.MULTILINE)


@dataclass(frozen=True)
class Comparison:
    """One of our commands against a reference made of one or more commands (their times added up)."""

    key: str
    what: str
    ours: str  # designexport kind
    label: str  # the reference, as the tables name it
    reference: tuple[tuple[str, str], ...]  # (tool, kind) jobs
    limit: float | None  # None: informational
    every_document: bool = False


COMPARISONS = (
    Comparison(
        "docx_vs_pandoc", "DOCX alone vs pandoc's docx", "docx", "pandoc docx", (("pandoc", "docx"),), DOCX_LIMIT, True
    ),
    Comparison(
        "html_vs_pandoc", "HTML alone vs pandoc's html", "html", "pandoc html", (("pandoc", "html"),), HTML_LIMIT
    ),
    Comparison(
        "all_vs_pandoc",
        "all three in one call vs pandoc's three calls",
        "all",
        "pandoc x3, added",
        tuple(("pandoc", kind) for kind in FORMATS),
        ALL_LIMIT,
    ),
    Comparison(
        "pdf_vs_weasyprint",
        "PDF alone vs WeasyPrint alone on our HTML",
        "pdf",
        "weasyprint alone",
        (("weasyprint", "pdf"),),
        PDF_FLOOR_LIMIT,
    ),
    Comparison(
        "pdf_vs_pandoc_weasyprint",
        "PDF alone vs pandoc -> WeasyPrint",
        "pdf",
        "pandoc->weasypr.",
        (("pandoc", "pdf"),),
        None,
    ),
    Comparison(
        "all_warm_vs_pandoc",
        "all three, diagrams from the cache, vs pandoc's three calls",
        WARM,
        "pandoc x3, added",
        tuple(("pandoc", kind) for kind in FORMATS),
        None,
    ),
    Comparison(
        "html_vs_parse_floor", "HTML alone vs import+parse floor", "html", "import+parse", (("floor", "html"),), None
    ),
)

Job = tuple[str, Path, str]  # (tool, document, kind)


class Bench:
    """Builds the commands and measures them, each run in a fresh output folder."""

    def __init__(self, work: Path, designexport: list[str], pandoc: str | None, weasyprint: str | None, timeout: float):
        self.work = work
        self.designexport = designexport
        self.pandoc = pandoc
        self.weasyprint = weasyprint
        self.timeout = timeout
        self.env = {key: value for key, value in os.environ.items() if key != "SOURCE_DATE_EPOCH"}
        self.env["XDG_CACHE_HOME"] = str(work / "xdg-cache")
        # pandoc's --pdf-engine=weasyprint runs the `weasyprint` executable: the venv's comes first
        self.env["PATH"] = os.pathsep.join([str(VENV_BIN), self.env.get("PATH", "")])
        self.floors: dict[Path, dict[str, Any]] = {}  # per document: the captured WeasyPrint input
        self.counter = 0

    def fresh_dir(self, name: str = "out") -> Path:
        self.counter += 1
        path = self.work / f"{name}-{self.counter}"
        path.mkdir()
        return path

    def designexport_command(self, doc: Path, kind: str, out: Path) -> list[str]:
        flags = ["--html", "--pdf", "--docx"] if kind in ("all", WARM) else [f"--{kind}"]
        return [*self.designexport, str(doc), "-o", str(out), *flags, *BENCH_LIMITS, "--force", "-q"]

    def command(self, tool: str, doc: Path, kind: str, out: Path) -> tuple[list[str], Path]:
        """The command line and its working folder."""
        if tool == "designexport":
            return self.designexport_command(doc, kind, out), self.work
        if tool == "pandoc":
            assert self.pandoc is not None
            command = [
                self.pandoc,
                "-f",
                "gfm",
                str(doc),
                "-o",
                str(out / f"x.{kind}"),
                f"--resource-path={doc.parent}",
            ]
            if kind == "html":
                command.append("-s")
            elif kind == "pdf":
                command.append("--pdf-engine=weasyprint")
            return command, self.work
        if tool == "weasyprint":
            floor = self.floors[doc]
            assert self.weasyprint is not None
            folder = Path(floor["folder"])
            return [self.weasyprint, *floor["arguments"], weasyprint_capture.PAGE_FILE, str(out / "x.pdf")], folder
        if tool == "floor":
            return [sys.executable, "-c", PARSE_FLOOR, str(doc)], self.work
        raise ValueError(tool)

    def once(self, tool: str, doc: Path, kind: str) -> tuple[Run, int | None]:
        """One run; returns it and the bytes of the outputs it was asked for (a missing one fails the run),
        None for a command that writes none."""
        if kind == WARM:
            out = self.work / f"warm-{doc.stem}"  # its .designexport-cache stays from one run to the next
            if not out.exists():
                out.mkdir()
                command, cwd = self.command(tool, doc, kind, out)
                run_process(command, self.env, cwd, self.timeout)  # untimed: fills the cache
        else:
            out = self.fresh_dir()
        command, cwd = self.command(tool, doc, kind, out)
        run = run_process(command, self.env, cwd, self.timeout)
        suffixes = set() if tool == "floor" else {f".{f}" for f in (FORMATS if kind in ("all", WARM) else (kind,))}
        outputs = [
            p for p in out.rglob("*") if p.is_file() and p.suffix in suffixes and ".designexport-cache" not in p.parts
        ]
        found = {p.suffix for p in outputs}
        if run.returncode == 0 and found != suffixes:
            run.returncode = -1000
            run.stderr = f"exit 0 but no {', '.join(sorted(suffixes - found))} output\n{run.stderr}"
        size = sum(p.stat().st_size for p in outputs) if suffixes else None
        if kind == WARM:
            for path in outputs:
                path.unlink()
        else:
            shutil.rmtree(out, ignore_errors=True)
        return run, size

    def measure(self, jobs: list[Job], runs: int, warm_up: bool = True) -> dict[Job, Measurement]:
        """An optional warm-up round, then `runs` rounds, each running every job once; every other round in
        reverse order, so that neither side of a pair always runs first."""
        results = {job: Measurement() for job in jobs}
        rounds = runs + (1 if warm_up else 0)
        for round_index in range(rounds):
            for job in jobs if round_index % 2 == 0 else reversed(jobs):
                result = results[job]
                if result.error is not None:
                    continue
                run, size = self.once(*job)
                if run.returncode != 0:
                    lines = [line for line in run.stderr.strip().splitlines() if line.strip()]
                    result.error = f"exit {run.returncode}: {' | '.join(lines[-3:])[:400]}"
                    continue
                if round_index > 0 or not warm_up:
                    result.runs.append(run)
                    result.output_bytes = size
        return results

    def capture_floor(self, doc: Path) -> dict[str, Any]:
        """Runs `designexport DOC --pdf` once with the capture hook, then the `weasyprint` command once on what
        it captured, and compares their page counts. Untimed."""
        folder = self.fresh_dir("floor")
        out = self.fresh_dir()
        env = dict(self.env)
        env["DESIGNEXPORT_BENCH_CAPTURE"] = str(folder / "captured")
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(CAPTURE_HOOK), env.get("PYTHONPATH", "")) if p)
        run = run_process(self.designexport_command(doc, "pdf", out), env, self.work, self.timeout)
        record = weasyprint_capture.load(folder / "captured")
        ours = next(out.rglob("*.pdf"), None)
        if run.returncode != 0 or record is None or ours is None:
            why = f"designexport exit {run.returncode}" if run.returncode else "no WeasyPrint input captured"
            shutil.rmtree(out, ignore_errors=True)
            return {"ok": False, "error": why, "stderr": run.stderr[-400:]}
        record["pages_designexport"] = pdf_pages(ours)
        shutil.rmtree(out, ignore_errors=True)
        if self.weasyprint is None:
            return {**record, "ok": False, "error": "no weasyprint command"}
        check = self.fresh_dir()
        command = [self.weasyprint, *record["arguments"], weasyprint_capture.PAGE_FILE, str(check / "x.pdf")]
        alone = run_process(command, self.env, Path(record["folder"]), self.timeout)
        record["pages_weasyprint_alone"] = pdf_pages(check / "x.pdf") if alone.returncode == 0 else None
        shutil.rmtree(check, ignore_errors=True)
        problems = list(record["problems"])
        if alone.returncode != 0:
            problems.append(f"weasyprint alone: exit {alone.returncode}: {alone.stderr.strip()[-300:]}")
        elif record["pages_designexport"] != record["pages_weasyprint_alone"]:
            problems.append(
                f"{record['pages_designexport']} pages from designexport, "
                f"{record['pages_weasyprint_alone']} from weasyprint alone"
            )
        record["problems"] = problems
        record["ok"] = not problems
        if problems:
            record["error"] = "; ".join(problems)
        return record


def pdf_pages(path: Path) -> int | None:
    """The page count pdfinfo reports; None without pdfinfo."""
    try:
        completed = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=False, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    found = re.search(r"^Pages:\s+(\d+)", completed.stdout, re.MULTILINE)
    return int(found.group(1)) if found else None


def fmt_bytes(value: int | None) -> str:
    if value is None:
        return "-"
    return f"{value / 1024:.0f}K" if value < 10 * 1024 * 1024 else f"{value / 1024 / 1024:.1f}M"


def combined(measurements: list[Measurement]) -> tuple[float, float, float, int | None] | None:
    """Wall and CPU added up, the largest RSS and the bytes added up, of medians; None if any failed."""
    if not measurements or not all(m.ok for m in measurements):
        return None
    return (
        sum(m.median("wall") for m in measurements),
        sum(m.median("cpu") for m in measurements),
        max(m.median("rss_mib") for m in measurements),
        None if any(m.output_bytes is None for m in measurements) else sum(m.output_bytes or 0 for m in measurements),
    )


def cells(numbers: tuple[float, float, float, int | None] | None, error: str | None = None) -> str:
    if numbers is None:
        return f"{'FAILED' if error else '-':>30}"
    wall, cpu, rss, size = numbers
    return f"{wall:>8.2f}{cpu:>7.2f}{rss:>6.0f}{fmt_bytes(size):>9}"


DOCUMENT_HEADER = (
    f"{'':<2}{'fmt':<5}{'ours wall':>9}{'cpu':>7}{'RSS':>6}{'bytes':>9} | {'reference':<18}"
    f"{'wall':>8}{'cpu':>7}{'RSS':>6}{'bytes':>9} |{'ratio':>7}  target"
)


def document_lines(measured: dict[Job, Measurement], doc: Path, floor: dict[str, Any] | None) -> list[str]:
    lines = []
    for comparison in COMPARISONS:
        ours = measured.get(("designexport", doc, comparison.ours))
        parts = [measured.get((tool, doc, kind)) for tool, kind in comparison.reference]
        if ours is None or any(part is None for part in parts):
            continue  # not measured (no pandoc, no captured floor)
        references = [part for part in parts if part is not None]
        mine = combined([ours])
        theirs = combined(references)
        ratio = mine[0] / theirs[0] if mine and theirs and theirs[0] > 0 else None
        if comparison.limit is None:
            flag = "info"
        else:
            flag = f"<= {comparison.limit:.2f}" + (" over" if ratio is not None and ratio > comparison.limit else "")
        error = next((m.error for m in references if m.error), None)
        lines.append(
            f"{'':<2}{comparison.ours:<5}{cells(mine, ours.error)} | {comparison.label:<18}{cells(theirs, error)} |"
            f"{'-' if ratio is None else f'{ratio:.2f}':>7}  {flag}"
        )
    errors = sorted({f"{tool} {kind}: {m.error}" for (tool, d, kind), m in measured.items() if d == doc and m.error})
    lines += [f"    failed: {error}" for error in errors]
    for (tool, d, kind), m in measured.items():
        if d == doc and (killed := sum(run.killed for run in m.runs)):
            lines.append(f"    {tool} {kind}: {killed} process(es) still running after it ended, killed")
    if floor is not None and not floor.get("ok"):
        lines.append(f"    WeasyPrint-alone floor not usable: {floor.get('error')}")
    elif floor is not None:
        cpu = floor["cpu_seconds"]
        lines.append(
            f"    WeasyPrint inside our PDF run (CPU s): HTML parse {cpu['html_parse']:.2f}, layout "
            f"{cpu['layout']:.2f} in {floor['layout_passes']} pass(es), write_pdf {cpu['write_pdf']:.2f}; "
            f"{floor['pages_designexport']} pages, the same alone"
        )
    return lines


def document_jobs(doc: Path, bench: Bench) -> list[Job]:
    """Ours next to its references, so a pair runs close in time."""
    jobs: list[Job] = [("designexport", doc, "html")]
    if bench.pandoc:
        jobs.append(("pandoc", doc, "html"))
    jobs += [("floor", doc, "html"), ("designexport", doc, "docx")]
    if bench.pandoc:
        jobs.append(("pandoc", doc, "docx"))
    jobs.append(("designexport", doc, "pdf"))
    if bench.floors.get(doc, {}).get("ok"):
        jobs.append(("weasyprint", doc, "pdf"))
    if bench.pandoc:
        jobs.append(("pandoc", doc, "pdf"))
    jobs.append(("designexport", doc, "all"))
    if DIAGRAM_FENCE.search(doc.read_text(encoding="utf-8", errors="replace")):
        jobs.append(("designexport", doc, WARM))
    return jobs


def run_documents(
    bench: Bench, docs: list[Document], runs: int, warm_up: bool
) -> tuple[dict[Job, Measurement], dict[str, Any]]:
    measured: dict[Job, Measurement] = {}
    report: dict[str, Any] = {}
    print()
    print(f"per document: medians of {runs} run(s); wall and CPU in seconds, RSS of the largest process in MiB")
    print(DOCUMENT_HEADER)
    print("-" * len(DOCUMENT_HEADER))
    for doc, origin in docs:
        floor = bench.capture_floor(doc)
        bench.floors[doc] = floor
        results = bench.measure(document_jobs(doc, bench), runs, warm_up)
        measured.update(results)
        load = os.getloadavg()
        fences = len(DIAGRAM_FENCE.findall(doc.read_text(encoding="utf-8", errors="replace")))
        print(
            f"{doc.name} ({origin}, {doc.stat().st_size // 1024} KiB"
            + (f", {fences} diagram fences" if fences else "")
            + f"; load {load[0]:.1f})"
        )
        for line in document_lines(results, doc, floor):
            print(line)
        report[doc.name] = {
            "path": str(doc),
            "origin": origin,
            "bytes": doc.stat().st_size,
            "diagram_fences": fences,
            "load_average_after": [round(x, 2) for x in load],
            "designexport": {kind: m.to_json() for (tool, d, kind), m in results.items() if tool == "designexport"},
            "pandoc": {kind: m.to_json() for (tool, d, kind), m in results.items() if tool == "pandoc"},
            "weasyprint_alone": results[("weasyprint", doc, "pdf")].to_json()
            if ("weasyprint", doc, "pdf") in results
            else None,
            "parse_floor": results[("floor", doc, "html")].to_json(),
            "weasyprint_input": {key: value for key, value in floor.items() if key != "folder"},
        }
    return measured, report


def comparison_rows(measured: dict[Job, Measurement], docs: list[Document], bench: Bench) -> list[Row]:
    rows = []
    for comparison in COMPARISONS:
        pairs = []
        for doc, _origin in docs:
            if ("designexport", doc, comparison.ours) not in measured:
                continue  # a kind measured on some documents only (WARM)
            ours = measured[("designexport", doc, comparison.ours)]
            parts = [measured.get((tool, doc, kind)) for tool, kind in comparison.reference]
            complete = [part for part in parts if part is not None]
            theirs = combined(complete) if len(complete) == len(parts) else None
            pairs.append(
                Pair(
                    doc.name,
                    ours.wall(),
                    None if theirs is None else theirs[0],
                    ours.median("cpu") if ours.ok else None,
                    None if theirs is None else theirs[1],
                )
            )
        reference = comparison.label
        rows.append(
            ratio_row(
                comparison.key,
                comparison.what,
                comparison.limit,
                pairs,
                every_document=comparison.every_document,
                reference=reference,
            )
        )
    if not bench.pandoc:
        for row in rows:
            if row.data.get("reference", "").startswith("pandoc") and row.verdict == NOT_MEASURED:
                row.measured = "pandoc not found (pip install pypandoc-binary)"
    return rows


def run_scaling(
    bench: Bench, chosen: list[tuple[Path, str]], runs: int, warm_up: bool
) -> tuple[list[Row], dict[str, Any]]:
    rows: list[Row] = []
    report: dict[str, Any] = {}
    print()
    for doc, origin in chosen:
        text = doc.read_text(encoding="utf-8")
        folder = bench.fresh_dir("scale")
        single, longer = folder / doc.name, folder / f"{doc.stem}-x{SCALE_FACTOR}.md"
        single.write_text(text, encoding="utf-8")
        longer.write_text(repeated(text, SCALE_FACTOR), encoding="utf-8")
        jobs: list[Job] = [("designexport", path, kind) for kind in KINDS for path in (single, longer)]
        measured = bench.measure(jobs, runs, warm_up)
        print(
            f"{SCALE_FACTOR} x longer: {doc.name} ({single.stat().st_size // 1024} KiB -> "
            f"{longer.stat().st_size // 1024} KiB), load {os.getloadavg()[0]:.1f}"
        )
        entry: dict[str, Any] = {
            "document": doc.name,
            "bytes_1x": single.stat().st_size,
            "bytes_10x": longer.stat().st_size,
        }
        for kind in KINDS:
            one, ten = measured[("designexport", single, kind)], measured[("designexport", longer, kind)]
            row = scaling_row(
                f"scaling_{origin}_{kind}",
                f"{SCALE_FACTOR} x longer, {kind}, {doc.name}",
                SCALE_LIMIT,
                (one.median("wall"), one.median("cpu")) if one.ok else None,
                (ten.median("wall"), ten.median("cpu")) if ten.ok else None,
                one.error or ten.error,
            )
            row.data["document"] = doc.name
            rows.append(row)
            entry[kind] = {"1x": one.to_json(), "10x": ten.to_json(), "ratio": row.data.get("value")}
            print(f"  {kind:<5} {row.measured}  {row.verdict}")
        report[origin] = entry
    return rows, report


def run_startup(bench: Bench, runs: int) -> tuple[list[Row], dict[str, Any]]:
    """--version (judged), and beside it --help, bare interpreter start-up and the HTML import floor, interleaved."""
    commands = {
        "--version": [*bench.designexport, "--version"],
        "--help": [*bench.designexport, "--help"],
        "python -c pass": [sys.executable, "-c", "pass"],
        "import floor": [sys.executable, "-c", IMPORT_FLOOR],
    }
    walls: dict[str, list[float]] = {name: [] for name in commands}
    cpus: dict[str, list[float]] = {name: [] for name in commands}
    failed: dict[str, str] = {}
    for round_index in range(runs + 1):
        for name, command in commands.items():
            run = run_process(command, bench.env, bench.work, bench.timeout)
            if run.returncode != 0:
                failed[name] = run.stderr.strip()[-300:]
            elif round_index > 0:
                walls[name].append(run.wall * 1000)
                cpus[name].append(run.cpu * 1000)
    report: dict[str, Any] = {
        name: {
            "median_ms": round(statistics.median(values), 1),
            "min_ms": round(min(values), 1),
            "cpu_median_ms": round(statistics.median(cpus[name]), 1),
            "runs": len(values),
        }
        if values and name not in failed
        else {"error": failed.get(name, "no runs")}
        for name, values in walls.items()
    }
    version = report["--version"].get("median_ms")
    others = ", ".join(
        f"{name} {entry['median_ms']:.0f} ms" if "median_ms" in entry else f"{name} failed"
        for name, entry in report.items()
        if name != "--version"
    )
    measured = (
        f"median {version:.0f} ms (min {report['--version']['min_ms']:.0f}, cpu "
        f"{report['--version']['cpu_median_ms']:.0f}, {runs} runs); {others}"
        if version is not None
        else f"failed: {report['--version'].get('error')}"
    )
    row = limit_row(
        "version_ms",
        "designexport --version",
        version,
        VERSION_LIMIT_MS,
        "ms",
        measured,
        "wall, median",
        {"runs": runs},
    )
    floor = report["import floor"]
    info = Row(
        "import_floor_ms",
        "HTML import floor",
        "info",
        f"median {floor['median_ms']:.0f} ms (cpu {floor['cpu_median_ms']:.0f}): python -c '{IMPORT_FLOOR}'"
        if "median_ms" in floor
        else f"failed: {floor.get('error')}",
        "info",
        "wall, median",
        {"value": floor.get("median_ms")},
    )
    return [row, info], report


def run_memory(bench: Bench, doc: Path, runs: int) -> tuple[Row, dict[str, Any]]:
    """Peak memory of all three formats of `doc`, over the whole process tree: judged is the larger of the
    largest single process's peak RSS (wait4, exact) and the sampled peak of the tree's summed PSS."""
    samples = []
    error = None
    for _ in range(runs):
        out = bench.fresh_dir()
        run = run_process(
            bench.designexport_command(doc, "all", out), bench.env, bench.work, bench.timeout, MEMORY_SAMPLE_SECONDS
        )
        shutil.rmtree(out, ignore_errors=True)
        if run.returncode != 0:
            error = run.stderr.strip()[-300:]
            break
        samples.append(run)
    what = f"peak memory, all three formats, {doc.name}"
    if error is not None or not samples:
        return limit_row("peak_rss_mib", what, None, RSS_LIMIT_MIB, "MiB", f"export failed: {error}", "", {}), {}
    largest = max(run.rss_mib for run in samples)
    tree_pss = max(run.tree.peak_pss_mib for run in samples if run.tree)
    tree_rss = max(run.tree.peak_rss_mib for run in samples if run.tree)
    most = max(run.tree.most_processes for run in samples if run.tree)
    value = max(largest, tree_pss)
    report = {
        "document": doc.name,
        "bytes": doc.stat().st_size,
        "runs": len(samples),
        "largest_process_rss_mib": round(largest, 1),
        "tree": [run.tree.to_json() for run in samples if run.tree],
        "wall": [round(run.wall, 3) for run in samples],
    }
    measured = (
        f"{value:.0f} MiB: largest process {largest:.0f} (wait4), tree summed PSS {tree_pss:.0f}, "
        f"summed RSS {tree_rss:.0f} (counts shared pages once per process; sampled every "
        f"{MEMORY_SAMPLE_SECONDS * 1000:.0f} ms, up to {most} processes); {doc.stat().st_size // 1024} KiB"
    )
    basis = f"max(largest process, tree PSS), peak of {len(samples)} run(s)"
    return limit_row("peak_rss_mib", what, value, RSS_LIMIT_MIB, "MiB", measured, basis, report), report


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=None, help="timed runs per command after a warm-up (default 3)")
    parser.add_argument(
        "--docs", action="append", metavar="GLOB", help="only documents whose name or path matches (repeatable)"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"smoke run: {QUICK_DOCS} short documents (unless --docs), 1 run without warm-up, scaling on the "
        "shortest sample only, 1 memory run; the verdicts are then only indicative",
    )
    parser.add_argument(
        "--sections",
        default=",".join(SECTIONS),
        help=f"comma-separated, of {', '.join(SECTIONS)} (default all); the others' targets are 'skipped'",
    )
    parser.add_argument("--pandoc", metavar="PATH", help="pandoc executable (default: pypandoc-binary's, or PATH)")
    parser.add_argument("--timeout", type=float, default=900, help="seconds before a process is killed (default 900)")
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help=f"results file (default {DEFAULT_JSON})")
    args = parser.parse_args()
    args.sections = [name.strip() for name in args.sections.split(",") if name.strip()]
    if unknown := set(args.sections) - set(SECTIONS):
        parser.error(f"unknown section(s): {', '.join(sorted(unknown))}")
    args.runs = args.runs if args.runs is not None else (1 if args.quick else 3)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    return args


def run_sections(
    bench: Bench, args: argparse.Namespace, docs: list[Document], warm_up: bool
) -> tuple[list[Row], dict[str, Any]]:
    """Runs the chosen sections; a section not run leaves its targets "skipped"."""
    rows: list[Row] = []
    results: dict[str, Any] = {}
    samples, corpus = sorted(SAMPLES.glob("*.md")), sorted(CORPUS.glob("*.md"))
    subset = args.quick or bool(args.docs)
    if "documents" in args.sections:
        measured, results["documents"] = run_documents(bench, docs, args.runs, warm_up)
        rows += comparison_rows(measured, docs, bench)
        results["slowest"] = slowest(measured)
    else:
        rows += [skipped_row(c.key, c.what, c.limit, "x", "section not run") for c in COMPARISONS]
    if "scaling" in args.sections:
        chosen = scaling_documents(docs, samples, corpus, SCALE_CORPUS_DOC, quick=args.quick, filtered=bool(args.docs))
        scale_rows, results["scaling"] = run_scaling(bench, chosen, args.runs, warm_up)
        rows += scale_rows
    why = "section not run" if "scaling" not in args.sections else "no such document chosen (--quick, --docs)"
    rows += [
        skipped_row(key, f"{SCALE_FACTOR} x longer, {kind}, the {origin}", SCALE_LIMIT, "x", why)
        for origin in ("sample", "corpus")
        for kind in KINDS
        if not any(row.key == (key := f"scaling_{origin}_{kind}") for row in rows)
    ]
    if "startup" in args.sections:
        startup_rows, results["startup"] = run_startup(bench, VERSION_RUNS)
        rows += startup_rows
    else:
        rows.append(skipped_row("version_ms", "designexport --version", VERSION_LIMIT_MS, "ms", "section not run"))
    longest = memory_document(docs, corpus, subset=subset)
    if "memory" in args.sections and longest is not None:
        memory_row, results["memory"] = run_memory(bench, longest, 1 if args.quick else MEMORY_RUNS)
        rows.append(memory_row)
    else:
        rows.append(skipped_row("peak_rss_mib", "peak memory, all three formats", RSS_LIMIT_MIB, "MiB", "not run"))
    return ordered(rows), results


def print_targets(rows: list[Row], indicative: bool, machine: dict[str, Any]) -> None:
    print()
    print(
        "targets (issue 19)" + ("; INDICATIVE: a subset, fewer than 3 runs or not every section" if indicative else "")
    )
    for line in table_lines(rows):
        print(line)
    missed = [row.key for row in rows if row.missed]
    print()
    print(f"missed {len(missed)} target(s): {', '.join(missed)}" if missed else "every target met")
    before, after = machine["load_average_before"][0], machine["load_average_after"][0]
    if max(before, after) > HIGH_LOAD:
        print(f"note: load average {before:.2f} before, {after:.2f} after: wall times include waiting for a CPU")


def main() -> None:
    args = parse_arguments()
    started = datetime.datetime.now(datetime.UTC)
    warm_up = not args.quick
    docs = select_documents(list(SAMPLES.glob("*.md")), list(CORPUS.glob("*.md")), args.docs, args.quick, QUICK_DOCS)
    if not docs and {"documents", "scaling", "memory"} & set(args.sections):
        sys.exit("pandoc_compare: no documents selected")
    installed = VENV_BIN / "designexport"
    designexport = [str(installed)] if installed.exists() else [sys.executable, "-m", "exporter"]
    weasyprint = shutil.which("weasyprint", path=os.pathsep.join([str(VENV_BIN), os.environ.get("PATH", "")]))
    pandoc = find_pandoc(args.pandoc)
    indicative = args.quick or bool(args.docs) or args.runs < 3 or set(args.sections) != set(SECTIONS)
    machine = {**machine_info(), "subreaper": become_subreaper()}
    tools = versions(ROOT, designexport, pandoc, weasyprint)
    settings = {
        "runs": args.runs,
        "warm_up": warm_up,
        "quick": args.quick,
        "docs": args.docs,
        "sections": args.sections,
        "indicative": indicative,
        "scale_factor": SCALE_FACTOR,
    }
    print(
        f"{tools['designexport']} (git {str(tools['git']['commit'])[:10]}, {tools['git']['changed_files']} files "
        f"changed); {tools['pandoc'] or 'pandoc not found'}; {tools['weasyprint_command']}; Python "
        f"{machine['python']}; {machine['cpus_usable']} of {machine['cpus']} CPUs; load average "
        f"{machine['load_average_before'][0]:.2f}"
    )
    if machine["load_average_before"][0] > HIGH_LOAD:
        print("warning: other work on the machine skews wall times (CPU-time ratios are shown beside them)")
    if weasyprint is None:
        print("warning: no weasyprint executable; the WeasyPrint-alone floor and pandoc's PDF runs will fail")
    print(f"{len(docs)} documents; sections: {', '.join(args.sections)}; {args.runs} run(s) per command")
    with tempfile.TemporaryDirectory(prefix="pandoc-compare-") as temporary:
        bench = Bench(Path(temporary), designexport, pandoc, weasyprint, args.timeout)
        rows, sections = run_sections(bench, args, docs, warm_up)
    machine["load_average_after"] = load_average()
    print_targets(rows, indicative, machine)
    results = {
        "benchmark": "pandoc_compare",
        "schema": SCHEMA,
        "started": started.isoformat(),
        "finished": datetime.datetime.now(datetime.UTC).isoformat(),
        "machine": machine,
        "versions": tools,
        "settings": settings,
        "checks": {
            row.key: {"value": row.data.get("value"), "limit": row.data.get("limit"), "verdict": row.verdict}
            for row in rows
        },
        "targets": [row.to_json() for row in rows],
        **sections,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {args.json}")
    sys.exit(exit_status(rows))


def slowest(measured: dict[Job, Measurement]) -> dict[str, list[dict[str, Any]]]:
    result = {}
    for kind in KINDS:
        ranked = sorted(
            (
                (m.median("wall"), doc.name)
                for (tool, doc, k), m in measured.items()
                if tool == "designexport" and k == kind and m.ok
            ),
            reverse=True,
        )[:3]
        result[kind] = [{"document": name, "wall": round(wall, 3)} for wall, name in ranked]
    return result


ROW_ORDER = (
    "docx_vs_pandoc",
    "html_vs_pandoc",
    "all_vs_pandoc",
    "pdf_vs_weasyprint",
    "scaling_",
    "version_ms",
    "peak_rss_mib",
)


def ordered(rows: list[Row]) -> list[Row]:
    """Issue 19's order, the informational rows last."""

    def rank(row: Row) -> tuple[int, int]:
        position = next((i for i, prefix in enumerate(ROW_ORDER) if row.key.startswith(prefix)), len(ROW_ORDER))
        return (1 if row.verdict == "info" else 0, position)

    return sorted(rows, key=rank)


if __name__ == "__main__":
    main()
