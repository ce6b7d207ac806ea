"""iCalendar (.ics) events as blocks.

Recurring events are expanded by recurring-ical-events inside a window of local dates
(EXDATE, RDATE and moved occurrences honoured); times are converted from the event's
zone to the account's zone; floating times are read in the account's zone. Every
occurrence gets a key, ``UID`` for a single event and ``UID;RECURRENCE-ID=<start>`` for
an occurrence of a series, so importing the same file again finds its blocks.

A rule is judged before it is expanded: by what its BY parts make of it (an hourly rule
with sixty BYMINUTE values repeats every minute), and by counting its occurrences lazily up
to the window's end, so a rule that would make millions is refused after the limit's worth
of them, never expanded whole.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, Literal

from timeboxd.domain.recurrence import occurrences
from timeboxd.domain.wallclock import zone
from timeboxd.errors import ValidationFailed
from timeboxd.services.imports.common import Problems, Report, fail_line
from timeboxd.services.imports.planned import MAX_BLOCKS, PlannedBlock
from timeboxd.services.planning.blocks import place

if TYPE_CHECKING:
    from icalendar import Calendar, Event

# icalendar, recurring-ical-events and dateutil's rrule are imported where a file is read:
# together they cost a server process a quarter of a second at start for a rare request.

AllDay = Literal["skip", "import"]
MAX_KEY = 500  # the width of blocks.external_uid
DAY_END = time(23, 59)  # a block ends on its own date, so a whole day ends at 23:59
# Rules that would expand into hundreds of thousands of occurrences in one window.
TOO_FREQUENT = ("SECONDLY", "MINUTELY")
# More than one value here repeats a rule within the hour (or the minute), whatever FREQ says.
WITHIN_HOUR = ("BYSECOND", "BYMINUTE")
# Occurrences a rule may have from its DTSTART to the window's end: an expansion walks
# through all of them, the ones before the window too (a daily event since 1900 has 46,000).
MAX_EXPANDED = 10 * MAX_BLOCKS
_UNTIL_Z = re.compile(r"(UNTIL=\d{8}(T\d{6})?)Z", re.IGNORECASE)
MAX_SKIPPED = 5 * MAX_BLOCKS  # all-day events skipped, events crossing midnight, ...
# Properties an event has at most once (RFC 5545, 3.6.1).
SINGLE = ("UID", "DTSTART", "DTEND", "DURATION", "RECURRENCE-ID", "SUMMARY", "STATUS")


@dataclass(frozen=True, slots=True)
class Window:
    """Local dates, both included, of the account's zone."""

    start: date
    end: date


@dataclass(slots=True)
class IcsPlan:
    blocks: list[PlannedBlock]
    skipped: Report
    uids: set[str]  # every UID in the file
    # Keys of every occurrence inside the window, imported or skipped: a block of one of
    # the file's UIDs in the window whose key is not here was cancelled or moved.
    occurring: set[str] = field(default_factory=set)


@dataclass(slots=True)
class _Event:
    uid: str
    position: int


def read_calendar(data: bytes) -> Calendar:
    from icalendar import Calendar

    try:
        calendars = Calendar.from_ical(data, multiple=True)
    except Exception as exc:  # the parser meets any input; some break it in other ways
        raise ValidationFailed(f"not a valid iCalendar file: {exc}", field="file") from None
    if len(calendars) != 1:
        raise ValidationFailed("the file must hold exactly one VCALENDAR", field="file")
    return calendars[0]


