"""The download engine as a service of the server: the egress proxy, aria2, the scheduler loop,
the lease and retention.

The app's lifespan calls `start()` and `stop()`; readiness reads `health()`. Four things run
side by side, so that none waits behind another:

- the scheduler loop: a pass every `engine_poll_seconds`, and at once after `wake()` (the queue
  was started, a download queued, aria2 reported a finished transfer, a dead replica's downloads
  were re-queued);
- aria2's notifications (`_notify.py`), which wake the loop when a transfer stops;
- the lease (`_lease.py`): heartbeats on a thread and a database connection of their own;
- the retention sweep, every `RETENTION_INTERVAL_SECONDS`, in short batches.

An error in one pass is logged and the next pass tries again: the loop never dies, and the
database keeps every download's state, so nothing is lost while aria2 or the database is away.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import socket
import time
from collections.abc import Callable

from prometheus_client import CollectorRegistry

from bassa_server._config import Settings
from bassa_server._lifecycle._retention import retention_batch
from bassa_server._lifecycle._transfers import SessionFactory

from ._aria2 import ExternalAria2, ManagedAria2
from ._egress import ExternalEgress, ManagedEgress, egress_for
from ._lease import Lease
from ._metrics import EngineMetrics
from ._notify import listen
from ._rpc import Aria2Unavailable
from ._scheduler import Scheduler, SchedulerConfig

log = logging.getLogger("bassa.engine")

RETENTION_INTERVAL_SECONDS = 3600
RETENTION_RETRY_SECONDS = 60
# between two retention batches: other writers (a SQLite file has one writer at a time) get in
RETENTION_BATCH_PAUSE_SECONDS = 0.02
MIN_DELAY_SECONDS = 0.02


def default_engine_id(settings: Settings) -> str:
    """A stable id for this server: the host name plus a digest of the data folder.

    Stable across restarts, so a restarted server recognises its own claims at once instead of
    waiting for them to go stale; distinct for two servers on one host with separate data folders.
    """
    digest = hashlib.sha256(str(settings.data_dir).encode()).hexdigest()[:12]
    return f"{socket.gethostname()[:48]}-{digest}"


class DownloadEngine:
    """aria2 supervision, the continuous scheduler, retention and the engine metrics."""

    def __init__(
        self,
        settings: Settings,
        session_factory: SessionFactory,
        registry: CollectorRegistry,
        *,
        engine_id: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self.engine_id = engine_id or default_engine_id(settings)
        self._sessions = session_factory
        self._clock = clock
        self.metrics = EngineMetrics(registry, session_factory, settings.downloads_dir, clock)
        self.egress: ManagedEgress | ExternalEgress = egress_for(
            settings,
            on_restart=self.metrics.egress_restarts.inc,
            on_denied=self.metrics.egress_denied.inc,
        )
        self.aria2: ManagedAria2 | ExternalAria2
        if settings.aria2_url:
            self.aria2 = ExternalAria2(settings.aria2_url, settings.aria2_secret)
        else:
            self.aria2 = ManagedAria2(
                executable=settings.aria2c_path,
                downloads_dir=settings.downloads_dir,
                state_dir=settings.data_dir / "aria2",
                max_concurrent_downloads=settings.max_concurrent_downloads,
                proxy=lambda: self.egress.planned_url,
                on_restart=self.metrics.aria2_restarts.inc,
            )
        self.lease = Lease(
            self.engine_id,
            _database_url(session_factory, settings),
            heartbeat_seconds=settings.engine_heartbeat_seconds,
            claim_timeout_seconds=settings.engine_claim_timeout_seconds,
            on_taken_over=lambda _count: self._wake_threadsafe(),
            on_lost=lambda: self.aria2.rpc.pause_all_blocking(),
            clock=clock,
        )
        self.scheduler = Scheduler(
            SchedulerConfig(
                engine_id=self.engine_id,
                downloads_dir=settings.downloads_dir,
                max_concurrent=settings.max_concurrent_downloads,
                max_download_bytes=settings.max_download_bytes,
                min_free_bytes=settings.min_free_bytes,
                quota_bytes=settings.quota_bytes,
                quota_window_seconds=settings.quota_window_seconds,
            ),
            session_factory,
            lambda: self.aria2.rpc,
            self.metrics,
            clock,
            proxy=lambda: self.egress.url,
            lease=self.lease.held,
        )
        self._wake = asyncio.Event()
        self._pass_lock = asyncio.Lock()
        self._loop_task: asyncio.Task[None] | None = None
        self._side_tasks: list[asyncio.Task[None]] = []
        self._event_loop: asyncio.AbstractEventLoop | None = None
        self._aria2_up = False

    async def start(self) -> None:
        """Start the egress proxy and aria2 (when managed), pause whatever aria2 holds, start
        the heartbeats, then the scheduler loop, which reconciles at once.

        aria2 may hold transfers from before a restart whose claims another replica has taken
        over meanwhile (a managed aria2c restores its session paused; an external one kept
        running): they are paused first, and the first pass resumes the ones still owned and
        removes the others before it starts anything, so this engine never writes beside the
        new owner.
        """
        self._event_loop = asyncio.get_running_loop()
        await self.egress.start()
        try:
            await self.aria2.start()
        except BaseException:
            await self.egress.stop()
            raise
        self.metrics.egress_up.set(1 if self.egress.url else 0)
        try:
            await self.aria2.rpc.version()
            await self.aria2.rpc.pause_all()
            self._aria2_up = True
            self.metrics.aria2_up.set(1)
        except Aria2Unavailable:
            log.warning("aria2 at %s does not answer yet", self.aria2.rpc.url)
        await asyncio.to_thread(self.lease.start)
        self._loop_task = asyncio.create_task(self._loop(), name="bassa-engine")
        self._side_tasks = [
            asyncio.create_task(listen(lambda: self.aria2.rpc.url, self.wake), name="aria2-events"),
            asyncio.create_task(self._retention_loop(), name="bassa-retention"),
        ]

    async def stop(self) -> None:
        """Stop the loop, the heartbeats, then aria2; downloads in flight resume on the next
        start (or, after the claim timeout, on another replica)."""
        for task in [*self._side_tasks, self._loop_task]:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._side_tasks, self._loop_task = [], None
        await asyncio.to_thread(self.lease.stop)
        await self.aria2.stop()
        await self.egress.stop()

    def wake(self) -> None:
        """Run a scheduler pass now instead of at the next poll (safe from the event loop)."""
        self._wake.set()

    def _wake_threadsafe(self) -> None:
        if self._event_loop is not None and not self._event_loop.is_closed():
            self._event_loop.call_soon_threadsafe(self._wake.set)

    def health(self) -> dict[str, str]:
        """Readiness checks: `ok`, or what is wrong."""
        running = self._loop_task is not None and not self._loop_task.done()
        return {
            "engine": "ok" if running else "stopped",
            "aria2": "ok" if self._aria2_up else "unreachable",
            "egress_proxy": self.egress.health(),
        }

    async def run_once(self) -> float:
        """One scheduler pass; errors are logged.

        Returns how long to wait before the next pass: the poll interval, or less when a
        transfer should finish sooner (so completion is recorded within a few tens of ms).
        """
        async with self._pass_lock:  # one pass at a time, also when called from outside
            return await self._run_once()

    async def _run_once(self) -> float:
        poll = self.settings.engine_poll_seconds
        delay = poll
        await self.egress.probe()
        self.metrics.egress_up.set(1 if self.egress.url else 0)
        try:
            soonest_end = await self.scheduler.run_once()
            if soonest_end is not None:
                delay = min(poll, max(MIN_DELAY_SECONDS, soonest_end))
            self._aria2_up = True
        except Aria2Unavailable as exc:
            self._aria2_up = False
            self.metrics.aria2_up.set(0)
            log.warning("engine pass skipped: %s", exc)
        except Exception:
            log.exception("engine pass failed; retrying at the next poll")
        return delay

    async def sweep_retention(self) -> int:
        """Apply the retention rule now, batch after batch; return how many files it removed.

        Each batch is one short transaction in a worker thread, with a pause between batches:
        heartbeats, claims and API writes never wait behind the whole sweep.
        """
        settings = self.settings
        now = int(self._clock())
        removed = 0
        after: tuple[int, int] | None = None
        while True:
            batch = await asyncio.to_thread(
                retention_batch,
                self._sessions,
                settings.downloads_dir,
                days=settings.retention_days,
                min_rating=settings.retention_min_rating,
                now=now,
                after=after,
            )
            removed += len(batch.removed)
            if batch.resume_after is None:
                break
            after = batch.resume_after
            await asyncio.sleep(RETENTION_BATCH_PAUSE_SECONDS)
        if removed:
            log.info("retention removed %d file(s)", removed)
        return removed

    async def _retention_loop(self) -> None:
        if self.settings.retention_days <= 0:
            return
        while True:
            delay = RETENTION_INTERVAL_SECONDS
            try:
                await self.sweep_retention()
            except Exception:
                log.exception("retention sweep failed; retrying in a minute")
                delay = RETENTION_RETRY_SECONDS
            await asyncio.sleep(delay)

    async def _loop(self) -> None:
        while True:
            delay = await self.run_once()
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for returns the result of a wait
            # that ends as the task is cancelled and drops the cancellation, so a wake-up racing
            # `stop()` left this loop running and `stop()` waiting for it forever
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay):
                    await self._wake.wait()
            self._wake.clear()


def _database_url(sessions: SessionFactory, settings: Settings) -> str:
    """The URL of the database `sessions` use (the lease opens its own connection to it)."""
    bind = sessions.kw.get("bind")
    url = getattr(bind, "url", None)
    if url is None:
        return settings.database_url
    return str(url.render_as_string(hide_password=False))
