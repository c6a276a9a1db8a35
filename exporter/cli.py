"""The `designexport` command line."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from exporter import __version__
from exporter.export import FORMATS, ExportSettings, Format, expand_inputs, export_document, output_path
from exporter.options import PDF_VARIANTS, RenderOptions
from exporter.parser import ParseOptions
from exporter.theme import DEFAULT_THEME, ThemeError, available_themes, load_theme

EXAMPLES = """
\b
Examples:
  designexport doc.md --pdf              writes doc.pdf next to doc.md
  designexport doc.md                    writes doc.html, doc.pdf and doc.docx
  designexport docs/ -o out/ --all       every .md under docs/ into out/
  designexport a.md b.md --docx --paper letter
  designexport --version

\b
Exit codes: 0 all exported, 1 a document failed, 2 usage error.
"""


class DefaultCommandGroup(click.Group):
    """Runs `export` when the first argument is not a subcommand, so `designexport doc.md` works."""

    default_command = "export"

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args or (args[0] not in self.commands and args[0] not in ("--help", "-h", "--version")):
            args = [self.default_command, *args]
        return super().parse_args(ctx, args)

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The export command's help (the everyday use), then the other commands."""
        command = self.commands[self.default_command]
        with click.Context(command, info_name="designexport") as export_ctx:
            command.format_usage(export_ctx, formatter)
            command.format_help_text(export_ctx, formatter)
            command.format_options(export_ctx, formatter)
        self.format_commands(ctx, formatter)
        self.format_epilog(ctx, formatter)


@click.group(cls=DefaultCommandGroup, context_settings={"help_option_names": ["-h", "--help"]}, epilog=EXAMPLES)
@click.version_option(__version__, "--version", prog_name="designexport", message="%(prog)s %(version)s")
def main() -> None:
    """Export technical design documents from Markdown to HTML, PDF and Word."""


@main.command(epilog=EXAMPLES)
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--html", "want_html", is_flag=True, help="Write a self-contained HTML page.")
@click.option("--pdf", "want_pdf", is_flag=True, help="Write a print-ready PDF.")
@click.option("--docx", "want_docx", is_flag=True, help="Write an editable Word document.")
@click.option("--all", "want_all", is_flag=True, help="Write all three formats (the default).")
@click.option(
    "-o",
    "--output-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write outputs here instead of next to each input.",
)
@click.option("--paper", type=click.Choice(["a4", "letter"]), default="a4", show_default=True, help="Page size.")
@click.option("--number-sections", is_flag=True, help="Number headings 1, 1.1, 1.1.1 in every output.")
@click.option("--toc-depth", type=click.IntRange(1, 6), default=3, show_default=True, help="Heading levels in the TOC.")
@click.option("--no-toc", is_flag=True, help="Leave out the table of contents.")
@click.option(
    "--theme",
    "theme_name",
    default=DEFAULT_THEME,
    show_default=True,
    metavar="NAME|FILE.css",
    help=f"Built-in theme ({', '.join(available_themes())}) or your own CSS file.",
)
@click.option(
    "--pdf-variant",
    type=click.Choice(PDF_VARIANTS),
    help="pdf/ua-1: tagged, accessible PDF; pdf/a-3b: archival PDF.",
)
@click.option("--logo", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="Image for the PDF cover.")
@click.option("--organization", default="", help="Organisation name for the PDF cover.")
@click.option(
    "--reference-docx",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A Word file whose named styles the DOCX takes (like pandoc's --reference-doc).",
)
@click.option("-q", "--quiet", is_flag=True, help="Print only errors.")
def export(
    inputs: tuple[Path, ...],
    want_html: bool,
    want_pdf: bool,
    want_docx: bool,
    want_all: bool,
    output_dir: Path | None,
    paper: Any,
    number_sections: bool,
    toc_depth: int,
    no_toc: bool,
    theme_name: str,
    pdf_variant: Any,
    logo: Path | None,
    organization: str,
    reference_docx: Path | None,
    quiet: bool,
) -> None:
    """Export Markdown design documents (files or folders) to HTML, PDF and DOCX."""
    chosen: list[Format] = [
        fmt for fmt, wanted in zip(FORMATS, (want_html, want_pdf, want_docx), strict=True) if wanted
    ]
    formats = FORMATS if want_all or not chosen else tuple(chosen)
    try:
        theme = load_theme(theme_name)
    except ThemeError as error:
        raise click.BadParameter(str(error), param_hint="--theme") from None
    settings = ExportSettings(
        formats=formats,
        output_dir=output_dir,
        render=RenderOptions(
            paper=paper,
            toc=not no_toc,
            pdf_variant=pdf_variant or "",
            organization=organization,
            logo=logo,
            theme=theme,
            reference_docx=reference_docx,
        ),
        parse=ParseOptions(number_sections=number_sections, toc_depth=0 if no_toc else toc_depth),
    )
    files, errors = expand_inputs(inputs)
    for message in errors:
        click.echo(message, err=True)
    _refuse_colliding_outputs(files, settings)

    failed = bool(errors)
    for source in files:
        result = export_document(source, settings)
        for diagnostic in result.diagnostics:
            if not quiet:
                click.echo(str(diagnostic), err=True)
        if result.error:
            failed = True
            click.echo(result.error, err=True)
            continue
        if not quiet:
            for written in result.outputs:
                click.echo(f"wrote {written}")
    sys.exit(1 if failed else 0)


def _refuse_colliding_outputs(files: list[Path], settings: ExportSettings) -> None:
    seen: dict[Path, Path] = {}
    for source in files:
        target = output_path(source, settings.formats[0], settings.output_dir).resolve()
        if target in seen and seen[target] != source.resolve():
            raise click.UsageError(f"{seen[target]} and {source} would both be written to {target.with_suffix('')}.*")
        seen[target] = source.resolve()
