"""Golden tests of the document tree for each construct (tests/fixtures/tree/*.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from exporter.model.diagnostics import Reporter
from exporter.model.tree import dump
from exporter.read.markdown import parse
from tests.fixture_files import Fixture, read_fixtures, write_fixtures

FIXTURE_DIR = Path(__file__).parent / "fixtures" / "tree"
FIXTURES = [fixture for path in sorted(FIXTURE_DIR.glob("*.md")) for fixture in read_fixtures(path)]


def render_tree(fixture: Fixture) -> str:
    reporter = Reporter("fixture.md")
    document = parse(fixture.source, "fixture.md", reporter)
    warnings = "".join(f"! {diagnostic}\n" for diagnostic in reporter.diagnostics)
    return (dump(document) + warnings).rstrip()


@pytest.mark.parametrize("fixture", FIXTURES, ids=[f"{f.path.stem}: {f.title}" for f in FIXTURES])
def test_tree_matches_golden(fixture: Fixture) -> None:
    assert render_tree(fixture) == fixture.expected


def update_fixtures() -> None:
    """Rewrites the expected trees from the parser's current output; review the diff before committing."""
    for path in sorted(FIXTURE_DIR.glob("*.md")):
        write_fixtures(path, [(fixture, render_tree(fixture)) for fixture in read_fixtures(path)])


if __name__ == "__main__":
    update_fixtures()
