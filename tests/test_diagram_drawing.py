"""Drawing diagram fences (exporter/diagram/external/drawing.py) with stand-in renderers: what reaches every output,
what is said when a renderer is missing, rejects a diagram or misbehaves, and what the cache saves. The real
renderers are tested in test_mermaid_renderer.py and test_diagram_renderers.py."""

from __future__ import annotations

import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from exporter.diagram.external.drawing import DiagramPicture, DrawingSettings, draw_diagrams
from exporter.diagram.external.renderer import (
    DiagramSource,
    RenderedSvg,
    RenderFailure,
    RenderLimits,
    RenderOutcome,
    RenderTheme,
)
from exporter.model.diagnostics import Code, Diagnostic, Reporter
from exporter.model.tree import CodeBlock
from exporter.read.markdown import parse
from exporter.run import export
from exporter.run.export import ExportSettings, export_document
from exporter.safety.images import read_header

SVG_NS = "http://www.w3.org/2000/svg"
TINY_PNG_SIZE = (4, 3)


def tiny_png() -> bytes:
    from io import BytesIO

    from PIL import Image

    buffer = BytesIO()
    Image.new("RGB", TINY_PNG_SIZE, "white").save(buffer, format="PNG")
    return buffer.getvalue()


def graph_svg(labels: Sequence[str], extra: str = "") -> bytes:
    """An SVG the way Graphviz writes one: sizes in pt, a `graph0` id, a marker referenced by url(#…)."""
    texts = "".join(f'<text x="10" y="{20 * (index + 1)}">{label}</text>' for index, label in enumerate(labels))
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="150pt" height="75pt" viewBox="0 0 150 75">'
        '<defs><marker id="arrow"><path d="M0 0L4 2L0 4z"/></marker></defs>'
        f'<g id="graph0"><path d="M0 0L10 10" marker-end="url(#arrow)"/>{texts}</g>{extra}</svg>'
    ).encode()


@dataclass
class StandIn:
    """A renderer that answers from a table: source text -> outcome; counts what it is asked to draw."""

    name: str = "graphviz"
    outcomes: dict[str, RenderOutcome] = field(default_factory=dict)
    absent: str | None = None
    asked: list[str] = field(default_factory=list)
    calls: int = 0
    raises: bool = False

    def missing(self) -> str | None:
        return self.absent

    def version(self) -> str:
        return "stand-in 1"

    def render(self, sources: Sequence[DiagramSource], theme: RenderTheme, limits: RenderLimits) -> list[RenderOutcome]:
        self.calls += 1
        if self.raises:
            raise RuntimeError("boom\nsecond line")
        self.asked.extend(source.text for source in sources)
        return [self.outcomes.get(source.text, RenderedSvg(graph_svg([source.text]))) for source in sources]


def rasterize(svg: bytes, width: float, height: float, limits: RenderLimits) -> bytes | RenderFailure:
    return tiny_png()


def settings_for(
    *renderers: StandIn, cache_dir: Path | None = None, theme: RenderTheme | None = None
) -> DrawingSettings:
    return DrawingSettings(
        {renderer.name: renderer for renderer in renderers}, rasterize, theme or RenderTheme(), cache_dir=cache_dir
    )


def drawn(text: str, settings: DrawingSettings) -> tuple[dict[CodeBlock, DiagramPicture], list[Diagnostic]]:
    reporter = Reporter("doc.md")
    document = parse(text, "doc.md", reporter)
    return draw_diagrams(document, settings, reporter), reporter.diagnostics


DOC = "# Title\n\nText.\n\n```dot\nA\n```\n\n- item\n\n  ```graphviz\n  B\n  ```\n"


def test_every_diagram_fence_is_drawn_even_inside_a_list() -> None:
    renderer = StandIn()
    pictures, diagnostics = drawn(DOC, settings_for(renderer))
    assert diagnostics == []
    assert sorted(picture.alt for picture in pictures.values()) == ["Graphviz diagram: A", "Graphviz diagram: B"]
    assert renderer.calls == 1  # one call for the whole document: a costly renderer starts once


