"""`review` brings a reviewer's comments and tracked changes back to the Markdown lines they are about: comments
placed by script on random paragraphs, table cells and list items; tracked changes written as Word writes them;
round trips through LibreOffice; `--apply` writing plain text edits into the source and nothing else."""

from __future__ import annotations

import random
import re
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from exporter.model.tree import Heading, walk_blocks
from exporter.read.markdown import parse
from exporter.review.apply import apply_suggestions
from exporter.review.findings import ReviewFinding, review
from tests.conftest import SAMPLES, corpus_cases, corpus_docs
from tests.word_review import (
    REVIEWER,
    body_paragraphs,
    convert_with_libreoffice,
    export_docx,
    open_reviewable,
    plain,
    remove_bookmark,
    replace_words_tracked,
    w,
)

COMMENTS_PER_DOCUMENT = 30
SKIPPED_STYLES = re.compile(r"(?i)toc.*|title|subtitle")
CORPUS_SAMPLE = ("go-12914", "kep-4639", "rust-3392", "rocketmq", "tf-rfc-20200705", "eip-7915", "gep-2722")


@dataclass(frozen=True)
class Placed:
    """A comment the script placed: its text, and the line and section the source says it is about."""

    text: str
    line: int
    section: str


def copy_source(source: Path, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copy(source, folder / source.name))


def _source_line_text(line: str) -> str:
    """A source line as a reader sees its words: links as their text, emphasis and code marks dropped."""
    line = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", line)
    return plain(re.sub(r"\*\*|(?<!\w)[*_]|[*_](?!\w)|`", "", line))


def true_line(text: str, source_lines: list[str]) -> int | None:
    """The one source line holding the paragraph's first words; None when none or several do (then the script
    can't tell where the paragraph is from, and places no comment there)."""
    probe = " ".join(plain(text).split()[:5])
    if len(probe) < 3:
        return None
    found = [number for number, line in enumerate(source_lines, 1) if probe in _source_line_text(line)]
    return found[0] if len(found) == 1 else None


def section_at(line: int, headings: dict[int, str]) -> str:
    above = [number for number in headings if number <= line]
    return headings[max(above)] if above else ""


def comment_randomly(document: Path, source: Path, seed: int) -> list[Placed]:
    """Comments on random paragraphs, table cells and list items whose source line the text tells, with
    python-docx as a reviewer's script would; what each is about."""
    markdown = source.read_text(encoding="utf-8")
    lines = markdown.splitlines()
    headings = {block.line: block.id for block in walk_blocks(parse(markdown, source.name).blocks)
                if isinstance(block, Heading) and block.id}  # fmt: skip
    docx = open_reviewable(document)
    candidates = []
    for paragraph in body_paragraphs(docx):
        style = paragraph.style.name if paragraph.style is not None else ""
        # the whole paragraph in plain runs (python-docx comments on runs; not on a hyperlink's)
        whole = "".join(run.text for run in paragraph.runs) == paragraph.text
        if whole and paragraph.text.strip() and not SKIPPED_STYLES.fullmatch(style):
            line = true_line(paragraph.text, lines)
            if line is not None:
                candidates.append((paragraph, line))
    chosen = random.Random(seed).sample(candidates, min(COMMENTS_PER_DOCUMENT, len(candidates)))
    placed = []
    for number, (paragraph, line) in enumerate(chosen):
        text = f"note {number}: is this right?"
        docx.add_comment(paragraph.runs, text=text, author=REVIEWER, initials="RR")
        placed.append(Placed(text, line, section_at(line, headings)))
    docx.save(str(document))
    return placed


def score(placed: list[Placed], findings: tuple[ReviewFinding, ...]) -> tuple[int, int, list[str]]:
    """How many comments came back at their exact line, and in their section; what went astray."""
    by_text = {finding.text: finding for finding in findings if finding.kind == "comment"}
    assert set(by_text) == {item.text for item in placed}, "every comment comes back"
    exact = sum(1 for item in placed if by_text[item.text].line == item.line)
    sections = sum(1 for item in placed if by_text[item.text].section == item.section)
    astray = [f"{item.text}: line {by_text[item.text].line}, expected {item.line}" for item in placed
              if by_text[item.text].line != item.line]  # fmt: skip
    return exact, sections, astray


def check_comments_come_back(sources: list[Path], tmp_path: Path) -> None:
    total = exact = in_section = 0
    astray: list[str] = []
    for seed, original in enumerate(sources):
        source = copy_source(original, tmp_path / original.stem)
        document = export_docx(source, source.parent)
        placed = comment_randomly(document, source, seed)
        found = review(document)
        good, sections, wrong = score(placed, found.findings)
        total, exact, in_section = total + len(placed), exact + good, in_section + sections
        astray += [f"{source.name}: {item}" for item in wrong]
    assert total >= 20 * len(sources) // 2
    assert exact >= 0.95 * total, astray
    assert in_section == total


