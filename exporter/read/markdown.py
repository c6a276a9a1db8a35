"""Markdown to document tree. The only module that imports markdown_it."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any
from urllib.parse import unquote

from markdown_it import MarkdownIt, rules_block, rules_inline
from markdown_it.common.normalize_url import validateLink as markdown_it_validate_link
from markdown_it.rules_block import StateBlock
from markdown_it.rules_core import StateCore, smartquotes
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token
from mdit_py_plugins.deflist import deflist_plugin
from mdit_py_plugins.dollarmath import dollarmath_plugin
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.front_matter import front_matter_plugin
from mdit_py_plugins.superscript import superscript_plugin
from mdit_py_plugins.tasklists import tasklists_plugin
from mdit_py_plugins.utils import UNESCAPE_RE

from exporter.enrich.language import detect_language
from exporter.enrich.layout import (
    converts_to_drawing,
    diagram_lines,
    fence_parts,
    is_diagram,
    recognize_diagram,
    stroke_count,
)
from exporter.enrich.outline import (
    IdRegistry,
    assign_heading_ids,
    build_toc,
    dangling_fragment_links,
    document_title,
    number_sections,
    resolve_fragment_links,
    title_heading,
)
from exporter.enrich.presentation import bold_label, link_allowed
from exporter.enrich.tables import lay_out_tables
from exporter.enrich.typography import (
    QUOTE_PLACEHOLDERS,
    apply_typography,
    remaining_quotes,
    typographic_dashes,
)
from exporter.model.diagnostics import Code, ExportError, Reporter, locate
from exporter.model.limits import Limits
from exporter.model.tree import (
    Alignment,
    Block,
    BlockQuote,
    BulletList,
    Callout,
    CalloutKind,
    CodeBlock,
    DefinitionItem,
    DefinitionList,
    Diagram,
    DiagramDrawing,
    Document,
    Footnote,
    FootnoteRef,
    HardBreak,
    Heading,
    Image,
    Inline,
    InlineCode,
    ListItem,
    OrderedList,
    Paragraph,
    SoftBreak,
    Table,
    TableCell,
    Text,
    ThematicBreak,
    block_inlines,
    plain_text,
    walk_blocks,
)
from exporter.read.html import BlockAssembler, HtmlContext, InlineStack, refusal, trim
from exporter.read.math import MATH_LANGUAGE, FormulaChecker, inline_math_at, split_displayed_math
from exporter.read.metadata import LINE_SEPARATORS as _SEPARATORS
from exporter.read.metadata import XML_ILLEGAL as _XML_ILLEGAL
from exporter.read.metadata import command_line_entries, read_front_matter, read_metadata, read_title_block
from exporter.read.shortcodes import SHORTCODE, emoji_for

MAX_CONTROL_WARNINGS = 5


@dataclass(frozen=True, slots=True)
class ParseOptions:
    number_sections: bool = False
    toc_depth: int = 3
    limits: Limits = field(default_factory=Limits)
    smart: bool = True  # typographic quotes, dashes and ellipses in prose (--no-smart)
    metadata: tuple[tuple[str, str], ...] = ()  # -M KEY=VALUE in order, then --title as ("title", TEXT)
    draw_text_diagrams: bool = True  # False (--no-diagrams): every text diagram stays on its monospace grid


def _markdown_levels(nesting_depth: int) -> int:
    """markdown-it counts two levels per list (list and item), one per quote, then the paragraph and its inline."""
    return 2 * nesting_depth + 3


@dataclass
class _LinkChecks:
    """What one parse's link validation needs and finds."""

    line: int = 0  # the line of the block whose links are being validated
    markdown_it_rule_next: bool = False  # the next target is judged by markdown-it's rule (see _Markdown)
    refused: list[tuple[int, str]] = field(default_factory=list)  # (block line, target) of each refused link


_LINK_CHECKS: ContextVar[_LinkChecks | None] = ContextVar("designexport_link_checks", default=None)


class _Markdown(MarkdownIt):
    def validateLink(self, url: str) -> bool:  # markdown-it's name
        """Our link policy (exporter.enrich.presentation.link_allowed), so the tree only ever holds links
        every output may follow; a refused link stays the text it was written as, and is reported.

        Image sources keep markdown-it's own rule: the resource resolver decides which load, with warnings of
        its own. So do reference definitions (images may use them) and autolinks (a refused `<irc://host>`
        reads as its address, not its brackets): the tree builder turns their refused links into text."""
        checks = _LINK_CHECKS.get()
        if checks is not None and checks.markdown_it_rule_next:
            checks.markdown_it_rule_next = False
            allowed = markdown_it_validate_link(url)
        else:
            allowed = link_allowed(url)
        if not allowed and checks is not None:
            checks.refused.append((checks.line, url))
        return allowed


