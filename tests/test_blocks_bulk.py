"""POST/PATCH/DELETE /v1/blocks/bulk: many blocks in one transaction, all or nothing, with
each failing item named in ``details`` (SPEC §2 Errors and Writes, §3 Time blocks)."""

from __future__ import annotations

import http.client
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.conftest import FrozenClock, Persona, RealServer, assert_error


def item(n: int, **extra: Any) -> dict[str, Any]:
    """The n-th block of a plan: one a day from 2026-12-01, 09:00-10:00."""
    return {
        "date": f"2026-12-{n + 1:02d}",
        "start": "09:00",
        "end": "10:00",
        "topic": f"#{n}",
    } | extra


def create(p: Persona, items: list[dict[str, Any]]) -> list[dict]:
    return list(p.ok("POST", "/v1/blocks/bulk", 201, json={"blocks": items}))


def live_count(p: Persona) -> int:
    return int(p.get("/v1/blocks").json()["meta"]["total"])


def trash_count(p: Persona) -> int:
    return len(p.ok("GET", "/v1/blocks?deleted=true"))


def details(error: dict[str, Any]) -> list[tuple[int, str | None]]:
    for d in error["details"]:
        assert isinstance(d["message"], str) and d["message"], d
    return [(d["index"], d["field"]) for d in error["details"]]


def test_create_returns_every_block_in_order(owner: Persona) -> None:
    project = owner.ok("POST", "/v1/projects", 201, json={"name": "Algebra"})
    items = [item(n, project_id=project["id"]) for n in range(25)]
    items[4] = item(4, start="13:00", end="15:30", done=True)
    response = owner.post("/v1/blocks/bulk", json={"blocks": items})
    assert response.status_code == 201, response.text
    made = response.json()["data"]
    assert [b["topic"] for b in made] == [f"#{n}" for n in range(25)]
    assert len({b["id"] for b in made}) == 25 and all(b["id"].startswith("blk_") for b in made)
    assert made[0]["project_name"] == "Algebra" and made[0]["duration_minutes"] == 60
    assert made[4]["project_id"] is None and made[4]["duration_minutes"] == 150
    assert made[4]["done"] is True and made[4]["completed_at"] == "2026-11-24T10:00:00Z"
    assert owner.ok("GET", "/v1/blocks") == made


def test_create_places_blocks_in_the_account_zone(owner: Persona) -> None:
    owner.set_timezone("Europe/Berlin")
    made = create(owner, [item(0), item(1, date="2026-07-01")])
    assert made[0]["start_at"] == "2026-12-01T09:00:00+01:00"
    assert made[1]["start_at"] == "2026-07-01T09:00:00+02:00"


def test_one_bad_item_among_many_writes_nothing(owner: Persona, outsider: Persona) -> None:
    create(owner, [item(20)])
    theirs = outsider.ok("POST", "/v1/projects", 201, json={"name": "Theirs"})
    items = [item(n) for n in range(10)]
    items[3] = item(3, start="10:00", end="09:00")
    items[7] = item(7, project_id="prj_doesnotexist")
    items[8] = item(8, project_id=theirs["id"])
    response = owner.post("/v1/blocks/bulk", json={"blocks": items})
    error = assert_error(response, 400, "VALIDATION_ERROR", "end")
    assert details(error) == [(3, "end"), (7, "project_id"), (8, "project_id")]
    assert "nothing was written" in error["message"]
    assert live_count(owner) == 1
    assert live_count(outsider) == 0


def test_a_daylight_saving_gap_is_named_by_index(owner: Persona) -> None:
    owner.set_timezone("Europe/Berlin")
    items = [item(0), item(1, date="2026-03-29", start="02:30", end="03:30"), item(2)]
    error = assert_error(
        owner.post("/v1/blocks/bulk", json={"blocks": items}), 400, "VALIDATION_ERROR"
    )
    assert details(error) == [(1, "start")]
    assert live_count(owner) == 0


