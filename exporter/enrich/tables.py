"""Table layout, decided once for HTML, PDF and DOCX: how wide each column is and how the table fits the page.

Each column needs room for its longest unit that must not break: a word, a hex literal, an identifier. A table
whose units all fit keeps every word whole, in the normal size when it can, else in the compact size. Only
when they cannot fit does it break identifiers after `_`, `.`, `/` and `:` (on the portrait page, in the normal
size when that is enough), then go to a landscape page (words whole, then identifiers broken), and last break
anywhere.

Widths are estimated from the advance widths of the default table fonts (Noto Sans, DejaVu Sans Mono) in
`em` of the table's text, so the decision is the same on every machine. The rule checks against the larger
of the PDF's and the DOCX's table sizes (9 pt normal, 7.5 pt compact in Word; 8.5 pt and 7 pt in print), so a
table that fits in one format fits in both.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Literal, TypeAlias, assert_never

from exporter.enrich.outline import map_blocks, map_inlines
from exporter.model.text_width import cell_width
from exporter.model.tree import (
    Anchor,
    Block,
    BlockQuote,
    BulletList,
    Callout,
    Changed,
    CodeBlock,
    DefinitionList,
    Details,
    Diagram,
    Emphasis,
    FootnoteRef,
    HardBreak,
    Heading,
    Image,
    Inline,
    InlineCode,
    Keyboard,
    Link,
    Math,
    MathBlock,
    OrderedList,
    Paragraph,
    Reformatted,
    Revised,
    SoftBreak,
    Strikethrough,
    Strong,
    Styled,
    Subscript,
    Superscript,
    Table,
    TableBreaks,
    TableCell,
    TableFit,
    Text,
    ThematicBreak,
)

# Page geometry the rule lays tables out for: A4, the narrower of the two papers, with the margins of
# render/options.py (MARGIN_SIDE_PT); the landscape page is A4 turned sideways.
PORTRAIT_WIDTH_PT = 595.28 - 2 * 64.0
LANDSCAPE_WIDTH_PT = 841.89 - 2 * 64.0
# What a container takes from the width, as the print CSS indents it (render/html.py PRINT_*_INDENT_PT).
LIST_INDENT_PT = 18.0
QUOTE_INDENT_PT = 24.0
DETAILS_INDENT_PT = 20.0

# Table text sizes the rule checks against: Word's, the larger (print: 8.5 pt and 7 pt).
NORMAL_SIZE_PT = 9.0
COMPACT_SIZE_PT = 7.5
CELL_PADDING_EM = 1.2  # left and right together: print pads 0.6em a side, Word 4 pt (under 1.2em of 7.5 pt)
ESTIMATE_SAFETY = 1.04  # kerning, bold and italic shapes, a theme's slightly wider face
COMPACT_FROM_COLUMNS = 6  # this many columns read better in the compact size, whatever their words
DENSE_ROW_PAGES = 3  # a row holding this many lines' worth of text goes compact too
ANYWHERE_UNIT_EM = 6.0  # when nothing else fits, a unit longer than this breaks anywhere
MIN_COLUMN_EM = 1.5  # even an empty column keeps a sliver

# Advance widths of ASCII 32..126 in hundredths of an em (Noto Sans Regular and Bold).
_REGULAR = (
    "26 27 41 65 57 83 73 22 30 30 55 57 27 32 27 37 57 57 57 57 57 57 57 57 57 57 27 27 57 57 57 43 90 64 65 63 73 "
    "56 52 73 74 34 27 62 52 91 76 78 60 78 62 55 56 73 60 93 59 57 57 33 37 33 57 44 28 56 62 48 62 56 34 62 62 26 "
    "26 53 26 94 62 60 62 62 41 48 36 62 51 79 53 51 47 38 55 38 57"
)
_BOLD = (
    "26 29 47 65 57 90 75 27 34 34 55 57 28 32 28 41 57 57 57 57 57 57 57 57 57 57 28 28 57 57 57 48 90 69 67 64 74 "
    "56 55 72 76 39 33 66 56 94 81 80 63 80 66 55 58 76 65 97 67 62 58 33 41 33 57 41 36 60 63 51 63 59 39 63 66 30 "
    "30 62 30 98 66 62 63 63 45 50 43 66 57 86 58 57 49 39 55 39 57"
)
# Typographic punctuation (smart quotes, dashes, the ellipsis), which the text may hold after typography.
_PUNCTUATION = {
    "\u2018": 0.22, "\u2019": 0.22, "\u201c": 0.45, "\u201d": 0.45,  # quotes (bold's, the wider)
    "\u2013": 0.5, "\u2014": 1.0, "\u2026": 0.86,  # en and em dash, ellipsis
}  # fmt: skip
MONO_ADVANCE_EM = 0.602  # DejaVu Sans Mono, every character
INLINE_CODE_SCALE = 0.86  # print: `table.data-table code { font-size: 0.86em }`
CODE_BLOCK_SCALE = 0.94  # print: code blocks are 8 pt in 8.5 pt table text
OTHER_ADVANCE_EM = 0.62  # letters outside ASCII that don't decompose to it (Cyrillic, Greek, ...)
WIDE_ADVANCE_EM = 1.0  # East Asian wide characters

Face: TypeAlias = Literal["regular", "bold", "code", "code-block"]  # "code": inline code and keys
_ADVANCES: dict[Face, tuple[float, ...]] = {
    "regular": tuple(int(width) / 100 for width in _REGULAR.split()),
    "bold": tuple(int(width) / 100 for width in _BOLD.split()),
}
# Where a unit may break at each level: after a hyphen before a letter (browsers and Word break there on their
# own), then also after the separators of identifiers, paths and URLs.
IDENTIFIER_SEPARATORS = frozenset("-_./:\\")
_TEX_COMMAND = re.compile(r"\\[A-Za-z]+")  # \alpha, \frac: one symbol each
_TEX_MARKUP = re.compile(r"[{}^_$]")

LEVELS: tuple[TableBreaks, ...] = ("words", "identifiers", "anywhere")


def advance_em(char: str, face: Face) -> float:
    """How far one character advances, in em of the table text."""
    if face in {"code", "code-block"}:
        scale = INLINE_CODE_SCALE if face == "code" else CODE_BLOCK_SCALE
        return MONO_ADVANCE_EM * scale * cell_width(char)
    code = ord(char)
    if 32 <= code < 127:
        return _ADVANCES[face][code - 32]
    if char in _PUNCTUATION:
        return _PUNCTUATION[char]
    width = cell_width(char)
    if width != 1:
        return WIDE_ADVANCE_EM * width / 2
    base = unicodedata.normalize("NFKD", char)[:1]
    return advance_em(base, face) if base.isascii() and base.isprintable() else OTHER_ADVANCE_EM


# ---------------------------------------------------------------- measuring a cell


@dataclass(frozen=True, slots=True)
class CellSize:
    """What a cell's content needs, in em of the table text: its longest unit at each break level, and its
    widest line when nothing wraps."""

    words: float
    identifiers: float
    natural: float

    def unit(self, level: TableBreaks) -> float:
        match level:
            case "words":
                return self.words
            case "identifiers":
                return self.identifiers
            case "anywhere":
                return min(self.identifiers, ANYWHERE_UNIT_EM)
            case _:
                assert_never(level)


Run: TypeAlias = tuple[str, Face]  # text in one face; "\n" ends a line


def inline_runs(nodes: tuple[Inline, ...], face: Face) -> Iterator[Run]:
    """The text of inlines as a reader sees it, each piece in the face it prints in."""
    for node in nodes:
        match node:
            case Text(text=text):
                yield text, face
            case InlineCode(text=text):
                yield text, "code"
            case Keyboard(children=children):
                yield from inline_runs(children, "code")
                yield "0", face  # the key's frame, about a digit wide
            case Strong(children=children):
                yield from inline_runs(children, "bold" if face == "regular" else face)
            case (
                Emphasis(children=children)
                | Strikethrough(children=children)
                | Superscript(children=children)
                | Subscript(children=children)
                | Styled(children=children)
                | Link(children=children)
                | Changed(children=children)
                | Reformatted(children=children)
            ):
                yield from inline_runs(children, face)
            case Math(tex=tex):
                # A formula does not break: one unit, a character for each symbol of its TeX.
                yield "x" * len(_TEX_MARKUP.sub("", _TEX_COMMAND.sub("x", tex)).replace(" ", "")), face
            case FootnoteRef():
                yield "0", face
            case SoftBreak():
                yield " ", face
            case HardBreak():
                yield "\n", face
            case Image() | Anchor():
                pass  # an image scales to its cell; an anchor prints nothing
            case _:
                assert_never(node)


def block_runs(blocks: tuple[Block, ...], face: Face) -> Iterator[Run]:
    """The text of a cell's blocks (raw HTML cells), one line per block."""
    for block in blocks:
        match block:
            case Paragraph(children=children) | Heading(children=children):
                yield from inline_runs(children, face)
            case CodeBlock(text=text):
                yield text, "code-block"
            case MathBlock(tex=tex):
                yield from inline_runs((Math(tex),), face)
            case Diagram():
                pass  # a diagram scales to its cell
            case BulletList(items=items) | OrderedList(items=items):
                for item in items:
                    yield "\u2022  ", face  # the marker's indent
                    yield from block_runs(item.children, face)
            case DefinitionList(items=definition_items):
                for entry in definition_items:
                    yield from inline_runs(entry.term, "bold" if face == "regular" else face)
                    yield "\n", face
                    for definition in entry.definitions:
                        yield from block_runs(definition, face)
            case BlockQuote(children=children) | Callout(children=children) | Revised(children=children):
                yield from block_runs(children, face)
            case Details(summary=summary, children=children):
                yield from inline_runs(summary, face)
                yield "\n", face
                yield from block_runs(children, face)
            case Table(header=header, rows=rows):
                for row in (header, *rows):
                    for cell in row:
                        yield from cell_runs(cell, face)
                        yield " ", face
                    yield "\n", face
            case ThematicBreak():
                pass
            case _:
                assert_never(block)
        yield "\n", face


