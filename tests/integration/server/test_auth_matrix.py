"""Every operation against every kind of caller: nobody reaches what they must not.

Refused callers get exactly the documented 403 body and change nothing; allowed callers get past
security (a status other than 403) on harmless requests.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from bassa_server._auth import SessionClaim, SessionTokens
from tests.integration.server.helpers import (
    PASSWORD,
    admin_token,
    conforms,
    http,
    make_user,
    queue_download,
    session_stamp,
    unique,
)
from tests.live_server import LiveServer
from tests.spec import operations

pytestmark = pytest.mark.integration

GHOST_USER = "ghost-user"
GHOST_DOWNLOAD = 999_999_999
GHOST_JOB = "f" * 64
ANONYMOUS_OPERATIONS = {"login", "sign_up", "get_liveness", "get_readiness"}
KEY_OPERATIONS = {"start_queue": "/api/download/start", "kill_queue": "/api/download/kill"}


@dataclass(frozen=True)
class Request:
    """A request to one operation, aimed at `user` and `download`."""

    method: str
    path: str
    admin_only: bool = False
    params: dict[str, str] | None = None
    body: Any = None


def requests_for(user: str, download: int) -> dict[str, Request]:
    """One request per token-protected operation, aimed at the given targets."""
    new_user = {"user_name": unique("x"), "password": PASSWORD, "auth": 0, "email": "x@y.org"}
    job = {"gid": GHOST_JOB}
    return {
        "list_users": Request("GET", "/api/user", admin_only=True),
        "add_user": Request("POST", "/api/user", admin_only=True, body=new_user),
        "update_user": Request("PUT", f"/api/user/{user}", admin_only=True, body={"auth": 0}),
        "delete_user": Request("DELETE", f"/api/user/{user}", admin_only=True),
        "list_signup_requests": Request("GET", "/api/user/requests", admin_only=True),
        "approve_user": Request("POST", f"/api/user/approve/{user}", admin_only=True),
        "list_blocked_users": Request("GET", "/api/user/blocked", admin_only=True),
        "block_user": Request("POST", f"/api/user/blocked/{user}", admin_only=True),
        "unblock_user": Request("DELETE", f"/api/user/blocked/{user}", admin_only=True),
        "list_heavy_users": Request("GET", "/api/user/heavy", admin_only=True),
        "list_own_downloads": Request("GET", "/api/user/downloads/1"),
        "list_completed_downloads": Request("GET", "/api/downloads/1"),
        "add_download": Request("POST", "/api/download", body={"link": "https://example.org/m"}),
        "get_queue_status": Request("GET", "/api/queue"),
        "fetch_download_file": Request("GET", f"/api/download/{download}"),
        "delete_download": Request("DELETE", f"/api/download/{download}"),
        "get_download_status": Request("GET", f"/api/download/{download}/status"),
        "rate_download": Request("POST", f"/api/download/rate/{download}", body={"rate": 1}),
        "compress": Request("POST", "/api/compress", body={"gid": ["0" * 16]}),
        "get_compression_progress": Request("GET", "/api/compression-progress", params=job),
        "fetch_zip": Request("GET", "/api/file", params=job),
        "create_share_link": Request("POST", "/api/file/share", body=job),
        "end_user_sessions": Request("POST", f"/api/sessions/end/{user}", admin_only=True),
        # last: it ends the caller's earlier sessions (the answer carries the next token)
        "end_own_sessions": Request("POST", "/api/sessions/end"),
    }


def send(server: LiveServer, request: Request, headers: dict[str, str]) -> httpx.Response:
    """Send `request` with `headers`."""
    return http.request(
        request.method,
        f"{server.url}{request.path}",
        params=request.params,
        json=request.body,
        headers=headers,
    )


def test_matrix_covers_every_operation() -> None:
    """Every operation is in the matrix or a listed set, and admin-only as the spec marks it."""
    matrix = requests_for("u", 1)
    covered = set(matrix) | ANONYMOUS_OPERATIONS | set(KEY_OPERATIONS)
    assert covered == {operation["operationId"] for _, _, operation in operations()}
    marked = {op["operationId"] for _, _, op in operations() if op.get("x-bassa-admin") is True}
    assert marked == {name for name, request in matrix.items() if request.admin_only}


@pytest.fixture(scope="module")
def victims(server: LiveServer) -> tuple[str, int]:
    """A regular user and one of their queued downloads, which refused callers must not touch."""
    name, token = make_user(server)
    return name, queue_download(server, token, "https://example.org/victim.bin")


def refused_identities(server: LiveServer) -> dict[str, dict[str, str]]:
    """Callers without a usable session, by kind."""
    secret = server.secret_key
    regular_name, _ = make_user(server)
    unapproved, _ = make_user(server, approved=False)
    _, blocked = make_user(server, blocked=True)
    long_ago = SessionTokens(secret, 3600, clock=lambda: time.time() - 7200)
    regular = SessionClaim(regular_name, session_stamp(server, regular_name))
    return {
        "anonymous": {},
        "malformed": {"token": "not-a-token"},
        "foreign signature": {"token": SessionTokens("another secret", 3600).mint(regular)},
        "expired": {"token": long_ago.mint(regular)},
        "stale stamp": {"token": SessionTokens(secret, 3600).mint(SessionClaim(regular_name, "0"))},
        "unapproved": {
            "token": SessionTokens(secret, 3600).mint(
                SessionClaim(unapproved, session_stamp(server, unapproved))
            )
        },
        "blocked": {"token": blocked},
        "unknown user": {
            "token": SessionTokens(secret, 3600).mint(SessionClaim("never-existed", "0"))
        },
    }


def test_refused_callers_get_403_token_error_and_change_nothing(
    server: LiveServer, victims: tuple[str, int]
) -> None:
    """Every kind of bad session gets `403 {"error": "token error"}`, no token, and no effect."""
    victim, download = victims
    admin = {"token": admin_token(server)}
    users_before = http.get(f"{server.url}/api/user", headers=admin).json()
    for kind, headers in refused_identities(server).items():
        for operation_id, request in requests_for(victim, download).items():
            response = send(server, request, headers)
            assert response.status_code == 403, (kind, operation_id, response.text)
            assert conforms(response, operation_id) == {"error": "token error"}, (
                kind,
                operation_id,
            )
            assert "token" not in response.headers
    after = {
        user["user_name"]: user for user in http.get(f"{server.url}/api/user", headers=admin).json()
    }
    assert all(after.get(user["user_name"]) == user for user in users_before)
    status = http.get(f"{server.url}/api/download/{download}/status", headers=admin)
    assert status.json()["status"] == 0


def test_regular_user_is_kept_out_of_administration(
    server: LiveServer, victims: tuple[str, int]
) -> None:
    """An approved ordinary user gets `403 not authorized` on admin operations, nothing changes."""
    victim, download = victims
    _, token = make_user(server)
    for operation_id, request in requests_for(victim, download).items():
        response = send(server, request, {"token": token})
        if request.admin_only:
            assert (response.status_code, conforms(response, operation_id)) == (
                403,
                {"error": "not authorized"},
            ), operation_id
        elif operation_id in {"delete_download", "get_download_status"}:
            # someone else's download: the owner check answers, not the session check
            assert (response.status_code, response.json()) == (403, {"error": "not authorized"})
        else:
            assert response.status_code != 403, (operation_id, response.text)
            conforms(response, operation_id)
    users = http.get(f"{server.url}/api/user", headers={"token": admin_token(server)}).json()
    assert next(user for user in users if user["user_name"] == victim)["auth"] == 1


def test_admin_passes_security_everywhere(server: LiveServer) -> None:
    """The admin gets past security on every operation (ghost targets keep it harmless)."""
    # an admin of its own: the matrix ends the caller's sessions, which the shared one must keep
    _, token = make_user(server, auth=0)
    admin = {"token": token}
    for operation_id, request in requests_for(GHOST_USER, GHOST_DOWNLOAD).items():
        response = send(server, request, admin)
        assert response.status_code != 403, (operation_id, response.text)
        conforms(response, operation_id)
        assert response.headers["token"]


@pytest.mark.parametrize("operation_id", sorted(KEY_OPERATIONS))
def test_server_key_operations(server: LiveServer, operation_id: str) -> None:
    """Start and kill need the server key: none, a wrong one or only a session token are 403."""
    url = f"{server.url}{KEY_OPERATIONS[operation_id]}"
    for headers in ({}, {"key": "wrong"}, {"token": admin_token(server)}):
        response = http.get(url, headers=headers)
        assert (response.status_code, conforms(response, operation_id)) == (
            403,
            {"error": "not authorized"},
        )
    assert http.get(url, headers={"key": server.server_key}).status_code == 200
