"""timeboxd.client against a real ``timeboxd serve``: every method, sync and async, the
errors it raises, a retried create that makes one block, the stream in constant memory,
the rate limit waited out, and what a user's type checker sees."""

from __future__ import annotations

import asyncio
import datetime as dt
import subprocess
import sys
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import RealServer, serving_for_tests
from timeboxd.client import ApiError, AsyncClient, Block, Client

TODAY = dt.datetime.now(dt.UTC).date()


def _key(server: RealServer) -> str:
    return server.new_user()["Authorization"].removeprefix("Bearer ")


@pytest.fixture
def tb(real_server: RealServer) -> Iterator[Client]:
    with Client(real_server.base, _key(real_server)) as client:
        yield client


def _new_project(client: Client, base: str, name: str) -> str:
    key = client._http.headers["authorization"]
    made = httpx.post(f"{base}/v1/projects", json={"name": name}, headers={"Authorization": key})
    assert made.status_code == 201, made.text
    return str(made.json()["data"]["id"])


def test_blocks_from_create_to_trash(tb: Client, real_server: RealServer) -> None:
    project_id = _new_project(tb, real_server.base, "Linear Algebra")
    assert [p.name for p in tb.list_projects()] == ["Linear Algebra"]

    block = tb.create_block(
        date=TODAY, start=dt.time(9), end="10:30", topic="Eigenvalues", project_id=project_id
    )
    assert isinstance(block, Block)
    assert (block.date, block.start, block.end, block.duration_minutes) == (
        TODAY,
        "09:00",
        "10:30",
        90,
    )
    assert block.project_name == "Linear Algebra" and not block.done
    assert tb.get_block(block.id).topic == "Eigenvalues"

    listed = tb.list_blocks(date=TODAY)
    assert [b.id for b in listed] == [block.id]
    assert (listed.total, listed.has_more) == (1, False)
    assert tb.list_blocks(date=TODAY, done=True) == []

    moved = tb.update_block(block.id, start="10:00", end="11:00", project_id=None)
    assert (moved.start, moved.project_id, moved.topic) == ("10:00", None, "Eigenvalues")

    completed = tb.complete_block(block.id)
    assert completed.done and completed.completed_at is not None

    day = tb.agenda(TODAY)
    assert [b.id for b in day.blocks] == [block.id]
    assert (day.done_count, day.done_minutes) == (1, 60)
    assert "Eigenvalues" in tb.agenda_markdown(TODAY)

    stats = tb.stats("all")
    assert (stats.total_blocks, stats.completed_blocks, stats.streak_days) == (1, 1, 1)
    assert tb.productivity(weeks=4).weeks == 4

    deleted = tb.delete_block(block.id)
    assert deleted.deleted_at is not None
    assert tb.list_blocks(date=TODAY) == []
    with pytest.raises(ApiError) as caught:
        tb.get_block("blk_" + "0" * 26)
    assert (caught.value.code, caught.value.status) == ("NOT_FOUND", 404)
    assert caught.value.request_id and caught.value.request_id.startswith("req_")


def test_timer_and_the_change_feed(tb: Client) -> None:
    assert tb.timer() is None
    running = tb.start_timer(description="Reading")
    assert running.running and running.end_at is None
    current = tb.timer()
    assert current is not None and current.id == running.id
    with pytest.raises(ApiError) as caught:
        tb.start_timer(description="A second one")
    assert caught.value.code == "CONFLICT"
    stopped = tb.stop_timer()
    assert stopped.id == running.id and stopped.end_at is not None
    assert tb.timer() is None

    first = tb.events(types="timer.*", limit=1)
    assert [e.type for e in first.events] == ["timer.started"] and first.has_more
    rest = tb.events(first.next, types=["timer.*"])
    assert [e.type for e in rest.events] == ["timer.stopped"]
    assert rest.events[0].data["id"] == running.id


def test_bad_input_names_its_field(tb: Client) -> None:
    with pytest.raises(ApiError) as caught:
        tb.create_block(date=TODAY, start="10:00", end="09:00")
    error = caught.value
    assert (error.code, error.status, error.field) == ("VALIDATION_ERROR", 400, "end")
    assert error.message


def test_a_bad_key_is_unauthorized(real_server: RealServer) -> None:
    with (
        Client(real_server.base, "tbx_live_" + "x" * 32) as client,
        pytest.raises(ApiError) as caught,
    ):
        client.list_blocks()
    assert (caught.value.code, caught.value.status) == ("UNAUTHORIZED", 401)