def test_comments_on_samples_map_back_to_their_lines_and_sections(tmp_path: Path) -> None:
    check_comments_come_back(list(SAMPLES), tmp_path)


def test_comments_on_corpus_documents_map_back_to_their_lines_and_sections(tmp_path: Path) -> None:
    sources = corpus_docs(*CORPUS_SAMPLE)
    if not sources:
        corpus_cases([])  # skips (or fails in CI) the way every corpus test does
        pytest.skip("../shared/corpus not found")
    check_comments_come_back(sources, tmp_path)


@pytest.mark.xdist_group("libreoffice")
def test_comments_survive_a_libreoffice_round_trip(tmp_path: Path) -> None:
    source = copy_source(SAMPLES[0], tmp_path)
    document = export_docx(source, tmp_path)
    placed = comment_randomly(document, source, seed=7)
    saved = convert_with_libreoffice(document, tmp_path / "saved")
    found = review(saved, source)
    exact, sections, astray = score(placed, found.findings)
    assert exact >= 0.95 * len(placed), astray
    assert sections == len(placed)
    assert all(finding.author == REVIEWER for finding in found.findings)


def words_in(source: Path, line_pattern: str) -> tuple[int, str]:
    """A line of plain prose in the source and a word on it that is on no other line."""
    lines = source.read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines, 1):
        if re.match(line_pattern, line) and "`" not in line and "*" not in line and "](" not in line:
            for word in re.findall(r"[A-Za-z]{7,}", line):
                if sum(1 for other in lines if word in other) == 1 and line.count(word) == 1:
                    return number, word
    raise AssertionError("no suitable line")


def test_a_tracked_change_comes_back_as_a_suggestion_and_apply_writes_it(tmp_path: Path) -> None:
    source = copy_source(SAMPLES[0], tmp_path)
    line, word = words_in(source, r"[A-Z][a-z]+ ")  # a body paragraph's line
    document = export_docx(source, tmp_path)
    replace_words_tracked(document, word, "REVISED")
    found = review(document)
    suggestion = next(finding for finding in found.findings if finding.kind == "suggestion")
    assert (suggestion.line, suggestion.old, suggestion.new, suggestion.author) == (line, word, "REVISED", REVIEWER)
    before = source.read_bytes()
    column = before.decode().splitlines()[line - 1].index(word) + 1
    assert suggestion.column == column
    outcomes = apply_suggestions(found)
    assert [outcome.reason for outcome in outcomes] == [""]
    assert source.read_bytes() == before.replace(word.encode(), b"REVISED", 1)


def test_apply_keeps_crlf_line_endings_and_a_byte_order_mark(tmp_path: Path) -> None:
    text = SAMPLES[1].read_text(encoding="utf-8")
    source = tmp_path / SAMPLES[1].name
    source.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode())
    line, word = words_in(SAMPLES[1], r"[A-Z][a-z]+ ")
    document = export_docx(source, tmp_path)
    replace_words_tracked(document, word, "")  # a deletion
    before = source.read_bytes()
    outcomes = apply_suggestions(review(document))
    assert [(outcome.finding.line, outcome.reason) for outcome in outcomes] == [(line, "")]
    assert source.read_bytes() == before.replace(word.encode(), b"", 1)


def test_apply_leaves_an_edit_whose_place_became_ambiguous(tmp_path: Path) -> None:
    source = copy_source(SAMPLES[0], tmp_path)
    line, word = words_in(source, r"[A-Z][a-z]+ ")
    document = export_docx(source, tmp_path)
    replace_words_tracked(document, word, "REVISED")
    lines = source.read_text(encoding="utf-8").splitlines(keepends=True)
    source.write_text("".join([*lines, "\n", lines[line - 1]]), encoding="utf-8")  # the author copied the line
    changed = source.read_bytes()
    found = review(document)
    assert found.source_changed
    outcomes = apply_suggestions(found)
    assert len(outcomes) == 1 and "2 times" in outcomes[0].reason
    assert source.read_bytes() == changed