def _judged_by_markdown_it(rule: Callable[[StateInline, bool], bool]) -> Callable[[StateInline, bool], bool]:
    """An inline rule whose own target markdown-it's link rule judges (not the links inside its text)."""

    def judged(state: StateInline, silent: bool) -> bool:
        checks = _LINK_CHECKS.get()
        if checks is not None:
            checks.markdown_it_rule_next = True
        try:
            return rule(state, silent)
        finally:
            if checks is not None:
                checks.markdown_it_rule_next = False

    return judged


def _reference_definition(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
    checks = _LINK_CHECKS.get()
    if checks is not None:
        checks.line = start_line + 1
        checks.markdown_it_rule_next = True
    try:
        return rules_block.reference(state, start_line, end_line, silent)
    finally:
        if checks is not None:
            checks.markdown_it_rule_next = False


@lru_cache(maxsize=4)
def _markdown(max_levels: int) -> MarkdownIt:
    md = _Markdown("commonmark", {"linkify": True, "maxNesting": max_levels})
    md.enable(["table", "strikethrough", "linkify"])
    md.use(front_matter_plugin).use(footnote_plugin).use(tasklists_plugin)
    _use_typography_and_extensions(md)
    _use_math(md)
    md.inline.ruler.at("image", _judged_by_markdown_it(rules_inline.image))
    md.inline.ruler.at("autolink", _judged_by_markdown_it(rules_inline.autolink))
    md.block.ruler.at("reference", _reference_definition)
    md.block.ruler.before(md.block.ruler.get_all_rules()[0], "element_budget", _block_budget)
    md.core.ruler.before("inline", "element_budget_lines", _note_inline_lines)
    md.inline.ruler.before(md.inline.ruler.get_all_rules()[0], "element_budget", _inline_budget)
    return md


def _use_math(md: MarkdownIt) -> None:
    """`$$…$$` on lines of its own as a block (the dollarmath plugin's rule, without blank lines or labels, as on
    GitHub), and `$…$`, `` $`…`$ `` and `$$…$$` in running text by GitHub's rules (exporter.read.math)."""
    md.use(dollarmath_plugin, allow_labels=False, allow_blank_lines=False)
    md.inline.ruler.at("math_inline", _inline_math)


def _inline_math(state: StateInline, silent: bool) -> bool:
    found = inline_math_at(state.src, state.pos)
    if found is None:
        return False
    if not silent:
        token = state.push("math_inline_double" if found.display else "math_inline", "math", 0)
        token.content = found.tex
    state.pos = found.end
    return True


# ------------------------------------------------------------------ typography and small extensions

_SMART = "designexport_smart"  # in the parse's env: whether prose gets typographic punctuation
_PLACED = "designexport_typography_placed"  # set when placeholders may have been written (enrich/typography.py)
_TYPOGRAPHY = re.compile(r"[\"']|--|\.\.\.")  # what may become a typographic mark
# Raw inline HTML whose text is code, not prose: no typographic punctuation inside it. Nor in a URL as text.
_LITERAL_HTML = re.compile(r"<(/?)(code|kbd|samp|tt|pre)\b", re.IGNORECASE)
_URL_TEXT = re.compile(r"\s*(?:[a-z][a-z0-9+.-]*://|www\.)\S*\s*", re.IGNORECASE)


def _use_typography_and_extensions(md: MarkdownIt) -> None:
    """Definition lists, `^sup^`, `~sub~`, one-tilde strikethrough, emoji shortcodes, and smart punctuation."""
    md.options["typographer"] = True  # read by markdown-it's smartquotes, which _typography runs itself
    md.options["quotes"] = QUOTE_PLACEHOLDERS
    md.use(deflist_plugin).use(superscript_plugin)
    md.inline.ruler.after("strikethrough", "designexport_tilde", _tilde)
    md.inline.ruler.after("designexport_tilde", "designexport_emoji", _emoji_shortcode)
    md.core.ruler.before("text_join", "designexport_typography", _typography)


def _tilde(state: StateInline, silent: bool) -> bool:
    """One tilde: `H~2~O` is a subscript when the tilde follows a letter or digit (pandoc's `~sub~`, which allows
    no space inside); `~word~` elsewhere is struck through, as GitHub strikes a single-tilde run. markdown-it's
    strikethrough rule keeps `~~`. Either way the closing tilde is the next one, so a paragraph is read once."""
    start = state.pos
    if silent or state.src[start] != "~" or start + 2 >= state.posMax:
        return False
    delimiters = state.scanDelims(start, True)
    if delimiters.length != 1:
        return False
    closing = _next_tilde(state, start + 1)
    if closing is None or closing == start + 1:
        return False
    if start > 0 and state.src[start - 1].isalnum():
        content = state.src[start + 1 : closing]
        if any(char.isspace() for char in content.replace("\\ ", "")):
            return False
        state.push("sub_open", "sub", 1).markup = "~"
        state.push("text", "", 0).content = UNESCAPE_RE.sub(r"\1", content)
        state.push("sub_close", "sub", -1).markup = "~"
        state.pos = closing + 1
        return True
    closer = state.scanDelims(closing, True)
    if not delimiters.can_open or closer.length != 1 or not closer.can_close:
        return False
    maximum = state.posMax
    state.pos, state.posMax = start + 1, closing
    state.push("s_open", "s", 1).markup = "~"
    state.md.inline.tokenize(state)
    state.push("s_close", "s", -1).markup = "~"
    state.pos, state.posMax = closing + 1, maximum
    return True


def _next_tilde(state: StateInline, position: int) -> int | None:
    """Where the next tilde is after `position`, skipping code spans, links and tags; None at the end."""
    start, maximum = state.pos, state.posMax
    state.pos = position
    found = None
    while state.pos < maximum:
        if state.src[state.pos] == "~":
            found = state.pos
            break
        state.md.inline.skipToken(state)
    state.pos = start
    return found


def _emoji_shortcode(state: StateInline, silent: bool) -> bool:
    """`:warning:` is ⚠️, as on GitHub; not inside a word, a time such as 10:30:00 or a path such as `Vec::new::`."""
    start = state.pos
    if state.src[start] != ":" or (start > 0 and _joins_shortcode(state.src[start - 1])):
        return False
    shortcode = SHORTCODE.match(state.src, start, state.posMax)
    if shortcode is None or _joins_shortcode(state.src[shortcode.end() : shortcode.end() + 1]):
        return False
    character = emoji_for(shortcode.group(1))
    if character is None:
        return False
    if not silent:
        state.push("text", "", 0).content = character
    state.pos = shortcode.end()
    return True


def _joins_shortcode(char: str) -> bool:
    return char.isalnum() or char == ":"


def _typography(state: StateCore) -> None:
    """Typographic quotes (as placeholders), dashes and ellipses in prose text: not in code, not in the text of
    an autolink (a URL), not in raw `<code>`-like HTML, not after a backslash (`\\"` stays straight)."""
    if not state.env.get(_SMART):
        return
    hidden = _hide_literal_text(state.tokens)
    smartquotes(state)
    for token in state.tokens:
        if token.type == "inline" and token.children:
            for child in token.children:
                if child.type == "text":
                    child.content = remaining_quotes(typographic_dashes(child.content))
    for token in hidden:
        token.type = "text"
    state.env[_PLACED] = any(token.type == "inline" and _TYPOGRAPHY.search(token.content) for token in state.tokens)


def _hide_literal_text(tokens: list[Token]) -> list[Token]:
    """Retypes the text tokens that must keep their characters, so that the typographic rules pass them by;
    returns them, to be typed back."""
    hidden: list[Token] = []
    for token in tokens:
        if token.type != "inline" or not token.children:
            continue
        in_url = in_code = 0
        for child in token.children:
            if child.type in ("link_open", "link_close") and child.info == "auto":
                in_url += 1 if child.type == "link_open" else -1
            elif child.type == "html_inline" and (tag := _LITERAL_HTML.match(child.content)):
                in_code = max(0, in_code + (-1 if tag.group(1) else 1))
            elif child.type == "text" and (in_url > 0 or in_code > 0 or _URL_TEXT.fullmatch(child.content)):
                child.type = "designexport_literal_text"
                hidden.append(child)
    return hidden


# markdown-it turns each paragraph, cell and formatted word into tokens, at about 400 bytes and 20 µs
# apiece, and every backend then renders them one by one: 4 MB of `code spans` took 20 s and 1 GiB to
# parse alone. These rules stop it once the document holds more than the `elements` limit.
_BUDGET = "designexport_elements"  # the limit, in the parse's env
_DONE = "designexport_inline_done"  # inline tokens of the paragraphs finished so far
_CURRENT = "designexport_inline_current"  # id and token count of the paragraph being parsed
_LINES = "designexport_inline_lines"  # id(children list) -> its block's line


class _TooManyElements(Exception):
    def __init__(self, line: int) -> None:
        super().__init__(line)
        self.line = line


def _block_budget(state: StateBlock, start_line: int, _end_line: int, _silent: bool) -> bool:
    if len(state.tokens) > state.env.get(_BUDGET, len(state.tokens)):
        raise _TooManyElements(start_line + 1)
    return False  # never parses anything itself


def _note_inline_lines(state: StateCore) -> None:
    lines: dict[int, int] = {}
    for token in state.tokens:
        if token.type == "inline":
            if token.children is None:
                token.children = []
            lines[id(token.children)] = token.map[0] + 1 if token.map else 0
    state.env[_LINES] = lines
    state.env[_DONE] = len(state.tokens)


def _inline_budget(state: StateInline, _silent: bool) -> bool:
    env = state.env
    if _BUDGET not in env:
        return False
    current = env.get(_CURRENT)
    if current is None or current[0] != id(state.tokens):
        env[_DONE] += current[1] if current else 0
        current = (id(state.tokens), 0)
    env[_CURRENT] = (current[0], len(state.tokens))
    checks = _LINK_CHECKS.get()
    if checks is not None:  # nested parses (a link's text) keep their paragraph's line
        checks.line = env[_LINES].get(id(state.tokens), checks.line)
    if env[_DONE] + len(state.tokens) > env[_BUDGET]:
        raise _TooManyElements(env[_LINES].get(id(state.tokens), 0))
    return False


def parse(text: str, source: str, reporter: Reporter | None = None, options: ParseOptions | None = None) -> Document:
    """Parses Markdown into a Document; problems become warnings on `reporter`."""
    reporter = reporter or Reporter(source)
    options = options or ParseOptions()
    limits = options.limits
    text = _SEPARATORS.sub(" ", _strip_control_characters(text, reporter))
    text, declared = read_title_block(text)  # pandoc's `%` lines; front matter takes their place when it opens
    levels = _markdown_levels(limits.nesting_depth)
    link_checks = _LinkChecks()
    reset = _LINK_CHECKS.set(link_checks)
    env: dict[str, object] = {_BUDGET: limits.elements, _SMART: options.smart}
    try:
        tokens = _markdown(levels).parse(text, env)
    except _TooManyElements as error:
        raise _too_many_elements(source, limits.elements, error.line) from None
    finally:
        _LINK_CHECKS.reset(reset)
    source_lines = text.split("\n")
    _report_refused_links(link_checks.refused, source_lines, reporter)
    _refuse_deep_nesting(tokens, source, limits.nesting_depth, levels)
    builder = _TreeBuilder(reporter, limits, source_lines, options.draw_text_diagrams)
    root = _syntax_tree(tokens)
    footnote_nodes: list[_Node] = []
    body_nodes: list[_Node] = []
    for node in root:
        if node.type == "front_matter":
            declared = read_front_matter(node.content, _line(node), reporter)
        elif node.type == "footnote_block":
            footnote_nodes.extend(node.children)
            if len(footnote_nodes) > limits.footnotes:
                extra = footnote_nodes[limits.footnotes]
                line = next((_line(child) for child in extra.children if child.map), 0)
                raise ExportError(source, f"more than {limits.footnotes} footnotes (--limit footnotes=N)", line)
        else:
            body_nodes.append(node)

    blocks = builder.blocks(body_nodes)
    footnotes = tuple(builder.footnote(node) for node in footnote_nodes)
    builder.formulas.report(source_lines)
    every_block = (*blocks, *(block for note in footnotes for block in note.children))
    _refuse_too_much_code(tokens, every_block, source, limits.elements)
    if not text.isascii():
        _refuse_zero_width_runs(every_block, source, limits)
    blocks, metadata = read_metadata(blocks, declared, command_line_entries(options.metadata, reporter), reporter)
    title = document_title(blocks, metadata.title, source)
    blocks = assign_heading_ids(blocks, builder.ids)
    blocks = resolve_fragment_links(blocks, builder.ids.taken)
    footnotes = tuple(
        replace(note, children=resolve_fragment_links(note.children, builder.ids.taken)) for note in footnotes
    )
    note_blocks = tuple(block for note in footnotes for block in note.children)
    for block_line, target in dangling_fragment_links((*blocks, *note_blocks), builder.ids.taken):
        line, column = locate(source_lines, target, block_line)
        reporter.warn(line, Code.BROKEN_LINK, f"no heading or anchor {target!r}", column)
    if options.number_sections:
        blocks = number_sections(blocks, title_heading(blocks, title))
    blocks = lay_out_tables(blocks)
    footnotes = tuple(replace(note, children=lay_out_tables(note.children)) for note in footnotes)
    document = Document(
        source=source,
        title=title,
        metadata=metadata.fields,
        blocks=blocks,
        footnotes=footnotes,
        toc=build_toc(blocks, options.toc_depth, title_heading(blocks, title)),
        language=metadata.language or detect_language(title, blocks),
    )
    # Quote marks follow the language, which is known only now (enrich/typography.py).
    return apply_typography(document) if env.get(_PLACED) else document


def _report_refused_links(refused: list[tuple[int, str]], source_lines: list[str], reporter: Reporter) -> None:
    """A warning at each refused link target, found in the source from its block's line on."""
    for block_line, target in refused:
        written = unquote(target)  # markdown-it hands over targets percent-encoded
        line, column = locate(source_lines, written, block_line)
        if (line, column) == (max(block_line, 1), 1) and written != target:
            line, column = locate(source_lines, target, block_line)
        reporter.warn(line, Code.UNSAFE_LINK, refusal(written), column)


_CONTAINER_OPENS = frozenset({"bullet_list_open", "ordered_list_open", "blockquote_open"})
_CONTAINER_CLOSES = frozenset({"bullet_list_close", "ordered_list_close", "blockquote_close"})


def _refuse_deep_nesting(tokens: list[Token], source: str, limit: int, levels: int) -> None:
    """Lists and quotes more than `limit` deep are an error; so is anything markdown-it cut off at its own
    nesting limit (it drops it silently), which only content past `limit` reaches."""
    depth = 0
    for token in tokens:
        if token.type in _CONTAINER_OPENS:
            depth += 1
        elif token.type in _CONTAINER_CLOSES:
            depth -= 1
        too_deep = depth > limit or token.level >= levels - 1
        if too_deep or any(child.level >= levels - 1 for child in token.children or []):
            line = token.map[0] + 1 if token.map else 0
            raise ExportError(
                source,
                f"content is nested too deeply (more than {limit} levels of lists or quotes; --limit nesting-depth=N)",
                line,
            )


_ZERO_WIDTH_CATEGORIES = ("Mn", "Me", "Cf")  # combining marks and format characters (ZWJ, ZWSP, bidi marks, ...)
_TAGS = range(0xE0000, 0xE1000)  # tags and the variation selectors supplement


def _zero_width_count(text: str) -> int:
    """How many combining marks and format characters (below U+20000, and the tags block) the text holds.

    Each distinct character is looked up once: a table of every such character would take longer to build
    (a lookup for each of 131,072 code points) than any document takes to check."""
    return sum(
        text.count(char)
        for char in set(text)
        if (ord(char) < 0x20000 and unicodedata.category(char) in _ZERO_WIDTH_CATEGORIES) or ord(char) in _TAGS
    )


def _too_many_elements(source: str, limit: int, line: int) -> ExportError:
    return ExportError(
        source,
        f"the document has more than {limit} elements (paragraphs, formatted words, table cells, code lines "
        "and words), more than any format renders in a minute (--limit elements=N)",
        line,
    )


CODE_CHARACTERS_PER_ELEMENT = 4  # about one highlighted token, each its own run or span


def _refuse_too_much_code(tokens: list[Token], blocks: tuple[Block, ...], source: str, limit: int) -> None:
    """Code blocks are one token but many lines and highlighted words to render: they count too."""
    total = len(tokens) + sum(len(token.children or ()) for token in tokens)
    for block in walk_blocks(blocks):
        if isinstance(block, CodeBlock):
            total += block.text.count("\n") + 1 + len(block.text) // CODE_CHARACTERS_PER_ELEMENT
            if total > limit:
                raise _too_many_elements(source, limit, block.line)


def _refuse_zero_width_runs(blocks: tuple[Block, ...], source: str, limits: Limits) -> None:
    """A paragraph (heading, table cell, code line) with more characters that take no width than the limit
    is an error: PDF layout measures lines in characters and lays out the whole rest of such a paragraph for
    every line, so a megabyte of "Zalgo" text took minutes."""
    limit = limits.combining_marks
    for block in walk_blocks(blocks):
        match block:
            case Table(header=header, rows=rows):
                texts = [plain_text(cell.children) for row in (header, *rows) for cell in row]
            case CodeBlock(text=code):
                texts = code.split("\n")
            case _:
                texts = [plain_text(block_inlines(block))]
        for text in texts:
            if len(text) > limit and (found := _zero_width_count(text)) > limit:
                raise ExportError(
                    source,
                    f"a paragraph holds {found} combining marks and other zero-width characters, over the "
                    f"{limit} limit (--limit combining-marks=N)",
                    block.line,
                )


def _strip_control_characters(text: str, reporter: Reporter) -> str:
    """Drops characters no XML output can hold, warning with the line of the first few."""
    if not _XML_ILLEGAL.search(text):
        return text
    lines = text.split("\n")
    warned = 0
    for number, line in enumerate(lines, start=1):
        found = _XML_ILLEGAL.findall(line)
        if found and warned < MAX_CONTROL_WARNINGS:
            names = ", ".join(sorted({f"U+{ord(char):04X}" for char in found}))
            reporter.warn(number, Code.CONTROL_CHARACTER, f"removed control character(s) {names}")
            warned += 1
    return _XML_ILLEGAL.sub("", text)


class _Node:
    """A markdown-it token with the nodes it encloses: an `x_open` token (whose fields the node reads, as
    markdown-it's SyntaxTreeNode does) with everything up to its `x_close`, or an inline token with its children.

    Not markdown-it's SyntaxTreeNode, which builds each node through several calls and works its `type` out
    again at every access: it took twice as long as this one-pass build (6 % of a parse)."""

    __slots__ = ("children", "token", "type")

    def __init__(self, token: Token, node_type: str, children: list[_Node]) -> None:
        self.token = token
        self.type = node_type
        self.children = children

    @property
    def content(self) -> str:
        return self.token.content

    @property
    def map(self) -> list[int] | None:
        return self.token.map

    @property
    def tag(self) -> str:
        return self.token.tag

    @property
    def info(self) -> str:
        return self.token.info

    @property
    def markup(self) -> str:
        return self.token.markup

    @property
    def attrs(self) -> dict[str, str | int | float]:
        return self.token.attrs

    @property
    def meta(self) -> dict[Any, Any]:
        return self.token.meta

    @property
    def hidden(self) -> bool:
        return self.token.hidden


def _syntax_tree(tokens: list[Token]) -> list[_Node]:
    """The top-level nodes of markdown-it's token stream, built in one pass."""
    top: list[_Node] = []
    open_lists = [top]
    for token in tokens:
        if token.nesting == 1:
            node = _Node(token, token.type.removesuffix("_open"), [])
            open_lists[-1].append(node)
            open_lists.append(node.children)
        elif token.nesting == -1:
            if len(open_lists) == 1:
                raise ValueError("Invalid token nesting")
            open_lists.pop()
        else:
            open_lists[-1].append(_Node(token, token.type, _syntax_tree(token.children) if token.children else []))
    if len(open_lists) != 1:
        raise ValueError("unclosed tokens")
    return top


def _line(node: _Node) -> int:
    node_map = node.map
    return node_map[0] + 1 if node_map else 0


class _TreeBuilder:
    """Turns markdown-it's syntax tree into our blocks and inlines."""

    def __init__(
        self, reporter: Reporter, limits: Limits, source_lines: list[str], draw_text_diagrams: bool = True
    ) -> None:
        self.reporter = reporter
        self.limits = limits
        self.draw_text_diagrams = draw_text_diagrams
        self.ids = IdRegistry()
        self.html = HtmlContext(reporter, self.ids, limits, source_lines, self.code_text)
        self.formulas = FormulaChecker(reporter, limits)

    def _over_limit(self, line: int, message: str) -> ExportError:
        return ExportError(self.reporter.source, message, line)

    # -------------------------------------------------------------- blocks

    def blocks(self, nodes: list[_Node]) -> tuple[Block, ...]:
        """A container's blocks; its raw HTML chunks and the Markdown between them nest as the tags say."""
        assembler = BlockAssembler(self.html)
        for node in nodes:
            if node.type == "html_block":
                assembler.html(node.content, _line(node))
                continue
            for piece in self.pieces(node):
                assembler.block(piece)
        return assembler.finish()

    def pieces(self, node: _Node) -> tuple[Block, ...]:
        """The blocks one node makes: a fence of prose around a drawing makes the prose and the drawing apart, a
        paragraph holding `$$…$$` the text and the formula; any other node one block, or none."""
        if node.type in ("fence", "code_block"):
            return self.code(node, _line(node))
        block = self.block(node)
        return split_displayed_math(block) if block is not None else ()

    def block(self, node: _Node) -> Block | None:
        line = _line(node)
        match node.type:
            case "heading":
                level = int(node.tag[1])
                return Heading(level, "", self.inline_children(node.children[0], line), line)
            case "paragraph":
                children = self.inline_children(node.children[0], line) if node.children else ()
                return Paragraph(_break_before_labels(children), line) if children else None
            case "bullet_list" | "ordered_list":
                return self.list_block(node, line)
            case "dl":
                return self.definition_list(node, line)
            case "table":
                return self.table(node, line)
            case "blockquote":
                return _callout_or_quote(self.blocks(node.children), line)
            case "hr":
                return ThematicBreak(line)
            case "math_block":
                return self.formulas.block(node.content, line)
            case _:
                self.reporter.warn(line, Code.UNSUPPORTED, f"skipped unsupported Markdown construct {node.type!r}")
                return None

    def code(self, node: _Node, line: int) -> tuple[Block, ...]:
        info = node.info.strip() if node.type == "fence" else ""
        language = info.split()[0].strip("{}.").lower() if info else ""
        text = node.content[:-1] if node.content.endswith("\n") else node.content
        if language == MATH_LANGUAGE and node.type == "fence":
            return (self.formulas.block(text, line),)
        return self.code_pieces(text, language, line, line + 1 if node.type == "fence" else line, info)

    def code_pieces(
        self, text: str, language: str, line: int, first_line: int, info: str | None = None
    ) -> tuple[Block, ...]:
        """Like `code_text`, but a drawing with paragraphs of prose around it (enrich/layout.py `fence_parts`)
        becomes the drawing alone, and each paragraph a plain code block: text in every format, monospace as
        GitHub shows the whole fence."""
        if not self.draw_text_diagrams:  # the whole fence on its grid, the prose in it too
            return (self.code_text(text, language, line, first_line, info),)
        parts = fence_parts(text, language, self.limits.diagram_strokes)
        if len(parts) == 1:
            return (self.code_text(text, language, line, first_line, info),)
        pieces: list[Block] = []
        for part in parts:
            part_line = line if part.offset == 0 else first_line + part.offset  # a block's line is where it starts
            if part.prose:
                pieces.append(CodeBlock(part.text, "", "", part_line))
            else:
                pieces.append(self.code_text(part.text, language, part_line, first_line + part.offset, info))
        return tuple(pieces)

    def code_text(self, text: str, language: str, line: int, first_line: int, info: str | None = None) -> Block:
        """A code block, or a diagram when its text draws one; `first_line` is the line of its first text line
        (a fence's or a raw `<pre>`'s)."""
        info = language if info is None else info
        if is_diagram(text, language, self.limits.diagram_strokes):
            lines, columns = diagram_lines(text)
            if len(lines) > self.limits.diagram_lines or columns > self.limits.diagram_columns:
                raise self._over_limit(
                    line,
                    f"diagram is {len(lines)} lines x {columns} columns, over the {self.limits.diagram_lines} x "
                    f"{self.limits.diagram_columns} limit (--limit diagram-lines=N, diagram-columns=N)",
                )
            return Diagram(lines, columns, info, line, self._drawing(lines, language, first_line))
        return CodeBlock(text, language, info, line)

    def _drawing(self, lines: tuple[str, ...], language: str, first_line: int) -> DiagramDrawing | None:
        """The vector drawing of a diagram when it passes the round trip; ragged spots become warnings."""
        if not self.draw_text_diagrams or not converts_to_drawing(language):
            return None
        strokes = stroke_count("\n".join(lines))
        if strokes > self.limits.diagram_strokes:
            # Recognising it would take hundreds of MiB, and the PDF would lay out thousands of shapes.
            self.reporter.warn(
                first_line,
                Code.DIAGRAM_TOO_LARGE,
                f"diagram kept as text, not redrawn: {strokes} line characters, over the "
                f"{self.limits.diagram_strokes} limit (--limit diagram-strokes=N)",
            )
            return None
        recognition = recognize_diagram(lines)
        for offset, column, message in recognition.problems:
            self.reporter.warn(first_line + offset, Code.DIAGRAM_RAGGED, message, column)
        return recognition.drawing

    def list_block(self, node: _Node, line: int) -> Block:
        items: list[ListItem] = []
        tight = True
        for item_node in node.children:
            checked: bool | None = None
            is_task = "task-list-item" in str(item_node.attrs.get("class", ""))
            children_nodes = list(item_node.children)
            if any(child.type == "paragraph" and child.hidden is False for child in children_nodes):
                tight = False
            if is_task and children_nodes and children_nodes[0].children:
                inline = children_nodes[0].children[0]
                first = inline.children[0] if inline.children else None
                if first is not None and first.type == "html_inline":
                    checked = 'checked="checked"' in first.content
            blocks = self.blocks(children_nodes)
            if checked is not None:
                blocks = _strip_task_marker_space(blocks)
            items.append(ListItem(blocks, checked, _line(item_node)))
        if node.type == "ordered_list":
            start = int(str(node.attrs.get("start", 1)))
            return OrderedList(tuple(items), start, tight, line)
        return BulletList(tuple(items), tight, line)

    def definition_list(self, node: _Node, line: int) -> DefinitionList:
        """`Term` then `: definition` lines: markdown-it gives each term (dt) and then its definitions (dd)."""
        items: list[DefinitionItem] = []
        for child in node.children:
            if child.type == "dt":
                term = self.inline_children(child.children[0], _line(child)) if child.children else ()
                items.append(DefinitionItem(term, ()))
            elif child.type == "dd" and items:
                definitions = (*items[-1].definitions, self.blocks(child.children))
                items[-1] = replace(items[-1], definitions=definitions)
        return DefinitionList(tuple(items), line)

    def table(self, node: _Node, line: int) -> Table:
        self._check_table_size(node, line)
        header: tuple[TableCell, ...] = ()
        rows: list[tuple[TableCell, ...]] = []
        alignments: list[Alignment] = []
        header_line, row_lines = line, []  # each row's own line, for anchors back to the source
        for section in node.children:
            for row in section.children:
                row_line = _line(row) or line
                cells = tuple(
                    TableCell(self.inline_children(cell.children[0], row_line) if cell.children else ())
                    for cell in row.children
                )
                if section.type == "thead":
                    header, header_line = cells, row_line
                    alignments = [_alignment(str(cell.attrs.get("style", ""))) for cell in row.children]
                else:
                    rows.append(cells)
                    row_lines.append(row_line)
        width = len(header)
        padded = tuple((row + (TableCell(()),) * width)[:width] for row in rows)
        lines = (header_line, *row_lines)
        return Table(header, padded, tuple(alignments), (), line, row_lines=lines)  # laid out once the tree is whole

    def _check_table_size(self, node: _Node, line: int) -> None:
        """Before any cell is converted: a huge table must fail fast, not after laying it out."""
        rows = [row for section in node.children for row in section.children]
        columns = len(rows[0].children) if rows else 0
        if columns > self.limits.table_columns:
            raise self._over_limit(
                line,
                f"table has {columns} columns, over the {self.limits.table_columns}-column limit "
                "(--limit table-columns=N; Word itself allows 63)",
            )
        cells = len(rows) * columns
        if cells > self.limits.table_cells:
            raise self._over_limit(
                line, f"table has {cells} cells, over the {self.limits.table_cells}-cell limit (--limit table-cells=N)"
            )

    def footnote(self, node: _Node) -> Footnote:
        number = int(str(node.meta.get("id", 0))) + 1
        label = str(node.meta.get("label") or number)
        children = [child for child in node.children if child.type != "footnote_anchor"]
        blocks = self.blocks(children)
        line = next((_line(child) for child in children if child.map), 0)
        return Footnote(number, label, blocks, line)

    # -------------------------------------------------------------- inlines

    def inline_children(self, inline: _Node, line: int) -> tuple[Inline, ...]:
        builder = InlineStack(line, self.html)
        self._inlines(inline.children, builder)
        return builder.finish()

    def _inlines(self, nodes: list[_Node], out: InlineStack) -> None:
        for node in nodes:
            match node.type:
                case "text":
                    out.add(Text(node.content))
                case "code_inline":
                    out.add(InlineCode(node.content))
                case "softbreak":
                    out.add(SoftBreak())
                case "hardbreak":
                    out.add(HardBreak())
                case "em" | "strong" | "s" | "sup" | "sub":
                    kind = {"em": "em", "strong": "strong", "s": "del", "sup": "sup", "sub": "sub"}[node.type]
                    out.open(kind)
                    self._inlines(node.children, out)
                    out.close(kind)
                case "link" if node.markup == "linkify" and not _GFM_AUTOLINK.match(_node_text(node)):
                    self._inlines(node.children, out)  # a bare file name such as notes.md is not a URL
                case "link" if not link_allowed(href := str(node.attrs.get("href", ""))) or not href:
                    # A link to nothing, or an autolink or reference link whose target is refused.
                    if href:
                        self.reporter.warn(out.line, Code.UNSAFE_LINK, refusal(unquote(href)))
                    self._inlines(node.children, out)
                case "link":
                    out.open("a", href=href, title=str(node.attrs.get("title", "")))
                    self._inlines(node.children, out)
                    out.close("a")
                case "image":
                    alt_stack = InlineStack(out.line, self.html)
                    self._inlines(node.children, alt_stack)
                    alt = plain_text(alt_stack.finish())
                    src, title = str(node.attrs.get("src", "")), str(node.attrs.get("title", "") or "")
                    out.add(Image(src, alt, title, out.line))
                case "footnote_ref":
                    number = int(str(node.meta.get("id", 0))) + 1
                    out.add(FootnoteRef(number, str(node.meta.get("label") or number)))
                case "html_inline" if node.content.startswith(_TASK_CHECKBOX):
                    pass  # the tasklists plugin's own box; list_block has read it
                case "html_inline":
                    out.html(node.content)
                case "math_inline" | "math_inline_double":
                    out.add(self.formulas.inline(node.content, node.type == "math_inline_double", out.line))
                case _:
                    self.reporter.warn(out.line, Code.UNSUPPORTED, f"skipped unsupported inline {node.type!r}")


_CALLOUT_MARKER = re.compile(r"^\[!(NOTE|TIP|IMPORTANT|WARNING|CAUTION)\]\s*$", re.IGNORECASE)
_CALLOUT_KINDS: dict[str, CalloutKind] = {
    "note": "note", "tip": "tip", "important": "important", "warning": "warning", "caution": "caution",
}  # fmt: skip


def _callout_or_quote(blocks: tuple[Block, ...], line: int) -> Block:
    """`> [!NOTE]` as the quote's first line makes a GitHub-style alert."""
    first = blocks[0] if blocks else None
    if not isinstance(first, Paragraph) or not first.children or not isinstance(first.children[0], Text):
        return BlockQuote(blocks, line)
    marker = _CALLOUT_MARKER.match(first.children[0].text)
    if marker is None or (len(first.children) > 1 and not isinstance(first.children[1], SoftBreak | HardBreak)):
        return BlockQuote(blocks, line)
    rest = first.children[2:]
    body = (replace(first, children=rest), *blocks[1:]) if rest else blocks[1:]
    return Callout(_CALLOUT_KINDS[marker.group(1).lower()], body, line)


def _break_before_labels(children: tuple[Inline, ...]) -> tuple[Inline, ...]:
    """Keeps `**Label:** value` lines on their own lines, as their author laid them out."""
    return tuple(
        # A label is a bold run and the colon after it: two nodes at most.
        HardBreak() if isinstance(node, SoftBreak) and bold_label(children[index + 1 : index + 3]) else node
        for index, node in enumerate(children)
    )


def _strip_task_marker_space(blocks: tuple[Block, ...]) -> tuple[Block, ...]:
    first = blocks[0] if blocks else None
    if isinstance(first, Paragraph) and first.children and isinstance(first.children[0], Text):
        trimmed = trim((Text(first.children[0].text.lstrip()), *first.children[1:]))
        return (replace(first, children=trimmed), *blocks[1:])
    return blocks


_TASK_CHECKBOX = '<input class="task-list-item-checkbox"'
_GFM_AUTOLINK = re.compile(r"^(?:[a-z][a-z0-9+.-]*://|www\.|mailto:|[^\s@]+@[^\s@]+$)", re.IGNORECASE)


def _node_text(node: _Node) -> str:
    return "".join(child.content for child in node.children if child.type == "text")


_ALIGNMENTS: dict[str, Alignment] = {"left": "left", "center": "center", "right": "right"}


def _alignment(style: str) -> Alignment:
    match = re.search(r"text-align:\s*(\w+)", style)
    return _ALIGNMENTS.get(match.group(1), "default") if match else "default"


def token_stream(text: str) -> list[Token]:
    """markdown-it's own tokens, for tools that compare against its rendering."""
    return _markdown(_markdown_levels(Limits().nesting_depth)).parse(text)
