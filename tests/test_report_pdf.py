"""``format=pdf`` on the summary and detailed reports: the PDF's text, read back with pypdf,
holds the JSON's figures (totals, every group and its amount), the account's name and the
period, and every page says which of how many it is."""

from __future__ import annotations

import io
import re
from decimal import Decimal
from typing import Any

import pytest
from pypdf import PdfReader

from tests.conftest import Persona, assert_error
from tests.factories import new_client, new_entry, new_project, new_tag

RANGE = "date_from=2026-11-01&date_to=2026-11-24"


def pdf_text(response: Any) -> tuple[str, int]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(response.content))
    pages = [page.extract_text() for page in reader.pages]
    for n, text in enumerate(pages, 1):
        assert f"Page {n} of {len(pages)}" in text
    return "\n".join(pages), len(pages)


def figure(value: str, currency: str | None = None) -> str:
    shown = f"{Decimal(value):,.2f}"
    return f"{shown} {currency}" if currency else shown


def hours(seconds: int) -> str:
    return f"{Decimal(seconds) / 3600:,.2f}"


def lines(text: str) -> list[str]:
    """The text's lines, spaces collapsed (pypdf reads each table cell as a line)."""
    return [re.sub(r"\s+", " ", line).strip() for line in text.splitlines()]


@pytest.fixture
def agency(owner: Persona) -> dict[str, Any]:
    """A month of a small agency's time: two clients, EUR and USD, a non-billable project."""
    owner.ok("PATCH", "/v1/me", json={"name": "Ada Lovelace Consulting"})
    acme = new_client(owner, "Acme Corporation")
    muller = new_client(owner, "Müller & Söhne")
    web = new_project(
        owner, "Website", hourly_rate="85.00", currency="EUR", client_id=acme["id"], billable=True
    )
    app = new_project(
        owner,
        "App <v2>",
        hourly_rate="95.55",
        currency="USD",
        client_id=muller["id"],
        billable=True,
    )
    internal = new_project(owner, "Internal")
    tag = new_tag(owner, "design")
    for day in range(2, 22):
        new_entry(
            owner,
            f"2026-11-{day:02d}T08:00:00Z",
            f"2026-11-{day:02d}T09:{day * 2:02d}:17Z",
            project_id=web["id"],
            description=f"Design review {day}",
            tag_ids=[tag["id"]] if day % 2 else [],
        )
        if day % 3 == 0:
            new_entry(
                owner,
                f"2026-11-{day:02d}T10:00:00Z",
                f"2026-11-{day:02d}T12:31:00Z",
                project_id=app["id"],
                description="API & sync",
            )
        if day % 4 == 0:
            new_entry(
                owner,
                f"2026-11-{day:02d}T13:00:00Z",
                f"2026-11-{day:02d}T13:45:00Z",
                project_id=internal["id"],
                description="=cmd() planning",
            )
    return {"web": web, "app": app, "internal": internal}


@pytest.mark.parametrize("group_by", ["project", "client", "tag", "day"])
def test_the_summary_pdf_holds_the_jsons_figures(
    owner: Persona, agency: dict[str, Any], group_by: str
) -> None:
    query = f"/v1/reports/summary?{RANGE}&group_by={group_by}"
    report = owner.ok("GET", query)
    text, _ = pdf_text(owner.get(f"{query}&format=pdf"))
    shown = " ".join(lines(text))  # a table's cells, one after the other
    assert "Ada Lovelace Consulting" in text
    assert "01 Nov 2026 \u2013 24 Nov 2026" in text
    totals = report["totals"]
    assert hours(totals["tracked_seconds"]) in text
    assert hours(totals["billable_seconds"]) in text
    for amount in totals["by_currency"]:
        assert figure(amount["billable_amount"], amount["currency"]) in text
        total_line = f"Total {amount['currency']} {amount['currency']}"
        assert total_line in shown, shown
    for g in report["groups"]:
        row = " ".join(
            [
                g["label"],
                *([g["currency"]] if g["currency"] else []),
                hours(g["tracked_seconds"]),
                hours(g["billable_seconds"]),
                figure(g["billable_amount"]),
            ]
        )
        assert row in shown, (row, shown)


def test_the_detailed_pdf_holds_every_entry_and_subtotal(
    owner: Persona, agency: dict[str, Any]
) -> None:
    report = owner.ok("GET", f"/v1/reports/detailed?{RANGE}")
    text, pages = pdf_text(owner.get(f"/v1/reports/detailed?{RANGE}&format=pdf"))
    assert pages >= 2
    shown = " ".join(lines(text))
    assert "Detailed time report" in text and "Ada Lovelace Consulting" in text
    for r in report["rows"]:
        assert r["description"] in shown
        assert hours(r["tracked_seconds"]) in shown
        if r["billable"] and r["currency"]:
            assert figure(r["billable_amount"], r["currency"]) in shown
    for project in ("Website", "App <v2>", "Internal"):
        rows = [r for r in report["rows"] if r["project"] == project]
        seconds = sum(r["tracked_seconds"] for r in rows)
        assert re.search(rf"Subtotal\s+{re.escape(hours(seconds))}", shown), project
    assert "Website · Acme Corporation" in shown
    assert "App <v2> · Müller & Söhne" in shown
    for amount in report["totals"]["by_currency"]:
        assert figure(amount["billable_amount"], amount["currency"]) in shown


def test_a_pdf_is_a_download_named_for_its_period(owner: Persona) -> None:
    for kind in ("summary", "detailed"):
        response = owner.get(f"/v1/reports/{kind}?{RANGE}&format=pdf")
        assert response.status_code == 200
        disposition = response.headers["content-disposition"]
        assert disposition == f'attachment; filename="timeboxd-{kind}-2026-11-01-2026-11-24.pdf"'
        text, pages = pdf_text(response)
        assert pages == 1
        if kind == "detailed":
            assert "No time tracked in this period." in text


def test_many_groups_fit_the_chart(owner: Persona) -> None:
    for n in range(15):
        project = new_project(owner, f"Project {n:02d}")
        new_entry(
            owner,
            f"2026-11-{n + 2:02d}T08:00:00Z",
            f"2026-11-{n + 2:02d}T09:00:00Z",
            project_id=project["id"],
        )
    text, _ = pdf_text(owner.get(f"/v1/reports/summary?{RANGE}&format=pdf"))
    assert "4 more" in text  # the chart's last bar sums what does not fit
    for n in range(15):
        assert f"Project {n:02d}" in text  # the table lists every group


def test_a_pdf_needs_read_reports_and_good_input(owner: Persona) -> None:
    stats_only = owner.as_key(owner.new_key(scopes=["read:stats"]))
    assert_error(stats_only.get("/v1/reports/summary?format=pdf"), 403, "FORBIDDEN")
    assert_error(owner.get("/v1/reports/summary?format=doc"), 400, "VALIDATION_ERROR", "format")
    bad = "/v1/reports/detailed?date_from=2026-11-10&date_to=2026-11-01&format=pdf"
    assert_error(owner.get(bad), 400, "VALIDATION_ERROR", "date_to")


def test_a_test_key_reports_the_sandbox_only(owner: Persona) -> None:
    new_entry(owner, "2026-11-02T08:00:00Z", "2026-11-02T09:00:00Z", description="live work")
    sandbox = owner.as_key(owner.new_key(test=True))
    new_entry(sandbox, "2026-11-02T10:00:00Z", "2026-11-02T10:30:00Z", description="trial run")
    text, _ = pdf_text(sandbox.get(f"/v1/reports/detailed?{RANGE}&format=pdf"))
    assert "trial run" in text and "live work" not in text
