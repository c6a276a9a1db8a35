"""The logic of benchmarks/pandoc_compare.py: verdicts, document choice, the WeasyPrint-alone capture.

Nothing here is timed: the numbers are made up, and the one test that runs WeasyPrint checks what the capture
writes, not how long it takes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path[:0] = [str(BENCHMARKS), str(BENCHMARKS / "capture")]

from bench_process import rss_and_pss_kib  # noqa: E402
from bench_selection import memory_document, repeated, scaling_documents, select_documents  # noqa: E402
from bench_targets import (  # noqa: E402
    INFO,
    MISS,
    NOT_MEASURED,
    PASS,
    SKIPPED,
    Pair,
    exit_status,
    limit_row,
    ratio_row,
    scaling_row,
    skipped_row,
)
from weasyprint_capture import cli_arguments, rewrite_urls  # noqa: E402

# One document at 0.25 x pandoc, one at 0.75 x: 0.5 x in total.
MIXED = [Pair("fast.md", 1.0, 4.0, 0.5, 2.0), Pair("slow.md", 3.0, 4.0, 1.5, 2.0)]


def test_a_target_on_every_document_is_missed_by_its_worst_document_even_when_the_total_meets_it() -> None:
    row = ratio_row("docx", "DOCX", 0.5, MIXED, every_document=True, reference="pandoc docx")
    assert row.verdict == MISS
    assert row.data["worst_document"] == "slow.md" and row.data["value"] == 0.75
    assert row.data["total_ratio"] == 0.5 and row.data["over_limit"] == ["slow.md"]
    assert "worst 0.75 (slow.md)" in row.measured and "1 of 2 over" in row.measured


def test_a_target_on_the_total_is_met_by_the_sum_of_medians() -> None:
    row = ratio_row("html", "HTML", 0.5, MIXED, every_document=False, reference="pandoc html")
    assert row.verdict == PASS and row.data["value"] == 0.5
    assert row.data["total_cpu_ratio"] == 0.5


def test_a_document_we_fail_to_export_misses_the_target_and_one_pandoc_fails_on_is_left_out_by_name() -> None:
    pairs = [*MIXED[:1], Pair("broken.md", None, 4.0), Pair("pandoc-fails.md", 1.0, None)]
    row = ratio_row("html", "HTML", 0.5, pairs, every_document=False, reference="pandoc html")
    assert row.verdict == MISS
    assert row.data["designexport_failed"] == ["broken.md"] and row.data["reference_failed"] == ["pandoc-fails.md"]
    assert row.data["documents"] == 1 and "pandoc-fails.md" in row.measured and "broken.md" in row.measured


def test_a_target_nothing_could_be_compared_on_is_not_measured_and_counts_as_missed() -> None:
    row = ratio_row("pdf", "PDF", 1.15, [Pair("a.md", 2.0, None)], every_document=False, reference="weasyprint")
    assert row.verdict == NOT_MEASURED and row.missed
    everything_failed = ratio_row("all", "all", 0.5, [Pair("a.md", None, 2.0)], every_document=False, reference="x")
    assert everything_failed.verdict == MISS


def test_informational_and_skipped_rows_never_decide_the_exit_status() -> None:
    info = ratio_row("floor", "HTML vs floor", None, MIXED, every_document=False, reference="import+parse")
    skipped = skipped_row("version_ms", "--version", 100.0, "ms", "section not run")
    assert info.verdict == INFO and skipped.verdict == SKIPPED
    assert exit_status([info, skipped]) == 0
    missed = limit_row("version_ms", "--version", 120.0, 100.0, "ms", "120 ms", "median", {})
    assert missed.verdict == MISS and exit_status([info, skipped, missed]) == 1
    unmeasured = limit_row("peak_rss_mib", "memory", None, 300.0, "MiB", "export failed", "", {})
    assert unmeasured.verdict == NOT_MEASURED and exit_status([unmeasured]) == 1


def test_scaling_compares_the_longer_documents_wall_time_with_the_originals() -> None:
    met = scaling_row("scaling_sample_pdf", "10 x, pdf", 11.0, (2.0, 1.0), (21.0, 10.5))
    assert met.verdict == PASS and met.data["value"] == 10.5 and met.data["cpu_ratio"] == 10.5
    assert scaling_row("s", "10 x", 11.0, (2.0, 1.0), (23.0, 11.0)).verdict == MISS
    failed = scaling_row("s", "10 x", 11.0, (2.0, 1.0), None, "exit 1: boom")
    assert failed.verdict == MISS and "boom" in failed.measured


def test_the_longer_document_repeats_the_body_but_keeps_one_title_and_front_matter() -> None:
    text = "---\ntitle: T\n---\n# Title\n\nIntro.\n\n## One\n\nBody.\n"
    longer = repeated(text, 3)
    assert longer.count("title: T") == 1 and longer.count("# Title") == 1
    assert longer.count("## One") == 3 and longer.count("Body.") == 3


def make_documents(folder: Path, sizes: dict[str, int]) -> list[Path]:
    folder.mkdir()
    paths = []
    for name, size in sizes.items():
        path = folder / name
        path.write_text("x" * size, encoding="utf-8")
        paths.append(path)
    return paths


def test_documents_are_chosen_by_pattern_or_for_a_quick_run_by_size(tmp_path: Path) -> None:
    samples = make_documents(tmp_path / "samples", {"big.md": 300, "small.md": 100})
    corpus = make_documents(tmp_path / "corpus", {"a.md": 50, "b.md": 500, "c.md": 200})
    assert [p.name for p, _ in select_documents(samples, corpus, None, False, 2)] == [
        "big.md", "small.md", "a.md", "b.md", "c.md",
    ]  # fmt: skip
    assert select_documents(samples, corpus, ["b*"], False, 2) == [(samples[0], "sample"), (corpus[1], "corpus")]
    assert select_documents(samples, corpus, None, True, 2) == [(samples[1], "sample"), (corpus[0], "corpus")]


def test_the_documents_made_longer_and_the_one_whose_memory_is_judged(tmp_path: Path) -> None:
    samples = make_documents(tmp_path / "samples", {"big.md": 300, "small.md": 100})
    corpus = make_documents(tmp_path / "corpus", {"a.md": 50, "b.md": 500, "c.md": 200})
    everything = select_documents(samples, corpus, None, False, 2)
    full = scaling_documents(everything, samples, corpus, "c.md", quick=False, filtered=False)
    assert full == [(samples[0], "sample"), (corpus[2], "corpus")]
    missing_preferred = scaling_documents(everything, samples, corpus, "gone.md", quick=False, filtered=False)
    assert missing_preferred[1] == (corpus[2], "corpus")  # the median size
    chosen = [(samples[1], "sample"), (corpus[1], "corpus")]
    assert scaling_documents(chosen, samples, corpus, "c.md", quick=False, filtered=True) == chosen
    assert scaling_documents(chosen, samples, corpus, "c.md", quick=True, filtered=False) == chosen[:1]
    assert memory_document(everything, corpus, subset=False) == corpus[1]
    assert memory_document([(samples[0], "sample"), (corpus[0], "corpus")], corpus, subset=True) == corpus[0]


def test_memory_of_a_process_is_read_from_its_smaps_rollup() -> None:
    rollup = b"55d0-7ffe ---p 00000000 00:00 0  [rollup]\nRss:     2048 kB\nPss:      512 kB\nPss_Anon: 100 kB\n"
    assert rss_and_pss_kib(rollup) == (2048, 512)


def test_captured_urls_become_file_names_whether_written_plainly_or_escaped() -> None:
    page = '<img src="designexport-image:1"><img src="a?x=1&amp;y=2"><img src="designexport-image:10">'
    files = {
        "designexport-image:1": "res-1.png",
        "designexport-image:10": "res-2.png",
        "a?x=1&y=2": "res-3.svg",
        "never-used": "res-4.bin",
    }
    rewritten, absent = rewrite_urls(page, files)
    assert rewritten == '<img src="res-1.png"><img src="res-3.svg"><img src="res-2.png">'
    assert absent == ["never-used"]


def test_captured_options_become_weasyprint_flags_and_unknown_ones_are_named() -> None:
    defaults = {"pdf_variant": None, "pdf_identifier": None, "pdf_tags": False, "stylesheets": None, "zoom": 1}
    options = {"pdf_variant": "pdf/a-3b", "pdf_identifier": b"abc", "pdf_tags": True, "stylesheets": ["x"], "zoom": 2}
    flags, missing = cli_arguments(options, defaults)
    assert flags == ["--pdf-identifier", "abc", "--pdf-tags", "--pdf-variant", "pdf/a-3b"]
    assert missing == ["zoom"]
    assert cli_arguments({"pdf_variant": None}, defaults) == ([], [])


CAPTURED_PROGRAM = """
import weasyprint
from weasyprint.urls import URLFetcher, URLFetcherResponse
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de0000000c49444154789c63f8cfc000"
    "0003010100c9fe92ef0000000049454e44ae426082"
)
class Images(URLFetcher):
    def fetch(self, url, headers=None):
        return URLFetcherResponse(url, PNG, {"Content-Type": "image/png"})
