"""Running the CLI as a user (or CI) would: a fresh process, in a folder, with no standard input."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


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
