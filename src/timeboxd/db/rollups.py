"""Rollups that statistics read instead of the raw rows (migration 0006).

They are kept by database triggers on ``blocks`` and ``time_entries``: nothing in Python
writes them, so every write path (API, bulk routes, imports, cascades) keeps them right.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import BigInteger, Boolean, Date, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from timeboxd.db.models import Base


class StatsBlockDay(Base):
    """Counted blocks (neither archived nor deleted) of one account, date and project."""

    __tablename__ = "stats_block_days"

    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    livemode: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    date: Mapped[date] = mapped_column(Date, primary_key=True)
    project_key: Mapped[str] = mapped_column(String(32), primary_key=True)  # "" for none
    total: Mapped[int] = mapped_column(Integer)
    completed: Mapped[int] = mapped_column(Integer)
    completed_minutes: Mapped[int] = mapped_column(BigInteger)
    scheduled_minutes: Mapped[int] = mapped_column(BigInteger)


class StatsSlot(Base):
    """Productive seconds of one account, UTC quarter hour (epoch seconds // 900) and
    project, and the focus sessions that begin in it."""

    __tablename__ = "stats_slots"

    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    livemode: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    slot: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    project_key: Mapped[str] = mapped_column(String(32), primary_key=True)  # "" for none
    tracked_seconds: Mapped[int] = mapped_column(BigInteger)  # stopped time entries
    block_seconds: Mapped[int] = mapped_column(BigInteger)  # done blocks without entries
    focus_count: Mapped[int] = mapped_column(Integer)
    focus_seconds: Mapped[int] = mapped_column(BigInteger)
    entry_longest: Mapped[int] = mapped_column(Integer)
    block_longest: Mapped[int] = mapped_column(Integer)
