"""Running jobs on worker processes that may crash, hang, be interrupted or lose their parent.

Every document is exported (and checked) in a worker process, a single one too, so `--timeout` can
stop it anywhere, in C code as well (WeasyPrint, Pango, lxml): at its deadline the worker is killed
and replaced, its document fails with a one-line error, and the batch goes on. On Linux a worker is
a fork of the CLI, which costs a few milliseconds; elsewhere it is a fresh interpreter. A worker
handles one job at a time and keeps its imports, fonts and parsed stylesheets for the next.

When there are fewer documents than workers and at least two cores, a document exported to the PDF and
other formats uses a second core too: once its tree is ready, its worker forks a helper that renders the PDF
while the worker renders the rest (`render_in_helper`). The helper is part of its worker: it dies with it (at
a timeout, an interrupt, or a kill), ignores SIGINT and SIGTERM as it does, and writes nothing itself.

Workers only write temporary files; the CLI puts a document's outputs in place, all together (see
exporter.run.export). SIGINT and SIGTERM raise `Interrupted` in the CLI (exporter.run.signals): the
workers are killed, their temporary files removed, and earlier outputs stay as they were. Workers
ignore both signals (Ctrl-C reaches the whole process group; the CLI decides) and die with the CLI
even when it is killed outright.
"""

from __future__ import annotations

import atexit
import dataclasses
import functools
import os
import pickle
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, Literal, NoReturn, TypeVar

from exporter.model.diagnostics import Code, ExportError
from exporter.render.options import Format
from exporter.run.batch import Job
from exporter.run.cache import remove_stale_entry_temporaries
from exporter.run.export import (
    ExportResult,
    ExportSettings,
    RenderCrashed,
    Rendered,
    commit_outputs,
    display_name,
    export_document,
    printable,
    read_source,
    remove_stale_temporaries,
    remove_temporaries,
)
from exporter.run.signals import INTERRUPT_SIGNALS, Interrupted, interrupts_deferred

if TYPE_CHECKING:
    from multiprocessing.connection import Connection
    from multiprocessing.context import BaseContext
    from multiprocessing.process import BaseProcess

    from _typeshed import FileDescriptorLike

    from exporter.run.check import Finding, Profile, TemplateSections

# Test hook: "crash:NAME" kills the worker, "hang:NAME" hangs it, while it writes NAME's last output
# (a check: at once); "crash:NAME@pdf" and "hang:NAME@pdf" while it renders or writes NAME's PDF; see _inject_fault.
FAULT_VARIABLE = "DESIGNEXPORT_TEST_FAULT"
STOP_GRACE_SECONDS = 2.0
WORKER_NAME = "designexport-worker"
PARENT_POLL_SECONDS = 1.0  # how often a worker without PR_SET_PDEATHSIG looks for its parent
PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>

ItemT = TypeVar("ItemT")
ResultT = TypeVar("ResultT")
SettledT = TypeVar("SettledT")

JobStarted = Callable[[Job], None]
JobFinished = Callable[[Job, ExportResult, float], None]


@dataclass(frozen=True, slots=True)
class Unfinished:
    """A job its worker gave no result for: it overran the timeout, it died, or the pool stopped first."""

    reason: Literal["timeout", "crash", "stopped"]
    how: str = ""  # for a crash: "worker killed by SIGKILL", "worker exited with status 1"


def run_jobs(
    jobs: Sequence[Job],
    settings: ExportSettings,
    worker_count: int,
    timeout: float | None,
    started: JobStarted,
    finished: JobFinished,
) -> None:
    """Exports every job on `worker_count` workers (one at a time with 1), calling `started` and
    `finished` in the calling process as each one goes. Each document's outputs are put in place
    as it finishes; on an interrupt, `Interrupted.unfinished` names those that were not."""
    if not jobs:
        return
    settled: set[int] = set()

    def settle(job: Job, outcome: ExportResult | Unfinished, worker_pid: int) -> ExportResult:
        if isinstance(outcome, Unfinished):
            remove_temporaries(job.targets.values(), worker_pid)
            if outcome.reason == "stopped":
                return ExportResult(job.source)
            outcome = ExportResult(job.source, error=_failure_message(printable(job.name), outcome, "export", timeout))
        else:
            commit_outputs(outcome, printable(job.name))
        settled.add(id(job))
        return outcome

    helped = _helped_jobs(jobs, worker_count)
    pool: WorkerPool[Job, ExportResult] = WorkerPool(
        min(worker_count, len(jobs)),
        functools.partial(_export_job, settings, helped),
        functools.partial(_warm_up, settings.formats, helped=bool(helped)),
    )
    ordered = sorted(jobs, key=_input_size, reverse=True)  # longest first: workers finish together
    try:
        pool.run(ordered, timeout, started, settle, finished)
    except Interrupted as interrupt:
        interrupt.unfinished = [printable(job.name) for job in jobs if id(job) not in settled]
        raise


