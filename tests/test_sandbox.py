"""A test key touches nothing live (SPEC §2 Auth): every route of the OpenAPI document,
called with a test key and the ids of a live team's rows, answers NOT_FOUND for a live id
in its path and changes no live row; workspaces a test key makes are sandbox workspaces."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, Table, or_, select

from tests.conftest import Persona, assert_error
from tests.factories import (
    LECTURE,
    TODAY,
    TOGGL,
    add_member,
    new_block,
    new_client,
    new_entry,
    new_project,
    new_series,
    new_tag,
    new_task,
    new_workspace,
    team_of,
)
from timeboxd.db.models import Base
from timeboxd.services.database import Database

# Not behind an API key (the feed's token is its own test, in test_calendar_feed.py).
OPEN = {"/health", "/ready", "/v1/calendar.ics"}
BLOCK = {"date": TODAY, "start": "09:00", "end": "10:00", "topic": "Zanzibar planning"}
HOOK = "https://93.184.215.14/hooks"  # a public address: no DNS needed
SPAN = {"start_at": "2026-11-23T09:00:00Z", "end_at": "2026-11-23T10:00:00Z"}


@dataclass
class World:
    """A live team: its owner (whose test key sweeps), a member, an outsider, and a row of
    every kind, live."""

    owner: Persona
    outsider_email: str
    users: list[str]
    workspaces: list[str]
    ids: dict[str, str]  # path parameter (or other reference) -> a live id

    def secrets(self) -> list[str]:
        """What no answer to the test key may contain: every live id but the caller's own
        user id and personal workspace, which the sandbox shares."""
        return [v for k, v in self.ids.items() if k not in ("owner_id", "personal_id")]


def live_world(owner: Persona, teammate: Persona, outsider: Persona) -> World:
    team = team_of(owner, teammate, "admin")
    client = new_client(owner, "Acme", workspace_id=team)
    contact = owner.ok("POST", f"/v1/clients/{client['id']}/contacts", 201, json={"name": "Bo"})
    tag = new_tag(owner, "urgent", workspace_id=team)
    project = new_project(owner, "Zanzibar", workspace_id=team, client_id=client["id"])
    task = new_task(owner, project["id"], "Kickoff", tag_ids=[tag["id"]])
    block = new_block(owner, **BLOCK, project_id=project["id"])
    series = new_series(owner, project_id=project["id"])
    draft = new_entry(owner, *SPAN.values(), project_id=project["id"], tag_ids=[tag["id"]])
    submitted = new_entry(teammate, *SPAN.values(), project_id=project["id"])
    teammate.ok("POST", f"/v1/time-entries/{submitted['id']}/submit")
    token = owner.ok("POST", "/v1/calendar/token", 201)["token"]
    key = owner.ok("POST", "/v1/api-keys", 201, json={"name": "laptop"})["id"]
    webhook = owner.ok("POST", "/v1/webhooks", 201, json={"url": HOOK})["id"]
    delivery = owner.ok("POST", f"/v1/webhooks/{webhook}/ping", 202)["id"]
    lead = owner.ok("POST", "/v1/leads", 201, json={"name": "Lee", "workspace_id": team})
    deal = {"client_id": client["id"], "title": "Retainer", "value": "900", "currency": "EUR"}
    deal_id = owner.ok("POST", "/v1/deals", 201, json=deal)["id"]
    personal = next(w["id"] for w in owner.ok("GET", "/v1/workspaces") if w["personal"])
    ids = {
        "workspace_id": team,
        "client_id": client["id"],
        "contact_id": contact["id"],
        "tag_id": tag["id"],
        "project_id": project["id"],
        "task_id": task["id"],
        "block_id": block["id"],
        "series_id": series["id"],
        "entry_id": draft["id"],
        "submitted_id": submitted["id"],
        "key_id": key,
        "webhook_id": webhook,
        "lead_id": lead["id"],
        "deal_id": deal_id,
        "delivery_id": delivery,
        "user_id": teammate.user_id,
        "outsider_id": outsider.user_id,
        "feed_token": token,
        "owner_id": owner.user_id,
        "personal_id": personal,
    }
    workspaces = [
        w["id"] for p in (owner, teammate, outsider) for w in p.ok("GET", "/v1/workspaces")
    ]
    return World(
        owner, outsider.email, [owner.user_id, teammate.user_id, outsider.user_id], workspaces, ids
    )


def live_rows(db: Database, world: World) -> dict[str, list[str]]:
    """Every live row of the world's users and workspaces, table by table. A table this does
    not know fails the test, so a new table is classified when it is added."""
    tables = Base.metadata.tables
    users, spaces = world.users, world.workspaces

    def live(t: Table, *where: Any) -> Select[Any]:
        mode = [t.c.livemode.is_(True)] if "livemode" in t.c else []
        return select(t).where(*where, *mode)

    def ids(name: str, *where: Any) -> Select[Any]:
        t = tables[name]
        return live(t, *where).with_only_columns(t.c.id)

    workspaces, projects = tables["workspaces"], tables["projects"]
    live_spaces = ids(
        "workspaces", or_(workspaces.c.owner_id.in_(users), workspaces.c.id.in_(spaces))
    )
    live_projects = ids("projects", projects.c.workspace_id.in_(spaces))
    out: dict[str, list[str]] = {}
    with db.engine.connect() as conn:
        for name, t in tables.items():
            c = t.c
            if name in (
                *("idempotency_records", "event_cursors", "bulk_inserts", "login_failures"),
                "release_checks",
            ):
                # the calling key's own replay records; the dispatcher's place; a bulk
                # insert's mark, empty outside its transaction; the web app's failed
                # sign-ins, which no API key reaches; the server's look at the release feed
                continue
            elif name == "webhook_deliveries":
                hooks = tables["webhooks"]
                query = live(t, c.webhook_id.in_(ids("webhooks", hooks.c.user_id.in_(users))))
            elif name == "users":
                query = live(t, c.id.in_(users))
            elif name == "workspaces":
                query = live(t, or_(c.owner_id.in_(users), c.id.in_(spaces)))
            elif name == "workspace_members":
                query = live(t, c.workspace_id.in_(live_spaces))
            elif "user_id" in c and "workspace_id" in c:
                query = live(t, or_(c.user_id.in_(users), c.workspace_id.in_(spaces)))
            elif "user_id" in c:
                query = live(t, c.user_id.in_(users))
            elif "workspace_id" in c:
                query = live(t, c.workspace_id.in_(spaces))
            elif name == "contacts":
                query = live(
                    t, c.client_id.in_(ids("clients", tables["clients"].c.workspace_id.in_(spaces)))
                )
            elif name == "tasks":
                query = live(t, c.project_id.in_(live_projects))
            elif name == "task_tags":
                query = live(
                    t, c.task_id.in_(ids("tasks", tables["tasks"].c.project_id.in_(live_projects)))
                )
            elif name == "time_entry_tags":
                entries = tables["time_entries"]
                query = live(
                    t,
                    c.entry_id.in_(
                        ids(
                            "time_entries",
                            or_(entries.c.user_id.in_(users), entries.c.workspace_id.in_(spaces)),
                        )
                    ),
                )
            else:
                raise AssertionError(f"table {name} is not classified as live or not")
            out[name] = sorted(repr(tuple(row)) for row in conn.execute(query))
    return out


def bodies(world: World) -> dict[str, Any]:
    """A body for each route that takes one, valid but for the live ids it names, so the
    request gets as far as the ids."""
    i = world.ids
    block = {**BLOCK, "project_id": i["project_id"], "task_id": i["task_id"]}
    entry = {**SPAN, "project_id": i["project_id"], "tag_ids": [i["tag_id"]]}
    syllabus = f"date,start,end,topic,project\n{TODAY},11:00,12:00,Review,Zanzibar\n"
    deal = {"client_id": i["client_id"], "title": "Mine", "currency": "EUR"}
    return {
        "POST /v1/blocks/series": {"json": {**LECTURE, "project_id": i["project_id"]}},
        "PATCH /v1/blocks/series/{series_id}": {"json": {"topic": "mine now"}},
        "POST /v1/blocks": {"json": block},
        "POST /v1/blocks/bulk": {"json": {"blocks": [block]}},
        "PATCH /v1/blocks/bulk": {"json": {"blocks": [{"id": i["block_id"], "done": True}]}},
        "DELETE /v1/blocks/bulk": {"json": {"ids": [i["block_id"]]}},
        "PUT /v1/blocks/{block_id}": {"json": BLOCK},
        "PATCH /v1/blocks/{block_id}": {"json": {"done": True}},
        "POST /v1/time-entries": {"json": entry},
        "POST /v1/time-entries/bulk": {"json": {"time_entries": [entry]}},
        "PATCH /v1/time-entries/bulk": {
            "json": {"time_entries": [{"id": i["entry_id"], "description": "mine now"}]}
        },
        "DELETE /v1/time-entries/bulk": {"json": {"ids": [i["entry_id"]]}},
        "PUT /v1/time-entries/{entry_id}": {"json": SPAN},
        "PATCH /v1/time-entries/{entry_id}": {"json": {"end_at": "2026-11-23T20:00:00Z"}},
        "POST /v1/time-entries/{entry_id}/approve": {"json": {"comment": "ok"}},
        "POST /v1/time-entries/{entry_id}/reject": {"json": {"comment": "no"}},
        "POST /v1/timer/start": {"json": {"block_id": i["block_id"]}},
        "POST /v1/projects": {
            "json": {"name": "Mine", "workspace_id": i["workspace_id"], "client_id": i["client_id"]}
        },
        "PUT /v1/projects/{project_id}": {"json": {"name": "mine now"}},
        "PATCH /v1/projects/{project_id}": {"json": {"name": "mine now"}},
        "POST /v1/tasks": {"json": {"project_id": i["project_id"], "name": "Mine"}},
        "PUT /v1/tasks/{task_id}": {"json": {"project_id": i["project_id"], "name": "mine now"}},
        "PATCH /v1/tasks/{task_id}": {"json": {"name": "mine now"}},
        "POST /v1/clients": {"json": {"name": "Mine", "workspace_id": i["workspace_id"]}},
        "PUT /v1/clients/{client_id}": {"json": {"name": "mine now"}},
        "PATCH /v1/clients/{client_id}": {"json": {"name": "mine now"}},
        "POST /v1/clients/{client_id}/contacts": {"json": {"name": "Eve"}},
        "PUT /v1/clients/{client_id}/contacts/{contact_id}": {"json": {"name": "Eve"}},
        "PATCH /v1/clients/{client_id}/contacts/{contact_id}": {"json": {"name": "Eve"}},
        "POST /v1/leads": {"json": {"name": "Mine", "workspace_id": i["workspace_id"]}},
        "PUT /v1/leads/{lead_id}": {"json": {"name": "mine now"}},
        "PATCH /v1/leads/{lead_id}": {"json": {"name": "mine now"}},
        "POST /v1/leads/{lead_id}/convert": {"json": {"deal": {"currency": "EUR"}}},
        "POST /v1/deals": {"json": deal},
        "PUT /v1/deals/{deal_id}": {"json": deal},
        "PATCH /v1/deals/{deal_id}": {"json": {"title": "mine now"}},
        "POST /v1/admin/version/dismiss": {"json": {"version": "99.0"}},
        "POST /v1/tags": {"json": {"name": "mine", "workspace_id": i["workspace_id"]}},
        "PUT /v1/tags/{tag_id}": {"json": {"name": "mine now"}},
        "PATCH /v1/tags/{tag_id}": {"json": {"name": "mine now"}},
        "POST /v1/webhooks": {"json": {"url": HOOK, "events": ["block.*"]}},
        "PATCH /v1/webhooks/{webhook_id}": {"json": {"description": "mine now"}},
        "PATCH /v1/me": {"json": {"timezone": "Asia/Tokyo", "week_start": "sunday"}},
        "POST /v1/api-keys": {"json": {"mode": "live"}},
        "POST /v1/workspaces": {"json": {"name": "Sandbox team"}},
        "POST /v1/workspaces/{workspace_id}/members": {
            "json": {"email": world.outsider_email, "role": "admin"}
        },
        "PATCH /v1/workspaces/{workspace_id}/members/{user_id}": {"json": {"role": "member"}},
        "PATCH /v1/workspaces/{workspace_id}": {"json": {"allow_self_approval": True}},
        "POST /v1/imports/blocks": {
            "content": syllabus.encode(),
            "headers": {"Content-Type": "text/csv"},
        },
        "POST /v1/imports/time-entries": {
            "content": TOGGL.encode(),
            "headers": {"Content-Type": "text/csv"},
        },
    }


def queries(world: World) -> dict[str, dict[str, str]]:
    """Query parameters naming live ids, for the routes without an id in their path."""
    i = world.ids
    by_project = {"project_id": i["project_id"]}
    return {
        "GET /v1/blocks": {**by_project, "series_id": i["series_id"]},
        "GET /v1/blocks/stream": by_project,
        "DELETE /v1/blocks/bulk": {"ids": i["block_id"]},
        "GET /v1/time-entries": {"user_id": i["user_id"], **by_project},
        "DELETE /v1/time-entries/bulk": {"ids": i["entry_id"]},
        "GET /v1/tasks": by_project,
        "GET /v1/reports/summary": {"user_id": i["user_id"], "date_from": "2026-11-01"},
        "GET /v1/reports/detailed": {"client_id": i["client_id"], "date_from": "2026-11-01"},
        "GET /v1/search": {"q": "Zanzibar"},
        "GET /v1/leads": {"workspace_id": i["workspace_id"]},
        "GET /v1/deals": {"client_id": i["client_id"], "workspace_id": i["workspace_id"]},
        "GET /v1/deals/pipeline": {"workspace_id": i["workspace_id"]},
        "GET /v1/agenda": {"date": TODAY},
        "GET /v1/stats": {"period": "all"},
    }


def path_values(world: World, path: str) -> list[dict[str, str]]:
    """The live ids to put in a path: for entries both the caller's own draft and a
    teammate's submitted entry (which the caller, an owner, reviews with a live key)."""
    i = world.ids
    values = {k: i[k] for k in i if "{" + k + "}" in path}
    if "entry_id" in values:
        return [values, {**values, "entry_id": i["submitted_id"]}]
    if "user_id" in values:
        return [values, {**values, "user_id": i["outsider_id"]}]
    return [values]


