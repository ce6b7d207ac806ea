"""Report benchmark against a real ``timeboxd serve`` this script starts.

    .venv/bin/python bench/reports.py [--postgres] [--entries 200000] [--runs 15]

One account with a year of tracked time (200,000 entries over 20 projects, 5 clients,
2 currencies, a third of them tagged, some crossing midnight), written through
``POST /v1/time-entries/bulk``. Then ``GET /v1/reports/summary?group_by=project`` over the
whole year, with and without rounding, and the other groupings for reference. Times are
for the whole HTTP request, measured by the client on the same machine; the first call
warms caches and is not counted. Target: under 300 ms.
"""

from __future__ import annotations

import argparse
import statistics
import time
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from harness import checked, machine, unlimited_server

YEAR_START = datetime(2025, 1, 1, 7, 0, tzinfo=UTC)


def seed(http: httpx.Client, total: int) -> None:
    clients = [
        checked(http.post("/v1/clients", json={"name": f"Client {n}"}), 201) for n in range(5)
    ]
    projects = []
    for n in range(20):
        body: dict[str, Any] = {"name": f"Project {n}", "billable": n % 4 != 0}
        if n % 4:
            body |= {"hourly_rate": f"{40 + n}.50", "currency": "EUR" if n % 2 else "USD"}
            body["client_id"] = clients[n % 5]["id"]
        projects.append(checked(http.post("/v1/projects", json=body), 201)["id"])
    tags = [checked(http.post("/v1/tags", json={"name": f"tag {n}"}), 201)["id"] for n in range(3)]
    per_day = max(1, total // 365)
    batch: list[dict[str, Any]] = []
    for i in range(total):
        day, slot = divmod(i, per_day)
        start = YEAR_START + timedelta(days=day, minutes=slot * (15 * 60 // per_day))
        length = timedelta(minutes=5 + (i * 7) % 50, seconds=i % 60)
        batch.append(
            {
                "start_at": start.isoformat(),
                "end_at": (start + length).isoformat(),
                "project_id": projects[i % 20],
                "description": f"Work item {i}",
                "tag_ids": [tags[i % 3]] if i % 3 == 0 else [],
            }
        )
        if len(batch) == 10_000:
            checked(http.post("/v1/time-entries/bulk", json={"time_entries": batch}), 201)
            batch = []
    if batch:
        checked(http.post("/v1/time-entries/bulk", json={"time_entries": batch}), 201)


def timed(http: httpx.Client, url: str, runs: int) -> list[float]:
    checked(http.get(url))
    out = []
    for _ in range(runs):
        began = time.perf_counter()
        checked(http.get(url))
        out.append((time.perf_counter() - began) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--entries", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    print(f"Machine: {machine()}")
    with ExitStack() as stack:
        server = unlimited_server(stack, args.postgres)
        key = server.new_key("reports@example.com", timezone="Europe/Berlin")
        server.start()
        try:
            with httpx.Client(
                base_url=server.base_url, headers={"Authorization": f"Bearer {key}"}, timeout=600
            ) as http:
                began = time.perf_counter()
                seed(http, args.entries)
                print(
                    f"Database: {server.backend}; seeded {args.entries:,} entries in "
                    f"{time.perf_counter() - began:.0f} s\n"
                )
                year = "date_from=2025-01-01&date_to=2025-12-31"
                cases = {
                    "group_by=project (target < 300 ms)": f"group_by=project&{year}",
                    "group_by=project, rounding=15": f"group_by=project&rounding=15&{year}",
                    "group_by=client": f"group_by=client&{year}",
                    "group_by=tag": f"group_by=tag&{year}",
                    "group_by=day": f"group_by=day&{year}",
                }
                print("| `GET /v1/reports/summary`, one year | median ms | p90 ms | max ms |")
                print("| --- | ---: | ---: | ---: |")
                for name, query in cases.items():
                    ms = sorted(timed(http, f"/v1/reports/summary?{query}", args.runs))
                    p90 = ms[int(len(ms) * 0.9) - 1]
                    print(f"| {name} | {statistics.median(ms):.0f} | {p90:.0f} | {max(ms):.0f} |")
        finally:
            server.stop()


if __name__ == "__main__":
    main()
