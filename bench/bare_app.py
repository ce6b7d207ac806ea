"""The baseline for the block list benchmark: an ``async def`` endpoint of the same framework,
on the same server, running the same query on the same database inline and returning the
same 20 rows as JSON in the same envelope — without authentication, rate limiting,
middleware, filters, validation or time-zone handling.

    BARE_DATABASE_URL=sqlite:///... BARE_USER_ID=usr_... uvicorn --factory bare_app:create
"""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime

import orjson
from fastapi import FastAPI
from sqlalchemy import create_engine, text
from starlette.responses import Response

QUERY = text(
    """
    SELECT b.id, b.project_id, p.name AS project_name, b.project_id AS subject_id,
           p.name AS subject_name, b.task_id, b.date, b.start, b."end",
           b.topic, b.done, b.completed_at, b.start_at, b.end_at, b.series_id,
           b.has_time_entry, b.archived_at, b.deleted_at, b.created_at, b.updated_at
    FROM blocks b LEFT JOIN projects p ON p.id = b.project_id
    WHERE b.user_id = :user_id AND b.livemode = :livemode AND b.date = :date
      AND b.archived_at IS NULL AND b.deleted_at IS NULL
    ORDER BY b.date, b.start, b.id
    """
)


def create() -> FastAPI:
    app = FastAPI(openapi_url=None, docs_url=None)
    engine = create_engine(os.environ["BARE_DATABASE_URL"])
    user_id = os.environ["BARE_USER_ID"]

    @app.get("/v1/blocks")
    async def blocks(date: str) -> Response:
        with engine.connect() as conn:
            params = {"user_id": user_id, "livemode": True, "date": date}
            rows = [r._asdict() for r in conn.execute(QUERY, params)]
        request_id = f"req_{uuid.uuid4().hex[:24]}"
        body = {
            "data": rows,
            "error": None,
            "meta": {
                "request_id": request_id,
                "timestamp": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
                "page": 1,
                "per_page": len(rows),
                "total": len(rows),
                "has_more": False,
            },
        }
        return Response(
            orjson.dumps(body, default=str),
            media_type="application/json",
            headers={"X-Request-Id": request_id},
        )

    return app
