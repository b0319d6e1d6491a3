"""Named defaults and the immutable options of a client.

Every default the SDK applies lives here as a named constant, so the README can state it and tests
can compare against it. `ClientOptions` is frozen: `with_options()` builds a new one with
`dataclasses.replace`, so a derived client can never change the behaviour of its parent.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

import httpx

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "DEFAULT_CONNECTION_LIMITS",
    "DEFAULT_MAX_ATTEMPTS",
    "DEFAULT_POLL_INTERVAL",
    "DEFAULT_RETRY_DEADLINE",
    "DEFAULT_TIMEOUT",
    "DEFAULT_WAIT_INITIAL",
    "DEFAULT_WAIT_MAX",
    "DEFAULT_WAIT_TIMEOUT",
    "MAX_RETRY_AFTER",
    "RateLimit",
]

#: Every request has a finite timeout: 5 s to connect, 30 s for each read, write and pool wait.
DEFAULT_TIMEOUT: Final = httpx.Timeout(30.0, connect=5.0)
#: Connection pool of the clients the SDK builds (and of `DefaultHttpxClient`).
DEFAULT_CONNECTION_LIMITS: Final = httpx.Limits(max_connections=100, max_keepalive_connections=20)
#: Attempts per call, the first one included (so two retries).
DEFAULT_MAX_ATTEMPTS: Final = 3
#: No call keeps retrying longer than this many seconds after its first attempt.
DEFAULT_RETRY_DEADLINE: Final = 60.0
#: Exponential backoff: first wait (plus up to 1 s of jitter) and the longest wait.
DEFAULT_WAIT_INITIAL: Final = 0.5
DEFAULT_WAIT_MAX: Final = 8.0
#: A `Retry-After` longer than this is not waited for: the call fails at once with `.retry_after`.
MAX_RETRY_AFTER: Final = 60.0
#: Bytes read from the network per write when streaming a file.
DEFAULT_CHUNK_SIZE: Final = 256 * 1024
#: Seconds between two polls while waiting for a download or a zip.
DEFAULT_POLL_INTERVAL: Final = 1.0
#: The longest a wait for a download or a zip lasts by default, in seconds.
DEFAULT_WAIT_TIMEOUT: Final = 3600.0

ENV_URL: Final = "BASSA_URL"
ENV_TOKEN: Final = "BASSA_TOKEN"  # noqa: S105 (the name of a variable, not a secret)
ENV_LOG: Final = "BASSA_LOG"
ENV_SERVER_KEY: Final = "BASSA_SERVER_KEY"


@dataclass(frozen=True, slots=True)
class RateLimit:
    """A client-side token bucket: `rate` requests per second on average, `burst` at once."""

    rate: float
    burst: int = 1

    def __post_init__(self) -> None:
        if not (math.isfinite(self.rate) and self.rate > 0):
            raise ValueError(f"rate must be a positive number of requests per second: {self.rate}")
        if self.burst < 1:
            raise ValueError(f"burst must be at least 1: {self.burst}")


@dataclass(frozen=True, slots=True)
class ClientOptions:
    """What a client does, fixed at construction; the server key is kept out of the repr."""

    base_url: str
    timeout: httpx.Timeout
    max_attempts: int
    retry_deadline: float
    wait_initial: float
    wait_max: float
    max_retry_after: float
    rate_limit: RateLimit | None
    auto_relogin: bool
    server_key: str | None

    def __repr__(self) -> str:
        return (
            f"ClientOptions(base_url={self.base_url!r}, timeout={self.timeout!r}, "
            f"max_attempts={self.max_attempts}, retry_deadline={self.retry_deadline}, "
            f"rate_limit={self.rate_limit!r}, auto_relogin={self.auto_relogin})"
        )


def finite_timeout(value: float | httpx.Timeout | None) -> httpx.Timeout:
    """A timeout whose four parts are finite and positive; anything else is the caller's mistake."""
    if value is None:
        raise ValueError("timeout must be finite: None would let a request wait forever")
    if isinstance(value, bool) or not isinstance(value, (int, float, httpx.Timeout)):
        raise TypeError(f"timeout must be seconds or an httpx.Timeout, not {type(value).__name__}")
    timeout = value if isinstance(value, httpx.Timeout) else httpx.Timeout(float(value))
    for part in ("connect", "read", "write", "pool"):
        seconds = getattr(timeout, part)
        if seconds is None or not math.isfinite(seconds) or seconds <= 0:
            raise ValueError(f"timeouts must be finite and positive; {part} is {seconds!r}")
    return timeout


def base_url_from(value: str | None, env: Mapping[str, str] = os.environ) -> str:
    """The server's URL from the argument or `BASSA_URL`, without a trailing slash."""
    url = value if value is not None else env.get(ENV_URL)
    if not url:
        raise ValueError(f"no server URL: pass base_url= or set {ENV_URL}")
    parsed = httpx.URL(url)
    if parsed.scheme not in {"http", "https"} or not parsed.host:
        raise ValueError(f"the server URL must be an http(s) URL with a host: {url!r}")
    return url.rstrip("/")


def setup_logging(env: Mapping[str, str] = os.environ) -> None:
    """Honour `BASSA_LOG=debug|info`: log the SDK's requests and retries to stderr."""
    level = env.get(ENV_LOG, "").strip().upper()
    if level not in {"DEBUG", "INFO", "WARNING"}:
        return
    logger = logging.getLogger("bassa")
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("[%(asctime)s %(name)s %(levelname)s] %(message)s"))
        logger.addHandler(handler)
    logger.setLevel(level)
