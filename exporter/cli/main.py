"""The `designexport` command line."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click
from click.shell_completion import CompletionItem

from exporter import __version__
from exporter.cli.choices import did_you_mean, status_option, statuses_option, theme_option
from exporter.cli.completion import SHELLS, completion_script, first_word_items
from exporter.cli.destination import complete_formats, complete_output, formats_option, output_option
from exporter.cli.settings import Settings
from exporter.model.diagnostics import Code, UnknownCode, code_named
from exporter.model.limits import MAX_JOBS, MAX_SECONDS, limit_names
from exporter.read.theme import available_themes
from exporter.render.options import PAPERS, PDF_VARIANTS, TOC_DEPTHS

if TYPE_CHECKING:
    from exporter.run.check import Profile

DEFAULTS = Settings()
Decorated = TypeVar("Decorated", bound=Callable[..., Any])

EXAMPLES = """
\b
Examples:
  designexport doc.md --pdf              writes doc.pdf next to doc.md
  designexport doc.md                    writes doc.html, doc.pdf and doc.docx
  designexport docs/ -o out/ --all       every .md under docs/ into out/
  designexport a.md b.md --docx --paper letter
  designexport doc.md -o report.pdf      one document to one file, the format from its extension
  cat doc.md | designexport - -t pdf -o - > doc.pdf
  designexport doc.md --watch            exports again on every save, until Ctrl-C
  designexport serve docs/ --open        a live preview in the browser
  designexport doc.md --since v1.2       doc.diff.html, .pdf, .docx: what changed since the tag v1.2
  designexport diff old.md new.md --docx new.diff.docx, with the changes as Word tracked changes
  designexport --version

