"""``GET /v1/time-entries`` builds each listed entry from the raw row and reads the tags on
the driver's cursor (services/tracking/entries_query.py): each entry must be exactly what
``GET /v1/time-entries/{id}`` answers, tags sorted, in the caller's time zone, running
ones with their duration up to now, and the entries of a managed team included."""

from __future__ import annotations

from typing import Any

from tests.conftest import Persona
from tests.factories import new_entry, new_project, new_tag, team_of


def test_listed_entries_are_those_a_get_answers_with_their_tags(
    owner: Persona, teammate: Persona
) -> None:
    team = team_of(owner, teammate)
    project = new_project(owner, "Agency work", workspace_id=team)["id"]
    tags = sorted(new_tag(owner, f"t{n}")["id"] for n in range(3))
    made: list[dict[str, Any]] = [
        new_entry(owner, "2026-10-05T08:00:00Z", "2026-10-05T09:00:00Z", tag_ids=tags[::-1]),
        new_entry(owner, "2026-10-06T23:30:00Z", "2026-10-07T00:30:00Z", tag_ids=[tags[1]]),
        new_entry(owner, "2026-10-07T10:00:00Z", "2026-10-07T10:05:00Z", description="é"),
        new_entry(teammate, "2026-10-08T10:00:00Z", "2026-10-08T11:00:00Z", project_id=project),
    ]
    listed = owner.ok("GET", "/v1/time-entries?date_from=2026-10-05&date_to=2026-10-11")
    assert [e["id"] for e in listed] == [e["id"] for e in made[::-1]]
    for entry in listed:
        assert entry == owner.ok("GET", f"/v1/time-entries/{entry['id']}")
    assert listed[-1]["tag_ids"] == tags and listed[-2]["tag_ids"] == [tags[1]]
    assert listed[1]["tag_ids"] == [] and listed[1]["description"] == "é"
    assert [e["id"] for e in teammate.ok("GET", "/v1/time-entries")] == [made[3]["id"]]