def test_schema_errors_in_items_are_named_by_index(owner: Persona) -> None:
    items: list[dict[str, Any]] = [item(n) for n in range(5)]
    del items[2]["start"]
    items[4]["colour"] = "red"
    items[1]["date"] = "2026-13-01"
    response = owner.post("/v1/blocks/bulk", json={"blocks": items})
    error = assert_error(response, 400, "VALIDATION_ERROR")
    assert details(error) == [(1, "date"), (2, "start"), (4, "colour")]
    assert error["field"] == "date"
    assert live_count(owner) == 0


def test_create_needs_at_least_one_item(owner: Persona) -> None:
    assert_error(
        owner.post("/v1/blocks/bulk", json={"blocks": []}), 400, "VALIDATION_ERROR", "blocks"
    )
    assert_error(owner.post("/v1/blocks/bulk", json={}), 400, "VALIDATION_ERROR", "blocks")
    assert_error(owner.post("/v1/blocks/bulk", json=[item(0)]), 400, "VALIDATION_ERROR")


def test_create_many_at_once(owner: Persona) -> None:
    items = [
        {"date": f"2027-{m:02d}-{d:02d}", "start": f"{h:02d}:00", "end": f"{h:02d}:50"}
        for m in range(1, 13)
        for d in range(1, 29)
        for h in (8, 10, 14)
    ]
    made = create(owner, items)
    assert len(made) == len(items) == 1008
    assert [(b["date"], b["start"]) for b in made] == [(i["date"], i["start"]) for i in items]
    assert live_count(owner) == 1008


def test_patch_updates_many_and_returns_them_in_request_order(
    owner: Persona, clock: FrozenClock
) -> None:
    made = create(owner, [item(n) for n in range(4)])
    project = owner.ok("POST", "/v1/projects", 201, json={"name": "History"})
    changes = [
        {"id": made[3]["id"], "done": True},
        {"id": made[0]["id"], "topic": "renamed", "project_id": project["id"]},
        {"id": made[1]["id"], "date": "2026-12-24", "start": "14:00", "end": "16:00"},
    ]
    updated = owner.ok("PATCH", "/v1/blocks/bulk", json={"blocks": changes})
    assert [b["id"] for b in updated] == [made[3]["id"], made[0]["id"], made[1]["id"]]
    assert updated[0]["done"] is True and updated[0]["completed_at"] == "2026-11-24T10:00:00Z"
    assert (updated[1]["topic"], updated[1]["project_name"]) == ("renamed", "History")
    assert (updated[2]["date"], updated[2]["start"], updated[2]["duration_minutes"]) == (
        "2026-12-24",
        "14:00",
        120,
    )
    for block in updated:
        assert owner.ok("GET", f"/v1/blocks/{block['id']}") == block
    untouched = owner.ok("GET", f"/v1/blocks/{made[2]['id']}")
    assert untouched == made[2]


def snapshot(p: Persona, blocks: list[dict]) -> list[dict]:
    return [p.ok("GET", f"/v1/blocks/{b['id']}") for b in blocks]


def test_patch_with_an_unknown_or_foreign_id_changes_nothing(
    owner: Persona, outsider: Persona
) -> None:
    mine = create(owner, [item(n) for n in range(3)])
    theirs = create(outsider, [item(0)])
    before, their_before = snapshot(owner, mine), snapshot(outsider, theirs)
    changes = [
        {"id": mine[0]["id"], "topic": "changed"},
        {"id": "blk_doesnotexist", "topic": "changed"},
        {"id": mine[1]["id"], "done": True},
        {"id": theirs[0]["id"], "topic": "hijacked"},
    ]
    response = owner.patch("/v1/blocks/bulk", json={"blocks": changes})
    error = assert_error(response, 404, "NOT_FOUND", "id")
    assert details(error) == [(1, "id"), (3, "id")]
    assert snapshot(owner, mine) == before
    assert snapshot(outsider, theirs) == their_before


