"""Themes: a CSS file of custom properties (fonts, colours) that HTML, PDF and DOCX all take.

A theme is committed by the same authors as the documents, so it gets the same distrust. It is
parsed with tinycss2 (the one module that imports it) and written out again from its tokens, never
pasted, keeping only:

- style rules (nested ones too), `@media`, `@supports`, `@page` with its margin boxes, and
  `@font-face` whose sources are `data:` fonts or `local()` names; every other at-rule
  (`@import`, `@namespace`, `@layer`, `@counter-style`, ...) is dropped;
- `url()` only as a `data:` raster image (a `data:` font in `@font-face`) within the data-URL limit;
  no `expression()`, `attr()`, `image-set()` or other function that loads or quotes something,
  no `behavior` or `-moz-binding`;
- no text of its own: `content` is dropped, strings appear only where they are font or grid-area
  names, and properties that print a string (`list-style-type`, `string-set`, ...) keep plain keywords;
- nothing that could end the style element (`</`, `<!--`, `-->`).

The status watermark is ours, so the theme never wins over it: `!important` is dropped (the
watermark's own rules are `!important`, see styles/watermark.css, so they beat any selector), as are
rules naming the watermark, `::first-letter`/`::first-line` rules (which would style its text apart
from its element) and `@font-face` rules that redefine the fonts it is drawn in.

Every dropped piece is a `theme:line: warning: ... [theme-dropped]` diagnostic in `Theme.warnings`.
Parsing and filtering take time linear in the theme's size.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from exporter.assets import asset_dir
from exporter.model.diagnostics import Code, Diagnostic
from exporter.model.limits import Limits

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

DEFAULT_THEME = "classic"

_VENDOR_PREFIX = re.compile(r"^-(?:weasy|webkit|moz|ms|o)-")
_HEX_COLOR = re.compile(r"^#([0-9a-fA-F]{6}|[0-9a-fA-F]{3})$")
# A font name Word, fontconfig and SVG can take as it is: letters and digits of any script, spaces and - _ . +,
# starting with a letter or digit (so it is never read as a command-line option).
_PLAIN_FONT_NAME = re.compile(r"[^\W_][\w .+\-]*")
MAX_FONT_NAME_LENGTH = 64
# The `--font-<role>` and `--color-<role>` properties Word and diagrams take (Theme.font, Theme.color).
WORD_FONT_ROLES = frozenset({"text", "heading", "mono"})
WORD_COLOR_ROLES = frozenset(
    {"text", "heading", "muted", "accent", "rule", "code-background", "table-header", "table-stripe"}
)

# The families the watermark is drawn in (styles/watermark.css); a theme's @font-face may not redefine them.
WATERMARK_FAMILIES = frozenset({"noto sans", "noto sans cjk jp", "dejavu sans"})
RASTER_IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
FONT_TYPE_PREFIXES = ("font/", "application/font-", "application/x-font-", "application/vnd.ms-fontobject")

KEPT_AT_RULES = frozenset({"media", "supports", "page", "font-face"})
PAGE_MARGIN_RULES = frozenset(
    f"{side}-{place}"
    for side, places in (
        ("top", ("left-corner", "left", "center", "right", "right-corner")),
        ("bottom", ("left-corner", "left", "center", "right", "right-corner")),
        ("left", ("top", "middle", "bottom")),
        ("right", ("top", "middle", "bottom")),
    )
    for place in places
)
# Where a string is a name that is never shown.
STRING_NAME_PROPERTIES = frozenset(
    {
        "font-family",
        "font",
        "font-feature-settings",
        "font-variation-settings",
        "font-language-override",
        "grid-template-areas",
        "grid-template",
        "grid",
    }
)
FONT_FACE_STRING_DESCRIPTORS = frozenset({"font-family", "src", "font-feature-settings", "font-variation-settings"})
# Properties that print or name a string: only plain keywords (`disc`, `auto`, `none`) are kept, since a string,
# a function or a var() (which may hold a string) would put the theme's words on the page.
TEXT_PROPERTIES = frozenset(
    {
        "list-style",
        "list-style-type",
        "quotes",
        "string-set",
        "bookmark-label",
        "hyphenate-character",
        "text-overflow",
        "block-ellipsis",
        "text-emphasis",
        "text-emphasis-style",
        "anchor",
        "lang",
        "link",
    }
)
DROPPED_PROPERTIES = {
    "content": "a theme adds no text",
    "behavior": "it runs code",
    "-moz-binding": "it runs code",
}
DROPPED_FUNCTIONS = frozenset(
    {
        "expression",
        "attr",
        "image-set",
        "-webkit-image-set",
        "cross-fade",
        "-webkit-cross-fade",
        "element",
        "-moz-element",
        "paint",
        "image",
        "src",
    }
)
STYLE_ELEMENT_ENDINGS = ("</", "<!--", "-->")
MAX_NESTING = 32  # rules in rules, and blocks in values; deeper is dropped (it would only overflow the stack)
EXCERPT_LENGTH = 60
MAX_WARNINGS = 100


class ThemeError(ValueError):
    """A theme that can't be found or read; the message names it."""


