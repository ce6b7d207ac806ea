"""The webhook worker: dispatches new events, claims due deliveries and sends them, many
at a time, each bounded to 15 s, so a slow receiver delays nobody else's deliveries.

It runs inside ``timeboxd serve`` (one per server, unless
``TIMEBOXD_WORKER_IN_PROCESS=false``) or as ``timeboxd worker`` processes, any number of
them: claims are leases in the database (see ``dispatch``)."""

from __future__ import annotations

import functools
import logging
import random
import threading
import time
from collections import Counter as Tally
from collections.abc import Callable
from datetime import datetime, timedelta

import anyio
import httpcore
from anyio import to_thread
from prometheus_client import Counter

from timeboxd.services.database import Database
from timeboxd.services.events import dispatch, signing, targets
from timeboxd.services.events.dispatch import Job, Outcome

log = logging.getLogger("timeboxd.worker")
EVENTS = Counter("timeboxd_events", "Events handed to webhook dispatch", ["type"])
DELIVERIES = Counter(
    "timeboxd_webhook_deliveries", "Webhook delivery attempts", ["outcome"]
)  # outcome: succeeded, retrying, failed

ATTEMPT_SECONDS = 15.0  # a 2xx answer within this is a success; anything else a failure
MAX_RESPONSE = 4096  # bytes of a receiver's answer read, then the connection is dropped
CONCURRENCY = 64  # attempts in flight per worker (four at most to one webhook)
POLL_SECONDS = 0.5
DISPATCH_SECONDS = 0.05  # the longest new events wait for a worker busy delivering
EXPIRE_EVERY = timedelta(hours=1)
USER_AGENT = "timeboxd-webhooks/1"


async def send(
    pool: httpcore.AsyncConnectionPool, job: Job, now: datetime, timeout: float = ATTEMPT_SECONDS
) -> Outcome:
    """One attempt of ``job``: the signed POST, its answer read up to a small limit."""
    headers = {
        **signing.headers(job.secret, job.event_id, now, job.body),
        "content-type": "application/json",
        "user-agent": USER_AGENT,
    }
    started = time.monotonic()
    status: int | None = None
    error: str | None = None
    try:
        with anyio.fail_after(timeout):
            async with pool.stream(
                "POST", job.url, headers=list(headers.items()), content=job.body.encode()
            ) as response:
                status = response.status
                read = 0
                async for chunk in response.aiter_stream():
                    read += len(chunk)
                    if read >= MAX_RESPONSE:
                        break
    except TimeoutError:
        error = f"no answer within {timeout:g} s"
    except targets.RefusedAddress as exc:
        error = f"refused: {exc}"
    except (httpcore.NetworkError, httpcore.ProtocolError, httpcore.TimeoutException) as exc:
        error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    except httpcore.UnsupportedProtocol as exc:
        error = f"unsupported URL: {exc}"
    duration = int((time.monotonic() - started) * 1000)
    ok = status is not None and 200 <= status < 300 and error is None
    if error is None and not ok:
        error = f"answered {status}"
    return Outcome(ok, status, duration, error)


