"""GET/PATCH /v1/me: the profile, its strict fields, its ETag, and what a new time zone
does to existing blocks (SPEC §2 Dates and times, §3 Account)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Persona, assert_error
from tests.factories import new_block


def test_get_me_shows_the_profile_with_an_etag(owner: Persona) -> None:
    response = owner.get("/v1/me")
    assert response.status_code == 200
    me = response.json()["data"]
    assert me["id"] == owner.user_id and me["email"] == owner.email
    assert me["name"] == "Test" and me["timezone"] == "UTC"
    assert me["week_start"] == "monday" and me["daily_goal_minutes"] is None
    assert me["livemode"] is True
    assert response.headers["etag"]


def test_any_valid_key_reads_its_own_profile(owner: Persona) -> None:
    narrow = owner.as_key(owner.new_key(scopes=["read:blocks"]))
    assert narrow.ok("GET", "/v1/me")["email"] == owner.email
    sandbox = owner.as_key(owner.new_key(test=True))
    assert sandbox.ok("GET", "/v1/me")["livemode"] is False


def test_patch_changes_the_fields_sent_and_keeps_the_rest(owner: Persona) -> None:
    changed = owner.ok(
        "PATCH",
        "/v1/me",
        json={"name": "Ada", "week_start": "sunday", "daily_goal_minutes": 240},
    )
    assert (changed["name"], changed["week_start"], changed["daily_goal_minutes"]) == (
        "Ada",
        "sunday",
        240,
    )
    assert changed["timezone"] == "UTC" and changed["email"] == owner.email
    zoned = owner.ok("PATCH", "/v1/me", json={"timezone": "Asia/Kolkata"})
    assert (zoned["name"], zoned["timezone"]) == ("Ada", "Asia/Kolkata")
    assert owner.ok("GET", "/v1/me") == zoned


def test_daily_goal_can_be_cleared(owner: Persona) -> None:
    owner.ok("PATCH", "/v1/me", json={"daily_goal_minutes": 90})
    assert (
        owner.ok("PATCH", "/v1/me", json={"daily_goal_minutes": None})["daily_goal_minutes"] is None
    )
    assert owner.ok("PATCH", "/v1/me", json={"daily_goal_minutes": 0})["daily_goal_minutes"] == 0


@pytest.mark.parametrize(
    "zone",
    [
        "Mars/Olympus",
        "+02:00",
        "UTC+2",
        "EST5EDT ",
        " Europe/Berlin",
        "europe/berlin",
        "Europe",  # a folder of the zone database, not a zone
        "Europe/Berlin/",
        "../Europe/Berlin",
        "",
        "Europe/Berlin\x00",
    ],
)
def test_timezone_must_be_an_iana_name(owner: Persona, zone: str) -> None:
    response = owner.patch("/v1/me", json={"timezone": zone})
    assert_error(response, 400, "VALIDATION_ERROR", "timezone")
    assert owner.ok("GET", "/v1/me")["timezone"] == "UTC"


@pytest.mark.parametrize("zone", ["Europe/Berlin", "America/Argentina/Buenos_Aires", "UTC"])
def test_iana_names_are_accepted(owner: Persona, zone: str) -> None:
    assert owner.ok("PATCH", "/v1/me", json={"timezone": zone})["timezone"] == zone


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"timezone": 2}, "timezone"),
        ({"timezone": None}, "timezone"),
        ({"week_start": "saturday"}, "week_start"),
        ({"week_start": "Monday"}, "week_start"),
        ({"week_start": None}, "week_start"),
        ({"name": None}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"daily_goal_minutes": -1}, "daily_goal_minutes"),
        ({"daily_goal_minutes": 1441}, "daily_goal_minutes"),
        ({"daily_goal_minutes": "lots"}, "daily_goal_minutes"),
        ({"email": "new@example.com"}, "email"),
        ({"livemode": False}, "livemode"),
    ],
)
def test_bad_input_is_refused_naming_the_field(
    owner: Persona, body: dict[str, Any], field: str
) -> None:
    before = owner.ok("GET", "/v1/me")
    assert_error(owner.patch("/v1/me", json=body), 400, "VALIDATION_ERROR", field)
    assert owner.ok("GET", "/v1/me") == before


def test_a_refused_zone_leaves_the_account_usable(owner: Persona) -> None:
    owner.patch("/v1/me", json={"timezone": None})
    owner.patch("/v1/me", json={"timezone": "Europe"})
    assert new_block(owner)["start_at"] == "2026-11-24T09:00:00Z"


def test_if_match_guards_patch(owner: Persona) -> None:
    etag = owner.get("/v1/me").headers["etag"]
    first = owner.patch("/v1/me", json={"name": "One"}, headers={"If-Match": etag})
    assert first.status_code == 200 and first.headers["etag"] != etag
    stale = owner.patch("/v1/me", json={"name": "Two"}, headers={"If-Match": etag})
    assert_error(stale, 412, "PRECONDITION_FAILED")
    assert owner.ok("GET", "/v1/me")["name"] == "One"
    assert owner.get("/v1/me").headers["etag"] == first.headers["etag"]
    fresh = owner.patch(
        "/v1/me", json={"name": "Three"}, headers={"If-Match": first.headers["etag"]}
    )
    assert fresh.status_code == 200 and fresh.json()["data"]["name"] == "Three"
    anything = owner.patch("/v1/me", json={"name": "Four"}, headers={"If-Match": "*"})
    assert anything.status_code == 200 and anything.json()["data"]["name"] == "Four"


def test_new_zone_keeps_wall_clock_and_moves_instants(owner: Persona) -> None:
    made = new_block(owner, "2026-11-24", "09:00", "10:30")
    assert made["start_at"] == "2026-11-24T09:00:00Z"
    owner.set_timezone("Asia/Kolkata")
    moved = owner.ok("GET", f"/v1/blocks/{made['id']}")
    assert (moved["date"], moved["start"], moved["end"]) == ("2026-11-24", "09:00", "10:30")
    assert moved["start_at"] == "2026-11-24T09:00:00+05:30"
    assert moved["end_at"] == "2026-11-24T10:30:00+05:30"
    assert moved["duration_minutes"] == 90
    listed = owner.ok("GET", "/v1/blocks?date=2026-11-24")
    assert [(b["id"], b["start_at"]) for b in listed] == [(made["id"], moved["start_at"])]


def test_new_zone_moves_sandbox_blocks_too(owner: Persona) -> None:
    sandbox = owner.as_key(owner.new_key(test=True))
    made = new_block(sandbox)
    owner.set_timezone("America/New_York")
    assert sandbox.ok("GET", f"/v1/blocks/{made['id']}")["start_at"] == "2026-11-24T09:00:00-05:00"


def test_new_zone_takes_first_of_repeated_times(owner: Persona) -> None:
    """As if the block had been created in that zone (the 02:00-03:00 hour repeats)."""
    made = new_block(owner, "2026-10-25", "02:30", "03:30")
    owner.set_timezone("Europe/Berlin")
    moved = owner.ok("GET", f"/v1/blocks/{made['id']}")
    assert moved["start_at"] == "2026-10-25T02:30:00+02:00"
    assert moved["duration_minutes"] == 120
    direct = new_block(owner, "2026-10-25", "02:30", "03:30")
    assert (direct["start_at"], direct["end_at"]) == (moved["start_at"], moved["end_at"])


def test_new_zone_keeps_a_block_that_falls_into_a_gap(owner: Persona) -> None:
    """02:00-03:00 does not exist in Berlin that day: the block stays, moved past the gap."""
    made = new_block(owner, "2026-03-29", "02:15", "04:00")
    owner.set_timezone("Europe/Berlin")
    kept = owner.ok("GET", f"/v1/blocks/{made['id']}")
    assert (kept["date"], kept["start"], kept["end"]) == ("2026-03-29", "02:15", "04:00")
    assert kept["start_at"] == "2026-03-29T03:15:00+02:00"
    assert kept["end_at"] == "2026-03-29T04:00:00+02:00"
    assert kept["duration_minutes"] == 45
    owner.set_timezone("UTC")
    back = owner.ok("GET", f"/v1/blocks/{made['id']}")
    assert back["start_at"] == "2026-03-29T02:15:00Z" and back["duration_minutes"] == 105


def test_other_users_blocks_do_not_move(owner: Persona, outsider: Persona) -> None:
    theirs = new_block(outsider)
    owner.set_timezone("Pacific/Chatham")
    assert outsider.ok("GET", f"/v1/blocks/{theirs['id']}")["start_at"] == "2026-11-24T09:00:00Z"


@pytest.mark.parametrize(
    "scopes", [["read:blocks"], ["read:stats"], ["read:blocks", "read:reports"]]
)
def test_a_read_only_key_cannot_change_the_account(owner: Persona, scopes: list[str]) -> None:
    made = new_block(owner)
    reader = owner.as_key(owner.new_key(scopes=scopes))
    before = owner.ok("GET", "/v1/me")
    assert_error(reader.patch("/v1/me", json={"timezone": "Asia/Tokyo"}), 403, "FORBIDDEN")
    assert_error(reader.patch("/v1/me", json={"name": "Mallory"}), 403, "FORBIDDEN")
    assert owner.ok("GET", "/v1/me") == before
    assert owner.ok("GET", f"/v1/blocks/{made['id']}")["start_at"] == made["start_at"]


def test_a_test_key_cannot_change_the_live_account(owner: Persona) -> None:
    """The zone is the live account's: changing it would move every live block."""
    made = new_block(owner)
    sandbox = owner.as_key(owner.new_key(test=True))
    assert_error(sandbox.patch("/v1/me", json={"timezone": "Asia/Tokyo"}), 403, "FORBIDDEN")
    assert_error(sandbox.patch("/v1/me", json={"week_start": "sunday"}), 403, "FORBIDDEN")
    assert owner.ok("GET", "/v1/me")["timezone"] == "UTC"
    assert owner.ok("GET", "/v1/me")["week_start"] == "monday"
    assert owner.ok("GET", f"/v1/blocks/{made['id']}")["start_at"] == "2026-11-24T09:00:00Z"


@pytest.mark.parametrize("scopes", [["write:blocks"], ["write:time_entries"], ["admin"], ["*"]])
def test_a_live_key_with_a_write_scope_changes_the_account(
    owner: Persona, scopes: list[str]
) -> None:
    writer = owner.as_key(owner.new_key(scopes=scopes))
    assert writer.ok("PATCH", "/v1/me", json={"name": "Ada"})["name"] == "Ada"


def test_the_feed_url_shows_only_to_keys_that_read_blocks(owner: Persona) -> None:
    feed = owner.ok("POST", "/v1/calendar/token", 201)
    stats = owner.as_key(owner.new_key(scopes=["read:stats"]))
    me = stats.ok("GET", "/v1/me")
    assert me["email"] == owner.email and me["calendar_feed_url"] is None
    assert feed["token"] not in stats.get("/v1/me").text
    blocks = owner.as_key(owner.new_key(scopes=["read:blocks"]))
    assert blocks.ok("GET", "/v1/me")["calendar_feed_url"] == feed["url"]
