"""Warnings and errors that name the file and line, as `file:line: severity: message`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Severity = Literal["warning", "error"]


@dataclass(frozen=True, slots=True)
class Diagnostic:
    source: str
    line: int  # 1-based; 0 when no line applies
    severity: Severity
    code: str
    message: str

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line > 0 else self.source
        return f"{where}: {self.severity}: {self.message} [{self.code}]"


@dataclass
class Reporter:
    """Collects the diagnostics of one document's export."""

    source: str
    diagnostics: list[Diagnostic] = field(default_factory=list)
    _seen: set[Diagnostic] = field(default_factory=set, repr=False, compare=False)  # a list search was quadratic

    def warn(self, line: int, code: str, message: str) -> None:
        item = Diagnostic(self.source, line, "warning", code, message)
        if item not in self._seen:
            self._seen.add(item)
            self.diagnostics.append(item)


class ExportError(Exception):
    """A failure that ends one document's export with a one-line message."""

    def __init__(self, source: str, message: str, line: int = 0) -> None:
        self.source = source
        self.line = line
        self.message = message
        where = f"{source}:{line}" if line > 0 else source
        super().__init__(f"{where}: error: {message}")


def locate(lines: list[str], needle: str, start_line: int, reach: int = 1000) -> tuple[int, int]:
    """The first line and column where `needle` appears, searching `reach` lines from `start_line`
    (the start of its block); else the start line."""
    for number in range(max(start_line, 1), min(len(lines), start_line + reach) + 1):
        column = lines[number - 1].find(needle)
        if column >= 0:
            return number, column + 1
    return max(start_line, 1), 1
