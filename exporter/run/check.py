"""Lint a design document: placeholders, boilerplate, empty or missing sections, broken links and more.

Pure functions over the parsed Document and its source text; no backend is imported.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Literal
from urllib.parse import unquote

from exporter.assets import asset_dir
from exporter.diagram.external.drawing import RENDERER_OF_LANGUAGE, DrawingSettings, diagram_fences, draw_diagrams
from exporter.diagram.external.installed import installed_renderers, rasterize
from exporter.enrich.outline import RESERVED_IDS, dangling_fragment_links, iter_headings, slugify
from exporter.enrich.typography import without_typography
from exporter.model.diagnostics import CATALOGUE, Code, Diagnostic, Reporter, Severity, locate, stops_strict_export
from exporter.model.tree import (
    Anchor,
    Block,
    CodeBlock,
    Diagram,
    Document,
    Heading,
    Image,
    Inline,
    Link,
    block_inlines,
    plain_text,
    walk_blocks,
    walk_inlines,
)
from exporter.read.markdown import parse
from exporter.render.highlight import is_known_language

Profile = Literal["template", "none"]

BOILERPLATE_RATIO = 0.9
PLAIN_FENCE_LANGUAGES = frozenset({"", "text", "diagram", "ascii", "svgbob", "mermaid", "no-diagram", "env"})
_PLACEHOLDER = re.compile(r"\{\{[^{}\n]*\}\}")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_CODE_SPAN = re.compile(r"(`+)(?!`).+?(?<!`)\1(?!`)")
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)
_WORD = re.compile(r"\w")


@dataclass(frozen=True, slots=True)
class Finding:
    file: str
    line: int
    column: int
    severity: Severity = field(init=False)  # the catalogue's, as on export
    code: Code
    message: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "severity", CATALOGUE[self.code].severity)

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.severity}: {self.message} [{self.code}]"


@dataclass(frozen=True, slots=True)
class TemplateSections:
    """What a document is compared against: the template's section bodies and required headings."""

    bodies: dict[str, str]  # normalised heading text -> normalised body text
    required: tuple[str, ...]  # H2 headings as written


def default_template_path() -> Traversable:
    return asset_dir("templates") / "technical-template.md"


def _normalise(text: str) -> str:
    return " ".join(text.split())


def _heading_key(heading: Heading) -> str:
    return without_typography(_normalise(plain_text(heading.children))).casefold()


def section_bodies(document: Document, lines: list[str]) -> list[tuple[Heading, str]]:
    """Each heading below the title with the source text up to the next heading, whitespace normalised."""
    headings = iter_headings(document.blocks)
    result: list[tuple[Heading, str]] = []
    for index, heading in enumerate(headings):
        end = headings[index + 1].line - 1 if index + 1 < len(headings) else len(lines)
        body = "\n".join(lines[heading.line : end])
        result.append((heading, _normalise(body)))
    return result


def load_template_sections(text: str) -> TemplateSections:
    document = parse(text, "template")
    sections = section_bodies(document, text.splitlines())
    bodies = {_heading_key(heading): body for heading, body in sections if heading.level > 1}
    required = tuple(
        _normalise(plain_text(heading.children)) for heading in iter_headings(document.blocks) if heading.level == 2
    )
    return TemplateSections(bodies, required)


def check_document(
    text: str,
    source: str,
    folder: Path,
    template: TemplateSections | None,
    profile: Profile = "template",
    suppressed: frozenset[Code] = frozenset(),
) -> list[Finding]:
    """Every finding for one document whose code is not suppressed, sorted by line and column."""
    reporter = Reporter(source, suppressed)
    document = parse(text, source, reporter)
    check_diagrams(document, reporter)
    return check_parsed(document, text.splitlines(), folder, template, profile, reporter.diagnostics, suppressed)


