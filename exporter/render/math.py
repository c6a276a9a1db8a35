"""Formulas in HTML and PDF: the SVG that exporter.enrich.math draws, inline and sitting on the baseline, or
as a centred block; labelled with their TeX for screen readers and as a tooltip.

WeasyPrint draws no MathML, so both formats get the same vector drawing; it is sized in em, so it follows
the size of the text around it (a heading, a footnote, a compact table)."""

from __future__ import annotations

import html

from exporter.enrich.math import MathError, typeset


def inline_math(tex: str, *, display: bool = False) -> str:
    """A formula in running text; `display` draws it in display style (a `$$…$$` inside a heading or cell)."""
    try:
        drawn = typeset(tex, display)
    except MathError:  # the parser let only typeset formulas into the tree; this is a fallback
        return f'<code class="math-source">{_escape(tex)}</code>'
    label = _escape(tex)
    return f'<span class="math" role="img" aria-label="{label}" title="{label}">{drawn.svg}</span>'


def block_math(tex: str) -> str:
    """A displayed formula, centred on a line of its own; too wide for the page it scrolls on screen and
    shrinks to the text width in print (styles/base.css)."""
    try:
        drawn = typeset(tex, True)
    except MathError:
        return f'<pre class="math-source"><code>{_escape(tex)}</code></pre>'
    label = _escape(tex)
    return f'<div class="math-display" role="img" aria-label="{label}" title="{label}">{drawn.svg}</div>'


def _escape(text: str) -> str:
    return html.escape(text, quote=True)
