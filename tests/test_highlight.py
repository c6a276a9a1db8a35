"""Syntax highlighting keeps every character of the code, whatever the lexer."""

from __future__ import annotations

import pytest

from exporter.render.highlight import highlight_lines


def shown(code: str, language: str) -> list[str]:
    return ["".join(run.text for run in line) for line in highlight_lines(code, language)]


@pytest.mark.parametrize("language", ["console", "shell-session", "python", "text", "no-such-language", ""])
def test_the_last_line_without_a_newline_is_kept(language: str) -> None:
    # Pygments' console lexer dropped a final line with no newline: the last line of a KEP's listing vanished.
    code = "$ tree /mnt\n└── file\nDigest: sha256:ab12"
    assert shown(code, language) == code.split("\n")


@pytest.mark.parametrize("code", ["x = 1\n", "x = 1\n\n", "\n", ""])
def test_trailing_newlines_stay_as_written(code: str) -> None:
    assert shown(code, "python") == code.removesuffix("\n").split("\n")


def css_classes(code: str, language: str) -> set[str]:
    return {run.css_class for line in highlight_lines(code, language) for run in line}


@pytest.mark.parametrize("language", ["python", "Python", "PY", "py3"])
def test_a_language_is_highlighted_under_any_of_its_names_in_any_case(language: str) -> None:
    assert "k" in css_classes("def f():\n    return None\n", language)  # `def` and `return` are keywords


@pytest.mark.parametrize("language", ["mermaid", "no-such-language", "x"])
def test_a_fence_in_a_language_no_lexer_knows_is_plain_text(language: str) -> None:
    lines = highlight_lines("graph TD\n  A --> B", language)
    assert [[(run.text, run.css_class) for run in line] for line in lines] == [[("graph TD", "")], [("  A --> B", "")]]
