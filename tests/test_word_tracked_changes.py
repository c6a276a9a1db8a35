"""Tracked changes in the Word file of a comparison: Accept All gives the new version and Reject All the old one,
paragraph by paragraph, as if each had been exported alone; every change is signed and numbered; the summary of
changes sits on top, untracked; and LibreOffice, a reviewer's other editor, shows the changes and keeps them.

Accept All and Reject All are done here on the XML the way Word does them (ECMA-376 part 1, 17.13.5): accepting
removes w:del content, rows whose w:trPr holds a w:del and paragraphs whose mark is deleted (what is left of such
a paragraph joins the next one; a story's last paragraph keeps its mark), unwraps w:ins and drops w:rPrChange;
rejecting is the mirror, giving each run the properties its w:rPrChange kept. The redline trees are built by hand,
so these tests don't depend on the diff (exporter.compare), and resolved by hand the same two ways."""

from __future__ import annotations

import copy
import io
import re
import shutil
import subprocess
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal, TypeAlias

import pdfplumber
import pytest
from docx import Document as open_docx
from docx.enum.style import WD_STYLE_TYPE
from docx.shared import RGBColor
from lxml import etree  # type: ignore[import-untyped]  # no type stubs
from PIL import Image as PillowImage

from exporter.compare.resolve import accepted, rejected
from exporter.diagram.recognize import recognize
from exporter.model.diagnostics import Reporter
from exporter.model.tree import (
    Block,
    BlockQuote,
    BulletList,
    Callout,
    Changed,
    ChangeSummary,
    CodeBlock,
    Details,
    Diagram,
    Document,
    Emphasis,
    Footnote,
    FootnoteRef,
    Heading,
    Image,
    Inline,
    InlineCode,
    Link,
    ListItem,
    Math,
    MathBlock,
    MetadataChange,
    MetadataField,
    OrderedList,
    Paragraph,
    Reformatted,
    Revised,
    SectionChange,
    Strong,
    Table,
    Text,
    ThematicBreak,
)
from exporter.read.markdown import parse
from exporter.render.options import RenderOptions
from exporter.render.word.document import render_docx
from exporter.safety.resources import ResourceResolver
from tests.libreoffice import convert_to_pdf

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
M = "http://schemas.openxmlformats.org/officeDocument/2006/math"
NS = {"w": W, "m": M}
AUTHOR = "Ada Reviewer"
DATE = "2026-12-01T10:30:00Z"
SUMMARY_STYLE_PREFIX = "ChangeSummary"
Direction: TypeAlias = Literal["accept", "reject"]


def w(tag: str) -> str:
    return f"{{{W}}}{tag}"


# ---------------------------------------------------------------- redline trees, built by hand


def words(children: tuple[Inline | str, ...]) -> tuple[Inline, ...]:
    """Inlines, plain strings among them made Text."""
    return tuple(Text(child) if isinstance(child, str) else child for child in children)


def para(*children: Inline | str, line: int = 10) -> Paragraph:
    return Paragraph(words(children), line)


def inserted(*children: Inline | str) -> Changed:
    return Changed("inserted", words(children))


def deleted(*children: Inline | str) -> Changed:
    return Changed("deleted", words(children))


def markdown_table(markdown: str) -> Table:
    """A table as the parser and its layout make it (column weights and all)."""
    tree = parse(markdown, "table.md", Reporter("table.md"))
    return next(block for block in tree.blocks if isinstance(block, Table))


def redline(*blocks: Block, footnotes: tuple[Footnote, ...] = ()) -> Document:
    """A comparison's tree: a summary of changes, a changed metadata value, a title and `blocks`."""
    summary = ChangeSummary(
        since="v1.0",
        author=AUTHOR,
        date=DATE,
        sections=(
            SectionChange("changed", "Plan", "change-1", 3),
            SectionChange("added", "Rollout", "change-2", 1),
            SectionChange("renamed", "Risks", "change-3", 2, old_title="Open risks"),
        ),
        metadata=(MetadataChange("Status", "Draft", "Approved"),),
    )
    metadata = (
        MetadataField("Status", (deleted("Draft"), inserted("Approved")), "Approved", 3),
        MetadataField("Owner", (Text("Ada"),), "Ada", 4),
    )
    title = Heading(1, "plan", (Text("Plan"),), 1)
    return Document("doc.md", "Plan", metadata, (title, *blocks), footnotes, (), changes=summary)


