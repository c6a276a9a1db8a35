"""`review --apply`: a reviewer's plain text edits written into the Markdown source, everything else kept byte for
byte (encoding, line endings, a byte-order mark), the file replaced atomically.

An edit is applied only where its old text is on its paragraph's source lines exactly once (with as much of the
paragraph around it as tells the place apart). When the source changed since the export, its lines may have moved:
the old text must then be exactly once in the whole file, or the edit is left for the author.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from exporter.review import matching
from exporter.review.findings import PlacedSuggestion, Review, ReviewFinding


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one suggestion: `reason` is "" when it was applied."""

    finding: ReviewFinding
    reason: str

    @property
    def applied(self) -> bool:
        return not self.reason


def apply_suggestions(review: Review) -> tuple[Outcome, ...]:
    """Writes every applicable suggestion into the source (once, atomically) and says what became of each."""
    text = review.source.read_bytes().decode("utf-8")
    outcomes: dict[int, Outcome] = {}
    # From the end of the file back, so that an edit never moves the lines of one still to make.
    order = sorted(range(len(review.suggestions)), key=lambda i: review.suggestions[i].finding.line, reverse=True)
    for index in order:
        placed = review.suggestions[index]
        text, reason = _apply_one(text, placed, review.source_changed)
        outcomes[index] = Outcome(placed.finding, reason)
    if any(outcome.applied for outcome in outcomes.values()):
        _replace(review.source, text.encode("utf-8"))
    return tuple(outcomes[index] for index in range(len(review.suggestions)))


def _apply_one(text: str, placed: PlacedSuggestion, source_changed: bool) -> tuple[str, str]:
    finding, suggestion = placed.finding, placed.suggestion
    if suggestion.problem:
        return text, suggestion.problem
    if finding.placement != "inside":
        return text, "its paragraph has no anchor (retyped or cut by the reviewer, or not from the source)"
    if "\n" in suggestion.old or "\n" in suggestion.new:
        return text, "it adds or removes a line break"
    if suggestion.old == suggestion.new:
        return text, "it changes nothing"
    lines = text.splitlines(keepends=True)
    if source_changed:
        start, end = 0, len(text)
    else:
        first, last = placed.first_line, placed.last_line
        if first > len(lines):
            return text, f"line {first} is past the end of the source"
        start = sum(len(line) for line in lines[: first - 1])
        end = start + sum(len(line) for line in lines[first - 1 : last])
    spans = matching.edit_spans(suggestion.before, suggestion.old, suggestion.after, text[start:end])
    where = "in the source, which changed since the export" if source_changed else f"on line {finding.line}"
    if not spans:
        return text, f'"{_short(suggestion.old or suggestion.before[-20:])}" is not {where} as the Word file shows it'
    if len(spans) > 1:
        return text, f'"{_short(suggestion.old)}" is {len(spans)} times {where}: which one is meant is unclear'
    begin, finish = spans[0]
    new = matching.as_typed(suggestion.new, text)
    return text[: start + begin] + new + text[start + finish :], ""


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def _replace(path: Path, data: bytes) -> None:
    """Writes `data` over `path` atomically: a temporary file in the same folder, with the file's permissions,
    renamed over it."""
    target = path.resolve()
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, target.stat().st_mode & 0o7777)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
