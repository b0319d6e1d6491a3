"""Helpers for talking to a live server: sign in, make users, queue downloads, validate replies."""

from __future__ import annotations

import itertools
import os
from typing import Any

import httpx
import schemathesis
from schemathesis.specs.openapi import checks
from schemathesis.specs.openapi.schemas import OpenApiSchema

from tests.live_server import LiveServer
from tests.spec import SPEC_PATH

_names = itertools.count(1)
PASSWORD = "a-good-password-1"


def unique(prefix: str) -> str:
    """A user name no other test uses."""
    return f"{prefix}{os.getpid()}x{next(_names)}"


def login(server: LiveServer, user: str, password: str) -> str:
    """A session token for `user` (the login must succeed)."""
    response = httpx.post(f"{server.url}/api/login", data={"user_name": user, "password": password})
    assert response.status_code == 200, response.text
    return response.headers["token"]


def admin_token(server: LiveServer) -> str:
    """A session token of the bootstrap admin."""
    return login(server, server.admin_user, server.admin_password)


def make_user(
    server: LiveServer, *, approved: bool = True, blocked: bool = False, auth: int = 1
) -> tuple[str, str]:
    """A new user in the given state, with a token when it can sign in: (name, token or "")."""
    name = unique("u")
    admin = {"token": admin_token(server)}
    body = {"user_name": name, "password": PASSWORD, "email": f"{name}@example.org"}
    if approved:
        response = httpx.post(f"{server.url}/api/user", json={**body, "auth": auth}, headers=admin)
    else:
        response = httpx.post(f"{server.url}/api/regularuser", json=body)
    assert response.status_code == 200, response.text
    token = login(server, name, PASSWORD) if approved else ""
    if blocked:
        response = httpx.post(f"{server.url}/api/user/blocked/{name}", headers=admin)
        assert response.status_code == 200, response.text
    return name, token


def queue_download(server: LiveServer, token: str, link: str) -> int:
    """Queue `link` as the token's user and return the new download's id."""
    response = httpx.post(
        f"{server.url}/api/download", json={"link": link}, headers={"token": token}
    )
    assert response.status_code == 200, response.text
    download_id: int = response.json()["id"]
    return download_id


_schema: OpenApiSchema | None = None
# the conformance checks only: the others judge generated requests, which these are not
CONFORMANCE = [
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
]


def conforms(response: httpx.Response, operation_id: str) -> Any:
    """Assert that `response` is one the spec documents for `operation_id`; return its JSON."""
    global _schema
    if _schema is None:
        loaded = schemathesis.openapi.from_path(str(SPEC_PATH))
        assert isinstance(loaded, OpenApiSchema)
        _schema = loaded
    operation = _schema.find_operation_by_id(operation_id)
    case = operation.Case()
    case.validate_response(response, checks=CONFORMANCE)
    if response.headers.get("content-type", "").startswith("application/json"):
        return response.json()
    return None
