"""The old version a document is compared with (`--since REV`, `designexport diff OLD NEW`), and the comparison.

The old text comes from git (`git show REV:path`) or from a file; either way it is parsed like the new one and
exporter.compare makes one tree of both, which every backend renders as it renders any tree.
"""

from __future__ import annotations

import datetime
import getpass
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from exporter.compare.documents import compare_documents
from exporter.enrich.moment import SOURCE_DATE_EPOCH, epoch_moment
from exporter.model.diagnostics import ExportError, Reporter
from exporter.model.tree import Document
from exporter.read.markdown import ParseOptions, parse

GIT_SECONDS = 60.0  # a `git show` of one file; far more means a hung credential helper or a network filesystem


@dataclass(frozen=True, slots=True)
class Comparison:
    """What each document is compared with: the file at a git revision (`revision`), or one file (`old_file`)."""

    since: str  # the old version as the summary names it: "v1.2", "HEAD~1", "v1/doc.md" (as given)
    revision: str | None = None
    old_file: Path | None = None
    author: str = ""  # signs the Word file's tracked changes
    date: str = ""  # ISO 8601, UTC
    changes_only: bool = False


def comparison_for(
    *, since: str | None, old_file: Path | None, author: str, changes_only: bool, folder: Path
) -> Comparison | None:
    """The comparison the settings ask for, None when they ask for none. The author defaults to git's user.name
    in `folder` (else the login name), the date to SOURCE_DATE_EPOCH (else now), so a reproducible build stays so."""
    if since is None and old_file is None:
        return None
    moment = epoch_moment(os.environ.get(SOURCE_DATE_EPOCH, "").strip()) or datetime.datetime.now(datetime.UTC)
    return Comparison(
        since=since if since is not None else (old_file.as_posix() if old_file is not None else ""),
        revision=since,
        old_file=old_file,
        author=author or _git_user(folder) or _login_name(),
        date=moment.replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ"),
        changes_only=changes_only,
    )


def compared(new: Document, old_text: str, comparison: Comparison, options: ParseOptions, name: str) -> Document:
    """The tree of `new` compared with its old version's text."""
    # The old version's own warnings would carry its line numbers under the new file's name: they are not shown.
    old = parse(old_text, name, Reporter(name), options)
    return compare_documents(
        old,
        new,
        since=comparison.since,
        author=comparison.author,
        date=comparison.date,
        changes_only=comparison.changes_only,
    )


def git_file_text(source: Path, revision: str, max_bytes: int, name: str) -> str:
    """The file's text at `revision`: `git show REVISION:./FILE` run in the file's folder; each way it can fail
    is an ExportError of one line."""
    folder = source.resolve().parent
    since = f"--since {revision}"
    if revision.startswith("-"):
        raise ExportError(name, f"{since}: not a revision (it starts with '-')")
    top = _git(folder, "rev-parse", "--show-toplevel")
    if top.returncode != 0:
        if "not a git repository" in top.stderr:
            raise ExportError(
                name, f"{since} reads the file's history from git, but {folder} is not in a git repository"
            )
        raise ExportError(name, f"{since}: git failed: {_first_line(top.stderr)}")
    commit = _git(folder, "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}")
    if commit.returncode != 0:
        raise ExportError(name, f"{since}: no such revision in {top.stdout.strip()} (a tag, branch or commit)")
    shown = _git(folder, "show", f"{commit.stdout.strip()}:./{source.resolve().name}", text=False)
    if shown.returncode != 0:
        raise ExportError(name, f"{since}: the file did not exist at {revision}")
    data = shown.stdout_bytes
    if len(data) > max_bytes:
        raise ExportError(name, f"{since}: the old version is over the {max_bytes}-byte limit (--limit input-bytes=N)")
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError:
        raise ExportError(name, f"{since}: the old version is not valid UTF-8") from None


@dataclass(frozen=True, slots=True)
class _GitRun:
    returncode: int
    stdout: str
    stderr: str
    stdout_bytes: bytes


def _git(folder: Path, *arguments: str, text: bool = True) -> _GitRun:
    environment = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"}
    try:
        completed = subprocess.run(
            ["git", "-C", str(folder), *arguments],
            capture_output=True,
            env=environment,
            timeout=GIT_SECONDS,
            check=False,
        )
    except FileNotFoundError:
        return _GitRun(127, "", "git is not installed (--since reads the old version from git)", b"")
    except subprocess.TimeoutExpired:
        return _GitRun(124, "", f"git took over {GIT_SECONDS:.0f} s", b"")
    stderr = completed.stderr.decode("utf-8", "replace")
    stdout = completed.stdout.decode("utf-8", "replace") if text else ""
    return _GitRun(completed.returncode, stdout, stderr, completed.stdout)


def _git_user(folder: Path) -> str:
    if not folder.is_dir():
        return ""
    found = _git(folder, "config", "user.name")
    return found.stdout.strip() if found.returncode == 0 else ""


def _login_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry for the uid (a container), no LOGNAME
        return "designexport"


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "unknown error")
