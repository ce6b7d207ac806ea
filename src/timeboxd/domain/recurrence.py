"""Recurrence rules for block series, expanded with python-dateutil.

A series repeats a wall-clock block on dates; the rule decides only which dates. The rule
must end (COUNT or UNTIL) within 1,000 occurrences and two years of the first date.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time

from dateutil.relativedelta import relativedelta
from dateutil.rrule import rrule, rrulestr

MAX_OCCURRENCES = 1000
MAX_SPAN = relativedelta(years=2)
_ALLOWED_FREQ = {"DAILY", "WEEKLY", "MONTHLY", "YEARLY"}
_UNTIL_Z = re.compile(r"(UNTIL=\d{8}(T\d{6})?)Z", re.IGNORECASE)
_UNTIL_DATE = re.compile(r"(UNTIL=\d{8})(?=;|$)")


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


def expand(rule: str, first: date, at: time = time(0)) -> list[date]:
    """The dates of the series starting at ``first`` (which is always the first date).

    ``at`` is the occurrences' wall-clock start, so an UNTIL with a time compares with it.
    """
    text = normalize(rule)
    parts = dict(p.split("=", 1) for p in text.split(";") if "=" in p)
    if parts.get("FREQ") not in _ALLOWED_FREQ:
        raise InvalidRule("FREQ must be DAILY, WEEKLY, MONTHLY or YEARLY")
    if "COUNT" not in parts and "UNTIL" not in parts:
        raise InvalidRule("the rule must end: add COUNT=n or UNTIL=YYYYMMDD")
    start = datetime.combine(first, at)
    # A date-only UNTIL means "through that day", whatever time the block starts.
    try:
        parsed = rrulestr(_UNTIL_DATE.sub(r"\1T235959", text), dtstart=start)
    except (ValueError, TypeError) as exc:
        raise InvalidRule(f"not a valid RRULE: {exc}") from None
    if not isinstance(parsed, rrule):  # pragma: no cover - a single RRULE never is a set
        raise InvalidRule("give one RRULE value")
    limit = first + MAX_SPAN
    dates: list[date] = [first]
    for occurrence in parsed:
        day = occurrence.date()
        if day == first:
            continue
        if day > limit:
            raise InvalidRule("the series must end within two years of its first date")
        dates.append(day)
        if len(dates) > MAX_OCCURRENCES:
            raise InvalidRule(f"the series must end within {MAX_OCCURRENCES} occurrences")
    return dates
