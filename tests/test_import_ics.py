"""POST /v1/imports/blocks with an iCalendar file: events and their recurrences become
blocks at the right wall-clock times, and importing the calendar again updates them."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from icalendar import Event

from tests.conftest import Persona, assert_error
from tests.factories import calendar, event, import_blocks, listed_blocks, times
from timeboxd.services.imports import ics

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def lectures(**props: Any) -> Event:
    """Weekly from 12 October, across the night Berlin's clocks go back (25 October)."""
    start = datetime(2026, 10, 12, 10, 15, tzinfo=BERLIN)
    ev = event("thermo-lecture@uni.example", "Thermodynamics", start, start + timedelta(hours=1.5))
    ev.add("rrule", {"freq": "weekly", "count": 12})
    for name, value in props.items():
        ev.add(name, value)
    return ev


def test_weekly_lectures_keep_their_wall_clock_across_dst_and_honour_exdate(
    persona_factory: Any,
) -> None:
    p = persona_factory("Europe/Berlin")
    exdate = datetime(2026, 11, 2, 10, 15, tzinfo=BERLIN)
    report = import_blocks(
        p, calendar(lectures(exdate=exdate)), "text/calendar", **{"from": "2026-10-01"}
    )
    assert (report["format"], report["created"], report["skipped"]) == ("ics", 11, 0)
    listed = listed_blocks(p)
    assert "2026-11-02" not in [b["date"] for b in listed]
    assert {(b["start"], b["end"], b["topic"]) for b in listed} == {
        ("10:15", "11:45", "Thermodynamics")
    }
    assert listed[1]["start_at"] == "2026-10-19T10:15:00+02:00"  # summer time
    assert listed[2]["start_at"] == "2026-10-26T10:15:00+01:00"  # winter time


def test_new_york_events_land_at_berlin_wall_clock_times(persona_factory: Any) -> None:
    p = persona_factory("Europe/Berlin")
    start = datetime(2026, 10, 19, 9, 0, tzinfo=NEW_YORK)
    office_hours = event("oh@nyu.example", "Office hours", start, start + timedelta(hours=1))
    office_hours.add("rrule", {"freq": "weekly", "count": 4})
    import_blocks(p, calendar(office_hours), "text/calendar", **{"from": "2026-10-01"})
    # Europe leaves summer time a week before the United States: that week it is 14:00.
    assert times(listed_blocks(p)) == [
        ("2026-10-19", "15:00", "16:00"),
        ("2026-10-26", "14:00", "15:00"),
        ("2026-11-02", "15:00", "16:00"),
        ("2026-11-09", "15:00", "16:00"),
    ]


def test_outlook_zone_names_utc_and_floating_times(persona_factory: Any) -> None:
    p = persona_factory("America/New_York")
    text = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Microsoft Corporation//Outlook 16.0//EN\r\n"
        "BEGIN:VTIMEZONE\r\nTZID:W. Europe Standard Time\r\n"
        "BEGIN:STANDARD\r\nDTSTART:16010101T030000\r\nTZOFFSETFROM:+0200\r\n"
        "TZOFFSETTO:+0100\r\nRRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10\r\nEND:STANDARD\r\n"
        "BEGIN:DAYLIGHT\r\nDTSTART:16010101T020000\r\nTZOFFSETFROM:+0100\r\n"
        "TZOFFSETTO:+0200\r\nRRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3\r\nEND:DAYLIGHT\r\n"
        "END:VTIMEZONE\r\n"
        "BEGIN:VEVENT\r\nUID:outlook-1\r\nSUMMARY:Seminar\r\n"
        "DTSTART;TZID=W. Europe Standard Time:20261202T150000\r\n"
        "DTEND;TZID=W. Europe Standard Time:20261202T163000\r\nEND:VEVENT\r\n"
        "BEGIN:VEVENT\r\nUID:utc-1\r\nSUMMARY:Call\r\n"
        "DTSTART:20261203T170000Z\r\nDURATION:PT45M\r\nEND:VEVENT\r\n"
        "BEGIN:VEVENT\r\nUID:floating-1\r\nSUMMARY:Reading\r\n"
        "DTSTART:20261204T080000\r\nDTEND:20261204T090000\r\nEND:VEVENT\r\n"
        "END:VCALENDAR\r\n"
    )
    assert import_blocks(p, text, "text/calendar")["created"] == 3
    assert times(listed_blocks(p)) == [
        ("2026-12-02", "09:00", "10:30"),
        ("2026-12-03", "12:00", "12:45"),
        ("2026-12-04", "08:00", "09:00"),  # floating: the account's own wall clock
    ]