def test_every_route_with_a_test_key_leaves_live_data_alone(
    app: Any, db: Database, owner: Persona, teammate: Persona, outsider: Persona
) -> None:
    world = live_world(owner, teammate, outsider)
    sandbox = owner.as_key(owner.new_key(test=True))
    body_of, query_of = bodies(world), queries(world)
    before = live_rows(db, world)
    assert before["workspace_members"] and before["time_entries"] and before["users"]
    problems: list[str] = []
    swept = 0
    for path, operations in app.openapi()["paths"].items():
        if path in OPEN:
            continue
        for method, operation in operations.items():
            where = f"{method.upper()} {path}"
            takes_body = "requestBody" in operation
            assert not takes_body or where in body_of, f"no body for {where}"
            for values in path_values(world, path):
                url = path.format(**values)
                response = sandbox.request(
                    method.upper(), url, params=query_of.get(where), **body_of.get(where, {})
                )
                swept += 1
                if response.status_code >= 500:
                    problems.append(f"{where}: {response.status_code} {response.text[:200]}")
                elif values:
                    code = (response.json().get("error") or {}).get("code")
                    if (response.status_code, code) != (404, "NOT_FOUND"):
                        problems.append(
                            f"{where} {values}: {response.status_code} {response.text[:200]}"
                        )
                else:
                    # An error may name the id it was sent; nothing else live may show.
                    sent = repr((url, query_of.get(where), body_of.get(where)))
                    leaked = [v for v in world.secrets() if v in response.text and v not in sent]
                    if leaked:
                        problems.append(f"{where}: shows live {leaked}")
                after = live_rows(db, world)
                changed = sorted(t for t in before if before[t] != after[t])
                if changed:
                    problems.append(f"{where} {values}: changed live {changed}")
                    before = after
    assert swept > 80
    assert not problems, "\n".join(problems)
    # The live side saw nothing of the sweep.
    assert owner.ok("GET", "/v1/me")["timezone"] == "UTC"
    live_spaces = {w["id"] for w in owner.ok("GET", "/v1/workspaces")}
    assert live_spaces == {world.ids["personal_id"], world.ids["workspace_id"]}


