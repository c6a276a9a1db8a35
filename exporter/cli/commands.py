"""What the commands do; `main.py` only declares them, so `--version` and `--help` import none of this."""

from __future__ import annotations

import dataclasses
import gc
import json
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import click

import exporter
from exporter.cli.config import ConfigError, ProjectConfig, find_config, load_config
from exporter.cli.console import BatchConsole
from exporter.cli.settings import GivenSettings, Place, Settings, command_line_settings, report_options
from exporter.cli.streams import StandardStreams, output_route, standard_streams
from exporter.model.diagnostics import Code, Diagnostic, ExportError, visible
from exporter.model.limits import Limits
from exporter.read.markdown import ParseOptions
from exporter.read.theme import ThemeError, load_theme
from exporter.render.options import RenderOptions
from exporter.run.batch import (
    Gathered,
    Job,
    PlanError,
    Source,
    check_report_path,
    gather_sources,
    parse_shard,
    plan_jobs,
    screen_sources,
    shard,
)
from exporter.run.cache import BuildCache, settings_digest
from exporter.run.export import ExportResult, ExportSettings, StrictCheck, printable, write_atomic
from exporter.run.prune import PruneResult, prune_outputs, prune_refusal
from exporter.run.report import BatchSummary, DocumentEntry, Status, report_json
from exporter.run.signals import Interrupted, interrupts_raised
from exporter.run.workers import remove_leftovers, run_checks, run_jobs
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
    from exporter.run.versions import Comparison


@dataclass(frozen=True, slots=True)
class ExportRun:
    """One export of the inputs, as `--watch` and `serve` (exporter.cli.watch) need it."""

    status: int  # the exit status the run ends with
    settings: Settings
    jobs: list[Job]
    summary: BatchSummary
    read_files: list[Path]  # the config file, theme, logo and reference DOCX: a change to one changes outputs


def run_export(ctx: click.Context, inputs: tuple[Path, ...], config_path: Path | None) -> None:
    """Exports every input; exits 0, 1 (a document failed) or 2 (usage)."""
    command_line = command_line_settings(ctx)
    streams = standard_streams(ctx, inputs, command_line)  # `-` as the input, `-o -`
    try:
        run = export_once(inputs, config_path, command_line, streams=streams)
    except Interrupted as interrupt:  # workers stopped, temporary files gone, earlier outputs untouched
        sys.exit(interrupt.exit_status)
    if streams is not None:
        streams.deliver(run.jobs, exported=run.status == 0)
    sys.exit(run.status)


def export_once(
    inputs: tuple[Path, ...],
    config_path: Path | None,
    command_line: GivenSettings,
    console_type: Callable[[int, bool, bool], BatchConsole] = BatchConsole,
    streams: StandardStreams | None = None,
) -> ExportRun:
    """Exports every input once; `--watch` and `serve` run it again on each change. Raises `Interrupted`."""
    started = time.perf_counter()
    config = _project_config(inputs, config_path)
    given = command_line.over(config.given) if config else command_line
    given, auxiliary = _checked_auxiliary_files(given, project_folder(config.path if config else None, inputs[0]))
    given, route = output_route(inputs, command_line, given, streams)  # -o FILE, -o -, `-`: one document
    settings = given.settings
    if settings.prune and (prune_problem := prune_refusal(settings.output_dir, settings.shard)):
        raise _setting_error(given, "prune", prune_problem)
    export_settings = route.export_settings(_export_settings(given))
    export_settings = dataclasses.replace(export_settings, comparison=_comparison(given, inputs))
    protected = {*auxiliary, *([config.path] if config else [])}
    plan = _plan(route.inputs(inputs, export_settings.parse.limits.input_bytes), settings, protected)
    plan = dataclasses.replace(plan, jobs=route.jobs(plan.jobs, protected))

    console = route.console_type(console_type)(len(plan.jobs), settings.quiet, settings.verbose)
    outcomes = _Outcomes(BatchSummary(), console, BuildCache(settings_digest(export_settings)), settings.suppress)
    for message in (
        *map(str, visible(export_settings.render.theme.warnings, settings.suppress)),
        *plan.exclude_warnings,
        *plan.input_errors,
    ):
        console.message(message)
    for refusal in plan.refused:
        outcomes.refused(refusal)
    # A comparison's old version (a file, a git revision such as HEAD~1) moves without the inputs changing.
    force = settings.force or export_settings.comparison is not None
    changed = [job for job in plan.jobs if force or not outcomes.replayed(job)]
    workers = settings.jobs or os.cpu_count() or 1
    timeout = settings.timeout or export_settings.parse.limits.seconds
    for leftover in remove_leftovers(plan.jobs):
        if settings.verbose:
            console.message(f"removed {leftover}, a temporary file left by an interrupted run")
    try:
        with interrupts_raised(), long_lived_objects_frozen():
            run_jobs(changed, export_settings, workers, timeout, console.job_started, outcomes.exported)
    except Interrupted as interrupt:
        console.stopped(interrupt.message())
        raise

    summary = outcomes.summary
    summary.seconds = time.perf_counter() - started
    order = {job.name: index for index, job in enumerate(plan.jobs)}
    summary.entries.sort(key=lambda entry: order.get(entry.source, len(order)))
    if settings.prune and settings.output_dir is not None:
        summary.prune = _prune(plan, settings.output_dir, [*auxiliary, *([config.path] if config else [])], console)
    console.finish(summary)
    if settings.report:
        options = report_options(
            given, command_line, config.given if config else None, config.path if config else None, workers
        )
        _write_report(settings.report, summary, options, plan.input_errors)
    status = 1 if plan.input_errors or summary.count("failed") else 0
    return ExportRun(status, settings, plan.jobs, summary, [*auxiliary, *([config.path] if config else [])])


