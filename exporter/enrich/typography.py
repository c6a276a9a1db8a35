"""Typographic punctuation in prose: quotation marks in the document's language, en and em dashes, ellipses.

The parser cannot know the language while it reads (it is decided from the whole tree, or from the front
matter), so it writes placeholders, Unicode noncharacters that no document holds (the parser removes them from
its input): markdown-it's smartquotes writes the four quote placeholders, `typographic_dashes` the dash and
ellipsis ones. Heading ids are made from the text as typed (`as_typed`), so they match GitHub's; then
`apply_typography` turns every placeholder into its mark, in the language's style, in one pass over the finished
tree. markdown-it decides which quote opens, which closes and which is an apostrophe; an apostrophe is always ’.
"""

from __future__ import annotations

import re
from dataclasses import fields, is_dataclass, replace
from functools import cache
from typing import TypeVar, cast

from exporter.model.tree import Document

# Opening double, closing double, opening single, closing single: markdown-it's `quotes` option.
QUOTE_PLACEHOLDERS = "\ufdd0\ufdd1\ufdd2\ufdd3"
EN_DASH, EM_DASH, ELLIPSIS = "\ufdd4", "\ufdd5", "\ufdd6"
# Each placeholder and what was typed for it.
TYPED = dict(zip(QUOTE_PLACEHOLDERS, ('"', '"', "'", "'"), strict=True)) | {
    EN_DASH: "--",
    EM_DASH: "---",
    ELLIPSIS: "...",
}
_AS_TYPED = str.maketrans(TYPED)
_PLACEHOLDER = re.compile(f"[{''.join(TYPED)}]")

# Quotation marks (double, then nested single) by language, from CLDR's delimiters. French sets its marks off
# with no-break spaces, as French typography asks (markdown-it's documentation gives the same example).
QUOTE_MARKS: dict[str, tuple[str, str, str, str]] = {
    "en": ("\u201c", "\u201d", "\u2018", "\u2019"),  # “ ” ‘ ’
    "de": ("\u201e", "\u201c", "\u201a", "\u2018"),  # „ “ ‚ ‘
    "de-CH": ("\u00ab", "\u00bb", "\u2039", "\u203a"),  # « » ‹ ›
    "fr": ("\u00ab\u00a0", "\u00a0\u00bb", "\u2039\u00a0", "\u00a0\u203a"),  # « » ‹ ›
    "es": ("\u00ab", "\u00bb", "\u201c", "\u201d"),  # « » “ ”
    "it": ("\u00ab", "\u00bb", "\u201c", "\u201d"),  # « » “ ”
    "pt": ("\u201c", "\u201d", "\u2018", "\u2019"),  # “ ” ‘ ’
    "pt-PT": ("\u00ab", "\u00bb", "\u201c", "\u201d"),  # « » “ ”
    "nl": ("\u2018", "\u2019", "\u201c", "\u201d"),  # ‘ ’ “ ”
    "da": ("\u201c", "\u201d", "\u2018", "\u2019"),  # “ ” ‘ ’
    "sv": ("\u201d", "\u201d", "\u2019", "\u2019"),  # ” ” ’ ’
    "fi": ("\u201d", "\u201d", "\u2019", "\u2019"),  # ” ” ’ ’
    "nb": ("\u00ab", "\u00bb", "\u2018", "\u2019"),  # « » ‘ ’
    "no": ("\u00ab", "\u00bb", "\u2018", "\u2019"),  # « » ‘ ’
    "pl": ("\u201e", "\u201d", "\u00ab", "\u00bb"),  # „ ” « »
    "cs": ("\u201e", "\u201c", "\u201a", "\u2018"),  # „ “ ‚ ‘
    "ru": ("\u00ab", "\u00bb", "\u201e", "\u201c"),  # « » „ “
    "uk": ("\u00ab", "\u00bb", "\u201e", "\u201c"),  # « » „ “
    "tr": ("\u201c", "\u201d", "\u2018", "\u2019"),  # “ ” ‘ ’
    "ja": ("\u300c", "\u300d", "\u300e", "\u300f"),  # 「 」 『 』
    "zh": ("\u201c", "\u201d", "\u2018", "\u2019"),  # “ ” ‘ ’ (simplified Chinese)
    "zh-Hans": ("\u201c", "\u201d", "\u2018", "\u2019"),  # “ ” ‘ ’
    "zh-Hant": ("\u300c", "\u300d", "\u300e", "\u300f"),  # 「 」 『 』
    "zh-TW": ("\u300c", "\u300d", "\u300e", "\u300f"),  # 「 」 『 』
    "zh-HK": ("\u300c", "\u300d", "\u300e", "\u300f"),  # 「 」 『 』
    "ko": ("\u201c", "\u201d", "\u2018", "\u2019"),  # “ ” ‘ ’
}
DEFAULT_QUOTE_LANGUAGE = "en"

# markdown-it's dash rules (rules_core/replacements.py): `---` is an em dash, `--` between spaces or inside a word
# (`2020--2021`) an en dash, never in a run of more hyphens; unlike markdown-it, not a `--flag` that starts a line
# either. Ellipses are exactly three dots, as in pandoc: markdown-it turns `..` and `.....` into one character too.
_EM_DASH = re.compile(r"(^|[^-])---(?=[^-]|$)", re.MULTILINE)
_SPACED_EN_DASH = re.compile(r"(^|\s)--(?=\s|$)", re.MULTILINE)
_EN_DASH = re.compile(r"(?<=[^-\s])--(?=[^-\s]|$)")
_ELLIPSIS = re.compile(r"(?<!\.)\.\.\.(?!\.)")


