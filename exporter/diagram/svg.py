"""A recognised drawing as inline SVG: presentation attributes only, deterministic output.

One user unit is a tenth of an em of the diagram font, so a cell is 6.02 × 12 units and the
viewBox is columns × rows cells. Labels are <text> runs, one per word group, anchored at the
cell their first character had in the source; a box title is one too, on the box's top edge,
which is broken around it.
"""

from __future__ import annotations

import html
import math
import re

from exporter.diagram.redraw import joined_corners, title_labels
from exporter.diagram.style import BASELINE_EM, CELL_HEIGHT_EM, CELL_WIDTH_EM, DiagramStyle
from exporter.model.text_width import cell_width
from exporter.model.tree import DiagramBox, DiagramDrawing, DiagramLabel, DiagramPath

UNITS_PER_EM = 10.0
CELL_X = CELL_WIDTH_EM * UNITS_PER_EM
CELL_Y = CELL_HEIGHT_EM * UNITS_PER_EM
ARROW_LENGTH = 5.6  # user units, from tip to base
ARROW_HALF_WIDTH = 2.5
DOUBLE_GAP = 1.2  # half the distance between the two strokes of a double box
DASHES = "3 2"
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _number(value: float) -> str:
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _clean(text: str) -> str:
    return _NOT_XML.sub("", text)


# xml.sax.saxutils' escape and quoteattr, written out: importing that module loads urllib.request, and with it
# http.client, email, socket and ssl, 15 ms of every run that draws a diagram.


def _escape(text: str) -> str:
    """`&`, `<` and `>` as entities, as in XML text."""
    return html.escape(text, quote=False)


def _quoted_attribute(text: str) -> str:
    """An attribute value with its quotes: in `"` unless it holds one and no `'`; line breaks and tabs as
    character references, so they survive attribute-value normalisation."""
    text = _escape(text).replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#9;")
    if '"' not in text:
        return f'"{text}"'
    if "'" not in text:
        return f"'{text}'"
    return '"' + text.replace('"', "&quot;") + '"'


def _x(column: float) -> float:
    return column * CELL_X


def _y(row: float) -> float:
    return row * CELL_Y


def _outline(box: DiagramBox, inset: float, style: DiagramStyle, fill: str, joined: tuple[bool, ...]) -> str:
    """A box as <rect>, or as <path> when some corners join other strokes and stay square or its top edge
    is broken for a title (the fill closes across the break on its own)."""
    x, y = _x(box.left + 0.5) + inset, _y(box.top + 0.5) + inset
    width = _x(box.right - box.left) - 2 * inset
    height = _y(box.bottom - box.top) - 2 * inset
    radius = style.corner_radius_em * UNITS_PER_EM * (2 if box.style == "rounded" else 1)
    radius = max(0.0, min(radius, width / 2, height / 2))
    dashes = f' stroke-dasharray="{DASHES}"' if box.style == "dashed" else ""
    if not any(joined) and not box.title:
        return (
            f'<rect x="{_number(x)}" y="{_number(y)}" width="{_number(width)}" height="{_number(height)}"'
            f' rx="{_number(radius)}" fill="{fill}"{dashes}/>'
        )
    top_left, top_right, bottom_right, bottom_left = (0.0 if flag else radius for flag in joined)
    right, bottom = x + width, y + height

    def arc(size: float, end_x: float, end_y: float) -> str:
        return f" A{_number(size)} {_number(size)} 0 0 1 {_number(end_x)} {_number(end_y)}" if size else ""

    sides = (
        f" V{_number(bottom - bottom_right)}{arc(bottom_right, right - bottom_right, bottom)}"
        f" H{_number(x + bottom_left)}{arc(bottom_left, x, bottom - bottom_left)}"
        f" V{_number(y + top_left)}{arc(top_left, x + top_left, y)}"
    )
    if box.title:  # from the far side of the title round to its near side
        gap_start = min(max(_x(box.title_gap[0]), x + top_left), right - top_right)
        gap_end = min(max(_x(box.title_gap[1] + 1), gap_start), right - top_right)
        d = (
            f"M{_number(gap_end)} {_number(y)} H{_number(right - top_right)}{arc(top_right, right, y + top_right)}"
            f"{sides} H{_number(gap_start)}"
        )
    else:
        d = (
            f"M{_number(x + top_left)} {_number(y)} H{_number(right - top_right)}"
            f"{arc(top_right, right, y + top_right)}{sides} Z"
        )
    return f'<path d="{d}" fill="{fill}"{dashes}/>'


def _boxes(drawing: DiagramDrawing, style: DiagramStyle) -> list[str]:
    # Outer boxes first, so that the fills of nested boxes lie on top of them.
    joined = dict(zip(drawing.boxes, joined_corners(drawing), strict=True))
    ordered = sorted(
        drawing.boxes,
        key=lambda box: (-(box.bottom - box.top) * (box.right - box.left), box.top, box.left, box.bottom, box.right),
    )
    out: list[str] = []
    for box in ordered:
        if box.style == "double":
            out.append(_outline(box, -DOUBLE_GAP, style, style.fill, joined[box]))
            out.append(_outline(box, DOUBLE_GAP, style, "none", joined[box]))
        else:
            out.append(_outline(box, 0.0, style, style.fill, joined[box]))
    return out


