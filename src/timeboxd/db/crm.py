"""Tables for the business side: leads and deals (migration 0020)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from timeboxd.db.models import Base
from timeboxd.db.types import UTCDateTime


class Lead(Base):
    """Someone who may become a client. Money is kept in cents (two decimal places, as
    every amount the API takes), so sums are exact on both databases."""

    __tablename__ = "leads"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    livemode: Mapped[bool] = mapped_column(Boolean)
    owner_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    name: Mapped[str] = mapped_column(String(200))
    company: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(50))
    source: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(16))
    notes: Mapped[str] = mapped_column(Text, default="")
    value_cents: Mapped[int | None] = mapped_column(BigInteger)
    currency: Mapped[str | None] = mapped_column(String(3))
    # What the conversion made (each emptied if that row is deleted later).
    client_id: Mapped[str | None] = mapped_column(ForeignKey("clients.id", ondelete="SET NULL"))
    contact_id: Mapped[str | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    deal_id: Mapped[str | None] = mapped_column(ForeignKey("deals.id", ondelete="SET NULL"))
    converted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __table_args__ = (
        Index("ix_leads_workspace_mode_created", "workspace_id", "livemode", "created_at", "id"),
    )
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class Deal(Base):
    """A possible piece of work for a client, moving through the stages of a pipeline."""

    __tablename__ = "deals"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    livemode: Mapped[bool] = mapped_column(Boolean)
    client_id: Mapped[str] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    owner_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(200))
    stage: Mapped[str] = mapped_column(String(16))
    value_cents: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    probability: Mapped[int] = mapped_column(Integer)
    expected_close_date: Mapped[date | None] = mapped_column(Date)
    project_id: Mapped[str | None] = mapped_column(ForeignKey("projects.id", ondelete="SET NULL"))
    notes: Mapped[str] = mapped_column(Text, default="")
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)

    # The pipeline sums a workspace's deals by stage and currency from the first index
    # alone (a close-date range too); the list pages the second, newest first.
    __table_args__ = (
        Index(
            "ix_deals_workspace_mode_stage",
            "workspace_id",
            "livemode",
            "stage",
            "currency",
            "value_cents",
            "probability",
            "expected_close_date",
        ),
        Index("ix_deals_workspace_mode_created", "workspace_id", "livemode", "created_at", "id"),
    )
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class ReleaseCheck(Base):
    """The last look at the release feed (one row per feed URL), shared by every process
    of the server, so the feed is read at most once a day whatever their number."""

    __tablename__ = "release_checks"

    feed_url: Mapped[str] = mapped_column(String(2000), primary_key=True)
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    latest_version: Mapped[str | None] = mapped_column(String(64))
    release_notes_url: Mapped[str | None] = mapped_column(String(2000))
    error: Mapped[str | None] = mapped_column(String(500))


class VersionDismissal(Base):
    """The release an admin no longer wants to be told about (per user and mode)."""

    __tablename__ = "version_dismissals"

    user_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    livemode: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    version: Mapped[str] = mapped_column(String(64))
    dismissed_at: Mapped[datetime] = mapped_column(UTCDateTime)
