"""Statistics benchmark against a real ``timeboxd serve`` this script starts.

    .venv/bin/python bench/stats.py [--postgres] [--blocks 1000000] [--entries 200000] [--runs 15]

One account (Europe/Berlin) with 1,000,000 blocks and 200,000 time entries over five years,
written with bulk core inserts straight into the database while the server idles (the
rollup triggers fire for every row, as for any other write path), and a second account with
a tenth as much (noise the first must not pay for). Then ``GET /v1/stats?period=all``,
``?period=week`` and ``GET /v1/productivity`` (12 and 52 weeks):

- uncached: every call follows a write to the account (a block's topic changes), which
  raises its statistics version, so the call computes (``X-Cache: miss`` is checked);
- cached: the same call again (``X-Cache: hit``).

Times are the whole HTTP request measured by the client on the same machine, and the
handler's own time from the ``Server-Timing`` header. Targets: uncached under 150 ms,
cached under 5 ms of server time.
"""

from __future__ import annotations

import argparse
import statistics
import time
from contextlib import ExitStack
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from typing import Any

import httpx
from harness import checked, machine, unlimited_server
from sqlalchemy import insert

from timeboxd.db.engine import make_engine
from timeboxd.db.models import blocks_table
from timeboxd.db.tracking import TimeEntry
from timeboxd.domain.ids import new_id
from timeboxd.domain.wallclock import to_utc_lenient

ZONE = "Europe/Berlin"
DAYS = 5 * 365 + 1
FIRST = date(2021, 11, 24)
BATCH = 20_000