def test_a_test_key_cannot_manage_a_live_team(
    owner: Persona, teammate: Persona, outsider: Persona
) -> None:
    team = team_of(owner, teammate)
    project = new_project(owner, "Client work", workspace_id=team)
    members = owner.ok("GET", f"/v1/workspaces/{team}/members")
    sandbox = owner.as_key(owner.new_key(test=True))
    base = f"/v1/workspaces/{team}"
    invite = {"email": outsider.email, "role": "admin"}
    assert_error(sandbox.post(f"{base}/members", json=invite), 404, "NOT_FOUND")
    promote = sandbox.patch(f"{base}/members/{teammate.user_id}", json={"role": "admin"})
    assert_error(promote, 404, "NOT_FOUND")
    assert_error(sandbox.delete(f"{base}/members/{teammate.user_id}"), 404, "NOT_FOUND")
    assert_error(sandbox.get(base), 404, "NOT_FOUND")
    assert_error(sandbox.get(f"{base}/members"), 404, "NOT_FOUND")
    assert team not in {w["id"] for w in sandbox.ok("GET", "/v1/workspaces")}
    made = sandbox.post("/v1/projects", json={"name": "Side door", "workspace_id": team})
    assert_error(made, 400, "VALIDATION_ERROR", "workspace_id")
    assert owner.ok("GET", f"/v1/workspaces/{team}/members") == members
    assert_error(outsider.get(f"/v1/projects/{project['id']}"), 404, "NOT_FOUND")


