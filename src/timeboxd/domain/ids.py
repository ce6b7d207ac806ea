"""Opaque, prefixed, roughly time-ordered identifiers (``blk_...``)."""

from __future__ import annotations

import secrets
import time

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def base62(number: int, width: int) -> str:
    chars = []
    for _ in range(width):
        number, rem = divmod(number, 62)
        chars.append(BASE62[rem])
    return "".join(reversed(chars))


def random_base62(length: int) -> str:
    """``length`` uniformly random base62 characters (one draw from the OS, not one each)."""
    return base62(secrets.randbelow(62**length), length)


def new_id(prefix: str) -> str:
    """``prefix_`` + 8 chars of milliseconds (ordered inserts) + 12 random chars."""
    millis = int(time.time() * 1000)
    return f"{prefix}_{base62(millis, 8)}{random_base62(12)}"
