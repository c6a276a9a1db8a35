"""The `--report` manifest as a CI job reads it: valid against docs/report.schema.json, and true to the files."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from pypdf import PdfReader

from tests.conftest import ROOT

pytestmark = pytest.mark.xdist_group("report-schema")  # one worker runs the two exports once

SCHEMA_PATH = ROOT / "docs" / "report.schema.json"
GOOD = ("payment-retry.md", "search-indexing.md", "sub/figure.md")
BAD = "broken.md"
MISSING_IMAGE_LINE = 5
FIGURE = "# Figure\n\nA figure that was never committed:\n\n![Latency](plots/latency.png)\n"


def _schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return schema


def _validate(report: dict[str, Any]) -> None:
    validator = jsonschema.Draft202012Validator(_schema())
    errors = sorted(validator.iter_errors(report), key=lambda error: list(error.absolute_path))
    assert not errors, "\n".join(f"{list(error.absolute_path)}: {error.message}" for error in errors)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """docs/ with two samples, a figure doc whose image is missing, and a file that is not UTF-8."""
    root = tmp_path_factory.mktemp("report")
    docs = root / "docs"
    (docs / "sub").mkdir(parents=True)
    for name in ("payment-retry.md", "search-indexing.md"):
        shutil.copy(ROOT / "samples" / name, docs / name)
    (docs / "sub" / "figure.md").write_text(FIGURE, encoding="utf-8")
    (docs / BAD).write_bytes(b"# Broken\n\nFine so far.\n\xff\xfe not UTF-8\n")
    return root


def _export(workspace: Path, report_name: str) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    env = {key: value for key, value in os.environ.items() if key != "SOURCE_DATE_EPOCH"}
    env["XDG_CACHE_HOME"] = str(workspace / "xdg-cache")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    args = ["docs", "-o", "out", "-j", "2", "--html", "--docx", "--pdf", "--report", report_name]
    completed = subprocess.run(
        [sys.executable, "-m", "exporter", *args],
        cwd=workspace,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    report: dict[str, Any] = json.loads((workspace / report_name).read_text(encoding="utf-8"))
    return completed, report


@pytest.fixture(scope="module")
def runs(workspace: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """The same export twice: cold, then unchanged (the good documents come from the build cache)."""
    first, first_report = _export(workspace, "first.json")
    second, second_report = _export(workspace, "second.json")
    for completed in (first, second):
        assert completed.returncode == 1, completed.stderr  # the broken file fails; the others still export
        assert "Traceback" not in completed.stderr
    return first_report, second_report


def _by_source(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {entry["source"]: entry for entry in report["documents"]}


def test_the_schema_itself_is_valid_draft_2020_12() -> None:
    jsonschema.Draft202012Validator.check_schema(_schema())
    assert _schema()["$id"] == "https://designexport.dev/schemas/report-1.json"


def test_both_reports_match_the_schema(runs: tuple[dict[str, Any], dict[str, Any]]) -> None:
    for report in runs:
        _validate(report)
        assert report["$schema"] == _schema()["$id"]


def test_the_schema_rejects_an_unknown_status(runs: tuple[dict[str, Any], dict[str, Any]]) -> None:
    broken = json.loads(json.dumps(runs[0]))
    broken["documents"][0]["status"] = "ok"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, _schema(), cls=jsonschema.Draft202012Validator)


def test_every_input_appears_exactly_once(runs: tuple[dict[str, Any], dict[str, Any]]) -> None:
    expected = sorted(f"docs/{name}" for name in (*GOOD, BAD))
    for report in runs:
        sources = [entry["source"] for entry in report["documents"]]
        assert sorted(sources) == expected
        summary = report["summary"]
        assert summary["documents"] == len(expected)
        assert summary["exported"] + summary["skipped"] + summary["failed"] == len(expected)


def test_the_broken_file_fails_with_an_error_naming_it(runs: tuple[dict[str, Any], dict[str, Any]]) -> None:
    for report in runs:
        entry = _by_source(report)[f"docs/{BAD}"]
        assert entry["status"] == "failed"
        assert entry["error"].startswith(f"docs/{BAD}:4: error:")
        assert "UTF-8" in entry["error"]
        assert entry["outputs"] == []
        assert report["summary"]["failed"] == 1


def test_outputs_match_the_files_on_disk(workspace: Path, runs: tuple[dict[str, Any], dict[str, Any]]) -> None:
    first = _by_source(runs[0])
    for name in GOOD:
        entry = first[f"docs/{name}"]
        assert entry["status"] == "exported"
        assert entry["input_sha256"] == _sha256(workspace / "docs" / name)
        assert [output["format"] for output in entry["outputs"]] == ["html", "pdf", "docx"]
        for output in entry["outputs"]:
            path = workspace / output["path"]
            assert path == workspace / "out" / Path(name).with_suffix(f".{output['format']}")
            assert output["sha256"] == _sha256(path)
            assert output["bytes"] == path.stat().st_size
            if output["format"] == "pdf":
                assert output["pages"] == len(PdfReader(path).pages)
            else:
                assert output["pages"] is None


def test_the_missing_image_is_a_warning_with_its_line(runs: tuple[dict[str, Any], dict[str, Any]]) -> None:
    for report in runs:
        entry = _by_source(report)["docs/sub/figure.md"]
        missing = [item for item in entry["diagnostics"] if item["code"] == "resource-missing"]
        assert len(missing) == 1
        assert missing[0]["severity"] == "warning"
        assert missing[0]["line"] == MISSING_IMAGE_LINE
        assert "plots/latency.png" in missing[0]["message"]
        assert missing[0]["text"].startswith(f"docs/sub/figure.md:{MISSING_IMAGE_LINE}: warning:")
        assert report["summary"]["warnings"] >= 1
    dependencies = _by_source(runs[0])["docs/sub/figure.md"]["dependencies"]
    assert dependencies == [{"path": "plots/latency.png", "sha256": None, "missing": True}]


def test_an_unchanged_second_run_skips_with_the_same_hashes(runs: tuple[dict[str, Any], dict[str, Any]]) -> None:
    first, second = (_by_source(report) for report in runs)
    summary = runs[1]["summary"]
    assert (summary["exported"], summary["skipped"], summary["failed"]) == (0, len(GOOD), 1)
    for name in GOOD:
        before, after = first[f"docs/{name}"], second[f"docs/{name}"]
        assert after["status"] == "skipped"
        assert _fingerprint(after) == _fingerprint(before)


def _fingerprint(entry: dict[str, Any]) -> list[tuple[str, str, str, int, int | None]]:
    return [
        (output["format"], output["path"], output["sha256"], output["bytes"], output["pages"])
        for output in entry["outputs"]
    ]
