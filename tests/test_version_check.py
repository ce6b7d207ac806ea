"""The admins' version check (docs/api.md "Version check"): the latest release is read
from a real feed server in the background, at most once a day, never while a request
waits; a feed that is down or wrong answers ``latest: null``; dismissals are per admin."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import (
    FROZEN_AT,
    FrozenClock,
    Persona,
    assert_error,
    make_admin,
    make_settings,
    new_persona,
)
from timeboxd import __version__
from timeboxd.api.app import create_app
from timeboxd.config import ConfigError, Settings, load_settings
from timeboxd.services.admin import releases
from timeboxd.services.database import Database

PYPI_LIKE = {
    "info": {
        "name": "timeboxd",
        "version": "99.1.0",
        "project_urls": {
            "Homepage": "https://example.com",
            "Changelog": "https://example.com/changes",
        },
        "release_url": "https://example.com/timeboxd/99.1.0/",
    },
    "releases": {"99.1.0": []},
}


class Feed:
    """A release feed on loopback: what it answers can change, and it counts the looks."""

    def __init__(self) -> None:
        self.status = 200
        self.body: bytes = json.dumps(PYPI_LIKE).encode()
        self.hits = 0
        self.hold = threading.Event()
        self.hold.set()  # cleared: each answer waits until it is set again
        feed = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                feed.hits += 1
                feed.hold.wait(60)
                self.send_response(feed.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(feed.body)))
                self.end_headers()
                self.wfile.write(feed.body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/pypi/timeboxd/json"

    def __enter__(self) -> Feed:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.hold.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def feed() -> Iterator[Feed]:
    with Feed() as served:
        yield served


@contextmanager
def serving(db: Database, clock: FrozenClock, tmp: Path, url: str) -> Iterator[TestClient]:
    app = create_app(make_settings(tmp, release_feed_url=url), db=db, clock=clock)
    with TestClient(app) as client:
        yield client


def admin_of(client: TestClient, db: Database) -> Persona:
    p = new_persona(client, db)
    make_admin(p)
    return p


def until(check: Callable[[], Any]) -> Any:
    """``check()`` once it is truthy: the background look is awaited, for up to a minute."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if value := check():
            return value
        time.sleep(0.02)
    raise AssertionError("not within a minute")


def test_the_latest_release_is_read_in_the_background(
    db: Database, clock: FrozenClock, tmp_path: Path, feed: Feed
) -> None:
    with serving(db, clock, tmp_path, feed.url) as client:
        admin = admin_of(client, db)
        status = until(lambda: (s := admin.ok("GET", "/v1/admin/version"))["latest"] and s)
    assert status == {
        "installed": __version__,
        "latest": "99.1.0",
        "update_available": True,
        "release_notes_url": "https://example.com/changes",
        "checked_at": "2026-11-24T10:00:00Z",
        "dismissed_version": None,
        "notify": True,
    }
    assert feed.hits == 1


def test_the_feed_is_read_at_most_once_a_day(
    db: Database, clock: FrozenClock, tmp_path: Path, feed: Feed
) -> None:
    with serving(db, clock, tmp_path, feed.url) as client:
        admin = admin_of(client, db)
        until(lambda: admin.ok("GET", "/v1/admin/version")["latest"])
    # Another process (or a restart) a little later does not look again.
    with serving(db, clock, tmp_path, feed.url) as client:
        assert admin_of(client, db).ok("GET", "/v1/admin/version")["latest"] == "99.1.0"
    clock.set(FROZEN_AT + timedelta(hours=23))
    assert releases.check_if_due(db, clock, feed.url, __version__) is False
    assert feed.hits == 1
    feed.body = json.dumps({"info": {"version": "99.2.0"}}).encode()
    clock.set(FROZEN_AT + timedelta(hours=24, minutes=1))
    assert releases.check_if_due(db, clock, feed.url, __version__) is True
    assert feed.hits == 2
    with serving(db, clock, tmp_path, feed.url) as client:
        status = admin_of(client, db).ok("GET", "/v1/admin/version")
    assert (status["latest"], status["release_notes_url"]) == ("99.2.0", None)