def test_all_day_events_are_skipped_unless_asked_for(owner: Persona) -> None:
    holiday = event("xmas@uni.example", "Christmas break", date(2026, 12, 24), date(2026, 12, 26))
    talk = event("talk@x", "Talk", datetime(2026, 12, 1, 9), datetime(2026, 12, 1, 10))
    body = calendar(holiday, talk)
    report = import_blocks(owner, body, "text/calendar", dry_run="true")
    assert (report["created"], report["skipped"]) == (1, 1)
    assert report["skipped_items"] == [
        {
            "index": 1,
            "uid": "xmas@uni.example",
            "message": "event xmas@uni.example on 2026-12-24: all day (all_day=skip)",
        }
    ]
    report = import_blocks(owner, body, "text/calendar", all_day="import")
    assert (report["created"], report["skipped"]) == (3, 0)
    assert times(listed_blocks(owner)) == [
        ("2026-12-01", "09:00", "10:00"),
        ("2026-12-24", "00:00", "23:59"),
        ("2026-12-25", "00:00", "23:59"),
    ]


def test_events_that_cannot_be_a_block_are_skipped_with_their_uid(persona_factory: Any) -> None:
    p = persona_factory("Europe/Berlin")
    at = datetime(2026, 12, 1, 22, 0, tzinfo=BERLIN)
    body = calendar(
        event("late-lab@x", "Late lab", at, at + timedelta(hours=3)),
        event("marker@x", "Deadline", at, at),
        event("to-midnight@x", "Reading", at, at + timedelta(hours=2)),
    )
    report = import_blocks(p, body, "text/calendar")
    assert report["created"] == 1 and report["skipped"] == 2
    assert {i["uid"] for i in report["skipped_items"]} == {"late-lab@x", "marker@x"}
    assert "crosses midnight" in report["skipped_items"][0]["message"]
    assert times(listed_blocks(p)) == [("2026-12-01", "22:00", "23:59")]


def test_categories_name_the_project(owner: Persona) -> None:
    physics = owner.ok("POST", "/v1/projects", 201, json={"name": "Physics"})
    at = datetime(2026, 12, 1, 9)
    body = calendar(
        event("a@x", "Optics", at, at + timedelta(hours=1), categories=["physics"]),
        event(
            "b@x",
            "Titration",
            at + timedelta(hours=2),
            at + timedelta(hours=3),
            categories=["Lab work"],
        ),
    )
    report = import_blocks(owner, body, "text/calendar")
    assert [p["name"] for p in report["projects_created"]] == ["Lab work"]
    assert [b["project_name"] for b in listed_blocks(owner)] == [physics["name"], "Lab work"]
    uncategorized = event("c@x", "Reading", at + timedelta(hours=4), at + timedelta(hours=5))
    import_blocks(owner, calendar(uncategorized), "text/calendar")
    uncategorized.add("categories", ["Literature"])
    report = import_blocks(owner, calendar(uncategorized), "text/calendar")
    assert report["updated"] == 1 and report["projects_created"][0]["name"] == "Literature"
    assert listed_blocks(owner)[-1]["project_name"] == "Literature"


def test_reimport_updates_by_uid_and_recurrence_id_instead_of_duplicating(
    persona_factory: Any,
) -> None:
    p = persona_factory("Europe/Berlin")
    seminar = event(
        "seminar@x",
        "Seminar",
        datetime(2026, 12, 3, 14, 0, tzinfo=BERLIN),
        datetime(2026, 12, 3, 15, 0, tzinfo=BERLIN),
    )
    first = import_blocks(
        p, calendar(lectures(), seminar), "text/calendar", **{"from": "2026-10-01"}
    )
    assert first["created"] == 13
    again = import_blocks(
        p, calendar(lectures(), seminar), "text/calendar", **{"from": "2026-10-01"}
    )
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 13)
    assert len(listed_blocks(p)) == 13

    by_date = {b["date"]: b for b in listed_blocks(p)}
    p.ok("PATCH", f"/v1/blocks/{by_date['2026-10-19']['id']}", json={"done": True})
    # The lecturer cancels two lectures (one already done), moves one, renames the seminar.
    cancelled = [datetime(2026, 10, 19, 10, 15), datetime(2026, 11, 9, 10, 15)]
    moved = Event.new(
        uid="thermo-lecture@uni.example",
        summary="Thermodynamics (room change)",
        start=datetime(2026, 11, 16, 16, 0, tzinfo=BERLIN),
        end=datetime(2026, 11, 16, 17, 30, tzinfo=BERLIN),
        recurrence_id=datetime(2026, 11, 16, 10, 15, tzinfo=BERLIN),
    )
    seminar["SUMMARY"] = "Seminar: presentations"
    exdates = [d.replace(tzinfo=BERLIN) for d in cancelled]
    body = calendar(lectures(exdate=exdates), moved, seminar)
    report = import_blocks(p, body, "text/calendar", **{"from": "2026-10-01"})
    assert (report["created"], report["updated"], report["deleted"]) == (0, 2, 1)
    assert report["unchanged"] == 9
    listed = {b["date"]: b for b in listed_blocks(p)}
    assert len(listed) == 12 and "2026-11-09" not in listed
    assert listed["2026-10-19"]["done"] is True  # history stays
    assert (listed["2026-11-16"]["start"], listed["2026-11-16"]["topic"]) == (
        "16:00",
        "Thermodynamics (room change)",
    )
    assert listed["2026-12-03"]["topic"] == "Seminar: presentations"
    assert listed["2026-11-16"]["id"] == by_date["2026-11-16"]["id"]


