"""Formulas as native Word equations (Office Math, `m:oMath`), which Word and LibreOffice open as editable
equations: MathML from exporter.enrich.math mapped element by element to OMML.

The mapping is our own rather than a library's: mathml2omml (PyPI, 2019, unmaintained) writes `\\bar` as an
`m:groupChr` whose properties close with the wrong tag (malformed XML), loses `\\quad`, and renders `\\lim_x` as
a subscript; its 2025 fork fixes the accent but still builds XML by string concatenation, boxes every group
in `m:box`, and has no types. The MathML here comes from one converter (latex2mathml, through ziamath), so
the elements it emits are a small, known set: mi mn mo mtext mspace mrow mstyle mpadded mphantom msub msup
msubsup mfrac msqrt mroot munder mover munderover mtable mtr mtd menclose, with stretchy fences as `mo`
siblings. Anything else keeps its content. pandoc's DOCX writer (texmath) is the model for the shapes:
large operators as `m:nary` holding the term after them, `\\left( … \\right)` as `m:d`, accents as `m:acc`,
`\\lim` as `m:limLow`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from exporter.enrich.math import MathElement, MathError, mathml
from exporter.model.tree import Math, MathBlock
from exporter.render.word import ooxml, ooxml_body, styles
from exporter.render.word.context import Context
from exporter.render.word.runs import RunFormat, RunSink

Element = ooxml.Element

# Operators that take limits and an operand: sums, products, integrals, big unions.
NARY_OPERATORS = frozenset("∑∏∐∫∬∭∮∯∰∱∲∳⋀⋁⋂⋃⨀⨁⨂⨄⨆⨉")
INTEGRALS = frozenset("∫∬∭∮∯∰∱∲∳")
OPENING_FENCES = frozenset("([{⟨⌈⌊⟦⟮⦃")
CLOSING_FENCES = frozenset(")]}⟩⌉⌋⟧⟯⦄")
BAR_MARKS = frozenset("―‾¯_")  # \overline and \underline draw a rule (a bar over a letter is an accent)
GROUP_MARKS = frozenset("⏞⏟⏜⏝⏠⏡")  # \overbrace, \underbrace and their kin
# Accents as latex2mathml writes them, and the combining character Word's accent object takes.
ACCENTS = {
    "\u00af": "\u0305", "\u203e": "\u0305", "\u0304": "\u0305", "\u0305": "\u0305",  # bar
    "^": "\u0302", "\u02c6": "\u0302", "\u0302": "\u0302",  # hat
    "~": "\u0303", "\u02dc": "\u0303", "\u0303": "\u0303",  # tilde
    "\u02d9": "\u0307", "\u0307": "\u0307",  # dot
    "\u00a8": "\u0308", "\u0308": "\u0308",  # double dot
    "\u2192": "\u20d7", "\u20d7": "\u20d7",  # vector arrow
    "\u02c7": "\u030c", "\u030c": "\u030c",  # caron
    "\u00b4": "\u0301", "\u0301": "\u0301", "`": "\u0300", "\u0300": "\u0300",  # acute, grave
    "\u02d8": "\u0306", "\u0306": "\u0306",  # breve
}  # fmt: skip
# Fixed widths of \, \; \quad and the like, as the Unicode space nearest to each (em).
SPACES = ((1.9, "\u2003\u2003"), (0.9, "\u2003"), (0.4, "\u2002"), (0.25, "\u2005"), (0.12, "\u2009"))
STYLES = {"normal": "p", "bold": "b", "italic": "i", "bold-italic": "bi"}


def inline_equation(sink: RunSink, formula: Math, context: Context) -> None:
    """The formula as an equation in the line; in display style for a `$$…$$` that could not be a block."""
    equation = _equation(formula.tex, formula.display, context)
    if equation is None:
        sink.add_run(context.inline_text(formula.tex), RunFormat(character_style=styles.INLINE_CODE))
        return
    sink.append(equation)


def equation_block(formula: MathBlock, context: Context) -> None:
    """The formula as a displayed equation (`m:oMathPara`), centred in a paragraph of its own."""
    paragraph = context.add_block_paragraph(context.paragraph_style)
    equation = _equation(formula.tex, True, context)
    if equation is None:
        ooxml_body.add_run(paragraph, text=context.clean(formula.tex))
        return
    display = _element("m:oMathPara")
    properties = _child(display, "m:oMathParaPr")
    _child(properties, "m:jc", val="center")
    display.append(equation)
    ooxml_body.append(paragraph, display)


def _equation(tex: str, display: bool, context: Context) -> Element | None:
    try:
        root = mathml(tex, display)
    except MathError:  # the parser keeps such formulas out of the tree; shown as TeX all the same
        return None
    equation = _element("m:oMath")
    _extend(equation, _row(root.children, context))
    return equation


# ---------------------------------------------------------------- MathML to OMML


def _row(children: Sequence[MathElement], context: Context) -> list[Element]:
    """A sequence of MathML siblings: stretchy fence pairs become `m:d`, a large operator takes the term
    after it as its operand."""
    output: list[Element] = []
    open_fences: list[tuple[str, list[Element]]] = []  # (opening character, what was before it)
    index = 0
    while index < len(children):
        child = children[index]
        index += 1
        fence = _fence_role(child, bool(open_fences))
        if fence == "open":
            open_fences.append((child.text.strip(), output))
            output = []
            continue
        if fence == "close" and open_fences:
            opening, before = open_fences.pop()
            before.append(_delimited(opening, child.text.strip(), output))
            output = before
            continue
        nary = _nary(child, context)
        if nary is not None:
            operand = children[index] if index < len(children) and not _is_operator(children[index]) else None
            if operand is not None:
                index += 1
            _extend(_child(nary, "m:e"), _node(operand, context) if operand is not None else [])
            output.append(nary)
            continue
        output.extend(_node(child, context))
    while open_fences:  # `\left\{` with `\right.` written as nothing: a one-sided fence
        opening, before = open_fences.pop()
        before.append(_delimited(opening, "", output))
        output = before
    return output


def _node(element: MathElement, context: Context) -> list[Element]:
    children = element.children
    match element.tag:
        case "mi" | "mn" | "mo" | "ms":
            return _runs(element, context)
        case "mtext":
            return [_run(element.text, context, normal_text=True)] if element.text else []
        case "mspace":
            return _space(element, context)
        case "mfrac" if len(children) == 2:
            return [_fraction(element, context)]
        case "msqrt":
            radical = _element("m:rad")
            _child(_child(radical, "m:radPr"), "m:degHide", val="1")
            _child(radical, "m:deg")
            _extend(_child(radical, "m:e"), _row(children, context))
            return [radical]
        case "mroot" if len(children) == 2:
            radical = _element("m:rad")
            _extend(_child(radical, "m:deg"), _node(children[1], context))
            _extend(_child(radical, "m:e"), _node(children[0], context))
            return [radical]
        case "msub" | "msup" | "msubsup" if len(children) >= 2:
            return [_scripts(element, context)]
        case "munder" | "mover" | "munderover" if len(children) >= 2:
            return [_under_over(element, context)]
        case "mtable":
            return [_matrix(element, context)]
        case "menclose":
            box = _element("m:borderBox")
            _extend(_child(box, "m:e"), _row(children, context))
            return [box]
        case "mphantom":
            phantom = _element("m:phant")
            _extend(_child(phantom, "m:e"), _row(children, context))
            return [phantom]
        case "semantics":
            return _node(children[0], context) if children else []
        case "annotation" | "annotation-xml":
            return []
        case _:  # mrow, mstyle, mpadded, merror and anything new: their content, in order
            return _row(children, context)


def _runs(element: MathElement, context: Context) -> list[Element]:
    text = element.text.strip() if element.tag != "ms" else f'"{element.text}"'
    if not text:
        return []
    variant = element.attribute("mathvariant")
    style = STYLES.get(variant)
    if style is None and element.tag == "mi" and len(text) > 1:
        style = "p"  # a function name such as `log`: upright, as MathML draws a multi-letter identifier
    if element.tag in ("mn", "mo"):
        style = style or "p"
    return [_run(text, context, style=style)]


def _run(text: str, context: Context, *, style: str | None = None, normal_text: bool = False) -> Element:
    run = _element("m:r")
    if normal_text:
        _child(_child(run, "m:rPr"), "m:nor")
    elif style:
        _child(_child(run, "m:rPr"), "m:sty", val=style)
    value = _child(run, "m:t")
    value.text = context.clean(text)
    if text != text.strip():
        value.set(ooxml.XML_SPACE, "preserve")
    return run


def _space(element: MathElement, context: Context) -> list[Element]:
    if element.attribute("linebreak") == "newline":
        return [_run(" ", context)]
    width = element.attribute("width").strip()
    try:
        em = float(width.removesuffix("em")) if width.endswith("em") else 0.0
    except ValueError:
        em = 0.0
    space = next((chars for least, chars in SPACES if em >= least), "")
    return [_run(space, context)] if space else []


def _fraction(element: MathElement, context: Context) -> Element:
    numerator, denominator = element.children
    fraction = _element("m:f")
    if element.attribute("linethickness") in ("0", "0pt", "0em", "0px"):
        _child(_child(fraction, "m:fPr"), "m:type", val="noBar")  # \binom, \atop
    _extend(_child(fraction, "m:num"), _node(numerator, context))
    _extend(_child(fraction, "m:den"), _node(denominator, context))
    return fraction


def _scripts(element: MathElement, context: Context) -> Element:
    base, *scripts = element.children
    if element.tag == "msub" and _is_named_operator(base):
        return _limit("m:limLow", base, scripts[0], context)  # \lim_{x \to 0}, \max_i: limits, not an index
    kind = {"msub": "m:sSub", "msup": "m:sSup", "msubsup": "m:sSubSup"}[element.tag]
    scripted = _element(kind)
    _extend(_child(scripted, "m:e"), _node(base, context))
    names = {"msub": ("m:sub",), "msup": ("m:sup",), "msubsup": ("m:sub", "m:sup")}[element.tag]
    for name, script in zip(names, scripts, strict=False):
        _extend(_child(scripted, name), _node(script, context))
    return scripted


def _under_over(element: MathElement, context: Context) -> Element:
    base, *marks = element.children
    mark = _operator_text(marks[0])
    if element.tag == "mover" and mark in ACCENTS:
        accent = _element("m:acc")
        _child(_child(accent, "m:accPr"), "m:chr", val=ACCENTS[mark])
        _extend(_child(accent, "m:e"), _node(base, context))
        return accent
    if element.tag in ("mover", "munder") and mark in BAR_MARKS:
        bar = _element("m:bar")
        _child(_child(bar, "m:barPr"), "m:pos", val="top" if element.tag == "mover" else "bot")
        _extend(_child(bar, "m:e"), _node(base, context))
        return bar
    if element.tag in ("mover", "munder") and mark in GROUP_MARKS:
        group = _element("m:groupChr")
        properties = _child(group, "m:groupChrPr")
        _child(properties, "m:chr", val=mark)
        _child(properties, "m:pos", val="top" if element.tag == "mover" else "bot")
        _child(properties, "m:vertJc", val="bot" if element.tag == "mover" else "top")
        _extend(_child(group, "m:e"), _node(base, context))
        return group
    if element.tag == "munder":
        return _limit("m:limLow", base, marks[0], context)
    if element.tag == "mover":
        return _limit("m:limUpp", base, marks[0], context)
    lower = _limit("m:limLow", base, marks[0], context)
    upper = _element("m:limUpp")
    _child(upper, "m:e").append(lower)
    _extend(_child(upper, "m:lim"), _node(marks[1], context) if len(marks) > 1 else [])
    return upper


def _limit(kind: str, base: MathElement, limit: MathElement, context: Context) -> Element:
    limited = _element(kind)
    _extend(_child(limited, "m:e"), _node(base, context))
    _extend(_child(limited, "m:lim"), _node(limit, context))
    return limited


def _nary(element: MathElement, context: Context) -> Element | None:
    """`\\sum_{k=1}^n` and the like as Word's n-ary object, its operand still to fill in; None for anything else."""
    bare = element.tag == "mo"
    scripted = element.tag in ("msub", "msup", "msubsup", "munder", "mover", "munderover") and element.children
    base = element if bare else element.children[0] if scripted else None
    if base is None or _operator_text(base) not in NARY_OPERATORS:
        return None
    operator = _operator_text(base)
    nary = _element("m:nary")
    properties = _child(nary, "m:naryPr")
    _child(properties, "m:chr", val=operator)
    under_over = element.tag.startswith("mu") or element.tag == "mover"
    _child(properties, "m:limLoc", val="undOvr" if under_over and operator not in INTEGRALS else "subSup")
    lower: MathElement | None = None
    upper: MathElement | None = None
    if not bare:
        scripts = element.children[1:]
        match element.tag:
            case "msub" | "munder":
                lower = scripts[0]
            case "msup" | "mover":
                upper = scripts[0]
            case _:
                lower, upper = scripts[0], scripts[1] if len(scripts) > 1 else None
    if lower is None:
        _child(properties, "m:subHide", val="1")
    if upper is None:
        _child(properties, "m:supHide", val="1")
    _extend(_child(nary, "m:sub"), _node(lower, context) if lower is not None else [])
    _extend(_child(nary, "m:sup"), _node(upper, context) if upper is not None else [])
    return nary


