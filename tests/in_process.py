"""The server app inside the test's own process: settings per test, time the test moves.

A subprocess server costs a second or more to start (two, with its aria2) and runs on the real
clock, so a test of a setting or of an expiry used to start one server per setting and wait real
seconds. Here the app is built with `create_app(settings, clock=...)`, its lifespan runs in the
test's event loop, and httpx talks to it through `ASGITransport`: no port, no process, and a TTL
passes when the test advances the clock. The download engine stays off; the tests move downloads
through the lifecycle's engine-side functions, as an engine would.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bassa_server._app import create_app
from bassa_server._config import Settings
from bassa_server._lifecycle import _transfers as transfers
from bassa_server._services import Services

ADMIN = "admin"
PASSWORD = "a-good-password-1"
ENGINE_ID = "tests"


class ManualClock:
    """A clock that stands still until the test advances it."""

    def __init__(self, now: float | None = None) -> None:
        self.now = time.time() if now is None else now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move time on by `seconds`."""
        self.now += seconds


@dataclass
class InProcessServer:
    """One app in this process: its services, its clock, and a client that reaches it."""

    services: Services
    clock: ManualClock
    http: httpx.AsyncClient

    async def login(self, user: str = ADMIN, password: str = PASSWORD) -> str:
        """A session token for `user`."""
        response = await self.http.post(
            "/api/login", data={"user_name": user, "password": password}
        )
        assert response.status_code == 200, response.text
        return response.headers["token"]

    async def user(self, name: str) -> str:
        """A new approved user's session token (the admin creates it)."""
        admin = {"token": await self.login()}
        body = {"user_name": name, "password": PASSWORD, "email": f"{name}@example.org"}
        response = await self.http.post("/api/user", json={**body, "auth": 1}, headers=admin)
        assert response.status_code == 200, response.text
        return await self.login(name)

    async def queue(self, token: str, link: str) -> int:
        """Queue `link` through the API; the new download's id."""
        response = await self.http.post(
            "/api/download", json={"link": link}, headers={"token": token}
        )
        assert response.status_code == 200, response.text
        download_id: int = response.json()["id"]
        return download_id

    def complete(self, download_id: int, name: str, data: bytes) -> str:
        """Finish a queued download as the engine would (file in `downloads/<id>/`); its gid."""
        sessions, now = self.services.sessions, int(self.clock())
        assert transfers.claim_download(sessions, ENGINE_ID, download_id, now) is not None
        gid = f"{download_id:016x}"
        assert transfers.set_gid(sessions, download_id, ENGINE_ID, gid)
        folder = self.services.settings.downloads_dir / str(download_id)
        folder.mkdir(exist_ok=True)
        (folder / name).write_bytes(data)
        relative = f"{download_id}/{name}"
        size = len(data)
        assert transfers.complete(
            sessions, download_id, ENGINE_ID, size=size, path=relative, name=name, now=now
        )
        return gid


@contextlib.asynccontextmanager
async def in_process_server(
    data_dir: Path, *, clock: ManualClock | None = None, **settings: Any
) -> AsyncIterator[InProcessServer]:
    """The app on `data_dir` with `settings` (field names of `Settings`), started and stopped."""
    clock = clock or ManualClock()
    loaded = Settings.load(
        {
            "data_dir": data_dir,
            "engine": False,
            "block_private_addresses": False,
            "admin_user": ADMIN,
            "admin_password": PASSWORD,
            **settings,
        },
        environ={},
    )
    app = create_app(loaded, clock=clock)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://bassa.test") as http,
    ):
        yield InProcessServer(app.state.services, clock, http)