def test_patch_with_a_bad_change_changes_nothing(owner: Persona) -> None:
    mine = create(owner, [item(n) for n in range(3)])
    before = snapshot(owner, mine)
    changes = [
        {"id": mine[0]["id"], "topic": "changed", "done": True},
        {"id": mine[1]["id"], "end": "08:00"},
        {"id": mine[2]["id"], "project_id": "prj_doesnotexist"},
    ]
    response = owner.patch("/v1/blocks/bulk", json={"blocks": changes})
    error = assert_error(response, 400, "VALIDATION_ERROR", "end")
    assert details(error) == [(1, "end"), (2, "project_id")]
    assert snapshot(owner, mine) == before


def test_patch_schema_errors_are_named_by_index(owner: Persona) -> None:
    mine = create(owner, [item(0)])
    changes: list[dict[str, Any]] = [{"id": mine[0]["id"], "topic": "x"}, {"topic": "no id"}]
    changes.append({"id": mine[0]["id"], "start": "9:00"})
    error = assert_error(
        owner.patch("/v1/blocks/bulk", json={"blocks": changes}), 400, "VALIDATION_ERROR"
    )
    assert details(error) == [(1, "id"), (2, "start")]
    assert snapshot(owner, mine) == mine


def test_patch_naming_a_block_twice_is_refused(owner: Persona) -> None:
    mine = create(owner, [item(0), item(1)])
    changes = [
        {"id": mine[0]["id"], "topic": "first"},
        {"id": mine[1]["id"], "topic": "other"},
        {"id": mine[0]["id"], "topic": "second"},
    ]
    error = assert_error(
        owner.patch("/v1/blocks/bulk", json={"blocks": changes}), 400, "VALIDATION_ERROR", "id"
    )
    assert details(error) == [(2, "id")]
    assert snapshot(owner, mine) == mine


def test_delete_trashes_every_listed_block(owner: Persona) -> None:
    made = create(owner, [item(n) for n in range(5)])
    ids = [made[0]["id"], made[2]["id"], made[4]["id"]]
    response = owner.delete("/v1/blocks/bulk", params={"ids": ",".join(ids)})
    assert response.status_code == 200, response.text
    assert response.json()["data"] == {"deleted": ids}
    assert [b["topic"] for b in owner.ok("GET", "/v1/blocks")] == ["#1", "#3"]
    trashed = owner.ok("GET", "/v1/blocks?deleted=true")
    assert sorted(b["id"] for b in trashed) == sorted(ids)
    assert all(b["deleted_at"] == "2026-11-24T10:00:00Z" for b in trashed)
    restored = owner.ok("POST", f"/v1/blocks/{ids[1]}/restore")
    assert restored["deleted_at"] is None


def test_delete_accepts_spaces_around_ids(owner: Persona) -> None:
    made = create(owner, [item(0), item(1)])
    owner.ok("DELETE", f"/v1/blocks/bulk?ids= {made[0]['id']} , {made[1]['id']},")
    assert live_count(owner) == 0 and trash_count(owner) == 2


def test_delete_with_an_unknown_or_foreign_id_deletes_nothing(
    owner: Persona, outsider: Persona
) -> None:
    mine = create(owner, [item(n) for n in range(3)])
    theirs = create(outsider, [item(0)])
    ids = [mine[0]["id"], "blk_doesnotexist", mine[1]["id"], theirs[0]["id"]]
    response = owner.delete("/v1/blocks/bulk", params={"ids": ",".join(ids)})
    error = assert_error(response, 404, "NOT_FOUND", "ids")
    assert details(error) == [(1, "ids"), (3, "ids")]
    assert live_count(owner) == 3 and trash_count(owner) == 0
    assert live_count(outsider) == 1


