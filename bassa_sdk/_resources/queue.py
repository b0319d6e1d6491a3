"""Starting and pausing the download engine (server key), and the queue's state."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bassa_api_client.api.queue import get_queue_status, kill_queue, start_queue
from bassa_api_client.models import QueueChange, QueueStatus
from bassa_sdk._resources._base import expect
from bassa_sdk._transport import Call

if TYPE_CHECKING:
    from bassa_sdk._client import AsyncBassa, Bassa, Timeout

__all__ = ["AsyncQueue", "Queue"]


class _Calls:
    _client: Bassa | AsyncBassa

    def _keyed(self, endpoint: object, key: str | None) -> Call[QueueChange]:
        key = key if key is not None else self._client.options.server_key
        if not key:
            raise ValueError(
                "the queue needs the server key: pass key= or server_key= to the client"
            )
        if endpoint is start_queue:
            return Call(start_queue, {"key": key}, expect(QueueChange))
        return Call(kill_queue, {"key": key}, expect(QueueChange))

    def _status(self) -> Call[QueueStatus]:
        return Call(get_queue_status, {}, expect(QueueStatus))


class Queue(_Calls):
    """`client.queue`: the download engine."""

    _client: Bassa

    def __init__(self, client: Bassa) -> None:
        self._client = client

    def start(self, *, key: str | None = None, timeout: Timeout = None) -> QueueChange:
        """Start (or resume) the engine; needs the server key."""
        return self._client._execute(self._keyed(start_queue, key), timeout)

    def stop(self, *, key: str | None = None, timeout: Timeout = None) -> QueueChange:
        """Pause the engine: running downloads pause, nothing new starts; needs the server key."""
        return self._client._execute(self._keyed(kill_queue, key), timeout)

    def status(self, *, timeout: Timeout = None) -> QueueStatus:
        """Whether the queue runs and how many downloads are in each status (extension)."""
        return self._client._execute(self._status(), timeout)


class AsyncQueue(_Calls):
    """`client.queue` of an `AsyncBassa`."""

    _client: AsyncBassa

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
        return await self._client._execute(self._status(), timeout)
