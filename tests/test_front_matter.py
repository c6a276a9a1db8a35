"""Front matter, titles, --title and -M: what a document says about itself reaches the cover, the running header,
the document-control table and the file properties of HTML, PDF and DOCX alike, and site-only keys never print.
(The tree each key family reads into is in tests/fixtures/tree/front-matter*.md.)"""

from __future__ import annotations

import datetime
import re
import subprocess
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import pytest
from pypdf import PdfReader

from exporter.enrich.presentation import build_presentation
from exporter.model.diagnostics import Reporter
from exporter.model.tree import Document, plain_text
from exporter.read.markdown import ParseOptions, parse
from exporter.read.metadata import value_text
from exporter.read.theme import load_theme
from exporter.run.export import ExportSettings, export_document
from tests.cli_run import run_in
from tests.conftest import SAMPLES, corpus_doc
from tests.html_text import normalize, visible_text

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
DC = "{http://purl.org/dc/elements/1.1/}"

DOCUSAURUS = """\
---
id: payment-spec-id
title: Payment Retry Spec
subtitle: Card payments only
sidebar_position: 7
sidebar_label: Retry sidebar label
slug: /specs/payment-retry-slug
license: MIT-License-Key
hide_title: true
description: How failed card charges are retried
discussions-to: https://example.com/t/retry
authors:
  - name: Ann Lee
    title: Staff Engineer
  - Bo Chen
---

Intro paragraph without any heading above it.

## Design

Text.

## Rollout

Text.
"""
SITE_KEY_TEXTS = ("payment-spec-id", "Sidebar", "Retry sidebar label", "payment-retry-slug", "MIT-License-Key", "Hide")

SAME_TITLE = """\
---
title: Don't Retry Twice
status: Draft
---

# Don't Retry Twice

## Part

Text of the part.
"""

OPENS_AT_H2 = """\
## Retry Design Notes

**Status:** Draft

### Goals

Text.

### Non-goals

Text.
"""

PANDOC_TITLE_BLOCK = """\
% Pandoc Titled Design
% Ann Lee; Bo Chen
% 2026-01-05

Body text under a pandoc title block.

## Part

Text.
"""


# ---------------------------------------------------------------- reading the outputs


def pdf_page_text(path: Path, page: int) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", "-f", str(page), "-l", str(page), str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def docx_part(path: Path, name: str) -> ElementTree.Element:
    with zipfile.ZipFile(path) as package:
        return ElementTree.fromstring(package.read(name))


def docx_paragraphs(path: Path, part: str = "word/document.xml") -> list[tuple[str, str]]:
    """(style id, text) of each paragraph of a part, in order."""
    paragraphs = []
    for paragraph in docx_part(path, part).iter(f"{W}p"):
        style = paragraph.find(f"{W}pPr/{W}pStyle")
        text = "".join(node.text or "" for node in paragraph.iter(f"{W}t"))
        paragraphs.append(("" if style is None else style.get(f"{W}val", ""), text))
    return paragraphs


def docx_text(path: Path) -> str:
    return "\n".join(text for _, text in docx_paragraphs(path))


def html_page(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def html_title(page: str) -> str:
    found = re.search(r"<title>([^<]*)</title>", page)
    assert found is not None
    return found.group(1)


def doc_title_html(page: str) -> str:
    found = re.search(r'<h1[^>]* class="doc-title">(.*?)</h1>', page, re.DOTALL)
    assert found is not None, "no title block"
    return normalize(visible_text(found.group(1)))


def control_rows(page: str) -> dict[str, str]:
    """The document-control table's rows of an HTML page: key -> value as a reader sees them."""
    table = re.search(r'<table class="doc-control">(.*?)</table>', page, re.DOTALL)
    rows = re.findall(r'<th scope="row">(.*?)</th><td>(.*?)</td>', table.group(1) if table else "", re.DOTALL)
    return {normalize(visible_text(key)): normalize(visible_text(value)) for key, value in rows}


def export_all(source: Path, out: Path, parse_options: ParseOptions | None = None) -> dict[str, Path]:
    settings = ExportSettings(formats=("html", "pdf", "docx"), output_dir=out, parse=parse_options or ParseOptions())
    result = export_document(source, settings)
    assert result.error == "", result.error
    return {fmt: out / f"{source.stem}.{fmt}" for fmt in ("html", "pdf", "docx")}


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Path]]:
    """Each small document above exported once, in all three formats."""
    folder = tmp_path_factory.mktemp("front-matter")
    outputs = {}
    for name, text in (
        ("docusaurus", DOCUSAURUS),
        ("same_title", SAME_TITLE),
        ("notes_file", OPENS_AT_H2),
        ("pandoc_block", PANDOC_TITLE_BLOCK),
    ):
        source = folder / f"{name}.md"
        source.write_text(text, encoding="utf-8")
        outputs[name] = export_all(source, folder / "out")
    return outputs