def case_words() -> Document:
    two = Strong((Text("two"),))
    old_page = Link("https://example.com/a", (Text("the "), deleted("old"), inserted("new"), Text(" page")))
    new_link = Link("https://example.com/b", (Text("a new link"),))
    return redline(
        Heading(2, "timing", (Text("Timing "), deleted("plan"), inserted("schedule")), 9),
        para("The plan ships ", deleted("in March"), inserted("in April"), " with ", inserted(two), " teams."),
        para("See ", old_page, "."),
        para("Also ", inserted(new_link), deleted(InlineCode("old_call()")), "."),
        para(Emphasis((Text("Emphasised "), deleted("and struck "), Text("text"))), deleted(" gone at the end")),
    )


def case_formatting() -> Document:
    return redline(
        para("Now ", Reformatted(("emphasis",), (Strong((Text("bold, once italic"),)),)), " words."),
        para("Was plain, now ", Reformatted((), (InlineCode("code()"),)), "; was code, now "),
        para("was code, now ", Reformatted(("code",), (Text("plain"),))),
        para(Reformatted(("strong", "superscript"), (Text("was bold and raised"),)), " and "),
        para("was a key, now ", Reformatted(("keyboard",), (Emphasis((Text("Ctrl"),)),))),
    )


def case_blocks() -> Document:
    old_list = BulletList((ListItem((para("old item"),), None, 14),), True, 14)
    moved_from = (Heading(2, "moved", (Text("Moved section"),), 16), para("Its text."))
    moved_to = (Heading(2, "moved-2", (Text("Moved section"),), 30), para("Its text."))
    return redline(
        para("Kept first."),
        Revised("inserted", "change-1", (para("A paragraph only the new version has."),), 12),
        Revised("deleted", "change-2", (para("A paragraph only the old version had."), old_list), 13),
        Revised("changed", "change-3", (para("Changed ", deleted("inside"), inserted("within"), "."),), 15),
        Revised("moved-from", "change-4", moved_from, 16),
        para("Kept middle."),
        Revised("moved-to", "change-5", moved_to, 30),
        Revised(
            "inserted", "change-6", (BlockQuote((para("A quote."),), 31), Callout("warning", (para("Mind."),), 32)), 31
        ),
        Revised(
            "deleted", "change-7", (CodeBlock("old = True\nprint(old)", "python", "python", 33), ThematicBreak(34)), 33
        ),
        Revised("inserted", "change-8", (Details((Text("More"),), (para("Hidden detail."),), 35),), 35),
        para("Kept last."),
        Revised("deleted", "change-9", (para("Deleted at the very end."),), 40),
    )


def case_tables() -> Document:
    rows = markdown_table(
        "| Name | Owner | Due |\n|---|---|---|\n| Design | Ada | May |\n| Build | Bo | June |\n| Test | Cy | July |\n"
    )
    columns = markdown_table("| Name | Old | New |\n|---|---|---|\n| a | 1 | 2 |\n| b | 3 | 4 |\n")
    whole = markdown_table("| Key | Value |\n|---|---|\n| x | 1 |\n")
    row_changes = replace(rows, row_changes=("", "inserted", "deleted"))
    first = row_changes.rows[0]
    cell = replace(first[1], children=(deleted("Ada"), inserted("Ann")))
    row_changes = replace(row_changes, rows=((first[0], cell, first[2]), *row_changes.rows[1:]))
    return redline(
        para("Rows:"),
        Revised("changed", "change-1", (row_changes,), 20),
        para("Columns:"),
        replace(columns, column_changes=("", "deleted", "inserted")),
        Revised("inserted", "change-2", (whole,), 30),
        para("Between."),
        Revised("deleted", "change-3", (whole,), 40),
        para("After."),
    )


