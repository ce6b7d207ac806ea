"""Fixtures: one database per backend (SQLite and PostgreSQL, migrated once per run),
an app with a frozen clock, personas (users with keys) made fresh for each test, so
tests never see each other's rows and need no wiping, and a real ``timeboxd serve`` per
backend for the tests that need separate processes. The factories that make rows through
the API are in ``tests/factories.py``."""

from __future__ import annotations

import os
import secrets
import subprocess
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from tests import servers
from tests.receivers import receivers  # noqa: F401 - a fixture for every test module
from timeboxd.api.app import create_app
from timeboxd.config import Settings
from timeboxd.db.models import User
from timeboxd.services.accounts import apikeys
from timeboxd.services.accounts import users as accounts
from timeboxd.services.database import Database

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

POSTGRES_URL = os.environ.get("TIMEBOXD_TEST_POSTGRES_URL")
REDIS_URL = os.environ.get("TIMEBOXD_TEST_REDIS_URL")
REQUIRE_ALL = os.environ.get("TIMEBOXD_REQUIRE_ALL_BACKENDS") == "1"
FROZEN_AT = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


class FrozenClock:
    """The app's clock in tests: stands still until a test moves it."""

    def __init__(self, at: datetime = FROZEN_AT) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def set(self, at: datetime) -> None:
        self.at = at


def _backends() -> list[Any]:
    params: list[Any] = ["sqlite"]
    if POSTGRES_URL:
        params.append("postgresql")
    elif REQUIRE_ALL:
        raise RuntimeError("TIMEBOXD_TEST_POSTGRES_URL is required when all backends are")
    else:
        params.append(pytest.param("postgresql", marks=pytest.mark.skip("no PostgreSQL")))
    return params


@pytest.fixture(scope="session", params=_backends())
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def database_url(backend: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'timeboxd.db'}"
    assert POSTGRES_URL
    return POSTGRES_URL


@pytest.fixture(scope="session")
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    if database.dialect == "postgresql":
        # A clean schema per run: earlier runs may have left tables behind.
        with database.engine.begin() as conn:
            conn.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    database.upgrade()
    yield database
    database.dispose()


def make_settings(tmp: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "data_dir": tmp,
        "rate_limit_per_minute": 1_000_000,
        "rate_limit_per_second": 1_000_000,
        "release_feed_url": None,  # no test reaches the package index (test_version_check)
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture(scope="session")
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture(autouse=True)
def _reset_clock(clock: FrozenClock) -> None:
    clock.set(FROZEN_AT)


@pytest.fixture(scope="session")
def app(db: Database, clock: FrozenClock, tmp_path_factory: pytest.TempPathFactory) -> Any:
    return create_app(make_settings(tmp_path_factory.mktemp("data")), db=db, clock=clock)


@pytest.fixture(scope="session")
def client(app: Any) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=True) as c:
        yield c


@dataclass
class Persona:
    """A user and their live key, with helpers to call the API as them."""

    client: TestClient
    db: Database
    user_id: str
    email: str
    key: str
    extra_keys: dict[str, str] = field(default_factory=dict)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}

    def new_key(
        self,
        *,
        scopes: list[str] | None = None,
        test: bool = False,
        expires_in_days: int | None = None,
    ) -> str:
        with self.db.write() as s:
            created = apikeys.create_key(
                s,
                datetime.now(UTC),
                self.user_id,
                scopes=scopes,
                livemode=not test,
                expires_in_days=expires_in_days,
            )
        return created.secret

    def as_key(self, key: str) -> Persona:
        return Persona(self.client, self.db, self.user_id, self.email, key)

    def request(self, method: str, url: str, **kwargs: Any) -> Any:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        return self.client.request(method, url, headers=headers, **kwargs)

    def get(self, url: str, **kw: Any) -> Any:
        return self.request("GET", url, **kw)

    def post(self, url: str, **kw: Any) -> Any:
        return self.request("POST", url, **kw)

    def put(self, url: str, **kw: Any) -> Any:
        return self.request("PUT", url, **kw)

    def patch(self, url: str, **kw: Any) -> Any:
        return self.request("PATCH", url, **kw)

    def delete(self, url: str, **kw: Any) -> Any:
        return self.request("DELETE", url, **kw)

    def ok(self, method: str, url: str, status: int = 200, **kw: Any) -> Any:
        """Call and assert success; returns ``data``."""
        response = self.request(method, url, **kw)
        assert response.status_code == status, response.text
        body = response.json()
        assert body["error"] is None
        return body["data"]

    def set_timezone(self, tz: str) -> None:
        self.ok("PATCH", "/v1/me", json={"timezone": tz})


