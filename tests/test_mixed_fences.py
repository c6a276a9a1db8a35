"""A fence holding prose around a drawing: only the drawing becomes a picture, the prose stays text (a plain code
block, monospace as GitHub shows the whole fence) in HTML, PDF and DOCX."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pdfplumber
import pytest
from markdown_it import MarkdownIt

from exporter.enrich.layout import fence_parts
from exporter.model.tree import CodeBlock, Diagram
from exporter.read.markdown import parse
from exporter.run.export import ExportSettings, export_document
from tests.conftest import CORPUS_DOCS, SAMPLES, corpus_cases

ABOVE = "The request flows from the client to the server and back again."
BELOW = "Each arrow is an HTTP call; the client retries it on failure."
BETWEEN = "The journal is replayed before the reader accepts any requests."

MIXED = f"""\
# Flows

```
{ABOVE}

┌────────┐     ┌────────┐
│ Client │ ──▶ │ Server │
└────────┘     └────────┘

{BELOW}
```

```
+--------+      +---------+
| Writer | ---> | Journal |
+--------+      +---------+

{BETWEEN}

+--------+      +---------+
| Reader | <--- | Journal |
+--------+      +---------+
```
"""

LABELLED = """\
```
   request
+--------+      +---------+
| Client | ---> | Server  |
+--------+      +---------+
```
"""


def test_the_prose_becomes_code_blocks_and_the_drawings_diagrams() -> None:
    blocks = parse(MIXED, "doc.md").blocks[1:]
    kinds = [(type(block).__name__, isinstance(block, Diagram) and block.drawing is not None) for block in blocks]
    assert kinds == [
        ("CodeBlock", False),
        ("Diagram", True),
        ("CodeBlock", False),
        ("Diagram", True),
        ("CodeBlock", False),
        ("Diagram", True),
    ]
    assert [block.text for block in blocks if isinstance(block, CodeBlock)] == [ABOVE, BELOW, BETWEEN]
    # Each piece keeps the source line it starts on, for messages about it.
    assert [block.line for block in blocks] == [3, 6, 10, 13, 18, 20]


def test_a_label_beside_its_drawing_stays_in_it() -> None:
    (diagram,) = parse(LABELLED, "doc.md").blocks
    assert isinstance(diagram, Diagram) and diagram.drawing is not None
    assert any(label.text == "request" for label in diagram.drawing.labels)


def test_a_fence_that_is_not_drawn_stays_whole() -> None:
    """`text` fences keep their grid, prose and all; code fences are never split."""
    text_fence = MIXED.replace("```\n" + ABOVE, "```text\n" + ABOVE, 1)
    assert isinstance(parse(text_fence, "doc.md").blocks[1], Diagram)
    assert len(fence_parts(f"{ABOVE}\n\nx = a --> b\ny = c --> d", "python")) == 1


@pytest.mark.parametrize("source", [*SAMPLES, *corpus_cases(CORPUS_DOCS)], ids=lambda path: path.stem)
def test_no_drawing_of_the_samples_or_the_corpus_loses_its_labels(source: Path) -> None:
    """Their fences have labels and captions next to the drawing, but no paragraph of prose apart from it."""
    tokens = MarkdownIt("commonmark").parse(source.read_text(encoding="utf-8"))
    for fence in (token for token in tokens if token.type == "fence"):
        language = fence.info.split()[0].lower() if fence.info.strip() else ""
        assert len(fence_parts(fence.content.rstrip("\n"), language)) == 1, fence.map


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("mixed")
    source = folder / "mixed.md"
    source.write_text(MIXED, encoding="utf-8")
    result = export_document(source, ExportSettings(formats=("html", "pdf", "docx"), output_dir=folder / "out"))
    assert result.error == "", result.error
    return {path.suffix[1:]: path for path in result.outputs}


def test_html_has_the_prose_as_text_and_three_drawings(outputs: dict[str, Path]) -> None:
    page = outputs["html"].read_text(encoding="utf-8")
    drawings = re.findall(r'<figure class="diagram-drawing".*?</figure>', page, re.DOTALL)
    assert len(drawings) == 3
    for sentence in (ABOVE, BELOW, BETWEEN):
        assert f"<code>{sentence}</code>" in page.replace("&#x27;", "'")
        assert not any(sentence in drawing for drawing in drawings)


def test_docx_has_the_prose_as_text_beside_three_pictures(outputs: dict[str, Path]) -> None:
    document = zipfile.ZipFile(outputs["docx"]).read("word/document.xml").decode("utf-8")
    texts = "".join(re.findall(r"<w:t(?: [^>]*)?>([^<]*)</w:t>", document))
    for sentence in (ABOVE, BELOW, BETWEEN):
        assert sentence.replace("'", "&apos;") in texts or sentence in texts
    assert document.count("<w:drawing>") == 3


def test_pdf_has_the_prose_as_text_in_the_mono_font(outputs: dict[str, Path]) -> None:
    with pdfplumber.open(outputs["pdf"]) as pdf:
        words = [word for page in pdf.pages for word in page.extract_words(extra_attrs=["fontname"])]
        text = " ".join(page.extract_text() or "" for page in pdf.pages)
    squashed = " ".join(text.split())
    for sentence in (ABOVE, BELOW, BETWEEN):
        assert sentence in squashed
    replayed = [word["fontname"] for word in words if word["text"] == "replayed"]
    assert replayed and all("Mono" in font for font in replayed)
