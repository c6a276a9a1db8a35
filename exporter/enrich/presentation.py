"""Decisions every output shares, made once before any backend runs.

`build_presentation` turns a parsed Document (and the theme) into a frozen `Presentation`: the title and
where it is, the words the outputs add (in the document's language), the properties a file carries, the
status badge and the diagram style. The functions below it are the per-node rules: which link targets are
links, what a bold label and a lead-in paragraph are, how large a diagram's font is, which blocks are kept
on one page. The parser applies the link and label rules; HTML, PDF (through HTML) and Word read the rest.
No backend decides any of these again.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import PurePath
from types import MappingProxyType
from typing import TYPE_CHECKING, assert_never

from exporter.diagram.external.drawing import DiagramPicture
from exporter.diagram.external.renderer import RenderTheme
from exporter.diagram.style import DEFAULT_MONO_FAMILIES, DiagramStyle
from exporter.enrich.language import (
    DEFAULT_EAST_ASIAN_REGION,
    canonical_language,
    east_asian_region,
    with_east_asian_region,
)
from exporter.enrich.moment import document_moment
from exporter.enrich.outline import title_heading
from exporter.model.tree import (
    Block,
    CalloutKind,
    ChangeSummary,
    CodeBlock,
    Document,
    Heading,
    Inline,
    InlineFormat,
    MetadataField,
    SoftBreak,
    Strong,
    Text,
    plain_text,
)

if TYPE_CHECKING:
    from exporter.read.theme import Theme

# ---------------------------------------------------------------- words the outputs add

PAGE = "PAGE"  # in `Labels.page_number`: the current page's number
PAGES = "PAGES"  # in `Labels.page_number`: the number of pages


@dataclass(frozen=True, slots=True)
class ChangeLabels:
    """Words a comparison of two versions (exporter.compare) adds: the summary of changes and the marks in the text.
    English for every language so far. `{since}`, `{formats}` and `{old}` stand for the values put in."""

    changes_since: str = "Changes since {since}"  # the summary's title; {since}: the old version as the user named it
    sections: str = "Sections"  # before the counts: "Sections: 2 added, 1 changed"
    added: str = "added"
    removed: str = "removed"
    changed: str = "changed"
    moved: str = "moved"
    renamed: str = "renamed"
    renamed_from: str = "formerly \u201c{old}\u201d"
    no_changes: str = "No changes."
    one_change: str = "1 change"  # in a changed, moved or renamed section
    many_changes: str = "{count} changes"
    changes_only: str = "Only the sections with changes are shown; the others are left out."
    moved_from: str = "Moved from here"  # over a block that moved away, its new place unknown
    moved_to: str = "Moved here"  # over a block that moved here, its old place unknown
    moved_to_place: str = "Moved to {place}"  # over a block that moved away; {place}: a link to its new place
    moved_from_place: str = "Moved from {place}"  # over a block that moved here
    new_place: str = "its new place"
    old_place: str = "its old place"
    formerly: str = "Formerly: {formats}"  # words formatted differently before; {formats}: the names below
    plain: str = "plain text"
    emphasis: str = "italic"
    strong: str = "bold"
    strikethrough: str = "struck through"
    code: str = "code"
    superscript: str = "superscript"
    subscript: str = "subscript"
    keyboard: str = "key"

    def format_name(self, inline_format: InlineFormat) -> str:
        match inline_format:
            case "emphasis":
                return self.emphasis
            case "strong":
                return self.strong
            case "strikethrough":
                return self.strikethrough
            case "code":
                return self.code
            case "superscript":
                return self.superscript
            case "subscript":
                return self.subscript
            case "keyboard":
                return self.keyboard
            case _:
                assert_never(inline_format)


@dataclass(frozen=True, slots=True)
class Labels:
    """Words the outputs add themselves, in one language."""

    locale: str  # BCP 47 with a region, as Word wants it for proofing: "en-US"
    contents: str  # heading of the table of contents
    notes: str  # heading of the footnotes at the end
    note: str  # callout titles, one per kind
    tip: str
    important: str
    warning: str
    caution: str
    page_number: tuple[str, ...]  # the footer's pieces; PAGE and PAGES stand for the numbers
    changes: ChangeLabels = ChangeLabels()  # a comparison's summary and marks

    def callout_title(self, kind: CalloutKind) -> str:
        match kind:
            case "note":
                return self.note
            case "tip":
                return self.tip
            case "important":
                return self.important
            case "warning":
                return self.warning
            case "caution":
                return self.caution
            case _:
                assert_never(kind)


# Callout titles follow the words Microsoft's documentation uses for the same alerts in each language.
LABELS: dict[str, Labels] = {
    "en": Labels(
        "en-US", "Contents", "Notes", "Note", "Tip", "Important", "Warning", "Caution", ("Page ", PAGE, " of ", PAGES)
    ),
    "ja": Labels("ja-JP", "目次", "脚注", "注", "ヒント", "重要", "警告", "注意", (PAGE, " / ", PAGES)),
    "zh-Hans": Labels("zh-CN", "目录", "脚注", "备注", "提示", "重要", "警告", "注意", (PAGE, " / ", PAGES)),
    "zh-Hant": Labels("zh-TW", "目錄", "註腳", "附註", "提示", "重要", "警告", "注意", (PAGE, " / ", PAGES)),
    "ko": Labels("ko-KR", "목차", "각주", "참고", "팁", "중요", "경고", "주의", (PAGE, " / ", PAGES)),
    "de": Labels(
        "de-DE",
        "Inhalt",
        "Anmerkungen",
        "Hinweis",
        "Tipp",
        "Wichtig",
        "Warnung",
        "Vorsicht",
        ("Seite ", PAGE, " von ", PAGES),
    ),
    "fr": Labels(
        "fr-FR",
        "Sommaire",
        "Notes",
        "Remarque",
        "Conseil",
        "Important",
        "Avertissement",
        "Attention",
        ("Page ", PAGE, " sur ", PAGES),
    ),
    "es": Labels(
        "es-ES",
        "Índice",
        "Notas",
        "Nota",
        "Sugerencia",
        "Importante",
        "Advertencia",
        "Precaución",
        ("Página ", PAGE, " de ", PAGES),
    ),
}
DEFAULT_LANGUAGE = "en"


def labels_for(language: str) -> Labels:
    """The labels of `language` (a BCP 47 tag: "ja-JP" takes the "ja" ones, "zh-TW" the "zh-Hant" ones), or the
    English ones for a language without translations."""
    return LABELS.get(canonical_language(language), LABELS[DEFAULT_LANGUAGE])


# ---------------------------------------------------------------- statuses

# The statuses a design document may have; another value gets a warning (and the neutral badge).
STATUSES = ("Draft", "In Review", "Approved", "Deprecated", "Superseded")

# Status value (case-folded, spaces collapsed) -> badge colour; other projects' names for the same stages too.
STATUS_TONES = {
    "draft": "amber",
    "wip": "amber",
    "work in progress": "amber",
    "provisional": "amber",
    "proposed": "blue",
    "in review": "blue",
    "review": "blue",
    "under review": "blue",
    "implementable": "blue",
    "approved": "green",
    "accepted": "green",
    "implemented": "green",
    "final": "green",
    "active": "green",
    "deprecated": "grey",
    "superseded": "grey",
    "rejected": "grey",
    "withdrawn": "grey",
    "obsolete": "grey",
}
NEUTRAL_TONE = "neutral"


def is_known_status(status: str) -> bool:
    return status.casefold() in {known.casefold() for known in STATUSES}


def status_tone(status: str) -> str:
    """The badge colour of a status: amber, blue, green, grey or neutral."""
    return STATUS_TONES.get(" ".join(status.casefold().split()), NEUTRAL_TONE)


# ---------------------------------------------------------------- the presentation of one document


@dataclass(frozen=True, slots=True)
class Presentation:
    """What every output of one document shows the same way."""

    title: str  # HTML <title>, PDF and DOCX title property, DOCX running header
    title_heading: Heading | None  # the heading drawn as the title block, or None
    subtitle: str  # drawn under the title block; "" when none
    metadata: tuple[MetadataField, ...]  # the document-control table: the metadata but what the title block shows
    body: tuple[Block, ...]  # the blocks after the title heading
    language: str  # BCP 47 tag: "en", "ja", "zh-Hans", ...
    labels: Labels
    east_asian_region: str  # the Noto CJK fonts' glyph forms for the language: "JP", "SC", "TC", "HK" or "KR"
    author: str  # "" when the metadata names none
    keywords: str
    subject: str  # PDF Subject and DOCX subject: the requirement, else the summary
    summary: str  # the web page's description: the summary, description or abstract
    status: str
    status_tone: str
    requirement: str
    moment: datetime.datetime | None  # creation and modification time; None: the time of writing
    diagram_style: DiagramStyle
    # Diagram fences (```mermaid, ```dot, ```plantuml) drawn by their renderers; a fence not in it is code.
    diagram_pictures: Mapping[CodeBlock, DiagramPicture] = field(default_factory=lambda: MappingProxyType({}))
    # A comparison of two versions (exporter.compare): the summary shown above the body; None for one version.
    changes: ChangeSummary | None = None


def build_presentation(
    document: Document, theme: Theme, diagram_pictures: Mapping[CodeBlock, DiagramPicture] | None = None
) -> Presentation:
    """The shared decisions for `document` rendered with `theme`; `diagram_pictures` from
    exporter.diagram.external.drawing.draw_diagrams."""
    heading = title_heading(document.blocks, document.title)
    status = document.metadata_value("status")
    requirement = document.metadata_value("requirement")
    summary = next(filter(None, map(document.metadata_value, ("summary", "description", "abstract"))), "")
    title_block = _title_block(document, heading)
    return Presentation(
        title=document.title or PurePath(document.source).name,  # never the folder it was read from
        title_heading=title_block,
        subtitle=document.metadata_value("subtitle") if title_block else "",
        metadata=tuple(
            item for item in document.metadata if item.key.casefold() not in _TITLE_KEYS or title_block is None
        ),
        body=document.blocks[1:] if heading is not None else document.blocks,
        language=document.language,
        labels=labels_for(document.language),
        east_asian_region=east_asian_region(document.language),
        author=document.metadata_value("author") or document.metadata_value("authors"),
        keywords=_keywords(document, status, requirement),
        subject=requirement or summary,
        summary=summary,
        status=status,
        status_tone=status_tone(status),
        requirement=requirement,
        moment=document_moment(document),
        diagram_style=style_from_theme(theme, east_asian_region(document.language)),
        diagram_pictures=MappingProxyType(dict(diagram_pictures or {})),
        changes=document.changes,
    )


_TITLE_KEYS = ("title", "subtitle")  # metadata the title block shows, not the document-control table


def _title_block(document: Document, heading: Heading | None) -> Heading | None:
    """The title block: the heading that opens the document as its title (exporter.enrich.outline.title_heading),
    else the title the metadata gives (--title, -M, front matter), else none: the title is then a later heading's,
    or the file name."""
    if heading is not None:
        return replace(heading, level=1)  # a title written one level down (`## Title`) is still the title
    given = next((item for item in document.metadata if item.key.casefold() == "title"), None)
    return Heading(1, "", (Text(document.title),), given.line) if given is not None and document.title else None


def _keywords(document: Document, status: str, requirement: str) -> str:
    """The metadata's keywords or tags, else its status and requirement id."""
    listed = document.metadata_value("keywords") or document.metadata_value("tags")
    return listed or ", ".join(value for value in (status, requirement) if value)


