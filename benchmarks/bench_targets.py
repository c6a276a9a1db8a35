"""The verdicts of pandoc_compare.py: one row per target of issue 19, from measured medians (no timing here).

A row PASSes or MISSes its limit; an informational row has no limit; a target that could not be measured
is "n/a" and counts as missed (a benchmark that cannot see a target does not vouch for it); a section not
run is "skipped" and counts neither way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

PASS = "PASS"
MISS = "MISS"
INFO = "info"
NOT_MEASURED = "n/a"
SKIPPED = "skipped"


@dataclass
class Row:
    """One line of the targets table, and its numbers for the JSON results."""

    key: str  # stable across runs, for comparing result files
    what: str
    target: str
    measured: str
    verdict: str
    basis: str = ""
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def missed(self) -> bool:
        return self.verdict in (MISS, NOT_MEASURED)

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "what": self.what,
            "target": self.target,
            "measured": self.measured,
            "verdict": self.verdict,
            "basis": self.basis,
            **self.data,
        }


@dataclass(frozen=True)
class Pair:
    """One document's median wall seconds for our command and its reference; None where a command failed.
    CPU seconds ride along for the report."""

    document: str
    ours: float | None
    reference: float | None
    ours_cpu: float | None = None
    reference_cpu: float | None = None


def _ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator > 0 else None


def ratio_row(
    key: str, what: str, limit: float | None, pairs: list[Pair], *, every_document: bool, reference: str
) -> Row:
    """Our wall time over the reference's, on the documents where both ran.

    With `every_document` the worst document is judged, else the total (sum of medians over sum of medians).
    A document we failed to export misses the target; one the reference failed on is left out and named."""
    target = "info" if limit is None else f"<= {limit:.2f} x"
    basis = "every document" if every_document else "total of medians"
    ours_failed = [pair.document for pair in pairs if pair.ours is None]
    left_out = [pair.document for pair in pairs if pair.ours is not None and pair.reference is None]
    both = [pair for pair in pairs if pair.ours is not None and pair.reference is not None]
    ratios = {pair.document: _ratio(pair.ours or 0.0, pair.reference or 0.0) for pair in both}
    measured_ratios = {document: ratio for document, ratio in ratios.items() if ratio is not None}
    data: dict[str, Any] = {
        "limit": limit,
        "reference": reference,
        "documents": len(both),
        "per_document": {document: round(ratio, 3) for document, ratio in measured_ratios.items()},
        "designexport_failed": ours_failed,
        "reference_failed": left_out,
    }
    if not measured_ratios:
        if ours_failed:  # our failure misses the target; only the reference's leaves it unmeasured
            reason, verdict = f"designexport failed on {len(ours_failed)}: {', '.join(ours_failed)}", MISS
        else:
            reason, verdict = f"no document with both measured ({reference} failed or absent)", NOT_MEASURED
        return Row(key, what, target, reason, INFO if limit is None else verdict, basis, {**data, "value": None})
    ours_total = sum(pair.ours or 0.0 for pair in both)
    reference_total = sum(pair.reference or 0.0 for pair in both)
    total = _ratio(ours_total, reference_total)
    cpu_pairs = [pair for pair in both if pair.ours_cpu is not None and pair.reference_cpu is not None]
    cpu_total = (
        _ratio(sum(p.ours_cpu or 0.0 for p in cpu_pairs), sum(p.reference_cpu or 0.0 for p in cpu_pairs))
        if cpu_pairs
        else None
    )
    worst_document, worst = max(measured_ratios.items(), key=lambda item: item[1])
    over = sorted(document for document, ratio in measured_ratios.items() if limit is not None and ratio > limit)
    judged = worst if every_document else total
    data.update(
        {
            "value": None if judged is None else round(judged, 3),
            "total_ratio": None if total is None else round(total, 3),
            "total_cpu_ratio": None if cpu_total is None else round(cpu_total, 3),
            "worst_ratio": round(worst, 3),
            "worst_document": worst_document,
            "over_limit": over,
            "designexport_wall": round(ours_total, 3),
            "reference_wall": round(reference_total, 3),
        }
    )
    parts = [
        f"total {total:.2f}" if total is not None else "total -",
        f"worst {worst:.2f} ({worst_document})",
    ]
    if cpu_total is not None:
        parts.append(f"cpu total {cpu_total:.2f}")
    if limit is not None:
        parts.append(f"{len(over)} of {len(measured_ratios)} over")
    if ours_failed:
        parts.append(f"designexport failed on {len(ours_failed)}: {', '.join(ours_failed)}")
    if left_out:
        parts.append(f"{len(left_out)} left out, {reference} failed: {', '.join(left_out)}")
    met = judged is not None and limit is not None and judged <= limit and not ours_failed
    verdict = INFO if limit is None else PASS if met else MISS
    return Row(key, what, target, "; ".join(parts), verdict, basis, data)


def scaling_row(
    key: str,
    what: str,
    limit: float,
    one: tuple[float, float] | None,
    ten: tuple[float, float] | None,
    error: str | None = None,
) -> Row:
    """Wall time of the longer document over the original's; `one` and `ten` are (wall, cpu) medians."""
    target = f"<= {limit:g} x"
    if one is None or ten is None:
        return Row(key, what, target, f"failed: {error or 'not measured'}", MISS, "wall, medians", {"limit": limit})
    ratio = ten[0] / one[0]
    cpu_ratio = ten[1] / one[1] if one[1] > 0 else None
    data = {
        "limit": limit,
        "value": round(ratio, 3),
        "cpu_ratio": None if cpu_ratio is None else round(cpu_ratio, 3),
        "wall_1x": round(one[0], 3),
        "wall_10x": round(ten[0], 3),
    }
    cpu = f", cpu {cpu_ratio:.2f}" if cpu_ratio is not None else ""
    measured = f"{ratio:.2f} ({one[0]:.2f} s -> {ten[0]:.2f} s{cpu})"
    return Row(key, what, target, measured, PASS if ratio <= limit else MISS, "wall, medians", data)


def limit_row(
    key: str, what: str, value: float | None, limit: float, unit: str, measured: str, basis: str, data: dict[str, Any]
) -> Row:
    """A value against an upper limit; None means it could not be measured."""
    target = f"<= {limit:g} {unit}"
    row_data = {"limit": limit, "value": None if value is None else round(value, 3), **data}
    if value is None:
        return Row(key, what, target, measured, NOT_MEASURED, basis, row_data)
    return Row(key, what, target, measured, PASS if value <= limit else MISS, basis, row_data)


def skipped_row(key: str, what: str, limit: float | None, unit: str, why: str) -> Row:
    """A target whose section was not run: it counts neither way."""
    target = "info" if limit is None else f"<= {limit:g} {unit}"
    return Row(key, what, target, why, SKIPPED, data={"limit": limit, "value": None})


def table_lines(rows: list[Row]) -> list[str]:
    """The rows as a plain-text table: what, target, verdict, then what was measured and how it is judged."""
    what_width = max((len(row.what) for row in rows), default=4) + 2
    target_width = max((len(row.target) for row in rows), default=6) + 2
    header = f"{'what':<{what_width}}{'target':<{target_width}}{'verdict':<9}measured [judged on]"
    lines = [header, "-" * (len(header) + 40)]
    for row in rows:
        basis = f" [{row.basis}]" if row.basis else ""
        lines.append(f"{row.what:<{what_width}}{row.target:<{target_width}}{row.verdict:<9}{row.measured}{basis}")
    return lines


def exit_status(rows: list[Row]) -> int:
    """1 when any target is missed or could not be measured, else 0."""
    return 1 if any(row.missed for row in rows) else 0
