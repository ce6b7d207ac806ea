"""Foundation benchmarks against a real ``timeboxd serve`` this script starts. Each figure
is also given as a ratio to a baseline measured in the same run, on the same database:
absolute figures move from machine to machine, the ratios much less.

    .venv/bin/python bench/api.py --duration 10 --bulk-runs 5 --stream-rows 250000,1000000
    .venv/bin/python bench/api.py --duration 10 --bulk-runs 5 --stream-rows 250000 --postgres

- ``GET /v1/blocks?date=`` returning 20 blocks, authenticated and rate-limited as in
  production (the limiter runs on every request; its quota is set high enough never to
  refuse), 2 worker processes, measured with wrk (2 threads, 32 connections), against a bare
  endpoint of the same framework returning the same 20 rows (``bench/bare_app.py``).
  Targets: at least 1,500 requests/s, p99 under 50 ms, at least 75% of the baseline.
- ``POST /v1/blocks/bulk`` with 10,000 blocks, against a bare insert of the same 10,000 rows
  into the same (migrated) database with its triggers: the driver's ``executemany`` on
  SQLite, one ``COPY`` on PostgreSQL, with rows encoded beforehand. Runs alternate.
  Targets: under 1 s, at most twice the bare insert.
- ``GET /v1/blocks/stream`` over a growing number of blocks, one worker: rows/s read by the
  client and the server's peak resident memory, against a bare loop (``bench/bare_stream.py``)
  reading the same rows with the same driver and writing the same lines to a pipe. Targets:
  100,000 rows/s, under 200 MB, flat, at least 80% of the bare loop.
- ``GET /v1/projects`` (20 projects), 2 workers, wrk -t2 -c32: requests/s, p50, p99, max.

Needs wrk (``apt-get install wrk``). Prints a Markdown report.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
import uuid
from contextlib import ExitStack
from datetime import UTC, date, datetime, timedelta
from datetime import time as dt_time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import orjson
from harness import (
    Server,
    free_port,
    machine,
    peak_rss_mb,
    python_env,
    stop_process,
    unlimited_server,
    wait_until_ready,
)

HERE = Path(__file__).resolve().parent
LIST_DATE = "2027-03-15"
TIME_ZONE = "Europe/Berlin"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--postgres", action="store_true", help="a throw-away PostgreSQL")
    parser.add_argument("--duration", type=int, default=15, help="seconds per wrk run")
    parser.add_argument("--bulk-runs", type=int, default=5)
    parser.add_argument("--stream-rows", default="250000,500000,1000000")
    parser.add_argument("--skip", default="", help="comma list of list,bulk,stream,projects")
    args = parser.parse_args()
    if shutil.which("wrk") is None and "list" not in args.skip:
        raise SystemExit("wrk is needed: apt-get install wrk")
    skip = set(filter(None, args.skip.split(",")))
    print(f"Machine: {machine()}")
    with ExitStack() as stack:
        server = unlimited_server(stack, args.postgres)
        print(f"Database: {server.backend}\n")
        key = server.new_key("bench@example.com", TIME_ZONE)
        headers = {"Authorization": f"Bearer {key}"}
        server.start()
        try:
            with httpx.Client(base_url=server.base_url, headers=headers, timeout=600) as http:
                seed_list(http)
                if "bulk" not in skip:
                    report_bulk(bench_bulk(http, server.database_url, args.bulk_runs))
        finally:
            server.stop()
        if "list" not in skip:
            report_list(bench_list(server, headers, args.duration))
        if "projects" not in skip:
            report_projects(bench_projects(server, headers, args.duration))
        if "stream" not in skip:
            sizes = [int(n) for n in args.stream_rows.split(",")]
            report_stream(bench_stream(server, headers, sizes))


def blocks_for(day: date, count: int, project_id: str) -> list[dict[str, Any]]:
    out = []
    for i in range(count):
        minute = 6 * 60 + i * 40
        start, end = minute, minute + 30
        out.append(
            {
                "project_id": project_id,
                "date": day.isoformat(),
                "start": f"{start // 60:02d}:{start % 60:02d}",
                "end": f"{end // 60:02d}:{end % 60:02d}",
                "topic": f"Chapter {i}: exercises and review",
            }
        )
    return out


def checked(response: httpx.Response, status: int = 201) -> Any:
    if response.status_code != status:
        raise SystemExit(f"{response.request.url}: {response.status_code} {response.text[:500]}")
    return response.json()["data"]


def seed_list(http: httpx.Client) -> None:
    project = checked(http.post("/v1/projects", json={"name": "Linear algebra"}))
    checked(
        http.post(
            "/v1/blocks/bulk",
            json={"blocks": blocks_for(date.fromisoformat(LIST_DATE), 20, project["id"])},
        )
    )
    assert len(checked(http.get("/v1/blocks", params={"date": LIST_DATE}), 200)) == 20


def bulk_body(first: date, total: int, project_id: str) -> dict[str, Any]:
    per_day = 20
    blocks: list[dict[str, Any]] = []
    for n in range(total // per_day):
        blocks += blocks_for(first + timedelta(days=n), per_day, project_id)
    return {"blocks": blocks}


def bench_bulk(http: httpx.Client, database_url: str, runs: int) -> dict[str, list[float]]:
    """Alternately: the bulk request (the body encoded before the clock starts, as any
    client holds its bytes; the answer parsed) and the bare insert of the same rows."""
    project = checked(http.post("/v1/projects", json={"name": "Bulk"}))
    user_id = checked(http.get("/v1/me"), 200)["id"]
    seconds: dict[str, list[float]] = {"api": [], "bare": []}
    for run in range(runs):
        body = bulk_body(date(2030 + run, 1, 1), 10_000, project["id"])
        content = orjson.dumps(body)
        began = time.perf_counter()
        response = http.post(
            "/v1/blocks/bulk", content=content, headers={"Content-Type": "application/json"}
        )
        created = orjson.loads(response.content)["data"] if response.status_code == 201 else None
        seconds["api"].append(time.perf_counter() - began)
        if created is None or len(created) != 10_000:
            raise SystemExit(f"bulk: {response.status_code} {response.text[:400]}")
        bare = bulk_body(date(2060 + run, 1, 1), 10_000, project["id"])["blocks"]
        seconds["bare"].append(bare_insert(database_url, user_id, bare))
    return seconds


BLOCK_COLUMNS = (
    'id, user_id, livemode, project_id, task_id, date, start, "end", start_at, end_at, '
    "topic, done, completed_at, series_id, external_uid, has_time_entry, archived_at, "
    "deleted_at, created_at, updated_at, version"
)


def bare_rows(user_id: str, blocks: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """The rows the bulk route writes for ``blocks``, as Python values (naive UTC)."""
    tz = ZoneInfo(TIME_ZONE)
    now = datetime.now(UTC).replace(tzinfo=None)
    rows = []
    for n, b in enumerate(blocks):
        day = date.fromisoformat(b["date"])
        start, end = dt_time.fromisoformat(b["start"]), dt_time.fromisoformat(b["end"])
        start_at, end_at = (
            datetime.combine(day, t, tz).astimezone(UTC).replace(tzinfo=None) for t in (start, end)
        )
        block_id = f"blk_bare{n:06d}{uuid.uuid4().hex[:12]}"
        # in BLOCK_COLUMNS order
        rows.append(
            (block_id, user_id, True, b["project_id"], None, day, start, end, start_at, end_at,
             b["topic"], False, None, None, None, False, None, None, now, now, 1)
        )  # fmt: skip
    return rows


def bare_insert(database_url: str, user_id: str, blocks: list[dict[str, Any]]) -> float:
    """Seconds to insert ``blocks`` in one transaction with the driver alone: the rows
    encoded before the clock starts, then ``executemany`` (SQLite, with the server's
    pragmas) or one ``COPY`` (PostgreSQL), and the commit. The schema's triggers run."""
    rows = bare_rows(user_id, blocks)
    if database_url.startswith("sqlite"):
        import sqlite3

        def text(v: Any) -> Any:
            if isinstance(v, bool):
                return int(v)
            if isinstance(v, datetime):
                return v.isoformat(" ", "microseconds")
            if isinstance(v, dt_time):
                return v.isoformat("microseconds")
            if isinstance(v, date):
                return v.isoformat()
            return v

        encoded = [tuple(text(v) for v in row) for row in rows]
        conn = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)
        for pragma in ("foreign_keys=ON", "synchronous=NORMAL", "busy_timeout=10000"):
            conn.execute(f"PRAGMA {pragma}")
        conn.execute("PRAGMA temp_store=MEMORY")
        marks = ", ".join("?" * len(rows[0]))
        began = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(f"INSERT INTO blocks ({BLOCK_COLUMNS}) VALUES ({marks})", encoded)
        conn.execute("COMMIT")
        seconds = time.perf_counter() - began
        conn.close()
        return seconds
    import psycopg

    with psycopg.connect(database_url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        began = time.perf_counter()
        with (
            conn.cursor() as cursor,
            cursor.copy(f"COPY blocks ({BLOCK_COLUMNS}) FROM STDIN") as out,
        ):
            for row in rows:
                out.write_row(row)
        conn.commit()
        return time.perf_counter() - began


WRK_PERCENTILE = r"^\s+{}%\s+([\d.]+)(us|ms|s)\s*$"
WRK_MAX = re.compile(r"^\s+Latency\s+\S+\s+\S+\s+([\d.]+)(us|ms|s)", re.M)
WRK_RATE = re.compile(r"^Requests/sec:\s+([\d.]+)", re.M)
WRK_NON2XX = re.compile(r"Non-2xx or 3xx responses: (\d+)")


def wrk(url: str, headers: dict[str, str], duration: int) -> dict[str, float]:
    head = [arg for name, value in headers.items() for arg in ("-H", f"{name}: {value}")]
    subprocess.run(["wrk", "-t2", "-c32", "-d3s", *head, url], capture_output=True)  # warm-up
    args = ["wrk", "-t2", "-c32", f"-d{duration}s", "--latency", *head, url]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    rate = WRK_RATE.search(out)
    found = {
        name: re.search(WRK_PERCENTILE.format(p), out, re.M)
        for name, p in (("p50", 50), ("p99", 99))
    }
    found["max"] = WRK_MAX.search(out)
    if not rate or not all(found.values()):
        raise SystemExit(f"cannot read wrk's output:\n{out}")
    if bad := WRK_NON2XX.search(out):
        raise SystemExit(f"{bad.group(1)} responses were not 2xx:\n{out}")
    result = {"rps": float(rate.group(1))}
    for name, m in found.items():
        assert m is not None
        result[f"{name}_ms"] = float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]
    return result


