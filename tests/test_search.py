"""``GET /v1/search`` (SPEC §3): every kind found by words and prefixes, only within what
the caller may see, kept up to date as rows change, and safe from the index's syntax."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Persona, assert_error


def found(p: Persona, q: str, **params: Any) -> list[tuple[str, str]]:
    hits = p.ok("GET", "/v1/search", params={"q": q, **params})
    return [(h["type"], h["id"]) for h in hits]


@pytest.fixture
def things(owner: Persona) -> dict[str, Any]:
    client = owner.ok("POST", "/v1/clients", 201, json={"name": "Algernon Consulting"})
    project = owner.ok(
        "POST", "/v1/projects", 201, json={"name": "Linear Algebra", "client_id": client["id"]}
    )
    task = owner.ok(
        "POST",
        "/v1/tasks",
        201,
        json={"project_id": project["id"], "name": "Problem set 4", "notes": "eigenvalues first"},
    )
    block = owner.ok(
        "POST",
        "/v1/blocks",
        201,
        json={
            "date": "2026-11-25",
            "start": "09:00",
            "end": "10:00",
            "topic": "Eigenvalues review",
        },
    )
    entry = owner.ok(
        "POST",
        "/v1/time-entries",
        201,
        json={
            "start_at": "2026-11-23T09:00:00Z",
            "end_at": "2026-11-23T10:00:00Z",
            "description": "Read chapter on eigenvectors",
        },
    )
    return {"client": client, "project": project, "task": task, "block": block, "entry": entry}


def test_every_kind_is_found(owner: Persona, things: dict[str, Any]) -> None:
    assert ("project", things["project"]["id"]) in found(owner, "linear")
    assert ("client", things["client"]["id"]) in found(owner, "algernon")
    assert ("task", things["task"]["id"]) in found(owner, "problem set")
    assert ("task", things["task"]["id"]) in found(owner, "eigenvalues")  # task notes
    assert ("block", things["block"]["id"]) in found(owner, "eigenvalues review")
    assert ("entry", things["entry"]["id"]) in found(owner, "chapter")
    hit = next(h for h in owner.ok("GET", "/v1/search?q=review") if h["type"] == "block")
    assert hit == {
        "type": "block",
        "id": things["block"]["id"],
        "title": "Eigenvalues review",
        "date": "2026-11-25",
        "project_id": None,
    }


def test_the_last_word_is_a_prefix_and_every_word_must_match(
    owner: Persona, things: dict[str, Any]
) -> None:
    assert ("project", things["project"]["id"]) in found(owner, "alg")
    assert ("project", things["project"]["id"]) in found(owner, "LINEAR alg")
    assert ("project", things["project"]["id"]) not in found(owner, "linear geometry")
    assert found(owner, "eigen") and found(owner, "eigenv")
    assert ("block", things["block"]["id"]) not in found(owner, "eigen xyz")
    assert found(owner, "inea") == []  # words match from their start


def test_type_filter_and_limit(owner: Persona, things: dict[str, Any]) -> None:
    assert {t for t, _ in found(owner, "eigen", type="block,entry")} == {"block", "entry"}
    assert len(found(owner, "eigen", limit=1)) == 1
    assert_error(owner.get("/v1/search?q=x&type=planet"), 400, "VALIDATION_ERROR", "type")
    assert_error(owner.get("/v1/search?q=x&limit=0"), 400, "VALIDATION_ERROR", "limit")
    assert_error(owner.get("/v1/search"), 400, "VALIDATION_ERROR", "q")


@pytest.mark.parametrize(
    "q", ['"', "alg*", "NEAR(a b)", "-linear", "scope:x", "body : (", "a OR b", "'; DROP", "^ü"]
)
def test_index_syntax_in_the_query_is_just_text(
    owner: Persona, things: dict[str, Any], q: str
) -> None:
    response = owner.get("/v1/search", params={"q": q})
    if response.status_code == 400:  # nothing searchable in it: named as q
        assert_error(response, 400, "VALIDATION_ERROR", "q")
    else:
        assert response.status_code == 200, response.text


def test_quoted_and_punctuated_words_still_match(owner: Persona, things: dict[str, Any]) -> None:
    assert ("project", things["project"]["id"]) in found(owner, '"linear" (algebra)')
    assert ("project", things["project"]["id"]) in found(owner, "alg*")


def test_changes_are_searchable_at_once(owner: Persona, things: dict[str, Any]) -> None:
    block = things["block"]
    owner.ok("PATCH", f"/v1/blocks/{block['id']}", json={"topic": "Determinants"})
    assert ("block", block["id"]) not in found(owner, "eigenvalues review")
    assert ("block", block["id"]) in found(owner, "determinants")
    owner.ok("DELETE", f"/v1/blocks/{block['id']}")
    assert ("block", block["id"]) not in found(owner, "determinants")
    owner.ok("POST", f"/v1/blocks/{block['id']}/restore")
    assert ("block", block["id"]) in found(owner, "determinants")
    owner.ok("DELETE", f"/v1/time-entries/{things['entry']['id']}")
    assert found(owner, "eigenvectors") == []
    owner.ok("DELETE", f"/v1/projects/{things['project']['id']}")
    assert ("project", things["project"]["id"]) not in found(owner, "linear")


def test_accented_words(owner: Persona, backend: str) -> None:
    made = owner.ok("POST", "/v1/projects", 201, json={"name": "Élasticité et résistance"})
    assert ("project", made["id"]) in found(owner, "résist")
    assert ("project", made["id"]) in found(owner, "ÉLASTICITÉ")
    # SQLite's index folds accents; PostgreSQL's 'simple' configuration keeps them.
    folded = ("project", made["id"]) in found(owner, "elasticite")
    assert folded == (backend == "sqlite")


def test_nobody_finds_what_they_cannot_see(
    owner: Persona, outsider: Persona, things: dict[str, Any]
) -> None:
    for q in ("linear", "algernon", "problem", "eigenvalues", "chapter"):
        assert found(outsider, q) == [], q
    sandbox = owner.as_key(owner.new_key(test=True))
    assert found(sandbox, "eigen") == []


def test_members_find_the_workspace_catalog_and_only_their_own_time(
    owner: Persona, teammate: Persona
) -> None:
    team = owner.ok("POST", "/v1/workspaces", 201, json={"name": "Lab"})["id"]
    owner.ok("POST", f"/v1/workspaces/{team}/members", 201, json={"email": teammate.email})
    shared = owner.ok(
        "POST", "/v1/projects", 201, json={"name": "Spectroscopy", "workspace_id": team}
    )
    mine = owner.ok(
        "POST",
        "/v1/time-entries",
        201,
        json={
            "project_id": shared["id"],
            "start_at": "2026-11-23T09:00:00Z",
            "end_at": "2026-11-23T10:00:00Z",
            "description": "spectroscopy calibration",
        },
    )
    theirs = teammate.ok(
        "POST",
        "/v1/time-entries",
        201,
        json={
            "project_id": shared["id"],
            "start_at": "2026-11-23T11:00:00Z",
            "end_at": "2026-11-23T12:00:00Z",
            "description": "spectroscopy analysis",
        },
    )
    assert ("project", shared["id"]) in found(teammate, "spectro")
    teammate_entries = {i for t, i in found(teammate, "spectroscopy") if t == "entry"}
    assert teammate_entries == {theirs["id"]}
    at_home = owner.ok(
        "POST",
        "/v1/time-entries",
        201,
        json={
            "start_at": "2026-11-23T13:00:00Z",
            "end_at": "2026-11-23T14:00:00Z",
            "description": "spectroscopy reading",
        },
    )
    owner_entries = {i for t, i in found(owner, "spectroscopy") if t == "entry"}
    # The owner sees the team's time beside their own, each once.
    assert owner_entries == {mine["id"], theirs["id"], at_home["id"]}
    assert len(found(owner, "spectroscopy", type="entry")) == 3


def test_scopes_choose_the_kinds(owner: Persona, things: dict[str, Any]) -> None:
    blocks_only = owner.as_key(owner.new_key(scopes=["read:blocks"]))
    assert {t for t, _ in found(blocks_only, "eigen")} == {"block"}
    assert_error(blocks_only.get("/v1/search?q=eigen&type=entry"), 403, "FORBIDDEN")
    webhooks = owner.as_key(owner.new_key(scopes=["read:webhooks"]))
    assert_error(webhooks.get("/v1/search?q=eigen"), 403, "FORBIDDEN")


def test_newest_first(owner: Persona) -> None:
    made = [
        owner.ok(
            "POST",
            "/v1/blocks",
            201,
            json={"date": f"2026-11-{day}", "start": "09:00", "end": "10:00", "topic": "Thermo"},
        )["id"]
        for day in (20, 27, 23)
    ]
    project = owner.ok("POST", "/v1/projects", 201, json={"name": "Thermo II"})["id"]
    assert [i for _, i in found(owner, "thermo")] == [project, *reversed(made)]


def test_a_reports_key_searches_every_kind(owner: Persona, things: dict[str, Any]) -> None:
    # SPEC §2: the reports scope covers search.
    reports = owner.as_key(owner.new_key(scopes=["read:reports"]))
    assert {t for t, _ in found(reports, "eigen")} == {"block", "entry", "task"}
    assert {t for t, _ in found(reports, "linear alg")} == {"project"}


def test_many_matches_give_the_newest_visible_ones(owner: Persona, backend: str) -> None:
    # More matches than a page: the newest come first, and neither deleted blocks nor
    # sandbox rows take a place on it.
    def blocks(p: Persona, n: int) -> list[str]:
        body = {
            "blocks": [
                {"date": "2026-11-25", "start": "09:00", "end": "10:00", "topic": "Optics"}
                for _ in range(n)
            ]
        }
        return [b["id"] for b in p.ok("POST", "/v1/blocks/bulk", 201, json=body)]

    sandbox = owner.as_key(owner.new_key(test=True))
    older = blocks(owner, 30)
    newer = blocks(owner, 2)
    blocks(sandbox, 30)
    owner.ok("DELETE", f"/v1/blocks/{newer[1]}")
    assert found(owner, "optics", limit=1) == [("block", newer[0])]
    hits = [i for _, i in found(owner, "opt", limit=100)]
    assert set(hits) == {*older, newer[0]}
    assert hits[0] == newer[0]
