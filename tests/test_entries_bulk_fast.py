"""``POST /v1/time-entries/bulk`` writes all its items in a fixed number of statements,
whatever their number, and keeps every rule a single create has: references checked per
item (index and field in ``details``), project defaults, tags, blocks marked tracked,
the statistics rollups, the key's mode. The basics of bulk writes are in
test_entries_bulk.py."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event, text

from tests.conftest import Persona, assert_error
from tests.factories import new_block, new_project, new_tag, new_task, team_of
from timeboxd.db.rollups_rebuild import rebuild
from timeboxd.db.rollups_sql import TABLES
from timeboxd.services.database import Database


def item(n: int, **fields: Any) -> dict[str, Any]:
    day, hour = 1 + n // 10 % 28, 8 + n % 10
    return {
        "start_at": f"2026-10-{day:02d}T{hour:02d}:00:00Z",
        "end_at": f"2026-10-{day:02d}T{hour:02d}:40:00Z",
        "description": f"item {n}",
        **fields,
    }


@contextmanager
def counting(db: Database) -> Iterator[list[str]]:
    """The statements sent meanwhile (an executemany or a COPY counts once)."""
    seen: list[str] = []

    def record(conn: Any, cursor: Any, sql: str, params: Any, context: Any, many: bool) -> None:
        seen.append(sql)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def rich_items(p: Persona, count: int) -> list[dict[str, Any]]:
    """Items with every kind of reference: projects, a task, tags, blocks."""
    billable = new_project(p, "Billable", billable=True)["id"]
    other = new_project(p, "Other")["id"]
    task = new_task(p, other, "Review")["id"]
    tags = [new_tag(p, f"tag {n}")["id"] for n in range(3)]
    blocks = [
        new_block(p, date="2026-10-05", start=f"{8 + n:02d}:00", end=f"{8 + n:02d}:30")["id"]
        for n in range(2)
    ]
    items = []
    for n in range(count):
        fields: dict[str, Any] = {}
        if n % 4 == 0:
            fields["project_id"] = billable
        elif n % 4 == 1:
            fields["task_id"] = task
        if n % 3 == 0:
            fields["tag_ids"] = [tags[n % 3], tags[(n + 1) % 3], tags[n % 3]]
        if n < len(blocks):
            fields["block_id"] = blocks[n]
        items.append(item(n, **fields))
    return items


def test_bulk_create_sends_as_many_statements_for_many_items_as_for_few(
    persona_factory: Any, db: Database
) -> None:
    counts = []
    for count in (20, 400):
        p = persona_factory()
        items = rich_items(p, count)
        with counting(db) as seen:
            made = p.ok("POST", "/v1/time-entries/bulk", 201, json={"time_entries": items})
        assert len(made) == count
        counts.append(len(seen))
    assert counts[0] == counts[1]


def test_bulk_created_entries_read_back_as_they_were_answered(owner: Persona) -> None:
    items = rich_items(owner, 12)
    made = owner.ok("POST", "/v1/time-entries/bulk", 201, json={"time_entries": items})
    assert [e["description"] for e in made] == [f"item {n}" for n in range(12)]
    for entry in made:
        assert owner.ok("GET", f"/v1/time-entries/{entry['id']}") == entry
    listed = {e["id"]: e for e in owner.ok("GET", "/v1/time-entries")}
    assert listed == {e["id"]: e for e in made}
    # the project's default, the task's project, tags once each and sorted
    assert [e["billable"] for e in made[:4]] == [True, False, False, False]
    assert made[1]["project_id"] == made[5]["project_id"] is not None
    assert made[0]["tag_ids"] == sorted(set(items[0]["tag_ids"]))
    assert len(made[0]["tag_ids"]) == 2 and made[1]["tag_ids"] == []
    for n in range(2):
        block = owner.ok("GET", f"/v1/blocks/{items[n]['block_id']}")
        assert block["has_time_entry"] is True


def test_marking_a_block_tracked_changes_its_etag(owner: Persona) -> None:
    block = new_block(owner, date="2026-10-05", start="08:00", end="09:00")
    before = owner.get(f"/v1/blocks/{block['id']}").headers["etag"]
    items = [item(0, block_id=block["id"]), item(1, block_id=block["id"])]
    owner.ok("POST", "/v1/time-entries/bulk", 201, json={"time_entries": items})
    after = owner.get(f"/v1/blocks/{block['id']}")
    assert after.json()["data"]["has_time_entry"] is True
    assert after.headers["etag"] != before


def test_every_bad_reference_is_named_by_index_and_nothing_is_written(
    owner: Persona, outsider: Persona, teammate: Persona
) -> None:
    mine = new_project(owner, "Mine")["id"]
    other = new_project(owner, "Other")["id"]
    task = new_task(owner, other, "Review")["id"]
    tag = new_tag(owner, "mine")["id"]
    workspace = team_of(owner, teammate)
    team_tag = owner.ok("POST", "/v1/tags", 201, json={"name": "team", "workspace_id": workspace})
    theirs = new_project(outsider, "Theirs")["id"]
    their_block = new_block(outsider, date="2026-10-05", start="08:00", end="09:00")["id"]
    my_block = new_block(owner, date="2026-10-05", start="08:00", end="09:00")["id"]
    items = [
        item(0, project_id=mine, block_id=my_block),
        item(1, project_id=theirs),
        item(2, task_id=task, project_id=mine),
        item(3, block_id=their_block),
        item(4, tag_ids=[tag, team_tag["id"]]),
        item(5, end_at="2026-10-09T09:00:00Z"),
        item(6, task_id="tsk_nope"),
        item(7, tag_ids=[tag]),
    ]
    response = owner.post("/v1/time-entries/bulk", json={"time_entries": items})
    error = assert_error(response, 400, "VALIDATION_ERROR")
    assert [(d["index"], d["field"]) for d in error["details"]] == [
        (1, "project_id"),
        (2, "task_id"),
        (3, "block_id"),
        (4, "tag_ids"),
        (5, "end_at"),
        (6, "task_id"),
    ]
    assert owner.ok("GET", "/v1/time-entries") == []
    assert owner.ok("GET", f"/v1/blocks/{my_block}")["has_time_entry"] is False


def test_entries_of_a_team_project_live_in_its_workspace_with_its_tags(
    owner: Persona, teammate: Persona
) -> None:
    workspace = team_of(owner, teammate, role="admin")
    project = new_project(owner, "Client", workspace_id=workspace)["id"]
    tag = owner.ok("POST", "/v1/tags", 201, json={"name": "t", "workspace_id": workspace})["id"]
    items = [item(0, project_id=project, tag_ids=[tag]), item(1)]
    made = teammate.ok("POST", "/v1/time-entries/bulk", 201, json={"time_entries": items})
    assert made[0]["workspace_id"] == workspace and made[0]["tag_ids"] == [tag]
    assert made[1]["workspace_id"] != workspace
    # the team's owner sees the member's entry of the team, not the personal one
    seen = {e["id"] for e in owner.ok("GET", f"/v1/time-entries?user_id={teammate.user_id}")}
    assert seen == {made[0]["id"]}


def test_a_sandbox_key_references_only_sandbox_projects(owner: Persona) -> None:
    live = new_project(owner, "Live")["id"]
    sandbox = owner.as_key(owner.new_key(test=True))
    response = sandbox.post(
        "/v1/time-entries/bulk", json={"time_entries": [item(0), item(1, project_id=live)]}
    )
    error = assert_error(response, 400, "VALIDATION_ERROR")
    assert [(d["index"], d["field"]) for d in error["details"]] == [(1, "project_id")]
    made = sandbox.ok("POST", "/v1/time-entries/bulk", 201, json={"time_entries": [item(0)]})
    assert owner.ok("GET", "/v1/time-entries") == []
    assert [e["id"] for e in sandbox.ok("GET", "/v1/time-entries")] == [made[0]["id"]]


def _rows(conn: Any, user_id: str) -> dict[str, list[tuple[Any, ...]]]:
    return {
        table: sorted(
            tuple(r)
            for r in conn.execute(text(f"SELECT * FROM {table} WHERE user_id = :u"), {"u": user_id})
        )
        for table in TABLES
    }


def rollups(db: Database, user_id: str) -> dict[str, list[tuple[Any, ...]]]:
    with db.engine.connect() as conn:
        return _rows(conn, user_id)


def recounted(db: Database, user_id: str) -> dict[str, list[tuple[Any, ...]]]:
    """The user's rollups as ``rebuild`` counts them from the rows (rolled back after)."""
    with db.engine.connect() as conn:
        rebuild(conn)
        out = _rows(conn, user_id)
        conn.rollback()
    return out


def test_bulk_created_entries_are_counted_in_the_statistics(owner: Persona, db: Database) -> None:
    items = rich_items(owner, 60)
    owner.ok("POST", "/v1/time-entries/bulk", 201, json={"time_entries": items})
    assert rollups(db, owner.user_id) == recounted(db, owner.user_id)
    stats = owner.ok("GET", "/v1/stats?date_from=2026-10-01&date_to=2026-10-31")
    assert stats["tracked_minutes"] == 60 * 40
