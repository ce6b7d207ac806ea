"""Time-entry benchmarks against a real ``timeboxd serve`` this script starts.

    .venv/bin/python bench/entries.py [--postgres] [--rows 200000] [--duration 10] [--bulk-runs 5]

(about 3 minutes on SQLite, 5 on PostgreSQL, on 2 vCPUs)

One account with 200,000 blocks and 200,000 time entries, both 20 a day over the same
10,000 days (40-minute slots from 06:00, 30 minutes long), written through the bulk routes.

- The week's list: ``GET /v1/time-entries?date_from=&date_to=`` over one Monday-to-Sunday
  week (140 entries), against ``GET /v1/blocks?date=`` for one day (20 blocks) in the same
  run, both authenticated and rate-limited as in production, 2 worker processes, wrk
  (2 threads, 32 connections). Target: the week costs at most twice the day (requests/s
  of the day / requests/s of the week <= 2).
- The same week's list like for like: a second account whose 200,000 entries are 20 a
  week (all on its Wednesday, over 10,000 weeks from 1971), so that the week holds as many
  rows as the day of blocks; the figure the ratio of rows does not explain.
- ``POST /v1/time-entries/bulk`` with 10,000 entries, one worker, a few runs (each in
  years of its own, so the account grows by 10,000 entries a run). Target: under 1 s.

Needs wrk (``apt-get install wrk``). Prints a Markdown report.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import time
from contextlib import ExitStack
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
from api import blocks_for, wrk
from harness import Server, checked, machine, unlimited_server

FIRST_DAY = date(1999, 1, 4)  # a Monday
SPARSE_FIRST_WEEK = date(1971, 1, 4)  # a Monday
PER_DAY = 20
WEEK_FROM = date(2012, 3, 5)  # a Monday well inside the data
BLOCK_DAY = WEEK_FROM + timedelta(days=2)


def entries_for(day: date, count: int, tz_offset_hours: int = 0) -> list[dict[str, Any]]:
    out = []
    for i in range(count):
        start = datetime(day.year, day.month, day.day, 6, tzinfo=UTC) + timedelta(minutes=40 * i)
        start -= timedelta(hours=tz_offset_hours)
        out.append(
            {
                "start_at": start.isoformat(),
                "end_at": (start + timedelta(minutes=30)).isoformat(),
                "description": f"Chapter {i}: exercises and review",
            }
        )
    return out


def seed(http: httpx.Client, rows: int) -> None:
    project = checked(http.post("/v1/projects", json={"name": "Linear algebra"}), 201)["id"]
    days = rows // PER_DAY
    for first in range(0, days, 10_000 // PER_DAY):
        span = range(first, min(days, first + 10_000 // PER_DAY))
        blocks = [
            b for n in span for b in blocks_for(FIRST_DAY + timedelta(days=n), PER_DAY, project)
        ]
        checked(http.post("/v1/blocks/bulk", json={"blocks": blocks}), 201)
        entries = [e for n in span for e in entries_for(FIRST_DAY + timedelta(days=n), PER_DAY)]
        checked(http.post("/v1/time-entries/bulk", json={"time_entries": entries}), 201)


def seed_sparse(http: httpx.Client, headers: dict[str, str], rows: int) -> None:
    """``rows`` entries, 20 on the Wednesday of each week."""
    weeks = rows // PER_DAY
    step = 10_000 // PER_DAY
    for first in range(0, weeks, step):
        entries = [
            e
            for n in range(first, min(weeks, first + step))
            for e in entries_for(SPARSE_FIRST_WEEK + timedelta(weeks=n, days=2), PER_DAY)
        ]
        body = {"time_entries": entries}
        checked(http.post("/v1/time-entries/bulk", json=body, headers=headers), 201)


def week_url(base: str) -> str:
    last = WEEK_FROM + timedelta(days=6)
    return f"{base}/v1/time-entries?date_from={WEEK_FROM}&date_to={last}"


def day_url(base: str) -> str:
    return f"{base}/v1/blocks?date={BLOCK_DAY}"


def bench_lists(
    server: Server, headers: dict[str, str], sparse: dict[str, str], duration: int
) -> dict[str, Any]:
    server.start(workers=2)
    try:
        with httpx.Client(headers=headers, timeout=600) as http:
            week = checked(http.get(week_url(server.base_url)))
            day = checked(http.get(day_url(server.base_url)))
            even = checked(http.get(week_url(server.base_url), headers=sparse))
        day_result = wrk(day_url(server.base_url), headers, duration)
        week_result = wrk(week_url(server.base_url), headers, duration)
        even_result = wrk(week_url(server.base_url), sparse, duration)
    finally:
        server.stop()
    return {
        "day": day_result,
        "week": week_result,
        "even": even_result,
        "day_rows": len(day),
        "week_rows": len(week),
        "even_rows": len(even),
    }


def bench_bulk(server: Server, headers: dict[str, str], runs: int) -> list[float]:
    server.start()
    seconds = []
    try:
        with httpx.Client(base_url=server.base_url, headers=headers, timeout=600) as http:
            for run in range(runs):
                first = date(2060 + 2 * run, 1, 1)
                body = [
                    e
                    for n in range(10_000 // PER_DAY)
                    for e in entries_for(first + timedelta(days=n), PER_DAY)
                ]
                began = time.perf_counter()
                created = checked(
                    http.post("/v1/time-entries/bulk", json={"time_entries": body}), 201
                )
                seconds.append(time.perf_counter() - began)
                assert len(created) == 10_000
    finally:
        server.stop()
    return seconds


def report(lists: dict[str, Any], bulk: list[float]) -> None:
    day, week = lists["day"], lists["week"]
    ratio = day["rps"] / week["rps"]
    print("| wrk -t2 -c32, 2 workers | rows | requests/s | p99 ms |")
    print("| --- | ---: | ---: | ---: |")
    print(
        f"| `GET /v1/blocks?date=` (a day among the blocks) | {lists['day_rows']} "
        f"| {day['rps']:,.0f} | {day['p99_ms']:.1f} |"
    )
    print(
        f"| `GET /v1/time-entries?date_from=&date_to=` (a week among the entries) "
        f"| {lists['week_rows']} | {week['rps']:,.0f} | {week['p99_ms']:.1f} |"
    )
    even = lists["even"]
    print(
        f"| the same week, 20 entries a week (like for like) | {lists['even_rows']} "
        f"| {even['rps']:,.0f} | {even['p99_ms']:.1f} |"
    )
    verdict = "met" if ratio <= 2 else "MISSED"
    print(f"\nThe week costs {ratio:.2f}x the day ({verdict}: at most 2x)")
    even_ratio = day["rps"] / even["rps"]
    verdict = "met" if even_ratio <= 2 else "MISSED"
    print(f"Like for like, the week costs {even_ratio:.2f}x the day ({verdict}: at most 2x)\n")
    median = statistics.median(bulk)
    verdict = "met" if max(bulk) < 1.0 else "MISSED"
    print("| `POST /v1/time-entries/bulk`, 10,000 entries | median s | max s | target < 1 s |")
    print("| --- | ---: | ---: | --- |")
    print(f"| {len(bulk)} runs | {median:.3f} | {max(bulk):.3f} | {verdict} |\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--postgres", action="store_true", help="a throw-away PostgreSQL")
    parser.add_argument("--rows", type=int, default=200_000, help="blocks, and entries")
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--bulk-runs", type=int, default=5)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install wrk")
    print(f"Machine: {machine()}")
    with ExitStack() as stack:
        server = unlimited_server(stack, args.postgres)
        print(f"Database: {server.backend}, {args.rows:,} blocks and {args.rows:,} entries\n")
        key = server.new_key("bench@example.com", timezone="UTC")
        headers = {"Authorization": f"Bearer {key}"}
        sparse = {"Authorization": f"Bearer {server.new_key('sparse@example.com', timezone='UTC')}"}
        server.start()
        began = time.perf_counter()
        try:
            with httpx.Client(base_url=server.base_url, headers=headers, timeout=600) as http:
                seed(http, args.rows)
                seed_sparse(http, sparse, args.rows)
        finally:
            server.stop()
        print(f"Seeded in {time.perf_counter() - began:.0f} s\n")
        lists = bench_lists(server, headers, sparse, args.duration)
        bulk = bench_bulk(server, headers, args.bulk_runs)
        report(lists, bulk)


if __name__ == "__main__":
    main()
