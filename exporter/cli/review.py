"""`designexport review reviewed.docx`: a reviewer's comments and tracked changes, each at its line of the Markdown
source, as `file:line:column:` lines (or JSON); with `--apply`, their plain text edits written into the source."""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

import click

from exporter.review.apply import Outcome, apply_suggestions
from exporter.review.findings import Review, ReviewFinding, review
from exporter.review.reviewed import ReviewedFileError
from exporter.run.export import printable, relative_name

ARROW, PLAIN_ARROW = "\u2192", "->"
# Said after a finding with no anchor of its own (the reviewer retyped or cut its paragraph, or it is on what no
# source line holds, such as the contents): it is at the nearest anchor that is there.
NEAREST = {
    "inside": "",
    "linked": " [on its entry in the contents: at the heading]",
    "preceding": " [no anchor of its own: at the nearest before it]",
    "following": " [no anchor of its own: at the nearest after it]",
}


def run_review(docx: Path, output_format: str, apply: bool, source: Path | None, quiet: bool) -> None:
    """Prints the findings; exits 1, with one line naming the file, when the Word file or its source can't be
    read."""
    try:
        found = review(docx, source, relative_name)
    except ReviewedFileError as error:
        click.echo(printable(f"{relative_name(docx)}: error: {_message(error)}"), err=True)
        sys.exit(1)
    if found.source_changed and not quiet:
        name = relative_name(found.source)
        click.echo(printable(f"{name}: warning: changed since the export; lines may have moved"), err=True)
    outcomes = _applied(found) if apply else None
    if output_format == "json":
        click.echo(json.dumps(_json(found, outcomes), indent=2, ensure_ascii=False))
    else:
        arrow = ARROW if _can_print(ARROW) else PLAIN_ARROW
        for finding in found.findings:
            click.echo(printable(_line(finding, arrow)))
    if outcomes is not None and not quiet:
        _report_outcomes(found, outcomes)


def _message(error: ReviewedFileError) -> str:
    text = str(error)
    if text.startswith("has no source anchors"):
        return "has no source anchors: written by another tool or before anchors existed"
    return text


def _applied(found: Review) -> tuple[Outcome, ...]:
    try:
        return apply_suggestions(found)
    except OSError as error:
        click.echo(printable(f"{relative_name(found.source)}: error: can't write it ({error.strerror})"), err=True)
        sys.exit(1)


def _line(finding: ReviewFinding, arrow: str) -> str:
    """`doc.md:12:5: comment (Ann, 2026-12-04): text` or `... suggestion (Ann, 2026-12-04): "old" -> "new"`."""
    who = ", ".join(part for part in (finding.author or "unknown", finding.date[:10]) if part)
    where = f"{finding.file}:{finding.line}:{finding.column}"
    if finding.kind == "comment":
        said = finding.text
    else:
        said = f'"{finding.old}" {arrow} "{finding.new}"'
        if finding.problem:
            said += f" ({finding.problem})"
    return f"{where}: {finding.kind} ({who}): {said}{NEAREST[finding.placement]}"


def _json(found: Review, outcomes: tuple[Outcome, ...] | None) -> list[dict[str, object]]:
    """One object per finding: file, line, column, kind, author, date, text, old, new, section, and how it was
    placed; with --apply, whether a suggestion was applied and if not, why."""
    reasons = {id(outcome.finding): outcome.reason for outcome in outcomes or ()}
    items: list[dict[str, object]] = []
    for finding in found.findings:
        item: dict[str, object] = dataclasses.asdict(finding)
        if outcomes is not None and finding.kind == "suggestion":
            reason = reasons.get(id(finding), finding.problem)
            item["applied"] = not reason
            item["not_applied_because"] = reason
        items.append(item)
    return items


def _report_outcomes(found: Review, outcomes: tuple[Outcome, ...]) -> None:
    """On stderr: each suggestion not applied and why, then how many were."""
    for outcome in outcomes:
        if not outcome.applied:
            finding = outcome.finding
            where = f"{finding.file}:{finding.line}:{finding.column}"
            click.echo(printable(f"{where}: not applied: {outcome.reason}"), err=True)
    applied = sum(1 for outcome in outcomes if outcome.applied)
    total = len(outcomes)
    click.echo(
        f"applied {applied} of {total} suggestion{'s' * (total != 1)} to {relative_name(found.source)}", err=True
    )


def _can_print(text: str) -> bool:
    encoding = getattr(sys.stdout, "encoding", None) or "ascii"
    try:
        text.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return False
    return True
