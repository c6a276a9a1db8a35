"""Typography (curly quotes in the document's language, dashes, ellipses; `--no-smart`), definition lists,
`^sup^`/`~sub~` and emoji shortcodes, in the tree and in each output: HTML, PDF (its text and glyphs) and DOCX
(its XML and named styles). The trees themselves are golden fixtures: tests/fixtures/tree/typography.md,
deflist.md and sup-sub-emoji.md."""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from collections.abc import Iterator
from dataclasses import fields, is_dataclass
from pathlib import Path

import pdfplumber
import pytest

from exporter.enrich.language import block_text
from exporter.enrich.typography import QUOTE_PLACEHOLDERS, quote_marks
from exporter.model.diagnostics import Reporter
from exporter.model.tree import Diagram, Document
from exporter.read.fonts import any_installed_font_has
from exporter.read.markdown import ParseOptions, parse
from exporter.render.word.reference import REFERENCE_FILE
from exporter.run.export import ExportSettings, export_document
from tests.cli_run import run_in
from tests.conftest import CORPUS_DOCS, ROOT, SAMPLES, corpus_cases

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"

DOCUMENT = """\
# A "smart" title

He said "it's done" -- then 'left'... A pause --- and 2020--2021.

Keep `"code" -- ...` and https://example.com/a--b as typed; run it with --no-smart.

```text
"fenced" -- code...
```

Latency
: The time a "request" takes.

Throughput
: Requests per second.

  Measured at the gateway.

Water is H~2~O, area is m^2^, ~old~ is struck and ~~gone~~ too.

:warning: Careful, :rocket: launch.
"""

SMART_PROSE = "He said \u201cit\u2019s done\u201d \u2013 then \u2018left\u2019\u2026 A pause \u2014 and 2020\u20132021."
TYPED_PROSE = "He said \"it's done\" -- then 'left'... A pause --- and 2020--2021."
WARNING_EMOJI = "\u26a0\ufe0f"
ROCKET_EMOJI = "\U0001f680"


def export(tmp_path: Path, markdown: str = DOCUMENT, *, smart: bool = True) -> tuple[Path, Reporter]:
    """Writes doc.md and exports it to all three formats in `tmp_path/out`; the outputs' stem and the warnings."""
    source = tmp_path / "doc.md"
    source.write_text(markdown, encoding="utf-8")
    settings = ExportSettings(output_dir=tmp_path / "out", parse=ParseOptions(smart=smart))
    result = export_document(source, settings)
    assert not result.error, result.error
    reporter = Reporter("doc.md")
    reporter.diagnostics.extend(result.diagnostics)
    return tmp_path / "out" / "doc", reporter


