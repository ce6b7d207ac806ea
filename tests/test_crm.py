"""Leads, deals and the pipeline (docs/api.md "Leads and deals"): every route with the
platform's conventions (envelope, scopes, sandbox, three personas across two workspaces,
bad input, If-Match, idempotency, events), the conversion's one transaction, the rule
that only owners and admins close deals, and the pipeline against a recount."""

from __future__ import annotations

from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import Persona, assert_error
from tests.factories import new_client, new_project, new_workspace, team_of

STAGES = ["prospect", "proposal", "negotiation", "won", "lost"]


def new_lead(p: Persona, name: str = "Ada Lovelace", **fields: Any) -> dict[str, Any]:
    return dict(p.ok("POST", "/v1/leads", 201, json={"name": name, **fields}))


def new_deal(p: Persona, client_id: str, title: str = "Website", **fields: Any) -> dict[str, Any]:
    body = {"client_id": client_id, "title": title, "currency": "EUR", **fields}
    return dict(p.ok("POST", "/v1/deals", 201, json=body))


def feed_types(p: Persona) -> list[str]:
    return [e["type"] for e in p.ok("GET", "/v1/events", params={"limit": 1000})]


# -- leads -----------------------------------------------------------------------------------


def test_a_lead_is_created_read_listed_changed_and_deleted(owner: Persona) -> None:
    response = owner.post(
        "/v1/leads",
        json={
            "name": "Ada Lovelace",
            "company": "Analytical Ltd",
            "email": "ada@example.com",
            "phone": "+44 20 7946 0000",
            "source": "referral",
            "value_estimate": "1200.5",
            "currency": "GBP",
        },
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == {"data", "error", "meta"} and body["error"] is None
    lead = body["data"]
    assert lead["id"].startswith("lead_") and lead["status"] == "new"
    assert lead["value_estimate"] == "1200.50" and lead["owner_id"] == owner.user_id
    assert lead["client_id"] is None and lead["converted_at"] is None
    url = f"/v1/leads/{lead['id']}"
    got = owner.get(url)
    assert got.json()["data"] == lead and got.headers["etag"] == f'"{lead["id"]}.1"'
    assert [x["id"] for x in owner.ok("GET", "/v1/leads")] == [lead["id"]]
    assert owner.ok("GET", "/v1/leads", params={"status": "contacted"}) == []
    assert len(owner.ok("GET", "/v1/leads", params={"source": "Referral"})) == 1

    stale = owner.patch(url, json={"status": "contacted"}, headers={"If-Match": '"x.0"'})
    assert_error(stale, 412, "PRECONDITION_FAILED", "If-Match")
    patched = owner.patch(
        url, json={"status": "contacted"}, headers={"If-Match": got.headers["etag"]}
    )
    assert patched.status_code == 200 and patched.json()["data"]["status"] == "contacted"
    assert patched.headers["etag"] == f'"{lead["id"]}.2"'
    replaced = owner.ok("PUT", url, json={"name": "Ada King"})
    assert replaced["company"] is None and replaced["status"] == "new"
    assert_error(owner.delete(url, headers={"If-Match": '"x.0"'}), 412, "PRECONDITION_FAILED")
    owner.ok("DELETE", url)
    assert_error(owner.get(url), 404, "NOT_FOUND")
    assert feed_types(owner) == ["lead.created", "lead.updated", "lead.updated", "lead.deleted"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "A", "zzz": 1}, "zzz"),
        ({"name": ""}, "name"),
        ({"name": "A", "status": "converted"}, "status"),
        ({"name": "A", "email": "not-an-email"}, "email"),
        ({"name": "A", "value_estimate": "-1", "currency": "EUR"}, "value_estimate"),
        ({"name": "A", "value_estimate": "1.005", "currency": "EUR"}, "value_estimate"),
        ({"name": "A", "value_estimate": "10"}, "currency"),
        ({"name": "A", "currency": "euro"}, "currency"),
        ({"name": "A", "owner_id": "usr_nobody"}, "owner_id"),
        ({"name": "A", "workspace_id": "wsp_nowhere"}, "workspace_id"),
    ],
)
def test_bad_lead_input_names_the_field(owner: Persona, body: dict[str, Any], field: str) -> None:
    assert_error(owner.post("/v1/leads", json=body), 400, "VALIDATION_ERROR", field)
    assert owner.ok("GET", "/v1/leads") == []


