"""The subscribable calendar feed: a secret token in the URL, blocks as iCalendar events.

Events carry the account's time zone (with its VTIMEZONE), a UID derived from the block
id so calendar apps update events in place, and the block's version as SEQUENCE.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from timeboxd.db.models import Block, CalendarFeed, Project, User
from timeboxd.domain.ids import random_base62
from timeboxd.domain.wallclock import local_today, zone
from timeboxd.errors import NotFound
from timeboxd.schemas.calendar import FeedToken
from timeboxd.services.context import Principal

TOKEN_PREFIX = "cal_"
WINDOW_PAST = timedelta(days=180)
WINDOW_FUTURE = timedelta(days=400)
UID_DOMAIN = "timeboxd"


def feed_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/v1/calendar.ics?token={token}"


def rotate_token(session: Session, principal: Principal, now: datetime, base_url: str) -> FeedToken:
    """Create the feed token, or replace it: the old URL stops working at once."""
    session.execute(
        delete(CalendarFeed).where(
            CalendarFeed.user_id == principal.user_id,
            CalendarFeed.livemode == principal.livemode,
        )
    )
    token = TOKEN_PREFIX + random_base62(40)
    session.add(
        CalendarFeed(
            token=token, user_id=principal.user_id, livemode=principal.livemode, created_at=now
        )
    )
    session.flush()
    return FeedToken(token, feed_url(base_url, token))


def current_token(session: Session, principal: Principal) -> str | None:
    return session.scalar(
        select(CalendarFeed.token).where(
            CalendarFeed.user_id == principal.user_id,
            CalendarFeed.livemode == principal.livemode,
        )
    )


def block_uid(block_id: str) -> str:
    return f"{block_id}@{UID_DOMAIN}"


def render_feed(session: Session, token: str, now: datetime) -> bytes:
    """The iCalendar document for ``token``, or NotFound for an unknown or rotated token."""
    # Here, not at the top: every server process would pay icalendar's import at start.
    from icalendar import Calendar, Event

    feed = session.get(CalendarFeed, token) if token.startswith(TOKEN_PREFIX) else None
    user = session.get(User, feed.user_id) if feed else None
    if feed is None or user is None or user.deactivated_at is not None:
        raise NotFound("no calendar feed for this token")
    tz = zone(user.timezone)
    today = local_today(now, user.timezone)
    rows = session.execute(
        select(Block, Project.name)
        .outerjoin(Project, Project.id == Block.project_id)
        .where(
            Block.user_id == user.id,
            Block.livemode == feed.livemode,
            Block.deleted_at.is_(None),
            Block.archived_at.is_(None),
            Block.date >= today - WINDOW_PAST,
            Block.date <= today + WINDOW_FUTURE,
        )
        .order_by(Block.date, Block.start, Block.id)
    )
    calendar = Calendar.new(
        prodid="-//timeboxd//planner//EN",
        name=f"timeboxd: {user.name or user.email}",
        refresh_interval=timedelta(minutes=15),
    )
    calendar.add("x-wr-timezone", user.timezone)
    for block, project_name in rows:
        summary = block.topic or project_name or "Time block"
        if block.done:
            summary = f"✓ {summary}"
        event = Event.new(
            uid=block_uid(block.id),
            summary=summary,
            start=block.start_at.astimezone(tz),
            end=block.end_at.astimezone(tz),
            stamp=block.updated_at,
            last_modified=block.updated_at,
            sequence=block.version - 1,
            categories=[project_name] if project_name else (),
            description="Done" if block.done else None,
        )
        calendar.add_component(event)
    calendar.add_missing_timezones()
    return bytes(calendar.to_ical())