def cell_runs(cell: TableCell, face: Face) -> Iterator[Run]:
    yield from inline_runs(cell.children, face)
    yield from block_runs(cell.blocks, face)


# What `measure` asks of each character, by face: (advance, whether a line breaks around it, whether it is a
# space). Worked out once per character: a table's cells are measured a character at a time.
_CharacterMetrics: TypeAlias = tuple[float, bool, bool]
_METRICS: dict[Face, dict[str, _CharacterMetrics]] = {face: {} for face in ("regular", "bold", "code", "code-block")}
_MAX_REMEMBERED = 10_000  # characters per face


def _character_metrics(char: str, face: Face) -> _CharacterMetrics:
    space = char.isspace()
    width = 0.0 if char == "\n" else advance_em(" " if space else char, face)
    known = (width, space or cell_width(char) == 2, space)  # lines break at spaces and around CJK characters
    if len(_METRICS[face]) < _MAX_REMEMBERED:
        _METRICS[face][char] = known
    return known


def measure(runs: Iterator[Run]) -> CellSize:
    """The longest unit at each level and the widest line of text given as runs."""
    longest_word = longest_segment = widest_line = 0.0
    word = segment = line = 0.0
    before, previous = " ", " "
    segment_started = False  # the segment has a character that is not a separator
    for text, face in runs:
        metrics = _METRICS[face]
        for char in text:
            width, breaks, space = metrics.get(char) or _character_metrics(char, face)
            line += width
            if breaks:
                alone = 0.0 if space else width
                longest_word, longest_segment = max(longest_word, word, alone), max(longest_segment, segment, alone)
                word = segment = 0.0
                segment_started = False
                if char == "\n":
                    widest_line, line = max(widest_line, line), 0.0
            else:
                separator = char in IDENTIFIER_SEPARATORS
                if previous in IDENTIFIER_SEPARATORS and not separator and segment_started:
                    longest_segment, segment = max(longest_segment, segment), 0.0
                    if previous == "-" and before.isalnum() and char.isalpha():
                        longest_word, word = max(longest_word, word), 0.0
                segment_started = segment_started or not separator
                word += width
                segment += width
            before, previous = previous, char
    return CellSize(
        max(longest_word, word) * ESTIMATE_SAFETY,
        max(longest_segment, segment) * ESTIMATE_SAFETY,
        max(widest_line, line) * ESTIMATE_SAFETY,
    )


