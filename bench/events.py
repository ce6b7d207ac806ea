"""Events and webhooks benchmarks against real ``timeboxd serve`` / ``timeboxd worker``
processes this script starts, on throw-away databases, delivering to a local receiver.

    .venv/bin/python bench/events.py [--postgres] [--skip bulk,throughput,latency,feed,metrics]

- ``bulk``: ``POST /v1/blocks/bulk`` of 10,000 blocks with a webhook subscribed to ``*``
  (the in-process worker off, so the figure is the write path's: blocks and their events
  in one transaction). Target: under 1 s.
- ``throughput``: 10,000 events waiting, then two ``timeboxd worker`` processes dispatch
  and deliver them to the receiver; deliveries/s from the first to the last one received.
  Target (PostgreSQL): at least 500/s.
- ``latency``: one ``POST /v1/blocks`` every 20 ms (50 writes/s) for ``--latency-seconds``
  against ``timeboxd serve`` with its in-process worker; the time from the request being
  sent (its commit comes before its answer) to its delivery arriving. Target (SQLite): p99
  under 1 s.
- ``feed``: 1,000,000 events (10,000 written through the API, copied in SQL), read from
  the start with ``GET /v1/events?limit=1000`` following ``meta.next``. Target: at least
  50,000 events/s.
- ``metrics``: ``GET /v1/blocks?date=`` (20 blocks) with wrk (2 threads, 32 connections),
  2 uvicorn workers in prometheus_client's multiprocess mode as ``timeboxd serve`` runs
  them, against the same app without the metrics middleware (bench/nometrics_app.py);
  the two alternate, ``--rounds`` times each. Target: the middleware costs under 5%.

The receiver (``bench/events.py receiver``) is a bare asyncio HTTP/1.1 server on uvloop
answering 204 at once; it records when each delivery arrived and the block it carries.
Needs wrk (``apt-get install wrk``). Prints a Markdown report.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
from api import blocks_for, bulk_body, wrk
from harness import (
    Server,
    checked,
    free_port,
    machine,
    python_env,
    stop_process,
    unlimited_server,
    wait_until_ready,
)
from sqlalchemy import create_engine, text

HERE = Path(__file__).resolve().parent
LIST_DATE = "2027-03-15"
WAIT = 600.0


# -- the receiver --------------------------------------------------------------------------


class _Receiving(asyncio.Protocol):
    """HTTP/1.1 with keep-alive, just enough for the worker's POSTs and our GETs."""

    def __init__(self, log: list[tuple[float, str]]) -> None:
        self.log = log
        self.buffer = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            head_end = self.buffer.find(b"\r\n\r\n")
            if head_end < 0:
                return
            head = self.buffer[:head_end].decode("latin-1")
            length = 0
            for line in head.split("\r\n")[1:]:
                name, _, value = line.partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value)
            end = head_end + 4 + length
            if len(self.buffer) < end:
                return
            body, self.buffer = self.buffer[head_end + 4 : end], self.buffer[end:]
            self.answer(head.split(" ", 2), body)

    def answer(self, request_line: list[str], body: bytes) -> None:
        if request_line[0] == "POST":
            arrived = time.monotonic()
            self.log.append((arrived, orjson.loads(body)["data"].get("id", "")))
            self.transport.write(b"HTTP/1.1 204 No Content\r\n\r\n")  # type: ignore[attr-defined]
            return
        if request_line[1] == "/count":
            out = orjson.dumps({"count": len(self.log)})
        else:  # /log: every arrival so far
            out = orjson.dumps(self.log)
        self.transport.write(  # type: ignore[attr-defined]
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {len(out)}\r\n\r\n".encode()
            + out
        )


def serve_receiver(port: int) -> None:
    import uvloop

    log: list[tuple[float, str]] = []

    async def run() -> None:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(lambda: _Receiving(log), "127.0.0.1", port, backlog=512)
        stop = asyncio.Event()
        loop.add_signal_handler(signal.SIGTERM, stop.set)
        async with server:
            await stop.wait()

    uvloop.run(run())


class Receiver:
    def __init__(self) -> None:
        self.port = free_port()
        command = [sys.executable, __file__, "receiver", "--port", str(self.port)]
        self.process = subprocess.Popen(command, env=python_env(dict(os.environ)))
        self.url = f"http://127.0.0.1:{self.port}/hook"
        wait_until_ready(f"http://127.0.0.1:{self.port}/count", self.process)

    def count(self) -> int:
        return int(httpx.get(f"http://127.0.0.1:{self.port}/count").json()["count"])

    def log(self) -> list[tuple[float, str]]:
        got = httpx.get(f"http://127.0.0.1:{self.port}/log", timeout=60).content
        return [(float(t), str(i)) for t, i in orjson.loads(got)]

    def wait_for(self, total: int) -> None:
        deadline = time.monotonic() + WAIT
        while (have := self.count()) < total:
            if time.monotonic() > deadline:
                raise SystemExit(f"the receiver got {have} of {total} deliveries")
            time.sleep(0.2)

    def stop(self) -> None:
        stop_process(self.process)


