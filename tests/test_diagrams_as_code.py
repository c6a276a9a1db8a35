"""Mermaid, Graphviz and PlantUML fences end to end, with the real renderers: every fixture diagram drawn in all
three formats (inline SVG in HTML, text labels in the PDF, PNG + SVG + alt text in Word that LibreOffice opens),
the corpus's Mermaid, and a sandbox that lets no request out and no script in."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pdfplumber
import pytest

from exporter.diagram.external.drawing import RENDERER_OF_LANGUAGE, diagram_fences
from exporter.diagram.external.installed import installed_renderers
from exporter.model.diagnostics import Code
from exporter.read.markdown import parse
from exporter.run.export import ExportResult, ExportSettings, export_document
from tests.cli_run import run_in
from tests.conftest import CORPUS_DOCS, ROOT, corpus_cases
from tests.libreoffice import convert_to_pdf
from tests.loopback import CountingServer

FIXTURES = ROOT / "tests" / "fixtures" / "code-diagrams"
SVG_NS = "http://www.w3.org/2000/svg"
DIAGRAM_CODES = {Code.DIAGRAM_RENDERER, Code.DIAGRAM_SYNTAX, Code.DIAGRAM_REFUSED}
FIXTURE_RENDERERS = {"mermaid-kinds.md": "mermaid", "graphviz.md": "graphviz", "plantuml.md": "plantuml"}
LABELS_CHECKED_PER_DIAGRAM = 3


def require_renderer(name: str) -> None:
    """Skips when the renderer is not installed; CI (DESIGNEXPORT_REQUIRE_RENDERERS=1) fails instead."""
    missing = installed_renderers()[name].missing()
    if missing:
        if os.environ.get("DESIGNEXPORT_REQUIRE_RENDERERS") == "1":
            pytest.fail(f"{name} renderer missing in CI: {missing}")
        pytest.skip(f"{name} renderer not installed: {missing}")


@dataclass(frozen=True)
class Exported:
    result: ExportResult
    fences: int
    html: str
    pdf_text: str
    docx: Path


def export_all(source: Path, folder: Path) -> Exported:
    result = export_document(source, ExportSettings(output_dir=folder))
    assert not result.error, result.error
    text = source.read_text(encoding="utf-8")
    fences = sum(1 for _ in diagram_fences(parse(text, source.name)))
    pdf_text = subprocess.run(
        ["pdftotext", "-layout", str(folder / f"{source.stem}.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    html = (folder / f"{source.stem}.html").read_text(encoding="utf-8")
    return Exported(result, fences, html, pdf_text, folder / f"{source.stem}.docx")


@pytest.fixture(scope="module", params=sorted(FIXTURE_RENDERERS))
def exported(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Exported:
    name: str = request.param
    require_renderer(FIXTURE_RENDERERS[name])
    return export_all(FIXTURES / name, tmp_path_factory.mktemp(name.removesuffix(".md")))


def inline_svgs(html: str) -> list[ET.Element]:
    figures = re.findall(r'<figure class="diagram-picture"[^>]*>(.*?)</figure>', html, re.DOTALL)
    return [ET.fromstring(figure) for figure in figures]


def labels(svg: ET.Element, *, upright_only: bool = False) -> list[str]:
    """The text labels with a word in them; `upright_only` leaves out those in a rotated group (a git graph's
    commit names), which are text in the PDF too but which no PDF-to-text tool reads back as words."""
    rotated = {
        id(text)
        for group in svg.iter()
        if "rotate" in group.get("transform", "")
        for text in group.iter(f"{{{SVG_NS}}}text")
    }
    found = (
        " ".join(" ".join(text.itertext()).split())
        for text in svg.iter(f"{{{SVG_NS}}}text")
        if not (upright_only and id(text) in rotated)
    )
    return [label for label in found if re.search(r"[A-Za-z]{3}", label)]


def test_every_diagram_is_drawn_without_a_warning(exported: Exported) -> None:
    assert exported.fences >= 5
    assert [item for item in exported.result.diagnostics if item.code in DIAGRAM_CODES] == []


def test_html_has_every_diagram_inline_as_svg_with_text_labels_and_no_script(exported: Exported) -> None:
    svgs = inline_svgs(exported.html)
    assert len(svgs) == exported.fences
    for svg in svgs:
        assert labels(svg), ET.tostring(svg)[:300]
        described = svg.get("aria-label") or ""
        assert svg.get("role") == "img" and re.match(r"(Mermaid|Graphviz|PlantUML) diagram: ", described)
        assert " ".join(labels(svg)[0].split()) in described
    assert "<script" not in exported.html.lower() and "foreignobject" not in exported.html.lower()
    assert not re.search(r"\son[a-z]+\s*=", "".join(ET.tostring(svg, encoding="unicode") for svg in svgs))


def test_pdf_labels_are_text_a_reader_can_search(exported: Exported) -> None:
    # As pdftotext reads it (what search in a viewer finds): a label is found whole, spaces aside, or word by word
    # where it wraps inside a box that stands beside others.
    squeezed_text = re.sub(r"\s+", "", exported.pdf_text)
    pdf_words = set(re.findall(r"\w+", exported.pdf_text))
    missing = [
        label
        for svg in inline_svgs(exported.html)
        for label in labels(svg, upright_only=True)[:LABELS_CHECKED_PER_DIAGRAM]
        if re.sub(r"\s+", "", label) not in squeezed_text and not set(re.findall(r"\w+", label)) <= pdf_words
    ]
    assert missing == []


def test_word_gets_a_png_the_svg_and_the_labels_as_alt_text(exported: Exported) -> None:
    with zipfile.ZipFile(exported.docx) as package:
        body = package.read("word/document.xml").decode("utf-8")
        media = [name for name in package.namelist() if name.startswith("word/media/")]
    descriptions = re.findall(r'<wp:docPr [^>]*descr="([^"]*)"', body)
    drawn = [text for text in descriptions if re.match(r"(Mermaid|Graphviz|PlantUML) diagram: ", text)]
    assert len(drawn) == exported.fences
    assert body.count(":svgBlip ") >= exported.fences
    assert sum(name.endswith(".png") for name in media) >= 1 and sum(name.endswith(".svg") for name in media) >= 1


@pytest.mark.xdist_group("libreoffice")
def test_libreoffice_opens_the_word_file_with_its_pictures(exported: Exported, tmp_path: Path) -> None:
    shutil.copy(exported.docx, tmp_path / "doc.docx")
    completed = convert_to_pdf([tmp_path / "doc.docx"], tmp_path, timeout=300)
    assert completed.returncode == 0, completed.stderr
    with pdfplumber.open(tmp_path / "doc.pdf") as pdf:
        images = sum(len(page.images) for page in pdf.pages)
    assert images >= exported.fences


# ---------------------------------------------------------------- the sandbox, seen from outside


@pytest.fixture
def loopback_server() -> Iterator[tuple[str, list[str]]]:
    with CountingServer(b"@startuml\nAlice -> Bob\n@enduml\n") as server:
        yield server.url, server.requests


def test_no_diagram_reaches_the_network_and_no_output_carries_a_script(
    loopback_server: tuple[str, list[str]], tmp_path: Path
) -> None:
    for name in ("mermaid", "plantuml"):
        require_renderer(name)
    url, requests = loopback_server
    source = tmp_path / "doc.md"
    source.write_text(
        f"""# Hostile diagrams

