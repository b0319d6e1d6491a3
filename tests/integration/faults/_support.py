"""What the SDK fault tests share: the client they build, the faults a retry can cure, the loop."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from bassa_sdk import APIConnectionError, APITimeoutError, Bassa, RateLimitError, ServerError
from tests.faults import Fault, FaultProxy, Rule
from tests.faults.vectors import faults, vectors

# the client settings, plans and outcomes shared with the Go client's fault tests
VECTORS = vectors()
CLIENT = VECTORS["client"]
MAX_ATTEMPTS: int = CLIENT["max_attempts"]
PASSWORD = "faults-password-1"
# one fault of every kind that a retry can cure
CURABLE: dict[str, Fault] = faults(VECTORS["curable"])
# faults that let the first attempt reach the server: a repeated DELETE then finds nothing
REACHES_SERVER = frozenset(VECTORS["reaches_server"])
# what each error name of the vectors means for the Python SDK
ERRORS: dict[str, type[Exception]] = {
    "connection": APIConnectionError,
    "timeout": APITimeoutError,
    "server": ServerError,
    "rate_limited": RateLimitError,
}


@contextmanager
def sdk(url: str, **options: Any) -> Iterator[Bassa]:
    """An SDK client on a caller-owned httpx.Client, with short real waits between attempts."""
    settings: dict[str, Any] = {**CLIENT, **options}
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
