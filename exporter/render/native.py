"""Loading WeasyPrint's C libraries (GObject, Pango, HarfBuzz, fontconfig) by the names the loader knows.

WeasyPrint asks cffi for each library by several names, Windows' first ("libgobject-2.0-0"). For each name
that is no file, cffi falls back to ctypes.util.find_library, which on Linux runs ldconfig, then gcc and ld
to link against it: a dozen processes, a third of a second at the start of every PDF export, for names that
cannot exist there. The names that do come later in the same list: the libraries' sonames
("libgobject-2.0.so.0"), which the dynamic loader finds by itself wherever find_library would have. No library
does this job: it is a detour around one step of WeasyPrint's own loading.
"""

from __future__ import annotations

import ctypes.util
import sys
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def libraries_by_soname() -> Iterator[None]:
    """Within the block, on Linux, ctypes.util.find_library finds nothing, so a C library loads only by a name
    the dynamic loader resolves itself. Elsewhere (macOS, Windows) find_library is how libraries are found: it
    is left alone. The block must be the only thing running (an import at start-up)."""
    if not sys.platform.startswith("linux"):
        yield
        return
    original = ctypes.util.find_library
    ctypes.util.find_library = _found_nowhere
    try:
        yield
    finally:
        ctypes.util.find_library = original


def _found_nowhere(name: str) -> str | None:
    return None
