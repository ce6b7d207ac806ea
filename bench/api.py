"""Foundation benchmarks against a real ``timeboxd serve`` this script starts.

    .venv/bin/python bench/api.py [--postgres] [--duration 15] [--stream-rows 250000,1000000]

- ``GET /v1/blocks?date=`` returning 20 blocks, authenticated and rate-limited as in
  production (the limiter runs on every request; its quota is set high enough never to
  refuse), 2 worker processes, measured with wrk (2 threads, 32 connections), against a bare
  endpoint of the same framework returning the same 20 rows, measured in the same run.
  Targets: at least 1,500 requests/s, p99 under 50 ms, at least 60% of the baseline.
- ``POST /v1/blocks/bulk`` with 10,000 blocks. Target: under 1 s.
- ``GET /v1/blocks/stream`` over a growing number of blocks, one worker: rows/s read by the
  client and the server's peak resident memory. Targets: 100,000 rows/s, under 200 MB, flat.

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
from contextlib import ExitStack
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
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


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--postgres", action="store_true", help="a throw-away PostgreSQL")
    parser.add_argument("--duration", type=int, default=15, help="seconds per wrk run")
    parser.add_argument("--bulk-runs", type=int, default=5)
    parser.add_argument("--stream-rows", default="250000,500000,1000000")
    parser.add_argument("--skip", default="", help="comma list of list,bulk,stream")
    args = parser.parse_args()
    if shutil.which("wrk") is None and "list" not in args.skip:
        raise SystemExit("wrk is needed: apt-get install wrk")
    skip = set(filter(None, args.skip.split(",")))
    print(f"Machine: {machine()}")
    with ExitStack() as stack:
        server = unlimited_server(stack, args.postgres)
        print(f"Database: {server.backend}\n")
        key = server.new_key("bench@example.com")
        headers = {"Authorization": f"Bearer {key}"}
        server.start()
        try:
            with httpx.Client(base_url=server.base_url, headers=headers, timeout=600) as http:
                seed_list(http)
                if "bulk" not in skip:
                    report_bulk(bench_bulk(http, args.bulk_runs))
        finally:
            server.stop()
        if "list" not in skip:
            report_list(bench_list(server, headers, args.duration))
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


def bench_bulk(http: httpx.Client, runs: int) -> list[float]:
    project = checked(http.post("/v1/projects", json={"name": "Bulk"}))
    seconds = []
    for run in range(runs):
        body = bulk_body(date(2030 + run, 1, 1), 10_000, project["id"])
        began = time.perf_counter()
        created = checked(http.post("/v1/blocks/bulk", json=body))
        seconds.append(time.perf_counter() - began)
        assert len(created) == 10_000
    return seconds


WRK_LATENCY = re.compile(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", re.M)
WRK_RATE = re.compile(r"^Requests/sec:\s+([\d.]+)", re.M)
WRK_NON2XX = re.compile(r"Non-2xx or 3xx responses: (\d+)")


def wrk(url: str, headers: dict[str, str], duration: int) -> dict[str, float]:
    head = [arg for name, value in headers.items() for arg in ("-H", f"{name}: {value}")]
    subprocess.run(["wrk", "-t2", "-c32", "-d3s", *head, url], capture_output=True)  # warm-up
    args = ["wrk", "-t2", "-c32", f"-d{duration}s", "--latency", *head, url]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    rate, latency = WRK_RATE.search(out), WRK_LATENCY.search(out)
    if not rate or not latency:
        raise SystemExit(f"cannot read wrk's output:\n{out}")
    if bad := WRK_NON2XX.search(out):
        raise SystemExit(f"{bad.group(1)} responses were not 2xx:\n{out}")
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[latency.group(2)]
    return {"rps": float(rate.group(1)), "p99_ms": float(latency.group(1)) * scale}


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
            lines, seconds = stream_all(server.base_url, headers)
            rss = peak_rss_mb(server.worker_pids()[0])
        finally:
            server.stop()
        results.append({"rows": lines, "seconds": seconds, "rss_mb": rss})
    return results


def stream_all(base_url: str, headers: dict[str, str]) -> tuple[int, float]:
    lines = 0
    began = time.perf_counter()
    with httpx.stream("GET", f"{base_url}/v1/blocks/stream", headers=headers, timeout=600) as r:
        if r.status_code != 200:
            raise SystemExit(f"stream: {r.status_code}")
        for chunk in r.iter_raw(1 << 16):
            lines += chunk.count(b"\n")
    return lines, time.perf_counter() - began


def report_bulk(seconds: list[float]) -> None:
    verdict = "met" if max(seconds) < 1.0 else "MISSED"
    median = statistics.median(seconds)
    print("| `POST /v1/blocks/bulk`, 10,000 blocks | median s | max s | target < 1 s |")
    print("| --- | ---: | ---: | --- |")
    print(f"| {len(seconds)} runs | {median:.3f} | {max(seconds):.3f} | {verdict} |\n")


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
    met = ours["rps"] >= 1500 and ours["p99_ms"] < 50 and share >= 0.6
    verdict = "met" if met else "MISSED"
    print(f"\nShare of the baseline: {share:.0%} ({verdict}: >= 1,500/s, p99 < 50 ms, >= 60%)\n")


def report_stream(results: list[dict[str, float]]) -> None:
    print("| `GET /v1/blocks/stream` | rows | seconds | rows/s | server peak RSS MB |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for r in results:
        rate = r["rows"] / r["seconds"]
        print(f"| | {r['rows']:,} | {r['seconds']:.2f} | {rate:,.0f} | {r['rss_mb']:.0f} |")
    print()


if __name__ == "__main__":
    main()