def new_account(
    db: Database, email: str, *, name: str = "Test", timezone: str = "UTC", key_name: str = "tests"
) -> tuple[str, str]:
    """A user with one live key, written straight to the database: (user id, key)."""
    with db.write() as s:
        user = accounts.create_user(s, datetime.now(UTC), email, name=name, timezone=timezone)
        created = apikeys.create_key(s, datetime.now(UTC), user.id, name=key_name)
    return user.id, created.secret


def new_persona(client: TestClient, db: Database, timezone: str = "UTC") -> Persona:
    email = f"user-{secrets.token_hex(6)}@example.com"
    user_id, key = new_account(db, email, timezone=timezone)
    return Persona(client, db, user_id, email, key)


@pytest.fixture
def owner(client: TestClient, db: Database) -> Persona:
    return new_persona(client, db)


@pytest.fixture
def teammate(client: TestClient, db: Database) -> Persona:
    return new_persona(client, db)


@pytest.fixture
def outsider(client: TestClient, db: Database) -> Persona:
    return new_persona(client, db)


@pytest.fixture
def persona_factory(client: TestClient, db: Database) -> Any:
    return lambda timezone="UTC": new_persona(client, db, timezone)


def make_admin(p: Persona) -> None:
    """Make the persona's user an admin of the server (``timeboxd users create --admin``)."""
    with p.db.write() as s:
        user = s.get(User, p.user_id)
        assert user is not None
        user.is_admin = True


def assert_error(response: Any, status: int, code: str, field: str | None = None) -> dict[str, Any]:
    """The one shape every error has (SPEC §2)."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"data", "error", "meta"}
    assert body["data"] is None
    assert body["error"]["code"] == code, body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert body["meta"]["request_id"].startswith("req_")
    assert body["meta"]["request_id"] == response.headers["x-request-id"]
    assert body["meta"]["timestamp"].endswith("Z")
    if field is not None:
        assert body["error"].get("field") == field, body
    return dict(body["error"])


# -- a real server ---------------------------------------------------------------------------


@dataclass
class RealServer:
    """``timeboxd serve`` in a subprocess, and the database it serves (to make users)."""

    base: str
    db: Database
    log: Path
    process: subprocess.Popen[bytes]  # the server (its only process with one worker)

    def new_user(self) -> dict[str, str]:
        """A fresh user with a live key, written to the server's database: their headers."""
        email = f"racer-{secrets.token_hex(6)}@example.com"
        _, key = new_account(self.db, email, name="Racer", timezone="UTC", key_name="race")
        return {"Authorization": f"Bearer {key}"}


def _cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [*servers.CLI, *args],
        env=servers.python_env(env),  # also fills the bytecode cache the server starts from
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


