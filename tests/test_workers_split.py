"""Both cores for one document: with the PDF and other formats, a helper forked from the worker renders the PDF
while the worker renders the rest. Nothing of that shows in the outputs, the warnings or the report, and the
worker's guarantees hold for the helper: atomic outputs, timeouts, interrupts, crashes.

No timing is asserted (speed lives in benchmarks/). On a one-core machine the CLI tests pass without a helper;
the in-process tests start one regardless of cores.
"""

from __future__ import annotations

import functools
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from exporter.run import workers
from exporter.run.batch import Job
from exporter.run.export import ExportResult, ExportSettings, export_document
from tests.cli_run import interruptible_cli
from tests.test_interrupts import children_of, is_running, partial_files, wait_for

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the helper is a fork (Linux only)")

EPOCH = "1700000000"  # the same dates in every run, so outputs compare byte for byte
FORMATS = ("html", "pdf", "docx")
FAULT = "DESIGNEXPORT_TEST_FAULT"
# A reference no output can resolve, two missing images (each reported by all three backends), in that order.
DOCUMENT = (
    "# Split Technical Design\n\n**Status:** Draft\n\n## Overview\n\n"
    "See ![first](missing-one.png) and [nowhere](#nowhere).\n\n## Details\n\nThen ![second](missing-two.png).\n"
)
WARNINGS = [
    "doc.md:7:45: warning: no heading or anchor '#nowhere' [broken-link]",
    "doc.md:7: warning: image not found: 'missing-one.png' [resource-missing]",
    "doc.md:11: warning: image not found: 'missing-two.png' [resource-missing]",
]


@pytest.fixture
def doc(tmp_path: Path) -> Path:
    path = tmp_path / "doc.md"
    path.write_text(DOCUMENT, encoding="utf-8")
    return path


def run_cli(folder: Path, *args: str, fault: str = "") -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH, **({FAULT: fault} if fault else {})}
    return subprocess.run(
        [sys.executable, "-m", "exporter", *args], cwd=folder, capture_output=True, text=True, check=False,
        timeout=600, env=environment, stdin=subprocess.DEVNULL,
    )  # fmt: skip


def warning_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if ": warning: " in line]


def export_in_process(doc: Path, out: Path, **options: object) -> ExportResult:
    return export_document(doc, ExportSettings(formats=FORMATS, output_dir=out), **options)  # type: ignore[arg-type]


def test_two_workers_write_what_one_writes_and_each_warning_once_in_order(doc: Path) -> None:
    folder = doc.parent
    one = run_cli(folder, "doc.md", "-o", "one/", "-j", "1", "--report", "one.json")
    two = run_cli(folder, "doc.md", "-o", "two/", "-j", "2", "--report", "two.json")

    assert one.returncode == two.returncode == 0, two.stderr
    for fmt in FORMATS:
        assert (folder / "two" / f"doc.{fmt}").read_bytes() == (folder / "one" / f"doc.{fmt}").read_bytes(), fmt
    assert warning_lines(one.stderr) == warning_lines(two.stderr) == WARNINGS
    reports = [json.loads((folder / name).read_text(encoding="utf-8")) for name in ("one.json", "two.json")]
    entries = [report["documents"][0] for report in reports]
    for entry in entries:
        for output in entry["outputs"]:
            output.pop("seconds", None)
            output.pop("path", None)
    assert entries[0]["outputs"] == entries[1]["outputs"]
    assert entries[0]["diagnostics"] == entries[1]["diagnostics"]
    assert [output["format"] for output in entries[1]["outputs"]] == list(FORMATS)