def test_a_request_never_waits_for_the_feed(
    db: Database, clock: FrozenClock, tmp_path: Path, feed: Feed
) -> None:
    feed.hold.clear()  # the feed takes the look's connection and says nothing
    with serving(db, clock, tmp_path, feed.url) as client:
        admin = admin_of(client, db)
        until(lambda: feed.hits)  # the look is under way, and held
        status = admin.ok("GET", "/v1/admin/version")
        assert (status["latest"], status["update_available"], status["checked_at"]) == (
            None,
            False,
            None,
        )
        feed.hold.set()
        until(lambda: admin.ok("GET", "/v1/admin/version")["latest"])


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (500, b"{}"),
        (200, b"<html>not json</html>"),
        (200, b'{"info": {}}'),
        (200, b'{"info": {"version": "not a version!"}}'),
        (200, b"[1, 2]"),
    ],
)
def test_a_failing_feed_answers_latest_null(
    db: Database, clock: FrozenClock, tmp_path: Path, feed: Feed, status: int, body: bytes
) -> None:
    feed.status, feed.body = status, body
    with serving(db, clock, tmp_path, feed.url) as client:
        admin = admin_of(client, db)
        found = until(lambda: (s := admin.ok("GET", "/v1/admin/version"))["checked_at"] and s)
    assert (found["latest"], found["update_available"], found["notify"]) == (None, False, False)
    assert found["installed"] == __version__


def test_an_unreachable_feed_answers_latest_null(
    db: Database, clock: FrozenClock, tmp_path: Path
) -> None:
    with Feed() as gone:
        url = gone.url  # a port nobody listens on once the block ends
    with serving(db, clock, tmp_path, url) as client:
        admin = admin_of(client, db)
        found = until(lambda: (s := admin.ok("GET", "/v1/admin/version"))["checked_at"] and s)
    assert found["latest"] is None and found["update_available"] is False


def test_dismissals_are_per_admin_and_only_admins_see_the_check(
    db: Database, clock: FrozenClock, tmp_path: Path, feed: Feed
) -> None:
    with serving(db, clock, tmp_path, feed.url) as client:
        admin, other_admin = admin_of(client, db), admin_of(client, db)
        until(lambda: admin.ok("GET", "/v1/admin/version")["latest"])
        dismissed = admin.ok("POST", "/v1/admin/version/dismiss", json={"version": "99.1.0"})
        assert (dismissed["dismissed_version"], dismissed["notify"]) == ("99.1.0", False)
        assert dismissed["update_available"] is True
        assert admin.ok("GET", "/v1/admin/version")["notify"] is False
        assert other_admin.ok("GET", "/v1/admin/version")["notify"] is True
        # An older dismissal does not hide a newer release.
        older = admin.ok("POST", "/v1/admin/version/dismiss", json={"version": "99.0"})
        assert older["notify"] is True

        bad = admin.post("/v1/admin/version/dismiss", json={"version": "banana"})
        assert_error(bad, 400, "VALIDATION_ERROR", "version")
        missing = admin.post("/v1/admin/version/dismiss", json={})
        assert_error(missing, 400, "VALIDATION_ERROR", "version")
        plain = new_persona(client, db)
        assert_error(plain.get("/v1/admin/version"), 403, "FORBIDDEN")
        refused = plain.post("/v1/admin/version/dismiss", json={"version": "99.1.0"})
        assert_error(refused, 403, "FORBIDDEN")
        narrow = admin.as_key(admin.new_key(scopes=["read:projects"]))
        assert_error(narrow.get("/v1/admin/version"), 403, "FORBIDDEN")
        assert_error(client.get("/v1/admin/version"), 401, "UNAUTHORIZED")
        # A test key's dismissal is the sandbox's own.
        sandbox = admin.as_key(admin.new_key(test=True))
        assert sandbox.ok("GET", "/v1/admin/version")["dismissed_version"] is None


def test_with_no_feed_there_is_no_look(db: Database, clock: FrozenClock, tmp_path: Path) -> None:
    app = create_app(make_settings(tmp_path, release_feed_url=None), db=db, clock=clock)
    with TestClient(app) as client:
        status = admin_of(client, db).ok("GET", "/v1/admin/version")
    assert (status["latest"], status["checked_at"], status["installed"]) == (
        None,
        None,
        __version__,
    )


def test_the_feed_setting_is_checked_at_start() -> None:
    assert Settings(release_feed_url="").release_feed_url is None
    assert Settings().release_feed_url == "https://pypi.org/pypi/timeboxd/json"
    for bad in ("ftp://example.com/feed", "pypi.org/pypi/timeboxd/json", "https://"):
        with pytest.raises(ConfigError, match="TIMEBOXD_RELEASE_FEED_URL"):
            load_settings(release_feed_url=bad)