@dataclass(frozen=True, slots=True)
class Theme:
    name: str
    css: str  # the theme as written out again from its tokens: only what passed the rules above
    properties: tuple[tuple[str, str], ...]  # custom properties, in order
    warnings: tuple[Diagnostic, ...] = field(default=(), compare=False)  # printed as `theme:line: warning: ...`

    def value(self, name: str, default: str) -> str:
        found = dict(self.properties).get(name, "")
        return found or default

    def font_families(self, role: str) -> tuple[str, ...]:
        """The plain family names of `--font-<role>`, unquoted, in order; names that are not plain are left out."""
        return tuple(name for name in _family_names(self.value(f"font-{role}", "")) if plain_font_name(name))

    def font(self, role: str, default: str) -> str:
        """The first family of `--font-<role>`, for Word, which takes one family per slot; `default` when
        that family is not a plain font name (a warning said so when the theme was loaded)."""
        names = _family_names(self.value(f"font-{role}", ""))
        first = names[0] if names else ""
        return first if plain_font_name(first) else default

    def color(self, role: str, default: str) -> str:
        """`--color-<role>` as RRGGBB, for Word; `default` where the theme's value is not a hex colour."""
        match = _HEX_COLOR.match(self.value(f"color-{role}", ""))
        if match is None:
            return default
        digits = match.group(1)
        return (digits if len(digits) == 6 else "".join(c * 2 for c in digits)).upper()


def plain_font_name(name: str) -> bool:
    """Whether a family name is safe to write into Word's XML, a VML style, an SVG or an fc-match argument."""
    return len(name) <= MAX_FONT_NAME_LENGTH and _PLAIN_FONT_NAME.fullmatch(name) is not None


def _family_names(families: str) -> list[str]:
    return [name.strip().strip("\"'").strip() for name in families.split(",") if name.strip()]


def available_themes() -> list[str]:
    themes = asset_dir("styles") / "themes"
    return sorted(item.name.removesuffix(".css") for item in themes.iterdir() if item.name.endswith(".css"))


@cache
def load_theme(name_or_path: str = DEFAULT_THEME) -> Theme:
    """A built-in theme by name, or a user's theme from a .css path."""
    path: Path | Traversable
    if name_or_path.endswith(".css") or "/" in name_or_path:
        path = Path(name_or_path)
        name = path.stem
    else:
        path = asset_dir("styles") / "themes" / f"{name_or_path}.css"
        name = name_or_path
        if not path.is_file():
            raise ThemeError(f"unknown theme {name_or_path!r}; built-in themes: {', '.join(available_themes())}")
    try:
        css = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ThemeError(f"cannot read theme {str(path)!r}: {getattr(error, 'strerror', None) or error}") from None
    return sanitize_theme(name, css, _printable(str(path)))


@cache
def _tinycss2() -> Any:
    """tinycss2, imported when a theme is first read: `--help` lists the themes without it."""
    import tinycss2  # type: ignore[import-untyped]

    return tinycss2


def sanitize_theme(name: str, css: str, shown_path: str) -> Theme:
    """The theme from its CSS text, keeping only what the module's rules allow; `shown_path` names it in warnings."""
    cleaner = _Cleaner(shown_path, Limits().data_url_bytes)
    rules = _tinycss2().parse_stylesheet(css, skip_comments=True, skip_whitespace=True)
    text = "".join(cleaner.rules(rules, depth=0))
    # Every piece was checked on its own and the joins add only whitespace, braces, ":" and ";".
    assert not any(ending in text for ending in STYLE_ELEMENT_ENDINGS), "theme CSS that could end its style element"
    properties = tuple(cleaner.properties)
    cleaner.check_word_values(properties)
    return Theme(name, text, properties, cleaner.final_warnings())


