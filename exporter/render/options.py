"""Options that change how a document renders, shared by every backend."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from exporter.read.theme import Theme, load_theme

# The choices below are declared here once; the command line and the config file both take them from here.

Format = Literal["html", "pdf", "docx"]
FORMATS: tuple[Format, ...] = ("html", "pdf", "docx")  # also the order outputs are written and listed in

Paper = Literal["a4", "letter"]
PAPERS: tuple[Paper, ...] = ("a4", "letter")

# Page geometry in points: (width, height), and the margins every backend uses.
PAPER_SIZES: dict[Paper, tuple[float, float]] = {"a4": (595.28, 841.89), "letter": (612.0, 792.0)}
MARGIN_SIDE_PT = 64.0
MARGIN_TOP_PT = 68.0
MARGIN_BOTTOM_PT = 64.0


PdfVariant = Literal["", "pdf/ua-1", "pdf/a-3b"]
PDF_VARIANTS: tuple[PdfVariant, ...] = ("pdf/ua-1", "pdf/a-3b")

TOC_DEPTHS = range(1, 7)  # heading levels a table of contents can reach
DEFAULT_TOC_DEPTH = 3


@dataclass(frozen=True, slots=True)
class RenderOptions:
    paper: Paper = "a4"
    toc: bool = True  # False: no table of contents in any output
    pdf_variant: PdfVariant = ""  # "pdf/ua-1": tagged and accessible; "pdf/a-3b": archival
    organization: str = ""  # shown on the cover
    logo: Path | None = None  # an image file shown on the cover
    theme: Theme = field(default_factory=load_theme)
    reference_docx: Path | None = None  # a user's Word file whose styles the DOCX takes
    watermark: bool = True  # False: no status watermark on PDF and DOCX pages
    watermark_statuses: frozenset[str] = frozenset()  # case-folded; empty: every status but Approved

    def watermark_text(self, status: str) -> str:
        """The word printed across every page: the status, when it is one that gets a watermark."""
        word = " ".join(status.split())
        if not self.watermark or not word:
            return ""
        wanted = (
            word.casefold() in self.watermark_statuses if self.watermark_statuses else word.casefold() != "approved"
        )
        return word.upper() if wanted else ""

    @property
    def text_width_pt(self) -> float:
        return PAPER_SIZES[self.paper][0] - 2 * MARGIN_SIDE_PT