page = '<html><body><p>Hello</p><img src="designexport-image:1"></body></html>'
html = weasyprint.HTML(string=page, base_url=None, url_fetcher=Images())
sheet = weasyprint.CSS(string="p { color: red }")
html.render(stylesheets=[sheet]).write_pdf(pdf_identifier=b"0123")
"""


def test_the_capture_hook_writes_what_the_weasyprint_command_needs_to_lay_out_the_same_page(tmp_path: Path) -> None:
    environment = {
        **os.environ,
        "DESIGNEXPORT_BENCH_CAPTURE": str(tmp_path / "captured"),
        "PYTHONPATH": str(BENCHMARKS / "capture"),
    }
    completed = subprocess.run(
        [sys.executable, "-c", CAPTURED_PROGRAM], env=environment, capture_output=True, text=True, check=False
    )
    assert completed.returncode == 0, completed.stderr
    [folder] = (tmp_path / "captured").iterdir()
    record = json.loads((folder / "capture.json").read_text(encoding="utf-8"))
    assert record["problems"] == [] and record["layout_passes"] == 1
    assert record["arguments"] == ["--encoding", "utf-8", "--stylesheet", "style-1.css", "--pdf-identifier", "0123"]
    assert '<img src="res-1.png">' in (folder / "page.html").read_text(encoding="utf-8")
    assert (folder / "res-1.png").read_bytes().startswith(b"\x89PNG")
    assert (folder / "style-1.css").read_text(encoding="utf-8") == "p { color: red }"


def test_without_the_variable_the_hook_changes_nothing(tmp_path: Path) -> None:
    environment = {key: value for key, value in os.environ.items() if key != "DESIGNEXPORT_BENCH_CAPTURE"}
    environment["PYTHONPATH"] = str(BENCHMARKS / "capture")
    probe = "import sys; print('weasyprint' in sys.modules)"
    completed = subprocess.run(
        [sys.executable, "-c", probe], env=environment, capture_output=True, text=True, check=True
    )
    assert completed.stdout.strip() == "False"
