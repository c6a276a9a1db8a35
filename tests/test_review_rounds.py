"""Review rounds end to end: pairs of versions made from the samples and corpus documents by scripted edits, each
exported with `designexport diff OLD NEW`. Accepting every tracked change of the Word file gives, paragraph by
paragraph, the Word file of NEW; rejecting them gives the Word file of OLD (Accept All and Reject All done on the
XML as Word does them, tests/test_word_tracked_changes.py); and the PDF shows every changed word: inserted ones in
the insertion colour, deleted ones in the deletion colour and struck through."""

from __future__ import annotations

import random
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pdfplumber
import pytest
from lxml import etree

from exporter.compare.documents import compare_documents
from exporter.model.tree import Changed, Document, block_inlines, plain_text, walk_blocks, walk_inlines
from exporter.read.markdown import parse
from tests.cli_run import run_in
from tests.conftest import CORPUS_DOCS, SAMPLES, corpus_cases
from tests.test_redline_pdf import DELETED, INSERTED, Colour, Pages, crossed, found, marked_row_texts, same_colour
from tests.test_word_tracked_changes import footnote_paragraphs, paragraphs, resolve_xml

Edit = Callable[[list[str], random.Random], list[str]]
FENCE = re.compile(r"^\s*(```|~~~)")
WORD = re.compile(r"(?<![\w.-])[A-Za-z]{5,}(?![\w-])")
UNTOUCHABLE = re.compile(r"`[^`]*`|\]\([^)]*\)|\[\^[^\]]*\]|<[^>]*>|https?://\S+")
# Plain exports and the diff share these: the contents list always follows NEW (a tree holds one outline), so it is
# left out, as are the page furniture and numbering that do not depend on the text.
COMMON_FLAGS = ("--no-toc", "-q")
BOX_CHARACTERS = re.compile(r"[┌┐└┘│─]|\+--")
CJK_RUN = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]{12,}")


def plain_lines(lines: list[str]) -> list[int]:
    """Indexes of plain paragraph lines: outside fences, not headings, tables, lists, quotes, HTML or metadata."""
    found_lines, fenced = [], False
    for index, line in enumerate(lines):
        if FENCE.match(line):
            fenced = not fenced
            continue
        stripped = line.strip()
        if fenced or not stripped or stripped[0] in "#|-*>+<![:" or stripped[0].isdigit():
            continue
        found_lines.append(index)
    return found_lines


def editable_words(line: str) -> list[re.Match[str]]:
    """The words of a line outside code spans, link targets, footnote references and HTML."""
    masked = UNTOUCHABLE.sub(lambda match: " " * len(match.group()), line)
    return list(WORD.finditer(masked))


def prose_lines(lines: list[str]) -> list[int]:
    """Plain lines with six or more long words."""
    return [index for index in plain_lines(lines) if len(editable_words(lines[index])) >= 6]


def change_words(lines: list[str], rng: random.Random) -> list[str]:
    """Two words of a prose line replaced."""
    index = rng.choice(prose_lines(lines))
    line = lines[index]
    for word in sorted(rng.sample(editable_words(line), 2), key=lambda match: -match.start()):
        line = line[: word.start()] + f"revised{word.group().lower()}" + line[word.end() :]
    return [*lines[:index], line, *lines[index + 1 :]]


def paragraph_span(lines: list[str], index: int) -> tuple[int, int]:
    """The lines of the paragraph holding line `index`: up to the blank lines around it."""
    start, end = index, index + 1
    while start > 0 and lines[start - 1].strip():
        start -= 1
    while end < len(lines) and lines[end].strip():
        end += 1
    return start, end