def parse(data: bytes, tz_name: str, window: Window, all_day: AllDay) -> IcsPlan:
    from icalendar import Event

    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        raise fail_line(line, "file", "the file holds a NUL character")
    calendar = read_calendar(data)
    problems = Problems()
    groups: dict[str, list[Event]] = defaultdict(list)
    first: dict[str, _Event] = {}
    events = [e for e in calendar.walk("VEVENT") if isinstance(e, Event)]
    found = _event_lines(data)
    lines = [_Lines(found[i] if i < len(found) else {}) for i in range(len(events))]
    for position, event in enumerate(events, start=1):
        uid = _check(event, position, problems, lines[position - 1], window)
        if uid is not None:
            groups[uid].append(event)
            first.setdefault(uid, _Event(uid, position))
    for uid, events in groups.items():
        masters = [e for e in events if "RECURRENCE-ID" not in e]
        if len(masters) > 1:
            where = first[uid].position
            label = lines[where - 1].label(uid, where, "UID")
            problems.add(where, "UID", "is the UID of two events", label)
    problems.raise_if_any()
    plan = IcsPlan([], Report(), set(groups))
    for uid, events in groups.items():
        recurring = any(k in e for e in events for k in ("RRULE", "RDATE", "RECURRENCE-ID"))
        label = lines[first[uid].position - 1].label(uid, first[uid].position, "RRULE")
        for occurrence in _expand(events, first[uid].position, label, window, problems):
            _plan(plan, occurrence, first[uid].position, recurring, tz_name, window, all_day)
        # Stop expanding as soon as the answer is known (a few rules can make millions).
        if len(plan.blocks) > MAX_BLOCKS or plan.skipped.count > MAX_SKIPPED:
            raise _too_many()
    problems.raise_if_any()
    return plan


class _Lines:
    """Where an event's properties are in the file, to name the line in messages."""

    def __init__(self, lines: dict[str, int]) -> None:
        self.lines = lines

    def label(self, uid: str, position: int, prop: str | None) -> str:
        name = f"event {uid}" if uid else f"event #{position}"
        line = self.lines.get(prop or "") or self.lines.get("BEGIN")
        return f"{name} (line {line})" if line else name


def _event_lines(data: bytes) -> list[dict[str, int]]:
    """For each VEVENT in file order: the line of its BEGIN and of each property's first
    appearance (``walk`` finds the events in the same order)."""
    found: list[dict[str, int]] = []
    current: dict[str, int] | None = None
    for number, raw in enumerate(data.split(b"\n"), start=1):
        if raw[:1] in (b" ", b"\t"):
            continue  # a folded line continues the one before
        name = raw.split(b":", 1)[0].split(b";", 1)[0].strip().upper().decode(errors="replace")
        value = raw.split(b":", 1)[1].strip().upper() if b":" in raw else b""
        if name == "BEGIN" and value == b"VEVENT":
            current = {"BEGIN": number}
            found.append(current)
        elif name == "END" and value == b"VEVENT":
            current = None
        elif current is not None:
            current.setdefault(name, number)
    return found


def _check(
    event: Event, position: int, problems: Problems, lines: _Lines, window: Window
) -> str | None:
    """Problems that make an event unreadable; returns its UID."""
    repeated = [name for name in SINGLE if isinstance(event.get(name), list)]
    uid = "" if "UID" in repeated else str(event.get("UID", "")).strip()

    def add(prop: str | None, message: str) -> None:
        problems.add(position, prop, message, lines.label(uid, position, prop))

    for name in repeated:
        add(name, f"has {name} more than once")
    if repeated:
        return None
    if not uid:
        add("UID", "has no UID")
    for prop, message in event.errors:
        add(prop, f"{prop or 'a property'} is not valid ({message})")
    if event.errors:
        return None
    if "DTSTART" not in event:
        add("DTSTART", "has no DTSTART")
        return None
    for name in ("DTSTART", "DTEND"):
        prop = event.get(name)
        tzid = prop.params.get("TZID") if prop is not None else None
        value = prop.dt if prop is not None else None
        if tzid and isinstance(value, datetime) and value.tzinfo is None:
            add(name, f"unknown time zone {tzid!r} in {name}")
            return None
    try:
        start, end = event.start, event.end
    except ValueError as exc:
        add("DTEND", str(exc))
        return None
    if _comparable(end) < _comparable(start):
        add("DTEND", "ends before it starts")
        return None
    rule = event.get("RRULE")
    rules = rule if isinstance(rule, list) else [rule] if rule is not None else []
    for r in rules:
        reason = _too_frequent(r)
        if reason:
            add("RRULE", f"repeats more often than hourly ({reason})")
            return None
    inside = 0
    for index, r in enumerate(rules):
        before, within = _count(r, start, window)
        if before == within == -1:
            # A rule with no date ever (BYMONTH=2;BYMONTHDAY=30) would send the expansion
            # looking for one up to the year 9999: it repeats only DTSTART, so say that.
            from icalendar import vRecur

            rules[index] = vRecur(FREQ="YEARLY", COUNT=1)
            event["RRULE"] = rules if len(rules) > 1 else rules[0]
            continue
        if before > MAX_EXPANDED:
            add(
                "RRULE",
                f"has more than {MAX_EXPANDED} occurrences from DTSTART to the window's end; "
                "a rule this frequent must start later",
            )
            return None
        inside += within
        if inside > MAX_BLOCKS:
            raise _too_many()
    return uid or None


