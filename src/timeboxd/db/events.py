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
