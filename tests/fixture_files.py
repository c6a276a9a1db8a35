"""Readable golden fixtures, in markdown-it-py's style: a title, `.`, input, `.`, expected, `.`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Fixture:
    path: Path
    title: str
    source: str
    expected: str


def read_fixtures(path: Path) -> list[Fixture]:
    lines = path.read_text(encoding="utf-8").split("\n")
    fixtures: list[Fixture] = []
    index = 0
    while index < len(lines):
        if not lines[index].strip():
            index += 1
            continue
        title = lines[index]
        parts: list[list[str]] = []
        index += 2  # title line and the first "."
        for _ in range(2):
            part: list[str] = []
            while lines[index] != ".":
                part.append(lines[index])
                index += 1
            parts.append(part)
            index += 1
        fixtures.append(Fixture(path, title, "\n".join(parts[0]) + "\n", "\n".join(parts[1])))
    return fixtures


def write_fixtures(path: Path, fixtures: list[tuple[Fixture, str]]) -> None:
    """Rewrites a fixture file with new expected outputs (UPDATE_FIXTURES=1)."""
    chunks = [f"{fixture.title}\n.\n{fixture.source}.\n{actual.rstrip()}\n.\n" for fixture, actual in fixtures]
    path.write_text("\n".join(chunks), encoding="utf-8")
