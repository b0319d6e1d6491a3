"""The token bucket: exact long-run rate, bounded bursts, pauses, and one bucket per client."""

from __future__ import annotations

import asyncio
import threading

import httpx
import pytest

from bassa_sdk import AsyncBassa, Bassa, RateLimit
from bassa_sdk._ratelimit import TokenBucket
from tests.unit.sdk.conftest import make_async_client, make_client, reply


class FakeClock:
    """Time that moves only when a sleeper sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sent: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds

    async def async_sleep(self, seconds: float) -> None:
        self.now += seconds


def _bucket(rate: float, burst: int, clock: FakeClock) -> TokenBucket:
    return TokenBucket(
        RateLimit(rate, burst), clock=clock, sleep=clock.sleep, async_sleep=clock.async_sleep
    )


def install(client: Bassa | AsyncBassa) -> None:
    """Route the client's requests through the bucket it now holds (a fake-clock one)."""
    client._wire.limiter = client._limiter


def test_burst_then_steady_rate() -> None:
    """The first `burst` requests go at once, then one every 1/rate seconds."""
    clock = FakeClock()
    bucket = _bucket(10, 3, clock)
    for _ in range(8):
        bucket.acquire()
        clock.sent.append(round(clock.now - 1000.0, 6))
    assert clock.sent == [0.0, 0.0, 0.0, 0.1, 0.2, 0.3, 0.4, 0.5]


def test_no_window_exceeds_burst_plus_rate() -> None:
    """Over 1,000 requests, any one-second window holds at most rate + burst of them."""
    clock = FakeClock()
    bucket = _bucket(50, 5, clock)
    for _ in range(1000):
        bucket.acquire()
        clock.sent.append(clock.now)
    assert clock.sent[-1] - clock.sent[0] == pytest.approx((1000 - 5) / 50)
    start = 0
    for end, moment in enumerate(clock.sent):
        while moment - clock.sent[start] >= 1.0:
            start += 1
        assert end - start + 1 <= 55


def test_idle_time_refills_only_up_to_burst() -> None:
    """After a long pause, only `burst` requests go without waiting."""
    clock = FakeClock()
    bucket = _bucket(10, 2, clock)
    bucket.acquire()
    clock.now += 60
    waits = [bucket.reserve() for _ in range(4)]
    assert waits == [0.0, 0.0, pytest.approx(0.1), pytest.approx(0.2)]


def test_pause_holds_every_request() -> None:
    """A Retry-After pause delays the next request by that long, with no burst after it."""
    clock = FakeClock()
    bucket = _bucket(10, 5, clock)
    bucket.pause(3.0)
    assert bucket.reserve() == pytest.approx(3.0)
    assert bucket.reserve() == pytest.approx(3.1)


def test_threads_share_one_bucket() -> None:
    """Reservations from many threads are distinct slots at the configured rate."""
    clock = FakeClock()
    bucket = _bucket(100, 1, clock)
    waits: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(25):
            wait = bucket.reserve()
            with lock:
                waits.append(wait)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(round(w, 6) for w in waits) == [round(i / 100, 6) for i in range(200)]


def test_invalid_limits_are_caller_mistakes() -> None:
    """A non-positive rate or a burst below 1 raises ValueError."""
    with pytest.raises(ValueError, match="rate"):
        RateLimit(0)
    with pytest.raises(ValueError, match="burst"):
        RateLimit(5, burst=0)


def test_client_counts_every_attempt_including_retries() -> None:
    """Each retry takes a slot of the client's bucket."""
    script = [reply(503, {"error": "busy"}), reply(503, {"error": "busy"}), reply(200, [])]
    client, _ = make_client(lambda request: script.pop(0), rate_limit=RateLimit(1000, 1))
    assert client._limiter is not None
    clock = FakeClock()
    client._limiter = _bucket(10, 1, clock)
    install(client)
    client.users.list()
    assert clock.now - 1000.0 == pytest.approx(0.2)  # three attempts: 0, 0.1, 0.2


def test_429_with_retry_after_pauses_the_bucket() -> None:
    """A 429 carrying Retry-After pauses the whole client's bucket."""
    clock = FakeClock()
    script = [reply(429, {"error": "slow"}, **{"retry-after": "4"}), reply(200, [])]
    client, _ = make_client(lambda request: script.pop(0), rate_limit=RateLimit(10, 1))
    client._limiter = _bucket(10, 1, clock)
    install(client)
    client.users.list()
    assert clock.now - 1000.0 == pytest.approx(4.0)


async def test_tasks_share_one_bucket() -> None:
    """Tasks of one AsyncBassa draw from the same bucket."""
    clock = FakeClock()
    client, recorder = make_async_client(lambda request: reply(200, []), rate_limit=RateLimit(20))
    client._limiter = _bucket(20, 1, clock)
    install(client)
    await asyncio.gather(*(client.users.list() for _ in range(10)))
    assert len(recorder.requests) == 10
    assert clock.now - 1000.0 == pytest.approx(9 / 20)


def test_with_options_shares_the_bucket_unless_the_rate_changes() -> None:
    """A derived client keeps its parent's bucket for the same rate, and gets its own otherwise."""
    client, _ = make_client(lambda request: httpx.Response(200), rate_limit=RateLimit(5))
    assert client.with_options(timeout=3)._limiter is client._limiter
    assert client.with_options(rate_limit=RateLimit(6))._limiter is not client._limiter
    assert client.with_options(rate_limit=None)._limiter is None
