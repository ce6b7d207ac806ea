"""GET /v1/blocks filters, ordering and paging, and GET /v1/blocks/stream giving the same
rows as NDJSON (SPEC §2 lists, §3 Time blocks)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import Persona, assert_error


def bulk(p: Persona, *items: dict[str, Any]) -> list[dict]:
    return list(p.ok("POST", "/v1/blocks/bulk", 201, json={"blocks": list(items)}))


def item(day: str, start: str, end: str, **extra: Any) -> dict[str, Any]:
    return {"date": day, "start": start, "end": end, **extra}


def listed(p: Persona, query: str = "") -> list[str]:
    """Topics of the listed blocks, in the order the API gives them."""
    return [b["topic"] for b in p.ok("GET", f"/v1/blocks{query}")]


@pytest.fixture
def week(owner: Persona) -> dict[str, Any]:
    """Seven blocks over four days, two projects, some done, one archived, one deleted."""
    algebra = owner.ok("POST", "/v1/projects", 201, json={"name": "Algebra"})
    history = owner.ok("POST", "/v1/projects", 201, json={"name": "History"})
    made = bulk(
        owner,
        item("2026-11-23", "14:00", "15:00", topic="mon-pm", project_id=algebra["id"]),
        item("2026-11-23", "08:00", "09:00", topic="mon-am", project_id=history["id"], done=True),
        item("2026-11-24", "10:00", "11:00", topic="tue-10", project_id=algebra["id"], done=True),
        item("2026-11-24", "09:00", "09:30", topic="tue-09"),
        item("2026-11-25", "07:00", "08:00", topic="wed-07", project_id=history["id"]),
        item("2026-11-26", "12:00", "13:00", topic="thu-archived", project_id=algebra["id"]),
        item("2026-11-26", "16:00", "17:00", topic="thu-deleted", done=True),
    )
    owner.ok("POST", f"/v1/blocks/{made[5]['id']}/archive")
    owner.ok("DELETE", f"/v1/blocks/{made[6]['id']}")
    return {"algebra": algebra["id"], "history": history["id"], "blocks": made}


ALL_LIVE = ["mon-am", "mon-pm", "tue-09", "tue-10", "wed-07"]


def test_default_lists_live_blocks_by_date_then_start(owner: Persona, week: Any) -> None:
    assert listed(owner) == ALL_LIVE


def test_filter_by_one_date(owner: Persona, week: Any) -> None:
    assert listed(owner, "?date=2026-11-24") == ["tue-09", "tue-10"]
    assert listed(owner, "?date=2026-12-24") == []


def test_date_range_includes_both_ends(owner: Persona, week: Any) -> None:
    assert listed(owner, "?date_from=2026-11-24&date_to=2026-11-25") == [
        "tue-09",
        "tue-10",
        "wed-07",
    ]
    assert listed(owner, "?date_from=2026-11-24&date_to=2026-11-24") == ["tue-09", "tue-10"]
    assert listed(owner, "?date_from=2026-11-25") == ["wed-07"]
    assert listed(owner, "?date_to=2026-11-23") == ["mon-am", "mon-pm"]


def test_filter_by_project(owner: Persona, week: Any) -> None:
    assert listed(owner, f"?project_id={week['algebra']}") == ["mon-pm", "tue-10"]
    assert listed(owner, f"?project_id={week['history']}&date=2026-11-25") == ["wed-07"]
    assert listed(owner, "?project_id=prj_unknown") == []


def test_filter_by_done(owner: Persona, week: Any) -> None:
    assert listed(owner, "?done=true") == ["mon-am", "tue-10"]
    assert listed(owner, "?done=false") == ["mon-pm", "tue-09", "wed-07"]
    assert listed(owner, f"?done=true&project_id={week['algebra']}") == ["tue-10"]


def test_archived_blocks_only_when_asked(owner: Persona, week: Any) -> None:
    assert "thu-archived" not in listed(owner, "?date=2026-11-26")
    assert listed(owner, "?archived=false") == ALL_LIVE
    assert listed(owner, "?archived=true") == ["thu-archived"]


def test_deleted_blocks_are_never_listed_but_in_the_trash(owner: Persona, week: Any) -> None:
    assert "thu-deleted" not in listed(owner, "?done=true")
    assert listed(owner, "?deleted=true") == ["thu-deleted"]


def test_order_by_descending_and_several_columns(owner: Persona, week: Any) -> None:
    assert listed(owner, "?order_by=-start") == ["mon-pm", "tue-10", "tue-09", "mon-am", "wed-07"]
    assert listed(owner, "?order_by=-date,start") == [
        "wed-07",
        "tue-09",
        "tue-10",
        "mon-am",
        "mon-pm",
    ]
    assert listed(owner, "?order_by=topic") == sorted(ALL_LIVE)
    assert listed(owner, "?order_by=date,start") == ALL_LIVE


@pytest.mark.parametrize("order_by", ["colour", "-password", "date,nope", "start;drop"])
def test_unknown_order_column_is_refused(owner: Persona, order_by: str) -> None:
    response = owner.get("/v1/blocks", params={"order_by": order_by})
    assert_error(response, 400, "VALIDATION_ERROR", "order_by")


def test_date_with_a_range_is_refused(owner: Persona) -> None:
    response = owner.get("/v1/blocks?date=2026-11-24&date_from=2026-11-20")
    assert_error(response, 400, "VALIDATION_ERROR", "date")
    response = owner.get("/v1/blocks?date=2026-11-24&date_to=2026-11-30")
    assert_error(response, 400, "VALIDATION_ERROR", "date")


def test_range_ending_before_it_starts_is_refused(owner: Persona) -> None:
    response = owner.get("/v1/blocks?date_from=2026-11-24&date_to=2026-11-23")
    assert_error(response, 400, "VALIDATION_ERROR", "date_to")


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("date=24.11.2026", "date"),
        ("date=2026-02-30", "date"),
        ("date_from=2026-1-1", "date_from"),
        ("done=perhaps", "done"),
        ("page=0&per_page=10", "page"),
        ("page=1&per_page=0", "per_page"),
        ("page=1&per_page=1001", "per_page"),
    ],
)
def test_bad_query_values_name_the_parameter(owner: Persona, query: str, field: str) -> None:
    assert_error(owner.get(f"/v1/blocks?{query}"), 400, "VALIDATION_ERROR", field)


def page_of(p: Persona, page: int, per_page: int) -> tuple[list[str], dict[str, Any]]:
    body = p.get(f"/v1/blocks?page={page}&per_page={per_page}").json()
    meta = {k: body["meta"][k] for k in ("page", "per_page", "total", "has_more")}
    return [b["topic"] for b in body["data"]], meta


def test_pages_carry_correct_meta(owner: Persona, week: Any) -> None:
    assert page_of(owner, 1, 2) == (
        ["mon-am", "mon-pm"],
        {"page": 1, "per_page": 2, "total": 5, "has_more": True},
    )
    assert page_of(owner, 2, 2) == (
        ["tue-09", "tue-10"],
        {"page": 2, "per_page": 2, "total": 5, "has_more": True},
    )
    assert page_of(owner, 3, 2) == (
        ["wed-07"],
        {"page": 3, "per_page": 2, "total": 5, "has_more": False},
    )
    assert page_of(owner, 4, 2) == ([], {"page": 4, "per_page": 2, "total": 5, "has_more": False})
    assert page_of(owner, 1, 5) == (
        ALL_LIVE,
        {"page": 1, "per_page": 5, "total": 5, "has_more": False},
    )


def test_paging_counts_only_filtered_rows(owner: Persona, week: Any) -> None:
    body = owner.get("/v1/blocks?done=false&page=1&per_page=1").json()
    assert [b["topic"] for b in body["data"]] == ["mon-pm"]
    assert (body["meta"]["total"], body["meta"]["has_more"]) == (3, True)


def test_page_or_per_page_alone_pages(owner: Persona, week: Any) -> None:
    only_per_page = owner.get("/v1/blocks?per_page=3").json()
    assert [b["topic"] for b in only_per_page["data"]] == ALL_LIVE[:3]
    assert only_per_page["meta"]["page"] == 1 and only_per_page["meta"]["has_more"] is True
    only_page = owner.get("/v1/blocks?page=1").json()
    assert only_page["meta"]["per_page"] == 50
    assert [b["topic"] for b in only_page["data"]] == ALL_LIVE


def test_without_paging_every_match_is_returned(owner: Persona) -> None:
    days = [f"2026-12-{d:02d}" for d in range(1, 31)]
    bulk(
        owner,
        *[
            item(day, f"{h:02d}:00", f"{h:02d}:45", topic=f"{day} {h}")
            for day in days
            for h in (8, 9, 10)
        ],
    )
    body = owner.get("/v1/blocks").json()
    assert len(body["data"]) == 90
    assert body["meta"]["total"] == 90 and body["meta"]["has_more"] is False
    assert [b["topic"] for b in body["data"]] == [f"{d} {h}" for d in days for h in (8, 9, 10)]


def stream(p: Persona, query: str = "") -> list[dict[str, Any]]:
    response = p.get(f"/v1/blocks/stream{query}")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/x-ndjson")
    assert response.text == "" or response.text.endswith("\n")
    return [json.loads(line) for line in response.text.splitlines()]


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?date=2026-11-24",
        "?date_from=2026-11-24&date_to=2026-11-25",
        "?done=true",
        "?archived=true",
        "?order_by=-start",
        "?project_id={algebra}",
    ],
)
def test_stream_gives_the_same_rows_as_the_list(owner: Persona, week: Any, query: str) -> None:
    query = query.format(**week)
    rows = stream(owner, query)
    assert rows == owner.ok("GET", f"/v1/blocks{query}")
    assert rows, "every query here matches something"


def test_stream_lines_are_whole_block_objects(owner: Persona, week: Any) -> None:
    rows = stream(owner)
    assert [r["topic"] for r in rows] == ALL_LIVE
    for row in rows:
        assert row["id"].startswith("blk_") and "envelope" not in row
        assert {"date", "start", "end", "duration_minutes", "start_at", "project_name"} <= set(row)


def test_stream_of_nothing_is_an_empty_body(owner: Persona) -> None:
    response = owner.get("/v1/blocks/stream")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/x-ndjson")
    assert response.content == b""


def test_stream_refuses_bad_filters_before_streaming(owner: Persona) -> None:
    both = owner.get("/v1/blocks/stream?date=2026-11-24&date_from=2026-11-20")
    assert_error(both, 400, "VALIDATION_ERROR", "date")
    backwards = owner.get("/v1/blocks/stream?date_from=2026-11-24&date_to=2026-11-23")
    assert_error(backwards, 400, "VALIDATION_ERROR", "date_to")
    assert_error(owner.get("/v1/blocks/stream?order_by=x"), 400, "VALIDATION_ERROR", "order_by")