# -- set-up --------------------------------------------------------------------------------


def events_server(stack: ExitStack, use_postgres: bool, **settings: str) -> Server:
    server = unlimited_server(stack, use_postgres)
    server.env["TIMEBOXD_WEBHOOK_ALLOW_PRIVATE"] = "true"  # the receiver is on 127.0.0.1
    for name, value in settings.items():
        server.env[f"TIMEBOXD_{name.upper()}"] = value
    return server


def subscribe(http: httpx.Client, url: str) -> None:
    checked(http.post("/v1/webhooks", json={"url": url, "events": ["*"]}), 201)


def project(http: httpx.Client, name: str) -> str:
    return str(checked(http.post("/v1/projects", json={"name": name}), 201)["id"])


# -- the benchmarks ------------------------------------------------------------------------


def bench_bulk(use_postgres: bool, runs: int) -> list[float]:
    with ExitStack() as stack:
        server = events_server(stack, use_postgres, worker_in_process="false")
        headers = {"Authorization": f"Bearer {server.new_key('bench@example.com')}"}
        receiver = Receiver()
        stack.callback(receiver.stop)
        server.start()
        stack.callback(server.stop)
        with httpx.Client(base_url=server.base_url, headers=headers, timeout=WAIT) as http:
            subscribe(http, receiver.url)
            project_id = project(http, "Bulk")
            seconds = []
            for run in range(runs):
                body = bulk_body(date(2030 + run, 1, 1), 10_000, project_id)
                began = time.perf_counter()
                created = checked(http.post("/v1/blocks/bulk", json=body), 201)
                seconds.append(time.perf_counter() - began)
                assert len(created) == 10_000
            counted = checked(http.get("/v1/events", params={"limit": 1}), 200)
            assert counted, "the bulk writes wrote no events"
    return seconds


