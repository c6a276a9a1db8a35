"""The `designexport` command line."""

from __future__ import annotations

import dataclasses
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import click
import jinja2
from click.core import ParameterSource

from exporter import __version__
from exporter.batch import Job, PlanError, collect_sources, parse_shard, plan_jobs, shard
from exporter.cache import BuildCache, settings_digest
from exporter.check import (
    Finding,
    Profile,
    TemplateSections,
    check_document,
    default_template_path,
    load_template_sections,
)
from exporter.config import ConfigError, ProjectConfig, find_config, load_config
from exporter.console import BatchConsole
from exporter.diagnostics import Diagnostic, ExportError
from exporter.export import FORMATS, ExportResult, ExportSettings, Format, display_name, read_source, write_atomic
from exporter.limits import Limits, limit_names
from exporter.options import PDF_VARIANTS, RenderOptions
from exporter.parser import ParseOptions
from exporter.report import BatchSummary, DocumentEntry, Status, report_json
from exporter.scaffold import document_file_name, render_template
from exporter.theme import DEFAULT_THEME, ThemeError, available_themes, load_theme
from exporter.workers import run_jobs

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
    help="Write outputs here, mirroring the input folders, instead of next to each input.",
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
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes [default: CPU count; 1: in-process].",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    help="Fail a document after this many seconds [default: 600, the 'seconds' limit].",
)
@click.option(
    "--asset-root",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Let documents load images from anywhere below this folder, not only their own folder.",
)
@click.option(
    "--allow-remote",
    is_flag=True,
    help="Download http(s) images (never from loopback, link-local or private addresses).",
)
@click.option(
    "--limit",
    "limit_settings",
    multiple=True,
    metavar="NAME=VALUE",
    help=f"Raise or lower a limit (repeatable): {', '.join(limit_names())}.",
)
@click.option("--exclude", multiple=True, metavar="GLOB", help="Skip matching files in folders (repeatable).")
@click.option("--shard", metavar="K/N", help="Export only the K-th of N slices of the inputs (for CI matrices).")
@click.option("--report", "report_path", type=click.Path(dir_okay=False, path_type=Path), help="Write a JSON manifest.")
@click.option("--force", is_flag=True, help="Export even documents the build cache says are unchanged.")
@click.option(
    "--config",
    "config_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Settings file (default: designexport.toml or [tool.designexport] in pyproject.toml, found upwards).",
)
@click.option("-q", "--quiet", is_flag=True, help="Print only errors.")
@click.option("-v", "--verbose", is_flag=True, help="Print every document's timings and cached warnings too.")
@click.pass_context
def export(ctx: click.Context, /, inputs: tuple[Path, ...], config_path: Path | None, **given: Any) -> None:
    """Export Markdown design documents (files, folders or globs) to HTML, PDF and DOCX."""
    started = time.perf_counter()
    config = _project_config(inputs, config_path)
    options = _merge_config(ctx, given, config)
    settings = _export_settings(options)
    sources, errors = collect_sources(inputs, options["exclude"])
    try:
        jobs = plan_jobs(sources, settings.formats, settings.output_dir)
        if options["shard"]:
            jobs = shard(jobs, *parse_shard(options["shard"]))
    except PlanError as error:
        raise click.UsageError(str(error)) from None

    console = BatchConsole(len(jobs), options["quiet"], options["verbose"])
    for message in errors:
        console.message(message)
    summary = BatchSummary()
    build_cache = BuildCache(
        settings_digest(settings, {"strict": options["strict"], "required": options["required_sections"]})
    )
    to_export: list[Job] = []
    for job in jobs:
        cached = None if options["force"] else build_cache.lookup(job)
        if cached is not None:
            entry = DocumentEntry(
                job.name,
                "skipped",
                cached.records,
                cached.diagnostics,
                input_sha256=cached.input_sha256,
                dependencies=cached.dependencies,
            )
            summary.entries.append(entry)
            console.job_finished(entry, job)
        elif options["strict"] and (problems := _strict_problems(job, options["required_sections"])):
            closing = f"{job.name}: error: not exported: --strict and {len(problems)} error(s)"
            entry = DocumentEntry(job.name, "failed", error=closing, diagnostics=problems)
            summary.entries.append(entry)
            console.job_finished(entry, job)
        else:
            to_export.append(job)

    def finished(job: Job, result: ExportResult, seconds: float) -> None:
        status: Status = "failed" if result.error else "exported"
        entry = DocumentEntry(
            job.name,
            status,
            result.records,
            result.diagnostics,
            result.error,
            result.input_sha256,
            result.dependencies,
            seconds,
            result.parse_seconds,
        )
        summary.entries.append(entry)
        build_cache.store(job, result)
        console.job_finished(entry, job)

    workers = options["jobs"] or os.cpu_count() or 1
    try:
        timeout = options["timeout"] or settings.parse.limits.seconds
        run_jobs(to_export, settings, workers, timeout, console.job_started, finished)
    except KeyboardInterrupt:
        console.message("interrupted; unfinished documents were not written")
        sys.exit(130)
    summary.seconds = time.perf_counter() - started
    order = {job.name: index for index, job in enumerate(jobs)}
    summary.entries.sort(key=lambda entry: order.get(entry.source, len(order)))
    console.finish(summary)
    if options["report_path"]:
        effective = {"formats": list(settings.formats), "jobs": workers}
        _write_report(options["report_path"], summary, {**options, **effective}, config, errors)
    sys.exit(1 if errors or summary.count("failed") else 0)


