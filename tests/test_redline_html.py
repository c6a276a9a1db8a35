"""The HTML redline of a comparison of two versions (render/redline_html.py): inserted words underlined, deleted
ones struck through, each changed block with a change bar in the margin, table rows and columns and code lines
marked, and the summary of changes above the body, linking to each change.

The redline tree is built by hand, so these tests don't depend on the diff (exporter.compare). What a reader sees
is measured in headless Chromium, on screen (390 and 1280 px) and with the print stylesheet the PDF uses: the
greyscale rule (inserted and deleted differ in more than colour) is checked on the computed styles."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from lxml import html as lxml_html  # type: ignore[import-untyped]  # no type stubs

from exporter.model.diagnostics import Reporter
from exporter.model.tree import (
    Block,
    BlockQuote,
    BulletList,
    Callout,
    Changed,
    ChangeSummary,
    CodeBlock,
    Diagram,
    Document,
    Heading,
    Inline,
    ListItem,
    MetadataChange,
    MetadataField,
    Paragraph,
    Reformatted,
    Revised,
    SectionChange,
    Strong,
    Table,
    Text,
    block_inlines,
    plain_text,
    walk_blocks,
    walk_inlines,
)
from exporter.read.markdown import parse
from exporter.render.html import render_html
from exporter.render.options import RenderOptions
from exporter.render.redline_html import moved_partners
from exporter.safety.resources import ResourceResolver
from tests.browser import probe_pages

PHONE, DESKTOP = 390, 1280
SINCE = "v1.2"
AUTHOR = "Ada Reviewer"
DATE = "2026-11-30T09:15:00Z"
FILLER = (
    "Recurring charges fail for many reasons, and most of them are temporary: a declined card often clears days "
    "later, and an issuer that times out at night is usually back a few minutes later. "
)

# ---------------------------------------------------------------- a redline tree, built by hand


def words(*children: Inline | str) -> tuple[Inline, ...]:
    return tuple(Text(child) if isinstance(child, str) else child for child in children)


def para(*children: Inline | str, line: int = 10) -> Paragraph:
    return Paragraph(words(*children), line)


def inserted(*children: Inline | str) -> Changed:
    return Changed("inserted", words(*children))


def deleted(*children: Inline | str) -> Changed:
    return Changed("deleted", words(*children))


def heading(level: int, title: str, line: int = 10) -> Heading:
    return Heading(level, re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-"), (Text(title),), line)


def markdown_table(markdown: str) -> Table:
    """A table as the parser and its layout make it (column weights and all)."""
    tree = parse(markdown, "table.md", Reporter("table.md"))
    return next(block for block in tree.blocks if isinstance(block, Table))


def drawn_diagram(left: str, right: str) -> Diagram:
    """A box-drawing diagram the parser recognises as a drawing (drawn as SVG)."""
    width = max(len(left), len(right)) + 2
    boxes = ("\u250c" + "\u2500" * width + "\u2510", "\u2502 {} \u2502", "\u2514" + "\u2500" * width + "\u2518")
    arrow = "\u2500\u2500\u2500\u2500\u25b6"
    middle = f"{boxes[1].format(left.ljust(width - 2))}{arrow}{boxes[1].format(right.ljust(width - 2))}"
    lines = (f"{boxes[0]}     {boxes[0]}", middle, f"{boxes[2]}     {boxes[2]}")
    tree = parse("```\n" + "\n".join(lines) + "\n```\n", "diagram.md", Reporter("diagram.md"))
    diagram = next(block for block in tree.blocks if isinstance(block, Diagram))
    assert diagram.drawing is not None
    return diagram


def filler(count: int) -> tuple[Block, ...]:
    return tuple(para(FILLER * 3) for _ in range(count))


def changed_table() -> Table:
    """A row inserted and one deleted, a cell changed word by word, a column removed and one added."""
    table = markdown_table(
        "| Category | Old cap | Attempts | Delay |\n|---|---|---|---|\n"
        "| Soft decline | 3 | 4 | 1 day |\n| Network error | 5 | 6 | 10 minutes |\n| Issuer down | 2 | 3 | 1 hour |\n"
    )
    first = table.rows[0]
    changed_cell = replace(first[3], children=(deleted("1 day"), inserted("2 days")))
    return replace(
        table,
        rows=((*first[:3], changed_cell), *table.rows[1:]),
        row_changes=("", "inserted", "deleted"),
        column_changes=("", "deleted", "inserted", ""),
    )


def changed_code() -> CodeBlock:
    return CodeBlock(
        "def delay(attempt):\n    return 60 * attempt\n    return 60 * 2 ** attempt\n\nprint(delay(3))",
        "python",
        "python",
        40,
        line_changes=("", "deleted", "inserted", "", ""),
    )


def redline_document(*, changes_only: bool = False) -> Document:
    """A design document compared with its version v1.2, with every kind of change, long enough for several
    pages, so that the summary's links have pages to point to."""
    summary = ChangeSummary(
        since=SINCE,
        author=AUTHOR,
        date=DATE,
        sections=(
            SectionChange("changed", "Overview", "change-1", 4),
            SectionChange("added", "Rollout", "change-5", 1),
            SectionChange("removed", "Legacy API", "change-6", 1),
            SectionChange("moved", "Risks", "change-8", 1),
            SectionChange("renamed", "Open questions", "change-9", 2, old_title="Questions"),
        ),
        metadata=(MetadataChange("Status", "Draft", "Approved"), MetadataChange("Reviewer", "", "Bo Lee")),
        changes_only=changes_only,
    )
    metadata = (
        MetadataField("Status", (Text("Approved"),), "Approved", 3),
        MetadataField("Reviewer", (Text("Bo Lee"),), "Bo Lee", 4),
    )
    items = (
        ListItem((para("Classify every failed charge."),), None, 50),
        ListItem((Revised("inserted", "change-4", (para("Reuse the original idempotency key."),), 51),), None, 51),
        ListItem((para("Hand ", deleted("every"), inserted("exhausted"), " invoices to dunning."),), None, 52),
    )
    blocks: tuple[Block, ...] = (
        Heading(1, "payment-retry", (Text("Payment Retry"),), 1),
        heading(2, "Overview"),
        Revised(
            "changed",
            "change-1",
            (
                para(
                    "Failed charges are retried ",
                    deleted("once"),
                    inserted("on a schedule tuned per decline"),
                    " and ",
                    Reformatted(("emphasis",), (Strong((Text("never twice"),)),)),
                    " captured.",
                ),
            ),
            20,
        ),
        *filler(2),
        Revised("changed", "change-2", (changed_table(),), 30),
        Revised("changed", "change-3", (changed_code(),), 40),
        BulletList(items, True, 50),
        BlockQuote((para("Quoted."), Revised("deleted", "change-11", (para("A quoted claim withdrawn."),), 56)), 55),
        Callout("note", (Revised("inserted", "change-12", (para("Card payments only."),), 58),), 57),
        *filler(3),
        Revised(
            "inserted",
            "change-5",
            (
                heading(2, "Rollout"),
                para("Roll out to one percent of invoices first."),
                markdown_table("| Stage | Share |\n|---|---|\n| Canary | 1% |\n| Full | 100% |\n"),
                Diagram(("+--------+   +------+", "| canary |-->| full |", "+--------+   +------+"), 21, "", 62),
                drawn_diagram("canary", "full"),
            ),
            60,
        ),
        Revised(
            "deleted",
            "change-6",
            (
                heading(2, "Legacy API"),
                para("The v1 endpoint stays."),
                CodeBlock("GET /v1/retry", "", "", 72),
                drawn_diagram("v1", "gateway"),
            ),
            70,
        ),
        Revised("moved-from", "change-7", (heading(2, "Risks"), para("Issuers may rate-limit retries.")), 80),
        heading(2, "Timeline"),
        *filler(4),
        Revised("moved-to", "change-8", (replace(heading(2, "Risks"), id="risks-2"), para("Issuers may rate-limit retries.")), 90),  # noqa: E501
        Revised("changed", "change-9", (Heading(2, "open-questions", (deleted("Questions"), inserted("Open questions")), 95),), 95),  # noqa: E501
        Revised("inserted", "change-10", (para("Who owns the decline rules?"),), 96),
        *filler(2),
    )  # fmt: skip
    return Document("design.md", "Payment Retry", metadata, blocks, (), (), changes=summary)


