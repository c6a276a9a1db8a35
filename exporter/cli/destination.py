"""What `-o` and `-t` mean, as pandoc users expect: `-o report.pdf` is a file in the format its extension
names, `-o out/` (or an existing folder, or a name without an extension) is the folder outputs are mirrored
under, `-o -` is standard output; `-t pdf,docx` asks for formats as the flags do.

Decided from the text alone, before anything is read or written; whether the inputs fit the destination
(one document for a file) is exporter.cli.streams' to say."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import assert_never

import click
from click.shell_completion import CompletionItem

from exporter.cli.choices import canonical_choice
from exporter.render.options import FORMATS, Format

STANDARD_STREAM = "-"  # `-o -` is standard output; `-` as an input is standard input
# A file's extension -> the format written to it.
EXTENSION_FORMATS: dict[str, Format] = {".html": "html", ".htm": "html", ".pdf": "pdf", ".docx": "docx"}


@dataclass(frozen=True, slots=True)
class OutputFolder:
    """`-o DIR/`: every output under this folder, mirroring the input folders."""

    path: Path


@dataclass(frozen=True, slots=True)
class OutputFile:
    """`-o report.pdf`: the one document's output in this file, in the format its extension names."""

    path: Path
    format: Format


@dataclass(frozen=True, slots=True)
class StandardOutput:
    """`-o -`: the one document's output, in one format, to standard output."""


Destination = OutputFolder | OutputFile | StandardOutput


def destination(text: str) -> Destination:
    """What `-o TEXT` names; ValueError with the message for the user when it names nothing we can write."""
    if text == STANDARD_STREAM:
        return StandardOutput()
    if not text:
        raise ValueError("expected a file (.html, .pdf, .docx), a folder or '-'")
    path = Path(text)
    if text.endswith(("/", os.sep)) or path.is_dir():
        return OutputFolder(path)
    suffix = path.suffix.lower()
    known = EXTENSION_FORMATS.get(suffix)
    if known is not None:
        if path.exists() and not path.is_file():
            raise ValueError(f"{text!r} exists and is not a regular file")
        return OutputFile(path, known)
    if path.exists():
        raise ValueError(f"{text!r} is a file, not a folder; {_extensions_hint()}")
    if not suffix:
        return OutputFolder(path)
    raise ValueError(f"unknown extension {path.suffix!r}; {_extensions_hint()}")


def _extensions_hint() -> str:
    names = ", ".join(EXTENSION_FORMATS)
    return f"a file to write must end in {names}; a folder's name may end in '/'"


def folder_of(chosen: Destination | None) -> Path | None:
    """The output folder setting `-o` gives: its folder, or none for a file or standard output."""
    return chosen.path if isinstance(chosen, OutputFolder) else None


def format_names(values: Iterable[str]) -> tuple[Format, ...]:
    """`-t PDF -t html,docx` -> ("pdf", "html", "docx"), in the order asked; UnknownChoice names the formats."""
    asked: list[Format] = []
    for value in values:
        for item in value.split(","):
            if item.strip():
                name = canonical_choice(item.strip(), FORMATS, "format")
                if name not in asked:
                    asked.append(name)
    if not asked:
        raise ValueError(f"expected a format: {', '.join(FORMATS)}")
    return tuple(asked)


def file_of(chosen: Destination | None) -> Path | None:
    """The output file setting `-o` gives: its file, `-` for standard output, or none for a folder."""
    match chosen:
        case OutputFile():
            return chosen.path
        case StandardOutput():
            return Path(STANDARD_STREAM)
        case OutputFolder() | None:
            return None
        case _:
            assert_never(chosen)


# --- click callbacks (exporter.cli.main) -----------------------------------------------------------------------------


def output_option(_ctx: click.Context, param: click.Parameter, value: str | None) -> Destination | None:
    """`-o TEXT` as a destination; a name we can't write is a usage error that says what would work."""
    if value is None:
        return None
    try:
        return destination(value)
    except ValueError as error:
        raise click.BadParameter(str(error), param=param) from None


def formats_option(_ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> tuple[Format, ...]:
    """`-t/--to` values as formats, in any case; another word is a usage error listing the formats."""
    if not values:
        return ()
    try:
        return format_names(values)
    except ValueError as error:
        raise click.BadParameter(str(error), param=param) from None


def complete_formats(_ctx: click.Context, _param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """`-t <TAB>`: the formats."""
    return [CompletionItem(fmt) for fmt in FORMATS if fmt.startswith(incomplete.lower())]


def complete_output(_ctx: click.Context, _param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """`-o <TAB>`: a file or folder."""
    return [CompletionItem(incomplete, type="file")]
