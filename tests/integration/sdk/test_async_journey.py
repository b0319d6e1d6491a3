"""The same journey through AsyncBassa, with many calls in flight."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import pytest

from bassa_sdk import AsyncBassa, ConflictError, PermissionDeniedError, RateLimit, TokenError
from tests.integration.sdk.conftest import unique

pytestmark = pytest.mark.integration


async def test_async_download_journey(server: Any, files: Any, tmp_path: Path) -> None:
    """An admin queues, starts, waits and fetches with AsyncBassa; 32 concurrent listings agree."""
    data = os.urandom(512 * 1024)
    name = unique("a") + ".bin"
    files.add(name, data)
    async with AsyncBassa(
        server.url, server_key=server.server_key, env={}, rate_limit=RateLimit(200, burst=50)
    ) as bassa:
        assert (await bassa.session.login(server.admin_user, server.admin_password)).auth == "0"
        created = await bassa.downloads.add(files.url_for(name))
        assert isinstance(created.id, int)
        await bassa.queue.start()
        final = await bassa.downloads.wait(created.id, timeout=120, poll_interval=0.2)
        assert final.status == 3
        await bassa.files.download(created.id, tmp_path / name)
        assert (tmp_path / name).read_bytes() == data
        pages = await asyncio.gather(*(bassa.downloads.list() for _ in range(32)))
        assert all(page == pages[0] for page in pages)
        assert created.id in [d.id async for d in bassa.downloads.iter()]
        status = await bassa.queue.status()
        assert status.state == "running" and status.completed >= 1


async def test_async_admin_and_user(server: Any) -> None:
    """AsyncBassa signs in, administers, lists concurrently and maps errors like Bassa."""
    name = unique("a")
    async with AsyncBassa(server.url, env={}, rate_limit=RateLimit(500, burst=64)) as admin:
        await admin.session.login(server.admin_user, server.admin_password)
        await admin.users.add(name, "correct-horse-battery", f"{name}@example.org")
        with pytest.raises(ConflictError):
            await admin.users.add(name, "correct-horse-battery", f"{name}@example.org")
        async with AsyncBassa(server.url, env={}) as user:
            await user.session.login(name, "correct-horse-battery")
            pages = await asyncio.gather(*(user.downloads.list() for _ in range(32)))
            assert all(page == [] for page in pages)
            with pytest.raises(PermissionDeniedError):
                await user.users.list()
            status = await user.queue.status()
            assert status.state in {"running", "paused"}
        await admin.users.delete(name)
    async with AsyncBassa(server.url, token="forged", env={}) as forged:
        with pytest.raises(TokenError):
            await forged.downloads.list()
