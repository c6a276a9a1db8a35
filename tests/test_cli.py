"""The command line: formats, outputs, exit codes, and bad input handled without tracebacks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from exporter import __version__
from exporter.cli.main import main
from exporter.run.export import ExportSettings, export_document

DOC = """# Retry Technical Design

**Requirement:** PAY-1
**Status:** Draft
**Last Updated:** 2026-01-02

## Overview

Text with a [link](https://example.com).
"""


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def doc(tmp_path: Path) -> Path:
    path = tmp_path / "doc.md"
    path.write_text(DOC, encoding="utf-8")
    return path


def test_pdf_flag_writes_only_the_pdf_next_to_the_input(doc: Path) -> None:
    code, out, _ = run(str(doc), "--pdf")
    assert code == 0
    assert (doc.parent / "doc.pdf").read_bytes().startswith(b"%PDF-")
    assert not (doc.parent / "doc.html").exists()
    assert not (doc.parent / "doc.docx").exists()
    assert "doc.pdf" in out


def test_no_format_flag_writes_all_three(doc: Path) -> None:
    code, _, _ = run(str(doc))
    assert code == 0
    assert sorted(p.name for p in doc.parent.iterdir()) == ["doc.docx", "doc.html", "doc.md", "doc.pdf"]


def test_output_dir_and_several_inputs(tmp_path: Path, doc: Path) -> None:
    other = tmp_path / "other.md"
    other.write_text("# Other\n\nBody.\n", encoding="utf-8")
    out_dir = tmp_path / "out"
    code, _, _ = run(str(doc), str(other), "--html", "--docx", "-o", str(out_dir))
    assert code == 0
    written = sorted(p.name for p in out_dir.iterdir() if not p.name.startswith("."))
    assert written == ["doc.docx", "doc.html", "other.docx", "other.html"]
    assert (out_dir / ".designexport-cache" / "CACHEDIR.TAG").is_file()


def test_version_and_help() -> None:
    code, out, _ = run("--version")
    assert code == 0 and out.strip() == f"designexport {__version__}"
    code, out, _ = run("--help")
    assert code == 0
    assert "--pdf" in out and "Examples:" in out and "designexport doc.md --pdf" in out


def test_unknown_option_is_a_usage_error(doc: Path) -> None:
    code, _, err = run(str(doc), "--bogus")
    assert code == 2
    assert "No such option" in err


def test_missing_file_names_the_file_and_other_inputs_still_export(tmp_path: Path, doc: Path) -> None:
    code, _, err = run(str(tmp_path / "nope.md"), str(doc), "--html")
    assert code == 1
    lines = [line for line in err.splitlines() if "error" in line]
    assert len(lines) == 1 and "nope.md" in lines[0] and "no such file" in lines[0]
    assert (doc.parent / "doc.html").exists()


def test_folder_without_markdown_is_an_error(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("x", encoding="utf-8")
    code, _, err = run(str(empty))
    assert code == 1
    assert "empty" in err and "no .md files" in err


def test_non_utf8_names_byte_offset_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "latin1.md"
    bad.write_bytes("# Title\n\ncaf\u00e9\n".encode("latin-1"))
    code, _, err = run(str(bad))
    assert code == 1
    assert "latin1.md:3" in err and "offset 12" in err and "0xe9" in err
    assert "Traceback" not in err
    assert list(tmp_path.iterdir()) == [bad]


def test_binary_junk_is_refused(tmp_path: Path) -> None:
    junk = tmp_path / "junk.md"
    junk.write_bytes(bytes(range(256)) * 8)
    code, _, err = run(str(junk))
    assert code == 1
    assert "junk.md" in err and "binary" in err
    assert list(tmp_path.iterdir()) == [junk]


def test_empty_file_exports_as_empty_document(tmp_path: Path) -> None:
    empty = tmp_path / "empty.md"
    empty.write_text("", encoding="utf-8")
    code, _, err = run(str(empty))
    assert code == 0, err
    assert (tmp_path / "empty.pdf").read_bytes().startswith(b"%PDF-")
    assert (tmp_path / "empty.docx").stat().st_size > 0
    assert "<html" in (tmp_path / "empty.html").read_text(encoding="utf-8")


def test_failed_render_keeps_the_earlier_good_output(doc: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert run(str(doc), "--html")[0] == 0
    good = (doc.parent / "doc.html").read_bytes()

    def explode(*_args: object) -> str:
        raise RuntimeError("renderer bug")

    import exporter.render.html as html_backend

    monkeypatch.setattr(html_backend, "render_html", explode)
    result = export_document(doc, ExportSettings(formats=("html",)))
    assert "could not render HTML: RuntimeError: renderer bug" in result.error
    assert (doc.parent / "doc.html").read_bytes() == good
    assert sorted(p.name for p in doc.parent.iterdir()) == ["doc.html", "doc.md"]


def test_colliding_outputs_are_refused_before_any_work(tmp_path: Path) -> None:
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "same.md").write_text("# Same\n", encoding="utf-8")
    code, _, err = run(str(tmp_path / "a" / "same.md"), str(tmp_path / "b" / "same.md"), "-o", str(tmp_path / "o"))
    assert code == 2
    assert "would both be written" in err
    assert not (tmp_path / "o").exists()


def test_python_dash_m_runs_the_cli_without_traceback(tmp_path: Path) -> None:
    missing = tmp_path / "absent.md"
    completed = subprocess.run(
        [sys.executable, "-m", "exporter", str(missing), "--html"], capture_output=True, text=True, check=False
    )
    assert completed.returncode == 1
    assert completed.stderr.count("\n") == 1 and "absent.md" in completed.stderr
    assert "Traceback" not in completed.stderr


def test_nesting_past_the_parser_limit_is_an_error_not_silent_loss(tmp_path: Path) -> None:
    deep = tmp_path / "deep.md"
    deep.write_text("".join("  " * level + f"- level {level}\n" for level in range(40)) + "\nlast words\n")
    code, _, err = run(str(deep), "--html")
    assert code == 1
    assert "deep.md:33: error: content is nested too deeply (more than 32 levels" in err
    assert not (tmp_path / "deep.html").exists()


def test_bare_file_names_are_not_turned_into_links(tmp_path: Path) -> None:
    doc = tmp_path / "links.md"
    doc.write_text("See technical-template.md, www.example.com and https://example.org/x.\n")
    assert run(str(doc), "--html")[0] == 0
    html = (tmp_path / "links.html").read_text(encoding="utf-8")
    assert 'href="http://technical-template.md"' not in html
    assert 'href="http://www.example.com"' in html and 'href="https://example.org/x"' in html
