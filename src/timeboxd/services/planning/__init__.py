"""Planned time: time blocks (single, bulk, the list and the stream), recurring series,
the day's agenda and the subscribable calendar feed.

May import: ``accounts`` and ``catalog``, the shared modules of ``services``, ``db`` and
``domain``. Never ``tracking``, ``insights`` or ``imports``."""