def case_code_lines() -> Document:
    code = CodeBlock(
        'x = 1\nx = 2\nname = "old"\nname = "new"\nprint(x)\ndone()',
        "python",
        "python",
        20,
        line_changes=("deleted", "inserted", "deleted", "inserted", "", "deleted"),
    )
    return redline(para("Code:"), code, para("After the code."))


def case_lists_and_notes() -> Document:
    items = (
        ListItem((para("kept item"),), None, 20),
        ListItem((Revised("inserted", "change-1", (para("new item"),), 21),), None, 21),
        ListItem((Revised("deleted", "change-2", (para("old task"), para("its second paragraph")), 22),), False, 22),
        ListItem((para("changed ", deleted("old"), inserted("new"), " item"),), None, 23),
    )
    numbered = OrderedList(
        (ListItem((para("one"),), None, 24), ListItem((Revised("deleted", "change-4", (para("two"),), 25),), None, 25)),
        1,
        True,
        24,
    )
    notes = (
        Footnote(
            1,
            "1",
            (
                para("Source ", deleted("old"), inserted("new"), "."),
                Revised("inserted", "change-3", (para("More."),), 51),
            ),
            50,
        ),
        Footnote(2, "2", (para("Only the old version cites this."),), 52),
    )
    return redline(
        BulletList(items, False, 20),
        numbered,
        para("A claim", FootnoteRef(1, "1"), " and ", deleted("an old claim", FootnoteRef(2, "2")), "."),
        para("The same source again", deleted(FootnoteRef(1, "1")), "."),  # a NOTEREF field, deleted
        footnotes=notes,
    )


def case_rewritten_citations() -> Document:
    """A sentence rewritten around its note mark: each version's first reference must be a real footnote."""
    notes = (Footnote(1, "a", (para("The note."),), 50), Footnote(2, "b", (para("Second note."),), 51))
    return redline(
        Revised("deleted", "change-1", (para("Alpha beta", FootnoteRef(1, "a"), " gamma."),), 10),
        Revised("inserted", "change-2", (para("Completely new words", FootnoteRef(1, "a"), " here."),), 10),
        para(
            "Cited again",
            FootnoteRef(1, "a"),
            " and ",
            deleted("old", FootnoteRef(2, "b")),
            inserted("new", FootnoteRef(2, "b")),
        ),
        para("And once more", FootnoteRef(2, "b"), "."),
        footnotes=notes,
    )


DRAWN = ("┌─────┐   ┌─────┐", "│ API │──▶│ DB  │", "└─────┘   └─────┘")  # a diagram drawn as a picture


def case_pictures_and_math() -> Document:
    dot = Image("dot.png", "a dot")
    return redline(
        para("Area ", deleted(Math("a^2")), inserted(Math("b^2")), " and a dot ", inserted(dot), "."),
        Revised("inserted", "change-1", (MathBlock("E = mc^2", 21),), 21),
        Revised("deleted", "change-2", (para(Image("dot.png", "the old figure")),), 22),
        Revised("inserted", "change-3", (para(Image("dot.png", "the new figure")),), 23),
        Revised("deleted", "change-4", (Diagram(("+--+", "|a |", "+--+"), 4, "", 24),), 24),
        Revised("inserted", "change-5", (Diagram(DRAWN, 17, "text", 25, recognize(DRAWN).drawing),), 25),
    )


CASES: dict[str, Callable[[], Document]] = {
    "words": case_words,
    "formatting": case_formatting,
    "blocks": case_blocks,
    "tables": case_tables,
    "code lines": case_code_lines,
    "lists and notes": case_lists_and_notes,
    "rewritten citations": case_rewritten_citations,
    "pictures and math": case_pictures_and_math,
}


# ---------------------------------------------------------------- the two versions a redline holds


def resolved(tree: Document, direction: Direction) -> Document:
    """The new version (accept) or the old one (reject) of a redline tree, as the comparison's own resolver
    gives them (exporter.compare.resolve)."""
    return accepted(tree) if direction == "accept" else rejected(tree)


