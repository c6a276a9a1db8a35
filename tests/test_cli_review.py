"""`designexport review`: its lines and JSON, `--apply` and `--quiet`, and one-line errors with exit code 1."""

from __future__ import annotations

import json
import re
import shutil
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from docx import Document as new_docx

from exporter.cli.main import main
from tests.conftest import SAMPLES
from tests.word_review import REVIEWER, export_docx, open_reviewable, replace_words_tracked

JSON_KEYS = {"file", "line", "column", "kind", "author", "date", "text", "old", "new", "section"}


def run(*arguments: str) -> Result:
    return CliRunner().invoke(main, ["review", *arguments])


@pytest.fixture
def reviewed(tmp_path: Path) -> tuple[Path, Path]:
    """A sample's Word file next to its source, with a comment on its first body paragraph and one word replaced
    as a tracked change."""
    sample = next(path for path in SAMPLES if path.name == "payment-retry.md")
    source = Path(shutil.copy(sample, tmp_path / sample.name))
    document = export_docx(source, tmp_path)
    docx = open_reviewable(document)
    paragraph = next(p for p in docx.paragraphs if p.style is not None and p.style.name == "Body Text" and p.runs)
    docx.add_comment(paragraph.runs, text="Say why.", author=REVIEWER, initials="RR")
    docx.save(str(document))
    replace_words_tracked(document, "Recurring", "Monthly")
    return document, source


def test_prints_comments_and_suggestions_as_file_line_column(reviewed: tuple[Path, Path]) -> None:
    document, source = reviewed
    result = run(str(document))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    name = re.escape(source.name)
    assert re.fullmatch(rf".*{name}:\d+:\d+: comment \({REVIEWER}, \d{{4}}-\d\d-\d\d\): Say why\.", lines[0])
    assert re.fullmatch(
        rf".*{name}:\d+:1: suggestion \({REVIEWER}, 2026-12-04\): \"Recurring\" \u2192 \"Monthly\"", lines[1]
    )
    assert result.stderr == ""


def test_json_lists_each_finding_with_its_place(reviewed: tuple[Path, Path]) -> None:
    document, source = reviewed
    result = run(str(document), "--format", "json")
    assert result.exit_code == 0, result.output
    items = json.loads(result.stdout)
    assert [item["kind"] for item in items] == ["comment", "suggestion"]
    assert all(set(item) >= JSON_KEYS for item in items)
    lines = source.read_text(encoding="utf-8").splitlines()
    suggestion = items[1]
    assert lines[suggestion["line"] - 1][suggestion["column"] - 1 :].startswith("Recurring")
    assert (suggestion["old"], suggestion["new"], suggestion["section"]) == (
        "Recurring",
        "Monthly",
        "technical-overview",
    )


def test_apply_writes_the_edit_and_says_so(reviewed: tuple[Path, Path]) -> None:
    document, source = reviewed
    before = source.read_bytes()
    result = run(str(document), "--apply")
    assert result.exit_code == 0, result.output
    assert source.read_bytes() == before.replace(b"Recurring", b"Monthly", 1)
    assert re.search(rf"applied 1 of 1 suggestion to \S*{re.escape(source.name)}\n", result.stderr)
    again = run(str(document), "--apply", "--format", "json")  # already applied: the old text is gone
    item = json.loads(again.stdout)[1]
    assert item["applied"] is False and "Recurring" in item["not_applied_because"]
    assert source.read_bytes() == before.replace(b"Recurring", b"Monthly", 1)


def test_quiet_prints_only_the_findings(reviewed: tuple[Path, Path]) -> None:
    document, _source = reviewed
    result = run(str(document), "--apply", "--quiet")
    assert result.exit_code == 0
    assert result.stderr == ""
    assert len(result.stdout.splitlines()) == 2


def test_source_given_when_the_word_file_moved(reviewed: tuple[Path, Path], tmp_path: Path) -> None:
    document, source = reviewed
    moved = tmp_path / "elsewhere" / "from-legal.docx"
    moved.parent.mkdir()
    document.rename(moved)
    missing = run(str(moved))
    assert missing.exit_code == 1
    assert missing.stderr.count("\n") == 1 and "--source" in missing.stderr and "Traceback" not in missing.output
    found = run(str(moved), "--source", str(source))
    assert found.exit_code == 0 and len(found.stdout.splitlines()) == 2


def unreadable(kind: str, folder: Path) -> Path:
    """A file `review` can't read, of the `kind` named."""
    path = folder / f"{kind}.docx"
    if kind == "not-a-zip":
        path.write_text("not a zip", encoding="utf-8")
    elif kind == "not-a-docx":
        with zipfile.ZipFile(path, "w") as package:
            package.writestr("mimetype", b"application/epub+zip")
    elif kind == "no-anchors":
        new_docx().save(str(path))  # as Word or any other tool writes one
    return path


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("missing", "can't be read"),
        ("not-a-zip", "not a Word document"),
        ("not-a-docx", "not a Word document"),
        ("no-anchors", "written by another tool or before anchors existed"),
    ],
)
def test_a_file_review_cannot_read_is_one_error_line(kind: str, message: str, tmp_path: Path) -> None:
    path = unreadable(kind, tmp_path)
    result = run(str(path))
    assert result.exit_code == 1
    assert result.stdout == ""
    assert re.fullmatch(rf"\S*{kind}\.docx: error: [^\n]*{re.escape(message)}[^\n]*\n", result.stderr)


def test_an_unknown_format_is_a_usage_error(reviewed: tuple[Path, Path]) -> None:
    assert run(str(reviewed[0]), "--format", "xml").exit_code == 2