def typographic_dashes(text: str) -> str:
    """`text` with placeholders for an em dash (`---`), an en dash (`--`) and an ellipsis (`...`)."""
    if "--" in text:
        text = _EM_DASH.sub(f"\\1{EM_DASH}", text)
        text = _SPACED_EN_DASH.sub(f"\\1{EN_DASH}", text)
        text = _EN_DASH.sub(EN_DASH, text)
    if "..." in text:
        text = _ELLIPSIS.sub(ELLIPSIS, text)
    return text


def as_typed(text: str) -> str:
    """Text holding placeholders as its author typed it (what GitHub makes heading ids from)."""
    return text.translate(_AS_TYPED)


# What a reader may have typed for each typographic mark, to compare a heading with a name given as plain text.
_PLAIN = str.maketrans(
    dict.fromkeys("\u201c\u201d\u201e\u00ab\u00bb\u300c\u300d", '"')
    | dict.fromkeys("\u2018\u2019\u201a\u2039\u203a\u300e\u300f", "'")
    | {"\u2013": "--", "\u2014": "---", "\u2026": "..."}
)
_SPACED_GUILLEMET = re.compile("(?<=[\u00ab\u2039])\u00a0|\u00a0(?=[\u00bb\u203a])")


def without_typography(text: str) -> str:
    """`text` with typographic quotes, dashes and ellipses as plain ASCII, as a user types a section's name."""
    return _SPACED_GUILLEMET.sub("", text).translate(_PLAIN)


@cache
def _east_asian() -> re.Pattern[str]:
    """Han, kana, Hangul and the full-width forms and punctuation written with them. Compiled when first needed:
    a class this wide takes re 2 ms to build (a step for each code point), more than most documents need it."""
    return re.compile("[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef]")


def remaining_quotes(text: str) -> str:
    """The straight quotes markdown-it's smartquotes left in a run of text: a `'` is an apostrophe (`'90s`, `'em`);
    `"` touching East Asian text, where words have no spaces to tell an opening quote from a closing one
    (`使用"push"模式`), pairs up in order as placeholders. Any other `"` stays as typed."""
    if "'" in text:
        text = text.replace("'", "\u2019")
    if '"' in text and not text.isascii() and _east_asian().search(text):
        pieces = text.split('"')
        pairs = (len(pieces) - 1) // 2
        marks = [QUOTE_PLACEHOLDERS[0], QUOTE_PLACEHOLDERS[1]] * pairs + ['"'] * (len(pieces) - 1 - 2 * pairs)
        text = pieces[0] + "".join(mark + piece for mark, piece in zip(marks, pieces[1:], strict=True))
    return text


def quote_marks(language: str) -> tuple[str, str, str, str]:
    """The language's opening and closing double quotes, then its single (nested) ones: by the whole tag, then
    the language with its script or region, then the language alone; English ones for a language not listed."""
    parts = language.split("-")
    for candidate in (language, "-".join(parts[:2]), parts[0].lower()):
        if candidate in QUOTE_MARKS:
            return QUOTE_MARKS[candidate]
    return QUOTE_MARKS[DEFAULT_QUOTE_LANGUAGE]


@cache
def _marks(language: str) -> dict[int, str]:
    quotes = {
        ord(placeholder): mark for placeholder, mark in zip(QUOTE_PLACEHOLDERS, quote_marks(language), strict=True)
    }
    return quotes | {ord(EN_DASH): "\u2013", ord(EM_DASH): "\u2014", ord(ELLIPSIS): "\u2026"}


def apply_typography(document: Document) -> Document:
    """The document with every placeholder, wherever the parser left one (text, alt texts, the table of contents,
    the title), replaced by its mark: quotes as `document.language` writes them."""
    return _translated(document, _marks(document.language))


_Value = TypeVar("_Value")


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _field_names(node_type: type) -> tuple[str, ...]:
    """The fields of a node type; () for any other type."""
    names = _FIELD_NAMES.get(node_type)
    if names is None:
        names = _FIELD_NAMES[node_type] = (
            tuple(spec.name for spec in fields(node_type)) if is_dataclass(node_type) else ()
        )
    return names


def _translated(value: _Value, table: dict[int, str]) -> _Value:
    """`value` with `table` applied to each string it holds at any depth; the same object when nothing changes.

    Generic over the frozen node types on purpose: a placeholder may sit in any string the parser derives from
    text, and a node type added later must not keep one."""
    return cast(_Value, _translated_value(value, table))


_UNTRANSLATED = (int, float, bool, type(None))  # field values that hold no text


def _translated_value(value: object, table: dict[int, str]) -> object:
    # This walk visits every node of the document: a type is looked at once, by identity (no isinstance chains).
    kind = type(value)
    if kind is str:
        text = cast(str, value)
        return text.translate(table) if not text.isascii() and _PLACEHOLDER.search(text) else text
    if kind is tuple:
        items = cast(tuple[object, ...], value)
        changed: list[object] | None = None
        for index, old in enumerate(items):
            new = _translated_value(old, table)
            if new is not old:
                changed = changed or list(items)
                changed[index] = new
        return items if changed is None else tuple(changed)
    changes = {}
    for name in _field_names(kind):
        old = getattr(value, name)
        if type(old) in _UNTRANSLATED:
            continue
        new = _translated_value(old, table)
        if new is not old:
            changes[name] = new
    return replace(value, **changes) if changes else value  # type: ignore[type-var]  # a node: _field_names said so
