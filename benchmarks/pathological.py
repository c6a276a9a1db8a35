"""Hostile and at-the-limit documents: wall time and peak memory per case, format and `check`.

Run: .venv/bin/python benchmarks/pathological.py [--case NAME ...] [--format html|pdf|docx|check ...]
[--quick] [--kill-after SECONDS] [--json PATH] [--source DIR] [--list].
`--source DIR` runs `python -m exporter` from another checkout (`git archive HEAD | tar -x -C DIR`), to
measure a baseline while the working tree changes.

It generates every input of issue 14's memory-and-time table (a YAML alias bomb, 2,000 uses of one
1 MiB PNG, a reference-DOCX zip bomb, 100,000 code spans, 100,000 `[`, `*a` or `<`, an 800 x 60 table,
a 1,999 x 999 diagram, 1 MB of combining marks, a 100 KB line of dashes, a theme crafted against a
regex, 4,000 headings, an SVG with a million removable nodes) and every limit at its edge (nesting 32,
63 columns, 50,000 cells, 5,000 footnotes, a 2,000 x 1,000 diagram, a 20 MiB document, and the edges of
the limits added for them: elements, combining-marks, diagram-strokes, pdf-boxes). Each case runs
once per format (`designexport CASE.md --html -o DIR -j 1`, ...) and once as `designexport check CASE.md`,
every run a fresh process in its own session: wall time, and peak RSS from wait4 (the process and the
children it reaped) or from polling the session's processes, whichever is higher. A run is killed at
--kill-after seconds (default 150) or when the session holds more than 3 GiB (the machine is shared).

Target: every run exports (or checks) or stops with a limit error, in at most 60 s and under 1 GiB.
A run over either, killed, or ending in a traceback fails the benchmark: exit 1. `--quick` builds
every input at a tenth of its size (the alias bomb, zip bomb and limit edges stay whole where a
tenth would not be the same test), to try the harness in a few minutes.
It is a benchmark, not a test; the numbers depend on the machine and on what else runs on it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DESIGNEXPORT = Path(sys.executable).parent / "designexport"  # not resolved: the venv's python is a symlink
REFERENCE_DOCX = ROOT / "styles" / "reference.docx"
SAMPLE = ROOT / "samples" / "fleet-telemetry.md"

FORMATS = ("html", "pdf", "docx", "check")
TARGET_SECONDS = 60.0
TARGET_MIB = 1024.0
DEFAULT_KILL_SECONDS = 150.0
GUARD_MIB = 3 * 1024.0  # beyond this the run is killed: other work shares the machine
POLL_SECONDS = 0.2
MIB = 1024 * 1024
PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")
FINDING = re.compile(r":\d+:\d+: (error|warning|info): .* \[[a-z-]+\]$")


# ------------------------------------------------------------------ inputs


@dataclass(frozen=True)
class Case:
    """One generated input: `build(folder, scale)` writes it and returns the document."""

    name: str
    about: str
    build: Callable[[Path, float], Path]
    formats: tuple[str, ...] = FORMATS
    export_args: Callable[[Path], list[str]] = lambda folder: []


def sized(count: int, scale: float) -> int:
    return max(1, int(count * scale))


def write_doc(folder: Path, body: str, title: str = "Pathological input") -> Path:
    path = folder / "case.md"
    path.write_text(f"# {title}\n\n{body}\n", encoding="utf-8")
    return path


def alias_bomb(folder: Path, scale: float) -> Path:
    """Nine levels of nine aliases: 9**9 strings once expanded, from about 600 bytes."""
    lines = ["---", "title: Alias bomb", 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    previous = "a"
    for name in "bcdefghi":
        lines.append(f"{name}: &{name} [{','.join([f'*{previous}'] * 9)}]")
        previous = name
    lines += ["---", "", "The front matter above expands to 387 million strings.", ""]
    path = folder / "case.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def noise_png(path: Path, megabytes: float) -> None:
    """A PNG of random pixels: it does not compress, so the file is about `megabytes` large."""
    from PIL import Image

    side = int((megabytes * MIB / 3) ** 0.5)
    pixels = random.Random(14).randbytes(side * side * 3)
    Image.frombytes("RGB", (side, side), pixels).save(path, format="PNG", compress_level=1)


def image_reused(folder: Path, scale: float) -> Path:
    noise_png(folder / "big.png", 1.0)
    uses = sized(2_000, scale)
    return write_doc(folder, "\n\n".join(f"![figure {n}](big.png)" for n in range(1, uses + 1)))


def zip_bomb_docx(folder: Path, scale: float) -> Path:
    """The shipped reference DOCX plus a 1 GiB image part of zeros, referenced from the body: about 1 MiB zipped."""
    target = folder / "bomb.docx"
    zeros = b"\0" * MIB
    with zipfile.ZipFile(REFERENCE_DOCX) as source, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as bomb:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "word/_rels/document.xml.rels":
                relationship = (
                    '<Relationship Id="rIdBomb" Target="media/bomb.png" Type='
                    '"http://schemas.openxmlformats.org/officeDocument/2006/relationships/image"/>'
                )
                data = data.replace(b"</Relationships>", relationship.encode() + b"</Relationships>")
            if item.filename == "[Content_Types].xml" and b'Extension="png"' not in data:
                data = data.replace(b"<Default ", b'<Default Extension="png" ContentType="image/png"/><Default ', 1)
            bomb.writestr(item, data)
        with bomb.open(zipfile.ZipInfo("word/media/bomb.png"), "w", force_zip64=True) as part:
            part.write(b"\x89PNG\r\n\x1a\n")
            for _ in range(1024):
                part.write(zeros)
    return write_doc(folder, "A document exported with a zip-bomb reference DOCX.")


def inline_code(folder: Path, scale: float) -> Path:
    spans = sized(100_000, scale)
    lines = [" ".join(f"`c{n}`" for n in range(start, min(start + 16, spans))) for start in range(0, spans, 16)]
    return write_doc(folder, "\n".join(lines))


def repeated_line(text: str, count: int) -> Callable[[Path, float], Path]:
    def build(folder: Path, scale: float) -> Path:
        return write_doc(folder, text * sized(count, scale))

    return build


def table(rows: int, columns: int) -> Callable[[Path, float], Path]:
    """A pipe table of `rows` rows (the header included) and `columns` columns."""

    def build(folder: Path, scale: float) -> Path:
        body_rows = max(1, sized(rows, scale) - 1)
        header = "| " + " | ".join(f"col {c}" for c in range(columns)) + " |"
        rule = "|" + "---|" * columns
        lines = [header, rule]
        lines += ["| " + " | ".join(f"r{r}c{c}" for c in range(columns)) + " |" for r in range(body_rows)]
        return write_doc(folder, "\n".join(lines))

    return build


def framed(lines: int, columns: int, tile: list[str]) -> list[str]:
    """A `lines` x `columns` diagram: a frame around rows of `tile`, so its size is exact."""
    inner = columns - 4
    rows = ["+" + "-" * (columns - 2) + "+"]
    body = lines - 2
    for index in range(body):
        pattern = tile[index % len(tile)]
        fill = (pattern * (inner // len(pattern) + 1))[: inner - inner % len(pattern)]
        rows.append("| " + fill.ljust(inner) + " |")
    rows.append("+" + "-" * (columns - 2) + "+")
    return rows


BOX_TILE = [
    "+------------+     ",
    "| service    |---> ",
    "+------------+     ",
    "      |            ",
    "      v            ",
]
LATTICE_TILE = ["+---------", "|    cell "]


def diagram(lines: int, columns: int, tile: list[str]) -> Callable[[Path, float], Path]:
    def build(folder: Path, scale: float) -> Path:
        drawing = framed(max(4, sized(lines, scale)), max(24, sized(columns, scale)), tile)
        return write_doc(folder, "```\n" + "\n".join(drawing) + "\n```")

    return build


def combining_run(folder: Path, scale: float) -> Path:
    """One letter carrying half a million combining marks: 1 MB."""
    return write_doc(folder, "e" + "\u0301" * sized(500_000, scale))


def combining_zalgo(folder: Path, scale: float) -> Path:
    """1 MB of words whose every letter carries eight combining marks."""
    marks = "".join(chr(0x0300 + n) for n in range(8))
    word = "".join(letter + marks for letter in "zalgo")
    words = sized(1_000_000 // len(word.encode()), scale)
    lines = [" ".join([word] * 10) for _ in range(words // 10)]
    return write_doc(folder, "\n".join(lines))


def dash_code_line(folder: Path, scale: float) -> Path:
    return write_doc(folder, "```\n" + "-" * sized(100_000, scale) + "\n```")


def crafted_theme(folder: Path, scale: float) -> Path:
    (folder / "crafted.css").write_text(":root {\n" + "-" * sized(100_000, scale) + "\n}\n", encoding="utf-8")
    return write_doc(folder, "A document exported with a theme crafted against the theme loader's regex.")


def headings(folder: Path, scale: float) -> Path:
    count = sized(4_000, scale)
    return write_doc(folder, "\n\n".join(f"## Heading {n}\n\nSection {n} text." for n in range(1, count + 1)))


def svg_nodes(folder: Path, scale: float) -> Path:
    count = sized(1_000_000, scale)
    svg = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">' + "<script/>" * count + "</svg>"
    (folder / "nodes.svg").write_text(svg, encoding="utf-8")
    return write_doc(folder, "![an SVG with a million scripts](nodes.svg)")


def nesting(folder: Path, scale: float) -> Path:
    """Lists and quotes 32 levels deep, the limit, many times over."""
    depth = 32
    bullet = "\n".join("  " * level + f"- level {level + 1}" for level in range(depth))
    quote = "> " * depth + "thirty-two quotes deep"
    mixed = "- > " * (depth // 2) + "sixteen lists and sixteen quotes, one inside the other"
    blocks = [bullet, quote, mixed] * sized(50, 1.0 if scale >= 1 else 0.2)
    return write_doc(folder, "\n\n".join(blocks))


def footnotes(folder: Path, scale: float) -> Path:
    count = sized(5_000, scale)
    references = "\n".join(f"Claim {n}.[^n{n}]" for n in range(1, count + 1))
    notes = "\n".join(f"[^n{n}]: Source {n}." for n in range(1, count + 1))
    return write_doc(folder, references + "\n\n" + notes)


def big_input(folder: Path, scale: float) -> Path:
    """A realistic document (a sample's body, repeated) just under the 20 MiB input limit."""
    text = SAMPLE.read_text(encoding="utf-8")
    body = text[text.index("\n## ") :]  # the sections, without title and metadata
    target = int(20 * MIB * scale) - 64
    head = "# Twenty mebibytes\n"
    copies = body * (target // len(body.encode()) + 1)
    data = (head + copies).encode()[:target]
    path = folder / "case.md"
    path.write_bytes(data[: data.rfind(b"\n") + 1])
    return path


def code_lines(folder: Path, scale: float) -> Path:
    """A code block just under the `elements` limit: each 40-character line counts 11."""
    lines = sized(22_500, scale)
    return write_doc(
        folder, "```python\n" + "\n".join(f"x_{n:06} = compute(a, b, {n:06})  # st" for n in range(lines)) + "\n```"
    )


def marks_per_paragraph(folder: Path, scale: float) -> Path:
    """430 paragraphs of 1,975 combining marks each (one per letter), under combining-marks and pdf-boxes."""
    word = "a\u0301b\u0301c\u0301d\u0301e\u0301"
    paragraph = " ".join([word] * 395)
    return write_doc(folder, "\n\n".join([paragraph] * sized(430, scale)))


def pdf_headings(folder: Path, scale: float) -> Path:
    count = sized(1_700, scale)
    return write_doc(folder, "\n\n".join(f"## H {n}\n\nText {n}." for n in range(count)))


def pdf_footnotes(folder: Path, scale: float) -> Path:
    """1,400 footnotes referenced from one paragraph: under pdf-boxes, where a footnote costs most."""
    count = sized(1_400, scale)
    references = "\n".join(f"Claim {n}.[^n{n}]" for n in range(count))
    notes = "\n".join(f"[^n{n}]: S {n}." for n in range(count))
    return write_doc(folder, references + "\n\n" + notes)


def missing_references(folder: Path, scale: float) -> Path:
    """20,000 images that are not there and links to headings that are not there: 40,000 warnings."""
    count = sized(20_000, scale)
    return write_doc(folder, "\n\n".join(f"![x](missing{n}.png) [l](#nowhere{n})" for n in range(count)))


def big_prose(folder: Path, scale: float) -> Path:
    """20 MiB of plain paragraphs, the input limit, with few elements: the sizes the formats must carry."""
    words = [
        "the",
        "quick",
        "brown",
        "fox",
        "jumps",
        "over",
        "a",
        "lazy",
        "dog",
        "while",
        "metrics",
        "stream",
        "into",
        "storage",
        "nodes",
    ]
    chooser = random.Random(20)
    paragraphs: list[str] = []
    size = 0
    while size < int(20 * MIB * scale) - 2_000:
        paragraph = " ".join(chooser.choice(words) for _ in range(80))
        paragraphs.append(paragraph)
        size += len(paragraph) + 2
    return write_doc(folder, "\n\n".join(paragraphs), "Twenty mebibytes of prose")


CASES = [
    Case("yaml-alias-bomb", "600-byte YAML alias bomb in front matter", alias_bomb),
    Case("image-2000-uses", "2,000 uses of one 1 MiB PNG", image_reused),
    Case(
        "reference-docx-zip-bomb",
        "1 MiB reference DOCX holding a 1 GiB part",
        zip_bomb_docx,
        formats=("docx",),
        export_args=lambda folder: ["--reference-docx", str(folder / "bomb.docx")],
    ),
    Case("inline-code-100k", "100,000 inline code spans", inline_code),
    Case("brackets-100k", "100,000 `[` on one line", repeated_line("[", 100_000)),
    Case("star-a-100k", "100,000 `*a` on one line", repeated_line("*a", 100_000)),
    Case("angles-100k", "100,000 `<` on one line", repeated_line("<", 100_000)),
    Case("table-800x60", "800 x 60 table (48,000 cells)", table(800, 60)),
    Case("diagram-1999x999", "1,999 x 999 diagram of boxes and arrows", diagram(1_999, 999, BOX_TILE)),
    Case("combining-run-1mb", "one letter with 500,000 combining marks", combining_run),
    Case("combining-zalgo-1mb", "1 MB of words with 8 marks per letter", combining_zalgo),
    Case("dashes-100k", "100 KB code line of dashes", dash_code_line),
    Case(
        "theme-regex-100k",
        "100 KB theme crafted against the theme regex",
        crafted_theme,
        formats=("html", "pdf", "docx"),
        export_args=lambda folder: ["--theme", str(folder / "crafted.css")],
    ),
    Case("headings-4000", "4,000 headings", headings),
    Case("svg-million-nodes", "SVG image with a million <script/> nodes", svg_nodes),
    Case("edge-nesting-32", "lists and quotes 32 levels deep (limit)", nesting),
    Case("edge-63-columns", "63 columns x 793 rows = 49,959 cells (limit)", table(793, 63)),
    Case("edge-50000-cells", "25 columns x 2,000 rows = 50,000 cells (limit)", table(2_000, 25)),
    Case("edge-5000-footnotes", "5,000 footnotes (limit)", footnotes),
    Case("edge-diagram-2000x1000", "2,000 x 1,000 lattice diagram (limit)", diagram(2_000, 1_000, LATTICE_TILE)),
    Case("edge-input-20mib", "a 20 MiB document (limit)", big_input),
    Case("edge-input-20mib-prose", "20 MiB of plain paragraphs (limit)", big_prose),
    Case("warnings-40000", "20,000 missing images and 20,000 broken links", missing_references),
    Case("edge-elements-code", "a code block of 22,500 lines: 247,500 elements (limit)", code_lines),
    Case("edge-combining-marks", "430 paragraphs of 1,975 combining marks (limit)", marks_per_paragraph),
    Case("edge-diagram-strokes", "400 x 320 diagram, 48,764 strokes, redrawn (limit)", diagram(400, 320, BOX_TILE)),
    Case("edge-pdf-wide-table", "60 x 160 table: 29,963 PDF boxes (limit)", table(160, 60)),
    Case("edge-pdf-headings", "1,700 headings: 29,506 PDF boxes (limit)", pdf_headings),
    Case("edge-pdf-footnotes", "1,400 footnotes in one paragraph: ~29,800 PDF boxes (limit)", pdf_footnotes),
]


# ------------------------------------------------------------------ running


@dataclass
class Run:
    case: str
    format: str
    seconds: float
    cpu_seconds: float
    peak_mib: float
    outcome: str  # exported, checked, limit, refused, error, crash, killed
    detail: str = ""
    failures: list[str] = field(default_factory=list)


def session_rss_bytes(session: int) -> int:
    """Resident memory of every process in `session` (the run and anything it started)."""
    total = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as stat:
                fields = stat.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == session:  # after the name: state, ppid, pgrp, session, ...
            total += int(fields[21]) * PAGE_BYTES
    return total


def kill_session(session: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(session, signal.SIGKILL)


def run_once(command: list[str], cwd: Path, kill_after: float) -> tuple[float, float, float, int, str, str]:
    """Runs `command` in a new session: (wall, cpu, peak MiB, exit code, stderr, why it was killed or "")."""
    with tempfile.TemporaryFile() as errors:
        started = time.perf_counter()
        process = subprocess.Popen(
            command, cwd=cwd, stdin=subprocess.DEVNULL, stdout=errors, stderr=errors, start_new_session=True
        )
        peak = 0
        killed = ""
        done = threading.Event()

        def watch() -> None:
            nonlocal peak, killed
            while not done.wait(POLL_SECONDS):
                peak = max(peak, session_rss_bytes(process.pid))
                over_time = time.perf_counter() - started > kill_after
                if peak > GUARD_MIB * MIB or over_time:
                    killed = f"over {kill_after:.0f} s" if over_time else f"over {GUARD_MIB:.0f} MiB"
                    kill_session(process.pid)
                    return

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        done.set()
        watcher.join()
        kill_session(process.pid)  # anything the run left behind
        process.returncode = os.waitstatus_to_exitcode(status)  # reaped here; keep Popen from waiting again
        errors.seek(0)
        stderr = errors.read().decode("utf-8", "replace")
    peak_mib = max(peak, usage.ru_maxrss * 1024) / MIB  # ru_maxrss is KiB on Linux
    return wall, usage.ru_utime + usage.ru_stime, peak_mib, process.returncode, stderr, killed


def classify(fmt: str, returncode: int, stderr: str, killed: str) -> tuple[str, str]:
    """(outcome, detail): exported or checked, limit (the error names a limit), refused (a usage error),
    error, crash (a traceback, or killed by a signal) or killed (by this benchmark)."""
    lines = [line for line in stderr.splitlines() if line.strip()]
    if killed:
        return "killed", killed
    if "Traceback (most recent call last)" in stderr or returncode not in (0, 1, 2):
        return "crash", lines[-1] if lines else f"exit {returncode}"
    if returncode == 2:  # a usage error: an input refused before any document is read (a zip bomb)
        return "refused", next((line for line in lines if line.startswith("Error:")), lines[-1] if lines else "")
    errors = [line for line in lines if ": error:" in line or line.startswith("Error:")]
    if fmt == "check":  # `file:line:column: error: ... [code]` is a finding: what check is for
        errors = [line for line in errors if not FINDING.search(line)]
    limit = next((line for line in errors if "--limit" in line), "")
    if limit:
        return "limit", limit
    if errors:
        return "error", errors[0]
    if fmt == "check":
        return "checked", ""
    if returncode == 0:
        return "exported", ""
    return "error", lines[-1] if lines else f"exit {returncode}"


def build_apart(case: Case, folder: Path, scale: float) -> Path:
    """Builds the case's input in a forked child: a child's peak RSS includes the memory of the process it
    was forked from, so this one must stay small, whatever the inputs it made took (a 20 MiB string ...)."""
    child = os.fork()
    if child == 0:
        status = 0
        try:
            case.build(folder, scale)
        except BaseException:
            status = 1
        finally:
            os._exit(status)
    _, status = os.waitpid(child, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"building the input of {case.name} failed")
    return folder / "case.md"


def designexport_command(source: Path | None) -> list[str]:
    if source is None:
        return [str(DESIGNEXPORT)]
    return ["env", f"PYTHONPATH={source.resolve()}", sys.executable, "-m", "exporter"]


def command_for(program: list[str], case: Case, fmt: str, document: Path, out: Path) -> list[str]:
    if fmt == "check":
        return [*program, "check", str(document)]
    return [*program, str(document), f"--{fmt}", "-o", str(out), "-j", "1", *case.export_args(document.parent)]


def measure(program: list[str], case: Case, fmt: str, document: Path, work: Path, kill_after: float) -> Run:
    out = work / f"out-{case.name}-{fmt}"
    command = command_for(program, case, fmt, document, out)
    try:
        wall, cpu, peak, returncode, stderr, killed = run_once(command, work, kill_after)
    finally:
        shutil.rmtree(out, ignore_errors=True)  # outputs can be large; only their making is measured
    outcome, detail = classify(fmt, returncode, stderr, killed)
    run = Run(case.name, fmt, wall, cpu, peak, outcome, detail)
    if wall > TARGET_SECONDS:
        run.failures.append(f"over {TARGET_SECONDS:.0f} s")
    if peak > TARGET_MIB:
        run.failures.append(f"over {TARGET_MIB:.0f} MiB")
    if outcome in ("killed", "crash"):
        run.failures.append(outcome)
    return run


def shorten(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def print_row(run: Run) -> None:
    verdict = "FAIL " + ", ".join(run.failures) if run.failures else "ok"
    outcome = f"{run.outcome}: {shorten(run.detail, 100)}" if run.detail else run.outcome
    numbers = f"{run.seconds:>8.1f} {run.peak_mib:>9.0f}"
    print(f"{run.case:<24} {run.format:<6} {numbers}  {verdict:<26} {outcome}", flush=True)


def load_line() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f} ({os.cpu_count()} CPUs)"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--case", action="append", choices=[case.name for case in CASES], help="Run only this case.")
    parser.add_argument("--format", action="append", choices=FORMATS, help="Run only this format (or check).")
    parser.add_argument("--quick", action="store_true", help="Inputs at a tenth of their size.")
    parser.add_argument("--kill-after", type=float, default=DEFAULT_KILL_SECONDS, help="Kill a run after this long.")
    parser.add_argument("--json", type=Path, help="Also write the results here as JSON.")
    parser.add_argument("--source", type=Path, help="Run `python -m exporter` from this checkout instead.")
    parser.add_argument("--list", action="store_true", help="List the cases and exit.")
    arguments = parser.parse_args()
    if arguments.list:
        for case in CASES:
            print(f"{case.name:<24} {case.about}")
        return 0
    cases = [case for case in CASES if not arguments.case or case.name in arguments.case]
    formats = tuple(arguments.format or FORMATS)
    scale = 0.1 if arguments.quick else 1.0
    program = designexport_command(arguments.source)
    version = subprocess.run([*program, "--version"], check=False, capture_output=True, text=True).stdout.strip()
    if arguments.source:
        version += f" from {arguments.source}"
    load_before = load_line()
    print(f"{version}; load average before: {load_before}")
    print(f"targets: at most {TARGET_SECONDS:.0f} s and {TARGET_MIB:.0f} MiB per run; scale {scale}; ", end="")
    print(f"killed after {arguments.kill_after:.0f} s or {GUARD_MIB:.0f} MiB")
    print(f"{'case':<24} {'format':<6} {'seconds':>8} {'peak MiB':>9}  {'verdict':<26} outcome")
    runs: list[Run] = []
    with tempfile.TemporaryDirectory(prefix="pathological-") as temporary:
        work = Path(temporary)
        for case in cases:
            wanted = [fmt for fmt in formats if fmt in case.formats]
            if not wanted:
                continue
            folder = work / case.name
            folder.mkdir()
            document = build_apart(case, folder, scale)
            for fmt in wanted:
                run = measure(program, case, fmt, document, work, arguments.kill_after)
                runs.append(run)
                print_row(run)
            shutil.rmtree(folder, ignore_errors=True)
    failed = [run for run in runs if run.failures]
    load_after = load_line()
    names = ", ".join(f"{run.case}/{run.format}" for run in failed)
    print(f"load average after: {load_after}")
    print(f"{len(runs)} runs, {len(failed)} failed" + (f": {names}" if failed else ""))
    if arguments.json:
        arguments.json.parent.mkdir(parents=True, exist_ok=True)
        report = {
            "version": version,
            "cpus": os.cpu_count(),
            "load_before": load_before,
            "load_after": load_after,
            "scale": scale,
            "targets": {"seconds": TARGET_SECONDS, "peak_mib": TARGET_MIB},
            "runs": [asdict(run) for run in runs],
        }
        arguments.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
