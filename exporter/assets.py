"""Where the project's templates and styles live: beside the package in a checkout, or under share/ when installed."""

from __future__ import annotations

import sys
from functools import cache
from pathlib import Path


@cache
def asset_dir(name: str) -> Path:
    """The `templates` or `styles` folder."""
    candidates = (
        Path(__file__).resolve().parents[1] / name,  # a checkout or editable install
        Path(sys.prefix) / "share" / "designexport" / name,  # a wheel's data files
    )
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"designexport's {name}/ folder is missing; reinstall the package")
