"""Graphviz graphs (```` ```dot ````, ```` ```graphviz ````) drawn by `dot -Tsvg`, one quick process per graph.

Before dot sees a graph, its attributes are read with a tokenizer that follows dot's own lexer
(comments, quoted strings with `+` concatenation and line continuations, nested HTML strings), and a
graph that would make dot read a file is refused: `image`, `shapefile`, `imagepath`, `fontpath`,
`stylesheet`, `_background` and `<IMG SRC=...>` in HTML-like labels.

The theme is given as `graph [...] node [...] edge [...]` defaults written right after the graph's
opening brace, on the same line, so line numbers stay true. Not as `-G`/`-N`/`-E`: dot applies those
after reading the graph, over the graph's own `node [...]` defaults, so the diagram would lose.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Literal

from exporter.diagram.external.renderer import (
    DiagramSource,
    RenderedSvg,
    RenderFailure,
    RenderLimits,
    RenderOutcome,
    RenderTheme,
)
from exporter.diagram.external.sandbox import SandboxResult, find_program, run_sandboxed

MISSING = "Graphviz diagrams need the graphviz package (`apt-get install graphviz`, or `make setup`)"
MAX_SVG_BYTES = 64 * 1024 * 1024
POINTS_PER_CSS_PIXEL = 72 / 96  # dot sizes text in points, and its SVG's user unit is the point

# Attributes that make dot read a file (or write a reference the viewer would load).
FILE_ATTRIBUTES = {
    "image": "loads an image file",
    "shapefile": "loads a shape file",
    "imagepath": "names folders to load images from",
    "fontpath": "names folders to load fonts from",
    "stylesheet": "links a style sheet",
    "_background": "draws xdot operations, images among them",
}
_HTML_IMAGE = re.compile(r"<\s*img\b", re.IGNORECASE)

_ATOM = re.compile(r"[A-Za-z_\x80-\U0010ffff][A-Za-z_0-9\x80-\U0010ffff]*|-?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)")
_SYNTAX_ERROR = re.compile(r"^Error: (?:<stdin>: ?)?(?P<message>.*?\bline (?P<line>\d+)\b.*?)\s*$", re.MULTILINE)
_HTML_ERROR = re.compile(
    r"^Error: (?P<message>.*?) in line (?P<line>\d+)\s*\n\.\.\. (?P<context>.*?) \.\.\.\s*\nin label of (?P<owner>.*)$",
    re.MULTILINE,
)
_XML_DECLARATION = re.compile(rb"<\?.*?\?>", re.DOTALL)
_DOCTYPE = re.compile(rb"<!DOCTYPE\s[^>\[]*(?P<subset>\[)?[^>]*>", re.IGNORECASE)
_COMMENT = re.compile(rb"<!--.*?-->", re.DOTALL)


@dataclass(frozen=True, slots=True)
class Token:
    kind: Literal["atom", "quoted", "html", "punctuation"]
    text: str  # quoted strings unescaped as dot reads them; HTML strings without their outer < >
    line: int  # 1-based, where the token starts
    end: int  # offset just after the token in the source


class GraphvizRenderer:
    name = "graphviz"

    def missing(self) -> str | None:
        return MISSING if find_program("dot") is None else None

    def version(self) -> str:
        program = find_program("dot")
        return _dot_version(program) if program is not None else ""

    def render(self, sources: Sequence[DiagramSource], theme: RenderTheme, limits: RenderLimits) -> list[RenderOutcome]:
        if self.missing() is not None:
            return [RenderFailure("missing", MISSING) for _ in sources]
        return [render_graph(source.text, theme, limits) for source in sources]


def render_graph(text: str, theme: RenderTheme, limits: RenderLimits) -> RenderOutcome:
    tokens = list(dot_tokens(text))
    refusal = file_reference(tokens)
    if refusal is not None:
        return refusal
    result = run_sandboxed(
        ["dot", "-Tsvg"],
        with_theme(text, tokens, theme).encode("utf-8"),
        seconds=limits.seconds,
        memory_bytes=limits.memory_bytes,
        max_output_bytes=MAX_SVG_BYTES,
    )
    failure = _failure(result, tokens)
    if failure is not None:
        return failure
    return bare_svg(result.stdout)


def file_reference(tokens: Sequence[Token]) -> RenderFailure | None:
    """A refusal naming the first attribute or HTML image that would make dot read a file, and its line."""
    for index, token in enumerate(tokens):
        if token.kind == "html" and _HTML_IMAGE.search(token.text):
            return RenderFailure(
                "refused", f"an <IMG> in an HTML-like label loads a file (line {token.line})", token.line
            )
        followed_by_equals = index + 1 < len(tokens) and tokens[index + 1].text == "="
        if token.kind in ("atom", "quoted") and followed_by_equals:
            reason = FILE_ATTRIBUTES.get(token.text.lower())
            if reason is not None:
                message = f"the attribute `{token.text}` {reason} (line {token.line}); diagrams may not read files"
                return RenderFailure("refused", message, token.line)
    return None


def with_theme(text: str, tokens: Sequence[Token], theme: RenderTheme) -> str:
    """The source with the theme's defaults right after the graph's opening brace, where the graph's own
    attributes, written later, override them."""
    brace = next((token for token in tokens if token.text == "{"), None)
    if brace is None:
        return text
    font = f'fontname="{_escaped(theme.font_name)}" fontsize={theme.font_size_px * POINTS_PER_CSS_PIXEL:.2f}'
    text_colour = f'fontcolor="{theme.text}"'
    line_colour = f'color="{theme.line}"'
    defaults = (
        f' graph [{font} {text_colour} {line_colour} bgcolor="{theme.background}"]'
        f' node [{font} {text_colour} {line_colour} fillcolor="{theme.fill}"]'
        f" edge [{font} {text_colour} {line_colour}] "
    )
    return text[: brace.end] + defaults + text[brace.end :]


def bare_svg(output: bytes) -> RenderOutcome:
    """dot's one SVG, without its XML declaration, comments and DOCTYPE."""
    svg = without_prolog(output)
    if svg is None:
        return RenderFailure("refused", "dot wrote an SVG whose DOCTYPE declares entities")
    graphs = svg.count(b"</svg>")
    if graphs == 0:
        return RenderFailure("syntax", "the block holds no graph")
    if graphs > 1:
        return RenderFailure("syntax", f"the block holds {graphs} graphs; write one graph per block")
    return RenderedSvg(svg + b"\n")


