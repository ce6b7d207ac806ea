"""What every benchmark here needs: a real ``timeboxd serve`` in a temporary data directory,
accounts and keys made with the CLI, and a throw-away PostgreSQL when one is asked for.

Benchmarks import this module (``from harness import Server``); they run as scripts from the
repository root, e.g. ``.venv/bin/python bench/api.py``. Starting a server and waiting until
it is ready is ``tests/servers.py``, the same code the test suite starts its servers with.
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx

# A script's own directory is on the path, the repository root (where ``tests`` is) is not.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.servers import (
    Served,
    free_port,
    python_env,
    start,
    stop,
    stop_process,
    wait_until_ready,
)

__all__ = [
    "UNLIMITED",
    "Server",
    "checked",
    "free_port",
    "machine",
    "peak_rss_mb",
    "postgres",
    "python_env",
    "stop_process",
    "unlimited_server",
    "wait_until_ready",
]

PG_BIN = next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)), None)


UNLIMITED = str(10**9)


def checked(response: httpx.Response, status: int = 200) -> Any:
    """The response's data, or the benchmark stops saying what went wrong."""
    if response.status_code != status:
        raise SystemExit(f"{response.request.url}: {response.status_code} {response.text[:400]}")
    return response.json()["data"]


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{os.cpu_count()} CPUs ({cpu}), Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}"
    )


class Server:
    """A data directory, the CLI against it, and a server process started on demand."""

    def __init__(self, data_dir: str, database_url: str | None = None, **settings: str) -> None:
        self.env = python_env(
            {
                **os.environ,
                "TIMEBOXD_DATA_DIR": data_dir,
                "TIMEBOXD_LOG_LEVEL": "warning",
                **{f"TIMEBOXD_{k.upper()}": v for k, v in settings.items()},
            }
        )
        if database_url:
            self.env["TIMEBOXD_DATABASE_URL"] = database_url
        self.backend = "PostgreSQL" if database_url else "SQLite"
        self.database_url = database_url or f"sqlite:///{data_dir}/timeboxd.db"
        self.log = Path(data_dir) / "server.log"
        self.served: Served | None = None

    def cli(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "timeboxd.cli", *args],
            env=self.env,
            check=True,
            capture_output=True,
            text=True,
        )
        return done.stdout

    def new_key(self, email: str, timezone: str = "Europe/Berlin") -> str:
        self.cli("users", "create", email, "--timezone", timezone)
        return self.cli("keys", "create", email).strip().splitlines()[-1]

    @property
    def base_url(self) -> str:
        assert self.served is not None, "start() the server first"
        return self.served.base_url

    def start(self, workers: int = 1) -> None:
        """Migrate, start ``timeboxd serve`` and return once it is ready."""
        self.cli("db", "upgrade")
        self.served = start(self.env, workers=workers, log=self.log)

    def stop(self) -> None:
        if self.served is not None:
            stop(self.served)
            self.served = None

    def worker_pids(self) -> list[int]:
        """The server process and its children (uvicorn's workers when there are several)."""
        assert self.served is not None
        pid = self.served.process.pid
        pids = [pid]
        children = Path(f"/proc/{pid}/task/{pid}/children")
        if children.exists():
            pids += [int(p) for p in children.read_text().split()]
        return pids


def peak_rss_mb(pid: int) -> float:
    """The process's high-water mark of resident memory (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


@contextmanager
def postgres() -> Iterator[str]:
    """A throw-away PostgreSQL in a temporary directory; yields its SQLAlchemy URL."""
    if PG_BIN is None:
        raise SystemExit("PostgreSQL is not installed (apt-get install postgresql)")
    root = Path(tempfile.mkdtemp(prefix="timeboxd-bench-pg."))
    root.chmod(0o755)
    data = root / "pg"
    data.mkdir()
    as_pg = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if as_pg:
        shutil.chown(data, "postgres")
    port = free_port()
    run = lambda *a: subprocess.run([*as_pg, *a], check=True, capture_output=True)  # noqa: E731
    run(f"{PG_BIN}/initdb", "-D", str(data), "-U", "postgres", "-A", "trust", "--no-sync")
    options = f"-p {port} -k {data} -c listen_addresses=127.0.0.1 -c max_connections=200"
    run(f"{PG_BIN}/pg_ctl", "-D", str(data), "-l", str(data / "log"), "-w", "-o", options, "start")
    try:
        run(f"{PG_BIN}/createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "bench")
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/bench"
    finally:
        run(f"{PG_BIN}/pg_ctl", "-D", str(data), "-m", "fast", "stop")
        shutil.rmtree(root, ignore_errors=True)


def unlimited_server(stack: ExitStack, use_postgres: bool) -> Server:
    """A server without rate limits on SQLite in a temporary data directory, or on a
    throw-away PostgreSQL; both go when ``stack`` closes (start it with ``.start()``)."""
    url = stack.enter_context(postgres()) if use_postgres else None
    if os.environ.get("BENCH_KEEP_DATA"):
        # The data directory and its server.log stay, to read after a failed run.
        tmp = tempfile.mkdtemp(prefix="timeboxd-bench.")
        print(f"Data directory (kept): {tmp}", file=sys.stderr)
    else:
        tmp = stack.enter_context(tempfile.TemporaryDirectory())
    return Server(tmp, url, rate_limit_per_minute=UNLIMITED, rate_limit_per_second=UNLIMITED)
