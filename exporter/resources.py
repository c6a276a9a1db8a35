"""The one place where documents load files: images, from the document's own folder only."""

from __future__ import annotations

import base64
import binascii
import hashlib
import mimetypes
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

from exporter.diagnostics import Reporter

MAX_RESOURCE_BYTES = 20 * 1024 * 1024
IMAGE_TYPES = {"image/png", "image/jpeg", "image/gif", "image/svg+xml", "image/webp", "image/bmp"}


@dataclass(frozen=True, slots=True)
class Resource:
    data: bytes
    mime: str
    name: str

    def data_uri(self) -> str:
        return f"data:{self.mime};base64,{base64.b64encode(self.data).decode('ascii')}"


@dataclass
class ResourceResolver:
    """Resolves references relative to `root`; refuses anything outside it and every network URL."""

    root: Path
    reporter: Reporter
    dependencies: dict[str, str | None] = field(default_factory=dict)  # path under root -> sha256; None: missing
    _cache: dict[str, Resource | None] = field(default_factory=dict)

    def load(self, reference: str, line: int) -> Resource | None:
        """The resource, or None after a warning that names the reference."""
        if reference not in self._cache:
            self._cache[reference] = self._load(reference, line)
        return self._cache[reference]

    def _load(self, reference: str, line: int) -> Resource | None:
        parsed = urllib.parse.urlsplit(reference)
        scheme = parsed.scheme.lower()
        if scheme == "data":
            return self._load_data_url(reference, line)
        if scheme not in ("", "file") or parsed.netloc:
            self.reporter.warn(
                line, "resource-remote", f"not loading remote resource {reference!r}: network access is off"
            )
            return None
        relative = urllib.parse.unquote(parsed.path)
        if not relative:
            self.reporter.warn(line, "resource-missing", f"empty resource reference {reference!r}")
            return None
        root = self.root.resolve()
        candidate = root / relative.lstrip("/") if scheme == "file" or relative.startswith("/") else root / relative
        try:
            resolved = candidate.resolve(strict=True)
        except (OSError, RuntimeError):
            self._depend_on(candidate, None)
            self.reporter.warn(line, "resource-missing", f"image not found: {reference!r}")
            return None
        if not resolved.is_relative_to(root):
            self.reporter.warn(
                line, "resource-outside", f"refusing {reference!r}: it lies outside the document's folder"
            )
            return None
        if not resolved.is_file():
            self.reporter.warn(line, "resource-missing", f"image not found: {reference!r}")
            return None
        if resolved.stat().st_size > MAX_RESOURCE_BYTES:
            self.reporter.warn(
                line, "resource-too-large", f"image {reference!r} is larger than {MAX_RESOURCE_BYTES} bytes"
            )
            return None
        mime = mimetypes.guess_type(resolved.name)[0] or ""
        if mime not in IMAGE_TYPES:
            self.reporter.warn(line, "resource-type", f"{reference!r} is not a supported image type")
            return None
        data = resolved.read_bytes()
        self._depend_on(resolved, data)
        return Resource(data, mime, resolved.name)

    def _depend_on(self, path: Path, data: bytes | None) -> None:
        """Records a file the output depends on, so the build cache notices when it changes or appears."""
        try:
            key = path.relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return
        self.dependencies[key] = hashlib.sha256(data).hexdigest() if data is not None else None

    def _load_data_url(self, reference: str, line: int) -> Resource | None:
        header, _, payload = reference[5:].partition(",")
        mime = header.split(";")[0].strip().lower()
        if mime not in IMAGE_TYPES:
            self.reporter.warn(line, "resource-type", "data: URL is not a supported image type")
            return None
        try:
            data = (
                base64.b64decode(payload, validate=False)
                if header.endswith(";base64")
                else urllib.parse.unquote_to_bytes(payload)
            )
        except (binascii.Error, ValueError):
            self.reporter.warn(line, "resource-invalid", "data: URL is not valid base64")
            return None
        if len(data) > MAX_RESOURCE_BYTES:
            self.reporter.warn(line, "resource-too-large", "data: URL image is too large")
            return None
        return Resource(data, mime, "inline-image")
