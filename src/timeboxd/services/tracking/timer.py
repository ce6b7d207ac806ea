"""The running timer: an entry without ``end_at``; at most one per user and mode.

The rule lives in the database (a partial unique index on running entries), so two
concurrent starts cannot both succeed whatever the number of app processes. Starts and
stops of one user also queue on a lock of the user's row (SQLite's write transactions
already queue): each then sees the timer its predecessor left, so simultaneous
``stop_running`` starts all succeed in turn instead of deadlocking on PostgreSQL.

Tracked time has whole-second precision: the timer starts and stops at the request's
instant, cut to the second.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from timeboxd.db.models import Block, User
from timeboxd.db.tracking import TimeEntry
from timeboxd.errors import Conflict, NotFound
from timeboxd.schemas.entries import EntryOut, TimerStart
from timeboxd.services import versioning
from timeboxd.services.context import Principal
from timeboxd.services.outbox import Change
from timeboxd.services.tracking.entries import EntryFields, announce, get_entry, new_entry


def _running(session: Session, principal: Principal) -> TimeEntry | None:
    return session.scalar(
        select(TimeEntry).where(
            TimeEntry.user_id == principal.user_id,
            TimeEntry.livemode == principal.livemode,
            TimeEntry.end_at.is_(None),
        )
    )


def _take_timer_lock(session: Session, principal: Principal) -> None:
    # FOR NO KEY UPDATE: rows referencing the user (key share locks) are not held up.
    session.execute(
        select(User.id).where(User.id == principal.user_id).with_for_update(key_share=True)
    )


STOPPED = ("timer.stopped", "time_entry.updated")


def current(session: Session, principal: Principal, now: datetime) -> tuple[EntryOut, str] | None:
    """The running entry and its ETag, or None."""
    entry = _running(session, principal)
    return None if entry is None else get_entry(session, principal, now, entry.id)


def _stop(entry: TimeEntry, now: datetime) -> None:
    # A timer stopped within the second it started still ends after it started.
    end = max(now, entry.start_at)
    entry.end_at = end
    entry.duration_seconds = int((end - entry.start_at).total_seconds())
    entry.updated_at = now


def start(
    session: Session, principal: Principal, now: datetime, body: TimerStart
) -> tuple[EntryOut, str]:
    now = now.replace(microsecond=0)
    _take_timer_lock(session, principal)
    running = _running(session, principal)
    if running is not None:
        if not body.stop_running:
            raise Conflict(
                f"a timer is already running ({running.id}); stop it first or send "
                '"stop_running": true',
                field="stop_running",
            )
        _stop(running, now)
        session.flush()
        _announced(session, principal, now, running, *STOPPED)
    fields = EntryFields(
        start_at=now,
        end_at=None,
        description=body.description,
        project_id=body.project_id,
        task_id=body.task_id,
        block_id=body.block_id,
        billable=body.billable,
        tag_ids=list(body.tag_ids),
    )
    if fields.block_id is not None:
        _defaults_from_block(session, principal, fields)
    try:
        entry = new_entry(session, principal, now, fields, "timer")
    except IntegrityError:
        # Another request started a timer between our check and our insert (the running
        # index refused the insert); the request's unit of work rolls back.
        raise Conflict("a timer is already running", field="stop_running") from None
    return _announced(session, principal, now, entry, "timer.started", "time_entry.created")


def _announced(
    session: Session, principal: Principal, now: datetime, entry: TimeEntry, *types: str
) -> tuple[EntryOut, str]:
    """The entry as the API shows it, and its events of ``types`` (the timer's own and
    the entry's: a sync client following ``time_entry.*`` sees the timer's entries too)."""
    found = get_entry(session, principal, now, entry.id)
    announce(session, principal, now, [(Change(t, entry.id, found[0]), entry) for t in types])
    return found


def _defaults_from_block(session: Session, principal: Principal, fields: EntryFields) -> None:
    """Starting from a block takes its project, task and topic unless the body says otherwise."""
    block = session.scalar(
        select(Block).where(
            Block.id == fields.block_id,
            Block.user_id == principal.user_id,
            Block.livemode == principal.livemode,
            Block.deleted_at.is_(None),
        )
    )
    if block is None:
        return  # new_entry reports the bad reference with its field
    if fields.project_id is None and fields.task_id is None:
        fields.project_id, fields.task_id = block.project_id, block.task_id
    if not fields.description:
        fields.description = block.topic


def stop(
    session: Session, principal: Principal, now: datetime, if_match: str | None = None
) -> tuple[EntryOut, str]:
    """Stop the running entry; ``If-Match`` names the entry the caller means to stop, so a
    client never stops a timer started since on another device."""
    now = now.replace(microsecond=0)
    _take_timer_lock(session, principal)
    entry = _running(session, principal)
    if entry is None:
        raise NotFound("no timer is running")
    versioning.check_row(entry, if_match, "running entry")
    _stop(entry, now)
    session.flush()
    return _announced(session, principal, now, entry, *STOPPED)