def test_a_comment_whose_anchor_is_gone_comes_back_at_the_nearest_anchor(tmp_path: Path) -> None:
    source = copy_source(SAMPLES[2], tmp_path)
    document = export_docx(source, tmp_path)
    docx = open_reviewable(document)
    paragraphs = [p for p in body_paragraphs(docx) if p.runs and len(p.text) > 40]
    target = paragraphs[len(paragraphs) // 2]
    names = [start.get(w("name"), "") for start in target._p.iter(w("bookmarkStart"))]
    anchor = next(name for name in names if name.startswith("_dx"))
    docx.add_comment(target.runs, text="why this?", author=REVIEWER, initials="RR")
    docx.save(str(document))
    line = review(document).findings[0].line
    remove_bookmark(document, anchor)  # the reviewer retyped the paragraph: Word drops the bookmark around it
    findings = review(document).findings
    assert [finding.text for finding in findings] == ["why this?"]
    assert findings[0].placement == "preceding"
    assert line - 12 <= findings[0].line < line
    assert findings[0].section


def test_a_comparison_own_tracked_changes_are_not_a_reviewer_suggestions(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from exporter.cli.main import main

    old = copy_source(SAMPLES[0], tmp_path / "old")
    new = copy_source(SAMPLES[0], tmp_path)
    line, word = words_in(new, r"[A-Z][a-z]+ ")
    new.write_text(new.read_text(encoding="utf-8").replace(word, "CHANGED", 1), encoding="utf-8")
    result = CliRunner().invoke(main, ["diff", str(old), str(new), "--docx", "-o", str(tmp_path), "--author", "Ed"])
    assert result.exit_code == 0, result.output
    document = tmp_path / f"{new.stem}.diff.docx"
    assert b"w:del " in _document_xml(document)
    assert review(document, new).findings == ()
    replace_words_tracked(document, "CHANGED", "AGAIN")
    findings = review(document, new).findings
    assert [(f.line, f.old, f.new, f.author) for f in findings] == [(line, "CHANGED", "AGAIN", REVIEWER)]


def _document_xml(path: Path) -> bytes:
    with zipfile.ZipFile(path) as package:
        return package.read("word/document.xml")


@pytest.mark.xdist_group("libreoffice")
def test_a_tracked_change_survives_a_libreoffice_round_trip_and_applies(tmp_path: Path) -> None:
    source = copy_source(SAMPLES[1], tmp_path)
    line, word = words_in(source, r"[A-Z][a-z]+ ")
    document = export_docx(source, tmp_path)
    replace_words_tracked(document, word, "REVISED")
    saved = convert_with_libreoffice(document, tmp_path / "saved")
    found = review(saved, source)
    assert [(f.kind, f.line, f.old, f.new, f.author) for f in found.findings] == [
        ("suggestion", line, word, "REVISED", REVIEWER)
    ]
    before = source.read_bytes()
    assert [outcome.reason for outcome in apply_suggestions(found)] == [""]
    assert source.read_bytes() == before.replace(word.encode(), b"REVISED", 1)


def test_a_tracked_change_in_a_footnote_comes_back_at_the_footnote_line(tmp_path: Path) -> None:
    source = copy_source(next(path for path in SAMPLES if path.name == "payment-retry.md"), tmp_path)
    line, word = words_in(source, r"\[\^[^\]]+\]: ")
    document = export_docx(source, tmp_path)
    replace_words_tracked(document, word, "REVISED", part="word/footnotes.xml")
    found = review(document)
    assert [(f.line, f.old, f.new, f.placement) for f in found.findings] == [(line, word, "REVISED", "inside")]
    assert found.findings[0].section
    before = source.read_bytes()
    assert [outcome.reason for outcome in apply_suggestions(found)] == [""]
    assert source.read_bytes() == before.replace(word.encode(), b"REVISED", 1)


def test_a_comment_on_an_entry_of_the_contents_comes_back_at_its_heading(tmp_path: Path) -> None:
    source = copy_source(next(path for path in SAMPLES if path.name == "payment-retry.md"), tmp_path)
    document = export_docx(source, tmp_path)
    docx = open_reviewable(document)
    entry = next(p for p in docx.paragraphs if p.style is not None and p.style.name.lower() == "toc 2")
    title = entry.text.strip()
    heading_line = next(
        number for number, line in enumerate(source.read_text(encoding="utf-8").splitlines(), 1)
        if line.startswith("#") and line.lstrip("#").strip() == title
    )  # fmt: skip
    links = entry.iter_inner_content()
    link_runs = [run for item in links for run in getattr(item, "runs", ())]
    docx.add_comment(link_runs, text="rename?", author=REVIEWER, initials="RR")
    docx.save(str(document))
    [finding] = review(document).findings
    assert (finding.line, finding.placement) == (heading_line, "linked")


def test_without_the_custom_xml_part_the_bookmark_names_still_give_the_lines(tmp_path: Path) -> None:
    source = copy_source(SAMPLES[0], tmp_path)
    document = export_docx(source, tmp_path)
    placed = comment_randomly(document, source, seed=11)
    with zipfile.ZipFile(document) as package:
        parts = {name: package.read(name) for name in package.namelist() if not name.startswith("customXml/")}
    with zipfile.ZipFile(document, "w") as package:  # as a tool that drops parts it does not know
        for name, data in parts.items():
            package.writestr(name, data)
    found = review(document)
    exact, _sections, astray = score(placed, found.findings)
    assert exact >= 0.95 * len(placed), astray
