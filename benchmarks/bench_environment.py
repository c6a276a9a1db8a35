"""What a pandoc_compare.py result depends on besides the code: the machine, its load, the tools' versions."""

from __future__ import annotations

import importlib.metadata
import os
import platform
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

PACKAGES = ("pypandoc-binary", "weasyprint", "markdown-it-py", "python-docx", "lxml", "Pygments", "pydyf", "tinyhtml5")


def find_pandoc(explicit: str | None) -> str | None:
    """`explicit`, else the pandoc that pypandoc-binary brings, else one on PATH."""
    if explicit:
        return explicit
    try:
        import pypandoc  # type: ignore[import-untyped]

        return str(pypandoc.get_pandoc_path())
    except (ImportError, OSError):
        return shutil.which("pandoc")


def first_lines(command: list[str], count: int = 1) -> str | None:
    """The first `count` non-blank lines a command prints, joined by " | "; None if it fails."""
    try:
        completed = subprocess.run(command, capture_output=True, text=True, check=False, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    lines = [line.strip() for line in (completed.stdout or completed.stderr).strip().splitlines() if line.strip()]
    return " | ".join(lines[:count]) if completed.returncode == 0 and lines else None


def package_version(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def _proc_field(path: str, pattern: str) -> str | None:
    try:
        found = re.search(pattern, Path(path).read_text(encoding="utf-8", errors="replace"), re.MULTILINE)
    except OSError:
        return None
    return found.group(1).strip() if found else None


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def machine_info() -> dict[str, Any]:
    cpus = os.cpu_count()
    memory_kib = _proc_field("/proc/meminfo", r"^MemTotal:\s+(\d+) kB")
    return {
        "cpus": cpus,
        "cpus_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cpus,
        "cpu_model": _proc_field("/proc/cpuinfo", r"^model name\s*:\s*(.+)$"),
        "memory_mib": None if memory_kib is None else int(memory_kib) // 1024,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "load_average_before": load_average(),
    }


def git_state(root: Path) -> dict[str, Any]:
    """The checkout's commit and how many tracked files differ from it (read-only git commands)."""

    def git(*args: str) -> str | None:
        try:
            completed = subprocess.run(
                ["git", "-C", str(root), *args], capture_output=True, text=True, check=False, timeout=60
            )
        except (OSError, subprocess.TimeoutExpired):
            return None
        return completed.stdout.strip() if completed.returncode == 0 else None

    status = git("status", "--porcelain", "--untracked-files=no")
    return {"commit": git("rev-parse", "HEAD"), "changed_files": None if status is None else len(status.splitlines())}


def versions(root: Path, designexport: list[str], pandoc: str | None, weasyprint: str | None) -> dict[str, Any]:
    return {
        "designexport": first_lines([*designexport, "--version"]),
        "git": git_state(root),
        "pandoc": first_lines([pandoc, "--version"]) if pandoc else None,
        "pandoc_path": pandoc,
        "weasyprint_command": first_lines([weasyprint, "--version"]) if weasyprint else None,
        "packages": {name: package_version(name) for name in PACKAGES},
        "diagram_renderers": first_lines([*designexport, "doctor"], count=6),
    }