def bench_list(
    server: Server, headers: dict[str, str], duration: int
) -> dict[str, dict[str, float]]:
    results = {}
    server.start(workers=2)
    try:
        url = f"{server.base_url}/v1/blocks?date={LIST_DATE}"
        results["timeboxd"] = wrk(url, headers, duration)
        with httpx.Client(base_url=server.base_url, headers=headers) as http:
            user_id = checked(http.get("/v1/me"), 200)["id"]
    finally:
        server.stop()
    port = free_port()
    bare_env = python_env(
        {**os.environ, "BARE_DATABASE_URL": server.database_url, "BARE_USER_ID": user_id}
    )
    command = [sys.executable, "-m", "uvicorn", "--factory", "bare_app:create"]
    command += ["--port", str(port), "--workers", "2", "--http", "httptools"]
    command += ["--loop", "uvloop", "--log-level", "warning", "--no-access-log"]
    bare = subprocess.Popen(command, cwd=HERE, env=bare_env)
    try:
        url = f"http://127.0.0.1:{port}/v1/blocks?date={LIST_DATE}"
        wait_until_ready(url, bare)  # the baseline has no /ready: its one route answers
        results["bare"] = wrk(url, {}, duration)
    finally:
        stop_process(bare)
    return results


def bench_projects(server: Server, headers: dict[str, str], duration: int) -> dict[str, float]:
    server.start(workers=2)
    try:
        with httpx.Client(base_url=server.base_url, headers=headers) as http:
            have = len(checked(http.get("/v1/projects"), 200))
            for n in range(have, 20):
                checked(http.post("/v1/projects", json={"name": f"Subject {n:02d}"}))
        return wrk(f"{server.base_url}/v1/projects", headers, duration)
    finally:
        server.stop()


