"""The templates and styles designexport ships, read through importlib.resources.

The repository keeps them at its top level (styles/, templates/); the build maps them into the package
as exporter/styles and exporter/templates (pyproject's package-dir), so every kind of install finds
them beside the code: a wheel in site-packages, --user, --target, --prefix, pipx, or a zipapp. Only a
checkout, run in place or installed editable, has them at the top level instead.
"""

from __future__ import annotations

import atexit
import contextlib
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

AssetFolder = Literal["styles", "templates"]


@cache
def asset_dir(name: AssetFolder) -> Traversable:
    """The `styles` or `templates` folder: a real folder, or one inside a zip when the package is zipped."""
    # A package in a folder (an install, or a checkout run in place): what importlib.resources would answer,
    # without importing it (5 ms that `--help`, which lists the themes, would pay).
    for folder in (Path(__file__).parent, Path(__file__).resolve().parents[1]):
        if (folder / name).is_dir():
            return folder / name
    from importlib.resources import files

    packaged = files("exporter") / name  # a zipped package
    if packaged.is_dir():
        return packaged
    raise FileNotFoundError(f"designexport's {name}/ folder is missing; reinstall the package")


def walk_files(folder: Traversable, prefix: str = "") -> Iterator[tuple[str, Traversable]]:
    """Every file below `folder` with its relative path, in a stable order; __pycache__ left out."""
    for item in sorted(folder.iterdir(), key=lambda entry: entry.name):
        relative = f"{prefix}{item.name}"
        if item.is_dir():
            if item.name != "__pycache__":
                yield from walk_files(item, relative + "/")
        elif item.is_file():
            yield relative, item


_kept_open = contextlib.ExitStack()
atexit.register(_kept_open.close)


def real_file(resource: Traversable) -> Path:
    """A path another program can open: the file itself in an ordinary install; from a zipapp, a temporary
    copy that lives until this process exits (so call it once per resource)."""
    from importlib.resources import as_file

    return _kept_open.enter_context(as_file(resource))
