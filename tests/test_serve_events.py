"""``timeboxd serve --workers 2`` as run in production: its one in-process webhook worker
delivers the events of changes made through the API, and ``/metrics`` sums every process."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families
from standardwebhooks import Webhook as Verifier

from tests.conftest import serving_for_tests
from tests.receivers import WAIT, Receiver


def test_a_served_change_reaches_its_webhook_and_metrics_sum_workers(
    backend: str, tmp_path: Path, empty_url: str, receivers: Callable[..., Receiver]
) -> None:
    receiver = receivers()
    with (
        serving_for_tests(
            backend,
            tmp_path,
            workers=2,
            database_url=empty_url,
            webhook_allow_private="true",
            worker_in_process="true",
        ) as server,
        httpx.Client(base_url=server.base, headers=server.new_user(), timeout=60) as api,
    ):
        made = api.post("/v1/webhooks", json={"url": receiver.url, "events": ["block.*"]})
        assert made.status_code == 201, made.text
        secret = made.json()["data"]["secret"]
        block = api.post(
            "/v1/blocks",
            json={"date": "2026-12-03", "start": "09:00", "end": "10:00", "topic": "Read"},
        ).json()["data"]
        deadline = time.monotonic() + WAIT
        while not receiver.got:
            assert time.monotonic() < deadline, "the webhook got nothing"
            time.sleep(0.1)
        headers, body = receiver.got[0]
        event = Verifier(secret).verify(body, headers)
        assert event["type"] == "block.created" and event["data"] == block
        for _ in range(20):
            assert api.get(f"/v1/blocks/{block['id']}").status_code == 200
        # Whichever worker answers, it counts the requests both of them served.
        for _ in range(4):
            text = api.get("/metrics").text
            counted = sum(
                sample.value
                for family in text_string_to_metric_families(text)
                for sample in family.samples
                if sample.name == "timeboxd_http_requests_total"
                and sample.labels.get("route") == "/v1/blocks/{block_id}"
            )
            assert counted == 20
            assert "timeboxd_events_total" in text and "timeboxd_webhook_deliveries_total" in text