\b
Exit codes: 0 all exported, 1 a document failed, 2 usage error.
"""


def finite_seconds(_ctx: click.Context, param: click.Parameter, value: float | None) -> float | None:
    """A positive number of seconds up to a day; `inf` and `nan` are refused, not taken literally."""
    if value is not None and (not math.isfinite(value) or not 0 < value <= MAX_SECONDS):
        raise click.BadParameter(
            f"{value!r} must be a number of seconds above 0 and at most {MAX_SECONDS:g}", param=param
        )
    return value


def diagnostic_codes(_ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> tuple[Code, ...]:
    """`--suppress` values as codes; a typo is a usage error that suggests the code meant."""
    try:
        return tuple(code_named(value) for value in values)
    except UnknownCode as error:
        raise click.BadParameter(str(error), param=param) from None


def metadata_pairs(_ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """`-M KEY=VALUE` values as (key, value) pairs; one without a key and an `=` is a usage error."""
    pairs = []
    for item in values:
        key, equals, value = item.partition("=")
        if not equals or not key.strip():
            raise click.BadParameter(f"expected KEY=VALUE, got {item!r}", param=param)
        pairs.append((key.strip(), value.strip()))
    return tuple(pairs)


def suppress_option(function: Decorated) -> Decorated:
    """`--suppress CODE`, repeatable, for every command that reports diagnostics."""
    return click.option(
        "--suppress",
        multiple=True,
        callback=diagnostic_codes,
        metavar="CODE",
        help="Leave out diagnostics with this code (repeatable), e.g. --suppress broken-link; see docs/diagnostics.md.",
    )(function)


def _export_options_for_diff() -> None:
    """`diff` takes every option of the export command but those that name what to compare or watch."""
    for parameter in export.params:
        if isinstance(parameter, click.Option) and parameter.name not in ("since", "watch"):
            diff.params.append(parameter)


# `check` and `review` print lines a person reads, or JSON for tools.
output_format_option = click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"], case_sensitive=False),
    default="text",
    show_default=True,
)


class DefaultCommandGroup(click.Group):
    """Runs `export` when the first argument is not a subcommand, so `designexport doc.md` works."""

    default_command = "export"

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and not ctx.resilient_parsing:
            self._refuse_mistyped_command(ctx, args[0])
        if not args and ctx.resilient_parsing:  # completing the first word: see shell_complete
            return super().parse_args(ctx, args)
        if not args or (args[0] not in self.commands and args[0] not in ("--help", "-h", "--version")):
            args = [self.default_command, *args]
        return super().parse_args(ctx, args)

    def _refuse_mistyped_command(self, ctx: click.Context, word: str) -> None:
        """`designexport chek doc.md` is a usage error naming `check`, before anything is exported; a word that
        is a file, or looks like a path (a suffix, a slash, a wildcard), is a document as ever."""
        if word in self.commands or word.startswith("-") or Path(word).suffix or set("/*?[") & set(word):
            return
        hint = did_you_mean(word, sorted(self.commands))
        if hint and not Path(word).exists():
            raise click.UsageError(f"no such command {word!r}{hint}", ctx)

    def shell_complete(self, ctx: click.Context, incomplete: str) -> list[CompletionItem]:
        """The first word: a command, an export option, or a document."""
        items = super().shell_complete(ctx, incomplete)
        return first_word_items(self.commands[self.default_command], ctx, incomplete, items)

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
    "-t",
    "--to",
    "to_formats",
    multiple=True,
    callback=formats_option,
    shell_complete=complete_formats,
    metavar="FORMAT[,FORMAT]",
    help="Formats to write, as the flags ask: html, pdf, docx (repeatable or comma-separated).",
)
@click.option(
    "-o",
    "--output",
    "--output-dir",
    "output_dir",
    callback=output_option,
    shell_complete=complete_output,
    metavar="FILE|DIR/|-",
    help="FILE.pdf, .html or .docx: the one document there, in that format; DIR/ (or an existing folder): "
    "every output under it, mirroring the input folders; -: to standard output. Default: next to each input.",
)
@click.option(
    "--paper",
    type=click.Choice(PAPERS, case_sensitive=False),
    default=DEFAULTS.paper,
    show_default=True,
    help="Page size.",
)
@click.option("--number-sections", is_flag=True, help="Number headings 1, 1.1, 1.1.1 in every output.")
@click.option(
    "--toc-depth",
    type=click.IntRange(TOC_DEPTHS[0], TOC_DEPTHS[-1]),
    default=DEFAULTS.toc_depth,
    show_default=True,
    help="Heading levels in the TOC.",
)
@click.option("--no-toc", is_flag=True, help="Leave out the table of contents.")
@click.option("--no-smart", is_flag=True, help='Keep quotes, "--" and "..." as typed, not typographic.')
@click.option("--no-diagrams", is_flag=True, help="Keep every text diagram as monospace text on its grid, not drawn.")
@click.option(
    "--theme",
    default=DEFAULTS.theme,
    show_default=True,
    callback=theme_option,
    metavar="NAME|FILE.css",
    help=f"Built-in theme ({', '.join(available_themes())}) or your own CSS file.",
)
@click.option(
    "--pdf-variant",
    type=click.Choice(PDF_VARIANTS, case_sensitive=False),
    help="pdf/ua-1: tagged, accessible PDF; pdf/a-3b: archival PDF.",
)
@click.option("--logo", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="Image for the PDF cover.")
@click.option("--organization", default="", help="Organisation name for the PDF cover.")
@click.option("--title", default="", metavar="TEXT", help="The document's title, over its front matter and headings.")
@click.option(
    "-M",
    "--metadata",
    multiple=True,
    callback=metadata_pairs,
    metavar="KEY=VALUE",
    help="Set a metadata key as pandoc's -M does (repeatable), e.g. -M status=Approved; an empty value removes it.",
)
@click.option(
    "--reference-docx",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A Word file whose named styles the DOCX takes (like pandoc's --reference-doc).",
)
@click.option("--no-watermark", is_flag=True, help="No status watermark on PDF and DOCX pages.")
@click.option(
    "--watermark-statuses",
    default="",
    callback=statuses_option,
    metavar="LIST",
    help='Statuses that get a watermark, comma-separated (default: all but Approved), e.g. "draft,in review".',
)
@click.option("--strict", is_flag=True, help="Fail a document whose check finds errors (placeholders, broken links).")
@click.option(
    "--since",
    metavar="REV",
    help="Compare each document with itself at a git revision (a tag, a branch, HEAD~3): doc.diff.pdf and so on, "
    "with the changes shown as tracked changes in Word and redlined in HTML and PDF.",
)
@click.option(
    "--author",
    metavar="NAME",
    default="",
    help="Who the tracked changes are by, with --since or diff [default: git's user.name].",
)
@click.option(
    "--changes-only", is_flag=True, help="With --since or diff: keep only the changed sections and their headings."
)
@suppress_option
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1, max=MAX_JOBS),
    default=None,
    help="Worker processes [default: CPU count; 1: one document at a time].",
)
@click.option(
    "--timeout",
    type=float,
    callback=finite_seconds,
    help="Fail a document after this many seconds [default: 600, the 'seconds' limit].",
)
@click.option(
    "--asset-root",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Let documents load images from anywhere below this folder (inside the project), not only their own folder.",
)
@click.option(
    "--allow-asset-root-outside",
    is_flag=True,
    help="Accept an --asset-root outside the project folder (never / itself).",
)
@click.option(
    "--follow-symlinks",
    is_flag=True,
    help="Export documents reached through symlinks that lead out of their folder (never into /proc, /sys, /dev).",
)
@click.option(
    "--allow-remote",
    is_flag=True,
    help="Download http(s) images (never from loopback, link-local or private addresses).",
)
@click.option(
    "--limit",
    "limits",
    multiple=True,
    metavar="NAME=VALUE",
    help=f"Raise or lower a limit (repeatable): {', '.join(limit_names())}.",
)
@click.option(
    "--exclude",
    multiple=True,
    metavar="GLOB",
    help="Skip documents matching this gitignore pattern, relative to the input folder or to here (repeatable).",
)
@click.option("--shard", metavar="K/N", help="Export only the K-th of N slices of the inputs (for CI matrices).")
@click.option("--report", type=click.Path(dir_okay=False, path_type=Path), help="Write a JSON manifest.")
@click.option("--force", is_flag=True, help="Export even documents the build cache says are unchanged.")
@click.option(
    "--prune",
    is_flag=True,
    help="Afterwards, remove from -o the outputs it holds of documents that no longer exist, and list them.",
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Settings file (default: designexport.toml or [tool.designexport] in pyproject.toml, found upwards).",
)
@click.option(
    "--watch",
    is_flag=True,
    help="Keep running: export again whenever a document, an image it shows, the theme or the config changes.",
)
@click.option("-q", "--quiet", is_flag=True, help="Print only errors.")
@click.option("-v", "--verbose", is_flag=True, help="Print every document's timings and cached warnings too.")
@click.pass_context
def export(
    ctx: click.Context, /, inputs: tuple[Path, ...], config_path: Path | None, watch: bool, **_settings: object
) -> None:
    """Export Markdown design documents (files, folders, globs, or - for standard input) to HTML, PDF and DOCX."""
    if watch:
        from exporter.cli.watch import run_watch

        run_watch(ctx, inputs, config_path)
    from exporter.cli.commands import run_export

    run_export(ctx, inputs, config_path)


@main.command(
    "diff",
    epilog="""
