"""ReviewFinding text as Word shows it in the Markdown it came from.

The export typesets what the source types plainly (curly quotes for straight ones, dashes for `--`, an ellipsis for
`...`), may break a paragraph's source lines where Word has a space, and drops the inline markup (`**`, `_`, a
backtick). A pattern made from Word's text accepts each of those spellings; `markup=True` also lets inline markup sit
between any two characters, which is right for finding where a comment is, but not for rewriting the text there.
"""

from __future__ import annotations

import re

# Word's character -> the spellings of it a source may have.
_TYPESET = {
    "\u2019": "['\u2019]",
    "\u2018": "['\u2018]",
    "\u201c": '["\u201c]',
    "\u201d": '["\u201d]',
    "\u2013": "(?:\u2013|--)",
    "\u2014": "(?:\u2014|---)",
    "\u2026": r"(?:\u2026|\.\.\.)",
    "\u00a0": "[ \u00a0]",
    "\u202f": "[ \u202f]",
}
_MARKUP = r"(?:[*_`~]|\\(?=[^\s\w]))*"  # emphasis, code and strikethrough marks, a backslash escaping punctuation
_WHITESPACE = re.compile(r"\s+")


def pattern(text: str, *, markup: bool = False) -> str:
    """A regular expression matching `text` as the source may spell it (see the module's docstring)."""
    pieces = []
    for index, piece in enumerate(_WHITESPACE.split(text)):
        if index:
            pieces.append(r"\s+")
        characters = [_TYPESET.get(character, re.escape(character)) for character in piece]
        pieces.append((_MARKUP if markup else "").join(characters))
    return "".join(pieces)


def find_all(text: str, within: str, *, markup: bool = False) -> list[re.Match[str]]:
    """Every place `text` (as Word shows it) is in `within`; [] when `text` is blank."""
    if not text.strip():
        return []
    return list(re.finditer(pattern(text.strip(), markup=markup), within))


def content_column(line: str, table_column: int = -1) -> int:
    """Where a line's text starts (1-based): after its indentation, a heading's `#`s, a list marker, a quote's `>`
    or, with `table_column`, at the start of that cell of a table row."""
    if table_column >= 0:
        return _cell_column(line, table_column)
    found = re.match(r"\s*(?:>\s*)*(?:#{1,6}\s+|(?:[-*+]|\d{1,9}[.)])\s+(?:\[[ xX]\]\s+)?)?", line)
    end = found.end() if found else 0
    return end + 1 if end < len(line) else 1


def _cell_column(line: str, column: int) -> int:
    """The start of the `column`-th cell's text (from 0) in a pipe table's row: pipes escaped with a backslash
    or inside a code span do not separate cells."""
    separators = [found.start() for found in re.finditer(r"\\.|`[^`]*`|\|", line) if found.group() == "|"]
    starts = [-1, *separators] if not line.lstrip().startswith("|") else separators
    if column >= len(starts):
        return content_column(line)
    position = starts[column] + 1
    while position < len(line) and line[position] == " ":
        position += 1
    return position + 1


# Word's typeset characters as a source types them, for new text written into a source that types them so.
PLAIN = {"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u2013": "--", "\u2014": "---", "\u2026": "..."}
_CONTEXT_SIZES = (0, 12, 30, 80)


def edit_spans(before: str, old: str, after: str, within: str) -> list[tuple[int, int]]:
    """Where `old` is in `within` with its paragraph's text `before` and `after` it, using as little of that
    context as tells it apart: one span when the place is certain, several when it is ambiguous, none when it is
    not there. `old` must be there as typed, no markup inside it; the context may have markup."""
    found: list[tuple[int, int]] = []
    for size in (*_CONTEXT_SIZES, max(len(before), len(after))):
        if size == 0 and not old.strip():
            continue  # an insertion: only its neighbours say where
        head, tail = before[len(before) - size :], after[:size]
        expression = pattern(head, markup=True) + _MARKUP + f"({pattern(old)})" + _MARKUP + pattern(tail, markup=True)
        found = [match.span(1) for match in re.finditer(expression, within)]
        if len(found) <= 1:
            return found
    return found


def as_typed(new: str, source: str) -> str:
    """`new` with each typeset character the source never uses written as the source types it (Word turns the
    reviewer's `'` into `’` as they type; the export would again)."""
    return "".join(PLAIN[c] if c in PLAIN and c not in source else c for c in new)