def render(document: Document, tmp_path: Path, *, for_print: bool = False) -> str:
    return render_html(
        document, ResourceResolver(tmp_path, Reporter(document.source)), RenderOptions(), for_print=for_print
    )


# ---------------------------------------------------------------- the page as Chromium lays it out

PROBE = """
function probe(doc, win) {
  const style = (element, pseudo) => {
    const computed = win.getComputedStyle(element, pseudo || null);
    return {line: computed.textDecorationLine, style: computed.textDecorationStyle, color: computed.color,
            background: computed.backgroundColor, content: computed.content,
            borderLeft: parseFloat(computed.borderLeftWidth), borderColor: computed.borderLeftColor,
            border: computed.borderTopStyle + ' ' + parseFloat(computed.borderTopWidth)};
  };
  const styles = {};
  for (const [name, selector, pseudo] of SELECTORS) {
    const element = doc.querySelector(selector);
    styles[name] = element ? style(element, pseudo) : null;
  }
  const content = doc.querySelector('main.content').getBoundingClientRect();
  const textLeft = element => {
    const range = doc.createRange();
    range.selectNodeContents(element.querySelector('.revised-body'));
    return Math.min(...[...range.getClientRects()].map(rect => rect.left));
  };
  const bars = [...doc.querySelectorAll('.revised')].map(element => ({
    id: element.id, kind: element.className, barLeft: element.getBoundingClientRect().left,
    barWidth: parseFloat(win.getComputedStyle(element).borderLeftWidth), textLeft: textLeft(element),
    inCell: !!element.closest('td, th')}));
  const summary = doc.querySelector('.change-summary');
  const order = [...doc.querySelectorAll('header.doc-header, aside.change-summary, main.content')]
    .map(element => element.tagName.toLowerCase());
  const links = [...doc.querySelectorAll('a[href^="#"]')].map(link => ({
    href: link.getAttribute('href'), inSummary: !!link.closest('.change-summary'),
    moved: link.classList.contains('moved-link'), from: link.closest('[id]') ? link.closest('[id]').id : '',
    resolves: !!doc.getElementById(decodeURIComponent(link.getAttribute('href').slice(1)))}));
  return {styles, bars, order, links, contentLeft: content.left,
          summaryOverflows: summary ? summary.scrollWidth > summary.clientWidth + 1 : null,
          summaryText: summary ? summary.innerText : '',
          codeText: [...doc.querySelectorAll('.has-line-changes pre.code')].map(pre => pre.textContent),
          pageWidth: doc.documentElement.scrollWidth};
}
"""
# Elements whose look must tell inserted from deleted: name -> (CSS selector, pseudo-element).
SELECTORS = {
    "inserted words": ("ins.change", ""),
    "deleted words": ("del.change", ""),
    "reformatted words": (".reformatted", ""),
    "inserted block": (".revised-inserted > ins.revised-body", ""),
    "deleted block": (".revised-deleted > del.revised-body", ""),
    "moved-to block": (".revised-moved-to > ins.revised-body", ""),
    "moved-from block": (".revised-moved-from > del.revised-body", ""),
    "inserted row": ("tr.row-inserted > td", ""),
    "deleted row": ("tr.row-deleted > td", ""),
    "inserted column": ("td.column-inserted", ""),
    "deleted column": ("td.column-deleted", ""),
    "inserted code line": (".line.line-inserted", ""),
    "deleted code line": (".line.line-deleted", ""),
    "inserted code text": (".line-inserted > ins.code-change", ""),
    "deleted code text": (".line-deleted > del.code-change", ""),
    "inserted drawing": (".revised-inserted > ins.revised-body .diagram-drawing svg", ""),
    "deleted drawing": (".revised-deleted > del.revised-body .diagram-drawing svg", ""),
    "inserted code mark": (".line.line-inserted", "::before"),
    "deleted code mark": (".line.line-deleted", "::before"),
}
PAIRS = (
    ("inserted words", "deleted words"),
    ("inserted block", "deleted block"),
    ("moved-to block", "moved-from block"),
    ("inserted row", "deleted row"),
    ("inserted column", "deleted column"),
    ("inserted code text", "deleted code text"),
    ("inserted drawing", "deleted drawing"),
)
Layout = dict[str, Any]