def insert_and_delete_paragraphs(lines: list[str], rng: random.Random) -> list[str]:
    """A new paragraph after one prose paragraph, and another prose paragraph deleted."""
    prose = set(plain_lines(lines))
    whole = {paragraph_span(lines, index) for index in prose_lines(lines)}
    spans = sorted(
        (start, end)
        for start, end in whole
        if start > 0 and not lines[start - 1].strip() and all(line in prose for line in range(start, end))
    )
    (_, inserted_after), (removed_start, removed_end) = sorted(rng.sample(spans, 2))
    added = ["", "Reviewers asked for this paragraph: the rollout waits for explicit sign-off from operations."]
    if inserted_after > removed_start:
        return [*lines[:removed_start], *lines[removed_end + 1 : inserted_after], *added, *lines[inserted_after:]]
    return [*lines[:inserted_after], *added, *lines[inserted_after:removed_start], *lines[removed_end + 1 :]]


def sections(lines: list[str]) -> list[tuple[int, int]]:
    """(start, end) of each level-2 section, outside fences."""
    starts, fenced = [], False
    for index, line in enumerate(lines):
        if FENCE.match(line):
            fenced = not fenced
        elif not fenced and line.startswith("## "):
            starts.append(index)
    return [(start, end) for start, end in zip(starts, [*starts[1:], len(lines)], strict=True)]


def move_section(lines: list[str], rng: random.Random) -> list[str]:
    """The second level-2 section moved after the fourth."""
    spans = sections(lines)
    (start, end), (_, after) = spans[1], spans[3]
    moved = lines[start:end]
    rest = [*lines[:start], *lines[end:after]]
    return [*rest, *moved, *lines[after:]]


def table_rows(lines: list[str]) -> list[int]:
    return [index for index, line in enumerate(lines) if line.startswith("|") and not re.match(r"^\|[-:| ]+\|$", line)]


def add_row_and_remove_column(lines: list[str], rng: random.Random) -> list[str]:
    """A row added to the first table, and the last column of the last table with three or more columns removed."""
    rows = table_rows(lines)
    last_row = max(index for index in rows if index + 1 == len(lines) or not lines[index + 1].startswith("|"))
    first_table_end = next(index for index in rows if index + 1 == len(lines) or not lines[index + 1].startswith("|"))
    cells = lines[first_table_end].strip().strip("|").split("|")
    added = "| " + " | ".join(["Audit Log", *(["added in review"] * (len(cells) - 1))]) + " |"
    edited = [*lines[: first_table_end + 1], added, *lines[first_table_end + 1 :]]
    shift = 1 if last_row > first_table_end else 0
    end = last_row + shift
    start = end
    while start > 0 and edited[start - 1].startswith("|"):
        start -= 1
    if edited[start].count("|") - 1 >= 3:
        for index in range(start, end + 1):
            parts = edited[index].rstrip().rstrip("|").split("|")
            edited[index] = "|".join(parts[:-1]) + "|"
    return edited


def change_code_and_status(lines: list[str], rng: random.Random) -> list[str]:
    """A line of the first fenced code block with a language changed, and the Status changed."""
    edited = list(lines)
    for index, line in enumerate(edited):
        if re.match(r"^\*\*Status:\*\*", line):
            edited[index] = "**Status:** Approved"
            break
    opening = next(index for index, line in enumerate(edited) if re.match(r"^```[a-z]+", line))
    target = next(index for index in range(opening + 1, len(edited)) if edited[index].strip())
    edited[target] = edited[target] + "  // changed in review"
    return edited


def change_diagram(lines: list[str], rng: random.Random) -> list[str]:
    """A label of the first box-drawing diagram upper-cased: same width, so the drawing stays aligned."""
    fenced_at, edited = None, list(lines)
    for index, line in enumerate(lines):
        if FENCE.match(line):
            fenced_at = index if fenced_at is None else None
        elif fenced_at is not None and BOX_CHARACTERS.search(line) and (label := WORD.search(line)):
            edited[index] = line[: label.start()] + label.group().upper() + line[label.end() :]
            return edited
    raise AssertionError("no box-drawing diagram")