def remove_leftovers(jobs: Sequence[Job]) -> list[str]:
    """Removes the temporary files killed runs left beside these jobs' outputs and cache entries; returns their names
    for log lines. Only files provably left by a process that is gone are touched."""
    removed = remove_stale_temporaries(target for job in jobs for target in job.targets.values())
    return [display_name(path) for path in [*removed, *remove_stale_entry_temporaries(jobs)]]


def run_checks(
    sources: Sequence[Path],
    template: TemplateSections | None,
    profile: Profile,
    timeout: float | None,
    suppressed: frozenset[Code] = frozenset(),
) -> list[tuple[Path, list[Finding] | str]]:
    """Checks each file in a worker, so `timeout` holds in C code too; per file, its findings (but those with
    a `suppressed` code) or a one-line error (unreadable, timed out, crashed), in the order given."""
    outcomes: dict[Path, list[Finding] | str] = {}

    def settle(source: Path, outcome: list[Finding] | str | Unfinished, _worker_pid: int) -> list[Finding] | str:
        if isinstance(outcome, Unfinished):
            return _failure_message(display_name(source), outcome, "check", timeout)
        return outcome

    def finished(source: Path, outcome: list[Finding] | str, _seconds: float) -> None:
        outcomes[source] = outcome

    if sources:
        pool: WorkerPool[Path, list[Finding] | str] = WorkerPool(
            1, functools.partial(_check_file, template, profile, suppressed), _warm_up_check
        )
        pool.run(sources, timeout, lambda _source: None, settle, finished)
    return [(source, outcomes[source]) for source in sources]


def _helped_jobs(jobs: Sequence[Job], worker_count: int) -> frozenset[Path]:
    """The documents (their sources) whose PDF a helper renders beside their worker: with fewer documents than
    workers and cores, the largest of those exported to the PDF and another format, one per spare core. None on
    one core or with -j 1, so nothing competes there; none where a worker cannot fork (macOS, Windows)."""
    if not _can_fork_helpers():
        return frozenset()
    spare = min(worker_count, usable_cores()) - len(jobs)
    splittable = [job for job in jobs if "pdf" in job.targets and len(job.targets) > 1]
    return frozenset(job.source for job in sorted(splittable, key=_input_size, reverse=True)[: max(spare, 0)])