def cell_size(cell: TableCell, heading: bool) -> CellSize:
    return measure(cell_runs(cell, "bold" if heading else "regular"))


# ---------------------------------------------------------------- the rule


@dataclass(frozen=True, slots=True)
class TableLayout:
    """How a table fits: its size and page, where its words may break, and its columns' widths as a minimum
    (em of the table text, cell padding included) plus a share of the width left over."""

    fit: TableFit
    breaks: TableBreaks
    minimums: tuple[float, ...]
    shares: tuple[float, ...]

    def widths(self, available: float) -> tuple[float, ...]:
        """Column widths across `available` (in em of the table text): every minimum, then the rest shared;
        minimums scaled down when even they don't fit."""
        total = sum(self.minimums)
        if total >= available:
            return tuple(minimum * available / total for minimum in self.minimums)
        return tuple(
            minimum + share * (available - total) for minimum, share in zip(self.minimums, self.shares, strict=True)
        )


@dataclass(frozen=True, slots=True)
class _Columns:
    units: dict[TableBreaks, list[float]]  # per level, each column's minimum
    naturals: list[float]
    widest_row: float


def _measure_columns(table: Table) -> _Columns:
    columns = len(table.header)
    units: dict[TableBreaks, list[float]] = {level: [MIN_COLUMN_EM] * columns for level in LEVELS}
    naturals = [MIN_COLUMN_EM] * columns
    spanning: list[tuple[int, int, CellSize]] = []
    widest_row = 0.0
    for row_index, row in enumerate((table.header, *table.rows)):
        heading = row_index < table.header_rows
        row_width = 0.0
        for column, cell in enumerate(row[:columns]):
            if cell.covered:
                continue
            size = cell_size(cell, heading)
            row_width += size.natural
            span = min(cell.column_span, columns - column)
            if span > 1:
                spanning.append((column, span, size))
                continue
            for level in LEVELS:
                units[level][column] = max(units[level][column], size.unit(level) + CELL_PADDING_EM)
            naturals[column] = max(naturals[column], size.natural + CELL_PADDING_EM)
        widest_row = max(widest_row, row_width)
    # A cell across several columns needs its width from them together; what they lack is shared evenly.
    for column, span, size in spanning:
        covered = slice(column, column + span)
        for level in LEVELS:
            _widen(units[level], covered, size.unit(level) + CELL_PADDING_EM)
        _widen(naturals, covered, size.natural + CELL_PADDING_EM)
    naturals = [max(natural, units["words"][column]) for column, natural in enumerate(naturals)]
    return _Columns(units, naturals, widest_row)