def test_delete_needs_distinct_ids(owner: Persona) -> None:
    made = create(owner, [item(0)])
    twice = owner.delete("/v1/blocks/bulk", params={"ids": f"{made[0]['id']},{made[0]['id']}"})
    error = assert_error(twice, 400, "VALIDATION_ERROR", "ids")
    assert details(error) == [(1, "ids")]
    assert_error(owner.delete("/v1/blocks/bulk?ids=,"), 400, "VALIDATION_ERROR", "ids")
    assert_error(owner.delete("/v1/blocks/bulk"), 400, "VALIDATION_ERROR", "ids")
    assert live_count(owner) == 1


def many(count: int) -> list[dict[str, Any]]:
    first = date(2027, 1, 1)
    return [
        {"date": str(first + timedelta(days=n)), "start": "09:00", "end": "10:00"}
        for n in range(count)
    ]


def test_delete_takes_more_ids_in_a_json_body_than_a_url_holds(owner: Persona) -> None:
    made = create(owner, many(3_000))
    ids = [b["id"] for b in made]
    deleted = owner.ok("DELETE", "/v1/blocks/bulk", json={"ids": ids})
    assert deleted == {"deleted": ids}
    assert live_count(owner) == 0 and trash_count(owner) == 3_000


def test_delete_takes_the_ids_in_the_query_or_the_body_not_both(
    owner: Persona, outsider: Persona
) -> None:
    made = create(owner, [item(0), item(1)])
    both = owner.delete(f"/v1/blocks/bulk?ids={made[0]['id']}", json={"ids": [made[1]["id"]]})
    assert_error(both, 400, "VALIDATION_ERROR", "ids")
    assert_error(owner.delete("/v1/blocks/bulk", json={"ids": []}), 400, "VALIDATION_ERROR", "ids")
    too_many = {"ids": [made[0]["id"]] * 10_001}
    assert_error(owner.delete("/v1/blocks/bulk", json=too_many), 400, "VALIDATION_ERROR", "ids")
    assert_error(owner.delete("/v1/blocks/bulk", json={"id": "x"}), 400, "VALIDATION_ERROR", "id")
    theirs = owner.delete("/v1/blocks/bulk", json={"ids": [create(outsider, [item(0)])[0]["id"]]})
    assert_error(theirs, 404, "NOT_FOUND", "ids")
    assert live_count(owner) == 2 and live_count(outsider) == 1


@pytest.mark.slow
def test_a_url_too_long_for_the_server_is_answered_in_the_envelope(
    real_server: RealServer,
) -> None:
    headers = real_server.new_user()
    with httpx.Client(base_url=real_server.base, headers=headers, timeout=120) as client:
        made = client.post("/v1/blocks/bulk", json={"blocks": many(4_000)})
        assert made.status_code == 201, made.text
        ids = [b["id"] for b in made.json()["data"]]
        # httpx refuses to send such a URL, so it goes out through the standard library.
        url = urlsplit(real_server.base)
        conn = http.client.HTTPConnection(url.hostname or "", url.port, timeout=120)
        conn.request("DELETE", "/v1/blocks/bulk?ids=" + ",".join(ids), headers=headers)
        answer = conn.getresponse()
        refused = httpx.Response(answer.status, headers=answer.getheaders(), content=answer.read())
        conn.close()
        assert refused.headers["content-type"].startswith("application/json")
        assert_error(refused, 400, "VALIDATION_ERROR", "ids")
        assert "JSON body" in refused.json()["error"]["message"]
        assert refused.headers["x-request-id"] == refused.json()["meta"]["request_id"]
        assert client.get("/v1/blocks").json()["meta"]["total"] == 4_000
        body = client.request("DELETE", "/v1/blocks/bulk", json={"ids": ids})
        assert body.status_code == 200, body.text
        assert body.json()["data"] == {"deleted": ids}
        assert client.get("/v1/blocks").json()["meta"]["total"] == 0
