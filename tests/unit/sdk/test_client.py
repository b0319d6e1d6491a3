"""Client construction, configuration, derived clients, closing, and mistakes caught before I/O."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from bassa_sdk import DEFAULT_CONNECTION_LIMITS, DEFAULT_TIMEOUT, Bassa, DefaultHttpxClient
from tests.unit.sdk.conftest import BASE_URL, Recorder, make_client, reply


def test_url_comes_from_the_environment() -> None:
    """Bassa() with no URL reads BASSA_URL (a trailing slash is dropped)."""
    client = Bassa(env={"BASSA_URL": "http://127.0.0.1:5000/"})
    assert client.base_url == "http://127.0.0.1:5000"
    client.close()


@pytest.mark.parametrize("url", [None, "", "ftp://host", "localhost:5000"])
def test_missing_or_bad_url_is_a_value_error(url: str | None) -> None:
    """Without a usable http(s) URL the client is not built."""
    with pytest.raises(ValueError, match="URL"):
        Bassa(url, env={})


def test_with_options_returns_a_new_client_and_leaves_the_original() -> None:
    """with_options copies: the original's options are untouched, the session is shared."""
    client, recorder = make_client(lambda request: reply(200, []), token="t", max_attempts=3)
    derived = client.with_options(timeout=2.0, max_attempts=1)
    assert derived is not client
    assert client.options.max_attempts == 3 and client.options.timeout == DEFAULT_TIMEOUT
    assert derived.options.max_attempts == 1 and derived.options.timeout == httpx.Timeout(2.0)
    derived.users.list()
    assert recorder.requests[0].headers["token"] == "t"
    assert derived.session.token == client.session.token


def test_own_http_client_is_closed_and_a_given_one_is_not() -> None:
    """close() (and the context manager) closes only an httpx client the SDK built."""
    with Bassa(BASE_URL, env={}) as owned:
        http = owned._http
    assert http.is_closed
    given = httpx.Client(transport=httpx.MockTransport(lambda request: reply()))
    with Bassa(BASE_URL, http_client=given, env={}) as borrowing:
        derived = borrowing.with_options(timeout=1)
    derived.close()
    assert not given.is_closed


def test_default_httpx_client_carries_our_defaults() -> None:
    """DefaultHttpxClient starts from the SDK's timeout and connection limits."""
    http = DefaultHttpxClient()
    assert http.timeout == DEFAULT_TIMEOUT
    pool = http._transport._pool  # type: ignore[attr-defined]
    assert pool._max_connections == DEFAULT_CONNECTION_LIMITS.max_connections
    http.close()


def test_wrong_http_client_type_is_a_type_error() -> None:
    """An AsyncClient given to Bassa is refused."""
    with pytest.raises(TypeError, match=r"httpx\.Client"):
        Bassa(BASE_URL, http_client=httpx.AsyncClient(), env={})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda c: c.downloads.list(0), "page"),
        (lambda c: c.downloads.add(""), "link"),
        (lambda c: c.downloads.rate(1, 6), "rate"),
        (lambda c: c.downloads.delete(0), "download_id"),
        (lambda c: c.downloads.wait(1, timeout=-1), "timeout"),
        (lambda c: c.users.update("bob"), "at least one"),
        (lambda c: c.users.add("bob", "pw-pw-pw-pw", "b@x.org", level=200), "level"),
        (lambda c: c.queue.start(), "server key"),
        (lambda c: c.files.zip(["not-a-gid"]), "GID"),
        (lambda c: c.files.zip([]), "1 to 100"),
        (lambda c: c.files.zip_status("XYZ"), "zip job id"),
        (lambda c: c.files.share("ab", expires_in=5), "expires_in"),
        (lambda c: c.files.download(1, "out.bin", chunk_size=0), "chunk_size"),
        (lambda c: c.session.login("", "pw"), "user_name"),
    ],
)
def test_caller_mistakes_fail_before_any_request(call: Any, message: str) -> None:
    """Invalid arguments raise ValueError and send nothing."""
    client, recorder = make_client(lambda request: reply())
    with pytest.raises(ValueError, match=message):
        call(client)
    assert recorder.requests == []


def test_server_key_from_the_client_options() -> None:
    """queue.start() uses the client's server_key in the `key` header."""
    client, recorder = make_client(
        lambda request: reply(200, {"status": "success", "state": "running"}), server_key="k3y"
    )
    assert client.queue.start().state == "running"
    assert recorder.requests[0].headers["key"] == "k3y"
    assert "k3y" not in repr(client.options)


def test_base_url_with_a_prefix_is_kept() -> None:
    """A server mounted under a path prefix gets requests under that prefix."""
    recorder: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        recorder.append(request)
        return reply(200, [])

    http = httpx.Client(transport=httpx.MockTransport(handler))
    Bassa("http://proxy.test/bassa/", http_client=http, env={}).users.list()
    assert str(recorder[0].url) == "http://proxy.test/bassa/api/user"


def test_bassa_log_turns_on_request_logging(capsys: pytest.CaptureFixture[str]) -> None:
    """BASSA_LOG=debug logs each request (path and status, never the token) to stderr."""
    import logging

    logger = logging.getLogger("bassa")
    before = (logger.level, list(logger.handlers))
    try:
        http = httpx.Client(transport=httpx.MockTransport(lambda request: reply(200, [])))
        client = Bassa(BASE_URL, http_client=http, token="secret-tok", env={"BASSA_LOG": "debug"})
        client.users.list()
        err = capsys.readouterr().err
    finally:
        logger.setLevel(before[0])
        logger.handlers[:] = before[1]
    assert "GET /api/user -> 200" in err
    assert "secret-tok" not in err


def test_the_callers_client_settings_apply_to_every_request() -> None:
    """Headers, cookies and event hooks of a caller's httpx client reach each request."""
    hooked: list[str] = []
    recorder = Recorder(lambda request: reply(200, []))
    seen = recorder.requests
    http = httpx.Client(
        transport=httpx.MockTransport(recorder),
        headers={"x-gateway-key": "g1", "user-agent": "my-app/2"},
        cookies={"affinity": "node-3"},
        event_hooks={"request": [lambda request: hooked.append(request.url.path)]},
    )
    client = Bassa(BASE_URL, http_client=http, token="t", env={})
    client.users.list()
    client.downloads.list()
    assert [r.headers["x-gateway-key"] for r in seen] == ["g1", "g1"]
    assert {r.headers["user-agent"] for r in seen} == {"my-app/2"}
    assert all(r.headers["cookie"] == "affinity=node-3" for r in seen)
    assert hooked == ["/api/user", "/api/user/downloads/1"]
    assert all(r.headers["token"] == "t" for r in seen)
