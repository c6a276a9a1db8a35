"""Time limits, interrupts and kills: out-of-process --timeout, SIGINT/SIGTERM, orphaned workers, stale
temporary files, and file names that try to forge log lines.

No timing is asserted: the test hook (DESIGNEXPORT_TEST_FAULT) hangs a worker for as long as needed,
and every wait polls for a file or a process with a generous bound.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from multiprocessing.process import BaseProcess
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from exporter.run.export import ExportSettings, export_document, printable
from exporter.run.signals import Interrupted, interrupts_deferred, interrupts_raised
from exporter.run.workers import WorkerPool
from tests.cli_run import interruptible_cli

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="sends POSIX signals and reads processes from /proc"
)

WAIT_SECONDS = 180.0  # bounds a poll on a loaded machine; a pass never comes near it
HANG = "DESIGNEXPORT_TEST_FAULT"


def write_doc(path: Path, title: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"# {title} Technical Design\n\n**Status:** Draft\n\n## Overview\n\n{title} text.\n", "utf-8")
    return path


def cli(*args: str | Path) -> list[str]:
    return interruptible_cli(*map(str, args))


def run_cli(*args: str | Path, cwd: Path | None = None, fault: str = "") -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, HANG: fault} if fault else dict(os.environ)
    return subprocess.run(
        cli(*args), capture_output=True, text=True, check=False, timeout=600, cwd=cwd, env=environment,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip


def wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.05)


def partial_files(folder: Path) -> list[Path]:
    return [path for path in folder.rglob("*") if path.name.endswith(".part")]


def children_of(pid: int) -> set[int]:
    """The live processes whose parent is `pid`, read from /proc."""
    found: set[int] = set()
    for entry in Path("/proc").iterdir():
        state = _state_and_parent(int(entry.name)) if entry.name.isdigit() else None
        if state is not None and state == (state[0], pid) and state[0] != "Z":
            found.add(int(entry.name))
    return found


def is_running(pid: int) -> bool:
    """True while `pid` exists and is not a zombie waiting to be reaped."""
    state = _state_and_parent(pid)
    return state is not None and state[0] != "Z"


def _state_and_parent(pid: int) -> tuple[str, int] | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace").rpartition(")")[2].split()
    except OSError:
        return None
    return fields[0], int(fields[1])


@pytest.fixture
def batch(tmp_path: Path) -> tuple[Path, Path, dict[Path, bytes]]:
    """Three documents and earlier outputs for each of them (what a previous run left)."""
    docs, out = tmp_path / "docs", tmp_path / "out"
    out.mkdir()
    earlier: dict[Path, bytes] = {}
    for name in ("alpha", "bravo", "charlie"):
        write_doc(docs / f"{name}.md", name.title())
        for fmt in ("html", "docx"):
            earlier[out / f"{name}.{fmt}"] = f"earlier {name}.{fmt}\n".encode()
            (out / f"{name}.{fmt}").write_bytes(earlier[out / f"{name}.{fmt}"])
    return docs, out, earlier


def start_hanging_batch(docs: Path, out: Path, tmp_path: Path) -> tuple[subprocess.Popen[bytes], set[int]]:
    """A two-worker batch whose bravo.md hangs while writing its last output (DOCX), its HTML already
    staged; returns the CLI once bravo is at that point, and its workers."""
    log = (tmp_path / "stdout.log").open("wb"), (tmp_path / "stderr.log").open("wb")
    process = subprocess.Popen(
        cli(docs, "-o", out, "--html", "--docx", "-j", "2"),
        stdout=log[0], stderr=log[1], stdin=subprocess.DEVNULL, env={**os.environ, HANG: "hang:bravo.md"},
    )  # fmt: skip

    def staged_formats() -> set[str]:
        return {path.name.split(".")[2] for path in out.glob(".bravo.*.designexport-*.part")}

    wait_for(lambda: staged_formats() == {"html", "docx"}, "bravo's staged outputs")
    workers = children_of(process.pid)
    assert workers, "the batch runs its documents in worker processes"
    return process, workers


@pytest.mark.parametrize("command", ["export", "check"])
def test_a_hanging_single_document_fails_at_its_timeout_with_nothing_written(tmp_path: Path, command: str) -> None:
    """The hook hangs with every catchable signal blocked, as C code does: only a kill from outside ends it."""
    doc = write_doc(tmp_path / "doc.md", "Doc")
    earlier = {tmp_path / "doc.html": b"earlier html\n"}
    (tmp_path / "doc.html").write_bytes(earlier[tmp_path / "doc.html"])
    arguments = ("doc.md", "--html", "--docx") if command == "export" else ("check", "doc.md")
    completed = run_cli(*arguments, "--timeout", "2", cwd=tmp_path, fault=f"hang:{doc.name}")

    assert completed.returncode == 1
    consequence = "no output written" if command == "export" else "not checked"
    assert f"doc.md: error: timed out after 2 s (--timeout); {consequence}" in completed.stderr
    assert "Traceback" not in completed.stderr
    assert (tmp_path / "doc.html").read_bytes() == earlier[tmp_path / "doc.html"]
    assert not (tmp_path / "doc.docx").exists()
    assert not partial_files(tmp_path)


@pytest.mark.parametrize(("signum", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_an_interrupted_batch_keeps_earlier_outputs_and_leaves_nothing_behind(
    batch: tuple[Path, Path, dict[Path, bytes]], tmp_path: Path, signum: signal.Signals, status: int
) -> None:
    docs, out, earlier = batch
    process, workers = start_hanging_batch(docs, out, tmp_path)
    process.send_signal(signum)
    assert process.wait(timeout=WAIT_SECONDS) == status

    stderr = (tmp_path / "stderr.log").read_text(encoding="utf-8")
    assert "Traceback" not in stderr
    last = stderr.splitlines()[-1]
    assert last.startswith(f"interrupted by {signum.name}; ") and "not written" in last and "bravo.md" in last
    for name in ("alpha", "bravo", "charlie"):
        html, docx = out / f"{name}.html", out / f"{name}.docx"
        replaced = [html.read_bytes() != earlier[html], docx.read_bytes() != earlier[docx]]
        assert replaced in ([True, True], [False, False]), f"{name}'s outputs were replaced one at a time"
        if f"{name}.md" in last:  # named as not written: its earlier outputs are byte for byte as they were
            assert not any(replaced), name
    assert not partial_files(out)
    wait_for(lambda: not any(is_running(pid) for pid in workers), "the workers to end")


def test_workers_die_with_a_killed_cli_and_the_next_run_removes_their_leftovers(
    batch: tuple[Path, Path, dict[Path, bytes]], tmp_path: Path
) -> None:
    docs, out, earlier = batch
    process, workers = start_hanging_batch(docs, out, tmp_path)
    process.kill()  # the CLI gets no chance to stop anything
    process.wait(timeout=WAIT_SECONDS)
    wait_for(lambda: not any(is_running(pid) for pid in workers), "the orphaned workers to end")
    leftovers = [path for path in partial_files(out) if path.name.startswith(".bravo.")]
    assert leftovers, "a killed worker's temporary files stay behind until the next run"
    assert (out / "bravo.html").read_bytes() == earlier[out / "bravo.html"]

    completed = run_cli(docs, "-o", out, "--html", "--docx", "-j", "2")
    assert completed.returncode == 0, completed.stderr
    assert not partial_files(out)
    assert (out / "bravo.html").read_bytes() != earlier[out / "bravo.html"]


def test_a_run_removes_only_temporary_files_it_can_prove_a_dead_run_left(tmp_path: Path) -> None:
    write_doc(tmp_path / "docs" / "alpha.md", "Alpha")
    out = tmp_path / "out"
    out.mkdir()
    dead_pid = _exited_pid()
    stale = out / f".alpha.html.designexport-{dead_pid}.k3j9x_2a.part"
    kept = [
        out / f".alpha.html.designexport-{os.getpid()}.a1b2c3d4.part",  # a live writer (this test) owns it
        out / ".alpha.html.k3j9x_2a.part",  # another tool's temporary file
        out / f".other.html.designexport-{dead_pid}.k3j9x_2a.part",  # beside no output of this run
        out / f".alpha.html.designexport-{dead_pid}.k3j9x_2a.part.bak",
        out / "notes.part",
    ]
    for path in (stale, *kept):
        path.write_bytes(b"partial")

    completed = run_cli(tmp_path / "docs", "-o", out, "--html", "-v")
    assert completed.returncode == 0, completed.stderr
    assert not stale.exists()
    assert f"removed {stale}" in completed.stderr
    assert all(path.read_bytes() == b"partial" for path in kept)


def test_a_run_removes_the_half_written_cache_entry_a_killed_run_left(tmp_path: Path) -> None:
    write_doc(tmp_path / "docs" / "alpha.md", "Alpha")
    out = tmp_path / "out"
    assert run_cli(tmp_path / "docs", "-o", out, "--html").returncode == 0
    (entry,) = (out / ".designexport-cache").glob("*.json")
    stale = entry.with_name(f".{entry.name}.designexport-{_exited_pid()}.k3j9x_2a.part")
    stale.write_bytes(b"{partial")

    completed = run_cli(tmp_path / "docs", "-o", out, "--html", "-v")
    assert completed.returncode == 0, completed.stderr
    assert not stale.exists()
    assert f"removed {stale}" in completed.stderr


def _exited_pid() -> int:
    """The pid of a process that has ended and been reaped."""
    child = subprocess.Popen([sys.executable, "-c", ""])
    child.wait()
    return child.pid


def test_a_failed_document_replaces_none_of_its_outputs(tmp_path: Path) -> None:
    doc = write_doc(tmp_path / "doc.md", "Doc")
    (tmp_path / "doc.html").write_bytes(b"earlier html\n")
    (tmp_path / "doc.docx").mkdir()  # the DOCX cannot be put in place, after the HTML was written
    result = export_document(doc, ExportSettings(formats=("html", "docx")))
    assert "cannot write" in result.error and "doc.docx" in result.error
    assert (tmp_path / "doc.html").read_bytes() == b"earlier html\n"
    assert result.outputs == [] and result.records == []
    assert not partial_files(tmp_path)


def test_a_file_name_cannot_forge_a_log_line(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    forged = write_doc(docs / "ok\n::error::forged.md", "Ok")
    broken = docs / "bad\n::error file=x::forged\r.md"
    broken.write_bytes(b"# Bad\n\ncaf\xe9\n")
    completed = run_cli("docs", "-o", "out", "--html", "-j", "1", "--report", "report.json", cwd=tmp_path)
    checked = run_cli("check", "docs", "--profile", "none", cwd=tmp_path)

    for output in (completed.stdout, completed.stderr, checked.stdout, checked.stderr):
        assert not any(line.startswith("::") for line in output.splitlines()), output
        assert "\r" not in output
    assert "exported docs/ok\\n::error::forged.md -> " in completed.stdout
    assert "docs/bad\\n::error file=x::forged\\r.md:3: error: not valid UTF-8" in completed.stderr
    assert "docs/bad\\n::error file=x::forged\\r.md:3: error: not valid UTF-8" in checked.stderr
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    sources = {entry["source"]: entry["status"] for entry in report["documents"]}
    assert sources == {str(forged.relative_to(tmp_path)): "exported", str(broken.relative_to(tmp_path)): "failed"}
    assert printable(printable("a\nb\x1b[2J\u202ec")) == "a\\nb\\x1b[2J\\u202ec"


# --- the signal handlers, in this process ----------------------------------------------------------------------------


class InterruptsWhenCollected:
    """Sends this process SIGINT from its finalizer, so the handler's exception is raised inside the finalizer,
    where Python swallows it, as when Ctrl-C comes while the garbage collector runs one. `finished` says
    whether the finalizer ran to its end: it does not when the exception cut it short."""

    def __init__(self) -> None:
        self.finished: list[bool] = []

    def __del__(self) -> None:
        os.kill(os.getpid(), signal.SIGINT)
        self.finished.append(True)


def signalled_from_a_finalizer() -> list[bool]:
    """Makes an `InterruptsWhenCollected` and lets it go; whether its finalizer ran to its end."""
    collected = InterruptsWhenCollected()
    finished = collected.finished
    del collected  # finalized at once
    return finished


@contextmanager
def reported_exceptions() -> Iterator[list[type[BaseException]]]:
    """The exceptions Python swallowed and reported ("Exception ignored in ..." and a traceback on stderr) while
    the block ran."""
    reported: list[type[BaseException]] = []
    hook = sys.unraisablehook
    sys.unraisablehook = lambda unraisable: reported.append(unraisable.exc_type)
    try:
        yield reported
    finally:
        sys.unraisablehook = hook


@pytest.mark.usefixtures("signal_handlers")
def test_an_interrupt_a_finalizer_swallowed_still_stops_the_export_and_prints_no_traceback() -> None:
    went_on = False
    with reported_exceptions() as reported, pytest.raises(Interrupted) as raised, interrupts_raised():
        finished = signalled_from_a_finalizer()
        went_on = True
    assert went_on and not finished, "the interrupt was not raised inside the finalizer: the test shows nothing"
    assert raised.value.signum == signal.SIGINT and raised.value.exit_status == 130
    assert reported == []


@pytest.mark.usefixtures("signal_handlers")
def test_an_ignored_interrupt_stays_ignored_while_sigterm_still_stops() -> None:
    """A command started in the background with `&` ignores SIGINT: Ctrl-C at the terminal is not for it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    with pytest.raises(Interrupted) as raised, interrupts_raised():
        os.kill(os.getpid(), signal.SIGINT)
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
        os.kill(os.getpid(), signal.SIGTERM)
    assert raised.value.signum == signal.SIGTERM


