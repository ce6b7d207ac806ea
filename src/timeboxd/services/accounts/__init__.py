"""Accounts: users and their profile (``/v1/me``), API keys, workspaces and membership,
and ``access``, the visibility and role rules every other domain asks.

May import: ``services.context``, ``services.paging``, ``services.versioning``,
``planning.calendar`` (the profile shows the feed URL), ``db`` and ``domain``."""
