"""Project settings for the CLI: `[tool.designexport]` in pyproject.toml, or designexport.toml, found from the input."""

from __future__ import annotations

import datetime
import difflib
import math
import os
import re
import tomllib
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from exporter.cli.choices import UnknownChoice, canonical_choice, canonical_status, did_you_mean
from exporter.cli.destination import EXTENSION_FORMATS
from exporter.cli.settings import GivenSettings, Place, Settings
from exporter.model.diagnostics import Code, UnknownCode, code_named
from exporter.model.limits import MAX_JOBS, MAX_SECONDS, Limits, limit_names
from exporter.read.theme import available_themes
from exporter.render.options import FORMATS, PAPERS, PDF_VARIANTS, TOC_DEPTHS, Format
from exporter.safety.inputs import (
    CONFIG_MAX_BYTES,
    REFERENCE_DOCX_MAX_BYTES,
    THEME_MAX_BYTES,
    Origin,
    UnsafeInputError,
    checked_file,
    checked_folder,
    special_location,
)

CONFIG_FILE_NAME = "designexport.toml"
_PYPROJECT = "pyproject.toml"


class ConfigError(Exception):
    """One line: 'path/to/pyproject.toml:LINE: error: [tool.designexport] key: message' (":LINE" only when known)."""

    def __init__(self, path: Path, message: str, line: int | None = None) -> None:
        self.path = path
        self.line = line
        self.message = message
        where = f"{_display(path)}:{line}" if line else _display(path)
        super().__init__(f"{where}: error: {message}")


@dataclass(frozen=True, slots=True)
class ProjectConfig:
    path: Path  # the file the settings came from
    given: GivenSettings  # validated and normalised; only the keys the file set, each with its line


def find_config(start: Path) -> Path | None:
    """The nearest designexport.toml, or pyproject.toml with a [tool.designexport] table, from `start` up to /."""
    absolute = _absolute(start)
    folder = absolute if absolute.is_dir() else absolute.parent
    for candidate in (folder, *folder.parents):
        own_file = candidate / CONFIG_FILE_NAME
        if own_file.is_file():
            return own_file
        pyproject = candidate / _PYPROJECT
        if pyproject.is_file():
            tool = _parse(pyproject, _read(pyproject)).get("tool")
            if isinstance(tool, dict) and "designexport" in tool:
                return pyproject
    return None


def load_config(path: Path) -> ProjectConfig:
    """Reads and validates one config file (designexport.toml: all of it; pyproject.toml: [tool.designexport])."""
    path = _absolute(path)
    text = _read(path)
    document = _parse(path, text)
    table: tuple[str, ...] = ()
    scope = ""
    entries = document
    if path.name == _PYPROJECT:
        table = ("tool", "designexport")
        scope = "[tool.designexport] "
        tool = document.get("tool")
        if not isinstance(tool, dict) or "designexport" not in tool:
            raise ConfigError(path, "no [tool.designexport] table")
        entries = tool["designexport"]
        if not isinstance(entries, dict):
            line = _key_line(text, ("tool",), "designexport")
            raise ConfigError(path, f"[tool.designexport] must be a table, got {_describe(entries)}", line)

    values: dict[str, Any] = {}
    where: dict[str, Place] = {}
    for key, value in entries.items():
        line = _key_line(text, table, key)
        known = _KEYS.get(key)
        if known is None:
            raise ConfigError(path, f"{scope}{_key_label(key)}: unknown key; {_unknown_key_hint(key)}", line)
        setting, convert = known
        try:
            values[setting] = convert(value, path.parent)
        except _InvalidValue as error:
            raise ConfigError(path, f"{scope}{key}: {error}", line) from None
        where[setting] = Place(file=path, key=f"{scope}{key}", line=line)
    return ProjectConfig(path, GivenSettings(Settings(**values), MappingProxyType(where)))


# --- reading ---------------------------------------------------------------------------------------------------------


def _read(path: Path) -> str:
    if special_location(path.resolve()):
        raise ConfigError(path, f"lies in {path.resolve().parent}, which is never read as a config file")
    try:
        if path.stat().st_size > CONFIG_MAX_BYTES:
            raise ConfigError(path, f"is over the {CONFIG_MAX_BYTES}-byte limit for a config file")
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ConfigError(path, "no such file") from None
    except UnicodeDecodeError:
        raise ConfigError(path, "invalid TOML: the file is not UTF-8 text") from None
    except OSError as error:
        raise ConfigError(path, f"cannot read: {error.strerror or error}") from None


