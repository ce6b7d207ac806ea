"""API key format, hashing and scopes (SPEC §2 Auth)."""

from __future__ import annotations

import hashlib

from timeboxd.domain.ids import BASE62, random_base62

LIVE_PREFIX = "tbx_live_"
TEST_PREFIX = "tbx_test_"
SECRET_LENGTH = 32

SCOPES = (
    "read:blocks",
    "write:blocks",
    "read:projects",
    "write:projects",
    "read:time_entries",
    "write:time_entries",
    "read:reports",
    "read:stats",
    "read:webhooks",
    "write:webhooks",
    "read:crm",
    "write:crm",
    "admin",
)
ALL = "*"


def generate(livemode: bool) -> str:
    return (LIVE_PREFIX if livemode else TEST_PREFIX) + random_base62(SECRET_LENGTH)


def looks_valid(key: str) -> bool:
    if not key.startswith((LIVE_PREFIX, TEST_PREFIX)):
        return False
    secret = key[len(LIVE_PREFIX) :]
    return len(secret) == SECRET_LENGTH and all(c in BASE62 for c in secret)


def hash_key(key: str) -> str:
    # Keys are 190 bits of randomness: a fast hash is enough and keeps auth cheap.
    return hashlib.sha256(key.encode()).hexdigest()


def display_prefix(key: str) -> str:
    """What lists show so a person can tell keys apart: ``tbx_live_AbCd``."""
    return key[: len(LIVE_PREFIX) + 4]


def grants(held: frozenset[str] | set[str], needed: str) -> bool:
    return ALL in held or needed in held
