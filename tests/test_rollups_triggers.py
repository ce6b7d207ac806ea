"""The statistics triggers installed are those db/rollups_sql.py renders (and SQLite's
search triggers those of db/search_index.py); they count what the triggers of migrations
0006 and 0009 counted, row for row; the migration that installs them goes down to those
and up again; and a rebuild counts what they count. On both databases."""

from __future__ import annotations

import random
import re
import secrets
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Engine, delete, insert, text, update

from timeboxd.db import migrate, rollups_sql, search_index
from timeboxd.db.engine import make_engine, make_sessionmaker
from timeboxd.db.models import Block, User, Workspace, blocks_table
from timeboxd.db.prepared import insert_many
from timeboxd.db.rollups_rebuild import rebuild
from timeboxd.db.tracking import TimeEntry
from timeboxd.domain.ids import new_id
from timeboxd.services.database import Database

NOW = datetime(2026, 11, 24, tzinfo=UTC)


def installed(engine: Engine) -> dict[str, str]:
    """The statistics triggers' SQL as the database keeps it: SQLite its triggers' text
    (and the search triggers', also installed by migration 0012), PostgreSQL its functions'
    bodies (by name), and the triggers by name."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            rows = conn.execute(
                text(
                    "SELECT name, sql FROM sqlite_master"
                    " WHERE type = 'trigger'"
                    " AND (name LIKE 'stats_rollup_%' OR name LIKE 'search_%')"
                )
            )
            return {r.name: r.sql for r in rows}
        functions = conn.execute(
            text(
                "SELECT proname, prosrc FROM pg_proc"
                " WHERE proname LIKE 'timeboxd_stats_%' OR proname = 'timeboxd_epoch'"
            )
        )
        triggers = conn.execute(
            text("SELECT tgname FROM pg_trigger WHERE tgname LIKE 'stats_rollup_%'")
        )
        return {r.proname: r.prosrc for r in functions} | {r.tgname: "" for r in triggers}


def rendered(dialect: str) -> dict[str, str]:
    """``installed`` as the modules render it."""
    statements = rollups_sql.create(dialect)
    if dialect == "sqlite":
        statements += search_index.sqlite_create()
    out = {}
    for statement in statements:
        name = re.search(r"CREATE (?:TRIGGER|FUNCTION) (\w+)", statement)
        assert name
        if dialect == "sqlite":
            out[name[1]] = statement
        elif statement.startswith("CREATE FUNCTION"):
            out[name[1]] = statement.split("$$")[1]
        else:
            out[name[1]] = ""
    return out


def workload(engine: Engine, seed: int) -> str:
    """An account with blocks and entries of every kind, written, changed and deleted with
    core statements one by one and in bulk; returns its id."""
    sessions = make_sessionmaker(engine)
    rnd = random.Random(seed)
    with sessions.begin() as s:
        # The account's two rows, written with the columns every schema version has: the
        # workload runs against earlier versions than the models describe.
        uid, workspace = new_id("usr"), new_id("wsp")
        s.execute(
            insert(User.__table__).values(
                id=uid,
                email=f"user-{secrets.token_hex(4)}@example.com",
                name="",
                timezone="UTC",
                week_start="monday",
                is_admin=False,
                created_at=NOW,
                updated_at=NOW,
                version=1,
            )
        )
        s.execute(
            insert(Workspace.__table__).values(
                id=workspace, name="Mine", owner_id=uid, personal=True, created_at=NOW
            )
        )
    blocks, entries = [], []
    for n in range(240):
        day = date(2026, 9, 1) + timedelta(days=n // 4)
        first = rnd.randrange(0, 88)
        start = datetime.combine(day, time(first // 4, first % 4 * 15), UTC)
        end = start + timedelta(minutes=rnd.choice([5, 15, 25, 30, 45, 90, 180]))
        blocks.append(
            {
                "id": f"blk_{uid[-12:]}{n:05d}",
                "user_id": uid,
                "livemode": n % 7 != 0,
                "project_id": None,
                "task_id": None,
                "date": day,
                "start": start.time(),
                "end": end.time(),
                "start_at": start,
                "end_at": end,
                "topic": "",
                "done": rnd.random() < 0.6,
                "completed_at": None,
                "series_id": None,
                "has_time_entry": rnd.random() < 0.2,
                "external_uid": None,
                "archived_at": NOW if rnd.random() < 0.1 else None,
                "deleted_at": None,
                "created_at": NOW,
                "updated_at": NOW,
                "version": 1,
            }
        )
    for n in range(120):
        start = datetime(2026, 9, 1, tzinfo=UTC) + timedelta(seconds=rnd.randrange(0, 80 * 86400))
        entries.append(
            {
                "id": f"ent_{uid[-12:]}{n:05d}",
                "user_id": uid,
                "workspace_id": workspace,
                "livemode": n % 5 != 0,
                "project_id": None,
                "task_id": None,
                "block_id": None,
                "description": "",
                "start_at": start,
                "end_at": start + timedelta(seconds=rnd.randrange(60, 30 * 3600)),
                "duration_seconds": 0,
                "billable": False,
                "source": "manual",
                "external_id": None,
                "approval_status": "draft",
                "approval_comment": None,
                "reviewed_by": None,
                "reviewed_at": None,
                "created_at": NOW,
                "updated_at": NOW,
                "version": 1,
            }
        )
    with sessions.begin() as s:
        insert_many(s.connection(), blocks_table, blocks[:200])
        insert_many(s.connection(), TimeEntry.__table__, entries[:100])
    with sessions.begin() as s:
        conn = s.connection()
        for b in blocks[200:]:
            conn.execute(blocks_table.insert().values(**b))
        for e in entries[100:]:
            conn.execute(TimeEntry.__table__.insert().values(**e))
        for b in rnd.sample(blocks, 40):
            conn.execute(
                update(Block)
                .where(Block.id == b["id"])
                .values(done=not b["done"], has_time_entry=rnd.random() < 0.5)
            )
        for b in rnd.sample(blocks, 20):
            moved = timedelta(minutes=rnd.choice([-45, 15, 600]))
            longer = moved + timedelta(minutes=rnd.choice([0, 20]))
            conn.execute(
                update(Block)
                .where(Block.id == b["id"])
                .values(start_at=b["start_at"] + moved, end_at=b["end_at"] + longer)
            )
        gone = [b["id"] for b in rnd.sample(blocks, 30)]
        conn.execute(update(Block).where(Block.id.in_(gone[:15])).values(deleted_at=NOW))
        conn.execute(delete(Block).where(Block.id.in_(gone[15:])))
        for e in rnd.sample(entries, 20):
            end = e["start_at"] + timedelta(seconds=rnd.randrange(60, 5000))
            conn.execute(update(TimeEntry).where(TimeEntry.id == e["id"]).values(end_at=end))
        dropped = [e["id"] for e in rnd.sample(entries, 20)]
        conn.execute(delete(TimeEntry).where(TimeEntry.id.in_(dropped)))
    return uid


def rollups_of(engine: Engine, uid: str) -> dict[str, list[tuple[Any, ...]]]:
    """The account's rollup rows, without its id, zero rows included."""
    with engine.connect() as conn:
        return {
            table: sorted(
                tuple(r[1:])
                for r in conn.execute(text(f"SELECT * FROM {table} WHERE user_id = :u"), {"u": uid})
            )
            for table in rollups_sql.TABLES
        }