def bench_stream(
    server: Server, headers: dict[str, str], sizes: list[int]
) -> list[dict[str, float]]:
    results = []
    day = date(2040, 1, 1)
    for size in sizes:
        server.start()
        try:
            with httpx.Client(base_url=server.base_url, headers=headers, timeout=600) as http:
                counted = http.get("/v1/blocks", params={"per_page": 1})
                have = int(counted.json()["meta"]["total"])
                project = checked(http.post("/v1/projects", json={"name": f"Stream {size}"}))
                while have < size:
                    chunk = min(10_000, size - have)
                    checked(http.post("/v1/blocks/bulk", json=bulk_body(day, chunk, project["id"])))
                    day += timedelta(days=chunk // 20 + 1)
                    have += chunk
        finally:
            server.stop()
        server.start()  # a fresh process, so its peak memory is the stream's
        try:
            with httpx.Client(base_url=server.base_url, headers=headers) as http:
                user_id = checked(http.get("/v1/me"), 200)["id"]
            lines, seconds, head = stream_all(server.base_url, headers)
            rss = peak_rss_mb(server.worker_pids()[0])
        finally:
            server.stop()
        bare_lines, bare_seconds, bare_head = bare_stream(server.database_url, user_id)
        if bare_lines != lines or bare_head != head:
            raise SystemExit(f"the bare loop wrote other lines ({bare_lines} against {lines})")
        results.append(
            {"rows": lines, "seconds": seconds, "rss_mb": rss, "bare_seconds": bare_seconds}
        )
    return results


def _complete_lines(head: bytes) -> bytes:
    return head[: head.rfind(b"\n") + 1]


def stream_all(base_url: str, headers: dict[str, str]) -> tuple[int, float, bytes]:
    """Lines read, seconds, and the first complete lines (to compare with the bare loop)."""
    lines, head = 0, b""
    began = time.perf_counter()
    with httpx.stream("GET", f"{base_url}/v1/blocks/stream", headers=headers, timeout=600) as r:
        if r.status_code != 200:
            raise SystemExit(f"stream: {r.status_code}")
        for chunk in r.iter_raw(1 << 16):
            lines += chunk.count(b"\n")
            if len(head) < 1 << 16:
                head += chunk
    return lines, time.perf_counter() - began, _complete_lines(head[: 1 << 16])


def bare_stream(database_url: str, user_id: str) -> tuple[int, float, bytes]:
    """The same as ``stream_all`` for ``bench/bare_stream.py`` writing into a pipe."""
    command = [sys.executable, str(HERE / "bare_stream.py"), database_url, user_id, TIME_ZONE]
    lines, head = 0, b""
    env = python_env(os.environ)
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env) as bare:
        assert bare.stdout is not None and bare.stderr is not None
        bare.stderr.readline()  # the interpreter has started and imported: not timed
        began = time.perf_counter()
        while chunk := bare.stdout.read1(1 << 16):
            lines += chunk.count(b"\n")
            if len(head) < 1 << 16:
                head += chunk
    if bare.returncode != 0:
        raise SystemExit(f"bare_stream.py exited with {bare.returncode}")
    return lines, time.perf_counter() - began, _complete_lines(head[: 1 << 16])


