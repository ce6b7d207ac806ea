"""The operator commands of ``timeboxd`` (SPEC §4) on a fresh SQLite data directory, and
one run of the real server over HTTP. These run once, not per database backend."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner, Result
from fastapi.testclient import TestClient  # first imported, warnings silenced, by conftest
from sqlalchemy import text

from tests import servers
from tests.conftest import FrozenClock, make_settings
from timeboxd.api.app import create_app
from timeboxd.cli import main
from timeboxd.config import load_settings
from timeboxd.services.context import system_clock
from timeboxd.services.database import Database

EMAIL = "ada@example.com"


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh data directory as the only configuration (no .env, no database URL)."""
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith("TIMEBOXD_") and not name.startswith("TIMEBOXD_TEST_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("TIMEBOXD_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def ok(*args: str) -> list[str]:
    result = run(*args)
    assert result.exit_code == 0, result.output
    return result.output.splitlines()


def refused(*args: str) -> str:
    """The command fails with a message for people, not a traceback."""
    result = run(*args)
    assert result.exit_code != 0, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result.output


@pytest.fixture
def api(data_dir: Path) -> Iterator[Any]:
    """Apps on the database URL the commands use, each with the clock a test gives."""
    with ExitStack() as stack:

        def client(clock: Any = system_clock) -> TestClient:
            settings = load_settings()
            db = Database(settings.resolved_database_url)
            stack.callback(db.dispose)
            app = create_app(make_settings(data_dir), db=db, clock=clock)
            return stack.enter_context(TestClient(app))

        yield client


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_db_upgrade_creates_the_database_and_can_run_again(data_dir: Path) -> None:
    assert ok("db", "upgrade") == ["database is up to date"]
    assert (data_dir / "timeboxd.db").is_file()
    assert ok("db", "upgrade") == ["database is up to date"]


def test_users_create_then_keys_create_gives_a_working_key(data_dir: Path, api: Any) -> None:
    (user_id,) = ok("users", "create", EMAIL, "--name", "Ada", "--timezone", "Europe/Berlin")
    assert user_id.startswith("usr_")
    lines = ok("keys", "create", EMAIL)
    key = lines[-1]
    assert key.startswith("tbx_live_") and key == key.strip() and " " not in key
    me = api().get("/v1/me", headers=bearer(key)).json()["data"]
    assert (me["id"], me["email"], me["name"], me["timezone"]) == (
        user_id,
        EMAIL,
        "Ada",
        "Europe/Berlin",
    )
    assert me["livemode"] is True


def test_keys_create_with_scope_test_mode_and_expiry(data_dir: Path, api: Any) -> None:
    ok("users", "create", EMAIL)
    live = ok("keys", "create", EMAIL)[-1]
    lines = ok(
        "keys", "create", EMAIL, "--scope", "read:blocks", "--test", "--expires-in-days", "5"
    )
    key = lines[-1]
    assert key.startswith("tbx_test_") and len(key) == len("tbx_test_") + 32
    assert all(key not in line for line in lines[:-1])
    client = api()
    client.post(
        "/v1/blocks",
        headers=bearer(live),
        json={"date": "2026-11-24", "start": "09:00", "end": "10:00"},
    ).raise_for_status()
    listed = client.get("/v1/blocks", headers=bearer(key))
    assert listed.status_code == 200 and listed.json()["data"] == []  # sandbox: no live rows
    write = client.post(
        "/v1/blocks",
        headers=bearer(key),
        json={"date": "2026-11-24", "start": "09:00", "end": "10:00"},
    )
    assert write.status_code == 403 and write.json()["error"]["code"] == "FORBIDDEN"
    now = datetime.now(UTC)
    in_four_days = api(FrozenClock(now + timedelta(days=4)))
    assert in_four_days.get("/v1/blocks", headers=bearer(key)).status_code == 200
    in_six_days = api(FrozenClock(now + timedelta(days=6)))
    expired = in_six_days.get("/v1/blocks", headers=bearer(key))
    assert expired.status_code == 401 and expired.json()["error"]["code"] == "UNAUTHORIZED"


def test_demo_makes_a_term_of_study_and_prints_a_working_key(data_dir: Path, api: Any) -> None:
    lines = ok("demo")
    key = lines[-1]
    assert key.startswith("tbx_live_")
    client = api()
    projects = client.get("/v1/projects", headers=bearer(key)).json()["data"]
    assert len(projects) >= 3
    blocks = client.get("/v1/blocks", headers=bearer(key)).json()["data"]
    days = sorted({date.fromisoformat(b["date"]) for b in blocks})
    assert days[-1] - days[0] >= timedelta(weeks=3)
    done = [b for b in blocks if b["done"]]
    assert 0 < len(done) < len(blocks)
    assert {b["project_id"] for b in blocks} <= {p["id"] for p in projects}
    assert any(b["has_time_entry"] for b in done)
    me = client.get("/v1/me", headers=bearer(key)).json()["data"]
    assert me["email"] == "demo@timeboxd.local"


def test_demo_twice_adds_no_blocks_and_gives_another_key(data_dir: Path, api: Any) -> None:
    first = ok("demo", "--email", EMAIL)[-1]
    again = ok("demo", "--email", EMAIL)
    second = again[-1]
    assert second != first and second.startswith("tbx_live_")
    assert "already" in again[0]
    client = api()
    counts = [
        client.get("/v1/blocks", headers=bearer(k)).json()["meta"]["total"] for k in (first, second)
    ]
    assert counts[0] == counts[1] > 0
    assert len(client.get("/v1/projects", headers=bearer(second)).json()["data"]) == len(
        client.get("/v1/projects", headers=bearer(first)).json()["data"]
    )


def test_bad_input_exits_non_zero_with_a_readable_message(data_dir: Path) -> None:
    assert "no user with email nobody@example.com" in refused(
        "keys", "create", "nobody@example.com"
    )
    assert "Mars/Olympus" in refused("users", "create", EMAIL, "--timezone", "Mars/Olympus")
    assert "time zone" in refused("users", "create", EMAIL, "--timezone", "Europe")
    assert "email" in refused("users", "create", "not-an-email")
    ok("users", "create", EMAIL)
    assert "already exists" in refused("users", "create", EMAIL.upper())
    assert "unknown scope" in refused("keys", "create", EMAIL, "--scope", "read:everything")
    assert "expires-in-days" in refused("keys", "create", EMAIL, "--expires-in-days", "0")
    assert "time zone" in refused("demo", "--timezone", "+02:00")
    assert "at least 8 characters" in refused(
        "users", "create", "b@example.com", "--password", "short"
    )


def test_a_password_set_by_the_cli_is_hashed_with_argon2(data_dir: Path) -> None:
    ok("users", "create", EMAIL, "--password", "a long enough one")
    db = Database(load_settings().resolved_database_url)
    try:
        with db.read() as s:
            stored = s.execute(text("SELECT password_hash FROM users")).scalar_one()
    finally:
        db.dispose()
    assert stored.startswith("$argon2id$")


def test_a_bad_setting_is_named(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIMEBOXD_DATABASE_URL", "mysql://somewhere/db")
    assert "TIMEBOXD_DATABASE_URL" in refused("db", "upgrade")
    monkeypatch.delenv("TIMEBOXD_DATABASE_URL")
    monkeypatch.setenv("TIMEBOXD_DEFAULT_TIMEZONE", "Europe")
    assert "TIMEBOXD_DEFAULT_TIMEZONE" in refused("users", "create", EMAIL)


@pytest.mark.slow
def test_served_api_answers_the_demo_key_over_http(data_dir: Path, tmp_path: Path) -> None:
    key = ok("demo")[-1]
    program = [str(Path(sys.executable).with_name("timeboxd"))]  # the installed script
    log = tmp_path / "server.log"
    with servers.serving(os.environ.copy(), log=log, program=program) as served:
        base = served.base_url
        response = httpx.get(f"{base}/v1/blocks", headers=bearer(key), timeout=30)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["error"] is None and len(body["data"]) == body["meta"]["total"] > 0
        assert response.headers["x-request-id"] == body["meta"]["request_id"]
        denied = httpx.get(f"{base}/v1/blocks", headers=bearer("tbx_live_" + "x" * 32), timeout=30)
        assert denied.status_code == 401


def test_db_rebuild_rollups_recounts_and_reports(data_dir: Path) -> None:
    ok("demo")
    db = Database(f"sqlite:///{data_dir / 'timeboxd.db'}")
    count = text("SELECT count(*), sum(total), sum(completed) FROM stats_block_days")
    try:
        with db.write() as session:
            counted = session.execute(count).one()
            session.execute(text("DELETE FROM stats_block_days"))
        assert counted[0] > 0
        assert ok("db", "rebuild-rollups") == ["statistics rollups rebuilt"]
        with db.read() as session:
            assert session.execute(count).one() == counted
    finally:
        db.dispose()
