"""Helpers for talking to a live server: sign in, make users, queue downloads, validate replies."""

from __future__ import annotations

import itertools
import os
import re
import time
from pathlib import Path
from typing import Any

import httpx
import schemathesis
from schemathesis.specs.openapi import checks
from schemathesis.specs.openapi.schemas import OpenApiSchema
from sqlalchemy import Engine, bindparam, text

from bassa_server._db.engine import make_engine, make_session_factory
from bassa_server._lifecycle import _transfers as transfers
from bassa_server._lifecycle._transfers import SessionFactory
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


# the engine these helpers act as: they move downloads through the lifecycle as an engine would
TEST_ENGINE = "tests"
_engines: dict[str, Engine] = {}
_lifecycles: dict[str, SessionFactory] = {}


def database(server: LiveServer) -> Engine:
    """An engine on the server's database (SQLite, PostgreSQL or MariaDB), one per database."""
    if server.database not in _engines:
        _engines[server.database] = make_engine(server.database, pool_size=2)
    return _engines[server.database]


def lifecycle(server: LiveServer) -> SessionFactory:
    """Sessions on the server's database, for the lifecycle's engine-side functions."""
    if server.database not in _lifecycles:
        _lifecycles[server.database] = make_session_factory(database(server))
    return _lifecycles[server.database]


def start_download(
    server: LiveServer, download_id: int, *, size: int = 0, done: int = 0, speed: int = 0
) -> None:
    """Start a queued download as an engine would (claim it), with the progress it reports."""
    sessions, now = lifecycle(server), int(time.time())
    assert transfers.claim_download(sessions, TEST_ENGINE, download_id, now) is not None
    _report(server, download_id, size=size, done=done, speed=speed)


def _report(server: LiveServer, download_id: int, *, size: int, done: int, speed: int) -> None:
    sessions, now = lifecycle(server), int(time.time())
    if size or done or speed:
        transfers.progress(
            sessions, download_id, TEST_ENGINE, total=size, done=done, speed=speed, now=now
        )


def fail_download(server: LiveServer, download_id: int, reason: str) -> None:
    """Start a queued download and let it fail as an engine would, keeping `reason`."""
    start_download(server, download_id)
    assert transfers.fail(lifecycle(server), download_id, TEST_ENGINE, reason)


def complete_download(
    server: LiveServer,
    download_id: int,
    name: str,
    data: bytes | Path,
    *,
    completed_time: int | None = None,
    recorded_path: str | None = None,
) -> str:
    """Finish a download as the engine would: its file at `downloads/<id>/<name>` (`data`, or a
    hard link to it), status 3; returns its gid. `recorded_path` stores another path instead,
    as a damaged row would."""
    sessions = lifecycle(server)
    # a download the helpers started already is theirs: only a queued one is claimed here
    transfers.claim_download(sessions, TEST_ENGINE, download_id, int(time.time()))
    gid = f"{download_id:016x}"
    assert transfers.set_gid(sessions, download_id, TEST_ENGINE, gid)
    folder = server.data_dir / "downloads" / str(download_id)
    folder.mkdir(exist_ok=True)
    if isinstance(data, Path):
        os.link(data, folder / name)
    else:
        (folder / name).write_bytes(data)
    size = (folder / name).stat().st_size
    done = transfers.complete(
        sessions,
        download_id,
        TEST_ENGINE,
        size=size,
        path=recorded_path or f"{download_id}/{name}",
        name=name,
        now=completed_time or int(time.time()),
    )
    assert done
    return gid


def session_stamp(server: LiveServer, user_name: str) -> str:
    """The session stamp a user's tokens carry, read from the database."""
    query = text("SELECT session_stamp FROM users WHERE user_name = :name")
    with database(server).connect() as connection:
        row = connection.execute(query.bindparams(bindparam("name", user_name))).fetchone()
    assert row is not None, user_name
    stamp: str = row[0]
    return stamp
