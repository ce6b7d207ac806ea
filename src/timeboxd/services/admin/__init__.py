"""The server's own affairs, for its admins (``users.is_admin``): the version check.

May import: ``accounts`` (who the caller is), the shared modules of ``services``, ``db``
and ``domain``."""