# ---------------------------------------------------------------- site keys, key families, the title block


def test_site_keys_never_print_in_any_format(exported: dict[str, dict[str, Path]]) -> None:
    outputs = exported["docusaurus"]
    texts = {
        "html": visible_text(html_page(outputs["html"])),
        "pdf": pdf_page_text(outputs["pdf"], 1) + pdf_page_text(outputs["pdf"], 2),
        "docx": docx_text(outputs["docx"]),
    }
    for fmt, text in texts.items():
        for site_text in SITE_KEY_TEXTS:
            assert site_text not in text, (fmt, site_text)
        for shown in ("Description", "How failed card charges are retried", "Ann Lee, Bo Chen"):
            assert shown in " ".join(text.split()), (fmt, shown)
    with zipfile.ZipFile(outputs["docx"]) as package:  # nor as a custom property of the Word file
        custom = package.read("docProps/custom.xml").decode("utf-8")
    assert "payment-spec-id" not in custom and "Sidebar" not in custom and "How failed card" in custom


def test_a_front_matter_title_without_an_h1_makes_the_cover_and_the_running_header(
    exported: dict[str, dict[str, Path]],
) -> None:
    outputs = exported["docusaurus"]
    page = html_page(outputs["html"])
    assert doc_title_html(page) == "Payment Retry Spec" and html_title(page) == "Payment Retry Spec"
    cover = pdf_page_text(outputs["pdf"], 1)
    assert "Payment Retry Spec" in cover and "Intro paragraph" not in cover  # a cover page of its own
    assert pdf_page_text(outputs["pdf"], 2).split("\n")[0].strip().startswith("Payment Retry Spec")  # header
    assert PdfReader(outputs["pdf"]).metadata.title == "Payment Retry Spec"
    paragraphs = docx_paragraphs(outputs["docx"])
    assert paragraphs[0] == ("Title", "Payment Retry Spec")
    assert "Payment Retry Spec" in "".join(text for _, text in docx_paragraphs(outputs["docx"], "word/header1.xml"))


def test_the_subtitle_is_drawn_under_the_title_in_every_format(exported: dict[str, dict[str, Path]]) -> None:
    outputs = exported["docusaurus"]
    page = html_page(outputs["html"])
    assert re.search(r'class="doc-title">.*?</h1>\s*<p class="doc-subtitle">Card payments only</p>', page, re.DOTALL)
    cover_lines = [line.strip() for line in pdf_page_text(outputs["pdf"], 1).split("\n") if line.strip()]
    assert cover_lines.index("Card payments only") == cover_lines.index("Payment Retry Spec") + 1
    assert docx_paragraphs(outputs["docx"])[1] == ("Subtitle", "Card payments only")
    assert not {"Title", "Subtitle"} & set(control_rows(page))  # the title block shows them, not the table


def test_a_web_address_in_the_front_matter_is_a_link(exported: dict[str, dict[str, Path]]) -> None:
    page = html_page(exported["docusaurus"]["html"])
    assert '<a href="https://example.com/t/retry">https://example.com/t/retry</a>' in page


