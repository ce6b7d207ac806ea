"""An MCP ``list_blocks`` call over streamable HTTP against the same REST call, both
measured in one run against one real ``timeboxd serve`` (one worker) this script starts.

    .venv/bin/python bench/mcp.py --requests 2000 --blocks 20
    .venv/bin/python bench/mcp.py --requests 2000 --blocks 20 --postgres

Both calls list the same day's ``--blocks`` blocks with the same key: the REST call is
``GET /v1/blocks?date=``, the MCP call a JSON-RPC ``tools/call`` of ``list_blocks`` with
``{"date": ...}`` POSTed to ``/mcp`` (the server is stateless: no session to open first).
Each is timed from the client, sequentially over one kept-alive connection, alternating
in rounds of 100 so the machine's load falls on both alike, after a warm-up of each.
Reports p50, p90, p99 and mean latency and the ratio MCP/REST. Target: at most 2x.
An MCP ``ping`` (admitted with the key as every request, answered by the SDK with no
tool) is timed too, a quarter as often: the floor any MCP call starts from.
Prints a Markdown report.
"""

from __future__ import annotations

import argparse
import statistics
import time
from contextlib import ExitStack
from typing import Any

import httpx
from harness import checked, machine, unlimited_server

DAY = "2026-03-02"
ROUND = 100


def call_rest(http: httpx.Client, key: str) -> None:
    r = http.get("/v1/blocks", params={"date": DAY}, headers={"Authorization": f"Bearer {key}"})
    if r.status_code != 200:
        raise SystemExit(f"REST: {r.status_code} {r.text[:300]}")


def call_mcp(http: httpx.Client, key: str, n: int) -> None:
    body = {
        "jsonrpc": "2.0",
        "id": n,
        "method": "tools/call",
        "params": {"name": "list_blocks", "arguments": {"date": DAY}},
    }
    headers = {
        "Authorization": f"Bearer {key}",
        "Accept": "application/json, text/event-stream",
        "MCP-Protocol-Version": "2025-06-18",
    }
    r = http.post("/mcp", json=body, headers=headers)
    if r.status_code != 200 or "error" in r.json() or r.json()["result"].get("isError"):
        raise SystemExit(f"MCP: {r.status_code} {r.text[:300]}")


def call_ping(http: httpx.Client, key: str, n: int) -> None:
    body = {"jsonrpc": "2.0", "id": n, "method": "ping"}
    headers = {"Authorization": f"Bearer {key}", "Accept": "application/json, text/event-stream"}
    r = http.post("/mcp", json=body, headers=headers)
    if r.status_code != 200:
        raise SystemExit(f"ping: {r.status_code} {r.text[:300]}")


def timed(fn: Any, *args: Any) -> float:
    began = time.perf_counter()
    fn(*args)
    return (time.perf_counter() - began) * 1000


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="of each kind")
    parser.add_argument("--blocks", type=int, default=20)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    with ExitStack() as stack:
        server = unlimited_server(stack, args.postgres)
        server.start(workers=1)
        stack.callback(server.stop)
        key = server.new_key("bench-mcp@example.com")
        with httpx.Client(base_url=server.base_url, timeout=60) as http:
            auth = {"Authorization": f"Bearer {key}"}
            for i in range(args.blocks):
                start = f"{8 + i * 30 // 60:02d}:{i * 30 % 60:02d}"
                end = f"{8 + (i * 30 + 25) // 60:02d}:{(i * 30 + 25) % 60:02d}"
                block = {"date": DAY, "start": start, "end": end, "topic": f"Block {i}"}
                checked(http.post("/v1/blocks", json=block, headers=auth), 201)
            for n in range(50):  # warm-up
                call_rest(http, key)
                call_mcp(http, key, n)
            rest: list[float] = []
            mcp: list[float] = []
            ping: list[float] = []
            n = 0
            while len(rest) < args.requests:
                for _ in range(ROUND):
                    rest.append(timed(call_rest, http, key))
                for _ in range(ROUND):
                    n += 1
                    mcp.append(timed(call_mcp, http, key, n))
                for _ in range(ROUND // 4):
                    ping.append(timed(call_ping, http, key, n))
    db = "PostgreSQL" if args.postgres else "SQLite"
    print(f"## MCP list_blocks against REST ({db}, {args.blocks} blocks, {len(rest)} calls each)")
    print()
    print(f"Machine: {machine()}")
    print()
    print("| call | p50 ms | p90 ms | p99 ms | mean ms |")
    print("| --- | --- | --- | --- | --- |")
    rows = (
        ("REST GET /v1/blocks?date=", rest),
        ("MCP tools/call list_blocks", mcp),
        ("MCP ping (admission and the SDK alone)", ping),
    )
    for name, values in rows:
        row = [pct(values, 0.5), pct(values, 0.9), pct(values, 0.99), statistics.fmean(values)]
        print(f"| {name} | " + " | ".join(f"{v:.2f}" for v in row) + " |")
    ratio_p50 = pct(mcp, 0.5) / pct(rest, 0.5)
    ratio_mean = statistics.fmean(mcp) / statistics.fmean(rest)
    print()
    print(f"MCP/REST: {ratio_p50:.2f}x at p50, {ratio_mean:.2f}x on the mean (target: at most 2x)")


if __name__ == "__main__":
    main()
