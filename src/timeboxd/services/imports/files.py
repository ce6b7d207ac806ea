"""An import from the command line: a file for an account given by email, of a kind
told from the file unless named."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session

from timeboxd.errors import ValidationFailed
from timeboxd.schemas.imports import BlockImportOut, EntryImportOut
from timeboxd.services.accounts.users import find_user_by_email
from timeboxd.services.context import Principal
from timeboxd.services.imports.blocks import BlockImportOptions, import_blocks
from timeboxd.services.imports.common import Upload
from timeboxd.services.imports.detect import FileKind, file_kind
from timeboxd.services.imports.entries import EntryImportOptions, import_entries
from timeboxd.services.imports.ics import AllDay


@dataclass(slots=True)
class FileOptions:
    kind: FileKind | None = None
    dry_run: bool = False
    timezone: str | None = None  # Toggl and Clockify files only
    window_from: date | None = None
    window_to: date | None = None
    all_day: AllDay = "skip"


def import_file(
    session: Session, now: datetime, email: str, upload: Upload, options: FileOptions
) -> BlockImportOut | EntryImportOut:
    """Into the account's live data, as the account itself (all scopes)."""
    user = find_user_by_email(session, email)
    principal = Principal(user.id, True, frozenset({"*"}), None, user.timezone, user.week_start)
    kind = options.kind or file_kind(upload)
    if kind == "toggl" or kind == "clockify":
        entry_options = EntryImportOptions(kind, options.timezone, options.dry_run)
        return import_entries(session, principal, now, upload, entry_options)
    if options.timezone is not None:
        raise ValidationFailed(
            "a time zone applies to Toggl and Clockify files; blocks are placed in the "
            f"account's time zone ({user.timezone})",
            field="timezone",
        )
    block_options = BlockImportOptions(
        kind, options.dry_run, options.window_from, options.window_to, options.all_day
    )
    return import_blocks(session, principal, now, upload, block_options)
