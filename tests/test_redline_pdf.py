"""The PDF redline of a comparison of two versions: inserted words drawn in the insertion colour and underlined,
deleted words in the deletion colour and crossed by a strike-through line, and the summary's entries links to
the pages their changes are on. The redline tree is built by hand (tests/test_redline_html.py), so these tests
don't depend on the diff (exporter.compare)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pdfplumber
import pytest
from pypdf import PdfReader

from exporter.assets import asset_dir
from exporter.model.diagnostics import Reporter
from exporter.model.tree import (
    CodeBlock,
    Document,
    Paragraph,
    Revised,
    Table,
    block_inlines,
    plain_text,
    walk_blocks,
)
from exporter.render.options import RenderOptions
from exporter.render.pdf import render_pdf
from exporter.run.export import ExportSettings, export_document
from exporter.run.versions import Comparison
from exporter.safety.resources import ResourceResolver
from tests.conftest import SAMPLES
from tests.pdf_checks import overflowing_characters
from tests.test_redline_html import changed_texts, redline_document

Colour = tuple[float, float, float]
COLOUR_TOLERANCE = 0.01
Word = dict[str, Any]
Pages = list[tuple[list[Word], list[dict[str, Any]]]]  # each page's words and straight lines


def css_colour(name: str) -> Colour:
    """A colour base.css defines as a custom property (`--redline-inserted: #0b6b35;`), as PDF RGB values."""
    found = re.search(
        rf"--{name}:\s*#([0-9a-fA-F]{{6}});", (asset_dir("styles") / "base.css").read_text(encoding="utf-8")
    )
    assert found, name
    value = found.group(1)
    red, green, blue = (int(value[index : index + 2], 16) / 255 for index in (0, 2, 4))
    return red, green, blue


def same_colour(colour: object, wanted: Colour) -> bool:
    return (
        isinstance(colour, tuple)
        and len(colour) == 3
        and all(abs(float(part) - want) <= COLOUR_TOLERANCE for part, want in zip(colour, wanted, strict=True))
    )


INSERTED, DELETED = css_colour("redline-inserted"), css_colour("redline-deleted")


@pytest.fixture(scope="module")
def pdf_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("redline-pdf")
    document = redline_document()
    reporter = Reporter(document.source)
    path = folder / "design.diff.pdf"
    path.write_bytes(render_pdf(document, ResourceResolver(folder, reporter), RenderOptions()))
    assert reporter.diagnostics == []
    return path


@pytest.fixture(scope="module")
def pages(pdf_path: Path) -> Pages:
    """Each page's words (split where their colour changes) and its straight lines (underlines, strike-throughs)."""
    with pdfplumber.open(pdf_path) as pdf:
        return [
            (page.extract_words(extra_attrs=["non_stroking_color"]), [dict(line) for line in page.lines])
            for page in pdf.pages
        ]


def words_of(text: str) -> list[str]:
    return text.split()


def found(pages: Pages, word: str, colour: Colour | None) -> list[tuple[Word, list[dict[str, Any]]]]:
    """Each place `word` is drawn (in `colour`, when given), with the lines of its page."""
    return [
        (candidate, lines)
        for words, lines in pages
        for candidate in words
        if candidate["text"] == word and (colour is None or same_colour(candidate["non_stroking_color"], colour))
    ]


def crossed(word: Word, lines: list[dict[str, Any]], colour: Colour) -> bool:
    """A line in `colour` runs through the middle half of the word's height, over its middle."""
    height = word["bottom"] - word["top"]
    middle = (word["x0"] + word["x1"]) / 2
    return any(
        same_colour(line.get("stroking_color"), colour)
        and line["x0"] <= middle <= line["x1"]
        and word["top"] + height / 4 <= line["top"] <= word["bottom"] - height / 4
        for line in lines
    )