# ---------------------------------------------------------------- the cleaner


@dataclass
class _Cleaner:
    shown_path: str
    data_url_bytes: int
    warnings: list[Diagnostic] = field(default_factory=list)
    properties: list[tuple[str, str]] = field(default_factory=list)
    property_lines: dict[str, int] = field(default_factory=dict)

    def drop(self, line: int, what: str, reason: str) -> None:
        self.warn(line, Code.THEME_DROPPED, f"dropped {what} from the theme: {reason}")

    def warn(self, line: int, code: Code, message: str) -> None:
        self.warnings.append(Diagnostic(self.shown_path, line, code, message))

    def final_warnings(self) -> tuple[Diagnostic, ...]:
        """The first MAX_WARNINGS warnings and a count of the rest, so a hostile theme can't flood the log."""
        if len(self.warnings) <= MAX_WARNINGS:
            return tuple(self.warnings)
        rest = len(self.warnings) - MAX_WARNINGS
        summary = Diagnostic(self.shown_path, 0, Code.THEME_DROPPED, f"{rest} more warnings about the theme")
        return (*self.warnings[:MAX_WARNINGS], summary)

    # ------------------------------------------------------------ rules

    def rules(self, nodes: Iterable[Any], depth: int) -> Iterator[str]:
        """Top-level rules, or those inside @media and @supports: no bare declarations."""
        for node in nodes:
            match node.type:
                case "qualified-rule":
                    yield from self.style_rule(node, depth)
                case "at-rule":
                    yield from self.at_rule(node, depth, in_style_rule=False)
                case "error":
                    self.drop(node.source_line, "invalid CSS", node.message)
                case _:  # the parser skips whitespace and comments; nothing else comes at this level
                    pass

    def style_rule(self, rule: Any, depth: int) -> Iterator[str]:
        selector = _serialized(rule.prelude).strip()
        reason = self.unsafe_tokens(rule.prelude, "selector") or _selector_problem(rule.prelude)
        if reason:
            self.drop(rule.source_line, f"the rule '{_excerpt(selector)}'", reason)
            return
        body = list(self.block(rule.content, depth + 1, context="style"))
        if body:
            yield f"{selector} {{\n{''.join(body)}}}\n"

    def at_rule(self, rule: Any, depth: int, *, in_style_rule: bool) -> Iterator[str]:
        keyword = rule.lower_at_keyword
        prelude = _serialized(rule.prelude).strip()
        shown = _excerpt(f"@{rule.at_keyword} {prelude}".strip())
        if keyword not in KEPT_AT_RULES:
            self.drop(rule.source_line, shown, "a theme may use only style rules, @media, @supports, @page, @font-face")
            return
        reason = self.unsafe_tokens(rule.prelude, "prelude")
        if reason or rule.content is None:
            self.drop(rule.source_line, shown, reason or "it has no block")
            return
        if depth >= MAX_NESTING:
            self.drop(rule.source_line, shown, f"nested deeper than {MAX_NESTING} levels")
            return
        if keyword == "font-face":
            body = self.font_face(rule)
        elif keyword == "page":
            body = list(self.block(rule.content, depth + 1, context="page"))
        elif in_style_rule:  # nested @media/@supports hold declarations and rules, like their style rule
            body = list(self.block(rule.content, depth + 1, context="style"))
        else:
            body = list(
                self.rules(
                    _tinycss2().parse_rule_list(rule.content, skip_comments=True, skip_whitespace=True), depth + 1
                )
            )
        if body:
            header = f"@{keyword} {prelude}" if prelude else f"@{keyword}"
            yield f"{header} {{\n{''.join(body)}}}\n"

    def block(self, content: list[Any], depth: int, context: str) -> Iterator[str]:
        """The inside of a style rule, an @page or a margin box: declarations and nested rules."""
        if depth >= MAX_NESTING:
            line = content[0].source_line if content else 0
            self.drop(line, "a block", f"nested deeper than {MAX_NESTING} levels")
            return
        for node in _tinycss2().parse_blocks_contents(content, skip_comments=True, skip_whitespace=True):
            match node.type:
                case "declaration":
                    kept = self.declaration(node, context)
                    if kept:
                        yield f"  {kept};\n"
                case "qualified-rule" if context == "style":
                    yield from self.style_rule(node, depth)
                case "at-rule" if context == "page" and node.lower_at_keyword in PAGE_MARGIN_RULES:
                    if node.prelude and _serialized(node.prelude).strip():
                        self.drop(node.source_line, f"@{node.lower_at_keyword}", "a margin box takes no prelude")
                        continue
                    body = list(self.block(node.content or [], depth + 1, context="margin"))
                    if body:
                        yield f"@{node.lower_at_keyword} {{\n{''.join(body)}}}\n"
                case "at-rule" if context == "style":
                    yield from self.at_rule(node, depth, in_style_rule=True)
                case "error":
                    self.drop(node.source_line, "invalid CSS", node.message)
                case _:
                    self.drop(node.source_line, _excerpt(_serialized([node])), f"not allowed inside {context} rules")

    def font_face(self, rule: Any) -> list[str]:
        shown = "@font-face"
        declarations = []
        for node in _tinycss2().parse_blocks_contents(rule.content, skip_comments=True, skip_whitespace=True):
            if node.type == "declaration":
                declarations.append(node)
            else:
                self.drop(node.source_line, _excerpt(_serialized([node])), "@font-face holds only descriptors")
        families = [
            name
            for node in declarations
            if node.lower_name == "font-family"
            for name in _family_names(_serialized(node.value))
        ]
        reserved = [name for name in families if name.casefold() in WATERMARK_FAMILIES]
        if reserved:
            self.drop(rule.source_line, f"{shown} for '{_excerpt(reserved[0])}'", "the watermark is drawn in that font")
            return []
        body = [kept for node in declarations if (kept := self.declaration(node, context="font-face"))]
        if not any(kept.startswith("src:") for kept in body):
            if not any(node.lower_name == "src" for node in declarations):
                self.drop(rule.source_line, shown, "it has no src")
            return []
        return [f"  {kept};\n" for kept in body]

    # ------------------------------------------------------------ declarations

    def declaration(self, node: Any, context: str) -> str:
        """The declaration as `name: value` without !important, or "" after a warning."""
        name = node.name if node.name.startswith("--") else node.lower_name
        # WeasyPrint reads `-weasy-string-set` as `string-set`, browsers `-webkit-x` as `x`: judge the property.
        unprefixed = name if name.startswith("--") else _VENDOR_PREFIX.sub("", name)
        value = _serialized(node.value).strip()
        shown = _excerpt(f"{name}: {value}")
        line = node.source_line
        dropped = DROPPED_PROPERTIES.get(name) or DROPPED_PROPERTIES.get(unprefixed)
        if dropped:
            self.drop(line, shown, dropped)
            return ""
        if context != "font-face" and unprefixed in TEXT_PROPERTIES and not _keywords_only(node.value):
            self.drop(line, shown, "only keywords are kept here, so a theme cannot print words of its own")
            return ""
        strings_allowed = name.startswith("--") or unprefixed in (
            FONT_FACE_STRING_DESCRIPTORS if context == "font-face" else STRING_NAME_PROPERTIES
        )
        reason = self.unsafe_tokens(node.value, "value", strings_allowed=strings_allowed, fonts=context == "font-face")
        if reason:
            self.drop(line, shown, reason)
            return ""
        if node.important:
            self.drop(line, f"!important on {shown}", "the watermark's rules must win over every theme rule")
        if name.startswith("--") and context == "style":
            self.properties.append((name[2:], value))
            self.property_lines[name[2:]] = line
        return f"{name}: {value}"

    def unsafe_tokens(
        self, tokens: list[Any], where: str, *, strings_allowed: bool = False, fonts: bool = False
    ) -> str:
        """Why these tokens may not stay in the theme, or "" when they may."""
        if _nesting(tokens) > MAX_NESTING:
            return f"nested deeper than {MAX_NESTING} levels"
        if any(ending in _serialized(tokens).lower() for ending in STYLE_ELEMENT_ENDINGS):
            return "it would end the style element"
        pending = [tokens]
        while pending:
            for token in pending.pop():
                reason = self.unsafe_token(token, where, strings_allowed=strings_allowed, fonts=fonts)
                if reason:
                    return reason
                if token.type == "function" and token.lower_name != "url":
                    pending.append(token.arguments)
                elif token.type in ("() block", "[] block", "{} block"):
                    pending.append(token.content)
        return ""

    def unsafe_token(self, token: Any, where: str, *, strings_allowed: bool, fonts: bool) -> str:
        match token.type:
            case "url":
                return self.url_problem(token.value, fonts=fonts)
            case "function" if token.lower_name == "url":
                strings = [item.value for item in token.arguments if item.type == "string"]
                return self.url_problem(strings[0] if len(strings) == 1 else "", fonts=fonts)
            case "function" if token.lower_name in DROPPED_FUNCTIONS:
                return f"{token.lower_name}() loads or quotes something"
            case "string" if not strings_allowed:
                return f"a string in a {where} here could print words or name a file"
            case "bad-string" | "bad-url" | "error":
                return "invalid CSS"
            case _:
                return ""

    def url_problem(self, url: str, *, fonts: bool) -> str:
        allowed = "a data: font" if fonts else "a data: image (PNG, JPEG, GIF or WebP)"
        limit = f"{allowed} of at most {self.data_url_bytes} bytes"
        if url.strip()[:5].lower() != "data:":
            return f"a theme may load only {limit}"
        from exporter.safety.resources import DataUrlTooLarge, decode_data_url  # network code loads only when used

        try:
            mime, _ = decode_data_url(url, self.data_url_bytes)
        except DataUrlTooLarge:
            return f"larger than {self.data_url_bytes} bytes"
        except ValueError as error:
            return str(error)
        kind_ok = mime.startswith(FONT_TYPE_PREFIXES) if fonts else mime in RASTER_IMAGE_TYPES
        return "" if kind_ok else f"a theme may load only {limit}, not {mime}"

    # ------------------------------------------------------------ values Word and diagrams take

    def check_word_values(self, properties: tuple[tuple[str, str], ...]) -> None:
        """Warns of font names and colours the DOCX and diagrams can't take, which then use their defaults."""
        for name, value in dict(properties).items():
            line = self.property_lines.get(name, 0)
            if name.removeprefix("font-") in WORD_FONT_ROLES:
                for family in _family_names(value):
                    if not plain_font_name(family):
                        message = (
                            f"--{name}: font name '{_excerpt(family)}' is not a plain name (letters, digits, spaces,"
                            f" - _ . + up to {MAX_FONT_NAME_LENGTH} characters); Word and diagrams won't use it"
                        )
                        self.warn(line, Code.THEME_FONT, message)
            elif name.removeprefix("color-") in WORD_COLOR_ROLES and _HEX_COLOR.match(value) is None:
                message = f"--{name}: '{_excerpt(value)}' is not a #rrggbb colour; Word and diagrams use their default"
                self.warn(line, Code.THEME_COLOR, message)


