"""Sessions: the token is kept, renewed from every response, re-obtained on demand, never shown."""

from __future__ import annotations

import logging

import httpx
import pytest

from bassa_sdk import ResponseValidationError, TokenError
from tests.unit.sdk.conftest import make_client, reply


def test_login_keeps_the_token_and_every_response_renews_it() -> None:
    """Each request carries the newest token the server sent."""
    tokens = iter(["t1", "t2", "t3"])

    def handler(request: httpx.Request) -> httpx.Response:
        return reply(
            200, {"auth": "0"} if request.url.path == "/api/login" else [], token=next(tokens)
        )

    client, recorder = make_client(handler)
    result = client.session.login("admin", "correct-horse")
    client.users.list()
    client.users.list()
    assert result.auth == "0"
    assert "token" not in recorder.requests[0].headers
    assert [r.headers["token"] for r in recorder.requests[1:]] == ["t1", "t2"]
    assert client.session.token == "t3"
    assert client.session.user_name == "admin"


def test_login_without_a_token_header_is_malformed() -> None:
    """A 200 login with no token header does not count as signed in."""
    client, _ = make_client(lambda request: reply(200, {"auth": "1"}))
    with pytest.raises(ResponseValidationError, match="no token"):
        client.session.login("alice", "pw")
    assert client.session.token is None


def test_token_from_argument_or_environment() -> None:
    """A client starts with the given token, else BASSA_TOKEN."""
    seen: list[str | None] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("token"))
        return reply(200, [])

    client, _ = make_client(handler, token="given")
    client.users.list()
    from_env = type(client)(
        "http://bassa.test",
        env={"BASSA_TOKEN": "from-env"},
        http_client=httpx.Client(transport=httpx.MockTransport(handler)),
    )
    from_env.users.list()
    assert seen == ["given", "from-env"]


def test_token_never_appears_in_repr_or_logs(caplog: pytest.LogCaptureFixture) -> None:
    """Neither the client's repr nor its debug logs contain the token or the password."""
    secret = "s3cr3t-token-value"
    script = [reply(200, {"auth": "0"}, token=secret), reply(500, {"error": "x"}), reply(200, [])]
    client, _ = make_client(lambda request: script.pop(0))
    with caplog.at_level(logging.DEBUG):
        client.session.login("admin", "hunter2-password")
        client.users.list()
    text = repr(client) + repr(client.session) + repr(client.options) + caplog.text
    assert "signed in as 'admin'" in repr(client)
    assert secret not in text
    assert "hunter2-password" not in text


def test_token_error_triggers_one_relogin_when_enabled() -> None:
    """With auto_relogin, a token error signs in again with the kept credentials and repeats."""
    logins: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/login":
            logins.append(request.content.decode())
            return reply(200, {"auth": "1"}, token=f"fresh{len(logins)}")
        if request.headers.get("token") == "fresh2":
            return reply(200, [], token="fresh3")
        return reply(403, {"error": "token error"})

    client, recorder = make_client(handler, auto_relogin=True)
    client.session.login("alice", "pw-1")
    assert client.downloads.list() == []
    assert len(logins) == 2
    assert recorder.paths == [
        "/api/login",
        "/api/user/downloads/1",
        "/api/login",
        "/api/user/downloads/1",
    ]


def test_token_error_is_raised_without_relogin() -> None:
    """Without auto_relogin (the default) a token error reaches the caller."""
    client, recorder = make_client(
        lambda request: reply(403, {"error": "token error"}), token="old"
    )
    with pytest.raises(TokenError):
        client.downloads.list()
    assert len(recorder.requests) == 1


def test_logout_forgets_the_token() -> None:
    """After logout no token is sent."""
    client, recorder = make_client(lambda request: reply(200, []), token="t")
    client.session.logout()
    client.users.list()
    assert "token" not in recorder.requests[0].headers
    assert client.session.token is None
