"""The diagram engine: recognition fixtures (tests/fixtures/diagrams/*.md), corpus coverage, SVG and PNG.

A fixture's input is a diagram as written, optionally inside a fence (its info picks the language),
or `source: PATH:LINE`, a code block read in place from a Markdown file (paths relative to the
repository; the corpus lives in ../shared and is never copied here). The expected output is a
readable summary of what was recognised. Regenerate with `python -m tests.test_diagrams` and
read the diff before trusting it.
"""

from __future__ import annotations

import io
import math
import re
import zlib
from pathlib import Path
from xml.etree import ElementTree

import pytest
from markdown_it import MarkdownIt
from PIL import Image

from exporter.diagram.raster import render_png
from exporter.diagram.recognize import recognize
from exporter.diagram.style import DiagramStyle
from exporter.diagram.svg import render_svg
from exporter.enrich.layout import converts_to_drawing, diagram_lines, is_diagram
from exporter.enrich.presentation import style_from_theme
from exporter.model.diagnostics import Reporter
from exporter.model.tree import CodeBlock, Diagram, DiagramBox, DiagramDrawing, DiagramLabel, DiagramPath
from exporter.read.markdown import parse
from exporter.read.theme import load_theme
from tests.conftest import CORPUS, CORPUS_DOCS, ROOT, SAMPLES, TEMPLATE, corpus_cases, require_corpus
from tests.fixture_files import Fixture, read_fixtures, write_fixtures

FIXTURE_DIR = Path(__file__).parent / "fixtures" / "diagrams"
FIXTURES = [fixture for path in sorted(FIXTURE_DIR.glob("*.md")) for fixture in read_fixtures(path)]
SOURCE = re.compile(r"^source: (?P<path>\S+):(?P<line>\d+)$")
FENCE = re.compile(r"^(`{3,}|~{3,})(.*)$")
SVG = "{http://www.w3.org/2000/svg}"


# ---------------------------------------------------------------- reading blocks


def code_blocks(path: Path) -> list[tuple[int, str, str]]:
    """(line of the fence or first indented line, language, content) of each code block in a Markdown file."""
    tokens = MarkdownIt("commonmark").parse(path.read_text(encoding="utf-8"))
    found: list[tuple[int, str, str]] = []
    for token in tokens:
        if token.type in ("fence", "code_block") and token.map:
            info = token.info.strip()
            language = info.split()[0].strip("{}.").lower() if info else ""
            content = token.content[:-1] if token.content.endswith("\n") else token.content
            found.append((token.map[0] + 1, language, content))
    return found


def fixture_block(fixture: Fixture) -> tuple[str, str]:
    """The diagram text and fence language of a fixture."""
    lines = fixture.source[:-1].split("\n")
    match = SOURCE.match(lines[0]) if len(lines) == 1 else None
    if match:
        path = (ROOT / match["path"]).resolve()
        if reads_corpus(fixture):
            require_corpus()
        wanted = int(match["line"])
        for line, language, content in code_blocks(path):
            if line == wanted:
                return content, language
        raise AssertionError(f"{fixture.title}: no code block at {match['path']}:{wanted}")
    fence = FENCE.match(lines[0])
    if fence and lines[-1].startswith(fence[1]):
        info = fence[2].strip()
        return "\n".join(lines[1:-1]), info.split()[0].lower() if info else ""
    return "\n".join(lines), ""


def reads_corpus(fixture: Fixture) -> bool:
    match = SOURCE.match(fixture.source[:-1])
    return match is not None and (ROOT / match["path"]).resolve().is_relative_to(CORPUS.resolve())


# ---------------------------------------------------------------- summaries


def number(value: float) -> str:
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def describe_path(path: DiagramPath) -> str:
    points = " ".join(f"{number(x)},{number(y)}" for x, y in path.points)
    arrows = {(False, False): "", (False, True): " ->", (True, True): " <->", (True, False): " <-"}
    return f"line {points}{arrows[(path.start_arrow, path.end_arrow)]}{' dashed' if path.dashed else ''}"


