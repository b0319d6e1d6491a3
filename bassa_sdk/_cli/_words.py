"""SDK errors in plain words for people at a terminal, and the exit code of each.

The SDK's messages are written for programmers ("ConnectError during list_own_downloads: …");
here each kind of failure says what happened to the user and what to do next.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bassa_sdk._cli._state import EXIT_AUTH, EXIT_FAILURE, EXIT_NOT_FOUND, EXIT_SERVER
from bassa_sdk._errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BassaError,
    NotFoundError,
    PermissionDeniedError,
    ResponseValidationError,
    ServerError,
    TokenError,
    UnsupportedOperationError,
)
from bassa_sdk._generated.spec_facts import OPERATIONS
from bassa_sdk._retry import unresolvable_host

if TYPE_CHECKING:
    from bassa_sdk._cli._state import CliState

__all__ = ["exit_code", "in_words", "not_bassa"]


def exit_code(exc: BassaError) -> int:
    """The exit code of an SDK error (see the table in `_state`)."""
    if not_bassa(exc):
        return EXIT_SERVER
    if isinstance(exc, (AuthenticationError, PermissionDeniedError)):
        return EXIT_AUTH
    if isinstance(exc, NotFoundError):
        return EXIT_NOT_FOUND
    if isinstance(exc, (ServerError, APIConnectionError, ResponseValidationError)):
        return EXIT_SERVER
    return EXIT_FAILURE


def not_bassa(exc: BassaError) -> bool:
    """Whether the answer shows the server is not a Bassa server: a 404 or 405 for one of the
    original API's own paths without Bassa's JSON error (`{"error": …}`). The original server
    answers its unknown paths with HTML too, but it meets those only for extensions, which say
    so themselves; its one plain-text 404 is a missing zip."""
    if isinstance(exc, UnsupportedOperationError) or not isinstance(exc, APIStatusError):
        return False
    if exc.status_code not in (404, 405):
        return False
    body = exc.body
    if isinstance(body, dict) and ("error" in body or "status" in body):
        return False
    plain_text = isinstance(body, str) and not body.lstrip().startswith("<")
    return not (plain_text and exc.request.url.path == OPERATIONS["fetch_zip"].path)


def in_words(exc: BassaError, url: str, state: CliState | None = None) -> str:
    """One sentence for the user about `exc`, raised while talking to `url`."""
    timeout = state.timeout if state is not None and state.timeout else None
    if isinstance(exc, APITimeoutError):
        waited = f"within {timeout:g} s" if timeout else "in time"
        return f"{url} did not answer {waited}; try again, or raise --timeout"
    if isinstance(exc, APIConnectionError):
        if unresolvable_host(exc):
            return f"cannot find the host of {url}: check the URL (--url, BASSA_URL or profile)"
        return f"cannot reach {url} — is bassa-server running?"
    if not_bassa(exc):
        assert isinstance(exc, APIStatusError)
        kind = exc.response.headers.get("content-type", "no content type").split(";")[0]
        return (
            f"{url} does not look like a Bassa server: it answered {exc.status_code} ({kind}) "
            f"to {exc.request.method} {exc.request.url.path}; check the URL"
        )
    if isinstance(exc, ResponseValidationError):
        return f"{url} sent an answer Bassa's API does not allow (is it a Bassa server?): {exc}"
    if isinstance(exc, TokenError):
        return f"your session on {url} has expired or was ended: run bassa login"
    if isinstance(exc, APIStatusError):
        detail = exc.body.get("error") if isinstance(exc.body, dict) else None
        if isinstance(exc, UnsupportedOperationError):
            return f"{url} is an older Bassa server without this feature ({exc})"
        if isinstance(detail, str) and detail:
            return f"{detail} ({exc.status_code} from {url})"
    return str(exc)
