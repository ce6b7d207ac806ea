"""The version check's background look, for as long as the app serves: each process
wakes every hour and looks at the release feed when no process of the server did within
a day (``services.admin.releases.check_if_due``, which the database keeps to once a day
for all of them). It runs in a worker thread, so a slow feed never holds up a request."""

from __future__ import annotations

import logging

import anyio

from timeboxd import __version__
from timeboxd.api.deps import Runtime
from timeboxd.services.admin import releases

log = logging.getLogger(__name__)

WAKE_SECONDS = 3600.0


async def run(rt: Runtime) -> None:
    feed = rt.settings.release_feed_url
    if feed is None:
        return
    while True:
        try:
            await anyio.to_thread.run_sync(
                releases.check_if_due, rt.db, rt.clock, feed, __version__
            )
        except Exception:  # the database away for a moment: try again at the next wake
            log.exception("version check failed")
        await anyio.sleep(WAKE_SECONDS)
