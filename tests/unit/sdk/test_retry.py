"""Which failures are retried, how `Retry-After` is honoured, and that retries are visible."""

from __future__ import annotations

import email.utils
import logging
import socket

import httpx
import pytest
import stamina
import structlog.testing
from stamina.instrumentation import (
    PrometheusOnRetryHook,
    RetryDetails,
    StructlogOnRetryHook,
    get_prometheus_counter,
    set_on_retry_hooks,
)

from bassa_sdk import APIStatusError, NotFoundError, RateLimitError, ServerError
from bassa_sdk._errors import APIConnectionError, APITimeoutError, retry_after_seconds
from bassa_sdk._retry import RetryPolicy, should_retry
from tests.unit.sdk.conftest import make_async_client, make_client, reply

REQUEST = httpx.Request("GET", "http://bassa.test/api/user")


def _status(code: int) -> APIStatusError:
    return APIStatusError("x", response=httpx.Response(code, request=REQUEST), body=None)


def _transport(cause: Exception) -> APIConnectionError:
    cls = APITimeoutError if isinstance(cause, httpx.TimeoutException) else APIConnectionError
    error = cls("x")
    error.__cause__ = cause
    return error


def _dns(errno: int) -> APIConnectionError:
    """A connect error caused (through httpx, as httpcore raises it) by a failed DNS lookup."""
    cause = httpx.ConnectError("lookup failed")
    cause.__context__ = socket.gaierror(errno, "Name or service not known")
    return _transport(cause)


@pytest.mark.parametrize(
    ("error", "safe", "retried"),
    [
        (_transport(httpx.ConnectError("refused")), False, True),
        (_transport(httpx.ConnectTimeout("slow connect")), False, True),
        (_transport(httpx.PoolTimeout("pool")), False, True),
        (_dns(socket.EAI_NONAME), True, False),
        (_dns(socket.EAI_AGAIN), True, True),
        (_transport(httpx.ReadTimeout("slow read")), True, True),
        (_transport(httpx.ReadTimeout("slow read")), False, False),
        (_transport(httpx.RemoteProtocolError("cut")), True, True),
        (_transport(httpx.RemoteProtocolError("cut")), False, False),
        (_status(408), True, True),
        (_status(408), False, False),
        (_status(429), True, True),
        (_status(429), False, False),
        (_status(500), True, True),
        (_status(503), False, False),
        (_status(520), True, True),
        (_status(400), True, False),
        (_status(403), True, False),
        (_status(404), True, False),
        (_status(409), True, False),
        (ValueError("caller mistake"), True, False),
    ],
)
def test_retry_decision(error: Exception, safe: bool, retried: bool) -> None:
    """Connection failures always (but a name that does not resolve never); timeouts, broken
    exchanges, 408/429/5xx only when safe."""
    assert should_retry(error, safe=safe) is retried


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("3", 3.0), ("0", 0.0), ("1.5", 1.5), ("-4", 0.0), ("soon", None), ("nan", None)],
)
def test_retry_after_in_seconds(value: str, seconds: float | None) -> None:
    """Retry-After in seconds is read as a non-negative number; junk is ignored."""
    assert retry_after_seconds(httpx.Headers({"retry-after": value})) == seconds


def test_retry_after_as_http_date() -> None:
    """Retry-After as an HTTP date is the time left until that date."""
    date = email.utils.formatdate(1_000_030, usegmt=True)
    assert retry_after_seconds(httpx.Headers({"retry-after": date}), now=1_000_000) == 30.0


def test_policy_rejects_nonsense() -> None:
    """Zero attempts or negative waits are caller mistakes."""
    with pytest.raises(ValueError, match="max_attempts"):
        RetryPolicy(0, 10, 0.1, 1, 60)
    with pytest.raises(ValueError, match="wait_max"):
        RetryPolicy(3, 10, 0.1, -1, 60)


