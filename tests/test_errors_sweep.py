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
from timeboxd.api.openapi_rules import NO_NUL

# Not behind an API key: the service routes, the documents, and the calendar feed, which
# calendar apps fetch with a token in the URL (tested in test_calendar_feed.py).
OPEN = {"/health", "/ready", "/metrics", "/openapi.json", "/docs", "/v1/calendar.ics"}
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


BAD = {"date": "2026-02-30", "date-time": "2026-02-30T09:00:00Z"}
GOOD = {"date": "2026-11-25", "date-time": "2026-11-25T09:00:00Z", "": "zzz"}
# Routes of work in progress that the sweep is known to fail on: "METHOD /path" → why.
# A failure there makes the test xfail (not strict) as long as every other route passes.
KNOWN_FAILING: dict[str, str] = {}


def _formats(schema: dict[str, Any]) -> set[str]:
    return {o.get("format", "") for o in (schema, *schema.get("anyOf", []))} & set(BAD)


def date_parameters(app: Any, method: str, path: str) -> dict[str, str]:
    """Query parameters that take a date or an instant → a bad value for each."""
    operation = app.openapi()["paths"][path][method.lower()]
    found = {}
    for param in operation.get("parameters", []):
        for fmt in _formats(param.get("schema", {})):
            if param["in"] == "query":
                found[param["name"]] = BAD[fmt]
    return found


def json_body_schema(app: Any, method: str, path: str) -> dict[str, Any]:
    spec = app.openapi()
    operation = spec["paths"][path][method.lower()]
    content = operation.get("requestBody", {}).get("content", {})
    schema = content.get("application/json", {}).get("schema", {})
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return dict(schema)


def filler(schema: dict[str, Any]) -> str | None:
    """A good value for a required text field (so the sweep can fill it in), if simple."""
    for option in (schema, *schema.get("anyOf", [])):
        # Free text (its pattern only refuses NUL), or a date or an instant (whose pattern
        # holds the years 1900-2999).
        free = option.get("pattern") in (None, NO_NUL) or "format" in option
        if option.get("type") == "string" and free and "enum" not in option:
            return GOOD.get(option.get("format", ""))
    return None


def path_regex(path: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path)) + "$")


def unrouted_method(app: Any, url: str) -> tuple[str | None, set[str]]:
    """A method no route serves at ``url`` (so the answer must be 405), and those served:
    a route whose path is ``url`` itself decides alone (``/v1/blocks/bulk`` is not a block
    id), else every route whose template matches."""
    matching = [route for route in api_routes(app) if path_regex(route.path).match(url)]
    exact = [route for route in matching if route.path == url] or matching
    served = {method for route in exact for method in route.methods or ()}
    missing = [m for m in ("DELETE", "PUT", "PATCH", "POST", "GET") if m not in served]
    return (missing[0] if missing else None), served


class Sweep:
    """Collects every failing check by route, so that one run reports all of them."""

    def __init__(self) -> None:
        self.problems: dict[str, list[str]] = {}
        self.checked: dict[str, int] = {}

    def expect(
        self,
        where: str,
        check: str,
        response: Any,
        status: int,
        code: str,
        field: str | None = None,
    ) -> dict[str, Any] | None:
        try:
            error = assert_error(response, status, code, field)
            no_leak(response)
        except (AssertionError, ValueError, KeyError) as exc:
            detail = f"{check}: {exc!s:.300} -> {response.status_code} {response.text[:300]}"
            self.problems.setdefault(where, []).append(detail)
            return None
        self.checked[check] = self.checked.get(check, 0) + 1
        return error

    def report(self) -> None:
        unexpected = {k: v for k, v in self.problems.items() if k not in KNOWN_FAILING}
        assert not unexpected, "\n".join(f"{k}: {v}" for k, v in unexpected.items())
        if self.problems:
            pytest.xfail(f"known failing routes: {sorted(self.problems)}")


def sweep_body_dates(sweep: Sweep, app: Any, p: Persona, method: str, path: str) -> None:
    """A bad date (or instant) in each body field that takes one is a 400 naming it; other
    required text fields are filled in as the answers ask for them."""
    schema = json_body_schema(app, method, path)
    properties = schema.get("properties", {})
    url, where = concrete(path), f"{method} {path}"
    for name, prop in properties.items():
        for fmt in _formats(prop):
            body: dict[str, Any] = {name: BAD[fmt]}
            for _ in range(len(properties)):
                response = p.request(method, url, json=body)
                named = (response.json().get("error") or {}).get("field")
                fillable = named in schema.get("required", ()) and named not in body
                if named != name and fillable and filler(properties[named]) is not None:
                    body[named] = filler(properties[named])
                    continue
                break
            sweep.expect(where, "body date", response, 400, "VALIDATION_ERROR", name)