@contextmanager
def long_lived_objects_frozen() -> Iterator[None]:
    """Holds every object that exists now (the modules imported, mostly: hundreds of thousands) out of the
    garbage collector's reach while the block runs. Parsing a document sets off full collections, and each
    would walk all of them: a sixth of a large document's export. Forked workers inherit the freeze, so those
    pages also stay shared with the CLI instead of being copied when a collection touches them. Handed back
    afterwards: a caller that runs the CLI in its own process (a test) may leave garbage among them."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


# --- settings --------------------------------------------------------------------------------------------------------


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


def _setting_error(given: GivenSettings, name: str, message: str) -> click.UsageError:
    """A setting that turned out wrong, reported where the user gave it: the flag, or the config file's line."""
    place = given.where.get(name) or Place(flag="--" + name.replace("_", "-"))
    if place.file is not None:
        return click.UsageError(str(ConfigError(place.file, f"{place.key}: {message}", place.line)))
    return click.BadParameter(message, param_hint=place.flag)


def _checked_auxiliary_files(given: GivenSettings, project: Path) -> tuple[GivenSettings, list[Path]]:
    """Puts the theme, logo, reference DOCX and asset root through the input sandbox; returns the settings
    with each replaced by its real path, and the files, so no output may overwrite them. Paths from the
    config file were held to the stricter config rules when it was read."""
    settings = given.settings
    origin = Origin(project, from_config=False)
    theme = Path(settings.theme) if _is_theme_path(settings.theme) else None
    files: dict[str, Path] = {}
    checks = (
        ("logo", settings.logo, Limits().image_bytes),
        ("reference_docx", settings.reference_docx, REFERENCE_DOCX_MAX_BYTES),
        ("theme", theme, THEME_MAX_BYTES),
    )
    for name, path, max_bytes in checks:
        if path is None:
            continue
        try:
            files[name] = checked_file(path, name.replace("_", " "), origin, max_bytes)
        except UnsafeInputError as error:
            raise _setting_error(given, name, str(error)) from None
    asset_root = settings.asset_root
    if asset_root is not None:
        try:
            asset_root = checked_folder(asset_root, "asset root", origin, settings.allow_asset_root_outside)
        except UnsafeInputError as error:
            hint = " (--allow-asset-root-outside allows it)" if error.outside_project else ""
            raise _setting_error(given, "asset_root", f"{error}{hint}") from None
    real = dataclasses.replace(  # the theme keeps the name the user gave, which its warnings show
        settings, logo=files.get("logo"), reference_docx=files.get("reference_docx"), asset_root=asset_root
    )
    return GivenSettings(real, given.where), list(files.values())


def _is_theme_path(name: str) -> bool:
    return name.endswith(".css") or "/" in name


def _limits(given: GivenSettings) -> Limits:
    """The config file's limits, then --limit flags on top."""
    values: dict[str, str] = {}
    for item in given.settings.limits:
        name, equals, value = item.partition("=")
        if not equals:
            raise _setting_error(given, "limits", f"expected NAME=VALUE, got {item!r}")
        values[name.strip()] = value.strip()
    try:
        return Limits().with_values(values)
    except ValueError as error:
        raise _setting_error(given, "limits", str(error)) from None