@pytest.mark.usefixtures("signal_handlers")
def test_an_export_that_was_not_interrupted_puts_the_handlers_back() -> None:
    before = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    with interrupts_raised():
        assert signal.getsignal(signal.SIGINT) not in before
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before


@pytest.mark.usefixtures("signal_handlers")
def test_an_interrupt_as_a_worker_starts_stops_that_worker_too() -> None:
    """Ctrl-C right after a worker process started, before the pool listed it: a worker left running ignores
    SIGTERM, and the CLI's exit (multiprocessing joins its children) would wait for it for ever."""
    pool: WorkerPool[str, str] = WorkerPool(1, str.upper, lambda: None)
    context = pool.context
    started: list[BaseProcess] = []

    def process_interrupted_as_it_starts(*arguments: Any, **options: Any) -> BaseProcess:
        process: BaseProcess = context.Process(*arguments, **options)  # type: ignore[attr-defined]
        start = process.start

        def start_then_interrupt() -> None:
            start()
            started.append(process)
            os.kill(os.getpid(), signal.SIGINT)  # held back while the pool starts it, delivered right after

        process.start = start_then_interrupt  # type: ignore[method-assign]
        return process

    pool.context = SimpleNamespace(Pipe=context.Pipe, Process=process_interrupted_as_it_starts)  # type: ignore[assignment]
    try:
        with pytest.raises(Interrupted), interrupts_raised():
            pool.run(["a"], None, lambda _item: None, lambda _item, outcome, _pid: outcome, lambda *_: None)
        assert len(started) == 1
        wait_for(lambda: not started[0].is_alive(), "the worker to be stopped")
    finally:
        for process in started:
            process.kill()
            process.join()


