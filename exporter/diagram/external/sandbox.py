"""Run one external renderer program, walled in: no shell, the input on stdin, a private folder for
everything it writes, none of the user's environment, a deadline, a memory cap, an output cap and,
where the system allows it, no network at all.

Network: when `unshare --net --map-root-user` works (util-linux, unprivileged user namespaces),
the program runs in a fresh network namespace whose only interface is its own loopback, down:
it cannot reach the internet, the local network or even 127.0.0.1 of the host. Where it does not
work (macOS, containers that forbid user namespaces), the program runs without that wall and each
renderer's own measures are all there is: sources that load files or URLs are refused before they
run, and the JVM's proxies point at a dead port (see plantuml.py).

A failing program never raises: every outcome, a missing program included, is a SandboxResult.
"""

from __future__ import annotations

import contextlib
import os
import resource
import selectors
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import IO

STANDARD_PATH = ("/usr/local/bin", "/usr/bin", "/bin")
MAX_STDERR_BYTES = 64 * 1024  # enough for any message we read; the rest is dropped
READ_CHUNK = 64 * 1024
PROBE_SECONDS = 10.0

# What programs print when an allocation fails under the memory cap.
_OUT_OF_MEMORY_SIGNS = (
    "memoryerror",
    "out of memory",
    "outofmemoryerror",
    "cannot allocate memory",
    "bad_alloc",
    "memory exhausted",
    "failed to allocate",
)


@dataclass(frozen=True, slots=True)
class SandboxResult:
    returncode: int | None  # None when the program never ran or was killed before it exited on its own
    stdout: bytes
    stderr: str
    timed_out: bool = False
    memory_exceeded: bool = False
    output_exceeded: bool = False  # stdout passed the cap; the program was killed
    missing: bool = False  # the program is not installed (stderr says which)

    @property
    def succeeded(self) -> bool:
        return self.returncode == 0 and not (self.timed_out or self.memory_exceeded or self.output_exceeded)


def find_program(name: str) -> str | None:
    """The absolute path of an installed program, looked up in the user's PATH and the standard folders."""
    folders = [*os.environ.get("PATH", "").split(os.pathsep), *STANDARD_PATH]
    return shutil.which(name, path=os.pathsep.join(folder for folder in folders if folder))


@cache
def network_isolation() -> tuple[str, ...]:
    """The command prefix that runs a program without network, or () when this system cannot do that.

    Probed once per process: unprivileged user namespaces are off in some containers and kernels."""
    unshare = find_program("unshare")
    if unshare is None:
        return ()
    prefix = (unshare, "--net", "--map-root-user")
    try:
        probe = subprocess.run(
            [*prefix, "true"],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=PROBE_SECONDS,
            env=_minimal_environment(Path(tempfile.gettempdir()), None),
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return ()
    return prefix if probe.returncode == 0 else ()


def run_sandboxed(
    argv: Sequence[str],
    stdin: bytes = b"",
    *,
    seconds: float,
    memory_bytes: int | None,
    max_output_bytes: int,
    progress_marker: bytes | None = None,
    files: Mapping[str, bytes] | None = None,
    environment: Mapping[str, str] | None = None,
) -> SandboxResult:
    """Run `argv` (argv[0] a program name or path) in a private folder, its working folder and HOME,
    removed afterwards, where `files` (name: content) are written first. Relative paths in `argv`
    resolve inside that folder. `environment` adds the caller's own variables (never the user's).

    `memory_bytes` caps the address space (RLIMIT_AS); None for programs that reserve far more address
    space than they use, like the JVM, whose heap is capped by its own flags instead. The deadline is
    `seconds` after the start, or, with a `progress_marker`, after the last time stdout contained it
    (a program that renders several diagrams gets `seconds` for each)."""
    program = find_program(argv[0]) if argv else None
    if program is None:
        name = argv[0] if argv else "(no program)"
        return SandboxResult(returncode=None, stdout=b"", stderr=f"{name}: not installed", missing=True)
    with _private_folder() as folder:
        for name, content in (files or {}).items():
            (folder / Path(name).name).write_bytes(content)
        command = [*network_isolation(), program, *argv[1:]]
        try:
            process = subprocess.Popen(
                command,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                cwd=folder,
                env={**_minimal_environment(folder, Path(program).parent), **(environment or {})},
                start_new_session=True,  # its own process group, so that a kill reaches its children too
                # Only setrlimit runs between fork and exec (no locks, no imports), which is what makes
                # preexec_fn safe enough beside threads; subprocess has no other way to set a limit.
                preexec_fn=_memory_cap(memory_bytes) if memory_bytes is not None else None,  # noqa: PLW1509
                close_fds=True,
            )
        except (OSError, subprocess.SubprocessError) as error:
            return SandboxResult(returncode=None, stdout=b"", stderr=f"{argv[0]}: {error}", missing=True)
        try:
            return _supervise(process, stdin, seconds, max_output_bytes, progress_marker)
        finally:
            _kill_group(process)


@contextlib.contextmanager
def _private_folder() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="designexport-render-"))
    try:
        (folder / "tmp").mkdir()
        yield folder
    finally:
        _remove(folder)