def report_bulk(seconds: dict[str, list[float]]) -> None:
    api, bare = seconds["api"], seconds["bare"]
    ratio = statistics.median(api) / statistics.median(bare)
    print("| 10,000 blocks, alternating runs | median s | max s |")
    print("| --- | ---: | ---: |")
    print(
        f"| `POST /v1/blocks/bulk` ({len(api)} runs) "
        f"| {statistics.median(api):.3f} | {max(api):.3f} |"
    )
    print(
        f"| bare insert, same rows and triggers | {statistics.median(bare):.3f} | {max(bare):.3f} |"
    )
    verdict = "met" if max(api) < 1.0 and ratio <= 2 else "MISSED"
    print(f"\nBulk / bare insert (medians): {ratio:.2f}x ({verdict}: < 1 s, <= 2x)\n")


def report_list(results: dict[str, dict[str, float]]) -> None:
    ours, bare = results["timeboxd"], results["bare"]
    share = ours["rps"] / bare["rps"]
    print("| `GET /v1/blocks?date=` (20 blocks), wrk -t2 -c32 | requests/s | p99 ms |")
    print("| --- | ---: | ---: |")
    for name, r in (
        ("timeboxd: key, rate limit, filters", ours),
        ("bare endpoint, same query", bare),
    ):
        print(f"| {name} | {r['rps']:,.0f} | {r['p99_ms']:.1f} |")
    met = ours["rps"] >= 1500 and ours["p99_ms"] < 50 and share >= 0.75
    verdict = "met" if met else "MISSED"
    print(f"\nShare of the baseline: {share:.0%} ({verdict}: >= 1,500/s, p99 < 50 ms, >= 75%)\n")


def report_projects(r: dict[str, float]) -> None:
    print("| `GET /v1/projects` (20), wrk -t2 -c32 | requests/s | p50 ms | p99 ms | max ms |")
    print("| --- | ---: | ---: | ---: | ---: |")
    print(
        f"| 2 workers | {r['rps']:,.0f} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} "
        f"| {r['max_ms']:.1f} |\n"
    )


def report_stream(results: list[dict[str, float]]) -> None:
    print(
        "| `GET /v1/blocks/stream` | rows | seconds | rows/s | peak RSS MB | bare rows/s | share |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in results:
        rate, bare = r["rows"] / r["seconds"], r["rows"] / r["bare_seconds"]
        print(
            f"| | {r['rows']:,} | {r['seconds']:.2f} | {rate:,.0f} | {r['rss_mb']:.0f} "
            f"| {bare:,.0f} | {rate / bare:.0%} |"
        )
    print("\nTargets: >= 100,000 rows/s, < 200 MB and flat, >= 80% of the bare loop.\n")


if __name__ == "__main__":
    main()
