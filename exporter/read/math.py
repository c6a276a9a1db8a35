"""Where math is in the Markdown, as GitHub reads it, and what the tree holds for it.

GitHub accepts `$…$` and `` $`…`$ `` in running text, `$$…$$` for a displayed formula (on lines of its own
or inside a paragraph), and ```` ```math ```` fences. Its rules for a single `$`, which pandoc shares, keep
prices as text: the opening `$` is followed by a non-space, the closing one follows a non-space and is not
followed by a digit, so "costs $5 and $10" stays prose. On top of them a `$` right after a letter or digit
opens nothing (`US$5`, `5$`): a formula starts at a word's edge.

Every formula is typeset here, once: one that can't be is shown as its TeX, as code, with a warning naming
it and its line; so is every formula past the document's `math_characters` limit.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from exporter.enrich.math import MAX_FORMULA_CHARACTERS, MathError, check_formula, unbalanced_braces
from exporter.model.diagnostics import Code, Reporter, locate
from exporter.model.limits import Limits
from exporter.model.tree import (
    Block,
    CodeBlock,
    HardBreak,
    Inline,
    InlineCode,
    Math,
    MathBlock,
    Paragraph,
    SoftBreak,
    Text,
)

MATH_LANGUAGE = "math"  # the ```math fence
SOURCE_LANGUAGE = "latex"  # what a formula that can't be typeset is highlighted as


@dataclass(frozen=True, slots=True)
class InlineMathSpan:
    """A formula found in running text: its TeX, whether it is `$$…$$`, and where the source after it starts."""

    tex: str
    display: bool
    end: int


def inline_math_at(source: str, position: int) -> InlineMathSpan | None:
    """The formula that starts at `source[position]`, a `$`, or None when that `$` is plain text.

    Each try looks ahead only to the next `$` (or `$$`, or closing backticks) and at most a formula's
    length, so a paragraph full of dollars costs time in proportion to its length."""
    if source[position] != "$" or (position > 0 and source[position - 1].isalnum()):
        return None
    following = source[position + 1 : position + 2]
    if following == "`":
        return _backtick_math(source, position)
    if following == "$":
        return _display_math(source, position)
    if not following or following.isspace():
        return None
    closing = _unescaped(source, "$", position + 1)
    if closing is None or source[closing - 1].isspace() or source[closing + 1 : closing + 2].isdigit():
        return None
    tex = source[position + 1 : closing]
    return InlineMathSpan(tex, False, closing + 1) if not unbalanced_braces(tex) else None


def _backtick_math(source: str, position: int) -> InlineMathSpan | None:
    """GitHub's `` $`…`$ ``: the backticks fence the TeX as a code span does, so nothing inside is Markdown."""
    ticks = position + 1
    while ticks < len(source) and source[ticks] == "`":
        ticks += 1
    closing = source[position + 1 : ticks] + "$"
    search = ticks
    limit = ticks + MAX_FORMULA_CHARACTERS + len(closing)
    while (found := source.find(closing, search, limit)) >= 0:
        if source[found - 1] != "`" or found == ticks:  # exactly as many backticks as opened it
            tex = source[ticks:found].strip()
            return InlineMathSpan(tex, False, found + len(closing)) if tex else None
        search = found + 1
    return None


def _display_math(source: str, position: int) -> InlineMathSpan | None:
    start = position + 2
    closing = _unescaped(source, "$$", start)
    if closing is None or not source[start:closing].strip() or unbalanced_braces(source[start:closing]):
        return None
    return InlineMathSpan(source[start:closing].strip(), True, closing + 2)


def _unescaped(source: str, delimiter: str, start: int) -> int | None:
    """Where the first `delimiter` from `start` that no backslash escapes begins, within a formula's length."""
    limit = start + MAX_FORMULA_CHARACTERS + len(delimiter)
    index = source.find(delimiter, start, limit)
    while index >= 0 and _escaped(source, index):
        index = source.find(delimiter, index + 1, limit)
    return index if index >= 0 else None


def _escaped(source: str, index: int) -> bool:
    """Whether an odd number of backslashes stands right before `source[index]`."""
    before = index
    while before > 0 and source[before - 1] == "\\":
        before -= 1
    return (index - before) % 2 == 1


