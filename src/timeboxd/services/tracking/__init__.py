"""Tracked time: time entries (single, bulk, the list), the timer, approvals, reports
(summary and detailed, their SQL in ``report_rows``) and their CSV/XLSX exports.

May import: ``accounts`` and ``catalog``, the shared modules of ``services``, ``db`` and
``domain``. Never ``planning``, ``insights`` or ``imports``."""
