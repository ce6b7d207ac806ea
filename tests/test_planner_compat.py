"""A study planner's scripts, replayed unchanged (SPEC §3 Time blocks, the paragraph on
``subject_id``): they call a project a subject, list today's blocks, filter the undone
ones, tick blocks off and move them, read the statistics per period, and rely on the
error codes. Every call here is written as such a script sends it."""

from __future__ import annotations

from typing import Any

from tests.conftest import Persona, assert_error
from tests.factories import new_project

TODAY = "2026-11-24"  # the frozen clock's day (tests/conftest.py)


def plan_day(p: Persona, subject_id: str) -> list[dict[str, Any]]:
    sessions = [("08:00", "09:00", "Eigenvalues"), ("10:00", "11:30", "Proofs")]
    return [
        p.ok(
            "POST",
            "/v1/blocks",
            201,
            json={"date": TODAY, "start": s, "end": e, "topic": t, "subject_id": subject_id},
        )
        for s, e, t in sessions
    ]


def test_the_planner_day_replays_unchanged(owner: Persona) -> None:
    algebra = new_project(owner, "Linear Algebra")
    history = new_project(owner, "History")
    first, second = plan_day(owner, algebra["id"])
    assert (first["subject_id"], first["subject_name"]) == (algebra["id"], "Linear Algebra")
    assert (first["project_id"], first["project_name"]) == (algebra["id"], "Linear Algebra")

    # list today's blocks, then the undone ones
    today = owner.get("/v1/blocks", params={"date": TODAY}).json()
    assert [b["id"] for b in today["data"]] == [first["id"], second["id"]]
    assert today["meta"]["total"] == 2 and today["error"] is None

    # tick one off, rename, move and re-subject the other
    done = owner.ok("PATCH", f"/v1/blocks/{first['id']}", json={"done": True})
    assert done["done"] is True and done["completed_at"] is not None
    undone = owner.ok("GET", "/v1/blocks", params={"date": TODAY, "done": "false"})
    assert [b["id"] for b in undone] == [second["id"]]
    moved = owner.ok(
        "PATCH",
        f"/v1/blocks/{second['id']}",
        json={"topic": "Essay plan", "start": "13:00", "end": "14:15", "subject_id": history["id"]},
    )
    assert (moved["topic"], moved["start"], moved["end"]) == ("Essay plan", "13:00", "14:15")
    assert moved["duration_minutes"] == 75
    assert (moved["subject_id"], moved["subject_name"]) == (history["id"], "History")
    assert moved["project_id"] == history["id"]

    # the subject filter is the project filter
    by_subject = owner.ok("GET", "/v1/blocks", params={"subject_id": history["id"]})
    by_project = owner.ok("GET", "/v1/blocks", params={"project_id": history["id"]})
    assert [b["id"] for b in by_subject] == [b["id"] for b in by_project] == [second["id"]]

    # clearing the subject clears the project
    cleared = owner.ok("PATCH", f"/v1/blocks/{second['id']}", json={"subject_id": None})
    assert cleared["subject_id"] is None and cleared["project_id"] is None
    assert cleared["subject_name"] is None

    # statistics per period
    for period in ("today", "week", "month", "all"):
        stats = owner.ok("GET", "/v1/stats", params={"period": period})
        assert (stats["total_blocks"], stats["completed_blocks"]) == (2, 1), period
        assert stats["completion_rate"] == 0.5 and stats["total_minutes"] == 60
        assert stats["heatmap"][TODAY] == 1


def test_the_error_codes_a_planner_reads(owner: Persona, outsider: Persona) -> None:
    algebra = new_project(owner)
    block = plan_day(owner, algebra["id"])[0]
    url = f"/v1/blocks/{block['id']}"

    assert_error(
        owner.patch(url, json={"start": "10:00", "end": "09:00"}), 400, "VALIDATION_ERROR", "end"
    )
    assert_error(owner.patch(url, json={"dnoe": True}), 400, "VALIDATION_ERROR", "dnoe")
    assert_error(owner.patch("/v1/blocks/blk_missing", json={"done": True}), 404, "NOT_FOUND")
    assert_error(outsider.patch(url, json={"done": True}), 404, "NOT_FOUND")
    assert_error(
        owner.get("/v1/stats", params={"period": "decade"}), 400, "VALIDATION_ERROR", "period"
    )
    anonymous = owner.client.get("/v1/blocks", params={"date": TODAY})
    assert_error(anonymous, 401, "UNAUTHORIZED")
    # a subject of another account is as unknown as one that does not exist (docs/api.md)
    theirs = new_project(outsider, "Theirs")
    refused = owner.patch(url, json={"subject_id": theirs["id"]})
    assert_error(refused, 400, "VALIDATION_ERROR", "subject_id")


