"""Opaque, prefixed, roughly time-ordered identifiers (``blk_...``)."""

from __future__ import annotations

import secrets
import time

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


_PAIRS = [hi + lo for hi in BASE62 for lo in BASE62]  # two digits per division


def base62(number: int, width: int) -> str:
    """The lowest ``width`` base62 digits of ``number``, most significant first."""
    chunks = []
    if width % 2:
        number, rem = divmod(number, 62)
        chunks.append(BASE62[rem])
    for _ in range(width // 2):
        number, rem = divmod(number, 3844)
        chunks.append(_PAIRS[rem])
    return "".join(reversed(chunks))


def random_base62(length: int) -> str:
    """``length`` uniformly random base62 characters (one draw from the OS, not one each)."""
    return base62(secrets.randbelow(62**length), length)


def new_id(prefix: str) -> str:
    """``prefix_`` + 8 chars of milliseconds (ordered inserts) + 12 random chars."""
    millis = int(time.time() * 1000)
    return f"{prefix}_{base62(millis, 8)}{random_base62(12)}"