def block_rows(user: str, projects: list[str], count: int) -> Any:
    now = datetime.now(UTC)
    per_day = max(1, count // DAYS)
    for i in range(count):
        day = FIRST + timedelta(days=min(i // per_day, DAYS - 1))
        minute = 6 * 60 + (i * 37) % (15 * 60)
        length = 15 + (i * 13) % 76
        start, end = clock(minute // 60, minute % 60), None
        end_minute = min(minute + length, 23 * 60 + 59)
        end = clock(end_minute // 60, end_minute % 60)
        done = i % 10 < 6
        yield {
            "id": new_id("blk"),
            "user_id": user,
            "livemode": True,
            "project_id": projects[i % len(projects)] if i % 9 else None,
            "task_id": None,
            "date": day,
            "start": start,
            "end": end,
            "start_at": to_utc_lenient(day, start, ZONE),
            "end_at": to_utc_lenient(day, end, ZONE),
            "topic": f"block {i}",
            "done": done,
            "completed_at": now if done else None,
            "series_id": None,
            "has_time_entry": i % 10 == 0,
            "external_uid": None,
            "archived_at": now if i % 50 == 1 else None,
            "deleted_at": now if i % 50 == 2 else None,
            "created_at": now,
            "updated_at": now,
            "version": 1,
        }


def entry_rows(user: str, workspace: str, projects: list[str], count: int) -> Any:
    now = datetime.now(UTC)
    step = DAYS * 86400 // count
    began = datetime.combine(FIRST, clock(5), UTC)
    for i in range(count):
        start = began + timedelta(seconds=i * step)
        seconds = 300 + (i * 97) % 3300  # 5 to 60 minutes
        yield {
            "id": new_id("ten"),
            "user_id": user,
            "workspace_id": workspace,
            "livemode": True,
            "project_id": projects[i % len(projects)] if i % 7 else None,
            "task_id": None,
            "block_id": None,
            "description": f"entry {i}",
            "start_at": start,
            "end_at": start + timedelta(seconds=seconds),
            "duration_seconds": seconds,
            "billable": False,
            "source": "import",
            "external_id": None,
            "approval_status": "draft",
            "approval_comment": None,
            "reviewed_by": None,
            "reviewed_at": None,
            "created_at": now,
            "updated_at": now,
            "version": 1,
        }


def seed(url: str, http: httpx.Client, blocks: int, entries: int) -> None:
    me = checked(http.get("/v1/me"))
    made = [
        checked(http.post("/v1/projects", json={"name": f"Subject {n}"}), 201) for n in range(12)
    ]
    projects = [p["id"] for p in made]
    engine = make_engine(url)
    try:
        for rows, table in (
            (block_rows(me["id"], projects, blocks), blocks_table),
            (entry_rows(me["id"], made[0]["workspace_id"], projects, entries), TimeEntry.__table__),
        ):
            batch: list[dict[str, Any]] = []
            for row in rows:
                batch.append(row)
                if len(batch) == BATCH:
                    with engine.begin() as conn:
                        conn.execute(insert(table), batch)
                    batch = []
            if batch:
                with engine.begin() as conn:
                    conn.execute(insert(table), batch)
    finally:
        engine.dispose()


def call(http: httpx.Client, url: str, expect: str) -> tuple[float, float]:
    began = time.perf_counter()
    response = http.get(url)
    took = (time.perf_counter() - began) * 1000
    checked(response)
    assert response.headers["X-Cache"] == expect, (url, response.headers["X-Cache"])
    server = float(response.headers["Server-Timing"].rsplit("dur=", 1)[1])
    return took, server


def measure(http: httpx.Client, url: str, runs: int, block_id: str) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {"miss": [], "miss_server": [], "hit": [], "hit_server": []}
    http.get(url)  # warms the process (imports, prepared statements); not counted
    for n in range(runs):
        checked(http.patch(f"/v1/blocks/{block_id}", json={"topic": f"bench {n}"}))
        took, server = call(http, url, "miss")
        out["miss"].append(took)
        out["miss_server"].append(server)
        took, server = call(http, url, "hit")
        out["hit"].append(took)
        out["hit_server"].append(server)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--blocks", type=int, default=1_000_000)
    parser.add_argument("--entries", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    print(f"Machine: {machine()}")
    with ExitStack() as stack:
        server = unlimited_server(stack, args.postgres)
        key = server.new_key("stats@example.com", timezone=ZONE)
        noise = server.new_key("noise@example.com", timezone=ZONE)
        server.start()
        try:
            auth = {"Authorization": f"Bearer {key}"}
            with (
                httpx.Client(base_url=server.base_url, headers=auth, timeout=600) as http,
                httpx.Client(
                    base_url=server.base_url,
                    headers={"Authorization": f"Bearer {noise}"},
                    timeout=600,
                ) as other,
            ):
                began = time.perf_counter()
                seed(server.database_url, http, args.blocks, args.entries)
                seconds = time.perf_counter() - began
                seed(server.database_url, other, args.blocks // 10, args.entries // 10)
                print(
                    f"Database: {server.backend}; seeded {args.blocks:,} blocks and "
                    f"{args.entries:,} entries (rollups by trigger) in {seconds:.0f} s\n"
                )
                block = checked(
                    http.post(
                        "/v1/blocks",
                        json={"date": "2026-11-24", "start": "07:00", "end": "07:30"},
                    ),
                    201,
                )["id"]
                cases = {
                    "stats?period=all": "/v1/stats?period=all",
                    "stats?period=week": "/v1/stats?period=week",
                    "productivity (12 weeks)": "/v1/productivity",
                    "productivity?weeks=52": "/v1/productivity?weeks=52",
                }
                print(
                    "| call | uncached median ms (server) | uncached p90 ms |"
                    " cached median ms (server) | cached max ms |"
                )
                print("| --- | ---: | ---: | ---: | ---: |")
                for name, path in cases.items():
                    r = measure(http, path, args.runs, block)
                    miss, hit = sorted(r["miss"]), sorted(r["hit"])
                    p90 = miss[int(len(miss) * 0.9) - 1]
                    print(
                        f"| {name} | {statistics.median(miss):.1f}"
                        f" ({statistics.median(r['miss_server']):.1f}) | {p90:.1f} |"
                        f" {statistics.median(hit):.1f}"
                        f" ({statistics.median(r['hit_server']):.2f}) | {max(hit):.1f} |"
                    )
        finally:
            server.stop()


if __name__ == "__main__":
    main()
