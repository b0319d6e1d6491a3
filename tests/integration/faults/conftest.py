"""Fixtures of the SDK fault tests: a proxy in front of the live server, clients on each side."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import pytest

from bassa_sdk import Bassa
from tests.faults import FaultProxy
from tests.file_server import FileServer
from tests.integration.faults._support import PASSWORD, sdk


@pytest.fixture(scope="module")
def fault_proxy(live_server: Any) -> Iterator[FaultProxy]:
    """A fault proxy in front of the session's live server."""
    with FaultProxy(live_server.url) as proxy:
        yield proxy


@pytest.fixture(scope="module")
def admin(live_server: Any) -> Iterator[Bassa]:
    """The admin, talking to the server directly (no faults)."""
    with sdk(live_server.url, server_key=live_server.server_key) as client:
        client.session.login(live_server.admin_user, live_server.admin_password)
        yield client


@pytest.fixture(scope="module")
def user(admin: Bassa) -> str:
    """A fresh approved user of this module."""
    name = f"faults-{secrets.token_hex(4)}"
    admin.users.add(name, PASSWORD, f"{name}@example.org")
    return name


@pytest.fixture(scope="module")
def direct(live_server: Any, user: str) -> Iterator[Bassa]:
    """The module's user, talking to the server directly: the referee that counts records."""
    with sdk(live_server.url) as client:
        client.session.login(user, PASSWORD)
        yield client


@pytest.fixture
def faulty(fault_proxy: FaultProxy, user: str) -> Iterator[Bassa]:
    """The module's user, talking through the proxy (signed in before any fault is planned)."""
    fault_proxy.plan()
    with sdk(fault_proxy.url) as client:
        client.session.login(user, PASSWORD)
        fault_proxy.plan()
        yield client


@pytest.fixture
def faulty_admin(fault_proxy: FaultProxy, live_server: Any) -> Iterator[Bassa]:
    """The admin, talking through the proxy."""
    fault_proxy.plan()
    with sdk(fault_proxy.url) as client:
        client.session.login(live_server.admin_user, live_server.admin_password)
        fault_proxy.plan()
        yield client


@pytest.fixture(scope="session")
def files(file_server: FileServer) -> FileServer:
    """The loopback file server downloads fetch from."""
    return file_server
