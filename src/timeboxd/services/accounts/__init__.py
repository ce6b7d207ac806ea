"""Accounts: users and their profile (``/v1/me``), API keys, workspaces and membership,
``access``, the visibility and role rules every other domain asks, and the people side:
``passwords``, the web app's ``web_sessions`` and the server administrators' ``admin``.

May import: ``services.context``, ``services.paging``, ``services.versioning``,
``planning.calendar`` (the profile shows the feed URL), ``db`` and ``domain``."""
