"""Starting and pausing the download engine (server key), and the queue's state."""

from __future__ import annotations

from types import ModuleType
from typing import TYPE_CHECKING

from bassa_sdk._base_client import Timeout
from bassa_sdk._call import Call
from bassa_sdk._generated.api.queue import get_queue_status, kill_queue, start_queue
from bassa_sdk._generated.models import QueueChange, QueueStatus
from bassa_sdk._reading import expect

if TYPE_CHECKING:
    from bassa_sdk._async._client import AsyncBassa

__all__ = ["AsyncQueue"]


class AsyncQueue:
    """`client.queue`: the download engine."""

    def __init__(self, client: AsyncBassa) -> None:
        self._client = client

    async def start(self, *, key: str | None = None, timeout: Timeout = None) -> QueueChange:
        """Start (or resume) the engine; needs the server key."""
        return await self._client._execute(self._keyed(start_queue, key), timeout)

    async def stop(self, *, key: str | None = None, timeout: Timeout = None) -> QueueChange:
        """Pause the engine: running downloads pause, nothing new starts; needs the server key."""
        return await self._client._execute(self._keyed(kill_queue, key), timeout)

    async def status(self, *, timeout: Timeout = None) -> QueueStatus:
        """Whether the queue runs and how many downloads are in each status (extension)."""
        call = Call(get_queue_status, {}, expect(QueueStatus))
        return await self._client._execute(call, timeout)

    def _keyed(self, endpoint: ModuleType, key: str | None) -> Call[QueueChange]:
        key = key if key is not None else self._client.options.server_key
        if not key:
            raise ValueError(
                "the queue needs the server key: pass key= or server_key= to the client"
            )
        return Call(endpoint, {"key": key}, expect(QueueChange))
