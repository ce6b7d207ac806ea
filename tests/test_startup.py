"""Starting ``timeboxd serve``: a worker's import leaves out the libraries only rare
requests or the command line need, and "listening" is printed only once the server answers
``/ready``, with one worker and with two."""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests import servers

# Libraries a server process must not import at start: reports' XLSX writer, the
# iCalendar readers and writers, the migration tool, and the test tools.
NOT_AT_START = (
    "openpyxl",
    "icalendar",
    "recurring_ical_events",
    "alembic",
    "schemathesis",
    "hypothesis",
    "pytest",
)


def test_a_worker_imports_no_heavy_library_it_does_not_need() -> None:
    # What a worker imports: the command's module (multiprocessing's spawn re-imports the
    # main module) and the app.
    code = (
        "import sys, timeboxd.cli, timeboxd.api.app; "
        f"print(' '.join(m for m in {NOT_AT_START!r} if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=servers.python_env(os.environ),
        capture_output=True,
        text=True,
        timeout=servers.READY_TIMEOUT,
        check=True,
    )
    assert out.stdout.split() == []


def _lines(stream: object, into: queue.Queue[str]) -> None:
    for line in stream:  # type: ignore[attr-defined]
        into.put(line.decode(errors="replace"))


@pytest.mark.parametrize("workers", [1, 2])
def test_listening_is_printed_when_the_server_answers(workers: int, tmp_path: Path) -> None:
    port = servers.free_port()
    env = {
        **os.environ,
        "TIMEBOXD_DATA_DIR": str(tmp_path),
        "TIMEBOXD_LOG_LEVEL": "warning",
    }
    env.pop("TIMEBOXD_DATABASE_URL", None)
    env.pop("TIMEBOXD_REDIS_URL", None)
    log = tmp_path / "server.log"
    with log.open("wb") as errors:
        process = subprocess.Popen(
            [*servers.CLI, "serve", "--port", str(port), "--workers", str(workers)],
            env=servers.python_env(env),
            stdout=subprocess.PIPE,
            stderr=errors,
        )
    lines: queue.Queue[str] = queue.Queue()
    reader = threading.Thread(target=_lines, args=(process.stdout, lines), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + servers.READY_TIMEOUT
        printed: list[str] = []
        while not any("listening" in line for line in printed):
            assert process.poll() is None, servers._tail(log)
            assert time.monotonic() < deadline, (printed, servers._tail(log))
            try:
                printed.append(lines.get(timeout=servers.POLL_INTERVAL))
            except queue.Empty:
                continue
        # The very first request after the line is answered: no retry, no wait.
        ready = httpx.get(f"http://127.0.0.1:{port}/ready", timeout=60)
        assert ready.status_code == 200, ready.text
        assert ready.json()["data"]["status"] == "ready"
        assert f"http://127.0.0.1:{port}" in printed[-1]
        assert f"{workers} worker(s)" in printed[-1]
    finally:
        servers.stop_process(process)
        reader.join(servers.STOP_TIMEOUT)  # the pipe ends with the process
        assert process.stdout is not None
        process.stdout.close()