def usable_cores() -> int:
    """The cores this process may run on (its affinity, where the platform tells), else every core."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _can_fork_helpers() -> bool:
    return sys.platform.startswith("linux") and hasattr(os, "fork")


def _failure_message(name: str, outcome: Unfinished, task: Literal["export", "check"], timeout: float | None) -> str:
    consequence = "no output written" if task == "export" else "not checked"
    if outcome.reason == "timeout":
        return str(ExportError(name, f"timed out after {timeout:g} s (--timeout); {consequence}"))
    return str(ExportError(name, f"the {task} crashed ({outcome.how}); {consequence}"))


@dataclass
class _Worker(Generic[ItemT]):
    process: BaseProcess
    connection: Connection
    item: ItemT | None = None  # given to the worker and not settled yet
    began: float = 0.0

    @property
    def pid(self) -> int:
        return self.process.pid or 0


class WorkerPool(Generic[ItemT, ResultT]):
    """Worker processes that run `work` on one item at a time, after `warm_up` once each."""

    def __init__(self, size: int, work: Callable[[ItemT], ResultT], warm_up: Callable[[], None]) -> None:
        self.size = size
        self.work = work
        self.warm_up = warm_up
        self.context = _context()

    def run(
        self,
        items: Sequence[ItemT],
        timeout: float | None,
        started: Callable[[ItemT], None],
        settle: Callable[[ItemT, ResultT | Unfinished, int], SettledT],
        finished: Callable[[ItemT, SettledT, float], None],
    ) -> None:
        """Runs every item. As each ends, `settle(item, result or Unfinished, worker pid)` runs with
        SIGINT and SIGTERM held back, then `finished(item, settled, seconds)`. When the run stops early
        (an exception, an interrupt) the items in flight are settled as Unfinished("stopped") after
        their workers are killed, and their outcome is dropped."""
        from multiprocessing.connection import wait

        pending: deque[ItemT] = deque(items)
        workers: list[_Worker[ItemT]] = []
        completed = False
        try:
            for _ in range(self.size):
                self._spawn(workers)
            while pending or any(worker.item is not None for worker in workers):
                for worker in workers:
                    if worker.item is None and pending:
                        worker.item, worker.began = pending.popleft(), time.perf_counter()
                        started(worker.item)
                        worker.connection.send(worker.item)
                busy = [worker for worker in workers if worker.item is not None]
                wait(
                    [*(w.connection for w in busy), *(w.process.sentinel for w in busy)], _next_deadline(busy, timeout)
                )
                for index, worker in enumerate(workers):
                    if worker.item is None:
                        continue
                    with interrupts_deferred():  # an outcome is received and settled, or neither
                        outcome = self._collect(worker, timeout)
                        if outcome is None:
                            continue
                        item, elapsed = worker.item, time.perf_counter() - worker.began
                        settled = settle(item, outcome, worker.pid)
                        worker.item = None
                    if not worker.process.is_alive():
                        self._stop(worker, graceful=False)
                        if pending:
                            self._spawn(workers, index)
                    finished(item, settled, elapsed)
            completed = True
        finally:
            with interrupts_deferred():  # a second signal must not cut the cleanup short
                for worker in workers:
                    self._stop(worker, graceful=completed)
                    if worker.item is not None:
                        settle(worker.item, Unfinished("stopped"), worker.pid)

    def _spawn(self, workers: list[_Worker[ItemT]], index: int | None = None) -> None:
        """Starts a worker and lists it in `workers` (at `index`, in place of one that ended, else at the end)
        before an interrupt can come between: a worker started but not listed would never be stopped, and
        ignoring SIGTERM, it would hold the CLI's exit (multiprocessing joins its children) for ever."""
        parent_end, child_end = self.context.Pipe()
        process = self.context.Process(  # type: ignore[attr-defined]
            target=_worker_main,
            args=(child_end, self.work, self.warm_up, os.getpid()),
            name=WORKER_NAME,
            daemon=True,
        )
        with interrupts_deferred():  # the worker starts with them held back and lets them in once it ignores them
            process.start()
            child_end.close()
            worker: _Worker[ItemT] = _Worker(process, parent_end)
            if index is None:
                workers.append(worker)
            else:
                workers[index] = worker

    def _collect(self, worker: _Worker[ItemT], timeout: float | None) -> ResultT | Unfinished | None:
        """The worker's result if it has one, Unfinished if it died or overran, else None (still working)."""
        try:
            if worker.connection.poll():
                result: ResultT = worker.connection.recv()
                return result
        except (EOFError, OSError):
            pass
        else:
            if worker.process.is_alive():
                if timeout is None or time.perf_counter() - worker.began < timeout:
                    return None
                _kill(worker.process)
                return Unfinished("timeout")
        worker.process.join(STOP_GRACE_SECONDS)
        return Unfinished("crash", _exit_description(worker.process.exitcode))

    @staticmethod
    def _stop(worker: _Worker[ItemT], graceful: bool) -> None:
        if worker.process.is_alive() and graceful and worker.item is None:
            with suppress(OSError):
                worker.connection.send(None)
            worker.process.join(STOP_GRACE_SECONDS)
        if worker.process.is_alive():
            _kill(worker.process)
        worker.connection.close()


@functools.cache
def _context() -> BaseContext:
    """Fork on Linux: the worker starts in milliseconds with what the CLI has imported. Elsewhere a
    fresh interpreter (fork is unsafe on macOS and missing on Windows)."""
    import multiprocessing.util  # only paid for once a job runs: --help and --version stay instant

    # Registered after multiprocessing's own exit function, which joins every child: so it runs first.
    atexit.register(kill_leftover_workers)
    return multiprocessing.get_context("fork" if sys.platform.startswith("linux") else "spawn")


