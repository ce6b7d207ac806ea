"""A syllabus as CSV: ``date,start,end,topic,project``, one block a row.

The header is required and names the columns in any order; ``date``, ``start`` and
``end`` must be there, ``topic`` and ``project`` may be. Any other column is refused, so
that a misspelt ``projcet`` cannot silently drop every project.
"""

from __future__ import annotations

import re
from datetime import date, time

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
from timeboxd.services.imports.planned import MAX_BLOCKS, PlannedBlock
from timeboxd.services.planning.blocks import place

COLUMNS = ("date", "start", "end", "topic", "project")
REQUIRED = ("date", "start", "end")
TIME = re.compile(r"^(\d{1,2}):(\d{2})$")
MAX_TOPIC = 500
MAX_PROJECT = 200


def parse(text: str, tz_name: str) -> tuple[list[PlannedBlock], Report]:
    """Every row checked; all problems raised together, naming their lines."""
    table = CsvFile(text)
    for name, normalized in zip(table.header, table.columns, strict=True):
        if normalized not in COLUMNS:
            raise fail_line(
                table.header_line,
                name,
                f"unknown column {name!r}; the first line must be a header with the "
                f"columns {', '.join(COLUMNS)} (topic and project may be left out)",
            )
    positions = table.index_of({c: c for c in COLUMNS})
    for name in REQUIRED:
        if name not in positions:
            raise fail_line(table.header_line, name, f"the header has no {name!r} column")
    problems = Problems()
    planned: list[PlannedBlock] = []
    first_line: dict[str, int] = {}
    report = Report()
    for row in table.rows(positions, problems):
        try:
            block = _block(row, tz_name)
        except ValidationFailed as exc:
            problems.add(row.line, exc.field, exc.message)
            continue
        if block.key in first_line:
            report.add(
                row.line, None, f"line {row.line}: the same block as line {first_line[block.key]}"
            )
            continue
        first_line[block.key] = row.line
        planned.append(block)
        if len(planned) > MAX_BLOCKS:
            raise fail_line(row.line, "file", f"more than {MAX_BLOCKS} blocks in one import")
    problems.raise_if_any()
    return planned, report


def _block(row: CsvRow, tz_name: str) -> PlannedBlock:
    day = _date(row.values["date"])
    start = _time(row.values["start"], "start")
    end = _time(row.values["end"], "end")
    place(day, start, end, tz_name)  # a daylight-saving gap or an end before the start
    topic = row.values.get("topic", "")
    if len(topic) > MAX_TOPIC:
        raise ValidationFailed(f"topic is longer than {MAX_TOPIC} characters", field="topic")
    project = row.values.get("project", "") or None
    if project is not None and len(project) > MAX_PROJECT:
        raise ValidationFailed(
            f"project name is longer than {MAX_PROJECT} characters", field="project"
        )
    key = fingerprint(
        day.isoformat(), f"{start:%H:%M}", f"{end:%H:%M}", topic, normalize_name(project or "")
    )
    return PlannedBlock(f"csv:{key}", row.line, day, start, end, topic, project)


def _date(value: str) -> date:
    if not value:
        raise ValidationFailed("date is required", field="date")
    try:
        if len(value) != 10 or value[4] != "-" or value[7] != "-":
            raise ValueError
        day = date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed(f"date {value!r} is not YYYY-MM-DD", field="date") from None
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise ValidationFailed(f"date must be between {MIN_YEAR} and {MAX_YEAR}", field="date")
    return day


def _time(value: str, name: str) -> time:
    if not value:
        raise ValidationFailed(f"{name} is required", field=name)
    match = TIME.match(value)
    if match is None or int(match[1]) > 23 or int(match[2]) > 59:
        raise ValidationFailed(
            f"{name} {value!r} is not a time from 00:00 to 23:59 (HH:MM)", field=name
        )
    return time(int(match[1]), int(match[2]))
