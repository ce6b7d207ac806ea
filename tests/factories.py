"""Factories: rows made through the API as a persona, the way a client makes them (each
asserts its 201 and returns the created resource's ``data``), and the import files the
tests upload (iCalendar builders, Toggl Track and Clockify exports).

Every test file makes its rows here; a test names only the fields its assertions are about
and leaves the rest to these defaults.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from icalendar import Calendar, Event

if TYPE_CHECKING:
    from tests.conftest import Persona

# FROZEN_AT's day (conftest): a Tuesday.
TODAY = "2026-11-24"


def _created(p: Persona, path: str, body: dict[str, Any]) -> dict[str, Any]:
    return dict(p.ok("POST", path, 201, json=body))


# -- catalog -------------------------------------------------------------------------------


def new_project(p: Persona, name: str = "Linear Algebra", **fields: Any) -> dict[str, Any]:
    return _created(p, "/v1/projects", {"name": name, **fields})


def new_client(p: Persona, name: str = "Acme", **fields: Any) -> dict[str, Any]:
    return _created(p, "/v1/clients", {"name": name, **fields})


def new_task(p: Persona, project_id: str, name: str = "Draft", **fields: Any) -> dict[str, Any]:
    return _created(p, "/v1/tasks", {"project_id": project_id, "name": name, **fields})


def new_tag(p: Persona, name: str, **fields: Any) -> dict[str, Any]:
    return _created(p, "/v1/tags", {"name": name, **fields})


# -- planned time ----------------------------------------------------------------------------


def _an_hour_after(start: str) -> str:
    return f"{int(start[:2]) + 1:02d}:{start[3:]}"


def new_block(
    p: Persona,
    date: dt.date | str = TODAY,
    start: str = "09:00",
    end: str | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """A block on ``date`` from ``start`` to ``end`` (an hour after ``start`` by default)."""
    body = {"date": str(date), "start": start, "end": end or _an_hour_after(start), **fields}
    return _created(p, "/v1/blocks", body)


def new_blocks(p: Persona, *items: dict[str, Any]) -> list[dict[str, Any]]:
    """Blocks made in one bulk request, in the order given."""
    return list(p.ok("POST", "/v1/blocks/bulk", 201, json={"blocks": list(items)}))


LECTURE = {
    "date": "2026-11-23",
    "start": "09:00",
    "end": "10:30",
    "topic": "Lecture",
    "rrule": "FREQ=WEEKLY;BYDAY=MO,WE;COUNT=6",
}
"""A series' body: a lecture on Mondays and Wednesdays, six times from 23 November."""


def new_series(p: Persona, **fields: Any) -> dict[str, Any]:
    """A recurring series: ``LECTURE`` with ``fields`` changed."""
    return _created(p, "/v1/blocks/series", {**LECTURE, **fields})


# -- tracked time ----------------------------------------------------------------------------


def new_entry(p: Persona, start: str, end: str, **fields: Any) -> dict[str, Any]:
    """A time entry from ``start_at`` to ``end_at`` (instants as the API takes them)."""
    return _created(p, "/v1/time-entries", {"start_at": start, "end_at": end, **fields})


# -- workspaces ------------------------------------------------------------------------------


def new_workspace(p: Persona, name: str = "Team") -> str:
    """A shared workspace owned by ``p``: its id."""
    return str(_created(p, "/v1/workspaces", {"name": name})["id"])


def add_member(
    by: Persona, workspace_id: str, who: Persona, role: str = "member"
) -> dict[str, Any]:
    body = {"email": who.email, "role": role}
    return _created(by, f"/v1/workspaces/{workspace_id}/members", body)


def team_of(owner: Persona, member: Persona, role: str = "member") -> str:
    """A workspace "Agency" of ``owner`` with ``member`` in it: its id."""
    workspace_id = new_workspace(owner, "Agency")
    add_member(owner, workspace_id, member, role)
    return workspace_id


# -- import files ----------------------------------------------------------------------------


def import_blocks(
    p: Persona, body: str | bytes, content_type: str, status: int = 200, **params: Any
) -> Any:
    """POST a file to /v1/imports/blocks as the request body; the import's report."""
    return p.ok(
        "POST",
        "/v1/imports/blocks",
        status,
        content=body,
        headers={"Content-Type": content_type},
        params=params,
    )


def listed_blocks(p: Persona, **params: Any) -> list[dict[str, Any]]:
    return list(p.ok("GET", "/v1/blocks", params=params))


def times(rows: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    """Blocks as (date, start, end): where they landed on the account's wall clock."""
    return [(b["date"], b["start"], b["end"]) for b in rows]


def calendar(*events: Event) -> bytes:
    """An iCalendar file of ``events``, with the time zones they use."""
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


TOGGL = """\
User,Email,Client,Project,Task,Description,Billable,Start date,Start time,End date,End time,Duration,Tags,Amount ()
Ada Lovelace,ada@example.com,Acme Corp,Website Redesign,Homepage,Wireframes for the landing page,Yes,2026-11-02,09:00:00,2026-11-02,10:30:00,01:30:00,"design, client-work",120.00
Ada Lovelace,ada@example.com,,Thesis,,Literature review,No,2026-11-02,13:15:00,2026-11-02,15:00:00,01:45:00,deep-work,
Ada Lovelace,ada@example.com,Acme Corp,Website Redesign,,Late deploy,Yes,2026-11-03,23:30:00,2026-11-04,00:15:00,00:45:00,,60.00
Ada Lovelace,ada@example.com,,,,Email,No,2026-11-04,08:00:00,2026-11-04,08:20:00,00:20:00,,
"""  # noqa: E501
"""A Toggl Track detailed export: four entries, one across midnight, projects, clients,
a task and tags."""

CLOCKIFY = """\
Project,Client,Description,Task,User,Group,Email,Tags,Billable,Start Date,Start Time,End Date,End Time,Duration (h),Duration (decimal),Billable Rate (USD),Billable Amount (USD)
Website Redesign,Acme Corp,Wireframes,Homepage,Ada Lovelace,,ada@example.com,"design, client-work",Yes,11/02/2026,09:00:00 AM,11/02/2026,10:30:00 AM,01:30:00,1.50,80.00,120.00
Thesis,,Literature review,,Ada Lovelace,,ada@example.com,,No,11/02/2026,01:15:00 PM,11/02/2026,03:00:00 PM,01:45:00,1.75,0.00,0.00
Thesis,,Reading group,,Ada Lovelace,,ada@example.com,deep-work,No,11/13/2026,12:00:00 PM,11/13/2026,12:45:00 PM,00:45:00,0.75,0.00,0.00
"""  # noqa: E501
"""A Clockify detailed export: US dates and 12-hour times."""
