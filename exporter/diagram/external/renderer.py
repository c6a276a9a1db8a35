"""What every diagram renderer takes and gives: diagram sources and a theme in, an SVG or a failure out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

# Why a diagram was not drawn. "missing": the renderer is not installed; "syntax": it rejected the source;
# "refused": the source asks for a file, URL or script; "timeout", "memory" and "crash": the process failed.
FailureKind = Literal["missing", "syntax", "refused", "timeout", "memory", "crash"]


@dataclass(frozen=True, slots=True)
class RenderTheme:
    """The document theme's look, in the terms every renderer understands."""

    font_family: str = "'Noto Sans', 'DejaVu Sans', sans-serif"  # a CSS font-family list
    font_name: str = "Noto Sans"  # the first family alone, for renderers that take one name (Graphviz, PlantUML)
    font_size_px: float = 14.0
    text: str = "#1f2328"  # colours are #rrggbb
    line: str = "#5a636e"
    fill: str = "#f6f8fa"
    accent: str = "#0969da"
    background: str = "#ffffff"


@dataclass(frozen=True, slots=True)
class RenderLimits:
    seconds: float = 30.0  # one diagram
    memory_bytes: int = 1024 * 1024 * 1024  # the renderer process


@dataclass(frozen=True, slots=True)
class DiagramSource:
    """One diagram to draw. `ident` is unique within the document (renderers that scope their CSS by id use it)."""

    text: str
    ident: str


@dataclass(frozen=True, slots=True)
class RenderedSvg:
    svg: bytes  # as the renderer wrote it; cleaned and sized afterwards by the caller


@dataclass(frozen=True, slots=True)
class RenderFailure:
    kind: FailureKind
    message: str  # one line: the renderer's own message, or what to install
    line: int | None = None  # 1-based line inside the diagram's source, when the renderer says


RenderOutcome = RenderedSvg | RenderFailure


class DiagramRenderer(Protocol):
    """One renderer program. `render` takes a whole document's diagrams at once, so that a renderer with a costly
    start (a browser, a Java VM) starts once for all of them; it never raises for a bad diagram or a missing or
    broken program: each outcome is a RenderedSvg or a RenderFailure, in the order of `sources`."""

    name: str  # "mermaid", "graphviz", "plantuml"

    def missing(self) -> str | None:
        """None when the renderer can run; else one line saying what to install."""
        ...

    def version(self) -> str:
        """The renderer's version, part of the cache key; "" when missing."""
        ...

    def render(
        self, sources: Sequence[DiagramSource], theme: RenderTheme, limits: RenderLimits
    ) -> list[RenderOutcome]: ...