def underlined(word: Word, lines: list[dict[str, Any]], colour: Colour) -> bool:
    """A line in `colour` runs under the word: in the lowest quarter of its box, or just below it."""
    height = word["bottom"] - word["top"]
    middle = (word["x0"] + word["x1"]) / 2
    return any(
        same_colour(line.get("stroking_color"), colour)
        and line["x0"] <= middle <= line["x1"]
        and word["bottom"] - height / 4 <= line["top"] <= word["bottom"] + 2
        for line in lines
    )


def marked_row_texts(document: Document, kind: str) -> list[str]:
    """The cell texts of the table rows only one version has, and of whole inserted or deleted paragraphs."""
    texts: list[str] = []
    for block in walk_blocks(document.blocks):
        if isinstance(block, Table):
            for row, change in zip(block.rows, block.row_changes, strict=False):
                texts.extend(plain_text(cell.children) for cell in row if change == kind)
        if isinstance(block, Revised) and block.kind == kind:
            texts.extend(plain_text(child.children) for child in block.children if isinstance(child, Paragraph))
    return texts


def test_inserted_words_are_drawn_in_the_insertion_colour_and_underlined(pages: Pages) -> None:
    document = redline_document()
    expected = [*changed_texts(document, "inserted"), *marked_row_texts(document, "inserted")]
    assert expected
    for word in (word for text in expected for word in words_of(text)):
        places = found(pages, word, INSERTED)
        assert places, f"{word!r} is not drawn in the insertion colour"
        assert any(underlined(place, lines, INSERTED) for place, lines in places), f"{word!r} is not underlined"
        assert not any(crossed(place, lines, DELETED) for place, lines in places), f"{word!r} is struck through"


def test_deleted_words_are_drawn_in_the_deletion_colour_and_struck_through(pages: Pages) -> None:
    document = redline_document()
    expected = [*changed_texts(document, "deleted"), *marked_row_texts(document, "deleted")]
    assert expected
    for word in (word for text in expected for word in words_of(text)):
        places = found(pages, word, DELETED)
        assert places, f"{word!r} is not drawn in the deletion colour"
        assert any(crossed(place, lines, DELETED) for place, lines in places), f"{word!r} is not struck through"


def test_deleted_code_lines_are_struck_through_and_the_others_not(pages: Pages) -> None:
    code = next(block for block in walk_blocks(redline_document().blocks) if isinstance(block, CodeBlock))
    lines = dict(zip(code.text.split("\n"), code.line_changes, strict=True))
    deleted_line = next(line for line, change in lines.items() if change == "deleted")
    inserted_line = next(line for line, change in lines.items() if change == "inserted")
    # "**" and "2" are only in the inserted line, "attempt" ends both; the deleted line's own words are struck.
    for word in words_of(deleted_line):
        assert any(crossed(place, page_lines, DELETED) for place, page_lines in found(pages, word, None)), word
    only_inserted = set(words_of(inserted_line)) - set(words_of(deleted_line))
    for word in only_inserted:
        places = [(place, page_lines) for place, page_lines in found(pages, word, None) if place["text"] == word]
        assert places and not all(crossed(place, page_lines, DELETED) for place, page_lines in places), word


def test_unchanged_words_are_neither_coloured_nor_struck(pages: Pages) -> None:
    for word in words_of("Classify failed charge."):
        places = found(pages, word, None)
        assert places
        for place, lines in places:
            assert not same_colour(place["non_stroking_color"], INSERTED), word
            assert not same_colour(place["non_stroking_color"], DELETED), word
            assert not crossed(place, lines, DELETED), word


