"""The one error a handler or the binding raises, and its JSON rendering.

Every refusal leaves the server as JSON `{"error": "..."}` (plus any extra keys the API keeps for
old clients), never as an HTML page or a traceback.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.responses import JSONResponse

# validation messages echo the offending value; a 2 MiB value must not come back as a 2 MiB error
MAX_MESSAGE_LENGTH = 300


class ApiError(Exception):
    """A refusal with its HTTP status, message and optional extra body keys or headers."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        extra: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.extra = dict(extra or {})
        self.headers = dict(headers or {})

    def to_response(self) -> JSONResponse:
        """The error as the API's JSON error shape."""
        return error_response(self.status, self.message, extra=self.extra, headers=self.headers)


def error_response(
    status: int,
    message: str,
    *,
    extra: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """`{"error": message, **extra}` with `status`."""
    if len(message) > MAX_MESSAGE_LENGTH:
        message = message[: MAX_MESSAGE_LENGTH - 1] + "…"
    return JSONResponse({"error": message, **(extra or {})}, status_code=status, headers=headers)
