"""Running the CLI as a user (or CI) would: a fresh process, in a folder, with no standard input."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

# What `python -m exporter` does, after giving SIGINT its usual handler: a test run started in the background
# (`make test &`, some CI runners) ignores SIGINT, its children would inherit that, and the CLI rightly leaves
# an ignored Ctrl-C ignored. A test that sends SIGINT stands for a user at a terminal, where it is not ignored.
_INTERRUPTIBLE = (
    "import runpy, signal; signal.signal(signal.SIGINT, signal.default_int_handler); "
    "runpy.run_module('exporter', run_name='__main__', alter_sys=True)"
)


def interruptible_cli(*arguments: str) -> list[str]:
    """The command line of `designexport ARGUMENTS` that Ctrl-C (SIGINT) reaches as it would in a terminal."""
    return [sys.executable, "-c", _INTERRUPTIBLE, *arguments]


def run_in(folder: Path, *arguments: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """`designexport ARGUMENTS` run in `folder`; its exit code and output, never raising on failure."""
    return subprocess.run(
        [sys.executable, "-m", "exporter", *arguments],
        cwd=folder,
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )
