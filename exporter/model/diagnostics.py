"""Warnings and errors that name the file, line and column, as `file:line[:column]: severity: message [code]`.

Every code the program can emit is a member of `Code`, and `CATALOGUE` is the one place that decides its
severity: emitters name the code, never the severity. docs/diagnostics.md lists the same codes for users
(tests/test_diagnostics.py keeps the two in step).
"""

from __future__ import annotations

import difflib
import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

Severity = Literal["error", "warning", "info"]


class Code(enum.StrEnum):
    """Every diagnostic code; the value is what users see in [brackets] and pass to --suppress."""

    # reading the Markdown
    ENCODING = "encoding"
    CONTROL_CHARACTER = "control-character"
    FRONT_MATTER = "front-matter"
    STATUS = "status"
    LAST_UPDATED = "last-updated"
    UNSUPPORTED = "unsupported"
    RAW_HTML = "raw-html"
    UNSAFE_LINK = "unsafe-link"
    BROKEN_LINK = "broken-link"
    DIAGRAM_TOO_LARGE = "diagram-too-large"
    DIAGRAM_RAGGED = "diagram-ragged"
    DIAGRAM_RENDERER = "diagram-renderer"
    DIAGRAM_SYNTAX = "diagram-syntax"
    DIAGRAM_REFUSED = "diagram-refused"
    MATH = "math"
    # images and other resources
    RESOURCE_MISSING = "resource-missing"
    RESOURCE_INVALID = "resource-invalid"
    RESOURCE_OUTSIDE = "resource-outside"
    RESOURCE_TYPE = "resource-type"
    RESOURCE_TOO_LARGE = "resource-too-large"
    RESOURCE_UNSAFE_SVG = "resource-unsafe-svg"
    RESOURCE_REMOTE = "resource-remote"
    RESOURCE_FETCH = "resource-fetch"
    RESOURCE_PRIVATE_ADDRESS = "resource-private-address"
    # the theme
    THEME_DROPPED = "theme-dropped"
    THEME_FONT = "theme-font"
    THEME_COLOR = "theme-color"
    # the backends
    COVER_LOGO = "cover-logo"
    MISSING_GLYPH = "missing-glyph"
    PDF = "pdf"
    DOCX_IMAGE = "docx-image"
    DOCX_SVG = "docx-svg"
    DOCX_NOTE_IN_NOTE = "docx-note-in-note"
    DOCX_CONTROL_CHARACTER = "docx-control-character"
    # collecting a folder's documents
    SYMLINK_LOOP = "symlink-loop"
    SYMLINK_OUTSIDE = "symlink-outside"
    SPECIAL_FILE = "special-file"
    # `check` only
    PLACEHOLDER = "placeholder"
    BOILERPLATE = "boilerplate"
    MISSING_SECTION = "missing-section"
    EMPTY_SECTION = "empty-section"
    DUPLICATE_ID = "duplicate-id"
    MISSING_FILE = "missing-file"
    MISSING_IMAGE = "missing-image"
    UNKNOWN_LANGUAGE = "unknown-language"


@dataclass(frozen=True, slots=True)
class CodeInfo:
    severity: Severity
    summary: str  # one line: what the code means


