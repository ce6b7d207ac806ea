"""``db/rollups_rebuild.rebuild`` recounts every rollup from blocks and time entries: after
the rollups are corrupted or emptied, the statistics endpoints answer as they did before,
as the brute-force oracle does, and the rollups hold what the triggers had written."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import text

from tests.conftest import FROZEN_AT, Persona
from tests.test_stats_oracle import oracle_productivity, oracle_stats
from timeboxd.db.rollups_rebuild import rebuild
from timeboxd.db.rollups_sql import TABLES
from timeboxd.services.database import Database

ZONE = "Europe/Berlin"
QUERIES = (
    "/v1/stats?period=today",
    "/v1/stats?period=week",
    "/v1/stats?period=month",
    "/v1/stats?period=all",
    "/v1/stats?date_from=2026-10-01&date_to=2026-12-31",
    "/v1/productivity?weeks=1",
    "/v1/productivity?weeks=6",
)
# (date, start, end, done, fate, project index or None)
BLOCKS = [
    ("2026-11-24", "08:00", "09:00", True, "keep", 0),
    ("2026-11-24", "09:00", "09:20", True, "keep", None),  # done, too short for focus
    ("2026-11-23", "22:30", "23:59", True, "keep", 1),
    ("2026-11-23", "10:00", "11:00", False, "keep", 0),
    ("2026-11-22", "07:15", "08:45", True, "archive", 0),
    ("2026-11-21", "14:00", "15:30", True, "delete", None),
    ("2026-11-20", "14:00", "16:00", True, "keep", 1),  # tracked by an entry below
    ("2026-11-02", "06:00", "06:45", True, "keep", None),
    ("2026-11-27", "09:00", "12:00", False, "keep", 0),  # planned ahead
]
# (start, end, project index or None, linked to the block tracked above)
ENTRIES = [
    ("2026-11-20T13:00:00Z", "2026-11-20T14:10:00Z", 1, True),
    ("2026-11-23T22:50:00Z", "2026-11-24T00:40:00Z", None, False),  # across midnight
    ("2026-11-24T06:03:00Z", "2026-11-24T06:11:00Z", 0, False),
    ("2026-11-24T06:12:00Z", "2026-11-24T06:14:00Z", 0, False),  # the same quarter hour
    ("2026-10-30T23:30:00Z", "2026-10-31T02:30:00Z", None, False),
]


def fill(p: Persona) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[Any, str]]:
    """The account's blocks and entries, and the oracle's view of them."""
    projects = [p.ok("POST", "/v1/projects", 201, json={"name": f"P{n}"})["id"] for n in range(2)]
    made = []
    for day, start, end, done, fate, project in BLOCKS:
        body = {
            "date": day,
            "start": start,
            "end": end,
            "done": done,
            "project_id": None if project is None else projects[project],
        }
        b = p.ok("POST", "/v1/blocks", 201, json=body)
        if fate == "archive":
            p.ok("POST", f"/v1/blocks/{b['id']}/archive")
        elif fate == "delete":
            p.ok("DELETE", f"/v1/blocks/{b['id']}")
        made.append(
            {"id": b["id"], "gone": fate != "keep", "done": done, "project": body["project_id"]}
        )
    tracked = made[6]
    entries = []
    for start, end, project, linked in ENTRIES:
        body = {"start_at": start, "end_at": end}
        body["project_id"] = None if project is None else projects[project]
        if linked:
            body["block_id"] = tracked["id"]
        p.ok("POST", "/v1/time-entries", 201, json=body)
        entries.append(
            {
                "start": datetime.fromisoformat(start),
                "end": datetime.fromisoformat(end),
                "project": body["project_id"],
            }
        )
    for b in made:
        if not b["gone"]:
            again = p.ok("GET", f"/v1/blocks/{b['id']}")
            b["date"] = date.fromisoformat(again["date"])
            b["start_at"] = datetime.fromisoformat(again["start_at"])
            b["end_at"] = datetime.fromisoformat(again["end_at"])
            b["minutes"] = again["duration_minutes"]
            b["tracked"] = again["has_time_entry"]
    names = {projects[0]: "P0", projects[1]: "P1", None: "(no project)"}
    return made, entries, names


def answers(p: Persona) -> dict[str, Any]:
    return {query: p.ok("GET", query) for query in QUERIES}


def rollup_rows(db: Database, user_id: str | None = None) -> dict[str, set[tuple[Any, ...]]]:
    """Every rollup row that holds a figure (the triggers leave rows that went back to
    zero behind; a recount writes none), of one account or of all."""
    out = {}
    with db.read() as session:
        for table in TABLES:
            where = " WHERE user_id = :u" if user_id else ""
            rows = session.execute(text(f"SELECT * FROM {table}{where}"), {"u": user_id})
            keys = 4 if table.endswith("_projects") else 3
            out[table] = {tuple(r) for r in rows if any(r[keys:])}
    return out


def run_rebuild(db: Database) -> None:
    with db.write() as session:
        rebuild(session.connection())


def test_a_rebuild_repairs_corrupted_rollups(persona_factory: Any, db: Database) -> None:
    p: Persona = persona_factory(ZONE)
    made, entries, names = fill(p)
    before, rows = answers(p), rollup_rows(db, p.user_id)
    assert before["/v1/stats?period=week"] == oracle_stats(
        made, entries, ZoneInfo(ZONE), FROZEN_AT, "monday", "week"
    )

    with db.write() as session:
        for statement in (
            "DELETE FROM stats_slots WHERE user_id = :u AND slot % 2 = 0",
            "UPDATE stats_block_days SET completed = completed + 3, total = total + 5"
            " WHERE user_id = :u",
            "DELETE FROM stats_block_projects WHERE user_id = :u",
            "UPDATE stats_day_projects SET tracked_seconds = tracked_seconds * 2"
            " WHERE user_id = :u",
            "INSERT INTO stats_slot_projects(user_id, livemode, slot, project_key,"
            " tracked_seconds, block_seconds) VALUES (:u, true, 1, '', 600, 0)",
        ):
            session.execute(text(statement), {"u": p.user_id})
    assert rollup_rows(db, p.user_id) != rows

    run_rebuild(db)
    assert rollup_rows(db, p.user_id) == rows
    response = p.get("/v1/stats?period=week")
    assert response.headers["X-Cache"] == "miss"  # nothing cached from before is served
    assert answers(p) == before
    tz = ZoneInfo(ZONE)
    for period in ("today", "week", "month", "all"):
        got = before[f"/v1/stats?period={period}"]
        assert got == oracle_stats(made, entries, tz, FROZEN_AT, "monday", period)
    for weeks in (1, 6):
        got = before[f"/v1/productivity?weeks={weeks}"]
        assert got == oracle_productivity(made, entries, tz, FROZEN_AT, weeks, names)


def test_a_rebuild_of_emptied_rollups_gives_every_account_its_figures_back(
    persona_factory: Any, db: Database
) -> None:
    p: Persona = persona_factory(ZONE)
    fill(p)
    sandbox = p.as_key(p.new_key(test=True))
    focus = {"date": "2026-11-24", "start": "07:00", "end": "08:00", "done": True}
    sandbox.ok("POST", "/v1/blocks", 201, json=focus)
    span = {"start_at": "2026-11-24T05:00:00Z", "end_at": "2026-11-24T05:40:00Z"}
    sandbox.ok("POST", "/v1/time-entries", 201, json=span)
    other: Persona = persona_factory("Asia/Kathmandu")
    fill(other)
    before = {x.key: answers(x) for x in (p, sandbox, other)}
    everything = rollup_rows(db)

    with db.write() as session:
        for table in TABLES:
            session.execute(text(f"DELETE FROM {table}"))
    run_rebuild(db)
    assert rollup_rows(db) == everything
    for x in (p, sandbox, other):
        assert answers(x) == before[x.key]
