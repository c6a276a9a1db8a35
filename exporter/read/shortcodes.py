"""Emoji shortcodes such as `:warning:` and the characters they stand for. The only module that imports emoji."""

from __future__ import annotations

import re
from functools import cache

# A shortcode as GitHub writes them (gemoji names): lower-case letters, digits, `_`, `+` and `-` between colons.
SHORTCODE = re.compile(r":([a-z0-9_+-]+):")


@cache
def _emoji_by_name() -> dict[str, str]:
    """Every shortcode the emoji package knows: GitHub's names first (its aliases), then Unicode's own."""
    import emoji  # loaded by the first document that holds a shortcode, not at start-up

    names: dict[str, str] = {}
    for character, data in emoji.EMOJI_DATA.items():
        for alias in data.get("alias", ()):
            names.setdefault(alias.strip(":"), character)
    for character, data in emoji.EMOJI_DATA.items():
        names.setdefault(str(data["en"]).strip(":"), character)
    return names


def emoji_for(name: str) -> str | None:
    """The emoji `:name:` stands for, or None when it names none (GitHub's own pictures such as :octocat:)."""
    return _emoji_by_name().get(name)
