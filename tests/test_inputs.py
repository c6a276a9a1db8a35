"""The input sandbox for everything around the document: documents reached through symlinks, the
theme, logo, reference DOCX and asset root, config-named paths, and outputs that would overwrite an input.

Each case runs the CLI as CI would, inside a project folder, and asserts what the user sees: the
export goes on without the refused file, or stops with a one-line error naming the file, and no
secret reaches an output.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path, PurePosixPath

import pytest

from exporter.run.batch import Source, screen_sources
from exporter.safety.inputs import Origin, UnsafeInputError, checked_file, checked_folder, project_folder
from tests.cli_run import run_in

DOC = "# Input Rules Technical Design\n\n**Status:** Draft\n\n## Overview\n\nText.\n"
SECRET = "hunter2-not-for-outputs"


def run(project: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    return run_in(project, *arguments, timeout=180)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project folder with one document, and a secret file beside (outside) it."""
    folder = tmp_path / "project"
    (folder / "docs").mkdir(parents=True)
    (folder / "docs" / "doc.md").write_text(DOC, encoding="utf-8")
    (tmp_path / "secret.txt").write_text(f":root{{--color-text: red}} /* {SECRET} */\n", encoding="utf-8")
    return folder


def assert_one_line_error(completed: subprocess.CompletedProcess[str], *pieces: str) -> None:
    assert completed.returncode == 2, completed.stderr
    assert "Traceback" not in completed.stderr
    error_lines = [line for line in completed.stderr.splitlines() if "rror" in line]
    assert len(error_lines) == 1, completed.stderr
    for piece in pieces:
        assert piece in error_lines[0], completed.stderr


def outputs(folder: Path) -> list[Path]:
    return [path for path in folder.rglob("*") if path.suffix in (".html", ".pdf", ".docx")]


# ---------------------------------------------------------------- documents


def test_a_symlinked_document_outside_its_folder_is_skipped_then_followed_on_request(project: Path) -> None:
    outside = project.parent / "elsewhere.md"
    outside.write_text(DOC.replace("Text.", f"Text {SECRET}."), encoding="utf-8")
    (project / "docs" / "linked.md").symlink_to(outside)
    completed = run(project, "docs", "-o", "out", "--html")
    assert completed.returncode == 0, completed.stderr
    assert "docs/linked.md: warning: skipped: it is a symlink to" in completed.stderr
    assert "[symlink-outside]" in completed.stderr
    assert sorted(path.name for path in outputs(project / "out")) == ["doc.html"]

    followed = run(project, "docs", "-o", "out2", "--html", "--follow-symlinks")
    assert followed.returncode == 0, followed.stderr
    assert SECRET in (project / "out2" / "linked.html").read_text(encoding="utf-8")


def test_follow_symlinks_never_enters_proc(project: Path) -> None:
    (project / "docs" / "environment.md").symlink_to("/proc/self/environ")
    completed = run(project, "docs", "-o", "out", "--html", "--follow-symlinks")
    assert completed.returncode == 0, completed.stderr
    assert "environment.md: warning: skipped" in completed.stderr and "[special-file]" in completed.stderr
    assert not (project / "out" / "environment.html").exists()


def test_a_symlink_inside_the_folder_is_an_ordinary_document(project: Path) -> None:
    (project / "docs" / "alias.md").symlink_to("doc.md")
    completed = run(project, "docs", "-o", "out", "--html")
    assert completed.returncode == 0, completed.stderr
    assert (project / "out" / "alias.html").is_file()


