"""The DOCX backend: an editable Word file built from named styles, real lists, tables and links."""

from __future__ import annotations

from exporter.backends.word.document import render_docx

__all__ = ["render_docx"]
