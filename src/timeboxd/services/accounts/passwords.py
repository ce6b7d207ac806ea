"""Passwords: hashed with Argon2id, checked against one rule wherever one is set (the CLI,
the web app's password change and an administrator's reset).

Hashes written before Argon2 (``scrypt$salt$digest``) still verify, and the web login
rehashes them with Argon2 (``needs_rehash``)."""

from __future__ import annotations

import hashlib
import hmac

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from timeboxd.errors import ValidationFailed

MIN_LENGTH = 8
MAX_LENGTH = 1000  # hashing is slow on purpose: a megabyte "password" is refused first

_hasher = PasswordHasher()


def check_new(password: str, field: str = "password") -> None:
    """The rule for a new password: 8 to 1000 characters."""
    if len(password) < MIN_LENGTH:
        raise ValidationFailed(f"a password has at least {MIN_LENGTH} characters", field=field)
    if len(password) > MAX_LENGTH:
        raise ValidationFailed(f"a password has at most {MAX_LENGTH} characters", field=field)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    if not stored:
        return False
    if len(password) > MAX_LENGTH:
        return False
    if stored.startswith("scrypt$"):
        _, salt, digest = stored.split("$", 2)
        got = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), n=2**14, r=8, p=1)
        return hmac.compare_digest(got.hex(), digest)
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    return stored.startswith("scrypt$") or _hasher.check_needs_rehash(stored)


DUMMY_HASH = _hasher.hash("not a password anyone has")
"""Verified against when no user matches, so timing does not tell which emails exist."""
