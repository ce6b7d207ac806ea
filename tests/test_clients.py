"""Clients and their contacts through HTTP (SPEC §3 "Projects, clients, tasks, tags"):
CRUD with ETags, validation naming the field, roles of a shared workspace, tenants and
the sandbox."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Persona, assert_error
from tests.factories import new_client, team_of


def test_client_crud_with_etags(owner: Persona) -> None:
    response = owner.post("/v1/clients", json={"name": "Acme GmbH", "email": "ap@acme.example"})
    assert response.status_code == 201
    client = response.json()["data"]
    assert client["id"].startswith("cli_") and client["notes"] == ""
    assert client["email"] == "ap@acme.example"
    etag = response.headers["etag"]
    url = f"/v1/clients/{client['id']}"
    assert owner.get(url).headers["etag"] == etag

    stale = owner.patch(url, json={"notes": "net 30"}, headers={"If-Match": '"x.1"'})
    assert_error(stale, 412, "PRECONDITION_FAILED", "If-Match")
    changed = owner.patch(url, json={"notes": "net 30"}, headers={"If-Match": etag})
    assert changed.status_code == 200
    # PATCH changes only what it names.
    assert changed.json()["data"]["notes"] == "net 30"
    assert changed.json()["data"]["email"] == "ap@acme.example"
    assert changed.headers["etag"] != etag
    assert owner.get(url).headers["etag"] == changed.headers["etag"]

    # PUT replaces: what it leaves out returns to its default.
    replaced = owner.put(url, json={"name": "Acme AG"}, headers={"If-Match": "*"})
    assert replaced.status_code == 200
    assert replaced.json()["data"]["email"] is None and replaced.json()["data"]["notes"] == ""
    assert [c["name"] for c in owner.ok("GET", "/v1/clients")] == ["Acme AG"]

    assert_error(owner.delete(url, headers={"If-Match": etag}), 412, "PRECONDITION_FAILED")
    owner.ok("DELETE", url, headers={"If-Match": replaced.headers["etag"]})
    assert_error(owner.get(url), 404, "NOT_FOUND")
    assert_error(owner.delete(url), 404, "NOT_FOUND")


def test_client_list_is_by_name_and_pages(owner: Persona) -> None:
    for name in ("globex", "Acme", "Initech"):
        new_client(owner, name)
    assert [c["name"] for c in owner.ok("GET", "/v1/clients")] == ["Acme", "globex", "Initech"]
    body = owner.get("/v1/clients?page=2&per_page=2").json()
    assert [c["name"] for c in body["data"]] == ["Initech"]
    assert body["meta"]["total"] == 3 and body["meta"]["has_more"] is False
    assert body["meta"]["page"] == 2 and body["meta"]["per_page"] == 2
    assert_error(owner.get("/v1/clients?per_page=0"), 400, "VALIDATION_ERROR", "per_page")


def test_names_are_trimmed(owner: Persona) -> None:
    client = new_client(owner, "  Umbrella Corp ")
    assert client["name"] == "Umbrella Corp"
    patched = owner.ok("PATCH", f"/v1/clients/{client['id']}", json={"name": " Umbrella "})
    assert patched["name"] == "Umbrella"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"name": 7}, "name"),
        ({"name": "A", "colour": "red"}, "colour"),
        ({"colour": "red"}, "colour"),  # the unknown field is named before the missing one
        ({"name": "A", "email": "not-an-address"}, "email"),
        ({"name": "A", "notes": None}, "notes"),
        ({"name": "A", "workspace_id": "wsp_nope"}, "workspace_id"),
    ],
)
def test_client_validation_names_the_field(owner: Persona, body: Any, field: str) -> None:
    assert_error(owner.post("/v1/clients", json=body), 400, "VALIDATION_ERROR", field)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": None}, "name"),
        ({"name": ""}, "name"),
        ({"notes": None}, "notes"),
        ({"email": "a@b"}, "email"),
        ({"workspace_id": "wsp_x"}, "workspace_id"),  # a client does not move
    ],
)
def test_client_patch_validation_names_the_field(owner: Persona, body: Any, field: str) -> None:
    client = new_client(owner)
    response = owner.patch(f"/v1/clients/{client['id']}", json=body)
    assert_error(response, 400, "VALIDATION_ERROR", field)
    assert owner.ok("GET", f"/v1/clients/{client['id']}")["name"] == "Acme"


def test_patch_clears_the_email_with_null(owner: Persona) -> None:
    client = new_client(owner, email="billing@acme.example")
    assert owner.ok("PATCH", f"/v1/clients/{client['id']}", json={"email": None})["email"] is None


def test_deleting_a_client_keeps_its_projects(owner: Persona) -> None:
    client = new_client(owner, "Initech")
    response = owner.post(
        "/v1/projects", json={"name": "Website", "client_id": client["id"], "billable": True}
    )
    project = response.json()["data"]
    owner.ok("DELETE", f"/v1/clients/{client['id']}")
    kept = owner.get(f"/v1/projects/{project['id']}")
    assert kept.json()["data"]["client_id"] is None
    assert kept.json()["data"]["billable"] is True
    assert kept.headers["etag"] != response.headers["etag"]  # the project changed


# -- contacts ------------------------------------------------------------------------------


def test_contact_crud_with_etags(owner: Persona) -> None:
    client = new_client(owner, "Globex")
    base = f"/v1/clients/{client['id']}/contacts"
    response = owner.post(
        base, json={"name": "Hank", "email": "hank@globex.example", "role": "CEO"}
    )
    assert response.status_code == 201
    made = response.json()["data"]
    assert made["id"].startswith("con_") and made["client_id"] == client["id"]
    assert made["phone"] is None and made["role"] == "CEO"
    url = f"{base}/{made['id']}"
    assert owner.get(url).headers["etag"] == response.headers["etag"]

    patched = owner.patch(
        url, json={"phone": "+1 (555) 010-0100"}, headers={"If-Match": response.headers["etag"]}
    )
    assert patched.status_code == 200
    assert patched.json()["data"]["phone"] == "+1 (555) 010-0100"
    assert patched.json()["data"]["email"] == "hank@globex.example"
    stale = owner.patch(url, json={"role": "CTO"}, headers={"If-Match": response.headers["etag"]})
    assert_error(stale, 412, "PRECONDITION_FAILED", "If-Match")

    replaced = owner.ok("PUT", url, json={"name": "Hank Scorpio"})
    assert replaced["email"] is None and replaced["phone"] is None and replaced["role"] is None
    assert owner.ok("GET", url)["name"] == "Hank Scorpio"

    assert_error(owner.delete(url, headers={"If-Match": '"nope"'}), 412, "PRECONDITION_FAILED")
    owner.ok("DELETE", url)
    assert_error(owner.get(url), 404, "NOT_FOUND")


def test_contacts_list_in_the_list_envelope(owner: Persona) -> None:
    client = new_client(owner)
    base = f"/v1/clients/{client['id']}/contacts"
    for name in ("zoe", "Adam", "Mia"):
        owner.ok("POST", base, 201, json={"name": name})
    assert [c["name"] for c in owner.ok("GET", base)] == ["Adam", "Mia", "zoe"]
    body = owner.get(f"{base}?per_page=2").json()
    assert [c["name"] for c in body["data"]] == ["Adam", "Mia"]
    assert body["meta"]["total"] == 3 and body["meta"]["has_more"] is True
    other = new_client(owner, "Other")
    assert owner.ok("GET", f"/v1/clients/{other['id']}/contacts") == []


def test_contacts_belong_to_their_client(owner: Persona) -> None:
    client = new_client(owner, "Globex")
    base = f"/v1/clients/{client['id']}/contacts"
    made = owner.ok("POST", base, 201, json={"name": "Hank"})
    other = new_client(owner, "Other")
    wrong = f"/v1/clients/{other['id']}/contacts/{made['id']}"
    assert_error(owner.get(wrong), 404, "NOT_FOUND")
    assert_error(owner.patch(wrong, json={"name": "x"}), 404, "NOT_FOUND")
    assert_error(owner.delete(wrong), 404, "NOT_FOUND")
    assert_error(owner.get("/v1/clients/cli_nope/contacts"), 404, "NOT_FOUND")
    assert_error(owner.post("/v1/clients/cli_nope/contacts", json={"name": "x"}), 404, "NOT_FOUND")

    owner.ok("DELETE", f"/v1/clients/{client['id']}")  # contacts go with their client
    assert_error(owner.get(f"{base}/{made['id']}"), 404, "NOT_FOUND")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "name"),
        ({"name": " "}, "name"),
        ({"name": "X", "email": "not-an-address"}, "email"),
        ({"name": "X", "phone": "call me"}, "phone"),
        ({"name": "X", "phone": "12"}, "phone"),
        ({"name": "X", "role": "r" * 101}, "role"),
        ({"name": "X", "mobile": "123"}, "mobile"),
    ],
)
def test_contact_validation_names_the_field(owner: Persona, body: Any, field: str) -> None:
    client = new_client(owner)
    response = owner.post(f"/v1/clients/{client['id']}/contacts", json=body)
    assert_error(response, 400, "VALIDATION_ERROR", field)


def test_contact_patch_cannot_null_the_name(owner: Persona) -> None:
    client = new_client(owner)
    made = owner.ok("POST", f"/v1/clients/{client['id']}/contacts", 201, json={"name": "Hank"})
    url = f"/v1/clients/{client['id']}/contacts/{made['id']}"
    assert_error(owner.patch(url, json={"name": None}), 400, "VALIDATION_ERROR", "name")
    assert owner.ok("PATCH", url, json={"role": None})["role"] is None


# -- roles, tenants, sandbox, scopes --------------------------------------------------------


def test_members_see_shared_clients_but_only_managers_change_them(
    owner: Persona, teammate: Persona
) -> None:
    team = team_of(owner, teammate)
    client = new_client(owner, "Shared", workspace_id=team)
    contact = owner.ok("POST", f"/v1/clients/{client['id']}/contacts", 201, json={"name": "Pat"})
    url = f"/v1/clients/{client['id']}"
    contact_url = f"{url}/contacts/{contact['id']}"

    assert [c["id"] for c in teammate.ok("GET", f"/v1/clients?workspace_id={team}")] == [
        client["id"]
    ]
    assert teammate.ok("GET", url)["workspace_id"] == team
    assert [c["id"] for c in teammate.ok("GET", f"{url}/contacts")] == [contact["id"]]
    assert teammate.ok("GET", contact_url)["name"] == "Pat"

    refused = [
        teammate.post("/v1/clients", json={"name": "Mine", "workspace_id": team}),
        teammate.patch(url, json={"name": "x"}),
        teammate.put(url, json={"name": "x"}),
        teammate.delete(url),
        teammate.post(f"{url}/contacts", json={"name": "C"}),
        teammate.patch(contact_url, json={"name": "x"}),
        teammate.put(contact_url, json={"name": "x"}),
        teammate.delete(contact_url),
    ]
    for response in refused:
        assert_error(response, 403, "FORBIDDEN")
    assert owner.ok("GET", url)["name"] == "Shared"
    assert owner.ok("GET", contact_url)["name"] == "Pat"
    # A member's own personal workspace is theirs to manage.
    assert new_client(teammate, "Private")["workspace_id"] != team


def test_admins_manage_shared_clients(owner: Persona, teammate: Persona) -> None:
    team = team_of(owner, teammate, role="admin")
    client = new_client(teammate, "By admin", workspace_id=team)
    owner.ok("PATCH", f"/v1/clients/{client['id']}", json={"notes": "ok"})
    teammate.ok("POST", f"/v1/clients/{client['id']}/contacts", 201, json={"name": "C"})
    teammate.ok("DELETE", f"/v1/clients/{client['id']}")


def test_outsiders_get_not_found(owner: Persona, outsider: Persona) -> None:
    client = new_client(owner, "Private")
    contact = owner.ok("POST", f"/v1/clients/{client['id']}/contacts", 201, json={"name": "P"})
    url = f"/v1/clients/{client['id']}"
    contact_url = f"{url}/contacts/{contact['id']}"
    for target in (url, contact_url):
        assert_error(outsider.get(target), 404, "NOT_FOUND")
        assert_error(outsider.patch(target, json={"name": "x"}), 404, "NOT_FOUND")
        assert_error(outsider.put(target, json={"name": "x"}), 404, "NOT_FOUND")
        assert_error(outsider.delete(target), 404, "NOT_FOUND")
    assert_error(outsider.get(f"{url}/contacts"), 404, "NOT_FOUND")
    assert_error(outsider.post(f"{url}/contacts", json={"name": "x"}), 404, "NOT_FOUND")
    assert outsider.ok("GET", "/v1/clients") == []
    assert outsider.ok("GET", f"/v1/clients?workspace_id={client['workspace_id']}") == []
    response = outsider.post(
        "/v1/clients", json={"name": "x", "workspace_id": client["workspace_id"]}
    )
    assert_error(response, 400, "VALIDATION_ERROR", "workspace_id")
    assert owner.ok("GET", url)["name"] == "Private"


def test_sandbox_and_live_clients_are_apart(owner: Persona) -> None:
    sandbox = owner.as_key(owner.new_key(test=True))
    live = new_client(owner, "Live")
    test = new_client(sandbox, "Test")
    assert [c["id"] for c in sandbox.ok("GET", "/v1/clients")] == [test["id"]]
    assert [c["id"] for c in owner.ok("GET", "/v1/clients")] == [live["id"]]
    assert_error(sandbox.get(f"/v1/clients/{live['id']}"), 404, "NOT_FOUND")
    assert_error(sandbox.get(f"/v1/clients/{live['id']}/contacts"), 404, "NOT_FOUND")
    assert_error(sandbox.delete(f"/v1/clients/{live['id']}"), 404, "NOT_FOUND")
    assert_error(owner.patch(f"/v1/clients/{test['id']}", json={"name": "x"}), 404, "NOT_FOUND")
    # A live project cannot take a sandbox client.
    response = owner.post("/v1/projects", json={"name": "P", "client_id": test["id"]})
    assert_error(response, 400, "VALIDATION_ERROR", "client_id")


def test_scopes(owner: Persona) -> None:
    client = new_client(owner)
    reader = owner.as_key(owner.new_key(scopes=["read:projects"]))
    assert reader.ok("GET", f"/v1/clients/{client['id']}/contacts") == []
    assert_error(reader.post("/v1/clients", json={"name": "x"}), 403, "FORBIDDEN")
    assert_error(
        reader.post(f"/v1/clients/{client['id']}/contacts", json={"name": "x"}), 403, "FORBIDDEN"
    )
    assert_error(reader.delete(f"/v1/clients/{client['id']}"), 403, "FORBIDDEN")
    blocks_only = owner.as_key(owner.new_key(scopes=["read:blocks", "write:blocks"]))
    assert_error(blocks_only.get("/v1/clients"), 403, "FORBIDDEN")
    writer = owner.as_key(owner.new_key(scopes=["write:projects"]))
    writer.ok("PATCH", f"/v1/clients/{client['id']}", json={"notes": "n"})
