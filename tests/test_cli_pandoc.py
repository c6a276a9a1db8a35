"""The command line where users expect pandoc: `-o FILE` (the format from the extension), `-o -` and `-` for
standard output and input, `-t`, a mistyped command or choice answered with what was meant, shell completion."""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from exporter.cli.main import main
from tests.cli_run import run_in

DOC = """# Retry Technical Design

**Requirement:** PAY-1
**Status:** Draft

## Overview

![Flow](diagrams/flow.png)

![Gone](missing.png)
"""
MISSING_IMAGE_LINE = 10


def piped(folder: Path, data: bytes, *arguments: str) -> subprocess.CompletedProcess[bytes]:
    """`designexport ARGUMENTS` in `folder`, with `data` on its standard input; its standard output as bytes."""
    return subprocess.run(
        [sys.executable, "-m", "exporter", *arguments],
        cwd=folder,
        input=data,
        capture_output=True,
        check=False,
        timeout=300,
    )


def red_png() -> bytes:
    """A 2x2 red PNG."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    rows = b"".join(b"\x00" + b"\xff\x00\x00" * 2 for _ in range(2))
    header = struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A folder with doc.md and the image it shows."""
    (tmp_path / "doc.md").write_text(DOC, encoding="utf-8")
    (tmp_path / "diagrams").mkdir()
    (tmp_path / "diagrams" / "flow.png").write_bytes(red_png())
    return tmp_path


def files_in(folder: Path) -> set[str]:
    return {path.relative_to(folder).as_posix() for path in folder.rglob("*")}


# --- standard input and output ---------------------------------------------------------------------------------------


def test_stdin_to_stdout_as_html_names_stdin_and_finds_images_from_the_working_folder(project: Path) -> None:
    before = files_in(project)

    completed = piped(project, DOC.encode(), "-", "-t", "html", "-o", "-")

    assert completed.returncode == 0, completed.stderr
    page = completed.stdout.decode("utf-8")
    assert page.startswith("<!DOCTYPE html>") and "<title>Retry Technical Design</title>" in page
    assert "data:image/png;base64," in page  # diagrams/flow.png, relative to the working folder
    stderr = completed.stderr.decode()
    assert f"stdin:{MISSING_IMAGE_LINE}: warning: image not found: 'missing.png'" in stderr
    assert "Traceback" not in stderr and files_in(project) == before  # nothing written beside the document


def test_stdin_to_stdout_as_pdf_is_the_whole_pdf_and_nothing_else(project: Path) -> None:
    completed = piped(project, DOC.encode(), "-", "-t", "pdf", "-o", "-")

    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.startswith(b"%PDF-") and completed.stdout.rstrip().endswith(b"%%EOF")


def test_stdin_takes_title_and_metadata_and_writes_stdout_without_o(project: Path) -> None:
    completed = piped(project, DOC.encode(), "-", "--title", "Given Title", "-M", "owner=Payments Team")

    assert completed.returncode == 0, completed.stderr
    page = completed.stdout.decode("utf-8")
    assert "<title>Given Title</title>" in page and "Payments Team" in page


def test_stdin_relative_images_resolve_against_the_asset_root(project: Path) -> None:
    document = b"# Picture\n\n![Flow](flow.png)\n"

    completed = piped(project, document, "-", "--asset-root", "diagrams", "-o", "-")

    assert completed.returncode == 0, completed.stderr
    assert b"data:image/png;base64," in completed.stdout and b"warning" not in completed.stderr


def test_stdin_to_a_named_file(project: Path) -> None:
    completed = piped(project, DOC.encode(), "-", "-o", "from-stdin.docx")

    assert completed.returncode == 0, completed.stderr
    assert (project / "from-stdin.docx").read_bytes().startswith(b"PK")
    assert b"stdin -> from-stdin.docx" in completed.stdout


def test_a_file_to_stdout_writes_only_the_document(project: Path) -> None:
    completed = piped(project, b"", "doc.md", "-o", "-")

    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.decode("utf-8").startswith("<!DOCTYPE html>")
    assert b"exported" not in completed.stdout  # the progress line would corrupt the document
    assert not (project / "doc.html").exists()


