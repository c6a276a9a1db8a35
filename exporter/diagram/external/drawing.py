"""Drawing a document's diagram fences (```` ```mermaid ````, ```` ```dot ````, ```` ```plantuml ````) once, before any
backend runs: each renderer gets all of its diagrams in one call, every SVG is cleaned like an image from the
document, sized in CSS pixels, given ids of its own, and rasterized for Word; results are cached by content.

A fence that can't be drawn stays a code block, and says why at its line: what to install, the renderer's own
message (at the line inside the fence it names), or what was refused.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import assert_never

from exporter.assets import walk_files
from exporter.diagram.external.renderer import (
    DiagramRenderer,
    DiagramSource,
    RenderedSvg,
    RenderFailure,
    RenderLimits,
    RenderOutcome,
    RenderTheme,
)
from exporter.model.diagnostics import Code, Reporter
from exporter.model.tree import CodeBlock, Document, walk_blocks
from exporter.safety import svg as svg_cleaner
from exporter.safety.svg import SVG_NS, UnsafeSvgError, sanitize_svg, serialize_svg

# Fence languages drawn by a renderer, as GitHub, GitLab and Quarto spell them.
RENDERER_OF_LANGUAGE: Mapping[str, str] = {
    "mermaid": "mermaid",
    "dot": "graphviz",
    "graphviz": "graphviz",
    "gv": "graphviz",
    "plantuml": "plantuml",
    "puml": "plantuml",
}
RENDERER_TITLES = {"mermaid": "Mermaid", "graphviz": "Graphviz", "plantuml": "PlantUML"}
PICTURE_DPI = 300  # the PNG Word shows (and LibreOffice, which ignores the attached SVG)
CSS_PX_PER_UNIT = {"": 1.0, "px": 1.0, "pt": 96 / 72, "pc": 16.0, "in": 96.0, "cm": 96 / 2.54, "mm": 96 / 25.4}
CACHE_VERSION = "1"
RASTERIZE_PROCESSES = max(2, os.cpu_count() or 2)  # bump when what is stored for a diagram changes
MAX_ALT_CHARACTERS = 1500
_LENGTH = re.compile(r"\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*([a-z]*)\s*\Z")
_SIZE_IN_STYLE = re.compile(r"(?:^|;)\s*(?:max-)?(?:width|height)\s*:[^;]*", re.IGNORECASE)
_URL_REFERENCE = re.compile(r"url\(\s*#([^)\s]+)\s*\)")
_SVG_LENGTH_ATTRIBUTES = ("width", "height")
_DECLARATION = re.compile(r"[a-zA-Z-]+\s*:\s*\S")


@dataclass(frozen=True, slots=True)
class DiagramPicture:
    """A diagram fence as its renderer drew it, made safe: what every backend shows instead of the code."""

    svg: str  # cleaned SVG markup; the root has width and height in CSS px and ids of its own
    png: bytes  # the same picture at PICTURE_DPI, for Word; b"" when not made (no Word output) or not possible
    width: float  # CSS px (1/96 in)
    height: float
    alt: str  # what the labels say, in order: for screen readers and Word's alt text
    renderer: str  # "mermaid", "graphviz" or "plantuml"


Rasterize = Callable[[bytes, float, float, RenderLimits], "bytes | RenderFailure"]


@dataclass(frozen=True, slots=True)
class DrawingSettings:
    renderers: Mapping[str, DiagramRenderer]
    rasterize: Rasterize
    theme: RenderTheme = field(default_factory=RenderTheme)
    limits: RenderLimits = field(default_factory=RenderLimits)
    cache_dir: Path | None = None  # None: draw every time
    pictures_for_word: bool = True  # make each diagram's PNG (a process apiece); not needed for HTML and PDF
    max_image_pixels: int = 50_000_000


@dataclass(frozen=True, slots=True)
class _Fence:
    block: CodeBlock
    renderer: str
    key: str  # the cache key: source, renderer version, theme


def diagram_fences(document: Document) -> Iterator[tuple[CodeBlock, str]]:
    """Every code block a renderer draws, with that renderer's name, in document order (footnotes last)."""
    blocks = (*document.blocks, *(block for note in document.footnotes for block in note.children))
    for block in walk_blocks(blocks):
        renderer = RENDERER_OF_LANGUAGE.get(block.language) if isinstance(block, CodeBlock) else None
        if renderer is not None and isinstance(block, CodeBlock) and block.text.strip():
            yield block, renderer