def kill_leftover_workers() -> None:
    """Kills the workers still running as the CLI exits. A pool stops its workers as it ends, but a signal
    handled just as that last step begins raises before it can run (Python raises a handler's exception
    wherever the main thread is, and no code can shield its first step). A worker ignores SIGTERM, all that
    multiprocessing's exit sends before it waits for its children: the CLI would wait for ever."""
    import multiprocessing

    for process in multiprocessing.active_children():
        if process.name == WORKER_NAME:
            _kill(process)


def _input_size(job: Job) -> int:
    try:
        return job.source.stat().st_size
    except OSError:
        return 0


def _next_deadline(busy: Sequence[_Worker[Any]], timeout: float | None) -> float | None:
    if timeout is None or not busy:
        return None
    now = time.perf_counter()
    return max(0.0, min(worker.began + timeout - now for worker in busy)) + 0.01


def _kill(process: BaseProcess) -> None:
    process.kill()
    process.join(STOP_GRACE_SECONDS)


def _exit_description(code: int | None, process: str = "worker") -> str:
    if code is not None and code < 0:
        try:
            return f"{process} killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"{process} killed by signal {-code}"
    return f"{process} exited with status {code}"


def _worker_main(
    connection: Connection, work: Callable[[Any], Any], warm_up: Callable[[], None], parent_pid: int
) -> None:
    """A worker's life: tie it to the parent, import what the jobs need once, then run jobs until told to stop."""
    _die_with_parent(parent_pid)
    for number in INTERRUPT_SIGNALS:  # the parent handles them and stops us
        signal.signal(number, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, INTERRUPT_SIGNALS)
    warm_up()
    while True:
        try:
            item = connection.recv()
        except (EOFError, OSError):
            return
        if item is None:
            return
        connection.send(work(item))


def _die_with_parent(parent_pid: int) -> None:
    """Makes the worker end with the CLI, even a CLI killed by SIGKILL, which can stop nothing itself."""
    if sys.platform.startswith("linux") and _set_parent_death_signal():
        if os.getppid() != parent_pid:  # the parent died before prctl took effect
            os._exit(1)
        return
    threading.Thread(target=_watch_parent, args=(parent_pid,), name="parent-watch", daemon=True).start()


def _set_parent_death_signal() -> bool:
    """Asks Linux to send this process SIGKILL when its parent dies."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return bool(libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) == 0)
    except (OSError, AttributeError):
        return False


def _watch_parent(parent_pid: int) -> None:
    """Where the kernel cannot tie us to the parent: a worker whose parent is gone is re-parented."""
    while os.getppid() == parent_pid:
        time.sleep(PARENT_POLL_SECONDS)
    os._exit(1)


def _export_job(settings: ExportSettings, helped: frozenset[Path], job: Job) -> ExportResult:
    """A worker's export: the outputs stay staged for the parent to put in place."""
    in_helper = job.source in helped
    fault = _inject_fault(job.source, list(job.targets), in_helper=in_helper)
    elsewhere = functools.partial(render_in_helper, fault=fault) if in_helper else None
    return export_document(
        job.source, settings, job.targets, commit=False, cache_dir=job.cache_dir, elsewhere=elsewhere
    )


class _Helper:
    """A fork of this worker rendering one format (see `render_in_helper`); its outcome comes through a pipe."""

    def __init__(self, pid: int, reading: int) -> None:
        self.pid = pid
        self.reading = reading

    def result(self) -> Rendered:
        with os.fdopen(self.reading, "rb") as stream:
            self.reading = -1
            payload = stream.read()
        _, status = os.waitpid(self.pid, 0)
        self.pid = 0
        try:
            rendered, failure = pickle.loads(payload)
        except Exception:  # nothing (or half) sent: the helper died on the way
            raise RenderCrashed(_exit_description(os.waitstatus_to_exitcode(status), "PDF helper")) from None
        assert isinstance(rendered, Rendered)
        return rendered if failure is None else dataclasses.replace(rendered, error=ExportError(*failure))

    def cancel(self) -> None:
        if self.pid:
            with suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
            self.pid = 0
        if self.reading >= 0:
            os.close(self.reading)
            self.reading = -1


