"""Just enough HTTP/1.1 framing for the fault proxy: read one request, rewrite heads.

The proxy forwards bytes, not parsed messages, so that what the client receives is exactly what
the server sent (or a deliberately damaged copy of it). It only needs to know where a request
ends (Content-Length or chunked) and to mark each exchange `Connection: close`, which makes every
request its own connection and keeps the fault bookkeeping one-to-one.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

_HEAD_END = b"\r\n\r\n"


@dataclass(frozen=True, slots=True)
class Message:
    """A request or response split into its start line, headers and raw body bytes."""

    start: str
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        """The first value of header `name` (case-insensitive), if present."""
        wanted = name.lower()
        return next((v for k, v in self.headers if k.lower() == wanted), None)

    def encode(self, *, close: bool = True) -> bytes:
        """The message as wire bytes, with `Connection: close` replacing any Connection header."""
        kept = [(k, v) for k, v in self.headers if k.lower() not in {"connection", "keep-alive"}]
        if close:
            kept.append(("Connection", "close"))
        lines = [self.start, *(f"{k}: {v}" for k, v in kept)]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + self.body


def parse_head(raw: bytes) -> tuple[str, list[tuple[str, str]]]:
    """The start line and header pairs of a message head (without its final blank line)."""
    lines = raw.decode("latin-1").split("\r\n")
    headers = []
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            headers.append((name.strip(), value.strip()))
    return lines[0], headers


async def read_request(reader: asyncio.StreamReader) -> Message | None:
    """The next request on the connection, or None when the client closed it first."""
    try:
        head = await reader.readuntil(_HEAD_END)
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
        return None
    start, headers = parse_head(head[: -len(_HEAD_END)])
    message = Message(start, headers, b"")
    if (message.header("Transfer-Encoding") or "").lower() == "chunked":
        body = await _read_chunked(reader)
    else:
        body = await reader.readexactly(int(message.header("Content-Length") or 0))
    return Message(start, headers, body)


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    """A chunked body, raw (framing included), up to and including its last chunk."""
    raw = bytearray()
    while True:
        size_line = await reader.readuntil(b"\r\n")
        raw += size_line
        size = int(size_line.split(b";")[0].strip(), 16)
        if size == 0:
            raw += await reader.readuntil(b"\r\n")
            return bytes(raw)
        raw += await reader.readexactly(size + 2)


def split_response(raw: bytes) -> Message:
    """A complete response read until the server closed the connection."""
    head, sep, body = raw.partition(_HEAD_END)
    if not sep:
        raise ValueError("the server closed the connection before a complete response head")
    start, headers = parse_head(head)
    return Message(start, headers, body)


def status_of(response: Message) -> int:
    """The status code from a response's start line."""
    return int(response.start.split(" ", 2)[1])


def gateway_error(code: int, retry_after: str | None) -> bytes:
    """A gateway's error page, as a reverse proxy in front of the server would send it."""
    reason = {502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}.get(
        code, "Error"
    )
    body = f"<html><body><h1>{code} {reason}</h1></body></html>\n".encode()
    headers = [("Content-Type", "text/html"), ("Content-Length", str(len(body)))]
    if retry_after is not None:
        headers.append(("Retry-After", retry_after))
    return Message(f"HTTP/1.1 {code} {reason}", headers, body).encode()


__all__ = ["Message", "gateway_error", "read_request", "split_response", "status_of"]
