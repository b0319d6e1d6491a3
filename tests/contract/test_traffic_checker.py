"""The response checker used on the SDK's traffic tells conforming responses from violations."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from tests.contract._traffic import Received, assert_conforms, operation_id

QUEUE = httpx.Request("GET", "http://127.0.0.1:5000/api/queue", headers={"token": "t"})
APPROVE = httpx.Request("POST", "http://127.0.0.1:5000/api/user/approve/alice")


def _response(request: httpx.Request, status: int, body: bytes, **headers: str) -> Received:
    sent = {"content-type": "application/json", "token": "renewed", **headers}
    response = httpx.Response(status, headers=sent, content=body, request=request)
    response.elapsed = timedelta(milliseconds=5)
    return Received(response, True)


def test_a_conforming_response_passes() -> None:
    """A queue status with every required field and the renewed token header conforms."""
    body = b'{"state": "running", "queued": 1, "started": 0, "completed": 2, "failed": 0}'
    assert_conforms(_response(QUEUE, 200, body))


@pytest.mark.parametrize(
    "received",
    [
        _response(QUEUE, 200, b'{"state": "running"}'),
        _response(QUEUE, 418, b'{"error": "teapot"}'),
        _response(QUEUE, 200, b"<html>ok</html>", **{"content-type": "text/html"}),
        _response(QUEUE, 500, b'{"error": "boom"}'),
    ],
    ids=["missing-fields", "undocumented-status", "wrong-content-type", "server-error"],
)
def test_a_violation_is_reported(received: Received) -> None:
    """Missing fields, an undocumented status, a wrong content type or a 5xx all fail."""
    with pytest.raises(AssertionError):
        assert_conforms(received)


def test_requests_are_matched_to_their_operation() -> None:
    """Concrete paths find their templated operation, path parameters included."""
    assert operation_id(QUEUE) == "get_queue_status"
    assert operation_id(APPROVE) == "approve_user"
    assert_conforms(_response(APPROVE, 200, b'{"status": "success"}'))
