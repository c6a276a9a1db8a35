"""Table column widths: one rule (enrich/tables.py) keeps every word whole in a table that can fit, in HTML, PDF and
DOCX alike; only a table that cannot fit breaks identifiers after `_ . / :`, and only in the layout's order."""

from __future__ import annotations

import re
import zipfile
from dataclasses import replace
from io import BytesIO
from pathlib import Path

import pytest

from exporter.enrich.tables import (
    COMPACT_SIZE_PT,
    DETAILS_INDENT_PT,
    LANDSCAPE_WIDTH_PT,
    LIST_INDENT_PT,
    NORMAL_SIZE_PT,
    PORTRAIT_WIDTH_PT,
    QUOTE_INDENT_PT,
    ZERO_WIDTH_SPACE,
    Face,
    advance_em,
    column_widths,
)
from exporter.model.diagnostics import Reporter
from exporter.model.tree import BlockQuote, BulletList, Document, Table, walk_blocks
from exporter.read.markdown import parse
from exporter.render import html as html_writer
from exporter.render.options import MARGIN_SIDE_PT, PAPER_SIZES, RenderOptions
from exporter.render.pdf import render_pdf
from exporter.render.word import styles
from exporter.render.word.document import render_docx
from exporter.run.export import ExportSettings, export_document
from exporter.safety.resources import ResourceResolver
from tests.conftest import corpus_cases, corpus_docs
from tests.pdf_checks import broken_table_words, table_cell_texts

# The table from the issue: a spec whose PDF printed "Val/ue" and "2**/18" while its DOCX kept them whole.
NARROW_COLUMNS = """\
# Parameters

| Constant | Value | Short description |
|---|---|---|
| `EMA_DECAY` | `2**18` | Reciprocal of the EMA decay rate (per slot) |
| `MEAN_REVERSION_DEADBAND` | `64` | Fee ratio at which mean reversion effect accelerates |
| `MEAN_REVERSION_FULLBAND` | `10**6` | Fee ratio at which mean reversion effect stops increasing |
| `TARGET` | `0xFD` | Hex |

| Goal | Level | Champion | Notes |
|---|---|---|---|
| Stabilize MemorySanitizer and ThreadSanitizer Support | Medium | Vadim Petrochenkov | *1 |
| Interactive cargo-tree: TUI for Cargo's dependency graph visualization | Large | @thunderseethe | Standard reviews |
"""

# Identifiers that cannot all fit whole even in the compact size.
LONG_IDENTIFIERS = """\
# Fields

| Field | Type | Description |
|---|---|---|
| `pools.shareableSummary.partiallyAvailableDevices` | `map[string]CounterStatus` | `ResourceSlice.Spec.Counters` |
| `DeviceRequestAllocationResult.ConsumedCapacity[name]` | int | Capacity summed over allocations |
| `resourcepoolstatusrequest_controller_requests_processed_total` | counter | Requests processed by the controller |
| `pools.driver` | string | DRA driver name |
"""

# Six columns of long words: too wide for a portrait page even in the compact size.
WIDE_ROWS = (
    ("Configuration", "Description", "Requirement", "Consequence", "Alternative", "Recommendation"),
    ("AuthenticationMiddleware", "Intercommunication", "Responsibilities", "Incompatibilities", "Reimplementation",
     "Straightforwardness"),
    ("Internationalization", "Characterization", "Misunderstanding", "Telecommunications", "Disproportionately",
     "Counterproductive"),
)  # fmt: skip
WIDE = "\n".join(["# Wide", "", *("| " + " | ".join(row) + " |" for row in WIDE_ROWS)]) + "\n"
WIDE = WIDE.replace("|\n| Authentication", "|\n|" + "---|" * 6 + "\n| Authentication")


def tables(document: Document) -> list[Table]:
    return [block for block in walk_blocks(document.blocks) if isinstance(block, Table)]


def only_table(markdown: str) -> Table:
    (table,) = tables(parse(markdown, "doc.md"))
    return table


def text_em(text: str, face: Face = "regular") -> float:
    return sum(advance_em(char, face) for char in text)