def _widen(widths: list[float], columns: slice, needed: float) -> None:
    lacking = needed - sum(widths[columns])
    if lacking > 0:
        count = len(widths[columns])
        widths[columns] = [width + lacking / count for width in widths[columns]]


# The steps a table takes until its units fit, in order: smaller text first, then identifiers broken at their
# separators (in the normal size again when that is enough; a landscape page is the bigger interruption), then
# the landscape page.
_STEPS: tuple[tuple[TableFit, TableBreaks, float], ...] = (
    ("normal", "words", NORMAL_SIZE_PT),
    ("compact", "words", COMPACT_SIZE_PT),
    ("normal", "identifiers", NORMAL_SIZE_PT),
    ("compact", "identifiers", COMPACT_SIZE_PT),
    ("landscape", "words", COMPACT_SIZE_PT),
    ("landscape", "identifiers", COMPACT_SIZE_PT),
)


def table_layout(table: Table, width_pt: float = PORTRAIT_WIDTH_PT) -> TableLayout:
    """The fit, break level and column widths for a table in a column `width_pt` wide (on portrait pages)."""
    if not table.header:
        return TableLayout("normal", "words", (), ())
    measured = _measure_columns(table)
    landscape_pt = width_pt + LANDSCAPE_WIDTH_PT - PORTRAIT_WIDTH_PT
    dense = (
        len(table.header) >= COMPACT_FROM_COLUMNS or measured.widest_row * NORMAL_SIZE_PT > DENSE_ROW_PAGES * width_pt
    )
    for fit, breaks, size_pt in _STEPS:
        if fit == "normal" and dense:
            continue
        available = (landscape_pt if fit == "landscape" else width_pt) / size_pt
        if sum(measured.units[breaks]) <= available:
            return _shared_out(fit, breaks, measured.units[breaks], measured.naturals, available)
    available = landscape_pt / COMPACT_SIZE_PT
    return _shared_out("landscape", "anywhere", measured.units["anywhere"], measured.naturals, available)