# ---------------------------------------------------------------- Accept All and Reject All, as Word does them


def resolve_xml(root: etree._Element, direction: Direction) -> etree._Element:
    """A copy of a document or footnotes part with every tracked change accepted or rejected."""
    root = copy.deepcopy(root)
    gone, kept = (w("del"), w("ins")) if direction == "accept" else (w("ins"), w("del"))
    for row in list(root.iter(w("tr"))):
        properties = row.find(w("trPr"))
        if properties is not None and properties.find(gone) is not None:
            row.getparent().remove(row)
    for table in list(root.iter(w("tbl"))):
        if table.find(w("tr")) is None:
            table.getparent().remove(table)
    marks = (w("rPr"), w("trPr"))  # a paragraph mark's or a row's revision, not content
    for element in [element for element in root.iter(gone) if element.getparent().tag not in marks]:
        element.getparent().remove(element)
    for element in [element for element in root.iter(kept) if element.getparent().tag not in marks]:
        for child in list(element):
            element.addprevious(child)
        element.getparent().remove(element)
    for text in root.iter(w("delText"), w("delInstrText")):
        text.tag = w("t") if text.tag == w("delText") else w("instrText")
    for change in list(root.iter(w("rPrChange"))):
        properties = change.getparent()
        if direction == "reject":
            for child in list(properties):
                properties.remove(child)
            properties.extend(list(change.find(w("rPr"))))
        else:
            properties.remove(change)
    for paragraph in list(root.iter(w("p"))):
        if paragraph.find(f"w:pPr/w:rPr/{'w:del' if direction == 'accept' else 'w:ins'}", NS) is not None:
            _remove_paragraph_mark(paragraph)
    # the revisions left on marks: those kept, and a story's last paragraph mark, which Word keeps whatever it is
    for mark in [mark for mark in root.iter(kept, gone) if mark.getparent().tag in marks]:
        mark.getparent().remove(mark)
    return root


def _remove_paragraph_mark(paragraph: etree._Element) -> None:
    """What is left of the paragraph joins the next one; a story's last paragraph mark stays, as in Word."""
    if not any(sibling.tag == w("p") for sibling in paragraph.itersiblings()):
        return
    content = [child for child in paragraph if child.tag != w("pPr")]
    following = paragraph.getnext()
    if any(next(child.iter(w("r"), f"{{{M}}}oMath"), None) is not None for child in content):
        if following is None or following.tag != w("p"):
            return
        anchor = following.find(w("pPr"))
        for child in reversed(content):
            if anchor is None:
                following.insert(0, child)
            else:
                anchor.addnext(child)
    paragraph.getparent().remove(paragraph)


# ---------------------------------------------------------------- reading paragraphs back


Run: TypeAlias = tuple[str, str]  # (text, run properties as XML)
ParagraphShape: TypeAlias = tuple[str, tuple[Run, ...]]  # (style id, runs with equal properties merged)


def paragraphs(root: etree._Element, *, with_summary: bool = False) -> list[ParagraphShape]:
    """Each paragraph's style and formatted text, in order. Left out: the summary of changes, the empty paragraphs of
    table cells (a column only one version has is emptied, Word can't remove it) and empty paragraphs ending the
    story (Word keeps a story's last paragraph mark)."""
    shapes: list[ParagraphShape] = []
    for paragraph in root.iter(w("p")):
        style = paragraph.find("w:pPr/w:pStyle", NS)
        style_id = style.get(w("val")) if style is not None else ""
        if style_id.startswith(SUMMARY_STYLE_PREFIX) and not with_summary:
            continue
        runs = _runs(paragraph)
        if not runs and any(ancestor.tag == w("tc") for ancestor in paragraph.iterancestors()):
            continue
        shapes.append((style_id, runs))
    while shapes and not shapes[-1][1]:
        shapes.pop()
    return shapes


