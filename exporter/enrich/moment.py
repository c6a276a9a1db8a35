"""The one date every output carries as its creation and modification time.

SOURCE_DATE_EPOCH (https://reproducible-builds.org/specs/source-date-epoch/) wins, so builds are
byte-identical; else the document's `Last Updated` date (midnight UTC); else none, and each backend
uses the current time. A SOURCE_DATE_EPOCH that is set but not a whole number of seconds is ignored
as a date, but still asks for reproducible output: without a Last Updated date the Unix epoch is used
rather than the current time.
"""

from __future__ import annotations

import datetime
import os
import re

from exporter.model.tree import Document

SOURCE_DATE_EPOCH = "SOURCE_DATE_EPOCH"
LAST_UPDATED = "Last Updated"
UNIX_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)

MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}
_MONTH = r"(?P<month_name>[A-Za-z]{3,9})\.?"
_DATE_FORMS = (
    re.compile(r"(?P<year>\d{4})[-/.](?P<month>\d{1,2})[-/.](?P<day>\d{1,2})(?!\d)"),  # 2024-03-05
    re.compile(rf"{_MONTH}\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<year>\d{{4}})(?!\d)"),  # March 5, 2024
    re.compile(rf"(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+{_MONTH},?\s+(?P<year>\d{{4}})(?!\d)"),  # 5 March 2024
)


def document_moment(document: Document) -> datetime.datetime | None:
    """The document's date in UTC (timezone-aware, whole seconds), or None: use the current time."""
    raw_epoch = os.environ.get(SOURCE_DATE_EPOCH, "").strip()
    if raw_epoch:
        from_epoch = epoch_moment(raw_epoch)
        if from_epoch is not None:
            return from_epoch
    last_updated = parse_date(document.metadata_value(LAST_UPDATED))
    if last_updated is not None:
        return last_updated
    return UNIX_EPOCH if raw_epoch else None


def epoch_moment(value: str) -> datetime.datetime | None:
    """Seconds since 1970 as a UTC time, or None when `value` is no such number within datetime's range."""
    if not re.fullmatch(r"[0-9]+", value):
        return None
    try:
        return datetime.datetime.fromtimestamp(int(value), datetime.UTC)
    except (OverflowError, OSError, ValueError):
        return None


def parse_date(text: str) -> datetime.datetime | None:
    """Midnight UTC of the date `text` starts with: 2024-03-05, 2024/03/05, March 5, 2024 or 5 March 2024."""
    text = text.strip()
    for form in _DATE_FORMS:
        match = form.match(text)
        if match is None:
            continue
        parts = match.groupdict()
        month = int(parts["month"]) if parts.get("month") else MONTHS.get(parts["month_name"].casefold(), 0)
        try:
            return datetime.datetime(int(parts["year"]), month, int(parts["day"]), tzinfo=datetime.UTC)
        except ValueError:
            return None
    return None


def w3c_datetime(moment: datetime.datetime) -> str:
    """`moment` as a W3C date-time in UTC, such as 2024-03-05T00:00:00Z."""
    utc = moment.astimezone(datetime.UTC)
    return f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}T{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d}Z"