def point_toward(start: tuple[float, float], end: tuple[float, float], distance: float) -> tuple[float, float]:
    """The point `distance` along from start toward end (user units)."""
    length = math.hypot(end[0] - start[0], end[1] - start[1])
    if length == 0:
        return start
    ratio = min(distance, length) / length
    return start[0] + (end[0] - start[0]) * ratio, start[1] + (end[1] - start[1]) * ratio


def _arrowhead(before: tuple[float, float], tip: tuple[float, float]) -> str:
    length = math.hypot(tip[0] - before[0], tip[1] - before[1])
    if length == 0:
        return ""
    ux, uy = (tip[0] - before[0]) / length, (tip[1] - before[1]) / length
    base_x, base_y = tip[0] - ux * ARROW_LENGTH, tip[1] - uy * ARROW_LENGTH
    corners = (
        tip,
        (base_x - uy * ARROW_HALF_WIDTH, base_y + ux * ARROW_HALF_WIDTH),
        (base_x + uy * ARROW_HALF_WIDTH, base_y - ux * ARROW_HALF_WIDTH),
    )
    return '<polygon points="' + " ".join(f"{_number(x)},{_number(y)}" for x, y in corners) + '"/>'


def _path(path: DiagramPath) -> tuple[str, list[str]]:
    points = [(_x(x), _y(y)) for x, y in path.points]
    heads: list[str] = []
    if len(points) < 2:
        return "", heads
    line = list(points)
    if path.end_arrow:
        heads.append(_arrowhead(points[-2], points[-1]))
        line[-1] = point_toward(points[-1], points[-2], ARROW_LENGTH * 0.8)
    if path.start_arrow:
        heads.append(_arrowhead(points[1], points[0]))
        line[0] = point_toward(points[0], points[1], ARROW_LENGTH * 0.8)
    d = "M" + " L".join(f"{_number(x)} {_number(y)}" for x, y in line)
    dashes = f' stroke-dasharray="{DASHES}"' if path.dashed else ""
    return f'<path d="{d}"{dashes}/>', [head for head in heads if head]


def _text(label: DiagramLabel) -> str:
    """One <text> per label; a tspan re-anchors on the grid wherever wide and narrow characters meet."""
    baseline = _number(_y(label.row) + BASELINE_EM * UNITS_PER_EM)
    pieces: list[tuple[int, str]] = []  # (start column, characters of one width class)
    column = label.column
    wide_run: bool | None = None
    for char in label.text:
        width = cell_width(char)
        if width != 0 and (width == 2) != wide_run:
            pieces.append((column, ""))
            wide_run = width == 2
        if not pieces:
            pieces.append((column, ""))
        pieces[-1] = (pieces[-1][0], pieces[-1][1] + char)
        column += width
    start = _number(_x(label.column))
    if len(pieces) == 1:
        return f'<text x="{start}" y="{baseline}">{_escape(_clean(label.text))}</text>'
    spans = "".join(f'<tspan x="{_number(_x(column))}">{_escape(_clean(text))}</tspan>' for column, text in pieces)
    return f'<text x="{start}" y="{baseline}">{spans}</text>'


def all_labels(drawing: DiagramDrawing) -> list[DiagramLabel]:
    """The labels and the box titles, in reading order."""
    return sorted((*drawing.labels, *title_labels(drawing)), key=lambda item: (item.row, item.column))


def aria_label(drawing: DiagramDrawing) -> str:
    names = [" ".join(label.text.split()) for label in all_labels(drawing)]
    return "Diagram: " + ", ".join(names) if names else "Diagram"


def render_svg(
    drawing: DiagramDrawing, style: DiagramStyle | None = None, source: str = "", width: str = "100%"
) -> str:
    """Inline SVG of a drawing; `source` (the diagram's text) goes into <desc>. Same input, same bytes."""
    style = style or DiagramStyle()
    view_width, view_height = _x(drawing.columns), _y(drawing.rows)
    stroke_width = _number(style.stroke_width_em * UNITS_PER_EM)
    size = f' width="{_escape(width)}"' if width else ""
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_number(view_width)} {_number(view_height)}"{size}'
        f' preserveAspectRatio="xMinYMin meet" role="img" aria-label={_quoted_attribute(_clean(aria_label(drawing)))}>',
        f"<desc>{_escape(_clean(source))}</desc>",
    ]
    boxes = _boxes(drawing, style)
    if boxes:
        out.append(f'<g stroke="{style.stroke}" stroke-width="{stroke_width}">')
        out.extend(boxes)
        out.append("</g>")
    lines: list[str] = []
    heads: list[str] = []
    for path in sorted(drawing.paths, key=lambda item: (item.points, item.start_arrow, item.end_arrow, item.dashed)):
        line, path_heads = _path(path)
        if line:
            lines.append(line)
        heads.extend(path_heads)
    if lines:
        out.append(
            f'<g fill="none" stroke="{style.stroke}" stroke-width="{stroke_width}"'
            ' stroke-linejoin="miter" stroke-linecap="butt">'
        )
        out.extend(lines)
        out.append("</g>")
    if heads:
        out.append(f'<g fill="{style.stroke}" stroke="none">')
        out.extend(heads)
        out.append("</g>")
    labels = all_labels(drawing)
    if labels:
        family = _quoted_attribute(style.font_families)
        out.append(f'<g fill="{style.text}" font-family={family} font-size="{_number(UNITS_PER_EM)}">')
        out.extend(_text(label) for label in labels)
        out.append("</g>")
    out.append("</svg>")
    return "\n".join(out)
