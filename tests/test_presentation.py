"""The presentation decisions (exporter.enrich.presentation) reach HTML, PDF and DOCX alike: which links are links,
where a `#link` to a heading in a list goes, the words the outputs add in the document's language, the title."""

from __future__ import annotations

import re
import subprocess
import zipfile
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from pypdf import PdfReader

from exporter.enrich.presentation import LABELS, is_lead_in, link_allowed
from exporter.model.tree import Strong, Text
from exporter.run.export import ExportSettings, export_document
from tests.cli_run import run_in
from tests.html_text import visible_text

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
HYPERLINK_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink"
DC = "{http://purl.org/dc/elements/1.1/}"

LINKS_DOC = """\
# Link Policy

Reach us: [web](https://example.com/page), [files](ftp://example.com/file.txt), [phone](tel:+15551234),
[mail](mailto:team@example.com), [notes](notes/other.md) and [script](javascript:alert(1)).

- ## Nested step
  A heading inside a list item.

Jump to [the nested step](#nested-step).
"""
ALLOWED_TARGETS = {
    "https://example.com/page",
    "ftp://example.com/file.txt",
    "tel:+15551234",
    "mailto:team@example.com",
    "notes/other.md",
}
REFUSED_AS_TEXT = "[script](javascript:alert(1))"


def export_all(source: Path, out: Path) -> dict[str, Path]:
    result = export_document(source, ExportSettings(formats=("html", "pdf", "docx"), output_dir=out))
    assert result.error == "", result.error
    return {fmt: out / f"{source.stem}.{fmt}" for fmt in ("html", "pdf", "docx")}


def pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout


def docx_part(path: Path, name: str) -> ElementTree.Element:
    with zipfile.ZipFile(path) as package:
        return ElementTree.fromstring(package.read(name))


def docx_text(path: Path) -> str:
    body = docx_part(path, "word/document.xml")
    return "\n".join("".join(node.text or "" for node in p.iter(f"{W}t")) for p in body.iter(f"{W}p"))


def html_links(path: Path) -> tuple[set[str], set[str]]:
    """(external targets, #fragments) of the page's links, without the outputs' own (contents, heading anchors)."""
    page = path.read_text(encoding="utf-8")
    main = page[page.index('<main class="content">') :]
    hrefs = {
        target
        for target, attributes in re.findall(r'<a href="([^"]*)"([^>]*)>', main)
        if "aria-hidden" not in attributes
    }
    return {href for href in hrefs if not href.startswith("#")}, {href[1:] for href in hrefs if href.startswith("#")}


def pdf_links(path: Path) -> tuple[set[str], set[str]]:
    """(URI actions, named destinations that link annotations go to) of every page."""
    uris: set[str] = set()
    destinations: set[str] = set()
    for page in PdfReader(path).pages:
        for annotation in page.get("/Annots") or []:
            link: Any = annotation.get_object()
            action = link.get("/A")
            if action is not None and action.get("/S") == "/URI":
                uris.add(str(action["/URI"]))
            elif link.get("/Dest") is not None:
                destinations.add(str(link["/Dest"]))
    return uris, destinations


def docx_links(path: Path) -> tuple[set[str], set[str]]:
    """(external hyperlink targets, bookmark names that internal hyperlinks go to) of the body."""
    relationships = docx_part(path, "word/_rels/document.xml.rels")
    targets = {rel.get("Id"): rel.get("Target") for rel in relationships.iter(f"{RELS}Relationship")}
    body = docx_part(path, "word/document.xml")
    links = list(body.iter(f"{W}hyperlink"))
    external = {str(targets[link.get(f"{R}id")]) for link in links if link.get(f"{R}id")}
    anchors = {str(link.get(f"{W}anchor")) for link in links if link.get(f"{W}anchor")}
    return external, anchors


@pytest.fixture(scope="module")
def links_outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("links")
    source = folder / "links.md"
    source.write_text(LINKS_DOC, encoding="utf-8")
    return export_all(source, folder / "out")


