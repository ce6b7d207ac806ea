"""Wall-clock dates and times in an IANA zone, turned into UTC instants.

SPEC §2: blocks are wall-clock times in the account's zone; a time inside a
daylight-saving gap does not exist and is refused; an ambiguous time (the repeated hour
when clocks go back) means its first occurrence.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class NonexistentLocalTime(ValueError):
    """The wall-clock time falls in a daylight-saving gap."""


@lru_cache(maxsize=512)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def is_valid_zone(name: str) -> bool:
    if not name or name != name.strip():
        return False
    try:
        zone(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        # OSError: a folder of the zone database ("Europe") is not a zone.
        return False
    return True


def to_utc(day: date, at: time, tz_name: str) -> datetime:
    """The UTC instant of a local wall-clock time; raises in a DST gap."""
    tz = zone(tz_name)
    local = datetime.combine(day, at).replace(tzinfo=tz, fold=0)
    instant = local.astimezone(UTC)
    # A wall time in a gap does not survive the round trip back to local time.
    if instant.astimezone(tz).replace(tzinfo=None) != local.replace(tzinfo=None):
        raise NonexistentLocalTime(f"{day} {at:%H:%M} does not exist in {tz_name}")
    return instant


def local_today(now: datetime, tz_name: str) -> date:
    return now.astimezone(zone(tz_name)).date()


def parse_hhmm(value: str) -> time:
    """Strict ``HH:MM`` (24-hour). Raises ValueError otherwise."""
    digits = value[:2] + value[3:]
    # isdigit() alone would take other scripts' digits ("٠٩:٣٠"); HH:MM means ASCII.
    if len(value) != 5 or value[2] != ":" or not (digits.isascii() and digits.isdigit()):
        raise ValueError("time must be HH:MM")
    hour, minute = int(value[:2]), int(value[3:])
    if hour > 23 or minute > 59:
        raise ValueError("time must be HH:MM between 00:00 and 23:59")
    return time(hour, minute)


def parse_date(value: str) -> date:
    """Strict ``YYYY-MM-DD``. Raises ValueError otherwise."""
    if len(value) != 10 or value[4] != "-" or value[7] != "-":
        raise ValueError("date must be YYYY-MM-DD")
    return date.fromisoformat(value)


def to_utc_lenient(day: date, at: time, tz_name: str) -> datetime:
    """Like :func:`to_utc`, but a time in a gap maps forward past the gap instead of failing.

    Used when an account changes zone: existing blocks must keep an instant. fold=0 is
    what makes both halves true: the offset before a gap (so the time lands past it) and
    the first of two repeated times (SPEC §2), as :func:`to_utc` gives.
    """
    tz = zone(tz_name)
    local = datetime.combine(day, at).replace(tzinfo=tz, fold=0)
    return local.astimezone(UTC)
