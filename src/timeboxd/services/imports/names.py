"""Names in a time-tracking export, resolved to the caller's projects, clients, tasks and
tags in their personal workspace: planned first (so a dry run can say what it would
make), made when the import is written.

A project is matched by name; when the row names a client, a project of that client
comes first, then one without a client. A client is made only together with a new
project; a task belongs to its row's project and is ignored on a row without one.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy.orm import Session

from timeboxd.services.context import Principal
from timeboxd.services.imports import lookups
from timeboxd.services.imports.common import normalize_name

Kind = Literal["project", "client", "task", "tag"]
# ("id", project id) for a project that exists; ("new", name + client) for one to make.
ProjectKey = tuple[str, str]


@dataclass(frozen=True, slots=True)
class Ref:
    project: ProjectKey | None
    task: str | None  # normalized task name, within the project
    tags: tuple[str, ...]  # normalized tag names


class Names:
    def __init__(self, session: Session, principal: Principal, workspace_id: str) -> None:
        self.session, self.principal, self.workspace_id = session, principal, workspace_id
        rows = lookups.visible_projects(session, principal, workspace_id, personal_only=True)
        self.projects: dict[str, list[lookups.ProjectRow]] = defaultdict(list)
        # An entry without a Billable value takes its project's (new projects: not billable).
        self.billable = {r.id: r.billable for r in rows}
        for row in rows:
            self.projects[normalize_name(row.name)].append(row)
        self.clients = lookups.clients_by_name(session, principal, workspace_id)
        self.tags = lookups.tags_by_name(session, principal, workspace_id)
        self.tasks = lookups.tasks_by_name(session, principal, (r.id for r in rows))
        self.new_projects: dict[ProjectKey, tuple[str, str | None]] = {}
        self.new_clients: dict[str, str] = {}
        self.new_tasks: dict[tuple[ProjectKey, str], str] = {}
        self.new_tags: dict[str, str] = {}
        self.made: dict[ProjectKey, str] = {}
        self.made_tasks: dict[tuple[ProjectKey, str], str] = {}

    def plan(
        self, project: str | None, client: str | None, task: str | None, tags: list[str]
    ) -> Ref:
        key = self._project(project, client) if project else None
        task_norm = normalize_name(task) if task and key else None
        if key is not None and task and task_norm:
            known = key[0] == "id" and (key[1], task_norm) in self.tasks
            if not known:
                self.new_tasks.setdefault((key, task_norm), task)
        tag_norms = tuple(normalize_name(t) for t in tags)
        for norm, name in zip(tag_norms, tags, strict=True):
            if norm not in self.tags:
                self.new_tags.setdefault(norm, name)
        return Ref(key, task_norm, tag_norms)

    def _project(self, name: str, client: str | None) -> ProjectKey:
        candidates = self.projects.get(normalize_name(name), [])
        client_id = self.clients.get(normalize_name(client)) if client else None
        without_client = [p for p in candidates if p.client_id is None]
        if client:
            same_client = [p for p in candidates if client_id and p.client_id == client_id]
            match = next(iter(same_client or without_client), None)
        else:
            match = next(iter(without_client or candidates), None)
        if match is not None:
            return ("id", match.id)
        client_norm = normalize_name(client) if client else ""
        key = ("new", f"{normalize_name(name)}\x1f{client_norm}")
        self.new_projects.setdefault(key, (name, client))
        if client and client_norm not in self.clients:
            self.new_clients.setdefault(client_norm, client)
        return key

    def create(self, now: datetime) -> None:
        s, p, w = self.session, self.principal, self.workspace_id
        for norm, name in self.new_clients.items():
            self.clients[norm] = lookups.create_client(s, p, now, w, name)
        for key, (name, client) in self.new_projects.items():
            client_id = self.clients[normalize_name(client)] if client else None
            self.made[key] = lookups.create_project(s, p, now, name, w, client_id)
        for (key, norm), name in self.new_tasks.items():
            self.made_tasks[(key, norm)] = lookups.create_task(s, p, now, self._id(key), name)
        for norm, name in self.new_tags.items():
            self.tags[norm] = lookups.create_tag(s, p, now, w, name)

    def _id(self, key: ProjectKey) -> str:
        return key[1] if key[0] == "id" else self.made[key]

    def resolve(self, ref: Ref) -> tuple[str | None, str | None, list[str]]:
        """Ids for a planned row, once :meth:`create` has run."""
        if ref.project is None:
            return None, None, [self.tags[t] for t in ref.tags]
        project_id = self._id(ref.project)
        task_id = None
        if ref.task is not None:
            task_id = self.made_tasks.get((ref.project, ref.task)) or self.tasks.get(
                (project_id, ref.task)
            )
        return project_id, task_id, [self.tags[t] for t in ref.tags]

    def created(self, kind: Kind) -> list[tuple[str | None, str]]:
        """What was made (in a dry run, what would be: without ids)."""
        if kind == "client":
            return [(self.clients.get(n), name) for n, name in self.new_clients.items()]
        if kind == "project":
            return [(self.made.get(k), v[0]) for k, v in self.new_projects.items()]
        if kind == "task":
            return [(self.made_tasks.get(k), name) for k, name in self.new_tasks.items()]
        return [(self.tags.get(n), name) for n, name in self.new_tags.items()]
