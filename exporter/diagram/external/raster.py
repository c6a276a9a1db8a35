"""A diagram's SVG as a PNG at print resolution (300 dpi), for Word, drawn by rsvg-convert (librsvg) in the sandbox."""

from __future__ import annotations

import re
import struct
import zlib

from exporter.diagram.external.renderer import RenderFailure, RenderLimits
from exporter.diagram.external.sandbox import find_program, run_sandboxed

MISSING = "Diagram pictures for Word need rsvg-convert (`apt-get install librsvg2-bin`, or `make setup`)"
DPI = 300
CSS_PIXELS_PER_INCH = 96
MAX_PIXELS = 80_000_000  # about 2.5 × 1 m at 300 dpi; beyond, the PNG alone would take hundreds of MiB
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_METRES_PER_INCH = 0.0254
_ROOT_TAG = re.compile(rb"<svg\b[^>]*>")


def rasterizer_missing() -> str | None:
    return MISSING if find_program("rsvg-convert") is None else None


def png_size(width_px: float, height_px: float) -> tuple[int, int]:
    """The PNG's pixels for an SVG drawn `width_px` × `height_px` CSS pixels wide and high."""
    scale = DPI / CSS_PIXELS_PER_INCH
    return max(1, round(width_px * scale)), max(1, round(height_px * scale))


def svg_to_png(
    svg: bytes, width_px: float, height_px: float, limits: RenderLimits, *, background: str | None = None
) -> bytes | RenderFailure:
    """The SVG drawn at `width_px` × `height_px` CSS pixels, at 300 dpi; transparent unless a `background`
    colour is given. The PNG says 300 dpi, so that it keeps its size wherever it is placed."""
    width, height = png_size(width_px, height_px)
    if width * height > MAX_PIXELS:
        return RenderFailure("memory", f"the picture would be {width} × {height} pixels at {DPI} dpi, too large")
    command = ["rsvg-convert", "--format=png", f"--width={width}", f"--height={height}"]
    if background is not None:
        command.append(f"--background-color={background}")
    result = run_sandboxed(
        command,
        with_spaces_kept(svg),
        seconds=limits.seconds,
        memory_bytes=limits.memory_bytes,
        max_output_bytes=width * height * 4 + 1024 * 1024,  # more than a PNG of that size can take
    )
    if result.missing:
        return RenderFailure("missing", MISSING)
    if result.timed_out:
        return RenderFailure("timeout", "rsvg-convert did not finish the picture in time")
    if result.memory_exceeded or result.output_exceeded:
        return RenderFailure("memory", "rsvg-convert ran out of memory drawing the picture")
    if result.returncode != 0 or not result.stdout.startswith(PNG_SIGNATURE):
        last = (result.stderr.strip().splitlines() or [f"exit status {result.returncode}"])[-1]
        return RenderFailure("crash", f"rsvg-convert could not draw the picture: {last}")
    return with_resolution(result.stdout, DPI)


def with_spaces_kept(svg: bytes) -> bytes:
    """The SVG with xml:space="preserve" on its root, unless it says otherwise: librsvg drops the space that
    starts a <tspan> ("Is" + " it?" drawn as "Isit?", as Mermaid writes its labels), where browsers keep it."""
    root = _ROOT_TAG.search(svg)
    if root is None or b"xml:space" in root.group():
        return svg
    return svg[: root.start() + 4] + b' xml:space="preserve"' + svg[root.start() + 4 :]


def with_resolution(png: bytes, dpi: int) -> bytes:
    """The PNG with a pHYs chunk saying `dpi` (rsvg-convert writes none), right after IHDR."""
    ihdr_end = len(PNG_SIGNATURE) + 8 + 13 + 4  # length, type, 13 bytes of header, CRC
    pixels_per_metre = round(dpi / _METRES_PER_INCH)
    body = b"pHYs" + struct.pack(">IIB", pixels_per_metre, pixels_per_metre, 1)  # unit 1: the metre
    chunk = struct.pack(">I", len(body) - 4) + body + struct.pack(">I", zlib.crc32(body))
    rest = _without_chunk(png[ihdr_end:], b"pHYs")
    return png[:ihdr_end] + chunk + rest


def _without_chunk(chunks: bytes, kind: bytes) -> bytes:
    kept: list[bytes] = []
    position = 0
    while position + 8 <= len(chunks):
        (length,) = struct.unpack(">I", chunks[position : position + 4])
        end = position + 12 + length
        if chunks[position + 4 : position + 8] != kind:
            kept.append(chunks[position:end])
        position = end
    return b"".join(kept) + chunks[position:]
