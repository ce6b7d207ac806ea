"""The documentation keeps up with the code: every setting documented, the API described."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient

from timeboxd.config import Settings

ROOT = Path(__file__).resolve().parent.parent


def test_every_setting_is_documented_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text()
    documented = set(re.findall(r"`(TIMEBOXD_[A-Z_]+)`", readme))
    for name in Settings.model_fields:
        assert f"TIMEBOXD_{name.upper()}" in documented, f"TIMEBOXD_{name.upper()} undocumented"


def test_openapi_document_and_docs_page_are_served(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    operation_ids = [op["operationId"] for item in spec["paths"].values() for op in item.values()]
    assert len(operation_ids) == len(set(operation_ids)), "operationIds must be unique"
    assert "listBlocks" in operation_ids and "bulkCreateBlocks" in operation_ids
    page = client.get("/docs")
    assert page.status_code == 200 and "swagger" in page.text.lower()


def test_health_and_ready(client: TestClient) -> None:
    health = client.get("/health").json()
    assert health["data"] == {"status": "ok"} and health["error"] is None
    ready = client.get("/ready").json()
    assert ready["data"]["status"] == "ready" and ready["data"]["database"] is True
