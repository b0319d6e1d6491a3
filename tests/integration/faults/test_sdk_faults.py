"""Through a faulty network the SDK retries what is safe, never repeats what is not.

Every test talks to the session's live server through a `FaultProxy` whose plan is set per test.
Waits between attempts are a few milliseconds so the suite stays fast, but they are real waits.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from bassa_sdk import APIStatusError, Bassa, NotFoundError
from tests.faults import Fault, FaultProxy, Rule
from tests.faults.vectors import fault as fault_of
from tests.integration.faults._support import (
    CURABLE,
    ERRORS,
    MAX_ATTEMPTS,
    PASSWORD,
    REACHES_SERVER,
    VECTORS,
    run_through_fault,
    unique_link,
)
from tests.waiting import wait_for

pytestmark = pytest.mark.integration


def _queue_one(direct: Bassa) -> int:
    created = direct.downloads.add(unique_link()).id
    assert isinstance(created, int)
    return created


def _records(direct: Bassa, link: str) -> int:
    return sum(1 for d in direct.downloads.iter() if d.link == link)


@pytest.mark.parametrize("fault", CURABLE.values(), ids=CURABLE.keys())
def test_idempotent_operations_complete_through_a_fault(
    fault: Fault,
    faulty: Bassa,
    faulty_admin: Bassa,
    fault_proxy: FaultProxy,
    direct: Bassa,
    admin: Bassa,
    user: str,
    live_server: Any,
) -> None:
    """Each idempotent operation hit by a curable fault on its first attempt still succeeds."""
    own = _queue_one(direct)
    victim = f"victim-{secrets.token_hex(4)}"
    admin.users.add(victim, PASSWORD, f"{victim}@example.org")
    key = live_server.server_key
    calls: dict[str, Callable[[], object]] = {
        "login": lambda: faulty.session.login(user, PASSWORD),
        "list_own_downloads": lambda: faulty.downloads.list(1),
        "list_completed_downloads": lambda: faulty.downloads.completed(1),
        "get_download_status": lambda: faulty.downloads.status(own),
        "get_queue_status": lambda: faulty.queue.status(),
        "list_users": lambda: faulty_admin.users.list(),
        "list_signup_requests": lambda: faulty_admin.users.requests(),
        "list_blocked_users": lambda: faulty_admin.users.blocked(),
        "list_heavy_users": lambda: faulty_admin.users.heavy(),
        "approve_user": lambda: faulty_admin.users.approve(victim),
        "update_user": lambda: faulty_admin.users.update(victim, email=f"{victim}@example.com"),
        "block_user": lambda: faulty_admin.users.block(victim),
        "kill_queue": lambda: faulty_admin.queue.stop(key=key),
    }
    assert list(calls) == VECTORS["idempotent_operations"]
    if fault.kind not in REACHES_SERVER:
        calls["unblock_user"] = lambda: faulty_admin.users.unblock(victim)
        calls["delete_download"] = lambda: faulty.downloads.delete(own)
        calls["delete_user"] = lambda: faulty_admin.users.delete(victim)
        assert list(calls)[-3:] == VECTORS["idempotent_operations_unless_reached"]
    run_through_fault(fault_proxy, fault, calls)


def test_a_delete_whose_answer_was_lost_succeeds(
    faulty: Bassa, fault_proxy: FaultProxy, direct: Bassa
) -> None:
    """A DELETE whose answer was lost is retried; the retry's 404 shows the first attempt did it,
    so the call succeeds, and the download is gone."""
    own = _queue_one(direct)
    lost = VECTORS["lost_delete"]
    fault_proxy.plan(Rule(fault_of(lost["fault"]), method="DELETE", times=1))
    faulty.downloads.delete(own)
    assert fault_proxy.forwarded("DELETE", f"/api/download/{own}") == lost["forwarded"]
    with pytest.raises(NotFoundError):
        direct.downloads.status(own)


def test_retry_after_is_honoured(faulty: Bassa, fault_proxy: FaultProxy) -> None:
    """A 503 burst with `Retry-After: 1` delays each retry by a second, then the call succeeds."""
    honoured = VECTORS["retry_after_honoured"]
    fault_proxy.plan(Rule(fault_of(honoured["fault"]), method="GET", times=honoured["times"]))
    started = time.monotonic()
    faulty.queue.status()
    waited = time.monotonic() - started
    assert [e.upstream_status for e in fault_proxy.exchanges] == honoured["statuses"]
    assert honoured["at_least"] <= waited < honoured["below"]


@pytest.mark.parametrize(
    "vector", VECTORS["never_duplicated"], ids=[v["id"] for v in VECTORS["never_duplicated"]]
)
def test_add_download_is_never_sent_twice(
    vector: dict[str, Any], faulty: Bassa, fault_proxy: FaultProxy, direct: Bassa
) -> None:
    """Queuing a link is not safe to repeat: one attempt, one error, at most one record."""
    link = unique_link()
    forwarded = vector["forwarded"]
    fault_proxy.plan(
        Rule(fault_of(vector["fault"]), method="POST", path="^/api/download$", times=None)
    )
    with pytest.raises(ERRORS[vector["error"]]):
        faulty.downloads.add(link)
    assert fault_proxy.arrived == 1
    assert fault_proxy.forwarded("POST", "/api/download") == forwarded
    assert _records(direct, link) == forwarded


def test_a_slow_add_that_times_out_is_not_repeated(
    faulty: Bassa, fault_proxy: FaultProxy, direct: Bassa
) -> None:
    """A queued link whose answer came too late is one record, and the SDK reports a timeout."""
    link = unique_link()
    slow = VECTORS["slow_add"]
    fault_proxy.plan(
        Rule(fault_of(slow["fault"]), method="POST", path="^/api/download$", times=None)
    )
    with pytest.raises(ERRORS[slow["error"]]):
        faulty.downloads.add(link, timeout=httpx.Timeout(5.0, read=slow["read_timeout"]))
    wait_for(lambda: fault_proxy.exchanges, within=5, what="the proxy's exchange")
    assert fault_proxy.arrived == 1
    assert fault_proxy.forwarded("POST", "/api/download") == slow["forwarded"]
    assert _records(direct, link) == slow["forwarded"]


@pytest.mark.parametrize(
    "vector", VECTORS["spent_budget"], ids=[v["id"] for v in VECTORS["spent_budget"]]
)
def test_a_spent_budget_raises_the_matching_error(
    vector: dict[str, Any], faulty: Bassa, fault_proxy: FaultProxy
) -> None:
    """A fault that never clears uses exactly the attempt budget, then raises its error class."""
    fault_proxy.plan(Rule(fault_of(vector["fault"]), times=None))
    with pytest.raises(ERRORS[vector["error"]]):
        faulty.downloads.list(1)
    assert fault_proxy.arrived == MAX_ATTEMPTS


def test_a_timeout_on_every_attempt_raises_a_timeout(
    faulty: Bassa, fault_proxy: FaultProxy
) -> None:
    """Latency beyond the read timeout on every attempt ends in `APITimeoutError`."""
    every = VECTORS["timeout_every_attempt"]
    fault_proxy.plan(Rule(fault_of(every["fault"]), times=None))
    with pytest.raises(ERRORS[every["error"]]):
        faulty.queue.status(timeout=httpx.Timeout(5.0, read=every["read_timeout"]))
    assert fault_proxy.arrived == MAX_ATTEMPTS


def test_a_long_retry_after_fails_at_once(faulty: Bassa, fault_proxy: FaultProxy) -> None:
    """A Retry-After beyond the client's cap is not slept through: one attempt, then the error."""
    long = VECTORS["long_retry_after"]
    fault_proxy.plan(Rule(fault_of(long["fault"]), times=None))
    started = time.monotonic()
    with pytest.raises(ERRORS[long["error"]]) as raised:
        faulty.queue.status()
    assert fault_proxy.arrived == 1
    assert time.monotonic() - started < long["within"]
    assert isinstance(raised.value, APIStatusError)
    assert raised.value.retry_after == long["retry_after"]
