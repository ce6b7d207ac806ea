"""Lead and deal bodies, shapes and filters, and the pipeline summary (docs/api.md "Leads
and deals")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field, Strict

from timeboxd.schemas.catalog import EmailStr, Name
from timeboxd.schemas.clients import Notes, Phone
from timeboxd.schemas.common import (
    UNSET,
    Id,
    Input,
    LocalDate,
    Paging,
    QueryModel,
    Unset,
    omittable,
)

LeadStatus = Literal["new", "contacted", "qualified", "lost", "converted"]
# What a body may set: a lead becomes ``converted`` only through POST .../convert.
OpenLeadStatus = Literal["new", "contacted", "qualified", "lost"]
Stage = Literal["prospect", "proposal", "negotiation", "won", "lost"]
STAGES: tuple[str, ...] = ("prospect", "proposal", "negotiation", "won", "lost")
CLOSED_STAGES = ("won", "lost")
# A stage's probability when a deal enters it and none is given; won and lost are fixed.
STAGE_PROBABILITY = {"prospect": 10, "proposal": 40, "negotiation": 70, "won": 100, "lost": 0}

Money = Annotated[Decimal, Field(ge=0, le=1_000_000_000, decimal_places=2)]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
Probability = Annotated[int, Strict(), Field(ge=0, le=100)]
Source = Annotated[str, Field(max_length=100)]
Company = Annotated[str, Field(max_length=200)]
Title = Name


# -- leads ---------------------------------------------------------------------------------


class LeadPut(Input):
    """PUT replaces every writable field (the workspace cannot move)."""

    name: Name
    company: Company | None = None
    email: EmailStr | None = None
    phone: Phone | None = None
    source: Source | None = None
    status: OpenLeadStatus = "new"
    notes: Notes = ""
    owner_id: Id | None = Field(None, description="a member of the workspace; default: you")
    value_estimate: Money | None = None
    currency: Currency | None = None


class LeadCreate(LeadPut):
    workspace_id: Id | None = None


class LeadPatch(Input):
    name: Name | None = omittable()
    company: Company | None = None
    email: EmailStr | None = None
    phone: Phone | None = None
    source: Source | None = None
    status: OpenLeadStatus | None = omittable()
    notes: Notes | None = omittable()
    owner_id: Id | None = Field(None, description="null: you")
    value_estimate: Money | None = None
    currency: Currency | None = None


@dataclass(slots=True)
class LeadChanges:
    """What a PATCH (or PUT) changes; ``UNSET``: not sent, keep the value."""

    name: str | Unset | None = UNSET
    company: str | Unset | None = UNSET
    email: str | Unset | None = UNSET
    phone: str | Unset | None = UNSET
    source: str | Unset | None = UNSET
    status: str | Unset | None = UNSET
    notes: str | Unset | None = UNSET
    owner_id: str | Unset | None = UNSET
    value_estimate: Decimal | Unset | None = UNSET
    currency: str | Unset | None = UNSET


class DealFromLead(Input):
    """The deal a conversion makes: each field defaults to what the lead says."""

    title: Title | None = None
    stage: Stage = "prospect"
    value: Money | None = None
    currency: Currency | None = None
    probability: Probability | None = None
    expected_close_date: LocalDate | None = None
    owner_id: Id | None = None
    notes: Notes = ""


class LeadConvert(Input):
    client_name: Name | None = Field(
        None, description="the new client's name; default: the lead's company, else its name"
    )
    contact: bool = Field(
        True, description="also make a contact of the client from the lead's name, email, phone"
    )
    deal: DealFromLead | None = Field(None, description="also make a deal for the client")


@dataclass(slots=True)
class LeadOut:
    id: str
    workspace_id: str
    name: str
    company: str | None
    email: str | None
    phone: str | None
    source: str | None
    status: str
    notes: str
    owner_id: str | None
    value_estimate: str | None
    currency: str | None
    client_id: str | None
    contact_id: str | None
    deal_id: str | None
    converted_at: datetime | None
    created_at: datetime
    updated_at: datetime


class LeadQuery(Paging):
    workspace_id: str | None = Field(None, min_length=1, max_length=32)
    status: LeadStatus | None = None
    owner_id: str | None = Field(None, min_length=1, max_length=32)
    source: str | None = Field(None, min_length=1, max_length=100)


# -- deals ---------------------------------------------------------------------------------


class DealPut(Input):
    """PUT replaces every writable field (the workspace cannot move)."""

    client_id: Id
    title: Title
    expected_close_date: LocalDate | None = None
    stage: Stage = "prospect"
    value: Money = Decimal(0)
    currency: Currency
    probability: Probability | None = Field(
        None, description="0-100; default: the stage's (won 100, lost 0)"
    )
    project_id: Id | None = Field(None, description="only once the deal is won")
    owner_id: Id | None = Field(None, description="a member of the workspace; default: you")
    notes: Notes = ""


class DealCreate(DealPut):
    pass


class DealPatch(Input):
    client_id: Id | None = omittable()
    title: Title | None = omittable()
    stage: Stage | None = omittable()
    value: Money | None = omittable()
    currency: Currency | None = omittable()
    probability: Probability | None = Field(None, description="null: the stage's")
    expected_close_date: LocalDate | None = None
    project_id: Id | None = None
    owner_id: Id | None = Field(None, description="null: you")
    notes: Notes | None = omittable()


@dataclass(slots=True)
class DealChanges:
    """What a PATCH (or PUT) changes; ``UNSET``: not sent, keep the value."""

    client_id: str | Unset | None = UNSET
    title: str | Unset | None = UNSET
    stage: str | Unset | None = UNSET
    value: Decimal | Unset | None = UNSET
    currency: str | Unset | None = UNSET
    probability: int | Unset | None = UNSET
    expected_close_date: date | Unset | None = UNSET
    project_id: str | Unset | None = UNSET
    owner_id: str | Unset | None = UNSET
    notes: str | Unset | None = UNSET


@dataclass(slots=True)
class DealOut:
    id: str
    workspace_id: str
    client_id: str
    title: str
    stage: str
    value: str
    currency: str
    probability: int
    weighted_value: str
    expected_close_date: date | None
    project_id: str | None
    owner_id: str | None
    notes: str
    closed_at: datetime | None
    created_at: datetime
    updated_at: datetime


class PipelineQuery(QueryModel):
    """The filters of both the list and the pipeline (paging is the list's alone)."""

    workspace_id: str | None = Field(None, min_length=1, max_length=32)
    client_id: str | None = Field(None, min_length=1, max_length=32)
    owner_id: str | None = Field(None, min_length=1, max_length=32)
    close_date_from: LocalDate | None = Field(
        None, description="expected_close_date on or after this date"
    )
    close_date_to: LocalDate | None = Field(
        None, description="expected_close_date on or before this date"
    )


class DealQuery(PipelineQuery):
    page: int | None = Field(None, ge=1, le=1_000_000)
    per_page: int | None = Field(None, ge=1, le=1_000)
    stage: str | None = Field(
        None, min_length=1, max_length=100, description="a stage, or several comma-separated"
    )


@dataclass(slots=True)
class Amount:
    currency: str
    count: int
    value: str
    weighted_value: str


@dataclass(slots=True)
class PipelineStage:
    stage: str
    count: int
    amounts: list[Amount]


@dataclass(slots=True)
class PipelineTotal:
    count: int
    amounts: list[Amount]


@dataclass(slots=True)
class PipelineOut:
    stages: list[PipelineStage]
    open: PipelineTotal
