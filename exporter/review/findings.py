"""A reviewed Word file's comments and suggestions at their place in the Markdown source: file, line, column and
section, as `designexport review` prints them.

The line comes from the anchor (exporter/review/source_map.py); the column from where the commented or changed
text is on the paragraph's source lines, else where the line's text starts. A code block's lines share the block's
anchor line, numbered on from it. When the source changed since the export, lines are still the exported ones.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TypeAlias

from exporter.review import matching
from exporter.review.reviewed import (
    Comment,
    Placement,
    ReviewedFile,
    ReviewedFileError,
    Spot,
    Suggestion,
    read_reviewed,
)
from exporter.review.source_map import ANCHOR_PREFIX, AnchorKind, SourceAnchor, anchor_line, source_digest

FindingKind: TypeAlias = Literal["comment", "suggestion"]
MAX_PARAGRAPH_LINES = 400  # a paragraph's source lines are looked through up to here
# A code block's first line when its code starts on the next: a fence, or an HTML <pre> alone on its line.
_FENCE = re.compile(r"\s*(?:(?:[-*+]|\d{1,9}[.)])\s+|>\s*)*(?:```|~~~|<pre\b[^>]*>\s*(?:<code\b[^>]*>)?\s*$)")
_ORDINAL = re.compile(rf"{ANCHOR_PREFIX}\d+_(\d+)")


class SourceNotFoundError(ReviewedFileError):
    """The Markdown the reviewed file came from is not where its map says, nor given."""


@dataclass(frozen=True, slots=True)
class ReviewFinding:
    """One comment or suggestion at its place in the source. `placement` says whether its own anchor survived
    ("inside") or it is at the nearest one ("preceding", "following"); `problem`, for a suggestion, why it is not
    a plain text edit within one paragraph ("" when it is)."""

    file: str
    line: int
    column: int
    kind: FindingKind
    author: str
    date: str
    text: str  # a comment's text
    old: str  # a suggestion's text before and after; empty for a comment
    new: str
    section: str  # the id of the heading it comes under
    placement: Placement
    quoted: str = ""  # the text a comment is on
    problem: str = ""


@dataclass(frozen=True, slots=True)
class PlacedSuggestion:
    """A suggestion, its finding, and the source lines (1-based, inclusive) of its paragraph as exported."""

    finding: ReviewFinding
    suggestion: Suggestion
    first_line: int
    last_line: int


@dataclass(frozen=True, slots=True)
class Review:
    """`source_changed`: the source's bytes are not those exported (as far as the map recorded them)."""

    source: Path
    source_changed: bool
    findings: tuple[ReviewFinding, ...]
    suggestions: tuple[PlacedSuggestion, ...]


def review(docx: Path, explicit_source: Path | None = None, name_of: Callable[[Path], str] = str) -> Review:
    """Reads the reviewed file and places everything a reviewer wrote in its source (ReviewedFileError when either
    can't be read); `name_of` gives the file name findings carry."""
    reviewed = read_reviewed(docx)
    source = explicit_source or _mapped_source(docx, reviewed)
    try:
        data = source.read_bytes()
        text = data.decode("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise SourceNotFoundError(
            f"its source {source} can't be read ({_reason(error)}); name it with --source"
        ) from None
    digest = reviewed.source_map.digest if reviewed.source_map is not None else ""
    locator = _Locator(text, reviewed, name_of(source))
    comments = [locator.comment(comment) for comment in reviewed.comments]
    suggestions = [locator.suggestion(suggestion) for suggestion in reviewed.suggestions]
    findings = sorted([*comments, *(placed.finding for placed in suggestions)], key=_order)
    changed = bool(digest) and digest != source_digest(data)
    return Review(source, changed, tuple(findings), tuple(suggestions))


def _order(finding: ReviewFinding) -> tuple[int, int, int]:
    return finding.line, finding.column, 0 if finding.kind == "comment" else 1


def _reason(error: Exception) -> str:
    if isinstance(error, UnicodeDecodeError):
        return "not UTF-8"
    return error.strerror if isinstance(error, OSError) and error.strerror else type(error).__name__


def _mapped_source(docx: Path, reviewed: ReviewedFile) -> Path:
    """The source next to the Word file, by the name its map records (else the Word file's own stem)."""
    source_map = reviewed.source_map
    names = [source_map.file, source_map.path] if source_map is not None and source_map.file else []
    candidates = [docx.parent / name for name in names if name] + [docx.with_suffix(".md")]
    found = next((candidate for candidate in candidates if candidate.is_file()), None)
    if found is None:
        raise SourceNotFoundError(f"its source {candidates[0].name} is not in {docx.parent}; name it with --source")
    return found


