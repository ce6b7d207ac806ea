"""Events: the change feed, webhooks and their delivery (``targets``: where a delivery
may connect).

May import: ``accounts``, the shared modules of ``services``, ``db`` and ``domain``.
Nothing but the faces and the worker imports it."""
