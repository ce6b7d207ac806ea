"""The version check: the latest release, read from the release feed at most once a day
by a background task (``check_if_due``), never in a request; requests read what the last
look found (``version_status``). The look is recorded in the database, so every process of
the server shares it and a restart does not look again.

A feed is the package index's JSON document of a project (``{"info": {"version",
"project_urls", "release_url"}, ...}``) or any document of that shape. A look that fails
(offline, an error status, a document without a version) is recorded too: until the next
one, ``latest`` is null."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from packaging.version import InvalidVersion, Version
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from timeboxd.db.crm import ReleaseCheck, VersionDismissal
from timeboxd.db.models import User
from timeboxd.errors import Forbidden, ValidationFailed
from timeboxd.schemas.admin import VersionDismiss, VersionOut
from timeboxd.services.context import Principal
from timeboxd.services.database import Database

log = logging.getLogger(__name__)

CHECK_INTERVAL = timedelta(days=1)
FETCH_TIMEOUT_SECONDS = 10.0
MAX_FEED_BYTES = 8 * 1024 * 1024
# project_urls labels that name release notes, most specific first (compared lowercased).
NOTES_LABELS = ("release notes", "release-notes", "changelog", "changes", "history")


@dataclass(frozen=True, slots=True)
class Release:
    version: str
    notes_url: str | None


class FeedError(Exception):
    """The feed could not be read or did not name a release."""


def _admin(session: Session, principal: Principal) -> None:
    if not session.scalar(select(User.is_admin).where(User.id == principal.user_id)):
        raise Forbidden("only the server's admins see the version check")


def _newer(latest: str | None, installed: str) -> bool:
    if latest is None:
        return False
    try:
        return Version(latest) > Version(installed)
    except InvalidVersion:
        return False


def version_status(
    session: Session, principal: Principal, feed_url: str | None, installed: str
) -> VersionOut:
    _admin(session, principal)
    check = session.get(ReleaseCheck, feed_url) if feed_url else None
    latest = check.latest_version if check is not None and check.error is None else None
    notes = check.release_notes_url if latest is not None and check is not None else None
    dismissed = session.scalar(
        select(VersionDismissal.version).where(
            VersionDismissal.user_id == principal.user_id,
            VersionDismissal.livemode == principal.livemode,
        )
    )
    available = _newer(latest, installed)
    return VersionOut(
        installed=installed,
        latest=latest,
        update_available=available,
        release_notes_url=notes,
        checked_at=check.checked_at if check is not None else None,
        dismissed_version=dismissed,
        notify=available and dismissed != latest,
    )


def dismiss(
    session: Session,
    principal: Principal,
    now: datetime,
    feed_url: str | None,
    installed: str,
    body: VersionDismiss,
) -> VersionOut:
    """The caller is not told about ``version`` again (a later release is told)."""
    try:
        version = str(Version(body.version))
    except InvalidVersion:
        raise ValidationFailed(f"{body.version!r} is not a version", field="version") from None
    _admin(session, principal)
    row = session.get(VersionDismissal, (principal.user_id, principal.livemode))
    if row is None:
        row = VersionDismissal(user_id=principal.user_id, livemode=principal.livemode)
        session.add(row)
    row.version = version
    row.dismissed_at = now
    session.flush()
    return version_status(session, principal, feed_url, installed)


# -- the background look ---------------------------------------------------------------------


def _claim(db: Database, now: datetime, feed_url: str) -> bool:
    """Mark the feed as looked at now, unless it was within the interval (then False).
    Row-locked, so of several processes due at once one looks."""
    try:
        with db.write() as session:
            check = session.get(ReleaseCheck, feed_url, with_for_update=True)
            if check is None:
                session.add(ReleaseCheck(feed_url=feed_url, attempted_at=now))
                return True
            if now - check.attempted_at < CHECK_INTERVAL:
                return False
            check.attempted_at = now
            return True
    except IntegrityError:  # another process made the row first: it looks
        return False


def check_if_due(
    db: Database,
    clock: Callable[[], datetime],
    feed_url: str,
    installed: str,
    fetch: Callable[[str, str], Release] | None = None,
) -> bool:
    """Look at the feed if no process did within a day; record what was found. True when
    it looked."""
    if not _claim(db, clock(), feed_url):
        return False
    try:
        release = (fetch or fetch_release)(feed_url, installed)
        found: dict[str, Any] = {
            "latest_version": release.version,
            "release_notes_url": release.notes_url,
            "error": None,
        }
    except FeedError as exc:
        log.warning("version check: %s", exc)
        found = {"latest_version": None, "release_notes_url": None, "error": str(exc)[:500]}
    with db.write() as session:
        check = session.get(ReleaseCheck, feed_url)
        if check is not None:
            check.checked_at = clock()
            for key, value in found.items():
                setattr(check, key, value)
    return True


def fetch_release(feed_url: str, installed: str) -> Release:
    headers = {"User-Agent": f"timeboxd/{installed}", "Accept": "application/json"}
    try:
        with (
            httpx.Client(
                timeout=FETCH_TIMEOUT_SECONDS, follow_redirects=True, headers=headers
            ) as client,
            client.stream("GET", feed_url) as response,
        ):
            if response.status_code != 200:
                raise FeedError(f"the feed answered {response.status_code}")
            body = bytearray()
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > MAX_FEED_BYTES:
                    raise FeedError("the feed is larger than 8 MiB")
    except httpx.HTTPError as exc:
        raise FeedError(f"the feed could not be read: {type(exc).__name__}") from None
    return parse_feed(bytes(body))


def parse_feed(body: bytes) -> Release:
    """The release a feed document names (see the module docstring)."""
    try:
        document = json.loads(body)
    except ValueError:
        raise FeedError("the feed is not JSON") from None
    info = document.get("info") if isinstance(document, dict) else None
    version = info.get("version") if isinstance(info, dict) else None
    if not isinstance(version, str):
        raise FeedError("the feed names no version (info.version)")
    try:
        normal = str(Version(version))
    except InvalidVersion:
        raise FeedError(f"the feed's version {version[:64]!r} is not a version") from None
    if len(normal) > 64:
        raise FeedError("the feed's version is too long")
    assert isinstance(info, dict)
    return Release(normal, _notes_url(info))


def _web_url(value: object) -> str | None:
    if isinstance(value, str) and value.startswith(("https://", "http://")) and len(value) < 2000:
        return value
    return None


def _notes_url(info: dict[str, Any]) -> str | None:
    urls = info.get("project_urls")
    if isinstance(urls, dict):
        labelled = {str(k).strip().lower(): v for k, v in urls.items()}
        for label in NOTES_LABELS:
            if (url := _web_url(labelled.get(label))) is not None:
                return url
    return _web_url(info.get("release_url"))