def check_diagrams(document: Document, reporter: Reporter) -> None:
    """Has each Mermaid, Graphviz and PlantUML fence drawn (from the build cache when it can), so that a missing
    renderer and a diagram its renderer rejects are found by `check` as by an export."""
    if next(diagram_fences(document), None) is None:
        return
    settings = DrawingSettings(installed_renderers(), rasterize, pictures_for_word=False)  # a check shows nothing
    draw_diagrams(document, settings, reporter)


def check_parsed(
    document: Document,
    lines: list[str],
    folder: Path,
    template: TemplateSections | None,
    profile: Profile = "template",
    parser_diagnostics: Iterable[Diagnostic] = (),
    suppressed: frozenset[Code] = frozenset(),
) -> list[Finding]:
    """The findings for a document already parsed (with the parser's own diagnostics), from its source lines."""
    source = document.source
    findings: list[Finding] = []
    findings.extend(_parser_findings(parser_diagnostics, source))
    findings.extend(_placeholders(lines, source))
    if template is not None:
        findings.extend(_boilerplate(document, lines, template, source))
        if profile == "template":
            findings.extend(_missing_sections(document, template, source))
    findings.extend(_empty_sections(document.blocks, source))
    findings.extend(_duplicate_ids(document, source))
    findings.extend(_links(document, lines, folder, source))
    findings.extend(_fence_languages(document.blocks, source))
    kept = {finding for finding in findings if finding.code not in suppressed}
    return sorted(kept, key=lambda item: (item.line, item.column, item.code, item.message))


def strict_problems(
    document: Document,
    lines: list[str],
    folder: Path,
    required_sections: tuple[str, ...],
    parser_diagnostics: Iterable[Diagnostic] = (),
    suppressed: frozenset[Code] = frozenset(),
) -> list[Diagnostic]:
    """Under `export --strict`: the check's findings that stop the document's export; empty when it may go on."""
    template = TemplateSections({}, required_sections) if required_sections else None
    findings = check_parsed(document, lines, folder, template, "template", parser_diagnostics, suppressed)
    return [
        Diagnostic(finding.file, finding.line, finding.code, finding.message).stopping_export()
        for finding in findings
        if stops_strict_export(finding.code)
    ]


def _parser_findings(diagnostics: Iterable[Diagnostic], source: str) -> Iterator[Finding]:
    for diagnostic in diagnostics:
        if diagnostic.code == Code.BROKEN_LINK:
            continue  # `_links` reports these itself, footnotes included
        yield Finding(source, max(diagnostic.line, 1), diagnostic.column or 1, diagnostic.code, diagnostic.message)


def _placeholders(lines: list[str], source: str) -> Iterator[Finding]:
    """`{{NAME}}` left from the template; code (`${{ matrix.shard }}`, Go templates) is not prose."""
    fence = ""
    for number, line in enumerate(lines, start=1):
        opener = _FENCE.match(line)
        if fence:
            if opener and opener[1].startswith(fence) and not line.strip()[len(opener[1]) :].strip():
                fence = ""
            continue
        if opener:
            fence = opener[1]
            continue
        prose = _CODE_SPAN.sub(lambda span: " " * len(span[0]), line)
        for match in _PLACEHOLDER.finditer(prose):
            yield Finding(source, number, match.start() + 1, Code.PLACEHOLDER, f"unfilled placeholder {match[0]}")


def _boilerplate(document: Document, lines: list[str], template: TemplateSections, source: str) -> Iterator[Finding]:
    for heading, body in section_bodies(document, lines):
        expected = template.bodies.get(_heading_key(heading))
        if heading.level == 1 or not body or not expected:
            continue
        if _similarity(body, expected) >= BOILERPLATE_RATIO:
            name = plain_text(heading.children)
            yield Finding(source, heading.line, 1, Code.BOILERPLATE, f"section {name!r} is still template text")