def bench_throughput(
    use_postgres: bool, total: int, workers: int, webhooks: int
) -> dict[str, float]:
    with ExitStack() as stack:
        server = events_server(stack, use_postgres, worker_in_process="false")
        headers = {"Authorization": f"Bearer {server.new_key('bench@example.com')}"}
        receiver = Receiver()
        stack.callback(receiver.stop)
        server.start()
        with httpx.Client(base_url=server.base_url, headers=headers, timeout=WAIT) as http:
            for _ in range(webhooks):
                subscribe(http, receiver.url)
            project_id = project(http, "Throughput")
            blocks = total // webhooks - 1  # and the project's event
            for n in range(0, blocks, 10_000):
                first = date(2030, 1, 1) + timedelta(days=n // 20)
                body = bulk_body(first, min(10_000, blocks - n), project_id)
                checked(http.post("/v1/blocks/bulk", json=body), 201)
            total = (blocks // 20 * 20 + 1) * webhooks
        server.stop()
        started = time.monotonic()
        procs = []
        for _ in range(workers):
            command = [sys.executable, "-m", "timeboxd.cli", "worker"]
            procs.append(subprocess.Popen(command, env=server.env, stdout=subprocess.DEVNULL))
            stack.callback(stop_process, procs[-1])
        receiver.wait_for(total)
        arrivals = sorted(t for t, _ in receiver.log())
    span = arrivals[-1] - arrivals[0]
    return {
        "deliveries": len(arrivals),
        "webhooks": webhooks,
        "seconds": span,
        "rate": (len(arrivals) - 1) / span,
        "to_first": arrivals[0] - started,
    }


def bench_latency(use_postgres: bool, seconds: int, rate: int) -> dict[str, float]:
    with ExitStack() as stack:
        server = events_server(stack, use_postgres)
        headers = {"Authorization": f"Bearer {server.new_key('bench@example.com')}"}
        receiver = Receiver()
        stack.callback(receiver.stop)
        server.start()
        stack.callback(server.stop)
        sent: dict[str, float] = {}
        late = 0
        with httpx.Client(base_url=server.base_url, headers=headers, timeout=WAIT) as http:
            subscribe(http, receiver.url)
            project_id = project(http, "Latency")
            receiver.wait_for(1)  # project.created: the worker is running
            day = date(2031, 1, 1)
            total = seconds * rate
            began = time.monotonic()
            for i in range(total):
                due = began + i / rate
                if (ahead := due - time.monotonic()) > 0:
                    time.sleep(ahead)
                else:
                    late += 1
                block = blocks_for(day + timedelta(days=i // 20), 20, project_id)[i % 20]
                at = time.monotonic()
                created = checked(http.post("/v1/blocks", json=block), 201)
                sent[created["id"]] = at
            achieved = total / (time.monotonic() - began)
        receiver.wait_for(len(sent) + 1)
        arrivals = {i: t for t, i in receiver.log() if i in sent}
    latencies = sorted(arrivals[i] - sent[i] for i in sent)
    return {
        "writes": len(sent),
        "rate": achieved,
        "late": late,
        "p50": statistics.median(latencies),
        "p99": latencies[int(len(latencies) * 0.99) - 1],
        "max": latencies[-1],
    }


def copy_events(database_url: str, copies: int) -> None:
    """Make ``copies`` more of every event, each copy in a transaction of its own, with ids
    of the same form (``evt_``, 4 digits of the copy, the last 16 characters of the first)."""
    engine = create_engine(database_url)
    columns = "user_id, livemode, type, resource_id, data, created_at"
    pg = engine.dialect.name == "postgresql"
    txid = ", txid"
    new_txid = ", pg_current_xact_id()::text::bigint" if pg else ", txid"
    number = "lpad(CAST(:k AS text), 4, '0')" if pg else "printf('%04d', :k)"
    with engine.connect() as conn:
        first = conn.execute(text("SELECT max(seq) FROM events")).scalar_one()
    for k in range(1, copies + 1):
        with engine.begin() as conn:
            conn.execute(
                text(
                    f"INSERT INTO events (id, {columns}{txid}) "
                    f"SELECT 'evt_' || {number} || substr(id, 9), {columns}{new_txid} "
                    "FROM events WHERE seq <= :first"
                ),
                {"k": k, "first": first},
            )
    # A table grown by the API's writes is analyzed by autovacuum as it grows; one that grew
    # by a million rows a moment ago is not yet, and PostgreSQL's planner, taking it for
    # the 10,000 rows it last saw, reads every event after the cursor and sorts them for
    # each page (a bitmap scan: 95-180 ms a page, against 0.5 ms on the index once analyzed).
    if pg:
        with engine.connect() as conn:
            conn.execute(text("ANALYZE events"))
            conn.commit()
    engine.dispose()


def bench_feed(use_postgres: bool, total: int, page: int) -> dict[str, float]:
    with ExitStack() as stack:
        server = events_server(stack, use_postgres, worker_in_process="false")
        headers = {"Authorization": f"Bearer {server.new_key('bench@example.com')}"}
        server.start()
        with httpx.Client(base_url=server.base_url, headers=headers, timeout=WAIT) as http:
            project_id = project(http, "Feed")
            body = bulk_body(date(2030, 1, 1), 10_000, project_id)
            checked(http.post("/v1/blocks/bulk", json=body), 201)
        server.stop()
        copy_events(server.database_url, total // 10_000 - 1)
        server.start()
        stack.callback(server.stop)
        read = 0
        after: str | None = None
        with httpx.Client(base_url=server.base_url, headers=headers, timeout=WAIT) as http:
            checked(http.get("/v1/events", params={"limit": page}), 200)  # warm
            began = time.perf_counter()
            while True:
                params: dict[str, Any] = {"limit": page}
                if after:
                    params["after"] = after
                r = http.get("/v1/events", params=params)
                if r.status_code != 200:
                    raise SystemExit(f"feed: {r.status_code} {r.text[:300]}")
                body = orjson.loads(r.content)
                read += len(body["data"])
                after = body["meta"]["next"]
                if not body["meta"]["has_more"]:
                    break
            seconds = time.perf_counter() - began
    return {"events": read, "seconds": seconds, "rate": read / seconds}


def bench_metrics(use_postgres: bool, duration: int, rounds: int) -> dict[str, list[float]]:
    results: dict[str, list[float]] = {"with": [], "without": []}
    with ExitStack() as stack:
        server = events_server(stack, use_postgres, worker_in_process="false")
        headers = {"Authorization": f"Bearer {server.new_key('bench@example.com')}"}
        server.start()
        with httpx.Client(base_url=server.base_url, headers=headers, timeout=WAIT) as http:
            blocks = blocks_for(date.fromisoformat(LIST_DATE), 20, project(http, "List"))
            checked(http.post("/v1/blocks/bulk", json={"blocks": blocks}), 201)
        server.stop()
        factories = {
            "with": "timeboxd.api.app:create_app_from_env",
            "without": "nometrics_app:create",
        }
        for _ in range(rounds):
            for name, factory in factories.items():
                metrics_dir = tempfile.mkdtemp(prefix="timeboxd-bench-metrics-")
                port = free_port()
                env = {**server.env, "PROMETHEUS_MULTIPROC_DIR": metrics_dir}
                command = [sys.executable, "nometrics_app.py", factory, str(port)]
                app = subprocess.Popen(command, cwd=HERE, env=env)
                try:
                    wait_until_ready(f"http://127.0.0.1:{port}/ready", app)
                    url = f"http://127.0.0.1:{port}/v1/blocks?date={LIST_DATE}"
                    results[name].append(wrk(url, headers, duration)["rps"])
                finally:
                    stop_process(app)
                    shutil.rmtree(metrics_dir, ignore_errors=True)
    return results


# -- the report ----------------------------------------------------------------------------


def report(name: str, figures: Any, backend: str) -> None:
    if name == "bulk":
        verdict = "met" if max(figures) < 1.0 else "MISSED"
        print(f"| {backend}: bulk, 10,000 blocks + webhook | median s | max s | < 1 s |")
        print("| --- | ---: | ---: | --- |")
        med = statistics.median(figures)
        print(f"| {len(figures)} runs | {med:.3f} | {max(figures):.3f} | {verdict} |\n")
    elif name == "throughput":
        verdict = "met" if figures["rate"] >= 500 else "MISSED"
        print(f"| {backend}: delivery, 2 workers | deliveries | s | per s | >= 500/s |")
        print("| --- | ---: | ---: | ---: | --- |")
        print(
            f"| {figures['webhooks']} webhook(s), first after {figures['to_first']:.1f} s | "
            f"{figures['deliveries']:,} | "
            f"{figures['seconds']:.2f} | {figures['rate']:,.0f} | {verdict} |\n"
        )
    elif name == "latency":
        verdict = "met" if figures["p99"] < 1.0 else "MISSED"
        print(
            f"| {backend}: write to delivery, in-process worker | writes/s | p50 s | "
            "p99 s | max s | p99 < 1 s |"
        )
        print("| --- | ---: | ---: | ---: | ---: | --- |")
        print(
            f"| {figures['writes']:,} writes ({figures['late']} sent late) | "
            f"{figures['rate']:.1f} | {figures['p50']:.3f} | {figures['p99']:.3f} | "
            f"{figures['max']:.3f} | {verdict} |\n"
        )
    elif name == "feed":
        verdict = "met" if figures["rate"] >= 50_000 else "MISSED"
        print(f"| {backend}: feed, limit=1000 | events | s | events/s | >= 50,000/s |")
        print("| --- | ---: | ---: | ---: | --- |")
        print(
            f"| | {figures['events']:,} | {figures['seconds']:.2f} | "
            f"{figures['rate']:,.0f} | {verdict} |\n"
        )
    elif name == "metrics":
        w, wo = statistics.median(figures["with"]), statistics.median(figures["without"])
        cost = 1 - w / wo
        verdict = "met" if cost < 0.05 else "MISSED"
        runs = lambda xs: ", ".join(f"{x:,.0f}" for x in xs)  # noqa: E731
        print(f"| {backend}: `GET /v1/blocks?date=`, wrk -t2 -c32 | runs, requests/s | median |")
        print("| --- | --- | ---: |")
        print(f"| with the metrics middleware | {runs(figures['with'])} | {w:,.0f} |")
        print(f"| without | {runs(figures['without'])} | {wo:,.0f} |")
        print(f"\nCost of the middleware: {cost:.1%} ({verdict}: under 5%)\n")


def main() -> None:
    if sys.argv[1:2] == ["receiver"]:
        serve_receiver(int(sys.argv[3]))
        return
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--postgres", action="store_true", help="a throw-away PostgreSQL")
    parser.add_argument("--skip", default="", help="comma list of the benchmarks to leave out")
    parser.add_argument("--bulk-runs", type=int, default=5)
    parser.add_argument("--deliveries", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--webhooks", type=int, default=1, help="subscribed, to one receiver")
    parser.add_argument("--latency-seconds", type=int, default=30)
    parser.add_argument("--feed-events", type=int, default=1_000_000)
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    if shutil.which("wrk") is None and "metrics" not in skip:
        raise SystemExit("wrk is needed: apt-get install wrk")
    backend = "PostgreSQL" if args.postgres else "SQLite"
    print(f"Machine: {machine()}\nDatabase: {backend}\n", flush=True)
    runs = {
        "bulk": lambda: bench_bulk(args.postgres, args.bulk_runs),
        "throughput": lambda: bench_throughput(
            args.postgres, args.deliveries, args.workers, args.webhooks
        ),
        "latency": lambda: bench_latency(args.postgres, args.latency_seconds, 50),
        "feed": lambda: bench_feed(args.postgres, args.feed_events, 1000),
        "metrics": lambda: bench_metrics(args.postgres, args.duration, args.rounds),
    }
    for name, run in runs.items():
        if name not in skip:
            report(name, run(), backend)
            sys.stdout.flush()


if __name__ == "__main__":
    main()