def test_the_svg_is_sized_in_css_pixels_and_its_ids_are_its_own() -> None:
    (picture,) = drawn("```dot\nA\n```\n", settings_for(StandIn()))[0].values()
    assert (picture.width, picture.height) == (pytest.approx(200), pytest.approx(100))  # 150pt x 75pt
    root = ET.fromstring(picture.svg)
    assert root.get("width") == "200.00" and root.get("viewBox") == "0 0 150 75"
    ids = {element.get("id") for element in root.iter() if element.get("id")}
    assert all(ident.startswith("graphviz-1-") for ident in ids), ids
    marker_id = next(element.get("id") for element in root.iter(f"{{{SVG_NS}}}marker"))
    assert f"url(#{marker_id})" in picture.svg  # the reference follows the renamed id
    assert root.get("role") == "img" and root.get("aria-label") == "Graphviz diagram: A"


def test_two_diagrams_in_one_page_never_share_an_id() -> None:
    pictures = drawn("```dot\nA\n```\n\n```dot\nB\n```\n", settings_for(StandIn()))[0]
    ids = [element.get("id") for picture in pictures.values() for element in ET.fromstring(picture.svg).iter()]
    named = [ident for ident in ids if ident]
    assert len(named) == len(set(named)) == 4


def test_script_and_html_in_a_renderers_svg_are_removed_and_named() -> None:
    hostile = graph_svg(
        ["A"],
        '<script>alert(1)</script><foreignObject><div xmlns="http://www.w3.org/1999/xhtml">x</div></foreignObject>'
        '<image href="http://127.0.0.1:9/x.png"/>',
    )
    renderer = StandIn(outcomes={"A": RenderedSvg(hostile)})
    pictures, diagnostics = drawn("```dot\nA\n```\n", settings_for(renderer))
    (picture,) = pictures.values()
    assert "script" not in picture.svg and "foreignObject" not in picture.svg and "127.0.0.1" not in picture.svg
    assert [item.code for item in diagnostics] == [Code.DIAGRAM_REFUSED]
    assert "<script>" in diagnostics[0].message


def test_a_syntax_error_is_reported_at_the_documents_line() -> None:
    renderer = StandIn(outcomes={"A\nB -> ": RenderFailure("syntax", "syntax error near '->'", line=2)})
    pictures, diagnostics = drawn("Text.\n\n```dot\nA\nB -> \n```\n", settings_for(renderer))
    assert pictures == {}
    (diagnostic,) = diagnostics
    assert (diagnostic.line, diagnostic.code, diagnostic.severity) == (5, Code.DIAGRAM_SYNTAX, "error")
    assert str(diagnostic).startswith(
        "doc.md:5: error: Graphviz diagram shown as code (line 2 of the diagram): syntax error near '->'"
    )


def test_a_missing_renderer_says_what_to_install_once_per_fence() -> None:
    renderer = StandIn(absent="install graphviz")
    pictures, diagnostics = drawn("```dot\nA\n```\n\n```dot\nB\n```\n", settings_for(renderer))
    assert pictures == {} and renderer.calls == 0
    assert [(item.line, item.code) for item in diagnostics] == [(1, Code.DIAGRAM_RENDERER), (5, Code.DIAGRAM_RENDERER)]
    assert "install graphviz" in diagnostics[0].message


def test_a_renderer_that_raises_leaves_its_diagrams_as_code_with_a_one_line_warning() -> None:
    pictures, diagnostics = drawn("```dot\nA\n```\n", settings_for(StandIn(raises=True)))
    assert pictures == {}
    (diagnostic,) = diagnostics
    assert diagnostic.code == Code.DIAGRAM_RENDERER and "boom" in diagnostic.message and "\n" not in diagnostic.message


