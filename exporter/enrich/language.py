"""The document's language, decided once for every output (labels, hyphenation, fonts)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from functools import cache
from typing import assert_never

from exporter.model.tree import (
    Block,
    BlockQuote,
    BulletList,
    Callout,
    CodeBlock,
    DefinitionList,
    Details,
    Diagram,
    Heading,
    MathBlock,
    OrderedList,
    Paragraph,
    Revised,
    Table,
    ThematicBreak,
    plain_text,
)

# A document is in an East Asian language when at least this share of its prose letters are Han, kana or Hangul.
CJK_SHARE = 0.3
# Japanese prose writes its grammar in kana; Chinese has none. At least this share of kana among the Han and
# kana letters makes a CJK document Japanese: even kanji-heavy Japanese has its particles (の, は, を) in kana,
# while a Chinese document that quotes a Japanese name or two stays far below it.
JAPANESE_KANA_SHARE = 0.05
# Chinese is tagged by its script, as glyph forms and fonts differ: zh-Hans (simplified: mainland China,
# Singapore) or zh-Hant (traditional: Taiwan, Hong Kong, Macau).
SIMPLIFIED_CHINESE = "zh-Hans"
TRADITIONAL_CHINESE = "zh-Hant"
TRADITIONAL_REGIONS = frozenset({"tw", "hk", "mo"})
# The region suffix of the Noto CJK families (Noto Sans CJK SC, ...) whose glyph forms a language expects; any
# other language gets DEFAULT_EAST_ASIAN_REGION for the few East Asian characters it may hold.
DEFAULT_EAST_ASIAN_REGION = "JP"
_NOTO_CJK_FAMILY = re.compile(r"\b(Noto (?:Sans|Serif)(?: Mono)? CJK) (?:JP|SC|TC|HK|KR)\b")
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


@cache
def _scripts() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    """Runs of Han, kana and Hangul, as ranges of code points (only the letters among them count). Compiled when
    a text outside ASCII first asks: classes this wide take re 1.5 ms to build."""
    return (
        re.compile("[\u3400-\u4dbf\u4e00-\u9fff]+"),  # CJK extension A, unified ideographs
        re.compile("[\u3040-\u30ff\uff66-\uff9f]+"),  # hiragana, katakana, half-width katakana
        re.compile("[\uac00-\ud7af\u1100-\u11ff\u3130-\u318f]+"),  # Hangul syllables, jamo, compatibility jamo
    )


def _letters(script: re.Pattern[str], text: str) -> int:
    """How many letters of `script` the text holds: a search for runs in C, not a Python test per character."""
    return sum(sum(map(str.isalpha, run)) for run in script.findall(text))


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
            case BlockQuote(children=children) | Callout(children=children) | Revised(children=children):
                yield from block_text(children, with_code=with_code)
            case Details(summary=summary, children=children, line=line):
                yield line, plain_text(summary)
                yield from block_text(children, with_code=with_code)
            case DefinitionList(items=items, line=line):
                for definition in items:
                    yield line, plain_text(definition.term)
                    for definition_blocks in definition.definitions:
                        yield from block_text(definition_blocks, with_code=with_code)
            case Table(header=header, rows=rows, line=line):
                for row in (header, *rows):
                    yield line, " ".join(plain_text(cell.children) for cell in row)
                    for cell in row:  # a raw HTML cell's blocks
                        yield from block_text(cell.blocks, with_code=with_code)
            case ThematicBreak() | MathBlock():
                pass  # a formula is drawn in its own font, whatever the language
            case _:
                assert_never(block)


def detect_language(title: str, blocks: tuple[Block, ...]) -> str:
    """The prose's language as a BCP 47 tag, from its letters: "ja", "ko", "zh-Hans" or "zh-Hant" when East Asian
    letters make up at least CJK_SHARE of them; else "de", "fr" or "es" when that language's common words
    clearly lead; else "en"."""
    text = title + "\n" + "\n".join(text for _, text in block_text(blocks, with_code=False))
    han, kana, hangul = (_letters(script, text) for script in _scripts()) if not text.isascii() else (0, 0, 0)
    east_asian = han + kana + hangul
    # Counting every letter is needed only when there are East Asian ones to weigh against them.
    if east_asian and east_asian / sum(map(str.isalpha, text)) >= CJK_SHARE:
        if hangul >= han + kana:
            return "ko"
        if kana >= JAPANESE_KANA_SHARE * (han + kana):
            return "ja"
        return chinese_script(text)
    return _latin_language(_WORD.findall(text.casefold()))


def chinese_script(text: str) -> str:
    """zh-Hant when more of the text's Han characters exist only in traditional writing (們, 這, 說) than only in
    simplified writing (们, 这, 说); else zh-Hans. Characters both write alike (的, 是, 直) say nothing.

    The two character sets are CC-CEDICT's, as the zhon package keeps them. Counting characters is enough to
    tell the two scripts apart (a converter such as OpenCC would also need its phrase dictionaries) and stays
    right for a document with a few characters of the other script in it."""
    simplified_only, traditional_only = _chinese_character_sets()
    counts = Counter(text)  # the two sets are disjoint
    simplified = sum(count for char, count in counts.items() if char in simplified_only)
    traditional = sum(count for char, count in counts.items() if char in traditional_only)
    return TRADITIONAL_CHINESE if traditional > simplified else SIMPLIFIED_CHINESE


@cache
def _chinese_character_sets() -> tuple[frozenset[str], frozenset[str]]:
    """(characters only simplified Chinese writes, characters only traditional Chinese writes)."""
    from zhon import cedict  # type: ignore[import-untyped]  # only a Chinese document needs it

    simplified, traditional = frozenset(cedict.simplified), frozenset(cedict.traditional)
    return simplified - traditional, traditional - simplified


def canonical_language(tag: str) -> str:
    """The language a BCP 47 tag names, as detect_language spells it: "zh-TW" and "zh-Hant-HK" are "zh-Hant",
    "zh", "zh-CN" and "zh-Hans-SG" are "zh-Hans", any other tag its primary subtag in lower case ("en-GB": "en")."""
    subtags = tag.replace("_", "-").casefold().split("-")
    primary = subtags[0]
    if primary != "zh":
        return primary
    if "hant" in subtags or ("hans" not in subtags and TRADITIONAL_REGIONS.intersection(subtags[1:])):
        return TRADITIONAL_CHINESE
    return SIMPLIFIED_CHINESE


def east_asian_region(tag: str) -> str:
    """The region of the Noto CJK fonts whose glyph forms a document in language `tag` expects: JP for Japanese,
    KR for Korean, SC, TC or HK for Chinese (HK when the tag names Hong Kong or Macau); DEFAULT_EAST_ASIAN_REGION
    for any other language."""
    subtags = tag.replace("_", "-").casefold().split("-")
    match canonical_language(tag):
        case "ja":
            return "JP"
        case "ko":
            return "KR"
        case "zh-Hant":
            return "HK" if {"hk", "mo"}.intersection(subtags[1:]) else "TC"
        case "zh-Hans":
            return "SC"
        case _:
            return DEFAULT_EAST_ASIAN_REGION


def with_east_asian_region(families: str, region: str) -> str:
    """A font family name or CSS family list with every Noto CJK family in `region`'s glyph forms:
    "Noto Serif CJK JP" becomes "Noto Serif CJK SC" for region SC. Other families stay as they are."""
    return _NOTO_CJK_FAMILY.sub(lambda found: f"{found.group(1)} {region}", families)


def _latin_language(words: list[str]) -> str:
    frequency = Counter(words)
    counts = {language: sum(frequency[word] for word in listed) for language, listed in FUNCTION_WORDS.items()}
    best = max(("de", "fr", "es"), key=lambda language: counts[language])
    leads = counts[best] >= FUNCTION_WORD_SHARE * len(words) and counts[best] >= FUNCTION_WORD_LEAD * counts["en"]
    return best if words and leads else "en"
