"""The catalogue of diagnostic codes: one severity per code, columns, suppression, and the doc page that lists them."""

from __future__ import annotations

import ast
import dataclasses
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from exporter.cli.main import main
from exporter.model.diagnostics import (
    CATALOGUE,
    Code,
    Diagnostic,
    Reporter,
    UnknownCode,
    code_named,
    stops_strict_export,
    visible,
)
from exporter.read.markdown import parse
from exporter.read.theme import sanitize_theme
from tests.conftest import ROOT

PACKAGE = ROOT / "exporter"
DOC_PAGE = ROOT / "docs" / "diagnostics.md"
CATALOGUE_MODULE = PACKAGE / "model" / "diagnostics.py"

# A broken link whose `#nowhere` starts in column 16 of line 5; nothing else for `check --profile none` to find.
BROKEN_LINK_DOC = "# Plan\n\n## Scope\n\nSee [the plan](#nowhere) for more.\n"
BROKEN_LINK_LINE = "doc.md:5:16: warning: no heading or anchor '#nowhere' [broken-link]"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def broken_link_doc(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    doc = tmp_path / "doc.md"
    doc.write_text(BROKEN_LINK_DOC, encoding="utf-8")
    return doc


# ---------------------------------------------------------------- columns and severities through the CLI


def test_check_prints_the_column_of_a_broken_link(broken_link_doc: Path) -> None:
    code, out, _ = run("check", "--profile", "none", "doc.md")
    assert out.splitlines() == [BROKEN_LINK_LINE]
    assert code == 0  # a warning fails `check` only under --strict

    _, out, _ = run("check", "--profile", "none", "--format", "json", "doc.md")
    assert json.loads(out) == [
        {
            "file": "doc.md",
            "line": 5,
            "column": 16,
            "severity": "warning",
            "code": "broken-link",
            "message": "no heading or anchor '#nowhere'",
        }
    ]


def test_broken_link_has_one_severity_on_export_and_in_check(broken_link_doc: Path) -> None:
    code, _, err = run("doc.md", "--html")
    assert code == 0 and broken_link_doc.with_suffix(".html").exists()  # a warning: the export still writes
    assert BROKEN_LINK_LINE in err.splitlines()  # the same line, column and severity as `check` prints

    code, out, _ = run("check", "--profile", "none", "--strict", "doc.md")
    assert code == 1 and out.splitlines() == [BROKEN_LINK_LINE]


def test_a_ragged_diagram_is_located_by_column_not_by_message_text() -> None:
    text = "# D\n\n```\n+---+\n| a  |\n+---+\n```\n"
    reporter = Reporter("doc.md")
    parse(text, "doc.md", reporter)
    ragged = [item for item in reporter.diagnostics if item.code == Code.DIAGRAM_RAGGED]
    assert ragged and all(item.column > 0 and not item.message.startswith("column") for item in ragged)
    assert str(ragged[0]).startswith(f"doc.md:{ragged[0].line}:{ragged[0].column}: warning: ")


def test_a_diagnostic_without_a_column_prints_as_before() -> None:
    assert str(Diagnostic("doc.md", 3, Code.STATUS, "unknown status 'x'")) == (
        "doc.md:3: warning: unknown status 'x' [status]"
    )
    assert str(Diagnostic("doc.md", 0, Code.PDF, "layout")) == "doc.md: warning: layout [pdf]"
    assert str(Diagnostic("doc.md", 3, Code.PLACEHOLDER, "unfilled", column=7)) == (
        "doc.md:3:7: error: unfilled [placeholder]"
    )


def test_strict_export_stops_on_errors_and_on_the_warnings_it_has_always_stopped_on() -> None:
    assert stops_strict_export(Code.PLACEHOLDER)
    assert stops_strict_export(Code.MISSING_SECTION) and stops_strict_export(Code.BROKEN_LINK)
    assert not stops_strict_export(Code.BOILERPLATE) and not stops_strict_export(Code.UNKNOWN_LANGUAGE)
    finding = Diagnostic("doc.md", 5, Code.BROKEN_LINK, "no heading or anchor '#nowhere'")
    assert str(finding.stopping_export()) == "doc.md:5: error: no heading or anchor '#nowhere' [broken-link]"


def test_the_build_cache_restores_a_diagnostic_and_rejects_one_from_another_version() -> None:
    item = Diagnostic("doc.md", 5, Code.BROKEN_LINK, "no heading or anchor '#nowhere'", 16)
    record = json.loads(json.dumps(dataclasses.asdict(item)))
    assert Diagnostic.from_record(record) == item
    with pytest.raises(ValueError, match="retired-code"):
        Diagnostic.from_record({**record, "code": "retired-code"})


# ---------------------------------------------------------------- suppression


def test_a_reporter_drops_suppressed_codes_and_keeps_the_rest() -> None:
    text = "# T\n\n**Status:** Pending\n\nSee [x](#nowhere).\n"
    everything = Reporter("doc.md")
    parse(text, "doc.md", everything)
    assert {item.code for item in everything.diagnostics} == {Code.STATUS, Code.BROKEN_LINK}

    quieter = Reporter("doc.md", suppressed=frozenset({Code.BROKEN_LINK}))
    parse(text, "doc.md", quieter)
    assert [item.code for item in quieter.diagnostics] == [Code.STATUS]


def test_visible_filters_diagnostics_made_outside_a_reporter() -> None:
    theme = sanitize_theme(
        "mine", '@import "x.css";\n:root { --font-heading: "Serif & Sons"; }\n', "mine.css"
    )  # one dropped rule, one font Word can't take
    assert {item.code for item in theme.warnings} == {Code.THEME_DROPPED, Code.THEME_FONT}
    shown = visible(theme.warnings, frozenset({Code.THEME_DROPPED}))
    assert [str(item) for item in shown] == [str(item) for item in theme.warnings if item.code == Code.THEME_FONT]
    assert visible(theme.warnings, frozenset()) == list(theme.warnings)


# ---------------------------------------------------------------- naming a code


def test_code_named_accepts_what_a_user_types() -> None:
    assert code_named("broken-link") is Code.BROKEN_LINK
    assert code_named(" Missing-Glyph ") is Code.MISSING_GLYPH
    assert code_named("[pdf]") is Code.PDF  # pasted from a warning line


@pytest.mark.parametrize(
    ("typed", "suggestion"),
    [("broken-links", "broken-link"), ("missing_glyph", "missing-glyph"), ("resource-too-big", "resource-too-large")],
)
def test_an_unknown_code_is_one_line_with_a_suggestion(typed: str, suggestion: str) -> None:
    with pytest.raises(UnknownCode) as raised:
        code_named(typed)
    message = str(raised.value)
    assert "\n" not in message and repr(typed) in message and f"did you mean {suggestion!r}?" in message
    assert isinstance(raised.value, ValueError)


def test_an_unknown_code_with_nothing_close_points_to_the_list() -> None:
    with pytest.raises(UnknownCode, match=r"unknown diagnostic code 'zzz'; docs/diagnostics\.md lists them$"):
        code_named("zzz")


# ---------------------------------------------------------------- the catalogue, the doc page and the code


def _documented() -> dict[str, str]:
    """Code -> severity from the doc page's table."""
    rows = re.findall(r"^\| `([a-z0-9-]+)` \| (\w+) \|", DOC_PAGE.read_text(encoding="utf-8"), flags=re.MULTILINE)
    assert len(rows) == len(dict(rows)), "a code is listed twice"
    return dict(rows)


def test_every_code_has_one_catalogue_entry_with_a_one_line_summary() -> None:
    assert set(CATALOGUE) == set(Code)
    for code, info in CATALOGUE.items():
        assert info.severity in ("error", "warning", "info"), code
        assert info.summary and "\n" not in info.summary, code


def test_the_doc_page_lists_exactly_the_codes_with_their_severities() -> None:
    documented = _documented()
    assert sorted(set(documented) - {code.value for code in Code}) == [], "documented but never emitted"
    assert sorted({code.value for code in Code} - set(documented)) == [], "emitted but not documented"
    assert {code.value: CATALOGUE[code].severity for code in Code} == documented


_CODE_ARGUMENT = {"warn": 1, "Diagnostic": 2, "Finding": 3, "Refused": 0}  # position of the code argument


def _modules() -> list[tuple[Path, ast.Module]]:
    return [(path, ast.parse(path.read_text(encoding="utf-8"))) for path in sorted(PACKAGE.rglob("*.py"))]


def _called_name(call: ast.Call) -> str:
    match call.func:
        case ast.Attribute(attr=name) | ast.Name(id=name):
            return name
        case _:
            return ""


def test_no_diagnostic_is_emitted_with_a_free_string_code() -> None:
    values = {code.value for code in Code}
    offenders = []
    for path, module in _modules():
        if path == CATALOGUE_MODULE:
            continue
        for node in ast.walk(module):
            if isinstance(node, ast.Call) and (position := _CODE_ARGUMENT.get(_called_name(node))) is not None:
                passed = [keyword.value for keyword in node.keywords if keyword.arg == "code"]
                passed += node.args[position : position + 1]
                offenders += [
                    f"{path.relative_to(ROOT)}:{node.lineno}: {_called_name(node)}(...) with a string code"
                    for argument in passed
                    if isinstance(argument, ast.Constant | ast.JoinedStr)
                ]
            # A code spelt as a string anywhere else (a lookup table keyed by codes) drifts from the catalogue.
            elif isinstance(node, ast.Constant) and node.value in values and "-" in str(node.value):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.value!r} spelt as a string")
    assert offenders == []


def test_every_catalogued_code_is_emitted_somewhere() -> None:
    used = {
        node.attr
        for path, module in _modules()
        if path != CATALOGUE_MODULE
        for node in ast.walk(module)
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "Code"
    }
    assert sorted(code.name for code in Code if code.name not in used) == []
