"""The HTTP protocol ``timeboxd serve`` runs: uvicorn's httptools protocol, answering a
request its parser refuses in the envelope instead of uvicorn's plain-text 400.

The parser refuses a URL of more than 65,535 bytes (its offsets are 16-bit) before the app
sees the request, which a bulk delete's ``?ids=`` reaches at about 2,600 ids: that request
is told to send the ids in a JSON body. Anything else the parser refuses is malformed HTTP.
"""

from __future__ import annotations

from datetime import UTC, datetime

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from timeboxd import API_VERSION
from timeboxd.api import envelope
from timeboxd.domain.ids import random_base62
from timeboxd.errors import ValidationFailed

MAX_URL_BYTES = 65_535


def refusal(url: bytes) -> ValidationFailed:
    """Why the parser refused a request whose URL (so far) is ``url``."""
    if len(url) <= MAX_URL_BYTES:
        return ValidationFailed("the request is not valid HTTP/1.1")
    if b"/bulk?" in url:
        return ValidationFailed(
            f"the URL is over {MAX_URL_BYTES} bytes; send the ids as a JSON body"
            ' {"ids": [...]} instead',
            field="ids",
        )
    return ValidationFailed(f"the URL is over {MAX_URL_BYTES} bytes", field="url")


class EnvelopeHttpToolsProtocol(HttpToolsProtocol):
    def send_400_response(self, msg: str) -> None:
        error = refusal(getattr(self, "url", b""))
        request_id = "req_" + random_base62(20)
        meta = envelope.meta(request_id, datetime.now(UTC))
        body = envelope.dumps({"data": None, "error": error.as_dict(), "meta": meta})
        content = [STATUS_LINE[error.status]]
        for name, value in self.server_state.default_headers:
            content.extend([name, b": ", value, b"\r\n"])
        content.extend(
            [
                b"content-type: application/json\r\n",
                b"content-length: " + str(len(body)).encode("ascii") + b"\r\n",
                b"x-request-id: " + request_id.encode("ascii") + b"\r\n",
                b"x-api-version: " + API_VERSION.encode("ascii") + b"\r\n",
                b"connection: close\r\n",
                b"\r\n",
                body,
            ]
        )
        self.transport.write(b"".join(content))
        self.transport.close()