def test_converting_a_lead_makes_client_contact_and_deal_at_once(owner: Persona) -> None:
    lead = new_lead(
        owner,
        company="Analytical Ltd",
        email="ada@example.com",
        phone="+44 20 7946 0000",
        value_estimate="5000",
        currency="GBP",
    )
    url = f"/v1/leads/{lead['id']}/convert"
    done = owner.ok("POST", url, json={"deal": {"stage": "proposal"}})
    assert done["status"] == "converted" and done["converted_at"] == "2026-11-24T10:00:00Z"
    client = owner.ok("GET", f"/v1/clients/{done['client_id']}")
    assert client["name"] == "Analytical Ltd" and client["email"] == "ada@example.com"
    contact = owner.ok("GET", f"/v1/clients/{client['id']}/contacts/{done['contact_id']}")
    assert (contact["name"], contact["phone"]) == ("Ada Lovelace", "+44 20 7946 0000")
    deal = owner.ok("GET", f"/v1/deals/{done['deal_id']}")
    assert (deal["client_id"], deal["stage"], deal["value"], deal["currency"]) == (
        client["id"],
        "proposal",
        "5000.00",
        "GBP",
    )
    assert deal["probability"] == 40 and deal["weighted_value"] == "2000.00"
    assert {"lead.converted", "client.created", "contact.created", "deal.created"} <= set(
        feed_types(owner)
    )
    # Twice is a conflict, and its status no longer changes.
    assert_error(owner.post(url, json={}), 409, "CONFLICT")
    patched = owner.patch(f"/v1/leads/{lead['id']}", json={"status": "new"})
    assert_error(patched, 409, "CONFLICT", "status")
    assert len(owner.ok("GET", "/v1/clients")) == 1


def test_a_conversion_refused_in_part_makes_nothing(owner: Persona) -> None:
    lead = new_lead(owner, company="Nocurrency BV")
    url = f"/v1/leads/{lead['id']}/convert"
    refused = owner.post(url, json={"deal": {"title": "Audit"}})  # no currency anywhere
    assert_error(refused, 400, "VALIDATION_ERROR", "currency")
    assert owner.ok("GET", "/v1/clients") == [] and owner.ok("GET", "/v1/deals") == []
    assert owner.ok("GET", f"/v1/leads/{lead['id']}")["status"] == "new"
    plain = owner.ok("POST", url, json={"contact": False, "client_name": "Nocurrency"})
    assert plain["contact_id"] is None and plain["deal_id"] is None
    assert [c["name"] for c in owner.ok("GET", "/v1/clients")] == ["Nocurrency"]


def test_members_work_leads_and_only_owners_or_admins_convert(
    owner: Persona, teammate: Persona
) -> None:
    team = team_of(owner, teammate)
    lead = new_lead(teammate, workspace_id=team)
    assert owner.ok("GET", f"/v1/leads/{lead['id']}")["name"] == "Ada Lovelace"
    teammate.ok("PATCH", f"/v1/leads/{lead['id']}", json={"owner_id": owner.user_id})
    assert_error(teammate.post(f"/v1/leads/{lead['id']}/convert", json={}), 403, "FORBIDDEN")
    assert owner.ok("GET", "/v1/clients", params={"workspace_id": team}) == []
    converted = owner.ok("POST", f"/v1/leads/{lead['id']}/convert", json={})
    assert converted["status"] == "converted"


# -- deals -----------------------------------------------------------------------------------