def test_screening_keeps_regular_files_and_names_each_refusal(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text(DOC, encoding="utf-8")
    (tmp_path / "loop.md").symlink_to(tmp_path / "loop.md")
    (tmp_path / "passwd.md").symlink_to("/etc/passwd")
    names = ("a.md", "loop.md", "passwd.md")
    sources = [Source(tmp_path / name, PurePosixPath(name), tmp_path) for name in names]
    kept, refused = screen_sources(sources)
    assert [source.path.name for source in kept] == ["a.md"]
    assert {Path(item.source).name: item.code for item in refused} == {
        "loop.md": "symlink-loop",
        "passwd.md": "symlink-outside",
    }


# ---------------------------------------------------------------- auxiliary files


def test_a_config_named_theme_that_links_to_a_secret_is_refused(project: Path) -> None:
    (project / "brand.css").symlink_to(project.parent / "secret.txt")
    (project / "designexport.toml").write_text('theme = "brand.css"\n', encoding="utf-8")
    completed = run(project, "docs", "-o", "out", "--html")
    assert_one_line_error(completed, "designexport.toml:1", "brand.css", "symlink that leads outside the project")
    assert not (project / "out").exists()


def test_a_config_may_not_name_files_outside_the_project(project: Path) -> None:
    (project / "designexport.toml").write_text('logo = "../secret.txt"\n', encoding="utf-8")
    completed = run(project, "docs", "--html")
    assert_one_line_error(completed, "designexport.toml:1", "outside the project folder")


@pytest.mark.parametrize("root", ["/", "..", "/tmp"])
def test_a_config_asset_root_may_not_open_the_sandbox(project: Path, root: str) -> None:
    (project / "designexport.toml").write_text(f'asset-root = "{root}"\n', encoding="utf-8")
    completed = run(project, "docs", "--html")
    assert_one_line_error(completed, "designexport.toml:1", "asset root")


def test_a_command_line_asset_root_outside_the_project_needs_the_flag(project: Path) -> None:
    shared = project.parent / "shared-images"
    shared.mkdir()
    refused = run(project, "docs", "--html", "--asset-root", str(shared))
    assert_one_line_error(refused, "outside the project folder", "--allow-asset-root-outside")
    accepted = run(project, "docs", "--html", "--asset-root", str(shared), "--allow-asset-root-outside")
    assert accepted.returncode == 0, accepted.stderr
    slash = run(project, "docs", "--html", "--asset-root", "/", "--allow-asset-root-outside")
    assert_one_line_error(slash, "file system root")


def test_a_command_line_theme_may_live_anywhere_but_not_behind_a_link_out(project: Path) -> None:
    theme = project.parent / "brand.css"
    theme.write_text(":root { --color-accent: #aa3300; }\n", encoding="utf-8")
    accepted = run(project, "docs/doc.md", "--html", "--theme", str(theme))
    assert accepted.returncode == 0, accepted.stderr
    (project / "linked.css").symlink_to(project.parent / "secret.txt")
    refused = run(project, "docs/doc.md", "--html", "--theme", "linked.css", "--force")
    assert_one_line_error(refused, "--theme", "linked.css", "symlink that leads outside")
    html = (project / "docs" / "doc.html").read_text(encoding="utf-8")
    assert SECRET not in html


def test_a_logo_in_proc_is_refused(project: Path) -> None:
    completed = run(project, "docs/doc.md", "--html", "--logo", "/proc/self/environ")
    assert_one_line_error(completed, "--logo", "/proc")
    assert not (project / "docs" / "doc.html").exists()


def test_a_config_file_in_proc_is_refused(project: Path) -> None:
    completed = run(project, "docs/doc.md", "--html", "--config", "/proc/self/environ")
    assert completed.returncode == 2
    assert "never read as a config file" in completed.stderr and "Traceback" not in completed.stderr


def test_the_rules_as_functions(tmp_path: Path) -> None:
    inside = tmp_path / "theme.css"
    inside.write_text("x", encoding="utf-8")
    origin = Origin(tmp_path, from_config=True)
    assert checked_file(inside, "theme", origin, 10) == inside.resolve()
    with pytest.raises(UnsafeInputError, match="over the 0-byte limit"):
        checked_file(inside, "theme", origin, 0)
    with pytest.raises(UnsafeInputError, match="/dev"):
        checked_file(Path("/dev/zero"), "logo", Origin(tmp_path, from_config=False), 10)
    with pytest.raises(UnsafeInputError, match="not a regular file"):
        checked_file(tmp_path, "theme", Origin(tmp_path.parent, from_config=False), 10)
    with pytest.raises(UnsafeInputError, match="file system root"):
        checked_folder(Path("/"), "asset root", origin, allow_outside=True)
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    (tmp_path / "repo" / "docs").mkdir()
    assert project_folder(None, tmp_path / "repo" / "docs") == tmp_path / "repo"
    assert project_folder(tmp_path / "repo" / "docs" / "designexport.toml", tmp_path) == tmp_path / "repo" / "docs"


# ---------------------------------------------------------------- outputs never overwrite inputs


def test_the_report_may_not_overwrite_a_document(project: Path) -> None:
    before = (project / "docs" / "doc.md").read_bytes()
    completed = run(project, "docs", "--html", "--report", "docs/doc.md")
    assert_one_line_error(completed, "--report", "would overwrite an input file")
    assert (project / "docs" / "doc.md").read_bytes() == before


def test_the_report_may_not_overwrite_the_theme_or_an_output(project: Path) -> None:
    theme = project / "brand.css"
    theme.write_text(":root { --color-accent: #aa3300; }\n", encoding="utf-8")
    over_theme = run(project, "docs", "--html", "--theme", "brand.css", "--report", "brand.css")
    assert_one_line_error(over_theme, "would overwrite an input file")
    assert theme.read_text(encoding="utf-8").startswith(":root")
    over_output = run(project, "docs", "--html", "--report", "docs/doc.html")
    assert_one_line_error(over_output, "would overwrite an exported file")


def test_an_output_may_not_overwrite_the_reference_docx(project: Path) -> None:
    first = run(project, "docs/doc.md", "--docx")
    assert first.returncode == 0, first.stderr
    reference = project / "docs" / "doc.docx"
    before = reference.read_bytes()
    completed = run(project, "docs/doc.md", "--docx", "--reference-docx", "docs/doc.docx", "--force")
    assert_one_line_error(completed, "would overwrite an input file")
    assert reference.read_bytes() == before


# ---------------------------------------------------------------- numbers


@pytest.mark.parametrize("value", ["inf", "nan", "-1", "0", "1e30"])
def test_timeouts_must_be_finite_and_sane(project: Path, value: str) -> None:
    completed = run(project, "docs", "--html", "--timeout", value)
    assert_one_line_error(completed, "--timeout")


def test_an_absurd_worker_count_is_refused(project: Path) -> None:
    assert_one_line_error(run(project, "docs", "--html", "-j", "100000"), "--jobs")


@pytest.mark.parametrize(
    ("setting", "piece"),
    [("timeout = nan", "timeout"), ("timeout = inf", "timeout"), ("jobs = 100000", "jobs")],
)
def test_config_numbers_must_be_finite_and_sane(project: Path, setting: str, piece: str) -> None:
    (project / "designexport.toml").write_text(setting + "\n", encoding="utf-8")
    assert_one_line_error(run(project, "docs", "--html"), "designexport.toml:1", piece)


def test_nothing_was_left_behind_by_refused_runs(project: Path) -> None:
    completed = run(project, "docs", "--html", "--report", "docs/doc.md")
    assert completed.returncode == 2
    assert sorted(os.listdir(project / "docs")) == ["doc.md"]


def test_check_refuses_the_same_documents_and_fails_on_them_under_strict(project: Path) -> None:
    (project / "docs" / "passwd.md").symlink_to("/etc/passwd")
    plain = run(project, "check", "docs", "--profile", "none")
    assert "passwd.md: warning: skipped: it is a symlink to /etc/passwd" in plain.stderr
    assert "root:x:0:0" not in plain.stdout + plain.stderr
    strict = run(project, "check", "docs", "--profile", "none", "--strict")
    assert strict.returncode == 1