def without_prolog(output: bytes) -> bytes | None:
    """A renderer's SVG without XML declaration, comments and DOCTYPE (the SVG cleaner refuses any DOCTYPE,
    and the comments carry nothing a reader sees); None when the DOCTYPE has an internal subset."""
    doctype = _DOCTYPE.search(output)
    if doctype is not None and doctype.group("subset"):
        return None
    return _COMMENT.sub(b"", _DOCTYPE.sub(b"", _XML_DECLARATION.sub(b"", output))).strip()


def _failure(result: SandboxResult, tokens: Sequence[Token]) -> RenderFailure | None:
    if result.missing:
        return RenderFailure("missing", MISSING)
    if result.timed_out:
        return RenderFailure("timeout", "dot did not finish in time; the graph may be too large to lay out")
    if result.memory_exceeded:
        return RenderFailure("memory", "dot ran out of memory; the graph may be too large to lay out")
    if result.output_exceeded:
        return RenderFailure("memory", f"dot wrote more than {MAX_SVG_BYTES // (1024 * 1024)} MiB of SVG")
    if result.returncode == 0:
        return None
    html_error = _HTML_ERROR.search(result.stderr)
    if html_error is not None:
        return _html_label_failure(html_error, tokens)
    syntax_error = _SYNTAX_ERROR.search(result.stderr)
    if syntax_error is not None:
        return RenderFailure("syntax", syntax_error.group("message"), int(syntax_error.group("line")))
    error = next((line for line in result.stderr.splitlines() if line.startswith("Error:")), None)
    if error is not None and result.returncode is not None and result.returncode > 0:
        return RenderFailure("syntax", error.removeprefix("Error:").strip())
    last_words = result.stderr.strip().splitlines()[-1:] or [f"exit status {result.returncode}"]
    return RenderFailure("crash", f"dot failed: {last_words[0]}")