def _too_frequent(rule: Any) -> str | None:
    """Why a rule repeats more often than hourly, judged by every part, not FREQ alone."""
    for freq in rule.get("FREQ", []):
        if str(freq).upper() in TOO_FREQUENT:
            return f"FREQ={str(freq).upper()}"
    for part in WITHIN_HOUR:
        values = set(rule.get(part, []))
        if len(values) > 1:
            return f"{part} lists {len(values)} values"
    return None


def _count(rule: Any, start: date, window: Window) -> tuple[int, int]:
    """The rule's occurrences before the window and inside it (with the expansion's day of
    margin), counted one by one and no further than needed: (before, inside), each at
    most one past its limit; (-1, -1) for a rule that has no occurrence at all. A rule
    dateutil cannot read counts nothing here; the expansion reports it."""
    from dateutil.rrule import rrule, rrulestr

    text = _UNTIL_Z.sub(r"\1", rule.to_ical().decode())
    # Wall-clock times of the event's own zone are close enough to count by date.
    first = start.replace(tzinfo=None) if isinstance(start, datetime) else start
    dtstart = first if isinstance(first, datetime) else datetime.combine(first, time(0))
    low, high = window.start - timedelta(days=1), window.end + timedelta(days=2)
    before = inside = 0
    try:
        parsed = rrulestr(text, dtstart=dtstart, cache=False)
        found = False
        for occurrence in occurrences(parsed) if isinstance(parsed, rrule) else parsed:
            found = True
            day = occurrence.date()
            if day > high:
                break
            if day < low:
                before += 1
                if before > MAX_EXPANDED:
                    break
            else:
                inside += 1
                if inside > MAX_BLOCKS:
                    break
    except (ValueError, TypeError, OverflowError):
        return before, inside
    return (before, inside) if found else (-1, -1)


def _too_many() -> ValidationFailed:
    return ValidationFailed(
        f"the window holds more than {MAX_BLOCKS} events, the most one import "
        "takes; narrow it with from and to",
        field="to",
    )


def _comparable(value: date) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.combine(value, time(0), UTC)


def _expand(
    events: list[Event], position: int, label: str, window: Window, problems: Problems
) -> list[Event]:
    """The occurrences of one UID that touch the window (a day of margin on each side
    for other zones; the exact local dates are checked afterwards)."""
    import recurring_ical_events  # type: ignore[import-untyped]
    from icalendar import Calendar, Event

    series = Calendar()
    for event in events:
        series.add_component(event)
    try:
        query = recurring_ical_events.of(series)
        found = query.between(window.start - timedelta(days=1), window.end + timedelta(days=2))
    except (ValueError, KeyError, TypeError) as exc:
        problems.add(position, "RRULE", f"cannot be expanded ({exc})", label)
        return []
    return [o for o in found if isinstance(o, Event)]


