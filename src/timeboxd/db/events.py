"""The outbox: every change writes its event rows in the transaction that makes it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from timeboxd.db.models import Base
from timeboxd.db.types import UTCDateTime

# SQLite makes an INTEGER PRIMARY KEY the rowid; AUTOINCREMENT keeps it from being reused.
Position = BigInteger().with_variant(Integer(), "sqlite")


class Event(Base):
    """One event in one account's feed (an event about a shared resource is written once
    for each account that may read it).

    The feed's order is ``(txid, seq)``. ``seq`` grows as rows are written; ``txid`` is the
    writing transaction's id on PostgreSQL (0 on SQLite, whose writers take turns), so a
    reader that hands out only events of transactions older than every one still running
    never passes an event that commits later with a lower ``seq``.
    """

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_feed", "user_id", "livemode", "txid", "seq"),
        Index("ix_events_created_at", "created_at"),
        {"sqlite_autoincrement": True},
    )

    seq: Mapped[int] = mapped_column(Position, primary_key=True, autoincrement=True)
    txid: Mapped[int] = mapped_column(BigInteger, default=0)
    id: Mapped[str] = mapped_column(String(32), unique=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    livemode: Mapped[bool] = mapped_column(Boolean)
    type: Mapped[str] = mapped_column(String(40))
    resource_id: Mapped[str] = mapped_column(String(32))
    data: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Webhook(Base):
    """An endpoint that receives the events of its owner, in the mode of the key that
    made it. The secret signs deliveries, so it is kept as it is (shown once to people)."""

    __tablename__ = "webhooks"
    __table_args__ = (Index("ix_webhooks_owner", "user_id", "livemode"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    livemode: Mapped[bool] = mapped_column(Boolean)
    url: Mapped[str] = mapped_column(String(2000))
    events: Mapped[str] = mapped_column(Text)  # space-separated types and wildcards
    description: Mapped[str] = mapped_column(String(500), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    disabled_reason: Mapped[str | None] = mapped_column(String(500))
    secret: Mapped[str] = mapped_column(String(100))
    # Failures in a row, and since when every attempt has failed: auto-disable's clock.
    failures: Mapped[int] = mapped_column(Integer, default=0)
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class Delivery(Base):
    """One event for one webhook: its attempts so far and when the next is due."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
        Index("ix_webhook_deliveries_webhook", "webhook_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    webhook_id: Mapped[str] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"))
    event_id: Mapped[str] = mapped_column(String(32))
    event_type: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(16))  # pending, succeeded, failed
    attempt: Mapped[int] = mapped_column(Integer, default=0)  # attempts made
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status_code: Mapped[int | None] = mapped_column(Integer)
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Cursor(Base):
    """How far a reader of every account's events has come (the webhook dispatcher)."""

    __tablename__ = "event_cursors"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    txid: Mapped[int] = mapped_column(BigInteger, default=0)
    seq: Mapped[int] = mapped_column(BigInteger, default=0)