def test_get_is_retried_until_it_succeeds(caplog: pytest.LogCaptureFixture) -> None:
    """A GET answered 503 twice then 200 succeeds, logging each retry with its attempt number."""
    script = [reply(503, {"error": "busy"}), reply(502, {"error": "bad gateway"}), reply(200, [])]
    client, recorder = make_client(lambda request: script.pop(0), max_attempts=3)
    with caplog.at_level(logging.WARNING, logger="bassa"):
        assert client.users.list() == []
    assert len(recorder.requests) == 3
    messages = [r.getMessage() for r in caplog.records if r.name == "bassa"]
    assert messages[0].startswith("list_users: attempt 1 of 3 failed (status 503)")
    assert messages[1].startswith("list_users: attempt 2 of 3 failed (status 502)")


def test_attempts_are_bounded() -> None:
    """After max_attempts failures the last error is raised."""
    client, recorder = make_client(lambda request: reply(500, {"error": "x"}), max_attempts=4)
    with pytest.raises(ServerError):
        client.users.list()
    assert len(recorder.requests) == 4


def test_unsafe_post_is_not_retried_after_a_5xx() -> None:
    """Queuing a download is not repeated after a 503: it may have been queued."""
    client, recorder = make_client(lambda request: reply(503, {"error": "busy"}), max_attempts=3)
    with pytest.raises(ServerError):
        client.downloads.add("http://files.test/a.bin")
    assert len(recorder.requests) == 1


def test_post_marked_safe_is_retried() -> None:
    """Rating (marked x-bassa-safe-to-retry) is repeated after a 503."""
    script = [reply(503, {"error": "busy"}), reply(200, {"status": "success", "rating": 4})]
    client, recorder = make_client(lambda request: script.pop(0))
    assert client.downloads.rate(1, 4).rating == 4
    assert len(recorder.requests) == 2


def test_unsafe_post_is_retried_when_the_connection_never_opened() -> None:
    """A refused connection is retried even for a POST: nothing reached the server."""
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        if len(calls) == 1:
            raise httpx.ConnectError("refused", request=request)
        return reply(200, {"status": "success", "id": 5})

    client, _ = make_client(handler)
    assert client.downloads.add("http://files.test/a.bin").id == 5
    assert len(calls) == 2


def test_retry_after_beyond_the_cap_fails_fast() -> None:
    """A 429 asking for more than max_retry_after is raised at once with `retry_after`."""
    client, recorder = make_client(
        lambda request: reply(429, {"error": "slow down"}, **{"retry-after": "120"}),
        max_retry_after=60,
    )
    with pytest.raises(RateLimitError) as caught:
        client.users.list()
    assert caught.value.retry_after == 120.0
    assert len(recorder.requests) == 1


def test_retry_after_within_the_cap_is_waited_for() -> None:
    """A 429 with a short Retry-After is retried (the wait itself is zeroed by testing mode)."""
    script = [reply(429, {"error": "slow"}, **{"retry-after": "2"}), reply(200, [])]
    client, recorder = make_client(lambda request: script.pop(0))
    assert client.users.list() == []
    assert len(recorder.requests) == 2


def test_deadline_stops_retries() -> None:
    """With no time left before the deadline, a Retry-After is not waited for."""
    client, recorder = make_client(
        lambda request: reply(503, {"error": "busy"}, **{"retry-after": "5"}), retry_deadline=1
    )
    with pytest.raises(ServerError):
        client.users.list()
    assert len(recorder.requests) == 1


def test_stamina_instrumentation_sees_named_retries() -> None:
    """stamina's retry hooks (Prometheus, structlog) get each retry named after the operation."""
    seen: list[RetryDetails] = []

    def hook(details: RetryDetails) -> None:
        seen.append(details)

    set_on_retry_hooks([hook])
    try:
        script = [reply(500, {"error": "x"}), reply(200, [])]
        client, _ = make_client(lambda request: script.pop(0))
        client.users.list()
    finally:
        set_on_retry_hooks(None)
    assert [(d.name, d.retry_num, d.args, d.kwargs) for d in seen] == [
        ("bassa.list_users", 1, (), {})
    ]