def every_string(value: object) -> Iterator[str]:
    """Each string a node holds at any depth: text, titles, alt texts, TOC entries."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, tuple):
        for item in value:
            yield from every_string(item)
    elif is_dataclass(value):
        for spec in fields(value):
            yield from every_string(getattr(value, spec.name))


def prose(document: Document) -> str:
    return "\n".join(text for _, text in block_text(document.blocks, with_code=False))


def pdf_text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout


def docx_xml(docx: Path, part: str = "word/document.xml") -> str:
    with zipfile.ZipFile(docx) as archive:
        return archive.read(part).decode("utf-8")


def paragraphs_by_style(xml: str) -> list[tuple[str, str]]:
    """(style id, text) of each paragraph of a document.xml."""
    found = []
    for paragraph in re.findall(r"<w:p[ >].*?</w:p>", xml, re.DOTALL):
        style = re.search(r'<w:pStyle w:val="([^"]+)"', paragraph)
        text = "".join(re.findall(r"<w:t(?: [^>]*)?>([^<]*)</w:t>", paragraph))
        found.append((style.group(1) if style else "", text))
    return found


needs_pdftotext = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) missing")


# ---------------------------------------------------------------- the tree


@pytest.mark.parametrize(
    ("language", "marks"),
    [
        ("en", "\u201c\u201d\u2018\u2019"),
        ("de", "\u201e\u201c\u201a\u2018"),
        ("de-CH", "\u00ab\u00bb\u2039\u203a"),
        ("ja", "\u300c\u300d\u300e\u300f"),
        ("zh-Hans", "\u201c\u201d\u2018\u2019"),
        ("zh-Hant", "\u300c\u300d\u300e\u300f"),
        ("pt-BR", "\u201c\u201d\u2018\u2019"),
        ("xx", "\u201c\u201d\u2018\u2019"),
    ],
)
def test_quote_marks_follow_the_language_tag_then_its_language(language: str, marks: str) -> None:
    assert "".join(quote_marks(language)) == marks


def test_front_matter_language_decides_the_quote_marks() -> None:
    document = parse('---\nlang: de\n---\n\nSome "quoted" words in an English-looking text.\n', "doc.md")
    assert document.language == "de" and "Some \u201equoted\u201c words" in prose(document)


def test_no_smart_keeps_the_text_as_typed() -> None:
    smart = parse(DOCUMENT, "doc.md")
    typed = parse(DOCUMENT, "doc.md", options=ParseOptions(smart=False))
    assert SMART_PROSE in prose(smart) and TYPED_PROSE not in prose(smart)
    assert TYPED_PROSE in prose(typed) and typed.title == 'A "smart" title'
    assert smart.title == "A \u201csmart\u201d title"


def test_diagrams_keep_their_quotes_and_dashes() -> None:
    diagram = '```\n+--------+     +---------+\n| "user" |---->| server  |\n+--------+     +---------+\n```\n'
    document = parse(f'Prose -- with "quotes".\n\n{diagram}', "doc.md")
    drawn = [block for block in document.blocks if isinstance(block, Diagram)]
    assert drawn and drawn[0].lines[1] == '| "user" |---->| server  |'


def test_placeholder_characters_in_the_input_are_removed_with_a_warning() -> None:
    reporter = Reporter("doc.md")
    document = parse(f'Text {QUOTE_PLACEHOLDERS[0]}here and "quoted".\n', "doc.md", reporter)
    assert prose(document) == "Text here and \u201cquoted\u201d."
    assert [d.code for d in reporter.diagnostics] == ["control-character"]


@pytest.mark.parametrize("path", [*corpus_cases(CORPUS_DOCS), *SAMPLES], ids=lambda path: path.stem)
def test_no_quote_placeholder_survives_in_any_document(path: Path) -> None:
    document = parse(path.read_text(encoding="utf-8"), path.name)
    assert not any(placeholder in text for text in every_string(document) for placeholder in QUOTE_PLACEHOLDERS)


# ---------------------------------------------------------------- HTML


def test_html_shows_each_construct(tmp_path: Path) -> None:
    stem, _ = export(tmp_path)
    html = stem.with_suffix(".html").read_text(encoding="utf-8")

    assert SMART_PROSE.replace("\u2019", "&#x27;") in html or SMART_PROSE in html
    assert "<code>&quot;code&quot; -- ...</code>" in html or '<code>"code" -- ...</code>' in html
    assert 'href="https://example.com/a--b">https://example.com/a--b</a>' in html
    assert "--no-smart" in html
    assert re.search(r"<dl>\s*<dt>Latency</dt>\s*<dd>The time a \u201crequest\u201d takes\.</dd>", html)
    assert re.search(r"<dd>\s*<p>Requests per second\.</p>\s*<p>Measured at the gateway\.</p>\s*</dd>", html)
    assert "H<sub>2</sub>O" in html and "m<sup>2</sup>" in html
    assert re.search(r"<(del|s)>old</\1>", html) and re.search(r"<(del|s)>gone</\1>", html)
    assert f"{WARNING_EMOJI} Careful, {ROCKET_EMOJI} launch." in html


def test_html_without_smart_punctuation(tmp_path: Path) -> None:
    stem, _ = export(tmp_path, smart=False)
    html = stem.with_suffix(".html").read_text(encoding="utf-8")
    assert "\u201c" not in html.split("<main", 1)[1] and "2020--2021" in html and "left&#x27;..." in html


# ---------------------------------------------------------------- PDF


@needs_pdftotext
def test_pdf_text_holds_each_construct(tmp_path: Path) -> None:
    stem, reporter = export(tmp_path)
    text = " ".join(pdf_text(stem.with_suffix(".pdf")).split())

    assert SMART_PROSE in text
    assert '"code" -- ...' in text and '"fenced" -- code...' in text
    assert "Latency The time a \u201crequest\u201d takes." in text
    assert "Throughput Requests per second. Measured at the gateway." in text
    assert "H2O" in text and "m2" in text and "old" in text and "gone" in text
    assert "Careful" in text and "launch" in text
    assert "missing-glyph" not in [diagnostic.code for diagnostic in reporter.diagnostics]


def test_pdf_sets_sup_and_sub_smaller_and_off_the_baseline(tmp_path: Path) -> None:
    stem, _ = export(tmp_path, "Water is H~2~O and area is m^2^ here.\n")
    with pdfplumber.open(stem.with_suffix(".pdf")) as pdf:
        chars = [char for page in pdf.pages for char in page.chars]
    letters = {char["text"]: char for char in chars if char["text"] in "HOm"}
    twos = [char for char in chars if char["text"] == "2"]
    assert len(twos) == 2
    sub, sup = twos
    assert sub["size"] < letters["H"]["size"] and sup["size"] < letters["m"]["size"]
    assert sub["bottom"] > letters["H"]["bottom"]  # below the baseline (y grows downwards)
    assert sup["top"] < letters["m"]["top"]  # above the x-height


@pytest.mark.skipif(not any_installed_font_has("\U0001f680"), reason="no emoji font installed (fonts-noto-color-emoji)")
def test_pdf_draws_emoji_from_an_installed_font(tmp_path: Path) -> None:
    stem, reporter = export(tmp_path, ":rocket: :warning: :white_check_mark: :tada:\n")
    assert "missing-glyph" not in [diagnostic.code for diagnostic in reporter.diagnostics]
    fonts = subprocess.run(["pdffonts", str(stem.with_suffix(".pdf"))], capture_output=True, text=True, check=True)
    assert "Emoji" in fonts.stdout


# ---------------------------------------------------------------- DOCX


def test_docx_holds_each_construct_in_named_styles(tmp_path: Path) -> None:
    stem, _ = export(tmp_path)
    xml = docx_xml(stem.with_suffix(".docx"))
    paragraphs = paragraphs_by_style(xml)

    assert ("BodyText", SMART_PROSE) in paragraphs
    assert ("DefinitionTerm", "Latency") in paragraphs and ("DefinitionTerm", "Throughput") in paragraphs
    assert ("Definition", "The time a \u201crequest\u201d takes.") in paragraphs
    assert ("Definition", "Requests per second.") in paragraphs and (
        "Definition",
        "Measured at the gateway.",
    ) in paragraphs
    assert ("SourceCode", '"fenced" -- code...') in paragraphs
    assert '<w:t xml:space="preserve">"code" -- ...</w:t>' in xml or '<w:t>"code" -- ...</w:t>' in xml
    assert re.search(r'<w:vertAlign w:val="subscript"/>.*?<w:t>2</w:t>', xml, re.DOTALL)
    assert re.search(r'<w:vertAlign w:val="superscript"/>.*?<w:t>2</w:t>', xml, re.DOTALL)
    assert len(re.findall(r"<w:strike/>", xml)) >= 2
    assert any(f"{WARNING_EMOJI} Careful, {ROCKET_EMOJI} launch." == text for _, text in paragraphs)


def test_definition_paragraphs_take_their_indent_from_the_style(tmp_path: Path) -> None:
    stem, _ = export(tmp_path)
    xml = docx_xml(stem.with_suffix(".docx"))
    definitions = [p for p in re.findall(r"<w:p[ >].*?</w:p>", xml, re.DOTALL) if 'w:val="Definition"' in p]
    assert definitions and not any("<w:ind " in paragraph for paragraph in definitions)
    styles = docx_xml(stem.with_suffix(".docx"), "word/styles.xml")
    definition_style = re.search(r'<w:style [^>]*w:styleId="Definition".*?</w:style>', styles, re.DOTALL)
    assert definition_style and '<w:ind w:left="360"/>' in definition_style.group(0)


def test_reference_docx_carries_the_definition_styles() -> None:
    styles = docx_xml(ROOT / "styles" / REFERENCE_FILE, "word/styles.xml")
    assert '<w:name w:val="Definition Term"/>' in styles and '<w:name w:val="Definition"/>' in styles


# ---------------------------------------------------------------- the command line


def test_no_smart_flag_and_smart_config_key(tmp_path: Path) -> None:
    (tmp_path / "doc.md").write_text('He said "hi" -- twice...\n', encoding="utf-8")

    default = run_in(tmp_path, "doc.md", "--html", "-o", "smart")
    flag = run_in(tmp_path, "doc.md", "--html", "-o", "flag", "--no-smart")
    (tmp_path / "designexport.toml").write_text("smart = false\n", encoding="utf-8")
    config = run_in(tmp_path, "doc.md", "--html", "-o", "config")

    assert default.returncode == flag.returncode == config.returncode == 0, (default.stderr, flag.stderr)
    assert "He said \u201chi\u201d \u2013 twice\u2026" in (tmp_path / "smart" / "doc.html").read_text(encoding="utf-8")
    for folder in ("flag", "config"):
        assert "He said &quot;hi&quot; -- twice..." in (tmp_path / folder / "doc.html").read_text(encoding="utf-8")
