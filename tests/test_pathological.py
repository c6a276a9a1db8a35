"""Hostile sizes and shapes end in an export or a named limit error, never a hang, a crash or a blow-up.

Outcomes only: how long these take is measured by benchmarks/pathological.py, never here. Inputs are
small versions of the benchmark's, each exporting in a few seconds.
"""

from __future__ import annotations

import io
import random
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image as PILImage

from exporter.cli.main import main
from exporter.enrich.layout import is_diagram
from exporter.model.diagnostics import ExportError, Reporter
from exporter.model.limits import Limits
from exporter.read.markdown import ParseOptions, parse
from exporter.render.pdf import ZERO_WIDTH_SPACE, with_break_chances

ALIAS_BOMB = """---
title: Alias bomb
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
---

# Alias bomb

Body text.
"""


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def write(folder: Path, text: str, name: str = "doc.md") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def parsed(text: str, limits: Limits | None = None) -> tuple[object, Reporter]:
    reporter = Reporter("doc.md")
    return parse(text, "doc.md", reporter, ParseOptions(limits=limits or Limits())), reporter


def noise_png(path: Path, side: int = 64) -> None:
    pixels = random.Random(14).randbytes(side * side * 3)
    PILImage.frombytes("RGB", (side, side), pixels).save(path, format="PNG")


# ------------------------------------------------------------------ front matter


def test_yaml_alias_bomb_is_ignored_with_a_warning_naming_its_line_and_the_document_exports(tmp_path: Path) -> None:
    doc = write(tmp_path, ALIAS_BOMB)
    code, _, err = run(str(doc), "--html", "--docx", "-o", str(tmp_path / "out"))
    assert code == 0, err
    assert re.search(r"doc\.md:[3-9]: warning: front matter ignored: its YAML aliases expand to [\d,]+ values", err)
    assert "[front-matter]" in err
    html = (tmp_path / "out" / "doc.html").read_text(encoding="utf-8")
    assert "Body text." in html and "lol" not in html


def test_a_yaml_alias_inside_its_own_anchor_is_refused_not_followed(tmp_path: Path) -> None:
    document, reporter = parsed("---\nstatus: Draft\nloop: &x [1, *x]\n---\n\n# T\n\nBody.\n")
    assert any(
        item.code == "front-matter" and "refers to the node that contains it" in item.message
        for item in reporter.diagnostics
    )
    assert document.metadata == ()  # type: ignore[attr-defined]


def test_a_few_aliases_in_front_matter_still_work() -> None:
    document, reporter = parsed("---\nbase: &b Draft\nstatus: *b\n---\n\n# T\n\nBody.\n")
    assert not reporter.diagnostics
    assert document.metadata_value("status") == "Draft"  # type: ignore[attr-defined]


def test_control_characters_in_front_matter_values_are_removed_from_every_output_with_a_warning(
    tmp_path: Path,
) -> None:
    doc = write(
        tmp_path,
        '---\ntitle: "Bell\\a Title"\nauthor: "Ann\\x01 Lee"\nsummary: "Line\\u2028break\\x1b[31m"\n---\n\nBody.\n',
    )
    code, _, err = run(str(doc), "-o", str(tmp_path / "out"))
    assert code == 0, err
    assert "doc.md:1: warning: removed control character(s) U+0001, U+0007, U+001B from the front matter" in err
    out = tmp_path / "out"
    forbidden = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\u2028]")
    html = (out / "doc.html").read_text(encoding="utf-8")
    assert "Bell Title" in html and "Ann Lee" in html and not forbidden.search(html)
    with zipfile.ZipFile(out / "doc.docx") as package:
        for name in package.namelist():
            if name.endswith(".xml"):
                text = package.read(name).decode("utf-8")
                assert not forbidden.search(text), name
                assert "&#7;" not in text and "&#x7;" not in text, name
        assert "Bell Title" in package.read("docProps/core.xml").decode("utf-8")
    import pdfplumber  # the PDF's text and its metadata

    with pdfplumber.open(out / "doc.pdf") as pdf:
        text = "".join(page.extract_text() or "" for page in pdf.pages)
        metadata = " ".join(str(value) for value in pdf.metadata.values())
    assert "Bell Title" in text and not forbidden.search(text)
    assert "Bell Title" in metadata and not forbidden.search(metadata)


