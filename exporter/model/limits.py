"""How much one document may ask for. A breach is a clear error (or, for a single image, a warning
and a placeholder), never a hang or an out-of-memory kill."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

MIB = 1024 * 1024
GIB = 1024 * MIB

# Bounds on run settings (--jobs, --timeout, config `jobs` and `timeout`): beyond them a value is a mistake.
MAX_JOBS = 256  # each worker process loads its own backends; more only exhausts memory
MAX_SECONDS = 86_400.0  # a day


@dataclass(frozen=True, slots=True)
class Limits:
    input_bytes: int = 20 * MIB  # the Markdown file
    nesting_depth: int = 32  # lists and block quotes inside each other
    elements: int = 250_000  # markdown-it tokens, and code lines plus a quarter of code characters
    table_cells: int = 50_000  # one table, header included
    table_columns: int = 63  # Word's own maximum
    diagram_lines: int = 2_000
    diagram_columns: int = 1_000
    diagram_strokes: int = 50_000  # line characters of a diagram redrawn as vector graphics; more stay text
    diagram_seconds: float = 30.0  # one Mermaid, Graphviz or PlantUML diagram, rendered
    diagram_memory_bytes: int = 1 * GIB  # one renderer process (the browser: its JavaScript heap)
    math_characters: int = 20_000  # TeX typeset as formulas in one document; formulas past it stay TeX source
    footnotes: int = 5_000
    combining_marks: int = 2_000  # and other zero-width characters, in one paragraph, table cell or code line
    image_bytes: int = 20 * MIB  # one image file or download
    image_pixels: int = 50_000_000  # width x height, read from the header before decoding
    data_url_bytes: int = 5 * MIB  # one inline data: URL, decoded
    output_bytes: int = 100 * MIB  # one output file; the document's distinct images together, too
    pdf_boxes: int = 30_000  # what WeasyPrint lays out (backends/pdf.py): some 250 pages; keeps a PDF to ~30 s, <1 GiB
    seconds: float = 600.0  # wall time per document in a batch (--timeout)

    def with_values(self, values: dict[str, str]) -> Limits:
        """A copy with `name=value` settings applied; a one-line ValueError names a bad name or value."""
        fields = {field.name: field for field in dataclasses.fields(self)}
        changes: dict[str, int | float] = {}
        for name, text in values.items():
            key = name.strip().replace("-", "_")
            if key not in fields:
                raise ValueError(f"unknown limit {name!r}; limits: {', '.join(limit_names())}")
            changes[key] = _checked_value(name.strip(), key, str(text))
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]


# The largest value each limit takes: past these a limit no longer protects anything (and some would
# overflow what they guard, or Python's stack in the case of nesting).
MAXIMA: dict[str, int | float] = {
    "input_bytes": 1 * GIB,
    "nesting_depth": 100,
    "elements": 100_000_000,
    "table_cells": 10_000_000,
    "table_columns": 10_000,
    "diagram_lines": 1_000_000,
    "diagram_columns": 100_000,
    "diagram_strokes": 10_000_000,
    "diagram_seconds": MAX_SECONDS,
    "diagram_memory_bytes": 64 * GIB,
    "math_characters": 100_000_000,
    "footnotes": 1_000_000,
    "combining_marks": 100_000_000,
    "image_bytes": 1 * GIB,
    "image_pixels": 1_000_000_000,
    "data_url_bytes": 1 * GIB,
    "output_bytes": 4 * GIB,
    "pdf_boxes": 10_000_000,
    "seconds": MAX_SECONDS,
}


def _checked_value(name: str, key: str, text: str) -> int | float:
    """The number `text` means for limit `key`: finite, above zero and at most its maximum."""
    maximum = MAXIMA[key]
    whole = not key.endswith("seconds")
    shown = text if len(text) <= 40 else text[:39] + "…"
    try:
        number = float(text.strip().replace("_", ""))
    except ValueError:
        raise ValueError(f"limit {name!r} needs a number, not {shown!r}") from None
    if not math.isfinite(number) or number <= 0 or number > maximum:
        highest = f"{maximum:,}" if whole else f"{maximum:g}"
        raise ValueError(f"limit {name!r} must be a number above 0 and at most {highest}, not {shown!r}")
    if whole:
        if not number.is_integer():
            raise ValueError(f"limit {name!r} needs a whole number, not {shown!r}")
        return int(number)
    return number


def limit_names() -> list[str]:
    return [field.name.replace("_", "-") for field in dataclasses.fields(Limits)]
