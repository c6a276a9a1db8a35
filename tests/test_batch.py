"""Batch export as CI runs it: folders, workers, crashes, the build cache, shards, config and the report."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path, PurePosixPath
from typing import Any

import docx
import pypdf
import pytest
from click.testing import CliRunner

from exporter.cli.main import main
from exporter.run.batch import PlanError, Source, collect_sources, excluded, parse_shard, plan_jobs, shard
from tests.conftest import CORPUS_DOCS, SAMPLES

# A 1x1 PNG, and the same pixel in another colour.
PNG_RED = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de0000000c4944415408d763f8cfc0000003"
    "010100c9fe92ef0000000049454e44ae426082"
)
PNG_BLUE = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de0000000c4944415408d763606060f80f"
    "000201010036d5e0a50000000049454e44ae426082"
)


def run_cli(
    *args: str | Path, env: dict[str, str] | None = None, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    """The CLI in its own process, as CI runs it (workers need a real process to spawn from)."""
    return subprocess.run(
        [sys.executable, "-m", "exporter", *map(str, args)],
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        stdin=subprocess.DEVNULL,
    )


def report_of(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def statuses(report: dict[str, Any]) -> dict[str, str]:
    return {Path(entry["source"]).name: entry["status"] for entry in report["documents"]}


def write_doc(path: Path, title: str, body: str = "") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"# {title} Technical Design\n\n**Status:** Draft\n\n## Overview\n\n{title} text.\n{body}", "utf-8")
    return path


class _HtmlCheck(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)


@pytest.mark.xdist_group("heavy")
def test_corpus_and_samples_export_in_parallel_with_a_complete_report(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    for path in [*SAMPLES, *CORPUS_DOCS]:
        shutil.copy(path, docs / path.name if docs.is_dir() else _mkdir(docs) / path.name)
    broken = docs / "zz-broken.md"
    broken.write_bytes(b"# Broken\n\ncaf\xe9\n")
    out = tmp_path / "out"
    completed = run_cli(docs, "-o", out, "-j", "2", "--report", tmp_path / "report.json")

    assert completed.returncode == 1, completed.stderr  # one document failed
    assert "Traceback" not in completed.stderr
    assert "zz-broken.md:3: error: not valid UTF-8" in completed.stderr
    report = report_of(tmp_path / "report.json")
    names = [Path(entry["source"]).name for entry in report["documents"]]
    assert sorted(names) == sorted(path.name for path in docs.glob("*.md"))
    assert report["summary"]["failed"] == 1 and report["summary"]["exported"] == len(names) - 1
    for entry in report["documents"]:
        if entry["source"].endswith("zz-broken.md"):
            assert entry["status"] == "failed" and entry["outputs"] == []
            continue
        assert entry["status"] == "exported", entry["error"]
        outputs = {output["format"]: output for output in entry["outputs"]}
        assert set(outputs) == {"html", "pdf", "docx"}
        for output in outputs.values():
            data = Path(output["path"]).read_bytes()
            assert hashlib.sha256(data).hexdigest() == output["sha256"] and len(data) == output["bytes"]
        assert len(pypdf.PdfReader(outputs["pdf"]["path"]).pages) == outputs["pdf"]["pages"]
        assert docx.Document(outputs["docx"]["path"]).paragraphs
        parser = _HtmlCheck()
        parser.feed(Path(outputs["html"]["path"]).read_text(encoding="utf-8"))
        assert {"html", "head", "title", "body", "main"} <= parser.tags
    assert not (out / "zz-broken.pdf").exists()
    assert not list(out.rglob("*.part"))


def _mkdir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def three_docs(tmp_path: Path) -> Path:
    docs = tmp_path / "docs"
    for name in ("alpha", "bravo", "charlie"):
        write_doc(docs / f"{name}.md", name.title())
    return docs


def run_with_fault(docs: Path, out: Path, fault: str, *options: str | Path) -> subprocess.CompletedProcess[str]:
    """A batch export where the test hook crashes or hangs the worker on one document (`crash:NAME`, `hang:NAME`)."""
    return run_cli(docs, "-o", out, *options, env={"DESIGNEXPORT_TEST_FAULT": fault})


def partial_files(folder: Path) -> list[Path]:
    return [path for path in folder.iterdir() if path.name.endswith(".part")]


def test_a_crashed_worker_fails_only_its_document_and_leaves_no_partial_file(three_docs: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    completed = run_with_fault(three_docs, out, "crash:bravo.md", "-j", "2", "--pdf", "--report", tmp_path / "r.json")
    assert completed.returncode == 1
    assert "bravo.md: error: the export crashed (worker killed by SIGKILL); no output written" in completed.stderr
    assert statuses(report_of(tmp_path / "r.json")) == {
        "alpha.md": "exported",
        "bravo.md": "failed",
        "charlie.md": "exported",
    }
    assert sorted(path.name for path in out.iterdir() if not path.name.startswith(".")) == ["alpha.pdf", "charlie.pdf"]
    assert not partial_files(out)


def test_a_crash_keeps_the_previous_good_output(three_docs: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run_cli(three_docs, "-o", out, "-j", "2", "--pdf").returncode == 0
    before = (out / "bravo.pdf").read_bytes()
    write_doc(three_docs / "bravo.md", "Bravo", "Changed.\n")
    write_doc(three_docs / "charlie.md", "Charlie", "Changed.\n")
    completed = run_with_fault(three_docs, out, "crash:bravo.md", "-j", "2", "--pdf")
    assert completed.returncode == 1
    assert (out / "bravo.pdf").read_bytes() == before
    assert not partial_files(out)


# Far more than a one-paragraph HTML export takes on the busiest machine, so the healthy documents never meet it;
# the hanging one hangs until it is killed (the test hook), so it always does. The price: the test waits this long.
HANG_TIMEOUT = 60  # seconds


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_hanging_document_times_out_and_the_batch_goes_on(three_docs: Path, tmp_path: Path, jobs: str) -> None:
    out = tmp_path / "out"
    options = ("-j", jobs, "--html", "--timeout", str(HANG_TIMEOUT), "--report", tmp_path / "r.json")
    completed = run_with_fault(three_docs, out, "hang:alpha.md", *options)
    assert completed.returncode == 1
    assert f"alpha.md: error: timed out after {HANG_TIMEOUT} s (--timeout); no output written" in completed.stderr
    assert statuses(report_of(tmp_path / "r.json")) == {
        "alpha.md": "failed",
        "bravo.md": "exported",
        "charlie.md": "exported",
    }
    assert not (out / "alpha.html").exists()


def test_unchanged_run_skips_everything_and_a_changed_image_reexports_its_users(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    (docs / "img").mkdir(parents=True)
    (docs / "img" / "shared.png").write_bytes(PNG_RED)
    (docs / "img" / "own.png").write_bytes(PNG_RED)
    write_doc(docs / "uses-shared.md", "One", "![s](img/shared.png)\n")
    write_doc(docs / "also-shared.md", "Two", "![s](img/shared.png)\n")
    write_doc(docs / "uses-own.md", "Three", "![o](img/own.png)\n")
    write_doc(docs / "no-images.md", "Four")
    out = tmp_path / "out"
    arguments = (docs, "-o", out, "-j", "2", "--html", "--docx", "--report", tmp_path / "r.json")

    assert run_cli(*arguments).returncode == 0
    assert set(statuses(report_of(tmp_path / "r.json")).values()) == {"exported"}
    first = {entry["source"]: entry["outputs"] for entry in report_of(tmp_path / "r.json")["documents"]}

    completed = run_cli(*arguments)
    assert completed.returncode == 0
    assert set(statuses(report_of(tmp_path / "r.json")).values()) == {"skipped"}
    assert "0 exported, 4 skipped, 0 failed" in completed.stderr
    second = {entry["source"]: entry["outputs"] for entry in report_of(tmp_path / "r.json")["documents"]}
    assert [[o["sha256"] for o in first[k]] for k in first] == [[o["sha256"] for o in second[k]] for k in first]

    (docs / "img" / "shared.png").write_bytes(PNG_BLUE)
    assert run_cli(*arguments).returncode == 0
    assert statuses(report_of(tmp_path / "r.json")) == {
        "uses-shared.md": "exported",
        "also-shared.md": "exported",
        "uses-own.md": "skipped",
        "no-images.md": "skipped",
    }


def test_cache_notices_options_edits_deleted_outputs_new_images_and_damage(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    write_doc(docs / "a.md", "Alpha", "![late](late.png)\n")
    write_doc(docs / "b.md", "Bravo")
    out = tmp_path / "out"
    report = tmp_path / "r.json"

    def export(*extra: str) -> dict[str, str]:
        completed = run_cli(docs, "-o", out, "-j", "1", "--html", "--report", report, *extra)
        assert completed.returncode == 0, completed.stderr
        return statuses(report_of(report))

    assert export() == {"a.md": "exported", "b.md": "exported"}
    assert export("--paper", "letter") == {"a.md": "exported", "b.md": "exported"}
    assert export("--paper", "letter") == {"a.md": "skipped", "b.md": "skipped"}
    assert export("--paper", "letter", "--force") == {"a.md": "exported", "b.md": "exported"}
    (docs / "late.png").write_bytes(PNG_RED)  # the missing image appears
    assert export("--paper", "letter") == {"a.md": "exported", "b.md": "skipped"}
    (out / "b.html").unlink()
    assert export("--paper", "letter") == {"a.md": "skipped", "b.md": "exported"}
    (out / "a.html").write_text("edited by hand", encoding="utf-8")
    assert export("--paper", "letter") == {"a.md": "exported", "b.md": "skipped"}
    for entry in (out / ".designexport-cache").glob("*.json"):
        entry.write_text("{ not json", encoding="utf-8")
    assert export("--paper", "letter") == {"a.md": "exported", "b.md": "exported"}
    assert export("--paper", "letter") == {"a.md": "skipped", "b.md": "skipped"}


def test_folders_are_mirrored_under_the_output_folder_with_excludes_and_globs(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    write_doc(docs / "top.md", "Top")
    write_doc(docs / "payments" / "retry.md", "Retry")
    write_doc(docs / "payments" / "drafts" / "idea.md", "Idea")
    write_doc(docs / "archive" / "old.md", "Old")
    write_doc(docs / ".github" / "PULL_REQUEST_TEMPLATE.md", "Template")
    out = tmp_path / "out"
    completed = run_cli(docs, "-o", out, "--html", "--exclude", "drafts/*", "--exclude", "**/drafts/**")
    assert completed.returncode == 0, completed.stderr
    written = sorted(path.relative_to(out).as_posix() for path in out.rglob("*.html"))
    assert written == ["archive/old.html", "payments/retry.html", "top.html"]

    globbed = tmp_path / "globbed"
    completed = run_cli(str(docs / "**" / "r*.md"), "-o", globbed, "--html", "-q")
    assert completed.returncode == 0, completed.stderr
    assert sorted(path.relative_to(globbed).as_posix() for path in globbed.rglob("*.html")) == ["payments/retry.html"]


def test_outputs_that_would_collide_or_overwrite_an_input_stop_the_batch_before_any_work(tmp_path: Path) -> None:
    write_doc(tmp_path / "a" / "same.md", "A")
    write_doc(tmp_path / "b" / "same.md", "B")
    completed = run_cli(tmp_path / "a" / "same.md", tmp_path / "b" / "same.md", "-o", tmp_path / "out")
    assert completed.returncode == 2 and "would both be written to" in completed.stderr
    assert not (tmp_path / "out").exists()

    page = tmp_path / "page.html"
    page.write_text("# Not really HTML\n", encoding="utf-8")
    completed = run_cli(page, "--html")
    assert completed.returncode == 2 and "would overwrite an input file" in completed.stderr
    assert page.read_text(encoding="utf-8") == "# Not really HTML\n"


def test_shards_partition_the_inputs_exactly(tmp_path: Path) -> None:
    sources = [Source(Path(f"/docs/doc-{index:02}.md"), PurePosixPath(f"doc-{index:02}.md")) for index in range(17)]
    jobs = plan_jobs(sources, ("html",), Path("/out"))
    slices = [shard(list(reversed(jobs)) if index == 2 else jobs, index, 3) for index in (1, 2, 3)]
    names = [job.name for piece in slices for job in piece]
    assert sorted(names) == sorted(job.name for job in jobs) and len(names) == len(set(names))
    assert [len(piece) for piece in slices] == [6, 6, 5]

    docs = tmp_path / "docs"
    for index in range(7):
        write_doc(docs / f"d{index}.md", f"D{index}")
    seen: list[str] = []
    for index in (1, 2, 3):
        report = tmp_path / f"shard-{index}.json"
        completed = run_cli(
            docs, "-o", tmp_path / f"out-{index}", "--html", "--shard", f"{index}/3", "--report", report
        )
        assert completed.returncode == 0, completed.stderr
        seen += statuses(report_of(report))
    assert sorted(seen) == sorted(path.name for path in docs.glob("*.md")) and len(seen) == len(set(seen))


@pytest.mark.parametrize("text", ["0/3", "4/3", "3", "a/b", "1/0"])
def test_bad_shard_is_a_usage_error(text: str) -> None:
    with pytest.raises(PlanError, match="--shard"):
        parse_shard(text)


def test_exclude_patterns_match_like_gitignore_users_expect() -> None:
    assert excluded(PurePosixPath("drafts/a.md"), ["drafts/*"])
    assert excluded(PurePosixPath("x/drafts/y/a.md"), ["**/drafts/**"])
    assert excluded(PurePosixPath("notes.draft.md"), ["*.draft.md"])
    assert excluded(PurePosixPath("team/README.md"), ["README.md"])
    assert not excluded(PurePosixPath("team/readme-notes.md"), ["README.md"])
    assert not excluded(PurePosixPath("draftsman.md"), ["drafts/*"])


def test_collect_sources_reports_empty_folders_and_patterns(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    sources, errors = collect_sources([tmp_path / "empty", tmp_path / "nothing-*.md"])
    assert sources == []
    assert any("empty" in error and "no .md files" in error for error in errors)
    assert any("nothing-*.md" in error and "matches no files" in error for error in errors)


def test_project_config_sets_formats_and_output_and_flags_override_it(tmp_path: Path) -> None:
    project = tmp_path / "project"
    write_doc(project / "docs" / "a.md", "Alpha")
    (project / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.designexport]\nformats = ["html"]\noutput-dir = "build/designs"\n',
        encoding="utf-8",
    )
    completed = run_cli(project / "docs")
    assert completed.returncode == 0, completed.stderr
    assert sorted(path.name for path in (project / "build" / "designs").iterdir() if path.suffix) == ["a.html"]

    completed = run_cli(project / "docs", "--docx", "-o", tmp_path / "elsewhere")
    assert completed.returncode == 0, completed.stderr
    assert sorted(path.name for path in (tmp_path / "elsewhere").iterdir() if path.suffix) == ["a.docx"]


def test_a_bad_config_key_names_the_file_key_and_line(tmp_path: Path) -> None:
    write_doc(tmp_path / "a.md", "Alpha")
    (tmp_path / "designexport.toml").write_text('paper = "a4"\nfromats = ["pdf"]\n', encoding="utf-8")
    completed = run_cli(tmp_path / "a.md")
    assert completed.returncode == 2
    assert "designexport.toml:2" in completed.stderr and "fromats" in completed.stderr
    assert "did you mean 'formats'" in completed.stderr
    assert "Traceback" not in completed.stderr
    assert not (tmp_path / "a.pdf").exists()


def test_strict_with_required_sections_from_config_fails_documents_missing_them(tmp_path: Path) -> None:
    write_doc(tmp_path / "ok.md", "Ok", "\n## Risks\n\nSome.\n")
    write_doc(tmp_path / "short.md", "Short")
    (tmp_path / "designexport.toml").write_text('strict = true\nrequired-sections = ["Overview", "Risks"]\n', "utf-8")
    completed = run_cli(tmp_path, "--html")
    assert completed.returncode == 1
    assert "short.md:1: error: required section 'Risks' is missing [missing-section]" in completed.stderr
    assert "short.md: error: not exported: --strict and 1 error(s)" in completed.stderr
    assert (tmp_path / "ok.html").exists() and not (tmp_path / "short.html").exists()


def test_ci_log_gets_one_line_per_document_and_a_summary(three_docs: Path, tmp_path: Path) -> None:
    completed = run_cli(three_docs, "-o", tmp_path / "out", "--html", "-j", "1")
    lines = completed.stdout.splitlines()
    assert len(lines) == 3 and all(line.startswith("exported ") for line in lines)
    assert any(line.endswith("alpha.html (0.0 s)") or "alpha.html (" in line for line in lines)
    assert completed.stderr.strip().startswith("3 exported, 0 skipped, 0 failed, 0 warnings in ")

    quiet = run_cli(three_docs, "-o", tmp_path / "out", "--html", "-q", "--force")
    assert quiet.stdout == "" and quiet.stderr == ""


def test_terminal_gets_a_progress_bar(three_docs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import exporter.cli.console

    original = exporter.cli.console.BatchConsole.__init__

    def on_a_terminal(self: Any, total: int, quiet: bool, verbose: bool, interactive: bool | None = None) -> None:
        original(self, total, quiet, verbose, True)

    monkeypatch.setattr(exporter.cli.console.BatchConsole, "__init__", on_a_terminal)
    result = CliRunner().invoke(main, [str(three_docs), "-o", str(tmp_path / "out"), "--html", "-j", "1"])
    assert result.exit_code == 0, result.output
    assert "Exporting" in result.stderr and "3/3" in result.stderr
    assert "3 exported, 0 skipped, 0 failed" in result.stderr
    assert result.stdout == ""  # the bar replaces the per-document lines


def test_two_concurrent_runs_share_the_output_folder_and_cache_safely(three_docs: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    command = [sys.executable, "-m", "exporter", str(three_docs), "-o", str(out), "--html", "--docx", "-j", "2"]
    runs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    for process in runs:
        _, stderr = process.communicate(timeout=300)
        assert process.returncode == 0, stderr
    for name in ("alpha", "bravo", "charlie"):
        assert docx.Document(str(out / f"{name}.docx")).paragraphs
        assert "</html>" in (out / f"{name}.html").read_text(encoding="utf-8")
    assert not list(out.rglob("*.part"))
    again = run_cli(three_docs, "-o", out, "--html", "--docx", "--report", tmp_path / "r.json")
    assert set(statuses(report_of(tmp_path / "r.json")).values()) == {"skipped"}, again.stderr


def test_verbose_shows_per_format_timings(three_docs: Path, tmp_path: Path) -> None:
    completed = run_cli(three_docs / "alpha.md", "-o", tmp_path / "out", "--html", "--docx", "-v")
    assert completed.returncode == 0, completed.stderr
    assert "exporting " in completed.stderr
    line = completed.stdout.strip()
    assert line.startswith("exported ") and "alpha.{html,docx}" in line
    assert ": parse " in line and ", html " in line and ", docx " in line