def draw_diagrams(document: Document, settings: DrawingSettings, reporter: Reporter) -> dict[CodeBlock, DiagramPicture]:
    """The pictures of the document's diagram fences; those missing stay code, with a diagnostic at their line."""
    pictures: dict[CodeBlock, DiagramPicture] = {}
    keys: dict[CodeBlock, str] = {}
    waiting: dict[str, list[_Fence]] = {}
    for block, name in dict(diagram_fences(document)).items():
        renderer = settings.renderers.get(name)
        missing = renderer.missing() if renderer is not None else f"no {name} renderer is configured"
        if renderer is None or missing:
            title = RENDERER_TITLES.get(name, name)
            reporter.warn(block.line, Code.DIAGRAM_RENDERER, f"{title} diagram shown as code: {missing}")
            continue
        fence = _Fence(block, name, _cache_key(block.text, name, renderer.version(), settings.theme))
        keys[block] = fence.key
        cached = _read_cache(settings.cache_dir, fence.key)
        if cached is not None:
            pictures[block] = cached
        else:
            waiting.setdefault(name, []).append(fence)
    sources = {
        name: [DiagramSource(fence.block.text, _ident(fence)) for fence in fences] for name, fences in waiting.items()
    }
    # Each renderer is another process (a browser, a JVM) that mostly waits on its start: they run side by side.
    with ThreadPoolExecutor(max_workers=max(len(waiting), 1)) as pool:
        futures = {name: pool.submit(_render, settings.renderers[name], sources[name], settings) for name in waiting}
    drawn: set[CodeBlock] = set()
    for name, fences in waiting.items():
        outcomes = futures[name].result()
        for fence, source, outcome in zip(fences, sources[name], outcomes, strict=True):
            picture = _picture(fence, source.ident, outcome, settings, reporter)
            if picture is not None:
                pictures[fence.block] = picture
                drawn.add(fence.block)
    if settings.pictures_for_word:
        drawn |= _add_pngs(pictures, settings, reporter)
    for block in drawn:
        _write_cache(settings.cache_dir, keys[block], pictures[block])
    return pictures


def _add_pngs(
    pictures: dict[CodeBlock, DiagramPicture], settings: DrawingSettings, reporter: Reporter
) -> set[CodeBlock]:
    """The PNG Word shows, made for each picture that has none yet (fresh, or cached by an export without Word),
    several at a time: each is a process of its own. Returns the pictures that changed."""
    wanted = [block for block, picture in pictures.items() if not picture.png]
    if not wanted:
        return set()
    with ThreadPoolExecutor(max_workers=RASTERIZE_PROCESSES) as pool:
        results = pool.map(
            lambda block: settings.rasterize(
                pictures[block].svg.encode("utf-8"), pictures[block].width, pictures[block].height, settings.limits
            ),
            wanted,
        )
        rasterized = dict(zip(wanted, results, strict=True))
    changed: set[CodeBlock] = set()
    for block, png in rasterized.items():
        if isinstance(png, RenderFailure):
            title = RENDERER_TITLES.get(pictures[block].renderer, pictures[block].renderer)
            message = f"{title} diagram drawn in HTML and PDF, shown as code in Word: {png.message}"
            reporter.warn(block.line, Code.DIAGRAM_RENDERER, message)
            continue
        pictures[block] = replace(pictures[block], png=png)
        changed.add(block)
    return changed


def _render(
    renderer: DiagramRenderer, sources: Sequence[DiagramSource], settings: DrawingSettings
) -> list[RenderOutcome]:
    """The renderer's outcomes, one per source, whatever the renderer does wrong."""
    try:
        outcomes = list(renderer.render(sources, settings.theme, settings.limits))
    except Exception as error:  # a renderer must not raise; if one does, its diagrams stay code, said once each
        failure = RenderFailure("crash", f"the renderer failed: {type(error).__name__}: {error}".splitlines()[0])
        return [failure] * len(sources)
    if len(outcomes) != len(sources):
        return [RenderFailure("crash", "the renderer returned the wrong number of diagrams")] * len(sources)
    return outcomes


def _ident(fence: _Fence) -> str:
    """An id for the diagram's SVG, unique in the page (by line) and stable across runs (by content)."""
    return f"{fence.renderer}-{fence.block.line}-{fence.key[:8]}"