# ---------------------------------------------------------------- the rule


def test_a_narrow_column_gets_room_for_its_longest_word() -> None:
    table = tables(parse(NARROW_COLUMNS, "doc.md"))[0]
    assert (table.fit, table.breaks) == ("normal", "words")
    widths = column_widths(table, PORTRAIT_WIDTH_PT, NORMAL_SIZE_PT)
    value_pt = max(text_em("Value", "bold"), text_em("10**6", "code")) * NORMAL_SIZE_PT
    assert widths[1] >= value_pt + 8  # and the cell padding
    assert widths[0] >= text_em("MEAN_REVERSION_DEADBAND", "code") * NORMAL_SIZE_PT + 8
    assert sum(widths) == pytest.approx(PORTRAIT_WIDTH_PT)


def test_the_long_column_takes_what_the_narrow_ones_leave() -> None:
    table = tables(parse(NARROW_COLUMNS, "doc.md"))[0]
    widths = column_widths(table, PORTRAIT_WIDTH_PT, NORMAL_SIZE_PT)
    assert widths[2] > widths[0] + widths[1]


def test_many_columns_go_compact_and_too_many_words_go_landscape_whole() -> None:
    assert only_table(WIDE).fit == "landscape"
    assert only_table(WIDE).breaks == "words"
    six = "| a | b | c | d | e | f |\n|---|---|---|---|---|---|\n| 1 | 2 | 3 | 4 | 5 | 6 |\n"
    assert only_table(six).fit == "compact"


def test_identifiers_break_at_separators_before_a_landscape_page() -> None:
    table = only_table(LONG_IDENTIFIERS)
    assert table.breaks == "identifiers"
    assert table.fit != "landscape"
    # Each column still holds its longest piece between separators: "partiallyAvailableDevices".
    widths = column_widths(table, PORTRAIT_WIDTH_PT, NORMAL_SIZE_PT if table.fit == "normal" else COMPACT_SIZE_PT)
    size = NORMAL_SIZE_PT if table.fit == "normal" else COMPACT_SIZE_PT
    assert widths[0] >= text_em("partiallyAvailableDevices", "code") * size


def test_chinese_breaks_between_characters_and_needs_no_landscape_page() -> None:
    text = "生产者通过负载均衡模块选择相应的服务器集群队列进行消息投递，投递的过程支持快速失败并且低延迟" * 3
    table = only_table(f"| 角色 | 说明 |\n|---|---|\n| 生产者 | {text} |\n")
    assert (table.fit, table.breaks) == ("normal", "words")


def test_a_table_in_a_quote_is_laid_out_for_the_narrower_column() -> None:
    """Its minimums are the same, but a table that just fits the page does not fit three quotes in."""
    columns = " | ".join(f"Column{n}Heading" for n in range(5))
    row = "|" + columns + "|\n|" + "---|" * 5 + "\n"
    top = only_table(row)
    document = parse("> > > " + row.replace("\n", "\n> > > "), "doc.md")
    (quoted,) = tables(document)
    assert isinstance(document.blocks[0], BlockQuote)
    assert top.column_minimums == quoted.column_minimums
    assert sum(top.column_minimums) * NORMAL_SIZE_PT <= PORTRAIT_WIDTH_PT
    assert (top.fit, quoted.fit) == ("normal", "compact")


def test_a_table_in_a_list_item_gets_its_layout_too() -> None:
    document = parse("- item\n\n  | a | b |\n  |---|---|\n  | Value | 0xFD |\n", "doc.md")
    assert isinstance(document.blocks[0], BulletList)
    (table,) = tables(document)
    assert len(table.column_minimums) == 2 and sum(table.column_weights) == pytest.approx(1, abs=0.001)


