"""Running export jobs: in this process (`-j 1`), or on reusable worker processes that may crash or hang.

A worker exports one document at a time and keeps its imports, fonts and parsed stylesheets for the
next. A worker that dies or overruns its time is killed and replaced; its document is reported as
failed and any half-written temporary file is removed, so the batch goes on.
"""

from __future__ import annotations

import os
import signal
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from exporter.batch import Job
from exporter.diagnostics import ExportError
from exporter.export import ExportResult, ExportSettings, Format, export_document

if TYPE_CHECKING:
    from multiprocessing.connection import Connection
    from multiprocessing.process import BaseProcess

# Test hook: "crash:NAME" kills the worker while it writes NAME's output; "hang:NAME" makes it hang.
FAULT_VARIABLE = "DESIGNEXPORT_TEST_FAULT"
STOP_GRACE_SECONDS = 2.0

JobStarted = Callable[[Job], None]
JobFinished = Callable[[Job, ExportResult, float], None]


class DocumentTimeout(BaseException):
    """Raised in-process when a document overruns --timeout (a BaseException, so no backend swallows it)."""


def run_jobs(
    jobs: Sequence[Job],
    settings: ExportSettings,
    worker_count: int,
    timeout: float | None,
    started: JobStarted,
    finished: JobFinished,
) -> None:
    """Exports every job, calling `started` and `finished` in the calling process as each one goes."""
    if worker_count <= 1 or len(jobs) <= 1:
        _run_here(jobs, settings, timeout, started, finished)
    else:
        _WorkerPool(min(worker_count, len(jobs)), settings).run(jobs, timeout, started, finished)


def _run_here(
    jobs: Sequence[Job], settings: ExportSettings, timeout: float | None, started: JobStarted, finished: JobFinished
) -> None:
    for job in jobs:
        started(job)
        began = time.perf_counter()
        try:
            with _alarm(timeout):
                _inject_fault(job, in_worker=False)
                result = export_document(job.source, settings, job.targets)
        except DocumentTimeout:
            remove_partial_outputs(job)
            result = ExportResult(job.source, error=_timeout_message(job, timeout))
        finished(job, result, time.perf_counter() - began)


@contextmanager
def _alarm(timeout: float | None) -> Iterator[None]:
    """Interrupts the block after `timeout` seconds, where the platform allows it."""
    if not timeout or not hasattr(signal, "setitimer"):
        yield
        return

    def expire(_signum: int, _frame: FrameType | None) -> None:
        raise DocumentTimeout

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _timeout_message(job: Job, timeout: float | None) -> str:
    return str(ExportError(job.name, f"timed out after {timeout:g} s (--timeout); no output written"))


def remove_partial_outputs(job: Job) -> None:
    """Deletes the temporary files an interrupted write_atomic leaves beside the targets."""
    for target in job.targets.values():
        for leftover in target.parent.glob(f".{target.name}.*.part"):
            leftover.unlink(missing_ok=True)


@dataclass
class _Worker:
    process: BaseProcess
    connection: Connection
    job: Job | None = None
    began: float = 0.0


