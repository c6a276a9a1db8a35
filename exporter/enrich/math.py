"""TeX formulas: checked once at parse time, then as MathML (for Word's equations) and as SVG (for HTML and PDF).

The one owner of latex2mathml (TeX to MathML) and ziamath (MathML to glyph outlines in its bundled STIX Two
Math font). Both run in pure Python, so one typesetting serves every format: the parser typesets each formula
once to learn whether it can be typeset at all, and the writers reuse the cached result.

The SVG is drawn by ziamath from the formula, not taken from the document, and it still goes through
`exporter.safety.svg.sanitize_svg`: what reaches the page is outlines (`path`), rules (`rect`) and the TeX
as invisible `text`.
"""

from __future__ import annotations

import re
import warnings
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from functools import lru_cache

from exporter.model.limits import Limits
from exporter.safety.svg import UnsafeSvgError, sanitize_svg

# ziamath lays out in units of its font size: every length below is divided by it to give em.
LAYOUT_SIZE = 20.0
MARGIN_UNITS = 1.0  # ziamath's own margin around the ink, so antialiased edges are not clipped
SVG_PRECISION = 1  # decimals in path data: a tenth of a unit is 1/200 em, 0.05 pt in 10 pt text
# Anything past this in one formula is far more than a formula; it would take seconds to lay out.
MAX_FORMULA_CHARACTERS = 5_000
# A command latex2mathml does not know comes out as an identifier spelling it, such as <mi>\foo</mi>.
_UNKNOWN_COMMAND = re.compile(r"\\[A-Za-z]+\*?")
_TOKEN_ELEMENTS = frozenset({"mi", "mo", "mn", "ms"})
# ziamath starts each contour with a line to where it already is: drawing it costs the PDF time, not ink.
_REDUNDANT_LINE = re.compile(r"M (-?[\d.]+ -?[\d.]+) L \1 ")
# Escaped characters in TeX, so that `\{` and `\}` are not counted as grouping braces.
_ESCAPE = re.compile(r"\\.", re.DOTALL)


class MathError(ValueError):
    """A formula that can't be typeset; the message says why, in a few words."""


@dataclass(frozen=True, slots=True)
class MathElement:
    """One MathML element, without its namespace: `tag` such as "mfrac", its attributes, text and children."""

    tag: str
    attributes: tuple[tuple[str, str], ...]
    text: str
    children: tuple[MathElement, ...]

    def attribute(self, name: str, default: str = "") -> str:
        return next((value for key, value in self.attributes if key == name), default)


@dataclass(frozen=True, slots=True)
class TypesetMath:
    """A formula drawn as an SVG element sized in em, so it scales with the text around it.

    `depth_em` is how far the drawing reaches below the baseline: the SVG sits on the baseline when
    lowered by that much (CSS `vertical-align: -depth`)."""

    svg: str
    width_em: float
    height_em: float
    depth_em: float


def check_formula(tex: str, display: bool) -> None:
    """Typesets the formula (cached for the writers); MathError says why it can't be."""
    typeset(tex, display)


def mathml(tex: str, display: bool) -> MathElement:
    """The formula as MathML, the `<math>` element itself; MathError when the TeX is not valid."""
    return _converted(tex, display)[1]


def typeset(tex: str, display: bool) -> TypesetMath:
    """The formula drawn as SVG, in display style (as a block) or text style (in a line); MathError when it
    can't be."""
    return _typeset(tex, display)


def _load_libraries() -> None:
    """latex2mathml and ziamath load when a document has a formula: ziamath reads its font on import (0.1 s)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # ziamath 0.13 finds its font with a deprecated call
        import ziamath  # noqa: F401


@lru_cache(maxsize=1024)
def _converted(tex: str, display: bool) -> tuple[str, MathElement]:
    """ziamath's MathML for the formula (the text it draws from, and our tree of it)."""
    _load_libraries()
    from latex2mathml.exceptions import NoAvailableTokensError
    from ziamath.tex import tex2mml

    if len(tex) > MAX_FORMULA_CHARACTERS:
        raise MathError(f"the formula is longer than {MAX_FORMULA_CHARACTERS} characters")
    if not tex.strip():
        raise MathError("the formula is empty")
    brace_problem = unbalanced_braces(tex)
    if brace_problem:
        raise MathError(brace_problem)
    try:
        # ziamath's converter: latex2mathml's, with its fixes for environments such as `aligned`.
        markup = tex2mml(tex, inline=not display)
    except NoAvailableTokensError:
        raise MathError("the formula ends too early (a command is missing its argument)") from None
    except Exception as error:  # latex2mathml raises bare exceptions of many kinds on bad TeX
        raise MathError(_reason(error)) from None
    try:
        root = ET.fromstring(markup)
    except ET.ParseError:  # latex2mathml copies some characters through unescaped: a bare `&`, `<`
        raise MathError("the converter can't write it as MathML (a stray & or < outside an alignment?)") from None
    tree = _element(root)
    unknown = _unknown_commands(tree)
    if unknown:
        raise MathError(f"unknown TeX command {', '.join(unknown)}")
    return markup, tree


