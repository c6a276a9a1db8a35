"""The HTML as a browser lays it out, on a phone (390 px) and a desktop (1280 px), for every sample,
the seed template and every corpus document."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from exporter.run.export import ExportSettings, export_document
from tests.browser import measure_layout
from tests.conftest import CORPUS_DOCS, SAMPLES, TEMPLATE

PHONE, DESKTOP = 390, 1280
Layouts = dict[int, dict[str, dict[str, Any]]]  # width -> page name -> what the probe measured


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("layout")
    exported: dict[str, Path] = {}
    for source in [*SAMPLES, TEMPLATE, *CORPUS_DOCS]:
        result = export_document(source, ExportSettings(formats=("html",), output_dir=out / source.parent.name))
        assert not result.error, result.error
        exported[source.stem] = result.outputs[0]
    return exported


@pytest.fixture(scope="module")
def layouts(pages: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Layouts:
    scratch = tmp_path_factory.mktemp("browser")
    return {width: measure_layout(pages, width, scratch) for width in (PHONE, DESKTOP)}


@pytest.mark.parametrize("width", [PHONE, DESKTOP])
def test_every_page_is_laid_out(layouts: Layouts, pages: dict[str, Path], width: int) -> None:
    assert sorted(layouts[width]) == sorted(pages)


@pytest.mark.parametrize("width", [PHONE, DESKTOP])
def test_no_page_scrolls_sideways(layouts: Layouts, width: int) -> None:
    """Wide tables and code scroll inside their own frames; the page itself never does."""
    too_wide = {name: layout["pageWidth"] for name, layout in layouts[width].items() if layout["pageWidth"] > width}
    assert too_wide == {}


@pytest.mark.parametrize("width", [PHONE, DESKTOP])
def test_table_cells_keep_words_whole(layouts: Layouts, width: int) -> None:
    """A table too wide for the screen scrolls rather than splitting "Protocol" into "Proto/col"."""
    broken = {name: layout["brokenWords"] for name, layout in layouts[width].items() if layout["brokenWords"]}
    assert broken == {}


@pytest.mark.parametrize("width", [PHONE, DESKTOP])
def test_diagrams_shrink_to_fit_their_frame(layouts: Layouts, width: int) -> None:
    """A diagram scrolls inside its frame only when fitting it would take its text below 11 px."""
    overflowing = {name: layout["overflowingDiagrams"] for name, layout in layouts[width].items()}
    assert {name: count for name, count in overflowing.items() if count} == {}


READABLE_PX = 11


@pytest.mark.parametrize("width", [PHONE, DESKTOP])
def test_diagram_and_code_text_stays_readable(layouts: Layouts, width: int) -> None:
    """On a phone a wide diagram keeps 11 px text and scrolls, rather than shrinking to 5 px."""
    too_small = {
        (name, kind): round(layout[kind], 1)
        for name, layout in layouts[width].items()
        for kind in ("diagramTextPx", "codeTextPx")
        if layout[kind] is not None and layout[kind] < READABLE_PX - 0.05
    }
    assert too_small == {}
