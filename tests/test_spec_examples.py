"""Every CommonMark and GFM spec example goes through the parser and all three backends."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from markdown_it import MarkdownIt
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.front_matter import front_matter_plugin
from mdit_py_plugins.tasklists import tasklists_plugin

from exporter.model.diagnostics import Reporter
from exporter.read.markdown import parse
from exporter.render.html import render_html
from exporter.render.options import RenderOptions
from exporter.render.pdf import render_pdf
from exporter.render.word.document import render_docx
from exporter.safety.resources import ResourceResolver
from tests.conftest import corpus_cases, needs_corpus, spec_examples
from tests.html_text import visible_text

EXAMPLES = [("commonmark", example) for example in spec_examples("commonmark_spec.json")] + [
    ("gfm", example) for example in spec_examples("gfm_spec.json")
]

# Where our raw-HTML policy deliberately differs from passing HTML through: we keep the text of
# unknown tags but drop the text of elements that never show (script, style, textarea) and the
# whole of raw HTML that carries no text. Keys are (spec, example number).
POLICY_DIFFERENCES: dict[tuple[str, int], str] = {
    ("commonmark", 173): "<textarea> content is dropped with the element; a browser would show it in a form field",
    ("commonmark", 628): "abrupt comments like <!--> are dropped, as HTML5 browsers end them at once",
    ("gfm", 646): "abrupt comments like <!--> are dropped, as HTML5 browsers end them at once",
    ("gfm", 653): "unclosed <title>/<style> would hide the rest of a browser page; we drop the tags and keep the text",
}


def reference_markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"linkify": True})
    md.enable(["table", "strikethrough", "linkify"])
    return md.use(front_matter_plugin).use(footnote_plugin).use(tasklists_plugin)


REFERENCE = reference_markdown()


# Typographic punctuation (on by default) back to the characters typed, as the reference prints them.
AS_TYPED = str.maketrans(
    {"\u201c": '"', "\u201d": '"', "\u2018": "'", "\u2019": "'", "\u2026": "...", "\u2013": "--", "\u2014": "---"}
)


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text).translate(AS_TYPED)


@pytest.mark.parametrize(
    ("spec", "example"),
    corpus_cases((pytest.param(spec, example, id=f"{spec}-{example['example']}") for spec, example in EXAMPLES), 2),
)
def test_example_renders_in_every_backend(spec: str, example: dict[str, Any], tmp_path: Path) -> None:
    source = f"{spec}-example-{example['example']}.md"
    reporter = Reporter(source)
    document = parse(example["markdown"], source, reporter)
    resolver = ResourceResolver(tmp_path, reporter)
    options = RenderOptions()

    html = render_html(document, resolver, options)
    docx = render_docx(document, resolver, options)
    pdf = render_pdf(document, resolver, options)
    assert docx.startswith(b"PK") and pdf.startswith(b"%PDF-")

    key = (spec, int(example["example"]))
    ours = squash(visible_text(html, scope={"main", "header"}))
    theirs = squash(visible_text(REFERENCE.render(example["markdown"])))
    if key in POLICY_DIFFERENCES:
        return
    assert ours == theirs


@needs_corpus
def test_policy_differences_are_still_different() -> None:
    """Each listed exception must still differ, or it should come off the list."""
    by_key = {(spec, int(example["example"])): example for spec, example in EXAMPLES}
    for key in POLICY_DIFFERENCES:
        markdown = by_key[key]["markdown"]
        document = parse(markdown, "x.md")
        html = render_html(document, ResourceResolver(Path("."), Reporter("x.md")), RenderOptions())
        assert squash(visible_text(html, scope={"main", "header"})) != squash(
            visible_text(REFERENCE.render(markdown))
        ), key