def style_from_theme(theme: Theme, east_asian_region: str = DEFAULT_EAST_ASIAN_REGION) -> DiagramStyle:
    """Diagram style from a theme: its mono font (Noto CJK families in the glyph forms of `east_asian_region`),
    `--color-text` for labels, `--color-muted` for strokes and arrowheads, and `--color-code-background` inside
    boxes."""
    # Only plain names (exporter.read.theme.plain_font_name) reach the SVG and fontconfig; the theme warned of others.
    names = list(theme.font_families("mono")) or [name.strip(" '") for name in DEFAULT_MONO_FAMILIES.split(",")]
    names = [with_east_asian_region(name, east_asian_region) for name in names]
    wide = next((name for name in names if "CJK" in name), f"Noto Sans CJK {east_asian_region}")
    return DiagramStyle(
        font_families=", ".join(_quoted_family(name) for name in names),
        mono_font=theme.font("mono", "DejaVu Sans Mono"),
        wide_font=wide,
        text="#" + theme.color("text", "1F2328"),
        stroke="#" + theme.color("muted", "5A636E"),
        fill="#" + theme.color("code-background", "F6F8FA"),
    )


def render_theme_from(theme: Theme, east_asian_region: str = DEFAULT_EAST_ASIAN_REGION) -> RenderTheme:
    """How Mermaid, Graphviz and PlantUML draw: the heading font (a sans face reads best in small labels, with
    the Noto CJK family of the language after it), `--color-text` for labels, `--color-muted` for lines, the code
    background inside shapes and the accent for highlights, so diagrams match the text diagrams beside them."""
    names = list(theme.font_families("heading")) or ["Noto Sans"]
    names = [with_east_asian_region(name, east_asian_region) for name in names]
    if not any("CJK" in name for name in names):
        names.insert(len([name for name in names if name != "sans-serif"]), f"Noto Sans CJK {east_asian_region}")
    if "sans-serif" not in names:
        names.append("sans-serif")
    return RenderTheme(
        font_family=", ".join(_quoted_family(name) for name in names),
        font_name=theme.font("heading", "Noto Sans"),
        text="#" + theme.color("text", "1F2328").lower(),
        line="#" + theme.color("muted", "5A636E").lower(),
        fill="#" + theme.color("code-background", "F6F8FA").lower(),
        accent="#" + theme.color("accent", "0A58B8").lower(),
    )


