"""`FaultProxy`: an HTTP proxy on 127.0.0.1 that disturbs exchanges as its plan says.

It runs an asyncio server on its own thread so that synchronous tests (and the synchronous SDK)
can use it directly. Each client connection carries one exchange (`Connection: close` both ways),
so "the n-th request" is unambiguous and a reset hits exactly the request it was planned for.
"""

from __future__ import annotations

import asyncio
import socket
import struct
import threading
from collections.abc import Iterable
from types import TracebackType
from urllib.parse import urlsplit

from tests.faults._plan import Exchange, Fault, Rule, passthrough
from tests.faults._wire import (
    Message,
    gateway_error,
    read_request,
    split_response,
    status_of,
)

_UPSTREAM_TIMEOUT = 30.0


class FaultProxy:
    """A loopback proxy in front of `upstream_url`; `url` is where clients should connect."""

    def __init__(self, upstream_url: str) -> None:
        parts = urlsplit(upstream_url)
        if parts.scheme != "http" or parts.hostname is None or parts.port is None:
            raise ValueError(f"need an http://host:port upstream: {upstream_url!r}")
        self._upstream = (parts.hostname, parts.port)
        self._lock = threading.Lock()
        self._rules: list[Rule] = []
        self._log: list[Exchange] = []
        self._arrived = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None
        self.port = 0

    @property
    def url(self) -> str:
        """The proxy's base URL."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FaultProxy:
        """Bind to a free loopback port and start serving."""
        self._thread.start()
        self._server = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._serve, "127.0.0.1", 0), self._loop
        ).result()
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def stop(self) -> None:
        """Stop serving, close the loop and join the thread."""
        if self._server is not None:
            server = self._server
            self._server = None

            async def shutdown() -> None:
                server.close()
                pending = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
                for task in pending:
                    task.cancel()
                await asyncio.gather(*pending, return_exceptions=True)

            asyncio.run_coroutine_threadsafe(shutdown(), self._loop).result()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._loop.close()

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # the control API

    def plan(self, *rules: Rule) -> None:
        """Replace the fault plan and forget the exchanges seen so far."""
        with self._lock:
            self._rules = list(rules)
            self._log.clear()
            self._arrived = 0

    def add(self, rules: Iterable[Rule]) -> None:
        """Append rules to the current plan."""
        with self._lock:
            self._rules.extend(rules)

    @property
    def exchanges(self) -> list[Exchange]:
        """Every exchange since the last `plan()`, in arrival order."""
        with self._lock:
            return list(self._log)

    @property
    def arrived(self) -> int:
        """How many requests arrived since the last `plan()`, including ones still delayed."""
        with self._lock:
            return self._arrived

    def forwarded(self, method: str, path: str) -> int:
        """How many `method path` requests reached the server since the last `plan()`."""
        return sum(
            1 for e in self.exchanges if e.forwarded and e.method == method and e.path == path
        )

    def _choose(self, method: str, path: str) -> Fault:
        with self._lock:
            self._arrived += 1
            for rule in self._rules:
                if rule.claims(method, path):
                    return rule.fault
        return passthrough()

    def _record(self, exchange: Exchange) -> None:
        with self._lock:
            self._log.append(exchange)

    # one exchange

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await read_request(reader)
            if request is not None:
                await self._exchange(request, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass  # the client went away mid-exchange; nothing left to disturb
        except asyncio.CancelledError:
            pass  # the proxy is stopping; the exchange ends with it
        finally:
            if not writer.is_closing():
                writer.close()

    async def _exchange(self, request: Message, writer: asyncio.StreamWriter) -> None:
        method, target = request.start.split(" ", 2)[:2]
        path = urlsplit(target).path
        fault = self._choose(method, path)
        asked_range = request.header("Range")
        if fault.delay:
            await asyncio.sleep(fault.delay)
        if fault.kind == "reset_before":
            self._record(Exchange(method, path, fault.kind, False, None, asked_range))
            _reset(writer)
            return
        if fault.kind == "status":
            self._record(Exchange(method, path, fault.kind, False, fault.status, asked_range))
            writer.write(gateway_error(fault.status, fault.retry_after))
            await writer.drain()
            return
        response = await self._forward(request)
        self._record(Exchange(method, path, fault.kind, True, status_of(response), asked_range))
        wire = response.encode()
        if fault.kind == "reset_after":
            _reset(writer)
        elif fault.kind == "truncate":
            head_length = len(wire) - len(response.body)
            writer.write(wire[: head_length + fault.keep_bytes])
            await writer.drain()
        elif fault.kind == "drip":
            for start in range(0, len(wire), fault.chunk):
                writer.write(wire[start : start + fault.chunk])
                await writer.drain()
                await asyncio.sleep(fault.interval)
        else:
            writer.write(wire)
            await writer.drain()

    async def _forward(self, request: Message) -> Message:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(*self._upstream), _UPSTREAM_TIMEOUT
        )
        try:
            writer.write(request.encode())
            await writer.drain()
            raw = await asyncio.wait_for(reader.read(), _UPSTREAM_TIMEOUT)
        finally:
            writer.close()
        return split_response(raw)


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close the client's connection with a TCP RST (SO_LINGER 0) instead of a FIN."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


__all__ = ["FaultProxy"]