def test_an_h1_repeating_the_front_matter_title_is_shown_once(exported: dict[str, dict[str, Path]]) -> None:
    outputs = exported["same_title"]
    html = visible_text(html_page(outputs["html"]))
    assert html.count("Retry Twice") == 1 and "Text of the part" in html
    assert docx_text(outputs["docx"]).count("Retry Twice") == 1
    cover = pdf_page_text(outputs["pdf"], 1)
    assert cover.count("Retry Twice") == 1 and "Text of the part" not in cover


def test_a_document_opening_at_h2_gets_a_cover_and_its_title_in_the_running_header(
    exported: dict[str, dict[str, Path]],
) -> None:
    outputs = exported["notes_file"]
    page = html_page(outputs["html"])
    # an <h1> title block (doc_title_html looks for one), whatever level the heading was written at
    assert doc_title_html(page) == "Retry Design Notes" and html_title(page) == "Retry Design Notes"
    assert control_rows(page) == {"Status": "Draft"}  # its metadata block is read under it
    cover = pdf_page_text(outputs["pdf"], 1)
    assert "Retry Design Notes" in cover and "Goals" not in cover
    header = pdf_page_text(outputs["pdf"], 2).split("\n")[0]
    assert "Retry Design Notes" in header and "notes file" not in header
    assert docx_paragraphs(outputs["docx"])[0] == ("Title", "Retry Design Notes")
    header_text = "".join(text for _, text in docx_paragraphs(outputs["docx"], "word/header1.xml"))
    assert "Retry Design Notes" in header_text and "notes file" not in header_text


def test_a_pandoc_title_block_gives_the_title_authors_and_date(exported: dict[str, dict[str, Path]]) -> None:
    outputs = exported["pandoc_block"]
    page = html_page(outputs["html"])
    assert doc_title_html(page) == "Pandoc Titled Design"
    texts = {
        "html": visible_text(page),
        "pdf": pdf_page_text(outputs["pdf"], 1),
        "docx": docx_text(outputs["docx"]),
    }
    for fmt, text in texts.items():
        flat = " ".join(text.split())
        assert "Ann Lee, Bo Chen" in flat and "2026-01-05" in flat, fmt
        assert not re.search(r"(^|\n)\s*%", text), fmt  # the % lines themselves never print
    assert PdfReader(outputs["pdf"]).metadata.author == "Ann Lee, Bo Chen"
    assert docx_part(outputs["docx"], "docProps/core.xml").findtext(f"{DC}creator") == "Ann Lee, Bo Chen"


# ---------------------------------------------------------------- which title wins


def parsed(text: str, *metadata: tuple[str, str], source: str = "file_name.md") -> Document:
    return parse(text, source, Reporter(source), ParseOptions(metadata=metadata))


@pytest.mark.parametrize(
    ("markdown", "metadata", "title"),
    [
        ("---\ntitle: Front\n---\n# Heading\n", (("title", "-M"), ("title", "Flag")), "Flag"),  # --title comes last
        ("---\ntitle: Front\n---\n# Heading\n", (("title", "Set with -M"),), "Set with -M"),
        ("% Percent\n\n# Heading\n", (), "Percent"),
        ("---\ntitle: Front\n---\n# Heading\n", (), "Front"),
        ("Intro.\n\n## Section\n\n# First H1\n", (), "First H1"),
        ("### Deep First\n\nIntro.\n\n## Then\n", (), "Deep First"),  # no H1: the heading it opens with
        # no H1, and the first heading comes after other content (a Rust RFC's field list, then `## Summary`)
        ("- Feature Name: x\n\n## Summary\n\n## Motivation\n", (), "file name"),
        ("Just text.\n", (), "file name"),
    ],
)
def test_title_precedence(markdown: str, metadata: tuple[tuple[str, str], ...], title: str) -> None:
    document = parsed(markdown, *metadata)
    assert document.title == title
    assert build_presentation(document, load_theme("classic")).title == title


def test_a_title_given_on_the_command_line_draws_its_own_title_block_and_keeps_the_h1() -> None:
    document = parsed("# Heading Title\n\n## Part\n", ("title", "Given Title"))
    shown = build_presentation(document, load_theme("classic"))
    assert shown.title_heading is not None and plain_text(shown.title_heading.children) == "Given Title"
    assert shown.body == document.blocks  # the H1 is a section now, in the body and in the contents
    assert [entry.text for entry in document.toc] == ["Heading Title"]


