"""What a document says about itself: its YAML front matter (the one importer of yaml), pandoc's `%` title
block, the template's `**Key:** value` lines under the title, and `-M KEY=VALUE` / `--title` on the command line.

Front matter comes from many tools (pandoc, Quarto, Jekyll, Hugo, Docusaurus, EIPs, KEPs); their common keys are
read alike:
- `title` is the title, `subtitle` prints under it, and `lang` sets the language instead of detecting it;
- keys that only steer a site or a renderer (SITE_KEYS: sidebar_position, slug, weight, layout, format...) never
  print; every other key prints in the document-control table, as text: lists joined with commas, people
  (mappings with a `name`) by their names, dates as YYYY-MM-DD;
- a later source overrides an earlier one: the metadata block, the front matter (or `%` block), -M, --title;
  an empty value removes the key.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from exporter.enrich.outline import document_title, title_heading
from exporter.enrich.presentation import STATUSES, bold_label, is_known_status, link_allowed
from exporter.model.diagnostics import Code, Reporter
from exporter.model.tree import (
    Block,
    HardBreak,
    Heading,
    Inline,
    Link,
    MetadataField,
    Paragraph,
    SoftBreak,
    Text,
    plain_text,
)

if TYPE_CHECKING:
    import yaml

# Characters XML 1.0 forbids (DOCX would be corrupt); tab, newline and carriage return stay. Also the noncharacters
# U+FDD0-U+FDEF, which no text may hold: the parser's quote placeholders are among them (enrich/typography.py).
# The parser cleans the body with these too.
XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufdd0-\ufdef\ufffe\uffff]")
# Unicode line and paragraph separators: renderers disagree on them (WeasyPrint asserts); a space is safe.
LINE_SEPARATORS = re.compile("[\u2028\u2029]")

TITLE = "title"
LANGUAGE = "lang"


def compact_key(key: str) -> str:
    """A key as compared: without case, spaces, hyphens or underscores ("Last Updated" is "last-updated")."""
    return re.sub(r"[\s_\-]", "", key.casefold())


# Keys that steer a site generator or a renderer, never the reader: they are not printed (compared without case,
# spaces, hyphens or underscores). Docusaurus, Hugo (and its Docsy theme), Jekyll (and Just the Docs, Minimal
# Mistakes), MkDocs Material, and pandoc/Quarto output options.
SITE_KEYS = frozenset(
    compact_key(key)
    for key in (
        # Docusaurus
        "id", "slug", "sidebar_position", "sidebar_label", "sidebar_class_name", "sidebar_custom_props",
        "displayed_sidebar", "hide_title", "hide_table_of_contents", "pagination_label", "pagination_next",
        "pagination_prev", "parse_number_prefixes", "custom_edit_url", "toc_min_heading_level",
        "toc_max_heading_level", "unlisted", "draft", "image", "license",
        # Hugo and Docsy
        "linkTitle", "weight", "aliases", "url", "publishDate", "expiryDate", "headless", "menu", "menus", "outputs",
        "resources", "sitemap", "build", "_build", "cascade", "markup", "isCJKLanguage", "translationKey", "params",
        "toc_hide", "hide_summary", "no_list", "simple_list", "hide_feedback", "hide_readingtime",
        # Jekyll and its themes
        "layout", "permalink", "published", "excerpt_separator", "render_with_liquid", "nav_order", "nav_exclude",
        "parent", "grand_parent", "has_children", "has_toc", "redirect_from", "redirect_to", "comments", "share",
        "toc", "toc_label", "toc_icon", "toc_sticky", "sidebar", "author_profile", "classes", "header", "search",
        # MkDocs Material
        "hide", "icon", "template",
        # pandoc and Quarto output options
        "format", "execute", "jupyter", "engine", "knitr", "editor", "editor_options", "bibliography", "csl",
        "citation", "filters", "shortcodes", "number-sections", "number-depth", "toc-depth", "toc-title",
        "toc-location", "toc-expand", "code-fold", "code-tools", "theme", "css", "output", "documentclass",
        "classoption", "geometry", "fontsize", "mainfont", "sansfont", "monofont", "mathfont", "CJKmainfont",
        "fontfamily", "fontfamilyoptions", "linestretch", "papersize", "margin", "margin-left", "margin-right",
        "margin-top", "margin-bottom", "header-includes", "include-before", "include-after", "include-in-header",
        "link-citations", "nocite", "references", "reference-section-title", "abstract-title", "dir",
        "page-layout", "title-block-banner", "title-block-style", "lightbox", "crossref", "fig-cap-location",
        "self-contained", "embed-resources", "highlight-style", "colorlinks", "linkcolor", "urlcolor", "citecolor",
        "filecolor", "toccolor", "lof", "lot", "secnumdepth", "pdf-engine", "execute-dir", "freeze",
        "anchor-sections", "smooth-scroll", "date-format", "pagetitle", "title-prefix", "title-meta",
        "author-meta", "date-meta", "description-meta",
    )
)  # fmt: skip

# How known keys are labelled (by the compact key); any other key is labelled as written, "creation-date" and
# "creationDate" as "Creation date", with the acronyms of ACRONYMS in capitals ("kep-number": "KEP number").
KEY_LABELS = {
    "lastupdated": "Last Updated",  # the template's spelling: it dates the outputs (exporter.enrich.moment)
    "lastmod": "Last modified",
}
ACRONYMS = {
    word.casefold(): word
    for word in ("EIP", "KEP", "RFC", "PEP", "BIP", "ADR", "SIG", "SIGs", "PR", "PRs", "API", "URL", "ID", "UI")
}
# A front matter title written as a slug names a file, not the document (OpenShift enhancements: `title:
# neat-enhancement-idea`); an H1 opening the body is then the title.
_SLUG = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)+$")
_LANGUAGE_TAG = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$")  # BCP 47's shape, as HTML's lang takes it
_URL = re.compile(r"^https?://\S+$")
_TITLE_BLOCK_LINE = re.compile(r"^%(?:[ \t]|$)")
_METADATA_KEY = re.compile(r"^[^\n:]{1,40}$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_PERSON_NAME_PARTS = ("given", "dropping-particle", "non-dropping-particle", "family", "suffix")


@dataclass(frozen=True, slots=True)
class Entry:
    """One key as a source wrote it: front matter, `%` block or command line (line 0)."""

    key: str
    value: object
    line: int


@dataclass(frozen=True, slots=True)
class DocumentMetadata:
    """All a document says about itself, its sources merged."""

    fields: tuple[MetadataField, ...]  # in the order written; Title and Subtitle included, site keys left out
    title: str  # the title given (--title, -M, front matter, `%` block, metadata block), or ""
    language: str  # the BCP 47 tag the document declares, or "": detect it


def key_label(key: str) -> str:
    """How a front matter key is labelled in the document-control table."""
    known = KEY_LABELS.get(compact_key(key))
    if known:
        return known
    spaced = re.sub(r"(?<=[a-z])([A-Z])(?=[a-z])", lambda found: " " + found.group(1).lower(), key)
    words = [ACRONYMS.get(word.casefold(), word) for word in spaced.replace("_", " ").replace("-", " ").split()]
    label = " ".join(words)
    return label[:1].upper() + label[1:]


def value_text(value: object) -> str:
    """A front matter value as one line of text: lists joined with commas, people by their names, mappings as
    "key: value" pairs, dates as YYYY-MM-DD; "" for nothing."""
    match value:
        case None:
            return ""
        case bool():
            return "true" if value else "false"
        case datetime.datetime():
            if value.time() == datetime.time() and value.tzinfo is None:
                return value.date().isoformat()
            return value.isoformat(sep=" ", timespec="minutes")
        case datetime.date():
            return value.isoformat()
        case str():
            return " ".join(value.split())
        case list() | tuple():
            return _joined(value_text(item) for item in value)
        case set() | frozenset():
            return _joined(sorted(value_text(item) for item in value))
        case dict():
            return _mapping_text(value)
        case bytes():
            return f"({len(value)} bytes of binary data)"
        case _:
            return " ".join(str(value).split())


def _joined(texts: Iterable[str]) -> str:
    return ", ".join(text for text in texts if text)


def _mapping_text(mapping: dict[object, object]) -> str:
    """A person by name (pandoc, Quarto and Docusaurus write authors as mappings), else its "key: value" pairs."""
    keys = {str(key).casefold(): key for key in mapping}
    if "name" in keys:
        return value_text(mapping[keys["name"]])
    if "literal" in keys:
        return value_text(mapping[keys["literal"]])
    if "family" in keys or "given" in keys:
        return " ".join(value_text(mapping[keys[part]]) for part in _PERSON_NAME_PARTS if part in keys).strip()
    pairs = ((value_text(key), value_text(item)) for key, item in mapping.items())
    return "; ".join(f"{key}: {text}" for key, text in pairs if text)


def value_inlines(text: str) -> tuple[Inline, ...]:
    """A value as inlines: a lone web address is a link."""
    if _URL.match(text) and link_allowed(text):
        return (Link(text, (Text(text),), ""),)
    return (Text(text),)


# ---------------------------------------------------------------- reading the sources


def read_front_matter(content: str, line: int, reporter: Reporter) -> tuple[Entry, ...]:
    """The YAML front matter's keys in order, each with its line; none after a warning when it cannot be read.
    `line` is the line of its opening `---`."""
    try:
        import yaml  # only documents with front matter pay for it

        loaded, key_lines = _load_yaml(content, line, reporter)
    except yaml.YAMLError as error:
        reporter.warn(line, Code.FRONT_MATTER, f"front matter is not valid YAML and was ignored: {_first_line(error)}")
        return ()
    if loaded is None:
        return ()
    if not isinstance(loaded, dict):
        reporter.warn(line, Code.FRONT_MATTER, "front matter is not a mapping of keys to values and was ignored")
        return ()
    removed: set[str] = set()
    entries = tuple(
        Entry(_clean_text(str(key), removed), _clean_value(value, removed), key_lines.get(str(key), line))
        for key, value in loaded.items()
    )
    if removed:
        names = ", ".join(sorted(f"U+{ord(char):04X}" for char in removed))
        reporter.warn(line, Code.CONTROL_CHARACTER, f"removed control character(s) {names} from the front matter")
    return entries


def read_title_block(text: str) -> tuple[str, tuple[Entry, ...]]:
    """Pandoc's title block, up to three `%` lines opening the document: title, authors (separated by `;` or on
    indented lines that follow), date. Returns the text with those lines blanked (lines keep their numbers)."""
    lines = text.split("\n")
    if not _TITLE_BLOCK_LINE.match(lines[0]):
        return text, ()
    fields: list[tuple[int, list[str]]] = []  # (line, the field's lines)
    for number, line in enumerate(lines, start=1):
        if _TITLE_BLOCK_LINE.match(line) and len(fields) < 3:
            fields.append((number, [line[1:].strip()]))
        elif fields and line[:1] in (" ", "\t") and line.strip():
            fields[-1][1].append(line.strip())
        else:
            break
    consumed = sum(len(parts) for _, parts in fields)
    entries: list[Entry] = []
    for (number, parts), key in zip(fields, (TITLE, "author", "date"), strict=False):
        if key == "author":
            names = [name.strip() for part in parts for name in part.split(";") if name.strip()]
            if names:
                entries.append(Entry("authors" if len(names) > 1 else "author", names, number))
        elif " ".join(parts).strip():
            entries.append(Entry(key, " ".join(parts), number))
    return "\n".join([""] * consumed + lines[consumed:]), tuple(entries)


def command_line_entries(pairs: Sequence[tuple[str, str]], reporter: Reporter) -> tuple[Entry, ...]:
    """-M KEY=VALUE settings (and --title, last) as entries without a line, cleaned as front matter is."""
    removed: set[str] = set()
    entries = tuple(Entry(_clean_text(key, removed), _clean_text(value, removed), 0) for key, value in pairs)
    if removed:
        names = ", ".join(sorted(f"U+{ord(char):04X}" for char in removed))
        reporter.warn(0, Code.CONTROL_CHARACTER, f"removed control character(s) {names} from -M or --title")
    return entries


def _clean_text(text: str, removed: set[str]) -> str:
    """`text` without the characters body text loses too (YAML escapes such as "\\a" can write them)."""
    if XML_ILLEGAL.search(text):
        removed.update(XML_ILLEGAL.findall(text))
        text = XML_ILLEGAL.sub("", text)
    return LINE_SEPARATORS.sub(" ", text)


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


def _load_yaml(content: str, line: int, reporter: Reporter) -> tuple[object, dict[str, int]]:
    """The front matter's data, built only after counting what its aliases expand to (None after a warning), and
    the line of each top-level key."""
    import yaml

    loader_class = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    loader = loader_class(content)
    try:
        root = loader.get_single_node()
        if root is None:
            return None, {}
        refusal = _alias_expansion_refusal(root, content)
        if refusal:
            where, message = refusal
            reporter.warn(line + 1 + where, Code.FRONT_MATTER, f"front matter ignored: {message}")
            return None, {}
        key_lines: dict[str, int] = {}
        if isinstance(root, yaml.MappingNode):
            for key_node, _ in root.value:
                if isinstance(key_node, yaml.ScalarNode):
                    key_lines.setdefault(str(key_node.value), line + 1 + key_node.start_mark.line)
        return loader.construct_document(root), key_lines
    except RecursionError:
        reporter.warn(line, Code.FRONT_MATTER, "front matter ignored: it is nested too deeply")
        return None, {}
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


# ---------------------------------------------------------------- one document's metadata


def read_metadata(
    blocks: tuple[Block, ...],
    declared: Sequence[Entry],
    command_line: Sequence[Entry],
    reporter: Reporter,
) -> tuple[tuple[Block, ...], DocumentMetadata]:
    """The blocks without the metadata block, and the metadata of the document: its metadata block, then what it
    `declared` (front matter or `%` block), then the `command_line`, each overriding the one before."""
    opening = blocks[0] if blocks and isinstance(blocks[0], Heading) else None
    if opening is not None and opening.level == 1:
        declared = [entry for entry in declared if not _slug_title(entry)]
    given = next((value_text(e.value) for e in reversed((*declared, *command_line)) if _is(e.key, TITLE)), "")
    if opening is not None and opening.level > 1 and title_heading(blocks, document_title(blocks, given, "")) is None:
        opening = None  # a section heading, not the title: the paragraph under it is body text
    blocks, block_fields = split_metadata_block(blocks, opening)
    fields: dict[str, MetadataField] = {compact_key(item.key): item for item in block_fields}
    language = ""
    for entry in (*declared, *command_line):
        key = compact_key(entry.key)
        if key == LANGUAGE:
            language = _language_tag(entry, reporter)
            continue
        if key in SITE_KEYS:
            continue
        text = value_text(entry.value)
        if not text:  # an empty value removes the key
            fields.pop(key, None)
            continue
        existing = fields.get(key)  # keeps its label and its place
        label = existing.key if existing else key_label(entry.key)
        fields[key] = MetadataField(label, value_inlines(text), text, entry.line)
    title_field = fields.get(TITLE)
    metadata = DocumentMetadata(tuple(fields.values()), title_field.text if title_field else "", language)
    check_metadata(metadata.fields, reporter)
    return blocks, metadata


def _is(key: str, wanted: str) -> bool:
    return compact_key(key) == wanted


def _slug_title(entry: Entry) -> bool:
    return _is(entry.key, TITLE) and isinstance(entry.value, str) and bool(_SLUG.match(entry.value.strip()))


def _language_tag(entry: Entry, reporter: Reporter) -> str:
    """The `lang` value as a BCP 47 tag in its usual case ("zh-Hant-TW"), or "" (after a warning when it is not
    one): the language is then detected from the text."""
    text = value_text(entry.value).replace("_", "-")
    if not text:
        return ""
    if not _LANGUAGE_TAG.match(text):
        where = "" if entry.line else " (-M)"
        reporter.warn(
            entry.line,
            Code.FRONT_MATTER,
            f"lang{where} {text!r} is not a language tag such as en, de-CH or zh-Hant; detecting the language instead",
        )
        return ""
    primary, *rest = text.split("-")
    return "-".join([primary.lower(), *(_subtag_case(subtag) for subtag in rest)])


def _subtag_case(subtag: str) -> str:
    if len(subtag) == 4 and subtag.isalpha():
        return subtag.title()  # a script: Hant
    if len(subtag) == 2 and subtag.isalpha():
        return subtag.upper()  # a region: TW
    return subtag.lower()


# ---------------------------------------------------------------- the template's metadata block


def split_metadata_block(
    blocks: tuple[Block, ...], title: Heading | None
) -> tuple[tuple[Block, ...], tuple[MetadataField, ...]]:
    """Takes the `**Key:** value` lines right under the `title` heading (the first block) out of the body."""
    if title is None or len(blocks) < 2 or blocks[0] is not title or not isinstance(blocks[1], Paragraph):
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


def check_metadata(metadata: tuple[MetadataField, ...], reporter: Reporter) -> None:
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
        datetime.date.fromisoformat(text)
    except ValueError:
        return False
    return True