def describe_label(label: DiagramLabel, redact: bool) -> str:
    if redact:  # corpus text stays in ../shared: a checksum of the words, not the words
        checksum = zlib.crc32(label.text.encode())
        return f"label {label.row},{label.column} {label.width_cells} cells, text crc32 {checksum:08x}"
    return f"label {label.row},{label.column} {label.text!r}"


def describe_box(box: DiagramBox, redact: bool) -> str:
    out = f"box {box.top},{box.left} {box.bottom},{box.right} {box.style}"
    if box.title:
        text = f"crc32 {zlib.crc32(box.title.encode()):08x}" if redact else repr(box.title)
        first, last = box.title_gap
        out += f" titled {text} at column {box.title_column}, edge broken over columns {first}-{last}"
    return out


def describe_drawing(drawing: DiagramDrawing, redact: bool = False) -> list[str]:
    arrows = sum(path.start_arrow + path.end_arrow for path in drawing.paths)
    out = [
        f"{len(drawing.boxes)} boxes, {len(drawing.paths)} lines, {arrows} arrows, {len(drawing.labels)} labels"
        f" on {drawing.rows} rows × {drawing.columns} columns"
    ]
    out += [describe_box(box, redact) for box in drawing.boxes]
    out += [describe_path(path) for path in drawing.paths]
    out += [describe_label(label, redact) for label in drawing.labels]
    return out


def summarize(text: str, language: str, redact: bool = False) -> str:
    """detect (diagram or code), the recognition result and what was recognised, and the warnings;
    `redact` leaves label text out (for the corpus, whose text is not copied into this repository)."""
    lines, _ = diagram_lines(text)
    out = [f"detect: {'diagram' if is_diagram(text, language) else 'code'}"]
    if not converts_to_drawing(language):
        out.append(f"result: kept on the grid ({language} fence)")
        return "\n".join(out)
    recognition = recognize(lines)
    if recognition.drawing is not None:
        out.append("result: converted")
        out += describe_drawing(recognition.drawing, redact)
    else:
        out.append(f"result: fallback ({recognition.reason})")
    out += [f"warning row {row} column {column}: {message}" for row, column, message in recognition.problems]
    return "\n".join(out)


def render_fixture(fixture: Fixture) -> str:
    text, language = fixture_block(fixture)
    return summarize(text, language, redact=fixture.source.startswith("source: ../shared/corpus/"))


@pytest.mark.parametrize("fixture", FIXTURES, ids=[f"{f.path.stem}: {f.title}" for f in FIXTURES])
def test_recognition_matches_fixture(fixture: Fixture) -> None:
    assert render_fixture(fixture) == fixture.expected


def test_there_are_enough_fixtures() -> None:
    assert len(FIXTURES) >= 40


# ---------------------------------------------------------------- corpus


def corpus_diagrams() -> list[tuple[Path, int, str, str]]:
    """Every code block of the corpus that is kept as a diagram: (file, line, language, content)."""
    found: list[tuple[Path, int, str, str]] = []
    for path in CORPUS_DOCS:
        for line, language, content in code_blocks(path):
            if is_diagram(content, language):
                found.append((path, line, language, content))
    return found


def test_every_corpus_diagram_has_a_fixture() -> None:
    require_corpus()
    referenced: set[tuple[str, int]] = set()
    for fixture in FIXTURES:
        match = SOURCE.match(fixture.source[:-1])
        if match:
            referenced.add(((ROOT / match["path"]).resolve().name, int(match["line"])))
    diagrams = {(path.name, line) for path, line, _, _ in corpus_diagrams()}
    assert diagrams, "the corpus has diagrams"
    assert sorted(diagrams - referenced) == []


def test_corpus_diagrams_convert_or_fall_back_and_never_raise() -> None:
    require_corpus()
    converted: list[str] = []
    fallbacks: list[str] = []
    grid_only: list[str] = []
    for path, line, language, content in corpus_diagrams():
        name = f"{path.name}:{line}"
        if not converts_to_drawing(language):
            grid_only.append(name)
            continue
        recognition = recognize(diagram_lines(content)[0])
        if recognition.drawing is not None:
            converted.append(name)
        else:
            fallbacks.append(f"{name} ({recognition.reason})")
    report = (
        f"corpus diagrams: {len(converted)} converted, {len(fallbacks)} fell back, {len(grid_only)} kept on the grid"
        f" by their fence; fallbacks: {fallbacks}"
    )
    print(report)
    assert len(converted) >= 6, report
    # Fallbacks stay text on purpose: ASCII tables (kep-4815) and listings with arrows but no drawing (cortex).
    text_on_purpose = ("looks like a table", "draws no box, arrow or outline")
    assert all(any(reason in fallback for reason in text_on_purpose) for fallback in fallbacks), report