def test_every_keyed_route_is_swept(app: Any) -> None:
    routes = keyed_routes(app)
    assert len(routes) > 40
    assert all(required_scope(route) for _, _, route in routes), [
        path for _, path, route in routes if not required_scope(route)
    ]


def test_bad_input_on_every_route(
    app: Any, db: Any, clock: Any, owner: Persona, tmp_path: Any
) -> None:
    from fastapi.testclient import TestClient

    narrow = {scope: owner.new_key(scopes=[scope]) for scope in ("read:blocks", "read:webhooks")}
    sweep = Sweep()
    # The same routes with a 2 KiB body limit, for the 413 of every route that takes a body.
    small = create_app(make_settings(tmp_path, max_body_bytes=2048), db=db, clock=clock)
    methods_checked: set[str] = set()
    with TestClient(small) as small_client:
        for method, path, route in keyed_routes(app):
            url = concrete(path)
            where = f"{method} {path}"

            sweep.expect(where, "auth", owner.client.request(method, url), 401, "UNAUTHORIZED")

            scope = required_scope(route)
            if scope not in (None, "any"):
                other = narrow["read:webhooks" if scope == "read:blocks" else "read:blocks"]
                response = owner.as_key(other).request(method, url)
                sweep.expect(where, "scope", response, 403, "FORBIDDEN")

            raw = route.path.startswith(RAW_BODY_PREFIXES)
            if takes_json(method, route):
                json_type = {"Content-Type": "application/json"}
                response = owner.request(method, url, content=b'{"topic": ', headers=json_type)
                error = sweep.expect(where, "malformed", response, 400, "VALIDATION_ERROR")
                if error is not None and "not valid JSON" not in error["message"]:
                    sweep.problems.setdefault(where, []).append(f"malformed: {error}")

                response = owner.request(method, url, json={"zzz_unknown": 1})
                sweep.expect(where, "unknown", response, 400, "VALIDATION_ERROR", "zzz_unknown")

                text_type = {"Content-Type": "text/plain"}
                response = owner.request(method, url, content=b"topic=x", headers=text_type)
                sweep.expect(where, "type", response, 400, "VALIDATION_ERROR", "Content-Type")

                sweep_body_dates(sweep, app, owner, method, path)

            if takes_json(method, route) or (raw and method == "POST"):
                big = b"{" + b" " * 4096 + b"}"
                response = small_client.request(method, url, content=big, headers=owner.headers)
                sweep.expect(where, "too large", response, 413, "PAYLOAD_TOO_LARGE")

            upload: dict[str, Any] = {}
            if raw:
                upload = {"content": b"date,start,end\n", "headers": {"Content-Type": "text/csv"}}
            for name, bad in date_parameters(app, method, path).items():
                response = owner.request(method, url, params={name: bad}, **upload)
                sweep.expect(where, "query date", response, 400, "VALIDATION_ERROR", name)

            wrong, served = unrouted_method(app, url)
            if wrong is not None and url not in methods_checked:
                methods_checked.add(url)
                response = owner.request(wrong, url)
                error = sweep.expect(where, "method", response, 405, "VALIDATION_ERROR", "method")
                allowed = {m.strip() for m in response.headers.get("allow", "").split(",")}
                if error is not None and not served <= allowed:
                    sweep.problems.setdefault(where, []).append(f"Allow: {allowed} < {served}")

    sweep.report()
    assert set(sweep.checked) == {
        *("auth", "scope", "malformed", "unknown", "type", "body date"),
        *("too large", "query date", "method"),
    }, sweep.checked


def test_unknown_route_and_wrong_method(owner: Persona) -> None:
    assert_error(owner.get("/v1/no-such-thing"), 404, "NOT_FOUND")
    assert_error(owner.get("/nowhere"), 404, "NOT_FOUND")
    response = owner.request("PUT", "/v1/blocks")
    assert_error(response, 405, "VALIDATION_ERROR", "method")
    assert response.headers["allow"] == "GET, POST"
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
