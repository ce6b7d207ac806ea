"""POST /v1/imports/time-entries: Toggl Track and Clockify CSV exports become time entries
of the caller, all or nothing, and the same export imported twice adds nothing."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from tests.conftest import Persona, assert_error
from tests.factories import CLOCKIFY, TOGGL
from timeboxd.db.models import Project
from timeboxd.db.tracking import Client, Tag, Task
from timeboxd.services.accounts.users import personal_workspace_id
from timeboxd.services.imports import entries_csv


def post(p: Persona, text: str, status: int = 200, **params: Any) -> Any:
    return p.ok(
        "POST",
        "/v1/imports/time-entries",
        status,
        content=text,
        headers={"Content-Type": "text/csv"},
        params=params,
    )


def refused(p: Persona, text: str, field: str, **params: Any) -> dict[str, Any]:
    response = p.post(
        "/v1/imports/time-entries",
        content=text,
        headers={"Content-Type": "text/csv"},
        params=params,
    )
    return assert_error(response, 400, "VALIDATION_ERROR", field)


def entries(p: Persona) -> list[dict[str, Any]]:
    return sorted(p.ok("GET", "/v1/time-entries"), key=lambda e: e["start_at"])


def test_toggl_export_becomes_entries_with_projects_clients_tasks_and_tags(
    persona_factory: Any,
) -> None:
    p = persona_factory("Europe/Berlin")
    report = post(p, TOGGL)
    assert (report["source"], report["timezone"]) == ("toggl", "Europe/Berlin")
    assert (report["created"], report["unchanged"], report["skipped"]) == (4, 0, 0)
    assert [c["name"] for c in report["projects_created"]] == ["Website Redesign", "Thesis"]
    assert [c["name"] for c in report["clients_created"]] == ["Acme Corp"]
    assert [c["name"] for c in report["tasks_created"]] == ["Homepage"]
    assert [c["name"] for c in report["tags_created"]] == ["design", "client-work", "deep-work"]
    projects = {c["name"]: c["id"] for c in report["projects_created"]}
    tags = {c["name"]: c["id"] for c in report["tags_created"]}

    got = entries(p)
    assert [(e["start_at"], e["end_at"]) for e in got] == [
        ("2026-11-02T09:00:00+01:00", "2026-11-02T10:30:00+01:00"),
        ("2026-11-02T13:15:00+01:00", "2026-11-02T15:00:00+01:00"),
        ("2026-11-03T23:30:00+01:00", "2026-11-04T00:15:00+01:00"),
        ("2026-11-04T08:00:00+01:00", "2026-11-04T08:20:00+01:00"),
    ]
    first = got[0]
    assert first["project_id"] == projects["Website Redesign"]
    assert first["task_id"] == report["tasks_created"][0]["id"]
    assert sorted(first["tag_ids"]) == sorted([tags["design"], tags["client-work"]])
    assert (first["billable"], first["source"], first["duration_seconds"]) == (True, "import", 5400)
    assert first["description"] == "Wireframes for the landing page"
    assert [e["billable"] for e in got] == [True, False, True, False]
    assert got[3]["project_id"] is None
    with p.db.read() as s:
        project = s.get(Project, projects["Website Redesign"])
        assert project is not None and project.client_id == report["clients_created"][0]["id"]
        client = s.get(Client, project.client_id)
        assert client is not None and client.name == "Acme Corp"
        task = s.get(Task, first["task_id"])
        assert task is not None and task.project_id == project.id


def test_clockify_export_with_us_dates_and_12_hour_times(owner: Persona) -> None:
    report = post(owner, CLOCKIFY, timezone="America/New_York")
    assert (report["source"], report["timezone"], report["created"]) == (
        "clockify",
        "America/New_York",
        3,
    )
    # Shown in the account's zone (UTC); read in New York's (EST after 1 November).
    assert [(e["start_at"], e["end_at"]) for e in entries(owner)] == [
        ("2026-11-02T14:00:00Z", "2026-11-02T15:30:00Z"),
        ("2026-11-02T18:15:00Z", "2026-11-02T20:00:00Z"),
        ("2026-11-13T17:00:00Z", "2026-11-13T17:45:00Z"),
    ]


def test_day_first_dates_are_recognised_from_the_whole_file(owner: Persona) -> None:
    text = CLOCKIFY.replace("11/02/2026", "02/11/2026").replace("11/13/2026", "13/11/2026")
    text = text.replace(" AM", "").replace("01:15:00 PM", "13:15:00")
    text = text.replace("03:00:00 PM", "15:00:00").replace(" PM", "")
    post(owner, text, source="clockify")
    assert [e["start_at"][:10] for e in entries(owner)] == [
        "2026-11-02",
        "2026-11-02",
        "2026-11-13",
    ]
    mixed = CLOCKIFY.replace("11/02/2026,01:15", "13/02/2026,01:15")
    error = refused(owner, mixed, "Start Date")
    assert "month first on line 4 and day first on line 3" in error["message"]


def test_same_export_twice_adds_nothing(owner: Persona) -> None:
    post(owner, TOGGL)
    again = post(owner, TOGGL)
    assert (again["created"], again["unchanged"]) == (0, 4)
    assert again["projects_created"] == again["tags_created"] == []
    assert len(entries(owner)) == 4
    # One more row at the end of a newer export: only that row is new.
    newer = TOGGL + (
        "Ada Lovelace,ada@example.com,,Thesis,,Writing,No,2026-11-05,10:00:00,"
        "2026-11-05,12:00:00,02:00:00,,\n"
    )
    assert (post(owner, newer)["created"], len(entries(owner))) == (1, 5)


def test_missing_required_columns_are_named(owner: Persona) -> None:
    header = TOGGL.split("\n", 1)[0]
    without_end = header.replace(",End time", "") + "\n"
    error = refused(owner, without_end, "End time")
    assert error["message"] == "line 1: the header has no 'End time' column"
    error = refused(owner, CLOCKIFY.replace("Start Date", "Begin"), "Start Date", source="clockify")
    assert "'Start Date'" in error["message"]
    refused(owner, "date,start,end,topic\n2026-12-01,09:00,10:00,x\n", "Project")


def test_column_order_and_extra_columns_do_not_matter(owner: Persona) -> None:
    text = (
        "End time,Start time,Description,Project,Start date,End date,Mood,Cost center\n"
        "10:00,09:00,Reading,Thesis,2026-11-10,2026-11-10,great,42\n"
    )
    report = post(owner, text)
    assert report["created"] == 1 and report["source"] == "toggl"


def test_one_bad_row_among_many_writes_nothing_and_names_the_line(owner: Persona) -> None:
    header = "Project,Description,Start date,Start time,End date,End time,Tags"
    lines = [header]
    for i in range(300):
        day = f"2026-10-{1 + i % 28:02d}"
        lines.append(f"Thesis,Session {i},{day},{8 + i // 28:02d}:00,{day},{8 + i // 28:02d}:30,x")
    lines[200] = "Thesis,Broken,2026-10-05,10:00,2026-10-05,09:00,x"  # line 201
    error = refused(owner, "\n".join(lines), "End time")
    assert error["message"].startswith("line 201: the entry ends before it starts")
    assert [d["index"] for d in error["details"]] == [201]
    assert entries(owner) == [] and owner.ok("GET", "/v1/projects") == []


def test_dry_run_reports_and_writes_nothing(owner: Persona) -> None:
    report = post(owner, TOGGL, dry_run="true")
    assert report["dry_run"] is True and report["created"] == 4
    assert report["projects_created"][0] == {"id": None, "name": "Website Redesign"}
    assert entries(owner) == [] and owner.ok("GET", "/v1/projects") == []
    with owner.db.read() as s:
        workspace_id = personal_workspace_id(s, owner.user_id)
        assert s.scalars(select(Tag).where(Tag.workspace_id == workspace_id)).all() == []
        assert s.scalars(select(Client).where(Client.workspace_id == workspace_id)).all() == []


def test_existing_names_match_without_case_and_other_tenants_never(
    owner: Persona, outsider: Persona
) -> None:
    theirs = outsider.ok("POST", "/v1/projects", 201, json={"name": "Website Redesign"})
    post(outsider, TOGGL)
    mine = owner.ok("POST", "/v1/projects", 201, json={"name": "thesis"})
    report = post(owner, TOGGL)
    assert [c["name"] for c in report["projects_created"]] == ["Website Redesign"]
    assert report["projects_created"][0]["id"] != theirs["id"]
    assert [e["project_id"] for e in entries(owner)][1] == mine["id"]
    outsider_tags = {t for e in outsider.ok("GET", "/v1/time-entries") for t in e["tag_ids"]}
    owner_tags = {t for e in entries(owner) for t in e["tag_ids"]}
    assert owner_tags and not owner_tags & outsider_tags
    assert len(outsider.ok("GET", "/v1/time-entries")) == 4


def test_zero_length_rows_are_skipped_and_dst_gaps_refused(persona_factory: Any) -> None:
    p = persona_factory("Europe/Berlin")
    text = (
        "Project,Description,Start date,Start time,End date,End time\n"
        "Thesis,Started by mistake,2026-11-10,09:00:00,2026-11-10,09:00:00\n"
        "Thesis,Real work,2026-11-10,09:01:00,2026-11-10,10:00:00\n"
    )
    report = post(p, text)
    assert (report["created"], report["skipped"]) == (1, 1)
    assert report["skipped_items"][0]["message"].startswith("line 2: ends when it starts")
    gap = (
        "Project,Description,Start date,Start time,End date,End time\n"
        "T,x,2027-03-28,02:30,2027-03-28,04:00\n"
    )
    error = refused(p, gap, "Start time")
    assert "daylight-saving gap" in error["message"]
    refused(p, text, "timezone", timezone="Mars/Olympus")


def test_needs_write_time_entries_scope(owner: Persona) -> None:
    planner = owner.as_key(owner.new_key(scopes=["write:blocks", "read:time_entries"]))
    response = planner.post(
        "/v1/imports/time-entries", content=TOGGL, headers={"Content-Type": "text/csv"}
    )
    assert_error(response, 403, "FORBIDDEN")
    multipart = owner.ok(
        "POST", "/v1/imports/time-entries", files={"file": ("Toggl_time_entries.csv", TOGGL)}
    )
    assert multipart["created"] == 4


def test_the_export_is_read_before_the_import_takes_the_write_lock(
    owner: Persona, outsider: Persona, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While one import reads its export, other users' writes go through."""
    parse = entries_csv.parse
    written: list[int] = []

    def parse_while_someone_writes(*args: Any) -> Any:
        outsider.ok("POST", "/v1/projects", 201, json={"name": "Meanwhile"})
        written.append(1)
        return parse(*args)

    monkeypatch.setattr(entries_csv, "parse", parse_while_someone_writes)
    assert post(owner, TOGGL)["created"] == 4 and written == [1]