def test_sample_and_template_diagrams_all_convert() -> None:
    for path in [*SAMPLES, TEMPLATE]:
        for line, language, content in code_blocks(path):
            if is_diagram(content, language):
                recognition = recognize(diagram_lines(content)[0])
                assert recognition.drawing is not None, f"{path.name}:{line}: {recognition.reason}"
                assert recognition.problems == (), f"{path.name}:{line}"


def template_drawing() -> DiagramDrawing:
    (content,) = [content for _, language, content in code_blocks(TEMPLATE) if is_diagram(content, language)]
    drawing = recognize(diagram_lines(content)[0]).drawing
    assert drawing is not None
    return drawing


def test_template_diagram_is_three_boxes_two_arrows_three_labels() -> None:
    drawing = template_drawing()
    assert len(drawing.boxes) == 3
    assert sum(path.start_arrow + path.end_arrow for path in drawing.paths) == 2
    assert [label.text for label in drawing.labels] == ["Component A", "Component B", "Component C"]
    assert [(label.row, label.column) for label in drawing.labels] == [(1, 2), (1, 22), (1, 42)]
    # A -> B -> C: side by side, each arrow from the middle of one box's right side to the next box's left side
    assert [(box.top, box.left, box.bottom, box.right) for box in drawing.boxes] == [
        (0, 0, 2, 14),
        (0, 20, 2, 34),
        (0, 40, 2, 54),
    ]
    assert [(path.points, path.start_arrow, path.end_arrow) for path in drawing.paths] == [
        (((14.5, 1.5), (20.5, 1.5)), False, True),
        (((34.5, 1.5), (40.5, 1.5)), False, True),
    ]


# ---------------------------------------------------------------- parser


DOCUMENT = """\
# Title

```
┌─────┐     ┌─────┐
│ A   │────▶│ B   │
└─────┘     └─────┘
```

```text
┌─────┐     ┌─────┐
│ A   │────▶│ B   │
└─────┘     └─────┘
```

```no-diagram
┌─────┐     ┌─────┐
│ A   │────▶│ B   │
└─────┘     └─────┘
```

```python
# ┌─────┐     ┌─────┐
# │ A   │────▶│ B   │
# └─────┘     └─────┘
```

```
+-------+
| ragged|
+--------+      +---+
                | X |------>
                +---+
```
"""


def test_parser_attaches_drawings_only_to_drawing_fences() -> None:
    reporter = Reporter("doc.md")
    blocks = parse(DOCUMENT, "doc.md", reporter).blocks
    diagrams = [block for block in blocks if isinstance(block, Diagram)]
    assert [diagram.info for diagram in diagrams] == ["", "text", "no-diagram", ""]
    assert diagrams[0].drawing is not None
    assert len(diagrams[0].drawing.boxes) == 2
    assert diagrams[1].drawing is None and diagrams[2].drawing is None  # kept on the grid
    assert diagrams[1].lines == diagrams[0].lines
    assert any(isinstance(block, CodeBlock) and block.language == "python" for block in blocks)


def test_ragged_diagrams_warn_with_line_and_column() -> None:
    reporter = Reporter("doc.md")
    parse(DOCUMENT, "doc.md", reporter)
    warnings = [str(item) for item in reporter.diagnostics if item.code == "diagram-ragged"]
    source = DOCUMENT.split("\n")
    ragged_line = next(number for number, text in enumerate(source, 1) if text == "| ragged|")
    arrow_line = ragged_line + 2
    assert warnings == [
        f"doc.md:{ragged_line}:9: warning: '|' does not meet the '+' below it, which is one column to the"
        " right [diagram-ragged]",
        f"doc.md:{arrow_line}:28: warning: arrow '>' points at nothing [diagram-ragged]",
    ]


