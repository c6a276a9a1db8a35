"""Whole-process measurements for pandoc_compare.py: wall and CPU time, and memory of a process tree.

Each command runs in a session of its own, so that on a timeout everything it started goes with it; its
descendants are found through /proc for memory, and the orphans it leaves (a diagram renderer's browser)
are adopted and reaped here (become_subreaper), so that their CPU time counts and none outlives its run.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import re
import resource
import signal
import statistics
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

KIB = 1024
MIB = 1024 * 1024
PR_SET_CHILD_SUBREAPER = 36  # linux/prctl.h
LEFTOVER_GRACE_SECONDS = 2.0
_ROLLUP_FIELD = re.compile(rb"^(Rss|Pss):\s+(\d+) kB", re.MULTILINE)


@dataclass
class TreeMemory:
    """Peaks over a run, sampled every `interval` seconds: the summed RSS of the run's process tree (it
    counts a page a fork shares with its parent once per process) and their summed PSS (each shared page
    split between the processes that map it), and the most processes seen at once."""

    interval: float
    samples: int = 0
    peak_rss_mib: float = 0.0
    peak_pss_mib: float = 0.0
    most_processes: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "interval_s": self.interval,
            "samples": self.samples,
            "peak_tree_rss_mib": round(self.peak_rss_mib, 1),
            "peak_tree_pss_mib": round(self.peak_pss_mib, 1),
            "most_processes": self.most_processes,
        }


@dataclass
class Run:
    """One finished process: wall and CPU seconds (its descendants included), the peak RSS of its largest
    process in MiB (wait4), exit code and the tail of stderr; `tree` when memory was sampled."""

    wall: float
    cpu: float
    rss_mib: float
    returncode: int
    stderr: str = ""
    tree: TreeMemory | None = None
    orphans: int = 0  # processes it left behind, adopted and reaped here
    killed: int = 0  # of those, the ones still running a moment after it ended


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
        return float(statistics.median(getattr(run, attribute) for run in self.runs))

    def wall(self) -> float | None:
        return self.median("wall") if self.ok else None

    def to_json(self) -> dict[str, Any]:
        if not self.ok:
            return {"ok": False, "error": self.error}
        return {
            "ok": True,
            "wall": round(self.median("wall"), 4),
            "cpu": round(self.median("cpu"), 4),
            "rss_mib": round(self.median("rss_mib"), 1),
            "output_bytes": self.output_bytes,
            "orphans_reaped": sum(r.orphans for r in self.runs),
            "left_running_killed": sum(r.killed for r in self.runs),
            "runs": [
                {"wall": round(r.wall, 4), "cpu": round(r.cpu, 4), "rss_mib": round(r.rss_mib, 1)} for r in self.runs
            ],
        }


def session_processes(session: int) -> list[int]:
    """The ids of the processes in `session`."""
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as stat:
                fields = stat.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue  # it ended meanwhile
        if int(fields[3]) == session:  # after the name: state, ppid, pgrp, session
            found.append(int(entry.name))
    return found


def tree_processes(root: int) -> list[int]:
    """`root` and its descendants, from /proc/PID/task/TID/children (far cheaper than scanning /proc);
    the session's processes where the kernel has no children files."""
    found: list[int] = []
    pending = [root]
    while pending:
        pid = pending.pop()
        found.append(pid)
        try:
            tasks = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue  # it ended meanwhile
        for task in tasks:
            try:
                with open(f"/proc/{pid}/task/{task}/children", "rb") as children:
                    pending.extend(int(child) for child in children.read().split())
            except FileNotFoundError:
                if not os.path.exists(f"/proc/{pid}/task/{task}"):
                    continue  # the thread ended
                return session_processes(root)
            except OSError:
                continue
    return found


def rss_and_pss_kib(rollup: bytes) -> tuple[int, int]:
    """Rss and Pss, in KiB, from the text of /proc/PID/smaps_rollup."""
    values = {name: int(value) for name, value in _ROLLUP_FIELD.findall(rollup)}
    return values.get(b"Rss", 0), values.get(b"Pss", 0)