def _catalogue() -> Mapping[Code, CodeInfo]:
    # A warning wherever the export still produces output; an error only where the document is unfinished.
    warning: Severity = "warning"
    error: Severity = "error"
    info: Severity = "info"
    entries: dict[Code, tuple[Severity, str]] = {
        Code.ENCODING: (warning, "the file is UTF-16; it was read, but other tools expect UTF-8"),
        Code.CONTROL_CHARACTER: (warning, "control characters in the text were removed"),
        Code.FRONT_MATTER: (warning, "the YAML front matter is invalid and was ignored"),
        Code.STATUS: (warning, "the Status is not one of the known statuses"),
        Code.LAST_UPDATED: (warning, "Last Updated is not a YYYY-MM-DD date"),
        Code.UNSUPPORTED: (warning, "a Markdown construct the exporter does not support was skipped"),
        Code.RAW_HTML: (warning, "a raw HTML element GitHub does not render, or unparsable raw HTML, was dropped"),
        Code.UNSAFE_LINK: (warning, "a link with an unsafe target (such as javascript:) became plain text"),
        Code.BROKEN_LINK: (warning, "a #fragment link names no heading or anchor in the document"),
        Code.DIAGRAM_TOO_LARGE: (warning, "a diagram is over the stroke limit and stays text"),
        Code.DIAGRAM_RAGGED: (warning, "a diagram line does not meet its neighbour; drawn as best it can"),
        Code.DIAGRAM_RENDERER: (
            warning,
            "a diagram renderer is missing or failed, so the diagram is shown as code",
        ),
        Code.DIAGRAM_SYNTAX: (error, "a diagram renderer rejected the diagram, which is shown as code"),
        Code.DIAGRAM_REFUSED: (warning, "a diagram asked for a file, URL or script, which was refused"),
        Code.MATH: (warning, "a TeX formula can't be typeset and is shown as its source"),
        Code.RESOURCE_MISSING: (warning, "an image file does not exist or can't be read"),
        Code.RESOURCE_INVALID: (warning, "an image reference is not a valid URL or data: URL"),
        Code.RESOURCE_OUTSIDE: (warning, "an image lies outside the asset root and was refused"),
        Code.RESOURCE_TYPE: (warning, "an image is not a regular file of a supported image type"),
        Code.RESOURCE_TOO_LARGE: (warning, "an image is over the byte or pixel limit"),
        Code.RESOURCE_UNSAFE_SVG: (warning, "an SVG image was refused or had unsafe parts removed"),
        Code.RESOURCE_REMOTE: (warning, "a remote image was not loaded because network access is off"),
        Code.RESOURCE_FETCH: (warning, "a remote image could not be fetched, or came compressed"),
        Code.RESOURCE_PRIVATE_ADDRESS: (warning, "a remote image's host is a private or local address"),
        Code.THEME_DROPPED: (warning, "part of a theme's CSS was unsafe or unusable and was dropped"),
        Code.THEME_FONT: (warning, "a theme font is not a plain name, so Word and diagrams use their default"),
        Code.THEME_COLOR: (warning, "a theme colour is not #rrggbb, so Word and diagrams use their default"),
        Code.COVER_LOGO: (warning, "the cover logo could not be loaded"),
        Code.MISSING_GLYPH: (warning, "no installed font can draw a character; it will not print"),
        Code.PDF: (warning, "the PDF engine warned while laying out the document"),
        Code.DOCX_IMAGE: (warning, "an image Word can't show became a placeholder in the DOCX"),
        Code.DOCX_SVG: (warning, "an SVG image can't be embedded in DOCX; a placeholder is shown"),
        Code.DOCX_NOTE_IN_NOTE: (warning, "a footnote cited only inside another footnote is left out of the DOCX"),
        Code.DOCX_CONTROL_CHARACTER: (warning, "characters a Word file can't hold were removed"),
        Code.SYMLINK_LOOP: (warning, "a symbolic link in the input folder loops; skipped"),
        Code.SYMLINK_OUTSIDE: (warning, "a symbolic link leads outside the input folder; skipped"),
        Code.SPECIAL_FILE: (warning, "an input is not a regular file (a FIFO, device or socket); skipped"),
        Code.PLACEHOLDER: (error, "an unfilled {{...}} placeholder from the template"),
        Code.BOILERPLATE: (warning, "a section still holds the template's text"),
        Code.MISSING_SECTION: (warning, "a required section is missing"),
        Code.EMPTY_SECTION: (warning, "a section has no content"),
        Code.DUPLICATE_ID: (warning, "two headings have the same id, so links reach only the first"),
        Code.MISSING_FILE: (warning, "a relative link names a file that does not exist"),
        Code.MISSING_IMAGE: (warning, "an image names a file that does not exist"),
        Code.UNKNOWN_LANGUAGE: (info, "a code fence's language is not recognised, so it is not highlighted"),
    }
    return MappingProxyType({code: CodeInfo(severity, summary) for code, (severity, summary) in entries.items()})


