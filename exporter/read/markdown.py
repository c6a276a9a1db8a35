"""Markdown to document tree. The only module that imports markdown_it."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from datetime import date
from functools import cache, lru_cache
from html.parser import HTMLParser
from typing import TYPE_CHECKING
from urllib.parse import unquote

from markdown_it import MarkdownIt, rules_block, rules_inline
from markdown_it.common.normalize_url import validateLink as markdown_it_validate_link
from markdown_it.rules_block import StateBlock
from markdown_it.rules_core import StateCore
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token
from markdown_it.tree import SyntaxTreeNode
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.front_matter import front_matter_plugin
from mdit_py_plugins.tasklists import tasklists_plugin

from exporter.enrich.language import detect_language
from exporter.enrich.layout import (
    column_weights,
    converts_to_drawing,
    diagram_lines,
    is_diagram,
    recognize_diagram,
    stroke_count,
    table_fit,
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
from exporter.enrich.presentation import LINK_SCHEMES, STATUSES, bold_label, is_known_status, link_allowed
from exporter.model.diagnostics import Code, ExportError, Reporter, locate
from exporter.model.limits import Limits
from exporter.model.tree import (
    Alignment,
    Anchor,
    Block,
    BlockQuote,
    BulletList,
    Callout,
    CalloutKind,
    CodeBlock,
    Details,
    Diagram,
    DiagramDrawing,
    Document,
    Emphasis,
    Footnote,
    FootnoteRef,
    HardBreak,
    Heading,
    Image,
    Inline,
    InlineCode,
    Keyboard,
    Link,
    ListItem,
    MetadataField,
    OrderedList,
    Paragraph,
    SoftBreak,
    Strikethrough,
    Strong,
    Subscript,
    Superscript,
    Table,
    TableCell,
    Text,
    ThematicBreak,
    block_inlines,
    plain_text,
    walk_blocks,
)

if TYPE_CHECKING:
    import yaml

# Characters XML 1.0 forbids (DOCX would be corrupt); tab, newline and carriage return stay.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# Unicode line and paragraph separators: renderers disagree on them (WeasyPrint asserts); a space is safe.
_SEPARATORS = re.compile("[\u2028\u2029]")
MAX_CONTROL_WARNINGS = 5


@dataclass(frozen=True, slots=True)
class ParseOptions:
    number_sections: bool = False
    toc_depth: int = 3
    limits: Limits = field(default_factory=Limits)


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
LINK_POLICY = ", ".join(LINK_SCHEMES) + ", relative paths and #fragments"


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
    md.inline.ruler.at("image", _judged_by_markdown_it(rules_inline.image))
    md.inline.ruler.at("autolink", _judged_by_markdown_it(rules_inline.autolink))
    md.block.ruler.at("reference", _reference_definition)
    md.block.ruler.before(md.block.ruler.get_all_rules()[0], "element_budget", _block_budget)
    md.core.ruler.before("inline", "element_budget_lines", _note_inline_lines)
    md.inline.ruler.before(md.inline.ruler.get_all_rules()[0], "element_budget", _inline_budget)
    return md


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
    levels = _markdown_levels(limits.nesting_depth)
    link_checks = _LinkChecks()
    reset = _LINK_CHECKS.set(link_checks)
    try:
        tokens = _markdown(levels).parse(text, {_BUDGET: limits.elements})
    except _TooManyElements as error:
        raise _too_many_elements(source, limits.elements, error.line) from None
    finally:
        _LINK_CHECKS.reset(reset)
    source_lines = text.split("\n")
    _report_refused_links(link_checks.refused, source_lines, reporter)
    _refuse_deep_nesting(tokens, source, limits.nesting_depth, levels)
    builder = _TreeBuilder(reporter, limits)
    root = SyntaxTreeNode(tokens)
    front_matter: dict[str, object] = {}
    footnote_nodes: list[SyntaxTreeNode] = []
    body_nodes: list[SyntaxTreeNode] = []
    for node in root.children:
        if node.type == "front_matter":
            front_matter = _read_front_matter(node, reporter)
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
    every_block = (*blocks, *(block for note in footnotes for block in note.children))
    _refuse_too_much_code(tokens, every_block, source, limits.elements)
    if not text.isascii():
        _refuse_zero_width_runs(every_block, source, limits)
    blocks, metadata = _split_metadata(blocks)
    metadata = _merge_front_matter(metadata, front_matter)
    _check_metadata(metadata, reporter)
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
        blocks = number_sections(blocks)
    explicit_title = front_matter.get("title")
    title = document_title(blocks, str(explicit_title) if isinstance(explicit_title, str | int | float) else "", source)
    return Document(
        source=source,
        title=title,
        metadata=metadata,
        blocks=blocks,
        footnotes=footnotes,
        toc=build_toc(blocks, options.toc_depth),
        language=detect_language(title, blocks),
    )


def _report_refused_links(refused: list[tuple[int, str]], source_lines: list[str], reporter: Reporter) -> None:
    """A warning at each refused link target, found in the source from its block's line on."""
    for block_line, target in refused:
        written = unquote(target)  # markdown-it hands over targets percent-encoded
        line, column = locate(source_lines, written, block_line)
        if (line, column) == (max(block_line, 1), 1) and written != target:
            line, column = locate(source_lines, target, block_line)
        reporter.warn(line, Code.UNSAFE_LINK, _refusal(written), column)


