"""What the resource sandbox accepts and how it says no, shared by the sandbox (resources.py) and the
remote fetcher (remote.py), which raises the same refusals without importing the sandbox."""

from __future__ import annotations

from exporter.model.diagnostics import Code
from exporter.safety.images import RASTER_TYPES

SVG_TYPE = "image/svg+xml"
IMAGE_TYPES = RASTER_TYPES | {SVG_TYPE}
REMOTE_SCHEMES = ("http", "https")
SHOWN_REFERENCE_LENGTH = 80


class Refused(Exception):
    """A reference the sandbox won't load: `code` is the warning code, `message` names the reference."""

    def __init__(self, code: Code, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def shown_reference(reference: str) -> str:
    """The reference as a warning or placeholder shows it: long ones (data: URLs) cut short."""
    one_line = " ".join(reference.split())
    if len(one_line) <= SHOWN_REFERENCE_LENGTH:
        return one_line
    return one_line[: SHOWN_REFERENCE_LENGTH - 1] + "…"