# ------------------------------------------------------------------ images and output size


def test_an_image_used_many_times_is_stored_once_in_pdf_and_docx(tmp_path: Path) -> None:
    noise_png(tmp_path / "noise.png")
    doc = write(tmp_path, "# Pictures\n\n" + "\n\n".join(f"![use {n}](noise.png)" for n in range(40)))
    code, _, err = run(str(doc), "--pdf", "--docx", "-o", str(tmp_path / "out"))
    assert code == 0, err
    with zipfile.ZipFile(tmp_path / "out" / "doc.docx") as package:
        media = [name for name in package.namelist() if name.startswith("word/media/")]
        body = package.read("word/document.xml").decode("utf-8")
    assert len(media) == 1
    ids = re.findall(r'<wp:docPr id="(\d+)"', body)
    assert len(ids) == 40 and len(set(ids)) == 40  # Word needs each drawing's id unique
    pdf = (tmp_path / "out" / "doc.pdf").read_bytes()
    assert len(pdf) < 40 * 64 * 64 * 3  # forty copies of the pixels would not fit


def test_html_that_would_pass_the_output_size_limit_fails_before_it_is_built(tmp_path: Path) -> None:
    noise_png(tmp_path / "noise.png")
    doc = write(tmp_path, "# Pictures\n\n" + "\n\n".join(f"![use {n}](noise.png)" for n in range(40)))
    code, _, err = run(str(doc), "--html", "--limit", "output-bytes=200000", "-o", str(tmp_path / "out"))
    assert code == 1
    error = [line for line in err.splitlines() if ": error:" in line]
    assert len(error) == 1 and "Traceback" not in err
    assert re.search(r"doc\.md:\d+: error: the HTML page would be over 200000 bytes.*\(--limit output-bytes=N\)", err)
    assert not (tmp_path / "out" / "doc.html").exists()


def test_images_that_together_pass_the_output_size_limit_fail_every_format(tmp_path: Path) -> None:
    for number in range(3):
        noise_png(tmp_path / f"noise{number}.png", side=48 + number)
    doc = write(tmp_path, "# Pictures\n\n![a](noise0.png) ![b](noise1.png) ![c](noise2.png)\n")
    code, _, err = run(str(doc), "--docx", "--limit", "output-bytes=12000", "-o", str(tmp_path / "out"))
    assert code == 1
    assert "error: the document's images add up to over 12000 bytes" in err and "--limit output-bytes=N" in err
    assert not (tmp_path / "out" / "doc.docx").exists()


def test_a_pdf_over_the_output_size_limit_is_an_error_not_written(tmp_path: Path) -> None:
    doc = write(tmp_path, "# Small\n\nText.\n")
    code, _, err = run(str(doc), "--pdf", "--limit", "output-bytes=1000", "-o", str(tmp_path / "out"))
    assert code == 1
    assert "error: the PDF is" in err and "over the 1000-byte limit (--limit output-bytes=N)" in err
    assert not (tmp_path / "out" / "doc.pdf").exists()


# ------------------------------------------------------------------ limits at their edge and past it


