"""The SDK's one error tree and the one place lower-level failures are translated into it.

Everything the SDK raises on purpose derives from `BassaError`; caller mistakes (a page below 1,
an empty link, a non-finite timeout) are `ValueError`/`TypeError` raised before any I/O::

    BassaError
    ├── APIConnectionError              no response: refused, reset, DNS, broken stream
    │   └── APITimeoutError             ... because a timeout expired
    ├── APIStatusError                  the server answered 4xx/5xx (.status_code .body .request)
    │   ├── BadRequestError             400
    │   │   └── QuotaExceededError      400 {"error": "quota exceeded", "quota": "exceeded"}
    │   ├── AuthenticationError         401 (account not approved), 403 on login (bad credentials)
    │   │   └── TokenError              403 {"error": "token error"}: missing, bad or expired token
    │   ├── PermissionDeniedError       403 {"error": "not authorized"} (not an admin, wrong key)
    │   ├── NotFoundError               404
    │   │   └── UnsupportedOperationError   404 from a server that lacks an extension operation
    │   ├── ConflictError               409
    │   ├── RateLimitError              429 (.retry_after)
    │   └── ServerError                 5xx, and any status code outside the standard ones
    │       └── InsufficientStorageError    507
    ├── ResponseValidationError         a response the spec does not allow (bad JSON, wrong size…)
    ├── DownloadFailedError             a waited-for download or zip job failed
    └── WaitTimeoutError                a wait ran out of time (also a builtin TimeoutError)

Lower-level failures are translated in two places, each around the SDK's own code only: the
transport under the generated client turns httpx errors and 4xx/5xx answers into this tree
(`network_error`, `status_error`), and `translating()` around the generated parse of a success
turns an undecodable or incomplete body into `ResponseValidationError`, always `raise ... from exc`.
Exceptions raised by the caller's own callbacks (a progress callback) pass through unchanged.
"""

from __future__ import annotations

import email.utils
import json
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from http import HTTPStatus
from typing import TYPE_CHECKING

import httpx

from bassa_sdk._generated.errors import UnexpectedStatus
from bassa_sdk._generated.models import Error

if TYPE_CHECKING:
    from bassa_sdk._call import CallContext
    from bassa_sdk._generated.spec_facts import Operation

__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "BassaError",
    "ConflictError",
    "DownloadFailedError",
    "InsufficientStorageError",
    "NotFoundError",
    "PermissionDeniedError",
    "QuotaExceededError",
    "RateLimitError",
    "ResponseValidationError",
    "ServerError",
    "TokenError",
    "UnsupportedOperationError",
    "WaitTimeoutError",
]


class BassaError(Exception):
    """Base class of every error the SDK raises on purpose."""


class APIConnectionError(BassaError):
    """The request got no response: the connection failed, broke, or the stream was cut."""

    def __init__(self, message: str, *, request: httpx.Request | None = None) -> None:
        super().__init__(message)
        self.request = request


class APITimeoutError(APIConnectionError):
    """A connect, read, write or pool timeout expired."""


