"""Every route that writes is known: each POST, PUT, PATCH and DELETE of the OpenAPI
document is listed here with the service functions that do its writing, so a new write
route cannot arrive without someone saying which use case it runs (and a renamed or
removed service function shows up here too)."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import make_settings
from timeboxd.api.app import create_app

S = "timeboxd.services."
ACCOUNTS, CATALOG, PLANNING = f"{S}accounts.", f"{S}catalog.", f"{S}planning."
TRACKING, IMPORTS, EVENTS = f"{S}tracking.", f"{S}imports.", f"{S}events."
CRM, ADMIN = f"{S}crm.", f"{S}admin."

# (method, path) -> the service functions that write for it, as dotted names.
WRITERS: dict[tuple[str, str], tuple[str, ...]] = {
    # accounts
    ("PATCH", "/v1/me"): (f"{ACCOUNTS}users.update_me",),
    ("POST", "/v1/api-keys"): (f"{ACCOUNTS}apikeys.create_for",),
    ("DELETE", "/v1/api-keys/{key_id}"): (f"{ACCOUNTS}apikeys.revoke_key",),
    ("POST", "/v1/workspaces"): (f"{ACCOUNTS}workspaces.create_workspace",),
    ("POST", "/v1/workspaces/{workspace_id}/members"): (f"{ACCOUNTS}workspaces.add_member",),
    ("PATCH", "/v1/workspaces/{workspace_id}"): (f"{ACCOUNTS}workspaces.update_workspace",),
    ("PATCH", "/v1/workspaces/{workspace_id}/members/{user_id}"): (
        f"{ACCOUNTS}workspaces.update_member",
    ),
    ("DELETE", "/v1/workspaces/{workspace_id}/members/{user_id}"): (
        f"{ACCOUNTS}workspaces.remove_member",
    ),
    # catalog
    ("POST", "/v1/projects"): (f"{CATALOG}projects.create_project",),
    ("PUT", "/v1/projects/{project_id}"): (f"{CATALOG}projects.update_project",),
    ("PATCH", "/v1/projects/{project_id}"): (f"{CATALOG}projects.update_project",),
    ("DELETE", "/v1/projects/{project_id}"): (f"{CATALOG}projects.delete_project",),
    ("POST", "/v1/projects/{project_id}/archive"): (f"{CATALOG}projects.set_archived",),
    ("POST", "/v1/projects/{project_id}/unarchive"): (f"{CATALOG}projects.set_archived",),
    ("POST", "/v1/clients"): (f"{CATALOG}clients.create_client",),
    ("PUT", "/v1/clients/{client_id}"): (f"{CATALOG}clients.update_client",),
    ("PATCH", "/v1/clients/{client_id}"): (f"{CATALOG}clients.update_client",),
    ("DELETE", "/v1/clients/{client_id}"): (f"{CATALOG}clients.delete_client",),
    ("POST", "/v1/clients/{client_id}/contacts"): (f"{CATALOG}clients.create_contact",),
    ("PUT", "/v1/clients/{client_id}/contacts/{contact_id}"): (f"{CATALOG}clients.update_contact",),
    ("PATCH", "/v1/clients/{client_id}/contacts/{contact_id}"): (
        f"{CATALOG}clients.update_contact",
    ),
    ("DELETE", "/v1/clients/{client_id}/contacts/{contact_id}"): (
        f"{CATALOG}clients.delete_contact",
    ),
    ("POST", "/v1/tasks"): (f"{CATALOG}tasks.create_task",),
    ("PUT", "/v1/tasks/{task_id}"): (f"{CATALOG}tasks.update_task",),
    ("PATCH", "/v1/tasks/{task_id}"): (f"{CATALOG}tasks.update_task",),
    ("DELETE", "/v1/tasks/{task_id}"): (f"{CATALOG}tasks.delete_task",),
    ("POST", "/v1/tags"): (f"{CATALOG}tags.create_tag",),
    ("PUT", "/v1/tags/{tag_id}"): (f"{CATALOG}tags.update_tag",),
    ("PATCH", "/v1/tags/{tag_id}"): (f"{CATALOG}tags.update_tag",),
    ("DELETE", "/v1/tags/{tag_id}"): (f"{CATALOG}tags.delete_tag",),
    # planning
    ("POST", "/v1/blocks"): (f"{PLANNING}blocks.create_block",),
    ("PUT", "/v1/blocks/{block_id}"): (f"{PLANNING}blocks.update_block",),
    ("PATCH", "/v1/blocks/{block_id}"): (f"{PLANNING}blocks.update_block",),
    ("DELETE", "/v1/blocks/{block_id}"): (f"{PLANNING}blocks.delete_block",),
    ("POST", "/v1/blocks/{block_id}/archive"): (f"{PLANNING}blocks.archive_block",),
    ("POST", "/v1/blocks/{block_id}/unarchive"): (f"{PLANNING}blocks.unarchive_block",),
    ("POST", "/v1/blocks/{block_id}/restore"): (f"{PLANNING}blocks.restore_block",),
    ("POST", "/v1/blocks/bulk"): (f"{PLANNING}blocks_bulk.bulk_create",),
    ("PATCH", "/v1/blocks/bulk"): (f"{PLANNING}blocks_bulk.bulk_update",),
    ("DELETE", "/v1/blocks/bulk"): (f"{PLANNING}blocks_bulk.bulk_delete",),
    ("POST", "/v1/blocks/series"): (f"{PLANNING}series.create_series",),
    ("PATCH", "/v1/blocks/series/{series_id}"): (f"{PLANNING}series.update_series",),
    ("DELETE", "/v1/blocks/series/{series_id}"): (f"{PLANNING}series.delete_series",),
    ("POST", "/v1/calendar/token"): (f"{PLANNING}calendar.rotate_token",),
    # tracking
    ("POST", "/v1/time-entries"): (f"{TRACKING}entries.create_entry",),
    ("PUT", "/v1/time-entries/{entry_id}"): (f"{TRACKING}entries.update_entry",),
    ("PATCH", "/v1/time-entries/{entry_id}"): (f"{TRACKING}entries.update_entry",),
    ("DELETE", "/v1/time-entries/{entry_id}"): (f"{TRACKING}entries.delete_entry",),
    ("POST", "/v1/time-entries/bulk"): (f"{TRACKING}entries_bulk.bulk_create",),
    ("PATCH", "/v1/time-entries/bulk"): (f"{TRACKING}entries_bulk.bulk_update",),
    ("DELETE", "/v1/time-entries/bulk"): (f"{TRACKING}entries_bulk.bulk_delete",),
    ("POST", "/v1/time-entries/{entry_id}/submit"): (f"{TRACKING}approvals.submit",),
    ("POST", "/v1/time-entries/{entry_id}/approve"): (f"{TRACKING}approvals.review",),
    ("POST", "/v1/time-entries/{entry_id}/reject"): (f"{TRACKING}approvals.review",),
    ("POST", "/v1/time-entries/{entry_id}/reopen"): (f"{TRACKING}approvals.reopen",),
    ("POST", "/v1/timer/start"): (f"{TRACKING}timer.start",),
    ("POST", "/v1/timer/stop"): (f"{TRACKING}timer.stop",),
    # imports
    ("POST", "/v1/imports/blocks"): (f"{IMPORTS}blocks.import_blocks",),
    ("POST", "/v1/imports/time-entries"): (
        f"{IMPORTS}entries.import_entries",
        f"{TRACKING}entries_bulk.insert_imported",
    ),
    # crm
    ("POST", "/v1/leads"): (f"{CRM}leads.create_lead",),
    ("PUT", "/v1/leads/{lead_id}"): (f"{CRM}leads.update_lead",),
    ("PATCH", "/v1/leads/{lead_id}"): (f"{CRM}leads.update_lead",),
    ("DELETE", "/v1/leads/{lead_id}"): (f"{CRM}leads.delete_lead",),
    ("POST", "/v1/leads/{lead_id}/convert"): (
        f"{CRM}leads.convert_lead",
        f"{CATALOG}clients.create_client",
        f"{CATALOG}clients.create_contact",
        f"{CRM}deals.create_deal",
    ),
    ("POST", "/v1/deals"): (f"{CRM}deals.create_deal",),
    ("PUT", "/v1/deals/{deal_id}"): (f"{CRM}deals.update_deal",),
    ("PATCH", "/v1/deals/{deal_id}"): (f"{CRM}deals.update_deal",),
    ("DELETE", "/v1/deals/{deal_id}"): (f"{CRM}deals.delete_deal",),
    # admin
    ("POST", "/v1/admin/version/dismiss"): (f"{ADMIN}releases.dismiss",),
    # events
    ("POST", "/v1/webhooks"): (f"{EVENTS}webhooks.create_webhook",),
    ("PATCH", "/v1/webhooks/{webhook_id}"): (f"{EVENTS}webhooks.update_webhook",),
    ("DELETE", "/v1/webhooks/{webhook_id}"): (f"{EVENTS}webhooks.delete_webhook",),
    ("POST", "/v1/webhooks/{webhook_id}/rotate-secret"): (f"{EVENTS}webhooks.rotate_secret",),
    ("POST", "/v1/webhooks/{webhook_id}/ping"): (f"{EVENTS}webhooks.ping",),
    ("POST", "/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver"): (
        f"{EVENTS}webhooks.redeliver",
    ),
}
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


@pytest.fixture(scope="module")
def openapi(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    app = create_app(make_settings(Path(tmp_path_factory.mktemp("openapi"))))
    try:
        yield app.openapi()
    finally:
        app.state.runtime.db.dispose()


def resolve(dotted: str) -> Any:
    """The object a dotted name points at, or None when its module or name is gone."""
    module, _, name = dotted.rpartition(".")
    try:
        return getattr(importlib.import_module(module), name, None)
    except ModuleNotFoundError:
        return None


def test_every_write_route_is_listed_with_its_services(openapi: dict[str, Any]) -> None:
    routes = {
        (method.upper(), path)
        for path, operations in openapi["paths"].items()
        for method in operations
        if method.upper() in WRITE_METHODS
    }
    assert sorted(routes - WRITERS.keys()) == [], "new write routes: add them to WRITERS"
    assert sorted(WRITERS.keys() - routes) == [], "gone: remove them from WRITERS"


def test_every_listed_service_function_exists() -> None:
    named = sorted({name for names in WRITERS.values() for name in names})
    assert all(name.startswith(S) for name in named)
    assert [name for name in named if not callable(resolve(name))] == []
