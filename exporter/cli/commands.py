"""What the commands do; `cli.py` only declares them, so `--version` and `--help` import none of this."""

from __future__ import annotations

import dataclasses
import json
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from click.core import ParameterSource

from exporter.cli.config import ConfigError, ProjectConfig, find_config, load_config
from exporter.cli.scaffold import document_file_name, render_template
from exporter.model.diagnostics import Diagnostic, ExportError
from exporter.model.limits import Limits
from exporter.read.markdown import ParseOptions
from exporter.read.theme import ThemeError, load_theme
from exporter.render.options import RenderOptions
from exporter.run.batch import (
    Job,
    PlanError,
    check_report_path,
    collect_sources,
    parse_shard,
    plan_jobs,
    screen_sources,
    shard,
)
from exporter.run.cache import BuildCache, settings_digest
from exporter.run.console import BatchConsole
from exporter.run.export import FORMATS, ExportResult, ExportSettings, Format, printable, read_source, write_atomic
from exporter.run.report import BatchSummary, DocumentEntry, Status, report_json
from exporter.run.workers import Interrupted, interrupts_raised, remove_leftovers, run_checks, run_jobs
from exporter.safety.inputs import (
    REFERENCE_DOCX_MAX_BYTES,
    THEME_MAX_BYTES,
    Origin,
    UnsafeInputError,
    checked_file,
    checked_folder,
    project_folder,
)

if TYPE_CHECKING:
    from exporter.run.check import Profile


def run_export(ctx: click.Context, inputs: tuple[Path, ...], config_path: Path | None, given: dict[str, Any]) -> None:
    """Exports every input; exits 0, 1 (a document failed) or 2 (usage)."""
    started = time.perf_counter()
    config = _project_config(inputs, config_path)
    options = _merge_config(ctx, given, config)
    project = project_folder(config.path if config else None, inputs[0])
    auxiliary = _checked_auxiliary_files(options, project)
    settings = _export_settings(options)
    collected, errors = collect_sources(inputs, options["exclude"])
    sources, refused = screen_sources(collected, options["follow_symlinks"])
    protected = {*auxiliary, *([config.path] if config else [])}
    try:
        jobs = plan_jobs(sources, settings.formats, settings.output_dir, protected)
        if options["shard"]:
            jobs = shard(jobs, *parse_shard(options["shard"]))
        if options["report_path"]:
            check_report_path(options["report_path"], jobs, [*protected, *(source.path for source in collected)])
    except PlanError as error:
        raise click.UsageError(str(error)) from None

    console = BatchConsole(len(jobs), options["quiet"], options["verbose"])
    for message in (*settings.render.theme.warnings, *errors):
        console.message(message)
    summary = BatchSummary()
    for warning in refused:
        entry = DocumentEntry(warning.source, "skipped", diagnostics=[warning])
        summary.entries.append(entry)
        if not options["quiet"]:
            console.message(str(warning))
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
    timeout = options["timeout"] or settings.parse.limits.seconds
    for leftover in remove_leftovers(jobs):
        if options["verbose"]:
            console.message(f"removed {leftover}, a temporary file left by an interrupted run")
    try:
        with interrupts_raised():
            run_jobs(to_export, settings, workers, timeout, console.job_started, finished)
    except Interrupted as interrupt:  # workers stopped, temporary files gone, earlier outputs untouched
        console.stopped(interrupt.message())
        sys.exit(interrupt.exit_status)
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


