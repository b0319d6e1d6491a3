"""Password hashes run on their own low-priority threads, never on the event loop or on the
worker threads that database work uses."""

from __future__ import annotations

import os
import threading

import pytest

from bassa_server import _auth


async def test_hashing_runs_on_the_password_threads_at_a_lower_priority(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`verify_password_async` hashes on a `bassa-password-hash` thread whose CPU priority is
    lower than the event loop's, and still answers correctly."""
    seen: list[tuple[str, int]] = []
    verify = _auth.verify_password

    def spying(password_hash: str | None, password: str) -> bool:
        thread = threading.get_native_id()
        seen.append((threading.current_thread().name, os.getpriority(os.PRIO_PROCESS, thread)))
        return verify(password_hash, password)

    monkeypatch.setattr(_auth, "verify_password", spying)
    stored = _auth.hash_password("correct horse")
    assert await _auth.verify_password_async(stored, "correct horse") is True
    assert await _auth.verify_password_async(stored, "wrong horse") is False
    loop_priority = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    assert [name.startswith("bassa-password-hash") for name, _ in seen] == [True, True]
    assert all(priority > loop_priority for _, priority in seen)