@pytest.mark.parametrize(
    ("markdown", "metadata", "language"),
    [
        ("---\nlang: de\n---\nThe text is English.\n", (), "de"),
        ("---\nlang: zh_hant_tw\n---\nThe text is English.\n", (), "zh-Hant-TW"),
        ("---\nlang: de\n---\nThe text is English.\n", (("lang", "ja"),), "ja"),
        ("---\nlang: de\n---\nThe text is English.\n", (("lang", ""),), "en"),  # -M lang= : detect it
    ],
)
def test_lang_overrides_detection_and_the_command_line_overrides_lang(
    markdown: str, metadata: tuple[tuple[str, str], ...], language: str
) -> None:
    assert parsed(markdown, *metadata).language == language


def test_control_characters_in_command_line_values_are_removed_with_a_warning() -> None:
    reporter = Reporter("doc.md")
    document = parse("# Doc\n", "doc.md", reporter, ParseOptions(metadata=(("owner", "Ann\x07 Lee"),)))
    assert document.metadata_value("owner") == "Ann Lee"
    assert [str(item) for item in reporter.diagnostics] == [
        "doc.md: warning: removed control character(s) U+0007 from -M or --title [control-character]"
    ]


# ---------------------------------------------------------------- the command line and the config file


def test_title_and_metadata_options_set_and_override_keys(tmp_path: Path) -> None:
    (tmp_path / "doc.md").write_text(
        "---\ntitle: Own Title\nstatus: Draft\ndescription: Dropped by -M\n---\n\n## Part\n\nText.\n", encoding="utf-8"
    )
    completed = run_in(
        tmp_path, "doc.md", "--html", "--docx", "--title", "Flag Title", "-M", "status=Approved",
        "-M", "owner=Payments Team", "-M", "description=", "-M", "sidebar_position=3",
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr
    page = html_page(tmp_path / "doc.html")
    assert html_title(page) == "Flag Title" and doc_title_html(page) == "Flag Title"
    assert control_rows(page) == {"Status": "Approved", "Owner": "Payments Team"}
    assert "Dropped by -M" not in page and "Sidebar" not in page
    assert 'status-badge status-green">Approved' in page
    docx = tmp_path / "doc.docx"
    assert docx_part(docx, "docProps/core.xml").findtext(f"{DC}title") == "Flag Title"
    assert "Payments Team" in docx_text(docx) and "Draft" not in docx_text(docx)


@pytest.mark.parametrize("bad", ["novalue", "=value", " =x"])
def test_a_malformed_metadata_option_is_a_one_line_usage_error(tmp_path: Path, bad: str) -> None:
    (tmp_path / "doc.md").write_text("# Doc\n", encoding="utf-8")
    completed = run_in(tmp_path, "doc.md", "--html", "-M", bad)
    assert completed.returncode == 2
    errors = [line for line in completed.stderr.splitlines() if "rror" in line]
    assert len(errors) == 1 and f"expected KEY=VALUE, got {bad!r}" in errors[0], completed.stderr
    assert "Traceback" not in completed.stderr and not (tmp_path / "doc.html").exists()


def test_the_config_metadata_table_sets_keys_and_the_command_line_wins(tmp_path: Path) -> None:
    (tmp_path / "designexport.toml").write_text(
        '[metadata]\nowner = "Team A"\nstatus = "Draft"\nreviewers = ["Ann", "Bo"]\n', encoding="utf-8"
    )
    (tmp_path / "doc.md").write_text("# Doc\n\nText.\n", encoding="utf-8")
    completed = run_in(tmp_path, "doc.md", "--html", "-M", "status=Approved", "--report", "r.json")
    assert completed.returncode == 0, completed.stderr
    rows = control_rows(html_page(tmp_path / "doc.html"))
    assert rows == {"Owner": "Team A", "Status": "Approved", "Reviewers": "Ann, Bo"}
    report = (tmp_path / "r.json").read_text(encoding="utf-8")
    assert '"status=Approved"' in report and '"owner=Team A"' in report


def test_a_config_metadata_value_of_the_wrong_shape_names_the_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "designexport.toml").write_text('paper = "a4"\n\n[metadata]\nowner = {a = 1}\n', encoding="utf-8")
    (tmp_path / "doc.md").write_text("# Doc\n", encoding="utf-8")
    completed = run_in(tmp_path, "doc.md", "--html")
    assert completed.returncode == 2
    assert re.search(r"designexport\.toml:\d+: error: metadata: 'owner': expected text", completed.stderr)


