"""Passwords, session tokens, share tokens and the server key.

Passwords are argon2 hashes (slow on purpose: callers run `hash`/`verify` off the event loop).
Session tokens are itsdangerous-signed user names with a timestamp; they expire `ttl` seconds after
they were minted and every authenticated response mints a fresh one, so a session slides. Share
tokens are signed (process id, expiry) pairs under a different salt, so neither kind of token can
stand in for the other. The clock is injected so tests can mint tokens in the past.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable
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


def same_secret(given: str | None, expected: str) -> bool:
    """Constant-time comparison of a caller's secret with the configured one."""
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


class SessionTokens:
    """Mint and check the signed, expiring session tokens."""

    def __init__(self, secret: str, ttl_seconds: int, clock: Clock = time.time) -> None:
        self.ttl_seconds = ttl_seconds
        signer_clock = clock

        class _Signer(TimestampSigner):
            def get_timestamp(self) -> int:
                return int(signer_clock())

        self._serializer = URLSafeTimedSerializer(secret, salt=SESSION_SALT, signer=_Signer)

    def mint(self, user_name: str) -> str:
        """A token for `user_name`, valid for `ttl_seconds` from now."""
        return self._serializer.dumps(user_name)

    def user_of(self, token: str) -> str | None:
        """The user name a valid, unexpired token names; None for anything else."""
        try:
            value: Any = self._serializer.loads(token, max_age=self.ttl_seconds)
        except BadData:
            return None
        return value if isinstance(value, str) else None


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
