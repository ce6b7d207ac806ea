"""The catalog: projects (a study planner's subjects), clients and their contacts, tasks
and tags, the things blocks and entries point at. ``common`` holds what they share.

May import: ``accounts`` (access rules, the personal workspace), the shared modules of
``services``, ``db`` and ``domain``. Never ``planning``, ``tracking`` or ``insights``."""
