"""Local calendar days and weeks of instants, in an IANA zone (SPEC §2: every day boundary
is the account's local midnight)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta

from timeboxd.domain.wallclock import to_utc_lenient, zone

WEEKDAY_OF_START = {"monday": 0, "sunday": 6}


def local_midnight(day: date, tz_name: str) -> datetime:
    """The UTC instant a local day begins (past the gap where a zone skips midnight)."""
    return to_utc_lenient(day, time(0), tz_name)


def split_by_day(start: datetime, end: datetime, tz_name: str) -> Iterator[tuple[date, int]]:
    """The seconds of [start, end) on each local day it touches, in order. The pieces add up
    to the whole span's seconds (each piece is measured between exact instants, and whole
    seconds are taken once, at the end)."""
    if end <= start:
        return
    day = start.astimezone(zone(tz_name)).date()
    cursor, taken, total = start, 0, int((end - start).total_seconds())
    while cursor < end:
        boundary = local_midnight(day + timedelta(days=1), tz_name)
        piece_end = min(end, boundary)
        if piece_end > cursor:
            elapsed = int((piece_end - start).total_seconds())
            yield day, elapsed - taken
            taken = elapsed
        cursor = piece_end
        day += timedelta(days=1)
    assert taken == total


def week_of(day: date, week_start: str) -> date:
    """The first day of the calendar week holding ``day`` (weeks start monday or sunday)."""
    first = WEEKDAY_OF_START.get(week_start, 0)
    return day - timedelta(days=(day.weekday() - first) % 7)
