"""Text diagrams to vector graphics.

- `exporter.diagram.recognize`: `recognize(lines) -> Recognition` (boxes, lines, arrows and labels, the
  round-trip confidence test, ragged-spot problems). Its steps:
  - `exporter.diagram.grid`: the character grid, directions, and what each character can draw;
  - `exporter.diagram.strokes`: which cells draw, and how neighbouring strokes link;
  - `exporter.diagram.boxes`: rectangles linked all round, and their style;
  - `exporter.diagram.paths`: the other links traced into lines and arrows;
  - `exporter.diagram.problems`: ragged spots worth a warning.
- `exporter.diagram.redraw`: the drawing back on the character grid (`cell_tokens`), for the confidence test.
- `exporter.diagram.svg`: `render_svg(drawing, style, source)`, inline SVG.
- `exporter.diagram.raster`: `render_png(drawing, style, font_size_pt, dpi)`, a PNG for Word.
- `exporter.diagram.style`: `DiagramStyle` (exporter.enrich.presentation fills it from the theme).
"""