def _checked_auxiliary_files(options: dict[str, Any], project: Path) -> list[Path]:
    """Puts the theme, logo, reference DOCX and asset root through the input sandbox, replacing each
    with its real path; returns the files, so no output may overwrite them. Paths from the config file
    were held to the stricter config rules when it was read."""
    origin = Origin(project, from_config=False)
    files: list[Path] = []
    checks = (
        ("logo", "--logo", Limits().image_bytes),
        ("reference_docx", "--reference-docx", REFERENCE_DOCX_MAX_BYTES),
        ("theme_name", "--theme", THEME_MAX_BYTES),
    )
    for key, flag, max_bytes in checks:
        value = options[key]
        if value is None or (key == "theme_name" and not _is_theme_path(str(value))):
            continue
        try:
            real = checked_file(Path(value), flag.removeprefix("--").replace("-", " "), origin, max_bytes)
        except UnsafeInputError as error:
            raise click.BadParameter(str(error), param_hint=flag) from None
        if key != "theme_name":  # the theme keeps the name the user gave, which its warnings show
            options[key] = real
        files.append(real)
    if options["asset_root"] is not None:
        allow_outside = options["allow_asset_root_outside"]
        try:
            options["asset_root"] = checked_folder(options["asset_root"], "asset root", origin, allow_outside)
        except UnsafeInputError as error:
            hint = " (--allow-asset-root-outside allows it)" if error.outside_project else ""
            raise click.BadParameter(f"{error}{hint}", param_hint="--asset-root") from None
    return files


def _is_theme_path(name: str) -> bool:
    return name.endswith(".css") or "/" in name


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
    from exporter.run.check import TemplateSections, check_document

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


def run_new(
    feature: str, req_id: str, status: str, template_path: Path | None, output: Path | None, force: bool
) -> None:
    """Writes a new document from the template."""
    target = output or Path(document_file_name(feature))
    if target.exists() and not force:
        click.echo(f"{target}: error: file exists; use --force to overwrite it", err=True)
        sys.exit(1)
    import jinja2

    from exporter.run.check import default_template_path

    template = (template_path or default_template_path()).read_text(encoding="utf-8")
    try:
        rendered = render_template(template, feature, req_id, status)
        write_atomic(target, rendered.encode("utf-8"), str(target))
    except (jinja2.TemplateError, ExportError) as error:
        click.echo(f"{target}: error: {error}", err=True)
        sys.exit(1)
    click.echo(f"wrote {target}")


def run_check(
    inputs: tuple[Path, ...],
    output_format: str,
    strict: bool,
    profile: Profile,
    template_path: Path | None,
    timeout: float | None = None,
) -> None:
    """Lints documents and prints findings; exits 1 on errors (or warnings under --strict)."""
    from exporter.run.check import Finding, TemplateSections, default_template_path, load_template_sections

    template = load_template_sections((template_path or default_template_path()).read_text(encoding="utf-8"))
    config = _project_config(inputs, None)
    settings = config.values if config else {}
    if required := settings.get("required_sections"):
        template = TemplateSections(template.bodies, tuple(required))  # type: ignore[arg-type]
    collected, errors = collect_sources(inputs, tuple(settings.get("exclude", ())))  # type: ignore[arg-type]
    sources, refused = screen_sources(collected)
    for refusal in refused:  # a document the export would refuse is not read here either
        click.echo(printable(str(refusal)), err=True)
    files = [source.path for source in sources]
    configured = settings.get("timeout")
    timeout = timeout or (float(configured) if isinstance(configured, int | float) else Limits().seconds)
    try:
        with interrupts_raised():  # each file is checked in a worker, so the timeout holds in C code too
            outcomes = run_checks(files, template, profile, timeout)
    except Interrupted as interrupt:
        click.echo(f"interrupted by {interrupt.signal_name}; the check stopped", err=True)
        sys.exit(interrupt.exit_status)
    findings: list[Finding] = []
    for _source, outcome in outcomes:
        if isinstance(outcome, str):
            errors.append(outcome)
        else:
            findings.extend(outcome)
    if output_format == "json":
        click.echo(json.dumps([dataclasses.asdict(finding) for finding in findings], indent=2))
    else:
        for finding in findings:
            click.echo(printable(str(finding)))
    for message in errors:
        click.echo(printable(message), err=True)
    failing = {"error", "warning"} if strict else {"error"}
    refused_fails = strict and bool(refused)  # under --strict a refused document is a failure, as any warning
    sys.exit(1 if errors or refused_fails or any(finding.severity in failing for finding in findings) else 0)
