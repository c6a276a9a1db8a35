"""Every Word file we write carries hidden anchors back to its Markdown source: a bookmark whose name starts with
"_" (hidden in Word) around each paragraph, table cell, list item, heading and footnote paragraph, and a custom
XML part mapping each to its line, kind and section. Invisible to the reader, and kept by LibreOffice."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from docx.text.paragraph import Paragraph as DocxParagraph

from exporter.model.tree import Document, Heading, walk_blocks
from exporter.read.markdown import parse
from exporter.render.word import anchors
from exporter.review.source_map import ANCHOR_PREFIX, SourceMap, anchor_line, from_xml
from tests.conftest import CORPUS_DOCS, SAMPLES, corpus_cases
from tests.word_review import (
    body_paragraphs,
    bookmark_names,
    convert_with_libreoffice,
    export_docx,
    open_reviewable,
    w,
)

# What no source line holds: the table of contents the export draws.
UNANCHORED_STYLES = re.compile(r"(?i)toc \d|toc heading")


def source_map(path: Path) -> SourceMap:
    with zipfile.ZipFile(path) as package:
        items = [name for name in package.namelist() if re.fullmatch(r"customXml/item\d+\.xml", name)]
        maps = [found for name in items if (found := from_xml(package.read(name))) is not None]
    assert len(maps) == 1, "one source map"
    return maps[0]


def anchors_in(paragraph: DocxParagraph) -> list[str]:
    names = (start.get(w("name"), "") for start in paragraph._p.iter(w("bookmarkStart")))
    return [name for name in names if anchor_line(name) is not None]


def documents() -> list[Path]:
    return [*SAMPLES, *corpus_cases(CORPUS_DOCS)]


@pytest.mark.parametrize("source", documents(), ids=lambda path: path.stem)
def test_every_paragraph_cell_and_list_item_has_an_anchor(source: Path, tmp_path: Path) -> None:
    document = export_docx(source, tmp_path)
    mapped = {anchor.name: anchor for anchor in source_map(document).anchors}
    lines = source.read_text(encoding="utf-8").splitlines()
    kinds = set()
    for paragraph in body_paragraphs(open_reviewable(document)):
        style = paragraph.style.name if paragraph.style is not None else ""
        if not paragraph.text.strip() or UNANCHORED_STYLES.fullmatch(style):
            continue
        names = anchors_in(paragraph)
        assert names, f"no anchor on {style} paragraph {paragraph.text[:60]!r}"
        anchor = mapped[names[0]]
        kinds.add(anchor.kind)
        assert 1 <= anchor.line <= len(lines)
        if anchor.kind == "heading" and style.startswith("Heading"):
            assert lines[anchor.line - 1].lstrip().startswith("#") or lines[anchor.line].startswith(("==", "--"))
    assert {"heading", "paragraph"} <= kinds


@pytest.mark.parametrize("source", SAMPLES, ids=lambda path: path.stem)
def test_anchors_add_no_text_and_are_hidden_bookmarks(
    source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    anchored = open_reviewable(export_docx(source, tmp_path / "anchored"))
    monkeypatch.setattr(anchors, "mark", lambda *_args: None)
    monkeypatch.setattr(anchors, "finish", lambda *_args: None)
    plain = open_reviewable(export_docx(source, tmp_path / "plain"))
    assert [p.text for p in body_paragraphs(anchored)] == [p.text for p in body_paragraphs(plain)]
    names = bookmark_names(tmp_path / "anchored" / f"{source.stem}.docx")
    ours = [name for name in names if name.startswith(ANCHOR_PREFIX)]
    assert ours and all(name.startswith("_") and len(name) <= 40 for name in ours)  # Word hides "_" names
    assert len(set(names)) == len(names)


def test_anchor_lines_sections_and_table_cells_match_the_source(tmp_path: Path) -> None:
    source = SAMPLES[0]
    markdown = source.read_text(encoding="utf-8")
    tree = parse(markdown, source.name)
    mapped = source_map(export_docx(source, tmp_path))
    headings = {block.line: block.id for block in _headings(tree)}
    for anchor in mapped.anchors:
        above = [line for line in headings if line <= anchor.line]
        assert anchor.section == (headings[max(above)] if above else ""), anchor
        if anchor.kind == "table-cell":
            assert anchor.row >= 0 and anchor.column >= 0
            assert "|" in markdown.splitlines()[anchor.line - 1] or anchor.line < 20  # a table row, or front matter
    assert mapped.file == source.name
    assert mapped.digest.startswith("sha256:")


def test_the_same_source_gives_the_same_anchors(tmp_path: Path) -> None:
    first = export_docx(SAMPLES[1], tmp_path / "a")
    second = export_docx(SAMPLES[1], tmp_path / "b")
    assert bookmark_names(first) == bookmark_names(second)
    assert source_map(first) == source_map(second)


@pytest.mark.xdist_group("libreoffice")
@pytest.mark.parametrize("source", SAMPLES, ids=lambda path: path.stem)
def test_anchors_survive_libreoffice(source: Path, tmp_path: Path) -> None:
    document = export_docx(source, tmp_path)
    converted = convert_with_libreoffice(document, tmp_path / "saved")
    ours = [name for name in bookmark_names(document) if anchor_line(name) is not None]
    kept = [name for name in bookmark_names(converted) if anchor_line(name) is not None]
    assert kept == ours
    assert source_map(converted) == source_map(document)  # LibreOffice keeps the custom XML part too


def _headings(tree: Document) -> list[Heading]:
    return [block for block in walk_blocks(tree.blocks) if isinstance(block, Heading) and block.id]


def test_a_comparison_anchors_only_what_the_new_source_holds(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from exporter.cli.main import main

    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "doc.md").write_text("# Plan\n\nKept words.\n\nDropped paragraph.\n\nLast one.\n", "utf-8")
    new = tmp_path / "doc.md"
    new.write_text("# Plan\n\nAdded paragraph.\n\nKept words.\n\nLast one.\n", encoding="utf-8")
    result = CliRunner().invoke(
        main, ["diff", str(tmp_path / "old" / "doc.md"), str(new), "--docx", "-o", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    document = tmp_path / "doc.diff.docx"
    lines = new.read_text(encoding="utf-8").splitlines()
    mapped = {anchor.name: anchor.line for anchor in source_map(document).anchors}
    for paragraph in body_paragraphs(open_reviewable(document)):
        shown = "".join(text.text or "" for text in paragraph._p.iter(w("t"))).strip()  # inserted runs too
        for name in anchors_in(paragraph):
            assert shown and shown in lines[mapped[name] - 1], name
    assert "Dropped" not in " ".join(lines)  # its paragraph is shown deleted, with no anchor