def _matrix(element: MathElement, context: Context) -> Element:
    rows = [row for row in element.children if row.tag in ("mtr", "mlabeledtr")]
    columns = max((len(row.children) for row in rows), default=1)
    matrix = _element("m:m")
    properties = _child(matrix, "m:mPr")
    _child(properties, "m:plcHide", val="1")  # empty cells show no placeholder box
    column_properties = _child(properties, "m:mcs")
    alignments = [cell.attribute("columnalign", "center") for cell in rows[0].children] if rows else []
    for column in range(columns):
        align = alignments[column] if column < len(alignments) else "center"
        settings = _child(_child(column_properties, "m:mc"), "m:mcPr")
        _child(settings, "m:count", val="1")
        _child(settings, "m:mcJc", val=align if align in ("left", "right") else "center")
    for row in rows:
        matrix_row = _child(matrix, "m:mr")
        cells = list(row.children)
        for column in range(columns):
            cell = _child(matrix_row, "m:e")
            if column < len(cells):
                _extend(cell, _row(cells[column].children, context))
    return matrix


def _delimited(opening: str, closing: str, content: list[Element]) -> Element:
    delimiter = _element("m:d")
    properties = _child(delimiter, "m:dPr")
    _child(properties, "m:begChr", val=opening)
    _child(properties, "m:endChr", val=closing)
    _child(properties, "m:grow")
    _extend(_child(delimiter, "m:e"), content)
    return delimiter


