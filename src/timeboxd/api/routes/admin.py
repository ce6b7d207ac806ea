"""``/v1/admin/version``: the version check, for the server's admins."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from timeboxd import __version__
from timeboxd.api.deps import Ctx, UnitOfWorkRoute, runtime, scoped
from timeboxd.schemas.admin import VersionDismiss, VersionOut
from timeboxd.schemas.common import Envelope
from timeboxd.services.admin import releases

router = APIRouter(route_class=UnitOfWorkRoute, prefix="/v1/admin", tags=["admin"])
admin = scoped("admin")


@router.get("/version", operation_id="getVersion", response_model=Envelope[VersionOut])
async def get_version(request: Request, ctx: Ctx = admin) -> Response:
    """The installed version, the latest release the last daily look found (null when it
    failed or none was made yet) and whether to tell the caller about it."""
    feed = runtime(request).settings.release_feed_url
    return ctx.ok(releases.version_status(ctx.session, ctx.principal, feed, __version__))


@router.post("/version/dismiss", operation_id="dismissVersion", response_model=Envelope[VersionOut])
def dismiss_version(request: Request, body: VersionDismiss, ctx: Ctx = admin) -> Response:
    """Stop telling the caller about this release (a later one is told again)."""
    feed = runtime(request).settings.release_feed_url
    return ctx.ok(releases.dismiss(ctx.session, ctx.principal, ctx.now, feed, __version__, body))