@contextmanager
def serving_for_tests(
    backend: str,
    tmp: Path,
    *,
    workers: int = 2,
    database_url: str | None = None,
    **settings: str,
) -> Iterator[RealServer]:
    """``timeboxd serve`` on a free port against a fresh SQLite file in ``tmp`` or the test
    PostgreSQL database (or ``database_url``), with quotas no test reaches and the extra
    ``TIMEBOXD_*`` ``settings`` given (``key_touch_interval_seconds="0"`` for
    TIMEBOXD_KEY_TOUCH_...). No webhook worker unless ``worker_in_process="true"``: the
    shared database holds other tests' webhooks, pointing nowhere."""
    env = {
        **os.environ,
        "TIMEBOXD_DATA_DIR": str(tmp),
        "TIMEBOXD_RATE_LIMIT_PER_MINUTE": "100000",
        "TIMEBOXD_RATE_LIMIT_PER_SECOND": "100000",
        "TIMEBOXD_LOG_LEVEL": "warning",
        "TIMEBOXD_WORKER_IN_PROCESS": "false",
        "TIMEBOXD_RELEASE_FEED_URL": "",
        **{f"TIMEBOXD_{name.upper()}": value for name, value in settings.items()},
    }
    env.pop("TIMEBOXD_DATABASE_URL", None)
    env.pop("TIMEBOXD_REDIS_URL", None)
    url = f"sqlite:///{tmp / 'timeboxd.db'}"
    if backend == "postgresql":
        assert POSTGRES_URL
        env["TIMEBOXD_DATABASE_URL"] = url = POSTGRES_URL
    if database_url is not None:
        env["TIMEBOXD_DATABASE_URL"] = url = database_url
    _cli(env, "db", "upgrade")
    db = Database(url)
    log = tmp / "server.log"
    try:
        with servers.serving(env, workers=workers, log=log) as served:
            yield RealServer(served.base_url, db, log, served.process)
    finally:
        db.dispose()


@pytest.fixture(scope="module")
def real_server(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealServer]:
    """A real server with two workers, shared by the tests of one module."""
    with serving_for_tests(backend, tmp_path_factory.mktemp("served")) as server:
        yield server


@pytest.fixture
def empty_url(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database of its own, empty: a new SQLite file, or a new PostgreSQL database
    (for tests that migrate up and down themselves)."""
    with empty_database(backend, tmp_path_factory.mktemp("empty")) as url:
        yield url


@contextmanager
def empty_database(backend: str, directory: Path, name: str = "timeboxd.db") -> Iterator[str]:
    """The URL of a new, empty database: the SQLite file ``name`` in ``directory``, or a
    PostgreSQL database dropped when the block ends."""
    if backend == "sqlite":
        yield f"sqlite:///{directory / name}"
        return
    assert POSTGRES_URL
    database = f"timeboxd_empty_{secrets.token_hex(4)}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {database}")
    try:
        yield make_url(POSTGRES_URL).set(database=database).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE {database} WITH (FORCE)")
        admin.dispose()


@pytest.fixture
def fresh_db(empty_url: str) -> Iterator[Database]:
    """A migrated database of this test's own (webhook workers deliver what they find in
    the whole database: the shared one holds other tests' webhooks)."""
    database = Database(empty_url)
    database.upgrade()
    try:
        yield database
    finally:
        database.dispose()


@pytest.fixture
def loopback_client(fresh_db: Database, clock: FrozenClock, tmp_path: Path) -> Iterator[TestClient]:
    """An app on the test's own database that allows private webhook targets: the test
    receivers listen on loopback, and a worker delivers whatever the database holds."""
    app = create_app(make_settings(tmp_path, webhook_allow_private=True), db=fresh_db, clock=clock)
    with TestClient(app) as client:
        yield client


@pytest.fixture
def loopback_persona(loopback_client: TestClient, fresh_db: Database) -> Persona:
    return new_persona(loopback_client, fresh_db)


# -- the web pages' browser ------------------------------------------------------------------

# Debian's Chromium, headless, with nothing of its own talking to the network.
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-domain-reliability",
    "--no-first-run",
    "--metrics-recording-only",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One Chromium per test module (Playwright's own browser download is not used)."""
    import shutil

    from playwright.sync_api import sync_playwright

    path = shutil.which("chromium")
    if path is None:
        pytest.fail("chromium is not installed (scripts/test installs it)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_FLAGS)
        yield b
        b.close()