def _refusal(target: str) -> str:
    return f"link target {target!r} is not allowed and became plain text (links may be {LINK_POLICY})"


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


@cache
def _zero_width_characters() -> re.Pattern[str]:
    """Combining marks and format characters (ZWJ, ZWSP, bidi marks, variation selectors, tags)."""
    found = [code for code in range(0x20000) if unicodedata.category(chr(code)) in ("Mn", "Me", "Cf")]
    found += range(0xE0000, 0xE1000)  # tags and the variation selectors supplement
    ranges: list[list[int]] = []
    for code in found:
        if ranges and code == ranges[-1][1] + 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    return re.compile("[" + "".join(f"{re.escape(chr(low))}-{re.escape(chr(high))}" for low, high in ranges) + "]")


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
    pattern = _zero_width_characters()
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
            if len(text) > limit and len(found := pattern.findall(text)) > limit:
                raise ExportError(
                    source,
                    f"a paragraph holds {len(found)} combining marks and other zero-width characters, over the "
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


def _read_front_matter(node: SyntaxTreeNode, reporter: Reporter) -> dict[str, object]:
    line = _line(node)
    try:
        import yaml  # only documents with front matter pay for it

        loaded = _load_yaml(node.content, line, reporter)
    except yaml.YAMLError as error:
        reporter.warn(line, Code.FRONT_MATTER, f"front matter is not valid YAML and was ignored: {_first_line(error)}")
        return {}
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        reporter.warn(line, Code.FRONT_MATTER, "front matter is not a mapping of keys to values and was ignored")
        return {}
    removed: set[str] = set()
    cleaned = {_clean_text(str(key), removed): _clean_value(value, removed) for key, value in loaded.items()}
    if removed:
        names = ", ".join(sorted(f"U+{ord(char):04X}" for char in removed))
        reporter.warn(line, Code.CONTROL_CHARACTER, f"removed control character(s) {names} from the front matter")
    return cleaned


def _clean_text(text: str, removed: set[str]) -> str:
    """`text` without the characters body text loses too (YAML escapes such as "\\a" can write them)."""
    if _XML_ILLEGAL.search(text):
        removed.update(_XML_ILLEGAL.findall(text))
        text = _XML_ILLEGAL.sub("", text)
    return _SEPARATORS.sub(" ", text)


def _clean_value(value: object, removed: set[str]) -> object:
    if isinstance(value, str):
        return _clean_text(value, removed)
    if isinstance(value, list):
        return [_clean_value(item, removed) for item in value]
    if isinstance(value, dict):
        return {_clean_value(key, removed): _clean_value(item, removed) for key, item in value.items()}
    return value


# YAML aliases repeat a node without writing it again: nine levels of nine turn 600 bytes into 387
# million strings (the "billion laughs"). Aliases may add this much to what is written out; more is refused.
MAX_ALIAS_EXTRA_NODES = 10_000
MAX_ALIAS_EXTRA_CHARACTERS = 1024 * 1024


def _load_yaml(content: str, line: int, reporter: Reporter) -> object:
    """The front matter's data, built only after counting what its aliases expand to; None after a warning."""
    import yaml

    loader_class = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    loader = loader_class(content)
    try:
        root = loader.get_single_node()
        if root is None:
            return None
        refusal = _alias_expansion_refusal(root, content)
        if refusal:
            where, message = refusal
            reporter.warn(line + 1 + where, Code.FRONT_MATTER, f"front matter ignored: {message}")
            return None
        return loader.construct_document(root)
    except RecursionError:
        reporter.warn(line, Code.FRONT_MATTER, "front matter ignored: it is nested too deeply")
        return None
    finally:
        loader.dispose()


def _alias_expansion_refusal(root: yaml.Node, content: str) -> tuple[int, str] | None:
    """(line offset, reason) when aliases make the data much larger than its text, or refer to themselves."""
    import yaml

    sizes: dict[int, tuple[int, int]] = {}  # id(node) -> (nodes, characters) once expanded
    in_progress: set[int] = set()
    written_nodes = 0
    aliased_line = -1

    def expand(node: yaml.Node) -> tuple[int, int]:
        nonlocal written_nodes, aliased_line
        key = id(node)
        if key in sizes:  # met again: an alias (the composer hands out the anchored node itself)
            if aliased_line < 0:
                aliased_line = node.start_mark.line
            return sizes[key]
        if key in in_progress:
            raise _RecursiveAlias(node.start_mark.line)
        in_progress.add(key)
        written_nodes += 1
        nodes, characters = 1, 0
        if isinstance(node, yaml.ScalarNode):
            characters = len(node.value)
        else:
            children = node.value if isinstance(node, yaml.SequenceNode) else [c for pair in node.value for c in pair]
            for child in children:
                child_nodes, child_characters = expand(child)
                nodes, characters = nodes + child_nodes, characters + child_characters
        in_progress.discard(key)
        sizes[key] = (nodes, characters)
        return nodes, characters

    try:
        nodes, characters = expand(root)
    except _RecursiveAlias as recursion:
        return recursion.line, "a YAML alias refers to the node that contains it"
    if nodes > written_nodes + MAX_ALIAS_EXTRA_NODES or characters > len(content) + MAX_ALIAS_EXTRA_CHARACTERS:
        return max(aliased_line, 0), f"its YAML aliases expand to {nodes:,} values and {characters:,} characters"
    return None


class _RecursiveAlias(Exception):
    def __init__(self, line: int) -> None:
        super().__init__(line)
        self.line = line


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


_METADATA_KEY = re.compile(r"^[^\n:]{1,40}$")


def _split_metadata(blocks: tuple[Block, ...]) -> tuple[tuple[Block, ...], tuple[MetadataField, ...]]:
    """Takes `**Key:** value` lines right under the title out of the body, as metadata."""
    if len(blocks) < 2 or title_heading(blocks) is None or not isinstance(blocks[1], Paragraph):
        return blocks, ()
    paragraph = blocks[1]
    lines: list[list[Inline]] = [[]]
    for node in paragraph.children:
        if isinstance(node, SoftBreak | HardBreak):
            lines.append([])
        else:
            lines[-1].append(node)
    fields: list[MetadataField] = []
    for offset, line in enumerate(lines):
        parsed = _metadata_line(line, paragraph.line + offset)
        if parsed is None:
            return blocks, ()
        fields.append(parsed)
    return (blocks[0], *blocks[2:]), tuple(fields)


def _metadata_line(line: list[Inline], line_number: int) -> MetadataField | None:
    labelled = bold_label(line)
    if labelled is None:
        return None
    key, following = labelled
    rest = list(following)
    if not _METADATA_KEY.match(key):
        return None
    if rest and isinstance(rest[0], Text):
        rest[0] = Text(rest[0].text.lstrip())
    if rest and isinstance(rest[-1], Text):
        rest[-1] = Text(rest[-1].text.rstrip())
    value = tuple(node for node in rest if not (isinstance(node, Text) and not node.text))
    return MetadataField(key, value, plain_text(value).strip(), line_number)


def _merge_front_matter(
    metadata: tuple[MetadataField, ...], front_matter: dict[str, object]
) -> tuple[MetadataField, ...]:
    """Front matter keys override the metadata block's; `title` is the title, not metadata."""
    merged = {item.key.casefold(): item for item in metadata}
    for key, value in front_matter.items():
        if key.casefold() == "title" or isinstance(value, dict):
            continue
        text = ", ".join(str(item) for item in value) if isinstance(value, list) else str(value)
        pretty_key = key.replace("_", " ").strip()
        pretty_key = pretty_key[:1].upper() + pretty_key[1:]
        existing = merged.get(pretty_key.casefold())
        merged[pretty_key.casefold()] = MetadataField(
            existing.key if existing else pretty_key, (Text(text),), text, existing.line if existing else 1
        )
    return tuple(merged.values())


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _check_metadata(metadata: tuple[MetadataField, ...], reporter: Reporter) -> None:
    """An unknown Status or a Last Updated that is not a YYYY-MM-DD date is a warning on its line."""
    for item in metadata:
        key = item.key.casefold()
        if key == "status" and not is_known_status(item.text):
            known = ", ".join(STATUSES)
            reporter.warn(item.line, Code.STATUS, f"unknown status {item.text!r}; expected one of {known}")
        elif key == "last updated" and "{{" not in item.text and not _is_iso_date(item.text):
            reporter.warn(item.line, Code.LAST_UPDATED, f"Last Updated {item.text!r} is not a YYYY-MM-DD date")


def _is_iso_date(text: str) -> bool:
    if not _ISO_DATE.match(text):
        return False
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _line(node: SyntaxTreeNode) -> int:
    node_map = node.map
    return node_map[0] + 1 if node_map else 0


@dataclass
class _OpenDetails:
    line: int
    summary: list[Inline] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)