```mermaid
%%{{init: {{"themeCSS": "@import url({url}/theme.css);", "fontFamily": "url({url}/font.woff)"}}}}%%
flowchart LR
  A["<img src='{url}/label.png'> Start"] --> B[End]
  click A href "{url}/clicked"
  click B callback "Tooltip"
```

```plantuml
@startuml
!include {url}/included.puml
Alice -> Bob: hello
@enduml
```

```plantuml
@startuml
Alice -> Bob: <img:{url}/image.png>
@enduml
```
""",
        encoding="utf-8",
    )
    result = export_document(source, ExportSettings(output_dir=tmp_path / "out"))
    assert not result.error
    assert requests == []
    html = (tmp_path / "out" / "doc.html").read_text(encoding="utf-8")
    assert "<script" not in html.lower() and not re.search(r"<[^>]+\son[a-z]+\s*=", html)
    # A label may say the address as text; nothing may point at it.
    pointing = [
        value
        for svg in inline_svgs(html)
        for element in svg.iter()
        for name, value in element.attrib.items()
        if name != "aria-label"
    ]
    assert [value for value in pointing if url in value] == []
    refused = [item for item in result.diagnostics if item.code == Code.DIAGRAM_REFUSED]
    assert refused and all(item.line > 0 for item in refused)
    with zipfile.ZipFile(tmp_path / "out" / "doc.docx") as package:
        for member in package.namelist():
            if member.endswith(".svg"):
                assert b"<script" not in package.read(member)


# ---------------------------------------------------------------- the corpus


CORPUS_WITH_MERMAID = [
    path for path in CORPUS_DOCS if re.search(r"^\s*```+\s*mermaid", path.read_text(encoding="utf-8"), re.MULTILINE)
]


@pytest.mark.parametrize("source", corpus_cases(CORPUS_WITH_MERMAID), ids=lambda path: path.stem)
def test_every_mermaid_diagram_of_the_corpus_is_drawn(source: Path, tmp_path: Path) -> None:
    require_renderer("mermaid")
    result = export_document(source, ExportSettings(formats=("html",), output_dir=tmp_path))
    assert not result.error
    problems = [str(item) for item in result.diagnostics if item.code in DIAGRAM_CODES]
    assert problems == []
    html = (tmp_path / f"{source.stem}.html").read_text(encoding="utf-8")
    fences = [block for block, renderer in diagram_fences(parse(source.read_text(encoding="utf-8"), source.name))]
    assert len(inline_svgs(html)) == len(fences) >= 1
    assert set(RENDERER_OF_LANGUAGE) >= {block.language for block in fences}


# ---------------------------------------------------------------- doctor and check


def test_doctor_lists_each_renderer_and_says_what_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DESIGNEXPORT_CHROMIUM", str(tmp_path / "no-such-browser"))
    completed = run_in(tmp_path, "doctor")
    assert completed.returncode == 1
    lines = {line.split()[0]: line for line in completed.stdout.splitlines()[2:]}
    assert set(lines) == {"mermaid", "graphviz", "plantuml", "rsvg-convert"}
    assert "missing: Mermaid needs Chromium" in lines["mermaid"] and "no-such-browser" in lines["mermaid"]


def test_check_reports_a_diagram_its_renderer_rejects_at_its_line(tmp_path: Path) -> None:
    require_renderer("graphviz")
    (tmp_path / "doc.md").write_text("# Doc\n\nText.\n\n```dot\ndigraph {\n  a -> ;\n}\n```\n", encoding="utf-8")
    completed = run_in(tmp_path, "check", "doc.md", "--profile", "none")
    assert completed.returncode == 1
    assert "doc.md:7:1: error: Graphviz diagram shown as code (line 2 of the diagram): syntax error" in completed.stdout
    assert "[diagram-syntax]" in completed.stdout
