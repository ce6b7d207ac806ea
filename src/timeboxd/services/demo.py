"""``timeboxd demo``: a student's term so a first run has something to show."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from timeboxd.db.models import User
from timeboxd.domain.wallclock import local_today
from timeboxd.schemas.blocks import BlockFields, BlockOut
from timeboxd.schemas.projects import ProjectCreate
from timeboxd.services.accounts import apikeys
from timeboxd.services.accounts import users as accounts
from timeboxd.services.catalog import projects
from timeboxd.services.context import Principal
from timeboxd.services.planning.blocks_bulk import bulk_create
from timeboxd.services.tracking.entries import EntryFields, new_entry

DEMO_EMAIL = "demo@timeboxd.local"

SUBJECTS = [
    ("Linear Algebra", "#4F46E5", ["Eigenvalues", "Problem set", "Lecture review", "Proofs"]),
    ("Organic Chemistry", "#059669", ["Reaction mechanisms", "Lab report", "Flashcards"]),
    ("European History", "#D97706", ["Reading: chapter", "Essay outline", "Seminar prep"]),
    ("Programming", "#DC2626", ["Exercises", "Project sprint", "Code review", "Algorithms"]),
]
SLOTS = [
    (time(8, 30), 90),
    (time(10, 30), 60),
    (time(13, 0), 120),
    (time(16, 0), 45),
    (time(19, 0), 50),
]


@dataclass(slots=True)
class DemoResult:
    created: bool
    secret: str
    projects: int = 0
    blocks: int = 0
    done: int = 0
    entries: int = 0


def seed(session: Session, now: datetime, email: str, tz_name: str) -> DemoResult:
    existing = session.scalar(select(User).where(User.email == email.strip().lower()))
    if existing is not None:
        key = apikeys.create_key(session, now, existing.id, name="demo")
        return DemoResult(created=False, secret=key.secret)
    user = accounts.create_user(session, now, email, name="Demo Student", timezone=tz_name)
    user.daily_goal_minutes = 180
    principal = Principal(user.id, True, frozenset({"*"}), None, tz_name, user.week_start)
    project_ids = []
    for name, color, _ in SUBJECTS:
        view, _ = projects.create_project(
            session,
            principal,
            now,
            ProjectCreate(name=name, color=color, budget_minutes=3000),
        )
        project_ids.append(view.id)
    rng = random.Random(7)
    today = local_today(now, tz_name)
    items: list[BlockFields] = []
    for offset in range(-56, 15):
        day = today + timedelta(days=offset)
        per_day = 1 if day.weekday() >= 5 else rng.choice((2, 3, 3))
        for start, minutes in sorted(rng.sample(SLOTS, per_day)):
            subject = rng.randrange(len(SUBJECTS))
            end = (datetime.combine(day, start) + timedelta(minutes=minutes)).time()
            items.append(
                BlockFields(
                    date=day,
                    start=start,
                    end=end,
                    topic=rng.choice(SUBJECTS[subject][2]),
                    project_id=project_ids[subject],
                    done=offset < 0 and rng.random() < 0.8,
                )
            )
    views = bulk_create(session, principal, now, items)
    tracked = _track_done_blocks(session, principal, now, views, rng)
    key = apikeys.create_key(session, now, user.id, name="demo")
    return DemoResult(
        created=True,
        secret=key.secret,
        projects=len(project_ids),
        blocks=len(views),
        done=sum(1 for v in views if v.done),
        entries=tracked,
    )


def _track_done_blocks(
    session: Session,
    principal: Principal,
    now: datetime,
    views: list[BlockOut],
    rng: random.Random,
) -> int:
    """Most done blocks were also timed: a session that started a little late and ran a
    little over or under, as real ones do."""
    count = 0
    for block in views:
        if not block.done or rng.random() < 0.25:
            continue
        start = block.start_at + timedelta(minutes=rng.randint(0, 10))
        end = block.end_at + timedelta(minutes=rng.randint(-15, 10))
        fields = EntryFields(
            start_at=start.astimezone(UTC),
            end_at=end.astimezone(UTC),
            description=block.topic,
            project_id=block.project_id,
            block_id=block.id,
        )
        new_entry(session, principal, now, fields, "timer")
        count += 1
    return count
