"""The fault plan: what the proxy does to each exchange, and the record of what it did.

A plan is an ordered list of rules. For each request the proxy takes the first rule that matches
its method and path and still has uses left, and applies that rule's fault; a request that no rule
claims passes through untouched. Rules are kept as data so a test states its faults in one line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

FaultKind = Literal["pass", "reset_before", "reset_after", "status", "truncate", "drip"]


@dataclass(frozen=True, slots=True)
class Fault:
    """One way to disturb an exchange; build it with the functions below."""

    kind: FaultKind
    delay: float = 0.0
    status: int = 503
    retry_after: str | None = None
    keep_bytes: int = 0
    chunk: int = 1024
    interval: float = 0.0


def passthrough() -> Fault:
    """Forward the request and return the server's answer unchanged."""
    return Fault("pass")


def latency(seconds: float) -> Fault:
    """Wait `seconds` before forwarding, then behave like a plain pass-through."""
    return Fault("pass", delay=seconds)


def reset_before() -> Fault:
    """Reset the client's connection before the request reaches the server."""
    return Fault("reset_before")


def reset_after() -> Fault:
    """Let the server handle the request, then reset the client's connection unanswered."""
    return Fault("reset_after")


def status(code: int, *, retry_after: str | None = None) -> Fault:
    """Answer with `code` (a 502/503 from a gateway) without asking the server."""
    return Fault("status", status=code, retry_after=retry_after)


def truncate(keep_bytes: int) -> Fault:
    """Forward the server's head and the first `keep_bytes` of its body, then close."""
    return Fault("truncate", keep_bytes=keep_bytes)


def drip(chunk: int, interval: float) -> Fault:
    """Forward the server's answer `chunk` bytes at a time, `interval` seconds apart."""
    return Fault("drip", chunk=chunk, interval=interval)


@dataclass(slots=True)
class Rule:
    """Apply `fault` to the next `times` requests (None: to every one) matching method and path."""

    fault: Fault
    method: str | None = None
    path: str | None = None
    times: int | None = 1
    _path_re: re.Pattern[str] | None = field(init=False, default=None, repr=False)

    def __post_init__(self) -> None:
        self._path_re = re.compile(self.path) if self.path is not None else None

    def claims(self, method: str, path: str) -> bool:
        """Whether this rule applies to the request, using up one of its uses if so."""
        if self.times is not None and self.times <= 0:
            return False
        if self.method is not None and self.method.upper() != method:
            return False
        if self._path_re is not None and not self._path_re.search(path):
            return False
        if self.times is not None:
            self.times -= 1
        return True


@dataclass(frozen=True, slots=True)
class Exchange:
    """What happened to one request: its fault, whether the server saw it, and its answer."""

    method: str
    path: str
    fault: FaultKind
    forwarded: bool
    upstream_status: int | None
    range: str | None = None
