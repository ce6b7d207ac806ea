"""Search benchmark against a real ``timeboxd serve`` this script starts.

    .venv/bin/python bench/search.py [--postgres] [--rows 200000] [--runs 20]

One account with 200,000 time entries and 200,000 blocks (written through the bulk
routes), and a second account with as many rows again (noise the first must never see nor
pay for). Then ``GET /v1/search?q=`` for a rare word, a common word, a two-word phrase and
a prefix. Times are for the whole HTTP request, measured by the client on the same
machine; the first call warms caches and is not counted. Target: under 100 ms.
"""

from __future__ import annotations

import argparse
import statistics
import time
from contextlib import ExitStack
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
from harness import checked, machine, unlimited_server

SUBJECTS = ["algebra", "biology", "chemistry", "history", "physics", "economics", "latin"]
VERBS = ["review", "exercises", "reading", "lecture notes", "problem set", "summary"]


def topic(i: int) -> str:
    return f"{SUBJECTS[i % 7]} {VERBS[(i // 7) % 6]} chapter {i % 400} item{i}"


def seed(http: httpx.Client, rows: int) -> None:
    blocks: list[dict[str, Any]] = []
    entries: list[dict[str, Any]] = []
    first = date(2022, 1, 3)
    start = datetime(2022, 1, 3, 6, 0, tzinfo=UTC)
    for i in range(rows):
        day, slot = divmod(i, 40)
        minute = 6 * 60 + slot * 20
        blocks.append(
            {
                "date": (first + timedelta(days=day)).isoformat(),
                "start": f"{minute // 60:02d}:{minute % 60:02d}",
                "end": f"{(minute + 15) // 60:02d}:{(minute + 15) % 60:02d}",
                "topic": topic(i),
            }
        )
        begin = start + timedelta(days=day, minutes=slot * 20)
        entries.append(
            {
                "start_at": begin.isoformat(),
                "end_at": (begin + timedelta(minutes=15)).isoformat(),
                "description": topic(i + 1),
            }
        )
        if len(blocks) == 10_000:
            checked(http.post("/v1/blocks/bulk", json={"blocks": blocks}), 201)
            checked(http.post("/v1/time-entries/bulk", json={"time_entries": entries}), 201)
            blocks, entries = [], []
    if blocks:
        checked(http.post("/v1/blocks/bulk", json={"blocks": blocks}), 201)
        checked(http.post("/v1/time-entries/bulk", json={"time_entries": entries}), 201)


def timed(http: httpx.Client, q: str, runs: int) -> tuple[list[float], int]:
    hits = checked(http.get("/v1/search", params={"q": q}))
    out = []
    for _ in range(runs):
        began = time.perf_counter()
        checked(http.get("/v1/search", params={"q": q}))
        out.append((time.perf_counter() - began) * 1000)
    return out, len(hits)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    print(f"Machine: {machine()}")
    with ExitStack() as stack:
        server = unlimited_server(stack, args.postgres)
        keys = [server.new_key(f"search{n}@example.com") for n in range(2)]
        server.start()
        try:
            began = time.perf_counter()
            for key in reversed(keys):  # the noise account first
                with httpx.Client(
                    base_url=server.base_url,
                    headers={"Authorization": f"Bearer {key}"},
                    timeout=600,
                ) as http:
                    seed(http, args.rows)
            print(
                f"Database: {server.backend}; {args.rows:,} blocks and {args.rows:,} entries "
                f"for each of 2 accounts, seeded in {time.perf_counter() - began:.0f} s\n"
            )
            cases = {
                "rare word (`item123457`)": "item123457",
                "common word (`algebra`, 1 row in 7)": "algebra",
                "two words (`physics chapter`)": "physics chapter",
                "prefix (`chem`)": "chem",
            }
            print("| `GET /v1/search?q=` | hits | median ms | p90 ms | max ms |")
            print("| --- | ---: | ---: | ---: | ---: |")
            headers = {"Authorization": f"Bearer {keys[0]}"}
            with httpx.Client(base_url=server.base_url, headers=headers, timeout=600) as http:
                for name, q in cases.items():
                    ms, hits = timed(http, q, args.runs)
                    ms.sort()
                    p90 = ms[int(len(ms) * 0.9) - 1]
                    print(
                        f"| {name} | {hits} | {statistics.median(ms):.0f} | {p90:.0f} "
                        f"| {max(ms):.0f} |"
                    )
        finally:
            server.stop()


if __name__ == "__main__":
    main()