# ---------------------------------------------------------------- token helpers


def _serialized(tokens: list[Any]) -> str:
    """The tokens as CSS text; "…" for tokens nested too deep to write out (they are always dropped)."""
    return "…" if _nesting(tokens) > MAX_NESTING else str(_tinycss2().serialize(tokens))


def _nesting(tokens: list[Any]) -> int:
    """How deeply blocks and functions nest in these tokens (or rules), counted without recursion."""
    deepest = 0
    pending = [(tokens, 0)]
    while pending:
        group, level = pending.pop()
        deepest = max(deepest, level)
        for token in group:
            children = getattr(token, "arguments", None) or getattr(token, "content", None)
            if isinstance(children, list):
                pending.append((children, level + 1))
    return deepest


def _keywords_only(tokens: list[Any]) -> bool:
    return all(token.type in ("ident", "whitespace", "number", "percentage", "dimension") for token in tokens)


def _selector_problem(prelude: list[Any]) -> str:
    """Why a selector may not stay: it names the watermark, or styles text apart from its element."""
    pending = [prelude]
    while pending:
        for token in pending.pop():
            if token.type in ("ident", "hash") and "watermark" in token.value.lower():
                return "the watermark is ours"
            if token.type == "ident" and token.lower_value in ("first-letter", "first-line"):
                return f"::{token.lower_value} rules could hide the watermark's text"
            if token.type == "function":
                pending.append(token.arguments)
            elif token.type in ("() block", "[] block"):
                pending.append(token.content)
    return ""


def _excerpt(text: str) -> str:
    """A piece of the theme as a warning quotes it: one line, printable, at most EXCERPT_LENGTH characters."""
    one_line = _printable(" ".join(text.split()))
    return one_line if len(one_line) <= EXCERPT_LENGTH else one_line[: EXCERPT_LENGTH - 1] + "…"


def _printable(text: str) -> str:
    """Control and format characters as escapes, so a name or an excerpt can't forge a log line."""
    return "".join(char if not unicodedata.category(char).startswith("C") else repr(char)[1:-1] for char in text)