def test_a_failed_export_to_stdout_writes_nothing_and_says_why_in_one_line(project: Path) -> None:
    completed = piped(project, b"\x00\x01\x02\x03" * 400, "-", "-t", "pdf", "-o", "-")

    assert completed.returncode == 1
    assert completed.stdout == b""
    errors = completed.stderr.decode().strip().splitlines()
    assert errors == ["stdin: error: file looks binary, not Markdown text"]


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
def test_binary_output_to_a_terminal_is_refused(project: Path) -> None:
    primary, terminal = os.openpty()
    try:
        completed = subprocess.run(
            [sys.executable, "-m", "exporter", "doc.md", "-t", "pdf", "-o", "-"],
            cwd=project,
            stdin=subprocess.DEVNULL,
            stdout=terminal,
            stderr=subprocess.PIPE,
            check=False,
            timeout=300,
        )
    finally:
        os.close(terminal)
        os.close(primary)

    assert completed.returncode == 2
    assert b"refusing to write binary output to a terminal; use -o FILE or redirect" in completed.stderr


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (("-", "doc.md"), "'-' (standard input) must be the only input"),
        (("-", "-o", "out/"), "a document from standard input has no name"),
        (("doc.md", "-t", "pdf,docx", "-o", "-"), "-o - writes one format, but PDF, DOCX were asked for"),
        (("doc.md", "-o", "-", "--watch"), "-o - works for one export, not --watch"),
    ],
)
def test_streams_that_cannot_work_are_usage_errors(project: Path, arguments: tuple[str, ...], message: str) -> None:
    before = files_in(project)

    completed = piped(project, DOC.encode(), *arguments)

    assert completed.returncode == 2 and message in completed.stderr.decode()
    assert completed.stdout == b"" and files_in(project) == before


# --- -o FILE ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "magic"), [("out.pdf", b"%PDF-"), ("report.docx", b"PK"), ("page.htm", b"<!DOCTYPE html>")]
)
def test_o_file_writes_that_file_in_the_format_of_its_extension(project: Path, name: str, magic: bytes) -> None:
    completed = run_in(project, "doc.md", "-o", name)

    assert completed.returncode == 0, completed.stderr
    assert (project / name).is_file() and (project / name).read_bytes().startswith(magic)
    assert f"doc.md -> {name}" in completed.stdout
    assert files_in(project) == {"doc.md", "diagrams", "diagrams/flow.png", name}


def test_o_file_with_several_inputs_or_a_folder_is_a_usage_error(project: Path) -> None:
    (project / "other.md").write_text("# Other\n", encoding="utf-8")
    before = files_in(project)

    several = run_in(project, "doc.md", "other.md", "-o", "out.pdf")
    folder = run_in(project, ".", "-o", "out.pdf")

    assert several.returncode == 2
    assert "-o out.pdf writes one document, but 2 inputs were given; use -o DIR/" in several.stderr
    assert folder.returncode == 2 and "is a folder" in folder.stderr
    assert files_in(project) == before  # above all, no folder named out.pdf


def test_o_file_and_another_format_conflict(project: Path) -> None:
    completed = run_in(project, "doc.md", "-o", "out.pdf", "--docx")

    assert completed.returncode == 2
    assert "-o out.pdf writes PDF (from its extension), but the command line also asks for DOCX" in completed.stderr
    assert not (project / "out.pdf").exists()


def test_o_with_an_unknown_extension_names_the_extensions(project: Path) -> None:
    completed = run_in(project, "doc.md", "-o", "out.txt")

    assert completed.returncode == 2
    assert "unknown extension '.txt'" in completed.stderr and ".html, .htm, .pdf, .docx" in completed.stderr
    assert not (project / "out.txt").exists()


@pytest.mark.parametrize("given", ["build.pdf/", "build", "existing.pdf"])
def test_o_folder_keeps_its_meaning(project: Path, given: str) -> None:
    (project / "existing.pdf").mkdir()

    completed = run_in(project, "doc.md", "--pdf", "-o", given)

    assert completed.returncode == 0, completed.stderr
    assert (project / given / "doc.pdf").read_bytes().startswith(b"%PDF-")


def test_a_config_output_dir_named_like_a_file_is_refused_at_its_line(project: Path) -> None:
    (project / "designexport.toml").write_text('paper = "Letter"\noutput-dir = "out.pdf"\n', encoding="utf-8")

    completed = run_in(project, "doc.md", "--html")

    assert completed.returncode == 2
    assert "designexport.toml:2: error: output-dir: expected a folder, but 'out.pdf' names a file" in completed.stderr
    assert not (project / "out.pdf").exists()


# --- -t, choices, commands -------------------------------------------------------------------------------------------


def test_to_takes_formats_in_any_case_and_lists_them_on_a_typo(project: Path) -> None:
    accepted = run_in(project, "doc.md", "-t", "PDF", "--to", "html")
    refused = run_in(project, "doc.md", "-t", "rtf")

    assert accepted.returncode == 0, accepted.stderr
    assert files_in(project) == {"doc.md", "diagrams", "diagrams/flow.png", "doc.pdf", "doc.html"}
    assert refused.returncode == 2 and "unknown format 'rtf'; choose from html, pdf, docx" in refused.stderr


@pytest.mark.parametrize(("typo", "meant"), [("chek", "check"), ("expot", "export"), ("doctr", "doctor")])
def test_a_mistyped_command_is_answered_before_any_export(project: Path, typo: str, meant: str) -> None:
    before = files_in(project)

    completed = run_in(project, typo, "doc.md")

    assert completed.returncode == 2
    assert f"no such command '{typo}'; did you mean '{meant}'?" in completed.stderr
    assert files_in(project) == before


