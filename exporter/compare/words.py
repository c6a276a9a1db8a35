"""Word-by-word comparison of running text: inlines become tokens, the token lists are aligned, and the result is
rebuilt into nested inlines with Changed (words one version has) and Reformatted (same words, other formatting).

A token is a word, a punctuation mark, a run of spaces, one CJK character (Han, Kana, Hangul: those scripts have
no spaces between words), or a whole atom: link, image, inline code, math, footnote mark, anchor, line break. A
link is atomic so that a changed target shows as the old link deleted and the new one inserted. Each token
remembers the formatting containers around it (its frames), so rebuilding gives back the nested inlines, and
never splits a word.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import assert_never, cast

from exporter.compare.lines import without_lines
from exporter.model.tree import (
    Anchor,
    Changed,
    ChangeKind,
    Emphasis,
    FootnoteRef,
    HardBreak,
    Image,
    Inline,
    InlineCode,
    InlineFormat,
    InlineStyle,
    Keyboard,
    Link,
    Math,
    Reformatted,
    SoftBreak,
    Strikethrough,
    Strong,
    Styled,
    Subscript,
    Superscript,
    Text,
)

# A container around a token: ("emphasis",), ("styled", "highlighted"), ("changed", "deleted"),
# ("reformatted", "emphasis", "strong") -- hashable, so that tokens compare and group by them.
Frame = tuple[str, ...]

# Hangul Jamo, CJK radicals, Kana, Bopomofo, Hangul compatibility, CJK ideographs, Hangul syllables, half-width Kana
_CJK = (
    "\u1100-\u11ff\u2e80-\u2fdf\u3040-\u30ff\u3100-\u312f\u3130-\u318f\u31a0-\u31ff"
    "\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff66-\uff9f"
)
# One CJK character, a run of spaces, a word (with the apostrophes, hyphens and dots inside it: "don't", "re-run",
# "v1.2"), or one other character (punctuation: "important." is the word and the full stop).
_TOKEN = re.compile(rf"[{_CJK}]|\s+|(?:(?![{_CJK}])\w)+(?:['’.\-](?:(?![{_CJK}])\w)+)*|\S")
_WORD_CHARACTER = re.compile(r"\w")
_FORMATS: dict[str, InlineFormat] = {
    "emphasis": "emphasis",
    "strong": "strong",
    "strikethrough": "strikethrough",
    "superscript": "superscript",
    "subscript": "subscript",
    "keyboard": "keyboard",
}


@dataclass(frozen=True, slots=True)
class Token:
    key: object  # what the comparison looks at: the word, or the atom without its source line
    frames: tuple[Frame, ...]  # containers around it, outermost first
    leaf: Inline  # Text of the word, or the atom itself

    @property
    def is_filler(self) -> bool:
        """Spaces and punctuation: no evidence that two texts are alike."""
        return isinstance(self.leaf, Text) and not _WORD_CHARACTER.search(self.leaf.text)


def tokens(inlines: Iterable[Inline], frames: tuple[Frame, ...] = ()) -> list[Token]:
    """The tokens of `inlines` in reading order."""
    found: list[Token] = []
    for node in inlines:
        match node:
            case Text(text=text):
                found.extend(Token(("word", piece), frames, Text(piece)) for piece in _TOKEN.findall(text))
            case (
                Emphasis(children=children)
                | Strong(children=children)
                | Strikethrough(children=children)
                | Superscript(children=children)
                | Subscript(children=children)
                | Keyboard(children=children)
                | Styled(children=children)
                | Changed(children=children)
                | Reformatted(children=children)
            ):
                found.extend(tokens(children, (*frames, frame_of(node))))
            case FootnoteRef(label=label):
                # compared by label: the two versions may number the same note differently
                found.append(Token(("footnote", label), frames, node))
            case Link() | Image() | InlineCode() | Math() | Anchor() | SoftBreak() | HardBreak():
                found.append(Token(("atom", without_lines(node)), frames, node))
            case _:
                assert_never(node)
    return found


def frame_of(node: Inline) -> Frame:
    match node:
        case Emphasis():
            return ("emphasis",)
        case Strong():
            return ("strong",)
        case Strikethrough():
            return ("strikethrough",)
        case Superscript():
            return ("superscript",)
        case Subscript():
            return ("subscript",)
        case Keyboard():
            return ("keyboard",)
        case Styled(style=style):
            return ("styled", style)
        case Changed(kind=kind):
            return ("changed", kind)
        case Reformatted(formerly=formerly):
            return ("reformatted", *formerly)
        case _:
            raise ValueError(f"not a container: {type(node).__name__}")


def wrap(frame: Frame, children: tuple[Inline, ...]) -> Inline:
    """The container `frame` describes, around `children`."""
    name, *rest = frame
    match name:
        case "emphasis":
            return Emphasis(children)
        case "strong":
            return Strong(children)
        case "strikethrough":
            return Strikethrough(children)
        case "superscript":
            return Superscript(children)
        case "subscript":
            return Subscript(children)
        case "keyboard":
            return Keyboard(children)
        case "styled":
            return Styled(cast(InlineStyle, rest[0]), children)
        case "changed":
            return Changed(cast(ChangeKind, rest[0]), children)
        case "reformatted":
            return Reformatted(tuple(_FORMATS[item] for item in rest), children)
        case _:
            raise ValueError(f"unknown frame {frame!r}")


def rebuild(found: list[Token]) -> tuple[Inline, ...]:
    """Nested inlines from tokens: neighbours under the same outer frame share one container, neighbouring words
    one Text."""
    built: list[Inline] = []
    index = 0
    while index < len(found):
        token = found[index]
        if not token.frames:
            previous = built[-1] if built else None
            if isinstance(token.leaf, Text) and isinstance(previous, Text):
                built[-1] = Text(previous.text + token.leaf.text)
            else:
                built.append(token.leaf)
            index += 1
            continue
        outer = token.frames[0]
        end = index
        while end < len(found) and found[end].frames[:1] == (outer,):
            end += 1
        inner = [Token(item.key, item.frames[1:], item.leaf) for item in found[index:end]]
        built.append(wrap(outer, rebuild(inner)))
        index = end
    return tuple(built)


def canonical(inlines: tuple[Inline, ...]) -> tuple[Inline, ...]:
    """The inlines as `rebuild` writes them: neighbouring text joined, neighbouring equal containers merged."""
    return rebuild(tokens(inlines))


def word_similarity(old: list[Token], new: list[Token], floor: float = 0.0) -> float:
    """How alike two texts are, from 0 to 1: the share of words (spaces and punctuation left out) they share."""
    return keys_similarity(word_keys(old), word_keys(new), floor)


def word_keys(found: list[Token]) -> list[object]:
    """The keys of the tokens that are words (what `keys_similarity` compares)."""
    return [token.key for token in found if not token.is_filler]


def keys_similarity(old: list[object], new: list[object], floor: float = 0.0) -> float:
    """SequenceMatcher's ratio of two key lists; below `floor`, possibly only a cheaper upper bound of it (the
    caller only needs to know that it is below)."""
    if not old and not new:
        return 1.0
    bound = 2 * min(len(old), len(new)) / (len(old) + len(new))
    if bound < floor:
        return bound
    matcher = SequenceMatcher(None, old, new, autojunk=False)
    quick = matcher.quick_ratio()
    return quick if quick < floor else matcher.ratio()


def compare_inlines(old: tuple[Inline, ...], new: tuple[Inline, ...]) -> tuple[tuple[Inline, ...], bool]:
    """The inlines of both versions in one, and whether they differ at all."""
    old_tokens, new_tokens = tokens(old), tokens(new)
    if old_tokens == new_tokens:
        return new, False
    matcher = SequenceMatcher(
        None, [token.key for token in old_tokens], [token.key for token in new_tokens], autojunk=False
    )
    merged: list[Token] = []
    for operation, old_start, old_end, new_start, new_end in matcher.get_opcodes():
        if operation == "equal":
            pairs = zip(old_tokens[old_start:old_end], new_tokens[new_start:new_end], strict=True)
            for old_token, new_token in pairs:
                merged.extend(_reformatted(old_token, new_token))
            continue
        merged.extend(_marked(token, ("changed", "deleted")) for token in old_tokens[old_start:old_end])
        merged.extend(_marked(token, ("changed", "inserted")) for token in new_tokens[new_start:new_end])
    return rebuild(merged), True


def whole_change(kind: ChangeKind, inlines: tuple[Inline, ...]) -> tuple[Inline, ...]:
    """All of `inlines` marked as one version's words."""
    return (Changed(kind, inlines),) if inlines else ()


def _marked(token: Token, frame: Frame) -> Token:
    return Token(token.key, (frame, *token.frames), token.leaf)


def _reformatted(old: Token, new: Token) -> list[Token]:
    if old.frames == new.frames:
        return [new]
    old_formats = [_FORMATS.get(frame[0]) if len(frame) == 1 else None for frame in old.frames]
    if None in old_formats or any(len(frame) != 1 or frame[0] not in _FORMATS for frame in new.frames):
        # a Styled container is no format Word tracks as changed: the words are shown deleted and inserted
        return [_marked(old, ("changed", "deleted")), _marked(new, ("changed", "inserted"))]
    return [Token(new.key, (("reformatted", *cast(list[str], old_formats)), *new.frames), new.leaf)]