class _WorkerPool:
    def __init__(self, size: int, settings: ExportSettings) -> None:
        self.size = size
        self.settings = settings
        import multiprocessing  # only batches with workers pay for it

        self.context = multiprocessing.get_context("spawn")

    def _spawn(self) -> _Worker:
        parent_end, child_end = self.context.Pipe()
        process = self.context.Process(
            target=_worker_main, args=(child_end, self.settings), name="designexport-worker", daemon=True
        )
        process.start()
        child_end.close()
        return _Worker(process, parent_end)

    def run(self, jobs: Sequence[Job], timeout: float | None, started: JobStarted, finished: JobFinished) -> None:
        from multiprocessing.connection import wait

        pending = deque(sorted(jobs, key=_input_size, reverse=True))  # longest first: workers finish together
        workers = [self._spawn() for _ in range(self.size)]
        try:
            while pending or any(worker.job for worker in workers):
                for worker in workers:
                    if worker.job is None and pending:
                        worker.job, worker.began = pending.popleft(), time.perf_counter()
                        started(worker.job)
                        worker.connection.send(worker.job)
                busy = [worker for worker in workers if worker.job is not None]
                wait(
                    [*(w.connection for w in busy), *(w.process.sentinel for w in busy)], _next_deadline(busy, timeout)
                )
                for index, worker in enumerate(workers):
                    if worker.job is not None and (outcome := self._collect(worker, timeout)) is not None:
                        job, result = worker.job, outcome
                        elapsed = time.perf_counter() - worker.began
                        if result.error and not worker.process.is_alive():
                            workers[index] = self._spawn() if pending else _retired(worker)
                        else:
                            worker.job = None
                        finished(job, result, elapsed)
        finally:
            for worker in workers:
                self._stop(worker)

    def _collect(self, worker: _Worker, timeout: float | None) -> ExportResult | None:
        """The worker's result if it has one, a failure if it died or overran, else None (still working)."""
        job = worker.job
        assert job is not None
        try:
            if worker.connection.poll():
                result = worker.connection.recv()
                if isinstance(result, ExportResult):
                    return result
        except (EOFError, OSError):
            pass
        else:
            if worker.process.is_alive():
                if timeout is None or time.perf_counter() - worker.began < timeout:
                    return None
                _kill(worker.process)
                remove_partial_outputs(job)
                return ExportResult(job.source, error=_timeout_message(job, timeout))
        worker.process.join(STOP_GRACE_SECONDS)
        remove_partial_outputs(job)
        how = _exit_description(worker.process.exitcode)
        return ExportResult(
            job.source, error=str(ExportError(job.name, f"the export crashed ({how}); no output written"))
        )

    @staticmethod
    def _stop(worker: _Worker) -> None:
        if worker.process.is_alive():
            if worker.job is None:
                with suppress(OSError):
                    worker.connection.send(None)
                worker.process.join(STOP_GRACE_SECONDS)
            if worker.process.is_alive():
                _kill(worker.process)
            if worker.job is not None:
                remove_partial_outputs(worker.job)
        worker.connection.close()


def _input_size(job: Job) -> int:
    try:
        return job.source.stat().st_size
    except OSError:
        return 0


def _retired(worker: _Worker) -> _Worker:
    """A dead worker's slot once nothing is left to give it."""
    worker.job = None
    return worker


def _next_deadline(busy: Sequence[_Worker], timeout: float | None) -> float | None:
    if timeout is None or not busy:
        return None
    now = time.perf_counter()
    return max(0.0, min(worker.began + timeout - now for worker in busy)) + 0.01


def _kill(process: BaseProcess) -> None:
    process.kill()
    process.join(STOP_GRACE_SECONDS)


def _exit_description(code: int | None) -> str:
    if code is not None and code < 0:
        try:
            return f"worker killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"worker killed by signal {-code}"
    return f"worker exited with status {code}"


def _worker_main(connection: Connection, settings: ExportSettings) -> None:
    """A worker's life: import the backends once, then export jobs until told to stop."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and stops us
    _warm_up(settings.formats)
    while True:
        try:
            job = connection.recv()
        except (EOFError, OSError, KeyboardInterrupt):
            return
        if job is None:
            return
        _inject_fault(job, in_worker=True)
        connection.send(export_document(job.source, settings, job.targets))


def _warm_up(formats: Sequence[Format]) -> None:
    """Pays each backend's import cost once per worker instead of once per document."""
    if "html" in formats or "pdf" in formats:
        import exporter.backends.html
    if "pdf" in formats:
        import exporter.backends.pdf
    if "docx" in formats:
        import exporter.backends.word  # noqa: F401


def _inject_fault(job: Job, in_worker: bool) -> None:
    """The test hook: only active when DESIGNEXPORT_TEST_FAULT names this job's file; crashes only in workers."""
    kind, _, name = os.environ.get(FAULT_VARIABLE, "").partition(":")
    if not name or Path(job.source).name != name:
        return
    if kind == "hang":
        time.sleep(3600)
    elif kind == "crash" and in_worker:
        import exporter.export

        def die_mid_write(_descriptor: int) -> None:
            os.kill(os.getpid(), signal.SIGKILL)

        exporter.export.os.fsync = die_mid_write  # type: ignore[attr-defined]
