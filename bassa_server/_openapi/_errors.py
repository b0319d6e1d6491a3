"""The one error a handler or the binding raises, and its JSON rendering.

Every refusal leaves the server as JSON `{"error": "..."}` (plus any extra keys the API keeps for
old clients), never as an HTML page or a traceback.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from starlette.responses import JSONResponse

# validation messages echo the offending value; a 2 MiB value must not come back as a 2 MiB error
MAX_MESSAGE_LENGTH = 300


class FastJSONResponse(JSONResponse):
    """A JSON response rendered by orjson (UTF-8, compact, like Starlette's but faster)."""

    def render(self, content: Any) -> bytes:
        """`content` as compact UTF-8 JSON."""
        return orjson.dumps(content)


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

    def to_response(self) -> FastJSONResponse:
        """The error as the API's JSON error shape."""
        return error_response(self.status, self.message, extra=self.extra, headers=self.headers)


def error_response(
    status: int,
    message: str,
    *,
    extra: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> FastJSONResponse:
    """`{"error": message, **extra}` with `status`."""
    if len(message) > MAX_MESSAGE_LENGTH:
        message = message[: MAX_MESSAGE_LENGTH - 1] + "…"
    body = {"error": message, **(extra or {})}
    return FastJSONResponse(body, status_code=status, headers=headers)
