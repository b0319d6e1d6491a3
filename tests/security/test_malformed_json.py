"""JSON the schema validator cannot take: answered 400 in the error shape, never a 500.

Sign-up takes JSON from anyone, so whatever reaches the validator there is reachable without an
account: deeply nested arrays and lone UTF-16 surrogates are valid JSON but made the validator
fail with a traceback in the log.
"""

from __future__ import annotations

import pytest

from tests.conftest import MakeServer
from tests.integration.server.helpers import conforms, http, unique
from tests.live_server import LiveServer
from tests.security._http_support import log_entries, shared_server

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def server(make_server: MakeServer) -> LiveServer:
    """The security tests' shared server."""
    return shared_server(make_server)


def sign_up_raw(server: LiveServer, body: bytes) -> dict[str, object]:
    """POST `body` as JSON to sign-up; assert a documented 400 and return its JSON."""
    response = http.post(
        f"{server.url}/api/regularuser",
        content=body,
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 400, response.text
    found = conforms(response, "sign_up")
    assert isinstance(found, dict)
    return found


@pytest.mark.parametrize("depth", [256, 300, 5000, 100_000])
def test_deep_nesting_is_a_400(server: LiveServer, depth: int) -> None:
    """Arrays nested hundreds to thousands of levels deep are refused as a bad request."""
    before = len(log_entries(server))
    body = b"[" * depth + b"]" * depth
    assert sign_up_raw(server, body)["error"] in (
        "body: nested deeper than 64 levels",
        "body: not valid JSON",
    )
    assert [e for e in log_entries(server)[before:] if e["level"] not in ("info", "debug")] == []


@pytest.mark.parametrize(
    "body",
    [
        b'{"user_name": "\\ud800", "password": "a-good-password-1", "email": "a@example.org"}',
        b'{"\\udfff": 1, "user_name": "x", "password": "a-good-password-1", "email": "a@b.org"}',
        b'["\\ud800"]',
    ],
)
def test_lone_surrogates_are_a_400(server: LiveServer, body: bytes) -> None:
    """A lone surrogate escape in a value or a key is refused as a bad request, logged at most
    as debug."""
    before = len(log_entries(server))
    assert sign_up_raw(server, body) == {
        "error": "body: not valid JSON (a lone surrogate in a string)"
    }
    assert [e for e in log_entries(server)[before:] if e["level"] not in ("info", "debug")] == []


def test_a_paired_surrogate_still_signs_up(server: LiveServer) -> None:
    """A correctly paired surrogate escape (an emoji) is ordinary text and is accepted."""
    name = unique("emoji")
    body = (
        f'{{"user_name": "{name}", "password": "pass \\ud83d\\ude00 word",'
        f' "email": "{name}@example.org"}}'
    ).encode()
    response = http.post(
        f"{server.url}/api/regularuser", content=body, headers={"content-type": "application/json"}
    )
    assert (response.status_code, response.json()) == (200, {"status": "success"})
