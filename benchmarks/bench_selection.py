"""Which documents pandoc_compare.py measures, and the 10 x longer documents it makes (no timing here)."""

from __future__ import annotations

import fnmatch
import re
from pathlib import Path

Document = tuple[Path, str]  # the file, and "sample" or "corpus"


def split_header(text: str) -> tuple[str, str]:
    """The title and metadata block at the top, and the body from the first second-level heading on."""
    lines = text.splitlines(keepends=True)
    start = 0
    if lines and lines[0].strip() == "---":  # YAML front matter
        end = next((i for i in range(1, len(lines)) if lines[i].strip() in ("---", "...")), None)
        start = 0 if end is None else end + 1
    for index in range(start, len(lines)):
        if re.match(r"#{2,6}\s", lines[index]):
            return "".join(lines[:index]), "".join(lines[index:])
    for index in range(start, len(lines)):  # no second-level heading: keep only a leading title line
        if lines[index].strip():
            if lines[index].startswith("# "):
                return "".join(lines[: index + 1]), "".join(lines[index + 1 :])
            break
    return "".join(lines[:start]), "".join(lines[start:])


def repeated(text: str, times: int) -> str:
    """The document with its body (all but the title and metadata) `times` times."""
    header, body = split_header(text)
    body = body.rstrip("\n") + "\n\n"
    return header + body * times


def _size(path: Path) -> int:
    return path.stat().st_size


def select_documents(
    samples: list[Path], corpus: list[Path], patterns: list[str] | None, quick: bool, quick_count: int
) -> list[Document]:
    """Every sample and corpus document; those whose name or path matches a pattern; or, for --quick, the
    shortest sample and the shortest corpus documents, `quick_count` in all."""
    docs = [(path, "sample") for path in sorted(samples)] + [(path, "corpus") for path in sorted(corpus)]
    if patterns:
        return [
            (path, origin)
            for path, origin in docs
            if any(fnmatch.fnmatch(path.name, p) or fnmatch.fnmatch(str(path), p) for p in patterns)
        ]
    if quick:
        shortest_sample = sorted(samples, key=_size)[:1]
        shortest_corpus = sorted(corpus, key=_size)[: quick_count - len(shortest_sample)]
        return [(path, "sample") for path in shortest_sample] + [(path, "corpus") for path in shortest_corpus]
    return docs


def scaling_documents(
    chosen: list[Document], samples: list[Path], corpus: list[Path], preferred: str, *, quick: bool, filtered: bool
) -> list[Document]:
    """The documents made 10 x longer: the longest sample and the corpus document named `preferred` (else the
    one of median size). With --docs, among the chosen documents: the longest sample, and `preferred` or else
    the shortest corpus document. With --quick, the shortest sample chosen only (one long run is enough)."""
    chosen_samples = sorted((path for path, origin in chosen if origin == "sample"), key=_size)
    chosen_corpus = sorted((path for path, origin in chosen if origin == "corpus"), key=_size)
    if quick:
        if chosen_samples:
            return [(chosen_samples[0], "sample")]
        return [(chosen_corpus[0], "corpus")] if chosen_corpus else []
    if filtered:
        picked = [(chosen_samples[-1], "sample")] if chosen_samples else []
        named = [path for path in chosen_corpus if path.name == preferred]
        if chosen_corpus:
            picked.append((named[0] if named else chosen_corpus[0], "corpus"))
        return picked
    by_size = sorted(corpus, key=_size)
    named = [path for path in by_size if path.name == preferred]
    picked = [(max(samples, key=_size), "sample")] if samples else []
    if by_size:
        picked.append((named[0] if named else by_size[len(by_size) // 2], "corpus"))
    return picked


def memory_document(chosen: list[Document], corpus: list[Path], *, subset: bool) -> Path | None:
    """The longest corpus document; in a subset run, the longest corpus document chosen (or document)."""
    if not subset and corpus:
        return max(corpus, key=_size)
    candidates = [path for path, origin in chosen if origin == "corpus"] or [path for path, _ in chosen]
    return max(candidates, key=_size) if candidates else None