def change_cjk_characters(lines: list[str], rng: random.Random) -> list[str]:
    """Two characters of a Japanese or Chinese sentence replaced: the comparison works by character there."""
    index = rng.choice([index for index, line in enumerate(lines) if CJK_RUN.search(line) and line[:1] not in "#|"])
    run = CJK_RUN.search(lines[index])
    assert run is not None
    middle = run.start() + len(run.group()) // 2
    line = lines[index]
    return [*lines[:index], line[:middle] + "改訂" + line[middle + 2 :], *lines[index + 1 :]]


@dataclass(frozen=True)
class Pair:
    name: str
    source: Path
    edits: tuple[Edit, ...]

    def versions(self) -> tuple[str, str]:
        old = self.source.read_text(encoding="utf-8")
        lines = old.split("\n")
        rng = random.Random(self.name)
        for edit in self.edits:
            lines = edit(lines, rng)
        return old, "\n".join(lines)


def sample(name: str) -> Path:
    return next(path for path in SAMPLES if path.name == name)


SAMPLE_PAIRS = [
    Pair("payment-retry words, paragraphs, code, status", sample("payment-retry.md"),
         (change_words, insert_and_delete_paragraphs, change_code_and_status, change_diagram)),
    Pair("payment-retry moved section, row, column", sample("payment-retry.md"),
         (move_section, add_row_and_remove_column, change_words)),
    Pair("fleet-telemetry words, paragraphs, rows", sample("fleet-telemetry.md"),
         (change_words, insert_and_delete_paragraphs, add_row_and_remove_column)),
    Pair("search-indexing moved section, words", sample("search-indexing.md"), (move_section, change_words)),
]  # fmt: skip
CORPUS_NAMES = ("kep-1611", "go-44167", "tf-rfc-20180918")
CORPUS_PAIRS = corpus_cases(
    [
        *(
            Pair(f"{path.stem} words and paragraphs", path, (change_words, insert_and_delete_paragraphs))
            for path in CORPUS_DOCS
            if path.stem.startswith(CORPUS_NAMES)
        ),
        *(
            Pair(f"{path.stem} characters", path, (change_cjk_characters,))
            for path in CORPUS_DOCS
            if "-ja" in path.stem
        ),
    ]
)


@dataclass(frozen=True)
class Exported:
    tree: Document  # the comparison, in process, to know which words changed
    diff_docx: Path
    diff_pdf: Path
    old_docx: Path
    new_docx: Path


def export_pair(pair: Pair, folder: Path) -> Exported:
    old_text, new_text = pair.versions()
    assert old_text != new_text
    for version, text in (("old", old_text), ("new", new_text)):
        (folder / version).mkdir()
        (folder / version / "doc.md").write_text(text, encoding="utf-8")
    for arguments in (
        ("diff", "old/doc.md", "new/doc.md", "--docx", "--pdf", "-o", "diff/", "--author", "Reviewer Bot"),
        ("old/doc.md", "--docx", "-o", "plain-old/"),
        ("new/doc.md", "--docx", "-o", "plain-new/"),
    ):
        result = run_in(folder, *arguments, *COMMON_FLAGS)
        assert result.returncode == 0, result.stderr
    tree = compare_documents(
        parse(old_text, "doc.md"), parse(new_text, "doc.md"), since="old", author="x", date="", changes_only=False
    )
    return Exported(
        tree, folder / "diff/doc.diff.docx", folder / "diff/doc.diff.pdf", folder / "plain-old/doc.docx",
        folder / "plain-new/doc.docx",
    )  # fmt: skip