_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")


def _parse(path: Path, text: str) -> dict[str, object]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        message = str(error)
        position = _TOML_POSITION.search(message)
        if position is None:
            raise ConfigError(path, f"invalid TOML: {message}") from None
        reason = message[: position.start()]
        raise ConfigError(path, f"invalid TOML: {reason} (column {position[2]})", int(position[1])) from None


_HEADER = re.compile(r"^\s*\[\[?([^\[\]#]+)\]\]?\s*(?:#.*)?$")
_ASSIGNMENT = re.compile(r"^\s*([\w\-.\"' ]+?)\s*=")


def _dotted(name: str) -> tuple[str, ...]:
    return tuple(part.strip().strip("\"'") for part in name.split("."))


def _key_line(text: str, table: tuple[str, ...], key: str) -> int | None:
    """The line that sets `key` inside `table`, by a cheap scan of headers and `key =` lines; None if not found."""
    wanted = (*table, key)
    current: tuple[str, ...] = ()
    for number, line in enumerate(text.split("\n"), start=1):
        header = _HEADER.match(line)
        if header:
            current = _dotted(header[1])
            if current[: len(wanted)] == wanted:
                return number
            continue
        assignment = _ASSIGNMENT.match(line)
        if assignment and (*current, *_dotted(assignment[1]))[: len(wanted)] == wanted:
            return number
    return None


# --- messages --------------------------------------------------------------------------------------------------------


def _absolute(path: Path) -> Path:
    return Path(os.path.abspath(path))


def _display(path: Path) -> str:
    """Relative to the working folder when inside it, else absolute."""
    absolute = _absolute(path)
    try:
        cwd = Path.cwd()
    except OSError:
        return str(absolute)
    for folder, candidate in ((cwd, absolute), (cwd.resolve(), absolute.resolve())):
        if candidate.is_relative_to(folder):
            return str(candidate.relative_to(folder))
    return str(absolute)


