"""Value dashboard and project forecast benchmark against a real ``timeboxd serve``.

    .venv/bin/python bench/value.py [--postgres] [--entries 200000] [--runs 15]

The report benchmark's account (bench/reports.py: 200,000 entries over 20 projects, 5
clients, 2 currencies), its year ending today so that the forecast's four weeks hold
time, and a budget on one project. Then ``GET /v1/stats/value`` over that year (13 local
calendar months) and ``GET /v1/projects/{id}/forecast`` for the budgeted project. Neither
is cached: each request computes its answer. Times are for the whole HTTP request,
measured by the client on the same machine; the first call is not counted.
Target: under 150 ms for both.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta

import httpx
import reports  # bench/reports.py: the same account
from harness import checked, machine, unlimited_server


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--entries", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    print(f"Machine: {machine()}")
    today = datetime.now(UTC).date()
    first = today - timedelta(days=364)
    reports.YEAR_START = datetime.combine(first, datetime.min.time(), UTC) + timedelta(hours=7)
    with ExitStack() as stack:
        server = unlimited_server(stack, args.postgres)
        key = server.new_key("value@example.com", timezone="Europe/Berlin")
        server.start()
        try:
            with httpx.Client(
                base_url=server.base_url, headers={"Authorization": f"Bearer {key}"}, timeout=600
            ) as http:
                began = time.perf_counter()
                reports.seed(http, args.entries)
                print(
                    f"Database: {server.backend}; seeded {args.entries:,} entries in "
                    f"{time.perf_counter() - began:.0f} s"
                )
                project = checked(http.get("/v1/projects"))[1]
                checked(http.patch(f"/v1/projects/{project['id']}", json={"budget_minutes": 10**6}))
                print(f"Load average before timing: {os.getloadavg()}\n")
                cases = {
                    "`GET /v1/stats/value`, one year": (
                        f"/v1/stats/value?date_from={first}&date_to={today}"
                    ),
                    "`GET /v1/projects/{id}/forecast`": f"/v1/projects/{project['id']}/forecast",
                    # For reference, under the same load: the report the dashboard sums.
                    "`GET /v1/reports/summary`, the same year": (
                        f"/v1/reports/summary?date_from={first}&date_to={today}"
                    ),
                }
                print("| route | median ms | p90 ms | max ms |")
                print("| --- | ---: | ---: | ---: |")
                for name, url in cases.items():
                    ms = sorted(reports.timed(http, url, args.runs))
                    p90 = ms[int(len(ms) * 0.9) - 1]
                    print(f"| {name} | {statistics.median(ms):.0f} | {p90:.0f} | {max(ms):.0f} |")
                print(f"\nLoad average after timing: {os.getloadavg()}")
        finally:
            server.stop()


if __name__ == "__main__":
    main()
