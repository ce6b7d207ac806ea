"""The OpenAPI document says what the server does: the methods a path serves, the bounds of
headers, dates and text, and which of two faults in one request is answered."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.conftest import Persona, assert_error
from tests.factories import new_block, new_project


@pytest.fixture
def document(owner: Persona) -> dict[str, Any]:
    response = owner.client.get("/openapi.json")
    assert response.status_code == 200
    return dict(response.json())


def allowed(response: Any) -> set[str]:
    return {m.strip() for m in response.headers.get("allow", "").split(",") if m.strip()}


def test_allow_lists_exactly_the_documented_methods_of_every_path(
    owner: Persona, document: dict[str, Any]
) -> None:
    wrong: dict[str, str] = {}
    for path, item in document["paths"].items():
        url = re.sub(r"\{[^}]+\}", "zzz_missing", path)
        documented = {method.upper() for method in item}
        response = owner.request("OPTIONS", url)
        assert_error(response, 405, "VALIDATION_ERROR", "method")
        if allowed(response) - {"HEAD"} != documented:
            wrong[path] = f"Allow {sorted(allowed(response))} != {sorted(documented)}"
    assert not wrong, wrong


@pytest.mark.parametrize(
    ("path", "methods", "refused"),
    [
        ("/v1/blocks/bulk", {"POST", "PATCH", "DELETE"}, ["GET", "PUT"]),
        ("/v1/blocks/series", {"POST"}, ["GET", "PUT", "PATCH", "DELETE"]),
        ("/v1/blocks/stream", {"GET"}, ["PUT", "PATCH", "DELETE"]),
        ("/v1/time-entries/bulk", {"POST", "PATCH", "DELETE"}, ["GET", "PUT"]),
    ],
)
def test_a_path_spelled_out_is_not_read_as_an_id(
    owner: Persona, path: str, methods: set[str], refused: list[str]
) -> None:
    """``/v1/blocks/bulk`` is not the block "bulk": a method it lacks is 405, not the 404
    or 400 that ``/v1/blocks/{block_id}`` would answer."""
    for method in refused:
        response = owner.request(method, path)
        assert_error(response, 405, "VALIDATION_ERROR", "method")
        assert allowed(response) == methods, method


def test_idempotency_key_is_documented_as_the_server_checks_it(
    owner: Persona, document: dict[str, Any]
) -> None:
    post = document["paths"]["/v1/projects"]["post"]
    (header,) = [p for p in post["parameters"] if p["name"] == "Idempotency-Key"]
    assert header["schema"] == {"type": "string", "minLength": 1, "maxLength": 255}
    for key in ("", "x" * 256):
        response = owner.post("/v1/projects", json={"name": "A"}, headers={"Idempotency-Key": key})
        assert_error(response, 400, "VALIDATION_ERROR", "Idempotency-Key")
    for key in ("x", "x" * 255):
        response = owner.post("/v1/projects", json={"name": "A"}, headers={"Idempotency-Key": key})
        assert response.status_code == 201, response.text


def _component(document: dict[str, Any], name: str) -> dict[str, Any]:
    return dict(document["components"]["schemas"][name])


def _query_parameter(document: dict[str, Any], path: str, name: str) -> dict[str, Any]:
    (parameter,) = [p for p in document["paths"][path]["get"]["parameters"] if p["name"] == name]
    schema = parameter["schema"]
    return dict(next(s for s in schema.get("anyOf", [schema]) if s.get("type") == "string"))


@pytest.mark.parametrize(
    ("day", "accepted"),
    [("1899-12-31", False), ("1900-01-01", True), ("2999-12-31", True), ("3000-01-01", False)],
)
def test_the_documented_date_range_is_the_servers(
    owner: Persona, document: dict[str, Any], day: str, accepted: bool
) -> None:
    body_date = _component(document, "BlockCreate")["properties"]["date"]
    query_date = _query_parameter(document, "/v1/blocks", "date_from")
    start_at = _component(document, "EntryCreate")["properties"]["start_at"]
    for schema in (body_date, query_date):
        assert schema["format"] == "date"
        assert bool(re.search(schema["pattern"], day)) is accepted, schema
    assert bool(re.search(start_at["pattern"], f"{day}T09:00:00Z")) is accepted

    response = owner.post("/v1/blocks", json={"date": day, "start": "09:00", "end": "10:00"})
    assert response.status_code == (201 if accepted else 400), response.text
    response = owner.get("/v1/blocks", params={"date_from": day, "date_to": "2999-12-31"})
    assert response.status_code == (200 if accepted else 400), response.text
    entry = {"start_at": f"{day}T09:00:00Z", "end_at": f"{day}T10:00:00Z"}
    response = owner.post("/v1/time-entries", json=entry)
    assert response.status_code == (201 if accepted else 400), response.text
    if not accepted:
        assert_error(response, 400, "VALIDATION_ERROR", "start_at")


def test_text_that_refuses_nul_says_so(owner: Persona, document: dict[str, Any]) -> None:
    topic = _component(document, "BlockCreate")["properties"]["topic"]
    name = _component(document, "ProjectCreate")["properties"]["name"]
    email = _component(document, "ClientCreate")["properties"]["email"]
    (block_id,) = document["paths"]["/v1/blocks/{block_id}"]["get"]["parameters"][:1]
    query = _query_parameter(document, "/v1/search", "q")
    for schema in (topic, name, next(s for s in email["anyOf"] if "pattern" in s), query):
        assert re.search(schema["pattern"], "fine") or re.search(schema["pattern"], "a@b.cd")
        assert not re.search(schema["pattern"], "a\x00b@c.de"), schema
    assert not re.search(block_id["schema"]["pattern"], "blk_\x00")
    body = {"date": "2026-11-24", "start": "09:00", "end": "10:00", "topic": "a\x00"}
    assert_error(owner.post("/v1/blocks", json=body), 400, "VALIDATION_ERROR", "topic")


def test_a_bad_body_is_answered_before_a_stale_if_match(owner: Persona) -> None:
    """400 beats 412: a request wrong in itself is told so, whatever version it names."""
    block = new_block(owner, "2026-11-24", "09:00")
    url = f"/v1/blocks/{block['id']}"
    stale = {"If-Match": '"blk_x.0"'}
    response = owner.patch(url, json={"end": "08:00"}, headers=stale)
    assert_error(response, 400, "VALIDATION_ERROR", "end")
    assert_error(owner.patch("/v1/me", json={"name": None}, headers=stale), 400, "VALIDATION_ERROR")
    project = new_project(owner, "Art")
    response = owner.patch(
        f"/v1/projects/{project['id']}", json={"client_id": "cli_missing"}, headers=stale
    )
    assert_error(response, 400, "VALIDATION_ERROR", "client_id")

    # A request that would succeed gets the 412, and nothing of it is written.
    response = owner.patch(url, json={"topic": "changed"}, headers=stale)
    assert_error(response, 412, "PRECONDITION_FAILED", "If-Match")
    assert_error(owner.delete(url, headers=stale), 412, "PRECONDITION_FAILED", "If-Match")
    after = owner.get(url)
    assert after.status_code == 200 and after.json()["data"] == block
    assert after.headers["etag"] == f'"{block["id"]}.1"'


def test_a_body_that_is_not_utf8_is_not_valid_json(owner: Persona) -> None:
    headers = {"Content-Type": "application/json"}
    for body in (b'{"name": "\xff"}', b"\xfe\xff\xfe"):
        response = owner.post("/v1/projects", content=body, headers=headers)
        error = assert_error(response, 400, "VALIDATION_ERROR")
        assert error["message"] == "the body is not valid JSON"


def test_a_required_field_is_not_documented_as_nullable_in_a_patch(
    owner: Persona, document: dict[str, Any]
) -> None:
    tag = owner.ok("POST", "/v1/tags", 201, json={"name": "exam"})
    for component, field in (("TagPatch", "name"), ("MePatch", "timezone"), ("BlockPatch", "end")):
        schema = _component(document, component)["properties"][field]
        assert "anyOf" not in schema and "default" not in schema, (component, schema)
    response = owner.patch(f"/v1/tags/{tag['id']}", json={"name": None})
    assert_error(response, 400, "VALIDATION_ERROR", "name")
    # An optional field still clears with null.
    color = _component(document, "TagPatch")["properties"]["color"]
    assert {"type": "null"} in color["anyOf"]


def test_an_xlsx_export_leaves_out_what_xml_cannot_hold(owner: Persona) -> None:
    from io import BytesIO

    from openpyxl import load_workbook

    project = new_project(owner, "Bell\x07 and\x1b tab\there")
    entry = {"start_at": "2026-11-23T09:00:00Z", "end_at": "2026-11-23T10:00:00Z"}
    owner.ok("POST", "/v1/time-entries", 201, json={**entry, "project_id": project["id"]})
    query = {"format": "xlsx", "date_from": "2026-11-01", "date_to": "2026-11-30"}
    response = owner.get("/v1/reports/summary", params=query)
    assert response.status_code == 200, response.text
    sheet = load_workbook(BytesIO(response.content)).active
    assert sheet is not None
    labels = [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert "Bell and tab\there" in labels, labels


def test_settings_take_json_types_as_documented(owner: Persona) -> None:
    """A boolean is not a number of minutes, nor a number a boolean (no lax coercion where
    the document says integer or boolean)."""
    assert_error(
        owner.patch("/v1/me", json={"daily_goal_minutes": True}),
        400,
        "VALIDATION_ERROR",
        "daily_goal_minutes",
    )
    workspace = owner.ok("POST", "/v1/workspaces", 201, json={"name": "T"})
    response = owner.patch(f"/v1/workspaces/{workspace['id']}", json={"allow_self_approval": 0})
    assert_error(response, 400, "VALIDATION_ERROR", "allow_self_approval")


def test_a_repeated_query_parameter_is_refused(owner: Persona) -> None:
    response = owner.get("/v1/reports/summary?client_id=cli_a&client_id=cli_b")
    assert_error(response, 400, "VALIDATION_ERROR", "client_id")
    assert_error(owner.get("/v1/blocks?done=true&done=false"), 400, "VALIDATION_ERROR", "done")