def test_a_timeout_or_refusal_is_a_warning_that_says_so() -> None:
    renderer = StandIn(
        outcomes={
            "A": RenderFailure("timeout", "took longer than 30 s"),
            "B": RenderFailure("refused", "!include reads a file", line=1),
        }
    )
    _, diagnostics = drawn("```dot\nA\n```\n\n```dot\nB\n```\n", settings_for(renderer))
    assert [(item.line, item.code) for item in diagnostics] == [(1, Code.DIAGRAM_RENDERER), (6, Code.DIAGRAM_REFUSED)]


def test_an_unchanged_diagram_is_never_drawn_twice(tmp_path: Path) -> None:
    first = StandIn()
    drawn(DOC, settings_for(first, cache_dir=tmp_path))
    again = StandIn()
    pictures, _ = drawn(DOC, settings_for(again, cache_dir=tmp_path))
    assert again.calls == 0 and len(pictures) == 2
    edited = StandIn()
    drawn(DOC.replace("  B\n", "  C\n"), settings_for(edited, cache_dir=tmp_path))
    assert edited.asked == ["C"]  # only the changed diagram
    restyled = StandIn()
    drawn(DOC, settings_for(restyled, cache_dir=tmp_path, theme=RenderTheme(text="#000000")))
    assert sorted(restyled.asked) == ["A", "B"]  # a new theme draws everything again


def test_a_damaged_cache_entry_is_drawn_again(tmp_path: Path) -> None:
    drawn("```dot\nA\n```\n", settings_for(StandIn(), cache_dir=tmp_path))
    for entry in tmp_path.rglob("*.json"):
        entry.write_text("{not json", encoding="utf-8")
    renderer = StandIn()
    pictures, _ = drawn("```dot\nA\n```\n", settings_for(renderer, cache_dir=tmp_path))
    assert renderer.calls == 1 and len(pictures) == 1


def test_mermaids_percentage_width_is_sized_from_its_view_box() -> None:
    svg = (
        b'<svg xmlns="http://www.w3.org/2000/svg" width="100%" style="max-width: 320px;" viewBox="0 0 320 80">'
        b'<text x="1" y="10">Start</text></svg>'
    )
    renderer = StandIn(name="mermaid", outcomes={"graph LR": RenderedSvg(svg)})
    (picture,) = drawn("```mermaid\ngraph LR\n```\n", settings_for(renderer))[0].values()
    root = ET.fromstring(picture.svg)
    assert (picture.width, picture.height) == (320, 80)
    assert "max-width" not in root.get("style", "")


# ---------------------------------------------------------------- through the backends


@pytest.fixture
def stand_in_renderers(monkeypatch: pytest.MonkeyPatch) -> dict[str, StandIn]:
    renderers = {"graphviz": StandIn(), "mermaid": StandIn(name="mermaid", absent="install Node.js and Chromium")}
    monkeypatch.setattr(export, "installed_renderers", lambda: renderers)
    monkeypatch.setattr(export, "rasterize", rasterize)
    return renderers


def test_every_format_shows_the_picture_and_a_missing_renderer_leaves_code(
    tmp_path: Path, stand_in_renderers: dict[str, StandIn]
) -> None:
    source = tmp_path / "doc.md"
    source.write_text("# Doc\n\n```dot\nRoute planner\n```\n\n```mermaid\ngraph LR\n  A --> B\n```\n", encoding="utf-8")
    result = export_document(source, ExportSettings(formats=("html", "docx")))
    assert not result.error
    assert [(item.line, item.code) for item in result.diagnostics] == [(7, Code.DIAGRAM_RENDERER)]
    page = (tmp_path / "doc.html").read_text(encoding="utf-8")
    assert '<figure class="diagram-picture" data-renderer="graphviz" style="--natural-width: 200px"><svg' in page
    assert ">Route planner</text>" in page
    assert "A --&gt; B" in page  # the Mermaid fence, with no renderer, is still there as code
    with zipfile.ZipFile(tmp_path / "doc.docx") as package:
        names = package.namelist()
        body = package.read("word/document.xml").decode()
    assert any(name.endswith(".png") for name in names) and any(name.endswith(".svg") for name in names)
    assert 'descr="Graphviz diagram: Route planner"' in body
    assert "A --&gt; B" in body


