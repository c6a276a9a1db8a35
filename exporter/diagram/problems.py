"""Ragged spots of a text diagram, worth a warning whether or not it converts: strokes that miss each
other by one cell, corners turning into nothing, arrows pointing at nothing."""

from __future__ import annotations

from collections.abc import Mapping

from exporter.diagram.grid import (
    ARROW_GLYPHS,
    ASCII_ARROWS,
    BLANK,
    CROSSING,
    DIRECTION_NAMES,
    OPPOSITE,
    ORTHOGONAL,
    PERPENDICULAR,
    E,
    N,
    S,
    W,
    bits,
    line_glyphs,
)
from exporter.diagram.strokes import ARROW_KINDS, CORNER, GLYPH, JOINT, Strokes

Problem = tuple[int, int, str]  # (row from 0, column from 1, message)

# How far an arrow may point across blank cells before it points at nothing.
ARROW_REACH = 8


def find_problems(strokes: Strokes, title_ends: Mapping[int, int] | None = None) -> list[Problem]:
    """Every ragged spot, in reading order. `title_ends` are the loose ends either side of box titles
    (`boxes.title_gap_ends`): breaking off there is meant."""
    title_ends = title_ends or {}
    found: list[Problem] = []
    reported: set[frozenset[int]] = set()
    glyphs = line_glyphs()
    for index in sorted(strokes.active):
        row, column = divmod(index, strokes.columns)
        char = strokes.cell(index)
        kind = strokes.kind[index]
        if kind in ARROW_KINDS:
            if strokes.arms[index] & OPPOSITE[strokes.pointing[index]] and _points_at_nothing(strokes, index):
                found.append((row, column + 1, f"arrow '{char}' points at nothing"))
            continue
        loose = strokes.stubs[index] & ORTHOGONAL & ~title_ends.get(index, 0)
        if kind == JOINT and bin(strokes.link[index]).count("1") == 1:
            loose = PERPENDICULAR[strokes.link[index]]  # a corner that turns nowhere
        for direction in bits(loose):
            miss = _near_miss(strokes, index, direction)
            if miss is not None:
                if frozenset((index, miss)) not in reported:
                    reported.add(frozenset((index, miss)))
                    found.append((row, column + 1, _miss_message(strokes, index, miss, direction)))
            elif kind == GLYPH and _turns(glyphs[char].wants):
                message = f"'{char}' has a line going {DIRECTION_NAMES[direction]} to nothing"
                found.append((row, column + 1, message))
    for source, target in sorted(strokes.touch):
        corner = _corner_beside(strokes, source, target)
        if corner is not None and frozenset((source, corner)) not in reported:
            reported.add(frozenset((source, corner)))
            row, column = divmod(source, strokes.columns)
            direction = strokes.direction(source, target)
            found.append((row, column + 1, _miss_message(strokes, source, corner, direction)))
    return sorted(found)


def _corner_beside(strokes: Strokes, source: int, target: int) -> int | None:
    """A corner next to where a line end touches the side of another line, turning toward nothing:
    the line was meant to end at that corner (`|` over `-+` one column short)."""
    if strokes.kind[source] in ARROW_KINDS:
        return None
    direction = strokes.direction(source, target)
    for side in bits(PERPENDICULAR[direction]):
        corner = strokes.neighbour(target, side)
        if (
            corner in strokes.active
            and strokes.kind[corner] in (JOINT, CORNER, GLYPH)
            and strokes.link[corner] == OPPOSITE[side]
            and strokes.neighbour(corner, OPPOSITE[direction]) not in strokes.active
        ):
            return corner
    return None


def _points_at_nothing(strokes: Strokes, index: int) -> bool:
    """Whether only blank cells lie ahead of an arrowhead; one ending a slanted line may point along it
    or the way its character does (`\\` then `>  done`)."""
    pointing = strokes.pointing[index]
    if strokes.link[index] & CROSSING[pointing]:
        return False  # it stands on the side of a box or line
    char = strokes.cell(index)
    own = ARROW_GLYPHS.get(char) or ASCII_ARROWS.get(char, pointing)
    return all(_blank_ahead(strokes, index, direction) for direction in {pointing, own})


def _blank_ahead(strokes: Strokes, index: int, direction: int) -> bool:
    current = index
    for _ in range(ARROW_REACH):
        current = strokes.neighbour(current, direction)
        if current < 0:
            return True
        if strokes.cell(current) != BLANK:
            return False
    return True


def _near_miss(strokes: Strokes, index: int, direction: int) -> int | None:
    """A stroke beside the blank cell this loose end points into, one cell off, that wants to meet it."""
    target = strokes.neighbour(index, direction)
    if target < 0 or target in strokes.active:
        return None
    for side in bits(PERPENDICULAR[direction]):
        other = strokes.neighbour(target, side)
        if (
            other >= 0
            and strokes.wants.get(other, 0) & OPPOSITE[direction]
            and not strokes.link.get(other, 0) & OPPOSITE[direction]
            and strokes.kind[other] not in ARROW_KINDS
        ):
            return other
    return None


def _miss_message(strokes: Strokes, index: int, other: int, direction: int) -> str:
    row, column = divmod(index, strokes.columns)
    other_row, other_column = divmod(other, strokes.columns)
    char, other_char = strokes.cell(index), strokes.cell(other)
    if direction in (N, S):
        where = "below" if direction == S else "above"
        side = "right" if other_column > column else "left"
        return f"'{char}' does not meet the '{other_char}' {where} it, which is one column to the {side}"
    where = "right" if direction == E else "left"
    side = "down" if other_row > row else "up"
    return f"'{char}' does not meet the '{other_char}' to its {where}, which is one row {side}"


def _turns(wants: int) -> bool:
    return wants not in (N | S, E | W)
