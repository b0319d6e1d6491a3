"""The login throttle's arithmetic, on an injected clock: free failures, doubling waits, refunds."""

from __future__ import annotations

from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from bassa_server._config import Settings
from bassa_server._throttle import LoginThrottle, client_key


class Clock:
    """A settable clock."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def throttle(tmp_path: Path, clock: Clock, **limits: object) -> LoginThrottle:
    """A throttle with default limits unless given."""
    settings = Settings.load({"data_dir": str(tmp_path), **limits}, environ={})
    return LoginThrottle(settings, CollectorRegistry(), clock)


def fail(gate: LoginThrottle, account: str, client: str) -> int:
    """One wrong password (or the wait that refuses it unchecked)."""
    wait = gate.admit(account, client)
    if not wait:
        gate.settle(account, client, succeeded=False)
    return wait


def test_waits_double_after_the_free_failures(tmp_path: Path) -> None:
    """Five free failures, then waits of 1, 2, 4 … seconds, capped at the maximum."""
    clock = Clock()
    gate = throttle(tmp_path, clock, login_max_backoff_seconds=8)
    assert [fail(gate, "alice", "10.0.0.1") for _ in range(6)] == [0] * 6
    waits = []
    for _ in range(5):
        waits.append(gate.admit("alice", "10.0.0.1"))
        clock.now += waits[-1]
        assert fail(gate, "alice", "10.0.0.1") == 0
    assert waits == [1, 2, 4, 8, 8]


def test_a_success_clears_the_accounts_count_for_that_client(tmp_path: Path) -> None:
    """The right password after some failures starts the count for that account afresh."""
    clock = Clock()
    gate = throttle(tmp_path, clock)
    for _ in range(5):
        fail(gate, "alice", "10.0.0.1")
    assert gate.admit("alice", "10.0.0.1") == 0
    gate.settle("alice", "10.0.0.1", succeeded=True)
    assert [fail(gate, "alice", "10.0.0.1") for _ in range(6)] == [0] * 6
    assert gate.admit("alice", "10.0.0.1") == 1


def test_other_clients_and_accounts_are_unaffected(tmp_path: Path) -> None:
    """A throttled (account, client) pair leaves the account's other clients (and other
    accounts from that client) alone."""
    clock = Clock()
    gate = throttle(tmp_path, clock)
    for _ in range(8):
        fail(gate, "alice", "10.0.0.1")
    assert gate.admit("alice", "10.0.0.1") > 0
    assert gate.admit("ALICE", "10.0.0.1") > 0  # another spelling is no fresh start
    assert gate.admit("alice", "10.0.0.2") == 0
    assert gate.admit("bob", "10.0.0.1") == 0


def test_one_client_spraying_accounts_is_throttled_for_all(tmp_path: Path) -> None:
    """Failures over many accounts from one client add up to a wait for every account."""
    clock = Clock()
    gate = throttle(tmp_path, clock, login_client_free_failures=10)
    for number in range(11):
        assert fail(gate, f"user{number}", "10.0.0.1") == 0
    assert gate.admit("someone-else", "10.0.0.1") == 1
    assert gate.admit("someone-else", "10.0.0.2") == 0


def test_counts_are_forgotten_after_a_quiet_period(tmp_path: Path) -> None:
    """After the maximum wait without failures a client starts again with its free failures."""
    clock = Clock()
    gate = throttle(tmp_path, clock, login_max_backoff_seconds=60)
    failures = 0
    while failures < 7:
        wait = fail(gate, "alice", "10.0.0.1")
        clock.now += wait
        failures += wait == 0
    clock.now += 60 + 2  # the longest wait plus the last one (2 s after 7 failures)
    assert [fail(gate, "alice", "10.0.0.1") for _ in range(6)] == [0] * 6


def test_parallel_attempts_are_charged_before_they_are_checked(tmp_path: Path) -> None:
    """Attempts admitted but not yet settled already count, so a burst cannot overtake them."""
    gate = throttle(tmp_path, Clock())
    admitted = [gate.admit("alice", "10.0.0.1") for _ in range(20)]
    assert admitted.count(0) == 6
    assert all(wait >= 1 for wait in admitted[6:])


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("192.0.2.7", "192.0.2.7"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("::ffff:192.0.2.7", "192.0.2.7"),
        ("not-an-address", "not-an-address"),
    ],
)
def test_clients_are_addresses_and_ipv6_networks(address: str, key: str) -> None:
    """An IPv4 address is a client; an IPv6 client is its /64, which one subscriber holds."""
    assert client_key(address) == key


def test_limits_that_would_switch_a_defence_off_are_refused(tmp_path: Path) -> None:
    """Zero or negative deadlines, caps and allowances are configuration errors."""
    for name in ("header_timeout_seconds", "max_connections", "login_free_failures"):
        with pytest.raises(ValueError, match=name.upper()):
            Settings.load({"data_dir": str(tmp_path), name: 0}, environ={})
