"""Per-key rate limits (SPEC §2): headers on every keyed answer, 429 with Retry-After, the
burst window, configured quotas, and counters shared through a real Redis."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import REDIS_URL, REQUIRE_ALL, FrozenClock, Persona, assert_error, make_settings
from timeboxd.api.app import create_app
from timeboxd.services.database import Database

needs_redis = pytest.mark.skipif(
    not REDIS_URL and not REQUIRE_ALL, reason="no Redis (TIMEBOXD_TEST_REDIS_URL)"
)


@contextmanager
def limited_app(
    db: Database, clock: FrozenClock, tmp: Path, per_minute: int, per_second: int, **extra: Any
) -> Iterator[TestClient]:
    settings = make_settings(
        tmp, rate_limit_per_minute=per_minute, rate_limit_per_second=per_second, **extra
    )
    with TestClient(create_app(settings, db=db, clock=clock)) as client:
        yield client


def calls(client: TestClient, key: str, n: int) -> list[Any]:
    return [client.get("/v1/me", headers={"X-API-Key": key}) for _ in range(n)]


def test_quota_headers_then_429_with_retry_after(
    db: Database, clock: FrozenClock, owner: Persona, tmp_path: Path
) -> None:
    with limited_app(db, clock, tmp_path, per_minute=5, per_second=100) as client:
        answers = calls(client, owner.key, 6)
    for n, response in enumerate(answers[:5]):
        assert response.status_code == 200
        assert response.headers["ratelimit-limit"] == "5"
        assert response.headers["ratelimit-remaining"] == str(4 - n)
        assert 0 <= int(response.headers["ratelimit-reset"]) <= 60
    refused = answers[5]
    assert_error(refused, 429, "RATE_LIMITED")
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert refused.headers["ratelimit-remaining"] == "0"


def test_burst_window_refuses_before_the_minute_quota(
    db: Database, clock: FrozenClock, owner: Persona, tmp_path: Path
) -> None:
    with limited_app(db, clock, tmp_path, per_minute=100, per_second=3) as client:
        answers = calls(client, owner.key, 5)
    codes = [r.status_code for r in answers]
    assert codes[:3] == [200, 200, 200] and 429 in codes[3:]
    refused = next(r for r in answers if r.status_code == 429)
    assert refused.headers["ratelimit-limit"] == "3"
    assert refused.headers["retry-after"] == "1"


def test_limits_are_per_key(
    db: Database, clock: FrozenClock, owner: Persona, outsider: Persona, tmp_path: Path
) -> None:
    second_key = owner.new_key()
    with limited_app(db, clock, tmp_path, per_minute=2, per_second=100) as client:
        assert [r.status_code for r in calls(client, owner.key, 3)] == [200, 200, 429]
        assert [r.status_code for r in calls(client, second_key, 2)] == [200, 200]
        assert [r.status_code for r in calls(client, outsider.key, 2)] == [200, 200]


def test_unauthenticated_requests_spend_no_quota(
    db: Database, clock: FrozenClock, owner: Persona, tmp_path: Path
) -> None:
    with limited_app(db, clock, tmp_path, per_minute=2, per_second=100) as client:
        for _ in range(5):
            assert client.get("/v1/me").status_code == 401
        assert [r.status_code for r in calls(client, owner.key, 2)] == [200, 200]


def test_default_quota_is_100_a_minute_and_10_a_second(tmp_path: Path) -> None:
    from timeboxd.config import Settings

    settings = Settings(data_dir=tmp_path)
    assert (settings.rate_limit_per_minute, settings.rate_limit_per_second) == (100, 10)


@needs_redis
def test_redis_counters_are_shared_by_every_process(
    db: Database, clock: FrozenClock, owner: Persona, tmp_path: Path
) -> None:
    """Two app instances (as two workers or two machines would be) share one quota."""
    url = REDIS_URL or os.environ["TIMEBOXD_TEST_REDIS_URL"]
    with (
        limited_app(db, clock, tmp_path / "a", 4, 100, redis_url=url) as first,
        limited_app(db, clock, tmp_path / "b", 4, 100, redis_url=url) as second,
    ):
        codes = [
            calls(first, owner.key, 1)[0].status_code,
            calls(second, owner.key, 1)[0].status_code,
            calls(first, owner.key, 1)[0].status_code,
            calls(second, owner.key, 1)[0].status_code,
        ]
        assert codes == [200, 200, 200, 200]
        assert_error(calls(first, owner.key, 1)[0], 429, "RATE_LIMITED")
        assert_error(calls(second, owner.key, 1)[0], 429, "RATE_LIMITED")
        # /ready reports the limiter's store.
        assert second.get("/ready").status_code == 200


def test_memory_counters_are_per_process(
    db: Database, clock: FrozenClock, owner: Persona, tmp_path: Path
) -> None:
    with (
        limited_app(db, clock, tmp_path / "a", 2, 100) as first,
        limited_app(db, clock, tmp_path / "b", 2, 100) as second,
    ):
        assert [r.status_code for r in calls(first, owner.key, 2)] == [200, 200]
        assert [r.status_code for r in calls(second, owner.key, 2)] == [200, 200]


def test_the_quota_is_read_from_the_environment(
    db: Database, clock: FrozenClock, owner: Persona, tmp_path: Path, monkeypatch: Any
) -> None:
    from timeboxd.config import load_settings

    monkeypatch.setenv("TIMEBOXD_RATE_LIMIT_PER_MINUTE", "3")
    monkeypatch.setenv("TIMEBOXD_RATE_LIMIT_PER_SECOND", "50")
    settings = load_settings(data_dir=tmp_path)
    with TestClient(create_app(settings, db=db, clock=clock)) as client:
        answers = calls(client, owner.key, 4)
    assert [r.status_code for r in answers] == [200, 200, 200, 429]
    assert answers[0].headers["ratelimit-limit"] == "3"


def test_refusals_after_the_key_is_known_carry_the_headers_and_spend_quota(
    db: Database, clock: FrozenClock, owner: Persona, tmp_path: Path
) -> None:
    reader = owner.new_key(scopes=["read:blocks"])
    with limited_app(db, clock, tmp_path, per_minute=3, per_second=100) as client:
        as_owner = {"X-API-Key": owner.key}
        not_found = client.get("/v1/blocks/blk_missing", headers=as_owner)
        bad_date = client.get("/v1/blocks", params={"date": "2026-13-01"}, headers=as_owner)
        forbidden = client.get("/v1/projects", headers={"X-API-Key": reader})
        assert_error(not_found, 404, "NOT_FOUND")
        assert_error(bad_date, 400, "VALIDATION_ERROR", "date")
        assert_error(forbidden, 403, "FORBIDDEN")
        assert [r.headers["ratelimit-remaining"] for r in (not_found, bad_date)] == ["2", "1"]
        assert forbidden.headers["ratelimit-remaining"] == "2"  # another key, its own quota
        assert [r.status_code for r in calls(client, owner.key, 2)] == [200, 429]


def test_an_unreachable_redis_falls_back_to_counting_in_memory(
    db: Database, clock: FrozenClock, owner: Persona, tmp_path: Path, caplog: Any
) -> None:
    """Limits keep holding, per process, while the shared store is down; /ready says so.
    The quota is per minute, so that a slow machine cannot spread the calls past a window."""
    with limited_app(db, clock, tmp_path, 3, 100, redis_url="redis://127.0.0.1:1/0") as client:
        answers = calls(client, owner.key, 4)
        assert [r.status_code for r in answers] == [200, 200, 200, 429]
        assert answers[0].headers["ratelimit-limit"] == "3"
        assert_error(answers[3], 429, "RATE_LIMITED")
        not_ready = client.get("/ready")
        assert not_ready.status_code == 503
        assert "rate_limit_store" in not_ready.json()["error"]["message"]
    assert "rate-limit store unreachable, counting in memory" in caplog.text