class _TreeBuilder:
    """Turns markdown-it's syntax tree into our blocks and inlines."""

    def __init__(self, reporter: Reporter, limits: Limits) -> None:
        self.reporter = reporter
        self.limits = limits
        self.ids = IdRegistry()

    def _over_limit(self, line: int, message: str) -> ExportError:
        return ExportError(self.reporter.source, message, line)

    # -------------------------------------------------------------- blocks

    def blocks(self, nodes: list[SyntaxTreeNode]) -> tuple[Block, ...]:
        output: list[Block] = []
        details_stack: list[_OpenDetails] = []

        def target() -> list[Block]:
            return details_stack[-1].blocks if details_stack else output

        for node in nodes:
            if node.type == "html_block":
                self._html_block(node, details_stack, output)
                continue
            block = self.block(node)
            if block is not None:
                target().append(block)
        while details_stack:
            self._close_details(details_stack, output)
        return tuple(output)

    def _close_details(self, stack: list[_OpenDetails], output: list[Block]) -> None:
        finished = stack.pop()
        details = Details(tuple(finished.summary) or (Text("Details"),), tuple(finished.blocks), finished.line)
        (stack[-1].blocks if stack else output).append(details)

    def _html_block(self, node: SyntaxTreeNode, stack: list[_OpenDetails], output: list[Block]) -> None:
        line = _line(node)
        converter = _HtmlConverter(line, self.reporter, self.ids)
        converter.feed_all(node.content)
        for event in converter.events:
            if isinstance(event, _DetailsOpen):
                stack.append(_OpenDetails(line))
            elif isinstance(event, _DetailsClose):
                if stack:
                    self._close_details(stack, output)
            elif isinstance(event, _Summary):
                if stack:
                    stack[-1].summary = list(event.inlines)
                elif event.inlines:
                    output.append(Paragraph((Strong(event.inlines),), line))
            else:
                (stack[-1].blocks if stack else output).append(Paragraph(event.inlines, line))

    def block(self, node: SyntaxTreeNode) -> Block | None:
        line = _line(node)
        match node.type:
            case "heading":
                level = int(node.tag[1])
                return Heading(level, "", self.inline_children(node.children[0], line), line)
            case "paragraph":
                children = self.inline_children(node.children[0], line) if node.children else ()
                return Paragraph(_break_before_labels(children), line) if children else None
            case "fence" | "code_block":
                return self.code(node, line)
            case "bullet_list" | "ordered_list":
                return self.list_block(node, line)
            case "table":
                return self.table(node, line)
            case "blockquote":
                return _callout_or_quote(self.blocks(node.children), line)
            case "hr":
                return ThematicBreak(line)
            case _:
                self.reporter.warn(line, Code.UNSUPPORTED, f"skipped unsupported Markdown construct {node.type!r}")
                return None

    def code(self, node: SyntaxTreeNode, line: int) -> Block:
        info = node.info.strip() if node.type == "fence" else ""
        language = info.split()[0].strip("{}.").lower() if info else ""
        text = node.content[:-1] if node.content.endswith("\n") else node.content
        if is_diagram(text, language, self.limits.diagram_strokes):
            lines, columns = diagram_lines(text)
            if len(lines) > self.limits.diagram_lines or columns > self.limits.diagram_columns:
                raise self._over_limit(
                    line,
                    f"diagram is {len(lines)} lines x {columns} columns, over the {self.limits.diagram_lines} x "
                    f"{self.limits.diagram_columns} limit (--limit diagram-lines=N, diagram-columns=N)",
                )
            first_line = line + 1 if node.type == "fence" else line
            return Diagram(lines, columns, info, line, self._drawing(lines, language, first_line))
        return CodeBlock(text, language, info, line)

    def _drawing(self, lines: tuple[str, ...], language: str, first_line: int) -> DiagramDrawing | None:
        """The vector drawing of a diagram when it passes the round trip; ragged spots become warnings."""
        if not converts_to_drawing(language):
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

    def list_block(self, node: SyntaxTreeNode, line: int) -> Block:
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

    def table(self, node: SyntaxTreeNode, line: int) -> Table:
        self._check_table_size(node, line)
        header: tuple[TableCell, ...] = ()
        rows: list[tuple[TableCell, ...]] = []
        alignments: list[Alignment] = []
        for section in node.children:
            for row in section.children:
                cells = tuple(
                    TableCell(self.inline_children(cell.children[0], line) if cell.children else ())
                    for cell in row.children
                )
                if section.type == "thead":
                    header = cells
                    alignments = [_alignment(str(cell.attrs.get("style", ""))) for cell in row.children]
                else:
                    rows.append(cells)
        width = len(header)
        padded = tuple((row + (TableCell(()),) * width)[:width] for row in rows)
        weights = column_weights(header, padded)
        return Table(header, padded, tuple(alignments), weights, line, table_fit(header, padded))

    def _check_table_size(self, node: SyntaxTreeNode, line: int) -> None:
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

    def footnote(self, node: SyntaxTreeNode) -> Footnote:
        number = int(str(node.meta.get("id", 0))) + 1
        label = str(node.meta.get("label") or number)
        children = [child for child in node.children if child.type != "footnote_anchor"]
        blocks = self.blocks(children)
        line = next((_line(child) for child in children if child.map), 0)
        return Footnote(number, label, blocks, line)

    # -------------------------------------------------------------- inlines

    def inline_children(self, inline: SyntaxTreeNode, line: int) -> tuple[Inline, ...]:
        builder = _InlineStack(line, self.reporter, self.ids)
        self._inlines(inline.children, builder)
        return builder.finish()

    def _inlines(self, nodes: list[SyntaxTreeNode], out: _InlineStack) -> None:
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
                case "em" | "strong" | "s":
                    kind = {"em": "em", "strong": "strong", "s": "del"}[node.type]
                    out.open(kind)
                    self._inlines(node.children, out)
                    out.close(kind)
                case "link" if node.markup == "linkify" and not _GFM_AUTOLINK.match(_node_text(node)):
                    self._inlines(node.children, out)  # a bare file name such as notes.md is not a URL
                case "link" if not link_allowed(href := str(node.attrs.get("href", ""))) or not href:
                    # A link to nothing, or an autolink or reference link whose target is refused.
                    if href:
                        self.reporter.warn(out.line, Code.UNSAFE_LINK, _refusal(unquote(href)))
                    self._inlines(node.children, out)
                case "link":
                    out.open("a", href=href, title=str(node.attrs.get("title", "")))
                    self._inlines(node.children, out)
                    out.close("a")
                case "image":
                    alt_stack = _InlineStack(out.line, self.reporter, self.ids)
                    self._inlines(node.children, alt_stack)
                    alt = plain_text(alt_stack.finish())
                    src, title = str(node.attrs.get("src", "")), str(node.attrs.get("title", "") or "")
                    out.add(Image(src, alt, title, out.line))
                case "footnote_ref":
                    number = int(str(node.meta.get("id", 0))) + 1
                    out.add(FootnoteRef(number, str(node.meta.get("label") or number)))
                case "html_inline":
                    out.html(node.content)
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
        trimmed = _trim((Text(first.children[0].text.lstrip()), *first.children[1:]))
        return (replace(first, children=trimmed), *blocks[1:])
    return blocks


