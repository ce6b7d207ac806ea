"""``POST /v1/imports/time-entries``: a Toggl Track or Clockify CSV export becomes time
entries of the caller, in their personal workspace.

Projects, clients, tasks and tags are matched by name without case, or made. Each row's
fingerprint is kept in ``time_entries.external_id``: a row imported before is left alone,
so importing the same export twice adds nothing. All or nothing; a dry run reports the
same counts and writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from timeboxd.db.tracking import TimeEntry
from timeboxd.domain.wallclock import is_valid_zone
from timeboxd.errors import Conflict, ValidationFailed
from timeboxd.schemas.imports import CreatedRef, EntryImportOut
from timeboxd.services.accounts.users import personal_workspace_id
from timeboxd.services.context import Principal
from timeboxd.services.imports import entries_csv
from timeboxd.services.imports.common import Report, Upload, decode
from timeboxd.services.imports.entries_csv import EntryRow, Source, SourceChoice
from timeboxd.services.imports.names import Names
from timeboxd.services.tracking import entries_bulk
from timeboxd.services.tracking.entries_bulk import ImportedEntry


@dataclass(slots=True)
class EntryImportOptions:
    source: SourceChoice = "auto"
    timezone: str | None = None  # the zone the file's times are in; the account's if None
    dry_run: bool = False


@dataclass(slots=True)
class EntryFile:
    """An export read and checked, before anything is compared or written."""

    source: Source
    timezone: str
    dry_run: bool
    rows: list[EntryRow]
    report: Report


def read_entries(principal: Principal, upload: Upload, options: EntryImportOptions) -> EntryFile:
    """Parse and check the export; touches no database (see blocks.read_blocks for why)."""
    tz_name = options.timezone or principal.timezone
    if not is_valid_zone(tz_name):
        raise ValidationFailed(f"unknown IANA time zone {tz_name!r}", field="timezone")
    source, rows, report = entries_csv.parse(decode(upload.data), options.source, tz_name)
    return EntryFile(source, tz_name, options.dry_run, rows, report)


def import_entries(
    session: Session, principal: Principal, now: datetime, file: EntryFile
) -> EntryImportOut:
    """Compare the read export with earlier imports and write the new rows."""
    source, tz_name, rows, report = file.source, file.timezone, file.rows, file.report
    known = _imported(session, principal, [r.key for r in rows])
    fresh = [r for r in rows if r.key not in known]
    workspace_id = personal_workspace_id(session, principal.user_id)
    names = Names(session, principal, workspace_id)
    refs = [names.plan(r.project, r.client, r.task, r.tags) for r in fresh]
    if not file.dry_run:
        names.create(now)
        resolved = [(row, names.resolve(ref)) for row, ref in zip(fresh, refs, strict=True)]
        try:
            items = _imported_entries(resolved, names.billable)
            entries_bulk.insert_imported(session, principal, now, workspace_id, items)
        except IntegrityError:
            raise Conflict(
                "some of these rows were imported meanwhile by another request; try again",
                field="file",
            ) from None
    return EntryImportOut(
        source=source,
        timezone=tz_name,
        dry_run=file.dry_run,
        created=len(fresh),
        unchanged=len(rows) - len(fresh),
        skipped=report.count,
        projects_created=[CreatedRef(i, n) for i, n in names.created("project")],
        clients_created=[CreatedRef(i, n) for i, n in names.created("client")],
        tasks_created=[CreatedRef(i, n) for i, n in names.created("task")],
        tags_created=[CreatedRef(i, n) for i, n in names.created("tag")],
        skipped_items=report.items,
    )


def _imported(session: Session, principal: Principal, keys: list[str]) -> set[str]:
    found: set[str] = set()
    for i in range(0, len(keys), 5000):
        found.update(
            k
            for k in session.scalars(
                select(TimeEntry.external_id).where(
                    TimeEntry.user_id == principal.user_id,
                    TimeEntry.livemode == principal.livemode,
                    TimeEntry.external_id.in_(keys[i : i + 5000]),
                )
            )
            if k
        )
    return found


def _imported_entries(
    rows: list[tuple[EntryRow, tuple[str | None, str | None, list[str]]]],
    billable_default: dict[str, bool],
) -> list[ImportedEntry]:
    """The file's rows as entries: a row that does not say whether it is billable takes
    its project's default."""
    items = []
    for row, (project_id, task_id, tag_ids) in rows:
        billable = row.billable
        if billable is None:
            billable = billable_default.get(project_id, False) if project_id else False
        items.append(
            ImportedEntry(
                start_at=row.start_at,
                end_at=row.end_at,
                description=row.description,
                billable=billable,
                external_id=row.key,
                project_id=project_id,
                task_id=task_id,
                tag_ids=tag_ids,
            )
        )
    return items