\b
Examples:
  designexport diff old.md new.md              new.diff.html, new.diff.pdf and new.diff.docx
  designexport diff v1/doc.md doc.md --docx -o review/
  designexport diff old.md new.md --changes-only --pdf
""",
)
@click.argument("compare_with", metavar="OLD", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("new_version", metavar="NEW", type=click.Path(path_type=Path))
@click.pass_context
def diff(
    ctx: click.Context, /, compare_with: Path, new_version: Path, config_path: Path | None, **_settings: object
) -> None:
    """Compare two versions of a document: NEW with OLD's deleted text put back, every change marked (tracked
    changes in Word, redlined HTML and PDF) and summed up at the top. Takes the export command's options."""
    from exporter.cli.commands import run_export

    run_export(ctx, (new_version,), config_path)


@main.command(
    "review",
    epilog="""
\b
Examples:
  designexport review doc.reviewed.docx              doc.md:12:5: comment (Ann, 2026-12-04): ...
  designexport review doc.docx --format json
  designexport review doc.docx --apply               writes the reviewer's text edits into doc.md

\b
Exit codes: 0 read (what could not be applied is listed), 1 the Word file or its source can't be read or written,
2 usage error.
""",
)
@click.argument("reviewed", metavar="REVIEWED.docx", type=click.Path(dir_okay=False, path_type=Path))
@output_format_option
@click.option("--apply", is_flag=True, help="Write the suggestions that are plain text edits into the Markdown.")
@click.option(
    "--source",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The Markdown the Word file was exported from (default: the one its anchors name, next to it).",
)
@click.option("-q", "--quiet", is_flag=True, help="Print only the comments and suggestions, and errors.")
def review(reviewed: Path, output_format: str, apply: bool, source: Path | None, quiet: bool) -> None:
    """Bring a reviewed Word file's comments and tracked changes back to the lines of the Markdown it came from."""
    from exporter.cli.review import run_review

    run_review(reviewed, output_format.lower(), apply, source, quiet)