# ---------------------------------------------------------------- SVG


def drawings_to_render() -> list[tuple[str, DiagramDrawing, str]]:
    (template,) = [content for _, language, content in code_blocks(TEMPLATE) if is_diagram(content, language)]
    picked = [
        fixture
        for fixture in FIXTURES
        if fixture.title.startswith(("CJK", "double", "dashed", "nested", "titled")) or "kep-5677" in fixture.source
    ]
    return [
        ("template", template_drawing(), template),
        *(fixture_drawing(fixture) for fixture in picked if not reads_corpus(fixture)),
        *corpus_cases(fixture_drawing(fixture) for fixture in picked if reads_corpus(fixture)),
    ]


def fixture_drawing(fixture: Fixture) -> tuple[str, DiagramDrawing, str]:
    text, _ = fixture_block(fixture)
    drawing = recognize(diagram_lines(text)[0]).drawing
    assert drawing is not None, fixture.title
    return fixture.title, drawing, text


@pytest.mark.parametrize("case", drawings_to_render(), ids=lambda case: case[0])
def test_svg_is_deterministic_and_uses_presentation_attributes(case: tuple[str, DiagramDrawing, str]) -> None:
    _, drawing, text = case
    style = style_from_theme(load_theme("classic"))
    svg = render_svg(drawing, style, text)
    assert svg == render_svg(drawing, style, text)
    for forbidden in ("class=", "<style", "marker", "textLength", "id=", "style="):
        assert forbidden not in svg
    root = ElementTree.fromstring(svg)
    assert root.tag == SVG + "svg"
    assert root.get("role") == "img" and root.get("width") == "100%"
    assert root.get("aria-label", "").startswith("Diagram: ")
    assert root.get("viewBox") == f"0 0 {number(drawing.columns * 6.02)} {number(drawing.rows * 12)}"
    desc = root.find(SVG + "desc")
    assert desc is not None and desc.text == text
    groups = root.findall(SVG + "g")
    box_groups = [group for group in groups if group.get("fill") is None]  # boxes carry their own fill
    shapes = [element for group in box_groups for element in group]
    assert len(shapes) == sum(2 if box.style == "double" else 1 for box in drawing.boxes)
    titles = sum(1 for box in drawing.boxes if box.title)
    assert len(root.findall(f"{SVG}g/{SVG}text")) == len(drawing.labels) + titles  # one run per label or title
    arrows = sum(path.start_arrow + path.end_arrow for path in drawing.paths)
    assert len(root.findall(f"{SVG}g/{SVG}polygon")) == arrows


def test_svg_box_corners_are_square_where_boxes_join() -> None:
    text = "┌─────┬─────┐\n│ a   │ b   │\n└─────┴─────┘"
    drawing = recognize(text.split("\n")).drawing
    assert drawing is not None
    svg = render_svg(drawing)
    assert svg.count('<path d="M') == 2  # each box rounds its two outer corners only
    assert "<rect " not in svg


def test_svg_names_labels_and_keeps_the_source_text() -> None:
    text = "+--------+     +-------+\n| A & B  |---->| <C>   |\n+--------+     +-------+"
    drawing = recognize(text.split("\n")).drawing
    assert drawing is not None
    svg = render_svg(drawing, DiagramStyle(), text)
    assert 'aria-label="Diagram: A &amp; B, &lt;C&gt;"' in svg
    assert "<desc>+--------+     +-------+\n| A &amp; B  |----&gt;| &lt;C&gt;   |" in svg
    assert '<text x="12.04" y="21.5">A &amp; B</text>' in svg  # column 2, row 1: on the source's grid
    assert "font-family=\"'DejaVu Sans Mono'" in svg


def test_svg_places_wide_characters_on_the_grid() -> None:
    text = "┌──────────────┐\n│ 設計 design  │──▶ x\n└──────────────┘"
    drawing = recognize(text.split("\n")).drawing
    assert drawing is not None
    assert [(label.text, label.width_cells) for label in drawing.labels] == [("設計 design", 11), ("x", 1)]
    svg = render_svg(drawing, DiagramStyle(), text)
    # "設計" starts in column 2, " design" in column 6 (each wide character takes two cells).
    assert '<tspan x="12.04">設計</tspan><tspan x="36.12"> design</tspan>' in svg


