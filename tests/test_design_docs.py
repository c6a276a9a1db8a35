"""Design-document awareness: `new` from the template, `check` lint findings, status metadata."""

from __future__ import annotations

import json
import zipfile
from collections import Counter
from datetime import date
from pathlib import Path

import pdfplumber
import pytest
from click.testing import CliRunner

from exporter.cli.main import main
from exporter.run.check import check_document, default_template_path, load_template_sections
from tests.conftest import CORPUS_DOCS, ROOT, SAMPLES, SEED_TEMPLATE, TEMPLATE, require_corpus

CHECK_FIXTURES = ROOT / "tests" / "fixtures" / "check"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def codes(output: str) -> list[str]:
    return [line.rsplit(" [", 1)[1].rstrip("]") for line in output.splitlines()]


# ---------------------------------------------------------------- new


def test_template_is_the_seed_template() -> None:
    require_corpus()  # the seed lives in ../shared with the corpus
    assert default_template_path().read_text(encoding="utf-8") == SEED_TEMPLATE.read_text(encoding="utf-8")


def test_new_fills_the_template(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, _ = run("new", "Payment Retry", "--req", "PAY-142")
    assert code == 0, out
    written = (tmp_path / "payment-retry.md").read_text(encoding="utf-8")
    assert written.startswith(
        "# Payment Retry Technical Design\n\n**Requirement:** PAY-142\n**Status:** Draft\n"
        f"**Last Updated:** {date.today().isoformat()}\n"
    )
    assert "{{" not in written


def test_new_sets_status_and_output(tmp_path: Path) -> None:
    target = tmp_path / "retry.md"
    code, _, _ = run("new", "Retry", "--req", "R-1", "--status", "In Review", "-o", str(target))
    assert code == 0
    assert "**Status:** In Review\n" in target.read_text(encoding="utf-8")


def test_new_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    target = tmp_path / "doc.md"
    target.write_text("mine\n", encoding="utf-8")
    code, _, err = run("new", "Retry", "--req", "R-1", "-o", str(target))
    assert code == 1
    assert len(err.strip().splitlines()) == 1 and "--force" in err
    assert target.read_text(encoding="utf-8") == "mine\n"
    code, _, _ = run("new", "Retry", "--req", "R-1", "-o", str(target), "--force")
    assert code == 0 and target.read_text(encoding="utf-8").startswith("# Retry Technical Design")


def test_new_then_check_has_boilerplate_but_no_placeholders(tmp_path: Path) -> None:
    target = tmp_path / "doc.md"
    assert run("new", "Retry", "--req", "R-1", "-o", str(target))[0] == 0
    code, out, _ = run("check", str(target))
    found = codes(out)
    assert "placeholder" not in found
    assert "boilerplate" in found
    assert code == 0
    assert run("check", "--strict", str(target))[0] == 1


# ---------------------------------------------------------------- check


def test_check_reports_each_placeholder_of_the_seed_template() -> None:
    code, out, _ = run("check", str(TEMPLATE))
    assert code == 1
    placeholders = [line for line in out.splitlines() if ": error: " in line and line.endswith(" [placeholder]")]
    assert [line.split(": error")[0].split(":")[-2:] for line in placeholders] == [
        ["1", "3"],
        ["3", "18"],
        ["5", "19"],
    ]
    assert "{{FEATURE}}" in placeholders[0] and "{{REQ_ID}}" in placeholders[1] and "{{DATE}}" in placeholders[2]
    assert "section 'Technical Overview' is still template text" in out


@pytest.mark.parametrize("sample", SAMPLES, ids=[path.stem for path in SAMPLES])
def test_samples_check_clean(sample: Path) -> None:
    code, out, err = run("check", str(sample))
    assert (code, out, err) == (0, "", "")


def test_seeded_faults_match_the_golden_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(CHECK_FIXTURES)
    code, out, _ = run("check", "seeded.md")
    assert code == 1
    assert out == (CHECK_FIXTURES / "seeded.expected").read_text(encoding="utf-8")


def test_json_format_lists_findings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(CHECK_FIXTURES)
    code, out, _ = run("check", "--format", "json", "seeded.md")
    findings = json.loads(out)
    assert code == 1
    assert findings[3] == {
        "file": "seeded.md",
        "line": 10,
        "column": 24,
        "severity": "error",
        "code": "placeholder",
        "message": "unfilled placeholder {{OWNER}}",
    }


def test_profile_none_skips_required_sections(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(CHECK_FIXTURES)
    _, out, _ = run("check", "--profile", "none", "seeded.md")
    assert "missing-section" not in codes(out)


def test_company_template_drives_boilerplate_and_sections(tmp_path: Path) -> None:
    template = tmp_path / "company.md"
    template.write_text("# {{FEATURE}}\n\n## Context\n\nWhy we are doing this.\n\n## Decision\n\nWhat.\n")
    doc = tmp_path / "doc.md"
    doc.write_text("# Thing\n\n## Context\n\nWhy we are doing this.\n")
    code, out, _ = run("check", "--template", str(template), str(doc))
    assert code == 0
    assert codes(out) == ["missing-section", "boilerplate"]


def test_check_finds_broken_links_however_deeply_they_are_nested(tmp_path: Path) -> None:
    source = tmp_path / "nested.md"
    source.write_text(
        "# Nested\n\n## Real\n\n"
        "> - item with **bold [a](#gone-quote)**\n\n"
        "| a | b |\n|---|---|\n| x | ~~[b](#gone-table)~~ |\n\n"
        "<details><summary>More</summary>\n\nInside *[c](#gone-details)*.\n\n</details>\n\n"
        "Text.[^1] [fine](#real)\n\n[^1]: See <sup>[d](#gone-note)</sup>.\n",
        encoding="utf-8",
    )
    _, out, _ = run("check", "--format", "json", "--profile", "none", str(source))
    findings = [finding for finding in json.loads(out) if finding["code"] == "broken-link"]
    assert [(finding["line"], finding["message"]) for finding in findings] == [
        (5, "no heading or anchor '#gone-quote'"),
        (9, "no heading or anchor '#gone-table'"),
        (13, "no heading or anchor '#gone-details'"),
        (19, "no heading or anchor '#gone-note'"),
    ]


def test_missing_file_is_one_line_error(tmp_path: Path) -> None:
    code, out, err = run("check", str(tmp_path / "absent.md"))
    assert code == 1 and out == ""
    assert err.strip().endswith("absent.md: error: no such file") and len(err.strip().splitlines()) == 1


def test_usage_error_exits_2() -> None:
    assert run("check", "--format", "xml", "doc.md")[0] == 2


def test_corpus_checks_without_crashing(capsys: pytest.CaptureFixture[str]) -> None:
    require_corpus()
    template = load_template_sections(default_template_path().read_text(encoding="utf-8"))
    counts: Counter[str] = Counter()
    for path in CORPUS_DOCS:
        findings = check_document(path.read_text(encoding="utf-8"), path.name, path.parent, template, "none")
        counts.update(finding.code for finding in findings)
    with capsys.disabled():
        print(f"\ncheck --profile none over {len(CORPUS_DOCS)} corpus docs: {dict(sorted(counts.items()))}")
    assert CORPUS_DOCS


# ---------------------------------------------------------------- status metadata


def test_export_prints_status_and_date_warnings(tmp_path: Path) -> None:
    doc = tmp_path / "doc.md"
    doc.write_text("# T\n\n**Status:** Done\n**Last Updated:** 02/01/2026\n\n## A\n\nText.\n", encoding="utf-8")
    code, _, err = run(str(doc), "--html")
    assert code == 0
    assert "doc.md:3: warning: unknown status 'Done'" in err
    assert "doc.md:4: warning: Last Updated '02/01/2026' is not a YYYY-MM-DD date" in err


def test_known_statuses_are_case_insensitive(tmp_path: Path) -> None:
    doc = tmp_path / "doc.md"
    doc.write_text("# T\n\n**Status:** in review\n**Last Updated:** 2026-02-01\n\n## A\n\nText.\n", encoding="utf-8")
    assert run("check", "--profile", "none", str(doc)) == (0, "", "")


# ---------------------------------------------------------------- watermark and --strict

WATERMARKED = """# Watermark Technical Design

**Requirement:** W-1
**Status:** {status}
**Last Updated:** 2026-01-02

## Overview

Some text.

## Details

More text.
"""


def write_doc(folder: Path, status: str) -> Path:
    path = folder / f"{status.lower().replace(' ', '-')}.md"
    path.write_text(WATERMARKED.format(status=status), encoding="utf-8")
    return path


def large_text_per_page(pdf_path: Path) -> list[str]:
    with pdfplumber.open(pdf_path) as pdf:
        return ["".join(char["text"] for char in page.chars if char["size"] > 40) for page in pdf.pages]


def test_pdf_watermark_on_every_page_unless_approved(tmp_path: Path) -> None:
    draft, approved = write_doc(tmp_path, "Draft"), write_doc(tmp_path, "Approved")
    assert run(str(draft), str(approved), "--pdf")[0] == 0
    draft_pages = large_text_per_page(draft.with_suffix(".pdf"))
    assert len(draft_pages) >= 2 and all(text == "DRAFT" for text in draft_pages)
    assert set(large_text_per_page(approved.with_suffix(".pdf"))) == {""}


def test_no_watermark_flag(tmp_path: Path) -> None:
    draft = write_doc(tmp_path, "Draft")
    assert run(str(draft), "--pdf", "--docx", "--no-watermark")[0] == 0
    assert set(large_text_per_page(draft.with_suffix(".pdf"))) == {""}
    assert "textpath" not in header_xml(draft.with_suffix(".docx"))


def header_xml(docx_path: Path) -> str:
    with zipfile.ZipFile(docx_path) as package:
        return "".join(package.read(name).decode("utf-8") for name in package.namelist() if "header" in name)


def test_docx_header_carries_the_watermark(tmp_path: Path) -> None:
    review, approved = write_doc(tmp_path, "In Review"), write_doc(tmp_path, "Approved")
    assert run(str(review), str(approved), "--docx")[0] == 0
    xml = header_xml(review.with_suffix(".docx"))
    assert 'string="IN REVIEW"' in xml and "rotation:325" in xml
    assert "textpath" not in header_xml(approved.with_suffix(".docx"))


def test_export_warns_of_a_dangling_link_once_with_its_line_in_every_format(tmp_path: Path) -> None:
    doc = tmp_path / "doc.md"
    doc.write_text("# T\n\n## A\n\nSee the\n[appendix](#nowhere) and [A](#a).[^1]\n\n[^1]: Or [b](#gone).\n", "utf-8")
    code, _, err = run(str(doc), "--html", "--pdf", "--docx")
    assert code == 0
    warnings = [line for line in err.splitlines() if ": warning: " in line]
    assert warnings == [
        f"{doc}:6:12: warning: no heading or anchor '#nowhere' [broken-link]",
        f"{doc}:8:14: warning: no heading or anchor '#gone' [broken-link]",
    ]  # not repeated per format, and no line-less "No anchor" from WeasyPrint


def test_strict_export_fails_on_errors(tmp_path: Path) -> None:
    doc = tmp_path / "doc.md"
    doc.write_text("# T\n\n## A\n\nOwned by {{OWNER}}; see [b](#nowhere).\n", encoding="utf-8")
    code, _, err = run(str(doc), "--html", "--strict")
    assert code == 1
    assert "doc.md:5: error: unfilled placeholder {{OWNER}} [placeholder]" in err and "[broken-link]" in err
    assert not doc.with_suffix(".html").exists()
    assert run(str(doc), "--html")[0] == 0


def test_configured_watermark_statuses(tmp_path: Path) -> None:
    from exporter.render.options import RenderOptions

    only_review = RenderOptions(watermark_statuses=frozenset({"in review"}))
    assert only_review.watermark_text("In  Review") == "IN REVIEW"
    assert only_review.watermark_text("Draft") == ""
    assert RenderOptions().watermark_text("Approved") == ""
    assert RenderOptions().watermark_text("Draft") == "DRAFT"
    assert RenderOptions(watermark=False).watermark_text("Draft") == ""
    source = tmp_path / "approved.md"
    source.write_text("# Doc\n\n**Status:** Approved\n\nBody.\n", encoding="utf-8")
    result = CliRunner().invoke(main, [str(source), "--pdf", "--watermark-statuses", "approved, draft"])
    assert result.exit_code == 0, result.output
    assert set(large_text_per_page(tmp_path / "approved.pdf")) == {"APPROVED"}