def test_summary_entries_link_to_the_pages_of_their_changes(pdf_path: Path) -> None:
    """Each entry is a link annotation to its change's named destination; the destination is on the page where the
    change's text is drawn, and the page number printed beside the entry is that page's."""
    document = redline_document()
    summary = document.changes
    assert summary is not None
    revised = {block.id: block for block in walk_blocks(document.blocks) if isinstance(block, Revised)}
    reader = PdfReader(pdf_path)
    destinations = reader.named_destinations
    with pdfplumber.open(pdf_path) as pdf:
        links: dict[str, dict[str, Any]] = {}
        for page in pdf.pages:
            for annotation in page.annots:
                target = annotation["data"].get("Dest")
                if isinstance(target, bytes) and target.decode() not in links:
                    links[target.decode()] = {**annotation, "page": page}
        for section in summary.sections:
            link = links.get(section.target)
            assert link is not None, f"no link to {section.target}"
            # The entry's line, its page number (right-aligned, after the link's text) included.
            line_box = (0, link["top"], float(link["page"].width), link["bottom"])
            entry = link["page"].within_bbox(line_box).extract_text()
            assert section.title in " ".join(entry.split()), section
            destination = destinations[section.target]
            page_index = reader.get_destination_page_number(destination)
            assert page_index is not None and destination.top is not None, section.target
            assert entry.split()[-1] == str(page_index + 1), f"{section.title}: printed {entry.split()[-1]}"
            page = pdf.pages[page_index]
            top = float(page.height) - float(destination.top)
            below = page.within_bbox((0, max(top - 2, 0), float(page.width), min(top + 60, float(page.height))))
            first_words = _first_words(revised[section.target])
            assert first_words in " ".join(below.extract_text().split()), (section.target, first_words)


def _first_words(block: Revised) -> str:
    """The first two words a change block's text starts with."""
    for child in walk_blocks(block.children):
        text = child.text if isinstance(child, CodeBlock) else plain_text(block_inlines(child))
        if text.strip():
            return " ".join(text.split()[:2])
    return ""


def test_no_character_leaves_the_text_area(pdf_path: Path) -> None:
    assert overflowing_characters(pdf_path) == []


# ---------------------------------------------------------------- a real pair, through the comparison


def test_a_compared_sample_shows_its_edits_in_the_pdf(tmp_path: Path) -> None:
    """A sample and a copy with scripted edits, compared and exported as `designexport diff` does: the new words
    are drawn inserted, the old ones struck through, a removed row struck, and every link resolves."""
    old = tmp_path / "old.md"
    old.write_text((SAMPLES[0].parent / "payment-retry.md").read_text(encoding="utf-8"), encoding="utf-8")
    text = old.read_text(encoding="utf-8")
    edits = {
        "most of them are temporary": "most of them are short-lived",
        "| Fraud Engine | gRPC | Block retries on flagged cards | Protobuf |\n": "",
    }
    for before, after in edits.items():
        assert before in text
        text = text.replace(before, after)
    new = tmp_path / "new.md"
    new.write_text(text, encoding="utf-8")
    comparison = Comparison(since="old.md", old_file=old, author="Ada Reviewer", date="2026-12-01T10:00:00Z")
    settings = ExportSettings(formats=("pdf",), output_dir=tmp_path / "out", comparison=comparison)
    result = export_document(new, settings)
    assert not result.error, result.error
    (pdf_path,) = result.outputs
    assert pdf_path.name == "new.diff.pdf"
    with pdfplumber.open(pdf_path) as pdf:
        pages = [(page.extract_words(extra_attrs=["non_stroking_color"]), list(page.lines)) for page in pdf.pages]
    places = found(pages, "short-lived", INSERTED) or found(pages, "short-lived.", INSERTED)
    assert any(underlined(place, lines, INSERTED) for place, lines in places)
    for word in ("temporary", "Fraud", "flagged"):
        places = found(pages, word, DELETED) or found(pages, f"{word}.", DELETED)
        assert any(crossed(place, lines, DELETED) for place, lines in places), word
    targets = _internal_link_targets(pdf_path)  # the summary's and the contents' links
    assert len(targets) >= 2 and set(targets) <= set(PdfReader(pdf_path).named_destinations)


def _internal_link_targets(pdf_path: Path) -> list[str]:
    with pdfplumber.open(pdf_path) as pdf:
        return [
            annotation["data"]["Dest"].decode()
            for page in pdf.pages
            for annotation in page.annots
            if isinstance(annotation["data"].get("Dest"), bytes)
        ]