def test_a_deal_moves_through_the_stages(owner: Persona) -> None:
    client = new_client(owner, "Acme")
    deal = new_deal(owner, client["id"], value="1000", expected_close_date="2026-12-15")
    assert deal["id"].startswith("deal_") and deal["stage"] == "prospect"
    assert (deal["probability"], deal["weighted_value"], deal["closed_at"]) == (10, "100.00", None)
    url = f"/v1/deals/{deal['id']}"
    etag = owner.get(url).headers["etag"]
    moved = owner.patch(url, json={"stage": "negotiation"}, headers={"If-Match": etag})
    assert moved.json()["data"]["probability"] == 70, moved.text
    assert owner.ok("PATCH", url, json={"probability": 55})["weighted_value"] == "550.00"
    assert owner.ok("PATCH", url, json={"value": "999.99"})["probability"] == 55
    # A change of client and owner with the current ETag is that version's change.
    other = new_client(owner, "Other")
    etag = owner.get(url).headers["etag"]
    change = {"client_id": other["id"], "owner_id": owner.user_id}
    moved = owner.patch(url, json=change, headers={"If-Match": etag})
    assert moved.status_code == 200 and moved.json()["data"]["client_id"] == other["id"]
    owner.ok("PATCH", url, json={"client_id": client["id"]})
    project = new_project(owner, "Acme site")
    early = owner.patch(url, json={"project_id": project["id"]})
    assert_error(early, 400, "VALIDATION_ERROR", "project_id")
    won = owner.ok("PATCH", url, json={"stage": "won", "project_id": project["id"]})
    assert (won["probability"], won["closed_at"], won["project_id"]) == (
        100,
        "2026-11-24T10:00:00Z",
        project["id"],
    )
    assert_error(owner.patch(url, json={"probability": 50}), 400, "VALIDATION_ERROR", "probability")
    reopened = owner.ok("PATCH", url, json={"stage": "proposal", "project_id": None})
    assert (reopened["probability"], reopened["closed_at"]) == (40, None)
    # A client with deals stays until they go.
    assert_error(owner.delete(f"/v1/clients/{client['id']}"), 409, "CONFLICT")
    owner.ok("DELETE", url)
    assert_error(owner.get(url), 404, "NOT_FOUND")
    owner.ok("DELETE", f"/v1/clients/{client['id']}")
    types = feed_types(owner)
    assert types.count("deal.updated") == 7 and types.count("deal.deleted") == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"zzz": 1}, "zzz"),
        ({"probability": 101}, "probability"),
        ({"probability": True}, "probability"),
        ({"probability": "50"}, "probability"),
        ({"stage": "closed"}, "stage"),
        ({"value": "1e3x"}, "value"),
        ({"value": None}, "value"),
        ({"title": None}, "title"),
        ({"currency": "eu"}, "currency"),
        ({"client_id": "cli_elsewhere"}, "client_id"),
        ({"owner_id": "usr_nobody"}, "owner_id"),
        ({"expected_close_date": "2026-02-30"}, "expected_close_date"),
    ],
)
def test_bad_deal_input_names_the_field(owner: Persona, change: dict[str, Any], field: str) -> None:
    client = new_client(owner)
    deal = new_deal(owner, client["id"])
    response = owner.patch(f"/v1/deals/{deal['id']}", json=change)
    assert_error(response, 400, "VALIDATION_ERROR", field)
    created = owner.post("/v1/deals", json={"client_id": client["id"], "title": "T", **change})
    assert_error(created, 400, "VALIDATION_ERROR")
    assert owner.ok("GET", f"/v1/deals/{deal['id']}") == deal


def test_only_owners_and_admins_close_deals(owner: Persona, teammate: Persona) -> None:
    team = team_of(owner, teammate)
    client = new_client(owner, "Acme", workspace_id=team)
    deal = new_deal(teammate, client["id"])
    url = f"/v1/deals/{deal['id']}"
    assert teammate.ok("PATCH", url, json={"stage": "negotiation"})["stage"] == "negotiation"
    assert_error(teammate.patch(url, json={"stage": "won"}), 403, "FORBIDDEN")
    refused = teammate.post(
        "/v1/deals",
        json={"client_id": client["id"], "title": "X", "currency": "EUR", "stage": "lost"},
    )
    assert_error(refused, 403, "FORBIDDEN")
    owner.ok("PATCH", url, json={"stage": "lost"})
    assert_error(teammate.patch(url, json={"title": "again"}), 403, "FORBIDDEN")
    assert_error(teammate.delete(url), 403, "FORBIDDEN")
    assert owner.ok("GET", url)["stage"] == "lost"
    open_one = new_deal(teammate, client["id"], "Open")
    teammate.ok("DELETE", f"/v1/deals/{open_one['id']}")