def browser_layouts(pages: dict[str, tuple[str, int]], scratch: Path) -> dict[str, Layout]:
    """Each named page (its HTML, the frame's width in px) as headless Chromium lays it out: see PROBE."""
    selectors = json.dumps([[name, selector, pseudo] for name, (selector, pseudo) in SELECTORS.items()])
    return probe_pages(pages, f"const SELECTORS = {selectors};{PROBE}", scratch / "redline-probe.html")


# The print page (the PDF's HTML and print.css) is laid out at A4's text width, 170 mm.
PRINT_WIDTH_PX = 643
VIEWS = {"phone": PHONE, "desktop": DESKTOP, "print": PRINT_WIDTH_PX}


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("redline")
    document = redline_document()
    return {"screen": render(document, folder), "print": render(document, folder, for_print=True)}


@pytest.fixture(scope="module")
def layouts(pages: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Layout]:
    shown = {view: (pages["print" if view == "print" else "screen"], width) for view, width in VIEWS.items()}
    return browser_layouts(shown, tmp_path_factory.mktemp("browser"))


# ---------------------------------------------------------------- the markup


def page_tree(page: str) -> Any:
    return lxml_html.document_fromstring(page)


def with_class(root: Any, name: str, tag: str = "*") -> list[Any]:
    return list(root.xpath(f"//{tag}[contains(concat(' ', normalize-space(@class), ' '), ' {name} ')]"))


