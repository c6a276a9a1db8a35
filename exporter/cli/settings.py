"""The settings of a run as one typed object: the config file's settings, with the command line's on top.

Each source gives a `GivenSettings`: a `Settings` of which only the fields it names in `where` were given,
each with the place it was given (a config file's line, or a flag), so a setting that turns out wrong later
(a theme that can't be read) is reported where the user wrote it. Nothing downstream reads a string-keyed
options dict: the commands take what they need from `Settings`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

import click
from click.core import ParameterSource

from exporter.cli.destination import file_of, folder_of
from exporter.model.diagnostics import Code
from exporter.read.theme import DEFAULT_THEME
from exporter.render.options import DEFAULT_TOC_DEPTH, FORMATS, Format, Paper, PdfVariant


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the user can set for a run, in the form the program uses; the defaults are the command line's."""

    # what to write, and where
    formats: tuple[Format, ...] = FORMATS  # in FORMATS order
    output_dir: Path | None = None  # None: next to each input
    output_file: Path | None = None  # -o report.pdf: the one document's output, in its extension's format; "-": stdout
    # how documents look
    paper: Paper = "a4"
    number_sections: bool = False
    toc: bool = True
    toc_depth: int = DEFAULT_TOC_DEPTH
    smart: bool = True  # typographic quotes, dashes and ellipses
    draw_text_diagrams: bool = True  # text diagrams as vector drawings; False: all on their monospace grid
    theme: str = DEFAULT_THEME  # a built-in theme's name, or a .css file's path
    pdf_variant: PdfVariant = ""
    logo: Path | None = None
    organization: str = ""
    title: str = ""  # --title: every document's title, over what the document says
    metadata: tuple[tuple[str, str], ...] = ()  # -M KEY=VALUE and the config's metadata, in order: the later wins
    reference_docx: Path | None = None
    watermark: bool = True
    watermark_statuses: tuple[str, ...] = ()  # as written; empty: every status but Approved
    # comparing versions: --since REV (the file in git), or `designexport diff OLD NEW` (compare_with = OLD)
    since: str | None = None
    compare_with: Path | None = None
    author: str = ""  # signs the tracked changes; "" : git's user.name, else the login name
    changes_only: bool = False
    # what is checked, and what is said
    strict: bool = False
    required_sections: tuple[str, ...] = ()
    suppress: frozenset[Code] = frozenset()
    # what may be read
    exclude: tuple[str, ...] = ()
    follow_symlinks: bool = False
    asset_root: Path | None = None
    allow_asset_root_outside: bool = False
    allow_remote: bool = False
    limits: tuple[str, ...] = ()  # NAME=VALUE, applied in order
    # how the batch runs
    jobs: int | None = None  # None: one worker per CPU
    timeout: float | None = None  # None: the 'seconds' limit
    shard: str | None = None  # "K/N"
    force: bool = False
    prune: bool = False  # remove from -o the outputs of documents that no longer exist
    report: Path | None = None
    quiet: bool = False
    verbose: bool = False


SETTING_NAMES = frozenset(item.name for item in fields(Settings))
# Settings that add up across the config file and the command line, instead of the command line replacing them.
_ADDED_UP = frozenset({"exclude", "limits", "suppress", "metadata"})


@dataclass(frozen=True, slots=True)
class Place:
    """Where a setting was given: a command-line flag, or a key on a line of a config file."""

    flag: str = ""  # "--theme"
    file: Path | None = None
    key: str = ""  # the config file's key, "theme"
    line: int | None = None


@dataclass(frozen=True, slots=True)
class GivenSettings:
    """Settings and where each was given: only the fields named in `where` were given, the others are defaults."""

    settings: Settings = field(default_factory=Settings)
    where: Mapping[str, Place] = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self) -> None:
        unknown = set(self.where) - SETTING_NAMES
        if unknown:
            raise TypeError(f"not settings: {', '.join(sorted(unknown))}")

    def given(self, name: str) -> bool:
        return name in self.where

    def over(self, base: GivenSettings) -> GivenSettings:
        """These settings on top of `base`: each one given here replaces base's, except lists, which add up."""
        changes: dict[str, Any] = {}
        for name in self.where:
            value = getattr(self.settings, name)
            if name in _ADDED_UP:
                value = type(value)((*getattr(base.settings, name), *value))
            changes[name] = value
        return GivenSettings(replace(base.settings, **changes), MappingProxyType({**base.where, **self.where}))


# --- the command line ------------------------------------------------------------------------------------------------

# Command-line parameters that are not settings: what to read, --watch, and the `check` command's own choices.
NOT_SETTINGS = frozenset(
    {"inputs", "new_version", "config_path", "output_format", "profile", "template_path", "fail_on_warnings", "watch"}
)
# The format flags and the format each asks for (--all: every one).
_FORMAT_FLAGS: Mapping[str, Format | None] = {
    "want_html": "html",
    "want_pdf": "pdf",
    "want_docx": "docx",
    "want_all": None,
}


