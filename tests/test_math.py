"""Math as GitHub accepts it (`$…$`, `` $`…`$ ``, `$$…$$`, ```` ```math ````), drawn as SVG in HTML and PDF and
written as native equations (OMML) in DOCX; prices stay prose, bad TeX is shown as TeX with a warning."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pdfplumber
import pytest
from lxml import etree

from exporter.model.diagnostics import Code, Reporter
from exporter.model.limits import Limits
from exporter.model.tree import (
    Block,
    InlineCode,
    Math,
    MathBlock,
    Paragraph,
    Text,
    block_inlines,
    walk_blocks,
    walk_inlines,
)
from exporter.read.markdown import ParseOptions, parse
from exporter.read.math import inline_math_at
from exporter.render.options import RenderOptions
from exporter.render.word.document import render_docx
from exporter.run.export import ExportSettings, export_document
from exporter.safety.resources import ResourceResolver
from tests.cli_run import run_in
from tests.conftest import corpus_doc
from tests.libreoffice import convert_to_pdf

M = "http://schemas.openxmlformats.org/officeDocument/2006/math"
NS = {"m": M, "w": "http://schemas.openxmlformats.org/wordprocessingml/2006/main"}
SVG_TAGS = {"svg", "path", "rect", "text"}

DOCUMENT = r"""# Pricing model

The base fee $\bar{f}_g$ moves towards $`\sqrt{x+1}`$ each slot; a blob costs $5 and a block $10.

$$
w = \frac{a+b}{D+1}
$$