def _runs(paragraph: etree._Element) -> tuple[Run, ...]:
    runs: list[Run] = []
    for element in paragraph.iter(w("r"), f"{{{M}}}oMath"):
        if element.tag == f"{{{M}}}oMath":
            runs.append(("".join(element.itertext()), "math"))
            continue
        if any(ancestor.tag == f"{{{M}}}oMath" for ancestor in element.iterancestors()):
            continue
        text = "".join(_shown(child) for child in element if child.tag != w("rPr"))
        if text:
            runs.append((text, _properties(element.find(w("rPr")))))
    merged: list[Run] = []
    for text, properties in runs:
        if merged and merged[-1][1] == properties:
            merged[-1] = (merged[-1][0] + text, properties)
        else:
            merged.append((text, properties))
    return tuple(merged)


def _properties(properties: etree._Element | None) -> str:
    """A run's properties as Word reads them: each property with its attributes, in order; no w:rPr and an empty
    one are alike."""
    if properties is None:
        return ""
    return " ".join(
        etree.QName(child).localname + "".join(f" {etree.QName(key).localname}={value}" for key, value in child.items())
        for child in properties
    )


def _shown(element: etree._Element) -> str:
    match etree.QName(element).localname:
        case "t" | "delText":
            return element.text or ""
        case "tab" | "ptab":
            return "\t"
        case "br":
            return "\n"
        case "footnoteReference":  # Word numbers notes in the order of their references, whatever their ids
            return "[note]"
        case "footnoteRef":
            return "[mark]"
        case "drawing":
            return "[picture]"
        case _:
            return ""


def footnote_paragraphs(body: etree._Element, notes: etree._Element | None) -> list[list[ParagraphShape]]:
    """The paragraphs of each footnote the body refers to, in the order of the references."""
    if notes is None:
        return []
    by_id = {note.get(w("id")): note for note in notes.iter(w("footnote"))}
    return [paragraphs(by_id[ref.get(w("id"))]) for ref in body.iter(w("footnoteReference"))]


# ---------------------------------------------------------------- rendering


def docx_parts(tree: Document, folder: Path) -> dict[str, bytes]:
    data = render(tree, folder)
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        return {name: package.read(name) for name in package.namelist()}


def render(tree: Document, folder: Path) -> bytes:
    PillowImage.new("RGB", (24, 24), "navy").save(folder / "dot.png")
    return render_docx(tree, ResourceResolver(folder, Reporter(tree.source)), RenderOptions())


def part(parts: dict[str, bytes], name: str) -> etree._Element | None:
    return etree.fromstring(parts[name]) if name in parts else None


# ---------------------------------------------------------------- Accept All and Reject All


@pytest.mark.parametrize("direction", ["accept", "reject"])
@pytest.mark.parametrize("case", list(CASES))
def test_accepting_gives_the_new_version_and_rejecting_the_old(case: str, direction: Direction, tmp_path: Path) -> None:
    tree = CASES[case]()
    tracked = docx_parts(tree, tmp_path)
    alone = docx_parts(resolved(tree, direction), tmp_path)
    body = resolve_xml(part(tracked, "word/document.xml"), direction)
    expected_body = part(alone, "word/document.xml")
    assert expected_body is not None
    assert paragraphs(body) == paragraphs(expected_body)
    notes = part(tracked, "word/footnotes.xml")
    resolved_notes = resolve_xml(notes, direction) if notes is not None else None
    assert footnote_paragraphs(body, resolved_notes) == footnote_paragraphs(
        expected_body, part(alone, "word/footnotes.xml")
    )
    assert list(body.iter(w("ins"), w("del"), w("rPrChange"))) == []
    # the header's status and the footer's requirement, as the metadata table has them
    for name in sorted(name for name in tracked if re.fullmatch(r"word/(header|footer)\d*\.xml", name)):
        assert paragraphs(resolve_xml(part(tracked, name), direction)) == paragraphs(part(alone, name)), name


