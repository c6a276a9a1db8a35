"""CI hygiene for batches: `--prune` removes what deleted documents left in `-o` and nothing else;
exclude patterns that exclude everything, or nothing, are said."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema

from tests.cli_run import run_in
from tests.conftest import ROOT

CACHE = ".designexport-cache"


def write_doc(path: Path, title: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"# {title}\n\n**Status:** Draft\n\n## Overview\n\n{title} text.\n", encoding="utf-8")
    return path


def digests(folder: Path) -> dict[str, str]:
    """Every file under `folder` but the build cache, by its path there, with its sha256."""
    return {
        path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and CACHE not in path.parts
    }


def report_of(path: Path) -> dict[str, Any]:
    report: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    jsonschema.validate(
        report,
        json.loads((ROOT / "docs" / "report.schema.json").read_text(encoding="utf-8")),
        cls=jsonschema.Draft202012Validator,
    )
    return report


def exported(folder: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    completed = run_in(folder, *arguments)
    assert completed.returncode == 0, completed.stderr
    assert "Traceback" not in completed.stderr
    return completed


def dead_pid() -> int:
    """The pid of a process that has ended: its temporary files are provably left over."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


# --- --prune ---------------------------------------------------------------------------------------------------------


def test_prune_removes_a_deleted_documents_outputs_lists_them_and_leaves_the_rest(tmp_path: Path) -> None:
    for name in ("payments.md", "search.md", "archive/old-doc.md"):
        write_doc(tmp_path / "docs" / name, Path(name).stem)
    exported(tmp_path, "docs", "-o", "out", "-j", "1")
    out = tmp_path / "out"
    assert (out / "archive" / "old-doc.pdf").is_file()
    (tmp_path / "docs" / "archive" / "old-doc.md").unlink()
    before = digests(out)

    completed = exported(tmp_path, "docs", "-o", "out", "--prune", "--report", "report.json")

    gone = [f"out/archive/old-doc.{fmt}" for fmt in ("docx", "html", "pdf")]
    for path in gone:
        assert f"pruned {path}\n" in completed.stderr
        assert not (tmp_path / path).exists()
    assert "pruned out/archive/\n" in completed.stderr  # the folder it emptied
    assert not (out / "archive").exists()
    assert digests(out) == {name: digest for name, digest in before.items() if f"out/{name}" not in gone}
    assert len(list((out / CACHE).glob("*.json"))) == 2  # the deleted document's build-cache entry went too
    assert ", 4 pruned in" in completed.stderr

    report = report_of(tmp_path / "report.json")
    assert report["summary"]["pruned"] == 4
    assert report["prune"]["kept"] == []
    removed = {(item["path"], item["kind"]) for item in report["prune"]["removed"]}
    assert removed == {*((path, "output") for path in gone), ("out/archive", "folder")}


def test_prune_keeps_a_file_it_did_not_write_and_one_edited_since_and_says_why(tmp_path: Path) -> None:
    write_doc(tmp_path / "docs" / "live.md", "Live")
    write_doc(tmp_path / "docs" / "gone.md", "Gone")
    exported(tmp_path, "docs", "-o", "out", "--html", "--docx", "-j", "1")
    out = tmp_path / "out"
    (out / "notes.html").write_text("<p>the user's own page</p>", encoding="utf-8")
    with (out / "gone.html").open("a", encoding="utf-8") as edited:
        edited.write("<!-- fixed by hand -->")
    (tmp_path / "docs" / "gone.md").unlink()

    completed = exported(tmp_path, "docs", "-o", "out", "--html", "--docx", "--prune", "--report", "report.json")

    assert "pruned out/gone.docx\n" in completed.stderr and not (out / "gone.docx").exists()
    assert "kept out/gone.html: changed since designexport wrote it\n" in completed.stderr
    assert "kept out/notes.html: designexport has no record of writing it" in completed.stderr
    assert (out / "gone.html").read_text(encoding="utf-8").endswith("<!-- fixed by hand -->")
    assert (out / "notes.html").read_text(encoding="utf-8") == "<p>the user's own page</p>"
    assert (out / "live.html").is_file() and (out / "live.docx").is_file()
    kept = report_of(tmp_path / "report.json")["prune"]["kept"]
    assert {item["path"]: item["reason"] for item in kept} == {
        "out/gone.html": "changed since designexport wrote it",
        "out/notes.html": "designexport has no record of writing it (no build-cache entry)",
    }


def test_prune_keeps_outputs_of_documents_that_exist_but_are_not_exported_this_time(tmp_path: Path) -> None:
    for name in ("api/endpoints.md", "guide/setup.md", "drafts/idea.md"):
        write_doc(tmp_path / "docs" / name, Path(name).stem)
    exported(tmp_path, "docs", "-o", "out", "--html", "-j", "1")
    before = digests(tmp_path / "out")

    excluding = exported(tmp_path, "docs", "-o", "out", "--html", "--prune", "--exclude", "drafts/")
    narrower = exported(tmp_path, "docs/api", "-o", "out", "--html", "--prune")

    assert "pruned out/" not in excluding.stderr and "kept out/" not in excluding.stderr  # excluded, not deleted
    assert "pruned out/" not in narrower.stderr
    for name in ("guide/setup.html", "drafts/idea.html"):
        assert f"kept out/{name}: its document docs/{Path(name).with_suffix('.md')} still exists" in narrower.stderr
    after = digests(tmp_path / "out")
    assert {name: after.get(name) for name in before} == before