def _quoted_family(name: str) -> str:
    generic = {"serif", "sans-serif", "monospace", "cursive", "fantasy", "system-ui", "ui-monospace"}
    return name if name in generic else "'" + name.replace("'", "") + "'"


# ---------------------------------------------------------------- links

# Link targets that stay links; any other scheme (javascript:, vbscript:, data:, file:, unknown ones) is text.
# Relative paths, `//host/path` and `#fragments` have no scheme and stay links.
LINK_SCHEMES = ("http", "https", "mailto", "ftp", "tel")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):")
_IGNORED_IN_URL = re.compile(r"[\x00-\x20\x7f]+")  # browsers drop these, so `java\tscript:` is javascript:


def link_allowed(target: str) -> bool:
    """Whether a link to `target` may be followed from any output."""
    scheme = _SCHEME.match(_IGNORED_IN_URL.sub("", target))
    return scheme is None or scheme.group(1).lower() in LINK_SCHEMES


# ---------------------------------------------------------------- labels and lead-ins

LEAD_IN_MAX_CHARACTERS = 120  # longer paragraphs are prose, not a label


def bold_label(inlines: Sequence[Inline]) -> tuple[str, tuple[Inline, ...]] | None:
    """(label, what follows) when the inlines open with a bold label, "**Key:** value" or "**Key**: value";
    the label without its colon, what follows without the colon."""
    if not inlines or not isinstance(inlines[0], Strong):
        return None
    label = plain_text(inlines[0].children).strip()
    rest = tuple(inlines[1:])
    if label.endswith(":"):
        return label[:-1].strip(), rest
    if rest and isinstance(rest[0], Text) and rest[0].text.startswith(":"):
        return label, (Text(rest[0].text[1:]), *rest[1:])
    return None


