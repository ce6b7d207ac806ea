"""The business side: leads (who may become a client) and deals (work a client may buy),
with the pipeline summary. A lead's conversion makes its client and contact through the
catalog's own service functions, so their rules and events are the catalog's.

May import: ``accounts`` (access rules, the personal workspace), ``catalog`` (clients and
contacts), the shared modules of ``services``, ``db`` and ``domain``."""
