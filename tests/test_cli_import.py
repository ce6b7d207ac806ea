"""``timeboxd import FILE --email E``: the same imports on the configured database, with a
summary on success and the error (with its lines) and a non-zero exit otherwise."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner, Result
from icalendar import Calendar, Event

from tests.conftest import Persona
from tests.factories import CLOCKIFY, TOGGL
from timeboxd.cli import main
from timeboxd.services.imports import ics

SYLLABUS = "date,start,end,topic,project\n2026-12-01,09:00,10:30,Kinetics,Chemistry\n"


@pytest.fixture
def run(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("TIMEBOXD_DATABASE_URL", database_url)
    monkeypatch.setenv("TIMEBOXD_DATA_DIR", str(tmp_path))

    def invoke(name: str, content: str | bytes, *args: str) -> Result:
        path = tmp_path / name
        path.write_bytes(content.encode() if isinstance(content, str) else content)
        return CliRunner().invoke(main, ["import", str(path), *args])

    return invoke


def lectures() -> bytes:
    start = datetime(2026, 12, 7, 9, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    event = Event.new(
        uid="lecture@uni", summary="Lecture", start=start, end=start + timedelta(hours=1)
    )
    event.add("rrule", {"freq": "weekly", "count": 3})
    cal = Calendar.new(prodid="-//uni//EN")
    cal.add_component(event)
    cal.add_missing_timezones()
    return bytes(cal.to_ical())


def test_syllabus_is_imported_and_summarised(run: Any, owner: Persona) -> None:
    result = run("syllabus.csv", SYLLABUS, "--email", owner.email)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "syllabus.csv (csv): 1 block created, 0 updated, 0 unchanged, 0 deleted, 0 skipped",
        "projects were created: Chemistry",
    ]
    assert [b["topic"] for b in owner.ok("GET", "/v1/blocks")] == ["Kinetics"]
    again = run("syllabus.csv", SYLLABUS, "--email", owner.email.upper())
    assert "0 blocks created, 0 updated, 1 unchanged" in again.output


def test_calendar_and_exports_are_told_apart_by_the_file(run: Any, owner: Persona) -> None:
    owner.set_timezone("Europe/Berlin")
    window = ("--from", "2026-12-01", "--to", "2026-12-31")
    result = run("timetable.ics", lectures(), "--email", owner.email, *window)
    assert result.exit_code == 0 and "(ics): 3 blocks created" in result.output
    assert [b["start"] for b in owner.ok("GET", "/v1/blocks")] == ["09:00"] * 3

    result = run("export.csv", TOGGL, "--email", owner.email)
    assert result.exit_code == 0, result.output
    assert "(toggl, times in Europe/Berlin): 4 time entries created" in result.output
    assert "tags were created: design, client-work, deep-work" in result.output

    result = run("report.csv", CLOCKIFY, "--email", owner.email, "--timezone", "UTC")
    assert "(clockify, times in UTC): 3 time entries created" in result.output
    assert len(owner.ok("GET", "/v1/time-entries")) == 7


def test_format_override_and_dry_run(run: Any, owner: Persona) -> None:
    result = run("plan.txt", SYLLABUS, "--email", owner.email, "--format", "csv", "--dry-run")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("dry run: plan.txt (csv): 1 block created")
    assert "projects would be created: Chemistry" in result.output
    assert owner.ok("GET", "/v1/blocks") == []
    result = run("entries.txt", TOGGL, "--email", owner.email, "--format", "toggl", "--dry-run")
    assert result.exit_code == 0 and "4 time entries created" in result.output
    assert owner.ok("GET", "/v1/time-entries") == []


def test_errors_exit_non_zero_with_every_line(run: Any, owner: Persona) -> None:
    bad = SYLLABUS + "2026-12-02,10:00,09:00,Backwards,\n2026-13-01,09:00,10:00,Nope,\n"
    result = run("syllabus.csv", bad, "--email", owner.email)
    assert result.exit_code == 1
    assert "VALIDATION_ERROR: line 3: end must be after start" in result.output
    assert "line 4: date '2026-13-01' is not YYYY-MM-DD" in result.output
    assert owner.ok("GET", "/v1/blocks") == []

    result = run("syllabus.csv", SYLLABUS, "--email", "nobody@example.com")
    assert result.exit_code == 1 and "no user with email" in result.output
    result = run("syllabus.csv", SYLLABUS, "--email", owner.email, "--timezone", "UTC")
    assert result.exit_code == 1 and "blocks are placed in the account's time zone" in result.output


def test_the_file_is_read_before_the_import_takes_the_write_lock(
    run: Any, owner: Persona, outsider: Persona, monkeypatch: pytest.MonkeyPatch
) -> None:
    parse = ics.parse
    written: list[int] = []

    def parse_while_someone_writes(*args: Any) -> ics.IcsPlan:
        outsider.ok("POST", "/v1/projects", 201, json={"name": "Meanwhile"})
        written.append(1)
        return parse(*args)

    monkeypatch.setattr(ics, "parse", parse_while_someone_writes)
    window = ("--from", "2026-12-01", "--to", "2026-12-31")
    result = run("timetable.ics", lectures(), "--email", owner.email, *window)
    assert result.exit_code == 0, result.output
    assert "3 blocks created" in result.output and written == [1]


def test_a_date_outside_the_years_exits_with_the_line_and_no_traceback(
    run: Any, owner: Persona
) -> None:
    header = TOGGL.splitlines()[0]
    row = "Ada,ada@example.com,,Thesis,,Reading,No,9999-12-31,09:00:00,9999-12-31,10:00:00,,,"
    result = run("export.csv", f"{header}\n{row}\n", "--email", owner.email, "--timezone", "UTC")
    assert result.exit_code == 1
    assert "VALIDATION_ERROR: line 2: Start date '9999-12-31' must be between 1900 and 2999" in (
        result.output
    )
    assert "Traceback" not in result.output and not isinstance(result.exception, OverflowError)
    assert owner.ok("GET", "/v1/time-entries") == []
