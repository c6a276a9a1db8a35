"""The rules every file we read obeys, documents and auxiliary files alike.

Documents, the theme, the logo, the reference DOCX and every path a config file names are
written by the same authors, so they get the same distrust as the Markdown itself: a path that
sits inside the project may not lead out of it through a symlink, a path a config file names must
stay inside the project, nothing is read from /proc, /sys or /dev, and only regular files within
a size limit are read. (Images have their own, stricter resolver in resources.py.)
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

MIB = 1024 * 1024
# Pseudo-file systems whose "files" are the process's environment, memory or devices.
SPECIAL_ROOTS = (Path("/proc"), Path("/sys"), Path("/dev"))
THEME_MAX_BYTES = 1 * MIB
REFERENCE_DOCX_MAX_BYTES = 64 * MIB
CONFIG_MAX_BYTES = 1 * MIB


class UnsafeInputError(ValueError):
    """A file or folder the sandbox won't read; the message names it and says why."""

    def __init__(self, message: str, outside_project: bool = False) -> None:
        super().__init__(message)
        self.outside_project = outside_project  # only because it lies outside the project (an opt-in may allow it)


@dataclass(frozen=True, slots=True)
class Origin:
    """Who named a path: the command line (the operator) or a config file (the project's authors)."""

    project: Path  # the folder the project's files must stay in
    from_config: bool


def special_location(real: Path) -> bool:
    """True for paths under /proc, /sys or /dev, whatever they are named."""
    return any(real == root or real.is_relative_to(root) for root in SPECIAL_ROOTS)


def absolute(path: Path) -> Path:
    """The path made absolute without following symlinks, `..` folded as the user wrote it."""
    return Path(os.path.normpath(Path.cwd() / path))


def leads_out(path: Path, root: Path) -> bool:
    """True when `path` sits inside `root` as written but a symlink on the way takes it outside."""
    real_root = root.resolve()
    return absolute(path).is_relative_to(absolute(root)) and not path.resolve().is_relative_to(real_root)


def checked_file(path: Path, what: str, origin: Origin, max_bytes: int) -> Path:
    """The real path of an auxiliary file (theme, logo, reference DOCX) once the sandbox allows it."""
    shown = str(path)
    real = _real(path, what)
    _check_place(path, real, what, origin)
    try:
        status = real.stat()
    except OSError as error:
        raise UnsafeInputError(f"{what} {shown!r}: {error.strerror or 'cannot be read'}") from None
    if not stat.S_ISREG(status.st_mode):
        raise UnsafeInputError(f"{what} {shown!r} is not a regular file")
    if status.st_size > max_bytes:
        raise UnsafeInputError(f"{what} {shown!r} is {status.st_size} bytes, over the {max_bytes}-byte limit")
    return real


def checked_folder(path: Path, what: str, origin: Origin, allow_outside: bool = False) -> Path:
    """The real path of a folder we read from or write to (asset root, output folder).

    It may not be the file system root, and lies inside the project unless `allow_outside`."""
    shown = str(path)
    real = _real(path, what)
    if real == Path(real.anchor):
        raise UnsafeInputError(f"{what} {shown!r} is the file system root; name a folder inside the project")
    if not allow_outside:
        _check_place(path, real, what, origin, inside_required=True)
    elif special_location(real):
        raise UnsafeInputError(f"{what} {shown!r} lies in {_special_root(real)}")
    return real


def _real(path: Path, what: str) -> Path:
    try:
        return path.resolve(strict=False)
    except (OSError, RuntimeError):  # a symlink loop
        raise UnsafeInputError(f"{what} {str(path)!r} cannot be resolved (a symlink loop?)") from None


def _check_place(path: Path, real: Path, what: str, origin: Origin, inside_required: bool = False) -> None:
    shown = str(path)
    if special_location(real):
        raise UnsafeInputError(f"{what} {shown!r} lies in {_special_root(real)}")
    project = origin.project.resolve()
    if real.is_relative_to(project):
        return
    if leads_out(path, origin.project):
        raise UnsafeInputError(f"{what} {shown!r} is a symlink that leads outside the project folder {str(project)!r}")
    if origin.from_config:
        raise UnsafeInputError(
            f"{what} {shown!r} lies outside the project folder {str(project)!r}; "
            "a config file may only name paths inside it"
        )
    if inside_required:
        raise UnsafeInputError(f"{what} {shown!r} lies outside the project folder {str(project)!r}", True)


def _special_root(real: Path) -> str:
    return next(str(root) for root in SPECIAL_ROOTS if real == root or real.is_relative_to(root))


def project_folder(config_path: Path | None, first_input: Path) -> Path:
    """Where the project's files must stay: the config file's folder, else the git work tree around the
    first input, else the working folder."""
    if config_path is not None:
        return absolute(config_path).parent
    start = absolute(first_input)
    for folder in (start, *start.parents):
        if (folder / ".git").exists():
            return folder
    return absolute(Path.cwd())
