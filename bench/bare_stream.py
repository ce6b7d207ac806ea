"""The baseline for the stream benchmark: a plain loop that opens the same database with the
same driver (sqlite3, or psycopg with a server-side cursor), reads the same rows in the same
order in batches of 5,000 and writes the same NDJSON lines to its standard output — the
stream's work without the framework, SQLAlchemy, HTTP or the key.

    .venv/bin/python bench/bare_stream.py DATABASE_URL USER_ID TIME_ZONE > /dev/null

``bench/api.py`` runs it with a pipe and counts the lines it reads, as it counts the
server's; it also checks that the first lines are byte for byte the server's.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import orjson

BATCH = 5000
SQL = """
    SELECT b.id, b.project_id, p.name, b.task_id, b.date, b.start, b."end", b.topic, b.done,
           b.completed_at, b.start_at, b.end_at, b.series_id, b.has_time_entry,
           b.archived_at, b.deleted_at, b.created_at, b.updated_at
    FROM blocks b LEFT JOIN projects p ON p.id = b.project_id
    WHERE b.user_id = {p} AND b.livemode = {t}
      AND b.archived_at IS NULL AND b.deleted_at IS NULL
    ORDER BY b.date, b.start, b.id
"""
OPTIONS = orjson.OPT_UTC_Z | orjson.OPT_NAIVE_UTC | orjson.OPT_APPEND_NEWLINE


def sqlite_rows(path: str, user_id: str) -> Iterator[list[Any]]:
    import sqlite3

    conn = sqlite3.connect(path, isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "temp_store=MEMORY"):
        conn.execute(f"PRAGMA {pragma}")
    cursor = conn.execute(SQL.format(p="?", t="1"), (user_id,))
    while batch := cursor.fetchmany(BATCH):
        yield batch
    conn.close()


def postgres_rows(url: str, user_id: str) -> Iterator[list[Any]]:
    import psycopg

    with psycopg.connect(url) as conn, conn.cursor(name="bare_stream") as cursor:
        cursor.itersize = BATCH
        cursor.execute(SQL.format(p="%s", t="true"), (user_id,))
        while batch := cursor.fetchmany(BATCH):
            yield batch


def main() -> None:
    url, user_id, tz_name = sys.argv[1:4]
    sys.stderr.write("ready\n")  # imported: the benchmark's clock starts here
    sys.stderr.flush()
    tz = ZoneInfo(tz_name)
    out = sys.stdout.buffer
    dumps = orjson.dumps
    if url.startswith("sqlite"):
        batches = sqlite_rows(url.removeprefix("sqlite:///"), user_id)

        def instant(v: Any) -> datetime:
            return datetime.fromisoformat(v + "+00:00")

        def utc(v: Any) -> Any:  # "2030-01-01 05:00:00.000000" as orjson writes it
            frac = v[19:]
            return f"{v[:10]}T{v[11:19]}{'' if frac == '.000000' else frac}Z"

        day: Callable[[Any], Any] = date.fromisoformat
        hhmm: Callable[[Any], str] = lambda v: v[:5]  # noqa: E731
    else:
        batches = postgres_rows(url.replace("postgresql+psycopg://", "postgresql://"), user_id)

        def instant(v: Any) -> datetime:
            return datetime.combine(v.date(), v.time(), UTC)

        def utc(v: Any) -> Any:
            return v

        day = lambda v: v  # noqa: E731
        hhmm = lambda v: f"{v.hour:02d}:{v.minute:02d}"  # noqa: E731
    for batch in batches:
        lines = []
        for (
            id_,
            project_id,
            project_name,
            task_id,
            date_,
            start,
            end,
            topic,
            done,
            completed_at,
            start_at,
            end_at,
            series_id,
            has_time_entry,
            archived_at,
            deleted_at,
            created_at,
            updated_at,
        ) in batch:
            s, e = instant(start_at), instant(end_at)
            lines.append(
                dumps(
                    {
                        "id": id_,
                        "project_id": project_id,
                        "project_name": project_name,
                        "subject_id": project_id,
                        "subject_name": project_name,
                        "task_id": task_id,
                        "date": day(date_),
                        "start": hhmm(start),
                        "end": hhmm(end),
                        "duration_minutes": int((e - s).total_seconds()) // 60,
                        "topic": topic,
                        "done": bool(done),
                        "completed_at": completed_at and utc(completed_at),
                        "start_at": s.astimezone(tz),
                        "end_at": e.astimezone(tz),
                        "series_id": series_id,
                        "has_time_entry": bool(has_time_entry),
                        "archived_at": archived_at and utc(archived_at),
                        "deleted_at": deleted_at and utc(deleted_at),
                        "created_at": utc(created_at),
                        "updated_at": utc(updated_at),
                    },
                    option=OPTIONS,
                )
            )
        out.write(b"".join(lines))
    out.flush()


if __name__ == "__main__":
    main()
