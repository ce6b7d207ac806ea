"""``/v1/events``: the change feed."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from starlette.responses import Response

from timeboxd.api import envelope
from timeboxd.api.deps import Ctx, UnitOfWorkRoute, scoped
from timeboxd.api.query import query
from timeboxd.schemas.events import FeedEnvelope, FeedParams
from timeboxd.services.events import feed

router = APIRouter(route_class=UnitOfWorkRoute, prefix="/v1/events", tags=["events"])


@router.get("", operation_id="listEvents", response_model=FeedEnvelope)
def list_events(ctx: Ctx = scoped(None), p: FeedParams = Depends(query(FeedParams))) -> Response:
    """Every change of the caller's resources, in commit order, after the cursor ``after``
    (``meta.next`` of the previous call; ``meta.has_more``: call again at once). Only the
    types the key's scopes may read; ``410 CURSOR_EXPIRED`` once the cursor's event is
    older than the retention period."""
    found = feed.read(ctx.session, ctx.principal, p.after, feed.patterns(p.types), p.limit)
    body = {
        "data": found.events,
        "error": None,
        "meta": envelope.meta(ctx.request_id, ctx.now, next=found.next, has_more=found.has_more),
    }
    return envelope.JSONBody(body)
