"""Values from a fixed set, as the command line and the config file take them: matched without regard to case
(and, for statuses, to runs of spaces), each kept in its canonical spelling, and a typo answered with the value
that was probably meant."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from typing import TypeVar

import click

ChoiceT = TypeVar("ChoiceT", bound=str)


class UnknownChoice(ValueError):
    """A value that is none of the choices; the message names them, and the closest one when there is one."""


def did_you_mean(word: str, choices: Sequence[str]) -> str:
    """`"; did you mean 'check'?"` when one of `choices` is close to `word` (compared without case), else ""."""
    folded = {choice.casefold(): choice for choice in choices}
    close = difflib.get_close_matches(word.casefold(), list(folded), n=1)
    return f"; did you mean {folded[close[0]]!r}?" if close else ""


def canonical_choice(value: str, choices: Sequence[ChoiceT], what: str) -> ChoiceT:
    """The choice `value` names, spelled as the choice is: 'in  review' -> 'In Review'. UnknownChoice otherwise,
    naming every choice: "unknown status 'Approvd'; did you mean 'Approved'? Choose from Draft, ...". Case and
    runs of spaces don't matter."""
    wanted = " ".join(value.split()).casefold()
    for choice in choices:
        if choice.casefold() == wanted:
            return choice
    hint = did_you_mean(value, choices)
    listed = ", ".join(choices)
    raise UnknownChoice(f"unknown {what} {value!r}{hint}{' Choose' if hint else '; choose'} from {listed}")


def statuses() -> tuple[str, ...]:
    """The statuses a design document may have (imported when asked: the presentation rules are not light)."""
    from exporter.enrich.presentation import STATUSES

    return STATUSES


def canonical_status(value: str) -> str:
    """`approved` -> `Approved`; UnknownChoice for a word that is not a status."""
    return canonical_choice(value, statuses(), "status")


def is_theme_path(name: str) -> bool:
    """A theme given as a CSS file rather than a built-in theme's name."""
    return name.endswith(".css") or "/" in name


# --- click callbacks (exporter.cli.main) -----------------------------------------------------------------------------


def theme_option(_ctx: click.Context, param: click.Parameter, value: str) -> str:
    """`--theme Modern` -> `modern`; a CSS file's path is kept as it is, and read later."""
    from exporter.read.theme import available_themes

    if is_theme_path(value):
        return value
    try:
        return canonical_choice(value, available_themes(), "theme")
    except UnknownChoice as error:
        raise click.BadParameter(f"{error}, or a .css file", param=param) from None


def statuses_option(_ctx: click.Context, param: click.Parameter, value: str) -> str:
    """`--watermark-statuses "draft, in review"`: each one a status (in any case), else a usage error."""
    try:
        for item in value.split(","):
            if item.strip():
                canonical_status(item)
    except UnknownChoice as error:
        raise click.BadParameter(str(error), param=param) from None
    return value


def status_option(_ctx: click.Context, param: click.Parameter, value: str) -> str:
    """`new --status in review` -> `In Review`, as the document will say it; a typo gets the status meant."""
    if not value.strip():
        return ""
    try:
        return canonical_status(value)
    except UnknownChoice as error:
        raise click.BadParameter(str(error), param=param) from None
