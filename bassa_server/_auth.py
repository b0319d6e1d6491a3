"""Passwords, session tokens, share tokens and the server key.

Passwords are argon2 hashes (slow on purpose: callers run `hash`/`verify` off the event loop, on
the password-hashing threads, see `hash_password_async`).
Session tokens are itsdangerous-signed (user name, session stamp) pairs with a timestamp; they
expire `ttl` seconds after they were minted and every authenticated response mints a fresh one, so
a session slides. The session stamp is a random value kept with the account and replaced whenever
its credentials change (password, name, block, "log out everywhere"); a new account gets a new one,
so a token outlives none of these, nor the deletion of its account and the re-use of its name. Share
tokens are signed (process id, expiry) pairs under a different salt, so neither kind of token can
stand in for the other. The clock is injected so tests can mint tokens in the past.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import os
import secrets
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadData, TimestampSigner, URLSafeSerializer, URLSafeTimedSerializer

SESSION_SALT = "bassa.session"
SHARE_SALT = "bassa.share"

Clock = Callable[[], float]

# argon2id with OWASP's recommended minimum (19 MiB, 2 passes, 1 lane): about 90 ms on a small
# VM, where argon2-cffi's default (64 MiB, 3 passes, 4 lanes) takes over half a second per login.
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
# verified against when the user is unknown, so a login takes as long either way
_DUMMY_HASH = _hasher.hash("not a password of anybody")


def hash_password(password: str) -> str:
    """An argon2 hash of `password` (slow: call it from a worker thread)."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether `password` matches `password_hash` (None: an unknown user, always False)."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


# Hashes run on threads of their own, one per core, at a lower CPU priority (niceness 5: about a
# quarter of a contended core against the event loop's three quarters), so a login storm neither
# holds the worker threads that database work runs on nor takes the CPU the event loop needs to
# answer everybody else (benchmarks/server.py measures a list's p99 during a storm of 32
# connections logging in). 32 parallel 19 MiB hashes on 2 cores thrash memory and served 13
# logins/s where one per core serves over 20.
HASH_NICENESS = 5
_hash_workers = ThreadPoolExecutor(
    max_workers=os.cpu_count() or 1,
    thread_name_prefix="bassa-password-hash",
    initializer=lambda: _lower_priority(HASH_NICENESS),
)


def _lower_priority(niceness: int) -> None:
    """Make the calling thread (alone, on Linux) yield the CPU to the rest of the process."""
    with contextlib.suppress(OSError, AttributeError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), niceness)


async def hash_password_async(password: str) -> str:
    """`hash_password` on a password-hashing thread."""
    return await asyncio.get_running_loop().run_in_executor(_hash_workers, hash_password, password)


async def verify_password_async(password_hash: str | None, password: str) -> bool:
    """`verify_password` on a password-hashing thread."""
    return await asyncio.get_running_loop().run_in_executor(
        _hash_workers, verify_password, password_hash, password
    )


def same_secret(given: str | None, expected: str) -> bool:
    """Constant-time comparison of a caller's secret with the configured one."""
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


def new_session_stamp() -> str:
    """A fresh session stamp: 128 random bits, so no two accounts or credentials share one."""
    return secrets.token_hex(16)


@dataclass(frozen=True)
class SessionClaim:
    """Who a valid session token speaks for: a user name under one session stamp."""

    user_name: str
    stamp: str


class SessionTokens:
    """Mint and check the signed, expiring session tokens.

    Both directions are memoised, as every authenticated request checks one token and mints
    another: a token minted in the same second for the same session is byte-identical (the
    timestamp has one-second resolution), and a token once verified only needs its age checked.
    """

    def __init__(self, secret: str, ttl_seconds: int, clock: Clock = time.time) -> None:
        self.ttl_seconds = ttl_seconds
        self._clock = clock
        self._minted: dict[SessionClaim, tuple[int, str]] = {}
        self._verified: dict[str, tuple[SessionClaim, int]] = {}
        signer_clock = clock

        class _Signer(TimestampSigner):
            def get_timestamp(self) -> int:
                return int(signer_clock())

        self._serializer = URLSafeTimedSerializer(secret, salt=SESSION_SALT, signer=_Signer)

    def mint(self, session: SessionClaim) -> str:
        """A token for `session`, valid for `ttl_seconds` from now (while its stamp stands)."""
        now = int(self._clock())
        cached = self._minted.get(session)
        if cached is not None and cached[0] == now:
            return cached[1]
        token = self._serializer.dumps([session.user_name, session.stamp])
        _remember(self._minted, session, (now, token))
        return token

    def session_of(self, token: str) -> SessionClaim | None:
        """The session a valid, unexpired token names; None for anything else (including the
        tokens of earlier versions, which named only a user)."""
        now = int(self._clock())
        known = self._verified.get(token)
        if known is None:
            try:
                value: Any
                value, issued = self._serializer.loads(
                    token, max_age=self.ttl_seconds, return_timestamp=True
                )
            except BadData:
                return None
            match value:
                case [str(user_name), str(stamp)]:
                    known = (SessionClaim(user_name, stamp), int(issued.timestamp()))
                case _:
                    return None
            _remember(self._verified, token, known)
        session, issued_at = known
        return session if 0 <= now - issued_at <= self.ttl_seconds else None


MEMO_LIMIT = 10_000


def _remember(memo: dict[Any, Any], key: Any, value: Any) -> None:
    """Store in a bounded memo (emptied when full: simple, and refilled by the next requests)."""
    if len(memo) >= MEMO_LIMIT:
        memo.clear()
    memo[key] = value


class ShareTokens:
    """Mint and check signed share tokens, each bound to one zip job until its expiry."""

    def __init__(self, secret: str, clock: Clock = time.time) -> None:
        self._serializer = URLSafeSerializer(secret, salt=SHARE_SALT)
        self._clock = clock

    def mint(self, process_id: str, expires_at: int) -> str:
        """A token that opens `process_id` until `expires_at` (Unix seconds)."""
        return self._serializer.dumps([process_id, expires_at])

    def process_of(self, token: str) -> str | None:
        """The zip job a valid, unexpired share token opens; None for anything else."""
        try:
            value: Any = self._serializer.loads(token)
        except BadData:
            return None
        match value:
            case [str(process_id), int(expires_at)] if self._clock() < expires_at:
                return process_id
        return None
