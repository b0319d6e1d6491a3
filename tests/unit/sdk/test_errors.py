"""Every failure leaves the SDK as a BassaError of the right class, chained to its cause."""

from __future__ import annotations

import json

import httpx
import pytest

from bassa_sdk import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    InsufficientStorageError,
    NotFoundError,
    PermissionDeniedError,
    QuotaExceededError,
    RateLimitError,
    ResponseValidationError,
    ServerError,
    TokenError,
    UnsupportedOperationError,
)
from tests.unit.sdk.conftest import make_client, reply


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (400, {"error": "page: 0 is less than the minimum of 1"}, BadRequestError),
        (400, {"error": "quota exceeded", "quota": "exceeded"}, QuotaExceededError),
        (401, {"error": "account not approved", "status": "unapproved"}, AuthenticationError),
        (403, {"error": "token error"}, TokenError),
        (403, {"error": "not authorized"}, PermissionDeniedError),
        (404, {"error": "not found"}, NotFoundError),
        (409, {"error": "username taken"}, ConflictError),
        (429, {"error": "slow down"}, RateLimitError),
        (500, {"error": "boom"}, ServerError),
        (507, {"error": "disk full"}, InsufficientStorageError),
        (418, {"error": "teapot"}, APIStatusError),
    ],
)
def test_status_maps_to_its_class(status: int, body: dict[str, str], expected: type) -> None:
    """Each status (and legacy body) becomes its class, carrying status, body and request."""
    client, _ = make_client(lambda request: reply(status, body), max_attempts=1)
    with pytest.raises(APIStatusError) as caught:
        client.downloads.add("http://files.test/a.bin")
    assert type(caught.value) is expected
    assert caught.value.status_code == status
    assert caught.value.body == body
    assert caught.value.request.url.path == "/api/download"


def test_login_refusal_is_an_authentication_error() -> None:
    """A 403 on login means bad credentials, not a missing permission."""
    client, _ = make_client(lambda request: reply(403, {"error": "invalid credentials"}))
    with pytest.raises(AuthenticationError) as caught:
        client.session.login("alice", "wrong password")
    assert not isinstance(caught.value, TokenError)
    assert "invalid credentials" in str(caught.value)


def test_status_outside_httpstatus_is_a_server_error() -> None:
    """A 520 (a status HTTP does not define) is a ServerError carrying its status and body."""
    client, _ = make_client(
        lambda request: httpx.Response(520, text="origin error"), max_attempts=1
    )
    with pytest.raises(ServerError) as caught:
        client.users.list()
    assert caught.value.status_code == 520
    assert caught.value.body == "origin error"


def test_html_error_page_is_still_a_status_error() -> None:
    """A documented error status with a non-JSON body keeps its status class."""
    client, _ = make_client(lambda request: httpx.Response(404, text="<h1>Not Found</h1>"))
    with pytest.raises(NotFoundError) as caught:
        client.downloads.delete(9)
    assert caught.value.body == "<h1>Not Found</h1>"


@pytest.mark.parametrize(
    ("response", "cause"),
    [
        (httpx.Response(200, text="not json"), json.JSONDecodeError),
        (reply(200, {"state": "running"}), KeyError),
    ],
)
def test_malformed_success_is_a_validation_error(response: httpx.Response, cause: type) -> None:
    """A 200 body the spec does not allow is a ResponseValidationError from the parse error."""
    client, _ = make_client(lambda request: response)
    with pytest.raises(ResponseValidationError) as caught:
        client.queue.status()
    assert isinstance(caught.value.__cause__, cause)


def test_wrong_shape_is_a_validation_error() -> None:
    """A list where an object belongs is reported, not returned."""
    client, _ = make_client(lambda request: reply(200, [1, 2]))
    with pytest.raises(ResponseValidationError):
        client.downloads.add("http://files.test/a.bin")


def test_connection_failure_is_chained() -> None:
    """A refused connection is an APIConnectionError whose cause is the httpx error."""

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    client, recorder = make_client(refuse, max_attempts=2)
    with pytest.raises(APIConnectionError) as caught:
        client.users.list()
    assert isinstance(caught.value.__cause__, httpx.ConnectError)
    assert len(recorder.requests) == 2


def test_read_timeout_is_a_timeout_error() -> None:
    """A read timeout is an APITimeoutError (a kind of APIConnectionError)."""

    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    client, _ = make_client(slow, max_attempts=1)
    with pytest.raises(APITimeoutError) as caught:
        client.users.list()
    assert isinstance(caught.value.__cause__, httpx.ReadTimeout)


def test_legacy_404_on_an_extension_is_unsupported() -> None:
    """A legacy server's HTML 404 on an extension says the server lacks the operation."""
    client, _ = make_client(lambda request: httpx.Response(404, text="<h1>Not Found</h1>"))
    with pytest.raises(UnsupportedOperationError, match="does not implement get_download_status"):
        client.downloads.status(3)


def test_json_404_on_an_extension_is_a_plain_not_found() -> None:
    """The server's own 404 for an unknown id stays a NotFoundError."""
    client, _ = make_client(lambda request: reply(404, {"error": "not found"}))
    with pytest.raises(NotFoundError) as caught:
        client.downloads.status(3)
    assert type(caught.value) is NotFoundError
