"""Rollups that statistics read instead of the raw rows (created by migration 0006).

They are kept by database triggers on ``blocks`` and ``time_entries`` (defined in
db/rollups_sql.py): no service writes them, so every write path (API, bulk routes,
imports, cascades) keeps them right. db/rollups_rebuild.py recounts them all, should they
ever disagree with the rows.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import BigInteger, Boolean, Date, Integer, PrimaryKeyConstraint, String
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
    # stopped time entries
    tracked_seconds: Mapped[int] = mapped_column(BigInteger, server_default="0")
    # done blocks without entries
    block_seconds: Mapped[int] = mapped_column(BigInteger, server_default="0")
    focus_count: Mapped[int] = mapped_column(BigInteger, server_default="0")
    focus_seconds: Mapped[int] = mapped_column(BigInteger, server_default="0")
    entry_longest: Mapped[int] = mapped_column(BigInteger, server_default="0")
    block_longest: Mapped[int] = mapped_column(BigInteger, server_default="0")


class StatsSlotProject(Base):
    """Productive seconds per UTC quarter hour and project (read at a range's edges)."""

    __tablename__ = "stats_slot_projects"

    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    livemode: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    slot: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    project_key: Mapped[str] = mapped_column(String(32), primary_key=True)  # "" for none
    tracked_seconds: Mapped[int] = mapped_column(BigInteger, server_default="0")
    block_seconds: Mapped[int] = mapped_column(BigInteger, server_default="0")


class StatsDayProject(Base):
    """Productive seconds per UTC day (epoch seconds // 86400) and project."""

    __tablename__ = "stats_day_projects"

    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    livemode: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    day: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    project_key: Mapped[str] = mapped_column(String(32), primary_key=True)  # "" for none
    tracked_seconds: Mapped[int] = mapped_column(BigInteger, server_default="0")
    block_seconds: Mapped[int] = mapped_column(BigInteger, server_default="0")


class StatsVersion(Base):
    """A counter per account and mode that every write to its blocks or entries raises
    (migration 0008's triggers); the statistics cache keys on it."""

    __tablename__ = "stats_versions"

    user_id: Mapped[str] = mapped_column(String(32))
    livemode: Mapped[bool] = mapped_column(Boolean)
    version: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (PrimaryKeyConstraint("user_id", "livemode", name="pk_stats_versions"),)


class BulkInsert(Base):
    """A row while a transaction counts the time entries it inserts itself, in grouped
    statements (SQLite; db/rollups_bulk.py): the entries' insert trigger then stands aside.
    Empty outside such a transaction; unused on PostgreSQL, whose insert trigger runs once
    per statement."""

    __tablename__ = "bulk_inserts"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
