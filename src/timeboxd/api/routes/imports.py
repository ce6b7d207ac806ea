"""``/v1/imports``: files from elsewhere become blocks and time entries.

A file comes as the multipart field ``file`` or as the raw body with its content type
(the platform middleware lets these bodies through without the JSON check and has
already buffered them within TIMEBOXD_MAX_BODY_BYTES).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from starlette.datastructures import UploadFile
from starlette.responses import Response

from timeboxd.api.deps import Ctx, UnitOfWorkRoute, scoped
from timeboxd.errors import ValidationFailed
from timeboxd.schemas.common import Envelope, LocalDate, TimeZoneName
from timeboxd.schemas.imports import BlockImportOut, EntryImportOut
from timeboxd.services.imports import blocks as block_imports
from timeboxd.services.imports import entries as entry_imports
from timeboxd.services.imports.blocks import BlockImportOptions
from timeboxd.services.imports.common import Upload
from timeboxd.services.imports.entries import EntryImportOptions

router = APIRouter(route_class=UnitOfWorkRoute, prefix="/v1/imports", tags=["imports"])


def _upload_body(*types: str) -> dict[str, Any]:
    """The request body for the OpenAPI document (it is read by hand, not by FastAPI)."""
    content: dict[str, Any] = {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "properties": {"file": {"type": "string", "format": "binary"}},
                "required": ["file"],
            }
        }
    }
    content.update({t: {"schema": {"type": "string"}} for t in types})
    return {"requestBody": {"required": True, "content": content}}


async def upload(request: Request) -> Upload:
    ctype = request.headers.get("content-type", "")
    if ctype.lower().startswith("multipart/form-data"):
        async with request.form(max_files=1, max_fields=20) as form:
            part = form.get("file")
            if not isinstance(part, UploadFile):
                raise ValidationFailed("send the file in the multipart field 'file'", field="file")
            return Upload(await part.read(), part.filename, part.content_type)
    body = await request.body()
    if not body:
        raise ValidationFailed(
            "send a file: the multipart field 'file', or the raw body with its content type",
            field="file",
        )
    return Upload(body, None, ctype or None)


def block_options(
    format: Annotated[
        Literal["csv", "ics"] | None,
        Query(description="otherwise told from the content type, file name or content"),
    ] = None,
    dry_run: Annotated[bool, Query(description="check and report; write nothing")] = False,
    window_from: Annotated[
        LocalDate | None, Query(alias="from", description="ICS: first local date [today-30]")
    ] = None,
    window_to: Annotated[
        LocalDate | None, Query(alias="to", description="ICS: last local date [today+365]")
    ] = None,
    all_day: Annotated[
        Literal["skip", "import"],
        Query(description="ICS: all-day events are skipped or become 00:00-23:59 blocks"),
    ] = "skip",
) -> BlockImportOptions:
    return BlockImportOptions(format, dry_run, window_from, window_to, all_day)


def entry_options(
    source: Literal["toggl", "clockify", "auto"] = "auto",
    timezone: Annotated[
        TimeZoneName | None, Query(description="the zone of the file's times [the account's]")
    ] = None,
    dry_run: Annotated[bool, Query(description="check and report; write nothing")] = False,
) -> EntryImportOptions:
    return EntryImportOptions(source, timezone, dry_run)


@router.post(
    "/blocks",
    operation_id="importBlocks",
    response_model=Envelope[BlockImportOut],
    openapi_extra=_upload_body("text/csv", "text/calendar"),
)
def import_blocks(
    ctx: Ctx = scoped("write:blocks"),
    file: Upload = Depends(upload),
    options: BlockImportOptions = Depends(block_options),
) -> Response:
    # The file is read before ctx.session is first used: that opens the write transaction.
    read = block_imports.read_blocks(ctx.principal, ctx.now, file, options)
    return ctx.ok(block_imports.import_blocks(ctx.session, ctx.principal, ctx.now, read))


@router.post(
    "/time-entries",
    operation_id="importTimeEntries",
    response_model=Envelope[EntryImportOut],
    openapi_extra=_upload_body("text/csv"),
)
def import_time_entries(
    ctx: Ctx = scoped("write:time_entries"),
    file: Upload = Depends(upload),
    options: EntryImportOptions = Depends(entry_options),
) -> Response:
    read = entry_imports.read_entries(ctx.principal, file, options)  # before ctx.session
    return ctx.ok(entry_imports.import_entries(ctx.session, ctx.principal, ctx.now, read))
