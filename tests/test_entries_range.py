"""Reads of time entries over a range of days (the list, the reports and their files): which
entries they return, and that each of their statements reads time_entries through an
index bounded below by the range (or a small partial index), never the whole table."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event

from tests.conftest import FrozenClock, Persona
from tests.factories import new_entry, new_project, team_of
from timeboxd.db.models import User
from timeboxd.db.prepared import Prepared
from timeboxd.services.accounts.users import personal_workspace_id
from timeboxd.services.context import Principal
from timeboxd.services.database import Database
from timeboxd.services.tracking.entries_bulk import ImportedEntry, insert_imported

WEEK = "date_from=2026-11-16&date_to=2026-11-22"
# Indexes holding only a few rows each: entries longer than a week, running entries.
PARTIAL = {
    "ix_time_entries_long",
    "uq_time_entries_running",
    "ix_time_entries_workspace_long",
    "ix_time_entries_workspace_running",
}


def at(day: int, hour: int, minute: int = 0) -> str:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC).isoformat()


def timer_entry(p: Persona, clock: FrozenClock, start: datetime, stop: datetime | None) -> str:
    """An entry made by the timer: the only way to an entry longer than a week."""
    clock.set(start)
    entry = p.ok("POST", "/v1/timer/start", 201, json={"description": "left running"})
    if stop is not None:
        clock.set(stop)
        p.ok("POST", "/v1/timer/stop")
    return str(entry["id"])


@pytest.fixture
def week(owner: Persona, clock: FrozenClock) -> dict[str, str]:
    """Entries around the week of 16-22 Nov 2026 (UTC), by what they are."""
    made = {
        "inside": new_entry(owner, at(17, 9), at(17, 10))["id"],
        "first_minute": new_entry(owner, at(16, 0), at(16, 0, 30))["id"],
        "crossing_start": new_entry(owner, at(15, 23), at(16, 1))["id"],
        "crossing_end": new_entry(owner, at(22, 23), at(23, 2))["id"],
        "days_before": new_entry(owner, at(12, 8), at(18, 8))["id"],
        "spanning": new_entry(owner, at(15, 23), at(22, 22, 30))["id"],
        "ends_at_start": new_entry(owner, at(15, 22), at(16, 0))["id"],
        "starts_at_end": new_entry(owner, at(23, 0), at(23, 1))["id"],
        "before": new_entry(owner, at(10, 9), at(10, 10))["id"],
        "after": new_entry(owner, at(25, 9), at(25, 10))["id"],
    }
    # A timer stopped after nine days, and one still running since a fortnight before.
    made["long"] = timer_entry(
        owner, clock, datetime(2026, 11, 8, 12, tzinfo=UTC), datetime(2026, 11, 17, 12, tzinfo=UTC)
    )
    made["long_before"] = timer_entry(
        owner, clock, datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 10, 10, tzinfo=UTC)
    )
    made["running"] = timer_entry(owner, clock, datetime(2026, 11, 2, 8, tzinfo=UTC), None)
    clock.set(datetime(2026, 11, 24, 10, tzinfo=UTC))
    return made


EXPECTED = {
    "inside",
    "first_minute",
    "crossing_start",
    "crossing_end",
    "days_before",
    "spanning",
    "long",
    "running",
}


def test_the_week_lists_every_entry_overlapping_it_newest_first(
    owner: Persona, week: dict[str, str]
) -> None:
    listed = owner.ok("GET", f"/v1/time-entries?{WEEK}")
    assert {e["id"] for e in listed} == {week[k] for k in EXPECTED}
    starts = [(e["start_at"], e["id"]) for e in listed]
    assert starts == sorted(starts, key=lambda s: (-datetime.fromisoformat(s[0]).timestamp(), s[1]))
    assert [e["id"] for e in listed if e["running"]] == [week["running"]]


def test_open_ranges_and_pages_of_the_week(owner: Persona, week: dict[str, str]) -> None:
    since = {e["id"] for e in owner.ok("GET", "/v1/time-entries?date_from=2026-11-16")}
    assert since == {week[k] for k in EXPECTED | {"starts_at_end", "after"}}
    until = {e["id"] for e in owner.ok("GET", "/v1/time-entries?date_to=2026-11-22")}
    assert until == {v for k, v in week.items() if k not in {"starts_at_end", "after"}}
    whole = owner.ok("GET", f"/v1/time-entries?{WEEK}")
    pages = [owner.get(f"/v1/time-entries?{WEEK}&per_page=3&page={n}").json() for n in (1, 2, 3)]
    assert [e["id"] for page in pages for e in page["data"]] == [e["id"] for e in whole]
    assert pages[0]["meta"]["total"] == len(EXPECTED)
    assert [page["meta"]["has_more"] for page in pages] == [True, True, False]


def test_an_admin_sees_the_teams_week_and_their_own(
    owner: Persona, teammate: Persona, clock: FrozenClock
) -> None:
    workspace = team_of(owner, teammate)
    project = new_project(owner, "Client work", workspace_id=workspace)["id"]
    theirs = new_entry(teammate, at(17, 9), at(17, 11), project_id=project)["id"]
    theirs_crossing = new_entry(teammate, at(15, 20), at(16, 2), project_id=project)["id"]
    running = timer_entry(teammate, clock, datetime(2026, 11, 1, tzinfo=UTC), None)
    private = new_entry(teammate, at(18, 9), at(18, 10))["id"]  # their personal workspace
    mine = new_entry(owner, at(18, 9), at(18, 10))["id"]
    clock.set(datetime(2026, 11, 24, 10, tzinfo=UTC))
    assert {e["id"] for e in owner.ok("GET", f"/v1/time-entries?{WEEK}")} == {
        theirs,
        theirs_crossing,
        mine,
    }
    listed = owner.ok("GET", f"/v1/time-entries?{WEEK}&user_id={teammate.user_id}")
    assert {e["id"] for e in listed} == {theirs, theirs_crossing}
    assert {e["id"] for e in teammate.ok("GET", f"/v1/time-entries?{WEEK}")} == {
        theirs,
        theirs_crossing,
        running,
        private,
    }


def test_the_detailed_report_has_the_same_entries_as_the_list(
    owner: Persona, week: dict[str, str]
) -> None:
    report = owner.ok("GET", f"/v1/reports/detailed?{WEEK}")
    assert {r["id"] for r in report["rows"]} == {week[k] for k in EXPECTED}


# -- the plans -----------------------------------------------------------------------------


@contextmanager
def statements(db: Database) -> Iterator[list[tuple[str, Any]]]:
    """The statements the app sends to the database meanwhile, with their parameters:
    through SQLAlchemy, and prepared ones run on the driver's cursor (db/prepared.py)."""
    seen: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, sql: str, params: Any, context: Any, many: bool) -> None:
        if not many:
            seen.append((sql, params))

    run = Prepared.all

    def prepared(self: Prepared, conn: Any, params: Any) -> Any:
        c = self._compile(conn)
        seen.append((c.sql, tuple(params[k] for k in c.positions) if c.positions else params))
        return run(self, conn, params)

    event.listen(db.engine, "before_cursor_execute", record)
    Prepared.all = prepared  # type: ignore[method-assign]
    try:
        yield seen
    finally:
        Prepared.all = run  # type: ignore[method-assign]
        event.remove(db.engine, "before_cursor_execute", record)


