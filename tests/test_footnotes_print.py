"""Footnotes keep their structure at the foot of the PDF page: every paragraph, list item and code line of a note
starts a line of its own, code stays monospace, and a line break in the source prints only where the source
asked for one (a hard break), never at a soft one. The HTML notes section and the DOCX footnotes keep it too."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pdfplumber
import pytest

from exporter.run.export import ExportSettings, export_document

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"

NOTES_DOC = """\
# Footnote structure

A sentence with a long note.[^long] A short one.[^short] One that starts with code.[^code]
A list that counts from three.[^steps] A quote and a table.[^quote] A hard break.[^hard]

[^long]: The first paragraph of the note
    runs over two source lines that join.

    The second paragraph starts on its own line.

    - a list item
    - another item

    ```python
    def increment(x):
        return x + 1
    ```

    The third paragraph closes the note.

[^short]: Short note with
    a soft break.

[^code]: ```
    $ make test
    ```
    Then the paragraph after the code.

[^steps]: Steps:

    3. third step
    4. fourth step

[^quote]: > A quoted sentence
    > that continues.

    | Key | Value |
    |-----|-------|
    | alpha | one |

[^hard]: Line one\\
    line two, after a hard break.
"""


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("notes")
    source = folder / "notes.md"
    source.write_text(NOTES_DOC, encoding="utf-8")
    result = export_document(source, ExportSettings(formats=("html", "pdf", "docx"), output_dir=folder / "out"))
    assert result.error == "", result.error
    return {fmt: folder / "out" / f"notes.{fmt}" for fmt in ("html", "pdf", "docx")}


@pytest.fixture(scope="module")
def note_lines(outputs: dict[str, Path]) -> list[dict[str, Any]]:
    """The printed lines from the first note's number on (a note that does not fit moves to the next page)."""
    with pdfplumber.open(outputs["pdf"]) as pdf:
        lines: list[dict[str, Any]] = [line for page in pdf.pages for line in page.extract_text_lines()]
    starts = [index for index, line in enumerate(lines) if line["text"].startswith("1. The first paragraph")]
    assert starts, "no page shows the first note"
    return [line for line in lines[starts[0] :] if not line["text"].startswith(("Page ", "Footnote structure"))]


def line_with(lines: list[dict[str, Any]], text: str) -> dict[str, Any]:
    found = [line for line in lines if text in line["text"]]
    assert len(found) == 1, (text, [line["text"] for line in lines])
    return found[0]


def index_of(lines: list[dict[str, Any]], text: str) -> int:
    return lines.index(line_with(lines, text))


def test_each_paragraph_of_a_note_starts_its_own_line(note_lines: list[dict[str, Any]]) -> None:
    first = line_with(note_lines, "The first paragraph")
    second = line_with(note_lines, "The second paragraph")
    third = line_with(note_lines, "The third paragraph")
    assert second["text"].startswith("The second paragraph starts on its own line.")
    assert third["text"] == "The third paragraph closes the note."
    assert first["top"] < second["top"] < third["top"]
    # The paragraphs line up under the first one's text, the number hanging to its left.
    assert abs(second["x0"] - third["x0"]) < 1
    assert first["text"].startswith("1.") and first["x0"] < second["x0"]


def test_soft_line_breaks_in_a_note_stay_soft(note_lines: list[dict[str, Any]]) -> None:
    assert line_with(note_lines, "The first paragraph")["text"] == (
        "1. The first paragraph of the note runs over two source lines that join."
    )
    assert line_with(note_lines, "Short note")["text"] == "2. Short note with a soft break."


def test_a_hard_break_in_a_note_still_breaks(note_lines: list[dict[str, Any]]) -> None:
    assert line_with(note_lines, "Line one")["text"] == "6. Line one"
    assert line_with(note_lines, "line two")["text"] == "line two, after a hard break."


def test_list_items_of_a_note_get_lines_and_markers_of_their_own(note_lines: list[dict[str, Any]]) -> None:
    assert re.fullmatch(r"\W\s*a list item", line_with(note_lines, "a list item")["text"])
    assert re.fullmatch(r"\W\s*another item", line_with(note_lines, "another item")["text"])
    assert index_of(note_lines, "The second paragraph") < index_of(note_lines, "a list item")
    # An ordered list counts from its own start.
    assert line_with(note_lines, "third step")["text"] == "3. third step"
    assert line_with(note_lines, "fourth step")["text"] == "4. fourth step"


def test_code_in_a_note_is_monospace_line_by_line(note_lines: list[dict[str, Any]]) -> None:
    definition = line_with(note_lines, "def increment")
    body = line_with(note_lines, "return x + 1")
    assert definition["text"].strip() == "def increment(x):"
    assert body["text"].strip() == "return x + 1"
    assert index_of(note_lines, "another item") < index_of(note_lines, "def increment")
    assert index_of(note_lines, "return x + 1") < index_of(note_lines, "The third paragraph")
    for line in (definition, body):
        fonts = {char["fontname"] for char in line["chars"] if not char["text"].isspace()}
        assert fonts and all("Mono" in font for font in fonts), fonts
    # The indentation of the second line is kept.
    assert body["x0"] > definition["x0"] + 5


def test_a_note_that_starts_with_code_keeps_its_number(note_lines: list[dict[str, Any]]) -> None:
    number = index_of(note_lines, "$ make test") - 1
    assert note_lines[number]["text"] == "3."
    assert line_with(note_lines, "Then the paragraph")["text"] == "Then the paragraph after the code."


def test_quotes_and_tables_in_a_note_keep_their_rows(note_lines: list[dict[str, Any]]) -> None:
    assert line_with(note_lines, "A quoted sentence")["text"] == "A quoted sentence that continues."
    header, row = line_with(note_lines, "Key"), line_with(note_lines, "alpha")
    assert header["text"] == "Key Value" and row["text"] == "alpha one"
    assert header["top"] < row["top"]


def test_the_html_notes_keep_their_blocks(outputs: dict[str, Path]) -> None:
    page = outputs["html"].read_text(encoding="utf-8")
    notes = page[page.index('<section class="footnotes"') :]
    first = notes[notes.index('<li id="fn-1"') : notes.index('<li id="fn-2"')]
    assert first.count("<p>") == 3 and "<ul>" in first and '<pre class="code"' in first
    assert "runs over two source lines" in first and "<br" not in first


def test_the_docx_notes_keep_their_blocks(outputs: dict[str, Path]) -> None:
    with zipfile.ZipFile(outputs["docx"]) as package:
        notes = ElementTree.fromstring(package.read("word/footnotes.xml"))
    paragraphs = []
    for paragraph in notes.iter(f"{W}p"):
        style = paragraph.find(f"{W}pPr/{W}pStyle")
        text = "".join(node.text or "" for node in paragraph.iter(f"{W}t")).strip()
        breaks = sum(1 for _ in paragraph.iter(f"{W}br"))
        paragraphs.append((style.get(f"{W}val") if style is not None else "", text, breaks))
    texts = {text: breaks for _, text, breaks in paragraphs}
    assert texts["The first paragraph of the note runs over two source lines that join."] == 0
    assert texts["The second paragraph starts on its own line."] == 0
    assert ("SourceCode", "def increment(x):", 0) in paragraphs
    assert texts["Line oneline two, after a hard break."] == 1
