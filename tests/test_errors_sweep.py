"""Every route, swept with bad input: each answer is the envelope with the SPEC's code.

The routes come from the app itself, so a route added later is swept without a change here.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi import Request

from tests.conftest import Persona, assert_error, make_settings
from timeboxd.api.app import RAW_BODY_PREFIXES, api_routes, create_app

# Not behind an API key: the service routes, the documents, and the calendar feed, which
# calendar apps fetch with a token in the URL (tested in test_calendar_feed.py).
OPEN = {"/health", "/ready", "/openapi.json", "/docs", "/v1/calendar.ics"}
LEAKS = re.compile(r"Traceback|File \"|sqlalchemy|psycopg|sqlite3|SELECT |INSERT |UPDATE ", re.I)


def keyed_routes(app: Any) -> list[tuple[str, str, Any]]:
    out = []
    for route in api_routes(app):
        if route.path not in OPEN:
            for method in sorted(route.methods or ()):
                out.append((method, route.path, route))
    return out


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "zzz_missing", path)


def required_scope(route: Any) -> str | None:
    pending = list(route.dependant.dependencies)
    while pending:
        dep = pending.pop()
        scope = getattr(dep.call, "required_scope", None)
        if scope is not None:
            return str(scope)
        pending += dep.dependencies
    return None


def takes_json(method: str, route: Any) -> bool:
    return (
        method in {"POST", "PUT", "PATCH"}
        and route.body_field is not None
        and not route.path.startswith(RAW_BODY_PREFIXES)
    )


def no_leak(response: Any) -> None:
    assert not LEAKS.search(response.text), response.text


def date_parameters(app: Any, method: str, path: str) -> list[str]:
    operation = app.openapi()["paths"][path][method.lower()]
    names = []
    for param in operation.get("parameters", []):
        schema = param.get("schema", {})
        options = [schema, *schema.get("anyOf", [])]
        if param["in"] == "query" and any(o.get("format") == "date" for o in options):
            names.append(param["name"])
    return names


def test_every_keyed_route_is_swept(app: Any) -> None:
    routes = keyed_routes(app)
    assert len(routes) > 40
    assert all(required_scope(route) for _, _, route in routes), [
        path for _, path, route in routes if not required_scope(route)
    ]


def test_bad_input_on_every_route(app: Any, owner: Persona) -> None:
    narrow = {scope: owner.new_key(scopes=[scope]) for scope in ("read:blocks", "read:webhooks")}
    checked = {"auth": 0, "scope": 0, "json": 0, "unknown": 0, "date": 0}
    for method, path, route in keyed_routes(app):
        url = concrete(path)
        where = f"{method} {path}"

        response = owner.client.request(method, url)
        assert_error(response, 401, "UNAUTHORIZED"), where
        no_leak(response)
        checked["auth"] += 1

        scope = required_scope(route)
        if scope not in (None, "any"):
            other = narrow["read:webhooks" if scope == "read:blocks" else "read:blocks"]
            response = owner.as_key(other).request(method, url)
            assert response.status_code == 403, (where, response.text)
            assert_error(response, 403, "FORBIDDEN")
            checked["scope"] += 1

        if takes_json(method, route):
            headers = {"Content-Type": "application/json"}
            response = owner.request(method, url, content=b'{"topic": ', headers=headers)
            assert response.status_code == 400, (where, response.text)
            assert_error(response, 400, "VALIDATION_ERROR")
            no_leak(response)
            checked["json"] += 1

            response = owner.request(method, url, json={"zzz_unknown": 1})
            if response.status_code != 404:  # a missing id may be looked up first
                assert response.status_code == 400, (where, response.text)
                assert_error(response, 400, "VALIDATION_ERROR", field="zzz_unknown")
                checked["unknown"] += 1

        upload: dict[str, Any] = {}
        if route.path.startswith(RAW_BODY_PREFIXES):
            upload = {"content": b"date,start,end\n", "headers": {"Content-Type": "text/csv"}}
        for name in date_parameters(app, method, path):
            response = owner.request(method, url, params={name: "2026-02-30"}, **upload)
            assert response.status_code == 400, (where, name, response.text)
            assert_error(response, 400, "VALIDATION_ERROR", field=name)
            checked["date"] += 1
    assert all(checked.values()), checked


def test_unknown_route_and_wrong_method(owner: Persona) -> None:
    assert_error(owner.get("/v1/no-such-thing"), 404, "NOT_FOUND")
    assert_error(owner.get("/nowhere"), 404, "NOT_FOUND")
    response = owner.request("PUT", "/v1/blocks")
    assert_error(response, 405, "VALIDATION_ERROR")
    no_leak(response)


def test_wrong_content_type_is_named(owner: Persona) -> None:
    response = owner.post(
        "/v1/projects", content=b"name=Physics", headers={"Content-Type": "text/plain"}
    )
    assert_error(response, 400, "VALIDATION_ERROR", field="Content-Type")


def test_body_over_the_limit(db: Any, clock: Any, owner: Persona, tmp_path: Any) -> None:
    from fastapi.testclient import TestClient

    small = create_app(make_settings(tmp_path, max_body_bytes=2048), db=db, clock=clock)
    with TestClient(small) as client:
        big = {"name": "x" * 4096}
        response = client.post("/v1/projects", json=big, headers=owner.headers)
        assert_error(response, 413, "PAYLOAD_TOO_LARGE")
        # Without a Content-Length (chunked), the limit holds as the body arrives.
        chunks = iter([b'{"name": "', b"y" * 4096, b'"}'])
        response = client.post(
            "/v1/projects",
            content=chunks,
            headers={**owner.headers, "Content-Type": "application/json"},
        )
        assert_error(response, 413, "PAYLOAD_TOO_LARGE")


@pytest.mark.parametrize("version", ["2", "0.9", "banana"])
def test_unsupported_version(owner: Persona, version: str) -> None:
    response = owner.get("/v1/me", headers={"X-Accept-Version": version})
    assert_error(response, 400, "UNSUPPORTED_VERSION", field="X-Accept-Version")


@pytest.mark.parametrize("version", ["1", "1.x", "1.0"])
def test_supported_versions_and_version_header(owner: Persona, version: str) -> None:
    response = owner.get("/v1/me", headers={"X-Accept-Version": version})
    assert response.status_code == 200
    assert response.headers["x-api-version"].startswith("1")


def test_nul_characters_are_refused_naming_where(owner: Persona) -> None:
    """No text column can hold U+0000; it is refused before it reaches the database."""
    block = {"date": "2026-11-25", "start": "09:00", "end": "10:00", "topic": "a\u0000b"}
    assert_error(owner.post("/v1/blocks", json=block), 400, "VALIDATION_ERROR", "topic")
    bulk = {"blocks": [dict(block, topic="fine"), dict(block, topic="\u0000")]}
    assert_error(owner.post("/v1/blocks/bulk", json=bulk), 400, "VALIDATION_ERROR", "topic")
    assert_error(owner.get("/v1/blocks/blk_%00x"), 400, "VALIDATION_ERROR", "path")
    assert_error(owner.get("/v1/blocks?project_id=%00"), 400, "VALIDATION_ERROR", "project_id")
    csv = b"date,start,end,topic\n2026-11-25,09:00,10:00,ok\n2026-11-25,11:00,12:00,a\x00b\n"
    response = owner.post("/v1/imports/blocks", content=csv, headers={"Content-Type": "text/csv"})
    error = assert_error(response, 400, "VALIDATION_ERROR", "file")
    assert "line 3" in error["message"]
    ics = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nSUMMARY:a\x00\r\nEND:VEVENT\r\n"
    response = owner.post(
        "/v1/imports/blocks", content=ics, headers={"Content-Type": "text/calendar"}
    )
    assert_error(response, 400, "VALIDATION_ERROR", "file")
    # A literal backslash followed by "u0000" is ordinary text.
    block["topic"] = "C:\\u0000 is not a NUL"
    assert owner.post("/v1/blocks", json=block).status_code == 201
    assert owner.ok("GET", "/v1/blocks")[0]["topic"] == "C:\\u0000 is not a NUL"


def test_an_unexpected_error_is_500_in_the_envelope_without_internals(
    db: Any, clock: Any, owner: Persona, tmp_path: Any, caplog: Any
) -> None:
    from fastapi.testclient import TestClient

    from timeboxd.api.deps import scoped

    app = create_app(make_settings(tmp_path), db=db, clock=clock)
    guard = scoped(None)

    async def broken(request: Request) -> None:
        await guard(request)
        raise RuntimeError("SELECT secret FROM api_keys -- internal detail")

    app.add_api_route("/v1/broken", broken, methods=["GET"])
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/v1/broken", headers=owner.headers)
    error = assert_error(response, 500, "INTERNAL_ERROR")
    assert "secret" not in response.text and "RuntimeError" not in response.text
    no_leak(response)
    assert error["message"]
    assert any("internal detail" in r.getMessage() or r.exc_info for r in caplog.records)
