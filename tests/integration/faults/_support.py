"""What the SDK fault tests share: the client they build, the faults a retry can cure, the loop."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from bassa_sdk import Bassa
from tests.faults import Fault, FaultProxy, Rule, drip, reset_after, reset_before, status, truncate

MAX_ATTEMPTS = 4
PASSWORD = "faults-password-1"
# one fault of every kind that a retry can cure
CURABLE: dict[str, Fault] = {
    "reset-before": reset_before(),
    "reset-after": reset_after(),
    "503": status(503),
    "502-retry-after-0": status(502, retry_after="0"),
    "truncated-body": truncate(1),
    "slow-drip": drip(chunk=64, interval=0.002),
}
# faults that let the first attempt reach the server: a repeated DELETE then finds nothing
REACHES_SERVER = frozenset({"reset_after", "truncate", "drip"})


@contextmanager
def sdk(url: str, **options: Any) -> Iterator[Bassa]:
    """An SDK client on a caller-owned httpx.Client, with short real waits between attempts."""
    settings: dict[str, Any] = {
        "max_attempts": MAX_ATTEMPTS,
        "wait_initial": 0.01,
        "wait_max": 0.05,
        "retry_deadline": 30.0,
        "max_retry_after": 3.0,
        **options,
    }
    with httpx.Client() as http, Bassa(url, http_client=http, **settings) as client:
        yield client


def unique_link() -> str:
    """A link nobody serves: the record is what counts, not the transfer."""
    return f"http://127.0.0.1:9/faults/{secrets.token_hex(8)}.bin"


def run_through_fault(
    proxy: FaultProxy, fault: Fault, calls: dict[str, Callable[[], object]]
) -> None:
    """Run each call with `fault` on its first request; each must succeed on a later attempt."""
    for name, call in calls.items():
        proxy.plan(Rule(fault, times=1))
        call()
        exchanges = proxy.exchanges
        assert exchanges[0].fault == fault.kind, name
        if fault.kind != "drip":
            assert len(exchanges) >= 2, f"{name} was not retried after {fault.kind}"
        last = exchanges[-1].upstream_status
        assert last is not None and last < 300, f"{name} ended with {last}"
