"""/v1/agenda: a day's plan as JSON and as a Markdown checklist."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.conftest import FrozenClock, Persona, assert_error


def test_agenda_json_lists_the_day_in_order_with_totals(owner: Persona) -> None:
    project = owner.ok("POST", "/v1/projects", 201, json={"name": "Physics"})
    owner.ok(
        "POST",
        "/v1/blocks",
        201,
        json={"date": "2026-11-24", "start": "14:00", "end": "15:00", "topic": "Lab"},
    )
    first = owner.ok(
        "POST",
        "/v1/blocks",
        201,
        json={
            "date": "2026-11-24",
            "start": "09:00",
            "end": "10:30",
            "topic": "Optics",
            "project_id": project["id"],
        },
    )
    owner.ok(
        "POST", "/v1/blocks", 201, json={"date": "2026-11-25", "start": "09:00", "end": "10:00"}
    )
    owner.ok("PATCH", f"/v1/blocks/{first['id']}", json={"done": True})
    plan = owner.ok("GET", "/v1/agenda?date=2026-11-24")
    assert [b["topic"] for b in plan["blocks"]] == ["Optics", "Lab"]
    assert (plan["planned_minutes"], plan["done_minutes"], plan["done_count"]) == (150, 90, 1)


def test_agenda_defaults_to_today_in_the_account_zone(owner: Persona, clock: FrozenClock) -> None:
    clock.set(datetime(2026, 11, 24, 12, 0, tzinfo=UTC))  # already the 25th in Auckland
    owner.set_timezone("Pacific/Auckland")
    owner.ok(
        "POST",
        "/v1/blocks",
        201,
        json={"date": "2026-11-25", "start": "08:00", "end": "09:00", "topic": "Kiwi"},
    )
    plan = owner.ok("GET", "/v1/agenda")
    assert plan["date"] == "2026-11-25" and [b["topic"] for b in plan["blocks"]] == ["Kiwi"]


def test_agenda_markdown_is_a_checklist(owner: Persona) -> None:
    project = owner.ok("POST", "/v1/projects", 201, json={"name": "Maths"})
    done = owner.ok(
        "POST",
        "/v1/blocks",
        201,
        json={
            "date": "2026-11-24",
            "start": "09:00",
            "end": "10:30",
            "topic": "Proofs *hard*",
            "project_id": project["id"],
        },
    )
    owner.ok(
        "POST",
        "/v1/blocks",
        201,
        json={"date": "2026-11-24", "start": "11:00", "end": "11:45", "topic": "Reading"},
    )
    owner.ok("PATCH", f"/v1/blocks/{done['id']}", json={"done": True})
    response = owner.get("/v1/agenda?date=2026-11-24&format=markdown")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/markdown")
    lines = response.text.splitlines()
    assert "- [x] 09:00-10:30 **Maths** — Proofs \\*hard\\*" in lines
    assert "- [ ] 11:00-11:45 Reading" in lines


def test_empty_day_and_bad_input(owner: Persona) -> None:
    empty = owner.get("/v1/agenda?date=2026-01-01&format=markdown")
    assert "Nothing planned" in empty.text
    assert_error(owner.get("/v1/agenda?date=2026-13-01"), 400, "VALIDATION_ERROR", "date")
    assert_error(owner.get("/v1/agenda?format=pdf"), 400, "VALIDATION_ERROR", "format")