def _picture(
    fence: _Fence, ident: str, outcome: RenderOutcome, settings: DrawingSettings, reporter: Reporter
) -> DiagramPicture | None:
    block, title = fence.block, RENDERER_TITLES.get(fence.renderer, fence.renderer)
    match outcome:
        case RenderFailure(kind="syntax", message=message, line=line):
            # The fence's first line of source is the line after the opening fence. The renderer's message counts
            # lines inside the diagram, so the diagram's own line is named beside the document's.
            at, inside = (block.line + line, f" (line {line} of the diagram)") if line else (block.line, "")
            reporter.warn(at, Code.DIAGRAM_SYNTAX, f"{title} diagram shown as code{inside}: {message}")
            return None
        case RenderFailure(kind="refused", message=message, line=line):
            at = block.line + line if line else block.line
            reporter.warn(at, Code.DIAGRAM_REFUSED, f"{title} diagram shown as code: {message}")
            return None
        case RenderFailure(message=message):
            reporter.warn(block.line, Code.DIAGRAM_RENDERER, f"{title} diagram shown as code: {message}")
            return None
        case RenderedSvg(svg=raw):
            return _finished(raw, ident, fence, settings, reporter)
        case _:
            assert_never(outcome)


def _finished(
    raw: bytes, ident: str, fence: _Fence, settings: DrawingSettings, reporter: Reporter
) -> DiagramPicture | None:
    """The renderer's SVG cleaned, sized and given ids of its own, with its PNG for Word."""
    block, title = fence.block, RENDERER_TITLES.get(fence.renderer, fence.renderer)
    try:
        cleaned = sanitize_svg(raw, max_image_pixels=settings.max_image_pixels)
    except UnsafeSvgError as error:
        reporter.warn(block.line, Code.DIAGRAM_RENDERER, f"{title} diagram shown as code: its SVG is unusable: {error}")
        return None
    if cleaned.removed:
        removed = ", ".join(cleaned.removed[:5])
        reporter.warn(block.line, Code.DIAGRAM_REFUSED, f"{title} diagram: removed what it may not carry: {removed}")
    root = ET.fromstring(cleaned.data)  # our own serialization of a cleaned tree: no DOCTYPE, no entities
    size = _css_size(root)
    if size is None:
        reporter.warn(block.line, Code.DIAGRAM_RENDERER, f"{title} diagram shown as code: its SVG has no size")
        return None
    width, height = size
    _set_size(root, width, height)
    _own_ids(root, ident)
    _tidy_styles(root)
    alt = _alt_text(root, title)
    root.set("role", "img")
    root.set("aria-label", alt)
    svg = serialize_svg(root).decode("utf-8")
    return DiagramPicture(svg, b"", width, height, alt, fence.renderer)  # the PNG: _add_pngs, when Word is wanted


def _css_size(root: ET.Element) -> tuple[float, float] | None:
    """The drawing's size in CSS px: its width and height when absolute, else its viewBox (Mermaid writes 100%)."""
    view_box = [float(part) for part in re.split(r"[\s,]+", root.get("viewBox", "").strip()) if _is_number(part)]
    lengths = [_css_px(root.get(name, "")) for name in _SVG_LENGTH_ATTRIBUTES]
    if lengths[0] is not None and lengths[1] is not None:
        return lengths[0], lengths[1]
    if len(view_box) == 4 and view_box[2] > 0 and view_box[3] > 0:
        width, height = view_box[2], view_box[3]
        if lengths[0] is not None:  # one side given: the other keeps the proportions
            return lengths[0], height * lengths[0] / width
        if lengths[1] is not None:
            return width * lengths[1] / height, lengths[1]
        return width, height
    return None


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _css_px(value: str) -> float | None:
    match = _LENGTH.match(value.lower())
    if match is None or match[2] not in CSS_PX_PER_UNIT:
        return None
    number = float(match[1]) * CSS_PX_PER_UNIT[match[2]]
    return number if number > 0 else None


def _set_size(root: ET.Element, width: float, height: float) -> None:
    """Explicit width and height (a viewBox keeps the drawing scalable); size limits in `style` removed, so the
    page's CSS decides how wide it shows."""
    if not root.get("viewBox"):
        old_width, old_height = (_css_px(root.get(name, "")) or 0 for name in _SVG_LENGTH_ATTRIBUTES)
        root.set("viewBox", f"0 0 {old_width or width:g} {old_height or height:g}")
    root.set("width", f"{width:.2f}")
    root.set("height", f"{height:.2f}")
    style = _SIZE_IN_STYLE.sub("", root.get("style", "")).strip(" ;")
    if style:
        root.set("style", style)
    elif "style" in root.attrib:
        del root.attrib["style"]