def test_every_format_makes_the_same_links_clickable(links_outputs: dict[str, Path]) -> None:
    html_external, _ = html_links(links_outputs["html"])
    pdf_external, _ = pdf_links(links_outputs["pdf"])
    docx_external, _ = docx_links(links_outputs["docx"])
    assert html_external == ALLOWED_TARGETS
    assert pdf_external == ALLOWED_TARGETS
    assert docx_external == ALLOWED_TARGETS


def test_a_refused_link_is_plain_text_in_every_format(links_outputs: dict[str, Path]) -> None:
    texts = {
        "html": " ".join(visible_text(links_outputs["html"].read_text(encoding="utf-8")).split()),
        "pdf": " ".join(pdf_text(links_outputs["pdf"]).split()),
        "docx": " ".join(docx_text(links_outputs["docx"]).split()),
    }
    for fmt, text in texts.items():
        assert REFUSED_AS_TEXT in text, fmt
    assert 'href="javascript' not in links_outputs["html"].read_text(encoding="utf-8").lower()


def test_a_refused_link_is_reported_with_its_line(tmp_path: Path) -> None:
    source = tmp_path / "links.md"
    source.write_text(LINKS_DOC, encoding="utf-8")
    result = export_document(source, ExportSettings(formats=("html",), output_dir=tmp_path))
    refused = [item for item in result.diagnostics if item.code == "unsafe-link"]
    assert [(item.line, item.column) for item in refused] == [(4, 71)]
    assert "javascript:alert(1)" in refused[0].message


def test_a_link_to_a_heading_in_a_list_item_resolves_in_every_format(links_outputs: dict[str, Path]) -> None:
    page = links_outputs["html"].read_text(encoding="utf-8")
    assert re.search(r'<li>\s*<h2 id="nested-step">', page)
    assert "nested-step" in html_links(links_outputs["html"])[1]

    reader = PdfReader(links_outputs["pdf"])
    assert "nested-step" in reader.named_destinations
    assert "nested-step" in pdf_links(links_outputs["pdf"])[1]

    body = docx_part(links_outputs["docx"], "word/document.xml")
    bookmarks = {mark.get(f"{W}name") for mark in body.iter(f"{W}bookmarkStart")}
    anchors = docx_links(links_outputs["docx"])[1]
    heading_bookmark = {name for name in bookmarks if name and name.startswith("nested_step")}
    assert heading_bookmark and heading_bookmark <= anchors


def test_check_finds_no_broken_link_to_a_heading_in_a_list_item(tmp_path: Path) -> None:
    (tmp_path / "links.md").write_text(LINKS_DOC, encoding="utf-8")
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "other.md").write_text("# Other\n", encoding="utf-8")
    completed = run_in(tmp_path, "check", "links.md", "--profile", "none")
    assert "broken-link" not in completed.stdout + completed.stderr
    assert "nested-step" not in completed.stdout + completed.stderr


JAPANESE_PARAGRAPH = (
    "この設計書は、サービスの構成とデータの流れを説明します。各部品の役割と、障害が起きたときの動きを順に述べます。" * 3
)


def japanese_document() -> str:
    sections = [
        f"## 第{number}章 構成\n\n" + "\n\n".join([JAPANESE_PARAGRAPH] * 6) for number in range(1, 8)
    ]  # long enough for the printed contents page (three pages of body)
    callouts = "> [!NOTE]\n> 注意して読んでください。\n\n> [!WARNING]\n> 古い設定は使えません。\n\n"
    return "# 設計書\n\n" + callouts + "\n\n".join(sections) + "\n"


