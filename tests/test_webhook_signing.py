"""Deliveries are signed as Standard Webhooks says: a receiver verifies them with the
``standardwebhooks`` package and its secret alone, and anything altered fails."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from standardwebhooks import Webhook, WebhookVerificationError

from timeboxd.services.events import signing


def test_secrets_are_whsec_and_32_random_bytes() -> None:
    made = {signing.new_secret() for _ in range(50)}
    assert len(made) == 50
    for secret in made:
        assert secret.startswith("whsec_")
        assert len(base64.b64decode(secret.removeprefix("whsec_"))) == 32


@given(body=st.text(), event=st.from_regex(r"evt_[0-9a-z]{20}", fullmatch=True))
@settings(max_examples=50, deadline=None)
def test_a_receiver_verifies_what_is_sent_and_nothing_else(body: str, event: str) -> None:
    secret = signing.new_secret()
    now = datetime.now(UTC)
    sent = signing.headers(secret, event, now, body)
    assert sent["webhook-id"] == event and sent["webhook-signature"].startswith("v1,")
    Webhook(secret).verify(body, sent, json_parse=False)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body + " ", sent, json_parse=False)
    with pytest.raises(WebhookVerificationError):
        Webhook(signing.new_secret()).verify(body, sent, json_parse=False)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body, {**sent, "webhook-id": event + "x"}, json_parse=False)


def test_an_old_delivery_is_refused_by_the_receiver() -> None:
    secret = signing.new_secret()
    sent = signing.headers(secret, "evt_1", datetime.now(UTC) - timedelta(hours=1), "{}")
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify("{}", sent)