def _remove(folder: Path) -> None:
    """Removes the folder even when the program took away permissions inside it."""

    def allow_and_retry(function: Callable[[str], object], path: str, _: object) -> None:
        with contextlib.suppress(OSError):
            os.chmod(os.path.dirname(path), 0o700)
            os.chmod(path, 0o700)
            function(path)

    shutil.rmtree(folder, onerror=allow_and_retry)


def _minimal_environment(folder: Path, program_folder: Path | None) -> dict[str, str]:
    """Nothing of the user's environment: no tokens, proxies or config paths reach the renderer."""
    path = [str(program_folder)] if program_folder is not None else []
    path += [entry for entry in STANDARD_PATH if entry not in path]
    return {"PATH": os.pathsep.join(path), "LANG": "C.UTF-8", "HOME": str(folder), "TMPDIR": str(folder / "tmp")}


def _memory_cap(memory_bytes: int) -> Callable[[], None]:
    limit = (memory_bytes, memory_bytes)
    set_limit = resource.setrlimit
    address_space = resource.RLIMIT_AS

    def cap() -> None:  # runs in the child between fork and exec: nothing may raise, nothing may import
        try:  # noqa: SIM105 (contextlib.suppress is Python work between fork and exec)
            set_limit(address_space, limit)
        except (ValueError, OSError):
            pass  # a system that refuses the cap (macOS) runs the program without it

    return cap


def _supervise(
    process: subprocess.Popen[bytes],
    stdin: bytes,
    seconds: float,
    max_output_bytes: int,
    progress_marker: bytes | None,
) -> SandboxResult:
    """Feeds stdin, collects stdout and stderr up to their caps, and kills the program at the deadline."""
    assert process.stdin is not None and process.stdout is not None and process.stderr is not None
    writer = threading.Thread(target=_feed, args=(process.stdin, stdin), daemon=True)
    writer.start()
    stdout = bytearray()
    stderr = bytearray()
    deadline = time.monotonic() + seconds
    timed_out = output_exceeded = False
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ, stdout)
        selector.register(process.stderr, selectors.EVENT_READ, stderr)
        while selector.get_map():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                timed_out = True
                break
            for key, _ in selector.select(timeout=remaining):
                chunk = os.read(key.fd, READ_CHUNK)
                if not chunk:
                    selector.unregister(key.fileobj)
                    continue
                buffer: bytearray = key.data
                if buffer is stderr:
                    buffer += chunk[: max(0, MAX_STDERR_BYTES - len(buffer))]
                    continue
                scan_from = max(0, len(stdout) - len(progress_marker or b"") + 1)  # a marker may span chunks
                buffer += chunk
                if progress_marker is not None and progress_marker in stdout[scan_from:]:
                    deadline = time.monotonic() + seconds
            if len(stdout) > max_output_bytes:
                output_exceeded = True
                break
    if timed_out or output_exceeded:
        _kill_group(process)
    returncode = _wait(
        process, timeout=1.0 if (timed_out or output_exceeded) else max(1.0, deadline - time.monotonic())
    )
    if returncode is None:
        timed_out = True
    writer.join(timeout=1.0)
    error_text = stderr.decode("utf-8", errors="replace")
    return SandboxResult(
        returncode=None if (timed_out or output_exceeded) else returncode,
        stdout=bytes(stdout),
        stderr=error_text,
        timed_out=timed_out,
        memory_exceeded=returncode not in (0, None) and _ran_out_of_memory(error_text),
        output_exceeded=output_exceeded,
    )


def _feed(pipe: IO[bytes], data: bytes) -> None:
    with contextlib.suppress(OSError):  # the program may exit (or be killed) before it reads everything
        pipe.write(data)
    with contextlib.suppress(OSError):
        pipe.close()


def _wait(process: subprocess.Popen[bytes], timeout: float) -> int | None:
    try:
        return process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(process)
        try:
            return process.wait(timeout=5.0)
        except subprocess.TimeoutExpired:
            return None


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    """Kills the program and whatever it started (dot under PlantUML), which share its process group."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    for pipe in (process.stdout, process.stderr):
        if pipe is not None:
            with contextlib.suppress(OSError):
                pipe.close()
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=5.0)


def _ran_out_of_memory(stderr: str) -> bool:
    lowered = stderr.lower()
    return any(sign in lowered for sign in _OUT_OF_MEMORY_SIGNS)