def test_style_follows_the_theme() -> None:
    theme = load_theme("modern")
    style = style_from_theme(theme)
    assert style.text == "#" + theme.color("text", "")
    assert style.stroke == "#" + theme.color("muted", "")
    assert style.mono_font == "DejaVu Sans Mono"
    assert "CJK" in style.wide_font
    svg = render_svg(template_drawing(), style)
    assert f'stroke="{style.stroke}"' in svg and f'fill="{style.text}"' in svg


# ---------------------------------------------------------------- PNG


def test_png_is_deterministic_and_print_resolution() -> None:
    drawing = template_drawing()
    first = render_png(drawing, style_from_theme(load_theme("classic")))
    assert first == render_png(drawing, style_from_theme(load_theme("classic")))
    image = Image.open(io.BytesIO(first))
    assert image.format == "PNG"
    assert round(image.info["dpi"][0]) >= 300
    # 9 pt at 300 dpi: 37.5 px per em, a cell 0.602 × 1.2 em.
    assert image.size == (math.ceil(drawing.columns * 0.602 * 37.5), math.ceil(drawing.rows * 1.2 * 37.5))


def test_png_draws_wide_characters_in_their_cells() -> None:
    text = "┌────────┐\n│ 日本語 │\n└────────┘"
    drawing = recognize(text.split("\n")).drawing
    assert drawing is not None
    image = Image.open(io.BytesIO(render_png(drawing, DiagramStyle(fill="none")))).convert("L")
    cell_x, cell_y = 0.602 * 37.5, 1.2 * 37.5
    for column in (2, 4, 6):  # each wide character covers two cells with ink
        box = (round(column * cell_x), round(1 * cell_y), round((column + 2) * cell_x), round(2 * cell_y))
        assert darkest(image.crop(box)) < 128, column
    blank = (round(8 * cell_x + 2), round(1 * cell_y + 4), round(9 * cell_x - 2), round(2 * cell_y - 4))
    assert darkest(image.crop(blank)) > 200


def test_png_draws_boxes_one_cell_wide() -> None:
    for text in ("+╝\n╰╯", "╔╗\n╚╝"):  # rounded corners that meet, one of them square: Pillow refused them
        drawing = recognize(text.split("\n")).drawing
        assert drawing is not None and len(drawing.boxes) == 1
        image = Image.open(io.BytesIO(render_png(drawing, DiagramStyle(fill="none")))).convert("L")
        assert darkest(image) < 160, text


# ---------------------------------------------------------------- titles in box edges, slanted arrows

TITLED = "┌─ Title ─┐\n│ body    │\n└─────────┘"
SLANTED = "+---+\n| A |\n+---+\n     \\\n      \\\n       v\n     +---+\n     | B |\n     +---+"
CELL_X, CELL_Y = 6.02, 12.0  # SVG user units of a cell
PNG_CELL_X, PNG_CELL_Y = 0.602 * 37.5, 1.2 * 37.5  # pixels of a cell at 9 pt and 300 dpi


def test_titled_box_is_one_box_with_its_title_in_a_break_of_its_top_edge_in_svg() -> None:
    drawing = recognize(TITLED.split("\n")).drawing
    assert drawing is not None  # the round trip holds: the redraw gives the same characters
    (box,) = drawing.boxes
    assert (box.title, box.title_column, box.title_gap) == ("Title", 3, (2, 8))
    assert [label.text for label in drawing.labels] == ["body"]  # the title is not a stray label
    root = ElementTree.fromstring(render_svg(drawing, DiagramStyle(), TITLED))
    assert root.get("aria-label") == "Diagram: Title, body"
    texts = [text for text in root.iter(SVG + "text") if text.text == "Title"]
    assert len(texts) == 1
    assert texts[0].get("x") == number(3 * CELL_X)
    # On the edge (half a row down), its baseline half a capital letter (0.35 em) below: centred on the line.
    assert float(texts[0].get("y", "")) == pytest.approx(0.5 * CELL_Y + 3.5)
    (outline,) = root.iter(SVG + "path")
    d = outline.get("d", "")
    # The edge starts after the gap (column 9), goes round the box and stops before it (column 2): no Z.
    assert d.startswith(f"M{number(9 * CELL_X)} {number(0.5 * CELL_Y)} ")
    assert d.endswith(f" H{number(2 * CELL_X)}")