def test_a_helper_renders_the_pdf_as_the_worker_would(doc: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    alone = export_in_process(doc, doc.parent / "alone")
    helped = export_in_process(doc, doc.parent / "helped", elsewhere=workers.render_in_helper)

    assert alone.error == helped.error == ""
    for fmt in FORMATS:
        assert (doc.parent / "helped" / f"doc.{fmt}").read_bytes() == (doc.parent / "alone" / f"doc.{fmt}").read_bytes()
    assert helped.diagnostics == alone.diagnostics
    assert [(item.line, item.code) for item in helped.diagnostics] == [
        (7, "broken-link"), (7, "resource-missing"), (11, "resource-missing"),
    ]  # fmt: skip
    assert [(record.format, record.sha256, record.pages) for record in helped.records] == [
        (record.format, record.sha256, record.pages) for record in alone.records
    ]
    assert helped.dependencies == alone.dependencies


def test_a_crashed_helper_fails_the_document_and_keeps_its_earlier_outputs(doc: Path) -> None:
    out = doc.parent / "out"
    out.mkdir()
    earlier = {fmt: f"earlier {fmt}\n".encode() for fmt in FORMATS}
    for fmt, data in earlier.items():
        (out / f"doc.{fmt}").write_bytes(data)
    crashing = functools.partial(workers.render_in_helper, fault=workers._crash)
    result = export_in_process(doc, out, elsewhere=crashing)

    assert result.error.endswith("error: the export crashed (PDF helper killed by SIGKILL); no output written")
    assert result.records == [] and result.outputs == []
    assert {fmt: (out / f"doc.{fmt}").read_bytes() for fmt in FORMATS} == earlier
    assert not partial_files(out)


def test_a_hang_in_the_pdf_half_times_out_cleanly(doc: Path) -> None:
    """The helper hangs with every catchable signal held back; the worker's timeout kills it with the worker."""
    folder = doc.parent
    earlier = {fmt: f"earlier {fmt}\n".encode() for fmt in FORMATS}
    for fmt, data in earlier.items():
        (folder / f"doc.{fmt}").write_bytes(data)
    completed = run_cli(folder, "doc.md", "-j", "2", "--timeout", "3", fault="hang:doc.md@pdf")

    assert completed.returncode == 1
    assert "doc.md: error: timed out after 3 s (--timeout); no output written" in completed.stderr
    assert "Traceback" not in completed.stderr
    assert {fmt: (folder / f"doc.{fmt}").read_bytes() for fmt in FORMATS} == earlier
    assert not partial_files(folder)
    wait_for(lambda: not processes_running(folder), "the hanging helper to end with its worker")


@pytest.mark.skipif(workers.usable_cores() < 2, reason="one core: no helper is started")
def test_an_interrupt_ends_worker_and_helper_and_writes_nothing(doc: Path, tmp_path: Path) -> None:
    folder = doc.parent
    earlier = {fmt: f"earlier {fmt}\n".encode() for fmt in FORMATS}
    for fmt, data in earlier.items():
        (folder / f"doc.{fmt}").write_bytes(data)
    environment = {**os.environ, FAULT: "hang:doc.md@pdf"}
    process = subprocess.Popen(
        interruptible_cli("doc.md", "-j", "2"), cwd=folder, env=environment,
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip

    def helpers() -> set[int]:
        return {helper for worker in children_of(process.pid) for helper in children_of(worker)}

    wait_for(lambda: bool(helpers()), "the worker to fork its PDF helper")
    started = helpers()
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=600)

    assert process.returncode == 130
    assert "interrupted by SIGINT; not written (earlier outputs kept): doc.md" in stderr.decode()
    wait_for(lambda: not any(is_running(pid) for pid in started), "the helper to end")
    assert {fmt: (folder / f"doc.{fmt}").read_bytes() for fmt in FORMATS} == earlier
    assert not partial_files(folder)


def processes_running(folder: Path) -> list[int]:
    """Live processes started in `folder` (the CLI, its workers and their helpers all run there)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if Path(os.readlink(entry / "cwd")) == folder and is_running(int(entry.name)):
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def job(folder: Path, name: str, formats: tuple[str, ...], size: int = 10) -> Job:
    source = folder / f"{name}.md"
    source.write_text("x" * size, encoding="utf-8")
    targets = {fmt: folder / f"{name}.{fmt}" for fmt in formats}
    return Job(source, source.name, targets, folder, folder / ".cache")  # type: ignore[arg-type]


def test_only_spare_cores_get_helpers_and_the_largest_documents_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(workers, "usable_cores", lambda: 2)
    small, large = job(tmp_path, "small", FORMATS), job(tmp_path, "large", FORMATS, size=1000)
    pdf_only, no_pdf = job(tmp_path, "pdf", ("pdf",)), job(tmp_path, "web", ("html", "docx"))

    assert workers._helped_jobs([small], 2) == {small.source}
    assert workers._helped_jobs([small], 1) == frozenset()  # -j 1
    assert workers._helped_jobs([small, large], 2) == frozenset()  # every core has a document
    assert workers._helped_jobs([pdf_only], 2) == workers._helped_jobs([no_pdf], 2) == frozenset()
    monkeypatch.setattr(workers, "usable_cores", lambda: 3)
    assert workers._helped_jobs([small, large], 4) == {large.source}
    monkeypatch.setattr(workers, "usable_cores", lambda: 1)
    assert workers._helped_jobs([small], 2) == frozenset()  # one core, whatever -j says
