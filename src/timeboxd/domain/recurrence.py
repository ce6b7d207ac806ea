"""Recurrence rules for block series, expanded with python-dateutil.

A series repeats a wall-clock block on dates; the rule decides only which dates. The rule
must end (COUNT or UNTIL) within 1,000 occurrences and two years of the first date.

Rules are checked against RFC 5545 (3.3.10) before dateutil sees them: dateutil takes
more (``BYEASTER``, ``COUNT=0``, ``COUNT`` with ``UNTIL``) and reads some of it in ways
no calendar would. ``BYHOUR``, ``BYMINUTE`` and ``BYSECOND`` are taken only when they
name the block's own start (``BYHOUR=9`` for a 09:00 block): any other value would
repeat the block within a day at other times, which a series of one block a day cannot be.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import MAXYEAR, date, datetime, time

from dateutil.relativedelta import relativedelta
from dateutil.rrule import rrule, rrulestr

MAX_OCCURRENCES = 1000
MAX_SPAN = relativedelta(years=2)
# The Gregorian calendar repeats itself every 400 years, weekdays and leap days included.
_CYCLE = 400
# A rule is followed for this many years past its start at least (see ``occurrences``).
_LOOKAHEAD = 50
_ALLOWED_FREQ = {"DAILY", "WEEKLY", "MONTHLY", "YEARLY"}
_UNTIL_Z = re.compile(r"(UNTIL=\d{8}(T\d{6})?)Z", re.IGNORECASE)
_UNTIL_DATE = re.compile(r"(UNTIL=\d{8})(?=;|$)")
_UNTIL = re.compile(r"\d{8}(T\d{6})?")
_WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_BYDAY = re.compile(r"([+-]?)(\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)")
_NUMBER = re.compile(r"([+-]?)(\d{1,3})")
_POSITIVE = re.compile(r"\d{1,9}")
# Number lists: (lowest, highest, signed) as RFC 5545 allows them; signed ones exclude 0.
_LISTS = {
    "BYSECOND": (0, 60, False),
    "BYMINUTE": (0, 59, False),
    "BYHOUR": (0, 23, False),
    "BYMONTHDAY": (1, 31, True),
    "BYYEARDAY": (1, 366, True),
    "BYWEEKNO": (1, 53, True),
    "BYMONTH": (1, 12, False),
    "BYSETPOS": (1, 366, True),
}
_PARTS = {"FREQ", "UNTIL", "COUNT", "INTERVAL", "BYDAY", "WKST", *_LISTS}
# Parts RFC 5545 forbids with some frequencies.
_NOT_WITH = {
    "BYMONTHDAY": {"WEEKLY"},
    "BYYEARDAY": {"DAILY", "WEEKLY", "MONTHLY"},
    "BYWEEKNO": {"DAILY", "WEEKLY", "MONTHLY"},
}


class InvalidRule(ValueError):
    """The rule cannot define a finite series of dates."""


def normalize(rule: str) -> str:
    """One RRULE value without its ``RRULE:`` prefix, upper-cased; UNTIL read as local."""
    text = rule.strip()
    if text.upper().startswith("RRULE:"):
        text = text[6:]
    if not text or "\n" in text or ":" in text:
        raise InvalidRule("give one RRULE value, e.g. FREQ=WEEKLY;BYDAY=MO,WE;COUNT=10")
    return _UNTIL_Z.sub(r"\1", text.upper())


def parts_of(text: str, at: time) -> dict[str, str]:
    """The rule's parts, each checked; ``at`` is the block's start."""
    parts: dict[str, str] = {}
    for item in text.split(";"):
        name, eq, value = item.partition("=")
        if not eq:
            raise InvalidRule(f"{item!r} is not a rule part NAME=VALUE")
        if name not in _PARTS:
            raise InvalidRule(f"{name} is not a rule part of RFC 5545")
        if name in parts:
            raise InvalidRule(f"{name} is given twice")
        if not value:
            raise InvalidRule(f"{name} has no value")
        parts[name] = value
    freq = parts.get("FREQ")
    if freq not in _ALLOWED_FREQ:
        raise InvalidRule("FREQ must be DAILY, WEEKLY, MONTHLY or YEARLY")
    if "COUNT" in parts and "UNTIL" in parts:
        raise InvalidRule("COUNT and UNTIL cannot both be given (RFC 5545)")
    if "COUNT" not in parts and "UNTIL" not in parts:
        raise InvalidRule("the rule must end: add COUNT=n or UNTIL=YYYYMMDD")
    for name in ("COUNT", "INTERVAL"):
        if name in parts and (not _POSITIVE.fullmatch(parts[name]) or int(parts[name]) < 1):
            raise InvalidRule(f"{name} must be a whole number from 1 to 999999999")
    if "UNTIL" in parts and not _UNTIL.fullmatch(parts["UNTIL"]):
        raise InvalidRule("UNTIL must be YYYYMMDD or YYYYMMDDTHHMMSS[Z]")
    if "WKST" in parts and parts["WKST"] not in _WEEKDAYS:
        raise InvalidRule("WKST must be one of MO, TU, WE, TH, FR, SA, SU")
    for name, (low, high, signed) in _LISTS.items():
        if name in parts:
            _numbers(name, parts[name], low, high, signed)
        if name in parts and freq in _NOT_WITH.get(name, ()):
            raise InvalidRule(f"{name} cannot be used with FREQ={freq} (RFC 5545)")
    if "BYDAY" in parts:
        _days(parts["BYDAY"], freq, "BYWEEKNO" in parts)
    if "BYSETPOS" in parts and not any(p.startswith("BY") and p != "BYSETPOS" for p in parts):
        raise InvalidRule("BYSETPOS needs another BY part to pick from (RFC 5545)")
    own = {"BYHOUR": at.hour, "BYMINUTE": at.minute, "BYSECOND": at.second}
    for name, wanted in own.items():
        if name in parts and [int(v) for v in parts[name].split(",")] != [wanted]:
            raise InvalidRule(
                f"{name}={parts[name]} would repeat the block at other times of day; a "
                f"series has one block a day at its start ({at:%H:%M}): leave {name} out"
            )
    return parts


def _numbers(name: str, value: str, low: int, high: int, signed: bool) -> None:
    for item in value.split(","):
        m = _NUMBER.fullmatch(item)
        number = int(m[2]) if m else -1
        if m is None or (m[1] and not signed) or not low <= number <= high:
            span = f"±{low}..{high}" if signed else f"{low}..{high}"
            raise InvalidRule(f"{name} takes numbers {span}, not {item!r}")


def _days(value: str, freq: str, by_week: bool) -> None:
    for item in value.split(","):
        m = _BYDAY.fullmatch(item)
        if m is None or (m[2] is not None and not 1 <= int(m[2]) <= 53) or (m[1] and not m[2]):
            raise InvalidRule(f"BYDAY takes weekdays like MO or 2TU or -1FR, not {item!r}")
        if m[2] is not None and (freq not in ("MONTHLY", "YEARLY") or by_week):
            raise InvalidRule(
                f"BYDAY={item} numbers a weekday, which only FREQ=MONTHLY or YEARLY without "
                "BYWEEKNO can (RFC 5545)"
            )


def expand(rule: str, first: date, at: time = time(0)) -> list[date]:
    """The dates of the series starting at ``first`` (which is always the first date).

    ``at`` is the occurrences' wall-clock start, so an UNTIL with a time compares with it.
    """
    text = normalize(rule)
    parts_of(text, at)
    start = datetime.combine(first, at)
    # A date-only UNTIL means "through that day", whatever time the block starts.
    try:
        parsed = rrulestr(_UNTIL_DATE.sub(r"\1T235959", text), dtstart=start)
    except (ValueError, TypeError, OverflowError) as exc:
        raise InvalidRule(f"not a valid RRULE: {exc}") from None
    if not isinstance(parsed, rrule):  # pragma: no cover - a single RRULE never is a set
        raise InvalidRule("give one RRULE value")
    limit = first + MAX_SPAN
    dates: list[date] = [first]
    try:
        for occurrence in occurrences(parsed):
            day = occurrence.date()
            if day <= dates[-1]:
                continue  # the first date, given always; one block a day
            if day > limit:
                raise InvalidRule("the series must end within two years of its first date")
            dates.append(day)
            if len(dates) > MAX_OCCURRENCES:
                raise InvalidRule(f"the series must end within {MAX_OCCURRENCES} occurrences")
    except (ValueError, OverflowError) as exc:  # InvalidRule is a ValueError too
        if isinstance(exc, InvalidRule):
            raise
        raise InvalidRule("the series must end within two years of its first date") from None
    return dates


def occurrences(parsed: rrule) -> Iterator[datetime]:
    """The occurrences of a rule with a naive start, in order, for at least 50 years.

    dateutil looks for the next occurrence one period at a time up to the year 9999, so a
    daily rule that never matches (``BYMONTH=2;BYMONTHDAY=30``) costs seconds of CPU to
    say so. The rule is walked 400 years later instead (the same calendar, to the weekday),
    as near 9999 as leaves room for the look-ahead, and its dates moved back: the walk to
    the end of time is then at most ~450 years. Occurrences more than 50 years after the
    start may be missing; no caller looks that far.
    """
    start: datetime = parsed._dtstart  # type: ignore[attr-defined]  # dateutil keeps it there
    shift = (MAXYEAR - _LOOKAHEAD - start.year) // _CYCLE * _CYCLE
    if shift <= 0:
        yield from parsed
        return
    own: datetime | None = parsed._until  # type: ignore[attr-defined]
    try:
        until = own.replace(year=own.year + shift) if own else None
    except ValueError:  # past the year 9999: the walk ends there anyway
        until = None
    later = parsed.replace(dtstart=start.replace(year=start.year + shift), until=until)
    for occurrence in later:
        yield occurrence.replace(year=occurrence.year - shift)