TOGGL_HEADER = TOGGL.splitlines()[0]


def _toggl_row(
    start_date: str, end_date: str, start: str = "09:00:00", end: str = "10:00:00"
) -> str:
    return f"Ada,ada@example.com,,Thesis,,Reading,No,{start_date},{start},{end_date},{end},,,"


@pytest.mark.parametrize(
    ("start_date", "end_date", "zone", "field"),
    [
        ("9999-12-31", "9999-12-31", "America/New_York", "Start date"),
        ("0001-01-01", "0001-01-01", "Australia/Lord_Howe", "Start date"),
        ("1899-12-31", "1900-01-01", "UTC", "Start date"),
        ("2999-12-31", "3000-01-01", "UTC", "End date"),
        # In the range as written, but stored in UTC as 1899-12-31 22:00.
        ("1900-01-01", "1900-01-01", "Australia/Lord_Howe", "Start date"),
    ],
)
def test_dates_outside_the_apis_years_are_refused_naming_the_line(
    owner: Persona, start_date: str, end_date: str, zone: str, field: str
) -> None:
    rows = [_toggl_row("2026-11-02", "2026-11-02"), _toggl_row(start_date, end_date)]
    text = "\n".join([TOGGL_HEADER, *rows]) + "\n"
    error = refused(owner, text, field, timezone=zone)
    assert error["message"].startswith(f"line 3: {field} ")
    assert "1900" in error["message"] and "2999" in error["message"]
    assert error["details"][0]["index"] == 3
    assert entries(owner) == []


def test_the_years_at_the_edges_of_the_range_are_imported_and_saved_back(owner: Persona) -> None:
    rows = [_toggl_row("1900-01-01", "1900-01-01"), _toggl_row("2999-12-31", "2999-12-31")]
    report = post(owner, "\n".join([TOGGL_HEADER, *rows]) + "\n", timezone="UTC")
    assert report["created"] == 2
    for entry in entries(owner):
        # What the API lists, it takes back.
        owner.ok(
            "PATCH",
            f"/v1/time-entries/{entry['id']}",
            json={"start_at": entry["start_at"], "end_at": entry["end_at"]},
        )
