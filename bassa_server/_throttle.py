"""Failed logins slow down the client that makes them, never the account's owner elsewhere.

Two counts of failures are kept, each with its own allowance of free failures, after which every
further failure doubles the wait before the next attempt (`backoff`, twice that, four times … up to
`max_backoff`):

- per (account, client): a few wrong passwords for one account from one client;
- per client, whatever the accounts: one client spraying guesses over many accounts.

There is deliberately no count per account alone: whoever could make it grow (anyone, from
anywhere, with wrong passwords) could lock the real user out. An attack spread over many clients
is slowed per client, costs each guess an argon2 hash, and shows in
`bassa_login_attempts_total{result="failure"}`, which BassaLoginFailuresBurst watches.

Each attempt is charged as a failure *before* the password is checked and refunded when it turns
out right, so a burst of parallel attempts cannot all slip past the check while the first ones
are still being hashed; an attempt while a wait is due is refused without checking anything.
A count is forgotten after `max_backoff` seconds without failures. A client is its IP address
(an IPv6 client its /64, which one subscriber usually holds whole), as uvicorn reports it: the
peer, or the `X-Forwarded-For` address a trusted proxy (BASSA_FORWARDED_ALLOW_IPS) passes on.

The counts live in each replica's memory: a shared database would cost a write per attempt and
give an attacker a hot row to contend on. With N replicas behind a balancer a client gets at most
N times the free failures, and the doubling still applies on each; the trade-off is in
docs/server.md ("Sessions, logins and connections").
"""

from __future__ import annotations

import ipaddress
import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter

from bassa_server._config import Settings

MAX_RECORDS = 100_000
RESULTS = ("success", "failure", "throttled")


@dataclass
class _Failures:
    count: int
    last: float


class _Counts:
    """Failure counts by key, with the wait each one imposes; bounded, oldest dropped first."""

    def __init__(self, free: int, backoff: float, max_backoff: float) -> None:
        self.free = free
        self.backoff = backoff
        self.max_backoff = max_backoff
        self._records: OrderedDict[str, _Failures] = OrderedDict()

    def wait(self, key: str, now: float) -> float:
        """Seconds until `key` may try again (0: now)."""
        record = self._current(key, now)
        if record is None:
            return 0.0
        return max(0.0, record.last + self._lock(record) - now)

    def charge(self, key: str, now: float) -> None:
        """Count one failure of `key` now."""
        record = self._current(key, now) or _Failures(0, now)
        record.count += 1
        record.last = now
        self._records[key] = record
        self._records.move_to_end(key)
        while len(self._records) > MAX_RECORDS:
            self._records.popitem(last=False)

    def refund(self, key: str) -> None:
        """Take back one charged failure of `key` (the attempt was right after all)."""
        record = self._records.get(key)
        if record is not None:
            record.count -= 1
            if record.count <= 0:
                del self._records[key]

    def forget(self, key: str) -> None:
        """Drop every failure of `key`."""
        self._records.pop(key, None)

    def _current(self, key: str, now: float) -> _Failures | None:
        record = self._records.get(key)
        if record is not None and now - record.last >= self.max_backoff + self._lock(record):
            del self._records[key]
            return None
        return record

    def _lock(self, record: _Failures) -> float:
        if record.count <= self.free:
            return 0.0
        doublings = min(record.count - self.free - 1, 64)  # past the ceiling long before
        doubled: float = self.backoff * 2.0**doublings
        return min(doubled, self.max_backoff)


class LoginThrottle:
    """The login handler's gate: `admit` before checking a password, `settle` after."""

    def __init__(
        self,
        settings: Settings,
        registry: CollectorRegistry,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        backoff, ceiling = settings.login_backoff_seconds, settings.login_max_backoff_seconds
        self._pairs = _Counts(settings.login_free_failures, backoff, ceiling)
        self._clients = _Counts(settings.login_client_free_failures, backoff, ceiling)
        self._clock = clock
        attempts = Counter(
            "bassa_login_attempts",
            "Login attempts, by result (failure: wrong credentials; throttled: refused unchecked).",
            ["result"],
            registry=registry,
        )
        self._results = {result: attempts.labels(result=result) for result in RESULTS}

    def admit(self, account: str, client: str) -> int:
        """0 and a charged failure when the attempt may go ahead, else whole seconds to wait."""
        now = self._clock()
        pair, origin = _pair_key(account, client), client_key(client)
        wait = max(self._pairs.wait(pair, now), self._clients.wait(origin, now))
        if wait > 0:
            self._results["throttled"].inc()
            return max(1, math.ceil(wait))
        self._pairs.charge(pair, now)
        self._clients.charge(origin, now)
        return 0

    def settle(self, account: str, client: str, *, succeeded: bool) -> None:
        """Record how an admitted attempt ended: a success refunds its charge and clears the
        account's failures from this client."""
        self._results["success" if succeeded else "failure"].inc()
        if succeeded:
            self._pairs.forget(_pair_key(account, client))
            self._clients.refund(client_key(client))


def client_key(host: str) -> str:
    """The throttling identity of a client address: an IPv4 address, an IPv6 /64."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def _pair_key(account: str, client: str) -> str:
    # case-folded: MySQL's default collation finds "Alice" for "alice", and each spelling must
    # not get its own free failures
    return f"{client_key(client)}\0{account.casefold()}"