def test_the_picture_for_word_is_a_png_of_the_drawn_size(
    tmp_path: Path, stand_in_renderers: dict[str, StandIn]
) -> None:
    source = tmp_path / "doc.md"
    source.write_text("```dot\nA\n```\n", encoding="utf-8")
    assert not export_document(source, ExportSettings(formats=("docx",))).error
    with zipfile.ZipFile(tmp_path / "doc.docx") as package:
        (png_name,) = [name for name in package.namelist() if name.endswith(".png")]
        header = read_header(package.read(png_name))
        body = package.read("word/document.xml").decode()
    assert (header.width, header.height) == TINY_PNG_SIZE
    # 200 x 100 CSS px is 150 x 75 pt, in EMU (12700 per pt)
    assert 'cx="1905000"' in body and 'cy="952500"' in body


def test_a_document_without_diagram_fences_starts_no_renderer(
    tmp_path: Path, stand_in_renderers: dict[str, StandIn]
) -> None:
    source = tmp_path / "doc.md"
    source.write_text("# Doc\n\n```python\nprint(1)\n```\n", encoding="utf-8")
    assert not export_document(source, ExportSettings(formats=("html",))).diagnostics
    assert stand_in_renderers["graphviz"].calls == 0


def test_the_document_cache_folder_keeps_diagrams(tmp_path: Path, stand_in_renderers: dict[str, StandIn]) -> None:
    source = tmp_path / "doc.md"
    source.write_text("```dot\nA\n```\n", encoding="utf-8")
    export_document(source, ExportSettings(formats=("html",)), cache_dir=tmp_path / "cache")
    export_document(source, ExportSettings(formats=("html",)), cache_dir=tmp_path / "cache")
    assert stand_in_renderers["graphviz"].calls == 1
    assert list((tmp_path / "cache" / "diagrams").rglob("*.json"))


def test_pictures_for_word_are_made_only_when_word_is_exported(tmp_path: Path) -> None:
    made: list[float] = []

    def counting(svg: bytes, width: float, height: float, limits: RenderLimits) -> bytes | RenderFailure:
        made.append(width)
        return tiny_png()

    renderer = StandIn()
    settings = DrawingSettings({"graphviz": renderer}, counting, cache_dir=tmp_path, pictures_for_word=False)
    (picture,) = drawn("```dot\nA\n```\n", settings)[0].values()
    assert picture.png == b"" and made == []
    later = DrawingSettings({"graphviz": renderer}, counting, cache_dir=tmp_path)
    (picture,) = drawn("```dot\nA\n```\n", later)[0].values()
    assert picture.png == tiny_png() and len(made) == 1 and renderer.calls == 1  # drawn once, rasterized later
    drawn("```dot\nA\n```\n", later)
    assert len(made) == 1  # the PNG is cached too


def test_a_picture_word_cannot_show_says_so_and_leaves_html_and_pdf_alone() -> None:
    def failing(svg: bytes, width: float, height: float, limits: RenderLimits) -> bytes | RenderFailure:
        return RenderFailure("missing", "install librsvg2-bin")

    settings = DrawingSettings({"graphviz": StandIn()}, failing)
    pictures, diagnostics = drawn("```dot\nA\n```\n", settings)
    (picture,) = pictures.values()
    assert picture.png == b"" and "<svg" in picture.svg
    assert [item.code for item in diagnostics] == [Code.DIAGRAM_RENDERER]
    assert "shown as code in Word: install librsvg2-bin" in diagnostics[0].message
