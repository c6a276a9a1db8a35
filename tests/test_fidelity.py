"""The fidelity suite: every real design document in ../shared/corpus/docs, exported once to all three formats,
keeps what pandoc reads from it (tests/fidelity.py says how each measure is taken).

`make fidelity` runs it alone and prints the summary table (also written to out/fidelity.txt); under plain
pytest the table goes to the session's temporary folder, and `pytest -s` shows it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import CORPUS_DOCS, ROOT, corpus_cases, needs_corpus
from tests.fidelity import (
    FORMATS,
    THRESHOLD_PERCENT,
    DocumentFidelity,
    count_raw_html,
    docx_words,
    kept_share,
    pandoc_reference,
    pdf_words,
    read_html,
    summary_table,
    words,
)

pytestmark = pytest.mark.xdist_group("fidelity")  # one worker exports the corpus once for every test here

SUMMARY_ENV = "FIDELITY_SUMMARY"  # also write the summary table to this path (make fidelity: out/fidelity.txt)
EXPORT_TIMEOUT_SECONDS = 1200


@dataclass
class CorpusFidelity:
    """The corpus exported once (one batch, two workers, tagged PDFs); each document measured when a test first
    asks."""

    folder: Path
    raw_html_warnings: dict[str, list[str]]  # by source stem
    errors: dict[str, str]  # by source stem: why the document did not export
    measured: dict[str, DocumentFidelity] = field(default_factory=dict)

    def of(self, source: Path) -> DocumentFidelity:
        assert source.stem not in self.errors, self.errors[source.stem]
        if source.stem not in self.measured:
            outputs = {fmt: self.folder / f"{source.stem}.{fmt}" for fmt in FORMATS}
            warnings = self.raw_html_warnings.get(source.stem, [])
            self.measured[source.stem] = DocumentFidelity(source, outputs, warnings)
        return self.measured[source.stem]


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> CorpusFidelity:
    folder = tmp_path_factory.mktemp("fidelity")
    report_path = folder / "report.json"
    environment = dict(os.environ, XDG_CACHE_HOME=str(folder / "xdg-cache"))
    environment["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), environment.get("PYTHONPATH")]))
    command = [sys.executable, "-m", "exporter", *map(str, CORPUS_DOCS), "-o", str(folder), "-j", "2", "--force"]
    # Tagged PDFs: their TD/TH elements tell tests/pdf_checks.py where the table cells are.
    completed = subprocess.run(
        [*command, "--pdf-variant", "pdf/ua-1", "-q", "--report", str(report_path)],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=EXPORT_TIMEOUT_SECONDS,
        stdin=subprocess.DEVNULL,
    )
    assert report_path.exists(), f"the batch wrote no report (exit {completed.returncode}):\n{completed.stderr}"
    report = json.loads(report_path.read_text(encoding="utf-8"))
    warnings: dict[str, list[str]] = {}
    errors: dict[str, str] = {}
    for entry in report["documents"]:
        stem = Path(entry["source"]).stem
        warnings[stem] = [item["message"] for item in entry["diagnostics"] if item["code"] == "raw-html"]
        if entry["status"] != "exported":
            errors[stem] = entry["error"] or entry["status"]
    return CorpusFidelity(folder, warnings, errors)


DOCUMENTS = corpus_cases(CORPUS_DOCS)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("source", DOCUMENTS, ids=lambda path: path.stem)
def test_every_word_pandoc_reads_is_kept(source: Path, fmt: str, corpus: CorpusFidelity) -> None:
    share = corpus.of(source).shares[fmt]
    assert share.percent >= THRESHOLD_PERCENT, (
        f"{source.stem}.{fmt} keeps {share.percent:.2f} % of pandoc's {share.total} words "
        f"(under {THRESHOLD_PERCENT} %); missing: {share.worst_missing()}"
    )


@pytest.mark.parametrize("source", DOCUMENTS, ids=lambda path: path.stem)
def test_raw_html_elements_are_mapped_or_dropped_with_a_warning(source: Path, corpus: CorpusFidelity) -> None:
    raw_html = corpus.of(source).raw_html
    lost = ", ".join(f"{kind} ×{count}" for kind, count in sorted(raw_html.flattened.items()))
    assert not raw_html.flattened, f"raw HTML that lost its form without a raw-html warning: {lost}"


@pytest.mark.parametrize("source", DOCUMENTS, ids=lambda path: path.stem)
def test_no_word_is_broken_in_the_cells_of_a_table_that_fits(source: Path, corpus: CorpusFidelity) -> None:
    where_fits, _anywhere = corpus.of(source).broken
    assert where_fits == []


@needs_corpus
def test_every_corpus_document_exports_and_the_summary_is_written(corpus: CorpusFidelity) -> None:
    results = [corpus.of(source) for source in CORPUS_DOCS if source.stem not in corpus.errors]
    table = summary_table(results)
    destinations = [corpus.folder / "fidelity.txt"]
    if wanted := os.environ.get(SUMMARY_ENV):
        destinations.append(ROOT / wanted)
    for destination in destinations:
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_text(table, encoding="utf-8")
    print(f"\n{table}written to {', '.join(map(str, destinations))}")
    assert corpus.errors == {}


# ------------------------------------------------------------- the measures themselves, on small inputs


def test_typography_and_case_do_not_count_as_lost_words() -> None:
    typed = words('"Don\'t" -- stop... ﬁle FULL-WIDTH Ｘ 日本語')
    printed = words("“Don’t” — stop… file full‐width X 日本語")
    assert kept_share(typed, printed).percent == 100.0


def test_a_paragraph_lost_from_the_html_is_reported_missing(tmp_path: Path) -> None:
    source = tmp_path / "doc.md"
    source.write_text("# Title\n\nKept paragraph.\n\nLost paragraph with zanzibar.\n", encoding="utf-8")
    page = tmp_path / "doc.html"
    page.write_text("<h1>Title</h1><p>Kept paragraph.</p>", encoding="utf-8")
    share = kept_share(pandoc_reference(source).words, read_html(page).words)
    assert share.percent < THRESHOLD_PERCENT
    # "paragraph" is counted too: the page has it once, the source twice.
    assert share.missing == {"lost": 1, "paragraph": 1, "with": 1, "zanzibar": 1}


def test_raw_html_flattened_without_a_warning_is_counted_and_a_warning_covers_it(tmp_path: Path) -> None:
    source = tmp_path / "doc.md"
    source.write_text("Before.\n\n<table>\n<tr><td>cell</td></tr>\n</table>\n\nAfter.\n", encoding="utf-8")
    reference = pandoc_reference(source)
    flattened, kept = tmp_path / "flattened.html", tmp_path / "kept.html"
    flattened.write_text("<p>Before.</p><p>cell</p><p>After.</p>", encoding="utf-8")
    kept.write_text("<p>Before.</p><table><tr><td>cell</td></tr></table><p>After.</p>", encoding="utf-8")

    silent = count_raw_html(reference, read_html(flattened), [])
    assert (silent.seen, silent.mapped, dict(silent.flattened)) == (3, 0, {"table": 1, "row": 1, "cell": 1})
    assert count_raw_html(reference, read_html(kept), []).mapped == 3
    warned = count_raw_html(reference, read_html(flattened), ["dropped <table>", "dropped <tr>", "dropped <td>"])
    assert (warned.dropped, dict(warned.flattened)) == (3, {})


def test_pdf_and_docx_words_come_from_what_the_reader_sees(tmp_path: Path) -> None:
    source = tmp_path / "doc.md"
    long_word = "supercalifragilisticexpialidocious" * 3
    markdown = f"# Fidelity\n\nA {long_word} word, and a `Tensor`s plural.[^1]\n\n[^1]: A note.\n"
    source.write_text(markdown, encoding="utf-8")
    reference = pandoc_reference(source).words
    completed = subprocess.run(
        [sys.executable, "-m", "exporter", str(source), "--pdf", "--docx", "-o", str(tmp_path), "-q"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr
    assert kept_share(reference, pdf_words(tmp_path / "doc.pdf")).missing == {}
    assert kept_share(reference, docx_words(tmp_path / "doc.docx")).missing == {}
