"""Accounts: sign-up, approval, administration, blocking, and what each does to sessions."""

from __future__ import annotations

import pytest

from tests.integration.server.helpers import (
    PASSWORD,
    admin_token,
    complete_download,
    conforms,
    http,
    login,
    make_user,
    queue_download,
    unique,
)
from tests.live_server import LiveServer

pytestmark = pytest.mark.integration


def test_sign_up_then_approval(server: LiveServer) -> None:
    """A signed-up user is listed as a request, cannot sign in (401) until approved, then can."""
    url, name = server.url, unique("signup")
    body = {"user_name": name, "password": PASSWORD, "email": f"{name}@example.org"}
    assert conforms(http.post(f"{url}/api/regularuser", json=body), "sign_up") == {
        "status": "success"
    }
    refused = http.post(f"{url}/api/login", data={"user_name": name, "password": PASSWORD})
    assert conforms(refused, "login") == {"error": "account not approved", "status": "unapproved"}
    assert refused.status_code == 401
    admin = {"token": admin_token(server)}
    requests = conforms(http.get(f"{url}/api/user/requests", headers=admin), "list_signup_requests")
    assert {"user_name": name, "email": f"{name}@example.org"} in requests
    approved = http.post(f"{url}/api/user/approve/{name}", headers=admin)
    assert conforms(approved, "approve_user") == {"status": "success"}
    assert login(server, name, PASSWORD)


def test_duplicates_are_409_saying_which(server: LiveServer) -> None:
    """A taken user name and a taken e-mail address are told apart, and nothing is created."""
    url, name = server.url, unique("dup")
    body = {"user_name": name, "password": PASSWORD, "email": f"{name}@example.org"}
    assert http.post(f"{url}/api/regularuser", json=body).status_code == 200
    again = http.post(f"{url}/api/regularuser", json={**body, "email": "other@example.org"})
    assert (again.status_code, conforms(again, "sign_up")) == (409, {"error": "username taken"})
    same_mail = http.post(f"{url}/api/regularuser", json={**body, "user_name": unique("dup")})
    assert (same_mail.status_code, same_mail.json()) == (409, {"error": "email taken"})


def test_wrong_password_and_unknown_user_look_alike(server: LiveServer) -> None:
    """Login refuses a wrong password and an unknown user with the same 403."""
    url = server.url
    for user, password in ((server.admin_user, "wrong-password"), ("nobody-here", "x")):
        response = http.post(f"{url}/api/login", data={"user_name": user, "password": password})
        assert (response.status_code, conforms(response, "login")) == (
            403,
            {"error": "invalid credentials"},
        )
        assert "token" not in response.headers


def test_add_user_is_approved_and_listed(server: LiveServer) -> None:
    """An admin-created user can sign in at once and appears in the user list with its level."""
    url, name = server.url, unique("added")
    admin = {"token": admin_token(server)}
    body = {"user_name": name, "password": PASSWORD, "auth": 2, "email": f"{name}@example.org"}
    created = http.post(f"{url}/api/user", json=body, headers=admin)
    assert conforms(created, "add_user") == {"status": "success"}
    assert created.headers["token"]
    assert http.post(f"{url}/api/login", data={"user_name": name, "password": PASSWORD}).json() == {
        "auth": "2"
    }
    users = conforms(http.get(f"{url}/api/user", headers=admin), "list_users")
    assert {
        "user_name": name,
        "auth": 2,
        "email": f"{name}@example.org",
        "approved": True,
        "blocked": False,
    } in users
    assert [user["user_name"] for user in users] == sorted(user["user_name"] for user in users)
    duplicate = http.post(f"{url}/api/user", json=body, headers=admin)
    assert (duplicate.status_code, conforms(duplicate, "add_user")) == (
        409,
        {"error": "username taken"},
    )


def test_update_user_renames_and_changes_password(server: LiveServer) -> None:
    """A rename moves the downloads and ends old sessions; a new password is hashed and used."""
    url = server.url
    name, token = make_user(server)
    download_id = queue_download(server, token, "https://example.org/a.iso")
    admin = {"token": admin_token(server)}
    new_name = unique("renamed")
    change = {"user_name": new_name, "password": "another-password-2", "email": f"{new_name}@x.org"}
    response = http.put(f"{url}/api/user/{name}", json=change, headers=admin)
    assert conforms(response, "update_user") == {"status": "success"}
    assert http.get(f"{url}/api/queue", headers={"token": token}).status_code == 403
    new_token = login(server, new_name, "another-password-2")
    own = http.get(f"{url}/api/user/downloads/1", headers={"token": new_token}).json()
    assert [row["id"] for row in own] == [download_id]
    assert own[0]["user_name"] == new_name
    missing = http.put(f"{url}/api/user/{name}", json={"auth": 1}, headers=admin)
    assert (missing.status_code, conforms(missing, "update_user")) == (
        404,
        {"error": "user not found"},
    )
    taken = http.put(
        f"{url}/api/user/{new_name}", json={"user_name": server.admin_user}, headers=admin
    )
    assert (taken.status_code, taken.json()) == (409, {"error": "username taken"})
    empty = http.put(f"{url}/api/user/{new_name}", json={}, headers=admin)
    assert empty.status_code == 400


