"""The CLI's client commands, run as the installed ``timeboxd`` program against a real
server: what a person reads, what a script reads with ``--json``, and the errors."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.conftest import RealServer
from tests.servers import free_port, python_env

TIMEBOXD = str(Path(sys.executable).parent / "timeboxd")
TODAY = dt.datetime.now(dt.UTC).date().isoformat()


def run(url: str, key: str | None, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TIMEBOXD_")}
    env["TIMEBOXD_URL"] = url
    if key is not None:
        env["TIMEBOXD_API_KEY"] = key
    return subprocess.run(
        [TIMEBOXD, *args], env=python_env(env), capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def key(real_server: RealServer) -> str:
    return real_server.new_user()["Authorization"].removeprefix("Bearer ")


def _post(server: RealServer, key: str, path: str, body: dict[str, object]) -> dict[str, str]:
    made = httpx.post(server.base + path, json=body, headers={"Authorization": f"Bearer {key}"})
    assert made.status_code == 201, made.text
    return dict(made.json()["data"])


def test_agenda_then_done(real_server: RealServer, key: str) -> None:
    block = _post(
        real_server,
        key,
        "/v1/blocks",
        {"date": TODAY, "start": "09:00", "end": "10:00", "topic": "Proofs"},
    )
    shown = run(real_server.base, key, "agenda", "--date", TODAY)
    assert shown.returncode == 0, shown.stderr
    assert f"{TODAY} (UTC): 0 of 1 blocks done, 0 of 60 min" in shown.stdout
    assert f"[ ] 09:00-10:00 Proofs  {block['id']}" in shown.stdout

    marked = run(real_server.base, key, "done", block["id"])
    assert marked.returncode == 0, marked.stderr
    assert marked.stdout.startswith("done: [x]")

    as_json = run(real_server.base, key, "agenda", "--date", TODAY, "--json")
    assert as_json.returncode == 0, as_json.stderr
    day = json.loads(as_json.stdout)
    assert (day["done_count"], day["blocks"][0]["id"]) == (1, block["id"])

    markdown = run(real_server.base, key, "agenda", "--date", TODAY, "--markdown")
    assert markdown.returncode == 0 and "- [x]" in markdown.stdout and "Proofs" in markdown.stdout


def test_stats_for_people_and_scripts(real_server: RealServer, key: str) -> None:
    _post(
        real_server,
        key,
        "/v1/blocks",
        {"date": TODAY, "start": "11:00", "end": "11:30", "topic": "Drill", "done": True},
    )
    shown = run(real_server.base, key, "stats", "--period", "today")
    assert shown.returncode == 0, shown.stderr
    assert "blocks: 1 of 1 done (100%)" in shown.stdout and "streak: 1 day" in shown.stdout
    data = json.loads(run(real_server.base, key, "stats", "--json").stdout)
    assert (data["period"], data["completed_blocks"], data["total_minutes"]) == ("week", 1, 30)


def test_the_timer_by_project_name(real_server: RealServer, key: str) -> None:
    project = _post(real_server, key, "/v1/projects", {"name": "Organic Chemistry"})
    assert run(real_server.base, key, "timer", "status").stdout.strip() == "no timer running"

    started = run(
        real_server.base,
        key,
        "timer",
        "start",
        "--project",
        "organic chemistry",
        "--description",
        "Reactions",
        "--json",
    )
    assert started.returncode == 0, started.stderr
    entry = json.loads(started.stdout)
    assert (entry["project_id"], entry["description"]) == (project["id"], "Reactions")

    status = run(real_server.base, key, "timer", "status")
    assert status.stdout.startswith("running: Reactions") and entry["id"] in status.stdout

    again = run(real_server.base, key, "timer", "start")
    assert again.returncode == 1 and again.stderr.startswith("error CONFLICT: ")

    stopped = run(real_server.base, key, "timer", "stop")
    assert stopped.returncode == 0 and stopped.stdout.startswith("stopped: Reactions")

    unknown = run(real_server.base, key, "timer", "start", "--project", "Basket Weaving")
    assert unknown.returncode == 1
    assert "error NOT_FOUND: no project named 'Basket Weaving'" in unknown.stderr


def test_errors_print_their_code_and_exit_non_zero(real_server: RealServer, key: str) -> None:
    missing = run(real_server.base, key, "done", "blk_" + "0" * 26)
    assert missing.returncode == 1 and missing.stderr.startswith("error NOT_FOUND: ")

    no_key = run(real_server.base, None, "agenda")
    assert no_key.returncode == 2 and "TIMEBOXD_API_KEY is not set" in no_key.stderr

    bad_key = run(real_server.base, "tbx_live_" + "x" * 32, "stats")
    assert bad_key.returncode == 1
    assert (
        bad_key.stderr.startswith("error UNAUTHORIZED: ") and "TIMEBOXD_API_KEY" in bad_key.stderr
    )

    nobody = run(f"http://127.0.0.1:{free_port()}", key, "timer", "status")
    assert nobody.returncode == 1
    assert "error CONNECTION_FAILED" in nobody.stderr and "TIMEBOXD_URL" in nobody.stderr


def test_a_client_command_loads_no_server_code() -> None:
    """`timeboxd agenda` talks HTTP: it starts without SQLAlchemy, the app or the
    services, which only the operator commands need."""
    code = (
        "import sys\n"
        "from timeboxd.cli import main\n"
        "main(['agenda', '--help'], standalone_mode=False)\n"
        "heavy = ('sqlalchemy', 'fastapi', 'timeboxd.services', 'timeboxd.api')\n"
        "print('loaded:', *[m for m in heavy if m in sys.modules])\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=python_env(os.environ),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert "--json" in out.stdout  # the command's help was printed
    assert out.stdout.splitlines()[-1] == "loaded:"
