"""Raw HTML mapped through GitHub's allowlist: tables with spans, <pre>, aligned paragraphs, headings, phrase
elements and sized images in HTML, PDF and DOCX; dropped elements named with their line and column, on export
and by `check`. (The trees themselves: tests/fixtures/tree/raw-html-*.md.)"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pdfplumber
import pytest
from lxml import etree
from PIL import Image as PillowImage

from exporter.model.diagnostics import ExportError, Reporter
from exporter.model.limits import Limits
from exporter.model.tree import Document, Heading, Paragraph, Strong, Table, plain_text, walk_blocks
from exporter.read.markdown import ParseOptions, parse
from exporter.render.html import render_html
from exporter.render.options import RenderOptions
from exporter.render.pdf import render_pdf
from exporter.render.word.document import render_docx
from exporter.safety.resources import ResourceResolver
from tests.cli_run import run_in
from tests.conftest import corpus_doc

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
NS = {"w": W, "wp": "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"}
EMU_PER_PT = 12700

SAMPLE = """\
# Raw HTML

<table>
  <tr><th>Resource</th><th>Column</th></tr>
  <tr><td rowspan="2">gateway</td><td>NAME</td></tr>
  <tr><td>CLASS</td></tr>
  <tr><td colspan="2">Exporting <code>GraphDefs</code></td></tr>
  <tr>
   <td>

Cell with *emphasis*

   </td>
   <td>
<pre class="language-python">
print("raw pre in a cell")
</pre>
   </td>
  </tr>
</table>

<pre class="prettyprint">
contexts {       <em># context info</em>
  monospaced_marker: <b>true</b>
}
</pre>

<pre>
┌──────┐     ┌──────┐
│ one  │────▶│ two  │
└──────┘     └──────┘
</pre>

<div align="center"><em><a id="table1">Table 1</a>: A centred caption.</em></div>

<h2>Raw heading</h2>