@pytest.mark.parametrize("case", list(CASES))
def test_the_tracked_file_shows_both_versions_and_opens_in_python_docx(case: str, tmp_path: Path) -> None:
    tree = CASES[case]()
    data = render(tree, tmp_path)
    opened = open_docx(io.BytesIO(data))
    text = "\n".join(paragraph.text for paragraph in opened.paragraphs)
    assert "Changes since v1.0" in text
    root = etree.fromstring(zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml"))
    assert root.find(".//w:ins", NS) is not None or root.find(".//w:rPrChange", NS) is not None


def test_deleted_words_are_deleted_text_and_inserted_words_plain_text(tmp_path: Path) -> None:
    body = part(docx_parts(case_words(), tmp_path), "word/document.xml")
    assert body is not None
    deleted_texts = ["".join(text.itertext()) for text in body.iterfind(".//w:del", NS)]
    inserted_texts = ["".join(text.itertext()) for text in body.iterfind(".//w:ins", NS)]
    # words of paragraphs, links, headings and the metadata table's values alike
    assert {"in March", "old", "old_call()", " gone at the end", "plan", "Draft"} <= set(deleted_texts)
    assert {"in April", "two", "new", "a new link", "schedule", "Approved"} <= set(inserted_texts)
    assert body.find(".//w:del//w:t", NS) is None  # Word wants w:delText in deleted runs
    # inside a hyperlink, the change goes around the hyperlink's runs, never around the hyperlink
    assert body.find(".//w:ins/w:hyperlink", NS) is None
    assert body.find(".//w:hyperlink/w:ins/w:r", NS) is not None


def test_a_deleted_footnote_reference_is_deleted_with_its_note(tmp_path: Path) -> None:
    parts = docx_parts(case_lists_and_notes(), tmp_path)
    body = part(parts, "word/document.xml")
    assert body is not None
    assert body.find(".//w:del/w:r/w:footnoteReference", NS) is not None
    accepted = resolve_xml(body, "accept")
    assert [ref.get(w("id")) for ref in accepted.iter(w("footnoteReference"))] == ["1"]
    # a later reference to a note is a NOTEREF field: deleted, its code is w:delInstrText, as Word writes it
    field_codes = ["".join(code.itertext()) for code in body.iterfind(".//w:del/w:r/w:delInstrText", NS)]
    assert any("NOTEREF" in code for code in field_codes)
    assert body.find(".//w:del//w:instrText", NS) is None


def test_pictures_diagrams_and_formulas_are_tracked_whole(tmp_path: Path) -> None:
    body = part(docx_parts(case_pictures_and_math(), tmp_path), "word/document.xml")
    assert body is not None
    inserted_drawings = body.findall(".//w:ins/w:r/w:drawing", NS)
    deleted_drawings = body.findall(".//w:del/w:r/w:drawing", NS)
    assert len(inserted_drawings) == 3  # the dot, the new figure and the drawn diagram
    assert len(deleted_drawings) == 1  # the old figure
    assert len(body.findall(".//w:ins/m:oMath", NS)) == 1 and len(body.findall(".//w:del/m:oMath", NS)) == 1
    assert body.find(".//w:ins/m:oMathPara", NS) is not None
    assert not [drawing for drawing in body.iter(w("drawing")) if not list(drawing.iterancestors(w("ins"), w("del")))]


def test_rows_and_paragraph_marks_carry_their_revisions(tmp_path: Path) -> None:
    body = part(docx_parts(case_tables(), tmp_path), "word/document.xml")
    assert body is not None
    inserted_rows = body.findall(".//w:tr/w:trPr/w:ins/../..", NS)
    deleted_rows = body.findall(".//w:tr/w:trPr/w:del/../..", NS)
    assert ["".join(row.itertext()) for row in inserted_rows][:1] == ["BuildBoJune"]
    assert "TestCyJuly" in ["".join(row.itertext()) for row in deleted_rows]
    for row in (*inserted_rows, *deleted_rows):  # the paragraph marks go with the row
        for paragraph in row.iter(w("p")):
            assert (
                paragraph.find("w:pPr/w:rPr/w:ins", NS) is not None
                or paragraph.find("w:pPr/w:rPr/w:del", NS) is not None
            )


def test_every_revision_is_signed_and_every_id_unique(tmp_path: Path) -> None:
    for case in CASES.values():
        parts = docx_parts(case(), tmp_path)
        ids: list[str] = []
        for name in ("word/document.xml", "word/footnotes.xml"):
            root = part(parts, name)
            if root is None:
                continue
            for revision in root.iter(w("ins"), w("del"), w("rPrChange")):
                assert (revision.get(w("author")), revision.get(w("date"))) == (AUTHOR, DATE)
                ids.append(revision.get(w("id")))
            ids.extend(bookmark.get(w("id")) for bookmark in root.iter(w("bookmarkStart")))
        assert len(ids) == len(set(ids)), case.__name__


def test_the_summary_is_on_top_untracked_and_links_to_each_change(tmp_path: Path) -> None:
    body = part(docx_parts(case_blocks(), tmp_path), "word/document.xml")
    assert body is not None
    shapes = paragraphs(body, with_summary=True)
    summary = [
        (style, "".join(text for text, _ in runs)) for style, runs in shapes if style.startswith(SUMMARY_STYLE_PREFIX)
    ]
    assert summary[0] == ("ChangeSummaryTitle", "Changes since v1.0")
    lines = [text for _, text in summary]
    assert "6 changes in 3 sections: 1 added, 1 changed, 1 renamed." in lines
    assert "Status: Draft \u2192 Approved" in lines
    assert "Renamed: Open risks \u2192 Risks (2 changes)" in lines
    # after the title block and the metadata table, before the body
    styles_in_order = [style for style, _ in shapes]
    assert styles_in_order.index("ChangeSummaryTitle") < styles_in_order.index("BodyText")
    summary_paragraphs = [
        p for p in body.iter(w("p")) if (p.find("w:pPr/w:pStyle", NS).get(w("val"))).startswith(SUMMARY_STYLE_PREFIX)
    ]
    assert all(p.find(".//w:ins", NS) is None and p.find(".//w:del", NS) is None for p in summary_paragraphs)
    bookmarks = {mark.get(w("name")) for mark in body.iter(w("bookmarkStart"))}
    anchors = [link.get(w("anchor")) for p in summary_paragraphs for link in p.iter(w("hyperlink"))]
    assert len(anchors) == 3
    assert set(anchors) <= bookmarks
    assert all(mark in bookmarks for mark in ("change_1", "change_2", "change_9"))


def test_the_summary_survives_accepting_and_rejecting(tmp_path: Path) -> None:
    body = part(docx_parts(case_blocks(), tmp_path), "word/document.xml")
    assert body is not None
    before = [shape for shape in paragraphs(body, with_summary=True) if shape[0].startswith(SUMMARY_STYLE_PREFIX)]
    for direction in ("accept", "reject"):
        after = paragraphs(resolve_xml(body, direction), with_summary=True)
        assert [shape for shape in after if shape[0].startswith(SUMMARY_STYLE_PREFIX)] == before


def test_a_document_without_changes_has_no_revisions_and_no_summary(tmp_path: Path) -> None:
    tree = parse("# Plan\n\n**Status:** Draft\n\nText with *words*.\n\n| a | b |\n|---|---|\n| 1 | 2 |\n", "doc.md")
    body = part(docx_parts(tree, tmp_path), "word/document.xml")
    assert body is not None
    assert list(body.iter(w("ins"), w("del"), w("rPrChange"))) == []
    assert paragraphs(body, with_summary=True) == paragraphs(body)


def test_the_summary_takes_its_look_from_a_users_reference_docx(tmp_path: Path) -> None:
    """Its styles are named styles like every other: a user's reference restyles them, and one without them gets
    ours."""
    reference = open_docx()
    brand = reference.styles.add_style("Change Summary", WD_STYLE_TYPE.PARAGRAPH)
    brand.font.color.rgb = RGBColor(0xAA, 0x11, 0x22)
    path = tmp_path / "brand.docx"
    reference.save(str(path))
    PillowImage.new("RGB", (24, 24), "navy").save(tmp_path / "dot.png")
    options = RenderOptions(reference_docx=path)
    data = render_docx(case_words(), ResourceResolver(tmp_path, Reporter("doc.md")), options)
    opened = open_docx(io.BytesIO(data))
    summary_style = opened.styles["Change Summary"]
    assert summary_style.font.color.rgb == RGBColor(0xAA, 0x11, 0x22)
    assert opened.styles["Change Summary Title"].base_style == summary_style  # ours, copied in
    used = {paragraph.style.name for paragraph in opened.paragraphs if paragraph.style is not None}
    assert {"Change Summary", "Change Summary Title"} <= used


# ---------------------------------------------------------------- LibreOffice


def soffice_convert(documents: list[Path], folder: Path, target: str) -> subprocess.CompletedProcess[str]:
    """`soffice --convert-to target` with a profile of its own (tests/libreoffice.py does PDF only)."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    assert soffice, "LibreOffice is installed by `make test` (scripts/setup.sh --dev)"
    profile = Path("/tmp") / f"lo-{uuid.uuid4().hex}"
    try:
        return subprocess.run(
            [soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--convert-to", target,
             "--outdir", str(folder), *map(str, documents)],
            capture_output=True, text=True, timeout=600, check=False, stdin=subprocess.DEVNULL,
        )  # fmt: skip
    finally:
        shutil.rmtree(profile, ignore_errors=True)


@pytest.mark.xdist_group("libreoffice")
def test_libreoffice_shows_inserted_and_deleted_words(tmp_path: Path) -> None:
    source = tmp_path / "tracked.docx"
    source.write_bytes(render(case_words(), tmp_path))
    completed = convert_to_pdf([source], tmp_path)
    assert completed.returncode == 0, completed.stderr
    with pdfplumber.open(tmp_path / "tracked.pdf") as pdf:
        page = pdf.pages[0]
        found = {word: page.search(word) for word in ("ships", "March", "April")}
        lines = page.lines + page.rects
    assert all(found.values()), "both versions' words are on the page"
    ships, march, april = (matches[0] for matches in found.values())
    plain_colour = ships["chars"][0]["non_stroking_color"]
    for changed_word in (march, april):  # tracked changes are coloured by author
        assert changed_word["chars"][0]["non_stroking_color"] != plain_colour

    def ruled(word: dict[str, Any], height: float) -> bool:
        """Whether a line runs under the whole word at `height` (0 its top, 1 its bottom)."""
        level = word["top"] + height * (word["bottom"] - word["top"])
        return any(
            line["x0"] <= word["x0"] + 1 and line["x1"] >= word["x1"] - 1 and abs(line["top"] - level) < 2.5
            for line in lines
        )

    assert ruled(march, 0.6), "the deleted words are struck through"
    assert not ruled(ships, 0.6)
    assert ruled(april, 1.0), "the inserted words are underlined"


@pytest.mark.xdist_group("libreoffice")
def test_libreoffice_keeps_the_revisions_when_it_saves_the_file(tmp_path: Path) -> None:
    source = tmp_path / "tracked.docx"
    tree = case_words()
    source.write_bytes(render(tree, tmp_path))
    out = tmp_path / "saved"
    out.mkdir()
    completed = soffice_convert([source], out, "docx")
    assert completed.returncode == 0, completed.stderr
    saved = etree.fromstring(zipfile.ZipFile(out / "tracked.docx").read("word/document.xml"))
    deleted_texts = "".join(text.text or "" for text in saved.iter(w("delText")))
    inserted_texts = "".join("".join(element.itertext()) for element in saved.iter(w("ins")))
    assert "in March" in deleted_texts and "April" in inserted_texts
    assert {revision.get(w("author")) for revision in saved.iter(w("ins"), w("del"))} == {AUTHOR}
    accepted = [
        " ".join("".join(text for text, _ in runs).split()) for _, runs in paragraphs(resolve_xml(saved, "accept"))
    ]
    expected = etree.fromstring(docx_parts(resolved(tree, "accept"), tmp_path)["word/document.xml"])
    assert [" ".join("".join(text for text, _ in runs).split()) for _, runs in paragraphs(expected)] == [
        line for line in accepted if line
    ]
