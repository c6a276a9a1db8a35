"""Pictures: images as figures or in running text (a boxed placeholder when Word can't show one),
recognised diagrams as a PNG with its SVG attached, other diagrams as text on an exact grid, and
picture ids unique across the package."""

from __future__ import annotations

import math
from collections.abc import Iterator

from docx.document import Document as DocxDocument
from docx.image.image import Image as PictureInfo
from docx.shared import Pt

from exporter.diagram.external.drawing import DiagramPicture
from exporter.diagram.svg import aria_label, render_svg
from exporter.enrich.presentation import DIAGRAM_MAX_FONT_PT, diagram_font_size_pt
from exporter.model.diagnostics import Code
from exporter.model.text_width import cell_width
from exporter.model.tree import Diagram, DiagramDrawing, Image
from exporter.render.word import ooxml, ooxml_body, package, styles
from exporter.render.word.context import TWIPS_PER_PT, Context
from exporter.render.word.runs import RunFormat, RunSink
from exporter.safety.resources import Resource, shown_reference

IMAGE_DPI = 96
DRAWING_DPI = 300  # recognised diagrams: print-quality PNG beside the SVG
MAX_IMAGE_HEIGHT_SHARE = 0.8  # of the text height


def figure(image: Image, context: Context) -> None:
    """An image alone in its paragraph, with its alt text as caption; else a box saying why it isn't shown."""
    paragraph = context.add_block_paragraph(styles.FIGURE)
    problem = _embed(ooxml_body.add_run(paragraph), image, context.width_pt, context)
    if not problem:
        if image.alt.strip():
            caption = context.add_block_paragraph(styles.CAPTION)
            ooxml_body.add_run(caption, text=context.clean(image.alt.strip()))
        return
    # A bordered box: the alt text, then what was referenced and why it isn't shown.
    context.set_style(paragraph, styles.PLACEHOLDER)
    palette = styles.palette(context.options.theme)
    ooxml.box_paragraph(ooxml_body.paragraph_properties(paragraph), palette.border, palette.code_fill)
    if image.alt.strip():
        ooxml_body.add_run(paragraph, ooxml_body.run_properties_of(bold=True), context.clean(image.alt.strip()))
        ooxml_body.add_break(ooxml_body.add_run(paragraph))
    problem_text = context.clean(f"image not available: {shown_reference(image.source)} — {problem}")
    ooxml_body.add_run(paragraph, text=problem_text)


def inline_picture(sink: RunSink, image: Image, run_format: RunFormat, context: Context) -> None:
    """An image in running text; else a placeholder boxed and shaded like the figure one, so it doesn't read as text."""
    run = sink.add_run("", run_format)
    if not _embed(run, image, sink.width_pt, context):
        return
    ooxml_body.set_text(run, context.clean(f"[image not available: {image.alt or image.source}]"))
    palette = styles.palette(context.options.theme)
    run_props = ooxml_body.run_properties(run)
    ooxml.set_run_border(run_props, palette.border)
    ooxml.set_run_shading(run_props, palette.code_fill)


def diagram(block: Diagram, context: Context) -> None:
    """A recognised drawing as a picture; otherwise one paragraph per line on an exact grid."""
    size = _diagram_font_size(block.columns, context.width_pt)
    if block.drawing is not None:
        _drawing(block, block.drawing, size, context)
        return
    style = styles.DIAGRAM if size == styles.DIAGRAM_SIZE_PT else context.book.sized(styles.DIAGRAM, size)
    wide_spacing = round((2 * styles.MONO_ADVANCE_EM - 1) * size * TWIPS_PER_PT)
    for index, line in enumerate(block.lines):
        paragraph = context.add_block_paragraph(style)
        if index < len(block.lines) - 1:  # a diagram never splits across pages
            ooxml_body.keep_with_next(paragraph)
        for text, wide in _split_by_width(context.clean(line)):
            run = ooxml_body.add_run(paragraph, text=text, preserve=True)
            if wide:  # a full-width fallback glyph is 1 em; two grid cells are 1.204 em
                ooxml.set_character_spacing(ooxml_body.run_properties(run), wide_spacing)


def number_drawings(document: DocxDocument) -> None:
    """Pictures get ids unique across the body, notes, headers and footers, as Word wants."""
    ooxml.number_drawings(package.story_parts(document))


# ---------------------------------------------------------------- embedding


def _embed(run: ooxml.Element, image: Image, width_pt: float, context: Context) -> str:
    """Embeds the image scaled to fit, never above its natural size at 96 dpi; "" if it could, else why not."""
    line = image.line or context.line
    resource = context.resolver.load(image.source, line)
    if resource is None:
        return context.resolver.refusal_reason(image.source) or "not loaded"
    picture = _word_picture(resource, line, context)
    if picture is None:
        is_svg = resource.mime == package.SVG_CONTENT_TYPE
        return "SVG is not supported in Word output" if is_svg else "unreadable image"
    data, info = picture
    natural_width = info.px_width * 72 / IMAGE_DPI
    natural_height = info.px_height * 72 / IMAGE_DPI
    # A raw `<img width>` (or `height`) in CSS pixels sets the size; the other side keeps the proportions.
    if image.width or image.height:
        asked = image.width * 72 / IMAGE_DPI / natural_width if image.width else image.height / info.px_height
        natural_width, natural_height = natural_width * asked, natural_height * asked
    height_pt = context.page.text_height_pt * MAX_IMAGE_HEIGHT_SHARE
    scale = min(1.0, width_pt / natural_width, height_pt / natural_height)
    shape = _add_picture(run, data, info, _emu(natural_width * scale), _emu(natural_height * scale), context)
    description = context.clean(image.alt or image.title)
    ooxml_body.describe_picture(shape, description, context.clean(image.title) if image.title else "")
    return ""