def _describe(value: object) -> str:
    """A value as TOML would spell it, for 'got ...'."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return repr(value)
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, datetime.datetime):
        return "a date-time"
    if isinstance(value, datetime.date):
        return "a date"
    if isinstance(value, datetime.time):
        return "a time"
    return type(value).__name__


def _quoted(choices: Collection[str]) -> str:
    return ", ".join(repr(choice) for choice in choices)


def _key_label(key: str) -> str:
    return key if re.fullmatch(r"[\w-]+", key) else repr(key)


def _unknown_key_hint(key: str) -> str:
    dashed = key.replace("_", "-").lower()
    if dashed in _KEYS:
        return f"did you mean {dashed!r}?"
    close = difflib.get_close_matches(dashed, _KEYS, n=1)
    if close:
        return f"did you mean {close[0]!r}?"
    return f"known keys: {', '.join(_KEYS)}"


# --- values ----------------------------------------------------------------------------------------------------------


class _InvalidValue(Exception):
    """A value of the right key but the wrong shape; load_config adds the file, line and key."""


Converter = Callable[[object, Path], object]


def _string(value: object, expected: str = "a string") -> str:
    if not isinstance(value, str):
        raise _InvalidValue(f"expected {expected}, got {_describe(value)}")
    return value


def _string_list(value: object, what: str) -> list[str]:
    expected = f"a list of {what}"
    if not isinstance(value, list):
        raise _InvalidValue(f"expected {expected}, got {_describe(value)}")
    for position, item in enumerate(value, start=1):
        if not isinstance(item, str) or not item.strip():
            raise _InvalidValue(f"expected {expected}, got {_describe(item)} at position {position}")
    return value


def _flag(value: object, _folder: Path) -> bool:
    if not isinstance(value, bool):
        raise _InvalidValue(f"expected true or false, got {_describe(value)}")
    return value


def _choice(allowed: tuple[str, ...]) -> Converter:
    """One of `allowed`, in any case (`"A4"`), as it is spelled there."""

    def convert(value: object, _folder: Path) -> str:
        try:
            return canonical_choice(_string(value), allowed, "value")
        except (_InvalidValue, UnknownChoice):
            raise _InvalidValue(f"expected one of {_quoted(allowed)}, got {_describe(value)}") from None

    return convert


def _on_off(value: object, _folder: Path) -> bool:
    """`"on"` or `"off"`, in any case."""
    if not isinstance(value, str) or value.strip().lower() not in ("on", "off"):
        raise _InvalidValue(f"expected 'on' or 'off', got {_describe(value)}")
    return value.strip().lower() == "on"


def _any_string(value: object, _folder: Path) -> str:
    return _string(value)


def _strings(what: str) -> Converter:
    def convert(value: object, _folder: Path) -> tuple[str, ...]:
        return tuple(_string_list(value, what))

    return convert


def _integer(allowed: range) -> Converter:
    low, high = allowed[0], allowed[-1]
    expected = f"a whole number from {low} to {high}"

    def convert(value: object, _folder: Path) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _InvalidValue(f"expected {expected}, got {_describe(value)}")
        if value not in allowed:
            raise _InvalidValue(f"expected {expected}, got {value}")
        return value

    return convert


def _seconds(value: object, _folder: Path) -> float:
    expected = f"a positive number of seconds, at most {MAX_SECONDS:g}"
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _InvalidValue(f"expected {expected}, got {_describe(value)}")
    if not math.isfinite(value) or not 0 < value <= MAX_SECONDS:
        raise _InvalidValue(f"expected {expected}, got {_describe(value)}")
    return float(value)


def _formats(value: object, _folder: Path) -> tuple[Format, ...]:
    expected = f"a non-empty list of {_quoted(FORMATS)}"
    if not isinstance(value, list):
        raise _InvalidValue(f"expected {expected}, got {_describe(value)}")
    if not value:
        raise _InvalidValue(f"expected {expected}, got an empty list")
    named: list[Format] = []
    for item in value:
        try:
            fmt = canonical_choice(_string(item), FORMATS, "format")  # "PDF" is pdf
        except (_InvalidValue, UnknownChoice):
            raise _InvalidValue(f"expected {expected}, got {_describe(item)} in the list") from None
        if fmt in named:
            raise _InvalidValue(f"{item!r} is listed twice")
        named.append(fmt)
    return tuple(name for name in FORMATS if name in named)


def _relative_path(value: object, folder: Path) -> Path:
    text = _string(value, "a path relative to the config file's folder")
    if not text.strip():
        raise _InvalidValue("expected a path relative to the config file's folder, got ''")
    return _absolute(folder / text)


def _existing_file(value: object, folder: Path, what: str, max_bytes: int) -> Path:
    """A file inside the project (the config file's folder), after the input sandbox's checks: its real path."""
    path = _relative_path(value, folder)
    if not path.exists():
        raise _InvalidValue(f"file not found: {_display(path)}")
    if not path.is_file():
        raise _InvalidValue(f"not a file: {_display(path)}")
    try:
        return checked_file(path, what, Origin(folder, from_config=True), max_bytes)
    except UnsafeInputError as error:
        raise _InvalidValue(str(error)) from None


def _logo(value: object, folder: Path) -> Path:
    return _existing_file(value, folder, "logo", Limits().image_bytes)


def _theme(value: object, folder: Path) -> str:
    builtin = available_themes()
    expected = f"a built-in theme ({_quoted(builtin)}) or a path to a .css file"
    name = _string(value, expected)
    if name.endswith(".css"):
        return str(_existing_file(name, folder, "theme", THEME_MAX_BYTES))
    try:
        return canonical_choice(name, builtin, "theme")
    except UnknownChoice:
        raise _InvalidValue(f"expected {expected}, got {name!r}{did_you_mean(name, builtin)}") from None


def _output_dir(value: object, folder: Path) -> Path:
    path = _relative_path(value, folder)
    if path.is_file():
        raise _InvalidValue(f"expected a folder, but {_display(path)} is a file")
    if not path.is_dir() and path.suffix.lower() in EXTENSION_FORMATS:  # never a folder named out.pdf/
        raise _InvalidValue(f"expected a folder, but {value!r} names a file; -o {value} on the command line writes one")
    try:
        checked_folder(path, "output folder", Origin(folder, from_config=True))
    except UnsafeInputError as error:
        raise _InvalidValue(str(error)) from None
    return path


def _reference_docx(value: object, folder: Path) -> Path:
    text = _string(value, "a path to a .docx file")
    if not text.lower().endswith(".docx"):
        raise _InvalidValue(f"expected a path to a .docx file, got {text!r}")
    return _existing_file(text, folder, "reference DOCX", REFERENCE_DOCX_MAX_BYTES)


def _watermark_statuses(value: object, _folder: Path) -> tuple[str, ...]:
    statuses = _string_list(value, "non-empty status names")
    if not statuses:
        raise _InvalidValue("expected at least one status; to turn the watermark off, set watermark = false")
    for status in statuses:
        if "," in status:
            raise _InvalidValue(f"a status cannot contain a comma, got {status!r}")
        try:
            canonical_status(status)
        except UnknownChoice as error:
            raise _InvalidValue(str(error)) from None
    return tuple(statuses)


def _asset_root(value: object, folder: Path) -> Path:
    """A folder inside the project: a committed config may not open the image sandbox to the whole disk."""
    path = _relative_path(value, folder)
    if not path.is_dir():
        raise _InvalidValue(f"folder not found: {_display(path)}")
    try:
        return checked_folder(path, "asset root", Origin(folder, from_config=True))
    except UnsafeInputError as error:
        raise _InvalidValue(str(error)) from None


def _limits(value: object, _folder: Path) -> tuple[str, ...]:
    """A table such as {table-cells = 100000, seconds = 120}, as the CLI's NAME=VALUE settings."""
    if not isinstance(value, dict):
        raise _InvalidValue(f"expected a table of limits ({', '.join(limit_names())}), got {_describe(value)}")
    settings: dict[str, str] = {}
    for name, number in value.items():
        if isinstance(number, bool) or not isinstance(number, int | float):
            raise _InvalidValue(f"limit {name!r} needs a number, got {_describe(number)}")
        settings[str(name)] = str(number)
    try:
        Limits().with_values(settings)
    except ValueError as error:
        raise _InvalidValue(str(error)) from None
    return tuple(f"{name}={number}" for name, number in settings.items())


def _codes(value: object, _folder: Path) -> frozenset[Code]:
    codes = set()
    for name in _string_list(value, "diagnostic codes"):
        try:
            codes.add(code_named(name))
        except UnknownCode as error:
            raise _InvalidValue(str(error)) from None
    return frozenset(codes)


def _metadata(value: object, _folder: Path) -> tuple[tuple[str, str], ...]:
    """A table such as {status = "Approved", authors = ["Ann", "Bo"]}, as the CLI's -M KEY=VALUE settings: the
    document's own values give way to these."""
    expected = "a table of metadata keys and their text"
    if not isinstance(value, dict):
        raise _InvalidValue(f"expected {expected}, got {_describe(value)}")
    pairs = []
    for key, item in value.items():
        texts = item if isinstance(item, list) else [item]
        if not all(isinstance(text, str | int | float | datetime.date) for text in texts):
            raise _InvalidValue(f"{key!r}: expected text, a number or a date (or a list), got {_describe(item)}")
        pairs.append((key, ", ".join(_metadata_text(text) for text in texts)))
    return tuple(pairs)


def _metadata_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    return str(value)


# TOML key -> (the setting it sets, converter)
_KEYS: dict[str, tuple[str, Converter]] = {
    "formats": ("formats", _formats),
    "theme": ("theme", _theme),
    "paper": ("paper", _choice(PAPERS)),
    "output-dir": ("output_dir", _output_dir),
    "toc": ("toc", _flag),
    "toc-depth": ("toc_depth", _integer(TOC_DEPTHS)),
    "number-sections": ("number_sections", _flag),
    "smart": ("smart", _flag),
    "diagrams": ("draw_text_diagrams", _on_off),
    "required-sections": ("required_sections", _strings("non-empty section titles")),
    "strict": ("strict", _flag),
    "watermark": ("watermark", _flag),
    "watermark-statuses": ("watermark_statuses", _watermark_statuses),
    "organization": ("organization", _any_string),
    "metadata": ("metadata", _metadata),
    "logo": ("logo", _logo),
    "pdf-variant": ("pdf_variant", _choice(PDF_VARIANTS)),
    "reference-docx": ("reference_docx", _reference_docx),
    "exclude": ("exclude", _strings("non-empty glob patterns")),
    "jobs": ("jobs", _integer(range(1, MAX_JOBS + 1))),
    "timeout": ("timeout", _seconds),
    "asset-root": ("asset_root", _asset_root),
    "allow-remote": ("allow_remote", _flag),
    "limits": ("limits", _limits),
    "suppress": ("suppress", _codes),
    "prune": ("prune", _flag),
}