def _export_settings(given: GivenSettings) -> ExportSettings:
    """What each document's export needs to know, from the settings."""
    settings = given.settings
    try:
        theme = load_theme(settings.theme)
    except ThemeError as error:
        raise _setting_error(given, "theme", str(error)) from None
    return ExportSettings(
        formats=settings.formats,
        output_dir=settings.output_dir,
        render=RenderOptions(
            paper=settings.paper,
            toc=settings.toc,
            pdf_variant=settings.pdf_variant,
            organization=settings.organization,
            logo=settings.logo,
            theme=theme,
            reference_docx=settings.reference_docx,
            watermark=settings.watermark,
            watermark_statuses=frozenset(" ".join(item.split()).casefold() for item in settings.watermark_statuses),
        ),
        parse=ParseOptions(
            number_sections=settings.number_sections,
            toc_depth=settings.toc_depth if settings.toc else 0,
            limits=_limits(given),
            smart=settings.smart,
            draw_text_diagrams=settings.draw_text_diagrams,
            metadata=(*settings.metadata, *((("title", settings.title),) if settings.title else ())),
        ),
        asset_root=settings.asset_root,
        allow_remote=settings.allow_remote,
        strict=StrictCheck(settings.required_sections) if settings.strict else None,
        suppressed=settings.suppress,
    )


def _comparison(given: GivenSettings, inputs: Sequence[Path]) -> Comparison | None:
    """--since REV or `diff OLD NEW`, checked: --author and --changes-only need one of them."""
    settings = given.settings
    if settings.since is None and settings.compare_with is None:
        for name, asked in (("changes_only", settings.changes_only), ("author", bool(settings.author))):
            if asked:
                raise _setting_error(given, name, "compares versions: give --since REV, or use designexport diff")
        return None
    if settings.since is not None and settings.compare_with is not None:
        raise _setting_error(given, "since", "designexport diff compares the two files it is given; drop --since")
    if settings.since is not None and any(str(item) == "-" for item in inputs):
        raise _setting_error(given, "since", "standard input has no history in git; give the file's path")
    from exporter.run.versions import comparison_for  # the comparison's modules load only for one

    start = _existing_start(inputs[0]) if inputs else Path.cwd()
    return comparison_for(
        since=settings.since,
        old_file=settings.compare_with,
        author=settings.author,
        changes_only=settings.changes_only,
        folder=start if start.is_dir() else start.parent,
    )


# --- the batch -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Plan:
    jobs: list[Job]
    refused: list[Diagnostic]  # documents not read, each with the warning that says why
    input_errors: list[str]  # inputs that named no document
    found: list[Source]  # every document the inputs name, excluded ones too: --prune keeps their outputs
    exclude_warnings: list[str]  # exclude patterns that matched nothing


def _gathered(inputs: Sequence[Path], exclude: Sequence[str]) -> Gathered:
    """The documents the inputs name; an invalid exclude pattern, or patterns excluding them all, is a usage error."""
    try:
        gathered = gather_sources(inputs, exclude)
    except PlanError as error:
        raise click.UsageError(str(error)) from None
    problem = gathered.everything_excluded()
    if problem:
        raise click.UsageError(problem)
    return gathered


def _plan(inputs: Sequence[Path], settings: Settings, protected: set[Path]) -> _Plan:
    """The documents to export and where each output goes; a plan that can't work is a usage error."""
    gathered = _gathered(inputs, settings.exclude)
    collected, input_errors = gathered.sources, gathered.errors
    sources, refused = screen_sources(collected, settings.follow_symlinks)
    try:
        compared = settings.since is not None or settings.compare_with is not None
        jobs = plan_jobs(sources, settings.formats, settings.output_dir, protected, compared=compared)
        if settings.shard:
            jobs = shard(jobs, *parse_shard(settings.shard))
        if settings.report:
            check_report_path(settings.report, jobs, [*protected, *(source.path for source in collected)])
    except PlanError as error:
        raise click.UsageError(str(error)) from None
    return _Plan(jobs, refused, input_errors, gathered.found, gathered.warnings())


def _prune(plan: _Plan, output_dir: Path, protected: Sequence[Path], console: BatchConsole) -> PruneResult | None:
    """--prune, once the batch is written; not when an input named no documents, as the tree may be incomplete."""
    if plan.input_errors:
        console.message("--prune: nothing pruned, since an input named no documents")
        return None
    result = prune_outputs(output_dir, plan.found, protected)
    if not console.quiet:
        for line in result.lines():
            console.message(line)
    return result