def _status_list(text: str) -> tuple[str, ...]:
    """`--watermark-statuses "draft, in review"` -> ("draft", "in review")."""
    return tuple(item.strip() for item in text.split(",") if item.strip())


# A flag whose value is not the setting's as it is: the setting it sets, and how.
_FLAG_SETTINGS: Mapping[str, tuple[str, Callable[[Any], object]]] = {
    "no_toc": ("toc", lambda value: not value),
    "no_smart": ("smart", lambda value: not value),
    "no_diagrams": ("draw_text_diagrams", lambda value: not value),
    "no_watermark": ("watermark", lambda value: not value),
    "watermark_statuses": ("watermark_statuses", _status_list),
    "pdf_variant": ("pdf_variant", lambda value: value or ""),
    "exclude": ("exclude", tuple),
    "limits": ("limits", tuple),
    "metadata": ("metadata", tuple),
    "suppress": ("suppress", frozenset),
}


def command_line_settings(context: click.Context) -> GivenSettings:
    """The settings typed on the command line. A flag left at its default is not given, so the config file's
    setting stands."""
    changes: dict[str, Any] = {}
    where: dict[str, Place] = {}
    asked: list[Format] = []
    for parameter in context.command.params:
        name = parameter.name or ""
        if name in NOT_SETTINGS or context.get_parameter_source(name) in (ParameterSource.DEFAULT, None):
            continue
        flag = max(parameter.opts, key=len)
        value = context.params[name]
        if name == "to_formats":  # -t pdf,docx asks as the flags do
            asked.extend(value)
            where["formats"] = Place(flag)
            continue
        if name in _FORMAT_FLAGS:
            chosen = _FORMAT_FLAGS[name]
            asked.extend(FORMATS if chosen is None else (chosen,) if value else ())
            where["formats"] = Place(flag)
            continue
        if name == "output_dir":  # -o: a folder, one file or standard output (exporter.cli.destination)
            changes["output_dir"], changes["output_file"] = folder_of(value), file_of(value)
            where["output_dir"] = where["output_file"] = Place(flag)
            continue
        setting, convert = _FLAG_SETTINGS.get(name, (name, _unchanged))
        if setting not in SETTING_NAMES:
            raise TypeError(f"the {flag} parameter {name!r} sets no setting")
        changes[setting] = convert(value)
        where[setting] = Place(flag)
    if "formats" in where:
        changes["formats"] = tuple(fmt for fmt in FORMATS if fmt in asked) or FORMATS
    return GivenSettings(Settings(**changes), MappingProxyType(where))


def _unchanged(value: object) -> object:
    return value


# --- the report ------------------------------------------------------------------------------------------------------


def report_options(
    given: GivenSettings,
    command_line: GivenSettings,
    config: GivenSettings | None,
    config_path: Path | None,
    workers: int,
) -> dict[str, object]:
    """The settings a run used (`given`: the config file's, `config`, with the command line's on top), as the
    JSON report names them: by command-line parameter (docs/report.md)."""
    settings = given.settings
    asked = given.given("formats")
    return {
        # the format flags that ask for what was asked: all false when nothing was (all three are written)
        **{
            flag: asked and (fmt in settings.formats or settings.formats == FORMATS)
            for flag, fmt in _FORMAT_FLAGS.items()
        },
        "formats": list(settings.formats),
        "output_dir": _text(settings.output_dir),
        "output_file": _text(settings.output_file),
        "paper": settings.paper,
        "number_sections": settings.number_sections,
        "toc_depth": settings.toc_depth,
        "no_toc": not settings.toc,
        "no_smart": not settings.smart,
        "no_diagrams": not settings.draw_text_diagrams,
        "theme_name": settings.theme,
        "pdf_variant": settings.pdf_variant or None,
        "logo": _text(settings.logo),
        "organization": settings.organization,
        "title": settings.title or None,
        "metadata": [f"{key}={value}" for key, value in settings.metadata],
        "reference_docx": _text(settings.reference_docx),
        "no_watermark": not settings.watermark,
        "watermark_statuses": ",".join(settings.watermark_statuses),
        "strict": settings.strict,
        "required_sections": list(settings.required_sections),
        "suppress": sorted(settings.suppress),
        "jobs": workers,
        "timeout": settings.timeout,
        "exclude": list(settings.exclude),
        "asset_root": _text(settings.asset_root),
        "allow_asset_root_outside": settings.allow_asset_root_outside,
        "follow_symlinks": settings.follow_symlinks,
        "allow_remote": settings.allow_remote,
        "limits": list(config.settings.limits) if config else [],
        "limit_settings": list(command_line.settings.limits),
        "shard": settings.shard,
        "force": settings.force,
        "prune": settings.prune,
        "since": settings.since,
        "compare_with": _text(settings.compare_with),
        "author": settings.author or None,
        "changes_only": settings.changes_only,
        "config": _text(config_path),
    }


def _text(path: Path | None) -> str | None:
    return None if path is None else os.fspath(path)