@pytest.fixture(
    scope="module",
    params=[*SAMPLE_PAIRS, *CORPUS_PAIRS],
    ids=lambda pair: pair.name if isinstance(pair, Pair) else None,
)
def exported(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Exported:
    return export_pair(request.param, tmp_path_factory.mktemp("round"))


def parts(path: Path) -> tuple[etree._Element, etree._Element | None]:
    with zipfile.ZipFile(path) as package:
        names = package.namelist()
        body = etree.fromstring(package.read("word/document.xml"))
        notes = etree.fromstring(package.read("word/footnotes.xml")) if "word/footnotes.xml" in names else None
    return body, notes


@pytest.mark.parametrize("direction", ["accept", "reject"])
def test_accept_all_gives_new_and_reject_all_gives_old_paragraph_by_paragraph(
    exported: Exported, direction: str
) -> None:
    body, notes = parts(exported.diff_docx)
    resolved_body = resolve_xml(body, direction)  # type: ignore[arg-type]
    resolved_notes = resolve_xml(notes, direction) if notes is not None else None  # type: ignore[arg-type]
    plain_body, plain_notes = parts(exported.new_docx if direction == "accept" else exported.old_docx)
    got, want = paragraphs(resolved_body), paragraphs(plain_body)
    assert len(got) == len(want)
    for index, (got_paragraph, want_paragraph) in enumerate(zip(got, want, strict=True)):
        assert got_paragraph == want_paragraph, f"paragraph {index}"
    assert footnote_paragraphs(resolved_body, resolved_notes) == footnote_paragraphs(plain_body, plain_notes)


def test_the_word_file_has_tracked_changes_signed_by_the_author(exported: Exported) -> None:
    body, _ = parts(exported.diff_docx)
    namespace = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    revisions = [*body.iter(f"{namespace}ins"), *body.iter(f"{namespace}del")]
    assert revisions
    assert {revision.get(f"{namespace}author") for revision in revisions} == {"Reviewer Bot"}


def changed_words(tree: Document, kind: str) -> list[str]:
    """The whole words the comparison marked `kind`: its Changed inlines (paragraphs, headings, cells, metadata
    values), whole inserted or deleted paragraphs and table rows."""
    texts = [plain_text(node.children) for node in walk_inlines(
        (*(inline for block in walk_blocks(tree.blocks) for inline in block_inlines(block)),
         *(inline for field in tree.metadata for inline in field.value))
    ) if isinstance(node, Changed) and node.kind == kind]  # fmt: skip
    texts += marked_row_texts(tree, kind)
    return [word for text in texts for word in text.split() if word.isalpha() and (len(word) > 2 or not word.isascii())]


def drawn_run(characters: list[dict[str, Any]], text: str, colour: Colour) -> list[dict[str, Any]]:
    """Each place the characters of `text` are drawn one after another in `colour`, as a word-like box: CJK text
    has no spaces, so pdfplumber's words are whole sentences there."""
    runs = []
    for start in range(len(characters) - len(text) + 1):
        window = characters[start : start + len(text)]
        if "".join(char["text"] for char in window) == text and all(
            same_colour(char["non_stroking_color"], colour) for char in window
        ):
            top, bottom = min(char["top"] for char in window), max(char["bottom"] for char in window)
            runs.append({"text": text, "x0": window[0]["x0"], "x1": window[-1]["x1"], "top": top, "bottom": bottom})
    return runs


def test_the_pdf_shows_each_changed_word(exported: Exported) -> None:
    with pdfplumber.open(exported.diff_pdf) as pdf:
        pages: Pages = [
            (page.extract_words(extra_attrs=["non_stroking_color"]), [dict(line) for line in page.lines])
            for page in pdf.pages
        ]
        characters = [(list(page.chars), [dict(line) for line in page.lines]) for page in pdf.pages]
    inserted, deleted = changed_words(exported.tree, "inserted"), changed_words(exported.tree, "deleted")
    assert inserted or deleted
    for word in inserted:
        places = found(pages, word, INSERTED) if word.isascii() else [
            (run, lines) for chars, lines in characters for run in drawn_run(chars, word, INSERTED)
        ]  # fmt: skip
        assert places, f"inserted {word!r} is not drawn in the insertion colour"
    for word in deleted:
        places = found(pages, word, DELETED) if word.isascii() else [
            (run, lines) for chars, lines in characters for run in drawn_run(chars, word, DELETED)
        ]  # fmt: skip
        assert places, f"deleted {word!r} is not drawn in the deletion colour"
        assert any(crossed(place, lines, DELETED) for place, lines in places), f"deleted {word!r} is not struck"
