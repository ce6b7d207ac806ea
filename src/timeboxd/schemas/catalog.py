"""Field types the client, contact, tag and task bodies share."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, WithJsonSchema

from timeboxd.schemas.common import Paging

COLOR = r"^#[0-9A-Fa-f]{6}$"
# A plausible address; whether it receives mail is not ours to check.
EMAIL = r"^[^@\s\x00]+@[^@\s\x00]+\.[^@\s\x00]+$"
EmailStr = Annotated[str, Field(max_length=320, pattern=EMAIL)]


def _trimmed(value: str) -> str:
    """Names are shown and matched as people read them: " Exam" is "Exam"."""
    value = value.strip()
    if not value:
        raise ValueError("must not be blank")
    return value


Name = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_trimmed)]
TagName = Annotated[str, Field(min_length=1, max_length=100), AfterValidator(_trimmed)]


def _id_list(value: Any) -> list[str]:
    """A list of ids, refused as a whole (naming the field) rather than item by item."""
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError("must be a list of id strings")
    if len(value) > 50:
        raise ValueError("at most 50 ids")
    return value


IdList = Annotated[
    list[str],
    BeforeValidator(_id_list),
    WithJsonSchema({"type": "array", "items": {"type": "string"}, "maxItems": 50}),
]


class WorkspaceListQuery(Paging):
    """Clients and tags: optionally those of one workspace."""

    workspace_id: str | None = Field(None, max_length=32)
