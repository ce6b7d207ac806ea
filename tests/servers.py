"""A real ``timeboxd serve`` in a subprocess: started on a free port, waited for until it
says it is ready, and stopped. The tests (through conftest's ``real_server``) and the
benchmarks (through ``bench/harness.py``) both start their servers here.

Nothing here imports pytest: a server that does not come up raises ``ServerDidNotStart``
with the end of its log, which a test shows as its error and a benchmark as its exit.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

# Generous, polled, never a fixed sleep: a cold start imports the whole app in every worker,
# and on a loaded machine uvicorn's supervisor may kill a worker that has not yet answered
# its health ping and start another before the first request is answered.
READY_TIMEOUT = 120.0
POLL_INTERVAL = 0.1
STOP_TIMEOUT = 30.0
CLI = (sys.executable, "-m", "timeboxd.cli")


class ServerDidNotStart(RuntimeError):
    """The server exited, or did not answer in time; the message ends with its log."""


@dataclass(frozen=True, slots=True)
class Served:
    """A running server: where it answers, its process and where it writes its log."""

    base_url: str
    process: subprocess.Popen[bytes]
    log: Path | None

    def log_text(self) -> str:
        return _tail(self.log)


def python_env(env: Mapping[str, str]) -> dict[str, str]:
    """``env`` for a timeboxd subprocess, with its bytecode cached in a temporary directory.

    uvicorn's supervisor kills a worker that does not answer its health ping within five
    seconds of being spawned, and a worker first imports ``timeboxd.cli``: compiled afresh
    (as under ``PYTHONDONTWRITEBYTECODE``) that takes longer on a loaded machine, and the
    server restarts its workers for as long as the load lasts. The cache is kept outside the
    tree, so the tree still gets no ``__pycache__``."""
    cache = Path(tempfile.gettempdir()) / f"timeboxd-pycache-{os.getuid()}"
    out = {**env, "PYTHONPYCACHEPREFIX": env.get("PYTHONPYCACHEPREFIX", str(cache))}
    out.pop("PYTHONDONTWRITEBYTECODE", None)
    # No server a test or benchmark starts looks at the package index for releases
    # (test_version_check.py serves a feed of its own).
    out.setdefault("TIMEBOXD_RELEASE_FEED_URL", "")
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _tail(log: Path | None, limit: int = 20_000) -> str:
    if log is None or not log.exists():
        return "(no log)"
    return log.read_text(errors="replace")[-limit:]


def wait_until_ready(
    url: str,
    process: subprocess.Popen[bytes] | None = None,
    log: Path | None = None,
    timeout: float = READY_TIMEOUT,
) -> None:
    """Poll ``url`` until it answers 200; fail early if ``process`` exits first."""
    deadline = time.monotonic() + timeout
    while True:
        if process is not None and process.poll() is not None:
            raise ServerDidNotStart(f"the server exited with {process.returncode}:\n{_tail(log)}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise ServerDidNotStart(f"{url} did not answer within {timeout:.0f} s:\n{_tail(log)}")
        time.sleep(POLL_INTERVAL)


def start(
    env: Mapping[str, str],
    *,
    workers: int | None = None,
    log: Path | None = None,
    program: Sequence[str] = CLI,
) -> Served:
    """Start ``<program> serve`` and return once its ``/ready`` answers 200.

    ``program`` is how timeboxd is run (the module by default, or the installed
    ``timeboxd`` script); ``workers`` is left to the settings when not given; output goes
    to ``log``, or nowhere when there is none."""
    port = free_port()
    command = [*program, "serve", "--port", str(port)]
    if workers is not None:
        command += ["--workers", str(workers)]
    if log is None:
        process = subprocess.Popen(command, env=python_env(env), stdout=subprocess.DEVNULL)
    else:
        with log.open("wb") as out:
            process = subprocess.Popen(
                command, env=python_env(env), stdout=out, stderr=subprocess.STDOUT
            )
    served = Served(f"http://127.0.0.1:{port}", process, log)
    try:
        wait_until_ready(f"{served.base_url}/ready", process, log)
    except BaseException:
        stop(served)
        raise
    return served


def stop(served: Served) -> None:
    """Ask the server to stop; kill it if it is still there after a while."""
    stop_process(served.process)


def stop_process(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def serving(
    env: Mapping[str, str],
    *,
    workers: int | None = None,
    log: Path | None = None,
    program: Sequence[str] = CLI,
) -> Iterator[Served]:
    """A server for the ``with`` block: started and ready on entry, stopped on exit."""
    served = start(env, workers=workers, log=log, program=program)
    try:
        yield served
    finally:
        stop(served)