def test_block_ends_sessions_at_once_and_unblock_lets_the_user_sign_in(server: LiveServer) -> None:
    """A blocked user's existing token fails immediately and login is refused; after an unblock
    the user signs in again, while the tokens from before the block stay refused."""
    url = server.url
    name, token = make_user(server)
    admin = {"token": admin_token(server)}
    blocked = http.post(f"{url}/api/user/blocked/{name}", headers=admin)
    assert conforms(blocked, "block_user") == {"status": "success"}
    refused = http.get(f"{url}/api/queue", headers={"token": token})
    assert (refused.status_code, refused.json()) == (403, {"error": "token error"})
    assert (
        http.post(f"{url}/api/login", data={"user_name": name, "password": PASSWORD}).status_code
        == 403
    )
    listed = conforms(http.get(f"{url}/api/user/blocked", headers=admin), "list_blocked_users")
    assert name in [user["user_name"] for user in listed]
    assert name not in [
        user["user_name"] for user in http.get(f"{url}/api/user", headers=admin).json()
    ]
    unblocked = http.delete(f"{url}/api/user/blocked/{name}", headers=admin)
    assert conforms(unblocked, "unblock_user") == {"status": "success"}
    assert http.get(f"{url}/api/queue", headers={"token": token}).status_code == 403
    again = login(server, name, PASSWORD)
    assert http.get(f"{url}/api/queue", headers={"token": again}).status_code == 200


def test_admin_cannot_block_or_delete_self(server: LiveServer) -> None:
    """The last admin cannot lock themselves out: blocking or deleting oneself is a 409."""
    url, me = server.url, server.admin_user
    admin = {"token": admin_token(server)}
    for response, operation in (
        (http.post(f"{url}/api/user/blocked/{me}", headers=admin), "block_user"),
        (http.delete(f"{url}/api/user/{me}", headers=admin), "delete_user"),
    ):
        assert response.status_code == 409
        assert conforms(response, operation)["error"].startswith("an admin cannot")
    assert http.get(f"{url}/api/queue", headers=admin).status_code == 200


def test_unknown_users_are_404(server: LiveServer) -> None:
    """Approve, block, unblock and delete of an unknown user are 404, each documented."""
    url = server.url
    admin = {"token": admin_token(server)}
    calls = [
        ("POST", "/api/user/approve/ghost", "approve_user"),
        ("POST", "/api/user/blocked/ghost", "block_user"),
        ("DELETE", "/api/user/blocked/ghost", "unblock_user"),
        ("DELETE", "/api/user/ghost", "delete_user"),
    ]
    for method, path, operation in calls:
        response = http.request(method, f"{url}{path}", headers=admin)
        assert (response.status_code, conforms(response, operation)) == (
            404,
            {"error": "user not found"},
        )


def test_delete_user_cascades(server: LiveServer) -> None:
    """Deleting a user removes their downloads and sessions."""
    url = server.url
    name, token = make_user(server)
    queue_download(server, token, "https://example.org/b.iso")
    admin = {"token": admin_token(server)}
    assert conforms(http.delete(f"{url}/api/user/{name}", headers=admin), "delete_user") == {
        "status": "success"
    }
    assert http.get(f"{url}/api/queue", headers={"token": token}).status_code == 403
    assert name not in [
        user["user_name"] for user in http.get(f"{url}/api/user", headers=admin).json()
    ]


def test_heavy_users_sums_recent_completed_bytes(server: LiveServer) -> None:
    """The heavy list sums completed bytes per user, heaviest first, at most ten."""
    url = server.url
    name, token = make_user(server)
    first = queue_download(server, token, "https://example.org/h1.bin")
    second = queue_download(server, token, "https://example.org/h2.bin")
    complete_download(server, first, f"{name}-h1.bin", b"x" * 3000)
    complete_download(server, second, f"{name}-h2.bin", b"y" * 4000)
    heavy = conforms(
        http.get(f"{url}/api/user/heavy", headers={"token": admin_token(server)}),
        "list_heavy_users",
    )
    assert {"user_name": name, "size": 7000} in heavy
    assert [row["size"] for row in heavy] == sorted((row["size"] for row in heavy), reverse=True)
