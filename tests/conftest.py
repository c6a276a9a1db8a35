from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
CORPUS_DOCS = sorted((SHARED / "corpus" / "docs").glob("*.md"))
SAMPLES = sorted((ROOT / "samples").glob("*.md"))
TEMPLATE = SHARED / "seed" / "technical-template.md"


def spec_examples(name: str) -> list[dict[str, Any]]:
    path = SHARED / "corpus" / name
    examples: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
    return examples


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.fail(f"{SHARED} is missing: the tests read the corpus from ../shared beside the checkout")
    return SHARED


@pytest.fixture(autouse=True)
def private_build_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Exports without -o keep their build cache in the user's cache folder; never the real one in tests."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg-cache")))
