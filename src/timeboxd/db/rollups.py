"""Rollups that statistics read instead of the raw rows (created by migration 0006).

They are kept by database triggers on ``blocks`` and ``time_entries`` (defined in
db/rollups_sql.py): no service writes them, so every write path (API, bulk routes,
imports, cascades) keeps them right. db/rollups_rebuild.py recounts them all, should they
ever disagree with the rows.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import BigInteger, Boolean, Date, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from timeboxd.db.models import Base


class StatsBlockDay(Base):
    """Counted blocks (neither archived nor deleted) of one account and date."""

    __tablename__ = "stats_block_days"

    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    livemode: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    date: Mapped[date] = mapped_column(Date, primary_key=True)
    total: Mapped[int] = mapped_column(Integer)
    completed: Mapped[int] = mapped_column(Integer)
    completed_minutes: Mapped[int] = mapped_column(BigInteger)
    scheduled_minutes: Mapped[int] = mapped_column(BigInteger)


class StatsBlockProject(Base):
    """Minutes of counted blocks per date and project (plan versus actual)."""

    __tablename__ = "stats_block_projects"

    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    livemode: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    date: Mapped[date] = mapped_column(Date, primary_key=True)
    project_key: Mapped[str] = mapped_column(String(32), primary_key=True)  # "" for none
    scheduled_minutes: Mapped[int] = mapped_column(BigInteger)


class StatsSlot(Base):
    """Productive seconds of one account in one UTC quarter hour (epoch seconds // 900),
    and the focus sessions that begin in it."""

    __tablename__ = "stats_slots"

    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    livemode: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    slot: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    tracked_seconds: Mapped[int] = mapped_column(BigInteger)  # stopped time entries
    block_seconds: Mapped[int] = mapped_column(BigInteger)  # done blocks without entries
    focus_count: Mapped[int] = mapped_column(BigInteger)
    focus_seconds: Mapped[int] = mapped_column(BigInteger)
    entry_longest: Mapped[int] = mapped_column(BigInteger)
    block_longest: Mapped[int] = mapped_column(BigInteger)


class StatsSlotProject(Base):
    """Productive seconds per UTC quarter hour and project (read at a range's edges)."""

    __tablename__ = "stats_slot_projects"

    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    livemode: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    slot: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    project_key: Mapped[str] = mapped_column(String(32), primary_key=True)  # "" for none
    tracked_seconds: Mapped[int] = mapped_column(BigInteger)
    block_seconds: Mapped[int] = mapped_column(BigInteger)


class StatsDayProject(Base):
    """Productive seconds per UTC day (epoch seconds // 86400) and project."""

    __tablename__ = "stats_day_projects"

    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    livemode: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    day: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    project_key: Mapped[str] = mapped_column(String(32), primary_key=True)  # "" for none
    tracked_seconds: Mapped[int] = mapped_column(BigInteger)
    block_seconds: Mapped[int] = mapped_column(BigInteger)