def test_lists_and_quotes_exactly_at_the_nesting_limit_export_and_one_deeper_is_an_error() -> None:
    def bullets(depth: int) -> str:
        return "\n".join("  " * level + f"- level {level + 1}" for level in range(depth))

    def quotes(depth: int) -> str:
        return "> " * depth + "deepest words"

    def mixed(depth: int) -> str:  # a list item holding a quote holding a list item ...
        return "- > " * (depth // 2) + "- " * (depth % 2) + "deepest words"

    for make in (bullets, quotes, mixed):
        document, _ = parsed(make(32))
        assert "level 32" in repr(document) or "deepest words" in repr(document)
        with pytest.raises(ExportError, match=r"more than 32 levels of lists or quotes; --limit nesting-depth=N"):
            parsed(make(33))


def test_too_many_elements_stops_the_parse_with_a_limit_error_naming_a_line(tmp_path: Path) -> None:
    spans = "\n\n".join(" ".join(f"`c{n}`" for n in range(start, start + 20)) for start in range(0, 2_000, 20))
    with pytest.raises(ExportError) as raised:
        parsed(f"# Spans\n\n{spans}\n", Limits(elements=1_000))
    assert raised.value.line > 1 and "(--limit elements=N)" in str(raised.value)
    doc = write(tmp_path, f"# Spans\n\n{spans}\n")
    _, out, err = run("check", str(doc))
    assert "--limit elements" not in out + err  # within the default limit
    code, _, err = run(str(doc), "--html", "--limit", "elements=1000", "-o", str(tmp_path / "out"))
    assert code == 1 and "more than 1000 elements" in err and "Traceback" not in err


def test_code_lines_count_toward_the_element_limit() -> None:
    code = "\n".join(f"value_{n} = {n}" for n in range(300))
    with pytest.raises(ExportError, match=r"doc\.md:3: error: the document has more than 1000 elements"):
        parsed(f"# Code\n\n```python\n{code}\n```\n", Limits(elements=1_000))


def test_a_paragraph_of_combining_marks_past_the_limit_is_an_error_with_its_line(tmp_path: Path) -> None:
    zalgo = "e" + "\u0301" * 2_500
    with pytest.raises(ExportError, match=r"doc\.md:3: error: a paragraph holds 2500 combining marks"):
        parsed(f"# Marks\n\n{zalgo}\n")
    accented = " ".join(["cafe\u0301"] * 1_500)  # 1,500 marks: fine
    parsed(f"# Marks\n\n{accented}\n")
    doc = write(tmp_path, f"# Marks\n\n{zalgo}\n")
    code, _, err = run("check", str(doc))
    assert code == 1 and "--limit combining-marks=N" in err and "Traceback" not in err


def test_a_diagram_with_more_strokes_than_the_limit_is_kept_as_text_with_a_warning(tmp_path: Path) -> None:
    row = "+---+ " * 10
    drawing = "\n".join([row, "| a | " * 10, row] * 4)
    doc = write(tmp_path, f"# Diagram\n\n```\n{drawing}\n```\n")
    code, _, err = run(str(doc), "--html", "--limit", "diagram-strokes=100", "-o", str(tmp_path / "out"))
    assert code == 0
    assert "doc.md:4: warning: diagram kept as text, not redrawn" in err and "[diagram-too-large]" in err
    html = (tmp_path / "out" / "doc.html").read_text(encoding="utf-8")
    assert '<pre class="diagram">' in html and "<svg" not in html.split("<body", 1)[1]


def test_a_line_of_100_000_dashes_is_code_not_a_diagram(tmp_path: Path) -> None:
    dashes = "-" * 100_000
    assert not is_diagram(dashes, "")
    assert not is_diagram(dashes + ">" + dashes, "")
    doc = write(tmp_path, f"# Dashes\n\n```\n{dashes}\n```\n")
    code, _, err = run(str(doc), "--html", "-o", str(tmp_path / "out"))
    assert code == 0, err
    code, _, err = run("check", str(doc))
    assert "Traceback" not in err and code in (0, 1)


def test_a_document_too_large_for_one_pdf_fails_with_the_pdf_boxes_limit_and_html_still_exports(
    tmp_path: Path,
) -> None:
    doc = write(tmp_path, "# Big\n\n" + "\n\n".join(f"Paragraph {n} of the document." for n in range(200)))
    code, _, err = run(str(doc), "--pdf", "--html", "--limit", "pdf-boxes=100", "-o", str(tmp_path / "out"))
    assert code == 1
    assert re.search(r"error: too large for one PDF: about \d+ layout boxes .*\(--limit pdf-boxes=N\)", err)
    assert not (tmp_path / "out" / "doc.pdf").exists()
    code, _, err = run(str(doc), "--html", "--limit", "pdf-boxes=100", "-o", str(tmp_path / "out"))
    assert code == 0, err


def test_long_unbroken_runs_export_to_pdf_with_their_text_intact(tmp_path: Path) -> None:
    doc = write(tmp_path, "# Runs\n\n" + "*a" * 300 + "\n\n" + "[" * 500 + "\n\n`" + "x" * 400 + "`\n")
    code, _, err = run(str(doc), "--pdf", "-o", str(tmp_path / "out"))
    assert code == 0 and "warning" not in err, err
    import pdfplumber

    with pdfplumber.open(tmp_path / "out" / "doc.pdf") as pdf:
        text = "".join(page.extract_text() or "" for page in pdf.pages)
    squeezed = re.sub(rf"[\s{ZERO_WIDTH_SPACE}]", "", text)
    assert "[" * 500 in squeezed and "x" * 400 in squeezed and "a" * 300 in squeezed


# ------------------------------------------------------------------ break chances in the print page


def test_break_chances_go_into_long_runs_only_and_never_split_marks_entities_or_markup() -> None:
    long_run = "<em>a</em>" * 300
    page = f"<html><head><title>{'t' * 300}</title></head><body><p>short words stay as they are</p><p>{long_run}</p>"
    page += f"<p>{'é' * 100}{'e' + chr(0x301)}{'&amp;' * 150}</p><svg><text>{'s' * 300}</text></svg>"
    page += f'<pre class="diagram">{"-" * 300}</pre></body></html>'
    result = with_break_chances(page)
    assert "<p>short words stay as they are</p>" in result
    assert result.count(ZERO_WIDTH_SPACE) >= 3
    assert re.sub(ZERO_WIDTH_SPACE, "", result) == page  # only zero-width spaces were added
    assert f"{ZERO_WIDTH_SPACE}\u0301" not in result and "&am" + ZERO_WIDTH_SPACE not in result
    for untouched in (f"<title>{'t' * 300}</title>", f"<text>{'s' * 300}</text>", "-" * 300):
        assert untouched in result


def test_ordinary_pages_get_no_break_chances() -> None:
    page = "<html><body><p>An ordinary paragraph with https://example.com/a/reasonably/long/path link.</p></body>"
    assert with_break_chances(page) == page


# ------------------------------------------------------------------ numeric limits


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        ("seconds=nan", "limit 'seconds' must be a number above 0 and at most 86400, not 'nan'"),
        ("seconds=inf", "limit 'seconds' must be a number above 0 and at most 86400, not 'inf'"),
        ("seconds=-5", "limit 'seconds' must be a number above 0"),
        ("input-bytes=1e30", "limit 'input-bytes' must be a number above 0 and at most 1,073,741,824"),
        ("table-cells=0", "limit 'table-cells' must be a number above 0"),
        ("footnotes=2.5", "limit 'footnotes' needs a whole number, not '2.5'"),
        ("nesting-depth=many", "limit 'nesting-depth' needs a number, not 'many'"),
    ],
)
def test_absurd_limit_values_are_a_one_line_usage_error(tmp_path: Path, setting: str, expected: str) -> None:
    doc = write(tmp_path, "# T\n\nText.\n")
    completed = subprocess.run(
        [sys.executable, "-m", "exporter", str(doc), "--html", "--limit", setting, "-o", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 2
    assert "Traceback" not in completed.stderr
    errors = [line for line in completed.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and expected in errors[0]
    assert not (tmp_path / "out").exists()


def test_limits_take_numbers_written_with_exponents_or_underscores_within_their_maximum() -> None:
    limits = Limits().with_values({"table-cells": "1e5", "image-bytes": "20_000_000", "seconds": "1.5"})
    assert (limits.table_cells, limits.image_bytes, limits.seconds) == (100_000, 20_000_000, 1.5)
    with pytest.raises(ValueError, match="limit 'nesting-depth' must be a number above 0 and at most 100"):
        Limits().with_values({"nesting-depth": "101"})


def test_the_deepest_nesting_the_limits_allow_still_exports(tmp_path: Path) -> None:
    deepest = "\n".join("  " * level + f"- level {level + 1}" for level in range(100))
    doc = write(tmp_path, f"# Deep\n\n{deepest}\n")
    code, _, err = run(str(doc), "--html", "--docx", "--limit", "nesting-depth=100", "-o", str(tmp_path / "out"))
    assert "Traceback" not in err
    assert code == 0 or "nested too deeply" in err


def test_webp_used_twice_is_stored_once_in_docx(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    PILImage.new("RGB", (8, 8), "red").save(buffer, format="WEBP")
    (tmp_path / "red.webp").write_bytes(buffer.getvalue())
    doc = write(tmp_path, "# W\n\n![a](red.webp) and ![b](red.webp)\n")
    code, _, err = run(str(doc), "--docx", "-o", str(tmp_path / "out"))
    assert code == 0, err
    with zipfile.ZipFile(tmp_path / "out" / "doc.docx") as package:
        assert len([name for name in package.namelist() if name.startswith("word/media/")]) == 1