def test_a_japanese_document_gets_japanese_labels_in_every_format(tmp_path: Path) -> None:
    source = tmp_path / "japanese.md"
    source.write_text(japanese_document(), encoding="utf-8")
    outputs = export_all(source, tmp_path / "out")
    labels = LABELS["ja"]
    page = outputs["html"].read_text(encoding="utf-8")
    texts = {"html": visible_text(page), "pdf": pdf_text(outputs["pdf"]), "docx": docx_text(outputs["docx"])}
    for fmt, text in texts.items():
        for word in (labels.contents, labels.note, labels.warning):
            assert word in text, (fmt, word)
        for english in ("Contents", "Note", "Warning"):
            assert english not in text, (fmt, english)
    assert '<html lang="ja">' in page
    assert "Page" not in pdf_text(outputs["pdf"])  # the footer reads "2 / 5"


@pytest.mark.parametrize(
    ("file_name", "markdown", "title"),
    [
        ("titled.md", "Intro text before the title.\n\n# The Real Title\n\n## Part\n\nText.\n", "The Real Title"),
        ("design_notes.md", "Just text, no heading.\n", "design notes"),
    ],
)
def test_the_title_is_the_same_in_every_format(tmp_path: Path, file_name: str, markdown: str, title: str) -> None:
    source = tmp_path / file_name
    source.write_text(markdown, encoding="utf-8")
    outputs = export_all(source, tmp_path / "out")
    html_title = re.search(r"<title>([^<]*)</title>", outputs["html"].read_text(encoding="utf-8"))
    assert html_title and html_title.group(1) == title
    assert PdfReader(outputs["pdf"]).metadata.title == title
    core = docx_part(outputs["docx"], "docProps/core.xml")
    assert core.findtext(f"{DC}title") == title


@pytest.mark.parametrize(
    ("target", "allowed"),
    [
        ("https://example.com", True),
        ("HTTP://example.com", True),
        ("mailto:a@example.com", True),
        ("ftp://example.com/f", True),
        ("tel:+1555", True),
        ("docs/a.md", True),
        ("#section", True),
        ("//example.com/x", True),
        ("javascript:alert(1)", False),
        (" JaVa\tScRiPt:alert(1)", False),
        ("vbscript:x", False),
        ("data:text/html,x", False),
        ("file:///etc/passwd", False),
        ("foo:bar", False),
    ],
)
def test_link_policy(target: str, allowed: bool) -> None:
    assert link_allowed(target) is allowed


def test_a_lead_in_is_a_short_paragraph_that_ends_in_a_colon_or_is_all_bold() -> None:
    assert is_lead_in((Strong((Text("Request:"),)),))
    assert is_lead_in((Strong((Text("Request"),)), Text(":")))
    assert is_lead_in((Text("For example:"),))
    assert is_lead_in((Strong((Text("Design decision"),)),))
    assert not is_lead_in((Strong((Text("Note"),)), Text(" that this is prose.")))
    assert not is_lead_in((Text("A long paragraph " * 10 + "that ends with a colon:"),))


LEAD_IN_DOC = """\
# Lead-ins

The service answers one request.

**Request:**

```json
{"id": 1}
```

**Note** that this paragraph is prose, not a label.

For example:

- one
"""


def test_lead_ins_are_kept_with_what_follows_in_every_format(tmp_path: Path) -> None:
    source = tmp_path / "lead.md"
    source.write_text(LEAD_IN_DOC, encoding="utf-8")
    result = export_document(source, ExportSettings(formats=("html", "docx"), output_dir=tmp_path))
    assert result.error == ""
    page = (tmp_path / "lead.html").read_text(encoding="utf-8")
    lead_ins = re.findall(r'<p class="lead-in">(.*?)</p>', page)
    assert lead_ins == ["<strong>Request:</strong>", "For example:"]
    body = docx_part(tmp_path / "lead.docx", "word/document.xml")
    kept = [
        "".join(node.text or "" for node in p.iter(f"{W}t"))
        for p in body.iter(f"{W}p")
        if p.find(f"{W}pPr/{W}keepNext") is not None
    ]
    assert "Request:" in kept and "For example:" in kept
    assert not any(text.startswith("Note that") for text in kept)
