"""The calendar feed: a rotatable token, valid iCalendar that a real parser reads back."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from icalendar import Calendar

from tests.conftest import FrozenClock, Persona, assert_error, make_settings
from timeboxd.api.app import create_app
from timeboxd.services.database import Database


def feed(p: Persona, token: str) -> Calendar:
    response = p.client.get(f"/v1/calendar.ics?token={token}")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/calendar")
    return Calendar.from_ical(response.content)


def events(cal: Calendar) -> dict[str, object]:
    return {str(e["UID"]): e for e in cal.walk("VEVENT")}


def test_blocks_round_trip_through_the_feed(owner: Persona) -> None:
    owner.set_timezone("Europe/Berlin")
    project = owner.ok("POST", "/v1/projects", 201, json={"name": "Chemistry"})
    made = [
        owner.ok(
            "POST",
            "/v1/blocks",
            201,
            json={
                "date": "2026-11-24",
                "start": "09:00",
                "end": "10:30",
                "topic": "Kinetics",
                "project_id": project["id"],
            },
        ),
        # a block on the night the clocks go back, in the repeated hour
        owner.ok(
            "POST",
            "/v1/blocks",
            201,
            json={"date": "2026-10-25", "start": "02:30", "end": "04:00", "topic": "Night owl"},
        ),
        owner.ok(
            "POST", "/v1/blocks", 201, json={"date": "2027-03-28", "start": "01:00", "end": "03:30"}
        ),
    ]
    token = owner.ok("POST", "/v1/calendar/token", 201)["token"]
    parsed = events(feed(owner, token))
    assert len(parsed) == 3
    berlin = ZoneInfo("Europe/Berlin")
    for block in made:
        event = parsed[f"{block['id']}@timeboxd"]
        start: datetime = event.decoded("DTSTART")
        end: datetime = event.decoded("DTEND")
        # Compare instants: == between zones is always False for an ambiguous wall time
        # (PEP 495); RFC 5545 and timeboxd both read it as its first occurrence.
        assert start.timestamp() == datetime.fromisoformat(block["start_at"]).timestamp()
        assert end.timestamp() == datetime.fromisoformat(block["end_at"]).timestamp()
        local = start.astimezone(berlin)
        assert (str(local.date()), local.strftime("%H:%M")) == (block["date"], block["start"])
        assert end.astimezone(berlin).strftime("%H:%M") == block["end"]
    assert str(parsed[f"{made[0]['id']}@timeboxd"]["SUMMARY"]) == "Kinetics"


def test_feed_uids_are_stable_and_sequence_grows_on_change(owner: Persona) -> None:
    block = owner.ok(
        "POST",
        "/v1/blocks",
        201,
        json={"date": "2026-11-24", "start": "09:00", "end": "10:00", "topic": "Draft"},
    )
    token = owner.ok("POST", "/v1/calendar/token", 201)["token"]
    before = events(feed(owner, token))[f"{block['id']}@timeboxd"]
    owner.ok("PATCH", f"/v1/blocks/{block['id']}", json={"done": True, "topic": "Final"})
    after = events(feed(owner, token))[f"{block['id']}@timeboxd"]
    assert int(after["SEQUENCE"]) > int(before["SEQUENCE"])
    assert str(after["SUMMARY"]) == "✓ Final"


def test_a_renamed_or_deleted_project_gives_its_events_a_new_sequence(
    owner: Persona, clock: FrozenClock
) -> None:
    project = owner.ok("POST", "/v1/projects", 201, json={"name": "Chemistry"})
    body = {"date": "2026-11-24", "start": "09:00", "end": "10:00", "project_id": project["id"]}
    uid = f"{owner.ok('POST', '/v1/blocks', 201, json=body)['id']}@timeboxd"
    token = owner.ok("POST", "/v1/calendar/token", 201)["token"]
    first = events(feed(owner, token))[uid]
    clock.set(clock() + timedelta(hours=1))
    owner.ok("PATCH", f"/v1/projects/{project['id']}", json={"name": "Biochemistry"})
    renamed = events(feed(owner, token))[uid]
    assert str(renamed["SUMMARY"]) == "Biochemistry"
    assert int(renamed["SEQUENCE"]) > int(first["SEQUENCE"])
    assert renamed.decoded("LAST-MODIFIED") > first.decoded("LAST-MODIFIED")
    clock.set(clock() + timedelta(hours=1))
    owner.ok("DELETE", f"/v1/projects/{project['id']}")
    gone = events(feed(owner, token))[uid]
    assert str(gone["SUMMARY"]) == "Time block"
    assert int(gone["SEQUENCE"]) > int(renamed["SEQUENCE"])
    assert gone.decoded("LAST-MODIFIED") > renamed.decoded("LAST-MODIFIED")


def test_a_zone_change_gives_blocks_a_new_etag_and_their_events_a_new_sequence(
    owner: Persona, clock: FrozenClock
) -> None:
    """The blocks keep their wall-clock times; their instants move, and so do the versions
    that say they changed."""
    body = {"date": "2026-11-24", "start": "09:00", "end": "10:00"}
    block = owner.post("/v1/blocks", json=body)
    uid = f"{block.json()['data']['id']}@timeboxd"
    token = owner.ok("POST", "/v1/calendar/token", 201)["token"]
    first = events(feed(owner, token))[uid]
    clock.set(clock() + timedelta(hours=1))
    owner.set_timezone("Europe/Berlin")
    moved = owner.get(f"/v1/blocks/{block.json()['data']['id']}")
    assert moved.json()["data"]["start"] == "09:00"
    assert moved.headers["etag"] != block.headers["etag"]
    again = events(feed(owner, token))[uid]
    assert int(again["SEQUENCE"]) > int(first["SEQUENCE"])
    assert again.decoded("LAST-MODIFIED") > first.decoded("LAST-MODIFIED")


def test_deleted_and_archived_blocks_leave_the_feed(owner: Persona) -> None:
    keep, gone, hidden = (
        owner.ok("POST", "/v1/blocks", 201, json={"date": "2026-11-24", "start": s, "end": e})
        for s, e in (("08:00", "09:00"), ("10:00", "11:00"), ("12:00", "13:00"))
    )
    owner.ok("DELETE", f"/v1/blocks/{gone['id']}")
    owner.ok("POST", f"/v1/blocks/{hidden['id']}/archive")
    token = owner.ok("POST", "/v1/calendar/token", 201)["token"]
    assert list(events(feed(owner, token))) == [f"{keep['id']}@timeboxd"]


def test_rotating_the_token_retires_the_old_url(owner: Persona) -> None:
    first = owner.ok("POST", "/v1/calendar/token", 201)
    assert first["url"].endswith(f"/v1/calendar.ics?token={first['token']}")
    assert owner.ok("GET", "/v1/me")["calendar_feed_url"] == first["url"]
    second = owner.ok("POST", "/v1/calendar/token", 201)
    assert second["token"] != first["token"]
    assert_error(owner.client.get(f"/v1/calendar.ics?token={first['token']}"), 404, "NOT_FOUND")
    feed(owner, second["token"])
    assert owner.ok("GET", "/v1/me")["calendar_feed_url"] == second["url"]


def test_me_has_no_feed_url_until_one_is_made(owner: Persona) -> None:
    assert owner.ok("GET", "/v1/me")["calendar_feed_url"] is None


def test_unknown_token_and_other_users(owner: Persona, outsider: Persona) -> None:
    assert_error(owner.client.get("/v1/calendar.ics?token=cal_nope"), 404, "NOT_FOUND")
    assert_error(owner.client.get("/v1/calendar.ics"), 400, "VALIDATION_ERROR", "token")
    theirs = outsider.ok(
        "POST", "/v1/blocks", 201, json={"date": "2026-11-24", "start": "09:00", "end": "10:00"}
    )
    token = owner.ok("POST", "/v1/calendar/token", 201)["token"]
    assert f"{theirs['id']}@timeboxd" not in events(feed(owner, token))


def test_sandbox_feed_shows_only_sandbox_blocks(owner: Persona) -> None:
    live = owner.ok(
        "POST", "/v1/blocks", 201, json={"date": "2026-11-24", "start": "09:00", "end": "10:00"}
    )
    sandbox = owner.as_key(owner.new_key(test=True))
    test_block = sandbox.ok(
        "POST", "/v1/blocks", 201, json={"date": "2026-11-24", "start": "11:00", "end": "12:00"}
    )
    test_token = sandbox.ok("POST", "/v1/calendar/token", 201)["token"]
    live_token = owner.ok("POST", "/v1/calendar/token", 201)["token"]
    assert list(events(feed(owner, test_token))) == [f"{test_block['id']}@timeboxd"]
    assert list(events(feed(owner, live_token))) == [f"{live['id']}@timeboxd"]


def test_rotating_the_token_needs_write_blocks(owner: Persona) -> None:
    first = owner.ok("POST", "/v1/calendar/token", 201)
    reader = owner.as_key(owner.new_key(scopes=["read:blocks"]))
    assert_error(reader.post("/v1/calendar/token"), 403, "FORBIDDEN")
    feed(owner, first["token"])  # the URL calendar apps use keeps working
    writer = owner.as_key(owner.new_key(scopes=["write:blocks"]))
    assert writer.ok("POST", "/v1/calendar/token", 201)["token"] != first["token"]


def test_the_feed_is_rate_limited_per_token(
    db: Database, clock: FrozenClock, owner: Persona, outsider: Persona, tmp_path: Path
) -> None:
    mine = owner.ok("POST", "/v1/calendar/token", 201)["token"]
    theirs = outsider.ok("POST", "/v1/calendar/token", 201)["token"]
    settings = make_settings(tmp_path, rate_limit_per_minute=3, rate_limit_per_second=100)
    with TestClient(create_app(settings, db=db, clock=clock)) as client:
        served = [client.get(f"/v1/calendar.ics?token={mine}") for _ in range(3)]
        refused = client.get(f"/v1/calendar.ics?token={mine}")
        other = client.get(f"/v1/calendar.ics?token={theirs}")
        guesses = [client.get("/v1/calendar.ics?token=cal_guess") for _ in range(4)]
    assert [r.status_code for r in served] == [200, 200, 200]
    assert served[0].headers["ratelimit-limit"] == "3"
    assert_error(refused, 429, "RATE_LIMITED")
    assert int(refused.headers["retry-after"]) >= 1
    assert other.status_code == 200  # each token has its own count
    assert [r.status_code for r in guesses] == [404, 404, 404, 429]
