"""Pipeline benchmark against a real ``timeboxd serve`` this script starts.

    .venv/bin/python bench/crm.py [--postgres] [--deals 10000] [--runs 30]

One account with 10,000 deals for 50 clients in its personal workspace (every stage and
three currencies, values and probabilities spread out), written with core inserts
straight into the database while the server idles, and a second account with as many
(noise the first must not pay for); on PostgreSQL then ``VACUUM ANALYZE deals``, as
autovacuum would soon after such a load. Then ``GET /v1/deals/pipeline``, unfiltered and with
a close-date range, and one page of ``GET /v1/deals`` for comparison. Times are the whole
HTTP request measured by the client on the same machine. Target: the pipeline under 50 ms.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from contextlib import ExitStack
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
from harness import UNLIMITED, Server, checked, machine, postgres
from sqlalchemy import insert

from timeboxd.db.crm import Deal
from timeboxd.db.engine import make_engine
from timeboxd.domain.ids import new_id

STAGES = ("prospect", "proposal", "negotiation", "won", "lost")
CURRENCIES = ("EUR", "USD", "GBP")


def deal_rows(user: str, workspace: str, clients: list[str], count: int) -> list[dict[str, Any]]:
    now = datetime.now(UTC)
    rows = []
    for i in range(count):
        stage = STAGES[i % 5]
        probability = {"won": 100, "lost": 0}.get(stage, (i * 7) % 101)
        rows.append(
            {
                "id": new_id("deal"),
                "workspace_id": workspace,
                "livemode": True,
                "client_id": clients[i % len(clients)],
                "owner_id": user,
                "title": f"Deal {i}",
                "stage": stage,
                "value_cents": (i * 104_729) % 50_000_000,
                "currency": CURRENCIES[i % 3],
                "probability": probability,
                "expected_close_date": date(2026, 1, 1) + timedelta(days=i % 730),
                "project_id": None,
                "notes": "",
                "closed_at": now if stage in ("won", "lost") else None,
                "created_at": now,
                "updated_at": now,
                "version": 1,
            }
        )
    return rows


def seed(url: str, http: httpx.Client, count: int) -> None:
    me = checked(http.get("/v1/me"))
    workspace = next(w["id"] for w in checked(http.get("/v1/workspaces")) if w["personal"])
    clients = [
        checked(http.post("/v1/clients", json={"name": f"Client {n}"}), 201)["id"]
        for n in range(50)
    ]
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(insert(Deal.__table__), deal_rows(me["id"], workspace, clients, count))
    finally:
        engine.dispose()


def settle(url: str) -> None:
    """What autovacuum does soon after a bulk load on PostgreSQL (statistics, and the
    visibility map an index-only scan needs); SQLite's planner needs nothing."""
    if not url.startswith("postgresql"):
        return
    engine = make_engine(url)
    try:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE deals")
    finally:
        engine.dispose()


def measure(http: httpx.Client, url: str, runs: int) -> list[float]:
    checked(http.get(url))  # warms the process; not counted
    out = []
    for _ in range(runs):
        began = time.perf_counter()
        checked(http.get(url))
        out.append((time.perf_counter() - began) * 1000)
    return sorted(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--deals", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    print(f"Machine: {machine()}")
    with ExitStack() as stack:
        url = stack.enter_context(postgres()) if args.postgres else None
        tmp = stack.enter_context(tempfile.TemporaryDirectory())
        server = Server(
            tmp,
            url,
            rate_limit_per_minute=UNLIMITED,
            rate_limit_per_second=UNLIMITED,
            release_feed_url="",
        )
        key = server.new_key("crm@example.com")
        noise = server.new_key("noise@example.com")
        server.start()
        try:
            with (
                httpx.Client(
                    base_url=server.base_url,
                    headers={"Authorization": f"Bearer {key}"},
                    timeout=600,
                ) as http,
                httpx.Client(
                    base_url=server.base_url,
                    headers={"Authorization": f"Bearer {noise}"},
                    timeout=600,
                ) as other,
            ):
                seed(server.database_url, http, args.deals)
                seed(server.database_url, other, args.deals)
                settle(server.database_url)
                total = checked(http.get("/v1/deals/pipeline"))
                counted = sum(s["count"] for s in total["stages"])
                assert counted == args.deals, counted
                print(f"Database: {server.backend}; {args.deals:,} deals per account, 2 accounts\n")
                cases = {
                    "pipeline": "/v1/deals/pipeline",
                    "pipeline, a year of close dates": (
                        "/v1/deals/pipeline?close_date_from=2026-01-01&close_date_to=2026-12-31"
                    ),
                    "list, one page of 50": "/v1/deals?per_page=50",
                }
                print("| call | median ms | p90 ms | max ms |")
                print("| --- | ---: | ---: | ---: |")
                for name, path in cases.items():
                    times = measure(http, path, args.runs)
                    p90 = times[int(len(times) * 0.9) - 1]
                    print(
                        f"| {name} | {statistics.median(times):.1f} | {p90:.1f} |"
                        f" {max(times):.1f} |"
                    )
        finally:
            server.stop()


if __name__ == "__main__":
    main()