def test_the_rule_uses_the_page_and_the_writers_sizes() -> None:
    """The rule's geometry is the writers': A4 text width, the print indents, Word's (larger) table sizes."""
    a4_width, a4_height = PAPER_SIZES["a4"]
    assert pytest.approx(a4_width - 2 * MARGIN_SIDE_PT) == PORTRAIT_WIDTH_PT
    assert pytest.approx(a4_height - 2 * MARGIN_SIDE_PT) == LANDSCAPE_WIDTH_PT
    indents = (html_writer.PRINT_LIST_INDENT_PT, html_writer.PRINT_QUOTE_INDENT_PT, html_writer.PRINT_DETAILS_INDENT_PT)
    assert indents == (LIST_INDENT_PT, QUOTE_INDENT_PT, DETAILS_INDENT_PT)
    assert (NORMAL_SIZE_PT, COMPACT_SIZE_PT) == (styles.TABLE_SIZE_PT, styles.TABLE_COMPACT_SIZE_PT)
    assert html_writer.PRINT_TABLE_FONT_PT["normal"] <= NORMAL_SIZE_PT
    assert html_writer.PRINT_TABLE_FONT_PT["compact"] <= COMPACT_SIZE_PT


# ---------------------------------------------------------------- HTML, PDF and DOCX obey it


def rendered_html(markdown: str, tmp_path: Path, *, for_print: bool) -> str:
    document = parse(markdown, "doc.md")
    return html_writer.render_html(
        document, ResourceResolver(tmp_path, Reporter("doc.md")), RenderOptions(), for_print=for_print
    )


def test_html_columns_are_their_minimum_plus_a_share_of_the_rest(tmp_path: Path) -> None:
    page = rendered_html(NARROW_COLUMNS, tmp_path, for_print=True)
    first = re.search(r"<colgroup>(.*?)</colgroup>", page)
    assert first
    widths = re.findall(r'<col style="width: calc\((-?[\d.]+)em \+ ([\d.]+)%\)">', first.group(1))
    table = tables(parse(NARROW_COLUMNS, "doc.md"))[0]
    total = sum(table.column_minimums)
    assert [float(share) for _, share in widths] == pytest.approx([w * 100 for w in table.column_weights], abs=0.01)
    # With no room to spare, every column is exactly its minimum: em + share of (100% - all minimums).
    assert [float(em) + float(share) / 100 * total for em, share in widths] == pytest.approx(
        list(table.column_minimums), abs=0.02
    )


def test_identifiers_may_break_after_separators_in_print_only(tmp_path: Path) -> None:
    printed = rendered_html(LONG_IDENTIFIERS, tmp_path, for_print=True)
    assert f"pools.{ZERO_WIDTH_SPACE}shareableSummary.{ZERO_WIDTH_SPACE}partiallyAvailableDevices" in printed
    assert "resourcepoolstatusrequest_\u200bcontroller_\u200brequests" in printed
    assert "<code>pools.driver</code>" in printed  # it fits: copied, it has no stray character
    on_screen = rendered_html(LONG_IDENTIFIERS, tmp_path, for_print=False)
    assert ZERO_WIDTH_SPACE not in on_screen  # the screen table scrolls instead
    assert ZERO_WIDTH_SPACE not in rendered_html(NARROW_COLUMNS, tmp_path, for_print=True)


def docx_grid(markdown: str, tmp_path: Path) -> tuple[list[list[int]], str]:
    data = render_docx(parse(markdown, "doc.md"), ResourceResolver(tmp_path, Reporter("doc.md")), RenderOptions())
    xml = zipfile.ZipFile(BytesIO(data)).read("word/document.xml").decode("utf-8")
    grids = [
        [int(width) for width in re.findall(r'<w:gridCol w:w="(\d+)"', grid)]
        for grid in re.findall(r"<w:tblGrid>(.*?)</w:tblGrid>", xml)
    ]
    return grids, xml


def test_docx_columns_follow_the_same_rule(tmp_path: Path) -> None:
    grids, _ = docx_grid(NARROW_COLUMNS, tmp_path)
    table = tables(parse(NARROW_COLUMNS, "doc.md"))[0]
    expected = column_widths(table, PORTRAIT_WIDTH_PT, styles.TABLE_SIZE_PT)
    assert [width / 20 for width in grids[0]] == pytest.approx(list(expected), abs=0.1)
    assert grids[0][1] / 20 >= text_em("10**6", "code") * styles.TABLE_SIZE_PT + 8


