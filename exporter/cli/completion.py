"""Shell completion: `designexport completion bash|zsh|fish` prints the script that teaches the shell our
commands, options and their choices, and the first word's completion (a command, an export option or a file).

Click writes the script (click.shell_completion). The script runs `designexport` with `_DESIGNEXPORT_COMPLETE`
set, and click's `main` then answers with the candidates instead of running a command."""

from __future__ import annotations

import click
from click.shell_completion import CompletionItem, get_completion_class

PROGRAM = "designexport"
COMPLETE_VARIABLE = "_DESIGNEXPORT_COMPLETE"  # the name click derives from PROGRAM; the script sets it
SHELLS = ("bash", "zsh", "fish")


def completion_script(group: click.Group, shell: str) -> str:
    """The script for `shell` (one of SHELLS) that completes `designexport` with `group`'s commands."""
    completion_class = get_completion_class(shell)
    if completion_class is None:
        raise click.BadParameter(f"no completion for {shell!r}; shells: {', '.join(SHELLS)}")
    return completion_class(group, {}, PROGRAM, COMPLETE_VARIABLE).source()


def first_word_items(
    export: click.Command, ctx: click.Context, incomplete: str, items: list[CompletionItem]
) -> list[CompletionItem]:
    """What the first word may be, besides the group's own `items` (its commands and options): `designexport
    --pa` is an export option, `designexport doc` a document, since export is the default command."""
    if incomplete.startswith("-"):
        known = {item.value for item in items}
        return [*items, *(item for item in export.shell_complete(ctx, incomplete) if item.value not in known)]
    # Files first: bash's script starts over at a file item, so the commands after it are kept when some match.
    return [CompletionItem(incomplete, type="file"), *items]