def _shared_out(
    fit: TableFit, breaks: TableBreaks, minimums: list[float], naturals: list[float], available: float
) -> TableLayout:
    """Widths as a browser's automatic layout would choose them across `available`: when every column's text
    fits on one line each gets that and a share of the rest in proportion; else each gets its minimum and the
    rest goes to the columns whose text wants more, in proportion to how much more."""
    naturals = [max(natural, minimum) for natural, minimum in zip(naturals, minimums, strict=True)]
    if sum(naturals) <= available:
        targets = [natural * available / sum(naturals) for natural in naturals]
    else:
        spare = max(available - sum(minimums), 0.0)
        wants = [natural - minimum for natural, minimum in zip(naturals, minimums, strict=True)]
        wanted = sum(wants) or 1.0  # nothing wanted: the minimums are all there is (and may not fit)
        targets = [minimum + spare * want / wanted for minimum, want in zip(minimums, wants, strict=True)]
    extra = [target - minimum for target, minimum in zip(targets, minimums, strict=True)]
    total_extra = sum(extra)
    if total_extra <= 0:  # no room left over: the columns share any surplus as their minimums do
        extra = list(minimums)
        total_extra = sum(extra)
    shares = tuple(round(amount / total_extra, 4) for amount in extra)
    return TableLayout(fit, breaks, tuple(round(minimum, 2) for minimum in minimums), shares)


def column_widths(table: Table, available: float, em: float) -> tuple[float, ...]:
    """Each column's width across `available` (in any unit) when the table's text is `em` of that unit."""
    layout = TableLayout(table.fit, table.breaks, table.column_minimums, table.column_weights)
    if len(layout.minimums) != len(table.header) or len(layout.shares) != len(table.header):
        return tuple(available / len(table.header) for _ in table.header)  # not laid out (a tree built by hand)
    return tuple(width * em for width in layout.widths(available / em))


def table_width_pt(table: Table, width_pt: float) -> float:
    """The width a table gets from a column `width_pt` wide on a portrait page: more on its landscape page."""
    return width_pt + LANDSCAPE_WIDTH_PT - PORTRAIT_WIDTH_PT if table.fit == "landscape" else width_pt


ZERO_WIDTH_SPACE = "\u200b"
# A run of separators after something else and before something else: where `measure` lets an identifier break.
_IDENTIFIER_JOINT = re.compile(r"([^\s\-_./:\\][-_./:\\]+)(?=[^\s\-_./:\\])")
_WORD = re.compile(r"\S+")


