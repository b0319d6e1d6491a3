"""Fixtures for the SDK's integration tests: the live server, a signed-in admin, new users.

`live_server` and `file_server` come from tests/conftest.py (started once per session on
loopback).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from bassa_sdk import Bassa
from tests.file_server import FileServer
from tests.live_server import LiveServer

pytestmark = pytest.mark.integration


@pytest.fixture(scope="session")
def server(live_server: LiveServer) -> LiveServer:
    """The live server."""
    return live_server


@pytest.fixture(scope="session")
def files(file_server: FileServer) -> FileServer:
    """The loopback file server downloads fetch from."""
    return file_server


@pytest.fixture
def admin(server: Any) -> Iterator[Bassa]:
    """A client signed in as the bootstrap admin."""
    with Bassa(server.url, server_key=server.server_key, env={}) as client:
        client.session.login(server.admin_user, server.admin_password)
        yield client


@dataclass
class Account:
    """A new approved user and a client signed in as them."""

    name: str
    password: str
    email: str
    client: Bassa


@pytest.fixture
def user(server: Any, admin: Bassa) -> Iterator[Account]:
    """A fresh approved user, signed in."""
    name = f"u{uuid.uuid4().hex[:12]}"
    password = "correct-horse-battery"
    admin.users.add(name, password, f"{name}@example.org")
    with Bassa(server.url, env={}) as client:
        client.session.login(name, password)
        yield Account(name, password, f"{name}@example.org", client)


def unique(prefix: str) -> str:
    """A name no other test uses."""
    return f"{prefix}{uuid.uuid4().hex[:10]}"
