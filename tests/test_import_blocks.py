"""POST /v1/imports/blocks: a syllabus CSV becomes blocks, all or nothing, and importing
the same file again changes nothing; what every block import shares (upload, format,
scope, sandbox). iCalendar files: test_import_ics.py."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from tests.conftest import Persona, assert_error
from tests.factories import calendar, event, import_blocks, listed_blocks, times

SYLLABUS = """date,start,end,topic,project
2026-12-01,09:00,10:30,Reaction kinetics,chemistry
2026-12-01,11:00,12:00,Vectors,Physics
2026-12-02,9:15,10:00,Problem set 3,
"""


def upload(p: Persona, body: str | bytes, filename: str, **params: Any) -> Any:
    return p.ok("POST", "/v1/imports/blocks", files={"file": (filename, body)}, params=params)


def test_csv_syllabus_becomes_blocks_with_projects_matched_or_made(owner: Persona) -> None:
    chemistry = owner.ok("POST", "/v1/projects", 201, json={"name": "Chemistry"})
    report = import_blocks(owner, SYLLABUS, "text/csv")
    assert report["format"] == "csv" and report["dry_run"] is False
    assert (report["created"], report["updated"], report["unchanged"]) == (3, 0, 0)
    made = report["projects_created"]
    assert [p["name"] for p in made] == ["Physics"] and made[0]["id"].startswith("prj_")
    listed = listed_blocks(owner)
    assert times(listed) == [
        ("2026-12-01", "09:00", "10:30"),
        ("2026-12-01", "11:00", "12:00"),
        ("2026-12-02", "09:15", "10:00"),
    ]
    assert [b["project_id"] for b in listed] == [chemistry["id"], made[0]["id"], None]
    assert listed[0]["topic"] == "Reaction kinetics"


def test_columns_in_any_order_and_topic_and_project_optional(owner: Persona) -> None:
    text = "End,Date,Start\n10:00,2026-12-03,08:00\n"
    assert import_blocks(owner, text, "text/csv")["created"] == 1
    text = "project;date;start;end\nMaths;2026-12-04;08:00;09:00\n"  # Excel's semicolons
    assert import_blocks(owner, text, "text/csv")["created"] == 1
    assert [b["project_name"] for b in listed_blocks(owner)] == [None, "Maths"]


def test_multipart_and_raw_body_give_the_same_result(owner: Persona, outsider: Persona) -> None:
    by_upload = upload(owner, SYLLABUS, "syllabus.csv")
    by_body = import_blocks(outsider, SYLLABUS.encode(), "text/csv; charset=utf-8")
    assert by_upload["created"] == by_body["created"] == 3
    assert times(listed_blocks(owner)) == times(listed_blocks(outsider))


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
    assert listed_blocks(owner) == []
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
    assert listed_blocks(owner) == []


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
    first = import_blocks(owner, SYLLABUS, "text/csv")
    again = import_blocks(owner, SYLLABUS, "text/csv")
    assert (again["created"], again["unchanged"], again["projects_created"]) == (0, 3, [])
    assert len(listed_blocks(owner)) == 3
    # A project deleted since is not made again for rows that are already there.
    owner.ok("DELETE", f"/v1/projects/{first['projects_created'][0]['id']}")
    assert import_blocks(owner, SYLLABUS, "text/csv")["projects_created"] == []


def test_repeated_row_in_one_file_is_skipped(owner: Persona) -> None:
    text = SYLLABUS + "2026-12-01,11:00,12:00,Vectors,physics\n"
    report = import_blocks(owner, text, "text/csv")
    assert report["created"] == 3 and report["skipped"] == 1
    assert report["skipped_items"][0]["message"] == "line 5: the same block as line 3"


def test_dry_run_reports_and_writes_nothing(owner: Persona) -> None:
    report = import_blocks(owner, SYLLABUS, "text/csv", dry_run="true")
    assert report["dry_run"] is True and report["created"] == 3
    assert report["projects_created"] == [
        {"id": None, "name": "chemistry"},
        {"id": None, "name": "Physics"},
    ]
    assert listed_blocks(owner) == [] and owner.ok("GET", "/v1/projects") == []
    ics = calendar(event("a@x", "Talk", datetime(2026, 12, 1, 9), datetime(2026, 12, 1, 10)))
    assert import_blocks(owner, ics, "text/calendar", dry_run="true")["created"] == 1
    assert listed_blocks(owner) == []


def test_another_tenants_projects_are_never_matched(owner: Persona, outsider: Persona) -> None:
    secret = outsider.ok("POST", "/v1/projects", 201, json={"name": "Physics"})
    report = import_blocks(owner, SYLLABUS, "text/csv")
    mine = {p["name"]: p["id"] for p in report["projects_created"]}
    assert set(mine) == {"chemistry", "Physics"} and secret["id"] not in mine.values()
    assert {b["project_id"] for b in listed_blocks(owner)} == {*mine.values(), None}
    assert outsider.ok("GET", "/v1/blocks") == []


def test_personal_projects_come_before_shared_ones(owner: Persona, teammate: Persona) -> None:
    team = owner.ok("POST", "/v1/workspaces", 201, json={"name": "Study group"})
    owner.ok("POST", f"/v1/workspaces/{team['id']}/members", 201, json={"email": teammate.email})
    shared = owner.ok(
        "POST", "/v1/projects", 201, json={"name": "Physics", "workspace_id": team["id"]}
    )
    owner.ok("POST", "/v1/projects", 201, json={"name": "Chemistry", "workspace_id": team["id"]})
    own = teammate.ok("POST", "/v1/projects", 201, json={"name": "chemistry"})
    report = import_blocks(teammate, SYLLABUS, "text/csv")
    assert report["projects_created"] == []
    assert [b["project_id"] for b in listed_blocks(teammate)] == [own["id"], shared["id"], None]


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
    assert import_blocks(owner, ics, "application/octet-stream")["format"] == "ics"
    assert upload(owner, SYLLABUS, "plan.txt")["format"] == "csv"
    response = owner.post(
        "/v1/imports/blocks?format=ics", content=SYLLABUS, headers={"Content-Type": "text/csv"}
    )
    assert_error(response, 400, "VALIDATION_ERROR", "file")


def test_a_test_key_imports_into_the_sandbox_only(owner: Persona) -> None:
    live_project = owner.ok("POST", "/v1/projects", 201, json={"name": "Physics"})
    sandbox = owner.as_key(owner.new_key(test=True))
    report = import_blocks(sandbox, SYLLABUS, "text/csv")
    assert report["created"] == 3
    assert live_project["id"] not in {p["id"] for p in report["projects_created"]}
    assert len(listed_blocks(sandbox)) == 3 and listed_blocks(owner) == []
    assert import_blocks(owner, SYLLABUS, "text/csv")["created"] == 3  # live keys are its own
