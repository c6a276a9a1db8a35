"""Where the tests find their inputs, and what they do when ../shared is not beside the checkout.

The corpus of real design documents, the spec examples and the seed template live in ../shared, which only our
own CI checkout has. On a fresh clone every test that needs it skips with one reason, CORPUS_MISSING, counted in
one line at the end of the run; with DESIGNEXPORT_REQUIRE_CORPUS=1 (.ci/run) the same tests fail instead, so CI
can never skip them silently.
"""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Generator, Iterable
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus"
CORPUS_FOUND = CORPUS.is_dir()
CORPUS_MISSING = "../shared/corpus not found"
REQUIRE_CORPUS_VARIABLE = "DESIGNEXPORT_REQUIRE_CORPUS"
CORPUS_DOCS = sorted((CORPUS / "docs").glob("*.md"))
SAMPLES = sorted((ROOT / "samples").glob("*.md"))
SEED_TEMPLATE = SHARED / "seed" / "technical-template.md"
# The repository's own copy is the seed, byte for byte (test_design_docs checks it whenever ../shared is there),
# so a fresh clone reads that one.
TEMPLATE = SEED_TEMPLATE if SEED_TEMPLATE.is_file() else ROOT / "templates" / "technical-template.md"

needs_corpus = pytest.mark.needs_corpus


def require_corpus() -> None:
    """Inside a test: skips it when ../shared is missing, or fails it when CI requires the corpus."""
    if CORPUS_FOUND:
        return
    if os.environ.get(REQUIRE_CORPUS_VARIABLE) == "1":
        pytest.fail(f"{CORPUS_MISSING}, and {REQUIRE_CORPUS_VARIABLE}=1 requires it", pytrace=False)
    pytest.skip(CORPUS_MISSING)


def corpus_doc(prefix: str) -> Path:
    """Inside a test: the corpus document whose file name starts with `prefix` (skips without ../shared)."""
    require_corpus()
    found = [path for path in CORPUS_DOCS if path.name.startswith(prefix)]
    if not found:
        pytest.fail(f"no document named {prefix}* in {CORPUS / 'docs'}")
    return found[0]


def corpus_docs(*prefixes: str) -> list[Path]:
    """For parametrizing: the corpus documents whose file names start with these prefixes, in that order;
    none without ../shared (wrap them in corpus_cases so the run says so)."""
    if not CORPUS_FOUND:
        return []
    found = [next((path for path in CORPUS_DOCS if path.name.startswith(prefix)), None) for prefix in prefixes]
    missing = [prefix for prefix, path in zip(prefixes, found, strict=True) if path is None]
    if missing:
        raise LookupError(f"no document named {', '.join(missing)}* in {CORPUS / 'docs'}")
    return [path for path in found if path is not None]


def corpus_cases(cases: Iterable[Any], values: int = 1) -> list[Any]:
    """Parameters that read the corpus: `cases` (read only when ../shared is there), else one stand-in case
    named `corpus` that skips with CORPUS_MISSING (or fails in CI), not pytest's "got empty parameter set"."""
    return list(cases) if CORPUS_FOUND else corpus_stand_in(values)


def corpus_stand_in(values: int = 1) -> list[Any]:
    """The case standing in for the corpus cases a parametrization leaves out without ../shared; none with it."""
    if CORPUS_FOUND:
        return []
    return [pytest.param(*([None] * values), id="corpus", marks=needs_corpus)]


def spec_examples(name: str) -> list[dict[str, Any]]:
    """The spec's examples, from ../shared/corpus; none without it (wrap them in corpus_cases)."""
    path = CORPUS / name
    if not CORPUS_FOUND:
        return []
    examples: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
    return examples


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "needs_corpus: reads ../shared/corpus; skips without it (fails in CI)")


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Before any fixture is set up, so a session fixture that exports the corpus never starts without it."""
    if item.get_closest_marker("needs_corpus") is not None:
        require_corpus()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> Generator[None]:
    """One line for all the corpus skips, after pytest's short summary (a skip's longrepr is
    (file, line, "Skipped: reason"))."""
    yield
    skipped = [
        report
        for report in terminalreporter.stats.get("skipped", [])
        if isinstance(report.longrepr, tuple | list) and str(report.longrepr[-1]).endswith(CORPUS_MISSING)
    ]
    if skipped:
        terminalreporter.write_line(
            f"{len(skipped)} corpus tests skipped: {CORPUS_MISSING} (CI sets {REQUIRE_CORPUS_VARIABLE}=1 to fail them)"
        )


@pytest.fixture(autouse=True)
def private_build_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Exports without -o keep their build cache in the user's cache folder; never the real one in tests."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg-cache")))


@pytest.fixture
def signal_handlers() -> Generator[None]:
    """Puts SIGINT and SIGTERM back as they were after a test that changes them in this process."""
    before = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM)}
    yield
    for number, handler in before.items():
        if handler is not None:
            signal.signal(number, handler)
