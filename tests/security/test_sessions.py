"""Stale sessions: a token never outlives the credentials or the account it was issued for.

Tokens used to name only the user, so after a password change the old token still worked (and
renewed itself), and after a delete a new account of the same name inherited the old tokens.
"""

from __future__ import annotations

import pytest

from tests.conftest import MakeServer
from tests.integration.server.helpers import (
    PASSWORD,
    admin_token,
    conforms,
    http,
    login,
    make_user,
)
from tests.live_server import LiveServer
from tests.security._http_support import shared_server, wait_until

pytestmark = pytest.mark.integration
TOKEN_ERROR = {"error": "token error"}
OTHER_REPLICA_BOUND = 1.0  # the security hook keeps an account's state this long (_security.py)


@pytest.fixture(scope="module")
def server(make_server: MakeServer) -> LiveServer:
    """The security tests' shared server."""
    return shared_server(make_server)


def own_page(server: LiveServer, token: str) -> tuple[int, object, str | None]:
    """List the token's own downloads: (status, documented body, renewed token or None)."""
    response = http.get(f"{server.url}/api/user/downloads/1", headers={"token": token})
    return (
        response.status_code,
        conforms(response, "list_own_downloads"),
        response.headers.get("token"),
    )


def assert_refused(server: LiveServer, token: str) -> None:
    """The token is refused as invalid and no renewed token comes back."""
    assert own_page(server, token) == (403, TOKEN_ERROR, None)


def admin(server: LiveServer) -> dict[str, str]:
    """The admin's token header."""
    return {"token": admin_token(server)}


def test_a_new_password_ends_every_earlier_session(server: LiveServer) -> None:
    """After an admin sets a new password, tokens from before fail; the new password signs in."""
    name, first = make_user(server)
    second = login(server, name, PASSWORD)  # another device (the same token within a second)
    response = http.put(
        f"{server.url}/api/user/{name}",
        json={"password": "a-new-password-2"},
        headers=admin(server),
    )
    assert response.status_code == 200
    for token in (first, second):
        assert_refused(server, token)
    assert own_page(server, login(server, name, "a-new-password-2"))[0] == 200


def test_a_recreated_name_does_not_revive_old_tokens(server: LiveServer) -> None:
    """Deleting a user and creating another of the same name leaves the old token refused."""
    name, token = make_user(server)
    assert http.delete(f"{server.url}/api/user/{name}", headers=admin(server)).status_code == 200
    again = {"user_name": name, "password": PASSWORD, "email": f"{name}@example.net", "auth": 1}
    assert http.post(f"{server.url}/api/user", json=again, headers=admin(server)).status_code == 200
    assert_refused(server, token)
    assert own_page(server, login(server, name, PASSWORD))[0] == 200


def test_unblocking_does_not_revive_old_tokens(server: LiveServer) -> None:
    """A block ends the sessions for good: after an unblock the user must sign in again."""
    name, token = make_user(server)
    blocked = f"{server.url}/api/user/blocked/{name}"
    assert http.post(blocked, headers=admin(server)).status_code == 200
    assert_refused(server, token)
    assert http.delete(blocked, headers=admin(server)).status_code == 200
    assert_refused(server, token)
    assert own_page(server, login(server, name, PASSWORD))[0] == 200


def test_log_out_everywhere_ends_every_other_session(server: LiveServer) -> None:
    """A user's "log out everywhere" refuses every earlier token at once, the one that asked
    included, and the answer's token carries on."""
    name, laptop = make_user(server)
    phone = login(server, name, PASSWORD)
    response = http.post(f"{server.url}/api/sessions/end", headers={"token": phone})
    assert (response.status_code, conforms(response, "end_own_sessions")) == (
        200,
        {"status": "success"},
    )
    renewed = response.headers["token"]
    for token in (laptop, phone):
        assert_refused(server, token)
    status, _, next_token = own_page(server, renewed)
    assert status == 200
    assert next_token is not None


def test_an_admin_ends_a_users_sessions(server: LiveServer) -> None:
    """An admin's "log out everywhere" for a user refuses their tokens; they may sign in again;
    unknown users are 404 and ordinary users may not do it."""
    name, token = make_user(server)
    _, other = make_user(server)
    forbidden = http.post(f"{server.url}/api/sessions/end/{name}", headers={"token": other})
    assert (forbidden.status_code, conforms(forbidden, "end_user_sessions")) == (
        403,
        {"error": "not authorized"},
    )
    assert own_page(server, token)[0] == 200
    ended = http.post(f"{server.url}/api/sessions/end/{name}", headers=admin(server))
    assert (ended.status_code, conforms(ended, "end_user_sessions")) == (200, {"status": "success"})
    assert_refused(server, token)
    assert own_page(server, login(server, name, PASSWORD))[0] == 200
    missing = http.post(f"{server.url}/api/sessions/end/nobody-at-all", headers=admin(server))
    assert (missing.status_code, conforms(missing, "end_user_sessions")) == (
        404,
        {"error": "user not found"},
    )


def test_other_replicas_refuse_ended_sessions_within_a_second(
    server: LiveServer, make_server: MakeServer
) -> None:
    """A replica sharing the database refuses a token within about a second of its sessions
    ending on another replica, although it had just accepted the token."""
    replica = make_server(
        BASSA_ENGINE="0",
        BASSA_DATABASE_URL=f"sqlite:///{server.data_dir / 'bassa.db'}",
        BASSA_DOWNLOADS_DIR=str(server.data_dir / "downloads"),
        BASSA_SECRET_KEY=server.secret_key,
    )
    name, token = make_user(server)
    assert own_page(replica, token)[0] == 200
    ended = http.post(f"{server.url}/api/sessions/end/{name}", headers=admin(server))
    assert ended.status_code == 200
    took = wait_until(lambda: own_page(replica, token)[0] == 403, timeout=5.0, interval=0.05)
    assert took <= OTHER_REPLICA_BOUND + 0.5


def test_an_admin_who_changes_their_own_password_goes_on_with_the_answers_token(
    server: LiveServer,
) -> None:
    """An admin's new password ends their earlier tokens too, and the answer's token (under the
    new credentials) carries their session on."""
    name, token = make_user(server, auth=0)
    response = http.put(
        f"{server.url}/api/user/{name}",
        json={"password": "another-password-3"},
        headers={"token": token},
    )
    assert response.status_code == 200
    assert_refused(server, token)
    assert own_page(server, response.headers["token"])[0] == 200