def test_async_client_has_the_same_methods(real_server: RealServer) -> None:
    key = _key(real_server)

    async def scenario() -> None:
        async with AsyncClient(real_server.base, key) as tb:
            block = await tb.create_block(date=TODAY, start="08:00", end="09:00", topic="Async")
            assert (await tb.get_block(block.id)).topic == "Async"
            assert [b.id for b in await tb.list_blocks(date=TODAY)] == [block.id]
            assert (await tb.update_block(block.id, topic="Renamed")).topic == "Renamed"
            assert (await tb.complete_block(block.id)).done
            assert [b.id async for b in tb.iter_blocks(date=TODAY)] == [block.id]
            assert (await tb.agenda(TODAY)).done_count == 1
            assert (await tb.stats("all")).completed_blocks == 1
            assert (await tb.productivity()).weeks == 12
            assert await tb.list_projects() == []
            entry = await tb.start_timer(block_id=block.id)
            assert entry.block_id == block.id and (await tb.timer()) is not None
            assert (await tb.stop_timer()).id == entry.id
            assert (await tb.events(types="block.*")).events[0].type == "block.created"
            assert (await tb.delete_block(block.id)).deleted_at is not None
            with pytest.raises(ApiError) as caught:
                await tb.complete_block("blk_" + "0" * 26)
            assert caught.value.code == "NOT_FOUND"

    asyncio.run(scenario())


def test_the_stream_is_read_in_constant_memory(real_server: RealServer) -> None:
    key = _key(real_server)
    count, per_day = 6000, 20
    with httpx.Client(
        base_url=real_server.base, headers={"Authorization": f"Bearer {key}"}, timeout=120
    ) as http:
        rows = [
            {
                "date": (TODAY - dt.timedelta(days=i // per_day)).isoformat(),
                "start": f"{i % per_day:02d}:00",
                "end": f"{i % per_day:02d}:30",
                "topic": f"Chapter {i} " + "x" * 200,
            }
            for i in range(count)
        ]
        for at in range(0, count, 3000):
            made = http.post("/v1/blocks/bulk", json={"blocks": rows[at : at + 3000]})
            assert made.status_code == 201, made.text
        whole = len(http.get("/v1/blocks/stream").content)

    with Client(real_server.base, key) as tb:
        tracemalloc.start()
        try:
            seen = sum(1 for _ in tb.iter_blocks())
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert seen == count
    # The whole answer is ~2 MB; reading it line by line holds a chunk and one block.
    assert whole > 1_500_000
    assert peak < whole / 4, (peak, whole)


def test_the_rate_limit_is_waited_out(backend: str, tmp_path: Path) -> None:
    with serving_for_tests(
        backend, tmp_path, workers=1, rate_limit_per_second="2", rate_limit_per_minute="100"
    ) as server:
        key = _key(server)
        with Client(server.base, key, retries=0) as impatient, pytest.raises(ApiError) as caught:
            for _ in range(8):
                impatient.list_blocks()
        assert (caught.value.code, caught.value.status) == ("RATE_LIMITED", 429)

        with Client(server.base, key, retries=10) as patient:
            answers = [patient.list_blocks() for _ in range(8)]
        assert answers == [[]] * 8


def test_importing_the_client_leaves_the_server_out() -> None:
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, timeboxd.client; print(' '.join(sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert "timeboxd.client" in loaded
    heavy = ("sqlalchemy", "fastapi", "starlette", "uvicorn", "timeboxd.api", "timeboxd.services")
    assert [m for m in loaded if m.startswith(heavy)] == []


USER_SCRIPT = """
from timeboxd.client import ApiError, Client

with Client("http://127.0.0.1:8080", "tbx_live_x") as tb:
    block = tb.create_block(date="2026-11-24", start="09:00", end="10:00", topic="Read")
    minutes: int = block.duration_minutes
    streak: int = tb.stats(period="week").streak_days
    for b in tb.iter_blocks(done=False):
        topic: str = b.topic
    try:
        tb.get_block(block.id)
    except ApiError as error:
        code: str = error.code
"""


def test_a_user_script_passes_mypy_strict(tmp_path: Path) -> None:
    good = tmp_path / "good.py"
    good.write_text(USER_SCRIPT)
    bad = tmp_path / "bad.py"
    bad.write_text(USER_SCRIPT.replace("block.duration_minutes", "block.minutes"))

    def mypy(path: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(path)],
            capture_output=True,
            text=True,
            cwd=tmp_path,
        )

    passed = mypy(good)
    assert passed.returncode == 0, passed.stdout
    failed = mypy(bad)
    assert failed.returncode == 1 and '"BlockOut" has no attribute "minutes"' in failed.stdout
