"""The engine's lease on its downloads: heartbeats on a thread and a connection of their own.

A started download belongs to the engine named in its `claimed_by`, for as long as that engine
renews the claim's `heartbeat_time`. Another replica takes over a claim not renewed for
`engine_claim_timeout_seconds` (20 s): it puts the download back in the queue, where any engine
claims it and resumes the partial file from the shared downloads folder.

So the heartbeat must never wait behind the engine's own work. It runs on a thread of its own,
with its own database connection (a pool of one), every `engine_heartbeat_seconds` (5 s): one
UPDATE that renews this engine's claims, and one that re-queues the claims of engines gone
silent (that is also where a dead replica's downloads are noticed, so they are taken over within
`claim timeout + one heartbeat`). A scheduler pass stuck on aria2, a retention sweep over a
million rows or a blocked event loop delay neither.

The other side of a lease is fencing: an engine that cannot renew its claims must stop writing
before anyone may take them over. When the last renewal is older than `claim timeout - one
heartbeat`, `held()` turns False, the lease pauses every transfer in this engine's aria2 (from
this thread, so it happens even while the event loop is busy) and the scheduler neither resumes
nor starts anything until a renewal succeeds again; the next pass then stops whatever this engine
no longer owns before it starts anything new.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from sqlalchemy.orm import Session, sessionmaker

from bassa_server._db.engine import make_engine, make_session_factory, retry_conflicts
from bassa_server._lifecycle import _transfers as transfers

log = logging.getLogger("bassa.engine.lease")


class Lease:
    """Renews this engine's claims on a thread of its own and takes over silent engines' ones."""

    def __init__(
        self,
        engine_id: str,
        database_url: str,
        *,
        heartbeat_seconds: float,
        claim_timeout_seconds: float,
        on_taken_over: Callable[[int], None],
        on_lost: Callable[[], None],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.engine_id = engine_id
        self.heartbeat_seconds = heartbeat_seconds
        self.claim_timeout_seconds = claim_timeout_seconds
        self._database_url = database_url
        self._on_taken_over = on_taken_over
        self._on_lost = on_lost
        self._clock = clock
        self._renewed = float("-inf")  # time.monotonic() of the last renewal that succeeded
        self._fenced = False
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._sessions: sessionmaker[Session] | None = None

    def held(self) -> bool:
        """Whether this engine's claims are certainly still its own: renewed within `claim
        timeout - one heartbeat` (no other replica may take them over yet)."""
        margin = self.claim_timeout_seconds - self.heartbeat_seconds
        return time.monotonic() - self._renewed < margin

    def start(self) -> None:
        """Renew once now (the engine starts with its claims renewed), then every heartbeat."""
        database = make_engine(self._database_url, pool_size=1, max_overflow=1)
        self._sessions = make_session_factory(database)
        self._stopping.clear()
        self.beat()
        self._thread = threading.Thread(target=self._run, name="bassa-heartbeat", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread and close its connection (the claims stay: a restart resumes them)."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self._sessions is not None:
            bind = self._sessions.kw.get("bind")
            if bind is not None:
                bind.dispose()
            self._sessions = None

    def _run(self) -> None:
        while not self._stopping.wait(self.heartbeat_seconds):
            self.beat()

    def beat(self) -> None:
        """One heartbeat: renew this engine's claims, re-queue silent engines' claims; fence
        this engine off when its claims are about to expire unrenewed."""
        assert self._sessions is not None
        now = self._clock()
        started = time.monotonic()
        try:
            retry_conflicts(transfers.heartbeat)(self._sessions, self.engine_id, int(now))
            self._renewed = time.monotonic()
            cutoff = int(now - self.claim_timeout_seconds)
            taken = retry_conflicts(transfers.take_over_stale)(
                self._sessions, self.engine_id, cutoff
            )
        except Exception:
            log.exception("heartbeat failed; the claims stay valid for now")
            self._fence_if_expiring()
            return
        if (took := time.monotonic() - started) > self.heartbeat_seconds:
            log.warning("a heartbeat took %.1f s (the database is slow to answer)", took)
        if self._fenced:
            self._fenced = False
            log.warning("heartbeats renew the claims again; resuming the downloads still owned")
        if taken:
            log.warning("re-queued %d download(s) whose engine stopped answering", taken)
            self._on_taken_over(taken)

    def _fence_if_expiring(self) -> None:
        if self.held() or self._fenced:
            return
        self._fenced = True
        log.error(
            "claims not renewed for %.0f s: pausing every transfer before another replica may"
            " take them over",
            self.claim_timeout_seconds - self.heartbeat_seconds,
        )
        try:
            self._on_lost()
        except Exception:
            log.exception("could not pause the transfers; retrying at the next heartbeat")
            self._fenced = False