Span = tuple[str, date, time, time]  # key, local date, start, end


def _plan(
    plan: IcsPlan,
    occurrence: Event,
    position: int,
    recurring: bool,
    tz_name: str,
    window: Window,
    all_day: AllDay,
) -> None:
    uid = str(occurrence["UID"]).strip()
    key = uid
    if recurring:
        has_id = "RECURRENCE-ID" in occurrence
        original = occurrence.decoded("RECURRENCE-ID") if has_id else occurrence.start
        key = f"{uid};RECURRENCE-ID={_stamp(original)}"
    if str(occurrence.get("STATUS", "")).upper() == "CANCELLED":
        return  # not occurring: a block imported for it before is stale
    start, end = occurrence.start, occurrence.end
    timed = isinstance(start, datetime)
    try:
        if isinstance(start, datetime) and isinstance(end, datetime):
            spans = _timed(key, start, end, tz_name)
        else:
            spans = _whole_days(key, start, end)
    except _Unfit as exc:
        if window.start <= exc.day <= window.end:
            plan.occurring.add(_fit(key))
            plan.skipped.add(position, uid, f"event {uid} on {exc.day}: {exc.reason}")
        return
    topic = str(occurrence.get("SUMMARY", "")).strip()[:500]
    names = [str(c).strip() for c in occurrence.categories if str(c).strip()]
    project = names[0][:200] if names else None
    spans = [span for span in spans if window.start <= span[1] <= window.end]
    plan.occurring.update(_fit(span[0]) for span in spans)
    if spans and not timed and all_day == "skip":
        plan.skipped.add(position, uid, f"event {uid} on {spans[0][1]}: all day (all_day=skip)")
        return
    for span_key, day, span_start, span_end in spans:
        try:
            place(day, span_start, span_end, tz_name)
        except ValidationFailed as exc:
            plan.skipped.add(position, uid, f"event {uid} on {day}: {exc.message}")
            continue
        plan.blocks.append(
            PlannedBlock(_fit(span_key), position, day, span_start, span_end, topic, project, uid)
        )


class _Unfit(Exception):
    def __init__(self, day: date, reason: str) -> None:
        super().__init__(reason)
        self.day, self.reason = day, reason


def _whole_days(key: str, start: date, end: date) -> list[Span]:
    """An all-day event is one block a day it covers, 00:00 to 23:59 (DTEND is exclusive);
    the first day keeps the event's key so a moved event updates its block."""
    days = max(1, (end - start).days)
    return [
        (key if k == 0 else f"{key};DAY={k}", start + timedelta(days=k), time(0), DAY_END)
        for k in range(days)
    ]


def _timed(key: str, start: datetime, end: datetime, tz_name: str) -> list[Span]:
    """One block in the account's zone; an event ending at midnight ends at 23:59."""
    tz = zone(tz_name)
    local_start = (start.astimezone(tz) if start.tzinfo else start).replace(tzinfo=None)
    local_end = (end.astimezone(tz) if end.tzinfo else end).replace(tzinfo=None)
    day = local_start.date()
    midnight = datetime.combine(day + timedelta(days=1), time(0))
    if local_end > midnight:
        raise _Unfit(day, "crosses midnight in the account's time zone (a block lies in one day)")
    span_end = DAY_END if local_end == midnight else _minute(local_end)
    if span_end <= _minute(local_start):
        raise _Unfit(day, "is shorter than a minute once times are cut to the minute")
    return [(key, day, _minute(local_start), span_end)]


def _minute(value: datetime) -> time:
    return value.time().replace(second=0, microsecond=0)


def _stamp(value: Any) -> str:
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        return value.strftime("%Y%m%dT%H%M%S")
    return f"{value:%Y%m%d}"


def _fit(key: str) -> str:
    """A key that fits the column: very long UIDs are replaced by their hash."""
    if len(key) <= MAX_KEY:
        return key
    return "sha256:" + hashlib.sha256(key.encode()).hexdigest()
