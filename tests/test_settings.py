"""Typed settings: the config file under the command line, reported where they were given; `--suppress CODE`
on export, batch and `check` and in the config; `--strict` checked in the worker on the export's own parse."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from exporter.cli.config import load_config
from exporter.cli.main import main
from exporter.cli.settings import SETTING_NAMES, GivenSettings, Place, Settings, command_line_settings
from exporter.model.diagnostics import Code
from tests.cli_run import run_in

# One broken #link (line 7) and one missing image (line 9); the rest is clean.
DOC = """# Retry Technical Design

**Status:** Draft

## Overview

See [the plan](#nowhere) for details.

![Flow](flow.png)
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def report_codes(path: Path) -> list[str]:
    report: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return [item["code"] for entry in report["documents"] for item in entry["diagnostics"]]


def typed(*arguments: str) -> GivenSettings:
    """The settings `designexport export ARGUMENTS` reads from its command line."""
    command = main.commands["export"]
    with command.make_context("export", list(arguments)) as context:
        return command_line_settings(context)


# --- the command line over the config file ---------------------------------------------------------------------------


def test_flags_given_replace_the_config_and_flags_left_at_their_default_do_not(tmp_path: Path) -> None:
    config = load_config(write(tmp_path / "designexport.toml", 'paper = "letter"\ntoc = false\nexclude = ["a/**"]\n'))

    merged = typed("doc.md", "--toc-depth", "2", "--exclude", "b/**").over(config.given).settings

    assert (merged.paper, merged.toc, merged.toc_depth) == ("letter", False, 2)
    assert merged.exclude == ("a/**", "b/**")  # excludes add up
    merged = typed("doc.md", "--paper", "a4").over(config.given).settings
    assert merged.paper == "a4"  # given, though it is the default


def test_format_flags_replace_the_configured_formats(tmp_path: Path) -> None:
    config = load_config(write(tmp_path / "designexport.toml", 'formats = ["docx", "html"]\n'))

    assert typed("doc.md").over(config.given).settings.formats == ("html", "docx")
    assert typed("doc.md", "--pdf").over(config.given).settings.formats == ("pdf",)
    assert typed("doc.md", "--all").over(config.given).settings.formats == ("html", "pdf", "docx")
    assert typed("doc.md").settings == Settings()


def test_each_setting_remembers_where_it_was_given(tmp_path: Path) -> None:
    config = load_config(write(tmp_path / "designexport.toml", '# house style\n\npaper = "letter"\n'))

    merged = typed("doc.md", "--no-toc", "-j", "3").over(config.given)

    assert merged.where["paper"] == Place(file=tmp_path / "designexport.toml", key="paper", line=3)
    assert merged.where["toc"] == Place(flag="--no-toc") and merged.where["jobs"] == Place(flag="--jobs")
    assert not merged.given("theme")


def test_a_configured_theme_that_cannot_be_read_is_reported_at_its_line(tmp_path: Path) -> None:
    write(tmp_path / "doc.md", DOC)
    write(tmp_path / "brand.css", "")
    write(tmp_path / "designexport.toml", 'organization = "Acme"\ntheme = "brand.css"\n')
    (tmp_path / "brand.css").write_bytes(b"\xff\xfe not UTF-8")

    completed = run_in(tmp_path, "doc.md", "--html")

    assert completed.returncode == 2
    assert "designexport.toml:2: error: theme: " in completed.stderr
    assert "Traceback" not in completed.stderr and not (tmp_path / "doc.html").exists()


def test_the_report_names_the_merged_settings_by_parameter(tmp_path: Path) -> None:
    write(tmp_path / "doc.md", DOC)
    write(tmp_path / "designexport.toml", 'watermark-statuses = ["draft", "in review"]\nlimits = {seconds = 120}\n')

    completed = run_in(tmp_path, "doc.md", "--docx", "--limit", "table-cells=1000", "--report", "r.json")

    assert completed.returncode == 0, completed.stderr
    options = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["options"]
    assert options["formats"] == ["docx"] and options["want_docx"] and not options["want_html"]
    assert options["watermark_statuses"] == "draft,in review"
    assert options["limits"] == ["seconds=120"] and options["limit_settings"] == ["table-cells=1000"]
    assert options["config"] == str(tmp_path / "designexport.toml")


def test_every_export_flag_sets_a_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each flag lands in its setting, typed; every setting but the config-only required sections has a flag."""
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "logo.png", "png")
    write(tmp_path / "ref.docx", "docx")
    (tmp_path / "assets").mkdir()

    given = typed(
        "doc.md", "--html", "-o", "out", "--paper", "letter", "--number-sections", "--toc-depth", "2", "--no-toc",
        "--no-smart", "--no-diagrams",
        "--theme", "modern", "--pdf-variant", "pdf/a-3b", "--logo", "logo.png", "--organization", "Acme",
        "--reference-docx", "ref.docx", "--no-watermark", "--watermark-statuses", "draft, in review", "--strict",
        "--suppress", "pdf", "-j", "2", "--timeout", "9", "--asset-root", "assets", "--allow-asset-root-outside",
        "--follow-symlinks", "--allow-remote", "--limit", "seconds=9", "--exclude", "x", "--shard", "1/2",
        "--report", "r.json", "--force", "--prune", "-q", "-v", "--title", "T", "-M", "owner=Payments",
        "--metadata", "a=b=c", "--since", "v1.2", "--author", "Ann Lee", "--changes-only",
    )  # fmt: skip

    assert given.settings == Settings(
        formats=("html",), output_dir=Path("out"), paper="letter", number_sections=True, toc_depth=2, toc=False,
        smart=False, draw_text_diagrams=False,
        theme="modern", pdf_variant="pdf/a-3b", logo=Path("logo.png"), organization="Acme",
        reference_docx=Path("ref.docx"), watermark=False, watermark_statuses=("draft", "in review"), strict=True,
        suppress=frozenset({Code.PDF}), jobs=2, timeout=9.0, asset_root=Path("assets"), allow_asset_root_outside=True,
        follow_symlinks=True, allow_remote=True, limits=("seconds=9",), exclude=("x",), shard="1/2",
        report=Path("r.json"), force=True, prune=True, quiet=True, verbose=True,
        title="T", metadata=(("owner", "Payments"), ("a", "b=c")), since="v1.2", author="Ann Lee",
        changes_only=True,
    )  # fmt: skip
    # The old file of a comparison is `designexport diff`'s first argument, not a flag.
    assert set(given.where) == SETTING_NAMES - {"required_sections", "compare_with"}


# --- --suppress ------------------------------------------------------------------------------------------------------


def test_export_suppress_silences_the_code_in_the_log_and_the_report(tmp_path: Path) -> None:
    write(tmp_path / "doc.md", DOC)

    loud = run_in(tmp_path, "doc.md", "--html", "--report", "loud.json")
    quiet = run_in(tmp_path, "doc.md", "--html", "--force", "--suppress", "broken-link", "--report", "quiet.json")

    assert loud.returncode == quiet.returncode == 0, quiet.stderr
    assert "[broken-link]" in loud.stderr and "[resource-missing]" in loud.stderr
    assert "[broken-link]" not in quiet.stderr and "[resource-missing]" in quiet.stderr
    assert sorted(report_codes(tmp_path / "loud.json")) == ["broken-link", "resource-missing"]
    assert report_codes(tmp_path / "quiet.json") == ["resource-missing"]


def test_a_suppressed_code_does_not_stop_a_strict_export(tmp_path: Path) -> None:
    write(tmp_path / "doc.md", DOC)

    stopped = run_in(tmp_path, "doc.md", "--html", "--strict")
    assert stopped.returncode == 1
    assert "doc.md:7: error: no heading or anchor '#nowhere' [broken-link]" in stopped.stderr
    assert not (tmp_path / "doc.html").exists()

    exported = run_in(tmp_path, "doc.md", "--html", "--strict", "--suppress", "broken-link")
    assert exported.returncode == 0, exported.stderr
    assert (tmp_path / "doc.html").exists() and "broken-link" not in exported.stderr


def test_batch_suppress_applies_to_every_document_of_a_folder(tmp_path: Path) -> None:
    for name in ("alpha", "bravo", "charlie"):
        write(tmp_path / "docs" / f"{name}.md", DOC)

    completed = run_in(
        tmp_path, "docs", "-o", "out", "-j", "2", "--html", "--suppress", "resource-missing", "--suppress",
        "[broken-link]", "--report", "r.json",
    )  # fmt: skip

    assert completed.returncode == 0, completed.stderr
    assert "warning:" not in completed.stderr
    assert completed.stderr.strip().startswith("3 exported, 0 skipped, 0 failed, 0 warnings in ")
    assert report_codes(tmp_path / "r.json") == []


def test_check_suppress_leaves_the_finding_out_of_text_json_and_the_exit_code(tmp_path: Path) -> None:
    write(tmp_path / "doc.md", DOC)

    found = run_in(tmp_path, "check", "doc.md", "--profile", "none", "--strict")
    silenced = run_in(
        tmp_path, "check", "doc.md", "--profile", "none", "--strict", "--suppress", "broken-link",
        "--suppress", "missing-image",
    )  # fmt: skip
    as_json = run_in(tmp_path, "check", "doc.md", "--profile", "none", "--format", "json", "--suppress", "broken-link")

    assert found.returncode == 1 and "doc.md:7:" in found.stdout and "[broken-link]" in found.stdout
    assert silenced.returncode == 0, silenced.stdout
    assert "[broken-link]" not in silenced.stdout and "[missing-image]" not in silenced.stdout
    assert [finding["code"] for finding in json.loads(as_json.stdout)] == ["missing-image"]


def test_suppress_in_the_config_file_applies_to_export_and_check(tmp_path: Path) -> None:
    write(tmp_path / "doc.md", DOC)
    write(tmp_path / "designexport.toml", 'suppress = ["broken-link"]\n')

    exported = run_in(tmp_path, "doc.md", "--html", "--suppress", "resource-missing")
    checked = run_in(tmp_path, "check", "doc.md", "--profile", "none")

    assert exported.returncode == 0 and "warning:" not in exported.stderr  # the file's code and the flag's add up
    assert checked.returncode == 0 and "[broken-link]" not in checked.stdout and "[missing-image]" in checked.stdout


@pytest.mark.parametrize("command", [(), ("check",)])
def test_an_unknown_code_is_a_usage_error_with_a_suggestion(tmp_path: Path, command: tuple[str, ...]) -> None:
    write(tmp_path / "doc.md", DOC)

    completed = run_in(tmp_path, *command, "doc.md", "--suppress", "brokn-link")

    assert completed.returncode == 2
    errors = [line for line in completed.stderr.splitlines() if "brokn-link" in line]
    assert len(errors) == 1 and "did you mean 'broken-link'?" in errors[0]
    assert "Traceback" not in completed.stderr and not (tmp_path / "doc.html").exists()


def test_an_unknown_code_in_the_config_names_the_file_line_and_suggestion(tmp_path: Path) -> None:
    write(tmp_path / "doc.md", DOC)
    write(tmp_path / "designexport.toml", 'paper = "a4"\nsuppress = ["resource-mising"]\n')

    completed = run_in(tmp_path, "doc.md", "--html")

    assert completed.returncode == 2
    assert (
        "designexport.toml:2: error: suppress: unknown diagnostic code 'resource-mising'; "
        "did you mean 'resource-missing'?" in completed.stderr
    )
    assert not (tmp_path / "doc.html").exists()


# --- --strict in the worker ------------------------------------------------------------------------------------------


def test_strict_fails_a_document_past_a_parse_limit_with_one_line_and_exports_the_rest(tmp_path: Path) -> None:
    """The check now runs on the export's own parse, in the worker: the limits apply once, and a document
    past one fails alone instead of stopping the batch."""
    deep = "".join("  " * level + f"- level {level}\n" for level in range(40))
    write(tmp_path / "docs" / "deep.md", deep)
    write(tmp_path / "docs" / "fine.md", DOC.replace("(#nowhere)", "(#overview)"))

    completed = run_in(tmp_path, "docs", "-o", "out", "--html", "--strict", "-j", "2")

    assert completed.returncode == 1
    assert "deep.md:33: error: content is nested too deeply" in completed.stderr
    assert "Traceback" not in completed.stderr
    assert (tmp_path / "out" / "fine.html").exists() and not (tmp_path / "out" / "deep.html").exists()

    raised = run_in(tmp_path, "docs", "-o", "out", "--html", "--strict", "--limit", "nesting-depth=64")
    assert raised.returncode == 0, raised.stderr
    assert (tmp_path / "out" / "deep.html").exists()


def test_a_strict_stop_is_reported_as_before_and_reads_as_unread_in_the_report(tmp_path: Path) -> None:
    write(tmp_path / "doc.md", DOC)

    completed = run_in(tmp_path, "doc.md", "--html", "--strict", "--report", "r.json")

    assert completed.returncode == 1
    lines = completed.stderr.splitlines()
    assert lines == [
        "doc.md:7: error: no heading or anchor '#nowhere' [broken-link]",
        "doc.md: error: not exported: --strict and 1 error(s)",
    ]
    (entry,) = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["documents"]
    assert entry["status"] == "failed" and entry["input_sha256"] is None and entry["outputs"] == []
    assert [item["severity"] for item in entry["diagnostics"]] == ["error"]
