"""An import from the command line: a file for an account given by email, of a kind
told from the file unless named."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from timeboxd.errors import ValidationFailed
from timeboxd.schemas.imports import BlockImportOut, EntryImportOut
from timeboxd.services.accounts.users import find_user_by_email
from timeboxd.services.context import Principal
from timeboxd.services.database import Database
from timeboxd.services.imports.blocks import BlockImportOptions, import_blocks, read_blocks
from timeboxd.services.imports.common import Upload
from timeboxd.services.imports.detect import FileKind, file_kind
from timeboxd.services.imports.entries import EntryImportOptions, import_entries, read_entries
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
    db: Database, now: datetime, email: str, upload: Upload, options: FileOptions
) -> BlockImportOut | EntryImportOut:
    """Into the account's live data, as the account itself (all scopes). The account is
    looked up, then the file read and checked, and only then the write transaction opened,
    so other writers never wait for the reading (SQLite has one write lock)."""
    with db.read() as session:
        user = find_user_by_email(session, email)
        principal = Principal(user.id, True, frozenset({"*"}), None, user.timezone, user.week_start)
    kind = options.kind or file_kind(upload)
    if kind == "toggl" or kind == "clockify":
        entry_options = EntryImportOptions(kind, options.timezone, options.dry_run)
        entries = read_entries(principal, upload, entry_options)
        with db.write() as session:  # a dry run too: the import then writes nothing
            return import_entries(session, principal, now, entries)
    if options.timezone is not None:
        raise ValidationFailed(
            "a time zone applies to Toggl and Clockify files; blocks are placed in the "
            f"account's time zone ({principal.timezone})",
            field="timezone",
        )
    block_options = BlockImportOptions(
        kind, options.dry_run, options.window_from, options.window_to, options.all_day
    )
    blocks = read_blocks(principal, now, upload, block_options)
    with db.write() as session:
        return import_blocks(session, principal, now, blocks)