class _Locator:
    """Places spots in the source text: line, column and section."""

    def __init__(self, text: str, reviewed: ReviewedFile, file: str) -> None:
        self.lines = text.splitlines()
        self.file = file
        self.map = {anchor.name: anchor for anchor in reviewed.source_map.anchors} if reviewed.source_map else {}
        named = {anchor_line(name) for name in reviewed.anchors}
        self.anchor_lines = sorted({line for line in named if line is not None} | {a.line for a in self.map.values()})

    def comment(self, comment: Comment) -> ReviewFinding:
        anchor = self._anchor(comment.spot)
        line, column = self._place(anchor, comment.quoted, lambda within: _first_match(comment.quoted, within))
        return ReviewFinding(
            self.file,
            line,
            column,
            "comment",
            comment.author,
            comment.date,
            comment.text,
            "",
            "",
            anchor.section,
            comment.spot.placement,
            comment.quoted,
        )

    def suggestion(self, suggestion: Suggestion) -> PlacedSuggestion:
        anchor = self._anchor(suggestion.spot)

        def spans(within: str) -> list[tuple[int, int]]:
            return matching.edit_spans(suggestion.before, suggestion.old, suggestion.after, within)

        line, column = self._place(anchor, suggestion.old or suggestion.before or suggestion.after, spans)
        finding = ReviewFinding(
            self.file,
            line,
            column,
            "suggestion",
            suggestion.author,
            suggestion.date,
            "",
            suggestion.old,
            suggestion.new,
            anchor.section,
            suggestion.spot.placement,
            problem=suggestion.problem,
        )
        return PlacedSuggestion(finding, suggestion, *self.span(anchor))

    def _anchor(self, spot: Spot) -> SourceAnchor:
        """The anchor as the map has it; from its name and the source alone when the map is gone (a code block's
        lines all carry the line of its fence; no section is known then)."""
        found = self.map.get(spot.anchor)
        if found is not None:
            return found
        line = anchor_line(spot.anchor) or 1
        source_line = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
        kind: AnchorKind = "footnote" if spot.story != "body" else "paragraph"
        if _FENCE.match(source_line):
            kind = "code"
        elif source_line.lstrip().startswith("#"):
            kind = "heading"
        return SourceAnchor(spot.anchor, line, kind, "")

    def _place(
        self, anchor: SourceAnchor, text: str, find: Callable[[str], Sequence[tuple[int, int]]]
    ) -> tuple[int, int]:
        """The line and column of `text` on the anchor's source lines; else those of the anchor's line."""
        first, last = self.span(anchor)
        if text.strip() and first <= len(self.lines):
            within = "\n".join(self.lines[first - 1 : last])
            found = find(within)
            if found:
                offset = found[0][0]
                line = first + within.count("\n", 0, offset)
                return line, offset - (within.rfind("\n", 0, offset) + 1) + 1
        line = first
        source_line = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
        return line, matching.content_column(source_line, anchor.column if anchor.kind == "table-cell" else -1)

    def span(self, anchor: SourceAnchor) -> tuple[int, int]:
        """The first and last source line (1-based) of an anchor's paragraph: a code line is one line, numbered
        on from its block's; a paragraph runs to the next blank line or the next anchored line."""
        line = anchor.line
        pipe_row = anchor.kind == "table-cell" and "|" in (self.lines[line - 1] if 0 < line <= len(self.lines) else "")
        if anchor.kind == "heading" or pipe_row:
            return line, line  # an HTML table's row, or a front matter entry, may run on over the next lines
        if anchor.kind == "code":
            ordinal = _ORDINAL.fullmatch(anchor.name)
            number = int(ordinal.group(1)) if ordinal else 1
            fenced = 0 < line <= len(self.lines) and _FENCE.match(self.lines[line - 1]) is not None
            line += number if fenced else number - 1
            return line, line
        last = line
        next_anchor = next((found for found in self.anchor_lines if found > line), None)
        while (
            last < len(self.lines)
            and last - line < MAX_PARAGRAPH_LINES
            and self.lines[last].strip()
            and (next_anchor is None or last + 1 < next_anchor)
        ):
            last += 1
        return line, last


def _first_match(quoted: str, within: str) -> list[tuple[int, int]]:
    """Where a comment's text is: the whole of it, else its start (a comment may run on into the next paragraph)."""
    for text in (quoted, quoted[:40], " ".join(quoted.split()[:3])):
        found = matching.find_all(text, within, markup=True)
        if found:
            return [found[0].span()]
    return []