def _own_ids(root: ET.Element, ident: str) -> None:
    """Every id prefixed with the diagram's own, so that two diagrams inline in one page never share one (Graphviz
    names every graph `graph0`); references by url(#…) and href="#…" follow. Ids that already start with it (Mermaid
    scopes by the id it was given) stay."""
    renamed: dict[str, str] = {}
    seen: set[str] = set()
    for element in root.iter():
        old = element.get("id")
        if old is None:
            continue
        if old in seen:  # Mermaid repeats some (a mindmap's node ids); a reference reaches the first anyway
            del element.attrib["id"]
            continue
        seen.add(old)
        if old == ident or old.startswith(f"{ident}-") or old.startswith(f"{ident}_"):
            continue
        renamed[old] = f"{ident}-{old}"
        element.set("id", renamed[old])
    if not renamed:
        return
    href_names = ("href", "{http://www.w3.org/1999/xlink}href")
    for element in root.iter():
        for name, value in list(element.attrib.items()):
            if name in href_names and value.startswith("#") and value[1:] in renamed:
                element.set(name, "#" + renamed[value[1:]])
            elif "url(#" in value:
                element.set(name, _URL_REFERENCE.sub(lambda found: f"url(#{renamed.get(found[1], found[1])})", value))
        if element.tag == f"{{{SVG_NS}}}style" and element.text and "url(#" in element.text:
            element.text = _URL_REFERENCE.sub(lambda found: f"url(#{renamed.get(found[1], found[1])})", element.text)


def _tidy_styles(root: ET.Element) -> None:
    """Style attributes reduced to their `property: value` declarations: Mermaid writes `style="normal"` and
    `style="undefined;;;undefined"` on some shapes, which a CSS parser (WeasyPrint's) reports as errors."""
    for element in root.iter():
        style = element.get("style")
        if style is None:
            continue
        declarations = [part.strip() for part in style.split(";")]
        kept = [part for part in declarations if _DECLARATION.match(part) and not part.endswith("undefined")]
        if kept:
            element.set("style", "; ".join(kept))
        else:
            del element.attrib["style"]


def _alt_text(root: ET.Element, title: str) -> str:
    """'Mermaid diagram: ' and the labels in drawing order, each once, as a screen reader should hear them."""
    labels: list[str] = []
    for element in root.iter(f"{{{SVG_NS}}}text"):
        text = " ".join(" ".join(element.itertext()).split())  # a label's lines are tspans of their own
        if text and text not in labels:
            labels.append(text)
    described = ", ".join(labels)
    if len(described) > MAX_ALT_CHARACTERS:
        described = described[: MAX_ALT_CHARACTERS - 1].rsplit(" ", 1)[0] + "…"
    return f"{title} diagram: {described}" if described else f"{title} diagram"


# ---------------------------------------------------------------- the cache


@cache
def _code_digest() -> str:
    """A hash of the code that draws and cleans diagrams (this folder and the SVG cleaner): editing it redraws."""
    digest = hashlib.sha256(CACHE_VERSION.encode())
    cleaner = Path(svg_cleaner.__file__).name
    cleaner_code = files(svg_cleaner.__package__) / cleaner
    for name, item in [*walk_files(files(__package__)), (cleaner, cleaner_code)]:  # as resources: zipapps too
        digest.update(name.encode() + item.read_bytes())
    return digest.hexdigest()


def _cache_key(text: str, renderer: str, version: str, theme: RenderTheme) -> str:
    described = json.dumps([_code_digest(), renderer, version, repr(theme), text], ensure_ascii=False)
    return hashlib.sha256(described.encode("utf-8")).hexdigest()


def _cache_path(cache_dir: Path, key: str) -> Path:
    return cache_dir / "diagrams" / key[:2] / f"{key}.json"


def _read_cache(cache_dir: Path | None, key: str) -> DiagramPicture | None:
    """The stored picture, or None when absent or unreadable (then it is drawn again and rewritten)."""
    if cache_dir is None:
        return None
    try:
        entry = json.loads(_cache_path(cache_dir, key).read_text(encoding="utf-8"))
        return DiagramPicture(
            svg=str(entry["svg"]),
            png=base64.b64decode(entry["png"], validate=True),
            width=float(entry["width"]),
            height=float(entry["height"]),
            alt=str(entry["alt"]),
            renderer=str(entry["renderer"]),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _write_cache(cache_dir: Path | None, key: str, picture: DiagramPicture) -> None:
    """Stored atomically (a temporary file renamed), so a concurrent run never reads half an entry; a cache that
    can't be written only costs a redraw next time."""
    if cache_dir is None:
        return
    path = _cache_path(cache_dir, key)
    entry = {
        "svg": picture.svg,
        "png": base64.b64encode(picture.png).decode("ascii"),
        "width": picture.width,
        "height": picture.height,
        "alt": picture.alt,
        "renderer": picture.renderer,
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.part")
        temporary.write_text(json.dumps(entry), encoding="utf-8")
        temporary.replace(path)
    except OSError:
        return
