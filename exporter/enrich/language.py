"""The document's language, decided once for every output (labels, hyphenation, fonts)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from typing import assert_never

from exporter.model.tree import (
    Block,
    BlockQuote,
    BulletList,
    Callout,
    CodeBlock,
    Details,
    Diagram,
    Heading,
    OrderedList,
    Paragraph,
    Table,
    ThematicBreak,
    plain_text,
)

# A document is in an East Asian language when at least this share of its prose letters are Han, kana or Hangul.
CJK_SHARE = 0.3
# Japanese prose writes its grammar in kana; Chinese has none. At least this share of kana among the Han and
# kana letters makes a CJK document Japanese.
JAPANESE_KANA_SHARE = 0.1
# A Latin-script document is German, French or Spanish when that language's common short words are at least
# this share of its words, and this many times as frequent as the English ones.
FUNCTION_WORD_SHARE = 0.08
FUNCTION_WORD_LEAD = 1.5

# Frequent short words that are rare in the other languages of the list (shared ones count for each).
FUNCTION_WORDS: dict[str, frozenset[str]] = {
    "en": frozenset((
        "the", "and", "of", "to", "is", "that", "for", "it", "with", "as", "are", "this", "be", "on", "by", "not",
        "or", "we", "which", "from", "have", "was", "can", "will",
    )),
    "de": frozenset((
        "der", "die", "und", "das", "ist", "nicht", "mit", "ein", "eine", "zu", "den", "von", "für", "auf", "dem",
        "des", "sich", "wird", "werden", "auch", "im", "sind", "oder",
    )),
    "fr": frozenset((
        "le", "la", "les", "et", "des", "est", "une", "un", "pour", "dans", "que", "qui", "pas", "du", "sur", "au",
        "aux", "ce", "sont", "avec", "par", "il", "de",
    )),
    "es": frozenset((
        "el", "la", "los", "las", "y", "de", "que", "es", "en", "una", "un", "por", "para", "con", "del", "se", "al",
        "como", "son", "lo", "su", "pero",
    )),
}  # fmt: skip
_WORD = re.compile(r"[^\W\d_]+")


def _script(char: str) -> str:
    """ "han", "kana", "hangul" or "" for any other letter."""
    code = ord(char)
    if 0x3040 <= code <= 0x30FF or 0xFF66 <= code <= 0xFF9F:  # hiragana, katakana, half-width katakana
        return "kana"
    if 0x3400 <= code <= 0x4DBF or 0x4E00 <= code <= 0x9FFF:  # CJK extension A, unified ideographs
        return "han"
    if 0xAC00 <= code <= 0xD7AF or 0x1100 <= code <= 0x11FF or 0x3130 <= code <= 0x318F:  # syllables, jamo
        return "hangul"
    return ""


def block_text(blocks: tuple[Block, ...], *, with_code: bool) -> Iterator[tuple[int, str]]:
    """(line, text) for every piece of text a reader sees; code and diagrams only `with_code`."""
    for block in blocks:
        match block:
            case Heading(children=children, line=line) | Paragraph(children=children, line=line):
                yield line, plain_text(children)
            case CodeBlock(text=text, line=line):
                if with_code:
                    yield from ((line + 1 + offset, code) for offset, code in enumerate(text.split("\n")))
            case Diagram(lines=lines, line=line):
                if with_code:
                    yield from ((line + 1 + offset, text) for offset, text in enumerate(lines))
            case BulletList(items=items) | OrderedList(items=items):
                for item in items:
                    yield from block_text(item.children, with_code=with_code)
            case BlockQuote(children=children) | Callout(children=children):
                yield from block_text(children, with_code=with_code)
            case Details(summary=summary, children=children, line=line):
                yield line, plain_text(summary)
                yield from block_text(children, with_code=with_code)
            case Table(header=header, rows=rows, line=line):
                for row in (header, *rows):
                    yield line, " ".join(plain_text(cell.children) for cell in row)
            case ThematicBreak():
                pass
            case _:
                assert_never(block)


def detect_language(title: str, blocks: tuple[Block, ...]) -> str:
    """The prose's language, from its letters: "ja", "zh" or "ko" when East Asian letters make up at least
    CJK_SHARE of them; else "de", "fr" or "es" when that language's common words clearly lead; else "en"."""
    text = title + "\n" + "\n".join(text for _, text in block_text(blocks, with_code=False))
    scripts = Counter(_script(char) for char in text if char.isalpha())
    letters = scripts.total()
    east_asian = scripts["han"] + scripts["kana"] + scripts["hangul"]
    if letters and east_asian / letters >= CJK_SHARE:
        if scripts["hangul"] >= scripts["han"] + scripts["kana"]:
            return "ko"
        return "ja" if scripts["kana"] >= JAPANESE_KANA_SHARE * (scripts["han"] + scripts["kana"]) else "zh"
    return _latin_language(_WORD.findall(text.casefold()))


def _latin_language(words: list[str]) -> str:
    counts = {language: sum(1 for word in words if word in listed) for language, listed in FUNCTION_WORDS.items()}
    best = max(("de", "fr", "es"), key=lambda language: counts[language])
    leads = counts[best] >= FUNCTION_WORD_SHARE * len(words) and counts[best] >= FUNCTION_WORD_LEAD * counts["en"]
    return best if words and leads else "en"
