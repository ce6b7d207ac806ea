"""Import benchmarks over HTTP against a real ``timeboxd serve`` this script starts.

    .venv/bin/python bench/imports.py [--runs 5] [--database-url postgresql+psycopg://...]

Cases (each run imports into a fresh account, so every first import really writes):

- a syllabus CSV of 10,000 rows (12 projects, made by the import), then the same file
  again (all 10,000 rows found unchanged);
- an iCalendar timetable whose 38 weekly series and 24 single events expand to 2,000
  occurrences in Europe/Berlin (VTIMEZONE included), then the same file again;
- a Toggl Track export of 10,000 time entries (projects, clients, tasks, tags made).

Target: each import under 3 s. Times are wall-clock for the whole HTTP request, upload
included, measured by the client on the same machine.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
from harness import Server
from icalendar import Calendar, Event

TARGET_SECONDS = 3.0
WINDOW = {"from": "2027-01-01", "to": "2027-12-31"}


def syllabus(rows: int = 10_000) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["date", "start", "end", "topic", "project"])
    first = date(2027, 1, 4)
    for i in range(rows):
        day = first + timedelta(days=i // 8)
        hour = 8 + i % 8
        writer.writerow(
            [day, f"{hour:02d}:00", f"{hour:02d}:50", f"Chapter {i} review", f"Subject {i % 12}"]
        )
    return out.getvalue().encode()


def timetable() -> bytes:
    """38 weekly series of 52 lectures and 24 single events: 2,000 occurrences."""
    berlin = ZoneInfo("Europe/Berlin")
    cal = Calendar.new(prodid="-//Example University//Timetable//EN")
    for n in range(38):
        start = datetime(2027, 1, 4, 8, 0, tzinfo=berlin) + timedelta(days=n % 5, hours=n // 5)
        event = Event.new(
            uid=f"course-{n}@uni.example",
            summary=f"Course {n}: lecture",
            start=start,
            end=start + timedelta(minutes=45),
            categories=[f"Course {n % 10}"],
        )
        event.add("rrule", {"freq": "weekly", "count": 52})
        cal.add_component(event)
    for n in range(24):
        start = datetime(2027, 2, 1, 18, 0, tzinfo=berlin) + timedelta(days=7 * n)
        cal.add_component(
            Event.new(
                uid=f"exam-{n}@uni.example",
                summary=f"Exam {n}",
                start=start,
                end=start + timedelta(hours=2),
            )
        )
    cal.add_missing_timezones()
    return bytes(cal.to_ical())


def toggl_export(rows: int = 10_000) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "User",
            "Email",
            "Client",
            "Project",
            "Task",
            "Description",
            "Billable",
            "Start date",
            "Start time",
            "End date",
            "End time",
            "Duration",
            "Tags",
            "Amount ()",
        ]
    )
    start = datetime(2021, 1, 4, 8, 0)
    for i in range(rows):  # four sessions a day, in daytime (no daylight-saving gaps)
        begin = start + timedelta(days=i // 4, hours=3 * (i % 4))
        end = begin + timedelta(minutes=100)
        writer.writerow(
            [
                "Bench",
                "bench@example.com",
                f"Client {i % 4}",
                f"Project {i % 20}",
                f"Task {i % 7}" if i % 2 else "",
                f"Work item {i}",
                "Yes" if i % 3 else "No",
                begin.date(),
                f"{begin:%H:%M:%S}",
                end.date(),
                f"{end:%H:%M:%S}",
                "01:40:00",
                "deep work, focus" if i % 5 == 0 else "",
                "",
            ]
        )
    return out.getvalue().encode()


def timed(post: Callable[[], httpx.Response]) -> tuple[float, dict[str, object]]:
    began = time.perf_counter()
    response = post()
    elapsed = time.perf_counter() - began
    body = response.json()
    if response.status_code != 200:
        raise SystemExit(f"import failed: {response.status_code} {body['error']}")
    return elapsed, body["data"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--database-url", default=None, help="default: SQLite in a temp dir")
    args = parser.parse_args()

    files = {"syllabus": syllabus(), "timetable": timetable(), "toggl": toggl_export()}
    results: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        server = Server(tmp, args.database_url)
        server.start()
        try:
            with httpx.Client(base_url=server.base_url, timeout=120) as http:
                for run in range(args.runs):
                    email = f"bench-{run}-{time.time_ns()}@example.com"
                    key = {"Authorization": f"Bearer {server.new_key(email)}"}
                    for name, record in one_run(http, key, files).items():
                        results.setdefault(name, []).append(record)
        finally:
            server.stop()
    report(results, args)


def one_run(http: httpx.Client, key: dict[str, str], files: dict[str, bytes]) -> dict[str, float]:
    def post(path: str, body: bytes, ctype: str, **params: str) -> Callable[[], httpx.Response]:
        headers = {**key, "Content-Type": ctype}
        return lambda: http.post(path, content=body, headers=headers, params=params)

    blocks, entries = "/v1/imports/blocks", "/v1/imports/time-entries"
    out: dict[str, float] = {}
    out["CSV 10,000 rows, first import"], data = timed(post(blocks, files["syllabus"], "text/csv"))
    assert data["created"] == 10_000, data
    out["CSV 10,000 rows, same file again"], data = timed(
        post(blocks, files["syllabus"], "text/csv")
    )
    assert data["unchanged"] == 10_000, data
    ics = post(blocks, files["timetable"], "text/calendar", **WINDOW)
    out["ICS 2,000 occurrences, first import"], data = timed(ics)
    assert data["created"] == 2_000, data
    out["ICS 2,000 occurrences, same file again"], data = timed(ics)
    assert data["unchanged"] == 2_000, data
    toggl = post(entries, files["toggl"], "text/csv", timezone="Europe/Berlin")
    out["Toggl CSV 10,000 entries, first import"], data = timed(toggl)
    assert data["created"] == 10_000, data
    return out


def report(results: dict[str, list[float]], args: argparse.Namespace) -> None:
    backend = "PostgreSQL" if args.database_url else "SQLite"
    print(f"python {platform.python_version()}, {platform.platform()}, {os.cpu_count()} CPUs")
    print(f"{backend}, {args.runs} runs each, target < {TARGET_SECONDS:.0f} s\n")
    print("| import | median s | max s | target |")
    print("| --- | ---: | ---: | --- |")
    for name, seconds in results.items():
        verdict = "met" if max(seconds) < TARGET_SECONDS else "MISSED"
        print(f"| {name} | {statistics.median(seconds):.2f} | {max(seconds):.2f} | {verdict} |")


if __name__ == "__main__":
    main()