class Worker:
    def __init__(
        self,
        db: Database,
        clock: Callable[[], datetime],
        *,
        delays: tuple[int, ...],
        allow_private: bool,
        retention_days: int,
        concurrency: int = CONCURRENCY,
        attempt_seconds: float = ATTEMPT_SECONDS,
        poll_seconds: float = POLL_SECONDS,
    ) -> None:
        self.db, self.clock, self.delays = db, clock, delays
        self.allow_private, self.retention_days = allow_private, retention_days
        self.concurrency, self.attempt_seconds = concurrency, attempt_seconds
        self.poll_seconds = poll_seconds
        self.stopping = threading.Event()  # set from any thread, e.g. a signal handler
        self._in_hand: dict[str, Job] = {}
        self._rng = random.Random()
        self._freed: anyio.Event | None = None  # set when an attempt ends
        self._outcomes: list[tuple[Job, Outcome]] = []  # ended, not yet recorded

    def stop(self) -> None:
        self.stopping.set()

    async def run(self) -> None:
        """Until ``stop()``: then in-flight attempts finish (each within its 15 s) and
        anything claimed but not sent is handed back."""
        backend = targets.GuardedBackend(allow_private=self.allow_private)
        expired_at: datetime | None = None
        async with (
            httpcore.AsyncConnectionPool(
                network_backend=backend, max_connections=self.concurrency * 2, retries=0
            ) as pool,
            anyio.create_task_group() as group,
        ):
            dispatched_at = claimed_at = float("-inf")
            more = False  # the last claim filled its places: there may be more due
            while not self.stopping.is_set():
                now = self.clock()
                busy = False
                jobs: list[Job] = []
                try:
                    if expired_at is None or now - expired_at >= EXPIRE_EVERY:
                        await to_thread.run_sync(dispatch.expire, self.db, now, self.retention_days)
                        expired_at = now
                    # New events are looked for at most every DISPATCH_SECONDS while
                    # deliveries keep the loop turning (each turn used to read for them),
                    # and at once after a round that found some.
                    if time.monotonic() - dispatched_at >= DISPATCH_SECONDS:
                        types = await to_thread.run_sync(dispatch.dispatch, self.db, now)
                        dispatched_at = float("-inf") if types else time.monotonic()
                        for event_type, count in types.items():
                            EVENTS.labels(event_type).inc(count)
                        busy = bool(types)
                    done, self._outcomes = self._outcomes, []
                    # A claim only when it may find something: places were freed, new
                    # deliveries were made, the last claim filled its places, or a poll
                    # interval has passed (retries come due with time).
                    if done or busy or more or time.monotonic() - claimed_at >= self.poll_seconds:
                        jobs, asked = await self._settle(done)
                        more = asked > 0 and len(jobs) >= asked
                        claimed_at = time.monotonic()
                except Exception:  # the database away for a moment: try again later
                    log.exception("webhook worker: the queue could not be read")
                for job in jobs:
                    self._in_hand[job.delivery_id] = job
                    group.start_soon(self._attempt, pool, job)
                if busy or jobs:
                    await anyio.sleep(0)
                else:
                    # Nothing to do until the next poll, or until an attempt ends: then
                    # its outcome is recorded and its place taken at once.
                    self._freed = anyio.Event()
                    if not self._outcomes:
                        with anyio.move_on_after(self.poll_seconds):
                            await self._freed.wait()
        await self._record()  # attempts that ended while stopping: never sent twice
        await to_thread.run_sync(
            dispatch.release, self.db, self.clock(), list(self._in_hand.values())
        )

    async def _attempt(self, pool: httpcore.AsyncConnectionPool, job: Job) -> None:
        try:
            outcome = await send(pool, job, self.clock(), self.attempt_seconds)
        except Exception:  # recorded nowhere: the lease brings the delivery back
            log.exception("webhook worker: delivery %s", job.delivery_id)
            self._in_hand.pop(job.delivery_id, None)
        else:  # kept in hand until recorded, so its webhook's count still holds it
            self._outcomes.append((job, outcome))
        if self._freed is not None:
            self._freed.set()

    async def _settle(self, done: list[tuple[Job, Outcome]]) -> tuple[list[Job], int]:
        """Record the outcomes of ``done`` and claim what fits in the places left, in one
        transaction; the jobs claimed and the places asked for. If it fails, the outcomes
        are recorded nowhere: their leases bring the deliveries back."""
        for job, _ in done:
            self._in_hand.pop(job.delivery_id, None)
        free = self.concurrency - len(self._in_hand)
        counts = Tally(job.webhook_id for job in self._in_hand.values())
        finals, jobs = await to_thread.run_sync(
            functools.partial(
                dispatch.settle,
                self.db,
                self.clock(),
                done,
                self.delays,
                free,
                dict(counts),
                self._rng,
            )
        )
        for final, count in Tally(finals).items():
            DELIVERIES.labels(final).inc(count)
        return jobs, free

    async def _record(self) -> None:
        """The outcomes of the attempts that ended since the last time, in one transaction
        (a commit for each would bound the worker's rate far below its receivers')."""
        if not self._outcomes:
            return
        done, self._outcomes = self._outcomes, []
        try:
            finals = await to_thread.run_sync(
                dispatch.finish_many, self.db, self.clock(), done, self.delays, self._rng
            )
            for final, count in Tally(finals).items():
                DELIVERIES.labels(final).inc(count)
        except Exception:  # recorded nowhere: the leases bring the deliveries back
            log.exception("webhook worker: %d outcomes could not be recorded", len(done))
        finally:
            for job, _ in done:
                self._in_hand.pop(job.delivery_id, None)