_GFM_AUTOLINK = re.compile(r"^(?:[a-z][a-z0-9+.-]*://|www\.|mailto:|[^\s@]+@[^\s@]+$)", re.IGNORECASE)


def _node_text(node: SyntaxTreeNode) -> str:
    return "".join(child.content for child in node.children if child.type == "text")


_ALIGNMENTS: dict[str, Alignment] = {"left": "left", "center": "center", "right": "right"}


def _alignment(style: str) -> Alignment:
    match = re.search(r"text-align:\s*(\w+)", style)
    return _ALIGNMENTS.get(match.group(1), "default") if match else "default"


# ------------------------------------------------------------------ inline assembly

_CONTAINER_TAGS = {"em", "i", "strong", "b", "del", "s", "strike", "sup", "sub", "kbd", "code", "a", "ins", "u"}
_DISCARD_CONTENT_TAGS = {"script", "style", "template", "textarea", "title", "iframe", "object", "noscript"}


@dataclass
class _Frame:
    kind: str
    attrs: dict[str, str]
    children: list[Inline] = field(default_factory=list)


class _InlineStack:
    """Builds nested inlines from open/close events, shared by Markdown and raw HTML tags."""

    def __init__(self, line: int, reporter: Reporter, ids: IdRegistry) -> None:
        self.line = line
        self.reporter = reporter
        self.ids = ids
        self.frames: list[_Frame] = [_Frame("root", {})]
        self.discarding = 0

    def add(self, node: Inline) -> None:
        if self.discarding:
            return
        children = self.frames[-1].children
        if isinstance(node, Text) and children and isinstance(children[-1], Text):
            children[-1] = Text(children[-1].text + node.text)
        elif not (isinstance(node, Text) and not node.text):
            children.append(node)

    def open(self, kind: str, **attrs: str) -> None:
        self.frames.append(_Frame(kind, attrs))

    def close(self, kind: str) -> None:
        for depth in range(len(self.frames) - 1, 0, -1):
            if self.frames[depth].kind == kind:
                while len(self.frames) > depth:
                    self._pop()
                return

    def _pop(self) -> None:
        frame = self.frames.pop()
        children = tuple(frame.children)
        node: Inline | None
        match frame.kind:
            case "em" | "i":
                node = Emphasis(children)
            case "strong" | "b":
                node = Strong(children)
            case "del" | "s" | "strike":
                node = Strikethrough(children)
            case "sup":
                node = Superscript(children)
            case "sub":
                node = Subscript(children)
            case "kbd":
                node = Keyboard(children)
            case "code":
                node = InlineCode(plain_text(children))
            case "a":
                node = self._link(frame, children)
            case _:
                node = None
        if node is None:
            for child in children:
                self.add(child)
        elif not isinstance(node, Link | InlineCode) and not children:
            return
        else:
            self.add(node)

    def _link(self, frame: _Frame, children: tuple[Inline, ...]) -> Inline | None:
        href = frame.attrs.get("href", "")
        anchor_id = frame.attrs.get("id") or frame.attrs.get("name") or ""
        if anchor_id:
            self.ids.reserve(anchor_id)
            self.frames[-1].children.append(Anchor(anchor_id))
        if not href:
            return None
        if not link_allowed(href):
            self.reporter.warn(self.line, Code.UNSAFE_LINK, _refusal(href))
            return None
        return Link(href, children, frame.attrs.get("title", ""))

    def html(self, raw: str) -> None:
        """One inline HTML tag or comment, mapped to its meaning or dropped."""
        if raw.startswith(("<!", "<?")):
            return  # comments, declarations, CDATA, processing instructions
        converter = _HtmlConverter(self.line, self.reporter, self.ids, inline_target=self)
        converter.feed_all(raw)

    def finish(self) -> tuple[Inline, ...]:
        while len(self.frames) > 1:
            self._pop()
        children = self.frames[0].children
        while children and isinstance(children[-1], SoftBreak | HardBreak):
            children.pop()
        return tuple(children)