def text_of(element: Any) -> str:
    return " ".join(element.text_content().split())


def changed_texts(document: Document, kind: str) -> list[str]:
    """The text of every Changed inline of that kind in the document's paragraphs, headings and table cells."""
    found = []
    for block in walk_blocks(document.blocks):
        for node in walk_inlines(block_inlines(block)):
            if isinstance(node, Changed) and node.kind == kind:
                found.append(plain_text(node.children))
    return found


@pytest.mark.parametrize("view", ["screen", "print"])
def test_inserted_words_are_ins_and_deleted_words_del(pages: dict[str, str], view: str) -> None:
    root = page_tree(pages[view])
    document = redline_document()
    shown_inserted = [text_of(element) for element in with_class(root, "change", "ins")]
    shown_deleted = [text_of(element) for element in with_class(root, "change", "del")]
    assert shown_inserted == changed_texts(document, "inserted")
    assert shown_deleted == changed_texts(document, "deleted")


def test_reformatted_words_show_the_new_formatting_and_name_the_old(pages: dict[str, str]) -> None:
    (marked,) = with_class(page_tree(pages["screen"]), "reformatted")
    assert marked.xpath("./strong") and text_of(marked) == "never twice"
    assert "italic" in marked.get("title")


@pytest.mark.parametrize("view", ["screen", "print"])
def test_every_changed_block_is_an_anchor_with_a_change_bar(pages: dict[str, str], view: str) -> None:
    root = page_tree(pages[view])
    revised = [block for block in walk_blocks(redline_document().blocks) if isinstance(block, Revised)]
    for block in revised:
        (element,) = root.xpath(f"//*[@id='{block.id}']")
        assert f"revised-{block.kind}" in element.get("class").split()
        body = element.xpath("./*[contains(@class, 'revised-body')]")[0]
        expected = {"inserted": "ins", "moved-to": "ins", "deleted": "del", "moved-from": "del", "changed": "div"}
        assert body.tag == expected[block.kind], block.id