def test_prune_without_an_output_folder_or_with_a_shard_is_a_usage_error(tmp_path: Path) -> None:
    write_doc(tmp_path / "docs" / "a.md", "A")
    (tmp_path / "docs" / "handout.html").write_text("<p>mine</p>", encoding="utf-8")

    beside = run_in(tmp_path, "docs", "--html", "--prune")
    sharded = run_in(tmp_path, "docs", "-o", "out", "--html", "--prune", "--shard", "1/2")

    assert beside.returncode == 2 and "--prune" in beside.stderr
    assert "needs -o DIR" in beside.stderr and "cannot tell its outputs from your own files" in beside.stderr
    assert sharded.returncode == 2 and "cannot be used with --shard" in sharded.stderr
    assert "Traceback" not in beside.stderr + sharded.stderr
    assert sorted(path.name for path in (tmp_path / "docs").iterdir()) == ["a.md", "handout.html"]
    assert not (tmp_path / "out").exists()  # refused before any export


def test_prune_removes_temporary_files_of_dead_runs_only(tmp_path: Path) -> None:
    write_doc(tmp_path / "docs" / "a.md", "A")
    exported(tmp_path, "docs", "-o", "out", "--html", "-j", "1")
    out = tmp_path / "out"
    dead = [
        out / f".a.html.designexport-{dead_pid()}.x1y2.part",  # beside a live output
        out / "gone" / f".old.pdf.designexport-{dead_pid()}.k3l4.part",  # alone in its folder
    ]
    alive = out / f".old.docx.designexport-{os.getpid()}.m5n6.part"  # this test's process may still write it
    others = [out / ".old.pdf.part", out / "old.pdf.designexport-1.abc.part"]  # not named as ours are
    for path in (*dead, alive, *others):
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(b"half a file")

    completed = exported(tmp_path, "docs", "-o", "out", "--html", "--prune", "-v")

    for path in dead:
        assert not path.exists()
    assert f"pruned out/gone/{dead[1].name}\n" in completed.stderr
    assert not (out / "gone").exists()
    assert alive.exists() and all(path.exists() for path in others)
    assert (out / "a.html").is_file()


def test_prune_can_be_set_in_the_config_file(tmp_path: Path) -> None:
    (tmp_path / "designexport.toml").write_text(
        'formats = ["html"]\noutput-dir = "out"\nprune = true\n', encoding="utf-8"
    )
    write_doc(tmp_path / "docs" / "a.md", "A")
    write_doc(tmp_path / "docs" / "b.md", "B")
    exported(tmp_path, "docs", "-j", "1")
    (tmp_path / "docs" / "b.md").unlink()

    completed = exported(tmp_path, "docs")

    assert "pruned out/b.html" in completed.stderr
    assert sorted(path.name for path in (tmp_path / "out").glob("*.html")) == ["a.html"]


# --- exclude ---------------------------------------------------------------------------------------------------------


def test_an_exclude_matching_every_input_is_a_usage_error(tmp_path: Path) -> None:
    for name in ("a.md", "b.md", "sub/c.md"):
        write_doc(tmp_path / "docs" / name, name)

    completed = run_in(tmp_path, "docs", "-o", "out", "--html", "--exclude", "*.md")
    checked = run_in(tmp_path, "check", "docs", "--profile", "none")
    (tmp_path / "designexport.toml").write_text('exclude = ["**"]\n', encoding="utf-8")
    checked_with_config = run_in(tmp_path, "check", "docs", "--profile", "none")

    assert completed.returncode == 2
    assert "--exclude '*.md' excludes every input (3 documents)" in completed.stderr
    assert not (tmp_path / "out").exists()
    assert checked.returncode == 0, checked.stderr
    assert checked_with_config.returncode == 2
    assert "--exclude '**' excludes every input (3 documents)" in checked_with_config.stderr


def test_exclude_patterns_are_tried_relative_to_the_input_folder_and_the_working_folder(tmp_path: Path) -> None:
    for name in ("design.md", "drafts/idea.md", "drafts/deep/more.md", "team/drafts/plan.md"):
        write_doc(tmp_path / "docs" / name, Path(name).stem)

    from_root = exported(tmp_path, "docs", "-o", "from-root", "--html", "--exclude", "docs/drafts/**")
    from_folder = exported(tmp_path, "docs", "-o", "from-folder", "--html", "--exclude", "drafts/**")
    inside = exported(tmp_path / "docs", ".", "-o", "../inside", "--html", "--exclude", "/drafts/")

    expected = ["design.html", "team/drafts/plan.html"]  # a pattern with a slash is anchored, as in .gitignore
    for folder in ("from-root", "from-folder", "inside"):
        assert sorted(digests(tmp_path / folder)) == expected, folder
    assert "matches no document" not in from_root.stderr + from_folder.stderr + inside.stderr


def test_an_exclude_matching_nothing_is_a_warning_naming_it(tmp_path: Path) -> None:
    write_doc(tmp_path / "docs" / "a.md", "A")
    write_doc(tmp_path / "docs" / "drafts" / "b.md", "B")

    completed = exported(tmp_path, "docs", "-o", "out", "--html", "--exclude", "drafts/**", "--exclude", "draft/**")

    assert "warning: --exclude 'draft/**' matches no document" in completed.stderr
    assert "'drafts/**' matches" not in completed.stderr
    assert sorted(digests(tmp_path / "out")) == ["a.html"]


def test_an_invalid_exclude_pattern_is_a_usage_error(tmp_path: Path) -> None:
    write_doc(tmp_path / "docs" / "a.md", "A")

    completed = run_in(tmp_path, "docs", "-o", "out", "--exclude", "drafts\\")

    assert completed.returncode == 2 and "not a valid gitignore pattern" in completed.stderr
    assert "Traceback" not in completed.stderr