def _similarity(text: str, other: str) -> float:
    """difflib's ratio over words, so a table's pipes and rules do not make edited cells look unchanged."""
    words = [word for word in text.split() if _WORD.search(word)]
    other_words = [word for word in other.split() if _WORD.search(word)]
    matcher = difflib.SequenceMatcher(None, words, other_words, autojunk=False)
    # An upper bound from the lengths alone: a long section is not the template's short one, and the full
    # comparison of a section of a million words took minutes.
    bound = matcher.real_quick_ratio()
    return matcher.ratio() if bound >= BOILERPLATE_RATIO else bound


def _missing_sections(document: Document, template: TemplateSections, source: str) -> Iterator[Finding]:
    present = {_heading_key(heading) for heading in iter_headings(document.blocks)}
    for name in template.required:
        if without_typography(name).casefold() not in present:
            yield Finding(source, 1, 1, Code.MISSING_SECTION, f"required section {name!r} is missing")


def _empty_sections(blocks: tuple[Block, ...], source: str) -> Iterator[Finding]:
    for index, block in enumerate(blocks):
        if not isinstance(block, Heading) or block.level == 1:
            continue
        following = blocks[index + 1] if index + 1 < len(blocks) else None
        if following is None or (isinstance(following, Heading) and following.level <= block.level):
            name = plain_text(block.children)
            yield Finding(source, block.line, 1, Code.EMPTY_SECTION, f"section {name!r} has no content")


def _duplicate_ids(document: Document, source: str) -> Iterator[Finding]:
    first_line: dict[str, int] = {}
    for heading in iter_headings(document.blocks):
        slug = slugify(plain_text(heading.children))
        if slug in first_line:
            yield Finding(
                source,
                heading.line,
                1,
                Code.DUPLICATE_ID,
                f"heading id {slug!r} is already used on line {first_line[slug]}",
            )
        else:
            first_line[slug] = heading.line


# ------------------------------------------------------------------ links and images


def _all_inlines(document: Document) -> Iterator[tuple[int, Inline]]:
    """Every inline with the line of its block, footnotes included."""
    block_lists = [document.blocks, *(footnote.children for footnote in document.footnotes)]
    for blocks in block_lists:
        for block in walk_blocks(blocks):
            for node in walk_inlines(block_inlines(block)):
                yield block.line, node


def _links(document: Document, lines: list[str], folder: Path, source: str) -> Iterator[Finding]:
    ids = set(RESERVED_IDS) | {heading.id for heading in iter_headings(document.blocks)}
    targets: list[tuple[int, str, str]] = []
    for line, node in _all_inlines(document):
        if isinstance(node, Anchor):
            ids.add(node.id)
        elif isinstance(node, Link) and not node.target.startswith("#"):
            targets.append((line, node.target, "link"))
        elif isinstance(node, Image):
            targets.append((node.line or line, node.source, "image"))
    every_block = (*document.blocks, *(block for note in document.footnotes for block in note.children))
    for line, target in dangling_fragment_links(every_block, ids):
        where, column = locate(lines, target, line)
        yield Finding(source, where, column, Code.BROKEN_LINK, f"no heading or anchor {target!r}")
    for line, target, kind in targets:
        if _SCHEME.match(target) or target.startswith(("/", "//")):
            continue
        path = unquote(target.split("#", 1)[0].split("?", 1)[0])
        if path and not (folder / path).exists():
            where, column = locate(lines, target, line)
            code = Code.MISSING_IMAGE if kind == "image" else Code.MISSING_FILE
            yield Finding(source, where, column, code, f"{kind} target not found: {path!r}")


def _fence_languages(blocks: tuple[Block, ...], source: str) -> Iterator[Finding]:
    for block in walk_blocks(blocks):
        match block:
            case CodeBlock(language=language, line=line):
                pass
            case Diagram(info=info, line=line):
                language = info.split()[0].strip("{}.").lower() if info.strip() else ""
            case _:
                continue
        known = language in PLAIN_FENCE_LANGUAGES or language in RENDERER_OF_LANGUAGE or is_known_language(language)
        if not known:
            yield Finding(source, line, 1, Code.UNKNOWN_LANGUAGE, f"code fence language {language!r} is not recognised")
