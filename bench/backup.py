"""Backup benchmark against a real ``timeboxd serve`` this script starts.

    .venv/bin/python bench/backup.py [--postgres] [--blocks 200000] [--writes 400]

One account with ``--blocks`` blocks (bulk requests of 10,000), then:

- ``timeboxd backup`` alone: the command's wall time (a process of its own, start-up
  included) and the size of the copy;
- the latency of single block creates (one writer, sequential) while no backup runs, and
  while backups run back to back in another process: the cost a backup puts on writers;
- ``timeboxd restore`` of the copy into a new empty database: wall time.

Figures go to standard output; docs/benchmarks.md records them.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from pathlib import Path

import httpx
from harness import checked, machine, unlimited_server
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

BULK = 10_000


def fill(base: str, headers: dict[str, str], count: int) -> None:
    with httpx.Client(base_url=base, headers=headers, timeout=600) as http:
        made = 0
        while made < count:
            n = min(BULK, count - made)
            blocks = [
                {
                    "date": f"20{20 + (made + i) // 20000 % 9}-{1 + i % 12:02d}-{1 + i % 28:02d}",
                    "start": "08:00",
                    "end": "09:30",
                    "topic": f"session {made + i}",
                    "done": i % 3 == 0,
                }
                for i in range(n)
            ]
            checked(http.post("/v1/blocks/bulk", json={"blocks": blocks}), 201)
            made += n


def run_cli(env: dict[str, str], *args: str) -> float:
    began = time.perf_counter()
    subprocess.run([sys.executable, "-m", "timeboxd.cli", *args], env=env, check=True)
    return time.perf_counter() - began


def write_latencies(base: str, headers: dict[str, str], count: int) -> list[float]:
    out = []
    with httpx.Client(base_url=base, headers=headers, timeout=120) as http:
        for i in range(count):
            body = {"date": "2027-01-05", "start": "10:00", "end": "11:00", "topic": f"w{i}"}
            began = time.perf_counter()
            checked(http.post("/v1/blocks", json=body), 201)
            out.append((time.perf_counter() - began) * 1000)
    return out


def summary(ms: list[float]) -> str:
    q = statistics.quantiles(ms, n=100)
    return f"p50 {q[49]:.1f} ms, p99 {q[98]:.1f} ms, max {max(ms):.1f} ms (n={len(ms)})"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--blocks", type=int, default=200_000)
    parser.add_argument("--writes", type=int, default=400)
    args = parser.parse_args()
    with ExitStack() as stack:
        server = unlimited_server(stack, args.postgres)
        server.start()
        out = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        key = server.new_key("bench@example.com")
        headers = {"Authorization": f"Bearer {key}"}
        began = time.perf_counter()
        fill(server.base_url, headers, args.blocks)
        print(
            f"{machine()}; {server.backend}; {args.blocks} blocks written in "
            f"{time.perf_counter() - began:.1f} s"
        )

        suffix = "dump" if args.postgres else "db"
        alone = run_cli(server.env, "backup", str(out / f"alone.{suffix}"))
        size = (out / f"alone.{suffix}").stat().st_size / 1e6
        print(f"backup alone: {alone:.2f} s wall (process start-up included), {size:.1f} MB")

        quiet = write_latencies(server.base_url, headers, args.writes)
        print(f"creates, no backup running: {summary(quiet)}")

        stop = threading.Event()
        taken: list[float] = []

        def backups() -> None:
            n = 0
            while not stop.is_set():
                n += 1
                taken.append(run_cli(server.env, "backup", str(out / f"loop{n}.{suffix}")))
                (out / f"loop{n}.{suffix}").unlink()

        loop = threading.Thread(target=backups)
        loop.start()
        try:
            busy = write_latencies(server.base_url, headers, args.writes)
        finally:
            stop.set()
            loop.join()
        print(
            f"creates, backups running back to back ({len(taken)} taken, "
            f"{statistics.mean(taken):.2f} s each): {summary(busy)}"
        )

        if args.postgres:
            target = make_url(server.database_url).set(database="restored")
            admin = create_engine(server.database_url, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.exec_driver_sql("CREATE DATABASE restored")
            admin.dispose()
            target_url = target.render_as_string(hide_password=False)
        else:
            target_url = f"sqlite:///{out / 'restored.db'}"
        env = {**server.env, "TIMEBOXD_DATABASE_URL": target_url}
        restored = run_cli(env, "restore", str(out / f"alone.{suffix}"))
        print(f"restore into an empty database: {restored:.2f} s wall (migrations included)")
        server.stop()


if __name__ == "__main__":
    main()