def process_memory_kib(pid: int) -> tuple[int, int]:
    """A process's RSS and PSS in KiB; (0, 0) once it has ended."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as rollup:
            return rss_and_pss_kib(rollup.read())
    except OSError:
        return 0, 0


def _sample_tree(session: int, memory: TreeMemory, done: threading.Event) -> None:
    while not done.wait(memory.interval):
        pids = tree_processes(session)
        rss = pss = 0
        for pid in pids:
            process_rss, process_pss = process_memory_kib(pid)
            rss += process_rss
            pss += process_pss
        memory.samples += 1
        memory.peak_rss_mib = max(memory.peak_rss_mib, rss / KIB)
        memory.peak_pss_mib = max(memory.peak_pss_mib, pss / KIB)
        memory.most_processes = max(memory.most_processes, len(pids))


def kill_session(session: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(session, signal.SIGKILL)


def become_subreaper() -> bool:
    """Makes this process adopt the orphans of the processes it starts, so that their CPU time is counted:
    a diagram renderer's browser outlives the process that started it, and nothing reaps it but init."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)) == 0
    except (OSError, AttributeError):
        return False


def own_children() -> set[int]:
    found: set[int] = set()
    for task in os.listdir("/proc/self/task"):
        with contextlib.suppress(OSError), open(f"/proc/self/task/{task}/children", "rb") as children:
            found.update(int(child) for child in children.read().split())
    return found


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def reap_leftovers(grace: float) -> tuple[int, int, float]:
    """Reaps the orphans this (subreaper) process adopted during a run; those still running after `grace`
    seconds are killed. Returns how many were reaped, how many killed, and their largest peak RSS in MiB."""
    deadline = time.monotonic() + grace
    reaped = 0
    killed: set[int] = set()
    largest = 0.0
    while True:
        try:
            pid, _, usage = os.wait4(-1, os.WNOHANG)
        except ChildProcessError:
            return reaped, len(killed), largest
        if pid:
            reaped += 1
            largest = max(largest, usage.ru_maxrss * KIB / MIB)
            continue
        if time.monotonic() >= deadline:
            for child in own_children() - killed:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(child, signal.SIGKILL)
                killed.add(child)
        time.sleep(0.01)


def run_process(
    command: list[str],
    env: dict[str, str],
    cwd: Path,
    timeout: float,
    sample_memory_every: float | None = None,
) -> Run:
    """Runs one command in a new session and waits for it; wall time ends when it exits.

    CPU time is what this process's reaped children gained meanwhile: the command, the descendants it
    reaped, and (see become_subreaper) the orphans it left, reaped here; anything still running a moment
    after the command ended is killed. The RSS is wait4's: the largest peak of a single process, not a sum.
    With `sample_memory_every`, a thread also samples the process tree's summed RSS and PSS (it costs some
    CPU: use it apart from timed runs)."""
    reap_leftovers(0)  # of earlier commands run elsewhere (subprocess.run), so that their time is not counted here
    with tempfile.TemporaryFile() as errors:
        cpu_before = _children_cpu()
        start = time.perf_counter()
        process = subprocess.Popen(
            command, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=errors, stderr=errors, start_new_session=True
        )
        timer = threading.Timer(timeout, kill_session, (process.pid,))
        timer.start()
        memory = TreeMemory(sample_memory_every) if sample_memory_every else None
        done = threading.Event()
        sampler = threading.Thread(target=_sample_tree, args=(process.pid, memory, done)) if memory else None
        if sampler:
            sampler.start()
        try:
            _, status, usage = os.wait4(process.pid, 0)
        finally:
            wall = time.perf_counter() - start
            timer.cancel()
            done.set()
            if sampler:
                sampler.join()
            kill_session(process.pid)  # whatever it left running in its session
            orphans, killed, orphan_rss = reap_leftovers(LEFTOVER_GRACE_SECONDS)
        process.returncode = os.waitstatus_to_exitcode(status)  # reaped here; keep Popen from waiting again
        errors.seek(0)
        stderr = errors.read().decode("utf-8", "replace")
    return Run(
        wall=wall,
        cpu=_children_cpu() - cpu_before,
        rss_mib=max(usage.ru_maxrss * KIB / MIB, orphan_rss),  # ru_maxrss is KiB on Linux
        returncode=process.returncode,
        stderr=stderr[-2000:],
        tree=memory,
        orphans=orphans,
        killed=killed,
    )