def render_in_helper(render: Callable[[], Rendered], fault: Callable[[], None] | None = None) -> _Helper:
    """Runs `render` in a fork of this worker, which has the document's tree already (nothing is copied
    but the pages either process writes to), and returns at once. The fork inherits the worker's ignored
    SIGINT and SIGTERM and dies with it, so a timeout or an interrupt that kills the worker ends it too.
    `fault` is the test hook's (see _inject_fault)."""
    parent_pid = os.getpid()
    reading, writing = os.pipe()
    pid = os.fork()
    if pid == 0:
        _helper_main(render, parent_pid, (reading, writing), fault)
    os.close(writing)
    return _Helper(pid, reading)


def _helper_main(
    render: Callable[[], Rendered], parent_pid: int, pipe: tuple[int, int], fault: Callable[[], None] | None
) -> NoReturn:
    """The helper's life: render, send the outcome (an ExportError as its parts: it does not pickle), exit
    without running anything the worker set up (os._exit: no atexit, no buffered output flushed twice)."""
    reading, writing = pipe
    status = 1
    try:
        os.close(reading)
        _die_with_parent(parent_pid)
        if fault is not None:
            fault()
        rendered = render()
        error = rendered.error
        failure = None if error is None else (error.source, error.message, error.line)
        payload = pickle.dumps((dataclasses.replace(rendered, error=None), failure), pickle.HIGHEST_PROTOCOL)
        with os.fdopen(writing, "wb") as stream:
            stream.write(payload)
        status = 0
    finally:
        os._exit(status)


def _warm_up(formats: Sequence[Format], *, helped: bool = False) -> None:
    """Pays each backend's import cost once per worker instead of once per document. With PDF helpers the
    Word backend is left for the first DOCX to import: it then loads while a helper renders the PDF, not before
    the document is read."""
    if "html" in formats or "pdf" in formats:
        import exporter.render.html
    if "pdf" in formats:
        import exporter.render.pdf
    if "docx" in formats and not helped:
        import exporter.render.word.document  # noqa: F401


def _check_file(
    template: TemplateSections | None, profile: Profile, suppressed: frozenset[Code], source: Path
) -> list[Finding] | str:
    """A worker's check of one file: its findings, or the one-line error for a file it cannot read."""
    from exporter.run.check import check_document

    _inject_fault(source)
    try:
        text = read_source(source)
        return check_document(text, display_name(source), source.parent, template, profile, suppressed)
    except ExportError as error:  # unreadable, or past a limit (nesting, elements, table size ...)
        return str(error)


def _warm_up_check() -> None:
    import exporter.run.check  # noqa: F401


def _inject_fault(
    source: Path, formats: Sequence[Format] = (), *, in_helper: bool = False
) -> Callable[[], None] | None:
    """The test hook, only active when DESIGNEXPORT_TEST_FAULT names this file. "crash:NAME" kills the
    worker; "hang:NAME" hangs it with every signal it could catch held back, as C code hangs. An export
    does either in the middle of its last write, so its earlier outputs are already staged; a check
    (no formats) at once. "…:NAME@pdf" strikes in the middle of the PDF's write instead, or, when a helper
    renders the PDF (`in_helper`), in the helper as it starts: that fault is returned, for the helper."""
    kind, _, named = os.environ.get(FAULT_VARIABLE, "").partition(":")
    name, _, only = named.partition("@")
    if not name or source.name != name or kind not in ("crash", "hang") or (only and only not in formats):
        return None
    strike = _crash if kind == "crash" else _hang
    if only == "pdf" and in_helper:
        return strike
    writes = next(index + 1 for index, fmt in enumerate(formats) if fmt == only) if only else len(formats)
    if writes <= 0:
        strike()
        return None
    real_fsync = os.fsync
    calls = 0

    def fsync_then_fault(descriptor: FileDescriptorLike) -> None:
        nonlocal calls
        calls += 1
        if calls >= writes:
            strike()
        real_fsync(descriptor)

    os.fsync = fsync_then_fault  # type: ignore[assignment]  # the worker dies of the fault: no one else sees it
    return None


def _crash() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _hang() -> None:
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_BLOCK, set(signal.Signals) - {signal.SIGKILL, signal.SIGSTOP})
    while True:
        time.sleep(3600)
