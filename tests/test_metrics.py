"""GET /metrics: Prometheus text with the SPEC's names, requests labelled by route
template, and the optional token."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import FrozenClock, Persona, assert_error, make_settings
from tests.factories import new_block
from timeboxd.api.app import create_app
from timeboxd.services.database import Database


def scrape(client: TestClient, **headers: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    found: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            found.setdefault(sample.name, []).append((sample.labels, sample.value))
    return found


def count(found: dict[str, list[tuple[dict[str, str], float]]], **labels: str) -> float:
    return sum(
        value
        for got, value in found.get("timeboxd_http_requests_total", [])
        if all(got.get(k) == v for k, v in labels.items())
    )


def test_requests_are_counted_by_route_template(owner: Persona, client: TestClient) -> None:
    block = new_block(owner)
    before = scrape(client)
    for _ in range(3):
        owner.ok("GET", f"/v1/blocks/{block['id']}")
    assert_error(owner.get("/v1/blocks/blk_nope"), 404, "NOT_FOUND")
    client.get("/v1/no-such-route")
    after = scrape(client)
    route = {"method": "GET", "route": "/v1/blocks/{block_id}"}
    assert count(after, **route, status="200") - count(before, **route, status="200") == 3
    assert count(after, **route, status="404") - count(before, **route, status="404") == 1
    assert count(after, route="unmatched") > count(before, route="unmatched")
    assert not any(
        block["id"] in str(labels) for labels, _ in after["timeboxd_http_requests_total"]
    )
    histogram = after["timeboxd_http_request_duration_seconds_count"]
    assert any(labels == {"route": "/v1/blocks/{block_id}"} for labels, _ in histogram)
    for name in (
        "timeboxd_webhook_queue_depth",
        "timeboxd_db_pool_size",
        "timeboxd_db_pool_checked_out",
    ):
        assert name in after


@pytest.fixture
def guarded(db: Database, clock: FrozenClock, tmp_path: Path) -> Iterator[TestClient]:
    app = create_app(make_settings(tmp_path, metrics_token="s3cret"), db=db, clock=clock)
    with TestClient(app) as client:
        yield client


def test_the_metrics_token_is_required_when_set(guarded: TestClient) -> None:
    assert_error(guarded.get("/metrics"), 401, "UNAUTHORIZED")
    assert_error(
        guarded.get("/metrics", headers={"Authorization": "Bearer nope"}), 401, "UNAUTHORIZED"
    )
    assert "timeboxd_http_requests_total" in scrape(guarded, Authorization="Bearer s3cret")