def test_deal_filters(owner: Persona, teammate: Persona) -> None:
    team = team_of(owner, teammate, "admin")
    acme, other = (
        new_client(owner, "Acme", workspace_id=team),
        new_client(owner, "Other", workspace_id=team),
    )
    a = new_deal(owner, acme["id"], "A", expected_close_date="2026-12-01")
    b = new_deal(owner, acme["id"], "B", stage="won", expected_close_date="2027-01-10")
    c = new_deal(teammate, other["id"], "C", stage="proposal")

    def ids(**params: str) -> set[str]:
        return {d["id"] for d in owner.ok("GET", "/v1/deals", params=params)}

    assert ids() == {a["id"], b["id"], c["id"]}
    assert ids(stage="won") == {b["id"]}
    assert ids(stage="prospect,proposal") == {a["id"], c["id"]}
    assert ids(client_id=acme["id"]) == {a["id"], b["id"]}
    assert ids(owner_id=teammate.user_id) == {c["id"]}
    assert ids(close_date_from="2026-12-01", close_date_to="2026-12-31") == {a["id"]}
    assert ids(close_date_from="2027-01-01") == {b["id"]}
    paged = owner.get("/v1/deals", params={"per_page": 2, "page": 2}).json()
    assert paged["meta"]["total"] == 3 and len(paged["data"]) == 1
    assert_error(owner.get("/v1/deals?stage=won,closed"), 400, "VALIDATION_ERROR", "stage")
    backwards = owner.get(
        "/v1/deals", params={"close_date_from": "2027-01-01", "close_date_to": "2026-01-01"}
    )
    assert_error(backwards, 400, "VALIDATION_ERROR", "close_date_to")
    bad = owner.get("/v1/deals/pipeline", params={"close_date_from": "2026-13-01"})
    assert_error(bad, 400, "VALIDATION_ERROR", "close_date_from")


# -- tenants, modes, scopes ------------------------------------------------------------------


def test_three_personas_across_two_workspaces(
    owner: Persona, teammate: Persona, outsider: Persona
) -> None:
    team = team_of(owner, teammate)
    client = new_client(owner, "Acme", workspace_id=team)
    lead = new_lead(owner, workspace_id=team)
    deal = new_deal(owner, client["id"])
    theirs = new_workspace(outsider, "Rivals")
    their_client = new_client(outsider, "Rival client", workspace_id=theirs)
    their_lead = new_lead(outsider, workspace_id=theirs)
    their_deal = new_deal(outsider, their_client["id"])
    # The teammate sees the team's; nobody sees the other workspace's.
    assert {x["id"] for x in teammate.ok("GET", "/v1/leads")} == {lead["id"]}
    assert {x["id"] for x in teammate.ok("GET", "/v1/deals")} == {deal["id"]}
    assert {x["id"] for x in outsider.ok("GET", "/v1/leads")} == {their_lead["id"]}
    for p, lead_id, deal_id in (
        (outsider, lead["id"], deal["id"]),
        (owner, their_lead["id"], their_deal["id"]),
        (teammate, their_lead["id"], their_deal["id"]),
    ):
        for method, url, body in (
            ("GET", f"/v1/leads/{lead_id}", None),
            ("PATCH", f"/v1/leads/{lead_id}", {"name": "mine"}),
            ("PUT", f"/v1/leads/{lead_id}", {"name": "mine"}),
            ("DELETE", f"/v1/leads/{lead_id}", None),
            ("POST", f"/v1/leads/{lead_id}/convert", {}),
            ("GET", f"/v1/deals/{deal_id}", None),
            ("PATCH", f"/v1/deals/{deal_id}", {"title": "mine"}),
            ("DELETE", f"/v1/deals/{deal_id}", None),
        ):
            assert_error(p.request(method, url, json=body), 404, "NOT_FOUND")
    # Another workspace's client or member cannot be named either.
    foreign = outsider.post(
        "/v1/deals", json={"client_id": client["id"], "title": "x", "currency": "EUR"}
    )
    assert_error(foreign, 400, "VALIDATION_ERROR", "client_id")
    stranger = owner.patch(f"/v1/deals/{deal['id']}", json={"owner_id": outsider.user_id})
    assert_error(stranger, 400, "VALIDATION_ERROR", "owner_id")
    into = outsider.post("/v1/leads", json={"name": "x", "workspace_id": team})
    assert_error(into, 400, "VALIDATION_ERROR", "workspace_id")
    pipeline = outsider.ok("GET", "/v1/deals/pipeline")
    assert pipeline["open"]["count"] == 1
    assert owner.ok("GET", f"/v1/deals/{deal['id']}")["title"] == "Website"
    assert "lead.created" in feed_types(teammate) and "lead.created" not in [
        e["type"] for e in outsider.ok("GET", "/v1/events") if e["data"]["id"] == lead["id"]
    ]


