"""The one place where documents load files: the resource sandbox.

A document may load images from its own folder (or the asset root above it) and small `data:` URLs.
It may not climb out with `..`, absolute paths, `file://` URLs or symlinks, open anything but a
regular file, or reach the network, unless remote images are allowed, and then only from public
addresses. Every refusal is a warning naming the reference; the backends show a placeholder instead.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import mimetypes
import os
import stat
import urllib.parse
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from exporter.model.diagnostics import Code, ExportError, Reporter
from exporter.model.limits import Limits
from exporter.safety.images import ImageBomb, UnreadableImage, read_header
from exporter.safety.policy import IMAGE_TYPES, REMOTE_SCHEMES, SVG_TYPE, Refused, shown_reference
from exporter.safety.svg import UnsafeSvgError, sanitize_svg

__all__ = [
    "DataUrlTooLarge",
    "Refused",
    "Resource",
    "ResourceResolver",
    "decode_data_url",
    "shown_reference",
]

DEFAULT_LIMITS = Limits()
# How the print page names an image for WeasyPrint's fetcher: one short URL per distinct image, so an
# image used 2,000 times is held once, not inlined 2,000 times into the page.
PRINT_SCHEME = "designexport-image"

# The placeholder's short reason, by warning code.
REASONS = {
    Code.RESOURCE_OUTSIDE: "outside the document's folder",
    Code.RESOURCE_REMOTE: "network access is off",
    Code.RESOURCE_PRIVATE_ADDRESS: "private network address",
    Code.RESOURCE_TOO_LARGE: "too large",
    Code.RESOURCE_TYPE: "not a supported image",
    Code.RESOURCE_MISSING: "not found",
    Code.RESOURCE_UNSAFE_SVG: "unsafe SVG",
    Code.RESOURCE_INVALID: "invalid reference",
    Code.RESOURCE_FETCH: "download failed",
}


@dataclass(frozen=True, slots=True)
class Resource:
    data: bytes
    mime: str
    name: str

    def data_uri(self) -> str:
        return f"data:{self.mime};base64,{base64.b64encode(self.data).decode('ascii')}"


class ResourceResolver:
    """Loads what a document names, under the sandbox rules; every backend goes through one of these.

    `base` is the document's folder (relative references start there); `root` bounds what may be
    read (default `base`; `--asset-root`) and must contain `base`, else `base` is used.
    """

    def __init__(
        self,
        base: Path,
        reporter: Reporter,
        *,
        root: Path | None = None,
        limits: Limits = DEFAULT_LIMITS,
        allow_remote: bool = False,
    ) -> None:
        self.reporter = reporter
        self.limits = limits
        self.allow_remote = allow_remote
        self.base = base.resolve()
        wanted_root = root.resolve() if root is not None else self.base
        self.root = wanted_root if self.base.is_relative_to(wanted_root) else self.base
        # Files the output depends on, relative to the document's folder -> sha256, None when missing;
        # the build cache re-checks them.
        self.dependencies: dict[str, str | None] = {}
        self._cache: dict[str, Resource | None] = {}
        self._reasons: dict[str, str] = {}
        self._by_digest: dict[str, Resource] = {}  # every distinct image loaded, by the sha256 of its bytes
        self._digests: dict[str, str] = {}  # reference -> that digest
        self._data_uris: dict[str, str] = {}  # digest -> data: URI, built once however often it is used
        self.loaded_bytes = 0  # of distinct images: every output holds each of them

    def load(self, reference: str, line: int) -> Resource | None:
        """The resource, or None after a warning (at `line`) that names the reference.

        ExportError when the document's distinct images together pass the output-bytes limit:
        no output could hold them."""
        if reference not in self._cache:
            try:
                resource = self._load(reference, line)
            except Refused as refusal:
                self._cache[reference] = None
                self._reasons[reference] = self._reason(refusal.code)
                self.reporter.warn(line, refusal.code, refusal.message)
            else:
                self._cache[reference] = self._remember(reference, resource, line)
        return self._cache[reference]

    def _remember(self, reference: str, resource: Resource, line: int) -> Resource:
        digest = hashlib.sha256(resource.data).hexdigest()
        self._digests[reference] = digest
        if digest in self._by_digest:
            return self._by_digest[digest]
        self.loaded_bytes += len(resource.data)
        if self.loaded_bytes > self.limits.output_bytes:
            raise ExportError(
                self.reporter.source,
                f"the document's images add up to over {self.limits.output_bytes} bytes, more than an output may "
                "hold (--limit output-bytes=N)",
                line,
            )
        self._by_digest[digest] = resource
        return resource

    def data_uri(self, reference: str) -> str:
        """The loaded image of `reference` as a data: URI (the same string for every use)."""
        digest = self._digests[reference]
        if digest not in self._data_uris:
            self._data_uris[digest] = self._by_digest[digest].data_uri()
        return self._data_uris[digest]

    def print_url(self, reference: str) -> str:
        """A short URL for the loaded image of `reference`, which `print_resource` turns back into it."""
        return f"{PRINT_SCHEME}:{self._digests[reference]}"

    def print_resource(self, url: str) -> Resource | None:
        """The image a `print_url` names; None for any other URL."""
        scheme, colon, digest = url.partition(":")
        return self._by_digest.get(digest) if colon and scheme == PRINT_SCHEME else None

    def refusal_reason(self, reference: str) -> str:
        """Why `reference` wasn't loaded, in a few words for a placeholder; "" if it was (or wasn't tried)."""
        return self._reasons.get(reference, "")

    def _reason(self, code: Code) -> str:
        if code == Code.RESOURCE_OUTSIDE and self.root != self.base:
            return "outside the document's folder and asset root"
        return REASONS.get(code, "not loaded")

    def _load(self, reference: str, line: int) -> Resource:
        shown = shown_reference(reference)
        try:
            parsed = urllib.parse.urlsplit(reference.strip())
        except ValueError:  # "http://[::1/x" and the like
            raise Refused(Code.RESOURCE_INVALID, f"resource reference {shown!r} is not a valid URL") from None
        scheme = parsed.scheme.lower()
        if scheme == "data":
            return self._load_data_url(reference, line)
        if scheme in REMOTE_SCHEMES:
            return self._load_remote(reference, parsed, line)
        if scheme not in ("", "file"):
            raise Refused(Code.RESOURCE_REMOTE, f"not loading {shown!r}: {scheme}: URLs are never loaded")
        if parsed.netloc and parsed.netloc.lower() != "localhost":
            raise Refused(Code.RESOURCE_REMOTE, f"not loading remote resource {shown!r}: network access is off")
        path = urllib.parse.unquote(parsed.path)
        if not path:
            raise Refused(Code.RESOURCE_MISSING, f"empty resource reference {shown!r}")
        if "\x00" in path:
            raise Refused(Code.RESOURCE_INVALID, f"resource reference {shown!r} contains a NUL character")
        return self._load_file(reference, Path(path) if os.path.isabs(path) else self.base / path, line)

    # ------------------------------------------------------------ local files

    def _load_file(self, reference: str, candidate: Path, line: int) -> Resource:
        shown = shown_reference(reference)
        try:
            resolved = candidate.resolve()  # follows every symlink on the way
        except (OSError, RuntimeError):
            raise Refused(Code.RESOURCE_MISSING, f"image not found: {shown!r}") from None
        if not resolved.is_relative_to(self.root):
            lexical = Path(os.path.normpath(candidate.absolute()))
            how = "is a link that leads" if lexical.is_relative_to(self.root) else "lies"
            where = "the document's folder" if self.root == self.base else "the asset root"
            raise Refused(Code.RESOURCE_OUTSIDE, f"refusing {shown!r}: it {how} outside {where}")
        try:
            status = resolved.stat()
        except OSError:
            self._depend_on(resolved, None)
            raise Refused(Code.RESOURCE_MISSING, f"image not found: {shown!r}") from None
        if not stat.S_ISREG(status.st_mode):
            raise Refused(Code.RESOURCE_TYPE, f"refusing {shown!r}: it is not a regular file")
        if status.st_size > self.limits.image_bytes:
            raise Refused(Code.RESOURCE_TOO_LARGE, f"image {shown!r} is larger than {self.limits.image_bytes} bytes")
        mime = mimetypes.guess_type(resolved.name)[0] or ""
        if mime not in IMAGE_TYPES:
            raise Refused(Code.RESOURCE_TYPE, f"{shown!r} is not a supported image type")
        data = self._read_regular_file(resolved, shown)
        self._depend_on(resolved, data)
        return self._checked(data, mime, resolved.name, shown, line)

    def _read_regular_file(self, path: Path, shown: str) -> bytes:
        """The file's bytes; re-checked on the open descriptor, so a file swapped since stat() can't slip through."""
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
        limit = self.limits.image_bytes
        try:
            descriptor = os.open(path, flags)
            with os.fdopen(descriptor, "rb") as file:
                if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):
                    raise Refused(Code.RESOURCE_TYPE, f"refusing {shown!r}: it is not a regular file")
                data = file.read(limit + 1)
        except OSError as error:
            raise Refused(Code.RESOURCE_MISSING, f"image {shown!r} can't be read: {error.strerror}") from None
        if len(data) > limit:
            raise Refused(Code.RESOURCE_TOO_LARGE, f"image {shown!r} is larger than {limit} bytes")
        return data

    def _depend_on(self, path: Path, data: bytes | None) -> None:
        """Records a file the output depends on, so the build cache notices when it changes or appears."""
        key = Path(os.path.relpath(path, self.base)).as_posix()
        self.dependencies[key] = hashlib.sha256(data).hexdigest() if data is not None else None

    # ------------------------------------------------------------ data: URLs

    def _load_data_url(self, reference: str, line: int) -> Resource:
        shown = shown_reference(reference)
        try:
            mime, data = decode_data_url(reference, self.limits.data_url_bytes)
        except DataUrlTooLarge:
            raise Refused(
                Code.RESOURCE_TOO_LARGE, f"data: URL {shown!r} is larger than {self.limits.data_url_bytes} bytes"
            ) from None
        except ValueError:
            raise Refused(Code.RESOURCE_INVALID, f"data: URL {shown!r} is not valid") from None
        if mime not in IMAGE_TYPES:
            raise Refused(Code.RESOURCE_TYPE, f"data: URL {shown!r} is not a supported image type")
        return self._checked(data, mime, "inline-image", shown, line)

    # ------------------------------------------------------------ remote images

    def _load_remote(self, reference: str, parsed: urllib.parse.SplitResult, line: int) -> Resource:
        shown = shown_reference(reference)
        if not self.allow_remote:
            raise Refused(Code.RESOURCE_REMOTE, f"not loading remote resource {shown!r}: network access is off")
        from exporter.safety.remote import fetch_public_image

        data, mime = fetch_public_image(reference, self.limits.image_bytes, shown)
        # Recorded under its URL, which never names a local file: the build cache always re-exports.
        self.dependencies[reference] = hashlib.sha256(data).hexdigest()
        name = PurePosixPath(parsed.path).name or (parsed.hostname or "remote-image")
        return self._checked(data, mime, name, shown, line)

    # ------------------------------------------------------------ content

    def _checked(self, data: bytes, mime: str, name: str, shown: str, line: int) -> Resource:
        """The resource once its content is what its name or type says, within the pixel limit; SVG sanitized."""
        if mime == SVG_TYPE:
            try:
                sanitized = sanitize_svg(data, max_image_pixels=self.limits.image_pixels)
            except UnsafeSvgError as error:
                raise Refused(Code.RESOURCE_UNSAFE_SVG, f"refusing SVG image {shown!r}: {error}") from None
            if sanitized.removed:
                self.reporter.warn(
                    line, Code.RESOURCE_UNSAFE_SVG, f"removed {', '.join(sanitized.removed)} from SVG image {shown!r}"
                )
            return Resource(sanitized.data, mime, name)
        return Resource(data, self._raster_type(data, mime, shown), name)

    def _raster_type(self, data: bytes, mime: str, shown: str) -> str:
        """The image's real type, read from its header without decoding it; refuses too many pixels."""
        try:
            header = read_header(data)
        except ImageBomb:
            raise Refused(Code.RESOURCE_TOO_LARGE, f"image {shown!r} claims too many pixels") from None
        except UnreadableImage:
            raise Refused(Code.RESOURCE_TYPE, f"{shown!r} is not a readable {_kind(mime)} image") from None
        if header.pixels > self.limits.image_pixels:
            raise Refused(
                Code.RESOURCE_TOO_LARGE,
                f"image {shown!r} is {header.width}x{header.height} pixels, more than {self.limits.image_pixels}",
            )
        return header.mime  # a PNG named .jpg is served as the PNG it is


def _kind(mime: str) -> str:
    return mime.partition("/")[2].upper() or "image"


class DataUrlTooLarge(ValueError):
    pass


def decode_data_url(url: str, max_bytes: int) -> tuple[str, bytes]:
    """The media type and bytes of a `data:` URL; DataUrlTooLarge beyond `max_bytes` decoded, else ValueError
    when malformed. The encoded length is checked first, so a huge URL is never decoded."""
    header, comma, payload = url.strip()[5:].partition(",")
    if not comma:
        raise ValueError("data: URL without a comma")
    parameters = [part.strip().lower() for part in header.split(";")]
    is_base64 = parameters[-1] == "base64"
    mime = parameters[0] or "text/plain"
    if len(payload) > (max_bytes * 4 // 3 + 4 if is_base64 else max_bytes * 3):
        raise DataUrlTooLarge(url[:40])
    try:
        data = base64.b64decode(payload, validate=False) if is_base64 else urllib.parse.unquote_to_bytes(payload)
    except binascii.Error:
        raise ValueError("data: URL is not valid base64") from None
    if len(data) > max_bytes:
        raise DataUrlTooLarge(url[:40])
    return mime, data
