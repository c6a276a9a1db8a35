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
