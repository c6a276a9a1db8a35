"""How long converting a 100 × 60-cell diagram takes: recognition, the round-trip confidence test and SVG.

Run: .venv/bin/python benchmarks/diagram_speed.py [runs]. The target is a median under 30 ms.
It is a benchmark, not a test; the numbers depend on the machine.
"""

from __future__ import annotations

import statistics
import sys
import time

from exporter.diagram.recognize import recognize
from exporter.diagram.svg import render_svg

COLUMNS = 100
ROWS = 60
BOXES_ACROSS = 5
BOX_WIDTH = 16
GAP = 5  # between boxes, where the arrows run


def _pad(text: str) -> str:
    return text.ljust(COLUMNS)[:COLUMNS].rstrip()


def diagram() -> list[str]:
    """Five columns of boxes in bands of ten rows: labels, arrows between the boxes and down to the next band."""
    inner = BOX_WIDTH - 2
    lines: list[str] = []
    band = 0
    while len(lines) < ROWS:
        top = (("┌" + "─" * inner + "┐") + " " * GAP) * BOXES_ACROSS
        first = "".join(
            "│ "
            + f"Service {band}.{i}".ljust(inner - 1)
            + "│"
            + ("─" * (GAP - 1) + "▶" if i < BOXES_ACROSS - 1 else "")
            for i in range(BOXES_ACROSS)
        )
        second = "".join("│ " + f"node-{band}-{i} 日本".ljust(inner - 3) + "│" + " " * GAP for i in range(BOXES_ACROSS))
        bottom = ("└" + "─" * 5 + "┬" + "─" * (inner - 6) + "┘" + " " * GAP) * BOXES_ACROSS
        down = (" " * 6 + "│" + " " * (inner - 5) + " " * GAP) * BOXES_ACROSS
        head = (" " * 6 + "▼" + " " * (inner - 5) + " " * GAP) * BOXES_ACROSS
        for line in (top, first, second, bottom, down, down, down, head):
            lines.append(_pad(line))
        band += 1
    return lines[:ROWS]


def convert_once(lines: list[str]) -> str:
    recognition = recognize(lines)
    drawing = recognition.drawing
    assert drawing is not None, recognition.reason
    return render_svg(drawing, source="\n".join(lines))


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    lines = diagram()
    columns = max(len(line) for line in lines)
    convert_once(lines)  # warm caches (character tables)
    times: list[float] = []
    for _ in range(runs):
        start = time.perf_counter()
        convert_once(lines)
        times.append((time.perf_counter() - start) * 1000)
    print(f"diagram of {len(lines)} rows × {columns} columns, {runs} runs")
    print(f"median {statistics.median(times):.1f} ms (min {min(times):.1f}, max {max(times):.1f}); target < 30 ms")


if __name__ == "__main__":
    main()