def is_lead_in(children: Sequence[Inline]) -> bool:
    """A short paragraph that introduces what follows, such as "**Request:**", "**Options**" or "For example:";
    every output keeps it on the page of the block after it."""
    text = plain_text(tuple(children)).strip()
    if not text or len(text) > LEAD_IN_MAX_CHARACTERS:
        return False
    all_bold = all(
        isinstance(node, Strong | SoftBreak) or (isinstance(node, Text) and not node.text.strip()) for node in children
    )
    return text.endswith(":") or all_bold


# ---------------------------------------------------------------- sizes and thresholds

# Text diagrams: DejaVu Sans Mono advances 0.602 em per cell; a diagram is set at 9 pt or as much smaller as
# its widest line needs to fit the width.
CELL_ADVANCE_EM = 0.602
DIAGRAM_MAX_FONT_PT = 9.0
SCREEN_DIAGRAM_FONT_PT = 10.5  # drawings on screen are as wide as their text at this size


def diagram_font_size_pt(columns: int, width_pt: float) -> float:
    """The largest font size (at most DIAGRAM_MAX_FONT_PT) at which `columns` cells fit in `width_pt`."""
    if columns <= 0:
        return DIAGRAM_MAX_FONT_PT
    return min(DIAGRAM_MAX_FONT_PT, width_pt / (columns * CELL_ADVANCE_EM))


KEEP_TOGETHER_LINES = 12  # tables with at most this many rows, code with at most this many lines


def keeps_together(lines: int) -> bool:
    """Whether a table of `lines` rows or a code block of `lines` lines is kept on one page."""
    return lines <= KEEP_TOGETHER_LINES