@lru_cache(maxsize=1024)
def _typeset(tex: str, display: bool) -> TypesetMath:
    markup, _ = _converted(tex, display)
    from ziamath.config import config as ziamath_config
    from ziamath.zmath import Math as ZiamathMath

    ziamath_config.math.color = "currentColor"  # the colour of the text around it (print: black)
    ziamath_config.svg2 = False  # outlines as plain paths: no <symbol>/<use> ids to clash between formulas
    ziamath_config.precision = SVG_PRECISION
    try:
        drawn = ZiamathMath(markup, size=LAYOUT_SIZE, margin=MARGIN_UNITS)
        svg = drawn.svgxml()
        box = drawn.node.bbox
    except Exception as error:  # a MathML construct ziamath has no layout for
        raise MathError(f"it can't be typeset ({_reason(error)})") from None
    width = float(svg.attrib["width"]) / LAYOUT_SIZE
    height = float(svg.attrib["height"]) / LAYOUT_SIZE
    depth = (MARGIN_UNITS - box.ymin) / LAYOUT_SIZE
    svg.attrib["width"] = f"{width:.3f}em"
    svg.attrib["height"] = f"{height:.3f}em"
    # Lowered by its depth, the drawing's baseline is the line's: on the SVG itself, so that only the drawing's
    # own box, not a lowered wrapper's text box, can make the line taller.
    svg.attrib["style"] = f"vertical-align: -{depth:.3f}em"
    svg.attrib["focusable"] = "false"
    svg.attrib["aria-hidden"] = "true"  # the element around it carries the formula as its label
    _add_source_text(svg, " ".join(tex.split()))
    for path in svg.iter("path"):
        path.attrib["d"] = _REDUNDANT_LINE.sub(r"M \1 ", path.attrib.get("d", ""))
    try:
        cleaned = sanitize_svg(ET.tostring(svg, encoding="utf-8"), max_image_pixels=Limits().image_pixels)
    except UnsafeSvgError as error:
        raise MathError(f"it can't be drawn ({error})") from None
    return TypesetMath(cleaned.data.decode("utf-8"), width, height, depth)


def _add_source_text(svg: ET.Element, tex: str) -> None:
    """The TeX as invisible text across the drawing, on its baseline: a PDF's text (search, copy, pdftotext)
    and a page's selection then hold the formula where it stands, as a scanned page's hidden text layer does."""
    left, _, width, _ = (float(value) for value in svg.attrib["viewBox"].split())
    text = ET.SubElement(
        svg,
        "text",
        {
            "x": f"{left + MARGIN_UNITS:.2f}",  # on the ink, inside the margin: never past the drawing's edges
            "y": "0",
            "font-size": f"{LAYOUT_SIZE:.0f}",  # the size of the text around it, so text tools keep it in its line
            "textLength": f"{max(width - 2 * MARGIN_UNITS, MARGIN_UNITS):.2f}",
            "lengthAdjust": "spacingAndGlyphs",
            "fill-opacity": "0",
        },
    )
    text.text = tex


def unbalanced_braces(tex: str) -> str:
    """What is wrong with the TeX's grouping braces, or "" when they pair up; `\\{` and `\\}` don't count."""
    depth = 0
    for char in _ESCAPE.sub("", tex):
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth < 0:
                return "a closing brace } has no opening brace"
    return "an opening brace { is never closed" if depth > 0 else ""


def _element(node: ET.Element) -> MathElement:
    tag = node.tag.rpartition("}")[2]
    attributes = tuple((name.rpartition("}")[2], value) for name, value in node.attrib.items())
    return MathElement(tag, attributes, node.text or "", tuple(_element(child) for child in node))


def _unknown_commands(tree: MathElement) -> list[str]:
    found: list[str] = []
    pending = [tree]
    while pending:
        element = pending.pop()
        if element.tag in _TOKEN_ELEMENTS and _UNKNOWN_COMMAND.fullmatch(element.text.strip()):
            found.append(element.text.strip())
        pending.extend(element.children)
    return sorted(set(found))


# latex2mathml's exceptions say what is wrong in their class names; these read better in a warning.
_REASONS = {
    "NumeratorNotFoundError": "a fraction has no numerator",
    "DenominatorNotFoundError": "a fraction has no denominator",
    "ExtraLeftOrMissingRightError": "a \\left has no matching \\right",
    "MissingSuperScriptOrSubscriptError": "a ^ or _ has nothing after it",
    "DoubleSubscriptsError": "a double subscript (x_a_b)",
    "DoubleSuperscriptsError": "a double superscript (x^a^b)",
    "MissingEndError": "a \\begin has no matching \\end",
    "InvalidAlignmentError": "an unknown column alignment",
    "InvalidWidthError": "an invalid width",
    "LimitsMustFollowMathOperatorError": "\\limits does not follow an operator",
}


def _reason(error: Exception) -> str:
    """What is wrong, in words: latex2mathml's meaning is in its exception's class name."""
    name = type(error).__name__
    if name in _REASONS:
        return _REASONS[name]
    message = str(error).strip().splitlines()[0] if str(error).strip() else ""
    words = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name.removesuffix("Error")).lower()
    return f"{words}: {message}" if message else words