def test_a_test_key_sees_and_makes_only_sandbox_rows(owner: Persona) -> None:
    client = new_client(owner)
    live_lead, live_deal = new_lead(owner), new_deal(owner, client["id"])
    sandbox = owner.as_key(owner.new_key(test=True))
    assert sandbox.ok("GET", "/v1/leads") == [] and sandbox.ok("GET", "/v1/deals") == []
    assert sandbox.ok("GET", "/v1/deals/pipeline")["open"]["count"] == 0
    assert_error(sandbox.get(f"/v1/leads/{live_lead['id']}"), 404, "NOT_FOUND")
    assert_error(
        sandbox.patch(f"/v1/deals/{live_deal['id']}", json={"title": "x"}), 404, "NOT_FOUND"
    )
    made = sandbox.post(
        "/v1/deals", json={"client_id": client["id"], "title": "x", "currency": "EUR"}
    )
    assert_error(made, 400, "VALIDATION_ERROR", "client_id")
    rehearsal = new_lead(sandbox, "Rehearsal", company="Dry Run")
    converted = sandbox.ok(
        "POST", f"/v1/leads/{rehearsal['id']}/convert", json={"deal": {"currency": "EUR"}}
    )
    assert [x["id"] for x in owner.ok("GET", "/v1/leads")] == [live_lead["id"]]
    assert [x["id"] for x in owner.ok("GET", "/v1/deals")] == [live_deal["id"]]
    assert_error(owner.get(f"/v1/deals/{converted['deal_id']}"), 404, "NOT_FOUND")
    assert [c["id"] for c in owner.ok("GET", "/v1/clients")] == [client["id"]]


def test_crm_scopes(owner: Persona) -> None:
    reader = owner.as_key(owner.new_key(scopes=["read:crm"]))
    other = owner.as_key(owner.new_key(scopes=["read:projects", "write:projects"]))
    lead = new_lead(owner)
    assert reader.ok("GET", "/v1/leads")[0]["id"] == lead["id"]
    assert reader.ok("GET", "/v1/deals/pipeline")["open"]["count"] == 0
    assert_error(reader.post("/v1/leads", json={"name": "x"}), 403, "FORBIDDEN")
    assert_error(reader.post(f"/v1/leads/{lead['id']}/convert", json={}), 403, "FORBIDDEN")
    for url in ("/v1/leads", "/v1/deals", "/v1/deals/pipeline", f"/v1/leads/{lead['id']}"):
        assert_error(other.get(url), 403, "FORBIDDEN")
    # Keys with the scopes can be made, and the feed shows their events only to them.
    made = owner.ok("POST", "/v1/api-keys", 201, json={"scopes": ["read:crm", "write:crm"]})
    assert made["scopes"] == ["read:crm", "write:crm"]
    crm = owner.as_key(made["key"])
    assert "lead.created" in feed_types(crm)
    assert "lead.created" not in feed_types(other)


