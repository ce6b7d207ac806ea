"""Toggl Track and Clockify CSV exports, read into time entries.

Columns are found by name (any order, any case; columns timeboxd has no use for are
ignored). Required: Project, Description, Start date, Start time, End date, End time.
Dates: ``YYYY-MM-DD`` (Toggl), ``MM/DD/YYYY`` or ``DD/MM/YYYY`` (Clockify: the order is
worked out from the whole file, month first when every date could be either),
``DD.MM.YYYY``, ``YYYY/MM/DD``. Times: 24-hour ``HH:MM[:SS]`` or 12-hour ``h:mm[:ss] AM``.
The duration columns are ignored: an entry's length comes from its start and end.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Literal

from timeboxd.domain.wallclock import NonexistentLocalTime, to_utc
from timeboxd.errors import ValidationFailed
from timeboxd.schemas.common import MAX_YEAR, MIN_YEAR
from timeboxd.services.imports.common import (
    CsvFile,
    CsvRow,
    Problems,
    Report,
    fail_line,
    fingerprint,
    normalize_name,
)

Source = Literal["toggl", "clockify"]
SourceChoice = Literal["toggl", "clockify", "auto"]
MAX_ENTRIES = 50_000
MAX_NAME = 200
MAX_TAG = 100

ALIASES = {
    "user": "user",
    "member": "user",  # Toggl's newer exports
    "email": "email",
    "client": "client",
    "project": "project",
    "task": "task",
    "description": "description",
    "billable": "billable",
    "tags": "tags",
    "start date": "start_date",
    "start time": "start_time",
    "end date": "end_date",
    "end time": "end_time",
}
REQUIRED = ("project", "description", "start_date", "start_time", "end_date", "end_time")
# How each source spells its columns, to name them in messages as the file does.
SPELLING: dict[Source, dict[str, str]] = {
    "toggl": {
        "user": "User",
        "email": "Email",
        "client": "Client",
        "project": "Project",
        "task": "Task",
        "description": "Description",
        "billable": "Billable",
        "tags": "Tags",
        "start_date": "Start date",
        "start_time": "Start time",
        "end_date": "End date",
        "end_time": "End time",
    },
    "clockify": {
        "user": "User",
        "email": "Email",
        "client": "Client",
        "project": "Project",
        "task": "Task",
        "description": "Description",
        "billable": "Billable",
        "tags": "Tags",
        "start_date": "Start Date",
        "start_time": "Start Time",
        "end_date": "End Date",
        "end_time": "End Time",
    },
}
YEAR_FIRST = re.compile(r"^(\d{4})[-/](\d{1,2})[-/](\d{1,2})$")
YEAR_LAST = re.compile(r"^(\d{1,2})([./-])(\d{1,2})\2(\d{4})$")
CLOCK = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?\s*(?:([AaPp])\.?\s*[Mm]\.?)?$")
TRUE = {"yes", "y", "true", "1"}
FALSE = {"no", "n", "false", "0", ""}


@dataclass(slots=True)
class EntryRow:
    line: int
    key: str  # time_entries.external_id
    start_at: datetime
    end_at: datetime
    description: str
    project: str | None
    client: str | None
    task: str | None
    billable: bool | None
    tags: list[str] = field(default_factory=list)


def source_of(columns: list[str]) -> Source | None:
    """Toggl or Clockify, from the normalized header; None for neither."""
    names = set(columns)
    if not {"start date", "start time"} <= names:
        return None
    clockify = ("duration (", "billable rate", "billable amount")
    return "clockify" if any(c.startswith(clockify) for c in names) else "toggl"


def parse(text: str, choice: SourceChoice, tz_name: str) -> tuple[Source, list[EntryRow], Report]:
    table = CsvFile(text)
    source = source_of(table.columns) if choice == "auto" else choice
    spelling = SPELLING[source or "toggl"]
    positions = table.index_of(ALIASES)
    for name in REQUIRED:
        if name not in positions:
            raise fail_line(
                table.header_line, spelling[name], f"the header has no {spelling[name]!r} column"
            )
    assert source is not None  # a file without the start columns failed just above
    problems = Problems()
    rows = list(table.rows(positions, problems))
    if len(rows) > MAX_ENTRIES:
        raise fail_line(rows[MAX_ENTRIES].line, "file", f"more than {MAX_ENTRIES} entries")
    day_first = _day_first(rows, spelling, problems)
    entries: list[EntryRow] = []
    first_line: dict[str, int] = {}
    report = Report()
    for row in rows:
        try:
            entry = _entry(row, source, spelling, day_first, tz_name)
        except ValidationFailed as exc:
            problems.add(row.line, exc.field, exc.message)
            continue
        except _ZeroLength:
            report.add(row.line, None, f"line {row.line}: ends when it starts (no time tracked)")
            continue
        if entry.key in first_line:
            report.add(
                row.line, None, f"line {row.line}: the same entry as line {first_line[entry.key]}"
            )
            continue
        first_line[entry.key] = row.line
        entries.append(entry)
    problems.raise_if_any()
    return source, entries, report


class _ZeroLength(Exception):
    """Toggl keeps timers stopped as soon as they started; there is nothing to import."""


def _entry(
    row: CsvRow, source: Source, spelling: dict[str, str], day_first: bool, tz_name: str
) -> EntryRow:
    v = row.values
    start = _local(v, "start", spelling, day_first)
    end = _local(v, "end", spelling, day_first)
    if end == start:
        raise _ZeroLength
    if end < start:
        raise ValidationFailed("the entry ends before it starts", field=spelling["end_time"])
    if end - start > timedelta(days=7):
        raise ValidationFailed("an entry cannot last more than 7 days", field=spelling["end_date"])
    start_at = _instant(start, spelling["start_date"], spelling["start_time"], tz_name)
    end_at = _instant(end, spelling["end_date"], spelling["end_time"], tz_name)
    names = {n: _name(v.get(n, ""), spelling[n]) for n in ("project", "client", "task")}
    who = v.get("email") or v.get("user") or ""
    description = v.get("description", "")
    key = fingerprint(
        source,
        who.casefold(),
        start.isoformat(),
        end.isoformat(),
        description,
        *(normalize_name(n or "") for n in names.values()),
    )
    return EntryRow(
        line=row.line,
        key=key,
        start_at=start_at,
        end_at=end_at,
        description=description,
        project=names["project"],
        client=names["client"],
        task=names["task"],
        billable=_billable(v.get("billable", ""), spelling["billable"]),
        tags=_tags(v.get("tags", ""), spelling["tags"]),
    )


def _local(v: dict[str, str], which: str, spelling: dict[str, str], day_first: bool) -> datetime:
    day_field, time_field = spelling[f"{which}_date"], spelling[f"{which}_time"]
    day_text, time_text = v[f"{which}_date"], v[f"{which}_time"]
    if not day_text:
        raise ValidationFailed(f"{day_field} is empty", field=day_field)
    if not time_text:
        raise ValidationFailed(f"{time_field} is empty", field=time_field)
    return datetime.combine(_date(day_text, day_field, day_first), _time(time_text, time_field))


def _date(text: str, name: str, day_first: bool) -> date:
    if m := YEAR_FIRST.match(text):
        year, month, day = int(m[1]), int(m[2]), int(m[3])
    elif m := YEAR_LAST.match(text):
        a, b, year = int(m[1]), int(m[3]), int(m[4])
        month, day = (b, a) if m[2] == "." or day_first else (a, b)
    else:
        raise ValidationFailed(
            f"{name} {text!r} is not a date like 2026-11-24, 11/24/2026 or 24.11.2026",
            field=name,
        )
    # The API's years: an entry it lists, it must take back.
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValidationFailed(
            f"{name} {text!r} must be between {MIN_YEAR} and {MAX_YEAR}", field=name
        )
    try:
        return date(year, month, day)
    except ValueError:
        raise ValidationFailed(f"{name} {text!r} is not a date", field=name) from None


def _time(text: str, name: str) -> time:
    m = CLOCK.match(text)
    if m is None:
        raise ValidationFailed(
            f"{name} {text!r} is not a time like 09:30:00 or 9:30 AM", field=name
        )
    hour, minute, second = int(m[1]), int(m[2]), int(m[3] or 0)
    if m[4]:
        if not 1 <= hour <= 12:
            raise ValidationFailed(f"{name} {text!r} is not a 12-hour time", field=name)
        hour = hour % 12 + (12 if m[4] in "Pp" else 0)
    if hour > 23 or minute > 59 or second > 59:
        raise ValidationFailed(f"{name} {text!r} is not a time of day", field=name)
    return time(hour, minute, second)


def _day_first(rows: list[CsvRow], spelling: dict[str, str], problems: Problems) -> bool:
    """Whether ``01/02/2026`` is the 1st of February, judged from every date in the file."""
    month_first_line = day_first_line = 0
    for row in rows:
        for name in ("start_date", "end_date"):
            m = YEAR_LAST.match(row.values[name])
            if m is None or m[2] == ".":
                continue
            if int(m[1]) > 12 and not day_first_line:
                day_first_line = row.line
            if int(m[3]) > 12 and not month_first_line:
                month_first_line = row.line
    if month_first_line and day_first_line:
        later = max(month_first_line, day_first_line)
        problems.add(
            later,
            spelling["start_date"],
            f"dates are month first on line {month_first_line} and day first on line "
            f"{day_first_line}",
        )
    return bool(day_first_line) and not month_first_line


def _instant(local: datetime, day_name: str, name: str, tz_name: str) -> datetime:
    try:
        instant = to_utc(local.date(), local.time(), tz_name)
    except NonexistentLocalTime as exc:
        raise ValidationFailed(f"{exc} (daylight-saving gap)", field=name) from None
    # Stored in UTC: on the range's first and last days the zone can move it out.
    if not MIN_YEAR <= instant.year <= MAX_YEAR:
        raise ValidationFailed(
            f"{day_name} {local:%Y-%m-%d %H:%M} in {tz_name} is {instant:%Y-%m-%d %H:%M} UTC, "
            f"outside the years {MIN_YEAR}-{MAX_YEAR}",
            field=day_name,
        )
    return instant


def _name(text: str, column: str) -> str | None:
    if len(text) > MAX_NAME:
        raise ValidationFailed(f"{column} is longer than {MAX_NAME} characters", field=column)
    return text or None


def _billable(text: str, column: str) -> bool | None:
    value = text.casefold()
    if not value:
        return None
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise ValidationFailed(f"{column} {text!r} is not Yes or No", field=column)


def _tags(text: str, column: str) -> list[str]:
    tags: dict[str, str] = {}
    for raw in text.split(","):
        name = raw.strip()
        if len(name) > MAX_TAG:
            raise ValidationFailed(f"tag {name[:20]!r}... is longer than {MAX_TAG}", field=column)
        if name:
            tags.setdefault(normalize_name(name), name)
    return list(tags.values())