def test_every_command_is_suggested_for_its_typo() -> None:
    """Whatever commands there are (serve, completion, ...), a one-letter slip names the right one."""
    from exporter.cli.choices import did_you_mean

    for name in main.commands:
        assert did_you_mean(name[:-1] + name[-1] * 2, sorted(main.commands)) == f"; did you mean {name!r}?"


@pytest.mark.parametrize("name", ["chek", "check.md"])
def test_a_document_named_like_a_command_still_exports(project: Path, name: str) -> None:
    (project / name).write_text("# Named Like A Command\n", encoding="utf-8")

    completed = run_in(project, name, "--html")

    assert completed.returncode == 0, completed.stderr
    assert (project / (Path(name).stem + ".html")).is_file()


def test_paper_and_pdf_variant_are_matched_in_any_case(project: Path) -> None:
    completed = run_in(project, "doc.md", "--html", "--paper", "A4", "--pdf-variant", "PDF/UA-1", "--report", "r.json")

    assert completed.returncode == 0, completed.stderr
    options = json.loads((project / "r.json").read_text(encoding="utf-8"))["options"]
    assert (options["paper"], options["pdf_variant"]) == ("a4", "pdf/ua-1")


def test_theme_names_are_matched_in_any_case_and_a_typo_gets_the_name(project: Path) -> None:
    accepted = run_in(project, "doc.md", "--html", "--theme", "Modern")
    refused = run_in(project, "doc.md", "--html", "--theme", "clasic")

    assert accepted.returncode == 0, accepted.stderr
    assert refused.returncode == 2 and "unknown theme 'clasic'; did you mean 'classic'?" in refused.stderr


def test_watermark_statuses_must_be_statuses(project: Path) -> None:
    refused = run_in(project, "doc.md", "--html", "--watermark-statuses", "bogus")
    accepted = run_in(project, "doc.md", "--html", "--watermark-statuses", "DRAFT, in  review")

    assert refused.returncode == 2
    assert "unknown status 'bogus'; choose from Draft, In Review, Approved, Deprecated, Superseded" in refused.stderr
    assert accepted.returncode == 0, accepted.stderr


def test_a_configured_status_is_checked_at_its_line(project: Path) -> None:
    (project / "designexport.toml").write_text('paper = "LETTER"\nwatermark-statuses = ["Aproved"]\n', "utf-8")

    completed = run_in(project, "doc.md", "--html")

    assert completed.returncode == 2
    assert (
        "designexport.toml:2: error: watermark-statuses: unknown status 'Aproved'; did you mean 'Approved'?"
        in completed.stderr
    )


def test_new_status_is_checked_and_written_in_its_own_spelling(tmp_path: Path) -> None:
    refused = run_in(tmp_path, "new", "Payment Retry", "--req", "PAY-1", "--status", "Approvd")
    accepted = run_in(tmp_path, "new", "Payment Retry", "--req", "PAY-1", "--status", "in review")

    assert refused.returncode == 2 and "unknown status 'Approvd'; did you mean 'Approved'?" in refused.stderr
    assert accepted.returncode == 0, accepted.stderr
    assert "**Status:** In Review" in (tmp_path / "payment-retry.md").read_text(encoding="utf-8")


def test_check_format_and_profile_are_matched_in_any_case(project: Path) -> None:
    completed = run_in(project, "check", "doc.md", "--format", "JSON", "--profile", "None")

    assert completed.returncode == 0, completed.stderr
    assert isinstance(json.loads(completed.stdout), list)


# --- shell completion ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_prints_the_script_for_each_shell(tmp_path: Path, shell: str) -> None:
    completed = run_in(tmp_path, "completion", shell)

    assert completed.returncode == 0, completed.stderr
    assert "_designexport_completion" in completed.stdout and "_DESIGNEXPORT_COMPLETE" in completed.stdout


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("designexport chec", "plain,check"),
        ("designexport doc.md --pa", "plain,--paper"),
        ("designexport doc.md --paper ", "plain,letter"),
        ("designexport doc.md -t P", "plain,pdf"),
    ],
)
def test_completion_answers_as_the_script_asks(tmp_path: Path, words: str, expected: str) -> None:
    """What the bash script gets back for the words typed so far (the program run as `designexport`)."""
    environment = {**os.environ, "_DESIGNEXPORT_COMPLETE": "bash_complete", "COMP_WORDS": words}
    environment["COMP_CWORD"] = str(len(words.split()) - (0 if words.endswith(" ") else 1))
    program = "from exporter.cli.main import main; main(prog_name='designexport')"

    completed = subprocess.run(
        [sys.executable, "-c", program], cwd=tmp_path, env=environment, capture_output=True, text=True, check=False
    )

    assert completed.returncode == 0, completed.stderr
    assert expected in completed.stdout.splitlines()
