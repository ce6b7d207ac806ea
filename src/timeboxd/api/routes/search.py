"""``/v1/search?q=``: one query across what the caller may see."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from starlette.responses import Response

from timeboxd.api.deps import Ctx, UnitOfWorkRoute, scoped
from timeboxd.api.query import query
from timeboxd.schemas.common import Envelope
from timeboxd.schemas.search import HitOut, SearchParams
from timeboxd.services.insights import search as searching

router = APIRouter(route_class=UnitOfWorkRoute, prefix="/v1/search", tags=["search"])


@router.get("", operation_id="search", response_model=Envelope[list[HitOut]])
def search(ctx: Ctx = scoped(None), p: SearchParams = Depends(query(SearchParams))) -> Response:
    """Projects, tasks, clients, block topics and entry descriptions; each kind needs the
    key's read scope for it (read:projects, read:blocks, read:time_entries) or
    read:reports. A plain ``def``: a search over a large account can take tens of
    milliseconds, which would stall every other request on the event loop."""
    return ctx.ok(searching.find(ctx.session, ctx.principal, p))