class APIStatusError(BassaError):
    """The server answered with a 4xx or 5xx status."""

    def __init__(
        self,
        message: str,
        *,
        response: httpx.Response,
        body: object,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.response = response
        self.request = response.request
        self.status_code = response.status_code
        self.body = body
        self.retry_after = retry_after
        # set by the retrier: an earlier attempt of this call failed after its request may have
        # reached the server, so this answer may describe what that attempt did
        self.after_unknown_outcome = False


class BadRequestError(APIStatusError):
    """400: the server refused the request's body, parameters or headers."""


class QuotaExceededError(BadRequestError):
    """400 with `"quota": "exceeded"`: the user downloaded more than their volume quota."""


class AuthenticationError(APIStatusError):
    """The server does not know who is calling: bad credentials, or an unapproved account (401)."""


class TokenError(AuthenticationError):
    """403 `token error`: the session token is missing, malformed, expired, or its user blocked."""


class PermissionDeniedError(APIStatusError):
    """403 `not authorized`: signed in, but not allowed (not an admin, not the owner, bad key)."""


class NotFoundError(APIStatusError):
    """404: no such user, download, file or zip job."""


class UnsupportedOperationError(NotFoundError):
    """404 from a server that does not implement an extension operation (a legacy server)."""


class ConflictError(APIStatusError):
    """409: the request conflicts with the object's state (a taken name, a started download)."""


class RateLimitError(APIStatusError):
    """429: too many requests; `retry_after` says how long the server asks to wait, if it does."""


class ServerError(APIStatusError):
    """5xx, or a status code outside the standard ones: the server failed."""


class InsufficientStorageError(ServerError):
    """507: the server's downloads volume is too full to accept more work."""


class ResponseValidationError(BassaError):
    """The response does not match the spec: undecodable or incomplete body, wrong size."""

    def __init__(self, message: str, *, response: httpx.Response | None = None) -> None:
        super().__init__(message)
        self.response = response


class DownloadFailedError(BassaError):
    """A waited-for download (status 4) or zip job failed; `reason` is the server's word."""

    def __init__(self, what: str, reason: str | None) -> None:
        super().__init__(f"{what} failed: {reason or 'no reason given'}")
        self.what = what
        self.reason = reason


class WaitTimeoutError(BassaError, TimeoutError):
    """A wait for a download or a zip ran out of time before it finished."""


_BY_STATUS: Mapping[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    429: RateLimitError,
    507: InsufficientStorageError,
}


def retry_after_seconds(headers: httpx.Headers, now: float | None = None) -> float | None:
    """`Retry-After` as seconds from now, whether given as seconds or as an HTTP date."""
    value = headers.get("retry-after")
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:  # an HTTP date is GMT by definition
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    if seconds != seconds or seconds in (float("inf"), float("-inf")):  # NaN and infinities
        return None
    return max(0.0, seconds)


def response_body(response: httpx.Response) -> object:
    """The decoded JSON body when there is one, else its text (never raises)."""
    try:
        return response.json()
    except (ValueError, UnicodeDecodeError, httpx.ResponseNotRead):
        try:
            return response.text
        except (UnicodeDecodeError, httpx.ResponseNotRead):
            return None


def is_failure(status: int) -> bool:
    """Whether a status means the request failed: 4xx, 5xx, or a code HTTP does not define."""
    return status >= 400 or status not in HTTPStatus._value2member_map_


def _error_model(body: object) -> Error | None:
    """The spec's `Error` for a body that has its shape (a JSON object with an `error` string)."""
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        return Error.from_dict(body)
    return None


def status_error(response: httpx.Response, operation: Operation) -> APIStatusError:
    """The exception for a failed (read) `response` to `operation`."""
    status = response.status_code
    body = response_body(response)
    error = _error_model(body)
    detail = error.error if error is not None else None
    cls: type[APIStatusError] = _BY_STATUS.get(
        status, ServerError if status >= 500 else APIStatusError
    )
    if status == 403 and detail == "token error":
        cls = TokenError
    elif status == 403 and operation.operation_id == "login":
        cls = AuthenticationError
    elif status == 400 and error is not None and error.quota == "exceeded":
        cls = QuotaExceededError
    elif status == 404 and operation.extension and error is None:
        cls = UnsupportedOperationError
        detail = (
            f"this server does not implement {operation.operation_id} (a Bassa extension); "
            "upgrade it"
        )
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = "Unknown Status"
    request = response.request
    message = f"{status} {reason} from {request.method} {request.url.path}"
    if detail:
        message += f": {detail}"
    return cls(
        message, response=response, body=body, retry_after=retry_after_seconds(response.headers)
    )


def _request_of(exc: httpx.RequestError) -> httpx.Request | None:
    try:
        return exc.request
    except RuntimeError:  # httpx raises when the error was built without a request
        return None


def network_error(exc: httpx.RequestError, operation: str) -> APIConnectionError:
    """The exception for an httpx transport error during `operation`."""
    cls = APITimeoutError if isinstance(exc, httpx.TimeoutException) else APIConnectionError
    return cls(f"{type(exc).__name__} during {operation}: {exc}", request=_request_of(exc))


@contextmanager
def translating(context: CallContext) -> Iterator[None]:
    """Around the generated parse of a success (and httpx's reading of it): whatever escapes
    becomes a `BassaError`. Status errors were raised by the transport before any parse."""
    operation = context.operation.operation_id
    try:
        yield
    except BassaError:
        raise
    except httpx.DecodingError as exc:
        raise ResponseValidationError(
            f"undecodable response to {operation}: {exc}", response=context.last_response
        ) from exc
    except httpx.RequestError as exc:
        raise network_error(exc, operation) from exc
    except (UnexpectedStatus, json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise ResponseValidationError(
            f"malformed response to {operation}: {type(exc).__name__}: {exc}",
            response=context.last_response,
        ) from exc