def test_subject_id_and_project_id_that_differ_are_refused_naming_subject_id(
    owner: Persona,
) -> None:
    a, b = new_project(owner, "A"), new_project(owner, "B")
    one = {"date": TODAY, "start": "08:00", "end": "09:00"}
    both = {"project_id": a["id"], "subject_id": b["id"]}
    assert_error(
        owner.post("/v1/blocks", json={**one, **both}), 400, "VALIDATION_ERROR", "subject_id"
    )
    block = owner.ok(
        "POST", "/v1/blocks", 201, json={**one, "project_id": a["id"], "subject_id": a["id"]}
    )
    assert block["subject_id"] == a["id"]
    url = f"/v1/blocks/{block['id']}"
    assert_error(owner.patch(url, json=both), 400, "VALIDATION_ERROR", "subject_id")
    assert_error(owner.put(url, json={**one, **both}), 400, "VALIDATION_ERROR", "subject_id")
    assert_error(owner.get("/v1/blocks", params=both), 400, "VALIDATION_ERROR", "subject_id")
    refused = owner.post("/v1/blocks/bulk", json={"blocks": [one, {**one, **both}]})
    error = assert_error(refused, 400, "VALIDATION_ERROR", "subject_id")
    assert [(d["index"], d["field"]) for d in error["details"]] == [(1, "subject_id")]
    series = {**one, **both, "rrule": "FREQ=DAILY;COUNT=2"}
    assert_error(
        owner.post("/v1/blocks/series", json=series), 400, "VALIDATION_ERROR", "subject_id"
    )
    assert owner.ok("GET", "/v1/blocks", params={"date": TODAY}) == [block]


def test_subject_id_in_bulk_series_stream_and_events(owner: Persona) -> None:
    algebra = new_project(owner, "Algebra")
    one = {"date": TODAY, "start": "08:00", "end": "09:00", "subject_id": algebra["id"]}
    made = owner.ok(
        "POST",
        "/v1/blocks/bulk",
        201,
        json={"blocks": [one, {**one, "start": "09:30", "end": "10:00"}]},
    )
    assert [b["subject_name"] for b in made] == ["Algebra", "Algebra"]
    patched = owner.ok(
        "PATCH", "/v1/blocks/bulk", json={"blocks": [{"id": made[0]["id"], "subject_id": None}]}
    )
    assert patched[0]["project_id"] is None and patched[0]["subject_id"] is None

    series = owner.ok(
        "POST",
        "/v1/blocks/series",
        201,
        json={**one, "date": "2026-11-25", "rrule": "FREQ=DAILY;COUNT=2"},
    )
    assert series["project_id"] == series["subject_id"] == algebra["id"]
    assert {b["subject_id"] for b in series["blocks"]} == {algebra["id"]}
    changed = owner.ok("PATCH", f"/v1/blocks/series/{series['id']}", json={"subject_id": None})
    assert changed["subject_id"] is None and {b["subject_id"] for b in changed["blocks"]} == {None}

    listed = owner.ok("GET", "/v1/blocks", params={"subject_id": algebra["id"]})
    streamed = owner.get("/v1/blocks/stream", params={"subject_id": algebra["id"]})
    rows = [line for line in streamed.text.splitlines() if line]
    assert len(rows) == len(listed) == 1
    assert '"subject_id":"' + algebra["id"] + '"' in rows[0].replace(" ", "")
    assert '"subject_name":"Algebra"' in rows[0].replace(" ", "")


def test_the_openapi_document_shows_subject_id(app: Any) -> None:
    doc = app.openapi()
    schemas = doc["components"]["schemas"]
    for name in ("BlockCreate", "BlockPatch", "BlockPut", "SeriesCreate", "SeriesPatch"):
        assert "subject_id" in schemas[name]["properties"], name
    outs = [s for n, s in schemas.items() if n.startswith("BlockOut")]
    assert outs and all({"subject_id", "subject_name"} <= set(s["properties"]) for s in outs)
    params = {p["name"] for p in doc["paths"]["/v1/blocks"]["get"]["parameters"]}
    assert "subject_id" in params


def test_an_unknown_subject_is_named_subject_id_in_bulk_items(owner: Persona) -> None:
    one = {"date": TODAY, "start": "08:00", "end": "09:00"}
    body = {"blocks": [one, {**one, "subject_id": "prj_nope"}]}
    error = assert_error(owner.post("/v1/blocks/bulk", json=body), 400, "VALIDATION_ERROR")
    assert error["field"] == "subject_id"
    assert owner.ok("GET", "/v1/blocks", params={"date": TODAY}) == []