def test_inactive_stamina_means_one_attempt() -> None:
    """stamina.set_active(False) turns the SDK's retries off too."""
    stamina.set_active(False)
    try:
        client, recorder = make_client(lambda request: reply(500, {"error": "x"}))
        with pytest.raises(ServerError):
            client.users.list()
    finally:
        stamina.set_active(True)
    assert len(recorder.requests) == 1


@pytest.mark.parametrize(
    ("first", "deleted"),
    [
        (httpx.ReadTimeout("answer lost"), True),
        (httpx.RemoteProtocolError("connection cut after the request"), True),
        (reply(502, {"error": "bad gateway"}), True),
        (httpx.ConnectError("refused"), False),
        (reply(429, {"error": "slow down"}), False),
    ],
    ids=["read-timeout", "cut", "502", "never-sent", "429"],
)
def test_a_delete_retried_after_a_lost_answer(
    first: httpx.Response | Exception, deleted: bool
) -> None:
    """A DELETE retried after an attempt that may have reached the server, and answered 404, was
    done by that attempt; after an attempt the server never acted on, 404 means not found."""
    script: list[httpx.Response | Exception] = [first, reply(404, {"error": "not found"})]

    def server(request: httpx.Request) -> httpx.Response:
        step = script.pop(0)
        if isinstance(step, Exception):
            raise step
        return step

    client, recorder = make_client(server, token="t")
    if deleted:
        client.downloads.delete(7)  # no error: the first attempt deleted it
    else:
        with pytest.raises(NotFoundError):
            client.downloads.delete(7)
    assert [r.method for r in recorder.requests] == ["DELETE", "DELETE"]


async def test_async_delete_retried_after_a_lost_answer_is_done() -> None:
    """AsyncBassa reads a lost answer and a 404 the same way; a first-attempt 404 still raises."""
    script: list[httpx.Response | Exception] = [
        httpx.ReadTimeout("answer lost"),
        reply(404, {"error": "not found"}),
    ]

    def server(request: httpx.Request) -> httpx.Response:
        step = script.pop(0)
        if isinstance(step, Exception):
            raise step
        return step

    client, recorder = make_async_client(server, token="t")
    await client.users.delete("bob")
    assert len(recorder.requests) == 2
    script.append(reply(404, {"error": "not found"}))
    with pytest.raises(NotFoundError):
        await client.users.delete("bob")


def test_prometheus_counts_the_sdk_retries() -> None:
    """With prometheus-client installed, stamina's counter records retries per operation."""

    def retries_by_number() -> dict[str, float]:
        # the counter is process-wide: other tests' retries of this operation count there too
        counter = get_prometheus_counter()
        assert counter is not None
        return {
            s.labels["retry_num"]: s.value
            for metric in counter.collect()
            for s in metric.samples
            if s.name.endswith("_total") and s.labels["callable"] == "bassa.list_blocked_users"
        }

    set_on_retry_hooks([PrometheusOnRetryHook])
    try:
        before = retries_by_number()
        script = [reply(503, {"error": "x"}), reply(503, {"error": "x"}), reply(200, [])]
        client, _ = make_client(lambda request: script.pop(0))
        client.users.blocked()
        after = retries_by_number()
    finally:
        set_on_retry_hooks(None)
    added = {n: value - before.get(n, 0.0) for n, value in after.items()}
    assert {n: value for n, value in added.items() if value} == {"1": 1.0, "2": 1.0}


def test_structlog_logs_the_sdk_retries() -> None:
    """With structlog installed, stamina logs each retry through it with the operation's name."""
    set_on_retry_hooks([StructlogOnRetryHook])
    try:
        with structlog.testing.capture_logs() as logs:
            script = [reply(500, {"error": "x"}), reply(200, [])]
            client, _ = make_client(lambda request: script.pop(0))
            client.users.heavy()
    finally:
        set_on_retry_hooks(None)
    retries = [entry for entry in logs if entry["event"] == "stamina.retry_scheduled"]
    assert [(e["callable"], e["retry_num"]) for e in retries] == [("bassa.list_heavy_users", 1)]