def test_window_limits_expansion_and_is_reported(owner: Persona) -> None:
    daily = event("daily@x", "Standup", datetime(2026, 1, 1, 9), datetime(2026, 1, 1, 9, 15))
    daily.add("rrule", {"freq": "daily"})
    report = import_blocks(owner, calendar(daily), "text/calendar")
    # Frozen clock: 2026-11-24 in UTC; 30 days back and 365 ahead.
    assert (report["window_from"], report["window_to"]) == ("2026-10-25", "2027-11-24")
    assert report["created"] == 396
    report = import_blocks(
        owner, calendar(daily), "text/calendar", **{"from": "2026-12-01", "to": "2026-12-07"}
    )
    assert report["unchanged"] == 7 and report["created"] == 0
    response = owner.post(
        "/v1/imports/blocks",
        params={"from": "2026-12-07", "to": "2026-12-01"},
        content=calendar(daily),
        headers={"Content-Type": "text/calendar"},
    )
    assert_error(response, 400, "VALIDATION_ERROR", "to")


def test_unreadable_events_name_their_uid_and_nothing_is_written(owner: Persona) -> None:
    text = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//EN\r\n"
        "BEGIN:VEVENT\r\nUID:good@x\r\nDTSTART:20261201T090000Z\r\n"
        "DTEND:20261201T100000Z\r\nEND:VEVENT\r\n"
        "BEGIN:VEVENT\r\nUID:no-start@x\r\nSUMMARY:Lost\r\nEND:VEVENT\r\n"
        "BEGIN:VEVENT\r\nUID:bad-rule@x\r\nDTSTART:20261201T090000Z\r\n"
        "DTEND:20261201T100000Z\r\nRRULE:FREQ=SOMETIMES\r\nEND:VEVENT\r\n"
        "BEGIN:VEVENT\r\nUID:mars@x\r\nDTSTART;TZID=Mars/Olympus:20261201T090000\r\n"
        "DTEND;TZID=Mars/Olympus:20261201T100000\r\nEND:VEVENT\r\n"
        "BEGIN:VEVENT\r\nUID:twice@x\r\nDTSTART:20261201T090000Z\r\n"
        "DTSTART:20261201T100000Z\r\nEND:VEVENT\r\n"
        "BEGIN:VEVENT\r\nUID:good@x\r\nDTSTART:20261202T090000Z\r\n"
        "DTEND:20261202T100000Z\r\nEND:VEVENT\r\n"
        "END:VCALENDAR\r\n"
    )
    response = owner.post(
        "/v1/imports/blocks", content=text, headers={"Content-Type": "text/calendar"}
    )
    error = assert_error(response, 400, "VALIDATION_ERROR", "DTSTART")
    assert [(d["index"], d["field"]) for d in error["details"]] == [
        (2, "DTSTART"),
        (3, "RRULE"),
        (4, "DTSTART"),
        (5, "DTSTART"),
        (1, "UID"),
    ]
    # Each names its event and the line of the property at fault (else of BEGIN:VEVENT).
    assert [d["message"].split(":")[0] for d in error["details"]] == [
        "event no-start@x (line 9)",
        "event bad-rule@x (line 17)",
        "event mars@x (line 21)",
        "event twice@x (line 26)",
        "event good@x (line 5)",
    ]
    assert listed_blocks(owner) == []
    response = owner.post(
        "/v1/imports/blocks", content=b"BEGIN:VCALENDAR\r\nnonsense", params={"format": "ics"}
    )
    assert_error(response, 400, "VALIDATION_ERROR", "file")


