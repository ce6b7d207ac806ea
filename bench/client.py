"""The Python client's overhead over raw httpx, on ``list_blocks`` of 20 rows (target:
under 15%).

One server (SQLite, no rate limit), one account with 20 blocks on one day. Both sides keep
one connection open and send the same request, ``GET /v1/blocks?date=...``: raw httpx
decodes the JSON into dicts (``response.json()``), the client also checks the envelope and
builds the typed blocks. The two alternate in rounds, so the machine's load falls on both
alike; the figure is the ratio of their median round times. The client's own work (decode
and validation, no network) is timed apart on the same answer.

    .venv/bin/python bench/client.py [--rounds 40] [--per-round 50]
"""

from __future__ import annotations

import argparse
import statistics
import time
from contextlib import ExitStack

import httpx
from harness import checked, machine, unlimited_server

from timeboxd.client import Client
from timeboxd.client.calls import envelope
from timeboxd.client.methods import list_blocks

DAY = "2026-11-24"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--per-round", type=int, default=50)
    args = parser.parse_args()

    with ExitStack() as stack:
        server = unlimited_server(stack, use_postgres=False)
        server.start()
        key = server.new_key("bench-client@example.com", timezone="UTC")
        headers = {"Authorization": f"Bearer {key}"}
        raw = stack.enter_context(httpx.Client(base_url=server.base_url, headers=headers))
        rows = [{"date": DAY, "start": f"{h:02d}:00", "end": f"{h:02d}:30"} for h in range(20)]
        checked(raw.post("/v1/blocks/bulk", json={"blocks": rows}), 201)
        client = stack.enter_context(Client(server.base_url, key))
        assert len(client.list_blocks(date=DAY)) == 20

        def raw_call() -> None:
            assert len(raw.get("/v1/blocks", params={"date": DAY}).json()["data"]) == 20

        def client_call() -> None:
            assert len(client.list_blocks(date=DAY)) == 20

        for _ in range(100):  # warm both paths (connections, validators, server caches)
            raw_call()
            client_call()

        raw_rounds: list[float] = []
        client_rounds: list[float] = []
        for _ in range(args.rounds):
            for call, out in ((raw_call, raw_rounds), (client_call, client_rounds)):
                started = time.perf_counter()
                for _ in range(args.per_round):
                    call()
                out.append((time.perf_counter() - started) / args.per_round)

        answer = raw.get("/v1/blocks", params={"date": DAY})
        read = list_blocks(date=DAY).read
        n = 5000
        started = time.perf_counter()
        for _ in range(n):
            answer.json()
        decode_only = (time.perf_counter() - started) / n
        started = time.perf_counter()
        for _ in range(n):
            read(*envelope(answer))
        typed = (time.perf_counter() - started) / n
        server.stop()

    raw_ms = statistics.median(raw_rounds) * 1000
    client_ms = statistics.median(client_rounds) * 1000
    print(f"machine: {machine()}")
    print(f"calls: {args.rounds} rounds x {args.per_round} calls each way")
    print(f"raw httpx + response.json(): median {raw_ms:.3f} ms/call")
    print(f"timeboxd.client list_blocks: median {client_ms:.3f} ms/call")
    print(f"overhead: {(client_ms / raw_ms - 1) * 100:+.1f}%")
    print(
        f"in-process, the same 20-row answer: json() {decode_only * 1e6:.0f} us, "
        f"envelope + typed blocks {typed * 1e6:.0f} us"
    )


if __name__ == "__main__":
    main()