def _sqlite_scans(db: Database, sql: str, params: Any) -> list[str]:
    """The plan's reads of time_entries that are not bounded by the range."""
    with db.engine.connect() as conn:
        rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params).all()
    bad = []
    for row in rows:
        detail = str(row[-1])
        if not re.search(r"\btime_entries\b", detail):
            continue
        index = re.search(r"INDEX (\w+)", detail)
        if index and index.group(1) in PARTIAL:
            continue
        if detail.startswith("SEARCH") and re.search(r"start_at>", detail):
            continue
        if "USING INTEGER PRIMARY KEY" in detail or "(id=?)" in detail:
            continue
        bad.append(detail)
    return bad


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


def _postgres_scans(db: Database, sql: str, params: Any) -> list[str]:
    with db.engine.connect() as conn:
        raw = conn.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {sql}", params).scalar()
        conn.rollback()
    plan = raw if isinstance(raw, list) else json.loads(raw)
    bad = []
    for node in _nodes(plan[0]["Plan"]):
        index = node.get("Index Name", "")
        if node.get("Relation Name") == "time_entries" and node["Node Type"] == "Seq Scan":
            bad.append("Seq Scan on time_entries")
        elif (
            index.startswith(("ix_time_entries", "uq_time_entries"))
            and index not in PARTIAL
            and "start_at >" not in node.get("Index Cond", "")
        ):
            bad.append(f"{node['Node Type']} {index} {node.get('Index Cond')}")
    return bad


def history(db: Database, p: Persona, count: int) -> None:
    """``count`` entries of ``p`` over the years before the week, written the way imports
    write them, and the planner's statistics brought up to date: PostgreSQL plans by the
    table's size, and reads a small table whole, as it should."""
    with db.write() as s:
        user = s.get(User, p.user_id)
        assert user is not None
        principal = Principal(p.user_id, True, frozenset(), None, "UTC", "monday")
        first = datetime(2020, 1, 1, 8, tzinfo=UTC)
        items = [
            ImportedEntry(
                start_at=(start := first + timedelta(hours=2 * n)),
                end_at=start + timedelta(minutes=45),
                description=f"history {n}",
                billable=False,
                external_id=f"history-{n}",
            )
            for n in range(count)
        ]
        insert_imported(s, principal, datetime.now(UTC), personal_workspace_id(s, p.user_id), items)
    if db.dialect == "postgresql":
        with db.engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE time_entries")
            conn.commit()


@pytest.mark.parametrize(
    "url",
    [
        f"/v1/time-entries?{WEEK}",
        f"/v1/time-entries?{WEEK}&per_page=2&page=2",
        "/v1/time-entries?date_from=2026-11-16",
        f"/v1/reports/detailed?{WEEK}",
        f"/v1/reports/detailed?{WEEK}&format=csv",
        f"/v1/reports/summary?{WEEK}",
        f"/v1/reports/summary?{WEEK}&group_by=day",
    ],
)
def test_range_reads_use_an_index_bounded_by_the_range(
    owner: Persona, teammate: Persona, week: dict[str, str], db: Database, url: str
) -> None:
    workspace = team_of(owner, teammate)
    project = new_project(owner, "Client work", workspace_id=workspace)["id"]
    new_entry(teammate, at(17, 9), at(17, 11), project_id=project)
    history(db, owner, 10_000 if db.dialect == "postgresql" else 500)
    with statements(db) as seen:
        response = owner.get(url)
    assert response.status_code == 200
    reads = [(s, p) for s, p in seen if re.search(r"\bFROM time_entries\b", s)]
    assert reads
    explain = _postgres_scans if db.dialect == "postgresql" else _sqlite_scans
    unbounded = {detail for sql, params in reads for detail in explain(db, sql, params)}
    assert unbounded == set()
