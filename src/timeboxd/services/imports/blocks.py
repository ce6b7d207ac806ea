"""``POST /v1/imports/blocks``: a syllabus CSV or an iCalendar file becomes blocks.

One transaction, all or nothing. The file is read and checked first (``read_blocks``,
without the database: on SQLite a write transaction holds the database's one write lock
from its first statement, so expanding a calendar inside it would stall every other
writer), then compared with what earlier imports wrote (``blocks.external_uid``), and only
then written: a dry run stops before the writing and reports the same counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from timeboxd.db.models import Block
from timeboxd.domain.wallclock import local_today
from timeboxd.errors import Conflict, ErrorItem, ValidationFailed
from timeboxd.schemas.blocks import BlockChanges, BlockFields, BlockUpdate
from timeboxd.schemas.common import MAX_YEAR, MIN_YEAR, UNSET
from timeboxd.schemas.imports import BlockImportOut, CreatedRef
from timeboxd.services.accounts.users import personal_workspace_id
from timeboxd.services.context import Principal
from timeboxd.services.imports import blocks_csv, ics, lookups
from timeboxd.services.imports.common import Report, Upload, decode, normalize_name
from timeboxd.services.imports.detect import BlockFormat, block_format
from timeboxd.services.imports.planned import PlannedBlock
from timeboxd.services.planning import blocks_bulk

WINDOW_PAST = timedelta(days=30)
WINDOW_FUTURE = timedelta(days=365)
MAX_WINDOW = timedelta(days=3 * 366)


@dataclass(slots=True)
class BlockImportOptions:
    format: BlockFormat | None = None
    dry_run: bool = False
    window_from: date | None = None
    window_to: date | None = None
    all_day: ics.AllDay = "skip"


def window(now: datetime, tz_name: str, start: date | None, end: date | None) -> ics.Window:
    """The local dates an ICS import covers: 30 days back to 365 ahead by default."""
    today = local_today(now, tz_name)
    start = start or today - WINDOW_PAST
    end = end or today + WINDOW_FUTURE
    for name, day in (("from", start), ("to", end)):
        if not MIN_YEAR <= day.year <= MAX_YEAR:
            raise ValidationFailed(f"{name} must be between {MIN_YEAR} and {MAX_YEAR}", field=name)
    if end < start:
        raise ValidationFailed("to must not be before from", field="to")
    if end - start > MAX_WINDOW:
        raise ValidationFailed("the window spans at most three years", field="to")
    return ics.Window(start, end)


@dataclass(slots=True)
class BlockFile:
    """A file read and checked, before anything is compared or written."""

    kind: BlockFormat
    dry_run: bool
    planned: list[PlannedBlock]
    report: Report
    plan: ics.IcsPlan | None = None
    span: ics.Window | None = None


def read_blocks(
    principal: Principal, now: datetime, upload: Upload, options: BlockImportOptions
) -> BlockFile:
    """Parse, check and expand the file; touches no database."""
    kind = options.format or block_format(upload)
    if kind == "csv":
        planned, report = blocks_csv.parse(decode(upload.data), principal.timezone)
        return BlockFile(kind, options.dry_run, planned, report)
    span = window(now, principal.timezone, options.window_from, options.window_to)
    plan = ics.parse(upload.data, principal.timezone, span, options.all_day)
    return BlockFile(kind, options.dry_run, plan.blocks, plan.skipped, plan, span)


def import_blocks(
    session: Session, principal: Principal, now: datetime, file: BlockFile
) -> BlockImportOut:
    """Compare the read file with earlier imports and write the difference."""
    kind, planned, report, plan, span = file.kind, file.planned, file.report, file.plan, file.span
    writer = _Writer(session, principal, now)
    writer.compare(planned, report, overwrite=kind == "ics")
    if plan is not None and span is not None:
        writer.find_stale(plan, span)
    if not file.dry_run:
        try:
            writer.write()
        except IntegrityError:
            raise Conflict(
                "some of these blocks were imported meanwhile by another request; try again",
                field="file",
            ) from None
    return BlockImportOut(
        format=kind,
        dry_run=file.dry_run,
        window_from=span.start if span else None,
        window_to=span.end if span else None,
        created=len(writer.creates),
        updated=len(writer.updates),
        unchanged=writer.unchanged,
        deleted=len(writer.stale),
        skipped=report.count,
        # Made projects have their ids once written; in a dry run none has one yet.
        projects_created=[
            CreatedRef(writer.projects.get(n), name) for n, name in writer.new_projects.items()
        ],
        skipped_items=report.items,
    )


class _Writer:
    """Compares planned blocks with the stored ones, then writes the difference."""

    def __init__(self, session: Session, principal: Principal, now: datetime) -> None:
        self.session, self.principal, self.now = session, principal, now
        self.personal = personal_workspace_id(session, principal.user_id)
        visible = lookups.visible_projects(session, principal, self.personal, personal_only=False)
        self.projects = lookups.first_by_name(visible)
        self.new_projects: dict[str, str] = {}  # normalized -> name as first written
        self.creates: list[PlannedBlock] = []
        self.updates: list[tuple[str, PlannedBlock]] = []
        self.stale: list[str] = []
        self.unchanged = 0

    def compare(self, planned: list[PlannedBlock], report: Report, *, overwrite: bool) -> None:
        """``overwrite``: a block found again takes the file's values (a calendar is the
        source of truth); otherwise it is left as it is (a syllabus row imported before)."""
        stored = self._stored([p.key for p in planned])
        seen: set[str] = set()
        for item in planned:
            if item.key in seen:
                report.add(item.index, item.uid, f"{self._where(item)}: the same event twice")
                continue
            seen.add(item.key)
            row = stored.get(item.key)
            if row is None:
                self.creates.append(item)
                self._need_project(item)
            elif row.deleted_at is not None:
                report.add(
                    item.index,
                    item.uid,
                    f"{self._where(item)}: block {row.id} from an earlier import is in "
                    "the trash (restore it to bring it back)",
                )
            elif overwrite and self._differs(row, item):
                self.updates.append((row.id, item))
                self._need_project(item)
            else:
                self.unchanged += 1

    def _need_project(self, item: PlannedBlock) -> None:
        """A project is made only for blocks that are written, under its first spelling."""
        if item.project and normalize_name(item.project) not in self.projects:
            self.new_projects.setdefault(normalize_name(item.project), item.project)

    def find_stale(self, plan: ics.IcsPlan, span: ics.Window) -> None:
        """Blocks of the file's events, inside the window, whose occurrence is gone
        (cancelled, excluded, moved): to the trash, unless done (kept as history)."""
        rows = self.session.execute(
            select(Block.id, Block.external_uid).where(
                Block.user_id == self.principal.user_id,
                Block.livemode == self.principal.livemode,
                Block.external_uid.is_not(None),
                Block.deleted_at.is_(None),
                Block.done.is_(False),
                Block.date >= span.start,
                Block.date <= span.end,
            )
        )
        for block_id, key in rows:
            if key and key not in plan.occurring and _uid_of(key) in plan.uids:
                self.stale.append(block_id)

    def write(self) -> None:
        for norm, name in self.new_projects.items():
            self.projects[norm] = lookups.create_project(
                self.session, self.principal, self.now, name, self.personal
            )
        if self.creates:
            self._create()
        if self.updates:
            changes = [
                BlockUpdate(block_id, self._changes(item)) for block_id, item in self.updates
            ]
            blocks_bulk.bulk_update(self.session, self.principal, self.now, changes)
        if self.stale:
            blocks_bulk.bulk_delete(self.session, self.principal, self.now, self.stale)

    def _create(self) -> None:
        items = [
            BlockFields(p.date, p.start, p.end, p.topic, self._project_id(p)) for p in self.creates
        ]
        keys = [p.key for p in self.creates]
        try:
            blocks_bulk.bulk_create(self.session, self.principal, self.now, items, None, keys)
        except ValidationFailed as exc:  # checked while parsing; named by line if it happens
            details = [self._renumber(d) for d in exc.details]
            raise ValidationFailed(exc.message, field=exc.field, details=details) from None

    def _renumber(self, detail: ErrorItem) -> ErrorItem:
        item = self.creates[detail.index]
        return ErrorItem(item.index, detail.field, f"{self._where(item)}: {detail.message}")

    def _stored(self, keys: list[str]) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for i in range(0, len(keys), 5000):
            rows = self.session.execute(
                select(
                    Block.id,
                    Block.external_uid,
                    Block.date,
                    Block.start,
                    Block.end,
                    Block.topic,
                    Block.project_id,
                    Block.deleted_at,
                ).where(
                    Block.user_id == self.principal.user_id,
                    Block.livemode == self.principal.livemode,
                    Block.external_uid.in_(keys[i : i + 5000]),
                )
            )
            found.update({row.external_uid: row for row in rows})
        return found

    def _project_id(self, item: PlannedBlock) -> str | None:
        return self.projects.get(normalize_name(item.project)) if item.project else None

    def _differs(self, row: Any, item: PlannedBlock) -> bool:
        if (row.date, row.start, row.end, row.topic) != (
            item.date,
            item.start,
            item.end,
            item.topic,
        ):
            return True
        # A block keeps its project when the event names none (it may have been set by hand).
        if item.project is None:
            return False
        return normalize_name(item.project) not in self.projects or row.project_id != (
            self._project_id(item)
        )

    def _changes(self, item: PlannedBlock) -> BlockChanges:
        return BlockChanges(
            date=item.date,
            start=item.start,
            end=item.end,
            topic=item.topic,
            project_id=UNSET if item.project is None else self._project_id(item),
        )

    @staticmethod
    def _where(item: PlannedBlock) -> str:
        return f"event {item.uid} on {item.date}" if item.uid else f"line {item.index}"


def _uid_of(key: str) -> str:
    """The UID part of a stored ICS key (see ics.py for the key's shape)."""
    return key.split(";RECURRENCE-ID=", 1)[0].split(";DAY=", 1)[0]
