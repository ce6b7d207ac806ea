"""Web app benchmark against a real ``timeboxd serve`` this script starts.

    bash scripts/build_assets.sh
    .venv/bin/python bench/web.py [--postgres] [--requests 2000] [--blocks 1000000] [--runs 30]

- **Today**: an account with 20 blocks on the day (five projects, a third done, a running
  timer); ``GET /`` with the account's session cookie, one request after the other over one
  keep-alive connection, after 100 unmeasured ones. Target: p99 under 20 ms.
- **Dashboard**: an account with 1,000,000 blocks over five years (``bench/stats.py``'s rows,
  bulk inserts straight into the database while the server idles, the rollup triggers
  firing for every row); ``GET /dashboard/productivity``, which has no cache: every request
  computes the figures from the rollups and renders the page. The first request of a fresh
  server process is given apart, then ``--runs`` requests. Target: under 150 ms.
- **JavaScript**: for each page, every script it loads (each ``<script src>``), fetched
  from the server and gzipped (level 9, as a compressing proxy or CDN sends it); the sum
  per page. Target: under 120 KB in all.

Times are the whole HTTP request measured by the client on the same machine (loopback),
and the handler's own time from the page's ``Server-Timing`` header (session, services and
template; the targets are on this one). One worker, as each request is measured alone.
"""

from __future__ import annotations

import argparse
import gzip
import os
import re
import statistics
import time
from contextlib import ExitStack
from datetime import date

import httpx
from harness import Server, checked, machine, unlimited_server
from sqlalchemy import insert
from stats import BATCH, ZONE, block_rows

from timeboxd.db.engine import make_engine
from timeboxd.db.models import blocks_table

PASSWORD = "bench password 1"
PAGES = {
    "login": "/login",
    "today": "/",
    "week": "/week",
    "dashboard": "/dashboard/productivity",
    "settings": "/settings",
}
SCRIPT = re.compile(r'<script[^>]*\ssrc="([^"]+)"')


def account(server: Server, email: str) -> str:
    """A new account with a web password; returns its API key."""
    server.cli("users", "create", email, "--timezone", ZONE, "--password", PASSWORD)
    return server.cli("keys", "create", email).strip().splitlines()[-1]


def session(base: str, email: str) -> httpx.Client:
    """A client holding the account's session cookie."""
    web = httpx.Client(base_url=base, timeout=600, follow_redirects=False)
    r = web.post("/login", data={"email": email, "password": PASSWORD})
    if r.status_code != 303:
        raise SystemExit(f"login failed: {r.status_code} {r.text[:300]}")
    return web


def day_of_twenty(api: httpx.Client) -> None:
    projects = [
        checked(api.post("/v1/projects", json={"name": f"Course {n}"}), 201)["id"] for n in range(5)
    ]
    today = checked(api.get("/v1/agenda"))["date"]
    blocks = []
    for n in range(20):
        minute = 6 * 60 + n * 40
        blocks.append(
            {
                "date": today,
                "start": f"{minute // 60:02d}:{minute % 60:02d}",
                "end": f"{(minute + 35) // 60:02d}:{(minute + 35) % 60:02d}",
                "topic": f"Chapter {n + 1}: reading and exercises",
                "project_id": projects[n % 5],
                "done": n % 3 == 0,
            }
        )
    checked(api.post("/v1/blocks/bulk", json={"blocks": blocks}), 201)
    checked(api.post("/v1/timer/start", json={"description": "Chapter 1"}), 201)


def seed_blocks(url: str, api: httpx.Client, count: int) -> None:
    """``count`` blocks over five years in 12 projects, inserted in batches straight into
    the database (the rollup triggers fire for every row)."""
    me = checked(api.get("/v1/me"))
    projects = [
        checked(api.post("/v1/projects", json={"name": f"Subject {n}"}), 201)["id"]
        for n in range(12)
    ]
    engine = make_engine(url)
    try:
        batch: list[dict[str, object]] = []
        for row in block_rows(me["id"], projects, count):
            batch.append(row)
            if len(batch) == BATCH:
                with engine.begin() as conn:
                    conn.execute(insert(blocks_table), batch)
                batch = []
        if batch:
            with engine.begin() as conn:
                conn.execute(insert(blocks_table), batch)
    finally:
        engine.dispose()


