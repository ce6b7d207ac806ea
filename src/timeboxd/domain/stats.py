"""Statistics maths: streaks, and time cut into UTC quarter hours read in a local zone.

Tracked time is kept per UTC quarter hour ("slot": seconds since the epoch // 900). Every
zone in use is a whole number of quarter hours from UTC (Asia/Kathmandu +05:45 included), so
each slot lies within one local hour of one local day, whatever zone the account has today.

These constants are the statistics' units for the database too: the rollup triggers and
their rebuild (db/rollups_sql.py) are rendered from them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from timeboxd.domain.wallclock import zone

SLOT = 900  # seconds in a quarter hour, the grain of productive time
SLOTS_PER_DAY = 96
DAY = SLOT * SLOTS_PER_DAY  # seconds in a UTC day, the grain of the long-range rollup
FOCUS_SECONDS = 25 * 60  # a focus session is productive time this long or longer
EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


def epoch(at: datetime) -> int:
    """Whole seconds since the epoch (fractions of a second do not count)."""
    return int(at.timestamp() // 1)


def slot_of(at: datetime) -> int:
    """The slot that begins at or before ``at``; local midnights fall on a slot's start."""
    return epoch(at) // SLOT


def spread(start: int, end: int) -> Iterator[tuple[int, int]]:
    """(slot, seconds) of the epoch-second span [start, end)."""
    slot = start // SLOT
    while slot * SLOT < end:
        yield slot, min(end, (slot + 1) * SLOT) - max(start, slot * SLOT)
        slot += 1


def whole_days(first: int, last: int) -> tuple[list[tuple[int, int]], tuple[int, int]]:
    """Slots [first, last) as the UTC days wholly inside (day numbers [lo, hi)) and the
    slot ranges left at either edge."""
    lo, hi = -(-first // SLOTS_PER_DAY), last // SLOTS_PER_DAY
    if lo >= hi:
        return [(first, last)], (0, 0)
    return [(first, lo * SLOTS_PER_DAY), (hi * SLOTS_PER_DAY, last)], (lo, hi)


@dataclass(frozen=True, slots=True)
class Run:
    """Slots [first, last) that share one UTC offset (``offset`` slots ahead of UTC)."""

    first: int
    last: int
    offset: int

    def day(self, slot: int) -> date:
        return date.fromordinal(EPOCH_ORDINAL + (slot + self.offset) // SLOTS_PER_DAY)

    def hour(self, slot: int) -> int:
        return (slot + self.offset) % SLOTS_PER_DAY // 4


def _offset(slot: int, tz_name: str) -> int:
    at = datetime.fromtimestamp(slot * SLOT, UTC).astimezone(zone(tz_name))
    delta = at.utcoffset() or timedelta(0)
    return int(delta.total_seconds()) // SLOT


def offset_runs(first: int, last: int, tz_name: str) -> list[Run]:
    """[first, last) cut where the zone's offset changes (daylight saving, rule changes).

    The offset is sampled once a day and searched by halves inside a day where it changed,
    so a year costs a few hundred conversions, not 35,000."""
    runs: list[Run] = []
    start, offset = first, _offset(first, tz_name)
    probe = first
    while probe < last - 1:
        sample = min(probe + SLOTS_PER_DAY, last - 1)
        if _offset(sample, tz_name) == offset:
            probe = sample
            continue
        lo, hi = probe, sample  # offset(lo) is the run's, offset(hi) is not
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if _offset(mid, tz_name) == offset:
                lo = mid
            else:
                hi = mid
        runs.append(Run(start, hi, offset))
        start, offset, probe = hi, _offset(hi, tz_name), hi
    runs.append(Run(start, last, offset))
    return [r for r in runs if r.first < r.last]


def current_streak(days: set[date], today: date) -> int:
    """Consecutive days ending today with a completed block; today, not over yet, does not
    break it: with none today, the count ends yesterday."""
    day = today if today in days else today - timedelta(days=1)
    count = 0
    while day in days:
        count += 1
        day -= timedelta(days=1)
    return count


def longest_streak(days: set[date]) -> int:
    best = run = 0
    previous: date | None = None
    for day in sorted(days):
        run = run + 1 if previous is not None and day - previous == timedelta(days=1) else 1
        best = max(best, run)
        previous = day
    return best