def _drawing(block: Diagram, drawing: DiagramDrawing, size_pt: float, context: Context) -> None:
    """A 300 dpi PNG that every reader shows, with the SVG attached for Word 2016+ (svgBlip)."""
    diagram_style = context.presentation.diagram_style
    from exporter.diagram.raster import render_png  # Pillow and the font lookup, only for a drawn diagram

    png = render_png(drawing, diagram_style, font_size_pt=size_pt, dpi=DRAWING_DPI)
    svg = render_svg(drawing, diagram_style, "\n".join(block.lines)).encode("utf-8")
    info = PictureInfo.from_blob(png)
    width_pt = info.px_width * 72 / DRAWING_DPI
    height_pt = info.px_height * 72 / DRAWING_DPI
    paragraph = context.add_block_paragraph(styles.FIGURE)
    shape = _add_picture(ooxml_body.add_run(paragraph), png, info, _emu(width_pt), _emu(height_pt), context)
    ooxml_body.describe_picture(shape, context.clean(aria_label(drawing)))
    # Related from the story's own part: a diagram in a footnote needs the relationship in footnotes.xml.rels.
    ooxml_body.attach_svg(shape, context.state.images.relate_svg(context.story.part, svg))


def diagram_picture(picture: DiagramPicture, context: Context) -> None:
    """A Mermaid, Graphviz or PlantUML diagram the way a recognised text diagram goes in: its 300 dpi PNG, the
    SVG attached for Word 2016+, the labels as alt text; at its natural size, shrunk to fit the text area."""
    info = PictureInfo.from_blob(picture.png)
    width_pt, height_pt = picture.width * 72 / IMAGE_DPI, picture.height * 72 / IMAGE_DPI
    scale = min(1.0, context.width_pt / width_pt, context.page.text_height_pt * MAX_IMAGE_HEIGHT_SHARE / height_pt)
    paragraph = context.add_block_paragraph(styles.FIGURE)
    run = ooxml_body.add_run(paragraph)
    shape = _add_picture(run, picture.png, info, _emu(width_pt * scale), _emu(height_pt * scale), context)
    ooxml_body.describe_picture(shape, context.clean(picture.alt))
    ooxml_body.attach_svg(shape, context.state.images.relate_svg(context.story.part, picture.svg.encode("utf-8")))


def _add_picture(
    run: ooxml.Element, data: bytes, info: PictureInfo, width_emu: int, height_emu: int, context: Context
) -> ooxml.Element:
    """The picture in the run, related from the story's part (the body's, a footnote's): its `wp:inline`."""
    images, part = context.state.images, context.story.part
    relationship, file_name = images.relate(part, data, info)
    return ooxml_body.add_picture(run, images.next_shape_id(part), relationship, file_name, width_emu, height_emu)


def _emu(points: float) -> int:
    """Points in EMU as python-docx counts them (`Pt`, which truncates)."""
    return int(Pt(points))


def _word_picture(resource: Resource, line: int, context: Context) -> tuple[bytes, PictureInfo] | None:
    """Bytes in a format Word shows, with their size: PNG, JPEG, GIF or BMP as they are, WebP converted to PNG."""
    if resource.mime == package.SVG_CONTENT_TYPE:
        context.reporter.warn(
            line, Code.DOCX_SVG, f"SVG image {resource.name!r} can't be embedded in DOCX; shown as a placeholder"
        )
        return None
    if resource.mime == "image/webp":
        from exporter.safety.images import png_from  # Pillow, only for a WebP

        data = png_from(resource.data)
    else:
        data = resource.data
    info = _picture_info(data) if data is not None else None
    if data is not None and info is not None:
        return data, info
    context.reporter.warn(line, Code.DOCX_IMAGE, f"image {resource.name!r} is unreadable; shown as a placeholder")
    return None


def _picture_info(data: bytes) -> PictureInfo | None:
    """The picture as python-docx reads it (which it must, to embed it), when it has a size."""
    try:
        info = PictureInfo.from_blob(data)
    except Exception:  # damaged files raise struct.error, UnexpectedEndOfFileError, bare Exception...
        return None
    return info if info.px_width > 0 and info.px_height > 0 else None


# ---------------------------------------------------------------- diagrams as text


def _diagram_font_size(columns: int, width_pt: float) -> float:
    """The shared diagram size (exporter.enrich.presentation) rounded down to Word's half points, with 1% of
    the width kept spare for that rounding."""
    if columns <= 0:
        return DIAGRAM_MAX_FONT_PT
    return max(1.0, math.floor(diagram_font_size_pt(columns, width_pt * 0.99) * 2) / 2)


def _split_by_width(line: str) -> Iterator[tuple[str, bool]]:
    """The line in pieces of narrow and of wide (two-cell) characters."""
    piece = ""
    piece_wide = False
    for char in line:
        wide = cell_width(char) == 2
        if piece and wide != piece_wide:
            yield piece, piece_wide
            piece = ""
        piece += char
        piece_wide = wide
    if piece:
        yield piece, piece_wide
