"""Writer goldens: the HTML body and the DOCX document.xml of small inputs, kept as readable files so that a
change to what the writers emit shows up in review as a diff. `make goldens` rewrites them after a deliberate change."""

from __future__ import annotations

import difflib
import re
import sys
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from tests.cli_run import run_in

GOLDENS = Path(__file__).resolve().parent / "goldens"
INPUTS = sorted((GOLDENS / "inputs").glob("*.md"))
WORD_PARTS = ("word/document.xml", "word/footnotes.xml")


def html_body(page: str) -> str:
    """The page's <body>: the head holds the stylesheets, which have their own tests."""
    match = re.search(r"<body\b.*?</body>", page, re.DOTALL)
    assert match, "no <body> in the HTML page"
    return match.group(0) + "\n"


def word_part(docx: Path, part: str) -> str:
    """One XML part, one element per line, so that a diff points at the element that changed."""
    with zipfile.ZipFile(docx) as package:
        if part not in package.namelist():
            return ""
        root = etree.fromstring(package.read(part))
    return str(etree.tostring(root, pretty_print=True, encoding="unicode"))


def rendered(output: Path) -> dict[str, str]:
    """Golden file name -> what the writers emit now, for every input."""
    result = run_in(GOLDENS, "inputs", "--html", "--docx", "-o", str(output), "-q")
    assert result.returncode == 0, result.stderr
    texts: dict[str, str] = {}
    for source in INPUTS:
        texts[f"{source.stem}.body.html"] = html_body((output / f"{source.stem}.html").read_text(encoding="utf-8"))
        for part in WORD_PARTS:
            if xml := word_part(output / f"{source.stem}.docx", part):
                texts[f"{source.stem}.{Path(part).name}"] = xml
    return texts


@pytest.fixture(scope="module")
def current(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return rendered(tmp_path_factory.mktemp("goldens"))


def test_every_golden_has_an_input() -> None:
    expected = {path.name for path in (GOLDENS / "expected").iterdir()}
    stems = {name.split(".", 1)[0] for name in expected}
    assert stems == {source.stem for source in INPUTS}


@pytest.mark.parametrize("source", INPUTS, ids=lambda path: path.stem)
def test_writers_emit_the_golden_output(source: Path, current: dict[str, str]) -> None:
    names = sorted(name for name in current if name.split(".", 1)[0] == source.stem)
    for name in names:
        golden = (GOLDENS / "expected" / name).read_text(encoding="utf-8")
        if current[name] != golden:
            diff = "".join(
                difflib.unified_diff(
                    golden.splitlines(keepends=True), current[name].splitlines(keepends=True), name, "now", n=2
                )
            )
            pytest.fail(f"{name} changed; if deliberate, run `make goldens` and review the diff:\n{diff}")


if __name__ == "__main__":
    # `make goldens`: rewrite the expected files from the current writers.
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        texts = rendered(Path(folder))
    expected = GOLDENS / "expected"
    expected.mkdir(exist_ok=True)
    for stale in expected.iterdir():
        stale.unlink()
    for name, text in texts.items():
        (expected / name).write_text(text, encoding="utf-8")
    print(f"wrote {len(texts)} goldens to {expected}", file=sys.stderr)