@pytest.mark.usefixtures("signal_handlers")
def test_a_step_that_defers_interrupts_runs_to_its_end_with_other_threads_running() -> None:
    """With other threads running (the file watcher's, serve's), blocking the signal in the main thread only
    hands it to one of those, and Python would run the handler in the middle of the step all the same."""
    done = threading.Event()
    bystander = threading.Thread(target=done.wait, daemon=True)
    bystander.start()
    noticed, notice = os.pipe()  # Python writes a signal's number here once its C handler ran, in any thread
    os.set_blocking(notice, False)
    before = signal.set_wakeup_fd(notice)
    steps: list[str] = []
    try:
        with pytest.raises(Interrupted), interrupts_raised():
            with interrupts_deferred():
                os.kill(os.getpid(), signal.SIGINT)
                assert select.select([noticed], [], [], WAIT_SECONDS)[0], "the signal never arrived"
                steps.append("the step went on after the signal")
            steps.append("the run went on after the step")
    finally:
        signal.set_wakeup_fd(before)
        done.set()
        os.close(noticed)
        os.close(notice)
    assert steps == ["the step went on after the signal"]


@pytest.mark.usefixtures("signal_handlers")
def test_a_step_that_defers_interrupts_runs_even_when_one_came_just_before(monkeypatch: pytest.MonkeyPatch) -> None:
    """Python runs the handler of a signal that has just come as soon as a handler is changed, so the signal
    raises as the step begins (the pool's last step stops its workers: skipped, one was left running and the
    CLI's exit waited for it). The step must run all the same, the interrupt coming after it."""
    change_handler = signal.signal
    just_came = [signal.SIGINT]

    def change_handler_as_python_does(number: int, handler: Any) -> Any:
        if just_came:
            signum = just_came.pop()
            handler_now = signal.getsignal(signum)
            assert callable(handler_now)
            handler_now(signum, None)
        return change_handler(number, handler)

    steps: list[str] = []
    with pytest.raises(Interrupted), interrupts_raised():
        monkeypatch.setattr(signal, "signal", change_handler_as_python_does)
        with interrupts_deferred():
            steps.append("the step ran")
        steps.append("the run went on after the step")
    assert steps == ["the step ran"] and not just_came


def test_a_worker_left_running_does_not_hold_the_cli_at_its_exit() -> None:
    """An interrupt handled just as a pool's last step begins skips it, leaving a worker running (the step's
    first instruction cannot be shielded). It ignores SIGTERM, all that multiprocessing's exit sends before it
    waits for its children; the CLI must still end, and the worker with it."""
    started_and_left = (
        "from exporter.run.workers import WorkerPool\n"
        "workers = []\n"
        "WorkerPool(1, str, lambda: None)._spawn(workers)\n"
        "print(workers[0].pid, flush=True)\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", started_and_left], capture_output=True, text=True, timeout=WAIT_SECONDS, check=False
    )
    assert completed.returncode == 0, completed.stderr
    worker = int(completed.stdout)
    wait_for(lambda: not is_running(worker), "the worker to end")
