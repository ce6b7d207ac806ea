"""Strict field types, the "not sent" marker of typed changes, and the response envelope
shapes (for the OpenAPI document).

Each resource's module here defines its request bodies (Pydantic, validated at the edge),
its typed changes (a dataclass whose fields default to ``UNSET``: what a PATCH did not send)
and its output (a dataclass the services return, serialised as it is and described in the
OpenAPI document from the same class): one shape per resource, shared by every face."""

from __future__ import annotations

import dataclasses
import enum
from datetime import date, datetime, time
from typing import Annotated, Any, Final, Generic, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema

from timeboxd.domain.wallclock import is_valid_zone, parse_date, parse_hhmm

MIN_YEAR, MAX_YEAR = 1900, 2999


def _date(value: Any) -> date:
    if not isinstance(value, str):
        raise ValueError("date must be a YYYY-MM-DD string")
    day = parse_date(value)
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise ValueError(f"date must be between {MIN_YEAR} and {MAX_YEAR}")
    return day


def _hhmm(value: Any) -> time:
    if not isinstance(value, str):
        raise ValueError("time must be an HH:MM string")
    return parse_hhmm(value)


def _zone(value: Any) -> str:
    if not isinstance(value, str) or not is_valid_zone(value):
        raise ValueError("must be an IANA time zone name such as Europe/Berlin")
    return value


# The years the API accepts, as a pattern every JSON Schema validator and generator reads
# (``format: date`` alone admits 0001-9999). Months and days are spelled out too, so that
# generators drawing from the pattern seldom make a string the format then refuses.
DATE_PATTERN = "(19[0-9]{2}|2[0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
LocalDate = Annotated[
    date,
    BeforeValidator(_date),
    WithJsonSchema(
        {
            "type": "string",
            "format": "date",
            "pattern": f"^{DATE_PATTERN}$",
            "description": f"YYYY-MM-DD, {MIN_YEAR} to {MAX_YEAR}",
        }
    ),
]
HHMM = Annotated[
    time,
    BeforeValidator(_hhmm),
    WithJsonSchema({"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$"}),
]
TimeZoneName = Annotated[
    str, BeforeValidator(_zone), WithJsonSchema({"type": "string", "example": "Europe/Berlin"})
]
Id = Annotated[str, Field(min_length=1, max_length=32)]


def _not_null(schema: dict[str, Any]) -> None:
    schema.pop("default", None)
    variants = schema.pop("anyOf", None)
    if variants is not None:
        kept = [v for v in variants if v != {"type": "null"}]
        if len(kept) == 1:
            schema.update(kept[0])
        else:
            schema["anyOf"] = kept


def omittable(**constraints: Any) -> Any:  # Field() is typed Any
    """A PATCH field that may be left out but not sent as null (a required field of the
    resource): the typed changes see a sent ``None``, which the service refuses naming the
    field, and the document shows the field without null."""
    return Field(None, json_schema_extra=_not_null, **constraints)


class Input(BaseModel):
    """Request bodies: unknown fields are an error naming the field."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


class Unset(enum.Enum):
    """The type of ``UNSET``. An enum of one member, so that ``x is not UNSET`` narrows
    ``str | None | Unset`` to ``str | None`` for mypy."""

    UNSET = "UNSET"

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final = Unset.UNSET
"""A field of typed changes that the caller did not send (``None`` is a sent null)."""

C = TypeVar("C")


def changes_of(cls: type[C], body: BaseModel, *, replace: bool = False) -> C:
    """The typed changes ``cls`` (a dataclass whose fields default to ``UNSET``) that
    ``body`` carries: a field it did not send stays ``UNSET``. ``replace`` (a PUT): every
    field of ``cls`` counts as sent, with the body's value or default."""
    sent = type(body).model_fields.keys() if replace else body.model_fields_set
    given = {
        f.name: getattr(body, f.name)
        for f in dataclasses.fields(cls)  # type: ignore[arg-type]
        if f.name in sent
    }
    return cls(**given)


def sent(changes: object) -> dict[str, Any]:
    """The fields of typed ``changes`` that were sent, by name: for writing them to a row
    or a statement in one step (the names are the row's column names)."""
    return {
        f.name: value
        for f in dataclasses.fields(changes)  # type: ignore[arg-type]
        if (value := getattr(changes, f.name)) is not UNSET
    }


class Meta(BaseModel):
    request_id: str
    timestamp: datetime


class ListMeta(Meta):
    page: int
    per_page: int
    total: int
    has_more: bool


class ErrorDetail(BaseModel):
    index: int
    field: str | None = None
    message: str


class ErrorBody(BaseModel):
    code: str
    message: str
    field: str | None = None
    details: list[ErrorDetail] | None = None


class ErrorEnvelope(BaseModel):
    data: None
    error: ErrorBody
    meta: Meta


T = TypeVar("T")


class Envelope(BaseModel, Generic[T]):
    data: T
    error: None
    meta: Meta


class ListEnvelope(BaseModel, Generic[T]):
    data: list[T]
    error: None
    meta: ListMeta


class QueryModel(BaseModel):
    """Base for a route's query parameters (see ``api.query``): unknown ones are ignored."""

    model_config = ConfigDict(extra="ignore", frozen=True)


class Paging(QueryModel):
    page: int | None = Field(None, ge=1, le=1_000_000)
    per_page: int | None = Field(None, ge=1, le=1_000)


class BulkIds(Input):
    """The body of a bulk delete: the ids, for lists too long for a URL."""

    ids: list[Id] = Field(min_length=1, max_length=10_000)