def test_docx_identifiers_get_break_opportunities_only_when_too_wide_for_their_column(tmp_path: Path) -> None:
    _, xml = docx_grid(LONG_IDENTIFIERS, tmp_path)
    assert f"pools.{ZERO_WIDTH_SPACE}shareableSummary." in xml
    assert ">pools.driver<" in xml  # it fits its column
    _, xml = docx_grid(NARROW_COLUMNS, tmp_path)
    assert ZERO_WIDTH_SPACE not in xml


@pytest.fixture(scope="module")
def tagged_pdfs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Document]]:
    """The tables above as tagged PDFs (cells are TD elements), with their trees."""
    folder = tmp_path_factory.mktemp("tables")
    made: dict[str, tuple[Path, Document]] = {}
    for name, markdown in (("narrow", NARROW_COLUMNS), ("identifiers", LONG_IDENTIFIERS), ("wide", WIDE)):
        document = parse(markdown, f"{name}.md")
        pdf = folder / f"{name}.pdf"
        resolver = ResourceResolver(folder, Reporter(f"{name}.md"))
        pdf.write_bytes(render_pdf(document, resolver, RenderOptions(pdf_variant="pdf/ua-1")))
        made[name] = (pdf, document)
    return made


@pytest.mark.parametrize("name", ["narrow", "wide"])
def test_pdf_keeps_every_word_whole_where_the_table_fits(
    name: str, tagged_pdfs: dict[str, tuple[Path, Document]]
) -> None:
    pdf, document = tagged_pdfs[name]
    assert broken_table_words(pdf, table_cell_texts(document)) == []


def test_pdf_breaks_long_identifiers_only_after_their_separators(tagged_pdfs: dict[str, tuple[Path, Document]]) -> None:
    pdf, document = tagged_pdfs["identifiers"]
    texts = table_cell_texts(document)
    assert broken_table_words(pdf, texts, fair_after="-_./:") == []
    assert broken_table_words(pdf, texts) != []  # it did have to break some


def test_the_pdf_check_finds_a_squeezed_column(tmp_path: Path) -> None:
    """The check itself: squeezed to a sliver as before this rule, the Value column breaks its words."""
    document = parse(NARROW_COLUMNS, "doc.md")
    squeezed = tuple(
        replace(block, column_minimums=(1.5,) * 3, column_weights=(0.45, 0.0, 0.55))
        if isinstance(block, Table) and len(block.header) == 3
        else block
        for block in document.blocks
    )
    document = replace(document, blocks=squeezed)
    pdf = tmp_path / "squeezed.pdf"
    pdf.write_bytes(
        render_pdf(document, ResourceResolver(tmp_path, Reporter("doc.md")), RenderOptions(pdf_variant="pdf/ua-1"))
    )
    broken = broken_table_words(pdf, table_cell_texts(document))
    assert any("'Val'" in found or "'Va'" in found or "'V'" in found for found in broken), broken


# ---------------------------------------------------------------- corpus documents whose tables broke words

TABLE_DOCS = {
    "eip-7915-adaptive-mean-reversion-blob-pricing",  # "Val|ue", "2**|18" before
    "kep-5677-dra-resource-availability-visibility",  # identifiers too long to fit whole
}


@pytest.mark.parametrize("source", corpus_cases(corpus_docs(*sorted(TABLE_DOCS))), ids=lambda doc: doc.stem)
def test_corpus_tables_keep_their_words_whole(source: Path, tmp_path: Path) -> None:
    settings = ExportSettings(formats=("pdf",), output_dir=tmp_path, render=RenderOptions(pdf_variant="pdf/ua-1"))
    result = export_document(source, settings)
    assert result.error == "", result.error
    document = parse(source.read_text(encoding="utf-8"), source.name)
    pdf = tmp_path / f"{source.stem}.pdf"
    assert broken_table_words(pdf, table_cell_texts(document, keeping_words_whole=True)) == []
    assert broken_table_words(pdf, table_cell_texts(document), fair_after="-_./:\\") == []
