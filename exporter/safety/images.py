"""The one place that opens image bytes from a document: what type an image really is and how many pixels
it has, read from its header without decoding it, and the PNG Word needs in place of a WebP.

A header claiming more pixels than Pillow agrees to decode (a decompression bomb) is refused as such,
never decoded. Pillow loads on the first call, so only documents with images pay for it.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Collection
from dataclasses import dataclass

# The raster types a document may show, by media type, with the name Pillow gives each.
PILLOW_FORMATS = {
    "image/png": "PNG",
    "image/jpeg": "JPEG",
    "image/gif": "GIF",
    "image/webp": "WEBP",
    "image/bmp": "BMP",
}
RASTER_TYPES = frozenset(PILLOW_FORMATS)


class UnreadableImage(ValueError):
    """The bytes are not a readable image of the accepted types."""


class ImageBomb(UnreadableImage):
    """The header claims so many pixels that Pillow refuses to decode it."""


@dataclass(frozen=True, slots=True)
class ImageHeader:
    mime: str  # the real media type, whatever the file's name or the URL said
    width: int
    height: int

    @property
    def pixels(self) -> int:
        return self.width * self.height


def read_header(data: bytes, accepted: Collection[str] = RASTER_TYPES) -> ImageHeader:
    """The type and size of an image of one of the `accepted` media types, from its header alone.

    ImageBomb when the header claims too many pixels; UnreadableImage when the bytes are none of the types."""
    from PIL import Image

    formats = [PILLOW_FORMATS[mime] for mime in accepted]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=formats) as image:
                width, height = image.size
                found = image.format or ""
    except Image.DecompressionBombError:
        raise ImageBomb("the image claims too many pixels") from None
    except Exception:  # damaged files raise UnidentifiedImageError, SyntaxError, struct.error...
        raise UnreadableImage("not a readable image") from None
    mime = next((mime for mime, name in PILLOW_FORMATS.items() if name == found), "")
    if mime not in accepted:
        raise UnreadableImage("not a readable image")
    return ImageHeader(mime, width, height)


def png_from(data: bytes) -> bytes | None:
    """The image re-encoded as PNG (for a WebP, which Word can't show); None when it can't be decoded."""
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as picture:
            output = io.BytesIO()
            picture.save(output, format="PNG")
            return output.getvalue()
    except (OSError, ValueError):
        return None