def test_a_retried_create_with_its_idempotency_key_makes_one_lead(owner: Persona) -> None:
    headers = {"Idempotency-Key": "lead-once"}
    first = owner.post("/v1/leads", json={"name": "Once"}, headers=headers)
    again = owner.post("/v1/leads", json={"name": "Once"}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json()["data"] == again.json()["data"]
    other = owner.post("/v1/leads", json={"name": "Twice"}, headers=headers)
    assert_error(other, 409, "CONFLICT")
    assert len(owner.ok("GET", "/v1/leads")) == 1


# -- the pipeline ----------------------------------------------------------------------------


def test_the_pipeline_lists_every_stage_per_currency(owner: Persona) -> None:
    client = new_client(owner)
    new_deal(owner, client["id"], value="100", probability=25)
    new_deal(owner, client["id"], value="0.05", probability=50)  # 0.025 rounds half up
    new_deal(owner, client["id"], value="300", currency="USD", stage="negotiation")
    new_deal(owner, client["id"], value="7", stage="won")
    summary = owner.ok("GET", "/v1/deals/pipeline")
    by_stage = {s["stage"]: s for s in summary["stages"]}
    assert list(by_stage) == STAGES
    assert by_stage["prospect"] == {
        "stage": "prospect",
        "count": 2,
        "amounts": [{"currency": "EUR", "count": 2, "value": "100.05", "weighted_value": "25.03"}],
    }
    assert by_stage["proposal"] == {"stage": "proposal", "count": 0, "amounts": []}
    assert by_stage["won"]["amounts"][0]["weighted_value"] == "7.00"
    assert summary["open"] == {
        "count": 3,
        "amounts": [
            {"currency": "EUR", "count": 2, "value": "100.05", "weighted_value": "25.03"},
            {"currency": "USD", "count": 1, "value": "300.00", "weighted_value": "210.00"},
        ],
    }


def recount(deals: list[dict[str, Any]]) -> dict[tuple[str, str], tuple[int, Decimal, Decimal]]:
    """The pipeline's figures from the deals themselves, with decimals."""
    sums: dict[tuple[str, str], list[Any]] = defaultdict(lambda: [0, Decimal(0), Decimal(0)])
    for d in deals:
        entry = sums[(d["stage"], d["currency"])]
        entry[0] += 1
        entry[1] += Decimal(d["value"])
        entry[2] += Decimal(d["value"]) * d["probability"] / 100
    cent = Decimal("0.01")
    return {k: (c, v, w.quantize(cent, rounding=ROUND_HALF_UP)) for k, (c, v, w) in sums.items()}


deal_specs = st.lists(
    st.tuples(
        st.sampled_from(STAGES),
        st.sampled_from(["EUR", "USD", "JPY"]),
        st.integers(min_value=0, max_value=10**11),  # cents
        st.integers(min_value=0, max_value=100),
    ),
    max_size=8,
)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(specs=deal_specs)
def test_the_pipeline_agrees_with_a_recount(persona_factory: Any, specs: list[Any]) -> None:
    p: Persona = persona_factory()
    client = new_client(p)
    for stage, currency, cents, probability in specs:
        body: dict[str, Any] = {"stage": stage, "value": f"{Decimal(cents) / 100:.2f}"}
        if stage not in ("won", "lost"):
            body["probability"] = probability
        new_deal(p, client["id"], currency=currency, **body)
    summary = p.ok("GET", "/v1/deals/pipeline")
    expected = recount(p.ok("GET", "/v1/deals"))
    found = {
        (s["stage"], a["currency"]): (a["count"], Decimal(a["value"]), Decimal(a["weighted_value"]))
        for s in summary["stages"]
        for a in s["amounts"]
    }
    assert found == expected
    assert sum(c for c, _, _ in found.values()) == len(specs)
    open_count = sum(1 for s in specs if s[0] not in ("won", "lost"))
    assert summary["open"]["count"] == open_count
