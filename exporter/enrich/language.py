"""The document's language, decided once for every output (labels, hyphenation, fonts)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import assert_never

from exporter.model.tree import (
    Block,
    BlockQuote,
    BulletList,
    Callout,
    CalloutKind,
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

CALLOUT_TITLES: dict[CalloutKind, str] = {
    "note": "Note",
    "tip": "Tip",
    "important": "Important",
    "warning": "Warning",
    "caution": "Caution",
}
JAPANESE_SHARE = 0.3  # of the prose letters, from which the document counts as Japanese


def _is_japanese(char: str) -> bool:
    code = ord(char)
    return (
        0x3040 <= code <= 0x30FF  # kana
        or 0x3400 <= code <= 0x4DBF  # CJK extension A
        or 0x4E00 <= code <= 0x9FFF  # CJK unified ideographs
        or 0xFF66 <= code <= 0xFF9F  # half-width katakana
    )


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
    """ "ja" when at least 30% of the prose letters are Japanese, else "en"."""
    letters = [
        char for char in title + "".join(text for _, text in block_text(blocks, with_code=False)) if char.isalpha()
    ]
    if not letters:
        return "en"
    japanese = sum(1 for char in letters if _is_japanese(char))
    return "ja" if japanese / len(letters) >= JAPANESE_SHARE else "en"