CATALOGUE: Mapping[Code, CodeInfo] = _catalogue()

# Under `export --strict` a document stops on the check's errors and on these warnings a reviewer rejects.
_STOPS_STRICT_EXPORT = frozenset({Code.MISSING_SECTION, Code.BROKEN_LINK})


def stops_strict_export(code: Code) -> bool:
    return CATALOGUE[code].severity == "error" or code in _STOPS_STRICT_EXPORT


class UnknownCode(ValueError):
    """A code name that is not in the catalogue; the message is one line, with a suggestion when one is close."""


def code_named(text: str) -> Code:
    """The code a user typed (in --suppress or the config), tolerant of case and surrounding spaces/brackets."""
    name = text.strip().strip("[]").strip().lower()
    try:
        return Code(name)
    except ValueError:
        pass
    close = difflib.get_close_matches(name, [code.value for code in Code], n=1)
    hint = f"; did you mean {close[0]!r}?" if close else "; docs/diagnostics.md lists them"
    raise UnknownCode(f"unknown diagnostic code {text!r}{hint}")


@dataclass(frozen=True, slots=True)
class Diagnostic:
    source: str
    line: int  # 1-based; 0 when no line applies
    severity: Severity = field(init=False)  # the catalogue's, or "error" for a finding that stopped an export
    code: Code
    message: str
    column: int = 0  # 1-based; 0 when not known

    def __post_init__(self) -> None:
        object.__setattr__(self, "severity", CATALOGUE[self.code].severity)

    def __str__(self) -> str:
        where = self.source
        if self.line > 0:
            where += f":{self.line}" + (f":{self.column}" if self.column > 0 else "")
        return f"{where}: {self.severity}: {self.message} [{self.code}]"

    def stopping_export(self) -> Diagnostic:
        """This finding as the error that stopped a document's export under --strict."""
        stopped = Diagnostic(self.source, self.line, self.code, self.message, self.column)
        object.__setattr__(stopped, "severity", "error")
        return stopped

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Diagnostic:
        """A diagnostic from its `dataclasses.asdict` form (the build cache); KeyError or ValueError when the record
        is from another version."""
        return cls(record["source"], record["line"], Code(record["code"]), record["message"], record.get("column", 0))


def visible(diagnostics: Iterable[Diagnostic], suppressed: frozenset[Code]) -> list[Diagnostic]:
    """The diagnostics whose codes the user did not suppress, for those made outside a Reporter."""
    return [item for item in diagnostics if item.code not in suppressed]


@dataclass
class Reporter:
    """Collects the diagnostics of one document's export, leaving out the codes the user suppressed."""

    source: str
    suppressed: frozenset[Code] = frozenset()
    diagnostics: list[Diagnostic] = field(default_factory=list)
    _seen: set[Diagnostic] = field(default_factory=set, repr=False, compare=False)  # a list search was quadratic

    def warn(self, line: int, code: Code, message: str, column: int = 0) -> None:
        if code in self.suppressed:
            return
        item = Diagnostic(self.source, line, code, message, column)
        if item not in self._seen:
            self._seen.add(item)
            self.diagnostics.append(item)


class ExportError(Exception):
    """A failure that ends one document's export with a one-line message."""

    def __init__(self, source: str, message: str, line: int = 0) -> None:
        self.source = source
        self.line = line
        self.message = message
        where = f"{source}:{line}" if line > 0 else source
        super().__init__(f"{where}: error: {message}")


def locate(lines: list[str], needle: str, start_line: int, reach: int = 1000) -> tuple[int, int]:
    """The first line and column where `needle` appears, searching `reach` lines from `start_line`
    (the start of its block); else the start line."""
    for number in range(max(start_line, 1), min(len(lines), start_line + reach) + 1):
        column = lines[number - 1].find(needle)
        if column >= 0:
            return number, column + 1
    return max(start_line, 1), 1