def _one_event(rule: str, start: str = "20261201T090000Z") -> str:
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//EN\r\n"
        "BEGIN:VEVENT\r\nUID:flood@x\r\nSUMMARY:Flood\r\n"
        f"DTSTART:{start}\r\nDURATION:PT30M\r\nRRULE:{rule}\r\nEND:VEVENT\r\n"
        "END:VCALENDAR\r\n"
    )


EVERY_SECOND = "FREQ=HOURLY;BYMINUTE={};BYSECOND={}".format(
    ",".join(map(str, range(60))), ",".join(map(str, range(60)))
)


@pytest.mark.parametrize(
    "rule",
    [
        EVERY_SECOND,
        "FREQ=HOURLY;BYMINUTE=0,30",
        "FREQ=DAILY;BYHOUR=9;BYMINUTE=0;BYSECOND=0,1",
        "FREQ=MINUTELY;INTERVAL=60",
    ],
)
def test_rule_repeating_more_often_than_hourly_is_refused_naming_its_line(
    owner: Persona, rule: str
) -> None:
    # The whole window: the rule is judged by what it gives, before anything is expanded.
    response = owner.post(
        "/v1/imports/blocks",
        content=_one_event(rule),
        headers={"Content-Type": "text/calendar"},
        params={"from": "2026-01-01", "to": "2028-12-31"},
    )
    error = assert_error(response, 400, "VALIDATION_ERROR", "RRULE")
    assert error["message"].startswith("event flood@x (line 9): repeats more often than hourly")
    assert error["details"][0]["index"] == 1
    assert listed_blocks(owner) == []


def test_rule_with_too_many_occurrences_before_the_window_is_refused(owner: Persona) -> None:
    # Hourly since 2000: a quarter of a million occurrences before the window even starts.
    body = _one_event("FREQ=HOURLY", start="20000101T000000Z")
    response = owner.post(
        "/v1/imports/blocks", content=body, headers={"Content-Type": "text/calendar"}
    )
    error = assert_error(response, 400, "VALIDATION_ERROR", "RRULE")
    assert error["message"].startswith("event flood@x (line 9): ")
    assert "more than 100000 occurrences" in error["message"]


def test_window_with_too_many_occurrences_of_one_rule_is_refused(owner: Persona) -> None:
    body = _one_event("FREQ=HOURLY", start="20261201T000000Z")
    response = owner.post(
        "/v1/imports/blocks",
        content=body,
        headers={"Content-Type": "text/calendar"},
        params={"from": "2026-12-01", "to": "2028-12-31"},
    )
    error = assert_error(response, 400, "VALIDATION_ERROR", "to")
    assert "more than 10000 events" in error["message"]


def test_the_file_is_read_before_the_import_takes_the_write_lock(
    owner: Persona, outsider: Persona, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While one import reads and expands its file, other users' writes go through."""
    parse = ics.parse
    written: list[int] = []

    def parse_while_someone_writes(*args: Any) -> ics.IcsPlan:
        outsider.ok("POST", "/v1/projects", 201, json={"name": "Meanwhile"})
        written.append(1)
        return parse(*args)

    monkeypatch.setattr(ics, "parse", parse_while_someone_writes)
    at = datetime(2026, 12, 1, 9)
    report = import_blocks(owner, calendar(event("a@x", "A", at, at + timedelta(hours=1))), "ics")
    assert report["created"] == 1 and written == [1]


@pytest.mark.parametrize(
    "rule", ["FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30", "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=31;COUNT=5"]
)
def test_rule_with_no_date_ever_imports_its_first_occurrence_alone(
    owner: Persona, rule: str
) -> None:
    body = _one_event(rule) + _one_event("FREQ=WEEKLY;COUNT=2").replace("flood@x", "weekly@x")
    body = body.replace(
        "END:VCALENDAR\r\nBEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//EN\r\n", ""
    )
    report = import_blocks(
        owner, body, "text/calendar", **{"from": "2026-11-01", "to": "2027-12-31"}
    )
    assert report["created"] == 3
    assert sorted((b["topic"], b["start_at"]) for b in listed_blocks(owner)) == [
        ("Flood", "2026-12-01T09:00:00Z"),
        ("Flood", "2026-12-01T09:00:00Z"),
        ("Flood", "2026-12-08T09:00:00Z"),
    ]