Go to [the caption](#table1): <ins>inserted</ins>, <mark>marked</mark> and <small>small</small> words.

<img src="wide.png" alt="wide picture" width="500">
"""


@dataclass(frozen=True)
class Outputs:
    document: Document
    html: str
    pdf: Path
    docx: bytes


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> Outputs:
    folder = tmp_path_factory.mktemp("raw-html")
    PillowImage.new("RGB", (1000, 200), "#3366cc").save(folder / "wide.png")
    reporter = Reporter("doc.md")
    document = parse(SAMPLE, "doc.md", reporter)
    resolver = ResourceResolver(folder, reporter)
    options = RenderOptions()
    pdf = folder / "doc.pdf"
    pdf.write_bytes(render_pdf(document, resolver, options))
    return Outputs(document, render_html(document, resolver, options), pdf, render_docx(document, resolver, options))


def body_xml(docx: bytes) -> etree._Element:
    with zipfile.ZipFile(io.BytesIO(docx)) as package:
        return etree.fromstring(package.read("word/document.xml"))


def cell_text(cell: etree._Element) -> str:
    return "".join(cell.itertext()).strip()


def first_table(docx: bytes) -> etree._Element:
    tables = body_xml(docx).findall(".//w:tbl", NS)
    return next(table for table in tables if "gateway" in "".join(table.itertext()))


# ---------------------------------------------------------------- tables


def test_html_table_spans_become_colspan_and_rowspan(outputs: Outputs) -> None:
    table = outputs.html[outputs.html.index('<table class="data-table') : outputs.html.index("</table>")]
    rows = re.findall(r"<tr>(.*?)</tr>", table, re.DOTALL)
    cells_per_row = [len(re.findall(r"<t[hd][ >]", row)) for row in rows]
    assert cells_per_row == [2, 2, 1, 1, 2]  # the places a span covers are not drawn twice
    assert re.search(r'<td rowspan="2">gateway</td>', table)
    assert re.search(r'<td colspan="2">Exporting <code>GraphDefs</code></td>', table)


def test_docx_table_spans_become_grid_span_and_vmerge(outputs: Outputs) -> None:
    rows = first_table(outputs.docx).findall("w:tr", NS)
    first_cells = [row.find("w:tc", NS) for row in rows]
    merge = [cell.find("w:tcPr/w:vMerge", NS) if cell is not None else None for cell in first_cells]
    assert merge[1] is not None and merge[1].get(f"{{{W}}}val") == "restart"
    assert merge[2] is not None and merge[2].get(f"{{{W}}}val") in (None, "continue")
    assert cell_text(first_cells[1]) == "gateway" and cell_text(first_cells[2]) == ""
    spanning = rows[3].findall("w:tc", NS)
    assert len(spanning) == 1
    assert spanning[0].find("w:tcPr/w:gridSpan", NS).get(f"{{{W}}}val") == "2"
    assert cell_text(spanning[0]) == "Exporting GraphDefs"


def test_markdown_after_a_blank_line_in_a_raw_cell_is_markdown(outputs: Outputs) -> None:
    assert "<td>Cell with <em>emphasis</em></td>" in outputs.html  # one paragraph: an inline cell
    last_row = first_table(outputs.docx).findall("w:tr", NS)[-1]
    italic_runs = [run for run in last_row.iterfind(".//w:r", NS) if run.find("w:rPr/w:i", NS) is not None]
    assert [cell_text(run) for run in italic_runs] == ["emphasis"]
    with pdfplumber.open(outputs.pdf) as pdf:
        text = "\n".join(page.extract_text() or "" for page in pdf.pages)
    assert "Cell with emphasis" in text and "*emphasis*" not in text


def test_raw_table_heading_is_the_docx_repeating_header(outputs: Outputs) -> None:
    rows = first_table(outputs.docx).findall("w:tr", NS)
    repeats = [row.find("w:trPr/w:tblHeader", NS) is not None for row in rows]
    assert repeats == [True, False, False, False, False]
    assert "<thead><tr><th" in outputs.html


# ---------------------------------------------------------------- pre, diagrams, headings


def test_raw_pre_is_a_code_block_in_html_and_docx(outputs: Outputs) -> None:
    assert 'data-language="python"' in outputs.html  # language-python on the <pre>
    assert "contexts {       # context info" in outputs.html  # inner tags dropped, their text and spaces kept
    body = body_xml(outputs.docx)
    styles = {
        cell_text(paragraph): paragraph.find("w:pPr/w:pStyle", NS).get(f"{{{W}}}val")
        for paragraph in body.iterfind(".//w:p", NS)
        if "monospaced_marker" in cell_text(paragraph) or "raw pre in a cell" in cell_text(paragraph)
    }
    assert len(styles) == 2
    assert all(style == "SourceCode" for style in styles.values()), styles


def test_raw_pre_prints_in_a_monospace_font(outputs: Outputs) -> None:
    with pdfplumber.open(outputs.pdf) as pdf:
        chars = [char for page in pdf.pages for char in page.chars]
    text = "".join(char["text"] for char in chars)
    start = text.index("monospaced_marker")
    fonts = {chars[index]["fontname"] for index in range(start, start + len("monospaced_marker"))}
    assert all("Mono" in font for font in fonts), fonts
    pdffonts = shutil.which("pdffonts")
    if pdffonts:
        listing = subprocess.run([pdffonts, str(outputs.pdf)], capture_output=True, text=True, check=True).stdout
        assert re.search(r"DejaVu-?Sans-?Mono", listing), listing


def test_raw_pre_with_a_box_drawing_is_drawn_as_a_diagram(outputs: Outputs) -> None:
    assert outputs.html.count('<figure class="diagram-drawing"') == 1
    drawings = body_xml(outputs.docx).findall(".//wp:docPr", NS)
    assert any("one" in (drawing.get("descr") or "") for drawing in drawings)


def test_raw_headings_join_the_outline(outputs: Outputs) -> None:
    headings = [block for block in walk_blocks(outputs.document.blocks) if isinstance(block, Heading)]
    assert [(heading.level, heading.id) for heading in headings] == [(1, "raw-html"), (2, "raw-heading")]
    assert [entry.text for entry in outputs.document.toc] == ["Raw heading"]
    assert '<h2 id="raw-heading">Raw heading' in outputs.html


# ---------------------------------------------------------------- paragraphs, phrases, images


def test_div_align_centres_its_paragraph_and_a_id_is_a_link_target(outputs: Outputs) -> None:
    assert re.search(r'<p class="align-center"><em><span id="table1"></span>Table 1', outputs.html)
    assert '<a href="#table1">the caption</a>' in outputs.html
    caption = next(
        paragraph
        for paragraph in body_xml(outputs.docx).iterfind(".//w:p", NS)
        if "centred caption" in cell_text(paragraph)
    )
    assert caption.find("w:pPr/w:jc", NS).get(f"{{{W}}}val") == "center"
    assert caption.find("w:bookmarkStart", NS) is not None or caption.find(".//w:bookmarkStart", NS) is not None


def test_ins_mark_and_small_keep_their_look(outputs: Outputs) -> None:
    assert "<ins>inserted</ins>" in outputs.html
    assert "<mark>marked</mark>" in outputs.html
    assert "<small>small</small>" in outputs.html
    runs = {cell_text(run): run for run in body_xml(outputs.docx).iterfind(".//w:r", NS)}
    assert runs["inserted"].find("w:rPr/w:u", NS) is not None
    assert runs["marked"].find("w:rPr/w:highlight", NS).get(f"{{{W}}}val") == "yellow"
    assert runs["small"].find("w:rPr/w:sz", NS) is not None


def test_img_width_sets_the_picture_size(outputs: Outputs) -> None:
    assert re.search(r'<img src="data:image/png;base64,[^"]+" alt="wide picture" style="width: 500px">', outputs.html)
    extents = [int(extent.get("cx")) for extent in body_xml(outputs.docx).iterfind(".//wp:inline/wp:extent", NS)]
    assert 375 * EMU_PER_PT in extents  # 500 CSS pixels are 375 points, not the image's 750


# ---------------------------------------------------------------- dropped elements, export and check

DROPPING = """\
# Dropped

<section>
  Kept <font color="red">words</font>
</section>

A <u>first</u> and a <u>second</u> underline.
"""


def test_export_names_each_dropped_element_with_line_and_column(tmp_path: Path) -> None:
    (tmp_path / "doc.md").write_text(DROPPING, encoding="utf-8")
    result = run_in(tmp_path, "doc.md", "--html")
    assert result.returncode == 0, result.stderr
    dropped = re.findall(r"doc\.md:(\d+):(\d+): warning: dropped raw HTML <(\w+)>", result.stderr)
    assert dropped == [("3", "1", "section"), ("4", "8", "font"), ("7", "3", "u"), ("7", "22", "u")]
    assert "Kept words" in (tmp_path / "doc.html").read_text(encoding="utf-8")


def test_check_lists_every_element_it_will_drop(tmp_path: Path) -> None:
    (tmp_path / "doc.md").write_text(DROPPING, encoding="utf-8")
    result = run_in(tmp_path, "check", "--profile", "none", "doc.md")
    findings = re.findall(
        r"^doc\.md:(\d+):(\d+): warning: dropped raw HTML <(\w+)>.*\[raw-html\]$", result.stdout, re.M
    )
    assert findings == [("3", "1", "section"), ("4", "8", "font"), ("7", "3", "u"), ("7", "22", "u")], result.stdout


def test_no_style_handler_or_script_survives_in_a_raw_table(tmp_path: Path) -> None:
    markdown = (
        '<table><tr><td style="color:red" onclick="steal()">cell <a href="javascript:alert(1)">x</a>'
        "<script>alert(2)</script></td></tr></table>\n"
    )
    reporter = Reporter("doc.md")
    document = parse(markdown, "doc.md", reporter)
    html = render_html(document, ResourceResolver(tmp_path, reporter), RenderOptions())
    body = html[html.index("<table class") :]
    assert "steal" not in body and "color:red" not in body and "javascript" not in body and "alert" not in body
    codes = sorted(str(diagnostic.code) for diagnostic in reporter.diagnostics)
    assert codes == ["raw-html", "raw-html", "unsafe-link"]  # the script, the style, the link
    assert any("style 'color:red'" in diagnostic.message for diagnostic in reporter.diagnostics)


def test_what_raw_html_asks_for_and_no_output_shows_is_named_in_a_warning() -> None:
    markdown = (
        '<h2 align="center">Centred</h2>\n\n'
        'Text <img src="a.png" align="right" alt="x"> and <span style="color:red">red</span>.\n\n'
        "<pre>x = <b>bold</b></pre>\n"
    )
    reporter = Reporter("doc.md")
    document = parse(markdown, "doc.md", reporter)
    messages = [str(diagnostic) for diagnostic in reporter.diagnostics if diagnostic.code == "raw-html"]
    assert messages == [
        'doc.md:1: warning: ignored align="center" of raw HTML <h2>; the heading is left-aligned [raw-html]',
        'doc.md:3:6: warning: ignored align="right" of raw HTML <img>; the image is not floated [raw-html]',
        "doc.md:3: warning: dropped the style 'color:red' of raw HTML <span>; its content is kept [raw-html]",
        "doc.md:5:10: warning: dropped the formatting of raw HTML <b> inside <pre>; its text stays code [raw-html]",
    ]
    assert [type(block).__name__ for block in document.blocks] == ["Heading", "Paragraph", "CodeBlock"]


# ---------------------------------------------------------------- the corpus


def test_corpus_section_rows_and_code_cells_keep_their_structure(tmp_path: Path) -> None:
    path = corpus_doc("tf-rfc-20180918")
    reporter = Reporter(path.name)
    document = parse(path.read_text(encoding="utf-8"), path.name, reporter)
    tables = [block for block in walk_blocks(document.blocks) if isinstance(block, Table)]
    spanning = [cell for table in tables for row in table.rows for cell in row if cell.column_span == 2]
    assert len(spanning) == 5  # "Save only the parameters ...", "Exporting/Importing GraphDefs", ...
    code_cells = [cell for table in tables for row in table.rows for cell in row if cell.blocks]
    assert len(code_cells) >= 8
    docx = render_docx(document, ResourceResolver(path.parent, reporter), RenderOptions())
    spans = body_xml(docx).findall(".//w:tc/w:tcPr/w:gridSpan", NS)
    assert len(spans) == 5
    assert not [diagnostic for diagnostic in reporter.diagnostics if diagnostic.code == "raw-html"]


def test_corpus_rowspans_in_a_details_in_a_list_item(tmp_path: Path) -> None:
    path = corpus_doc("gep-2722")
    reporter = Reporter(path.name)
    document = parse(path.read_text(encoding="utf-8"), path.name, reporter)
    tables = [block for block in walk_blocks(document.blocks) if isinstance(block, Table)]
    gwctl = next(table for table in tables if table.header and "Resource" in str(table.header[0]))
    assert len(gwctl.rows) == 40  # under its heading row of <th> cells
    assert sum(1 for row in gwctl.rows for cell in row if cell.row_span > 1) >= 5
    docx = render_docx(document, ResourceResolver(path.parent, reporter), RenderOptions())
    assert len(body_xml(docx).findall(".//w:vMerge", NS)) > 20
    dropped = sorted(diagnostic.message for diagnostic in reporter.diagnostics if diagnostic.code == "raw-html")
    assert dropped == [
        "dropped raw HTML <addresses> (GitHub does not render it); its text is kept",
        "dropped raw HTML <names> (GitHub does not render it); its text is kept",
    ]


# ---------------------------------------------------------------- limits


def test_raw_html_nested_past_the_nesting_limit_is_an_error_naming_its_line() -> None:
    limits = Limits(nesting_depth=5)
    at_limit = "<blockquote>" * 5 + "deep" + "</blockquote>" * 5 + "\n"
    document = parse(at_limit, "doc.md", Reporter("doc.md"), ParseOptions(limits=limits))
    assert "deep" in str(document.blocks)
    for too_deep in ("<blockquote>" * 6 + "deep\n", "<div>\n" * 30 + "deep\n"):
        with pytest.raises(ExportError, match=r"raw HTML is nested too deeply .*--limit nesting-depth=N") as error:
            parse(too_deep, "doc.md", Reporter("doc.md"), ParseOptions(limits=limits))
        assert error.value.line >= 1


def test_formatting_nested_past_the_limit_keeps_its_text_in_a_shallow_tree() -> None:
    markdown = "<b>" * 5000 + "bold words" + "</b>" * 5000 + "\n"
    document = parse(markdown, "doc.md", Reporter("doc.md"))
    paragraph = document.blocks[0]
    assert isinstance(paragraph, Paragraph) and plain_text(paragraph.children) == "bold words"
    depth, node = 0, paragraph.children[0]
    while isinstance(node, Strong):
        depth, node = depth + 1, node.children[0]
    assert depth <= Limits().nesting_depth


def test_a_raw_table_past_the_cell_or_column_limit_is_an_error() -> None:
    wide = "<table><tr>" + "<td>x</td>" * 70 + "</tr></table>\n"
    with pytest.raises(ExportError, match="table has 64 columns, over the 63-column limit"):
        parse(wide, "doc.md", Reporter("doc.md"))
    spanning = '<table><tr><td colspan="1000">x</td></tr></table>\n'
    with pytest.raises(ExportError, match="over the 63-column limit"):
        parse(spanning, "doc.md", Reporter("doc.md"))
    tall = "<table>" + "<tr><td>a</td><td>b</td></tr>" * 60 + "</table>\n"
    with pytest.raises(ExportError, match="table has 120 cells, over the 100-cell limit"):
        parse(tall, "doc.md", Reporter("doc.md"), ParseOptions(limits=Limits(table_cells=100)))