def test_moved_blocks_are_labelled_with_a_link_to_their_other_place(pages: dict[str, str]) -> None:
    root = page_tree(pages["screen"])
    (source,) = root.xpath("//*[@id='change-7']/p[@class='revised-label']")
    (target,) = root.xpath("//*[@id='change-8']/p[@class='revised-label']")
    assert text_of(source).startswith("Moved to") and source.xpath(".//a/@href") == ["#change-8"]
    assert text_of(target).startswith("Moved from") and target.xpath(".//a/@href") == ["#change-7"]


def test_moved_blocks_pair_with_their_most_alike_other_place() -> None:
    """Two sections moved past each other, one also edited: each label links to its own section's other place."""
    blocks = (
        Revised("moved-from", "move-1", (heading(2, "Risks"), para("Issuers may rate-limit retries.")), 10),
        Revised("moved-from", "move-2", (heading(2, "Costs"), para("Each retry costs a gateway fee.")), 20),
        Revised(
            "moved-to", "move-3", (heading(2, "Costs"), para("Each retry costs a ", inserted("small "), "fee.")), 30
        ),
        Revised("moved-to", "move-4", (heading(2, "Risks"), para("Issuers may rate-limit retries.")), 40),
    )
    assert moved_partners(blocks) == {"move-1": "move-4", "move-4": "move-1", "move-2": "move-3", "move-3": "move-2"}


def test_table_rows_and_columns_only_one_version_has_are_marked(pages: dict[str, str]) -> None:
    root = page_tree(pages["screen"])
    (table,) = root.xpath("//*[@id='change-2']//table")
    rows = table.xpath(".//tr")
    assert [row.get("class") or "" for row in rows] == ["", "", "row-inserted", "row-deleted"]
    header = rows[0].xpath("./th")
    assert [cell.get("class") or "" for cell in header] == ["", "column-deleted", "column-inserted", ""]
    assert text_of(rows[2].xpath("./td")[0]) == "Network error"


def test_code_lines_only_one_version_has_are_marked_and_copy_as_written(
    pages: dict[str, str], layouts: dict[str, Layout]
) -> None:
    root = page_tree(pages["screen"])
    code = changed_code()
    lines = with_class(root, "line", "span")
    assert [line.get("class") for line in lines] == [
        " ".join(("line", f"line-{change}")) if change else "line" for change in code.line_changes
    ]
    for view in VIEWS:
        marks = (layouts[view]["styles"]["inserted code mark"], layouts[view]["styles"]["deleted code mark"])
        assert [mark["content"] for mark in marks] == ['"+"', '"\u2212"'], view
    # The marks are drawn by CSS: copying the code gives its lines, and nothing else.
    assert [text.rstrip("\n") for text in layouts["desktop"]["codeText"]] == [code.text]


def test_summary_comes_after_the_title_and_before_the_body(layouts: dict[str, Layout]) -> None:
    for view, layout in layouts.items():
        assert layout["order"] == ["header", "aside", "main"], view


def test_summary_names_the_old_version_its_author_date_sections_and_metadata(layouts: dict[str, Layout]) -> None:
    summary = " ".join(layouts["desktop"]["summaryText"].split())
    for expected in (
        f"Changes since {SINCE}",
        AUTHOR,
        DATE[:10],
        "Status Draft \u2192 Approved",
        "Reviewer \u2014 \u2192 Bo Lee",
    ):
        assert expected in summary
    assert "1 added, 1 removed, 1 changed, 1 moved, 1 renamed" in summary
    assert "Open questions renamed, formerly \u201cQuestions\u201d \u00b7 2 changes" in summary
    assert "only" not in summary.lower()  # not a changes-only export


