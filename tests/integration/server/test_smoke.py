"""The live server starts, signs the admin in and answers as the spec documents."""

from __future__ import annotations

import pytest

from tests.integration.server.helpers import admin_token, conforms, http
from tests.live_server import LiveServer

pytestmark = pytest.mark.integration


def test_ready_and_login(live_server: LiveServer) -> None:
    """Readiness is 200 with checks, and the admin's login returns level "0" and a token."""
    ready = http.get(f"{live_server.url}/api/ready")
    assert conforms(ready, "get_readiness")["status"] == "ready"
    response = http.post(
        f"{live_server.url}/api/login",
        data={"user_name": live_server.admin_user, "password": live_server.admin_password},
    )
    assert conforms(response, "login") == {"auth": "0"}
    assert response.headers["token"]


def test_queue_status_renews_token(live_server: LiveServer) -> None:
    """An authenticated call conforms to the spec and carries a renewed token header."""
    response = http.get(f"{live_server.url}/api/queue", headers={"token": admin_token(live_server)})
    body = conforms(response, "get_queue_status")
    assert body["state"] in {"running", "paused"}
    assert response.headers["token"]
    assert response.headers["access-control-expose-headers"] == "token"