def test_lang_in_front_matter_overrides_detection_in_every_format(tmp_path: Path) -> None:
    source = tmp_path / "german.md"
    source.write_text(
        "---\ntitle: Wiederholung\nlang: de\n---\n\n## Design\n\nEnglish words.\n\n## Plan\n\nMore.\n",
        encoding="utf-8",
    )
    outputs = export_all(source, tmp_path / "out")
    page = html_page(outputs["html"])
    assert '<html lang="de">' in page and "Inhalt" in visible_text(page)
    assert "Seite" in pdf_page_text(outputs["pdf"], 2) and "Inhalt" in docx_text(outputs["docx"])
    assert not re.search(r"\blang\b|\bLang\b", visible_text(page))


# ---------------------------------------------------------------- values, the corpus, the template's samples


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        (True, "true"),
        (datetime.date(2025, 3, 23), "2025-03-23"),
        (datetime.datetime(2025, 3, 23, 0, 0), "2025-03-23"),
        ([{"name": "Ann Lee", "affiliation": "X"}, "Bo"], "Ann Lee, Bo"),
        ({"name": {"given": "Bo", "family": "Chen"}}, "Bo Chen"),
        ({"alpha": "v1.30", "beta": "v1.31"}, "alpha: v1.30; beta: v1.31"),
        ("  folded\nline  ", "folded line"),
        ([None, "", "kept"], "kept"),
    ],
)
def test_front_matter_values_print_as_one_line_of_text(value: object, text: str) -> None:
    assert value_text(value) == text


CORPUS_TITLES = {
    "gep-2722-gwctl.md": "GEP-2722: Goals and UX for gwctl",
    "cortex-partition-ring-multi-az-replication.md": "Partition Ring with Multi-AZ Replication",
    "eip-7915-adaptive-mean-reversion-blob-pricing.md": "Adaptive mean reversion blob pricing",
    "openshift-mco-network-configuration.md": (
        "Extend MCO to support declarative host network configuration [baremetal]"  # the H1, not the slug `title:`
    ),
}


@pytest.mark.parametrize("name", sorted(CORPUS_TITLES))
def test_corpus_documents_get_their_title_block_and_no_site_keys(name: str) -> None:
    path = corpus_doc(name)
    document = parse(path.read_text(encoding="utf-8"), name)
    shown = build_presentation(document, load_theme("classic"))
    assert document.title == CORPUS_TITLES[name] == shown.title
    assert shown.title_heading is not None
    body_h1s = [block for block in shown.body if getattr(block, "level", 0) == 1]
    assert not body_h1s  # the openshift H1 is the title block, not a section under a slug's title
    keys = [item.key for item in shown.metadata]
    assert not {"LinkTitle", "Link title", "Weight", "Slug", "Title"} & set(keys)
    if name.startswith("eip-"):
        assert keys[:2] == ["EIP", "Description"] and "Discussions to" in keys


@pytest.mark.parametrize("path", SAMPLES, ids=[path.name for path in SAMPLES])
def test_template_samples_keep_their_title_and_metadata_block(path: Path) -> None:
    document = parse(path.read_text(encoding="utf-8"), path.name)
    shown = build_presentation(document, load_theme("classic"))
    assert shown.title_heading == document.blocks[0]
    assert shown.body == document.blocks[1:] and shown.subtitle == ""
    assert [item.key for item in shown.metadata] == ["Requirement", "Status", "Last Updated"]
    assert [item.line for item in shown.metadata] == [3, 4, 5]
