"""Text diagrams to vector graphics.

- `exporter.diagram.recognize`: `recognize(lines) -> Recognition` (boxes, lines, arrows and labels, the
  round-trip confidence test, ragged-spot problems), `convert(lines)`, `check(lines)`.
- `exporter.diagram.redraw`: the drawing back on the character grid (`cell_tokens`, `redraw_text`).
- `exporter.diagram.svg`: `render_svg(drawing, style, source)`, inline SVG.
- `exporter.diagram.raster`: `render_png(drawing, style, font_size_pt, dpi)`, a PNG for Word.
- `exporter.diagram.style`: `DiagramStyle`, `style_from_theme(theme)`.
"""