@dataclass
class _Outcomes:
    """Where each document's outcome goes: the summary (and so the report), the console and the build cache."""

    summary: BatchSummary
    console: BatchConsole
    cache: BuildCache
    suppressed: frozenset[Code]

    def refused(self, warning: Diagnostic) -> None:
        """A document not read at all (a symlink out of its folder, a device); said unless its code is suppressed."""
        shown = visible([warning], self.suppressed)
        self.summary.entries.append(DocumentEntry(warning.source, "skipped", diagnostics=shown))
        if shown and not self.console.quiet:
            self.console.message(str(warning))

    def replayed(self, job: Job) -> bool:
        """True when the build cache has the job's outputs as they are; then it is reported from the cache."""
        cached = self.cache.lookup(job)
        if cached is None:
            return False
        entry = DocumentEntry(
            job.name,
            "skipped",
            cached.records,
            cached.diagnostics,
            input_sha256=cached.input_sha256,
            dependencies=cached.dependencies,
        )
        self.summary.entries.append(entry)
        self.console.job_finished(entry, job)
        return True

    def exported(self, job: Job, result: ExportResult, seconds: float) -> None:
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
        self.summary.entries.append(entry)
        self.cache.store(job, result)
        self.console.job_finished(entry, job)


def _write_report(path: Path, summary: BatchSummary, options: dict[str, object], input_errors: list[str]) -> None:
    try:
        write_atomic(path, report_json(summary, options, input_errors).encode("utf-8"), str(path))
    except ExportError as error:
        click.echo(str(error), err=True)
        sys.exit(1)


# --- new, check ------------------------------------------------------------------------------------------------------


def run_new(
    feature: str, req_id: str, status: str, template_path: Path | None, output: Path | None, force: bool
) -> None:
    """Writes a new document from the template."""
    from exporter.cli.scaffold import TemplateError, document_file_name, render_template  # Jinja2: only here

    target = output or Path(document_file_name(feature))
    if target.exists() and not force:
        click.echo(f"{target}: error: file exists; use --force to overwrite it", err=True)
        sys.exit(1)
    from exporter.run.check import default_template_path

    template = (template_path or default_template_path()).read_text(encoding="utf-8")
    try:
        rendered = render_template(template, feature, req_id, status)
        write_atomic(target, rendered.encode("utf-8"), str(target))
    except (TemplateError, ExportError) as error:
        click.echo(f"{target}: error: {error}", err=True)
        sys.exit(1)
    click.echo(f"wrote {target}")


def run_doctor() -> None:
    """Prints each diagram renderer with its version, or what to install; exits 1 when one is missing, so a CI
    step can require them."""
    from exporter.diagram.external.installed import renderer_statuses

    statuses = renderer_statuses()
    click.echo(f"designexport {exporter.__version__}")
    click.echo("diagram renderers:")
    width = max(len(status.name) for status in statuses)
    for status in statuses:
        shown = status.version if not status.missing else f"missing: {status.missing}"
        click.echo(f"  {status.name:<{width}}  {shown}")
    sys.exit(1 if any(status.missing for status in statuses) else 0)


def run_check(
    ctx: click.Context,
    inputs: tuple[Path, ...],
    output_format: str,
    fail_on_warnings: bool,
    profile: Profile,
    template_path: Path | None,
) -> None:
    """Lints documents and prints findings; exits 1 on errors (or warnings under --strict)."""
    from exporter.run.check import Finding, TemplateSections, default_template_path, load_template_sections

    config = _project_config(inputs, None)
    command_line = command_line_settings(ctx)
    settings = (command_line.over(config.given) if config else command_line).settings
    template = load_template_sections((template_path or default_template_path()).read_text(encoding="utf-8"))
    if settings.required_sections:
        template = TemplateSections(template.bodies, settings.required_sections)
    gathered = _gathered(inputs, settings.exclude)
    collected, errors = gathered.sources, gathered.errors
    for warning in gathered.warnings():
        click.echo(printable(warning), err=True)
    sources, refused = screen_sources(collected)
    shown_refusals = visible(refused, settings.suppress)
    for refusal in shown_refusals:  # a document the export would refuse is not read here either
        click.echo(printable(str(refusal)), err=True)
    files = [source.path for source in sources]
    timeout = settings.timeout or Limits().seconds
    try:
        with interrupts_raised():  # each file is checked in a worker, so the timeout holds in C code too
            outcomes = run_checks(files, template, profile, timeout, settings.suppress)
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
    failing = {"error", "warning"} if fail_on_warnings else {"error"}
    refused_fails = fail_on_warnings and bool(shown_refusals)  # under --strict a refused document fails, as a warning
    sys.exit(1 if errors or refused_fails or any(finding.severity in failing for finding in findings) else 0)
