"""Pagination as SPEC §2 writes it: no page/per_page returns up to 10,000 rows at once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from timeboxd.errors import ValidationFailed

T = TypeVar("T")

UNPAGED_LIMIT = 10_000
DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 1_000
MAX_PAGE = 1_000_000


@dataclass(frozen=True, slots=True)
class PageRequest:
    page: int
    limit: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.limit

    @classmethod
    def parse(cls, page: int | None, per_page: int | None) -> PageRequest:
        if page is None and per_page is None:
            return cls(page=1, limit=UNPAGED_LIMIT)
        if page is not None and not 1 <= page <= MAX_PAGE:
            raise ValidationFailed(f"page must be 1 to {MAX_PAGE}", field="page")
        if per_page is not None and not 1 <= per_page <= MAX_PER_PAGE:
            raise ValidationFailed(f"per_page must be 1 to {MAX_PER_PAGE}", field="per_page")
        return cls(page=page or 1, limit=per_page or DEFAULT_PER_PAGE)


@dataclass(slots=True)
class Page(Generic[T]):
    items: list[T]
    page: int
    per_page: int
    total: int
    has_more: bool