def test_a_workspace_made_with_a_test_key_is_a_sandbox_workspace(
    owner: Persona, teammate: Persona
) -> None:
    sandbox = owner.as_key(owner.new_key(test=True))
    made = sandbox.ok("POST", "/v1/workspaces", 201, json={"name": "Rehearsal"})
    assert made["id"] in {w["id"] for w in sandbox.ok("GET", "/v1/workspaces")}
    assert made["id"] not in {w["id"] for w in owner.ok("GET", "/v1/workspaces")}
    assert_error(owner.get(f"/v1/workspaces/{made['id']}"), 404, "NOT_FOUND")
    live_invite = owner.post(f"/v1/workspaces/{made['id']}/members", json={"email": teammate.email})
    assert_error(live_invite, 404, "NOT_FOUND")
    # Within the sandbox it is a team like any other, seen through sandbox keys only.
    add_member(sandbox, made["id"], teammate)
    project = new_project(sandbox, "Dry run", workspace_id=made["id"])
    their_sandbox = teammate.as_key(teammate.new_key(test=True))
    assert made["id"] in {w["id"] for w in their_sandbox.ok("GET", "/v1/workspaces")}
    assert their_sandbox.ok("GET", f"/v1/projects/{project['id']}")["name"] == "Dry run"
    assert made["id"] not in {w["id"] for w in teammate.ok("GET", "/v1/workspaces")}
    assert_error(teammate.get(f"/v1/workspaces/{made['id']}"), 404, "NOT_FOUND")
    # And a live team stays out of reach of the sandbox project's workspace.
    live_team = new_workspace(owner, "Live team")
    assert live_team not in {w["id"] for w in sandbox.ok("GET", "/v1/workspaces")}
