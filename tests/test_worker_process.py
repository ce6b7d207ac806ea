"""``timeboxd worker`` as operators run it: a process that delivers webhooks until SIGTERM,
then lets the attempt in flight finish before it exits."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from tests import servers
from tests.receivers import WAIT, Receiver
from timeboxd.db.events import Delivery, Webhook
from timeboxd.services.accounts import users
from timeboxd.services.database import Database
from timeboxd.services.events import signing
from timeboxd.services.outbox import Change, record


def test_sigterm_lets_the_attempt_in_flight_finish(
    tmp_path: Path, empty_url: str, receivers: Callable[..., Receiver]
) -> None:
    gate = threading.Event()
    receiver = receivers(gate=gate)
    env = {
        **os.environ,
        "TIMEBOXD_DATA_DIR": str(tmp_path),
        "TIMEBOXD_WEBHOOK_ALLOW_PRIVATE": "true",
    }
    # A database of its own: the worker delivers whatever it finds there.
    env["TIMEBOXD_DATABASE_URL"] = url = empty_url
    db = Database(url)
    db.upgrade()
    now = datetime.now(UTC)
    with db.write() as session:
        user = users.create_user(session, now, "worker@example.com", name="W", timezone="UTC")
        session.add(
            Webhook(
                id=f"whk_{os.urandom(8).hex()}"[:24],
                user_id=user.id,
                livemode=True,
                url=receiver.url,
                events="*",
                description="",
                active=True,
                secret=signing.new_secret(),
                failures=0,
                created_at=now,
                updated_at=now,
            )
        )
    with db.write() as session:
        record(
            session,
            datetime.now(UTC),
            True,
            [Change("block.created", "blk_1", {"id": "blk_1"})],
            [user.id],
        )
    log = (tmp_path / "worker.log").open("w")
    process = subprocess.Popen(
        [*servers.CLI, "worker"], env=servers.python_env(env), stdout=log, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + WAIT
        while not receiver.got:  # the worker's first attempt
            assert process.poll() is None and time.monotonic() < deadline, "no attempt came"
            time.sleep(0.05)
        process.send_signal(signal.SIGTERM)
        gate.set()  # the receiver answers after the worker was told to stop
        assert process.wait(WAIT) == 0
    finally:
        gate.set()
        if process.poll() is None:
            process.kill()
        log.close()
    with db.read() as session:
        deliveries = session.query(Delivery).join(Webhook).filter(Webhook.user_id == user.id).all()
    assert [(d.status, d.attempt, d.status_code) for d in deliveries] == [("succeeded", 1, 204)]
    assert (tmp_path / "worker.log").read_text().strip().splitlines()[
        -1
    ] == "timeboxd worker stopped"
    db.dispose()
