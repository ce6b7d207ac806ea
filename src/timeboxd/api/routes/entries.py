"""``/v1/time-entries`` and approvals: tracked time."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from starlette.responses import Response

from timeboxd.api.deps import Ctx, UnitOfWorkRoute, scoped
from timeboxd.api.routes.common import IdsParam, IfMatch, PageParam, PerPageParam, bulk_ids
from timeboxd.schemas.common import BulkIds, Envelope, ListEnvelope, LocalDate, changes_of
from timeboxd.schemas.entries import (
    EntriesDeleted,
    EntryBulkCreate,
    EntryBulkPatch,
    EntryChanges,
    EntryCreate,
    EntryOut,
    EntryPatch,
    EntryPut,
    ReviewBody,
)
from timeboxd.services.paging import PageRequest
from timeboxd.services.tracking import approvals, entries, entries_bulk, entries_query
from timeboxd.services.tracking.entries_query import EntryFilter

router = APIRouter(route_class=UnitOfWorkRoute, prefix="/v1", tags=["time entries"])
read = scoped("read:time_entries")
write = scoped("write:time_entries")
Id = Annotated[str | None, Query(max_length=32)]


async def filters(
    date_from: LocalDate | None = None,
    date_to: LocalDate | None = None,
    project_id: Id = None,
    task_id: Id = None,
    tag_id: Id = None,
    billable: bool | None = None,
    user_id: Annotated[
        str | None, Query(max_length=32, description="admins: another member's entries")
    ] = None,
) -> EntryFilter:
    return EntryFilter(date_from, date_to, project_id, task_id, tag_id, billable, user_id)


@router.get("/time-entries", operation_id="listTimeEntries", response_model=ListEnvelope[EntryOut])
async def list_entries(
    page: PageParam = None,
    per_page: PerPageParam = None,
    f: EntryFilter = Depends(filters),
    ctx: Ctx = read,
) -> Response:
    paging = PageRequest.parse(page, per_page)
    return ctx.page(entries_query.list_entries(ctx.session, ctx.principal, ctx.now, f, paging))


@router.post(
    "/time-entries",
    operation_id="createTimeEntry",
    status_code=201,
    response_model=Envelope[EntryOut],
)
def create_entry(body: EntryCreate, ctx: Ctx = write) -> Response:
    view, tag = entries.create_entry(ctx.session, ctx.principal, ctx.now, body)
    return ctx.ok(view, status=201, etag=tag)


@router.post(
    "/time-entries/bulk",
    operation_id="bulkCreateTimeEntries",
    status_code=201,
    response_model=Envelope[list[EntryOut]],
)
def bulk_create(body: EntryBulkCreate, ctx: Ctx = write) -> Response:
    created = entries_bulk.bulk_create(ctx.session, ctx.principal, ctx.now, body.time_entries)
    return ctx.ok(created, status=201)


@router.patch(
    "/time-entries/bulk",
    operation_id="bulkUpdateTimeEntries",
    response_model=Envelope[list[EntryOut]],
)
def bulk_update(body: EntryBulkPatch, ctx: Ctx = write) -> Response:
    items = [(e.id, changes_of(EntryChanges, e)) for e in body.time_entries]
    return ctx.ok(entries_bulk.bulk_update(ctx.session, ctx.principal, ctx.now, items))


@router.delete(
    "/time-entries/bulk",
    operation_id="bulkDeleteTimeEntries",
    response_model=Envelope[EntriesDeleted],
)
def bulk_delete(ids: IdsParam = None, body: BulkIds | None = None, ctx: Ctx = write) -> Response:
    wanted = bulk_ids(ids, body)
    return ctx.ok(entries_bulk.bulk_delete(ctx.session, ctx.principal, ctx.now, wanted))


@router.get(
    "/time-entries/{entry_id}", operation_id="getTimeEntry", response_model=Envelope[EntryOut]
)
async def get_entry(entry_id: str, ctx: Ctx = read) -> Response:
    view, tag = entries.get_entry(ctx.session, ctx.principal, ctx.now, entry_id)
    return ctx.ok(view, etag=tag)


@router.put(
    "/time-entries/{entry_id}", operation_id="replaceTimeEntry", response_model=Envelope[EntryOut]
)
def replace_entry(
    entry_id: str, body: EntryPut, if_match: IfMatch = None, ctx: Ctx = write
) -> Response:
    changes = changes_of(EntryChanges, body, replace=True)
    view, tag = entries.update_entry(
        ctx.session, ctx.principal, ctx.now, entry_id, changes, if_match
    )
    return ctx.ok(view, etag=tag)


@router.patch(
    "/time-entries/{entry_id}", operation_id="updateTimeEntry", response_model=Envelope[EntryOut]
)
def update_entry(
    entry_id: str, body: EntryPatch, if_match: IfMatch = None, ctx: Ctx = write
) -> Response:
    changes = changes_of(EntryChanges, body)
    view, tag = entries.update_entry(
        ctx.session, ctx.principal, ctx.now, entry_id, changes, if_match
    )
    return ctx.ok(view, etag=tag)


@router.delete(
    "/time-entries/{entry_id}", operation_id="deleteTimeEntry", response_model=Envelope[None]
)
def delete_entry(entry_id: str, if_match: IfMatch = None, ctx: Ctx = write) -> Response:
    entries.delete_entry(ctx.session, ctx.principal, ctx.now, entry_id, if_match)
    return ctx.ok(None)


@router.post(
    "/time-entries/{entry_id}/submit",
    operation_id="submitTimeEntry",
    response_model=Envelope[EntryOut],
)
def submit(entry_id: str, if_match: IfMatch = None, ctx: Ctx = write) -> Response:
    view, tag = approvals.submit(ctx.session, ctx.principal, ctx.now, entry_id, if_match)
    return ctx.ok(view, etag=tag)


@router.post(
    "/time-entries/{entry_id}/approve",
    operation_id="approveTimeEntry",
    response_model=Envelope[EntryOut],
)
def approve(
    entry_id: str, body: ReviewBody | None = None, if_match: IfMatch = None, ctx: Ctx = write
) -> Response:
    comment = body.comment if body else None
    view, tag = approvals.review(
        ctx.session, ctx.principal, ctx.now, entry_id, True, comment, if_match
    )
    return ctx.ok(view, etag=tag)


@router.post(
    "/time-entries/{entry_id}/reject",
    operation_id="rejectTimeEntry",
    response_model=Envelope[EntryOut],
)
def reject(
    entry_id: str, body: ReviewBody | None = None, if_match: IfMatch = None, ctx: Ctx = write
) -> Response:
    comment = body.comment if body else None
    view, tag = approvals.review(
        ctx.session, ctx.principal, ctx.now, entry_id, False, comment, if_match
    )
    return ctx.ok(view, etag=tag)


@router.post(
    "/time-entries/{entry_id}/reopen",
    operation_id="reopenTimeEntry",
    response_model=Envelope[EntryOut],
)
def reopen(entry_id: str, if_match: IfMatch = None, ctx: Ctx = write) -> Response:
    view, tag = approvals.reopen(ctx.session, ctx.principal, ctx.now, entry_id, if_match)
    return ctx.ok(view, etag=tag)


@router.get(
    "/time-entry-approvals",
    operation_id="listApprovalQueue",
    response_model=ListEnvelope[EntryOut],
)
async def approval_queue(
    page: PageParam = None, per_page: PerPageParam = None, ctx: Ctx = read
) -> Response:
    paging = PageRequest.parse(page, per_page)
    return ctx.page(approvals.queue(ctx.session, ctx.principal, ctx.now, paging))
