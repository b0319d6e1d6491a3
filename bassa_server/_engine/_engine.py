"""The download engine as a service of the server: the egress proxy, aria2, the scheduler loop
and retention.

The app's lifespan calls `start()` and `stop()`; readiness reads `health()`. The loop runs a
scheduler pass every `engine_poll_seconds` (or at once after `wake()`, e.g. when the queue is
started or a download is queued) and the retention sweep every `RETENTION_INTERVAL_SECONDS`. An
error in one pass is logged and the next pass tries again: the loop never dies, and the database
keeps every download's state, so nothing is lost while aria2 or the database is away.
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
from bassa_server._lifecycle._retention import apply_retention
from bassa_server._lifecycle._transfers import SessionFactory

from ._aria2 import ExternalAria2, ManagedAria2
from ._egress import ExternalEgress, ManagedEgress, egress_for
from ._metrics import EngineMetrics
from ._rpc import Aria2Unavailable
from ._scheduler import Scheduler, SchedulerConfig

log = logging.getLogger("bassa.engine")

RETENTION_INTERVAL_SECONDS = 3600
MIN_DELAY_SECONDS = 0.02
# A replica that has not renewed its claims for this long is presumed dead.
MIN_CLAIM_TIMEOUT_SECONDS = 60
CLAIM_TIMEOUT_POLLS = 30


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
        claim_timeout = max(
            MIN_CLAIM_TIMEOUT_SECONDS, int(settings.engine_poll_seconds * CLAIM_TIMEOUT_POLLS)
        )
        self.scheduler = Scheduler(
            SchedulerConfig(
                engine_id=self.engine_id,
                downloads_dir=settings.downloads_dir,
                max_concurrent=settings.max_concurrent_downloads,
                max_download_bytes=settings.max_download_bytes,
                min_free_bytes=settings.min_free_bytes,
                claim_timeout_seconds=claim_timeout,
                quota_bytes=settings.quota_bytes,
                quota_window_seconds=settings.quota_window_seconds,
            ),
            session_factory,
            lambda: self.aria2.rpc,
            self.metrics,
            clock,
            proxy=lambda: self.egress.url,
        )
        self._wake = asyncio.Event()
        self._pass_lock = asyncio.Lock()
        self._loop_task: asyncio.Task[None] | None = None
        self._last_retention = float("-inf")
        self._aria2_up = False

    async def start(self) -> None:
        """Start the egress proxy and aria2 (when managed), then the scheduler loop, which
        reconciles at once."""
        await self.egress.start()
        try:
            await self.aria2.start()
        except BaseException:
            await self.egress.stop()
            raise
        self.metrics.egress_up.set(1 if self.egress.url else 0)
        try:
            await self.aria2.rpc.version()
            self._aria2_up = True
            self.metrics.aria2_up.set(1)
        except Aria2Unavailable:
            log.warning("aria2 at %s does not answer yet", self.aria2.rpc.url)
        self._loop_task = asyncio.create_task(self._loop(), name="bassa-engine")

    async def stop(self) -> None:
        """Stop the loop, then aria2; downloads in flight resume on the next start."""
        if self._loop_task:
            self._loop_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop_task
            self._loop_task = None
        await self.aria2.stop()
        await self.egress.stop()

    def wake(self) -> None:
        """Run a scheduler pass now instead of at the next poll (safe from the event loop)."""
        self._wake.set()

    def health(self) -> dict[str, str]:
        """Readiness checks: `ok`, or what is wrong."""
        running = self._loop_task is not None and not self._loop_task.done()
        return {
            "engine": "ok" if running else "stopped",
            "aria2": "ok" if self._aria2_up else "unreachable",
            "egress_proxy": self.egress.health(),
        }

    async def run_once(self) -> float:
        """One scheduler pass and, when due, the retention sweep; errors are logged.

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
        now = self._clock()
        if now - self._last_retention >= RETENTION_INTERVAL_SECONDS:
            self._last_retention = now
            try:
                await asyncio.to_thread(
                    apply_retention,
                    self._sessions,
                    self.settings.downloads_dir,
                    days=self.settings.retention_days,
                    min_rating=self.settings.retention_min_rating,
                    now=int(now),
                )
            except Exception:
                log.exception("retention sweep failed; retrying in a minute")
                self._last_retention = now - RETENTION_INTERVAL_SECONDS + 60
        return delay

    async def _loop(self) -> None:
        while True:
            delay = await self.run_once()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), delay)
            self._wake.clear()
