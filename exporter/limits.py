"""How much one document may ask for. A breach is a clear error (or, for a single image, a warning
and a placeholder), never a hang or an out-of-memory kill."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

MIB = 1024 * 1024
# Bounds on run settings (--jobs, --timeout, config `jobs` and `timeout`): beyond them a value is a mistake.
MAX_JOBS = 256  # each worker process loads its own backends; more only exhausts memory
MAX_SECONDS = 86_400.0  # a day


@dataclass(frozen=True, slots=True)
class Limits:
    input_bytes: int = 20 * MIB  # the Markdown file
    nesting_depth: int = 32  # lists and block quotes inside each other
    table_cells: int = 50_000  # one table, header included
    table_columns: int = 63  # Word's own maximum
    diagram_lines: int = 2_000
    diagram_columns: int = 1_000
    footnotes: int = 5_000
    image_bytes: int = 20 * MIB  # one image file or download
    image_pixels: int = 50_000_000  # width x height, read from the header before decoding
    data_url_bytes: int = 5 * MIB  # one inline data: URL, decoded
    seconds: float = 600.0  # wall time per document in a batch (--timeout)

    def with_values(self, values: dict[str, str]) -> Limits:
        """A copy with `name=value` settings applied; ValueError names a bad name or value."""
        fields = {field.name: field for field in dataclasses.fields(self)}
        changes: dict[str, int | float] = {}
        for name, text in values.items():
            key = name.strip().replace("-", "_")
            if key not in fields:
                raise ValueError(f"unknown limit {name!r}; limits: {', '.join(limit_names())}")
            try:
                number = float(text) if key == "seconds" else int(str(text).replace("_", ""))
            except ValueError:
                raise ValueError(f"limit {name!r} needs a number, not {text!r}") from None
            if number <= 0:
                raise ValueError(f"limit {name!r} must be positive")
            changes[key] = number
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]


def limit_names() -> list[str]:
    return [field.name.replace("_", "-") for field in dataclasses.fields(Limits)]