# ------------------------------------------------------------------ raw HTML


@dataclass(frozen=True, slots=True)
class _DetailsOpen:
    pass


@dataclass(frozen=True, slots=True)
class _DetailsClose:
    pass


@dataclass(frozen=True, slots=True)
class _Summary:
    inlines: tuple[Inline, ...]


@dataclass(frozen=True, slots=True)
class _HtmlParagraph:
    inlines: tuple[Inline, ...]


_HtmlEvent = _DetailsOpen | _DetailsClose | _Summary | _HtmlParagraph
_BLOCK_TAGS = {
    "p", "div", "section", "article", "header", "footer", "main", "aside", "nav", "figure", "figcaption",
    "ul", "ol", "li", "dl", "dt", "dd", "table", "thead", "tbody", "tfoot", "tr", "h1", "h2", "h3", "h4",
    "h5", "h6", "blockquote", "pre", "hr", "center", "address",
}  # fmt: skip
_CELL_TAGS = {"td", "th"}


class _HtmlConverter(HTMLParser):
    """Maps raw HTML to our nodes: known tags keep their meaning, others are dropped, text is kept."""

    def __init__(
        self, line: int, reporter: Reporter, ids: IdRegistry, inline_target: _InlineStack | None = None
    ) -> None:
        super().__init__(convert_charrefs=True)
        self.line = line
        self.reporter = reporter
        self.inline_target = inline_target
        self.events: list[_HtmlEvent] = []
        self.current = inline_target or _InlineStack(line, reporter, ids)
        self.summary: _InlineStack | None = None

    def feed_all(self, raw: str) -> None:
        try:
            self.feed(raw)
            self.close()
        except AssertionError:  # Python's HTMLParser asserts on some malformed markup (`<![a(`)
            self.reporter.warn(self.line, Code.RAW_HTML, "dropped raw HTML that could not be parsed")
        if self.inline_target is None:
            self._flush()

    def _stack(self) -> _InlineStack:
        return self.summary or self.current

    def _flush(self) -> None:
        if self.inline_target is not None or self.summary is not None:
            return
        inlines = self.current.finish()
        if any(not (isinstance(node, Text) and not node.text.strip()) for node in inlines):
            self.events.append(_HtmlParagraph(_trim(inlines)))
        self.current = _InlineStack(self.line, self.reporter, self.current.ids)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        stack = self._stack()
        if tag in _DISCARD_CONTENT_TAGS:
            stack.discarding += 1
            self.reporter.warn(self.line, Code.RAW_HTML, f"dropped <{tag}> element from raw HTML")
        elif stack.discarding:
            return
        elif tag == "details" and self.inline_target is None:
            self._flush()
            self.events.append(_DetailsOpen())
        elif tag == "summary" and self.inline_target is None:
            self._flush()
            self.summary = _InlineStack(self.line, self.reporter, self.current.ids)
        elif tag == "br":
            stack.add(HardBreak())
        elif tag == "img":
            source = values.get("src", "")
            if source:
                stack.add(Image(source, values.get("alt", ""), values.get("title", ""), self.line))
        elif tag in _CONTAINER_TAGS:
            stack.open(tag, **values)
        elif tag in _BLOCK_TAGS and self.inline_target is None:
            self._flush()
        elif tag in _CELL_TAGS:
            stack.add(Text(" "))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag in _CONTAINER_TAGS or tag in _DISCARD_CONTENT_TAGS:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        stack = self._stack()
        if tag in _DISCARD_CONTENT_TAGS:
            stack.discarding = max(0, stack.discarding - 1)
        elif stack.discarding:
            return
        elif tag == "summary" and self.summary is not None:
            inlines = self.summary.finish()
            self.summary = None
            self.events.append(_Summary(_trim(inlines)))
        elif tag == "details" and self.inline_target is None:
            self._flush()
            self.events.append(_DetailsClose())
        elif tag in _CONTAINER_TAGS:
            stack.close(tag)
        elif tag in _BLOCK_TAGS and self.inline_target is None:
            self._flush()

    def handle_data(self, data: str) -> None:
        stack = self._stack()
        if self.inline_target is None and not stack.frames[-1].children and len(stack.frames) == 1:
            data = data.lstrip()
        stack.add(Text(data if self.inline_target else re.sub(r"\s+", " ", data)))


def _trim(inlines: tuple[Inline, ...]) -> tuple[Inline, ...]:
    items = list(inlines)
    while items and isinstance(items[0], HardBreak | SoftBreak):
        items.pop(0)
    if items and isinstance(items[0], Text):
        items[0] = Text(items[0].text.lstrip())
    if items and isinstance(items[-1], Text):
        items[-1] = Text(items[-1].text.rstrip())
    return tuple(item for item in items if not (isinstance(item, Text) and not item.text))


def token_stream(text: str) -> list[Token]:
    """markdown-it's own tokens, for tools that compare against its rendering."""
    return _markdown(_markdown_levels(Limits().nesting_depth)).parse(text)
