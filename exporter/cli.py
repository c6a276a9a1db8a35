"""The `designexport` command line."""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path
from typing import Any

import click
import jinja2

from exporter import __version__
from exporter.check import Finding, Profile, check_document, default_template_path, load_template_sections
from exporter.diagnostics import ExportError
from exporter.export import (
    FORMATS,
    ExportSettings,
    Format,
    display_name,
    expand_inputs,
    export_document,
    output_path,
    read_source,
    write_atomic,
)
from exporter.options import PDF_VARIANTS, RenderOptions
from exporter.parser import ParseOptions
from exporter.scaffold import document_file_name, render_template
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
@click.option("--no-watermark", is_flag=True, help="No status watermark on PDF and DOCX pages.")
@click.option(
    "--watermark-statuses",
    default="",
    metavar="LIST",
    help='Statuses that get a watermark, comma-separated (default: all but Approved), e.g. "draft,in review".',
)
@click.option("--strict", is_flag=True, help="Fail a document whose check finds errors (placeholders, broken links).")
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
    no_watermark: bool,
    watermark_statuses: str,
    strict: bool,
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
            watermark=not no_watermark,
            watermark_statuses=frozenset(
                " ".join(item.split()).casefold() for item in watermark_statuses.split(",") if item.strip()
            ),
        ),
        parse=ParseOptions(number_sections=number_sections, toc_depth=0 if no_toc else toc_depth),
    )
    files, errors = expand_inputs(inputs)
    for message in errors:
        click.echo(message, err=True)
    _refuse_colliding_outputs(files, settings)

    failed = bool(errors)
    for source in files:
        if strict and _has_check_errors(source):
            failed = True
            continue
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


def _has_check_errors(source: Path) -> bool:
    """Under --strict: prints the check's errors for a document and says whether there were any."""
    try:
        text = read_source(source)
    except ExportError:
        return False  # the export reports an unreadable file itself
    findings = check_document(text, display_name(source), source.parent, None, "none")
    problems = [finding for finding in findings if finding.severity == "error"]
    for finding in problems:
        click.echo(str(finding), err=True)
    if problems:
        click.echo(f"{display_name(source)}: error: not exported: --strict and {len(problems)} error(s)", err=True)
    return bool(problems)


def _refuse_colliding_outputs(files: list[Path], settings: ExportSettings) -> None:
    seen: dict[Path, Path] = {}
    for source in files:
        target = output_path(source, settings.formats[0], settings.output_dir).resolve()
        if target in seen and seen[target] != source.resolve():
            raise click.UsageError(f"{seen[target]} and {source} would both be written to {target.with_suffix('')}.*")
        seen[target] = source.resolve()


@main.command("new")
@click.argument("feature")
@click.option("--req", "req_id", required=True, help="Requirement id, such as PAY-142.")
@click.option("--status", default="", help="Status instead of the template's Draft.")
@click.option(
    "--template",
    "template_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Template to start from (default: templates/technical-template.md).",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="File to write.")
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
def new(feature: str, req_id: str, status: str, template_path: Path | None, output: Path | None, force: bool) -> None:
    """Start a design document from the template: designexport new "Payment Retry" --req PAY-142."""
    target = output or Path(document_file_name(feature))
    if target.exists() and not force:
        click.echo(f"{target}: error: file exists; use --force to overwrite it", err=True)
        sys.exit(1)
    template = (template_path or default_template_path()).read_text(encoding="utf-8")
    try:
        rendered = render_template(template, feature, req_id, status)
        write_atomic(target, rendered.encode("utf-8"), str(target))
    except (jinja2.TemplateError, ExportError) as error:
        click.echo(f"{target}: error: {error}", err=True)
        sys.exit(1)
    click.echo(f"wrote {target}")


@main.command("check")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--strict", is_flag=True, help="Fail (exit 1) on warnings too.")
@click.option(
    "--profile",
    type=click.Choice(["template", "none"]),
    default="template",
    show_default=True,
    help="template: require the template's sections; none: skip that check.",
)
@click.option(
    "--template",
    "template_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The template documents were written from (default: templates/technical-template.md).",
)
def check(
    inputs: tuple[Path, ...], output_format: str, strict: bool, profile: Profile, template_path: Path | None
) -> None:
    """Lint design documents: placeholders, boilerplate, empty or missing sections, broken links."""
    template = load_template_sections((template_path or default_template_path()).read_text(encoding="utf-8"))
    files, errors = expand_inputs(inputs)
    findings: list[Finding] = []
    for source in files:
        name = display_name(source)
        try:
            text = read_source(source)
            findings.extend(check_document(text, name, source.parent, template, profile))
        except ExportError as error:
            errors.append(str(error))
    if output_format == "json":
        click.echo(json.dumps([dataclasses.asdict(finding) for finding in findings], indent=2))
    else:
        for finding in findings:
            click.echo(str(finding))
    for message in errors:
        click.echo(message, err=True)
    failing = {"error", "warning"} if strict else {"error"}
    sys.exit(1 if errors or any(finding.severity in failing for finding in findings) else 0)
