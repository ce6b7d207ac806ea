"""A server killed with SIGKILL in the middle of a large write (10,000 entries through
``POST /v1/time-entries/bulk``, or a 10,000-row import) leaves all of it or none of it, and
statistics rollups that agree with a recount, on both databases.

The kill comes while the request is in flight: once the server holds the database's write
lock for it (SQLite) or has begun writing time_entries (PostgreSQL), found by polling. A
request that finished before (a fast machine) leaves everything written, also an outcome
the rule allows."""

from __future__ import annotations

import os
import signal
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import make_url, text

from tests.conftest import RealServer, serving_for_tests
from timeboxd.db.rollups_rebuild import rebuild
from timeboxd.db.rollups_sql import TABLES
from timeboxd.services.database import Database

pytestmark = pytest.mark.slow

COUNT = 10_000
DEADLINE = 600.0  # seconds: generous, for a loaded machine
FIRST = datetime(2025, 1, 6, 7, 0, tzinfo=UTC)


def starts() -> Iterator[datetime]:
    for n in range(COUNT):
        day, slot = divmod(n, 20)
        yield FIRST + timedelta(days=day, minutes=slot * 40)


def bulk_body() -> bytes:
    items = ",".join(
        f'{{"start_at":"{s.isoformat()}","end_at":"{(s + timedelta(minutes=30)).isoformat()}",'
        f'"description":"item {n}"}}'
        for n, s in enumerate(starts())
    )
    return f'{{"time_entries":[{items}]}}'.encode()


def toggl_body() -> bytes:
    lines = ["User,Email,Project,Description,Billable,Start date,Start time,End date,End time"]
    for n, s in enumerate(starts()):
        e = s + timedelta(minutes=30)
        lines.append(
            f"Ada,ada@example.com,Project {n % 7},Row {n},No,"
            f"{s:%Y-%m-%d},{s:%H:%M:%S},{e:%Y-%m-%d},{e:%H:%M:%S}"
        )
    return ("\n".join(lines) + "\n").encode()


def user_of(server: RealServer, headers: dict[str, str]) -> str:
    me = httpx.get(f"{server.base}/v1/me", headers=headers, timeout=60)
    assert me.status_code == 200, me.text
    return str(me.json()["data"]["id"])


def writing(server: RealServer, url: str) -> Callable[[], bool]:
    """Whether the server is in the middle of a write: SQLite's write lock is held (a
    transaction of ours cannot take it), or PostgreSQL's time_entries has a writer."""
    if server.db.dialect == "sqlite":
        path = make_url(url).database
        assert path

        def locked() -> bool:
            probe = sqlite3.connect(path, timeout=0, isolation_level=None)
            try:
                probe.execute("BEGIN IMMEDIATE")
                probe.execute("ROLLBACK")
                return False
            except sqlite3.OperationalError:
                return True
            finally:
                probe.close()

        return locked

    def inserting() -> bool:
        with server.db.engine.connect() as conn:
            found = conn.execute(
                text(
                    "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation"
                    " WHERE c.relname = 'time_entries' AND l.mode = 'RowExclusiveLock'"
                    " AND l.granted AND l.pid <> pg_backend_pid()"
                    " AND l.database = (SELECT oid FROM pg_database"
                    " WHERE datname = current_database())"
                )
            ).scalar()
        return bool(found)

    return inserting


def kill_in_flight(
    server: RealServer, url: str, path: str, body: bytes, headers: dict[str, str]
) -> str:
    """Send the request from a thread and SIGKILL the server once it is writing: what the
    client saw ("killed", or the status when it finished first)."""
    outcome: dict[str, Any] = {}

    def send() -> None:
        try:
            response = httpx.post(
                f"{server.base}{path}", content=body, headers=headers, timeout=DEADLINE
            )
            outcome["status"] = response.status_code
            outcome["text"] = response.text[:500]
        except httpx.HTTPError:
            outcome["status"] = "killed"

    busy = writing(server, url)
    sender = threading.Thread(target=send)
    sender.start()
    deadline = time.monotonic() + DEADLINE
    while sender.is_alive() and not busy():
        assert time.monotonic() < deadline, "the request neither wrote nor finished"
        time.sleep(0.005)
    if sender.is_alive():
        os.kill(server.process.pid, signal.SIGKILL)
    sender.join(DEADLINE)
    assert not sender.is_alive()
    assert outcome["status"] in ("killed", 200, 201), outcome
    return str(outcome["status"])


def rollups_of(conn: Any, user_id: str) -> dict[str, list[tuple[Any, ...]]]:
    return {
        table: sorted(
            tuple(r)
            for r in conn.execute(text(f"SELECT * FROM {table} WHERE user_id = :u"), {"u": user_id})
        )
        for table in TABLES
    }


def assert_rollups_recount(db: Database, user_id: str) -> None:
    with db.engine.connect() as conn:
        stored = rollups_of(conn, user_id)
        conn.rollback()
        rebuild(conn)
        recounted = rollups_of(conn, user_id)
        conn.rollback()
    assert stored == recounted


def database_url(backend: str, tmp: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp / 'timeboxd.db'}"
    url = os.environ["TIMEBOXD_TEST_POSTGRES_URL"]
    return url


@pytest.mark.parametrize(
    ("path", "make_body", "content_type"),
    [
        ("/v1/time-entries/bulk", bulk_body, "application/json"),
        ("/v1/imports/time-entries", toggl_body, "text/csv"),
    ],
    ids=["bulk", "import"],
)
def test_a_killed_write_leaves_all_or_nothing(
    backend: str,
    tmp_path: Path,
    path: str,
    make_body: Callable[[], bytes],
    content_type: str,
) -> None:
    body = make_body()
    url = database_url(backend, tmp_path)
    # Keys are touched at most once a day here: the only write of the request is its own.
    settings = {"key_touch_interval_seconds": "86400", "max_body_bytes": str(64 * 1024 * 1024)}
    with serving_for_tests(backend, tmp_path, workers=1, **settings) as server:
        headers = server.new_user()
        user_id = user_of(server, headers)  # the key's first touch is written here
        status = kill_in_flight(server, url, path, body, {**headers, "Content-Type": content_type})
    with serving_for_tests(backend, tmp_path, workers=1, **settings) as server:
        listed = httpx.get(
            f"{server.base}/v1/time-entries", params={"per_page": 1}, headers=headers, timeout=60
        )
        assert listed.status_code == 200, listed.text
        total = listed.json()["meta"]["total"]
        if status == "killed":
            assert total in (0, COUNT)
        else:
            assert total == COUNT
        with server.db.engine.connect() as conn:
            stored = conn.execute(
                text("SELECT count(*) FROM time_entries WHERE user_id = :u"), {"u": user_id}
            ).scalar()
        assert stored == total
        assert_rollups_recount(server.db, user_id)