def _fence_role(element: MathElement, inside_fence: bool) -> str:
    """ "open" or "close" for a fence that grows with what it encloses (`\\left(`, `\\Bigl[`, a matrix's
    brackets); "" for anything else, such as the plain parentheses of f(x)."""
    if element.tag != "mo" or element.attribute("stretchy") == "false":
        return ""
    text = element.text.strip()
    form = element.attribute("form")
    is_fence = element.attribute("fence") == "true"
    if form == "prefix" and (is_fence or text in OPENING_FENCES):
        return "open"
    if form == "postfix" and (is_fence or text in CLOSING_FENCES):
        return "close"
    if text in OPENING_FENCES:
        return "open"
    if text in CLOSING_FENCES:
        return "close" if inside_fence else ""
    return ""


def _operator_text(element: MathElement) -> str:
    """The text of an operator, looking through the rows and styles wrapped around it."""
    while element.tag in ("mrow", "mstyle") and len(element.children) == 1:
        element = element.children[0]
    return element.text.strip() if element.tag in ("mo", "mi") else ""


def _is_named_operator(element: MathElement) -> bool:
    """`lim`, `max`, `sup` and the like, which take limits under them (latex2mathml writes them as `mo`)."""
    while element.tag in ("mrow", "mstyle") and len(element.children) == 1:
        element = element.children[0]
    return element.tag == "mo" and len(element.text.strip()) > 1 and element.text.strip().isalpha()


def _is_operator(element: MathElement) -> bool:
    return element.tag == "mo" and _operator_text(element) not in NARY_OPERATORS


# ---------------------------------------------------------------- element plumbing


def _element(tag: str, **attributes: str) -> Element:
    return ooxml_body.math_element(tag, **attributes)


def _child(parent: Element, tag: str, **attributes: str) -> Element:
    return ooxml_body.math_child(parent, tag, **attributes)


def _extend(parent: Element, children: Iterable[Element]) -> None:
    for child in children:
        parent.append(child)
