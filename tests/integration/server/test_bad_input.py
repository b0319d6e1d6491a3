"""Bad input gets a clear JSON 4xx and changes nothing; errors are never HTML or tracebacks."""

from __future__ import annotations

import json

import pytest

from tests.integration.server.helpers import (
    PASSWORD,
    admin_token,
    conforms,
    http,
    make_user,
    unique,
)
from tests.live_server import LiveServer

pytestmark = pytest.mark.integration


def test_oversized_body_is_413_json(server: LiveServer) -> None:
    """A body over the 1 MiB cap is refused as JSON before it is parsed."""
    _, token = make_user(server)
    huge = json.dumps({"link": "https://example.org/" + "a" * (2 * 1024 * 1024)})
    response = http.post(
        f"{server.url}/api/download",
        content=huge,
        headers={"token": token, "content-type": "application/json"},
    )
    assert response.status_code == 413
    assert conforms(response, "add_download")["error"].startswith("request body larger than")
    assert http.get(f"{server.url}/api/user/downloads/1", headers={"token": token}).json() == []


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"link": 5}, 'body/link: 5 is not of type "string"'),
        ({"link": "https://example.org/x", "extra": 1}, "body: Additional properties"),
        ({}, 'body: "link" is a required property'),
        ([], 'body: [] is not of type "object"'),
        ("not an object", "body: "),
    ],
)
def test_wrong_shapes_are_400(server: LiveServer, body: object, message: str) -> None:
    """Wrong types, unknown fields and missing fields are 400 with a message naming the field."""
    _, token = make_user(server)
    response = http.post(f"{server.url}/api/download", json=body, headers={"token": token})
    assert response.status_code == 400
    assert conforms(response, "add_download")["error"].startswith(message)
    assert http.get(f"{server.url}/api/user/downloads/1", headers={"token": token}).json() == []


@pytest.mark.parametrize(
    "name",
    ["x'; DROP TABLE users; --", "../../etc/passwd", "a/b", "-dash", "a" * 65, "ünïcode", ""],
)
def test_hostile_user_names_are_refused(server: LiveServer, name: str) -> None:
    """SQL, path and odd characters in user names are refused at sign-up and create nothing."""
    body = {"user_name": name, "password": PASSWORD, "email": f"{unique('h')}@example.org"}
    response = http.post(f"{server.url}/api/regularuser", json=body)
    assert response.status_code == 400
    assert conforms(response, "sign_up")["error"].startswith("body/user_name: ")
    requests = http.get(
        f"{server.url}/api/user/requests", headers={"token": admin_token(server)}
    ).json()
    assert name not in [row["user_name"] for row in requests]


def test_sql_characters_in_links_are_stored_verbatim(server: LiveServer) -> None:
    """Quotes and semicolons in a link are data, not SQL: the row reads back unchanged."""
    _, token = make_user(server)
    link = "https://example.org/a'b;--\"c%27.bin"
    response = http.post(
        f"{server.url}/api/download", json={"link": link}, headers={"token": token}
    )
    assert response.status_code == 200
    rows = http.get(f"{server.url}/api/user/downloads/1", headers={"token": token}).json()
    assert [(row["link"], row["download_name"]) for row in rows] == [(link, "a'b;--\"c'.bin")]


@pytest.mark.parametrize(
    "content_type", ["application/x-www-form-urlencoded", "multipart/form-data; boundary=x", None]
)
def test_json_accepted_whatever_the_content_type(
    server: LiveServer, content_type: str | None
) -> None:
    """The legacy UIs' JSON labelled as a form (or unlabelled) is accepted."""
    _, token = make_user(server)
    headers = {"token": token}
    if content_type:
        headers["content-type"] = content_type
    response = http.post(
        f"{server.url}/api/download",
        content=b'{"link": "https://example.org/f.bin"}',
        headers=headers,
    )
    assert conforms(response, "add_download")["status"] == "success"


@pytest.mark.parametrize("body", [b"", b"{", b"\xff\xfe\x00", b"link=https://example.org/x"])
def test_unparseable_bodies_are_400_json(server: LiveServer, body: bytes) -> None:
    """Empty, truncated, non-UTF-8 and form-encoded bodies are 400 JSON, never a 500."""
    _, token = make_user(server)
    response = http.post(f"{server.url}/api/download", content=body, headers={"token": token})
    assert response.status_code == 400
    assert conforms(response, "add_download")["error"].startswith("body: ")


def test_login_needs_a_form(server: LiveServer) -> None:
    """Login with a missing field is a documented 400."""
    response = http.post(f"{server.url}/api/login", data={"user_name": "admin"})
    assert (response.status_code, conforms(response, "login")) == (
        400,
        {"error": 'body: "password" is a required property'},
    )


@pytest.mark.parametrize(
    ("method", "path", "status", "message"),
    [
        ("GET", "/api/nothing", 404, "not found"),
        ("GET", "/api/user/", 404, "not found"),
        ("GET", "/api/user/alice", 405, "method not allowed"),
        ("DELETE", "/api/download/start", 405, "method not allowed"),
        ("POST", "/api/download/5", 405, "method not allowed"),
        ("GET", "/api/downloads/abc", 403, "token error"),
    ],
)
def test_routing_errors_are_json(
    server: LiveServer, method: str, path: str, status: int, message: str
) -> None:
    """Unknown paths, wrong methods and bad path parameters answer JSON, not HTML."""
    response = http.request(method, f"{server.url}{path}")
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"error": message}


def test_non_integer_page_is_400_not_404(server: LiveServer) -> None:
    """A page that is not an integer is a validation error (400), as the spec documents."""
    _, token = make_user(server)
    response = http.get(f"{server.url}/api/downloads/abc", headers={"token": token})
    assert (response.status_code, conforms(response, "list_completed_downloads")) == (
        400,
        {"error": 'page: "abc" is not of type "integer"'},
    )
