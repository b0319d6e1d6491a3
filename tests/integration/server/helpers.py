"""Helpers for talking to a live server: sign in, make users, queue downloads, validate replies."""

from __future__ import annotations

import itertools
import os
import re
import time
from typing import Any

import httpx
import schemathesis
from schemathesis.specs.openapi import checks
from schemathesis.specs.openapi.schemas import OpenApiSchema
from sqlalchemy import Engine, bindparam, text, update

from bassa_server._db.engine import make_engine
from bassa_server._db.models import Download
from tests.live_server import LiveServer
from tests.spec import SPEC_PATH

_names = itertools.count(1)
# one pooled client for every helper and test: a new httpx client per call costs ~50 ms
http = httpx.Client(timeout=30.0)
PASSWORD = "a-good-password-1"


def unique(prefix: str) -> str:
    """A user name no other test uses."""
    return f"{prefix}{os.getpid()}x{next(_names)}"


def login(server: LiveServer, user: str, password: str) -> str:
    """A session token for `user` (the login must succeed)."""
    response = http.post(f"{server.url}/api/login", data={"user_name": user, "password": password})
    assert response.status_code == 200, response.text
    return response.headers["token"]


_admin_tokens: dict[str, str] = {}


def admin_token(server: LiveServer) -> str:
    """A session token of the bootstrap admin (one login per server; tokens last an hour)."""
    key = f"{server.url} {server.data_dir}"
    if key not in _admin_tokens:
        _admin_tokens[key] = login(server, server.admin_user, server.admin_password)
    return _admin_tokens[key]


def make_user(
    server: LiveServer, *, approved: bool = True, blocked: bool = False, auth: int = 1
) -> tuple[str, str]:
    """A new user in the given state, with a token when it can sign in: (name, token or "")."""
    name = unique("u")
    admin = {"token": admin_token(server)}
    body = {"user_name": name, "password": PASSWORD, "email": f"{name}@example.org"}
    if approved:
        response = http.post(f"{server.url}/api/user", json={**body, "auth": auth}, headers=admin)
    else:
        response = http.post(f"{server.url}/api/regularuser", json=body)
    assert response.status_code == 200, response.text
    token = login(server, name, PASSWORD) if approved else ""
    if blocked:
        response = http.post(f"{server.url}/api/user/blocked/{name}", headers=admin)
        assert response.status_code == 200, response.text
    return name, token


def queue_download(server: LiveServer, token: str, link: str) -> int:
    """Queue `link` as the token's user and return the new download's id."""
    response = http.post(
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
    template = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(operation.path))
    matched = re.fullmatch(template, response.request.url.path)
    assert matched is not None, f"{response.request.url.path} is not {operation.path}"
    case = operation.Case(path_parameters=matched.groupdict())
    case.validate_response(response, checks=CONFORMANCE)
    if response.headers.get("content-type", "").startswith("application/json"):
        return response.json()
    return None


_engines: dict[str, Engine] = {}


def database(server: LiveServer) -> Engine:
    """An engine on the server's database (SQLite, PostgreSQL or MariaDB), one per database."""
    if server.database not in _engines:
        _engines[server.database] = make_engine(server.database, pool_size=2)
    return _engines[server.database]


def set_download(server: LiveServer, download_id: int, **columns: Any) -> None:
    """Change a download's row the way the engine would (status, gid, path, size…)."""
    with database(server).begin() as connection:
        connection.execute(update(Download).where(Download.id == download_id).values(**columns))


def complete_download(server: LiveServer, download_id: int, name: str, data: bytes) -> str:
    """Finish a download as the engine would: its file on disk, status 3; returns its gid."""
    (server.data_dir / "downloads" / name).write_bytes(data)
    gid = f"{download_id:016x}"
    set_download(
        server,
        download_id,
        status=3,
        gid=gid,
        path=name,
        size=len(data),
        completed_length=len(data),
        completed_time=int(time.time()),
    )
    return gid


def session_stamp(server: LiveServer, user_name: str) -> str:
    """The session stamp a user's tokens carry, read from the database."""
    query = text("SELECT session_stamp FROM users WHERE user_name = :name")
    with database(server).connect() as connection:
        row = connection.execute(query.bindparams(bindparam("name", user_name))).fetchone()
    assert row is not None, user_name
    stamp: str = row[0]
    return stamp
