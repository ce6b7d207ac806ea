"""The one error the client raises for an answer that says something went wrong."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """The server's ``error`` (SPEC §2), raised whenever it is set, whatever the HTTP status.

    ``code`` is machine-readable (``NOT_FOUND``, ``VALIDATION_ERROR``...), ``message`` is for
    people, ``field`` names the offending input when there is one. An answer that is not
    the API's envelope at all (a proxy's error page) has the code ``INVALID_RESPONSE``."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        status: int,
        field: str | None = None,
        request_id: str | None = None,
        details: Any = None,
    ) -> None:
        super().__init__(f"{code}: {message}" + (f" (field {field})" if field else ""))
        self.code = code
        self.message = message
        self.status = status
        self.field = field
        self.request_id = request_id
        self.details = details
