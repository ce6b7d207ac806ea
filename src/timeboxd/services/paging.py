"""Pagination as SPEC §2 writes it: no page/per_page returns up to 10,000 rows at once."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from timeboxd.errors import ValidationFailed

T = TypeVar("T")
U = TypeVar("U")

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

    def map(self, fn: Callable[[T], U]) -> Page[U]:
        return Page(
            [fn(item) for item in self.items], self.page, self.per_page, self.total, self.has_more
        )


def page_of(rows: Sequence[T], paging: PageRequest, count: Callable[[], int]) -> Page[T]:
    """The page of ``rows``, fetched with ``OFFSET paging.offset LIMIT paging.limit + 1``
    (the extra row says whether more follow). The total is counted with ``count`` only
    when the page alone cannot tell it: a last page that is not empty, or an empty first
    page, ends the list."""
    has_more = len(rows) > paging.limit
    items = list(rows[: paging.limit])
    if not has_more and (items or paging.offset == 0):
        total = paging.offset + len(items)
    else:
        total = count()
    return Page(items, paging.page, paging.limit, total, has_more)


def select_page(
    session: Session, stmt: Select[Any], paging: PageRequest, *, columns: bool = False
) -> Page[Any]:
    """One page of ``stmt`` (already ordered) through ``page_of``. ``columns``: the
    statement selects columns, and the page holds rows rather than objects."""
    result = session.execute(stmt.offset(paging.offset).limit(paging.limit + 1))
    rows = result.all() if columns else result.scalars().all()

    def count() -> int:
        return session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0

    return page_of(rows, paging, count)
