"""POST /v1/imports/blocks: a syllabus CSV or an iCalendar file becomes blocks, all or
nothing, and importing the same file again changes nothing."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

from tests.conftest import Persona, assert_error

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")

SYLLABUS = """date,start,end,topic,project
2026-12-01,09:00,10:30,Reaction kinetics,chemistry
2026-12-01,11:00,12:00,Vectors,Physics
2026-12-02,9:15,10:00,Problem set 3,
"""


def post_file(
    p: Persona, body: str | bytes, content_type: str, status: int = 200, **params: Any
) -> Any:
    return p.ok(
        "POST",
        "/v1/imports/blocks",
        status,
        content=body,
        headers={"Content-Type": content_type},
        params=params,
    )


def upload(p: Persona, body: str | bytes, filename: str, **params: Any) -> Any:
    return p.ok("POST", "/v1/imports/blocks", files={"file": (filename, body)}, params=params)


def blocks(p: Persona, **params: Any) -> list[dict[str, Any]]:
    return list(p.ok("GET", "/v1/blocks", params=params))


def calendar(*events: Event) -> bytes:
    cal = Calendar.new(prodid="-//Example University//Timetable//EN")
    for event in events:
        cal.add_component(event)
    cal.add_missing_timezones()
    return bytes(cal.to_ical())


def event(uid: str, summary: str, start: Any, end: Any, **props: Any) -> Event:
    ev = Event.new(uid=uid, summary=summary, start=start, end=end)
    for name, value in props.items():
        ev.add(name, value)
    return ev


def times(rows: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    return [(b["date"], b["start"], b["end"]) for b in rows]


# --- CSV ------------------------------------------------------------------------------


def test_csv_syllabus_becomes_blocks_with_projects_matched_or_made(owner: Persona) -> None:
    chemistry = owner.ok("POST", "/v1/projects", 201, json={"name": "Chemistry"})
    report = post_file(owner, SYLLABUS, "text/csv")
    assert report["format"] == "csv" and report["dry_run"] is False
    assert (report["created"], report["updated"], report["unchanged"]) == (3, 0, 0)
    made = report["projects_created"]
    assert [p["name"] for p in made] == ["Physics"] and made[0]["id"].startswith("prj_")
    listed = blocks(owner)
    assert times(listed) == [
        ("2026-12-01", "09:00", "10:30"),
        ("2026-12-01", "11:00", "12:00"),
        ("2026-12-02", "09:15", "10:00"),
    ]
    assert [b["project_id"] for b in listed] == [chemistry["id"], made[0]["id"], None]
    assert listed[0]["topic"] == "Reaction kinetics"


def test_columns_in_any_order_and_topic_and_project_optional(owner: Persona) -> None:
    text = "End,Date,Start\n10:00,2026-12-03,08:00\n"
    assert post_file(owner, text, "text/csv")["created"] == 1
    text = "project;date;start;end\nMaths;2026-12-04;08:00;09:00\n"  # Excel's semicolons
    assert post_file(owner, text, "text/csv")["created"] == 1
    assert [b["project_name"] for b in blocks(owner)] == [None, "Maths"]


def test_multipart_and_raw_body_give_the_same_result(owner: Persona, outsider: Persona) -> None:
    by_upload = upload(owner, SYLLABUS, "syllabus.csv")
    by_body = post_file(outsider, SYLLABUS.encode(), "text/csv; charset=utf-8")
    assert by_upload["created"] == by_body["created"] == 3
    assert times(blocks(owner)) == times(blocks(outsider))


def test_one_bad_row_among_500_writes_nothing_and_names_the_line(owner: Persona) -> None:
    rows = ["date,start,end,topic,project"]
    start = date(2027, 1, 4)
    for i in range(500):
        day = start + timedelta(days=i // 5)
        rows.append(f"{day},{8 + i % 5:02d}:00,{8 + i % 5:02d}:50,Session {i},Subject {i % 7}")
    rows[250] = "2027-02-30,09:00,10:00,Broken,Subject 1"  # line 251 of the file
    response = owner.post(
        "/v1/imports/blocks", content="\n".join(rows), headers={"Content-Type": "text/csv"}
    )
    error = assert_error(response, 400, "VALIDATION_ERROR", "date")
    assert error["message"].startswith("line 251:")
    assert error["details"] == [
        {"index": 251, "field": "date", "message": "line 251: date '2027-02-30' is not YYYY-MM-DD"}
    ]
    assert blocks(owner) == []
    assert owner.ok("GET", "/v1/projects") == []


def test_every_bad_line_is_listed_with_its_field(owner: Persona) -> None:
    owner.set_timezone("Europe/Berlin")
    text = (
        "date,start,end,topic\n"
        "2027-03-28,02:30,03:30,In the spring gap\n"
        "2026-12-01,10:00,09:00,Backwards\n"
        "2026-12-01,9am,10:00,Not a time\n"
        "2026-12-01,09:00,10:00,Fine\n"
    )
    response = owner.post("/v1/imports/blocks", content=text, headers={"Content-Type": "text/csv"})
    error = assert_error(response, 400, "VALIDATION_ERROR", "start")
    assert [(d["index"], d["field"]) for d in error["details"]] == [
        (2, "start"),
        (3, "end"),
        (4, "start"),
    ]
    assert "daylight-saving gap" in error["details"][0]["message"]
    assert error["message"].startswith("line 2:") and "2 more problems" in error["message"]
    assert blocks(owner) == []


def test_header_problems_are_named(owner: Persona) -> None:
    cases = [
        ("date,start,end,notes\n2026-12-01,09:00,10:00,x\n", "notes"),
        ("date,start,topic\n2026-12-01,09:00,x\n", "end"),
        ("2026-12-01,09:00,10:00,Kinetics\n", "2026-12-01"),
        ("date,start,end,Date\n", "Date"),
    ]
    for text, field in cases:
        response = owner.post(
            "/v1/imports/blocks", content=text, headers={"Content-Type": "text/csv"}
        )
        error = assert_error(response, 400, "VALIDATION_ERROR", field)
        assert error["message"].startswith("line 1:")


def test_csv_reimport_adds_nothing(owner: Persona) -> None:
    first = post_file(owner, SYLLABUS, "text/csv")
    again = post_file(owner, SYLLABUS, "text/csv")
    assert (again["created"], again["unchanged"], again["projects_created"]) == (0, 3, [])
    assert len(blocks(owner)) == 3
    # A project deleted since is not made again for rows that are already there.
    owner.ok("DELETE", f"/v1/projects/{first['projects_created'][0]['id']}")
    assert post_file(owner, SYLLABUS, "text/csv")["projects_created"] == []


def test_repeated_row_in_one_file_is_skipped(owner: Persona) -> None:
    text = SYLLABUS + "2026-12-01,11:00,12:00,Vectors,physics\n"
    report = post_file(owner, text, "text/csv")
    assert report["created"] == 3 and report["skipped"] == 1
    assert report["skipped_items"][0]["message"] == "line 5: the same block as line 3"


def test_dry_run_reports_and_writes_nothing(owner: Persona) -> None:
    report = post_file(owner, SYLLABUS, "text/csv", dry_run="true")
    assert report["dry_run"] is True and report["created"] == 3
    assert report["projects_created"] == [
        {"id": None, "name": "chemistry"},
        {"id": None, "name": "Physics"},
    ]
    assert blocks(owner) == [] and owner.ok("GET", "/v1/projects") == []
    ics = calendar(event("a@x", "Talk", datetime(2026, 12, 1, 9), datetime(2026, 12, 1, 10)))
    assert post_file(owner, ics, "text/calendar", dry_run="true")["created"] == 1
    assert blocks(owner) == []


def test_another_tenants_projects_are_never_matched(owner: Persona, outsider: Persona) -> None:
    secret = outsider.ok("POST", "/v1/projects", 201, json={"name": "Physics"})
    report = post_file(owner, SYLLABUS, "text/csv")
    mine = {p["name"]: p["id"] for p in report["projects_created"]}
    assert set(mine) == {"chemistry", "Physics"} and secret["id"] not in mine.values()
    assert {b["project_id"] for b in blocks(owner)} == {*mine.values(), None}
    assert outsider.ok("GET", "/v1/blocks") == []


def test_personal_projects_come_before_shared_ones(owner: Persona, teammate: Persona) -> None:
    team = owner.ok("POST", "/v1/workspaces", 201, json={"name": "Study group"})
    owner.ok("POST", f"/v1/workspaces/{team['id']}/members", 201, json={"email": teammate.email})
    shared = owner.ok(
        "POST", "/v1/projects", 201, json={"name": "Physics", "workspace_id": team["id"]}
    )
    owner.ok("POST", "/v1/projects", 201, json={"name": "Chemistry", "workspace_id": team["id"]})
    own = teammate.ok("POST", "/v1/projects", 201, json={"name": "chemistry"})
    report = post_file(teammate, SYLLABUS, "text/csv")
    assert report["projects_created"] == []
    assert [b["project_id"] for b in blocks(teammate)] == [own["id"], shared["id"], None]


def test_needs_write_blocks_scope_and_a_file(owner: Persona) -> None:
    reader = owner.as_key(owner.new_key(scopes=["read:blocks", "write:time_entries"]))
    response = reader.post(
        "/v1/imports/blocks", content=SYLLABUS, headers={"Content-Type": "text/csv"}
    )
    assert_error(response, 403, "FORBIDDEN")
    response = owner.post("/v1/imports/blocks", headers={"Content-Type": "text/csv"})
    assert_error(response, 400, "VALIDATION_ERROR", "file")
    response = owner.post("/v1/imports/blocks", files={"syllabus": ("s.csv", SYLLABUS)})
    assert_error(response, 400, "VALIDATION_ERROR", "file")
    response = owner.post(
        "/v1/imports/blocks", content=b"date,start\xff", headers={"Content-Type": "text/csv"}
    )
    assert_error(response, 400, "VALIDATION_ERROR", "file")
    response = owner.post("/v1/imports/blocks?format=xml", content=SYLLABUS)
    assert_error(response, 400, "VALIDATION_ERROR", "format")


def test_format_comes_from_query_type_name_or_content(owner: Persona) -> None:
    ics = calendar(event("one@x", "Talk", datetime(2026, 12, 1, 9), datetime(2026, 12, 1, 10)))
    assert upload(owner, ics, "timetable.ics")["format"] == "ics"
    assert post_file(owner, ics, "application/octet-stream")["format"] == "ics"
    assert upload(owner, SYLLABUS, "plan.txt")["format"] == "csv"
    response = owner.post(
        "/v1/imports/blocks?format=ics", content=SYLLABUS, headers={"Content-Type": "text/csv"}
    )
    assert_error(response, 400, "VALIDATION_ERROR", "file")


# --- iCalendar --------------------------------------------------------------------------


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
    report = post_file(
        p, calendar(lectures(exdate=exdate)), "text/calendar", **{"from": "2026-10-01"}
    )
    assert (report["format"], report["created"], report["skipped"]) == ("ics", 11, 0)
    listed = blocks(p)
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
    post_file(p, calendar(office_hours), "text/calendar", **{"from": "2026-10-01"})
    # Europe leaves summer time a week before the United States: that week it is 14:00.
    assert times(blocks(p)) == [
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
    assert post_file(p, text, "text/calendar")["created"] == 3
    assert times(blocks(p)) == [
        ("2026-12-02", "09:00", "10:30"),
        ("2026-12-03", "12:00", "12:45"),
        ("2026-12-04", "08:00", "09:00"),  # floating: the account's own wall clock
    ]


def test_all_day_events_are_skipped_unless_asked_for(owner: Persona) -> None:
    holiday = event("xmas@uni.example", "Christmas break", date(2026, 12, 24), date(2026, 12, 26))
    talk = event("talk@x", "Talk", datetime(2026, 12, 1, 9), datetime(2026, 12, 1, 10))
    body = calendar(holiday, talk)
    report = post_file(owner, body, "text/calendar", dry_run="true")
    assert (report["created"], report["skipped"]) == (1, 1)
    assert report["skipped_items"] == [
        {
            "index": 1,
            "uid": "xmas@uni.example",
            "message": "event xmas@uni.example on 2026-12-24: all day (all_day=skip)",
        }
    ]
    report = post_file(owner, body, "text/calendar", all_day="import")
    assert (report["created"], report["skipped"]) == (3, 0)
    assert times(blocks(owner)) == [
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
    report = post_file(p, body, "text/calendar")
    assert report["created"] == 1 and report["skipped"] == 2
    assert {i["uid"] for i in report["skipped_items"]} == {"late-lab@x", "marker@x"}
    assert "crosses midnight" in report["skipped_items"][0]["message"]
    assert times(blocks(p)) == [("2026-12-01", "22:00", "23:59")]


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
    report = post_file(owner, body, "text/calendar")
    assert [p["name"] for p in report["projects_created"]] == ["Lab work"]
    assert [b["project_name"] for b in blocks(owner)] == [physics["name"], "Lab work"]
    uncategorized = event("c@x", "Reading", at + timedelta(hours=4), at + timedelta(hours=5))
    post_file(owner, calendar(uncategorized), "text/calendar")
    uncategorized.add("categories", ["Literature"])
    report = post_file(owner, calendar(uncategorized), "text/calendar")
    assert report["updated"] == 1 and report["projects_created"][0]["name"] == "Literature"
    assert blocks(owner)[-1]["project_name"] == "Literature"


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
    first = post_file(p, calendar(lectures(), seminar), "text/calendar", **{"from": "2026-10-01"})
    assert first["created"] == 13
    again = post_file(p, calendar(lectures(), seminar), "text/calendar", **{"from": "2026-10-01"})
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 13)
    assert len(blocks(p)) == 13

    by_date = {b["date"]: b for b in blocks(p)}
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
    report = post_file(p, body, "text/calendar", **{"from": "2026-10-01"})
    assert (report["created"], report["updated"], report["deleted"]) == (0, 2, 1)
    assert report["unchanged"] == 9
    listed = {b["date"]: b for b in blocks(p)}
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
    report = post_file(owner, calendar(daily), "text/calendar")
    # Frozen clock: 2026-11-24 in UTC; 30 days back and 365 ahead.
    assert (report["window_from"], report["window_to"]) == ("2026-10-25", "2027-11-24")
    assert report["created"] == 396
    report = post_file(
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
    assert [d["message"].split(":")[0] for d in error["details"]] == [
        "event no-start@x",
        "event bad-rule@x",
        "event mars@x",
        "event twice@x",
        "event good@x",
    ]
    assert blocks(owner) == []
    response = owner.post(
        "/v1/imports/blocks", content=b"BEGIN:VCALENDAR\r\nnonsense", params={"format": "ics"}
    )
    assert_error(response, 400, "VALIDATION_ERROR", "file")