def _project_config(inputs: tuple[Path, ...], explicit: Path | None) -> ProjectConfig | None:
    """The --config file, or the one found by walking up from the first input."""
    try:
        if explicit is not None:
            return load_config(explicit)
        found = find_config(_existing_start(inputs[0]))
        return load_config(found) if found else None
    except ConfigError as error:
        raise click.UsageError(str(error)) from None


def _existing_start(item: Path) -> Path:
    """Where to start looking for settings: the input, or the folder part of a glob."""
    while not item.exists() and item != item.parent:
        item = item.parent
    return item


def _merge_config(ctx: click.Context, given: dict[str, Any], config: ProjectConfig | None) -> dict[str, Any]:
    """Command-line flags win; settings from the file fill in what the command line left at its default."""
    options = dict(given, exclude=tuple(given["exclude"]), required_sections=(), limits=())
    if config is None:
        return options
    explicit_formats = any(given[flag] for flag in ("want_html", "want_pdf", "want_docx", "want_all"))
    for key, value in config.values.items():
        if key == "formats":
            if not explicit_formats:
                for fmt in FORMATS:
                    options[f"want_{fmt}"] = fmt in value  # type: ignore[operator]
        elif key in ("exclude", "required_sections", "limits"):
            options[key] = (*value, *options[key]) if key == "exclude" else value  # type: ignore[misc]
        elif key in options and ctx.get_parameter_source(key) in (ParameterSource.DEFAULT, None):
            options[key] = value
    return options


def _limits(options: dict[str, Any]) -> Limits:
    """The config file's limits, then --limit flags on top."""
    settings: dict[str, str] = {}
    for item in (*options["limits"], *options["limit_settings"]):
        name, equals, value = str(item).partition("=")
        if not equals:
            raise click.BadParameter(f"expected NAME=VALUE, got {item!r}", param_hint="--limit")
        settings[name.strip()] = value.strip()
    try:
        return Limits().with_values(settings)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--limit") from None


def _export_settings(options: dict[str, Any]) -> ExportSettings:
    chosen: list[Format] = [fmt for fmt in FORMATS if options[f"want_{fmt}"]]
    formats = FORMATS if options["want_all"] or not chosen else tuple(chosen)
    try:
        theme = load_theme(str(options["theme_name"]))
    except ThemeError as error:
        raise click.BadParameter(str(error), param_hint="--theme") from None
    statuses = str(options["watermark_statuses"])
    return ExportSettings(
        formats=formats,
        output_dir=options["output_dir"],
        render=RenderOptions(
            paper=options["paper"],
            toc=not options["no_toc"],
            pdf_variant=options["pdf_variant"] or "",
            organization=options["organization"],
            logo=options["logo"],
            theme=theme,
            reference_docx=options["reference_docx"],
            watermark=not options["no_watermark"],
            watermark_statuses=frozenset(
                " ".join(item.split()).casefold() for item in statuses.split(",") if item.strip()
            ),
        ),
        parse=ParseOptions(
            number_sections=options["number_sections"],
            toc_depth=0 if options["no_toc"] else options["toc_depth"],
            limits=_limits(options),
        ),
        asset_root=options["asset_root"],
        allow_remote=options["allow_remote"],
    )


def _strict_problems(job: Job, required_sections: tuple[str, ...]) -> list[Diagnostic]:
    """Under --strict: the check's errors that stop a document's export; empty when it passes."""
    try:
        text = read_source(job.source)
    except ExportError:
        return []  # the export reports an unreadable file itself
    template = TemplateSections({}, required_sections) if required_sections else None
    findings = check_document(text, job.name, job.source.parent, template, "template")
    return [
        Diagnostic(finding.file, finding.line, "error", finding.code, finding.message)
        for finding in findings
        if finding.severity == "error" or finding.code == "missing-section"
    ]


def _write_report(
    path: Path, summary: BatchSummary, options: dict[str, Any], config: ProjectConfig | None, errors: list[str]
) -> None:
    described = {
        key: (str(value) if isinstance(value, Path) else value)
        for key, value in options.items()
        if key not in ("quiet", "verbose", "report_path")
    }
    described["config"] = str(config.path) if config else None
    try:
        write_atomic(path, report_json(summary, described, errors).encode("utf-8"), str(path))
    except ExportError as error:
        click.echo(str(error), err=True)
        sys.exit(1)


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
    config = _project_config(inputs, None)
    settings = config.values if config else {}
    if required := settings.get("required_sections"):
        template = TemplateSections(template.bodies, tuple(required))  # type: ignore[arg-type]
    sources, errors = collect_sources(inputs, tuple(settings.get("exclude", ())))  # type: ignore[arg-type]
    files = [source.path for source in sources]
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
