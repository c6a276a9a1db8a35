"""Comparing versions from the command line: `--since REV` in a git repository and `designexport diff OLD NEW`,
with the outputs named doc.diff.*, each failure a one-line error, and nothing written when it fails."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.cli_run import run_in

OLD = """# Payment Retry Technical Design

**Requirement:** PAY-142
**Status:** Draft
**Last Updated:** 2026-11-01

## Overview

Retries run every five minutes until the payment settles.

## Limits

| Limit | Value |
|---|---|
| Attempts | 5 |
| Backoff | linear |

## Rollout

Staged by region.
"""

NEW = (
    OLD.replace("**Status:** Draft", "**Status:** Approved")
    .replace("every five minutes", "with exponential backoff")
    .replace("| Backoff | linear |", "| Backoff | exponential |\n| Jitter | 20% |")
    .replace("Staged by region.", "Staged by region.\n\nA kill switch stops every retry at once.")
)

W_NAMESPACE = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def git(folder: Path, *arguments: str) -> str:
    environment = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Ada Author",
        "GIT_AUTHOR_EMAIL": "ada@example.com",
        "GIT_COMMITTER_NAME": "Ada Author",
        "GIT_COMMITTER_EMAIL": "ada@example.com",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    completed = subprocess.run(
        ["git", *arguments], cwd=folder, env=environment, capture_output=True, text=True, check=True
    )
    return completed.stdout


@pytest.fixture
def repository(tmp_path: Path) -> Path:
    """A git repository whose doc.md was OLD at the first commit (tagged v1) and is NEW at HEAD."""
    folder = tmp_path / "repo"
    folder.mkdir()
    git(folder, "init", "-q", "-b", "main")
    git(folder, "config", "user.name", "Rita Reviewer")
    (folder / "doc.md").write_text(OLD, encoding="utf-8")
    git(folder, "add", "doc.md")
    git(folder, "commit", "-q", "-m", "first")
    git(folder, "tag", "v1")
    (folder / "doc.md").write_text(NEW, encoding="utf-8")
    git(folder, "commit", "-q", "-am", "second")
    return folder


def document_xml(path: Path) -> str:
    with zipfile.ZipFile(path) as package:
        return package.read("word/document.xml").decode("utf-8")


def revision_text(xml: str, tag: str) -> str:
    """The text inside every w:ins (tag "ins") or w:del (tag "del") of a document.xml, joined."""
    pieces = re.findall(rf"<w:{tag}\b[^>]*>(.*?)</w:{tag}>", xml, re.DOTALL)
    text_tag = "delText" if tag == "del" else "t"
    return " ".join("".join(re.findall(rf"<w:{text_tag}\b[^>]*>([^<]*)</w:{text_tag}>", piece)) for piece in pieces)


def test_since_a_revision_writes_the_three_diff_outputs_with_the_changes_marked(repository: Path) -> None:
    ran = run_in(repository, "doc.md", "--since", "HEAD~1")
    assert ran.returncode == 0, ran.stderr
    for suffix in ("html", "pdf", "docx"):
        assert (repository / f"doc.diff.{suffix}").is_file()
    assert not (repository / "doc.html").exists()  # the diff never overwrites the document's own exports
    html = (repository / "doc.diff.html").read_text(encoding="utf-8")
    inserted = " ".join(re.findall(r"<ins\b[^>]*>(.*?)</ins>", html, re.DOTALL))
    deleted = " ".join(re.findall(r"<del\b[^>]*>(.*?)</del>", html, re.DOTALL))
    assert "exponential" in inserted and "kill switch" in inserted
    assert "five minutes" in deleted and "linear" in deleted
    assert "HEAD~1" in html  # the summary names what it compares with
    xml = document_xml(repository / "doc.diff.docx")
    assert "exponential" in revision_text(xml, "ins")
    assert "five minutes" in revision_text(xml, "del")
    assert 'w:author="Rita Reviewer"' in xml  # git's user.name in the repository signs the changes


def test_since_a_tag_and_the_author_flag(repository: Path) -> None:
    ran = run_in(repository, "doc.md", "--since", "v1", "--docx", "--author", "Pat Product")
    assert ran.returncode == 0, ran.stderr
    xml = document_xml(repository / "doc.diff.docx")
    assert 'w:author="Pat Product"' in xml and "Rita Reviewer" not in xml


def test_source_date_epoch_dates_the_tracked_changes(repository: Path) -> None:
    environment = {**os.environ, "SOURCE_DATE_EPOCH": "1764806400"}  # 2025-12-04T00:00:00Z
    ran = subprocess.run(
        [sys.executable, "-m", "exporter", "doc.md", "--since", "v1", "--docx"],
        cwd=repository,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    assert ran.returncode == 0, ran.stderr
    dates = set(re.findall(r'w:date="([^"]+)"', document_xml(repository / "doc.diff.docx")))
    assert dates == {"2025-12-04T00:00:00Z"}


@pytest.mark.parametrize(
    ("revision", "message"),
    [
        ("v9", "--since v9: no such revision"),
        ("-p", "--since -p: not a revision"),  # never handed to git, where it would be an option
    ],
)
def test_a_revision_that_does_not_exist_is_one_line_and_writes_nothing(
    repository: Path, revision: str, message: str
) -> None:
    ran = run_in(repository, "doc.md", f"--since={revision}")
    assert ran.returncode == 1
    errors = [line for line in ran.stderr.splitlines() if "error" in line]
    assert len(errors) == 1 and errors[0].startswith("doc.md") and message in errors[0], ran.stderr
    assert "Traceback" not in ran.stderr
    assert not list(repository.glob("doc.diff.*"))


def test_a_file_that_did_not_exist_at_the_revision(repository: Path) -> None:
    (repository / "later.md").write_text("# Later\n\nWritten after v1.\n", encoding="utf-8")
    git(repository, "add", "later.md")
    git(repository, "commit", "-q", "-m", "later")
    ran = run_in(repository, "later.md", "--since", "v1")
    assert ran.returncode == 1
    assert "later.md" in ran.stderr and "did not exist at v1" in ran.stderr
    assert "Traceback" not in ran.stderr
    assert not list(repository.glob("later.diff.*"))


def test_outside_a_git_repository_the_error_says_so(tmp_path: Path) -> None:
    folder = tmp_path / "plain"
    folder.mkdir()
    (folder / "doc.md").write_text(NEW, encoding="utf-8")
    environment = {**os.environ, "GIT_CEILING_DIRECTORIES": str(tmp_path)}  # never find a repository above
    ran = subprocess.run(
        [sys.executable, "-m", "exporter", "doc.md", "--since", "HEAD~1"],
        cwd=folder,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    assert ran.returncode == 1
    assert "not in a git repository" in ran.stderr and "doc.md" in ran.stderr
    assert not list(folder.glob("doc.diff.*"))


def test_diff_compares_two_files_and_names_the_outputs_after_the_new_one(tmp_path: Path) -> None:
    (tmp_path / "old.md").write_text(OLD, encoding="utf-8")
    (tmp_path / "new.md").write_text(NEW, encoding="utf-8")
    ran = run_in(tmp_path, "diff", "old.md", "new.md", "--html", "--docx", "-o", "review/")
    assert ran.returncode == 0, ran.stderr
    assert sorted(path.name for path in (tmp_path / "review").glob("*.*") if path.is_file()) == [
        "new.diff.docx",
        "new.diff.html",
    ]
    html = (tmp_path / "review" / "new.diff.html").read_text(encoding="utf-8")
    assert "old.md" in html  # the summary says what it was compared with
    assert "Approved" in " ".join(re.findall(r"<ins\b[^>]*>(.*?)</ins>", html, re.DOTALL))


def test_changes_only_and_author_need_a_comparison(tmp_path: Path) -> None:
    (tmp_path / "doc.md").write_text(NEW, encoding="utf-8")
    for flag in (("--changes-only",), ("--author", "Pat")):
        ran = run_in(tmp_path, "doc.md", *flag)
        assert ran.returncode == 2
        assert "--since" in ran.stderr and "Traceback" not in ran.stderr
    assert not list(tmp_path.glob("doc.*.*")) and not (tmp_path / "doc.html").exists()


def test_diff_of_a_missing_old_file_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "new.md").write_text(NEW, encoding="utf-8")
    ran = run_in(tmp_path, "diff", "gone.md", "new.md")
    assert ran.returncode == 2
    assert "gone.md" in ran.stderr and "Traceback" not in ran.stderr
    assert not list(tmp_path.glob("new.*.*"))