def timed(web: httpx.Client, path: str) -> tuple[float, float]:
    """The request's time as the client sees it, and the handler's own (Server-Timing)."""
    began = time.perf_counter()
    r = web.get(path)
    took = (time.perf_counter() - began) * 1000
    if r.status_code != 200:
        raise SystemExit(f"{path}: {r.status_code} {r.text[:300]}")
    return took, float(r.headers["server-timing"].rsplit("dur=", 1)[1])


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def row(name: str, pairs: list[tuple[float, float]], target: float) -> str:
    """Client p50/p99/max, then the server's p50/p99/max; the verdict is on the server's
    p99 (the target is server time)."""
    client, server = [c for c, _ in pairs], [s for _, s in pairs]
    verdict = "met" if percentile(server, 99) < target else "MISSED"
    return (
        f"| {name} | {len(pairs)} | {statistics.median(client):.1f} /"
        f" {percentile(client, 99):.1f} / {max(client):.1f} |"
        f" {statistics.median(server):.1f} / {percentile(server, 99):.1f} / {max(server):.1f} |"
        f" < {target:.0f} ms: {verdict} |"
    )


def javascript(web: httpx.Client) -> list[tuple[str, list[tuple[str, int]], int]]:
    out = []
    for name, path in PAGES.items():
        page = web.get(path)
        sizes = []
        for src in SCRIPT.findall(page.text):
            body = web.get(src)
            if body.status_code != 200:
                raise SystemExit(f"{src}: {body.status_code}")
            sizes.append((src, len(gzip.compress(body.content, 9))))
        out.append((name, sizes, sum(s for _, s in sizes)))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--blocks", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    print(f"Machine: {machine()}; load average {os.getloadavg()[0]:.2f} at the start")
    print(f"Date: {date.today().isoformat()} {time.strftime('%H:%M', time.gmtime())} UTC")
    with ExitStack() as stack:
        server = unlimited_server(stack, args.postgres)
        day_key = account(server, "today@example.com")
        big_key = account(server, "big@example.com")
        server.start()
        try:
            base = server.base_url
            with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {day_key}"}) as api:
                day_of_twenty(api)
            began = time.perf_counter()
            with httpx.Client(
                base_url=base, headers={"Authorization": f"Bearer {big_key}"}, timeout=600
            ) as api:
                seed_blocks(server.database_url, api, args.blocks)
                day_of_twenty(api)
            seeded = time.perf_counter() - began
            print(f"Database: {server.backend}; {args.blocks:,} blocks seeded in {seeded:.0f} s\n")

            # A fresh process: its first dashboard request, then the others.
            server.stop()
            server.start()
            base = server.base_url
            big = session(base, "big@example.com")
            first = timed(big, PAGES["dashboard"])
            dashboard = [timed(big, PAGES["dashboard"]) for _ in range(args.runs)]
            big_today = [timed(big, "/") for _ in range(args.runs * 10)]

            day = session(base, "today@example.com")
            for _ in range(100):
                timed(day, "/")
            today = [timed(day, "/") for _ in range(args.requests)]

            print(
                "| page | requests | client p50 / p99 / max ms | server p50 / p99 / max ms |"
                " target (server p99) |"
            )
            print("| --- | ---: | ---: | ---: | --- |")
            print(row("today, 20 blocks", today, 20))
            print(row(f"today, 20 blocks, account of {args.blocks:,}", big_today, 20))
            print(row(f"dashboard, {args.blocks:,} blocks", dashboard, 150))
            print(
                f"\nFirst dashboard request of a fresh server process: {first[0]:.1f} ms"
                f" (server {first[1]:.1f} ms)"
            )
            print(f"Load average at the end: {os.getloadavg()[0]:.2f}\n")

            print("| page | scripts (gzipped bytes) | total KB | target |")
            print("| --- | --- | ---: | --- |")
            for name, sizes, total in javascript(day):
                listed = ", ".join(f"{src.rsplit('/', 1)[-1]} {n:,}" for src, n in sizes)
                verdict = "met" if total < 120 * 1024 else "MISSED"
                print(f"| {name} | {listed} | {total / 1024:.1f} | < 120 KB: {verdict} |")
        finally:
            server.stop()


if __name__ == "__main__":
    main()