def test_summary_links_to_each_section_change_and_every_link_resolves(
    layouts: dict[str, Layout], pages: dict[str, str]
) -> None:
    summary = redline_document().changes
    assert summary is not None
    for view, layout in layouts.items():
        in_summary = [link["href"] for link in layout["links"] if link["inSummary"]]
        assert in_summary == [f"#{section.target}" for section in summary.sections], view
        assert [link["href"] for link in layout["links"] if not link["resolves"]] == [], view


def test_an_empty_comparison_says_no_changes_and_changes_only_says_so(tmp_path: Path) -> None:
    empty = replace(redline_document(), changes=ChangeSummary(SINCE, AUTHOR, DATE, (), ()))
    (summary,) = with_class(page_tree(render(empty, tmp_path)), "change-summary")
    assert "No changes" in text_of(summary) and not summary.xpath(".//a")
    (summary,) = with_class(page_tree(render(redline_document(changes_only=True), tmp_path)), "change-summary")
    assert "Only the sections with changes are shown" in text_of(summary)


def test_a_single_version_has_no_summary_and_no_change_marks(tmp_path: Path) -> None:
    page = render(replace(redline_document(), changes=None, blocks=filler(2)), tmp_path)
    root = page_tree(page)
    assert not with_class(root, "change-summary") and not root.xpath("//ins | //del | //*[@class='revised']")


# ---------------------------------------------------------------- what a reader sees


@pytest.mark.parametrize("view", VIEWS)
@pytest.mark.parametrize("pair", PAIRS, ids=lambda pair: pair[0].removeprefix("inserted "))
def test_inserted_and_deleted_differ_in_more_than_colour(
    layouts: dict[str, Layout], view: str, pair: tuple[str, str]
) -> None:
    """In greyscale print colours look alike: inserted text is underlined, deleted text struck through."""
    inserted_style, deleted_style = (layouts[view]["styles"][name] for name in pair)
    if pair[0] == "inserted drawing":  # pictures take no text decoration: a solid frame, a dashed one
        frames = [style["border"].split() for style in (inserted_style, deleted_style)]
        assert [frame[0] for frame in frames] == ["solid", "dashed"] and all(float(frame[1]) >= 1 for frame in frames)
        return
    assert "line-through" in deleted_style["line"] and "line-through" not in inserted_style["line"]
    if pair[0] != "inserted code text":  # inserted code lines are told by their + mark, not an underline
        assert "underline" in inserted_style["line"]


@pytest.mark.parametrize("view", VIEWS)
def test_changes_are_coloured_and_reformatted_words_dotted(layouts: dict[str, Layout], view: str) -> None:
    styles = layouts[view]["styles"]
    assert styles["inserted words"]["color"] != styles["deleted words"]["color"]
    assert styles["inserted words"]["background"] != styles["deleted words"]["background"]
    assert styles["inserted code line"]["background"] != styles["deleted code line"]["background"]
    assert (styles["reformatted words"]["line"], styles["reformatted words"]["style"]) == ("underline", "dotted")


@pytest.mark.parametrize("view", VIEWS)
def test_change_bars_stand_in_the_margin_left_of_the_text(layouts: dict[str, Layout], view: str) -> None:
    """Every changed block's bar is left of the text column, nested in a list or not, at one place; a bar in a
    table cell stays in its cell."""
    layout = layouts[view]
    bars = [bar for bar in layout["bars"] if not bar["inCell"]]
    assert len(bars) == len([block for block in walk_blocks(redline_document().blocks) if isinstance(block, Revised)])
    for bar in bars:
        assert bar["barWidth"] >= 2, bar
        assert bar["barLeft"] + bar["barWidth"] < layout["contentLeft"] <= bar["textLeft"] + 0.5, bar
    assert max(bar["barLeft"] for bar in bars) - min(bar["barLeft"] for bar in bars) < 1


@pytest.mark.parametrize("view", ["phone", "desktop"])
def test_the_page_and_its_summary_fit_the_screen(layouts: dict[str, Layout], view: str) -> None:
    assert layouts[view]["pageWidth"] <= VIEWS[view]
    assert layouts[view]["summaryOverflows"] is False
