"""Domain errors: each carries the machine-readable code and HTTP status of SPEC §2."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class ErrorItem:
    index: int
    field: str | None
    message: str


class DomainError(Exception):
    code = "INTERNAL_ERROR"
    status = 500

    def __init__(
        self, message: str, field: str | None = None, details: list[ErrorItem] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.details = details or []

    def __str__(self) -> str:
        return self.message

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.field is not None:
            body["field"] = self.field
        if self.details:
            body["details"] = [
                {"index": d.index, "field": d.field, "message": d.message} for d in self.details
            ]
        return body


class ValidationFailed(DomainError):
    code = "VALIDATION_ERROR"
    status = 400


class Unauthorized(DomainError):
    code = "UNAUTHORIZED"
    status = 401


class Forbidden(DomainError):
    code = "FORBIDDEN"
    status = 403


class NotFound(DomainError):
    code = "NOT_FOUND"
    status = 404


class MethodNotAllowed(DomainError):
    # SPEC's table has no 405 code: a wrong method is bad input on a known route.
    code = "VALIDATION_ERROR"
    status = 405


class Conflict(DomainError):
    code = "CONFLICT"
    status = 409


class PreconditionFailed(DomainError):
    code = "PRECONDITION_FAILED"
    status = 412


class PayloadTooLarge(DomainError):
    code = "PAYLOAD_TOO_LARGE"
    status = 413


class UnsupportedVersion(DomainError):
    code = "UNSUPPORTED_VERSION"
    status = 400


class RateLimited(DomainError):
    code = "RATE_LIMITED"
    status = 429


class CursorExpired(DomainError):
    # The change feed no longer holds the cursor's event (kept for the retention period).
    code = "CURSOR_EXPIRED"
    status = 410


class ServiceUnavailable(DomainError):
    # Not in SPEC's table: the server is at a limit of its own (every database connection
    # busy, every stream slot taken), not the caller's quota; retry shortly.
    code = "SERVICE_UNAVAILABLE"
    status = 503


class InternalError(DomainError):
    code = "INTERNAL_ERROR"
    status = 500


ERROR_CODES: dict[str, int] = {
    cls.code: cls.status
    for cls in (
        ValidationFailed,
        Unauthorized,
        Forbidden,
        NotFound,
        Conflict,
        PreconditionFailed,
        PayloadTooLarge,
        UnsupportedVersion,
        RateLimited,
        CursorExpired,
        ServiceUnavailable,
        InternalError,
    )
}


def fail_bulk(errors: list[ErrorItem], code: type[DomainError] | None = None) -> None:
    """Raise one error listing every failing item of a bulk request (SPEC §2), if any."""
    if errors:
        noun = "item" if len(errors) == 1 else "items"
        raise (code or ValidationFailed)(
            f"{len(errors)} {noun} failed; nothing was written",
            field=errors[0].field,
            details=errors,
        )
