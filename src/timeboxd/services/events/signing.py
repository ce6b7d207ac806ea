"""Webhook secrets and signatures, as the Standard Webhooks specification has them (the
``standardwebhooks`` package signs; receivers verify with it or any of its ports)."""

from __future__ import annotations

import base64
import secrets
from datetime import datetime

from standardwebhooks import Webhook

PREFIX = "whsec_"
SECRET_BYTES = 32  # the specification asks for 24 to 64


def new_secret() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def headers(secret: str, event_id: str, at: datetime, body: str) -> dict[str, str]:
    """The three headers of a delivery: the event id (the same on every retry, so a
    receiver deduplicates by it), the moment of this attempt and its signature."""
    return {
        "webhook-id": event_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(event_id, at, body),
    }
