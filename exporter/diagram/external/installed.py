"""The renderers of this installation, one instance each per process (Mermaid keeps its browser open between
documents), and what `designexport doctor` says about them. Imported only when a document has a diagram fence."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from types import MappingProxyType

from exporter.diagram.external.renderer import DiagramRenderer, RenderFailure, RenderLimits


@cache
def installed_renderers() -> Mapping[str, DiagramRenderer]:
    from exporter.diagram.external.graphviz import GraphvizRenderer
    from exporter.diagram.external.mermaid import MermaidRenderer
    from exporter.diagram.external.plantuml import PlantumlRenderer

    renderers: tuple[DiagramRenderer, ...] = (MermaidRenderer(), GraphvizRenderer(), PlantumlRenderer())
    return MappingProxyType({renderer.name: renderer for renderer in renderers})


def rasterize(svg: bytes, width: float, height: float, limits: RenderLimits) -> bytes | RenderFailure:
    """The one SVG-to-PNG path for Word pictures of drawn diagrams."""
    from exporter.diagram.external.raster import svg_to_png

    return svg_to_png(svg, width, height, limits)


@dataclass(frozen=True, slots=True)
class RendererStatus:
    name: str
    version: str  # "" when missing
    missing: str  # "" when it can run; else what to install


def renderer_statuses() -> list[RendererStatus]:
    """Each renderer, and the rasterizer Word pictures need, as `doctor` lists them."""
    from exporter.diagram.external.raster import rasterizer_missing

    statuses = []
    for renderer in installed_renderers().values():
        missing = renderer.missing() or ""
        statuses.append(RendererStatus(renderer.name, "" if missing else renderer.version(), missing))
    raster_missing = rasterizer_missing() or ""
    statuses.append(
        RendererStatus("rsvg-convert", "" if raster_missing else "found (PNG pictures for Word)", raster_missing)
    )
    return statuses