@dataclass
class FormulaChecker:
    """Typesets each formula of one document as the parser meets it, and decides what the tree holds."""

    reporter: Reporter
    limits: Limits
    characters: int = 0  # TeX typeset so far, against limits.math_characters
    problems: list[tuple[int, str, str]] = field(default_factory=list)  # (block line, TeX, reason)
    past_limit: list[tuple[int, str]] = field(default_factory=list)  # (block line, TeX) of formulas past the limit

    def inline(self, tex: str, display: bool, line: int) -> Inline:
        """A formula in running text, or its TeX as code when it can't be typeset."""
        return Math(tex, display) if self._typesets(tex, display, line) else InlineCode(tex)

    def block(self, tex: str, line: int) -> Block:
        """A displayed formula, or its TeX as a code block when it can't be typeset."""
        tex = tex.strip()
        if self._typesets(tex, True, line):
            return MathBlock(tex, line)
        return CodeBlock(tex, SOURCE_LANGUAGE, SOURCE_LANGUAGE, line)

    def _typesets(self, tex: str, display: bool, line: int) -> bool:
        self.characters += len(tex)
        if self.characters > self.limits.math_characters:
            self.past_limit.append((line, tex))
            return False
        try:
            check_formula(tex, display)
        except MathError as error:
            self.problems.append((line, tex, str(error)))
            return False
        return True

    def report(self, source_lines: list[str]) -> None:
        """A warning at the line (and column) of each formula shown as TeX; one for all those past the limit."""
        for block_line, tex, reason in self.problems:
            line, column = _where(source_lines, tex, block_line)
            self.reporter.warn(line, Code.MATH, f"formula {_shown(tex)} is shown as its TeX source: {reason}", column)
        if self.past_limit:
            block_line, tex = self.past_limit[0]
            line, column = _where(source_lines, tex, block_line)
            others = len(self.past_limit) - 1
            after = (
                f" and the {others} after it are" if others > 1 else " and the one after it are" if others else " is"
            )
            self.reporter.warn(
                line,
                Code.MATH,
                f"formula {_shown(tex)}{after} shown as TeX source: the document's formulas pass the "
                f"{self.limits.math_characters}-character limit (--limit math-characters=N)",
                column,
            )
        self.problems.clear()
        self.past_limit.clear()


def _where(source_lines: list[str], tex: str, block_line: int) -> tuple[int, int]:
    """The line and column where the formula's first line is written, from its block's line on."""
    first_line = tex.strip().split("\n", 1)[0]
    return locate(source_lines, first_line, block_line) if first_line else (block_line, 0)


def split_displayed_math(block: Block) -> tuple[Block, ...]:
    """A paragraph holding `$$…$$` becomes the text before it, the formula as a block, and the text after,
    as GitHub shows it; any other block stays as it is."""
    if not isinstance(block, Paragraph) or not any(isinstance(node, Math) and node.display for node in block.children):
        return (block,)
    pieces: list[Block] = []
    current: list[Inline] = []
    current_line = block.line
    lines_down = 0  # source lines from the paragraph's first line to the node at hand
    for node in block.children:
        if isinstance(node, Math) and node.display:
            pieces.extend(_paragraph(current, block, current_line))
            pieces.append(MathBlock(node.tex, block.line + lines_down))
            current = []
        elif current or not _blank(node):
            if not current:
                current_line = block.line + lines_down
            current.append(node)
        if isinstance(node, SoftBreak | HardBreak):
            lines_down += 1
        elif isinstance(node, Math):
            lines_down += node.tex.count("\n")
    pieces.extend(_paragraph(current, block, current_line))
    return tuple(pieces)


def _blank(node: Inline) -> bool:
    return isinstance(node, SoftBreak | HardBreak) or (isinstance(node, Text) and not node.text.strip())


def _paragraph(inlines: list[Inline], block: Paragraph, line: int) -> tuple[Block, ...]:
    """The inlines as a paragraph starting on `line`, without the breaks and spaces at their edges; nothing
    when that leaves none."""
    items = list(inlines)
    while items and _blank(items[-1]):
        items.pop()
    if items and isinstance(items[0], Text):
        items[0] = Text(items[0].text.lstrip())
    if items and isinstance(items[-1], Text):
        items[-1] = Text(items[-1].text.rstrip())
    return (replace(block, children=tuple(items), line=line),) if items else ()


def _shown(tex: str) -> str:
    """The formula for a one-line message: its first 60 characters on one line, in double quotes (a repr would
    double every backslash of the TeX)."""
    flat = " ".join(tex.split())
    return f'"{flat if len(flat) <= 60 else flat[:59] + "…"}"'
