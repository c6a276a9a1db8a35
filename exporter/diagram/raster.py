"""A recognised drawing as a PNG for Word, drawn with Pillow at print resolution.

The same geometry as the SVG: a cell is 0.602 × 1.2 em of a `font_size_pt` font. Narrow
characters use the style's mono font and wide (CJK) characters its wide font, found with
`fc-match` once per family. Each character is placed on its own grid cell, box titles too (on the
top edge, which is broken around them). Same input, same bytes.
"""

from __future__ import annotations

import io
import itertools
import math
from functools import cache

from PIL import Image, ImageDraw, ImageFont

from exporter.diagram.redraw import joined_corners
from exporter.diagram.style import BASELINE_EM, CELL_HEIGHT_EM, CELL_WIDTH_EM, DiagramStyle
from exporter.diagram.svg import all_labels, point_toward
from exporter.model.text_width import cell_width
from exporter.model.tree import DiagramBox, DiagramDrawing, DiagramPath
from exporter.read.fonts import font_characters, installed_font

DEFAULT_DPI = 300
DEFAULT_FONT_SIZE_PT = 9.0
SUPERSAMPLE = 2  # drawn at twice the size and scaled down, for smooth strokes
MAX_SUPERSAMPLED_PIXELS = 40_000_000
ARROW_LENGTH_EM = 0.56
ARROW_HALF_WIDTH_EM = 0.25
DOUBLE_GAP_EM = 0.12
DASH_EM = (0.3, 0.2)

FontType = ImageFont.FreeTypeFont | ImageFont.ImageFont


@cache
def _font(family: str, pixels: int) -> FontType:
    found = installed_font(family)
    if found is not None:
        try:
            return ImageFont.truetype(found.path, pixels, index=found.index)
        except OSError:
            pass
    return ImageFont.load_default(pixels)


@cache
def _covers(family: str, char: str) -> bool:
    """Whether the family's font has a glyph for the character, so that others are used only when needed."""
    found = installed_font(family)
    characters = font_characters(found) if found is not None else None
    return characters is None or ord(char) in characters