The total is $\sum_{k=1}^{n} k^2$ over all blocks.
"""


def parsed(markdown: str, limits: Limits | None = None) -> tuple[tuple[Block, ...], Reporter]:
    reporter = Reporter("doc.md")
    document = parse(markdown, "doc.md", reporter, ParseOptions(limits=limits or Limits()))
    return document.blocks, reporter


def formulas(markdown: str) -> list[str]:
    blocks, _ = parsed(markdown)
    found: list[str] = []
    for block in walk_blocks(blocks):
        if isinstance(block, MathBlock):
            found.append(block.tex)
        if isinstance(block, Paragraph):
            found.extend(node.tex for node in walk_inlines(block.children) if isinstance(node, Math))
    return found


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("math")
    (folder / "doc.md").write_text(DOCUMENT, encoding="utf-8")
    result = export_document(folder / "doc.md", ExportSettings(output_dir=folder))
    assert result.error == "", result.error
    return folder


# ---------------------------------------------------------------- where math is


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("$x^2$ after", ("x^2", False)),
        (r"$\frac{1}{2}$.", (r"\frac{1}{2}", False)),
        ("$`a$b`$", ("a$b", False)),  # GitHub's backtick form: a dollar inside is TeX
        ("$$x$$ y", ("x", True)),
        (r"$\text{costs \$5}$", (r"\text{costs \$5}", False)),  # an escaped dollar is TeX's
        ("$5 and $10", None),  # a price: the closing `$` comes after a space
        ("$5-$10", None),  # the closing `$` is followed by a digit
        ("$ x $", None),  # a space inside the dollars
        ("$x", None),
        ("$}{$", None),  # braces that close before they open
        ("$$ $$", None),
    ],
)
def test_inline_math_follows_githubs_rules(source: str, expected: tuple[str, bool] | None) -> None:
    found = inline_math_at(source, 0)
    assert (None if found is None else (found.tex, found.display)) == expected


def test_a_dollar_right_after_a_letter_or_digit_opens_nothing() -> None:
    assert inline_math_at("US$5 or x$", 2) is None
    assert inline_math_at("5$x$", 1) is None
    assert inline_math_at("(x$y$)", 2) is None
    assert inline_math_at("($y$)", 1) is not None


def test_dollars_in_prose_stay_text() -> None:
    text = "It costs $5 and $10, or $5-$10 and US$5 each; $ x $ is not math, and 5$ is odd."
    blocks, reporter = parsed(text)
    assert blocks == (Paragraph((Text(text),), 1),)
    assert reporter.diagnostics == []


def test_every_kind_of_formula_in_a_document_is_found() -> None:
    markdown = "A $a$ and $`b`$.\n\n$$\nc\n$$\n\n```math\nd\n```\n\nText\n$$e$$\nmore.\n"
    assert formulas(markdown) == ["a", "b", "c", "d", "e"]


def test_the_corpus_proposal_has_all_its_formulas_typeset() -> None:
    path = corpus_doc("eip-7915")
    markdown = path.read_text(encoding="utf-8")
    reporter = Reporter(path.name)
    document = parse(markdown, path.name, reporter)
    blocks = tuple(walk_blocks(document.blocks))
    displayed = [block for block in blocks if isinstance(block, MathBlock)]
    inline = [
        node
        for block in blocks
        if isinstance(block, Paragraph)
        for node in walk_inlines(block.children)
        if isinstance(node, Math)
    ]
    prose = [
        node.text
        for block in blocks
        for node in walk_inlines(block_inlines(block))
        if isinstance(node, Text) and "$" in node.text
    ]
    assert len(displayed) == markdown.count("\n$$\n") // 2
    assert len(inline) >= 25
    assert prose == []  # no formula left as dollars and TeX in the prose
    assert not [item for item in reporter.diagnostics if item.code == Code.MATH]


# ---------------------------------------------------------------- what can't be typeset


def test_a_formula_that_cannot_be_typeset_warns_at_its_line_and_shows_its_tex(tmp_path: Path) -> None:
    (tmp_path / "doc.md").write_text("# Doc\n\nSee $\\foo{x}$ here.\n\n$$\n\\left(x\n$$\n", encoding="utf-8")
    result = run_in(tmp_path, "export", "--html", "doc.md")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert 'doc.md:3:6: warning: formula "\\foo{x}" is shown as its TeX source: unknown TeX command \\foo [math]' in (
        result.stderr
    )
    assert (
        'doc.md:6:1: warning: formula "\\left(x" is shown as its TeX source: a \\left has no matching' in result.stderr
    )
    page = (tmp_path / "doc.html").read_text(encoding="utf-8")
    assert "<code>\\foo{x}</code>" in page
    assert 'data-language="latex"' in page and "left" in page


def test_formulas_past_the_documents_limit_are_shown_as_tex() -> None:
    blocks, reporter = parsed("$a+b+c$ and $d+e+f$ and $g$.", Limits(math_characters=8))
    assert isinstance(blocks[0], Paragraph)
    kinds = [type(node) for node in blocks[0].children if not isinstance(node, Text)]
    assert kinds == [Math, InlineCode, InlineCode]
    messages = [item.message for item in reporter.diagnostics if item.code == Code.MATH]
    assert messages == [
        'formula "d+e+f" and the one after it are shown as TeX source: the document\'s formulas pass the '
        "8-character limit (--limit math-characters=N)"
    ]


@pytest.mark.parametrize("tex", ["&", "a & b", "x < y &"])
def test_a_formula_the_converter_writes_as_broken_mathml_stays_tex_with_a_warning(tex: str) -> None:
    # latex2mathml copies a bare & through unescaped; the parser once raised ParseError here (found by hypothesis).
    blocks, reporter = parsed(f"Before ${tex}$ after.")
    assert isinstance(blocks[0], Paragraph)
    assert [node.text for node in blocks[0].children if isinstance(node, InlineCode)] == [tex]
    messages = [item.message for item in reporter.diagnostics if item.code == Code.MATH]
    assert len(messages) == 1 and "stray &" in messages[0]


# ---------------------------------------------------------------- HTML and PDF


def test_html_draws_each_formula_as_svg_on_the_baseline_labelled_with_its_tex(exported: Path) -> None:
    page = (exported / "doc.html").read_text(encoding="utf-8")
    inline = re.findall(r'<span class="math" role="img" aria-label="([^"]*)"[^>]*>(<svg.*?</svg>)</span>', page)
    assert [label for label, _ in inline] == ["\\bar{f}_g", "\\sqrt{x+1}", "\\sum_{k=1}^{n} k^2"]
    for _, svg in inline:
        assert re.search(r'style="vertical-align: -0\.\d+em"', svg)  # lowered by its depth onto the baseline
        assert re.search(r'width="[\d.]+em" height="[\d.]+em"', svg)  # sized in em: it follows the text size
        assert "<path" in svg
    display = re.findall(r'<div class="math-display" role="img" aria-label="([^"]*)"', page)
    assert display == ["w = \\frac{a+b}{D+1}"]
    assert "costs $5 and a block $10." in page


def test_html_formulas_hold_only_drawing(exported: Path) -> None:
    page = (exported / "doc.html").read_text(encoding="utf-8")
    svgs = re.findall(r'<(?:span class="math"|div class="math-display")[^>]*>(<svg.*?</svg>)', page)
    assert len(svgs) == 4
    for svg in svgs:
        tree = etree.fromstring(svg)
        assert {etree.QName(element).localname for element in tree.iter()} <= SVG_TAGS
        assert not any(name.startswith("on") for element in tree.iter() for name in element.attrib)


def test_pdf_draws_formulas_where_their_tex_can_be_found(exported: Path) -> None:
    with pdfplumber.open(exported / "doc.pdf") as pdf:
        page = next(page for page in pdf.pages if "each slot" in (page.extract_text() or ""))
        text = page.extract_text() or ""
        assert "towards \\sqrt{x+1} each slot" in text  # the TeX sits where the formula is drawn
        found = page.search("\\frac{a+b}{D+1}", regex=False)
        assert len(found) == 1
        area = found[0]
        outlines = [
            curve
            for curve in page.curves
            if curve["x0"] >= area["x0"] - 2 and curve["x1"] <= area["x1"] + 2 and abs(curve["top"] - area["top"]) < 30
        ]
        assert len(outlines) >= 8  # the glyphs of w = a+b, D+1 drawn as outlines
        fraction_bars = [rect for rect in page.rects if rect["x0"] >= area["x0"] - 2 and rect["x1"] <= area["x1"] + 2]
        assert fraction_bars


# ---------------------------------------------------------------- DOCX


def docx_xml(markdown: str, tmp_path: Path) -> etree._Element:
    reporter = Reporter("doc.md")
    document = parse(markdown, "doc.md", reporter)
    data = render_docx(document, ResourceResolver(tmp_path, reporter), RenderOptions())
    (tmp_path / "doc.docx").write_bytes(data)
    with zipfile.ZipFile(tmp_path / "doc.docx") as package:
        return etree.fromstring(package.read("word/document.xml"))


def test_docx_formulas_are_native_equations(exported: Path) -> None:
    with zipfile.ZipFile(exported / "doc.docx") as package:
        body = etree.fromstring(package.read("word/document.xml"))
    inline = body.xpath("//w:p/m:oMath", namespaces=NS)
    display = body.xpath("//w:p/m:oMathPara[m:oMathParaPr/m:jc/@m:val='center']/m:oMath", namespaces=NS)
    assert len(inline) == 3 and len(display) == 1
    assert body.xpath("string(//m:oMathPara//m:f/m:num)", namespaces=NS) == "a+b"
    assert body.xpath("string(//m:oMathPara//m:f/m:den)", namespaces=NS) == "D+1"
    assert "costs $5 and a block $10." in "".join(body.itertext())


@pytest.mark.parametrize(
    ("tex", "path", "expected"),
    [
        (r"\frac{a}{b}", "string(//m:f/m:den)", "b"),
        (r"\sqrt[3]{x}", "string(//m:rad/m:deg)", "3"),
        (r"\sqrt{x}", "string(//m:rad/m:radPr/m:degHide/@m:val)", "1"),
        (r"x_i^2", "string(//m:sSubSup/m:sup)", "2"),
        (r"\sum_{k=1}^n a_k", "string(//m:nary/m:naryPr/m:chr/@m:val)", "∑"),
        (r"\sum_{k=1}^n a_k", "string(//m:nary/m:e)", "ak"),  # the term after the sum is its operand
        (r"\int_0^1 f", "string(//m:nary/m:naryPr/m:limLoc/@m:val)", "subSup"),
        (r"\lim_{x\to 0} f", "string(//m:limLow/m:lim)", "x→0"),
        (r"\bar{x}", "string(//m:acc/m:accPr/m:chr/@m:val)", "\u0305"),
        (r"\hat{x}", "string(//m:acc/m:accPr/m:chr/@m:val)", "\u0302"),
        (r"\overline{ab}", "string(//m:bar/m:barPr/m:pos/@m:val)", "top"),
        (r"\left( \frac{a}{b} \right)", "string(//m:d/m:dPr/m:begChr/@m:val)", "("),
        (r"\Bigl[ x \Bigr]", "string(//m:d/m:dPr/m:endChr/@m:val)", "]"),
        (r"\begin{pmatrix}a&b\\c&d\end{pmatrix}", "count(//m:d/m:e/m:m/m:mr)", 2.0),
        (r"\binom{n}{k}", "string(//m:f/m:fPr/m:type/@m:val)", "noBar"),
        (r"\text{if } x", "count(//m:r[m:rPr/m:nor])", 1.0),
        (r"\mathrm{d}x", "string(//m:r[m:rPr/m:sty/@m:val='p']/m:t)", "d"),
        (r"\log x", "string(//m:r[m:rPr/m:sty/@m:val='p']/m:t)", "log"),
        (r"f(x)", "count(//m:d)", 0.0),  # plain parentheses stay characters
    ],
)
def test_word_equations_use_words_own_structures(tex: str, path: str, expected: object, tmp_path: Path) -> None:
    body = docx_xml(f"$${tex}$$\n", tmp_path)
    assert body.xpath(path, namespaces=NS) == expected


def test_libreoffice_opens_the_equations(tmp_path: Path) -> None:
    docx_xml("Before $\\sum_{k=1}^{n} k^2$ after.\n\n$$\n\\frac{\\alpha}{\\beta}\n$$\n", tmp_path)
    completed = convert_to_pdf([tmp_path / "doc.docx"], tmp_path, timeout=300)
    assert completed.returncode == 0, completed.stderr
    with pdfplumber.open(tmp_path / "doc.pdf") as pdf:
        text = "".join(page.extract_text() or "" for page in pdf.pages)
    # LibreOffice draws each equation as a formula object; without its math module they vanish silently.
    assert "∑" in text and "α" in text and "β" in text