def _html_label_failure(error: re.Match[str], tokens: Sequence[Token]) -> RenderFailure:
    """dot counts lines of an HTML-like label from the label's start; the context shows which label."""
    context = error.group("context")
    labels = [token for token in tokens if token.kind == "html" and context in token.text]
    line = labels[0].line + int(error.group("line")) - 1 if len(labels) == 1 else None
    message = f"{error.group('message')} in the HTML-like label of {error.group('owner').strip()}: {context}"
    return RenderFailure("syntax", message, line)


def _escaped(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


@cache
def _dot_version(program: str) -> str:
    result = run_sandboxed([program, "-V"], seconds=10.0, memory_bytes=None, max_output_bytes=4096)
    return (result.stderr.strip().splitlines() or [""])[0] if result.succeeded else ""


def dot_tokens(text: str) -> Iterator[Token]:
    """dot's tokens, with quoted strings joined across `+` as dot's grammar does."""
    pending: Token | None = None  # a quoted string that a `+` may extend
    joining = False
    for token in _raw_tokens(text):
        if pending is not None and token.text == "+" and token.kind == "punctuation" and not joining:
            joining = True
            continue
        if pending is not None and joining and token.kind == "quoted":
            pending = Token("quoted", pending.text + token.text, pending.line, token.end)
            joining = False
            continue
        if pending is not None:
            yield pending
            if joining:
                yield Token("punctuation", "+", pending.line, pending.end)
            pending, joining = None, False
        if token.kind == "quoted":
            pending = token
        else:
            yield token
    if pending is not None:
        yield pending


def _raw_tokens(text: str) -> Iterator[Token]:
    position, line = 0, 1
    while position < len(text):
        char = text[position]
        at_line_start = position == 0 or text[position - 1] == "\n"
        if char == "\n":
            line += 1
            position += 1
        elif char.isspace():
            position += 1
        elif (char == "#" and at_line_start) or text.startswith("//", position):  # `#`: a C preprocessor line
            position = _end_of_line(text, position)
        elif text.startswith("/*", position):
            close = text.find("*/", position + 2)
            end = len(text) if close < 0 else close + 2
            line += text.count("\n", position, end)
            position = end
        elif char == '"':
            value, end = _quoted(text, position)
            yield Token("quoted", value, line, end)
            line += text.count("\n", position, end)
            position = end
        elif char == "<":
            end = _html_end(text, position)
            yield Token("html", text[position + 1 : end - 1], line, end)
            line += text.count("\n", position, end)
            position = end
        elif (atom := _ATOM.match(text, position)) is not None:
            yield Token("atom", atom.group(), line, atom.end())
            position = atom.end()
        else:
            width = 2 if text.startswith(("->", "--"), position) else 1
            yield Token("punctuation", text[position : position + width], line, position + width)
            position += width


def _end_of_line(text: str, position: int) -> int:
    newline = text.find("\n", position)
    return len(text) if newline < 0 else newline


def _quoted(text: str, start: int) -> tuple[str, int]:
    """A quoted string as dot reads it: \\" is a quote, backslash-newline joins lines, other escapes stay."""
    parts: list[str] = []
    position = start + 1
    while position < len(text):
        char = text[position]
        if char == '"':
            return "".join(parts), position + 1
        if char == "\\" and position + 1 < len(text):
            following = text[position + 1]
            parts.append("" if following == "\n" else '"' if following == '"' else char + following)
            position += 2
            continue
        parts.append(char)
        position += 1
    return "".join(parts), position


def _html_end(text: str, start: int) -> int:
    depth = 0
    for position in range(start, len(text)):
        if text[position] == "<":
            depth += 1
        elif text[position] == ">":
            depth -= 1
            if depth == 0:
                return position + 1
    return len(text)