class _Canvas:
    def __init__(self, drawing: DiagramDrawing, style: DiagramStyle, pixels_per_em: float) -> None:
        self.style = style
        self.em = pixels_per_em
        self.cell_x = CELL_WIDTH_EM * pixels_per_em
        self.cell_y = CELL_HEIGHT_EM * pixels_per_em
        width = max(1, math.ceil(drawing.columns * self.cell_x))
        height = max(1, math.ceil(drawing.rows * self.cell_y))
        self.image = Image.new("RGB", (width, height), "#ffffff")
        self.draw = ImageDraw.Draw(self.image)
        self.stroke = max(1, round(style.stroke_width_em * pixels_per_em))
        self.corners = (True, True, True, True)

    def point(self, x: float, y: float) -> tuple[float, float]:
        return x * self.cell_x, y * self.cell_y

    def box(self, box: DiagramBox, joined: tuple[bool, bool, bool, bool]) -> None:
        left, top = self.point(box.left + 0.5, box.top + 0.5)
        right, bottom = self.point(box.right + 0.5, box.bottom + 0.5)
        radius = self.style.corner_radius_em * self.em * (2 if box.style == "rounded" else 1)
        # A pixel under half the side: Pillow refuses corners that meet (a box one cell wide).
        radius = max(0.0, min(radius, (right - left) / 2 - 1, (bottom - top) / 2 - 1))
        fill = None if self.style.fill == "none" else self.style.fill
        self.corners = (not joined[0], not joined[1], not joined[2], not joined[3])
        gap = self._title_gap(box, left + radius * self.corners[0], right - radius * self.corners[1])
        if box.style == "double":
            spread = DOUBLE_GAP_EM * self.em
            self._rounded((left - spread, top - spread, right + spread, bottom + spread), radius + spread, fill, gap)
            inner = (left + spread, top + spread, right - spread, bottom - spread)
            self._rounded(inner, max(0.0, radius - spread), None, gap)
        elif box.style == "dashed":
            if fill:
                self.draw.rounded_rectangle((left, top, right, bottom), radius, fill=fill, corners=self.corners)
            if gap is None:
                self._dashed([(left, top), (right, top), (right, bottom), (left, bottom), (left, top)])
            else:
                self._dashed([(gap[1], top), (right, top), (right, bottom), (left, bottom), (left, top), (gap[0], top)])
        else:
            self._rounded((left, top, right, bottom), radius, fill, gap)

    def _title_gap(self, box: DiagramBox, earliest: float, latest: float) -> tuple[float, float] | None:
        """Where the top edge breaks for the box's title (x from, to), kept clear of the corners' arcs."""
        if not box.title:
            return None
        start = min(max(box.title_gap[0] * self.cell_x, earliest), latest)
        return start, min(max((box.title_gap[1] + 1) * self.cell_x, start), latest)

    def _rounded(
        self, rect: tuple[float, float, float, float], radius: float, fill: str | None, gap: tuple[float, float] | None
    ) -> None:
        if gap is None:
            self.draw.rounded_rectangle(
                rect, radius, fill=fill, outline=self.style.stroke, width=self.stroke, corners=self.corners
            )
            return
        if fill:
            self.draw.rounded_rectangle(rect, radius, fill=fill, corners=self.corners)
        # The outline goes through a mask with the title's gap cut out of the top edge.
        origin_x, origin_y = math.floor(rect[0]), math.floor(rect[1])
        size = (math.ceil(rect[2]) - origin_x + 1, math.ceil(rect[3]) - origin_y + 1)
        mask = Image.new("L", size, 0)
        pen = ImageDraw.Draw(mask)
        local = (rect[0] - origin_x, rect[1] - origin_y, rect[2] - origin_x, rect[3] - origin_y)
        pen.rounded_rectangle(local, radius, outline=255, width=self.stroke, corners=self.corners)
        pen.rectangle((gap[0] - origin_x, 0, gap[1] - origin_x, local[1] + self.stroke), fill=0)
        self.image.paste(self.style.stroke, (origin_x, origin_y, origin_x + size[0], origin_y + size[1]), mask)

    def _dashed(self, points: list[tuple[float, float]]) -> None:
        on, off = DASH_EM[0] * self.em, DASH_EM[1] * self.em
        for start, end in itertools.pairwise(points):
            length = math.hypot(end[0] - start[0], end[1] - start[1])
            position = 0.0
            while position < length:
                a = point_toward(start, end, position)
                b = point_toward(start, end, min(position + on, length))
                self.draw.line([a, b], fill=self.style.stroke, width=self.stroke)
                position += on + off

    def path(self, path: DiagramPath) -> None:
        points = [self.point(x, y) for x, y in path.points]
        if len(points) < 2:
            return
        line = list(points)
        arrow = ARROW_LENGTH_EM * self.em
        if path.end_arrow:
            line[-1] = point_toward(points[-1], points[-2], arrow * 0.8)
        if path.start_arrow:
            line[0] = point_toward(points[0], points[1], arrow * 0.8)
        if path.dashed:
            self._dashed(line)
        else:
            self.draw.line(line, fill=self.style.stroke, width=self.stroke, joint="curve")
            for corner in line[1:-1]:  # square off the joins Pillow leaves notched
                half = self.stroke / 2
                self.draw.rectangle(
                    (corner[0] - half, corner[1] - half, corner[0] + half - 1, corner[1] + half - 1),
                    fill=self.style.stroke,
                )
        if path.end_arrow:
            self._arrowhead(points[-2], points[-1])
        if path.start_arrow:
            self._arrowhead(points[1], points[0])

    def _arrowhead(self, before: tuple[float, float], tip: tuple[float, float]) -> None:
        length = math.hypot(tip[0] - before[0], tip[1] - before[1])
        if length == 0:
            return
        ux, uy = (tip[0] - before[0]) / length, (tip[1] - before[1]) / length
        size, half = ARROW_LENGTH_EM * self.em, ARROW_HALF_WIDTH_EM * self.em
        base = (tip[0] - ux * size, tip[1] - uy * size)
        self.draw.polygon(
            [tip, (base[0] - uy * half, base[1] + ux * half), (base[0] + uy * half, base[1] - ux * half)],
            fill=self.style.stroke,
        )

    def labels(self, drawing: DiagramDrawing) -> None:
        pixels = max(1, round(self.em))
        narrow = _font(self.style.mono_font, pixels)
        wide = _font(self.style.wide_font, pixels)
        for label in all_labels(drawing):
            baseline = (label.row + BASELINE_EM / CELL_HEIGHT_EM) * self.cell_y
            column = label.column
            for char in label.text:
                width = cell_width(char)
                if char != " ":
                    font = wide if width == 2 or not _covers(self.style.mono_font, char) else narrow
                    start = column - (1 if width == 0 else 0)
                    self.draw.text((start * self.cell_x, baseline), char, font=font, fill=self.style.text, anchor="ls")
                column += width


def render_png(
    drawing: DiagramDrawing,
    style: DiagramStyle | None = None,
    font_size_pt: float = DEFAULT_FONT_SIZE_PT,
    dpi: int = DEFAULT_DPI,
) -> bytes:
    """PNG bytes of the drawing at `dpi` (300 or more for print), its font `font_size_pt` points.

    At that size the image is columns × 0.602 and rows × 1.2 ems of the font; the PNG records the
    dpi, so Word shows it at its natural size unless told otherwise.
    """
    style = style or DiagramStyle()
    pixels_per_em = font_size_pt / 72 * dpi
    width = drawing.columns * CELL_WIDTH_EM * pixels_per_em
    height = drawing.rows * CELL_HEIGHT_EM * pixels_per_em
    factor = SUPERSAMPLE if width * height * SUPERSAMPLE**2 <= MAX_SUPERSAMPLED_PIXELS else 1
    canvas = _Canvas(drawing, style, pixels_per_em * factor)
    joined = dict(zip(drawing.boxes, joined_corners(drawing), strict=True))
    for box in sorted(
        drawing.boxes, key=lambda box: (-(box.bottom - box.top) * (box.right - box.left), box.top, box.left)
    ):
        canvas.box(box, joined[box])
    for path in sorted(drawing.paths, key=lambda item: (item.points, item.start_arrow, item.end_arrow)):
        canvas.path(path)
    canvas.labels(drawing)
    image = canvas.image
    if factor != 1:
        size = (max(1, math.ceil(width)), max(1, math.ceil(height)))
        # The box filter averages each 2 × 2 block, which is what supersampling wants; Lanczos took 3 × as long
        # on a large diagram and left more shades, so the PNG was twice the size.
        image = image.resize(size, Image.Resampling.BOX)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", dpi=(dpi, dpi))
    return buffer.getvalue()