def test_the_installed_triggers_count_as_the_earlier_ones_did(empty_url: str) -> None:
    migrate.upgrade(empty_url, "0011")
    engine = make_engine(empty_url)
    dialect = engine.dialect.name
    try:
        before = installed(engine)
        earlier = rollups_of(engine, workload(engine, seed=1))

        migrate.upgrade(empty_url)
        assert installed(engine) == rendered(dialect)
        assert rollups_of(engine, workload(engine, seed=1)) == earlier

        migrate.downgrade(empty_url, "0011")
        assert installed(engine) == before
        assert rollups_of(engine, workload(engine, seed=1)) == earlier
        migrate.upgrade(empty_url)
        assert installed(engine) == rendered(dialect)
    finally:
        engine.dispose()


def test_a_rebuild_counts_what_the_triggers_counted(empty_url: str) -> None:
    migrate.upgrade(empty_url)
    db = Database(empty_url)
    try:
        users = [workload(db.engine, seed) for seed in (2, 3)]
        kept = {uid: rollups_of(db.engine, uid) for uid in users}
        with db.write() as session:
            rebuild(session.connection())
        for uid in users:
            # A recount writes no rows that went back to zero; the triggers leave them.
            assert rollups_of(db.engine, uid) == {
                table: [r for r in rows if any(r[3 if table.endswith("_projects") else 2 :])]
                for table, rows in kept[uid].items()
            }
    finally:
        db.dispose()