def test_titled_box_png_leaves_the_border_out_under_the_title() -> None:
    drawing = recognize(TITLED.split("\n")).drawing
    assert drawing is not None
    image = Image.open(io.BytesIO(render_png(drawing, DiagramStyle(fill="none")))).convert("L")
    edge = math.ceil(0.5 * PNG_CELL_Y)  # Pillow draws a box's outline inside its rectangle, from the centre line

    def edge_strip(first_column: float, last_column: float) -> Image.Image:
        return image.crop((round(first_column * PNG_CELL_X), edge, round(last_column * PNG_CELL_X), edge + 2))

    assert darkest(edge_strip(1.1, 1.9)) < 160  # the edge before the gap
    assert darkest(edge_strip(9.1, 9.9)) < 160  # and after it
    assert darkest(edge_strip(2.1, 2.9)) > 230 and darkest(edge_strip(8.1, 8.9)) > 230  # the blanks around the title
    title_strip = edge_strip(3, 8)
    ink = sum(title_strip.histogram()[:160])
    assert 0 < ink < 0.6 * title_strip.width * title_strip.height  # letters cross the edge's row, no line does
    title_cells = image.crop((round(3 * PNG_CELL_X), 0, round(8 * PNG_CELL_X), round(PNG_CELL_Y)))
    assert darkest(title_cells) < 100


def test_slanted_line_ending_in_an_arrow_character_gets_an_arrowhead_along_it() -> None:
    drawing = recognize(SLANTED.split("\n")).drawing
    assert drawing is not None
    assert [label.text for label in drawing.labels] == ["A", "B"]  # the v is the arrowhead, not a label
    (path,) = drawing.paths
    assert path.end_arrow and not path.start_arrow
    assert path.points == ((4.5, 2.5), (8.5, 6.5))  # from A's corner to B's top edge, where the slant meets it
    root = ElementTree.fromstring(render_svg(drawing))
    (polygon,) = root.iter(SVG + "polygon")
    tip, *base = [tuple(float(value) for value in point.split(",")) for point in polygon.get("points", "").split()]
    assert tip == (pytest.approx(8.5 * CELL_X), pytest.approx(6.5 * CELL_Y))
    base_x, base_y = (base[0][0] + base[1][0]) / 2, (base[0][1] + base[1][1]) / 2
    # Pointing down and to the right, along the slant: one cell across for each cell down.
    across, down = (tip[0] - base_x) / CELL_X, (tip[1] - base_y) / CELL_Y
    assert across > 0 and down > 0 and across == pytest.approx(down, rel=0.01)


def test_slanted_arrowhead_is_drawn_in_the_png() -> None:
    drawing = recognize(SLANTED.split("\n")).drawing
    assert drawing is not None
    headless = DiagramDrawing(
        drawing.boxes,
        tuple(DiagramPath(path.points, False, False, path.dashed) for path in drawing.paths),
        drawing.labels,
        drawing.rows,
        drawing.columns,
    )
    near_tip = (round(7.6 * PNG_CELL_X), round(5.6 * PNG_CELL_Y), round(8.4 * PNG_CELL_X), round(6.4 * PNG_CELL_Y))

    def ink(picture: DiagramDrawing) -> int:
        image = Image.open(io.BytesIO(render_png(picture, DiagramStyle(fill="none")))).convert("L")
        return sum(image.crop(near_tip).histogram()[:160])

    assert ink(drawing) > 2 * ink(headless) > 0


def darkest(image: Image.Image) -> int:
    low, _ = image.getextrema()
    assert isinstance(low, int)
    return low


# ---------------------------------------------------------------- regeneration


def update_fixtures() -> None:
    """Rewrites the expected summaries from the current recognition; review the diff before committing."""
    for path in sorted(FIXTURE_DIR.glob("*.md")):
        write_fixtures(path, [(fixture, render_fixture(fixture)) for fixture in read_fixtures(path)])


if __name__ == "__main__":
    update_fixtures()