def with_identifier_breaks(table: Table, available: float, em: float) -> Table:
    """The table with a zero-width space after each `_ . / : \\ -` run inside the words that are wider than
    their column (across `available`, text `em` wide, as in `column_widths`): the breaks a table laid out to
    break identifiers needs, and no more, so that an identifier that fits copies out without a stray character."""
    widths = column_widths(table, available, em)

    def with_breaks(cell: TableCell, column: int, heading: bool) -> TableCell:
        if cell.covered:
            return cell
        room = sum(widths[column : column + cell.column_span]) / em - CELL_PADDING_EM
        face: Face = "bold" if heading else "regular"

        def breakable(node: Inline) -> Inline:
            match node:
                case Text(text=text):
                    return replace(node, text=_broken_where_too_wide(text, face, room))
                case InlineCode(text=text):
                    return replace(node, text=_broken_where_too_wide(text, "code", room))
                case _:
                    return node

        blocks = map_blocks(cell.blocks, breakable) if cell.blocks else ()
        return replace(cell, children=map_inlines(cell.children, breakable), blocks=blocks)

    rows = tuple(
        tuple(with_breaks(cell, column, index < table.header_rows) for column, cell in enumerate(row))
        for index, row in enumerate((table.header, *table.rows))
    )
    return replace(table, header=rows[0], rows=rows[1:])


def _broken_where_too_wide(text: str, face: Face, room: float) -> str:
    def word(found: re.Match[str]) -> str:
        width = sum(advance_em(char, face) for char in found.group()) * ESTIMATE_SAFETY
        return _IDENTIFIER_JOINT.sub("\\1" + ZERO_WIDTH_SPACE, found.group()) if width > room else found.group()

    return _WORD.sub(word, text)


def laid_out(table: Table, width_pt: float = PORTRAIT_WIDTH_PT) -> Table:
    """The table with its layout decided: fit, break level, column minimums and shares."""
    layout = table_layout(table, width_pt)
    return replace(
        table,
        fit=layout.fit,
        breaks=layout.breaks,
        column_minimums=layout.minimums,
        column_weights=layout.shares,
    )


def lay_out_tables(blocks: tuple[Block, ...], width_pt: float = PORTRAIT_WIDTH_PT) -> tuple[Block, ...]:
    """Every table at any depth laid out for the width its containers leave it."""
    return tuple(_lay_out(block, width_pt) for block in blocks)


def _lay_out(block: Block, width_pt: float) -> Block:
    match block:
        case Table(header=header, rows=rows):
            cell_width_pt = width_pt / max(len(header), 1)  # a table in a cell: a rough share of the width

            def inner(cell: TableCell) -> TableCell:
                return replace(cell, blocks=lay_out_tables(cell.blocks, cell_width_pt)) if cell.blocks else cell

            nested = replace(
                block, header=tuple(inner(cell) for cell in header), rows=tuple(tuple(map(inner, row)) for row in rows)
            )
            return laid_out(nested, width_pt)
        case BulletList(items=items) | OrderedList(items=items):
            inner_pt = width_pt - LIST_INDENT_PT
            return replace(
                block, items=tuple(replace(item, children=lay_out_tables(item.children, inner_pt)) for item in items)
            )
        case DefinitionList(items=definition_items):
            inner_pt = width_pt - LIST_INDENT_PT
            return replace(
                block,
                items=tuple(
                    replace(item, definitions=tuple(lay_out_tables(blocks, inner_pt) for blocks in item.definitions))
                    for item in definition_items
                ),
            )
        case BlockQuote(children=children) | Callout(children=children):
            return replace(block, children=lay_out_tables(children, width_pt - QUOTE_INDENT_PT))
        case Details(children=children):
            return replace(block, children=lay_out_tables(children, width_pt - DETAILS_INDENT_PT))
        case Revised(children=children):
            return replace(block, children=lay_out_tables(children, width_pt))
        case Heading() | Paragraph() | CodeBlock() | MathBlock() | Diagram() | ThematicBreak():
            return block
        case _:
            assert_never(block)