@main.command("new")
@click.argument("feature")
@click.option("--req", "req_id", required=True, help="Requirement id, such as PAY-142.")
@click.option(
    "--status",
    default="",
    callback=status_option,
    help="Status instead of the template's Draft: In Review, Approved, ... (any case).",
)
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
    from exporter.cli.commands import run_new

    run_new(feature, req_id, status, template_path, output, force)


@main.command("serve")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on; only this machine can connect unless you name another (0.0.0.0: every network).",
)
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="0: any free port.")
@click.option("--open", "open_browser", is_flag=True, help="Open the page in the web browser.")
@click.option(
    "--config",
    "config_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Settings file (default: designexport.toml or [tool.designexport] in pyproject.toml, found upwards).",
)
def serve(inputs: tuple[Path, ...], host: str, port: int, open_browser: bool, config_path: Path | None) -> None:
    """Preview documents in the browser: HTML re-rendered and the page reloaded on every change."""
    from exporter.cli.serve import run_serve

    run_serve(inputs, host, port, open_browser, config_path)


@main.command("doctor")
def doctor() -> None:
    """List the diagram renderers this machine has (Mermaid, Graphviz, PlantUML) and what to install for the rest."""
    from exporter.cli.commands import run_doctor

    run_doctor()


@main.command("check")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@output_format_option
@click.option("--strict", "fail_on_warnings", is_flag=True, help="Fail (exit 1) on warnings too.")
@click.option(
    "--profile",
    type=click.Choice(["template", "none"], case_sensitive=False),
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
@click.option(
    "--timeout",
    type=float,
    callback=finite_seconds,
    help="Fail a document's check after this many seconds [default: 600, the 'seconds' limit].",
)
@suppress_option
@click.pass_context
def check(
    ctx: click.Context,
    /,
    inputs: tuple[Path, ...],
    output_format: str,
    fail_on_warnings: bool,
    profile: Profile,
    template_path: Path | None,
    **_settings: object,
) -> None:
    """Lint design documents: placeholders, boilerplate, empty or missing sections, broken links."""
    from exporter.cli.commands import run_check

    run_check(ctx, inputs, output_format, fail_on_warnings, profile, template_path)


@main.command("completion")
@click.argument("shell", type=click.Choice(SHELLS, case_sensitive=False), metavar="SHELL")
@click.pass_context
def completion(ctx: click.Context, shell: str) -> None:
    """Print the shell completion script: eval "$(designexport completion bash)" (the README says where to keep it)."""
    root = ctx.find_root().command
    assert isinstance(root, click.Group)
    click.echo(completion_script(root, shell), nl=False)


_export_options_for_diff()
